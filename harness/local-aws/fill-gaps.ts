import {
  DescribeStacksCommand,
  ListExportsCommand,
  ListStackResourcesCommand,
  Stack as CfnStack,
} from '@aws-sdk/client-cloudformation';
import { lookupAttribute } from './attributes';
import { FillContext, GAP_FILLERS, UNFILLED_RESOURCE_TYPES } from './fillers';
import { RemovedOutput, RemovedResource, RewrittenReference } from './prepare-template';
import {
  CfnTemplate,
  evaluateCondition,
  referencedLogicalIds,
  resolveValue,
  ResolveContext,
  UnresolvableError,
} from '../resolve-intrinsics';
import { LocalAws } from './runner';

/** A resource moto skipped (or created incompletely) that local-aws re-created through the service API. */
export interface FilledGap {
  readonly logicalId: string;
  readonly type: string;
  /** What `Ref` returns, when the resource has one (a subscription ARN, a delivery stream name). */
  readonly physicalId?: string;
  /** The API calls made, in words. */
  readonly action: string;
}

/** A resource that does not exist (or behave) in moto after the deploy, and why. */
export interface UnfilledGap {
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
  /** True when a filler exists but failed (its error is in `reason`). */
  readonly failed: boolean;
}

/** What the deploy could not do natively in moto, and what local-aws did about it. */
export interface GapReport {
  readonly filled: FilledGap[];
  readonly unfilled: UnfilledGap[];
  /** References to skipped resources replaced by literals before CreateStack (see prepareTemplateForMoto). */
  readonly rewrittenReferences: RewrittenReference[];
  /**
   * Outputs left out of the template given to moto because they refer to a left-out custom resource
   * (see prepareTemplateForMoto); the left-out resources themselves are under `unfilled`.
   */
  readonly removedOutputs: RemovedOutput[];
}

export interface FillGapsResult {
  readonly report: GapReport;
  /** Physical ids by logical id: moto's, plus those of the re-created resources. */
  readonly physicalIds: ReadonlyMap<string, string>;
  readonly stack: CfnStack;
  /** Failures of fillers that are not best effort; the deployer throws on them unless told otherwise. */
  readonly errors: UnfilledGap[];
  /** Removes what the fillers created outside the stack. */
  readonly undo: Array<() => Promise<void>>;
}

/**
 * After a stack is CREATE_COMPLETE in moto, re-creates the resources moto's CloudFormation skipped,
 * driven only by the template: every resource of a type in GAP_FILLERS is filled with its own
 * properties, intrinsics resolved against the stack (physical ids, parameters, service lookups).
 * Resources are filled in dependency order so one filled resource can refer to another.
 * `template` is the one given to moto; what prepareTemplateForMoto left out of it is passed in
 * `removed` and reported as unfilled.
 */
export async function fillGaps(
  local: LocalAws,
  stackName: string,
  template: CfnTemplate,
  rewrittenReferences: RewrittenReference[] = [],
  removed: { readonly resources?: RemovedResource[]; readonly outputs?: RemovedOutput[] } = {},
): Promise<FillGapsResult> {
  const cfn = local.cloudformation();
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks![0];
  const physicalIds = await listPhysicalIds(local, stackName);
  const resources = template.Resources ?? {};

  const ctx: ResolveContext = {
    template,
    pseudoParameters: {
      'AWS::Region': local.region,
      'AWS::AccountId': local.account,
      'AWS::StackName': stackName,
      'AWS::StackId': stack.StackId ?? '',
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    },
    parameters: Object.fromEntries(
      (stack.Parameters ?? []).map((p) => [p.ParameterKey!, p.ResolvedValue ?? p.ParameterValue ?? '']),
    ),
    physicalId: (logicalId) => physicalIds.get(logicalId),
    async getAtt(logicalId, attribute) {
      const resource = resources[logicalId];
      const physicalId = physicalIds.get(logicalId);
      if (!resource || !physicalId) {
        throw new UnresolvableError(`Fn::GetAtt ${logicalId}.${attribute}: ${logicalId} has no physical id in moto`);
      }
      return lookupAttribute(local, resource.Type, physicalId, attribute);
    },
    async importValue(name) {
      const exports = await listExports(local);
      const value = exports.get(name);
      if (value === undefined) {
        throw new UnresolvableError(`Fn::ImportValue ${name}: no such export`);
      }
      return value;
    },
  };

  const filled: FilledGap[] = [];
  const unfilled: UnfilledGap[] = [];
  const errors: UnfilledGap[] = [];
  const undo: Array<() => Promise<void>> = [];
  const toFill: string[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Condition && !(await evaluateCondition(resource.Condition, ctx))) {
      continue; // CloudFormation would not create it either.
    }
    if (GAP_FILLERS[resource.Type]) {
      toFill.push(logicalId);
    } else if (!physicalIds.get(logicalId)) {
      const reason =
        UNFILLED_RESOURCE_TYPES[resource.Type] ??
        `moto's CloudFormation does not create ${resource.Type} and local-aws has no filler for it.`;
      unfilled.push({ logicalId, type: resource.Type, reason, failed: false });
    }
  }

  for (const { logicalId, type, reason, condition } of removed.resources ?? []) {
    if (condition && !(await evaluateCondition(condition, ctx))) {
      continue;
    }
    unfilled.push({ logicalId, type, reason, failed: false });
  }

  for (const logicalId of dependencyOrder(toFill, template)) {
    const resource = resources[logicalId];
    const filler = GAP_FILLERS[resource.Type];
    const fillContext: FillContext = { local, stackName, logicalId, physicalId: physicalIds.get(logicalId) };
    const logMark = local.logMark();
    try {
      const { props: raw, dropped } = await dropUnresolvable(resource.Properties ?? {}, filler.optionalProperties, ctx);
      const props = (await resolveValue(raw, ctx)) as Record<string, unknown>;
      const result = await filler.fill(props, fillContext);
      if (result.physicalId) {
        physicalIds.set(logicalId, result.physicalId);
      }
      if (result.undo) {
        undo.push(result.undo);
      }
      const action = dropped.length ? `${result.action}; left out ${dropped.join('; ')}` : result.action;
      filled.push({ logicalId, type: resource.Type, physicalId: result.physicalId, action });
    } catch (e) {
      const reason = `re-creating it failed: ${errorText(e)}${motoException(local.logs(logMark))}`;
      const gap = { logicalId, type: resource.Type, reason, failed: true };
      unfilled.push(gap);
      if (!filler.bestEffort) {
        errors.push(gap);
      }
    }
  }

  return {
    report: { filled, unfilled, rewrittenReferences, removedOutputs: removed.outputs ?? [] },
    physicalIds,
    stack,
    errors,
    undo,
  };
}

