import { Duration, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { pagerTopic } from '../harness/alarm-topic';
import { ENV_MATRIX, logicalId, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { IsolatedVpc } from '../src/isolated-vpc';
import { PrivateEndpoints, PrivateEndpointService } from '../src/private-endpoints';
import {
  FargateCpuArchitecture,
  QueueProcessingService,
  QueueProcessingServiceProps,
} from '../src/queue-processing-service';
import { StackAlarmTopic } from '../src/stack-alarm-topic';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

const PRIVATE_SUBNETS = ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'];
const PUBLIC_SUBNETS = ['subnet-0a1b2c3d4e5f60721', 'subnet-0a1b2c3d4e5f60722'];
const ISOLATED_SUBNETS = ['subnet-0a1b2c3d4e5f60731', 'subnet-0a1b2c3d4e5f60732'];
const IMAGE = 'public.ecr.aws/docker/library/busybox:1.37';

/** An existing VPC: its own compliance is not this construct's, so it stays out of the template. */
function importedVpc(stack: Stack, id = 'Vpc'): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, id, {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: '10.1.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: PRIVATE_SUBNETS,
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
    publicSubnetIds: PUBLIC_SUBNETS,
    publicSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60721', 'rtb-0a1b2c3d4e5f60722'],
    isolatedSubnetIds: ISOLATED_SUBNETS,
    isolatedSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60731', 'rtb-0a1b2c3d4e5f60732'],
  });
}

/** A stack with a queue (5-minute visibility timeout) and a VPC, and a service built with `props`. */
function serviceStack(props: Partial<QueueProcessingServiceProps> = {}, stack = strictStack()) {
  const vpc = importedVpc(stack);
  const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
  const service = new QueueProcessingService(stack, 'Workers', {
    queue,
    vpc,
    image: ecs.ContainerImage.fromRegistry(IMAGE),
    acceptableLatency: Duration.seconds(10),
    processingTimePerMessage: Duration.millis(100),
    ...props,
  });
  return { stack, vpc, queue, service };
}

/** Builds a service with `props` in a fresh stack and returns the error message. */
function refusal(props: Partial<QueueProcessingServiceProps>, queueProps = {}): string {
  const stack = strictStack();
  const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5), ...queueProps });
  try {
    new QueueProcessingService(stack, 'Workers', {
      queue,
      vpc: importedVpc(stack),
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      acceptableLatency: Duration.seconds(10),
      processingTimePerMessage: Duration.millis(100),
      ...props,
    });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the service to be refused');
}

function acknowledgedIds(scope: QueueProcessingService): string[] {
  return scope.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.keys(m.data as object).map((k) => k.replace(/^annotation::/i, '')));
}

