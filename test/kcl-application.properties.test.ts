import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as fc from 'fast-check';
import { logicalId, strictApp } from '../harness/app';
import {
  attempt,
  enumOrForeign,
  expectLibraryError,
  nameAround,
  propertyParameters,
  reportCases,
  TemplateBatch,
} from '../harness/properties';
import { EncryptedStream } from '../src/encrypted-stream';
import { KclApplication, KclApplicationProps } from '../src/kcl-application';

// A KclApplication constructed directly: its name (the lease table's, 3..237 characters, unique in the
// account and Region together with KCL 3.x's two suffixed tables), any stream, removal policies including
// SNAPSHOT and foreign strings, and grantWorker calls with every kind of grantee. Each case ends in a
// library error naming the prop (or `grantWorker grantee`), or in a template the strict validator and
// cfn-lint accept, whose worker policy grants what the Kinesis developer guide lists on the right ARNs.

const COUNT_FAILURES = process.env.PROPERTY_COUNT_FAILURES === '1';
const SUFFIXES = ['-WorkerMetricStats', '-CoordinatorState'];
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:123456789012:stream/positions';
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';

type StreamChoice =
  'encrypted-stream' | 'aws-cdk-stream' | 'imported' | 'imported-with-key' | 'missing' | 'not-a-stream';
type GranteeKind = 'role' | 'imported-role' | 'user' | 'group' | 'service' | 'account' | 'string';

interface Case {
  readonly applicationName: string;
  readonly stream: StreamChoice;
  readonly removalPolicy?: string;
  readonly alarmTopic: boolean;
  readonly grantees: GranteeKind[];
  /** A second application, on another stream, named like this (or like one of its KCL 3.x tables). */
  readonly second?: string;
}

const validName = fc.string({ unit: fc.constantFrom(...'abcXYZ019-_.'.split('')), minLength: 3, maxLength: 30 });

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  applicationName: fc.oneof(
    { weight: 10, arbitrary: validName },
    { weight: 2, arbitrary: nameAround(255, 'abcXYZ019-_.') },
    { weight: 1, arbitrary: fc.constantFrom('ab', 'abc', 'a'.repeat(237), 'a'.repeat(238), 'a'.repeat(255)) },
  ),
  stream: fc.oneof(
    {
      weight: 10,
      arbitrary: fc.constantFrom<StreamChoice>('encrypted-stream', 'aws-cdk-stream', 'imported', 'imported-with-key'),
    },
    { weight: 1, arbitrary: fc.constantFrom<StreamChoice>('missing', 'not-a-stream') },
  ),
  removalPolicy: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    {
      weight: 6,
      arbitrary: fc.constantFrom(RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE),
    },
    { weight: 1, arbitrary: enumOrForeign(Object.values(RemovalPolicy), ['retain']) },
  ),
  alarmTopic: fc.boolean(),
  grantees: fc.array(
    fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom<GranteeKind>('role', 'imported-role', 'user', 'group') },
      { weight: 1, arbitrary: fc.constantFrom<GranteeKind>('service', 'account', 'string') },
    ),
    { maxLength: 3 },
  ),
  second: fc.option(
    fc.oneof(
      fc.constant('same'),
      fc.constantFrom(...SUFFIXES.map((s) => `suffix${s}`)),
      validName.map((n) => `other-${n}`),
    ),
    { nil: undefined, freq: 4 },
  ),
});

type Expected =
  { readonly kind: 'built' } | { readonly kind: 'error'; readonly path: string; readonly props: string[] };

function secondName(c: Case): string | undefined {
  if (c.second === undefined) {
    return undefined;
  }
  if (c.second === 'same') {
    return c.applicationName;
  }
  if (c.second.startsWith('suffix')) {
    return `${c.applicationName}${c.second.slice('suffix'.length)}`;
  }
  return c.second;
}

function expected(c: Case): Expected {
  const invalid: string[] = [];
  const name = c.applicationName;
  if (!Token.isUnresolved(name) && !/^[A-Za-z0-9_.-]{3,237}$/.test(name)) {
    invalid.push('applicationName');
  }
  if (c.stream === 'missing' || c.stream === 'not-a-stream') {
    invalid.push('stream');
  }
  const removal: string[] = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];
  if (c.removalPolicy !== undefined && !removal.includes(c.removalPolicy)) {
    invalid.push('removalPolicy');
  }
  if (invalid.length > 0) {
    return { kind: 'error', path: 'Stack/K', props: invalid };
  }
  const bad = c.grantees.find((g) => g === 'service' || g === 'account' || g === 'string');
  if (bad) {
    return { kind: 'error', path: 'Stack/K', props: ['grantWorker grantee'] };
  }
  const second = secondName(c);
  if (second !== undefined) {
    if (Token.isUnresolved(name) && second === name) {
      // The same deploy-time value given twice is the same table name.
      return { kind: 'error', path: 'Stack/K2', props: ['applicationName'] };
    }
    const taken = Token.isUnresolved(name) ? [] : [name, ...SUFFIXES.map((s) => `${name}${s}`)];
    const wanted = Token.isUnresolved(second) ? [] : [second, ...SUFFIXES.map((s) => `${second}${s}`)];
    if (!/^[A-Za-z0-9_.-]{3,237}$/.test(second) && !Token.isUnresolved(second)) {
      return { kind: 'error', path: 'Stack/K2', props: ['applicationName'] };
    }
    if (wanted.some((n) => taken.includes(n))) {
      return { kind: 'error', path: 'Stack/K2', props: ['applicationName'] };
    }
  }
  return { kind: 'built' };
}

