import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  claimGatewayEndpointRoutes,
  claimInterfaceEndpoint,
  describeSelection,
  securityGroupPeer,
} from './private/private-endpoints/validation';
import { invalidProp, methodArgument, validateEnumValue } from './private/validation';

/**
 * An AWS service that a PrivateEndpoints gives the VPC a private path to.
 */
export enum PrivateEndpointService {
  /** Amazon SQS (`com.amazonaws.<region>.sqs`). */
  SQS = 'SQS',
  /** Amazon SNS (`sns`). */
  SNS = 'SNS',
  /** Amazon Kinesis Data Streams (`kinesis-streams`). */
  KINESIS_STREAMS = 'KINESIS_STREAMS',
  /** Amazon Data Firehose (`kinesis-firehose`). */
  FIREHOSE = 'FIREHOSE',
  /** AWS KMS (`kms`), for code that calls KMS itself; SQS, SNS and Kinesis call KMS on their own side. */
  KMS = 'KMS',
  /** CloudWatch Logs (`logs`): container logs of Fargate tasks, and any SDK that writes logs. */
  CLOUDWATCH_LOGS = 'CLOUDWATCH_LOGS',
  /** CloudWatch metrics (`monitoring`), for code that publishes metrics. */
  CLOUDWATCH_MONITORING = 'CLOUDWATCH_MONITORING',
  /**
   * Amazon ECR: the `ecr.api` and `ecr.dkr` interface endpoints, and the S3 gateway endpoint, whose
   * policy then also admits the AWS-owned bucket ECR keeps image layers in. Needed to pull private
   * images (Fargate tasks included).
   */
  ECR = 'ECR',
  /** Amazon S3 through a gateway endpoint (no hourly charge), for the account's own buckets. */
  S3 = 'S3',
  /** AWS Systems Manager (`ssm`): Parameter Store, including the parameters a Fargate task reads as secrets. */
  SSM = 'SSM',
  /** AWS STS (`sts`), for code that assumes roles. */
  STS = 'STS',
}

/**
 * Properties of PrivateEndpoints.
 */
export interface PrivateEndpointsProps {
  /**
   * The VPC to give endpoints. Its DNS attributes `enableDnsSupport` and `enableDnsHostnames` must be
   * on for private DNS (an `ec2.Vpc` has both on by default).
   */
  readonly vpc: ec2.IVpc;

  /**
   * The services to reach privately. Every interface endpoint has private DNS on, so the services'
   * usual host names resolve to the endpoints and no code changes; a VPC takes one such endpoint per
   * service.
   *
   * @default - what a QueueProcessingService needs in isolated subnets: SQS, ECR (with the S3 gateway),
   * CLOUDWATCH_LOGS and SSM. Each interface endpoint is charged per hour and per zone, so add only what
   * the workers call.
   */
  readonly services?: PrivateEndpointService[];

  /**
   * Where the interface endpoints are placed (one network interface per zone), and whose route tables
   * get the S3 gateway endpoint's route.
   *
   * @default - the VPC's private subnets, or its isolated subnets if it has no private ones
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * Who may connect to the interface endpoints (HTTPS, port 443): constructs with security groups,
   * for example a QueueProcessingService. An address range (`Peer.ipv4(...)`) is refused. More peers can
   * be added later with `allowAccessFrom`.
   *
   * @default - the VPC's primary CIDR block, when it is known at synth (an `ec2.Vpc` with a literal
   * CIDR, or a VPC imported with one); otherwise peers must be given
   */
  readonly allowedPeers?: ec2.IConnectable[];
}

const DEFAULT_SERVICES = [
  PrivateEndpointService.SQS,
  PrivateEndpointService.ECR,
  PrivateEndpointService.CLOUDWATCH_LOGS,
  PrivateEndpointService.SSM,
];

/** The interface endpoints of each service, with their construct ids (stable per service). */
const INTERFACE_ENDPOINTS: Record<
  PrivateEndpointService,
  ReadonlyArray<readonly [string, ec2.InterfaceVpcEndpointAwsService]>
