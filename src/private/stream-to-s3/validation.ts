import { Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { writtenAs } from '../encrypted-stream/values';
import { formatNumber, invalidProp } from '../validation';

export const DEFAULT_DATA_PREFIX =
  'data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
export const DEFAULT_ERROR_PREFIX =
  'errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/';

const ERROR_OUTPUT_TYPE = '!{firehose:error-output-type}';
const RANDOM_STRING = '!{firehose:random-string}';

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
 * - `partitionKeyFromQuery` and `partitionKeyFromLambda` need dynamic partitioning, which this construct
 *   does not configure.
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

function validatePrefix(scope: IConstruct, prop: string, value: string, isError: boolean): void {
  if (typeof value !== 'string') {
    throw invalidProp(scope, prop, 'must be a string', value);
  }
  if (value.length > PREFIX_MAX_LENGTH) {
    throw invalidProp(scope, prop, `must be at most ${formatNumber(PREFIX_MAX_LENGTH)} characters`, value);
  }
  if (value.startsWith('/')) {
    throw invalidProp(scope, prop, 'must not start with "/" (S3 keys would begin with an empty folder)', value);
  }
  const allowed = `!{timestamp:<format>} and ${RANDOM_STRING}${isError ? ` and ${ERROR_OUTPUT_TYPE}` : ''}`;
  let minimumLength = staticLength(value);
  let hasTimestamp = false;
  for (const expression of expressionsOf(value)) {
    const { body, text } = expression;
    if (body !== undefined && body.startsWith('timestamp:') && isDateTimePattern(body.slice('timestamp:'.length))) {
      hasTimestamp = true;
    } else if (text === RANDOM_STRING) {
      minimumLength += RANDOM_STRING_LENGTH;
    } else if (isError && text === ERROR_OUTPUT_TYPE) {
      minimumLength += SHORTEST_ERROR_OUTPUT_TYPE;
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
  if (!isError && !hasTimestamp) {
    minimumLength += APPENDED_TIMESTAMP_LENGTH;
  }
  if (minimumLength > EVALUATED_MAX_LENGTH) {
    throw invalidProp(
      scope,
      prop,
      `must be at most ${EVALUATED_MAX_LENGTH} characters once Firehose has evaluated it (at least ${formatNumber(minimumLength)} here${isError || hasTimestamp ? '' : ', with the timestamp Firehose appends to a prefix without one'})`,
      value,
    );
  }
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
): void {
  const checked: Array<[string, string | undefined, boolean]> = [
    ['dataOutputPrefix', dataPrefix, false],
    ['errorOutputPrefix', errorPrefix, true],
  ];
  for (const [prop, value, isError] of checked) {
    if (value !== undefined && !(typeof value === 'string' && Token.isUnresolved(value))) {
      validatePrefix(scope, prop, value, isError);
    }
  }
  const data = dataPrefix ?? DEFAULT_DATA_PREFIX;
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
export function validateBufferingSize(scope: IConstruct, prop: string, size: Size | undefined): void {
  if (size === undefined) {
    return;
  }
  const rule = 'must be a whole number of MiB between 1 and 128';
  if (!(size instanceof Size)) {
    throw invalidProp(scope, prop, `${rule} (a Size)`, size);
  }
  if (size.isUnresolved()) {
    if (!size.toString().startsWith('Size.mebibytes(')) {
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
  if (!Number.isInteger(mib) || mib < 1 || mib > 128) {
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
