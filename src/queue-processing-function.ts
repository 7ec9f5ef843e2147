import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, ACKNOWLEDGMENTS } from './private/acknowledgments';
import { notifyingAlarm } from './private/alarms';
import { AWS_MANAGED_SQS_KEY_ALIAS } from './private/aws-managed-keys';
import { addQueueProcessingFunctionWidgets } from './private/dashboard/queue-processing-function';
import {
  knownDeadLetter,
  knownFunctionTimeoutSeconds,
  knownQueueRetentionSeconds,
  knownRegion,
  knownReservedConcurrency,
} from './private/lambda-consumers/facts';
import {
  allow,
  claimMapping,
  grantToHandler,
  keyStatement,
  validatedSeconds,
  validateHandler,
  validateHandlerTimeout,
  validateIsDuration,
  withSynthNumbers,
} from './private/lambda-consumers/mapping';
import { describeDuration, knownVisibilityTimeout, validateBoolean } from './private/queue-facts';
import { formatNumber, invalidProp, validateIntegerInRange } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';
import { WorkQueue } from './work-queue';

/**
 * Properties of a QueueProcessingFunction.
 */
export interface QueueProcessingFunctionProps {
  /**
   * The queue the function consumes: a WorkQueue (whose visibility timeout, retention, FIFO-ness and
   * dead-letter queue are all checked), an `sqs.Queue` of this app, or an imported queue (checked as far
   * as its attributes say). Its messages must reach a dead-letter queue after repeated failures: an SQS
   * event source mapping has no on-failure destination of its own.
   */
  readonly queue: sqs.IQueue;

  /**
   * The function that processes the messages. Its execution role gets exactly what Lambda's poller needs
   * (receive, delete, change visibility and read the attributes of this queue, and decrypt with its key),
   * through a customer-managed policy. An imported function must be imported with its role.
   */
  readonly handler: lambda.IFunction;

  /**
   * The most messages Lambda passes to one invocation: 1 to 10,000 for a standard queue, 1 to 10 for a
   * FIFO queue. Above 10, Lambda requires a `maxBatchingWindow` of at least 1 second.
   *
   * @default 10
   */
  readonly batchSize?: number;

  /**
   * How long Lambda gathers messages before it invokes the function with a batch smaller than
   * `batchSize` (0 seconds to 5 minutes, whole seconds). Not supported on FIFO queues.
   *
   * @default - no batching window: the function is invoked as soon as messages are available
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * The most concurrent invocations this queue may cause (2 to 1,000). It keeps a burst of messages from
   * taking the account's whole concurrency (1,000 by default), which would throttle every other function.
   * Keep it at or below the function's reserved concurrency, if it has one, or Lambda throttles the
   * function and the throttled messages count towards `maxReceiveCount`.
   *
   * @default - 100, or the function's reserved concurrency when that is lower (and at least 2)
   */
  readonly maxConcurrency?: number;

  /**
   * Let the function report which messages of a batch failed (`batchItemFailures` in its response), so
   * that only those return to the queue, instead of the whole batch. The function must then answer with
   * `{ batchItemFailures: [...] }`; an empty list means every message succeeded.
   *
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;

  /**
   * Whether the event source mapping polls the queue.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Alarm when the oldest message of the queue is older than this (1 minute to 14 days, shorter than the
   * queue's retention): the function is failing, throttled or too few.
   *
   * @default - 15 minutes, or half the queue's retention when that is shorter
   */
  readonly oldestMessageAgeAlarmThreshold?: Duration;

