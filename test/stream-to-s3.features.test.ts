import { CfnParameter, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { findingsAddedBy, userFunction } from './queue-processing-function.fixtures';
import { pagerTopic } from '../harness/alarm-topic';
import { ENV_MATRIX, logicalId, strictStack, testRole } from '../harness/app';
import { complianceFindings, expectCompliant } from '../harness/compliance';
import { EncryptedStream } from '../src/encrypted-stream';
import {
  StreamToS3,
  StreamToS3Compression,
  StreamToS3Props,
  StreamToS3Schema,
  StreamToS3Source,
} from '../src/stream-to-s3';

// The features of StreamToS3 beyond a stream delivered as it is: direct PUT, a Lambda processor, dynamic
// partitioning and record format conversion, with the rules Firehose documents for each, checked at synth.

const IMPORTED_FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:enrich';

function archive(props: StreamToS3Props = {}, stack = strictStack()) {
  return { stack, delivery: new StreamToS3(stack, 'Archive', props) };
}

/** The statements of the delivery role's one customer-managed policy. */
function deliveryStatements(stack: Stack, delivery: StreamToS3): any[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', {
    Properties: { Roles: [{ Ref: logicalId(delivery.deliveryRole) }] },
  });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function destination(stack: Stack): any {
  const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::KinesisFirehose::DeliveryStream'));
  return (resource as any).Properties.ExtendedS3DestinationConfiguration;
}

const TRUCK_COLUMNS = [
  { name: 'truck_id', dataType: 'string', comment: 'The truck that reported' },
  { name: 'seq', dataType: 'bigint' },
  { name: 'position', dataType: 'struct<lat:double,lon:double>' },
  { name: 'reported_at', dataType: 'timestamp' },
];

describe('StreamToS3 with direct PUT, defaults', () => {
  const { stack, delivery } = archive({ source: StreamToS3Source.DIRECT_PUT });
  const template = Template.fromStack(stack);

  test('a DirectPut delivery stream, encrypted with a new customer-managed key with rotation, and no stream', () => {
    const key = delivery.deliveryStreamEncryptionKey as kms.Key;
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      KinesisStreamSourceConfiguration: Match.absent(),
      DeliveryStreamEncryptionConfigurationInput: {
        KeyType: 'CUSTOMER_MANAGED_CMK',
        KeyARN: { 'Fn::GetAtt': [logicalId(key), 'Arn'] },
      },
    });
    expect(template.toJSON().Resources[logicalId(key)]).toMatchObject({
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
    });
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    expect(delivery.source).toBe(StreamToS3Source.DIRECT_PUT);
    expect(delivery.sourceStream).toBeUndefined();
  });

  test('the delivery role may not read any stream; its description says it only writes', () => {
    const actions = deliveryStatements(stack, delivery).flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a.startsWith('kinesis:'))).toEqual([]);
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: 'Writes the bucket for Stack/Archive',
    });
  });

  test("alarms on freshness, failed deliveries and producers' throttled records; none on stream reads", () => {
    expect(delivery.alarms).toEqual([
      delivery.dataFreshnessAlarm,
      delivery.deliveryFailedAlarm,
      delivery.throttledRecordsAlarm,
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Firehose',
      MetricName: 'ThrottledRecords',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const metrics = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a: any) => a.Properties.MetricName,
    );
    expect(metrics).not.toContain('ThrottledGetRecords');
  });

  test('stream and readThrottledAlarm belong to the Kinesis source: reading them says why', () => {
    expect(() => delivery.stream).toThrow(
      /^\[Stack\/Archive\] stream is available only with source KINESIS_STREAM: with direct PUT there is no stream \(sourceStream is undefined; producers are granted with grantPutRecords\), got "source DIRECT_PUT"$/,
    );
    expect(() => delivery.readThrottledAlarm).toThrow(
      /^\[Stack\/Archive\] readThrottledAlarm is available only with source KINESIS_STREAM: with direct PUT, throttledRecordsAlarm watches throttling, got "source DIRECT_PUT"$/,
    );
  });

  test('passes the five compliance packs: AwsSolutions-KDF1 is met (the delivery stream is encrypted), not acknowledged', () => {
    expectCompliant(stack);
    // Only the Kinesis-sourced delivery stream, which Firehose refuses to encrypt, acknowledges KDF1: an unencrypted
    // direct-PUT delivery stream is reported (see "unencrypted on purpose" below).
    expect(JSON.stringify(stack.resolve(delivery.node.defaultChild!.node.metadata))).not.toContain('KDF1');
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('StreamToS3 grantPutRecords', () => {
  test('lets a producer PutRecord and PutRecordBatch on this delivery stream only (aws-cdk-lib DeliveryStreamGrants)', () => {
    const { stack, delivery } = archive({ source: StreamToS3Source.DIRECT_PUT });
    const producer = testRole(stack, 'Producer');
    const grant = delivery.grantPutRecords(producer);
    expect(grant.success).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(producer) }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
            Resource: { 'Fn::GetAtt': [logicalId(delivery), 'Arn'] },
          },
        ],
      },
    });
    expectCompliant(stack);
  });

  test('is refused when a Kinesis stream is the source, naming what to grant instead', () => {
    const { stack, delivery } = archive();
    const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.AccountRootPrincipal() });
    expect(() => delivery.grantPutRecords(producer)).toThrow(
      /^\[Stack\/Archive\] grantPutRecords grantee may be granted only with source DIRECT_PUT: this delivery stream reads a Kinesis stream, and Firehose refuses PutRecord on it; grant the producer the stream instead \(stream.grantWrite\(...\)\), got "Stack\/Producer"$/,
    );
  });

  test('refuses something that is not a grantee', () => {
    const { delivery } = archive({ source: StreamToS3Source.DIRECT_PUT });
    expect(() => delivery.grantPutRecords('arn:aws:iam::123456789012:role/producer' as any)).toThrow(
      /^\[Stack\/Archive\] grantPutRecords grantee must be an iam.IGrantable/,
    );
  });
});

