import { Duration, RemovalPolicy, Resource, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EnhancedFanOutConsumer } from './enhanced-fan-out-consumer';
import { KclApplication, KclApplicationOptions } from './kcl-application';
import { acknowledge, ACKNOWLEDGMENTS } from './private/acknowledgments';
import { notifyingAlarm } from './private/alarms';
import { AWS_MANAGED_KINESIS_KEY_ALIAS, isAwsManagedKey } from './private/aws-managed-keys';
import { childIdFromName, validateApplicationName, validateConsumerName } from './private/encrypted-stream/names';
import { grantWithKey } from './private/grants';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { childNamespace } from './private/namespaces';
import { resolveRemovalPolicy } from './private/removal-policy';
import { invalidProp, validateDurationInRange, validateIntegerInRange } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * Which key encrypts the records of an EncryptedStream.
 */
export enum EncryptedStreamEncryption {
  /** A customer-managed KMS key: its policy is yours, rotation is on, and grants name it. */
  CUSTOMER_MANAGED = 'CUSTOMER_MANAGED',
  /** The AWS-managed `alias/aws/kinesis` key: no key policy to manage, no cross-account use. */
  AWS_MANAGED = 'AWS_MANAGED',
}

/**
 * Properties of an EncryptedStream.
 */
export interface EncryptedStreamProps {
  /**
   * The name of the stream: 1 to 128 letters, digits, hyphens, underscores and periods.
   *
   * @default - a name CloudFormation generates
   */
  readonly streamName?: string;

  /**
   * Provisioned capacity: the number of shards (each takes 1 MB/s or 1,000 records/s in
   * and gives 2 MB/s out). Leave it out for on-demand capacity, which scales by itself.
   *
   * @default - on-demand capacity
   */
  readonly shardCount?: number;

  /**
   * How long records stay readable (24 hours to 8,760 hours, in whole hours). Readers
   * that fall further behind than this lose records.
   *
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;

  /**
   * Which key encrypts records at rest.
   *
   * @default EncryptedStreamEncryption.CUSTOMER_MANAGED
   */
  readonly encryption?: EncryptedStreamEncryption;

  /**
   * The customer-managed key that encrypts records. Not the AWS-managed `alias/aws/kinesis`
   * (choose `encryption: AWS_MANAGED` for that).
   *
   * @default - with CUSTOMER_MANAGED encryption, a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Alarm when the oldest unread record is older than this: readers are falling behind and
   * records will be trimmed before they are read.
   *
   * @default - 75% of the retention period
   */
  readonly iteratorAgeAlarmThreshold?: Duration;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * What happens to the stream (and a key created for it) when they leave the stack. KCL applications
   * added with `addKclApplication` get it too, unless their options say otherwise.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const ITERATOR_AGE_ALARM_SHARE = 0.75;

const WRITE_ACTIONS = [
  'kinesis:PutRecord',
  'kinesis:PutRecords',
  'kinesis:ListShards',
  'kinesis:DescribeStreamSummary',
];

/**
 * A Kinesis data stream under a KMS key, with least-privilege grants, enhanced fan-out
 * consumers, Kinesis Client Library applications and the alarms that tell a hot shard,
 * slow readers and failed writes apart.
 *
 * An EncryptedStream is itself a `kinesis.IStream`: pass it wherever a stream is expected, for
 * example to `KinesisEventSource` or to a Firehose `KinesisStreamSource`. Its grants are least
 * privilege (exact actions on this stream) and include the KMS permissions on its
 * customer-managed key.
 */
export class EncryptedStream extends Resource implements kinesis.IStream {
  /** The stream. */
  public readonly stream: kinesis.Stream;

  /** The customer-managed key the records are encrypted with; undefined with AWS_MANAGED encryption. */
  public readonly encryptionKey?: kms.IKey;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** Alarms when writes are throttled: a hot shard (partition key), or too little provisioned capacity. */
  public readonly writeThrottledAlarm: cloudwatch.Alarm;

  /** Alarms when reads are throttled: too many readers sharing a shard's 2 MB/s (use enhanced fan-out). */
  public readonly readThrottledAlarm: cloudwatch.Alarm;

  /** Alarms when a PutRecords call could not write some of its records. */
  public readonly putRecordsFailedAlarm: cloudwatch.Alarm;

