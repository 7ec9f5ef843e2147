import { Duration, Size, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import {
  describeDuration,
  describeSize,
  knownVisibilityTimeout,
  Shown,
  sizeInGibibytes,
  validateBoolean,
  validateInterface,
} from '../queue-facts';
import {
  durationMillis,
  formatNumber,
  invalidProp,
  validateDurationInRange,
  validateEnumValue,
  validateIntegerInRange,
  validateNumberInRange,
} from '../validation';

/** The props of a QueueProcessingFleet that are checked at synth (the fleet's props satisfy it). */
export interface FleetSettings {
  readonly queue: sqs.IQueue;
  readonly vpc: ec2.IVpc;
  readonly instanceType?: ec2.InstanceType;
  readonly machineImage?: ec2.IMachineImage;
  readonly userData?: ec2.UserData;
  readonly rootVolumeSize?: Size;
  readonly rootDeviceName?: string;
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
  readonly acceptableLatency?: Duration;
  readonly processingTimePerMessage?: Duration;
  readonly backlogPerInstanceTarget?: number;
  readonly estimatedInstanceWarmup?: Duration;
  readonly cooldown?: Duration;
  readonly sessionManagerAccess?: boolean;
  readonly alarmTopic?: unknown;
}

export const DEFAULT_MIN_CAPACITY = 0;
export const DEFAULT_MAX_CAPACITY = 10;

/**
 * The largest group size: `MinSize` and `MaxSize` are Integers in the EC2 Auto Scaling API
 * (CreateAutoScalingGroup API reference), so the most a group can be told is 2,147,483,647.
 */
export const MAX_GROUP_SIZE = 2_147_483_647;

/**
 * The largest backlog per instance a target may be: beyond 2^53 a double no longer counts messages
 * exactly, and twice it (the falling-behind alarm's threshold) stays finite. Application Auto Scaling
 * documents ±2^360 for its TargetValue; EC2 Auto Scaling's TargetTrackingConfiguration only "Double".
 */
export const MAX_BACKLOG_PER_INSTANCE_TARGET = Number.MAX_SAFE_INTEGER;

/**
 * A message waits in SQS at most 14 days (the longest retention, CreateQueue API reference), so no
 * acceptable latency is longer; it is processed while it is hidden, so no processing time is longer
 * than the longest visibility timeout, 12 hours. A millisecond is the finest a Duration can say.
 */
export const MAX_ACCEPTABLE_LATENCY = Duration.days(14);
export const MAX_PROCESSING_TIME = Duration.hours(12);
export const MIN_TIME = Duration.millis(1);

/**
 * The default image, the latest standard Amazon Linux 2023 AMI (SSM parameter
 * /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-<arch>), boots from /dev/xvda with an
 * 8 GiB root snapshot (its block device mapping, as `aws ec2 describe-images` shows it). A volume made
 * from a snapshot must be at least the snapshot's size (Amazon EC2 API reference, "EbsBlockDevice":
 * "you can specify a volume size that is equal to or larger than the snapshot size"), so a smaller root
 * volume fails every launch, and a mapping on another device name adds a disk instead of replacing the
 * root one, leaving the root volume unencrypted by the fleet.
 */
export const DEFAULT_IMAGE_ROOT_DEVICE = '/dev/xvda';
export const DEFAULT_IMAGE_ROOT_GIBIBYTES = 8;

/**
 * gp3 volumes are 1 GiB to 16 TiB (Amazon EBS User Guide, "Amazon EBS volume types").
 */
export const MAX_ROOT_GIBIBYTES = 16_384;

/**
 * aws-cdk-lib's `InstanceType.architecture` reads the family, generation and capabilities from the name
 * with this pattern and throws (with no path) for anything else, such as `u-6tb1.112xlarge`.
 */
const ARCHITECTURE_READABLE = /^([a-z]+)(\d{1,2})([a-z-]*)\.([a-z0-9-]+)$/;
/** Every EC2 instance type name is `<family>.<size>` in lower-case letters, digits and hyphens. */
const INSTANCE_TYPE_NAME = /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/;
/** Linux device names for block device mappings (Amazon EC2 User Guide, "Device names for volumes on Amazon EC2 instances"). */
const DEVICE_NAME = /^\/dev\/(sd[a-z]{1,2}[0-9]{0,2}|xvd[a-z]{1,2}[0-9]{0,2}|hd[a-z][0-9]{0,2})$/;

/**
 * Checks every setting and returns the backlog per instance to track. `targetFromLatency` is the
 * formula the fleet shares with BacklogCapacityModel, passed in so that this helper imports no public module.
 */
export function validateFleetSettings(
  scope: IConstruct,
  props: FleetSettings,
  targetFromLatency: (acceptableLatency: Duration, processingTimePerMessage: Duration) => number,
): number {
  validateTypes(scope, props);
  validateCapacities(scope, props.minCapacity, props.maxCapacity);
  // DefaultInstanceWarmup takes 0 to 3,600 seconds (EC2 Auto Scaling User Guide, "Enable the default instance
  // warmup for a group"); the same value is each policy's EstimatedInstanceWarmup.
  validateDurationInRange(
    scope,
    'estimatedInstanceWarmup',
    props.estimatedInstanceWarmup,
    Duration.seconds(0),
    Duration.hours(1),
  );
  // The cooldown applies to simple scaling only (EC2 Auto Scaling User Guide, "Scaling cooldowns"); "0" fails
  // AwsSolutions-AS1, and the library keeps it within an hour, as it does the warm-up.
  validateDurationInRange(scope, 'cooldown', props.cooldown, Duration.seconds(1), Duration.hours(1));
  validateInstanceAndImage(scope, props);
  return scalingTarget(scope, props, targetFromLatency);
}

function validateTypes(scope: IConstruct, props: FleetSettings): void {
  if (props === undefined || props === null || typeof props !== 'object') {
    throw invalidProp(scope, 'props', 'must be an object with at least queue and vpc', props);
  }
  validateInterface(scope, 'queue', props.queue, 'an sqs.IQueue', 'queueArn');
  if (props.queue === undefined) {
    throw invalidProp(scope, 'queue', 'must be an sqs.IQueue (the queue the fleet drains)', props.queue);
  }
  validateInterface(scope, 'vpc', props.vpc, 'an ec2.IVpc', 'selectSubnets');
  if (props.vpc === undefined) {
    throw invalidProp(scope, 'vpc', 'must be an ec2.IVpc (the VPC the instances run in)', props.vpc);
  }
  validateInterface(scope, 'instanceType', props.instanceType, 'an ec2.InstanceType', 'sameInstanceClassAs');
  validateInterface(scope, 'machineImage', props.machineImage, 'an ec2.IMachineImage', 'getImage');
  validateInterface(scope, 'userData', props.userData, 'an ec2.UserData', 'render');
  validateInterface(scope, 'alarmTopic', props.alarmTopic, 'an sns.ITopic', 'topicArn');
  validateBoolean(scope, 'sessionManagerAccess', props.sessionManagerAccess);
  if (props.rootVolumeSize !== undefined && !(props.rootVolumeSize instanceof Size)) {
    throw invalidProp(scope, 'rootVolumeSize', 'must be a Size', props.rootVolumeSize);
  }
  if (props.rootDeviceName !== undefined && typeof props.rootDeviceName !== 'string') {
    throw invalidProp(scope, 'rootDeviceName', 'must be a string', props.rootDeviceName);
  }
  for (const prop of [
    'acceptableLatency',
    'processingTimePerMessage',
    'estimatedInstanceWarmup',
    'cooldown',
  ] as const) {
    const value = props[prop];
    if (value !== undefined && !(value instanceof Duration)) {
      throw invalidProp(scope, prop, 'must be a Duration', value);
    }
  }
}

/**
 * EC2 Auto Scaling keeps the desired capacity between the group's minimum and maximum, and scaling policies
 * change it within them only (EC2 Auto Scaling User Guide, "Set scaling limits for your Auto Scaling group"):
 * with the minimum equal to the maximum, target tracking and the zero-to-one policy could never act, and a
 * fleet that cannot scale is not what this construct is for.
 */
function validateCapacities(scope: IConstruct, minCapacity: number | undefined, maxCapacity: number | undefined) {
  validateIntegerInRange(scope, 'minCapacity', minCapacity, 0, MAX_GROUP_SIZE - 1);
  validateIntegerInRange(scope, 'maxCapacity', maxCapacity, 1, MAX_GROUP_SIZE);
  const min = minCapacity ?? DEFAULT_MIN_CAPACITY;
  const max = maxCapacity ?? DEFAULT_MAX_CAPACITY;
  if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && min >= max) {
    throw invalidProp(
      scope,
      'minCapacity',
      `must be less than maxCapacity (${formatNumber(max)}): scaling policies change the capacity only between the two`,
      min,
    );
  }
}

