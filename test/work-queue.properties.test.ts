import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as fc from 'fast-check';
import { strictApp } from '../harness/app';
import { cfnLint, isAccepted } from '../harness/cfn-lint';
import {
  attempt,
  expectLibraryError,
  numberToken,
  propertyParameters,
  reportCases,
  TemplateBatch,
} from '../harness/properties';
import { WorkQueue, WorkQueueEncryption, WorkQueueProps } from '../src/work-queue';

// WorkQueue, generated: props and method calls inside, at and beyond every SQS limit (Amazon SQS
// Developer Guide, "Amazon SQS message quotas" and the CreateQueue API reference), non-finite numbers,
// strings that bypass the enums, deploy-time values, and literal names that collide. Every case ends in
// a library error naming the construct, the prop and the value, or in a template that passes the strict
// validator and cfn-lint and holds exactly what was asked.

const NUM_RUNS = 220;
const ACCOUNT = '123456789012';

/** A number as a case holds it: a literal, or a deploy-time value known at synth (`lazy`) or only at deploy (`param`). */
type Num = number | { readonly token: 'lazy' | 'param'; readonly value: number };
type Unit = 'millis' | 'seconds' | 'minutes' | 'hours' | 'days';
interface Dur {
  readonly unit: Unit;
  readonly amount: Num;
}
const SECONDS_PER: Record<Unit, number> = { millis: 0.001, seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

type Grantee = 'role' | 'account root' | 'service principal' | 'not a grantee';
type Call =
  | {
      readonly method: 'grantSendMessages' | 'grantConsumeMessages' | 'grantPurge' | 'grantRedrive';
      readonly grantee: Grantee;
    }
  | { readonly method: 'applyRemovalPolicy'; readonly policy: string }
  | {
      readonly method: 'metricApproximateAgeOfOldestMessage' | 'metricDeadLetterQueueApproximateAgeOfOldestMessage';
      readonly period: Dur;
    };

interface Case {
  readonly env: 'agnostic' | 'explicit';
  readonly props: {
    fifo?: unknown;
    contentBasedDeduplication?: unknown;
    highThroughputFifo?: unknown;
    queueName?: string | { readonly token: 'lazy' };
    retentionPeriod?: Dur;
    deadLetterRetentionPeriod?: Dur;
    maxReceiveCount?: Num;
    visibilityTimeout?: Dur;
    deliveryDelay?: Dur;
    receiveMessageWaitTime?: Dur;
    maxMessageSizeBytes?: Num;
    encryption?: string;
    encryptionKey?: 'own' | 'imported' | 'aws-managed';
    oldestMessageAgeAlarmThreshold?: Dur;
    removalPolicy?: string;
  };
  readonly other?: 'same name' | 'named like its dead-letter queue' | 'same name after truncation';
  readonly calls: Call[];
}

// ---- generators ----

function numAround(limits: number[], tokenValue: number): fc.Arbitrary<Num> {
  const edges = limits.flatMap((l) => [l, l - 1, l + 1, l + 0.5]);
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...edges) },
    { weight: 2, arbitrary: fc.constantFrom(0, -1, NaN, Infinity, -Infinity, 1e21, Number.MAX_VALUE) },
    { weight: 3, arbitrary: fc.integer({ min: Math.min(...limits) - 5, max: Math.max(...limits) + 5 }) },
    { weight: 1, arbitrary: fc.constantFrom('lazy', 'param').map((token) => ({ token, value: tokenValue }) as Num) },
  );
}