/** A copy of `props` without the optional properties whose values cannot be resolved, and why each went. */
async function dropUnresolvable(
  props: Record<string, unknown>,
  optional: string[] | undefined,
  ctx: ResolveContext,
): Promise<{ props: Record<string, unknown>; dropped: string[] }> {
  const dropped: string[] = [];
  if (!optional?.length) {
    return { props, dropped };
  }
  const visit = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) {
      return Promise.all(value.map(visit));
    }
    if (typeof value !== 'object' || value === null) {
      return value;
    }
    const result: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (optional.includes(key)) {
        try {
          await resolveValue(inner, ctx);
        } catch (e) {
          if (!(e instanceof UnresolvableError)) {
            throw e;
          }
          dropped.push(`${key} (${e.message})`);
          continue;
        }
      }
      result[key] = await visit(inner);
    }
    return result;
  };
  return { props: (await visit(props)) as Record<string, unknown>, dropped };
}

/** Physical ids by logical id. moto lists skipped resources as rows with blank ids; those are dropped. */
async function listPhysicalIds(local: LocalAws, stackName: string): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  let NextToken: string | undefined;
  do {
    const page = await local.cloudformation().send(new ListStackResourcesCommand({ StackName: stackName, NextToken }));
    for (const row of page.StackResourceSummaries ?? []) {
      if (row.LogicalResourceId && row.PhysicalResourceId) {
        ids.set(row.LogicalResourceId, row.PhysicalResourceId);
      }
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return ids;
}

async function listExports(local: LocalAws): Promise<Map<string, string>> {
  const exports = new Map<string, string>();
  let NextToken: string | undefined;
  do {
    const page = await local.cloudformation().send(new ListExportsCommand({ NextToken }));
    for (const e of page.Exports ?? []) {
      exports.set(e.Name!, e.Value!);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return exports;
}

/** Orders `ids` so that each comes after the ids (of the same set) it refers to or depends on. */
function dependencyOrder(ids: string[], template: CfnTemplate): string[] {
  const pending = new Set(ids);
  const dependencies = new Map<string, string[]>();
  for (const id of ids) {
    const resource = template.Resources![id];
    const dependsOn = resource.DependsOn === undefined ? [] : ([] as string[]).concat(resource.DependsOn);
    const refs = [...referencedLogicalIds(resource.Properties ?? {}, template), ...dependsOn];
    dependencies.set(
      id,
      refs.filter((ref) => pending.has(ref) && ref !== id),
    );
  }
  const ordered: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter((id) => dependencies.get(id)!.every((dep) => !pending.has(dep)));
    // A cycle cannot deploy in CloudFormation either; fill the rest in template order and let them fail.
    const batch = ready.length > 0 ? ready : [...pending];
    for (const id of batch) {
      pending.delete(id);
      ordered.push(id);
    }
  }
  return ordered;
}

/** moto answers an internal error with a bare HTTP 500; the exception is only in its log. */
function motoException(log: string): string {
  if (!log.includes('Traceback (most recent call last)')) {
    return '';
  }
  const lines = log.slice(log.lastIndexOf('Traceback')).split('\n');
  const exception = lines.find((line) => /^\w[\w.]*(Error|Exception)\b/.test(line));
  return exception ? ` (moto: ${exception.trim()})` : '';
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
}