describe('StreamToS3 direct PUT encryption choices', () => {
  test('the AWS-owned key: no key of ours', () => {
    const { stack, delivery } = archive({
      source: StreamToS3Source.DIRECT_PUT,
      deliveryStreamEncryption: firehose.StreamEncryption.awsOwnedKey(),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK', KeyARN: Match.absent() },
    });
    expect(delivery.deliveryStreamEncryptionKey).toBeUndefined();
    expectCompliant(stack);
  });

  test('a key of yours is used as it is; nothing is added to its policy or granted to the role', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'RecordsKey', { enableKeyRotation: true });
    const { delivery } = archive(
      {
        source: StreamToS3Source.DIRECT_PUT,
        deliveryStreamEncryption: firehose.StreamEncryption.customerManagedKey(key),
      },
      stack,
    );
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: {
        KeyType: 'CUSTOMER_MANAGED_CMK',
        KeyARN: { 'Fn::GetAtt': [logicalId(key), 'Arn'] },
      },
    });
    expect(delivery.deliveryStreamEncryptionKey).toBe(key);
    expect(template.toJSON().Resources[logicalId(key)].Properties.KeyPolicy.Statement).toHaveLength(1);
    const keyArn = { 'Fn::GetAtt': [logicalId(key), 'Arn'] };
    expect(
      deliveryStatements(stack, delivery).filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyArn)),
    ).toEqual([]);
    expectCompliant(stack);
  });

  test('unencrypted on purpose: no configuration, a warning, and AwsSolutions-KDF1 is left to report it', () => {
    const { stack } = archive({
      source: StreamToS3Source.DIRECT_PUT,
      deliveryStreamEncryption: firehose.StreamEncryption.unencrypted(),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: Match.absent(),
    });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Archive',
      Match.stringLikeRegexp('holds records unencrypted until they reach S3'),
    );
    expect(complianceFindings(stack).map((f) => f.rule)).toEqual(['AwsSolutions-KDF1']);
  });

  test('unencrypted with a Kinesis source is what Firehose does anyway: accepted', () => {
    const { stack } = archive({ deliveryStreamEncryption: firehose.StreamEncryption.unencrypted() });
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      DeliveryStreamEncryptionConfigurationInput: Match.absent(),
    });
  });
});

