import { Duration, Lazy, Size, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { logicalId, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { EncryptedStream, EncryptedStreamEncryption } from '../src/encrypted-stream';
import { StreamToS3, StreamToS3Compression } from '../src/stream-to-s3';

/** The fully featured variant of the snapshot: provisioned, two consumers, a KCL application, delivered to S3. */
function telemetry(stack: Stack) {
  const stream = new EncryptedStream(stack, 'Positions', { shardCount: 4, retentionPeriod: Duration.days(7) });
  const dashboard = stream.addConsumer('dashboard');
  const alerts = stream.addConsumer('geofence-alerts');
  const dashboardRole = new iam.Role(stack, 'DashboardRole', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
  });
  const worker = new iam.Role(stack, 'AggregatorRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  const kcl = stream.addKclApplication('position-aggregator', worker);
  dashboard.grantConsume(dashboardRole);
  // The dashboard role is the test's own: CDK's grant gives it an inline policy.
  for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
    Validations.of(dashboardRole).acknowledge({ id: `${pack}-IAMNoInlinePolicy`, reason: "the test's reader role" });
  }
  const archive = new StreamToS3(stack, 'Archive', { stream, bufferingInterval: Duration.seconds(60) });
  return { stream, dashboard, alerts, dashboardRole, worker, kcl, archive };
}

describe('EncryptedStream defaults', () => {
  const stack = strictStack();
  const stream = new EncryptedStream(stack, 'Positions');
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
    const stream = new EncryptedStream(stack, 'Positions', {
      shardCount: 3,
      retentionPeriod: Duration.hours(48),
      encryptionKey: key,
      streamName: 'positions',
    });
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
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Positions', { encryption: EncryptedStreamEncryption.AWS_MANAGED });
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
    new EncryptedStream(stack, 'Positions', { iteratorAgeAlarmThreshold: Duration.minutes(30), alarmTopic });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GetRecords.IteratorAgeMilliseconds',
      Threshold: 1_800_000,
      AlarmActions: [{ Ref: logicalId(alarmTopic) }],
    });
  });

  const grants: Array<[string, (s: EncryptedStream, r: iam.IGrantable) => void, string[], string[]]> = [
    [
      'grantWrite',
      (s, r) => s.grantWrite(r),
      ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:ListShards', 'kinesis:DescribeStreamSummary'],
      ['kms:GenerateDataKey'],
    ],
    [
      'grantRead',
      (s, r) => s.grantRead(r),
      [
        'kinesis:GetShardIterator',
        'kinesis:GetRecords',
        'kinesis:ListShards',
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
      ],
      ['kms:Decrypt'],
    ],
  ];
  test.each(grants)(
    '%s: exact actions on this stream and its key, no wildcard',
    (_name, grant, actions, keyActions) => {
      const stack = strictStack();
      const stream = new EncryptedStream(stack, 'Positions');
      const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
      grant(stream, role);
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
});

describe('EncryptedStream metrics', () => {
  test.each([
    ['metricIncomingBytes', 'IncomingBytes'],
    ['metricIncomingRecords', 'IncomingRecords'],
    ['metricGetRecordsIteratorAgeMilliseconds', 'GetRecords.IteratorAgeMilliseconds'],
    ['metricWriteProvisionedThroughputExceeded', 'WriteProvisionedThroughputExceeded'],
    ['metricReadProvisionedThroughputExceeded', 'ReadProvisionedThroughputExceeded'],
    ['metricPutRecordsFailedRecords', 'PutRecords.FailedRecords'],
    ['metricPutRecordsThrottledRecords', 'PutRecords.ThrottledRecords'],
  ] as const)("%s is the stream's %s", (method, metricName) => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Positions');
    const metric = stream[method]({ statistic: 'Maximum' });
    expect(metric.namespace).toBe('AWS/Kinesis');
    expect(metric.metricName).toBe(metricName);
    expect(stack.resolve(metric.dimensions)).toEqual({ StreamName: { Ref: logicalId(stream.stream) } });
    expect(metric.statistic).toBe('Maximum');
  });
});

