import * as path from 'path';
import {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolatingResource,
  PolicyViolation,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import { IConstruct } from 'constructs';
import { libraryVersion } from './private/library-version';
import { invalidProp, methodArgument } from './private/validation';

/**
 * Compliance rules for Amazon MQ brokers (`AWS::AmazonMQ::Broker`), which the standard
 * compliance rule packs do not cover, as an aws-cdk-lib policy validation plugin. Add it to your app with
 * `Validations.of(app).addPlugins(new AmazonMQChecks())`: synthesis then fails with a
 * validation report when a broker breaks a rule. In a test, or on any construct tree
 * (synthesized or not), call `new AmazonMQChecks().validateScope(scope)` instead.
 *
 * Acknowledge a finding on the broker or on any construct above it with
 * `Validations.of(construct).acknowledge({ id: 'AmazonMQ-...', reason })`: it removes that
 * rule's finding for the brokers at or below that construct only. (The id with the plugin's
 * prefix, `AmazonMQ::AmazonMQ-...`, is honoured the same way, but at synthesis aws-cdk-lib
 * itself also suppresses a rule acknowledged in that form for every broker in the app.)
 *
 * Rules (all errors):
 * - `AmazonMQ-HighAvailability`: ActiveMQ runs as an active/standby pair, RabbitMQ as a cluster.
 * - `AmazonMQ-NotPubliclyAccessible`: the broker has no public endpoint.
 * - `AmazonMQ-LogsEnabled`: general logs (and, for ActiveMQ, audit logs) go to CloudWatch Logs.
 * - `AmazonMQ-CustomerManagedKey`: ActiveMQ storage is encrypted with a customer-managed KMS key, not the AWS-owned one.
 * - `AmazonMQ-AutoMinorVersionUpgrade`: automatic minor version upgrades are on.
 * - `AmazonMQ-NoPlainTextPassword`: user and LDAP service-account passwords are dynamic references, never literals.
 */
export class AmazonMQChecks implements IPolicyValidationPlugin {
  /**
   * The name of the plugin, shown in the validation report. It is also the prefix
   * aws-cdk-lib offers for acknowledgments (`AmazonMQ::AmazonMQ-...`).
   */
  public readonly name: string = PLUGIN_NAME;

  /**
   * The ids of the rules the plugin evaluates.
   */
  public readonly ruleIds?: string[] = RULES.map((rule) => rule.id);

  /**
   * The version of the rules: this library's version.
   */
  public readonly version?: string = libraryVersion();

  /**
   * Takes no arguments: register the instance with `Validations.of(app).addPlugins(...)`,
   * or call `validateScope` on it.
   */
  constructor() {}

  /**
   * Called by aws-cdk-lib at synthesis for the stacks of the stage the plugin was added to.
   * Evaluates every Amazon MQ broker of those stacks (nested stacks included) on the
   * construct tree and reports the findings that are not acknowledged on the broker or an
   * ancestor, each naming the broker's logical id, template and construct path.
   *
   * @param context the validation context aws-cdk-lib passes: the app's construct tree and the stacks' templates
   */
  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const root = context.appConstruct;
    if (root === undefined) {
      throw invalidProp(
        PLUGIN_SCOPE,
        methodArgument('validate', 'context.appConstruct'),
        'must be the construct tree, which AmazonMQChecks evaluates and aws-cdk-lib passes from version 2.258.0 on ' +
          '(use it, or call validateScope(app))',
        undefined,
      );
    }
    // Older aws-cdk-lib versions may not pass stackTemplates: evaluate every broker then.
    const stackTemplates = context.stackTemplates as typeof context.stackTemplates | undefined;
    const templates = new Map((stackTemplates ?? []).map((s) => [s.stackConstructPath, s.templatePath]));
    return evaluate(root, (broker) => {
      if (stackTemplates === undefined) {
        return { templatePath: undefined };
      }
      const stack = Stack.of(broker);
      let topLevel = stack;
      while (topLevel.nestedStackParent !== undefined) {
        topLevel = topLevel.nestedStackParent;
      }
      const topLevelTemplate = templates.get(topLevel.node.path);
      if (topLevelTemplate === undefined) {
        // A stack of another stage: not validated by this registration of the plugin.
        return undefined;
      }
      // A nested stack's template is written next to its top-level stack's template.
      const templatePath =
        stack === topLevel ? topLevelTemplate : path.join(path.dirname(topLevelTemplate), stack.templateFile);
      return { templatePath };
    });
  }

  /**
   * Evaluates every Amazon MQ broker (`AWS::AmazonMQ::Broker`) at or below `scope`, which
   * need not be synthesized, and reports the findings that are not acknowledged on the
   * broker or an ancestor. The violating resources name the broker's logical id and
   * construct path; they have no template path.
   *
   * @param scope the construct tree to evaluate, usually the app
   */
  public validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return evaluate(scope, () => ({ templatePath: undefined }));
  }
}

