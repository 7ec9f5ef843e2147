import { CfnParameter, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { strictStack } from '../harness/app';
import { CapacitySimulationProps } from '../src/capacity-model';
import { LambdaSqsScalingModel, LambdaSqsSimulationMinute } from '../src/lambda-sqs-scaling-model';
import { QueueProcessingFunction } from '../src/queue-processing-function';
import { WorkQueue } from '../src/work-queue';

// The figures of the Lambda Developer Guide, "Configuring scaling behavior for SQS event source mappings"
// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html): five concurrent batches when
// messages are available, up to 300 more concurrent invokes per minute while messages remain, at most
// 1,250 invokes per mapping; maximum concurrency 2 to 1,000 (Lambda API reference, ScalingConfig).

const deployTime = (value: number) => Token.asNumber(Lazy.number({ produce: () => value }));

function handler(stack: Stack, id = 'Handler', props: Partial<lambda.FunctionProps> = {}): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout: Duration.seconds(30),
    ...props,
  });
}

function processed(steps: LambdaSqsSimulationMinute[], before = steps.length): number {
  return steps.filter((s) => s.minute < before).reduce((sum, s) => sum + s.processedMessages, 0);
}

describe("Lambda's documented scaling", () => {
  test('the constants are the guide’s: 5 at first, 300 more a minute, 1,250 per mapping', () => {
    expect(LambdaSqsScalingModel.INITIAL_CONCURRENCY).toBe(5);
    expect(LambdaSqsScalingModel.CONCURRENCY_INCREASE_PER_MINUTE).toBe(300);
    expect(LambdaSqsScalingModel.MAX_MAPPING_CONCURRENCY).toBe(1250);
  });

  test('5, 305, 605, 905, 1,205, then the mapping’s 1,250', () => {
    const model = new LambdaSqsScalingModel({ availableConcurrency: 5000 });
    expect([0, 1, 2, 3, 4, 5, 6, 100].map((n) => model.scaledConcurrency(n))).toEqual([
      5, 305, 605, 905, 1205, 1250, 1250, 1250,
    ]);
    expect(model.concurrencyLimit).toBe(1250);
  });

  test('maximum concurrency caps the mapping', () => {
    const model = new LambdaSqsScalingModel({ maxConcurrency: 100, availableConcurrency: 5000 });
    expect([0, 1, 2].map((n) => model.scaledConcurrency(n))).toEqual([5, 100, 100]);
  });

  test('the account’s default 1,000 concurrent executions cap the function, and reserved concurrency lower', () => {
    expect(new LambdaSqsScalingModel().concurrencyLimit).toBe(1000);
    expect(new LambdaSqsScalingModel({ availableConcurrency: 3 }).scaledConcurrency(0)).toBe(3);
    expect(new LambdaSqsScalingModel({ availableConcurrency: 0 }).scaledConcurrency(4)).toBe(0);
  });
});

