import { CfnParameter, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { logicalId, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { EncryptedStream } from '../src/encrypted-stream';
import { KclApplication, KclApplicationOptions } from '../src/kcl-application';

/** A strict stack with an EncryptedStream, `Stack/Positions`, and a worker role. */
function positions() {
  const stack = strictStack();
  const stream = new EncryptedStream(stack, 'Positions');
  const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.AccountRootPrincipal() });
  return { stack, stream, worker };
}

/** The same, with the KCL application `aggregator` for the worker. */
function aggregator(options: KclApplicationOptions = {}) {
  const { stack, stream, worker } = positions();
  return { stack, stream, worker, kcl: stream.addKclApplication('aggregator', worker, options) };
}

describe('KclApplication alarms', () => {
  const { stack, kcl } = aggregator();
  const template = Template.fromStack(stack);

  test('the lease table alarms on throttled requests and system errors, summed over its operations, on the alarm topic', () => {
    const alarmTopic = { Ref: Match.stringLikeRegexp('DecouplingPatternsAlarmTopic') };
    const operations = ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Scan', 'Query'];
    for (const metricName of ['ThrottledRequests', 'SystemErrors']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
        AlarmActions: [alarmTopic],
        OKActions: [alarmTopic],
        Metrics: [
          {
            Id: 'expr_1',
            // A quiet operation has no data point, which must not hide another's.
            Expression: `SUM([${operations.map((op) => `FILL(${op.toLowerCase()}, 0)`).join(', ')}])`,
          },
          ...operations.map((operation) => ({
            Id: operation.toLowerCase(),
            ReturnData: false,
            MetricStat: {
              Metric: {
                Namespace: 'AWS/DynamoDB',
                MetricName: metricName,
                // DynamoDB reports these per table and operation only.
                Dimensions: Match.arrayWith([
                  { Name: 'Operation', Value: operation },
                  { Name: 'TableName', Value: { Ref: logicalId(kcl.leaseTable) } },
                ]),
              },
              Period: 300,
              Stat: 'Sum',
            },
          })),
        ],
      });
    }
    expect(kcl.alarms).toEqual([kcl.leaseTableThrottledRequestsAlarm, kcl.leaseTableSystemErrorsAlarm]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });
});

describe('KclApplication.grantWorker', () => {
  test('a role: the worker policy is attached, and the Grant holds the real statements', () => {
    const { stack, worker, kcl } = aggregator();
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    const grant = kcl.grantWorker(other);
    expect(grant.success).toBe(true);
    const actions = grant.principalStatements.flatMap((s) => s.actions);
    expect(actions).toEqual(
      expect.arrayContaining(['kinesis:GetRecords', 'dynamodb:UpdateItem', 'cloudwatch:PutMetricData', 'kms:Decrypt']),
    );
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: logicalId(worker) }, { Ref: logicalId(other) }],
    });
    // Granting again adds no statement to the one worker policy.
    const policy = template.toJSON().Resources[logicalId(kcl.workerPolicy)];
    expect(policy.Properties.PolicyDocument.Statement).toHaveLength(7);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('an imported role: the worker policy is attached to it by name', () => {
    const { stack, kcl } = aggregator();
    kcl.grantWorker(iam.Role.fromRoleName(stack, 'Imported', 'position-workers'));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: Match.arrayWith(['position-workers']),
    });
  });

  test('a user: the statements go to its own policy', () => {
    const { stack, stream } = positions();
    const user = new iam.User(stack, 'Operator');
    const kcl = stream.addKclApplication('aggregator', user);
    const grant = kcl.grantWorker(user);
    expect(grant.success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Users: [{ Ref: logicalId(user) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['dynamodb:UpdateItem']), Resource: Match.anyValue() }),
        ]),
      },
    });
    expect(kcl.workerPolicy.node.path).toBe('Stack/Positions/KclApplications/aggregator/WorkerPolicy');
  });

  test('a principal that takes no statements is refused, not skipped', () => {
    const { stream } = positions();
    expect(() => stream.addKclApplication('aggregator', new iam.ServicePrincipal('ecs-tasks.amazonaws.com'))).toThrow(
      /^\[Stack\/Positions\] addKclApplication grantee must be a role, user or group: its policy takes the worker statements, got "ServicePrincipal\(ecs-tasks\.amazonaws\.com\)"$/,
    );
  });
});