/** The plugin's name, and the namespace aws-cdk-lib gives its rule ids. */
const PLUGIN_NAME = 'AmazonMQ';

/** What the plugin's own errors name as their path: the plugin, which belongs to no construct. */
const PLUGIN_SCOPE = { node: { path: 'AmazonMQChecks' } } as unknown as IConstruct;

/** A rule: what it reports, and the property paths of a broker that breaks it (none when it passes). */
interface Rule {
  readonly id: string;
  readonly description: string;
  readonly fix: string;
  readonly check: (broker: amazonmq.CfnBroker) => string[];
}

const RULES: Rule[] = [
  {
    id: 'AmazonMQ-HighAvailability',
    description:
      'The Amazon MQ broker is a single instance: ActiveMQ is not an active/standby pair, RabbitMQ not a cluster.',
    fix:
      'A single-instance broker is unavailable during every maintenance window and is lost with its Availability Zone. ' +
      'ACTIVE_STANDBY_MULTI_AZ (ActiveMQ) fails over to a standby in a second zone; CLUSTER_MULTI_AZ (RabbitMQ) runs three nodes in three zones.',
    check: brokerHighlyAvailable,
  },
  {
    id: 'AmazonMQ-NotPubliclyAccessible',
    description: 'The Amazon MQ broker is publicly accessible.',
    fix:
      'A publicly accessible broker has endpoints on the internet, protected by user names and passwords only. ' +
      'Place it in private subnets and admit clients through its security group.',
    check: brokerNotPublic,
  },
  {
    id: 'AmazonMQ-LogsEnabled',
    description:
      'The Amazon MQ broker does not publish its general log (and, for ActiveMQ, its audit log) to CloudWatch Logs.',
    fix:
      'Without the general log, failovers, storage limits and configuration errors leave no trace; the ActiveMQ audit log ' +
      'records management actions taken through JMX or the web console.',
    check: brokerLogsEnabled,
  },
  {
    id: 'AmazonMQ-CustomerManagedKey',
    description:
      'The Amazon MQ for ActiveMQ broker encrypts its storage with an AWS-owned or AWS-managed key, not a customer-managed KMS key.',
    fix:
      'With a customer-managed key you control who may use it (its key policy), audit every use in CloudTrail, and can revoke access. ' +
      'Set EncryptionOptions.UseAwsOwnedKey to false and KmsKeyId to your key. (RabbitMQ brokers offer no choice and are not checked.)',
    check: brokerCustomerManagedKey,
  },
  {
    id: 'AmazonMQ-AutoMinorVersionUpgrade',
    description: 'The Amazon MQ broker does not have automatic minor version upgrades on.',
    fix:
      'Security patches reach the broker only through minor version upgrades in the maintenance window; Amazon MQ requires them ' +
      'for ActiveMQ 5.18 and later and RabbitMQ 3.13 and later.',
    check: brokerAutoMinorVersionUpgrade,
  },
  {
    id: 'AmazonMQ-NoPlainTextPassword',
    description:
      'An Amazon MQ broker user (or LDAP service account) has a password that is not a Secrets Manager or SSM SecureString dynamic reference.',
    fix:
      'A literal password is stored in the template, the cloud assembly and CloudFormation for everyone who can read them. ' +
      'Generate it into Secrets Manager and pass `{{resolve:secretsmanager:...}}`.',
    check: brokerNoPlainTextPassword,
  },
];

