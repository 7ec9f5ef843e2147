import { ResourceModel, StackModel } from './model';
import { Form, literalOfParts, Part, Resolver, Tri, Value } from './values';

/**
 * Just enough IAM policy evaluation to answer "may this service (or this role) do this action on this
 * resource?" from the policies of the app: Allow and Deny statements, `Action`/`NotAction` with wildcards,
 * `Resource`, service, role and account-root principals, and the condition keys a service sets when it acts
 * for a source (`aws:SourceArn`, `aws:SourceAccount`, `aws:SecureTransport`). Any other condition key, a
 * `NotPrincipal`, a set operator or an unresolvable value makes the answer unknown, and the rules stay
 * silent on unknowns.
 */

export function and(...values: Tri[]): Tri {
  if (values.includes('no')) {
    return 'no';
  }
  return values.includes('unknown') ? 'unknown' : 'yes';
}

export function or(...values: Tri[]): Tri {
  if (values.includes('yes')) {
    return 'yes';
  }
  return values.includes('unknown') ? 'unknown' : 'no';
}

/** A policy document and the stack its expressions are evaluated in. */
export interface PolicyDocument {
  readonly stack: StackModel;
  readonly document: unknown;
}

/** Who makes the request: a service principal, or a role of the app. */
export interface Requester {
  readonly service?: string;
  readonly role?: ResourceModel;
}

/** The request-context values a service sets when it acts for a source. */
export interface RequestContext {
  /** `aws:SourceArn`: the resource the service acts for. */
  readonly sourceArn?: Value;
  /** `aws:SourceAccount` (and the older `aws:SourceOwner`): that resource's account. */
  readonly sourceAccount?: Value;
  /** `aws:SecureTransport`. */
  readonly secureTransport?: boolean;
}

export interface AccessRequest {
  readonly action: string;
  /** The resource acted on. Undefined for the resource a resource policy belongs to (a key policy's `*`). */
  readonly resource?: { readonly node: ResourceModel; readonly form: Form };
  readonly requester?: Requester;
  readonly context?: RequestContext;
}

interface Statement {
  readonly effect?: string;
  readonly body?: Readonly<Record<string, unknown>>;
  readonly stack: StackModel;
}

/** The statements of policy documents; `complete` is false when a document or statement cannot be read. */
function statementsOf(
  resolver: Resolver,
  documents: readonly PolicyDocument[],
): { statements: Statement[]; complete: boolean } {
  const statements: Statement[] = [];
  let complete = true;
  for (const { stack, document } of documents) {
    const object = resolver.object(stack, document);
    if (object === 'absent') {
      continue;
    }
    if (object === undefined) {
      complete = false;
      continue;
    }
    const raw = object.value.Statement;
    const value = resolver.evaluate(object.stack, raw);
    const items: Value[] = value.kind === 'list' ? [...value.items] : value.kind === 'object' ? [value] : [];
    if (value.kind !== 'list' && value.kind !== 'object') {
      complete = false;
    }
    for (const item of items) {
      if (item.kind !== 'object') {
        complete = false;
        continue;
      }
      const effect = resolver.literalString(item.stack, item.value.Effect);
      if (effect !== 'Allow' && effect !== 'Deny') {
        complete = false;
        continue;
      }
      statements.push({ effect, body: item.value, stack: item.stack });
    }
  }
  return { statements, complete };
}

/** Whether `pattern` (with `*` and `?`) matches `text`. */
export function globMatches(pattern: string, text: string, ignoreCase = false): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'i' : '').test(text);
}

function valuesOf(resolver: Resolver, stack: StackModel, expression: unknown): Value[] {
  const value = resolver.evaluate(stack, expression);
  return value.kind === 'list' ? [...value.items] : [value];
}

function actionMatches(resolver: Resolver, statement: Statement, action: string): Tri {
  const body = statement.body!;
  const negated = body.Action === undefined && body.NotAction !== undefined;
  const expression = negated ? body.NotAction : body.Action;
  if (expression === undefined) {
    return 'unknown';
  }
  let result: Tri = 'no';
  for (const value of valuesOf(resolver, statement.stack, expression)) {
    const text = value.kind === 'string' ? literalOfParts(value.parts) : undefined;
    if (text === undefined) {
      result = or(result, 'unknown');
    } else if (globMatches(text, action, true)) {
      result = 'yes';
    }
  }
  return negated ? negate(result) : result;
}

