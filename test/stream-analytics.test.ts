import { Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { TEST_CODE_DIR } from './stream-analytics.fixtures';
import { ENV_MATRIX, logicalId, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { EncryptedStream, EncryptedStreamEncryption } from '../src/encrypted-stream';
import { IsolatedVpc } from '../src/isolated-vpc';
import { StackAlarmTopic } from '../src/stack-alarm-topic';
import {
  StreamAnalytics,
  StreamAnalyticsCode,
  StreamAnalyticsLogLevel,
  StreamAnalyticsMetricsLevel,
  StreamAnalyticsProps,
  StreamAnalyticsRuntime,
} from '../src/stream-analytics';

function build(props: Partial<StreamAnalyticsProps> = {}, stack: Stack = strictStack()) {
  const stream = props.stream ?? new EncryptedStream(stack, 'Telemetry');
  const code = props.code ?? StreamAnalyticsCode.fromAsset(TEST_CODE_DIR);
  const app = new StreamAnalytics(stack, 'Analytics', { ...props, stream, code });
  return { stack, stream, app };
}

function buildError(props: Partial<Record<keyof StreamAnalyticsProps, unknown>>, stack: Stack = strictStack()): string {
  try {
    build(props as Partial<StreamAnalyticsProps>, stack);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the construct to refuse its props');
}

function application(stack: Stack): Record<string, any> {
  const apps = Template.fromStack(stack).findResources('AWS::KinesisAnalyticsV2::Application');
  expect(Object.keys(apps)).toHaveLength(1);
  return Object.values(apps)[0];
}

/** The literal name the construct gives its log group (the L2's `logGroupName` is a Ref). */
function logGroupNameOf(stack: Stack): string {
  const groups = Object.values(Template.fromStack(stack).findResources('AWS::Logs::LogGroup')).map(
    (group: any) => group.Properties.LogGroupName as string,
  );
  const ours = groups.filter((name) => typeof name === 'string' && name.startsWith('/aws/kinesis-analytics/'));
  expect(ours).toHaveLength(1);
  return ours[0];
}

function statements(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (policy: any) => policy.Properties.PolicyDocument.Statement,
  );
}

const deployTimeNumber = (value: number) => Token.asNumber(Lazy.number({ produce: () => value }));

describe('StreamAnalytics defaults', () => {
  const { stack, app, stream } = build();
  const template = Template.fromStack(stack);

  test('Flink 2.2, checkpoints every minute, snapshots, autoscaling from parallelism 1, INFO logs', () => {
    const resource = application(stack);
    expect(resource.Properties).toEqual({
      RuntimeEnvironment: 'FLINK-2_2',
      ServiceExecutionRole: { 'Fn::GetAtt': [logicalId(app.role), 'Arn'] },
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: {
          CodeContentType: 'ZIPFILE',
          CodeContent: {
            S3ContentLocation: {
              BucketARN: expect.objectContaining({ 'Fn::Join': expect.anything() }),
              FileKey: expect.stringMatching(/^[0-9a-f]{64}\.zip$/),
            },
          },
        },
        FlinkApplicationConfiguration: {
          CheckpointConfiguration: {
            ConfigurationType: 'CUSTOM',
            CheckpointingEnabled: true,
            CheckpointInterval: 60_000,
            MinPauseBetweenCheckpoints: 5_000,
          },
          MonitoringConfiguration: { ConfigurationType: 'CUSTOM', LogLevel: 'INFO', MetricsLevel: 'APPLICATION' },
          ParallelismConfiguration: {
            ConfigurationType: 'CUSTOM',
            Parallelism: 1,
            ParallelismPerKPU: 1,
            AutoScalingEnabled: true,
          },
        },
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
        EnvironmentProperties: {
          PropertyGroups: [
            {
              PropertyGroupId: 'InputStream',
              PropertyMap: {
                'stream.arn': { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] },
                'stream.name': { Ref: logicalId(stream.stream) },
                'aws.region': 'us-east-1',
              },
            },
          ],
        },
      },
    });
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.DependsOn).toEqual([logicalId(app.policy), logicalId(app.role)].sort());
  });

  test('the role is assumed by the service and gets one customer-managed policy, no inline policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'kinesisanalytics.amazonaws.com' } },
        ],
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: [{ Ref: logicalId(app.role) }] });
  });

  test('reads the stream, decrypts with its key, reads its code object, writes only its own log stream', () => {
    const partition = { Ref: 'AWS::Partition' };
    const logGroupName = logGroupNameOf(stack);
    expect(statements(stack)).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:ListShards',
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
        ],
        Resource: { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] },
      },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalId(stream.encryptionKey!), 'Arn'] } },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              partition,
              expect.stringMatching(/^:s3:::cdk-hnb659fds-assets-123456789012-us-east-1\/[0-9a-f]{64}\.zip$/),
            ],
          ],
        },
      },
      {
        Effect: 'Allow',
        Action: 'logs:DescribeLogGroups',
        Resource: { 'Fn::Join': ['', ['arn:', partition, ':logs:us-east-1:123456789012:log-group:*']] },
      },
      {
        Effect: 'Allow',
        Action: 'logs:DescribeLogStreams',
        Resource: { 'Fn::Join': ['', ['arn:', partition, `:logs:us-east-1:123456789012:log-group:${logGroupName}`]] },
      },
      {
        Effect: 'Allow',
        Action: 'logs:PutLogEvents',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              partition,
              `:logs:us-east-1:123456789012:log-group:${logGroupName}:log-stream:kinesis-analytics-log-stream`,
            ],
          ],
        },
      },
    ]);
  });

  test('logs go to an encrypted log group kept a year, through a logging option on the application', () => {
    const logGroupName = logGroupNameOf(stack);
    expect(logGroupName).toMatch(/^\/aws\/kinesis-analytics\/Stack-Analytics-[0-9a-f]{8}$/);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: logGroupName,
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [logicalId(app.logKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsForTheApplicationLogGroup',
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogStream', {
      LogGroupName: { Ref: logicalId(app.logGroup) },
      LogStreamName: 'kinesis-analytics-log-stream',
    });
    template.hasResource('AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption', {
      Properties: {
        ApplicationName: { Ref: logicalId(app) },
        CloudWatchLoggingOption: {
          LogStreamARN: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                `:logs:us-east-1:123456789012:log-group:${logGroupName}:log-stream:kinesis-analytics-log-stream`,
              ],
            ],
          },
        },
      },
      DependsOn: Match.arrayWith([logicalId(app.policy)]),
    });
  });

  test('alarms on downtime (restarting + failing on Flink 2), failed checkpoints, lag, CPU and heap, to the stack topic', () => {
    const topic = { Ref: stack.getLogicalId(StackAlarmTopic.of(stack).topic.node.defaultChild as sns.CfnTopic) };
    const dimension = { Name: 'Application', Value: { Ref: logicalId(app) } };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(restarting, 0) + FILL(failing, 0)' }),
        Match.objectLike({
          Id: 'restarting',
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/KinesisAnalytics', MetricName: 'restartingTime', Dimensions: [dimension] },
          }),
        }),
      ]),
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'RATE(failed)' })]),
      Threshold: 0,
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/KinesisAnalytics',
      MetricName: 'millisBehindLatest',
      Dimensions: [dimension],
      Statistic: 'Maximum',
      Threshold: 300_000,
      EvaluationPeriods: 5,
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'cpuUtilization',
      Statistic: 'Average',
      Threshold: 80,
      EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'heapMemoryUtilization',
      Statistic: 'Maximum',
      Threshold: 90,
      EvaluationPeriods: 3,
    });
    expect(app.alarms).toHaveLength(5);
  });

  test('it is the grantee of its role, and has no connections outside a VPC', () => {
    expect(app.grantPrincipal).toBe(app.role);
    expect(app.securityGroups).toEqual([]);
    expect(() => app.connections).toThrow(
      '[Stack/Analytics] connections exist only for an application in a VPC (give the vpc prop), got undefined',
    );
  });

  test('construct ids are stable', () => {
    expect(app.node.children.map((child) => child.node.id)).toEqual([
      'Role',
      'LogKey',
      'LogGroup',
      'LogStream',
      'Code',
      'Policy',
      'Resource',
      'LoggingOption',
      'DowntimeAlarm',
      'CheckpointFailuresAlarm',
      'MillisBehindLatestAlarm',
      'CpuUtilizationAlarm',
      'HeapMemoryUtilizationAlarm',
    ]);
  });

  test('the template matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('runtimes', () => {
  test.each([StreamAnalyticsRuntime.FLINK_1_18, StreamAnalyticsRuntime.FLINK_1_19, StreamAnalyticsRuntime.FLINK_1_20])(
    '%s alarms on downtime',
    (runtime) => {
      const { stack } = build({ runtime });
      expect(application(stack).Properties.RuntimeEnvironment).toBe(runtime);
      Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'downtime',
        Statistic: 'Maximum',
        Threshold: 0,
      });
    },
  );

  test('Flink 2.3 alarms on restarting and failing time', () => {
    const { stack } = build({ runtime: StreamAnalyticsRuntime.FLINK_2_3 });
    expect(application(stack).Properties.RuntimeEnvironment).toBe('FLINK-2_3');
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'downtime' }, 0);
  });

  test.each(['FLINK-1_15', 'FLINK-1_13', 'FLINK-1_6', 'SQL-1_0', 'ZEPPELIN-FLINK-3_0', 'flink-2_2', 'FLINK-2_4', ''])(
    'the runtime %p is refused',
    (runtime) => {
      expect(buildError({ runtime })).toBe(
        '[Stack/Analytics] runtime must be one of StreamAnalyticsRuntime.FLINK_1_18, StreamAnalyticsRuntime.FLINK_1_19, ' +
          'StreamAnalyticsRuntime.FLINK_1_20, StreamAnalyticsRuntime.FLINK_2_2 or StreamAnalyticsRuntime.FLINK_2_3, ' +
          `got ${JSON.stringify(runtime)}`,
      );
    },
  );
});

