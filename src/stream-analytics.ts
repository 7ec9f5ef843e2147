import * as fs from 'fs';
import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kda from 'aws-cdk-lib/aws-kinesisanalyticsv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from './private/acknowledgments';
import { notifyingAlarm } from './private/alarms';
import { AWS_MANAGED_KINESIS_KEY_ALIAS, isAwsManagedKey } from './private/aws-managed-keys';
import { addAlarmMetricWidgets } from './private/dashboard/generic';
import { validateReference } from './private/encrypted-stream/values';
import { allowCloudWatchLogsToUseKey } from './private/key-policies';
import { STREAM_READ_ACTIONS } from './private/kinesis-actions';
import { knownStreamRetentionHours } from './private/lambda-consumers/facts';
import { ManagedPolicyRole } from './private/managed-policy-role';
import { generatePhysicalName } from './private/naming';
import { claimPhysicalName } from './private/physical-names';
import { describeDuration, validateBoolean } from './private/queue-facts';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  APPLICATION_DIMENSION,
  APPLICATION_NAME_PATTERN,
  DEFAULT_CHECKPOINT_INTERVAL,
  DEFAULT_KPU_QUOTA,
  DEFAULT_MIN_PAUSE_BETWEEN_CHECKPOINTS,
  LOG_STREAM_NAME,
  MAX_CHECKPOINT_INTERVAL,
  MAX_PARALLELISM_PER_KPU,
  MAX_PROPERTIES_PER_GROUP,
  MAX_PROPERTY_GROUPS,
  MAX_PROPERTY_LENGTH,
  MAX_SECURITY_GROUPS,
  MAX_SUBNETS,
  METRIC_NAMESPACE,
  MIN_CHECKPOINT_INTERVAL,
  PROPERTY_GROUP_ID_PATTERN,
  VPC_DESCRIBE_ACTIONS,
} from './private/stream-analytics/facts';
import {
  durationMillis,
  formatNumber,
  invalidProp,
  validateEnumValue,
  validateIntegerInRange,
  validateNumberInRange,
} from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * The Apache Flink runtimes a StreamAnalytics application may run on: those Amazon Managed Service for Apache
 * Flink offers for new applications that AWS still recommends.
 *
 * The service's API also accepts FLINK-1_6, 1_8, 1_11, 1_13 and 1_15; they are not offered here. AWS
 * recommends "Apache Flink 1.18 or later" ("Precautions and known issues with application upgrades",
 * https://docs.aws.amazon.com/managed-flink/latest/java/precautions.html) and applications on 1.15 and
 * later reject Kinesis connectors older than 1.15.2. SQL-1_0 (Kinesis Data Analytics for SQL) is
 * discontinued, and the ZEPPELIN runtimes are Studio notebooks, not applications.
 */
export enum StreamAnalyticsRuntime {
  /** Apache Flink 1.18 ("Amazon Managed Service for Apache Flink now supports Apache Flink version 1.18"). */
  FLINK_1_18 = 'FLINK-1_18',
  /** Apache Flink 1.19 (Developer Guide, "Amazon Managed Service for Apache Flink 1.19"). */
  FLINK_1_19 = 'FLINK-1_19',
  /** Apache Flink 1.20, the last 1.x line; PyFlink on Python 3.11 (Developer Guide, "Use Python"). */
  FLINK_1_20 = 'FLINK-1_20',
  /**
   * Apache Flink 2.2, the service's first 2.x runtime; PyFlink on Python 3.12. Breaking changes from 1.x
   * (Developer Guide, "Amazon Managed Service for Apache Flink 2.2").
   */
  FLINK_2_2 = 'FLINK-2_2',
  /** Apache Flink 2.3 (Developer Guide, "Amazon Managed Service for Apache Flink 2.3"). */
  FLINK_2_3 = 'FLINK-2_3',
}

/** How much the application logs to its log group (MonitoringConfiguration LogLevel). */
export enum StreamAnalyticsLogLevel {
  /** Errors only. AWS advises against it: Flink logs some failures at INFO. */
  ERROR = 'ERROR',
  /** Warnings and errors. */
  WARN = 'WARN',
  /** AWS's recommendation for production: Flink reports some errors at this level. */
  INFO = 'INFO',
  /** Everything; for troubleshooting only, it slows the application down. */
  DEBUG = 'DEBUG',
}

/** The granularity of the application's CloudWatch metrics (MonitoringConfiguration MetricsLevel). */
export enum StreamAnalyticsMetricsLevel {
  /** One series per application: the metrics the alarms use. */
  APPLICATION = 'APPLICATION',
  /** Per operator as well. */
  OPERATOR = 'OPERATOR',
  /** Per task as well. */
  TASK = 'TASK',
  /** Per parallel subtask as well: costly above a parallelism of 64, AWS warns. */
  PARALLELISM = 'PARALLELISM',
}

/**
 * Where the application's code is, once bound to a StreamAnalytics.
 */
export interface StreamAnalyticsCodeConfig {
  /** The bucket that holds the code. */
  readonly bucket: s3.IBucket;

  /** The key of the code object: a JAR (Java) or a zip (Python, or Java with dependencies). */
  readonly fileKey: string;

  /**
   * The version of the code object.
   *
   * @default - the latest version
   */
  readonly objectVersion?: string;
}

/**
 * The code of a StreamAnalytics application: a JAR or zip file in S3, from a local file or directory
 * (uploaded as an asset) or from a bucket and key.
 */
export abstract class StreamAnalyticsCode {
  /**
   * Code from a local path, uploaded as an asset when the app is deployed: a `.jar` or `.zip` file is uploaded
   * as it is, a directory is zipped (for a Python application: its `main.py` and a `lib/` folder of connector
   * JARs at the top of the directory).
   *
   * @param path the file or directory
   */
  public static fromAsset(path: string): StreamAnalyticsCode {
    return new AssetCode(path);
  }

  /**
   * Code already in S3.
   *
   * @param bucket the bucket
   * @param fileKey the key of the JAR or zip object (1 to 1,024 characters)
   * @param objectVersion the object's version (1 to 1,024 characters); the latest version when omitted
   */
  public static fromBucket(bucket: s3.IBucket, fileKey: string, objectVersion?: string): StreamAnalyticsCode {
    return new BucketCode(bucket, fileKey, objectVersion);
  }

  /**
   * Makes the code available to an application in `scope` (uploads an asset there, for `fromAsset`).
   */
  public abstract bind(scope: Construct): StreamAnalyticsCodeConfig;
}

class AssetCode extends StreamAnalyticsCode {
  private asset?: s3assets.Asset;

  constructor(private readonly path: string) {
    super();
  }

  public bind(scope: Construct): StreamAnalyticsCodeConfig {
    if (typeof this.path !== 'string' || this.path.length === 0 || !fs.existsSync(this.path)) {
      throw invalidProp(
        scope,
        'code',
        'must be StreamAnalyticsCode.fromAsset of an existing file or directory',
        this.path,
      );
    }
    if (this.asset === undefined) {
      this.asset = new s3assets.Asset(scope, 'Code', { path: this.path });
    } else if (Stack.of(this.asset) !== Stack.of(scope)) {
      throw invalidProp(
        scope,
        'code',
        `must be bound in one stack only: this StreamAnalyticsCode was already uploaded for ${this.asset.node.path}; call fromAsset again`,
        this.path,
      );
    }
    return { bucket: this.asset.bucket, fileKey: this.asset.s3ObjectKey };
  }
}

class BucketCode extends StreamAnalyticsCode {
  constructor(
    private readonly bucket: s3.IBucket,
    private readonly fileKey: string,
    private readonly objectVersion?: string,
  ) {
    super();
  }

  public bind(scope: Construct): StreamAnalyticsCodeConfig {
    validateReference(scope, 'code bucket', this.bucket ?? null, 'bucketArn', 'an s3.IBucket');
    validateS3Key(scope, 'code fileKey', this.fileKey, true);
    validateS3Key(scope, 'code objectVersion', this.objectVersion, false);
    return { bucket: this.bucket, fileKey: this.fileKey, objectVersion: this.objectVersion };
  }
}

/** FileKey and ObjectVersion of S3ContentLocation: 1 to 1,024 characters (AWS::KinesisAnalyticsV2::Application schema). */
function validateS3Key(scope: Construct, prop: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) {
    return;
  }
  if (typeof value === 'string' && Token.isUnresolved(value)) {
    return;
  }
  if (typeof value !== 'string' || value.length < 1 || value.length > 1024) {
    throw invalidProp(scope, prop, 'must be a string of 1 to 1,024 characters', value);
  }
}