function negate(value: Tri): Tri {
  return value === 'yes' ? 'no' : value === 'no' ? 'yes' : 'unknown';
}

type PrincipalMatch = Tri | 'root';

function principalMatches(resolver: Resolver, statement: Statement, requester: Requester | undefined): PrincipalMatch {
  const body = statement.body!;
  if (requester === undefined) {
    return 'yes';
  }
  if (body.Principal === undefined) {
    return body.NotPrincipal === undefined ? 'no' : 'unknown';
  }
  const principal = resolver.evaluate(statement.stack, body.Principal);
  if (principal.kind === 'string') {
    return literalOfParts(principal.parts) === '*' ? 'yes' : 'unknown';
  }
  if (principal.kind !== 'object') {
    return 'unknown';
  }
  let result: PrincipalMatch = 'no';
  const merge = (match: PrincipalMatch) => {
    if (match === 'yes' || result === 'yes') {
      result = 'yes';
    } else if (match === 'root' || result === 'root') {
      result = 'root';
    } else if (match === 'unknown') {
      result = 'unknown';
    }
  };
  for (const [kind, expression] of Object.entries(principal.value)) {
    for (const value of valuesOf(resolver, principal.stack, expression)) {
      const text = value.kind === 'string' ? literalOfParts(value.parts) : undefined;
      if (text === '*') {
        merge('yes');
      } else if (kind === 'Service') {
        if (requester.service !== undefined) {
          merge(text === undefined ? 'unknown' : text === requester.service ? 'yes' : 'no');
        }
      } else if (kind === 'AWS') {
        if (requester.role !== undefined) {
          merge(roleMatches(resolver, value, requester.role));
        }
      } else {
        merge('no');
      }
    }
  }
  return result;
}

/** Whether an `AWS` principal names the role, or its account's root (which delegates to IAM policies). */
function roleMatches(resolver: Resolver, value: Value, role: ResourceModel): PrincipalMatch {
  if (value.kind !== 'string') {
    return 'unknown';
  }
  const direct = resolver.sameString(value, { kind: 'string', parts: resolver.canonical(role, 'arn') ?? [] });
  if (direct === 'yes') {
    return 'yes';
  }
  const roleStack = role.stack;
  const rootArn: Value = {
    kind: 'string',
    parts: [
      'arn:',
      ...partsOf(resolver.evaluate(roleStack, { Ref: 'AWS::Partition' })),
      ':iam::',
      ...partsOf(resolver.evaluate(roleStack, { Ref: 'AWS::AccountId' })),
      ':root',
    ],
  };
  const account = resolver.evaluate(roleStack, { Ref: 'AWS::AccountId' });
  const root = or(resolver.sameString(value, rootArn), resolver.sameString(value, account));
  if (root === 'yes') {
    return 'root';
  }
  return direct === 'no' && root === 'no' ? 'no' : 'unknown';
}

function partsOf(value: Value): readonly Part[] {
  return value.kind === 'string' ? value.parts : [];
}

function resourceMatches(resolver: Resolver, statement: Statement, request: AccessRequest): Tri {
  const body = statement.body!;
  const negated = body.Resource === undefined && body.NotResource !== undefined;
  const expression = negated ? body.NotResource : body.Resource;
  if (request.resource === undefined || expression === undefined) {
    // A resource policy's own resource: "*" in a key policy is the key, and a resource policy without
    // Resource applies to the resource it is attached to.
    return 'yes';
  }
  const { node, form } = request.resource;
  const canonical = resolver.canonical(node, form);
  const canonicalText = canonical === undefined ? undefined : literalOfParts(canonical);
  const match = matchResourceValues(resolver, statement, node, form, canonicalText, expression);
  return negated ? negate(match) : match;
}

function matchResourceValues(
  resolver: Resolver,
  statement: Statement,
  node: ResourceModel,
  form: Form,
  canonicalText: string | undefined,
  expression: unknown,
): Tri {
  let result: Tri = 'no';
  const raw = Array.isArray(expression) ? expression : [expression];
  for (const item of raw) {
    const value = resolver.evaluate(statement.stack, item);
    const text = value.kind === 'string' ? literalOfParts(value.parts) : undefined;
    if (text !== undefined && /[*?]/.test(text)) {
      result = or(
        result,
        text === '*'
          ? 'yes'
          : canonicalText === undefined
            ? 'unknown'
            : globMatches(text, canonicalText)
              ? 'yes'
              : 'no',
      );
    } else {
      result = or(result, resolver.refersTo(statement.stack, item, node, form));
    }
  }
  return result;
}

