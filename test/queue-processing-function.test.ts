import { Duration, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { findingsAddedBy, userFunction } from './queue-processing-function.fixtures';
import { ENV_MATRIX, strictStack } from '../harness/app';
import { complianceFindings, expectCompliant } from '../harness/compliance';
import { acknowledge } from '../src/private/acknowledgments';
import { QueueProcessingFunction, QueueProcessingFunctionProps } from '../src/queue-processing-function';
import { StackAlarmTopic } from '../src/stack-alarm-topic';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

function build(props: Partial<QueueProcessingFunctionProps> = {}, stack: Stack = strictStack()) {
  const queue = props.queue ?? new WorkQueue(stack, 'Jobs');
  const handler = props.handler ?? userFunction(stack);
  const consumer = new QueueProcessingFunction(stack, 'Worker', { ...props, queue, handler });
  return { stack, queue, handler, consumer };
}

function buildError(props: Partial<QueueProcessingFunctionProps>, stack: Stack = strictStack()): string {
  try {
    build(props, stack);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the construct to refuse its props');
}

function mapping(stack: Stack): Record<string, any> {
  const mappings = Template.fromStack(stack).findResources('AWS::Lambda::EventSourceMapping');
  expect(Object.keys(mappings)).toHaveLength(1);
  return Object.values(mappings)[0];
}

const deployTimeNumber = (value: number) => Token.asNumber(Lazy.number({ produce: () => value }));

describe('QueueProcessingFunction defaults', () => {
  const { stack, consumer, handler } = build();
  const template = Template.fromStack(stack);

  test('the mapping reports batch item failures, takes 10 messages and at most 100 concurrent invocations', () => {
    const resource = mapping(stack);
    expect(resource.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^JobsQueue/), 'Arn'] },
      FunctionName: { Ref: expect.stringMatching(/^Handler/) },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 100 },
    });
    expect(consumer.batchSize).toBe(10);
    expect(consumer.maxConcurrency).toBe(100);
  });

  test('the mapping waits for the policy: Lambda checks the role when it creates the mapping', () => {
    expect(mapping(stack).DependsOn).toEqual([
      stack.getLogicalId(consumer.consumePolicy.node.defaultChild as iam.CfnManagedPolicy),
    ]);
  });

  test("the function's role gets a customer-managed policy with exactly the four consume actions on the queue", () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'sqs:ReceiveMessage',
              'sqs:DeleteMessage',
              'sqs:ChangeMessageVisibility',
              'sqs:GetQueueAttributes',
            ],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsQueue'), 'Arn'] },
          },
        ],
      },
      Roles: [{ Ref: stack.getLogicalId(handler.role!.node.defaultChild as iam.CfnRole) }],
    });
    // No inline policy on the user's role: the packs that reject inline policies stay quiet.
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('alarms on errors, throttles and the age of the oldest message notify the stack alarm topic', () => {
    const topic = { Ref: stack.getLogicalId(StackAlarmTopic.of(stack).topic.node.defaultChild as sns.CfnTopic) };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [topic],
      OKActions: [topic],
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Threshold: 1,
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 5,
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
    });
  });

  test("alarms lists its own alarms and the WorkQueue's dead-letter alarms, which it does not duplicate", () => {
    const queue = consumer.queue as WorkQueue;
    expect(consumer.alarms).toEqual([
      consumer.errorsAlarm,
      consumer.throttlesAlarm,
      consumer.oldestMessageAgeAlarm,
      queue.deadLetterQueueNotEmptyAlarm,
      queue.deadLetterQueueMessageAgeAlarm,
    ]);
    expect(consumer.deadLetterQueueNotEmptyAlarm).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  test('construct ids are stable', () => {
    expect(consumer.node.children.map((child) => child.node.id)).toEqual([
      'ConsumePolicy',
      'EventSourceMapping',
      'ErrorsAlarm',
      'ThrottlesAlarm',
      'OldestMessageAgeAlarm',
    ]);
  });

  test('the template matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('fully featured', () => {
  test('every prop reaches the template', () => {
    const stack = strictStack();
    const topic = new sns.Topic(stack, 'Pager', {
      masterKey: new kms.Key(stack, 'PagerKey', { enableKeyRotation: true }),
      enforceSSL: true,
    });
    const queue = new WorkQueue(stack, 'Jobs', {
      encryption: WorkQueueEncryption.KMS,
      visibilityTimeout: Duration.minutes(6),
    });
    const handler = userFunction(stack, 'Handler', { timeout: Duration.minutes(1), reservedConcurrentExecutions: 50 });
    const consumer = new QueueProcessingFunction(stack, 'Worker', {
      queue,
      handler,
      batchSize: 500,
      maxBatchingWindow: Duration.seconds(20),
      maxConcurrency: 40,
      reportBatchItemFailures: false,
      enabled: false,
      oldestMessageAgeAlarmThreshold: Duration.hours(2),
      alarmTopic: topic,
    });
    expect(mapping(stack).Properties).toEqual({
      EventSourceArn: expect.anything(),
      FunctionName: expect.anything(),
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 40 },
      Enabled: false,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: Match.arrayWith(['sqs:ReceiveMessage']) }),
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobsKey'), 'Arn'] },
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 7200,
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }],
    });
    expect(consumer.alarmTopic).toBe(topic);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe.each(ENV_MATRIX)('compliance (%s stack)', (_name, newStack) => {
  function app(withConstruct: boolean, featured: boolean) {
    const stack = newStack();
    const handler = userFunction(stack, 'Handler', { timeout: Duration.seconds(30) });
    const queue = new WorkQueue(stack, 'Jobs', {
      visibilityTimeout: Duration.minutes(3),
      encryption: featured ? WorkQueueEncryption.KMS : undefined,
      fifo: featured ? true : undefined,
    });
    if (withConstruct) {
      new QueueProcessingFunction(stack, 'Worker', {
        queue,
        handler,
        ...(featured
          ? {
              batchSize: 10,
              maxConcurrency: 2,
              reportBatchItemFailures: true,
              enabled: true,
              oldestMessageAgeAlarmThreshold: Duration.minutes(5),
            }
          : {}),
      });
    }
    return stack;
  }

  test.each([
    ['default props', false],
    ['a FIFO queue under KMS and every prop', true],
  ])('with %s it adds no finding to the app (the function keeps its own)', (_label, featured) => {
    expect(findingsAddedBy((withConstruct) => app(withConstruct, featured))).toEqual([]);
  });

  test('the app is compliant once the user has dealt with their own function', () => {
    // The user's function's own findings (memory, tracing, VPC, its own DLQ...) are the user's; they
    // are acknowledged on the function only, so that any finding on anything else fails.
    const baseline = app(false, true);
    const ids = new Set(
      complianceFindings(baseline.node.root)
        .filter((f) => f.path.startsWith(`${baseline.node.path}/Handler`))
        .map((f) => f.rule),
    );
    const stack = app(true, true);
    for (const id of ids) {
      // Through the library's helper: its granular ids carry tokens, which aws-cdk-lib before 2.269 refuses.
      acknowledge(stack.node.findChild('Handler'), { ruleIds: [id], reason: "the user's function" });
    }
    expect(() => expectCompliant(stack)).not.toThrow();
  });
});

