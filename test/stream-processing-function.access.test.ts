import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { userFunction } from './queue-processing-function.fixtures';
import {
  AccessRequest,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  queuePolicyFor,
  resolveIntrinsics,
} from '../harness/access';
import { logicalId, strictStack, testRole } from '../harness/app';
import { EncryptedStream } from '../src/encrypted-stream';
import { StreamProcessingFunction } from '../src/stream-processing-function';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

// Access proofs for the function's execution role reading a stream through an enhanced fan-out consumer,
// with a KMS-encrypted on-failure queue: the synthesized identity, queue and key policies, offline.

async function fixture() {
  const stack = strictStack();
  const events = new EncryptedStream(stack, 'Events');
  const mine = events.addConsumer('mine');
  const theirs = events.addConsumer('theirs');
  const other = new EncryptedStream(stack, 'Other');
  const failures = new WorkQueue(stack, 'Failures', { encryption: WorkQueueEncryption.KMS });
  const handler = userFunction(stack);
  const bystander = testRole(stack, 'Bystander');
  new StreamProcessingFunction(stack, 'Reader', {
    stream: events,
    handler,
    enhancedFanOutConsumer: mine,
    onFailureQueue: failures,
  });

  const template = Template.fromStack(stack).toJSON();
  const attr = (construct: IConstruct, attribute: string) =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), attribute] }, template);
  const key = async (k: IConstruct) => ({
    arn: await attr(k, 'Arn'),
    policy: await keyPolicyFor(template, logicalId(k)),
  });
  return {
    handler: {
      arn: await attr(handler.role!, 'Arn'),
      policies: await identityPoliciesFor(template, logicalId(handler.role!)),
    },
    bystander: {
      arn: await attr(bystander, 'Arn'),
      policies: await identityPoliciesFor(template, logicalId(bystander)),
    },
    events: { arn: await attr(events.stream, 'Arn'), key: await key(events.encryptionKey!) },
    mine: { arn: await attr(mine.consumer, 'ConsumerARN') },
    theirs: { arn: await attr(theirs.consumer, 'ConsumerARN') },
    other: { arn: await attr(other.stream, 'Arn'), key: await key(other.encryptionKey!) },
    failures: {
      arn: await attr(failures.queue, 'Arn'),
      policy: await queuePolicyFor(template, logicalId(failures.queue)),
      key: await key(failures.encryptionKey!),
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

describe("the function's role reads its own stream", () => {
  test.each(READ)('may %s on its stream', async (action) => {
    await expectAllowed(request(f.handler, action, f.events));
  });

  test.each(['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'])(
    'may %s through its own consumer',
    async (action) => {
      await expectAllowed(request(f.handler, action, f.mine));
    },
  );

  test("may decrypt with its stream's key", async () => {
    await expectAllowed(request(f.handler, 'kms:Decrypt', f.events.key));
  });

  test('may send a record of a discarded batch to its on-failure queue, encrypted with its key', async () => {
    await expectAllowed(request(f.handler, 'sqs:SendMessage', f.failures));
    await expectAllowed(request(f.handler, 'kms:GenerateDataKey', f.failures.key));
  });
});

describe('and nothing else', () => {
  test.each([
    'kinesis:PutRecord',
    'kinesis:PutRecords',
    'kinesis:RegisterStreamConsumer',
    'kinesis:DeleteStream',
    'kinesis:IncreaseStreamRetentionPeriod',
  ])('%s on its stream is denied (read-only)', async (action) => {
    await expectDenied(request(f.handler, action, f.events));
  });

  test('may not deregister its own consumer', async () => {
    await expectDenied(request(f.handler, 'kinesis:DeregisterStreamConsumer', f.mine));
  });

  test.each(['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'])(
    'may not %s through another consumer of the same stream',
    async (action) => {
      await expectDenied(request(f.handler, action, f.theirs));
    },
  );

  test.each(READ)('may not %s on another stream', async (action) => {
    await expectDenied(request(f.handler, action, f.other));
  });

  test("may not decrypt with another stream's key, nor encrypt with its own", async () => {
    await expectDenied(request(f.handler, 'kms:Decrypt', f.other.key));
    await expectDenied(request(f.handler, 'kms:GenerateDataKey', f.events.key));
  });

  test.each(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue'])(
    'may not %s on the on-failure queue (only send to it)',
    async (action) => {
      await expectDenied(request(f.handler, action, f.failures));
    },
  );
});

describe('another principal of the account gains nothing', () => {
  test.each([...READ, 'kinesis:SubscribeToShard'])('%s is denied to a role without grants', async (action) => {
    await expectDenied(request(f.bystander, action, action === 'kinesis:SubscribeToShard' ? f.mine : f.events));
  });

  test('neither may it decrypt with the stream key nor send to the on-failure queue', async () => {
    await expectDenied(request(f.bystander, 'kms:Decrypt', f.events.key));
    await expectDenied(request(f.bystander, 'sqs:SendMessage', f.failures));
  });
});
