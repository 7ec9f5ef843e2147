import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as fc from 'fast-check';
import {
  foreignBoolean,
  HandlerKind,
  handlerKindArbitrary,
  mostly,
  seconds,
  TimeoutCase,
  timeoutArbitrary,
  userHandler,
  weighted,
} from './queue-processing-function.fixtures';
import { ENV_MATRIX } from '../harness/app';
import {
  attempt,
  durationAround,
  enumOrForeign,
  expectLibraryError,
  numberAround,
  propertyParameters,
  reportCases,
  TemplateBatch,
} from '../harness/properties';
import { EncryptedStream, EncryptedStreamEncryption } from '../src/encrypted-stream';
import { StreamProcessingFunction, StreamProcessingFunctionProps } from '../src/stream-processing-function';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

// Props generated inside, at and beyond every limit of a Kinesis event source mapping, for every kind of
// stream, consumer, on-failure queue and function the construct takes. Each case ends in a library error
// naming Stack/Reader (or Stack/Again) and a prop the case set, or in a strict synthesis whose mapping holds
// exactly what was asked and respects every AWS limit, checked here independently of the construct.

jest.setTimeout(600_000);

const STREAM_KINDS = [
  'EncryptedStream',
  'EncryptedStream, 48 hours',
  'EncryptedStream, AWS-managed key',
  'kinesis.Stream',
  'imported',
  'not a stream',
] as const;
type StreamKind = (typeof STREAM_KINDS)[number];

const CONSUMER_KINDS = ['none', 'its own', "another stream's", 'not a consumer'] as const;
type ConsumerKind = (typeof CONSUMER_KINDS)[number];

const ON_FAILURE_KINDS = [
  'default',
  'WorkQueue',
  'KMS WorkQueue',
  'FIFO WorkQueue',
  'imported',
  'not a queue',
] as const;
type OnFailureKind = (typeof ON_FAILURE_KINDS)[number];

const STARTING_POSITIONS = Object.values(lambda.StartingPosition) as lambda.StartingPosition[];

interface Case {
  readonly env: number;
  readonly streamKind: StreamKind;
  readonly consumerKind: ConsumerKind;
  readonly onFailureKind: OnFailureKind;
  readonly handlerKind: HandlerKind;
  readonly timeout: TimeoutCase;
  readonly mapTwice: boolean;
  readonly props: Partial<Record<keyof StreamProcessingFunctionProps, unknown>>;
}

/** The props of this construct are many: each is past its limits less often, so that valid cases remain. */
const usual = <T>(values: fc.Arbitrary<T>, edges: fc.Arbitrary<unknown>) => mostly(values, edges, 12);

const caseArbitrary: fc.Arbitrary<Case> = fc
  .record({
    env: fc.nat({ max: ENV_MATRIX.length - 1 }),
    streamKind: weighted<StreamKind>([
      ['EncryptedStream', 5],
      ['EncryptedStream, 48 hours', 2],
      ['EncryptedStream, AWS-managed key', 2],
      ['kinesis.Stream', 2],
      ['imported', 2],
      ['not a stream', 1],
    ]),
    consumerKind: weighted<ConsumerKind>([
      ['none', 10],
      ['its own', 4],
      ["another stream's", 1],
      ['not a consumer', 1],
    ]),
    onFailureKind: weighted<OnFailureKind>([
      ['default', 6],
      ['WorkQueue', 2],
      ['KMS WorkQueue', 2],
      ['FIFO WorkQueue', 1],
      ['imported', 1],
      ['not a queue', 1],
    ]),
    handlerKind: handlerKindArbitrary,
    timeout: timeoutArbitrary,
    mapTwice: weighted([
      [false, 7],
      [true, 1],
    ]),
    props: fc.record(
      {
        startingPosition: enumOrForeign(STARTING_POSITIONS, ['TRIM', 'at_timestamp']),
        startingPositionTimestamp: usual(fc.integer({ min: 0, max: 2_000_000_000 }), numberAround([0])),
        batchSize: usual(fc.integer({ min: 1, max: 10_000 }), numberAround([1, 10_000])),
        maxBatchingWindow: mostly<unknown>(
          seconds(0, 300),
          fc.oneof(durationAround([0, 300]), fc.constantFrom<unknown>(5)),
        ),
        parallelizationFactor: usual(fc.integer({ min: 1, max: 10 }), numberAround([1, 10])),
        retryAttempts: usual(fc.integer({ min: 0, max: 10_000 }), numberAround([-1, 0, 10_000])),
        maxRecordAge: usual(seconds(1800, 80_000), durationAround([60, 3600, 86_400, 172_800, 604_800])),
        bisectBatchOnError: foreignBoolean,
        reportBatchItemFailures: foreignBoolean,
        tumblingWindow: usual(seconds(0, 900), durationAround([0, 900])),
        enabled: foreignBoolean,
        iteratorAgeAlarmThreshold: usual(seconds(60, 1700), durationAround([60, 1800, 3600, 604_800])),
        alarmTopic: fc.constant('own topic'),
      },
      { requiredKeys: [] },
    ),
  })
  .chain((c) =>
    // A timestamp goes with AT_TIMESTAMP; usually the case keeps to that, sometimes it breaks the pairing.
    fc.nat({ max: 9 }).map((dice) => {
      const atTimestamp = c.props.startingPosition === lambda.StartingPosition.AT_TIMESTAMP;
      if (dice === 0 || atTimestamp === (c.props.startingPositionTimestamp !== undefined)) {
        return c;
      }
      const { startingPositionTimestamp: _dropped, ...rest } = c.props;
      return { ...c, props: atTimestamp ? { ...rest, startingPositionTimestamp: 1_767_225_600 } : rest };
    }),
  );

