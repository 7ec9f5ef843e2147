import { Duration } from 'aws-cdk-lib';
import { CapacityModelMinute, CapacitySimulationProps } from './capacity-model';
import { EPSILON, formatNumber, ModelChecks, Written } from './private/capacity-model/checks';
import { knownReservedConcurrency } from './private/lambda-consumers/facts';
import { QueueProcessingFunction } from './queue-processing-function';

/**
 * The event source mapping and function a LambdaSqsScalingModel reasons about: the numbers a
 * QueueProcessingFunction gives its mapping.
 */
export interface LambdaSqsScalingModelProps {
  /**
   * The most messages Lambda passes to one invocation (1 to 10,000 for a standard queue). The model
   * assumes full batches: an invocation takes `batchSize` messages while that many are waiting.
   *
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * The mapping's maximum concurrency (`ScalingConfig.MaximumConcurrency`, 2 to 1,000): the most concurrent
   * invocations this queue may cause.
   *
   * @default - none: the mapping scales up to Lambda's own limit of 1,250 concurrent invocations
   */
  readonly maxConcurrency?: number;

  /**
   * The concurrency the function may use: its reserved concurrency, or, without one, what the account's
   * concurrency quota in the Region leaves to it (0 to 2,147,483,647; 0 stops the function). The default is
   * the default concurrent executions quota of an account in a Region (Lambda quotas).
   *
   * @default 1000
   */
  readonly availableConcurrency?: number;
}

/**
 * How `LambdaSqsScalingModel.forFunction` models a QueueProcessingFunction.
 */
export interface FunctionCapacityModelOptions {
  /**
   * The concurrency the function may use (0 to 2,147,483,647).
   *
   * @default - the handler's reserved concurrency when it is known at synth, otherwise 1,000 (the default
   * account quota)
   */
  readonly availableConcurrency?: number;
}

/**
 * One minute of a Lambda function consuming a queue. `workers` are its concurrent invocations.
 */
export interface LambdaSqsSimulationMinute extends CapacityModelMinute {
  /**
   * How many concurrent invocations Lambda's scaling allows in this minute: 5 when messages first arrive,
   * 300 more for each minute that ends with messages still waiting, up to the limits. `workers` is this
   * or fewer, when fewer batches are waiting.
   */
  readonly scaledConcurrency: number;
}

/**
 * The most messages per batch for a standard queue (Lambda Developer Guide, "Lambda parameters for
 * Amazon SQS event source mappings", BatchSize).
 */
const MAX_BATCH_SIZE = 10_000;
/** ScalingConfig MaximumConcurrency: "Minimum value of 2. Maximum value of 1000" (Lambda API reference, ScalingConfig). */
const MIN_MAX_CONCURRENCY = 2;
const MAX_MAX_CONCURRENCY = 1000;
/** ReservedConcurrentExecutions is an Integer of at least 0 (Lambda API reference, PutFunctionConcurrency). */
const MAX_AVAILABLE_CONCURRENCY = 2_147_483_647;
/** Concurrent executions: 1,000 by default per account and Region (Lambda Developer Guide, "Lambda quotas"). */
const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
const DEFAULT_BATCH_SIZE = 10;
/** A function runs at most 900 seconds (Lambda quotas, "Function timeout"): one batch must fit in it. */
const MAX_FUNCTION_TIMEOUT = Duration.minutes(15);

/** 5 + 300 × 5 = 1,505 is past every limit: counting further busy minutes changes nothing. */
const MAX_BUSY_MINUTES = 5;

const check = new ModelChecks('LambdaSqsScalingModel');

