import { CfnParameter, Duration, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as fc from 'fast-check';
import {
  foreignBoolean,
  HandlerKind,
  handlerKindArbitrary,
  mostly,
  optional,
  seconds,
  timeoutArbitrary,
  userHandler,
  weighted,
} from './queue-processing-function.fixtures';
import { ENV_MATRIX } from '../harness/app';
import {
  attempt,
  durationAround,
  expectLibraryError,
  numberAround,
  numberToken,
  propertyParameters,
  reportCases,
  TemplateBatch,
} from '../harness/properties';
import { QueueProcessingFunction, QueueProcessingFunctionProps } from '../src/queue-processing-function';
import { WorkQueue } from '../src/work-queue';

// Props generated inside, at and beyond every limit of an SQS event source mapping, for every kind of
// queue and function the construct takes. Each case ends in a library error naming Stack/Worker and a
// prop the case set (or the queue or handler whose facts decided), or in a strict synthesis whose mapping
// holds exactly what was asked and respects every AWS limit, checked here independently of the construct.

jest.setTimeout(600_000);

const QUEUE_KINDS = [
  'WorkQueue',
  'FIFO WorkQueue',
  'KMS WorkQueue',
  'sqs.Queue with DLQ',
  'sqs.Queue without DLQ',
  'imported',
  'imported FIFO',
  'imported, other region',
  'not a queue',
] as const;
type QueueKind = (typeof QUEUE_KINDS)[number];

interface Case {
  readonly env: number;
  readonly queueKind: QueueKind;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  readonly handlerKind: HandlerKind;
  /** The function's timeout: a Duration prop, or a raw CloudFormation value set through the escape hatch. */
  readonly timeout: { readonly duration?: Duration; readonly raw?: number };
  readonly reservedConcurrency?: number;
  readonly mapTwice: boolean;
  readonly props: Partial<Record<keyof QueueProcessingFunctionProps, unknown>>;
}

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  env: fc.nat({ max: ENV_MATRIX.length - 1 }),
  queueKind: weighted<QueueKind>([
    ['WorkQueue', 5],
    ['FIFO WorkQueue', 2],
    ['KMS WorkQueue', 2],
    ['sqs.Queue with DLQ', 2],
    ['sqs.Queue without DLQ', 1],
    ['imported', 2],
    ['imported FIFO', 1],
    ['imported, other region', 1],
    ['not a queue', 1],
  ]),
  visibilityTimeoutSeconds: weighted([
    [10, 1],
    [30, 2],
    [60, 3],
    [900, 3],
    [43_200, 2],
  ]),
  retentionSeconds: weighted([
    [60, 1],
    [600, 1],
    [3600, 2],
    [345_600, 4],
  ]),
  handlerKind: handlerKindArbitrary,
  timeout: timeoutArbitrary,
  reservedConcurrency: optional(fc.constantFrom(1, 5, 200)),
  mapTwice: weighted([
    [false, 7],
    [true, 1],
  ]),
  props: fc.record(
    {
      batchSize: mostly(
        fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 10 }) },
          { weight: 1, arbitrary: fc.integer({ min: 11, max: 10_000 }) },
        ),
        numberAround([1, 10, 11, 10_000]),
      ),
      maxBatchingWindow: mostly<unknown>(
        seconds(0, 300),
        fc.oneof(durationAround([0, 1, 300]), fc.constantFrom<unknown>(5, 'PT5S')),
      ),
      maxConcurrency: mostly(fc.integer({ min: 2, max: 1000 }), numberAround([2, 100, 1000])),
      reportBatchItemFailures: foreignBoolean,
      enabled: foreignBoolean,
      oldestMessageAgeAlarmThreshold: mostly(seconds(60, 300), durationAround([60, 600, 900, 3600, 1_209_600])),
      alarmTopic: fc.constant('own topic'),
    },
    { requiredKeys: [] },
  ),
});

interface Built {
  readonly stack: Stack;
  readonly consumer: QueueProcessingFunction;
  readonly queue: sqs.IQueue;
  readonly fifo: boolean;
}

/** Builds the case; the queue and function are valid for their own constructs, so any error is the consumer's. */
function build(c: Case): Built {
  const stack = ENV_MATRIX[c.env][1]();
  const queue = makeQueue(stack, c);
  const handler = makeHandler(stack, c);
  const props = { ...c.props } as Record<string, unknown>;
  if (props.alarmTopic !== undefined) {
    props.alarmTopic = new sns.Topic(stack, 'Pager');
  }
  const consumer = new QueueProcessingFunction(stack, 'Worker', {
    ...props,
    queue,
    handler,
  } as QueueProcessingFunctionProps);
  if (c.mapTwice) {
    new QueueProcessingFunction(stack, 'Again', { queue, handler } as QueueProcessingFunctionProps);
  }
  return { stack, consumer, queue, fifo: (queue as sqs.IQueue).fifo === true };
}

