import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { PutRecordCommand } from '@aws-sdk/client-firehose';
import { DescribeKeyCommand, GetKeyPolicyCommand } from '@aws-sdk/client-kms';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  PublishCommand,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { App, AppProps, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import {
  DeployedStack,
  deployStack,
  fillGapsAfterCliDeploy,
  LocalAws,
  prepareTemplateForMoto,
  startLocalAws,
  UNFILLED_RESOURCE_TYPES,
} from '../../../harness/local-aws';
import { httpRequest } from '../../../harness/local-aws/http';
import { REMOVED_METADATA_KEY } from '../../../harness/local-aws/prepare-template';
import { CfnTemplate } from '../../../harness/resolve-intrinsics';

const execFileAsync = promisify(execFile);
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

// The first run creates the moto venv (about 30 s with a warm pip cache, minutes without).
jest.setTimeout(300_000);

/** A plain aws-cdk-lib stack with what the harness must make behave: queue policy, subscription, key. */
function harnessStack(stackName: string, appProps: AppProps = {}): { app: App; stack: Stack } {
  // analyticsReporting adds AWS::CDK::Metadata under a Condition, as a CLI synth does.
  const app = new App({ analyticsReporting: true, ...appProps });
  const stack = new Stack(app, stackName);
  const jobs = new Construct(stack, 'Jobs');
  const deadLetterQueue = new sqs.Queue(jobs, 'DeadLetterQueue');
  const queue = new sqs.Queue(jobs, 'Queue', {
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 3 },
  });
  new sqs.Queue(stack, 'Orders', { fifo: true, queueName: `${stackName.toLowerCase()}-orders.fifo` });
  const topic = new sns.Topic(stack, 'Topic');
  topic.addSubscription(
    new subscriptions.SqsSubscription(queue, {
      rawMessageDelivery: true,
      filterPolicy: { color: sns.SubscriptionFilter.stringFilter({ allowlist: ['red'] }) },
    }),
  );
  new kms.Key(stack, 'Key');
  // moto's CloudFormation skips alarms, and local-aws deliberately does not re-create them.
  queue
    .metricApproximateNumberOfMessagesVisible()
    .createAlarm(stack, 'Backlog', { threshold: 100, evaluationPeriods: 1 });
  new CfnOutput(stack, 'QueueUrl', { value: queue.queueUrl });
  return { app, stack };
}

function isAnswering(endpoint: string): Promise<boolean> {
  return httpRequest('GET', `${endpoint}/moto-api/`, 1_000).then(
    (res) => res.status === 200,
    () => false,
  );
}

async function waitUntilSilent(endpoint: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isAnswering(endpoint))) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

async function receiveAll(local: LocalAws, queueUrl: string): Promise<string[]> {
  const { Messages } = await local
    .sqs()
    .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
  return (Messages ?? []).map((m) => m.Body ?? '');
}

