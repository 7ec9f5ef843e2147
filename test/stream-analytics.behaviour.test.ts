import { DescribeKeyCommand, GetKeyRotationStatusCommand } from '@aws-sdk/client-kms';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { customerPoliciesOfRole, destroyOrReset } from './queue-processing-function.fixtures';
import { TEST_CODE_DIR } from './stream-analytics.fixtures';
import { deployStack } from '../harness/local-aws';
import { useLocalAws } from '../harness/local-aws/jest';
import { EncryptedStream } from '../src/encrypted-stream';
import { StreamAnalytics, StreamAnalyticsCode } from '../src/stream-analytics';

// StreamAnalytics deployed into the embedded local AWS (moto 5.2.5), from its real synthesized template.
//
// What moto creates, and this file shows: the service execution role and its customer-managed policy
// (read-only on the stream, decrypt with its key, the code object, the application's own log stream), the
// log group and its key, and the stream.
//
// What moto does not create, and this file asserts is reported as such: the application itself
// (AWS::KinesisAnalyticsV2::Application: moto 5.2.5 has a kinesisanalyticsv2 API that stores an application
// record, with no CloudFormation model and nothing that runs Flink), its logging option
// (AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption), its log stream (AWS::Logs::LogStream) and the
// alarms (never evaluated by moto). Flink is not run or simulated: checkpoints, snapshots, scaling, the Kinesis
// source and the metrics the alarms watch exist only in AWS. The role's permissions are proven offline in
// stream-analytics.access.test.ts; what the application is configured with, in stream-analytics.test.ts.
const local = useLocalAws();

function newStack(name: string): Stack {
  return new Stack(new App(), name, { env: { account: local().account, region: local().region } });
}

describe('StreamAnalytics in the local AWS', () => {
  test('moto creates the role, its policy, the log group and its key; the application is reported as not created', async () => {
    const stack = newStack('TruckCounts');
    const telemetry = new EncryptedStream(stack, 'Telemetry', { shardCount: 1 });
    const app = new StreamAnalytics(stack, 'Analytics', {
      stream: telemetry,
      code: StreamAnalyticsCode.fromAsset(TEST_CODE_DIR),
      applicationName: 'truck-counts',
    });
    const template = Template.fromStack(stack).toJSON();
    const deployed = await deployStack(local(), stack);
    try {
      // Created by moto.
      const roleName = deployed.byPath('TruckCounts/Analytics/Role');
      const [document] = await customerPoliciesOfRole(local(), roleName);
      expect(document.Statement.map((s: any) => s.Action)).toEqual([
        [
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:ListShards',
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
        ],
        'kms:Decrypt',
        's3:GetObject',
        'logs:DescribeLogGroups',
        'logs:DescribeLogStreams',
        'logs:PutLogEvents',
      ]);
      expect(document.Statement[5].Resource).toBe(
        `arn:aws:logs:${local().region}:${local().account}:log-group:/aws/kinesis-analytics/truck-counts:log-stream:kinesis-analytics-log-stream`,
      );
      expect(deployed.byPath('TruckCounts/Analytics/LogGroup')).toBe('/aws/kinesis-analytics/truck-counts');
      const keyId = deployed.byPath('TruckCounts/Analytics/LogKey');
      const { KeyMetadata } = await local()
        .kms()
        .send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(KeyMetadata?.KeyState).toBe('Enabled');
      const { KeyRotationEnabled } = await local()
        .kms()
        .send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
      expect(KeyRotationEnabled).toBe(true);
      expect(deployed.byPath('TruckCounts/Telemetry/Stream')).toMatch(/^TruckCounts-TelemetryStream/);

      // Not created, and reported: exactly the application, its logging option, its log stream and its alarms.
      const ours = deployed.resources.filter((r) => (r.path ?? '').startsWith('TruckCounts/Analytics/'));
      expect(ours.length).toBe(Object.keys(template.Resources).filter((id) => id.startsWith('Analytics')).length);
      const notCreated = deployed.gaps.unfilled
        .filter((gap) => ours.some((r) => r.logicalId === gap.logicalId))
        .map((gap) => gap.type)
        .sort();
      expect(notCreated).toEqual(
        [
          'AWS::CloudWatch::Alarm',
          'AWS::CloudWatch::Alarm',
          'AWS::CloudWatch::Alarm',
          'AWS::CloudWatch::Alarm',
          'AWS::CloudWatch::Alarm',
          'AWS::KinesisAnalyticsV2::Application',
          'AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption',
          'AWS::Logs::LogStream',
        ].sort(),
      );
      const application = deployed.gaps.unfilled.find((gap) => gap.type === 'AWS::KinesisAnalyticsV2::Application');
      expect(application).toMatchObject({
        logicalId: Stack.of(app).getLogicalId(app.node.defaultChild as any),
        failed: false,
        reason:
          "moto's CloudFormation does not create AWS::KinesisAnalyticsV2::Application and local-aws has no filler for it.",
      });
      // Everything else of the construct exists in moto.
      const created = ours.filter((r) => !deployed.gaps.unfilled.some((gap) => gap.logicalId === r.logicalId));
      expect(created.map((r) => r.type).sort()).toEqual(
        ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::KMS::Key', 'AWS::Logs::LogGroup'].sort(),
      );
    } finally {
      await destroyOrReset(local(), deployed);
    }
  });
});
