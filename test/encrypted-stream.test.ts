import { App, CfnParameter, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import { pagerTopic } from '../harness/alarm-topic';
import { ENV_MATRIX, identityStatements, logicalId, strictStack, testRole } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { EncryptedStream, EncryptedStreamEncryption, EncryptedStreamProps } from '../src/encrypted-stream';

const READ_ACTIONS = [
  'kinesis:GetShardIterator',
  'kinesis:GetRecords',
  'kinesis:ListShards',
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
];

/** A strict stack with one EncryptedStream, `Stack/Positions`. */
function positions(props: EncryptedStreamProps = {}, stack = strictStack()) {
  return { stack, stream: new EncryptedStream(stack, 'Positions', props) };
}

/** The fully featured variant of the snapshot: provisioned, two consumers, a KCL application. */
function telemetry(stack: Stack) {
  const stream = new EncryptedStream(stack, 'Positions', { shardCount: 4, retentionPeriod: Duration.days(7) });
  const dashboard = stream.addConsumer('dashboard');
  const alerts = stream.addConsumer('geofence-alerts');
  const dashboardRole = testRole(stack, 'DashboardRole', new iam.ServicePrincipal('ecs-tasks.amazonaws.com'));
  const worker = new iam.Role(stack, 'AggregatorRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  const kcl = stream.addKclApplication('position-aggregator', worker);
  dashboard.grantConsume(dashboardRole);
  return { stream, dashboard, alerts, dashboardRole, worker, kcl };
}

describe('EncryptedStream defaults', () => {
  const { stack, stream } = positions();
  const template = Template.fromStack(stack);

  test('an on-demand stream with 24-hour retention under a customer-managed key with rotation', () => {
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
      RetentionPeriodHours: 24,
      StreamEncryption: {
        EncryptionType: 'KMS',
        KeyId: { 'Fn::GetAtt': [logicalId(stream.encryptionKey as kms.Key), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the records of the stream of Stack/Positions',
      EnableKeyRotation: true,
    });
  });

  test('the stream and its key are retained when they leave the stack', () => {
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(template.toJSON().Resources[logicalId(stream.encryptionKey as kms.Key)]).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('alarms on write and read throttling, failed PutRecords records and iterator age at 75% of retention', () => {
    const expected: Array<[string, string, number, string]> = [
      ['WriteProvisionedThroughputExceeded', 'Sum', 0, 'GreaterThanThreshold'],
      ['ReadProvisionedThroughputExceeded', 'Sum', 0, 'GreaterThanThreshold'],
      ['PutRecords.FailedRecords', 'Sum', 0, 'GreaterThanThreshold'],
      ['GetRecords.IteratorAgeMilliseconds', 'Maximum', 18 * 3600 * 1000, 'GreaterThanThreshold'],
    ];
    const alarmTopic = { Ref: Match.stringLikeRegexp('DecouplingPatternsAlarmTopic') };
    for (const [metricName, statistic, threshold, comparison] of expected) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Kinesis',
        MetricName: metricName,
        Dimensions: [{ Name: 'StreamName', Value: { Ref: logicalId(stream.stream) } }],
        Statistic: statistic,
        Threshold: threshold,
        ComparisonOperator: comparison,
        AlarmActions: [alarmTopic],
        OKActions: [alarmTopic],
      });
    }
    expect(stream.alarms).toHaveLength(4);
    expect(stream.alarms).toEqual([
      stream.writeThrottledAlarm,
      stream.readThrottledAlarm,
      stream.putRecordsFailedAlarm,
      stream.iteratorAgeAlarm,
    ]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('EncryptedStream props and grants', () => {
  test('shardCount switches to provisioned capacity; retention and key are taken as given', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const { stream } = positions(
      { shardCount: 3, retentionPeriod: Duration.hours(48), encryptionKey: key, streamName: 'positions' },
      stack,
    );
    expect(stream.encryptionKey).toBe(key);
    Template.fromStack(stack).hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'positions',
      ShardCount: 3,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      RetentionPeriodHours: 48,
      StreamEncryption: { KeyId: { 'Fn::GetAtt': [logicalId(key), 'Arn'] } },
    });
  });

  test('AWS_MANAGED encryption uses alias/aws/kinesis and creates no key', () => {
    const { stack, stream } = positions({ encryption: EncryptedStreamEncryption.AWS_MANAGED });
    expect(stream.encryptionKey).toBeUndefined();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([
      expect.stringMatching(/DecouplingPatternsAlarmTopicKey/),
    ]);
    expectCompliant(stack);
  });

  test('iteratorAgeAlarmThreshold and alarmTopic are taken as given', () => {
    const stack = strictStack();
    const alarmTopic = new sns.Topic(stack, 'Pager', { enforceSSL: true });
    positions({ iteratorAgeAlarmThreshold: Duration.minutes(30), alarmTopic }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Threshold: 1_800_000,
      AlarmActions: [{ Ref: logicalId(alarmTopic) }],
    });
  });

  const read = READ_ACTIONS;
  const write = ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:ListShards', 'kinesis:DescribeStreamSummary'];
  const grants: Array<[string, (s: EncryptedStream, r: iam.IGrantable) => iam.Grant, string[], string[]]> = [
    ['grantWrite', (s, r) => s.grantWrite(r), write, ['kms:GenerateDataKey']],
    ['grantRead', (s, r) => s.grantRead(r), read, ['kms:Decrypt']],
    [
      'grantReadWrite',
      (s, r) => s.grantReadWrite(r),
      [...read, 'kinesis:PutRecord', 'kinesis:PutRecords'],
      ['kms:Decrypt', 'kms:GenerateDataKey'],
    ],
  ];
  test.each(grants)(
    '%s: exact actions on this stream and its key, no wildcard',
    (_name, grant, actions, keyActions) => {
      const { stack, stream } = positions();
      const r = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
      const result = grant(stream, r);
      expect(result.success).toBe(true);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: actions, Resource: { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] } },
            {
              Effect: 'Allow',
              Action: keyActions.length === 1 ? keyActions[0] : keyActions,
              Resource: { 'Fn::GetAtt': [logicalId(stream.encryptionKey as kms.Key), 'Arn'] },
            },
          ],
        },
      });
    },
  );

  test('grant: the given actions on this stream only, not on its key', () => {
    const { stack, stream } = positions();
    const r = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    stream.grant(r, 'kinesis:SplitShard');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'kinesis:SplitShard',
            Resource: { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] },
          },
        ],
      },
    });
  });

  test('grants to another account also land in the stream resource policy', () => {
    const { stack, stream } = positions();
    const other = iam.Role.fromRoleArn(stack, 'Other', 'arn:aws:iam::999999999999:role/Reader');
    stream.grantRead(other);
    Template.fromStack(stack).hasResourceProperties('AWS::Kinesis::ResourcePolicy', {
      ResourceArn: { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] },
      ResourcePolicy: {
        Statement: [Match.objectLike({ Action: read, Principal: { AWS: 'arn:aws:iam::999999999999:role/Reader' } })],
      },
    });
  });
});

