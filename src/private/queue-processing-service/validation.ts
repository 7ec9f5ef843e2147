import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { describeSelection } from '../private-endpoints/validation';
import { knownVisibilityTimeout } from '../queue-facts';
import { durationMillis, formatNumber, invalidProp, joinAlternatives, validateIntegerInRange } from '../validation';

/**
 * Fargate task sizes for Linux tasks, in CPU units and MiB (Amazon ECS Developer Guide, "Amazon ECS task
 * definition invalid CPU or memory errors" and the task definition `memory` parameter: 256 with 512, 1,024
 * or 2,048; 512 with 1,024 to 4,096 in steps of 1,024; 1,024 with 2,048 to 8,192 in steps of 1,024; 2,048
 * with 4,096 to 16,384 in steps of 1,024; 4,096 with 8,192 to 30,720 in steps of 1,024; 8,192 with 16,384
 * to 61,440 in steps of 4,096; 16,384 with 32,768 to 122,880 in steps of 8,192, both on platform 1.4.0,
 * which LATEST is). The table has no architecture column: ARM64 is a Linux option (RuntimePlatform API
 * reference), so the Linux rows apply to both architectures.
 */
const FARGATE_TASK_SIZES: ReadonlyArray<{
  readonly cpu: number;
  readonly memory: { readonly min: number; readonly max: number; readonly step: number };
}> = [
  { cpu: 256, memory: { min: 512, max: 2048, step: 512 } },
  { cpu: 512, memory: { min: 1024, max: 4096, step: 1024 } },
  { cpu: 1024, memory: { min: 2048, max: 8192, step: 1024 } },
  { cpu: 2048, memory: { min: 4096, max: 16384, step: 1024 } },
  { cpu: 4096, memory: { min: 8192, max: 30720, step: 1024 } },
  { cpu: 8192, memory: { min: 16384, max: 61440, step: 4096 } },
  { cpu: 16384, memory: { min: 32768, max: 122880, step: 8192 } },
];

/** The memory sizes a CPU size takes; 256 CPU units take 512, 1,024 or 2,048 MiB (no 1,536). */
function memoryChoices(cpu: number): number[] {
  if (cpu === 256) {
    return [512, 1024, 2048];
  }
  const { min, max, step } = FARGATE_TASK_SIZES.find((s) => s.cpu === cpu)!.memory;
  const choices: number[] = [];
  for (let m = min; m <= max; m += step) {
    choices.push(m);
  }
  return choices;
}

/** Checks a Fargate task size; tokens are passed through. */
export function validateTaskSize(scope: IConstruct, cpu: number, memoryLimitMiB: number): void {
  const cpuKnown = !Token.isUnresolved(cpu);
  if (cpuKnown && !FARGATE_TASK_SIZES.some((s) => s.cpu === cpu)) {
    throw invalidProp(
      scope,
      'cpu',
      `must be a Fargate task size in CPU units: ${joinAlternatives(FARGATE_TASK_SIZES.map((s) => formatNumber(s.cpu)))}`,
      cpu,
    );
  }
  if (Token.isUnresolved(memoryLimitMiB)) {
    return;
  }
  if (
    typeof memoryLimitMiB !== 'number' ||
    !Number.isInteger(memoryLimitMiB) ||
    memoryLimitMiB < 512 ||
    memoryLimitMiB > 122_880
  ) {
    throw invalidProp(
      scope,
      'memoryLimitMiB',
      'must be an integer between 512 and 122,880 (Fargate task sizes)',
      memoryLimitMiB,
    );
  }
  if (!cpuKnown) {
    return;
  }
  const choices = memoryChoices(cpu);
  if (!choices.includes(memoryLimitMiB)) {
    const size = FARGATE_TASK_SIZES.find((s) => s.cpu === cpu)!;
    const allowed =
      cpu === 256
        ? '512, 1,024 or 2,048'
        : `${formatNumber(size.memory.min)} to ${formatNumber(size.memory.max)} in steps of ${formatNumber(size.memory.step)}`;
    throw invalidProp(
      scope,
      'memoryLimitMiB',
      `must be ${allowed} MiB for a Fargate task of ${formatNumber(cpu)} CPU units`,
      memoryLimitMiB,
    );
  }
}