describe('startLocalAws', () => {
  test('two servers listen on different ports, and stop() kills the process', async () => {
    const [first, second] = await Promise.all([startLocalAws(), startLocalAws()]);
    try {
      expect(first.port).not.toEqual(second.port);
      expect(first.endpoint).toEqual(`http://localhost:${first.port}`);
      expect(await isAnswering(first.endpoint)).toBe(true);
      expect(await isAnswering(second.endpoint)).toBe(true);

      await first.stop();
      await first.stop(); // idempotent

      expect(first.running).toBe(false);
      expect(await isAnswering(first.endpoint)).toBe(false);
      expect(await isAnswering(second.endpoint)).toBe(true);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    expect(await isAnswering(second.endpoint)).toBe(false);
  });

  test('env() points child processes at the server', async () => {
    const local = await startLocalAws();
    try {
      expect(local.env()).toEqual({
        AWS_ENDPOINT_URL: local.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_DEFAULT_REGION: 'us-east-1',
      });
    } finally {
      await local.stop();
    }
  });

  test('moto dies with the Node process that started it, even on SIGKILL', async () => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(__dirname, 'fixtures', 'start-and-wait.ts')],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const started = await new Promise<{ endpoint: string }>((resolve, reject) => {
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('\n')) {
            resolve(JSON.parse(stdout.split('\n')[0]));
          }
        });
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('exit', (code) => reject(new Error(`fixture exited with ${code}: ${stderr}`)));
      });
      expect(await isAnswering(started.endpoint)).toBe(true);

      child.kill('SIGKILL');

      expect(await waitUntilSilent(started.endpoint, 15_000)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('deployStack', () => {
  let local: LocalAws;
  let deployed: DeployedStack;

  beforeAll(async () => {
    local = await startLocalAws();
    deployed = await deployStack(local, harnessStack('HarnessStack').stack);
  });

  afterAll(async () => {
    await deployed?.destroy();
    await local?.stop();
  });

  test('the stack is CREATE_COMPLETE and its outputs are returned', async () => {
    const { Stacks } = await local.cloudformation().send(new DescribeStacksCommand({ StackName: 'HarnessStack' }));

    expect(Stacks?.[0]?.StackStatus).toEqual('CREATE_COMPLETE');
    expect(deployed.outputs.QueueUrl).toEqual(deployed.byPath('HarnessStack/Jobs/Queue'));
  });

  test('byPath finds the dead-letter queue by L2 or L1 construct path', async () => {
    const dlqUrl = deployed.byPath('HarnessStack/Jobs/DeadLetterQueue');

    expect(deployed.byPath('HarnessStack/Jobs/DeadLetterQueue/Resource')).toEqual(dlqUrl);
    const dlq = await local
      .sqs()
      .send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
    const queue = await local.sqs().send(
      new GetQueueAttributesCommand({
        QueueUrl: deployed.byPath('HarnessStack/Jobs/Queue'),
        AttributeNames: ['RedrivePolicy'],
      }),
    );
    expect(JSON.parse(queue.Attributes!.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: dlq.Attributes!.QueueArn,
      maxReceiveCount: 3,
    });
    expect(deployed.byPath('HarnessStack/Orders')).toMatch(/\/harnessstack-orders\.fifo$/);
    expect(() => deployed.byPath('HarnessStack/Nope')).toThrow(/no resource at HarnessStack\/Nope/);
  });

  test('the subscription exists with its raw delivery and filter policy', async () => {
    const topicArn = deployed.byPath('HarnessStack/Topic');
    const queueArn = (
      await local.sqs().send(
        new GetQueueAttributesCommand({
          QueueUrl: deployed.byPath('HarnessStack/Jobs/Queue'),
          AttributeNames: ['QueueArn'],
        }),
      )
    ).Attributes!.QueueArn;

    const { Subscriptions } = await local.sns().send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));

    expect(Subscriptions).toHaveLength(1);
    expect(Subscriptions![0]).toMatchObject({ Protocol: 'sqs', Endpoint: queueArn, TopicArn: topicArn });
    const { Attributes } = await local
      .sns()
      .send(new GetSubscriptionAttributesCommand({ SubscriptionArn: Subscriptions![0].SubscriptionArn }));
    expect(Attributes?.RawMessageDelivery).toEqual('true');
    expect(JSON.parse(Attributes!.FilterPolicy!)).toEqual({ color: ['red'] });
  });

  test('a matching message arrives raw in the queue, a filtered-out one does not', async () => {
    const topicArn = deployed.byPath('HarnessStack/Topic');
    const publish = (message: string, color: string) =>
      local.sns().send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: message,
          MessageAttributes: { color: { DataType: 'String', StringValue: color } },
        }),
      );

    await publish('blue order', 'blue');
    await publish('red order', 'red');

    expect(await receiveAll(local, deployed.byPath('HarnessStack/Jobs/Queue'))).toEqual(['red order']);
  });

  test('the queue policy is set, with the topic ARN resolved', async () => {
    const topicArn = deployed.byPath('HarnessStack/Topic');
    const { Attributes } = await local.sqs().send(
      new GetQueueAttributesCommand({
        QueueUrl: deployed.byPath('HarnessStack/Jobs/Queue'),
        AttributeNames: ['Policy'],
      }),
    );

    const policy = JSON.parse(Attributes!.Policy!);
    expect(policy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
        }),
      ]),
    );
  });

  test('DescribeKey works and the key policy names the account root', async () => {
    const keyId = deployed.byPath('HarnessStack/Key');

    const { KeyMetadata } = await local.kms().send(new DescribeKeyCommand({ KeyId: keyId }));
    const { Policy } = await local.kms().send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }));

    expect(KeyMetadata?.KeyId).toEqual(keyId);
    expect(JSON.parse(Policy!).Statement[0].Principal).toEqual({ AWS: 'arn:aws:iam::123456789012:root' });
  });

  test('the gap report lists what was filled and what was not, with reasons', () => {
    const filledTypes = deployed.gaps.filled.map((g) => g.type).sort();
    expect(filledTypes).toEqual(['AWS::KMS::Key', 'AWS::SNS::Subscription', 'AWS::SQS::QueuePolicy']);
    expect(deployed.gaps.unfilled).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'AWS::CloudWatch::Alarm',
          reason: UNFILLED_RESOURCE_TYPES['AWS::CloudWatch::Alarm'],
          failed: false,
        }),
        expect.objectContaining({ type: 'AWS::CDK::Metadata', failed: false }),
      ]),
    );
    expect(deployed.gaps.unfilled).toHaveLength(2);
    const alarm = deployed.resources.find((r) => r.type === 'AWS::CloudWatch::Alarm')!;
    expect(() => deployed.physicalId(alarm.logicalId)).toThrow(/does not exist in moto: moto never evaluates alarms/);
  });

  test('destroy() deletes the stack and the re-created subscription', async () => {
    await deployed.destroy();

    const { Subscriptions } = await local.sns().send(new ListSubscriptionsCommand({}));
    expect(Subscriptions ?? []).toEqual([]);
    const stacks = await local
      .cloudformation()
      .send(new DescribeStacksCommand({ StackName: deployed.stackId }))
      .then(
        (res) => res.Stacks ?? [],
        () => [],
      );
    expect(stacks.map((s) => s.StackStatus)).not.toContain('CREATE_COMPLETE');
  });
});

