import { Annotations, Duration, Size, SizeRoundingBehavior, Token, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { hiveTypeProblem } from './hive-types';
import type { StreamToS3Column, StreamToS3GlueTable, StreamToS3Schema } from '../../stream-to-s3';
import { validateDuration, validateTokenDurationUnit, writtenAs } from '../encrypted-stream/values';
import { knownFunctionTimeoutSeconds } from '../lambda-consumers/facts';
import { describeValue, formatNumber, invalidProp, joinAlternatives, sizeUnit } from '../validation';

const MEBIBYTE = 1024 * 1024;

/*
 * Buffering with record format conversion or dynamic partitioning: at least 64 MiB (128 MiB by default), and
 * for dynamic partitioning at least 60 seconds ("Buffering hints", per-destination ranges,
 * https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html; "Zero buffering feature is not available
 * for dynamic partitioning", https://docs.aws.amazon.com/firehose/latest/dev/buffering.html). aws-cdk-lib's own
 * S3 destination enforces the same minimums.
 */
export const LARGE_BUFFER_MIN_MIB = 64;
export const LARGE_BUFFER_DEFAULT_MIB = 128;
export const DYNAMIC_PARTITIONING_MIN_INTERVAL = Duration.seconds(60);

/*
 * The Lambda processor ("Transform source data in Amazon Data Firehose",
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html): Firehose buffers 0.2 to 3 MB
 * (1 MB by default) and 0 to 900 seconds (60 by default) before it invokes the function synchronously,
 * and supports invocations of up to 5 minutes; the synchronous payload limit is 6 MB.
 */
export const PROCESSOR_MIN_BUFFER_MIB = 0.2;
export const PROCESSOR_MAX_BUFFER_MIB = 3;
export const PROCESSOR_DEFAULT_BUFFER = Size.mebibytes(1);
export const PROCESSOR_DEFAULT_INTERVAL = Duration.seconds(60);
export const PROCESSOR_MAX_INTERVAL = Duration.seconds(900);
export const PROCESSOR_MAX_INVOCATION_SECONDS = 300;

/** DynamicPartitioningConfiguration.RetryOptions.DurationInSeconds: 0 to 7,200 (RetryOptions, API reference). */
export const RETRY_DURATION_MAX = Duration.seconds(7200);
export const RETRY_DURATION_DEFAULT = Duration.seconds(300);

/** ProcessorParameter.ParameterValue is 1 to 5,120 characters (ProcessorParameter, API reference). */
const PARAMETER_VALUE_MAX_LENGTH = 5120;

/** aws-cdk-lib's `MetadataExtractionProcessor.jq16` refuses more keys (with no construct path), so this does first. */
const MAX_PARTITION_KEYS = 50;

/*
 * Serializer compressions (ParquetSerDe and OrcSerDe, API reference,
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_ParquetSerDe.html and API_OrcSerDe.html).
 */
const PARQUET_COMPRESSIONS = ['UNCOMPRESSED', 'GZIP', 'SNAPPY'];
const ORC_COMPRESSIONS = ['NONE', 'ZLIB', 'SNAPPY'];

/**
 * SchemaConfiguration's names: 1 to 1,024 characters without whitespace (SchemaConfiguration, API reference,
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_SchemaConfiguration.html).
 */
const SCHEMA_NAME_MAX_LENGTH = 1024;

/**
 * Names of databases, tables and columns this construct creates: 1 to 255 bytes of UTF-8, lowercase ("Name
 * databases, tables, and columns", Amazon Athena user guide,
 * https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html). Whitespace is refused too.
 */
const GLUE_NAME_MAX_BYTES = 255;

/** The serializer a record format conversion writes with. */
export type OutputKind = 'parquet' | 'orc';

/** A checked record format conversion, rendered by aws-cdk-lib's input and output formats. */
export interface FormatConversion {
  readonly kind: OutputKind;
  readonly input: firehose.CfnDeliveryStream.InputFormatConfigurationProperty;
  readonly output: firehose.CfnDeliveryStream.OutputFormatConfigurationProperty;
  readonly hiveInput: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** `firehose.StreamEncryption`: a StreamEncryptionType and, for a customer-managed key, maybe the key. */
export function validateStreamEncryption(scope: IConstruct, prop: string, value: unknown, directPut: boolean): void {
  if (value === undefined) {
    return;
  }
  const types: unknown[] = [
    firehose.StreamEncryptionType.UNENCRYPTED,
    firehose.StreamEncryptionType.AWS_OWNED,
    firehose.StreamEncryptionType.CUSTOMER_MANAGED,
  ];
  const choices =
    'firehose.StreamEncryption.customerManagedKey(...), firehose.StreamEncryption.awsOwnedKey() or firehose.StreamEncryption.unencrypted()';
  if (!isObject(value) || !types.includes(value.type)) {
    throw invalidProp(scope, prop, `must be one of ${choices}`, shapeOf(value));
  }
  const key = value.encryptionKey;
  if (key !== undefined && (!isObject(key) || typeof key.keyArn !== 'string')) {
    throw invalidProp(scope, `${prop} key`, 'must be a kms.IKey', shapeOf(key));
  }
  // "You can enable SSE for a Firehose stream only if it's a Firehose stream that uses DirectPut as its
  // source" (StartDeliveryStreamEncryption, API reference); a Kinesis source is encrypted by the stream.
  if (!directPut && value.type !== firehose.StreamEncryptionType.UNENCRYPTED) {
    throw invalidProp(
      scope,
      prop,
      'may be set only with source DIRECT_PUT: Firehose encrypts a delivery stream only when producers write to it directly; records read from a Kinesis stream are encrypted by the stream',
      encryptionName(value.type as firehose.StreamEncryptionType),
    );
  }
}

function encryptionName(type: firehose.StreamEncryptionType): string {
  return {
    [firehose.StreamEncryptionType.UNENCRYPTED]: 'StreamEncryption.unencrypted()',
    [firehose.StreamEncryptionType.AWS_OWNED]: 'StreamEncryption.awsOwnedKey()',
    [firehose.StreamEncryptionType.CUSTOMER_MANAGED]: 'StreamEncryption.customerManagedKey(...)',
  }[type];
}

/** What describeValue prints for an object of a class: its class, not `[object Object]`. */
function shapeOf(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && value.constructor !== Object && !Array.isArray(value)) {
    return `an object of class ${value.constructor?.name ?? 'unknown'}`;
  }
  return value;
}

/** A Lambda function reference: anything with a `functionArn`. */
export function validateFunction(scope: IConstruct, prop: string, value: unknown): void {
  if (value === undefined) {
    return;
  }
  if (!isObject(value) || typeof value.functionArn !== 'string') {
    throw invalidProp(scope, prop, 'must be a lambda.IFunction', shapeOf(value));
  }
}

/** A value shown as written in an error (`Duration.seconds(8.4e-323)`), where aws-cdk-lib would print nothing. */
class Written {
  constructor(private readonly text: string) {}

  public toString(): string {
    return this.text;
  }
}

/**
 * A whole number of seconds in `min..max`; a deploy-time amount must be written in seconds (`why`: the field
 * Firehose takes). A duration too small for aws-cdk-lib to print (`Duration.seconds(8.4e-323)`) is shown as written.
 */
export function validateSeconds(
  scope: IConstruct,
  prop: string,
  value: Duration | undefined,
  max: Duration,
  why: string,
): void {
  validateTokenDurationUnit(scope, prop, value, 'seconds', why);
  if (value instanceof Duration && !value.isUnresolved()) {
    const millis = value.toMilliseconds({ integral: false });
    if (Number.isFinite(millis) && millis !== 0 && value.toHumanString() === '') {
      throw invalidProp(
        scope,
        prop,
        `must be a whole number of seconds between 0 seconds and ${max.toHumanString()}`,
        new Written(value.toString()),
      );
    }
  }
  validateDuration(scope, prop, value, Duration.seconds(0), max);
}

/** 0 to 900 seconds, whole seconds; a deploy-time amount in seconds. */
export function validateProcessorInterval(scope: IConstruct, prop: string, value: Duration | undefined): void {
  validateSeconds(scope, prop, value, PROCESSOR_MAX_INTERVAL, 'Firehose takes BufferIntervalInSeconds');
}

/** 0.2 to 3 MiB; a deploy-time amount in mebibytes. */
export function validateProcessorBufferSize(scope: IConstruct, prop: string, size: Size | undefined): void {
  if (size === undefined) {
    return;
  }
  const rule = `must be between ${PROCESSOR_MIN_BUFFER_MIB} and ${PROCESSOR_MAX_BUFFER_MIB} MiB (the payload of one invocation)`;
  if (!(size instanceof Size)) {
    throw invalidProp(scope, prop, `${rule}, a Size`, size);
  }
  if (size.isUnresolved()) {
    if (sizeUnit(size) !== 'mebibytes') {
      throw invalidProp(
        scope,
        prop,
        'must be written as Size.mebibytes(...) when its amount is known only at deploy time (Firehose takes BufferSizeInMBs)',
        writtenAs(scope, size),
      );
    }
    return;
  }
  const mib = size.toBytes({ rounding: SizeRoundingBehavior.NONE }) / MEBIBYTE;
  if (!Number.isFinite(mib) || mib < PROCESSOR_MIN_BUFFER_MIB || mib > PROCESSOR_MAX_BUFFER_MIB) {
    throw invalidProp(scope, prop, rule, size);
  }
}

/** BufferSizeInMBs as Firehose reads it: a number of MiB, decimals allowed (0.2). */
export function mebibytesParameter(size: Size): string {
  if (size.isUnresolved()) {
    return Tokenization.stringifyNumber(size.toMebibytes());
  }
  return String(size.toBytes({ rounding: SizeRoundingBehavior.NONE }) / MEBIBYTE);
}

/** A whole number of seconds as a parameter value; a deploy-time amount stays a token. */
export function secondsParameter(duration: Duration): string {
  const seconds = duration.toSeconds();
  return Token.isUnresolved(seconds) ? Tokenization.stringifyNumber(seconds) : String(seconds);
}

/**
 * The keys of `dynamicPartitionKeys`, checked: a map of key names to jq expressions. A key name may not
 * contain `{`, `}` or `:` (it is written into the prefix as `!{partitionKeyFromQuery:<key>}`), and the query
 * Firehose receives (`{"key":<jq>,...}`) is at most 5,120 characters.
 */
export function validatePartitionKeys(
  scope: IConstruct,
  prop: string,
  keys: Record<string, string> | undefined,
): string[] | undefined {
  if (keys === undefined) {
    return undefined;
  }
  if (!isObject(keys) || Array.isArray(keys) || Token.isUnresolved(keys)) {
    throw invalidProp(
      scope,
      prop,
      'must map each partition key to the jq expression that reads it, e.g. { truck: ".truckId" }',
      keys,
    );
  }
  const names = Object.keys(keys);
  if (names.length === 0) {
    throw invalidProp(scope, prop, 'must name at least one partition key (omit it for no dynamic partitioning)', keys);
  }
  if (names.length > MAX_PARTITION_KEYS) {
    throw invalidProp(
      scope,
      prop,
      `must name at most ${MAX_PARTITION_KEYS} partition keys (aws-cdk-lib's MetadataExtractionProcessor takes no more; ${names.length} here)`,
      `${names.length} keys`,
    );
  }
  for (const name of names) {
    if (Token.isUnresolved(name) || name.length === 0 || /[{}:\s]/.test(name)) {
      throw invalidProp(
        scope,
        `${prop} key`,
        'must be a name without "{", "}", ":" or whitespace (it is written into the prefix as !{partitionKeyFromQuery:<key>})',
        name,
      );
    }
    const query = keys[name];
    if (typeof query !== 'string' || (!Token.isUnresolved(query) && query.trim().length === 0)) {
      throw invalidProp(scope, `${prop} "${name}"`, 'must be a jq expression, e.g. ".truckId"', query);
    }
  }
  const rendered = metadataExtractionQuery(keys);
  if (!Token.isUnresolved(rendered) && rendered.length > PARAMETER_VALUE_MAX_LENGTH) {
    throw invalidProp(
      scope,
      prop,
      `must make a query of at most ${formatNumber(PARAMETER_VALUE_MAX_LENGTH)} characters (Firehose's parameter limit; ${formatNumber(rendered.length)} here)`,
      keys,
    );
  }
  return names;
}

/** The jq query of inline parsing, as aws-cdk-lib's MetadataExtractionProcessor.jq16 writes it. */
function metadataExtractionQuery(keys: Record<string, string>): string {
  return `{${Object.keys(keys)
    .map((key) => `${JSON.stringify(key)}:${keys[key]}`)
    .join(',')}}`;
}

/**
 * The inline parsing processor, rendered by aws-cdk-lib's `MetadataExtractionProcessor.jq16`. Its bind only
 * checks that the prefix uses every key (already checked here, with the construct path) and grants nothing;
 * a prefix known only at deploy time cannot be checked, so the bind is shown the keys' own expressions.
 */
export function metadataExtractionProcessor(
  scope: IConstruct,
  keys: Record<string, string>,
  role: iam.IRole,
  prefix: string,
): firehose.CfnDeliveryStream.ProcessorProperty {
  const checkedPrefix = Token.isUnresolved(prefix)
    ? Object.keys(keys)
        .map((key) => `!{partitionKeyFromQuery:${key}}/`)
        .join('')
    : prefix;
  const config = firehose.MetadataExtractionProcessor.jq16(keys).bind(scope as any, {
    role,
    dynamicPartitioningEnabled: true,
    prefix: checkedPrefix,
  });
  return { type: config.processorType, parameters: config.parameters };
}

/**
 * The Lambda processor. Written here rather than through aws-cdk-lib's LambdaFunctionProcessor: its bind
 * grants `lambda:InvokeFunction` on the function and on every version and alias of it (`<arn>:*`) through
 * the role's inline policy, and it writes BufferSizeInMBs with `Size.toMebibytes()`, which cannot express
 * the 0.2 to 0.99 MiB Firehose accepts. The delivery role's managed policy grants exactly this function.
 */
export function lambdaProcessor(
  roleArn: string,
  fn: lambda.IFunction,
  interval: Duration,
  size: Size,
): firehose.CfnDeliveryStream.ProcessorProperty {
  return {
    type: 'Lambda',
    parameters: [
      { parameterName: 'LambdaArn', parameterValue: fn.functionArn },
      { parameterName: 'RoleArn', parameterValue: roleArn },
      { parameterName: 'BufferIntervalInSeconds', parameterValue: secondsParameter(interval) },
      { parameterName: 'BufferSizeInMBs', parameterValue: mebibytesParameter(size) },
    ],
  };
}

/**
 * Firehose invokes the processor for up to 5 minutes; a function allowed to run longer is cut off and its
 * batch fails ("Lambda invocation duration", data-transformation.html). Still deployable, so a warning.
 * Returns the timeout in seconds when it is known.
 */
export function warnOnLongProcessorTimeout(scope: IConstruct, fn: lambda.IFunction): number | undefined {
  const timeout = knownFunctionTimeoutSeconds(fn);
  if (timeout !== undefined && timeout > PROCESSOR_MAX_INVOCATION_SECONDS) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:processor-timeout-over-firehose-limit',
      `The processor's timeout (${formatNumber(timeout)} seconds) is longer than the 5 minutes Firehose waits for an invocation: a batch that runs longer fails and its records go to the processing-failed error prefix. Keep the function's timeout at 5 minutes or less.`,
    );
  }
  return timeout;
}

