import { Annotations, Aws, Duration, Lazy, Size, SizeRoundingBehavior, Stack, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { BacklogCapacityModel } from './backlog-capacity-model';
import { notifyingAlarm } from './private/alarms';
import { generatePhysicalName } from './private/naming';
import { invalidProp, validateDurationInRange, validateIntegerInRange } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';
import { WorkQueue } from './work-queue';

/**
 * Properties of a QueueProcessingFleet.
 *
 * The scaling target is either `backlogPerInstanceTarget`, or `acceptableLatency` with
 * `processingTimePerMessage` (target = acceptableLatency ÷ processingTimePerMessage); exactly one
 * of the two must be given.
 */
export interface QueueProcessingFleetProps {
  /**
   * The queue the fleet drains. The instances may receive, delete and change the visibility of
   * its messages (and decrypt them when the queue uses a KMS key), nothing else of SQS.
   */
  readonly queue: WorkQueue;

  /** The VPC the instances run in. */
  readonly vpc: ec2.IVpc;

  /**
   * Where in the VPC the instances run. Public subnets are refused: the fleet never gets public
   * IP addresses, so it needs private subnets with a NAT gateway, or isolated subnets with VPC
   * endpoints for SQS, Auto Scaling and (for shell access) Systems Manager.
   *
   * @default - the VPC's private subnets, or its isolated subnets if it has no private ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The instance type of the workers.
   *
   * @default - m7g.large (Graviton, general purpose)
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * The image the workers boot.
   *
   * @default - the latest Amazon Linux 2023 for the instance type's architecture
   */
  readonly machineImage?: ec2.IMachineImage;

  /**
   * The worker's start script: a Linux shell script (`ec2.UserData.forLinux()`), which runs
   * after the fleet's own lines have written `/etc/queue-processing-fleet.env` and exported its
   * variables: `QUEUE_URL`, `AWS_REGION`, `AWS_DEFAULT_REGION` and `AUTO_SCALING_GROUP_NAME`.
   * Commands added to it after the fleet is created are included. A worker that runs as a
   * service can read the same file with systemd's `EnvironmentFile=`.
   *
   * @default - only the environment file; add commands to `fleet.userData`
   */
  readonly userData?: ec2.UserData;

  /**
   * The size of the encrypted root volume.
   *
   * @default Size.gibibytes(8)
   */
  readonly rootVolumeSize?: Size;

  /**
   * The root device name of the machine image, which the encrypted root volume replaces.
   *
   * @default '/dev/xvda' (Amazon Linux)
   */
  readonly rootDeviceName?: string;

  /**
   * The fewest instances the fleet runs. With 0 the fleet costs nothing while the queue is empty,
   * and a second policy brings it out of zero when messages arrive.
   *
   * @default 0
   */
  readonly minCapacity?: number;

  /**
   * The most instances the fleet runs; a spike larger than this fleet can drain in time raises
   * `backlogPerInstanceAlarm`.
   *
   * @default 10
   */
  readonly maxCapacity?: number;

  /**
   * How long a message may wait before a worker takes it. With `processingTimePerMessage`, sets
   * the scaling target to acceptableLatency ÷ processingTimePerMessage messages per instance.
   *
   * @default - none; give `backlogPerInstanceTarget` instead
   */
  readonly acceptableLatency?: Duration;

  /**
   * How long one instance takes to process one message, on average. Must be shorter than the
   * queue's visibility timeout, or a message becomes visible again while it is being processed.
   *
   * @default - none; give `backlogPerInstanceTarget` instead
   */
  readonly processingTimePerMessage?: Duration;

  /**
   * How many visible messages per in-service instance target tracking aims for.
   *
   * @default - acceptableLatency ÷ processingTimePerMessage
   */
  readonly backlogPerInstanceTarget?: number;

  /**
   * How long a new instance takes until it processes messages and its capacity should count
   * (0 seconds to 1 hour). Used as the group's default instance warm-up and the policies' estimate.
   *
   * @default Duration.minutes(5)
   */
  readonly estimatedInstanceWarmup?: Duration;

  /**
   * The group's default cooldown after a simple scaling activity (1 second to 1 hour). The fleet's
   * own policies are target tracking and step scaling, which use the warm-up instead.
   *
   * @default Duration.minutes(5)
   */
  readonly cooldown?: Duration;

  /**
   * Whether the instances may run the Systems Manager agent's Session Manager channel, for shell
   * access without SSH keys or inbound ports.
   *
   * @default true
   */
  readonly sessionManagerAccess?: boolean;

  /**
   * The topic the alarm and the group's launch and terminate notifications go to.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;
}

/** The file the fleet's user data writes the worker's environment to. */
const ENVIRONMENT_FILE = '/etc/queue-processing-fleet.env';

/** The falling-behind alarm: backlog per instance above this multiple of the target ... */
const FALLING_BEHIND_FACTOR = 2;
/** ... for this many consecutive minutes. Target tracking jumps straight to ceil(backlog ÷ target), so after a normal scale-out that long, the group is at its maximum or cannot launch. */
const FALLING_BEHIND_MINUTES = 15;

const AUTO_SCALING_GROUP_NAME_MAX_LENGTH = 255;

/** Keys whose policy already lets Auto Scaling publish notifications (one statement per key). */
const keysOpenedToAutoScaling = new WeakSet<kms.IKey>();

/**
 * An EC2 Auto Scaling group of workers that drain a WorkQueue, scaled on backlog per instance.
 *
 * Target tracking follows `ApproximateNumberOfMessagesVisible ÷ GroupInServiceInstances` (metric
 * math, emitted as a CloudFormation scaling policy, since aws-cdk-lib's L2 accepts direct metrics
 * only), with the target AWS recommends: acceptable latency ÷ processing time per message. At
 * zero instances that ratio has no value, so a step policy sets the group to one instance when
 * messages are visible and the group is empty.
 *
 * The instances run with IMDSv2 only, an encrypted root volume, detailed monitoring, no public
 * IP address, no SSH key and a security group without inbound rules. Their role has exactly:
 * consume on the queue (and decrypt with its key), scale-in protection of instances of this
 * group, and Session Manager's channel — through customer-managed policies.
 *
 * The worker's side: mark the instance protected from scale-in
 * (`aws autoscaling set-instance-protection --protected-from-scale-in`) before processing a
 * message and unprotect it after deleting the message, so scale-in never terminates an instance
 * in the middle of a message.
 */
export class QueueProcessingFleet extends Construct implements ec2.IConnectable {
  /** The queue the fleet drains. */
  public readonly queue: WorkQueue;

  /** The Auto Scaling group. */
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;

  /** The group's name, set at synth so the role's policy can name the group before it exists. */
  public readonly autoScalingGroupName: string;

  /** The launch template the group launches instances from. */
  public readonly launchTemplate: ec2.LaunchTemplate;

  /** The user data of the launch template: the environment file, then the worker's script. */
  public readonly userData: ec2.UserData;

  /** The instances' role. */
  public readonly role: iam.Role;

  /** The instances' security group: no inbound rules, all outbound traffic. */
  public readonly securityGroup: ec2.SecurityGroup;

  /** The instances' network connections (their security group). */
  public readonly connections: ec2.Connections;

  /** Receive, delete and change visibility on the queue (and decrypt with its key). */
  public readonly consumePolicy: iam.ManagedPolicy;

  /** Set scale-in protection on instances of this group. */
  public readonly scaleInProtectionPolicy: iam.ManagedPolicy;

  /** What the Systems Manager agent needs for Session Manager, when `sessionManagerAccess` is on. */
  public readonly sessionManagerPolicy?: iam.ManagedPolicy;

  /** The backlog per instance that target tracking aims for; a token when given as one. */
  public readonly backlogPerInstanceTarget: number;

  /** The ARN of the target tracking policy on backlog per instance (aws-cdk-lib's L2 cannot express it, hence no L2 object). */
  public readonly backlogPerInstanceScalingPolicyArn: string;

  /** The step policy that takes an empty group to one instance, when `minCapacity` is 0. */
  public readonly scaleOutFromZeroAction?: autoscaling.StepScalingAction;

  /**
   * The alarm that triggers `scaleOutFromZeroAction`: messages visible while the group's desired
   * capacity is 0. It scales the group and notifies nobody.
   */
  public readonly scaleOutFromZeroAlarm?: cloudwatch.Alarm;

  /**
   * Alarms when the backlog per instance stays above twice the target for 15 minutes: the fleet
   * is at its maximum (or cannot launch) and messages wait about twice the acceptable latency.
   */
  public readonly backlogPerInstanceAlarm: cloudwatch.Alarm;

  /** The topic the alarm and the group's notifications go to. */
  public readonly alarmTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: QueueProcessingFleetProps) {
    super(scope, id);

    const target = validateProps(this, props);
    const subnets = selectPrivateSubnets(this, props.vpc, props.vpcSubnets);
    const minCapacity = props.minCapacity ?? 0;
    const maxCapacity = props.maxCapacity ?? 10;
    const warmup = props.estimatedInstanceWarmup ?? Duration.minutes(5);

    this.queue = props.queue;
    this.backlogPerInstanceTarget = target;
    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    this.autoScalingGroupName = generatePhysicalName(this, AUTO_SCALING_GROUP_NAME_MAX_LENGTH);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Workers of ${this.node.path}: no inbound rules`,
      allowAllOutbound: true,
    });

    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Instance role of the workers of ${this.node.path}`,
    });
    this.consumePolicy = this.createConsumePolicy();
    this.scaleInProtectionPolicy = this.createScaleInProtectionPolicy();
    if (props.sessionManagerAccess ?? true) {
      this.sessionManagerPolicy = this.createSessionManagerPolicy();
    }

    this.userData = ec2.UserData.forLinux();
    this.userData.addCommands(...this.environmentCommands());
    if (props.userData) {
      const workerScript = props.userData;
      this.userData.addCommands(Lazy.string({ produce: () => this.workerScriptLines(workerScript) }));
    }

    const instanceType = props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.LARGE);
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType,
      machineImage:
        props.machineImage ??
        ec2.MachineImage.latestAmazonLinux2023({
          cpuType:
            instanceType.architecture === ec2.InstanceArchitecture.ARM_64
              ? ec2.AmazonLinuxCpuType.ARM_64
              : ec2.AmazonLinuxCpuType.X86_64,
        }),
      userData: this.userData,
      role: this.role,
      securityGroup: this.securityGroup,
      httpEndpoint: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      // 1: a container on the instance cannot reach the metadata service and the role's credentials.
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      associatePublicIpAddress: false,
      blockDevices: [
        {
          deviceName: props.rootDeviceName ?? '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(
            (props.rootVolumeSize ?? Size.gibibytes(8)).toGibibytes({ rounding: SizeRoundingBehavior.NONE }),
            { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3, deleteOnTermination: true },
          ),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      autoScalingGroupName: this.autoScalingGroupName,
      vpc: props.vpc,
      vpcSubnets: subnets,
      launchTemplate: this.launchTemplate,
      minCapacity,
      maxCapacity,
      cooldown: props.cooldown ?? Duration.minutes(5),
      defaultInstanceWarmup: warmup,
      // GroupInServiceInstances is the divisor of the scaling metric and is published only when
      // collected; desired capacity drives the zero-to-one alarm.
      groupMetrics: [
        new autoscaling.GroupMetrics(
          autoscaling.GroupMetric.IN_SERVICE_INSTANCES,
          autoscaling.GroupMetric.DESIRED_CAPACITY,
          autoscaling.GroupMetric.MIN_SIZE,
          autoscaling.GroupMetric.MAX_SIZE,
          autoscaling.GroupMetric.PENDING_INSTANCES,
          autoscaling.GroupMetric.TERMINATING_INSTANCES,
          autoscaling.GroupMetric.TOTAL_INSTANCES,
        ),
      ],
      notifications: [{ topic: this.alarmTopic, scalingEvents: autoscaling.ScalingEvents.ALL }],
    });
    // Instances launch only once their role may do its work.
    this.autoScalingGroup.node.addDependency(
      ...[this.consumePolicy, this.scaleInProtectionPolicy, this.sessionManagerPolicy].filter(
        (policy): policy is iam.ManagedPolicy => policy !== undefined,
      ),
    );
    this.connections = this.autoScalingGroup.connections;
    this.allowAutoScalingNotifications();

    const backlogPerInstanceScalingPolicy = new autoscaling.CfnScalingPolicy(this, 'BacklogPerInstanceScaling', {
      autoScalingGroupName: this.autoScalingGroup.autoScalingGroupName,
      policyType: 'TargetTrackingScaling',
      estimatedInstanceWarmup: warmup.toSeconds(),
      targetTrackingConfiguration: {
        targetValue: target,
        customizedMetricSpecification: {
          // AWS's recommended metric, as in the EC2 Auto Scaling User Guide's metric-math example.
          metrics: [
            {
              id: 'm1',
              label: 'Visible messages in the queue',
              metricStat: {
                metric: {
                  namespace: 'AWS/SQS',
                  metricName: 'ApproximateNumberOfMessagesVisible',
                  dimensions: [{ name: 'QueueName', value: this.queue.queueName }],
                },
                stat: 'Sum',
              },
              returnData: false,
            },
            {
              id: 'm2',
              label: 'In-service instances of the group',
              metricStat: {
                metric: {
                  namespace: 'AWS/AutoScaling',
                  metricName: 'GroupInServiceInstances',
                  dimensions: [{ name: 'AutoScalingGroupName', value: this.autoScalingGroup.autoScalingGroupName }],
                },
                stat: 'Average',
              },
              returnData: false,
            },
            { id: 'e1', label: 'Backlog per instance', expression: 'm1 / m2', returnData: true },
          ],
        },
      },
    });
    this.backlogPerInstanceScalingPolicyArn = backlogPerInstanceScalingPolicy.attrArn;

    if (Token.isUnresolved(minCapacity) || minCapacity === 0) {
      this.scaleOutFromZeroAction = new autoscaling.StepScalingAction(this, 'ScaleOutFromZero', {
        autoScalingGroup: this.autoScalingGroup,
        adjustmentType: autoscaling.AdjustmentType.EXACT_CAPACITY,
        metricAggregationType: autoscaling.MetricAggregationType.MAXIMUM,
        estimatedInstanceWarmup: warmup,
      });
      this.scaleOutFromZeroAction.addAdjustment({ adjustment: 1, lowerBound: 0 });
      this.scaleOutFromZeroAlarm = new cloudwatch.Alarm(this, 'ScaleOutFromZeroAlarm', {
        alarmDescription: `Messages wait in the queue of ${this.node.path} and the group has no instances: start one.`,
        metric: new cloudwatch.MathExpression({
          expression: 'IF(desired < 1, visible, 0)',
          usingMetrics: {
            visible: this.queue.metricApproximateNumberOfMessagesVisible({
              statistic: cloudwatch.Stats.MAXIMUM,
              period: Duration.minutes(1),
            }),
            desired: this.metricGroupDesiredCapacity({ statistic: cloudwatch.Stats.MAXIMUM }),
          },
          label: 'Visible messages while the group is empty',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.scaleOutFromZeroAlarm.addAlarmAction(new cloudwatchActions.AutoScalingAction(this.scaleOutFromZeroAction));
    }

    this.backlogPerInstanceAlarm = notifyingAlarm(this, 'BacklogPerInstanceAlarm', {
      alarmTopic: this.alarmTopic,
      description:
        `The backlog per instance of ${this.node.path} stayed above ${FALLING_BEHIND_FACTOR} × its target for ` +
        `${FALLING_BEHIND_MINUTES} minutes: the fleet is at its maximum or cannot launch, and messages wait longer than planned.`,
      metric: this.metricBacklogPerInstance(),
      threshold: Token.isUnresolved(target) ? target : target * FALLING_BEHIND_FACTOR,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: FALLING_BEHIND_MINUTES,
      datapointsToAlarm: FALLING_BEHIND_MINUTES,
    });
  }

  /** The alarms that notify the alarm topic. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.backlogPerInstanceAlarm];
  }

  /**
   * Backlog per instance, the metric target tracking follows: the queue's visible messages
   * (Sum) ÷ the group's in-service instances (Average), per minute.
   */
  public metricBacklogPerInstance(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'm1 / m2',
      usingMetrics: {
        m1: this.queue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.SUM,
          period: Duration.minutes(1),
        }),
        m2: this.metricGroupInServiceInstances(),
      },
      label: 'Backlog per instance',
      period: Duration.minutes(1),
    });
  }

  /** The group's in-service instances (`AWS/AutoScaling` `GroupInServiceInstances`), Average per minute by default. */
  public metricGroupInServiceInstances(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.groupMetric('GroupInServiceInstances', props);
  }

  /** The group's desired capacity (`AWS/AutoScaling` `GroupDesiredCapacity`), Average per minute by default. */
  public metricGroupDesiredCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.groupMetric('GroupDesiredCapacity', props);
  }

  private groupMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/AutoScaling',
      metricName,
      dimensionsMap: { AutoScalingGroupName: this.autoScalingGroupName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      ...props,
    });
  }

  private createConsumePolicy(): iam.ManagedPolicy {
    const policy = new iam.ManagedPolicy(this, 'ConsumePolicy', {
      description: `Lets the workers of ${this.node.path} consume messages of their queue`,
    });
    // The queue's own grant decides the actions; it writes them into this customer-managed policy
    // instead of an inline policy on the role.
    this.queue.grantConsumeMessages(new ManagedPolicyPrincipal(policy, Stack.of(this).account));
    policy.attachToRole(this.role);
    return policy;
  }

  private createScaleInProtectionPolicy(): iam.ManagedPolicy {
    const stack = Stack.of(this);
    // The group's ARN holds a UUID that AWS assigns at creation and CloudFormation does not return;
    // the name after it identifies the group.
    const groupArn = `arn:${Aws.PARTITION}:autoscaling:${stack.region}:${stack.account}:autoScalingGroup:*:autoScalingGroupName/${this.autoScalingGroupName}`;
    const policy = new iam.ManagedPolicy(this, 'ScaleInProtectionPolicy', {
      description: `Lets the workers of ${this.node.path} protect instances of their group from scale-in while they work`,
      statements: [
        new iam.PolicyStatement({
          actions: ['autoscaling:SetInstanceProtection'],
          resources: [groupArn],
        }),
      ],
    });
    policy.attachToRole(this.role);
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${flattenForNag(stack.resolve(groupArn))}]`,
      reason:
        "The group's ARN contains a UUID that EC2 Auto Scaling assigns at creation and CloudFormation does not return; " +
        'the wildcard stands for that UUID only, and the group name after it names this group.',
    });
    return policy;
  }

  private createSessionManagerPolicy(): iam.ManagedPolicy {
    const policy = new iam.ManagedPolicy(this, 'SessionManagerPolicy', {
      description: `Lets the Systems Manager agent on the workers of ${this.node.path} open Session Manager shells`,
      statements: [
        // AWS's documented Session Manager instance policy (the actions of AWSCloud9SSMInstanceProfile).
        new iam.PolicyStatement({
          actions: [
            'ssm:UpdateInstanceInformation',
            'ssmmessages:CreateControlChannel',
            'ssmmessages:CreateDataChannel',
            'ssmmessages:OpenControlChannel',
            'ssmmessages:OpenDataChannel',
          ],
          resources: ['*'],
        }),
      ],
    });
    policy.attachToRole(this.role);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The ssmmessages actions have no resource types, and ssm:UpdateInstanceInformation only optional ones that ' +
        'the agent does not use for its heartbeat: IAM accepts no resource but * for them. The actions are exact.',
    });
    return policy;
  }

  private environmentCommands(): string[] {
    const region = Stack.of(this).region;
    return [
      `cat > ${ENVIRONMENT_FILE} <<'EOF'`,
      `QUEUE_URL=${this.queue.queueUrl}`,
      `AWS_REGION=${region}`,
      `AWS_DEFAULT_REGION=${region}`,
      `AUTO_SCALING_GROUP_NAME=${this.autoScalingGroupName}`,
      'EOF',
      `set -a; . ${ENVIRONMENT_FILE}; set +a`,
    ];
  }

  private workerScriptLines(workerScript: ec2.UserData): string {
    const rendered = workerScript.render();
    const [firstLine, ...rest] = rendered.split('\n');
    if (!firstLine.startsWith('#!')) {
      throw invalidProp(
        this,
        'userData',
        'must be a Linux shell script starting with "#!" (ec2.UserData.forLinux())',
        firstLine.slice(0, 40),
      );
    }
    return rest.join('\n');
  }

  /**
   * EC2 Auto Scaling publishes the group's notifications with its service-linked role, and SNS
   * encrypts them with the topic's key on that role's behalf: without this statement in the key
   * policy the notifications are dropped. `aws:PrincipalArn` (rather than the role as principal)
   * keeps the key policy valid in an account where that role does not exist yet.
   */
  private allowAutoScalingNotifications(): void {
    const key = this.alarmTopic.masterKey;
    if (!key || keysOpenedToAutoScaling.has(key)) {
      return;
    }
    const stack = Stack.of(this);
    const result = key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAutoScalingNotifications',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${stack.account}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
          },
        },
      }),
    );
    if (result.statementAdded) {
      keysOpenedToAutoScaling.add(key);
    } else {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:alarmTopicKeyPolicy',
        'alarmTopic is encrypted with a key whose policy this stack cannot change. Allow the role ' +
          "AWSServiceRoleForAutoScaling kms:GenerateDataKey* and kms:Decrypt on it, or the group's notifications are dropped.",
      );
    }
  }
}

/**
 * A grantee for the queue's grant methods whose statements land in a customer-managed policy, so
 * the role gets no inline policy (which the NIST, HIPAA and PCI packs reject).
 */
class ManagedPolicyPrincipal extends iam.PrincipalBase {
  public readonly policyFragment = new iam.PrincipalPolicyFragment({});

  constructor(
    private readonly policy: iam.ManagedPolicy,
    public readonly principalAccount: string,
  ) {
    super();
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }

  public dedupeString(): string | undefined {
    return undefined;
  }
}

function validateProps(scope: Construct, props: QueueProcessingFleetProps): number {
  const { minCapacity, maxCapacity } = props;
  if (
    minCapacity !== undefined &&
    !Token.isUnresolved(minCapacity) &&
    !(Number.isInteger(minCapacity) && minCapacity >= 0)
  ) {
    throw invalidProp(scope, 'minCapacity', 'must be an integer of at least 0', minCapacity);
  }
  if (
    maxCapacity !== undefined &&
    !Token.isUnresolved(maxCapacity) &&
    !(Number.isInteger(maxCapacity) && maxCapacity >= 1)
  ) {
    throw invalidProp(scope, 'maxCapacity', 'must be an integer of at least 1', maxCapacity);
  }
  const min = minCapacity ?? 0;
  const max = maxCapacity ?? 10;
  if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && min > max) {
    throw invalidProp(scope, 'minCapacity', `must not be greater than maxCapacity (${max})`, min);
  }
  validateDurationInRange(
    scope,
    'estimatedInstanceWarmup',
    props.estimatedInstanceWarmup,
    Duration.seconds(0),
    Duration.hours(1),
  );
  validateDurationInRange(scope, 'cooldown', props.cooldown, Duration.seconds(1), Duration.hours(1));
  if (
    props.rootVolumeSize &&
    !Token.isUnresolved(props.rootVolumeSize.toGibibytes({ rounding: SizeRoundingBehavior.NONE }))
  ) {
    validateIntegerInRange(
      scope,
      'rootVolumeSize (GiB)',
      props.rootVolumeSize.toGibibytes({ rounding: SizeRoundingBehavior.NONE }),
      1,
      16_384,
    );
  }
  return scalingTarget(scope, props);
}

/** The backlog per instance to track, from whichever of the two ways it was given. */
function scalingTarget(scope: Construct, props: QueueProcessingFleetProps): number {
  const { acceptableLatency, processingTimePerMessage, backlogPerInstanceTarget } = props;
  const fromLatency = acceptableLatency !== undefined || processingTimePerMessage !== undefined;
  const expected = 'backlogPerInstanceTarget, or acceptableLatency with processingTimePerMessage';
  if (backlogPerInstanceTarget !== undefined && fromLatency) {
    throw invalidProp(scope, 'scaling target', `takes either ${expected}, not both`, 'both');
  }
  if (backlogPerInstanceTarget === undefined && !fromLatency) {
    throw invalidProp(scope, 'scaling target', `needs ${expected}`, 'neither');
  }

  if (processingTimePerMessage !== undefined) {
    validateShorterThanVisibilityTimeout(scope, processingTimePerMessage, props.queue);
  }
  if (backlogPerInstanceTarget !== undefined) {
    if (
      !Token.isUnresolved(backlogPerInstanceTarget) &&
      !(Number.isFinite(backlogPerInstanceTarget) && backlogPerInstanceTarget > 0)
    ) {
      throw invalidProp(scope, 'backlogPerInstanceTarget', 'must be a finite number above 0', backlogPerInstanceTarget);
    }
    return backlogPerInstanceTarget;
  }
  if (acceptableLatency === undefined || processingTimePerMessage === undefined) {
    const missing = acceptableLatency === undefined ? 'acceptableLatency' : 'processingTimePerMessage';
    throw invalidProp(
      scope,
      missing,
      'must be set too: the target is acceptableLatency ÷ processingTimePerMessage',
      'undefined',
    );
  }
  if (acceptableLatency.isUnresolved() || processingTimePerMessage.isUnresolved()) {
    // CloudFormation cannot divide, so a target from tokens could never be computed.
    throw invalidProp(
      scope,
      'acceptableLatency and processingTimePerMessage',
      'must be known at synth to compute the target; give backlogPerInstanceTarget as a token instead',
      'a token',
    );
  }
  const target = BacklogCapacityModel.targetFromLatency(acceptableLatency, processingTimePerMessage);
  if (!(Number.isFinite(target) && target > 0)) {
    throw invalidProp(
      scope,
      'acceptableLatency ÷ processingTimePerMessage',
      'must be a finite number above 0',
      `${target} (${acceptableLatency.toHumanString()} ÷ ${processingTimePerMessage.toHumanString()})`,
    );
  }
  return target;
}

function validateShorterThanVisibilityTimeout(scope: Construct, processingTime: Duration, queue: WorkQueue): void {
  const visibilityTimeout = queue.visibilityTimeout;
  if (processingTime.isUnresolved() || visibilityTimeout.isUnresolved()) {
    return;
  }
  if (processingTime.toMilliseconds() >= visibilityTimeout.toMilliseconds()) {
    throw invalidProp(
      scope,
      'processingTimePerMessage',
      `must be shorter than the queue's visibility timeout (${visibilityTimeout.toHumanString()}), or a message ` +
        'becomes visible again while a worker still processes it and another worker processes it too',
      processingTime,
    );
  }
}