describe('FIFO queues', () => {
  const fifoQueue = (stack: Stack) => new WorkQueue(stack, 'Orders', { fifo: true });

  test('take at most 10 messages per batch', () => {
    const stack = strictStack();
    expect(buildError({ queue: fifoQueue(stack), batchSize: 11 }, stack)).toBe(
      "[Stack/Worker] batchSize must be an integer between 1 and 10 for a FIFO queue (Lambda's limit for FIFO queues), got 11",
    );
    const ok = strictStack();
    build({ queue: fifoQueue(ok), batchSize: 10 }, ok);
    expect(mapping(ok).Properties.BatchSize).toBe(10);
  });

  test('take no batching window', () => {
    const stack = strictStack();
    expect(buildError({ queue: fifoQueue(stack), maxBatchingWindow: Duration.seconds(1) }, stack)).toBe(
      '[Stack/Worker] maxBatchingWindow cannot be set on a FIFO queue (Lambda supports no batching window for FIFO queues), got 1 second',
    );
  });

  test('a zero window on a FIFO queue asks for what leaving it out gives, and is left out', () => {
    const stack = strictStack();
    build({ queue: fifoQueue(stack), maxBatchingWindow: Duration.seconds(0) }, stack);
    expect(mapping(stack).Properties.MaximumBatchingWindowInSeconds).toBeUndefined();
  });

  test('an imported FIFO queue is recognised by its name', () => {
    const stack = strictStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'Imported', 'arn:aws:sqs:us-east-1:123456789012:orders.fifo');
    expect(buildError({ queue, batchSize: 20, maxBatchingWindow: Duration.seconds(5) }, stack)).toMatch(
      /^\[Stack\/Worker\] batchSize must be an integer between 1 and 10 for a FIFO queue/,
    );
  });
});

