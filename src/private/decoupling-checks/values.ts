import { RegionInfo } from 'aws-cdk-lib/region-info';
import { AppModel, ResourceModel, StackModel } from './model';

/**
 * Evaluating template expressions without deploying them: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`,
 * `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::ImportValue` (exports of the app's stacks) and the
 * parameters and outputs of nested stacks. What only the deployment knows (another account's resources,
 * parameters, conditions, pseudo parameters of an env-agnostic stack) stays symbolic or unknown, and
 * every rule stays silent on an unknown: it never guesses.
 */

/** A three-valued answer: a rule reports only on a definite `no` (or `yes`, for what must not be). */
export type Tri = 'yes' | 'no' | 'unknown';

/** An attribute of a resource of the app, standing for its deploy-time value. */
export interface RefPart {
  readonly ref: ResourceModel;
  /** The attribute; undefined for `Ref`. */
  readonly att?: string;
}

/** A pseudo parameter (`AWS::Region`, ...) of a stack whose env is not literal. */
export interface PseudoPart {
  readonly pseudo: string;
  readonly stack: StackModel;
}

export type Part = string | RefPart | PseudoPart;

export type Value =
  | { readonly kind: 'string'; readonly parts: readonly Part[] }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'list'; readonly items: readonly Value[] }
  | { readonly kind: 'object'; readonly value: Readonly<Record<string, unknown>>; readonly stack: StackModel }
  | { readonly kind: 'novalue' }
  | { readonly kind: 'unknown' };

/** What an attribute of a resource denotes: its ARN, its queue URL, its name, its id. */
export type Form = 'arn' | 'url' | 'name' | 'id' | 'stream-arn';

interface TypeForms {
  /** What `Ref` returns. */
  readonly ref?: Form;
  /** What each `Fn::GetAtt` attribute returns. */
  readonly atts: Readonly<Record<string, Form>>;
  /** The property holding the physical name, when the type has one. */
  readonly nameProp?: string;
  /** The attribute returning the name, when it is not `Ref`. */
  readonly nameAtt?: string;
  /** The service and resource prefix of the ARN, e.g. `['sqs', '']`, `['kinesis', 'stream/']`. */
  readonly arn?: { readonly service: string; readonly prefix: string };
}

/** The resource types whose attributes the rules compare (CloudFormation resource reference, return values). */
export const TYPE_FORMS: Readonly<Record<string, TypeForms>> = {
  'AWS::SQS::Queue': {
    ref: 'url',
    atts: { Arn: 'arn', QueueUrl: 'url', QueueName: 'name' },
    nameProp: 'QueueName',
    nameAtt: 'QueueName',
    arn: { service: 'sqs', prefix: '' },
  },
  'AWS::SNS::Topic': {
    ref: 'arn',
    atts: { TopicArn: 'arn', TopicName: 'name' },
    nameProp: 'TopicName',
    nameAtt: 'TopicName',
    arn: { service: 'sns', prefix: '' },
  },
  'AWS::Kinesis::Stream': {
    ref: 'name',
    atts: { Arn: 'arn' },
    nameProp: 'Name',
    arn: { service: 'kinesis', prefix: 'stream/' },
  },
  'AWS::Kinesis::StreamConsumer': { ref: 'arn', atts: { ConsumerARN: 'arn', ConsumerName: 'name' } },
  'AWS::KMS::Key': { ref: 'id', atts: { Arn: 'arn', KeyId: 'id' }, arn: { service: 'kms', prefix: 'key/' } },
  'AWS::KMS::Alias': { ref: 'name', atts: {}, nameProp: 'AliasName', arn: { service: 'kms', prefix: '' } },
  'AWS::Lambda::Function': {
    ref: 'name',
    atts: { Arn: 'arn' },
    nameProp: 'FunctionName',
    arn: { service: 'lambda', prefix: 'function:' },
  },
  'AWS::Lambda::Alias': { ref: 'arn', atts: { AliasArn: 'arn' } },
  'AWS::Lambda::Version': { ref: 'arn', atts: { FunctionArn: 'arn' } },
  'AWS::IAM::Role': { ref: 'name', atts: { Arn: 'arn', RoleId: 'id' }, nameProp: 'RoleName' },
  'AWS::IAM::ManagedPolicy': { ref: 'arn', atts: { PolicyArn: 'arn' } },
  'AWS::DynamoDB::Table': { ref: 'name', atts: { Arn: 'arn', StreamArn: 'stream-arn' }, nameProp: 'TableName' },
  'AWS::KinesisFirehose::DeliveryStream': { ref: 'name', atts: { Arn: 'arn' }, nameProp: 'DeliveryStreamName' },
  'AWS::AutoScaling::AutoScalingGroup': { ref: 'name', atts: {}, nameProp: 'AutoScalingGroupName' },
  'AWS::AutoScaling::ScalingPolicy': { ref: 'arn', atts: { Arn: 'arn' } },
  'AWS::ApplicationAutoScaling::ScalingPolicy': { ref: 'arn', atts: { Arn: 'arn' } },
  'AWS::ApplicationAutoScaling::ScalableTarget': { ref: 'id', atts: {} },
  'AWS::ECS::Service': { ref: 'arn', atts: { ServiceArn: 'arn', Name: 'name' }, nameProp: 'ServiceName' },
};