  /**
   * The topic the alarms notify.
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

/**
 * Batch size limits: "For standard queues, the maximum is 10,000. For FIFO queues, the maximum is 10."
 * (Lambda parameters for Amazon SQS event source mappings,
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html; CloudFormation
 * AWS::Lambda::EventSourceMapping BatchSize, minimum 1.)
 */
const MAX_BATCH_SIZE_STANDARD = 10_000;
const MAX_BATCH_SIZE_FIFO = 10;
const DEFAULT_BATCH_SIZE = 10;

/**
 * "When you set BatchSize to a value greater than 10, you must set MaximumBatchingWindowInSeconds to at
 * least 1" (CreateEventSourceMapping API reference, MaximumBatchingWindowInSeconds). Its range is 0 to
 * 300 seconds (same reference; CloudFormation schema minimum 0, maximum 300).
 */
const BATCH_SIZE_WITHOUT_WINDOW = 10;
const MAX_BATCHING_WINDOW = Duration.seconds(300);

/**
 * ScalingConfig MaximumConcurrency: "Minimum value of 2. Maximum value of 1000" (ScalingConfig, Lambda API
 * reference; CloudFormation schema 2..1000).
 */
const MIN_MAX_CONCURRENCY = 2;
const MAX_MAX_CONCURRENCY = 1000;

/** A tenth of the default account concurrency quota of 1,000 (Lambda quotas). */
const DEFAULT_MAX_CONCURRENCY = 100;

/**
 * "Set the queue's visibility timeout to at least six times the function timeout. This ensures Lambda has
 * enough time to retry if a function is throttled while processing a previous batch." (Amazon SQS
 * Developer Guide, "Configuring an Amazon SQS queue to trigger an AWS Lambda function",
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-lambda-function-trigger.html;
 * Lambda Developer Guide, "Understanding SQS retries".)
 */
const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * "Set the maxReceiveCount on the source queue's redrive policy to at least 5. This improves the chances of
 * messages being processed before reaching the DLQ." (Lambda Developer Guide, "Understanding SQS retries",
 * https://docs.aws.amazon.com/lambda/latest/dg/sqs-retries.html.)
 */
const RECOMMENDED_MIN_RECEIVE_COUNT = 5;

const DEFAULT_OLDEST_MESSAGE_AGE_THRESHOLD_SECONDS = 15 * 60;

/**
 * What Lambda's poller needs on the queue (Amazon SQS Developer Guide: the execution role "must include
 * sqs:DeleteMessage, sqs:GetQueueAttributes, sqs:ReceiveMessage"), plus `sqs:ChangeMessageVisibility`, which
 * lets the function extend the visibility of a message it is still working on (a heartbeat for long
 * work) instead of racing the visibility timeout. No `GetQueueUrl`, no send, no purge.
 */
const CONSUME_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueAttributes',
];

/**
 * A Lambda function that consumes an SQS queue: the event source mapping with partial batch responses on,
 * the batch, batching-window and concurrency limits of standard and FIFO queues, AWS's visibility-timeout
 * rule, least-privilege grants, and alarms on the function and the queue.
 *
 * Checks made at synth, whenever the facts are known (a WorkQueue, or a queue and function of this app):
 * the queue's visibility timeout is at least six times the function's timeout; the function's timeout is
 * at most 15 minutes; the queue has a dead-letter queue; the queue and the function are in one region.
 *
 * The function's own settings (memory, tracing, VPC, its own dead-letter queue for asynchronous calls)
 * stay the user's: the construct adds no compliance finding of its own to them.
 */
export class QueueProcessingFunction extends Construct {
  /** The queue the function consumes. */
  public readonly queue: sqs.IQueue;

  /** The function that processes the messages. */
  public readonly handler: lambda.IFunction;

  /** The event source mapping that polls the queue and invokes the function. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;

  /** The customer-managed policy, attached to the function's role, that lets the mapping consume the queue. */
  public readonly consumePolicy: iam.ManagedPolicy;

  /** The most messages per invocation; a token when given as one. */
  public readonly batchSize: number;

  /** The most concurrent invocations the queue causes; a token when given as one. */
  public readonly maxConcurrency: number;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** Alarms when an invocation fails (Lambda `Errors`, any in 5 minutes). */
  public readonly errorsAlarm: cloudwatch.Alarm;