> = {
  [PrivateEndpointService.SQS]: [['Sqs', ec2.InterfaceVpcEndpointAwsService.SQS]],
  [PrivateEndpointService.SNS]: [['Sns', ec2.InterfaceVpcEndpointAwsService.SNS]],
  [PrivateEndpointService.KINESIS_STREAMS]: [['KinesisStreams', ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS]],
  [PrivateEndpointService.FIREHOSE]: [['Firehose', ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE]],
  [PrivateEndpointService.KMS]: [['Kms', ec2.InterfaceVpcEndpointAwsService.KMS]],
  [PrivateEndpointService.CLOUDWATCH_LOGS]: [['CloudWatchLogs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS]],
  [PrivateEndpointService.CLOUDWATCH_MONITORING]: [
    ['CloudWatchMonitoring', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING],
  ],
  [PrivateEndpointService.ECR]: [
    ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
    ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
  ],
  [PrivateEndpointService.S3]: [],
  [PrivateEndpointService.SSM]: [['Ssm', ec2.InterfaceVpcEndpointAwsService.SSM]],
  [PrivateEndpointService.STS]: [['Sts', ec2.InterfaceVpcEndpointAwsService.STS]],
};

/**
 * The VPC endpoints the library's producers and consumers call, for workers in private or isolated
 * subnets: interface endpoints (private DNS on) for the chosen services, and the S3 gateway endpoint
 * for ECR image layers or S3 itself.
 *
 * - **Policies.** Every endpoint's policy admits only requests by this account's principals to this
 *   account's resources (`aws:PrincipalAccount` and `aws:ResourceAccount`), so credentials of another
 *   account, or data sent to another account's queue, topic, stream or bucket, cannot pass through
 *   them. With ECR, the S3 gateway endpoint also admits `s3:GetObject` on the AWS-owned bucket that
 *   ECR serves image layers from, exactly as the Amazon ECR User Guide requires. An endpoint policy
 *   grants nothing by itself: identity and resource policies still decide.
 * - **Network.** One security group for the interface endpoints admits HTTPS only, from the VPC's CIDR
 *   block or from the peers given (security groups, never address ranges), and sends nothing.
 */
export class PrivateEndpoints extends Construct {
  /** The VPC the endpoints belong to. */
  public readonly vpc: ec2.IVpc;

  /** The services that have endpoints, in the order given. */
  public readonly services: PrivateEndpointService[];

  /** The security group of the interface endpoints: HTTPS in from the VPC or the allowed peers, nothing out. */
  public readonly securityGroup: ec2.SecurityGroup;

  /** The interface endpoints, in the order of `services` (ECR has two: `ecr.api`, then `ecr.dkr`). */
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpoint[];

  /** The S3 gateway endpoint, when `services` includes S3 or ECR. */
  public readonly s3GatewayEndpoint?: ec2.GatewayVpcEndpoint;

  private readonly endpointsByService = new Map<PrivateEndpointService, ec2.InterfaceVpcEndpoint[]>();

  constructor(scope: Construct, id: string, props: PrivateEndpointsProps) {
    super(scope, id);
    if (props === undefined || props === null || typeof props.vpc?.vpcId !== 'string') {
      throw invalidProp(this, 'vpc', 'must be an ec2.IVpc', props?.vpc);
    }
    this.vpc = props.vpc;
    this.services = validateServices(this, props.services);
    const subnets = selectEndpointSubnets(this, props.vpc, props.subnets);
    const peers = props.allowedPeers === undefined ? undefined : validatePeerList(this, props.allowedPeers);
    const vpcCidr = peers === undefined ? knownVpcCidr(props.vpc) : undefined;
    if (peers === undefined && vpcCidr === undefined) {
      throw invalidProp(
        this,
        'allowedPeers',
        "must name the endpoints' clients, because the VPC's CIDR block is known only at deploy time " +
          '(the compliance packs cannot check a rule on a deploy-time address range)',
        'undefined',
      );
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Interface endpoints of ${this.node.path}: HTTPS in from the VPC or allowed peers only`,
      allowAllOutbound: false,
    });
    if (vpcCidr !== undefined) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(vpcCidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    }
    for (const peer of peers ?? []) {
      this.securityGroup.connections.allowFrom(peer, ec2.Port.tcp(443), ruleDescription(peer));
    }

    const stack = Stack.of(this);
    this.interfaceEndpoints = [];
    for (const service of this.services) {
      const endpoints = INTERFACE_ENDPOINTS[service].map(([endpointId, awsService]) => {
        claimInterfaceEndpoint(this, 'services', props.vpc, awsService.shortName);
        const endpoint = new ec2.InterfaceVpcEndpoint(this, endpointId, {
          vpc: props.vpc,
          service: awsService,
          subnets,
          securityGroups: [this.securityGroup],
          open: false,
          privateDnsEnabled: true,
        });
        endpoint.addToPolicy(accountOnlyStatement(stack));
        return endpoint;
      });
      this.endpointsByService.set(service, endpoints);
      this.interfaceEndpoints.push(...endpoints);
    }

    const withEcr = this.services.includes(PrivateEndpointService.ECR);
    if (withEcr || this.services.includes(PrivateEndpointService.S3)) {
      const routed = props.vpc.selectSubnets(subnets).subnets;
      const withoutRouteTable = routed.filter((subnet) => subnet.routeTable?.routeTableId === undefined);
      if (withoutRouteTable.length > 0) {
        throw invalidProp(
          this,
          'subnets',
          'must have known route tables for the S3 gateway endpoint (import the VPC with its route table ids)',
          withoutRouteTable.map((subnet) => subnet.subnetId).join(', '),
        );
      }
      claimGatewayEndpointRoutes(this, 'services', routed, 's3');
      this.s3GatewayEndpoint = new ec2.GatewayVpcEndpoint(this, 'S3Gateway', {
        vpc: props.vpc,
        service: ec2.GatewayVpcEndpointAwsService.S3,
        subnets: [subnets],
      });
      this.s3GatewayEndpoint.addToPolicy(accountOnlyStatement(stack));
      if (withEcr) {
        this.s3GatewayEndpoint.addToPolicy(ecrLayerStatement(stack));
      }
    }
  }

  /**
   * The interface endpoints of one service (two for ECR, none for S3 or a service not chosen).
   */
  public endpointsOf(service: PrivateEndpointService): ec2.InterfaceVpcEndpoint[] {
    validateEnumValue(
      this,
      methodArgument('endpointsOf', 'service'),
      service,
      'PrivateEndpointService',
      PrivateEndpointService,
    );
    return [...(this.endpointsByService.get(service) ?? [])];
  }

  /**
   * Lets `peer` reach the interface endpoints over HTTPS: a rule that names the peer's security
   * groups, never an address range (a `Peer.ipv4(...)` is refused).
   */
  public allowAccessFrom(peer: ec2.IConnectable): void {
    const checked = securityGroupPeer(this, methodArgument('allowAccessFrom', 'peer'), peer);
    this.securityGroup.connections.allowFrom(checked, ec2.Port.tcp(443), ruleDescription(checked));
  }
}

/**
 * The data perimeter of one account (AWS PrivateLink Guide, "Control access to VPC endpoints using
 * endpoint policies", whose default policy and gateway-endpoint examples write the principal as
 * `"Principal": "*"`, and which forbids wildcards with `aws:PrincipalAccount`; AWS's data perimeter policy
 * examples, statement
 * "AllowRequestsByOrgsIdentitiesToOrgsResources", scoped here to the account): a request passes only when
 * both the principal and the resource belong to this account. `aws:PrincipalAccount` and
 * `aws:ResourceAccount` are global condition keys (IAM User Guide, "AWS global condition context keys").
 */
function accountOnlyStatement(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'OnlyThisAccountsPrincipalsAndResources',
    principals: [new iam.StarPrincipal()],
    actions: ['*'],
    resources: ['*'],
    conditions: {
      StringEquals: { 'aws:PrincipalAccount': stack.account, 'aws:ResourceAccount': stack.account },
    },
  });
}

/**
 * Image layers of private ECR repositories are served from an AWS-owned bucket, through presigned URLs
 * that an ECR account signs: neither the principal nor the resource is this account's, so the account
 * statement alone would block every pull. The Amazon ECR User Guide ("Amazon ECR interface VPC endpoints
 * (AWS PrivateLink)", "Minimum Amazon S3 bucket permissions for Amazon ECR") gives exactly this: read of
 * `prod-<region>-starport-layer-bucket/*`.
 */
function ecrLayerStatement(stack: Stack): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'EcrImageLayers',
    principals: [new iam.StarPrincipal()],
    actions: ['s3:GetObject'],
    resources: [`arn:${stack.partition}:s3:::prod-${stack.region}-starport-layer-bucket/*`],
  });
}

function validateServices(
  scope: PrivateEndpoints,
  services: PrivateEndpointService[] | undefined,
): PrivateEndpointService[] {
  if (services === undefined) {
    return [...DEFAULT_SERVICES];
  }
  if (!Array.isArray(services) || services.length === 0) {
    throw invalidProp(scope, 'services', 'must list at least one PrivateEndpointService', services);
  }
  for (const service of services) {
    validateEnumValue(scope, 'services', service, 'PrivateEndpointService', PrivateEndpointService);
  }
  const duplicate = services.find((service, i) => services.indexOf(service) !== i);
  if (duplicate !== undefined) {
    throw invalidProp(scope, 'services', `must list each service once (${duplicate} is listed twice)`, services);
  }
  return [...services];
}

function validatePeerList(scope: PrivateEndpoints, peers: ec2.IConnectable[]): ec2.IConnectable[] {
  if (!Array.isArray(peers)) {
    throw invalidProp(scope, 'allowedPeers', 'must be a list of constructs with security groups', peers);
  }
  return peers.map((peer) => securityGroupPeer(scope, 'allowedPeers', peer));
}

/**
 * The subnets of the interface endpoints: the selection given, or the VPC's private subnets, or its
 * isolated ones. A selection that matches no subnet is refused here; aws-cdk-lib's own error names no
 * construct or prop.
 */
function selectEndpointSubnets(
  scope: PrivateEndpoints,
  vpc: ec2.IVpc,
  selection: ec2.SubnetSelection | undefined,
): ec2.SubnetSelection {
  const effective =
    selection ??
    (vpc.privateSubnets.length > 0
      ? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }
      : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
  let subnets: ec2.ISubnet[];
  try {
    subnets = vpc.selectSubnets(effective).subnets;
  } catch {
    subnets = [];
  }
  if (subnets.length === 0) {
    throw invalidProp(
      scope,
      'subnets',
      selection === undefined
        ? 'must be given, because the VPC has no private or isolated subnets'
        : 'must select at least one subnet of the VPC',
      selection === undefined ? 'undefined' : describeSelection(selection),
    );
  }
  return { subnets };
}

/**
 * The VPC's primary CIDR block when it is a literal: an imported VPC's attribute, or the `CidrBlock`
 * of an `ec2.Vpc` of this app (whose `vpcCidrBlock` attribute is a deploy-time reference). Undefined
 * for a VPC imported without it, or one whose block an IPAM pool assigns.
 */
function knownVpcCidr(vpc: ec2.IVpc): string | undefined {
  let attribute: string | undefined;
  try {
    attribute = vpc.vpcCidrBlock;
  } catch {
    // An imported VPC without `vpcCidrBlock` throws on access.
    attribute = undefined;
  }
  if (attribute !== undefined && !Token.isUnresolved(attribute)) {
    return attribute;
  }
  const resource = vpc.node.defaultChild;
  if (
    resource instanceof ec2.CfnVPC &&
    typeof resource.cidrBlock === 'string' &&
    !Token.isUnresolved(resource.cidrBlock)
  ) {
    return resource.cidrBlock;
  }
  return undefined;
}

/**
 * "HTTPS from <peer>", in the characters EC2 accepts in a rule description and at most 255 of them
 * (EC2 API reference, IpRange / UserIdGroupPair `Description`: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*).
 */
function ruleDescription(peer: ec2.IConnectable): string {
  const path = (peer as Partial<Construct>).node?.path ?? 'an allowed peer';
  const text = `HTTPS from ${path}`.replace(/[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g, '-');
  return text.length > 255 ? `${text.slice(0, 254)}*` : text;
}