/**
 * Application Auto Scaling's MinCapacity and MaxCapacity are integers (RegisterScalableTarget API
 * reference); the real ceiling is the account's Fargate vCPU quota per Region, which is adjustable and
 * not known at synth. Target tracking needs room to move: maxCapacity above minCapacity.
 */
export function validateCapacities(scope: IConstruct, minCapacity: number, maxCapacity: number): void {
  validateIntegerInRange(scope, 'minCapacity', minCapacity, 0, 2_147_483_646);
  validateIntegerInRange(scope, 'maxCapacity', maxCapacity, 1, 2_147_483_647);
  if (!Token.isUnresolved(minCapacity) && !Token.isUnresolved(maxCapacity) && maxCapacity <= minCapacity) {
    throw invalidProp(
      scope,
      'maxCapacity',
      `must be greater than minCapacity (${formatNumber(minCapacity)}): target tracking needs room to scale`,
      maxCapacity,
    );
  }
}

/** A positive, finite Duration of at most `max`; milliseconds allowed. Tokens are passed through. */
export function validatePositiveDuration(
  scope: IConstruct,
  prop: string,
  value: Duration | undefined,
  max: Duration,
): void {
  if (value === undefined || (value instanceof Duration && value.isUnresolved())) {
    return;
  }
  if (!(value instanceof Duration)) {
    throw invalidProp(scope, prop, `must be a Duration above 0 and at most ${max.toHumanString()}`, value);
  }
  const millis = durationMillis(value);
  if (!Number.isFinite(millis) || millis <= 0 || millis > max.toMilliseconds()) {
    throw invalidProp(scope, prop, `must be above 0 and at most ${max.toHumanString()}`, value);
  }
}

/**
 * Application Auto Scaling refuses target values outside 2^-360 .. 2^360 (TargetTrackingScalingPolicyConfiguration
 * API reference: "Values must be in the range of -2^360 to 2^360", and too small values are refused too);
 * a backlog per task must be above 0.
 */
const MIN_TARGET = 2 ** -360;
const MAX_TARGET = 2 ** 360;

/** The props that decide the target tracking target. */
export interface ScalingTargetProps {
  readonly queue: sqs.IQueue;
  readonly backlogPerTaskTarget?: number;
  readonly acceptableLatency?: Duration;
  readonly processingTimePerMessage?: Duration;
}

/** SQS keeps a message at most 14 days (MessageRetentionPeriod, SetQueueAttributes API reference). */
const MAX_LATENCY = Duration.days(14);
/** SQS visibility timeouts are at most 12 hours (ChangeMessageVisibility API reference). */
const MAX_PROCESSING_TIME = Duration.hours(12);