/**
 * Properties of a StreamAnalytics application.
 */
export interface StreamAnalyticsProps {
  /**
   * The stream the application reads: an EncryptedStream (whose key and retention are known, so the key is
   * granted and the lag alarm is checked against the retention), a `kinesis.Stream`, or an imported stream.
   * Its ARN, name and Region reach the application in the `InputStream` property group.
   */
  readonly stream: kinesis.IStream;

  /**
   * The application's code: `StreamAnalyticsCode.fromAsset(path)` or `StreamAnalyticsCode.fromBucket(bucket,
   * key)`. The role may read that one object only.
   */
  readonly code: StreamAnalyticsCode;

  /**
   * Read through this enhanced fan-out consumer of the stream (for example one made with
   * `EncryptedStream.addConsumer`), with its own 2 MB/s per shard. The role may subscribe through this consumer
   * only, and may not register or deregister consumers: configure the Flink Kinesis source to use this
   * existing consumer (its ARN and name are in the `InputStream` property group as `efo.consumer.arn` and
   * `efo.consumer.name`).
   *
   * @default - shared-throughput reads (GetRecords)
   */
  readonly enhancedFanOutConsumer?: kinesis.IStreamConsumer;

  /**
   * The Apache Flink runtime. Changing it later upgrades the application in place (CloudFormation keeps the
   * application and its snapshots), provided the code is built for the new version.
   *
   * @default StreamAnalyticsRuntime.FLINK_2_2
   */
  readonly runtime?: StreamAnalyticsRuntime;

  /**
   * The application's name: 1 to 128 letters, digits, underscores, hyphens and periods, unique in the account
   * and Region. Changing it replaces the application (and loses its state).
   *
   * @default - a name CloudFormation generates
   */
  readonly applicationName?: string;

  /**
   * The initial number of parallel tasks (1 or more). With autoscaling the service raises it under load, up to
   * `parallelismPerKpu` times the account's KPU quota (64 KPUs by default, raised on request), and lowers it
   * back to this value.
   *
   * @default 1
   */
  readonly parallelism?: number;

  /**
   * Parallel tasks per Kinesis Processing Unit (1 vCPU and 4 GB of memory): 1 to 8. Higher values suit
   * applications that wait on I/O. The service allocates `parallelism / parallelismPerKpu` KPUs.
   *
   * @default 1
   */
  readonly parallelismPerKpu?: number;

  /**
   * Whether the service may raise the parallelism when the application is busy.
   *
   * @default true
   */
  readonly autoScalingEnabled?: boolean;

  /**
   * Whether Flink checkpoints the application's state, so that it recovers from a failure without losing or
   * repeating work.
   *
   * @default true
   */
  readonly checkpointingEnabled?: boolean;

  /**
   * Time between checkpoints (10 milliseconds to 1 day, in whole milliseconds).
   *
   * @default Duration.minutes(1)
   */
  readonly checkpointInterval?: Duration;

  /**
   * The least time between the end of a checkpoint and the start of the next (0 to 1 day, in whole
   * milliseconds), so that a slow checkpoint does not leave the application checkpointing all the time.
   *
   * @default Duration.seconds(5)
   */
  readonly minPauseBetweenCheckpoints?: Duration;

