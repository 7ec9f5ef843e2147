import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AccessRequest,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  resolveIntrinsics,
} from '../harness/access';
import { logicalId, strictStack } from '../harness/app';
import { EncryptedStream } from '../src/encrypted-stream';

// Deploy-time defect 1 of issue 12: KCL 2.x and 3.x read with enhanced fan-out by default, so a worker
// registers its own consumer and subscribes through it. The worker policy must grant what the Kinesis Data
// Streams developer guide lists ("IAM permissions required for KCL consumer applications",
// https://docs.aws.amazon.com/streams/latest/dev/kcl-iam-permissions.html), on the ARNs it names, and no
// more: proven here by simulating the synthesized policies offline.

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const APP = 'position-aggregator';
const SELF_GRANTED = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }];

let f: {
  streamArn: string;
  keyArn: string;
  keyPolicy: any;
  tableArn: string;
  worker: { arn: string; policies: object[] };
  other: { arn: string; policies: object[] };
};

beforeAll(async () => {
  const stack = strictStack();
  const stream = new EncryptedStream(stack, 'Positions');
  const worker = new iam.Role(stack, 'Worker', { roleName: 'Worker', assumedBy: new iam.AccountRootPrincipal() });
  const kcl = stream.addKclApplication(APP, worker);
  // A worker of another application on the same stream: its grants must not reach this application's tables.
  const other = new iam.Role(stack, 'Other', { roleName: 'Other', assumedBy: new iam.AccountRootPrincipal() });
  stream.addKclApplication('billing', other);
  const template = Template.fromStack(stack).toJSON();
  const getAtt = (construct: any, attribute = 'Arn') =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), attribute] }, template);
  f = {
    streamArn: await getAtt(stream.stream),
    keyArn: await getAtt(stream.encryptionKey!),
    keyPolicy: await keyPolicyFor(template, logicalId(stream.encryptionKey!)),
    tableArn: await getAtt(kcl.leaseTable),
    worker: {
      arn: `arn:aws:iam::${ACCOUNT}:role/Worker`,
      policies: await identityPoliciesFor(template, logicalId(worker)),
    },
    other: {
      arn: `arn:aws:iam::${ACCOUNT}:role/Other`,
      policies: await identityPoliciesFor(template, logicalId(other)),
    },
  };
});

function as(
  role: { arn: string; policies: object[] },
  action: string,
  resource: string,
  extra: Partial<AccessRequest> = {},
): AccessRequest {
  return { principal: role.arn, action, resource, identityPolicies: role.policies, ...extra };
}

const table = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
const consumer = () => `${f.streamArn}/consumer/${APP}:1700000000`;

describe("a KCL worker (the guide's minimum permissions)", () => {
  test.each([
    'kinesis:DescribeStream',
    'kinesis:DescribeStreamSummary',
    'kinesis:RegisterStreamConsumer',
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'kinesis:ListShards',
  ])('may %s on its stream', async (action) => {
    await expectAllowed(as(f.worker, action, f.streamArn));
  });

  test.each(['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'])(
    'may %s on the consumer it registers (<stream ARN>/consumer/*)',
    async (action) => {
      await expectAllowed(as(f.worker, action, consumer()));
    },
  );

  test.each([
    'dynamodb:CreateTable',
    'dynamodb:DescribeTable',
    'dynamodb:UpdateTable',
    'dynamodb:Scan',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ])('may %s on its lease table', async (action) => {
    await expectAllowed(as(f.worker, action, f.tableArn));
  });

  test.each(
    ['-WorkerMetricStats', '-CoordinatorState'].flatMap((suffix) =>
      [
        'dynamodb:CreateTable',
        'dynamodb:DescribeTable',
        'dynamodb:Scan',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
      ].map((action) => [action, `${APP}${suffix}`]),
    ),
  )('may %s on the KCL 3.x table %s', async (action, name) => {
    await expectAllowed(as(f.worker, action, table(name)));
  });

  test('may Query the global secondary indexes of its lease table', async () => {
    await expectAllowed(as(f.worker, 'dynamodb:Query', `${f.tableArn}/index/LeaseOwnerToLeaseKeyIndex`));
  });

  test('may publish metrics in its namespace, and decrypt the stream', async () => {
    await expectAllowed(as(f.worker, 'cloudwatch:PutMetricData', '*', { context: { 'cloudwatch:namespace': APP } }));
    await expectAllowed(as(f.worker, 'kms:Decrypt', f.keyArn, { resourcePolicy: f.keyPolicy }));
  });

  test.each([
    ['delete its lease table', 'dynamodb:DeleteTable', () => f.tableArn],
    [
      'UpdateTable a KCL 3.x table (the guide does not list it)',
      'dynamodb:UpdateTable',
      () => table(`${APP}-WorkerMetricStats`),
    ],
    ["use another application's lease table", 'dynamodb:GetItem', () => table('billing')],
    ["use another application's KCL 3.x table", 'dynamodb:PutItem', () => table('billing-CoordinatorState')],
    [
      'subscribe through a consumer of another stream',
      'kinesis:SubscribeToShard',
      () => `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/other/consumer/${APP}:1`,
    ],
    [
      'register a consumer on another stream',
      'kinesis:RegisterStreamConsumer',
      () => `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/other`,
    ],
    ['delete the stream', 'kinesis:DeleteStream', () => f.streamArn],
    ['write to the stream', 'kinesis:PutRecord', () => f.streamArn],
  ])('may not %s', async (_name, action, resource) => {
    await expectDenied(as(f.worker, action, resource()));
  });

  test('may not publish metrics in another namespace', async () => {
    await expectDenied(as(f.worker, 'cloudwatch:PutMetricData', '*', { context: { 'cloudwatch:namespace': 'Other' } }));
  });
});

describe('a stranger', () => {
  test.each([
    ['kinesis:RegisterStreamConsumer', () => f.streamArn],
    ['kinesis:SubscribeToShard', () => consumer()],
    ['dynamodb:PutItem', () => f.tableArn],
    ['dynamodb:PutItem', () => table(`${APP}-CoordinatorState`)],
  ])('of this account, with no grant, may not %s', async (action, resource) => {
    await expectDenied({
      principal: `arn:aws:iam::${ACCOUNT}:role/Stranger`,
      action,
      resource: resource(),
      identityPolicies: [],
    });
  });

  test("of another account, even with every permission of its own, may not decrypt with the stream's key", async () => {
    await expectDenied({
      principal: 'arn:aws:iam::999999999999:role/Intruder',
      action: 'kms:Decrypt',
      resource: f.keyArn,
      resourcePolicy: f.keyPolicy,
      identityPolicies: SELF_GRANTED,
    });
  });

  test("the other application's worker may not use this application's tables", async () => {
    await expectDenied(as(f.other, 'dynamodb:UpdateItem', f.tableArn));
    await expectDenied(as(f.other, 'dynamodb:PutItem', table(`${APP}-WorkerMetricStats`)));
  });
});
