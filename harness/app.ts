import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * Context that makes every error and warning of aws-cdk-lib's built-in CloudFormation
 * validator fail synthesis (the same flags as the repository's cdk.json).
 */
export const STRICT_VALIDATION_CONTEXT = {
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/core:strictCfnValidateErrors': true,
};

/** A fresh app whose synthesis fails on any CloudFormation validator finding, with any further context. */
export function strictApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...STRICT_VALIDATION_CONTEXT, ...context } });
}

/** A fresh stack, in a fresh strict app, in a fixed environment so snapshots are deterministic. */
export function strictStack(id = 'Stack'): Stack {
  return new Stack(strictApp(), id, { env: { account: '123456789012', region: 'us-east-1' } });
}

/** The logical id of an L2 construct's CloudFormation resource (its default child). */
export function logicalId(construct: IConstruct): string {
  const cfn = construct.node.defaultChild as CfnResource;
  return Stack.of(cfn).getLogicalId(cfn);
}

/**
 * A role a test grants to: the test's own, not the construct's, so the inline policy aws-cdk-lib's grants
 * give it is acknowledged for the three packs that reject inline policies.
 */
export function testRole(
  stack: Stack,
  id: string,
  assumedBy: iam.IPrincipal = new iam.AccountRootPrincipal(),
): iam.Role {
  const role = new iam.Role(stack, id, { assumedBy });
  for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
    Validations.of(role).acknowledge({ id: `${pack}-IAMNoInlinePolicy`, reason: "the test's own role" });
  }
  return role;
}

/** Every statement of every identity policy (inline and customer-managed) of a synthesized template. */
export function identityStatements(template: Template): any[] {
  return ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].flatMap((type) =>
    Object.values(template.findResources(type)).flatMap((policy: any) => policy.Properties.PolicyDocument.Statement),
  );
}

/**
 * The two ways a user's stack may be: env-agnostic (account and region are deploy-time tokens) and
 * with an explicit env. Every construct must synthesize clean in both: `describe.each(ENV_MATRIX)`.
 */
export const ENV_MATRIX: ReadonlyArray<readonly [string, (id?: string) => Stack]> = [
  ['env-agnostic', (id = 'Stack') => new Stack(strictApp(), id)],
  ['explicit env', (id = 'Stack') => strictStack(id)],
];

/**
 * The context the CDK CLI caches after looking up an account's availability zones. Tests and the
 * repository's app (which run with no AWS account) give it themselves; moto's zones are
 * `<region>a` … `<region>f`.
 */
export function availabilityZoneContext(
  account: string,
  region: string,
  zones: string[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((letter) => `${region}${letter}`),
): Record<string, string[]> {
  return { [`availability-zones:account=${account}:region=${region}`]: zones };
}

/** The version of the aws-cdk-lib the tests run against (the peer minimum in `npx projen test:peer-minimum`). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const CDK_VERSION: string = require('aws-cdk-lib/package.json').version;

/** True when the aws-cdk-lib in use is at least `version` (plain x.y.z). */
export function cdkAtLeast(version: string): boolean {
  const parts = (v: string) => v.split('.').map(Number);
  const [have, want] = [parts(CDK_VERSION), parts(version)];
  for (let i = 0; i < 3; i++) {
    if (have[i] !== want[i]) {
      return have[i] > want[i];
    }
  }
  return true;
}

/**
 * What makes synthesis of `app` fail on a validation report, or undefined when it succeeds. Recent
 * aws-cdk-lib throws it; older releases (the peer minimum, 2.258) print the report and set
 * `process.exitCode = 1`, so that `cdk synth` fails without `app.synth()` throwing. Both are failures.
 */
export function synthesisFailure(app: App): string | undefined {
  const printed: unknown[][] = [];
  const printError = console.error;
  console.error = (...args: unknown[]) => {
    printed.push(args);
  };
  const exitCodeBefore = process.exitCode;
  process.exitCode = undefined;
  try {
    app.synth();
    return process.exitCode === 1 ? printed.flat().map(String).join('\n') : undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    process.exitCode = exitCodeBefore;
    console.error = printError;
  }
}