function makeQueue(stack: Stack, c: Case): any {
  const visibilityTimeout = Duration.seconds(c.visibilityTimeoutSeconds);
  const retentionPeriod = Duration.seconds(c.retentionSeconds);
  switch (c.queueKind) {
    case 'WorkQueue':
      return new WorkQueue(stack, 'Jobs', { visibilityTimeout, retentionPeriod });
    case 'FIFO WorkQueue':
      return new WorkQueue(stack, 'Jobs', { visibilityTimeout, retentionPeriod, fifo: true });
    case 'KMS WorkQueue':
      return new WorkQueue(stack, 'Jobs', {
        visibilityTimeout,
        retentionPeriod,
        encryptionKey: undefined,
        encryption: 'KMS' as any,
      });
    case 'sqs.Queue with DLQ':
      return new sqs.Queue(stack, 'Jobs', {
        visibilityTimeout,
        retentionPeriod,
        deadLetterQueue: { queue: new sqs.Queue(stack, 'Dlq', { enforceSSL: true }), maxReceiveCount: 5 },
        enforceSSL: true,
      });
    case 'sqs.Queue without DLQ':
      return new sqs.Queue(stack, 'Jobs', { visibilityTimeout, retentionPeriod });
    case 'imported':
      return sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:jobs');
    case 'imported FIFO':
      return sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:us-east-1:123456789012:jobs.fifo');
    case 'imported, other region':
      return sqs.Queue.fromQueueArn(stack, 'Jobs', 'arn:aws:sqs:eu-west-1:123456789012:jobs');
    case 'not a queue':
      return 'arn:aws:sqs:us-east-1:123456789012:jobs';
  }
}

function makeHandler(stack: Stack, c: Case): any {
  return userHandler(stack, c.handlerKind, c.timeout, c.reservedConcurrency);
}

/** Whether the function's own construction throws, independently of the consumer (aws-cdk-lib's checks). */
function handlerIsBuildable(c: Case): boolean {
  const stack = ENV_MATRIX[0][1]();
  return attempt(() => makeHandler(stack, c)).kind === 'built';
}

function resolved<T>(stack: Stack, value: T): T {
  return stack.resolve(value);
}

/**
 * What was asked is in the template, and every AWS limit holds (Lambda parameters for Amazon SQS event
 * source mappings, CreateEventSourceMapping, ScalingConfig, the visibility-timeout rule, Lambda quotas).
 */