  /**
   * Whether the service takes a snapshot (savepoint) when the application is stopped or updated and restores
   * from it when it starts again.
   *
   * @default true
   */
  readonly snapshotsEnabled?: boolean;

  /**
   * How much the application logs to its log group.
   *
   * @default StreamAnalyticsLogLevel.INFO
   */
  readonly logLevel?: StreamAnalyticsLogLevel;

  /**
   * The granularity of the application's CloudWatch metrics.
   *
   * @default StreamAnalyticsMetricsLevel.APPLICATION
   */
  readonly metricsLevel?: StreamAnalyticsMetricsLevel;

  /**
   * How long the application's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Runtime properties for the application, by property group id (1 to 50 letters, digits, `_`, `.`, `-`):
   * at most 49 groups of at most 50 properties, keys and values of 1 to 2,048 characters. A Python application
   * names its entry point here: `{ 'kinesis.analytics.flink.run.options': { python: 'main.py', jarfile:
   * 'lib/connector.jar' } }`. The group `InputStream` is the construct's (the stream's ARN, name and Region).
   *
   * @default - only the `InputStream` group
   */
  readonly propertyGroups?: Record<string, Record<string, string>>;

  /**
   * Run the application in this VPC, in private subnets, to reach resources there. It then needs a way to
   * the AWS APIs it calls (Kinesis, CloudWatch Logs, KMS, S3): a NAT gateway or VPC endpoints.
   *
   * @default - no VPC: the service's own network
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Which subnets of `vpc` (1 to 16, never public).
   *
   * @default - the VPC's private subnets with egress, or its isolated subnets when it has none
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The security groups of the application's network interfaces in `vpc` (1 to 5).
   *
   * @default - a new security group with no inbound rules and outbound HTTPS only
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Alarm when the application's Kinesis source is this far behind the newest record of the stream
   * (`millisBehindLatest`), at least 1 second and, when the stream's retention is known, less than it: records
   * older than the retention are gone before they are read.
   *
   * @default Duration.minutes(5)
   */
  readonly millisBehindLatestAlarmThreshold?: Duration;

  /**
   * Alarm when the task managers' average CPU utilization stays above this percentage (1 to 100) for 15
   * minutes: the application needs more KPUs.
   *
   * @default 80
   */
  readonly cpuUtilizationAlarmThreshold?: number;

  /**
   * Alarm when the task managers' heap memory utilization stays above this percentage (1 to 100) for 15
   * minutes: the application risks running out of memory.
   *
   * @default 90
   */
  readonly heapMemoryUtilizationAlarmThreshold?: number;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * What happens to the application, its log group and the log group's key when they leave the stack.
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

/** The property group that tells the application what it reads. */
const INPUT_PROPERTY_GROUP = 'InputStream';

const DEFAULT_RUNTIME = StreamAnalyticsRuntime.FLINK_2_2;
const DEFAULT_LAG_THRESHOLD = Duration.minutes(5);
const DEFAULT_CPU_THRESHOLD = 80;
const DEFAULT_HEAP_THRESHOLD = 90;

/**
 * The actions on the consumer for enhanced fan-out reads of a consumer that already exists: subscribe to its
 * shards and check that it is ACTIVE (Kinesis Data Streams Developer Guide, "Develop enhanced fan-out
 * consumers"); no RegisterStreamConsumer or DeregisterStreamConsumer.
 */
const CONSUMER_ACTIONS = ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'];

/**
 * An Amazon Managed Service for Apache Flink application that reads a Kinesis data stream, built on
 * aws-cdk-lib's stable `AWS::KinesisAnalyticsV2::Application` resource, with:
 *
 * - checkpoints, snapshots and autoscaling on;
 * - logs in a log group of its own, encrypted with a customer-managed key (rotation on) and kept for a year;
 * - a service execution role that may read this stream only (and subscribe through its consumer only, with
 *   enhanced fan-out), decrypt with the stream's key, read its code object and write its own log stream,
 *   through a customer-managed policy;
 * - alarms on downtime, failed checkpoints, consumer lag, CPU and heap memory.
 *
 * The application is created, not started: start it with `aws kinesisanalyticsv2 start-application` (or the
 * console) once deployed. Grant it what it writes to with the usual grants (`sink.grantWrite(app)`).
 */
export class StreamAnalytics extends Construct implements iam.IGrantable, ec2.IConnectable {
  /** The stream the application reads. */
  public readonly stream: kinesis.IStream;

  /** The enhanced fan-out consumer the application reads through, if any. */
  public readonly enhancedFanOutConsumer?: kinesis.IStreamConsumer;

  /** The Apache Flink runtime. */
  public readonly runtime: StreamAnalyticsRuntime;

  /** The application's name. */
  public readonly applicationName: string;

  /** The application's ARN. */
  public readonly applicationArn: string;

  /** The service execution role the application runs as. */
  public readonly role: iam.Role;

  /** The customer-managed policy, attached to the role, with everything the construct grants. */
  public readonly policy: iam.ManagedPolicy;

  /** The application's log group. */
  public readonly logGroup: logs.LogGroup;

  /** The customer-managed key the log group is encrypted with. */
  public readonly logKey: kms.Key;

  /** The security groups of the application's network interfaces; empty without a VPC. */
  public readonly securityGroups: ec2.ISecurityGroup[];

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /**
   * Alarms when the application is down (failing or restarting). On Flink 1.x it watches `downtime`; on 2.x,
   * where AWS deprecates `downtime`, it watches `restartingTime` plus `failingTime`.
   */
  public readonly downtimeAlarm: cloudwatch.Alarm;

  /** Alarms when a checkpoint fails (`numberOfFailedCheckpoints` grows). */
  public readonly checkpointFailuresAlarm: cloudwatch.Alarm;

