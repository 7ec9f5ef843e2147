import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addBlueprints } from '../../app/blueprints';
import { availabilityZoneContext, logicalId, strictApp } from '../../harness/app';
import { complianceFindings, expectCompliant } from '../../harness/compliance';
import { BacklogCapacityModel } from '../../src/backlog-capacity-model';
import { VideoEncodingBlueprint, VideoEncodingBlueprintProps } from '../../src/blueprints/video-encoding-blueprint';
import { StreamAnalyticsCode } from '../../src/stream-analytics';
import { TEST_CODE_DIR } from '../stream-analytics.fixtures';

const ENV = { account: '123456789012', region: 'us-east-1' };

function blueprint(
  props: VideoEncodingBlueprintProps = {},
  app: App = strictApp(availabilityZoneContext(ENV.account, ENV.region)),
) {
  const stack = new VideoEncodingBlueprint(app, 'VideoEncodingBlueprint', { env: ENV, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

function acknowledgedIds(stack: Stack): string[] {
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as object).map((k) => k.replace(/^annotation::/i, '')));
}

describe('VideoEncodingBlueprint', () => {
  const { app, stack, template } = blueprint();

  test('encoders aim for 20 minutes of wait ÷ 2 minutes per video = 10 waiting videos each, 0 to 20 of them', () => {
    expect(stack.encoders.backlogPerInstanceTarget).toBe(10);
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      TargetTrackingConfiguration: Match.objectLike({ TargetValue: 10 }),
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '0', MaxSize: '20' });
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 2);
  });

  test('the capacity model explains a spike of 1,000 videos: 20 encoders (capped from 100) drain it in 100 minutes', () => {
    const model = new BacklogCapacityModel({ backlogPerInstanceTarget: 10, maxCapacity: 20 });
    expect(Math.ceil(1000 / 10)).toBe(100);
    expect(model.desiredCapacity(1000, 1)).toBe(20);
    expect(BacklogCapacityModel.drainTime(1000, 20, Duration.minutes(2)).toMinutes()).toBe(100);
    // The usual 10 videos need one encoder, done in 20 minutes: the acceptable latency.
    expect(model.desiredCapacity(10, 1)).toBe(1);
    expect(BacklogCapacityModel.drainTime(10, 1, Duration.minutes(2)).toMinutes()).toBe(20);
  });

  test('the job queue is KMS-encrypted and its 15-minute timeout covers one encoding', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 900,
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.jobs.encryptionKey!), 'Arn'] },
      RedrivePolicy: { maxReceiveCount: 5 },
    });
  });

  test('the VPC has two isolated subnets and no way to the internet', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    expect(Object.values(template.findResources('AWS::EC2::Subnet')).map((s) => s.Properties.AvailabilityZone)).toEqual(
      ['us-east-1a', 'us-east-1b'],
    );
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      VPCZoneIdentifier: stack.vpc.isolatedSubnets.map((s) => ({ Ref: logicalId(s) })),
    });
  });

  test('synthesis needs no AWS lookup', () => {
    expect(app.synth().manifest.missing).toBeUndefined();
  });

  test('the encoders reach SQS, Auto Scaling and Systems Manager through endpoints only they may connect to', () => {
    const endpointGroup = {
      'Fn::GetAtt': [logicalId(stack.node.findChild('Network').node.findChild('EndpointSecurityGroup')), 'GroupId'],
    };
    const interfaces = Object.values(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
    ).map((e) => e.Properties);
    expect(interfaces.map((e) => e.ServiceName)).toEqual([
      'com.amazonaws.us-east-1.sqs',
      'com.amazonaws.us-east-1.autoscaling',
      'com.amazonaws.us-east-1.ssm',
      'com.amazonaws.us-east-1.ssmmessages',
    ]);
    for (const endpoint of interfaces) {
      expect(endpoint).toMatchObject({ PrivateDnsEnabled: true, SecurityGroupIds: [endpointGroup] });
    }
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
    });
    // The endpoints' group has no inline ingress; the one rule in the stack is HTTPS from the encoders' group.
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Interface endpoints of'),
      SecurityGroupIngress: Match.absent(),
    });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress).toEqual([
      {
        Description: 'Encoders reach SQS, EC2 Auto Scaling and Systems Manager',
        GroupId: endpointGroup,
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack.encoders.securityGroup), 'GroupId'] },
      },
    ]);
  });

  test('the flow log records all traffic to a KMS-encrypted log group kept one year, through a customer-managed policy', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('NetworkFlowLogKey'), 'Arn'] },
      RetentionInDays: 365,
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsForTheFlowLogGroup',
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:us-east-1:123456789012:log-group:/vpc-flow-logs/VideoEncodingBlueprint-Network-e0306165',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResource('AWS::EC2::FlowLog', { DependsOn: [Match.stringLikeRegexp('NetworkFlowLogPolicy')] });
  });

  test("the encoders' user data installs the worker as a service that reads the fleet's environment file", () => {
    const userData = JSON.stringify(stack.resolve(stack.encoders.userData.render()));
    expect(userData).toContain('EnvironmentFile=/etc/queue-processing-fleet.env');
    expect(userData).toContain('protect --protected-from-scale-in');
    expect(userData).toContain('protect --no-protected-from-scale-in');
    expect(userData).toContain('sleep 120');
    expect(userData).toContain('systemctl enable --now encoding-worker');
  });

  test("the encoders' alarms: falling behind notifies the stack's alarm topic, out of zero only scales", () => {
    expect(stack.encoders.alarms.map((alarm) => alarm.node.path)).toEqual([
      'VideoEncodingBlueprint/Encoders/BacklogPerInstanceAlarm',
      'VideoEncodingBlueprint/Encoders/ScaleOutFromZeroAlarm',
    ]);
    const resources = template.toJSON().Resources;
    const [fallingBehind, outOfZero] = stack.encoders.alarms.map((alarm) => resources[logicalId(alarm)].Properties);
    expect(fallingBehind.AlarmActions).toEqual([{ Ref: logicalId(stack.encoders.alarmTopic) }]);
    expect(outOfZero.AlarmActions).toEqual([{ Ref: logicalId(stack.encoders.scaleOutFromZeroAction!) }]);
  });

  test('outputs the queue URLs, the group name and the alarm topic', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual([
      'JobQueueUrl',
      'DeadLetterQueueUrl',
      'AutoScalingGroupName',
      'AlarmTopicArn',
    ]);
  });

  test('closes the default security group, and acknowledges only what IAM cannot narrow', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    // The IAM5 ones are the fleet's (see queue-processing-fleet.test.ts); aws-cdk-lib itself acknowledges
    // CloudFormation-Validate rules on the stack (literal zones) and on its FlowLog construct.
    const ours = acknowledgedIds(stack).filter(
      (id) => !id.startsWith('AwsSolutions-IAM5') && !id.startsWith('CloudFormation-Validate::'),
    );
    expect(ours.sort()).toEqual(['Serverless-SQSRedrivePolicy']);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('VideoEncodingBlueprint as the repository app registers it (and deploys it into the embedded local AWS)', () => {
  const app = strictApp();
  addBlueprints(app, { truckCountsCode: StreamAnalyticsCode.fromAsset(TEST_CODE_DIR) });
  const stack = app.node.findChild('VideoEncodingBlueprint') as VideoEncodingBlueprint;
  const template = Template.fromStack(stack);

  test("closes the VPC's default security group (local-aws leaves the custom resource out of moto, not the template)", () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    template.hasResourceProperties('Custom::VpcRestrictDefaultSG', {
      DefaultSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack.vpc), 'DefaultSecurityGroup'] },
    });
    expect(acknowledgedIds(stack).filter((id) => id.includes('VPCDefaultSecurityGroupClosed'))).toEqual([]);
  });

  test('passes the five compliance packs with zero findings', () => {
    const ours = (path: string) => path === stack.node.path || path.startsWith(`${stack.node.path}/`);
    expect(complianceFindings(stack).filter((f) => ours(f.path))).toEqual([]);
  });
});

