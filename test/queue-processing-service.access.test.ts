import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
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
import { QueueProcessingService } from '../src/queue-processing-service';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

// Access proofs for the task role and the execution role: the synthesized identity, queue and key
// policies, evaluated offline. The cluster gets a fixed name so the task ARNs are realistic.
const ACCOUNT = '123456789012';
const CLUSTER = 'encoders-cluster';
const OTHER_CLUSTER = 'other-cluster';
const taskArn = (cluster: string, id = '0123456789abcdef0123456789abcdef', region = 'us-east-1', account = ACCOUNT) =>
  `arn:aws:ecs:${region}:${account}:task/${cluster}/${id}`;

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
  const repository = new ecr.Repository(stack, 'Images');
  const service = new QueueProcessingService(stack, 'Encoders', {
    queue: jobs,
    vpc,
    image: ecs.ContainerImage.fromEcrRepository(repository, 'v1'),
    acceptableLatency: Duration.minutes(20),
    processingTimePerMessage: Duration.minutes(2),
  });
  const template = Template.fromStack(stack).toJSON();
  const logGroupName: string = template.Resources[logicalId(service.logGroup)].Properties.LogGroupName;
  const logGroupArn = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${logGroupName}`;
  const parameterName: string = template.Resources[logicalId(service.queueUrlParameter)].Properties.Name;
  const opts = {
    physicalIds: {
      [logicalId(service.queueUrlParameter)]: parameterName,
      [`${logicalId(service.logGroup)}.Arn`]: `${logGroupArn}:*`,
      [logicalId(service.cluster)]: CLUSTER,
      [`${logicalId(repository)}.Arn`]: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/images`,
    },
  };
  const arn = (construct: IConstruct, attribute = 'Arn') =>
    resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(construct), attribute] }, template, opts);
  const queue = async (q: WorkQueue) => ({
    arn: await arn(q.queue),
    policy: await queuePolicyFor(template, logicalId(q.queue)),
    dlq: { arn: await arn(q.deadLetterQueue), policy: await queuePolicyFor(template, logicalId(q.deadLetterQueue)) },
    key: { arn: await arn(q.encryptionKey!), policy: await keyPolicyFor(template, logicalId(q.encryptionKey!)) },
  });
  const role = async (r: IConstruct) => ({
    arn: await arn(r),
    policies: await identityPoliciesFor(template, logicalId(r), opts),
  });
  return {
    task: await role(service.taskRole as unknown as IConstruct),
    execution: await role(service.executionRole as unknown as IConstruct),
    jobs: await queue(jobs),
    other: await queue(other),
    logStreamArn: `${logGroupArn}:log-stream:worker/Worker/0123456789abcdef`,
    otherLogStreamArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/ecs/someone-else:log-stream:worker/x`,
    parameterArn: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${parameterName}`,
    repositoryArn: await arn(repository),
  };
}

let f: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  f = await fixture();
});

function as(
  role: { arn: string; policies: object[] },
  action: string,
  target: { arn: string; policy?: object },
): AccessRequest {
  return {
    principal: role.arn,
    action,
    resource: target.arn,
    resourcePolicy: target.policy,
    identityPolicies: role.policies,
  };
}

/** Every SQS action (the IAM Service Authorization Reference, as the simulator's data has it). */
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

describe('the task role consumes its own queue', () => {
  test.each([...CONSUME, ...READ_QUEUE])('may %s on its queue', async (action) => {
    await expectAllowed(as(f.task, action, f.jobs));
  });

  test('may decrypt with its queue key, and not encrypt with it', async () => {
    await expectAllowed(as(f.task, 'kms:Decrypt', f.jobs.key));
    await expectDenied(as(f.task, 'kms:GenerateDataKey', f.jobs.key));
  });

  test('not without TLS', async () => {
    await expectDenied({ ...as(f.task, 'sqs:ReceiveMessage', f.jobs), context: { 'aws:SecureTransport': 'false' } });
  });
});

describe('and nothing else', () => {
  test.each(ALL_SQS_ACTIONS.filter((a) => ![...CONSUME, ...READ_QUEUE].includes(a)))(
    '%s is denied on its queue',
    async (action) => {
      await expectDenied(as(f.task, action, f.jobs));
    },
  );

  test.each(CONSUME)('may not %s on its dead-letter queue or another queue', async (action) => {
    await expectDenied(as(f.task, action, f.jobs.dlq));
    await expectDenied(as(f.task, action, f.other));
  });

  test("may not decrypt with another queue's key", async () => {
    await expectDenied(as(f.task, 'kms:Decrypt', f.other.key));
  });

  test('may not pull images, read the parameter or write the logs: those are the execution role', async () => {
    await expectDenied(as(f.task, 'ecr:BatchGetImage', { arn: f.repositoryArn }));
    await expectDenied(as(f.task, 'ssm:GetParameters', { arn: f.parameterArn }));
    await expectDenied(as(f.task, 'logs:PutLogEvents', { arn: f.logStreamArn }));
  });
});

describe('task scale-in protection', () => {
  test.each(['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'])(
    'may %s on a task of its own cluster',
    async (action) => {
      await expectAllowed(as(f.task, action, { arn: taskArn(CLUSTER) }));
    },
  );

  test.each([
    ['a task of another cluster', taskArn(OTHER_CLUSTER)],
    ['a task of a cluster whose name starts with its own', taskArn(`${CLUSTER}-copy`)],
    ['a task of its cluster name in another region', taskArn(CLUSTER, undefined, 'eu-west-1')],
    ['a task of its cluster name in another account', taskArn(CLUSTER, undefined, 'us-east-1', '999999999999')],
  ])('may not protect %s', async (_name, arn) => {
    await expectDenied(as(f.task, 'ecs:UpdateTaskProtection', { arn }));
  });

  test.each(['ecs:StopTask', 'ecs:UpdateService', 'ecs:RunTask', 'ecs:ExecuteCommand'])(
    'may not %s',
    async (action) => {
      const arn =
        action === 'ecs:UpdateService'
          ? `arn:aws:ecs:us-east-1:${ACCOUNT}:service/${CLUSTER}/workers`
          : taskArn(CLUSTER);
      await expectDenied(
        as(f.task, action, {
          arn: action === 'ecs:RunTask' ? `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/x:1` : arn,
        }),
      );
    },
  );
});

describe('the execution role', () => {
  test('may pull from its repository, read its parameter and write its log group', async () => {
    await expectAllowed(as(f.execution, 'ecr:BatchGetImage', { arn: f.repositoryArn }));
    await expectAllowed(as(f.execution, 'ecr:GetDownloadUrlForLayer', { arn: f.repositoryArn }));
    await expectAllowed(as(f.execution, 'ecr:GetAuthorizationToken', { arn: '*' }));
    await expectAllowed(as(f.execution, 'ssm:GetParameters', { arn: f.parameterArn }));
    await expectAllowed(as(f.execution, 'logs:PutLogEvents', { arn: f.logStreamArn }));
  });

  test('and no other repository, parameter, log group or queue', async () => {
    await expectDenied(
      as(f.execution, 'ecr:BatchGetImage', { arn: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/other` }),
    );
    await expectDenied(
      as(f.execution, 'ssm:GetParameters', { arn: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/db-password` }),
    );
    await expectDenied(as(f.execution, 'logs:PutLogEvents', { arn: f.otherLogStreamArn }));
    await expectDenied(as(f.execution, 'sqs:ReceiveMessage', f.jobs));
    await expectDenied(as(f.execution, 'ecr:PutImage', { arn: f.repositoryArn }));
  });
});