interface Built {
  readonly stack: Stack;
  readonly consumer: StreamProcessingFunction;
}

function makeStream(stack: Stack, kind: StreamKind, id = 'Events'): any {
  switch (kind) {
    case 'EncryptedStream':
      return new EncryptedStream(stack, id);
    case 'EncryptedStream, 48 hours':
      return new EncryptedStream(stack, id, { retentionPeriod: Duration.hours(48) });
    case 'EncryptedStream, AWS-managed key':
      return new EncryptedStream(stack, id, { encryption: EncryptedStreamEncryption.AWS_MANAGED });
    case 'kinesis.Stream':
      return new kinesis.Stream(stack, id, { encryption: kinesis.StreamEncryption.MANAGED });
    case 'imported':
      return kinesis.Stream.fromStreamArn(stack, id, 'arn:aws:kinesis:us-east-1:123456789012:stream/events');
    case 'not a stream':
      return 'arn:aws:kinesis:us-east-1:123456789012:stream/events';
  }
}

function makeConsumer(stack: Stack, kind: ConsumerKind, stream: any): any {
  const consumerOf = (s: any) =>
    s instanceof EncryptedStream
      ? s.addConsumer('reader')
      : new kinesis.StreamConsumer(stack, 'Consumer', { stream: s, streamConsumerName: 'reader' });
  switch (kind) {
    case 'none':
      return undefined;
    case 'its own':
      return typeof stream === 'string' ? undefined : consumerOf(stream);
    case "another stream's":
      return consumerOf(makeStream(stack, 'EncryptedStream', 'Other'));
    case 'not a consumer':
      return 'arn:aws:kinesis:us-east-1:123456789012:stream/events/consumer/reader:1';
  }
}

function makeOnFailureQueue(stack: Stack, kind: OnFailureKind): any {
  switch (kind) {
    case 'default':
      return undefined;
    case 'WorkQueue':
      return new WorkQueue(stack, 'Failures');
    case 'KMS WorkQueue':
      return new WorkQueue(stack, 'Failures', { encryption: WorkQueueEncryption.KMS });
    case 'FIFO WorkQueue':
      return new WorkQueue(stack, 'Failures', { fifo: true });
    case 'imported':
      return sqs.Queue.fromQueueArn(stack, 'Failures', 'arn:aws:sqs:us-east-1:123456789012:failures');
    case 'not a queue':
      return 'arn:aws:sqs:us-east-1:123456789012:failures';
  }
}

function build(c: Case): Built {
  const stack = ENV_MATRIX[c.env][1]();
  const stream = makeStream(stack, c.streamKind);
  const handler = userHandler(stack, c.handlerKind, c.timeout);
  const props: Record<string, unknown> = { ...c.props };
  if (props.alarmTopic !== undefined) {
    props.alarmTopic = new sns.Topic(stack, 'Pager');
  }
  const enhancedFanOutConsumer = makeConsumer(stack, c.consumerKind, stream);
  const onFailureQueue = makeOnFailureQueue(stack, c.onFailureKind);
  const consumer = new StreamProcessingFunction(stack, 'Reader', {
    ...props,
    stream,
    handler,
    enhancedFanOutConsumer,
    onFailureQueue,
  } as StreamProcessingFunctionProps);
  if (c.mapTwice) {
    new StreamProcessingFunction(stack, 'Again', {
      stream,
      handler,
      enhancedFanOutConsumer,
    } as StreamProcessingFunctionProps);
  }
  return { stack, consumer };
}

