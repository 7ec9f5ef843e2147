import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fc from 'fast-check';
import { attempt, expectLibraryError, propertyParameters, reportCases } from '../harness/properties';
import {
  LambdaSqsScalingModel,
  LambdaSqsScalingModelProps,
  LambdaSqsSimulationMinute,
} from '../src/lambda-sqs-scaling-model';
import { QueueProcessingFunction } from '../src/queue-processing-function';

// LambdaSqsScalingModel, generated: mappings and method arguments inside, at and beyond every limit (non-finite,
// negative, fractional and huge numbers, deploy-time values, Durations of NaN and Infinity, batches that outlast
// Lambda's 15-minute timeout). Each case ends in a library error of the form `[LambdaSqsScalingModel] <method>
// <argument> <rule>, got <value>`, or in a result a mapping could have: finite, whole, non-negative counts within
// Lambda's documented scaling (5 at first, 300 more a minute, at most the mapping's limit), with no message lost.

const NUM_RUNS = 2000;
const MAX_MESSAGES = Number.MAX_SAFE_INTEGER;
const MAX_INT = 2_147_483_647;
const TIMEOUT_MILLIS = 900_000;

const token = () => Token.asNumber(Lazy.number({ produce: () => 5 }));
const edgeNumbers = [0, -1, 0.5, 1.5, NaN, Infinity, -Infinity, 1e21, Number.MAX_VALUE, MAX_MESSAGES, MAX_MESSAGES + 2];

function around(valid: fc.Arbitrary<number>, edges: number[] = []): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 8, arbitrary: valid },
    { weight: 2, arbitrary: fc.constantFrom(...edgeNumbers, ...edges) },
    { weight: 1, arbitrary: fc.constant(0).map(token) },
  );
}

function durationAround(validMillis: fc.Arbitrary<number>, edgesMillis: number[]): fc.Arbitrary<Duration> {
  return fc.oneof(
    { weight: 8, arbitrary: validMillis.map((ms) => Duration.millis(ms)) },
    { weight: 2, arbitrary: fc.constantFrom(...edgesMillis, NaN, Infinity).map((ms) => Duration.millis(ms)) },
    { weight: 1, arbitrary: fc.constant(0).map(() => Duration.minutes(token())) },
  );
}

/** Handlers a consumer could have: one with reserved concurrency, one without. */
const stack = new Stack();
const handlers = {
  reserved: new lambda.Function(stack, 'Reserved', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    reservedConcurrentExecutions: 7,
  }),
  unreserved: new lambda.Function(stack, 'Unreserved', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({});'),
  }),
};

type Call =
  | { readonly method: 'scaledConcurrency'; readonly busyMinutes: number }
  | {
      readonly method: 'forFunction';
      readonly batchSize: number;
      readonly maxConcurrency: number;
      readonly fifo: boolean;
      readonly handler: keyof typeof handlers;
      readonly availableConcurrency?: number;
    }
  | {
      readonly method: 'simulate';
      readonly initialBacklog: number;
      readonly minutes: number;
      readonly processing: Duration;
      readonly arrivals?: number[];
    };

const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    method: fc.constant<'scaledConcurrency'>('scaledConcurrency'),
    busyMinutes: around(fc.integer({ min: 0, max: 20 }), [10_080, 10_081]),
  }),
  fc.record(
    {
      method: fc.constant<'forFunction'>('forFunction'),
      // What a JavaScript caller could pass as a QueueProcessingFunction: only these are read.
      batchSize: around(fc.integer({ min: 1, max: 20 }), [10_000, 10_001]),
      maxConcurrency: around(fc.integer({ min: 2, max: 1000 }), [1, 2, 1000, 1001, 1250]),
      fifo: fc.boolean(),
      handler: fc.constantFrom<keyof typeof handlers>('reserved', 'unreserved'),
      availableConcurrency: around(fc.integer({ min: 0, max: 3000 }), [MAX_INT, MAX_INT + 1]),
    },
    { requiredKeys: ['method', 'batchSize', 'maxConcurrency', 'fifo', 'handler'] },
  ),
  fc.record(
    {
      method: fc.constant<'simulate'>('simulate'),
      initialBacklog: around(fc.integer({ min: 0, max: 20_000 })),
      minutes: around(fc.integer({ min: 1, max: 60 }), [10_080, 10_081]),
      processing: durationAround(fc.integer({ min: 1, max: 120_000 }), [0, TIMEOUT_MILLIS, TIMEOUT_MILLIS + 1]),
      arrivals: fc.array(around(fc.integer({ min: 0, max: 2000 })), { maxLength: 10 }),
    },
    { requiredKeys: ['method', 'initialBacklog', 'minutes', 'processing'] },
  ),
);

