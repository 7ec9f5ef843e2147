import { CfnParameter, Duration, Lazy, Size, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
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
import { QueueProcessingFleet, QueueProcessingFleetProps } from '../src/queue-processing-fleet';
import { WorkQueue } from '../src/work-queue';

// QueueProcessingFleet, generated: capacities, scaling targets, warm-ups, cooldowns, root volumes, instance
// types, images, subnet selections and metric options, inside, at and beyond the EC2 Auto Scaling, EBS and
// SQS limits, with non-finite numbers, foreign strings, JavaScript values where objects belong, and
// deploy-time values. Each case is refused with a library error naming the fleet, the prop and the value, or
// synthesizes (strict validator, then cfn-lint) a group, launch template and policies holding what was asked.

const NUM_RUNS = 100;
const ACCOUNT = '123456789012';
const VISIBILITY_SECONDS = 300;
const MAX_TARGET = Number.MAX_SAFE_INTEGER;

type Num = number | { readonly token: 'lazy' | 'param'; readonly value: number };
type Unit = 'millis' | 'seconds' | 'minutes' | 'hours' | 'days';
interface Dur {
  readonly unit: Unit;
  readonly amount: Num;
}
const MILLIS_PER: Record<Unit, number> = {
  millis: 1,
  seconds: 1000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
};

interface Case {
  readonly env: 'agnostic' | 'explicit';
  readonly queue: 'work queue' | 'sqs queue' | 'imported' | 'not a queue';
  readonly vpc: 'mixed' | 'public only' | 'not a vpc';
  readonly vpcSubnets?:
    'private' | 'isolated' | 'explicit private' | 'public' | 'unknown group' | 'no zone' | 'foreign type';
  readonly instanceType?: string | { readonly token: 'lazy' } | { readonly jsString: string };
  readonly machineImage: boolean;
  readonly userData?: 'linux' | 'cloud-config';
  readonly rootVolumeSize?: { readonly unit: 'gibibytes' | 'mebibytes'; readonly amount: Num };
  readonly rootDeviceName?: string;
  readonly minCapacity?: Num;
  readonly maxCapacity?: Num;
  readonly acceptableLatency?: Dur;
  readonly processingTimePerMessage?: Dur;
  readonly backlogPerInstanceTarget?: Num;
  readonly estimatedInstanceWarmup?: Dur;
  readonly cooldown?: Dur;
  readonly sessionManagerAccess?: unknown;
  readonly alarmTopic?: 'topic' | 'not a topic';
  readonly metricCall?: {
    readonly method: 'metricBacklogPerInstance' | 'metricGroupInServiceInstances';
    readonly seconds: number;
  };
}

// ---- generators ----

const tokenKind = fc.constantFrom<'lazy' | 'param'>('lazy', 'param');

function numIn(min: number, max: number, integer = true): fc.Arbitrary<Num> {
  const inRange = integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  return fc.oneof(
    { weight: 8, arbitrary: inRange as fc.Arbitrary<number> },
    {
      weight: 1,
      arbitrary: fc
        .tuple(tokenKind, fc.integer({ min: Math.ceil(min), max: Math.floor(max) }))
        .map(([token, value]): Num => ({ token, value })),
    },
  );
}

function numEdge(edges: number[]): fc.Arbitrary<Num> {
  return fc.constantFrom<Num>(...edges, NaN, Infinity, -Infinity, -1, 1e21, Number.MAX_VALUE);
}

function durIn(minSeconds: number, maxSeconds: number): fc.Arbitrary<Dur> {
  const seconds = fc.integer({ min: minSeconds, max: maxSeconds });
  return fc.oneof(
    { weight: 5, arbitrary: seconds.map((n): Dur => ({ unit: 'seconds', amount: n })) },
    {
      weight: 2,
      arbitrary: seconds.map((n): Dur =>
        n % 60 === 0 ? { unit: 'minutes', amount: n / 60 } : { unit: 'seconds', amount: n },
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(tokenKind, seconds)
        .map(([token, value]): Dur => ({ unit: 'seconds', amount: { token, value } })),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: Math.ceil(minSeconds / 60), max: Math.floor(maxSeconds / 60) })
        .map((value): Dur => ({ unit: 'minutes', amount: { token: 'lazy', value } })),
    },
  );
}