describe('code', () => {
  test('from a bucket and key, with a version: GetObject and GetObjectVersion on that object, Decrypt with its key', () => {
    const stack = strictStack();
    const bucket = new s3.Bucket(stack, 'Code', { encryptionKey: new kms.Key(stack, 'CodeKey') });
    const { app } = build({ code: StreamAnalyticsCode.fromBucket(bucket, 'apps/truck-counts.zip', 'v3') }, stack);
    expect(application(stack).Properties.ApplicationConfiguration.ApplicationCodeConfiguration).toEqual({
      CodeContentType: 'ZIPFILE',
      CodeContent: {
        S3ContentLocation: {
          BucketARN: { 'Fn::GetAtt': [logicalId(bucket), 'Arn'] },
          FileKey: 'apps/truck-counts.zip',
          ObjectVersion: 'v3',
        },
      },
    });
    expect(statements(stack)).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:GetObjectVersion'],
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(bucket), 'Arn'] }, '/apps/truck-counts.zip']] },
        },
        {
          Effect: 'Allow',
          Action: 'kms:Decrypt',
          Resource: { 'Fn::GetAtt': [logicalId(bucket.encryptionKey!), 'Arn'] },
        },
      ]),
    );
    expect(app.node.tryFindChild('Code')).toBeUndefined();
  });

  test.each([
    [
      'a missing directory',
      () => StreamAnalyticsCode.fromAsset('/nonexistent/flink-app'),
      'code must be StreamAnalyticsCode.fromAsset of an existing file or directory, got "/nonexistent/flink-app"',
    ],
    [
      'an empty key',
      () => StreamAnalyticsCode.fromBucket(s3.Bucket.fromBucketName(new Stack(), 'B', 'code-bucket'), ''),
      'code fileKey must be a string of 1 to 1,024 characters, got ""',
    ],
    [
      'a 1,025-character key',
      () => StreamAnalyticsCode.fromBucket(s3.Bucket.fromBucketName(new Stack(), 'B', 'code-bucket'), 'k'.repeat(1025)),
      `code fileKey must be a string of 1 to 1,024 characters, got "${'k'.repeat(1025)}"`,
    ],
    [
      'not a bucket',
      () => StreamAnalyticsCode.fromBucket('my-bucket' as any, 'app.zip'),
      'code bucket must be an s3.IBucket, got "my-bucket"',
    ],
  ])('%s is refused', (_label, code, rule) => {
    expect(buildError({ code: code() })).toBe(`[Stack/Analytics] ${rule}`);
  });

  test('not code at all is refused', () => {
    expect(buildError({ code: 's3://bucket/app.zip' })).toBe(
      '[Stack/Analytics] code must be StreamAnalyticsCode.fromAsset(path) or StreamAnalyticsCode.fromBucket(bucket, key), got "s3://bucket/app.zip"',
    );
  });

  test('one fromAsset code may serve two applications of one stack', () => {
    const stack = strictStack();
    const code = StreamAnalyticsCode.fromAsset(TEST_CODE_DIR);
    const stream = new EncryptedStream(stack, 'Telemetry');
    new StreamAnalytics(stack, 'One', { stream, code });
    new StreamAnalytics(stack, 'Two', { stream, code });
    Template.fromStack(stack).resourceCountIs('AWS::KinesisAnalyticsV2::Application', 2);
  });
});

