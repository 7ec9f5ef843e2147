import { Duration, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as fc from 'fast-check';
import { logicalId, strictApp } from '../harness/app';
import {
  attempt,
  enumOrForeign,
  expectLibraryError,
  numberAround,
  numberToken,
  propertyParameters,
  reportCases,
  stringToken,
  TemplateBatch,
} from '../harness/properties';
import { EncryptedStream, EncryptedStreamEncryption } from '../src/encrypted-stream';
import { StreamToS3, StreamToS3Compression, StreamToS3Props } from '../src/stream-to-s3';

// Props of a StreamToS3 generated inside, at and beyond every limit: buffering (0..900 s, 1..128 MiB, in
// every unit, non-finite, tokens), compression (and strings that bypass the enum), prefixes (expressions
// Firehose accepts and refuses, lengths around 512 and 1,024, tokens), log retention (and numbers that are
// not RetentionDays), streams and buckets created, given and imported. Each case ends in a library error
// naming the prop, or in a template the strict validator and cfn-lint accept and that holds what was asked.
// `PROPERTY_COUNT_FAILURES=1` counts the failing cases instead of stopping at the first.

const COUNT_FAILURES = process.env.PROPERTY_COUNT_FAILURES === '1';
const MIB = 1024 * 1024;

type StreamChoice =
  'created' | 'encrypted-stream' | 'aws-managed-stream' | 'imported' | 'imported-with-key' | 'not-a-stream';
type BucketChoice = 'created' | 'given' | 'by-name' | 'by-token-name' | 'with-key' | 'not-a-bucket';

interface IntervalSpec {
  readonly unit: 'seconds' | 'minutes' | 'millis';
  readonly amount: number;
}
interface SizeSpec {
  readonly unit: 'mebibytes' | 'kibibytes' | 'bytes' | 'gibibytes';
  readonly amount: number;
}

interface Case {
  readonly stream: StreamChoice;
  readonly bucket: BucketChoice;
  readonly interval?: IntervalSpec;
  readonly size?: SizeSpec;
  readonly compression?: string;
  readonly dataPrefix?: string;
  readonly errorPrefix?: string;
  readonly logRetention?: unknown;
  readonly alarmTopic: boolean;
  readonly removalPolicy?: string;
}

const UNIT_MILLIS = { seconds: 1000, minutes: 60_000, millis: 1 };
const UNIT_BYTES = { bytes: 1, kibibytes: 1024, mebibytes: MIB, gibibytes: 1024 * MIB };

function mostly<T>(valid: fc.Arbitrary<T>, edges: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 10, arbitrary: valid },
    { weight: 1, arbitrary: edges },
  );
}

/** Timestamp patterns with whether Java's DateTimeFormatter takes them. */
const TIMESTAMPS: Array<[string, boolean]> = [
  ['yyyy', true],
  ['yyyy-MM-dd', true],
  ['HH', true],
  ["'y='yyyy", true],
  ['', false],
  ['bbb', false],
  ["'unclosed", false],
];

const expression = fc.oneof(
  fc.constantFrom(...TIMESTAMPS.map(([pattern]) => `!{timestamp:${pattern}}`)),
  fc.constantFrom('!{firehose:random-string}', '!{firehose:error-output-type}'),
  fc.constantFrom('!{partitionKeyFromQuery:truck}', '!{firehose:unknown}', '!{timestamp:yyyy', '!{'),
);
const segment = fc.string({ unit: fc.constantFrom(...'abz09-_=.'.split('')), minLength: 1, maxLength: 8 });
const validExpression = fc.constantFrom(
  '!{timestamp:yyyy}',
  '!{timestamp:yyyy-MM-dd}',
  "!{timestamp:'y='yyyy}",
  '!{firehose:random-string}',
);
const validParts = fc
  .array(
    fc.oneof(
      segment.map((x) => `${x}/`),
      validExpression,
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.join(''));
const prefixArbitrary: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: validParts },
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.oneof(
          segment.map((s) => `${s}/`),
          expression,
        ),
        { minLength: 1, maxLength: 5 },
      )
      .map((parts) => parts.join('')),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'a'.repeat(497) + '/',
      'a'.repeat(498) + '/',
      'a'.repeat(511) + '/',
      'a'.repeat(1024),
      'a'.repeat(1025),
      `${'a'.repeat(500)}/!{timestamp:yyyy}/`,
      '/leading/',
      'data/',
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).map(() => stringToken('archive/!{timestamp:yyyy}/')) },
);
const errorPrefixArbitrary: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: prefixArbitrary },
  { weight: 8, arbitrary: validParts.map((parts) => `failed/!{firehose:error-output-type}/${parts}`) },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.oneof(
          segment.map((x) => `${x}/`),
          expression,
        ),
        { maxLength: 3 },
      )
      .map((parts) => `failed/!{firehose:error-output-type}/${parts.join('')}`),
  },
);

