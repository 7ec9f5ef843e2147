import { DescribeDeliveryStreamCommand, PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { DeleteBucketPolicyCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { chunk } from '../harness/io/batching';
import { DeployedStack, deployStack } from '../harness/local-aws';
import { useLocalAws } from '../harness/local-aws/jest';
import { StreamToS3, StreamToS3Schema, StreamToS3Source } from '../src/stream-to-s3';

// Behaviour on the embedded local AWS (moto), deployed from the synthesized template of a StreamToS3 whose
// producers write to the delivery stream directly. moto models direct PUT into S3: each PutRecord(Batch) call
// becomes one object under the configured prefix (used literally: moto evaluates no !{...} expression and
// appends its own yyyy/MM/dd/HH folders), with the records concatenated as they were put. It does not model
// buffering, compression, server-side encryption (it answers Encrypted: false), IAM, a Lambda processor, record
// format conversion or dynamic partitioning: the last test shows it accepts such a configuration and writes the
// records untouched. Those are proven offline instead (template assertions and access proofs).
const local = useLocalAws();

interface Position {
  readonly truckId: string;
  readonly seq: number;
}

async function putBatches(deliveryStreamName: string, positions: Position[], batchSize: number): Promise<void> {
  for (const batch of chunk(positions, batchSize)) {
    const result = await local()
      .firehose()
      .send(
        new PutRecordBatchCommand({
          DeliveryStreamName: deliveryStreamName,
          // Newline-terminated JSON: Firehose concatenates records as they arrive.
          Records: batch.map((p) => ({ Data: Buffer.from(`${JSON.stringify(p)}\n`) })),
        }),
      );
    expect(result.FailedPutCount).toBe(0);
  }
}

/** Every object of the bucket, key and body; the test (not the construct) lifts the TLS-only policy to read them. */
async function objectsOf(bucketName: string): Promise<Array<{ key: string; body: string }>> {
  const { Contents = [] } = await local()
    .s3()
    .send(new ListObjectsV2Command({ Bucket: bucketName }));
  await local()
    .s3()
    .send(new DeleteBucketPolicyCommand({ Bucket: bucketName }));
  return Promise.all(
    Contents.map(async ({ Key }) => {
      const object = await local()
        .s3()
        .send(new GetObjectCommand({ Bucket: bucketName, Key }));
      return { key: Key!, body: await object.Body!.transformToString() };
    }),
  );
}

describe('a direct-PUT StreamToS3', () => {
  let stack: Stack;
  let delivery: StreamToS3;
  let deployed: DeployedStack;
  let deliveryStreamName: string;

  beforeAll(async () => {
    stack = new Stack(new App(), 'Ingest', { env: { account: local().account, region: local().region } });
    delivery = new StreamToS3(stack, 'Archive', { source: StreamToS3Source.DIRECT_PUT });
    deployed = await deployStack(local(), stack);
    deliveryStreamName = deployed.byPath('Ingest/Archive/Resource');
  });

  test('deploys a DirectPut delivery stream encrypted with its own customer-managed key, and no stream', async () => {
    const { DeliveryStreamDescription: description } = await local()
      .firehose()
      .send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: deliveryStreamName }));
    expect(description?.DeliveryStreamType).toBe('DirectPut');
    const keyId = deployed.byPath('Ingest/Archive/DeliveryStreamKey');
    expect(description?.DeliveryStreamEncryptionConfiguration).toMatchObject({
      KeyType: 'CUSTOMER_MANAGED_CMK',
      KeyARN: expect.stringContaining(keyId),
    });
    const { StreamNames = [] } = await local().kinesis().send(new ListStreamsCommand({}));
    expect(StreamNames).toEqual([]);
  });

  test('records put in batches land in the bucket under the data prefix, each once, in the order of each call', async () => {
    const positions = Array.from({ length: 600 }, (_, seq) => ({ truckId: `truck-${seq % 7}`, seq }));
    await putBatches(deliveryStreamName, positions, 200);
    const single = await local()
      .firehose()
      .send(
        new PutRecordCommand({
          DeliveryStreamName: deliveryStreamName,
          Record: { Data: Buffer.from(`${JSON.stringify({ truckId: 'truck-single', seq: 600 })}\n`) },
        }),
      );
    expect(single.RecordId).toBeDefined();

    const objects = await objectsOf(deployed.byPath('Ingest/Archive/Bucket'));
    // moto writes one object per call (AWS would buffer them into fewer).
    expect(objects).toHaveLength(4);
    // The configured prefix, which moto uses literally (AWS substitutes the timestamp expressions).
    const prefix = stack.resolve(
      (delivery.node.defaultChild as firehose.CfnDeliveryStream).extendedS3DestinationConfiguration,
    ).prefix as string;
    expect(objects.every(({ key }) => key.startsWith(prefix))).toBe(true);
    const delivered = objects.flatMap(({ body }) =>
      body
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Position),
    );
    expect(delivered.map((p) => p.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 601 }, (_, i) => i));
    // Within each object, the records are in the order they were put.
    for (const { body } of objects) {
      const seqs = body
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => (JSON.parse(line) as Position).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  test("the gaps: what moto's CloudFormation skipped and local-aws re-created, or left out on purpose", () => {
    expect(deployed.gaps.filled.map((gap) => gap.type)).toContain('AWS::KinesisFirehose::DeliveryStream');
    const unfilled = new Set(deployed.gaps.unfilled.map((gap) => gap.type));
    expect(unfilled.has('AWS::CloudWatch::Alarm')).toBe(true);
  });
});

describe('processing, conversion and dynamic partitioning on the local AWS', () => {
  test('moto accepts the configuration but models none of them: records land as they were put, under the literal prefix', async () => {
    const stack = new Stack(new App(), 'Partitioned', { env: { account: local().account, region: local().region } });
    new StreamToS3(stack, 'Archive', {
      source: StreamToS3Source.DIRECT_PUT,
      processor: lambda.Function.fromFunctionArn(
        stack,
        'Enrich',
        `arn:aws:lambda:${local().region}:${local().account}:function:enrich`,
      ),
      dynamicPartitionKeys: { truck: '.truckId' },
      outputFormat: firehose.OutputFormat.PARQUET,
      schema: StreamToS3Schema.fromGlueTable({ databaseName: 'telemetry', tableName: 'positions' }),
    });
    const deployed = await deployStack(local(), stack);
    const name = deployed.byPath('Partitioned/Archive/Resource');
    const { DeliveryStreamDescription: description } = await local()
      .firehose()
      .send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    expect(JSON.stringify(description?.Destinations)).toContain('MetadataExtraction');

    const positions = Array.from({ length: 20 }, (_, seq) => ({ truckId: `truck-${seq % 2}`, seq }));
    await putBatches(name, positions, 20);
    const objects = await objectsOf(deployed.byPath('Partitioned/Archive/Bucket'));
    expect(objects).toHaveLength(1);
    // On AWS: one object per truck under data/truck=truck-0/... and data/truck=truck-1/..., in Parquet, after
    // the processor. moto: one object, the expression left in the key, the JSON untouched.
    expect(objects[0].key.startsWith('data/truck=!{partitionKeyFromQuery:truck}/')).toBe(true);
    expect(objects[0].body.split('\n').filter((l) => l.length > 0)).toHaveLength(20);
  });
});
