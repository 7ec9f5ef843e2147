/**
 * Resolves CloudFormation intrinsic functions in a template fragment. The one resolver of the test
 * helpers: local-aws resolves against a deployed stack, so that resources moto skipped can be
 * re-created through the service APIs with real values; access.ts resolves against fake but
 * deterministic physical ids, to turn synthesized policies into plain JSON. What differs between
 * them lives in the `ResolveContext` they pass.
 */

/** A CloudFormation template as parsed JSON (only the parts we read are typed). */
export interface CfnTemplate {
  readonly Parameters?: Record<string, { readonly Type?: string; readonly Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, unknown>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** Where the resolver gets values it cannot compute from the template alone. */
export interface ResolveContext {
  readonly template: CfnTemplate;
  /** `AWS::Region`, `AWS::AccountId`, `AWS::StackName`, ... */
  readonly pseudoParameters: Record<string, string>;
  /** Parameter values the stack was created with (SSM parameter types already resolved). */
  readonly parameters: Record<string, string>;
  /** `Ref` of a resource: its physical id, or undefined when none exists (moto skipped it). */
  physicalId(logicalId: string): string | undefined;
  /** `Fn::GetAtt` of a resource. */
  getAtt(logicalId: string, attribute: string): Promise<unknown>;
  /** `Fn::ImportValue`. */
  importValue(name: string): Promise<string>;
}

/** Thrown when a value depends on something that does not exist or cannot be looked up. */
export class UnresolvableError extends Error {}

/** `Ref: AWS::NoValue`: the property (or list element) is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** Returns `value` with every intrinsic function replaced by its value. */
export async function resolveValue(value: unknown, ctx: ResolveContext): Promise<unknown> {
  if (Array.isArray(value)) {
    const items = await Promise.all(value.map((item) => resolveValue(item, ctx)));
    return items.filter((item) => item !== NO_VALUE);
  }
  if (!isObject(value)) {
    return value;
  }
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
    return resolveFunction(keys[0], value[keys[0]], ctx);
  }
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const resolved = await resolveValue(value[key], ctx);
    if (resolved !== NO_VALUE) {
      result[key] = resolved;
    }
  }
  return result;
}

/** Evaluates a named template condition. */
export async function evaluateCondition(name: string, ctx: ResolveContext): Promise<boolean> {
  const definition = ctx.template.Conditions?.[name];
  if (definition === undefined) {
    throw new UnresolvableError(`condition ${name} is not defined in the template`);
  }
  return resolveConditionOperand(definition, ctx, `condition ${name}`);
}

/** Condition functions also accept `{ Condition: name }`, which is not an intrinsic anywhere else. */
async function resolveConditionOperand(value: unknown, ctx: ResolveContext, what: string): Promise<boolean> {
  if (isObject(value) && Object.keys(value).length === 1 && typeof value.Condition === 'string') {
    return evaluateCondition(value.Condition, ctx);
  }
  return asBoolean(await resolveValue(value, ctx), what);
}

/** Logical ids a fragment refers to through Ref, Fn::GetAtt and Fn::Sub (pseudo parameters and parameters excluded). */
export function referencedLogicalIds(value: unknown, template: CfnTemplate): Set<string> {
  const found = new Set<string>();
  const resources = template.Resources ?? {};
  const add = (id: string) => {
    if (id in resources) {
      found.add(id);
    }
  };
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (isObject(v)) {
      for (const [key, inner] of Object.entries(v)) {
        if (key === 'Ref' && typeof inner === 'string') {
          add(inner);
        } else if (key === 'Fn::GetAtt') {
          add(Array.isArray(inner) ? String(inner[0]) : String(inner).split('.')[0]);
        } else if (key === 'Fn::Sub') {
          const text = Array.isArray(inner) ? inner[0] : inner;
          for (const name of subReferences(String(text))) {
            add(name.split('.')[0]);
          }
        }
        visit(inner);
      }
    }
  };
  visit(value);
  return found;
}

