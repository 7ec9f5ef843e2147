import { CfnParameter, Duration, Lazy, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { pagerTopic } from '../harness/alarm-topic';
import { ENV_MATRIX, logicalId, strictApp, strictStack } from '../harness/app';
import { complianceFindings, expectCompliant } from '../harness/compliance';
import { EncryptedStream } from '../src/encrypted-stream';
import { StreamToS3, StreamToS3Compression, StreamToS3Props } from '../src/stream-to-s3';

/** A strict stack with one StreamToS3, `Stack/Telemetry`. */
function telemetry(props: StreamToS3Props = {}, stack = strictStack()) {
  return { stack, delivery: new StreamToS3(stack, 'Telemetry', props) };
}

/** The statements of the delivery role's one customer-managed policy. */
function deliveryStatements(stack: Stack, delivery: StreamToS3): any[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', {
    Properties: { Roles: [{ Ref: logicalId(delivery.deliveryRole) }] },
  });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** The IAM5 findings of the stack, by granular id. */
function wildcardFindings(stack: Stack): string[] {
  return complianceFindings(stack)
    .filter((f) => f.rule.startsWith('AwsSolutions-IAM5'))
    .map((f) => f.rule);
}

const OBJECT_ACTIONS = ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'];

describe('StreamToS3 defaults', () => {
  const { stack, delivery } = telemetry();
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

  test('the delivery log key lets CloudWatch Logs of this region use it, with exact actions, for log groups of this account', () => {
    const logKey = Object.values(template.findResources('AWS::KMS::Key')).find((k: any) =>
      k.Properties.Description.startsWith('Encrypts the delivery error log'),
    ) as any;
    expect(logKey.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Principal: { Service: 'logs.us-east-1.amazonaws.com' },
          Action: [
            'kms:Encrypt',
            'kms:Decrypt',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:DescribeKey',
          ],
          Resource: '*',
          Condition: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': {
                'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:*']],
              },
            },
          },
        },
      ]),
    );
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

  test("the bucket key is used only through S3 of this region, for this bucket's objects", () => {
    const kmsStatement = deliveryStatements(stack, delivery).find((s) => s.Action.includes('kms:GenerateDataKey'));
    expect(kmsStatement.Condition.StringEquals).toEqual({ 'kms:ViaService': 's3.us-east-1.amazonaws.com' });
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
        Dimensions: [{ Name: 'DeliveryStreamName', Value: { Ref: logicalId(delivery) } }],
        Statistic: statistic,
        Threshold: threshold,
        ComparisonOperator: comparison,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('DecouplingPatternsAlarmTopic') }],
      });
    }
  });

  test('alarms: its own three, and the four of the stream it created', () => {
    const stream = delivery.stream as EncryptedStream;
    expect(delivery.alarms).toEqual([
      delivery.dataFreshnessAlarm,
      delivery.deliveryFailedAlarm,
      delivery.readThrottledAlarm,
      ...stream.alarms,
    ]);
    expect(delivery.alarms).toHaveLength(7);
  });

  test('everything stateful is retained when it leaves the stack', () => {
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::KMS::Key',
      'AWS::Logs::LogGroup',
      'AWS::Logs::LogStream',
      'AWS::Kinesis::Stream',
    ]) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    }
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('StreamToS3 from an EncryptedStream with consumers and a KCL application, every feature on', () => {
  const stack = strictStack();
  const stream = new EncryptedStream(stack, 'Positions', { shardCount: 4, retentionPeriod: Duration.days(7) });
  stream.addConsumer('dashboard');
  stream.addKclApplication(
    'position-aggregator',
    new iam.Role(stack, 'AggregatorRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
  );
  const pager = pagerTopic(stack);
  const archive = new StreamToS3(stack, 'Archive', {
    stream,
    bufferingInterval: Duration.seconds(60),
    bufferingSize: Size.mebibytes(64),
    compression: StreamToS3Compression.SNAPPY,
    dataOutputPrefix: 'positions/!{timestamp:yyyy-MM-dd}/',
    errorOutputPrefix: 'failed/!{firehose:error-output-type}/',
    logRetention: logs.RetentionDays.THREE_MONTHS,
    alarmTopic: pager,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);

  test('the delivery stream reads the stream and writes under the prefixes, buffering as asked', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: { 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] } },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
        CompressionFormat: 'Snappy',
      }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  test("a given stream is used as it is; its alarms stay the stream's own", () => {
    expect(archive.stream).toBe(stream);
    expect(archive.alarms).toEqual([
      archive.dataFreshnessAlarm,
      archive.deliveryFailedAlarm,
      archive.readThrottledAlarm,
    ]);
    for (const alarm of archive.alarms) {
      expect(template.toJSON().Resources[logicalId(alarm)].Properties.AlarmActions).toEqual([
        { Ref: logicalId(pager) },
      ]);
    }
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
    const { delivery } = telemetry(
      {
        bucket: lake,
        bufferingInterval: Duration.seconds(0),
        bufferingSize: Size.mebibytes(64),
        compression: StreamToS3Compression.SNAPPY,
        dataOutputPrefix: 'positions/!{timestamp:yyyy-MM-dd}/',
        errorOutputPrefix: 'failed/!{firehose:error-output-type}/',
      },
      stack,
    );
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
            Action: OBJECT_ACTIONS,
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

  test('removalPolicy DESTROY reaches the buckets, their key, the log group, its key and stream, and the stream it creates', () => {
    const { stack, delivery } = telemetry({ removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    const stream = delivery.stream as EncryptedStream;
    for (const type of ['AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::Logs::LogStream', 'AWS::Kinesis::Stream']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const resource of resources) {
        expect(resource).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      }
    }
    const keys = Object.entries(template.findResources('AWS::KMS::Key')).filter(
      ([id]) => !id.includes('DecouplingPatternsAlarmTopic'),
    );
    expect(keys.map(([id]) => id).sort()).toEqual(
      [
        logicalId(stream.encryptionKey as kms.Key),
        logicalId(delivery.bucket.encryptionKey as kms.Key),
        logicalId(delivery.node.findChild('LogKey') as kms.Key),
      ].sort(),
    );
    for (const [, key] of keys) {
      expect(key).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    }
    expectCompliant(stack);
  });

  test('removalPolicy SNAPSHOT is refused', () => {
    expect(() => telemetry({ removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(
      /^\[Stack\/Telemetry\] removalPolicy must be .*: CloudFormation cannot snapshot S3 buckets, KMS keys, log groups, Kinesis streams and Glue tables, got "RemovalPolicy.SNAPSHOT"$/,
    );
  });

  test('metrics of the delivery stream, in AWS/Firehose by its name', () => {
    const { stack, delivery } = telemetry();
    const cases: Array<[string, () => any]> = [
      ['DeliveryToS3.DataFreshness', () => delivery.metricDeliveryToS3DataFreshness()],
      ['DeliveryToS3.Success', () => delivery.metricDeliveryToS3Success()],
      ['ThrottledGetRecords', () => delivery.metricThrottledGetRecords()],
      ['DataReadFromKinesisStream.Records', () => delivery.metric('DataReadFromKinesisStream.Records')],
    ];
    for (const [metricName, make] of cases) {
      const metric = make();
      expect(metric.namespace).toBe('AWS/Firehose');
      expect(metric.metricName).toBe(metricName);
      expect(stack.resolve(metric.dimensions)).toEqual({ DeliveryStreamName: { Ref: logicalId(delivery) } });
    }
    expect(stack.resolve(delivery.deliveryStreamName)).toEqual({ Ref: logicalId(delivery) });
    expect(stack.resolve(delivery.deliveryStreamArn)).toEqual({ 'Fn::GetAtt': [logicalId(delivery), 'Arn'] });
  });
});

describe('StreamToS3 takes any stream and any bucket', () => {
  const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/positions';

  test.each([
    ['by name', (stack: Stack) => s3.Bucket.fromBucketName(stack, 'Lake', 'telemetry-lake')],
    ['by ARN', (stack: Stack) => s3.Bucket.fromBucketArn(stack, 'Lake', 'arn:aws:s3:::telemetry-lake')],
    [
      'with its key',
      (stack: Stack) =>
        s3.Bucket.fromBucketAttributes(stack, 'Lake', {
          bucketArn: 'arn:aws:s3:::telemetry-lake',
          encryptionKey: kms.Key.fromKeyArn(
            stack,
            'LakeKey',
            'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
          ),
        }),
    ],
  ])('an imported bucket %s: synthesizes under the strict app and passes the packs', (_name, importBucket) => {
    const stack = strictStack();
    const bucket = importBucket(stack);
    const { delivery } = telemetry({ bucket }, stack);
    expect(delivery.accessLogBucket).toBeUndefined();
    const objects = deliveryStatements(stack, delivery).find((s) => s.Action.includes('s3:PutObject'));
    expect(stack.resolve(objects.Resource)).toEqual(
      stack.resolve([`${bucket.bucketArn}/data/year=*`, `${bucket.bucketArn}/errors/*`]),
    );
    const kmsStatement = deliveryStatements(stack, delivery).find((s) => s.Action.includes('kms:GenerateDataKey'));
    if (bucket.encryptionKey) {
      expect(kmsStatement.Resource).toBe(bucket.encryptionKey.keyArn);
    } else {
      expect(kmsStatement).toBeUndefined();
    }
    expectCompliant(stack);
  });

  test('a data prefix known only at deploy time is cut at its first "!" in the policy, and acknowledged as exactly that', () => {
    const stack = strictStack();
    const prefix = new CfnParameter(stack, 'DataPrefix', { default: 'archive/!{timestamp:yyyy}/' }).valueAsString;
    const { delivery } = telemetry({ dataOutputPrefix: prefix }, stack);
    const objects = deliveryStatements(stack, delivery).find((s) => s.Action.includes('s3:PutObject'));
    const bucketArn = { 'Fn::GetAtt': [logicalId(delivery.bucket as s3.Bucket), 'Arn'] };
    expect(objects.Resource).toEqual([
      {
        'Fn::Join': ['', [bucketArn, '/', { 'Fn::Select': [0, { 'Fn::Split': ['!', { Ref: 'DataPrefix' }] }] }, '*']],
      },
      { 'Fn::Join': ['', [bucketArn, '/errors/*']] },
    ]);
    expectCompliant(stack);
  });

  test('the wildcard acknowledgments name exactly the object resources: another wildcard is still reported', () => {
    const other = telemetry();
    const policy = other.delivery.node.findChild('DeliveryPolicy') as iam.ManagedPolicy;
    policy.addStatements(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [`${other.delivery.bucket.bucketArn}/elsewhere/*`],
      }),
    );
    expect(wildcardFindings(other.stack)).toEqual([
      `AwsSolutions-IAM5[Resource::<${logicalId(other.delivery.bucket as s3.Bucket)}.Arn>/elsewhere/*]`,
    ]);
  });

  test.each([
    ['without a key', undefined],
    ['with its key', 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555'],
  ])('an imported stream %s: read, and decrypted with its key when it has one', (_name, keyArn) => {
    const stack = strictStack();
    const stream = kinesis.Stream.fromStreamAttributes(stack, 'Positions', {
      streamArn: STREAM_ARN,
      encryptionKey: keyArn ? kms.Key.fromKeyArn(stack, 'PositionsKey', keyArn) : undefined,
    });
    const { delivery } = telemetry({ stream }, stack);
    expect(delivery.stream).toBe(stream);
    expect(delivery.alarms).toHaveLength(3);
    const statements = deliveryStatements(stack, delivery);
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: [
            'kinesis:GetShardIterator',
            'kinesis:GetRecords',
            'kinesis:ListShards',
            'kinesis:DescribeStream',
            'kinesis:DescribeStreamSummary',
          ],
          Resource: STREAM_ARN,
        },
      ]),
    );
    const decrypt = statements.filter((s) => s.Action === 'kms:Decrypt');
    expect(decrypt).toEqual(keyArn ? [{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn }] : []);
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      KinesisStreamSourceConfiguration: { KinesisStreamARN: STREAM_ARN },
    });
    expectCompliant(stack);
  });
});

