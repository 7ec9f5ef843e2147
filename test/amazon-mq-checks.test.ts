import * as fs from 'fs';
import * as path from 'path';
import { App, Aws, CfnCondition, CfnParameter, Fn, NestedStack, Stack, Stage, Validations } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { cdkAtLeast, strictApp, synthesisFailure } from '../harness/app';
import { AmazonMQChecks } from '../src/amazon-mq-checks';
import { MessageBroker } from '../src/message-broker';
import { MessageBrokerEngine } from '../src/message-broker-engine';

// Each rule of the AmazonMQ pack on a compliant broker and on brokers that break
// exactly that rule. The brokers are plain L1s, as a user of the pack would have.

const ENV = { account: '123456789012', region: 'us-east-1' };

function stackWithSecret(app: App = new App()): { stack: Stack; secret: secretsmanager.Secret; key: kms.Key } {
  const stack = new Stack(app, 'Stack', { env: ENV });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const secret = new secretsmanager.Secret(stack, 'Password', { encryptionKey: key });
  return { stack, secret, key };
}

function compliantProps(secret: secretsmanager.ISecret, key: kms.IKey): amazonmq.CfnBrokerProps {
  return {
    brokerName: 'orders',
    engineType: 'ACTIVEMQ',
    engineVersion: '5.19',
    deploymentMode: 'ACTIVE_STANDBY_MULTI_AZ',
    hostInstanceType: 'mq.m5.large',
    publiclyAccessible: false,
    autoMinorVersionUpgrade: true,
    subnetIds: ['subnet-a', 'subnet-b'],
    encryptionOptions: { useAwsOwnedKey: false, kmsKeyId: key.keyArn },
    logs: { general: true, audit: true },
    users: [{ username: 'admin', password: secret.secretValueFromJson('password').unsafeUnwrap() }],
  };
}

function compliantRabbitProps(secret: secretsmanager.ISecret): amazonmq.CfnBrokerProps {
  return {
    brokerName: 'events',
    engineType: 'RABBITMQ',
    engineVersion: '3.13',
    deploymentMode: 'CLUSTER_MULTI_AZ',
    hostInstanceType: 'mq.m5.large',
    publiclyAccessible: false,
    autoMinorVersionUpgrade: true,
    subnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
    logs: { general: true },
    users: [{ username: 'admin', password: secret.secretValueFromJson('password').unsafeUnwrap() }],
  };
}

/** The AmazonMQ rule ids raised on the app of `stack`. */
function findings(stack: Stack): string[] {
  const report = new AmazonMQChecks().validateScope(stack.node.root);
  return report.violations.map((v) => v.ruleName).sort();
}

describe('AmazonMQChecks on compliant brokers', () => {
  test('an ActiveMQ active/standby broker with a customer key, logs and secret passwords passes', () => {
    const { stack, secret, key } = stackWithSecret();
    new amazonmq.CfnBroker(stack, 'Broker', compliantProps(secret, key));
    expect(findings(stack)).toEqual([]);
  });

  test('a RabbitMQ cluster with general logs passes (the key rule does not apply to RabbitMQ)', () => {
    const { stack, secret } = stackWithSecret();
    new amazonmq.CfnBroker(stack, 'Broker', compliantRabbitProps(secret));
    expect(findings(stack)).toEqual([]);
  });

  test('literal dynamic references (Secrets Manager and SSM SecureString) pass', () => {
    const { stack, secret, key } = stackWithSecret();
    new amazonmq.CfnBroker(stack, 'Broker', {
      ...compliantProps(secret, key),
      users: [
        { username: 'admin', password: '{{resolve:secretsmanager:mq-admin:SecretString:password}}' },
        { username: 'app', password: '{{resolve:ssm-secure:/mq/app-password:1}}' },
      ],
    });
    expect(findings(stack)).toEqual([]);
  });

  test('resources other than brokers are not checked', () => {
    const { stack } = stackWithSecret();
    new ec2.CfnSecurityGroup(stack, 'SecurityGroup', { groupDescription: 'unrelated' });
    expect(findings(stack)).toEqual([]);
  });

  test('the plugin names itself AmazonMQ and lists its six rules', () => {
    const plugin = new AmazonMQChecks();
    expect(plugin.name).toBe('AmazonMQ');
    expect(plugin.ruleIds).toEqual([
      'AmazonMQ-HighAvailability',
      'AmazonMQ-NotPubliclyAccessible',
      'AmazonMQ-LogsEnabled',
      'AmazonMQ-CustomerManagedKey',
      'AmazonMQ-AutoMinorVersionUpgrade',
      'AmazonMQ-NoPlainTextPassword',
    ]);
  });

  test('a compliant report is a success with no violations', () => {
    const { stack, secret, key } = stackWithSecret();
    new amazonmq.CfnBroker(stack, 'Broker', compliantProps(secret, key));
    expect(new AmazonMQChecks().validateScope(stack.node.root)).toEqual({ success: true, violations: [] });
  });
});

