import { ArnFormat, Duration, Fn, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EncryptedStream } from './encrypted-stream';
import { acknowledge, ACKNOWLEDGMENTS, wildcardResource } from './private/acknowledgments';
import { notifyingAlarm } from './private/alarms';
import { regionalServiceName } from './private/aws-names';
import { validateDuration, validateReference, validateTokenDurationUnit } from './private/encrypted-stream/values';
import { allowCloudWatchLogsToUseKey } from './private/key-policies';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  DEFAULT_DATA_PREFIX,
  DEFAULT_ERROR_PREFIX,
  staticPart,
  validateBufferingSize,
  validateLogRetention,
  validatePrefixes,
} from './private/stream-to-s3/validation';
import { invalidProp, validateEnumValue } from './private/validation';
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
   * The stream to deliver from: any `kinesis.IStream`, an EncryptedStream or an imported one
   * (`kinesis.Stream.fromStreamAttributes`). When it has an `encryptionKey`, Firehose is granted
   * `kms:Decrypt` on it.
   *
   * @default - a new EncryptedStream with its defaults, the alarm topic and the removal policy of this construct
   */
  readonly stream?: kinesis.IStream;

  /**
   * The bucket to deliver to: any `s3.IBucket`, imported ones included (`s3.Bucket.fromBucketName`,
   * `s3.Bucket.fromBucketAttributes`). When it has an `encryptionKey`, objects are written with it;
   * an imported bucket whose default encryption is a KMS key must be imported with that key.
   *
   * @default - a versioned bucket encrypted with a new customer-managed key, Block Public Access on,
   * TLS only, noncurrent versions expired after 90 days, and server access logs in a log bucket
   * with the same settings
   */
  readonly bucket?: s3.IBucket;

  /**
   * How long Firehose buffers records before it writes an object (0 to 900 seconds). A value known
   * only at deploy time must be written in seconds (`Duration.seconds(...)`).
   *
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;

  /**
   * How much Firehose buffers before it writes an object (1 to 128 MiB, whole MiB). A value known
   * only at deploy time must be written in mebibytes (`Size.mebibytes(...)`).
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
   * The key prefix of delivered objects, at most 1,024 characters (512 once Firehose has evaluated it).
   * May use `!{timestamp:<Java DateTimeFormatter pattern>}` and `!{firehose:random-string}`; when it uses
   * any expression, `errorOutputPrefix` must contain `!{firehose:error-output-type}`. A value known only
   * at deploy time is passed through as it is.
   *
   * @default 'data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/'
   */
  readonly dataOutputPrefix?: string;

  /**
   * The key prefix of records Firehose could not deliver, separated by error type: at most 1,024
   * characters (512 evaluated), and when it uses any expression it must contain
   * `!{firehose:error-output-type}`.
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

  /**
   * What happens to everything stateful this construct creates when it leaves the stack: the buckets,
   * their key, the delivery log group and its key, and the stream when none is given. CloudFormation
   * deletes a bucket only when it is empty.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const DELIVERY_LOG_STREAM = 'DestinationDelivery';
const ACCESS_LOG_PREFIX = 'delivery-bucket/';

/**
 * Firehose's buffering hints: 0 to 900 seconds and 1 to 128 MiB (BufferingHints, Amazon Data Firehose API
 * reference, https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html).
 */
const MAX_BUFFERING_INTERVAL = Duration.seconds(900);

/**
 * Firehose delivery from a Kinesis data stream into an encrypted S3 bucket.
 *
 * The delivery role has one customer-managed policy with exactly what delivery needs:
 * read this stream (and decrypt with its key), write objects under the two prefixes (and
 * encrypt with the bucket's key, through S3 only), and write its error log. Delivery errors
 * go to an encrypted log group. Alarms on data freshness, failed deliveries and throttled
 * reads from the stream.
 *
 * The stream and the bucket may be any `kinesis.IStream` and `s3.IBucket`, imported ones included.
 */
export class StreamToS3 extends Construct {
  /** The stream delivered from. */
  public readonly stream: kinesis.IStream;

  /** The bucket delivered to. */
  public readonly bucket: s3.IBucket;

  /** The bucket that receives the delivery bucket's server access logs, when this construct created the bucket. */
  public readonly accessLogBucket?: s3.Bucket;

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

