import { Duration, RemovalPolicy, Resource } from 'aws-cdk-lib';
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
import { addEncryptedStreamWidgets } from './private/dashboard/encrypted-stream';
import { declareStream } from './private/encrypted-stream/consumers';
import {
  childIdFromName,
  validateApplicationName,
  validateConsumerName,
  validateStreamName,
} from './private/encrypted-stream/names';
import { constructFor } from './private/encrypted-stream/origin';
import {
  validateBoolean,
  validateDuration,
  refuseDroppedKeyGrant,
  validateGrantee,
  validateReference,
  validateRemovalPolicyArgument,
  validateTokenDurationUnit,
} from './private/encrypted-stream/values';
import { grantWithKey } from './private/grants';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { childNamespace } from './private/namespaces';
import { claimPhysicalName } from './private/physical-names';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  durationMillis,
  invalidProp,
  methodArgument,
  validateEnumValue,
  validateIntegerInRange,
} from './private/validation';
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
   * Provisioned capacity: the number of shards, 1 to 100,000 (each takes 1 MB/s or 1,000 records/s in
   * and gives 2 MB/s out). Leave it out for on-demand capacity, which scales by itself. The account's
   * shard quota (500 or 200 by default, depending on the Region) can be raised on request.
   *
   * @default - on-demand capacity
   */
  readonly shardCount?: number;

  /**
   * Whether the account is in the On-demand Advantage mode, an account-level setting of Kinesis Data
   * Streams (UpdateAccountSettings) that CloudFormation can neither set nor read. An on-demand stream of
   * such an account takes 50 enhanced fan-out consumers instead of 20. Only for on-demand capacity
   * (no `shardCount`).
   *
   * @default false
   */
  readonly onDemandAdvantage?: boolean;

  /**
   * How long records stay readable (24 hours to 8,760 hours, in whole hours). Readers
   * that fall further behind than this lose records. A value known only at deploy time
   * must be written in hours (`Duration.hours(parameter.valueAsNumber)`).
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
   * records will be trimmed before they are read. At least one minute and less than the retention
   * period (a record is never older than that, so the alarm could not fire). A value known only at
   * deploy time must be written in milliseconds (`Duration.millis(...)`), the unit of the metric.
   *
   * @default - 75% of the retention period (of 24 hours when the retention is known only at deploy time)
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

  /**
   * Adds this construct's widget group to the stack's dashboard (StackDashboard.of(this)).
   *
   * @default true
   */
  readonly dashboard?: boolean;
}

const ITERATOR_AGE_ALARM_SHARE = 0.75;

/**
 * Kinesis keeps records 24 to 8,760 hours, in whole hours ("Changing the data retention period",
 * https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html; RetentionPeriodHours of
 * AWS::Kinesis::Stream).
 */
const MIN_RETENTION = Duration.hours(24);
const MAX_RETENTION = Duration.hours(8760);

/**
 * ShardCount of AWS::Kinesis::Stream is 1 to 100,000 (the resource's schema in the CloudFormation template
 * reference, https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kinesis-stream.html;
 * cfn-lint checks the same schema). The account's shard quota is lower by default (500 or 200 per Region,
 * "Quotas and limits", https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html) but can
 * be raised, so it is not a limit of the template.
 */
