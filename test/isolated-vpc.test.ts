import { App, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { availabilityZoneContext, ENV_MATRIX, logicalId, strictApp, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { IsolatedVpc, IsolatedVpcProps } from '../src/isolated-vpc';

function refusal(props: IsolatedVpcProps): string {
  const stack = strictStack();
  try {
    new IsolatedVpc(stack, 'Network', props);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the VPC to be refused');
}

/** An explicit-env stack whose zones the CDK CLI has looked up (moto's zones). */
function stackWithZones(): Stack {
  return new Stack(strictApp(availabilityZoneContext('123456789012', 'us-east-1')), 'Stack', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
}

describe('IsolatedVpc defaults', () => {
  const stack = stackWithZones();
  const network = new IsolatedVpc(stack, 'Network');
  const template = Template.fromStack(stack);

  test('isolated subnets only, one /24 in each of the first two zones: no internet gateway, no NAT, no public IP', () => {
    template.hasResourceProperties('AWS::EC2::VPC', {
      CidrBlock: '10.0.0.0/16',
      EnableDnsHostnames: true,
      EnableDnsSupport: true,
    });
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
    for (const [zone, cidr] of [
      ['us-east-1a', '10.0.0.0/24'],
      ['us-east-1b', '10.0.1.0/24'],
    ]) {
      template.hasResourceProperties('AWS::EC2::Subnet', {
        AvailabilityZone: zone,
        CidrBlock: cidr,
        MapPublicIpOnLaunch: false,
      });
    }
    expect(network.vpc.isolatedSubnets).toHaveLength(2);
    expect(network.vpc.publicSubnets).toHaveLength(0);
    expect(network.vpc.privateSubnets).toHaveLength(0);
  });

  test('a flow log of all traffic, to a KMS-encrypted log group kept one year, through a role only VPC Flow Logs of this account may assume', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: { Ref: logicalId(network.flowLogGroup) },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/vpc-flow-logs/Stack-Network-[0-9a-f]{8}$'),
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [logicalId(network.flowLogKey), 'Arn'] },
    });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '123456789012' } }),
          }),
        ],
      },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('the default security group is closed', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  test('no endpoints unless asked', () => {
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    expect(network.interfaceEndpoints).toEqual([]);
    expect(network.gatewayEndpoints).toEqual([]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('endpoints', () => {
  test('interface endpoints with private DNS in the isolated subnets, reachable only from allowed peers', () => {
    const stack = stackWithZones();
    const network = new IsolatedVpc(stack, 'Network', {
      interfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.SQS, ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES],
      gatewayEndpoints: [ec2.GatewayVpcEndpointAwsService.S3],
    });
    const workers = new ec2.SecurityGroup(stack, 'Workers', { vpc: network.vpc, description: 'workers' });
    network.allowEndpointAccessFrom(workers, 'Workers reach SQS');
    const template = Template.fromStack(stack);
    expect(network.interfaceEndpoints.map((e) => e.node.id)).toEqual(['SqsEndpoint', 'SsmmessagesEndpoint']);
    expect(network.gatewayEndpoints.map((e) => e.node.id)).toEqual(['S3Endpoint']);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: 'com.amazonaws.us-east-1.sqs',
      PrivateDnsEnabled: true,
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(network.endpointSecurityGroup), 'GroupId'] }],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(network.endpointSecurityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(workers), 'GroupId'] },
      FromPort: 443,
      ToPort: 443,
      Description: 'Workers reach SQS',
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints of Stack/Network: HTTPS from allowed peers only',
      SecurityGroupIngress: Match.absent(),
    });
    expectCompliant(stack);
  });
});