  /** Alarms when readers lag so far behind that records approach the end of the retention period. */
  public readonly iteratorAgeAlarm: cloudwatch.Alarm;

  private readonly removalPolicy: RemovalPolicy;
  private readonly consumerList: EnhancedFanOutConsumer[] = [];
  private readonly kclApplicationList: KclApplication[] = [];

  constructor(scope: Construct, id: string, props: EncryptedStreamProps = {}) {
    super(scope, id);
    validateProps(this, props);
    this.removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'Kinesis streams and KMS keys');

    const retentionPeriod = props.retentionPeriod ?? Duration.hours(24);
    const awsManaged = props.encryption === EncryptedStreamEncryption.AWS_MANAGED;
    this.encryptionKey = awsManaged
      ? undefined
      : (props.encryptionKey ??
        new kms.Key(this, 'Key', {
          description: `Encrypts the records of the stream of ${this.node.path}`,
          enableKeyRotation: true,
          removalPolicy: this.removalPolicy,
        }));

    this.stream = new kinesis.Stream(this, 'Stream', {
      streamName: props.streamName,
      streamMode: props.shardCount === undefined ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: props.shardCount,
      retentionPeriod,
      encryption: awsManaged ? kinesis.StreamEncryption.MANAGED : kinesis.StreamEncryption.KMS,
      encryptionKey: this.encryptionKey,
      removalPolicy: this.removalPolicy,
    });
    if (!awsManaged) {
      acknowledge(this.stream, ACKNOWLEDGMENTS.streamWithCustomerManagedKey);
    }

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    const path = this.node.path;
    this.writeThrottledAlarm = this.alarm(
      'WriteThrottledAlarm',
      this.stream.metricWriteProvisionedThroughputExceeded({
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(1),
      }),
      0,
      `Writes to ${path} are throttled: a hot partition key, or too few shards.`,
    );
    this.readThrottledAlarm = this.alarm(
      'ReadThrottledAlarm',
      this.stream.metricReadProvisionedThroughputExceeded({
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(1),
      }),
      0,
      `Reads from ${path} are throttled: readers share a shard's 2 MB/s; give them enhanced fan-out consumers.`,
    );
    this.putRecordsFailedAlarm = this.alarm(
      'PutRecordsFailedAlarm',
      this.stream.metricPutRecordsFailedRecords({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
      0,
      `PutRecords calls to ${path} left records unwritten; producers must retry them.`,
    );
    const iteratorAgeThreshold =
      props.iteratorAgeAlarmThreshold ??
      Duration.seconds(Math.floor(retentionPeriod.toSeconds() * ITERATOR_AGE_ALARM_SHARE));
    this.iteratorAgeAlarm = this.alarm(
      'IteratorAgeAlarm',
      this.stream.metricGetRecordsIteratorAgeMilliseconds({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      iteratorAgeThreshold.toMilliseconds(),
      `Readers of ${path} are ${iteratorAgeThreshold.toHumanString()} behind: records will be trimmed before they are read.`,
    );
  }

  /** The ARN of the stream. */
  public get streamArn(): string {
    return this.stream.streamArn;
  }

  /** The name of the stream. */
  public get streamName(): string {
    return this.stream.streamName;
  }

  /** A reference to the stream. */
  public get streamRef(): kinesis.StreamReference {
    return this.stream.streamRef;
  }

  /** Every alarm of the stream and of the KCL applications added with `addKclApplication`. */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.writeThrottledAlarm,
      this.readThrottledAlarm,
      this.putRecordsFailedAlarm,
      this.iteratorAgeAlarm,
      ...this.kclApplicationList.flatMap((application) => application.alarms),
    ];
  }

  /** The enhanced fan-out consumers added with `addConsumer`. */
  public get enhancedFanOutConsumers(): EnhancedFanOutConsumer[] {
    return [...this.consumerList];
  }

  /** The KCL applications added with `addKclApplication`. */
  public get kclApplications(): KclApplication[] {
    return [...this.kclApplicationList];
  }

  /**
   * Adds a statement to the stream's resource policy.
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.stream.addToResourcePolicy(statement);
  }

  /**
   * Lets the grantee write records: `kinesis:PutRecord`, `kinesis:PutRecords`,
   * `kinesis:ListShards` and `kinesis:DescribeStreamSummary` on this stream, and
   * `kms:GenerateDataKey` on its key.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnStream(grantee, WRITE_ACTIONS, ['kms:GenerateDataKey']);
  }

  /**
   * Lets the grantee read records with shard iterators: `kinesis:GetShardIterator`,
   * `kinesis:GetRecords`, `kinesis:ListShards`, `kinesis:DescribeStream` and
   * `kinesis:DescribeStreamSummary` on this stream, and `kms:Decrypt` on its key.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnStream(grantee, STREAM_READ_ACTIONS, ['kms:Decrypt']);
  }

  /**
   * Lets the grantee read and write records: the actions of `grantRead` and `grantWrite` on this
   * stream, and `kms:Decrypt` and `kms:GenerateDataKey` on its key.
   */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    const actions = [...new Set([...STREAM_READ_ACTIONS, ...WRITE_ACTIONS])];
    return this.grantOnStream(grantee, actions, ['kms:Decrypt', 'kms:GenerateDataKey']);
  }

