import { Duration } from 'aws-cdk-lib';
import { CapacityModelMinute, CapacitySimulationProps } from './capacity-model';
import { EPSILON, formatNumber, MAX_MESSAGES, minuteOfWork, ModelChecks } from './private/capacity-model/checks';
import { QueueProcessingService } from './queue-processing-service';

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

  /**
   * How long a launched worker takes until it is counted and processes messages, when `simulate` is given
   * no `instanceWarmup`: an EC2 instance's warm-up (the group's default instance warmup), or the time a
   * Fargate task takes to start and reach RUNNING (`forService` sets it). 0 seconds to 1 hour.
   *
   * @default Duration.minutes(5)
   */
  readonly defaultInstanceWarmup?: Duration;
}

/**
 * How `BacklogCapacityModel.forService` models a QueueProcessingService.
 */
export interface ServiceCapacityModelOptions {
  /**
   * How long a task takes from the scaling decision until it is RUNNING and counted in `RunningTaskCount`
   * (0 seconds to 1 hour). Fargate provisions each task on capacity of its own, attaches a network
   * interface, pulls the whole image (nothing is cached between tasks) and starts the container; the Amazon
   * ECS Developer Guide ("Linux containers on Fargate container image pull behavior") ties the task's launch
   * time directly to the image pull time. A minute suits a small image pulled through a VPC endpoint in the
   * task's Region, and is the service's default scale-out cooldown too; give more for a large image.
   *
   * @default Duration.minutes(1)
   */
  readonly taskStartTime?: Duration;
}

/**
 * A run of the fleet through a backlog, minute by minute.
 */
export interface BacklogSimulationProps extends CapacitySimulationProps {
  /**
   * Instances in service at minute 0.
   *
   * @default - minCapacity
   */
  readonly initialInServiceInstances?: number;

  /**
   * How long a launched instance (or task) takes until it is in service and counted (0 seconds to 1 hour).
   *
   * @default - the model's `defaultInstanceWarmup`, 5 minutes unless it was given another
   */
  readonly instanceWarmup?: Duration;
}

/**
 * The state of the simulated fleet in one minute. `workers` are its in-service instances (or running tasks).
 */
export interface BacklogSimulationMinute extends CapacityModelMinute {
  /** Instances in service (processing) during the minute, after any scale-in: the same as `workers`. */
  readonly inServiceInstances: number;

  /** The group's desired capacity after this minute's scaling decision. */
  readonly desiredCapacity: number;

  /**
   * Visible messages per in-service instance at the start of the minute (what target tracking
   * sees); undefined while no instance is in service.
   */
  readonly backlogPerInstance?: number;
}

/**
 * AWS's target tracking alarms for a one-minute metric: scale out after 3 consecutive breaching
 * datapoints, scale in after 15 (the "AlarmHigh" and "AlarmLow" alarms it creates for the policy).
 * Application Auto Scaling creates the same pair of alarms for the target tracking policy of an ECS
 * service, and likewise takes no action while the metric has insufficient data (Amazon ECS Developer
 * Guide, "Use a target metric to scale Amazon ECS services").
 */
const SCALE_OUT_DATAPOINTS = 3;
const SCALE_IN_DATAPOINTS = 15;

/**
 * The limits the model shares with QueueProcessingFleet: a group's size is an Integer in the EC2 Auto
 * Scaling API; a message count beyond 2^53 is no longer exact in a double (MAX_MESSAGES); SQS keeps a
 * message at most 14 days and hides it while it is processed at most 12 hours (CreateQueue API
 * reference); the warm-up is at most an hour (EC2 Auto Scaling User Guide, "Enable the default instance
 * warmup for a group"), and a task start time is held to the same hour.
 */
const MAX_GROUP_SIZE = 2_147_483_647;
const MAX_ACCEPTABLE_LATENCY = Duration.days(14);
const MAX_PROCESSING_TIME = Duration.hours(12);
const MAX_WARMUP = Duration.hours(1);
const DEFAULT_WARMUP = Duration.minutes(5);
const DEFAULT_TASK_START_TIME = Duration.minutes(1);

const check = new ModelChecks('BacklogCapacityModel');

