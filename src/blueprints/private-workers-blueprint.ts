import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EncryptedStream } from '../encrypted-stream';
import { IsolatedVpc } from '../isolated-vpc';
import { acknowledge, ACKNOWLEDGMENTS } from '../private/acknowledgments';
import { allowCloudWatchLogsToUseKey } from '../private/key-policies';
import { generatePhysicalName } from '../private/naming';
import { PrivateEndpoints, PrivateEndpointService } from '../private-endpoints';
import { QueueProcessingFunction } from '../queue-processing-function';
import { QueueProcessingService } from '../queue-processing-service';
import { StreamProcessingFunction } from '../stream-processing-function';
import { WorkQueue, WorkQueueEncryption } from '../work-queue';
import { blueprintAvailabilityZones } from './private/isolated-vpc';
import { newestNodejsRuntime } from '../private/lambda-runtime';

/**
 * Properties of the private workers blueprint.
 */
export interface PrivateWorkersBlueprintProps extends StackProps {
  /**
   * The transcoder's container image. It must be reachable from subnets without internet: an image in
   * this account's Amazon ECR (the VPC has ECR and S3 endpoints), for example
   * `ecs.ContainerImage.fromEcrRepository(repository, 'v1')`.
   *
   * @default - the image tagged `latest` in the ECR repository named `transcoder` of the stack's
   * account and region, which the tasks' execution role may pull. Push it before the first deploy:
   * CloudFormation starts one task when it creates the service (a new service without a desired count
   * gets one; AWS::ECS::Service, DesiredCount), and a task whose image cannot be pulled fails that
   * deployment. The service then scales to zero while no job waits.
   */
  readonly transcoderImage?: ecs.ContainerImage;

  /**
   * The most transcoder tasks that run at once.
   *
   * @default 20
   */
  readonly maxTranscoders?: number;

  /**
   * The availability zones of the VPC's two isolated subnets.
   *
   * @default - env-agnostic: `Fn::GetAZs`, the first two zones of wherever the stack is deployed;
   * with an env: the first two zones the CDK CLI looks up for that account and region (cached in
   * `cdk.context.json`), never a guess such as `<region>a`
   */
  readonly availabilityZones?: string[];
}

/**
 * The consumer side of the video platform, entirely in private subnets: the three ways the library
 * consumes work, side by side.
 *
 * - Thumbnail jobs in a WorkQueue, taken by a Lambda function (QueueProcessingFunction: partial batch
 *   responses, bounded concurrency).
 * - Transcode jobs in a WorkQueue, taken by Fargate tasks (QueueProcessingService: target tracking on
 *   backlog per task, from zero and back to zero, ARM64).
 * - Playback events in an EncryptedStream, counted by a Lambda function (StreamProcessingFunction:
 *   bisect on error, bounded retries, failed batches to an on-failure queue).
 *
 * Everything runs in an IsolatedVpc (no internet or NAT gateway); the functions and tasks reach AWS
 * through PrivateEndpoints that admit only them.
 */
export class PrivateWorkersBlueprint extends Stack {
  /** The thumbnail job queue. */
  public readonly thumbnailJobs: WorkQueue;

  /** The Lambda function that makes thumbnails, and its wiring to the queue. */
  public readonly thumbnailer: QueueProcessingFunction;

  /** The transcode job queue. */
  public readonly transcodeJobs: WorkQueue;

  /** The Fargate transcoders. */
  public readonly transcoders: QueueProcessingService;

  /** The stream of playback events. */
  public readonly playbackEvents: EncryptedStream;

  /** The Lambda function that counts plays, and its wiring to the stream. */
  public readonly playCounter: StreamProcessingFunction;

  /** The VPC every worker runs in. */
  public readonly vpc: ec2.IVpc;

  /** The interface and gateway endpoints the workers reach AWS through. */
  public readonly endpoints: PrivateEndpoints;

