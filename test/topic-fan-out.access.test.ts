import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import {
  AccessRequest,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  queuePolicyFor,
  resolveIntrinsics,
  topicPolicyFor,
} from '../harness/access';
import { logicalId, strictStack } from '../harness/app';
import { TopicFanOut } from '../src/topic-fan-out';
import { WorkQueueEncryption } from '../src/work-queue';

// Access proofs: the synthesized topic, queue and key policies of a fan-out, evaluated offline.
const ACCOUNT = '123456789012';
const PARTNER_ACCOUNT = '111122223333';
const OTHER_TOPIC = 'arn:aws:sns:us-east-1:123456789012:SomeoneElsesTopic';
const UPLOADS_BUCKET = 'arn:aws:s3:::order-uploads';
// Roles of other accounts grant themselves everything: without our policies trusting them, that is not enough.
const SELF_GRANTED = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }];

interface Target {
  arn: string;
  policy: object;
}

async function fixture() {
  const stack = strictStack();
  const fanOut = new TopicFanOut(stack, 'Orders');
  const fulfilment = fanOut.addQueue('Fulfilment');
  const audit = fanOut.addQueue('Audit', { encryption: WorkQueueEncryption.KMS });
  fanOut.allowServicePublish('s3.amazonaws.com', UPLOADS_BUCKET);
  fanOut.allowAccountPublish(PARTNER_ACCOUNT);
  const publisher = new iam.Role(stack, 'Publisher', {
    roleName: 'Publisher',
    assumedBy: new iam.AccountRootPrincipal(),
  });
  fanOut.grantPublish(publisher);
  const bystander = new iam.Role(stack, 'Bystander', {
    roleName: 'Bystander',
    assumedBy: new iam.AccountRootPrincipal(),
  });

  const template = Template.fromStack(stack).toJSON();
  const arn = (construct: IConstruct) =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] }, template);
  const queue = async (construct: IConstruct): Promise<Target> => ({
    arn: await arn(construct),
    policy: await queuePolicyFor(template, logicalId(construct)),
  });
  const key = async (construct: kms.IKey): Promise<Target> => ({
    arn: await arn(construct),
    policy: await keyPolicyFor(template, logicalId(construct)),
  });
  const topicArn = await resolveIntrinsics<string>({ Ref: logicalId(fanOut.topic) }, template);
  return {
    topicArn,
    topic: { arn: topicArn, policy: await topicPolicyFor(template, logicalId(fanOut.topic)) },
    topicKey: await key(fanOut.encryptionKey!),
    queues: {
      fulfilment: await queue(fulfilment.queue),
      audit: await queue(audit.queue),
      'shared subscription dead-letter': await queue(fanOut.subscriptionDeadLetterQueue!.queue),
    } as Record<string, Target>,
    keys: {
      "the KMS queue's": await key(audit.encryptionKey!),
      "the shared subscription dead-letter queue's": await key(fanOut.subscriptionDeadLetterQueue!.encryptionKey!),
    } as Record<string, Target>,
    publisher: {
      arn: `arn:aws:iam::${ACCOUNT}:role/Publisher`,
      policies: await identityPoliciesFor(template, logicalId(publisher)),
    },
    bystander: {
      arn: `arn:aws:iam::${ACCOUNT}:role/Bystander`,
      policies: await identityPoliciesFor(template, logicalId(bystander)),
    },
  };
}

let f: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  f = await fixture();
});

function asSns(action: string, target: Target, sourceArn: string): AccessRequest {
  return {
    principal: 'sns.amazonaws.com',
    action,
    resource: target.arn,
    resourcePolicy: target.policy,
    context: { 'aws:SourceArn': sourceArn },
  };
}

const QUEUES = ['fulfilment', 'audit', 'shared subscription dead-letter'];
const KEYS = ["the KMS queue's", "the shared subscription dead-letter queue's"];
const KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

describe('delivery to subscriber queues', () => {
  test.each(QUEUES)('SNS may send to the %s queue on behalf of this topic', async (name) => {
    await expectAllowed(asSns('sqs:SendMessage', f.queues[name], f.topicArn));
  });

  test.each(QUEUES)('SNS may not send to the %s queue on behalf of another topic', async (name) => {
    await expectDenied(asSns('sqs:SendMessage', f.queues[name], OTHER_TOPIC));
  });

  test.each(KEYS.flatMap((key) => KEY_ACTIONS.map((action) => [action, key])))(
    'SNS may %s with %s key for this topic, not for another',
    async (action, name) => {
      await expectAllowed(asSns(action, f.keys[name], f.topicArn));
      await expectDenied(asSns(action, f.keys[name], OTHER_TOPIC));
    },
  );

  test.each(KEYS)('SNS may not do anything else with %s key', async (name) => {
    await expectDenied(asSns('kms:ScheduleKeyDeletion', f.keys[name], f.topicArn));
    await expectDenied(asSns('kms:Encrypt', f.keys[name], f.topicArn));
  });

  test.each(KEYS)('a role of this account without a grant may not use %s key', async (name) => {
    await expectDenied({
      principal: f.bystander.arn,
      action: 'kms:Decrypt',
      resource: f.keys[name].arn,
      resourcePolicy: f.keys[name].policy,
      identityPolicies: f.bystander.policies,
    });
  });

  test.each(QUEUES)('a role of this account without a grant may not send to the %s queue', async (name) => {
    await expectDenied({
      principal: f.bystander.arn,
      action: 'sqs:SendMessage',
      resource: f.queues[name].arn,
      resourcePolicy: f.queues[name].policy,
      identityPolicies: f.bystander.policies,
    });
  });

  test.each(QUEUES)('SNS may not send to the %s queue without TLS', async (name) => {
    const decision = await expectDenied({
      ...asSns('sqs:SendMessage', f.queues[name], f.topicArn),
      context: { 'aws:SourceArn': f.topicArn, 'aws:SecureTransport': 'false' },
    });
    expect(decision.result).toBe('ExplicitlyDenied');
  });
});