/** What `node`'s attribute `att` (undefined: `Ref`) denotes, when the type is known. */
export function formOf(node: ResourceModel, att: string | undefined): Form | undefined {
  const forms = TYPE_FORMS[node.type];
  if (forms === undefined) {
    return undefined;
  }
  return att === undefined ? forms.ref : forms.atts[att];
}

const UNKNOWN: Value = { kind: 'unknown' };
const NO_VALUE: Value = { kind: 'novalue' };
const MAX_DEPTH = 40;

export function isRefPart(part: Part): part is RefPart {
  return typeof part === 'object' && 'ref' in part;
}

export function isPseudoPart(part: Part): part is PseudoPart {
  return typeof part === 'object' && 'pseudo' in part;
}

/** A string value from parts, adjacent literals merged. */
export function stringValue(parts: readonly Part[]): Value {
  const merged: Part[] = [];
  for (const part of parts) {
    if (typeof part === 'string') {
      if (part === '') {
        continue;
      }
      const last = merged[merged.length - 1];
      if (typeof last === 'string') {
        merged[merged.length - 1] = last + part;
        continue;
      }
    }
    merged.push(part);
  }
  return { kind: 'string', parts: merged };
}

/** The literal text of parts, when they are all literal. */
export function literalOfParts(parts: readonly Part[]): string | undefined {
  return parts.every((p) => typeof p === 'string') ? parts.join('') : undefined;
}

/**
 * Evaluates template expressions of the app's stacks and answers what they denote. One per evaluation:
 * results are memoized by expression object.
 */
export class Resolver {
  private readonly memo = new WeakMap<object, Map<StackModel, Value>>();

  constructor(public readonly app: AppModel) {}

  /** The value of `expression` in `stack`. */
  public evaluate(stack: StackModel, expression: unknown, depth = 0): Value {
    if (expression === undefined || expression === null) {
      return NO_VALUE;
    }
    if (typeof expression === 'string') {
      return { kind: 'string', parts: [expression] };
    }
    if (typeof expression === 'number') {
      return { kind: 'number', value: expression };
    }
    if (typeof expression === 'boolean') {
      return { kind: 'boolean', value: expression };
    }
    if (depth > MAX_DEPTH || typeof expression !== 'object') {
      return UNKNOWN;
    }
    let byStack = this.memo.get(expression);
    const cached = byStack?.get(stack);
    if (cached !== undefined) {
      return cached;
    }
    const value = this.evaluateObject(stack, expression, depth);
    if (byStack === undefined) {
      byStack = new Map();
      this.memo.set(expression, byStack);
    }
    byStack.set(stack, value);
    return value;
  }