/** Durations around limits given in seconds, in the unit a user would write them in. */
function durAround(limitsInSeconds: number[], validSeconds: number): fc.Arbitrary<Dur> {
  const literal = fc
    .tuple(numAround(limitsInSeconds, validSeconds), fc.constantFrom<Unit>('seconds', 'seconds', 'minutes', 'millis'))
    .filter(([n]) => typeof n !== 'number' || !(n < 0))
    .map(([n, unit]): Dur => {
      if (typeof n !== 'number') {
        return { unit: 'seconds', amount: n };
      }
      return unit === 'minutes'
        ? { unit, amount: n / 60 }
        : unit === 'millis'
          ? { unit, amount: n * 1000 }
          : { unit, amount: n };
    });
  // Deploy-time values are not checked by the library: give ones that land in range once converted.
  const max = Math.max(...limitsInSeconds);
  const units = (['minutes', 'hours'] as Unit[]).filter(
    (u) => Math.ceil(validSeconds / SECONDS_PER[u]) * SECONDS_PER[u] <= max,
  );
  const tokenInOtherUnit = fc
    .tuple(
      fc.constantFrom<Unit>(...(units.length > 0 ? units : ['seconds' as Unit])),
      fc.constantFrom<'lazy' | 'param'>('lazy', 'param'),
    )
    .map(([unit, token]): Dur => ({ unit, amount: { token, value: Math.ceil(validSeconds / SECONDS_PER[unit]) } }));
  return fc.oneof({ weight: 6, arbitrary: literal }, { weight: 1, arbitrary: tokenInOtherUnit });
}

/** Mostly valid values, now and then one at or beyond a limit: most cases build, every limit is still reached. */
function validOrEdge<T>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 10, arbitrary: valid }, { weight: 2, arbitrary: edge });
}

function numIn(min: number, max: number, limits: number[] = [min, max]): fc.Arbitrary<Num> {
  const token = fc.constantFrom<'lazy' | 'param'>('lazy', 'param');
  return validOrEdge(
    fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min, max }) },
      {
        weight: 1,
        arbitrary: fc.tuple(token, fc.integer({ min, max })).map(([t, value]): Num => ({ token: t, value })),
      },
    ),
    numAround(limits, min),
  );
}

function durIn(minSeconds: number, maxSeconds: number, limits: number[] = [minSeconds, maxSeconds]): fc.Arbitrary<Dur> {
  const seconds = fc.integer({ min: minSeconds, max: maxSeconds });
  return validOrEdge(
    fc.oneof(
      { weight: 6, arbitrary: seconds.map((n): Dur => ({ unit: 'seconds', amount: n })) },
      {
        weight: 2,
        arbitrary: seconds.map((n): Dur =>
          n % 60 === 0 ? { unit: 'minutes', amount: n / 60 } : { unit: 'seconds', amount: n },
        ),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.constantFrom<'lazy' | 'param'>('lazy', 'param'), seconds)
          .map(([token, value]): Dur => ({ unit: 'seconds', amount: { token, value } })),
      },
    ),
    durAround(limits, minSeconds),
  );
}

const nameChars = fc.constantFrom(...'abcXYZ019-_'.split(''));
const baseName = fc.string({ unit: nameChars, minLength: 1, maxLength: 24 });

