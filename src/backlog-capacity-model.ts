import { Duration, Token } from 'aws-cdk-lib';

/**
 * The scaling policy a BacklogCapacityModel reasons about: the same numbers a
 * QueueProcessingFleet gives its target tracking policy.
 */
export interface BacklogCapacityModelProps {
  /**
   * How many visible messages per in-service instance target tracking aims for
   * (acceptable latency ÷ processing time per message). Must be above 0.
   */
  readonly backlogPerInstanceTarget: number;

  /**
   * The fewest instances the group may run: a whole number, less than `maxCapacity`.
   *
   * @default 0
   */
  readonly minCapacity?: number;

  /**
   * The most instances the group may run: a whole number, more than `minCapacity`.
   *
   * @default 10
   */
  readonly maxCapacity?: number;
}

/**
 * A run of the fleet through a backlog, minute by minute.
 */
export interface BacklogSimulationProps {
  /** Visible messages in the queue at minute 0: a whole number of at least 0. */
  readonly initialBacklog: number;

  /** How long one instance takes to process one message (1 millisecond to 12 hours). */
  readonly processingTimePerMessage: Duration;

  /** How many minutes to simulate (1 to 10,080). */
  readonly minutes: number;

  /**
   * Messages that arrive in each minute (whole numbers of at least 0); minute `i` gets
   * `arrivalsPerMinute[i]`, and minutes beyond the list get none.
   *
   * @default - no arrivals after the initial backlog
   */
  readonly arrivalsPerMinute?: number[];

  /**
   * Instances in service at minute 0.
   *
   * @default - minCapacity
   */
  readonly initialInServiceInstances?: number;

  /**
   * How long a launched instance takes until it is in service and counted (0 seconds to 1 hour).
   *
   * @default Duration.minutes(5)
   */
  readonly instanceWarmup?: Duration;
}

/**
 * The state of the simulated fleet in one minute.
 */
export interface BacklogSimulationMinute {
  /** The minute, from 0. */
  readonly minute: number;

  /** Visible messages at the start of the minute, after that minute's arrivals. */
  readonly visibleMessages: number;

  /** Instances in service (processing) during the minute, after any scale-in. */
  readonly inServiceInstances: number;

  /** The group's desired capacity after this minute's scaling decision. */
  readonly desiredCapacity: number;

  /** Messages processed (and deleted) during the minute. */
  readonly processedMessages: number;

  /**
   * Visible messages per in-service instance at the start of the minute (what target tracking
   * sees); undefined while no instance is in service.
   */
  readonly backlogPerInstance?: number;
}

/**
 * AWS's target tracking alarms for a one-minute metric: scale out after 3 consecutive breaching
 * datapoints, scale in after 15 (the "AlarmHigh" and "AlarmLow" alarms it creates for the policy).
 */
const SCALE_OUT_DATAPOINTS = 3;
const SCALE_IN_DATAPOINTS = 15;

/** Absorbs floating-point noise such as 10 / (10 / 3) = 3.0000000000000004 before rounding up. */
const EPSILON = 1e-9;

/**
 * The limits the model shares with QueueProcessingFleet: a group's size is an Integer in the EC2 Auto
 * Scaling API; a message count beyond 2^53 is no longer exact in a double; SQS keeps a message at most
 * 14 days and hides it while it is processed at most 12 hours (CreateQueue API reference); the warm-up
 * is at most an hour (EC2 Auto Scaling User Guide, "Enable the default instance warmup for a group").
 */
const MAX_GROUP_SIZE = 2_147_483_647;
const MAX_MESSAGES = Number.MAX_SAFE_INTEGER;
const MAX_ACCEPTABLE_LATENCY = Duration.days(14);
const MAX_PROCESSING_TIME = Duration.hours(12);
const MAX_WARMUP = Duration.hours(1);
const MAX_MINUTES = 10_080;

/**
 * What EC2 Auto Scaling target tracking on backlog per instance asks for, in plain arithmetic.
 *
 * Backlog per instance is `ApproximateNumberOfMessagesVisible ÷ GroupInServiceInstances`.
 * Target tracking changes capacity in proportion to how far the metric is from the target,
 * rounding up so the metric lands at or under it:
 * `ceil(inService × (visible ÷ inService) ÷ target)`, which is `ceil(visible ÷ target)`,
 * kept between the group's minimum and maximum. At zero instances the ratio is undefined and
 * target tracking does nothing; the fleet's second policy then sets the capacity to 1.
 *
 * AWS's worked example (EC2 Auto Scaling User Guide, "Scaling policy based on Amazon SQS"):
 * an acceptable latency of 10 s and 0.1 s per message give a target of 100 messages per
 * instance; 1,500 visible messages on 10 instances are 150 per instance, so the group scales
 * out by five, to 15.
 *
 * This is a model for explaining and planning, not a reimplementation of AWS: it ignores
 * metric delays, cooldowns between policies, instance launch failures and the rounding
 * details of AWS's own algorithm. It computes with numbers known at synth only, and refuses
 * what no group could have (a fractional instance count, a negative backlog, a non-finite
 * number, a deploy-time value) with an error of the form
 * `[BacklogCapacityModel] <method> <argument> <rule>, got <value>`.
 */