describe('batch size and batching window', () => {
  test.each([
    [0, '[Stack/Worker] batchSize must be an integer between 1 and 10,000, got 0'],
    [10_001, '[Stack/Worker] batchSize must be an integer between 1 and 10,000, got 10,001'],
    [2.5, '[Stack/Worker] batchSize must be an integer between 1 and 10,000, got 2.5'],
    [NaN, '[Stack/Worker] batchSize must be an integer between 1 and 10,000, got NaN'],
    [Infinity, '[Stack/Worker] batchSize must be an integer between 1 and 10,000, got Infinity'],
  ])('batchSize %p is refused', (batchSize, message) => {
    expect(buildError({ batchSize, maxBatchingWindow: Duration.seconds(1) })).toBe(message);
  });

  test('a batch above 10 needs a batching window', () => {
    expect(buildError({ batchSize: 11 })).toBe(
      '[Stack/Worker] batchSize may be above 10 only with a maxBatchingWindow of at least 1 second (Lambda requires one), got 11',
    );
    expect(buildError({ batchSize: 11, maxBatchingWindow: Duration.seconds(0) })).toBe(
      '[Stack/Worker] maxBatchingWindow must be at least 1 second when batchSize is above 10 (Lambda requires it; batchSize is 11), got 0 seconds',
    );
  });

  test.each([
    [
      Duration.seconds(301),
      '[Stack/Worker] maxBatchingWindow must be between 0 seconds and 5 minutes, got 5 minutes 1 second',
    ],
    [
      Duration.millis(1500),
      '[Stack/Worker] maxBatchingWindow must be a whole number of seconds between 0 seconds and 5 minutes, got 1 second 500 millis',
    ],
    [
      Duration.seconds(NaN),
      '[Stack/Worker] maxBatchingWindow must be between 0 seconds and 5 minutes, got Duration.seconds(NaN)',
    ],
    [
      Duration.minutes(Infinity),
      '[Stack/Worker] maxBatchingWindow must be between 0 seconds and 5 minutes, got Duration.minutes(Infinity)',
    ],
  ])('maxBatchingWindow %s is refused', (maxBatchingWindow, message) => {
    expect(buildError({ maxBatchingWindow })).toBe(message);
  });

  test('a window given as a number by a JavaScript caller is refused', () => {
    expect(buildError({ maxBatchingWindow: 5 as unknown as Duration })).toBe(
      '[Stack/Worker] maxBatchingWindow must be a Duration, got 5',
    );
  });

  test('deploy-time values pass through', () => {
    const { stack } = build({
      batchSize: deployTimeNumber(500),
      maxBatchingWindow: Duration.seconds(deployTimeNumber(30)),
    });
    expect(mapping(stack).Properties).toMatchObject({ BatchSize: 500, MaximumBatchingWindowInSeconds: 30 });
  });

  test('a deploy-time window in another unit than seconds is refused with its path (a template cannot convert it)', () => {
    const minutes = Duration.minutes(Token.asNumber({ Ref: 'Minutes' }));
    expect(buildError({ maxBatchingWindow: minutes })).toBe(
      '[Stack/Worker] maxBatchingWindow given as a deploy-time value must be in seconds (Duration.seconds(value)): ' +
        'CloudFormation takes seconds and cannot convert minutes, got a deploy-time Duration.minutes({"Ref":"Minutes"})',
    );
  });

  test('a window in minutes known at synth through a token is converted', () => {
    const { stack } = build({ batchSize: 20, maxBatchingWindow: Duration.minutes(deployTimeNumber(2)) });
    expect(mapping(stack).Properties.MaximumBatchingWindowInSeconds).toBe(120);
  });
});