  /** Alarms when invocations are throttled (Lambda `Throttles`, any in 5 minutes): concurrency is exhausted. */
  public readonly throttlesAlarm: cloudwatch.Alarm;

  /** Alarms when the oldest message waits longer than `oldestMessageAgeAlarmThreshold`. */
  public readonly oldestMessageAgeAlarm: cloudwatch.Alarm;

  /**
   * Alarms when a message reaches the dead-letter queue of an `sqs.Queue` of this app. Undefined for a
   * WorkQueue, which has that alarm already (it is in `alarms`), and for an imported queue.
   */
  public readonly deadLetterQueueNotEmptyAlarm?: cloudwatch.Alarm;

  private readonly queueAlarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: QueueProcessingFunctionProps) {
    super(scope, id);
    if (props === undefined || props === null || typeof props !== 'object') {
      throw invalidProp(this, 'props', 'must give at least queue and handler', props);
    }
    validateQueue(this, props.queue);
    validateHandler(this, props.handler);
    this.queue = props.queue;
    this.handler = props.handler;
    const fifo = this.queue.fifo === true;

    const settings = validateSettings(this, withSynthNumbers(this, props, ['batchSize', 'maxConcurrency']), fifo);
    this.batchSize = settings.batchSize;
    this.maxConcurrency = settings.maxConcurrency;
    claimMapping(this, 'queue', this.handler, this.queue, this.queue.queueArn);

    this.consumePolicy = grantToHandler(
      this,
      'ConsumePolicy',
      `Lets the event source mapping of ${this.node.path} consume its queue`,
      this.handler,
      [
        allow(CONSUME_ACTIONS, [this.queue.queueArn]),
        ...keyStatement(this.queue.encryptionMasterKey, ['kms:Decrypt'], AWS_MANAGED_SQS_KEY_ALIAS),
      ],
    );

    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSourceMapping', {
      target: this.handler,
      eventSourceArn: this.queue.queueArn,
      batchSize: this.batchSize,
      maxConcurrency: this.maxConcurrency,
      reportBatchItemFailures: props.reportBatchItemFailures ?? true,
      enabled: props.enabled,
    });
    const cfnMapping = this.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping;
    // Set on the CloudFormation resource: aws-cdk-lib's conversion fails for a token window, and a
    // FIFO queue takes no window at all (an explicit 0 asks for exactly what leaving it out gives).
    if (settings.maxBatchingWindowSeconds !== undefined && !(fifo && settings.maxBatchingWindowSeconds === 0)) {
      cfnMapping.maximumBatchingWindowInSeconds = settings.maxBatchingWindowSeconds;
    }
    this.eventSourceMapping.node.addDependency(this.consumePolicy);
    acknowledge(this.eventSourceMapping, ACKNOWLEDGMENTS.sqsEventSourceMappingWithoutDestination);

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    const path = this.node.path;
    this.errorsAlarm = notifyingAlarm(this, 'ErrorsAlarm', {
      alarmTopic: this.alarmTopic,
      description: `Invocations of ${path} failed: its messages return to the queue and, after maxReceiveCount receives, move to the dead-letter queue.`,
      metric: this.handler.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.throttlesAlarm = notifyingAlarm(this, 'ThrottlesAlarm', {
      alarmTopic: this.alarmTopic,
      description: `Invocations of ${path} were throttled: the function's reserved or the account's concurrency is exhausted, and throttled messages count as receives.`,
      metric: this.handler.metricThrottles({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const ageThreshold = settings.oldestMessageAgeThresholdSeconds;
    this.oldestMessageAgeAlarm = notifyingAlarm(this, 'OldestMessageAgeAlarm', {
      alarmTopic: this.alarmTopic,
      description: `The oldest message of the queue of ${path} waits longer than ${describeSeconds(ageThreshold)}: the function is failing, throttled or too few.`,
      metric: this.queue.metricApproximateAgeOfOldestMessage({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: ageThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
    });

    if (this.queue instanceof WorkQueue) {
      // A WorkQueue alarms on its dead-letter queue itself; a second alarm would page twice.
      this.queueAlarms = [this.queue.deadLetterQueueNotEmptyAlarm, this.queue.deadLetterQueueMessageAgeAlarm].filter(
        (alarm): alarm is cloudwatch.Alarm => alarm !== undefined,
      );
    } else {
      this.queueAlarms = [];
      const deadLetterQueue = this.queue instanceof sqs.Queue ? this.queue.deadLetterQueue?.queue : undefined;
      if (deadLetterQueue !== undefined) {
        this.deadLetterQueueNotEmptyAlarm = notifyingAlarm(this, 'DeadLetterQueueNotEmptyAlarm', {
          alarmTopic: this.alarmTopic,
          description: `Messages of the queue of ${path} failed repeatedly and wait in its dead-letter queue.`,
          metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.minutes(1),
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        });
      }
    }

    addQueueProcessingFunctionWidgets(this, props.dashboard);
  }

  /**
   * Every alarm that watches this consumer: its own (errors, throttles, oldest message, and the
   * dead-letter alarm of an `sqs.Queue`), and the dead-letter queue alarms of a WorkQueue, which the
   * WorkQueue created.
   */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.errorsAlarm,
      this.throttlesAlarm,
      this.oldestMessageAgeAlarm,
      this.deadLetterQueueNotEmptyAlarm,
      ...this.queueAlarms,
    ].filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined);
  }
}

interface Settings {
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds?: number;
  readonly maxConcurrency: number;
  readonly oldestMessageAgeThresholdSeconds: number;
}

function validateQueue(scope: Construct, queue: unknown): asserts queue is sqs.IQueue {
  const candidate = queue as Partial<sqs.IQueue> | undefined;
  if (
    candidate === undefined ||
    candidate === null ||
    typeof candidate.queueArn !== 'string' ||
    candidate.node === undefined
  ) {
    throw invalidProp(scope, 'queue', 'must be an SQS queue (sqs.IQueue)', queue);
  }
}

function validateSettings(scope: Construct, props: QueueProcessingFunctionProps, fifo: boolean): Settings {
  validateIntegerInRange(scope, 'batchSize', props.batchSize, 1, MAX_BATCH_SIZE_STANDARD);
  if (
    fifo &&
    props.batchSize !== undefined &&
    !Token.isUnresolved(props.batchSize) &&
    props.batchSize > MAX_BATCH_SIZE_FIFO
  ) {
    throw invalidProp(
      scope,
      'batchSize',
      `must be an integer between 1 and ${MAX_BATCH_SIZE_FIFO} for a FIFO queue (Lambda's limit for FIFO queues)`,
      props.batchSize,
    );
  }
  validateIsDuration(scope, 'maxBatchingWindow', props.maxBatchingWindow);
  const maxBatchingWindowSeconds = validatedSeconds(
    scope,
    'maxBatchingWindow',
    props.maxBatchingWindow,
    Duration.seconds(0),
    MAX_BATCHING_WINDOW,
  );
  if (
    fifo &&
    maxBatchingWindowSeconds !== undefined &&
    (Token.isUnresolved(maxBatchingWindowSeconds) || maxBatchingWindowSeconds > 0)
  ) {
    // "Batching window is not supported for FIFO queues" (Lambda parameters for Amazon SQS event source mappings).
    throw invalidProp(
      scope,
      'maxBatchingWindow',
      'cannot be set on a FIFO queue (Lambda supports no batching window for FIFO queues)',
      describeDuration(scope, props.maxBatchingWindow!),
    );
  }
  const batchSize = props.batchSize ?? DEFAULT_BATCH_SIZE;
  if (
    !Token.isUnresolved(batchSize) &&
    batchSize > BATCH_SIZE_WITHOUT_WINDOW &&
    maxBatchingWindowSeconds !== undefined &&
    !Token.isUnresolved(maxBatchingWindowSeconds) &&
    maxBatchingWindowSeconds < 1
  ) {
    throw invalidProp(
      scope,
      'maxBatchingWindow',
      `must be at least 1 second when batchSize is above ${BATCH_SIZE_WITHOUT_WINDOW} (Lambda requires it; batchSize is ${formatNumber(batchSize)})`,
      describeDuration(scope, props.maxBatchingWindow!),
    );
  }
  if (
    !Token.isUnresolved(batchSize) &&
    batchSize > BATCH_SIZE_WITHOUT_WINDOW &&
    maxBatchingWindowSeconds === undefined
  ) {
    throw invalidProp(
      scope,
      'batchSize',
      `may be above ${BATCH_SIZE_WITHOUT_WINDOW} only with a maxBatchingWindow of at least 1 second (Lambda requires one)`,
      batchSize,
    );
  }

  validateIntegerInRange(scope, 'maxConcurrency', props.maxConcurrency, MIN_MAX_CONCURRENCY, MAX_MAX_CONCURRENCY);
  const maxConcurrency = resolveMaxConcurrency(scope, props);

  validateBoolean(scope, 'reportBatchItemFailures', props.reportBatchItemFailures);
  validateBoolean(scope, 'enabled', props.enabled);

  const timeoutSeconds = knownFunctionTimeoutSeconds(props.handler);
  validateHandlerTimeout(scope, timeoutSeconds);
  validateVisibilityTimeout(scope, props.queue, timeoutSeconds);
  validateDeadLetterQueue(scope, props.queue);
  validateRegion(scope, props.queue, props.handler);

  validateIsDuration(scope, 'oldestMessageAgeAlarmThreshold', props.oldestMessageAgeAlarmThreshold);
  const oldestMessageAgeThresholdSeconds = oldestMessageAgeThreshold(scope, props);
  return { batchSize, maxBatchingWindowSeconds, maxConcurrency, oldestMessageAgeThresholdSeconds };
}

/**
 * "Don't configure maximum concurrency higher than the function's reserved concurrency ... Otherwise, Lambda
 * may throttle your messages." (Lambda Developer Guide, "Configuring scaling behavior for SQS event source
 * mappings", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html.) The default follows a
 * lower reserved concurrency; a value the user chose is kept, with a warning.
 */
function resolveMaxConcurrency(scope: Construct, props: QueueProcessingFunctionProps): number {
  const reserved = knownReservedConcurrency(props.handler);
  const chosen = props.maxConcurrency;
  const maxConcurrency =
    chosen ??
    (reserved !== undefined
      ? Math.max(MIN_MAX_CONCURRENCY, Math.min(DEFAULT_MAX_CONCURRENCY, reserved))
      : DEFAULT_MAX_CONCURRENCY);
  if (reserved !== undefined && !Token.isUnresolved(maxConcurrency) && maxConcurrency > reserved) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:maxConcurrencyAboveReservedConcurrency',
      `maxConcurrency (${maxConcurrency}) is above the handler's reserved concurrency (${reserved}): Lambda will throttle ` +
        'invocations, and each throttled message counts as a receive towards the dead-letter queue. ' +
        `Lower maxConcurrency to ${reserved} or raise the reserved concurrency (the minimum maxConcurrency is ${MIN_MAX_CONCURRENCY}).`,
    );
  }
  return maxConcurrency;
}

/**
 * The visibility-timeout rule, when both values are known: a WorkQueue or a queue of this app, and a
 * function of this app. An imported queue or function, or a token, is left to the deployment (Lambda then
 * still refuses a function timeout above the visibility timeout when it creates the mapping).
 */
function validateVisibilityTimeout(scope: Construct, queue: sqs.IQueue, timeoutSeconds: number | undefined): void {
  const visibilityTimeout = knownVisibilityTimeout(queue);
  if (visibilityTimeout === undefined || timeoutSeconds === undefined) {
    return;
  }
  const required = VISIBILITY_TIMEOUT_FACTOR * timeoutSeconds;
  if (visibilityTimeout.toSeconds() < required) {
    throw invalidProp(
      scope,
      'queue visibility timeout',
      `must be at least six times the handler's timeout (6 × ${describeSeconds(timeoutSeconds)} = ${describeSeconds(required)}), ` +
        "so that Lambda can retry a batch when the function is throttled (AWS's rule for Lambda consumers); " +
        "raise the queue's visibilityTimeout or lower the function's timeout",
      visibilityTimeout,
    );
  }
}

/**
 * An SQS event source mapping takes no on-failure destination, so a message the function keeps failing
 * must leave through the queue's redrive policy, or it is retried until it expires. A queue of this app
 * without one is refused; an imported queue cannot be checked and is reported.
 */
function validateDeadLetterQueue(scope: Construct, queue: sqs.IQueue): void {
  const deadLetter = knownDeadLetter(queue);
  if (deadLetter.status === 'none') {
    throw invalidProp(
      scope,
      'queue',
      'must have a dead-letter queue (a redrive policy): an SQS event source mapping has no on-failure destination, ' +
        'so a message the function keeps failing would be retried until it expires; use a WorkQueue, or give the queue a deadLetterQueue',
      queue.node.path,
    );
  }
  if (deadLetter.status === 'unknown') {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:queueDeadLetterUnknown',
      `The queue ${queue.node.path} is imported, so whether it has a dead-letter queue cannot be checked. ` +
        'Make sure its redrive policy moves failing messages to one: an SQS event source mapping has no on-failure destination.',
    );
  }
  if (deadLetter.maxReceiveCount !== undefined && deadLetter.maxReceiveCount < RECOMMENDED_MIN_RECEIVE_COUNT) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:maxReceiveCountBelowFive',
      `The queue's maxReceiveCount is ${deadLetter.maxReceiveCount}: a throttled or retried batch counts as a receive, so ` +
        `messages may reach the dead-letter queue without a real failure. AWS recommends at least ${RECOMMENDED_MIN_RECEIVE_COUNT} for Lambda consumers.`,
    );
  }
}

