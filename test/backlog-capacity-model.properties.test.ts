import { Duration, Lazy, Token } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { attempt, expectLibraryError, propertyParameters, reportCases } from '../harness/properties';
import { BacklogCapacityModel, BacklogCapacityModelProps } from '../src/backlog-capacity-model';
import { QueueProcessingService } from '../src/queue-processing-service';

// BacklogCapacityModel, generated: policies and method arguments inside, at and beyond every limit (non-finite,
// negative, fractional and huge numbers, deploy-time values, Durations of NaN and Infinity). The model makes no
// template, so each case ends in a library error of the form `[BacklogCapacityModel] <method> <argument> <rule>,
// got <value>`, or in a result a group could have: finite, whole, non-negative counts within the policy's bounds.

const NUM_RUNS = 1000;
const MAX_MESSAGES = Number.MAX_SAFE_INTEGER;
const MAX_GROUP = 2_147_483_647;

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

const processingTime = durationAround(fc.integer({ min: 1, max: 600_000 }), [0, 43_200_000, 43_200_001]);

type Call =
  | { readonly method: 'desiredCapacity' | 'backlogPerInstance'; readonly visible: number; readonly inService: number }
  | {
      readonly method: 'drainTime';
      readonly visible: number;
      readonly instances: number;
      readonly processing: Duration;
    }
  | { readonly method: 'targetFromLatency'; readonly latency: Duration; readonly processing: Duration }
  | {
      readonly method: 'forService';
      readonly service: {
        readonly backlogPerTaskTarget: number;
        readonly minCapacity: number;
        readonly maxCapacity: number;
      };
      readonly taskStartTime?: Duration;
    }
  | {
      readonly method: 'simulate';
      readonly initialBacklog: number;
      readonly minutes: number;
      readonly processing: Duration;
      readonly arrivals?: number[];
      readonly initial?: number;
      readonly warmup?: Duration;
    };

const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    method: fc.constantFrom<'desiredCapacity' | 'backlogPerInstance'>('desiredCapacity', 'backlogPerInstance'),
    visible: around(fc.integer({ min: 0, max: 1_000_000 })),
    inService: around(fc.integer({ min: 0, max: 100 })),
  }),
  fc.record({
    method: fc.constant<'drainTime'>('drainTime'),
    visible: around(fc.integer({ min: 0, max: 1_000_000 })),
    instances: around(fc.integer({ min: 1, max: 100 })),
    processing: processingTime,
  }),
  fc.record({
    method: fc.constant<'targetFromLatency'>('targetFromLatency'),
    latency: durationAround(fc.integer({ min: 1, max: 86_400_000 }), [0, 1_209_600_000, 1_209_600_001]),
    processing: processingTime,
  }),
  fc.record(
    {
      method: fc.constant<'forService'>('forService'),
      // What a JavaScript caller could pass as a QueueProcessingService: only these three are read.
      service: fc.record({
        backlogPerTaskTarget: around(fc.double({ min: 0.1, max: 1000, noNaN: true }), [MAX_MESSAGES * 2]),
        minCapacity: around(fc.integer({ min: 0, max: 5 }), [MAX_GROUP - 1]),
        maxCapacity: around(fc.integer({ min: 6, max: 50 }), [1, MAX_GROUP, MAX_GROUP + 1]),
      }),
      taskStartTime: durationAround(fc.integer({ min: 0, max: 3_600_000 }), [3_600_001]),
    },
    { requiredKeys: ['method', 'service'] },
  ),
  fc.record(
    {
      method: fc.constant<'simulate'>('simulate'),
      initialBacklog: around(fc.integer({ min: 0, max: 5_000 })),
      minutes: around(fc.integer({ min: 1, max: 120 }), [10_080, 10_081]),
      processing: processingTime,
      arrivals: fc.array(around(fc.integer({ min: 0, max: 500 })), { maxLength: 10 }),
      initial: around(fc.integer({ min: 0, max: 30 })),
      warmup: durationAround(fc.integer({ min: 0, max: 3_600_000 }), [3_600_001]),
    },
    { requiredKeys: ['method', 'initialBacklog', 'minutes', 'processing'] },
  ),
);

const propsArb: fc.Arbitrary<BacklogCapacityModelProps> = fc.record(
  {
    backlogPerInstanceTarget: around(fc.double({ min: 0.1, max: 1000, noNaN: true }), [MAX_MESSAGES * 2]),
    minCapacity: around(fc.integer({ min: 0, max: 5 }), [MAX_GROUP, MAX_GROUP - 1]),
    maxCapacity: around(fc.integer({ min: 6, max: 50 }), [1, MAX_GROUP, MAX_GROUP + 1]),
    defaultInstanceWarmup: durationAround(fc.integer({ min: 0, max: 3_600_000 }), [3_600_001]),
  },
  { requiredKeys: ['backlogPerInstanceTarget'] },
);