/** The rendered serializer of an `firehose.IOutputFormat`, checked against Firehose's serializers. */
export function validateOutputFormat(
  scope: IConstruct,
  prop: string,
  value: unknown,
): { readonly output: FormatConversion['output']; readonly kind: OutputKind } {
  if (!isObject(value) || typeof value.createOutputFormatConfig !== 'function') {
    throw invalidProp(
      scope,
      prop,
      'must be a firehose.IOutputFormat, e.g. firehose.OutputFormat.PARQUET or new firehose.OrcOutputFormat({...})',
      shapeOf(value),
    );
  }
  const output = (value as unknown as firehose.IOutputFormat).createOutputFormatConfig();
  const serializer = (isObject(output) ? output.serializer : undefined) as
    firehose.CfnDeliveryStream.SerializerProperty | undefined;
  const parquet = serializer?.parquetSerDe as firehose.CfnDeliveryStream.ParquetSerDeProperty | undefined;
  const orc = serializer?.orcSerDe as firehose.CfnDeliveryStream.OrcSerDeProperty | undefined;
  if ((parquet === undefined) === (orc === undefined)) {
    throw invalidProp(scope, prop, 'must render exactly one serializer, Parquet or ORC', describeValue(scope, output));
  }
  const [kind, allowed, compression] =
    parquet !== undefined
      ? (['parquet', PARQUET_COMPRESSIONS, parquet.compression] as const)
      : (['orc', ORC_COMPRESSIONS, orc!.compression] as const);
  if (compression !== undefined && !Token.isUnresolved(compression) && !allowed.includes(compression)) {
    throw invalidProp(
      scope,
      `${prop} compression`,
      `must be ${joinAlternatives(allowed.map((c) => `"${c}"`))} for ${kind === 'parquet' ? 'Parquet' : 'ORC'} (${kind === 'parquet' ? 'ParquetSerDe' : 'OrcSerDe'}, Firehose API reference)`,
      compression,
    );
  }
  return { output, kind };
}

