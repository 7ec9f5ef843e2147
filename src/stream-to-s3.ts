import { Annotations, ArnFormat, Duration, Fn, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { EncryptedStream } from './encrypted-stream';
import { acknowledge, ACKNOWLEDGMENTS, wildcardResource } from './private/acknowledgments';
import { notifyingAlarm } from './private/alarms';
import { regionalServiceName } from './private/aws-names';
import { addStreamToS3Widgets } from './private/dashboard/stream-to-s3';
import { validateGrantee, validateReference, writtenAs } from './private/encrypted-stream/values';
import { allowCloudWatchLogsToUseKey } from './private/key-policies';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  DYNAMIC_PARTITIONING_MIN_INTERVAL,
  FormatConversion,
  lambdaProcessor,
  LARGE_BUFFER_DEFAULT_MIB,
  LARGE_BUFFER_MIN_MIB,
  metadataExtractionProcessor,
  PROCESSOR_DEFAULT_BUFFER,
  PROCESSOR_DEFAULT_INTERVAL,
  PROCESSOR_MAX_INVOCATION_SECONDS,
  RETRY_DURATION_DEFAULT,
  RETRY_DURATION_MAX,
  validateFunction,
  validateInputFormat,
  validateOutputFormat,
  validatePartitionKeys,
  validateProcessorBufferSize,
  validateProcessorInterval,
  validateSchema,
  validateSeconds,
  validateStreamEncryption,
  warnOnLongProcessorTimeout,
} from './private/stream-to-s3/features';
import { resolveSchema, ResolvedSchema, schemaStatement } from './private/stream-to-s3/glue';
import {
  DEFAULT_ERROR_PREFIX,
  defaultDataPrefix,
  staticPart,
  usesLambdaPartitionKeys,
  validateBufferingSize,
  validateLogRetention,
  validatePrefixes,
} from './private/stream-to-s3/validation';
import { invalidProp, methodArgument, validateEnumValue } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * Where the records come from.
 */
export enum StreamToS3Source {
  /** A Kinesis data stream that Firehose reads: the `stream` prop, or one this construct creates. */
  KINESIS_STREAM = 'KinesisStreamAsSource',
  /**
   * Producers write to the delivery stream themselves (`PutRecord` and `PutRecordBatch`, granted with
   * `grantPutRecords`); there is no stream.
   */
  DIRECT_PUT = 'DirectPut',
}

/**
 * A Glue table of yours that holds the schema records are converted with.
 */
export interface StreamToS3GlueTable {
  /**
   * The Glue database of the table.
   */
  readonly databaseName: string;

  /**
   * The name of the table.
   */
  readonly tableName: string;

  /**
   * The ID of the Glue Data Catalog that holds the table: an account ID. The delivery role must be
   * allowed to read the table there (a catalog of another account grants it through its resource policy).
   *
   * @default - the catalog of the stack's account
   */
  readonly catalogId?: string;

  /**
   * The region of the catalog.
   *
   * @default - the stack's region
   */
  readonly region?: string;

  /**
   * The version of the table to use, or `LATEST`: Firehose then follows changes to the table.
   *
   * @default 'LATEST'
   */
  readonly versionId?: string;
}

/**
 * A column of a table this construct creates.
 */
export interface StreamToS3Column {
  /**
   * The name of the column: lowercase, 1 to 255 bytes, as Glue and Athena name columns. It matches the
   * JSON key of the records (the OpenX deserializer compares keys in lowercase by default).
   */
  readonly name: string;

  /**
   * The Hive data type of the column (Glue's `Column.Type`), in lowercase: `string`, `bigint`, `double`,
   * `boolean`, `timestamp`, `decimal(10,2)`, `varchar(64)`, `array<string>`, `map<string,int>`,
   * `struct<lat:double,lon:double>`, ...
   */
  readonly dataType: string;

  /**
   * What the column holds.
   *
   * @default - no comment
   */
  readonly comment?: string;
}

/**
 * Names for the table (and database) a schema from columns creates.
 */
export interface StreamToS3ColumnsOptions {
  /**
   * An existing Glue database of the stack's account and region to create the table in.
   *
   * @default - a database created for this table
   */
  readonly databaseName?: string;

  /**
   * The name of the table.
   *
   * @default - a name derived from the construct path, unique in the stack
   */
  readonly tableName?: string;
}

/**
 * The schema Firehose converts records to Parquet or ORC with: a Glue table of yours, or one this construct
 * creates from a list of columns.
 *
 * Firehose reads the schema from a table in the AWS Glue Data Catalog, with the delivery role, which must
 * be in the delivery stream's account ("Convert input data format in Amazon Data Firehose").
 */
export class StreamToS3Schema {
  /**
   * The schema of a Glue table of yours. The delivery role is granted `glue:GetTable`,
   * `glue:GetTableVersion` and `glue:GetTableVersions` on the catalog, the database and the table.
   */
  public static fromGlueTable(table: StreamToS3GlueTable): StreamToS3Schema {
    return new StreamToS3Schema(table, undefined, undefined);
  }

