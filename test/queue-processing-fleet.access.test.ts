import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
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
import { QueueProcessingFleet } from '../src/queue-processing-fleet';
import { StackAlarmTopic } from '../src/stack-alarm-topic';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

// Access proofs for the workers' instance role: the synthesized identity, queue and key policies,
// evaluated offline.
const ACCOUNT = '123456789012';
const GROUP_UUID = '0a1b2c3d-1111-2222-3333-444455556666';
const AUTO_SCALING_SERVICE_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;

async function fixture() {
  const stack = strictStack();
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
  });
  const jobs = new WorkQueue(stack, 'Jobs', {
    encryption: WorkQueueEncryption.KMS,
    visibilityTimeout: Duration.minutes(15),
  });
  const other = new WorkQueue(stack, 'Other', { encryption: WorkQueueEncryption.KMS });
  const fleet = new QueueProcessingFleet(stack, 'Encoders', {
    queue: jobs,
    vpc,
    acceptableLatency: Duration.minutes(20),
    processingTimePerMessage: Duration.minutes(2),
  });

  const template = Template.fromStack(stack).toJSON();
  const arn = (construct: IConstruct) =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] }, template);
  const queue = async (q: WorkQueue) => ({
    arn: await arn(q.queue),
    policy: await queuePolicyFor(template, logicalId(q.queue)),
    dlq: { arn: await arn(q.deadLetterQueue), policy: await queuePolicyFor(template, logicalId(q.deadLetterQueue)) },
    key: { arn: await arn(q.encryptionKey!), policy: await keyPolicyFor(template, logicalId(q.encryptionKey!)) },
  });
  const alarmKey = StackAlarmTopic.of(stack).encryptionKey;
  return {
    groupName: fleet.autoScalingGroupName,
    worker: { arn: await arn(fleet.role), policies: await identityPoliciesFor(template, logicalId(fleet.role)) },
    jobs: await queue(jobs),
    other: await queue(other),
    alarmKey: { arn: await arn(alarmKey), policy: await keyPolicyFor(template, logicalId(alarmKey)) },
  };
}

let f: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  f = await fixture();
});

const groupArn = (name: string, region = 'us-east-1') =>
  `arn:aws:autoscaling:${region}:${ACCOUNT}:autoScalingGroup:${GROUP_UUID}:autoScalingGroupName/${name}`;

/** A request by the workers' role, with its identity policies, against a resource and its policy. */
function asWorker(action: string, target: { arn: string; policy?: object }): AccessRequest {
  return {
    principal: f.worker.arn,
    action,
    resource: target.arn,
    resourcePolicy: target.policy,
    identityPolicies: f.worker.policies,
  };
}

/**
 * Every SQS action in the IAM Service Authorization Reference (as the simulator's reference data has
 * it); ListQueues is the only one without a queue resource.
 */
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

const CONSUME = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];
const READ_QUEUE = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];

describe('the workers consume their queue', () => {
  test.each([...CONSUME, ...READ_QUEUE])('may %s on their queue', async (action) => {
    await expectAllowed(asWorker(action, f.jobs));
  });

  test('may decrypt with their queue key', async () => {
    await expectAllowed(asWorker('kms:Decrypt', f.jobs.key));
  });

  test('may not encrypt with it (they never send)', async () => {
    await expectDenied(asWorker('kms:GenerateDataKey', f.jobs.key));
  });

  test('not even the workers may consume without TLS', async () => {
    await expectDenied({ ...asWorker('sqs:ReceiveMessage', f.jobs), context: { 'aws:SecureTransport': 'false' } });
  });
});

describe('and nothing else of SQS', () => {
  const others = ALL_SQS_ACTIONS.filter((action) => ![...CONSUME, ...READ_QUEUE].includes(action));

  test.each(others)('%s is denied (on their queue; ListQueues has no resource)', async (action) => {
    await expectDenied(asWorker(action, action === 'sqs:ListQueues' ? { arn: '*' } : f.jobs));
  });

  test.each(CONSUME)('may not %s on their dead-letter queue', async (action) => {
    await expectDenied(asWorker(action, f.jobs.dlq));
  });

  test.each(CONSUME)('may not %s on another queue of the stack', async (action) => {
    await expectDenied(asWorker(action, f.other));
  });

  test("may not decrypt with another queue's key", async () => {
    await expectDenied(asWorker('kms:Decrypt', f.other.key));
  });
});