const retentionValues = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  stream: fc.oneof(
    {
      weight: 12,
      arbitrary: fc.constantFrom<StreamChoice>(
        'created',
        'encrypted-stream',
        'aws-managed-stream',
        'imported',
        'imported-with-key',
      ),
    },
    { weight: 1, arbitrary: fc.constant<StreamChoice>('not-a-stream') },
  ),
  bucket: fc.oneof(
    {
      weight: 12,
      arbitrary: fc.constantFrom<BucketChoice>('created', 'given', 'by-name', 'by-token-name', 'with-key'),
    },
    { weight: 1, arbitrary: fc.constant<BucketChoice>('not-a-bucket') },
  ),
  interval: mostly(
    fc.oneof(
      fc.integer({ min: 0, max: 900 }).map((amount): IntervalSpec => ({ unit: 'seconds', amount })),
      fc.integer({ min: 0, max: 15 }).map((amount): IntervalSpec => ({ unit: 'minutes', amount })),
      fc.constant(0).map((): IntervalSpec => ({ unit: 'seconds', amount: numberToken(120) })),
    ),
    fc.oneof(
      ...(['seconds', 'minutes', 'millis'] as const).map((unit) =>
        numberAround([0, 900_000 / UNIT_MILLIS[unit]])
          .filter((n) => Token.isUnresolved(n) || !(n < 0))
          .map((amount): IntervalSpec => ({ unit, amount: Token.isUnresolved(amount) ? numberToken(120) : amount })),
      ),
    ),
  ),
  size: mostly(
    fc.oneof(
      fc.integer({ min: 1, max: 128 }).map((amount): SizeSpec => ({ unit: 'mebibytes', amount })),
      fc.constant(0).map((): SizeSpec => ({ unit: 'mebibytes', amount: numberToken(64) })),
    ),
    fc.oneof(
      fc.constantFrom(1 / 1024, 0.125, 0.126, 0.5, NaN).map((amount): SizeSpec => ({ unit: 'gibibytes', amount })),
      ...(['mebibytes', 'kibibytes', 'bytes'] as const).map((unit) =>
        numberAround([MIB / UNIT_BYTES[unit], (128 * MIB) / UNIT_BYTES[unit]])
          .filter((n) => Token.isUnresolved(n) || !(n < 0))
          .map((amount): SizeSpec => ({ unit, amount: Token.isUnresolved(amount) ? numberToken(64) : amount })),
      ),
    ),
  ),
  compression: mostly(
    fc.constantFrom(...Object.values(StreamToS3Compression)),
    enumOrForeign(Object.values(StreamToS3Compression), ['Gzip', 'SNAPPY', 'snappy', 'ZSTD']),
  ),
  dataPrefix: fc.option(prefixArbitrary, { nil: undefined }),
  errorPrefix: fc.option(errorPrefixArbitrary, { nil: undefined }),
  logRetention: mostly(
    fc.constantFrom<unknown>(...retentionValues),
    fc.constantFrom<unknown>(2, 0, -1, NaN, '365', 366),
  ),
  alarmTopic: fc.boolean(),
  removalPolicy: mostly(
    fc.constantFrom(RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE),
    enumOrForeign(Object.values(RemovalPolicy), ['retain']),
  ),
});

type Expected = { readonly kind: 'built' } | { readonly kind: 'error'; readonly props: string[] };

const ERROR_OUTPUT_TYPE = '!{firehose:error-output-type}';

/** Firehose's prefix rules, written out independently of the construct. */
function prefixProblem(prefix: string, isError: boolean): boolean {
  if (prefix.length > 1024 || prefix.startsWith('/')) {
    return true;
  }
  let minimum = prefix.length;
  let hasTimestamp = false;
  let rest = prefix;
  for (;;) {
    const start = rest.indexOf('!{');
    if (start === -1) {
      break;
    }
    const end = rest.indexOf('}', start);
    if (end === -1) {
      return true;
    }
    const text = rest.slice(start, end + 1);
    minimum -= text.length;
    const timestamp = TIMESTAMPS.find(([pattern]) => text === `!{timestamp:${pattern}}`);
    if (timestamp) {
      if (!timestamp[1]) {
        return true;
      }
      hasTimestamp = true;
    } else if (text === '!{firehose:random-string}') {
      minimum += 11;
    } else if (isError && text === ERROR_OUTPUT_TYPE) {
      minimum += 13;
    } else {
      return true;
    }
    rest = rest.slice(end + 1);
  }
  if (isError && prefix.includes('!{') && !prefix.includes(ERROR_OUTPUT_TYPE)) {
    return true;
  }
  if (!isError && !hasTimestamp) {
    minimum += 14;
  }
  return minimum > 512;
}