export class BacklogCapacityModel {
  /**
   * The backlog per instance a fleet can carry and still meet its latency: acceptable latency ÷
   * processing time per message (10 s ÷ 0.1 s = 100). The latency is 1 millisecond to 14 days
   * (the longest SQS keeps a message), the processing time 1 millisecond to 12 hours (the longest
   * visibility timeout); both must be known at synth.
   */
  public static targetFromLatency(acceptableLatency: Duration, processingTimePerMessage: Duration): number {
    const method = 'targetFromLatency';
    const latency = timeMillis(method, 'acceptableLatency', acceptableLatency, MAX_ACCEPTABLE_LATENCY);
    const processing = timeMillis(method, 'processingTimePerMessage', processingTimePerMessage, MAX_PROCESSING_TIME);
    return latency / processing;
  }

  /**
   * How long `instances` instances take to process `visibleMessages` messages, when each takes
   * `processingTimePerMessage` per message and no more arrive (rounded up to a whole second).
   */
  public static drainTime(visibleMessages: number, instances: number, processingTimePerMessage: Duration): Duration {
    const method = 'drainTime';
    count(method, 'visibleMessages', visibleMessages, 0, MAX_MESSAGES);
    count(method, 'instances', instances, 1, MAX_GROUP_SIZE);
    const processing = timeMillis(method, 'processingTimePerMessage', processingTimePerMessage, MAX_PROCESSING_TIME);
    const millis = (visibleMessages * processing) / instances;
    return Duration.seconds(Math.ceil(millis / 1000 - EPSILON));
  }

  /** Target backlog per instance. */
  public readonly backlogPerInstanceTarget: number;

  /** The fewest instances the group may run. */
  public readonly minCapacity: number;

  /** The most instances the group may run. */
  public readonly maxCapacity: number;

  constructor(props: BacklogCapacityModelProps) {
    if (props === undefined || props === null || typeof props !== 'object') {
      throw modelError('props', 'must be an object with backlogPerInstanceTarget', props);
    }
    const target = props.backlogPerInstanceTarget;
    const minCapacity = props.minCapacity ?? 0;
    const maxCapacity = props.maxCapacity ?? 10;
    known('backlogPerInstanceTarget', target);
    if (typeof target !== 'number' || !Number.isFinite(target) || !(target > 0) || target > MAX_MESSAGES) {
      throw modelError(
        'backlogPerInstanceTarget',
        `must be a finite number above 0 and at most ${formatNumber(MAX_MESSAGES)}`,
        target,
      );
    }
    count(undefined, 'minCapacity', minCapacity, 0, MAX_GROUP_SIZE - 1);
    count(undefined, 'maxCapacity', maxCapacity, 1, MAX_GROUP_SIZE);
    // As QueueProcessingFleet: scaling policies change the capacity only between the two.
    if (minCapacity >= maxCapacity) {
      throw props.maxCapacity === undefined
        ? modelError(
            'minCapacity',
            `must be less than maxCapacity (${formatNumber(maxCapacity)}): scaling policies act only between the two`,
            minCapacity,
          )
        : modelError(
            'maxCapacity',
            `must be greater than minCapacity (${formatNumber(minCapacity)}): scaling policies act only between the two`,
            maxCapacity,
          );
    }
    this.backlogPerInstanceTarget = target;
    this.minCapacity = minCapacity;
    this.maxCapacity = maxCapacity;
  }

  /**
   * The metric target tracking follows: visible messages ÷ in-service instances.
   * Undefined when no instance is in service (CloudWatch returns no datapoint).
   */
  public backlogPerInstance(visibleMessages: number, inServiceInstances: number): number | undefined {
    count('backlogPerInstance', 'visibleMessages', visibleMessages, 0, MAX_MESSAGES);
    count('backlogPerInstance', 'inServiceInstances', inServiceInstances, 0, MAX_GROUP_SIZE);
    return this.ratio(visibleMessages, inServiceInstances);
  }