describe('StreamToS3 synthesizes env-agnostic and with an explicit env', () => {
  test('env-agnostic: the partition-correct S3 endpoint for kms:ViaService, and no unused mapping', () => {
    const stack = new Stack(strictApp(), 'S');
    const delivery = new StreamToS3(stack, 'Telemetry');
    const template = Template.fromStack(stack).toJSON();
    expect(template.Mappings).toBeUndefined();
    const kmsStatement = deliveryStatements(stack, delivery).find((s) => s.Action.includes('kms:GenerateDataKey'));
    expect(kmsStatement.Condition.StringEquals['kms:ViaService']).toEqual({
      'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    });
    expectCompliant(stack);
  });

  test('explicit env in another partition', () => {
    const stack = new Stack(strictApp(), 'S', { env: { account: '123456789012', region: 'cn-north-1' } });
    const delivery = new StreamToS3(stack, 'Telemetry');
    const kmsStatement = deliveryStatements(stack, delivery).find((s) => s.Action.includes('kms:GenerateDataKey'));
    expect(kmsStatement.Condition.StringEquals['kms:ViaService']).toBe('s3.cn-north-1.amazonaws.com.cn');
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});

/** Every feature on: a given EncryptedStream with consumers and a KCL application, every prop set. */
function everyFeature(stack: Stack): StreamToS3 {
  const stream = new EncryptedStream(stack, 'Positions', { shardCount: 4, retentionPeriod: Duration.days(7) });
  stream.addConsumer('dashboard');
  stream.addKclApplication(
    'position-aggregator',
    new iam.Role(stack, 'AggregatorRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
  );
  const pager = pagerTopic(stack);
  return new StreamToS3(stack, 'Archive', {
    stream,
    bufferingInterval: Duration.seconds(60),
    bufferingSize: Size.mebibytes(64),
    compression: StreamToS3Compression.SNAPPY,
    dataOutputPrefix: 'positions/!{timestamp:yyyy-MM-dd}/!{firehose:random-string}/',
    errorOutputPrefix: 'failed/!{firehose:error-output-type}/!{timestamp:yyyy}/',
    logRetention: logs.RetentionDays.THREE_MONTHS,
    alarmTopic: pager,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

describe.each(ENV_MATRIX)('StreamToS3 synthesizes clean %s', (_env, makeStack) => {
  test('with default props: no unused mapping, no legacy ACL', () => {
    const stack = makeStack();
    new StreamToS3(stack, 'Telemetry');
    const template = Template.fromStack(stack).toJSON();
    expect(template.Mappings).toBeUndefined();
    expectCompliant(stack);
  });

  test('with every feature on', () => {
    const stack = makeStack();
    everyFeature(stack);
    expect(Template.fromStack(stack).toJSON().Mappings).toBeUndefined();
    expectCompliant(stack);
  });

  test('into an imported bucket, from an imported stream with its key', () => {
    const stack = makeStack();
    new StreamToS3(stack, 'Archive', {
      stream: kinesis.Stream.fromStreamAttributes(stack, 'Positions', {
        streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/positions',
        encryptionKey: kms.Key.fromKeyArn(
          stack,
          'PositionsKey',
          'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
        ),
      }),
      bucket: s3.Bucket.fromBucketName(stack, 'Lake', 'telemetry-lake'),
    });
    expectCompliant(stack);
  });
});

describe('StreamToS3 server access logs (through the bucket policy, cfn-lint W3045)', () => {
  const { stack, delivery } = telemetry();
  const template = Template.fromStack(stack);
  const bucket = delivery.bucket as s3.Bucket;
  const logBucket = delivery.accessLogBucket!;

  test('no bucket uses the legacy log-delivery ACL, whatever the feature flags say', () => {
    for (const resource of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(resource.Properties.AccessControl).toBeUndefined();
      expect(resource.Properties.OwnershipControls).toBeUndefined();
    }
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: logicalId(logBucket) }, LogFilePrefix: 'delivery-bucket/' },
    });
  });

  test("the log bucket's policy lets the logging service write under the prefix, for the delivery bucket of this account only", () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(logBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(logBucket), 'Arn'] }, '/delivery-bucket/*']] },
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(bucket), 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': '123456789012' },
            },
          },
        ]),
      },
    });
  });

  test('the logging service may use the bucket key through S3, for S3 objects only', () => {
    const key = template.toJSON().Resources[logicalId(bucket.encryptionKey as kms.Key)];
    expect(key.Properties.KeyPolicy.Statement).toContainEqual({
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
        StringLike: {
          'kms:EncryptionContext:aws:s3:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::*']] },
        },
      },
    });
  });
});