  /** Alarms when the Kinesis source falls `millisBehindLatestAlarmThreshold` behind the stream. */
  public readonly millisBehindLatestAlarm: cloudwatch.Alarm;

  /** Alarms when CPU utilization stays above `cpuUtilizationAlarmThreshold`. */
  public readonly cpuUtilizationAlarm: cloudwatch.Alarm;

  /** Alarms when heap memory utilization stays above `heapMemoryUtilizationAlarmThreshold`. */
  public readonly heapMemoryUtilizationAlarm: cloudwatch.Alarm;

  /** The principal grants go to: the service execution role. */
  public readonly grantPrincipal: iam.IPrincipal;

  private readonly networkConnections?: ec2.Connections;

  constructor(scope: Construct, id: string, props: StreamAnalyticsProps) {
    super(scope, id);
    if (props === undefined || props === null || typeof props !== 'object') {
      throw invalidProp(this, 'props', 'must give at least stream and code', props);
    }
    const settings = validateProps(this, props);
    const removalPolicy = resolveRemovalPolicy(
      this,
      props.removalPolicy,
      'Managed Service for Apache Flink applications, log groups and KMS keys',
    );
    this.stream = props.stream;
    this.enhancedFanOutConsumer = props.enhancedFanOutConsumer;
    this.runtime = settings.runtime;
    const stack = Stack.of(this);

    if (props.applicationName !== undefined) {
      claimPhysicalName(this, {
        kind: 'Managed Service for Apache Flink application',
        name: props.applicationName,
        prop: 'applicationName',
      });
    }

    // What users grant to the application (`sinkStream.grantWrite(app)`) lands in a customer-managed policy:
    // the NIST, HIPAA and PCI packs reject the inline policy aws-cdk-lib's Role would create.
    this.role = new ManagedPolicyRole(
      this,
      'Role',
      {
        description: `Service execution role of the Managed Service for Apache Flink application of ${this.node.path}`,
        assumedBy: new iam.ServicePrincipal('kinesisanalytics.amazonaws.com'),
      },
      `What was granted to the Flink application of ${this.node.path}`,
    );
    this.grantPrincipal = this.role;

    // The log group is named before the deployment: the key policy and the role's log permissions name it.
    // "/aws/kinesis-analytics/" is the prefix the service's console uses.
    const logGroupName = `/aws/kinesis-analytics/${props.applicationName ?? generatePhysicalName(this, 128)}`;
    claimPhysicalName(this, {
      kind: 'CloudWatch Logs log group',
      name: logGroupName,
      prop: 'applicationName',
      what: 'its log group',
    });
    this.logKey = new kms.Key(this, 'LogKey', {
      description: `Encrypts the log group of the Flink application of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    allowCloudWatchLogsToUseKey(this.logKey, logGroupName, 'AllowCloudWatchLogsForTheApplicationLogGroup');
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName,
      encryptionKey: this.logKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    const logStream = new logs.LogStream(this, 'LogStream', {
      logGroup: this.logGroup,
      logStreamName: LOG_STREAM_NAME,
      removalPolicy,
    });
    const logGroupArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const logStreamArn = `${logGroupArn}:log-stream:${LOG_STREAM_NAME}`;
    const allLogGroups = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const code = props.code.bind(this);
    const network = this.network(props);
    this.securityGroups = network?.securityGroups ?? [];
    this.networkConnections = network ? new ec2.Connections({ securityGroups: network.securityGroups }) : undefined;

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Lets the Flink application of ${this.node.path} read its stream and code and write its logs`,
      roles: [this.role],
      statements: [
        allow(STREAM_READ_ACTIONS, [this.stream.streamArn]),
        ...(this.enhancedFanOutConsumer
          ? [allow(CONSUMER_ACTIONS, [this.enhancedFanOutConsumer.streamConsumerArn])]
          : []),
        ...keyStatement(this.stream.encryptionKey, AWS_MANAGED_KINESIS_KEY_ALIAS),
        allow(code.objectVersion ? ['s3:GetObject', 's3:GetObjectVersion'] : ['s3:GetObject'], [
          code.bucket.arnForObjects(code.fileKey),
        ]),
        ...keyStatement(code.bucket.encryptionKey, 'alias/aws/s3'),
        allow(['logs:DescribeLogGroups'], [allLogGroups]),
        allow(['logs:DescribeLogStreams'], [logGroupArn]),
        allow(['logs:PutLogEvents'], [logStreamArn]),
        ...(network ? network.statements : []),
      ],
    });
    acknowledge(
      this.policy,
      wildcardResource(
        this,
        allLogGroups,
        'logs:DescribeLogGroups lists log groups and takes no single log group as its resource; the Managed Service ' +
          'for Apache Flink Developer Guide grants it on the account\'s log groups ("Set up application logging"). ' +
          "Writing is limited to the application's own log stream.",
      ),
    );
    if (network) {
      for (const acknowledgment of network.acknowledgments) {
        acknowledge(this.policy, acknowledgment);
      }
    }

    const resource = new kda.CfnApplication(this, 'Resource', {
      applicationName: props.applicationName,
      runtimeEnvironment: this.runtime,
      serviceExecutionRole: this.role.roleArn,
      applicationConfiguration: {
        applicationCodeConfiguration: {
          codeContentType: 'ZIPFILE',
          codeContent: {
            s3ContentLocation: {
              bucketArn: code.bucket.bucketArn,
              fileKey: code.fileKey,
              objectVersion: code.objectVersion,
            },
          },
        },
        flinkApplicationConfiguration: {
          checkpointConfiguration: {
            configurationType: 'CUSTOM',
            checkpointingEnabled: settings.checkpointingEnabled,
            checkpointInterval: settings.checkpointIntervalMillis,
            minPauseBetweenCheckpoints: settings.minPauseMillis,
          },
          monitoringConfiguration: {
            configurationType: 'CUSTOM',
            logLevel: props.logLevel ?? StreamAnalyticsLogLevel.INFO,
            metricsLevel: props.metricsLevel ?? StreamAnalyticsMetricsLevel.APPLICATION,
          },
          parallelismConfiguration: {
            configurationType: 'CUSTOM',
            parallelism: props.parallelism ?? 1,
            parallelismPerKpu: props.parallelismPerKpu ?? 1,
            autoScalingEnabled: props.autoScalingEnabled ?? true,
          },
        },
        applicationSnapshotConfiguration: { snapshotsEnabled: props.snapshotsEnabled ?? true },
        environmentProperties: { propertyGroups: this.propertyGroups(props) },
        vpcConfigurations: network
          ? [{ subnetIds: network.subnetIds, securityGroupIds: network.securityGroups.map((g) => g.securityGroupId) }]
          : undefined,
      },
    });
    resource.applyRemovalPolicy(removalPolicy);
    // The service reads the code with the role when it creates the application; the role's children include
    // the policy of what users grant to the application, whenever they grant it.
    resource.node.addDependency(this.policy, this.role);

    this.applicationName = resource.ref;
    this.applicationArn = stack.formatArn({
      service: 'kinesisanalytics',
      resource: 'application',
      resourceName: resource.ref,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    const loggingOption = new kda.CfnApplicationCloudWatchLoggingOption(this, 'LoggingOption', {
      applicationName: resource.ref,
      cloudWatchLoggingOption: { logStreamArn },
    });
    loggingOption.node.addDependency(logStream, this.policy);

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    const path = this.node.path;
    this.downtimeAlarm = notifyingAlarm(this, 'DowntimeAlarm', {
      alarmTopic: this.alarmTopic,
      description:
        `The Flink application of ${path} is down (failing or restarting) and processes no records: ` +
        'read its log group for the exception.',
      metric: this.downtimeMetric(),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.checkpointFailuresAlarm = notifyingAlarm(this, 'CheckpointFailuresAlarm', {
      alarmTopic: this.alarmTopic,
      description:
        `Checkpoints of the Flink application of ${path} fail: after a failure it would restart from an older ` +
        'state. Check checkpoint duration and size, and back pressure.',
      // AWS's recommended alarm: RATE(numberOfFailedCheckpoints) > 0 ("Use CloudWatch Alarms with Amazon Managed
      // Service for Apache Flink", https://docs.aws.amazon.com/managed-flink/latest/java/monitoring-metrics-alarms.html).
      metric: new cloudwatch.MathExpression({
        expression: 'RATE(failed)',
        usingMetrics: {
          failed: this.metricNumberOfFailedCheckpoints({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: Duration.minutes(5),
          }),
        },
        period: Duration.minutes(5),
        label: 'Failed checkpoints per second',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    this.millisBehindLatestAlarm = notifyingAlarm(this, 'MillisBehindLatestAlarm', {
      alarmTopic: this.alarmTopic,
      description:
        `The Flink application of ${path} is more than ${describeThreshold(settings.lagThreshold)} behind its ` +
        "stream: raise its parallelism or KPUs before records leave the stream's retention.",
      metric: this.metricMillisBehindLatest({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
      threshold: settings.lagThresholdMillis,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
    });
    this.cpuUtilizationAlarm = notifyingAlarm(this, 'CpuUtilizationAlarm', {
      alarmTopic: this.alarmTopic,
      description: `CPU utilization of the Flink application of ${path} is high: give it more KPUs (parallelism).`,
      metric: this.metricCpuUtilization({ statistic: cloudwatch.Stats.AVERAGE, period: Duration.minutes(5) }),
      threshold: props.cpuUtilizationAlarmThreshold ?? DEFAULT_CPU_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    this.heapMemoryUtilizationAlarm = notifyingAlarm(this, 'HeapMemoryUtilizationAlarm', {
      alarmTopic: this.alarmTopic,
      description:
        `Heap memory utilization of the Flink application of ${path} is high: it risks failing with ` +
        'OutOfMemoryError; check state size and give it more KPUs.',
      metric: this.metricHeapMemoryUtilization({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
      threshold: props.heapMemoryUtilizationAlarmThreshold ?? DEFAULT_HEAP_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });

    addAlarmMetricWidgets('StreamAnalytics', this, props.dashboard, () => this.alarms);
  }

  /** The network connections of the application in its VPC. Only an application with a `vpc` has them. */
  public get connections(): ec2.Connections {
    if (this.networkConnections === undefined) {
      throw invalidProp(this, 'connections', 'exist only for an application in a VPC (give the vpc prop)', undefined);
    }
    return this.networkConnections;
  }

  /** Every alarm of the application. */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.downtimeAlarm,
      this.checkpointFailuresAlarm,
      this.millisBehindLatestAlarm,
      this.cpuUtilizationAlarm,
      this.heapMemoryUtilizationAlarm,
    ];
  }

  /** Any metric of the application in the `AWS/KinesisAnalytics` namespace, by name, at the Application level. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { [APPLICATION_DIMENSION]: this.applicationName },
      ...props,
    });
  }

  /** `downtime`: milliseconds of the current outage (deprecated by AWS from Flink 2.2 on). */
  public metricDowntime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('downtime', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /** `restartingTime`: milliseconds the job has been restarting (Flink 2.2 and later). */
  public metricRestartingTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('restartingTime', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /** `failingTime`: milliseconds the job has been failing (Flink 2.2 and later). */
  public metricFailingTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('failingTime', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /** `numberOfFailedCheckpoints`: checkpoints that failed since the application started. */
  public metricNumberOfFailedCheckpoints(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('numberOfFailedCheckpoints', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /** `millisBehindLatest`: how far the Kinesis source is behind the newest record, in milliseconds. */
  public metricMillisBehindLatest(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('millisBehindLatest', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /** `cpuUtilization`: CPU utilization of the task managers, in percent. */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('cpuUtilization', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /** `heapMemoryUtilization`: heap memory utilization of the task managers, in percent. */
  public metricHeapMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('heapMemoryUtilization', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /** `KPUs`: Kinesis Processing Units in use (what the application is billed for). */
  public metricKpus(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('KPUs', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /**
   * Flink 2.2 deprecates `downtime` ("Replace downtime with one or more of restartingTime, cancellingTime, and
   * failingTime", Developer Guide, "Amazon Managed Service for Apache Flink 2.2"). Cancelling is what an
   * operator does on purpose, so it is not an outage here.
   */
  private downtimeMetric(): cloudwatch.IMetric {
    const period = Duration.minutes(1);
    if (this.runtime === StreamAnalyticsRuntime.FLINK_2_2 || this.runtime === StreamAnalyticsRuntime.FLINK_2_3) {
      return new cloudwatch.MathExpression({
        expression: 'FILL(restarting, 0) + FILL(failing, 0)',
        usingMetrics: {
          restarting: this.metricRestartingTime({ period }),
          failing: this.metricFailingTime({ period }),
        },
        period,
        label: 'Milliseconds restarting or failing',
      });
    }
    return this.metricDowntime({ period });
  }

  private propertyGroups(props: StreamAnalyticsProps): kda.CfnApplication.PropertyGroupProperty[] {
    const input: Record<string, string> = {
      'stream.arn': this.stream.streamArn,
      'stream.name': this.stream.streamName,
      'aws.region': Stack.of(this).region,
    };
    if (this.enhancedFanOutConsumer) {
      input['efo.consumer.arn'] = this.enhancedFanOutConsumer.streamConsumerArn;
      input['efo.consumer.name'] = this.enhancedFanOutConsumer.streamConsumerName;
    }
    return [
      { propertyGroupId: INPUT_PROPERTY_GROUP, propertyMap: input },
      ...Object.entries(props.propertyGroups ?? {}).map(([propertyGroupId, propertyMap]) => ({
        propertyGroupId,
        propertyMap,
      })),
    ];
  }

  private network(props: StreamAnalyticsProps): Network | undefined {
    const vpc = props.vpc;
    if (vpc === undefined) {
      if (props.vpcSubnets !== undefined || props.securityGroups !== undefined) {
        throw invalidProp(
          this,
          props.vpcSubnets !== undefined ? 'vpcSubnets' : 'securityGroups',
          'may be set only with vpc',
          props.vpcSubnets !== undefined ? props.vpcSubnets : props.securityGroups!.length + ' security group(s)',
        );
      }
      return undefined;
    }
    const subnetIds = selectSubnets(this, vpc, props.vpcSubnets);
    let securityGroups = props.securityGroups;
    if (securityGroups === undefined) {
      const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc,
        description: `Flink application of ${this.node.path}: no inbound, HTTPS out to the AWS APIs it calls`,
        allowAllOutbound: false,
      });
      group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Kinesis, S3, CloudWatch Logs and KMS');
      securityGroups = [group];
    }
    const stack = Stack.of(this);
    const ec2Arn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'ec2', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const networkInterfaces = ec2Arn('network-interface', '*');
    return {
      subnetIds,
      securityGroups,
      statements: [
        allow(VPC_DESCRIBE_ACTIONS, ['*']),
        allow(
          ['ec2:CreateNetworkInterface'],
          [
            networkInterfaces,
            ...subnetIds.map((subnetId) => ec2Arn('subnet', subnetId)),
            ...securityGroups.map((group) => ec2Arn('security-group', group.securityGroupId)),
          ],
        ),
        allow(['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface'], [networkInterfaces]),
      ],
      acknowledgments: [
        {
          ruleIds: ['AwsSolutions-IAM5[Resource::*]'],
          reason:
            'The EC2 Describe actions the service needs to place the application in the VPC (DescribeVpcs, ' +
            'DescribeSubnets, DescribeSecurityGroups, DescribeDhcpOptions, DescribeNetworkInterfaces) take no ' +
            'resource (Service Authorization Reference for Amazon EC2); Managed Service for Apache Flink Developer ' +
            'Guide, "Application permissions to access Amazon VPC resources".',
        },
        wildcardResource(
          this,
          networkInterfaces,
          "The service creates and deletes the application's network interfaces; their ids are not known in " +
            "advance. Creating one is also limited to the application's subnets and security groups.",
        ),
      ],
    };
  }
}

interface Network {
  readonly subnetIds: string[];
  readonly securityGroups: ec2.ISecurityGroup[];
  readonly statements: iam.PolicyStatement[];
  readonly acknowledgments: Array<{ ruleIds: string[]; reason: string }>;
}

function allow(actions: string[], resources: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources });
}

/**
 * `kms:Decrypt` on a customer-managed key. An AWS-managed key (`alias/aws/kinesis`, `alias/aws/s3`) is usable
 * through its service by every principal of the account; a grant on it would authorize nothing.
 */
function keyStatement(key: kms.IKey | undefined, awsManagedAlias: string): iam.PolicyStatement[] {
  if (key === undefined || isAwsManagedKey(key, awsManagedAlias)) {
    return [];
  }
  return [allow(['kms:Decrypt'], [key.keyArn])];
}

function selectSubnets(scope: Construct, vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined): string[] {
  let subnets: ec2.ISubnet[];
  if (selection !== undefined) {
    subnets = vpc.selectSubnets(selection).subnets;
    const publicIds = new Set(vpc.publicSubnets.map((s) => s.subnetId));
    const chosenPublic = subnets.filter((s) => publicIds.has(s.subnetId));
    if (chosenPublic.length > 0) {
      throw invalidProp(
        scope,
        'vpcSubnets',
        'must select private subnets only: the application needs no public network path',
        chosenPublic.map((s) => s.node.path),
      );
    }
  } else {
    subnets = vpc.privateSubnets.length > 0 ? vpc.privateSubnets : vpc.isolatedSubnets;
    if (subnets.length === 0) {
      throw invalidProp(
        scope,
        'vpc',
        'must have private or isolated subnets (the application is never placed in public subnets)',
        vpc.node.path,
      );
    }
  }
  if (subnets.length < 1 || subnets.length > MAX_SUBNETS) {
    throw invalidProp(scope, 'vpcSubnets', `must select 1 to ${MAX_SUBNETS} subnets`, `${subnets.length} subnets`);
  }
  return subnets.map((s) => s.subnetId);
}

function describeThreshold(value: Duration): string {
  return value.isUnresolved() ? 'the deploy-time threshold' : value.toHumanString();
}

interface Settings {
  readonly runtime: StreamAnalyticsRuntime;
  readonly checkpointingEnabled: boolean;
  readonly checkpointIntervalMillis: number;
  readonly minPauseMillis: number;
  readonly lagThreshold: Duration;
  readonly lagThresholdMillis: number;
}

function validateProps(scope: Construct, props: StreamAnalyticsProps): Settings {
  validateStream(scope, props.stream);
  if (!(props.code instanceof StreamAnalyticsCode)) {
    throw invalidProp(
      scope,
      'code',
      'must be StreamAnalyticsCode.fromAsset(path) or StreamAnalyticsCode.fromBucket(bucket, key)',
      props.code,
    );
  }
  validateConsumer(scope, props);
  validateEnumValue(scope, 'runtime', props.runtime, 'StreamAnalyticsRuntime', StreamAnalyticsRuntime);
  validateEnumValue(scope, 'logLevel', props.logLevel, 'StreamAnalyticsLogLevel', StreamAnalyticsLogLevel);
  validateEnumValue(
    scope,
    'metricsLevel',
    props.metricsLevel,
    'StreamAnalyticsMetricsLevel',
    StreamAnalyticsMetricsLevel,
  );
  if (props.applicationName !== undefined && !Token.isUnresolved(props.applicationName)) {
    if (typeof props.applicationName !== 'string' || !APPLICATION_NAME_PATTERN.test(props.applicationName)) {
      throw invalidProp(
        scope,
        'applicationName',
        'must be 1 to 128 letters, digits, underscores, hyphens and periods',
        props.applicationName,
      );
    }
  }
  validateIntegerInRange(scope, 'parallelism', props.parallelism, 1, Number.MAX_SAFE_INTEGER);
  validateIntegerInRange(scope, 'parallelismPerKpu', props.parallelismPerKpu, 1, MAX_PARALLELISM_PER_KPU);
  for (const prop of ['autoScalingEnabled', 'checkpointingEnabled', 'snapshotsEnabled'] as const) {
    validateBoolean(scope, prop, props[prop]);
  }
  warnAboutKpuQuota(scope, props.parallelism ?? 1, props.parallelismPerKpu ?? 1);

  const checkpointingEnabled = props.checkpointingEnabled ?? true;
  const checkpointIntervalMillis = millisInRange(
    scope,
    'checkpointInterval',
    props.checkpointInterval ?? DEFAULT_CHECKPOINT_INTERVAL,
    MIN_CHECKPOINT_INTERVAL,
    MAX_CHECKPOINT_INTERVAL,
  );
  const minPauseMillis = millisInRange(
    scope,
    'minPauseBetweenCheckpoints',
    props.minPauseBetweenCheckpoints ?? DEFAULT_MIN_PAUSE_BETWEEN_CHECKPOINTS,
    Duration.millis(0),
    MAX_CHECKPOINT_INTERVAL,
  );
  if (
    !checkpointingEnabled &&
    (props.checkpointInterval !== undefined || props.minPauseBetweenCheckpoints !== undefined)
  ) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:stream-analytics-checkpoint-settings-unused',
      'checkpointInterval and minPauseBetweenCheckpoints have no effect with checkpointingEnabled false',
    );
  }

  validatePercent(scope, 'cpuUtilizationAlarmThreshold', props.cpuUtilizationAlarmThreshold);
  validatePercent(scope, 'heapMemoryUtilizationAlarmThreshold', props.heapMemoryUtilizationAlarmThreshold);
  const lagThreshold = props.millisBehindLatestAlarmThreshold ?? DEFAULT_LAG_THRESHOLD;
  const lagThresholdMillis = validateLagThreshold(scope, props, lagThreshold);
  validatePropertyGroups(scope, props.propertyGroups);
  validateNetwork(scope, props);
  return {
    runtime: props.runtime ?? DEFAULT_RUNTIME,
    checkpointingEnabled,
    checkpointIntervalMillis,
    minPauseMillis,
    lagThreshold,
    lagThresholdMillis,
  };
}

function validateStream(scope: Construct, stream: unknown): asserts stream is kinesis.IStream {
  const candidate = stream as Partial<kinesis.IStream> | undefined;
  if (
    candidate === undefined ||
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.streamArn !== 'string' ||
    candidate.node === undefined
  ) {
    throw invalidProp(scope, 'stream', 'must be a Kinesis data stream (kinesis.IStream)', stream);
  }
}

/** The consumer must be one of this stream, compared as CloudFormation will see the ARNs. */
function validateConsumer(scope: Construct, props: StreamAnalyticsProps): void {
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
  if (
    JSON.stringify(stack.resolve(consumer.stream.streamArn)) !== JSON.stringify(stack.resolve(props.stream.streamArn))
  ) {
    throw invalidProp(
      scope,
      'enhancedFanOutConsumer',
      `must be a consumer of the given stream (${props.stream.node.path}), not of ${consumer.stream.node.path}`,
      consumer.node.path,
    );
  }
}

/** A Duration in whole milliseconds within `min..max`; a deploy-time value must be written in milliseconds. */
function millisInRange(scope: Construct, prop: string, value: Duration, min: Duration, max: Duration): number {
  const range = `between ${min.toHumanString()} and ${max.toHumanString()}, in whole milliseconds`;
  if (!(value instanceof Duration)) {
    throw invalidProp(scope, prop, `must be a Duration ${range}`, value);
  }
  if (value.isUnresolved()) {
    try {
      return value.toMilliseconds();
    } catch {
      throw invalidProp(
        scope,
        prop,
        'must be written in milliseconds when known only at deploy time (Duration.millis(...)): the template takes milliseconds',
        describeDuration(scope, value),
      );
    }
  }
  const millis = durationMillis(value);
  if (
    !Number.isFinite(millis) ||
    !Number.isInteger(millis) ||
    millis < min.toMilliseconds() ||
    millis > max.toMilliseconds()
  ) {
    throw invalidProp(scope, prop, `must be ${range}`, Number.isFinite(millis) ? value : value.toString());
  }
  return millis;
}

function validatePercent(scope: Construct, prop: string, value: number | undefined): void {
  validateNumberInRange(scope, prop, value, 1, 100);
}

/**
 * The lag alarm threshold: at least a second, and below the stream's retention when it is known (an
 * EncryptedStream or a kinesis.Stream of this app): the source is never further behind than that.
 */
function validateLagThreshold(scope: Construct, props: StreamAnalyticsProps, threshold: Duration): number {
  const prop = 'millisBehindLatestAlarmThreshold';
  const millis = millisInRange(scope, prop, threshold, Duration.seconds(1), Duration.hours(8760));
  const retentionHours = knownStreamRetentionHours(props.stream);
  if (retentionHours !== undefined && !Token.isUnresolved(millis) && millis >= retentionHours * 3_600_000) {
    throw invalidProp(
      scope,
      prop,
      `must be less than the stream's retention period (${formatNumber(retentionHours)} hours): records are gone by ` +
        'then, so the alarm would fire too late or never',
      threshold,
    );
  }
  return millis;
}

function warnAboutKpuQuota(scope: Construct, parallelism: number, parallelismPerKpu: number): void {
  if (Token.isUnresolved(parallelism) || Token.isUnresolved(parallelismPerKpu)) {
    return;
  }
  const kpus = Math.ceil(parallelism / parallelismPerKpu);
  if (kpus > DEFAULT_KPU_QUOTA) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:stream-analytics-kpu-quota',
      `parallelism ${formatNumber(parallelism)} at ${formatNumber(parallelismPerKpu)} per KPU needs ${formatNumber(kpus)} KPUs, ` +
        `more than the default quota of ${DEFAULT_KPU_QUOTA} per application: request a quota increase before deploying`,
    );
  }
}

function validatePropertyGroups(scope: Construct, groups: unknown): void {
  if (groups === undefined) {
    return;
  }
  if (typeof groups !== 'object' || groups === null || Array.isArray(groups)) {
    throw invalidProp(scope, 'propertyGroups', 'must map property group ids to maps of properties', groups);
  }
  const entries = Object.entries(groups as Record<string, unknown>);
  if (entries.length > MAX_PROPERTY_GROUPS - 1) {
    throw invalidProp(
      scope,
      'propertyGroups',
      `must have at most ${MAX_PROPERTY_GROUPS - 1} groups (the application takes ${MAX_PROPERTY_GROUPS}, and ${INPUT_PROPERTY_GROUP} is the construct's)`,
      `${entries.length} groups`,
    );
  }
  for (const [groupId, properties] of entries) {
    if (groupId === INPUT_PROPERTY_GROUP) {
      throw invalidProp(
        scope,
        'propertyGroups',
        `must not use the group id ${INPUT_PROPERTY_GROUP}: the construct fills it with the stream's ARN, name and Region`,
        groupId,
      );
    }
    if (!PROPERTY_GROUP_ID_PATTERN.test(groupId)) {
      throw invalidProp(
        scope,
        'propertyGroups',
        'group ids must be 1 to 50 letters, digits, underscores, periods and hyphens',
        groupId,
      );
    }
    const where = `propertyGroups.${groupId}`;
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      throw invalidProp(scope, where, 'must be a map of property names to string values', properties);
    }
    const pairs = Object.entries(properties as Record<string, unknown>);
    if (pairs.length > MAX_PROPERTIES_PER_GROUP) {
      throw invalidProp(
        scope,
        where,
        `must have at most ${MAX_PROPERTIES_PER_GROUP} properties`,
        `${pairs.length} properties`,
      );
    }
    for (const [key, value] of pairs) {
      if (key.length < 1 || key.length > MAX_PROPERTY_LENGTH) {
        throw invalidProp(
          scope,
          where,
          `property names must be 1 to ${formatNumber(MAX_PROPERTY_LENGTH)} characters`,
          key,
        );
      }
      if (typeof value === 'string' && Token.isUnresolved(value)) {
        continue;
      }
      if (typeof value !== 'string' || value.length < 1 || value.length > MAX_PROPERTY_LENGTH) {
        throw invalidProp(
          scope,
          `${where}.${key}`,
          `must be a string of 1 to ${formatNumber(MAX_PROPERTY_LENGTH)} characters`,
          value,
        );
      }
    }
  }
}

function validateNetwork(scope: Construct, props: StreamAnalyticsProps): void {
  validateReference(scope, 'vpc', props.vpc, 'vpcId', 'an ec2.IVpc');
  const groups = props.securityGroups;
  if (groups === undefined) {
    return;
  }
  if (!Array.isArray(groups) || groups.some((g) => typeof (g as ec2.ISecurityGroup)?.securityGroupId !== 'string')) {
    throw invalidProp(scope, 'securityGroups', 'must be a list of ec2.ISecurityGroup', groups);
  }
  if (groups.length < 1 || groups.length > MAX_SECURITY_GROUPS) {
    throw invalidProp(
      scope,
      'securityGroups',
      `must hold 1 to ${MAX_SECURITY_GROUPS} security groups`,
      `${groups.length} security groups`,
    );
  }
}