const propsArb: fc.Arbitrary<LambdaSqsScalingModelProps> = fc.record(
  {
    batchSize: around(fc.integer({ min: 1, max: 20 }), [10_000, 10_001]),
    maxConcurrency: around(fc.integer({ min: 2, max: 1000 }), [1, 2, 1000, 1001, 1250]),
    availableConcurrency: around(fc.integer({ min: 0, max: 3000 }), [MAX_INT, MAX_INT + 1]),
  },
  { requiredKeys: [] },
);

// ---- the oracle ----

const isCount = (n: unknown, min: number, max: number) =>
  typeof n === 'number' && !Token.isUnresolved(n) && Number.isInteger(n) && n >= min && n <= max;

function millisOf(d: Duration): number | undefined {
  return d.isUnresolved() ? undefined : d.toMilliseconds({ integral: false });
}

/** The arguments that must be refused, named as the error names them. */
function mustRefuse(props: LambdaSqsScalingModelProps, call: Call): string[] {
  const r: string[] = [];
  if (!isCount(props.batchSize ?? 10, 1, 10_000)) r.push('batchSize');
  if (props.maxConcurrency !== undefined && !isCount(props.maxConcurrency, 2, 1000)) r.push('maxConcurrency');
  if (!isCount(props.availableConcurrency ?? 1000, 0, MAX_INT)) r.push('availableConcurrency');
  const m = call.method;
  switch (m) {
    case 'scaledConcurrency':
      if (!isCount(call.busyMinutes, 0, 10_080)) r.push(`${m} busyMinutes`);
      break;
    case 'forFunction':
      if (call.fifo) r.push(`${m} consumer.queue`);
      if (!isCount(call.batchSize, 1, 10_000)) r.push(`${m} consumer.batchSize`);
      if (!isCount(call.maxConcurrency, 2, 1000)) r.push(`${m} consumer.maxConcurrency`);
      if (call.availableConcurrency !== undefined && !isCount(call.availableConcurrency, 0, MAX_INT)) {
        r.push(`${m} options.availableConcurrency`);
      }
      break;
    default: {
      if (!isCount(call.minutes, 1, 10_080)) r.push(`${m} minutes`);
      if (!isCount(call.initialBacklog, 0, MAX_MESSAGES)) r.push(`${m} initialBacklog`);
      const ms = millisOf(call.processing);
      const batchSize = props.batchSize ?? 10;
      if (ms === undefined || !Number.isFinite(ms) || ms < 1 || ms > TIMEOUT_MILLIS) {
        r.push(`${m} processingTimePerMessage`);
      } else if (isCount(batchSize, 1, 10_000) && ms * batchSize > TIMEOUT_MILLIS) {
        r.push(`${m} processingTimePerMessage`);
      }
      (call.arrivals ?? []).forEach((a, i) => {
        if (!isCount(a, 0, MAX_MESSAGES)) r.push(`${m} arrivalsPerMinute[${i}]`);
      });
      const total = (call.arrivals ?? []).slice(0, call.minutes).reduce((a, b) => a + b, call.initialBacklog);
      if (
        isCount(call.initialBacklog, 0, MAX_MESSAGES) &&
        (call.arrivals ?? []).every((a) => isCount(a, 0, MAX_MESSAGES)) &&
        total > MAX_MESSAGES
      ) {
        r.push(`${m} arrivalsPerMinute`);
      }
    }
  }
  return r;
}