  private readonly resource: firehose.CfnDeliveryStream;
  private readonly createdStream?: EncryptedStream;
  private readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: StreamToS3Props = {}) {
    super(scope, id);
    validateProps(this, props);
    this.removalPolicy = resolveRemovalPolicy(
      this,
      props.removalPolicy,
      'S3 buckets, KMS keys, log groups and Kinesis streams',
    );
    const dataPrefix = props.dataOutputPrefix ?? DEFAULT_DATA_PREFIX;
    const errorPrefix = props.errorOutputPrefix ?? DEFAULT_ERROR_PREFIX;
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(300);

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    if (props.stream) {
      this.stream = props.stream;
    } else {
      this.createdStream = new EncryptedStream(this, 'Stream', {
        alarmTopic: this.alarmTopic,
        removalPolicy: this.removalPolicy,
      });
      this.stream = this.createdStream;
    }
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
      removalPolicy: this.removalPolicy,
    });

    const stack = Stack.of(this);
    this.deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: `Reads the stream and writes the bucket for ${this.node.path}`,
      // Firehose passes the account as the external id; this keeps other accounts' delivery streams out.
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': stack.account } },
      }),
    });
    const objectArns = [...new Set([dataPrefix, errorPrefix].map((prefix) => this.objectsUnder(prefix)))];
    const deliveryPolicy = new iam.ManagedPolicy(this, 'DeliveryPolicy', {
      description: `Exactly what Firehose needs for ${this.node.path}`,
      roles: [this.deliveryRole],
      statements: this.deliveryStatements(objectArns, logStream),
    });
    for (const objects of objectArns) {
      acknowledge(
        deliveryPolicy,
        wildcardResource(
          deliveryPolicy,
          objects,
          'Firehose names the objects it writes under a prefix (timestamps, random strings), so they can only be granted with a wildcard after the prefix.',
        ),
      );
    }

    const bufferingSize = props.bufferingSize ?? Size.mebibytes(5);
    this.resource = new firehose.CfnDeliveryStream(this, 'Resource', {
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
    this.resource.node.addDependency(deliveryPolicy);
    acknowledge(this.resource, ACKNOWLEDGMENTS.firehoseWithKinesisSource);

    const freshnessThreshold = bufferingInterval.isUnresolved()
      ? Duration.minutes(15)
      : Duration.seconds(bufferingInterval.toSeconds() * 2 + 300);
    this.dataFreshnessAlarm = this.alarm(
      'DataFreshnessAlarm',
      this.metricDeliveryToS3DataFreshness({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
      freshnessThreshold.toSeconds(),
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      `Records of ${this.node.path} wait more than ${freshnessThreshold.toHumanString()} to reach S3: delivery is failing or falling behind.`,
    );
    this.deliveryFailedAlarm = this.alarm(
      'DeliveryFailedAlarm',
      this.metricDeliveryToS3Success({ statistic: cloudwatch.Stats.MINIMUM, period: Duration.minutes(5) }),
      1,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      `Deliveries of ${this.node.path} to S3 fail: check the delivery error log and the bucket's policy and key.`,
    );
    this.readThrottledAlarm = this.alarm(
      'ReadThrottledAlarm',
      this.metricThrottledGetRecords({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
      0,
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      `Firehose's reads from the stream of ${this.node.path} are throttled: other readers share the shards' 2 MB/s.`,
    );
  }

  /** The ARN of the delivery stream. */
  public get deliveryStreamArn(): string {
    return this.resource.attrArn;
  }

  /** The name of the delivery stream. */
  public get deliveryStreamName(): string {
    return this.resource.ref;
  }

  /** Every alarm of the delivery, and of the stream when this construct created it. */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.dataFreshnessAlarm,
      this.deliveryFailedAlarm,
      this.readThrottledAlarm,
      ...(this.createdStream?.alarms ?? []),
    ];
  }

  /**
   * Any metric of the delivery stream in the `AWS/Firehose` namespace, by name (Average over 5 minutes
   * unless `props` say otherwise), as `firehose.IDeliveryStream.metric` gives it.
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: this.deliveryStreamName },
      ...props,
    }).attachTo(this);
  }

  /** Age of the oldest record in Firehose not yet delivered to S3, in seconds (`DeliveryToS3.DataFreshness`). */
  public metricDeliveryToS3DataFreshness(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DeliveryToS3.DataFreshness', props);
  }

  /** Successful S3 puts over all S3 puts, 0 to 1 (`DeliveryToS3.Success`). */
  public metricDeliveryToS3Success(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DeliveryToS3.Success', props);
  }

  /** GetRecords calls of Firehose on the stream that were throttled (`ThrottledGetRecords`). */
  public metricThrottledGetRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ThrottledGetRecords', props);
  }

  private createBuckets(): { bucket: s3.Bucket; accessLogBucket: s3.Bucket } {
    const key = new kms.Key(this, 'BucketKey', {
      description: `Encrypts the delivery and access-log buckets of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: this.removalPolicy,
    });
    const common: s3.BucketProps = {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: this.removalPolicy,
    };
    const accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      ...common,
      lifecycleRules: [{ expiration: Duration.days(365), noncurrentVersionExpiration: Duration.days(30) }],
    });
    const bucket = new s3.Bucket(this, 'Bucket', {
      ...common,
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    this.deliverAccessLogs(bucket, accessLogBucket, key);
    for (const b of [bucket, accessLogBucket]) {
      acknowledge(b, ACKNOWLEDGMENTS.bucketWithoutReplication);
    }
    return { bucket, accessLogBucket };
  }

  /**
   * Server access logs of `bucket` into `accessLogBucket`, granted to the logging service principal by the
   * log bucket's policy. aws-cdk-lib's `serverAccessLogsBucket` grants it with the legacy log-delivery ACL
   * (`AccessControl: LogDeliveryWrite`, cfn-lint W3045) unless the feature flag
   * `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` is set; AWS recommends the bucket policy ("Permissions
   * for log delivery", https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html),
   * so it is written here whatever the flags say, with the statement that flag writes.
   */
  private deliverAccessLogs(bucket: s3.Bucket, accessLogBucket: s3.Bucket, key: kms.Key): void {
    (bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: accessLogBucket.bucketName,
      logFilePrefix: ACCESS_LOG_PREFIX,
    };
    const account = Stack.of(this).account;
    accessLogBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [accessLogBucket.arnForObjects(`${ACCESS_LOG_PREFIX}*`)],
        conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': account } },
      }),
    );
    // The log bucket is encrypted with the customer-managed key (the NIST, HIPAA and PCI packs require aws:kms),
    // so the logging service must be able to use the key, through S3 and for S3 objects only. The statement
    // cannot name the log bucket: the bucket already refers to the key, and the reference back would be a
    // dependency cycle; the log bucket's policy decides which objects the service may write at all.
    const stack = Stack.of(this);
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:ViaService': regionalServiceName(this, 's3') },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': `arn:${stack.partition}:s3:::*` },
        },
      }),
    );
  }

  private createLogGroup(retention: logs.RetentionDays): logs.LogGroup {
    const key = new kms.Key(this, 'LogKey', {
      description: `Encrypts the delivery error log of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: this.removalPolicy,
    });
    // The log group's name is left to CloudFormation, so that a retained log group never blocks a new
    // deployment of the stack; the key statement cannot name it, and the key serves this log group only.
    allowCloudWatchLogsToUseKey(key, '*');
    return new logs.LogGroup(this, 'DeliveryLogGroup', {
      encryptionKey: key,
      retention,
      removalPolicy: this.removalPolicy,
    });
  }

  /**
   * The objects under a prefix, as IAM can name them: the bucket, the part of the prefix before its
   * first expression, and a wildcard. A prefix known only at deploy time is cut at its first `!` there.
   */
  private objectsUnder(prefix: string): string {
    const named = Token.isUnresolved(prefix) ? Fn.select(0, Fn.split('!', prefix)) : staticPart(prefix);
    return `${this.bucket.bucketArn}/${named}*`;
  }

  private deliveryStatements(objectArns: string[], logStream: logs.LogStream): iam.PolicyStatement[] {
    const stack = Stack.of(this);
    const bucketArn = this.bucket.bucketArn;
    const statements = [
      new iam.PolicyStatement({ actions: STREAM_READ_ACTIONS, resources: [this.stream.streamArn] }),
      new iam.PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        resources: [bucketArn],
      }),
      new iam.PolicyStatement({
        actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        resources: objectArns,
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
            StringEquals: { 'kms:ViaService': regionalServiceName(this, 's3') },
            // With S3 Bucket Keys the context is the bucket's ARN; without, the object's.
            StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, ...objectArns] },
          },
        }),
      );
    }
    return statements;
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

