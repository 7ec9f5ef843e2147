/**
 * Offline proof of who may do what to a resource, for tests only.
 *
 * Wraps @cloud-copilot/iam-simulate, which is AGPL-licensed: it must stay a devDependency and never be imported from
 * src/.
 */
import {
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  type RequestAnalysis,
  type RunSimulationResults,
} from '@cloud-copilot/iam-simulate';
import {
  CfnResource,
  CfnTemplate,
  NO_VALUE,
  ResolveContext,
  resolveValue,
  UnresolvableError,
} from './resolve-intrinsics';

export type { CfnTemplate } from './resolve-intrinsics';

const DEFAULT_ACCOUNT = '123456789012';
const DEFAULT_REGION = 'us-east-1';

export interface AccessRequest {
  /** Role/user ARN, account root ARN, or a service principal such as 'sns.amazonaws.com'. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Defaults to the account in the resource ARN, else 123456789012. */
  readonly resourceAccount?: string;
  /** aws:SecureTransport defaults to 'true'; pass 'false' to model a plain-HTTP request. */
  readonly context?: Record<string, string | string[]>;
  readonly resourcePolicy?: object;
  readonly identityPolicies?: object[];
}

export interface AccessDecision {
  readonly allowed: boolean;
  readonly result: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';
  /** Short ids of the statements (or policy types, for implicit denies) that decided the result. */
  readonly decidingStatements: string[];
  /** One line per statement that matched the action, saying which part did or did not match. */
  readonly explanation: string[];
  readonly sameAccount: boolean;
  readonly raw: RunSimulationResults;
}

/**
 * Runs one request through the simulator. Throws (rather than returning a deny) when the simulator rejects the input or
 * drops a context key, because either would let a "denied" assertion pass for the wrong reason.
 */