describe('StreamToS3 with a Lambda processor', () => {
  function withProcessor(fnProps: Partial<lambda.FunctionProps> = {}, props: StreamToS3Props = {}) {
    const stack = strictStack();
    const fn = userFunction(stack, 'Enrich', fnProps);
    const { delivery } = archive({ source: StreamToS3Source.DIRECT_PUT, processor: fn, ...props }, stack);
    return { stack, fn, delivery };
  }

  test('Firehose invokes it with the delivery role, buffering 60 s / 1 MiB by default', () => {
    const { stack, fn, delivery } = withProcessor();
    expect(destination(stack).ProcessingConfiguration).toEqual({
      Enabled: true,
      Processors: [
        {
          Type: 'Lambda',
          Parameters: [
            { ParameterName: 'LambdaArn', ParameterValue: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] } },
            { ParameterName: 'RoleArn', ParameterValue: { 'Fn::GetAtt': [logicalId(delivery.deliveryRole), 'Arn'] } },
            { ParameterName: 'BufferIntervalInSeconds', ParameterValue: '60' },
            { ParameterName: 'BufferSizeInMBs', ParameterValue: '1' },
          ],
        },
      ],
    });
  });

  test('buffering below 1 MiB, as Firehose allows (0.2 to 3 MiB)', () => {
    const { stack } = withProcessor(
      {},
      { processorBufferingInterval: Duration.seconds(0), processorBufferingSize: Size.kibibytes(256) },
    );
    const parameters = destination(stack).ProcessingConfiguration.Processors[0].Parameters;
    expect(parameters.slice(2)).toEqual([
      { ParameterName: 'BufferIntervalInSeconds', ParameterValue: '0' },
      { ParameterName: 'BufferSizeInMBs', ParameterValue: '0.25' },
    ]);
  });

  test('the delivery role may invoke exactly this function (and read its configuration)', () => {
    const { stack, fn, delivery } = withProcessor();
    expect(deliveryStatements(stack, delivery)).toContainEqual({
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
      Resource: { 'Fn::GetAtt': [logicalId(fn), 'Arn'] },
    });
  });

  test("alarms on failed invocations and on invocations near the function's timeout", () => {
    const { stack, delivery } = withProcessor({ timeout: Duration.seconds(30) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecuteProcessing.Success',
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecuteProcessing.Duration',
      Statistic: 'Maximum',
      Threshold: 24_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(delivery.alarms).toEqual(
      expect.arrayContaining([delivery.processingFailedAlarm, delivery.processingDurationAlarm]),
    );
    expect(delivery.processor).toBeDefined();
  });

  test('a timeout over the 5 minutes Firehose waits gets a warning, and the duration alarm uses the 5 minutes', () => {
    const { stack } = withProcessor({ timeout: Duration.minutes(10) });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Archive',
      Match.stringLikeRegexp('longer than the 5 minutes Firehose waits'),
    );
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecuteProcessing.Duration',
      Threshold: 240_000,
    });
  });

  test('an imported function: its timeout is unknown, so the alarm uses the 5 minutes; no warning', () => {
    const stack = strictStack();
    archive(
      {
        source: StreamToS3Source.DIRECT_PUT,
        processor: lambda.Function.fromFunctionArn(stack, 'Enrich', IMPORTED_FUNCTION),
      },
      stack,
    );
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecuteProcessing.Duration',
      Threshold: 240_000,
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    expectCompliant(stack);
  });

  test("nothing is added to the function's own role, and the construct adds no compliance finding to the app", () => {
    const build = (withConstruct: boolean) => {
      const stack = strictStack();
      const fn = userFunction(stack, 'Enrich');
      if (withConstruct) {
        archive({ source: StreamToS3Source.DIRECT_PUT, processor: fn }, stack);
      }
      return stack;
    };
    expect(findingsAddedBy(build)).toEqual([]);
    const template = Template.fromStack(build(true)).toJSON();
    const fnRole = Object.entries(template.Resources).find(
      ([, r]: [string, any]) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r).includes('lambda.amazonaws.com'),
    )![0];
    const policiesOfFnRole = Object.values(template.Resources).filter(
      (r: any) =>
        ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type) &&
        JSON.stringify(r.Properties.Roles ?? []).includes(fnRole),
    );
    expect(policiesOfFnRole).toEqual([]);
  });
});

describe('StreamToS3 with dynamic partitioning', () => {
  test('by a record field: a folder per key ahead of the date, 128 MiB buffering, jq 1.6 inline parsing', () => {
    const { stack, delivery } = archive({
      source: StreamToS3Source.DIRECT_PUT,
      dynamicPartitionKeys: { truck: '.truckId' },
    });
    expect(destination(stack)).toMatchObject({
      Prefix:
        'data/truck=!{partitionKeyFromQuery:truck}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/',
      ErrorOutputPrefix:
        'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
      BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
      DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'MetadataExtraction',
            Parameters: [
              { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{"truck":.truckId}' },
              { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
            ],
          },
        ],
      },
    });
    // The policy grants the part of the prefix before its first expression.
    const bucketArn = { 'Fn::GetAtt': [logicalId(delivery.bucket), 'Arn'] };
    expect(deliveryStatements(stack, delivery)).toContainEqual({
      Effect: 'Allow',
      Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
      Resource: [{ 'Fn::Join': ['', [bucketArn, '/data/truck=*']] }, { 'Fn::Join': ['', [bucketArn, '/errors/*']] }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'PartitionCountExceeded',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(delivery.partitionCountExceededAlarm).toBeDefined();
    expectCompliant(stack);
  });

  test('a prefix of your own with two keys, a retry duration and 64 MiB / 60 s buffering', () => {
    const { stack } = archive({
      dynamicPartitionKeys: { fleet: '.fleet', truck: '.truck.id' },
      dataOutputPrefix:
        'positions/fleet=!{partitionKeyFromQuery:fleet}/truck=!{partitionKeyFromQuery:truck}/!{timestamp:yyyy-MM-dd}/',
      dynamicPartitioningRetryDuration: Duration.minutes(10),
      bufferingSize: Size.mebibytes(64),
      bufferingInterval: Duration.seconds(60),
    });
    expect(destination(stack)).toMatchObject({
      BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
      DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 600 } },
    });
    expect(destination(stack).ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue).toBe(
      '{"fleet":.fleet,"truck":.truck.id}',
    );
    expectCompliant(stack);
  });

  test('by keys the processor returns (!{partitionKeyFromLambda:...}): the Lambda processor alone', () => {
    const stack = strictStack();
    archive(
      {
        source: StreamToS3Source.DIRECT_PUT,
        processor: lambda.Function.fromFunctionArn(stack, 'Enrich', IMPORTED_FUNCTION),
        dataOutputPrefix: 'by-customer/!{partitionKeyFromLambda:customer}/',
      },
      stack,
    );
    expect(destination(stack)).toMatchObject({
      DynamicPartitioningConfiguration: { Enabled: true },
      BufferingHints: { SizeInMBs: 128 },
    });
    expect(destination(stack).ProcessingConfiguration.Processors.map((p: any) => p.Type)).toEqual(['Lambda']);
  });
});