describe('deployStack failures', () => {
  let local: LocalAws;

  beforeAll(async () => {
    local = await startLocalAws();
  });

  afterAll(async () => {
    await local?.stop();
  });

  test('a failed deploy throws with the reason and resets moto, so the next deploy works', async () => {
    const app = new App();
    const broken = new Stack(app, 'Broken');
    // moto rejects a FIFO queue without an explicit .fifo name; CloudFormation would generate one.
    new sqs.Queue(broken, 'Fifo', { fifo: true });

    await expect(deployStack(local, broken)).rejects.toThrow(/Deploying Broken into moto failed[\s\S]*fifo/i);

    const next = await deployStack(local, harnessStack('AfterFailure').stack);
    expect(next.gaps.filled.length).toBeGreaterThan(0);
    await next.destroy();
  });
});

describe('deployStack with a Firehose delivery stream', () => {
  let local: LocalAws;

  beforeAll(async () => {
    local = await startLocalAws();
  });

  afterAll(async () => {
    await local?.stop();
  });

  test('a grant on the skipped delivery stream deploys, and the re-created stream writes to S3', async () => {
    const app = new App();
    const stack = new Stack(app, 'Delivery');
    Validations.of(stack).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason: "aws-cdk-lib's DeliveryStream adds a CIDR-block mapping it does not use for an S3 destination",
    });
    const bucket = new s3.Bucket(stack, 'Bucket');
    const deliveryStream = new firehose.DeliveryStream(stack, 'Stream', { destination: new firehose.S3Bucket(bucket) });
    // The grant's IAM policy uses Fn::GetAtt on the delivery stream, which alone would fail the stack in moto.
    deliveryStream.grantPutRecords(new iam.Role(stack, 'Producer', { assumedBy: new iam.AccountRootPrincipal() }));

    const deployed = await deployStack(local, stack);

    const streamName = deployed.byPath('Delivery/Stream');
    expect(deployed.gaps.rewrittenReferences).toEqual([
      expect.objectContaining({
        value: `arn:aws:firehose:us-east-1:123456789012:deliverystream/${streamName}`,
        exact: true,
      }),
    ]);
    expect(deployed.gaps.filled.map((g) => g.type)).toContain('AWS::KinesisFirehose::DeliveryStream');
    await local
      .firehose()
      .send(new PutRecordCommand({ DeliveryStreamName: streamName, Record: { Data: Buffer.from('order 1') } }));
    const bucketName = deployed.byPath('Delivery/Bucket');
    const { Contents } = await local.s3().send(new ListObjectsV2Command({ Bucket: bucketName }));
    expect(Contents).toHaveLength(1);
    const object = await local.s3().send(new GetObjectCommand({ Bucket: bucketName, Key: Contents![0].Key }));
    expect(await object.Body?.transformToString()).toEqual('order 1');
    await deployed.destroy();
  });
});