describe('QueueProcessingService defaults', () => {
  const { stack, queue, service } = serviceStack();
  const template = Template.fromStack(stack);
  const clusterRef = { Ref: logicalId(service.cluster) };
  const serviceName = { 'Fn::GetAtt': [logicalId(service.service), 'Name'] };
  const queueName = { 'Fn::GetAtt': [logicalId(queue.queue), 'QueueName'] };
  const topicRef = { Ref: logicalId(StackAlarmTopic.of(stack).topic) };

  test('target tracking on backlog per task: visible messages ÷ running tasks, target 10 s ÷ 0.1 s = 100', () => {
    expect(service.backlogPerTaskTarget).toBe(100);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyName: 'backlog-per-task',
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: Match.stringLikeRegexp('WorkersServiceTaskCountTarget') },
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 100,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
        DisableScaleIn: Match.absent(),
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
              Label: 'Running tasks of the service',
              MetricStat: {
                Metric: {
                  Namespace: 'ECS/ContainerInsights',
                  MetricName: 'RunningTaskCount',
                  Dimensions: [
                    { Name: 'ClusterName', Value: clusterRef },
                    { Name: 'ServiceName', Value: serviceName },
                  ],
                },
                Stat: 'Average',
              },
              ReturnData: false,
            },
            { Id: 'e1', Label: 'Backlog per task', Expression: 'm1 / m2', ReturnData: true },
          ],
        },
      },
    });
  });

  test('the scalable task count: 0 to 10 tasks, through the ECS service-linked role', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 0,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
      ServiceNamespace: 'ecs',
      ResourceId: { 'Fn::Join': ['', ['service/', clusterRef, '/', serviceName]] },
      RoleARN: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
          ],
        ],
      },
    });
  });

  test('out of zero: a step policy adds one task when messages are visible and the service wants none', () => {
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 2);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyName: 'scale-out-from-zero',
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        Cooldown: 60,
        MetricAggregationType: 'Maximum',
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      },
    });
    const alarm = template.toJSON().Resources[logicalId(service.scaleOutFromZeroAlarm!)].Properties;
    expect(alarm).toMatchObject({
      AlarmActions: [{ Ref: logicalId(service.scaleOutFromZeroAction!) }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.OKActions).toBeUndefined();
    expect(alarm.Metrics).toEqual([
      expect.objectContaining({ Expression: 'IF(FILL(desired, 0) < 1, visible, 0)', ReturnData: true }),
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
            Namespace: 'ECS/ContainerInsights',
            MetricName: 'DesiredTaskCount',
            Dimensions: [
              { Name: 'ClusterName', Value: clusterRef },
              { Name: 'ServiceName', Value: serviceName },
            ],
          },
          Period: 60,
          Stat: 'Maximum',
        },
        ReturnData: false,
      },
    ]);
  });

  test('the cluster is its own, with Container Insights on and no Fargate Spot', () => {
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    template.resourceCountIs('AWS::ECS::ClusterCapacityProviderAssociations', 0);
  });

  test('the service: Fargate LATEST in the private subnets, no public IP, no desired count, rollback on failure', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      PlatformVersion: 'LATEST',
      DesiredCount: Match.absent(),
      CapacityProviderStrategy: Match.absent(),
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          Subnets: PRIVATE_SUBNETS,
          SecurityGroups: [{ 'Fn::GetAtt': [logicalId(service.securityGroup), 'GroupId'] }],
        },
      },
      DeploymentConfiguration: Match.objectLike({
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
      EnableECSManagedTags: true,
      PropagateTags: 'SERVICE',
    });
  });

  test('the task: ARM64 Linux, 256 CPU units and 512 MiB, the queue URL as a Parameter Store secret, logs to its group', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '256',
      Memory: '512',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      TaskRoleArn: { 'Fn::GetAtt': [logicalId(service.taskRole as any), 'Arn'] },
      ExecutionRoleArn: { 'Fn::GetAtt': [logicalId(service.executionRole as any), 'Arn'] },
      ContainerDefinitions: [
        {
          Name: 'Worker',
          Image: IMAGE,
          Essential: true,
          StopTimeout: 120,
          Environment: Match.absent(),
          Secrets: [
            {
              Name: 'QUEUE_URL',
              ValueFrom: {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':ssm:us-east-1:123456789012:parameter',
                    { Ref: logicalId(service.queueUrlParameter) },
                  ],
                ],
              },
            },
          ],
          LogConfiguration: {
            LogDriver: 'awslogs',
            Options: {
              'awslogs-group': { Ref: logicalId(service.logGroup) },
              'awslogs-stream-prefix': 'worker',
              'awslogs-region': 'us-east-1',
            },
          },
        },
      ],
    });
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/queue-processing-service/Stack-Workers-ca593ee5/queue-url',
      Type: 'String',
      Tier: 'Standard',
      Value: { Ref: logicalId(queue.queue) },
    });
  });

  test('the container logs: a KMS-encrypted group kept one year, its key rotated, CloudWatch Logs limited to this group', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/ecs/Stack-Workers-ca593ee5',
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [logicalId(service.logKey), 'Arn'] },
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: 'Encrypts the container logs of Stack/Workers',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsForTheContainerLogGroup',
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:us-east-1:123456789012:log-group:/ecs/Stack-Workers-ca593ee5',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  test('the task role: ECS tasks of this account only; consume on the queue and task protection on its own cluster', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-east-1:123456789012:*']],
                },
              },
            },
          },
        ],
      },
      ManagedPolicyArns: Match.absent(),
      Policies: Match.absent(),
    });
    const taskRoleRef = [{ Ref: logicalId(service.taskRole as any) }];
    const policy = (p: any) => template.toJSON().Resources[logicalId(p)].Properties;
    expect(policy(service.consumePolicy).Roles).toEqual(taskRoleRef);
    expect(policy(service.consumePolicy).PolicyDocument.Statement).toEqual([
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
    ]);
    expect(policy(service.taskProtectionPolicy).Roles).toEqual(taskRoleRef);
    expect(policy(service.taskProtectionPolicy).PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-east-1:123456789012:task/', clusterRef, '/*']],
        },
      },
    ]);
  });

  test('the execution role: write its log group and read its parameter, in a customer-managed policy', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter(
      (p: any) => p.Properties.Roles[0].Ref === logicalId(service.executionRole as any),
    );
    expect(policies).toHaveLength(1);
    expect((policies[0] as any).Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logicalId(service.logGroup), 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'],
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':ssm:us-east-1:123456789012:parameter',
              { Ref: logicalId(service.queueUrlParameter) },
            ],
          ],
        },
      },
    ]);
  });

  test('tasks start only after the task role has its policies', () => {
    const ecsService = template.toJSON().Resources[logicalId(service.service)];
    expect(ecsService.DependsOn).toEqual(
      expect.arrayContaining([logicalId(service.consumePolicy), logicalId(service.taskProtectionPolicy)]),
    );
  });

  test('the security group has no inbound rule', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Workers of Stack/Workers: no inbound rules',
      SecurityGroupIngress: Match.absent(),
    });
    expect(service.connections.securityGroups).toEqual([service.securityGroup]);
  });

  test('acknowledges only the task-id wildcard IAM cannot narrow, by its exact finding', () => {
    expect(acknowledgedIds(service)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:us-east-1:123456789012:task/<WorkersCluster2E9BA3A7>/*]',
    ]);
  });

  test('alarms: falling behind, oldest message, tasks not running and memory notify the topic; out of zero scales', () => {
    expect(service.alarms.map((alarm) => alarm.node.id)).toEqual([
      'BacklogPerTaskAlarm',
      'OldestMessageAgeAlarm',
      'TasksNotRunningAlarm',
      'MemoryUtilizationAlarm',
      'ScaleOutFromZeroAlarm',
    ]);
    const props = (alarm: any) => template.toJSON().Resources[logicalId(alarm)].Properties;
    for (const alarm of service.alarms.slice(0, 4)) {
      expect(props(alarm)).toMatchObject({
        AlarmActions: [topicRef],
        OKActions: [topicRef],
        TreatMissingData: 'notBreaching',
      });
    }
    expect(props(service.backlogPerTaskAlarm)).toMatchObject({
      Threshold: 200,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 15,
      DatapointsToAlarm: 15,
    });
    expect(props(service.oldestMessageAgeAlarm)).toMatchObject({
      Threshold: 3600,
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Period: 300,
    });
    expect(props(service.tasksNotRunningAlarm)).toMatchObject({ Threshold: 0, EvaluationPeriods: 15 });
    expect(props(service.tasksNotRunningAlarm).Metrics[0].Expression).toBe('desired - running');
    expect(props(service.memoryUtilizationAlarm)).toMatchObject({
      Threshold: 90,
      EvaluationPeriods: 15,
      MetricName: 'MemoryUtilization',
      Namespace: 'AWS/ECS',
      Statistic: 'Maximum',
    });
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe.each(ENV_MATRIX)('QueueProcessingService synthesizes clean %s', (_name, makeStack) => {
  test('at default props, in an IsolatedVpc with PrivateEndpoints', () => {
    const stack = makeStack();
    const network = new IsolatedVpc(stack, 'Network');
    const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) });
    const service = new QueueProcessingService(stack, 'Workers', {
      queue,
      vpc: network.vpc,
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      backlogPerTaskTarget: 20,
    });
    new PrivateEndpoints(stack, 'Endpoints', { vpc: network.vpc, allowedPeers: [service] });
    expectCompliant(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
    });
  });

  test('with every prop set: Spot, an ECR image, secrets, a KMS queue, a topic of its own', () => {
    const stack = makeStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 1,
      maxAzs: 2,
      restrictDefaultSecurityGroup: true,
      flowLogs: {},
    });
    // The VPC's own findings are not the service's: acknowledged here, in the test.
    for (const id of [
      'AwsSolutions-VPC7',
      'NIST.800.53.R5-VPCFlowLogsEnabled',
      'HIPAA.Security-VPCFlowLogsEnabled',
      'PCI.DSS.321-VPCFlowLogsEnabled',
      'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
      'NIST.800.53.R5-CloudWatchLogGroupRetentionPeriod',
      'HIPAA.Security-CloudWatchLogGroupEncrypted',
      'HIPAA.Security-CloudWatchLogGroupRetentionPeriod',
      'PCI.DSS.321-CloudWatchLogGroupEncrypted',
      'PCI.DSS.321-CloudWatchLogGroupRetentionPeriod',
      'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
      'HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
      'PCI.DSS.321-VPCNoUnrestrictedRouteToIGW',
      'NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled',
      'HIPAA.Security-VPCSubnetAutoAssignPublicIpDisabled',
      'PCI.DSS.321-VPCSubnetAutoAssignPublicIpDisabled',
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'HIPAA.Security-IAMNoInlinePolicy',
      'PCI.DSS.321-IAMNoInlinePolicy',
    ]) {
      Validations.of(vpc).acknowledge({ id, reason: "the test's own VPC" });
    }
    const pager = pagerTopic(stack);
    const queue = new WorkQueue(stack, 'Jobs', {
      encryption: WorkQueueEncryption.KMS,
      visibilityTimeout: Duration.minutes(15),
      alarmTopic: pager,
    });
    const repository = new ecr.Repository(stack, 'Images', {
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
    });
    const settings = new ssm.StringParameter(stack, 'Settings', { stringValue: '{"preset":"1080p"}' });
    const service = new QueueProcessingService(stack, 'Encoders', {
      queue,
      vpc,
      image: ecs.ContainerImage.fromEcrRepository(repository, 'v1'),
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      cpu: 2048,
      memoryLimitMiB: 4096,
      spot: true,
      minCapacity: 1,
      maxCapacity: 40,
      acceptableLatency: Duration.minutes(20),
      processingTimePerMessage: Duration.minutes(2),
      scaleOutCooldown: Duration.seconds(30),
      scaleInCooldown: Duration.minutes(10),
      command: ['encode', '--from-queue'],
      secrets: { SETTINGS: ecs.Secret.fromSsmParameter(settings) },
      logRetention: logs.RetentionDays.ONE_MONTH,
      oldestMessageAgeAlarmThreshold: Duration.minutes(45),
      alarmTopic: pager,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    expectCompliant(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
      LaunchType: Match.absent(),
    });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '2048',
      Memory: '4096',
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [
        Match.objectLike({
          Command: ['encode', '--from-queue'],
          Secrets: [Match.objectLike({ Name: 'SETTINGS' }), Match.objectLike({ Name: 'QUEUE_URL' })],
        }),
      ],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 40 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 10,
        ScaleOutCooldown: 30,
        ScaleInCooldown: 600,
      }),
    });
    // minCapacity 1: no way out of zero is needed.
    expect(service.scaleOutFromZeroAction).toBeUndefined();
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 2700,
      AlarmActions: [{ Ref: logicalId(pager) }],
    });
    // The ECR pull: the repository actions on the repository, and GetAuthorizationToken on * (acknowledged exactly).
    expect(acknowledgedIds(service)).toContain('AwsSolutions-IAM5[Resource::*]');
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
            Resource: { 'Fn::GetAtt': [logicalId(repository), 'Arn'] },
          }),
          { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        ]),
      },
    });
  });
});

describe('grants to the task role', () => {
  test('land in a customer-managed policy, never an inline one (the packs reject inline policies)', () => {
    const { stack, service } = serviceStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Videos', 'videos-of-the-team');
    const grant = bucket.grantRead(service.taskRole);
    expect(grant.success).toBe(true);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: logicalId(service.taskRole as any) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:GetObject*']) })]),
      },
    });
  });

  test('the same grant twice adds its statements once', () => {
    const { stack, service, queue } = serviceStack();
    queue.grantSendMessages(service.taskRole);
    queue.grantSendMessages(service.taskRole);
    const grants = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')).filter(
      (p: any) =>
        logicalId(service.taskRole as any).length > 0 &&
        p.Properties.Description?.startsWith('Lets the workers of Stack/Workers use'),
    );
    expect((grants[0] as any).Properties.PolicyDocument.Statement).toHaveLength(1);
  });
});

describe('Spot', () => {
  test('defaults the architecture to X86_64, since Fargate Spot runs X86_64 tasks only', () => {
    const { service, stack } = serviceStack({ spot: true });
    expect(service.cpuArchitecture).toBe(FargateCpuArchitecture.X86_64);
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('refuses ARM64 with Spot', () => {
    expect(refusal({ spot: true, cpuArchitecture: FargateCpuArchitecture.ARM64 })).toBe(
      '[Stack/Workers] cpuArchitecture must be FargateCpuArchitecture.X86_64 with spot: Fargate Spot runs X86_64 tasks only, got "FargateCpuArchitecture.ARM64"',
    );
  });

  test('X86_64 on demand', () => {
    const { stack } = serviceStack({ cpuArchitecture: FargateCpuArchitecture.X86_64 });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
  });
});

describe('Fargate task sizes', () => {
  test.each([
    [256, 512],
    [256, 2048],
    [512, 4096],
    [1024, 8192],
    [2048, 16384],
    [4096, 30720],
    [8192, 16384],
    [8192, 61440],
    [16384, 32768],
    [16384, 122880],
  ])('accepts %d CPU units with %d MiB', (cpu, memoryLimitMiB) => {
    const { stack } = serviceStack({ cpu, memoryLimitMiB });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: String(cpu),
      Memory: String(memoryLimitMiB),
    });
  });

  test.each([
    [
      { cpu: 128 },
      '[Stack/Workers] cpu must be a Fargate task size in CPU units: 256, 512, 1,024, 2,048, 4,096, 8,192 or 16,384, got 128',
    ],
    [
      { cpu: NaN },
      '[Stack/Workers] cpu must be a Fargate task size in CPU units: 256, 512, 1,024, 2,048, 4,096, 8,192 or 16,384, got NaN',
    ],
    [
      { cpu: '256' as any },
      '[Stack/Workers] cpu must be a Fargate task size in CPU units: 256, 512, 1,024, 2,048, 4,096, 8,192 or 16,384, got "256"',
    ],
    [
      { memoryLimitMiB: 1536 },
      '[Stack/Workers] memoryLimitMiB must be 512, 1,024 or 2,048 MiB for a Fargate task of 256 CPU units, got 1,536',
    ],
    [
      { cpu: 512, memoryLimitMiB: 512 },
      '[Stack/Workers] memoryLimitMiB must be 1,024 to 4,096 in steps of 1,024 MiB for a Fargate task of 512 CPU units, got 512',
    ],
    [
      { cpu: 8192, memoryLimitMiB: 18432 },
      '[Stack/Workers] memoryLimitMiB must be 16,384 to 61,440 in steps of 4,096 MiB for a Fargate task of 8,192 CPU units, got 18,432',
    ],
    [
      { memoryLimitMiB: Infinity },
      '[Stack/Workers] memoryLimitMiB must be an integer between 512 and 122,880 (Fargate task sizes), got Infinity',
    ],
    [
      { memoryLimitMiB: 200_000 },
      '[Stack/Workers] memoryLimitMiB must be an integer between 512 and 122,880 (Fargate task sizes), got 200,000',
    ],
  ])('refuses %j', (props, message) => {
    expect(refusal(props)).toBe(message);
  });

  test('passes tokens through', () => {
    const { stack } = serviceStack({ cpu: Token.asNumber(Lazy.number({ produce: () => 1024 })), memoryLimitMiB: 2048 });
    Template.fromStack(stack).hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '1024', Memory: '2048' });
  });
});

describe('validation', () => {
  test.each([
    [{ minCapacity: -1 }, '[Stack/Workers] minCapacity must be an integer between 0 and 2,147,483,646, got -1'],
    [{ minCapacity: 1.5 }, '[Stack/Workers] minCapacity must be an integer between 0 and 2,147,483,646, got 1.5'],
    [{ maxCapacity: 0 }, '[Stack/Workers] maxCapacity must be an integer between 1 and 2,147,483,647, got 0'],
    [{ maxCapacity: NaN }, '[Stack/Workers] maxCapacity must be an integer between 1 and 2,147,483,647, got NaN'],
    [
      { minCapacity: 5, maxCapacity: 5 },
      '[Stack/Workers] maxCapacity must be greater than minCapacity (5): target tracking needs room to scale, got 5',
    ],
    [
      { minCapacity: 12 },
      '[Stack/Workers] maxCapacity must be greater than minCapacity (12): target tracking needs room to scale, got 10',
    ],
    [
      { acceptableLatency: undefined, processingTimePerMessage: undefined },
      '[Stack/Workers] backlogPerTaskTarget needs backlogPerTaskTarget, or acceptableLatency with processingTimePerMessage, got "undefined"',
    ],
    [
      { backlogPerTaskTarget: 5 },
      '[Stack/Workers] backlogPerTaskTarget takes either backlogPerTaskTarget, or acceptableLatency with processingTimePerMessage, not both, got 5',
    ],
    [
      { acceptableLatency: undefined, backlogPerTaskTarget: 0 } as any,
      '[Stack/Workers] backlogPerTaskTarget takes either backlogPerTaskTarget, or acceptableLatency with processingTimePerMessage, not both, got 0',
    ],
    [
      { acceptableLatency: undefined, processingTimePerMessage: undefined, backlogPerTaskTarget: 0 },
      '[Stack/Workers] backlogPerTaskTarget must be a finite number above 0 and at most 2^360 (Application Auto Scaling target values), got 0',
    ],
    [
      { acceptableLatency: undefined, processingTimePerMessage: undefined, backlogPerTaskTarget: Infinity },
      '[Stack/Workers] backlogPerTaskTarget must be a finite number above 0 and at most 2^360 (Application Auto Scaling target values), got Infinity',
    ],
    [
      { acceptableLatency: undefined, processingTimePerMessage: undefined, backlogPerTaskTarget: 1e200 },
      '[Stack/Workers] backlogPerTaskTarget must be a finite number above 0 and at most 2^360 (Application Auto Scaling target values), got 1e+200',
    ],
    [
      { acceptableLatency: undefined },
      '[Stack/Workers] acceptableLatency must be set too: the target is acceptableLatency ÷ processingTimePerMessage, got "undefined"',
    ],
    [
      { acceptableLatency: Duration.seconds(NaN) },
      '[Stack/Workers] acceptableLatency must be above 0 and at most 14 days, got Duration.seconds(NaN)',
    ],
    [
      { acceptableLatency: Duration.days(15) },
      '[Stack/Workers] acceptableLatency must be above 0 and at most 14 days, got 15 days',
    ],
    [
      { processingTimePerMessage: Duration.seconds(0) },
      '[Stack/Workers] processingTimePerMessage must be above 0 and at most 12 hours, got 0 seconds',
    ],
    [
      { processingTimePerMessage: Duration.minutes(5) },
      "[Stack/Workers] processingTimePerMessage must be shorter than the queue's visibility timeout (5 minutes), or a message becomes visible again while a task still processes it and another task processes it too, got 5 minutes",
    ],
    [
      { scaleOutCooldown: Duration.millis(1500) },
      '[Stack/Workers] scaleOutCooldown must be a whole number of seconds from 0 to 2,147,483,647, got 1 second 500 millis',
    ],
    [
      { scaleInCooldown: Duration.seconds(Infinity) },
      '[Stack/Workers] scaleInCooldown must be a whole number of seconds from 0 to 2,147,483,647, got Duration.seconds(Infinity)',
    ],
    [
      { scaleInCooldown: Duration.minutes(Token.asNumber({ Ref: 'Minutes' })) },
      '[Stack/Workers] scaleInCooldown must be given in seconds (Duration.seconds(...)) when it is a deploy-time value: CloudFormation cannot convert units, got Duration.minutes({"Ref":"Minutes"})',
    ],
    [
      { cpuArchitecture: 'arm64' as any },
      '[Stack/Workers] cpuArchitecture must be one of FargateCpuArchitecture.ARM64 or FargateCpuArchitecture.X86_64, got "arm64"',
    ],
    [{ spot: 'yes' as any }, '[Stack/Workers] spot must be true or false, got "yes"'],
    [
      { logRetention: 42 as any },
      /^\[Stack\/Workers\] logRetention must be a logs\.RetentionDays value \(a number of days CloudWatch Logs accepts: 1, 3, 5, .*, or RetentionDays\.INFINITE\), got 42$/,
    ],
    [
      { removalPolicy: RemovalPolicy.SNAPSHOT },
      '[Stack/Workers] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot KMS keys and log groups, got "RemovalPolicy.SNAPSHOT"',
    ],
    [
      { removalPolicy: 'delete' as any },
      '[Stack/Workers] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, got "delete"',
    ],
    [
      { environment: { QUEUE_URL: 'x' } },
      '[Stack/Workers] environment must not set QUEUE_URL, which the service sets to the queue\'s URL, got ["QUEUE_URL"]',
    ],
    [
      { secrets: { '': ecs.Secret.fromSsmParameter({} as any) } as any },
      '[Stack/Workers] secrets must not have an empty variable name, got [""]',
    ],
    [{ environment: { MODE: 3 as any } }, '[Stack/Workers] environment.MODE must be a string, got 3'],
    [{ command: [] }, '[Stack/Workers] command must be a non-empty list of strings, got []'],
    [{ command: 'encode' as any }, '[Stack/Workers] command must be a non-empty list of strings, got "encode"'],
    [
      { oldestMessageAgeAlarmThreshold: Duration.seconds(30) },
      '[Stack/Workers] oldestMessageAgeAlarmThreshold must be between 1 minute and 14 days, got 30 seconds',
    ],
    [
      { vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } },
      '[Stack/Workers] vpcSubnets must select only private or isolated subnets (the tasks never get public IP addresses), got "{\\"subnetType\\":\\"Public\\"}"',
    ],
    [
      { vpcSubnets: { subnetGroupName: 'Nope' } },
      '[Stack/Workers] vpcSubnets must select at least one subnet of the VPC, got "{\\"subnetGroupName\\":\\"Nope\\"}"',
    ],
    [{ queue: undefined as any }, '[Stack/Workers] queue must be an sqs.IQueue, got undefined'],
    [{ vpc: 'vpc-1234' as any }, '[Stack/Workers] vpc must be an ec2.IVpc, got "vpc-1234"'],
    [{ image: 'busybox' as any }, '[Stack/Workers] image must be an ecs.ContainerImage, got "busybox"'],
  ])('refuses %j', (props, message) => {
    const received = refusal(props as any);
    if (message instanceof RegExp) {
      expect(received).toMatch(message);
    } else {
      expect(received).toBe(message);
    }
  });

  test('a target from deploy-time durations is refused: CloudFormation cannot divide', () => {
    expect(refusal({ acceptableLatency: Duration.minutes(Token.asNumber({ Ref: 'Latency' })) })).toBe(
      '[Stack/Workers] acceptableLatency must be known at synth to compute the target (give backlogPerTaskTarget as a token instead), got Duration.minutes({"Ref":"Latency"})',
    );
  });

  test('an age threshold at or beyond the retention of the queue is refused: the alarm could never fire', () => {
    expect(refusal({ oldestMessageAgeAlarmThreshold: Duration.hours(2) }, { retentionPeriod: Duration.hours(2) })).toBe(
      "[Stack/Workers] oldestMessageAgeAlarmThreshold must be shorter than the queue's retention period (2 hours): older messages are deleted and the alarm could never fire, got 2 hours",
    );
  });

  test('by default the age threshold is 1 hour, or 75% of a shorter retention', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Jobs', {
      retentionPeriod: Duration.minutes(40),
      visibilityTimeout: Duration.minutes(5),
    });
    const service = new QueueProcessingService(stack, 'Workers', {
      queue,
      vpc: importedVpc(stack),
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      backlogPerTaskTarget: 10,
    });
    expect(
      Template.fromStack(stack).toJSON().Resources[logicalId(service.oldestMessageAgeAlarm)].Properties.Threshold,
    ).toBe(1800);
  });
});

describe('tokens pass through', () => {
  test('capacities, target and cooldowns', () => {
    const n = (value: number) => Token.asNumber(Lazy.number({ produce: () => value }));
    const { stack, service } = serviceStack({
      acceptableLatency: undefined,
      processingTimePerMessage: undefined,
      minCapacity: n(0),
      maxCapacity: n(7),
      backlogPerTaskTarget: n(33),
      scaleOutCooldown: Duration.seconds(n(45)),
      // Known at synth (a Lazy): converted to seconds here, since a template cannot convert units.
      scaleInCooldown: Duration.minutes(n(10)),
      oldestMessageAgeAlarmThreshold: Duration.hours(n(2)),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 7 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 33,
        ScaleOutCooldown: 45,
        ScaleInCooldown: 600,
      }),
    });
    expect(template.toJSON().Resources[logicalId(service.oldestMessageAgeAlarm)].Properties.Threshold).toBe(7200);
    // A token minCapacity may be 0: the way out of zero is there.
    expect(service.scaleOutFromZeroAction).toBeDefined();
    // The falling-behind threshold cannot be doubled by CloudFormation: the target itself.
    expect(template.toJSON().Resources[logicalId(service.backlogPerTaskAlarm)].Properties.Threshold).toBe(33);
  });
});

describe('queues that are not WorkQueues', () => {
  test('an sqs.Queue without a dead-letter queue gets a warning: failing messages retry until they expire', () => {
    const stack = strictStack();
    const queue = new sqs.Queue(stack, 'Plain', { enforceSSL: true, visibilityTimeout: Duration.minutes(2) });
    new QueueProcessingService(stack, 'Workers', {
      queue,
      vpc: importedVpc(stack),
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      acceptableLatency: Duration.minutes(1),
      processingTimePerMessage: Duration.seconds(30),
    });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Workers',
      Match.stringLikeRegexp('The queue Stack/Plain has no dead-letter queue'),
    );
  });

  test("an sqs.Queue's visibility timeout is checked too (30 seconds when unset)", () => {
    const stack = strictStack();
    const queue = new sqs.Queue(stack, 'Plain');
    expect(
      () =>
        new QueueProcessingService(stack, 'Workers', {
          queue,
          vpc: importedVpc(stack),
          image: ecs.ContainerImage.fromRegistry(IMAGE),
          acceptableLatency: Duration.minutes(5),
          processingTimePerMessage: Duration.seconds(30),
        }),
    ).toThrow(
      "[Stack/Workers] processingTimePerMessage must be shorter than the queue's visibility timeout (30 seconds), or a message becomes visible again while a task still processes it and another task processes it too, got 30 seconds",
    );
  });

  test('an imported queue with its key: consume and decrypt granted, nothing checked that cannot be', () => {
    const stack = strictStack();
    const queue = sqs.Queue.fromQueueAttributes(stack, 'Imported', {
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:render-jobs',
      keyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    const service = new QueueProcessingService(stack, 'Workers', {
      queue,
      vpc: importedVpc(stack),
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      acceptableLatency: Duration.hours(1),
      processingTimePerMessage: Duration.hours(11),
    });
    expect(
      Template.fromStack(stack).toJSON().Resources[logicalId(service.consumePolicy)].Properties.PolicyDocument
        .Statement,
    ).toEqual([
      expect.objectContaining({ Resource: 'arn:aws:sqs:us-east-1:123456789012:render-jobs' }),
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
    ]);
    expectCompliant(stack);
  });
});

describe('metrics', () => {
  test('backlog per task, running and desired tasks', () => {
    const { stack, service } = serviceStack();
    expect(stack.resolve(service.metricRunningTaskCount().toMetricConfig().metricStat)).toMatchObject({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      statistic: 'Average',
    });
    expect(service.metricDesiredTaskCount({ statistic: 'Maximum' }).statistic).toBe('Maximum');
    expect(service.metricBacklogPerTask().expression).toBe('m1 / m2');
    expect(service.metricBacklogPerTask({ label: 'Jobs per encoder' }).label).toBe('Jobs per encoder');
  });
});