describe('AmazonMQChecks on non-compliant brokers', () => {
  test.each<[string, (p: amazonmq.CfnBrokerProps) => amazonmq.CfnBrokerProps]>([
    ['AmazonMQ-HighAvailability', (p) => ({ ...p, deploymentMode: 'SINGLE_INSTANCE', subnetIds: ['subnet-a'] })],
    ['AmazonMQ-NotPubliclyAccessible', (p) => ({ ...p, publiclyAccessible: true })],
    ['AmazonMQ-LogsEnabled', (p) => ({ ...p, logs: undefined })],
    ['AmazonMQ-LogsEnabled', (p) => ({ ...p, logs: { general: true, audit: false } })],
    ['AmazonMQ-LogsEnabled', (p) => ({ ...p, logs: { general: false, audit: true } })],
    ['AmazonMQ-CustomerManagedKey', (p) => ({ ...p, encryptionOptions: undefined })],
    ['AmazonMQ-CustomerManagedKey', (p) => ({ ...p, encryptionOptions: { useAwsOwnedKey: true } })],
    ['AmazonMQ-CustomerManagedKey', (p) => ({ ...p, encryptionOptions: { useAwsOwnedKey: false } })],
    [
      'AmazonMQ-CustomerManagedKey',
      (p) => ({ ...p, encryptionOptions: { useAwsOwnedKey: false, kmsKeyId: 'alias/aws/mq' } }),
    ],
    ['AmazonMQ-AutoMinorVersionUpgrade', (p) => ({ ...p, autoMinorVersionUpgrade: false })],
    ['AmazonMQ-AutoMinorVersionUpgrade', (p) => ({ ...p, autoMinorVersionUpgrade: undefined })],
    [
      'AmazonMQ-NoPlainTextPassword',
      (p) => ({
        ...p,
        users: [...(p.users as amazonmq.CfnBroker.UserProperty[]), { username: 'app', password: 'hunter2hunter2' }],
      }),
    ],
    [
      'AmazonMQ-NoPlainTextPassword',
      (p) => ({
        ...p,
        authenticationStrategy: 'LDAP',
        ldapServerMetadata: {
          hosts: ['ldap.example.com'],
          roleBase: 'ou=groups',
          roleSearchMatching: '(member={0})',
          serviceAccountUsername: 'mq',
          serviceAccountPassword: 'plain-text-service-password',
          userBase: 'ou=users',
          userSearchMatching: '(uid={0})',
        },
      }),
    ],
  ])('%s is raised, and only it', (rule, breakIt) => {
    const { stack, secret, key } = stackWithSecret();
    new amazonmq.CfnBroker(stack, 'Broker', breakIt(compliantProps(secret, key)));
    expect(findings(stack)).toEqual([rule]);
  });

  test.each<[string, (p: amazonmq.CfnBrokerProps) => amazonmq.CfnBrokerProps]>([
    ['AmazonMQ-HighAvailability', (p) => ({ ...p, deploymentMode: 'SINGLE_INSTANCE', subnetIds: ['subnet-a'] })],
    ['AmazonMQ-LogsEnabled', (p) => ({ ...p, logs: { general: false } })],
    ['AmazonMQ-NotPubliclyAccessible', (p) => ({ ...p, publiclyAccessible: true })],
  ])('%s is raised on a RabbitMQ broker', (rule, breakIt) => {
    const { stack, secret } = stackWithSecret();
    new amazonmq.CfnBroker(stack, 'Broker', breakIt(compliantRabbitProps(secret)));
    expect(findings(stack)).toEqual([rule]);
  });

  test('a password from a template parameter counts as plain text, even with NoEcho', () => {
    const { stack, secret, key } = stackWithSecret();
    const password = new CfnParameter(stack, 'AppPassword', { noEcho: true });
    new amazonmq.CfnBroker(stack, 'Broker', {
      ...compliantProps(secret, key),
      users: [{ username: 'app', password: password.valueAsString }],
    });
    expect(findings(stack)).toEqual(['AmazonMQ-NoPlainTextPassword']);
  });

  test('a finding is an error naming the broker, its logical id and the offending properties', () => {
    const { stack, secret, key } = stackWithSecret();
    const broker = new amazonmq.CfnBroker(stack, 'Broker', {
      ...compliantProps(secret, key),
      publiclyAccessible: true,
    });
    const report = new AmazonMQChecks().validateScope(stack.node.root);
    expect(report.success).toBe(false);
    expect(report.violations).toEqual([
      {
        ruleName: 'AmazonMQ-NotPubliclyAccessible',
        description: 'The Amazon MQ broker is publicly accessible.',
        fix: expect.stringContaining('Place it in private subnets'),
        severity: 'error',
        violatingResources: [
          {
            resourceLogicalId: stack.getLogicalId(broker),
            constructPath: 'Stack/Broker',
            locations: ['Properties/PubliclyAccessible'],
            templatePath: undefined,
          },
        ],
      },
    ]);
  });

  test('the locations name each plain-text password and each missing log', () => {
    const { stack, secret, key } = stackWithSecret();
    new amazonmq.CfnBroker(stack, 'Broker', {
      ...compliantProps(secret, key),
      logs: undefined,
      users: [
        { username: 'admin', password: secret.secretValueFromJson('password').unsafeUnwrap() },
        { username: 'app', password: 'hunter2hunter2' },
      ],
    });
    const locations = Object.fromEntries(
      new AmazonMQChecks()
        .validateScope(stack.node.root)
        .violations.map((v) => [v.ruleName, v.violatingResources.flatMap((r) => r.locations)]),
    );
    expect(locations).toEqual({
      'AmazonMQ-LogsEnabled': ['Properties/Logs/General', 'Properties/Logs/Audit'],
      'AmazonMQ-NoPlainTextPassword': ['Properties/Users/1/Password'],
    });
  });

  test('a property the rule cannot read (users behind Fn::If) is reported, and the other brokers are still checked', () => {
    const { stack, secret, key } = stackWithSecret();
    const condition = new CfnCondition(stack, 'WithUsers', { expression: Fn.conditionEquals('a', 'a') });
    const users = [{ username: 'admin', password: secret.secretValueFromJson('password').unsafeUnwrap() }];
    new amazonmq.CfnBroker(stack, 'Conditional', {
      ...compliantProps(secret, key),
      users: Fn.conditionIf(condition.logicalId, users, Aws.NO_VALUE),
    });
    new amazonmq.CfnBroker(stack, 'Public', { ...compliantProps(secret, key), publiclyAccessible: true });
    const { violations } = new AmazonMQChecks().validateScope(stack.node.root);
    expect(
      violations.map((v) => [
        v.ruleName,
        v.description,
        v.violatingResources.map((r) => [r.constructPath, r.locations]),
      ]),
    ).toEqual([
      [
        'AmazonMQ-NoPlainTextPassword',
        expect.stringMatching(/^An Amazon MQ broker user .* \(The rule could not evaluate the broker: .+\)$/),
        [['Stack/Conditional', ['Properties']]],
      ],
      ['AmazonMQ-NotPubliclyAccessible', expect.any(String), [['Stack/Public', ['Properties/PubliclyAccessible']]]],
    ]);
  });

  test('one violation per rule lists every broker that breaks it', () => {
    const { stack, secret, key } = stackWithSecret();
    new amazonmq.CfnBroker(stack, 'One', { ...compliantProps(secret, key), publiclyAccessible: true });
    new amazonmq.CfnBroker(stack, 'Two', { ...compliantProps(secret, key), publiclyAccessible: true });
    const { violations } = new AmazonMQChecks().validateScope(stack.node.root);
    expect(violations).toHaveLength(1);
    expect(violations[0].violatingResources.map((r) => r.constructPath)).toEqual(['Stack/One', 'Stack/Two']);
  });
});

