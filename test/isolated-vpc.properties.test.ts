import { Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as fc from 'fast-check';
import { availabilityZoneContext, strictApp } from '../harness/app';
import {
  attempt,
  enumOrForeign,
  expectLibraryError,
  numberAround,
  propertyParameters,
  reportCases,
  stringToken,
  TemplateBatch,
} from '../harness/properties';
import { IsolatedVpc, IsolatedVpcProps } from '../src/isolated-vpc';

// Props and method calls generated inside, at and beyond every limit: each case ends in a library error
// naming the construct's path and a prop or method argument the case set, or in a template (strict
// validator on) that holds what was asked, linted with cfn-lint at the end. PROPERTY_COUNT_FAILURES=1
// counts failing cases instead of stopping at the first.
jest.setTimeout(180_000);

const ZONES = ['a', 'b', 'c', 'd', 'e', 'f'].map((letter) => `us-east-1${letter}`);
const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
const INTERFACE_SERVICES = [
  ec2.InterfaceVpcEndpointAwsService.SQS,
  ec2.InterfaceVpcEndpointAwsService.SNS,
  ec2.InterfaceVpcEndpointAwsService.KMS,
  ec2.InterfaceVpcEndpointAwsService.SSM,
  ec2.InterfaceVpcEndpointAwsService.AUTOSCALING,
];
const GATEWAY_SERVICES = [ec2.GatewayVpcEndpointAwsService.S3, ec2.GatewayVpcEndpointAwsService.DYNAMODB];

const mostly = <T>(valid: fc.Arbitrary<T>, edgy: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: edgy });

type PeerKind = 'security-group' | 'cidr' | 'string';
type DescriptionKind = 'plain' | 'max' | 'too-long' | 'accented' | 'token' | 'number';