describe('EncryptedStream is a kinesis.IStream', () => {
  test('a Lambda KinesisEventSource reads it through its exact grantRead', () => {
    const { stack, stream } = positions();
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    const asStream: kinesis.IStream = stream;
    fn.addEventSource(new sources.KinesisEventSource(asStream, { startingPosition: lambda.StartingPosition.LATEST }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] },
    });
    expect(identityStatements(template)).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: READ_ACTIONS,
          Resource: { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [logicalId(stream.encryptionKey as kms.Key), 'Arn'] },
        },
      ]),
    );
    // No wildcard the stream granted: aws-cdk-lib's own grantRead would add kms:DescribeKey and friends.
    expect(JSON.stringify(identityStatements(template))).not.toMatch(/kinesis:\*|kms:\*/);
  });

  test('streamArn, streamName, streamRef and encryptionKey answer for the inner stream', () => {
    const { stack, stream } = positions();
    expect(stack.resolve(stream.streamArn)).toEqual({ 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] });
    expect(stack.resolve(stream.streamName)).toEqual({ Ref: logicalId(stream.stream) });
    expect(stack.resolve(stream.streamRef)).toEqual(stack.resolve(stream.stream.streamRef));
    expect(stream.encryptionKey).toBe(stream.stream.encryptionKey);
  });

  test('addToResourcePolicy writes the stream resource policy', () => {
    const { stack, stream } = positions();
    const result = stream.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal('999999999999')],
        actions: ['kinesis:DescribeStreamSummary'],
        resources: [stream.streamArn],
      }),
    );
    expect(result.statementAdded).toBe(true);
    Template.fromStack(stack).resourceCountIs('AWS::Kinesis::ResourcePolicy', 1);
  });
});