describe('AmazonMQChecks acknowledgments (Validations.acknowledge)', () => {
  /** A broker breaking HighAvailability and NotPubliclyAccessible, inside `Stack/Team`. */
  function twoFindings() {
    const { stack, secret, key } = stackWithSecret();
    const team = new Construct(stack, 'Team');
    const broker = new amazonmq.CfnBroker(team, 'Broker', {
      ...compliantProps(secret, key),
      deploymentMode: 'SINGLE_INSTANCE',
      publiclyAccessible: true,
    });
    return { stack, secret, key, team, broker };
  }
  const reason = 'Development broker, recreated every day.';

  test('without an acknowledgment both findings are reported', () => {
    const { stack } = twoFindings();
    expect(findings(stack)).toEqual(['AmazonMQ-HighAvailability', 'AmazonMQ-NotPubliclyAccessible']);
  });

  test.each<[string, (t: ReturnType<typeof twoFindings>) => IConstruct]>([
    ['the broker', (t) => t.broker],
    ['its parent construct', (t) => t.team],
    ['its stack', (t) => t.stack],
    ['the app', (t) => t.stack.node.root],
  ])('an acknowledgment on %s removes exactly that finding', (_, on) => {
    const t = twoFindings();
    Validations.of(on(t)).acknowledge({ id: 'AmazonMQ-HighAvailability', reason });
    expect(findings(t.stack)).toEqual(['AmazonMQ-NotPubliclyAccessible']);
  });

  test("the id with the plugin's prefix, as aws-cdk-lib's report suggests, is honoured too", () => {
    const t = twoFindings();
    Validations.of(t.broker).acknowledge({ id: 'AmazonMQ::AmazonMQ-NotPubliclyAccessible', reason });
    expect(findings(t.stack)).toEqual(['AmazonMQ-HighAvailability']);
  });

  test('several rules can be acknowledged at once', () => {
    const t = twoFindings();
    Validations.of(t.team).acknowledge(
      { id: 'AmazonMQ-HighAvailability', reason },
      { id: 'AmazonMQ-NotPubliclyAccessible', reason },
    );
    expect(findings(t.stack)).toEqual([]);
  });

  test('an acknowledgment on a sibling, or of another id, removes nothing', () => {
    const t = twoFindings();
    const sibling = new Construct(t.stack, 'Sibling');
    Validations.of(sibling).acknowledge({ id: 'AmazonMQ-HighAvailability', reason });
    Validations.of(t.broker).acknowledge(
      { id: 'AmazonMQ-LogsEnabled', reason },
      { id: 'AwsSolutions-MQ-HighAvailability', reason },
      { id: 'Other::AmazonMQ-HighAvailability', reason },
    );
    expect(findings(t.stack)).toEqual(['AmazonMQ-HighAvailability', 'AmazonMQ-NotPubliclyAccessible']);
  });

  test('an acknowledgment covers only the brokers below it', () => {
    const t = twoFindings();
    const other = new amazonmq.CfnBroker(t.stack, 'Other', {
      ...compliantProps(t.secret, t.key),
      deploymentMode: 'SINGLE_INSTANCE',
    });
    Validations.of(t.team).acknowledge({ id: 'AmazonMQ-HighAvailability', reason });
    const report = new AmazonMQChecks().validateScope(t.stack.node.root);
    expect(
      report.violations.flatMap((v) => v.violatingResources.map((r) => `${r.constructPath}: ${v.ruleName}`)).sort(),
    ).toEqual([`${other.node.path}: AmazonMQ-HighAvailability`, 'Stack/Team/Broker: AmazonMQ-NotPubliclyAccessible']);
  });
});

