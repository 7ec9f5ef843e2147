import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as fc from 'fast-check';
import { logicalId, strictApp } from '../harness/app';
import {
  attempt,
  enumOrForeign,
  expectLibraryError,
  nameAround,
  numberAround,
  numberToken,
  propertyParameters,
  reportCases,
  TemplateBatch,
} from '../harness/properties';
import { EncryptedStream, EncryptedStreamEncryption, EncryptedStreamProps } from '../src/encrypted-stream';

// Props of an EncryptedStream and calls of its methods (addConsumer, addKclApplication, grants), generated
// inside, at and beyond every limit. Each case ends in a library error that names the construct, the prop
// (or method argument), the value and the rule, or in a template the strict validator and cfn-lint accept
// and that holds what was asked. `PROPERTY_COUNT_FAILURES=1` counts the failing cases instead of stopping
// at the first (how the figures before the fixes were taken).

const COUNT_FAILURES = process.env.PROPERTY_COUNT_FAILURES === '1';
const HOUR = 3_600_000;
const MAX_SHARDS = 100_000;

type Unit = 'millis' | 'seconds' | 'minutes' | 'hours' | 'days';
const UNIT_MS: Record<Unit, number> = { millis: 1, seconds: 1000, minutes: 60_000, hours: HOUR, days: 24 * HOUR };

/** A Duration as the user writes it: a unit and an amount, which may be a token. */
interface DurationSpec {
  readonly unit: Unit;
  readonly amount: number;
}

function duration(spec: DurationSpec): Duration {
  return Duration[spec.unit](spec.amount);
}

function durationMs(spec: DurationSpec): number | 'token' {
  return Token.isUnresolved(spec.amount) ? 'token' : spec.amount * UNIT_MS[spec.unit];
}

/** Durations around limits given in milliseconds, in each unit a user would pick. */
function durationSpecAround(limitsMs: number[], units: Unit[], tokenValue: number): fc.Arbitrary<DurationSpec> {
  return fc.oneof(
    ...units.map((unit) =>
      numberAround(limitsMs.map((ms) => ms / UNIT_MS[unit]))
        .filter((n) => Token.isUnresolved(n) || !(n < 0))
        .map((amount) => ({ unit, amount: Token.isUnresolved(amount) ? numberToken(tokenValue) : amount })),
    ),
  );
}

type KeyChoice = 'new' | 'imported' | 'aws-managed-alias';
type GranteeKind = 'role' | 'user' | 'service' | 'string';

interface Case {
  readonly streamName?: string;
  readonly sameNameStream: boolean;
  readonly shardCount?: number;
  readonly retention?: DurationSpec;
  readonly encryption?: string;
  readonly key?: KeyChoice;
  readonly iteratorAge?: DurationSpec;
  readonly alarmTopic: boolean;
  readonly removalPolicy?: string;
  readonly onDemandAdvantage?: unknown;
  readonly consumers: string[];
  readonly kcl: Array<{ readonly name: string; readonly grantee: GranteeKind }>;
  readonly grant?: { readonly method: 'grantRead' | 'grantWrite' | 'grantReadWrite'; readonly grantee: GranteeKind };
}

const KCL_SUFFIXES = ['-WorkerMetricStats', '-CoordinatorState'];
const NAME_CHARS = 'abcXYZ019-_.'.split('');

/** Mostly a valid value, sometimes one at or beyond a limit, sometimes left out. */
function mostly<T>(valid: fc.Arbitrary<T>, edges: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: valid },
    { weight: 1, arbitrary: edges },
  );
}

const validName = (max: number) =>
  fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 3, maxLength: Math.min(max, 24) });

