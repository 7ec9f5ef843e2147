import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import {
  AccessRequest,
  bucketPolicyFor,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  resolveIntrinsics,
} from '../harness/access';
import { logicalId, strictStack, testRole } from '../harness/app';
import { EncryptedStream } from '../src/encrypted-stream';
import { StreamAnalytics, StreamAnalyticsCode } from '../src/stream-analytics';

// Access proofs for the application's service execution role: it reads its stream through its own enhanced
// fan-out consumer, decrypts with the stream's key, reads its code object (in a bucket under a
// customer-managed key) and writes its own log stream; nothing else. Offline, from the synthesized
// identity, key and bucket policies.

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

async function fixture() {
  const stack = strictStack();
  const telemetry = new EncryptedStream(stack, 'Telemetry');
  const mine = telemetry.addConsumer('truck-counts');
  const theirs = telemetry.addConsumer('dashboard');
  const other = new EncryptedStream(stack, 'Other');
  const bucket = new s3.Bucket(stack, 'Code', {
    encryptionKey: new kms.Key(stack, 'CodeKey', { enableKeyRotation: true }),
    enforceSSL: true,
  });
  const bystander = testRole(stack, 'Bystander');
  const app = new StreamAnalytics(stack, 'Analytics', {
    stream: telemetry,
    enhancedFanOutConsumer: mine,
    code: StreamAnalyticsCode.fromBucket(bucket, 'apps/truck-counts.zip'),
    applicationName: 'truck-counts',
  });

  const template = Template.fromStack(stack).toJSON();
  const attr = (construct: IConstruct, attribute: string) =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), attribute] }, template);
  const key = async (k: IConstruct) => ({
    arn: await attr(k, 'Arn'),
    policy: await keyPolicyFor(template, logicalId(k)),
  });
  const bucketArn = await attr(bucket, 'Arn');
  const bucketPolicy = await bucketPolicyFor(template, logicalId(bucket));
  const logGroup = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/kinesis-analytics/truck-counts`;
  return {
    app: {
      arn: await attr(app.role, 'Arn'),
      policies: await identityPoliciesFor(template, logicalId(app.role)),
    },
    bystander: {
      arn: await attr(bystander, 'Arn'),
      policies: await identityPoliciesFor(template, logicalId(bystander)),
    },
    telemetry: { arn: await attr(telemetry.stream, 'Arn'), key: await key(telemetry.encryptionKey!) },
    mine: { arn: await attr(mine.consumer, 'ConsumerARN') },
    theirs: { arn: await attr(theirs.consumer, 'ConsumerARN') },
    other: { arn: await attr(other.stream, 'Arn'), key: await key(other.encryptionKey!) },
    code: { arn: `${bucketArn}/apps/truck-counts.zip`, policy: bucketPolicy },
    otherObject: { arn: `${bucketArn}/apps/other.zip`, policy: bucketPolicy },
    codeKey: await key(bucket.encryptionKey!),
    logGroup: { arn: logGroup },
    logStream: { arn: `${logGroup}:log-stream:kinesis-analytics-log-stream` },
    otherLogStream: { arn: `${logGroup}:log-stream:something-else` },
    foreignLogStream: {
      arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/payments:log-stream:2026/12/05/[$LATEST]abc`,
    },
  };
}

let f: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  f = await fixture();
});

type Principal = { arn: string; policies: object[] };

function request(who: Principal, action: string, target: { arn: string; policy?: object }): AccessRequest {
  return {
    principal: who.arn,
    action,
    resource: target.arn,
    resourcePolicy: target.policy,
    identityPolicies: who.policies,
  };
}

const READ = [
  'kinesis:GetShardIterator',
  'kinesis:GetRecords',
  'kinesis:ListShards',
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
];

describe('the application reads its stream', () => {
  test.each(READ)('may %s on its stream', async (action) => {
    await expectAllowed(request(f.app, action, f.telemetry));
  });

  test.each(['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'])(
    'may %s through its own consumer',
    async (action) => {
      await expectAllowed(request(f.app, action, f.mine));
    },
  );

  test("may decrypt with the stream's key", async () => {
    await expectAllowed(request(f.app, 'kms:Decrypt', f.telemetry.key));
  });
});

describe('reads its code and writes its logs', () => {
  test('may read its code object and decrypt it with the bucket key', async () => {
    await expectAllowed(request(f.app, 's3:GetObject', f.code));
    await expectAllowed(request(f.app, 'kms:Decrypt', f.codeKey));
  });

  test('may put log events into its own log stream, and describe its log group', async () => {
    await expectAllowed(request(f.app, 'logs:PutLogEvents', f.logStream));
    await expectAllowed(request(f.app, 'logs:DescribeLogStreams', f.logGroup));
  });
});

describe('and nothing else', () => {
  test.each([
    'kinesis:PutRecord',
    'kinesis:PutRecords',
    'kinesis:RegisterStreamConsumer',
    'kinesis:DeleteStream',
    'kinesis:IncreaseStreamRetentionPeriod',
  ])('%s on its stream is denied (read-only, no consumer registration)', async (action) => {
    await expectDenied(request(f.app, action, f.telemetry));
  });

  test('may not deregister its consumer, nor subscribe through another consumer of the stream', async () => {
    await expectDenied(request(f.app, 'kinesis:DeregisterStreamConsumer', f.mine));
    await expectDenied(request(f.app, 'kinesis:SubscribeToShard', f.theirs));
    await expectDenied(request(f.app, 'kinesis:DescribeStreamConsumer', f.theirs));
  });

  test.each(READ)('may not %s on another stream', async (action) => {
    await expectDenied(request(f.app, action, f.other));
  });

  test("may not decrypt with another stream's key, nor encrypt with its own", async () => {
    await expectDenied(request(f.app, 'kms:Decrypt', f.other.key));
    await expectDenied(request(f.app, 'kms:GenerateDataKey', f.telemetry.key));
    await expectDenied(request(f.app, 'kms:Encrypt', f.codeKey));
  });

  test('may not read other objects of the code bucket, nor change its code', async () => {
    await expectDenied(request(f.app, 's3:GetObject', f.otherObject));
    await expectDenied(request(f.app, 's3:PutObject', f.code));
    await expectDenied(request(f.app, 's3:DeleteObject', f.code));
  });

  test('may not write other log streams, in its log group or elsewhere, nor create them', async () => {
    await expectDenied(request(f.app, 'logs:PutLogEvents', f.otherLogStream));
    await expectDenied(request(f.app, 'logs:PutLogEvents', f.foreignLogStream));
    await expectDenied(request(f.app, 'logs:CreateLogStream', f.otherLogStream));
    await expectDenied(request(f.app, 'logs:DeleteLogGroup', f.logGroup));
  });
});

describe('another principal of the account gains nothing', () => {
  test.each(READ)('%s is denied to a role without grants', async (action) => {
    await expectDenied(request(f.bystander, action, f.telemetry));
  });

  test('nor may it subscribe, decrypt, read the code or write the logs', async () => {
    await expectDenied(request(f.bystander, 'kinesis:SubscribeToShard', f.mine));
    await expectDenied(request(f.bystander, 'kms:Decrypt', f.telemetry.key));
    await expectDenied(request(f.bystander, 's3:GetObject', f.code));
    await expectDenied(request(f.bystander, 'logs:PutLogEvents', f.logStream));
  });
});