function handlerIsBuildable(c: Case): boolean {
  return attempt(() => userHandler(ENV_MATRIX[0][1](), c.handlerKind, c.timeout)).kind === 'built';
}

/** The props the case set, as the error may name them (the stream, consumer and queue facts included). */
function setProps(c: Case): string[] {
  const props = [...Object.keys(c.props), 'stream', 'handler', 'props'];
  if (c.consumerKind !== 'none') props.push('enhancedFanOutConsumer');
  if (c.onFailureKind !== 'default') props.push('onFailureQueue');
  // maxRecordAge's default is checked against the stream's retention too.
  props.push('maxRecordAge');
  return props;
}

/** The seconds a Duration stands for, a token known at synth (in any unit) resolved. */
function secondsOf(stack: Stack, value: unknown): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const duration = value as Duration;
  if (!duration.isUnresolved()) {
    // `+ 0` turns -0 (which JSON writes as 0) into 0.
    return duration.toSeconds({ integral: false }) + 0;
  }
  const units: Record<string, [(d: Duration) => number, number]> = {
    seconds: [(d) => d.toSeconds(), 1],
    minutes: [(d) => d.toMinutes(), 60],
    hours: [(d) => d.toHours(), 3600],
    days: [(d) => d.toDays(), 86_400],
  };
  const [amount, factor] = units[duration.unitLabel()];
  return stack.resolve(amount(duration)) * factor;
}

/** What was asked is in the template, and every AWS limit holds (Lambda parameters for Kinesis mappings). */
function checkTemplate(c: Case, built: Built, template: Template): void {
  const { stack } = built;
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as any[];
  const props = mappings[0].Properties;
  const asked = c.props;
  const ask = (value: unknown) => (value === undefined ? undefined : stack.resolve(value));

  const position = (asked.startingPosition as string | undefined) ?? 'TRIM_HORIZON';
  expect(props.StartingPosition).toBe(position);
  expect(STARTING_POSITIONS).toContain(props.StartingPosition);
  if (position === 'AT_TIMESTAMP') {
    expect(props.StartingPositionTimestamp).toBe(ask(asked.startingPositionTimestamp));
    expect(Number.isFinite(props.StartingPositionTimestamp) && props.StartingPositionTimestamp >= 0).toBe(true);
  } else {
    expect(props.StartingPositionTimestamp).toBeUndefined();
  }

  expect(props.BatchSize).toBe(ask(asked.batchSize) ?? 100);
  expect(Number.isInteger(props.BatchSize) && props.BatchSize >= 1 && props.BatchSize <= 10_000).toBe(true);
  expect(props.MaximumBatchingWindowInSeconds).toBe(secondsOf(stack, asked.maxBatchingWindow));
  if (props.MaximumBatchingWindowInSeconds !== undefined) {
    expect(Number.isInteger(props.MaximumBatchingWindowInSeconds) && props.MaximumBatchingWindowInSeconds <= 300).toBe(
      true,
    );
  }
  expect(props.ParallelizationFactor).toBe(ask(asked.parallelizationFactor));
  if (props.ParallelizationFactor !== undefined) {
    expect(
      Number.isInteger(props.ParallelizationFactor) &&
        props.ParallelizationFactor >= 1 &&
        props.ParallelizationFactor <= 10,
    ).toBe(true);
  }
  expect(props.MaximumRetryAttempts).toBe(ask(asked.retryAttempts) ?? 10);
  expect(
    Number.isInteger(props.MaximumRetryAttempts) &&
      props.MaximumRetryAttempts >= 0 &&
      props.MaximumRetryAttempts <= 10_000,
  ).toBe(true);

  const recordAge = props.MaximumRecordAgeInSeconds as number;
  expect(recordAge).toBe(secondsOf(stack, asked.maxRecordAge) ?? 3600);
  expect(Number.isInteger(recordAge) && recordAge >= 60 && recordAge <= 604_800).toBe(true);
  const retentionHours =
    c.streamKind === 'EncryptedStream, 48 hours'
      ? 48
      : ['imported', 'not a stream'].includes(c.streamKind)
        ? undefined
        : 24;
  if (retentionHours !== undefined) {
    expect(recordAge).toBeLessThan(retentionHours * 3600);
  }

  expect(props.TumblingWindowInSeconds).toBe(secondsOf(stack, asked.tumblingWindow));
  if (props.TumblingWindowInSeconds !== undefined) {
    expect(Number.isInteger(props.TumblingWindowInSeconds) && props.TumblingWindowInSeconds <= 900).toBe(true);
  }
  expect(props.BisectBatchOnFunctionError).toBe(asked.bisectBatchOnError ?? true);
  expect(props.FunctionResponseTypes).toEqual(
    asked.reportBatchItemFailures === false ? undefined : ['ReportBatchItemFailures'],
  );
  expect(props.Enabled).toBe(asked.enabled);
  expect(props.DestinationConfig.OnFailure.Destination).toBeDefined();
  if (c.consumerKind === 'its own') {
    expect(JSON.stringify(props.EventSourceArn)).toMatch(/ConsumerARN|consumer/);
  }

  const iteratorAlarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
    (alarm: any) => alarm.Properties.MetricName === 'IteratorAge',
  ) as any;
  const threshold = iteratorAlarm.Properties.Threshold as number;
  const askedThreshold = secondsOf(stack, asked.iteratorAgeAlarmThreshold);
  expect(threshold).toBe(askedThreshold !== undefined ? askedThreshold * 1000 : Math.floor(recordAge / 2) * 1000);
  expect(threshold).toBeLessThan(recordAge * 1000);

  const functionResource = Object.values(template.findResources('AWS::Lambda::Function'))[0] as any;
  const timeout = functionResource ? (functionResource.Properties.Timeout ?? 3) : undefined;
  if (typeof timeout === 'number') {
    expect(timeout >= 1 && timeout <= 900).toBe(true);
  }
}