async function resolveFunction(name: string, arg: unknown, ctx: ResolveContext): Promise<unknown> {
  switch (name) {
    case 'Ref':
      return resolveRef(String(arg), ctx);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(arg) ? arg.map(String) : splitOnce(String(arg), '.');
      return ctx.getAtt(logicalId, await resolveString(attribute, ctx, 'Fn::GetAtt attribute'));
    }
    case 'Fn::Join': {
      const [separator, items] = expectArray(arg, 2, name);
      const parts = await resolveValue(items, ctx);
      if (!Array.isArray(parts)) {
        throw new UnresolvableError(`Fn::Join expects a list, got ${JSON.stringify(parts)}`);
      }
      return parts.map((part) => scalarToString(part, 'Fn::Join element')).join(String(separator));
    }
    case 'Fn::Sub':
      return resolveSub(arg, ctx);
    case 'Fn::Select': {
      const [index, list] = expectArray(arg, 2, name);
      const items = await resolveValue(list, ctx);
      const i = Number(await resolveValue(index, ctx));
      if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) {
        throw new UnresolvableError(`Fn::Select index ${i} out of range for ${JSON.stringify(items)}`);
      }
      return items[i];
    }
    case 'Fn::Split': {
      const [separator, source] = expectArray(arg, 2, name);
      return (await resolveString(source, ctx, 'Fn::Split source')).split(String(separator));
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = expectArray(arg, 3, name);
      return resolveValue((await evaluateCondition(String(condition), ctx)) ? whenTrue : whenFalse, ctx);
    }
    case 'Fn::Equals': {
      const [a, b] = expectArray(arg, 2, name);
      return JSON.stringify(await resolveValue(a, ctx)) === JSON.stringify(await resolveValue(b, ctx));
    }
    case 'Fn::And':
    case 'Fn::Or': {
      const operands = expectArray(arg, 1, name);
      const booleans = await Promise.all(operands.map((operand) => resolveConditionOperand(operand, ctx, name)));
      return name === 'Fn::And' ? booleans.every(Boolean) : booleans.some(Boolean);
    }
    case 'Fn::Not': {
      const [inner] = expectArray(arg, 1, name);
      return !(await resolveConditionOperand(inner, ctx, name));
    }
    case 'Fn::Contains': {
      const [list, item] = expectArray(arg, 2, name);
      const items = (await resolveValue(list, ctx)) as unknown[];
      const wanted = JSON.stringify(await resolveValue(item, ctx));
      return items.some((i) => JSON.stringify(i) === wanted);
    }
    case 'Fn::FindInMap': {
      const [map, top, second] = (await resolveValue(expectArray(arg, 3, name), ctx)) as string[];
      const found = ctx.template.Mappings?.[map]?.[top]?.[second];
      if (found === undefined) {
        throw new UnresolvableError(`Fn::FindInMap found nothing at ${map}.${top}.${second}`);
      }
      return found;
    }
    case 'Fn::ImportValue':
      return ctx.importValue(await resolveString(arg, ctx, 'Fn::ImportValue'));
    case 'Fn::Base64':
      return Buffer.from(await resolveString(arg, ctx, 'Fn::Base64')).toString('base64');
    case 'Fn::ToJsonString':
      return JSON.stringify(await resolveValue(arg, ctx));
    default:
      // Fn::GetAZs, Fn::Cidr, Fn::Transform, ...: not needed by the resources we fill.
      throw new UnresolvableError(`${name} is not supported by the local-aws resolver`);
  }
}

function resolveRef(name: string, ctx: ResolveContext): unknown {
  if (name === 'AWS::NoValue') {
    return NO_VALUE;
  }
  if (name in ctx.pseudoParameters) {
    return ctx.pseudoParameters[name];
  }
  if (name in ctx.parameters) {
    const type = ctx.template.Parameters?.[name]?.Type ?? '';
    const value = ctx.parameters[name];
    return /^(CommaDelimitedList|List<)/.test(type) ? value.split(',') : value;
  }
  if (!(name in (ctx.template.Resources ?? {}))) {
    throw new UnresolvableError(`Ref to ${name}, which is neither a parameter nor a resource of the template`);
  }
  const physicalId = ctx.physicalId(name);
  if (!physicalId) {
    throw new UnresolvableError(`Ref to ${name}, which has no physical id (moto did not create it)`);
  }
  return physicalId;
}

async function resolveSub(arg: unknown, ctx: ResolveContext): Promise<string> {
  const [text, variables] = Array.isArray(arg) ? [String(arg[0]), arg[1] ?? {}] : [String(arg), {}];
  const locals = (await resolveValue(variables, ctx)) as Record<string, unknown>;
  const values = new Map<string, string>();
  for (const reference of subReferences(text)) {
    let value: unknown;
    if (reference in locals) {
      value = locals[reference];
    } else if (reference.includes('.') && !reference.startsWith('AWS::')) {
      const [logicalId, attribute] = splitOnce(reference, '.');
      value = await ctx.getAtt(logicalId, attribute);
    } else {
      value = resolveRef(reference, ctx);
    }
    values.set(reference, scalarToString(value, `Fn::Sub \${${reference}}`));
  }
  // `${!Literal}` stands for the literal text `${Literal}`.
  return text.replace(/\$\{(!?)([^}]+)\}/g, (_match, bang: string, name: string) =>
    bang ? `\${${name}}` : values.get(name.trim())!,
  );
}

function subReferences(text: string): string[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1].trim());
}

async function resolveString(value: unknown, ctx: ResolveContext, what: string): Promise<string> {
  return scalarToString(await resolveValue(value, ctx), what);
}

function scalarToString(value: unknown, what: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  throw new UnresolvableError(`${what} must be a string, got ${JSON.stringify(value)}`);
}

function asBoolean(value: unknown, what: string): boolean {
  if (typeof value === 'boolean') {
    return value;
  }
  if (value === 'true' || value === 'false') {
    return value === 'true';
  }
  throw new UnresolvableError(`${what} must be a boolean, got ${JSON.stringify(value)}`);
}

function expectArray(value: unknown, length: number, fn: string): unknown[] {
  if (!Array.isArray(value) || value.length < length) {
    throw new UnresolvableError(`${fn} expects a list of ${length}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function splitOnce(text: string, separator: string): [string, string] {
  const i = text.indexOf(separator);
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