  /**
   * The capacity the fleet's policies ask for once their alarms have fired: `ceil(visible ÷ target)`
   * between min and max while instances are in service; out of zero, 1 (the zero-to-one policy)
   * when messages are visible.
   */
  public desiredCapacity(visibleMessages: number, inServiceInstances: number): number {
    count('desiredCapacity', 'visibleMessages', visibleMessages, 0, MAX_MESSAGES);
    count('desiredCapacity', 'inServiceInstances', inServiceInstances, 0, MAX_GROUP_SIZE);
    return this.wanted(visibleMessages, inServiceInstances);
  }

  /**
   * Runs the fleet through a backlog minute by minute: each in-service instance processes
   * 60 s ÷ processing time messages a minute; a scale-out takes effect after 3 consecutive
   * minutes above the target and a scale-in after 15 below it (as AWS's target tracking alarms
   * do); launched instances count after the warm-up; the zero-to-one policy acts after one
   * minute with visible messages and no instances. `initialInServiceInstances` outside min..max
   * is brought within them, as the group itself would.
   */
  public simulate(props: BacklogSimulationProps): BacklogSimulationMinute[] {
    const method = 'simulate';
    if (props === undefined || props === null || typeof props !== 'object') {
      throw modelError(method, 'must be given a BacklogSimulationProps object', props);
    }
    const { minutes, initialBacklog } = props;
    count(method, 'minutes', minutes, 1, MAX_MINUTES);
    count(method, 'initialBacklog', initialBacklog, 0, MAX_MESSAGES);
    const processingMillis = timeMillis(
      method,
      'processingTimePerMessage',
      props.processingTimePerMessage,
      MAX_PROCESSING_TIME,
    );
    const arrivals = props.arrivalsPerMinute ?? [];
    if (!Array.isArray(arrivals)) {
      throw modelError(`${method} arrivalsPerMinute`, 'must be a list of message counts', arrivals);
    }
    arrivals.forEach((arrival, i) => count(method, `arrivalsPerMinute[${i}]`, arrival, 0, MAX_MESSAGES));
    const total = arrivals.slice(0, minutes).reduce((sum, arrival) => sum + arrival, initialBacklog);
    if (total > MAX_MESSAGES) {
      // Beyond 2^53 a double no longer counts messages exactly: some would be lost in the arithmetic.
      throw modelError(
        `${method} arrivalsPerMinute`,
        `must add up, with initialBacklog, to at most ${formatNumber(MAX_MESSAGES)} messages`,
        new Written(`${formatNumber(total)} messages in all`),
      );
    }
    if (props.initialInServiceInstances !== undefined) {
      count(method, 'initialInServiceInstances', props.initialInServiceInstances, 0, MAX_GROUP_SIZE);
    }
    const warmupMillis =
      props.instanceWarmup === undefined
        ? Duration.minutes(5).toMilliseconds()
        : timeMillis(method, 'instanceWarmup', props.instanceWarmup, MAX_WARMUP, 0);
    const perInstancePerMinute = 60_000 / processingMillis;
    const warmupMinutes = Math.ceil(warmupMillis / 60_000);

    let backlog = initialBacklog;
    let inService = this.clamp(props.initialInServiceInstances ?? this.minCapacity);
    let desired = inService;
    // Launched-but-not-yet-counted instances, as [minute they come into service, how many], oldest first:
    // a count per launch rather than an entry per instance, so a group of millions costs no memory.
    let pending: Array<[number, number]> = [];
    const pendingCount = () => pending.reduce((sum, [, n]) => sum + n, 0);
    let above = 0;
    let below = 0;
    let carry = 0;
    const steps: BacklogSimulationMinute[] = [];

    for (let minute = 0; minute < minutes; minute++) {
      backlog += arrivals[minute] ?? 0;
      inService += pending.filter(([at]) => at <= minute).reduce((sum, [, n]) => sum + n, 0);
      pending = pending.filter(([at]) => at > minute);
      const metric = this.ratio(backlog, inService);

      const wanted = this.wanted(backlog, inService);
      if (inService === 0) {
        above = 0;
        below = 0;
        // Zero-to-one: its alarm needs one breaching minute.
        if (desired === 0 && wanted > 0) {
          desired = wanted;
        }
      } else {
        above = metric! > this.backlogPerInstanceTarget ? above + 1 : 0;
        below = metric! < this.backlogPerInstanceTarget ? below + 1 : 0;
        if (wanted > desired && above >= SCALE_OUT_DATAPOINTS) {
          desired = wanted;
        } else if (wanted < desired && below >= SCALE_IN_DATAPOINTS) {
          desired = wanted;
          below = 0;
        }
      }

      const launching = desired - inService - pendingCount();
      if (launching > 0) {
        pending.push([minute + warmupMinutes, launching]);
      } else if (launching < 0) {
        // Scale-in cancels the latest pending launches first, then terminates in-service instances.
        let excess = -launching;
        while (excess > 0 && pending.length > 0) {
          const [at, n] = pending[pending.length - 1];
          const cancelled = Math.min(excess, n);
          excess -= cancelled;
          pending = n > cancelled ? [...pending.slice(0, -1), [at, n - cancelled]] : pending.slice(0, -1);
        }
        inService -= excess;
      }

      // Work in progress carries over between minutes (one instance at 2 minutes per message
      // finishes one every other minute); capacity left idle by an empty queue is lost.
      const capacity = inService > 0 ? carry + inService * perInstancePerMinute : 0;
      const whole = Math.floor(capacity + EPSILON);
      const processed = Math.min(backlog, whole);
      carry = processed < whole ? 0 : Math.max(0, capacity - whole);
      steps.push({
        minute,
        visibleMessages: backlog,
        inServiceInstances: inService,
        desiredCapacity: desired,
        processedMessages: processed,
        backlogPerInstance: metric,
      });
      backlog -= processed;
    }
    return steps;
  }