test('with restrictDefaultSecurityGroup: false the open default security group is reported, not acknowledged', () => {
  const { stack, template } = blueprint({ restrictDefaultSecurityGroup: false });
  template.resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
  expect(acknowledgedIds(stack).filter((id) => id.includes('VPCDefaultSecurityGroupClosed'))).toEqual([]);
  const rules = complianceFindings(stack).map((f) => f.rule);
  expect(rules.filter((rule) => rule.includes('VPCDefaultSecurityGroupClosed')).sort()).toEqual([
    'HIPAA.Security-VPCDefaultSecurityGroupClosed',
    'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
    'PCI.DSS.321-VPCDefaultSecurityGroupClosed',
  ]);
});

describe('VideoEncodingBlueprint props', () => {
  test('encoding time, latency, job timeout, maximum and zones', () => {
    const { stack, template } = blueprint({
      encodingTimePerVideo: Duration.minutes(5),
      acceptableLatency: Duration.hours(1),
      jobTimeout: Duration.minutes(30),
      maxEncoders: 50,
      availabilityZones: ['us-east-1c', 'us-east-1d'],
    });
    expect(stack.encoders.backlogPerInstanceTarget).toBe(12);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MaxSize: '50' });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 1800 });
    expect(Object.values(template.findResources('AWS::EC2::Subnet')).map((s) => s.Properties.AvailabilityZone)).toEqual(
      ['us-east-1c', 'us-east-1d'],
    );
  });

  test('zones already in the context (a lookup cached by the CDK CLI) are used', () => {
    const app = new App({
      context: {
        'availability-zones:account=123456789012:region=us-east-1': ['us-east-1e', 'us-east-1f', 'us-east-1a'],
      },
    });
    const { template } = blueprint({}, app);
    expect(Object.values(template.findResources('AWS::EC2::Subnet')).map((s) => s.Properties.AvailabilityZone)).toEqual(
      ['us-east-1e', 'us-east-1f'],
    );
  });

  test('an environment-agnostic stack takes its zones from Fn::GetAZs', () => {
    const stack = new VideoEncodingBlueprint(strictApp(), 'Agnostic');
    const zones = Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet')).map(
      (s) => s.Properties.AvailabilityZone,
    );
    expect(zones).toEqual([0, 1].map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })));
  });

  test('an encoding time not shorter than the job timeout fails at synth', () => {
    expect(() => blueprint({ encodingTimePerVideo: Duration.minutes(15) })).toThrow(
      /\[VideoEncodingBlueprint\/Encoders\] processingTimePerMessage must be shorter than the queue's visibility timeout \(15 minutes\)/,
    );
  });
});

