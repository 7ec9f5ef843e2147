import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { DeleteBucketPolicyCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { chunk } from '../harness/io/batching';
import { putPositions, readWholeStream, TruckPosition } from '../harness/io/kinesis-io';
import { DeployedStack, deployStack } from '../harness/local-aws';
import { useLocalAws } from '../harness/local-aws/jest';
import { EncryptedStream } from '../src/encrypted-stream';
import { StreamToS3 } from '../src/stream-to-s3';

// Behaviour on the embedded local AWS (moto), deployed from the synthesized template of a stream
// delivered to S3. moto models Kinesis ordering per shard and replay, and writes what is put into
// a delivery stream to S3; it does not model Firehose reading from the Kinesis source (the README
// says so), nor encryption, nor the !{timestamp} expressions of prefixes (it uses them literally).
const local = useLocalAws();

const TRUCKS = 12;
const POSITIONS_PER_TRUCK = 25;

let deployed: DeployedStack;
let streamName: string;
let stack: Stack;
let delivery: StreamToS3;

beforeAll(async () => {
  stack = new Stack(new App(), 'Telemetry', { env: { account: local().account, region: local().region } });
  const stream = new EncryptedStream(stack, 'Positions', { shardCount: 3 });
  delivery = new StreamToS3(stack, 'Archive', { stream });
  deployed = await deployStack(local(), stack);
  streamName = deployed.byPath('Telemetry/Positions/Stream');
});

describe('the stream', () => {
  let written: TruckPosition[];
  let firstRead: Awaited<ReturnType<typeof readWholeStream>>;

  beforeAll(async () => {
    written = await putPositions(local().kinesis(), streamName, TRUCKS, POSITIONS_PER_TRUCK);
    firstRead = await readWholeStream(local().kinesis(), streamName);
  });

  test('spreads the trucks over several shards, each truck on one shard', () => {
    const shardsPerTruck = new Map<string, Set<string>>();
    for (const record of firstRead.records) {
      const shards = shardsPerTruck.get(record.position.truckId) ?? new Set();
      shards.add(record.shardId);
      shardsPerTruck.set(record.position.truckId, shards);
    }
    expect(firstRead.shardCount).toBe(3);
    expect([...shardsPerTruck.values()].every((shards) => shards.size === 1)).toBe(true);
    expect(new Set(firstRead.records.map((r) => r.shardId)).size).toBeGreaterThan(1);
  });

  test("keeps every truck's positions in the order they were put", () => {
    for (let truck = 0; truck < TRUCKS; truck++) {
      const truckId = `truck-${truck}`;
      const sequence = firstRead.records.filter((r) => r.position.truckId === truckId).map((r) => r.position.seq);
      expect(sequence).toEqual(Array.from({ length: POSITIONS_PER_TRUCK }, (_, seq) => seq));
    }
  });

  test('a second reader replays the stream from the beginning (TRIM_HORIZON) and sees every record', async () => {
    const secondRead = await readWholeStream(local().kinesis(), streamName);
    expect(secondRead.records).toHaveLength(written.length);
    expect(secondRead.records.map((r) => r.sequenceNumber)).toEqual(firstRead.records.map((r) => r.sequenceNumber));
  });
});

describe('the delivery stream', () => {
  test('records put into it land in the bucket under the data prefix; reading them without TLS is denied', async () => {
    const deliveryStreamName = deployed.byPath('Telemetry/Archive/Resource');
    const bucketName = deployed.byPath('Telemetry/Archive/Bucket');
    const positions = Array.from({ length: 40 }, (_, seq) => ({ truckId: 'truck-direct', seq }));
    for (const batch of chunk(positions, 20)) {
      const result = await local()
        .firehose()
        .send(
          new PutRecordBatchCommand({
            DeliveryStreamName: deliveryStreamName,
            Records: batch.map((p) => ({ Data: Buffer.from(`${JSON.stringify(p)}\n`) })),
          }),
        );
      expect(result.FailedPutCount).toBe(0);
    }

    const { Contents = [] } = await local()
      .s3()
      .send(new ListObjectsV2Command({ Bucket: bucketName }));
    const keys = Contents.map((object) => object.Key!);
    expect(keys.length).toBeGreaterThan(0);
    // The configured prefix, which moto uses literally (AWS would substitute the timestamp expressions).
    const prefix = stack.resolve((delivery.node.defaultChild as any).extendedS3DestinationConfiguration.prefix);
    expect(keys.every((key) => key.startsWith(prefix))).toBe(true);

    // The endpoint of the local AWS is plain HTTP, and moto enforces the bucket policy's TLS-only deny.
    await expect(
      local()
        .s3()
        .send(new GetObjectCommand({ Bucket: bucketName, Key: keys[0] })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    // To read what was delivered, the test (not the construct) lifts the policy.
    await local()
      .s3()
      .send(new DeleteBucketPolicyCommand({ Bucket: bucketName }));
    const bodies = await Promise.all(
      keys.map(async (key) => {
        const object = await local()
          .s3()
          .send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
        return object.Body!.transformToString();
      }),
    );
    const delivered = bodies
      .join('')
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line).seq as number)
      .sort((a, b) => a - b);
    expect(delivered).toEqual(positions.map((p) => p.seq));
  });
});

describe('removalPolicy', () => {
  /** Deploys a stream alone, deletes its stack, and tells whether the stream outlived it. */
  async function streamOutlivesItsStack(removalPolicy?: RemovalPolicy): Promise<boolean> {
    const name = `Removal${removalPolicy ?? 'Default'}`;
    const removalStack = new Stack(new App(), name, { env: { account: local().account, region: local().region } });
    new EncryptedStream(removalStack, 'Positions', { removalPolicy });
    const removal = await deployStack(local(), removalStack);
    const deployedName = removal.byPath(`${name}/Positions/Stream`);
    await removal.destroy();
    const { StreamNames = [] } = await local().kinesis().send(new ListStreamsCommand({}));
    return StreamNames.includes(deployedName);
  }

  test('the stream outlives its stack by default (RETAIN), and goes with it under DESTROY', async () => {
    expect(await streamOutlivesItsStack()).toBe(true);
    expect(await streamOutlivesItsStack(RemovalPolicy.DESTROY)).toBe(false);
  });
});
