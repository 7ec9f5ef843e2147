import { Duration } from 'aws-cdk-lib';

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
   * The fewest instances the group may run.
   *
   * @default 0
   */
  readonly minCapacity?: number;

  /**
   * The most instances the group may run.
   *
   * @default 10
   */
  readonly maxCapacity?: number;
}

/**
 * A run of the fleet through a backlog, minute by minute.
 */
export interface BacklogSimulationProps {
  /** Visible messages in the queue at minute 0. */
  readonly initialBacklog: number;

  /** How long one instance takes to process one message. */
  readonly processingTimePerMessage: Duration;

  /** How many minutes to simulate (1 to 10,080). */
  readonly minutes: number;

  /**
   * Messages that arrive in each minute; minute `i` gets `arrivalsPerMinute[i]`, and minutes
   * beyond the list get none.
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
   * How long a launched instance takes until it is in service and counted.
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
 * details of AWS's own algorithm.
 */
export class BacklogCapacityModel {
  /**
   * The backlog per instance a fleet can carry and still meet its latency: acceptable latency ÷
   * processing time per message (10 s ÷ 0.1 s = 100). Returns a non-finite or non-positive
   * number for inputs that make no target (zero processing time, zero latency).
   */
  public static targetFromLatency(acceptableLatency: Duration, processingTimePerMessage: Duration): number {
    return acceptableLatency.toMilliseconds() / processingTimePerMessage.toMilliseconds();
  }

  /**
   * How long `instances` instances take to process `visibleMessages` messages, when each takes
   * `processingTimePerMessage` per message and no more arrive (rounded up to a whole second).
   */
  public static drainTime(visibleMessages: number, instances: number, processingTimePerMessage: Duration): Duration {
    if (!(instances > 0)) {
      throw new Error(`instances must be above 0 to drain a backlog, got ${instances}`);
    }
    const millis = (visibleMessages * processingTimePerMessage.toMilliseconds()) / instances;
    return Duration.seconds(Math.ceil(millis / 1000 - EPSILON));
  }

  /** Target backlog per instance. */
  public readonly backlogPerInstanceTarget: number;

  /** The fewest instances the group may run. */
  public readonly minCapacity: number;

  /** The most instances the group may run. */
  public readonly maxCapacity: number;

  constructor(props: BacklogCapacityModelProps) {
    const target = props.backlogPerInstanceTarget;
    const minCapacity = props.minCapacity ?? 0;
    const maxCapacity = props.maxCapacity ?? 10;
    if (!(Number.isFinite(target) && target > 0)) {
      throw new Error(`backlogPerInstanceTarget must be a finite number above 0, got ${target}`);
    }
    if (!Number.isInteger(minCapacity) || minCapacity < 0) {
      throw new Error(`minCapacity must be an integer of at least 0, got ${minCapacity}`);
    }
    if (!Number.isInteger(maxCapacity) || maxCapacity < 1 || maxCapacity < minCapacity) {
      throw new Error(
        `maxCapacity must be an integer of at least 1 and at least minCapacity (${minCapacity}), got ${maxCapacity}`,
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
    return inServiceInstances > 0 ? visibleMessages / inServiceInstances : undefined;
  }

  /**
   * The capacity the fleet's policies ask for once their alarms have fired: `ceil(visible ÷ target)`
   * between min and max while instances are in service; out of zero, 1 (the zero-to-one policy)
   * when messages are visible.
   */
  public desiredCapacity(visibleMessages: number, inServiceInstances: number): number {
    if (inServiceInstances <= 0) {
      return this.clamp(visibleMessages > 0 ? 1 : 0);
    }
    return this.clamp(Math.ceil(visibleMessages / this.backlogPerInstanceTarget - EPSILON));
  }

  /**
   * Runs the fleet through a backlog minute by minute: each in-service instance processes
   * 60 s ÷ processing time messages a minute; a scale-out takes effect after 3 consecutive
   * minutes above the target and a scale-in after 15 below it (as AWS's target tracking alarms
   * do); launched instances count after the warm-up; the zero-to-one policy acts after one
   * minute with visible messages and no instances.
   */
  public simulate(props: BacklogSimulationProps): BacklogSimulationMinute[] {
    const { minutes, initialBacklog } = props;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10_080) {
      throw new Error(`minutes must be an integer between 1 and 10,080, got ${minutes}`);
    }
    if (!(initialBacklog >= 0)) {
      throw new Error(`initialBacklog must be at least 0, got ${initialBacklog}`);
    }
    const processingMillis = props.processingTimePerMessage.toMilliseconds();
    if (!(processingMillis > 0)) {
      throw new Error('processingTimePerMessage must be longer than 0');
    }
    const perInstancePerMinute = 60_000 / processingMillis;
    const warmupMinutes = Math.ceil((props.instanceWarmup ?? Duration.minutes(5)).toMilliseconds() / 60_000);

    let backlog = initialBacklog;
    let inService = this.clamp(props.initialInServiceInstances ?? this.minCapacity);
    let desired = inService;
    // Minute at which each launched-but-not-yet-counted instance comes into service.
    let pending: number[] = [];
    let above = 0;
    let below = 0;
    let carry = 0;
    const steps: BacklogSimulationMinute[] = [];

    for (let minute = 0; minute < minutes; minute++) {
      backlog += props.arrivalsPerMinute?.[minute] ?? 0;
      const arrived = pending.filter((at) => at <= minute).length;
      pending = pending.filter((at) => at > minute);
      inService += arrived;
      const metric = this.backlogPerInstance(backlog, inService);

      const wanted = this.desiredCapacity(backlog, inService);
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

      const launching = desired - inService - pending.length;
      if (launching > 0) {
        pending.push(...new Array<number>(launching).fill(minute + warmupMinutes));
      } else if (launching < 0) {
        // Scale-in cancels pending launches first, then terminates in-service instances.
        let excess = -launching;
        const cancelled = Math.min(excess, pending.length);
        pending = pending.slice(0, pending.length - cancelled);
        excess -= cancelled;
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

  private clamp(capacity: number): number {
    return Math.min(this.maxCapacity, Math.max(this.minCapacity, capacity));
  }
}