describe('maximum concurrency', () => {
  test.each([
    [1, '[Stack/Worker] maxConcurrency must be an integer between 2 and 1,000, got 1'],
    [1001, '[Stack/Worker] maxConcurrency must be an integer between 2 and 1,000, got 1,001'],
    [2.5, '[Stack/Worker] maxConcurrency must be an integer between 2 and 1,000, got 2.5'],
    [-Infinity, '[Stack/Worker] maxConcurrency must be an integer between 2 and 1,000, got -Infinity'],
  ])('%p is refused', (maxConcurrency, message) => {
    expect(buildError({ maxConcurrency })).toBe(message);
  });

  test('the default follows a lower reserved concurrency of the function', () => {
    const stack = strictStack();
    const { consumer } = build({ handler: userFunction(stack, 'Handler', { reservedConcurrentExecutions: 5 }) }, stack);
    expect(consumer.maxConcurrency).toBe(5);
    expect(mapping(stack).Properties.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
  });

  test('a chosen value above the reserved concurrency is kept, with a warning', () => {
    const stack = strictStack();
    build({ handler: userFunction(stack, 'Handler', { reservedConcurrentExecutions: 5 }), maxConcurrency: 20 }, stack);
    expect(mapping(stack).Properties.ScalingConfig).toEqual({ MaximumConcurrency: 20 });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Worker',
      Match.stringLikeRegexp('^maxConcurrency \\(20\\) is above the handler.s reserved concurrency \\(5\\)'),
    );
  });

  test('a deploy-time value passes through', () => {
    const { stack } = build({ maxConcurrency: deployTimeNumber(7) });
    expect(mapping(stack).Properties.ScalingConfig).toEqual({ MaximumConcurrency: 7 });
  });
});

describe("the function's timeout", () => {
  test("the queue's visibility timeout must be six times the function's timeout", () => {
    const stack = strictStack();
    const handler = userFunction(stack, 'Handler', { timeout: Duration.seconds(6) });
    expect(buildError({ handler }, stack)).toBe(
      "[Stack/Worker] queue visibility timeout must be at least six times the handler's timeout (6 × 6 seconds = 36 seconds), " +
        "so that Lambda can retry a batch when the function is throttled (AWS's rule for Lambda consumers); " +
        "raise the queue's visibilityTimeout or lower the function's timeout, got 30 seconds",
    );
    const ok = strictStack();
    build({ handler: userFunction(ok, 'Handler', { timeout: Duration.seconds(5) }) }, ok);
  });

  test("an sqs.Queue's own visibility timeout is checked too (SQS's 30 seconds when unset)", () => {
    const stack = strictStack();
    const dlq = new sqs.Queue(stack, 'Dlq');
    const queue = new sqs.Queue(stack, 'Plain', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
    expect(
      buildError({ queue, handler: userFunction(stack, 'Handler', { timeout: Duration.seconds(10) }) }, stack),
    ).toMatch(
      /^\[Stack\/Worker\] queue visibility timeout must be at least six times the handler's timeout \(6 × 10 seconds = 1 minute\)/,
    );
  });

  test("Lambda's 3-second default counts when the function sets none", () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.seconds(17) });
    const handler = userFunction(stack, 'Handler', { timeout: undefined });
    expect(buildError({ queue, handler }, stack)).toMatch(/\(6 × 3 seconds = 18 seconds\).*got 17 seconds$/);
  });

  test('a timeout over 15 minutes is refused', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.hours(12) });
    const handler = userFunction(stack, 'Handler', { timeout: Duration.minutes(16) });
    expect(buildError({ queue, handler }, stack)).toBe(
      "[Stack/Worker] handler timeout must be between 1 second and 15 minutes (Lambda's maximum function timeout), in seconds, got 960",
    );
  });

  test('an escape-hatch override of the timeout is seen', () => {
    const stack = strictStack();
    const handler = userFunction(stack, 'Handler');
    (handler.node.defaultChild as lambda.CfnFunction).timeout = 60;
    expect(buildError({ handler }, stack)).toMatch(/\(6 × 1 minute = 6 minutes\)/);
  });

  test('an alias is checked through its function', () => {
    const stack = strictStack();
    const handler = userFunction(stack, 'Handler', { timeout: Duration.seconds(10) });
    const alias = new lambda.Alias(stack, 'Live', { aliasName: 'live', version: handler.currentVersion });
    expect(buildError({ handler: alias }, stack)).toMatch(/\(6 × 10 seconds = 1 minute\)/);
  });

  test('an imported function or queue is left to the deployment', () => {
    const stack = strictStack();
    const handler = lambda.Function.fromFunctionAttributes(stack, 'Imported', {
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:worker',
      role: iam.Role.fromRoleArn(stack, 'ImportedRole', 'arn:aws:iam::123456789012:role/worker'),
    });
    build({ handler }, stack);
    expect(mapping(stack).Properties.FunctionName).toBe('worker');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', { Roles: ['worker'] });
  });
});

