import { Duration, RemovalPolicy, Size, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import {
  SIZE_UNITS,
  describeValue,
  durationMillis,
  invalidProp,
  joinAlternatives,
  sizeUnit,
  validateDurationInRange,
} from '../validation';

/**
 * A value shown in an error as the user wrote it. `describeValue` prints an object by its `toString`; a
 * Duration or Size whose amount is a token would print the token's placeholder number, so its amount is
 * shown as the CloudFormation expression instead: `Duration.minutes(a deploy-time value {"Ref":"Interval"})`.
 */
class Written {
  constructor(private readonly text: string) {}

  public toString(): string {
    return this.text;
  }
}

/** A Duration or Size as written, for an error message. */
export function writtenAs(scope: IConstruct, value: Duration | Size): unknown {
  // A Size's own toString is its constructor form only in recent aws-cdk-lib (not at the peer minimum).
  const sizeUnitName = value instanceof Size ? sizeUnit(value) : '';
  const text =
    value instanceof Size && SIZE_UNITS[sizeUnitName]
      ? `Size.${sizeUnitName}(${SIZE_UNITS[sizeUnitName].amount(value)})`
      : value.toString();
  const match = /^((?:Duration|Size)\.\w+)\((.*)\)$/.exec(text);
  if (!match || !value.isUnresolved()) {
    return value;
  }
  const amount = Number(match[2]);
  return new Written(`${match[1]}(${Token.isUnresolved(amount) ? describeValue(scope, amount) : match[2]})`);
}

/**
 * `validateDurationInRange`, and a Duration too small for aws-cdk-lib to print (`Duration.days(6e-323)` prints
 * as an empty string) shown as written, so that the message still says what was received.
 */
export function validateDuration(
  scope: IConstruct,
  prop: string,
  value: Duration | undefined,
  min: Duration,
  max: Duration,
): void {
  if (value instanceof Duration && !value.isUnresolved()) {
    const millis = durationMillis(value);
    if (
      Number.isFinite(millis) &&
      value.toHumanString() === '' &&
      (millis < min.toMilliseconds() || millis > max.toMilliseconds())
    ) {
      throw invalidProp(
        scope,
        prop,
        `must be between ${min.toHumanString()} and ${max.toHumanString()}`,
        new Written(value.toString()),
      );
    }
  }
  validateDurationInRange(scope, prop, value, min, max);
}

/** The unit a Duration or Size was written in (`hours`, `mebibytes`, ...). */
export function unitOf(value: Duration | Size): string {
  return /^(?:Duration|Size)\.(\w+)\(/.exec(value.toString())?.[1] ?? 'unknown';
}

/**
 * A Duration whose amount is a deploy-time token reaches the template only in the unit CloudFormation
 * takes: a token cannot be multiplied at synth, and CloudFormation has no arithmetic. aws-cdk-lib refuses
 * the conversion itself, with no construct path; this refuses it first, saying which unit to use.
 */
export function validateTokenDurationUnit(
  scope: IConstruct,
  prop: string,
  value: Duration | undefined,
  unit: 'millis' | 'seconds' | 'minutes' | 'hours' | 'days',
  why: string,
): void {
  if (value === undefined || !(value instanceof Duration) || !value.isUnresolved() || unitOf(value) === unit) {
    return;
  }
  throw invalidProp(
    scope,
    prop,
    `must be written as Duration.${unit}(...) when its amount is known only at deploy time (${why})`,
    writtenAs(scope, value),
  );
}

/** An argument that must be something to grant to: a role, user or group (a JavaScript caller can pass anything). */
export function validateGrantee(scope: IConstruct, prop: string, grantee: unknown): void {
  const principal = (grantee as { grantPrincipal?: unknown } | undefined)?.grantPrincipal;
  if (typeof grantee !== 'object' || grantee === null || typeof principal !== 'object' || principal === null) {
    throw invalidProp(scope, prop, 'must be an iam.IGrantable (a role, user or group)', shapeOf(grantee));
  }
}

/** A reference that must be a construct of a kind, recognised by an attribute it must have (`streamArn`). */
export function validateReference(
  scope: IConstruct,
  prop: string,
  value: unknown,
  attribute: string,
  kind: string,
): void {
  if (value === undefined) {
    return;
  }
  const attr = (value as Record<string, unknown> | null)?.[attribute];
  if (typeof value !== 'object' || value === null || typeof attr !== 'string') {
    throw invalidProp(scope, prop, `must be ${kind}`, shapeOf(value));
  }
}

function shapeOf(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && value.constructor !== Object && !Array.isArray(value)) {
    return `an object of class ${value.constructor?.name ?? 'unknown'}`;
  }
  return value;
}

const SUPPORTED_REMOVAL_POLICIES = [
  RemovalPolicy.RETAIN,
  RemovalPolicy.DESTROY,
  RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
];

/**
 * A removal policy given to a method (`applyRemovalPolicy`, `addKclApplication` options): RETAIN, DESTROY or
 * RETAIN_ON_UPDATE_OR_DELETE. CloudFormation snapshots none of the resource types here, and a string that is
 * not a RemovalPolicy at all would make aws-cdk-lib throw with no construct path.
 */
export function validateRemovalPolicyArgument(
  scope: IConstruct,
  prop: string,
  policy: RemovalPolicy | undefined,
  resourceTypes: string,
): void {
  if (policy === undefined || SUPPORTED_REMOVAL_POLICIES.includes(policy)) {
    return;
  }
  const allowed = joinAlternatives(SUPPORTED_REMOVAL_POLICIES.map((p) => `RemovalPolicy.${removalPolicyName(p)}`));
  if (policy === RemovalPolicy.SNAPSHOT) {
    throw invalidProp(
      scope,
      prop,
      `must be ${allowed}: CloudFormation cannot snapshot ${resourceTypes}`,
      'RemovalPolicy.SNAPSHOT',
    );
  }
  throw invalidProp(scope, prop, `must be ${allowed}`, policy);
}

function removalPolicyName(policy: RemovalPolicy): string {
  return Object.entries(RemovalPolicy).find(([, value]) => value === policy)?.[0] ?? String(policy);
}

/** A boolean prop (a JavaScript caller can pass `'yes'`, which would otherwise count as true). */
export function validateBoolean(scope: IConstruct, prop: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidProp(scope, prop, 'must be true or false', value);
  }
}

/**
 * A grant whose key statements were dropped: the grantee takes no identity statements (a service, an account,
 * a role of another account), so aws-cdk-lib puts them in the resource's and the key's policies, and an
 * imported key's policy cannot be changed here. The grantee could then not decrypt, and nothing would say so.
 */
export function refuseDroppedKeyGrant(
  scope: IConstruct,
  prop: string,
  grantee: iam.IGrantable,
  grant: iam.Grant,
  key: kms.IKey | undefined,
  keyActions: string[],
): void {
  if (key === undefined || keyActions.length === 0 || key instanceof kms.Key || grant.principalStatements.length > 0) {
    return;
  }
  throw invalidProp(
    scope,
    prop,
    'must be a role, user or group of this account when the key is imported: ' +
      `its key policy cannot be changed here, so ${keyActions.join(', ')} would not be granted; add the grantee to the key's policy and grant the stream actions with grant()`,
    grantee.grantPrincipal.toString(),
  );
}
