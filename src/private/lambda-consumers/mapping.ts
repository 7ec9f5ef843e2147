import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { isAwsManagedKey } from '../aws-managed-keys';
import { grantThroughManagedPolicy } from '../managed-policy-grants';
import { describeDuration, durationInSeconds, Shown } from '../queue-facts';
import { durationMillis, invalidProp, validateDurationInRange } from '../validation';

/**
 * The number a token stands for when it is known at synth (a `Lazy`), so that it is checked like a literal;
 * a value only the deployment knows (a parameter, an attribute) is returned as the token it is.
 */
export function synthNumber<T>(scope: IConstruct, value: T): T {
  if (typeof value !== 'number' || !Token.isUnresolved(value)) {
    return value;
  }
  try {
    const resolved = Stack.of(scope).resolve(value);
    return (typeof resolved === 'number' ? resolved : value) as T;
  } catch {
    return value;
  }
}

/** The props with the numbers of `keys` as `synthNumber` gives them, for the checks. */
export function withSynthNumbers<P extends object>(scope: IConstruct, props: P, keys: Array<keyof P>): P {
  const copy: P = { ...props };
  for (const key of keys) {
    copy[key] = synthNumber(scope, props[key]);
  }
  return copy;
}

/**
 * A Duration an event source mapping takes in whole seconds (`MaximumBatchingWindowInSeconds`,
 * `MaximumRecordAgeInSeconds`, `TumblingWindowInSeconds`): validated, then as seconds, or undefined when
 * unset. A token known at synth is checked like a literal; a deploy-time value passes through (converted
 * to seconds, or refused with its path when it is in another unit, which a template cannot convert).
 */
export function validatedSeconds(
  scope: IConstruct,
  prop: string,
  value: Duration | undefined,
  min: Duration,
  max: Duration,
): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (value instanceof Duration && !value.isUnresolved()) {
    const millis = durationMillis(value);
    // A Duration far below a millisecond reads as an empty string in `toHumanString`; show its amount.
    if (Number.isFinite(millis) && millis !== 0 && value.toHumanString() === '') {
      const range = `between ${min.toHumanString()} and ${max.toHumanString()}`;
      throw invalidProp(scope, prop, `must be a whole number of seconds ${range}`, new Shown(value.toString()));
    }
  }
  validateDurationInRange(scope, prop, value, min, max);
  const seconds = synthNumber(scope, durationInSeconds(scope, prop, value).toSeconds());
  if (value.isUnresolved() && !Token.isUnresolved(seconds)) {
    if (!Number.isInteger(seconds) || seconds < min.toSeconds() || seconds > max.toSeconds()) {
      throw invalidProp(
        scope,
        prop,
        `must be a whole number of seconds between ${min.toHumanString()} and ${max.toHumanString()}`,
        describeDuration(scope, value),
      );
    }
  }
  return seconds;
}

/** A Duration given as something else entirely (a JavaScript caller can pass a number). */
export function validateIsDuration(scope: IConstruct, prop: string, value: unknown): void {
  if (value !== undefined && !(value instanceof Duration)) {
    throw invalidProp(scope, prop, 'must be a Duration', value);
  }
}

/** The required function prop: a `lambda.IFunction`, not undefined or something else. */
export function validateHandler(scope: IConstruct, handler: unknown): asserts handler is lambda.IFunction {
  const candidate = handler as Partial<lambda.IFunction> | undefined;
  if (
    candidate === undefined ||
    candidate === null ||
    typeof candidate.functionArn !== 'string' ||
    candidate.node === undefined
  ) {
    throw invalidProp(scope, 'handler', 'must be a Lambda function (lambda.IFunction)', handler);
  }
}

/** Lambda's maximum function timeout: 900 seconds (Lambda quotas, "Function timeout: 900 seconds (15 minutes)"). */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/**
 * Refuses a function whose known timeout Lambda itself would refuse (over 15 minutes; Lambda quotas,
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). The construct reasons about
 * the timeout (the visibility-timeout rule, the alarms), so a value past the limit must not slip through.
 */
export function validateHandlerTimeout(scope: IConstruct, timeoutSeconds: number | undefined): void {
  if (timeoutSeconds === undefined) {
    return;
  }
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS) {
    throw invalidProp(
      scope,
      'handler timeout',
      "must be between 1 second and 15 minutes (Lambda's maximum function timeout), in seconds",
      timeoutSeconds,
    );
  }
}

