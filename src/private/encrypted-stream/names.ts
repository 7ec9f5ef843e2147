import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { invalidProp } from '../validation';

/** Kinesis's rule for consumer names (RegisterStreamConsumer). */
const CONSUMER_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** KCL names its lease table after the application, so DynamoDB's table-name rule applies. */
const APPLICATION_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Refuses a consumer name Kinesis would refuse; a token is left to deploy time. */
export function validateConsumerName(scope: IConstruct, prop: string, name: string): void {
  if (!Token.isUnresolved(name) && !CONSUMER_NAME.test(name)) {
    throw invalidProp(scope, prop, 'must be 1 to 128 letters, digits, hyphens, underscores and periods', name);
  }
}

/** Refuses a KCL application name that cannot name a DynamoDB table; a token is left to deploy time. */
export function validateApplicationName(scope: IConstruct, prop: string, name: string): void {
  if (!Token.isUnresolved(name) && !APPLICATION_NAME.test(name)) {
    throw invalidProp(
      scope,
      prop,
      'must be 3 to 255 letters, digits, hyphens, underscores and periods (it names the DynamoDB lease table)',
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
