import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import {
  AccessRequest,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  queuePolicyFor,
  resolveIntrinsics,
  simulateAccess,
  topicPolicyFor,
} from '../../harness/access';
import { logicalId } from '../../harness/app';

const OTHER_ROLE = 'arn:aws:iam::999999999999:role/Other';

async function buildFixture() {
  const stack = new Stack(new App(), 'Fixture');
  const queue = new sqs.Queue(stack, 'Queue', { enforceSSL: true });
  const topic = new sns.Topic(stack, 'Topic');
  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
    }),
  );
  const role = new iam.Role(stack, 'Consumer', { assumedBy: new iam.AccountRootPrincipal() });
  queue.grantConsumeMessages(role);

  const template = Template.fromStack(stack).toJSON();
  const ids = { queue: logicalId(queue), topic: logicalId(topic), role: logicalId(role) };
  return {
    template,
    queueArn: await resolveIntrinsics<string>({ 'Fn::GetAtt': [ids.queue, 'Arn'] }, template),
    topicArn: await resolveIntrinsics<string>({ Ref: ids.topic }, template),
    roleArn: await resolveIntrinsics<string>({ 'Fn::GetAtt': [ids.role, 'Arn'] }, template),
    queuePolicy: await queuePolicyFor(template, ids.queue),
    rolePolicies: await identityPoliciesFor(template, ids.role),
  };
}

describe('simulateAccess against a synthesized queue policy', () => {
  let f: Awaited<ReturnType<typeof buildFixture>>;
  beforeAll(async () => {
    f = await buildFixture();
  });
  const otherTopicArn = 'arn:aws:sns:us-east-1:123456789012:SomeoneElsesTopic';
  const fromSns = (sourceArn: string, context: Record<string, string> = {}): AccessRequest => ({
    principal: 'sns.amazonaws.com',
    action: 'sqs:SendMessage',
    resource: f.queueArn,
    context: { 'aws:SourceArn': sourceArn, ...context },
    resourcePolicy: f.queuePolicy,
  });
  const byRole = (action: string, context: Record<string, string> = {}): AccessRequest => ({
    principal: f.roleArn,
    action,
    resource: f.queueArn,
    context,
    resourcePolicy: f.queuePolicy,
    identityPolicies: f.rolePolicies,
  });
  // An outsider that grants itself everything: only the queue policy can stop it.
  const fromOtherAccount = (resourcePolicy: object): AccessRequest => ({
    principal: OTHER_ROLE,
    action: 'sqs:SendMessage',
    resource: f.queueArn,
    resourcePolicy,
    identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }],
  });

  test('fixture resolves to fake physical ids', () => {
    expect(f.queueArn).toMatch(/^arn:aws:sqs:us-east-1:123456789012:Queue[0-9A-F]{8}$/);
    expect(f.topicArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:Topic[0-9A-F]{8}$/);
    expect(JSON.stringify(f.queuePolicy)).not.toMatch(/Ref|Fn::/);
  });

  test('SNS delivering from the subscribed topic may SendMessage', async () => {
    const decision = await expectAllowed(fromSns(f.topicArn));
    expect(decision.decidingStatements).toEqual(['resource statement #2']);
  });

  test('SNS delivering from another topic, or without a source, is denied', async () => {
    expect((await expectDenied(fromSns(otherTopicArn))).result).toBe('ImplicitlyDenied');
    const noSource = { ...fromSns(f.topicArn), context: {} };
    expect((await expectDenied(noSource)).result).toBe('ImplicitlyDenied');
  });

  test.each([
    ['SNS SendMessage', () => fromSns(f.topicArn, { 'aws:SecureTransport': 'false' })],
    ['role ReceiveMessage', () => byRole('sqs:ReceiveMessage', { 'aws:SecureTransport': 'false' })],
  ])('non-TLS %s is explicitly denied', async (_, req) => {
    const decision = await expectDenied(req());
    expect(decision.result).toBe('ExplicitlyDenied');
    expect(decision.decidingStatements).toEqual(['resource statement #1 (explicit Deny)']);
  });

  test.each(['sqs:ReceiveMessage', 'sqs:DeleteMessage'])(
    'the consumer role may %s via its identity policy',
    async (a) => {
      const decision = await expectAllowed(byRole(a));
      expect(decision.sameAccount).toBe(true);
      expect(decision.decidingStatements).toEqual(['identity[0] statement #1']);
    },
  );

  test('the consumer role may not SendMessage', async () => {
    expect((await expectDenied(byRole('sqs:SendMessage'))).result).toBe('ImplicitlyDenied');
  });

  test('a principal in another account is denied even with sqs:* on its own side', async () => {
    const decision = await expectDenied(fromOtherAccount(f.queuePolicy));
    expect(decision.sameAccount).toBe(false);
    expect(decision.result).toBe('ImplicitlyDenied');
  });

  // Controls: weaken the policy and the same requests flip to Allowed, so the denials above come from the policy and
  // not from the simulator refusing the request.
  describe('controls', () => {
    let tlsDeny: any;
    let snsAllow: any;
    beforeAll(() => {
      [tlsDeny, snsAllow] = f.queuePolicy.Statement;
    });

    test('without the SourceArn condition another topic gets in', async () => {
      const { Condition: _, ...unconditioned } = snsAllow;
      const weakened = { ...f.queuePolicy, Statement: [tlsDeny, unconditioned] };
      await expectAllowed({ ...fromSns(otherTopicArn), resourcePolicy: weakened });
    });

    test('without the TLS deny a plain-HTTP receive gets in', async () => {
      const weakened = { ...f.queuePolicy, Statement: [snsAllow] };
      await expectAllowed({
        ...byRole('sqs:ReceiveMessage', { 'aws:SecureTransport': 'false' }),
        resourcePolicy: weakened,
      });
    });

    test('trusting the other account lets it in', async () => {
      const trust = { Effect: 'Allow', Principal: { AWS: '999999999999' }, Action: 'sqs:*', Resource: f.queueArn };
      await expectAllowed(fromOtherAccount({ ...f.queuePolicy, Statement: [...f.queuePolicy.Statement, trust] }));
    });
  });

  test('a wrong expectation fails with the request and the simulator reasoning', async () => {
    const req = fromSns(otherTopicArn, { 'aws:SecureTransport': 'false' });
    const error: Error = await expectAllowed(req).then(
      () => {
        throw new Error('expectAllowed should have thrown');
      },
      (e: Error) => e,
    );
    for (const part of [
      'sns.amazonaws.com',
      'sqs:SendMessage',
      f.queueArn,
      otherTopicArn,
      '"aws:SecureTransport":"false"',
    ]) {
      expect(error.message).toContain(part);
    }
    expect(error.message).toContain('ExplicitlyDenied');
    expect(error.message).toContain('resource statement #1 (explicit Deny)');
    expect(error.message).toContain(`no match on condition [ArnEquals aws:SourceArn ["${f.topicArn}"]]`);

    await expect(expectDenied(fromSns(f.topicArn))).rejects.toThrow(
      /Expected denied but got Allowed.*\n.*statement #2/,
    );
  });

  test('invalid input throws instead of reading as a deny', async () => {
    await expect(simulateAccess({ ...fromSns(f.topicArn), action: 'sqs:SendMesage' })).rejects.toThrow(/rejected/);
    await expect(simulateAccess({ ...fromSns(f.topicArn), context: { 'sqs:NotAKey': 'x' } })).rejects.toThrow(
      /ignored context keys sqs:NotAKey/,
    );
  });
});

