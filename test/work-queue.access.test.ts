import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { IConstruct } from 'constructs';
import {
  AccessRequest,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  queuePolicyFor,
  resolveIntrinsics,
} from '../harness/access';
import { logicalId, strictStack } from '../harness/app';
import { WorkQueue, WorkQueueEncryption } from '../src';

// Access proofs: the synthesized queue, key and identity policies, evaluated offline.
const ACCOUNT = '123456789012';
const OTHER_ACCOUNT_ROLE = 'arn:aws:iam::999999999999:role/Intruder';

async function fixture() {
  const stack = strictStack();
  const workQueue = new WorkQueue(stack, 'Jobs', { encryption: WorkQueueEncryption.KMS });
  const consumer = new iam.Role(stack, 'Consumer', { roleName: 'Consumer', assumedBy: new iam.AccountRootPrincipal() });
  workQueue.grantConsumeMessages(consumer);
  const operator = new iam.Role(stack, 'Operator', { roleName: 'Operator', assumedBy: new iam.AccountRootPrincipal() });
  workQueue.grantRedrive(operator);
  const topic = new sns.Topic(stack, 'Orders');
  topic.addSubscription(new snsSubscriptions.SqsSubscription(workQueue));

  const template = Template.fromStack(stack).toJSON();
  const arn = (construct: IConstruct, attribute = 'Arn') =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), attribute] }, template);
  return {
    template,
    source: { arn: await arn(workQueue.queue), policy: await queuePolicyFor(template, logicalId(workQueue.queue)) },
    dlq: {
      arn: await arn(workQueue.deadLetterQueue),
      policy: await queuePolicyFor(template, logicalId(workQueue.deadLetterQueue)),
    },
    key: {
      arn: await arn(workQueue.encryptionKey!),
      policy: await keyPolicyFor(template, logicalId(workQueue.encryptionKey!)),
    },
    consumer: {
      arn: `arn:aws:iam::${ACCOUNT}:role/Consumer`,
      policies: await identityPoliciesFor(template, logicalId(consumer)),
    },
    operator: {
      arn: `arn:aws:iam::${ACCOUNT}:role/Operator`,
      policies: await identityPoliciesFor(template, logicalId(operator)),
    },
    topicArn: await resolveIntrinsics<string>({ Ref: logicalId(topic) }, template),
  };
}

// Built once for the whole file; the test tables below read it lazily (`() => f.source`), after this has run.
let f: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  f = await fixture();
});

/** A request by one of the fixture's roles, with its identity policies, against a resource and its policy. */
function asGrantee(
  role: { arn: string; policies: object[] },
  action: string,
  target: { arn: string; policy: object },
): AccessRequest {
  return {
    principal: role.arn,
    action,
    resource: target.arn,
    resourcePolicy: target.policy,
    identityPolicies: role.policies,
  };
}

describe('TLS only', () => {
  test.each([
    ['source queue', () => f.source],
    ['dead-letter queue', () => f.dlq],
  ])('a request without TLS to the %s is denied, even for a granted role', async (_name, queue) => {
    const request = asGrantee(f.consumer, 'sqs:ReceiveMessage', queue());
    const decision = await expectDenied({ ...request, context: { 'aws:SecureTransport': 'false' } });
    expect(decision.result).toBe('ExplicitlyDenied');
  });

  test('the same consumer request with TLS is allowed on the source queue', async () => {
    await expectAllowed(asGrantee(f.consumer, 'sqs:ReceiveMessage', f.source));
  });
});

describe('a role granted grantConsumeMessages', () => {
  test.each(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'])(
    'may %s on the source queue',
    async (action) => {
      await expectAllowed(asGrantee(f.consumer, action, f.source));
    },
  );

  test('may decrypt with the queue key', async () => {
    await expectAllowed(asGrantee(f.consumer, 'kms:Decrypt', f.key));
  });

  test.each([
    ['send to the dead-letter queue', 'sqs:SendMessage', () => f.dlq],
    ['receive from the dead-letter queue', 'sqs:ReceiveMessage', () => f.dlq],
    ['send to the source queue', 'sqs:SendMessage', () => f.source],
    ['purge the source queue', 'sqs:PurgeQueue', () => f.source],
  ])('may not %s', async (_name, action, queue) => {
    await expectDenied(asGrantee(f.consumer, action, queue()));
  });

  test('may not encrypt new messages with the key', async () => {
    await expectDenied(asGrantee(f.consumer, 'kms:GenerateDataKey', f.key));
  });
});

describe('a role granted grantRedrive', () => {
  test.each(['sqs:StartMessageMoveTask', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'])(
    'may %s on the dead-letter queue',
    async (action) => {
      await expectAllowed(asGrantee(f.operator, action, f.dlq));
    },
  );

  test('may send the moved messages to the source queue, encrypted with the key', async () => {
    await expectAllowed(asGrantee(f.operator, 'sqs:SendMessage', f.source));
    await expectAllowed(asGrantee(f.operator, 'kms:GenerateDataKey', f.key));
  });

  test('may not consume from the source queue', async () => {
    await expectDenied(asGrantee(f.operator, 'sqs:ReceiveMessage', f.source));
  });
});

describe('another account', () => {
  // The intruder even grants itself everything: without our resource policies trusting it, that is not enough.
  const selfGranted = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }];

  test.each([
    ['send to the source queue', 'sqs:SendMessage', () => f.source],
    ['receive from the source queue', 'sqs:ReceiveMessage', () => f.source],
    ['receive from the dead-letter queue', 'sqs:ReceiveMessage', () => f.dlq],
    ['decrypt with the key', 'kms:Decrypt', () => f.key],
  ])('may not %s', async (_name, action, target) => {
    await expectDenied({
      principal: OTHER_ACCOUNT_ROLE,
      action,
      resource: target().arn,
      resourcePolicy: target().policy,
      identityPolicies: selfGranted,
    });
  });
});

describe('as a subscription target', () => {
  test('SNS may deliver on behalf of the subscribed topic', async () => {
    await expectAllowed({
      principal: 'sns.amazonaws.com',
      action: 'sqs:SendMessage',
      resource: f.source.arn,
      resourcePolicy: f.source.policy,
      context: { 'aws:SourceArn': f.topicArn },
    });
  });

  test('SNS may not deliver on behalf of another topic', async () => {
    await expectDenied({
      principal: 'sns.amazonaws.com',
      action: 'sqs:SendMessage',
      resource: f.source.arn,
      resourcePolicy: f.source.policy,
      context: { 'aws:SourceArn': `arn:aws:sns:us-east-1:999999999999:Other` },
    });
  });
});