describe('the dead-letter queue', () => {
  test('a queue of this app without one is refused: an SQS mapping has no on-failure destination', () => {
    const stack = strictStack();
    const queue = new sqs.Queue(stack, 'Plain');
    expect(buildError({ queue }, stack)).toBe(
      '[Stack/Worker] queue must have a dead-letter queue (a redrive policy): an SQS event source mapping has no on-failure destination, ' +
        'so a message the function keeps failing would be retried until it expires; use a WorkQueue, or give the queue a deadLetterQueue, got "Stack/Plain"',
    );
  });

  test("an sqs.Queue's dead-letter queue gets an alarm of the consumer", () => {
    const stack = strictStack();
    const dlq = new sqs.Queue(stack, 'Dlq');
    const queue = new sqs.Queue(stack, 'Plain', {
      deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
      visibilityTimeout: Duration.minutes(1),
    });
    const { consumer } = build({ queue }, stack);
    expect(consumer.deadLetterQueueNotEmptyAlarm).toBeDefined();
    expect(consumer.alarms).toContain(consumer.deadLetterQueueNotEmptyAlarm);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Dlq'), 'QueueName'] } }],
      Threshold: 1,
    });
  });

  test('a maxReceiveCount below 5 is kept, with a warning', () => {
    const stack = strictStack();
    build({ queue: new WorkQueue(stack, 'Jobs', { maxReceiveCount: 2 }) }, stack);
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Worker',
      Match.stringLikeRegexp("^The queue's maxReceiveCount is 2"),
    );
  });

  test('an imported queue is accepted, with a warning that its dead-letter queue cannot be checked', () => {
    const stack = strictStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'Imported', 'arn:aws:sqs:us-east-1:123456789012:jobs');
    build({ queue }, stack);
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Worker',
      Match.stringLikeRegexp('^The queue Stack/Imported is imported'),
    );
  });
});

describe('keys', () => {
  test("an imported queue's customer-managed key is granted for decryption", () => {
    const stack = strictStack();
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';
    const queue = sqs.Queue.fromQueueAttributes(stack, 'Imported', {
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:jobs',
      keyArn,
    });
    build({ queue }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn }]) },
    });
  });

  test('the AWS-managed SQS key needs no grant (its key policy admits the account through SQS)', () => {
    const stack = strictStack();
    const dlq = new sqs.Queue(stack, 'Dlq', { encryption: sqs.QueueEncryption.KMS_MANAGED });
    const queue = new sqs.Queue(stack, 'Managed', {
      encryption: sqs.QueueEncryption.KMS_MANAGED,
      deadLetterQueue: { queue: dlq, maxReceiveCount: 5 },
    });
    build({ queue }, stack);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')).flatMap(
      (policy: any) => policy.Properties.PolicyDocument.Statement,
    );
    expect(statements.flatMap((s: any) => [s.Action].flat())).not.toContain('kms:Decrypt');
  });
});