  /**
   * A Glue table this construct creates from the columns, in a database it creates (or one you name), whose
   * storage descriptor matches the objects Firehose writes: Athena can query them with the same table.
   */
  public static fromColumns(columns: StreamToS3Column[], options: StreamToS3ColumnsOptions = {}): StreamToS3Schema {
    return new StreamToS3Schema(undefined, columns, options);
  }

  /** The table given by name, when the schema comes from a table of yours. */
  public readonly glueTable?: StreamToS3GlueTable;

  /** The columns of the table this construct creates, when the schema comes from columns. */
  public readonly columns?: StreamToS3Column[];

  /** The names of the table (and database) this construct creates, when the schema comes from columns. */
  public readonly columnsOptions?: StreamToS3ColumnsOptions;

  private constructor(
    glueTable: StreamToS3GlueTable | undefined,
    columns: StreamToS3Column[] | undefined,
    columnsOptions: StreamToS3ColumnsOptions | undefined,
  ) {
    this.glueTable = glueTable;
    this.columns = columns;
    this.columnsOptions = columnsOptions;
  }
}

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
   * Where the records come from: a Kinesis stream Firehose reads, or producers that write to the delivery
   * stream directly (`grantPutRecords`).
   *
   * @default StreamToS3Source.KINESIS_STREAM
   */
  readonly source?: StreamToS3Source;

  /**
   * The stream to deliver from: any `kinesis.IStream`, an EncryptedStream or an imported one
   * (`kinesis.Stream.fromStreamAttributes`). When it has an `encryptionKey`, Firehose is granted
   * `kms:Decrypt` on it. Only with `source` KINESIS_STREAM.
   *
   * @default - a new EncryptedStream with its defaults, the alarm topic and the removal policy of this
   * construct; none with source DIRECT_PUT
   */
  readonly stream?: kinesis.IStream;

  /**
   * Server-side encryption of the records Firehose holds, with source DIRECT_PUT (with a Kinesis source the
   * stream encrypts them, and Firehose refuses this setting). With a customer-managed key, Firehose creates a
   * KMS grant for itself when the delivery stream is created; producers need no key permission.
   *
   * @default - with source DIRECT_PUT, a new customer-managed key with rotation; none with a Kinesis source
   */
  readonly deliveryStreamEncryption?: firehose.StreamEncryption;

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
   * How long Firehose buffers records before it writes an object (0 to 900 seconds; at least 60 with
   * dynamic partitioning, for which zero buffering is not available). A value known only at deploy time must
   * be written in seconds (`Duration.seconds(...)`).
   *
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;

  /**
   * How much Firehose buffers before it writes an object (1 to 128 MiB, whole MiB; at least 64 MiB with
   * record format conversion or dynamic partitioning). A value known only at deploy time must be written in
   * mebibytes (`Size.mebibytes(...)`).
   *
   * @default - Size.mebibytes(5); Size.mebibytes(128) with record format conversion or dynamic partitioning
   */
  readonly bufferingSize?: Size;

  /**
   * How objects are compressed. With record format conversion the serializer compresses (set it in the
   * output format, e.g. `new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.GZIP })`),
   * and this may only be UNCOMPRESSED.
   *
   * @default - StreamToS3Compression.GZIP; UNCOMPRESSED with record format conversion
   */
  readonly compression?: StreamToS3Compression;

  /**
   * A Lambda function that transforms records before they are delivered (Firehose's data transformation).
   * Firehose invokes it synchronously with a batch of up to 3 MB and waits for up to 5 minutes: a longer
   * function timeout gets a warning. The delivery role may invoke exactly this function; nothing is added
   * to the function's own role. Records it fails go to the error prefix as `processing-failed`.
   *
   * @default - records are delivered as they arrive
   */
  readonly processor?: lambda.IFunction;

  /**
   * How long Firehose buffers records before it invokes the processor (0 to 900 seconds).
   *
   * @default Duration.seconds(60)
   */
  readonly processorBufferingInterval?: Duration;

  /**
   * How much Firehose buffers before it invokes the processor (0.2 to 3 MiB, decimals allowed: a batch
   * must fit Lambda's 6 MB synchronous payload, and so must the function's answer).
   *
   * @default Size.mebibytes(1)
   */
  readonly processorBufferingSize?: Size;

  /**
   * Dynamic partitioning by fields of the (JSON) records: each partition key and the jq 1.6 expression that
   * reads it, e.g. `{ truck: '.truckId' }`. `dataOutputPrefix` must use every key as
   * `!{partitionKeyFromQuery:<key>}`. Dynamic partitioning is also on when `dataOutputPrefix` uses
   * `!{partitionKeyFromLambda:<key>}` keys the processor returns. Firehose keeps at most 500 partitions
   * active per delivery stream by default and sends the records of further partitions to the error prefix
   * (`partitionCountExceededAlarm` fires). It can only be turned on when the delivery stream is created.
   *
   * @default - no dynamic partitioning by record fields
   */
  readonly dynamicPartitionKeys?: Record<string, string>;

  /**
   * How long Firehose retries delivering a partition to S3 before it writes it to the error prefix
   * (0 to 7,200 seconds), with dynamic partitioning.
   *
   * @default Duration.seconds(300)
   */
  readonly dynamicPartitioningRetryDuration?: Duration;

  /**
   * Converts JSON records to Parquet or ORC before they are written: `firehose.OutputFormat.PARQUET`,
   * `firehose.OutputFormat.ORC`, or a `firehose.ParquetOutputFormat` / `firehose.OrcOutputFormat` with its
   * own settings (compression: Parquet UNCOMPRESSED, GZIP or SNAPPY; ORC NONE, ZLIB or SNAPPY). Needs
   * `schema`. Firehose then writes to S3 only, and the S3 compression stays UNCOMPRESSED.
   *
   * @default - records are written in the format they arrive in
   */
  readonly outputFormat?: firehose.IOutputFormat;

  /**
   * How Firehose reads the JSON records it converts: `firehose.InputFormat.OPENX_JSON` or
   * `firehose.InputFormat.HIVE_JSON` (or either with its own settings). Only with `outputFormat`.
   *
   * @default firehose.InputFormat.OPENX_JSON
   */
  readonly inputFormat?: firehose.IInputFormat;

  /**
   * The Glue table whose columns records are converted with. Only with `outputFormat`, which needs it.
   *
   * @default - no schema
   */
  readonly schema?: StreamToS3Schema;

  /**
   * The key prefix of delivered objects, at most 1,024 characters (512 once Firehose has evaluated it).
   * May use `!{timestamp:<Java DateTimeFormatter pattern>}` and `!{firehose:random-string}`, and with dynamic
   * partitioning `!{partitionKeyFromQuery:<key>}` (keys of `dynamicPartitionKeys`) and
   * `!{partitionKeyFromLambda:<key>}` (keys the processor returns); when it uses any expression,
   * `errorOutputPrefix` must contain `!{firehose:error-output-type}`. A value known only at deploy time is
   * passed through as it is.
   *
   * @default - 'data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
   * with `dynamicPartitionKeys`, a `<key>=!{partitionKeyFromQuery:<key>}/` folder per key after `data/`
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
   * their key, the delivery log group and its key, the stream when none is given, the delivery stream's key
   * (direct PUT) and the Glue database and table of a schema from columns. CloudFormation deletes a bucket
   * only when it is empty.
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

const DELIVERY_LOG_STREAM = 'DestinationDelivery';
const ACCESS_LOG_PREFIX = 'delivery-bucket/';

/**
 * Firehose's buffering hints: 0 to 900 seconds and 1 to 128 MiB (BufferingHints, Amazon Data Firehose API
 * reference, https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html).
 */