describe('resolveIntrinsics', () => {
  test('a named queue ARN equals one built with formatArn from its name', async () => {
    const stack = new Stack(new App(), 'Named');
    const queue = new sqs.Queue(stack, 'Queue', { queueName: 'orders' });
    const template = Template.fromStack(stack).toJSON();
    const formatted = stack.resolve(stack.formatArn({ service: 'sqs', resource: 'orders' }));
    const opts = { account: '111122223333', region: 'eu-west-1' };
    expect(await resolveIntrinsics(stack.resolve(queue.queueArn), template, opts)).toBe(
      'arn:aws:sqs:eu-west-1:111122223333:orders',
    );
    expect(await resolveIntrinsics(formatted, template, opts)).toBe(
      await resolveIntrinsics(stack.resolve(queue.queueArn), template, opts),
    );
    expect(await resolveIntrinsics(stack.resolve(queue.queueUrl), template, opts)).toBe(
      'https://sqs.eu-west-1.amazonaws.com/111122223333/orders',
    );
    expect(await resolveIntrinsics(stack.resolve(queue.queueName), template, opts)).toBe('orders');
  });

  test('Sub, Join, pseudo parameters, string GetAtt and overrides', async () => {
    const template = { Resources: { Key: { Type: 'AWS::KMS::Key' }, Bucket: { Type: 'AWS::S3::Bucket' } } };
    const value = {
      a: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/${Name}-${!Literal}' },
      b: { 'Fn::Join': ['/', [{ 'Fn::GetAtt': 'Bucket.Arn' }, '*']] },
      c: [{ 'Fn::Sub': '${Key.Arn}' }, { Ref: 'Key' }, { 'Fn::Sub': ['${X}', { X: { Ref: 'AWS::URLSuffix' } }] }],
    };
    expect(await resolveIntrinsics(value, template, { physicalIds: { Name: 'n' } })).toEqual({
      a: 'arn:aws:kms:us-east-1:123456789012:alias/n-${Literal}',
      b: 'arn:aws:s3:::bucket/*',
      c: ['arn:aws:kms:us-east-1:123456789012:key/Key', 'Key', 'amazonaws.com'],
    });
    expect(await resolveIntrinsics({ Ref: 'Key' }, template, { physicalIds: { Key: 'abcd' } })).toBe('abcd');
  });

  test('what it cannot fake, it refuses', async () => {
    const template = { Resources: { Key: { Type: 'AWS::KMS::Key' } } };
    await expect(resolveIntrinsics({ 'Fn::ImportValue': 'x' }, template)).rejects.toThrow(
      /unsupported intrinsic Fn::ImportValue/,
    );
    await expect(resolveIntrinsics({ Ref: 'Missing' }, template)).rejects.toThrow(
      /Ref to Missing, which is neither a parameter nor a resource of the template/,
    );
    await expect(resolveIntrinsics({ 'Fn::GetAtt': ['Missing', 'Arn'] }, template)).rejects.toThrow(
      /no resource 'Missing'/,
    );
    await expect(resolveIntrinsics({ 'Fn::GetAtt': ['Key', 'Nope'] }, template)).rejects.toThrow(
      /physicalIds\['Key.Nope'\]/,
    );
  });
});

