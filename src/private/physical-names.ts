import { Stack, Stage, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { invalidProp } from './validation';

/**
 * The physical names this app has given, per kind of resource, so that two constructs asking for
 * the same literal name fail at synth instead of at deploy ("already exists", after a rollback).
 *
 * A name is scoped to where it must be unique: for most kinds an account and a region. An
 * env-agnostic stack may deploy anywhere, so its names are compared with those of every stack of the
 * same Stage (stacks deployed together); Stages are how an app targets different environments, so
 * env-agnostic stacks of two Stages are not compared.
 * Names are compared after any truncation the construct applies, so two long names that become the
 * same once cut are caught too. Tokens are not compared: their value is known only at deploy time.
 */
interface Claim {
  readonly path: string;
  readonly what: string;
  readonly account?: string;
  readonly region?: string;
  readonly owner?: IConstruct;
  readonly stage: IConstruct;
  readonly global: boolean;
}

const CLAIMS = new WeakMap<IConstruct, Map<string, Claim[]>>();

export interface PhysicalNameClaim {
  /** The kind of resource, with the scope its names are unique in, e.g. `SQS queue`. */
  readonly kind: string;
  /** The name, as it will be in the template. */
  readonly name: string;
  /** The prop the name comes from, for the message (`queueName`, `addConsumer consumerName`). */
  readonly prop: string;
  /** What the name is given to when it is not the construct itself, e.g. `its dead-letter queue`. */
  readonly what?: string;
  /**
   * Where the name must be unique. `'region'`: per account and region (SQS, SNS, Amazon MQ, DynamoDB);
   * `'global'`: everywhere (S3 bucket names); `IConstruct`: within that construct (consumers of a stream).
   * @default 'region'
   */
  readonly uniqueIn?: 'region' | 'global' | IConstruct;
}

/** Records a literal physical name, and refuses one this app already gave in the same scope. */
export function claimPhysicalName(scope: IConstruct, claim: PhysicalNameClaim): void {
  if (Token.isUnresolved(claim.name)) {
    return;
  }
  const root = scope.node.root;
  let claims = CLAIMS.get(root);
  if (!claims) {
    claims = new Map();
    CLAIMS.set(root, claims);
  }
  const key = `${claim.kind}\u0000${claim.name}`;
  const stack = Stack.of(scope);
  const uniqueIn = claim.uniqueIn ?? 'region';
  const mine: Claim = {
    path: scope.node.path,
    what: claim.what ?? 'it',
    account: uniqueIn === 'region' ? resolvedOrUndefined(stack.account) : undefined,
    region: uniqueIn === 'region' ? resolvedOrUndefined(stack.region) : undefined,
    owner: typeof uniqueIn === 'object' ? uniqueIn : undefined,
    stage: Stage.of(scope) ?? root,
    global: uniqueIn === 'global',
  };
  const earlier = claims.get(key) ?? [];
  const clash = earlier.find((other) => overlaps(other, mine));
  if (clash) {
    const where =
      typeof uniqueIn === 'object'
        ? `within ${uniqueIn.node.path}`
        : uniqueIn === 'global'
          ? 'across all AWS accounts'
          : 'within one account and region';
    const given = clash.what === 'it' ? clash.path : `${clash.path} (${clash.what})`;
    const mineWhat = claim.what ? ` for ${claim.what}` : '';
    throw invalidProp(
      scope,
      claim.prop,
      `must give a ${claim.kind} name unique ${where}; the name${mineWhat} is already given to ${given}`,
      claim.name,
    );
  }
  claims.set(key, [...earlier, mine]);
}

function overlaps(a: Claim, b: Claim): boolean {
  if (a.owner || b.owner) {
    return a.owner === b.owner;
  }
  if (a.global || b.global) {
    return true;
  }
  const envKnown = a.account && a.region && b.account && b.region;
  if (!envKnown) {
    return a.stage === b.stage && sameOrUnknown(a.account, b.account) && sameOrUnknown(a.region, b.region);
  }
  return a.account === b.account && a.region === b.region;
}

function sameOrUnknown(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

function resolvedOrUndefined(value: string): string | undefined {
  return Token.isUnresolved(value) ? undefined : value;
}