const kclName = fc.oneof(
  { weight: 12, arbitrary: validName(237) },
  { weight: 1, arbitrary: nameAround(255, 'abcXYZ019-_.').filter((n) => Token.isUnresolved(n) || n.length !== 1) },
  { weight: 1, arbitrary: fc.constantFrom('ab', 'abc', 'a'.repeat(237), 'a'.repeat(238), 'a'.repeat(255), 'agg') },
  { weight: 1, arbitrary: fc.constantFrom(...KCL_SUFFIXES.map((s) => `agg${s}`)) },
);

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  streamName: mostly(validName(128), nameAround(128, 'abcXYZ019-_.')),
  sameNameStream: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  shardCount: mostly(
    fc.oneof(
      fc.integer({ min: 1, max: MAX_SHARDS }),
      fc.constant(0).map(() => numberToken()),
    ),
    numberAround([1, MAX_SHARDS]),
  ),
  retention: mostly(
    fc.oneof(
      fc.integer({ min: 24, max: 8760 }).map((amount): DurationSpec => ({ unit: 'hours', amount })),
      fc.integer({ min: 1, max: 365 }).map((amount): DurationSpec => ({ unit: 'days', amount })),
      fc.constant(0).map((): DurationSpec => ({ unit: 'hours', amount: numberToken(48) })),
    ),
    fc.oneof(
      durationSpecAround([24 * HOUR, 8760 * HOUR], ['hours', 'days', 'minutes', 'seconds'], 48),
      fc.constantFrom<DurationSpec>({ unit: 'hours', amount: 24.5 }, { unit: 'minutes', amount: 24 * 60 + 30 }),
    ),
  ),
  encryption: mostly(
    fc.constantFrom(...Object.values(EncryptedStreamEncryption)),
    enumOrForeign(Object.values(EncryptedStreamEncryption), ['customer_managed', 'KMS']),
  ),
  key: fc.oneof(
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom<KeyChoice>('new', 'imported') },
    { weight: 1, arbitrary: fc.constant<KeyChoice>('aws-managed-alias') },
  ),
  iteratorAge: mostly(
    fc.integer({ min: 1, max: 23 * 60 }).map((amount): DurationSpec => ({ unit: 'minutes', amount })),
    durationSpecAround([60_000, 18 * HOUR, 24 * HOUR, 8760 * HOUR], ['millis', 'seconds', 'hours'], 60_000),
  ),
  alarmTopic: fc.boolean(),
  removalPolicy: mostly(
    fc.constantFrom(RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE),
    enumOrForeign(Object.values(RemovalPolicy), ['retain', 'Delete']),
  ),
  onDemandAdvantage: mostly(fc.boolean(), fc.constantFrom<unknown>(true, 'yes', 1)),
  consumers: fc.oneof(
    { weight: 8, arbitrary: fc.uniqueArray(validName(128), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.array(fc.oneof(nameAround(128, 'abcXYZ019-_.'), fc.constantFrom('dash')), { maxLength: 4 }),
    },
    {
      weight: 2,
      arbitrary: fc.integer({ min: 5, max: 52 }).map((n) => Array.from({ length: n }, (_, i) => `consumer-${i}`)),
    },
  ),
  kcl: fc.array(
    fc.record({
      name: kclName,
      grantee: fc.oneof(
        { weight: 16, arbitrary: fc.constantFrom<GranteeKind>('role', 'user') },
        { weight: 1, arbitrary: fc.constantFrom<GranteeKind>('service', 'string') },
      ),
    }),
    { maxLength: 3 },
  ),
  grant: fc.option(
    fc.record({
      method: fc.constantFrom('grantRead' as const, 'grantWrite' as const, 'grantReadWrite' as const),
      grantee: fc.oneof(
        { weight: 10, arbitrary: fc.constant<GranteeKind>('role') },
        { weight: 1, arbitrary: fc.constantFrom<GranteeKind>('service', 'string') },
      ),
    }),
    { nil: undefined },
  ),
});

/** What the library must do with a case: build it, or refuse it naming one of these props. */
type Expected =
  { readonly kind: 'built' } | { readonly kind: 'error'; readonly path: string; readonly props: string[] };