function durEdge(edgeSeconds: number[]): fc.Arbitrary<Dur> {
  return fc.oneof(
    fc.constantFrom(...edgeSeconds, NaN, Infinity, 0.5).map((n): Dur => ({ unit: 'seconds', amount: n })),
    fc.constant<Dur>({ unit: 'minutes', amount: { token: 'param', value: 1 } }),
    fc.constant<Dur>({ unit: 'millis', amount: 1500 }),
  );
}

/** The scaling target, given one of the two ways. */
const validTargetArb: fc.Arbitrary<Partial<Case>> = fc.oneof(
  fc.record({ backlogPerInstanceTarget: numIn(0.5, 10_000, false) }),
  fc.record({
    acceptableLatency: fc.integer({ min: 1, max: 3600 }).map((n): Dur => ({ unit: 'seconds', amount: n })),
    processingTimePerMessage: fc
      .integer({ min: 1, max: VISIBILITY_SECONDS * 1000 - 1 })
      .map((n): Dur => ({ unit: 'millis', amount: n })),
  }),
);
const edgeTargetArb: fc.Arbitrary<Partial<Case>> = fc.oneof(
  fc.record({ backlogPerInstanceTarget: numEdge([0, MAX_TARGET, MAX_TARGET * 2]) }),
  fc.constantFrom<Partial<Case>>(
    {},
    { backlogPerInstanceTarget: 10, acceptableLatency: { unit: 'seconds', amount: 10 } },
    { acceptableLatency: { unit: 'seconds', amount: 10 } },
    { acceptableLatency: { unit: 'seconds', amount: 0 }, processingTimePerMessage: { unit: 'seconds', amount: 1 } },
    { acceptableLatency: { unit: 'days', amount: 15 }, processingTimePerMessage: { unit: 'seconds', amount: 1 } },
    { acceptableLatency: { unit: 'seconds', amount: NaN }, processingTimePerMessage: { unit: 'seconds', amount: 1 } },
    {
      acceptableLatency: { unit: 'seconds', amount: { token: 'lazy', value: 10 } },
      processingTimePerMessage: { unit: 'seconds', amount: 1 },
    },
    { acceptableLatency: { unit: 'seconds', amount: 10 }, processingTimePerMessage: { unit: 'seconds', amount: 0 } },
    {
      acceptableLatency: { unit: 'seconds', amount: 10 },
      processingTimePerMessage: { unit: 'seconds', amount: VISIBILITY_SECONDS },
    },
    { acceptableLatency: { unit: 'seconds', amount: 10 }, processingTimePerMessage: { unit: 'hours', amount: 13 } },
    {
      acceptableLatency: { unit: 'seconds', amount: 10 },
      processingTimePerMessage: { unit: 'seconds', amount: Infinity },
    },
  ),
);

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** What a careful user writes. */
const validArb = fc.record({
  queue: fc.constantFrom<Case['queue']>('work queue', 'sqs queue', 'imported'),
  vpc: fc.constant<Case['vpc']>('mixed'),
  vpcSubnets: opt(fc.constantFrom<NonNullable<Case['vpcSubnets']>>('private', 'isolated', 'explicit private')),
  instanceType: opt(
    fc.constantFrom<NonNullable<Case['instanceType']>>('m7g.large', 'c7i.xlarge', 't4g.small', 'm7i-flex.large'),
  ),
  userData: opt(fc.constant<'linux'>('linux')),
  rootVolumeSize: opt(
    fc.oneof(
      fc.integer({ min: 8, max: 200 }).map((n) => ({ unit: 'gibibytes' as const, amount: n as Num })),
      fc.integer({ min: 8, max: 64 }).map((n) => ({ unit: 'mebibytes' as const, amount: n * 1024 })),
      fc
        .integer({ min: 8, max: 64 })
        .map((n) => ({ unit: 'mebibytes' as const, amount: { token: 'lazy', value: n * 1024 } as Num })),
      fc
        .integer({ min: 8, max: 64 })
        .map((n) => ({ unit: 'gibibytes' as const, amount: { token: 'param', value: n } as Num })),
    ),
  ),
  rootDeviceName: opt(fc.constant('/dev/xvda')),
  minCapacity: opt(numIn(0, 5)),
  maxCapacity: opt(numIn(6, 60)),
  target: validTargetArb,
  estimatedInstanceWarmup: opt(durIn(0, 3600)),
  cooldown: opt(durIn(1, 3600)),
  sessionManagerAccess: opt(fc.boolean() as fc.Arbitrary<unknown>),
  alarmTopic: opt(fc.constant<'topic'>('topic')),
  metricCall: opt(
    fc.record({
      method: fc.constantFrom<'metricBacklogPerInstance' | 'metricGroupInServiceInstances'>(
        'metricBacklogPerInstance',
        'metricGroupInServiceInstances',
      ),
      seconds: fc.constantFrom(1, 10, 60, 300),
    }),
  ),
});

