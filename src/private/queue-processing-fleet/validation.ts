import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { knownVisibilityTimeout } from '../queue-facts';
import { invalidProp, validateDurationInRange, validateIntegerInRange } from '../validation';

/** The props of a QueueProcessingFleet that are checked at synth (the fleet's props satisfy it). */
export interface FleetSettings {
  readonly queue: sqs.IQueue;
  readonly minCapacity?: number;
  readonly maxCapacity?: number;
  readonly acceptableLatency?: Duration;
  readonly processingTimePerMessage?: Duration;
  readonly backlogPerInstanceTarget?: number;
  readonly estimatedInstanceWarmup?: Duration;
  readonly cooldown?: Duration;
  readonly rootVolumeSize?: Size;
}

export const DEFAULT_MIN_CAPACITY = 0;
export const DEFAULT_MAX_CAPACITY = 10;

/**
 * Checks every setting and returns the backlog per instance to track. `targetFromLatency` is the
 * formula the fleet shares with BacklogCapacityModel, passed in so that this helper imports no public module.
 */
export function validateFleetSettings(
  scope: IConstruct,
  props: FleetSettings,
  targetFromLatency: (acceptableLatency: Duration, processingTimePerMessage: Duration) => number,
): number {
  validateCapacities(scope, props.minCapacity, props.maxCapacity);
  validateDurationInRange(
    scope,
    'estimatedInstanceWarmup',
    props.estimatedInstanceWarmup,
    Duration.seconds(0),
    Duration.hours(1),
  );
  validateDurationInRange(scope, 'cooldown', props.cooldown, Duration.seconds(1), Duration.hours(1));
  const rootVolumeGibibytes = props.rootVolumeSize?.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
  validateIntegerInRange(scope, 'rootVolumeSize (GiB)', rootVolumeGibibytes, 1, 16_384);
  return scalingTarget(scope, props, targetFromLatency);
}

function validateCapacities(scope: IConstruct, minCapacity: number | undefined, maxCapacity: number | undefined) {
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
  const min = minCapacity ?? DEFAULT_MIN_CAPACITY;
  const max = maxCapacity ?? DEFAULT_MAX_CAPACITY;
  if (!Token.isUnresolved(min) && !Token.isUnresolved(max) && min > max) {
    throw invalidProp(scope, 'minCapacity', `must not be greater than maxCapacity (${max})`, min);
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
  const target = targetFromLatency(acceptableLatency, processingTimePerMessage);
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

/**
 * A message that outlives its visibility timeout is processed twice. Only a queue whose timeout is known
 * at synth can be checked; an imported queue, or a timeout given as a token, is not.
 */
function validateShorterThanVisibilityTimeout(scope: IConstruct, processingTime: Duration, queue: sqs.IQueue): void {
  const visibilityTimeout = knownVisibilityTimeout(queue);
  if (visibilityTimeout === undefined || processingTime.isUnresolved()) {
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

/** The private or isolated subnets of the selection; public ones are refused, since the fleet has no public IP. */
export function selectPrivateSubnets(
  scope: IConstruct,
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
