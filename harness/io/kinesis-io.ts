import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { chunk } from './batching';

/** One position report of a truck; `seq` counts its reports from 0. */
export interface TruckPosition {
  readonly truckId: string;
  readonly seq: number;
  readonly lat: number;
  readonly lon: number;
}

/** A record read back from a stream. */
export interface ReadRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly position: TruckPosition;
}

/**
 * Puts `perTruck` positions of each of `trucks` trucks, interleaved (every truck's first report,
 * then every truck's second, ...), partitioned by truck, in PutRecords calls of up to 500 records.
 * Records that PutRecords reports as failed are retried. Returns what was written, in order.
 */
export async function putPositions(
  kinesis: KinesisClient,
  streamName: string,
  trucks: number,
  perTruck: number,
): Promise<TruckPosition[]> {
  const positions: TruckPosition[] = [];
  for (let seq = 0; seq < perTruck; seq++) {
    for (let truck = 0; truck < trucks; truck++) {
      positions.push({ truckId: `truck-${truck}`, seq, lat: 47 + truck / 1000, lon: 8 + seq / 1000 });
    }
  }
  // One batch may not hold two reports of one truck out of order, so batches go one at a time.
  for (const batch of chunk(positions, 500)) {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 5) {
        throw new Error(`PutRecords kept failing for ${pending.length} records`);
      }
      const result = await kinesis.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records: pending.map((p) => ({ PartitionKey: p.truckId, Data: Buffer.from(JSON.stringify(p)) })),
        }),
      );
      // A failed record of a truck would put its later reports ahead of it: retry from the first failure on.
      const firstFailure = (result.Records ?? []).findIndex((r) => r.ErrorCode !== undefined);
      pending = firstFailure === -1 ? [] : pending.slice(firstFailure);
    }
  }
  return positions;
}

/** Reads every shard of the stream from its beginning (TRIM_HORIZON) to its current end. */
export async function readWholeStream(
  kinesis: KinesisClient,
  streamName: string,
): Promise<{ shardCount: number; records: ReadRecord[] }> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const records: ReadRecord[] = [];
  for (const shard of Shards) {
    const { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId!,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    let iterator = ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const record of page.Records ?? []) {
        records.push({
          shardId: shard.ShardId!,
          sequenceNumber: record.SequenceNumber!,
          partitionKey: record.PartitionKey!,
          position: JSON.parse(Buffer.from(record.Data!).toString('utf8')),
        });
      }
      // An open shard always returns a next iterator; an empty page means we reached its end.
      iterator = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
    }
  }
  return { shardCount: Shards.length, records };
}