/**
 * Lambda allows one event source mapping per function and event source: a second CreateEventSourceMapping
 * for the same pair fails with ResourceConflictException ("An event source mapping with SQS arn ... and
 * function ... already exists", "The event source arn ... and function ... provided mapping already
 * exists"), for SQS and Kinesis alike. Two constructs of this app mapping the same pair would fail the
 * deployment, so the second is refused at synth.
 */
const MAPPINGS = new WeakMap<IConstruct, Map<string, string>>();

export function claimMapping(
  scope: IConstruct,
  prop: string,
  handler: lambda.IFunction,
  source: { readonly node: IConstruct['node'] },
  sourceArn: string,
): void {
  const root = scope.node.root;
  let claims = MAPPINGS.get(root);
  if (!claims) {
    claims = new Map();
    MAPPINGS.set(root, claims);
  }
  const identity = (construct: IConstruct, arn: string) => (Token.isUnresolved(arn) ? construct.node.path : arn);
  const key = `${identity(handler, handler.functionArn)}\u0000${identity(source as IConstruct, sourceArn)}`;
  const earlier = claims.get(key);
  if (earlier !== undefined) {
    throw invalidProp(
      scope,
      prop,
      `must not be mapped to the same handler twice: Lambda allows one event source mapping per function and source, and ${earlier} already maps it to ${handler.node.path}`,
      Token.isUnresolved(sourceArn) ? source.node.path : sourceArn,
    );
  }
  claims.set(key, scope.node.path);
}

/**
 * An on-failure destination given by ARN only: the grants it needs are made by the construct, through
 * its managed policy, instead of the inline policy aws-cdk-lib's `SqsDlq` would add to the user's role.
 */
export class GrantedDestination implements lambda.IEventSourceDlq {
  constructor(private readonly destination: string) {}

  public bind(_target: lambda.IEventSourceMapping, _targetHandler: lambda.IFunction): lambda.DlqDestinationConfig {
    return { destination: this.destination };
  }
}

/** A statement of exact actions on exact resources. */
export function allow(actions: string[], resources: string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({ actions, resources });
}

/**
 * Grants the function's execution role what the event source mapping needs, through a customer-managed
 * policy of the construct attached to that role: aws-cdk-lib's grants would add an inline policy to the
 * user's role, a finding of the NIST, HIPAA and PCI packs (IAMNoInlinePolicy) that the construct would
 * bring into the user's app. The mapping depends on the policy, because Lambda checks the role's
 * permissions when it creates the mapping ("The provided execution role does not have permissions to
 * call ReceiveMessage on SQS", aws/aws-cdk#6770) and CloudFormation would otherwise create both at once.
 */
export function grantToHandler(
  scope: Construct,
  id: string,
  description: string,
  handler: lambda.IFunction,
  statements: iam.PolicyStatement[],
): iam.ManagedPolicy {
  const policy = new iam.ManagedPolicy(scope, id, { description });
  const grant = grantThroughManagedPolicy(policy, handler, statements);
  // An imported function without a role has an UnknownPrincipal, which "takes" every statement and
  // keeps none (only a warning says so): the policy stays empty and the mapping could not read.
  if (!grant.success || policy.document.isEmpty) {
    throw invalidProp(
      scope,
      'handler',
      'must have an execution role this app can grant to (import the function with its role: ' +
        'lambda.Function.fromFunctionAttributes({ functionArn, role })), or the event source mapping cannot read its source',
      handler.functionArn,
    );
  }
  return policy;
}

/** Exact actions on a customer-managed key, as a statement, or nothing when there is no key to grant on. */
export function keyStatement(
  key: kms.IKey | undefined,
  actions: string[],
  awsManagedAlias: string,
): iam.PolicyStatement[] {
  // An AWS-managed key (`alias/aws/sqs`, `alias/aws/kinesis`) lets every principal of the account use it
  // through its service by its own key policy; a grant on the alias's ARN would authorize nothing.
  if (key === undefined || isAwsManagedKey(key, awsManagedAlias)) {
    return [];
  }
  return [allow(actions, [key.keyArn])];
}
