import { Match, Template } from 'aws-cdk-lib/assertions';
import { availabilityZoneContext, logicalId, strictApp } from '../../harness/app';
import { complianceFindings, expectCompliant } from '../../harness/compliance';
import { AmazonMQChecks } from '../../src/amazon-mq-checks';
import { BrokerMigrationBlueprint } from '../../src/blueprints/broker-migration-blueprint';

describe('BrokerMigrationBlueprint', () => {
  const app = strictApp(availabilityZoneContext('123456789012', 'us-east-1'));
  const stack = new BrokerMigrationBlueprint(app, 'BrokerMigrationBlueprint', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const template = Template.fromStack(stack);

  test('holds an ActiveMQ active/standby broker in the two isolated subnets of its VPC', () => {
    template.hasResourceProperties('AWS::AmazonMQ::Broker', {
      EngineType: 'ACTIVEMQ',
      DeploymentMode: 'ACTIVE_STANDBY_MULTI_AZ',
      PubliclyAccessible: false,
      SubnetIds: stack.vpc.isolatedSubnets.map((subnet) => stack.resolve(subnet.subnetId)),
    });
    expect(stack.vpc.isolatedSubnets.map((subnet) => subnet.availabilityZone)).toEqual(['us-east-1a', 'us-east-1b']);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('admits the application security group over OpenWire only, and nothing else', () => {
    const ingress = template.findResources('AWS::EC2::SecurityGroupIngress');
    expect(Object.values(ingress).map((r) => r.Properties)).toEqual([
      expect.objectContaining({
        GroupId: { 'Fn::GetAtt': [logicalId(stack.broker.securityGroup), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack.applicationSecurityGroup), 'GroupId'] },
        FromPort: 61617,
        ToPort: 61617,
      }),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [logicalId(stack.applicationSecurityGroup), 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack.broker.securityGroup), 'GroupId'] },
      FromPort: 61617,
    });
  });

  test('gives the application a broker user of its own, with a generated password', () => {
    template.hasResourceProperties('AWS::AmazonMQ::Broker', {
      Users: [
        Match.objectLike({ Username: 'admin' }),
        Match.objectLike({ Username: 'orders-app', Groups: ['applications'], ConsoleAccess: false }),
      ],
    });
  });

  test('outputs the failover URL, the application secret, its security group and the alarm topic', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual([
      'FailoverUrl',
      'ApplicationSecretArn',
      'ApplicationSecurityGroupId',
      'AlarmTopicArn',
    ]);
    expect(template.toJSON().Outputs.FailoverUrl.Value).toEqual({
      'Fn::Join': [
        '',
        ['failover:(', { 'Fn::Join': [',', { 'Fn::GetAtt': [logicalId(stack.broker), 'OpenWireEndpoints'] }] }, ')'],
      ],
    });
  });

  test("closes the VPC's default security group", () => {
    template.hasResourceProperties('Custom::VpcRestrictDefaultSG', {
      DefaultSecurityGroupId: { 'Fn::GetAtt': [logicalId(stack.vpc), 'DefaultSecurityGroup'] },
    });
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('passes the AmazonMQ pack', () => {
    expect(new AmazonMQChecks().validateScope(app).violations).toEqual([]);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

test('with restrictDefaultSecurityGroup: false the open default security group is reported, not acknowledged', () => {
  const app = strictApp(availabilityZoneContext('123456789012', 'us-east-1'));
  const stack = new BrokerMigrationBlueprint(app, 'BrokerMigrationBlueprint', {
    env: { account: '123456789012', region: 'us-east-1' },
    restrictDefaultSecurityGroup: false,
  });
  Template.fromStack(stack).resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
  expect(
    complianceFindings(stack)
      .map((f) => f.rule)
      .filter((rule) => rule.includes('VPCDefaultSecurityGroupClosed'))
      .sort(),
  ).toEqual([
    'HIPAA.Security-VPCDefaultSecurityGroupClosed',
    'NIST.800.53.R5-VPCDefaultSecurityGroupClosed',
    'PCI.DSS.321-VPCDefaultSecurityGroupClosed',
  ]);
});