describe('AmazonMQChecks as a validation plugin at synthesis', () => {
  /** The AmazonMQ plugin report in the cloud assembly's validation report. */
  function pluginReport(app: App): any {
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf-8'));
    return report.pluginReports.find((r: any) => r.pluginName === 'AmazonMQ');
  }

  test('a non-compliant broker makes synthesis throw with the validation report', () => {
    const app = strictApp();
    Validations.of(app).addPlugins(new AmazonMQChecks());
    const { stack, secret, key } = stackWithSecret(app);
    const broker = new amazonmq.CfnBroker(stack, 'Broker', {
      ...compliantProps(secret, key),
      deploymentMode: 'SINGLE_INSTANCE',
    });

    const failure = synthesisFailure(app);
    expect(failure).toMatch(/The Amazon MQ broker is a single instance/);
    expect(failure).toMatch(/Stack\/Broker/);
    if (!cdkAtLeast('2.262.0')) {
      return; // Older aws-cdk-lib renders the report without the acknowledgment hint or the resource's template.
    }
    expect(failure).toMatch(/Acknowledge with 'AmazonMQ::AmazonMQ-HighAvailability'/);
    expect(pluginReport(app)).toMatchObject({
      conclusion: 'failure',
      violations: [
        {
          ruleName: 'AmazonMQ-HighAvailability',
          severity: 'error',
          suggestedFix: expect.stringContaining('ACTIVE_STANDBY_MULTI_AZ'),
          violatingConstructs: [
            {
              constructPath: 'Stack/Broker',
              cloudFormationResource: {
                templatePath: 'Stack.template.json',
                logicalId: stack.getLogicalId(broker),
                propertyPaths: ['Properties/DeploymentMode'],
              },
            },
          ],
        },
      ],
    });
  });

  test('a compliant broker synthesizes', () => {
    const app = strictApp();
    Validations.of(app).addPlugins(new AmazonMQChecks());
    const { stack, secret, key } = stackWithSecret(app);
    new amazonmq.CfnBroker(stack, 'Broker', compliantProps(secret, key));
    expect(synthesisFailure(app)).toBeUndefined();
    expect(app.synth().getStackByName('Stack').template.Resources).toBeDefined();
    expect(pluginReport(app)).toBeUndefined();
  });

  test('an acknowledged finding does not fail synthesis (aws-cdk-lib does not filter the unprefixed id itself)', () => {
    const app = strictApp();
    Validations.of(app).addPlugins(new AmazonMQChecks());
    const { stack, secret, key } = stackWithSecret(app);
    const broker = new amazonmq.CfnBroker(stack, 'Broker', {
      ...compliantProps(secret, key),
      deploymentMode: 'SINGLE_INSTANCE',
    });
    Validations.of(broker).acknowledge({ id: 'AmazonMQ-HighAvailability', reason: 'Development broker.' });
    expect(synthesisFailure(app)).toBeUndefined();
  });

  test("a broker in a nested stack is reported against the nested stack's template", () => {
    const app = strictApp();
    Validations.of(app).addPlugins(new AmazonMQChecks());
    const { stack, secret, key } = stackWithSecret(app);
    const nested = new NestedStack(stack, 'Nested');
    new amazonmq.CfnBroker(nested, 'Broker', { ...compliantProps(secret, key), publiclyAccessible: true });

    expect(synthesisFailure(app)).toMatch(/Stack\/Nested\/Broker/);
    if (!cdkAtLeast('2.262.0')) {
      return; // Older aws-cdk-lib writes the report without the resource's template (N/A).
    }
    const [violation] = pluginReport(app).violations;
    const templatePath: string = violation.violatingConstructs[0].cloudFormationResource.templatePath;
    expect(templatePath).toBe(nested.templateFile);
    expect(fs.existsSync(path.join(app.outdir, templatePath))).toBe(true);
  });

  test("added to a stage, the plugin checks that stage's stacks only", () => {
    const app = strictApp();
    const checked = new Stage(app, 'Checked');
    Validations.of(checked).addPlugins(new AmazonMQChecks());
    const unchecked = new Stage(app, 'Unchecked');
    for (const stage of [checked, unchecked]) {
      const stack = new Stack(stage, 'Stack', { env: ENV });
      new amazonmq.CfnBroker(stack, 'Broker', {
        ...compliantProps(new secretsmanager.Secret(stack, 'Password'), new kms.Key(stack, 'Key')),
        publiclyAccessible: true,
      });
    }

    expect(synthesisFailure(app)).toMatch(/Checked\/Stack\/Broker/);
    if (!cdkAtLeast('2.262.0')) {
      return; // Older aws-cdk-lib writes the report without the resource's template (N/A).
    }
    const paths = pluginReport(app).violations.flatMap((v: any) =>
      v.violatingConstructs.map((c: any) => c.constructPath),
    );
    expect(paths).toEqual(['Checked/Stack/Broker']);
  });
});