describe('scale-in protection', () => {
  test('the workers may protect instances of their own group', async () => {
    await expectAllowed(asWorker('autoscaling:SetInstanceProtection', { arn: groupArn(f.groupName) }));
  });

  test.each([
    ['another group', () => groupArn('Stack-Other-12345678')],
    ['a group whose name starts with theirs', () => groupArn(`${f.groupName}-copy`)],
    ['their group name in another region', () => groupArn(f.groupName, 'eu-west-1')],
  ])('may not protect instances of %s', async (_name, arn) => {
    await expectDenied(asWorker('autoscaling:SetInstanceProtection', { arn: arn() }));
  });

  test.each([
    'autoscaling:SetDesiredCapacity',
    'autoscaling:TerminateInstanceInAutoScalingGroup',
    'autoscaling:UpdateAutoScalingGroup',
  ])('may not %s on their own group', async (action) => {
    await expectDenied(asWorker(action, { arn: groupArn(f.groupName) }));
  });
});

describe('Session Manager', () => {
  test.each(['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ssmmessages:OpenDataChannel'])(
    'the agent may %s',
    async (action) => {
      await expectAllowed(asWorker(action, { arn: '*' }));
    },
  );

  test.each([
    [
      'run commands on other instances',
      'ssm:SendCommand',
      `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`,
    ],
    ['read parameters', 'ssm:GetParameter', `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/db-password`],
    ['start sessions itself', 'ssm:StartSession', `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`],
  ])('the workers may not %s', async (_name, action, arn) => {
    await expectDenied(asWorker(action, { arn }));
  });
});

describe("the alarm topic's key", () => {
  test("EC2 Auto Scaling's service-linked role may encrypt the group's notifications", async () => {
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      await expectAllowed({
        principal: AUTO_SCALING_SERVICE_ROLE,
        action,
        resource: f.alarmKey.arn,
        resourcePolicy: f.alarmKey.policy,
        context: { 'aws:PrincipalArn': AUTO_SCALING_SERVICE_ROLE },
      });
    }
  });

  test('the same role name in another account may not', async () => {
    const foreign = AUTO_SCALING_SERVICE_ROLE.replace(ACCOUNT, '999999999999');
    await expectDenied({
      principal: foreign,
      context: { 'aws:PrincipalArn': foreign },
      action: 'kms:GenerateDataKey',
      resource: f.alarmKey.arn,
      resourcePolicy: f.alarmKey.policy,
      identityPolicies: [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }],
    });
  });

  test('the workers may not use it', async () => {
    await expectDenied({
      ...asWorker('kms:GenerateDataKey', f.alarmKey),
      context: { 'aws:PrincipalArn': f.worker.arn },
    });
  });

  test('the service-linked role may not administer it', async () => {
    await expectDenied({
      principal: AUTO_SCALING_SERVICE_ROLE,
      action: 'kms:PutKeyPolicy',
      resource: f.alarmKey.arn,
      resourcePolicy: f.alarmKey.policy,
      context: { 'aws:PrincipalArn': AUTO_SCALING_SERVICE_ROLE },
    });
  });
});

/**
 * The same proofs for queues that are not WorkQueues: an sqs.Queue of the app with its own key, whose
 * consume grant is aws-cdk-lib's, and an imported queue with an imported key (identity policies only:
 * its queue and key policies are not in this template).
 */
