import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ENV_MATRIX, logicalId, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { IsolatedVpc } from '../src/isolated-vpc';
import { PrivateEndpoints, PrivateEndpointService, PrivateEndpointsProps } from '../src/private-endpoints';

const PRIVATE_SUBNETS = ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'];
const ISOLATED_SUBNETS = ['subnet-0a1b2c3d4e5f60731', 'subnet-0a1b2c3d4e5f60732'];

function importedVpc(stack: Stack, attributes: Partial<ec2.VpcAttributes> = {}): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: '10.1.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: PRIVATE_SUBNETS,
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
    isolatedSubnetIds: ISOLATED_SUBNETS,
    isolatedSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60731', 'rtb-0a1b2c3d4e5f60732'],
    ...attributes,
  });
}

function refusal(props: Partial<PrivateEndpointsProps>, vpcAttributes: Partial<ec2.VpcAttributes> = {}): string {
  const stack = strictStack();
  try {
    new PrivateEndpoints(stack, 'Endpoints', { vpc: importedVpc(stack, vpcAttributes), ...props });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the endpoints to be refused');
}

const ACCOUNT_ONLY = {
  Sid: 'OnlyThisAccountsPrincipalsAndResources',
  Effect: 'Allow',
  Principal: '*',
  Action: '*',
  Resource: '*',
  Condition: { StringEquals: { 'aws:PrincipalAccount': '123456789012', 'aws:ResourceAccount': '123456789012' } },
};
const ECR_LAYERS = {
  Sid: 'EcrImageLayers',
  Effect: 'Allow',
  Principal: '*',
  Action: 's3:GetObject',
  Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::prod-us-east-1-starport-layer-bucket/*']] },
};
/** aws-cdk-lib names interface services with the stack's region, and the S3 gateway service with AWS::Region. */
const serviceName = (name: string): unknown =>
  name === 's3'
    ? { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] }
    : `com.amazonaws.us-east-1.${name}`;

describe('PrivateEndpoints defaults', () => {
  const stack = strictStack();
  const endpoints = new PrivateEndpoints(stack, 'Endpoints', { vpc: importedVpc(stack) });
  const template = Template.fromStack(stack);

  test('what a QueueProcessingService needs: SQS, ECR (api, dkr, S3 gateway), CloudWatch Logs and SSM', () => {
    expect(endpoints.services).toEqual([
      PrivateEndpointService.SQS,
      PrivateEndpointService.ECR,
      PrivateEndpointService.CLOUDWATCH_LOGS,
      PrivateEndpointService.SSM,
    ]);
    const names = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((r: any) =>
      JSON.stringify(r.Properties.ServiceName),
    );
    expect(names).toEqual(
      ['sqs', 'ecr.api', 'ecr.dkr', 'logs', 'ssm', 's3'].map((n) => JSON.stringify(serviceName(n))),
    );
    expect(endpoints.interfaceEndpoints).toHaveLength(5);
    expect(endpoints.endpointsOf(PrivateEndpointService.ECR).map((e) => e.node.id)).toEqual(['EcrApi', 'EcrDocker']);
    expect(endpoints.endpointsOf(PrivateEndpointService.KMS)).toEqual([]);
  });

  test('interface endpoints: private DNS on, in the private subnets, behind the one security group', () => {
    for (const endpoint of Object.values(
      template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }),
    )) {
      expect(endpoint.Properties).toMatchObject({
        PrivateDnsEnabled: true,
        SubnetIds: PRIVATE_SUBNETS,
        SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(endpoints.securityGroup), 'GroupId'] }],
        VpcId: 'vpc-0a1b2c3d4e5f60718',
        PolicyDocument: { Statement: [ACCOUNT_ONLY], Version: '2012-10-17' },
      });
    }
  });

  test("the S3 gateway: the subnets' route tables, this account's buckets and ECR's layer bucket only", () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: serviceName('s3'),
      RouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
      PolicyDocument: { Statement: [ACCOUNT_ONLY, ECR_LAYERS], Version: '2012-10-17' },
    });
  });

  test("the security group: HTTPS from the VPC's CIDR only, nothing out", () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints of Stack/Endpoints: HTTPS in from the VPC or allowed peers only',
      SecurityGroupIngress: [
        { CidrIp: '10.1.0.0/16', Description: 'HTTPS from the VPC', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' },
      ],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('every service', () => {
  test.each([
    [PrivateEndpointService.SQS, ['sqs']],
    [PrivateEndpointService.SNS, ['sns']],
    [PrivateEndpointService.KINESIS_STREAMS, ['kinesis-streams']],
    [PrivateEndpointService.FIREHOSE, ['kinesis-firehose']],
    [PrivateEndpointService.KMS, ['kms']],
    [PrivateEndpointService.CLOUDWATCH_LOGS, ['logs']],
    [PrivateEndpointService.CLOUDWATCH_MONITORING, ['monitoring']],
    [PrivateEndpointService.ECR, ['ecr.api', 'ecr.dkr', 's3']],
    [PrivateEndpointService.S3, ['s3']],
    [PrivateEndpointService.SSM, ['ssm']],
    [PrivateEndpointService.STS, ['sts']],
  ])('%s gets %j', (service, expected) => {
    const stack = strictStack();
    const endpoints = new PrivateEndpoints(stack, 'Endpoints', { vpc: importedVpc(stack), services: [service] });
    const template = Template.fromStack(stack);
    const names = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map(
      (r: any) => r.Properties.ServiceName,
    );
    expect(names).toEqual(expected.map(serviceName));
    if (service === PrivateEndpointService.S3) {
      // Without ECR, the gateway admits this account's buckets only.
      expect(endpoints.s3GatewayEndpoint).toBeDefined();
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { PolicyDocument: { Statement: [ACCOUNT_ONLY] } });
    }
  });

  test('all of them together, with S3 and ECR sharing one gateway', () => {
    const stack = strictStack();
    const endpoints = new PrivateEndpoints(stack, 'Endpoints', {
      vpc: importedVpc(stack),
      services: Object.values(PrivateEndpointService),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 12);
    expect(endpoints.interfaceEndpoints).toHaveLength(11);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      PolicyDocument: { Statement: [ACCOUNT_ONLY, ECR_LAYERS] },
    });
    expectCompliant(stack);
  });
});