  /** The literal string of `expression`, when it evaluates to one. Numbers are not strings. */
  public literalString(stack: StackModel, expression: unknown): string | undefined {
    const value = this.evaluate(stack, expression);
    return value.kind === 'string' ? literalOfParts(value.parts) : undefined;
  }

  /** The literal number of `expression` (CloudFormation accepts numbers as strings too). */
  public literalNumber(stack: StackModel, expression: unknown): number | undefined {
    const value = this.evaluate(stack, expression);
    if (value.kind === 'number') {
      return value.value;
    }
    if (value.kind === 'string') {
      const text = literalOfParts(value.parts);
      if (text !== undefined && text.trim() !== '' && Number.isFinite(Number(text))) {
        return Number(text);
      }
    }
    return undefined;
  }

  /** The literal boolean of `expression` (`true`, `"true"`, case-insensitive). */
  public literalBoolean(stack: StackModel, expression: unknown): boolean | undefined {
    const value = this.evaluate(stack, expression);
    if (value.kind === 'boolean') {
      return value.value;
    }
    if (value.kind === 'string') {
      const text = literalOfParts(value.parts)?.toLowerCase();
      return text === 'true' ? true : text === 'false' ? false : undefined;
    }
    return undefined;
  }

  /** The list of `expression`, when it evaluates to one (a lone value is not a list). */
  public list(stack: StackModel, expression: unknown): readonly Value[] | undefined {
    const value = this.evaluate(stack, expression);
    return value.kind === 'list' ? value.items : undefined;
  }