describe('StreamToS3 with record format conversion', () => {
  test('to Parquet with a table it creates from columns: database, table, schema and permissions', () => {
    const { stack, delivery } = archive({
      source: StreamToS3Source.DIRECT_PUT,
      outputFormat: firehose.OutputFormat.PARQUET,
      schema: StreamToS3Schema.fromColumns(TRUCK_COLUMNS),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: '123456789012',
      DatabaseInput: { Name: Match.stringLikeRegexp('^stack_archive_[a-z0-9_]+$') },
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      CatalogId: '123456789012',
      DatabaseName: { Ref: Match.stringLikeRegexp('SchemaDatabase') },
      TableInput: {
        Name: Match.stringLikeRegexp('^stack_archive_[a-z0-9_]+$'),
        TableType: 'EXTERNAL_TABLE',
        Parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
        StorageDescriptor: {
          Columns: [
            { Name: 'truck_id', Type: 'string', Comment: 'The truck that reported' },
            { Name: 'seq', Type: 'bigint' },
            { Name: 'position', Type: 'struct<lat:double,lon:double>' },
            { Name: 'reported_at', Type: 'timestamp' },
          ],
          Location: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('Bucket') }, '/data/']] },
          InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    expect(destination(stack)).toMatchObject({
      CompressionFormat: 'UNCOMPRESSED',
      BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
      DataFormatConversionConfiguration: {
        Enabled: true,
        InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
        OutputFormatConfiguration: { Serializer: { ParquetSerDe: {} } },
        SchemaConfiguration: {
          RoleARN: { 'Fn::GetAtt': [logicalId(delivery.deliveryRole), 'Arn'] },
          DatabaseName: { Ref: expect.stringMatching(/SchemaDatabase/) },
          TableName: delivery.schemaTableName,
          VersionId: 'LATEST',
        },
      },
    });
    const glue = deliveryStatements(stack, delivery).find((s) => [s.Action].flat().includes('glue:GetTable'));
    expect(glue.Action).toEqual(['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions']);
    expect(glue.Resource).toHaveLength(3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FailedConversion.Records',
      Statistic: 'Sum',
      Threshold: 0,
    });
    // The delivery stream waits for the table: Firehose reads its schema when the stream is created.
    const resource = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'))[0] as any;
    expect(resource.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/SchemaTable/)]));
    for (const type of ['AWS::Glue::Database', 'AWS::Glue::Table']) {
      for (const r of Object.values(template.findResources(type))) {
        expect(r).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    }
    expectCompliant(stack);
  });

  test('to ORC compressed with ZLIB, from a table of yours in another region and catalog', () => {
    const { stack, delivery } = archive({
      outputFormat: new firehose.OrcOutputFormat({ compression: firehose.OrcCompression.ZLIB }),
      inputFormat: firehose.InputFormat.HIVE_JSON,
      schema: StreamToS3Schema.fromGlueTable({
        databaseName: 'telemetry',
        tableName: 'positions',
        catalogId: '210987654321',
        region: 'eu-west-1',
        versionId: '7',
      }),
      bufferingSize: Size.mebibytes(64),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Glue::Database', 0);
    template.resourceCountIs('AWS::Glue::Table', 0);
    expect(destination(stack).DataFormatConversionConfiguration).toMatchObject({
      InputFormatConfiguration: { Deserializer: { HiveJsonSerDe: {} } },
      OutputFormatConfiguration: { Serializer: { OrcSerDe: { Compression: 'ZLIB' } } },
      SchemaConfiguration: {
        CatalogId: '210987654321',
        Region: 'eu-west-1',
        DatabaseName: 'telemetry',
        TableName: 'positions',
        VersionId: '7',
      },
    });
    const glue = deliveryStatements(stack, delivery).find((s) => [s.Action].flat().includes('glue:GetTable'));
    expect(glue.Resource).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:eu-west-1:210987654321:catalog']] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:eu-west-1:210987654321:database/telemetry']] },
      {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:eu-west-1:210987654321:table/telemetry/positions']],
      },
    ]);
    expect(delivery.schemaDatabaseName).toBe('telemetry');
    expect(delivery.schemaTableName).toBe('positions');
  });

  test('a table created in a database you name, with the table name you give', () => {
    const { stack } = archive({
      outputFormat: firehose.OutputFormat.ORC,
      schema: StreamToS3Schema.fromColumns(TRUCK_COLUMNS, { databaseName: 'telemetry', tableName: 'positions' }),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Glue::Database', 0);
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'telemetry',
      TableInput: { Name: 'positions', Parameters: { classification: 'orc' } },
    });
  });
});