const MAX_BUFFERING_INTERVAL = Duration.seconds(900);

/**
 * Firehose delivery into an encrypted S3 bucket, from a Kinesis data stream or from producers that write to
 * the delivery stream directly, optionally transformed by a Lambda function, converted to Parquet or ORC, and
 * partitioned by record fields.
 *
 * The delivery role has one customer-managed policy with exactly what delivery needs: read this stream (and
 * decrypt with its key), write objects under the two prefixes (and encrypt with the bucket's key, through S3
 * only), write its error log, invoke the processor and read the schema's table. Delivery errors go to an
 * encrypted log group. Alarms on data freshness, failed deliveries, throttling of the source, and on each
 * feature in use (failed processing, slow processing, failed conversion, too many partitions).
 *
 * The stream and the bucket may be any `kinesis.IStream` and `s3.IBucket`, imported ones included.
 *
 * The delivery stream is written with the L1 `CfnDeliveryStream` (id `Resource`), not aws-cdk-lib's
 * `DeliveryStream` L2: the L2 would move it to `<id>/<L2 id>/Resource`, replacing the delivery stream of every
 * deployed StreamToS3 (a new name, a Kinesis source read again) and changing `node.defaultChild`; its
 * `S3Bucket` destination grants `bucket.grantReadWrite` (`s3:DeleteObject*`, `s3:GetObject*`, `s3:List*` on the
 * whole bucket) and the key's `grantEncryptDecrypt` through an inline policy, where this construct grants
 * exactly two prefixes through S3 only; its record format conversion takes a schema only from a `glue.CfnTable`
 * of the app, not a table by name; and its `connections` add a CIDR-block mapping that an env-agnostic stack
 * renders unused (cfn-lint W7001). What the L2 does well is used: `grantPutRecords` is its
 * `DeliveryStreamGrants`, encryption choices are its `StreamEncryption`, Parquet, ORC and JSON settings are its
 * `IOutputFormat` and `IInputFormat`, and inline partitioning is its `MetadataExtractionProcessor`.
 */
export class StreamToS3 extends Construct {
  /** Where the records come from. */
  public readonly source: StreamToS3Source;