  /**
   * The object of `expression`: a template object, or a literal JSON string (CloudFormation accepts
   * `RedrivePolicy`, `FilterPolicy`, policy documents and the like as either). `'absent'` when there is none,
   * undefined when it cannot be known.
   */
  public object(
    stack: StackModel,
    expression: unknown,
  ): { readonly value: Readonly<Record<string, unknown>>; readonly stack: StackModel } | 'absent' | undefined {
    const value = this.evaluate(stack, expression);
    if (value.kind === 'novalue') {
      return 'absent';
    }
    if (value.kind === 'object') {
      return { value: value.value, stack: value.stack };
    }
    if (value.kind === 'string') {
      const text = literalOfParts(value.parts);
      if (text !== undefined) {
        try {
          const parsed = JSON.parse(text);
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
            return { value: parsed, stack };
          }
        } catch {
          return undefined;
        }
      }
    }
    return undefined;
  }

  /** A property of a resource, its value resolved: `'absent'` when not set, undefined when unknowable. */
  public property(
    node: ResourceModel,
    ...keys: string[]
  ): { readonly expression: unknown; readonly stack: StackModel } | 'absent' | undefined {
    let current: { readonly value: Readonly<Record<string, unknown>>; readonly stack: StackModel } = {
      value: node.properties,
      stack: node.stack,
    };
    for (let i = 0; i < keys.length; i++) {
      const expression = current.value[keys[i]];
      if (expression === undefined) {
        return 'absent';
      }
      if (i === keys.length - 1) {
        return { expression, stack: current.stack };
      }
      const next = this.object(current.stack, expression);
      if (next === 'absent') {
        return 'absent';
      }
      if (next === undefined) {
        return undefined;
      }
      current = next;
    }
    return { expression: node.properties, stack: node.stack };
  }

  /**
   * The resource of the app of one of `types` that `expression` denotes in the given form, when it can be
   * told for sure: an attribute of it (`Fn::GetAtt`, `Ref`, an import of one), or a literal ARN, URL or
   * name that matches exactly one resource and cannot match another.
   */
  public resolveResource(
    stack: StackModel,
    expression: unknown,
    types: readonly string[],
    form: Form,
  ): ResourceModel | undefined {
    const value = this.evaluate(stack, expression);
    if (value.kind !== 'string' || value.parts.length === 0) {
      return undefined;
    }
    if (value.parts.length === 1 && isRefPart(value.parts[0])) {
      const part = value.parts[0];
      return types.includes(part.ref.type) && formOf(part.ref, part.att) === form ? part.ref : undefined;
    }
    let found: ResourceModel | undefined;
    for (const type of types) {
      for (const candidate of this.app.resourcesOfType(type)) {
        const match = this.compareToResource(value.parts, candidate, form);
        if (match === 'unknown') {
          return undefined;
        }
        if (match === 'yes') {
          if (found !== undefined) {
            return undefined;
          }
          found = candidate;
        }
      }
    }
    return found;
  }

  /**
   * The one resource `expression` can denote, and in which form, when it is an attribute of a resource of
   * a known type: `refersTo` then answers `no` for every other resource, and for this one `yes` in this
   * form only. Undefined for any other value: only `refersTo` can tell. Lets a rule look a value up by
   * resource instead of comparing it with every resource of the app.
   */
  public soleReferent(
    stack: StackModel,
    expression: unknown,
  ): { readonly node: ResourceModel; readonly form: Form } | undefined {
    const value = this.evaluate(stack, expression);
    if (value.kind !== 'string' || value.parts.length !== 1 || !isRefPart(value.parts[0])) {
      return undefined;
    }
    const part = value.parts[0];
    const form = formOf(part.ref, part.att);
    return form === undefined ? undefined : { node: part.ref, form };
  }

  /** Whether `expression` denotes `node` in the given form. */
  public refersTo(stack: StackModel, expression: unknown, node: ResourceModel, form: Form): Tri {
    const value = this.evaluate(stack, expression);
    if (value.kind !== 'string') {
      return value.kind === 'unknown' ? 'unknown' : 'no';
    }
    return this.compareToResource(value.parts, node, form);
  }

  /** Whether two values are the same string, when that can be told. */
  public sameString(a: Value, b: Value): Tri {
    if (a.kind !== 'string' || b.kind !== 'string') {
      return a.kind === 'unknown' || b.kind === 'unknown' ? 'unknown' : 'no';
    }
    return this.compareParts(this.expand(a.parts), this.expand(b.parts));
  }

  /** The parts of `node`'s canonical value in `form` (its ARN, URL, name), when the type has one. */
  public canonical(node: ResourceModel, form: Form): readonly Part[] | undefined {
    const forms = TYPE_FORMS[node.type];
    if (forms === undefined) {
      return undefined;
    }
    if (form === 'name') {
      return this.nameParts(node);
    }
    if (form === 'arn' && node.type === 'AWS::IAM::Role') {
      // IAM is global: arn:<partition>:iam::<account>:role<path><name>, the path `/` by default.
      const pathExpression = node.properties.Path;
      const rolePath = pathExpression === undefined ? '/' : this.literalString(node.stack, pathExpression);
      return rolePath === undefined
        ? undefined
        : [
            'arn:',
            ...this.pseudoParts(node.stack, 'AWS::Partition'),
            ':iam::',
            ...this.pseudoParts(node.stack, 'AWS::AccountId'),
            `:role${rolePath}`,
            ...this.nameParts(node),
          ];
    }
    if (form === 'arn' && forms.arn !== undefined) {
      return this.arnParts(node, forms);
    }
    if (form === 'url' && node.type === 'AWS::SQS::Queue') {
      const stack = node.stack;
      return [
        'https://sqs.',
        ...this.pseudoParts(stack, 'AWS::Region'),
        '.',
        ...this.pseudoParts(stack, 'AWS::URLSuffix'),
        '/',
        ...this.pseudoParts(stack, 'AWS::AccountId'),
        '/',
        ...this.nameParts(node),
      ];
    }
    if (form === 'id' && node.type === 'AWS::KMS::Key') {
      return [{ ref: node }];
    }
    return undefined;
  }

  /** The parts of a resource's physical name: literal, or the resource's own name attribute when generated. */
  public nameParts(node: ResourceModel): readonly Part[] {
    const forms = TYPE_FORMS[node.type];
    const expression = forms?.nameProp === undefined ? undefined : node.properties[forms.nameProp];
    if (expression !== undefined) {
      const value = this.evaluate(node.stack, expression);
      if (value.kind === 'string') {
        return value.parts;
      }
    }
    return [{ ref: node, att: forms?.nameAtt }];
  }

  private compareToResource(parts: readonly Part[], node: ResourceModel, form: Form): Tri {
    if (parts.length === 1 && isRefPart(parts[0])) {
      const part = parts[0];
      const partForm = formOf(part.ref, part.att);
      if (part.ref === node) {
        return partForm === form ? 'yes' : partForm === undefined ? 'unknown' : 'no';
      }
      // Another resource of a known type: its ARN, URL or name is its own. A value of a resource of a
      // type the rules do not know (a custom resource) could be anything.
      return partForm === undefined ? 'unknown' : 'no';
    }
    const canonical = this.canonical(node, form);
    if (canonical === undefined) {
      return 'unknown';
    }
    return this.compareParts(this.expand(parts), this.expand(canonical));
  }

  private pseudoParts(stack: StackModel, name: string): Part[] {
    const value = this.pseudo(stack, name);
    return value.kind === 'string' ? [...value.parts] : [{ pseudo: name, stack }];
  }

  private arnParts(node: ResourceModel, forms: TypeForms): Part[] {
    const stack = node.stack;
    const arn = forms.arn!;
    return [
      'arn:',
      ...this.pseudoParts(stack, 'AWS::Partition'),
      `:${arn.service}:`,
      ...this.pseudoParts(stack, 'AWS::Region'),
      ':',
      ...this.pseudoParts(stack, 'AWS::AccountId'),
      `:${arn.prefix}`,
      ...(node.type === 'AWS::KMS::Key' ? [{ ref: node }] : this.nameParts(node)),
    ];
  }

  /** Replaces ARN and URL attributes of known types by their canonical parts, so that they can be split. */
  private expand(parts: readonly Part[]): Part[] {
    const result: Part[] = [];
    for (const part of parts) {
      if (isRefPart(part)) {
        const form = formOf(part.ref, part.att);
        if (form === 'arn' || form === 'url') {
          const canonical = this.canonical(part.ref, form);
          if (canonical !== undefined) {
            result.push(...canonical);
            continue;
          }
        }
        if (form === 'name') {
          // A name attribute of a resource whose name is given literally is that literal.
          const name = this.nameParts(part.ref);
          if (literalOfParts(name) !== undefined) {
            result.push(...name);
            continue;
          }
        }
      }
      result.push(part);
    }
    return result;
  }

  /**
   * Compares two part sequences field by field (`:` and `/` separate the fields of ARNs and URLs), when
   * every non-literal part is known to hold no separator (names, ids, pseudo parameters).
   */
  private compareParts(a: readonly Part[], b: readonly Part[]): Tri {
    const literalA = literalOfParts(a);
    const literalB = literalOfParts(b);
    if (literalA !== undefined && literalB !== undefined) {
      return literalA === literalB ? 'yes' : 'no';
    }
    if (![...a, ...b].every(separatorFree)) {
      return 'unknown';
    }
    const fieldsA = fields(a);
    const fieldsB = fields(b);
    if (fieldsA.length !== fieldsB.length) {
      return 'no';
    }
    let result: Tri = 'yes';
    for (let i = 0; i < fieldsA.length; i++) {
      const match = this.compareField(fieldsA[i], fieldsB[i]);
      if (match === 'no') {
        return 'no';
      }
      if (match === 'unknown') {
        result = 'unknown';
      }
    }
    return result;
  }

  private compareField(a: readonly Part[], b: readonly Part[]): Tri {
    const literalA = literalOfParts(a);
    const literalB = literalOfParts(b);
    if (literalA !== undefined && literalB !== undefined) {
      return literalA === literalB ? 'yes' : 'no';
    }
    if (a.length !== b.length) {
      return 'unknown';
    }
    let result: Tri = 'yes';
    for (let i = 0; i < a.length; i++) {
      const match = this.compareToken(a[i], b[i]);
      if (match === 'no') {
        return 'no';
      }
      if (match === 'unknown') {
        result = 'unknown';
      }
    }
    return result;
  }

  private compareToken(a: Part, b: Part): Tri {
    if (typeof a === 'string' && typeof b === 'string') {
      return a === b ? 'yes' : 'no';
    }
    if (typeof a === 'string' || typeof b === 'string') {
      const text = (typeof a === 'string' ? a : b) as string;
      const other = (typeof a === 'string' ? b : a) as RefPart | PseudoPart;
      // A name CloudFormation generates ends in a random suffix no template can know.
      return isRefPart(other) && this.isGeneratedName(other) && text !== '' ? 'no' : 'unknown';
    }
    if (isPseudoPart(a) && isPseudoPart(b)) {
      return a.pseudo === b.pseudo && a.stack.envRoot === b.stack.envRoot ? 'yes' : 'unknown';
    }
    if (isRefPart(a) && isRefPart(b)) {
      if (a.ref === b.ref && a.att === b.att) {
        return 'yes';
      }
      // Two generated names of different resources differ.
      return this.isGeneratedName(a) && this.isGeneratedName(b) && a.ref !== b.ref ? 'no' : 'unknown';
    }
    return 'unknown';
  }

  private isGeneratedName(part: RefPart): boolean {
    const forms = TYPE_FORMS[part.ref.type];
    return (
      forms?.nameProp !== undefined &&
      formOf(part.ref, part.att) === 'name' &&
      part.ref.properties[forms.nameProp] === undefined
    );
  }

  private evaluateObject(stack: StackModel, expression: object, depth: number): Value {
    if (Array.isArray(expression)) {
      return { kind: 'list', items: expression.map((item) => this.evaluate(stack, item, depth + 1)) };
    }
    const keys = Object.keys(expression);
    const record = expression as Record<string, any>;
    if (keys.length !== 1) {
      return { kind: 'object', value: record, stack };
    }
    const key = keys[0];
    const argument = record[key];
    switch (key) {
      case 'Ref':
        return typeof argument === 'string' ? this.ref(stack, argument, depth) : UNKNOWN;
      case 'Fn::GetAtt':
        return this.getAttExpression(stack, argument, depth);
      case 'Fn::Join':
        return this.join(stack, argument, depth);
      case 'Fn::Sub':
        return this.sub(stack, argument, depth);
      case 'Fn::Select':
        return this.select(stack, argument, depth);
      case 'Fn::Split':
        return this.split(stack, argument, depth);
      case 'Fn::ImportValue':
        return this.importValue(stack, argument, depth);
      case 'Fn::FindInMap':
        return this.findInMap(stack, argument, depth);
      case 'Fn::If':
      case 'Fn::GetAZs':
      case 'Fn::Base64':
      case 'Fn::Cidr':
      case 'Fn::Length':
      case 'Fn::ToJsonString':
      case 'Fn::Transform':
      case 'Fn::And':
      case 'Fn::Or':
      case 'Fn::Not':
      case 'Fn::Equals':
      case 'Condition':
        return UNKNOWN;
      default:
        return { kind: 'object', value: record, stack };
    }
  }

  private ref(stack: StackModel, name: string, depth: number): Value {
    if (name.startsWith('AWS::')) {
      return this.pseudo(stack, name);
    }
    const resource = stack.resources.get(name);
    if (resource !== undefined) {
      return { kind: 'string', parts: [{ ref: resource }] };
    }
    if (name in stack.parameters && stack.parent !== undefined) {
      // A nested stack's parameter: the value its parent passes.
      const parentResource = stack.parent.stack.resources.get(stack.parent.logicalId);
      const parameters = parentResource?.properties.Parameters as Record<string, unknown> | undefined;
      if (parameters !== undefined && parameters !== null && typeof parameters === 'object' && name in parameters) {
        return this.evaluate(stack.parent.stack, parameters[name], depth + 1);
      }
    }
    return UNKNOWN;
  }

  private pseudo(stack: StackModel, name: string): Value {
    const region = stack.region;
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Region':
        return region === undefined ? pseudoValue(name, stack) : { kind: 'string', parts: [region] };
      case 'AWS::AccountId':
        return stack.account === undefined ? pseudoValue(name, stack) : { kind: 'string', parts: [stack.account] };
      case 'AWS::Partition': {
        const partition = region === undefined ? undefined : RegionInfo.get(region).partition;
        return partition === undefined ? pseudoValue(name, stack) : { kind: 'string', parts: [partition] };
      }
      case 'AWS::URLSuffix': {
        const suffix = region === undefined ? undefined : RegionInfo.get(region).domainSuffix;
        return suffix === undefined ? pseudoValue(name, stack) : { kind: 'string', parts: [suffix] };
      }
      default:
        return pseudoValue(name, stack);
    }
  }

  private getAttExpression(stack: StackModel, argument: unknown, depth: number): Value {
    let logicalId: unknown;
    let attribute: unknown;
    if (typeof argument === 'string') {
      const dot = argument.indexOf('.');
      if (dot < 0) {
        return UNKNOWN;
      }
      logicalId = argument.slice(0, dot);
      attribute = argument.slice(dot + 1);
    } else if (Array.isArray(argument) && argument.length === 2) {
      [logicalId, attribute] = argument;
    }
    if (typeof logicalId !== 'string' || typeof attribute !== 'string') {
      return UNKNOWN;
    }
    return this.getAtt(stack, logicalId, attribute, depth);
  }

  private getAtt(stack: StackModel, logicalId: string, attribute: string, depth: number): Value {
    const resource = stack.resources.get(logicalId);
    if (resource === undefined) {
      return UNKNOWN;
    }
    if (resource.type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) {
      const nested = stack.nested.get(logicalId);
      const output = nested?.outputs[attribute.slice('Outputs.'.length)];
      return nested === undefined || output === undefined ? UNKNOWN : this.evaluate(nested, output.Value, depth + 1);
    }
    return { kind: 'string', parts: [{ ref: resource, att: attribute }] };
  }

  private join(stack: StackModel, argument: unknown, depth: number): Value {
    if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== 'string') {
      return UNKNOWN;
    }
    const separator = argument[0];
    const list = this.evaluate(stack, argument[1], depth + 1);
    if (list.kind !== 'list') {
      return UNKNOWN;
    }
    const parts: Part[] = [];
    for (let i = 0; i < list.items.length; i++) {
      const item = textParts(list.items[i]);
      if (item === undefined) {
        return UNKNOWN;
      }
      if (i > 0) {
        parts.push(separator);
      }
      parts.push(...item);
    }
    return stringValue(parts);
  }

  private sub(stack: StackModel, argument: unknown, depth: number): Value {
    let text: unknown = argument;
    let variables: Record<string, unknown> = {};
    if (Array.isArray(argument)) {
      if (argument.length !== 2) {
        return UNKNOWN;
      }
      text = argument[0];
      variables = argument[1] !== null && typeof argument[1] === 'object' ? argument[1] : {};
    }
    if (typeof text !== 'string') {
      return UNKNOWN;
    }
    const parts: Part[] = [];
    const pattern = /\$\{([^}]*)\}/g;
    let last = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      parts.push(text.slice(last, match.index));
      last = pattern.lastIndex;
      const name = match[1];
      if (name.startsWith('!')) {
        parts.push(`\${${name.slice(1)}}`);
        continue;
      }
      let value: Value;
      if (name in variables) {
        value = this.evaluate(stack, variables[name], depth + 1);
      } else if (name.includes('.') && !name.startsWith('AWS::')) {
        const dot = name.indexOf('.');
        value = this.getAtt(stack, name.slice(0, dot), name.slice(dot + 1), depth + 1);
      } else {
        value = this.ref(stack, name, depth + 1);
      }
      const item = textParts(value);
      if (item === undefined) {
        return UNKNOWN;
      }
      parts.push(...item);
    }
    parts.push(text.slice(last));
    return stringValue(parts);
  }

  private select(stack: StackModel, argument: unknown, depth: number): Value {
    if (!Array.isArray(argument) || argument.length !== 2) {
      return UNKNOWN;
    }
    const index = this.evaluate(stack, argument[0], depth + 1);
    const position =
      index.kind === 'number' ? index.value : index.kind === 'string' ? Number(literalOfParts(index.parts)) : NaN;
    const list = this.evaluate(stack, argument[1], depth + 1);
    if (!Number.isInteger(position) || list.kind !== 'list' || position < 0 || position >= list.items.length) {
      return UNKNOWN;
    }
    return list.items[position];
  }

  private split(stack: StackModel, argument: unknown, depth: number): Value {
    if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== 'string' || argument[0] === '') {
      return UNKNOWN;
    }
    const separator = argument[0];
    const source = this.evaluate(stack, argument[1], depth + 1);
    if (source.kind !== 'string') {
      return UNKNOWN;
    }
    const parts = this.expand(source.parts);
    if (!parts.every(separatorFree)) {
      return UNKNOWN;
    }
    const items: Part[][] = [[]];
    for (const part of parts) {
      if (typeof part !== 'string') {
        items[items.length - 1].push(part);
        continue;
      }
      const pieces = part.split(separator);
      items[items.length - 1].push(pieces[0]);
      for (const piece of pieces.slice(1)) {
        items.push([piece]);
      }
    }
    return { kind: 'list', items: items.map(stringValue) };
  }

  private importValue(stack: StackModel, argument: unknown, depth: number): Value {
    const name = this.literalString(stack, argument);
    if (name === undefined) {
      return UNKNOWN;
    }
    const exported = this.app.exportNamed(name, (s, e) => this.literalString(s, e));
    return exported === undefined ? UNKNOWN : this.evaluate(exported.stack, exported.value, depth + 1);
  }

  private findInMap(stack: StackModel, argument: unknown, depth: number): Value {
    if (!Array.isArray(argument) || argument.length < 3) {
      return UNKNOWN;
    }
    const keys = argument.slice(0, 3).map((key) => {
      const value = this.evaluate(stack, key, depth + 1);
      return value.kind === 'string' ? literalOfParts(value.parts) : undefined;
    });
    if (keys.some((key) => key === undefined)) {
      return UNKNOWN;
    }
    const found = stack.mappings[keys[0]!]?.[keys[1]!]?.[keys[2]!];
    return found === undefined ? UNKNOWN : this.evaluate(stack, found, depth + 1);
  }
}

