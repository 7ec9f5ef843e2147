import { Duration, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { findingsAddedBy, userFunction } from './queue-processing-function.fixtures';
import { ENV_MATRIX, strictStack } from '../harness/app';
import { complianceFindings, expectCompliant } from '../harness/compliance';
import { EncryptedStream } from '../src/encrypted-stream';
import { acknowledge } from '../src/private/acknowledgments';
import { StackAlarmTopic } from '../src/stack-alarm-topic';
import { StreamProcessingFunction, StreamProcessingFunctionProps } from '../src/stream-processing-function';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

function build(props: Partial<StreamProcessingFunctionProps> = {}, stack: Stack = strictStack()) {
  const stream = props.stream ?? new EncryptedStream(stack, 'Events');
  const handler = props.handler ?? userFunction(stack);
  const consumer = new StreamProcessingFunction(stack, 'Reader', { ...props, stream, handler });
  return { stack, stream, handler, consumer };
}

function buildError(props: Partial<StreamProcessingFunctionProps>, stack: Stack = strictStack()): string {
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

function statements(stack: Stack): any[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy')).flatMap(
    (policy: any) => policy.Properties.PolicyDocument.Statement,
  );
}

const deployTimeNumber = (value: number) => Token.asNumber(Lazy.number({ produce: () => value }));

describe('StreamProcessingFunction defaults', () => {
  const { stack, consumer, handler } = build();
  const template = Template.fromStack(stack);

  test('bisect on error, 10 retries, records at most an hour old, failures to a WorkQueue, partial batch responses', () => {
    expect(mapping(stack).Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^EventsStream/), 'Arn'] },
      FunctionName: { Ref: expect.stringMatching(/^Handler/) },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^ReaderOnFailureQueue/), 'Arn'] } },
      },
    });
    expect(consumer.onFailureQueue).toBeInstanceOf(WorkQueue);
  });

  test('the mapping waits for the policy', () => {
    expect(mapping(stack).DependsOn).toEqual([
      stack.getLogicalId(consumer.readPolicy.node.defaultChild as iam.CfnManagedPolicy),
    ]);
  });

  test("read-only grants on the stream, decrypt with its key, send to the on-failure queue: the function's role, managed", () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'kinesis:GetShardIterator',
              'kinesis:GetRecords',
              'kinesis:ListShards',
              'kinesis:DescribeStream',
              'kinesis:DescribeStreamSummary',
            ],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsStream'), 'Arn'] },
          },
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventsKey'), 'Arn'] },
          },
          {
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReaderOnFailureQueue'), 'Arn'] },
          },
        ],
      },
      Roles: [{ Ref: stack.getLogicalId(handler.role!.node.defaultChild as iam.CfnRole) }],
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('alarms on errors, iterator age (half the record age) and discarded records', () => {
    const topic = { Ref: stack.getLogicalId(StackAlarmTopic.of(stack).topic.node.defaultChild as sns.CfnTopic) };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Threshold: 1,
      AlarmActions: [topic],
      OKActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 1_800_000,
      EvaluationPeriods: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: stack.resolve(consumer.onFailureQueue.queueName) }],
      Threshold: 1,
      AlarmActions: [topic],
    });
  });

  test('alarms lists its own and those of the on-failure WorkQueue it created', () => {
    const queue = consumer.onFailureQueue as WorkQueue;
    expect(consumer.alarms).toEqual([
      consumer.errorsAlarm,
      consumer.iteratorAgeAlarm,
      consumer.discardedRecordsAlarm,
      ...queue.alarms,
    ]);
  });

  test('construct ids are stable', () => {
    expect(consumer.node.children.map((child) => child.node.id)).toEqual([
      'OnFailureQueue',
      'ReadPolicy',
      'EventSourceMapping',
      'ErrorsAlarm',
      'IteratorAgeAlarm',
      'DiscardedRecordsAlarm',
    ]);
  });

  test('the template matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('enhanced fan-out', () => {
  test('reads through the consumer, and may subscribe through that consumer only', () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Events');
    const enhancedFanOutConsumer = stream.addConsumer('reader');
    build({ stream, enhancedFanOutConsumer }, stack);
    expect(mapping(stack).Properties.EventSourceArn).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^EventsConsumersreader/), 'ConsumerARN'],
    });
    expect(statements(stack)).toContainEqual({
      Effect: 'Allow',
      Action: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EventsConsumersreader/), 'ConsumerARN'] },
    });
  });

  test('a consumer of another stream is refused', () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Events');
    const other = new EncryptedStream(stack, 'Other');
    expect(buildError({ stream, enhancedFanOutConsumer: other.addConsumer('reader') }, stack)).toBe(
      '[Stack/Reader] enhancedFanOutConsumer must be a consumer of the given stream (Stack/Events), not of Stack/Other, got "Stack/Other/Consumers/reader"',
    );
  });

  test('a consumer of the same stream imported by ARN is accepted', () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Events');
    const imported = kinesis.Stream.fromStreamArn(stack, 'Imported', stream.streamArn);
    build(
      {
        stream,
        enhancedFanOutConsumer: new kinesis.StreamConsumer(stack, 'Raw', {
          stream: imported,
          streamConsumerName: 'raw',
        }),
      },
      stack,
    );
  });
});