function run(props: LambdaSqsScalingModelProps, call: Call): unknown {
  // forFunction is static: the mapping's refusals come first, as for the other methods.
  const model = new LambdaSqsScalingModel(props);
  switch (call.method) {
    case 'scaledConcurrency':
      return model.scaledConcurrency(call.busyMinutes);
    case 'forFunction': {
      const consumer = {
        batchSize: call.batchSize,
        maxConcurrency: call.maxConcurrency,
        queue: { fifo: call.fifo },
        handler: handlers[call.handler],
      } as unknown as QueueProcessingFunction;
      return LambdaSqsScalingModel.forFunction(consumer, { availableConcurrency: call.availableConcurrency });
    }
    default:
      return model.simulate({
        initialBacklog: call.initialBacklog,
        minutes: call.minutes,
        processingTimePerMessage: call.processing,
        arrivalsPerMinute: call.arrivals,
      });
  }
}

function expectResultAMappingCouldHave(props: LambdaSqsScalingModelProps, call: Call, result: any): void {
  const whole = (n: number, lo: number, hi: number) => expect(Number.isInteger(n) && n >= lo && n <= hi).toBe(true);
  const limit = Math.min(props.maxConcurrency ?? 1250, 1250, props.availableConcurrency ?? 1000);
  switch (call.method) {
    case 'scaledConcurrency':
      expect(result).toBe(Math.min(limit, 5 + 300 * call.busyMinutes));
      break;
    case 'forFunction': {
      const available = call.availableConcurrency ?? (call.handler === 'reserved' ? 7 : 1000);
      expect(result).toMatchObject({
        batchSize: call.batchSize,
        maxConcurrency: call.maxConcurrency,
        availableConcurrency: available,
        concurrencyLimit: Math.min(call.maxConcurrency, available),
      });
      break;
    }
    default: {
      const steps = result as LambdaSqsSimulationMinute[];
      expect(steps).toHaveLength(call.minutes);
      const arrived = call.initialBacklog + (call.arrivals ?? []).slice(0, call.minutes).reduce((a, b) => a + b, 0);
      let processed = 0;
      steps.forEach((step, i) => {
        expect(step.minute).toBe(i);
        whole(step.visibleMessages, 0, MAX_MESSAGES);
        whole(step.processedMessages, 0, step.visibleMessages);
        whole(step.scaledConcurrency, 0, limit);
        whole(step.workers, 0, step.scaledConcurrency);
        if (i + 1 < steps.length) {
          // Between minutes, only arrivals add messages and only processing removes them.
          expect(steps[i + 1].visibleMessages).toBe(
            step.visibleMessages - step.processedMessages + ((call.arrivals ?? [])[i + 1] ?? 0),
          );
          // Concurrency grows by at most 300 a minute.
          expect(steps[i + 1].scaledConcurrency).toBeLessThanOrEqual(step.scaledConcurrency + 300);
        }
        processed += step.processedMessages;
      });
      // Minute 0: five batches at once when messages wait (fewer when fewer batches or less concurrency).
      const first = steps[0];
      expect(first.scaledConcurrency).toBe(Math.min(5, limit));
      expect(first.workers).toBe(
        Math.min(first.scaledConcurrency, Math.ceil(first.visibleMessages / (props.batchSize ?? 10))),
      );
      const last = steps[steps.length - 1];
      // Nothing is lost or made up: what arrived is processed or still waiting (summed in an order that stays
      // below 2^53, where a double still counts exactly).
      expect(last.visibleMessages - last.processedMessages + processed).toBe(arrived);
    }
  }
}

const counts = { errors: 0, built: 0 };

