import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fc from 'fast-check';
import { strictApp } from '../harness/app';
import {
  attempt,
  enumOrForeign,
  expectLibraryError,
  propertyParameters,
  reportCases,
  TemplateBatch,
} from '../harness/properties';
import { IsolatedVpc } from '../src/isolated-vpc';
import { PrivateEndpoints, PrivateEndpointService, PrivateEndpointsProps } from '../src/private-endpoints';

// Props and method calls generated inside, at and beyond every limit: each case ends in a library error
// naming the construct's path and a prop or method argument the case set, or in a template (strict
// validator on) that holds what was asked, linted with cfn-lint at the end. PROPERTY_COUNT_FAILURES=1
// counts failing cases instead of stopping at the first.
jest.setTimeout(180_000);

const SERVICES = Object.values(PrivateEndpointService);
const INTERFACE_NAMES: Record<string, string[]> = {
  SQS: ['sqs'],
  SNS: ['sns'],
  KINESIS_STREAMS: ['kinesis-streams'],
  FIREHOSE: ['kinesis-firehose'],
  KMS: ['kms'],
  CLOUDWATCH_LOGS: ['logs'],
  CLOUDWATCH_MONITORING: ['monitoring'],
  ECR: ['ecr.api', 'ecr.dkr'],
  S3: [],
  SSM: ['ssm'],
  STS: ['sts'],
};

const ENDPOINT_IDS: Record<string, string[]> = {
  SQS: ['Sqs'],
  SNS: ['Sns'],
  KINESIS_STREAMS: ['KinesisStreams'],
  FIREHOSE: ['Firehose'],
  KMS: ['Kms'],
  CLOUDWATCH_LOGS: ['CloudWatchLogs'],
  CLOUDWATCH_MONITORING: ['CloudWatchMonitoring'],
  ECR: ['EcrApi', 'EcrDocker'],
  S3: [],
  SSM: ['Ssm'],
  STS: ['Sts'],
};

type VpcKind = 'imported' | 'imported-without-cidr' | 'imported-without-route-tables' | 'isolated-vpc';
type PeerKind = 'security-group' | 'cidr' | 'any-ipv4' | 'string' | 'undefined';

const peerKind = fc.oneof(
  { weight: 4, arbitrary: fc.constant<PeerKind>('security-group') },
  { weight: 1, arbitrary: fc.constantFrom<PeerKind>('cidr', 'any-ipv4', 'string', 'undefined') },
);

