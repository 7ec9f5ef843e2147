import { Duration, Size, Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { FIFO_SUFFIX } from './fifo';
import { inUserLanguage } from './user-language';

/**
 * The one way our constructs reject a prop or a method argument. The message names the construct
 * path, the prop (for a method: `<method> <argument>`), what is allowed and the value received, e.g.
 * `[Stack/Orders] maxReceiveCount must be an integer between 1 and 1,000, got 0`.
 *
 * Constructors and methods throw the same way, so a user (and a test) reads every refusal alike. Under a jsii
 * runtime, names are spelled as that language spells them (see inUserLanguage).
 */
export function invalidProp(scope: IConstruct, prop: string, rule: string, received: unknown): Error {
  // Props, methods and the rule in the user's language (`max_receive_count` from Python); the value as given.
  return new Error(
    `[${scope.node.path}] ${inUserLanguage(prop)} ${inUserLanguage(rule)}, got ${describeValue(scope, received)}`,
  );
}

/** The `prop` of an {@link invalidProp} message for a method's argument: `addConsumer consumerName`. */
export function methodArgument(method: string, argument: string): string {
  return `${method} ${argument}`;
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
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidProp(scope, prop, `must be an integer between ${formatNumber(min)} and ${formatNumber(max)}`, value);
  }
}

/**
 * A finite number in `min..max` (inclusive; `exclusiveMin` makes the lower bound exclusive). NaN,
 * Infinity and values that are not numbers at all (a JavaScript caller can pass a string) are refused
 * here, with the construct path, rather than by aws-cdk-lib or CloudFormation. Tokens are not validated.
 */
export function validateNumberInRange(
  scope: IConstruct,
  prop: string,
  value: number | undefined,
  min: number,
  max: number,
  options: { readonly exclusiveMin?: boolean } = {},
): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  const belowMin = options.exclusiveMin ? value <= min : value < min;
  if (typeof value !== 'number' || !Number.isFinite(value) || belowMin || value > max) {
    const lower = options.exclusiveMin ? `above ${formatNumber(min)}` : `at least ${formatNumber(min)}`;
    throw invalidProp(scope, prop, `must be a finite number ${lower} and at most ${formatNumber(max)}`, value);
  }
}

/**
 * The milliseconds of a Duration, or NaN when its amount is not finite. aws-cdk-lib's own conversion
 * throws for NaN and Infinity with a message that names no construct or prop.
 */
export function durationMillis(value: Duration): number {
  return value.toMilliseconds({ integral: false });
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
  if (value === undefined || isUnresolvedDuration(value)) {
    return;
  }
  const range = `between ${min.toHumanString()} and ${max.toHumanString()}`;
  if (!(value instanceof Duration)) {
    throw invalidProp(scope, prop, `must be a Duration ${range}`, value);
  }
  const millis = durationMillis(value);
  if (!Number.isFinite(millis) || millis < min.toMilliseconds() || millis > max.toMilliseconds()) {
    throw invalidProp(scope, prop, `must be ${range}`, value);
  }
  if (millis % 1000 !== 0) {
    throw invalidProp(scope, prop, `must be a whole number of seconds ${range}`, value);
  }
}

function isUnresolvedDuration(value: Duration): boolean {
  return value instanceof Duration && value.isUnresolved();
}

/**
 * One of the values of a string enum. A JavaScript or jsii caller can pass any string where
 * TypeScript expects an enum (`'gzip'` for `Compression.GZIP`); without this check the string reaches
 * the template, or a `switch` silently falls back to a default.
 *
 * @param enumName how the user names the enum, e.g. `WorkQueueEncryption`
 */
export function validateEnumValue<T extends string>(
  scope: IConstruct,
  prop: string,
  value: T | undefined,
  enumName: string,
  allowed: Record<string, T> | readonly T[],
): void {
  if (value === undefined) {
    return;
  }
  const values: readonly string[] = Array.isArray(allowed) ? allowed : Object.values(allowed);
  if (typeof value !== 'string' || !values.includes(value)) {
    const names = Array.isArray(allowed)
      ? values.map((v) => JSON.stringify(v))
      : Object.keys(allowed).map((key) => `${enumName}.${key}`);
    throw invalidProp(scope, prop, `must be one of ${joinAlternatives(names)}`, value);
  }
}

/** `a, b or c` */
export function joinAlternatives(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/**
 * How a refused value is shown: as the user wrote it. A token is shown as the CloudFormation
 * expression it stands for (`{"Ref":"Retention"}`), never as an unresolved `${Token[...]}` string.
 */
export function describeValue(scope: IConstruct, value: unknown): string {
  if (value instanceof Duration) {
    if (value.isUnresolved()) {
      return `a deploy-time Duration (${value.toString()})`;
    }
    return Number.isFinite(durationMillis(value)) ? value.toHumanString() : value.toString();
  }
  if (value instanceof Size) {
    return sizeAsWritten(scope, value);
  }
  if (value !== undefined && value !== null && Token.isUnresolved(value)) {
    return `a deploy-time value ${resolvedJson(scope, value)}`;
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (Array.isArray(value) || (typeof value === 'object' && value !== null && value.constructor === Object)) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function resolvedJson(scope: IConstruct, value: unknown): string {
  try {
    return JSON.stringify(Stack.of(scope).resolve(value));
  } catch {
    return '(unresolvable)';
  }
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toLocaleString('en-US') : String(value);
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
  if (typeof name !== 'string') {
    throw invalidProp(scope, prop, `must be a string`, name);
  }
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

/** The units of `Size`, by the name of the factory method, with the amount in that unit and the unit in GiB. */
export const SIZE_UNITS: Record<string, { readonly amount: (s: Size) => number; readonly gibibytes: number }> = {
  bytes: { amount: (s) => s.toBytes(), gibibytes: 1 / 1_073_741_824 },
  kibibytes: { amount: (s) => s.toKibibytes(), gibibytes: 1 / 1_048_576 },
  mebibytes: { amount: (s) => s.toMebibytes(), gibibytes: 1 / 1024 },
  gibibytes: { amount: (s) => s.toGibibytes(), gibibytes: 1 },
  tebibytes: { amount: (s) => s.toTebibytes(), gibibytes: 1024 },
  pebibytes: { amount: (s) => s.toPebibytes(), gibibytes: 1_048_576 },
};

/**
 * The unit a Size was given in. `Size.toString()` is its constructor form (`Size.mebibytes(1536)`) in
 * recent aws-cdk-lib only (`[object Object]` at the peer minimum), so the unit's label, which
 * every version keeps on the Size, is read first.
 */
export function sizeUnit(size: Size): string {
  const label = (size as unknown as { unit?: { label?: unknown } }).unit?.label;
  if (typeof label === 'string' && label in SIZE_UNITS) {
    return label;
  }
  return /^Size\.(\w+)\(/.exec(size.toString())?.[1] ?? '';
}

/** A Size as written: `Size.mebibytes(1536)`, a deploy-time one with its CloudFormation expression. */
export function sizeAsWritten(scope: IConstruct, size: Size): string {
  const unitName = sizeUnit(size);
  const amount = SIZE_UNITS[unitName]?.amount(size);
  if (amount === undefined) {
    return size.toString();
  }
  if (!Token.isUnresolved(amount)) {
    return `Size.${unitName}(${amount})`;
  }
  let resolved: unknown;
  try {
    resolved = Stack.of(scope).resolve(amount);
  } catch {
    resolved = undefined;
  }
  return `a deploy-time Size.${unitName}(${resolved === undefined ? '…' : JSON.stringify(resolved)})`;
}
