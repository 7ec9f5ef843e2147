import { Duration } from 'aws-cdk-lib';

/**
 * What Amazon Managed Service for Apache Flink allows, with where AWS says so. Checked at synth by
 * StreamAnalytics; the sources are cited once, here.
 */

/**
 * ParallelismPerKPU: "The default is 1, and the maximum is 8" (Managed Service for Apache Flink Developer
 * Guide, "Implement application scaling", https://docs.aws.amazon.com/managed-flink/latest/java/how-scaling.html).
 */
export const MAX_PARALLELISM_PER_KPU = 8;

/**
 * "Your application's default limit for KPUs is 64" and "the limit for Parallelism is equal to ParallelismPerKPU
 * times the limit for KPUs" (same page); the KPU limit can be raised on request, so going past it is a warning,
 * not an error. Allocated KPUs = Parallelism / ParallelismPerKPU.
 */
export const DEFAULT_KPU_QUOTA = 64;

/**
 * CheckpointInterval: "Valid Range: Minimum value of 1" millisecond, 60,000 under the DEFAULT configuration;
 * MinPauseBetweenCheckpoints: minimum 0, 5,000 by default (API reference, "CheckpointConfiguration",
 * https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_CheckpointConfiguration.html). Apache Flink itself
 * refuses an interval below 10 ms (`CheckpointConfig.MINIMAL_CHECKPOINT_TIME`), which is the stricter minimum.
 */
export const MIN_CHECKPOINT_INTERVAL = Duration.millis(10);
export const DEFAULT_CHECKPOINT_INTERVAL = Duration.minutes(1);
export const DEFAULT_MIN_PAUSE_BETWEEN_CHECKPOINTS = Duration.seconds(5);
/** No documented maximum: a day, so that a typo in units (`Duration.days(60)`) is caught. */
export const MAX_CHECKPOINT_INTERVAL = Duration.days(1);

/**
 * ApplicationName: 1 to 128 characters, `[a-zA-Z0-9_.-]+` (API reference, "CreateApplication",
 * https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_CreateApplication.html).
 */
export const APPLICATION_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,128}$/;

/**
 * EnvironmentProperties: at most 50 property groups; PropertyGroupId 1 to 50 characters of `[a-zA-Z0-9_.-]`;
 * at most 50 properties per group; keys and values 1 to 2,048 characters (AWS::KinesisAnalyticsV2::Application
 * schema, "PropertyGroup", and the API reference, "PropertyGroup",
 * https://docs.aws.amazon.com/managed-flink/latest/apiv2/API_PropertyGroup.html).
 */
export const MAX_PROPERTY_GROUPS = 50;
export const PROPERTY_GROUP_ID_PATTERN = /^[a-zA-Z0-9_.-]{1,50}$/;
export const MAX_PROPERTIES_PER_GROUP = 50;
export const MAX_PROPERTY_LENGTH = 2048;

/**
 * VpcConfiguration: 1 to 16 subnets and 1 to 5 security groups (AWS::KinesisAnalyticsV2::Application schema,
 * "VpcConfiguration"; API reference, "VpcConfiguration").
 */
export const MAX_SUBNETS = 16;
export const MAX_SECURITY_GROUPS = 5;

/**
 * The permissions a service execution role needs for an application in a VPC ("Application permissions to
 * access Amazon VPC resources", https://docs.aws.amazon.com/managed-flink/latest/java/vpc-permissions.html).
 * The Describe actions take no resource (Service Authorization Reference for Amazon EC2); the network
 * interface actions are scoped in the policy to the application's subnets and security groups and to network
 * interfaces, whose ids the service chooses.
 */
export const VPC_DESCRIBE_ACTIONS = [
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeNetworkInterfaces',
];

/**
 * The role's CloudWatch Logs permissions as the Developer Guide gives them ("Create and run the application
 * (CLI)" and "Set up application logging in Managed Service for Apache Flink",
 * https://docs.aws.amazon.com/managed-flink/latest/java/cloudwatch-logs.html): `logs:DescribeLogGroups` on the
 * account's log groups (the action lists log groups and cannot be scoped to one), `logs:DescribeLogStreams` on
 * the application's log group, `logs:PutLogEvents` on its log stream only.
 */
export const LOG_STREAM_NAME = 'kinesis-analytics-log-stream';

/**
 * Namespace and dimension of the application's metrics ("Metrics and dimensions in Managed Service for Apache
 * Flink", https://docs.aws.amazon.com/managed-flink/latest/java/metrics-dimensions.html).
 */
export const METRIC_NAMESPACE = 'AWS/KinesisAnalytics';
export const APPLICATION_DIMENSION = 'Application';
