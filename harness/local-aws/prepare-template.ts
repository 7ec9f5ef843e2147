import { GAP_FILLERS, MOTO_SKIPPED_TYPES, UNFILLED_RESOURCE_TYPES } from './fillers';
import { CfnResource, CfnTemplate, referencedLogicalIds } from '../resolve-intrinsics';

/** A reference to a resource moto skips (or that was left out), replaced by a literal in the template given to moto. */
export interface RewrittenReference {
  /** Where it was: the referring resource's logical id, or `Outputs.<key>`. */
  readonly in: string;
  /** What it was, e.g. `Fn::GetAtt Stream.Arn`. */
  readonly reference: string;
  /** The literal put in its place. */
  readonly value: string;
  /** True when the value is what the re-created resource really has; false for a placeholder. */
  readonly exact: boolean;
}

/** A resource left out of the template given to moto (a custom resource, or a provider used only by them). */
export interface RemovedResource {
  readonly logicalId: string;
  readonly type: string;
  /** Why it is not in moto, for the gap report. */
  readonly reason: string;
  /** Its `Condition`, if it has one: when that is false, CloudFormation would not create it either. */
  readonly condition?: string;
  /** Its `aws:cdk:path` metadata, when the template has it. */
  readonly path?: string;
}

/** An Output left out of the template given to moto because it refers to a removed resource. */
export interface RemovedOutput {
  readonly key: string;
  readonly reason: string;
}

export interface PreparedTemplate {
  readonly template: CfnTemplate;
  readonly rewritten: RewrittenReference[];
  /**
   * The resources left out of `template`, including those an earlier `prepareTemplateForMoto` left
   * out (recorded in the template's `Metadata`), so preparing a prepared template changes nothing.
   */
  readonly removed: RemovedResource[];
  /** The Outputs left out of `template`, likewise. */
  readonly removedOutputs: RemovedOutput[];
}

/**
 * The key, in a prepared template's top-level `Metadata`, of what was left out, so that a prepared
 * template written to a file (and deployed with `cdk deploy`) still tells `fillGapsAfterCliDeploy`.
 */
export const REMOVED_METADATA_KEY = 'LocalAws::Removed';

/** Why a `Custom::` resource of a type without an entry in UNFILLED_RESOURCE_TYPES is not in moto. */
export const CUSTOM_RESOURCE_REASON =
  "A custom resource: moto's CloudFormation would invoke the Lambda function its ServiceToken names, which cannot " +
  'run here, and wait for its answer (the stack would stay CREATE_IN_PROGRESS), so it is left out (with a provider ' +
  'only it uses); what it does happens only in AWS. Assert its properties on the template.';

/**
 * moto's CloudFormation fails the whole stack when a resource it creates (or an Output) uses
 * `Fn::GetAtt` on a resource it skips, e.g. an IAM policy granting on a Firehose delivery stream.
 * This returns a copy of the template in which such references are literals: the real value when
 * the filler can predict the identity it will create (a delivery stream's name and ARN), otherwise
 * an ARN-shaped placeholder (moto validates ARNs in IAM policies). `Ref`s are replaced only when
 * predictable; moto resolves the others to nothing without failing. The skipped resources
 * themselves are left untouched for the gap fillers to read.
 *
 * Custom resources (`Custom::*`, `AWS::CloudFormation::CustomResource`) are removed from the copy:
 * moto would invoke the Lambda function of a `Custom::` one, which does not run here, and the stack
 * would never leave CREATE_IN_PROGRESS (it has no model for the other type). So is their provider when only they use it, found through the
 * template alone: the `AWS::Lambda::Function` their `ServiceToken` names, and its `Role` when only
 * removed resources use that. `DependsOn` entries naming removed resources are dropped, Outputs that
 * refer to them are removed, and any other reference to them becomes a placeholder (moto fails on a
 * reference to a resource the template lacks). The removals are returned, and recorded in the
 * copy's `Metadata` under REMOVED_METADATA_KEY, for the gap report.
 */
