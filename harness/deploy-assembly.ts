// Deploys a synthesized cloud assembly (cdk.out) into the embedded local AWS with the project's CDK
// CLI, as the main job does: `cdk bootstrap`, `cdk deploy --all`, then, stack by stack, makes up for
// what moto's CloudFormation skips. Prints every step.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { cdkCliEnv, CdkCliResult, runCdkCli } from './cdk-cli';
import { DeployedStack, fillGapsAfterCliDeploy, LocalAws, prepareTemplateForMoto } from './local-aws';
import { DeployedStacks, indent, seconds, tail } from './report';

export interface DeployAssemblyOptions {
  /** The synthesized assembly; it stays as synthesis wrote it. */
  readonly assemblyDir: string;
  /**
   * A scratch directory outside the repository: the CLI runs there (so that it neither reads the
   * repo's cdk.json nor writes a cdk.context.json into it), and a rewritten copy of the assembly goes there.
   */
  readonly workDir: string;
  /** Stops the CLI (the demo's SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
}

interface StackToDeploy {
  readonly stackName: string;
  /** The template the CLI deploys: the repo's, or the rewritten copy's. */
  readonly templateFile: string;
}

/**
 * Every stack of the assembly, deployed and its gaps filled, by stack name; undefined when the
 * bootstrap, the deploy or any stack failed (what failed is printed).
 */
export async function deployAssembly(
  local: LocalAws,
  options: DeployAssemblyOptions,
): Promise<DeployedStacks | undefined> {
  const { workDir, signal } = options;
  const { appDir, stacks } = prepareAssembly(local, options.assemblyDir, workDir);
  const env = cdkCliEnv(local.env());
  const cli = async (what: string, args: string[]): Promise<CdkCliResult> => {
    const result = await runCdkCli(args, { cwd: workDir, env, signal });
    if (signal?.aborted) {
      return result; // Interrupted: the signal handler reports it.
    }
    console.log(
      `${what.padEnd(36)} ${result.exitCode === 0 ? 'ok' : `FAILED (exit ${result.exitCode})`}  ${seconds(result.ms)}`,
    );
    if (result.exitCode !== 0) {
      console.log(indent(tail(result.output, 40)));
    }
    return result;
  };

  const bootstrap = await cli('cdk bootstrap', ['bootstrap', `aws://${local.account}/${local.region}`]);
  if (bootstrap.exitCode !== 0) {
    return undefined;
  }
  // --method direct (CreateStack/UpdateStack) rather than the default change set: moto 5.2.5's
  // ExecuteChangeSet creates the resources but never evaluates the template's Outputs, so the stack
  // would have no JobQueueUrl; DescribeStacks after CreateStack has them.
  const deploy = await cli(`cdk deploy --all (${stacks.length} stack${stacks.length === 1 ? '' : 's'})`, [
    'deploy',
    '--app',
    appDir,
    '--all',
    '--require-approval',
    'never',
    '--method',
    'direct',
    '--progress',
    'events',
  ]);

  console.log('\nStacks (after fillGapsAfterCliDeploy):');
  const deployed = new Map<string, DeployedStack>();
  let failed = deploy.exitCode !== 0;
  for (const stack of stacks) {
    const status = await stackStatus(local, stack.stackName);
    if (!status.endsWith('_COMPLETE') || status.includes('ROLLBACK')) {
      console.log(`  ${stack.stackName.padEnd(24)} NOT DEPLOYED (${status})`);
      failed = true;
      continue;
    }
    try {
      const result = await fillGapsAfterCliDeploy(local, stack);
      deployed.set(stack.stackName, result);
      console.log(`  ${stack.stackName.padEnd(24)} ${describeDeployment(result)}`);
    } catch (e) {
      console.log(`  ${stack.stackName.padEnd(24)} FAILED filling gaps: ${(e as Error).message}`);
      failed = true;
    }
  }
  return failed ? undefined : deployed;
}

