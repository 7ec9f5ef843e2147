import * as fs from 'fs';
import {
  App,
  CfnParameter,
  Duration,
  Fn,
  NestedStack,
  PolicyValidationPluginReport,
  Stack,
  StackProps,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import {
  alarmOnVisibleMessages,
  CORPUS,
  corpusApp,
  corpusStack,
  deadLetterQueue,
  ENV,
  inlineFunction,
  workQueue,
} from './decoupling-checks';
import { cdkAtLeast, strictApp, synthesisFailure } from '../harness/app';
import { DecouplingChecks } from '../src/decoupling-checks';
import { EncryptedStream } from '../src/encrypted-stream';
import { QueueProcessingFunction } from '../src/queue-processing-function';
import { StreamProcessingFunction } from '../src/stream-processing-function';
import { TopicFanOut } from '../src/topic-fan-out';
import { WorkQueue } from '../src/work-queue';

/** The rule ids of the findings on the app holding `scope`, synthesized first so cross-stack references resolve. */
function findings(scope: IConstruct): string[] {
  (scope.node.root as App).synth();
  return ruleIds(new DecouplingChecks().validateScope(scope));
}

function ruleIds(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap((v) => v.violatingResources.map(() => v.ruleName)).sort();
}

/** A broken app (not strict, not linted: it makes mistakes on purpose) with one stack in a fixed env. */
function brokenStack(id = 'Stack', props: StackProps = { env: ENV }): Stack {
  return corpusStack(corpusApp(false), id, props);
}

describe('DecouplingChecks corpus: each rule on a plain aws-cdk-lib app that makes the mistake, and on the same app fixed', () => {
  test('covers every rule of the plugin exactly once', () => {
    expect(CORPUS.map((c) => c.rule)).toEqual(new DecouplingChecks().ruleIds);
  });

  describe.each(CORPUS.map((c) => [c.rule, c] as const))('%s', (_rule, corpusCase) => {
    test(`fails with exactly ${corpusCase.rule} when ${corpusCase.mistake}`, () => {
      const app = corpusApp(false);
      corpusCase.build(app, false);
      expect(findings(app)).toEqual([corpusCase.rule]);
    });

    test('passes with no finding once fixed', () => {
      const app = corpusApp(true);
      corpusCase.build(app, true);
      expect(findings(app)).toEqual([]);
    });
  });
});

describe('the plugin', () => {
  test('names itself Decoupling, reports a version and lists its rules', () => {
    const plugin = new DecouplingChecks();
    expect(plugin.name).toBe('Decoupling');
    expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(plugin.ruleIds).toHaveLength(24);
    expect(plugin.ruleIds!.every((id) => /^Decoupling-[A-Z][A-Za-z]+$/.test(id))).toBe(true);
  });

  test('an app with no decoupled resources is a success with no violations', () => {
    const stack = brokenStack();
    new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    (stack.node.root as App).synth();
    expect(new DecouplingChecks().validateScope(stack.node.root)).toEqual({ success: true, violations: [] });
  });

  test('a violation names the rule, its level, what goes wrong, the fix, the AWS documentation and the resource', () => {
    const app = corpusApp(false);
    CORPUS.find((c) => c.rule === 'Decoupling-DlqRetentionTooShort')!.build(app, false);
    app.synth();
    const report = new DecouplingChecks().validateScope(app);
    expect(report.success).toBe(false);
    expect(report.violations).toEqual([
      {
        ruleName: 'Decoupling-DlqRetentionTooShort',
        severity: 'error',
        description:
          'Stack/Queue/Resource keeps messages 4 days, its dead-letter queue Stack/DeadLetterQueue/Resource 4 days: expiry counts from the original enqueue time, so a message that fails late expires in the dead-letter queue almost at once.',
        fix: expect.stringContaining(
          'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html',
        ),
        ruleMetadata: {
          impact: expect.stringContaining('original enqueue timestamp'),
          documentation: expect.stringContaining('Setting-up dead-letter queue retention'),
        },
        violatingResources: [
          {
            resourceLogicalId: Stack.of(app.node.findChild('Stack')).getLogicalId(
              app.node.findChild('Stack').node.findChild('Queue').node.defaultChild as sqs.CfnQueue,
            ),
            templatePath: undefined,
            constructPath: 'Stack/Queue/Resource',
            locations: ['Properties/MessageRetentionPeriod', 'Properties/RedrivePolicy'],
          },
        ],
      },
    ]);
  });

  test('warnings alone leave the report a success (they fail synthesis only in strict mode)', () => {
    const app = corpusApp(false);
    CORPUS.find((c) => c.rule === 'Decoupling-SqsMappingNoPartialBatchResponse')!.build(app, false);
    app.synth();
    const report = new DecouplingChecks().validateScope(app);
    expect(report.success).toBe(true);
    expect(report.violations.map((v) => v.severity)).toEqual(['warning']);
  });

  test('registered on an app, synthesis fails on an error-level finding and names the template', () => {
    const app = new App();
    Validations.of(app).addPlugins(new DecouplingChecks());
    CORPUS.find((c) => c.rule === 'Decoupling-DlqNoAlarm')!.build(app, false);
    expect(synthesisFailure(app)).toMatch(/Decoupling-DlqNoAlarm|no CloudWatch alarm watches it/);
    if (!cdkAtLeast('2.262.0')) {
      return; // Older aws-cdk-lib writes the report without the resource's template (N/A).
    }
    const report = JSON.parse(fs.readFileSync(`${app.outdir}/validation-report.json`, 'utf-8'));
    const decoupling = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === 'Decoupling');
    expect(decoupling.violations[0].violatingConstructs[0]).toMatchObject({
      constructPath: 'Stack/DeadLetterQueue/Resource',
      cloudFormationResource: {
        templatePath: 'Stack.template.json',
        logicalId: expect.stringMatching(/^DeadLetterQueue/),
      },
    });
  });

  test('registered on an app, synthesis succeeds on the fixed app', () => {
    const app = new App();
    Validations.of(app).addPlugins(new DecouplingChecks());
    CORPUS.find((c) => c.rule === 'Decoupling-DlqNoAlarm')!.build(app, true);
    expect(synthesisFailure(app)).toBeUndefined();
  });

  test('every rule cites AWS documentation and says what goes wrong and how to fix it', () => {
    // The documentation of each rule is in its violations; build every broken app once and read them.
    const documented = new Map<string, { fix?: string; impact?: string; documentation?: string }>();
    for (const corpusCase of CORPUS) {
      const broken = corpusApp(false);
      corpusCase.build(broken, false);
      broken.synth();
      for (const v of new DecouplingChecks().validateScope(broken).violations) {
        documented.set(v.ruleName, {
          fix: v.fix,
          impact: v.ruleMetadata?.impact,
          documentation: v.ruleMetadata?.documentation,
        });
      }
    }
    expect([...documented.keys()].sort()).toEqual([...new DecouplingChecks().ruleIds!].sort());
    for (const [, doc] of documented) {
      expect(doc.documentation).toMatch(/<https:\/\/(docs\.aws\.amazon\.com|repost\.aws)\//);
      expect(doc.impact!.length).toBeGreaterThan(40);
      expect(doc.fix!.length).toBeGreaterThan(40);
    }
  });
});

describe('acknowledgments, per resource, exactly as AmazonMQChecks', () => {
  function dlqWithoutAlarm() {
    const stack = brokenStack();
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', { retentionPeriod: Duration.days(14) });
    new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
    const otherDlq = new sqs.Queue(stack, 'OtherDeadLetterQueue', { retentionPeriod: Duration.days(14) });
    new sqs.Queue(stack, 'Other', { deadLetterQueue: { queue: otherDlq, maxReceiveCount: 5 } });
    return { stack, dlq, otherDlq };
  }

  test('an acknowledgment on the resource removes its finding only', () => {
    const { stack, dlq } = dlqWithoutAlarm();
    Validations.of(dlq).acknowledge({ id: 'Decoupling-DlqNoAlarm', reason: 'read by an operator every morning' });
    (stack.node.root as App).synth();
    const report = new DecouplingChecks().validateScope(stack.node.root);
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => r.constructPath))).toEqual([
      'Stack/OtherDeadLetterQueue/Resource',
    ]);
  });

  test('an acknowledgment on an ancestor covers the resources below it; the prefixed form is honoured too', () => {
    const { stack } = dlqWithoutAlarm();
    Validations.of(stack).acknowledge({ id: 'Decoupling::Decoupling-DlqNoAlarm', reason: 'a sandbox' });
    expect(findings(stack)).toEqual([]);
  });

  test('an acknowledgment of another rule does not remove the finding', () => {
    const { stack, dlq } = dlqWithoutAlarm();
    Validations.of(dlq).acknowledge({ id: 'Decoupling-DlqRetentionTooShort', reason: 'another rule' });
    expect(findings(stack)).toEqual(['Decoupling-DlqNoAlarm', 'Decoupling-DlqNoAlarm']);
  });

  test('validateScope reports only the resources at or below the scope, judging them with the whole app', () => {
    const { stack, otherDlq } = dlqWithoutAlarm();
    (stack.node.root as App).synth();
    const report = new DecouplingChecks().validateScope(otherDlq);
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => r.constructPath))).toEqual([
      'Stack/OtherDeadLetterQueue/Resource',
    ]);
  });
});