/** For every prop, values at and beyond its limits, foreign values, and deploy-time values that cannot be taken. */
const edgeArb = fc.record({
  queue: fc.constant<Case['queue']>('not a queue'),
  vpc: fc.constantFrom<Case['vpc']>('public only', 'not a vpc'),
  vpcSubnets: fc.constantFrom<NonNullable<Case['vpcSubnets']>>('public', 'unknown group', 'no zone', 'foreign type'),
  instanceType: fc.constantFrom<NonNullable<Case['instanceType']>>(
    'M7G LARGE',
    'u-6tb1.112xlarge',
    { token: 'lazy' },
    { jsString: 'm7g.large' },
  ),
  userData: fc.constant<'cloud-config'>('cloud-config'),
  rootVolumeSize: fc.constantFrom<NonNullable<Case['rootVolumeSize']>>(
    { unit: 'gibibytes', amount: 0 },
    { unit: 'gibibytes', amount: 4 },
    { unit: 'gibibytes', amount: 16_385 },
    { unit: 'gibibytes', amount: NaN },
    { unit: 'mebibytes', amount: 1536 },
    { unit: 'mebibytes', amount: { token: 'param', value: 10_240 } },
  ),
  rootDeviceName: fc.constantFrom('/dev/sda1', 'xvda', '/dev/xvda; rm'),
  minCapacity: numEdge([0, 10, 2_147_483_647, 0.5]),
  maxCapacity: numEdge([1, 2_147_483_647, 2_147_483_648, 6.5]),
  target: edgeTargetArb,
  estimatedInstanceWarmup: durEdge([3601, 7200]),
  cooldown: durEdge([0, 3601]),
  sessionManagerAccess: fc.constantFrom<unknown>('no', 0),
  alarmTopic: fc.constant<'not a topic'>('not a topic'),
  metricCall: fc.record({
    method: fc.constantFrom<'metricBacklogPerInstance' | 'metricGroupInServiceInstances'>(
      'metricBacklogPerInstance',
      'metricGroupInServiceInstances',
    ),
    seconds: fc.constantFrom(0, 7, 45, NaN),
  }),
});
const EDGE_KEYS = [
  'queue',
  'vpc',
  'vpcSubnets',
  'instanceType',
  'userData',
  'rootVolumeSize',
  'rootDeviceName',
  'minCapacity',
  'maxCapacity',
  'target',
  'estimatedInstanceWarmup',
  'cooldown',
  'sessionManagerAccess',
  'alarmTopic',
  'metricCall',
];

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    env: fc.constantFrom<'agnostic' | 'explicit'>('agnostic', 'explicit'),
    machineImage: fc.boolean(),
    valid: validArb,
    edges: edgeArb,
    edgeKeys: fc.subarray(EDGE_KEYS, { maxLength: 2 }),
  })
  .map(({ env, machineImage, valid, edges, edgeKeys }) => {
    const chosen: Record<string, unknown> = { ...valid };
    for (const key of edgeKeys) {
      chosen[key] = (edges as Record<string, unknown>)[key];
    }
    const { target, ...rest } = chosen as typeof valid;
    return { env, machineImage, ...rest, ...(target as object) } as Case;
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

function dur(stack: Stack, d: Dur | undefined, id: string): Duration | undefined {
  if (d === undefined) {
    return undefined;
  }
  const amount = num(stack, d.amount, id);
  return {
    millis: Duration.millis,
    seconds: Duration.seconds,
    minutes: Duration.minutes,
    hours: Duration.hours,
    days: Duration.days,
  }[d.unit](amount);
}

const PRIVATE = ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'];
const ISOLATED = ['subnet-0a1b2c3d4e5f60731', 'subnet-0a1b2c3d4e5f60732'];
const PUBLIC = ['subnet-0a1b2c3d4e5f60721', 'subnet-0a1b2c3d4e5f60722'];

function vpcOf(stack: Stack, kind: Case['vpc']): ec2.IVpc {
  if (kind === 'not a vpc') {
    return 'vpc-0a1b2c3d4e5f60718' as unknown as ec2.IVpc;
  }
  const zones = stack.availabilityZones.slice(0, 2);
  return kind === 'public only'
    ? ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        availabilityZones: zones,
        publicSubnetIds: PUBLIC,
      })
    : ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        availabilityZones: zones,
        privateSubnetIds: PRIVATE,
        isolatedSubnetIds: ISOLATED,
        publicSubnetIds: PUBLIC,
      });
}

