import { CfnParameter, Duration, Lazy, Size, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ENV_MATRIX, logicalId, strictApp, strictStack } from '../harness/app';
import { SKIP_CFN_LINT_CONTEXT } from '../harness/cfn-lint';
import { complianceFindings, expectCompliant } from '../harness/compliance';
import { QueueProcessingFleet, QueueProcessingFleetProps } from '../src/queue-processing-fleet';
import { StackAlarmTopic } from '../src/stack-alarm-topic';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

const PRIVATE_SUBNETS = ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'];
const PUBLIC_SUBNETS = ['subnet-0a1b2c3d4e5f60721', 'subnet-0a1b2c3d4e5f60722'];
const ISOLATED_SUBNETS = ['subnet-0a1b2c3d4e5f60731', 'subnet-0a1b2c3d4e5f60732'];

/** An existing VPC: its own compliance is not this construct's, so it stays out of the template. */
function importedVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: PRIVATE_SUBNETS,
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
    publicSubnetIds: PUBLIC_SUBNETS,
    publicSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60721', 'rtb-0a1b2c3d4e5f60722'],
    isolatedSubnetIds: ISOLATED_SUBNETS,
    isolatedSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60731', 'rtb-0a1b2c3d4e5f60732'],
  });
}

/** A stack with a queue (5-minute visibility timeout) and a VPC, and a fleet built with `props`. */
function fleetStack(props: Partial<QueueProcessingFleetProps> = {}, queueProps = {}) {
  const stack = strictStack();
  const vpc = importedVpc(stack);
  const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5), ...queueProps });
  const fleet = new QueueProcessingFleet(stack, 'Fleet', {
    queue,
    vpc,
    acceptableLatency: Duration.seconds(10),
    processingTimePerMessage: Duration.millis(100),
    ...props,
  });
  return { stack, vpc, queue, fleet };
}

function acknowledgedIds(fleet: QueueProcessingFleet): string[] {
  return fleet.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as object).map((k) => k.replace(/^annotation::/i, '')));
}