describe('KclApplication options', () => {
  test("alarmTopic: the lease table's alarms notify it", () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Positions');
    const pager = new sns.Topic(stack, 'Pager', { enforceSSL: true });
    const kcl = stream.addKclApplication(
      'aggregator',
      new iam.Role(stack, 'Worker', { assumedBy: new iam.AccountRootPrincipal() }),
      { alarmTopic: pager },
    );
    expect(kcl.alarmTopic).toBe(pager);
    const resources = Template.fromStack(stack).toJSON().Resources;
    for (const alarm of kcl.alarms) {
      expect(resources[logicalId(alarm)].Properties.AlarmActions).toEqual([{ Ref: logicalId(pager) }]);
    }
  });

  test.each([
    [RemovalPolicy.RETAIN, 'Retain', true],
    [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, 'RetainExceptOnCreate', true],
    // CloudFormation cannot delete a protected table: under DESTROY the stack's deletion would fail.
    [RemovalPolicy.DESTROY, 'Delete', false],
  ])(
    'removalPolicy %s: table and vault %s, deletion protection %s',
    (removalPolicy, deletionPolicy, protectedTable) => {
      const { stack, kcl } = aggregator({ removalPolicy });
      const resources = Template.fromStack(stack).toJSON().Resources;
      const table = resources[logicalId(kcl.leaseTable)];
      expect(table.DeletionPolicy).toBe(deletionPolicy);
      expect(table.Properties.DeletionProtectionEnabled).toBe(protectedTable);
      expect(resources[logicalId(kcl.backupPlan.backupVault)].DeletionPolicy).toBe(deletionPolicy);
      expectCompliant(stack);
    },
  );

  test('constructed directly, it takes any stream (its key included), RETAIN by default', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const imported = kinesis.Stream.fromStreamAttributes(stack, 'Imported', {
      streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/positions',
      encryptionKey: key,
    });
    const kcl = new KclApplication(stack, 'Kcl', { stream: imported, applicationName: 'aggregator' });
    const worker = new iam.Role(stack, 'Worker', { assumedBy: new iam.AccountRootPrincipal() });
    kcl.grantWorker(worker);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: logicalId(worker) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['kinesis:GetRecords']),
            Resource: 'arn:aws:kinesis:us-east-1:123456789012:stream/positions',
          }),
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalId(key), 'Arn'] } },
        ]),
      },
    });
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    expectCompliant(stack);
  });

  test('an invalid application name, constructed directly, is refused', () => {
    const stack = strictStack();
    expect(
      () => new KclApplication(stack, 'K', { stream: new EncryptedStream(stack, 'S'), applicationName: 'a b c' }),
    ).toThrow(/^\[Stack\/K\] applicationName must be 3 to 237 letters.*, got "a b c"$/);
  });
});

describe('KclApplication worker policy (Kinesis developer guide, "IAM permissions required for KCL consumer applications")', () => {
  test("exactly the guide's actions on the ARNs it names: stream, its consumers, lease table, KCL 3.x tables, lease-table indexes, metrics", () => {
    const { stack, stream, kcl } = aggregator();
    const statements =
      Template.fromStack(stack).toJSON().Resources[logicalId(kcl.workerPolicy)].Properties.PolicyDocument.Statement;
    const streamArn = { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] };
    const tableArn = { 'Fn::GetAtt': [logicalId(kcl.leaseTable), 'Arn'] };
    const kcl3Table = (suffix: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:dynamodb:us-east-1:123456789012:table/aggregator${suffix}`],
      ],
    });
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
          'kinesis:RegisterStreamConsumer',
          'kinesis:GetRecords',
          'kinesis:GetShardIterator',
          'kinesis:ListShards',
        ],
        Resource: streamArn,
      },
      {
        Effect: 'Allow',
        Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
        Resource: { 'Fn::Join': ['', [streamArn, '/consumer/*']] },
      },
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:CreateTable',
          'dynamodb:DescribeTable',
          'dynamodb:UpdateTable',
          'dynamodb:Scan',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        Resource: tableArn,
      },
      {
        Effect: 'Allow',
        Action: [
          'dynamodb:CreateTable',
          'dynamodb:DescribeTable',
          'dynamodb:Scan',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
        ],
        Resource: [kcl3Table('-WorkerMetricStats'), kcl3Table('-CoordinatorState')],
      },
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [tableArn, '/index/*']] } },
      {
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'aggregator' } },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [logicalId(stream.encryptionKey as kms.Key), 'Arn'] },
      },
    ]);
    // The two wildcards are the guide's own and acknowledged as exactly those resources.
    expectCompliant(stack);
  });

  test.each([
    [
      'no stream',
      (stack: any) => new KclApplication(stack, 'K', { applicationName: 'aggregator', stream: undefined as any }),
      /^\[Stack\/K\] stream must be given \(a kinesis.IStream\), got undefined$/,
    ],
    [
      'a removal policy that is not a RemovalPolicy',
      (stack: any) =>
        new KclApplication(stack, 'K', {
          applicationName: 'aggregator',
          stream: new EncryptedStream(stack, 'S'),
          removalPolicy: 'Delete' as RemovalPolicy,
        }),
      /^\[Stack\/K\] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, got "Delete"$/,
    ],
    [
      'grantWorker with an account principal (it takes no statements)',
      (stack: any) =>
        new KclApplication(stack, 'K', {
          applicationName: 'aggregator',
          stream: new EncryptedStream(stack, 'S'),
        }).grantWorker(new iam.AccountPrincipal('999999999999')),
      /^\[Stack\/K\] grantWorker grantee must be a role, user or group: its policy takes the worker statements, got "AccountPrincipal\(999999999999\)"$/,
    ],
    [
      'the same deploy-time name twice',
      (stack: any) => {
        const name = new CfnParameter(stack, 'Name').valueAsString;
        new KclApplication(stack, 'A', { applicationName: name, stream: new EncryptedStream(stack, 'S') });
        new KclApplication(stack, 'K', { applicationName: name, stream: new EncryptedStream(stack, 'S2') });
      },
      /^\[Stack\/K\] applicationName must give a DynamoDB table name unique within one account and region; the same deploy-time value is already the name of Stack\/A, got a deploy-time value \{"Ref":"Name"\}$/,
    ],
  ])('%s is refused', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });
});