describe('publishing', () => {
  const publish = (principal: string, identityPolicies: object[], context?: Record<string, string>): AccessRequest => ({
    principal,
    action: 'sns:Publish',
    resource: f.topic.arn,
    resourcePolicy: f.topic.policy,
    identityPolicies,
    context,
  });

  test('a role granted grantPublish may publish, and generate data keys with the topic key', async () => {
    await expectAllowed(publish(f.publisher.arn, f.publisher.policies));
    await expectAllowed({
      principal: f.publisher.arn,
      action: 'kms:GenerateDataKey',
      resource: f.topicKey.arn,
      resourcePolicy: f.topicKey.policy,
      identityPolicies: f.publisher.policies,
    });
  });

  test('publishing without TLS is denied, even for that role', async () => {
    const decision = await expectDenied(
      publish(f.publisher.arn, f.publisher.policies, { 'aws:SecureTransport': 'false' }),
    );
    expect(decision.result).toBe('ExplicitlyDenied');
  });

  test('a role of this account without a grant may not publish', async () => {
    await expectDenied(publish(f.bystander.arn, f.bystander.policies));
  });

  test('the allowed service may publish for its source bucket in this account', async () => {
    await expectAllowed(
      publish('s3.amazonaws.com', [], { 'aws:SourceArn': UPLOADS_BUCKET, 'aws:SourceAccount': ACCOUNT }),
    );
  });

  test.each([
    ['for another bucket', { 'aws:SourceArn': 'arn:aws:s3:::someone-elses', 'aws:SourceAccount': ACCOUNT }],
    [
      'for its bucket name owned by another account',
      { 'aws:SourceArn': UPLOADS_BUCKET, 'aws:SourceAccount': '999999999999' },
    ],
  ])('the allowed service may not publish %s', async (_name, context) => {
    await expectDenied(publish('s3.amazonaws.com', [], context));
  });

  test('another service may not publish', async () => {
    await expectDenied(
      publish('events.amazonaws.com', [], { 'aws:SourceArn': UPLOADS_BUCKET, 'aws:SourceAccount': ACCOUNT }),
    );
  });

  test("the allowed service may use the topic's key for its source only", async () => {
    const request = (sourceArn: string): AccessRequest => ({
      principal: 's3.amazonaws.com',
      action: 'kms:GenerateDataKey',
      resource: f.topicKey.arn,
      resourcePolicy: f.topicKey.policy,
      context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT },
    });
    await expectAllowed(request(UPLOADS_BUCKET));
    await expectDenied(request('arn:aws:s3:::someone-elses'));
  });

  test('the allowed account may publish', async () => {
    await expectAllowed(publish(`arn:aws:iam::${PARTNER_ACCOUNT}:role/OrderService`, SELF_GRANTED));
  });

  test("the allowed account may use the topic's key through SNS only", async () => {
    const request = (context: Record<string, string>): AccessRequest => ({
      principal: `arn:aws:iam::${PARTNER_ACCOUNT}:role/OrderService`,
      action: 'kms:GenerateDataKey',
      resource: f.topicKey.arn,
      resourcePolicy: f.topicKey.policy,
      identityPolicies: SELF_GRANTED,
      context,
    });
    await expectAllowed(request({ 'kms:ViaService': 'sns.us-east-1.amazonaws.com' }));
    await expectDenied(request({ 'kms:ViaService': 's3.us-east-1.amazonaws.com' }));
  });

  test('an account that was not allowed may not publish, nor use the key', async () => {
    await expectDenied(publish('arn:aws:iam::999999999999:role/Intruder', SELF_GRANTED));
    await expectDenied({
      principal: 'arn:aws:iam::999999999999:role/Intruder',
      action: 'kms:GenerateDataKey',
      resource: f.topicKey.arn,
      resourcePolicy: f.topicKey.policy,
      identityPolicies: SELF_GRANTED,
      context: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' },
    });
  });
});
