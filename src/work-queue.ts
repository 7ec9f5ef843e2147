import { Annotations, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, ACKNOWLEDGMENTS } from './private/acknowledgments';
import { notifyingAlarm } from './private/alarms';
import { AWS_MANAGED_SQS_KEY_ALIAS, isAwsManagedKey } from './private/aws-managed-keys';
import { FIFO_SUFFIX, resolveFifo, withoutFifoSuffix } from './private/fifo';
import { grantWithKey } from './private/grants';
import { generatePhysicalName } from './private/naming';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  invalidProp,
  validateDurationInRange,
  validateFifoAwareName,
  validateIntegerInRange,
} from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * How a WorkQueue encrypts messages at rest.
 *
 * The AWS-managed key `alias/aws/sqs` is deliberately not offered: SNS cannot be
 * granted use of it, so a topic subscribed to such a queue loses every message.
 */
export enum WorkQueueEncryption {
  /** Server-side encryption with SQS-owned keys (SSE-SQS). Free, and usable by SNS. */
  SQS_MANAGED = 'SQS_MANAGED',
  /** Server-side encryption with a customer-managed KMS key (SSE-KMS). */
  KMS = 'KMS',
}

/**
 * Properties of a WorkQueue.
 */
export interface WorkQueueProps {
  /**
   * Whether the queue (and its dead-letter queue) is FIFO.
   *
   * FIFO queues keep order within a message group and drop duplicates sent within
   * the five-minute deduplication window.
   *
   * @default - false, unless `queueName` ends in `.fifo`
   */
  readonly fifo?: boolean;

  /**
   * Use a SHA-256 hash of the body as the deduplication id. FIFO queues only.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * High-throughput FIFO: deduplicate per message group and apply the throughput
   * limit per message group id instead of per queue. FIFO queues only.
   *
   * @default false
   */
  readonly highThroughputFifo?: boolean;

  /**
   * The name of the queue. A FIFO queue's name must end in `.fifo`. The dead-letter
   * queue is named after it with `-dlq` (before any `.fifo` suffix).
   *
   * @default - a name derived from the stack name and the construct path
   */
  readonly queueName?: string;

  /**
   * How long the queue keeps a message that nobody deletes (60 seconds to 14 days).
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;

  /**
   * How long the dead-letter queue keeps a message (60 seconds to 14 days).
   *
   * For a standard queue SQS keeps a message's original enqueue time when it moves
   * to the dead-letter queue, so this should be longer than `retentionPeriod`.
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;

  /**
   * How many times a message is received without being deleted before it moves to
   * the dead-letter queue (1 to 1,000).
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long a received message stays hidden from other consumers (0 seconds to 12 hours).
   * Make it longer than the time a consumer needs to process a message.
   *
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;

  /**
   * How long every new message stays invisible after it is sent (0 seconds to 15 minutes).
   *
   * @default Duration.seconds(0)
   */
  readonly deliveryDelay?: Duration;

  /**
   * How long a `ReceiveMessage` call waits for a message to arrive (0 to 20 seconds).
   * Long polling reduces empty responses and cost.
   *
   * @default Duration.seconds(20)
   */
  readonly receiveMessageWaitTime?: Duration;

  /**
   * The largest message the queue accepts, in bytes (1,024 to 1,048,576).
   *
   * @default 1048576
   */
  readonly maxMessageSizeBytes?: number;

  /**
   * How messages are encrypted at rest. Giving an `encryptionKey` implies `KMS`.
   *
   * @default - WorkQueueEncryption.SQS_MANAGED, or WorkQueueEncryption.KMS when `encryptionKey` is given
   */
  readonly encryption?: WorkQueueEncryption;

  /**
   * The customer-managed KMS key both queues are encrypted with.
   *
   * Must not be the AWS-managed `alias/aws/sqs` key, which SNS cannot use.
   *
   * @default - with `encryption: KMS`, a new key with rotation on; otherwise none
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Alarm when the oldest message in the queue is older than this (1 minute to 14 days),
   * a sign that consumers are stuck or too few.
   *
   * @default - no alarm on the age of messages in the queue itself
   */
  readonly oldestMessageAgeAlarmThreshold?: Duration;

  /**
   * What happens to the queues (and a key created for them) when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const SQS_NAME_MAX_LENGTH = 80;
const DEAD_LETTER_SUFFIX = '-dlq';

/** The share of the dead-letter retention after which waiting messages alarm: redrive them before they expire. */
const DEAD_LETTER_AGE_ALARM_SHARE = 0.75;

/**
 * An SQS queue with its dead-letter queue, encryption, TLS-only access and alarms.
 *
 * A WorkQueue is itself an `sqs.IQueue` (the source queue): pass it wherever a queue
 * is expected, for example to `SqsSubscription` or `SqsEventSource`. Its grants are
 * least privilege (exact actions, no wildcard resources) and include the KMS
 * permissions when the queues use a customer-managed key.
 */
export class WorkQueue extends sqs.QueueBase {
  /** The source queue. */
  public readonly queue: sqs.Queue;