function checkTemplate(c: Case, built: Built, template: Template): void {
  const { stack, fifo } = built;
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as any[];
  const props = mappings.find((m) => m.Properties.EventSourceArn !== undefined)!.Properties;

  const batchSize = props.BatchSize as number;
  expect(batchSize).toBe(c.props.batchSize === undefined ? 10 : resolved(stack, c.props.batchSize));
  expect(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= (fifo ? 10 : 10_000)).toBe(true);

  const window = props.MaximumBatchingWindowInSeconds as number | undefined;
  const askedWindow = c.props.maxBatchingWindow as Duration | undefined;
  if (askedWindow === undefined || (fifo && resolved(stack, askedWindow.toSeconds({ integral: false })) === 0)) {
    expect(window).toBeUndefined();
  } else {
    expect(window).toBe(askedWindow.isUnresolved() ? resolved(stack, window) : askedWindow.toSeconds());
  }
  if (window !== undefined) {
    expect(Number.isInteger(window) && window >= 0 && window <= 300).toBe(true);
    expect(fifo).toBe(false);
  }
  if (batchSize > 10) {
    expect(window).toBeGreaterThanOrEqual(1);
  }

  const concurrency = props.ScalingConfig.MaximumConcurrency as number;
  const expectedConcurrency =
    c.props.maxConcurrency !== undefined
      ? resolved(stack, c.props.maxConcurrency)
      : c.reservedConcurrency !== undefined && ['Function', 'Alias'].includes(c.handlerKind)
        ? Math.max(2, Math.min(100, c.reservedConcurrency))
        : 100;
  expect(concurrency).toBe(expectedConcurrency);
  expect(Number.isInteger(concurrency) && concurrency >= 2 && concurrency <= 1000).toBe(true);

  expect(props.FunctionResponseTypes).toEqual(
    c.props.reportBatchItemFailures === false ? undefined : ['ReportBatchItemFailures'],
  );
  expect(props.Enabled).toBe(c.props.enabled);
  expect(props.StartingPosition).toBeUndefined();
  expect(props.DestinationConfig).toBeUndefined();

  // The function's timeout (when the template has it) is at most 15 minutes and a sixth of the visibility timeout.
  const functionResource = Object.values(template.findResources('AWS::Lambda::Function'))[0] as any;
  const queueResource = template.findResources('AWS::SQS::Queue');
  const timeout = functionResource?.Properties.Timeout ?? (functionResource ? 3 : undefined);
  if (typeof timeout === 'number') {
    expect(timeout >= 1 && timeout <= 900).toBe(true);
    const source = Object.values(queueResource).find((q: any) => q.Properties?.RedrivePolicy !== undefined) as any;
    if (source) {
      expect(source.Properties?.VisibilityTimeout ?? 30).toBeGreaterThanOrEqual(6 * timeout);
    }
  }

  const ageAlarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
    (alarm: any) =>
      alarm.Properties.MetricName === 'ApproximateAgeOfOldestMessage' &&
      alarm.Properties.Statistic === 'Maximum' &&
      alarm.Properties.EvaluationPeriods === 5,
  ) as any;
  const askedAge = c.props.oldestMessageAgeAlarmThreshold as Duration | undefined;
  if (askedAge !== undefined && !askedAge.isUnresolved()) {
    expect(ageAlarm.Properties.Threshold).toBe(askedAge.toSeconds());
  }
  const retention = c.queueKind.startsWith('imported') ? undefined : c.retentionSeconds;
  if (retention !== undefined && typeof ageAlarm.Properties.Threshold === 'number') {
    expect(ageAlarm.Properties.Threshold).toBeLessThan(retention);
  }
}

test('QueueProcessingFunction: every generated case is refused with a library error or synthesizes what was asked', async () => {
  const batch = new TemplateBatch();
  const counts = { errors: 0, built: 0 };
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (c) => {
      fc.pre(handlerIsBuildable(c));
      const outcome = attempt(() => {
        const built = build(c);
        const template = Template.fromStack(built.stack);
        return { built, template };
      });
      if (outcome.kind === 'error') {
        counts.errors++;
        const setProps = [...Object.keys(c.props), 'queue', 'handler', 'props'];
        expectLibraryError(outcome.error, ['Stack/Worker', 'Stack/Again'], setProps);
        return;
      }
      counts.built++;
      checkTemplate(c, outcome.value.built, outcome.value.template);
      batch.add(outcome.value.template.toJSON(), `queue-processing-function.properties.${c.queueKind}`);
    }),
    propertyParameters(250),
  );
  reportCases('QueueProcessingFunction', counts);
  expect(counts.built).toBeGreaterThan(10);
  expect(counts.errors).toBeGreaterThan(10);
  await batch.expectCfnLintClean();
});

test('a deploy-time value in every numeric prop passes through to the template', () => {
  const c: Case = {
    env: 0,
    queueKind: 'WorkQueue',
    visibilityTimeoutSeconds: 60,
    retentionSeconds: 345_600,
    handlerKind: 'Function',
    timeout: { duration: Duration.seconds(5) },
    mapTwice: false,
    props: {},
  };
  const stack = ENV_MATRIX[0][1]();
  const parameter = (name: string) => new CfnParameter(stack, name, { type: 'Number' }).valueAsNumber;
  const queue = makeQueue(stack, c);
  const consumer = new QueueProcessingFunction(stack, 'Worker', {
    queue,
    handler: makeHandler(stack, c),
    batchSize: parameter('BatchSize'),
    maxBatchingWindow: Duration.seconds(parameter('Window')),
    maxConcurrency: parameter('Concurrency'),
  });
  const props = (Object.values(Template.fromStack(stack).findResources('AWS::Lambda::EventSourceMapping'))[0] as any)
    .Properties;
  expect(props).toMatchObject({
    BatchSize: { Ref: 'BatchSize' },
    MaximumBatchingWindowInSeconds: { Ref: 'Window' },
    ScalingConfig: { MaximumConcurrency: { Ref: 'Concurrency' } },
  });
  expect(Token.isUnresolved(consumer.batchSize)).toBe(true);
});