/**
 * The stacks of the assembly, deployable into moto. References to resources moto skips are made
 * literal (moto fails the stack on them) and custom resources are left out with the providers only
 * they use (moto cannot run their Lambda functions); when any template needs that, the whole
 * assembly is copied and the copy deployed, so the repo's cdk.out stays what synthesis wrote. The
 * copy's asset manifests still list the left-out functions' code, which `cdk deploy` publishes to
 * moto's S3 unused.
 */
function prepareAssembly(
  local: LocalAws,
  assemblyDir: string,
  workDir: string,
): { appDir: string; stacks: StackToDeploy[] } {
  const assembly = new cxapi.CloudAssembly(assemblyDir);
  const prepared = assembly.stacksRecursively.map((stack) => ({
    stack,
    ...prepareTemplateForMoto(stack.template, stack.stackName, local),
  }));
  const rewritten = prepared.reduce((sum, p) => sum + p.rewritten.length, 0);
  const removed = prepared.reduce((sum, p) => sum + p.removed.length + p.removedOutputs.length, 0);
  if (rewritten === 0 && removed === 0) {
    console.log(`Templates: ${prepared.length}, no references to resources moto skips (0 rewritten), 0 left out`);
    return {
      appDir: assemblyDir,
      stacks: prepared.map(({ stack }) => ({ stackName: stack.stackName, templateFile: stack.templateFullPath })),
    };
  }

  const copyDir = path.join(workDir, 'cdk.out');
  fs.cpSync(assemblyDir, copyDir, { recursive: true });
  console.log(
    `Templates: ${prepared.length}, ${rewritten} reference(s) to resources moto skips rewritten, ` +
      `${removed} custom resource(s), provider(s) and output(s) left out (in a copy)`,
  );
  const stacks = prepared.map(({ stack, template, rewritten: refs, removed: gone, removedOutputs }) => {
    const templateFile = path.join(copyDir, path.relative(assemblyDir, stack.templateFullPath));
    if (refs.length > 0 || gone.length > 0 || removedOutputs.length > 0) {
      fs.writeFileSync(templateFile, JSON.stringify(template, undefined, 1));
      for (const ref of refs) {
        console.log(
          `  ${stack.stackName}: ${ref.in} ${ref.reference} -> ${ref.exact ? '' : 'placeholder '}${ref.value}`,
        );
      }
      for (const resource of gone) {
        console.log(`  ${stack.stackName}: left out ${resource.logicalId} (${resource.type})`);
      }
      for (const output of removedOutputs) {
        console.log(`  ${stack.stackName}: left out Outputs.${output.key}`);
      }
    }
    return { stackName: stack.stackName, templateFile };
  });
  return { appDir: copyDir, stacks };
}

async function stackStatus(local: LocalAws, stackName: string): Promise<string> {
  try {
    const { Stacks } = await local.cloudformation().send(new DescribeStacksCommand({ StackName: stackName }));
    return Stacks?.[0]?.StackStatus ?? 'missing';
  } catch (e) {
    return `DescribeStacks failed: ${(e as Error).message}`;
  }
}

function describeDeployment(stack: DeployedStack): string {
  const filledIds = new Set(stack.gaps.filled.map((g) => g.logicalId));
  const unfilledIds = new Set(stack.gaps.unfilled.map((g) => g.logicalId));
  const byMoto = stack.resources.filter(
    (r) => r.physicalId !== undefined && !filledIds.has(r.logicalId) && !unfilledIds.has(r.logicalId),
  ).length;
  return (
    `${stack.resources.length} resources: ${byMoto} created by moto, ` +
    `${stack.gaps.filled.length} gaps filled${countTypes(stack.gaps.filled)}, ` +
    `${stack.gaps.unfilled.length} not filled${countTypes(stack.gaps.unfilled)}`
  );
}

function countTypes(gaps: ReadonlyArray<{ readonly type: string }>): string {
  const counts = new Map<string, number>();
  for (const { type } of gaps) {
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  const parts = [...counts].map(([type, n]) => (n > 1 ? `${type} x${n}` : type));
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}