/** A coherent set of valid props: what a careful user writes. Edge values replace some of them below. */
const validPropsArb: fc.Arbitrary<Case['props']> = fc
  .record({
    fifo: fc.option(fc.boolean(), { nil: undefined }),
    name: fc.option(
      fc.oneof(
        { weight: 5, arbitrary: baseName.map((n): string | { token: 'lazy' } => n) },
        { weight: 1, arbitrary: fc.constant({ token: 'lazy' as const }) },
      ),
      { nil: undefined },
    ),
    nameSaysFifo: fc.boolean(),
    retentionPeriod: fc.option(durIn(60, 1_209_600), { nil: undefined }),
    deadLetterRetentionPeriod: fc.option(durIn(60, 1_209_600), { nil: undefined }),
    maxReceiveCount: fc.option(numIn(1, 1000), { nil: undefined }),
    visibilityTimeout: fc.option(durIn(0, 43_200), { nil: undefined }),
    receiveMessageWaitTime: fc.option(durIn(0, 20), { nil: undefined }),
    maxMessageSizeBytes: fc.option(numIn(1024, 1_048_576), { nil: undefined }),
    encryption: fc.option(fc.constantFrom<string>(...Object.values(WorkQueueEncryption)), { nil: undefined }),
    encryptionKey: fc.option(fc.constantFrom<'own' | 'imported'>('own', 'imported'), { nil: undefined }),
    removalPolicy: fc.option(
      fc.constantFrom<string>(RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE),
      { nil: undefined },
    ),
    dedup: fc.option(fc.boolean(), { nil: undefined }),
    highThroughput: fc.option(fc.boolean(), { nil: undefined }),
    thresholdShare: fc.option(fc.double({ min: 0, max: 0.99, noNaN: true }), { nil: undefined }),
    delayShare: fc.option(fc.double({ min: 0, max: 0.99, noNaN: true }), { nil: undefined }),
  })
  .map((v) => {
    const fifo = v.fifo ?? (typeof v.name === 'string' && v.nameSaysFifo);
    const queueName = typeof v.name === 'string' ? (fifo ? `${v.name}.fifo` : v.name) : v.name;
    // Settings bounded by the retention are drawn below it (in whole seconds); with a deploy-time
    // retention any value in range is valid, since the library compares no token.
    const retention = v.retentionPeriod === undefined ? 345_600 : knownSeconds(v.retentionPeriod);
    const below = (share: number | undefined, min: number, max: number): Dur | undefined => {
      if (share === undefined) return undefined;
      const top = Math.min(max, retention === undefined ? max : retention - 1);
      return top < min ? undefined : { unit: 'seconds', amount: Math.floor(min + share * (top - min)) };
    };
    return {
      fifo: v.fifo,
      queueName,
      contentBasedDeduplication: fifo ? v.dedup : v.dedup && false,
      highThroughputFifo: fifo ? v.highThroughput : v.highThroughput && false,
      retentionPeriod: v.retentionPeriod,
      deadLetterRetentionPeriod: v.deadLetterRetentionPeriod,
      maxReceiveCount: v.maxReceiveCount,
      visibilityTimeout: v.visibilityTimeout,
      deliveryDelay: below(v.delayShare, 0, 900),
      receiveMessageWaitTime: v.receiveMessageWaitTime,
      maxMessageSizeBytes: v.maxMessageSizeBytes,
      encryption: v.encryption,
      encryptionKey: v.encryption === WorkQueueEncryption.SQS_MANAGED ? undefined : v.encryptionKey,
      oldestMessageAgeAlarmThreshold: below(v.thresholdShare, 60, 1_209_600),
      removalPolicy: v.removalPolicy,
    };
  });

/** For every prop, values at and beyond its limits, foreign strings and deploy-time values that cannot be taken. */
const edgePropsArb = fc.record({
  fifo: fc.constantFrom<unknown>('true', 'yes', 1, 0, null),
  contentBasedDeduplication: fc.constantFrom<unknown>(true, 'true', 1),
  highThroughputFifo: fc.constantFrom<unknown>(true, 'false', 0),
  queueName: fc.constantFrom<string>(
    'a'.repeat(80),
    'a'.repeat(81),
    `${'a'.repeat(75)}.fifo`,
    `${'a'.repeat(76)}.fifo`,
    '',
    'has space',
    'dot.name',
    'emoji-😀',
    'jobs.fifo',
  ),
  retentionPeriod: durAround([60, 600, 900, 1_209_600], 3600),
  deadLetterRetentionPeriod: durAround([60, 1_209_600], 1_209_600),
  maxReceiveCount: numAround([1, 1000], 5),
  visibilityTimeout: durAround([0, 43_200], 300),
  deliveryDelay: durAround([0, 60, 900], 10),
  receiveMessageWaitTime: durAround([0, 20], 20),
  maxMessageSizeBytes: numAround([1024, 1_048_576], 262_144),
  encryption: fc.constantFrom('kms', 'sqs_managed', 'SSE', ''),
  encryptionKey: fc.constantFrom<'own' | 'aws-managed'>('own', 'aws-managed'),
  oldestMessageAgeAlarmThreshold: durAround([60, 345_600, 1_209_600], 600),
  removalPolicy: fc.constantFrom<string>(RemovalPolicy.SNAPSHOT, 'delete', 'Destroy'),
});
const PROP_KEYS = [
  'fifo',
  'contentBasedDeduplication',
  'highThroughputFifo',
  'queueName',
  'retentionPeriod',
  'deadLetterRetentionPeriod',
  'maxReceiveCount',
  'visibilityTimeout',
  'deliveryDelay',
  'receiveMessageWaitTime',
  'maxMessageSizeBytes',
  'encryption',
  'encryptionKey',
  'oldestMessageAgeAlarmThreshold',
  'removalPolicy',
];