describe('references the rules follow', () => {
  test('across stacks: a dead-letter queue in another stack (Fn::ImportValue of its export)', () => {
    const app = corpusApp(false);
    const shared = corpusStack(app, 'Shared');
    const dlq = new sqs.Queue(shared, 'DeadLetterQueue');
    const orders = corpusStack(app, 'Orders');
    new sqs.Queue(orders, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
    alarmOnVisibleMessages(orders, 'Alarm', dlq);
    expect(findings(app)).toEqual(['Decoupling-DlqRetentionTooShort']);
  });

  test('across stacks: a function in one stack reading a queue of another', () => {
    const app = corpusApp(false);
    const queues = corpusStack(app, 'Queues');
    const queue = workQueue(queues, 'Jobs', { visibilityTimeout: Duration.seconds(60) });
    const workers = corpusStack(app, 'Workers');
    inlineFunction(workers, 'Function', Duration.seconds(30)).addEventSource(
      new sources.SqsEventSource(queue, { reportBatchItemFailures: true }),
    );
    expect(findings(app)).toEqual(['Decoupling-VisibilityTimeoutTooShort']);
  });

  test('into nested stacks: a parameter passed by the parent, and an output read by it', () => {
    const stack = brokenStack();
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue');
    alarmOnVisibleMessages(stack, 'Alarm', dlq);
    const nested = new NestedStack(stack, 'Workers');
    new sqs.Queue(nested, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
    expect(findings(stack)).toEqual(['Decoupling-DlqRetentionTooShort']);
  });

  test('literal ARNs and URLs of the same env: a redrive target named by ARN, a queue policy by URL', () => {
    const stack = brokenStack();
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', { queueName: 'orders-dlq' });
    alarmOnVisibleMessages(stack, 'Alarm', dlq);
    new sqs.CfnQueue(stack, 'Queue', {
      redrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:orders-dlq', maxReceiveCount: 5 },
    });
    const topic = new sns.Topic(stack, 'Topic');
    new sqs.Queue(stack, 'Target', { queueName: 'orders-target' });
    new sns.CfnSubscription(stack, 'Subscription', {
      topicArn: topic.topicArn,
      protocol: 'sqs',
      endpoint: 'arn:aws:sqs:us-east-1:123456789012:orders-target',
    });
    new sqs.CfnQueuePolicy(stack, 'TargetPolicy', {
      queues: ['https://sqs.us-east-1.amazonaws.com/123456789012/orders-target'],
      policyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: 'arn:aws:sqs:us-east-1:123456789012:orders-target',
            Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:other-topic' } },
          },
        ],
      },
    });
    expect(findings(stack)).toEqual(['Decoupling-DlqRetentionTooShort', 'Decoupling-SnsQueueNoSendPermission']);
  });

  test('Fn::Sub and Fn::Join building an ARN from pseudo parameters, env-agnostic', () => {
    const stack = corpusStack(corpusApp(false), 'Stack', {});
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', { queueName: 'jobs-dlq' });
    alarmOnVisibleMessages(stack, 'Alarm', dlq);
    new sqs.CfnQueue(stack, 'BySub', {
      redrivePolicy: {
        deadLetterTargetArn: Fn.sub('arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs-dlq'),
        maxReceiveCount: 5,
      },
    });
    new sqs.CfnQueue(stack, 'ByJoin', {
      redrivePolicy: {
        deadLetterTargetArn: Fn.join(':', [
          'arn',
          Stack.of(stack).partition,
          'sqs',
          Stack.of(stack).region,
          Stack.of(stack).account,
          dlq.queueName,
        ]),
        maxReceiveCount: 5,
      },
    });
    expect(findings(stack)).toEqual(['Decoupling-DlqRetentionTooShort', 'Decoupling-DlqRetentionTooShort']);
  });

  test('a key named by its alias: the queue is encrypted with a customer key SNS may not use', () => {
    const stack = brokenStack();
    const topic = new sns.Topic(stack, 'Topic');
    new kms.Key(stack, 'Key', { enableKeyRotation: true, alias: 'alias/orders' });
    const queue = new sqs.CfnQueue(stack, 'Queue', { kmsMasterKeyId: 'alias/orders' });
    new sns.CfnSubscription(stack, 'Subscription', {
      topicArn: topic.topicArn,
      protocol: 'sqs',
      endpoint: queue.attrArn,
    });
    new sqs.CfnQueuePolicy(stack, 'Policy', {
      queues: [queue.ref],
      policyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queue.attrArn,
            Condition: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
          },
        ],
      },
    });
    expect(findings(stack)).toEqual(['Decoupling-SnsQueueKeyPolicy']);
  });
});

