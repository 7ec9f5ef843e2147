/** What a reader with shard iterators needs on a stream (GetRecords and friends); no wildcard. */
export const STREAM_READ_ACTIONS = [
  'kinesis:GetShardIterator',
  'kinesis:GetRecords',
  'kinesis:ListShards',
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
];

/**
 * What a KCL worker needs on the stream it reads, exactly as the Kinesis Data Streams developer guide lists
 * it ("IAM permissions required for KCL consumer applications",
 * https://docs.aws.amazon.com/streams/latest/dev/kcl-iam-permissions.html). KCL 2.x and 3.x read with
 * enhanced fan-out by default, so a worker registers its own consumer (`RegisterStreamConsumer`, on the
 * stream) and subscribes through it (the consumer actions below, on `<stream ARN>/consumer/*`).
 */
export const KCL_STREAM_ACTIONS = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:RegisterStreamConsumer',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
];

/** What a KCL worker needs on the consumers of the stream (same guide): enhanced fan-out reads. */
export const KCL_CONSUMER_ACTIONS = ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'];

/**
 * Enhanced fan-out consumers a stream takes: "With On-demand Advantage streams, you can register up to 50
 * consumers per stream ... With On-demand Standard and Provisioned streams, you can register up to 20"
 * (RegisterStreamConsumer, Amazon Kinesis Data Streams API reference,
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_RegisterStreamConsumer.html).
 */
export const CONSUMERS_PER_STREAM = 20;
export const CONSUMERS_PER_ON_DEMAND_ADVANTAGE_STREAM = 50;

/**
 * "Only 5 consumers can be created simultaneously ... Registering a 6th consumer while there are 5 in a
 * CREATING status results in a LimitExceededException" (same API reference). CloudFormation creates the
 * consumers of a template in parallel, so each consumer past the fifth waits for the one five before it.
 */
export const CONSUMERS_CREATING_AT_ONCE = 5;