describe('enhanced fan-out', () => {
  test('subscribes through its consumer only, and the application learns the consumer', () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Telemetry');
    const enhancedFanOutConsumer = stream.addConsumer('truck-counts');
    build({ stream, enhancedFanOutConsumer }, stack);
    const consumerArn = { 'Fn::GetAtt': [expect.stringMatching(/^TelemetryConsumerstruckcounts/), 'ConsumerARN'] };
    expect(statements(stack)).toContainEqual({
      Effect: 'Allow',
      Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
      Resource: consumerArn,
    });
    expect(
      application(stack).Properties.ApplicationConfiguration.EnvironmentProperties.PropertyGroups[0].PropertyMap,
    ).toEqual(
      expect.objectContaining({
        'efo.consumer.arn': consumerArn,
        'efo.consumer.name': expect.anything(),
      }),
    );
  });

  test('a consumer of another stream is refused', () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Telemetry');
    const other = new EncryptedStream(stack, 'Other');
    expect(buildError({ stream, enhancedFanOutConsumer: other.addConsumer('reader') }, stack)).toBe(
      '[Stack/Analytics] enhancedFanOutConsumer must be a consumer of the given stream (Stack/Telemetry), not of Stack/Other, got "Stack/Other/Consumers/reader"',
    );
  });
});