/** The instance type, the image, and the root volume the image boots from. */
function validateInstanceAndImage(scope: IConstruct, props: FleetSettings): void {
  const defaultImage = props.machineImage === undefined;
  const instanceType = props.instanceType?.toString();
  if (instanceType !== undefined) {
    if (Token.isUnresolved(instanceType)) {
      if (defaultImage) {
        throw invalidProp(
          scope,
          'instanceType',
          "given as a deploy-time value needs machineImage too: the default image's architecture follows the instance type",
          new Shown('a deploy-time instance type'),
        );
      }
    } else if (!INSTANCE_TYPE_NAME.test(instanceType)) {
      throw invalidProp(scope, 'instanceType', 'must be an EC2 instance type name such as "m7g.large"', instanceType);
    } else if (defaultImage && !ARCHITECTURE_READABLE.test(instanceType)) {
      throw invalidProp(
        scope,
        'instanceType',
        'must be a type whose architecture aws-cdk-lib can tell from its name (such as "m7g.large"), or come with a machineImage: the default image\'s architecture follows the instance type',
        instanceType,
      );
    }
  }

  const rootDeviceName = props.rootDeviceName;
  if (rootDeviceName !== undefined && !Token.isUnresolved(rootDeviceName)) {
    if (!DEVICE_NAME.test(rootDeviceName)) {
      throw invalidProp(
        scope,
        'rootDeviceName',
        'must be a Linux device name such as "/dev/xvda" or "/dev/sda1"',
        rootDeviceName,
      );
    }
    if (defaultImage && rootDeviceName !== DEFAULT_IMAGE_ROOT_DEVICE) {
      throw invalidProp(
        scope,
        'rootDeviceName',
        `must be "${DEFAULT_IMAGE_ROOT_DEVICE}", the root device of the default Amazon Linux 2023 image (or give machineImage): another name adds a second disk and leaves the root volume as the image has it`,
        rootDeviceName,
      );
    }
  }

  if (props.rootVolumeSize !== undefined) {
    const gibibytes = sizeInGibibytes(scope, 'rootVolumeSize', props.rootVolumeSize);
    const minimum = defaultImage ? DEFAULT_IMAGE_ROOT_GIBIBYTES : 1;
    const why = defaultImage
      ? ` (the default Amazon Linux 2023 image's root snapshot is ${DEFAULT_IMAGE_ROOT_GIBIBYTES} GiB, and a volume cannot be smaller than its snapshot)`
      : '';
    if (
      gibibytes === undefined ||
      (!Token.isUnresolved(gibibytes) && (gibibytes < minimum || gibibytes > MAX_ROOT_GIBIBYTES))
    ) {
      throw invalidProp(
        scope,
        'rootVolumeSize',
        `must be a whole number of GiB between ${minimum} and ${formatNumber(MAX_ROOT_GIBIBYTES)}${why}`,
        describeSize(scope, props.rootVolumeSize),
      );
    }
  }
}

