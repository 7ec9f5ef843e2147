import { App } from 'aws-cdk-lib';
import { deployStack } from '../../harness/local-aws';
import { useLocalAws } from '../../harness/local-aws/jest';
import { runTelemetry, telemetryFailures } from '../../harness/scenarios/telemetry';
import { TelemetryBlueprint } from '../../src/blueprints/telemetry-blueprint';

// The telemetry scenario of the main job, on the blueprint deployed into the embedded local AWS.
const local = useLocalAws();

test('1,000 trucks, 3 positions each: all read back in order per truck; a sample archived under the prefix', async () => {
  const stack = new TelemetryBlueprint(new App(), 'TelemetryBlueprint', {
    env: { account: local().account, region: local().region },
  });
  const deployed = await deployStack(local(), stack);

  const report = await runTelemetry({
    kinesis: local().kinesis(),
    firehose: local().firehose(),
    s3: local().s3(),
    streamName: deployed.outputs.StreamName,
    deliveryStreamName: deployed.outputs.DeliveryStreamName,
    bucketName: deployed.outputs.ArchiveBucketName,
    dataPrefix: 'data/year=',
    trucks: 1000,
    positionsPerTruck: 3,
    archiveSample: 200,
  });

  expect(telemetryFailures(report)).toEqual([]);
  expect(report).toMatchObject({ written: 3000, read: 3000, missing: 0, duplicates: 0, archivedRecords: 200 });
});