function conditionMatches(resolver: Resolver, statement: Statement, context: RequestContext | undefined): Tri {
  const expression = statement.body!.Condition;
  if (expression === undefined) {
    return 'yes';
  }
  const conditions = resolver.object(statement.stack, expression);
  if (conditions === 'absent') {
    return 'yes';
  }
  if (conditions === undefined) {
    return 'unknown';
  }
  let result: Tri = 'yes';
  for (const [operatorKey, block] of Object.entries(conditions.value)) {
    const keys = resolver.object(conditions.stack, block);
    if (keys === undefined || keys === 'absent' || operatorKey.includes(':')) {
      // Unreadable, or a set operator (ForAnyValue:/ForAllValues:).
      result = and(result, 'unknown');
      continue;
    }
    const operator = operatorKey.replace(/IfExists$/, '');
    for (const [key, values] of Object.entries(keys.value)) {
      result = and(result, conditionKeyMatches(resolver, keys.stack, operator, key.toLowerCase(), values, context));
      if (result === 'no') {
        return 'no';
      }
    }
  }
  return result;
}

function conditionKeyMatches(
  resolver: Resolver,
  stack: StackModel,
  operator: string,
  key: string,
  expression: unknown,
  context: RequestContext | undefined,
): Tri {
  const values = valuesOf(resolver, stack, expression);
  let actual: Value | boolean | undefined;
  switch (key) {
    case 'aws:sourcearn':
      actual = context?.sourceArn;
      break;
    case 'aws:sourceaccount':
    case 'aws:sourceowner':
      actual = context?.sourceAccount;
      break;
    case 'aws:securetransport':
      actual = context?.secureTransport;
      break;
    default:
      return 'unknown';
  }
  if (actual === undefined) {
    return 'unknown';
  }
  if (operator === 'Null') {
    // The key is present in the request: Null true does not match, Null false does.
    const text = values.length === 1 && values[0].kind === 'string' ? literalOfParts(values[0].parts) : undefined;
    return text === 'true' ? 'no' : text === 'false' ? 'yes' : 'unknown';
  }
  if (typeof actual === 'boolean') {
    if (operator !== 'Bool') {
      return 'unknown';
    }
    let result: Tri = 'no';
    for (const value of values) {
      const text =
        value.kind === 'string'
          ? literalOfParts(value.parts)?.toLowerCase()
          : value.kind === 'boolean'
            ? String(value.value)
            : undefined;
      result = or(result, text === undefined ? 'unknown' : text === String(actual) ? 'yes' : 'no');
    }
    return result;
  }
  const negated = /Not/.test(operator);
  const base = operator.replace('Not', '');
  if (!['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'ArnEquals', 'ArnLike'].includes(base)) {
    return 'unknown';
  }
  const like = base.endsWith('Like');
  const actualValue = actual;
  const actualText = actualValue.kind === 'string' ? literalOfParts(actualValue.parts) : undefined;
  let result: Tri = 'no';
  for (const value of values) {
    const text = value.kind === 'string' ? literalOfParts(value.parts) : undefined;
    if (like && text !== undefined && /[*?]/.test(text)) {
      if (text === '*') {
        result = or(result, 'yes');
        continue;
      }
      const target = actualText ?? literalSourceArn(resolver, actualValue);
      result = or(result, target === undefined ? 'unknown' : globMatches(text, target) ? 'yes' : 'no');
      continue;
    }
    if (base === 'StringEqualsIgnoreCase' && text !== undefined && actualText !== undefined) {
      result = or(result, text.toLowerCase() === actualText.toLowerCase() ? 'yes' : 'no');
      continue;
    }
    result = or(result, resolver.sameString(value, actualValue));
  }
  return negated ? negate(result) : result;
}

/** The literal ARN a source attribute stands for, when its env and name are literal. */
function literalSourceArn(resolver: Resolver, value: Value): string | undefined {
  if (value.kind !== 'string' || value.parts.length !== 1) {
    return undefined;
  }
  const part = value.parts[0];
  if (typeof part !== 'object' || !('ref' in part)) {
    return undefined;
  }
  const canonical = resolver.canonical(part.ref, 'arn');
  return canonical === undefined ? undefined : literalOfParts(canonical);
}

/**
 * The resources of `types` that Allow statements of a document name one by one (no wildcard, no value
 * that cannot be read) for an action the statement grants for sure.
 */
export function resourcesGranted(
  resolver: Resolver,
  document: PolicyDocument,
  action: string,
  types: readonly string[],
  form: Form,
): ResourceModel[] {
  const result: ResourceModel[] = [];
  for (const statement of statementsOf(resolver, [document]).statements) {
    const resources = statement.body!.Resource;
    if (
      statement.effect !== 'Allow' ||
      resources === undefined ||
      actionMatches(resolver, statement, action) !== 'yes'
    ) {
      continue;
    }
    for (const item of Array.isArray(resources) ? resources : [resources]) {
      const node = resolver.resolveResource(statement.stack, item, types, form);
      if (node !== undefined) {
        result.push(node);
      }
    }
  }
  return result;
}

/** Whether one statement applies to the request. */
function statementApplies(resolver: Resolver, statement: Statement, request: AccessRequest): PrincipalMatch {
  const principal = principalMatches(resolver, statement, request.requester);
  const rest = and(
    actionMatches(resolver, statement, request.action),
    resourceMatches(resolver, statement, request),
    conditionMatches(resolver, statement, request.context),
  );
  if (principal === 'root') {
    return rest === 'yes' ? 'root' : rest;
  }
  return and(principal, rest);
}

/**
 * Whether resource policies (a queue policy, a key policy) let the requester make the request: `yes`
 * when an Allow applies and no Deny can; `no` when no Allow can apply or a Deny does. With
 * `identityDocuments`, an Allow for the requester's account root delegates to the requester's own
 * policies, as KMS key policies do.
 */
export function resourcePolicyAllows(
  resolver: Resolver,
  documents: readonly PolicyDocument[],
  request: AccessRequest,
  identity?: { readonly documents: readonly PolicyDocument[]; readonly complete: boolean },
): Tri {
  const { statements, complete } = statementsOf(resolver, documents);
  let allow: Tri = complete ? 'no' : 'unknown';
  let deny: Tri = complete ? 'no' : 'unknown';
  let delegated: Tri = 'no';
  for (const statement of statements) {
    const applies = statementApplies(resolver, statement, request);
    if (statement.effect === 'Deny') {
      deny = or(deny, applies === 'root' ? 'yes' : applies);
    } else if (applies === 'root') {
      delegated = 'yes';
    } else {
      allow = or(allow, applies);
    }
  }
  if (delegated === 'yes' && identity !== undefined) {
    allow = or(allow, identityPolicyAllows(resolver, identity.documents, identity.complete, request));
  } else if (delegated === 'yes') {
    allow = or(allow, 'unknown');
  }
  if (deny === 'yes' || allow === 'no') {
    return 'no';
  }
  return allow === 'yes' && deny === 'no' ? 'yes' : 'unknown';
}

/** Whether identity policies allow the action on the resource (no principal, no service context). */
export function identityPolicyAllows(
  resolver: Resolver,
  documents: readonly PolicyDocument[],
  complete: boolean,
  request: AccessRequest,
): Tri {
  const read = statementsOf(resolver, documents);
  const identityRequest: AccessRequest = {
    action: request.action,
    resource: request.resource,
    context: request.context,
  };
  let allow: Tri = complete && read.complete ? 'no' : 'unknown';
  let deny: Tri = 'no';
  for (const statement of read.statements) {
    const applies = statementApplies(resolver, statement, identityRequest);
    const match: Tri = applies === 'root' ? 'unknown' : applies;
    if (statement.effect === 'Deny') {
      deny = or(deny, match);
    } else {
      allow = or(allow, match);
    }
  }
  if (deny === 'yes' || allow === 'no') {
    return 'no';
  }
  return allow === 'yes' && deny === 'no' ? 'yes' : 'unknown';
}

/**
 * The identity policies of a role of the app: its inline policies, the `AWS::IAM::Policy`,
 * `AWS::IAM::RolePolicy` and `AWS::IAM::ManagedPolicy` resources attached to it, and the managed policies
 * it lists. Incomplete when a policy's roles cannot be read or the role lists a managed policy from
 * outside the app (an AWS-managed one), whose statements are unknown.
 */
export function roleIdentityPolicies(
  resolver: Resolver,
  role: ResourceModel,
): { readonly documents: PolicyDocument[]; readonly complete: boolean } {
  const documents: PolicyDocument[] = [];
  let complete = true;
  const inline = resolver.list(role.stack, role.properties.Policies);
  if (role.properties.Policies !== undefined && inline === undefined) {
    complete = false;
  }
  for (const policy of inline ?? []) {
    if (policy.kind === 'object') {
      documents.push({ stack: policy.stack, document: policy.value.PolicyDocument });
    } else {
      complete = false;
    }
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const policy of resolver.app.resourcesOfType(type)) {
      if (policy.properties.Roles === undefined) {
        continue;
      }
      if (!Array.isArray(policy.properties.Roles)) {
        complete = false;
        continue;
      }
      const attached = or(
        ...(policy.properties.Roles as unknown[]).map((entry) => resolver.refersTo(policy.stack, entry, role, 'name')),
      );
      if (attached === 'yes') {
        documents.push({ stack: policy.stack, document: policy.properties.PolicyDocument });
      } else if (attached === 'unknown') {
        complete = false;
      }
    }
  }
  for (const policy of resolver.app.resourcesOfType('AWS::IAM::RolePolicy')) {
    const attached = resolver.refersTo(policy.stack, policy.properties.RoleName, role, 'name');
    if (attached === 'yes') {
      documents.push({ stack: policy.stack, document: policy.properties.PolicyDocument });
    } else if (attached === 'unknown') {
      complete = false;
    }
  }
  const managed = role.properties.ManagedPolicyArns;
  if (managed !== undefined) {
    const arns = Array.isArray(managed) ? managed : undefined;
    if (arns === undefined) {
      complete = false;
    }
    for (const arn of arns ?? []) {
      const policy = resolver.resolveResource(role.stack, arn, ['AWS::IAM::ManagedPolicy'], 'arn');
      if (policy !== undefined) {
        if (policy.properties.Roles === undefined) {
          documents.push({ stack: policy.stack, document: policy.properties.PolicyDocument });
        }
        continue;
      }
      const actions = knownAwsManagedPolicy(resolver, role.stack, arn);
      if (actions === undefined) {
        complete = false;
      } else {
        documents.push({
          stack: role.stack,
          document: { Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] },
        });
      }
    }
  }
  return { documents, complete };
}