describe('EncryptedStream metrics', () => {
  test.each([
    ['metricIncomingBytes', 'IncomingBytes'],
    ['metricIncomingRecords', 'IncomingRecords'],
    ['metricGetRecordsIteratorAgeMilliseconds', 'GetRecords.IteratorAgeMilliseconds'],
    ['metricGetRecordsBytes', 'GetRecords.Bytes'],
    ['metricGetRecordsLatency', 'GetRecords.Latency'],
    ['metricGetRecords', 'GetRecords.Records'],
    ['metricGetRecordsSuccess', 'GetRecords.Success'],
    ['metricPutRecordBytes', 'PutRecord.Bytes'],
    ['metricPutRecordLatency', 'PutRecord.Latency'],
    ['metricPutRecordSuccess', 'PutRecord.Success'],
    ['metricPutRecordsBytes', 'PutRecords.Bytes'],
    ['metricPutRecordsLatency', 'PutRecords.Latency'],
    ['metricPutRecordsSuccess', 'PutRecords.Success'],
    ['metricPutRecordsTotalRecords', 'PutRecords.TotalRecords'],
    ['metricPutRecordsSuccessfulRecords', 'PutRecords.SuccessfulRecords'],
    ['metricWriteProvisionedThroughputExceeded', 'WriteProvisionedThroughputExceeded'],
    ['metricReadProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded'],
    ['metricPutRecordsFailedRecords', 'PutRecords.FailedRecords'],
    ['metricPutRecordsThrottledRecords', 'PutRecords.ThrottledRecords'],
  ] as const)("%s is the stream's %s", (method, metricName) => {
    const { stack, stream } = positions();
    const metric = stream[method]({ statistic: 'Maximum' });
    expect(metric.namespace).toBe('AWS/Kinesis');
    expect(metric.metricName).toBe(metricName);
    expect(stack.resolve(metric.dimensions)).toEqual({ StreamName: { Ref: logicalId(stream.stream) } });
    expect(metric.statistic).toBe('Maximum');
    // The same metric aws-cdk-lib's Stream gives.
    expect(stack.resolve(metric.toMetricConfig())).toEqual(
      stack.resolve(stream.stream[method]({ statistic: 'Maximum' }).toMetricConfig()),
    );
  });

  test('metric: any metric of the stream by name', () => {
    const { stack, stream } = positions();
    const metric = stream.metric('SubscribeToShard.RateExceeded');
    expect(metric.namespace).toBe('AWS/Kinesis');
    expect(stack.resolve(metric.dimensions)).toEqual({ StreamName: { Ref: logicalId(stream.stream) } });
  });
});