const caseArbitrary = fc.record(
  {
    availabilityZones: mostly(
      fc.uniqueArray(fc.constantFrom(...ZONES), { minLength: 1, maxLength: 4 }),
      fc.oneof(
        fc.constant([] as string[]),
        fc.constant(['us-east-1a', 'us-east-1a']),
        fc.constant(['eu-west-1a', 'eu-west-1b']),
        fc.constant([7 as any]),
        fc.constant('us-east-1a' as any),
        fc.constant(null).map(() => [stringToken('us-east-1a'), 'us-east-1b']),
      ),
    ),
    interfaceEndpoints: mostly(
      fc.uniqueArray(fc.constantFrom(...INTERFACE_SERVICES), { maxLength: 3 }),
      fc.oneof(
        fc.constant([ec2.InterfaceVpcEndpointAwsService.SQS, ec2.InterfaceVpcEndpointAwsService.SQS]),
        fc.constant(['sqs' as any]),
        fc.constant(ec2.InterfaceVpcEndpointAwsService.SQS as any),
      ),
    ),
    gatewayEndpoints: mostly(
      fc.uniqueArray(fc.constantFrom(...GATEWAY_SERVICES), { maxLength: 2 }),
      fc.constantFrom([ec2.GatewayVpcEndpointAwsService.S3, ec2.GatewayVpcEndpointAwsService.S3], ['s3' as any]),
    ),
    restrictDefaultSecurityGroup: mostly(fc.boolean(), fc.constantFrom('false' as any, 0 as any)),
    flowLogRetention: mostly(
      fc.constantFrom(...RETENTION_DAYS),
      fc.oneof(numberAround([1, 3653]), fc.constant('ONE_YEAR' as any)),
    ),
    removalPolicy: enumOrForeign(
      [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, RemovalPolicy.SNAPSHOT],
      ['delete'],
    ),
    allowEndpointAccessFrom: fc.array(
      fc.tuple(
        mostly(fc.constant<PeerKind>('security-group'), fc.constantFrom<PeerKind>('cidr', 'string')),
        mostly(
          fc.constantFrom<DescriptionKind>('plain', 'max', 'token'),
          fc.constantFrom<DescriptionKind>('too-long', 'accented', 'number'),
        ),
      ),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);

type Case = fc.RecordValue<typeof caseArbitrary>;

function description(kind: DescriptionKind): any {
  switch (kind) {
    case 'plain':
      return 'Workers reach SQS, KMS and SSM (HTTPS)';
    case 'max':
      return 'x'.repeat(255);
    case 'too-long':
      return 'x'.repeat(256);
    case 'accented':
      return 'Accès des workers';
    case 'token':
      return Lazy.string({ produce: () => 'from a token' });
    case 'number':
      return 42;
  }
}

function build(c: Case) {
  const app = strictApp(availabilityZoneContext('123456789012', 'us-east-1'));
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const { allowEndpointAccessFrom, ...props } = c;
  const network = new IsolatedVpc(stack, 'Network', props as IsolatedVpcProps);
  let peers = 0;
  for (const [kind, text] of allowEndpointAccessFrom ?? []) {
    const peer =
      kind === 'security-group'
        ? new ec2.SecurityGroup(stack, `Peer${peers}`, { vpc: network.vpc, description: 'peer' })
        : kind === 'cidr'
          ? ec2.Peer.ipv4('10.9.0.0/16')
          : 'sg-0a1b2c3d4e5f60718';
    peers++;
    network.allowEndpointAccessFrom(peer as any, description(text));
  }
  return { template: Template.fromStack(stack).toJSON(), props: props as IsolatedVpcProps, peers };
}

function expectAsked(template: any, props: IsolatedVpcProps, peers: number): void {
  const resources = Object.values(template.Resources) as any[];
  const ofType = (type: string) => resources.filter((r) => r.Type === type);
  expect(ofType('AWS::EC2::InternetGateway')).toHaveLength(0);
  expect(ofType('AWS::EC2::NatGateway')).toHaveLength(0);
  const subnets = ofType('AWS::EC2::Subnet');
  expect(subnets).toHaveLength(props.availabilityZones?.length ?? 2);
  for (const subnet of subnets) {
    expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
  }
  if (props.availabilityZones) {
    expect(subnets.map((s) => s.Properties.AvailabilityZone)).toEqual(
      props.availabilityZones.map((z) => (Token.isUnresolved(z) ? 'us-east-1a' : z)),
    );
  }
  expect(ofType('AWS::EC2::FlowLog')).toEqual([
    expect.objectContaining({ Properties: expect.objectContaining({ TrafficType: 'ALL' }) }),
  ]);
  const group = ofType('AWS::Logs::LogGroup')[0];
  expect(group.Properties.KmsKeyId).toBeDefined();
  const retention = props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR;
  expect(group.Properties.RetentionInDays).toBe(retention === logs.RetentionDays.INFINITE ? undefined : retention);
  expect(group.DeletionPolicy).toBe(
    { [RemovalPolicy.DESTROY]: 'Delete', [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE]: 'RetainExceptOnCreate' }[
      props.removalPolicy as string
    ] ?? 'Retain',
  );
  expect(ofType('Custom::VpcRestrictDefaultSG')).toHaveLength(props.restrictDefaultSecurityGroup === false ? 0 : 1);
  const endpoints = ofType('AWS::EC2::VPCEndpoint');
  expect(endpoints.filter((e) => e.Properties.VpcEndpointType === 'Interface')).toHaveLength(
    props.interfaceEndpoints?.length ?? 0,
  );
  expect(endpoints.filter((e) => e.Properties.VpcEndpointType === 'Gateway')).toHaveLength(
    props.gatewayEndpoints?.length ?? 0,
  );
  for (const endpoint of endpoints.filter((e) => e.Properties.VpcEndpointType === 'Interface')) {
    expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
  }
  expect(ofType('AWS::EC2::SecurityGroupIngress').filter((r) => r.Properties.FromPort === 443)).toHaveLength(peers);
}

test('IsolatedVpc: every generated case is refused with a library error or synthesizes what was asked', async () => {
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
          expectLibraryError(outcome.error, ['Stack/Network'], Object.keys(c));
          return;
        }
        counts.built++;
        expectAsked(outcome.value.template, outcome.value.props, outcome.value.peers);
        batch.add(outcome.value.template, 'isolated-vpc');
      } catch (error) {
        if (!countOnly) throw error;
        failed++;
      }
    }),
    propertyParameters(120),
  );
  reportCases('IsolatedVpc', counts);
  if (countOnly) {
    // eslint-disable-next-line no-console
    console.log(`IsolatedVpc: ${failed} of ${counts.errors + counts.built} cases failed`);
  }
  expect(counts.built).toBeGreaterThan(10);
  expect(counts.errors).toBeGreaterThan(10);
  await batch.expectCfnLintClean();
});