describe('StreamToS3 takes deploy-time values where Firehose does', () => {
  test('a buffering interval in seconds and a size in MiB given as parameters pass through', () => {
    const stack = strictStack();
    const seconds = new CfnParameter(stack, 'Interval', { type: 'Number', default: 60 }).valueAsNumber;
    const mib = new CfnParameter(stack, 'Size', { type: 'Number', default: 8 }).valueAsNumber;
    telemetry({ bufferingInterval: Duration.seconds(seconds), bufferingSize: Size.mebibytes(mib) }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: { Ref: 'Interval' }, SizeInMBs: { Ref: 'Size' } },
      }),
    });
  });
});

describe('StreamToS3 rejects bad input at synth', () => {
  const cases: Array<[string, (stack: Stack) => void, RegExp]> = [
    [
      'a buffering interval over 900 s',
      (stack) => new StreamToS3(stack, 'D', { bufferingInterval: Duration.seconds(901) }),
      /^\[Stack\/D\] bufferingInterval must be between 0 seconds and 15 minutes, got 15 minutes 1 second$/,
    ],
    [
      'a buffering size over 128 MiB',
      (stack) => new StreamToS3(stack, 'D', { bufferingSize: Size.mebibytes(129) }),
      /^\[Stack\/D\] bufferingSize must be a whole number of MiB between 1 and 128, got Size\.mebibytes\(129\)$/,
    ],
    [
      'a buffering size under 1 MiB',
      (stack) => new StreamToS3(stack, 'D', { bufferingSize: Size.kibibytes(512) }),
      /^\[Stack\/D\] bufferingSize must be a whole number of MiB between 1 and 128, got Size\.kibibytes\(512\)$/,
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
      /^\[Stack\/D\] dataOutputPrefix may use !\{partitionKeyFromQuery:\.\.\.\} only with dynamic partitioning: give "truck" and the jq expression that reads it in dynamicPartitionKeys, got "data\/!\{partitionKeyFromQuery:truck\}\/"$/,
    ],
    [
      'a buffering interval of NaN seconds',
      (stack) => new StreamToS3(stack, 'D', { bufferingInterval: Duration.seconds(NaN) }),
      /^\[Stack\/D\] bufferingInterval must be between 0 seconds and 15 minutes, got Duration.seconds\(NaN\)$/,
    ],
    [
      'a buffering interval that is not whole seconds',
      (stack) => new StreamToS3(stack, 'D', { bufferingInterval: Duration.millis(1500) }),
      /^\[Stack\/D\] bufferingInterval must be a whole number of seconds between 0 seconds and 15 minutes, got 1 second 500 millis$/,
    ],
    [
      'a deploy-time buffering interval in minutes (Firehose takes seconds)',
      (stack) =>
        new StreamToS3(stack, 'D', {
          bufferingInterval: Duration.minutes(new CfnParameter(stack, 'Minutes', { type: 'Number' }).valueAsNumber),
        }),
      /^\[Stack\/D\] bufferingInterval must be written as Duration.seconds\(...\) when its amount is known only at deploy time \(Firehose takes IntervalInSeconds\), got Duration.minutes\(a deploy-time value \{"Ref":"Minutes"\}\)$/,
    ],
    [
      'a buffering size of Infinity',
      (stack) => new StreamToS3(stack, 'D', { bufferingSize: Size.mebibytes(Infinity) }),
      /^\[Stack\/D\] bufferingSize must be a whole number of MiB between 1 and 128, got Size.mebibytes\(Infinity\)$/,
    ],
    [
      'a buffering size of NaN',
      (stack) => new StreamToS3(stack, 'D', { bufferingSize: Size.gibibytes(NaN) }),
      /^\[Stack\/D\] bufferingSize must be a whole number of MiB between 1 and 128, got Size.gibibytes\(NaN\)$/,
    ],
    [
      'a deploy-time buffering size in KiB (Firehose takes MiB)',
      (stack) =>
        new StreamToS3(stack, 'D', {
          bufferingSize: Size.kibibytes(new CfnParameter(stack, 'KiB', { type: 'Number' }).valueAsNumber),
        }),
      /^\[Stack\/D\] bufferingSize must be written as Size.mebibytes\(...\) when its amount is known only at deploy time \(Firehose takes SizeInMBs\), got Size.kibibytes\(a deploy-time value \{"Ref":"KiB"\}\)$/,
    ],
    [
      'a compression string that is not a StreamToS3Compression',
      (stack) => new StreamToS3(stack, 'D', { compression: 'gzip' as StreamToS3Compression }),
      /^\[Stack\/D\] compression must be one of StreamToS3Compression.GZIP, StreamToS3Compression.ZIP, StreamToS3Compression.SNAPPY, StreamToS3Compression.HADOOP_SNAPPY or StreamToS3Compression.UNCOMPRESSED, got "gzip"$/,
    ],
    [
      'a log retention that is not a RetentionDays',
      (stack) => new StreamToS3(stack, 'D', { logRetention: 2 as logs.RetentionDays }),
      /^\[Stack\/D\] logRetention must be one of logs.RetentionDays \(1, 3, 5, 7, 14, .*, 3653 days, or INFINITE\), got 2$/,
    ],
    [
      'an error prefix with an expression but without the error-output type',
      (stack) =>
        new StreamToS3(stack, 'D', { dataOutputPrefix: 'data/', errorOutputPrefix: 'errors/!{timestamp:yyyy}/' }),
      /^\[Stack\/D\] errorOutputPrefix must contain !\{firehose:error-output-type\} when it uses expressions \(a Firehose rule\), got "errors\/!\{timestamp:yyyy\}\/"$/,
    ],
    [
      'a timestamp pattern Java does not know',
      (stack) => new StreamToS3(stack, 'D', { dataOutputPrefix: 'data/!{timestamp:bbbb}/' }),
      /^\[Stack\/D\] dataOutputPrefix may use only .* expressions \(Firehose rejects "!\{timestamp:bbbb\}"\), got "data\/!\{timestamp:bbbb\}\/"$/,
    ],
    [
      'an unterminated expression',
      (stack) => new StreamToS3(stack, 'D', { dataOutputPrefix: 'data/!{timestamp:yyyy' }),
      /Firehose rejects "!\{timestamp:yyyy"\), got "data\/!\{timestamp:yyyy"$/,
    ],
    [
      'a prefix over 1,024 characters',
      (stack) => new StreamToS3(stack, 'D', { dataOutputPrefix: 'a'.repeat(1025) }),
      /^\[Stack\/D\] dataOutputPrefix must be at most 1,024 characters, got "a{1025}"$/,
    ],
    [
      'a prefix over 512 characters once evaluated (with the timestamp Firehose appends)',
      (stack) => new StreamToS3(stack, 'D', { dataOutputPrefix: `${'a'.repeat(499)}/` }),
      /^\[Stack\/D\] dataOutputPrefix must be at most 512 characters once Firehose has evaluated it \(at least 514 here, with the timestamp Firehose appends to a prefix without one\), got "a{499}\/"$/,
    ],
    [
      'a stream ARN given where a stream is expected',
      (stack) => new StreamToS3(stack, 'D', { stream: 'arn:aws:kinesis:us-east-1:123456789012:stream/x' as any }),
      /^\[Stack\/D\] stream must be a kinesis.IStream, got "arn:aws:kinesis:us-east-1:123456789012:stream\/x"$/,
    ],
    [
      'a bucket name given where a bucket is expected',
      (stack) => new StreamToS3(stack, 'D', { bucket: 'telemetry-lake' as any }),
      /^\[Stack\/D\] bucket must be an s3.IBucket, got "telemetry-lake"$/,
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
