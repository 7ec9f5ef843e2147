import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import {
  AccessRequest,
  CfnTemplate,
  expectAllowed,
  expectDenied,
  identityPoliciesFor,
  keyPolicyFor,
  ResolveOptions,
  resolveIntrinsics,
} from '../harness/access';
import { logicalId, strictStack } from '../harness/app';
import { MessageBroker } from '../src/message-broker';

// Access proofs for the broker's key and user secrets: the synthesized key policy,
// secret resource policies and identity policies, evaluated offline.
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const APP_ROLE = `arn:aws:iam::${ACCOUNT}:role/OrdersApp`;
const UNGRANTED_ROLE = `arn:aws:iam::${ACCOUNT}:role/SomeoneElse`;
const OTHER_ACCOUNT_ROLE = 'arn:aws:iam::999999999999:role/Intruder';
const MQ_VIA = `mq.${REGION}.amazonaws.com`;
const LOGS_SERVICE = `logs.${REGION}.amazonaws.com`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The policy document of the `AWS::SecretsManager::ResourcePolicy` attached to the secret, or undefined. */
async function secretPolicyFor(template: CfnTemplate, secretLogicalId: string, opts?: ResolveOptions): Promise<any> {
  const attached = Object.values(template.Resources ?? {}).filter(
    (r) =>
      r.Type === 'AWS::SecretsManager::ResourcePolicy' &&
      JSON.stringify(r.Properties?.SecretId) === JSON.stringify({ Ref: secretLogicalId }),
  );
  if (attached.length > 1) {
    throw new Error(`${secretLogicalId} has ${attached.length} resource policies; only one applies`);
  }
  return attached[0] && resolveIntrinsics(attached[0].Properties?.ResourcePolicy, template, opts);
}

async function fixture() {
  const stack = strictStack();
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-a', 'subnet-b'],
    privateSubnetRouteTableIds: ['rtb-a', 'rtb-b'],
  });
  const broker = new MessageBroker(stack, 'Broker', { vpc });
  const appSecret = broker.addUser('orders-app');
  const app = new iam.Role(stack, 'OrdersApp', { roleName: 'OrdersApp', assumedBy: new iam.AccountRootPrincipal() });
  appSecret.grantRead(app);

  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  // Secrets Manager ARNs end in a random suffix; the simulator wants the real shape.
  const secretArn = (construct: IConstruct) =>
    `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${logicalId(construct)}-AbCdEf`;
  const opts: ResolveOptions = {
    physicalIds: {
      [logicalId(broker.adminSecret)]: secretArn(broker.adminSecret),
      [logicalId(appSecret)]: secretArn(appSecret),
    },
  };
  const keyLogicalId = logicalId(broker.encryptionKey);
  return {
    key: {
      arn: await resolveIntrinsics<string>({ 'Fn::GetAtt': [keyLogicalId, 'Arn'] }, template, opts),
      policy: await keyPolicyFor(template, keyLogicalId, opts),
    },
    adminSecret: {
      arn: secretArn(broker.adminSecret),
      policy: await secretPolicyFor(template, logicalId(broker.adminSecret), opts),
    },
    appSecret: { arn: secretArn(appSecret), policy: await secretPolicyFor(template, logicalId(appSecret), opts) },
    app: { arn: APP_ROLE, policies: await identityPoliciesFor(template, logicalId(app), opts) },
  };
}

let f: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  f = await fixture();
});

/**
 * `aws:PrincipalAccount`, which AWS sets on every request by an IAM principal and the simulator does not
 * (the secrets deny principals outside the account by it).
 */
function principalAccount(principalArn: string): Record<string, string> {
  return { 'aws:PrincipalAccount': principalArn.split(':')[4] };
}

/** A role of another account whose own policies allow everything on every resource. */
const ALLOW_EVERYTHING = [{ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }];

