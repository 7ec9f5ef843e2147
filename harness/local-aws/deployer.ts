import * as fs from 'node:fs';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import {
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { fillGaps, GapReport } from './fill-gaps';
import { PreparedTemplate, prepareTemplateForMoto } from './prepare-template';
import { CfnTemplate } from '../resolve-intrinsics';
import { LocalAws } from './runner';

export type { FilledGap, GapReport, UnfilledGap } from './fill-gaps';
export { UNFILLED_RESOURCE_TYPES } from './fillers';
export { prepareTemplateForMoto } from './prepare-template';
export type { PreparedTemplate, RemovedOutput, RemovedResource, RewrittenReference } from './prepare-template';

/**
 * The value seeded for CDK's bootstrap-version SSM parameter, which moto resolves from SSM (HTTP 500
 * when it is missing). Seeding keeps the `BootstrapVersion` parameter and the CheckBootstrapVersion
 * rule in the template, as the CLI deploys them; any version >= 6 satisfies the rule.
 */
export const SEEDED_BOOTSTRAP_VERSION = '30';

/** One resource of a deployed stack. */
export interface DeployedResource {
  readonly logicalId: string;
  readonly type: string;
  /** What `Ref` returns; undefined when moto did not create it and nothing re-created it. */
  readonly physicalId?: string;
  /** The construct path of the L1 resource, e.g. `Stack/Jobs/DeadLetterQueue/Resource`. */
  readonly path?: string;
}

export interface DeployOptions {
  /**
   * The CloudFormation stack name.
   * @default - the stack's `stackName`
   */
  readonly stackName?: string;
  /**
   * Throw (after deleting the stack) when a resource that local-aws knows how to re-create could not
   * be re-created; best-effort types such as Firehose delivery streams are only reported.
   * @default true
   */
  readonly failOnGapErrors?: boolean;
  /**
   * How long to wait for CREATE_COMPLETE.
   * @default 120_000
   */
  readonly timeoutMs?: number;
}

/** A stack deployed into moto, with its physical ids and what moto could not create. */
export class DeployedStack {
  private destroyed: Promise<void> | undefined;

  constructor(
    private readonly local: LocalAws,
    public readonly stackName: string,
    public readonly stackId: string,
    public readonly outputs: Readonly<Record<string, string>>,
    public readonly resources: readonly DeployedResource[],
    public readonly gaps: GapReport,
    private readonly undo: ReadonlyArray<() => Promise<void>>,
  ) {}

  /** The physical id (what `Ref` returns) of a resource by logical id. */
  public physicalId(logicalId: string): string {
    const resource = this.resources.find((r) => r.logicalId === logicalId);
    if (!resource) {
      throw new Error(
        `${this.stackName} has no resource ${logicalId}; logical ids: ${this.resources.map((r) => r.logicalId).join(', ')}`,
      );
    }
    return this.requirePhysicalId(resource);
  }

  /**
   * The physical id of a resource by construct path: either the L1's own path
   * (`Stack/Jobs/DeadLetterQueue/Resource`) or its L2's (`Stack/Jobs/DeadLetterQueue`).
   */
  public byPath(constructPath: string): string {
    const wanted = constructPath.replace(/^\/+|\/+$/g, '');
    const matches = this.resources.filter(
      (r) => r.path === wanted || r.path === `${wanted}/Resource` || r.path === `${wanted}/Default`,
    );
    if (matches.length === 0) {
      const known = this.resources.filter((r) => r.path).map((r) => r.path);
      throw new Error(`${this.stackName} has no resource at ${constructPath}; construct paths: ${known.join(', ')}`);
    }
    if (matches.length > 1) {
      throw new Error(`${constructPath} is ambiguous: ${matches.map((r) => r.path).join(', ')}`);
    }
    return this.requirePhysicalId(matches[0]);
  }

  /** Deletes the stack and whatever local-aws created outside it. Idempotent. */
  public destroy(): Promise<void> {
    this.destroyed ??= this.doDestroy();
    return this.destroyed;
  }

  private async doDestroy(): Promise<void> {
    for (const step of [...this.undo].reverse()) {
      await step().catch(() => undefined); // The stack deletion below may have made it moot.
    }
    const cfn = this.local.cloudformation();
    await cfn.send(new DeleteStackCommand({ StackName: this.stackName }));
    await waitForStatus(cfn, this.stackId, 60_000, 'DELETE');
  }

  private requirePhysicalId(resource: DeployedResource): string {
    if (!resource.physicalId) {
      const gap = this.gaps.unfilled.find((g) => g.logicalId === resource.logicalId);
      throw new Error(
        `${resource.path ?? resource.logicalId} (${resource.type}) does not exist in moto: ${gap?.reason ?? 'no physical id'}`,
      );
    }
    return resource.physicalId;
  }
}

/**
 * Synthesizes the stack's app and deploys the stack into moto with CloudFormation CreateStack, then
 * re-creates what moto's CloudFormation skips (see `fillGaps`). References from created resources to
 * skipped ones are made literal first, since moto fails on them, and custom resources (with the
 * providers only they use) are left out, since moto cannot run their Lambda functions; they are
 * reported as unfilled gaps (see `prepareTemplateForMoto`).
 * On failure the error carries the stack events and moto's traceback, and moto is reset, because a
 * failed stack breaks DescribeStacks for every later stack; that reset also removes anything else
 * deployed on this server.
 */
export async function deployStack(local: LocalAws, stack: Stack, options: DeployOptions = {}): Promise<DeployedStack> {
  const stage = Stage.of(stack);
  if (!stage) {
    throw new Error(`${stack.node.path} is not in an App or Stage, so it cannot be synthesized`);
  }
  const artifact = stage.synth({ force: true }).getStackArtifact(stack.artifactId);
  const stackName = options.stackName ?? stack.stackName;
  const prepared = prepareTemplateForMoto(artifact.template as CfnTemplate, stackName, local);
  const template = prepared.template;
  const cfn = local.cloudformation();

  await seedBootstrapVersion(local, template);
  const logMark = local.logMark();
  try {
    const { StackId } = await cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: JSON.stringify(template),
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
      }),
    );
    await waitForStatus(cfn, StackId!, options.timeoutMs ?? 120_000, 'CREATE');
  } catch (e) {
    const events = await describeEvents(cfn, stackName);
    const log = motoTraceback(local.logs(logMark));
    await local.reset().catch(() => undefined); // Keep the deploy error, not a reset error.

    throw new Error(
      `Deploying ${stackName} into moto failed: ${(e as Error).message}` +
        `${events ? `\nStack events:\n${events}` : ''}${log ? `\nmoto log:\n${log}` : ''}` +
        '\n(moto was reset so that later stacks are not affected)',
    );
  }
  return finishDeployment(local, stackName, prepared, pathsFromConstructTree(stack), options);
}