describe('QueueProcessingFleet defaults', () => {
  const { stack, queue, fleet } = fleetStack();
  const template = Template.fromStack(stack);
  const groupRef = { Ref: logicalId(fleet.autoScalingGroup) };
  const queueName = { 'Fn::GetAtt': [logicalId(queue.queue), 'QueueName'] };
  const topicRef = { Ref: logicalId(StackAlarmTopic.of(stack).topic) };

  test('target tracking on backlog per instance: visible messages ÷ in-service instances, target 10 s ÷ 0.1 s = 100', () => {
    expect(fleet.backlogPerInstanceTarget).toBe(100);
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      AutoScalingGroupName: groupRef,
      PolicyType: 'TargetTrackingScaling',
      EstimatedInstanceWarmup: 300,
      TargetTrackingConfiguration: {
        TargetValue: 100,
        CustomizedMetricSpecification: {
          Metrics: [
            {
              Id: 'm1',
              Label: 'Visible messages in the queue',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/SQS',
                  MetricName: 'ApproximateNumberOfMessagesVisible',
                  Dimensions: [{ Name: 'QueueName', Value: queueName }],
                },
                Stat: 'Sum',
              },
              ReturnData: false,
            },
            {
              Id: 'm2',
              Label: 'In-service instances of the group',
              MetricStat: {
                Metric: {
                  Namespace: 'AWS/AutoScaling',
                  MetricName: 'GroupInServiceInstances',
                  Dimensions: [{ Name: 'AutoScalingGroupName', Value: groupRef }],
                },
                Stat: 'Average',
              },
              ReturnData: false,
            },
            { Id: 'e1', Label: 'Backlog per instance', Expression: 'm1 / m2', ReturnData: true },
          ],
        },
        DisableScaleIn: Match.absent(),
      },
    });
  });

  test('out of zero: a step policy sets the group to exactly 1 when messages are visible and the group is empty', () => {
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 2);
    const stepPolicyId = logicalId(fleet.scaleOutFromZeroAction!);
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      AutoScalingGroupName: groupRef,
      PolicyType: 'StepScaling',
      AdjustmentType: 'ExactCapacity',
      MetricAggregationType: 'Maximum',
      StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: stepPolicyId }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      Metrics: [
        Match.objectLike({ Expression: 'IF(desired < 1, visible, 0)', ReturnData: true }),
        {
          Id: 'visible',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateNumberOfMessagesVisible',
              Dimensions: [{ Name: 'QueueName', Value: queueName }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
          ReturnData: false,
        },
        {
          Id: 'desired',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/AutoScaling',
              MetricName: 'GroupDesiredCapacity',
              Dimensions: [{ Name: 'AutoScalingGroupName', Value: fleet.autoScalingGroupName }],
            },
            Period: 60,
            Stat: 'Maximum',
          },
          ReturnData: false,
        },
      ],
    });
  });

  test('the group: 0 to 10 instances in the private subnets, group metrics collected, a non-zero cooldown', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      AutoScalingGroupName: 'Stack-Fleet-57984f37',
      MinSize: '0',
      MaxSize: '10',
      DesiredCapacity: Match.absent(),
      Cooldown: '300',
      DefaultInstanceWarmup: 300,
      VPCZoneIdentifier: PRIVATE_SUBNETS,
      MetricsCollection: [
        { Granularity: '1Minute', Metrics: Match.arrayWith(['GroupInServiceInstances', 'GroupDesiredCapacity']) },
      ],
      NewInstancesProtectedFromScaleIn: Match.absent(),
    });
    expect(fleet.autoScalingGroupName).toBe('Stack-Fleet-57984f37');
  });

  test('launch, launch error, terminate and terminate error notify the alarm topic', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      NotificationConfigurations: [
        {
          TopicARN: topicRef,
          NotificationTypes: [
            'autoscaling:EC2_INSTANCE_LAUNCH',
            'autoscaling:EC2_INSTANCE_LAUNCH_ERROR',
            'autoscaling:EC2_INSTANCE_TERMINATE',
            'autoscaling:EC2_INSTANCE_TERMINATE_ERROR',
          ],
        },
      ],
    });
  });

  test('the launch template: IMDSv2 with hop limit 1, encrypted root volume, detailed monitoring, no public IP, no key', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: {
        InstanceType: 'm7g.large',
        ImageId: { Ref: Match.stringLikeRegexp('al2023amikernel.*arm64') },
        MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 8, DeleteOnTermination: true },
          },
        ],
        Monitoring: { Enabled: true },
        NetworkInterfaces: [
          {
            DeviceIndex: 0,
            AssociatePublicIpAddress: false,
            Groups: [{ 'Fn::GetAtt': [logicalId(fleet.securityGroup), 'GroupId'] }],
          },
        ],
        IamInstanceProfile: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('FleetLaunchTemplateProfile'), 'Arn'] } },
        KeyName: Match.absent(),
      },
    });
    expect(template.toJSON().Parameters).toHaveProperty(
      [Object.keys(template.toJSON().Parameters).find((p) => p.includes('al2023')) ?? 'missing', 'Default'],
      '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64',
    );
  });

  test('the security group has no inbound rule', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Workers of Stack/Fleet: no inbound rules',
      SecurityGroupIngress: Match.absent(),
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('the user data writes the queue URL, region and group name to an environment file', () => {
    const userData = stack.resolve(fleet.userData.render());
    expect(userData).toEqual({
      'Fn::Join': [
        '',
        [
          "#!/bin/bash\ncat > /etc/queue-processing-fleet.env <<'EOF'\nQUEUE_URL=",
          { Ref: logicalId(queue.queue) },
          '\nAWS_REGION=us-east-1\nAWS_DEFAULT_REGION=us-east-1\nAUTO_SCALING_GROUP_NAME=Stack-Fleet-57984f37\nEOF\n' +
            'set -a; . /etc/queue-processing-fleet.env; set +a',
        ],
      ],
    });
  });

  test('the role has no inline and no AWS-managed policy: three customer-managed policies with exact actions', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' } }],
      },
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
    const roleRef = [{ Ref: logicalId(fleet.role) }];
    const documents = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((p) => {
      expect(p.Properties.Roles).toEqual(roleRef);
      return p.Properties.PolicyDocument.Statement;
    });
    expect(documents).toEqual([
      [
        {
          Effect: 'Allow',
          Action: [
            'sqs:ReceiveMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
          ],
          Resource: { 'Fn::GetAtt': [logicalId(queue.queue), 'Arn'] },
        },
      ],
      [
        {
          Effect: 'Allow',
          Action: 'autoscaling:SetInstanceProtection',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/Stack-Fleet-57984f37',
              ],
            ],
          },
        },
      ],
      [
        {
          Effect: 'Allow',
          Action: [
            'ssm:UpdateInstanceInformation',
            'ssmmessages:CreateControlChannel',
            'ssmmessages:CreateDataChannel',
            'ssmmessages:OpenControlChannel',
            'ssmmessages:OpenDataChannel',
          ],
          Resource: '*',
        },
      ],
    ]);
  });

  test('instances launch only after the role has its policies', () => {
    const group = template.findResources('AWS::AutoScaling::AutoScalingGroup');
    expect(Object.values(group)[0].DependsOn).toEqual(
      [fleet.consumePolicy, fleet.scaleInProtectionPolicy, fleet.sessionManagerPolicy!].map(
        (p) => logicalId(p) ?? p.node.id,
      ),
    );
  });

  test('acknowledges only the two wildcards IAM cannot narrow, each by its exact finding', () => {
    expect(acknowledgedIds(fleet).sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/Stack-Fleet-57984f37]',
    ]);
  });

  test('alarms when the backlog per instance stays above twice the target for 15 minutes, with alarm and OK actions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 200,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 15,
      DatapointsToAlarm: 15,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
      OKActions: [topicRef],
      Metrics: [
        Match.objectLike({ Expression: 'm1 / m2', ReturnData: true }),
        Match.objectLike({ Id: 'm1', MetricStat: Match.objectLike({ Stat: 'Sum', Period: 60 }) }),
        Match.objectLike({ Id: 'm2', MetricStat: Match.objectLike({ Stat: 'Average', Period: 60 }) }),
      ],
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4); // 2 of the WorkQueue, zero-to-one, falling behind
  });

  test('alarms lists both alarms the fleet made: falling behind (notifies) and out of zero (scales, notifies nobody)', () => {
    expect(fleet.alarms.map((alarm) => alarm.node.path)).toEqual([
      'Stack/Fleet/BacklogPerInstanceAlarm',
      'Stack/Fleet/ScaleOutFromZeroAlarm',
    ]);
    expect(fleet.alarms[0]).toBe(fleet.backlogPerInstanceAlarm);
    expect(fleet.alarms[1]).toBe(fleet.scaleOutFromZeroAlarm);
    const outOfZero = template.toJSON().Resources[logicalId(fleet.scaleOutFromZeroAlarm!)].Properties;
    expect(outOfZero.AlarmActions).toEqual([{ Ref: logicalId(fleet.scaleOutFromZeroAction!) }]);
    expect(outOfZero.OKActions).toBeUndefined();
    expect(outOfZero.InsufficientDataActions).toBeUndefined();
    // Not one of the queue's alarms: only what the fleet itself made.
    expect(fleet.alarms).not.toContain(queue.deadLetterQueueNotEmptyAlarm);
  });

  test("the alarm topic's key lets EC2 Auto Scaling's service-linked role encrypt the notifications", () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'AllowAutoScalingNotifications',
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
            Condition: {
              ArnEquals: {
                'aws:PrincipalArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
                    ],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
  });

  test('is IConnectable through its security group', () => {
    expect(fleet.connections.securityGroups).toEqual([fleet.securityGroup]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('QueueProcessingFleet with every prop set', () => {
  const stack = strictStack();
  const vpc = importedVpc(stack);
  const pagerKey = new kms.Key(stack, 'PagerKey', { enableKeyRotation: true });
  const pager = new sns.Topic(stack, 'Pager', { masterKey: pagerKey, enforceSSL: true });
  const queue = new WorkQueue(stack, 'Jobs', {
    encryption: WorkQueueEncryption.KMS,
    visibilityTimeout: Duration.minutes(15),
    alarmTopic: pager,
  });
  const worker = ec2.UserData.forLinux();
  worker.addCommands('systemctl enable --now encoder');
  const fleet = new QueueProcessingFleet(stack, 'Encoders', {
    queue,
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.C7I, ec2.InstanceSize.XLARGE),
    userData: worker,
    rootVolumeSize: Size.gibibytes(50),
    minCapacity: 1,
    maxCapacity: 40,
    backlogPerInstanceTarget: 12.5,
    estimatedInstanceWarmup: Duration.minutes(3),
    cooldown: Duration.minutes(2),
    sessionManagerAccess: false,
    alarmTopic: pager,
  });
  // Added after the fleet: user data is rendered at synth, so this line is in it.
  worker.addCommands('echo ready');
  const template = Template.fromStack(stack);

  test('the group takes min, max, subnets, cooldown and warm-up', () => {
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '40',
      VPCZoneIdentifier: ISOLATED_SUBNETS,
      Cooldown: '120',
      DefaultInstanceWarmup: 180,
      NotificationConfigurations: [Match.objectLike({ TopicARN: { Ref: logicalId(pager) } })],
    });
  });

  test('target tracking uses the given target; with minCapacity 1 there is no zero-to-one policy', () => {
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 1);
    template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      EstimatedInstanceWarmup: 180,
      TargetTrackingConfiguration: Match.objectLike({ TargetValue: 12.5 }),
    });
    expect(fleet.scaleOutFromZeroAction).toBeUndefined();
    expect(fleet.scaleOutFromZeroAlarm).toBeUndefined();
    expect(fleet.alarms.map((alarm) => alarm.node.path)).toEqual(['Stack/Encoders/BacklogPerInstanceAlarm']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 25,
      AlarmActions: [{ Ref: logicalId(pager) }],
    });
  });

  test('an x86 instance type gets the x86 Amazon Linux 2023 image', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'c7i.xlarge',
        ImageId: { Ref: Match.stringLikeRegexp('al2023amikernel.*x8664') },
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ VolumeSize: 50, Encrypted: true }) })],
      }),
    });
  });

  test("the worker's script runs after the environment file, with lines added later", () => {
    const rendered = JSON.stringify(stack.resolve(fleet.userData.render()));
    expect(rendered).toMatch(
      /set -a; \. \/etc\/queue-processing-fleet\.env; set \+a\\nsystemctl enable --now encoder\\necho ready"/,
    );
    expect(rendered.match(/#!\/bin\/bash/g)).toHaveLength(1);
  });

  test('consume includes decrypting with the queue key; no Session Manager policy and no acknowledgment for it', () => {
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 2);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: { 'Fn::GetAtt': [logicalId(queue.encryptionKey!), 'Arn'] },
          },
        ]),
      },
    });
    expect(fleet.sessionManagerPolicy).toBeUndefined();
    expect(acknowledgedIds(fleet)).toHaveLength(1);
  });

  test("the given topic's key lets Auto Scaling publish; the stack-wide topic is not created", () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowAutoScalingNotifications' })]) },
    });
    expect(stack.node.tryFindChild('DecouplingPatternsAlarmTopic')).toBeUndefined();
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('QueueProcessingFleet props', () => {
  test('a given machine image is used as is', () => {
    const { stack } = fleetStack({
      machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
      rootDeviceName: '/dev/sda1',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        ImageId: 'ami-0123456789abcdef0',
        BlockDeviceMappings: [Match.objectLike({ DeviceName: '/dev/sda1' })],
      }),
    });
  });

  test('two fleets on one alarm topic add the Auto Scaling statement to its key once', () => {
    const { stack, queue, vpc } = fleetStack();
    new QueueProcessingFleet(stack, 'Second', { queue, vpc, backlogPerInstanceTarget: 5 });
    const keyPolicy =
      Template.fromStack(stack).toJSON().Resources[logicalId(StackAlarmTopic.of(stack).encryptionKey)].Properties
        .KeyPolicy;
    expect(keyPolicy.Statement.filter((s: any) => s.Sid === 'AllowAutoScalingNotifications')).toHaveLength(1);
    expectCompliant(stack);
  });

  test('an alarm topic with an imported key: a warning, since its key policy is not ours to change', () => {
    const { stack } = fleetStack({
      alarmTopic: sns.Topic.fromTopicAttributes(strictStack('Other'), 'Imported', {
        topicArn: 'arn:aws:sns:us-east-1:123456789012:pager',
        keyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      }),
    });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Fleet',
      Match.stringLikeRegexp('alarmTopic is encrypted with a key whose policy this stack cannot change'),
    );
  });

  test('an unencrypted alarm topic: no key statement and no warning', () => {
    const stack = strictStack();
    const topic = new sns.Topic(stack, 'Plain');
    const queue = new WorkQueue(stack, 'Jobs', { alarmTopic: topic });
    new QueueProcessingFleet(stack, 'Fleet', {
      queue,
      vpc: importedVpc(stack),
      backlogPerInstanceTarget: 10,
      alarmTopic: topic,
    });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 0);
  });

  test('user data that is not a shell script is refused when the fleet is created', () => {
    expect(() => fleetStack({ userData: ec2.UserData.custom('#cloud-config\npackages: [ffmpeg]') })).toThrow(
      /^\[Stack\/Fleet\] userData must be a Linux shell script starting with "#!" \(ec2\.UserData\.forLinux\(\)\), got "#cloud-config"$/,
    );
  });

  test('metricBacklogPerInstance and the group metrics', () => {
    const { stack, fleet } = fleetStack();
    const backlog = fleet.metricBacklogPerInstance();
    expect(backlog.expression).toBe('m1 / m2');
    expect(Object.keys(backlog.usingMetrics)).toEqual(['m1', 'm2']);
    const inService = fleet.metricGroupInServiceInstances();
    expect(inService.namespace).toBe('AWS/AutoScaling');
    expect(inService.metricName).toBe('GroupInServiceInstances');
    expect(inService.dimensions).toEqual({ AutoScalingGroupName: 'Stack-Fleet-57984f37' });
    expect(fleet.metricGroupDesiredCapacity({ statistic: 'Maximum' }).statistic).toBe('Maximum');
    expect(stack.resolve(inService.period.toSeconds())).toBe(60);
  });
});