function selectPrivateSubnets(
  scope: Construct,
  vpc: ec2.IVpc,
  selection: ec2.SubnetSelection | undefined,
): ec2.SubnetSelection {
  const selected = vpc.selectSubnets(selection);
  const publicIds = new Set(vpc.publicSubnets.map((subnet) => subnet.subnetId));
  const publicSelected = selected.subnets.filter((subnet) => publicIds.has(subnet.subnetId));
  if (selected.hasPublic || publicSelected.length > 0) {
    throw invalidProp(
      scope,
      'vpcSubnets',
      'must select only private or isolated subnets (the fleet never gets public IP addresses)',
      `public subnets ${publicSelected.map((subnet) => subnet.subnetId).join(', ')}`,
    );
  }
  return { subnets: selected.subnets };
}

/**
 * A resolved CloudFormation value as cdk-nag names it in a granular finding id: `Fn::Join`
 * concatenated, `Ref` as `<Name>`, `Fn::GetAtt` as `<Name.Attribute>`.
 */
function flattenForNag(value: unknown): string {
  if (typeof value === 'string') {
    return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  if (value !== null && typeof value === 'object') {
    const intrinsic = value as Record<string, any>;
    if (intrinsic['Fn::Join']) {
      const [delimiter, items] = intrinsic['Fn::Join'] as [string, unknown[]];
      return items.map(flattenForNag).join(delimiter);
    }
    if (intrinsic.Ref !== undefined) {
      return `<${flattenForNag(intrinsic.Ref)}>`;
    }
    if (intrinsic['Fn::GetAtt']) {
      const [resource, attribute] = intrinsic['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenForNag(resource)}.${flattenForNag(attribute)}>`;
    }
  }
  return JSON.stringify(value);
}