export function prepareTemplateForMoto(
  template: CfnTemplate,
  stackName: string,
  env: { readonly region: string; readonly account: string },
): PreparedTemplate {
  const copy = JSON.parse(JSON.stringify(template)) as {
    Resources?: Record<string, MutableResource>;
    Outputs?: Record<string, unknown>;
    Metadata?: Record<string, unknown>;
  };
  const resources = copy.Resources ?? {};
  const earlier = copy.Metadata?.[REMOVED_METADATA_KEY] as
    { resources?: RemovedResource[]; outputs?: RemovedOutput[] } | undefined;
  const removals = removeCustomResources(copy);
  const removed = [...(earlier?.resources ?? []), ...removals.resources];
  const removedOutputs = [...(earlier?.outputs ?? []), ...removals.outputs];
  const removedIds = new Set(removals.resources.map((r) => r.logicalId));
  if (removed.length > 0 || removedOutputs.length > 0) {
    copy.Metadata = { ...copy.Metadata, [REMOVED_METADATA_KEY]: { resources: removed, outputs: removedOutputs } };
  }

  const skipped = new Map<string, Identity | undefined>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (MOTO_SKIPPED_TYPES.has(resource.Type)) {
      const predict = GAP_FILLERS[resource.Type]?.predict;
      skipped.set(logicalId, predict?.({ logicalId, stackName, props: resource.Properties ?? {}, ...env }));
    }
  }
  const rewritten: RewrittenReference[] = [];
  if (skipped.size === 0 && removedIds.size === 0) {
    return { template: copy as CfnTemplate, rewritten, removed, removedOutputs };
  }

  const typeOf = (logicalId: string) =>
    resources[logicalId]?.Type ?? removals.resources.find((r) => r.logicalId === logicalId)!.type;
  const placeholder = (logicalId: string, attribute: string) => {
    const type = typeOf(logicalId);
    const service = isCustomResource(type) ? 'cloudformation' : type.split('::')[1].toLowerCase();
    return attribute.toLowerCase().endsWith('arn')
      ? `arn:aws:${service}:${env.region}:${env.account}:local-aws-not-created/${logicalId}`
      : `local-aws-not-created-${logicalId}-${attribute}`;
  };
  /** The literal for `logicalId[.attribute]`, or undefined to leave the reference alone. */
  const literal = (where: string, logicalId: string, attribute: string | undefined): string | undefined => {
    if (removedIds.has(logicalId)) {
      // moto fails on any reference to a resource the template lacks.
      const value = attribute === undefined ? `local-aws-not-created-${logicalId}` : placeholder(logicalId, attribute);
      const reference = attribute === undefined ? `Ref ${logicalId}` : `Fn::GetAtt ${logicalId}.${attribute}`;
      rewritten.push({ in: where, reference, value, exact: false });
      return value;
    }
    if (!skipped.has(logicalId)) {
      return undefined;
    }
    const identity = skipped.get(logicalId);
    const known = attribute === undefined ? identity?.ref : identity?.attributes[attribute];
    if (known === undefined && attribute === undefined) {
      return undefined;
    }
    const value = known ?? placeholder(logicalId, attribute!);
    const reference = attribute === undefined ? `Ref ${logicalId}` : `Fn::GetAtt ${logicalId}.${attribute}`;
    rewritten.push({ in: where, reference, value, exact: known !== undefined });
    return value;
  };

  const rewrite = (value: unknown, where: string): unknown => {
    if (Array.isArray(value)) {
      return value.map((item) => rewrite(item, where));
    }
    if (typeof value !== 'object' || value === null) {
      return value;
    }
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && keys[0] === 'Ref' && typeof obj.Ref === 'string') {
      return literal(where, obj.Ref, undefined) ?? obj;
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt') {
      const [logicalId, attribute] = Array.isArray(obj['Fn::GetAtt'])
        ? (obj['Fn::GetAtt'] as unknown[]).map(String)
        : String(obj['Fn::GetAtt']).split(/\.(.*)/s);
      if (typeof attribute === 'string') {
        return literal(where, logicalId, attribute) ?? obj;
      }
    }
    if (keys.length === 1 && keys[0] === 'Fn::Sub') {
      const arg = obj['Fn::Sub'];
      const [text, variables] = Array.isArray(arg) ? [String(arg[0]), arg[1]] : [String(arg), undefined];
      const replaced = text.replace(/\$\{([^!}][^}]*)\}/g, (match, name: string) => {
        const [logicalId, attribute] = name.trim().split(/\.(.*)/s);
        return literal(where, logicalId, attribute) ?? match;
      });
      const rewrittenVariables = variables === undefined ? undefined : rewrite(variables, where);
      return { 'Fn::Sub': rewrittenVariables === undefined ? replaced : [replaced, rewrittenVariables] };
    }
    return Object.fromEntries(keys.map((key) => [key, rewrite(obj[key], where)]));
  };

  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!skipped.has(logicalId) && resource.Properties) {
      resource.Properties = rewrite(resource.Properties, logicalId) as Record<string, unknown>;
    }
  }
  for (const [key, output] of Object.entries(copy.Outputs ?? {})) {
    copy.Outputs![key] = rewrite(output, `Outputs.${key}`);
  }
  return { template: copy as CfnTemplate, rewritten, removed, removedOutputs };
}

type MutableResource = CfnResource & { Properties?: Record<string, unknown>; DependsOn?: string | string[] };