/** The backlog per task to track, from whichever of the two ways it was given. */
export function scalingTarget(
  scope: IConstruct,
  props: ScalingTargetProps,
  targetFromLatency: (acceptableLatency: Duration, processingTimePerMessage: Duration) => number,
): number {
  const { acceptableLatency, processingTimePerMessage, backlogPerTaskTarget } = props;
  const fromLatency = acceptableLatency !== undefined || processingTimePerMessage !== undefined;
  const expected = 'backlogPerTaskTarget, or acceptableLatency with processingTimePerMessage';
  if (backlogPerTaskTarget !== undefined && fromLatency) {
    throw invalidProp(scope, 'backlogPerTaskTarget', `takes either ${expected}, not both`, backlogPerTaskTarget);
  }
  if (backlogPerTaskTarget === undefined && !fromLatency) {
    throw invalidProp(scope, 'backlogPerTaskTarget', `needs ${expected}`, 'undefined');
  }
  validatePositiveDuration(scope, 'acceptableLatency', acceptableLatency, MAX_LATENCY);
  validatePositiveDuration(scope, 'processingTimePerMessage', processingTimePerMessage, MAX_PROCESSING_TIME);
  if (processingTimePerMessage !== undefined) {
    validateShorterThanVisibilityTimeout(scope, processingTimePerMessage, props.queue);
  }
  if (backlogPerTaskTarget !== undefined) {
    if (
      !Token.isUnresolved(backlogPerTaskTarget) &&
      !(
        typeof backlogPerTaskTarget === 'number' &&
        backlogPerTaskTarget >= MIN_TARGET &&
        backlogPerTaskTarget <= MAX_TARGET
      )
    ) {
      throw invalidProp(
        scope,
        'backlogPerTaskTarget',
        'must be a finite number above 0 and at most 2^360 (Application Auto Scaling target values)',
        backlogPerTaskTarget,
      );
    }
    return backlogPerTaskTarget;
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
    const token = acceptableLatency.isUnresolved() ? 'acceptableLatency' : 'processingTimePerMessage';
    throw invalidProp(
      scope,
      token,
      'must be known at synth to compute the target (give backlogPerTaskTarget as a token instead)',
      shownDuration(scope, acceptableLatency.isUnresolved() ? acceptableLatency : processingTimePerMessage),
    );
  }
  const target = targetFromLatency(acceptableLatency, processingTimePerMessage);
  if (!(target >= MIN_TARGET && target <= MAX_TARGET)) {
    throw invalidProp(
      scope,
      'acceptableLatency',
      `÷ processingTimePerMessage (${processingTimePerMessage.toHumanString()}) must be a target above 0 and at most 2^360`,
      acceptableLatency,
    );
  }
  return target;
}

/** A message that outlives its visibility timeout is processed twice; checked when the timeout is known at synth. */
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
        'becomes visible again while a task still processes it and another task processes it too',
      processingTime,
    );
  }
}

const MAX_API_INTEGER = 2_147_483_647;

/**
 * A cooldown: whole seconds from 0 to 2,147,483,647 (Application Auto Scaling takes an integer number of
 * seconds; no smaller maximum is documented). Tokens are passed through.
 */
export function validateCooldown(scope: IConstruct, prop: string, value: Duration | undefined): void {
  if (value === undefined || (value instanceof Duration && value.isUnresolved())) {
    return;
  }
  const millis = value instanceof Duration ? durationMillis(value) : NaN;
  if (!Number.isFinite(millis) || millis < 0 || millis % 1000 !== 0 || millis / 1000 > MAX_API_INTEGER) {
    throw invalidProp(
      scope,
      prop,
      `must be a whole number of seconds from 0 to ${formatNumber(MAX_API_INTEGER)}`,
      value,
    );
  }
}

/** A value shown in an error message as this text (describeValue shows any other object with its toString). */
export class Shown {
  constructor(private readonly text: string) {}

  public toString(): string {
    return this.text;
  }
}

const SECONDS_PER_UNIT: Record<string, number> = { millis: 0.001, seconds: 1, minutes: 60, hours: 3_600, days: 86_400 };

const AMOUNT_IN_OWN_UNIT: Record<string, (d: Duration) => number> = {
  millis: (d) => d.toMilliseconds({ integral: false }),
  seconds: (d) => d.toSeconds({ integral: false }),
  minutes: (d) => d.toMinutes({ integral: false }),
  hours: (d) => d.toHours({ integral: false }),
  days: (d) => d.toDays({ integral: false }),
};

/** The amount of a Duration in its own unit: a token stays a token (aws-cdk-lib converts none). */
function amountOf(duration: Duration): number {
  return AMOUNT_IN_OWN_UNIT[duration.unitLabel()](duration);
}

/**
 * A deploy-time Duration as the user wrote it, `Duration.minutes({"Ref":"Minutes"})`; aws-cdk-lib's own
 * `toString` shows the token's internal number instead.
 */
export function shownDuration(scope: IConstruct, duration: Duration): Duration | Shown {
  if (!duration.isUnresolved()) {
    return duration;
  }
  const unit = duration.unitLabel();
  let amount: unknown;
  try {
    amount = Stack.of(scope).resolve(amountOf(duration));
  } catch {
    amount = '(deploy-time value)';
  }
  return new Shown(`Duration.${unit}(${JSON.stringify(amount)})`);
}