/**
 * The actions of the AWS-managed policies that roles of CDK apps carry most (every Lambda function's role
 * has AWSLambdaBasicExecutionRole), as the AWS Managed Policy Reference Guide documents them
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html). Any other AWS-managed
 * policy is unknown, and so are the permissions of a role that has one.
 */
const KNOWN_AWS_MANAGED_POLICIES: Readonly<Record<string, readonly string[]>> = {
  'service-role/AWSLambdaBasicExecutionRole': ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
  'service-role/AWSLambdaVPCAccessExecutionRole': [
    'logs:CreateLogGroup',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ],
  'service-role/AWSLambdaSQSQueueExecutionRole': [
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    'logs:CreateLogGroup',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
  ],
  'service-role/AWSLambdaKinesisExecutionRole': [
    'kinesis:DescribeStream',
    'kinesis:DescribeStreamSummary',
    'kinesis:GetRecords',
    'kinesis:GetShardIterator',
    'kinesis:ListShards',
    'kinesis:ListStreams',
    'kinesis:SubscribeToShard',
    'logs:CreateLogGroup',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
  ],
  AWSXRayDaemonWriteAccess: [
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'xray:GetSamplingRules',
    'xray:GetSamplingTargets',
    'xray:GetSamplingStatisticSummaries',
  ],
  'service-role/AmazonECSTaskExecutionRolePolicy': [
    'ecr:GetAuthorizationToken',
    'ecr:BatchCheckLayerAvailability',
    'ecr:GetDownloadUrlForLayer',
    'ecr:BatchGetImage',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
  ],
};

/** The actions of an AWS-managed policy the rules know, from its ARN (`arn:<partition>:iam::aws:policy/<name>`). */
function knownAwsManagedPolicy(resolver: Resolver, stack: StackModel, arn: unknown): readonly string[] | undefined {
  const value = resolver.evaluate(stack, arn);
  if (value.kind !== 'string' || value.parts.length === 0) {
    return undefined;
  }
  const last = value.parts[value.parts.length - 1];
  const match = typeof last === 'string' ? /:iam::aws:policy\/(.+)$/.exec(last) : null;
  return match === null ? undefined : KNOWN_AWS_MANAGED_POLICIES[match[1]];
}