/** Where a broker's template is, or `undefined` to leave the broker out. */
type TemplateOf = (broker: amazonmq.CfnBroker) => { templatePath: string | undefined } | undefined;

/**
 * Every rule on every broker at or below `scope`, in tree order, leaving out acknowledged
 * findings. One violation per rule (and per evaluation error), listing its brokers.
 */
function evaluate(scope: IConstruct, templateOf: TemplateOf): PolicyValidationPluginReport {
  const violations: PolicyViolation[] = [];
  const report = (rule: Rule, description: string, resource: PolicyViolatingResource) => {
    const existing = violations.find((v) => v.ruleName === rule.id && v.description === description);
    if (existing) {
      existing.violatingResources.push(resource);
    } else {
      violations.push({
        ruleName: rule.id,
        description,
        fix: rule.fix,
        severity: 'error',
        violatingResources: [resource],
      });
    }
  };

  for (const construct of scope.node.findAll()) {
    if (!(construct instanceof amazonmq.CfnBroker)) {
      continue;
    }
    const template = templateOf(construct);
    if (template === undefined) {
      continue;
    }
    const acknowledged = acknowledgedIds(construct);
    const resourceLogicalId = Stack.of(construct).resolve(construct.logicalId) as string;
    for (const rule of RULES) {
      if (isAcknowledged(acknowledged, rule.id)) {
        continue;
      }
      let locations: string[];
      let description = rule.description;
      try {
        locations = rule.check(construct);
      } catch (error) {
        // A property the rule cannot read (an intrinsic where it expects a list or a struct):
        // the broker is not proven compliant, so it is reported.
        locations = ['Properties'];
        description = `${rule.description} (The rule could not evaluate the broker: ${(error as Error).message})`;
      }
      if (locations.length === 0) {
        continue;
      }
      report(rule, description, {
        resourceLogicalId,
        templatePath: template.templatePath,
        constructPath: construct.node.path,
        locations,
      });
    }
  }
  return { success: violations.length === 0, violations };
}

/**
 * The rule ids acknowledged on `construct` and its ancestors: the keys of the
 * `Validations.ACKNOWLEDGED_RULES_METADATA_KEY` metadata `Validations.acknowledge()` records,
 * normalized by aws-cdk-lib (`AmazonMQ-X` is recorded as `Annotation::AmazonMQ-X`, or
 * `annotation::AmazonMQ-X` before aws-cdk-lib 2.262.1; `AmazonMQ::AmazonMQ-X` as given).
 */
function acknowledgedIds(construct: IConstruct): Set<string> {
  const ids = new Set<string>();
  for (const scope of construct.node.scopes) {
    for (const entry of scope.node.metadata) {
      if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && entry.data) {
        for (const id of Object.keys(entry.data as Record<string, string>)) {
          ids.add(id);
        }
      }
    }
  }
  return ids;
}

const ANNOTATION_PREFIX = /^annotation::/i;

function isAcknowledged(acknowledged: Set<string>, ruleId: string): boolean {
  for (const id of acknowledged) {
    if (ANNOTATION_PREFIX.test(id) && id.replace(ANNOTATION_PREFIX, '') === ruleId) {
      return true;
    }
    if (id === `${PLUGIN_NAME}::${ruleId}`) {
      return true;
    }
  }
  return false;
}

/** A resolved value, or the unresolved one when it resolves to an intrinsic (an object). */
function resolveIfPrimitive(broker: amazonmq.CfnBroker, value: unknown): unknown {
  const resolved = Stack.of(broker).resolve(value);
  return resolved === Object(resolved) ? value : resolved;
}

function engineTypeOf(broker: amazonmq.CfnBroker): string {
  return String(resolveIfPrimitive(broker, broker.engineType)).toUpperCase();
}

function brokerHighlyAvailable(broker: amazonmq.CfnBroker): string[] {
  const deploymentMode = resolveIfPrimitive(broker, broker.deploymentMode);
  const required = engineTypeOf(broker) === 'RABBITMQ' ? 'CLUSTER_MULTI_AZ' : 'ACTIVE_STANDBY_MULTI_AZ';
  return deploymentMode === required ? [] : ['Properties/DeploymentMode'];
}