describe('LambdaSqsScalingModel.simulate', () => {
  test('a large backlog: 5 concurrent invocations in minute 0, 305 in minute 1, each doing 6 batches of 10 a minute', () => {
    // Batch size 10 at 1 s per message: a batch takes 10 s, so an invocation finishes 6 batches (60 messages) a minute.
    const model = new LambdaSqsScalingModel({ batchSize: 10, availableConcurrency: 5000 });
    const steps = model.simulate({
      initialBacklog: 1_000_000,
      processingTimePerMessage: Duration.seconds(1),
      minutes: 7,
    });
    expect(steps.map((s) => s.workers)).toEqual([5, 305, 605, 905, 1205, 1250, 1250]);
    expect(steps.map((s) => s.scaledConcurrency)).toEqual([5, 305, 605, 905, 1205, 1250, 1250]);
    expect(steps.map((s) => s.processedMessages)).toEqual([300, 18_300, 36_300, 54_300, 72_300, 75_000, 75_000]);
    expect(steps[1].visibleMessages).toBe(1_000_000 - 300);
  });

  test('capped at the maximum concurrency from minute 1', () => {
    const model = new LambdaSqsScalingModel({ batchSize: 10, maxConcurrency: 50 });
    const steps = model.simulate({
      initialBacklog: 100_000,
      processingTimePerMessage: Duration.seconds(1),
      minutes: 3,
    });
    expect(steps.map((s) => s.workers)).toEqual([5, 50, 50]);
    expect(steps.map((s) => s.processedMessages)).toEqual([300, 3000, 3000]);
  });

  // 1,000 videos of 2 minutes, one per invocation, at most 20 at once: the spike of the main job.
  describe('the video spike: batch size 1, 2 minutes per video, maximum concurrency 20', () => {
    const model = new LambdaSqsScalingModel({ batchSize: 1, maxConcurrency: 20 });
    const steps = model.simulate({ initialBacklog: 1000, processingTimePerMessage: Duration.minutes(2), minutes: 120 });

    test('5 invocations start at once, the other 15 a minute later', () => {
      expect(steps.slice(0, 3).map((s) => s.workers)).toEqual([5, 20, 20]);
    });

    test('videos finish when their invocation does: 5 at the end of minute 1, 15 at the end of minute 2, and so on', () => {
      expect(steps.slice(0, 6).map((s) => s.processedMessages)).toEqual([0, 5, 15, 5, 15, 5]);
      expect(processed(steps, 10)).toBe(85);
    });

    test('drained at minute 101: 20 videos every 2 minutes after the first 20 started', () => {
      // 980 videos after the first 20 are 49 more rounds of 5 and 15; the last 15 finish at the end of minute 100.
      expect(steps[100]).toMatchObject({ visibleMessages: 15, processedMessages: 15 });
      expect(steps[101]).toMatchObject({ visibleMessages: 0, workers: 0, processedMessages: 0 });
      expect(processed(steps)).toBe(1000);
    });

    test('the last invocations end one batch at a time, not all at once', () => {
      expect(steps.slice(98, 102).map((s) => s.workers)).toEqual([20, 20, 15, 0]);
    });
  });

  test('fewer messages than a batch: one invocation takes them all', () => {
    const model = new LambdaSqsScalingModel({ batchSize: 10 });
    const steps = model.simulate({ initialBacklog: 7, processingTimePerMessage: Duration.seconds(1), minutes: 2 });
    expect(steps[0]).toMatchObject({ visibleMessages: 7, workers: 1, processedMessages: 7 });
    expect(steps[1]).toMatchObject({ visibleMessages: 0, workers: 0, processedMessages: 0 });
  });

  test('Lambda invokes no more functions than there are batches', () => {
    const model = new LambdaSqsScalingModel({ batchSize: 10, maxConcurrency: 1000 });
    const steps = model.simulate({ initialBacklog: 3000, processingTimePerMessage: Duration.minutes(1), minutes: 3 });
    // Minute 0: 5 batches; minute 1: 295 more (the 300 batches there are), not 305.
    expect(steps.map((s) => s.workers)).toEqual([5, 300, 300]);
  });

  test('arrivals join the queue in their minute, and concurrency falls back to 5 once the queue is empty', () => {
    const model = new LambdaSqsScalingModel({ batchSize: 1, availableConcurrency: 5000 });
    const steps = model.simulate({
      initialBacklog: 0,
      processingTimePerMessage: Duration.seconds(30),
      minutes: 8,
      arrivalsPerMinute: [0, 5000, 0, 0, 0, 0, 0, 100],
    });
    expect(steps[0]).toMatchObject({ visibleMessages: 0, workers: 0, processedMessages: 0, scaledConcurrency: 5 });
    // 30 s per message: each invocation finishes 2 a minute. Minute 1: 5 invocations; then 300 more each minute.
    expect(steps.slice(1, 5).map((s) => s.workers)).toEqual([5, 305, 605, 905]);
    expect(steps.slice(1, 5).map((s) => s.processedMessages)).toEqual([10, 610, 1210, 1810]);
    const emptied = steps.findIndex((s) => s.minute > 1 && s.visibleMessages === 0);
    expect(emptied).toBeGreaterThan(4);
    expect(steps[7]).toMatchObject({ visibleMessages: 100, scaledConcurrency: 5, workers: 5 });
  });

  test('a function with no concurrency processes nothing, and loses nothing', () => {
    const model = new LambdaSqsScalingModel({ availableConcurrency: 0 });
    const steps = model.simulate({ initialBacklog: 50, processingTimePerMessage: Duration.seconds(1), minutes: 3 });
    expect(steps.map((s) => [s.visibleMessages, s.workers, s.processedMessages])).toEqual([
      [50, 0, 0],
      [50, 0, 0],
      [50, 0, 0],
    ]);
  });

  test('millisecond messages and a week of minutes stay quick', () => {
    const model = new LambdaSqsScalingModel({ batchSize: 1 });
    const started = Date.now();
    const steps = model.simulate({
      initialBacklog: 1_000_000_000,
      processingTimePerMessage: Duration.millis(1),
      minutes: 10_080,
    });
    expect(processed(steps) + steps[steps.length - 1].visibleMessages - steps[steps.length - 1].processedMessages).toBe(
      1_000_000_000,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('LambdaSqsScalingModel.forFunction', () => {
  test('takes the batch size and maximum concurrency of a QueueProcessingFunction', () => {
    const stack = strictStack();
    const consumer = new QueueProcessingFunction(stack, 'Worker', {
      queue: new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) }),
      handler: handler(stack),
      batchSize: 5,
      maxConcurrency: 40,
    });
    const model = LambdaSqsScalingModel.forFunction(consumer);
    expect(model).toMatchObject({ batchSize: 5, maxConcurrency: 40, availableConcurrency: 1000, concurrencyLimit: 40 });
  });

  test("takes the handler's reserved concurrency as what the function may use", () => {
    const stack = strictStack();
    const consumer = new QueueProcessingFunction(stack, 'Worker', {
      queue: new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(5) }),
      handler: handler(stack, 'Handler', { reservedConcurrentExecutions: 8 }),
    });
    // QueueProcessingFunction lowers its default maximum concurrency to the reserved concurrency.
    const model = LambdaSqsScalingModel.forFunction(consumer);
    expect(model).toMatchObject({ maxConcurrency: 8, availableConcurrency: 8, concurrencyLimit: 8 });
    expect(LambdaSqsScalingModel.forFunction(consumer, { availableConcurrency: 3 }).concurrencyLimit).toBe(3);
  });

  test('refuses a FIFO queue, which Lambda scales by message group', () => {
    const stack = strictStack();
    const consumer = new QueueProcessingFunction(stack, 'Worker', {
      queue: new WorkQueue(stack, 'Jobs', { fifo: true, visibilityTimeout: Duration.minutes(5) }),
      handler: handler(stack),
    });
    expect(() => LambdaSqsScalingModel.forFunction(consumer)).toThrow(
      /^\[LambdaSqsScalingModel\] forFunction consumer.queue must be a standard queue: Lambda scales a FIFO queue by message group, which the model does not cover, got a FIFO queue$/,
    );
  });

  test('refuses numbers only the deployment knows', () => {
    const stack = strictStack();
    const queue = new sqs.Queue(stack, 'Jobs', {
      visibilityTimeout: Duration.minutes(5),
      deadLetterQueue: { queue: new sqs.Queue(stack, 'Dead'), maxReceiveCount: 5 },
    });
    const consumer = new QueueProcessingFunction(stack, 'Worker', {
      queue,
      handler: handler(stack),
      // A parameter: the construct resolves a Lazy known at synth, but not this.
      maxConcurrency: new CfnParameter(stack, 'MaxConcurrency', { type: 'Number' }).valueAsNumber,
    });
    expect(() => LambdaSqsScalingModel.forFunction(consumer)).toThrow(
      /^\[LambdaSqsScalingModel\] forFunction consumer.maxConcurrency must be known at synth \(the model computes with it\), got a deploy-time value$/,
    );
  });

  test('refuses what is not a consumer', () => {
    expect(() => LambdaSqsScalingModel.forFunction(undefined as unknown as QueueProcessingFunction)).toThrow(
      /^\[LambdaSqsScalingModel\] forFunction consumer must be a QueueProcessingFunction, got undefined$/,
    );
    expect(() => LambdaSqsScalingModel.forFunction({} as QueueProcessingFunction)).toThrow(
      /^\[LambdaSqsScalingModel\] forFunction consumer.batchSize must be a whole number between 1 and 10,000, got undefined$/,
    );
  });

  test('a JavaScript caller may pass the numbers alone: the handler then has no reserved concurrency to read', () => {
    const consumer = { batchSize: 1, maxConcurrency: 30, handler: {} } as unknown as QueueProcessingFunction;
    expect(LambdaSqsScalingModel.forFunction(consumer)).toMatchObject({
      availableConcurrency: 1000,
      concurrencyLimit: 30,
    });
  });
});

