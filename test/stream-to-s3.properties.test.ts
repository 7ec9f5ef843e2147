import { Duration, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as fc from 'fast-check';
import { userFunction } from './queue-processing-function.fixtures';
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
import {
  StreamToS3,
  StreamToS3Compression,
  StreamToS3Props,
  StreamToS3Schema,
  StreamToS3Source,
} from '../src/stream-to-s3';

// Props of a StreamToS3 generated inside, at and beyond every limit: buffering (0..900 s, 1..128 MiB, in
// every unit, non-finite, tokens), compression (and strings that bypass the enum), prefixes (expressions
// Firehose accepts and refuses, lengths around 512 and 1,024, tokens), log retention (and numbers that are
// not RetentionDays), streams and buckets created, given and imported; the source (and strings that are not a
// StreamToS3Source), the delivery stream's encryption, a processor and its buffering (0..900 s, 0.2..3 MiB),
// dynamic partitioning keys and retry duration (0..7,200 s), Parquet and ORC conversion with compressions
// Firehose knows and does not, input formats and schemas valid and not. Each case ends in a library error
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

type EncryptionChoice = 'cmk' | 'cmk-given' | 'aws-owned' | 'unencrypted' | 'not-an-encryption';
type ProcessorChoice = 'none' | 'function' | 'long-timeout' | 'imported' | 'not-a-function';
type PartitionChoice = 'none' | 'one' | 'two' | 'token-query' | 'empty' | 'bad-name' | 'blank-query' | 'huge';
type FormatChoice =
  'none' | 'parquet' | 'orc' | 'parquet-gzip' | 'orc-zlib' | 'parquet-zstd' | 'orc-gzip' | 'not-a-format';
type InputChoice = 'none' | 'openx' | 'hive' | 'not-an-input';
type SchemaChoice = 'none' | 'columns' | 'columns-named' | 'table' | 'uppercase-column' | 'bad-type' | 'spaced-table';

interface Case {
  readonly source?: string;
  readonly encryption?: EncryptionChoice;
  readonly processor: ProcessorChoice;
  readonly processorInterval?: IntervalSpec;
  readonly processorSize?: SizeSpec;
  readonly partitionKeys: PartitionChoice;
  readonly retry?: IntervalSpec;
  readonly format: FormatChoice;
  readonly input: InputChoice;
  readonly schema: SchemaChoice;
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
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:enrich';
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
  fc.constantFrom(
    '!{partitionKeyFromQuery:fleet}',
    '!{partitionKeyFromQuery:driver}',
    '!{partitionKeyFromLambda:customer}',
    '!{partitionKeyFromLambda:}',
  ),
);
const segment = fc.string({ unit: fc.constantFrom(...'abz09-_=.'.split('')), minLength: 1, maxLength: 8 });
const validExpression = fc.constantFrom(
  '!{timestamp:yyyy}',
  '!{timestamp:yyyy-MM-dd}',
  "!{timestamp:'y='yyyy}",
  '!{firehose:random-string}',
);
/** Prefixes that use the partition keys the generator's `one` and `two` choices define, and Lambda keys. */
const partitionedPrefix = fc.constantFrom(
  'by-truck/truck=!{partitionKeyFromQuery:truck}/',
  'fleet=!{partitionKeyFromQuery:fleet}/truck=!{partitionKeyFromQuery:truck}/!{timestamp:yyyy}/',
  'customer=!{partitionKeyFromLambda:customer}/!{timestamp:yyyy-MM-dd}/',
  'mixed/!{partitionKeyFromQuery:truck}/!{partitionKeyFromLambda:customer}/',
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
  { weight: 4, arbitrary: partitionedPrefix },
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

const intervalArbitrary = (maxSeconds: number) =>
  mostly(
    fc.oneof(
      fc.integer({ min: 0, max: maxSeconds }).map((amount): IntervalSpec => ({ unit: 'seconds', amount })),
      fc.integer({ min: 0, max: maxSeconds / 60 }).map((amount): IntervalSpec => ({ unit: 'minutes', amount })),
      fc.constant(0).map((): IntervalSpec => ({ unit: 'seconds', amount: numberToken(60) })),
    ),
    fc.oneof(
      ...(['seconds', 'minutes', 'millis'] as const).map((unit) =>
        numberAround([0, 60 / (UNIT_MILLIS[unit] / 1000), (maxSeconds * 1000) / UNIT_MILLIS[unit]])
          .filter((n) => Token.isUnresolved(n) || !(n < 0))
          .map((amount): IntervalSpec => ({ unit, amount: Token.isUnresolved(amount) ? numberToken(60) : amount })),
      ),
    ),
  );

const processorSizeArbitrary = mostly(
  fc.oneof(
    fc.constantFrom(0.2, 0.25, 0.5, 1, 2.5, 3).map((amount): SizeSpec => ({ unit: 'mebibytes', amount })),
    fc.integer({ min: 205, max: 3072 }).map((amount): SizeSpec => ({ unit: 'kibibytes', amount })),
    fc.constant(0).map((): SizeSpec => ({ unit: 'mebibytes', amount: numberToken(2) })),
  ),
  fc.oneof(
    ...(['mebibytes', 'kibibytes', 'bytes'] as const).map((unit) =>
      numberAround([(0.2 * MIB) / UNIT_BYTES[unit], (3 * MIB) / UNIT_BYTES[unit]])
        .filter((n) => Token.isUnresolved(n) || !(n < 0))
        .map((amount): SizeSpec => ({ unit, amount: Token.isUnresolved(amount) ? numberToken(2) : amount })),
    ),
  ),
);

const choice = <T>(entries: Array<[T, number]>): fc.Arbitrary<T> =>
  fc.oneof(...entries.map(([value, weight]) => ({ weight, arbitrary: fc.constant(value) })));

/** Mostly absent: a prop that only makes sense with another one, set now and then without it. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arbitrary });

const sizeArbitrary = (minMiB: number) =>
  mostly(
    fc.oneof(
      fc.integer({ min: minMiB, max: 128 }).map((amount): SizeSpec => ({ unit: 'mebibytes', amount })),
      fc.constant(0).map((): SizeSpec => ({ unit: 'mebibytes', amount: numberToken(64) })),
    ),
    fc.oneof(
      fc
        .constantFrom(1 / 1024, 0.0625, 0.125, 0.126, 0.5, NaN)
        .map((amount): SizeSpec => ({ unit: 'gibibytes', amount })),
      ...(['mebibytes', 'kibibytes', 'bytes'] as const).map((unit) =>
        numberAround([MIB / UNIT_BYTES[unit], (64 * MIB) / UNIT_BYTES[unit], (128 * MIB) / UNIT_BYTES[unit]])
          .filter((n) => Token.isUnresolved(n) || !(n < 0))
          .map((amount): SizeSpec => ({ unit, amount: Token.isUnresolved(amount) ? numberToken(64) : amount })),
      ),
    ),
  );

/** Data prefixes that use exactly the keys of a partition choice (and Lambda keys when a processor runs). */
function partitionedPrefixFor(keys: string[] | undefined, processor: boolean): fc.Arbitrary<string> {
  const query = (keys ?? []).map((key) => `${key}=!{partitionKeyFromQuery:${key}}/`).join('');
  const options = [`positions/${query}!{timestamp:yyyy-MM-dd}/`, `${query}!{firehose:random-string}/`];
  if (processor) {
    options.push(`positions/${query}customer=!{partitionKeyFromLambda:customer}/`);
  }
  return fc.constantFrom(...options.filter((o) => o.includes('!{partitionKey')));
}

const baseArbitrary = fc.record({
  source: mostly(
    fc.constantFrom<string>(...Object.values(StreamToS3Source), StreamToS3Source.DIRECT_PUT),
    enumOrForeign(Object.values(StreamToS3Source), ['DIRECT_PUT', 'KINESIS_STREAM', 'directput']),
  ),
  processor: choice<ProcessorChoice>([
    ['none', 16],
    ['function', 4],
    ['long-timeout', 2],
    ['imported', 6],
    ['not-a-function', 1],
  ]),
  partitionKeys: choice<PartitionChoice>([
    ['none', 48],
    ['one', 16],
    ['two', 8],
    ['token-query', 4],
    ['empty', 1],
    ['bad-name', 1],
    ['blank-query', 1],
    ['huge', 1],
  ]),
  format: choice<FormatChoice>([
    ['none', 40],
    ['parquet', 12],
    ['orc', 8],
    ['parquet-gzip', 4],
    ['orc-zlib', 4],
    ['parquet-zstd', 1],
    ['orc-gzip', 1],
    ['not-a-format', 1],
  ]),
  streamChoice: fc.oneof(
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
  compression: mostly(
    fc.constantFrom(...Object.values(StreamToS3Compression)),
    enumOrForeign(Object.values(StreamToS3Compression), ['Gzip', 'SNAPPY', 'snappy', 'ZSTD']),
  ),
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

const caseArbitrary: fc.Arbitrary<Case> = baseArbitrary.chain((base) => {
  const directPut = base.source === StreamToS3Source.DIRECT_PUT;
  const processor = base.processor !== 'none';
  const queryKeys = QUERY_KEYS[base.partitionKeys];
  const conversion = base.format !== 'none';
  return fc
    .record({
      // With direct PUT the construct owns no stream: a stream given is refused, now and then.
      stream: directPut
        ? fc.oneof(
            { weight: 10, arbitrary: fc.constant<StreamChoice>('created') },
            { weight: 1, arbitrary: fc.constant(base.streamChoice) },
          )
        : fc.constant(base.streamChoice),
      encryption: directPut
        ? fc.option(
            choice<EncryptionChoice>([
              ['cmk', 6],
              ['cmk-given', 4],
              ['aws-owned', 4],
              ['unencrypted', 1],
              ['not-an-encryption', 1],
            ]),
            { nil: undefined, freq: 3 },
          )
        : rarely(
            choice<EncryptionChoice>([
              ['unencrypted', 2],
              ['aws-owned', 1],
              ['cmk', 1],
              ['not-an-encryption', 1],
            ]),
          ),
      processorInterval: processor
        ? fc.option(intervalArbitrary(900), { nil: undefined, freq: 2 })
        : rarely(intervalArbitrary(900)),
      processorSize: processor
        ? fc.option(processorSizeArbitrary, { nil: undefined, freq: 2 })
        : rarely(processorSizeArbitrary),
      dataPrefix:
        queryKeys !== undefined
          ? fc.oneof(
              { weight: 4, arbitrary: fc.constant(undefined) },
              { weight: 6, arbitrary: partitionedPrefixFor(queryKeys, processor) },
              { weight: 1, arbitrary: prefixArbitrary },
            )
          : processor
            ? fc.oneof(
                { weight: 6, arbitrary: fc.option(prefixArbitrary, { nil: undefined }) },
                { weight: 2, arbitrary: partitionedPrefixFor(undefined, true) },
              )
            : fc.option(prefixArbitrary, { nil: undefined }),
      input: conversion
        ? choice<InputChoice>([
            ['none', 12],
            ['openx', 3],
            ['hive', 5],
            ['not-an-input', 1],
          ])
        : choice<InputChoice>([
            ['none', 30],
            ['hive', 1],
          ]),
      schema: conversion
        ? choice<SchemaChoice>([
            ['columns', 10],
            ['columns-named', 5],
            ['table', 8],
            ['uppercase-column', 1],
            ['bad-type', 1],
            ['spaced-table', 1],
            ['none', 1],
          ])
        : choice<SchemaChoice>([
            ['none', 30],
            ['columns', 1],
          ]),
    })
    .chain((dependent) => {
      const dynamicPartitioning =
        queryKeys !== undefined ||
        (dependent.dataPrefix !== undefined &&
          !Token.isUnresolved(dependent.dataPrefix) &&
          dependent.dataPrefix.includes('!{partitionKeyFromLambda:'));
      const large = dynamicPartitioning || conversion;
      return fc
        .record({
          retry: dynamicPartitioning
            ? fc.option(intervalArbitrary(7200), { nil: undefined, freq: 2 })
            : rarely(intervalArbitrary(7200)),
          size: sizeArbitrary(large ? 64 : 1),
          compression: conversion
            ? fc.oneof(
                { weight: 10, arbitrary: fc.constant(undefined) },
                { weight: 2, arbitrary: fc.constant(StreamToS3Compression.UNCOMPRESSED) },
                { weight: 1, arbitrary: fc.constantFrom(...Object.values(StreamToS3Compression)) },
              )
            : fc.constant(base.compression),
        })
        .map((last) => {
          const { streamChoice: _, ...rest } = base;
          return { ...rest, ...dependent, ...last } as Case;
        });
    });
});

type Expected = { readonly kind: 'built' } | { readonly kind: 'error'; readonly props: string[] };

const ERROR_OUTPUT_TYPE = '!{firehose:error-output-type}';

/** What a data prefix may refer to: the keys of the inline query, and whether a processor runs. */
interface Partitions {
  readonly queryKeys?: string[];
  readonly processor: boolean;
}

/** Firehose's prefix rules, written out independently of the construct. */
function prefixProblem(prefix: string, isError: boolean, partitions: Partitions = { processor: false }): boolean {
  if (prefix.length > 1024 || prefix.startsWith('/')) {
    return true;
  }
  let minimum = prefix.length;
  let hasTimestamp = false;
  let partitioned = !isError && partitions.queryKeys !== undefined;
  const used = new Set<string>();
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
    const query = /^!\{partitionKeyFromQuery:(.*)\}$/.exec(text)?.[1];
    const fromLambda = /^!\{partitionKeyFromLambda:(.*)\}$/.exec(text)?.[1];
    if (timestamp) {
      if (!timestamp[1]) {
        return true;
      }
      hasTimestamp = true;
    } else if (text === '!{firehose:random-string}') {
      minimum += 11;
    } else if (isError && text === ERROR_OUTPUT_TYPE) {
      minimum += 13;
    } else if (!isError && query !== undefined && partitions.queryKeys?.includes(query)) {
      used.add(query);
    } else if (!isError && fromLambda !== undefined && fromLambda.length > 0 && partitions.processor) {
      partitioned = true;
    } else {
      return true;
    }
    rest = rest.slice(end + 1);
  }
  if (isError && prefix.includes('!{') && !prefix.includes(ERROR_OUTPUT_TYPE)) {
    return true;
  }
  if (!isError && (partitions.queryKeys ?? []).some((key) => !used.has(key))) {
    return true;
  }
  if (!isError && !hasTimestamp && !partitioned) {
    minimum += 14;
  }
  return minimum > 512;
}

/** Whether a Duration spec is outside `min..max` seconds or not whole seconds (a token: written in seconds). */
function durationProblem(spec: IntervalSpec, minSeconds: number, maxSeconds: number): boolean {
  if (Token.isUnresolved(spec.amount)) {
    return spec.unit !== 'seconds';
  }
  const millis = spec.amount * UNIT_MILLIS[spec.unit];
  return !(
    Number.isFinite(millis) &&
    millis % 1000 === 0 &&
    millis >= minSeconds * 1000 &&
    millis <= maxSeconds * 1000
  );
}

const QUERY_KEYS: Partial<Record<PartitionChoice, string[]>> = {
  one: ['truck'],
  two: ['fleet', 'truck'],
  'token-query': ['truck'],
};

function expected(c: Case): Expected {
  const invalid: string[] = [];
  const sources: string[] = Object.values(StreamToS3Source);
  if (c.source !== undefined && !sources.includes(c.source)) {
    invalid.push('source');
  }
  const directPut = c.source === StreamToS3Source.DIRECT_PUT;
  if (c.stream === 'not-a-stream' || (directPut && c.stream !== 'created')) {
    invalid.push('stream');
  }
  if (
    c.encryption === 'not-an-encryption' ||
    (!directPut && c.encryption !== undefined && c.encryption !== 'unencrypted')
  ) {
    invalid.push('deliveryStreamEncryption');
  }
  if (c.bucket === 'not-a-bucket') {
    invalid.push('bucket');
  }
  const processor = c.processor !== 'none';
  if (c.processor === 'not-a-function') {
    invalid.push('processor');
  }
  if (c.processorInterval && (durationProblem(c.processorInterval, 0, 900) || !processor)) {
    invalid.push('processorBufferingInterval');
  }
  if (c.processorSize) {
    let bad: boolean;
    if (Token.isUnresolved(c.processorSize.amount)) {
      bad = c.processorSize.unit !== 'mebibytes';
    } else {
      const mib = (c.processorSize.amount * UNIT_BYTES[c.processorSize.unit]) / MIB;
      bad = !(Number.isFinite(mib) && mib >= 0.2 && mib <= 3);
    }
    if (bad || !processor) {
      invalid.push('processorBufferingSize');
    }
  }
  if (['empty', 'bad-name', 'blank-query', 'huge'].includes(c.partitionKeys)) {
    invalid.push('dynamicPartitionKeys');
  }
  const queryKeys = QUERY_KEYS[c.partitionKeys];
  const dataLiteral = c.dataPrefix !== undefined && !Token.isUnresolved(c.dataPrefix);
  const lambdaKeys = dataLiteral && c.dataPrefix!.includes('!{partitionKeyFromLambda:');
  const dynamicPartitioning = queryKeys !== undefined || lambdaKeys;
  if (c.retry && (durationProblem(c.retry, 0, 7200) || !dynamicPartitioning)) {
    invalid.push('dynamicPartitioningRetryDuration');
  }
  const conversion = ['parquet', 'orc', 'parquet-gzip', 'orc-zlib'].includes(c.format);
  if (c.format === 'not-a-format' || c.format === 'parquet-zstd' || c.format === 'orc-gzip') {
    invalid.push('outputFormat');
  }
  if (c.format !== 'none') {
    if (c.input === 'not-an-input') {
      invalid.push('inputFormat');
    }
    if (c.schema === 'none' || ['uppercase-column', 'bad-type', 'spaced-table'].includes(c.schema)) {
      invalid.push('schema');
    }
  } else {
    if (c.input !== 'none') {
      invalid.push('inputFormat');
    }
    if (c.schema !== 'none') {
      invalid.push('schema');
    }
  }
  if (c.interval) {
    if (durationProblem(c.interval, 0, 900)) {
      invalid.push('bufferingInterval');
    } else if (
      dynamicPartitioning &&
      !Token.isUnresolved(c.interval.amount) &&
      c.interval.amount * UNIT_MILLIS[c.interval.unit] < 60_000
    ) {
      invalid.push('bufferingInterval');
    }
  }
  const minimumSize = dynamicPartitioning || conversion ? 64 : 1;
  if (c.size) {
    if (Token.isUnresolved(c.size.amount)) {
      if (c.size.unit !== 'mebibytes') {
        invalid.push('bufferingSize');
      }
    } else {
      const mib = (c.size.amount * UNIT_BYTES[c.size.unit]) / MIB;
      if (!(Number.isInteger(mib) && mib >= minimumSize && mib <= 128)) {
        invalid.push('bufferingSize');
      }
    }
  }
  const compressions: string[] = Object.values(StreamToS3Compression);
  if (c.compression !== undefined && !compressions.includes(c.compression)) {
    invalid.push('compression');
  }
  if (conversion && c.compression !== undefined && c.compression !== StreamToS3Compression.UNCOMPRESSED) {
    invalid.push('compression');
  }
  if (c.logRetention !== undefined && !retentionValues.includes(c.logRetention as number)) {
    invalid.push('logRetention');
  }
  const removal: string[] = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];
  if (c.removalPolicy !== undefined && !removal.includes(c.removalPolicy)) {
    invalid.push('removalPolicy');
  }
  const errorLiteral = c.errorPrefix !== undefined && !Token.isUnresolved(c.errorPrefix);
  if (dataLiteral && prefixProblem(c.dataPrefix!, false, { queryKeys, processor })) {
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
  const encryptions: Record<EncryptionChoice, () => unknown> = {
    cmk: () => firehose.StreamEncryption.customerManagedKey(),
    'cmk-given': () =>
      firehose.StreamEncryption.customerManagedKey(new kms.Key(stack, 'RecordsKey', { enableKeyRotation: true })),
    'aws-owned': () => firehose.StreamEncryption.awsOwnedKey(),
    unencrypted: () => firehose.StreamEncryption.unencrypted(),
    'not-an-encryption': () => 'AWS_OWNED_CMK',
  };
  const processors: Record<ProcessorChoice, () => unknown> = {
    none: () => undefined,
    function: () => userFunction(stack, 'Enrich'),
    'long-timeout': () => userFunction(stack, 'Enrich', { timeout: Duration.minutes(10) }),
    imported: () => lambda.Function.fromFunctionArn(stack, 'Enrich', FUNCTION_ARN),
    'not-a-function': () => FUNCTION_ARN,
  };
  const partitionKeys: Record<PartitionChoice, () => unknown> = {
    none: () => undefined,
    one: () => ({ truck: '.truckId' }),
    two: () => ({ fleet: '.fleet', truck: '.truck.id' }),
    'token-query': () => ({ truck: stringToken('.truckId') }),
    empty: () => ({}),
    'bad-name': () => ({ 'truck id': '.truckId' }),
    'blank-query': () => ({ truck: '' }),
    huge: () => ({ truck: `.${'a'.repeat(5200)}` }),
  };
  const formats: Record<FormatChoice, () => unknown> = {
    none: () => undefined,
    parquet: () => firehose.OutputFormat.PARQUET,
    orc: () => firehose.OutputFormat.ORC,
    'parquet-gzip': () => new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.GZIP }),
    'orc-zlib': () => new firehose.OrcOutputFormat({ compression: firehose.OrcCompression.ZLIB }),
    'parquet-zstd': () => new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.of('ZSTD') }),
    'orc-gzip': () => new firehose.OrcOutputFormat({ compression: firehose.OrcCompression.of('GZIP') }),
    'not-a-format': () => 'PARQUET',
  };
  const inputs: Record<InputChoice, () => unknown> = {
    none: () => undefined,
    openx: () => firehose.InputFormat.OPENX_JSON,
    hive: () => firehose.InputFormat.HIVE_JSON,
    'not-an-input': () => 'OPENX_JSON',
  };
  const columns = [
    { name: 'truck_id', dataType: 'string' },
    { name: 'seq', dataType: 'bigint' },
    { name: 'position', dataType: 'struct<lat:double,lon:double>' },
  ];
  const schemas: Record<SchemaChoice, () => unknown> = {
    none: () => undefined,
    columns: () => StreamToS3Schema.fromColumns(columns),
    'columns-named': () => StreamToS3Schema.fromColumns(columns, { databaseName: 'telemetry', tableName: 'positions' }),
    table: () => StreamToS3Schema.fromGlueTable({ databaseName: 'telemetry', tableName: 'positions' }),
    'uppercase-column': () => StreamToS3Schema.fromColumns([{ name: 'TruckId', dataType: 'string' }]),
    'bad-type': () => StreamToS3Schema.fromColumns([{ name: 'truck_id', dataType: 'varchar' }]),
    'spaced-table': () => StreamToS3Schema.fromGlueTable({ databaseName: 'telemetry', tableName: 'truck positions' }),
  };
  const props = {
    source: c.source,
    deliveryStreamEncryption: c.encryption && encryptions[c.encryption](),
    processor: processors[c.processor](),
    processorBufferingInterval: c.processorInterval && Duration[c.processorInterval.unit](c.processorInterval.amount),
    processorBufferingSize: c.processorSize && Size[c.processorSize.unit](c.processorSize.amount),
    dynamicPartitionKeys: partitionKeys[c.partitionKeys](),
    dynamicPartitioningRetryDuration: c.retry && Duration[c.retry.unit](c.retry.amount),
    outputFormat: formats[c.format](),
    inputFormat: inputs[c.input](),
    schema: schemas[c.schema](),
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
  const directPut = c.source === StreamToS3Source.DIRECT_PUT;
  const queryKeys = QUERY_KEYS[c.partitionKeys];
  const dynamicPartitioning =
    queryKeys !== undefined || (c.dataPrefix !== undefined && c.dataPrefix.includes('!{partitionKeyFromLambda:'));
  const conversion = c.format !== 'none';
  const interval = c.interval
    ? Token.isUnresolved(c.interval.amount)
      ? 120
      : (c.interval.amount * UNIT_MILLIS[c.interval.unit]) / 1000
    : 300;
  const defaultSize = dynamicPartitioning || conversion ? 128 : 5;
  const size = c.size
    ? Token.isUnresolved(c.size.amount)
      ? 64
      : (c.size.amount * UNIT_BYTES[c.size.unit]) / MIB
    : defaultSize;
  expect(destination.BufferingHints).toEqual({ IntervalInSeconds: interval, SizeInMBs: size });
  expect(destination.CompressionFormat).toBe(c.compression ?? (conversion ? 'UNCOMPRESSED' : 'GZIP'));
  if (c.dataPrefix !== undefined) {
    expect(destination.Prefix).toBe(resolvedPrefix(c.dataPrefix));
  } else if (queryKeys) {
    for (const key of queryKeys) {
      expect(destination.Prefix).toContain(`${key}=!{partitionKeyFromQuery:${key}}/`);
    }
  }
  if (c.errorPrefix !== undefined) {
    expect(destination.ErrorOutputPrefix).toBe(resolvedPrefix(c.errorPrefix));
  }
  const logGroups = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::Logs::LogGroup') as any[];
  const days = (c.logRetention as number | undefined) ?? logs.RetentionDays.ONE_YEAR;
  expect(logGroups[0].Properties.RetentionInDays).toBe(days === logs.RetentionDays.INFINITE ? undefined : days);
  expect(resource.Properties.DeliveryStreamType).toBe(directPut ? 'DirectPut' : 'KinesisStreamAsSource');
  if (directPut) {
    expect(resource.Properties.KinesisStreamSourceConfiguration).toBeUndefined();
    const sse = resource.Properties.DeliveryStreamEncryptionConfigurationInput;
    const keyType: Record<EncryptionChoice, string | undefined> = {
      cmk: 'CUSTOMER_MANAGED_CMK',
      'cmk-given': 'CUSTOMER_MANAGED_CMK',
      'aws-owned': 'AWS_OWNED_CMK',
      unencrypted: undefined,
      'not-an-encryption': undefined,
    };
    expect(sse?.KeyType).toBe(keyType[c.encryption ?? 'cmk']);
  } else {
    expect(resource.Properties.DeliveryStreamEncryptionConfigurationInput).toBeUndefined();
    const source = resource.Properties.KinesisStreamSourceConfiguration.KinesisStreamARN;
    if (c.stream.startsWith('imported')) {
      expect(source).toBe('arn:aws:kinesis:us-east-1:123456789012:stream/positions');
    } else {
      expect(source).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
    }
  }
  const processorTypes = (destination.ProcessingConfiguration?.Processors ?? []).map((p: any) => p.Type);
  expect(processorTypes).toEqual([
    ...(c.processor !== 'none' ? ['Lambda'] : []),
    ...(queryKeys ? ['MetadataExtraction'] : []),
  ]);
  expect(destination.DynamicPartitioningConfiguration?.Enabled).toBe(dynamicPartitioning ? true : undefined);
  const serializer = destination.DataFormatConversionConfiguration?.OutputFormatConfiguration.Serializer;
  expect(Object.keys(serializer ?? {})).toEqual(
    conversion ? [c.format.startsWith('parquet') ? 'ParquetSerDe' : 'OrcSerDe'] : [],
  );
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
  const alarms = built.delivery.alarms.length - (c.stream === 'created' && !directPut ? 4 : 0);
  expect(alarms).toBe(3 + (c.processor !== 'none' ? 2 : 0) + (conversion ? 1 : 0) + (dynamicPartitioning ? 1 : 0));
}

test('StreamToS3: generated props end in a library error or a clean, faithful template', async () => {
  const batch = new TemplateBatch();
  const counts = { errors: 0, built: 0 };
  const features = { directPut: 0, processor: 0, partitioned: 0, converted: 0 };
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
        const delivery = outcome.value.built.delivery;
        features.directPut += delivery.source === StreamToS3Source.DIRECT_PUT ? 1 : 0;
        features.processor += delivery.processor ? 1 : 0;
        features.partitioned += delivery.partitionCountExceededAlarm ? 1 : 0;
        features.converted += delivery.conversionFailedAlarm ? 1 : 0;
      } catch (error) {
        if (!COUNT_FAILURES) {
          throw error;
        }
        failures.push(`${(error as Error).message.split('\n')[0].slice(0, 300)} :: ${describeCase(c)}`);
      }
    }),
    propertyParameters(250),
  );
  if (COUNT_FAILURES) {
    // eslint-disable-next-line no-console
    console.log(`stream-to-s3: ${failures.length} failing cases\n${failures.slice(0, 60).join('\n')}`);
  }
  reportCases('StreamToS3', counts);
  // eslint-disable-next-line no-console
  console.log(`StreamToS3 templates by feature: ${JSON.stringify(features)}`);
  // Every feature reached a template, not only errors.
  expect(Object.values(features).every((n) => n > 0)).toBe(true);
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
