/** What a reader with shard iterators needs on a stream (GetRecords and friends); no wildcard. */
export const STREAM_READ_ACTIONS = [
  'kinesis:GetShardIterator',
  'kinesis:GetRecords',
  'kinesis:ListShards',
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
];