describe('streams', () => {
  test('an AWS-managed key needs no grant; a plain or imported stream works', () => {
    const stack = strictStack();
    build(
      { stream: new EncryptedStream(stack, 'Managed', { encryption: EncryptedStreamEncryption.AWS_MANAGED }) },
      stack,
    );
    expect(statements(stack).some((s) => String(s.Action).startsWith('kms:'))).toBe(false);
    build({
      stream: kinesis.Stream.fromStreamArn(
        strictStack(),
        'Imported',
        'arn:aws:kinesis:us-east-1:123456789012:stream/telemetry',
      ),
    });
  });

  test('a stream that is not a stream is refused', () => {
    expect(buildError({ stream: 'arn:aws:kinesis:us-east-1:123456789012:stream/telemetry' })).toBe(
      '[Stack/Analytics] stream must be a Kinesis data stream (kinesis.IStream), got "arn:aws:kinesis:us-east-1:123456789012:stream/telemetry"',
    );
  });

  test("the lag alarm must fire before records leave the stream's retention", () => {
    expect(buildError({ millisBehindLatestAlarmThreshold: Duration.hours(24) })).toBe(
      "[Stack/Analytics] millisBehindLatestAlarmThreshold must be less than the stream's retention period (24 hours): records are gone by then, so the alarm would fire too late or never, got 1 day",
    );
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Long', { retentionPeriod: Duration.hours(48) });
    build({ stream, millisBehindLatestAlarmThreshold: Duration.hours(30) }, stack);
  });
});