describe('StreamToS3 refuses what Firehose would refuse, at synth', () => {
  const parquet = { outputFormat: firehose.OutputFormat.PARQUET, schema: StreamToS3Schema.fromColumns(TRUCK_COLUMNS) };
  const cases: Array<[string, (stack: Stack) => StreamToS3Props, RegExp]> = [
    [
      'a stream with direct PUT',
      (stack) => ({ source: StreamToS3Source.DIRECT_PUT, stream: new EncryptedStream(stack, 'Positions') }),
      /^\[Stack\/D\] stream may be given only with source KINESIS_STREAM \(the source is DIRECT_PUT: producers write to the delivery stream; omit stream, or omit source\), got "the stream Stack\/Positions"$/,
    ],
    [
      'a source that is not a StreamToS3Source',
      () => ({ source: 'DirectPUT' as StreamToS3Source }),
      /^\[Stack\/D\] source must be one of StreamToS3Source.KINESIS_STREAM or StreamToS3Source.DIRECT_PUT, got "DirectPUT"$/,
    ],
    [
      'server-side encryption with a Kinesis source',
      () => ({ deliveryStreamEncryption: firehose.StreamEncryption.awsOwnedKey() }),
      /^\[Stack\/D\] deliveryStreamEncryption may be set only with source DIRECT_PUT: .*, got "StreamEncryption.awsOwnedKey\(\)"$/,
    ],
    [
      'an encryption that is not a StreamEncryption',
      () => ({ source: StreamToS3Source.DIRECT_PUT, deliveryStreamEncryption: 'KMS' as any }),
      /^\[Stack\/D\] deliveryStreamEncryption must be one of firehose.StreamEncryption.customerManagedKey\(...\), .*, got "KMS"$/,
    ],
    [
      'a function ARN where a function is expected',
      () => ({ processor: IMPORTED_FUNCTION as any }),
      /^\[Stack\/D\] processor must be a lambda.IFunction, got "arn:aws:lambda:/,
    ],
    [
      'a processor buffer over 3 MiB',
      (stack) => ({
        processor: lambda.Function.fromFunctionArn(stack, 'F', IMPORTED_FUNCTION),
        processorBufferingSize: Size.mebibytes(4),
      }),
      /^\[Stack\/D\] processorBufferingSize must be between 0.2 and 3 MiB \(the payload of one invocation\), got Size.mebibytes\(4\)$/,
    ],
    [
      'a processor buffer under 0.2 MiB',
      (stack) => ({
        processor: lambda.Function.fromFunctionArn(stack, 'F', IMPORTED_FUNCTION),
        processorBufferingSize: Size.kibibytes(200),
      }),
      /^\[Stack\/D\] processorBufferingSize must be between 0.2 and 3 MiB .*, got Size.kibibytes\(200\)$/,
    ],
    [
      'a processor buffering interval over 900 s',
      (stack) => ({
        processor: lambda.Function.fromFunctionArn(stack, 'F', IMPORTED_FUNCTION),
        processorBufferingInterval: Duration.minutes(16),
      }),
      /^\[Stack\/D\] processorBufferingInterval must be between 0 seconds and 15 minutes, got 16 minutes$/,
    ],
    [
      'processor buffering without a processor',
      () => ({ processorBufferingSize: Size.mebibytes(2) }),
      /^\[Stack\/D\] processorBufferingSize may be set only with a processor: give processor too, or omit it, got Size.mebibytes\(2\)$/,
    ],
    [
      'a deploy-time processor buffer in KiB (Firehose takes MiB)',
      (stack) => ({
        processor: lambda.Function.fromFunctionArn(stack, 'F', IMPORTED_FUNCTION),
        processorBufferingSize: Size.kibibytes(new CfnParameter(stack, 'KiB', { type: 'Number' }).valueAsNumber),
      }),
      /^\[Stack\/D\] processorBufferingSize must be written as Size.mebibytes\(...\) .*, got Size.kibibytes\(a deploy-time value \{"Ref":"KiB"\}\)$/,
    ],
    [
      'dynamic partitioning with a 5 MiB buffer',
      () => ({ dynamicPartitionKeys: { truck: '.truckId' }, bufferingSize: Size.mebibytes(5) }),
      /^\[Stack\/D\] bufferingSize must be a whole number of MiB between 64 and 128 with dynamic partitioning \(Firehose's minimum for it\), got Size.mebibytes\(5\)$/,
    ],
    [
      'dynamic partitioning with zero buffering',
      () => ({ dynamicPartitionKeys: { truck: '.truckId' }, bufferingInterval: Duration.seconds(0) }),
      /^\[Stack\/D\] bufferingInterval must be at least 1 minute with dynamic partitioning \(Firehose offers no zero or short buffering for it\), got 0 seconds$/,
    ],
    [
      'record format conversion with a 32 MiB buffer',
      () => ({ ...parquet, bufferingSize: Size.mebibytes(32) }),
      /^\[Stack\/D\] bufferingSize must be a whole number of MiB between 64 and 128 with record format conversion/,
    ],
    [
      'a partition key the prefix does not use',
      () => ({
        dynamicPartitionKeys: { truck: '.truckId', fleet: '.fleet' },
        dataOutputPrefix: 'positions/!{partitionKeyFromQuery:truck}/',
      }),
      /^\[Stack\/D\] dataOutputPrefix must use every key of dynamicPartitionKeys as !\{partitionKeyFromQuery:<key>\} \(a Firehose rule\); missing: "fleet", got "positions\/!\{partitionKeyFromQuery:truck\}\/"$/,
    ],
    [
      'a prefix key that dynamicPartitionKeys does not define',
      () => ({
        dynamicPartitionKeys: { truck: '.truckId' },
        dataOutputPrefix: 'p/!{partitionKeyFromQuery:truck}/!{partitionKeyFromQuery:driver}/',
      }),
      /^\[Stack\/D\] dataOutputPrefix may use only keys of dynamicPartitionKeys in !\{partitionKeyFromQuery:...\} \("driver" is not one of "truck"\)/,
    ],
    [
      'Lambda partition keys without a processor',
      () => ({ dataOutputPrefix: 'p/!{partitionKeyFromLambda:customer}/' }),
      /^\[Stack\/D\] dataOutputPrefix may use !\{partitionKeyFromLambda:...\} only with a processor/,
    ],
    [
      'a partition key in the error prefix',
      () => ({
        dynamicPartitionKeys: { truck: '.truckId' },
        errorOutputPrefix: 'failed/!{firehose:error-output-type}/!{partitionKeyFromQuery:truck}/',
      }),
      /^\[Stack\/D\] errorOutputPrefix may use only !\{timestamp:<format>\} and !\{firehose:random-string\} and !\{firehose:error-output-type\} expressions \(Firehose rejects "!\{partitionKeyFromQuery:truck\}"\)/,
    ],
    [
      'no partition keys at all',
      () => ({ dynamicPartitionKeys: {} }),
      /^\[Stack\/D\] dynamicPartitionKeys must name at least one partition key \(omit it for no dynamic partitioning\), got \{\}$/,
    ],
    [
      'a partition key name with a brace',
      () => ({ dynamicPartitionKeys: { 'truck}': '.truckId' } }),
      /^\[Stack\/D\] dynamicPartitionKeys key must be a name without "\{", "\}", ":" or whitespace .*, got "truck\}"$/,
    ],
    [
      'a partition key without a query',
      () => ({ dynamicPartitionKeys: { truck: ' ' } }),
      /^\[Stack\/D\] dynamicPartitionKeys "truck" must be a jq expression, e.g. ".truckId", got " "$/,
    ],
    [
      'a query over 5,120 characters',
      () => ({ dynamicPartitionKeys: { truck: `.${'a'.repeat(5200)}` } }),
      /^\[Stack\/D\] dynamicPartitionKeys must make a query of at most 5,120 characters/,
    ],
    [
      'a retry duration without dynamic partitioning',
      () => ({ dynamicPartitioningRetryDuration: Duration.minutes(1) }),
      /^\[Stack\/D\] dynamicPartitioningRetryDuration may be set only with dynamic partitioning/,
    ],
    [
      'a retry duration over 2 hours',
      () => ({ dynamicPartitionKeys: { truck: '.truckId' }, dynamicPartitioningRetryDuration: Duration.seconds(7201) }),
      /^\[Stack\/D\] dynamicPartitioningRetryDuration must be between 0 seconds and 2 hours, got 2 hours 1 second$/,
    ],
    [
      'GZIP on S3 with record format conversion',
      () => ({ ...parquet, compression: StreamToS3Compression.GZIP }),
      /^\[Stack\/D\] compression must be StreamToS3Compression.UNCOMPRESSED \(or omitted\) with record format conversion: the Parquet serializer compresses; set it in the output format \(e.g. new firehose.ParquetOutputFormat\(\{ compression: firehose.ParquetCompression.GZIP \}\)\), got "StreamToS3Compression.GZIP"$/,
    ],
    [
      'a Parquet compression Firehose does not know',
      () => ({
        ...parquet,
        outputFormat: new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.of('ZSTD') }),
      }),
      /^\[Stack\/D\] outputFormat compression must be "UNCOMPRESSED", "GZIP" or "SNAPPY" for Parquet \(ParquetSerDe, Firehose API reference\), got "ZSTD"$/,
    ],
    [
      "an ORC compression that is Parquet's",
      () => ({
        ...parquet,
        outputFormat: new firehose.OrcOutputFormat({ compression: firehose.OrcCompression.of('GZIP') }),
      }),
      /^\[Stack\/D\] outputFormat compression must be "NONE", "ZLIB" or "SNAPPY" for ORC/,
    ],
    [
      'an output format that is not one',
      () => ({ ...parquet, outputFormat: 'PARQUET' as any }),
      /^\[Stack\/D\] outputFormat must be a firehose.IOutputFormat/,
    ],
    [
      'an output format without a schema',
      () => ({ outputFormat: firehose.OutputFormat.PARQUET }),
      /^\[Stack\/D\] schema is required with outputFormat/,
    ],
    [
      'a schema without an output format',
      () => ({ schema: StreamToS3Schema.fromColumns(TRUCK_COLUMNS) }),
      /^\[Stack\/D\] schema may be set only with record format conversion: give outputFormat \(Parquet or ORC\) too, or omit it, got "a StreamToS3Schema"$/,
    ],
    [
      'an input format without an output format',
      () => ({ inputFormat: firehose.InputFormat.HIVE_JSON }),
      /^\[Stack\/D\] inputFormat may be set only with record format conversion/,
    ],
    [
      'no columns',
      () => ({ ...parquet, schema: StreamToS3Schema.fromColumns([]) }),
      /^\[Stack\/D\] schema columns must list at least one column, got \[\]$/,
    ],
    [
      'an uppercase column name',
      () => ({ ...parquet, schema: StreamToS3Schema.fromColumns([{ name: 'TruckId', dataType: 'string' }]) }),
      /^\[Stack\/D\] schema columns\[0\] name must be 1 to 255 bytes, lowercase, without whitespace \(Glue and Athena naming rules\), got "TruckId"$/,
    ],
    [
      'a dotted column name with the Hive deserializer',
      () => ({
        ...parquet,
        inputFormat: firehose.InputFormat.HIVE_JSON,
        schema: StreamToS3Schema.fromColumns([{ name: 'truck.id', dataType: 'string' }]),
      }),
      /^\[Stack\/D\] schema columns\[0\] name must be .* or "\." \(the Hive JSON SerDe does not take dots in column names\)/,
    ],
    [
      'a column twice',
      () => ({
        ...parquet,
        schema: StreamToS3Schema.fromColumns([
          { name: 'a', dataType: 'string' },
          { name: 'a', dataType: 'int' },
        ]),
      }),
      /^\[Stack\/D\] schema columns\[1\] name must be unique among the columns, got "a"$/,
    ],
    [
      'a type Hive does not know',
      () => ({ ...parquet, schema: StreamToS3Schema.fromColumns([{ name: 'a', dataType: 'text' }]) }),
      /^\[Stack\/D\] schema columns\[0\] dataType must be a Hive type \("text" is not a Hive type\), got "text"$/,
    ],
    [
      'a decimal precision over 38',
      () => ({ ...parquet, schema: StreamToS3Schema.fromColumns([{ name: 'a', dataType: 'decimal(39,2)' }]) }),
      /decimal precision must be between 1 and 38, got 39/,
    ],
    [
      'a map keyed by a struct',
      () => ({
        ...parquet,
        schema: StreamToS3Schema.fromColumns([{ name: 'a', dataType: 'map<struct<b:int>,string>' }]),
      }),
      /a map key must be a primitive type/,
    ],
    [
      'an unterminated array',
      () => ({ ...parquet, schema: StreamToS3Schema.fromColumns([{ name: 'a', dataType: 'array<string' }]) }),
      /">" expected at position 13/,
    ],
    [
      'a table name with whitespace',
      () => ({
        ...parquet,
        schema: StreamToS3Schema.fromGlueTable({ databaseName: 'telemetry', tableName: 'truck positions' }),
      }),
      /^\[Stack\/D\] schema glueTable tableName must be 1 to 1,024 characters without whitespace \(SchemaConfiguration\), got "truck positions"$/,
    ],
    [
      'a table without a database',
      () => ({ ...parquet, schema: StreamToS3Schema.fromGlueTable({ tableName: 'positions' } as any) }),
      /^\[Stack\/D\] schema glueTable databaseName must be 1 to 1,024 characters/,
    ],
    [
      'a schema that is not a StreamToS3Schema',
      () => ({ ...parquet, schema: { databaseName: 'telemetry', tableName: 'positions' } as any }),
      /^\[Stack\/D\] schema must be StreamToS3Schema.fromGlueTable\(...\) or StreamToS3Schema.fromColumns\(...\)/,
    ],
  ];

  test.each(cases)('%s', (_name, props, message) => {
    const stack = strictStack();
    expect(() => new StreamToS3(stack, 'D', props(stack))).toThrow(message);
  });
});