function queueOf(stack: Stack, kind: Case['queue']): sqs.IQueue {
  switch (kind) {
    case 'work queue':
      return new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.seconds(VISIBILITY_SECONDS) });
    case 'sqs queue':
      return new sqs.Queue(stack, 'Jobs', {
        visibilityTimeout: Duration.seconds(VISIBILITY_SECONDS),
        enforceSSL: true,
      });
    case 'imported':
      return sqs.Queue.fromQueueArn(stack, 'Jobs', `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs`);
    default:
      return `arn:aws:sqs:us-east-1:${ACCOUNT}:jobs` as unknown as sqs.IQueue;
  }
}

function subnetsOf(vpc: ec2.IVpc, kind: Case['vpcSubnets']): ec2.SubnetSelection | undefined {
  switch (kind) {
    case undefined:
      return undefined;
    case 'private':
      return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    case 'isolated':
      return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    case 'explicit private':
      return { subnets: typeof vpc === 'object' ? vpc.privateSubnets : [] };
    case 'public':
      return { subnetType: ec2.SubnetType.PUBLIC };
    case 'unknown group':
      return { subnetGroupName: 'workers' };
    case 'no zone':
      return { availabilityZones: ['eu-north-1c'] };
    default:
      return { subnetType: 'private' as ec2.SubnetType };
  }
}

interface Built {
  readonly template: any;
  readonly fleet: QueueProcessingFleet;
  readonly metric?: cloudwatch.IMetric;
}