function retentionMs(c: Case): number | 'token' | 'invalid' {
  if (c.retention === undefined) {
    return 24 * HOUR;
  }
  const ms = durationMs(c.retention);
  if (ms === 'token') {
    // A deploy-time amount cannot be converted: only hours reach RetentionPeriodHours as they are.
    return c.retention.unit === 'hours' ? 'token' : 'invalid';
  }
  return Number.isFinite(ms) && ms % HOUR === 0 && ms >= 24 * HOUR && ms <= 8760 * HOUR ? ms : 'invalid';
}

function isStreamName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,128}$/.test(name);
}

function consumerLimit(c: Case): number {
  return c.onDemandAdvantage === true && c.shardCount === undefined ? 50 : 20;
}

function expected(c: Case): Expected {
  const invalid: string[] = [];
  const retention = retentionMs(c);
  if (retention === 'invalid') {
    invalid.push('retentionPeriod');
  }
  if (c.shardCount !== undefined && !Token.isUnresolved(c.shardCount)) {
    if (!(Number.isInteger(c.shardCount) && c.shardCount >= 1 && c.shardCount <= MAX_SHARDS)) {
      invalid.push('shardCount');
    }
  }
  if (c.streamName !== undefined && !Token.isUnresolved(c.streamName) && !isStreamName(c.streamName)) {
    invalid.push('streamName');
  }
  const encryptionValues: string[] = Object.values(EncryptedStreamEncryption);
  if (c.encryption !== undefined && !encryptionValues.includes(c.encryption)) {
    invalid.push('encryption');
  }
  if (
    c.key === 'aws-managed-alias' ||
    (c.key !== undefined && c.encryption === EncryptedStreamEncryption.AWS_MANAGED)
  ) {
    invalid.push('encryptionKey');
  }
  const removal: string[] = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];
  if (c.removalPolicy !== undefined && !removal.includes(c.removalPolicy)) {
    invalid.push('removalPolicy');
  }
  if (c.onDemandAdvantage !== undefined && typeof c.onDemandAdvantage !== 'boolean') {
    invalid.push('onDemandAdvantage');
  }
  if (c.onDemandAdvantage === true && c.shardCount !== undefined) {
    invalid.push('onDemandAdvantage', 'shardCount');
  }
  if (c.iteratorAge !== undefined) {
    const ms = durationMs(c.iteratorAge);
    if (ms === 'token') {
      if (c.iteratorAge.unit !== 'millis') {
        invalid.push('iteratorAgeAlarmThreshold');
      }
    } else {
      const upper = typeof retention === 'number' ? retention : 8760 * HOUR;
      if (!(Number.isFinite(ms) && ms % 1000 === 0 && ms >= 60_000 && ms < upper)) {
        invalid.push('iteratorAgeAlarmThreshold');
      }
      if (retention === 'invalid') {
        invalid.push('iteratorAgeAlarmThreshold');
      }
    }
  }
  if (invalid.length > 0) {
    return { kind: 'error', path: 'Stack/S', props: invalid };
  }
  if (c.sameNameStream && c.streamName !== undefined && !Token.isUnresolved(c.streamName)) {
    return { kind: 'error', path: 'Stack/Other', props: ['streamName'] };
  }
  const consumers = new Set<string>();
  for (const name of c.consumers) {
    const valid =
      !Token.isUnresolved(name) &&
      /^[A-Za-z0-9_.-]{1,128}$/.test(name) &&
      !consumers.has(name) &&
      consumers.size < consumerLimit(c);
    if (!valid) {
      return { kind: 'error', path: 'Stack/S', props: ['addConsumer consumerName'] };
    }
    consumers.add(name);
  }
  const tables = new Set<string>();
  for (const application of c.kcl) {
    const names = [application.name, ...KCL_SUFFIXES.map((s) => `${application.name}${s}`)];
    if (
      Token.isUnresolved(application.name) ||
      !/^[A-Za-z0-9_.-]{3,237}$/.test(application.name) ||
      names.some((n) => tables.has(n))
    ) {
      return { kind: 'error', path: 'Stack/S', props: ['addKclApplication applicationName'] };
    }
    if (application.grantee === 'service' || application.grantee === 'string') {
      return { kind: 'error', path: 'Stack/S', props: ['addKclApplication grantee'] };
    }
    names.forEach((n) => tables.add(n));
  }
  // A service principal takes the grant in the stream's and the key's policies (as aws-cdk-lib's grants do),
  // which an imported key's policy cannot: refused rather than dropped.
  const importedKey = c.key === 'imported' && c.encryption !== EncryptedStreamEncryption.AWS_MANAGED;
  if (c.grant && (c.grant.grantee === 'string' || (c.grant.grantee === 'service' && importedKey))) {
    return { kind: 'error', path: 'Stack/S', props: [`${c.grant.method} grantee`] };
  }
  return { kind: 'built' };
}