describe('VideoEncodingBlueprint availability zones: looked up, never guessed', () => {
  const ZONES_KEY = 'availability-zones:account=123456789012:region=us-east-1';
  const subnetZones = (stack: VideoEncodingBlueprint) =>
    Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet')).map(
      (s) => s.Properties.AvailabilityZone,
    );

  test('with an env and no cached zones, the VPC asks the CDK CLI to look them up instead of guessing <region>a', () => {
    const app = strictApp();
    const stack = new VideoEncodingBlueprint(app, 'VideoEncodingBlueprint', { env: ENV });
    const missing = app.synth().manifest.missing ?? [];
    expect(missing.map((m) => m.key)).toContain(ZONES_KEY);
    expect(subnetZones(stack)).not.toContain('us-east-1a');
    expect(subnetZones(stack)).not.toContain('us-east-1b');
  });

  test("the CLI's error marker for a failed lookup is reported with what to do, not read as zones", () => {
    const app = strictApp({
      [ZONES_KEY]: { $providerError: 'Need to perform AWS calls for account 123456789012', $dontSaveContext: true },
    });
    expect(() => new VideoEncodingBlueprint(app, 'VideoEncodingBlueprint', { env: ENV })).toThrow(
      /^\[VideoEncodingBlueprint\] availabilityZones must be given, because the CDK CLI could not look up the zones of account 123456789012 in us-east-1 \(Need to perform AWS calls for account 123456789012\); pass availabilityZones, or fix the lookup and clear it with "cdk context --reset availability-zones:account=123456789012:region=us-east-1", got \{"\$providerError":.*\}$/,
    );
  });

  test('a failed lookup of another environment does not affect this one', () => {
    const app = strictApp({
      ...availabilityZoneContext('123456789012', 'us-east-1', ['us-east-1c', 'us-east-1d']),
      'availability-zones:account=999999999999:region=eu-west-1': { $providerError: 'no credentials' },
    });
    expect(subnetZones(new VideoEncodingBlueprint(app, 'VideoEncodingBlueprint', { env: ENV }))).toEqual([
      'us-east-1c',
      'us-east-1d',
    ]);
  });

  test('cached zones fewer than two are refused', () => {
    const app = strictApp(availabilityZoneContext('123456789012', 'us-east-1', ['us-east-1a']));
    expect(() => new VideoEncodingBlueprint(app, 'VideoEncodingBlueprint', { env: ENV })).toThrow(
      /^\[VideoEncodingBlueprint\] availabilityZones must be given, because the context "availability-zones:account=123456789012:region=us-east-1" does not list at least 2 zones, got \["us-east-1a"\]$/,
    );
  });

  test.each([
    [['us-east-1a'], 'must list at least 2 availability zones'],
    [['us-east-1a', 'us-east-1a'], 'must list distinct availability zones'],
    [['us-east-1a', 'eu-west-1b'], "must name zones of the stack's region us-east-1"],
  ])('given zones %j are refused: %s', (zones, rule) => {
    expect(() => blueprint({ availabilityZones: zones })).toThrow(
      `[VideoEncodingBlueprint] availabilityZones ${rule}, got ${JSON.stringify(zones)}`,
    );
  });
});
