// Reading a synthesized CloudFormation template as a graph: which resources a value refers to.

/** A resource of a synthesized template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

/** The `Resources` section of a synthesized template, by logical id. */
export type TemplateResources = Readonly<Record<string, TemplateResource>>;

/**
 * The logical ids of the template's resources that `value` refers to, through `Ref` and `Fn::GetAtt`
 * anywhere inside it (parameters and pseudo parameters such as `AWS::Partition` are not resources and are left out).
 */
export function referencedIds(value: unknown, resources: TemplateResources): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
      return;
    }
    if (v === null || typeof v !== 'object') {
      return;
    }
    const object = v as Record<string, unknown>;
    const ref = object.Ref;
    if (typeof ref === 'string' && resources[ref] !== undefined) {
      found.add(ref);
    }
    const getAtt = object['Fn::GetAtt'];
    // Fn::GetAtt is [logicalId, attribute] or, in its short form, "logicalId.attribute".
    const target = Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
    if (typeof target === 'string' && resources[target] !== undefined) {
      found.add(target);
    }
    Object.values(object).forEach(visit);
  };
  visit(value);
  return [...found].sort();
}

/** The resources `value` refers to that are of one of `types`. */
export function referencedOfType(value: unknown, resources: TemplateResources, ...types: string[]): string[] {
  return referencedIds(value, resources).filter((id) => types.includes(resources[id].Type));
}

/** Every value of `list` as an array (CloudFormation allows a single value where a list is expected). */
export function asArray<T>(list: T | T[] | undefined): T[] {
  return list === undefined ? [] : Array.isArray(list) ? list : [list];
}

/** Orders strings by UTF-16 code units, the same on every machine (unlike `localeCompare`). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
