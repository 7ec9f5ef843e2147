import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { notifyingAlarm } from './private/alarms';
import { AWS_MANAGED_KINESIS_KEY_ALIAS, AWS_MANAGED_SQS_KEY_ALIAS } from './private/aws-managed-keys';
import { addAlarmMetricWidgets } from './private/dashboard/generic';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { knownFunctionTimeoutSeconds, knownStreamRetentionHours } from './private/lambda-consumers/facts';
import {
  allow,
  claimMapping,
  GrantedDestination,
  grantToHandler,
  keyStatement,
  validatedSeconds,
  validateHandler,
  validateHandlerTimeout,
  validateIsDuration,
  withSynthNumbers,
} from './private/lambda-consumers/mapping';
import { describeDuration, validateBoolean } from './private/queue-facts';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  formatNumber,
  invalidProp,
  validateEnumValue,
  validateIntegerInRange,
  validateNumberInRange,
} from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';
import { WorkQueue } from './work-queue';

/**
 * Properties of a StreamProcessingFunction.
 */
export interface StreamProcessingFunctionProps {
  /**
   * The stream the function reads: an EncryptedStream (whose key and retention are known), a
   * `kinesis.Stream`, or an imported stream. Its key, when it has a customer-managed one, is granted for
   * decryption.
   */
  readonly stream: kinesis.IStream;

  /**
   * The function that processes the records. Its execution role gets read-only access to this stream (and
   * to the consumer, with enhanced fan-out), decryption with the stream's key, and sending to the on-failure
   * queue, through a customer-managed policy. An imported function must be imported with its role.
   */
  readonly handler: lambda.IFunction;

  /**
   * Read through this enhanced fan-out consumer of the stream (for example one made with
   * `EncryptedStream.addConsumer`), with its own 2 MB/s per shard, instead of sharing the shard's read
   * throughput with the stream's other readers. The function may subscribe through this consumer only.
   *
   * @default - shared-throughput reads (GetRecords), no consumer
   */
  readonly enhancedFanOutConsumer?: kinesis.IStreamConsumer;

  /**
   * Where in the stream the mapping starts reading when it is created. Changing it later replaces the
   * mapping, and Lambda refuses a second mapping of one function and stream while the first exists, so
   * such an update fails: remove the construct in one deployment and add it back in the next.
   *
   * @default lambda.StartingPosition.TRIM_HORIZON (every record still in the stream)
   */
  readonly startingPosition?: lambda.StartingPosition;

  /**
   * With `StartingPosition.AT_TIMESTAMP`: the time to start reading at, in Unix seconds.
   *
   * @default - none; required with AT_TIMESTAMP, refused otherwise
   */
  readonly startingPositionTimestamp?: number;

  /**
   * The most records Lambda passes to one invocation (1 to 10,000).
   *
   * @default 100
   */
  readonly batchSize?: number;

  /**
   * How long Lambda gathers records before it invokes the function with a batch smaller than `batchSize`
   * (0 seconds to 5 minutes, whole seconds).
   *
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;

  /**
   * How many batches of one shard are processed at once (1 to 10). Order is kept per partition key.
   *
   * @default 1
   */
  readonly parallelizationFactor?: number;

  /**
   * How many times a failed batch is retried before its records are sent to the on-failure queue
   * (0 to 10,000). Infinite retries (-1) are not offered: one record the function always fails on would
   * block its shard until it leaves the stream's retention.
   *
   * @default 10
   */
  readonly retryAttempts?: number;

  /**
   * Records older than this are not retried but sent to the on-failure queue (1 minute to 7 days, and
   * shorter than the stream's retention when it is known: a record that leaves the stream first is lost
   * without a trace).
   *
   * @default Duration.hours(1)
   */
  readonly maxRecordAge?: Duration;

  /**
   * On a function error, split the batch in two and retry each half, so that one bad record is isolated
   * (splitting does not count as a retry).
   *
   * @default true
   */
  readonly bisectBatchOnError?: boolean;

