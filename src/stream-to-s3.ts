import { ArnFormat, Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EncryptedStream } from './encrypted-stream';
import { notifyingAlarm } from './private/alarms';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { invalidProp, validateDurationInRange } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * How Firehose compresses the objects it writes.
 */
export enum StreamToS3Compression {
  /** GZIP: readable by Athena, Glue and most tools. */
  GZIP = 'GZIP',
  /** ZIP. */
  ZIP = 'ZIP',
  /** Snappy (framed). */
  SNAPPY = 'Snappy',
  /** Hadoop-compatible Snappy. */
  HADOOP_SNAPPY = 'HADOOP_SNAPPY',
  /** No compression. */
  UNCOMPRESSED = 'UNCOMPRESSED',
}

/**
 * Properties of a StreamToS3.
 */
export interface StreamToS3Props {
  /**
   * The stream to deliver from.
   *
   * @default - a new EncryptedStream with its defaults
   */
  readonly stream?: EncryptedStream;

  /**
   * The bucket to deliver to. When it has an `encryptionKey`, objects are written with it.
   *
   * @default - a versioned bucket encrypted with a new customer-managed key, Block Public Access on,
   * TLS only, noncurrent versions expired after 90 days, and server access logs in a log bucket
   * with the same settings
   */
  readonly bucket?: s3.IBucket;

  /**
   * How long Firehose buffers records before it writes an object (0 to 900 seconds).
   *
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;

  /**
   * How much Firehose buffers before it writes an object (1 to 128 MiB, whole MiB).
   *
   * @default Size.mebibytes(5)
   */
  readonly bufferingSize?: Size;

  /**
   * How objects are compressed.
   *
   * @default StreamToS3Compression.GZIP
   */
  readonly compression?: StreamToS3Compression;

  /**
   * The key prefix of delivered objects. May use `!{timestamp:...}` and `!{firehose:random-string}`;
   * when it uses any expression, `errorOutputPrefix` must contain `!{firehose:error-output-type}`.
   *
   * @default 'data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'
   */
  readonly dataOutputPrefix?: string;

  /**
   * The key prefix of records Firehose could not deliver, separated by error type.
   *
   * @default 'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/'
   */
  readonly errorOutputPrefix?: string;

  /**
   * How long delivery errors are kept in the (encrypted) log group.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;
}

const DEFAULT_DATA_PREFIX =
  'data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
const DEFAULT_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/';
const ERROR_OUTPUT_TYPE = '!{firehose:error-output-type}';
const PREFIX_MAX_LENGTH = 1024;
const DELIVERY_LOG_STREAM = 'DestinationDelivery';

/**
 * Firehose delivery from an EncryptedStream into an encrypted S3 bucket.
 *
 * The delivery role has one customer-managed policy with exactly what delivery needs:
 * read this stream (and decrypt with its key), write objects under the two prefixes (and
 * encrypt with the bucket's key, through S3 only), and write its error log. Delivery errors
 * go to an encrypted log group. Alarms on data freshness, failed deliveries and throttled
 * reads from the stream.
 */
export class StreamToS3 extends Construct {
  /** The stream delivered from. */
  public readonly stream: EncryptedStream;

  /** The bucket delivered to. */
  public readonly bucket: s3.IBucket;

  /** The bucket that receives the delivery bucket's server access logs, when this construct created the bucket. */
  public readonly accessLogBucket?: s3.Bucket;

  /** The Firehose delivery stream. */
  public readonly deliveryStream: firehose.IDeliveryStream;

  /** The role Firehose assumes to read the stream and write the bucket. */
  public readonly deliveryRole: iam.Role;

  /** The log group delivery errors are written to. */
  public readonly logGroup: logs.LogGroup;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** Alarms when the oldest record not yet in S3 is older than twice the buffering interval plus five minutes. */
  public readonly dataFreshnessAlarm: cloudwatch.Alarm;

  /** Alarms when deliveries to S3 fail (`DeliveryToS3.Success` below 1). */
  public readonly deliveryFailedAlarm: cloudwatch.Alarm;

