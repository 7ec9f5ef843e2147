import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { BacklogCapacityModel } from './backlog-capacity-model';
import { notifyingAlarm } from './private/alarms';
import {
  BACKLOG_PERIOD,
  addFallingBehindAlarm,
  backlogMetricDataQueries,
  backlogPerWorkerExpression,
} from './private/backlog-scaling';
import { addQueueProcessingServiceWidgets } from './private/dashboard/queue-processing-service';
import { allowCloudWatchLogsToUseKey } from './private/key-policies';
import { ManagedPolicyRole } from './private/managed-policy-role';
import { generatePhysicalName } from './private/naming';
import { claimPhysicalName } from './private/physical-names';
import { validateBoolean, validateRetentionDays } from './private/private-endpoints/validation';
import { addConsumePolicy } from './private/queue-processing-fleet/worker-policies';
import { acknowledgeEcrAuthorizationToken, addTaskProtectionPolicy } from './private/queue-processing-service/roles';
import {
  scalingTarget,
  secondsOf,
  selectTaskSubnets,
  validateCapacities,
  validateCooldown,
  validateTaskSize,
  validateVariableNames,
} from './private/queue-processing-service/validation';
import { resolveRemovalPolicy } from './private/removal-policy';
import { durationMillis, invalidProp, validateDurationInRange, validateEnumValue } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * The processor architecture of a QueueProcessingService's tasks.
 */
export enum FargateCpuArchitecture {
  /** AWS Graviton (64-bit ARM): lower price per vCPU and GB on Fargate. Not available on Fargate Spot. */
  ARM64 = 'ARM64',
  /** 64-bit x86. */
  X86_64 = 'X86_64',
}

/**
 * Properties of a QueueProcessingService.
 *
 * The scaling target is either `backlogPerTaskTarget`, or `acceptableLatency` with
 * `processingTimePerMessage` (target = acceptableLatency ÷ processingTimePerMessage); exactly one of
 * the two must be given.
 */
export interface QueueProcessingServiceProps {
  /**
   * The queue the tasks drain: a WorkQueue, an `sqs.Queue`, or an imported queue. The task role may
   * receive, delete and change the visibility of its messages (and decrypt them with the queue's
   * customer-managed key, when it has one it names), nothing else of SQS, as the queue's own
   * `grantConsumeMessages` decides.
   */
  readonly queue: sqs.IQueue;

  /** The VPC the tasks run in. */
  readonly vpc: ec2.IVpc;

  /**
   * The worker's container image. It runs with `QUEUE_URL` set to the queue's URL, and with
   * `ECS_AGENT_URI` set by ECS, for the scale-in protection endpoint. It must be built for
   * `cpuArchitecture`.
   */
  readonly image: ecs.ContainerImage;

  /**
   * Where in the VPC the tasks run. Public subnets are refused: the tasks never get a public IP
   * address, so they need private subnets with a NAT gateway, or isolated subnets with VPC endpoints
   * (a `PrivateEndpoints` with ECR, CloudWatch Logs, SSM and SQS).
   *
   * @default - the VPC's private subnets, or its isolated subnets if it has no private ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The task's CPU units: 256, 512, 1,024, 2,048, 4,096, 8,192 or 16,384 (0.25 to 16 vCPU).
   *
   * @default 256
   */
  readonly cpu?: number;

  /**
   * The task's memory in MiB, one of the sizes Fargate offers for `cpu` (for 256 CPU units: 512, 1,024
   * or 2,048).
   *
   * @default 512
   */
  readonly memoryLimitMiB?: number;

  /**
   * The processor architecture of the tasks.
   *
   * @default - FargateCpuArchitecture.ARM64, or FargateCpuArchitecture.X86_64 when `spot` is on, since
   * Fargate Spot runs X86_64 tasks only
   */
  readonly cpuArchitecture?: FargateCpuArchitecture;