function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/**
 * Removes from `template` (in place) its custom resources and the providers only they use, the
 * `DependsOn` entries naming them, and the Outputs that refer to them; returns what went.
 * (Conditions need nothing: CloudFormation lets them refer to parameters only, never to resources.)
 */
function removeCustomResources(template: {
  Resources?: Record<string, MutableResource>;
  Outputs?: Record<string, unknown>;
}): { resources: RemovedResource[]; outputs: RemovedOutput[] } {
  const resources = template.Resources ?? {};
  const all = template as CfnTemplate;
  /** Who refers to (or depends on) each resource: resource logical ids, and `Outputs.<key>`. */
  const referrers = new Map<string, Set<string>>();
  const addReferrer = (target: string, referrer: string) => {
    if (!referrers.has(target)) {
      referrers.set(target, new Set());
    }
    referrers.get(target)!.add(referrer);
  };
  for (const [logicalId, resource] of Object.entries(resources)) {
    for (const target of referencedLogicalIds(resource.Properties ?? {}, all)) {
      addReferrer(target, logicalId);
    }
    for (const target of dependsOnList(resource)) {
      addReferrer(target, logicalId);
    }
  }
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    for (const target of referencedLogicalIds(output, all)) {
      addReferrer(target, `Outputs.${key}`);
    }
  }

  const reasons = new Map<string, string>();
  const customResources = Object.keys(resources).filter((id) => isCustomResource(resources[id].Type));
  for (const id of customResources) {
    reasons.set(id, UNFILLED_RESOURCE_TYPES[resources[id].Type] ?? CUSTOM_RESOURCE_REASON);
  }
  const usedOnlyByRemoved = (id: string) => [...(referrers.get(id) ?? [])].every((r) => reasons.has(r));
  const ofType = (ids: Set<string>, type: string) => [...ids].filter((id) => resources[id].Type === type);
  // A function or role shared by several custom resources goes once all its users have gone.
  for (let changed = true; changed;) {
    changed = false;
    for (const id of customResources) {
      const serviceToken = resources[id].Properties?.ServiceToken;
      for (const fn of ofType(referencedLogicalIds(serviceToken, all), 'AWS::Lambda::Function')) {
        if (!reasons.has(fn) && usedOnlyByRemoved(fn)) {
          const users = customResources.filter((c) =>
            referencedLogicalIds(resources[c].Properties?.ServiceToken, all).has(fn),
          );
          reasons.set(
            fn,
            `The Lambda function behind the custom resource ${users.join(', ')} (its ServiceToken), left out with it: ` +
              'moto runs no Lambda code here, and nothing else in the stack uses the function.',
          );
          changed = true;
        }
      }
    }
    for (const fn of [...reasons.keys()].filter((id) => resources[id].Type === 'AWS::Lambda::Function')) {
      for (const role of ofType(referencedLogicalIds(resources[fn].Properties?.Role, all), 'AWS::IAM::Role')) {
        if (!reasons.has(role) && usedOnlyByRemoved(role)) {
          reasons.set(
            role,
            `The execution role of ${fn}, a custom resource provider left out of the template given to moto; ` +
              'nothing else in the stack uses the role.',
          );
          changed = true;
        }
      }
    }
  }

  const removed: RemovedResource[] = [...reasons].map(([logicalId, reason]) => {
    const resource = resources[logicalId];
    const path = resource.Metadata?.['aws:cdk:path'];
    return {
      logicalId,
      type: resource.Type,
      reason,
      ...(resource.Condition ? { condition: resource.Condition } : {}),
      ...(typeof path === 'string' ? { path } : {}),
    };
  });
  // Before the resources go: referencedLogicalIds only finds ids the template still has.
  const outputs: RemovedOutput[] = [];
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    const gone = [...referencedLogicalIds(output, all)].filter((id) => reasons.has(id));
    if (gone.length > 0) {
      outputs.push({ key, reason: `It refers to ${gone.join(', ')}, left out of the template given to moto.` });
      delete template.Outputs![key];
    }
  }
  for (const { logicalId } of removed) {
    delete resources[logicalId];
  }
  for (const resource of Object.values(resources)) {
    if (resource.DependsOn !== undefined) {
      const kept = dependsOnList(resource).filter((id) => !reasons.has(id));
      if (kept.length === 0) {
        delete resource.DependsOn;
      } else if (Array.isArray(resource.DependsOn)) {
        resource.DependsOn = kept;
      }
    }
  }
  return { resources: removed, outputs };
}

function dependsOnList(resource: CfnResource): string[] {
  return resource.DependsOn === undefined ? [] : ([] as string[]).concat(resource.DependsOn);
}

/** What a filler will create, known before the deploy. */
export interface Identity {
  /** What `Ref` returns. */
  readonly ref: string;
  /** `Fn::GetAtt` values by attribute name. */
  readonly attributes: Record<string, string>;
}