describe('refused inputs name the construct and the prop', () => {
  test('a missing or wrong queue or handler', () => {
    const stack = strictStack();
    const handler = userFunction(stack);
    expect(() => new QueueProcessingFunction(stack, 'A', { queue: undefined as any, handler })).toThrow(
      /^\[Stack\/A\] queue must be an SQS queue \(sqs.IQueue\), got undefined$/,
    );
    const queue = new WorkQueue(stack, 'Jobs');
    expect(() => new QueueProcessingFunction(stack, 'B', { queue, handler: 'worker' as any })).toThrow(
      /^\[Stack\/B\] handler must be a Lambda function \(lambda.IFunction\), got "worker"$/,
    );
    expect(() => new (QueueProcessingFunction as any)(stack, 'C')).toThrow(
      /^\[Stack\/C\] props must give at least queue and handler, got undefined$/,
    );
  });

  test.each(['reportBatchItemFailures', 'enabled'])('%s given as a string', (prop) => {
    expect(buildError({ [prop]: 'false' })).toBe(`[Stack/Worker] ${prop} must be true or false, got "false"`);
  });

  test('an imported function without a role: the mapping could not read the queue', () => {
    const stack = strictStack();
    const handler = lambda.Function.fromFunctionArn(
      stack,
      'Imported',
      'arn:aws:lambda:us-east-1:123456789012:function:worker',
    );
    expect(buildError({ handler }, stack)).toBe(
      '[Stack/Worker] handler must have an execution role this app can grant to (import the function with its role: ' +
        'lambda.Function.fromFunctionAttributes({ functionArn, role })), or the event source mapping cannot read its source, ' +
        'got "arn:aws:lambda:us-east-1:123456789012:function:worker"',
    );
  });

  test('a queue of another region', () => {
    const stack = strictStack();
    const queue = sqs.Queue.fromQueueArn(stack, 'Imported', 'arn:aws:sqs:eu-west-1:123456789012:jobs');
    expect(buildError({ queue }, stack)).toBe(
      `[Stack/Worker] queue must be in the handler's region (us-east-1): Lambda reads SQS queues of its own region only, got "eu-west-1"`,
    );
  });

  test('the same queue mapped to the same function twice', () => {
    const stack = strictStack();
    const { queue, handler } = build({}, stack);
    expect(() => new QueueProcessingFunction(stack, 'Again', { queue, handler })).toThrow(
      /^\[Stack\/Again\] queue must not be mapped to the same handler twice: Lambda allows one event source mapping per function and source, and Stack\/Worker already maps it to Stack\/Handler, got "Stack\/Jobs"$/,
    );
    // Another function on the same queue is fine (competing consumers).
    new QueueProcessingFunction(stack, 'Other', { queue, handler: userFunction(stack, 'OtherHandler') });
  });
});

describe('oldestMessageAgeAlarmThreshold', () => {
  test('must be shorter than the retention', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Jobs', { retentionPeriod: Duration.hours(1) });
    expect(buildError({ queue, oldestMessageAgeAlarmThreshold: Duration.hours(1) }, stack)).toBe(
      "[Stack/Worker] oldestMessageAgeAlarmThreshold must be shorter than the queue's retention period (1 hour), or the alarm could never fire, got 1 hour",
    );
  });

  test('the default is half a retention shorter than 15 minutes', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Jobs', { retentionPeriod: Duration.minutes(10) });
    build({ queue }, stack);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: Match.anyValue() }],
      Threshold: 300,
    });
  });

  test.each([
    [
      Duration.seconds(59),
      '[Stack/Worker] oldestMessageAgeAlarmThreshold must be between 1 minute and 14 days, got 59 seconds',
    ],
    [
      Duration.days(15),
      '[Stack/Worker] oldestMessageAgeAlarmThreshold must be between 1 minute and 14 days, got 15 days',
    ],
  ])('%s is refused', (oldestMessageAgeAlarmThreshold, message) => {
    expect(buildError({ oldestMessageAgeAlarmThreshold })).toBe(message);
  });
});