function grantee(stack: Stack, id: string, kind: GranteeKind): any {
  switch (kind) {
    case 'role':
      return new iam.Role(stack, id, { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    case 'imported-role':
      return iam.Role.fromRoleName(stack, id, `workers-${id}`);
    case 'user':
      return new iam.User(stack, id);
    case 'group':
      return new iam.Group(stack, id);
    case 'service':
      return new iam.ServicePrincipal('ecs-tasks.amazonaws.com');
    case 'account':
      return new iam.AccountPrincipal('999999999999');
    case 'string':
      return 'arn:aws:iam::123456789012:role/workers';
  }
}

function streamFor(stack: Stack, id: string, choice: StreamChoice): any {
  switch (choice) {
    case 'encrypted-stream':
      return new EncryptedStream(stack, id);
    case 'aws-cdk-stream':
      return new kinesis.Stream(stack, id, { encryption: kinesis.StreamEncryption.MANAGED });
    case 'imported':
      return kinesis.Stream.fromStreamArn(stack, id, STREAM_ARN);
    case 'imported-with-key':
      return kinesis.Stream.fromStreamAttributes(stack, id, {
        streamArn: STREAM_ARN,
        encryptionKey: kms.Key.fromKeyArn(stack, `${id}Key`, KEY_ARN),
      });
    case 'missing':
      return undefined;
    case 'not-a-stream':
      return STREAM_ARN;
  }
}

function build(c: Case) {
  const stack = new Stack(strictApp(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const props = {
    applicationName: c.applicationName,
    stream: streamFor(stack, 'Positions', c.stream),
    removalPolicy: c.removalPolicy,
    alarmTopic: c.alarmTopic ? new sns.Topic(stack, 'Pager', { enforceSSL: true }) : undefined,
  } as unknown as KclApplicationProps;
  const kcl = new KclApplication(stack, 'K', props);
  c.grantees.forEach((kind, i) => kcl.grantWorker(grantee(stack, `Worker${i}`, kind)));
  const second = secondName(c);
  if (second !== undefined) {
    new KclApplication(stack, 'K2', { applicationName: second, stream: new EncryptedStream(stack, 'Other') });
  }
  return { stack, kcl };
}

function expectAsked(c: Case, built: ReturnType<typeof build>, template: any): void {
  const table = template.Resources[logicalId(built.kcl.leaseTable)];
  const name = Token.isUnresolved(c.applicationName) ? 'deploy-time-name' : c.applicationName;
  expect(table.Properties.TableName).toBe(name);
  const deletion: Record<string, string> = {
    retain: 'Retain',
    destroy: 'Delete',
    'retain-on-update-or-delete': 'RetainExceptOnCreate',
  };
  expect(table.DeletionPolicy).toBe(deletion[c.removalPolicy ?? 'retain']);
  expect(table.Properties.DeletionProtectionEnabled).toBe(c.removalPolicy !== RemovalPolicy.DESTROY);

  const policy = template.Resources[logicalId(built.kcl.workerPolicy)];
  const statements: any[] = policy.Properties.PolicyDocument.Statement;
  const actionsOn = (match: (resource: string) => boolean) =>
    statements
      .filter((s) => [s.Resource].flat().some((r: unknown) => match(JSON.stringify(r))))
      .flatMap((s) => [s.Action].flat());
  // What the Kinesis developer guide lists for a KCL worker, on the ARNs it names.
  expect(actionsOn((r) => r.endsWith('/consumer/*"]]}') || r.endsWith('/consumer/*"'))).toEqual([
    'kinesis:SubscribeToShard',
    'kinesis:DescribeStreamConsumer',
  ]);
  expect(actionsOn((r) => r.includes('/index/*'))).toEqual(['dynamodb:Query']);
  for (const suffix of SUFFIXES) {
    expect(actionsOn((r) => r.includes(`${name}${suffix}`))).toEqual(
      expect.arrayContaining(['dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:PutItem']),
    );
  }
  const streamActions = statements.find((s) => [s.Action].flat().includes('kinesis:RegisterStreamConsumer'));
  expect(streamActions.Action).toEqual(
    expect.arrayContaining(['kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:ListShards']),
  );
  const decrypt = statements.find((s) => s.Action === 'kms:Decrypt');
  if (c.stream === 'imported-with-key') {
    expect(decrypt.Resource).toBe(KEY_ARN);
  } else if (c.stream === 'encrypted-stream') {
    expect(decrypt).toBeDefined();
  } else {
    expect(decrypt).toBeUndefined();
  }
  const roles = c.grantees.filter((g) => g === 'role' || g === 'imported-role').length;
  expect([policy.Properties.Roles ?? []].flat()).toHaveLength(roles);
}

test('KclApplication: generated props and grantWorker calls end in a library error or a clean, faithful template', async () => {
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
          throw new Error(`accepted a case that must be refused (${want.path}: ${want.props.join(', ')})`);
        }
        expectAsked(c, outcome.value.built, outcome.value.template);
        batch.add(outcome.value.template, 'kcl-application');
        counts.built++;
      } catch (error) {
        if (!COUNT_FAILURES) {
          throw error;
        }
        failures.push(`${(error as Error).message.split('\n')[0].slice(0, 300)} :: ${JSON.stringify(c).slice(0, 300)}`);
      }
    }),
    propertyParameters(120),
  );
  if (COUNT_FAILURES) {
    // eslint-disable-next-line no-console
    console.log(`kcl-application: ${failures.length} failing cases\n${failures.slice(0, 60).join('\n')}`);
  }
  reportCases('KclApplication', counts);
  await batch.expectCfnLintClean();
}, 300_000);