const granteeArb = validOrEdge(
  fc.constantFrom<Grantee>('role', 'account root', 'service principal'),
  fc.constant<Grantee>('not a grantee'),
);
const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    method: fc.constantFrom('grantSendMessages', 'grantConsumeMessages', 'grantPurge', 'grantRedrive'),
    grantee: granteeArb,
  }) as fc.Arbitrary<Call>,
  fc.record({
    method: fc.constant('applyRemovalPolicy'),
    policy: validOrEdge(
      fc.constantFrom<string>(RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE),
      fc.constantFrom<string>(RemovalPolicy.SNAPSHOT, 'delete', 'Retain', ''),
    ),
  }) as fc.Arbitrary<Call>,
  fc.record({
    method: fc.constantFrom(
      'metricApproximateAgeOfOldestMessage',
      'metricDeadLetterQueueApproximateAgeOfOldestMessage',
    ),
    period: validOrEdge(
      fc.constantFrom<number>(1, 5, 10, 30, 60, 300, 3600).map((n): Dur => ({ unit: 'seconds', amount: n })),
      durAround([0, 7, 20, 59, 61], 60),
    ),
  }) as fc.Arbitrary<Call>,
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    env: fc.constantFrom<'agnostic' | 'explicit'>('agnostic', 'explicit'),
    valid: validPropsArb,
    edges: edgePropsArb,
    edgeKeys: fc.subarray([...PROP_KEYS], { maxLength: 2 }),
    other: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<Case['other']>(
          'same name',
          'named like its dead-letter queue',
          'same name after truncation',
        ),
      },
    ),
    calls: fc.array(callArb, { maxLength: 3 }),
  })
  .map(({ env, valid, edges, edgeKeys, other, calls }): Case => {
    const props: Record<string, unknown> = { ...valid };
    for (const key of edgeKeys) {
      props[key] = (edges as Record<string, unknown>)[key];
    }
    return { env, props: props as Case['props'], other, calls };
  });

// ---- building a case ----

function num(stack: Stack, n: Num, id: string): number {
  if (typeof n === 'number') {
    return n;
  }
  return n.token === 'lazy'
    ? numberToken(n.value)
    : new CfnParameter(stack, id, { type: 'Number', default: n.value }).valueAsNumber;
}

function dur(stack: Stack, d: Dur, id: string): Duration {
  const amount = num(stack, d.amount, id);
  switch (d.unit) {
    case 'millis':
      return Duration.millis(amount);
    case 'minutes':
      return Duration.minutes(amount);
    case 'hours':
      return Duration.hours(amount);
    case 'days':
      return Duration.days(amount);
    default:
      return Duration.seconds(amount);
  }
}