describe('StreamToS3 takes deploy-time values in the new props where Firehose does', () => {
  test('processor buffering in seconds and MiB, a partition query and table names as parameters pass through', () => {
    const stack = strictStack();
    const seconds = new CfnParameter(stack, 'Seconds', { type: 'Number', default: 30 }).valueAsNumber;
    const mib = new CfnParameter(stack, 'MiB', { type: 'Number', default: 2 }).valueAsNumber;
    const query = new CfnParameter(stack, 'Query', { default: '.truckId' }).valueAsString;
    const table = new CfnParameter(stack, 'Table', { default: 'positions' }).valueAsString;
    archive(
      {
        source: StreamToS3Source.DIRECT_PUT,
        processor: lambda.Function.fromFunctionArn(stack, 'Enrich', IMPORTED_FUNCTION),
        processorBufferingInterval: Duration.seconds(seconds),
        processorBufferingSize: Size.mebibytes(mib),
        dynamicPartitionKeys: { truck: query },
        outputFormat: firehose.OutputFormat.PARQUET,
        schema: StreamToS3Schema.fromGlueTable({ databaseName: 'telemetry', tableName: table }),
      },
      stack,
    );
    const config = destination(stack);
    const resolved = JSON.stringify(config);
    expect(resolved).toContain('{"Ref":"Seconds"}');
    expect(resolved).toContain('{"Ref":"MiB"}');
    expect(resolved).toContain('{"Ref":"Query"}');
    expect(config.DataFormatConversionConfiguration.SchemaConfiguration.TableName).toEqual({ Ref: 'Table' });
  });
});