function pseudoValue(name: string, stack: StackModel): Value {
  return { kind: 'string', parts: [{ pseudo: name, stack }] };
}

/** The parts of a value used as text (`Fn::Join`, `Fn::Sub`): strings and numbers. */
function textParts(value: Value): readonly Part[] | undefined {
  if (value.kind === 'string') {
    return value.parts;
  }
  if (value.kind === 'number') {
    return [String(value.value)];
  }
  if (value.kind === 'boolean') {
    return [String(value.value)];
  }
  return undefined;
}

/** Whether a part is known to hold no `:` or `/` (names, ids and pseudo parameters do not). */
function separatorFree(part: Part): boolean {
  if (typeof part === 'string') {
    return true;
  }
  if (isPseudoPart(part)) {
    return part.pseudo !== 'AWS::StackId';
  }
  const form = formOf(part.ref, part.att);
  return form === 'name' || form === 'id';
}

/** Splits parts into the fields of an ARN or URL. */
function fields(parts: readonly Part[]): Part[][] {
  const result: Part[][] = [[]];
  for (const part of parts) {
    if (typeof part !== 'string') {
      result[result.length - 1].push(part);
      continue;
    }
    const pieces = part.split(/[:/]/);
    if (pieces[0] !== '') {
      result[result.length - 1].push(pieces[0]);
    }
    for (const piece of pieces.slice(1)) {
      result.push(piece === '' ? [] : [piece]);
    }
  }
  return result;
}