function validateProps(scope: Construct, props: StreamToS3Props): void {
  if (typeof props !== 'object' || props === null) {
    throw invalidProp(scope, 'props', 'must be StreamToS3Props', props);
  }
  validateReference(scope, 'stream', props.stream, 'streamArn', 'a kinesis.IStream');
  validateReference(scope, 'bucket', props.bucket, 'bucketArn', 'an s3.IBucket');
  validateReference(scope, 'alarmTopic', props.alarmTopic, 'topicArn', 'an sns.ITopic');
  // Firehose takes IntervalInSeconds; a deploy-time amount in another unit cannot be converted.
  validateTokenDurationUnit(
    scope,
    'bufferingInterval',
    props.bufferingInterval,
    'seconds',
    'Firehose takes IntervalInSeconds',
  );
  validateDuration(scope, 'bufferingInterval', props.bufferingInterval, Duration.seconds(0), MAX_BUFFERING_INTERVAL);
  validateBufferingSize(scope, 'bufferingSize', props.bufferingSize);
  validateEnumValue(scope, 'compression', props.compression, 'StreamToS3Compression', StreamToS3Compression);
  validateLogRetention(scope, 'logRetention', props.logRetention);
  validatePrefixes(scope, props.dataOutputPrefix, props.errorOutputPrefix);
}