  /**
   * Run the tasks on Fargate Spot: spare capacity at a discount, which AWS may reclaim with a
   * two-minute warning (SIGTERM). A message whose task is stopped becomes visible again after the
   * queue's visibility timeout and is processed by another task. Fargate Spot runs X86_64 tasks only.
   *
   * @default false
   */
  readonly spot?: boolean;

  /**
   * The fewest tasks the service runs. With 0 the service costs nothing while the queue is empty, and
   * a step policy starts a task when messages arrive.
   *
   * @default 0
   */
  readonly minCapacity?: number;

  /**
   * The most tasks the service runs; must be above `minCapacity`. A spike larger than these tasks can
   * drain in time raises `backlogPerTaskAlarm`. The account's Fargate vCPU quota in the Region bounds
   * it too.
   *
   * @default 10
   */
  readonly maxCapacity?: number;

  /**
   * How long a message may wait before a task takes it (above 0, at most 14 days). With
   * `processingTimePerMessage`, sets the target to acceptableLatency ÷ processingTimePerMessage
   * messages per task.
   *
   * @default - none; give `backlogPerTaskTarget` instead
   */
  readonly acceptableLatency?: Duration;

  /**
   * How long one task takes to process one message, on average (above 0, at most 12 hours). Must be
   * shorter than the queue's visibility timeout, checked when the timeout is known at synth.
   *
   * @default - none; give `backlogPerTaskTarget` instead
   */
  readonly processingTimePerMessage?: Duration;

  /**
   * How many visible messages per running task target tracking aims for (above 0, at most 2^360).
   *
   * @default - acceptableLatency ÷ processingTimePerMessage
   */
  readonly backlogPerTaskTarget?: number;

  /**
   * How long after a scale-out another scale-out may follow: about how long a task takes to start
   * and take messages (whole seconds).
   *
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;

  /**
   * How long after a scale-in another scale-in may follow (whole seconds).
   *
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;

  /**
   * The command the container runs.
   *
   * @default - the image's own command
   */
  readonly command?: string[];

  /**
   * Values from Secrets Manager or Systems Manager Parameter Store that the container gets as
   * environment variables, read by ECS when a task starts (the execution role gets read access).
   *
   * @default - only QUEUE_URL
   */
  readonly secrets?: Record<string, ecs.Secret>;

  /**
   * Plain environment variables. The AWS Solutions pack reports any environment variable in a task
   * definition (AwsSolutions-ECS2) and nothing acknowledges it: prefer `secrets` with Parameter Store
   * parameters, which the service itself uses for QUEUE_URL.
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * How long the container logs are kept. `RetentionDays.INFINITE` keeps them forever, and the NIST,
   * HIPAA and PCI packs then report the log group; nothing acknowledges that finding.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Alarm when the oldest message of the queue is older than this (1 minute to 14 days, and shorter
   * than the queue's retention period when that is known at synth).
   *
   * @default - 1 hour, or 75% of the queue's retention period when that is shorter
   */
  readonly oldestMessageAgeAlarmThreshold?: Duration;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * What happens to the container log group and its key when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Adds this construct's widget group to the stack's dashboard (StackDashboard.of(this)).
   *
   * @default true
   */
  readonly dashboard?: boolean;
}

const DEFAULT_MIN_CAPACITY = 0;
const DEFAULT_MAX_CAPACITY = 10;
const QUEUE_URL_VARIABLE = 'QUEUE_URL';
const CONTAINER_NAME = 'Worker';
/** Memory near its limit for this long: tasks are about to be stopped for running out of memory. */
const MEMORY_ALARM_PERCENT = 90;
const SUSTAINED_MINUTES = 15;
/** CloudWatch Logs log group names: at most 512 characters (CreateLogGroup API reference). */
const LOG_GROUP_NAME_ROOM = 200;
/** Parameter Store names: at most 1,011 characters counted with the parameter ARN (PutParameter API reference, Name); 200 leaves room. */
const PARAMETER_NAME_ROOM = 200;