export async function simulateAccess(req: AccessRequest): Promise<AccessDecision> {
  const context = { 'aws:SecureTransport': 'true', ...req.context };
  const raw = await runSimulation(
    {
      request: {
        principal: req.principal,
        action: req.action,
        resource: { resource: req.resource, accountId: req.resourceAccount ?? accountOf(req.resource) },
        contextVariables: context,
      },
      identityPolicies: (req.identityPolicies ?? []).map((policy, i) => ({ name: `identity[${i}]`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: req.resourcePolicy,
    },
    { simulationMode: 'Strict' },
  );
  if (raw.resultType === 'error') {
    throw new Error(`iam-simulate rejected the request ${describe(req)}:\n${JSON.stringify(raw.errors, undefined, 2)}`);
  }
  const results = raw.resultType === 'single' ? [raw.result] : raw.results;
  const ignored = results.flatMap((r) => r.ignoredContextKeys ?? []);
  if (ignored.length > 0) {
    throw new Error(`iam-simulate ignored context keys ${ignored.join(', ')} (not valid for ${req.action})`);
  }
  const analyses = results.map((r) => r.analysis);
  return {
    allowed: raw.overallResult === 'Allowed',
    result: raw.overallResult,
    decidingStatements: analyses.flatMap(decidingStatements),
    explanation: analyses.flatMap(explain),
    sameAccount: analyses.every((a) => a.sameAccount),
    raw,
  };
}

export async function expectAllowed(req: AccessRequest): Promise<AccessDecision> {
  return expectResult(req, true);
}

export async function expectDenied(req: AccessRequest): Promise<AccessDecision> {
  return expectResult(req, false);
}

async function expectResult(req: AccessRequest, allowed: boolean): Promise<AccessDecision> {
  const decision = await simulateAccess(req);
  if (decision.allowed !== allowed) {
    throw new Error(
      [
        `Expected ${allowed ? 'Allowed' : 'denied'} but got ${decision.result} for ${describe(req)}`,
        `Deciding: ${decision.decidingStatements.join('; ') || '(none)'}`,
        'Statements matching the action:',
        ...decision.explanation.map((l) => `  ${l}`),
      ].join('\n'),
    );
  }
  return decision;
}

function describe(req: AccessRequest): string {
  const context = { 'aws:SecureTransport': 'true', ...req.context };
  return `${req.principal} -> ${req.action} on ${req.resource} with context ${JSON.stringify(context)}`;
}

function accountOf(arn: string): string {
  const parts = arn.split(':');
  return parts[0] === 'arn' && /^\d{12}$/.test(parts[4] ?? '') ? parts[4] : DEFAULT_ACCOUNT;
}

function decidingStatements(analysis: RequestAnalysis): string[] {
  // The simulator always evaluates the implicit RCPFullAWSAccess and an empty SCP set; neither is ours to report.
  const grants = getGrantReasons(analysis).filter((g) => g.policyType !== 'scp' && g.policyType !== 'rcp');
  const denials = getDenialReasons(analysis);
  const reasons = [
    ...grants.map((g) => statementId(g.policyType, 'policyIdentifier' in g ? g.policyIdentifier : undefined, g)),
    ...denials.map((d) =>
      d.denialType === 'Explicit'
        ? `${statementId(d.policyType, d.policyIdentifier, d)} (explicit Deny)`
        : `${d.policyType}: no statement allows (implicit deny)`,
    ),
  ];
  // e.g. KMS with an identity grant but no key-policy trust: nothing "denies", the service just never trusts the account.
  return reasons.length > 0
    ? reasons
    : [
        `no deciding statement (identity: ${analysis.identityAnalysis?.result ?? 'none'}, ` +
          `resource: ${analysis.resourceAnalysis?.result ?? 'none'}, same account: ${analysis.sameAccount})`,
      ];
}

function statementId(
  type: string,
  policy: string | undefined,
  s: { statementId?: string | undefined; statementIndex: number },
): string {
  return `${policy ?? type} statement #${s.statementIndex}${s.statementId ? ` (Sid ${s.statementId})` : ''}`;
}

function explain(analysis: RequestAnalysis): string[] {
  const policies = [analysis.resourceAnalysis, analysis.identityAnalysis];
  return policies
    .flatMap((p) => (p ? [...p.denyStatements, ...p.allowStatements, ...p.unmatchedStatements] : []))
    .filter((s) => s.actionMatch)
    .map((s) => {
      const failed = [
        s.principalMatch === 'NoMatch' ? 'principal' : undefined,
        s.resourceMatch ? undefined : 'resource',
        s.conditionMatch === 'Match'
          ? undefined
          : `condition [${(s.explain.conditions ?? [])
              .filter((c) => !c.matches)
              .map((c) => `${c.operator} ${c.conditionKeyValue} ${JSON.stringify(conditionValues(c.values))}`)
              .join(', ')}]`,
      ].filter((x) => x !== undefined);
      const verdict =
        failed.length === 0 ? `applies (principal ${s.principalMatch})` : `no match on ${failed.join(', ')}`;
      return `${s.policyId} #${s.statement.index()} ${s.statement.effect()}: ${verdict} ${JSON.stringify(s.statement.toJSON())}`;
    });
}

function conditionValues(values: { value: string } | { value: string }[]): string[] {
  return (Array.isArray(values) ? values : [values]).map((v) => v.value);
}

// ---------------------------------------------------------------------------------------------------------------------
// CloudFormation template -> plain policy JSON
// ---------------------------------------------------------------------------------------------------------------------

export interface ResolveOptions {
  readonly account?: string;
  readonly region?: string;
  readonly partition?: string;
  /** Overrides by logical id (for Ref) or 'LogicalId.Attribute' (for Fn::GetAtt). */
  readonly physicalIds?: Record<string, string>;
}

interface Env {
  account: string;
  region: string;
  partition: string;
}

interface Physical {
  ref: string;
  attrs: Record<string, string>;
}

/** Fake but deterministic physical ids, shaped like the real ones so ARN patterns in policies still match. */
function physicalIdOf(logicalId: string, resource: CfnResource, env: Env): Physical {
  const props: Record<string, any> = resource.Properties ?? {};
  const { account, region, partition } = env;
  // CloudFormation appends .fifo to generated FIFO names, and ARN patterns in policies may rely on it.
  const named = (prop: string, fifo?: boolean) =>
    typeof props[prop] === 'string' ? (props[prop] as string) : `${logicalId}${fifo ? '.fifo' : ''}`;
  const arn = (service: string, resourcePart: string, withRegion = true, withAccount = true) =>
    `arn:${partition}:${service}:${withRegion ? region : ''}:${withAccount ? account : ''}:${resourcePart}`;
  switch (resource.Type) {
    case 'AWS::SQS::Queue': {
      const name = named('QueueName', props.FifoQueue === true || props.FifoQueue === 'true');
      const url = `https://sqs.${region}.amazonaws.com/${account}/${name}`;
      return { ref: url, attrs: { Arn: arn('sqs', name), QueueName: name, QueueUrl: url } };
    }
    case 'AWS::SNS::Topic': {
      const name = named('TopicName', props.FifoTopic === true || props.FifoTopic === 'true');
      return { ref: arn('sns', name), attrs: { TopicArn: arn('sns', name), TopicName: name } };
    }
    case 'AWS::KMS::Key':
      return { ref: logicalId, attrs: { Arn: arn('kms', `key/${logicalId}`), KeyId: logicalId } };
    case 'AWS::IAM::Role': {
      const name = named('RoleName');
      const path = typeof props.Path === 'string' ? props.Path : '/';
      return { ref: name, attrs: { Arn: arn('iam', `role${path}${name}`, false), RoleId: `AROA${logicalId}` } };
    }
    case 'AWS::IAM::ManagedPolicy': {
      const policyArn = arn('iam', `policy/${named('ManagedPolicyName')}`, false);
      return { ref: policyArn, attrs: { PolicyArn: policyArn } };
    }
    case 'AWS::S3::Bucket': {
      const name = typeof props.BucketName === 'string' ? props.BucketName : logicalId.toLowerCase();
      return {
        ref: name,
        attrs: {
          Arn: arn('s3', name, false, false),
          DomainName: `${name}.s3.amazonaws.com`,
          RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
        },
      };
    }
    case 'AWS::Kinesis::Stream': {
      const name = named('Name');
      return { ref: name, attrs: { Arn: arn('kinesis', `stream/${name}`) } };
    }
    case 'AWS::Kinesis::StreamConsumer': {
      // ConsumerARN is <stream ARN>/consumer/<name>:<creation timestamp>; the stream is named like the Stream case.
      const streamArn = props.StreamARN;
      const getAtt = typeof streamArn === 'object' && streamArn !== null ? streamArn['Fn::GetAtt'] : undefined;
      const streamName = Array.isArray(getAtt) ? getAtt[0] : String(streamArn).split('/').pop();
      const consumerArn = arn('kinesis', `stream/${streamName}/consumer/${named('ConsumerName')}:1`);
      return { ref: consumerArn, attrs: { ConsumerARN: consumerArn, ConsumerName: named('ConsumerName') } };
    }
    case 'AWS::DynamoDB::Table': {
      const tableArn = arn('dynamodb', `table/${named('TableName')}`);
      return { ref: named('TableName'), attrs: { Arn: tableArn } };
    }
    case 'AWS::KinesisFirehose::DeliveryStream': {
      const name = named('DeliveryStreamName');
      return { ref: name, attrs: { Arn: arn('firehose', `deliverystream/${name}`) } };
    }
    case 'AWS::Lambda::Function': {
      const name = named('FunctionName');
      return { ref: name, attrs: { Arn: arn('lambda', `function:${name}`) } };
    }
    case 'AWS::Events::Rule': {
      const name = named('Name');
      return { ref: name, attrs: { Arn: arn('events', `rule/${name}`) } };
    }
    default: {
      const generic = arn(resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown', logicalId);
      return { ref: generic, attrs: { Arn: generic } };
    }
  }
}

/**
 * Resolves every intrinsic function in `value` with the shared resolver (see resolve-intrinsics.ts), against fake but
 * deterministic physical ids instead of a deployed stack. Parameters take their template Default. Throws on whatever
 * cannot be faked offline (Fn::ImportValue, attributes the fake-id table does not know, references to nothing).
 */
export async function resolveIntrinsics<T = any>(
  value: unknown,
  template: CfnTemplate,
  opts: ResolveOptions = {},
): Promise<T> {
  const resolved = await resolveValue(value, fakeContext(template, opts));
  return (resolved === NO_VALUE ? undefined : resolved) as T;
}

function fakeContext(template: CfnTemplate, opts: ResolveOptions): ResolveContext {
  const env: Env = {
    account: opts.account ?? DEFAULT_ACCOUNT,
    region: opts.region ?? DEFAULT_REGION,
    partition: opts.partition ?? 'aws',
  };
  const pseudoParameters: Record<string, string> = {
    'AWS::AccountId': env.account,
    'AWS::Region': env.region,
    'AWS::Partition': env.partition,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const parameters: Record<string, string> = {};
  for (const [name, { Default }] of Object.entries(template.Parameters ?? {})) {
    if (Default !== undefined) parameters[name] = String(Default);
  }
  // An override without a dot replaces a Ref to anything: pseudo parameter, parameter, resource, or a name that is none
  // of these (a Fn::Sub variable, say). The shared resolver looks pseudo parameters up first, then parameters, and only
  // then resources, so the override goes in the first of those tables that applies.
  const pseudoNames = Object.keys(pseudoParameters);
  for (const [name, id] of Object.entries(opts.physicalIds ?? {})) {
    if (pseudoNames.includes(name)) pseudoParameters[name] = id;
    else if (!name.includes('.')) parameters[name] = id;
  }
  const fake = (logicalId: string): Physical => {
    const resource = template.Resources?.[logicalId];
    if (!resource) throw new UnresolvableError(`resolveIntrinsics: no resource '${logicalId}' in template`);
    return physicalIdOf(logicalId, resource, env);
  };
  return {
    template,
    pseudoParameters,
    parameters,
    physicalId: (logicalId) => fake(logicalId).ref,
    getAtt: async (logicalId, attribute) => {
      const override = opts.physicalIds?.[`${logicalId}.${attribute}`];
      if (override !== undefined) return override;
      const faked = fake(logicalId).attrs[attribute];
      if (faked === undefined) {
        throw new UnresolvableError(
          `resolveIntrinsics: cannot fake ${logicalId}.${attribute} (${template.Resources?.[logicalId]?.Type}); ` +
            `pass physicalIds['${logicalId}.${attribute}']`,
        );
      }
      return faked;
    },
    importValue: async (name) => {
      throw new UnresolvableError(`resolveIntrinsics: unsupported intrinsic Fn::ImportValue: ${JSON.stringify(name)}`);
    },
  };
}

function resourcesOfType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

function expectType(template: CfnTemplate, logicalId: string, type: string): void {
  const actual = template.Resources?.[logicalId]?.Type;
  if (actual !== type) throw new Error(`${logicalId} is ${actual ?? 'not in the template'}, expected ${type}`);
}

/**
 * The policy document of the one `policyType` resource whose `targetsProp` (a Ref or list of Refs) names the target.
 * Returns undefined when there is none; throws when there are several, since SQS/SNS/S3 keep only the last one applied.
 */
async function attachedPolicy(
  template: CfnTemplate,
  targetLogicalId: string,
  policyType: string,
  targetsProp: string,
  opts?: ResolveOptions,
): Promise<any> {
  const target = await resolveIntrinsics<string>({ Ref: targetLogicalId }, template, opts);
  const candidates = resourcesOfType(template, policyType);
  const targets = await Promise.all(
    candidates.map(async ([, r]) =>
      ([] as unknown[]).concat(await resolveIntrinsics(r.Properties?.[targetsProp], template, opts)),
    ),
  );
  const matches = candidates.filter((_, i) => targets[i].includes(target));
  if (matches.length > 1) {
    throw new Error(
      `${targetLogicalId} has ${matches.length} ${policyType}s (${matches.map(([id]) => id)}); only one wins`,
    );
  }
  return matches[0] && resolveIntrinsics(matches[0][1].Properties?.PolicyDocument, template, opts);
}

export async function queuePolicyFor(
  template: CfnTemplate,
  queueLogicalId: string,
  opts?: ResolveOptions,
): Promise<any> {
  expectType(template, queueLogicalId, 'AWS::SQS::Queue');
  return attachedPolicy(template, queueLogicalId, 'AWS::SQS::QueuePolicy', 'Queues', opts);
}

export async function topicPolicyFor(
  template: CfnTemplate,
  topicLogicalId: string,
  opts?: ResolveOptions,
): Promise<any> {
  expectType(template, topicLogicalId, 'AWS::SNS::Topic');
  return attachedPolicy(template, topicLogicalId, 'AWS::SNS::TopicPolicy', 'Topics', opts);
}

export async function bucketPolicyFor(
  template: CfnTemplate,
  bucketLogicalId: string,
  opts?: ResolveOptions,
): Promise<any> {
  expectType(template, bucketLogicalId, 'AWS::S3::Bucket');
  return attachedPolicy(template, bucketLogicalId, 'AWS::S3::BucketPolicy', 'Bucket', opts);
}

export async function keyPolicyFor(template: CfnTemplate, keyLogicalId: string, opts?: ResolveOptions): Promise<any> {
  expectType(template, keyLogicalId, 'AWS::KMS::Key');
  return resolveIntrinsics(template.Resources![keyLogicalId].Properties?.KeyPolicy, template, opts);
}

/**
 * Every policy document that applies to the role and is defined in the template: inline Policies, AWS::IAM::Policy and
 * AWS::IAM::ManagedPolicy attached via Roles, and ManagedPolicyArns that point at in-template managed policies.
 * AWS-managed policy ARNs cannot be read offline and are left out.
 */
export async function identityPoliciesFor(
  template: CfnTemplate,
  roleLogicalId: string,
  opts?: ResolveOptions,
): Promise<object[]> {
  expectType(template, roleLogicalId, 'AWS::IAM::Role');
  const role = template.Resources![roleLogicalId];
  const resolve = <T>(value: unknown) => resolveIntrinsics<T>(value, template, opts);
  const roleName = await resolve<string>({ Ref: roleLogicalId });
  const attachedArns = await resolve<string[]>(role.Properties?.ManagedPolicyArns ?? []);
  const attached = async (type: string): Promise<[string, CfnResource][]> => {
    const candidates = resourcesOfType(template, type);
    const isAttached = await Promise.all(
      candidates.map(async ([id, r]) => {
        const roles = await resolve<string[]>(r.Properties?.Roles ?? []);
        return (
          roles.includes(roleName) ||
          (type === 'AWS::IAM::ManagedPolicy' && attachedArns.includes(await resolve<string>({ Ref: id })))
        );
      }),
    );
    return candidates.filter((_, i) => isAttached[i]);
  };
  const inline = (role.Properties?.Policies ?? []) as { PolicyDocument: unknown }[];
  const documents = [
    ...inline.map((p) => p.PolicyDocument),
    ...(await attached('AWS::IAM::Policy')).map(([, r]) => r.Properties?.PolicyDocument),
    ...(await attached('AWS::IAM::ManagedPolicy')).map(([, r]) => r.Properties?.PolicyDocument),
  ];
  return Promise.all(documents.map((doc) => resolve<object>(doc)));
}