/**
 * How AWS Lambda scales an SQS event source mapping on a standard queue, minute by minute, as the Lambda
 * Developer Guide describes it ("Configuring scaling behavior for SQS event source mappings",
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html): when messages are available,
 * Lambda "starts processing five batches at a time with five concurrent invocations"; while messages are
 * still available it adds "up to 300 more concurrent invokes per minute"; one mapping processes at most
 * 1,250 invokes simultaneously; and when traffic is low it scales back to five. Maximum concurrency (2 to
 * 1,000, ScalingConfig in the Lambda API reference) caps the mapping lower, and the function's reserved
 * concurrency, or the account's concurrency quota, caps the function.
 *
 * Earlier versions of that guide gave 1,000 concurrent batches as the mapping's maximum; the model follows
 * the current figure, 1,250. It models the default (on-demand) polling mode: the provisioned mode of a
 * mapping, with its own pollers and faster scaling, is not modelled; nor are FIFO queues, which Lambda
 * scales by message group.
 *
 * Each concurrent invocation takes one batch of up to `batchSize` waiting messages and processes them one
 * after another: the batch takes `messages × processingTimePerMessage` (a full one must fit in Lambda's
 * 15-minute timeout), its messages count as processed when it ends, and the invocation takes the next batch
 * at once. Lambda invokes no more functions than there are batches waiting. A message counts as waiting
 * (`visibleMessages`) until its batch ends, as in BacklogCapacityModel, so the minutes of both models compare.
 *
 * A model for explaining and planning, not AWS: it ignores the two-batch optimization at low traffic, the
 * batching window, partial batches received from SQS, throttling and retries (which count towards the
 * queue's maxReceiveCount), and cold starts. It computes with numbers known at synth only, and refuses
 * anything else with an error of the form `[LambdaSqsScalingModel] <method> <argument> <rule>, got <value>`.
 */
export class LambdaSqsScalingModel {
  /** Concurrent invocations when messages first become available: five batches at a time. */
  public static readonly INITIAL_CONCURRENCY = 5;

  /** How many more concurrent invocations Lambda may add in each minute that messages are still available. */
  public static readonly CONCURRENCY_INCREASE_PER_MINUTE = 300;

  /** The most invocations one SQS event source mapping processes simultaneously. */
  public static readonly MAX_MAPPING_CONCURRENCY = 1250;

  /**
   * The model of a QueueProcessingFunction: its batch size and maximum concurrency, and the concurrency its
   * function may use. The consumer's numbers must be known at synth, and its queue must be a standard queue.
   */
  public static forFunction(
    consumer: QueueProcessingFunction,
    options: FunctionCapacityModelOptions = {},
  ): LambdaSqsScalingModel {
    const method = 'forFunction';
    if (consumer === undefined || consumer === null || typeof consumer !== 'object') {
      throw check.error(`${method} consumer`, 'must be a QueueProcessingFunction', consumer);
    }
    if (options === null || typeof options !== 'object') {
      throw check.error(`${method} options`, 'must be a FunctionCapacityModelOptions object', options);
    }
    if (consumer.queue?.fifo === true) {
      throw check.error(
        `${method} consumer.queue`,
        'must be a standard queue: Lambda scales a FIFO queue by message group, which the model does not cover',
        new Written('a FIFO queue'),
      );
    }
    // Read from the handler's CloudFormation resource; anything that is not a construct has none to read.
    const handler = consumer.handler as Partial<QueueProcessingFunction['handler']> | undefined;
    const reserved =
      typeof handler === 'object' && handler !== null && typeof handler.node === 'object'
        ? knownReservedConcurrency(consumer.handler)
        : undefined;
    // Checked here first, so that a refusal names the consumer's prop rather than the model's.
    check.count(undefined, `${method} consumer.batchSize`, consumer.batchSize, 1, MAX_BATCH_SIZE);
    check.count(
      undefined,
      `${method} consumer.maxConcurrency`,
      consumer.maxConcurrency,
      MIN_MAX_CONCURRENCY,
      MAX_MAX_CONCURRENCY,
    );
    if (options.availableConcurrency !== undefined) {
      check.count(
        undefined,
        `${method} options.availableConcurrency`,
        options.availableConcurrency,
        0,
        MAX_AVAILABLE_CONCURRENCY,
      );
    }
    return new LambdaSqsScalingModel({
      batchSize: consumer.batchSize,
      maxConcurrency: consumer.maxConcurrency,
      availableConcurrency: options.availableConcurrency ?? reserved ?? DEFAULT_ACCOUNT_CONCURRENCY,
    });
  }

  /** The most messages per invocation. */
  public readonly batchSize: number;

  /** The mapping's maximum concurrency; undefined when it has none. */
  public readonly maxConcurrency?: number;

  /** The concurrency the function may use. */
  public readonly availableConcurrency: number;

  /**
   * The most concurrent invocations the mapping reaches: the lowest of its maximum concurrency, Lambda's
   * 1,250 per mapping and the function's available concurrency.
   */
  public readonly concurrencyLimit: number;