  constructor(scope: Construct, id: string, props: PrivateWorkersBlueprintProps = {}) {
    super(scope, id, props);
    const availabilityZones = blueprintAvailabilityZones(this, props.availabilityZones, 2);

    const network = new IsolatedVpc(this, 'Network', { availabilityZones });
    this.vpc = network.vpc;
    const functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'The blueprint functions: HTTPS to the VPC endpoints only',
      allowAllOutbound: false,
    });

    this.thumbnailJobs = new WorkQueue(this, 'ThumbnailJobs', {
      encryption: WorkQueueEncryption.KMS,
      visibilityTimeout: Duration.minutes(3),
    });
    const thumbnailHandler = new PrivateFunction(this, 'ThumbnailHandler', {
      vpc: this.vpc,
      securityGroup: functionSecurityGroup,
      timeout: Duration.seconds(30),
      reservedConcurrency: 50,
      // Stands in for the real thumbnailer: reports no failure, so every message of the batch is deleted.
      code: 'exports.handler = async (event) => { for (const r of event.Records) console.log(JSON.stringify({ thumbnail: r.body })); return { batchItemFailures: [] }; };',
      // Asynchronous invocations (none by design) would land beside the failed jobs.
      deadLetterQueue: this.thumbnailJobs.deadLetterQueue,
    });
    this.thumbnailer = new QueueProcessingFunction(this, 'Thumbnailer', {
      queue: this.thumbnailJobs,
      handler: thumbnailHandler.function,
      batchSize: 10,
      maxConcurrency: 50,
    });

    this.transcodeJobs = new WorkQueue(this, 'TranscodeJobs', {
      encryption: WorkQueueEncryption.KMS,
      visibilityTimeout: Duration.minutes(15),
      oldestMessageAgeAlarmThreshold: Duration.hours(1),
    });
    this.transcoders = new QueueProcessingService(this, 'Transcoders', {
      queue: this.transcodeJobs,
      vpc: this.vpc,
      image: props.transcoderImage ?? defaultTranscoderImage(this),
      acceptableLatency: Duration.minutes(20),
      processingTimePerMessage: Duration.minutes(2),
      maxCapacity: props.maxTranscoders ?? 20,
    });

    this.playbackEvents = new EncryptedStream(this, 'PlaybackEvents');
    // Batches the counter gives up on, and its asynchronous invocations (none by design).
    const playCountFailures = new WorkQueue(this, 'PlayCountFailures', { encryption: WorkQueueEncryption.KMS });
    const playCounterHandler = new PrivateFunction(this, 'PlayCountHandler', {
      vpc: this.vpc,
      securityGroup: functionSecurityGroup,
      timeout: Duration.seconds(60),
      reservedConcurrency: 10,
      // Stands in for the real counter: counts the plays of each video in the batch.
      code: 'exports.handler = async (event) => { const plays = {}; for (const r of event.Records) { const v = Buffer.from(r.kinesis.data, "base64").toString(); plays[v] = (plays[v] ?? 0) + 1; } console.log(JSON.stringify({ plays })); return { batchItemFailures: [] }; };',
      deadLetterQueue: playCountFailures,
    });
    this.playCounter = new StreamProcessingFunction(this, 'PlayCounter', {
      stream: this.playbackEvents,
      handler: playCounterHandler.function,
      onFailureQueue: playCountFailures,
    });

    this.endpoints = new PrivateEndpoints(this, 'Endpoints', {
      vpc: this.vpc,
      services: [
        PrivateEndpointService.SQS,
        PrivateEndpointService.KINESIS_STREAMS,
        PrivateEndpointService.KMS,
        PrivateEndpointService.ECR,
        PrivateEndpointService.S3,
        PrivateEndpointService.CLOUDWATCH_LOGS,
        PrivateEndpointService.CLOUDWATCH_MONITORING,
        PrivateEndpointService.SSM,
        PrivateEndpointService.STS,
      ],
      allowedPeers: [this.transcoders, functionSecurityGroup],
    });
    functionSecurityGroup.addEgressRule(
      ec2.Peer.securityGroupId(this.endpoints.securityGroup.securityGroupId),
      ec2.Port.tcp(443),
      'HTTPS to the VPC endpoints',
    );

    new CfnOutput(this, 'ThumbnailJobQueueUrl', { value: this.thumbnailJobs.queueUrl });
    new CfnOutput(this, 'TranscodeJobQueueUrl', { value: this.transcodeJobs.queueUrl });
    new CfnOutput(this, 'PlaybackStreamName', { value: this.playbackEvents.streamName });
    new CfnOutput(this, 'TranscoderClusterName', { value: this.transcoders.cluster.clusterName });
    new CfnOutput(this, 'TranscoderQueueUrlParameterName', {
      value: this.transcoders.queueUrlParameter.parameterName,
    });
    new CfnOutput(this, 'ThumbnailMappingId', { value: this.thumbnailer.eventSourceMapping.eventSourceMappingId });
    new CfnOutput(this, 'PlayCountMappingId', { value: this.playCounter.eventSourceMapping.eventSourceMappingId });
    new CfnOutput(this, 'PlayCountFailuresQueueUrl', { value: this.playCounter.onFailureQueue.queueUrl });
  }
}