  /** The dead-letter queue that receives messages after `maxReceiveCount` failed receives. */
  public readonly deadLetterQueue: sqs.Queue;

  /** The customer-managed key both queues use, when encryption is KMS. */
  public readonly encryptionKey?: kms.IKey;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** How long a received message stays hidden from other consumers. */
  public readonly visibilityTimeout: Duration;

  /** Alarms when at least one message waits in the dead-letter queue. */
  public readonly deadLetterQueueNotEmptyAlarm: cloudwatch.Alarm;

  /**
   * Alarms when the oldest dead-letter message is older than 75% of the dead-letter
   * retention: redrive or inspect it before it expires.
   * Undefined when `deadLetterRetentionPeriod` is a token.
   */
  public readonly deadLetterQueueMessageAgeAlarm?: cloudwatch.Alarm;

  /** Alarms when the oldest message of the queue is older than `oldestMessageAgeAlarmThreshold`, when set. */
  public readonly oldestMessageAgeAlarm?: cloudwatch.Alarm;

  // sqs.IQueue, answered by the source queue.
  public readonly queueArn: string;
  public readonly queueUrl: string;
  public readonly queueName: string;
  public readonly encryptionMasterKey?: kms.IKey;
  public readonly fifo: boolean;
  public readonly encryptionType?: sqs.QueueEncryption;
  protected readonly autoCreatePolicy = false;

  constructor(scope: Construct, id: string, props: WorkQueueProps = {}) {
    super(scope, id);

    const fifo = resolveFifo(props.fifo, props.queueName);
    validateProps(this, props, fifo);
    const removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'SQS queues and KMS keys');
    const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? Duration.days(14);
    const names = this.queueNames(props.queueName, fifo);
    this.visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(30);