describe('silent when a value cannot be resolved: it never guesses', () => {
  test('a redrive target that is a parameter, a queue of another account, or an Fn::If', () => {
    const stack = brokenStack();
    const target = new CfnParameter(stack, 'DeadLetterQueueArn');
    new sqs.CfnQueue(stack, 'ByParameter', {
      redrivePolicy: { deadLetterTargetArn: target.valueAsString, maxReceiveCount: 5 },
    });
    new sqs.CfnQueue(stack, 'OtherAccount', {
      redrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:999999999999:theirs', maxReceiveCount: 5 },
    });
    expect(findings(stack)).toEqual([]);
  });

  test('retention and visibility timeouts given as parameters', () => {
    const stack = brokenStack();
    const retention = new CfnParameter(stack, 'Retention', { type: 'Number' });
    const dlq = new sqs.CfnQueue(stack, 'DeadLetterQueue', { messageRetentionPeriod: retention.valueAsNumber });
    alarmOnVisibleMessages(
      stack,
      'Alarm',
      sqs.Queue.fromQueueAttributes(stack, 'Dlq', { queueArn: dlq.attrArn, queueName: dlq.attrQueueName }),
    );
    new sqs.CfnQueue(stack, 'Queue', { redrivePolicy: { deadLetterTargetArn: dlq.attrArn, maxReceiveCount: 5 } });
    const timeout = new CfnParameter(stack, 'Visibility', { type: 'Number' });
    const read = new sqs.CfnQueue(stack, 'Read', {
      visibilityTimeout: timeout.valueAsNumber,
      redrivePolicy: { deadLetterTargetArn: dlq.attrArn, maxReceiveCount: 5 },
    });
    new lambda.CfnEventSourceMapping(stack, 'Mapping', {
      functionName: inlineFunction(stack, 'Function').functionName,
      eventSourceArn: read.attrArn,
      functionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(findings(stack)).toEqual([]);
  });

  test('a dead-letter queue an alarm might watch by a name it cannot resolve stays unreported', () => {
    const stack = brokenStack();
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', { retentionPeriod: Duration.days(14) });
    new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
    new cloudwatch.Alarm(stack, 'Alarm', {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName: 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: { QueueName: new CfnParameter(stack, 'QueueName').valueAsString },
      }),
      threshold: 0,
      evaluationPeriods: 1,
    });
    expect(findings(stack)).toEqual([]);
  });

  test('a worker granted on every queue ("*") makes no queue "consumed"', () => {
    const stack = brokenStack();
    new sqs.Queue(stack, 'Queue');
    new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() }).addToPolicy(
      new iam.PolicyStatement({ actions: ['sqs:*'], resources: ['*'] }),
    );
    expect(findings(stack)).toEqual([]);
  });

  test('a role with an AWS-managed policy of unknown content may be able to decrypt: no finding', () => {
    const stack = brokenStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const queue = new sqs.Queue(stack, 'Queue', {
      encryptionMasterKey: key,
      visibilityTimeout: Duration.seconds(180),
      deadLetterQueue: { queue: deadLetterQueue(stack, 'DeadLetterQueue'), maxReceiveCount: 5 },
    });
    const fn = inlineFunction(stack, 'Function');
    fn.role!.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('PowerUserAccess'));
    new lambda.EventSourceMapping(stack, 'Mapping', {
      target: fn,
      eventSourceArn: queue.queueArn,
      reportBatchItemFailures: true,
    });
    expect(findings(stack)).toEqual([]);
  });

  test('an on-demand stream with 21 to 50 consumers may be On-demand Advantage (an account setting): no finding; 51 is over', () => {
    const stack = brokenStack();
    const maybe = new kinesis.Stream(stack, 'Maybe', {
      encryption: kinesis.StreamEncryption.MANAGED,
      streamMode: kinesis.StreamMode.ON_DEMAND,
    });
    const over = new kinesis.Stream(stack, 'Over', {
      encryption: kinesis.StreamEncryption.MANAGED,
      streamMode: kinesis.StreamMode.ON_DEMAND,
    });
    for (let i = 1; i <= 51; i++) {
      if (i <= 21) {
        new kinesis.StreamConsumer(stack, `Maybe${i}`, { stream: maybe, streamConsumerName: `maybe-${i}` });
      }
      new kinesis.StreamConsumer(stack, `Over${i}`, { stream: over, streamConsumerName: `over-${i}` });
    }
    expect(findings(stack)).toEqual(['Decoupling-TooManyEnhancedFanOutConsumers']);
  });
});

