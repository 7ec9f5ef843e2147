import { Template } from 'aws-cdk-lib/assertions';
import { expectAllowed, expectDenied, identityPoliciesFor, keyPolicyFor, resolveIntrinsics } from '../harness/access';
import { logicalId, strictStack } from '../harness/app';
import { IsolatedVpc } from '../src/isolated-vpc';

// Access proofs for the flow log: who may assume its role, what the role may write, and who may use
// the log group's key. Synthesized policies, evaluated offline.
const ACCOUNT = '123456789012';
const OTHER = '999999999999';

async function fixture() {
  const stack = strictStack();
  const network = new IsolatedVpc(stack, 'Network');
  const template = Template.fromStack(stack).toJSON();
  const roleId = logicalId(network.node.findChild('FlowLogRole'));
  const groupName: string = template.Resources[logicalId(network.flowLogGroup)].Properties.LogGroupName;
  const groupArn = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${groupName}`;
  return {
    roleArn: await resolveIntrinsics<string>({ 'Fn::GetAtt': [roleId, 'Arn'] }, template),
    trust: await resolveIntrinsics(template.Resources[roleId].Properties.AssumeRolePolicyDocument, template),
    policies: await identityPoliciesFor(template, roleId, {
      physicalIds: { [`${logicalId(network.flowLogGroup)}.Arn`]: `${groupArn}:*` },
    }),
    groupArn,
    key: {
      arn: await resolveIntrinsics<string>({ 'Fn::GetAtt': [logicalId(network.flowLogKey), 'Arn'] }, template),
      policy: await keyPolicyFor(template, logicalId(network.flowLogKey)),
    },
  };
}

let f: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  f = await fixture();
});

const flowLogArn = (account = ACCOUNT) => `arn:aws:ec2:us-east-1:${account}:vpc-flow-log/fl-0123456789abcdef0`;

describe('the flow log role', () => {
  test("VPC Flow Logs may assume it for this account's flow logs", async () => {
    await expectAllowed({
      principal: 'vpc-flow-logs.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: f.roleArn,
      resourcePolicy: f.trust,
      context: { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': flowLogArn() },
    });
  });

  test("not for another account's flow logs (confused deputy)", async () => {
    await expectDenied({
      principal: 'vpc-flow-logs.amazonaws.com',
      action: 'sts:AssumeRole',
      resource: f.roleArn,
      resourcePolicy: f.trust,
      context: { 'aws:SourceAccount': OTHER, 'aws:SourceArn': flowLogArn(OTHER) },
    });
  });

  test('writes its own log group, and no other', async () => {
    const as = (resource: string, action = 'logs:PutLogEvents') => ({
      principal: f.roleArn,
      action,
      resource,
      identityPolicies: f.policies,
    });
    await expectAllowed(as(`${f.groupArn}:log-stream:eni-0123456789abcdef0-all`));
    await expectAllowed(as(`${f.groupArn}:log-stream:eni-0123456789abcdef0-all`, 'logs:CreateLogStream'));
    await expectDenied(as(`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/other:log-stream:x`));
    await expectDenied(as(`${f.groupArn}:log-stream:x`, 'logs:DeleteLogGroup'));
  });
});

describe("the log group's key", () => {
  // The simulator does not know encryption-context keys without a "/" (kms:EncryptionContext:aws:logs:arn),
  // so the CloudWatch Logs statement is proven in two halves, as test/message-broker.access.test.ts does:
  // without the context the service is denied, and the statement's pattern names this log group only.
  test('CloudWatch Logs may not use the key without naming the log group', async () => {
    await expectDenied({
      principal: 'logs.us-east-1.amazonaws.com',
      action: 'kms:GenerateDataKey',
      resource: f.key.arn,
      resourcePolicy: f.key.policy,
    });
  });

  test('the CloudWatch Logs statement names the flow log group and no other', () => {
    const statement = f.key.policy.Statement.find((s: any) => s.Sid === 'AllowCloudWatchLogsForTheFlowLogGroup');
    expect(statement.Principal).toEqual({ Service: 'logs.us-east-1.amazonaws.com' });
    expect(statement.Condition).toEqual({ ArnLike: { 'kms:EncryptionContext:aws:logs:arn': f.groupArn } });
    expect(statement.Action).not.toContain('kms:*');
  });

  test('the flow log role itself may not decrypt with it', async () => {
    await expectDenied({
      principal: f.roleArn,
      action: 'kms:Decrypt',
      resource: f.key.arn,
      resourcePolicy: f.key.policy,
      identityPolicies: f.policies,
    });
  });
});
