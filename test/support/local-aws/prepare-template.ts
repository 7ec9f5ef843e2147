import { GAP_FILLERS, MOTO_SKIPPED_TYPES } from './fillers';
import { CfnResource, CfnTemplate } from '../resolve-intrinsics';

/** A reference to a resource moto skips, replaced by a literal in the template given to moto. */
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

export interface PreparedTemplate {
  readonly template: CfnTemplate;
  readonly rewritten: RewrittenReference[];
}

/**
 * moto's CloudFormation fails the whole stack when a resource it creates (or an Output) uses
 * `Fn::GetAtt` on a resource it skips, e.g. an IAM policy granting on a Firehose delivery stream.
 * This returns a copy of the template in which such references are literals: the real value when
 * the filler can predict the identity it will create (a delivery stream's name and ARN), otherwise
 * an ARN-shaped placeholder (moto validates ARNs in IAM policies). `Ref`s are replaced only when
 * predictable; moto resolves the others to nothing without failing. The skipped resources
 * themselves are left untouched for the gap fillers to read.
 */
export function prepareTemplateForMoto(
  template: CfnTemplate,
  stackName: string,
  env: { readonly region: string; readonly account: string },
): PreparedTemplate {
  const copy = JSON.parse(JSON.stringify(template)) as {
    Resources?: Record<string, CfnResource & { Properties?: Record<string, unknown> }>;
    Outputs?: Record<string, unknown>;
  };
  const resources = copy.Resources ?? {};
  const skipped = new Map<string, Identity | undefined>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (MOTO_SKIPPED_TYPES.has(resource.Type)) {
      const predict = GAP_FILLERS[resource.Type]?.predict;
      skipped.set(logicalId, predict?.({ logicalId, stackName, props: resource.Properties ?? {}, ...env }));
    }
  }
  const rewritten: RewrittenReference[] = [];
  if (skipped.size === 0) {
    return { template: copy as CfnTemplate, rewritten };
  }

  const placeholder = (logicalId: string, attribute: string) => {
    const service = resources[logicalId].Type.split('::')[1].toLowerCase();
    return attribute.endsWith('Arn')
      ? `arn:aws:${service}:${env.region}:${env.account}:local-aws-not-created/${logicalId}`
      : `local-aws-not-created-${logicalId}-${attribute}`;
  };
  /** The literal for `logicalId[.attribute]`, or undefined to leave the reference alone. */
  const literal = (where: string, logicalId: string, attribute: string | undefined): string | undefined => {
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
  return { template: copy as CfnTemplate, rewritten };
}

/** What a filler will create, known before the deploy. */
export interface Identity {
  /** What `Ref` returns. */
  readonly ref: string;
  /** `Fn::GetAtt` values by attribute name. */
  readonly attributes: Record<string, string>;
}
