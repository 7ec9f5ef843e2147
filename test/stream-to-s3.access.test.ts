import { CfnParameter } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { userFunction } from './queue-processing-function.fixtures';
import {
  AccessRequest,
  bucketPolicyFor,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  resolveIntrinsics,
} from '../harness/access';
import { logicalId, strictStack } from '../harness/app';
import { EncryptedStream } from '../src/encrypted-stream';
import { StreamToS3, StreamToS3Schema, StreamToS3Source } from '../src/stream-to-s3';

// Access proofs: the synthesized identity, bucket and key policies of a stream delivered to S3, evaluated offline.
const ACCOUNT = '123456789012';
const SELF_GRANTED = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }];
const OTHER_STREAM = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/someone-elses`;

async function fixture() {
  const stack = strictStack();
  const stream = new EncryptedStream(stack, 'Positions');
  const dashboard = stream.addConsumer('dashboard');
  const reader = new iam.Role(stack, 'Reader', { roleName: 'Reader', assumedBy: new iam.AccountRootPrincipal() });
  dashboard.grantConsume(reader);
  const lambdaReader = new iam.Role(stack, 'LambdaReader', {
    roleName: 'LambdaReader',
    assumedBy: new iam.AccountRootPrincipal(),
  });
  dashboard.grantRead(lambdaReader);
  const worker = new iam.Role(stack, 'Worker', { roleName: 'Worker', assumedBy: new iam.AccountRootPrincipal() });
  const kcl = stream.addKclApplication('position-aggregator', worker);
  const delivery = new StreamToS3(stack, 'Archive', { stream });

  const template = Template.fromStack(stack).toJSON();
  const getAtt = (construct: IConstruct, attribute = 'Arn') =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), attribute] }, template);
  const bucket = delivery.bucket as s3.Bucket;
  const role = async (construct: iam.Role, name: string) => ({
    arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    policies: await identityPoliciesFor(template, logicalId(construct)),
  });
  return {
    streamArn: await getAtt(stream.stream),
    streamKey: {
      arn: await getAtt(stream.encryptionKey!),
      policy: await keyPolicyFor(template, logicalId(stream.encryptionKey!)),
    },
    bucketArn: await getAtt(bucket),
    bucketPolicy: await bucketPolicyFor(template, logicalId(bucket)),
    logBucketArn: await getAtt(delivery.accessLogBucket!),
    logBucketPolicy: await bucketPolicyFor(template, logicalId(delivery.accessLogBucket!)),
    bucketKey: {
      arn: await getAtt(bucket.encryptionKey as kms.Key),
      policy: await keyPolicyFor(template, logicalId(bucket.encryptionKey as kms.Key)),
    },
    consumerArn: await getAtt(dashboard.consumer, 'ConsumerARN'),
    tableArn: await getAtt(kcl.leaseTable),
    // The delivery role's name is generated; the simulator only needs an ARN in this account.
    delivery: {
      arn: `arn:aws:iam::${ACCOUNT}:role/DeliveryRole`,
      policies: await identityPoliciesFor(template, logicalId(delivery.deliveryRole)),
    },
    reader: await role(reader, 'Reader'),
    lambdaReader: await role(lambdaReader, 'LambdaReader'),
    worker: await role(worker, 'Worker'),
  };
}

/** A copy of the policies with one condition key removed wherever it appears. */
function withoutConditionKey(policies: object[], key: string): object[] {
  const copy = JSON.parse(JSON.stringify(policies));
  for (const policy of copy) {
    for (const statement of [policy.Statement].flat()) {
      for (const operator of Object.keys(statement.Condition ?? {})) {
        delete statement.Condition[operator][key];
        if (Object.keys(statement.Condition[operator]).length === 0) {
          delete statement.Condition[operator];
        }
      }
    }
  }
  return copy;
}

let f: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  f = await fixture();
});

function as(
  role: { arn: string; policies: object[] },
  action: string,
  resource: string,
  extra: Partial<AccessRequest> = {},
): AccessRequest {
  return { principal: role.arn, action, resource, identityPolicies: role.policies, ...extra };
}

describe('the Firehose delivery role', () => {
  test.each(['kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards', 'kinesis:DescribeStream'])(
    'may %s on its stream',
    async (action) => {
      await expectAllowed(as(f.delivery, action, f.streamArn));
    },
  );

  test("may decrypt records with the stream's key", async () => {
    await expectAllowed(as(f.delivery, 'kms:Decrypt', f.streamKey.arn, { resourcePolicy: f.streamKey.policy }));
  });

  test.each([
    ['a data object', 'data/year=2026/month=11/day=24/hour=13/Archive-1-2026-11-24-13-00-00-abc.gz'],
    ['an error object', 'errors/processing-failed/year=2026/month=11/day=24/Archive-1.gz'],
  ])('may write %s under its prefix', async (_name, key) => {
    await expectAllowed(as(f.delivery, 's3:PutObject', `${f.bucketArn}/${key}`, { resourcePolicy: f.bucketPolicy }));
  });

  // iam-simulate does not evaluate kms:EncryptionContext:* keys, so these two requests run against the
  // delivery policies without that one condition; the unit tests assert what it names (the bucket and
  // the two prefixes).
  const withoutEncryptionContext = () => withoutConditionKey(f.delivery.policies, 'kms:EncryptionContext:aws:s3:arn');

  test("may encrypt objects with the bucket's key through S3", async () => {
    await expectAllowed({
      ...as(f.delivery, 'kms:GenerateDataKey', f.bucketKey.arn, { resourcePolicy: f.bucketKey.policy }),
      identityPolicies: withoutEncryptionContext(),
      context: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
    });
  });

  test("may not use the bucket's key outside S3", async () => {
    await expectDenied({
      ...as(f.delivery, 'kms:GenerateDataKey', f.bucketKey.arn, { resourcePolicy: f.bucketKey.policy }),
      identityPolicies: withoutEncryptionContext(),
      context: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' },
    });
  });

  test.each([
    ['read another stream', 'kinesis:GetRecords', () => OTHER_STREAM],
    ['write to its stream', 'kinesis:PutRecord', () => f.streamArn],
    ['write outside its prefixes', 's3:PutObject', () => `${f.bucketArn}/elsewhere/object.gz`],
    ['write to another bucket', 's3:PutObject', () => 'arn:aws:s3:::someone-elses-bucket/data/object.gz'],
    ['delete objects', 's3:DeleteObject', () => `${f.bucketArn}/data/year=2026/object.gz`],
    ['read the lease table', 'dynamodb:GetItem', () => f.tableArn],
  ])('may not %s', async (_name, action, resource) => {
    await expectDenied(
      as(f.delivery, action, resource(), { resourcePolicy: action.startsWith('s3') ? f.bucketPolicy : undefined }),
    );
  });
});

describe('the access-log bucket (server access logs through its policy, not the legacy ACL)', () => {
  const logging = (sourceArn: () => string, key = 'delivery-bucket/2026-11-24-13-00-00-ABCDEF') =>
    ({
      principal: 'logging.s3.amazonaws.com',
      action: 's3:PutObject',
      resource: `${f.logBucketArn}/${key}`,
      resourcePolicy: f.logBucketPolicy,
      context: { 'aws:SourceArn': sourceArn(), 'aws:SourceAccount': ACCOUNT },
    }) as AccessRequest;

  test("the logging service may write the delivery bucket's logs under the prefix", async () => {
    await expectAllowed(logging(() => f.bucketArn));
  });

  test.each([
    ['for another bucket', () => 'arn:aws:s3:::someone-elses-bucket', 'delivery-bucket/log'],
    ['outside the prefix', () => f.bucketArn, 'elsewhere/log'],
  ])('the logging service may not write %s', async (_name, source, key) => {
    await expectDenied(logging(source, key));
  });
});

describe('the bucket', () => {
  test('denies a request without TLS, even from the delivery role', async () => {
    const decision = await expectDenied(
      as(f.delivery, 's3:PutObject', `${f.bucketArn}/data/year=2026/object.gz`, {
        resourcePolicy: f.bucketPolicy,
        context: { 'aws:SecureTransport': 'false' },
      }),
    );
    expect(decision.result).toBe('ExplicitlyDenied');
  });

  test.each(['s3:GetObject', 's3:PutObject'])('denies %s to another account', async (action) => {
    await expectDenied({
      principal: 'arn:aws:iam::999999999999:role/Intruder',
      action,
      resource: `${f.bucketArn}/data/year=2026/object.gz`,
      resourcePolicy: f.bucketPolicy,
      identityPolicies: SELF_GRANTED,
    });
  });

  test("another account may not decrypt with the stream's key", async () => {
    await expectDenied({
      principal: 'arn:aws:iam::999999999999:role/Intruder',
      action: 'kms:Decrypt',
      resource: f.streamKey.arn,
      resourcePolicy: f.streamKey.policy,
      identityPolicies: SELF_GRANTED,
    });
  });
});

describe('readers', () => {
  test('an enhanced fan-out reader may subscribe to its consumer, and not read with shard iterators', async () => {
    await expectAllowed(as(f.reader, 'kinesis:SubscribeToShard', f.consumerArn));
    await expectDenied(as(f.reader, 'kinesis:SubscribeToShard', `${f.streamArn}/consumer/other:1`));
    await expectDenied(as(f.reader, 'kinesis:GetRecords', f.streamArn));
  });

  test("a reader granted the consumer's grantRead (Lambda, KCL) may subscribe and read with shard iterators, and decrypt", async () => {
    await expectAllowed(as(f.lambdaReader, 'kinesis:SubscribeToShard', f.consumerArn));
    await expectAllowed(as(f.lambdaReader, 'kinesis:GetRecords', f.streamArn));
    await expectAllowed(as(f.lambdaReader, 'kms:Decrypt', f.streamKey.arn, { resourcePolicy: f.streamKey.policy }));
    await expectDenied(as(f.lambdaReader, 'kinesis:SubscribeToShard', `${f.streamArn}/consumer/other:1`));
    await expectDenied(as(f.lambdaReader, 'kinesis:PutRecord', f.streamArn));
  });

  test('a KCL worker may read the stream and its lease table, and publish metrics only in its namespace', async () => {
    await expectAllowed(as(f.worker, 'kinesis:GetRecords', f.streamArn));
    await expectAllowed(as(f.worker, 'dynamodb:UpdateItem', f.tableArn));
    await expectDenied(as(f.worker, 'dynamodb:UpdateItem', `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/other`));
    await expectDenied(as(f.worker, 'dynamodb:DeleteTable', f.tableArn));
    await expectAllowed(
      as(f.worker, 'cloudwatch:PutMetricData', '*', { context: { 'cloudwatch:namespace': 'position-aggregator' } }),
    );
    await expectDenied(as(f.worker, 'cloudwatch:PutMetricData', '*', { context: { 'cloudwatch:namespace': 'Other' } }));
  });
});

describe('delivery to a bucket and under a prefix known only at deploy time', () => {
  // The data prefix is a template parameter (its default stands in for the deployed value), and the bucket is
  // imported by name: the delivery role's object grant must be computed at deploy time, cut at the first "!".
  let delivery: { arn: string; policies: object[] };
  beforeAll(async () => {
    const stack = strictStack();
    const prefix = new CfnParameter(stack, 'DataPrefix', { default: 'archive/!{timestamp:yyyy}/' }).valueAsString;
    const archive = new StreamToS3(stack, 'Archive', {
      bucket: s3.Bucket.fromBucketName(stack, 'Lake', 'telemetry-lake'),
      dataOutputPrefix: prefix,
    });
    const template = Template.fromStack(stack).toJSON();
    delivery = {
      arn: `arn:aws:iam::${ACCOUNT}:role/DeliveryRole`,
      policies: await identityPoliciesFor(template, logicalId(archive.deliveryRole)),
    };
  });

  test.each([
    ['a data object under the deployed prefix', 'archive/2026/Archive-1-2026-11-24-13-00-00-abc.gz'],
    ['an error object', 'errors/processing-failed/year=2026/month=11/day=24/Archive-1.gz'],
  ])('may write %s', async (_name, key) => {
    await expectAllowed(as(delivery, 's3:PutObject', `arn:aws:s3:::telemetry-lake/${key}`));
  });

  test.each([
    ['outside both prefixes', 'arn:aws:s3:::telemetry-lake/data/2026/object.gz'],
    ['to another bucket', 'arn:aws:s3:::someone-elses-bucket/archive/2026/object.gz'],
  ])('may not write %s', async (_name, resource) => {
    await expectDenied(as(delivery, 's3:PutObject', resource));
  });
});

describe('direct PUT with a processor, dynamic partitioning and Parquet: producers, the delivery role, the processor role', () => {
  // Producers granted with grantPutRecords, a bystander granted nothing, the delivery role (which now invokes the
  // processor and reads the schema's table), and the processor's own execution role, to which nothing is added.
  let g: {
    deliveryStreamArn: string;
    bucketArn: string;
    bucketPolicy: any;
    functionArn: string;
    tableArns: string[];
    streamKey: { arn: string; policy: any };
    producer: { arn: string; policies: object[] };
    bystander: { arn: string; policies: object[] };
    delivery: { arn: string; policies: object[] };
    processorRole: { arn: string; policies: object[] };
  };
  const OTHER_DELIVERY_STREAM = `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/someone-elses`;
  const OTHER_FUNCTION = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:someone-elses`;

  beforeAll(async () => {
    const stack = strictStack();
    const processor = userFunction(stack, 'Enrich');
    const archive = new StreamToS3(stack, 'Archive', {
      source: StreamToS3Source.DIRECT_PUT,
      processor,
      dynamicPartitionKeys: { truck: '.truckId' },
      outputFormat: firehose.OutputFormat.PARQUET,
      schema: StreamToS3Schema.fromColumns([{ name: 'truck_id', dataType: 'string' }], {
        databaseName: 'telemetry',
        tableName: 'positions',
      }),
    });
    const producer = new iam.Role(stack, 'Producer', {
      roleName: 'Producer',
      assumedBy: new iam.AccountRootPrincipal(),
    });
    archive.grantPutRecords(producer);
    const bystander = new iam.Role(stack, 'Bystander', {
      roleName: 'Bystander',
      assumedBy: new iam.AccountRootPrincipal(),
    });
    const template = Template.fromStack(stack).toJSON();
    const getAtt = (construct: IConstruct, attribute = 'Arn') =>
      resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), attribute] }, template);
    const role = async (construct: iam.IRole, name: string) => ({
      arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
      policies: await identityPoliciesFor(template, logicalId(construct)),
    });
    const bucket = archive.bucket as s3.Bucket;
    const key = archive.deliveryStreamEncryptionKey as kms.Key;
    g = {
      deliveryStreamArn: await getAtt(archive),
      bucketArn: await getAtt(bucket),
      bucketPolicy: await bucketPolicyFor(template, logicalId(bucket)),
      functionArn: await getAtt(processor),
      tableArns: [
        `arn:aws:glue:us-east-1:${ACCOUNT}:catalog`,
        `arn:aws:glue:us-east-1:${ACCOUNT}:database/telemetry`,
        `arn:aws:glue:us-east-1:${ACCOUNT}:table/telemetry/positions`,
      ],
      streamKey: { arn: await getAtt(key), policy: await keyPolicyFor(template, logicalId(key)) },
      producer: await role(producer, 'Producer'),
      bystander: await role(bystander, 'Bystander'),
      delivery: await role(archive.deliveryRole, 'DeliveryRole'),
      processorRole: await role((processor as lambda.Function).role!, 'EnrichRole'),
    };
  });

  describe('a producer granted with grantPutRecords', () => {
    test.each(['firehose:PutRecord', 'firehose:PutRecordBatch'])('may %s to the delivery stream', async (action) => {
      await expectAllowed(as(g.producer, action, g.deliveryStreamArn));
    });

    test.each([
      ['write to another delivery stream', 'firehose:PutRecord', () => OTHER_DELIVERY_STREAM],
      ['delete the delivery stream', 'firehose:DeleteDeliveryStream', () => g.deliveryStreamArn],
      ['change its destination', 'firehose:UpdateDestination', () => g.deliveryStreamArn],
      ['read the bucket', 's3:GetObject', () => `${g.bucketArn}/data/truck=1/object.parquet`],
    ])('may not %s', async (_name, action, resource) => {
      await expectDenied(
        as(g.producer, action, resource(), { resourcePolicy: action.startsWith('s3') ? g.bucketPolicy : undefined }),
      );
    });

    test("needs no permission on the delivery stream's key (Firehose encrypts with its own grant), and has none", async () => {
      await expectDenied(as(g.producer, 'kms:Decrypt', g.streamKey.arn, { resourcePolicy: g.streamKey.policy }));
    });
  });

  test('a role granted nothing may not write to the delivery stream', async () => {
    await expectDenied(as(g.bystander, 'firehose:PutRecordBatch', g.deliveryStreamArn));
  });

  describe('the delivery role', () => {
    test.each(['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'])(
      'may %s on the processor',
      async (action) => {
        await expectAllowed(as(g.delivery, action, g.functionArn));
      },
    );

    test.each([0, 1, 2])("may read the schema's table (catalog, database, table #%d)", async (i) => {
      await expectAllowed(as(g.delivery, 'glue:GetTable', g.tableArns[i]));
      await expectAllowed(as(g.delivery, 'glue:GetTableVersions', g.tableArns[i]));
    });

    test.each([
      ['invoke another function', 'lambda:InvokeFunction', () => OTHER_FUNCTION],
      ['invoke another version or alias of the processor', 'lambda:InvokeFunction', () => `${g.functionArn}:live`],
      ['change the processor', 'lambda:UpdateFunctionCode', () => g.functionArn],
      ['read another table', 'glue:GetTable', () => `arn:aws:glue:us-east-1:${ACCOUNT}:table/telemetry/payroll`],
      ['change the table', 'glue:UpdateTable', () => g.tableArns[2]],
      ['read any stream', 'kinesis:GetRecords', () => `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/positions`],
      ['write records to itself', 'firehose:PutRecord', () => g.deliveryStreamArn],
    ])('may not %s', async (_name, action, resource) => {
      await expectDenied(as(g.delivery, action, resource()));
    });

    test.each([
      ['a partitioned data object', 'data/truck=truck-7/year=2026/month=11/day=24/hour=13/Archive-1.parquet'],
      ['an error object', 'errors/format-conversion-failed/year=2026/month=11/day=24/Archive-1'],
    ])('may write %s under its prefixes', async (_name, key) => {
      await expectAllowed(as(g.delivery, 's3:PutObject', `${g.bucketArn}/${key}`, { resourcePolicy: g.bucketPolicy }));
    });
  });

  describe("the processor's own role (nothing added by StreamToS3)", () => {
    test.each([
      ['write to the delivery stream (no loop back into it)', 'firehose:PutRecord', () => g.deliveryStreamArn],
      ['write to the bucket', 's3:PutObject', () => `${g.bucketArn}/data/truck=1/object.parquet`],
      ['read the bucket', 's3:GetObject', () => `${g.bucketArn}/data/truck=1/object.parquet`],
      ['read the schema', 'glue:GetTable', () => g.tableArns[2]],
      ['invoke itself', 'lambda:InvokeFunction', () => g.functionArn],
    ])('may not %s', async (_name, action, resource) => {
      await expectDenied(
        as(g.processorRole, action, resource(), {
          resourcePolicy: action.startsWith('s3') ? g.bucketPolicy : undefined,
        }),
      );
    });

    test('no policy of the app is attached to it (only the AWS-managed basic execution role it was created with)', () => {
      const actions = g.processorRole.policies.flatMap((p: any) =>
        [p.Statement].flat().flatMap((s: any) => [s.Action].flat()),
      );
      expect(actions.filter((a: string) => !a.startsWith('logs:'))).toEqual([]);
    });
  });
});