describe('prepareTemplateForMoto', () => {
  const ENV = { region: 'us-east-1', account: '123456789012' };
  const arnOf = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });
  const template: CfnTemplate = {
    Resources: {
      // Two custom resources share a provider; a third has one whose role an IAM policy also uses.
      First: { Type: 'Custom::First', Properties: { ServiceToken: arnOf('Handler') } },
      Second: { Type: 'AWS::CloudFormation::CustomResource', Properties: { ServiceToken: arnOf('Handler') } },
      Handler: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: arnOf('HandlerRole') },
        DependsOn: ['HandlerRole'],
      },
      HandlerRole: { Type: 'AWS::IAM::Role', Properties: {} },
      Third: { Type: 'Custom::Third', Properties: { ServiceToken: arnOf('Other') } },
      Other: { Type: 'AWS::Lambda::Function', Properties: { Role: arnOf('OtherRole') } },
      OtherRole: { Type: 'AWS::IAM::Role', Properties: {} },
      OtherPolicy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'OtherRole' }] } },
      Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: { QueueName: { 'Fn::GetAtt': ['First', 'Name'] } },
        DependsOn: ['First', 'Topic'],
      },
    },
    Outputs: { FirstName: { Value: { Ref: 'First' } }, TopicArn: { Value: { Ref: 'Topic' } } },
  };

  test('leaves out custom resources and the providers only they use, and what refers to them', () => {
    const prepared = prepareTemplateForMoto(template, 'Stack', ENV);

    const removed = Object.fromEntries(prepared.removed.map((r) => [r.logicalId, r]));
    expect(Object.keys(removed).sort()).toEqual(['First', 'Handler', 'HandlerRole', 'Other', 'Second', 'Third']);
    expect(removed.Second.reason).toEqual(UNFILLED_RESOURCE_TYPES['AWS::CloudFormation::CustomResource']);
    expect(removed.First.reason).toMatch(/^A custom resource: moto's CloudFormation would invoke the Lambda function/);
    expect(removed.Handler.reason).toMatch(/behind the custom resource First, Second \(its ServiceToken\)/);
    expect(removed.HandlerRole.reason).toMatch(/execution role of Handler/);
    const resources = prepared.template.Resources!;
    expect(Object.keys(resources).sort()).toEqual(['OtherPolicy', 'OtherRole', 'Queue', 'Topic']);
    expect(resources.Queue.DependsOn).toEqual(['Topic']);
    expect(resources.Queue.Properties).toEqual({ QueueName: 'local-aws-not-created-First-Name' });
    expect(prepared.rewritten).toEqual([
      { in: 'Queue', reference: 'Fn::GetAtt First.Name', value: 'local-aws-not-created-First-Name', exact: false },
    ]);
    expect(Object.keys(prepared.template.Outputs!)).toEqual(['TopicArn']);
    expect(prepared.removedOutputs).toEqual([{ key: 'FirstName', reason: expect.stringContaining('refers to First') }]);
    expect(template.Resources!.First).toBeDefined(); // The input is not changed.
  });

  test('a prepared template records what was left out, so preparing it again changes nothing', () => {
    const prepared = prepareTemplateForMoto(template, 'Stack', ENV);
    expect((prepared.template as { Metadata?: Record<string, unknown> }).Metadata?.[REMOVED_METADATA_KEY]).toEqual({
      resources: prepared.removed,
      outputs: prepared.removedOutputs,
    });

    const again = prepareTemplateForMoto(JSON.parse(JSON.stringify(prepared.template)), 'Stack', ENV);

    expect(again.template).toEqual(prepared.template);
    expect(again.removed).toEqual(prepared.removed);
    expect(again.removedOutputs).toEqual(prepared.removedOutputs);
    expect(again.rewritten).toEqual([]);
  });
});

