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
import { addWorkQueueWidgets } from './private/dashboard/work-queue';
import { FIFO_SUFFIX, resolveFifo, withoutFifoSuffix } from './private/fifo';
import { grantWithKey } from './private/grants';
import { generatePhysicalName } from './private/naming';
import { claimPhysicalName } from './private/physical-names';
import {
  durationInSeconds,
  Shown,
  validateBoolean,
  validateInterface,
  validateMetricOptions,
} from './private/queue-facts';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  durationMillis,
  invalidProp,
  methodArgument,
  validateDurationInRange,
  validateEnumValue,
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
   * Use a SHA-256 hash of the body as the deduplication id. FIFO queues only; `false` on a
   * standard queue is accepted and left out of the template, since CloudFormation refuses the
   * property on a standard queue whatever its value.
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
   * queue is named after it with `-dlq` (before any `.fifo` suffix, the name cut to fit
   * SQS's 80 characters). Queue names are unique per account and Region: a name this app
   * already gives to another queue (or to another queue's dead-letter queue, after the cut)
   * in the same environment is refused at synth.
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
   * Must be shorter than `retentionPeriod`, or every message would be deleted before anyone
   * could receive it.
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
   * a sign that consumers are stuck or too few. Must be shorter than `retentionPeriod`: SQS
   * deletes a message at that age, so an older one never exists and the alarm could never fire.
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

  /**
   * Adds this construct's widget group to the stack's dashboard (StackDashboard.of(this)).
   *
   * @default true
   */
  readonly dashboard?: boolean;
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

    validateTypes(this, props);
    const fifo = resolveFifo(props.fifo, props.queueName);
    validateProps(this, props, fifo);
    const removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'SQS queues and KMS keys');
    const retentionPeriod = props.retentionPeriod ?? Duration.days(4);
    const deadLetterRetentionPeriod = props.deadLetterRetentionPeriod ?? Duration.days(14);
    validateAgainstRetention(this, props, retentionPeriod);
    const names = this.queueNames(props.queueName, fifo);
    this.visibilityTimeout = props.visibilityTimeout ?? Duration.seconds(30);
    // aws-cdk-lib converts every Duration to seconds and cannot convert a deploy-time `Duration.hours(x)`.
    const seconds = (prop: string, duration: Duration) => durationInSeconds(this, prop, duration);
    const queueSettings = {
      retentionPeriod: seconds('retentionPeriod', retentionPeriod),
      deadLetterRetentionPeriod: seconds('deadLetterRetentionPeriod', deadLetterRetentionPeriod),
      visibilityTimeout: seconds('visibilityTimeout', this.visibilityTimeout),
      deliveryDelay: seconds('deliveryDelay', props.deliveryDelay ?? Duration.seconds(0)),
      receiveMessageWaitTime: seconds('receiveMessageWaitTime', props.receiveMessageWaitTime ?? Duration.seconds(20)),
      oldestMessageAge:
        props.oldestMessageAgeAlarmThreshold &&
        seconds('oldestMessageAgeAlarmThreshold', props.oldestMessageAgeAlarmThreshold),
    };

    this.encryptionKey = this.resolveEncryptionKey(props, removalPolicy);
    const encryption = this.encryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED;

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: names.deadLetterQueueName,
      fifo: fifo || undefined,
      retentionPeriod: queueSettings.deadLetterRetentionPeriod,
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

    // aws-cdk-lib checks that a FIFO queue's name ends in ".fifo" even when the name is a token, whose value only
    // the deployment knows: such a name goes on the CloudFormation resource directly, below.
    const tokenFifoName = fifo && Token.isUnresolved(names.queueName);
    this.queue = new sqs.Queue(this, 'Queue', {
      queueName: tokenFifoName ? undefined : names.queueName,
      fifo: fifo || undefined,
      // CloudFormation rejects ContentBasedDeduplication on a standard queue even when it is false
      // (AWS::SQS::Queue, "ContentBasedDeduplication": FIFO queues only): on a standard queue, leave it out.
      contentBasedDeduplication: fifo ? props.contentBasedDeduplication : undefined,
      deduplicationScope: fifo && props.highThroughputFifo ? sqs.DeduplicationScope.MESSAGE_GROUP : undefined,
      fifoThroughputLimit: fifo && props.highThroughputFifo ? sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID : undefined,
      retentionPeriod: queueSettings.retentionPeriod,
      visibilityTimeout: queueSettings.visibilityTimeout,
      deliveryDelay: queueSettings.deliveryDelay,
      receiveMessageWaitTime: queueSettings.receiveMessageWaitTime,
      maxMessageSizeBytes: props.maxMessageSizeBytes ?? 1_048_576,
      encryption,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      removalPolicy,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
    if (tokenFifoName) {
      (this.queue.node.defaultChild as sqs.CfnQueue).queueName = names.queueName;
    }

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

    if (props.oldestMessageAgeAlarmThreshold && queueSettings.oldestMessageAge) {
      const threshold = props.oldestMessageAgeAlarmThreshold;
      this.oldestMessageAgeAlarm = notifyingAlarm(this, 'OldestMessageAgeAlarm', {
        alarmTopic,
        description: `The oldest message of ${this.node.path} waits longer than ${threshold.isUnresolved() ? 'its alarm threshold' : threshold.toHumanString()}: consumers are stuck or too few.`,
        metric: this.metricApproximateAgeOfOldestMessage({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(5),
        }),
        threshold: queueSettings.oldestMessageAge.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }

    addWorkQueueWidgets(this, props.dashboard);
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
    if (!(statement instanceof iam.PolicyStatement)) {
      throw invalidProp(
        this,
        methodArgument('addToResourcePolicy', 'statement'),
        'must be an iam.PolicyStatement',
        statement,
      );
    }
    return this.queue.addToResourcePolicy(statement);
  }

  /**
   * Lets the grantee send messages to the queue (and encrypt them with its key).
   *
   * A principal that takes no identity policy (a service or account principal) is granted in the
   * queue's policy and, for a key this app created, in the key's policy. When the key is imported,
   * its policy is not this app's to change: the key statement is then in the returned grant's
   * `resourceStatements` and in a warning, for the key's owner to add.
   */
  public grantSendMessages(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnQueue(
      'grantSendMessages',
      grantee,
      this.queue,
      ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      ['kms:GenerateDataKey', 'kms:Decrypt'],
    );
  }

  /**
   * Lets the grantee receive, delete and change the visibility of messages (and decrypt them).
   * A principal without an identity policy is granted as `grantSendMessages` describes.
   */
  public grantConsumeMessages(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnQueue(
      'grantConsumeMessages',
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
    return this.grantOnQueue(
      'grantPurge',
      grantee,
      this.queue,
      ['sqs:PurgeQueue', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
      [],
    );
  }

  /**
   * Lets the grantee move messages from the dead-letter queue back to the source
   * queue with `StartMessageMoveTask` (and list or cancel such tasks).
   * A principal without an identity policy is granted as `grantSendMessages` describes.
   */
  public grantRedrive(grantee: iam.IGrantable): iam.Grant {
    const fromDeadLetterQueue = this.grantOnQueue(
      'grantRedrive',
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
    const toSource = this.grantOnQueue(
      'grantRedrive',
      grantee,
      this.queue,
      ['sqs:SendMessage'],
      ['kms:GenerateDataKey'],
    );
    return fromDeadLetterQueue.combine(toSource);
  }

  /**
   * Applies the removal policy to both queues and to a key created for them: `RETAIN`, `DESTROY` or
   * `RETAIN_ON_UPDATE_OR_DELETE` (CloudFormation cannot snapshot queues or keys).
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    if (policy === RemovalPolicy.SNAPSHOT) {
      throw invalidProp(
        this,
        methodArgument('applyRemovalPolicy', 'policy'),
        'must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot SQS queues and KMS keys',
        new Shown('RemovalPolicy.SNAPSHOT'),
      );
    }
    validateEnumValue(this, methodArgument('applyRemovalPolicy', 'policy'), policy, 'RemovalPolicy', {
      RETAIN: RemovalPolicy.RETAIN,
      DESTROY: RemovalPolicy.DESTROY,
      RETAIN_ON_UPDATE_OR_DELETE: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.queue.applyRemovalPolicy(policy);
    this.deadLetterQueue.applyRemovalPolicy(policy);
    if (this.encryptionKey instanceof kms.Key && this.encryptionKey.node.scope === this) {
      this.encryptionKey.applyRemovalPolicy(policy);
    }
  }

  // The source queue's metrics, with their options checked here: aws-cdk-lib's own errors for a bad
  // period name neither this construct nor the method.

  /** Approximate age of the oldest message in the source queue. */
  public metricApproximateAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricApproximateAgeOfOldestMessage(this.metricOptions('metricApproximateAgeOfOldestMessage', props));
  }

  /** Delayed messages in the source queue. */
  public metricApproximateNumberOfMessagesDelayed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricApproximateNumberOfMessagesDelayed(
      this.metricOptions('metricApproximateNumberOfMessagesDelayed', props),
    );
  }

  /** Messages in flight (received, not yet deleted) in the source queue. */
  public metricApproximateNumberOfMessagesNotVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricApproximateNumberOfMessagesNotVisible(
      this.metricOptions('metricApproximateNumberOfMessagesNotVisible', props),
    );
  }

  /** Visible messages in the source queue. */
  public metricApproximateNumberOfMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricApproximateNumberOfMessagesVisible(
      this.metricOptions('metricApproximateNumberOfMessagesVisible', props),
    );
  }

  /** Receive calls of the source queue that returned no message. */
  public metricNumberOfEmptyReceives(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricNumberOfEmptyReceives(this.metricOptions('metricNumberOfEmptyReceives', props));
  }

  /** Messages deleted from the source queue. */
  public metricNumberOfMessagesDeleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricNumberOfMessagesDeleted(this.metricOptions('metricNumberOfMessagesDeleted', props));
  }

  /** Messages received from the source queue. */
  public metricNumberOfMessagesReceived(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricNumberOfMessagesReceived(this.metricOptions('metricNumberOfMessagesReceived', props));
  }

  /** Messages sent to the source queue. */
  public metricNumberOfMessagesSent(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricNumberOfMessagesSent(this.metricOptions('metricNumberOfMessagesSent', props));
  }

  /** Size of the messages sent to the source queue. */
  public metricSentMessageSize(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metricSentMessageSize(this.metricOptions('metricSentMessageSize', props));
  }

  /** Any metric of the source queue, by its name in the `AWS/SQS` namespace. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return super.metric(metricName, this.metricOptions('metric', props));
  }

  /** Visible messages in the dead-letter queue. */
  public metricDeadLetterQueueApproximateNumberOfMessagesVisible(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(
      this.metricOptions('metricDeadLetterQueueApproximateNumberOfMessagesVisible', props),
    );
  }

  /** Messages in flight (received, not yet deleted) in the dead-letter queue. */
  public metricDeadLetterQueueApproximateNumberOfMessagesNotVisible(
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesNotVisible(
      this.metricOptions('metricDeadLetterQueueApproximateNumberOfMessagesNotVisible', props),
    );
  }

  /** Delayed messages in the dead-letter queue. */
  public metricDeadLetterQueueApproximateNumberOfMessagesDelayed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesDelayed(
      this.metricOptions('metricDeadLetterQueueApproximateNumberOfMessagesDelayed', props),
    );
  }

  /** Age of the oldest message in the dead-letter queue. */
  public metricDeadLetterQueueApproximateAgeOfOldestMessage(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateAgeOfOldestMessage(
      this.metricOptions('metricDeadLetterQueueApproximateAgeOfOldestMessage', props),
    );
  }

  private metricOptions(
    method: string,
    props: cloudwatch.MetricOptions | undefined,
  ): cloudwatch.MetricOptions | undefined {
    validateMetricOptions(this, method, props, cloudwatch.Unit);
    return props;
  }

  private grantOnQueue(
    method: string,
    grantee: iam.IGrantable,
    queue: sqs.Queue,
    actions: string[],
    keyActions: string[],
  ): iam.Grant {
    if (typeof grantee !== 'object' || grantee === null || !('grantPrincipal' in grantee)) {
      throw invalidProp(
        this,
        methodArgument(method, 'grantee'),
        'must be an iam.IGrantable (a role, user, group or principal)',
        grantee,
      );
    }
    const onQueue = grantWithKey({ grantee, actions, resourceArns: [queue.queueArn], resource: queue, keyActions: [] });
    const key = this.encryptionKey;
    if (key === undefined || keyActions.length === 0) {
      return onQueue;
    }
    const onKey = key.grant(grantee, ...keyActions);
    if (onKey.principalStatements.length === 0 && !keyPolicyIsManagedHere(key)) {
      // aws-cdk-lib's Grant holds the key statement as a resource statement, but an imported key's policy
      // cannot be changed: without a word the grantee would be allowed on the queue and denied by KMS.
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:grantKeyPolicyNotManaged',
        `${method}: the grantee takes no identity policy and the queues' key is not managed by this app, so its ` +
          `owner must add this statement to the key policy (it is also in the grant's resourceStatements): ` +
          JSON.stringify(
            Stack.of(this).resolve(onKey.resourceStatements.map((statement) => statement.toStatementJson())),
          ),
      );
    }
    return onQueue.combine(onKey);
  }

  private queueNames(queueName: string | undefined, fifo: boolean): { queueName: string; deadLetterQueueName: string } {
    const suffix = fifo ? FIFO_SUFFIX : '';
    const baseRoom = SQS_NAME_MAX_LENGTH - suffix.length - DEAD_LETTER_SUFFIX.length;
    let names: { queueName: string; deadLetterQueueName: string };
    if (queueName !== undefined && Token.isUnresolved(queueName)) {
      names = { queueName, deadLetterQueueName: generatePhysicalName(this, baseRoom) + DEAD_LETTER_SUFFIX + suffix };
    } else {
      const base = queueName !== undefined ? withoutFifoSuffix(queueName) : generatePhysicalName(this, baseRoom);
      names = {
        queueName: base + suffix,
        deadLetterQueueName: base.slice(0, baseRoom) + DEAD_LETTER_SUFFIX + suffix,
      };
    }
    // Queue names are unique per account and Region (CreateQueue returns QueueAlreadyExists, or reuses a queue
    // whose attributes match): claim both final names, after the cut, so that two queues, or a queue and another's
    // dead-letter queue, never get one name.
    claimPhysicalName(this, { kind: 'SQS queue', name: names.queueName, prop: 'queueName' });
    claimPhysicalName(this, {
      kind: 'SQS queue',
      name: names.deadLetterQueueName,
      prop: 'queueName',
      what: 'its dead-letter queue',
    });
    return names;
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

/**
 * Whether this app can add statements to the key's policy: a key created in it (an imported key has none).
 * `kms.Key.fromCfnKey` keys have a policy too, hence the check on the policy rather than on the class.
 */
function keyPolicyIsManagedHere(key: kms.IKey): boolean {
  return (key as unknown as { readonly policy?: iam.PolicyDocument }).policy !== undefined;
}

/**
 * What TypeScript's types would have caught: booleans, the encryption enum and the interfaces a JavaScript or
 * jsii caller can get wrong. Checked first, since the other checks read these.
 */
function validateTypes(scope: Construct, props: WorkQueueProps): void {
  validateBoolean(scope, 'fifo', props.fifo);
  validateBoolean(scope, 'contentBasedDeduplication', props.contentBasedDeduplication);
  validateBoolean(scope, 'highThroughputFifo', props.highThroughputFifo);
  validateEnumValue(scope, 'encryption', props.encryption, 'WorkQueueEncryption', WorkQueueEncryption);
  validateInterface(scope, 'encryptionKey', props.encryptionKey, 'a kms.IKey', 'keyArn');
  validateInterface(scope, 'alarmTopic', props.alarmTopic, 'an sns.ITopic', 'topicArn');
}

/**
 * The SQS limits (Amazon SQS Developer Guide, "Amazon SQS message quotas"; CreateQueue API reference,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html):
 * MessageRetentionPeriod 60 to 1,209,600 seconds, VisibilityTimeout 0 to 43,200, DelaySeconds 0 to 900,
 * ReceiveMessageWaitTimeSeconds 0 to 20, MaximumMessageSize 1,024 to 1,048,576 bytes, and a redrive
 * policy's maxReceiveCount 1 to 1,000.
 */
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
      throw invalidProp(scope, 'contentBasedDeduplication', 'may be true only on a FIFO queue (fifo: true)', true);
    }
    if (props.highThroughputFifo) {
      throw invalidProp(scope, 'highThroughputFifo', 'may be true only on a FIFO queue (fifo: true)', true);
    }
  }
  validateFifoAwareName(scope, 'queueName', props.queueName, { fifo, noun: 'queue', maxLength: SQS_NAME_MAX_LENGTH });
}