  /**
   * Lets the grantee perform the given actions on this stream (not on its key).
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return this.stream.grant(grantee, ...actions);
  }

  /**
   * Applies the removal policy to the stream and to a key created for it.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    this.stream.applyRemovalPolicy(policy);
    if (this.encryptionKey instanceof kms.Key && this.encryptionKey.node.scope === this) {
      this.encryptionKey.applyRemovalPolicy(policy);
    }
  }

  /**
   * Adds an enhanced fan-out consumer, `Consumers/<consumerName>` under this stream: a reader that
   * gets its own 2 MB/s per shard, so that several applications read the stream at full speed
   * (up to 20 per stream).
   *
   * @param consumerName the consumer's name, unique within the stream (1 to 128 letters, digits, `_`, `.`, `-`)
   */
  public addConsumer(consumerName: string): EnhancedFanOutConsumer {
    const prop = 'addConsumer consumerName';
    validateConsumerName(this, prop, consumerName);
    const id = childIdFromName(
      this,
      prop,
      consumerName,
      this.consumerList.map((consumer) => consumer.node.id),
      'consumer',
    );
    const consumer = new EnhancedFanOutConsumer(childNamespace(this, 'Consumers'), id, { stream: this, consumerName });
    this.consumerList.push(consumer);
    return consumer;
  }

  /**
   * Prepares what a Kinesis Client Library (KCL) application needs, `KclApplications/<applicationName>`
   * under this stream: its lease table, named after the application as KCL expects, alarms on the table,
   * and grants for the grantee on the stream, the table and CloudWatch metrics. Point the KCL worker at it
   * with the same application name (`ConfigsBuilder(streamName, applicationName, ...)` in Java,
   * `applicationName` in the properties file of the MultiLangDaemon).
   *
   * @param applicationName the KCL application name, which is also the lease table's name
   * @param grantee the identity the KCL workers run as (a role, user or group)
   * @param options the application's removal policy and alarm topic, the stream's unless given
   */
  public addKclApplication(
    applicationName: string,
    grantee: iam.IGrantable,
    options: KclApplicationOptions = {},
  ): KclApplication {
    const prop = 'addKclApplication applicationName';
    validateApplicationName(this, prop, applicationName);
    const id = childIdFromName(
      this,
      prop,
      applicationName,
      this.kclApplicationList.map((application) => application.node.id),
      'KCL application',
    );
    const application = new KclApplication(childNamespace(this, 'KclApplications'), id, {
      applicationName,
      stream: this,
      removalPolicy: options.removalPolicy ?? this.removalPolicy,
      alarmTopic: options.alarmTopic ?? this.alarmTopic,
    });
    application.grantWorker(grantee);
    this.kclApplicationList.push(application);
    return application;
  }

  /** Bytes put into the stream. */
  public metricIncomingBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricIncomingBytes(props);
  }