describe('fully featured', () => {
  test('every prop reaches the template', () => {
    const stack = strictStack();
    const stream = new EncryptedStream(stack, 'Events', { retentionPeriod: Duration.hours(48) });
    const topic = new sns.Topic(stack, 'Pager', {
      masterKey: new kms.Key(stack, 'PagerKey', { enableKeyRotation: true }),
      enforceSSL: true,
    });
    const onFailureQueue = new WorkQueue(stack, 'Failures', { encryption: WorkQueueEncryption.KMS });
    const consumer = new StreamProcessingFunction(stack, 'Reader', {
      stream,
      handler: userFunction(stack),
      enhancedFanOutConsumer: stream.addConsumer('reader'),
      startingPosition: lambda.StartingPosition.AT_TIMESTAMP,
      startingPositionTimestamp: 1_767_225_600,
      batchSize: 1000,
      maxBatchingWindow: Duration.seconds(10),
      parallelizationFactor: 4,
      retryAttempts: 0,
      maxRecordAge: Duration.hours(12),
      bisectBatchOnError: false,
      reportBatchItemFailures: false,
      tumblingWindow: Duration.minutes(15),
      onFailureQueue,
      enabled: false,
      iteratorAgeAlarmThreshold: Duration.hours(1),
      alarmTopic: topic,
    });
    expect(mapping(stack).Properties).toEqual({
      EventSourceArn: expect.anything(),
      FunctionName: expect.anything(),
      StartingPosition: 'AT_TIMESTAMP',
      StartingPositionTimestamp: 1_767_225_600,
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 10,
      ParallelizationFactor: 4,
      MaximumRetryAttempts: 0,
      MaximumRecordAgeInSeconds: 43_200,
      BisectBatchOnFunctionError: false,
      TumblingWindowInSeconds: 900,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [expect.stringMatching(/^FailuresQueue/), 'Arn'] } },
      },
      Enabled: false,
    });
    expect(consumer.onFailureQueue).toBe(onFailureQueue);
    expect(consumer.alarms).toHaveLength(3);
    expect(statements(stack)).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FailuresKey/), 'Arn'] },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Threshold: 3_600_000,
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }],
    });
  });
});

