// The scenario of the telemetry blueprint: trucks report positions into the stream, partitioned by
// truck; every position must be read back once, each truck's in the order it sent them, by a reader
// starting from the beginning of the stream (TRIM_HORIZON). Then a sample of positions goes straight
// into the delivery stream and must land, complete, under the archive's data prefix.
// runTelemetry prints nothing: the blueprint's behaviour test asserts on its report; demoTelemetry is
// the main job's step.
import { PutRecordBatchCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { DescribeStreamSummaryCommand, KinesisClient, ListStreamConsumersCommand } from '@aws-sdk/client-kinesis';
import { DeleteBucketPolicyCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { chunk } from '../io/batching';
import { putPositions, readWholeStream } from '../io/kinesis-io';
import type { DeployedStack, LocalAws } from '../local-aws';
import { DeployedStacks, fmt, printResult, printRows, ReportRow, seconds } from '../report';

export interface TelemetryOptions {
  readonly kinesis: KinesisClient;
  readonly firehose: FirehoseClient;
  readonly s3: S3Client;
  readonly streamName: string;
  readonly deliveryStreamName: string;
  readonly bucketName: string;
  /** The archive's data prefix: where delivered objects must land. */
  readonly dataPrefix: string;
  /** @default 10000 */
  readonly trucks?: number;
  /** @default 2 */
  readonly positionsPerTruck?: number;
  /** Positions put straight into the delivery stream. @default 500 */
  readonly archiveSample?: number;
}

export interface TelemetryReport {
  readonly trucks: number;
  readonly written: number;
  readonly read: number;
  readonly shards: number;
  /** Positions written but never read back. */
  readonly missing: number;
  /** Positions read back more than once. */
  readonly duplicates: number;
  /** Trucks whose positions came back out of order. */
  readonly trucksOutOfOrder: number;
  /** Trucks whose positions were spread over more than one shard. */
  readonly trucksOnSeveralShards: number;
  readonly archiveSample: number;
  readonly archivedObjects: number;
  /** Objects whose key does not start with the data prefix. */
  readonly archivedOutsidePrefix: number;
  readonly archivedRecords: number;
  readonly streamMs: number;
  readonly archiveMs: number;
}

export async function runTelemetry(options: TelemetryOptions): Promise<TelemetryReport> {
  const trucks = options.trucks ?? 10_000;
  const perTruck = options.positionsPerTruck ?? 2;
  const streamStarted = Date.now();
  const written = await putPositions(options.kinesis, options.streamName, trucks, perTruck);
  const { shardCount, records } = await readWholeStream(options.kinesis, options.streamName);

  const seen = new Set<string>();
  let duplicates = 0;
  const sequences = new Map<string, number[]>();
  const shards = new Map<string, Set<string>>();
  for (const record of records) {
    const { truckId, seq } = record.position;
    const id = `${truckId}/${seq}`;
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    sequences.set(truckId, [...(sequences.get(truckId) ?? []), seq]);
    shards.set(truckId, (shards.get(truckId) ?? new Set()).add(record.shardId));
  }
  const inOrder = (seqs: number[]) => seqs.every((seq, i) => seq === i);
  const streamMs = Date.now() - streamStarted;

  const archiveStarted = Date.now();
  const sample = options.archiveSample ?? 500;
  const sampled = written.slice(0, sample);
  for (const batch of chunk(sampled, 500)) {
    await options.firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: options.deliveryStreamName,
        Records: batch.map((p) => ({ Data: Buffer.from(`${JSON.stringify(p)}\n`) })),
      }),
    );
  }
  const { Contents = [] } = await options.s3.send(new ListObjectsV2Command({ Bucket: options.bucketName }));
  // The local AWS is plain HTTP and enforces the bucket's TLS-only policy; lift it to read the objects back.
  await options.s3.send(new DeleteBucketPolicyCommand({ Bucket: options.bucketName }));
  let archivedRecords = 0;
  for (const object of Contents) {
    const body = await options.s3.send(new GetObjectCommand({ Bucket: options.bucketName, Key: object.Key! }));
    archivedRecords += (await body.Body!.transformToString()).split('\n').filter((line) => line.length > 0).length;
  }

  return {
    trucks,
    written: written.length,
    read: records.length,
    shards: shardCount,
    missing: written.filter((p) => !seen.has(`${p.truckId}/${p.seq}`)).length,
    duplicates,
    trucksOutOfOrder: [...sequences.values()].filter((seqs) => !inOrder(seqs)).length,
    trucksOnSeveralShards: [...shards.values()].filter((s) => s.size > 1).length,
    archiveSample: sampled.length,
    archivedObjects: Contents.length,
    archivedOutsidePrefix: Contents.filter((object) => !object.Key!.startsWith(options.dataPrefix)).length,
    archivedRecords,
    streamMs,
    archiveMs: Date.now() - archiveStarted,
  };
}