describe('fully featured', () => {
  test('every prop reaches the template', () => {
    const stack = strictStack();
    const network = new IsolatedVpc(stack, 'Network');
    const topic = new sns.Topic(stack, 'Pager', {
      masterKey: new kms.Key(stack, 'PagerKey', { enableKeyRotation: true }),
      enforceSSL: true,
    });
    const { app } = build(
      {
        runtime: StreamAnalyticsRuntime.FLINK_1_20,
        applicationName: 'truck-counts',
        parallelism: 4,
        parallelismPerKpu: 2,
        autoScalingEnabled: false,
        checkpointInterval: Duration.seconds(30),
        minPauseBetweenCheckpoints: Duration.millis(2500),
        snapshotsEnabled: false,
        logLevel: StreamAnalyticsLogLevel.WARN,
        metricsLevel: StreamAnalyticsMetricsLevel.OPERATOR,
        logRetention: logs.RetentionDays.THREE_MONTHS,
        propertyGroups: {
          'kinesis.analytics.flink.run.options': { python: 'main.py', jarfile: 'lib/connector.jar' },
        },
        vpc: network.vpc,
        millisBehindLatestAlarmThreshold: Duration.minutes(2),
        cpuUtilizationAlarmThreshold: 70,
        heapMemoryUtilizationAlarmThreshold: 85,
        alarmTopic: topic,
        removalPolicy: RemovalPolicy.DESTROY,
      },
      stack,
    );
    const resource = application(stack);
    expect(resource.DeletionPolicy).toBe('Delete');
    expect(resource.Properties).toMatchObject({
      ApplicationName: 'truck-counts',
      RuntimeEnvironment: 'FLINK-1_20',
      ApplicationConfiguration: {
        FlinkApplicationConfiguration: {
          CheckpointConfiguration: { CheckpointInterval: 30_000, MinPauseBetweenCheckpoints: 2_500 },
          MonitoringConfiguration: { LogLevel: 'WARN', MetricsLevel: 'OPERATOR' },
          ParallelismConfiguration: { Parallelism: 4, ParallelismPerKPU: 2, AutoScalingEnabled: false },
        },
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: false },
        EnvironmentProperties: {
          PropertyGroups: [
            expect.objectContaining({ PropertyGroupId: 'InputStream' }),
            {
              PropertyGroupId: 'kinesis.analytics.flink.run.options',
              PropertyMap: { python: 'main.py', jarfile: 'lib/connector.jar' },
            },
          ],
        },
        VpcConfigurations: [
          {
            SubnetIds: network.vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId)),
            SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(app.securityGroups[0] as ec2.SecurityGroup), 'GroupId'] }],
          },
        ],
      },
    });
    expect(logGroupNameOf(stack)).toBe('/aws/kinesis-analytics/truck-counts');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() },
      ],
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.anyValue() }, 0);
    expect(statements(stack)).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: [
            'ec2:DescribeVpcs',
            'ec2:DescribeSubnets',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeDhcpOptions',
            'ec2:DescribeNetworkInterfaces',
          ],
          Resource: '*',
        },
        expect.objectContaining({ Action: 'ec2:CreateNetworkInterface' }),
        expect.objectContaining({ Action: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface'] }),
      ]),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'millisBehindLatest', Threshold: 120_000 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'cpuUtilization', Threshold: 70 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'heapMemoryUtilization',
      Threshold: 85,
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    expect(app.connections.securityGroups).toEqual(app.securityGroups);
  });

  test('grants from other constructs go to a customer-managed policy of the role, never an inline one', () => {
    const stack = strictStack();
    const { app } = build({}, stack);
    const sink = new EncryptedStream(stack, 'Counts');
    sink.grantWrite(app);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: logicalId(app.role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['kinesis:PutRecords']),
            Resource: { 'Fn::GetAtt': [logicalId(sink.stream), 'Arn'] },
          }),
        ]),
      },
    });
    // The application is created after its grants, so that it never starts without them.
    const [created] = Object.values(template.findResources('AWS::KinesisAnalyticsV2::Application'));
    expect(created.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^AnalyticsRoleGrantsPolicy/)]));
    expectCompliant(stack);
  });
});