/**
 * `transcoder:latest` in the stack's own ECR, the default the props document. Through the repository rather
 * than a registry URL, so that the execution role is granted the pull.
 */
function defaultTranscoderImage(stack: Stack): ecs.ContainerImage {
  const repository = ecr.Repository.fromRepositoryName(stack, 'TranscoderRepository', 'transcoder');
  return ecs.ContainerImage.fromEcrRepository(repository, 'latest');
}

interface PrivateFunctionProps {
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly timeout: Duration;
  readonly reservedConcurrency: number;
  readonly code: string;
  /** A queue encrypted with a customer-managed key. */
  readonly deadLetterQueue: sqs.IQueue;
}

/**
 * A blueprint's own function, as a demanding team writes one: in the isolated subnets, traced, with
 * JSON logs to an encrypted log group that keeps them a year, reserved concurrency, and a role that
 * holds only customer-managed policies.
 */
class PrivateFunction extends Construct {
  public readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: PrivateFunctionProps) {
    super(scope, id);
    const logGroupName = `/aws/lambda/${generatePhysicalName(this, 200)}`;
    const logKey = new kms.Key(this, 'LogKey', {
      description: `Encrypts the logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    allowCloudWatchLogsToUseKey(logKey, logGroupName);
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      encryptionKey: logKey,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new iam.Role(this, 'Role', {
      description: `The role of ${this.node.path}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const basics = new iam.ManagedPolicy(this, 'RunPolicy', {
      description: `Lets ${this.node.path} write its logs, run in the VPC and send traces`,
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
        // What Lambda's AWSLambdaVPCAccessExecutionRole allows: Lambda creates and removes the function's
        // network interfaces with the role, and their ids are not known in advance.
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    acknowledge(basics, ACKNOWLEDGMENTS.lambdaWildcardServiceActions);
    // Sends an asynchronous invocation that keeps failing to the dead-letter queue, encrypted with its key
    // (SQS needs kms:GenerateDataKey and kms:Decrypt of a producer: Amazon SQS Developer Guide, "Key
    // management", permissions for producers).
    const deadLetterKey = props.deadLetterQueue.encryptionMasterKey;
    if (!deadLetterKey) {
      throw new Error(`${this.node.path}: the dead-letter queue must be encrypted with a customer-managed key`);
    }
    basics.addStatements(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] }),
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [deadLetterKey.keyArn],
      }),
    );

    this.function = new lambda.Function(this, 'Function', {
      runtime: newestNodejsRuntime(),
      handler: 'index.handler',
      code: lambda.Code.fromInline(props.code),
      timeout: props.timeout,
      memorySize: 512,
      architecture: lambda.Architecture.ARM_64,
      reservedConcurrentExecutions: props.reservedConcurrency,
      // Every permission is in the customer-managed policy above, none in an inline policy of the role:
      // what Lambda would add itself (X-Ray, the dead-letter queue) is granted there.
      role: role.withoutPolicyUpdates(),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [props.securityGroup],
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      deadLetterQueue: props.deadLetterQueue,
    });
    this.function.node.addDependency(basics);
  }
}