describe('more of what each rule sees', () => {
  test('a queue read by a worker (an IAM policy granting receive and delete on it) without a dead-letter queue', () => {
    const stack = brokenStack();
    const queue = new sqs.Queue(stack, 'Queue');
    queue.grantConsumeMessages(
      new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
    );
    expect(findings(stack)).toEqual(['Decoupling-ConsumedQueueNoRedrive']);
  });

  test('a queue only sent to is not consumed', () => {
    const stack = brokenStack();
    const queue = new sqs.Queue(stack, 'Queue');
    queue.grantSendMessages(
      new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
    );
    expect(findings(stack)).toEqual([]);
  });

  test("a subscription's own dead-letter queue: SNS must be let in, it must be of the topic's type, and alarmed", () => {
    const stack = brokenStack();
    const topic = new sns.Topic(stack, 'Topic', { fifo: true, topicName: 'orders.fifo' });
    const queue = new sqs.Queue(stack, 'Queue', { fifo: true });
    const dlq = new sqs.Queue(stack, 'SubscriptionDeadLetterQueue');
    new sns.CfnSubscription(stack, 'Subscription', {
      topicArn: topic.topicArn,
      protocol: 'sqs',
      endpoint: queue.queueArn,
      redrivePolicy: { deadLetterTargetArn: dlq.queueArn },
    });
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
      }),
    );
    expect(findings(stack)).toEqual([
      'Decoupling-DlqNoAlarm',
      'Decoupling-DlqTypeMismatch',
      'Decoupling-SnsQueueNoSendPermission',
    ]);
  });

  test('aws-cdk-lib SqsSubscription with a subscription dead-letter queue passes', () => {
    const stack = brokenStack();
    const topic = new sns.Topic(stack, 'Topic');
    const dlq = deadLetterQueue(stack, 'Undeliverable');
    topic.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Queue'), { deadLetterQueue: dlq }));
    expect(findings(stack)).toEqual([]);
  });

  test('a DynamoDB stream mapping retrying forever', () => {
    const stack = brokenStack();
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    inlineFunction(stack, 'Function').addEventSource(
      new sources.DynamoEventSource(table, { startingPosition: lambda.StartingPosition.LATEST }),
    );
    expect(findings(stack)).toEqual(['Decoupling-StreamMappingInfiniteRetries']);
  });

  test('a FIFO mapping reading batches over 10', () => {
    const stack = brokenStack();
    const queue = workQueue(stack, 'Queue', { fifo: true });
    new lambda.CfnEventSourceMapping(stack, 'Mapping', {
      functionName: inlineFunction(stack, 'Function').functionName,
      eventSourceArn: queue.queueArn,
      batchSize: 20,
      functionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(findings(stack)).toEqual(['Decoupling-FifoMappingUnsupportedSetting']);
  });

  test('a function reading a stream under a customer key its role may not use', () => {
    const stack = brokenStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const stream = new kinesis.Stream(stack, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
    });
    const fn = inlineFunction(stack, 'Function');
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kinesis:GetRecords', 'kinesis:GetShardIterator'],
        resources: [stream.streamArn],
      }),
    );
    new lambda.EventSourceMapping(stack, 'Mapping', {
      target: fn,
      eventSourceArn: stream.streamArn,
      startingPosition: lambda.StartingPosition.LATEST,
      retryAttempts: 2,
      onFailure: new sources.SqsDlq(deadLetterQueue(stack, 'Failed')),
    });
    expect(findings(stack)).toEqual(['Decoupling-MappingCannotDecryptSource']);
  });

  test('an Auto Scaling group tracking the raw queue depth (single-metric specification)', () => {
    const stack = brokenStack();
    const queue = new sqs.Queue(stack, 'Queue');
    new autoscaling.CfnScalingPolicy(stack, 'Policy', {
      autoScalingGroupName: 'workers',
      policyType: 'TargetTrackingScaling',
      targetTrackingConfiguration: {
        targetValue: 100,
        customizedMetricSpecification: {
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          dimensions: [{ name: 'QueueName', value: queue.queueName }],
          statistic: 'Average',
        },
      },
    });
    expect(findings(stack)).toEqual(['Decoupling-ScalingOnRawQueueDepth']);
  });
});