  /** Records put into the stream. */
  public metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricIncomingRecords(props);
  }

  /** Age of the last record read by GetRecords: how far readers are behind. */
  public metricGetRecordsIteratorAgeMilliseconds(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsIteratorAgeMilliseconds(props);
  }

  /** Bytes read by GetRecords. */
  public metricGetRecordsBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsBytes(props);
  }

  /** Time taken per GetRecords call. */
  public metricGetRecordsLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsLatency(props);
  }

  /** Records read by GetRecords. */
  public metricGetRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecords(props);
  }

  /** Successful GetRecords calls. */
  public metricGetRecordsSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsSuccess(props);
  }

  /** Bytes put by PutRecord. */
  public metricPutRecordBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordBytes(props);
  }

  /** Time taken per PutRecord call. */
  public metricPutRecordLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordLatency(props);
  }

  /** Successful PutRecord calls. */
  public metricPutRecordSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordSuccess(props);
  }

  /** Bytes put by PutRecords. */
  public metricPutRecordsBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsBytes(props);
  }

  /** Time taken per PutRecords call. */
  public metricPutRecordsLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsLatency(props);
  }

  /** PutRecords calls in which at least one record succeeded. */
  public metricPutRecordsSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsSuccess(props);
  }

  /** Records sent in PutRecords calls. */
  public metricPutRecordsTotalRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsTotalRecords(props);
  }

  /** Records PutRecords calls wrote. */
  public metricPutRecordsSuccessfulRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsSuccessfulRecords(props);
  }

  /** Records that PutRecords calls could not write (internal errors). */
  public metricPutRecordsFailedRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsFailedRecords(props);
  }

  /** Records that PutRecords calls could not write because of throttling. */
  public metricPutRecordsThrottledRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsThrottledRecords(props);
  }

  /** Records refused because a shard was over its write capacity. */
  public metricWriteProvisionedThroughputExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricWriteProvisionedThroughputExceeded(props);
  }

  /** GetRecords calls refused because a shard was over its read capacity. */
  public metricReadProvisionedThroughputExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricReadProvisionedThroughputExceeded(props);
  }

  /** Any metric of the stream in the `AWS/Kinesis` namespace, by name. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metric(metricName, props);
  }

  private grantOnStream(grantee: iam.IGrantable, actions: string[], keyActions: string[]): iam.Grant {
    return grantWithKey({
      grantee,
      actions,
      resourceArns: [this.stream.streamArn],
      resource: this.stream,
      key: this.encryptionKey,
      keyActions,
    });
  }

  private alarm(id: string, metric: cloudwatch.Metric, threshold: number, description: string): cloudwatch.Alarm {
    return notifyingAlarm(this, id, {
      description,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      alarmTopic: this.alarmTopic,
    });
  }
}

function validateProps(scope: Construct, props: EncryptedStreamProps): void {
  validateDurationInRange(scope, 'retentionPeriod', props.retentionPeriod, Duration.hours(24), Duration.hours(8760));
  const retention = props.retentionPeriod;
  if (retention && !retention.isUnresolved() && retention.toSeconds() % 3600 !== 0) {
    throw invalidProp(scope, 'retentionPeriod', 'must be a whole number of hours between 24 and 8,760', retention);
  }
  if (props.shardCount !== undefined && !Token.isUnresolved(props.shardCount)) {
    validateIntegerInRange(scope, 'shardCount', props.shardCount, 1, Number.MAX_SAFE_INTEGER);
  }
  validateDurationInRange(
    scope,
    'iteratorAgeAlarmThreshold',
    props.iteratorAgeAlarmThreshold,
    Duration.minutes(1),
    Duration.hours(8760),
  );
  if (props.encryption === EncryptedStreamEncryption.AWS_MANAGED && props.encryptionKey) {
    throw invalidProp(
      scope,
      'encryptionKey',
      'must not be set with encryption AWS_MANAGED (omit it, or use encryption CUSTOMER_MANAGED)',
      props.encryptionKey.node.path,
    );
  }
  if (props.encryptionKey && isAwsManagedKey(props.encryptionKey, AWS_MANAGED_KINESIS_KEY_ALIAS)) {
    throw invalidProp(
      scope,
      'encryptionKey',
      `must be a customer-managed key, not the AWS-managed ${AWS_MANAGED_KINESIS_KEY_ALIAS} (its policy cannot be changed, so grants and cross-account reads would fail); use encryption AWS_MANAGED for that key`,
      AWS_MANAGED_KINESIS_KEY_ALIAS,
    );
  }
  const name = props.streamName;
  if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9_.-]{1,128}$/.test(name)) {
    throw invalidProp(scope, 'streamName', 'must be 1 to 128 letters, digits, hyphens, underscores and periods', name);
  }
}