  /**
   * Let the function report the first failed record of a batch (`batchItemFailures` with its sequence
   * number), so that Lambda retries from there instead of the whole batch.
   *
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;

  /**
   * Aggregate records in tumbling windows of this length (0 seconds to 15 minutes, whole seconds); the
   * function receives and returns the window's state.
   *
   * @default - no tumbling window
   */
  readonly tumblingWindow?: Duration;

  /**
   * Where Lambda sends a record of each batch it gives up on (retries exhausted or too old): a standard
   * queue. The record holds the shard and sequence numbers, not the data, so read the data from the stream
   * before it leaves the retention.
   *
   * @default - a new WorkQueue
   */
  readonly onFailureQueue?: sqs.IQueue;

  /**
   * Whether the event source mapping reads the stream.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * Alarm when the function's iterator age (the age of the last record it got) exceeds this (1 minute to
   * 7 days, and shorter than `maxRecordAge`): it is falling behind, and records near `maxRecordAge` will be
   * discarded to the on-failure queue.
   *
   * @default - half of `maxRecordAge`
   */
  readonly iteratorAgeAlarmThreshold?: Duration;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * What happens to the on-failure queue the construct creates (the WorkQueue, its dead-letter queue and
   * key) when it leaves the stack. Refused together with `onFailureQueue`: the construct then creates
   * nothing stateful, and the given queue keeps its own policy.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Adds this construct's widget group to the stack's dashboard (StackDashboard.of(this)).
   *
   * @default true
   */
  readonly dashboard?: boolean;
}

/**
 * Limits of a Kinesis event source mapping (Lambda Developer Guide, "Lambda parameters for Amazon Kinesis
 * Data Streams event source mappings", https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html,
 * and the CloudFormation AWS::Lambda::EventSourceMapping schema): BatchSize 1..10,000 (default 100);
 * MaximumBatchingWindowInSeconds 0..300; ParallelizationFactor 1..10; MaximumRetryAttempts -1..10,000;
 * MaximumRecordAgeInSeconds -1..604,800 (values below 60 are refused by Lambda, as aws-cdk-lib documents);
 * TumblingWindowInSeconds 0..900; StartingPosition AT_TIMESTAMP, TRIM_HORIZON or LATEST, with
 * StartingPositionTimestamp "only valid if StartingPosition is set to AT_TIMESTAMP".
 */
const MAX_BATCH_SIZE = 10_000;
const DEFAULT_BATCH_SIZE = 100;
const MAX_BATCHING_WINDOW = Duration.seconds(300);
const MAX_PARALLELIZATION_FACTOR = 10;
const MAX_RETRY_ATTEMPTS = 10_000;
const MIN_RECORD_AGE = Duration.seconds(60);
const MAX_RECORD_AGE = Duration.seconds(604_800);
const MAX_TUMBLING_WINDOW = Duration.seconds(900);

/**
 * "With default settings, this means that a bad record can block processing on the affected shard for up to
 * one week. To avoid this, configure your function's event source mapping with a reasonable number of
 * retries and a maximum record age that fits your use case." (Lambda Developer Guide, "Retain discarded
 * batch records for a Kinesis Data Streams event source in Lambda",
 * https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html.)
 */
const DEFAULT_RETRY_ATTEMPTS = 10;
const DEFAULT_MAX_RECORD_AGE_SECONDS = 3_600;

/** The iterator-age alarm fires at this share of `maxRecordAge`, before records are discarded for their age. */
const ITERATOR_AGE_ALARM_SHARE = 0.5;

/**
 * The actions on the consumer for enhanced fan-out (Lambda Developer Guide, "Process Amazon Kinesis Data
 * Streams records with Lambda": `kinesis:SubscribeToShard`; `DescribeStreamConsumer` lets Lambda check
 * the consumer is ACTIVE), on that consumer's ARN only.
 */
const CONSUMER_ACTIONS = ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'];

/**
 * A Lambda function that reads a Kinesis data stream with safe defaults: a batch that fails is split to
 * isolate the bad record, retried a bounded number of times and for a bounded time, then recorded in an
 * on-failure queue (a WorkQueue by default) instead of blocking its shard; partial batch responses are on.
 *
 * The function's role may read this stream only (and subscribe through its enhanced fan-out consumer
 * only, when one is given), decrypt with the stream's key and send to the on-failure queue — through a
 * customer-managed policy, so the construct adds no compliance finding to the user's role.
 */