/**
 * Settings that the queue's retention makes pointless, when both are known at synth. SQS deletes a message
 * once it has been in the queue for the retention period, counted from when it was sent (Amazon SQS Developer
 * Guide, "Amazon SQS message lifecycle"):
 * - an age alarm at or beyond the retention could never fire: no message ever gets that old;
 * - a delivery delay at or beyond it would delete every message before anyone could receive it.
 */
function validateAgainstRetention(scope: Construct, props: WorkQueueProps, retentionPeriod: Duration): void {
  if (retentionPeriod.isUnresolved()) {
    return;
  }
  const retention = durationMillis(retentionPeriod);
  const threshold = props.oldestMessageAgeAlarmThreshold;
  if (threshold !== undefined && !threshold.isUnresolved() && durationMillis(threshold) >= retention) {
    throw invalidProp(
      scope,
      'oldestMessageAgeAlarmThreshold',
      `must be shorter than retentionPeriod (${retentionPeriod.toHumanString()}): SQS deletes a message at that age, so the alarm could never fire`,
      threshold,
    );
  }
  const delay = props.deliveryDelay;
  if (delay !== undefined && !delay.isUnresolved() && durationMillis(delay) > 0 && durationMillis(delay) >= retention) {
    throw invalidProp(
      scope,
      'deliveryDelay',
      `must be shorter than retentionPeriod (${retentionPeriod.toHumanString()}): every message would be deleted before it could be received`,
      delay,
    );
  }
}