describe('network', () => {
  test('allowedPeers replace the CIDR rule with rules naming their security groups', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack);
    const workers = new ec2.SecurityGroup(stack, 'Workers', { vpc, description: 'workers' });
    const endpoints = new PrivateEndpoints(stack, 'Endpoints', { vpc, allowedPeers: [workers] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints of Stack/Endpoints: HTTPS in from the VPC or allowed peers only',
      SecurityGroupIngress: Match.absent(),
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(endpoints.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(workers), 'GroupId'] },
      Description: 'HTTPS from Stack/Workers',
      FromPort: 443,
      ToPort: 443,
      IpProtocol: 'tcp',
    });
    expect(endpoints.securityGroup.connections.securityGroups).toHaveLength(1);
  });

  test('an empty allowedPeers admits nobody until allowAccessFrom', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack);
    const endpoints = new PrivateEndpoints(stack, 'Endpoints', { vpc, allowedPeers: [] });
    const before = Template.fromStack(stack);
    before.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Interface endpoints'),
      SecurityGroupIngress: Match.absent(),
    });
    before.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);

    const other = strictStack();
    const otherVpc = importedVpc(other);
    const reopened = new PrivateEndpoints(other, 'Endpoints', { vpc: otherVpc, allowedPeers: [] });
    const later = new ec2.SecurityGroup(other, 'Later', { vpc: otherVpc, description: 'later' });
    reopened.allowAccessFrom(later);
    Template.fromStack(other).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [logicalId(reopened.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [logicalId(later), 'GroupId'] },
      Description: 'HTTPS from Stack/Later',
    });
    expect(endpoints.securityGroup).toBeDefined();
  });

  test('an ec2.Vpc of this app: its literal CIDR block, never its deploy-time attribute', () => {
    const stack = strictStack();
    const network = new IsolatedVpc(stack, 'Network');
    new PrivateEndpoints(stack, 'Endpoints', { vpc: network.vpc });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Interface endpoints of Stack/Endpoints'),
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.0.0.0/16', FromPort: 443 })],
    });
    expectCompliant(stack);
  });

  test('isolated subnets when the VPC has no private ones', () => {
    const stack = strictStack();
    new PrivateEndpoints(stack, 'Endpoints', {
      vpc: importedVpc(stack, { privateSubnetIds: undefined, privateSubnetRouteTableIds: undefined }),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      SubnetIds: ISOLATED_SUBNETS,
    });
  });
});