describe('QueueProcessingFleet rejects bad input at synth', () => {
  const cases: Array<[string, () => Partial<QueueProcessingFleetProps>, RegExp]> = [
    [
      'minCapacity above maxCapacity',
      () => ({ minCapacity: 5, maxCapacity: 4 }),
      /^\[Stack\/Fleet\] minCapacity must be less than maxCapacity \(4\): scaling policies change the capacity only between the two, got 5$/,
    ],
    [
      'minCapacity above the default maxCapacity',
      () => ({ minCapacity: 11 }),
      /^\[Stack\/Fleet\] minCapacity must be less than maxCapacity \(10\): scaling policies change the capacity only between the two, got 11$/,
    ],
    [
      'minCapacity equal to maxCapacity (target tracking could never act)',
      () => ({ minCapacity: 4, maxCapacity: 4 }),
      /^\[Stack\/Fleet\] minCapacity must be less than maxCapacity \(4\): scaling policies change the capacity only between the two, got 4$/,
    ],
    [
      'a negative minCapacity',
      () => ({ minCapacity: -1 }),
      /^\[Stack\/Fleet\] minCapacity must be an integer between 0 and 2,147,483,646, got -1$/,
    ],
    [
      'a fractional minCapacity',
      () => ({ minCapacity: 1.5 }),
      /^\[Stack\/Fleet\] minCapacity must be an integer between 0 and 2,147,483,646, got 1.5$/,
    ],
    [
      'maxCapacity 0',
      () => ({ maxCapacity: 0 }),
      /^\[Stack\/Fleet\] maxCapacity must be an integer between 1 and 2,147,483,647, got 0$/,
    ],
    [
      'a negative maxCapacity',
      () => ({ maxCapacity: -3 }),
      /^\[Stack\/Fleet\] maxCapacity must be an integer between 1 and 2,147,483,647, got -3$/,
    ],
    [
      'a NaN maxCapacity',
      () => ({ maxCapacity: NaN }),
      /^\[Stack\/Fleet\] maxCapacity must be an integer between 1 and 2,147,483,647, got NaN$/,
    ],
    [
      'a maxCapacity beyond the API Integer (it would reach the template as "1e+21")',
      () => ({ maxCapacity: 1e21 }),
      /^\[Stack\/Fleet\] maxCapacity must be an integer between 1 and 2,147,483,647, got 1e\+21$/,
    ],
    [
      'both scaling targets',
      () => ({ backlogPerInstanceTarget: 10 }),
      /^\[Stack\/Fleet\] backlogPerInstanceTarget must not be given with acceptableLatency or processingTimePerMessage: the target is either given or computed from them, got 10$/,
    ],
    [
      'neither scaling target',
      () => ({ acceptableLatency: undefined, processingTimePerMessage: undefined }),
      /^\[Stack\/Fleet\] backlogPerInstanceTarget must be given, or acceptableLatency with processingTimePerMessage \(the target is acceptableLatency ÷ processingTimePerMessage\), got undefined$/,
    ],
    [
      'acceptableLatency without processingTimePerMessage',
      () => ({ processingTimePerMessage: undefined }),
      /^\[Stack\/Fleet\] processingTimePerMessage must be given with acceptableLatency: the target is acceptableLatency ÷ processingTimePerMessage, got undefined$/,
    ],
    [
      'processingTimePerMessage without acceptableLatency',
      () => ({ acceptableLatency: undefined }),
      /^\[Stack\/Fleet\] acceptableLatency must be given with processingTimePerMessage: the target is acceptableLatency ÷ processingTimePerMessage, got undefined$/,
    ],
    [
      'a target that computes to 0',
      () => ({ acceptableLatency: Duration.seconds(0) }),
      /^\[Stack\/Fleet\] acceptableLatency must be between 1 millisecond and 14 days, got 0 seconds$/,
    ],
    [
      'a target that computes to infinity',
      () => ({ processingTimePerMessage: Duration.seconds(0) }),
      /^\[Stack\/Fleet\] processingTimePerMessage must be between 1 millisecond and 12 hours, got 0 seconds$/,
    ],
    [
      'a NaN acceptableLatency (it used to reach aws-cdk-lib, with no path)',
      () => ({ acceptableLatency: Duration.seconds(NaN) }),
      /^\[Stack\/Fleet\] acceptableLatency must be between 1 millisecond and 14 days, got Duration.seconds\(NaN\)$/,
    ],
    [
      'an acceptableLatency longer than SQS keeps a message',
      () => ({ acceptableLatency: Duration.days(15) }),
      /^\[Stack\/Fleet\] acceptableLatency must be between 1 millisecond and 14 days, got 15 days$/,
    ],
    [
      'a backlogPerInstanceTarget of 0',
      () => ({ acceptableLatency: undefined, processingTimePerMessage: undefined, backlogPerInstanceTarget: 0 }),
      /^\[Stack\/Fleet\] backlogPerInstanceTarget must be a finite number above 0 and at most 9,007,199,254,740,991, got 0$/,
    ],
    [
      'a negative backlogPerInstanceTarget',
      () => ({ acceptableLatency: undefined, processingTimePerMessage: undefined, backlogPerInstanceTarget: -5 }),
      /^\[Stack\/Fleet\] backlogPerInstanceTarget must be a finite number above 0 and at most 9,007,199,254,740,991, got -5$/,
    ],
    [
      'an infinite backlogPerInstanceTarget',
      () => ({ acceptableLatency: undefined, processingTimePerMessage: undefined, backlogPerInstanceTarget: Infinity }),
      /^\[Stack\/Fleet\] backlogPerInstanceTarget must be a finite number above 0 and at most 9,007,199,254,740,991, got Infinity$/,
    ],
    [
      'a backlogPerInstanceTarget whose alarm threshold (twice it) would overflow to null',
      () => ({
        acceptableLatency: undefined,
        processingTimePerMessage: undefined,
        backlogPerInstanceTarget: Number.MAX_VALUE,
      }),
      /^\[Stack\/Fleet\] backlogPerInstanceTarget must be a finite number above 0 and at most 9,007,199,254,740,991, got 1.7976931348623157e\+308$/,
    ],
    [
      'processingTimePerMessage equal to the visibility timeout',
      () => ({ acceptableLatency: Duration.hours(1), processingTimePerMessage: Duration.minutes(5) }),
      /^\[Stack\/Fleet\] processingTimePerMessage must be shorter than the queue's visibility timeout \(5 minutes\), .*, got 5 minutes$/,
    ],
    [
      'processingTimePerMessage longer than the visibility timeout',
      () => ({ acceptableLatency: Duration.hours(1), processingTimePerMessage: Duration.minutes(6) }),
      /processingTimePerMessage must be shorter than the queue's visibility timeout \(5 minutes\), .*, got 6 minutes$/,
    ],
    [
      'public subnets',
      () => ({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } }),
      /^\[Stack\/Fleet\] vpcSubnets must select only private or isolated subnets \(the fleet never gets public IP addresses\), got "public subnets subnet-0a1b2c3d4e5f60721, subnet-0a1b2c3d4e5f60722"$/,
    ],
    [
      'a selection that resolves to no subnet (CloudFormation would refuse an empty VPCZoneIdentifier)',
      () => ({ vpcSubnets: { availabilityZones: ['us-west-2a'] } }),
      /^\[Stack\/Fleet\] vpcSubnets must select at least one private or isolated subnet of the VPC \(an Auto Scaling group needs a subnet to launch in\), got \{ availabilityZones: \["us-west-2a"\] \}$/,
    ],
    [
      'a subnet group the VPC does not have (aws-cdk-lib used to throw with no path)',
      () => ({ vpcSubnets: { subnetGroupName: 'nope' } }),
      /^\[Stack\/Fleet\] vpcSubnets must select subnets the VPC has \(There are no subnet groups with name 'nope' in this VPC\. Available names: .*\), got \{ subnetGroupName: "nope" \}$/,
    ],
    [
      'a subnetType string that is not an ec2.SubnetType',
      () => ({ vpcSubnets: { subnetType: 'private' as ec2.SubnetType } }),
      /^\[Stack\/Fleet\] vpcSubnets.subnetType must be one of ec2.SubnetType.PRIVATE_ISOLATED, .* or ec2.SubnetType.PUBLIC, got "private"$/,
    ],
    [
      'a warm-up above 1 hour',
      () => ({ estimatedInstanceWarmup: Duration.hours(2) }),
      /^\[Stack\/Fleet\] estimatedInstanceWarmup must be between 0 seconds and 1 hour, got 2 hours$/,
    ],
    [
      'a NaN warm-up',
      () => ({ estimatedInstanceWarmup: Duration.seconds(NaN) }),
      /^\[Stack\/Fleet\] estimatedInstanceWarmup must be between 0 seconds and 1 hour, got Duration.seconds\(NaN\)$/,
    ],
    [
      'a cooldown of 0',
      () => ({ cooldown: Duration.seconds(0) }),
      /^\[Stack\/Fleet\] cooldown must be between 1 second and 1 hour, got 0 seconds$/,
    ],
    [
      'a root volume of 0 GiB',
      () => ({ rootVolumeSize: Size.gibibytes(0) }),
      /^\[Stack\/Fleet\] rootVolumeSize must be a whole number of GiB between 8 and 16,384 \(the default Amazon Linux 2023 image's root snapshot is 8 GiB, and a volume cannot be smaller than its snapshot\), got Size.gibibytes\(0\)$/,
    ],
    [
      'a root volume of 1.5 GiB',
      () => ({ rootVolumeSize: Size.mebibytes(1536) }),
      /^\[Stack\/Fleet\] rootVolumeSize must be a whole number of GiB between 8 and 16,384 .*, got Size.mebibytes\(1536\)$/,
    ],
    [
      'a root volume smaller than the default image',
      () => ({ rootVolumeSize: Size.gibibytes(4) }),
      /^\[Stack\/Fleet\] rootVolumeSize must be a whole number of GiB between 8 and 16,384 .*, got Size.gibibytes\(4\)$/,
    ],
    [
      'a NaN root volume',
      () => ({ rootVolumeSize: Size.gibibytes(NaN) }),
      /^\[Stack\/Fleet\] rootVolumeSize must be a whole number of GiB between 8 and 16,384 .*, got Size.gibibytes\(NaN\)$/,
    ],
    [
      'a root device name other than the default image’s (the volume would be a second disk)',
      () => ({ rootDeviceName: '/dev/sda1' }),
      /^\[Stack\/Fleet\] rootDeviceName must be "\/dev\/xvda", the root device of the default Amazon Linux 2023 image \(or give machineImage\): another name adds a second disk and leaves the root volume as the image has it, got "\/dev\/sda1"$/,
    ],
    [
      'a root device name that is no device name',
      () => ({ rootDeviceName: 'xvda' }),
      /^\[Stack\/Fleet\] rootDeviceName must be a Linux device name such as "\/dev\/xvda" or "\/dev\/sda1", got "xvda"$/,
    ],
    [
      'an instance type given as a string (JavaScript)',
      () => ({ instanceType: 'm7g.large' as unknown as ec2.InstanceType }),
      /^\[Stack\/Fleet\] instanceType must be an ec2.InstanceType, got "m7g.large"$/,
    ],
    [
      'an instance type name that is no instance type',
      () => ({ instanceType: new ec2.InstanceType('M7G LARGE') }),
      /^\[Stack\/Fleet\] instanceType must be an EC2 instance type name such as "m7g.large", got "M7G LARGE"$/,
    ],
    [
      'an instance type whose architecture aws-cdk-lib cannot read, with the default image',
      () => ({ instanceType: new ec2.InstanceType('u-6tb1.112xlarge') }),
      /^\[Stack\/Fleet\] instanceType must be a type whose architecture aws-cdk-lib can tell from its name .*, got "u-6tb1.112xlarge"$/,
    ],
    [
      'a deploy-time instance type with the default image',
      () => ({ instanceType: new ec2.InstanceType(Lazy.string({ produce: () => 'm7g.large' })) }),
      /^\[Stack\/Fleet\] instanceType given as a deploy-time value needs machineImage too: the default image's architecture follows the instance type, got a deploy-time instance type$/,
    ],
    [
      'sessionManagerAccess that is not a boolean',
      () => ({ sessionManagerAccess: 'no' as unknown as boolean }),
      /^\[Stack\/Fleet\] sessionManagerAccess must be true or false, got "no"$/,
    ],
    [
      'an alarm topic given as an ARN string',
      () => ({ alarmTopic: 'arn:aws:sns:us-east-1:1:t' as unknown as sns.ITopic }),
      /^\[Stack\/Fleet\] alarmTopic must be an sns.ITopic, got "arn:aws:sns:us-east-1:1:t"$/,
    ],
    [
      'a queue given as an ARN string',
      () => ({ queue: 'arn:aws:sqs:us-east-1:1:q' as unknown as sqs.IQueue }),
      /^\[Stack\/Fleet\] queue must be an sqs.IQueue, got "arn:aws:sqs:us-east-1:1:q"$/,
    ],
  ];

  test.each(cases)('%s', (_name, props, message) => {
    expect(() => fleetStack(props())).toThrow(message);
  });

  test('a public subnet among explicitly given subnets is refused too', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack);
    const queue = new WorkQueue(stack, 'Jobs');
    expect(
      () =>
        new QueueProcessingFleet(stack, 'Fleet', {
          queue,
          vpc,
          backlogPerInstanceTarget: 10,
          vpcSubnets: { subnets: [vpc.privateSubnets[0], vpc.publicSubnets[1]] },
        }),
    ).toThrow(
      /vpcSubnets must select only private or isolated subnets .*, got "public subnets subnet-0a1b2c3d4e5f60722"/,
    );
  });

  test('a VPC with only public subnets is refused at default props', () => {
    const stack = strictStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      availabilityZones: ['us-east-1a'],
      publicSubnetIds: [PUBLIC_SUBNETS[0]],
    });
    const queue = new WorkQueue(stack, 'Jobs');
    expect(() => new QueueProcessingFleet(stack, 'Fleet', { queue, vpc, backlogPerInstanceTarget: 10 })).toThrow(
      /vpcSubnets must select only private or isolated subnets/,
    );
  });

  test('latency and processing time given as tokens cannot make a target (CloudFormation cannot divide)', () => {
    const token = Duration.seconds(Lazy.number({ produce: () => 10 }));
    expect(() => fleetStack({ acceptableLatency: token })).toThrow(
      /^\[Stack\/Fleet\] acceptableLatency must be known at synth to compute the target \(CloudFormation cannot divide\); give backlogPerInstanceTarget as a deploy-time value instead, got a deploy-time Duration.seconds\(10\)$/,
    );
  });

  test('values given as tokens are not validated at synth', () => {
    const token = (n: number) => Lazy.number({ produce: () => n });
    expect(() =>
      fleetStack(
        {
          acceptableLatency: undefined,
          processingTimePerMessage: undefined,
          backlogPerInstanceTarget: token(-1),
          minCapacity: token(50),
          maxCapacity: token(0),
          estimatedInstanceWarmup: Duration.seconds(token(99_999)),
          cooldown: Duration.seconds(token(0)),
        },
        { visibilityTimeout: Duration.seconds(token(1)) },
      ),
    ).not.toThrow();
  });

  test('with a token visibility timeout the processing time is not compared', () => {
    const token = Duration.seconds(Lazy.number({ produce: () => 1 }));
    expect(() =>
      fleetStack(
        { acceptableLatency: Duration.hours(1), processingTimePerMessage: Duration.minutes(10) },
        { visibilityTimeout: token },
      ),
    ).not.toThrow();
  });

  test('with a token target the falling-behind alarm is on the target itself, and says so', () => {
    const { stack, fleet } = fleetStack({
      acceptableLatency: undefined,
      processingTimePerMessage: undefined,
      backlogPerInstanceTarget: Lazy.number({ produce: () => 7 }),
    });
    const alarm = Template.fromStack(stack).toJSON().Resources[logicalId(fleet.backlogPerInstanceAlarm)].Properties;
    expect(alarm.Threshold).toBe(7);
    expect(alarm.AlarmDescription).toMatch(
      /^The backlog per instance of Stack\/Fleet stayed above its target for 15 minutes/,
    );
  });

  test('a token minCapacity keeps the zero-to-one policy, which is harmless above zero', () => {
    const { fleet } = fleetStack({ minCapacity: Lazy.number({ produce: () => 2 }) });
    expect(fleet.scaleOutFromZeroAction).toBeDefined();
  });
});