test('StreamProcessingFunction: every generated case is refused with a library error or synthesizes what was asked', async () => {
  const batch = new TemplateBatch();
  const counts = { errors: 0, built: 0 };
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (c) => {
      fc.pre(handlerIsBuildable(c));
      const outcome = attempt(() => {
        const built = build(c);
        return { built, template: Template.fromStack(built.stack) };
      });
      if (outcome.kind === 'error') {
        counts.errors++;
        expectLibraryError(outcome.error, ['Stack/Reader', 'Stack/Again'], setProps(c));
        return;
      }
      counts.built++;
      checkTemplate(c, outcome.value.built, outcome.value.template);
      batch.add(outcome.value.template.toJSON(), `stream-processing-function.properties.${c.streamKind}`);
    }),
    propertyParameters(250),
  );
  reportCases('StreamProcessingFunction', counts);
  expect(counts.built).toBeGreaterThan(10);
  expect(counts.errors).toBeGreaterThan(10);
  await batch.expectCfnLintClean();
});

test('a deploy-time value in every numeric prop passes through to the template', () => {
  const stack = ENV_MATRIX[0][1]();
  const parameter = (name: string) => new CfnParameter(stack, name, { type: 'Number' }).valueAsNumber;
  const consumer = new StreamProcessingFunction(stack, 'Reader', {
    stream: makeStream(stack, 'EncryptedStream'),
    handler: userHandler(stack, 'Function', { duration: Duration.seconds(5) }),
    startingPosition: lambda.StartingPosition.AT_TIMESTAMP,
    startingPositionTimestamp: parameter('Timestamp'),
    batchSize: parameter('BatchSize'),
    maxBatchingWindow: Duration.seconds(parameter('Window')),
    parallelizationFactor: parameter('Parallelization'),
    retryAttempts: parameter('Retries'),
    maxRecordAge: Duration.seconds(parameter('RecordAge')),
    tumblingWindow: Duration.seconds(parameter('Tumbling')),
  });
  const props = (Object.values(Template.fromStack(stack).findResources('AWS::Lambda::EventSourceMapping'))[0] as any)
    .Properties;
  expect(props).toMatchObject({
    StartingPositionTimestamp: { Ref: 'Timestamp' },
    BatchSize: { Ref: 'BatchSize' },
    MaximumBatchingWindowInSeconds: { Ref: 'Window' },
    ParallelizationFactor: { Ref: 'Parallelization' },
    MaximumRetryAttempts: { Ref: 'Retries' },
    MaximumRecordAgeInSeconds: { Ref: 'RecordAge' },
    TumblingWindowInSeconds: { Ref: 'Tumbling' },
  });
  // With a deploy-time record age, the iterator-age alarm takes half the default record age.
  expect(stack.resolve((consumer.iteratorAgeAlarm.node.defaultChild as any).threshold)).toBe(1_800_000);
});
