import { CfnOutput, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { logicalId, strictApp, strictStack } from '../harness/app';
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

  test('creates both log groups, named after the broker id, with one-year retention and the customer key', () => {
    for (const log of ['general', 'audit']) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: { 'Fn::Join': ['', ['/aws/amazonmq/broker/', { Ref: brokerId }, `/${log}`]] },
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      });
    }
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
        Effect: 'Allow',
        Principal: { Service: 'mq.amazonaws.com' },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/amazonmq/broker/*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': '123456789012' },
          ArnLike: { 'aws:SourceArn': 'arn:aws:mq:us-east-1:123456789012:broker:Stack-Broker-ea80d80b:*' },
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
      ['CurrentConnectionsCount', 800],
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
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    expect(mq.auditLogGroup).toBeUndefined();
    expect(mq.generalLogGroup).toBeInstanceOf(logs.LogGroup);
  });

  test('does not add the Amazon MQ statement to the key, which the broker does not use', () => {
    const key = Object.values(template.findResources('AWS::KMS::Key')).find((k) =>
      String(k.Properties.Description).includes('Stack/Broker'),
    );
    const sids = key!.Properties.KeyPolicy.Statement.map((s: any) => s.Sid);
    expect(sids).not.toContain('AllowAmazonMQInThisAccount');
    expect(sids).toContain('AllowCloudWatchLogsForAmazonMQ');
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
    // Micro brokers take 100 connections per protocol.
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CurrentConnectionsCount',
      Threshold: 80,
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
    for (const type of ['AWS::AmazonMQ::Broker', 'AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']) {
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
      /passwordLength must be an integer between 12 and 4,096, got 8/,
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

  test('refuses a user name that is a token: it is the id of the secret, which would become a counter', () => {
    const mq = broker(strictStack());
    expect(() => mq.addUser(Lazy.string({ produce: () => 'x' }))).toThrow(
      /^\[Stack\/Broker\] addUser username must be known at synth: it is the id of the user's secret \(Users\/<username>\), got "\$\{Token\[TOKEN\.\d+\]\}"$/,
    );
    expect(mq.node.tryFindChild('Users')).toBeUndefined();
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
      /has no failover URL on RabbitMQ.*amqpEndpoints/,
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
      '[Stack/Broker] metricOfInstance instance must be between 1 and 2, got 3',
    );
  });

  test('RabbitMQ metrics are broker-wide, under the broker name', () => {
    const mq = broker(strictStack(), { engine: MessageBrokerEngine.RABBITMQ_3_13 });
    const metric = mq.metric('MessageCount') as cloudwatch.Metric;
    expect(metric.dimensions).toEqual({ Broker: 'Stack-Broker-ea80d80b' });
    expect(() => mq.metricOfInstance('MessageCount', 1)).toThrow(/metricOfInstance instance applies to ActiveMQ only/);
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
      '[Stack/Broker] engine version must be ActiveMQ 5.18 or later: Amazon MQ no longer supports older versions (use MessageBrokerEngine.ACTIVEMQ_5_19), got "5.17"',
    ],
    [
      'an ActiveMQ patch version',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.ACTIVEMQ, '5.18.4') },
      /engine version must be given as major.minor for ActiveMQ 5.18 and later \(e.g. "5.19"\).*got "5.18.4"/,
    ],
    [
      'an ActiveMQ version that is RabbitMQ’s',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.ACTIVEMQ, '3.13') },
      /engine version must be an ActiveMQ version Amazon MQ offers: 5.18 or 5.19.*got "3.13"/,
    ],
    [
      'RabbitMQ 3.12',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.RABBITMQ, '3.12') },
      /engine version must be RabbitMQ 3.13 or later.*got "3.12"/,
    ],
    [
      'a RabbitMQ patch version',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.RABBITMQ, '3.13.7') },
      /engine version must be given as major.minor for RabbitMQ.*got "3.13.7"/,
    ],
    [
      'a RabbitMQ version that is not one',
      { engine: MessageBrokerEngine.of(MessageBrokerEngineType.RABBITMQ, 'latest') },
      /engine version must be a RabbitMQ version Amazon MQ offers: 3.13 or 4.x.*got "latest"/,
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
      '[Stack/Broker] maintenanceWindow.timeZone must be "UTC" or an IANA time zone name such as "Europe/Berlin", got "berlin time"',
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
      /adminConsoleAccess applies to ActiveMQ only.*got false/,
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
      'AWS::Logs::LogGroup': [retained, retained],
    });
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
      'AWS::Logs::LogGroup': [deleted, deleted],
    });
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
      '[Stack/Broker] addUser cannot add more than 250 users to a broker, got "one-too-many"',
    );
  });
});

describe('the Amazon MQ logs resource policy', () => {
  test('the brokers of one stack share one policy, with a statement for each, which each broker waits for', () => {
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
    expect(document).toContain('broker:orders:*');
    expect(document).toContain('broker:billing:*');
    expect(document.match(/logs:PutLogEvents/g)).toHaveLength(2);
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