const caseArbitrary = fc.record(
  {
    vpcKind: fc.constantFrom<VpcKind>(
      'imported',
      'imported',
      'isolated-vpc',
      'imported-without-cidr',
      'imported-without-route-tables',
    ),
    services: fc.oneof(
      { weight: 4, arbitrary: fc.uniqueArray(fc.constantFrom(...SERVICES), { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.array(enumOrForeign(SERVICES, ['sqs', 'ECR_API', 'S3_GATEWAY']), { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constantFrom('SQS' as any, [] as any) },
    ),
    subnets: fc.constantFrom<ec2.SubnetSelection>(
      { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      { subnetType: ec2.SubnetType.PUBLIC },
      { subnetGroupName: 'Nope' },
      { availabilityZones: ['us-east-1b'] },
    ),
    allowedPeers: fc.array(peerKind, { maxLength: 2 }),
    allowAccessFrom: fc.array(peerKind, { maxLength: 2 }),
    endpointsOf: fc.array(enumOrForeign(SERVICES, ['ecr', 'Logs']), { maxLength: 2 }),
    // Sometimes a second PrivateEndpoints on the same VPC: a service both have is refused (private DNS).
    second: fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.uniqueArray(fc.constantFrom(...SERVICES), { minLength: 1, maxLength: 2 }) },
    ),
  },
  { requiredKeys: ['vpcKind', 'second'] },
);

type Case = fc.RecordValue<typeof caseArbitrary>;

function vpcOf(stack: Stack, kind: VpcKind): ec2.IVpc {
  if (kind === 'isolated-vpc') {
    return new IsolatedVpc(stack, 'Network').vpc;
  }
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: kind === 'imported-without-cidr' ? undefined : '10.1.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
    privateSubnetRouteTableIds:
      kind === 'imported-without-route-tables' ? undefined : ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
    isolatedSubnetIds: ['subnet-0a1b2c3d4e5f60731', 'subnet-0a1b2c3d4e5f60732'],
    isolatedSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60731', 'rtb-0a1b2c3d4e5f60732'],
  });
}

function peerOf(stack: Stack, vpc: ec2.IVpc, kind: PeerKind, i: number): any {
  switch (kind) {
    case 'security-group':
      return new ec2.SecurityGroup(stack, `Peer${i}`, { vpc, description: `peer ${i}` });
    case 'cidr':
      return ec2.Peer.ipv4('10.9.0.0/16');
    case 'any-ipv4':
      return ec2.Peer.anyIpv4();
    case 'string':
      return 'sg-0a1b2c3d4e5f60718';
    case 'undefined':
      return undefined;
  }
}

interface Built {
  readonly template: any;
  readonly endpoints: PrivateEndpoints;
  readonly props: PrivateEndpointsProps;
  readonly securityGroupPeers: number;
  readonly endpointsOf: Array<[PrivateEndpointService, string[]]>;
}

function build(c: Case): Built {
  const stack = new Stack(strictApp(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = vpcOf(stack, c.vpcKind);
  let peerIndex = 0;
  const props: PrivateEndpointsProps = {
    vpc,
    services: c.services,
    subnets: c.subnets,
    allowedPeers: c.allowedPeers?.map((k) => peerOf(stack, vpc, k, peerIndex++)),
  };
  const endpoints = new PrivateEndpoints(stack, 'Endpoints', props);
  const later = (c.allowAccessFrom ?? []).map((k) => peerOf(stack, vpc, k, peerIndex++));
  for (const peer of later) {
    endpoints.allowAccessFrom(peer);
  }
  const looked: Array<[PrivateEndpointService, string[]]> = (c.endpointsOf ?? []).map((service) => [
    service,
    endpoints.endpointsOf(service).map((e) => e.node.id),
  ]);
  if (c.second !== undefined) {
    new PrivateEndpoints(stack, 'More', { vpc, services: c.second, subnets: c.subnets, allowedPeers: [] });
  }
  const securityGroupPeers = [...(props.allowedPeers ?? []), ...later].filter(
    (p) => p instanceof ec2.SecurityGroup,
  ).length;
  return { template: Template.fromStack(stack).toJSON(), endpoints, props, securityGroupPeers, endpointsOf: looked };
}

function propsSet(c: Case): string[] {
  const names = Object.keys(c).filter((k) => k !== 'vpcKind' && k !== 'second');
  const methods = names.filter((k) => k === 'allowAccessFrom' || k === 'endpointsOf');
  const set = names.filter((k) => !methods.includes(k));
  // A VPC without a CIDR needs peers, one without route tables cannot take the S3 gateway.
  return [...set, 'allowedPeers', 'subnets', 'services', ...methods];
}

function expectAsked(built: Built, c: Case): void {
  const resources = Object.values(built.template.Resources) as any[];
  const ofEndpoints = (id: string) =>
    Object.entries(built.template.Resources)
      .filter(([logicalId, r]: [string, any]) => logicalId.startsWith(id) && r.Type === 'AWS::EC2::VPCEndpoint')
      .map(([, r]) => r as any);
  const services = (c.services ?? ['SQS', 'ECR', 'CLOUDWATCH_LOGS', 'SSM']) as string[];
  const interfaces = ofEndpoints('Endpoints').filter((r) => r.Properties.VpcEndpointType === 'Interface');
  expect(interfaces.map((r) => String(r.Properties.ServiceName).split('.').slice(3).join('.'))).toEqual(
    services.flatMap((s) => INTERFACE_NAMES[s]),
  );
  for (const endpoint of interfaces) {
    expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
    expect(endpoint.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: '*',
        Condition: { StringEquals: { 'aws:PrincipalAccount': '123456789012', 'aws:ResourceAccount': '123456789012' } },
      }),
    ]);
  }
  const gateway = ofEndpoints('Endpoints').filter((r) => r.Properties.VpcEndpointType === 'Gateway');
  const wantsGateway = services.includes('S3') || services.includes('ECR');
  expect(gateway).toHaveLength(wantsGateway ? 1 : 0);
  if (wantsGateway) {
    expect(gateway[0].Properties.PolicyDocument.Statement.map((s: any) => s.Sid)).toEqual(
      services.includes('ECR')
        ? ['OnlyThisAccountsPrincipalsAndResources', 'EcrImageLayers']
        : ['OnlyThisAccountsPrincipalsAndResources'],
    );
  }
  const group = resources.find(
    (r) =>
      r.Type === 'AWS::EC2::SecurityGroup' &&
      r.Properties.GroupDescription.startsWith('Interface endpoints of Stack/Endpoints'),
  );
  if (c.allowedPeers === undefined) {
    expect(group.Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({ FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }),
    ]);
  } else {
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
  }
  const peerRules = resources.filter(
    (r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === 443,
  );
  expect(peerRules.length).toBe(built.securityGroupPeers);
  for (const [service, ids] of built.endpointsOf) {
    expect(ids).toEqual(services.includes(service) ? ENDPOINT_IDS[service] : []);
  }
}

test('PrivateEndpoints: every generated case is refused with a library error or synthesizes what was asked', async () => {
  const batch = new TemplateBatch();
  const counts = { errors: 0, built: 0 };
  const countOnly = process.env.PROPERTY_COUNT_FAILURES === '1';
  let failed = 0;
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (c) => {
      try {
        const outcome = attempt(() => build(c));
        if (outcome.kind === 'error') {
          counts.errors++;
          expectLibraryError(outcome.error, ['Stack/Endpoints', 'Stack/More'], propsSet(c));
          return;
        }
        counts.built++;
        expectAsked(outcome.value, c);
        batch.add(outcome.value.template, 'private-endpoints');
      } catch (error) {
        if (!countOnly) throw error;
        failed++;
      }
    }),
    propertyParameters(200),
  );
  reportCases('PrivateEndpoints', counts);
  if (countOnly) {
    // eslint-disable-next-line no-console
    console.log(`PrivateEndpoints: ${failed} of ${counts.errors + counts.built} cases failed`);
  }
  expect(counts.built).toBeGreaterThan(10);
  expect(counts.errors).toBeGreaterThan(10);
  await batch.expectCfnLintClean();
});