function buildProps(stack: Stack, c: Case): WorkQueueProps {
  const p = c.props;
  const d = (key: keyof Case['props']) => (p[key] === undefined ? undefined : dur(stack, p[key] as Dur, key));
  const key =
    p.encryptionKey === 'own'
      ? new kms.Key(stack, 'OwnKey', { enableKeyRotation: true })
      : p.encryptionKey === 'imported'
        ? kms.Key.fromKeyArn(
            stack,
            'ImportedKey',
            `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
          )
        : p.encryptionKey === 'aws-managed'
          ? kms.Alias.fromAliasName(stack, 'AwsManaged', 'alias/aws/sqs')
          : undefined;
  return {
    fifo: p.fifo as boolean | undefined,
    contentBasedDeduplication: p.contentBasedDeduplication as boolean | undefined,
    highThroughputFifo: p.highThroughputFifo as boolean | undefined,
    queueName:
      p.queueName === undefined
        ? undefined
        : typeof p.queueName === 'string'
          ? p.queueName
          : new CfnParameter(stack, 'QueueName', { default: isFifo(c) ? 'late-name.fifo' : 'late-name' }).valueAsString,
    retentionPeriod: d('retentionPeriod'),
    deadLetterRetentionPeriod: d('deadLetterRetentionPeriod'),
    maxReceiveCount: p.maxReceiveCount === undefined ? undefined : num(stack, p.maxReceiveCount, 'MaxReceiveCount'),
    visibilityTimeout: d('visibilityTimeout'),
    deliveryDelay: d('deliveryDelay'),
    receiveMessageWaitTime: d('receiveMessageWaitTime'),
    maxMessageSizeBytes:
      p.maxMessageSizeBytes === undefined ? undefined : num(stack, p.maxMessageSizeBytes, 'MaxMessageSizeBytes'),
    encryption: p.encryption as WorkQueueEncryption | undefined,
    encryptionKey: key,
    oldestMessageAgeAlarmThreshold: d('oldestMessageAgeAlarmThreshold'),
    removalPolicy: p.removalPolicy as RemovalPolicy | undefined,
  };
}

function grantee(stack: Stack, kind: Grantee, i: number): iam.IGrantable {
  switch (kind) {
    case 'role':
      return new iam.Role(stack, `Role${i}`, { assumedBy: new iam.AccountRootPrincipal() });
    case 'account root':
      return new iam.AccountRootPrincipal();
    case 'service principal':
      return new iam.ServicePrincipal('lambda.amazonaws.com');
    default:
      return 'arn:aws:iam::123456789012:role/x' as unknown as iam.IGrantable;
  }
}

/** The name of the other queue that must collide with this one's (or its dead-letter queue's) literal name. */
function otherName(c: Case): string | undefined {
  const name = c.props.queueName;
  if (typeof name !== 'string' || c.other === undefined) {
    return undefined;
  }
  const fifo = name.endsWith('.fifo');
  const base = fifo ? name.slice(0, -5) : name;
  const suffix = fifo ? '.fifo' : '';
  switch (c.other) {
    case 'same name':
      return name;
    case 'named like its dead-letter queue':
      return `${base.slice(0, 80 - suffix.length - 4)}-dlq${suffix}`;
    default:
      // Longer than the room before "-dlq": its dead-letter queue's name is cut to the same one.
      return base.length >= 76 - suffix.length ? `${base.slice(0, 76 - suffix.length)}b${suffix}` : undefined;
  }
}

interface Built {
  readonly template: any;
  readonly warnings: string[];
  readonly workQueue: WorkQueue;
  /** The metrics the case asked for, with the period it asked for, in seconds. */
  readonly metrics: Array<[cloudwatch.Metric, number]>;
}

function build(c: Case): Built {
  const app = strictApp();
  const stack =
    c.env === 'agnostic'
      ? new Stack(app, 'Stack')
      : new Stack(app, 'Stack', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const workQueue = new WorkQueue(stack, 'Q', buildProps(stack, c));
  const metrics: Array<[cloudwatch.Metric, number]> = [];
  const other = otherName(c);
  if (other !== undefined) {
    new WorkQueue(stack, 'Other', { queueName: other, fifo: other.endsWith('.fifo') });
  }
  c.calls.forEach((call, i) => {
    if (call.method === 'applyRemovalPolicy') {
      workQueue.applyRemovalPolicy(call.policy as RemovalPolicy);
    } else if ('period' in call) {
      const metric = workQueue[call.method]({ period: dur(stack, call.period, `Period${i}`) });
      metrics.push([metric, knownSeconds(call.period)!]);
    } else {
      workQueue[call.method](grantee(stack, call.grantee, i));
    }
  });
  const artifact = app.synth().getStackByName(stack.stackName);
  const warnings = artifact.messages.filter((m) => m.level === 'warning').map((m) => String(m.entry.data));
  return { template: artifact.template, warnings, workQueue, metrics };
}

// ---- the oracle: what must be refused, and what a template must hold ----

function isToken(n: Num | undefined): n is { token: 'lazy' | 'param'; value: number } {
  return typeof n === 'object' && n !== null;
}

const MILLIS_PER: Record<Unit, number> = {
  millis: 1,
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};

/**
 * Seconds of a duration as aws-cdk-lib computes them (the amount times the unit's milliseconds), for a
 * literal; for a deploy-time value known at synth only when `lazy` is true (its value lands in the template,
 * but the library never compares a token).
 */
function knownSeconds(d: Dur | undefined, lazy = false): number | undefined {
  if (d === undefined) {
    return undefined;
  }
  if (isToken(d.amount)) {
    return lazy && d.amount.token === 'lazy' ? d.amount.value * SECONDS_PER[d.unit] : undefined;
  }
  return (d.amount * MILLIS_PER[d.unit]) / 1000;
}

function durationInvalid(d: Dur | undefined, min: number, max: number): boolean {
  if (d === undefined) {
    return false;
  }
  if (isToken(d.amount)) {
    // Deploy-time values pass through, except a parameter in a unit CloudFormation would have to convert.
    return d.amount.token === 'param' && d.unit !== 'seconds';
  }
  const millis = d.amount * MILLIS_PER[d.unit];
  return !Number.isFinite(millis) || millis % 1000 !== 0 || millis < min * 1000 || millis > max * 1000;
}

function intInvalid(n: Num | undefined, min: number, max: number): boolean {
  return n !== undefined && !isToken(n) && !(Number.isInteger(n) && n >= min && n <= max);
}

function isFifo(c: Case): boolean {
  const { fifo, queueName } = c.props;
  if (typeof fifo === 'boolean') {
    return fifo;
  }
  return typeof queueName === 'string' && queueName.endsWith('.fifo');
}

/** The props a case must be refused for (empty when it must build). */
function mustRefuse(c: Case): string[] {
  const p = c.props;
  const reasons: string[] = [];
  const fifo = isFifo(c);
  for (const key of ['fifo', 'contentBasedDeduplication', 'highThroughputFifo'] as const) {
    if (p[key] !== undefined && typeof p[key] !== 'boolean') {
      reasons.push(key);
    }
  }
  if (!fifo && p.contentBasedDeduplication === true) reasons.push('contentBasedDeduplication');
  if (!fifo && p.highThroughputFifo === true) reasons.push('highThroughputFifo');
  if (typeof p.queueName === 'string') {
    const n = p.queueName;
    const base = n.endsWith('.fifo') ? n.slice(0, -5) : n;
    if (n.endsWith('.fifo') !== fifo || !/^[A-Za-z0-9_-]+$/.test(base) || n.length > 80) reasons.push('queueName');
  }
  if (durationInvalid(p.retentionPeriod, 60, 1_209_600)) reasons.push('retentionPeriod');
  if (durationInvalid(p.deadLetterRetentionPeriod, 60, 1_209_600)) reasons.push('deadLetterRetentionPeriod');
  if (durationInvalid(p.visibilityTimeout, 0, 43_200)) reasons.push('visibilityTimeout');
  if (durationInvalid(p.deliveryDelay, 0, 900)) reasons.push('deliveryDelay');
  if (durationInvalid(p.receiveMessageWaitTime, 0, 20)) reasons.push('receiveMessageWaitTime');
  if (durationInvalid(p.oldestMessageAgeAlarmThreshold, 60, 1_209_600)) reasons.push('oldestMessageAgeAlarmThreshold');
  if (intInvalid(p.maxReceiveCount, 1, 1000)) reasons.push('maxReceiveCount');
  if (intInvalid(p.maxMessageSizeBytes, 1024, 1_048_576)) reasons.push('maxMessageSizeBytes');
  if (p.encryption !== undefined && !(Object.values(WorkQueueEncryption) as string[]).includes(p.encryption)) {
    reasons.push('encryption');
  }
  if (p.encryptionKey !== undefined && p.encryption === WorkQueueEncryption.SQS_MANAGED) reasons.push('encryptionKey');
  if (p.encryptionKey === 'aws-managed') reasons.push('encryptionKey');
  const supported: string[] = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];
  if (p.removalPolicy !== undefined && !supported.includes(p.removalPolicy)) reasons.push('removalPolicy');
  // An age the queue's retention deletes every message before reaching can never raise the alarm.
  const retention = p.retentionPeriod === undefined ? 345_600 : knownSeconds(p.retentionPeriod);
  const threshold = knownSeconds(p.oldestMessageAgeAlarmThreshold);
  if (retention !== undefined && threshold !== undefined && threshold >= retention) {
    reasons.push('oldestMessageAgeAlarmThreshold');
  }
  // A message delayed as long as it is retained is deleted before anyone can receive it.
  const delay = knownSeconds(p.deliveryDelay);
  if (retention !== undefined && delay !== undefined && delay > 0 && delay >= retention) reasons.push('deliveryDelay');
  if (otherName(c) !== undefined) reasons.push('queueName');
  for (const call of c.calls) {
    if ('grantee' in call && call.grantee === 'not a grantee') reasons.push(`${call.method} grantee`);
    if ('policy' in call && !supported.includes(call.policy)) reasons.push('applyRemovalPolicy policy');
    if ('period' in call) {
      // aws-cdk-lib's metrics check the period at synth, so a deploy-time period cannot be taken.
      const s = knownSeconds(call.period);
      const allowed =
        s !== undefined &&
        Number.isFinite(s) &&
        Number.isInteger(s) &&
        ([1, 5, 10, 30].includes(s) || (s > 0 && s % 60 === 0));
      if (!allowed) reasons.push(`${call.method} period`);
    }
  }
  return reasons;
}

/** A property value as the template must hold it: a number, or the parameter a deploy-time value refers to. */
function expected(d: Dur | undefined, fallback: number, parameter: string): unknown {
  if (d === undefined) {
    return fallback;
  }
  if (isToken(d.amount) && d.amount.token === 'param') {
    return d.unit === 'seconds' ? { Ref: parameter } : undefined;
  }
  return knownSeconds(d, true);
}

function expectTemplateHolds(c: Case, built: Built): void {
  const { template, workQueue } = built;
  const p = c.props;
  const resources = template.Resources as Record<string, any>;
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    Stack.of(workQueue).getLogicalId(construct.node.defaultChild as any);
  const queue = resources[id(workQueue.queue)];
  const dlq = resources[id(workQueue.deadLetterQueue)];
  const props = queue.Properties;
  const fifo = isFifo(c);
  const numOrRef = (n: Num | undefined, fallback: number, parameter: string) =>
    n === undefined ? fallback : isToken(n) ? (n.token === 'lazy' ? n.value : { Ref: parameter }) : n;

  expect(props.MessageRetentionPeriod).toEqual(expected(p.retentionPeriod, 345_600, 'retentionPeriod'));
  expect(dlq.Properties.MessageRetentionPeriod).toEqual(
    expected(p.deadLetterRetentionPeriod, 1_209_600, 'deadLetterRetentionPeriod'),
  );
  expect(props.VisibilityTimeout).toEqual(expected(p.visibilityTimeout, 30, 'visibilityTimeout'));
  expect(props.DelaySeconds).toEqual(expected(p.deliveryDelay, 0, 'deliveryDelay'));
  expect(props.ReceiveMessageWaitTimeSeconds).toEqual(expected(p.receiveMessageWaitTime, 20, 'receiveMessageWaitTime'));
  expect(props.MaximumMessageSize).toEqual(numOrRef(p.maxMessageSizeBytes, 1_048_576, 'MaxMessageSizeBytes'));
  expect(props.RedrivePolicy.maxReceiveCount).toEqual(numOrRef(p.maxReceiveCount, 5, 'MaxReceiveCount'));
  expect(props.FifoQueue).toEqual(fifo ? true : undefined);
  // CloudFormation refuses ContentBasedDeduplication on a standard queue even when false: it must be absent.
  expect(props.ContentBasedDeduplication).toEqual(fifo ? p.contentBasedDeduplication : undefined);
  expect(props.DeduplicationScope).toEqual(fifo && p.highThroughputFifo === true ? 'messageGroup' : undefined);
  const kmsAsked = p.encryption === WorkQueueEncryption.KMS || p.encryptionKey !== undefined;
  expect(props.KmsMasterKeyId !== undefined).toBe(kmsAsked);
  expect(props.SqsManagedSseEnabled).toEqual(kmsAsked ? undefined : true);
  if (typeof p.queueName === 'string') {
    expect(props.QueueName).toBe(p.queueName);
  } else if (p.queueName !== undefined) {
    expect(props.QueueName).toEqual({ Ref: 'QueueName' });
  }
  const lastPolicy = [...c.calls].reverse().find((call) => call.method === 'applyRemovalPolicy') as
    { policy: string } | undefined;
  const policy = lastPolicy?.policy ?? p.removalPolicy ?? RemovalPolicy.RETAIN;
  const deletion = { retain: 'Retain', destroy: 'Delete', 'retain-on-update-or-delete': 'RetainExceptOnCreate' }[
    policy as string
  ];
  expect([queue.DeletionPolicy, dlq.DeletionPolicy]).toEqual([deletion, deletion]);
  if (p.oldestMessageAgeAlarmThreshold !== undefined) {
    const alarm = resources[id(workQueue.oldestMessageAgeAlarm!)];
    expect(alarm.Properties.Threshold).toEqual(
      expected(p.oldestMessageAgeAlarmThreshold, 0, 'oldestMessageAgeAlarmThreshold'),
    );
  }
  for (const [metric, seconds] of built.metrics) {
    expect(metric.period.toSeconds()).toBe(seconds);
  }
  // A grant to a principal without an identity policy on a queue under an imported key cannot reach the key's
  // policy: the statements are given in a warning instead of being dropped without a word.
  const keyGrants = c.calls.filter(
    (call) => 'grantee' in call && call.grantee !== 'role' && call.method !== 'grantPurge',
  );
  if (p.encryptionKey === 'imported' && keyGrants.length > 0) {
    expect(built.warnings.some((w) => /key policy/.test(w))).toBe(true);
  }
}

// ---- the property ----

const batch = new TemplateBatch();
const counts = { errors: 0, built: 0 };

function runCase(c: Case, index: number): void {
  const outcome = attempt(() => build(c));
  const refuse = mustRefuse(c);
  if (outcome.kind === 'error') {
    counts.errors++;
    if (refuse.length === 0) {
      throw new Error(`a valid case was refused: ${outcome.error.message}\n${outcome.error.stack}`);
    }
    expectLibraryError(outcome.error, ['Stack/Q', 'Stack/Other'], refuse);
    return;
  }
  counts.built++;
  if (refuse.length > 0) {
    throw new Error(`synthesized although ${refuse.join(', ')} must be refused`);
  }
  expectTemplateHolds(c, outcome.value);
  batch.add(outcome.value.template, `work-queue-${index}`);
}

test('WorkQueue: every generated case is refused with a library error, or synthesizes what was asked', async () => {
  if (process.env.PROPERTY_COUNT_FAILURES) {
    await countFailures();
    return;
  }
  let index = 0;
  fc.assert(
    fc.property(caseArb, (c) => runCase(c, index++)),
    propertyParameters(NUM_RUNS),
  );
  await batch.expectCfnLintClean();
  reportCases('WorkQueue', counts);
}, 120_000);

/**
 * `PROPERTY_COUNT_FAILURES=1`: runs every case instead of stopping at the first failure, and prints how many
 * failed (cfn-lint errors count), to measure a code base before it is fixed.
 */
async function countFailures(): Promise<void> {
  const cases = fc.sample(caseArb, { seed: propertyParameters(NUM_RUNS).seed, numRuns: NUM_RUNS });
  const failed = new Set<number>();
  const templates: Record<string, unknown> = {};
  const reasons: string[] = [];
  cases.forEach((c, i) => {
    try {
      const before = batch.size;
      runCase(c, i);
      if (batch.size > before) {
        templates[`case-${i}`] = (batch as any).templates[`work-queue-${i}#${before}`];
      }
    } catch (error) {
      failed.add(i);
      reasons.push(`#${i}: ${(error as Error).message.split('\n').slice(0, 2).join(' | ').slice(0, 300)}`);
    }
  });
  for (const finding of (await cfnLint(templates)).filter((f) => !isAccepted(f))) {
    const i = Number(/^case-(\d+)/.exec(finding.template)?.[1]);
    if (!failed.has(i)) reasons.push(`#${i}: cfn-lint ${finding.rule} ${finding.message.slice(0, 150)}`);
    failed.add(i);
  }
  const tally: Record<string, number> = {};
  cases.forEach((c) => mustRefuse(c).forEach((r) => (tally[r] = (tally[r] ?? 0) + 1)));
  // eslint-disable-next-line no-console
  console.log(
    `WorkQueue: ${cases.length} cases, ${failed.size} failed\n${reasons.join('\n')}\n${JSON.stringify(tally)}`,
  );
}
