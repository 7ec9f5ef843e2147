import { Duration, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EnhancedFanOutConsumer } from './enhanced-fan-out-consumer';
import { KclApplication } from './kcl-application';
import { notifyingAlarm } from './private/alarms';
import { AWS_MANAGED_KINESIS_KEY_ALIAS, isAwsManagedKey } from './private/aws-managed-keys';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
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
}

const ITERATOR_AGE_ALARM_SHARE = 0.75;

/**
 * A Kinesis data stream under a KMS key, with least-privilege grants, enhanced fan-out
 * consumers, Kinesis Client Library applications and the alarms that tell a hot shard,
 * slow readers and failed writes apart.
 */
export class EncryptedStream extends Construct {
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

  private readonly consumers: EnhancedFanOutConsumer[] = [];
  private readonly kclApplications: KclApplication[] = [];

  constructor(scope: Construct, id: string, props: EncryptedStreamProps = {}) {
    super(scope, id);
    validateProps(this, props);

    const retentionPeriod = props.retentionPeriod ?? Duration.hours(24);
    const awsManaged = props.encryption === EncryptedStreamEncryption.AWS_MANAGED;
    this.encryptionKey = awsManaged
      ? undefined
      : (props.encryptionKey ??
        new kms.Key(this, 'Key', {
          description: `Encrypts the records of the stream of ${this.node.path}`,
          enableKeyRotation: true,
        }));

    this.stream = new kinesis.Stream(this, 'Stream', {
      streamName: props.streamName,
      streamMode: props.shardCount === undefined ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: props.shardCount,
      retentionPeriod,
      encryption: awsManaged ? kinesis.StreamEncryption.MANAGED : kinesis.StreamEncryption.KMS,
      encryptionKey: this.encryptionKey,
    });
    if (!awsManaged) {
      Validations.of(this.stream).acknowledge({
        id: 'AwsSolutions-KDS3',
        reason:
          'A customer-managed key is chosen on purpose: its policy, rotation and cross-account use are under your control, which the AWS-managed alias/aws/kinesis key does not allow.',
      });
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

  /** Every alarm of the stream. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.writeThrottledAlarm, this.readThrottledAlarm, this.putRecordsFailedAlarm, this.iteratorAgeAlarm];
  }

  /** The enhanced fan-out consumers added with `addConsumer`. */
  public get enhancedFanOutConsumers(): EnhancedFanOutConsumer[] {
    return [...this.consumers];
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

  /** Records refused because a shard was over its write capacity. */
  public metricWriteProvisionedThroughputExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricWriteProvisionedThroughputExceeded(props);
  }

  /** GetRecords calls refused because a shard was over its read capacity. */
  public metricReadProvisionedThroughputExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricReadProvisionedThroughputExceeded(props);
  }

  /** Records that PutRecords calls could not write (internal errors). */
  public metricPutRecordsFailedRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsFailedRecords(props);
  }

  /** Records that PutRecords calls could not write because of throttling. */
  public metricPutRecordsThrottledRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricPutRecordsThrottledRecords(props);
  }

  /**
   * Lets the grantee write records: `kinesis:PutRecord`, `kinesis:PutRecords`,
   * `kinesis:ListShards` and `kinesis:DescribeStreamSummary` on this stream, and
   * `kms:GenerateDataKey` on its key.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnStream(
      grantee,
      ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:ListShards', 'kinesis:DescribeStreamSummary'],
      ['kms:GenerateDataKey'],
    );
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
   * Adds an enhanced fan-out consumer: a reader that gets its own 2 MB/s per shard, so
   * that several applications read the stream at full speed (up to 20 per stream).
   *
   * @param consumerName the consumer's name, unique within the stream (1 to 128 letters, digits, `_`, `.`, `-`)
   */
  public addConsumer(consumerName: string): EnhancedFanOutConsumer {
    const consumer = new EnhancedFanOutConsumer(this, `Consumer${this.consumers.length + 1}`, {
      stream: this.stream,
      encryptionKey: this.encryptionKey,
      consumerName,
    });
    this.consumers.push(consumer);
    return consumer;
  }

  /**
   * Prepares what a Kinesis Client Library (KCL) application needs: its lease table, named
   * after the application as KCL expects, and grants for the grantee on the stream, the
   * table and CloudWatch metrics. Point the KCL worker at it with the same application name
   * (`ConfigsBuilder(streamName, applicationName, ...)` in Java, `applicationName` in the
   * properties file of the MultiLangDaemon).
   *
   * @param applicationName the KCL application name, which is also the lease table's name
   * @param grantee the identity the KCL workers run as
   */
  public addKclApplication(applicationName: string, grantee: iam.IGrantable): KclApplication {
    const application = new KclApplication(this, `KclApplication${this.kclApplications.length + 1}`, {
      applicationName,
      stream: this.stream,
      encryptionKey: this.encryptionKey,
      alarmTopic: this.alarmTopic,
    });
    this.kclApplications.push(application);
    application.grantWorker(grantee);
    return application;
  }

  private grantOnStream(grantee: iam.IGrantable, actions: string[], keyActions: string[]): iam.Grant {
    const grant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions,
      resourceArns: [this.stream.streamArn],
      resource: this.stream,
    });
    if (this.encryptionKey && keyActions.length > 0) {
      return grant.combine(this.encryptionKey.grant(grantee, ...keyActions));
    }
    return grant;
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