export class StreamProcessingFunction extends Construct {
  /** The stream the function reads. */
  public readonly stream: kinesis.IStream;

  /** The enhanced fan-out consumer the function reads through, if any. */
  public readonly enhancedFanOutConsumer?: kinesis.IStreamConsumer;

  /** The function that processes the records. */
  public readonly handler: lambda.IFunction;

  /** The event source mapping that reads the stream and invokes the function. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;

  /** The customer-managed policy, attached to the function's role, that lets the mapping read and report failures. */
  public readonly readPolicy: iam.ManagedPolicy;

  /** The queue that receives a record of each batch Lambda gave up on. */
  public readonly onFailureQueue: sqs.IQueue;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** Alarms when an invocation fails (Lambda `Errors`, any in 5 minutes). */
  public readonly errorsAlarm: cloudwatch.Alarm;

  /** Alarms when the function's iterator age exceeds `iteratorAgeAlarmThreshold`: it is falling behind. */
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;

  /** Alarms when a record of a discarded batch waits in the on-failure queue: records were skipped. */
  public readonly discardedRecordsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: StreamProcessingFunctionProps) {
    super(scope, id);
    if (props === undefined || props === null || typeof props !== 'object') {
      throw invalidProp(this, 'props', 'must give at least stream and handler', props);
    }
    validateStream(this, props.stream);
    validateHandler(this, props.handler);
    this.stream = props.stream;
    this.handler = props.handler;
    const settings = validateSettings(
      this,
      withSynthNumbers(this, props, [
        'batchSize',
        'parallelizationFactor',
        'retryAttempts',
        'startingPositionTimestamp',
      ]),
    );
    this.enhancedFanOutConsumer = props.enhancedFanOutConsumer;
    const sourceArn = this.enhancedFanOutConsumer?.streamConsumerArn ?? this.stream.streamArn;
    claimMapping(
      this,
      this.enhancedFanOutConsumer ? 'enhancedFanOutConsumer' : 'stream',
      this.handler,
      this.enhancedFanOutConsumer ?? this.stream,
      sourceArn,
    );

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    const removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'SQS queues and KMS keys');
    if (props.onFailureQueue && props.removalPolicy !== undefined) {
      throw invalidProp(
        this,
        'removalPolicy',
        'applies only to the on-failure queue the construct creates; with onFailureQueue given it creates none, so set the removal policy on that queue',
        props.removalPolicy,
      );
    }
    this.onFailureQueue =
      props.onFailureQueue ??
      new WorkQueue(this, 'OnFailureQueue', {
        alarmTopic: this.alarmTopic,
        removalPolicy,
        // Its own group on the dashboard, unless this construct has none.
        dashboard: props.dashboard === false ? false : undefined,
      });

    this.readPolicy = grantToHandler(
      this,
      'ReadPolicy',
      `Lets the event source mapping of ${this.node.path} read its stream and report discarded batches`,
      this.handler,
      [
        allow(STREAM_READ_ACTIONS, [this.stream.streamArn]),
        ...(this.enhancedFanOutConsumer
          ? [allow(CONSUMER_ACTIONS, [this.enhancedFanOutConsumer.streamConsumerArn])]
          : []),
        ...keyStatement(this.stream.encryptionKey, ['kms:Decrypt'], AWS_MANAGED_KINESIS_KEY_ALIAS),
        // Lambda sends the invocation record with the execution role (Lambda Developer Guide, "Retain
        // discarded batch records": the role needs sqs:SendMessage on an SQS destination), and a queue
        // under a customer-managed key also needs the key to encrypt with.
        allow(['sqs:SendMessage'], [this.onFailureQueue.queueArn]),
        ...keyStatement(
          this.onFailureQueue.encryptionMasterKey,
          ['kms:GenerateDataKey', 'kms:Decrypt'],
          AWS_MANAGED_SQS_KEY_ALIAS,
        ),
      ],
    );

    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSourceMapping', {
      target: this.handler,
      eventSourceArn: sourceArn,
      startingPosition: settings.startingPosition,
      startingPositionTimestamp: props.startingPositionTimestamp,
      batchSize: settings.batchSize,
      parallelizationFactor: props.parallelizationFactor,
      retryAttempts: settings.retryAttempts,
      bisectBatchOnError: props.bisectBatchOnError ?? true,
      reportBatchItemFailures: props.reportBatchItemFailures ?? true,
      onFailure: new GrantedDestination(this.onFailureQueue.queueArn),
      enabled: props.enabled,
    });
    // Durations are set on the CloudFormation resource: aws-cdk-lib's conversions fail for tokens.
    const cfnMapping = this.eventSourceMapping.node.defaultChild as lambda.CfnEventSourceMapping;
    cfnMapping.maximumRecordAgeInSeconds = settings.maxRecordAgeSeconds;
    if (settings.maxBatchingWindowSeconds !== undefined) {
      cfnMapping.maximumBatchingWindowInSeconds = settings.maxBatchingWindowSeconds;
    }
    if (settings.tumblingWindowSeconds !== undefined) {
      cfnMapping.tumblingWindowInSeconds = settings.tumblingWindowSeconds;
    }
    this.eventSourceMapping.node.addDependency(this.readPolicy);

    const path = this.node.path;
    this.errorsAlarm = notifyingAlarm(this, 'ErrorsAlarm', {
      alarmTopic: this.alarmTopic,
      description: `Invocations of ${path} failed: the batch is split and retried, then recorded in the on-failure queue.`,
      metric: this.handler.metricErrors({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    const iteratorAge = settings.iteratorAgeThresholdSeconds;
    this.iteratorAgeAlarm = notifyingAlarm(this, 'IteratorAgeAlarm', {
      alarmTopic: this.alarmTopic,
      description: `${path} is ${Duration.seconds(iteratorAge).toHumanString()} behind its stream: records older than maxRecordAge are discarded to the on-failure queue.`,
      // Lambda's IteratorAge: "the age of the last record in the event" for stream sources, in milliseconds.
      metric: this.handler.metric('IteratorAge', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
      threshold: iteratorAge * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
    });
    this.discardedRecordsAlarm = notifyingAlarm(this, 'DiscardedRecordsAlarm', {
      alarmTopic: this.alarmTopic,
      description:
        `Lambda gave up on records of the stream of ${path} and recorded them in its on-failure queue: ` +
        "read them from the stream (shard and sequence numbers are in the message) before they leave the stream's retention.",
      metric: this.onFailureQueue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    addAlarmMetricWidgets('StreamProcessingFunction', this, props.dashboard, () => [
      this.errorsAlarm,
      this.iteratorAgeAlarm,
      this.discardedRecordsAlarm,
    ]);
  }

  /**
   * Every alarm of this consumer: errors, iterator age and discarded records, and the alarms of the
   * on-failure WorkQueue when the construct created it.
   */
  public get alarms(): cloudwatch.Alarm[] {
    const own = [this.errorsAlarm, this.iteratorAgeAlarm, this.discardedRecordsAlarm];
    const queue = this.onFailureQueue;
    return queue instanceof WorkQueue && queue.node.scope === this ? [...own, ...queue.alarms] : own;
  }
}

interface Settings {
  readonly startingPosition: lambda.StartingPosition;
  readonly batchSize: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly maxBatchingWindowSeconds?: number;
  readonly tumblingWindowSeconds?: number;
  readonly iteratorAgeThresholdSeconds: number;
}

function validateStream(scope: Construct, stream: unknown): asserts stream is kinesis.IStream {
  const candidate = stream as Partial<kinesis.IStream> | undefined;
  if (
    candidate === undefined ||
    candidate === null ||
    typeof candidate.streamArn !== 'string' ||
    candidate.node === undefined
  ) {
    throw invalidProp(scope, 'stream', 'must be a Kinesis data stream (kinesis.IStream)', stream);
  }
}

function validateSettings(scope: Construct, props: StreamProcessingFunctionProps): Settings {
  validateConsumer(scope, props);

  validateEnumValue(scope, 'startingPosition', props.startingPosition, 'StartingPosition', lambda.StartingPosition);
  const startingPosition = props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON;
  validateNumberInRange(
    scope,
    'startingPositionTimestamp',
    props.startingPositionTimestamp,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  if (startingPosition === lambda.StartingPosition.AT_TIMESTAMP && props.startingPositionTimestamp === undefined) {
    throw invalidProp(
      scope,
      'startingPosition',
      'needs startingPositionTimestamp when it is AT_TIMESTAMP (the Unix time in seconds to start reading at)',
      startingPosition,
    );
  }
  if (startingPosition !== lambda.StartingPosition.AT_TIMESTAMP && props.startingPositionTimestamp !== undefined) {
    throw invalidProp(
      scope,
      'startingPositionTimestamp',
      `may be set only with startingPosition AT_TIMESTAMP (startingPosition is ${startingPosition})`,
      props.startingPositionTimestamp,
    );
  }

  validateIntegerInRange(scope, 'batchSize', props.batchSize, 1, MAX_BATCH_SIZE);
  validateIntegerInRange(scope, 'parallelizationFactor', props.parallelizationFactor, 1, MAX_PARALLELIZATION_FACTOR);
  validateRetryAttempts(scope, props.retryAttempts);

  validateIsDuration(scope, 'maxBatchingWindow', props.maxBatchingWindow);
  const maxBatchingWindowSeconds = validatedSeconds(
    scope,
    'maxBatchingWindow',
    props.maxBatchingWindow,
    Duration.seconds(0),
    MAX_BATCHING_WINDOW,
  );
  validateIsDuration(scope, 'tumblingWindow', props.tumblingWindow);
  const tumblingWindowSeconds = validatedSeconds(
    scope,
    'tumblingWindow',
    props.tumblingWindow,
    Duration.seconds(0),
    MAX_TUMBLING_WINDOW,
  );
  validateIsDuration(scope, 'maxRecordAge', props.maxRecordAge);
  const maxRecordAgeSeconds =
    validatedSeconds(scope, 'maxRecordAge', props.maxRecordAge, MIN_RECORD_AGE, MAX_RECORD_AGE) ??
    DEFAULT_MAX_RECORD_AGE_SECONDS;
  validateRecordAgeWithinRetention(scope, props, maxRecordAgeSeconds);

  for (const prop of ['bisectBatchOnError', 'reportBatchItemFailures', 'enabled'] as const) {
    validateBoolean(scope, prop, props[prop]);
  }
  validateHandlerTimeout(scope, knownFunctionTimeoutSeconds(props.handler));
  validateOnFailureQueue(scope, props.onFailureQueue);

  validateIsDuration(scope, 'iteratorAgeAlarmThreshold', props.iteratorAgeAlarmThreshold);
  const iteratorAgeThresholdSeconds = iteratorAgeThreshold(scope, props, maxRecordAgeSeconds);
  return {
    startingPosition,
    batchSize: props.batchSize ?? DEFAULT_BATCH_SIZE,
    retryAttempts: props.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
    maxRecordAgeSeconds,
    maxBatchingWindowSeconds,
    tumblingWindowSeconds,
    iteratorAgeThresholdSeconds,
  };
}

function validateRetryAttempts(scope: Construct, retryAttempts: number | undefined): void {
  if (retryAttempts === -1) {
    throw invalidProp(
      scope,
      'retryAttempts',
      `must be an integer between 0 and ${formatNumber(MAX_RETRY_ATTEMPTS)}; -1 (infinite retries) is not offered, ` +
        "since one record the function always fails on would block its shard until it leaves the stream's retention",
      retryAttempts,
    );
  }
  validateIntegerInRange(scope, 'retryAttempts', retryAttempts, 0, MAX_RETRY_ATTEMPTS);
}

/**
 * The consumer must be one of this stream: its ARN is the mapping's source, and the grants name both.
 * Compared as CloudFormation will see them, so a consumer of another stream is refused at synth.
 */
function validateConsumer(scope: Construct, props: StreamProcessingFunctionProps): void {
  const consumer = props.enhancedFanOutConsumer;
  if (consumer === undefined) {
    return;
  }
  if (consumer === null || typeof consumer.streamConsumerArn !== 'string' || consumer.stream === undefined) {
    throw invalidProp(
      scope,
      'enhancedFanOutConsumer',
      'must be an enhanced fan-out consumer (kinesis.IStreamConsumer)',
      consumer,
    );
  }
  if (consumer.stream === props.stream) {
    return;
  }
  const stack = Stack.of(scope);
  const theirs = JSON.stringify(stack.resolve(consumer.stream.streamArn));
  const ours = JSON.stringify(stack.resolve(props.stream.streamArn));
  if (theirs !== ours) {
    throw invalidProp(
      scope,
      'enhancedFanOutConsumer',
      `must be a consumer of the given stream (${props.stream.node.path}), not of ${consumer.stream.node.path}`,
      consumer.node.path,
    );
  }
}

/**
 * A record that leaves the stream before Lambda gives up on it is never recorded in the on-failure queue:
 * `maxRecordAge` must be shorter than the stream's retention when both are known.
 */
function validateRecordAgeWithinRetention(
  scope: Construct,
  props: StreamProcessingFunctionProps,
  maxRecordAgeSeconds: number,
): void {
  const retentionHours = knownStreamRetentionHours(props.stream);
  if (retentionHours === undefined || Token.isUnresolved(maxRecordAgeSeconds)) {
    return;
  }
  if (maxRecordAgeSeconds >= retentionHours * 3600) {
    throw invalidProp(
      scope,
      'maxRecordAge',
      `must be shorter than the stream's retention period (${formatNumber(retentionHours)} hours), or a failing record ` +
        'leaves the stream before Lambda gives up on it and is lost without a record in the on-failure queue',
      props.maxRecordAge ? describeDuration(scope, props.maxRecordAge) : Duration.seconds(maxRecordAgeSeconds),
    );
  }
}

/**
 * "DestinationConfig – (Kinesis and DynamoDB Streams only) A standard Amazon SQS queue or standard Amazon SNS
 * topic destination for discarded records" (CreateEventSourceMapping API reference): a FIFO queue is refused.
 */
function validateOnFailureQueue(scope: Construct, queue: sqs.IQueue | undefined): void {
  if (queue === undefined) {
    return;
  }
  if (queue === null || typeof queue.queueArn !== 'string' || queue.node === undefined) {
    throw invalidProp(scope, 'onFailureQueue', 'must be an SQS queue (sqs.IQueue)', queue);
  }
  if (queue.fifo) {
    throw invalidProp(
      scope,
      'onFailureQueue',
      'must be a standard queue: Lambda sends discarded batches of a stream to standard queues only',
      queue.node.path,
    );
  }
}

/** The iterator-age threshold in seconds: below `maxRecordAge`, or records are discarded before it fires. */
function iteratorAgeThreshold(
  scope: Construct,
  props: StreamProcessingFunctionProps,
  maxRecordAgeSeconds: number,
): number {
  const given = props.iteratorAgeAlarmThreshold;
  if (given === undefined) {
    return Token.isUnresolved(maxRecordAgeSeconds)
      ? Math.floor(DEFAULT_MAX_RECORD_AGE_SECONDS * ITERATOR_AGE_ALARM_SHARE)
      : Math.floor(maxRecordAgeSeconds * ITERATOR_AGE_ALARM_SHARE);
  }
  const seconds = validatedSeconds(
    scope,
    'iteratorAgeAlarmThreshold',
    given,
    Duration.minutes(1),
    MAX_RECORD_AGE,
  ) as number;
  if (Token.isUnresolved(seconds)) {
    // The metric is in milliseconds and a template cannot multiply a deploy-time number.
    throw invalidProp(
      scope,
      'iteratorAgeAlarmThreshold',
      'must be known at synth (the alarm compares milliseconds, and CloudFormation cannot convert a deploy-time value)',
      describeDuration(scope, given),
    );
  }
  if (!Token.isUnresolved(maxRecordAgeSeconds) && seconds >= maxRecordAgeSeconds) {
    throw invalidProp(
      scope,
      'iteratorAgeAlarmThreshold',
      `must be shorter than maxRecordAge (${Duration.seconds(maxRecordAgeSeconds).toHumanString()}): older records are ` +
        'discarded, so the alarm could never fire',
      describeDuration(scope, given),
    );
  }
  return seconds;
}