  private ratio(visibleMessages: number, inServiceInstances: number): number | undefined {
    return inServiceInstances > 0 ? visibleMessages / inServiceInstances : undefined;
  }

  private wanted(visibleMessages: number, inServiceInstances: number): number {
    if (inServiceInstances <= 0) {
      return this.clamp(visibleMessages > 0 ? 1 : 0);
    }
    return this.clamp(Math.ceil(visibleMessages / this.backlogPerInstanceTarget - EPSILON));
  }

  private clamp(capacity: number): number {
    return Math.min(this.maxCapacity, Math.max(this.minCapacity, capacity));
  }
}

/**
 * The model is not a construct: its errors name it in the place of a construct path, then the method (none
 * for the constructor's props) and the argument, in the library's `[path] prop rule, got value` form.
 */
function modelError(prop: string, rule: string, value: unknown): Error {
  return new Error(`[BacklogCapacityModel] ${prop} ${rule}, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value instanceof Duration) {
    if (value.isUnresolved()) {
      return `a deploy-time Duration (Duration.${value.unitLabel()}(…))`;
    }
    const millis = value.toMilliseconds({ integral: false });
    return Number.isFinite(millis) ? value.toHumanString() : value.toString();
  }
  if (typeof value === 'number') {
    return Token.isUnresolved(value) ? 'a deploy-time value' : formatNumber(value);
  }
  if (typeof value === 'string') {
    return Token.isUnresolved(value) ? 'a deploy-time value' : JSON.stringify(value);
  }
  if (Array.isArray(value) || (typeof value === 'object' && value !== null && value.constructor === Object)) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** A value described in words, shown as is. */
class Written {
  constructor(private readonly text: string) {}

  public toString(): string {
    return this.text;
  }
}

function formatNumber(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toLocaleString('en-US') : String(value);
}

function argument(method: string | undefined, name: string): string {
  return method === undefined ? name : `${method} ${name}`;
}

/** The model computes at synth: a token's value is not known there. */
function known(prop: string, value: unknown): void {
  if (typeof value === 'number' && Token.isUnresolved(value)) {
    throw modelError(prop, 'must be known at synth (the model computes with it)', value);
  }
}

/** A whole count in `min..max`: instances, messages, minutes. */
function count(method: string | undefined, name: string, value: unknown, min: number, max: number): void {
  const prop = argument(method, name);
  known(prop, value);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw modelError(prop, `must be a whole number between ${formatNumber(min)} and ${formatNumber(max)}`, value);
  }
}

/** A Duration known at synth in `minMillis..max`, in milliseconds. */
function timeMillis(method: string, name: string, value: unknown, max: Duration, minMillis = 1): number {
  const prop = argument(method, name);
  const range = `between ${minMillis === 0 ? '0 seconds' : '1 millisecond'} and ${max.toHumanString()}`;
  if (!(value instanceof Duration)) {
    throw modelError(prop, `must be a Duration ${range}`, value);
  }
  if (value.isUnresolved()) {
    throw modelError(prop, 'must be known at synth (the model computes with it)', value);
  }
  const millis = value.toMilliseconds({ integral: false });
  if (!Number.isFinite(millis) || millis < minMillis || millis > max.toMilliseconds()) {
    throw modelError(prop, `must be ${range}`, value);
  }
  return millis;
}