/** The backlog per instance to track, from whichever of the two ways it was given. */
function scalingTarget(
  scope: IConstruct,
  props: FleetSettings,
  targetFromLatency: (acceptableLatency: Duration, processingTimePerMessage: Duration) => number,
): number {
  const { acceptableLatency, processingTimePerMessage, backlogPerInstanceTarget } = props;
  const fromLatency = acceptableLatency !== undefined || processingTimePerMessage !== undefined;
  if (backlogPerInstanceTarget !== undefined && fromLatency) {
    throw invalidProp(
      scope,
      'backlogPerInstanceTarget',
      'must not be given with acceptableLatency or processingTimePerMessage: the target is either given or computed from them',
      backlogPerInstanceTarget,
    );
  }
  if (backlogPerInstanceTarget === undefined && !fromLatency) {
    throw invalidProp(
      scope,
      'backlogPerInstanceTarget',
      'must be given, or acceptableLatency with processingTimePerMessage (the target is acceptableLatency ÷ processingTimePerMessage)',
      backlogPerInstanceTarget,
    );
  }

  if (processingTimePerMessage !== undefined) {
    validateTime(scope, 'processingTimePerMessage', processingTimePerMessage, MAX_PROCESSING_TIME);
    validateShorterThanVisibilityTimeout(scope, processingTimePerMessage, props.queue);
  }
  if (acceptableLatency !== undefined) {
    validateTime(scope, 'acceptableLatency', acceptableLatency, MAX_ACCEPTABLE_LATENCY);
  }
  if (backlogPerInstanceTarget !== undefined) {
    validateNumberInRange(
      scope,
      'backlogPerInstanceTarget',
      backlogPerInstanceTarget,
      0,
      MAX_BACKLOG_PER_INSTANCE_TARGET,
      {
        exclusiveMin: true,
      },
    );
    return backlogPerInstanceTarget;
  }
  if (acceptableLatency === undefined || processingTimePerMessage === undefined) {
    const [missing, given] =
      acceptableLatency === undefined
        ? ['acceptableLatency', 'processingTimePerMessage']
        : ['processingTimePerMessage', 'acceptableLatency'];
    throw invalidProp(
      scope,
      missing,
      `must be given with ${given}: the target is acceptableLatency ÷ processingTimePerMessage`,
      undefined,
    );
  }
  for (const [prop, value] of [
    ['acceptableLatency', acceptableLatency],
    ['processingTimePerMessage', processingTimePerMessage],
  ] as const) {
    if (value.isUnresolved()) {
      // CloudFormation cannot divide, so a target from deploy-time values could never be computed.
      throw invalidProp(
        scope,
        prop,
        'must be known at synth to compute the target (CloudFormation cannot divide); give backlogPerInstanceTarget as a deploy-time value instead',
        describeDuration(scope, value),
      );
    }
  }
  return targetFromLatency(acceptableLatency, processingTimePerMessage);
}