/**
 * What target tracking on backlog per worker asks for, in plain arithmetic: EC2 Auto Scaling for a
 * QueueProcessingFleet's instances, Application Auto Scaling for a QueueProcessingService's Fargate tasks.
 *
 * Backlog per instance is `ApproximateNumberOfMessagesVisible ÷ GroupInServiceInstances` (for a service,
 * `÷ RunningTaskCount`). Target tracking changes capacity in proportion to how far the metric is from the
 * target, rounding up so the metric lands at or under it:
 * `ceil(inService × (visible ÷ inService) ÷ target)`, which is `ceil(visible ÷ target)`,
 * kept between the group's minimum and maximum. At zero instances the ratio is undefined and
 * target tracking does nothing; the fleet's (or service's) second policy then asks for one.
 *
 * AWS's worked example (EC2 Auto Scaling User Guide, "Scaling policy based on Amazon SQS"):
 * an acceptable latency of 10 s and 0.1 s per message give a target of 100 messages per
 * instance; 1,500 visible messages on 10 instances are 150 per instance, so the group scales
 * out by five, to 15.
 *
 * The two services' target tracking behave alike here: both create an alarm that scales out after 3
 * one-minute datapoints above the target and one that scales in after 15 below it. What differs is how
 * long a new worker takes to count: an EC2 instance its warm-up (5 minutes by default), a Fargate task its
 * start time (about a minute). `forService` builds the model of a QueueProcessingService with that shorter
 * warm-up, so one class answers for both; Lambda scales differently and has `LambdaSqsScalingModel`.
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
    const latency = check.timeMillis(method, 'acceptableLatency', acceptableLatency, MAX_ACCEPTABLE_LATENCY);
    const processing = check.timeMillis(
      method,
      'processingTimePerMessage',
      processingTimePerMessage,
      MAX_PROCESSING_TIME,
    );
    return latency / processing;
  }

  /**
   * How long `instances` instances take to process `visibleMessages` messages, when each takes
   * `processingTimePerMessage` per message and no more arrive (rounded up to a whole second).
   */
  public static drainTime(visibleMessages: number, instances: number, processingTimePerMessage: Duration): Duration {
    const method = 'drainTime';
    check.count(method, 'visibleMessages', visibleMessages, 0, MAX_MESSAGES);
    check.count(method, 'instances', instances, 1, MAX_GROUP_SIZE);
    const processing = check.timeMillis(
      method,
      'processingTimePerMessage',
      processingTimePerMessage,
      MAX_PROCESSING_TIME,
    );
    const millis = (visibleMessages * processing) / instances;
    return Duration.seconds(Math.ceil(millis / 1000 - EPSILON));
  }

  /**
   * The model of a QueueProcessingService: its backlog per task target, its minimum and maximum task
   * counts, and the task start time as the warm-up.
   *
   * The service scales as the model does: target tracking on `visible ÷ RunningTaskCount` (Application
   * Auto Scaling creates the same 3-minute scale-out and 15-minute scale-in alarms as EC2 Auto Scaling),
   * and, with `minCapacity` 0, a step policy that adds one task when messages are visible while the service
   * wants none (one breaching minute; the model's zero-to-one). A task counts once it is RUNNING, which is
   * why the warm-up is the task start time. The service's numbers must be known at synth.
   */
  public static forService(
    service: QueueProcessingService,
    options: ServiceCapacityModelOptions = {},
  ): BacklogCapacityModel {
    const method = 'forService';
    if (service === undefined || service === null || typeof service !== 'object') {
      throw check.error(`${method} service`, 'must be a QueueProcessingService', service);
    }
    if (options === null || typeof options !== 'object') {
      throw check.error(`${method} options`, 'must be a ServiceCapacityModelOptions object', options);
    }
    const policy = checkPolicy(
      {
        target: `${method} service.backlogPerTaskTarget`,
        minCapacity: `${method} service.minCapacity`,
        maxCapacity: `${method} service.maxCapacity`,
      },
      service.backlogPerTaskTarget,
      service.minCapacity,
      service.maxCapacity,
      true,
    );
    const taskStartTime = options.taskStartTime ?? DEFAULT_TASK_START_TIME;
    check.timeMillis(method, 'options.taskStartTime', taskStartTime, MAX_WARMUP, 0);
    return new BacklogCapacityModel({ ...policy, defaultInstanceWarmup: taskStartTime });
  }

  /** Target backlog per instance. */
  public readonly backlogPerInstanceTarget: number;

  /** The fewest instances the group may run. */
  public readonly minCapacity: number;

  /** The most instances the group may run. */
  public readonly maxCapacity: number;

  /** The warm-up `simulate` uses when it is given none. */
  public readonly defaultInstanceWarmup: Duration;

  constructor(props: BacklogCapacityModelProps) {
    if (props === undefined || props === null || typeof props !== 'object') {
      throw check.error('props', 'must be an object with backlogPerInstanceTarget', props);
    }
    const policy = checkPolicy(
      { target: 'backlogPerInstanceTarget', minCapacity: 'minCapacity', maxCapacity: 'maxCapacity' },
      props.backlogPerInstanceTarget,
      props.minCapacity ?? 0,
      props.maxCapacity ?? 10,
      props.maxCapacity !== undefined,
    );
    const warmup = props.defaultInstanceWarmup ?? DEFAULT_WARMUP;
    check.timeMillis(undefined, 'defaultInstanceWarmup', warmup, MAX_WARMUP, 0);
    this.backlogPerInstanceTarget = policy.backlogPerInstanceTarget;
    this.minCapacity = policy.minCapacity;
    this.maxCapacity = policy.maxCapacity;
    this.defaultInstanceWarmup = warmup;
  }

  /**
   * The metric target tracking follows: visible messages ÷ in-service instances.
   * Undefined when no instance is in service (CloudWatch returns no datapoint).
   */
  public backlogPerInstance(visibleMessages: number, inServiceInstances: number): number | undefined {
    check.count('backlogPerInstance', 'visibleMessages', visibleMessages, 0, MAX_MESSAGES);
    check.count('backlogPerInstance', 'inServiceInstances', inServiceInstances, 0, MAX_GROUP_SIZE);
    return this.ratio(visibleMessages, inServiceInstances);
  }

  /**
   * The capacity the fleet's policies ask for once their alarms have fired: `ceil(visible ÷ target)`
   * between min and max while instances are in service; out of zero, 1 (the zero-to-one policy)
   * when messages are visible.
   */
  public desiredCapacity(visibleMessages: number, inServiceInstances: number): number {
    check.count('desiredCapacity', 'visibleMessages', visibleMessages, 0, MAX_MESSAGES);
    check.count('desiredCapacity', 'inServiceInstances', inServiceInstances, 0, MAX_GROUP_SIZE);
    return this.wanted(visibleMessages, inServiceInstances);
  }

  /**
   * Runs the fleet through a backlog minute by minute: each in-service instance processes
   * 60 s ÷ processing time messages a minute (1 millisecond to 12 hours per message); a scale-out
   * takes effect after 3 consecutive minutes above the target and a scale-in after 15 below it (as
   * AWS's target tracking alarms do); launched instances count after the warm-up; the zero-to-one
   * policy acts after one minute with visible messages and no instances. `initialInServiceInstances`
   * outside min..max is brought within them, as the group itself would.
   */
  public simulate(props: BacklogSimulationProps): BacklogSimulationMinute[] {
    const method = 'simulate';
    const { minutes, initialBacklog, processingMillis, arrivals } = check.simulation(
      method,
      props,
      'BacklogSimulationProps',
      MAX_PROCESSING_TIME,
    );
    if (props.initialInServiceInstances !== undefined) {
      check.count(method, 'initialInServiceInstances', props.initialInServiceInstances, 0, MAX_GROUP_SIZE);
    }
    const warmupMillis = check.timeMillis(
      method,
      'instanceWarmup',
      props.instanceWarmup ?? this.defaultInstanceWarmup,
      MAX_WARMUP,
      0,
    );
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

      const work = minuteOfWork(backlog, inService, perInstancePerMinute, carry);
      carry = work.carry;
      steps.push({
        minute,
        visibleMessages: backlog,
        workers: inService,
        inServiceInstances: inService,
        desiredCapacity: desired,
        processedMessages: work.processed,
        backlogPerInstance: metric,
      });
      backlog -= work.processed;
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

interface Policy {
  readonly backlogPerInstanceTarget: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
}

/**
 * A target and bounds a group could have, each refused under the name the caller gave it. As
 * QueueProcessingFleet and QueueProcessingService: scaling policies change the capacity only between the
 * minimum and the maximum, so the maximum must be above the minimum.
 */
function checkPolicy(
  names: { readonly target: string; readonly minCapacity: string; readonly maxCapacity: string },
  target: unknown,
  minCapacity: unknown,
  maxCapacity: unknown,
  maxGiven: boolean,
): Policy {
  check.known(names.target, target);
  if (typeof target !== 'number' || !Number.isFinite(target) || !(target > 0) || target > MAX_MESSAGES) {
    throw check.error(
      names.target,
      `must be a finite number above 0 and at most ${formatNumber(MAX_MESSAGES)}`,
      target,
    );
  }
  check.count(undefined, names.minCapacity, minCapacity, 0, MAX_GROUP_SIZE - 1);
  check.count(undefined, names.maxCapacity, maxCapacity, 1, MAX_GROUP_SIZE);
  const min = minCapacity as number;
  const max = maxCapacity as number;
  if (min >= max) {
    throw maxGiven
      ? check.error(
          names.maxCapacity,
          `must be greater than minCapacity (${formatNumber(min)}): scaling policies act only between the two`,
          max,
        )
      : check.error(
          names.minCapacity,
          `must be less than maxCapacity (${formatNumber(max)}): scaling policies act only between the two`,
          min,
        );
  }
  return { backlogPerInstanceTarget: target, minCapacity: min, maxCapacity: max };
}