describe.each(ENV_MATRIX)('compliance (%s stack)', (_name, newStack) => {
  function app(withConstruct: boolean, featured: boolean) {
    const stack = newStack();
    const handler = userFunction(stack, 'Handler');
    const stream = new EncryptedStream(stack, 'Events');
    const consumer = featured ? stream.addConsumer('reader') : undefined;
    if (withConstruct) {
      new StreamProcessingFunction(stack, 'Reader', {
        stream,
        handler,
        ...(featured
          ? {
              enhancedFanOutConsumer: consumer,
              startingPosition: lambda.StartingPosition.LATEST,
              batchSize: 500,
              maxBatchingWindow: Duration.seconds(5),
              parallelizationFactor: 2,
              retryAttempts: 3,
              maxRecordAge: Duration.hours(2),
              tumblingWindow: Duration.minutes(1),
              onFailureQueue: new WorkQueue(stack, 'Failures', { encryption: WorkQueueEncryption.KMS }),
              iteratorAgeAlarmThreshold: Duration.minutes(30),
            }
          : {}),
      });
    }
    return stack;
  }

  test.each([
    ['default props', false],
    ['enhanced fan-out and every prop', true],
  ])('with %s it adds no finding to the app (the function keeps its own)', (_label, featured) => {
    // The on-failure WorkQueue of the featured app is the user's, built in both apps; the construct's own
    // default WorkQueue must add nothing either.
    expect(findingsAddedBy((withConstruct) => app(withConstruct, featured))).toEqual([]);
  });

  test('the app is compliant once the user has dealt with their own function (and the mapping has a destination)', () => {
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

describe('starting position', () => {
  test.each(['latest', 'TRIM', '', 'Sunday'])('a foreign string %p is refused', (startingPosition) => {
    expect(buildError({ startingPosition: startingPosition as lambda.StartingPosition })).toBe(
      `[Stack/Reader] startingPosition must be one of StartingPosition.TRIM_HORIZON, StartingPosition.LATEST or StartingPosition.AT_TIMESTAMP, got ${JSON.stringify(startingPosition)}`,
    );
  });

  test('AT_TIMESTAMP needs a timestamp, and only AT_TIMESTAMP takes one', () => {
    expect(buildError({ startingPosition: lambda.StartingPosition.AT_TIMESTAMP })).toBe(
      '[Stack/Reader] startingPosition needs startingPositionTimestamp when it is AT_TIMESTAMP (the Unix time in seconds to start reading at), got "AT_TIMESTAMP"',
    );
    expect(buildError({ startingPosition: lambda.StartingPosition.LATEST, startingPositionTimestamp: 1 })).toBe(
      '[Stack/Reader] startingPositionTimestamp may be set only with startingPosition AT_TIMESTAMP (startingPosition is LATEST), got 1',
    );
    expect(
      buildError({ startingPosition: lambda.StartingPosition.AT_TIMESTAMP, startingPositionTimestamp: NaN }),
    ).toMatch(
      /^\[Stack\/Reader\] startingPositionTimestamp must be a finite number at least 0 and at most 9,007,199,254,740,991, got NaN$/,
    );
  });
});

describe('numeric limits', () => {
  test.each([
    ['batchSize', 0, 'must be an integer between 1 and 10,000, got 0'],
    ['batchSize', 10_001, 'must be an integer between 1 and 10,000, got 10,001'],
    ['parallelizationFactor', 11, 'must be an integer between 1 and 10, got 11'],
    ['parallelizationFactor', 0.5, 'must be an integer between 1 and 10, got 0.5'],
    ['retryAttempts', 10_001, 'must be an integer between 0 and 10,000, got 10,001'],
    ['retryAttempts', NaN, 'must be an integer between 0 and 10,000, got NaN'],
    [
      'retryAttempts',
      -1,
      "must be an integer between 0 and 10,000; -1 (infinite retries) is not offered, since one record the function always fails on would block its shard until it leaves the stream's retention, got -1",
    ],
  ])('%s %p is refused', (prop, value, rule) => {
    expect(buildError({ [prop]: value })).toBe(`[Stack/Reader] ${prop} ${rule}`);
  });

  test.each([
    ['maxBatchingWindow', Duration.seconds(301), 'must be between 0 seconds and 5 minutes, got 5 minutes 1 second'],
    ['tumblingWindow', Duration.seconds(901), 'must be between 0 seconds and 15 minutes, got 15 minutes 1 second'],
    ['maxRecordAge', Duration.seconds(59), 'must be between 1 minute and 7 days, got 59 seconds'],
    ['maxRecordAge', Duration.days(8), 'must be between 1 minute and 7 days, got 8 days'],
    ['iteratorAgeAlarmThreshold', Duration.seconds(30), 'must be between 1 minute and 7 days, got 30 seconds'],
  ])('%s %s is refused', (prop, value, rule) => {
    expect(buildError({ [prop]: value })).toBe(`[Stack/Reader] ${prop} ${rule}`);
  });

  test('deploy-time values pass through', () => {
    const { stack } = build({
      batchSize: deployTimeNumber(200),
      parallelizationFactor: deployTimeNumber(3),
      retryAttempts: deployTimeNumber(5),
      maxRecordAge: Duration.seconds(deployTimeNumber(7200)),
      tumblingWindow: Duration.seconds(deployTimeNumber(60)),
      maxBatchingWindow: Duration.seconds(deployTimeNumber(2)),
    });
    expect(mapping(stack).Properties).toMatchObject({
      BatchSize: 200,
      ParallelizationFactor: 3,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 7200,
      TumblingWindowInSeconds: 60,
      MaximumBatchingWindowInSeconds: 2,
    });
  });
});

describe('ages and retention', () => {
  test("maxRecordAge must be shorter than the stream's retention", () => {
    expect(buildError({ maxRecordAge: Duration.hours(24) })).toBe(
      "[Stack/Reader] maxRecordAge must be shorter than the stream's retention period (24 hours), or a failing record leaves the stream " +
        'before Lambda gives up on it and is lost without a record in the on-failure queue, got 1 day',
    );
    const stack = strictStack();
    const stream = new kinesis.Stream(stack, 'Plain', {
      retentionPeriod: Duration.hours(30),
      encryption: kinesis.StreamEncryption.MANAGED,
    });
    build({ stream, maxRecordAge: Duration.hours(29) }, stack);
  });

  test('the iterator-age alarm must fire before records are discarded for their age', () => {
    expect(buildError({ maxRecordAge: Duration.hours(2), iteratorAgeAlarmThreshold: Duration.hours(2) })).toBe(
      '[Stack/Reader] iteratorAgeAlarmThreshold must be shorter than maxRecordAge (2 hours): older records are discarded, so the alarm could never fire, got 2 hours',
    );
  });
});

describe('the on-failure queue', () => {
  test('must be a standard queue', () => {
    const stack = strictStack();
    expect(buildError({ onFailureQueue: new WorkQueue(stack, 'Failures', { fifo: true }) }, stack)).toBe(
      '[Stack/Reader] onFailureQueue must be a standard queue: Lambda sends discarded batches of a stream to standard queues only, got "Stack/Failures"',
    );
  });

  test("an imported queue's customer-managed key is granted to encrypt with", () => {
    const stack = strictStack();
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-1111-2222-3333-444455556666';
    const onFailureQueue = sqs.Queue.fromQueueAttributes(stack, 'Failures', {
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:failures',
      keyArn,
    });
    const { consumer } = build({ onFailureQueue }, stack);
    expect(statements(stack)).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: keyArn,
    });
    expect(consumer.alarms).toHaveLength(3);
  });
});

describe('removalPolicy', () => {
  test('RETAIN by default on the on-failure queue, its dead-letter queue and its key', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);
    const failureResources = Object.entries(template.toJSON().Resources).filter(([id]) =>
      id.startsWith('ReaderOnFailureQueue'),
    );
    const stateful = failureResources.filter(([, r]: [string, any]) =>
      ['AWS::SQS::Queue', 'AWS::KMS::Key'].includes(r.Type),
    );
    expect(stateful.length).toBeGreaterThanOrEqual(2);
    expect(stateful.every(([, r]: [string, any]) => r.DeletionPolicy === 'Retain')).toBe(true);
  });

  test('DESTROY reaches every stateful resource of the on-failure queue', () => {
    const { stack } = build({ removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    const stateful = Object.entries(template.toJSON().Resources).filter(
      ([id, r]: [string, any]) =>
        id.startsWith('ReaderOnFailureQueue') && ['AWS::SQS::Queue', 'AWS::KMS::Key'].includes(r.Type),
    );
    expect(stateful.length).toBeGreaterThanOrEqual(2);
    expect(stateful.map(([, r]: [string, any]) => r.DeletionPolicy)).toEqual(stateful.map(() => 'Delete'));
  });

  test('SNAPSHOT, a foreign string, and a policy with a queue of the user are refused', () => {
    expect(buildError({ removalPolicy: RemovalPolicy.SNAPSHOT })).toBe(
      '[Stack/Reader] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot SQS queues and KMS keys, got "RemovalPolicy.SNAPSHOT"',
    );
    expect(buildError({ removalPolicy: 'keep' as RemovalPolicy })).toMatch(
      /^\[Stack\/Reader\] removalPolicy must be RemovalPolicy.RETAIN, .*, got "keep"$/,
    );
    const stack = strictStack();
    expect(
      buildError({ onFailureQueue: new WorkQueue(stack, 'Failures'), removalPolicy: RemovalPolicy.DESTROY }, stack),
    ).toMatch(/^\[Stack\/Reader\] removalPolicy applies only to the on-failure queue the construct creates; .*, got /);
  });
});

describe('refused inputs name the construct and the prop', () => {
  test('a missing stream or handler', () => {
    const stack = strictStack();
    expect(
      () => new StreamProcessingFunction(stack, 'A', { stream: undefined as any, handler: userFunction(stack) }),
    ).toThrow(/^\[Stack\/A\] stream must be a Kinesis data stream \(kinesis.IStream\), got undefined$/);
    expect(
      () =>
        new StreamProcessingFunction(stack, 'B', {
          stream: new EncryptedStream(stack, 'S'),
          handler: undefined as any,
        }),
    ).toThrow(/^\[Stack\/B\] handler must be a Lambda function \(lambda.IFunction\), got undefined$/);
  });

  test.each(['bisectBatchOnError', 'reportBatchItemFailures', 'enabled'])('%s given as a string', (prop) => {
    expect(buildError({ [prop]: 'no' })).toBe(`[Stack/Reader] ${prop} must be true or false, got "no"`);
  });

  test('a function timeout over 15 minutes', () => {
    const stack = strictStack();
    expect(buildError({ handler: userFunction(stack, 'Handler', { timeout: Duration.minutes(20) }) }, stack)).toBe(
      "[Stack/Reader] handler timeout must be between 1 second and 15 minutes (Lambda's maximum function timeout), in seconds, got 1,200",
    );
  });

  test('the same stream mapped to the same function twice', () => {
    const stack = strictStack();
    const { stream, handler } = build({}, stack);
    expect(() => new StreamProcessingFunction(stack, 'Again', { stream, handler })).toThrow(
      /^\[Stack\/Again\] stream must not be mapped to the same handler twice: .* Stack\/Reader already maps it to Stack\/Handler, got "Stack\/Events"$/,
    );
  });

  test('a deploy-time iterator-age threshold cannot become milliseconds', () => {
    expect(buildError({ iteratorAgeAlarmThreshold: Duration.seconds(Token.asNumber({ Ref: 'Threshold' })) })).toBe(
      '[Stack/Reader] iteratorAgeAlarmThreshold must be known at synth (the alarm compares milliseconds, and CloudFormation cannot convert a deploy-time value), got a deploy-time Duration.seconds({"Ref":"Threshold"})',
    );
  });
});