/** Every new feature at once, from producers that write directly. */
function everyDirectPutFeature(stack: Stack, processor: lambda.IFunction): StreamToS3 {
  return new StreamToS3(stack, 'Archive', {
    source: StreamToS3Source.DIRECT_PUT,
    deliveryStreamEncryption: firehose.StreamEncryption.customerManagedKey(
      new kms.Key(stack, 'RecordsKey', { enableKeyRotation: true }),
    ),
    processor,
    processorBufferingInterval: Duration.seconds(30),
    processorBufferingSize: Size.mebibytes(2),
    dynamicPartitionKeys: { truck: '.truckId' },
    dynamicPartitioningRetryDuration: Duration.minutes(10),
    outputFormat: new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.GZIP }),
    inputFormat: firehose.InputFormat.OPENX_JSON,
    schema: StreamToS3Schema.fromColumns(TRUCK_COLUMNS),
    bufferingInterval: Duration.seconds(120),
    bufferingSize: Size.mebibytes(64),
    alarmTopic: pagerTopic(stack),
    removalPolicy: RemovalPolicy.DESTROY,
  });
}

describe.each(ENV_MATRIX)('StreamToS3 with every new feature synthesizes clean %s', (_env, makeStack) => {
  test('direct PUT, processor, dynamic partitioning, Parquet from columns: zero findings, no unused mapping', () => {
    const stack = makeStack();
    const delivery = everyDirectPutFeature(stack, lambda.Function.fromFunctionArn(stack, 'Enrich', IMPORTED_FUNCTION));
    delivery.grantPutRecords(testRole(stack, 'Producer'));
    expect(Template.fromStack(stack).toJSON().Mappings).toBeUndefined();
    expect(delivery.alarms).toHaveLength(7);
    expectCompliant(stack);
  });

  test('from a Kinesis stream, with a processor, Lambda partition keys and ORC from a table of yours', () => {
    const stack = makeStack();
    new StreamToS3(stack, 'Archive', {
      stream: new EncryptedStream(stack, 'Positions'),
      processor: lambda.Function.fromFunctionArn(stack, 'Enrich', IMPORTED_FUNCTION),
      dataOutputPrefix: 'by-customer/!{partitionKeyFromLambda:customer}/!{timestamp:yyyy-MM-dd}/',
      outputFormat: firehose.OutputFormat.ORC,
      schema: StreamToS3Schema.fromGlueTable({ databaseName: 'telemetry', tableName: 'positions' }),
      alarmTopic: pagerTopic(stack),
    });
    expectCompliant(stack);
  });
});

describe('StreamToS3 with every new feature', () => {
  test('matches the snapshot', () => {
    const stack = strictStack();
    everyDirectPutFeature(stack, lambda.Function.fromFunctionArn(stack, 'Enrich', IMPORTED_FUNCTION));
    expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
  });

  test('removalPolicy DESTROY reaches the delivery stream key and the Glue database and table', () => {
    const stack = strictStack();
    const delivery = everyDirectPutFeature(stack, lambda.Function.fromFunctionArn(stack, 'Enrich', IMPORTED_FUNCTION));
    const template = Template.fromStack(stack);
    for (const type of ['AWS::Glue::Database', 'AWS::Glue::Table']) {
      for (const r of Object.values(template.findResources(type))) {
        expect(r).toMatchObject({ DeletionPolicy: 'Delete' });
      }
    }
    // The key was given: its removal policy is the user's.
    expect(template.toJSON().Resources[logicalId(delivery.deliveryStreamEncryptionKey as kms.Key)].DeletionPolicy).toBe(
      'Retain',
    );
  });
});
