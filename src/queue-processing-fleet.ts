import { Annotations, Duration, Size, Token, Tokenization } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BacklogCapacityModel } from './backlog-capacity-model';
import { addQueueProcessingFleetWidgets } from './private/dashboard/queue-processing-fleet';
import { generatePhysicalName } from './private/naming';
import { claimPhysicalName } from './private/physical-names';
import { durationInSeconds, sizeInGibibytes, validateMetricOptions } from './private/queue-facts';
import { allowAutoScalingNotifications } from './private/queue-processing-fleet/notifications';
import {
  addBacklogPerInstanceAlarm,
  addBacklogPerInstanceScaling,
  addScaleOutFromZero,
  backlogPerInstanceMetric,
} from './private/queue-processing-fleet/scaling';
import { fleetUserData } from './private/queue-processing-fleet/user-data';
import {
  DEFAULT_IMAGE_ROOT_DEVICE,
  DEFAULT_IMAGE_ROOT_GIBIBYTES,
  DEFAULT_MAX_CAPACITY,
  DEFAULT_MIN_CAPACITY,
  selectPrivateSubnets,
  validateFleetSettings,
} from './private/queue-processing-fleet/validation';
import {
  addConsumePolicy,
  addScaleInProtectionPolicy,
  addSessionManagerPolicy,
} from './private/queue-processing-fleet/worker-policies';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * Properties of a QueueProcessingFleet.
 *
 * The scaling target is either `backlogPerInstanceTarget`, or `acceptableLatency` with
 * `processingTimePerMessage` (target = acceptableLatency ÷ processingTimePerMessage); exactly one
 * of the two must be given.
 */
export interface QueueProcessingFleetProps {
  /**
   * The queue the fleet drains: a WorkQueue, an `sqs.Queue`, or an imported queue. The instances may
   * receive, delete and change the visibility of its messages (and decrypt them with the queue's
   * customer-managed key, when it has one it names), nothing else of SQS, as the queue's own
   * `grantConsumeMessages` decides. A queue of another account must also allow the instances' role
   * in its own queue policy.
   */
  readonly queue: sqs.IQueue;

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
   * The instance type of the workers. With the default image, its architecture (read from the
   * type's name) picks the image's; a type whose name does not tell it, or one given as a
   * deploy-time value, needs `machineImage`.
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
   * The size of the encrypted root volume, a whole number of GiB up to 16 TiB. With the default
   * image at least 8 GiB, the size of its root snapshot: EC2 cannot make a volume smaller than the
   * snapshot it starts from. With an image of your own, make it at least that image's root size.
   *
   * @default Size.gibibytes(8)
   */
  readonly rootVolumeSize?: Size;

  /**
   * The root device name of the machine image, which the encrypted root volume replaces. With the
   * default image it must be `/dev/xvda`; with another image, give that image's root device name,
   * or the volume is added as a second disk.
   *
   * @default '/dev/xvda' (Amazon Linux)
   */
  readonly rootDeviceName?: string;

  /**
   * The fewest instances the fleet runs, less than `maxCapacity`. With 0 the fleet costs nothing
   * while the queue is empty, and a second policy brings it out of zero when messages arrive.
   *
   * @default 0
   */
  readonly minCapacity?: number;

  /**
   * The most instances the fleet runs, more than `minCapacity` (scaling policies act only between
   * the two); a spike larger than this fleet can drain in time raises `backlogPerInstanceAlarm`.
   *
   * @default 10
   */
  readonly maxCapacity?: number;

  /**
   * How long a message may wait before a worker takes it (1 millisecond to 14 days, the longest
   * SQS keeps a message). With `processingTimePerMessage`, sets the scaling target to
   * acceptableLatency ÷ processingTimePerMessage messages per instance.
   *
   * @default - none; give `backlogPerInstanceTarget` instead
   */
  readonly acceptableLatency?: Duration;

  /**
   * How long one instance takes to process one message, on average (1 millisecond to 12 hours, the
   * longest visibility timeout). Must be shorter than the queue's visibility timeout, or a message becomes visible again while it is being processed;
   * checked at synth when the timeout is known there (a WorkQueue, or an `sqs.Queue` of this app),
   * not for an imported queue or a timeout given as a token.
   *
   * @default - none; give `backlogPerInstanceTarget` instead
   */
  readonly processingTimePerMessage?: Duration;

  /**
   * How many visible messages per in-service instance target tracking aims for: above 0 and at
   * most 2^53 - 1, so that the falling-behind alarm's threshold (twice the target) stays exact.
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

  /**
   * Adds this construct's widget group to the stack's dashboard (StackDashboard.of(this)).
   *
   * @default true
   */
  readonly dashboard?: boolean;
}

const AUTO_SCALING_GROUP_NAME_MAX_LENGTH = 255;

/**
 * An EC2 Auto Scaling group of workers that drain an SQS queue, scaled on backlog per instance.
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
 * The fleet creates no stateful resource (instances are replaced, never kept; the root volume is
 * deleted with its instance), so it takes no `removalPolicy`.
 *
 * The worker's side: mark the instance protected from scale-in
 * (`aws autoscaling set-instance-protection --protected-from-scale-in`) before processing a
 * message and unprotect it after deleting the message, so scale-in never terminates an instance
 * in the middle of a message.
 */
export class QueueProcessingFleet extends Construct implements ec2.IConnectable {
  /** The queue the fleet drains. */
  public readonly queue: sqs.IQueue;

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

