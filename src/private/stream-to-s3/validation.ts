import { Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { writtenAs } from '../encrypted-stream/values';
import { formatNumber, invalidProp, sizeUnit } from '../validation';

export const DEFAULT_DATA_PREFIX =
  'data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
export const DEFAULT_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/';

const ERROR_OUTPUT_TYPE = '!{firehose:error-output-type}';
const RANDOM_STRING = '!{firehose:random-string}';
export const PARTITION_KEY_FROM_QUERY = 'partitionKeyFromQuery';
export const PARTITION_KEY_FROM_LAMBDA = 'partitionKeyFromLambda';

/** Prefix and ErrorOutputPrefix of ExtendedS3DestinationConfiguration are at most 1,024 characters (API reference). */
const PREFIX_MAX_LENGTH = 1024;

/*
 * The rules below are Firehose's ("Understand custom prefixes for Amazon S3 objects", Amazon Data Firehose
 * developer guide, https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html#prefix-rules):
 * - the sequence `!{` may appear only in `!{namespace:value}` expressions;
 * - `timestamp` values are Java DateTimeFormatter patterns;
 * - Prefix can't contain `!{firehose:error-output-type}`;
 * - an ErrorOutputPrefix with an expression must contain at least one `!{firehose:error-output-type}`;
 * - neither prefix may be longer than 512 characters once evaluated;
 * - `partitionKeyFromQuery` and `partitionKeyFromLambda` need dynamic partitioning, and the error prefix may use
 *   neither.
 * With dynamic partitioning ("Use Amazon S3 bucket prefix to deliver data",
 * https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-s3bucketprefix.html, and "Understand
 * partitioning keys", https://docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-partitioning-keys.html):
 * - `!{partitionKeyFromQuery:<key>}` names a key of the inline (jq) parsing query, and every key of the query is
 *   used in the prefix;
 * - `!{partitionKeyFromLambda:<key>}` needs a Lambda processor that returns partition keys;
 * - an error prefix is required (this construct always sets one).
 */
const EVALUATED_MAX_LENGTH = 512;
/** `!{firehose:random-string}` evaluates to an 11-character string. */
const RANDOM_STRING_LENGTH = 11;
/** The shortest value `!{firehose:error-output-type}` takes (`splunk-failed`; for S3 `processing-failed` and longer). */
const SHORTEST_ERROR_OUTPUT_TYPE = 13;
/** Without a timestamp expression Firehose appends `!{timestamp:yyyy/MM/dd/HH/}` to Prefix: 14 characters. */
const APPENDED_TIMESTAMP_LENGTH = 14;

/**
 * The pattern letters of Java 8's DateTimeFormatter (the version the Firehose guide links): any other letter
 * outside quotes is an "Unknown pattern letter", and `#`, `{` and `}` are reserved.
 */
const PATTERN_LETTERS = new Set('GuyDMLdQqYwWEecFahKkHmsSAnNVzOXxZp'.split(''));

/** The part of a prefix before its first expression: the part IAM can name. */
export function staticPart(prefix: string): string {
  const expression = prefix.indexOf('!{');
  return expression === -1 ? prefix : prefix.slice(0, expression);
}

interface Expression {
  readonly text: string;
  readonly body: string;
}

/** The `!{...}` expressions of a prefix; an unterminated one is returned with `body` undefined. */
function expressionsOf(prefix: string): Array<Expression | { text: string; body: undefined }> {
  const found: Array<Expression | { text: string; body: undefined }> = [];
  let from = 0;
  for (;;) {
    const start = prefix.indexOf('!{', from);
    if (start === -1) {
      return found;
    }
    const end = prefix.indexOf('}', start);
    if (end === -1) {
      found.push({ text: prefix.slice(start), body: undefined });
      return found;
    }
    found.push({ text: prefix.slice(start, end + 1), body: prefix.slice(start + 2, end) });
    from = end + 1;
  }
}

/** Whether a timestamp pattern is one Java's DateTimeFormatter accepts (letters, quotes, reserved characters). */
function isDateTimePattern(pattern: string): boolean {
  if (pattern.length === 0) {
    return false;
  }
  let quoted = false;
  for (const ch of pattern) {
    if (ch === "'") {
      quoted = !quoted;
    } else if (!quoted && (ch === '#' || ch === '{' || ch === '}')) {
      return false;
    } else if (!quoted && /[A-Za-z]/.test(ch) && !PATTERN_LETTERS.has(ch)) {
      return false;
    }
  }
  return !quoted;
}

/** What the data prefix may refer to besides timestamps and random strings. */
export interface PartitionContext {
  /** The keys of the inline parsing query (`dynamicPartitionKeys`), when there is one. */
  readonly queryKeys?: readonly string[];
  /** Whether a Lambda processor runs, which may return partition keys. */
  readonly processor: boolean;
}

const NO_PARTITIONING: PartitionContext = { processor: false };

/** The key of a `!{partitionKeyFromQuery:<key>}` or `!{partitionKeyFromLambda:<key>}` expression. */
function partitionKeyOf(body: string, namespace: string): string | undefined {
  return body.startsWith(`${namespace}:`) ? body.slice(namespace.length + 1) : undefined;
}

function validatePrefix(
  scope: IConstruct,
  prop: string,
  value: string,
  isError: boolean,
  partitions: PartitionContext = NO_PARTITIONING,
): void {
  if (typeof value !== 'string') {
    throw invalidProp(scope, prop, 'must be a string', value);
  }
  if (value.length > PREFIX_MAX_LENGTH) {
    throw invalidProp(scope, prop, `must be at most ${formatNumber(PREFIX_MAX_LENGTH)} characters`, value);
  }
  if (value.startsWith('/')) {
    throw invalidProp(scope, prop, 'must not start with "/" (S3 keys would begin with an empty folder)', value);
  }
  const partitionExpressions = isError
    ? ''
    : `${partitions.queryKeys ? `, !{${PARTITION_KEY_FROM_QUERY}:<key of dynamicPartitionKeys>}` : ''}${partitions.processor ? `, !{${PARTITION_KEY_FROM_LAMBDA}:<key>}` : ''}`;
  const allowed = `!{timestamp:<format>}${partitionExpressions} and ${RANDOM_STRING}${isError ? ` and ${ERROR_OUTPUT_TYPE}` : ''}`;
  let minimumLength = staticLength(value);
  let hasTimestamp = false;
  const usedQueryKeys = new Set<string>();
  for (const expression of expressionsOf(value)) {
    const { body, text } = expression;
    const queryKey = body === undefined ? undefined : partitionKeyOf(body, PARTITION_KEY_FROM_QUERY);
    const lambdaKey = body === undefined ? undefined : partitionKeyOf(body, PARTITION_KEY_FROM_LAMBDA);
    if (body !== undefined && body.startsWith('timestamp:') && isDateTimePattern(body.slice('timestamp:'.length))) {
      hasTimestamp = true;
    } else if (text === RANDOM_STRING) {
      minimumLength += RANDOM_STRING_LENGTH;
    } else if (isError && text === ERROR_OUTPUT_TYPE) {
      minimumLength += SHORTEST_ERROR_OUTPUT_TYPE;
    } else if (!isError && queryKey !== undefined && partitions.queryKeys?.includes(queryKey)) {
      usedQueryKeys.add(queryKey);
    } else if (!isError && lambdaKey !== undefined && lambdaKey.length > 0 && partitions.processor) {
      // The function returns the keys; their names are known only to its code.
    } else if (!isError && queryKey !== undefined) {
      throw invalidProp(
        scope,
        prop,
        partitions.queryKeys
          ? `may use only keys of dynamicPartitionKeys in !{${PARTITION_KEY_FROM_QUERY}:...} ("${queryKey}" is not one of ${partitions.queryKeys.map((k) => `"${k}"`).join(', ')})`
          : `may use !{${PARTITION_KEY_FROM_QUERY}:...} only with dynamic partitioning: give "${queryKey}" and the jq expression that reads it in dynamicPartitionKeys`,
        value,
      );
    } else if (!isError && lambdaKey !== undefined && !partitions.processor) {
      throw invalidProp(
        scope,
        prop,
        `may use !{${PARTITION_KEY_FROM_LAMBDA}:...} only with a processor (a Lambda function that returns the partition keys)`,
        value,
      );
    } else {
      throw invalidProp(scope, prop, `may use only ${allowed} expressions (Firehose rejects "${text}")`, value);
    }
  }
  if (isError && value.includes('!{') && !value.includes(ERROR_OUTPUT_TYPE)) {
    throw invalidProp(
      scope,
      prop,
      `must contain ${ERROR_OUTPUT_TYPE} when it uses expressions (a Firehose rule)`,
      value,
    );
  }
  const unused = (partitions.queryKeys ?? []).filter((key) => !usedQueryKeys.has(key));
  if (!isError && unused.length > 0) {
    throw invalidProp(
      scope,
      prop,
      `must use every key of dynamicPartitionKeys as !{${PARTITION_KEY_FROM_QUERY}:<key>} (a Firehose rule); missing: ${unused.map((k) => `"${k}"`).join(', ')}`,
      value,
    );
  }
  // Firehose appends its own timestamp to a prefix without one; dynamic partitioning is not counted on to.
  const partitioned =
    partitions.queryKeys !== undefined ||
    expressionsOf(value).some((e) => e.body?.startsWith(`${PARTITION_KEY_FROM_LAMBDA}:`));
  if (!isError && !hasTimestamp && !partitioned) {
    minimumLength += APPENDED_TIMESTAMP_LENGTH;
  }
  if (minimumLength > EVALUATED_MAX_LENGTH) {
    throw invalidProp(
      scope,
      prop,
      `must be at most ${EVALUATED_MAX_LENGTH} characters once Firehose has evaluated it (at least ${formatNumber(minimumLength)} here${isError || hasTimestamp || partitioned ? '' : ', with the timestamp Firehose appends to a prefix without one'})`,
      value,
    );
  }
}

/** Whether a data prefix (known at synth) uses `!{partitionKeyFromLambda:...}`. */
export function usesLambdaPartitionKeys(prefix: string | undefined): boolean {
  return (
    typeof prefix === 'string' && !Token.isUnresolved(prefix) && prefix.includes(`!{${PARTITION_KEY_FROM_LAMBDA}:`)
  );
}

/**
 * The data prefix used when none is given: with inline partitioning, one folder per key (`truck=<value>/`)
 * ahead of the default date folders.
 */
export function defaultDataPrefix(queryKeys: readonly string[] | undefined): string {
  if (queryKeys === undefined || queryKeys.length === 0) {
    return DEFAULT_DATA_PREFIX;
  }
  const keys = queryKeys.map((key) => `${key}=!{${PARTITION_KEY_FROM_QUERY}:${key}}/`).join('');
  return `data/${keys}${DEFAULT_DATA_PREFIX.slice('data/'.length)}`;
}

/** The characters of a prefix outside its expressions. */
function staticLength(prefix: string): number {
  return expressionsOf(prefix).reduce((length, expression) => length - expression.text.length, prefix.length);
}

/**
 * Firehose's rules for custom prefixes (above), and the error prefix with the error-output type whenever
 * the data prefix has an expression. A prefix known only at deploy time is passed through.
 */
export function validatePrefixes(
  scope: IConstruct,
  dataPrefix: string | undefined,
  errorPrefix: string | undefined,
  partitions: PartitionContext = NO_PARTITIONING,
): void {
  const checked: Array<[string, string | undefined, boolean]> = [
    ['dataOutputPrefix', dataPrefix, false],
    ['errorOutputPrefix', errorPrefix, true],
  ];
  for (const [prop, value, isError] of checked) {
    if (value !== undefined && !(typeof value === 'string' && Token.isUnresolved(value))) {
      validatePrefix(scope, prop, value, isError, partitions);
    }
  }
  const data = dataPrefix ?? defaultDataPrefix(partitions.queryKeys);
  const error = errorPrefix ?? DEFAULT_ERROR_PREFIX;
  if (Token.isUnresolved(data) || Token.isUnresolved(error)) {
    return;
  }
  if (data.includes('!{') && !error.includes(ERROR_OUTPUT_TYPE)) {
    throw invalidProp(
      scope,
      'errorOutputPrefix',
      `must contain ${ERROR_OUTPUT_TYPE} when dataOutputPrefix uses expressions (a Firehose rule)`,
      error,
    );
  }
}

const MEBIBYTE = 1024 * 1024;

/**
 * 1 to 128 MiB in whole MiB (BufferingHints.SizeInMBs). NaN, Infinity and sizes that are not whole MiB are
 * refused here: aws-cdk-lib's conversion would throw with no construct path. A deploy-time amount must be
 * written in mebibytes, the unit Firehose takes.
 */
export function validateBufferingSize(
  scope: IConstruct,
  prop: string,
  size: Size | undefined,
  minimum: { readonly mebibytes: number; readonly why: string } = { mebibytes: 1, why: '' },
): void {
  if (size === undefined) {
    return;
  }
  const rule = `must be a whole number of MiB between ${minimum.mebibytes} and 128${minimum.why}`;
  if (!(size instanceof Size)) {
    throw invalidProp(scope, prop, `${rule} (a Size)`, size);
  }
  if (size.isUnresolved()) {
    if (sizeUnit(size) !== 'mebibytes') {
      throw invalidProp(
        scope,
        prop,
        'must be written as Size.mebibytes(...) when its amount is known only at deploy time (Firehose takes SizeInMBs)',
        writtenAs(scope, size),
      );
    }
    return;
  }
  const mib = size.toBytes({ rounding: SizeRoundingBehavior.NONE }) / MEBIBYTE;
  if (!Number.isInteger(mib) || mib < minimum.mebibytes || mib > 128) {
    throw invalidProp(scope, prop, rule, size);
  }
}

/** One of `logs.RetentionDays` (a number enum: a JavaScript caller can pass any number or string). */
export function validateLogRetention(scope: IConstruct, prop: string, retention: logs.RetentionDays | undefined): void {
  if (retention === undefined) {
    return;
  }
  const values = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (typeof retention !== 'number' || !values.includes(retention)) {
    throw invalidProp(
      scope,
      prop,
      `must be one of logs.RetentionDays (${values.filter((v) => v !== logs.RetentionDays.INFINITE).join(', ')} days, or INFINITE)`,
      retention,
    );
  }
}