describe("the rules engage on our own constructs' templates (no silence through what they generate)", () => {
  test('a WorkQueue whose dead-letter alarms are removed: its dead-letter queue is reported', () => {
    const app = strictApp();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const queue = new WorkQueue(stack, 'Jobs');
    queue.node.tryRemoveChild('DeadLetterQueueNotEmptyAlarm');
    queue.node.tryRemoveChild('DeadLetterQueueMessageAgeAlarm');
    expect(findings(app)).toEqual(['Decoupling-DlqNoAlarm']);
  });

  test('a TopicFanOut queue forced onto alias/aws/sqs: the subscription is reported', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = fanOut.addQueue('Billing');
    const cfn = queue.queue.node.defaultChild as sqs.CfnQueue;
    cfn.addPropertyOverride('KmsMasterKeyId', 'alias/aws/sqs');
    cfn.addPropertyDeletionOverride('SqsManagedSseEnabled');
    expect(findings(app).filter((id) => id !== 'Decoupling-DlqRetentionTooShort')).toEqual([
      'Decoupling-SnsQueueAwsManagedKey',
    ]);
  });

  test('a QueueProcessingFunction whose queue visibility timeout is overridden below six times the timeout', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const queue = new WorkQueue(stack, 'Jobs');
    new QueueProcessingFunction(stack, 'Worker', {
      queue,
      handler: inlineFunction(stack, 'Handler', Duration.seconds(5)),
    });
    (queue.queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout = 10;
    expect(findings(app)).toEqual(['Decoupling-VisibilityTimeoutTooShort']);
  });

  test('a StreamProcessingFunction whose mapping loses its retry bound and on-failure queue', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    new StreamProcessingFunction(stack, 'Reader', {
      stream: new EncryptedStream(stack, 'Events'),
      handler: inlineFunction(stack, 'Handler', Duration.seconds(5)),
    });
    const mapping = stack.node
      .findAll()
      .find((c) => c instanceof lambda.CfnEventSourceMapping) as lambda.CfnEventSourceMapping;
    mapping.addPropertyDeletionOverride('MaximumRetryAttempts');
    mapping.addPropertyDeletionOverride('MaximumRecordAgeInSeconds');
    mapping.addPropertyDeletionOverride('DestinationConfig');
    expect(findings(app)).toEqual(['Decoupling-StreamMappingInfiniteRetries']);
  });

  test('a stage: the plugin registered on the app validates the stacks of nested stages too', () => {
    const app = new App();
    Validations.of(app).addPlugins(new DecouplingChecks());
    const stage = new Stage(app, 'Prod');
    const stack = new Stack(stage, 'Stack', { env: ENV });
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', { retentionPeriod: Duration.days(14) });
    new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
    expect(synthesisFailure(app)).toMatch(/no CloudWatch alarm watches it/);
  });
});