  /** The step policy that takes an empty group to one instance, when `minCapacity` is 0 (or a token). */
  public readonly scaleOutFromZeroAction?: autoscaling.StepScalingAction;

  /**
   * The alarm that triggers `scaleOutFromZeroAction`: messages visible while the group's desired
   * capacity is 0. It scales the group and notifies nobody (leaving an empty group is routine).
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

    const target = validateFleetSettings(this, props, BacklogCapacityModel.targetFromLatency);
    const subnets = selectPrivateSubnets(this, props.vpc, props.vpcSubnets);
    const minCapacity = props.minCapacity ?? DEFAULT_MIN_CAPACITY;
    // aws-cdk-lib turns these into seconds and cannot convert a deploy-time `Duration.minutes(x)`.
    const warmup = durationInSeconds(
      this,
      'estimatedInstanceWarmup',
      props.estimatedInstanceWarmup ?? Duration.minutes(5),
    );
    const cooldown = durationInSeconds(this, 'cooldown', props.cooldown ?? Duration.minutes(5));
    const rootVolumeGibibytes = props.rootVolumeSize
      ? sizeInGibibytes(this, 'rootVolumeSize', props.rootVolumeSize)!
      : DEFAULT_IMAGE_ROOT_GIBIBYTES;

    this.queue = props.queue;
    this.backlogPerInstanceTarget = target;
    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    this.autoScalingGroupName = generatePhysicalName(this, AUTO_SCALING_GROUP_NAME_MAX_LENGTH);
    // Group names are unique per account and Region (CreateAutoScalingGroup returns AlreadyExists).
    claimPhysicalName(this, {
      kind: 'Auto Scaling group',
      name: this.autoScalingGroupName,
      prop: 'autoScalingGroupName',
    });
    warnIfInstanceTypeUnknown(this, props.instanceType);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Workers of ${this.node.path}: no inbound rules`,
      allowAllOutbound: true,
    });
    this.role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Instance role of the workers of ${this.node.path}`,
    });
    this.consumePolicy = addConsumePolicy(this, this.role, this.queue);
    this.scaleInProtectionPolicy = addScaleInProtectionPolicy(this, this.role, this.autoScalingGroupName);
    if (props.sessionManagerAccess ?? true) {
      this.sessionManagerPolicy = addSessionManagerPolicy(this, this.role);
    }
    this.userData = fleetUserData(
      this,
      { queueUrl: this.queue.queueUrl, autoScalingGroupName: this.autoScalingGroupName },
      props.userData,
    );

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
          deviceName: props.rootDeviceName ?? DEFAULT_IMAGE_ROOT_DEVICE,
          volume: ec2.BlockDeviceVolume.ebs(rootVolumeGibibytes, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      autoScalingGroupName: this.autoScalingGroupName,
      vpc: props.vpc,
      vpcSubnets: subnets,
      launchTemplate: this.launchTemplate,
      minCapacity,
      maxCapacity: props.maxCapacity ?? DEFAULT_MAX_CAPACITY,
      // aws-cdk-lib writes the cooldown with Number.toString, which turns a deploy-time value into a literal
      // number string; such a value goes on the CloudFormation resource below instead.
      cooldown: cooldown.isUnresolved() ? undefined : cooldown,
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
    if (cooldown.isUnresolved()) {
      (this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup).cooldown =
        Tokenization.stringifyNumber(cooldown.toSeconds());
    }
    // Instances launch only once their role may do its work.
    this.autoScalingGroup.node.addDependency(
      ...[this.consumePolicy, this.scaleInProtectionPolicy, this.sessionManagerPolicy].filter(
        (policy): policy is iam.ManagedPolicy => policy !== undefined,
      ),
    );
    this.connections = this.autoScalingGroup.connections;
    allowAutoScalingNotifications(this, this.alarmTopic);

    this.backlogPerInstanceScalingPolicyArn = addBacklogPerInstanceScaling(this, 'BacklogPerInstanceScaling', {
      autoScalingGroup: this.autoScalingGroup,
      queue: this.queue,
      targetValue: target,
      estimatedInstanceWarmup: warmup,
    }).attrArn;

    if (Token.isUnresolved(minCapacity) || minCapacity === 0) {
      const fromZero = addScaleOutFromZero(this, {
        autoScalingGroup: this.autoScalingGroup,
        estimatedInstanceWarmup: warmup,
        visibleMessages: this.queue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(1),
        }),
        desiredCapacity: this.metricGroupDesiredCapacity({ statistic: cloudwatch.Stats.MAXIMUM }),
      });
      this.scaleOutFromZeroAction = fromZero.action;
      this.scaleOutFromZeroAlarm = fromZero.alarm;
    }

    this.backlogPerInstanceAlarm = addBacklogPerInstanceAlarm(this, {
      backlogPerInstance: this.metricBacklogPerInstance(),
      targetValue: target,
      alarmTopic: this.alarmTopic,
    });

    addQueueProcessingFleetWidgets(this, props.dashboard);
  }

  /**
   * Every alarm the fleet made: `backlogPerInstanceAlarm`, which notifies the alarm topic, and,
   * when the fleet can be empty, `scaleOutFromZeroAlarm`, which scales the group and notifies nobody.
   */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.backlogPerInstanceAlarm, this.scaleOutFromZeroAlarm].filter(
      (alarm): alarm is cloudwatch.Alarm => alarm !== undefined,
    );
  }

  /**
   * Backlog per instance, the metric target tracking follows: the queue's visible messages
   * (Sum) ÷ the group's in-service instances (Average), per minute by default.
   */
  public metricBacklogPerInstance(props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    validateMetricOptions(this, 'metricBacklogPerInstance', props, cloudwatch.Unit);
    return backlogPerInstanceMetric(this.queue, this.metricGroupInServiceInstances(), props);
  }

  /** The group's in-service instances (`AWS/AutoScaling` `GroupInServiceInstances`), Average per minute by default. */
  public metricGroupInServiceInstances(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    validateMetricOptions(this, 'metricGroupInServiceInstances', props, cloudwatch.Unit);
    return this.groupMetric('GroupInServiceInstances', props);
  }

  /** The group's desired capacity (`AWS/AutoScaling` `GroupDesiredCapacity`), Average per minute by default. */
  public metricGroupDesiredCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    validateMetricOptions(this, 'metricGroupDesiredCapacity', props, cloudwatch.Unit);
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
}

/**
 * A well-formed instance type that aws-cdk-lib's InstanceClass and InstanceSize do not list may be a typo
 * ("m7g.lage") or a type newer than this aws-cdk-lib: it is taken, with a warning, since refusing it would
 * refuse the new ones too (the launch fails at deploy time if it does not exist).
 */
function warnIfInstanceTypeUnknown(scope: Construct, instanceType: ec2.InstanceType | undefined): void {
  const name = instanceType?.toString();
  if (name === undefined || Token.isUnresolved(name)) {
    return;
  }
  const [family, size] = name.split('.');
  const knownFamily = (Object.values(ec2.InstanceClass) as string[]).includes(family);
  const knownSize = (Object.values(ec2.InstanceSize) as string[]).includes(size);
  if (!knownFamily || !knownSize) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:unknownInstanceType',
      `instanceType "${name}" is not an instance type this aws-cdk-lib knows (${knownFamily ? 'size' : 'family'} "${knownFamily ? size : family}"): check the name, or the launch fails at deploy time.`,
    );
  }
}