/**
 * A Fargate service of workers that drain an SQS queue, scaled on backlog per task, in private
 * subnets.
 *
 * **Scaling.** Target tracking follows `ApproximateNumberOfMessagesVisible ÷ RunningTaskCount` (metric
 * math in an Application Auto Scaling policy, AWS's own "backlog per task" example), with the target
 * AWS recommends: acceptable latency ÷ processing time per message. At zero tasks that ratio has no
 * value, so a step policy starts one task when messages are visible and the service wants none; with
 * the queue empty the ratio is 0 and target tracking scales back to `minCapacity` (0 by default).
 * `RunningTaskCount` is a Container Insights metric, so the service's own cluster has Container
 * Insights on.
 *
 * **Workers.** ARM64 by default, no public IP, a security group without inbound rules, container
 * logs in a KMS-encrypted log group with retention, the queue URL read from Parameter Store at start
 * (no plain environment variable), and a task role with exactly: consume on the queue (and decrypt
 * with its key), and task scale-in protection on the tasks of its own cluster, through
 * customer-managed policies. The worker protects itself while it processes a message:
 * `curl -X PUT "$ECS_AGENT_URI/task-protection/v1/state" -d '{"ProtectionEnabled":true,"ExpiresInMinutes":60}'`,
 * and `{"ProtectionEnabled":false}` after deleting the message.
 *
 * **Alarms** (on the stack alarm topic): backlog per task above twice the target for 15 minutes, the
 * queue's oldest message, tasks that do not start, and memory near its limit. A WorkQueue adds its own
 * dead-letter alarms.
 */
export class QueueProcessingService extends Construct implements ec2.IConnectable {
  /** The queue the tasks drain. */
  public readonly queue: sqs.IQueue;

  /** The cluster of the service: its own, with Container Insights on. */
  public readonly cluster: ecs.Cluster;

  /** The Fargate service. */
  public readonly service: ecs.FargateService;

  /** The task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;

  /** The worker container. */
  public readonly container: ecs.ContainerDefinition;

  /** The role the worker's code runs with. Grants to it land in customer-managed policies. */
  public readonly taskRole: iam.IRole;

  /** The role ECS uses to pull the image, read the secrets and write the logs. */
  public readonly executionRole: iam.IRole;

  /** Receive, delete and change visibility on the queue (and decrypt with its key). */
  public readonly consumePolicy: iam.ManagedPolicy;

  /** UpdateTaskProtection and GetTaskProtection on the tasks of the service's cluster. */
  public readonly taskProtectionPolicy: iam.ManagedPolicy;

  /** The tasks' security group: no inbound rules, all outbound traffic. */
  public readonly securityGroup: ec2.SecurityGroup;

  /** The tasks' network connections (their security group). */
  public readonly connections: ec2.Connections;

  /** The container log group, encrypted with `logKey`. */
  public readonly logGroup: logs.LogGroup;

  /** The customer-managed key of the log group. */
  public readonly logKey: kms.Key;

  /** The Parameter Store parameter the container reads QUEUE_URL from. */
  public readonly queueUrlParameter: ssm.StringParameter;

  /** The processor architecture of the tasks. */
  public readonly cpuArchitecture: FargateCpuArchitecture;

  /** The backlog per task that target tracking aims for; a token when given as one. */
  public readonly backlogPerTaskTarget: number;

  /** The fewest tasks; a token when given as one. */
  public readonly minCapacity: number;

  /** The most tasks; a token when given as one. */
  public readonly maxCapacity: number;

  /** The service's scalable task count (Application Auto Scaling). */
  public readonly scalableTaskCount: ecs.ScalableTaskCount;

  /** The ARN of the target tracking policy on backlog per task (aws-cdk-lib's L2 takes direct metrics only). */
  public readonly backlogPerTaskScalingPolicyArn: string;