describe('the broker key', () => {
  function viaAmazonMq(principal: string, action: string, callerAccount = ACCOUNT): AccessRequest {
    return {
      principal,
      action,
      resource: f.key.arn,
      resourcePolicy: f.key.policy,
      context: { 'kms:ViaService': MQ_VIA, 'kms:CallerAccount': callerAccount },
    };
  }

  test.each(['kms:CreateGrant', 'kms:GenerateDataKey', 'kms:Decrypt', 'kms:DescribeKey'])(
    'Amazon MQ may %s for a principal of the account that creates the broker',
    async (action) => {
      await expectAllowed(viaAmazonMq(UNGRANTED_ROLE, action));
    },
  );

  test('the same principal may not use the key directly, outside Amazon MQ', async () => {
    await expectDenied({
      principal: UNGRANTED_ROLE,
      action: 'kms:Decrypt',
      resource: f.key.arn,
      resourcePolicy: f.key.policy,
    });
  });

  test('Amazon MQ may not use it for a principal of another account, whatever that principal may do', async () => {
    await expectDenied({
      ...viaAmazonMq(OTHER_ACCOUNT_ROLE, 'kms:CreateGrant', '999999999999'),
      identityPolicies: ALLOW_EVERYTHING,
    });
  });

  test('another service may not use the Amazon MQ statement', async () => {
    await expectDenied({
      principal: UNGRANTED_ROLE,
      action: 'kms:Decrypt',
      resource: f.key.arn,
      resourcePolicy: f.key.policy,
      context: { 'kms:ViaService': `sqs.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT },
    });
  });

  // The simulator does not know encryption-context keys without a "/" (kms:EncryptionContext:aws:logs:arn),
  // so the CloudWatch Logs statement is proven in two halves: without the context the service is denied,
  // and the statement's ArnLike pattern matches the broker's log groups and nothing else.
  test('CloudWatch Logs may not use the key without naming an Amazon MQ log group', async () => {
    await expectDenied({
      principal: LOGS_SERVICE,
      action: 'kms:GenerateDataKey',
      resource: f.key.arn,
      resourcePolicy: f.key.policy,
    });
  });

  test('the CloudWatch Logs statement covers the broker log groups and no other', () => {
    const statement = f.key.policy.Statement.find((s: any) => s.Sid === 'AllowCloudWatchLogsForAmazonMQ');
    expect(statement.Principal).toEqual({ Service: LOGS_SERVICE });
    const pattern: string = statement.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'];
    const arnLike = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`);
    const logGroupArn = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
    expect(arnLike.test(logGroupArn('/aws/amazonmq/broker/b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9/general'))).toBe(true);
    expect(arnLike.test(logGroupArn('/aws/amazonmq/broker/b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9/audit'))).toBe(true);
    expect(arnLike.test(logGroupArn('/aws/lambda/unrelated'))).toBe(false);
    expect(arnLike.test(`arn:aws:logs:${REGION}:999999999999:log-group:/aws/amazonmq/broker/b-1/general`)).toBe(false);
  });

  test('the application granted its secret may decrypt it through Secrets Manager only', async () => {
    const request: AccessRequest = {
      principal: APP_ROLE,
      action: 'kms:Decrypt',
      resource: f.key.arn,
      resourcePolicy: f.key.policy,
      identityPolicies: f.app.policies,
      context: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT },
    };
    await expectAllowed(request);
    await expectDenied({ ...request, context: { 'kms:CallerAccount': ACCOUNT } });
  });
});

describe('the user secrets', () => {
  test('the application granted read on its secret may read it', async () => {
    await expectAllowed({
      principal: APP_ROLE,
      action: 'secretsmanager:GetSecretValue',
      resource: f.appSecret.arn,
      resourcePolicy: f.appSecret.policy,
      identityPolicies: f.app.policies,
      context: principalAccount(APP_ROLE),
    });
  });

  test('the application may not read the administrator secret', async () => {
    const decision = await expectDenied({
      principal: APP_ROLE,
      action: 'secretsmanager:GetSecretValue',
      resource: f.adminSecret.arn,
      resourcePolicy: f.adminSecret.policy,
      identityPolicies: f.app.policies,
      context: principalAccount(APP_ROLE),
    });
    // Nothing grants it; the deny for other accounts does not apply.
    expect(decision.result).toBe('ImplicitlyDenied');
  });

  test.each([
    ['administrator', () => f.adminSecret],
    ['application', () => f.appSecret],
  ])('a principal of the account without a grant may not read the %s secret', async (_name, secret) => {
    const decision = await expectDenied({
      principal: UNGRANTED_ROLE,
      action: 'secretsmanager:GetSecretValue',
      resource: secret().arn,
      resourcePolicy: secret().policy,
      context: principalAccount(UNGRANTED_ROLE),
    });
    expect(decision.result).toBe('ImplicitlyDenied');
  });

  test.each([
    ['administrator', () => f.adminSecret],
    ['application', () => f.appSecret],
  ])(
    'a principal of another account may not read the %s secret, even with a policy allowing everything',
    async (_name, secret) => {
      const decision = await expectDenied({
        principal: OTHER_ACCOUNT_ROLE,
        action: 'secretsmanager:GetSecretValue',
        resource: secret().arn,
        resourcePolicy: secret().policy,
        identityPolicies: ALLOW_EVERYTHING,
        context: principalAccount(OTHER_ACCOUNT_ROLE),
      });
      expect(decision.result).toBe('ExplicitlyDenied');
    },
  );

  test('a principal of another account may not replace the secret value either', async () => {
    const decision = await expectDenied({
      principal: OTHER_ACCOUNT_ROLE,
      action: 'secretsmanager:PutSecretValue',
      resource: f.adminSecret.arn,
      resourcePolicy: f.adminSecret.policy,
      identityPolicies: ALLOW_EVERYTHING,
      context: principalAccount(OTHER_ACCOUNT_ROLE),
    });
    expect(decision.result).toBe('ExplicitlyDenied');
  });
});

describe('the log group handler role: its log-group calls on this broker, nothing else', () => {
  const BROKER_ID = 'b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9';
  const logGroupArn = (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
  let handler: { arn: string; policies: object[]; keyArn: string; keyPolicy: any; queueArn: string };

  beforeAll(async () => {
    const stack = strictStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-a', 'subnet-b'],
      privateSubnetRouteTableIds: ['rtb-a', 'rtb-b'],
    });
    const broker = new MessageBroker(stack, 'Broker', { vpc });
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const roleId = Object.keys(template.Resources!).find((id) => /LogGroupsHandlerRole/.test(id))!;
    const queueId = Object.keys(template.Resources!).find(
      (id) => template.Resources![id].Type === 'AWS::SQS::Queue' && /LogGroupsDeadLetterQueue/.test(id),
    )!;
    const opts: ResolveOptions = { physicalIds: { [logicalId(broker)]: BROKER_ID } };
    handler = {
      arn: `arn:aws:iam::${ACCOUNT}:role/${roleId}`,
      policies: await identityPoliciesFor(template, roleId, opts),
      keyArn: await resolveIntrinsics<string>(
        { 'Fn::GetAtt': [logicalId(broker.encryptionKey), 'Arn'] },
        template,
        opts,
      ),
      keyPolicy: await keyPolicyFor(template, logicalId(broker.encryptionKey), opts),
      queueArn: await resolveIntrinsics<string>({ 'Fn::GetAtt': [queueId, 'Arn'] }, template, opts),
    };
  });

  const request = (action: string, resource: string, context?: Record<string, string>): AccessRequest => ({
    principal: handler.arn,
    action,
    resource,
    identityPolicies: handler.policies,
    context,
  });

  const CALLS = [
    'logs:CreateLogGroup',
    'logs:AssociateKmsKey',
    'logs:PutRetentionPolicy',
    'logs:DeleteRetentionPolicy',
    'logs:DeleteLogGroup',
  ];

  test.each(CALLS.flatMap((action) => ['general', 'audit'].map((log) => [action, log])))(
    'may %s on the %s log group of this broker, in either ARN form',
    async (action, log) => {
      const name = `/aws/amazonmq/broker/${BROKER_ID}/${log}`;
      await expectAllowed(request(action, logGroupArn(`${name}:*`)));
      await expectAllowed(request(action, logGroupArn(name)));
    },
  );

  test.each(CALLS)('may not %s on another broker\u2019s log group, or on any other log group', async (action) => {
    await expectDenied(request(action, logGroupArn('/aws/amazonmq/broker/b-another-broker/general:*')));
    await expectDenied(request(action, logGroupArn(`/aws/amazonmq/broker/${BROKER_ID}/generalx`)));
    await expectDenied(request(action, logGroupArn('/aws/lambda/unrelated:*')));
  });

  test.each([
    ['logs:PutLogEvents', () => logGroupArn(`/aws/amazonmq/broker/${BROKER_ID}/general:log-stream:x`)],
    ['logs:DisassociateKmsKey', () => logGroupArn(`/aws/amazonmq/broker/${BROKER_ID}/general:*`)],
    ['logs:PutResourcePolicy', () => '*'],
    ['logs:GetLogEvents', () => logGroupArn(`/aws/amazonmq/broker/${BROKER_ID}/general:log-stream:x`)],
    ['sqs:SendMessage', () => `arn:aws:sqs:${REGION}:${ACCOUNT}:another-queue`],
  ])('may not %s', async (action, resource) => {
    await expectDenied(request(action, resource()));
  });

  test('may use the broker key only through CloudWatch Logs, and send to its own dead-letter queue', async () => {
    const viaKey = (via: string): AccessRequest => ({
      ...request('kms:GenerateDataKey', handler.keyArn, { 'kms:ViaService': via, 'kms:CallerAccount': ACCOUNT }),
      resourcePolicy: handler.keyPolicy,
    });
    await expectAllowed(viaKey(`logs.${REGION}.amazonaws.com`));
    await expectDenied(viaKey(`s3.${REGION}.amazonaws.com`));
    await expectDenied({ ...request('kms:Decrypt', handler.keyArn), resourcePolicy: handler.keyPolicy });
    await expectAllowed(request('sqs:SendMessage', handler.queueArn));
  });
});

