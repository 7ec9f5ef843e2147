import { CfnOutput, CfnParameter, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { resolveIntrinsics } from '../harness/access';
import { ENV_MATRIX, logicalId, strictApp, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { AmazonMQChecks } from '../src/amazon-mq-checks';
import {
  MessageBroker,
  MessageBrokerDayOfWeek,
  MessageBrokerProps,
  MessageBrokerProtocol,
} from '../src/message-broker';
import { MessageBrokerEngine, MessageBrokerEngineType } from '../src/message-broker-engine';
import { StackAlarmTopic } from '../src/stack-alarm-topic';

const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const PRIVATE_SUBNETS = ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'];

/** A VPC with fixed zones and subnet ids, imported so that it adds no resources (and no findings) of its own. */
function importedVpc(stack: Stack, attrs: Partial<ec2.VpcAttributes> = {}): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ZONES,
    privateSubnetIds: PRIVATE_SUBNETS,
    privateSubnetRouteTableIds: ['rtb-a', 'rtb-b', 'rtb-c'],
    ...attrs,
  });
}

function broker(stack: Stack, props: Partial<MessageBrokerProps> = {}): MessageBroker {
  return new MessageBroker(stack, 'Broker', { vpc: importedVpc(stack), ...props });
}

function brokerProps(template: Template): Record<string, any> {
  const brokers = Object.values(template.findResources('AWS::AmazonMQ::Broker'));
  expect(brokers).toHaveLength(1);
  return brokers[0].Properties;
}