const MAX_SHARD_COUNT = 100_000;

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
    if (props.streamName !== undefined) {
      // Stream names are unique per account and Region (CreateStream API reference).
      claimPhysicalName(this, { kind: 'Kinesis data stream', name: props.streamName, prop: 'streamName' });
    }

    const retentionPeriod = props.retentionPeriod ?? MIN_RETENTION;
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
    declareStream(this, this.stream, props.onDemandAdvantage === true);

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
    // A retention known only at deploy time is at least 24 hours: 75% of that alarms early, never too late.
    const knownRetention = retentionPeriod.isUnresolved() ? MIN_RETENTION : retentionPeriod;
    const iteratorAgeThreshold =
      props.iteratorAgeAlarmThreshold ??
      Duration.seconds(Math.floor(knownRetention.toSeconds() * ITERATOR_AGE_ALARM_SHARE));
    const behind = iteratorAgeThreshold.isUnresolved()
      ? 'behind by more than the deploy-time threshold'
      : `${iteratorAgeThreshold.toHumanString()} behind`;
    this.iteratorAgeAlarm = this.alarm(
      'IteratorAgeAlarm',
      this.stream.metricGetRecordsIteratorAgeMilliseconds({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      iteratorAgeThreshold.toMilliseconds(),
      `Readers of ${path} are ${behind}: records will be trimmed before they are read.`,
    );

    addEncryptedStreamWidgets(this, props.dashboard);
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
    return this.grantOnStream('grantWrite', grantee, WRITE_ACTIONS, ['kms:GenerateDataKey']);
  }

  /**
   * Lets the grantee read records with shard iterators: `kinesis:GetShardIterator`,
   * `kinesis:GetRecords`, `kinesis:ListShards`, `kinesis:DescribeStream` and
   * `kinesis:DescribeStreamSummary` on this stream, and `kms:Decrypt` on its key.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantOnStream('grantRead', grantee, STREAM_READ_ACTIONS, ['kms:Decrypt']);
  }

  /**
   * Lets the grantee read and write records: the actions of `grantRead` and `grantWrite` on this
   * stream, and `kms:Decrypt` and `kms:GenerateDataKey` on its key.
   */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    const actions = [...new Set([...STREAM_READ_ACTIONS, ...WRITE_ACTIONS])];
    return this.grantOnStream('grantReadWrite', grantee, actions, ['kms:Decrypt', 'kms:GenerateDataKey']);
  }

  /**
   * Lets the grantee perform the given actions on this stream (not on its key).
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    validateGrantee(this, methodArgument('grant', 'grantee'), grantee);
    return this.stream.grant(grantee, ...actions);
  }

  /**
   * Applies the removal policy to the stream and to a key created for it.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    validateRemovalPolicyArgument(
      this,
      methodArgument('applyRemovalPolicy', 'policy'),
      policy,
      'Kinesis streams and KMS keys',
    );
    this.stream.applyRemovalPolicy(policy);
    if (this.encryptionKey instanceof kms.Key && this.encryptionKey.node.scope === this) {
      this.encryptionKey.applyRemovalPolicy(policy);
    }
  }

  /**
   * Adds an enhanced fan-out consumer, `Consumers/<consumerName>` under this stream: a reader that
   * gets its own 2 MB/s per shard, so that several applications read the stream at full speed
   * (up to 20 per stream; 50 with `onDemandAdvantage`).
   *
   * @param consumerName the consumer's name, unique within the stream (1 to 128 letters, digits, `_`, `.`, `-`)
   */
  public addConsumer(consumerName: string): EnhancedFanOutConsumer {
    const prop = methodArgument('addConsumer', 'consumerName');
    validateConsumerName(this, prop, consumerName);
    const id = childIdFromName(
      this,
      prop,
      consumerName,
      this.consumerList.map((consumer) => consumer.node.id),
      'consumer',
    );
    const namespace = childNamespace(this, 'Consumers');
    const consumer = constructFor(
      namespace,
      { scope: this, method: 'addConsumer', argumentOf: { consumerName: 'consumerName' } },
      () => new EnhancedFanOutConsumer(namespace, id, { stream: this, consumerName }),
    );
    this.consumerList.push(consumer);
    return consumer;
  }

  /**
   * Prepares what a Kinesis Client Library (KCL) application needs, `KclApplications/<applicationName>`
   * under this stream: its lease table, named after the application as KCL expects, alarms on the table,
   * and grants for the grantee on the stream, its consumers, the tables and CloudWatch metrics. Point the
   * KCL worker at it with the same application name (`ConfigsBuilder(streamName, applicationName, ...)` in
   * Java, `applicationName` in the properties file of the MultiLangDaemon).
   *
   * The application name is also the lease table's name, unique in the account and Region (across streams
   * too), and KCL 3.x names two more tables after it.
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
    const prop = methodArgument('addKclApplication', 'applicationName');
    validateApplicationName(this, prop, applicationName);
    validateGrantee(this, methodArgument('addKclApplication', 'grantee'), grantee);
    if (typeof options !== 'object' || options === null) {
      throw invalidProp(this, methodArgument('addKclApplication', 'options'), 'must be KclApplicationOptions', options);
    }
    const id = childIdFromName(
      this,
      prop,
      applicationName,
      this.kclApplicationList.map((application) => application.node.id),
      'KCL application',
    );
    const namespace = childNamespace(this, 'KclApplications');
    const application = constructFor(
      namespace,
      {
        scope: this,
        method: 'addKclApplication',
        argumentOf: { applicationName: 'applicationName', grantee: 'grantee' },
      },
      () => {
        const created = new KclApplication(namespace, id, {
          applicationName,
          stream: this,
          removalPolicy: options.removalPolicy ?? this.removalPolicy,
          alarmTopic: options.alarmTopic ?? this.alarmTopic,
        });
        created.grantWorker(grantee);
        return created;
      },
    );
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

  private grantOnStream(method: string, grantee: iam.IGrantable, actions: string[], keyActions: string[]): iam.Grant {
    const prop = methodArgument(method, 'grantee');
    validateGrantee(this, prop, grantee);
    const grant = grantWithKey({
      grantee,
      actions,
      resourceArns: [this.stream.streamArn],
      resource: this.stream,
      key: this.encryptionKey,
      keyActions,
    });
    refuseDroppedKeyGrant(this, prop, grantee, grant, this.encryptionKey, keyActions);
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
  if (typeof props !== 'object' || props === null) {
    throw invalidProp(scope, 'props', 'must be EncryptedStreamProps', props);
  }
  validateRetention(scope, props.retentionPeriod);
  validateIntegerInRange(scope, 'shardCount', props.shardCount, 1, MAX_SHARD_COUNT);
  validateBoolean(scope, 'onDemandAdvantage', props.onDemandAdvantage);
  if (props.onDemandAdvantage === true && props.shardCount !== undefined) {
    throw invalidProp(
      scope,
      'onDemandAdvantage',
      'must not be true with shardCount: On-demand Advantage applies to on-demand streams (omit shardCount)',
      props.onDemandAdvantage,
    );
  }
  validateIteratorAgeThreshold(scope, props.iteratorAgeAlarmThreshold, props.retentionPeriod);
  validateEnumValue(scope, 'encryption', props.encryption, 'EncryptedStreamEncryption', EncryptedStreamEncryption);
  validateReference(scope, 'encryptionKey', props.encryptionKey, 'keyArn', 'a kms.IKey');
  validateReference(scope, 'alarmTopic', props.alarmTopic, 'topicArn', 'an sns.ITopic');
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
  validateStreamName(scope, 'streamName', props.streamName);
}

function validateRetention(scope: Construct, retention: Duration | undefined): void {
  // CloudFormation takes RetentionPeriodHours; a deploy-time amount in another unit cannot be converted.
  validateTokenDurationUnit(scope, 'retentionPeriod', retention, 'hours', 'the stream takes whole hours');
  validateDuration(scope, 'retentionPeriod', retention, MIN_RETENTION, MAX_RETENTION);
  if (retention && !retention.isUnresolved() && durationMillis(retention) % 3_600_000 !== 0) {
    throw invalidProp(scope, 'retentionPeriod', 'must be a whole number of hours between 24 and 8,760', retention);
  }
}

/**
 * At least a minute, and less than the retention period: the iterator age never exceeds the retention (older
 * records are trimmed), so a threshold at or beyond it could never fire.
 */
function validateIteratorAgeThreshold(
  scope: Construct,
  threshold: Duration | undefined,
  retention: Duration | undefined,
): void {
  const prop = 'iteratorAgeAlarmThreshold';
  validateTokenDurationUnit(scope, prop, threshold, 'millis', 'the metric is in milliseconds');
  validateDuration(scope, prop, threshold, Duration.minutes(1), MAX_RETENTION);
  if (threshold === undefined || threshold.isUnresolved()) {
    return;
  }
  const limit = retention === undefined ? MIN_RETENTION : retention;
  const limitText = limit.isUnresolved()
    ? `${MAX_RETENTION.toHumanString()} (the longest retention)`
    : limit.toHumanString();
  const limitMillis = limit.isUnresolved() ? MAX_RETENTION.toMilliseconds() : durationMillis(limit);
  if (durationMillis(threshold) >= limitMillis) {
    throw invalidProp(
      scope,
      prop,
      `must be less than the retention period, ${limitText}: records are trimmed at that age, so the alarm could never fire`,
      threshold,
    );
  }
}