describe('the Amazon MQ logs resource policy', () => {
  let policy: any;
  beforeAll(async () => {
    const stack = strictStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-a', 'subnet-b'],
      privateSubnetRouteTableIds: ['rtb-a', 'rtb-b'],
    });
    new MessageBroker(stack, 'Broker', { vpc });
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const resource = Object.values(template.Resources!).find((r) => r.Type === 'AWS::Logs::ResourcePolicy')!;
    policy = JSON.parse(await resolveIntrinsics<string>(resource.Properties!.PolicyDocument, template));
  });

  const write = (
    sourceAccount: string,
    sourceArn: string,
    logGroup = '/aws/amazonmq/broker/b-1/general',
  ): AccessRequest => ({
    principal: 'mq.amazonaws.com',
    action: 'logs:PutLogEvents',
    resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${logGroup}:log-stream:activemq-b-1-1.log`,
    resourcePolicy: policy,
    context: { 'aws:SourceAccount': sourceAccount, 'aws:SourceArn': sourceArn },
  });

  test('lets Amazon MQ write the logs of any broker of this account and region', async () => {
    await expectAllowed(write(ACCOUNT, `arn:aws:mq:${REGION}:${ACCOUNT}:broker:orders:b-1`));
    await expectAllowed(
      write(ACCOUNT, `arn:aws:mq:${REGION}:${ACCOUNT}:broker:billing:b-2`, '/aws/amazonmq/broker/b-2/audit'),
    );
  });

  test('not for a broker of another account or region (confused deputy), nor into other log groups', async () => {
    await expectDenied(write('999999999999', `arn:aws:mq:${REGION}:999999999999:broker:orders:b-1`));
    await expectDenied(write(ACCOUNT, `arn:aws:mq:eu-west-1:${ACCOUNT}:broker:orders:b-1`));
    await expectDenied(write(ACCOUNT, `arn:aws:mq:${REGION}:${ACCOUNT}:broker:orders:b-1`, '/aws/lambda/unrelated'));
  });
});