describe('policy finders', () => {
  const stack = new Stack(new App(), 'Finders');
  const key = new kms.Key(stack, 'Key');
  const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
  topic.grantPublish(new iam.AccountPrincipal('444455556666'));
  const role = new iam.Role(stack, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    inlinePolicies: {
      inline: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ actions: ['sqs:ListQueues'], resources: ['*'] })],
      }),
    },
  });
  topic.grantPublish(role);
  role.addManagedPolicy(
    new iam.ManagedPolicy(stack, 'Managed', {
      statements: [new iam.PolicyStatement({ actions: ['sns:GetTopicAttributes'], resources: [topic.topicArn] })],
    }),
  );
  const template = Template.fromStack(stack).toJSON();
  let topicArn: string;
  let keyArn: string;
  beforeAll(async () => {
    topicArn = await resolveIntrinsics<string>({ Ref: logicalId(topic) }, template);
    keyArn = await resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(key), 'Arn'] }, template);
  });

  test('topic policy lets the granted account publish, not others', async () => {
    const resourcePolicy = await topicPolicyFor(template, logicalId(topic));
    const req = { action: 'sns:Publish', resource: topicArn, resourcePolicy };
    const selfGrant = [{ Statement: [{ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }] }];
    await expectAllowed({ ...req, principal: 'arn:aws:iam::444455556666:role/R', identityPolicies: selfGrant });
    await expectDenied({ ...req, principal: OTHER_ROLE, identityPolicies: selfGrant });
  });

  test('key policy trusts its own account, so same-account identity grants work', async () => {
    const req = {
      action: 'kms:GenerateDataKey',
      resource: keyArn,
      resourcePolicy: await keyPolicyFor(template, logicalId(key)),
    };
    const roleArn = await resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(role), 'Arn'] }, template);
    const policies = await identityPoliciesFor(template, logicalId(role));
    await expectAllowed({ ...req, principal: roleArn, identityPolicies: policies });
    await expectDenied({ ...req, principal: roleArn });
    // KMS, unlike SQS, ignores same-account identity grants unless the key policy trusts the account.
    const untrusting = {
      Statement: [{ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'kms:*', Resource: '*' }],
    };
    const denied = await expectDenied({
      ...req,
      principal: roleArn,
      identityPolicies: policies,
      resourcePolicy: untrusting,
    });
    expect(denied.decidingStatements).toEqual(['resource: no statement allows (implicit deny)']);
    const noKeyPolicy = await expectDenied({
      ...req,
      principal: roleArn,
      identityPolicies: policies,
      resourcePolicy: undefined,
    });
    expect(noKeyPolicy.decidingStatements).toEqual([
      'no deciding statement (identity: Allowed, resource: NotApplicable, same account: true)',
    ]);
  });

  test('identity policies: inline, AWS::IAM::Policy and attached managed policies', async () => {
    const policies = await identityPoliciesFor(template, logicalId(role));
    expect(policies).toHaveLength(3);
    const req = { principal: 'arn:aws:iam::123456789012:role/x', identityPolicies: policies };
    await expectAllowed({ ...req, action: 'sqs:ListQueues', resource: '*' });
    await expectAllowed({ ...req, action: 'sns:GetTopicAttributes', resource: topicArn });
    await expectAllowed({ ...req, action: 'sns:Publish', resource: topicArn });
  });

  test('type mismatches are reported', async () => {
    await expect(queuePolicyFor(template, logicalId(topic))).rejects.toThrow(
      /is AWS::SNS::Topic, expected AWS::SQS::Queue/,
    );
  });
});