describe('deployStack with a Lambda-backed custom resource', () => {
  let local: LocalAws;

  beforeAll(async () => {
    local = await startLocalAws();
  });

  afterAll(async () => {
    await local?.stop();
  });

  test('a VPC that closes its default security group deploys; the custom resource and its provider are gaps', async () => {
    const app = new App();
    const stack = new Stack(app, 'Network');
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      restrictDefaultSecurityGroup: true,
    });
    new CfnOutput(stack, 'VpcId', { value: vpc.vpcId });
    const synthesized = Template.fromStack(stack);
    const [customResource] = Object.keys(synthesized.findResources('Custom::VpcRestrictDefaultSG'));
    const [handler] = Object.keys(synthesized.findResources('AWS::Lambda::Function'));
    const [role] = Object.keys(synthesized.findResources('AWS::IAM::Role'));
    expect([customResource, handler, role].every((id) => id !== undefined)).toBe(true);

    const deployed = await deployStack(local, stack);

    expect(deployed.outputs.VpcId).toEqual(deployed.byPath('Network/Vpc'));
    expect(deployed.outputs.VpcId).toMatch(/^vpc-/);
    expect(deployed.gaps.unfilled).toEqual([
      {
        logicalId: customResource,
        type: 'Custom::VpcRestrictDefaultSG',
        reason: UNFILLED_RESOURCE_TYPES['Custom::VpcRestrictDefaultSG'],
        failed: false,
      },
      {
        logicalId: handler,
        type: 'AWS::Lambda::Function',
        reason: expect.stringContaining(`behind the custom resource ${customResource}`),
        failed: false,
      },
      {
        logicalId: role,
        type: 'AWS::IAM::Role',
        reason: expect.stringContaining(`execution role of ${handler}`),
        failed: false,
      },
    ]);
    expect(deployed.gaps.removedOutputs).toEqual([]);
    expect(() => deployed.physicalId(customResource)).toThrow(/does not exist in moto: aws-cdk-lib's Lambda-backed/);
    expect(deployed.resources.filter((r) => r.physicalId).map((r) => r.type)).toContain('AWS::EC2::Subnet');
    // No destroy(): moto's DeleteStack deletes the VPC before its subnets and fails with DependencyViolation.
  });
});

describe('fillGapsAfterCliDeploy', () => {
  let local: LocalAws;
  let workDir: string;

  beforeAll(async () => {
    local = await startLocalAws();
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-aws-cli-'));
  });

  afterAll(async () => {
    await local?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  test('fills the gaps of a stack that `cdk deploy` put into moto', async () => {
    const outdir = path.join(workDir, 'cdk.out');
    // Path metadata on, as when the CLI runs the app itself.
    const { app, stack } = harnessStack('CliStack', {
      outdir,
      context: { [cxapi.PATH_METADATA_ENABLE_CONTEXT]: true },
    });
    app.synth();
    const cdk = path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk');
    const env = { ...process.env, ...local.env(), CDK_DISABLE_CLI_TELEMETRY: 'true' };
    // cwd outside the repo: the CLI must not pick up the repo's cdk.json or write cdk.context.json there.
    const cli = (args: string[]) => execFileAsync(cdk, [...args, '--no-notices'], { cwd: workDir, env });

    await cli(['bootstrap', `aws://${local.account}/${local.region}`]);
    await cli(['deploy', '--app', outdir, 'CliStack', '--require-approval', 'never']);
    const deployed = await fillGapsAfterCliDeploy(local, {
      stackName: 'CliStack',
      templateFile: path.join(outdir, stack.templateFile),
    });

    expect(deployed.gaps.filled.map((g) => g.type).sort()).toEqual([
      'AWS::KMS::Key',
      'AWS::SNS::Subscription',
      'AWS::SQS::QueuePolicy',
    ]);
    const topicArn = deployed.byPath('CliStack/Topic');
    await local.sns().send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: 'red order',
        MessageAttributes: { color: { DataType: 'String', StringValue: 'red' } },
      }),
    );
    expect(await receiveAll(local, deployed.byPath('CliStack/Jobs/Queue'))).toEqual(['red order']);
    await deployed.destroy();
  });
});