describe.each(ENV_MATRIX)('compliance (%s stack)', (_name, newStack) => {
  test('default props: zero findings', () => {
    const stack = newStack();
    build({}, stack);
    expect(() => expectCompliant(stack)).not.toThrow();
  });

  test('fully featured, in an IsolatedVpc with enhanced fan-out: zero findings', () => {
    const stack = newStack();
    const network = new IsolatedVpc(stack, 'Network', {
      interfaceEndpoints: [
        ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
        ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
        ec2.InterfaceVpcEndpointAwsService.KMS,
      ],
      gatewayEndpoints: [ec2.GatewayVpcEndpointAwsService.S3],
    });
    const stream = new EncryptedStream(stack, 'Telemetry', { shardCount: 2 });
    build(
      {
        stream,
        enhancedFanOutConsumer: stream.addConsumer('truck-counts'),
        runtime: StreamAnalyticsRuntime.FLINK_1_20,
        parallelism: 2,
        parallelismPerKpu: 2,
        checkpointInterval: Duration.seconds(30),
        propertyGroups: { 'kinesis.analytics.flink.run.options': { python: 'main.py' } },
        vpc: network.vpc,
      },
      stack,
    );
    expect(() => expectCompliant(stack)).not.toThrow();
  });
});

describe('numeric limits', () => {
  test.each([
    ['parallelism', 0, 'must be an integer between 1 and 9,007,199,254,740,991, got 0'],
    ['parallelism', 1.5, 'must be an integer between 1 and 9,007,199,254,740,991, got 1.5'],
    ['parallelism', NaN, 'must be an integer between 1 and 9,007,199,254,740,991, got NaN'],
    ['parallelism', Infinity, 'must be an integer between 1 and 9,007,199,254,740,991, got Infinity'],
    ['parallelismPerKpu', 0, 'must be an integer between 1 and 8, got 0'],
    ['parallelismPerKpu', 9, 'must be an integer between 1 and 8, got 9'],
    ['parallelismPerKpu', 2.5, 'must be an integer between 1 and 8, got 2.5'],
    ['cpuUtilizationAlarmThreshold', 0, 'must be a finite number at least 1 and at most 100, got 0'],
    ['heapMemoryUtilizationAlarmThreshold', 101, 'must be a finite number at least 1 and at most 100, got 101'],
    ['heapMemoryUtilizationAlarmThreshold', NaN, 'must be a finite number at least 1 and at most 100, got NaN'],
  ])('%s %p is refused', (prop, value, rule) => {
    expect(buildError({ [prop]: value })).toBe(`[Stack/Analytics] ${prop} ${rule}`);
  });

  test.each([
    [
      'checkpointInterval',
      Duration.millis(9),
      'must be between 10 millis and 1 day, in whole milliseconds, got 9 millis',
    ],
    ['checkpointInterval', Duration.days(2), 'must be between 10 millis and 1 day, in whole milliseconds, got 2 days'],
    [
      'checkpointInterval',
      Duration.millis(10.5),
      'must be between 10 millis and 1 day, in whole milliseconds, got 10.5 millis',
    ],
    [
      'minPauseBetweenCheckpoints',
      Duration.days(1.5),
      'must be between 0 millis and 1 day, in whole milliseconds, got 1 day 12 hours',
    ],
    [
      'millisBehindLatestAlarmThreshold',
      Duration.millis(999),
      'must be between 1 second and 365 days, in whole milliseconds, got 999 millis',
    ],
  ])('%s %s is refused', (prop, value, rule) => {
    expect(buildError({ [prop]: value })).toBe(`[Stack/Analytics] ${prop} ${rule}`);
  });

  test('limits are inclusive', () => {
    build({
      checkpointInterval: Duration.millis(10),
      minPauseBetweenCheckpoints: Duration.millis(0),
      parallelismPerKpu: 8,
    });
    build({
      checkpointInterval: Duration.days(1),
      cpuUtilizationAlarmThreshold: 100,
      heapMemoryUtilizationAlarmThreshold: 1,
    });
  });

  test('deploy-time values pass through; a deploy-time duration must be in milliseconds', () => {
    const { stack } = build({
      parallelism: deployTimeNumber(6),
      parallelismPerKpu: deployTimeNumber(3),
      checkpointInterval: Duration.millis(deployTimeNumber(45_000)),
    });
    expect(application(stack).Properties.ApplicationConfiguration.FlinkApplicationConfiguration).toMatchObject({
      CheckpointConfiguration: { CheckpointInterval: 45_000 },
      ParallelismConfiguration: { Parallelism: 6, ParallelismPerKPU: 3 },
    });
    expect(buildError({ checkpointInterval: Duration.seconds(deployTimeNumber(45)) })).toMatch(
      /^\[Stack\/Analytics\] checkpointInterval must be written in milliseconds when known only at deploy time \(Duration\.millis\(\.\.\.\)\): the template takes milliseconds, got a deploy-time Duration/,
    );
  });

  test('more than 64 KPUs is a warning, not an error (the quota can be raised)', () => {
    const { stack } = build({ parallelism: 130, parallelismPerKpu: 2 });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Analytics',
      Match.stringLikeRegexp('parallelism 130 at 2 per KPU needs 65 KPUs, more than the default quota of 64'),
    );
  });

  test('checkpoint settings without checkpointing are a warning', () => {
    const { stack } = build({ checkpointingEnabled: false, checkpointInterval: Duration.seconds(10) });
    expect(
      application(stack).Properties.ApplicationConfiguration.FlinkApplicationConfiguration.CheckpointConfiguration
        .CheckpointingEnabled,
    ).toBe(false);
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Analytics',
      Match.stringLikeRegexp('have no effect with checkpointingEnabled false'),
    );
  });
});