/** The rendered deserializer of an `firehose.IInputFormat`: OpenX or Hive JSON. */
export function validateInputFormat(
  scope: IConstruct,
  prop: string,
  value: unknown,
): { readonly input: FormatConversion['input']; readonly hive: boolean } {
  if (!isObject(value) || typeof value.createInputFormatConfig !== 'function') {
    throw invalidProp(
      scope,
      prop,
      'must be a firehose.IInputFormat: firehose.InputFormat.OPENX_JSON or firehose.InputFormat.HIVE_JSON',
      shapeOf(value),
    );
  }
  const input = (value as unknown as firehose.IInputFormat).createInputFormatConfig();
  const deserializer = (isObject(input) ? input.deserializer : undefined) as
    firehose.CfnDeliveryStream.DeserializerProperty | undefined;
  const openX = deserializer?.openXJsonSerDe !== undefined;
  const hive = deserializer?.hiveJsonSerDe !== undefined;
  if (openX === hive) {
    throw invalidProp(
      scope,
      prop,
      'must render exactly one JSON deserializer, OpenX or Hive (the two Firehose reads records with)',
      describeValue(scope, input),
    );
  }
  return { input, hive };
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** A name SchemaConfiguration takes: 1 to 1,024 characters without whitespace. Tokens pass. */
function validateSchemaName(scope: IConstruct, prop: string, value: unknown, required: boolean): void {
  if (value === undefined && !required) {
    return;
  }
  if (typeof value === 'string' && Token.isUnresolved(value)) {
    return;
  }
  if (typeof value !== 'string' || !/^\S+$/.test(value) || value.length > SCHEMA_NAME_MAX_LENGTH) {
    throw invalidProp(
      scope,
      prop,
      `must be 1 to ${formatNumber(SCHEMA_NAME_MAX_LENGTH)} characters without whitespace (SchemaConfiguration)`,
      value,
    );
  }
}

/** A name of a database, table or column this construct creates: lowercase, 1 to 255 bytes, no whitespace. */
function validateGlueName(scope: IConstruct, prop: string, value: unknown, noDots = false): void {
  if (typeof value === 'string' && Token.isUnresolved(value)) {
    return;
  }
  const ok =
    typeof value === 'string' &&
    value.length > 0 &&
    utf8Bytes(value) <= GLUE_NAME_MAX_BYTES &&
    value === value.toLowerCase() &&
    !/\s/.test(value) &&
    !(noDots && value.includes('.'));
  if (!ok) {
    throw invalidProp(
      scope,
      prop,
      `must be 1 to ${GLUE_NAME_MAX_BYTES} bytes, lowercase, without whitespace${noDots ? ' or "." (the Hive JSON SerDe does not take dots in column names)' : ''} (Glue and Athena naming rules)`,
      value,
    );
  }
}

/** The schema: a Glue table by name, or columns this construct makes a table of. */
export function validateSchema(scope: IConstruct, prop: string, schema: StreamToS3Schema, hiveInput: boolean): void {
  const given: unknown = schema;
  if (!isObject(given) || (schema.glueTable === undefined) === (schema.columns === undefined)) {
    throw invalidProp(
      scope,
      prop,
      'must be StreamToS3Schema.fromGlueTable(...) or StreamToS3Schema.fromColumns(...)',
      shapeOf(schema),
    );
  }
  if (schema.glueTable !== undefined) {
    validateGlueTable(scope, `${prop} glueTable`, schema.glueTable);
    return;
  }
  validateColumns(scope, `${prop} columns`, schema.columns!, hiveInput);
  const options = schema.columnsOptions ?? {};
  if (options.databaseName !== undefined) {
    validateGlueName(scope, `${prop} databaseName`, options.databaseName);
  }
  if (options.tableName !== undefined) {
    validateGlueName(scope, `${prop} tableName`, options.tableName);
  }
}

function validateGlueTable(scope: IConstruct, prop: string, table: StreamToS3GlueTable): void {
  if (!isObject(table)) {
    throw invalidProp(scope, prop, 'must be a StreamToS3GlueTable (databaseName and tableName)', table);
  }
  validateSchemaName(scope, `${prop} databaseName`, table.databaseName, true);
  validateSchemaName(scope, `${prop} tableName`, table.tableName, true);
  validateSchemaName(scope, `${prop} catalogId`, table.catalogId, false);
  validateSchemaName(scope, `${prop} region`, table.region, false);
  validateSchemaName(scope, `${prop} versionId`, table.versionId, false);
}

function validateColumns(scope: IConstruct, prop: string, columns: StreamToS3Column[], hiveInput: boolean): void {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw invalidProp(scope, prop, 'must list at least one column', columns);
  }
  const seen = new Set<string>();
  columns.forEach((column, i) => {
    if (!isObject(column)) {
      throw invalidProp(scope, `${prop}[${i}]`, 'must be a StreamToS3Column (name and dataType)', column);
    }
    validateGlueName(scope, `${prop}[${i}] name`, column.name, hiveInput);
    if (seen.has(column.name)) {
      throw invalidProp(scope, `${prop}[${i}] name`, 'must be unique among the columns', column.name);
    }
    seen.add(column.name);
    if (typeof column.dataType !== 'string') {
      throw invalidProp(
        scope,
        `${prop}[${i}] dataType`,
        'must be a Hive type such as "string" or "bigint"',
        column.dataType,
      );
    }
    const problem = Token.isUnresolved(column.dataType) ? undefined : hiveTypeProblem(column.dataType);
    if (problem !== undefined) {
      throw invalidProp(scope, `${prop}[${i}] dataType`, `must be a Hive type (${problem})`, column.dataType);
    }
    if (column.comment !== undefined && typeof column.comment !== 'string') {
      throw invalidProp(scope, `${prop}[${i}] comment`, 'must be a string', column.comment);
    }
  });
}