describe('QueueProcessingFleet drains any sqs.IQueue', () => {
  const CONSUME_ACTIONS = [
    'sqs:ReceiveMessage',
    'sqs:ChangeMessageVisibility',
    'sqs:GetQueueUrl',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
  ];

  /** The statements of the fleet's consume policy, as synthesized. */
  function consumeStatements(stack: Stack, fleet: QueueProcessingFleet): unknown[] {
    return Template.fromStack(stack).toJSON().Resources[logicalId(fleet.consumePolicy)].Properties.PolicyDocument
      .Statement;
  }

  describe('an sqs.Queue of the app, with a customer-managed key', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'JobsKey', { enableKeyRotation: true });
    const jobs = new sqs.Queue(stack, 'Jobs', {
      encryptionMasterKey: key,
      enforceSSL: true,
      visibilityTimeout: Duration.minutes(10),
    });
    const fleet = new QueueProcessingFleet(stack, 'Fleet', {
      queue: jobs,
      vpc: importedVpc(stack),
      acceptableLatency: Duration.minutes(30),
      processingTimePerMessage: Duration.minutes(3),
    });

    test("consume is aws-cdk-lib's own grant: the five SQS actions on the queue and kms:Decrypt on its key, no wildcard", () => {
      expect(fleet.queue).toBe(jobs);
      expect(consumeStatements(stack, fleet)).toEqual([
        { Effect: 'Allow', Action: CONSUME_ACTIONS, Resource: { 'Fn::GetAtt': [logicalId(jobs), 'Arn'] } },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalId(key), 'Arn'] } },
      ]);
      Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
    });

    test('the scaling metric, the out-of-zero alarm and the environment file name the queue', () => {
      const template = Template.fromStack(stack);
      const queueName = { 'Fn::GetAtt': [logicalId(jobs), 'QueueName'] };
      template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
        TargetTrackingConfiguration: Match.objectLike({
          TargetValue: 10,
          CustomizedMetricSpecification: {
            Metrics: Match.arrayWith([
              Match.objectLike({
                MetricStat: Match.objectLike({
                  Metric: Match.objectLike({ Dimensions: [{ Name: 'QueueName', Value: queueName }] }),
                }),
              }),
            ]),
          },
        }),
      });
      expect(JSON.stringify(stack.resolve(fleet.userData.render()))).toContain(
        JSON.stringify({ Ref: logicalId(jobs) }),
      );
    });

    test('the fleet adds no compliance finding: the only ones are the plain queue’s own (it has no dead-letter queue)', () => {
      expect(complianceFindings(stack).map((finding) => `${finding.path} ${finding.rule}`)).toEqual([
        'Stack/Jobs/Resource AwsSolutions-SQS3',
        'Stack/Jobs/Resource Serverless-SQSRedrivePolicy',
        // The same missing dead-letter queue, seen by DecouplingChecks now that a fleet consumes the queue.
        'Stack/Jobs/Resource Decoupling-ConsumedQueueNoRedrive',
      ]);
    });

    test("processingTimePerMessage is checked against the L1's visibility timeout", () => {
      const other = strictStack();
      const queue = new sqs.Queue(other, 'Jobs', { visibilityTimeout: Duration.minutes(1) });
      expect(
        () =>
          new QueueProcessingFleet(other, 'Fleet', {
            queue,
            vpc: importedVpc(other),
            acceptableLatency: Duration.hours(1),
            processingTimePerMessage: Duration.minutes(2),
          }),
      ).toThrow(
        /\[Stack\/Fleet\] processingTimePerMessage must be shorter than the queue's visibility timeout \(1 minute\), .*, got 2 minutes/,
      );
    });

    test("with no visibility timeout set, against SQS's 30 seconds", () => {
      const other = strictStack();
      const queue = new sqs.Queue(other, 'Jobs');
      expect(
        () =>
          new QueueProcessingFleet(other, 'Fleet', {
            queue,
            vpc: importedVpc(other),
            acceptableLatency: Duration.minutes(5),
            processingTimePerMessage: Duration.seconds(30),
          }),
      ).toThrow(/processingTimePerMessage must be shorter than the queue's visibility timeout \(30 seconds\)/);
    });

    test('with a token visibility timeout, not at all', () => {
      const other = strictStack();
      const queue = new sqs.Queue(other, 'Jobs', {
        visibilityTimeout: Duration.seconds(Lazy.number({ produce: () => 1 })),
      });
      expect(
        () =>
          new QueueProcessingFleet(other, 'Fleet', {
            queue,
            vpc: importedVpc(other),
            acceptableLatency: Duration.hours(1),
            processingTimePerMessage: Duration.minutes(10),
          }),
      ).not.toThrow();
    });
  });

  describe('an imported queue with its key', () => {
    const stack = strictStack();
    const queueArn = 'arn:aws:sqs:us-east-1:123456789012:render-jobs';
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const jobs = sqs.Queue.fromQueueAttributes(stack, 'Jobs', { queueArn, keyArn });
    // Its visibility timeout is unknown here, so a processing time of an hour cannot be checked.
    const fleet = new QueueProcessingFleet(stack, 'Fleet', {
      queue: jobs,
      vpc: importedVpc(stack),
      acceptableLatency: Duration.hours(10),
      processingTimePerMessage: Duration.hours(1),
    });
    const template = Template.fromStack(stack);

    test('skips the visibility-timeout check and takes its target from latency ÷ processing time', () => {
      expect(fleet.backlogPerInstanceTarget).toBe(10);
    });

    test('consume: the five SQS actions on the queue ARN and kms:Decrypt on the key ARN, nothing else', () => {
      expect(consumeStatements(stack, fleet)).toEqual([
        { Effect: 'Allow', Action: CONSUME_ACTIONS, Resource: queueArn },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn },
      ]);
    });

    test('the scaling metric and the environment file use the name and URL derived from the ARN', () => {
      template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
        TargetTrackingConfiguration: Match.objectLike({
          CustomizedMetricSpecification: {
            Metrics: Match.arrayWith([
              Match.objectLike({
                MetricStat: Match.objectLike({
                  Metric: Match.objectLike({ Dimensions: [{ Name: 'QueueName', Value: 'render-jobs' }] }),
                }),
              }),
            ]),
          },
        }),
      });
      expect(JSON.stringify(stack.resolve(fleet.userData.render()))).toContain('QUEUE_URL=https://sqs.us-east-1.');
      expect(JSON.stringify(stack.resolve(fleet.userData.render()))).toContain('/123456789012/render-jobs');
    });

    test('passes the five compliance packs and the CloudFormation validator', () => {
      expectCompliant(stack);
    });
  });

  test('an imported queue without a key: consume on the queue only', () => {
    const stack = strictStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:plain');
    const fleet = new QueueProcessingFleet(stack, 'Fleet', {
      queue,
      vpc: importedVpc(stack),
      backlogPerInstanceTarget: 4,
    });
    expect(consumeStatements(stack, fleet)).toEqual([
      { Effect: 'Allow', Action: CONSUME_ACTIONS, Resource: 'arn:aws:sqs:us-east-1:123456789012:plain' },
    ]);
  });
});

