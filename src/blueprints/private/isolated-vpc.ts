import { ContextProvider, Stack, Token } from 'aws-cdk-lib';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import { invalidProp } from '../../private/validation';

// The blueprints' VPC is the public IsolatedVpc (src/isolated-vpc.ts); what stays here is how the
// blueprints choose its zones.

/**
 * The availability zones of a blueprint's VPC, `count` of them.
 *
 * - Given zones are checked (enough of them, distinct, of the stack's region) and used.
 * - An environment-agnostic stack uses `Fn::GetAZs`: the zones of whatever account and region it is
 *   deployed to.
 * - An environment-specific stack uses the zones the CDK CLI looked up for that account and region
 *   (the `availability-zones:account=…:region=…` context), like any aws-cdk-lib VPC. When they are not
 *   cached yet, nothing is guessed: the VPC asks for them (missing context), and the CLI looks them up
 *   and synthesizes again. Zone names are mapped per account, and not every account has zones `a` and
 *   `b` in every region (EC2 User Guide, "Availability Zones": "AWS maps the physical Availability Zones
 *   randomly to the Availability Zone names for each AWS account"; some regions offer new accounts
 *   only some letters), so a guess such as `<region>a` can name a zone the account does not have.
 * - When the CLI could not look them up, it records an error marker (`$providerError`) in the context
 *   instead of zones. That marker is reported as such, with what to do; it is never read as zones.
 */
export function blueprintAvailabilityZones(
  stack: Stack,
  given: string[] | undefined,
  count: number,
): string[] | undefined {
  if (given !== undefined) {
    validateGivenZones(stack, given, count);
    return given.slice(0, count);
  }
  if (Token.isUnresolved(stack.region) || Token.isUnresolved(stack.account)) {
    return undefined;
  }
  const key = ContextProvider.getKey(stack, { provider: cxschema.ContextProvider.AVAILABILITY_ZONE_PROVIDER }).key;
  const cached: unknown = stack.node.tryGetContext(key);
  if (cached === undefined) {
    return undefined;
  }
  if (typeof cached === 'object' && cached !== null && PROVIDER_ERROR_KEY in cached) {
    throw invalidProp(
      stack,
      'availabilityZones',
      `must be given, because the CDK CLI could not look up the zones of account ${stack.account} in ` +
        `${stack.region} (${String((cached as Record<string, unknown>)[PROVIDER_ERROR_KEY])}); pass ` +
        `availabilityZones, or fix the lookup and clear it with "cdk context --reset ${key}"`,
      cached,
    );
  }
  if (!Array.isArray(cached) || cached.length < count || !cached.every((zone) => typeof zone === 'string')) {
    throw invalidProp(
      stack,
      'availabilityZones',
      `must be given, because the context "${key}" does not list at least ${count} zones`,
      cached,
    );
  }
  return cached.slice(0, count);
}

/** The key the CDK CLI writes into a context value whose lookup failed (aws-cdk-lib's cx-api PROVIDER_ERROR_KEY). */
const PROVIDER_ERROR_KEY = '$providerError';

function validateGivenZones(stack: Stack, zones: string[], count: number): void {
  if (!Array.isArray(zones) || zones.length < count) {
    throw invalidProp(stack, 'availabilityZones', `must list at least ${count} availability zones`, zones);
  }
  const literal = zones.filter((zone) => !Token.isUnresolved(zone));
  if (new Set(literal).size !== literal.length) {
    throw invalidProp(stack, 'availabilityZones', 'must list distinct availability zones', zones);
  }
  if (!Token.isUnresolved(stack.region)) {
    const foreign = literal.find((zone) => typeof zone !== 'string' || !zone.startsWith(`${stack.region}`));
    if (foreign !== undefined) {
      throw invalidProp(stack, 'availabilityZones', `must name zones of the stack's region ${stack.region}`, zones);
    }
  }
}
