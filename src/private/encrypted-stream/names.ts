import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { invalidProp } from '../validation';

/**
 * Kinesis's rule for stream and consumer names: 1 to 128 of `[a-zA-Z0-9_.-]` (CreateStream and
 * RegisterStreamConsumer, Amazon Kinesis Data Streams API reference,
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_RegisterStreamConsumer.html).
 */
const KINESIS_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The tables KCL 3.x creates besides the lease table, named after the application ("DynamoDB metadata tables
 * and load balancing in KCL", https://docs.aws.amazon.com/streams/latest/dev/kcl-dynamoDB.html).
 */
export const KCL_3_TABLE_SUFFIXES = ['-WorkerMetricStats', '-CoordinatorState'];

/**
 * DynamoDB table names are 3 to 255 of `[a-zA-Z0-9_.-]` ("Supported data types and naming rules in Amazon
 * DynamoDB", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
 * KCL names the lease table after the application and KCL 3.x two more tables after it with a suffix, so the
 * name leaves room for the longest suffix.
 */
const TABLE_NAME_MAX = 255;
export const APPLICATION_NAME_MAX = TABLE_NAME_MAX - Math.max(...KCL_3_TABLE_SUFFIXES.map((s) => s.length));
const APPLICATION_NAME = new RegExp(`^[A-Za-z0-9_.-]{3,${APPLICATION_NAME_MAX}}$`);

/** The DynamoDB tables a KCL application uses: the lease table and KCL 3.x's two. */
export function kclTableNames(applicationName: string): string[] {
  return [applicationName, ...KCL_3_TABLE_SUFFIXES.map((suffix) => `${applicationName}${suffix}`)];
}

/** Refuses a stream name Kinesis would refuse; a token is left to deploy time. */
export function validateStreamName(scope: IConstruct, prop: string, name: unknown): void {
  if (name !== undefined) {
    validateKinesisName(scope, prop, name);
  }
}

/** Refuses a consumer name Kinesis would refuse; a token is left to deploy time. */
export function validateConsumerName(scope: IConstruct, prop: string, name: unknown): void {
  validateKinesisName(scope, prop, name);
}

function validateKinesisName(scope: IConstruct, prop: string, name: unknown): void {
  if (typeof name === 'string' && Token.isUnresolved(name)) {
    return;
  }
  if (typeof name !== 'string' || !KINESIS_NAME.test(name)) {
    throw invalidProp(scope, prop, 'must be 1 to 128 letters, digits, hyphens, underscores and periods', name);
  }
}

/** Refuses a KCL application name that cannot name its DynamoDB tables; a token is left to deploy time. */
export function validateApplicationName(scope: IConstruct, prop: string, name: unknown): void {
  if (typeof name === 'string' && Token.isUnresolved(name)) {
    return;
  }
  if (typeof name !== 'string' || !APPLICATION_NAME.test(name)) {
    throw invalidProp(
      scope,
      prop,
      `must be 3 to ${APPLICATION_NAME_MAX} letters, digits, hyphens, underscores and periods (it names the ` +
        `DynamoDB lease table, and KCL 3.x names two more tables "<name>${KCL_3_TABLE_SUFFIXES.join('" and "<name>')}"; ` +
        `DynamoDB table names are at most ${TABLE_NAME_MAX} characters)`,
      name,
    );
  }
}

/**
 * The construct id of a child added by name (`addConsumer`, `addKclApplication`): the name itself, so that
 * removing one child never renames another. A token cannot be an id, and a name already used is refused.
 */
export function childIdFromName(scope: IConstruct, prop: string, name: string, taken: string[], what: string): string {
  if (Token.isUnresolved(name)) {
    throw invalidProp(
      scope,
      prop,
      `must be known at synth: it is the construct id of the ${what} (construct it directly to name it with a token)`,
      name,
    );
  }
  if (taken.includes(name)) {
    throw invalidProp(scope, prop, 'must be unique on the stream', name);
  }
  return name;
}