test('LambdaSqsScalingModel: every generated case is refused with a library error, or answers what a mapping could do', () => {
  const check = (props: LambdaSqsScalingModelProps, call: Call) => {
    const outcome = attempt(() => run(props, call));
    const refuse = mustRefuse(props, call);
    if (outcome.kind === 'error') {
      counts.errors++;
      if (refuse.length === 0) throw new Error(`a valid case was refused: ${outcome.error.message}`);
      expectLibraryError(outcome.error, ['LambdaSqsScalingModel'], refuse);
      return;
    }
    counts.built++;
    if (refuse.length > 0) {
      throw new Error(
        `answered although ${refuse.join(', ')} must be refused: ${JSON.stringify(outcome.value)?.slice(0, 200)}`,
      );
    }
    expectResultAMappingCouldHave(props, call, outcome.value);
  };
  fc.assert(fc.property(propsArb, callArb, check), propertyParameters(NUM_RUNS));
  reportCases('LambdaSqsScalingModel', counts);
});

// ---- the same runs, invocation by invocation ----

/**
 * The simulation written the slow, obvious way: every invocation on its own, every batch to its end, in whole
 * milliseconds. The model groups invocations that finish together and counts whole minutes of cycles at once;
 * on every case both must give the same minutes.
 */
function oneByOne(
  batchSize: number,
  limit: number,
  processingMillis: number,
  initialBacklog: number,
  arrivals: number[],
  minutes: number,
): LambdaSqsSimulationMinute[] {
  let slots: Array<{ messages: number; finishAt: number }> = [];
  let waiting = initialBacklog;
  let busyMinutes = 0;
  const steps: LambdaSqsSimulationMinute[] = [];
  const take = (at: number) => {
    const messages = Math.min(batchSize, waiting);
    waiting -= messages;
    return { messages, finishAt: at + messages * processingMillis };
  };
  for (let minute = 0; minute < minutes; minute++) {
    const start = minute * 60_000;
    const end = start + 60_000;
    waiting += arrivals[minute] ?? 0;
    const unfinished = waiting + slots.reduce((sum, s) => sum + s.messages, 0);
    const scaled = Math.min(limit, 5 + 300 * busyMinutes);
    for (let free = scaled - slots.length; free > 0 && waiting > 0; free--) {
      slots.push(take(start));
    }
    const workers = slots.length;
    let processed = 0;
    for (;;) {
      const next = Math.min(...slots.map((s) => s.finishAt));
      if (slots.length === 0 || next > end) break;
      slots = slots.flatMap((s) => {
        if (s.finishAt !== next) return [s];
        processed += s.messages;
        return waiting > 0 ? [take(next)] : [];
      });
    }
    steps.push({
      minute,
      visibleMessages: unfinished,
      workers,
      processedMessages: processed,
      scaledConcurrency: scaled,
    });
    if (waiting > 0) {
      busyMinutes = Math.min(busyMinutes + 1, 5);
    } else if (slots.length === 0) {
      busyMinutes = 0;
    }
  }
  return steps;
}

test('LambdaSqsScalingModel: its minutes are those of the invocations followed one by one', () => {
  const caseArb = fc
    .record({
      batchSize: fc.integer({ min: 1, max: 5 }),
      maxConcurrency: fc.integer({ min: 2, max: 30 }),
      availableConcurrency: fc.integer({ min: 0, max: 40 }),
      processingMillis: fc.integer({ min: 5_000, max: 180_000 }),
      initialBacklog: fc.integer({ min: 0, max: 600 }),
      arrivals: fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 30 }),
      minutes: fc.integer({ min: 1, max: 40 }),
    })
    .filter((c) => c.processingMillis * c.batchSize <= TIMEOUT_MILLIS);
  fc.assert(
    fc.property(caseArb, (c) => {
      const model = new LambdaSqsScalingModel({
        batchSize: c.batchSize,
        maxConcurrency: c.maxConcurrency,
        availableConcurrency: c.availableConcurrency,
      });
      const steps = model.simulate({
        initialBacklog: c.initialBacklog,
        processingTimePerMessage: Duration.millis(c.processingMillis),
        minutes: c.minutes,
        arrivalsPerMinute: c.arrivals,
      });
      const limit = Math.min(c.maxConcurrency, c.availableConcurrency);
      expect(steps).toEqual(oneByOne(c.batchSize, limit, c.processingMillis, c.initialBacklog, c.arrivals, c.minutes));
    }),
    propertyParameters(300),
  );
});