/** The AmazonMQ pack's findings on the app holding `stack`. */
function amazonMqFindings(stack: Stack): string[] {
  return new AmazonMQChecks()
    .validateScope(stack.node.root)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${r.constructPath}: ${v.ruleName}`));
}

const dynamicReferenceTo = (secretLogicalId: string) => ({
  'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretLogicalId }, ':SecretString:password::}}']],
});

describe('MessageBroker defaults: ActiveMQ active/standby', () => {
  const stack = strictStack();
  const mq = broker(stack);
  const template = Template.fromStack(stack);
  const brokerId = logicalId(mq);
  const keyId = logicalId(mq.encryptionKey as kms.Key);

  test('is an ActiveMQ 5.19 active/standby pair of mq.m5.large, private, with automatic minor upgrades', () => {
    expect(brokerProps(template)).toMatchObject({
      EngineType: 'ACTIVEMQ',
      EngineVersion: '5.19',
      DeploymentMode: 'ACTIVE_STANDBY_MULTI_AZ',
      HostInstanceType: 'mq.m5.large',
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
    });
    expect(mq.engine).toBe(MessageBrokerEngine.ACTIVEMQ_5_19);
    expect(mq.highAvailability).toBe(true);
    expect(mq.instanceType).toBe('mq.m5.large');
  });

  test('has a deterministic name derived from the stack and construct path', () => {
    expect(mq.brokerName).toBe('Stack-Broker-ea80d80b');
    expect(brokerProps(template).BrokerName).toBe('Stack-Broker-ea80d80b');
  });

  test('takes two subnets in two zones, the first of each zone in order', () => {
    expect(brokerProps(template).SubnetIds).toEqual(PRIVATE_SUBNETS.slice(0, 2));
  });

  test('encrypts its storage with a new customer-managed key with rotation', () => {
    expect(brokerProps(template).EncryptionOptions).toEqual({
      UseAwsOwnedKey: false,
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(mq.encryptionKey).toBeInstanceOf(kms.Key);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: 'Encrypts the broker storage, user secrets and logs of Stack/Broker',
    });
  });

  test('lets Amazon MQ use the key through Amazon MQ only, for principals of this account', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowAmazonMQInThisAccount',
            Principal: { AWS: '*' },
            Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey', 'kms:CreateGrant']),
            Condition: {
              StringEquals: {
                'kms:CallerAccount': '123456789012',
                // The region's own domain: known at synth, so no AWS::URLSuffix.
                'kms:ViaService': 'mq.us-east-1.amazonaws.com',
              },
            },
          }),
        ]),
      },
    });
  });

  test('lets CloudWatch Logs use the key for Amazon MQ log groups only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsForAmazonMQ',
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:us-east-1:123456789012:log-group:/aws/amazonmq/broker/*',
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

  test('has a security group of its own with no inbound and no outbound rule', () => {
    expect(brokerProps(template).SecurityGroups).toEqual([{ 'Fn::GetAtt': [logicalId(mq.securityGroup), 'GroupId'] }]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.absent(),
      // CDK's placeholder rule that matches no traffic: allowAllOutbound is false.
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    expect(mq.connections.securityGroups).toEqual([mq.securityGroup]);
  });

  test('has one administrator, without console access, whose password is a dynamic reference', () => {
    expect(brokerProps(template).Users).toEqual([
      {
        Username: 'admin',
        Password: dynamicReferenceTo(logicalId(mq.adminSecret)),
        ConsoleAccess: false,
        Groups: ['admins'],
      },
    ]);
    expect(JSON.stringify(brokerProps(template))).not.toMatch(/"Password":"[^{]/);
    expect(mq.adminUsername).toBe('admin');
  });

  test('generates the administrator password into Secrets Manager under the customer key', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      GenerateSecretString: {
        SecretStringTemplate: '{"username":"admin"}',
        GenerateStringKey: 'password',
        PasswordLength: 32,
        RequireEachIncludedType: true,
        ExcludeCharacters: Match.stringLikeRegexp('^,:='),
      },
    });
  });

  test('denies the secret to every principal outside the account', () => {
    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      SecretId: { Ref: logicalId(mq.adminSecret) },
      ResourcePolicy: {
        Statement: [
          {
            Sid: 'DenyOutsideAccount',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'secretsmanager:*',
            Resource: '*',
            Condition: { StringNotEquals: { 'aws:PrincipalAccount': '123456789012' } },
          },
        ],
      },
    });
  });

  test('logs general and audit logs', () => {
    expect(brokerProps(template).Logs).toEqual({ General: true, Audit: true });
  });

  test('makes sure of both log groups after the broker, without creating them in the template', () => {
    // Amazon MQ creates /aws/amazonmq/broker/<id>/... itself when the broker starts: an AWS::Logs::LogGroup of
    // that name would fail with "already exists". A custom resource gives them retention and the key instead.
    expect(JSON.stringify(template.findResources('AWS::Logs::LogGroup'))).not.toContain('/aws/amazonmq/');
    for (const log of ['general', 'audit']) {
      template.hasResourceProperties('Custom::AmazonMqLogGroup', {
        LogGroupName: { 'Fn::Join': ['', ['/aws/amazonmq/broker/', { Ref: brokerId }, `/${log}`]] },
        RetentionInDays: 365,
        KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] },
        RemovalPolicy: 'retain',
        ServiceTimeout: '900',
      });
    }
    template.resourceCountIs('Custom::AmazonMqLogGroup', 2);
    // Whatever reads the log groups waits for the custom resource.
    expect(stack.resolve(mq.generalLogGroup.logGroupName)).toEqual({
      'Fn::GetAtt': [logicalId(mq.node.findChild('LogGroups').node.findChild('General') as any), 'LogGroupName'],
    });
    expect(mq.auditLogGroup).toBeDefined();
  });

  test('lets Amazon MQ write its logs through a resource policy that exists before the broker', () => {
    const policies = template.findResources('AWS::Logs::ResourcePolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    const [policyId, policy] = Object.entries(policies)[0];
    const document = JSON.parse(
      (policy.Properties.PolicyDocument['Fn::Join'][1] as unknown[])
        .map((part) => (typeof part === 'string' ? part : 'aws'))
        .join(''),
    );
    expect(document.Statement).toEqual([
      {
        Sid: 'AllowAmazonMQToWriteBrokerLogs',
        Effect: 'Allow',
        Principal: { Service: 'mq.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/amazonmq/broker/*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:mq:us-east-1:123456789012:broker:*' },
        },
      },
    ]);
    template.hasResource('AWS::AmazonMQ::Broker', { DependsOn: Match.arrayWith([policyId]) });
  });

  test('has a Sunday 03:00 UTC maintenance window', () => {
    expect(brokerProps(template).MaintenanceWindowStartTime).toEqual({
      DayOfWeek: 'SUNDAY',
      TimeOfDay: '03:00',
      TimeZone: 'UTC',
    });
  });

  test('retains the broker, key, secret and log groups when they leave the stack', () => {
    for (const type of [
      'AWS::AmazonMQ::Broker',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::Logs::LogGroup',
      'Custom::AmazonMqLogGroup',
      'AWS::SQS::Queue',
    ]) {
      const ours = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith('Broker'));
      expect(ours.length).toBeGreaterThan(0);
      for (const [, resource] of ours) {
        expect(resource.DeletionPolicy).toBe('Retain');
      }
    }
  });

  test('exposes its id, ARN and endpoints', () => {
    expect(stack.resolve(mq.brokerId)).toEqual({ Ref: brokerId });
    expect(stack.resolve(mq.brokerArn)).toEqual({ 'Fn::GetAtt': [brokerId, 'Arn'] });
    expect(stack.resolve(mq.openWireEndpoints)).toEqual({ 'Fn::GetAtt': [brokerId, 'OpenWireEndpoints'] });
    expect(stack.resolve(mq.amqpEndpoints)).toEqual({ 'Fn::GetAtt': [brokerId, 'AmqpEndpoints'] });
    expect(stack.resolve(mq.stompEndpoints)).toEqual({ 'Fn::GetAtt': [brokerId, 'StompEndpoints'] });
    expect(stack.resolve(mq.mqttEndpoints)).toEqual({ 'Fn::GetAtt': [brokerId, 'MqttEndpoints'] });
    expect(stack.resolve(mq.wssEndpoints)).toEqual({ 'Fn::GetAtt': [brokerId, 'WssEndpoints'] });
    expect(stack.resolve(mq.consoleUrls)).toEqual({ 'Fn::GetAtt': [brokerId, 'ConsoleURLs'] });
  });

  test('alarms on CPU, heap, store and connections of both instances, by broker name with -1/-2', () => {
    const topicRef = { Ref: logicalId(StackAlarmTopic.of(stack).topic) };
    for (const [metricName, threshold] of [
      ['CpuUtilization', 80],
      ['HeapUsage', 80],
      ['StorePercentUsage', 80],
      // 80% of the 2,000 connections per protocol Amazon MQ allows an mq.*.*large ActiveMQ broker.
      ['CurrentConnectionsCount', 1600],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef],
        OKActions: [topicRef],
        Metrics: [
          Match.objectLike({ Expression: 'MAX([instance1, instance2])', ReturnData: true }),
          Match.objectLike({
            Id: 'instance1',
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AWS/AmazonMQ',
                MetricName: metricName,
                Dimensions: [{ Name: 'Broker', Value: 'Stack-Broker-ea80d80b-1' }],
              },
              Period: 300,
            }),
            ReturnData: false,
          }),
          Match.objectLike({
            Id: 'instance2',
            MetricStat: Match.objectLike({
              Metric: {
                Namespace: 'AWS/AmazonMQ',
                MetricName: metricName,
                Dimensions: [{ Name: 'Broker', Value: 'Stack-Broker-ea80d80b-2' }],
              },
            }),
          }),
        ],
      });
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    expect(mq.alarms).toEqual([
      mq.cpuUtilizationAlarm,
      mq.memoryUsageAlarm,
      mq.storageUsageAlarm,
      mq.connectionCountAlarm,
    ]);
    expect(mq.alarmTopic).toBe(StackAlarmTopic.of(stack).topic);
  });

  test('adds no warning', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('passes the AmazonMQ pack', () => {
    expect(amazonMqFindings(stack)).toEqual([]);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('MessageBroker: RabbitMQ cluster', () => {
  const stack = strictStack();
  const mq = broker(stack, { engine: MessageBrokerEngine.RABBITMQ_3_13 });
  const template = Template.fromStack(stack);

  test('is a three-node RabbitMQ 3.13 cluster in three zones, private, with automatic minor upgrades', () => {
    expect(brokerProps(template)).toMatchObject({
      EngineType: 'RABBITMQ',
      EngineVersion: '3.13',
      DeploymentMode: 'CLUSTER_MULTI_AZ',
      HostInstanceType: 'mq.m5.large',
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      SubnetIds: PRIVATE_SUBNETS,
    });
  });

  test('leaves storage encryption to Amazon MQ, which offers RabbitMQ no customer key', () => {
    expect(brokerProps(template).EncryptionOptions).toBeUndefined();
  });

  test('has exactly one user, the administrator, with neither groups nor console flag', () => {
    expect(brokerProps(template).Users).toEqual([
      { Username: 'admin', Password: dynamicReferenceTo(logicalId(mq.adminSecret)) },
    ]);
  });

  test('logs general logs (RabbitMQ has no audit log) to one log group', () => {
    expect(brokerProps(template).Logs).toEqual({ General: true });
    template.resourceCountIs('Custom::AmazonMqLogGroup', 1);
    template.hasResourceProperties('Custom::AmazonMqLogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['/aws/amazonmq/broker/', { Ref: logicalId(mq) }, '/general']] },
    });
    expect(mq.auditLogGroup).toBeUndefined();
    expect(mq.generalLogGroup.logGroupArn).toBeDefined();
  });

  test('does not add the Amazon MQ statement to the key, which the broker does not use', () => {
    const key = Object.values(template.findResources('AWS::KMS::Key')).find((k) =>
      String(k.Properties.Description).includes('Stack/Broker'),
    );
    const sids = key!.Properties.KeyPolicy.Statement.map((s: any) => s.Sid);
    expect(sids).not.toContain('AllowAmazonMQInThisAccount');
    expect(sids).toContain('AllowCloudWatchLogsForAmazonMQ');
    expect(sids).toContain('AllowCloudWatchLogsForLogGroupHandlers');
  });

  test('alarms on broker-wide metrics under the broker name', () => {
    const dimensions = [{ Name: 'Broker', Value: 'Stack-Broker-ea80d80b' }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SystemCpuUtilization',
      Dimensions: dimensions,
      Threshold: 80,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ConnectionCount',
      Dimensions: dimensions,
      Threshold: 800,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 80,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: '100 * used / limit' }),
        Match.objectLike({
          Id: 'used',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ MetricName: 'RabbitMQMemUsed', Dimensions: dimensions }),
          }),
        }),
        Match.objectLike({
          Id: 'limit',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'RabbitMQMemLimit' }) }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 2,
      ComparisonOperator: 'LessThanThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'free / limit' }),
        Match.objectLike({
          Id: 'free',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'RabbitMQDiskFree' }) }),
        }),
      ]),
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('passes the AmazonMQ pack', () => {
    expect(amazonMqFindings(stack)).toEqual([]);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('MessageBroker props', () => {
  test('highAvailability false gives a single mq.t3.micro instance in one subnet, and a warning', () => {
    const stack = strictStack();
    const mq = broker(stack, { highAvailability: false });
    const props = brokerProps(Template.fromStack(stack));
    expect(props).toMatchObject({
      DeploymentMode: 'SINGLE_INSTANCE',
      HostInstanceType: 'mq.t3.micro',
      SubnetIds: [PRIVATE_SUBNETS[0]],
    });
    expect(mq.highAvailability).toBe(false);
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Broker',
      Match.stringLikeRegexp('highAvailability is false: Stack/Broker is a single ACTIVEMQ instance.*development only'),
    );
    // A single instance publishes under <name>-1 only.
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CpuUtilization',
      Dimensions: [{ Name: 'Broker', Value: 'Stack-Broker-ea80d80b-1' }],
    });
    // Micro brokers take 300 connections per protocol ("Quotas in Amazon MQ"): 80% of them.
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CurrentConnectionsCount',
      Threshold: 240,
    });
  });

  test('a single-instance RabbitMQ broker has one subnet', () => {
    const stack = strictStack();
    broker(stack, { engine: MessageBrokerEngine.RABBITMQ_3_13, highAvailability: false });
    expect(brokerProps(Template.fromStack(stack))).toMatchObject({
      DeploymentMode: 'SINGLE_INSTANCE',
      HostInstanceType: 'mq.t3.micro',
      SubnetIds: [PRIVATE_SUBNETS[0]],
    });
  });

  test('RabbitMQ 4 runs on mq.m7g: large for a cluster, medium for a single instance', () => {
    const cluster = strictStack();
    broker(cluster, { engine: MessageBrokerEngine.RABBITMQ_4_2 });
    expect(brokerProps(Template.fromStack(cluster))).toMatchObject({
      EngineVersion: '4.2',
      HostInstanceType: 'mq.m7g.large',
    });
    const single = strictStack();
    broker(single, { engine: MessageBrokerEngine.RABBITMQ_4_2, highAvailability: false });
    expect(brokerProps(Template.fromStack(single)).HostInstanceType).toBe('mq.m7g.medium');
  });

  test('takes every other prop', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'OpsTopic', { masterKey: key });
    const mq = broker(stack, {
      engine: MessageBrokerEngine.ACTIVEMQ_5_18,
      instanceType: 'mq.m5.xlarge',
      brokerName: 'orders_broker-1',
      encryptionKey: key,
      adminUsername: 'ops-admin',
      adminConsoleAccess: true,
      maintenanceWindow: {
        dayOfWeek: MessageBrokerDayOfWeek.WEDNESDAY,
        timeOfDay: '22:30',
        timeZone: 'Europe/Berlin',
      },
      logRetention: logs.RetentionDays.TWO_YEARS,
      alarmTopic: topic,
      connectionCountAlarmThreshold: 250,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    expect(brokerProps(template)).toMatchObject({
      EngineVersion: '5.18',
      HostInstanceType: 'mq.m5.xlarge',
      BrokerName: 'orders_broker-1',
      EncryptionOptions: { UseAwsOwnedKey: false, KmsKeyId: { 'Fn::GetAtt': [logicalId(key), 'Arn'] } },
      MaintenanceWindowStartTime: { DayOfWeek: 'WEDNESDAY', TimeOfDay: '22:30', TimeZone: 'Europe/Berlin' },
    });
    expect(brokerProps(template).Users).toEqual([
      expect.objectContaining({ Username: 'ops-admin', ConsoleAccess: true }),
    ]);
    expect(mq.encryptionKey).toBe(key);
    // Only the given key and none of ours; the stack-wide alarm topic is not created either.
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'AllowAmazonMQInThisAccount' }),
          Match.objectLike({ Sid: 'AllowCloudWatchLogsForAmazonMQ' }),
        ]),
      },
    });
    template.hasResourceProperties('Custom::AmazonMqLogGroup', {
      RetentionInDays: 731,
      KmsKeyArn: { 'Fn::GetAtt': [logicalId(key), 'Arn'] },
      RemovalPolicy: 'destroy',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 731,
      KmsKeyId: { 'Fn::GetAtt': [logicalId(key), 'Arn'] },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 250,
      AlarmActions: [{ Ref: logicalId(topic) }],
      OKActions: [{ Ref: logicalId(topic) }],
      Metrics: Match.arrayWith([
        Match.objectLike({
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({
              MetricName: 'CurrentConnectionsCount',
              Dimensions: [{ Name: 'Broker', Value: 'orders_broker-1-1' }],
            }),
          }),
        }),
      ]),
    });
    for (const type of [
      'AWS::AmazonMQ::Broker',
      'AWS::SecretsManager::Secret',
      'AWS::Logs::LogGroup',
      'Custom::AmazonMqLogGroup',
    ]) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource.DeletionPolicy).toBe('Delete');
      }
    }
    expect(mq.alarmTopic).toBe(topic);
    expectCompliant(stack);
    expect(amazonMqFindings(stack)).toEqual([]);
  });

  test('vpcSubnets picks the subnets, the first of each zone in order', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack, {
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-p1', 'subnet-p2'],
      privateSubnetRouteTableIds: ['rtb-p1', 'rtb-p2'],
      isolatedSubnetIds: ['subnet-i1', 'subnet-i2'],
      isolatedSubnetRouteTableIds: ['rtb-i1', 'rtb-i2'],
    });
    new MessageBroker(stack, 'Broker', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    expect(brokerProps(Template.fromStack(stack)).SubnetIds).toEqual(['subnet-i1', 'subnet-i2']);
  });

  test('explicit subnets with a repeated zone: the second subnet of a zone is skipped', () => {
    const stack = strictStack();
    const subnet = (id: string, zone: string) =>
      ec2.Subnet.fromSubnetAttributes(stack, id, { subnetId: id, availabilityZone: zone });
    new MessageBroker(stack, 'Broker', {
      vpc: importedVpc(stack),
      vpcSubnets: {
        subnets: [
          subnet('subnet-a1', 'us-east-1a'),
          subnet('subnet-a2', 'us-east-1a'),
          subnet('subnet-b1', 'us-east-1b'),
        ],
      },
    });
    expect(brokerProps(Template.fromStack(stack)).SubnetIds).toEqual(['subnet-a1', 'subnet-b1']);
  });

  test('a VPC without private subnets gives its isolated subnets by default', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack, {
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: undefined,
      privateSubnetRouteTableIds: undefined,
      isolatedSubnetIds: ['subnet-i1', 'subnet-i2'],
      isolatedSubnetRouteTableIds: ['rtb-i1', 'rtb-i2'],
    });
    new MessageBroker(stack, 'Broker', { vpc });
    expect(brokerProps(Template.fromStack(stack)).SubnetIds).toEqual(['subnet-i1', 'subnet-i2']);
  });

  test('a VPC created in an environment-agnostic stack: zones that are tokens still count as distinct', () => {
    const stack = new Stack();
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    new MessageBroker(stack, 'Broker', { vpc });
    expect(brokerProps(Template.fromStack(stack)).SubnetIds).toHaveLength(2);
  });

  test('an engine version given with of() that Amazon MQ offers is accepted', () => {
    const stack = strictStack();
    broker(stack, { engine: MessageBrokerEngine.of(MessageBrokerEngineType.ACTIVEMQ, '5.20') });
    expect(brokerProps(Template.fromStack(stack)).EngineVersion).toBe('5.20');
    expect(MessageBrokerEngine.RABBITMQ_4_2.toString()).toBe('RABBITMQ 4.2');
  });
});

describe('MessageBroker.allowClientsFrom', () => {
  function fixture(props: Partial<MessageBrokerProps> = {}) {
    const stack = strictStack();
    const mq = broker(stack, props);
    const vpc = stack.node.findChild('Vpc') as ec2.IVpc;
    const app = new ec2.SecurityGroup(stack, 'App', { vpc, allowAllOutbound: false });
    return { stack, mq, app };
  }

  function ingressPorts(stack: Stack): number[] {
    return Object.values(Template.fromStack(stack).findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties.FromPort as number)
      .sort((a, b) => a - b);
  }

  test('opens OpenWire (61617) by default, from the peer security group, never from an address range', () => {
    const { stack, mq, app } = fixture();
    mq.allowClientsFrom(app);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(mq.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(app), 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: 61617,
      ToPort: 61617,
      CidrIp: Match.absent(),
    });
    // The peer's own egress is opened too, since it does not allow all outbound traffic.
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [logicalId(app), 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [logicalId(mq.securityGroup), 'GroupId'] },
      FromPort: 61617,
    });
    expect(ingressPorts(stack)).toEqual([61617]);
    expectCompliant(stack);
  });

  test('opens exactly the ActiveMQ protocols asked for, the console only when named', () => {
    const { stack, mq, app } = fixture();
    mq.allowClientsFrom(app, [
      MessageBrokerProtocol.OPENWIRE,
      MessageBrokerProtocol.AMQP,
      MessageBrokerProtocol.STOMP,
      MessageBrokerProtocol.MQTT,
      MessageBrokerProtocol.WSS,
    ]);
    expect(ingressPorts(stack)).toEqual([5671, 8883, 61614, 61617, 61619]);
    const withConsole = fixture();
    withConsole.mq.allowClientsFrom(withConsole.app, [MessageBrokerProtocol.WEB_CONSOLE]);
    expect(ingressPorts(withConsole.stack)).toEqual([8162]);
  });

  test('opens AMQPS (5671) for RabbitMQ by default, and 443 for its console when named', () => {
    const { stack, mq, app } = fixture({ engine: MessageBrokerEngine.RABBITMQ_3_13 });
    mq.allowClientsFrom(app);
    mq.allowClientsFrom(app, [MessageBrokerProtocol.WEB_CONSOLE]);
    expect(ingressPorts(stack)).toEqual([443, 5671]);
  });

  test('works with any IConnectable, e.g. the connections of another construct', () => {
    const { stack, mq, app } = fixture();
    mq.allowClientsFrom(new ec2.Connections({ securityGroups: [app] }), [MessageBrokerProtocol.AMQP]);
    expect(ingressPorts(stack)).toEqual([5671]);
  });

  test('rejects a protocol the engine does not offer, and an empty list', () => {
    const { mq, app } = fixture({ engine: MessageBrokerEngine.RABBITMQ_3_13 });
    expect(() => mq.allowClientsFrom(app, [MessageBrokerProtocol.OPENWIRE])).toThrow(
      '[Stack/Broker] allowClientsFrom protocols must be protocols RABBITMQ offers (AMQP, WEB_CONSOLE), got "OPENWIRE"',
    );
    expect(() => mq.allowClientsFrom(app, [])).toThrow(
      '[Stack/Broker] allowClientsFrom protocols must name at least one protocol (or be omitted), got "[]"',
    );
  });
});

describe('MessageBroker.addUser', () => {
  test('adds an ActiveMQ user with its own generated secret, groups and console access', () => {
    const stack = strictStack();
    const mq = broker(stack);
    const secret = mq.addUser('orders-app', { groups: ['orders', 'users'], consoleAccess: true, passwordLength: 40 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::AmazonMQ::Broker', {
      Users: [
        Match.objectLike({ Username: 'admin' }),
        {
          Username: 'orders-app',
          Password: dynamicReferenceTo(logicalId(secret)),
          Groups: ['orders', 'users'],
          ConsoleAccess: true,
        },
      ],
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"orders-app"}', PasswordLength: 40 }),
    });
    expect(secret.node.path).toBe('Stack/Broker/Users/orders-app');
    expectCompliant(stack);
  });

  test('a user without options has no groups and no console access', () => {
    const stack = strictStack();
    const mq = broker(stack);
    mq.addUser('reporting');
    const user = brokerProps(Template.fromStack(stack)).Users[1];
    expect(user).toEqual({ Username: 'reporting', Password: expect.anything(), ConsoleAccess: false });
  });

  test('rejects a second user of the same name', () => {
    const mq = broker(strictStack());
    mq.addUser('app');
    expect(() => mq.addUser('app')).toThrow('[Stack/Broker] addUser username must be unique on the broker, got "app"');
    expect(() => mq.addUser('admin')).toThrow(/must be unique/);
  });

  test('rejects users on RabbitMQ, which takes exactly one at creation', () => {
    const mq = broker(strictStack(), { engine: MessageBrokerEngine.RABBITMQ_3_13 });
    expect(() => mq.addUser('app')).toThrow(
      /addUser username cannot be added: RabbitMQ takes exactly one user \(the administrator\).*management API, got "app"/,
    );
  });

  test.each<[string, () => void, RegExp]>([
    [
      'a one-letter name',
      () => broker(strictStack()).addUser('a'),
      /addUser username must be 2 to 100 letters.*got "a"/,
    ],
    [
      'a space',
      () => broker(strictStack()).addUser('orders app'),
      /addUser username must be 2 to 100.*got "orders app"/,
    ],
    [
      'a password shorter than 12',
      () => broker(strictStack()).addUser('app', { passwordLength: 8 }),
      /^\[Stack\/Broker\] addUser passwordLength must be an integer between 12 and 250, got 8$/,
    ],
    [
      'more than 20 groups',
      () => broker(strictStack()).addUser('app', { groups: Array.from({ length: 21 }, (_, i) => `g${i}x`) }),
      /groups must hold at most 20 groups, got 21/,
    ],
    [
      'a group with a space',
      () => broker(strictStack()).addUser('app', { groups: ['my group'] }),
      /groups must be 2 to 100 letters.*got "my group"/,
    ],
  ])('rejects %s', (_name, act, error) => {
    expect(act).toThrow(error);
  });

  test('skips validation of tokens in the options', () => {
    const mq = broker(strictStack());
    expect(() => mq.addUser('app', { passwordLength: Token.asNumber({ Ref: 'Length' }) })).not.toThrow();
    expect(() => mq.addUser('other', { groups: [Lazy.string({ produce: () => 'x' })] })).not.toThrow();
  });

  test('takes a user name that is a token, under a construct id derived from its expression', () => {
    const build = () => {
      const stack = strictStack();
      const mq = broker(stack);
      const name = new CfnParameter(stack, 'AppUser', { type: 'String', default: 'orders-app' });
      return { stack, mq, secret: mq.addUser(name.valueAsString, { groups: ['orders'] }) };
    };
    const first = build();
    const second = build();
    // The same expression gives the same id, hence the same logical id, at every synth.
    expect(first.secret.node.id).toMatch(/^Token:[0-9a-f]{16}$/);
    expect(first.secret.node.id).toBe(second.secret.node.id);
    expect(logicalId(first.secret)).toBe(logicalId(second.secret));
    const users = brokerProps(Template.fromStack(first.stack)).Users;
    expect(users[1]).toEqual({
      Username: { Ref: 'AppUser' },
      Password: dynamicReferenceTo(logicalId(first.secret)),
      Groups: ['orders'],
      ConsoleAccess: false,
    });
    expect(() => first.mq.addUser(Token.asString({ Ref: 'AppUser' }))).toThrow(
      '[Stack/Broker] addUser username must be unique on the broker, got a deploy-time value {"Ref":"AppUser"}',
    );
    // A literal user keeps its name as its id.
    expect(first.mq.addUser('reporting').node.path).toBe('Stack/Broker/Users/reporting');
  });
});

describe('MessageBroker.failoverUrl', () => {
  test('joins the OpenWire endpoints of both instances into a failover URL', () => {
    const stack = strictStack();
    const mq = broker(stack);
    expect(stack.resolve(mq.failoverUrl())).toEqual({
      'Fn::Join': [
        '',
        ['failover:(', { 'Fn::Join': [',', { 'Fn::GetAtt': [logicalId(mq), 'OpenWireEndpoints'] }] }, ')'],
      ],
    });
    expect(stack.resolve(mq.failoverUrl(MessageBrokerProtocol.OPENWIRE))).toEqual(stack.resolve(mq.failoverUrl()));
  });

  test('gives the amqps:// form for AMQP clients (Qpid JMS), one host per instance', () => {
    const stack = strictStack();
    const mq = broker(stack);
    const resolved = JSON.stringify(stack.resolve(mq.failoverUrl(MessageBrokerProtocol.AMQP)));
    expect(resolved).toContain('"failover:(amqps://"');
    expect(resolved).toContain('",amqps://"');
    expect(resolved).toContain('AmqpEndpoints');
    expect(resolved.match(/Fn::Select":\[[01],\{"Fn::GetAtt/g)).toHaveLength(2);
  });

  test('a single instance gives a one-host failover URL', () => {
    const stack = strictStack();
    const mq = broker(stack, { highAvailability: false });
    const resolved = JSON.stringify(stack.resolve(mq.failoverUrl(MessageBrokerProtocol.AMQP)));
    expect(resolved).not.toContain('",amqps://"');
  });

  test('rejects RabbitMQ and the protocols without a failover transport', () => {
    expect(() => broker(strictStack(), { engine: MessageBrokerEngine.RABBITMQ_3_13 }).failoverUrl()).toThrow(
      /^\[Stack\/Broker\] failoverUrl protocol is for ActiveMQ only: RabbitMQ serves one endpoint behind a load balancer, with no failover URL \(use amqpEndpoints\), got "OPENWIRE"$/,
    );
    expect(() => broker(strictStack()).failoverUrl(MessageBrokerProtocol.STOMP)).toThrow(
      '[Stack/Broker] failoverUrl protocol must be OPENWIRE or AMQP (STOMP, MQTT and WebSocket clients take the endpoint list, e.g. stompEndpoints), got "STOMP"',
    );
  });
});

describe('MessageBroker metrics', () => {
  test('metric() of an active/standby pair is the highest of both instances', () => {
    const stack = strictStack();
    const mq = broker(stack);
    const metric = mq.metric('TotalMessageCount', { statistic: 'Maximum', period: Duration.minutes(1) });
    expect(metric).toBeInstanceOf(cloudwatch.MathExpression);
    const config = metric.toMetricConfig().mathExpression!;
    expect(config.expression).toBe('MAX([instance1, instance2])');
    expect(config.period).toBe(60);
    const instance2 = config.usingMetrics.instance2 as cloudwatch.Metric;
    expect(instance2.dimensions).toEqual({ Broker: 'Stack-Broker-ea80d80b-2' });
    expect(instance2.statistic).toBe('Maximum');
  });

  test('metricOfInstance() names one instance', () => {
    const mq = broker(strictStack());
    const metric = mq.metricOfInstance('HeapUsage', 1);
    expect(metric.namespace).toBe('AWS/AmazonMQ');
    expect(metric.metricName).toBe('HeapUsage');
    expect(metric.dimensions).toEqual({ Broker: 'Stack-Broker-ea80d80b-1' });
    expect(() => mq.metricOfInstance('HeapUsage', 3)).toThrow(
      '[Stack/Broker] metricOfInstance instance must be an integer between 1 and 2, got 3',
    );
  });

  test('RabbitMQ metrics are broker-wide, under the broker name', () => {
    const mq = broker(strictStack(), { engine: MessageBrokerEngine.RABBITMQ_3_13 });
    const metric = mq.metric('MessageCount') as cloudwatch.Metric;
    expect(metric.dimensions).toEqual({ Broker: 'Stack-Broker-ea80d80b' });
    expect(() => mq.metricOfInstance('MessageCount', 1)).toThrow(
      '[Stack/Broker] metricOfInstance instance is for ActiveMQ only (RabbitMQ publishes broker-wide metrics under the broker name), got 1',
    );
  });
});

describe('MessageBroker rejects bad input at synth', () => {
  const make = (props: Partial<MessageBrokerProps>) => () => broker(strictStack(), props);

  test.each<[string, Partial<ec2.VpcAttributes>, Partial<MessageBrokerProps>, string]>([
    [
      'a VPC with one zone for active/standby',
      { availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-a'], privateSubnetRouteTableIds: ['rtb-a'] },
      {},
      '[Stack/Broker] vpcSubnets must give 2 subnet(s) in 2 different Availability Zones for a ACTIVE_STANDBY_MULTI_AZ ACTIVEMQ broker; ' +
        'select subnets in more zones, or set highAvailability to false for a development broker, got "1 subnet(s) in 1 zone(s) from the VPC\'s private (or isolated) subnets"',
    ],
    [
      'a VPC with two zones for a RabbitMQ cluster',
      {
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-a', 'subnet-b'],
        privateSubnetRouteTableIds: ['rtb-a', 'rtb-b'],
      },
      { engine: MessageBrokerEngine.RABBITMQ_3_13 },
      '[Stack/Broker] vpcSubnets must give 3 subnet(s) in 3 different Availability Zones for a CLUSTER_MULTI_AZ RABBITMQ broker; ' +
        'select subnets in more zones, or set highAvailability to false for a development broker, got "2 subnet(s) in 2 zone(s) from the VPC\'s private (or isolated) subnets"',
    ],
    [
      'a VPC with only public subnets',
      {
        privateSubnetIds: undefined,
        privateSubnetRouteTableIds: undefined,
        publicSubnetIds: PRIVATE_SUBNETS,
        publicSubnetRouteTableIds: ['rtb-a', 'rtb-b', 'rtb-c'],
      },
      {},
      '[Stack/Broker] vpcSubnets must give 2 subnet(s) in 2 different Availability Zones for a ACTIVE_STANDBY_MULTI_AZ ACTIVEMQ broker; select subnets in more zones, or set highAvailability to false for a development broker, got "0 subnet(s) in 0 zone(s) from the VPC\'s private (or isolated) subnets"',
    ],
  ])('%s', (_name, vpcAttrs, props, error) => {
    const stack = strictStack();
    expect(() => new MessageBroker(stack, 'Broker', { vpc: importedVpc(stack, vpcAttrs), ...props })).toThrow(error);
  });

  test('a selection that gives too few zones', () => {
    const stack = strictStack();
    const subnet = (id: string) =>
      ec2.Subnet.fromSubnetAttributes(stack, id, { subnetId: id, availabilityZone: 'us-east-1a' });
    expect(
      () =>
        new MessageBroker(stack, 'Broker', {
          vpc: importedVpc(stack),
          vpcSubnets: { subnets: [subnet('subnet-a1'), subnet('subnet-a2')] },
        }),
    ).toThrow(
      /vpcSubnets must give 2 subnet\(s\) in 2 different Availability Zones.*got "2 subnet\(s\) in 1 zone\(s\) from the vpcSubnets selection"/,
    );
  });

  test('a subnet type the VPC does not have is refused before the VPC is asked', () => {
    expect(make({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } })).toThrow(
      '[Stack/Broker] vpcSubnets.subnetType must be a type of subnet the VPC has (Private), got "Public"',
    );
  });

  test('a subnet group name the VPC does not have: aws-cdk-lib says which names it has', () => {
    expect(make({ vpcSubnets: { subnetGroupName: 'Brokers' } })).toThrow(
      /There are no subnet groups with name 'Brokers' in this VPC. Available names:/,
    );
  });

  test('subnets whose zone is unknown: aws-cdk-lib says how to import them, and nothing is created', () => {
    const stack = strictStack();
    expect(
      () =>
        new MessageBroker(stack, 'Broker', {
          vpc: importedVpc(stack),
          vpcSubnets: { subnets: [ec2.Subnet.fromSubnetId(stack, 'S', 'subnet-x')] },
        }),
    ).toThrow(
      "You cannot reference a Subnet's availability zone if it was not supplied. Add the availabilityZone when importing using Subnet.fromSubnetAttributes()",
    );
    // Refused before any resource: the subnets come first.
    expect(stack.node.findChild('Broker').node.children).toEqual([]);
  });

  test.each<[string, Partial<MessageBrokerProps>, RegExp | string]>([
    [
      'mq.t3.micro for active/standby',
      { instanceType: 'mq.t3.micro' },
      '[Stack/Broker] instanceType must be one of mq.m5.large, mq.m5.xlarge, mq.m5.2xlarge, mq.m5.4xlarge for an active/standby ACTIVEMQ 5.19 broker ' +
        '(mq.t3.micro runs single instances only: set highAvailability to false, or pick a larger type), got "mq.t3.micro"',
    ],
    [
      'mq.t3.micro for a RabbitMQ cluster',
      { instanceType: 'mq.t3.micro', engine: MessageBrokerEngine.RABBITMQ_3_13 },
      /instanceType must be one of .* for a cluster RABBITMQ 3.13 broker \(mq.t3.micro runs single instances only/,
    ],
    [
      'mq.m7g.medium for a RabbitMQ 4 cluster',
      { instanceType: 'mq.m7g.medium', engine: MessageBrokerEngine.RABBITMQ_4_2 },
      /for a cluster RABBITMQ 4.2 broker \(mq.m7g.medium runs single instances only/,
    ],
    [
      'mq.m5.large for RabbitMQ 4',
      { instanceType: 'mq.m5.large', engine: MessageBrokerEngine.RABBITMQ_4_2 },
      /instanceType must be one of mq.m7g.large, .* for a cluster RABBITMQ 4.2 broker, got "mq.m5.large"/,
    ],
    [
      'mq.m7g.large for ActiveMQ',
      { instanceType: 'mq.m7g.large' },
      /instanceType must be one of mq.m5.large.* for an active\/standby ACTIVEMQ 5.19 broker, got "mq.m7g.large"/,
    ],
    [
      'an unknown instance type',
      { instanceType: 'm5.large', highAvailability: false },
      /single-instance ACTIVEMQ 5.19 broker, got "m5.large"/,
    ],
    [
      'ActiveMQ 5.17',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.ACTIVEMQ, '5.17') },
      '[Stack/Broker] engine.version must be ActiveMQ 5.18 or later: Amazon MQ no longer supports older versions (use MessageBrokerEngine.ACTIVEMQ_5_19), got "5.17"',
    ],
    [
      'an ActiveMQ patch version',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.ACTIVEMQ, '5.18.4') },
      /engine\.version must be given as major.minor for ActiveMQ 5.18 and later \(e.g. "5.19"\).*got "5.18.4"/,
    ],
    [
      'an ActiveMQ version that is RabbitMQ’s',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.ACTIVEMQ, '3.13') },
      /engine\.version must be an ActiveMQ version Amazon MQ offers: 5.18 or 5.19.*got "3.13"/,
    ],
    [
      'RabbitMQ 3.12',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.RABBITMQ, '3.12') },
      /engine\.version must be RabbitMQ 3.13 or later.*got "3.12"/,
    ],
    [
      'a RabbitMQ patch version',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.RABBITMQ, '3.13.7') },
      /engine\.version must be given as major.minor for RabbitMQ.*got "3.13.7"/,
    ],
    [
      'a RabbitMQ version that is not one',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.RABBITMQ, 'latest') },
      /engine\.version must be a RabbitMQ version Amazon MQ offers: 3.13 or 4.x.*got "latest"/,
    ],
    [
      'a maintenance time that is not HH:MM',
      { maintenanceWindow: { dayOfWeek: MessageBrokerDayOfWeek.MONDAY, timeOfDay: '3:00' } },
      '[Stack/Broker] maintenanceWindow.timeOfDay must be a 24-hour time HH:MM, from 00:00 to 23:59, got "3:00"',
    ],
    [
      'a maintenance time past midnight',
      { maintenanceWindow: { dayOfWeek: MessageBrokerDayOfWeek.MONDAY, timeOfDay: '24:00' } },
      /maintenanceWindow.timeOfDay must be a 24-hour time.*got "24:00"/,
    ],
    [
      'a maintenance time zone that is no name',
      { maintenanceWindow: { dayOfWeek: MessageBrokerDayOfWeek.MONDAY, timeOfDay: '01:00', timeZone: 'berlin time' } },
      '[Stack/Broker] maintenanceWindow.timeZone must be "UTC", an IANA time zone name such as "Europe/Berlin", or a UTC offset such as "UTC+01:00", got "berlin time"',
    ],
    [
      'a broker name of 51 characters',
      { brokerName: 'b'.repeat(51) },
      /brokerName must be 1 to 50 letters.*got "b{51}"/,
    ],
    ['a broker name with a space', { brokerName: 'my broker' }, /brokerName must be 1 to 50 .*got "my broker"/],
    [
      'a broker name with a dot',
      { brokerName: 'orders.broker' },
      '[Stack/Broker] brokerName must be 1 to 50 letters, digits, "-" or "_", got "orders.broker"',
    ],
    [
      'an administrator name with a space',
      { adminUsername: 'the admin' },
      /adminUsername must be 2 to 100 .*got "the admin"/,
    ],
    [
      'the RabbitMQ user "guest"',
      { adminUsername: 'guest', engine: MessageBrokerEngine.RABBITMQ_3_13 },
      '[Stack/Broker] adminUsername must be 2 to 100 letters, digits, "-", "." or "_" for RabbitMQ, and not "guest", got "guest"',
    ],
    [
      'a tilde in a RabbitMQ user name',
      { adminUsername: 'ad~min', engine: MessageBrokerEngine.RABBITMQ_3_13 },
      /adminUsername must be 2 to 100 letters, digits, "-", "." or "_" for RabbitMQ.*got "ad~min"/,
    ],
    [
      'console access for the RabbitMQ administrator',
      { adminConsoleAccess: false, engine: MessageBrokerEngine.RABBITMQ_3_13 },
      /^\[Stack\/Broker\] adminConsoleAccess is for ActiveMQ only \(.*\), got false$/,
    ],
    [
      'a connection alarm threshold of 0',
      { connectionCountAlarmThreshold: 0 },
      '[Stack/Broker] connectionCountAlarmThreshold must be an integer between 1 and 1,000,000, got 0',
    ],
    [
      'removalPolicy SNAPSHOT (Amazon MQ brokers have no snapshots)',
      { removalPolicy: RemovalPolicy.SNAPSHOT },
      '[Stack/Broker] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: ' +
        'CloudFormation cannot snapshot Amazon MQ brokers, their log groups, secrets or KMS keys, got "RemovalPolicy.SNAPSHOT"',
    ],
    [
      'a removalPolicy that is not a RemovalPolicy (a JavaScript caller)',
      { removalPolicy: 'delete' as RemovalPolicy },
      '[Stack/Broker] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, got "delete"',
    ],
  ])('%s', (_name, props, error) => {
    expect(make(props)).toThrow(error);
  });

  test('tokens are not validated', () => {
    const token = (value: string) => Lazy.string({ produce: () => value });
    expect(
      make({
        instanceType: token('mq.t3.micro'),
        brokerName: token('not a name'),
        adminUsername: token('x'),
        engine: MessageBrokerEngine.of(MessageBrokerEngineType.ACTIVEMQ, token('5.1')),
        maintenanceWindow: {
          dayOfWeek: MessageBrokerDayOfWeek.MONDAY,
          timeOfDay: token('99:99'),
          timeZone: token('nowhere'),
        },
        connectionCountAlarmThreshold: Token.asNumber({ Ref: 'Threshold' }),
      }),
    ).not.toThrow();
  });
});

describe('MessageBroker removalPolicy', () => {
  /** DeletionPolicy and UpdateReplacePolicy of every stateful resource the broker created, by type. */
  function policies(stack: Stack): Record<string, string[][]> {
    const template = Template.fromStack(stack);
    const result: Record<string, string[][]> = {};
    for (const type of [
      'AWS::AmazonMQ::Broker',
      'AWS::KMS::Key',
      'AWS::SecretsManager::Secret',
      'AWS::Logs::LogGroup',
      'Custom::AmazonMqLogGroup',
    ]) {
      result[type] = Object.entries(template.findResources(type))
        .filter(([id]) => id.startsWith('Broker'))
        .map(([, resource]) => [resource.DeletionPolicy, resource.UpdateReplacePolicy]);
    }
    return result;
  }

  test('RETAIN_ON_UPDATE_OR_DELETE reaches the broker, its key, every user secret and both log groups', () => {
    const stack = strictStack();
    const mq = broker(stack, { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    mq.addUser('orders-app');
    const retained = ['RetainExceptOnCreate', 'Retain'];
    expect(policies(stack)).toEqual({
      'AWS::AmazonMQ::Broker': [retained],
      'AWS::KMS::Key': [retained],
      'AWS::SecretsManager::Secret': [retained, retained],
      // The handler's own log group.
      'AWS::Logs::LogGroup': [retained],
      'Custom::AmazonMqLogGroup': [retained, retained],
    });
    // The handler keeps the log groups: only DESTROY removes them.
    Template.fromStack(stack).allResourcesProperties('Custom::AmazonMqLogGroup', { RemovalPolicy: 'retain' });
    expectCompliant(stack);
  });

  test('DESTROY reaches the key the broker creates, and the secret of a user added later', () => {
    const stack = strictStack();
    const mq = broker(stack, { removalPolicy: RemovalPolicy.DESTROY });
    mq.addUser('orders-app');
    const deleted = ['Delete', 'Delete'];
    expect(policies(stack)).toEqual({
      'AWS::AmazonMQ::Broker': [deleted],
      'AWS::KMS::Key': [deleted],
      'AWS::SecretsManager::Secret': [deleted, deleted],
      'AWS::Logs::LogGroup': [deleted],
      'Custom::AmazonMqLogGroup': [deleted, deleted],
    });
    Template.fromStack(stack).allResourcesProperties('Custom::AmazonMqLogGroup', { RemovalPolicy: 'destroy' });
  });
});

describe('MessageBroker alarms', () => {
  test.each<[string, Partial<MessageBrokerProps>]>([
    ['ActiveMQ active/standby', {}],
    ['ActiveMQ single instance', { highAvailability: false }],
    ['RabbitMQ cluster', { engine: MessageBrokerEngine.RABBITMQ_3_13 }],
    ['RabbitMQ 4 single instance', { engine: MessageBrokerEngine.RABBITMQ_4_2, highAvailability: false }],
  ])('alarms lists every alarm the %s broker made, in a copy', (_name, props) => {
    const stack = strictStack();
    const mq = broker(stack, props);
    const made = mq.node.findAll().filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm);
    expect(made).toHaveLength(4);
    expect(new Set(mq.alarms)).toEqual(new Set(made));
    mq.alarms.pop();
    expect(mq.alarms).toHaveLength(4);
  });

  test('each alarm keeps its construct id, so its logical id, whatever the engine', () => {
    for (const engine of [MessageBrokerEngine.ACTIVEMQ_5_19, MessageBrokerEngine.RABBITMQ_3_13]) {
      const mq = broker(strictStack(), { engine });
      expect(mq.alarms.map((alarm) => alarm.node.id)).toEqual([
        'CpuUtilizationAlarm',
        'MemoryUsageAlarm',
        'StorageUsageAlarm',
        'ConnectionCountAlarm',
      ]);
      expect(mq.alarms).toEqual([
        mq.cpuUtilizationAlarm,
        mq.memoryUsageAlarm,
        mq.storageUsageAlarm,
        mq.connectionCountAlarm,
      ]);
    }
  });

  test('the connection alarm of a RabbitMQ 4 single instance (mq.m7g.medium) defaults to 80', () => {
    const stack = strictStack();
    broker(stack, { engine: MessageBrokerEngine.RABBITMQ_4_2, highAvailability: false });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ConnectionCount',
      Threshold: 80,
    });
  });
});

describe('MessageBroker user ids', () => {
  test('the Users namespace is created on first use', () => {
    const mq = broker(strictStack());
    expect(mq.node.tryFindChild('Users')).toBeUndefined();
    mq.addUser('app');
    expect(mq.node.findChild('Users').node.children.map((c) => c.node.id)).toEqual(['app']);
    expect(mq.adminSecret.node.path).toBe('Stack/Broker/AdminSecret');
  });

  test('removing a user renames no other user, and the administrator keeps its secret', () => {
    const withThree = strictStack();
    const three = broker(withThree);
    const [, , reporting] = ['orders-app', 'billing-app', 'reporting'].map((name) => three.addUser(name));
    const withTwo = strictStack();
    const two = broker(withTwo);
    const [, reportingAgain] = ['orders-app', 'reporting'].map((name) => two.addUser(name));
    expect(logicalId(reportingAgain)).toBe(logicalId(reporting));
    expect(logicalId(two.adminSecret)).toBe(logicalId(three.adminSecret));
  });

  test('a broker takes at most 250 users, the administrator included', () => {
    const mq = broker(strictStack());
    for (let i = 1; i < 250; i++) {
      mq.addUser(`user-${i}`);
    }
    expect(() => mq.addUser('one-too-many')).toThrow(
      '[Stack/Broker] addUser username cannot be added: a broker takes at most 250 users, the administrator included (Amazon MQ quotas), got "one-too-many"',
    );
  });
});

describe('the Amazon MQ logs resource policy', () => {
  test('the brokers of one stack share one policy of one statement, which each broker waits for', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack);
    new MessageBroker(stack, 'Orders', { vpc, brokerName: 'orders' });
    new MessageBroker(stack, 'Billing', { vpc, brokerName: 'billing' });
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::Logs::ResourcePolicy');
    expect(Object.keys(policies)).toHaveLength(1);
    const [policyId, policy] = Object.entries(policies)[0];
    expect(policyId).toMatch(/^DecouplingPatternsAmazonMqLogsPolicy/);
    const document = JSON.stringify(policy.Properties.PolicyDocument);
    expect(document.match(/logs:PutLogEvents/g)).toHaveLength(1);
    expect(document).toContain(':broker:*');
    for (const resource of Object.values(template.findResources('AWS::AmazonMQ::Broker'))) {
      expect(resource.DependsOn).toContain(policyId);
    }
  });

  test('brokers of two stacks get a policy each', () => {
    const app = strictApp();
    const env = { account: '123456789012', region: 'us-east-1' };
    const stacks = ['One', 'Two'].map((name) => new Stack(app, name, { env }));
    stacks.forEach((stack) => broker(stack));
    for (const stack of stacks) {
      Template.fromStack(stack).resourceCountIs('AWS::Logs::ResourcePolicy', 1);
    }
  });

  test('a construct of yours with its reserved id is refused with a clear error', () => {
    const stack = strictStack();
    new Construct(stack, 'DecouplingPatternsAmazonMqLogsPolicy');
    expect(() => broker(stack)).toThrow(
      '[Stack] the construct id "DecouplingPatternsAmazonMqLogsPolicy" is reserved by cdk-decoupling-patterns for a stack-wide construct; rename your construct',
    );
  });
});

describe('MessageBroker in an environment-agnostic stack', () => {
  test.each([MessageBrokerEngine.ACTIVEMQ_5_19, MessageBrokerEngine.RABBITMQ_3_13])(
    '%s synthesizes strictly and compliant, with service names of the deploy-time region',
    (engine) => {
      const stack = new Stack(strictApp(), 'S');
      const mq = broker(stack, { engine });
      const template = Template.fromStack(stack);
      const regional = (service: string) => ({
        'Fn::Join': ['', [`${service}.`, { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
      });
      const statements = Match.arrayWith([
        Match.objectLike({ Sid: 'AllowCloudWatchLogsForAmazonMQ', Principal: { Service: regional('logs') } }),
      ]);
      template.hasResourceProperties('AWS::KMS::Key', { KeyPolicy: { Statement: statements } });
      if (engine === MessageBrokerEngine.ACTIVEMQ_5_19) {
        template.hasResourceProperties('AWS::KMS::Key', {
          KeyPolicy: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Sid: 'AllowAmazonMQInThisAccount',
                Condition: {
                  StringEquals: { 'kms:CallerAccount': { Ref: 'AWS::AccountId' }, 'kms:ViaService': regional('mq') },
                },
              }),
            ]),
          },
        });
      }
      expect(mq.brokerName).toBe('S-Broker-abedd2d6');
      expectCompliant(stack);
      expect(amazonMqFindings(stack)).toEqual([]);
    },
  );
});

describe('MessageBroker with every feature on', () => {
  test('an ActiveMQ broker with every prop, users, every protocol and a failover URL is compliant', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
    const mq = broker(stack, {
      engine: MessageBrokerEngine.ACTIVEMQ_5_18,
      instanceType: 'mq.m5.xlarge',
      brokerName: 'orders',
      encryptionKey: key,
      adminUsername: 'ops-admin',
      adminConsoleAccess: true,
      maintenanceWindow: { dayOfWeek: MessageBrokerDayOfWeek.FRIDAY, timeOfDay: '23:00', timeZone: 'Europe/Berlin' },
      logRetention: logs.RetentionDays.THREE_MONTHS,
      alarmTopic: new sns.Topic(stack, 'Ops', { masterKey: key, enforceSSL: true }),
      connectionCountAlarmThreshold: 500,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    mq.addUser('orders-app', { groups: ['orders'], consoleAccess: true, passwordLength: 64 });
    mq.addUser('reporting');
    const app = new ec2.SecurityGroup(stack, 'App', {
      vpc: stack.node.findChild('Vpc') as ec2.IVpc,
      allowAllOutbound: false,
    });
    mq.allowClientsFrom(app, Object.values(MessageBrokerProtocol));
    new CfnOutput(stack, 'OpenWire', { value: mq.failoverUrl() });
    new CfnOutput(stack, 'Amqp', { value: mq.failoverUrl(MessageBrokerProtocol.AMQP) });
    expect(brokerProps(Template.fromStack(stack)).Users).toHaveLength(3);
    expectCompliant(stack);
    expect(amazonMqFindings(stack)).toEqual([]);
  });

  test('a RabbitMQ 4 cluster with every prop it takes and both protocols is compliant', () => {
    const stack = strictStack();
    const mq = broker(stack, {
      engine: MessageBrokerEngine.RABBITMQ_4_2,
      instanceType: 'mq.m7g.xlarge',
      brokerName: 'events',
      adminUsername: 'ops',
      maintenanceWindow: { dayOfWeek: MessageBrokerDayOfWeek.MONDAY, timeOfDay: '02:00' },
      logRetention: logs.RetentionDays.ONE_MONTH,
      connectionCountAlarmThreshold: 2000,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const app = new ec2.SecurityGroup(stack, 'App', {
      vpc: stack.node.findChild('Vpc') as ec2.IVpc,
      allowAllOutbound: false,
    });
    mq.allowClientsFrom(app, [MessageBrokerProtocol.AMQP, MessageBrokerProtocol.WEB_CONSOLE]);
    expectCompliant(stack);
    expect(amazonMqFindings(stack)).toEqual([]);
  });
});

describe.each(ENV_MATRIX)('MessageBroker %s', (_name, makeStack) => {
  test.each([MessageBrokerEngine.ACTIVEMQ_5_19, MessageBrokerEngine.RABBITMQ_4_2])(
    '%s with default props synthesizes strictly and passes every pack',
    (engine) => {
      const stack = makeStack();
      broker(stack, { engine });
      expectCompliant(stack);
      expect(amazonMqFindings(stack)).toEqual([]);
    },
  );

  test('an ActiveMQ broker with every feature on synthesizes strictly and passes every pack', () => {
    const stack = makeStack();
    const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
    const mq = broker(stack, {
      engine: MessageBrokerEngine.ACTIVEMQ_5_18,
      instanceType: 'mq.m5.xlarge',
      brokerName: 'orders',
      encryptionKey: key,
      adminUsername: 'ops-admin',
      adminConsoleAccess: true,
      maintenanceWindow: { dayOfWeek: MessageBrokerDayOfWeek.FRIDAY, timeOfDay: '23:00', timeZone: 'Europe/Berlin' },
      logRetention: logs.RetentionDays.THREE_MONTHS,
      alarmTopic: new sns.Topic(stack, 'Ops', { masterKey: key, enforceSSL: true }),
      connectionCountAlarmThreshold: 500,
      removalPolicy: RemovalPolicy.DESTROY,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    mq.addUser('orders-app', { groups: ['orders'], consoleAccess: true, passwordLength: 250 });
    mq.addUser(new CfnParameter(stack, 'ReportingUser', { type: 'String', default: 'reporting' }).valueAsString);
    const app = new ec2.SecurityGroup(stack, 'App', {
      vpc: stack.node.findChild('Vpc') as ec2.IVpc,
      allowAllOutbound: false,
    });
    mq.allowClientsFrom(app, Object.values(MessageBrokerProtocol));
    new CfnOutput(stack, 'OpenWire', { value: mq.failoverUrl() });
    new CfnOutput(stack, 'Log', { value: mq.generalLogGroup.logGroupArn });
    expectCompliant(stack);
    expect(amazonMqFindings(stack)).toEqual([]);
  });

  test('a RabbitMQ cluster in a VPC with isolated subnets only synthesizes strictly and passes every pack', () => {
    const stack = makeStack();
    const vpc = importedVpc(stack, {
      privateSubnetIds: undefined,
      privateSubnetRouteTableIds: undefined,
      isolatedSubnetIds: PRIVATE_SUBNETS,
      isolatedSubnetRouteTableIds: ['rtb-a', 'rtb-b', 'rtb-c'],
    });
    new MessageBroker(stack, 'Broker', {
      vpc,
      engine: MessageBrokerEngine.RABBITMQ_3_13,
      createLogsResourcePolicy: false,
      logRetention: logs.RetentionDays.ONE_WEEK,
    });
    expectCompliant(stack);
  });
});

describe('MessageBroker log group handler (Amazon MQ creates the log groups; the construct configures them)', () => {
  function handlerOf(mq: MessageBroker): { fn: any; role: any; policy: any; template: Template } {
    const template = Template.fromStack(Stack.of(mq));
    const fns = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) =>
      id.startsWith(`${logicalId(mq).replace(/[0-9A-F]{8}$/, '')}LogGroupsHandler`),
    );
    expect(fns).toHaveLength(1);
    const fn = fns[0][1];
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    return { fn, role: template.toJSON().Resources[roleId], policy, template };
  }

  test('is a function configured for every pack: latest runtime, reserved concurrency, DLQ, tracing, memory, timeout', () => {
    const stack = strictStack();
    const mq = broker(stack);
    const { fn, template } = handlerOf(mq);
    expect(fn.Properties).toMatchObject({
      // The newest Node.js runtime this aws-cdk-lib lists, as cdk-nag's LambdaLatestVersion rules require.
      Runtime: `nodejs${Math.max(...lambda.Runtime.ALL.map((r) => Number(/^nodejs(\d+)\.x$/.exec(r.name)?.[1] ?? 0)))}.x`,
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 120,
      ReservedConcurrentExecutions: 1,
      TracingConfig: { Mode: 'Active' },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetterQueue/), 'Arn'] } },
      LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/HandlerLogGroup/) } },
    });
    // Its own log group: encrypted with the broker's key, with the broker's retention, named under the
    // library's prefix, which the key lets CloudWatch Logs use.
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/cdk-decoupling-patterns/amazon-mq-log-groups/Stack-Broker-LogGroups-7700abfd',
      KmsKeyId: { 'Fn::GetAtt': [logicalId(mq.encryptionKey as kms.Key), 'Arn'] },
      RetentionInDays: 365,
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsForLogGroupHandlers',
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:us-east-1:123456789012:log-group:/cdk-decoupling-patterns/amazon-mq-log-groups/*',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  test('has a role with a customer-managed policy only, attached before the function exists', () => {
    const stack = strictStack();
    const mq = broker(stack);
    const { fn, role, policy } = handlerOf(mq);
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(Template.fromStack(stack).findResources('AWS::IAM::Policy')).toEqual({});
    expect(policy).toBeDefined();
    const policyId = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')).find(
      ([, p]) => p === policy || JSON.stringify(p) === JSON.stringify(policy),
    )![0];
    expect(fn.DependsOn).toContain(policyId);
  });

  test('runs in the VPC, in its subnets with a route out, behind a security group that allows HTTPS out only', () => {
    const stack = strictStack();
    const mq = broker(stack);
    const { fn, template } = handlerOf(mq);
    expect(fn.Properties.VpcConfig).toEqual({
      SubnetIds: PRIVATE_SUBNETS,
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/HandlerSecurityGroup/), 'GroupId'] }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'The log group handler of Stack/Broker: HTTPS to AWS APIs only',
      SecurityGroupEgress: [
        {
          CidrIp: '0.0.0.0/0',
          Description: 'HTTPS to the CloudWatch Logs API and S3',
          FromPort: 443,
          IpProtocol: 'tcp',
          ToPort: 443,
        },
      ],
    });
  });

  test('stays outside a VPC with isolated subnets only, where it could not answer CloudFormation (acknowledged)', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack, {
      privateSubnetIds: undefined,
      privateSubnetRouteTableIds: undefined,
      isolatedSubnetIds: PRIVATE_SUBNETS,
      isolatedSubnetRouteTableIds: ['rtb-a', 'rtb-b', 'rtb-c'],
    });
    const mq = new MessageBroker(stack, 'Broker', { vpc });
    const { fn } = handlerOf(mq);
    expect(fn.Properties.VpcConfig).toBeUndefined();
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .flatMap((st: any) => [].concat(st.Action));
    expect(statements).not.toContain('ec2:CreateNetworkInterface');
    expectCompliant(stack);
  });

  test('the custom resources carry the removal policy, and DESTROY lets the handler delete the log groups', () => {
    for (const [policy, deletion, handler] of [
      [RemovalPolicy.RETAIN, 'Retain', 'retain'],
      [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, 'RetainExceptOnCreate', 'retain'],
      [RemovalPolicy.DESTROY, 'Delete', 'destroy'],
    ] as const) {
      const stack = strictStack();
      broker(stack, { removalPolicy: policy });
      for (const resource of Object.values(Template.fromStack(stack).findResources('Custom::AmazonMqLogGroup'))) {
        expect(resource.DeletionPolicy).toBe(deletion);
        expect(resource.Properties.RemovalPolicy).toBe(handler);
      }
    }
  });

  test('RetentionDays.INFINITE leaves the retention out, which the handler turns into no expiry', () => {
    const stack = strictStack();
    broker(stack, { logRetention: logs.RetentionDays.INFINITE });
    Template.fromStack(stack).allResourcesProperties('Custom::AmazonMqLogGroup', { RetentionInDays: Match.absent() });
  });

  test('a deploy-time retention passes through', () => {
    const stack = strictStack();
    const days = new CfnParameter(stack, 'Days', { type: 'Number', default: 30 });
    broker(stack, { logRetention: days.valueAsNumber });
    Template.fromStack(stack).allResourcesProperties('Custom::AmazonMqLogGroup', { RetentionInDays: { Ref: 'Days' } });
  });
});

/** Runs the handler's inline code against a fake CloudWatch Logs client and a fake CloudFormation response URL. */
async function runHandler(
  code: string,
  event: Record<string, unknown>,
  behaviour: Record<string, string | undefined> = {},
): Promise<{ calls: Array<[string, any]>; response: any }> {
  const calls: Array<[string, any]> = [];
  let response: any;
  const commands = [
    'CreateLogGroupCommand',
    'AssociateKmsKeyCommand',
    'PutRetentionPolicyCommand',
    'DeleteRetentionPolicyCommand',
    'DeleteLogGroupCommand',
  ];
  const sdk: Record<string, unknown> = {
    CloudWatchLogsClient: class {
      public async send(command: { name: string; input: unknown }) {
        calls.push([command.name, command.input]);
        const error = behaviour[command.name];
        if (error) {
          throw Object.assign(new Error(`${error} raised`), { name: error });
        }
        return {};
      }
    },
  };
  for (const name of commands) {
    sdk[name] = class {
      public readonly name = name;
      constructor(public readonly input: unknown) {}
    };
  }
  const https = {
    request: (url: string, options: any, callback: (res: any) => void) => ({
      on: () => undefined,
      end: (body: string) => {
        response = { url, method: options.method, body: JSON.parse(body) };
        callback({ resume: () => undefined, on: (name: string, f: () => void) => name === 'end' && f() });
      },
    }),
  };
  const module = { exports: {} as any };
  const fakeRequire = (name: string) => (name === 'https' ? https : sdk);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('require', 'exports', 'module', 'console', code)(fakeRequire, module.exports, module, {
    log: () => undefined,
  });
  await module.exports.handler({
    StackId: 'stack',
    RequestId: 'request',
    LogicalResourceId: 'General',
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
    ...event,
  });
  return { calls, response };
}

describe('the log group handler code', () => {
  const stack = strictStack();
  broker(stack);
  const code: string = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0].Properties
    .Code.ZipFile;
  const properties = {
    LogGroupName: '/aws/amazonmq/broker/b-1/general',
    KmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/k',
    RetentionInDays: '365',
    RemovalPolicy: 'retain',
  };

  test('fits in an inline ZipFile', () => {
    expect(code.length).toBeLessThan(4096);
  });

  test('creates the log group when Amazon MQ has not, then sets the key and the retention', async () => {
    const { calls, response } = await runHandler(code, { RequestType: 'Create', ResourceProperties: properties });
    expect(calls).toEqual([
      ['CreateLogGroupCommand', { logGroupName: properties.LogGroupName, kmsKeyId: properties.KmsKeyArn }],
      ['AssociateKmsKeyCommand', { logGroupName: properties.LogGroupName, kmsKeyId: properties.KmsKeyArn }],
      ['PutRetentionPolicyCommand', { logGroupName: properties.LogGroupName, retentionInDays: 365 }],
    ]);
    expect(response.method).toBe('PUT');
    expect(response.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: properties.LogGroupName,
      Data: { LogGroupName: properties.LogGroupName },
      StackId: 'stack',
      RequestId: 'request',
      LogicalResourceId: 'General',
    });
  });

  test('cannot collide: a log group Amazon MQ already created is configured, not an error', async () => {
    const { calls, response } = await runHandler(
      code,
      { RequestType: 'Create', ResourceProperties: properties },
      { CreateLogGroupCommand: 'ResourceAlreadyExistsException' },
    );
    expect(calls.map(([name]) => name)).toEqual([
      'CreateLogGroupCommand',
      'AssociateKmsKeyCommand',
      'PutRetentionPolicyCommand',
    ]);
    expect(response.body.Status).toBe('SUCCESS');
  });

  test('no retention means never expire', async () => {
    const { calls } = await runHandler(code, {
      RequestType: 'Update',
      PhysicalResourceId: properties.LogGroupName,
      ResourceProperties: { ...properties, RetentionInDays: undefined },
    });
    expect(calls.map(([name]) => name)).toContain('DeleteRetentionPolicyCommand');
  });

  test('reports a failure to CloudFormation instead of leaving it waiting', async () => {
    const { response } = await runHandler(
      code,
      { RequestType: 'Create', ResourceProperties: properties },
      { AssociateKmsKeyCommand: 'AccessDeniedException' },
    );
    expect(response.body).toMatchObject({
      Status: 'FAILED',
      Reason: 'AccessDeniedException: AccessDeniedException raised',
      PhysicalResourceId: properties.LogGroupName,
    });
  });

  test('deletes the log group on delete only when the removal policy is DESTROY', async () => {
    const deleteEvent = (removalPolicy: string) => ({
      RequestType: 'Delete',
      PhysicalResourceId: properties.LogGroupName,
      ResourceProperties: { ...properties, RemovalPolicy: removalPolicy },
    });
    expect((await runHandler(code, deleteEvent('retain'))).calls).toEqual([]);
    const destroyed = await runHandler(code, deleteEvent('destroy'), {
      DeleteLogGroupCommand: 'ResourceNotFoundException',
    });
    expect(destroyed.calls).toEqual([['DeleteLogGroupCommand', { logGroupName: properties.LogGroupName }]]);
    expect(destroyed.response.body.Status).toBe('SUCCESS');
  });
});

describe('the Amazon MQ logs resource policy at scale', () => {
  test('stays one statement of fixed size: 50 brokers in a stack keep it under 5,120 characters', async () => {
    const stack = strictStack();
    const vpc = importedVpc(stack);
    for (let i = 0; i < 50; i++) {
      new MessageBroker(stack, `Broker${i}`, { vpc, brokerName: `broker-${i}`, encryptionKey: undefined });
    }
    const policy = stack.node
      .findChild('DecouplingPatternsAmazonMqLogsPolicy')
      .node.findChild('Resource') as logs.ResourcePolicy;
    const cfn = policy.node.defaultChild as logs.CfnResourcePolicy;
    // The document as CloudFormation hands it to PutResourcePolicy: every intrinsic resolved.
    const document = await resolveIntrinsics<string>(stack.resolve(cfn.policyDocument), { Resources: {} });
    expect(typeof document).toBe('string');
    expect(document.length).toBeLessThan(5120);
    expect(JSON.parse(document).Statement).toHaveLength(1);
  });

  test('an app may create 10 in one account and region; the 11th is refused, naming the way out', () => {
    const app = strictApp();
    const env = { account: '123456789012', region: 'us-east-1' };
    const stacks = Array.from({ length: 11 }, (_, i) => new Stack(app, `Stack${i}`, { env }));
    stacks.slice(0, 10).forEach((stack) => broker(stack));
    expect(() => broker(stacks[10])).toThrow(
      new RegExp(
        '^\\[Stack10/Broker\\] createLogsResourcePolicy must be false in the brokers of all but one of the stacks that deploy to ' +
          'one account and region: CloudWatch Logs allows 10 resource policies per account and region, and this would be the ' +
          '11th of this app there \\(Stack0, .*, Stack10\\); one policy lets Amazon MQ write the logs of every broker of the ' +
          'account and region, so create it in one stack and deploy that stack first, got true$',
      ),
    );
  });

  test('stacks that share one policy set createLogsResourcePolicy to false; other regions count apart', () => {
    const app = strictApp();
    const stacks = Array.from(
      { length: 12 },
      (_, i) =>
        new Stack(app, `Stack${i}`, { env: { account: '123456789012', region: i < 11 ? 'us-east-1' : 'eu-west-1' } }),
    );
    stacks.forEach((stack, i) => broker(stack, { createLogsResourcePolicy: i === 0 || i === 11 }));
    expect(
      stacks
        .map((stack) => Template.fromStack(stack).findResources('AWS::Logs::ResourcePolicy'))
        .map((r) => Object.keys(r).length),
    ).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    // A broker without a policy in its stack does not wait for one.
    expect(
      Object.values(Template.fromStack(stacks[1]).findResources('AWS::AmazonMQ::Broker'))[0].DependsOn,
    ).toBeUndefined();
  });

  test('env-agnostic stacks of one stage may share an account and region, so they count together', () => {
    const app = strictApp();
    const stacks = Array.from({ length: 11 }, (_, i) => new Stack(app, `Stack${i}`));
    stacks.slice(0, 10).forEach((stack) => broker(stack));
    expect(() => broker(stacks[10])).toThrow(/^\[Stack10\/Broker\] createLogsResourcePolicy must be false/);
  });
});

describe('MessageBroker physical names', () => {
  test('a broker name given twice in one account and region is refused at synth', () => {
    const app = strictApp();
    const env = { account: '123456789012', region: 'us-east-1' };
    const one = new Stack(app, 'One', { env });
    const two = new Stack(app, 'Two', { env });
    broker(one, { brokerName: 'orders' });
    expect(() => broker(two, { brokerName: 'orders' })).toThrow(
      '[Two/Broker] brokerName must give a Amazon MQ broker name unique within one account and region; the name is already given to One/Broker, got "orders"',
    );
    // Another region is another namespace.
    broker(new Stack(app, 'Three', { env: { ...env, region: 'eu-west-1' } }), { brokerName: 'orders' });
  });

  test('derived names stay distinct, however long the paths are', () => {
    const stack = strictStack('AStackWithAVeryLongNameThatFillsMostOfTheFiftyCharacters');
    const vpc = importedVpc(stack);
    const a = new MessageBroker(stack, 'BrokerNumberOneWithALongIdentifier', { vpc });
    const b = new MessageBroker(stack, 'BrokerNumberTwoWithALongIdentifier', { vpc });
    expect(a.brokerName).toHaveLength(50);
    expect(a.brokerName).not.toBe(b.brokerName);
  });
});

describe('MessageBroker.allowClientsFrom admits security groups only', () => {
  test.each<[string, (stack: Stack) => ec2.IConnectable, string]>([
    ['an IPv4 range', () => ec2.Peer.ipv4('10.0.0.0/16'), '"10.0.0.0/16"'],
    ['any IPv4 address', () => ec2.Peer.anyIpv4(), '"0.0.0.0/0"'],
    ['an IPv6 range', () => ec2.Peer.anyIpv6(), '"::/0"'],
    ['a prefix list', () => ec2.Peer.prefixList('pl-12345678'), '"pl-12345678"'],
  ])('refuses %s', (_name, peer, shown) => {
    const stack = strictStack();
    const mq = broker(stack);
    expect(() => mq.allowClientsFrom(peer(stack))).toThrow(
      '[Stack/Broker] allowClientsFrom peer must be a security group (or an IConnectable with security groups), not an address ' +
        `range or prefix list: the broker admits clients by security group only, got ${shown}`,
    );
    Template.fromStack(stack).resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('refuses an IConnectable without security groups', () => {
    const mq = broker(strictStack());
    expect(() => mq.allowClientsFrom({ connections: new ec2.Connections() })).toThrow(
      '[Stack/Broker] allowClientsFrom peer must have at least one security group: the broker admits clients by security group only, got "Object"',
    );
  });

  test('takes a security group given by id', () => {
    const stack = strictStack();
    const mq = broker(stack);
    mq.allowClientsFrom(ec2.Peer.securityGroupId('sg-0123456789abcdef0'));
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain(
      '"SourceSecurityGroupId":"sg-0123456789abcdef0"',
    );
  });

  test('refuses protocol names that bypass the enum, and a protocol that is not a list', () => {
    const mq = broker(strictStack());
    const app = new ec2.SecurityGroup(Stack.of(mq), 'App', { vpc: Stack.of(mq).node.findChild('Vpc') as ec2.IVpc });
    expect(() => mq.allowClientsFrom(app, ['openwire' as MessageBrokerProtocol])).toThrow(
      '[Stack/Broker] allowClientsFrom protocols must be one of MessageBrokerProtocol.OPENWIRE, MessageBrokerProtocol.AMQP, ' +
        'MessageBrokerProtocol.STOMP, MessageBrokerProtocol.MQTT, MessageBrokerProtocol.WSS or MessageBrokerProtocol.WEB_CONSOLE, got "openwire"',
    );
    expect(() => mq.allowClientsFrom(app, 'OPENWIRE' as unknown as MessageBrokerProtocol[])).toThrow(
      '[Stack/Broker] allowClientsFrom protocols must be a list of MessageBrokerProtocol (or be omitted), got "OPENWIRE"',
    );
  });
});

describe('MessageBroker refuses what bypasses TypeScript (JavaScript and jsii callers)', () => {
  const make = (props: Record<string, unknown>) => () => broker(strictStack(), props as Partial<MessageBrokerProps>);

  test.each<[string, Record<string, unknown>, string]>([
    [
      'a day of the week in the wrong case',
      { maintenanceWindow: { dayOfWeek: 'Sunday', timeOfDay: '03:00' } },
      '[Stack/Broker] maintenanceWindow.dayOfWeek must be one of MessageBrokerDayOfWeek.MONDAY, MessageBrokerDayOfWeek.TUESDAY, ' +
        'MessageBrokerDayOfWeek.WEDNESDAY, MessageBrokerDayOfWeek.THURSDAY, MessageBrokerDayOfWeek.FRIDAY, ' +
        'MessageBrokerDayOfWeek.SATURDAY or MessageBrokerDayOfWeek.SUNDAY, got "Sunday"',
    ],
    [
      'a maintenance window without a day',
      { maintenanceWindow: { timeOfDay: '03:00' } },
      '[Stack/Broker] maintenanceWindow.dayOfWeek must be given: a MessageBrokerDayOfWeek, got undefined',
    ],
    [
      'a maintenance window without a time',
      { maintenanceWindow: { dayOfWeek: 'SUNDAY' } },
      '[Stack/Broker] maintenanceWindow.timeOfDay must be a 24-hour time HH:MM, from 00:00 to 23:59, got undefined',
    ],
    [
      'an engine type in the wrong case',
      { engine: MessageBrokerEngine.of('activemq' as MessageBrokerEngineType, '5.19') },
      '[Stack/Broker] engine.engineType must be one of MessageBrokerEngineType.ACTIVEMQ or MessageBrokerEngineType.RABBITMQ, got "activemq"',
    ],
    [
      'an engine given as a string',
      { engine: 'ACTIVEMQ' },
      '[Stack/Broker] engine must be a MessageBrokerEngine (MessageBrokerEngine.ACTIVEMQ_5_19 ... or MessageBrokerEngine.of(engineType, version)), got "ACTIVEMQ"',
    ],
    [
      'an engine version given as a number',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.ACTIVEMQ, 5.19 as unknown as string) },
      '[Stack/Broker] engine.version must be a string, major.minor (e.g. "5.19"), got 5.19',
    ],
    [
      'highAvailability as a string',
      { highAvailability: 'false' },
      '[Stack/Broker] highAvailability must be true or false, got "false"',
    ],
    ['highAvailability as 0', { highAvailability: 0 }, '[Stack/Broker] highAvailability must be true or false, got 0'],
    [
      'adminConsoleAccess as a string',
      { adminConsoleAccess: 'yes' },
      '[Stack/Broker] adminConsoleAccess must be true or false, got "yes"',
    ],
    [
      'createLogsResourcePolicy as a string',
      { createLogsResourcePolicy: 'no' },
      '[Stack/Broker] createLogsResourcePolicy must be true or false, got "no"',
    ],
    [
      'a broker name that is a number',
      { brokerName: 42 },
      '[Stack/Broker] brokerName must be 1 to 50 letters, digits, "-" or "_", got 42',
    ],
    [
      'an administrator name that is a number',
      { adminUsername: 12345 },
      /^\[Stack\/Broker\] adminUsername must be 2 to 100 .*, got 12,345$/ as any,
    ],
    [
      'an instance type that is not a string',
      { instanceType: 5 },
      /^\[Stack\/Broker\] instanceType must be one of mq\.m5\.large.*, got 5$/ as any,
    ],
    [
      'a key given as an ARN',
      { encryptionKey: 'arn:aws:kms:us-east-1:123456789012:key/abc' },
      '[Stack/Broker] encryptionKey must be a kms.IKey, not an ARN or a name, got "arn:aws:kms:us-east-1:123456789012:key/abc"',
    ],
    [
      'an alarm topic given as an ARN',
      { alarmTopic: 'arn:aws:sns:us-east-1:123456789012:ops' },
      '[Stack/Broker] alarmTopic must be an sns.ITopic, not an ARN or a name, got "arn:aws:sns:us-east-1:123456789012:ops"',
    ],
    [
      'a subnet type in the wrong case',
      { vpcSubnets: { subnetType: 'private' } },
      /^\[Stack\/Broker\] vpcSubnets\.subnetType must be one of ec2\.SubnetType\.PRIVATE_ISOLATED, .*, got "private"$/ as any,
    ],
    [
      'a selection that resolves to no subnet',
      { vpcSubnets: { availabilityZones: ['us-east-1z'] } },
      '[Stack/Broker] vpcSubnets must give 2 subnet(s) in 2 different Availability Zones for a ACTIVE_STANDBY_MULTI_AZ ACTIVEMQ broker; ' +
        'select subnets in more zones, or set highAvailability to false for a development broker, got "0 subnet(s) in 0 zone(s) from the vpcSubnets selection"',
    ],
    [
      'an empty list of subnets',
      { vpcSubnets: { subnets: [] } },
      /^\[Stack\/Broker\] vpcSubnets must give 2 subnet\(s\) .*, got "0 subnet\(s\) in 0 zone\(s\) from the vpcSubnets selection"$/ as any,
    ],
  ])('%s', (_name, props, error) => {
    expect(make(props)).toThrow(error);
  });

  test('no props at all, or no VPC', () => {
    const stack = strictStack();
    expect(() => new MessageBroker(stack, 'A', undefined as unknown as MessageBrokerProps)).toThrow(
      '[Stack/A] vpc must be an ec2.IVpc (for example ec2.Vpc or ec2.Vpc.fromLookup), got undefined',
    );
    expect(() => new MessageBroker(stack, 'B', { vpc: 'vpc-123' as unknown as ec2.IVpc })).toThrow(
      '[Stack/B] vpc must be an ec2.IVpc (for example ec2.Vpc or ec2.Vpc.fromLookup), got "vpc-123"',
    );
  });

  test('addUser options that are not what they claim', () => {
    const mq = broker(strictStack());
    expect(() => mq.addUser('app', { consoleAccess: 'yes' as unknown as boolean })).toThrow(
      '[Stack/Broker] addUser consoleAccess must be true or false, got "yes"',
    );
    expect(() => mq.addUser('app', { groups: 'orders' as unknown as string[] })).toThrow(
      '[Stack/Broker] addUser groups must be a list of group names, got "orders"',
    );
    expect(() => mq.addUser(42 as unknown as string)).toThrow(
      /^\[Stack\/Broker\] addUser username must be 2 to 100 letters, digits, "-", ".", "_" or "~", got 42$/,
    );
    expect(() => mq.failoverUrl('openwire' as MessageBrokerProtocol)).toThrow(
      /^\[Stack\/Broker\] failoverUrl protocol must be one of MessageBrokerProtocol\.OPENWIRE, .*, got "openwire"$/,
    );
  });
});

describe('MessageBroker refuses non-finite and out-of-domain numbers', () => {
  test.each<[string, Partial<MessageBrokerProps>, string]>([
    [
      'NaN',
      { connectionCountAlarmThreshold: NaN },
      'connectionCountAlarmThreshold must be an integer between 1 and 1,000,000, got NaN',
    ],
    [
      'Infinity',
      { connectionCountAlarmThreshold: Infinity },
      'connectionCountAlarmThreshold must be an integer between 1 and 1,000,000, got Infinity',
    ],
    [
      'a fraction',
      { connectionCountAlarmThreshold: 80.5 },
      'connectionCountAlarmThreshold must be an integer between 1 and 1,000,000, got 80.5',
    ],
    [
      'a retention CloudWatch Logs does not offer',
      { logRetention: 400.5 as logs.RetentionDays },
      'logRetention must be a logs.RetentionDays value',
    ],
    ['a NaN retention', { logRetention: NaN as logs.RetentionDays }, 'logRetention must be a logs.RetentionDays value'],
  ])('%s', (_name, props, error) => {
    expect(() => broker(strictStack(), props)).toThrow(`[Stack/Broker] ${error}`);
  });

  test('the retention message lists what CloudWatch Logs accepts', () => {
    expect(() => broker(strictStack(), { logRetention: 2 as logs.RetentionDays })).toThrow(
      '[Stack/Broker] logRetention must be a logs.RetentionDays value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ' +
        '1096, 1827, 2192, 2557, 2922, 3288, 3653 days, or RetentionDays.INFINITE), the periods CloudWatch Logs accepts, got 2',
    );
  });

  test.each<[string, number, string]>([
    ['NaN', NaN, 'got NaN'],
    ['Infinity', Infinity, 'got Infinity'],
    ['251, beyond Amazon MQ\u2019s 250', 251, 'got 251'],
  ])('a password length of %s', (_name, passwordLength, got) => {
    expect(() => broker(strictStack()).addUser('app', { passwordLength })).toThrow(
      `[Stack/Broker] addUser passwordLength must be an integer between 12 and 250, ${got}`,
    );
  });

  test('metric periods CloudWatch does not take, and non-finite ones, name the method', () => {
    const mq = broker(strictStack());
    const rule = 'must be a Duration of 1, 5, 10 or 30 seconds, or a whole number of minutes';
    expect(() => mq.metric('CpuUtilization', { period: Duration.seconds(NaN) })).toThrow(
      `[Stack/Broker] metric period ${rule}, got Duration.seconds(NaN)`,
    );
    expect(() => mq.metric('CpuUtilization', { period: Duration.seconds(Infinity) })).toThrow(
      `[Stack/Broker] metric period ${rule}, got Duration.seconds(Infinity)`,
    );
    expect(() => mq.metric('CpuUtilization', { period: Duration.seconds(7) })).toThrow(
      `[Stack/Broker] metric period ${rule}, got 7 seconds`,
    );
    expect(() => mq.metricOfInstance('CpuUtilization', 1, { period: Duration.seconds(0) })).toThrow(
      `[Stack/Broker] metricOfInstance period ${rule}, got 0 seconds`,
    );
    expect(() => mq.metricOfInstance('CpuUtilization', NaN)).toThrow(
      '[Stack/Broker] metricOfInstance instance must be an integer between 1 and 2, got NaN',
    );
    expect(() => mq.metric('CpuUtilization', { period: Duration.hours(Token.asNumber({ Ref: 'Hours' })) })).toThrow(
      '[Stack/Broker] metric period must be given with Duration.seconds() when its amount is a deploy-time value, got a deploy-time value {"Fn::Join":["",[{"Ref":"Hours"}," hours"]]}',
    );
    expect(() => mq.metric('')).toThrow(
      '[Stack/Broker] metric metricName must be the name of an Amazon MQ metric, 1 to 255 characters, got ""',
    );
    expect(() => mq.metric('CpuUtilization', { unit: 'bytes' as cloudwatch.Unit })).toThrow(
      /^\[Stack\/Broker\] metric unit must be one of cloudwatch\.Unit\.SECONDS, .*, got "bytes"$/,
    );
  });
});

describe('MessageBroker metrics keep the broker dimension', () => {
  test('dimensions a caller adds (a queue, say) join the broker dimension instead of replacing it', () => {
    const mq = broker(strictStack(), { highAvailability: false });
    const metric = mq.metric('QueueSize', { dimensionsMap: { Queue: 'orders' } }) as cloudwatch.Metric;
    expect(metric.dimensions).toEqual({ Queue: 'orders', Broker: 'Stack-Broker-ea80d80b-1' });
    expect(() => mq.metric('QueueSize', { dimensionsMap: { Broker: 'other' } })).toThrow(
      '[Stack/Broker] metric dimensionsMap must not set the Broker dimension, which names this broker (add only e.g. Queue or Topic), got {"Broker":"other"}',
    );
  });
});

describe('MessageBroker with an imported key', () => {
  test('warns, naming the statements the key policy must already have, instead of dropping them silently', () => {
    const stack = strictStack();
    const key = kms.Key.fromKeyArn(
      stack,
      'Imported',
      'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    broker(stack, { encryptionKey: key });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Broker',
      Match.stringLikeRegexp(
        '^encryptionKey "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" is imported, so Stack/Broker ' +
          'cannot add to its policy; it must already allow Amazon MQ \\(kms:ViaService mq.us-east-1.amazonaws.com\\).*' +
          'CloudWatch Logs \\(logs.us-east-1.amazonaws.com\\) for the log groups /aws/amazonmq/broker/\\* and ' +
          '/cdk-decoupling-patterns/amazon-mq-log-groups/Stack-Broker-LogGroups-7700abfd.*',
      ),
    );
  });
});

describe('MessageBroker descriptions quote construct paths safely', () => {
  test('a long path with characters EC2 refuses still gives a valid security group description', () => {
    const stack = strictStack();
    // 190 characters: the description overflows 255, and logical ids keep their readable part.
    const deep = new Construct(new Construct(stack, 'Zürich öffentlich'), 'x'.repeat(190));
    const mq = new MessageBroker(deep, 'Broker', { vpc: importedVpc(stack) });
    const description: string =
      Template.fromStack(stack).toJSON().Resources[logicalId(mq.securityGroup)].Properties.GroupDescription;
    expect(description.length).toBeLessThanOrEqual(255);
    expect(description).toMatch(/^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]+$/);
    expect(description).toMatch(/^Amazon MQ broker Stack\/Z_rich _ffentlich\/x{190}\/Broker: clients admi\.\.\.$/);
  });
});