describe("the Auto Scaling statement in the alarm topic's key policy", () => {
  const statementsOf = (stack: Stack, key: kms.IKey) =>
    (Template.fromStack(stack).toJSON().Resources[logicalId(key)].Properties.KeyPolicy.Statement as any[]).filter(
      (statement) => statement.Sid === 'AllowAutoScalingNotifications',
    );

  test('three fleets on one given topic: the key policy holds the statement exactly once', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack);
    const key = new kms.Key(stack, 'PagerKey', { enableKeyRotation: true });
    const pager = new sns.Topic(stack, 'Pager', { masterKey: key, enforceSSL: true });
    const queue = new WorkQueue(stack, 'Jobs', { alarmTopic: pager });
    for (const id of ['A', 'B', 'C']) {
      new QueueProcessingFleet(stack, id, { queue, vpc, backlogPerInstanceTarget: 5, alarmTopic: pager });
    }
    expect(statementsOf(stack, key)).toHaveLength(1);
  });

  test('two apps do not influence each other: each key gets its statement, and synthesizing again changes nothing', () => {
    const build = () => {
      const { stack } = fleetStack();
      return { stack, key: StackAlarmTopic.of(stack).encryptionKey };
    };
    const first = build();
    const second = build();
    expect(first.stack.node.root).not.toBe(second.stack.node.root);
    expect(statementsOf(first.stack, first.key)).toHaveLength(1);
    expect(statementsOf(second.stack, second.key)).toHaveLength(1);
    // A third app built after both were synthesized still gets its own.
    const third = build();
    expect(statementsOf(third.stack, third.key)).toHaveLength(1);
    expect(statementsOf(first.stack, first.key)).toEqual(statementsOf(third.stack, third.key));
  });

  test('two stacks of one app, each with its own stack alarm topic: one statement in each key', () => {
    const app = strictApp();
    const stacks = ['One', 'Two'].map((id) => {
      const stack = new Stack(app, id, { env: { account: '123456789012', region: 'us-east-1' } });
      const queue = new WorkQueue(stack, 'Jobs');
      new QueueProcessingFleet(stack, 'Fleet', { queue, vpc: importedVpc(stack), backlogPerInstanceTarget: 5 });
      new QueueProcessingFleet(stack, 'Other', { queue, vpc: importedVpc2(stack), backlogPerInstanceTarget: 5 });
      return stack;
    });
    for (const stack of stacks) {
      expect(statementsOf(stack, StackAlarmTopic.of(stack).encryptionKey)).toHaveLength(1);
    }
  });
});