export interface CliDeployedStackOptions {
  /** The stack name `cdk deploy` used. */
  readonly stackName: string;
  /**
   * The synthesized template, e.g. `cdk.out/<artifactId>.template.json`, or the copy that
   * `prepareTemplateForMoto` made of it and `cdk deploy` deployed (either gives the same report).
   */
  readonly templateFile: string;
  /**
   * As for {@link deployStack}.
   * @default true
   */
  readonly failOnGapErrors?: boolean;
}

/**
 * The gap-filling step of {@link deployStack} for a stack that the CDK CLI deployed into moto
 * (`cdk deploy` with `AWS_ENDPOINT_URL` from `local.env()`). Call it once after the deploy.
 * Construct paths come from the template's `aws:cdk:path` metadata, which the CLI enables.
 * If the stack uses `Fn::GetAtt` on a skipped resource (a grant on a Firehose delivery stream) or has
 * a custom resource, the CLI deploy fails (or hangs) in moto; run `cdk synth`, rewrite the template
 * file with `prepareTemplateForMoto`, then `cdk deploy --app cdk.out`. The rewritten file records
 * what was left out (in its `Metadata`), so this reports it as unfilled either way.
 */
export async function fillGapsAfterCliDeploy(
  local: LocalAws,
  options: CliDeployedStackOptions,
): Promise<DeployedStack> {
  const template = JSON.parse(fs.readFileSync(options.templateFile, 'utf8')) as CfnTemplate;
  // Preparing a prepared template changes nothing; preparing the synthesized one gives what was deployed.
  const prepared = prepareTemplateForMoto(template, options.stackName, local);
  return finishDeployment(local, options.stackName, prepared, new Map(), options);
}