describe('validation', () => {
  test.each([
    [{ services: [] }, '[Stack/Endpoints] services must list at least one PrivateEndpointService, got []'],
    [
      { services: ['sqs' as any] },
      '[Stack/Endpoints] services must be one of PrivateEndpointService.SQS, PrivateEndpointService.SNS, PrivateEndpointService.KINESIS_STREAMS, PrivateEndpointService.FIREHOSE, PrivateEndpointService.KMS, PrivateEndpointService.CLOUDWATCH_LOGS, PrivateEndpointService.CLOUDWATCH_MONITORING, PrivateEndpointService.ECR, PrivateEndpointService.S3, PrivateEndpointService.SSM or PrivateEndpointService.STS, got "sqs"',
    ],
    [
      { services: [PrivateEndpointService.SQS, PrivateEndpointService.SQS] },
      '[Stack/Endpoints] services must list each service once (SQS is listed twice), got ["SQS","SQS"]',
    ],
    [{ services: 'SQS' as any }, '[Stack/Endpoints] services must list at least one PrivateEndpointService, got "SQS"'],
    [
      { subnets: { subnetType: ec2.SubnetType.PUBLIC } },
      '[Stack/Endpoints] subnets must select at least one subnet of the VPC, got "{\\"subnetType\\":\\"Public\\"}"',
    ],
    [
      { allowedPeers: [ec2.Peer.ipv4('10.0.0.0/8') as any] },
      '[Stack/Endpoints] allowedPeers must be a construct with security groups; an address range such as Peer.ipv4(...) is not accepted, got "Peer 10.0.0.0/8"',
    ],
    [
      { allowedPeers: [ec2.Peer.anyIpv4() as any] },
      '[Stack/Endpoints] allowedPeers must be a construct with security groups; an address range such as Peer.ipv4(...) is not accepted, got "Peer 0.0.0.0/0"',
    ],
    [
      { allowedPeers: ['sg-12345678' as any] },
      '[Stack/Endpoints] allowedPeers must be a construct with security groups (an ec2.IConnectable), got "sg-12345678"',
    ],
    [{ vpc: undefined as any }, '[Stack/Endpoints] vpc must be an ec2.IVpc, got undefined'],
  ])('refuses %j', (props, message) => {
    expect(refusal(props)).toBe(message);
  });

  test('a VPC whose CIDR block only the deployment knows needs allowedPeers', () => {
    const stack = strictStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      availabilityZones: ['us-east-1a'],
      privateSubnetIds: ['subnet-0a1b2c3d4e5f60711'],
      privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711'],
    });
    expect(() => new PrivateEndpoints(stack, 'Endpoints', { vpc })).toThrow(
      '[Stack/Endpoints] allowedPeers must name the endpoints\' clients, because the VPC\'s CIDR block is known only at deploy time (the compliance packs cannot check a rule on a deploy-time address range), got "undefined"',
    );
  });

  test('the S3 gateway needs the route tables of the subnets', () => {
    expect(refusal({ services: [PrivateEndpointService.S3] }, { privateSubnetRouteTableIds: undefined })).toBe(
      '[Stack/Endpoints] subnets must have known route tables for the S3 gateway endpoint (import the VPC with its route table ids), got "subnet-0a1b2c3d4e5f60711, subnet-0a1b2c3d4e5f60712"',
    );
  });

  test('a second interface endpoint with private DNS for the same service in the same VPC is refused at synth', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack);
    new PrivateEndpoints(stack, 'Endpoints', {
      vpc,
      services: [PrivateEndpointService.SQS, PrivateEndpointService.KMS],
    });
    expect(() => new PrivateEndpoints(stack, 'More', { vpc, services: [PrivateEndpointService.KMS] })).toThrow(
      '[Stack/More] services must give a private-DNS interface endpoint name unique within Stack/Vpc; the name is already given to Stack/Endpoints, got "kms"',
    );
  });

  test("and so is one that an IsolatedVpc's own interfaceEndpoints already has", () => {
    const stack = strictStack();
    const network = new IsolatedVpc(stack, 'Network', { interfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.SQS] });
    expect(() => new PrivateEndpoints(stack, 'Endpoints', { vpc: network.vpc })).toThrow(
      '[Stack/Endpoints] services must give a private-DNS interface endpoint name unique within Stack/Network/Vpc; the name is already given to Stack/Network, got "sqs"',
    );
  });

  test('a second S3 gateway on the same route tables is refused; on other route tables it is fine', () => {
    const stack = strictStack();
    const vpc = importedVpc(stack);
    new PrivateEndpoints(stack, 'Endpoints', { vpc, services: [PrivateEndpointService.S3] });
    expect(() => new PrivateEndpoints(stack, 'More', { vpc, services: [PrivateEndpointService.ECR] })).toThrow(
      /^\[Stack\/More\] services must give a gateway endpoint name unique within Stack\/Vpc\/PrivateSubnet1; the name is already given to Stack\/Endpoints, got "s3"$/,
    );
    expect(
      () =>
        new PrivateEndpoints(stack, 'Isolated', {
          vpc,
          services: [PrivateEndpointService.S3],
          subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        }),
    ).not.toThrow();
  });

  test('methods refuse bad arguments the same way', () => {
    const stack = strictStack();
    const endpoints = new PrivateEndpoints(stack, 'Endpoints', { vpc: importedVpc(stack) });
    expect(() => endpoints.allowAccessFrom(ec2.Peer.ipv4('192.168.0.0/16') as any)).toThrow(
      '[Stack/Endpoints] allowAccessFrom peer must be a construct with security groups; an address range such as Peer.ipv4(...) is not accepted, got "Peer 192.168.0.0/16"',
    );
    expect(() => endpoints.endpointsOf('ecr' as any)).toThrow(
      /^\[Stack\/Endpoints\] endpointsOf service must be one of PrivateEndpointService\.SQS, .*, got "ecr"$/,
    );
  });
});