describe('on a queue that is not a WorkQueue', () => {
  const IMPORTED_QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:render-jobs`;
  const IMPORTED_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  /** The imported key's policy, assumed to be KMS's default: the account's IAM policies decide. */
  const DEFAULT_KEY_POLICY = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    ],
  };
  const importedKey = { arn: IMPORTED_KEY, policy: DEFAULT_KEY_POLICY };
  let g: Awaited<ReturnType<typeof otherQueues>>;

  async function otherQueues() {
    const stack = strictStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      availabilityZones: ['us-east-1a'],
      privateSubnetIds: ['subnet-0a1b2c3d4e5f60711'],
      privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711'],
    });
    const key = new kms.Key(stack, 'JobsKey', { enableKeyRotation: true });
    const plain = new sqs.Queue(stack, 'Plain', { encryptionMasterKey: key, enforceSSL: true });
    const neighbour = new sqs.Queue(stack, 'Neighbour', { encryptionMasterKey: key, enforceSSL: true });
    const imported = sqs.Queue.fromQueueAttributes(stack, 'Imported', {
      queueArn: IMPORTED_QUEUE,
      keyArn: IMPORTED_KEY,
    });
    const onPlain = new QueueProcessingFleet(stack, 'OnPlain', { queue: plain, vpc, backlogPerInstanceTarget: 5 });
    const onImported = new QueueProcessingFleet(stack, 'OnImported', {
      queue: imported,
      vpc,
      backlogPerInstanceTarget: 5,
    });
    const template = Template.fromStack(stack).toJSON();
    const arn = (construct: IConstruct) =>
      resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] }, template);
    const role = async (fleet: QueueProcessingFleet) => ({
      arn: await arn(fleet.role),
      policies: await identityPoliciesFor(template, logicalId(fleet.role)),
    });
    return {
      plain: { arn: await arn(plain), policy: await queuePolicyFor(template, logicalId(plain)) },
      neighbour: { arn: await arn(neighbour), policy: await queuePolicyFor(template, logicalId(neighbour)) },
      key: { arn: await arn(key), policy: await keyPolicyFor(template, logicalId(key)) },
      onPlain: await role(onPlain),
      onImported: await role(onImported),
    };
  }

  beforeAll(async () => {
    g = await otherQueues();
  });

  const as = (
    worker: { arn: string; policies: object[] },
    action: string,
    target: { arn: string; policy?: object },
  ) => ({
    principal: worker.arn,
    action,
    resource: target.arn,
    resourcePolicy: target.policy,
    identityPolicies: worker.policies,
  });
  const others = ALL_SQS_ACTIONS.filter(
    (action) => ![...CONSUME, ...READ_QUEUE].includes(action) && action !== 'sqs:ListQueues',
  );

  describe('an sqs.Queue of the app', () => {
    test.each([...CONSUME, ...READ_QUEUE])('may %s', async (action) => {
      await expectAllowed(as(g.onPlain, action, g.plain));
    });

    test.each(others)('%s is denied', async (action) => {
      await expectDenied(as(g.onPlain, action, g.plain));
    });

    test('may decrypt with its key, not encrypt', async () => {
      await expectAllowed(as(g.onPlain, 'kms:Decrypt', g.key));
      await expectDenied(as(g.onPlain, 'kms:GenerateDataKey', g.key));
    });

    test('may not consume another queue, even one with the same key', async () => {
      await expectDenied(as(g.onPlain, 'sqs:ReceiveMessage', g.neighbour));
    });
  });

  describe('an imported queue', () => {
    test.each([...CONSUME, ...READ_QUEUE])('may %s', async (action) => {
      await expectAllowed(as(g.onImported, action, { arn: IMPORTED_QUEUE }));
    });

    test.each(others)('%s is denied', async (action) => {
      await expectDenied(as(g.onImported, action, { arn: IMPORTED_QUEUE }));
    });

    test('may decrypt with its key, not encrypt', async () => {
      await expectAllowed(as(g.onImported, 'kms:Decrypt', importedKey));
      await expectDenied(as(g.onImported, 'kms:GenerateDataKey', importedKey));
    });

    test('may not consume the queue of the other fleet', async () => {
      await expectDenied(as(g.onImported, 'sqs:ReceiveMessage', g.plain));
    });
  });
});