async function finishDeployment(
  local: LocalAws,
  stackName: string,
  prepared: PreparedTemplate,
  treePaths: ReadonlyMap<string, string>,
  options: { readonly failOnGapErrors?: boolean },
): Promise<DeployedStack> {
  const { template, rewritten, removed, removedOutputs } = prepared;
  const result = await fillGaps(local, stackName, template, rewritten, { resources: removed, outputs: removedOutputs });
  const deployed = new DeployedStack(
    local,
    stackName,
    result.stack.StackId!,
    Object.fromEntries((result.stack.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue ?? ''])),
    [
      ...Object.entries(template.Resources ?? {}).map(([logicalId, resource]) => ({
        logicalId,
        type: resource.Type,
        physicalId: result.physicalIds.get(logicalId),
        path: treePaths.get(logicalId) ?? (resource.Metadata?.['aws:cdk:path'] as string | undefined),
      })),
      // Left out of the template given to moto: no physical id, and `unfilled` says why.
      ...removed.map(({ logicalId, type, path }) => ({ logicalId, type, path: treePaths.get(logicalId) ?? path })),
    ],
    result.report,
    result.undo,
  );
  if (result.errors.length > 0 && (options.failOnGapErrors ?? true)) {
    const details = result.errors.map((g) => `  ${g.logicalId} (${g.type}): ${g.reason}`).join('\n');
    await deployed.destroy().catch(() => undefined);
    throw new Error(`${stackName} deployed, but resources moto skipped could not be re-created:\n${details}`);
  }
  return deployed;
}

/**
 * Logical id → construct path from the construct tree. Unit-test Apps do not emit `aws:cdk:path`
 * metadata (only the CLI turns it on), so the tree is the reliable source when we have the stack.
 */
function pathsFromConstructTree(stack: Stack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    if (CfnResource.isCfnResource(construct) && Stack.of(construct) === stack) {
      paths.set(stack.resolve(construct.logicalId) as string, construct.node.path);
    }
  }
  return paths;
}

/** Seeds the SSM parameter behind CDK's `BootstrapVersion` parameter unless `cdk bootstrap` already made it. */
async function seedBootstrapVersion(local: LocalAws, template: CfnTemplate): Promise<void> {
  const parameter = template.Parameters?.BootstrapVersion;
  const name = parameter?.Default;
  if (!parameter?.Type?.startsWith('AWS::SSM::Parameter::Value') || typeof name !== 'string') {
    return;
  }
  const ssm = local.ssm();
  try {
    await ssm.send(new GetParameterCommand({ Name: name }));
  } catch (e) {
    if (!(e instanceof ParameterNotFound)) {
      throw e;
    }
    await ssm
      .send(new PutParameterCommand({ Name: name, Value: SEEDED_BOOTSTRAP_VERSION, Type: 'String' }))
      .catch((err: unknown) => {
        // A concurrent deploy on the same server seeded it first.
        if (!(err instanceof ParameterAlreadyExists)) {
          throw err;
        }
      });
  }
}

async function waitForStatus(
  cfn: CloudFormationClient,
  stackId: string,
  timeoutMs: number,
  operation: 'CREATE' | 'DELETE',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const Stacks = await cfn.send(new DescribeStacksCommand({ StackName: stackId })).then(
      (res) => res.Stacks,
      (e: Error) => {
        // A deleted stack may be reported as gone rather than as DELETE_COMPLETE.
        if (operation === 'DELETE' && /does not exist/.test(e.message)) {
          return [];
        }
        throw e;
      },
    );
    const status = Stacks?.[0]?.StackStatus ?? 'DELETE_COMPLETE';
    if (status === `${operation}_COMPLETE`) {
      return;
    }
    if (!status.endsWith('_IN_PROGRESS')) {
      throw new Error(`stack is ${status}: ${Stacks?.[0]?.StackStatusReason ?? 'no reason given'}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`stack still ${status} after ${timeoutMs} ms`);
    }
    // moto works synchronously, so this loop rarely turns more than once.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function describeEvents(cfn: CloudFormationClient, stackName: string): Promise<string> {
  try {
    const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
    return (StackEvents ?? [])
      .map((e) => `  ${e.LogicalResourceId} ${e.ResourceType} ${e.ResourceStatus} ${e.ResourceStatusReason ?? ''}`)
      .reverse()
      .join('\n');
  } catch {
    return ''; // A failed stack often breaks this call in moto too.
  }
}

/** The last Python traceback in moto's log: moto answers HTTP 500 and explains only there. */
function motoTraceback(log: string): string {
  const start = log.lastIndexOf('Traceback (most recent call last)');
  return start < 0 ? '' : log.slice(start).split('\n').slice(-40).join('\n');
}