function expected(c: Case): Expected {
  const invalid: string[] = [];
  if (c.stream === 'not-a-stream') {
    invalid.push('stream');
  }
  if (c.bucket === 'not-a-bucket') {
    invalid.push('bucket');
  }
  if (c.interval) {
    if (Token.isUnresolved(c.interval.amount)) {
      if (c.interval.unit !== 'seconds') {
        invalid.push('bufferingInterval');
      }
    } else {
      const millis = c.interval.amount * UNIT_MILLIS[c.interval.unit];
      if (!(Number.isFinite(millis) && millis % 1000 === 0 && millis >= 0 && millis <= 900_000)) {
        invalid.push('bufferingInterval');
      }
    }
  }
  if (c.size) {
    if (Token.isUnresolved(c.size.amount)) {
      if (c.size.unit !== 'mebibytes') {
        invalid.push('bufferingSize');
      }
    } else {
      const mib = (c.size.amount * UNIT_BYTES[c.size.unit]) / MIB;
      if (!(Number.isInteger(mib) && mib >= 1 && mib <= 128)) {
        invalid.push('bufferingSize');
      }
    }
  }
  const compressions: string[] = Object.values(StreamToS3Compression);
  if (c.compression !== undefined && !compressions.includes(c.compression)) {
    invalid.push('compression');
  }
  if (c.logRetention !== undefined && !retentionValues.includes(c.logRetention as number)) {
    invalid.push('logRetention');
  }
  const removal: string[] = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];
  if (c.removalPolicy !== undefined && !removal.includes(c.removalPolicy)) {
    invalid.push('removalPolicy');
  }
  const dataLiteral = c.dataPrefix !== undefined && !Token.isUnresolved(c.dataPrefix);
  const errorLiteral = c.errorPrefix !== undefined && !Token.isUnresolved(c.errorPrefix);
  if (dataLiteral && prefixProblem(c.dataPrefix!, false)) {
    invalid.push('dataOutputPrefix');
  }
  if (errorLiteral && prefixProblem(c.errorPrefix!, true)) {
    invalid.push('errorOutputPrefix');
  }
  const data = c.dataPrefix ?? 'data/!{timestamp:yyyy}';
  const error = c.errorPrefix ?? ERROR_OUTPUT_TYPE;
  if (
    !Token.isUnresolved(data) &&
    !Token.isUnresolved(error) &&
    data.includes('!{') &&
    !error.includes(ERROR_OUTPUT_TYPE)
  ) {
    invalid.push('errorOutputPrefix');
  }
  return invalid.length > 0 ? { kind: 'error', props: invalid } : { kind: 'built' };
}

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';