/** A second imported VPC in the same stack, under its own id. */
function importedVpc2(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc2', {
    vpcId: 'vpc-0a1b2c3d4e5f60719',
    availabilityZones: ['us-east-1a'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60741'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60741'],
  });
}

describe('QueueProcessingFleet in an environment-agnostic stack', () => {
  const stack = new Stack(strictApp(), 'S');
  const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
  const fleet = new QueueProcessingFleet(stack, 'Fleet', {
    queue,
    vpc: importedVpc(stack),
    acceptableLatency: Duration.seconds(10),
    processingTimePerMessage: Duration.millis(100),
  });

  test('the ARNs take the region and account from the deployment', () => {
    const policy = Template.fromStack(stack).toJSON().Resources[logicalId(fleet.scaleInProtectionPolicy)];
    expect(policy.Properties.PolicyDocument.Statement[0].Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':autoscaling:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:autoScalingGroup:*:autoScalingGroupName/${fleet.autoScalingGroupName}`,
        ],
      ],
    });
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });
});

test('metricBacklogPerInstance takes the options of a math expression', () => {
  const { fleet } = fleetStack();
  const metric = fleet.metricBacklogPerInstance({ period: Duration.minutes(5), label: 'Backlog' });
  expect(metric.period.toSeconds()).toBe(300);
  expect(metric.label).toBe('Backlog');
  expect(fleet.metricBacklogPerInstance().period.toSeconds()).toBe(60);
  expect(fleet.metricBacklogPerInstance().label).toBe('Backlog per instance');
});

