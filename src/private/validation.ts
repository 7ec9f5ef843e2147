import { Duration, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { FIFO_SUFFIX } from './fifo';

/**
 * The one way our constructs reject a prop: the message names the construct path,
 * the prop, what is allowed and the value received, e.g.
 * `[Stack/Orders] maxReceiveCount must be an integer between 1 and 1000, got 0`.
 */
export function invalidProp(scope: IConstruct, prop: string, rule: string, received: unknown): Error {
  return new Error(`[${scope.node.path}] ${prop} ${rule}, got ${describe(received)}`);
}

/** Integer in `min..max` (inclusive). Tokens are not validated: their value is known only at deploy time. */
export function validateIntegerInRange(
  scope: IConstruct,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidProp(scope, prop, `must be an integer between ${formatNumber(min)} and ${formatNumber(max)}`, value);
  }
}

/**
 * Duration in `min..max` (inclusive) and a whole number of seconds, since every
 * service we configure takes seconds. Tokens are not validated.
 */
export function validateDurationInRange(
  scope: IConstruct,
  prop: string,
  value: Duration | undefined,
  min: Duration,
  max: Duration,
): void {
  if (value === undefined || value.isUnresolved()) {
    return;
  }
  const millis = value.toMilliseconds();
  const range = `between ${min.toHumanString()} and ${max.toHumanString()}`;
  if (millis < min.toMilliseconds() || millis > max.toMilliseconds()) {
    throw invalidProp(scope, prop, `must be ${range}`, value);
  }
  if (millis % 1000 !== 0) {
    throw invalidProp(scope, prop, `must be a whole number of seconds ${range}`, value);
  }
}

function describe(value: unknown): string {
  if (value instanceof Duration) {
    return value.toHumanString();
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  return String(value);
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}

/**
 * The name of an SQS queue or SNS topic: letters, digits, hyphens and underscores, at most
 * `maxLength` characters, ending in `.fifo` exactly when the resource is FIFO. Tokens are not validated.
 */
export function validateFifoAwareName(
  scope: IConstruct,
  prop: string,
  name: string | undefined,
  options: { readonly fifo: boolean; readonly noun: string; readonly maxLength: number },
): void {
  if (name === undefined || Token.isUnresolved(name)) {
    return;
  }
  const { fifo, noun, maxLength } = options;
  if (fifo && !name.endsWith(FIFO_SUFFIX)) {
    throw invalidProp(scope, prop, `of a FIFO ${noun} must end in "${FIFO_SUFFIX}"`, name);
  }
  if (!fifo && name.endsWith(FIFO_SUFFIX)) {
    throw invalidProp(
      scope,
      prop,
      `may end in "${FIFO_SUFFIX}" only for a FIFO ${noun} (fifo is false; omit it or set it to true)`,
      name,
    );
  }
  const base = fifo ? name.slice(0, -FIFO_SUFFIX.length) : name;
  if (!/^[A-Za-z0-9_-]+$/.test(base) || name.length > maxLength) {
    throw invalidProp(
      scope,
      prop,
      `must be 1 to ${maxLength} characters (including any "${FIFO_SUFFIX}" suffix) of letters, digits, hyphens and underscores`,
      name,
    );
  }
}