    this.encryptionKey = this.resolveEncryptionKey(props, removalPolicy);
    const encryption = this.encryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: names.deadLetterQueueName,
      fifo: fifo || undefined,
      retentionPeriod: deadLetterRetentionPeriod,
      // Whatever the source accepts must fit here.
      maxMessageSizeBytes: 1_048_576,
      receiveMessageWaitTime: Duration.seconds(20),
      encryption,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      removalPolicy,
    });
    // Only our source queue may use this DLQ. Naming the source by its ARN built from
    // its name (not by a reference to it) avoids a dependency cycle with the source's
    // RedrivePolicy, which references the DLQ.
    (this.deadLetterQueue.node.defaultChild as sqs.CfnQueue).redriveAllowPolicy = {
      redrivePermission: sqs.RedrivePermission.BY_QUEUE,
      sourceQueueArns: [Stack.of(this).formatArn({ service: 'sqs', resource: names.queueName })],
    };
    acknowledge(this.deadLetterQueue, ACKNOWLEDGMENTS.deadLetterQueueWithoutDeadLetterQueue);

    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: names.queueName,
      fifo: fifo || undefined,
      contentBasedDeduplication: props.contentBasedDeduplication,
      deduplicationScope: props.highThroughputFifo ? sqs.DeduplicationScope.MESSAGE_GROUP : undefined,
      fifoThroughputLimit: props.highThroughputFifo ? sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID : undefined,
      retentionPeriod,
      visibilityTimeout: this.visibilityTimeout,
      deliveryDelay: props.deliveryDelay ?? Duration.seconds(0),
      receiveMessageWaitTime: props.receiveMessageWaitTime ?? Duration.seconds(20),
      maxMessageSizeBytes: props.maxMessageSizeBytes ?? 1_048_576,
      encryption,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    this.queueArn = this.queue.queueArn;
    this.queueUrl = this.queue.queueUrl;
    this.queueName = this.queue.queueName;
    this.encryptionMasterKey = this.queue.encryptionMasterKey;
    this.fifo = this.queue.fifo;
    this.encryptionType = this.queue.encryptionType;

    if (!fifo) {
      this.warnIfDeadLetterRetentionNotLonger(retentionPeriod, deadLetterRetentionPeriod);
    }

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    const alarmTopic = this.alarmTopic;

    this.deadLetterQueueNotEmptyAlarm = notifyingAlarm(this, 'DeadLetterQueueNotEmptyAlarm', {
      alarmTopic,
      description: `Messages of ${this.node.path} failed ${props.maxReceiveCount ?? 5} times and wait in its dead-letter queue.`,
      metric: this.metricDeadLetterQueueApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    if (!deadLetterRetentionPeriod.isUnresolved()) {
      const threshold = Math.floor(deadLetterRetentionPeriod.toSeconds() * DEAD_LETTER_AGE_ALARM_SHARE);
      this.deadLetterQueueMessageAgeAlarm = notifyingAlarm(this, 'DeadLetterQueueMessageAgeAlarm', {
        alarmTopic,
        description: `A dead-letter message of ${this.node.path} is older than 75% of the dead-letter retention (${threshold} s): redrive it before it expires.`,
        metric: this.metricDeadLetterQueueApproximateAgeOfOldestMessage({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(5),
        }),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    if (props.oldestMessageAgeAlarmThreshold) {
      this.oldestMessageAgeAlarm = notifyingAlarm(this, 'OldestMessageAgeAlarm', {
        alarmTopic,
        description: `The oldest message of ${this.node.path} waits longer than ${props.oldestMessageAgeAlarmThreshold.toHumanString()}: consumers are stuck or too few.`,
        metric: this.metricApproximateAgeOfOldestMessage({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(5),
        }),
        threshold: props.oldestMessageAgeAlarmThreshold.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
  }

  /** Every alarm of this queue. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.deadLetterQueueNotEmptyAlarm, this.deadLetterQueueMessageAgeAlarm, this.oldestMessageAgeAlarm].filter(
      (alarm): alarm is cloudwatch.Alarm => alarm !== undefined,
    );
  }

  /**
   * Adds a statement to the source queue's resource policy.
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.queue.addToResourcePolicy(statement);
  }

  /**
   * Lets the grantee send messages to the queue (and encrypt them with its key).
   */
  public grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnQueue(
      grantee,
      this.queue,
      ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      ['kms:GenerateDataKey', 'kms:Decrypt'],
    );
  }

  /**
   * Lets the grantee receive, delete and change the visibility of messages (and decrypt them).
   */
  public grantConsumeMessages(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnQueue(
      grantee,
      this.queue,
      [
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
      ],
      ['kms:Decrypt'],
    );
  }

  /**
   * Lets the grantee purge the source queue.
   */
  public grantPurge(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnQueue(grantee, this.queue, ['sqs:PurgeQueue', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], []);
  }

  /**
   * Lets the grantee move messages from the dead-letter queue back to the source
   * queue with `StartMessageMoveTask` (and list or cancel such tasks).
   */
  public grantRedrive(grantee: iam.IGrantable): iam.Grant {
    const fromDeadLetterQueue = this.grantOnQueue(
      grantee,
      this.deadLetterQueue,
      [
        'sqs:StartMessageMoveTask',
        'sqs:ListMessageMoveTasks',
        'sqs:CancelMessageMoveTask',
        'sqs:ReceiveMessage',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
      ],
      ['kms:Decrypt'],
    );
    const toSource = this.grantOnQueue(grantee, this.queue, ['sqs:SendMessage'], ['kms:GenerateDataKey']);
    return fromDeadLetterQueue.combine(toSource);
  }

  /**
   * Applies the removal policy to both queues and to a key created for them.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.queue.applyRemovalPolicy(policy);
    this.deadLetterQueue.applyRemovalPolicy(policy);
    if (this.encryptionKey instanceof kms.Key && this.encryptionKey.node.scope === this) {
      this.encryptionKey.applyRemovalPolicy(policy);
    }
  }

  /** Visible messages in the dead-letter queue. */
  public metricDeadLetterQueueApproximateNumberOfMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(props);
  }

  /** Messages in flight (received, not yet deleted) in the dead-letter queue. */
  public metricDeadLetterQueueApproximateNumberOfMessagesNotVisible(
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesNotVisible(props);
  }

  /** Delayed messages in the dead-letter queue. */
  public metricDeadLetterQueueApproximateNumberOfMessagesDelayed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesDelayed(props);
  }

  /** Age of the oldest message in the dead-letter queue. */
  public metricDeadLetterQueueApproximateAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateAgeOfOldestMessage(props);
  }

  private grantOnQueue(grantee: iam.IGrantable, queue: sqs.Queue, actions: string[], keyActions: string[]): iam.Grant {
    return grantWithKey({
      grantee,
      actions,
      resourceArns: [queue.queueArn],
      resource: queue,
      key: this.encryptionKey,
      keyActions,
    });
  }

  private queueNames(queueName: string | undefined, fifo: boolean): { queueName: string; deadLetterQueueName: string } {
    const suffix = fifo ? FIFO_SUFFIX : '';
    const baseRoom = SQS_NAME_MAX_LENGTH - suffix.length - DEAD_LETTER_SUFFIX.length;
    if (queueName !== undefined && Token.isUnresolved(queueName)) {
      return { queueName, deadLetterQueueName: generatePhysicalName(this, baseRoom) + DEAD_LETTER_SUFFIX + suffix };
    }
    const base = queueName !== undefined ? withoutFifoSuffix(queueName) : generatePhysicalName(this, baseRoom);
    return {
      queueName: base + suffix,
      deadLetterQueueName: base.slice(0, baseRoom) + DEAD_LETTER_SUFFIX + suffix,
    };
  }

  private resolveEncryptionKey(props: WorkQueueProps, removalPolicy: RemovalPolicy): kms.IKey | undefined {
    if (props.encryptionKey) {
      if (props.encryption === WorkQueueEncryption.SQS_MANAGED) {
        throw invalidProp(
          this,
          'encryptionKey',
          'must not be set with encryption SQS_MANAGED (omit encryption, or set it to KMS)',
          props.encryptionKey.node.path,
        );
      }
      if (isAwsManagedKey(props.encryptionKey, AWS_MANAGED_SQS_KEY_ALIAS)) {
        throw invalidProp(
          this,
          'encryptionKey',
          `must be a customer-managed key, not the AWS-managed ${AWS_MANAGED_SQS_KEY_ALIAS} (SNS cannot use it, so messages published to the queue would be lost); use encryption SQS_MANAGED or a key of your own`,
          AWS_MANAGED_SQS_KEY_ALIAS,
        );
      }
      return props.encryptionKey;
    }
    if (props.encryption === WorkQueueEncryption.KMS) {
      return new kms.Key(this, 'Key', {
        description: `Encrypts the queues of ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      });
    }
    return undefined;
  }

  private warnIfDeadLetterRetentionNotLonger(retentionPeriod: Duration, deadLetterRetentionPeriod: Duration): void {
    if (retentionPeriod.isUnresolved() || deadLetterRetentionPeriod.isUnresolved()) {
      return;
    }
    if (retentionPeriod.toSeconds() >= deadLetterRetentionPeriod.toSeconds()) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:deadLetterRetentionNotLonger',
        `retentionPeriod (${retentionPeriod.toHumanString()}) is not shorter than deadLetterRetentionPeriod (${deadLetterRetentionPeriod.toHumanString()}). ` +
          'A standard queue keeps the original enqueue time of a message that moves to its dead-letter queue, so such a message can expire there almost at once. ' +
          'Make deadLetterRetentionPeriod longer than retentionPeriod.',
      );
    }
  }
}

function validateProps(scope: Construct, props: WorkQueueProps, fifo: boolean): void {
  validateIntegerInRange(scope, 'maxReceiveCount', props.maxReceiveCount, 1, 1000);
  validateDurationInRange(scope, 'retentionPeriod', props.retentionPeriod, Duration.seconds(60), Duration.days(14));
  validateDurationInRange(
    scope,
    'deadLetterRetentionPeriod',
    props.deadLetterRetentionPeriod,
    Duration.seconds(60),
    Duration.days(14),
  );
  validateDurationInRange(scope, 'visibilityTimeout', props.visibilityTimeout, Duration.seconds(0), Duration.hours(12));
  validateDurationInRange(scope, 'deliveryDelay', props.deliveryDelay, Duration.seconds(0), Duration.minutes(15));
  validateDurationInRange(
    scope,
    'receiveMessageWaitTime',
    props.receiveMessageWaitTime,
    Duration.seconds(0),
    Duration.seconds(20),
  );
  validateIntegerInRange(scope, 'maxMessageSizeBytes', props.maxMessageSizeBytes, 1024, 1_048_576);
  validateDurationInRange(
    scope,
    'oldestMessageAgeAlarmThreshold',
    props.oldestMessageAgeAlarmThreshold,
    Duration.minutes(1),
    Duration.days(14),
  );

  if (!fifo) {
    if (props.contentBasedDeduplication) {
      throw invalidProp(scope, 'contentBasedDeduplication', 'can only be true on a FIFO queue (fifo: true)', true);
    }
    if (props.highThroughputFifo) {
      throw invalidProp(scope, 'highThroughputFifo', 'can only be true on a FIFO queue (fifo: true)', true);
    }
  }
  validateFifoAwareName(scope, 'queueName', props.queueName, { fifo, noun: 'queue', maxLength: SQS_NAME_MAX_LENGTH });
}