describe.each(ENV_MATRIX)('QueueProcessingFleet synthesizes clean %s', (_env, makeStack) => {
  /** A VPC with private subnets, whose zones are looked up per account and region when the stack has them. */
  function vpcOf(stack: Stack): ec2.IVpc {
    return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      availabilityZones: stack.availabilityZones.slice(0, 2),
      privateSubnetIds: PRIVATE_SUBNETS,
      isolatedSubnetIds: ISOLATED_SUBNETS,
    });
  }

  test('at default props', () => {
    const stack = makeStack();
    const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
    new QueueProcessingFleet(stack, 'Fleet', { queue, vpc: vpcOf(stack), backlogPerInstanceTarget: 10 });
    expect(() => Template.fromStack(stack)).not.toThrow();
    expectCompliant(stack);
  });

  test('with every prop set', () => {
    const stack = makeStack();
    const pagerKey = new kms.Key(stack, 'PagerKey', { enableKeyRotation: true });
    const pager = new sns.Topic(stack, 'Pager', { masterKey: pagerKey, enforceSSL: true });
    const queue = new WorkQueue(stack, 'Jobs', {
      encryption: WorkQueueEncryption.KMS,
      visibilityTimeout: Duration.minutes(15),
      alarmTopic: pager,
    });
    const worker = ec2.UserData.forLinux();
    worker.addCommands('systemctl enable --now encoder');
    new QueueProcessingFleet(stack, 'Encoders', {
      queue,
      vpc: vpcOf(stack),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.C7I, ec2.InstanceSize.XLARGE),
      userData: worker,
      rootVolumeSize: Size.gibibytes(50),
      minCapacity: 1,
      maxCapacity: 40,
      acceptableLatency: Duration.minutes(30),
      processingTimePerMessage: Duration.minutes(3),
      estimatedInstanceWarmup: Duration.minutes(3),
      cooldown: Duration.minutes(2),
      sessionManagerAccess: false,
      alarmTopic: pager,
    });
    expect(() => Template.fromStack(stack)).not.toThrow();
    expectCompliant(stack);
  });
});