describe('EncryptedStream removalPolicy', () => {
  test('DESTROY reaches the stream, its key, and the lease table and backup vault of a KCL application', () => {
    const { stack, stream } = positions({ removalPolicy: RemovalPolicy.DESTROY });
    stream.addKclApplication('position-aggregator', testRole(stack, 'Worker'));
    const template = Template.fromStack(stack);
    for (const type of ['AWS::Kinesis::Stream', 'AWS::DynamoDB::Table', 'AWS::Backup::BackupVault']) {
      template.hasResource(type, { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    }
    expect(template.toJSON().Resources[logicalId(stream.encryptionKey as kms.Key)]).toMatchObject({
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
    // A protected table cannot be deleted by CloudFormation.
    template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    expectCompliant(stack);
  });

  test("a KCL application's own removalPolicy wins over the stream's", () => {
    const { stack, stream } = positions({ removalPolicy: RemovalPolicy.DESTROY });
    stream.addKclApplication('position-aggregator', testRole(stack, 'Worker'), { removalPolicy: RemovalPolicy.RETAIN });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    template.hasResource('AWS::Backup::BackupVault', { DeletionPolicy: 'Retain' });
  });

  test('RETAIN_ON_UPDATE_OR_DELETE reaches the stream and its key', () => {
    const { stack, stream } = positions({ removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    const resources = Template.fromStack(stack).toJSON().Resources;
    for (const id of [logicalId(stream.stream), logicalId(stream.encryptionKey as kms.Key)]) {
      expect(resources[id]).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate' });
    }
  });

  test('a key passed in is left alone', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    positions({ encryptionKey: key, removalPolicy: RemovalPolicy.DESTROY }, stack);
    expect(Template.fromStack(stack).toJSON().Resources[logicalId(key)].DeletionPolicy).toBe('Retain');
  });

  test('applyRemovalPolicy reaches the stream and the key it created', () => {
    const { stack, stream } = positions();
    stream.applyRemovalPolicy(RemovalPolicy.DESTROY);
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(resources[logicalId(stream.stream)].DeletionPolicy).toBe('Delete');
    expect(resources[logicalId(stream.encryptionKey as kms.Key)].DeletionPolicy).toBe('Delete');
  });

  test.each([
    [
      RemovalPolicy.SNAPSHOT,
      /^\[Stack\/Positions\] removalPolicy must be .*: CloudFormation cannot snapshot Kinesis streams and KMS keys, got "RemovalPolicy.SNAPSHOT"$/,
    ],
    [
      'sometimes' as RemovalPolicy,
      /^\[Stack\/Positions\] removalPolicy must be RemovalPolicy.RETAIN, .*, got "sometimes"$/,
    ],
  ])('%s is refused', (removalPolicy, message) => {
    expect(() => positions({ removalPolicy })).toThrow(message);
  });

  test('a KCL application refuses SNAPSHOT in its options', () => {
    const { stack, stream } = positions();
    expect(() =>
      stream.addKclApplication('position-aggregator', testRole(stack, 'Worker'), {
        removalPolicy: RemovalPolicy.SNAPSHOT,
      }),
    ).toThrow(
      /^\[Stack\/Positions\] addKclApplication options\.removalPolicy must be RemovalPolicy\.RETAIN, RemovalPolicy\.DESTROY or RemovalPolicy\.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot DynamoDB tables and backup vaults, got "RemovalPolicy\.SNAPSHOT"$/,
    );
  });
});

describe('EncryptedStream provisioned, two consumers, a KCL application', () => {
  const stack = strictStack();
  const t = telemetry(stack);
  const template = Template.fromStack(stack);

  test('each consumer is an enhanced fan-out consumer of the stream, under Consumers/<name>', () => {
    for (const name of ['dashboard', 'geofence-alerts']) {
      template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
        ConsumerName: name,
        StreamARN: { 'Fn::GetAtt': [logicalId(t.stream.stream), 'Arn'] },
      });
    }
    expect(t.stream.enhancedFanOutConsumers).toEqual([t.dashboard, t.alerts]);
    expect(t.dashboard.node.path).toBe('Stack/Positions/Consumers/dashboard');
    expect(t.alerts.node.path).toBe('Stack/Positions/Consumers/geofence-alerts');
  });

  test('grantConsume: subscribe to that consumer only, describe the stream, decrypt', () => {
    expect(identityStatements(template)).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
          Resource: { 'Fn::GetAtt': [logicalId(t.dashboard.consumer), 'ConsumerARN'] },
        },
        {
          Effect: 'Allow',
          Action: ['kinesis:ListShards', 'kinesis:DescribeStreamSummary'],
          Resource: { 'Fn::GetAtt': [logicalId(t.stream.stream), 'Arn'] },
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [logicalId(t.stream.encryptionKey as kms.Key), 'Arn'] },
        },
      ]),
    );
  });

  test('the KCL application is KclApplications/<name>; its lease table is named after it: on-demand, PITR, encrypted, deletion-protected, backed up daily', () => {
    expect(t.kcl.node.path).toBe('Stack/Positions/KclApplications/position-aggregator');
    expect(t.stream.kclApplications).toEqual([t.kcl]);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'position-aggregator',
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::Backup::BackupVault', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: {
        Resources: [{ 'Fn::GetAtt': [logicalId(t.kcl.leaseTable), 'Arn'] }],
        IamRoleArn: Match.anyValue(),
      },
    });
  });

  test('the KCL worker role gets one customer-managed policy: stream, lease table, metrics in its namespace', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: logicalId(t.worker) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['kinesis:GetRecords']) }),
          Match.objectLike({
            Action: Match.arrayWith(['dynamodb:GetItem', 'dynamodb:UpdateItem']),
            Resource: { 'Fn::GetAtt': [logicalId(t.kcl.leaseTable), 'Arn'] },
          }),
          {
            Effect: 'Allow',
            Action: 'cloudwatch:PutMetricData',
            Resource: '*',
            Condition: { StringEquals: { 'cloudwatch:namespace': 'position-aggregator' } },
          },
        ]),
      },
    });
    expect(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: logicalId(t.worker) }] } }),
    ).toEqual({});
  });

  test("the stream's alarms include its KCL application's", () => {
    expect(t.kcl.alarms).toEqual([t.kcl.leaseTableThrottledRequestsAlarm, t.kcl.leaseTableSystemErrorsAlarm]);
    expect(t.stream.alarms).toEqual([
      t.stream.writeThrottledAlarm,
      t.stream.readThrottledAlarm,
      t.stream.putRecordsFailedAlarm,
      t.stream.iteratorAgeAlarm,
      ...t.kcl.alarms,
    ]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('addConsumer and addKclApplication: ids from names', () => {
  /** The logical ids of every resource under a construct path prefix. */
  function logicalIdsUnder(stack: Stack, pathPrefix: string): string[] {
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
    return Object.entries(resources)
      .filter(([, r]) => (r.Metadata?.['aws:cdk:path'] ?? '').startsWith(pathPrefix))
      .map(([id]) => id)
      .sort();
  }

  function build(consumers: string[], applications: string[]): Stack {
    const stack = new Stack(new App({ context: { 'aws:cdk:enable-path-metadata': true } }), 'Stack');
    const { stream } = positions({}, stack);
    const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.AccountRootPrincipal() });
    consumers.forEach((name) => stream.addConsumer(name));
    applications.forEach((name) => stream.addKclApplication(name, worker));
    return stack;
  }

  test('removing a consumer or a KCL application renames no other', () => {
    const all = build(['dashboard', 'alerts', 'audit'], ['aggregator', 'billing', 'replay']);
    const fewer = build(['dashboard', 'audit'], ['aggregator', 'replay']);
    for (const kept of [
      'Stack/Positions/Consumers/dashboard/',
      'Stack/Positions/Consumers/audit/',
      'Stack/Positions/KclApplications/aggregator/',
      'Stack/Positions/KclApplications/replay/',
    ]) {
      const ids = logicalIdsUnder(fewer, kept);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual(logicalIdsUnder(all, kept));
    }
  });

  test('a duplicate consumer name on the stream is refused', () => {
    const { stream } = positions();
    stream.addConsumer('dashboard');
    expect(() => stream.addConsumer('dashboard')).toThrow(
      /^\[Stack\/Positions\] addConsumer consumerName must be unique on the stream, got "dashboard"$/,
    );
  });

  test('a duplicate KCL application name on the stream is refused', () => {
    const { stack, stream } = positions();
    const worker = testRole(stack, 'Worker');
    stream.addKclApplication('aggregator', worker);
    expect(() => stream.addKclApplication('aggregator', worker)).toThrow(
      /^\[Stack\/Positions\] addKclApplication applicationName must be unique on the stream, got "aggregator"$/,
    );
  });

  test('a name known only at deploy time cannot name the child', () => {
    const { stack, stream } = positions();
    const name = new CfnParameter(stack, 'ConsumerName').valueAsString;
    expect(() => stream.addConsumer(name)).toThrow(
      /^\[Stack\/Positions\] addConsumer consumerName must be known at synth: it is the construct id of the consumer/,
    );
    expect(() => stream.addKclApplication(name, testRole(stack, 'Worker'))).toThrow(
      /^\[Stack\/Positions\] addKclApplication applicationName must be known at synth/,
    );
  });
});

/** Every feature on: a named, provisioned stream under a given key, seven consumers, a KCL application, grants. */
function everyFeature(stack: Stack) {
  const key = new kms.Key(stack, 'PositionsKey', { enableKeyRotation: true });
  const pager = pagerTopic(stack);
  const stream = new EncryptedStream(stack, 'Positions', {
    streamName: 'positions',
    shardCount: 4,
    retentionPeriod: Duration.days(7),
    encryptionKey: key,
    iteratorAgeAlarmThreshold: Duration.hours(1),
    alarmTopic: pager,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const consumers = Array.from({ length: 7 }, (_, i) => stream.addConsumer(`reader-${i}`));
  const worker = new iam.Role(stack, 'AggregatorRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  stream.addKclApplication('position-aggregator', worker);
  const reader = testRole(stack, 'Reader');
  stream.grantReadWrite(reader);
  consumers[0].grantConsume(reader);
  return { stream, consumers };
}

describe.each(ENV_MATRIX)('EncryptedStream synthesizes clean %s', (_env, makeStack) => {
  test('with default props', () => {
    const stack = makeStack();
    new EncryptedStream(stack, 'Positions');
    expectCompliant(stack);
  });

  test('with every feature on', () => {
    const stack = makeStack();
    everyFeature(stack);
    expectCompliant(stack);
  });

  test('on demand, in an On-demand Advantage account, with 50 consumers and a KCL application', () => {
    const stack = makeStack();
    const stream = new EncryptedStream(stack, 'Positions', { onDemandAdvantage: true });
    for (let i = 0; i < 50; i++) {
      stream.addConsumer(`reader-${i}`);
    }
    expectCompliant(stack);
  });
});

describe('EncryptedStream enhanced fan-out consumer limits (RegisterStreamConsumer API reference)', () => {
  test('a provisioned or On-demand Standard stream takes 20 consumers; the 21st is refused', () => {
    for (const props of [{}, { shardCount: 2 }, { onDemandAdvantage: false }]) {
      const { stream } = positions(props);
      for (let i = 0; i < 20; i++) {
        stream.addConsumer(`reader-${i}`);
      }
      expect(() => stream.addConsumer('reader-20')).toThrow(
        /^\[Stack\/Positions\] addConsumer consumerName exceeds the consumers the stream takes: a provisioned or On-demand Standard stream takes at most 20 enhanced fan-out consumers \(50 with onDemandAdvantage, on an on-demand stream of an account in the On-demand Advantage mode\) \(RegisterStreamConsumer API reference\), and this would be consumer 21, got "reader-20"$/,
      );
    }
  });

  test('an On-demand Advantage stream takes 50; the 51st is refused', () => {
    const { stream } = positions({ onDemandAdvantage: true });
    for (let i = 0; i < 50; i++) {
      stream.addConsumer(`reader-${i}`);
    }
    expect(() => stream.addConsumer('reader-50')).toThrow(
      /^\[Stack\/Positions\] addConsumer consumerName exceeds the consumers the stream takes: an On-demand Advantage stream takes at most 50 enhanced fan-out consumers .*, and this would be consumer 51, got "reader-50"$/,
    );
  });

  test('On-demand Advantage is for on-demand streams only, and takes only a boolean', () => {
    expect(() => positions({ onDemandAdvantage: true, shardCount: 2 })).toThrow(
      /^\[Stack\/Positions\] onDemandAdvantage must not be true with shardCount: On-demand Advantage applies to on-demand streams \(omit shardCount\), got true$/,
    );
    expect(() => positions({ onDemandAdvantage: 'yes' as any })).toThrow(
      /^\[Stack\/Positions\] onDemandAdvantage must be true or false, got "yes"$/,
    );
  });

  test('CloudFormation never has more than five consumers of the stream CREATING: each waits for the one five before', () => {
    const stack = strictStack();
    const { consumers } = everyFeature(stack);
    const resources = Template.fromStack(stack).toJSON().Resources;
    const ids = consumers.map((c) => logicalId(c.consumer));
    ids.forEach((id, i) => {
      expect(resources[id].DependsOn).toEqual(i >= 5 ? [ids[i - 5]] : undefined);
    });
  });

  test('KCL applications past the limit get a warning: KCL registers a consumer of its own by default', () => {
    const { stack, stream } = positions();
    for (let i = 0; i < 20; i++) {
      stream.addConsumer(`reader-${i}`);
    }
    const kcl = stream.addKclApplication('aggregator', testRole(stack, 'Worker'));
    const warnings = Annotations.fromStack(stack).findWarning(`/${kcl.node.path}`, Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual([
      expect.stringMatching(
        /^The stream has 20 enhanced fan-out consumers and 1 KCL applications, and a provisioned or On-demand Standard stream takes at most 20 .* configure the applications past the limit to poll \(PollingConfig\), or remove consumers\. \[ack: cdk-decoupling-patterns:kcl-enhanced-fan-out-limit\]$/,
      ),
    ]);
  });
});

describe('EncryptedStream physical names', () => {
  test('two streams with one literal name in one account and Region are refused', () => {
    const stack = strictStack();
    new EncryptedStream(stack, 'A', { streamName: 'positions' });
    expect(() => new EncryptedStream(stack, 'B', { streamName: 'positions' })).toThrow(
      /^\[Stack\/B\] streamName must give a Kinesis data stream name unique within one account and region; the name is already given to Stack\/A, got "positions"$/,
    );
  });

  test('two KCL applications with one name are refused, on different streams too (one lease table per account and Region)', () => {
    const { stack, stream } = positions();
    const other = new EncryptedStream(stack, 'Other');
    stream.addKclApplication('aggregator', testRole(stack, 'Worker'));
    expect(() => other.addKclApplication('aggregator', testRole(stack, 'Worker2'))).toThrow(
      /^\[Stack\/Other\] addKclApplication applicationName must give a DynamoDB table name unique within one account and region; the name for the lease table of Stack\/Other\/KclApplications\/aggregator is already given to Stack\/Positions \(the lease table of Stack\/Positions\/KclApplications\/aggregator\), got "aggregator"$/,
    );
  });

  test("a KCL application named like another's KCL 3.x table is refused", () => {
    const { stack, stream } = positions();
    stream.addKclApplication('aggregator', testRole(stack, 'Worker'));
    expect(() => stream.addKclApplication('aggregator-CoordinatorState', testRole(stack, 'Worker2'))).toThrow(
      /^\[Stack\/Positions\] addKclApplication applicationName must give a DynamoDB table name unique within one account and region; the name for the lease table of Stack\/Positions\/KclApplications\/aggregator-CoordinatorState is already given to Stack\/Positions \(the KCL 3\.x table aggregator-CoordinatorState of Stack\/Positions\/KclApplications\/aggregator\), got "aggregator-CoordinatorState"$/,
    );
  });

  test('the KCL application name leaves room for the KCL 3.x suffixes: 237 characters pass, 238 are refused', () => {
    const { stack, stream } = positions();
    stream.addKclApplication('a'.repeat(237), testRole(stack, 'Worker'));
    expect(() => stream.addKclApplication('b'.repeat(238), testRole(stack, 'Worker2'))).toThrow(
      /^\[Stack\/Positions\] addKclApplication applicationName must be 3 to 237 letters, digits, hyphens, underscores and periods \(it names the DynamoDB lease table, and KCL 3\.x names two more tables "<name>-WorkerMetricStats" and "<name>-CoordinatorState"; DynamoDB table names are at most 255 characters\), got "b{238}"$/,
    );
  });
});

describe('EncryptedStream takes deploy-time values where CloudFormation does', () => {
  test('retentionPeriod written in hours passes through; the iterator-age alarm then assumes 24 hours', () => {
    const stack = strictStack();
    const hours = new CfnParameter(stack, 'RetentionHours', { type: 'Number', default: 48 }).valueAsNumber;
    new EncryptedStream(stack, 'S', { retentionPeriod: Duration.hours(hours) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Kinesis::Stream', { RetentionPeriodHours: { Ref: 'RetentionHours' } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Threshold: 18 * 3600 * 1000,
    });
  });

  test('iteratorAgeAlarmThreshold written in milliseconds passes through', () => {
    const stack = strictStack();
    const millis = new CfnParameter(stack, 'AgeMillis', { type: 'Number', default: 60000 }).valueAsNumber;
    new EncryptedStream(stack, 'S', { iteratorAgeAlarmThreshold: Duration.millis(millis) });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Threshold: { Ref: 'AgeMillis' },
    });
  });
});

describe('EncryptedStream rejects bad input at synth', () => {
  const cases: Array<[string, (stack: Stack) => void, RegExp]> = [
    [
      'retention under 24 hours',
      (stack) => new EncryptedStream(stack, 'S', { retentionPeriod: Duration.hours(23) }),
      /^\[Stack\/S\] retentionPeriod must be between 1 day and 365 days, got 23 hours$/,
    ],
    [
      'retention over 8,760 hours',
      (stack) => new EncryptedStream(stack, 'S', { retentionPeriod: Duration.hours(8761) }),
      /^\[Stack\/S\] retentionPeriod must be between 1 day and 365 days, got 365 days 1 hour$/,
    ],
    [
      'retention not in whole hours',
      (stack) => new EncryptedStream(stack, 'S', { retentionPeriod: Duration.minutes(24 * 60 + 30) }),
      /^\[Stack\/S\] retentionPeriod must be a whole number of hours between 24 and 8,760, got 1 day 30 minutes$/,
    ],
    [
      'shardCount 0',
      (stack) => new EncryptedStream(stack, 'S', { shardCount: 0 }),
      /^\[Stack\/S\] shardCount must be an integer between 1 and 100,000, got 0$/,
    ],
    [
      'shardCount not an integer',
      (stack) => new EncryptedStream(stack, 'S', { shardCount: 1.5 }),
      /^\[Stack\/S\] shardCount must be an integer between 1 and 100,000, got 1.5$/,
    ],
    [
      'the AWS-managed key given as the customer-managed key',
      (stack) =>
        new EncryptedStream(stack, 'S', { encryptionKey: kms.Alias.fromAliasName(stack, 'Aws', 'alias/aws/kinesis') }),
      /^\[Stack\/S\] encryptionKey must be a customer-managed key, not the AWS-managed alias\/aws\/kinesis .*use encryption AWS_MANAGED for that key, got "alias\/aws\/kinesis"$/,
    ],
    [
      'a key together with AWS_MANAGED encryption',
      (stack) =>
        new EncryptedStream(stack, 'S', {
          encryption: EncryptedStreamEncryption.AWS_MANAGED,
          encryptionKey: new kms.Key(stack, 'K'),
        }),
      /^\[Stack\/S\] encryptionKey must not be set with encryption AWS_MANAGED .*, got "Stack\/K"$/,
    ],
    [
      'shardCount over the 100,000 of AWS::Kinesis::Stream',
      (stack) => new EncryptedStream(stack, 'S', { shardCount: 100_001 }),
      /^\[Stack\/S\] shardCount must be an integer between 1 and 100,000, got 100,001$/,
    ],
    [
      'shardCount NaN',
      (stack) => new EncryptedStream(stack, 'S', { shardCount: NaN }),
      /^\[Stack\/S\] shardCount must be an integer between 1 and 100,000, got NaN$/,
    ],
    [
      'retention NaN',
      (stack) => new EncryptedStream(stack, 'S', { retentionPeriod: Duration.hours(NaN) }),
      /^\[Stack\/S\] retentionPeriod must be between 1 day and 365 days, got Duration.hours\(NaN\)$/,
    ],
    [
      'retention Infinity',
      (stack) => new EncryptedStream(stack, 'S', { retentionPeriod: Duration.days(Infinity) }),
      /^\[Stack\/S\] retentionPeriod must be between 1 day and 365 days, got Duration.days\(Infinity\)$/,
    ],
    [
      'retention too small for aws-cdk-lib to print',
      (stack) => new EncryptedStream(stack, 'S', { retentionPeriod: Duration.days(6e-323) }),
      /^\[Stack\/S\] retentionPeriod must be between 1 day and 365 days, got Duration.days\(6e-323\)$/,
    ],
    [
      'a deploy-time retention written in days (CloudFormation takes hours)',
      (stack) =>
        new EncryptedStream(stack, 'S', {
          retentionPeriod: Duration.days(new CfnParameter(stack, 'Days', { type: 'Number' }).valueAsNumber),
        }),
      /^\[Stack\/S\] retentionPeriod must be written as Duration.hours\(...\) when its amount is known only at deploy time \(the stream takes whole hours\), got Duration.days\(a deploy-time value \{"Ref":"Days"\}\)$/,
    ],
    [
      'an iterator-age threshold at the retention period (it could never fire)',
      (stack) =>
        new EncryptedStream(stack, 'S', {
          retentionPeriod: Duration.hours(48),
          iteratorAgeAlarmThreshold: Duration.hours(48),
        }),
      /^\[Stack\/S\] iteratorAgeAlarmThreshold must be less than the retention period, 2 days: records are trimmed at that age, so the alarm could never fire, got 2 days$/,
    ],
    [
      'an iterator-age threshold beyond the default 24-hour retention',
      (stack) => new EncryptedStream(stack, 'S', { iteratorAgeAlarmThreshold: Duration.hours(30) }),
      /^\[Stack\/S\] iteratorAgeAlarmThreshold must be less than the retention period, 1 day: .*, got 1 day 6 hours$/,
    ],
    [
      'an iterator-age threshold of Infinity',
      (stack) => new EncryptedStream(stack, 'S', { iteratorAgeAlarmThreshold: Duration.minutes(Infinity) }),
      /^\[Stack\/S\] iteratorAgeAlarmThreshold must be between 1 minute and 365 days, got Duration.minutes\(Infinity\)$/,
    ],
    [
      'a deploy-time iterator-age threshold written in seconds (the metric is in milliseconds)',
      (stack) =>
        new EncryptedStream(stack, 'S', {
          iteratorAgeAlarmThreshold: Duration.seconds(new CfnParameter(stack, 'Age', { type: 'Number' }).valueAsNumber),
        }),
      /^\[Stack\/S\] iteratorAgeAlarmThreshold must be written as Duration.millis\(...\) when its amount is known only at deploy time \(the metric is in milliseconds\), got Duration.seconds\(a deploy-time value \{"Ref":"Age"\}\)$/,
    ],
    [
      'an encryption string that is not an EncryptedStreamEncryption',
      (stack) => new EncryptedStream(stack, 'S', { encryption: 'kms' as EncryptedStreamEncryption }),
      /^\[Stack\/S\] encryption must be one of EncryptedStreamEncryption.CUSTOMER_MANAGED or EncryptedStreamEncryption.AWS_MANAGED, got "kms"$/,
    ],
    [
      'a stream name that is not a string',
      (stack) => new EncryptedStream(stack, 'S', { streamName: 42 as any }),
      /^\[Stack\/S\] streamName must be 1 to 128 letters, digits, hyphens, underscores and periods, got 42$/,
    ],
    [
      'a consumer name that is not a string',
      (stack) => new EncryptedStream(stack, 'S').addConsumer(7 as any),
      /^\[Stack\/S\] addConsumer consumerName must be 1 to 128 letters, digits, hyphens, underscores and periods, got 7$/,
    ],
    [
      'a grantee that is not grantable',
      (stack) => new EncryptedStream(stack, 'S').grantRead('arn:aws:iam::123456789012:role/x' as any),
      /^\[Stack\/S\] grantRead grantee must be an iam.IGrantable \(a role, user or group\), got "arn:aws:iam::123456789012:role\/x"$/,
    ],
    [
      'a KCL worker that is not grantable',
      (stack) => new EncryptedStream(stack, 'S').addKclApplication('aggregator', undefined as any),
      /^\[Stack\/S\] addKclApplication grantee must be an iam.IGrantable \(a role, user or group\), got undefined$/,
    ],
    [
      'a grant to a service when the key is imported (its key statements would be dropped)',
      (stack) =>
        new EncryptedStream(stack, 'S', {
          encryptionKey: kms.Key.fromKeyArn(
            stack,
            'K',
            'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
          ),
        }).grantRead(new iam.ServicePrincipal('ecs-tasks.amazonaws.com')),
      /^\[Stack\/S\] grantRead grantee must be a role, user or group of this account when the key is imported: its key policy cannot be changed here, so kms:Decrypt would not be granted; .*, got "ServicePrincipal\(ecs-tasks.amazonaws.com\)"$/,
    ],
    [
      'applyRemovalPolicy SNAPSHOT',
      (stack) => new EncryptedStream(stack, 'S').applyRemovalPolicy(RemovalPolicy.SNAPSHOT),
      /^\[Stack\/S\] applyRemovalPolicy policy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot Kinesis streams and KMS keys, got "RemovalPolicy.SNAPSHOT"$/,
    ],
    [
      'applyRemovalPolicy with a string that is not a RemovalPolicy',
      (stack) => new EncryptedStream(stack, 'S').applyRemovalPolicy('Delete' as RemovalPolicy),
      /^\[Stack\/S\] applyRemovalPolicy policy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, got "Delete"$/,
    ],
    [
      'an invalid stream name',
      (stack) => new EncryptedStream(stack, 'S', { streamName: 'positions stream' }),
      /^\[Stack\/S\] streamName must be 1 to 128 letters, digits, hyphens, underscores and periods, got "positions stream"$/,
    ],
    [
      'an invalid consumer name',
      (stack) => new EncryptedStream(stack, 'S').addConsumer('dash board'),
      /^\[Stack\/S\] addConsumer consumerName must be 1 to 128 letters.*, got "dash board"$/,
    ],
    [
      'an invalid KCL application name',
      (stack) =>
        new EncryptedStream(stack, 'S').addKclApplication(
          'ab',
          new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }),
        ),
      /^\[Stack\/S\] addKclApplication applicationName must be 3 to 237 letters.*, got "ab"$/,
    ],
  ];

  test.each(cases)('%s', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });

  test('values given as tokens are not validated at synth', () => {
    const stack = strictStack();
    new EncryptedStream(stack, 'S', {
      streamName: Lazy.string({ produce: () => 'positions' }),
      shardCount: Lazy.number({ produce: () => 2 }),
    });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});