/**
 * The seconds of a validated Duration for a template. A deploy-time Duration in seconds passes as its
 * token; one in another unit is converted when its value is known at synth (a Lazy) and refused
 * otherwise: a template has no arithmetic, and aws-cdk-lib's own conversion throws with no path.
 */
export function secondsOf(scope: IConstruct, prop: string, duration: Duration): number {
  if (!duration.isUnresolved() || duration.unitLabel() === 'seconds') {
    return duration.toSeconds();
  }
  let resolved: unknown;
  try {
    resolved = Stack.of(scope).resolve(amountOf(duration));
  } catch {
    resolved = undefined;
  }
  if (typeof resolved === 'number' && Number.isFinite(resolved)) {
    return resolved * SECONDS_PER_UNIT[duration.unitLabel()];
  }
  throw invalidProp(
    scope,
    prop,
    'must be given in seconds (Duration.seconds(...)) when it is a deploy-time value: CloudFormation cannot convert units',
    shownDuration(scope, duration),
  );
}

/**
 * The private or isolated subnets of the selection (the tasks never get a public IP address, so a
 * public subnet would leave them without a route out). A selection that matches no subnet is refused
 * here; aws-cdk-lib's own error names no construct or prop.
 */
export function selectTaskSubnets(
  scope: IConstruct,
  vpc: ec2.IVpc,
  selection: ec2.SubnetSelection | undefined,
): ec2.SubnetSelection {
  const effective =
    selection ??
    (vpc.privateSubnets.length > 0
      ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
      : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
  let selected: ec2.SelectedSubnets | undefined;
  try {
    selected = vpc.selectSubnets(effective);
  } catch {
    selected = undefined;
  }
  if (selected === undefined || selected.subnets.length === 0) {
    throw invalidProp(
      scope,
      'vpcSubnets',
      selection === undefined
        ? 'must be given, because the VPC has no private or isolated subnets'
        : 'must select at least one subnet of the VPC',
      selection === undefined ? 'undefined' : describeSelection(selection),
    );
  }
  const publicIds = new Set(vpc.publicSubnets.map((subnet) => subnet.subnetId));
  const publicSelected = selected.subnets.filter((subnet) => publicIds.has(subnet.subnetId));
  if (selected.hasPublic || publicSelected.length > 0) {
    throw invalidProp(
      scope,
      'vpcSubnets',
      'must select only private or isolated subnets (the tasks never get public IP addresses)',
      describeSelection(selection!),
    );
  }
  return { subnets: selected.subnets };
}

/** Names of environment variables and secrets: the QUEUE_URL the service sets is refused, and a name given as both. */
export function validateVariableNames(
  scope: IConstruct,
  environment: Record<string, string> | undefined,
  secrets: Record<string, unknown> | undefined,
  reserved: string,
): void {
  for (const [prop, map] of [
    ['environment', environment],
    ['secrets', secrets],
  ] as const) {
    if (map === undefined) {
      continue;
    }
    if (typeof map !== 'object' || map === null || Array.isArray(map)) {
      throw invalidProp(scope, prop, 'must map variable names to values', map);
    }
    if (reserved in map) {
      throw invalidProp(
        scope,
        prop,
        `must not set ${reserved}, which the service sets to the queue's URL`,
        Object.keys(map),
      );
    }
    const empty = Object.keys(map).find((name) => name.trim() === '');
    if (empty !== undefined) {
      throw invalidProp(scope, prop, 'must not have an empty variable name', Object.keys(map));
    }
  }
  if (environment && secrets) {
    const both = Object.keys(environment).filter((name) => name in secrets);
    if (both.length > 0) {
      throw invalidProp(scope, 'secrets', 'must not set a variable that environment sets too', both);
    }
  }
  if (environment) {
    const notString = Object.entries(environment).find(([, value]) => typeof value !== 'string');
    if (notString) {
      throw invalidProp(scope, `environment.${notString[0]}`, 'must be a string', notString[1]);
    }
  }
}
