import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { Duration, Stack, Stage } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import * as fc from 'fast-check';
import { complianceFindings } from '../harness/compliance';
import { DeployedStack, LocalAws } from '../harness/local-aws';
import { lambdaApiGet as lambdaApiGetAt } from '../harness/local-aws/http';
import { durationAround, numberToken } from '../harness/properties';

// Shared by the tests of QueueProcessingFunction and StreamProcessingFunction (not a test file itself).

/** A user's function, as a user would write it, with the findings any function of its kind carries. */
export function userFunction(
  scope: IConstruct,
  id = 'Handler',
  props: Partial<lambda.FunctionProps> = {},
): lambda.Function {
  return new lambda.Function(scope as Stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout: Duration.seconds(5),
    ...props,
  });
}

/** `path rule` of every finding of the app that holds `scope`, sorted. */
export function findingKeys(scope: IConstruct): string[] {
  return complianceFindings(Stage.of(scope) ?? scope)
    .map((finding) => `${finding.path} ${finding.rule}`)
    .sort();
}

/**
 * The findings the construct brings into an app: those of the app built with it that the same app built
 * without it does not have. `build(withConstruct)` builds the app both ways and returns a construct in it.
 */
export function findingsAddedBy(build: (withConstruct: boolean) => IConstruct): string[] {
  const without = new Set(findingKeys(build(false)));
  return findingKeys(build(true)).filter((key) => !without.has(key));
}

// Generators shared by the two property-based tests.

export const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 3 });

/** Mostly values a user would write, sometimes values at and past the limits. */
export function mostly<T>(usual: fc.Arbitrary<T>, edges: fc.Arbitrary<unknown>, usualWeight = 6): fc.Arbitrary<T> {
  return fc.oneof({ weight: usualWeight, arbitrary: usual }, { weight: 1, arbitrary: edges as fc.Arbitrary<T> });
}

export function weighted<T>(entries: Array<[T, number]>): fc.Arbitrary<T> {
  return fc.oneof(...entries.map(([value, weight]) => ({ weight, arbitrary: fc.constant(value) })));
}

/** A boolean prop, or what a JavaScript caller might pass instead. */
export const foreignBoolean = mostly<unknown>(fc.boolean(), fc.constantFrom<unknown>('false', 'true', 1, 0, null), 10);

export const seconds = (min: number, max: number) => fc.integer({ min, max }).map((n) => Duration.seconds(n));

export const HANDLER_KINDS = [
  'Function',
  'Alias',
  'imported with role',
  'imported without role',
  'not a function',
] as const;
export type HandlerKind = (typeof HANDLER_KINDS)[number];

export const handlerKindArbitrary = weighted<HandlerKind>([
  ['Function', 6],
  ['Alias', 2],
  ['imported with role', 2],
  ['imported without role', 1],
  ['not a function', 1],
]);

/** The function's timeout: a Duration prop, or a raw CloudFormation value set through the escape hatch. */
export interface TimeoutCase {
  readonly duration?: Duration;
  readonly raw?: number;
}

export const timeoutArbitrary: fc.Arbitrary<TimeoutCase> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ duration: optional(seconds(1, 10)) }) },
  { weight: 1, arbitrary: fc.record({ duration: optional(durationAround([1, 3, 5, 60, 900, 901])) }) },
  { weight: 1, arbitrary: fc.record({ raw: fc.constantFrom(0, 1, 900, 901, NaN, 2.5, numberToken(30)) }) },
);

/** The handler of a generated case, `Handler` in the stack. */
export function userHandler(stack: Stack, kind: HandlerKind, timeout: TimeoutCase, reservedConcurrency?: number): any {
  const own = () => {
    const fn = userFunction(stack, 'Handler', {
      timeout: timeout.duration,
      reservedConcurrentExecutions: reservedConcurrency,
    });
    if ('raw' in timeout) {
      (fn.node.defaultChild as lambda.CfnFunction).timeout = timeout.raw;
    }
    return fn;
  };
  switch (kind) {
    case 'Function':
      return own();
    case 'Alias':
      return new lambda.Alias(stack, 'Live', { aliasName: 'live', version: own().currentVersion });
    case 'imported with role':
      return lambda.Function.fromFunctionAttributes(stack, 'Handler', {
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:worker',
        role: iam.Role.fromRoleArn(stack, 'Role', 'arn:aws:iam::123456789012:role/worker'),
      });
    case 'imported without role':
      return lambda.Function.fromFunctionArn(stack, 'Handler', 'arn:aws:lambda:us-east-1:123456789012:function:worker');
    case 'not a function':
      return { functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:worker' };
  }
}

// Helpers of the behaviour tests in the embedded local AWS (moto).

/** A GET to moto's Lambda API (see harness/local-aws/http.ts). */
export function lambdaApiGet(local: LocalAws, path: string): Promise<any> {
  return lambdaApiGetAt(local.endpoint, local.region, local.credentials.accessKeyId, path);
}

/** The event source mapping with this UUID, as Lambda's GetEventSourceMapping returns it. */
export function getEventSourceMapping(local: LocalAws, uuid: string): Promise<any> {
  return lambdaApiGet(local, `/2015-03-31/event-source-mappings/${uuid}`);
}

/** The documents of the customer-managed policies attached to a role (AWS-managed ones are the user's). */
export async function customerPoliciesOfRole(local: LocalAws, roleName: string): Promise<any[]> {
  const client = local.client(IAMClient);
  const { AttachedPolicies } = await client.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  const documents = [];
  for (const { PolicyArn } of AttachedPolicies ?? []) {
    if (PolicyArn?.includes(':aws:policy/')) {
      continue;
    }
    const { Policy } = await client.send(new GetPolicyCommand({ PolicyArn }));
    const { PolicyVersion } = await client.send(
      new GetPolicyVersionCommand({ PolicyArn, VersionId: Policy!.DefaultVersionId }),
    );
    documents.push(JSON.parse(decodeURIComponent(PolicyVersion!.Document!)));
  }
  return documents;
}

/**
 * Deletes the stack. moto deletes the function's role before it detaches the customer-managed policy from
 * it and fails with DeleteConflict (CloudFormation deletes the policy first, since it references the role),
 * so moto is reset instead when that happens.
 */
export async function destroyOrReset(local: LocalAws, deployed: DeployedStack): Promise<void> {
  try {
    await deployed.destroy();
  } catch (error) {
    if (!/DeleteConflict|must detach all policies/.test(String(error))) {
      throw error;
    }
    await local.reset();
  }
}
