import { ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { safeDescription } from './descriptions';
import { BROKER_LOG_GROUP_PREFIX } from './key-policy';
import { acknowledge, ACKNOWLEDGMENTS, wildcardResource } from '../acknowledgments';
import { regionalServiceName } from '../aws-names';
import { allowCloudWatchLogsToUseKey } from '../key-policies';
import { newestNodejsRuntime } from '../lambda-runtime';
import { generatePhysicalName } from '../naming';
import { claimPhysicalName } from '../physical-names';

/*
 * Why the broker's log groups are made by a custom resource, not by AWS::Logs::LogGroup.
 *
 * Amazon MQ names a broker's log groups after the broker id, `/aws/amazonmq/broker/<broker-id>/general`
 * and `/audit`, and creates them itself when the broker is created or rebooted, provided the principal
 * that creates the broker has `logs:CreateLogGroup` (Amazon MQ Developer Guide, "Configuring Amazon MQ for
 * ActiveMQ logs": "Understanding the structure of logging in CloudWatch Logs" and "Add the CreateLogGroup
 * permission to your Amazon MQ user",
 * https://docs.aws.amazon.com/amazon-mq/latest/developer-guide/configure-logging-monitoring-activemq.html).
 * A CDK deployment creates the broker with the CloudFormation execution role, which has that permission. The
 * id exists only once the broker does, so a template can name the log groups only after the broker, by which
 * time Amazon MQ has made them: an AWS::Logs::LogGroup of that name then fails with "already exists" and the
 * stack rolls back. Creating them first is impossible (the name is unknown), and denying Amazon MQ the
 * permission is not the construct's to decide.
 *
 * So a custom resource, after the broker, makes sure of each log group without ever colliding: it creates it
 * if absent and treats ResourceAlreadyExistsException as success (CreateLogGroup API reference), then
 * associates the broker's key (AssociateKmsKey: "overrides any existing associations") and sets the
 * retention (PutRetentionPolicy, or DeleteRetentionPolicy for "never expire"). Every call is idempotent, so
 * whichever of Amazon MQ and the handler comes first, the result is the same. On delete it removes the log
 * group only when the broker's removalPolicy is DESTROY; the resource itself carries the removal policy, so
 * RETAIN never even calls the handler.
 *
 * The handler is a function of the construct's own, not aws-cdk-lib's AwsCustomResource or LogRetention:
 * neither lets its function be configured (reserved concurrency, dead-letter queue, tracing, its own role and
 * encrypted log group), and every function this library adds passes the compliance packs by configuration.
 */

/** The handler: Node.js with the AWS SDK v3 of the Lambda runtime, and nothing to bundle. */
const HANDLER_CODE = `
const https = require('https');
const L = require('@aws-sdk/client-cloudwatch-logs');
const client = new L.CloudWatchLogsClient({});
const RETRIED = ['OperationAbortedException', 'ResourceNotFoundException'];
async function call(command, input, tolerated) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.send(new L[command](input));
    } catch (e) {
      if (e.name === tolerated) return undefined;
      if (attempt >= 6 || !RETRIED.includes(e.name)) throw e;
      await new Promise((r) => setTimeout(r, 2000 * attempt));
    }
  }
}
function respond(event, body) {
  const data = JSON.stringify({ ...body, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId });
  return new Promise((resolve, reject) => {
    const request = https.request(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(data) } }, (response) => {
      response.resume();
      response.on('end', resolve);
    });
    request.on('error', reject);
    request.end(data);
  });
}
exports.handler = async (event) => {
  const p = event.ResourceProperties;
  const name = event.RequestType === 'Delete' ? event.PhysicalResourceId : p.LogGroupName;
  let status = 'SUCCESS';
  let reason = 'OK';
  try {
    if (event.RequestType === 'Delete') {
      if (p.RemovalPolicy === 'destroy' && name) await call('DeleteLogGroupCommand', { logGroupName: name }, 'ResourceNotFoundException');
    } else {
      await call('CreateLogGroupCommand', { logGroupName: name, kmsKeyId: p.KmsKeyArn }, 'ResourceAlreadyExistsException');
      await call('AssociateKmsKeyCommand', { logGroupName: name, kmsKeyId: p.KmsKeyArn });
      const days = Number(p.RetentionInDays || 0);
      if (days > 0) await call('PutRetentionPolicyCommand', { logGroupName: name, retentionInDays: days });
      else await call('DeleteRetentionPolicyCommand', { logGroupName: name });
    }
  } catch (e) {
    status = 'FAILED';
    reason = (e.name + ': ' + e.message).slice(0, 1000);
  }
  console.log(JSON.stringify({ requestType: event.RequestType, logGroupName: name, status, reason }));
  const id = name || event.PhysicalResourceId || event.LogicalResourceId;
  await respond(event, { Status: status, Reason: reason, PhysicalResourceId: id, Data: { LogGroupName: id } });
};
`;

/** The handler's Lambda timeout; each CloudWatch Logs call retries a conflict for at most about 30 seconds. */
const HANDLER_TIMEOUT = Duration.minutes(2);
/**
 * How long CloudFormation waits for the handler's answer: the timeout and Lambda's two retries of a failed
 * asynchronous invocation (1 and 2 minutes apart), with room, instead of CloudFormation's default hour.
 */
const SERVICE_TIMEOUT = Duration.minutes(15);
/** The prefix of the handlers' own log groups. */
export const HANDLER_LOG_GROUP_PREFIX = '/cdk-decoupling-patterns/amazon-mq-log-groups/';
/** Room for the handler's own log group name, well within CloudWatch Logs' 512 characters. */
const HANDLER_LOG_GROUP_NAME_ROOM = 200;

export interface BrokerLogGroupsProps {
  /** The broker id (`Ref` of the broker): the log group names hold it. */
  readonly brokerId: string;
  /** The logs the broker writes: `general`, and `audit` for ActiveMQ. */
  readonly logNames: string[];
  readonly vpc: ec2.IVpc;
  readonly encryptionKey: kms.IKey;
  /** The retention; `INFINITE` keeps events forever. */
  readonly retention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The broker's log groups, made sure of after the broker exists by a custom resource each (see above), and
 * the one function that handles them.
 */
export class BrokerLogGroups extends Construct {
  /** The log groups, by log name, as CloudFormation knows them once they exist. */
  public readonly logGroups: Record<string, logs.ILogGroup> = {};
  /** The custom resources, by log name. */
  public readonly resources: Record<string, CustomResource> = {};
  /** The handler. */
  public readonly handler: lambda.Function;
  /** The name of the handler's own log group, which the broker's key must let CloudWatch Logs use. */
  public readonly handlerLogGroupName: string;

  constructor(scope: Construct, id: string, props: BrokerLogGroupsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroupArn = (name: string) =>
      stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const brokerLogGroupNames = props.logNames.map((log) => `${BROKER_LOG_GROUP_PREFIX}${props.brokerId}/${log}`);

    this.handlerLogGroupName = `${HANDLER_LOG_GROUP_PREFIX}${generatePhysicalName(this, HANDLER_LOG_GROUP_NAME_ROOM)}`;
    claimPhysicalName(this, {
      kind: 'CloudWatch Logs log group',
      name: this.handlerLogGroupName,
      prop: 'id',
      what: 'the log of its log group handler',
    });
    // One statement for the handlers of every broker that shares the key (the same statement, which aws-cdk-lib
    // adds once): the log groups under this library's own prefix, in this account and region.
    allowCloudWatchLogsToUseKey(
      props.encryptionKey,
      `${HANDLER_LOG_GROUP_PREFIX}*`,
      'AllowCloudWatchLogsForLogGroupHandlers',
    );
    const handlerLogGroup = new logs.LogGroup(this, 'HandlerLogGroup', {
      logGroupName: this.handlerLogGroupName,
      encryptionKey: props.encryptionKey,
      // The handler's own log follows the broker's: INFINITE is the user's choice for both.
      retention: props.retention,
      removalPolicy: props.removalPolicy,
    });

    // Failed asynchronous invocations (CloudFormation invokes the handler asynchronously) land here after
    // Lambda's retries; CloudFormation reports the failure itself.
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    acknowledge(deadLetterQueue, ACKNOWLEDGMENTS.deadLetterQueueWithoutDeadLetterQueue);

    const role = new iam.Role(this, 'HandlerRole', {
      description: safeDescription(`Makes sure of the log groups of the Amazon MQ broker ${scope.node.path}`, 'iam'),
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const manageLogGroups = brokerLogGroupNames.flatMap((name) => [logGroupArn(name), logGroupArn(`${name}:*`)]);
    const statements = [
      // Exactly the calls the handler makes, on exactly this broker's log groups. CloudWatch Logs authorizes
      // most log group actions against the ARN ending in ":*" ("Overview of managing access permissions to
      // your CloudWatch Logs resources", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/iam-access-control-overview-cwl.html).
      new iam.PolicyStatement({
        sid: 'ManageTheBrokerLogGroups',
        actions: [
          'logs:CreateLogGroup',
          'logs:AssociateKmsKey',
          'logs:PutRetentionPolicy',
          'logs:DeleteRetentionPolicy',
          'logs:DeleteLogGroup',
        ],
        resources: manageLogGroups,
      }),
      // CloudWatch Logs may use the caller's permissions for KMS calls it makes on the caller's behalf
      // (CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS Key Management Service":
      // kms:ViaService); only through CloudWatch Logs, and only on the broker's key.
      new iam.PolicyStatement({
        sid: 'UseTheBrokerKeyThroughCloudWatchLogs',
        actions: ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': regionalServiceName(this, 'logs') } },
      }),
      new iam.PolicyStatement({
        sid: 'WriteTheHandlerLog',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroupArn(`${this.handlerLogGroupName}:*`)],
      }),
      new iam.PolicyStatement({
        sid: 'SendFailedInvocationsToTheDeadLetterQueue',
        actions: ['sqs:SendMessage'],
        resources: [deadLetterQueue.queueArn],
      }),
      // X-Ray's PutTraceSegments and PutTelemetryRecords take no resource (Service Authorization Reference
      // for AWS X-Ray).
      new iam.PolicyStatement({
        sid: 'Trace',
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
      }),
    ];

    // In the VPC when the VPC can take it there: the handler must reach the CloudWatch Logs API and the
    // pre-signed S3 URL CloudFormation waits for its answer on, so it needs subnets with a route out
    // (PRIVATE_WITH_EGRESS). A VPC with isolated subnets only has no such route the construct can prove (an
    // endpoint for CloudWatch Logs and S3, with policies that admit CloudFormation's response bucket, would
    // do); there the handler stays outside the VPC, where it can always answer, and the finding is
    // acknowledged. It talks to no resource in the VPC either way.
    const inVpc = props.vpc.privateSubnets.length > 0;
    let securityGroup: ec2.SecurityGroup | undefined;
    if (inVpc) {
      securityGroup = new ec2.SecurityGroup(this, 'HandlerSecurityGroup', {
        vpc: props.vpc,
        description: safeDescription(
          `The log group handler of ${scope.node.path}: HTTPS to AWS APIs only`,
          'securityGroup',
        ),
        allowAllOutbound: false,
      });
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the CloudWatch Logs API and S3');
      // Lambda creates, describes and deletes the function's network interfaces with the execution role: the
      // actions of AWSLambdaVPCAccessExecutionRole, which Lambda documents as required; their ids are
      // Lambda's, and ec2:DescribeNetworkInterfaces works only on "*" (Lambda Developer Guide, "Giving Lambda
      // functions access to resources in an Amazon VPC").
      statements.push(
        new iam.PolicyStatement({
          sid: 'ManageTheFunctionNetworkInterfaces',
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
      );
    }
    // A customer-managed policy: what aws-cdk-lib's Function would grant itself goes into inline policies.
    const policy = new iam.ManagedPolicy(this, 'HandlerPolicy', {
      description: safeDescription(`What the log group handler of ${scope.node.path} may do`, 'iam'),
      roles: [role],
      statements,
    });
    acknowledge(policy, ACKNOWLEDGMENTS.lambdaWildcardServiceActions);
    for (const resource of [...manageLogGroups, logGroupArn(`${this.handlerLogGroupName}:*`)].filter((r) =>
      r.endsWith(':*'),
    )) {
      acknowledge(
        policy,
        wildcardResource(
          this,
          resource,
          'CloudWatch Logs authorizes log group actions, and the log streams a function writes, against the log ' +
            'group ARN ending in ":*" (CloudWatch Logs User Guide, "Overview of managing access permissions to your ' +
            'CloudWatch Logs resources"); the wildcard is that suffix on one named log group, nothing wider.',
        ),
      );
    }

    this.handler = new lambda.Function(this, 'Handler', {
      description: safeDescription(`Makes sure of the log groups of the Amazon MQ broker ${scope.node.path}`, 'lambda'),
      runtime: newestNodejsRuntime(),
      handler: 'index.handler',
      code: lambda.Code.fromInline(HANDLER_CODE),
      // The role's permissions are the managed policy above; nothing is added inline.
      role: role.withoutPolicyUpdates(),
      memorySize: 256,
      timeout: HANDLER_TIMEOUT,
      // One invocation per log group at a time is plenty; a throttled asynchronous invocation is retried.
      reservedConcurrentExecutions: 1,
      deadLetterQueue,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: handlerLogGroup,
      vpc: inVpc ? props.vpc : undefined,
      vpcSubnets: inVpc ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } : undefined,
      securityGroups: securityGroup ? [securityGroup] : undefined,
    });
    // The network interfaces are created with the function, and need the policy attached first.
    this.handler.node.addDependency(policy);
    if (!inVpc) {
      acknowledge(this.handler, ACKNOWLEDGMENTS.lambdaOutsideVpcWithoutEgress);
    }

    const removal = props.removalPolicy === RemovalPolicy.DESTROY ? 'destroy' : 'retain';
    const retentionInDays =
      Token.isUnresolved(props.retention) || props.retention !== logs.RetentionDays.INFINITE
        ? props.retention
        : undefined;
    props.logNames.forEach((log, index) => {
      const resourceId = `${log.charAt(0).toUpperCase()}${log.slice(1)}`;
      const resource = new CustomResource(this, resourceId, {
        serviceToken: this.handler.functionArn,
        resourceType: 'Custom::AmazonMqLogGroup',
        serviceTimeout: SERVICE_TIMEOUT,
        removalPolicy: props.removalPolicy,
        properties: {
          LogGroupName: brokerLogGroupNames[index],
          KmsKeyArn: props.encryptionKey.keyArn,
          RetentionInDays: retentionInDays,
          RemovalPolicy: removal,
        },
      });
      this.resources[log] = resource;
      // Read through the resource, so that whatever uses the log group waits for it.
      this.logGroups[log] = logs.LogGroup.fromLogGroupName(
        this,
        `${resourceId}LogGroup`,
        resource.getAttString('LogGroupName'),
      );
    });
  }
}