/** A positive, finite time of at least a millisecond and at most `max`; a deploy-time value is checked later. */
function validateTime(scope: IConstruct, prop: string, value: Duration, max: Duration): void {
  if (value.isUnresolved()) {
    return;
  }
  const millis = durationMillis(value);
  if (!Number.isFinite(millis) || millis < MIN_TIME.toMilliseconds() || millis > max.toMilliseconds()) {
    throw invalidProp(scope, prop, `must be between 1 millisecond and ${max.toHumanString()}`, value);
  }
}

/**
 * A message that outlives its visibility timeout is processed twice. Only a queue whose timeout is known
 * at synth can be checked; an imported queue, or a timeout given as a token, is not.
 */
function validateShorterThanVisibilityTimeout(scope: IConstruct, processingTime: Duration, queue: sqs.IQueue): void {
  const visibilityTimeout = knownVisibilityTimeout(queue);
  if (visibilityTimeout === undefined || processingTime.isUnresolved()) {
    return;
  }
  if (durationMillis(processingTime) >= visibilityTimeout.toMilliseconds()) {
    throw invalidProp(
      scope,
      'processingTimePerMessage',
      `must be shorter than the queue's visibility timeout (${visibilityTimeout.toHumanString()}), or a message ` +
        'becomes visible again while a worker still processes it and another worker processes it too',
      processingTime,
    );
  }
}

/**
 * The private or isolated subnets of the selection. Public ones are refused, since the fleet has no public IP;
 * so is a selection that leaves no subnet, which CloudFormation would refuse (an Auto Scaling group needs at
 * least one subnet in VPCZoneIdentifier, AWS::AutoScaling::AutoScalingGroup).
 */
export function selectPrivateSubnets(
  scope: IConstruct,
  vpc: ec2.IVpc,
  selection: ec2.SubnetSelection | undefined,
): ec2.SubnetSelection {
  if (selection !== undefined && (typeof selection !== 'object' || selection === null)) {
    throw invalidProp(scope, 'vpcSubnets', 'must be an ec2.SubnetSelection', selection);
  }
  validateEnumValue(scope, 'vpcSubnets.subnetType', selection?.subnetType, 'ec2.SubnetType', ec2.SubnetType);
  const selected = selectSubnets(scope, vpc, selection);
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
  if (selected.subnets.length === 0) {
    throw invalidProp(
      scope,
      'vpcSubnets',
      'must select at least one private or isolated subnet of the VPC (an Auto Scaling group needs a subnet to launch in)',
      describeSelection(selection),
    );
  }
  return { subnets: selected.subnets };
}

/**
 * `vpc.selectSubnets`, whose refusals (a subnet type or group name the VPC does not have) name neither the
 * fleet nor the prop. `IVpc` offers no way to ask about group names beforehand, so its error is taken and
 * given again in the library's form, with aws-cdk-lib's reason.
 */
function selectSubnets(
  scope: IConstruct,
  vpc: ec2.IVpc,
  selection: ec2.SubnetSelection | undefined,
): ec2.SelectedSubnets {
  try {
    return vpc.selectSubnets(selection);
  } catch (error) {
    const reason = (error as Error).message.replace(/[.\s]+$/, '');
    throw invalidProp(scope, 'vpcSubnets', `must select subnets the VPC has (${reason})`, describeSelection(selection));
  }
}

function describeSelection(selection: ec2.SubnetSelection | undefined): Shown {
  if (selection === undefined) {
    return new Shown('the default selection (private subnets, else isolated, else public)');
  }
  const parts: string[] = [];
  if (selection.subnetType !== undefined) parts.push(`subnetType: ${JSON.stringify(selection.subnetType)}`);
  if (selection.subnetGroupName !== undefined) {
    parts.push(`subnetGroupName: ${JSON.stringify(selection.subnetGroupName)}`);
  }
  if (selection.availabilityZones !== undefined) {
    parts.push(`availabilityZones: ${JSON.stringify(selection.availabilityZones)}`);
  }
  if (selection.subnets !== undefined) parts.push(`subnets: [${selection.subnets.map((s) => s.subnetId).join(', ')}]`);
  if (selection.subnetFilters !== undefined) parts.push(`${selection.subnetFilters.length} subnet filter(s)`);
  if (selection.onePerAz !== undefined) parts.push(`onePerAz: ${selection.onePerAz}`);
  return new Shown(`{ ${parts.join(', ')} }`);
}