describe('validation', () => {
  test.each([
    [
      { availabilityZones: [] },
      '[Stack/Network] availabilityZones must list at least one availability zone name, got []',
    ],
    [
      { availabilityZones: 'us-east-1a' as any },
      '[Stack/Network] availabilityZones must list at least one availability zone name, got "us-east-1a"',
    ],
    [
      { availabilityZones: ['us-east-1a', 'us-east-1a'] },
      '[Stack/Network] availabilityZones must list distinct availability zones, got ["us-east-1a","us-east-1a"]',
    ],
    [
      { availabilityZones: ['eu-west-1a'] },
      '[Stack/Network] availabilityZones must name zones of the stack\'s region us-east-1, got ["eu-west-1a"]',
    ],
    [
      { restrictDefaultSecurityGroup: 'false' as any },
      '[Stack/Network] restrictDefaultSecurityGroup must be true or false, got "false"',
    ],
    [
      { flowLogRetention: 42 as any },
      /^\[Stack\/Network\] flowLogRetention must be a logs\.RetentionDays value \(.*\), got 42$/,
    ],
    [
      { removalPolicy: RemovalPolicy.SNAPSHOT },
      '[Stack/Network] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot KMS keys and log groups, got "RemovalPolicy.SNAPSHOT"',
    ],
    [
      { interfaceEndpoints: ['sqs' as any] },
      '[Stack/Network] interfaceEndpoints must be a list of AWS services (ec2.InterfaceVpcEndpointAwsService / ec2.GatewayVpcEndpointAwsService), got ["sqs"]',
    ],
    [
      { interfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.SQS, ec2.InterfaceVpcEndpointAwsService.SQS] },
      '[Stack/Network] interfaceEndpoints must give a private-DNS interface endpoint name unique within Stack/Network/Vpc; the name is already given to Stack/Network, got "sqs"',
    ],
    [
      { gatewayEndpoints: [ec2.GatewayVpcEndpointAwsService.S3, ec2.GatewayVpcEndpointAwsService.S3] },
      '[Stack/Network] gatewayEndpoints must give a gateway endpoint name unique within Stack/Network/Vpc/IsolatedSubnet1; the name is already given to Stack/Network, got "s3"',
    ],
  ])('refuses %j', (props, message) => {
    if (message instanceof RegExp) {
      expect(refusal(props)).toMatch(message);
    } else {
      expect(refusal(props)).toBe(message);
    }
  });

  test('allowEndpointAccessFrom refuses an address range and a description EC2 would refuse', () => {
    const stack = strictStack();
    const network = new IsolatedVpc(stack, 'Network', { interfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.SQS] });
    expect(() => network.allowEndpointAccessFrom(ec2.Peer.ipv4('10.0.0.0/8') as any, 'everyone')).toThrow(
      '[Stack/Network] allowEndpointAccessFrom peer must be a construct with security groups; an address range such as Peer.ipv4(...) is not accepted, got "Peer 10.0.0.0/8"',
    );
    const workers = new ec2.SecurityGroup(stack, 'Workers', { vpc: network.vpc, description: 'workers' });
    expect(() => network.allowEndpointAccessFrom(workers, 'Accès des workers')).toThrow(
      '[Stack/Network] allowEndpointAccessFrom description must be at most 255 characters of letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (EC2 security group rule descriptions), got "Accès des workers"',
    );
    expect(() => network.allowEndpointAccessFrom(workers, 'x'.repeat(256))).toThrow(
      /^\[Stack\/Network\] allowEndpointAccessFrom description must be at most 255 characters/,
    );
    expect(() =>
      network.allowEndpointAccessFrom(workers, Lazy.string({ produce: () => 'from a token' })),
    ).not.toThrow();
  });

  test('tokens pass: a zone and the retention given as deploy-time values', () => {
    const stack = strictStack();
    new IsolatedVpc(stack, 'Network', {
      availabilityZones: [Lazy.string({ produce: () => 'us-east-1c' }), 'us-east-1d'],
      flowLogRetention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
      restrictDefaultSecurityGroup: false,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'us-east-1c' });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
  });
});

describe.each(ENV_MATRIX)('IsolatedVpc synthesizes clean %s', (_name, makeStack) => {
  test('at default props', () => {
    const stack = makeStack();
    new IsolatedVpc(stack, 'Network');
    expectCompliant(stack);
  });

  test('with every prop set', () => {
    const stack = makeStack();
    const zones = stack.region.startsWith('${') ? undefined : ['us-east-1a', 'us-east-1b', 'us-east-1c'];
    const network = new IsolatedVpc(stack, 'Network', {
      availabilityZones: zones,
      interfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.SQS, ec2.InterfaceVpcEndpointAwsService.KMS],
      gatewayEndpoints: [ec2.GatewayVpcEndpointAwsService.S3, ec2.GatewayVpcEndpointAwsService.DYNAMODB],
      restrictDefaultSecurityGroup: true,
      flowLogRetention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    network.allowEndpointAccessFrom(
      new ec2.SecurityGroup(stack, 'Workers', { vpc: network.vpc, description: 'workers' }),
      'Workers',
    );
    expectCompliant(stack);
  });
});

test('an app with the same construct twice gets two flow log groups of different names', () => {
  const app = new App();
  const stack = new Stack(app, 'Stack');
  const a = new IsolatedVpc(stack, 'A');
  const b = new IsolatedVpc(stack, 'B');
  const name = (n: IsolatedVpc) => (n.flowLogGroup.node.defaultChild as logs.CfnLogGroup).logGroupName;
  expect(name(a)).not.toBe(name(b));
});