  /** Alarms when Firehose's reads from the stream are throttled (`ThrottledGetRecords`). */
  public readonly readThrottledAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: StreamToS3Props = {}) {
    super(scope, id);
    validateProps(this, props);
    const dataPrefix = props.dataOutputPrefix ?? DEFAULT_DATA_PREFIX;
    const errorPrefix = props.errorOutputPrefix ?? DEFAULT_ERROR_PREFIX;
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(300);

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    this.stream = props.stream ?? new EncryptedStream(this, 'Stream', { alarmTopic: this.alarmTopic });
    if (props.bucket) {
      this.bucket = props.bucket;
    } else {
      const { bucket, accessLogBucket } = this.createBuckets();
      this.bucket = bucket;
      this.accessLogBucket = accessLogBucket;
    }

    this.logGroup = this.createLogGroup(props.logRetention ?? logs.RetentionDays.ONE_YEAR);
    const logStream = new logs.LogStream(this, 'DeliveryLogStream', {
      logGroup: this.logGroup,
      logStreamName: DELIVERY_LOG_STREAM,
    });

    const stack = Stack.of(this);
    this.deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: `Reads the stream and writes the bucket for ${this.node.path}`,
      // Firehose passes the account as the external id; this keeps other accounts' delivery streams out.
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': stack.account } },
      }),
    });
    const deliveryPolicy = new iam.ManagedPolicy(this, 'DeliveryPolicy', {
      description: `Exactly what Firehose needs for ${this.node.path}`,
      roles: [this.deliveryRole],
      statements: this.deliveryStatements(dataPrefix, errorPrefix, logStream),
    });
    this.acknowledgeObjectWildcards(deliveryPolicy, [dataPrefix, errorPrefix]);

    const bufferingSize = props.bufferingSize ?? Size.mebibytes(5);
    const resource = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: {
        kinesisStreamArn: this.stream.streamArn,
        roleArn: this.deliveryRole.roleArn,
      },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: this.deliveryRole.roleArn,
        prefix: dataPrefix,
        errorOutputPrefix: errorPrefix,
        bufferingHints: {
          intervalInSeconds: bufferingInterval.toSeconds(),
          sizeInMBs: bufferingSize.toMebibytes(),
        },
        compressionFormat: props.compression ?? StreamToS3Compression.GZIP,
        encryptionConfiguration: this.bucket.encryptionKey
          ? { kmsEncryptionConfig: { awskmsKeyArn: this.bucket.encryptionKey.keyArn } }
          : undefined,
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    // Firehose checks the role's permissions when the delivery stream is created.
    resource.node.addDependency(deliveryPolicy);
    Validations.of(resource).acknowledge({
      id: 'AwsSolutions-KDF1',
      reason:
        'Firehose does not allow server-side encryption of a delivery stream whose source is a Kinesis data stream; the records are encrypted by the stream, and the objects by the bucket key.',
    });
    this.deliveryStream = firehose.DeliveryStream.fromDeliveryStreamAttributes(this, 'DeliveryStream', {
      deliveryStreamArn: resource.attrArn,
      role: this.deliveryRole,
    });

    const freshnessThreshold = bufferingInterval.isUnresolved()
      ? Duration.minutes(15)
      : Duration.seconds(bufferingInterval.toSeconds() * 2 + 300);
    this.dataFreshnessAlarm = this.alarm(
      'DataFreshnessAlarm',
      this.deliveryStream.metric('DeliveryToS3.DataFreshness', {
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      freshnessThreshold.toSeconds(),
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      `Records of ${this.node.path} wait more than ${freshnessThreshold.toHumanString()} to reach S3: delivery is failing or falling behind.`,
    );
    this.deliveryFailedAlarm = this.alarm(
      'DeliveryFailedAlarm',
      this.deliveryStream.metric('DeliveryToS3.Success', {
        statistic: cloudwatch.Stats.MINIMUM,
        period: Duration.minutes(5),
      }),
      1,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      `Deliveries of ${this.node.path} to S3 fail: check the delivery error log and the bucket's policy and key.`,
    );
    this.readThrottledAlarm = this.alarm(
      'ReadThrottledAlarm',
      this.deliveryStream.metric('ThrottledGetRecords', {
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      }),
      0,
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      `Firehose's reads from the stream of ${this.node.path} are throttled: other readers share the shards' 2 MB/s.`,
    );
  }

  /** The ARN of the delivery stream. */
  public get deliveryStreamArn(): string {
    return this.deliveryStream.deliveryStreamArn;
  }

  /** The name of the delivery stream. */
  public get deliveryStreamName(): string {
    return this.deliveryStream.deliveryStreamName;
  }

  /** Every alarm of the delivery (the stream's own are on `stream.alarms`). */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.dataFreshnessAlarm, this.deliveryFailedAlarm, this.readThrottledAlarm];
  }

  private createBuckets(): { bucket: s3.Bucket; accessLogBucket: s3.Bucket } {
    const key = new kms.Key(this, 'BucketKey', {
      description: `Encrypts the delivery and access-log buckets of ${this.node.path}`,
      enableKeyRotation: true,
    });
    const common: s3.BucketProps = {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      ...common,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    const bucket = new s3.Bucket(this, 'Bucket', {
      ...common,
      serverAccessLogsBucket: accessLogBucket,
      serverAccessLogsPrefix: 'delivery-bucket/',
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    for (const b of [bucket, accessLogBucket]) {
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
        Validations.of(b).acknowledge({
          id: `${pack}-S3BucketReplicationEnabled`,
          reason:
            'Replication needs a second bucket, usually in another Region, which this construct does not create; pass a bucket of your own that replicates if you need it.',
        });
      }
    }
    return { bucket, accessLogBucket };
  }

  private createLogGroup(retention: logs.RetentionDays): logs.LogGroup {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'LogKey', {
      description: `Encrypts the delivery error log of ${this.node.path}`,
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    return new logs.LogGroup(this, 'DeliveryLogGroup', {
      encryptionKey: key,
      retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private deliveryStatements(
    dataPrefix: string,
    errorPrefix: string,
    logStream: logs.LogStream,
  ): iam.PolicyStatement[] {
    const stack = Stack.of(this);
    const bucketArn = this.bucket.bucketArn;
    const objectArns = [dataPrefix, errorPrefix].map((prefix) => `${bucketArn}/${staticPart(prefix)}*`);
    const statements = [
      new iam.PolicyStatement({ actions: STREAM_READ_ACTIONS, resources: [this.stream.streamArn] }),
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [bucketArn],
      }),
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: [...new Set(objectArns)],
      }),
      new iam.PolicyStatement({
        actions: ['logs:PutLogEvents'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${this.logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    ];
    if (this.stream.encryptionKey) {
      statements.push(
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.stream.encryptionKey.keyArn] }),
      );
    }
    if (this.bucket.encryptionKey) {
      statements.push(
        new iam.PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.bucket.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
            // With S3 Bucket Keys the context is the bucket's ARN; without, the object's.
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, ...new Set(objectArns)] },
          },
        }),
      );
    }
    return statements;
  }

  /**
   * Objects under a prefix can only be named with a wildcard, which AwsSolutions-IAM5 reports
   * once per resource; acknowledge exactly those resources and nothing else.
   */
  private acknowledgeObjectWildcards(policy: iam.ManagedPolicy, prefixes: string[]): void {
    const bucketArn = this.bucket.node.defaultChild
      ? `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket)}.Arn>`
      : this.bucket.bucketArn;
    for (const prefix of new Set(prefixes.map(staticPart))) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${bucketArn}/${prefix}*]`,
        reason: `Firehose names the objects it writes under ${prefix || 'the bucket root'} (timestamps, random strings), so they can only be granted with a wildcard after the prefix.`,
      });
    }
  }

  private alarm(
    id: string,
    metric: cloudwatch.Metric,
    threshold: number,
    comparisonOperator: cloudwatch.ComparisonOperator,
    description: string,
  ): cloudwatch.Alarm {
    return notifyingAlarm(this, id, {
      description,
      metric,
      threshold,
      comparisonOperator,
      alarmTopic: this.alarmTopic,
    });
  }
}

/** The part of a prefix before its first expression: the part IAM can name. */
function staticPart(prefix: string): string {
  const expression = prefix.indexOf('!{');
  return expression === -1 ? prefix : prefix.slice(0, expression);
}

function validateProps(scope: Construct, props: StreamToS3Props): void {
  validateDurationInRange(
    scope,
    'bufferingInterval',
    props.bufferingInterval,
    Duration.seconds(0),
    Duration.seconds(900),
  );
  const size = props.bufferingSize;
  if (size && !size.isUnresolved()) {
    const bytes = size.toBytes();
    const mib = bytes / (1024 * 1024);
    if (!Number.isInteger(mib) || mib < 1 || mib > 128) {
      throw invalidProp(scope, 'bufferingSize', 'must be a whole number of MiB between 1 and 128', `${bytes} bytes`);
    }
  }
  validatePrefixes(scope, props.dataOutputPrefix, props.errorOutputPrefix);
}

/**
 * Firehose's rules for custom prefixes: expressions it knows, the error-output type only in the
 * error prefix, and an error prefix with the error-output type whenever the data prefix has an expression.
 */
function validatePrefixes(scope: Construct, dataPrefix: string | undefined, errorPrefix: string | undefined): void {
  const data = dataPrefix ?? DEFAULT_DATA_PREFIX;
  const error = errorPrefix ?? DEFAULT_ERROR_PREFIX;
  const checked: Array<[string, string | undefined, boolean]> = [
    ['dataOutputPrefix', dataPrefix, false],
    ['errorOutputPrefix', errorPrefix, true],
  ];
  for (const [prop, value, isError] of checked) {
    if (value === undefined || Token.isUnresolved(value)) {
      continue;
    }
    if (value.length > PREFIX_MAX_LENGTH) {
      throw invalidProp(scope, prop, `must be at most ${PREFIX_MAX_LENGTH} characters`, `${value.length} characters`);
    }
    if (value.startsWith('/')) {
      throw invalidProp(scope, prop, 'must not start with "/" (S3 keys would begin with an empty folder)', value);
    }
    for (const [expression] of value.matchAll(/!\{[^}]*\}?/g)) {
      const known =
        /^!\{timestamp:[^}]+\}$/.test(expression) ||
        expression === '!{firehose:random-string}' ||
        (isError && expression === ERROR_OUTPUT_TYPE);
      if (!known) {
        throw invalidProp(
          scope,
          prop,
          `may use only !{timestamp:<format>} and !{firehose:random-string}${isError ? ` and ${ERROR_OUTPUT_TYPE}` : ''} expressions (Firehose rejects "${expression}")`,
          value,
        );
      }
    }
  }
  if (Token.isUnresolved(data) || Token.isUnresolved(error)) {
    return;
  }
  if (data.includes('!{') && !error.includes(ERROR_OUTPUT_TYPE)) {
    throw invalidProp(
      scope,
      'errorOutputPrefix',
      `must contain ${ERROR_OUTPUT_TYPE} when dataOutputPrefix uses expressions (a Firehose rule)`,
      error,
    );
  }
}