// ---- the oracle ----

const isCount = (n: unknown, min: number, max: number) =>
  typeof n === 'number' && !Token.isUnresolved(n) && Number.isInteger(n) && n >= min && n <= max;

function millisOf(d: Duration): number | undefined {
  return d.isUnresolved() ? undefined : d.toMilliseconds({ integral: false });
}

const timeOk = (d: Duration | undefined, min: number, max: number) => {
  if (d === undefined) return true;
  const ms = millisOf(d);
  return ms !== undefined && Number.isFinite(ms) && ms >= min && ms <= max;
};

/** The arguments that must be refused, named as the error names them. */
function mustRefuse(props: BacklogCapacityModelProps, call: Call): string[] {
  const r: string[] = [];
  const t = props.backlogPerInstanceTarget;
  if (Token.isUnresolved(t) || !(Number.isFinite(t) && t > 0 && t <= MAX_MESSAGES)) r.push('backlogPerInstanceTarget');
  const min = props.minCapacity ?? 0;
  const max = props.maxCapacity ?? 10;
  if (!isCount(min, 0, MAX_GROUP - 1)) r.push('minCapacity');
  if (!isCount(max, 1, MAX_GROUP)) r.push('maxCapacity');
  if (isCount(min, 0, MAX_GROUP - 1) && isCount(max, 1, MAX_GROUP) && min >= max) r.push('minCapacity', 'maxCapacity');
  if (!timeOk(props.defaultInstanceWarmup, 0, 3_600_000)) r.push('defaultInstanceWarmup');
  const m = call.method;
  switch (m) {
    case 'desiredCapacity':
    case 'backlogPerInstance':
      if (!isCount(call.visible, 0, MAX_MESSAGES)) r.push(`${m} visibleMessages`);
      if (!isCount(call.inService, 0, MAX_GROUP)) r.push(`${m} inServiceInstances`);
      break;
    case 'drainTime':
      if (!isCount(call.visible, 0, MAX_MESSAGES)) r.push(`${m} visibleMessages`);
      if (!isCount(call.instances, 1, MAX_GROUP)) r.push(`${m} instances`);
      if (!timeOk(call.processing, 1, 43_200_000)) r.push(`${m} processingTimePerMessage`);
      break;
    case 'targetFromLatency':
      if (!timeOk(call.latency, 1, 1_209_600_000)) r.push(`${m} acceptableLatency`);
      if (!timeOk(call.processing, 1, 43_200_000)) r.push(`${m} processingTimePerMessage`);
      break;
    case 'forService': {
      const { backlogPerTaskTarget: st, minCapacity: smin, maxCapacity: smax } = call.service;
      if (Token.isUnresolved(st) || !(Number.isFinite(st) && st > 0 && st <= MAX_MESSAGES)) {
        r.push(`${m} service.backlogPerTaskTarget`);
      }
      if (!isCount(smin, 0, MAX_GROUP - 1)) r.push(`${m} service.minCapacity`);
      if (!isCount(smax, 1, MAX_GROUP)) r.push(`${m} service.maxCapacity`);
      if (isCount(smin, 0, MAX_GROUP - 1) && isCount(smax, 1, MAX_GROUP) && smin >= smax) {
        r.push(`${m} service.maxCapacity`);
      }
      if (!timeOk(call.taskStartTime, 0, 3_600_000)) r.push(`${m} options.taskStartTime`);
      break;
    }
    default:
      if (!isCount(call.minutes, 1, 10_080)) r.push(`${m} minutes`);
      if (!isCount(call.initialBacklog, 0, MAX_MESSAGES)) r.push(`${m} initialBacklog`);
      if (!timeOk(call.processing, 1, 43_200_000)) r.push(`${m} processingTimePerMessage`);
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
      if (call.initial !== undefined && !isCount(call.initial, 0, MAX_GROUP)) r.push(`${m} initialInServiceInstances`);
      if (!timeOk(call.warmup, 0, 3_600_000)) r.push(`${m} instanceWarmup`);
  }
  return r;
}