  constructor(props: LambdaSqsScalingModelProps = {}) {
    if (props === null || typeof props !== 'object') {
      throw check.error('props', 'must be a LambdaSqsScalingModelProps object', props);
    }
    const batchSize = props.batchSize ?? DEFAULT_BATCH_SIZE;
    const availableConcurrency = props.availableConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY;
    check.count(undefined, 'batchSize', batchSize, 1, MAX_BATCH_SIZE);
    if (props.maxConcurrency !== undefined) {
      check.count(undefined, 'maxConcurrency', props.maxConcurrency, MIN_MAX_CONCURRENCY, MAX_MAX_CONCURRENCY);
    }
    check.count(undefined, 'availableConcurrency', availableConcurrency, 0, MAX_AVAILABLE_CONCURRENCY);
    this.batchSize = batchSize;
    this.maxConcurrency = props.maxConcurrency;
    this.availableConcurrency = availableConcurrency;
    this.concurrencyLimit = Math.min(
      props.maxConcurrency ?? LambdaSqsScalingModel.MAX_MAPPING_CONCURRENCY,
      LambdaSqsScalingModel.MAX_MAPPING_CONCURRENCY,
      availableConcurrency,
    );
  }

  /**
   * The concurrent invocations Lambda allows once messages have been waiting at the end of
   * `busyMinutes` consecutive minutes: `5 + 300 × busyMinutes`, at most `concurrencyLimit`
   * (0 to 10,080 minutes).
   */
  public scaledConcurrency(busyMinutes: number): number {
    check.count('scaledConcurrency', 'busyMinutes', busyMinutes, 0, 10_080);
    return Math.min(
      this.concurrencyLimit,
      LambdaSqsScalingModel.INITIAL_CONCURRENCY + LambdaSqsScalingModel.CONCURRENCY_INCREASE_PER_MINUTE * busyMinutes,
    );
  }

  /**
   * Runs the mapping through a backlog minute by minute. At the start of each minute Lambda fills its free
   * concurrency (`scaledConcurrency` less the invocations still running) with batches of the waiting
   * messages; an invocation takes `batchSize` messages (fewer when fewer wait) and finishes them together
   * after `messages × processingTimePerMessage`, then takes the next batch at once, within the minute. The
   * scaled concurrency grows by 300 after each minute that ends with messages still waiting, and falls back
   * to 5 once no message is waiting or in flight. `processingTimePerMessage × batchSize` must be at most
   * 15 minutes, Lambda's longest timeout.
   */
  public simulate(props: CapacitySimulationProps): LambdaSqsSimulationMinute[] {
    const method = 'simulate';
    const { minutes, initialBacklog, processingMillis, arrivals } = check.simulation(
      method,
      props,
      'CapacitySimulationProps',
      MAX_FUNCTION_TIMEOUT,
    );
    if (processingMillis * this.batchSize > MAX_FUNCTION_TIMEOUT.toMilliseconds()) {
      throw check.error(
        `${method} processingTimePerMessage`,
        `must be at most 15 minutes ÷ batchSize (${formatNumber(this.batchSize)}): a batch must finish within Lambda's 15-minute timeout`,
        props.processingTimePerMessage,
      );
    }

    const invocations = new Invocations(this.batchSize, processingMillis);
    let waiting = initialBacklog;
    let busyMinutes = 0;
    const steps: LambdaSqsSimulationMinute[] = [];
    for (let minute = 0; minute < minutes; minute++) {
      waiting += arrivals[minute] ?? 0;
      const unfinished = waiting + invocations.messagesInFlight;
      const scaled = this.scaledConcurrency(busyMinutes);
      waiting = invocations.start(Math.max(0, scaled - invocations.running), waiting);
      const workers = invocations.running;
      const minuteRun = invocations.runMinute(waiting);
      waiting = minuteRun.waiting;
      steps.push({
        minute,
        visibleMessages: unfinished,
        workers,
        processedMessages: minuteRun.processed,
        scaledConcurrency: scaled,
      });
      // "If messages are still available, Lambda increases the number of processes that are reading
      // batches"; with nothing left it scales back to five. Held at the limit, so a long run stays small.
      if (waiting > 0) {
        busyMinutes = Math.min(busyMinutes + 1, MAX_BUSY_MINUTES);
      } else if (invocations.running === 0) {
        busyMinutes = 0;
      }
    }
    return steps;
  }
}