function build(c: Case): Built {
  const app = strictApp();
  const stack =
    c.env === 'agnostic'
      ? new Stack(app, 'Stack')
      : new Stack(app, 'Stack', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const vpc = vpcOf(stack, c.vpc);
  const instanceType =
    c.instanceType === undefined
      ? undefined
      : typeof c.instanceType === 'string'
        ? new ec2.InstanceType(c.instanceType)
        : 'token' in c.instanceType
          ? new ec2.InstanceType(Lazy.string({ produce: () => 'm7g.large' }))
          : (c.instanceType.jsString as unknown as ec2.InstanceType);
  const userData =
    c.userData === 'linux'
      ? ec2.UserData.forLinux()
      : c.userData === 'cloud-config'
        ? ec2.UserData.custom('#cloud-config\n')
        : undefined;
  const props: QueueProcessingFleetProps = {
    queue: queueOf(stack, c.queue),
    vpc,
    vpcSubnets: subnetsOf(vpc, c.vpcSubnets),
    instanceType,
    machineImage: c.machineImage ? ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-0123456789abcdef0' }) : undefined,
    userData,
    rootVolumeSize: c.rootVolumeSize && Size[c.rootVolumeSize.unit](num(stack, c.rootVolumeSize.amount, 'RootVolume')),
    rootDeviceName: c.rootDeviceName,
    minCapacity: c.minCapacity === undefined ? undefined : num(stack, c.minCapacity, 'MinCapacity'),
    maxCapacity: c.maxCapacity === undefined ? undefined : num(stack, c.maxCapacity, 'MaxCapacity'),
    acceptableLatency: dur(stack, c.acceptableLatency, 'Latency'),
    processingTimePerMessage: dur(stack, c.processingTimePerMessage, 'Processing'),
    backlogPerInstanceTarget:
      c.backlogPerInstanceTarget === undefined ? undefined : num(stack, c.backlogPerInstanceTarget, 'Target'),
    estimatedInstanceWarmup: dur(stack, c.estimatedInstanceWarmup, 'Warmup'),
    cooldown: dur(stack, c.cooldown, 'Cooldown'),
    sessionManagerAccess: c.sessionManagerAccess as boolean | undefined,
    alarmTopic:
      c.alarmTopic === 'topic'
        ? new sns.Topic(stack, 'Pager', { enforceSSL: true })
        : c.alarmTopic === 'not a topic'
          ? ('arn:aws:sns:us-east-1:1:pager' as unknown as sns.ITopic)
          : undefined,
  };
  const fleet = new QueueProcessingFleet(stack, 'Fleet', props);
  const metric = c.metricCall && fleet[c.metricCall.method]({ period: Duration.seconds(c.metricCall.seconds) });
  const template = app.synth().getStackByName(stack.stackName).template;
  return { template, fleet, metric };
}

// ---- the oracle ----

function isToken(n: Num | undefined): n is { token: 'lazy' | 'param'; value: number } {
  return typeof n === 'object' && n !== null;
}

function literalMillis(d: Dur | undefined): number | undefined {
  return d === undefined || isToken(d.amount) ? undefined : d.amount * MILLIS_PER[d.unit];
}

/** A duration that must be refused: a literal out of range or not whole seconds, or a parameter in a unit to convert. */
function durRefused(d: Dur | undefined, min: number, max: number, wholeSeconds = true): boolean {
  if (d === undefined) return false;
  if (isToken(d.amount)) return d.amount.token === 'param' && d.unit !== 'seconds';
  const ms = literalMillis(d)!;
  return !Number.isFinite(ms) || (wholeSeconds && ms % 1000 !== 0) || ms < min * 1000 || ms > max * 1000;
}

function intRefused(n: Num | undefined, min: number, max: number): boolean {
  return n !== undefined && !isToken(n) && !(Number.isInteger(n) && n >= min && n <= max);
}

function mustRefuse(c: Case): string[] {
  const r: string[] = [];
  if (c.queue === 'not a queue') r.push('queue');
  if (c.vpc === 'not a vpc') r.push('vpc');
  if (c.vpc === 'public only' || ['public', 'unknown group', 'no zone', 'foreign type'].includes(c.vpcSubnets ?? '')) {
    r.push('vpcSubnets');
  }
  if (c.vpc === 'public only' && c.vpcSubnets && ['private', 'isolated'].includes(c.vpcSubnets)) r.push('vpcSubnets');
  const image = c.machineImage;
  if (c.instanceType !== undefined) {
    if (typeof c.instanceType === 'object') {
      if ('jsString' in c.instanceType || !image) r.push('instanceType');
    } else if (
      !/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(c.instanceType) ||
      (!image && !/^([a-z]+)(\d{1,2})([a-z-]*)\.([a-z0-9-]+)$/.test(c.instanceType))
    ) {
      r.push('instanceType');
    }
  }
  if (c.userData === 'cloud-config') r.push('userData');
  if (c.rootVolumeSize) {
    const { unit, amount } = c.rootVolumeSize;
    if (isToken(amount)) {
      if (amount.token === 'param' && unit !== 'gibibytes') r.push('rootVolumeSize');
    } else {
      const gib = unit === 'gibibytes' ? amount : amount / 1024;
      if (!Number.isInteger(gib) || gib < (image ? 1 : 8) || gib > 16_384) r.push('rootVolumeSize');
    }
  }
  if (c.rootDeviceName !== undefined) {
    const valid = /^\/dev\/(sd[a-z]{1,2}[0-9]{0,2}|xvd[a-z]{1,2}[0-9]{0,2}|hd[a-z][0-9]{0,2})$/.test(c.rootDeviceName);
    if (!valid || (!image && c.rootDeviceName !== '/dev/xvda')) r.push('rootDeviceName');
  }
  if (intRefused(c.minCapacity, 0, 2_147_483_646)) r.push('minCapacity');
  if (intRefused(c.maxCapacity, 1, 2_147_483_647)) r.push('maxCapacity');
  const min = c.minCapacity ?? 0;
  const max = c.maxCapacity ?? 10;
  if (!isToken(min) && !isToken(max) && Number.isFinite(min) && Number.isFinite(max) && min >= max) {
    r.push('minCapacity');
  }
  const fromLatency = c.acceptableLatency !== undefined || c.processingTimePerMessage !== undefined;
  if (c.backlogPerInstanceTarget !== undefined && fromLatency) r.push('backlogPerInstanceTarget');
  if (c.backlogPerInstanceTarget === undefined && !fromLatency) r.push('backlogPerInstanceTarget');
  const t = c.backlogPerInstanceTarget;
  if (t !== undefined && !isToken(t) && !(Number.isFinite(t) && t > 0 && t <= MAX_TARGET)) {
    r.push('backlogPerInstanceTarget');
  }
  if (fromLatency && (c.acceptableLatency === undefined || c.processingTimePerMessage === undefined)) {
    r.push(c.acceptableLatency === undefined ? 'acceptableLatency' : 'processingTimePerMessage');
  }
  const latency = c.acceptableLatency;
  const processing = c.processingTimePerMessage;
  if (
    latency &&
    (isToken(latency.amount)
      ? c.backlogPerInstanceTarget === undefined
      : durRefused(latency, 0.001, 14 * 86_400, false))
  ) {
    r.push('acceptableLatency');
  }
  if (processing) {
    const ms = literalMillis(processing);
    const knownVisibility = c.queue === 'work queue' || c.queue === 'sqs queue';
    if (
      durRefused(processing, 0.001, 12 * 3600, false) ||
      (knownVisibility && ms !== undefined && ms >= VISIBILITY_SECONDS * 1000)
    ) {
      r.push('processingTimePerMessage');
    }
  }
  if (durRefused(c.estimatedInstanceWarmup, 0, 3600)) r.push('estimatedInstanceWarmup');
  if (durRefused(c.cooldown, 1, 3600)) r.push('cooldown');
  if (c.sessionManagerAccess !== undefined && typeof c.sessionManagerAccess !== 'boolean') {
    r.push('sessionManagerAccess');
  }
  if (c.alarmTopic === 'not a topic') r.push('alarmTopic');
  if (c.metricCall) {
    const s = c.metricCall.seconds;
    if (!(Number.isInteger(s) && ([1, 5, 10, 30].includes(s) || (s > 0 && s % 60 === 0)))) {
      r.push(`${c.metricCall.method} period`);
    }
  }
  return r;
}

function expectTemplateHolds(c: Case, built: Built): void {
  const resources = built.template.Resources as Record<string, any>;
  const byType = (type: string) => Object.values(resources).filter((r: any) => r.Type === type) as any[];
  const stack = Stack.of(built.fleet);
  const group = resources[stack.getLogicalId(built.fleet.autoScalingGroup.node.defaultChild as any)].Properties;
  const asString = (n: Num | undefined, fallback: number, parameter: string) =>
    n === undefined
      ? String(fallback)
      : isToken(n)
        ? n.token === 'lazy'
          ? String(n.value)
          : { Ref: parameter }
        : String(n);
  expect(group.MinSize).toEqual(asString(c.minCapacity, 0, 'MinCapacity'));
  expect(group.MaxSize).toEqual(asString(c.maxCapacity, 10, 'MaxCapacity'));
  expect(group.VPCZoneIdentifier.length).toBeGreaterThan(0);
  const seconds = (d: Dur | undefined, fallback: number, parameter: string) =>
    d === undefined
      ? fallback
      : isToken(d.amount)
        ? d.amount.token === 'lazy'
          ? (d.amount.value * MILLIS_PER[d.unit]) / 1000
          : { Ref: parameter }
        : literalMillis(d)! / 1000;
  expect(group.DefaultInstanceWarmup).toEqual(seconds(c.estimatedInstanceWarmup, 300, 'Warmup'));
  const cooldown = seconds(c.cooldown, 300, 'Cooldown');
  expect(group.Cooldown).toEqual(typeof cooldown === 'number' ? String(cooldown) : cooldown);

  const policies = byType('AWS::AutoScaling::ScalingPolicy');
  const tracking = policies.find((p) => p.Properties.PolicyType === 'TargetTrackingScaling').Properties;
  const target =
    c.backlogPerInstanceTarget !== undefined
      ? isToken(c.backlogPerInstanceTarget)
        ? c.backlogPerInstanceTarget.token === 'lazy'
          ? c.backlogPerInstanceTarget.value
          : { Ref: 'Target' }
        : c.backlogPerInstanceTarget
      : literalMillis(c.acceptableLatency)! / literalMillis(c.processingTimePerMessage)!;
  expect(tracking.TargetTrackingConfiguration.TargetValue).toEqual(target);
  // The falling-behind alarm sits at twice a known target: a finite number, never null.
  const alarm = resources[stack.getLogicalId(built.fleet.backlogPerInstanceAlarm.node.defaultChild as any)].Properties;
  const knownTarget = !isToken(c.backlogPerInstanceTarget);
  expect(alarm.Threshold).toEqual(knownTarget ? (target as number) * 2 : target);
  const fromZero = c.minCapacity === undefined || isToken(c.minCapacity) || c.minCapacity === 0;
  expect(policies.length).toBe(fromZero ? 2 : 1);

  const launch = byType('AWS::EC2::LaunchTemplate')[0].Properties.LaunchTemplateData;
  if (typeof c.instanceType === 'string') expect(launch.InstanceType).toBe(c.instanceType);
  const ebs = launch.BlockDeviceMappings[0];
  expect(ebs.DeviceName).toBe(c.rootDeviceName ?? '/dev/xvda');
  expect(ebs.Ebs.Encrypted).toBe(true);
  const volume = c.rootVolumeSize;
  const expectedVolume =
    volume === undefined
      ? 8
      : isToken(volume.amount)
        ? volume.amount.token === 'lazy'
          ? volume.unit === 'gibibytes'
            ? volume.amount.value
            : volume.amount.value / 1024
          : { Ref: 'RootVolume' }
        : volume.unit === 'gibibytes'
          ? volume.amount
          : volume.amount / 1024;
  expect(ebs.Ebs.VolumeSize).toEqual(expectedVolume);
  if (c.metricCall) {
    expect(
      built.metric!.toMetricConfig().metricStat?.period.toSeconds() ?? (built.metric as any).period.toSeconds(),
    ).toBe(c.metricCall.seconds);
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
    expectLibraryError(outcome.error, ['Stack/Fleet'], refuse);
    return;
  }
  counts.built++;
  if (refuse.length > 0) {
    throw new Error(`synthesized although ${refuse.join(', ')} must be refused`);
  }
  expectTemplateHolds(c, outcome.value);
  batch.add(outcome.value.template, `queue-processing-fleet-${index}`);
}

test('QueueProcessingFleet: every generated case is refused with a library error, or synthesizes what was asked', async () => {
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
  reportCases('QueueProcessingFleet', counts);
}, 180_000);

/** `PROPERTY_COUNT_FAILURES=1`: runs every case and prints how many failed (cfn-lint errors count), to measure old code. */
async function countFailures(): Promise<void> {
  const cases = fc.sample(caseArb, { seed: propertyParameters(NUM_RUNS).seed, numRuns: NUM_RUNS });
  const failed = new Set<number>();
  const templates: Record<string, unknown> = {};
  const reasons: string[] = [];
  cases.forEach((c, i) => {
    const before = batch.size;
    try {
      runCase(c, i);
      if (batch.size > before) {
        templates[`case-${i}`] = (batch as any).templates[`queue-processing-fleet-${i}#${before}`];
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
  cases.forEach((c) => mustRefuse(c).forEach((reason) => (tally[reason] = (tally[reason] ?? 0) + 1)));
  // eslint-disable-next-line no-console
  console.log(
    `QueueProcessingFleet: ${cases.length} cases, ${failed.size} failed\n${reasons.join('\n')}\n${JSON.stringify(tally)}`,
  );
}