describe('EncryptedStream provisioned, two consumers, a KCL application, delivered to S3', () => {
  const stack = strictStack();
  const t = telemetry(stack);
  const template = Template.fromStack(stack);

  test('each consumer is an enhanced fan-out consumer of the stream', () => {
    for (const name of ['dashboard', 'geofence-alerts']) {
      template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
        ConsumerName: name,
        StreamARN: { 'Fn::GetAtt': [logicalId(t.stream.stream), 'Arn'] },
      });
    }
    expect(t.stream.enhancedFanOutConsumers).toEqual([t.dashboard, t.alerts]);
  });

  test('grantConsume: subscribe to that consumer only, describe the stream, decrypt', () => {
    const policy = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policy).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(
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

  test('the KCL lease table is named after the application: on-demand, PITR, encrypted, deletion-protected, backed up daily', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'position-aggregator',
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
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

  test('the delivery stream reads the stream and writes under the prefixes, buffering as asked', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: { 'Fn::GetAtt': [logicalId(t.stream.stream), 'Arn'] } },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
        CompressionFormat: 'GZIP',
      }),
    });
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('StreamToS3 defaults', () => {
  const stack = strictStack();
  const delivery = new StreamToS3(stack, 'Telemetry');
  const template = Template.fromStack(stack);
  const bucket = delivery.bucket as s3.Bucket;

  test('creates its own EncryptedStream', () => {
    expect(delivery.stream).toBeInstanceOf(EncryptedStream);
    expect(delivery.stream.node.path).toBe('Stack/Telemetry/Stream');
  });

  test('the bucket: customer-managed key, Block Public Access, versioned, noncurrent versions expire, access logs', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
            BucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 } })],
      },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logicalId(delivery.accessLogBucket!) },
        LogFilePrefix: 'delivery-bucket/',
      },
    });
  });

  test('both buckets deny requests without TLS', () => {
    for (const b of [bucket, delivery.accessLogBucket!]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logicalId(b) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  test('delivery: 300 s / 5 MiB buffering, GZIP, date-partitioned data, errors by type, encrypted with the bucket key, logged', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: {
        BucketARN: { 'Fn::GetAtt': [logicalId(bucket), 'Arn'] },
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 5 },
        CompressionFormat: 'GZIP',
        Prefix: 'data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
        ErrorOutputPrefix:
          'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: Match.anyValue() } },
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: Match.anyValue(), LogStreamName: Match.anyValue() },
        RoleARN: { 'Fn::GetAtt': [logicalId(delivery.deliveryRole), 'Arn'] },
      },
    });
  });

  test('the delivery log group is encrypted and kept a year', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 365,
    });
  });

  test('the delivery role trusts Firehose for this account only and has no inline policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'firehose.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'sts:ExternalId': '123456789012' } },
          },
        ],
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('alarms on data freshness (2 x interval + 5 min), failed deliveries and throttled reads', () => {
    const expected: Array<[string, string, number, string]> = [
      ['DeliveryToS3.DataFreshness', 'Maximum', 900, 'GreaterThanThreshold'],
      ['DeliveryToS3.Success', 'Minimum', 1, 'LessThanThreshold'],
      ['ThrottledGetRecords', 'Sum', 0, 'GreaterThanThreshold'],
    ];
    for (const [metricName, statistic, threshold, comparison] of expected) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Firehose',
        MetricName: metricName,
        Statistic: statistic,
        Threshold: threshold,
        ComparisonOperator: comparison,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('DecouplingPatternsAlarmTopic') }],
      });
    }
    expect(delivery.alarms).toHaveLength(3);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('StreamToS3 props', () => {
  test('a given bucket, buffering, compression and prefixes are used; the policy names those prefixes', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'LakeKey', { enableKeyRotation: true });
    const lake = new s3.Bucket(stack, 'Lake', { encryptionKey: key, encryption: s3.BucketEncryption.KMS });
    const delivery = new StreamToS3(stack, 'Telemetry', {
      bucket: lake,
      bufferingInterval: Duration.seconds(0),
      bufferingSize: Size.mebibytes(64),
      compression: StreamToS3Compression.SNAPPY,
      dataOutputPrefix: 'positions/!{timestamp:yyyy-MM-dd}/',
      errorOutputPrefix: 'failed/!{firehose:error-output-type}/',
    });
    expect(delivery.bucket).toBe(lake);
    expect(delivery.accessLogBucket).toBeUndefined();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: 0, SizeInMBs: 64 },
        CompressionFormat: 'Snappy',
        Prefix: 'positions/!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'failed/!{firehose:error-output-type}/',
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [logicalId(key), 'Arn'] } } },
      }),
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
            Resource: [
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(lake), 'Arn'] }, '/positions/*']] },
              { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(lake), 'Arn'] }, '/failed/*']] },
            ],
          },
        ]),
      },
    });
    // Data freshness at 2 x 0 s + 5 min.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveryToS3.DataFreshness',
      Threshold: 300,
    });
  });
});

