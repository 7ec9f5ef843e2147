import { Duration } from 'aws-cdk-lib';
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
import { QueueProcessingFunction } from '../src/queue-processing-function';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

// Access proofs for the function's execution role: the synthesized identity, queue and key policies,
// evaluated offline. The role is the user's; the construct's grant is the customer-managed policy it attaches.

async function fixture() {
  const stack = strictStack();
  const jobs = new WorkQueue(stack, 'Jobs', {
    encryption: WorkQueueEncryption.KMS,
    visibilityTimeout: Duration.minutes(1),
  });
  const other = new WorkQueue(stack, 'Other', { encryption: WorkQueueEncryption.KMS });
  const handler = userFunction(stack, 'Handler', { timeout: Duration.seconds(10) });
  const bystander = testRole(stack, 'Bystander');
  new QueueProcessingFunction(stack, 'Worker', { queue: jobs, handler });

  const template = Template.fromStack(stack).toJSON();
  const arn = (construct: IConstruct) =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] }, template);
  const queue = async (q: WorkQueue) => ({
    arn: await arn(q.queue),
    policy: await queuePolicyFor(template, logicalId(q.queue)),
    dlq: { arn: await arn(q.deadLetterQueue), policy: await queuePolicyFor(template, logicalId(q.deadLetterQueue)) },
    key: { arn: await arn(q.encryptionKey!), policy: await keyPolicyFor(template, logicalId(q.encryptionKey!)) },
  });
  return {
    handler: { arn: await arn(handler.role!), policies: await identityPoliciesFor(template, logicalId(handler.role!)) },
    bystander: { arn: await arn(bystander), policies: await identityPoliciesFor(template, logicalId(bystander)) },
    jobs: await queue(jobs),
    other: await queue(other),
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

/** Every SQS action in the IAM Service Authorization Reference; ListQueues is the only one without a queue resource. */
const ALL_SQS_ACTIONS = [
  'AddPermission',
  'CancelMessageMoveTask',
  'ChangeMessageVisibility',
  'CreateQueue',
  'DeleteMessage',
  'DeleteQueue',
  'GetQueueAttributes',
  'GetQueueUrl',
  'ListDeadLetterSourceQueues',
  'ListMessageMoveTasks',
  'ListQueueTags',
  'ListQueues',
  'PurgeQueue',
  'ReceiveMessage',
  'RemovePermission',
  'SendMessage',
  'SetQueueAttributes',
  'StartMessageMoveTask',
  'TagQueue',
  'UntagQueue',
].map((name) => `sqs:${name}`);

const CONSUME = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'];

describe("the function's role consumes its own queue", () => {
  test.each(CONSUME)('may %s on its queue', async (action) => {
    await expectAllowed(request(f.handler, action, f.jobs));
  });

  test("may decrypt with its queue's key", async () => {
    await expectAllowed(request(f.handler, 'kms:Decrypt', f.jobs.key));
  });

  test('may not encrypt with it (a consumer never sends)', async () => {
    await expectDenied(request(f.handler, 'kms:GenerateDataKey', f.jobs.key));
  });

  test('not even the function may consume without TLS', async () => {
    await expectDenied({
      ...request(f.handler, 'sqs:ReceiveMessage', f.jobs),
      context: { 'aws:SecureTransport': 'false' },
    });
  });
});

describe('and nothing else', () => {
  const others = ALL_SQS_ACTIONS.filter((action) => !CONSUME.includes(action));

  test.each(others)('%s is denied (on its queue; ListQueues has no resource)', async (action) => {
    await expectDenied(request(f.handler, action, action === 'sqs:ListQueues' ? { arn: '*' } : f.jobs));
  });

  test.each(CONSUME)('may not %s on its dead-letter queue (redriving is an operator’s decision)', async (action) => {
    await expectDenied(request(f.handler, action, f.jobs.dlq));
  });

  test.each(CONSUME)('may not %s on another queue', async (action) => {
    await expectDenied(request(f.handler, action, f.other));
  });

  test("may not decrypt with another queue's key", async () => {
    await expectDenied(request(f.handler, 'kms:Decrypt', f.other.key));
  });
});

describe('another principal of the account gains nothing', () => {
  test.each(CONSUME)('%s on the queue is denied to a role without grants', async (action) => {
    await expectDenied(request(f.bystander, action, f.jobs));
  });

  test("decrypting with the queue's key is denied to it", async () => {
    await expectDenied(request(f.bystander, 'kms:Decrypt', f.jobs.key));
  });

  test('a principal of another account is denied', async () => {
    await expectDenied({
      principal: 'arn:aws:iam::210987654321:role/worker',
      action: 'sqs:ReceiveMessage',
      resource: f.jobs.arn,
      resourcePolicy: f.jobs.policy,
      identityPolicies: f.handler.policies,
    });
  });
});