function grantee(stack: Stack, id: string, kind: GranteeKind): any {
  switch (kind) {
    case 'role':
      return new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
    case 'user':
      return new iam.User(stack, id);
    case 'service':
      return new iam.ServicePrincipal('ecs-tasks.amazonaws.com');
    case 'string':
      return `arn:aws:iam::123456789012:role/${id}`;
  }
}

function build(c: Case) {
  const stack = new Stack(strictApp(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const keys: Record<KeyChoice, () => kms.IKey> = {
    new: () => new kms.Key(stack, 'Key', { enableKeyRotation: true }),
    imported: () =>
      kms.Key.fromKeyArn(
        stack,
        'Imported',
        'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
      ),
    'aws-managed-alias': () => kms.Alias.fromAliasName(stack, 'Aws', 'alias/aws/kinesis'),
  };
  const props = {
    streamName: c.streamName,
    shardCount: c.shardCount,
    retentionPeriod: c.retention && duration(c.retention),
    encryption: c.encryption as EncryptedStreamEncryption,
    encryptionKey: c.key && keys[c.key](),
    iteratorAgeAlarmThreshold: c.iteratorAge && duration(c.iteratorAge),
    alarmTopic: c.alarmTopic ? new sns.Topic(stack, 'Pager', { enforceSSL: true }) : undefined,
    removalPolicy: c.removalPolicy as RemovalPolicy,
    onDemandAdvantage: c.onDemandAdvantage,
  } as EncryptedStreamProps;
  const stream = new EncryptedStream(stack, 'S', props);
  if (c.sameNameStream) {
    new EncryptedStream(stack, 'Other', { streamName: c.streamName });
  }
  const consumers = c.consumers.map((name) => stream.addConsumer(name));
  const applications = c.kcl.map((application, i) =>
    stream.addKclApplication(application.name, grantee(stack, `Worker${i}`, application.grantee)),
  );
  if (c.grant) {
    stream[c.grant.method](grantee(stack, 'Granted', c.grant.grantee));
  }
  return { stack, stream, consumers, applications };
}

function resourcesOf(template: any, type: string): any[] {
  return Object.values(template.Resources).filter((r: any) => r.Type === type);
}

/** The template holds what the case asked for. */
function expectAsked(c: Case, built: ReturnType<typeof build>, template: any): void {
  const mine = template.Resources[logicalId(built.stream.stream)];
  const props = mine.Properties;
  if (c.streamName !== undefined) {
    expect(props.Name).toBe(Token.isUnresolved(c.streamName) ? 'deploy-time-name' : c.streamName);
  }
  if (c.shardCount !== undefined) {
    expect(props.StreamModeDetails).toEqual({ StreamMode: 'PROVISIONED' });
    expect(props.ShardCount).toBe(Token.isUnresolved(c.shardCount) ? 7 : c.shardCount);
  } else {
    expect(props.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
  }
  const retention = retentionMs(c);
  expect(props.RetentionPeriodHours).toBe(retention === 'token' ? 48 : (retention as number) / HOUR);
  if (c.encryption === EncryptedStreamEncryption.AWS_MANAGED) {
    expect(props.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
  } else if (c.key === 'imported') {
    expect(props.StreamEncryption.KeyId).toBe(
      'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
    );
  } else {
    expect(props.StreamEncryption).toEqual({
      EncryptionType: 'KMS',
      KeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
    });
  }
  const deletion = {
    destroy: 'Delete',
    retain: 'Retain',
    'retain-on-update-or-delete': 'RetainExceptOnCreate',
  } as Record<string, string>;
  expect(mine.DeletionPolicy).toBe(deletion[c.removalPolicy ?? 'retain']);

  const iteratorAlarm = resourcesOf(template, 'AWS::CloudWatch::Alarm').find(
    (a) => a.Properties.MetricName === 'GetRecords.IteratorAgeMilliseconds',
  );
  const age = c.iteratorAge && durationMs(c.iteratorAge);
  const expectedThreshold =
    age === 'token'
      ? 60_000
      : age !== undefined
        ? age
        : Math.floor(((retention === 'token' ? 24 * HOUR : (retention as number)) * 0.75) / 1000) * 1000;
  expect(iteratorAlarm.Properties.Threshold).toBe(expectedThreshold);
  if (c.alarmTopic) {
    expect(iteratorAlarm.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Pager/) }]);
  }

  const consumers = resourcesOf(template, 'AWS::Kinesis::StreamConsumer');
  expect(consumers.map((r) => r.Properties.ConsumerName).sort()).toEqual([...c.consumers].sort());
  // At most five consumers of a stream may be CREATING at once (RegisterStreamConsumer API reference).
  const ids = built.consumers.map((consumer) => logicalId(consumer.consumer));
  ids.forEach((id, i) => {
    const dependsOn = [template.Resources[id].DependsOn ?? []].flat();
    if (i >= 5) {
      expect(dependsOn).toContain(ids[i - 5]);
    }
  });

  const tables = resourcesOf(template, 'AWS::DynamoDB::Table').map((t) => t.Properties.TableName);
  expect(tables.sort()).toEqual(c.kcl.map((a) => a.name).sort());
  for (const application of built.applications) {
    const policy = template.Resources[logicalId(application.workerPolicy)];
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions).toEqual(
      expect.arrayContaining([
        'kinesis:RegisterStreamConsumer',
        'kinesis:SubscribeToShard',
        'kinesis:DescribeStreamConsumer',
        'dynamodb:Query',
      ]),
    );
  }
}