  /** The stream delivered from, when the source is a Kinesis stream; undefined with direct PUT. */
  public readonly sourceStream?: kinesis.IStream;

  /** The bucket delivered to. */
  public readonly bucket: s3.IBucket;

  /** The bucket that receives the delivery bucket's server access logs, when this construct created the bucket. */
  public readonly accessLogBucket?: s3.Bucket;

  /** The role Firehose assumes to read the stream, invoke the processor, read the schema and write the bucket. */
  public readonly deliveryRole: iam.Role;

  /** The log group delivery errors are written to. */
  public readonly logGroup: logs.LogGroup;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** The key of the delivery stream's server-side encryption, with direct PUT and a customer-managed key. */
  public readonly deliveryStreamEncryptionKey?: kms.IKey;

  /** The function that transforms records, when there is one. */
  public readonly processor?: lambda.IFunction;

  /** The Glue database of the schema records are converted with, with record format conversion. */
  public readonly schemaDatabaseName?: string;

  /** The Glue table of the schema records are converted with, with record format conversion. */
  public readonly schemaTableName?: string;

  /** Alarms when the oldest record not yet in S3 is older than twice the buffering interval plus five minutes. */
  public readonly dataFreshnessAlarm: cloudwatch.Alarm;

  /** Alarms when deliveries to S3 fail (`DeliveryToS3.Success` below 1). */
  public readonly deliveryFailedAlarm: cloudwatch.Alarm;

  /** Alarms when producers' records are throttled (`ThrottledRecords`), with direct PUT. */
  public readonly throttledRecordsAlarm?: cloudwatch.Alarm;

  /** Alarms when invocations of the processor fail (`ExecuteProcessing.Success` below 1). */
  public readonly processingFailedAlarm?: cloudwatch.Alarm;

  /**
   * Alarms when an invocation of the processor takes more than 80% of the time it may take (its timeout, at
   * most the 5 minutes Firehose waits), `ExecuteProcessing.Duration`.
   */
  public readonly processingDurationAlarm?: cloudwatch.Alarm;

  /** Alarms when records fail record format conversion (`FailedConversion.Records`). */
  public readonly conversionFailedAlarm?: cloudwatch.Alarm;

  /**
   * Alarms when dynamic partitioning reaches the active partition limit (`PartitionCountExceeded`): records
   * of further partitions go to the error prefix.
   */
  public readonly partitionCountExceededAlarm?: cloudwatch.Alarm;