describe('QueueProcessingFleet hardening (issue 12)', () => {
  test('deploy-time values known at synth in another unit pass through, converted (Duration.minutes(token) warm-up, Size.mebibytes(token) volume)', () => {
    const lazy = (n: number) => Lazy.number({ produce: () => n });
    const { stack, fleet } = fleetStack({
      estimatedInstanceWarmup: Duration.minutes(lazy(4)),
      cooldown: Duration.minutes(lazy(2)),
      rootVolumeSize: Size.mebibytes(lazy(20_480)),
    });
    const template = Template.fromStack(stack).toJSON();
    const group = template.Resources[logicalId(fleet.autoScalingGroup)].Properties;
    expect([group.DefaultInstanceWarmup, group.Cooldown]).toEqual([240, '120']);
    const launch = template.Resources[logicalId(fleet.launchTemplate)].Properties.LaunchTemplateData;
    expect(launch.BlockDeviceMappings[0].Ebs.VolumeSize).toBe(20);
    expect(
      Object.values(template.Resources)
        .filter((r: any) => r.Type === 'AWS::AutoScaling::ScalingPolicy')
        .map((r: any) => r.Properties.EstimatedInstanceWarmup),
    ).toEqual([240, 240]);
  });

  test('deploy-time values only the deployment knows are refused when a unit would have to be converted', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
    const minutes = new CfnParameter(stack, 'Warmup', { type: 'Number', default: 3 }).valueAsNumber;
    expect(
      () =>
        new QueueProcessingFleet(stack, 'Fleet', {
          queue,
          vpc: importedVpc(stack),
          backlogPerInstanceTarget: 10,
          estimatedInstanceWarmup: Duration.minutes(minutes),
        }),
    ).toThrow(
      /^\[Stack\/Fleet\] estimatedInstanceWarmup given as a deploy-time value must be in seconds \(Duration.seconds\(value\)\): CloudFormation takes seconds and cannot convert minutes, got a deploy-time Duration.minutes\(\{"Ref":"Warmup"\}\)$/,
    );
  });

  test('with an image of its own, the root device name and a type whose architecture aws-cdk-lib cannot read are the user’s to choose', () => {
    const { stack, fleet } = fleetStack({
      machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }),
      instanceType: new ec2.InstanceType('u-6tb1.112xlarge'),
      rootDeviceName: '/dev/sda1',
      rootVolumeSize: Size.gibibytes(2),
    });
    const launch =
      Template.fromStack(stack).toJSON().Resources[logicalId(fleet.launchTemplate)].Properties.LaunchTemplateData;
    expect([
      launch.InstanceType,
      launch.BlockDeviceMappings[0].DeviceName,
      launch.BlockDeviceMappings[0].Ebs.VolumeSize,
    ]).toEqual(['u-6tb1.112xlarge', '/dev/sda1', 2]);
  });

  test('an instance type aws-cdk-lib does not list is taken with a warning (it may be newer than aws-cdk-lib)', () => {
    // A typo on purpose: cfn-lint rightly refuses this template, so it stays out of the suite's collection.
    const stack = new Stack(strictApp({ [SKIP_CFN_LINT_CONTEXT]: true }), 'Stack', {
      env: { account: '123456789012', region: 'us-east-1' },
    });
    new QueueProcessingFleet(stack, 'Fleet', {
      queue: new WorkQueue(stack, 'Jobs'),
      vpc: importedVpc(stack),
      backlogPerInstanceTarget: 5,
      instanceType: new ec2.InstanceType('m7g.lage'),
    });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Fleet',
      Match.stringLikeRegexp(
        'instanceType "m7g.lage" is not an instance type this aws-cdk-lib knows \\(size "lage"\\)',
      ),
    );
  });

  test('two fleets that would get one Auto Scaling group name (two stacks of one name, env-agnostic) are refused at synth', () => {
    const app = strictApp();
    const build = (id: string) => {
      const stack = new Stack(app, id, { stackName: 'workers' });
      const queue = sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:jobs');
      return () =>
        new QueueProcessingFleet(stack, 'Fleet', { queue, vpc: importedVpc(stack), backlogPerInstanceTarget: 5 });
    };
    build('One')();
    expect(build('Two')).toThrow(
      /^\[Two\/Fleet\] autoScalingGroupName must give a Auto Scaling group name unique within one account and region; the name is already given to One\/Fleet, got "workers-Fleet-[0-9a-f]{8}"$/,
    );
  });

  test.each<[string, (fleet: QueueProcessingFleet) => unknown, RegExp]>([
    [
      'metricBacklogPerInstance with a period CloudWatch does not have',
      (fleet) => fleet.metricBacklogPerInstance({ period: Duration.seconds(45) }),
      /^\[Stack\/Fleet\] metricBacklogPerInstance period must be 1, 5, 10 or 30 seconds or a whole number of minutes, known at synth, got 45 seconds$/,
    ],
    [
      'metricGroupInServiceInstances with a NaN period',
      (fleet) => fleet.metricGroupInServiceInstances({ period: Duration.seconds(NaN) }),
      /^\[Stack\/Fleet\] metricGroupInServiceInstances period must be 1, 5, 10 or 30 seconds or a whole number of minutes, known at synth, got Duration.seconds\(NaN\)$/,
    ],
    [
      'metricGroupDesiredCapacity with a unit that is no cloudwatch.Unit',
      (fleet) => fleet.metricGroupDesiredCapacity({ unit: 'instances' as never }),
      /^\[Stack\/Fleet\] metricGroupDesiredCapacity unit must be a cloudwatch.Unit, got "instances"$/,
    ],
  ])('%s is refused', (_name, call, message) => {
    const { fleet } = fleetStack();
    expect(() => call(fleet)).toThrow(message);
  });
});

describe('QueueProcessingFleet on a queue of another account', () => {
  test('the queue-policy statement its owner must add is given in a warning, not dropped', () => {
    const stack = strictStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:999999999999:shared-jobs');
    new QueueProcessingFleet(stack, 'Fleet', { queue, vpc: importedVpc(stack), backlogPerInstanceTarget: 5 });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Fleet',
      Match.stringLikeRegexp(
        'queue arn:aws:sqs:us-east-1:999999999999:shared-jobs is not managed by this app and may be in another account: its owner must add this statement to the queue policy.*sqs:ReceiveMessage',
      ),
    );
  });

  test('a queue of the same account warns about nothing', () => {
    const stack = strictStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:jobs');
    new QueueProcessingFleet(stack, 'Fleet', { queue, vpc: importedVpc(stack), backlogPerInstanceTarget: 5 });
    Annotations.fromStack(stack).hasNoWarning('/Stack/Fleet', Match.anyValue());
  });
});