describe.each(ENV_MATRIX)('PrivateEndpoints synthesizes clean %s', (_name, makeStack) => {
  test('at default props, on an IsolatedVpc', () => {
    const stack = makeStack();
    const network = new IsolatedVpc(stack, 'Network');
    new PrivateEndpoints(stack, 'Endpoints', { vpc: network.vpc });
    expectCompliant(stack);
  });

  test('with every service, peers and a subnet selection, on an ec2.Vpc with NAT', () => {
    const stack = makeStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 1, maxAzs: 2, restrictDefaultSecurityGroup: true });
    for (const id of [
      'AwsSolutions-VPC7',
      ...['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'].flatMap((pack) => [
        `${pack}-VPCFlowLogsEnabled`,
        `${pack}-VPCNoUnrestrictedRouteToIGW`,
        `${pack}-VPCSubnetAutoAssignPublicIpDisabled`,
        `${pack}-IAMNoInlinePolicy`,
      ]),
    ]) {
      Validations.of(vpc).acknowledge({ id, reason: "the test's own VPC" });
    }
    const workers = new ec2.SecurityGroup(stack, 'Workers', { vpc, description: 'workers' });
    const endpoints = new PrivateEndpoints(stack, 'Endpoints', {
      vpc,
      services: Object.values(PrivateEndpointService),
      subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      allowedPeers: [workers],
    });
    endpoints.allowAccessFrom(new ec2.SecurityGroup(stack, 'More', { vpc, description: 'more' }));
    expectCompliant(stack);
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 12);
  });
});