describe('other input', () => {
  test.each([
    ['applicationName', '', 'must be 1 to 128 letters, digits, underscores, hyphens and periods, got ""'],
    [
      'applicationName',
      'truck counts',
      'must be 1 to 128 letters, digits, underscores, hyphens and periods, got "truck counts"',
    ],
    [
      'applicationName',
      'a'.repeat(129),
      `must be 1 to 128 letters, digits, underscores, hyphens and periods, got "${'a'.repeat(129)}"`,
    ],
    [
      'logLevel',
      'info',
      'must be one of StreamAnalyticsLogLevel.ERROR, StreamAnalyticsLogLevel.WARN, StreamAnalyticsLogLevel.INFO or StreamAnalyticsLogLevel.DEBUG, got "info"',
    ],
    [
      'metricsLevel',
      'JOB',
      'must be one of StreamAnalyticsMetricsLevel.APPLICATION, StreamAnalyticsMetricsLevel.OPERATOR, StreamAnalyticsMetricsLevel.TASK or StreamAnalyticsMetricsLevel.PARALLELISM, got "JOB"',
    ],
    ['autoScalingEnabled', 'false', 'must be true or false, got "false"'],
    [
      'removalPolicy',
      RemovalPolicy.SNAPSHOT,
      'must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot Managed Service for Apache Flink applications, log groups and KMS keys, got "RemovalPolicy.SNAPSHOT"',
    ],
  ])('%s %p is refused', (prop, value, rule) => {
    expect(buildError({ [prop]: value })).toBe(`[Stack/Analytics] ${prop} ${rule}`);
  });

  test('two applications with one name are refused', () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Telemetry');
    const code = StreamAnalyticsCode.fromAsset(TEST_CODE_DIR);
    new StreamAnalytics(stack, 'One', { stream, code, applicationName: 'truck-counts' });
    expect(() => new StreamAnalytics(stack, 'Two', { stream, code, applicationName: 'truck-counts' })).toThrow(
      /truck-counts/,
    );
  });

  test.each([
    [
      { InputStream: { a: 'b' } },
      'propertyGroups must not use the group id InputStream: the construct fills it with the stream\'s ARN, name and Region, got "InputStream"',
    ],
    [
      { 'bad id': { a: 'b' } },
      'propertyGroups group ids must be 1 to 50 letters, digits, underscores, periods and hyphens, got "bad id"',
    ],
    [{ app: { key: '' } }, 'propertyGroups.app.key must be a string of 1 to 2,048 characters, got ""'],
    [{ app: { key: 42 } }, 'propertyGroups.app.key must be a string of 1 to 2,048 characters, got 42'],
    [
      { app: { key: 'v'.repeat(2049) } },
      `propertyGroups.app.key must be a string of 1 to 2,048 characters, got "${'v'.repeat(2049)}"`,
    ],
    [{ app: 'main.py' }, 'propertyGroups.app must be a map of property names to string values, got "main.py"'],
    [
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`g${i}`, { a: 'b' }])),
      'propertyGroups must have at most 49 groups (the application takes 50, and InputStream is the construct\'s), got "50 groups"',
    ],
    [
      { app: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) },
      'propertyGroups.app must have at most 50 properties, got "51 properties"',
    ],
  ])('property groups %#: refused', (propertyGroups, rule) => {
    expect(buildError({ propertyGroups })).toBe(`[Stack/Analytics] ${rule}`);
  });

  test('network props need a VPC, and public subnets are refused', () => {
    const stack = strictStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }],
    });
    expect(buildError({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } })).toBe(
      '[Stack/Analytics] vpcSubnets may be set only with vpc, got {"subnetType":"Isolated"}',
    );
    expect(buildError({ vpc }, stack)).toBe(
      '[Stack/Analytics] vpc must have private or isolated subnets (the application is never placed in public subnets), got "Stack/Vpc"',
    );
    expect(buildError({ vpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } }, strictStack())).toMatch(
      /^\[Stack\/Analytics\] vpcSubnets must select private subnets only/,
    );
  });

  test('security groups: 1 to 5', () => {
    const stack = strictStack();
    const network = new IsolatedVpc(stack, 'Network');
    const groups = Array.from({ length: 6 }, (_, i) => new ec2.SecurityGroup(stack, `Group${i}`, { vpc: network.vpc }));
    expect(buildError({ vpc: network.vpc, securityGroups: groups }, stack)).toBe(
      '[Stack/Analytics] securityGroups must hold 1 to 5 security groups, got "6 security groups"',
    );
    expect(buildError({ vpc: network.vpc, securityGroups: [] }, strictStack())).toBe(
      '[Stack/Analytics] securityGroups must hold 1 to 5 security groups, got "0 security groups"',
    );
  });

  test('props that are not an object are refused', () => {
    expect(() => new StreamAnalytics(strictStack(), 'Analytics', undefined as any)).toThrow(
      '[Stack/Analytics] props must give at least stream and code, got undefined',
    );
  });
});