  private readonly resource: firehose.CfnDeliveryStream;
  private readonly createdStream?: EncryptedStream;
  private readonly removalPolicy: RemovalPolicy;
  private readonly _readThrottledAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: StreamToS3Props = {}) {
    super(scope, id);
    const features = validateProps(this, props);
    this.removalPolicy = resolveRemovalPolicy(
      this,
      props.removalPolicy,
      'S3 buckets, KMS keys, log groups, Kinesis streams and Glue tables',
    );
    this.source = props.source ?? StreamToS3Source.KINESIS_STREAM;
    const directPut = this.source === StreamToS3Source.DIRECT_PUT;
    const dataPrefix = props.dataOutputPrefix ?? defaultDataPrefix(features.queryKeys);
    const errorPrefix = props.errorOutputPrefix ?? DEFAULT_ERROR_PREFIX;
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(300);

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    if (props.stream) {
      this.sourceStream = props.stream;
    } else if (!directPut) {
      this.createdStream = new EncryptedStream(this, 'Stream', {
        alarmTopic: this.alarmTopic,
        removalPolicy: this.removalPolicy,
        // Its own group on the dashboard, unless this construct has none.
        dashboard: props.dashboard === false ? false : undefined,
      });
      this.sourceStream = this.createdStream;
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
      description: `${directPut ? 'Writes' : 'Reads the stream and writes'} the bucket for ${this.node.path}`,
      // Firehose passes the account as the external id; this keeps other accounts' delivery streams out.
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'sts:ExternalId': stack.account } },
      }),
    });
    this.processor = props.processor;
    const processorTimeout = props.processor ? warnOnLongProcessorTimeout(this, props.processor) : undefined;

    const schema =
      props.schema && features.conversion
        ? resolveSchema(this, props.schema, {
            kind: features.conversion.kind,
            location: `s3://${this.bucket.bucketName}/${tableFolder(dataPrefix)}`,
            removalPolicy: this.removalPolicy,
          })
        : undefined;
    this.schemaDatabaseName = schema?.databaseName;
    this.schemaTableName = schema?.tableName;

    const objectArns = [...new Set([dataPrefix, errorPrefix].map((prefix) => this.objectsUnder(prefix)))];
    const deliveryPolicy = new iam.ManagedPolicy(this, 'DeliveryPolicy', {
      description: `Exactly what Firehose needs for ${this.node.path}`,
      roles: [this.deliveryRole],
      statements: this.deliveryStatements(objectArns, logStream, schema),
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

    const dynamicPartitioning = features.queryKeys !== undefined || features.lambdaPartitionKeys;
    const largeBuffer = dynamicPartitioning || features.conversion !== undefined;
    const bufferingSize = props.bufferingSize ?? Size.mebibytes(largeBuffer ? LARGE_BUFFER_DEFAULT_MIB : 5);
    const encryption = directPut ? this.streamEncryption(props.deliveryStreamEncryption) : undefined;
    this.deliveryStreamEncryptionKey = encryption?.key;
    this.resource = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamType: this.source,
      kinesisStreamSourceConfiguration: this.sourceStream
        ? { kinesisStreamArn: this.sourceStream.streamArn, roleArn: this.deliveryRole.roleArn }
        : undefined,
      deliveryStreamEncryptionConfigurationInput: encryption?.configuration,
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: this.deliveryRole.roleArn,
        prefix: dataPrefix,
        errorOutputPrefix: errorPrefix,
        bufferingHints: {
          intervalInSeconds: bufferingInterval.toSeconds(),
          sizeInMBs: bufferingSize.toMebibytes(),
        },
        compressionFormat:
          props.compression ?? (features.conversion ? StreamToS3Compression.UNCOMPRESSED : StreamToS3Compression.GZIP),
        encryptionConfiguration: this.bucket.encryptionKey
          ? { kmsEncryptionConfig: { awskmsKeyArn: this.bucket.encryptionKey.keyArn } }
          : undefined,
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
        processingConfiguration: this.processingConfiguration(props, dataPrefix),
        dynamicPartitioningConfiguration: dynamicPartitioning
          ? {
              enabled: true,
              retryOptions: {
                durationInSeconds: (props.dynamicPartitioningRetryDuration ?? RETRY_DURATION_DEFAULT).toSeconds(),
              },
            }
          : undefined,
        dataFormatConversionConfiguration:
          features.conversion && schema ? this.formatConversion(features.conversion, schema) : undefined,
      },
    });
    // Firehose checks the role's permissions (and reads the schema's table) when the delivery stream is created.
    this.resource.node.addDependency(deliveryPolicy);
    if (schema?.dependable) {
      this.resource.node.addDependency(schema.dependable);
    }
    if (!directPut) {
      acknowledge(this.resource, ACKNOWLEDGMENTS.firehoseWithKinesisSource);
    }

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
    if (directPut) {
      this.throttledRecordsAlarm = this.alarm(
        'ThrottledRecordsAlarm',
        this.metricThrottledRecords({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        0,
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        `Producers' records to ${this.node.path} are throttled: they exceed the delivery stream's records, requests or bytes per second; retry them, or ask for a higher quota.`,
      );
    } else {
      this._readThrottledAlarm = this.alarm(
        'ReadThrottledAlarm',
        this.metricThrottledGetRecords({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        0,
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        `Firehose's reads from the stream of ${this.node.path} are throttled: other readers share the shards' 2 MB/s.`,
      );
    }
    if (props.processor) {
      this.processingFailedAlarm = this.alarm(
        'ProcessingFailedAlarm',
        this.metricExecuteProcessingSuccess({ statistic: cloudwatch.Stats.MINIMUM, period: Duration.minutes(5) }),
        1,
        cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        `Invocations of the processor of ${this.node.path} fail: its records go to the error prefix (processing-failed); check the function's errors and throttles.`,
      );
      const allowedSeconds = Math.min(
        processorTimeout ?? PROCESSOR_MAX_INVOCATION_SECONDS,
        PROCESSOR_MAX_INVOCATION_SECONDS,
      );
      this.processingDurationAlarm = this.alarm(
        'ProcessingDurationAlarm',
        this.metricExecuteProcessingDuration({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
        Math.round(allowedSeconds * 1000 * 0.8),
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        `An invocation of the processor of ${this.node.path} took more than 80% of the ${allowedSeconds} seconds it may take: lower processorBufferingSize or speed the function up before batches time out.`,
      );
    }
    if (features.conversion) {
      this.conversionFailedAlarm = this.alarm(
        'ConversionFailedAlarm',
        this.metricFailedConversionRecords({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
        0,
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        `Records of ${this.node.path} fail conversion to ${features.conversion.kind === 'parquet' ? 'Parquet' : 'ORC'}: they go to the error prefix (format-conversion-failed); compare them with the schema's table.`,
      );
    }
    if (dynamicPartitioning) {
      this.partitionCountExceededAlarm = this.alarm(
        'PartitionCountExceededAlarm',
        this.metricPartitionCountExceeded({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
        0,
        cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        `${this.node.path} has more active partitions than Firehose allows (500 by default): records of further partitions go to the error prefix; use fewer partition key values, a shorter buffering interval, or ask for a higher quota.`,
      );
    }

    addStreamToS3Widgets(this, props.dashboard);
  }

  /**
   * The stream delivered from. Only with source KINESIS_STREAM: with direct PUT there is no stream, and
   * reading this throws; `sourceStream` is undefined instead.
   */
  public get stream(): kinesis.IStream {
    if (this.sourceStream === undefined) {
      throw invalidProp(
        this,
        'stream',
        'is available only with source KINESIS_STREAM: with direct PUT there is no stream (sourceStream is undefined; producers are granted with grantPutRecords)',
        'source DIRECT_PUT',
      );
    }
    return this.sourceStream;
  }

  /**
   * Alarms when Firehose's reads from the stream are throttled (`ThrottledGetRecords`). Only with source
   * KINESIS_STREAM: with direct PUT, reading this throws; `throttledRecordsAlarm` alarms instead.
   */
  public get readThrottledAlarm(): cloudwatch.Alarm {
    if (this._readThrottledAlarm === undefined) {
      throw invalidProp(
        this,
        'readThrottledAlarm',
        'is available only with source KINESIS_STREAM: with direct PUT, throttledRecordsAlarm watches throttling',
        'source DIRECT_PUT',
      );
    }
    return this._readThrottledAlarm;
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
      this._readThrottledAlarm,
      this.throttledRecordsAlarm,
      this.processingFailedAlarm,
      this.processingDurationAlarm,
      this.conversionFailedAlarm,
      this.partitionCountExceededAlarm,
      ...(this.createdStream?.alarms ?? []),
    ].filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined);
  }

  /**
   * Lets producers write records to the delivery stream (`firehose:PutRecord`, `firehose:PutRecordBatch`),
   * with aws-cdk-lib's own `DeliveryStreamGrants`. A record is at most 1,000 KiB, a batch at most 500 records
   * or 4 MiB. Producers need no key permission: Firehose encrypts with its own grant on the key. Only with
   * source DIRECT_PUT: Firehose refuses PutRecord on a delivery stream that reads a Kinesis stream, whose
   * producers write to the stream instead (`stream.grantWrite`).
   */
  public grantPutRecords(grantee: iam.IGrantable): iam.Grant {
    validateGrantee(this, methodArgument('grantPutRecords', 'grantee'), grantee);
    if (this.source !== StreamToS3Source.DIRECT_PUT) {
      throw invalidProp(
        this,
        methodArgument('grantPutRecords', 'grantee'),
        'may be granted only with source DIRECT_PUT: this delivery stream reads a Kinesis stream, and Firehose refuses PutRecord on it; grant the producer the stream instead (stream.grantWrite(...))',
        describeGrantee(grantee),
      );
    }
    return firehose.DeliveryStreamGrants.fromDeliveryStream(this.resource).putRecords(grantee);
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

  /** Records of producers throttled because they exceeded the delivery stream's limits (`ThrottledRecords`). */
  public metricThrottledRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ThrottledRecords', props);
  }

  /** Records ingested into the delivery stream (`IncomingRecords`). */
  public metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('IncomingRecords', props);
  }

  /** Successful processor invocations over all invocations, 0 to 1 (`ExecuteProcessing.Success`). */
  public metricExecuteProcessingSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecuteProcessing.Success', props);
  }

  /** How long each processor invocation takes, in milliseconds (`ExecuteProcessing.Duration`). */
  public metricExecuteProcessingDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecuteProcessing.Duration', props);
  }

  /** Records that failed record format conversion (`FailedConversion.Records`). */
  public metricFailedConversionRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FailedConversion.Records', props);
  }

  /** 1 while dynamic partitioning exceeds the active partition limit, 0 otherwise (`PartitionCountExceeded`). */
  public metricPartitionCountExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('PartitionCountExceeded', props);
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

  private deliveryStatements(
    objectArns: string[],
    logStream: logs.LogStream,
    schema: ResolvedSchema | undefined,
  ): iam.PolicyStatement[] {
    const stack = Stack.of(this);
    const bucketArn = this.bucket.bucketArn;
    const statements = [
      ...(this.sourceStream
        ? [new iam.PolicyStatement({ actions: STREAM_READ_ACTIONS, resources: [this.sourceStream.streamArn] })]
        : []),
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
    if (this.sourceStream?.encryptionKey) {
      statements.push(
        new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.sourceStream.encryptionKey.keyArn] }),
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
    if (this.processor) {
      // The permissions Firehose's guide lists for data transformation ("Manage IAM roles through Amazon Data
      // Firehose console", https://docs.aws.amazon.com/firehose/latest/dev/console-managed-roles.html), on this
      // function only.
      statements.push(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
          resources: [this.processor.functionArn],
        }),
      );
    }
    if (schema) {
      statements.push(schemaStatement(schema));
    }
    return statements;
  }

  /**
   * Server-side encryption of a direct-PUT delivery stream: the key given, a key created here when the choice
   * is a customer-managed key without one (the default), or the AWS-owned key.
   */
  private streamEncryption(choice: firehose.StreamEncryption | undefined): {
    configuration?: firehose.CfnDeliveryStream.DeliveryStreamEncryptionConfigurationInputProperty;
    key?: kms.IKey;
  } {
    const type = choice?.type ?? firehose.StreamEncryptionType.CUSTOMER_MANAGED;
    if (type === firehose.StreamEncryptionType.UNENCRYPTED) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:delivery-stream-unencrypted',
        `The delivery stream of ${this.node.path} holds records unencrypted until they reach S3 (deliveryStreamEncryption is StreamEncryption.unencrypted()); AwsSolutions-KDF1 reports it.`,
      );
      return {};
    }
    if (type === firehose.StreamEncryptionType.AWS_OWNED) {
      return { configuration: { keyType: 'AWS_OWNED_CMK' } };
    }
    const key =
      choice?.encryptionKey ??
      new kms.Key(this, 'DeliveryStreamKey', {
        description: `Encrypts the records the delivery stream of ${this.node.path} holds`,
        enableKeyRotation: true,
        removalPolicy: this.removalPolicy,
      });
    return { configuration: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: key.keyArn }, key };
  }

  /** The processor and the inline partitioning query, in the order Firehose applies them. */
  private processingConfiguration(
    props: StreamToS3Props,
    dataPrefix: string,
  ): firehose.CfnDeliveryStream.ProcessingConfigurationProperty | undefined {
    const processors: firehose.CfnDeliveryStream.ProcessorProperty[] = [];
    if (props.processor) {
      processors.push(
        lambdaProcessor(
          this.deliveryRole.roleArn,
          props.processor,
          props.processorBufferingInterval ?? PROCESSOR_DEFAULT_INTERVAL,
          props.processorBufferingSize ?? PROCESSOR_DEFAULT_BUFFER,
        ),
      );
    }
    if (props.dynamicPartitionKeys) {
      // An immutable view of the role: whatever aws-cdk-lib's processor would grant, the managed policy grants.
      processors.push(
        metadataExtractionProcessor(
          this,
          props.dynamicPartitionKeys,
          this.deliveryRole.withoutPolicyUpdates(),
          dataPrefix,
        ),
      );
    }
    return processors.length > 0 ? { enabled: true, processors } : undefined;
  }

  private formatConversion(
    conversion: FormatConversion,
    schema: ResolvedSchema,
  ): firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty {
    return {
      enabled: true,
      inputFormatConfiguration: conversion.input,
      outputFormatConfiguration: conversion.output,
      schemaConfiguration: {
        roleArn: this.deliveryRole.roleArn,
        catalogId: schema.catalogId,
        region: schema.region,
        databaseName: schema.databaseName,
        tableName: schema.tableName,
        versionId: schema.versionId,
      },
    };
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

/**
 * The folder Athena and Glue read the converted objects from: the data prefix up to the last "/" before its
 * first expression (`data/year=!{...}` is read from `data/`). A prefix known only at deploy time is cut at its
 * first "!".
 */
function tableFolder(dataPrefix: string): string {
  if (Token.isUnresolved(dataPrefix)) {
    return Fn.select(0, Fn.split('!', dataPrefix));
  }
  const fixed = staticPart(dataPrefix);
  return fixed.slice(0, fixed.lastIndexOf('/') + 1);
}

/** How a grantee is named in an error: its principal, not the object. */
function describeGrantee(grantee: iam.IGrantable): string {
  return grantee.grantPrincipal.toString();
}

/** What the validated props turn on. */
interface Features {
  /** The keys of `dynamicPartitionKeys`. */
  readonly queryKeys?: string[];
  /** Whether the data prefix uses `!{partitionKeyFromLambda:...}` (dynamic partitioning by the processor). */
  readonly lambdaPartitionKeys: boolean;
  /** The checked record format conversion. */
  readonly conversion?: FormatConversion;
}

function validateProps(scope: Construct, props: StreamToS3Props): Features {
  if (typeof props !== 'object' || props === null) {
    throw invalidProp(scope, 'props', 'must be StreamToS3Props', props);
  }
  validateEnumValue(scope, 'source', props.source, 'StreamToS3Source', StreamToS3Source);
  const directPut = props.source === StreamToS3Source.DIRECT_PUT;
  validateReference(scope, 'stream', props.stream, 'streamArn', 'a kinesis.IStream');
  if (directPut && props.stream !== undefined) {
    throw invalidProp(
      scope,
      'stream',
      'may be given only with source KINESIS_STREAM (the source is DIRECT_PUT: producers write to the delivery stream; omit stream, or omit source)',
      `the stream ${props.stream.node?.path ?? props.stream.streamArn}`,
    );
  }
  validateStreamEncryption(scope, 'deliveryStreamEncryption', props.deliveryStreamEncryption, directPut);
  validateReference(scope, 'bucket', props.bucket, 'bucketArn', 'an s3.IBucket');
  validateReference(scope, 'alarmTopic', props.alarmTopic, 'topicArn', 'an sns.ITopic');

  validateFunction(scope, 'processor', props.processor);
  validateProcessorInterval(scope, 'processorBufferingInterval', props.processorBufferingInterval);
  validateProcessorBufferSize(scope, 'processorBufferingSize', props.processorBufferingSize);
  for (const [prop, value] of [
    ['processorBufferingInterval', props.processorBufferingInterval],
    ['processorBufferingSize', props.processorBufferingSize],
  ] as const) {
    if (value !== undefined && props.processor === undefined) {
      throw invalidProp(
        scope,
        prop,
        'may be set only with a processor: give processor too, or omit it',
        writtenAs(scope, value),
      );
    }
  }

  const queryKeys = validatePartitionKeys(scope, 'dynamicPartitionKeys', props.dynamicPartitionKeys);
  const lambdaPartitionKeys = usesLambdaPartitionKeys(props.dataOutputPrefix);
  const dynamicPartitioning = queryKeys !== undefined || lambdaPartitionKeys;
  validateSeconds(
    scope,
    'dynamicPartitioningRetryDuration',
    props.dynamicPartitioningRetryDuration,
    RETRY_DURATION_MAX,
    'Firehose takes DurationInSeconds',
  );
  if (props.dynamicPartitioningRetryDuration !== undefined && !dynamicPartitioning) {
    throw invalidProp(
      scope,
      'dynamicPartitioningRetryDuration',
      'may be set only with dynamic partitioning: give dynamicPartitionKeys (or a prefix with !{partitionKeyFromLambda:...}) too, or omit it',
      writtenAs(scope, props.dynamicPartitioningRetryDuration),
    );
  }

  let conversion: FormatConversion | undefined;
  if (props.outputFormat !== undefined) {
    const { output, kind } = validateOutputFormat(scope, 'outputFormat', props.outputFormat);
    const { input, hive } = validateInputFormat(
      scope,
      'inputFormat',
      props.inputFormat ?? firehose.InputFormat.OPENX_JSON,
    );
    if (props.schema === undefined) {
      throw invalidProp(
        scope,
        'schema',
        'is required with outputFormat: Firehose reads the columns to convert records with from a Glue table (StreamToS3Schema.fromGlueTable or StreamToS3Schema.fromColumns)',
        undefined,
      );
    }
    validateSchema(scope, 'schema', props.schema, hive);
    conversion = { kind, input, output, hiveInput: hive };
  } else {
    for (const [prop, value] of [
      ['inputFormat', props.inputFormat],
      ['schema', props.schema],
    ] as const) {
      if (value !== undefined) {
        throw invalidProp(
          scope,
          prop,
          'may be set only with record format conversion: give outputFormat (Parquet or ORC) too, or omit it',
          prop === 'schema' ? 'a StreamToS3Schema' : 'a firehose.IInputFormat',
        );
      }
    }
  }

  // Firehose takes IntervalInSeconds; a deploy-time amount in another unit cannot be converted.
  validateSeconds(
    scope,
    'bufferingInterval',
    props.bufferingInterval,
    MAX_BUFFERING_INTERVAL,
    'Firehose takes IntervalInSeconds',
  );
  const interval = props.bufferingInterval;
  if (
    dynamicPartitioning &&
    interval !== undefined &&
    !interval.isUnresolved() &&
    interval.toSeconds() < DYNAMIC_PARTITIONING_MIN_INTERVAL.toSeconds()
  ) {
    throw invalidProp(
      scope,
      'bufferingInterval',
      'must be at least 1 minute with dynamic partitioning (Firehose offers no zero or short buffering for it)',
      writtenAs(scope, interval),
    );
  }
  const largeBuffer = dynamicPartitioning || conversion !== undefined;
  validateBufferingSize(
    scope,
    'bufferingSize',
    props.bufferingSize,
    largeBuffer
      ? {
          mebibytes: LARGE_BUFFER_MIN_MIB,
          why: ` with ${conversion ? 'record format conversion' : 'dynamic partitioning'} (Firehose's minimum for it)`,
        }
      : undefined,
  );
  validateEnumValue(scope, 'compression', props.compression, 'StreamToS3Compression', StreamToS3Compression);
  if (conversion && props.compression !== undefined && props.compression !== StreamToS3Compression.UNCOMPRESSED) {
    throw invalidProp(
      scope,
      'compression',
      `must be StreamToS3Compression.UNCOMPRESSED (or omitted) with record format conversion: the ${conversion.kind === 'parquet' ? 'Parquet' : 'ORC'} serializer compresses; set it in the output format (e.g. new firehose.${conversion.kind === 'parquet' ? 'ParquetOutputFormat({ compression: firehose.ParquetCompression.GZIP })' : 'OrcOutputFormat({ compression: firehose.OrcCompression.ZLIB })'})`,
      `StreamToS3Compression.${Object.entries(StreamToS3Compression).find(([, v]) => v === props.compression)?.[0]}`,
    );
  }
  validateLogRetention(scope, 'logRetention', props.logRetention);
  validatePrefixes(scope, props.dataOutputPrefix, props.errorOutputPrefix, {
    queryKeys,
    processor: props.processor !== undefined,
  });
  return { queryKeys, lambdaPartitionKeys, conversion };
}