/** "The queue and Lambda function must be in the same AWS Region" (Amazon SQS Developer Guide, same page). */
function validateRegion(scope: Construct, queue: sqs.IQueue, handler: lambda.IFunction): void {
  const queueRegion = knownRegion(queue);
  const handlerRegion = knownRegion(handler);
  if (queueRegion !== undefined && handlerRegion !== undefined && queueRegion !== handlerRegion) {
    throw invalidProp(
      scope,
      'queue',
      `must be in the handler's region (${handlerRegion}): Lambda reads SQS queues of its own region only`,
      queueRegion,
    );
  }
}

/** The threshold of the oldest-message alarm, in seconds: below the retention, or the alarm could never fire. */
function oldestMessageAgeThreshold(scope: Construct, props: QueueProcessingFunctionProps): number {
  const retention = knownQueueRetentionSeconds(props.queue);
  const given = props.oldestMessageAgeAlarmThreshold;
  if (given === undefined) {
    return retention !== undefined && retention <= DEFAULT_OLDEST_MESSAGE_AGE_THRESHOLD_SECONDS
      ? Math.floor(retention / 2)
      : DEFAULT_OLDEST_MESSAGE_AGE_THRESHOLD_SECONDS;
  }
  const seconds = validatedSeconds(
    scope,
    'oldestMessageAgeAlarmThreshold',
    given,
    Duration.minutes(1),
    Duration.days(14),
  ) as number;
  if (retention !== undefined && !Token.isUnresolved(seconds) && seconds >= retention) {
    throw invalidProp(
      scope,
      'oldestMessageAgeAlarmThreshold',
      `must be shorter than the queue's retention period (${describeSeconds(retention)}), or the alarm could never fire`,
      describeDuration(scope, given),
    );
  }
  return seconds;
}

function describeSeconds(seconds: number): string {
  return Duration.seconds(seconds).toHumanString();
}