function build(c: Case) {
  const stack = new Stack(strictApp(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const streams: Record<StreamChoice, () => unknown> = {
    created: () => undefined,
    'encrypted-stream': () => new EncryptedStream(stack, 'Positions', { shardCount: 2 }),
    'aws-managed-stream': () =>
      new EncryptedStream(stack, 'Positions', { encryption: EncryptedStreamEncryption.AWS_MANAGED }),
    imported: () =>
      kinesis.Stream.fromStreamArn(stack, 'Imported', 'arn:aws:kinesis:us-east-1:123456789012:stream/positions'),
    'imported-with-key': () =>
      kinesis.Stream.fromStreamAttributes(stack, 'Imported', {
        streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/positions',
        encryptionKey: kms.Key.fromKeyArn(stack, 'ImportedKey', KEY_ARN),
      }),
    'not-a-stream': () => 'arn:aws:kinesis:us-east-1:123456789012:stream/positions',
  };
  const buckets: Record<BucketChoice, () => unknown> = {
    created: () => undefined,
    given: () =>
      new s3.Bucket(stack, 'Lake', {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: new kms.Key(stack, 'LakeKey', { enableKeyRotation: true }),
        enforceSSL: true,
      }),
    'by-name': () => s3.Bucket.fromBucketName(stack, 'Lake', 'telemetry-lake'),
    'by-token-name': () => s3.Bucket.fromBucketName(stack, 'Lake', stringToken('deployed-lake')),
    'with-key': () =>
      s3.Bucket.fromBucketAttributes(stack, 'Lake', {
        bucketArn: 'arn:aws:s3:::telemetry-lake',
        encryptionKey: kms.Key.fromKeyArn(stack, 'LakeKey', KEY_ARN),
      }),
    'not-a-bucket': () => 'telemetry-lake',
  };
  const props = {
    stream: streams[c.stream](),
    bucket: buckets[c.bucket](),
    bufferingInterval: c.interval && Duration[c.interval.unit](c.interval.amount),
    bufferingSize: c.size && Size[c.size.unit](c.size.amount),
    compression: c.compression,
    dataOutputPrefix: c.dataPrefix,
    errorOutputPrefix: c.errorPrefix,
    logRetention: c.logRetention,
    alarmTopic: c.alarmTopic ? new sns.Topic(stack, 'Pager', { enforceSSL: true }) : undefined,
    removalPolicy: c.removalPolicy,
  } as unknown as StreamToS3Props;
  const delivery = new StreamToS3(stack, 'D', props);
  return { stack, delivery };
}

function resolvedPrefix(value: string): string {
  return Token.isUnresolved(value) ? 'archive/!{timestamp:yyyy}/' : value;
}

function expectAsked(c: Case, built: ReturnType<typeof build>, template: any): void {
  const resource = template.Resources[logicalId(built.delivery)];
  const destination = resource.Properties.ExtendedS3DestinationConfiguration;
  const interval = c.interval
    ? Token.isUnresolved(c.interval.amount)
      ? 120
      : (c.interval.amount * UNIT_MILLIS[c.interval.unit]) / 1000
    : 300;
  const size = c.size ? (Token.isUnresolved(c.size.amount) ? 64 : (c.size.amount * UNIT_BYTES[c.size.unit]) / MIB) : 5;
  expect(destination.BufferingHints).toEqual({ IntervalInSeconds: interval, SizeInMBs: size });
  expect(destination.CompressionFormat).toBe(c.compression ?? 'GZIP');
  if (c.dataPrefix !== undefined) {
    expect(destination.Prefix).toBe(resolvedPrefix(c.dataPrefix));
  }
  if (c.errorPrefix !== undefined) {
    expect(destination.ErrorOutputPrefix).toBe(resolvedPrefix(c.errorPrefix));
  }
  const logGroups = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::Logs::LogGroup') as any[];
  const days = (c.logRetention as number | undefined) ?? logs.RetentionDays.ONE_YEAR;
  expect(logGroups[0].Properties.RetentionInDays).toBe(days === logs.RetentionDays.INFINITE ? undefined : days);
  const source = resource.Properties.KinesisStreamSourceConfiguration.KinesisStreamARN;
  if (c.stream.startsWith('imported')) {
    expect(source).toBe('arn:aws:kinesis:us-east-1:123456789012:stream/positions');
  } else {
    expect(source).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
  }
  const keyArn = destination.EncryptionConfiguration?.KMSEncryptionConfig?.AWSKMSKeyARN;
  if (c.bucket === 'with-key') {
    expect(keyArn).toBe(KEY_ARN);
  } else if (c.bucket === 'by-name' || c.bucket === 'by-token-name') {
    expect(keyArn).toBeUndefined();
  } else {
    expect(keyArn).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
  }
  // Server access logs through the log bucket's policy, never the legacy ACL (cfn-lint W3045).
  for (const bucket of Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::S3::Bucket') as any[]) {
    expect(bucket.Properties.AccessControl).toBeUndefined();
  }
  const deletion: Record<string, string> = {
    retain: 'Retain',
    destroy: 'Delete',
    'retain-on-update-or-delete': 'RetainExceptOnCreate',
  };
  expect(logGroups[0].DeletionPolicy).toBe(deletion[c.removalPolicy ?? 'retain']);
}

test('StreamToS3: generated props end in a library error or a clean, faithful template', async () => {
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
          expectLibraryError(outcome.error, ['Stack/D'], want.props);
          counts.errors++;
          return;
        }
        if (want.kind === 'error') {
          throw new Error(`accepted a case that must be refused (${want.props.join(', ')})`);
        }
        expectAsked(c, outcome.value.built, outcome.value.template);
        batch.add(outcome.value.template, 'stream-to-s3');
        counts.built++;
      } catch (error) {
        if (!COUNT_FAILURES) {
          throw error;
        }
        failures.push(`${(error as Error).message.split('\n')[0].slice(0, 300)} :: ${describeCase(c)}`);
      }
    }),
    propertyParameters(120),
  );
  if (COUNT_FAILURES) {
    // eslint-disable-next-line no-console
    console.log(`stream-to-s3: ${failures.length} failing cases\n${failures.slice(0, 60).join('\n')}`);
  }
  reportCases('StreamToS3', counts);
  await batch.expectCfnLintClean();
}, 300_000);

function describeCase(c: Case): string {
  return JSON.stringify(c, (_key, value) => {
    if (typeof value === 'number' && (!Number.isFinite(value) || Token.isUnresolved(value))) {
      return Token.isUnresolved(value) ? 'TOKEN' : String(value);
    }
    if (typeof value === 'string' && Token.isUnresolved(value)) {
      return 'TOKEN';
    }
    if (typeof value === 'string' && value.length > 60) {
      return `${value.slice(0, 20)}…(${value.length})`;
    }
    return value;
  });
}
