import { Template } from 'aws-cdk-lib/assertions';
import { strictApp } from '../../harness/app';
import { expectCompliant } from '../../harness/compliance';
import { TelemetryBlueprint } from '../../src/blueprints/telemetry-blueprint';

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