/** Why the scenario failed, one line per problem; empty when every position is accounted for. */
export function telemetryFailures(report: TelemetryReport): string[] {
  const failures: string[] = [];
  if (report.missing > 0) {
    failures.push(`${report.missing} of ${report.written} positions never read back`);
  }
  if (report.trucksOutOfOrder > 0) {
    failures.push(`${report.trucksOutOfOrder} trucks' positions read back out of order`);
  }
  if (report.trucksOnSeveralShards > 0) {
    failures.push(`${report.trucksOnSeveralShards} trucks' positions spread over several shards`);
  }
  if (report.archivedRecords !== report.archiveSample) {
    failures.push(
      `${report.archivedRecords} of ${report.archiveSample} positions put into Firehose reached the bucket`,
    );
  }
  if (report.archivedOutsidePrefix > 0) {
    failures.push(`${report.archivedOutsidePrefix} archived objects outside the data prefix`);
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// The scenario in the main job: the deployed TelemetryBlueprint, printed.

const DEMO_STACK = 'TelemetryBlueprint';
const DEMO_TRUCKS = 10_000;
const DEMO_POSITIONS_PER_TRUCK = 2;

export async function demoTelemetry(local: LocalAws, deployed: DeployedStacks): Promise<number> {
  const target = deployed.get(DEMO_STACK);
  const { StreamName, DeliveryStreamName, ArchiveBucketName } = target?.outputs ?? {};
  if (!StreamName || !DeliveryStreamName || !ArchiveBucketName) {
    console.error(`\n${DEMO_STACK} is missing or lacks an output the telemetry scenario needs.`);
    return 1;
  }
  console.log(
    `\nRunning the telemetry scenario on ${DEMO_STACK}: ${fmt(DEMO_TRUCKS)} trucks report ${DEMO_POSITIONS_PER_TRUCK} positions each, ` +
      'partitioned by truck; a reader replays the stream from the beginning, and a sample goes into the archive',
  );
  const report = await runTelemetry({
    kinesis: local.kinesis(),
    firehose: local.firehose(),
    s3: local.s3(),
    streamName: StreamName,
    deliveryStreamName: DeliveryStreamName,
    bucketName: ArchiveBucketName,
    dataPrefix: 'data/year=',
    trucks: DEMO_TRUCKS,
    positionsPerTruck: DEMO_POSITIONS_PER_TRUCK,
  });
  const rows: ReportRow[] = [
    ['written', fmt(report.written), `(${fmt(report.trucks)} trucks, ${report.shards} shard(s) in the local stream)`],
    ['read back', fmt(report.read), `(missing ${fmt(report.missing)}, duplicates ${fmt(report.duplicates)})`],
    ['out of order', fmt(report.trucksOutOfOrder), 'trucks whose positions came back out of order'],
    [
      'archived',
      fmt(report.archivedRecords),
      `of ${fmt(report.archiveSample)} put into Firehose, in ${fmt(report.archivedObjects)} object(s) under the data prefix`,
    ],
    [
      'time',
      seconds(report.streamMs + report.archiveMs),
      `(stream ${seconds(report.streamMs)}, archive ${seconds(report.archiveMs)})`,
    ],
  ];
  console.log('Telemetry scenario:');
  printRows(rows);
  const analyticsFailures = target!.outputs.TruckCountsStreamName
    ? await reportTruckCounts(local, target!, StreamName)
    : [];
  return printResult(
    [...telemetryFailures(report), ...analyticsFailures],
    'every position read back once, in order per truck; the archive sample landed whole under the prefix.',
  );
}

/**
 * What the local AWS shows of the per-truck counts application (StreamAnalytics): the stream it writes, its
 * enhanced fan-out consumer on the positions (registered through moto's Kinesis API, since moto's
 * CloudFormation has no model for consumers). What it cannot show is printed as such: moto's CloudFormation
 * does not create the Flink application or its logging option, and nothing runs Flink, so no count is made.
 */
async function reportTruckCounts(local: LocalAws, target: DeployedStack, positionsStream: string): Promise<string[]> {
  const failures: string[] = [];
  const kinesis = local.kinesis();
  const countsStream = target.outputs.TruckCountsStreamName;
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: countsStream }));
  const positions = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: positionsStream }));
  const consumers = await kinesis.send(
    new ListStreamConsumersCommand({ StreamARN: positions.StreamDescriptionSummary!.StreamARN! }),
  );
  const consumerNames = (consumers.Consumers ?? []).map((c) => c.ConsumerName).sort();
  if (!consumerNames.includes('truck-counts')) {
    failures.push(
      `the positions stream has no truck-counts consumer (consumers: ${consumerNames.join(', ') || 'none'})`,
    );
  }
  // moto's CloudFormation ignores StreamEncryption (the template's KMS encryption is proven offline instead).
  const encryption = summary.StreamDescriptionSummary!.EncryptionType;
  const notCreated = target.gaps.unfilled
    .filter((gap) => gap.type.startsWith('AWS::KinesisAnalyticsV2::'))
    .map((gap) => gap.type.replace('AWS::KinesisAnalyticsV2::', ''));
  console.log('Per-truck counts (StreamAnalytics, Flink 1.19, the example application built by Maven):');
  printRows([
    ['consumers', String(consumerNames.length), `on the positions stream: ${consumerNames.join(', ')}`],
    [
      'counts out',
      String(summary.StreamDescriptionSummary!.OpenShardCount),
      `shard(s) of ${countsStream} (encryption ${encryption}: moto's CloudFormation ignores StreamEncryption)`,
    ],
    [
      'not shown',
      String(notCreated.length),
      `moto creates no ${notCreated.join(' or ')}; Flink is not run, so no count is made`,
    ],
  ]);
  return failures;
}
