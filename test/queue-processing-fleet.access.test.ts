import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
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