describe('MessageBroker and the AmazonMQ pack', () => {
  function vpc(stack: Stack): ec2.IVpc {
    return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      privateSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
    });
  }

  test('an ActiveMQ MessageBroker with an application user passes', () => {
    const { stack } = stackWithSecret();
    const broker = new MessageBroker(stack, 'Broker', { vpc: vpc(stack) });
    broker.addUser('orders-app');
    expect(findings(stack)).toEqual([]);
  });

  test('a RabbitMQ MessageBroker passes', () => {
    const { stack } = stackWithSecret();
    new MessageBroker(stack, 'Broker', { vpc: vpc(stack), engine: MessageBrokerEngine.RABBITMQ_4_2 });
    expect(findings(stack)).toEqual([]);
  });

  test('a single-instance MessageBroker fails AmazonMQ-HighAvailability, as its warning says', () => {
    const { stack } = stackWithSecret();
    new MessageBroker(stack, 'Broker', { vpc: vpc(stack), highAvailability: false });
    expect(findings(stack)).toEqual(['AmazonMQ-HighAvailability']);
  });
});

describe('AmazonMQChecks errors', () => {
  test('an aws-cdk-lib that passes no construct tree is refused in the library error shape', () => {
    expect(() => new AmazonMQChecks().validate({ templatePaths: [] } as any)).toThrow(
      '[AmazonMQChecks] validate context.appConstruct must be the construct tree, which AmazonMQChecks evaluates and ' +
        'aws-cdk-lib passes from version 2.258.0 on (use it, or call validateScope(app)), got undefined',
    );
  });
});