function run(props: BacklogCapacityModelProps, call: Call): unknown {
  // targetFromLatency, drainTime and forService are static: the policy's refusals come first, as for the other methods.
  const model = new BacklogCapacityModel(props);
  switch (call.method) {
    case 'desiredCapacity':
      return model.desiredCapacity(call.visible, call.inService);
    case 'backlogPerInstance':
      return model.backlogPerInstance(call.visible, call.inService);
    case 'drainTime':
      return BacklogCapacityModel.drainTime(call.visible, call.instances, call.processing);
    case 'targetFromLatency':
      return BacklogCapacityModel.targetFromLatency(call.latency, call.processing);
    case 'forService':
      return BacklogCapacityModel.forService(call.service as unknown as QueueProcessingService, {
        taskStartTime: call.taskStartTime,
      });
    default:
      return model.simulate({
        initialBacklog: call.initialBacklog,
        minutes: call.minutes,
        processingTimePerMessage: call.processing,
        arrivalsPerMinute: call.arrivals,
        initialInServiceInstances: call.initial,
        instanceWarmup: call.warmup,
      });
  }
}

function expectResultAGroupCouldHave(props: BacklogCapacityModelProps, call: Call, result: any): void {
  const min = props.minCapacity ?? 0;
  const max = props.maxCapacity ?? 10;
  const whole = (n: number, lo: number, hi: number) => expect(Number.isInteger(n) && n >= lo && n <= hi).toBe(true);
  switch (call.method) {
    case 'desiredCapacity':
      whole(result, min, max);
      break;
    case 'backlogPerInstance':
      expect(result).toEqual(call.inService > 0 ? call.visible / call.inService : undefined);
      break;
    case 'drainTime':
      whole((result as Duration).toSeconds(), 0, Number.MAX_VALUE);
      break;
    case 'targetFromLatency':
      expect(result).toBe(millisOf(call.latency)! / millisOf(call.processing)!);
      expect(Number.isFinite(result) && result > 0).toBe(true);
      break;
    case 'forService': {
      const model = result as BacklogCapacityModel;
      expect(model.backlogPerInstanceTarget).toBe(call.service.backlogPerTaskTarget);
      expect([model.minCapacity, model.maxCapacity]).toEqual([call.service.minCapacity, call.service.maxCapacity]);
      expect(model.defaultInstanceWarmup.toMilliseconds({ integral: false })).toBe(
        call.taskStartTime === undefined ? 60_000 : millisOf(call.taskStartTime),
      );
      break;
    }
    default: {
      expect(result).toHaveLength(call.minutes);
      const arrived = call.initialBacklog + (call.arrivals ?? []).slice(0, call.minutes).reduce((a, b) => a + b, 0);
      let processed = 0;
      for (const step of result) {
        whole(step.visibleMessages, 0, MAX_MESSAGES);
        whole(step.processedMessages, 0, step.visibleMessages);
        whole(step.inServiceInstances, 0, max);
        whole(step.desiredCapacity, min, max);
        expect(step.workers).toBe(step.inServiceInstances);
        processed += step.processedMessages;
      }
      const last = result[result.length - 1];
      // Nothing is lost or made up: what arrived is processed or still waiting.
      // Summed in an order that stays below 2^53, where a double still counts exactly.
      expect(last.visibleMessages - last.processedMessages + processed).toBe(arrived);
    }
  }
}

const counts = { errors: 0, built: 0 };

test('BacklogCapacityModel: every generated case is refused with a library error, or answers what a group could do', () => {
  let failed = 0;
  const check = (props: BacklogCapacityModelProps, call: Call) => {
    const outcome = attempt(() => run(props, call));
    const refuse = mustRefuse(props, call);
    if (outcome.kind === 'error') {
      counts.errors++;
      if (refuse.length === 0) throw new Error(`a valid case was refused: ${outcome.error.message}`);
      expectLibraryError(outcome.error, ['BacklogCapacityModel'], refuse);
      return;
    }
    counts.built++;
    if (refuse.length > 0) {
      throw new Error(
        `answered although ${refuse.join(', ')} must be refused: ${JSON.stringify(outcome.value)?.slice(0, 200)}`,
      );
    }
    expectResultAGroupCouldHave(props, call, outcome.value);
  };
  if (process.env.PROPERTY_COUNT_FAILURES) {
    // Measures a code base before it is fixed: every case runs, failures are counted instead of stopping the run.
    for (const [props, call] of fc.sample(fc.tuple(propsArb, callArb), {
      seed: propertyParameters(NUM_RUNS).seed,
      numRuns: NUM_RUNS,
    })) {
      try {
        check(props, call);
      } catch {
        failed++;
      }
    }
    // eslint-disable-next-line no-console
    console.log(`BacklogCapacityModel: ${NUM_RUNS} cases, ${failed} failed`);
    return;
  }
  fc.assert(fc.property(propsArb, callArb, check), propertyParameters(NUM_RUNS));
  reportCases('BacklogCapacityModel', counts);
});