  /** The step policy that starts a task when the service has none, when `minCapacity` is 0 (or a token). */
  public readonly scaleOutFromZeroAction?: appscaling.StepScalingAction;

  /** Triggers `scaleOutFromZeroAction`: messages visible while the service wants no task. Notifies nobody. */
  public readonly scaleOutFromZeroAlarm?: cloudwatch.Alarm;

  /** Backlog per task above twice the target for 15 minutes: the service is at its maximum or cannot start tasks. */
  public readonly backlogPerTaskAlarm: cloudwatch.Alarm;

  /** The oldest message of the queue is older than `oldestMessageAgeAlarmThreshold`. */
  public readonly oldestMessageAgeAlarm: cloudwatch.Alarm;

  /** The service wanted more tasks than ran, for 15 minutes: tasks fail to start (image, secrets, capacity). */
  public readonly tasksNotRunningAlarm: cloudwatch.Alarm;

  /** A task used more than 90% of its memory for 15 minutes: it is about to be stopped for running out of memory. */
  public readonly memoryUtilizationAlarm: cloudwatch.Alarm;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: QueueProcessingServiceProps) {
    super(scope, id);
    validateRequired(this, props);
    const spot = props.spot ?? false;
    validateBoolean(this, 'spot', props.spot);
    validateEnumValue(this, 'cpuArchitecture', props.cpuArchitecture, 'FargateCpuArchitecture', FargateCpuArchitecture);
    if (spot && props.cpuArchitecture === FargateCpuArchitecture.ARM64) {
      // Amazon ECS Developer Guide, "AWS Fargate capacity providers": "Linux tasks with the ARM64
      // architecture don't support the Fargate Spot capacity provider."
      throw invalidProp(
        this,
        'cpuArchitecture',
        'must be FargateCpuArchitecture.X86_64 with spot: Fargate Spot runs X86_64 tasks only',
        'FargateCpuArchitecture.ARM64',
      );
    }
    this.cpuArchitecture =
      props.cpuArchitecture ?? (spot ? FargateCpuArchitecture.X86_64 : FargateCpuArchitecture.ARM64);
    const cpu = props.cpu ?? 256;
    const memoryLimitMiB = props.memoryLimitMiB ?? 512;
    validateTaskSize(this, cpu, memoryLimitMiB);
    this.minCapacity = props.minCapacity ?? DEFAULT_MIN_CAPACITY;
    this.maxCapacity = props.maxCapacity ?? DEFAULT_MAX_CAPACITY;
    validateCapacities(this, this.minCapacity, this.maxCapacity);
    validateCooldown(this, 'scaleOutCooldown', props.scaleOutCooldown);
    validateCooldown(this, 'scaleInCooldown', props.scaleInCooldown);
    validateRetentionDays(this, 'logRetention', props.logRetention);
    validateVariableNames(this, props.environment, props.secrets, QUEUE_URL_VARIABLE);
    validateCommand(this, props.command);
    this.backlogPerTaskTarget = scalingTarget(this, props, BacklogCapacityModel.targetFromLatency);
    const ageThreshold = oldestMessageAgeThreshold(this, props);
    const subnets = selectTaskSubnets(this, props.vpc, props.vpcSubnets);
    const removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'KMS keys and log groups');
    warnWithoutDeadLetterQueue(this, props.queue);

    this.queue = props.queue;
    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      // RunningTaskCount and DesiredTaskCount, which scaling and alarms follow, are Container Insights
      // metrics (namespace ECS/ContainerInsights); the AWS Solutions pack asks for it too (ECS4).
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: spot,
    });

    // The container logs: encrypted with a key of their own, kept for the retention asked.
    const logGroupName = `/ecs/${generatePhysicalName(this, LOG_GROUP_NAME_ROOM)}`;
    claimPhysicalName(this, {
      kind: 'CloudWatch Logs log group',
      name: logGroupName,
      prop: 'id',
      what: 'its container log group',
    });
    this.logKey = new kms.Key(this, 'LogKey', {
      description: `Encrypts the container logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    allowCloudWatchLogsToUseKey(this.logKey, logGroupName, 'AllowCloudWatchLogsForTheContainerLogGroup');
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      encryptionKey: this.logKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });

    const stack = Stack.of(this);
    const taskRole = new ManagedPolicyRole(
      this,
      'TaskRole',
      {
        description: `Task role of the workers of ${this.node.path}`,
        // Confused-deputy guard the Amazon ECS Developer Guide recommends for task roles ("Amazon ECS
        // task IAM role"): only ECS tasks of this account may assume it.
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ecs', resource: '*' }) },
          },
        }),
      },
      `Lets the workers of ${this.node.path} use what was granted to them`,
    );
    this.taskRole = taskRole;
    const executionRole = new ManagedPolicyRole(
      this,
      'ExecutionRole',
      {
        description: `Lets ECS start the workers of ${this.node.path}: pull the image, read the secrets, write the logs`,
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      },
      `Lets ECS pull the image, read the secrets and write the logs of ${this.node.path}`,
    );
    this.executionRole = executionRole;
    this.consumePolicy = addConsumePolicy(this, taskRole, this.queue);

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture:
          this.cpuArchitecture === FargateCpuArchitecture.ARM64
            ? ecs.CpuArchitecture.ARM64
            : ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      taskRole,
      executionRole,
    });

    // The queue URL reaches the container as a secret read from Parameter Store when the task starts:
    // an environment variable in the task definition is what the AWS Solutions pack reports (ECS2).
    // Named, not left to CloudFormation, so the parameter can be found by its worker's name; the fixed
    // first level keeps it clear of the "aws" and "ssm" prefixes Parameter Store refuses (PutParameter
    // API reference, Name).
    const parameterName = `/queue-processing-service/${generatePhysicalName(this, PARAMETER_NAME_ROOM)}/queue-url`;
    claimPhysicalName(this, {
      kind: 'SSM parameter',
      name: parameterName,
      prop: 'id',
      what: 'its queue URL parameter',
    });
    this.queueUrlParameter = new ssm.StringParameter(this, 'QueueUrlParameter', {
      parameterName,
      description: `The URL of the queue the workers of ${this.node.path} drain`,
      stringValue: this.queue.queueUrl,
      tier: ssm.ParameterTier.STANDARD,
    });
    this.container = this.taskDefinition.addContainer(CONTAINER_NAME, {
      image: props.image,
      command: props.command,
      essential: true,
      secrets: { ...props.secrets, [QUEUE_URL_VARIABLE]: ecs.Secret.fromSsmParameter(this.queueUrlParameter) },
      environment: props.environment,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'worker' }),
      // SIGTERM first, then SIGKILL after 2 minutes: what Fargate Spot allows on interruption.
      stopTimeout: Duration.minutes(2),
    });
    acknowledgeEcrAuthorizationToken(executionRole);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Workers of ${this.node.path}: no inbound rules`,
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      assignPublicIp: false,
      vpcSubnets: subnets,
      securityGroups: [this.securityGroup],
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      capacityProviderStrategies: spot ? [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] : undefined,
      // Workers in the middle of a message are replaced only once their replacements run.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });
    this.connections = this.service.connections;
    this.taskProtectionPolicy = addTaskProtectionPolicy(this, taskRole, this.cluster);
    // Tasks start only once their role may do its work.
    this.service.node.addDependency(this.consumePolicy, this.taskProtectionPolicy);

    this.scalableTaskCount = this.service.autoScaleTaskCount({
      minCapacity: this.minCapacity,
      maxCapacity: this.maxCapacity,
    });
    const scaleOutCooldown = props.scaleOutCooldown ?? Duration.minutes(1);
    // AWS's "backlog per task" metric math (Application Auto Scaling User Guide, "Create a target tracking
    // scaling policy for Application Auto Scaling using metric math"), as the CloudFormation resource:
    // aws-cdk-lib's TargetTrackingScalingPolicy takes direct metrics only. With the queue empty the ratio
    // is a real 0, and "when a metric emits real 0 values ... Application Auto Scaling can scale in to 0"
    // with a minimum capacity of 0 (same guide, "Target tracking scaling policies", Choosing metrics).
    this.backlogPerTaskScalingPolicyArn = new appscaling.CfnScalingPolicy(this, 'BacklogPerTaskScaling', {
      policyName: 'backlog-per-task',
      policyType: 'TargetTrackingScaling',
      scalingTargetId: this.scalableTaskCount.scalableTargetRef.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: this.backlogPerTaskTarget,
        scaleOutCooldown: secondsOf(this, 'scaleOutCooldown', scaleOutCooldown),
        scaleInCooldown: secondsOf(this, 'scaleInCooldown', props.scaleInCooldown ?? Duration.minutes(5)),
        customizedMetricSpecification: {
          metrics: backlogMetricDataQueries(
            this.queue,
            {
              namespace: 'ECS/ContainerInsights',
              metricName: 'RunningTaskCount',
              dimensions: this.taskCountDimensions(),
              label: 'Running tasks of the service',
            },
            'Backlog per task',
          ),
        },
      },
    }).attrArn;

    // At zero tasks the ratio has no value (no RunningTaskCount to divide by; Amazon ECS publishes no
    // service metric without a RUNNING task, Developer Guide "Amazon ECS CloudWatch metrics"), and target
    // tracking does not act on INSUFFICIENT_DATA: a step policy takes the service out of zero.
    if (Token.isUnresolved(this.minCapacity) || this.minCapacity === 0) {
      this.scaleOutFromZeroAction = new appscaling.StepScalingAction(this, 'ScaleOutFromZero', {
        scalingTarget: this.scalableTaskCount,
        policyName: 'scale-out-from-zero',
        // One more task, never a fixed count: should the task-count metric lag behind, this policy can
        // only add a task, which target tracking takes back, and never cut a busy service to one.
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
        cooldown: Duration.seconds(secondsOf(this, 'scaleOutCooldown', scaleOutCooldown)),
      });
      this.scaleOutFromZeroAction.addAdjustment({ adjustment: 1, lowerBound: 0 });
      this.scaleOutFromZeroAlarm = new cloudwatch.Alarm(this, 'ScaleOutFromZeroAlarm', {
        alarmDescription: `Messages wait in the queue of ${this.node.path} and the service wants no task: start one.`,
        metric: new cloudwatch.MathExpression({
          // No RunningTaskCount datapoint at zero tasks; a missing DesiredTaskCount counts as 0.
          expression: 'IF(FILL(desired, 0) < 1, visible, 0)',
          usingMetrics: {
            visible: this.queue.metricApproximateNumberOfMessagesVisible({
              statistic: cloudwatch.Stats.MAXIMUM,
              period: BACKLOG_PERIOD,
            }),
            desired: this.metricDesiredTaskCount({ statistic: cloudwatch.Stats.MAXIMUM }),
          },
          label: 'Visible messages while the service wants no task',
          period: BACKLOG_PERIOD,
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.scaleOutFromZeroAlarm.addAlarmAction(
        new cloudwatchActions.ApplicationScalingAction(this.scaleOutFromZeroAction),
      );
    }

    this.backlogPerTaskAlarm = addFallingBehindAlarm(this, 'BacklogPerTaskAlarm', {
      backlogPerWorker: this.metricBacklogPerTask(),
      targetValue: this.backlogPerTaskTarget,
      alarmTopic: this.alarmTopic,
      workerNoun: 'task',
      what: 'the service',
    });
    this.oldestMessageAgeAlarm = notifyingAlarm(this, 'OldestMessageAgeAlarm', {
      alarmTopic: this.alarmTopic,
      description: `The oldest message of the queue of ${this.node.path} waits longer than ${ageThreshold.isUnresolved() ? 'the threshold' : ageThreshold.toHumanString()}: the tasks are stuck, too few or cannot start.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      threshold: ageThreshold.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.tasksNotRunningAlarm = notifyingAlarm(this, 'TasksNotRunningAlarm', {
      alarmTopic: this.alarmTopic,
      description:
        `${this.node.path} wanted more tasks than ran for ${SUSTAINED_MINUTES} minutes: tasks fail to start ` +
        '(image pull, secrets, Fargate or Fargate Spot capacity, subnet addresses). See the service events.',
      metric: new cloudwatch.MathExpression({
        expression: 'desired - running',
        usingMetrics: {
          desired: this.metricDesiredTaskCount(),
          running: this.metricRunningTaskCount(),
        },
        label: 'Tasks wanted but not running',
        period: BACKLOG_PERIOD,
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: SUSTAINED_MINUTES,
    });
    this.memoryUtilizationAlarm = notifyingAlarm(this, 'MemoryUtilizationAlarm', {
      alarmTopic: this.alarmTopic,
      description:
        `A task of ${this.node.path} used more than ${MEMORY_ALARM_PERCENT}% of its memory for ${SUSTAINED_MINUTES} minutes: ` +
        'it is about to be stopped for running out of memory; give the tasks more memory.',
      metric: this.service.metricMemoryUtilization({ statistic: cloudwatch.Stats.MAXIMUM, period: BACKLOG_PERIOD }),
      threshold: MEMORY_ALARM_PERCENT,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: SUSTAINED_MINUTES,
    });

    addQueueProcessingServiceWidgets(this, props.dashboard);
  }

  /**
   * Every alarm the service made. All but `scaleOutFromZeroAlarm` notify the alarm topic; that one
   * scales the service and notifies nobody (starting from zero is routine).
   */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.backlogPerTaskAlarm,
      this.oldestMessageAgeAlarm,
      this.tasksNotRunningAlarm,
      this.memoryUtilizationAlarm,
      this.scaleOutFromZeroAlarm,
    ].filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined);
  }

  /**
   * Backlog per task, the metric target tracking follows: the queue's visible messages (Sum) ÷ the
   * service's running tasks (Average), per minute by default.
   */
  public metricBacklogPerTask(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return backlogPerWorkerExpression(this.queue, this.metricRunningTaskCount(), 'Backlog per task', props);
  }

  /** The service's running tasks (`ECS/ContainerInsights` `RunningTaskCount`), Average per minute by default. */
  public metricRunningTaskCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.containerInsightsMetric('RunningTaskCount', props);
  }

  /** The tasks the service wants (`ECS/ContainerInsights` `DesiredTaskCount`), Average per minute by default. */
  public metricDesiredTaskCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.containerInsightsMetric('DesiredTaskCount', props);
  }

  private containerInsightsMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: this.taskCountDimensions(),
      statistic: cloudwatch.Stats.AVERAGE,
      period: BACKLOG_PERIOD,
      ...props,
    });
  }

  private taskCountDimensions(): Record<string, string> {
    return { ClusterName: this.cluster.clusterName, ServiceName: this.service.serviceName };
  }
}

function validateRequired(scope: QueueProcessingService, props: QueueProcessingServiceProps): void {
  if (props === undefined || props === null || typeof props !== 'object') {
    throw invalidProp(scope, 'props', 'must give queue, vpc and image', props);
  }
  if (typeof props.queue?.queueArn !== 'string') {
    throw invalidProp(scope, 'queue', 'must be an sqs.IQueue', props.queue);
  }
  if (typeof props.vpc?.vpcId !== 'string') {
    throw invalidProp(scope, 'vpc', 'must be an ec2.IVpc', props.vpc);
  }
  if (typeof (props.image as Partial<ecs.ContainerImage> | undefined)?.bind !== 'function') {
    throw invalidProp(scope, 'image', 'must be an ecs.ContainerImage', props.image);
  }
}

function validateCommand(scope: QueueProcessingService, command: string[] | undefined): void {
  if (command === undefined) {
    return;
  }
  if (!Array.isArray(command) || command.length === 0 || command.some((part) => typeof part !== 'string')) {
    throw invalidProp(scope, 'command', 'must be a non-empty list of strings', command);
  }
}

/** SQS keeps messages 60 seconds to 14 days (MessageRetentionPeriod, SetQueueAttributes API reference). */
const DEFAULT_AGE_THRESHOLD = Duration.hours(1);

/**
 * The threshold of the oldest-message alarm: given (1 minute to 14 days), or 1 hour; either way
 * shorter than the queue's retention when that is known, since a message older than the retention is
 * deleted and the alarm could never fire.
 */
function oldestMessageAgeThreshold(scope: QueueProcessingService, props: QueueProcessingServiceProps): Duration {
  const given = props.oldestMessageAgeAlarmThreshold;
  validateDurationInRange(scope, 'oldestMessageAgeAlarmThreshold', given, Duration.minutes(1), Duration.days(14));
  const retention = knownRetentionPeriod(props.queue);
  if (given !== undefined) {
    if (given.isUnresolved()) {
      // A deploy-time threshold is compared with nothing; it reaches the template in seconds.
      return Duration.seconds(secondsOf(scope, 'oldestMessageAgeAlarmThreshold', given));
    }
    if (retention !== undefined && durationMillis(given) >= retention.toMilliseconds()) {
      throw invalidProp(
        scope,
        'oldestMessageAgeAlarmThreshold',
        `must be shorter than the queue's retention period (${retention.toHumanString()}): older messages are deleted and the alarm could never fire`,
        given,
      );
    }
    return given;
  }
  if (retention !== undefined && retention.toMilliseconds() <= DEFAULT_AGE_THRESHOLD.toMilliseconds()) {
    return Duration.seconds(Math.max(1, Math.floor(retention.toSeconds() * 0.75)));
  }
  return DEFAULT_AGE_THRESHOLD;
}

/**
 * The queue's retention period when it is known at synth: an `sqs.Queue` of this app (its
 * `MessageRetentionPeriod`, 4 days when unset), or the source queue of a WorkQueue (matched by shape, so
 * that this module depends on no other construct). Undefined for an imported queue or a token.
 */
function knownRetentionPeriod(queue: sqs.IQueue): Duration | undefined {
  const source = (queue as { readonly queue?: unknown }).queue;
  const candidate = source instanceof sqs.Queue ? source : queue;
  const resource = candidate.node.defaultChild;
  if (resource === undefined || !sqs.CfnQueue.isCfnQueue(resource)) {
    return undefined;
  }
  const seconds = resource.messageRetentionPeriod;
  if (seconds === undefined) {
    return Duration.days(4);
  }
  return Token.isUnresolved(seconds) ? undefined : Duration.seconds(seconds);
}

/**
 * A queue of this app without a dead-letter queue retries a failing message until it expires, and
 * nothing alarms: worth a warning. A WorkQueue always has one; an imported queue cannot be checked.
 */
function warnWithoutDeadLetterQueue(scope: QueueProcessingService, queue: sqs.IQueue): void {
  if (queue instanceof sqs.Queue && queue.deadLetterQueue === undefined) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:queue-without-dead-letter-queue',
      `The queue ${queue.node.path} has no dead-letter queue: a message that keeps failing is retried until it expires, and no alarm tells anyone. Use a WorkQueue, or give the queue a deadLetterQueue.`,
    );
  }
}