function brokerNotPublic(broker: amazonmq.CfnBroker): string[] {
  const publiclyAccessible = resolveIfPrimitive(broker, broker.publiclyAccessible);
  return isFalse(publiclyAccessible) ? [] : ['Properties/PubliclyAccessible'];
}

function brokerLogsEnabled(broker: amazonmq.CfnBroker): string[] {
  const brokerLogs = Stack.of(broker).resolve(broker.logs) as Record<string, unknown> | undefined;
  const locations: string[] = [];
  if (!isTrue(field(brokerLogs, 'general'))) {
    locations.push('Properties/Logs/General');
  }
  if (engineTypeOf(broker) === 'ACTIVEMQ' && !isTrue(field(brokerLogs, 'audit'))) {
    locations.push('Properties/Logs/Audit');
  }
  return locations;
}

function brokerCustomerManagedKey(broker: amazonmq.CfnBroker): string[] {
  if (engineTypeOf(broker) !== 'ACTIVEMQ') {
    return [];
  }
  const options = Stack.of(broker).resolve(broker.encryptionOptions) as Record<string, unknown> | undefined;
  const kmsKeyId = field(options, 'kmsKeyId');
  const locations: string[] = [];
  if (!isFalse(field(options, 'useAwsOwnedKey'))) {
    locations.push('Properties/EncryptionOptions/UseAwsOwnedKey');
  }
  // Missing, or a literal naming the AWS-managed key, which is not a customer-managed key.
  if (kmsKeyId === undefined || (typeof kmsKeyId === 'string' && kmsKeyId.endsWith('alias/aws/mq'))) {
    locations.push('Properties/EncryptionOptions/KmsKeyId');
  }
  return locations;
}

function brokerAutoMinorVersionUpgrade(broker: amazonmq.CfnBroker): string[] {
  const autoMinorVersionUpgrade = resolveIfPrimitive(broker, broker.autoMinorVersionUpgrade);
  return isTrue(autoMinorVersionUpgrade) ? [] : ['Properties/AutoMinorVersionUpgrade'];
}

function brokerNoPlainTextPassword(broker: amazonmq.CfnBroker): string[] {
  const stack = Stack.of(broker);
  const users = (stack.resolve(broker.users) ?? []) as Array<Record<string, unknown>>;
  const locations = users.flatMap((user, index) =>
    isDynamicReference(field(user, 'password')) ? [] : [`Properties/Users/${index}/Password`],
  );
  const ldap = stack.resolve(broker.ldapServerMetadata) as Record<string, unknown> | undefined;
  const servicePassword = field(ldap, 'serviceAccountPassword');
  if (servicePassword !== undefined && !isDynamicReference(servicePassword)) {
    locations.push('Properties/LdapServerMetadata/ServiceAccountPassword');
  }
  return locations;
}

const DYNAMIC_REFERENCE = /^\{\{resolve:(secretsmanager|ssm-secure):/;

/**
 * A `{{resolve:secretsmanager:...}}` or `{{resolve:ssm-secure:...}}` reference, as a literal or as
 * the `Fn::Join` CDK renders when the secret's ARN is a reference. Anything else, parameters
 * included, counts as plain text: its value ends up in the template or the stack's parameters.
 */
function isDynamicReference(password: unknown): boolean {
  if (typeof password === 'string') {
    return DYNAMIC_REFERENCE.test(password);
  }
  const join = (password as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!Array.isArray(join) || join[0] !== '' || !Array.isArray(join[1])) {
    return false;
  }
  const first = join[1][0];
  return typeof first === 'string' && DYNAMIC_REFERENCE.test(first);
}

/**
 * A property of a resolved L1 struct: camelCase as the L1 holds it, or PascalCase when a
 * token or an override produced the CloudFormation shape.
 */
function field(struct: Record<string, unknown> | undefined, camelCaseName: string): unknown {
  if (struct === undefined || struct === null) {
    return undefined;
  }
  return struct[camelCaseName] ?? struct[camelCaseName.charAt(0).toUpperCase() + camelCaseName.slice(1)];
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}