describe('LambdaSqsScalingModel refuses what no mapping could have', () => {
  test.each([
    [
      'a batch of 0',
      { batchSize: 0 },
      /^\[LambdaSqsScalingModel\] batchSize must be a whole number between 1 and 10,000, got 0$/,
    ],
    [
      'a batch above 10,000',
      { batchSize: 10_001 },
      /batchSize must be a whole number between 1 and 10,000, got 10,001$/,
    ],
    ['a fractional batch', { batchSize: 2.5 }, /batchSize must be a whole number between 1 and 10,000, got 2.5$/],
    ['a NaN batch', { batchSize: NaN }, /batchSize must be a whole number between 1 and 10,000, got NaN$/],
    [
      'a deploy-time batch',
      { batchSize: deployTime(10) },
      /batchSize must be known at synth \(the model computes with it\), got a deploy-time value$/,
    ],
    [
      'a maximum concurrency of 1',
      { maxConcurrency: 1 },
      /maxConcurrency must be a whole number between 2 and 1,000, got 1$/,
    ],
    [
      'a maximum concurrency of 1,250',
      { maxConcurrency: 1250 },
      /maxConcurrency must be a whole number between 2 and 1,000, got 1,250$/,
    ],
    [
      'an infinite maximum concurrency',
      { maxConcurrency: Infinity },
      /maxConcurrency must be a whole number between 2 and 1,000, got Infinity$/,
    ],
    [
      'a negative available concurrency',
      { availableConcurrency: -1 },
      /^\[LambdaSqsScalingModel\] availableConcurrency must be a whole number between 0 and 2,147,483,647, got -1$/,
    ],
  ])('%s', (_name, props, message) => {
    expect(() => new LambdaSqsScalingModel(props)).toThrow(message);
  });

  const model = new LambdaSqsScalingModel({ batchSize: 10 });
  const run: CapacitySimulationProps = {
    initialBacklog: 10,
    processingTimePerMessage: Duration.seconds(1),
    minutes: 5,
  };

  test.each([
    [
      'a batch that would outlast the 15-minute timeout',
      { processingTimePerMessage: Duration.minutes(2) },
      /^\[LambdaSqsScalingModel\] simulate processingTimePerMessage must be at most 15 minutes ÷ batchSize \(10\): a batch must finish within Lambda's 15-minute timeout, got 2 minutes$/,
    ],
    [
      'a message that outlasts the timeout',
      { processingTimePerMessage: Duration.minutes(16) },
      /simulate processingTimePerMessage must be between 1 millisecond and 15 minutes, got 16 minutes$/,
    ],
    [
      'a NaN processing time',
      { processingTimePerMessage: Duration.seconds(NaN) },
      /simulate processingTimePerMessage must be between 1 millisecond and 15 minutes, got Duration.seconds\(NaN\)$/,
    ],
    [
      'a deploy-time processing time',
      { processingTimePerMessage: Duration.seconds(deployTime(1)) },
      /simulate processingTimePerMessage must be known at synth \(the model computes with it\), got a deploy-time Duration \(Duration.seconds\(…\)\)$/,
    ],
    ['fractional minutes', { minutes: 1.5 }, /simulate minutes must be a whole number between 1 and 10,080, got 1.5$/],
    [
      'a negative backlog',
      { initialBacklog: -3 },
      /simulate initialBacklog must be a whole number between 0 and 9,007,199,254,740,991, got -3$/,
    ],
    [
      'Infinity arrivals',
      { arrivalsPerMinute: [1, Infinity] },
      /simulate arrivalsPerMinute\[1\] must be a whole number between 0 and 9,007,199,254,740,991, got Infinity$/,
    ],
  ])('simulate refuses %s', (_name, override, message) => {
    expect(() => model.simulate({ ...run, ...override })).toThrow(message);
  });

  test('scaledConcurrency refuses a negative number of minutes', () => {
    expect(() => model.scaledConcurrency(-1)).toThrow(
      /^\[LambdaSqsScalingModel\] scaledConcurrency busyMinutes must be a whole number between 0 and 10,080, got -1$/,
    );
  });
});