/** A minute, in milliseconds. */
const MINUTE_MILLIS = 60_000;

/** Absorbs floating-point noise in times of fractional milliseconds. */
const TIME_EPSILON = 1e-6;

/** Invocations that started the same batch size at the same moment, and so finish together. */
interface Cohort {
  invocations: number;
  /** Messages in each invocation's current batch. */
  messages: number;
  /** Milliseconds until the current batches finish. */
  left: number;
}

/**
 * The invocations in flight, as cohorts. Lambda keeps each concurrency slot busy while messages wait: an
 * invocation that finishes its batch takes the next one at once. While enough messages wait for every slot
 * to the end of the minute, the cycles of each cohort are counted in one step; otherwise the finishing
 * batches are followed one by one until no message waits (each then takes at least one message), so a run
 * costs little even with millisecond batches.
 */
class Invocations {
  private cohorts: Cohort[] = [];
  private readonly fullBatchMillis: number;

  constructor(
    private readonly batchSize: number,
    private readonly processingMillis: number,
  ) {
    this.fullBatchMillis = batchSize * processingMillis;
  }

  public get running(): number {
    return this.cohorts.reduce((sum, c) => sum + c.invocations, 0);
  }

  public get messagesInFlight(): number {
    return this.cohorts.reduce((sum, c) => sum + c.invocations * c.messages, 0);
  }

  /** Starts batches in `free` slots; returns the messages still waiting. */
  public start(free: number, waiting: number): number {
    const full = Math.min(free, Math.floor(waiting / this.batchSize));
    if (full > 0) {
      this.cohorts.push({ invocations: full, messages: this.batchSize, left: this.fullBatchMillis });
      waiting -= full * this.batchSize;
    }
    if (free > full && waiting > 0) {
      // Fewer than a batch wait: one invocation takes them all.
      this.cohorts.push({ invocations: 1, messages: waiting, left: waiting * this.processingMillis });
      waiting = 0;
    }
    return waiting;
  }

  /** Runs one minute; returns the messages processed and those still waiting. */
  public runMinute(waiting: number): { processed: number; waiting: number } {
    let processed = 0;
    let elapsed = 0;
    while (this.cohorts.length > 0) {
      const remaining = MINUTE_MILLIS - elapsed;
      const demand = this.cohorts.reduce(
        (sum, c) => sum + this.completions(c, remaining) * c.invocations * this.batchSize,
        0,
      );
      if (demand <= waiting) {
        // Every finishing batch is followed by a full one to the end of the minute.
        for (const c of this.cohorts) {
          const done = this.completions(c, remaining);
          if (done > 0) {
            processed += c.invocations * (c.messages + (done - 1) * this.batchSize);
            const intoLast = remaining - c.left - (done - 1) * this.fullBatchMillis;
            c.left = Math.max(TIME_EPSILON, this.fullBatchMillis - intoLast);
            c.messages = this.batchSize;
          } else {
            c.left -= remaining;
          }
        }
        waiting -= demand;
        break;
      }
      // Not enough messages for every slot: follow the next batches to finish.
      const next = Math.min(...this.cohorts.map((c) => c.left));
      elapsed += next;
      const running: Cohort[] = [];
      for (const c of this.cohorts) {
        c.left -= next;
        if (c.left > TIME_EPSILON) {
          running.push(c);
          continue;
        }
        processed += c.invocations * c.messages;
        const full = Math.min(c.invocations, Math.floor(waiting / this.batchSize));
        waiting -= full * this.batchSize;
        if (full > 0) {
          running.push({ invocations: full, messages: this.batchSize, left: this.fullBatchMillis });
        }
        if (c.invocations > full && waiting > 0) {
          running.push({ invocations: 1, messages: waiting, left: waiting * this.processingMillis });
          waiting = 0;
        }
      }
      this.cohorts = running;
    }
    return { processed, waiting };
  }

  /** How many times the cohort's batches finish within `millis`, each followed by a full batch. */
  private completions(cohort: Cohort, millis: number): number {
    if (cohort.left > millis + TIME_EPSILON) {
      return 0;
    }
    return 1 + Math.floor((millis - cohort.left) / this.fullBatchMillis + EPSILON);
  }
}