test('EncryptedStream: generated props and method calls end in a library error or a clean, faithful template', async () => {
  const batch = new TemplateBatch();
  const counts = { errors: 0, built: 0 };
  const failures: string[] = [];
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (c) => {
      const want = expected(c);
      try {
        const outcome = attempt(() => {
          const built = build(c);
          return { built, template: Template.fromStack(built.stack).toJSON() };
        });
        if (outcome.kind === 'error') {
          if (want.kind === 'built') {
            throw new Error(`refused a valid case: ${outcome.error.message}\n${outcome.error.stack}`);
          }
          expectLibraryError(outcome.error, [want.path], want.props);
          counts.errors++;
          return;
        }
        if (want.kind === 'error') {
          throw new Error(`accepted a case that must be refused (${want.props.join(', ')})`);
        }
        expectAsked(c, outcome.value.built, outcome.value.template);
        batch.add(outcome.value.template, 'encrypted-stream');
        counts.built++;
      } catch (error) {
        if (!COUNT_FAILURES) {
          throw error;
        }
        failures.push(`${(error as Error).message.split('\n')[0]} :: ${describeCase(c)}`);
      }
    }),
    propertyParameters(300),
  );
  if (COUNT_FAILURES) {
    // eslint-disable-next-line no-console
    console.log(`encrypted-stream: ${failures.length} failing cases\n${failures.slice(0, 60).join('\n')}`);
  }
  reportCases('EncryptedStream', counts);
  await batch.expectCfnLintClean();
}, 300_000);

function describeCase(c: Case): string {
  return JSON.stringify(c, (_key, value) => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      return String(value);
    }
    if (typeof value === 'number' && Token.isUnresolved(value)) {
      return 'TOKEN';
    }
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      return 'TOKEN';
    }
    if (typeof value === 'string' && value.length > 40) {
      return `${value.slice(0, 10)}…(${value.length})`;
    }
    return value;
  });
}
