import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import {
  AccessRequest,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  resolveIntrinsics,
} from '../../harness/access';
import { logicalId, strictApp } from '../../harness/app';
import { expectCompliant } from '../../harness/compliance';
import { TelemetryBlueprint } from '../../src/blueprints/telemetry-blueprint';
import { StreamAnalyticsCode } from '../../src/stream-analytics';
import { TEST_CODE_DIR } from '../stream-analytics.fixtures';

describe('TelemetryBlueprint', () => {
  const app = strictApp();
  const stack = new TelemetryBlueprint(app, 'TelemetryBlueprint', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const template = Template.fromStack(stack);

  test('an on-demand position stream kept 7 days, a live-map consumer, archived within a minute', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      RetentionPeriodHours: 168,
    });
    template.hasResourceProperties('AWS::Kinesis::StreamConsumer', { ConsumerName: 'live-map' });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: { BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 } },
    });
  });

  test('outputs the stream, the delivery stream, the archive bucket and the alarm topic', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual([
      'StreamName',
      'DeliveryStreamName',
      'ArchiveBucketName',
      'AlarmTopicArn',
    ]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('TelemetryBlueprint with the per-truck counts application', () => {
  const app = strictApp();
  const stack = new TelemetryBlueprint(app, 'TelemetryBlueprint', {
    env: { account: '123456789012', region: 'us-east-1' },
    truckCountsCode: StreamAnalyticsCode.fromAsset(TEST_CODE_DIR),
  });
  const template = Template.fromStack(stack);

  test('a Flink 1.19 application reads the positions through its own consumer and is told where to write', () => {
    template.hasResourceProperties('AWS::Kinesis::StreamConsumer', { ConsumerName: 'truck-counts' });
    template.resourceCountIs('AWS::Kinesis::Stream', 2);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      ShardCount: 1,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
    const application = Object.values(template.findResources('AWS::KinesisAnalyticsV2::Application'));
    expect(application).toHaveLength(1);
    const properties = application[0].Properties;
    expect(properties.RuntimeEnvironment).toBe('FLINK-1_19');
    const groups = Object.fromEntries(
      properties.ApplicationConfiguration.EnvironmentProperties.PropertyGroups.map((g: any) => [
        g.PropertyGroupId,
        g.PropertyMap,
      ]),
    );
    expect(groups['kinesis.analytics.flink.run.options']).toEqual({
      python: 'main.py',
      jarfile: 'lib/truck-counts-connectors.jar',
    });
    expect(groups.TruckCounts).toEqual({ 'sink.stream.name': { Ref: logicalId(stack.truckCountsStream!.stream) } });
    expect(groups.InputStream['efo.consumer.name']).toBeDefined();
  });

  test('outputs the application and its counts stream too', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual([
      'TruckCountsApplicationName',
      'TruckCountsStreamName',
      'StreamName',
      'DeliveryStreamName',
      'ArchiveBucketName',
      'AlarmTopicArn',
    ]);
  });

  test('passes the five compliance packs, the decoupling rules and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  describe("the application's role (access proofs from the synthesized policies)", () => {
    let f: Awaited<ReturnType<typeof principals>>;
    async function principals() {
      const json = template.toJSON();
      const attr = (construct: IConstruct, attribute: string) =>
        resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), attribute] }, json);
      const key = async (k: IConstruct) => ({
        arn: await attr(k, 'Arn'),
        policy: await keyPolicyFor(json, logicalId(k)),
      });
      const role = stack.truckCounts!.role;
      return {
        app: { arn: await attr(role, 'Arn'), policies: await identityPoliciesFor(json, logicalId(role)) },
        positions: { arn: await attr(stack.positions.stream, 'Arn'), key: await key(stack.positions.encryptionKey!) },
        counts: {
          arn: await attr(stack.truckCountsStream!.stream, 'Arn'),
          key: await key(stack.truckCountsStream!.encryptionKey!),
        },
      };
    }
    beforeAll(async () => {
      f = await principals();
    });
    const asApp = (action: string, target: { arn: string; policy?: object }): AccessRequest => ({
      principal: f.app.arn,
      action,
      resource: target.arn,
      resourcePolicy: target.policy,
      identityPolicies: f.app.policies,
    });

    test('may write the counts stream and encrypt for it', async () => {
      await expectAllowed(asApp('kinesis:PutRecords', f.counts));
      await expectAllowed(asApp('kms:GenerateDataKey', f.counts.key));
    });

    test('may read the positions but never write them', async () => {
      await expectAllowed(asApp('kinesis:GetRecords', f.positions));
      await expectDenied(asApp('kinesis:PutRecords', f.positions));
      await expectDenied(asApp('kms:GenerateDataKey', f.positions.key));
    });

    test('may not read the counts stream back', async () => {
      await expectDenied(asApp('kinesis:GetRecords', f.counts));
    });
  });
});