describe('EncryptedStream and StreamToS3 reject bad input at synth', () => {
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
      /^\[Stack\/S\] shardCount must be an integer between 1 and .*, got 0$/,
    ],
    [
      'shardCount not an integer',
      (stack) => new EncryptedStream(stack, 'S', { shardCount: 1.5 }),
      /^\[Stack\/S\] shardCount must be an integer between 1 and .*, got 1.5$/,
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
      'an invalid stream name',
      (stack) => new EncryptedStream(stack, 'S', { streamName: 'positions stream' }),
      /^\[Stack\/S\] streamName must be 1 to 128 letters, digits, hyphens, underscores and periods, got "positions stream"$/,
    ],
    [
      'an invalid consumer name',
      (stack) => new EncryptedStream(stack, 'S').addConsumer('dash board'),
      /^\[Stack\/S\/Consumer1\] consumerName must be 1 to 128 letters.*, got "dash board"$/,
    ],
    [
      'an invalid KCL application name',
      (stack) =>
        new EncryptedStream(stack, 'S').addKclApplication(
          'ab',
          new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }),
        ),
      /^\[Stack\/S\/KclApplication1\] applicationName must be 3 to 255 letters.*, got "ab"$/,
    ],
    [
      'a buffering interval over 900 s',
      (stack) => new StreamToS3(stack, 'D', { bufferingInterval: Duration.seconds(901) }),
      /^\[Stack\/D\] bufferingInterval must be between 0 seconds and 15 minutes, got 15 minutes 1 second$/,
    ],
    [
      'a buffering size over 128 MiB',
      (stack) => new StreamToS3(stack, 'D', { bufferingSize: Size.mebibytes(129) }),
      /^\[Stack\/D\] bufferingSize must be a whole number of MiB between 1 and 128, got "135266304 bytes"$/,
    ],
    [
      'a buffering size under 1 MiB',
      (stack) => new StreamToS3(stack, 'D', { bufferingSize: Size.kibibytes(512) }),
      /^\[Stack\/D\] bufferingSize must be a whole number of MiB between 1 and 128, got "524288 bytes"$/,
    ],
    [
      'an error prefix without the error-output type when the data prefix uses expressions',
      (stack) =>
        new StreamToS3(stack, 'D', { dataOutputPrefix: 'data/!{timestamp:yyyy}/', errorOutputPrefix: 'errors/' }),
      /^\[Stack\/D\] errorOutputPrefix must contain !\{firehose:error-output-type\} when dataOutputPrefix uses expressions \(a Firehose rule\), got "errors\/"$/,
    ],
    [
      'the error-output type in the data prefix',
      (stack) => new StreamToS3(stack, 'D', { dataOutputPrefix: 'data/!{firehose:error-output-type}/' }),
      /^\[Stack\/D\] dataOutputPrefix may use only !\{timestamp:<format>\} and !\{firehose:random-string\} expressions/,
    ],
    [
      'an unknown expression',
      (stack) => new StreamToS3(stack, 'D', { dataOutputPrefix: 'data/!{partitionKeyFromQuery:truck}/' }),
      /Firehose rejects "!\{partitionKeyFromQuery:truck\}"/,
    ],
    [
      'a prefix starting with /',
      (stack) => new StreamToS3(stack, 'D', { dataOutputPrefix: '/data/' }),
      /^\[Stack\/D\] dataOutputPrefix must not start with "\/"/,
    ],
  ];

  test.each(cases)('%s', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });

  test('values given as tokens are not validated at synth', () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'S', {
      streamName: Lazy.string({ produce: () => 'positions' }),
      shardCount: Lazy.number({ produce: () => 2 }),
    });
    new StreamToS3(stack, 'D', {
      stream,
      dataOutputPrefix: Lazy.string({ produce: () => 'data/' }),
      errorOutputPrefix: Lazy.string({ produce: () => 'errors/' }),
    });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});
