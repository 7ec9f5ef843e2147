import { Aws, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { allowCloudWatchLogsToUseKey } from './private/key-policies';
import { generatePhysicalName } from './private/naming';
import { claimPhysicalName } from './private/physical-names';
import {
  claimGatewayEndpointRoutes,
  claimInterfaceEndpoint,
  securityGroupPeer,
  validateBoolean,
  validateRetentionDays,
  validateRuleDescription,
} from './private/private-endpoints/validation';
import { resolveRemovalPolicy } from './private/removal-policy';
import { invalidProp, methodArgument } from './private/validation';

/**
 * Properties of an IsolatedVpc.
 */
export interface IsolatedVpcProps {
  /**
   * The availability zones of the subnets, one isolated subnet (a /24 of 10.0.0.0/16) in each.
   *
   * @default - the first two of the stack's availability zones
   */
  readonly availabilityZones?: string[];

  /**
   * AWS services reached through interface endpoints (with private DNS) in the isolated subnets, e.g.
   * `InterfaceVpcEndpointAwsService.SQS`. Nobody may connect to them until `allowEndpointAccessFrom`
   * names a peer. Their endpoint policies are AWS's default (full access); for endpoints whose policies
   * admit only this account's principals and resources, use a `PrivateEndpoints` on `vpc` instead.
   *
   * @default - none
   */
  readonly interfaceEndpoints?: ec2.InterfaceVpcEndpointAwsService[];

  /**
   * AWS services reached through gateway endpoints (S3, DynamoDB), routed from the isolated subnets.
   *
   * @default - none
   */
  readonly gatewayEndpoints?: ec2.GatewayVpcEndpointAwsService[];

  /**
   * Close the VPC's default security group (remove its rules) with aws-cdk-lib's Lambda-backed
   * custom resource. Turned off, the default group stays open and the compliance packs report it
   * (VPCDefaultSecurityGroupClosed); nothing acknowledges that finding.
   *
   * @default true
   */
  readonly restrictDefaultSecurityGroup?: boolean;

  /**
   * How long the flow log keeps records. `RetentionDays.INFINITE` keeps them forever, and the NIST,
   * HIPAA and PCI packs then report the log group (CloudWatchLogGroupRetentionPeriod); nothing
   * acknowledges that finding.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;

  /**
   * What happens to the flow log group and its key when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The VPC's address range: 256 /24 subnets, one per zone. */
const VPC_CIDR = '10.0.0.0/16';
const SUBNET_CIDR_MASK = 24;
const DEFAULT_ZONE_COUNT = 2;
const FLOW_LOG_NAME_ROOM = 200;

/**
 * A VPC for workers that need no internet, the one the blueprints use: isolated subnets only (no
 * internet gateway, no NAT gateway, no public IP addresses), a flow log of all traffic to a
 * KMS-encrypted log group with retention, the default security group closed, and optional VPC
 * endpoints that only the peers named with `allowEndpointAccessFrom` may reach. Passes the five
 * compliance packs.
 *
 * Workers in it reach AWS only through VPC endpoints: add a `PrivateEndpoints` for the services they
 * call (a QueueProcessingService needs ECR, CloudWatch Logs, SSM and SQS), or list them in
 * `interfaceEndpoints` and `gatewayEndpoints`.
 */
export class IsolatedVpc extends Construct {
  /** The VPC. */
  public readonly vpc: ec2.Vpc;

  /** The security group of the interface endpoints given in `interfaceEndpoints`: no inbound rules until a peer is allowed. */
  public readonly endpointSecurityGroup: ec2.SecurityGroup;

  /** The interface endpoints, in the order given. */
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpoint[];

  /** The gateway endpoints, in the order given. */
  public readonly gatewayEndpoints: ec2.GatewayVpcEndpoint[];

  /** The flow log of the VPC (all traffic). */
  public readonly flowLog: ec2.FlowLog;

  /** The log group the flow log writes to. */
  public readonly flowLogGroup: logs.LogGroup;

  /** The customer-managed key of the flow log group. */
  public readonly flowLogKey: kms.Key;

  constructor(scope: Construct, id: string, props: IsolatedVpcProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    validateZones(this, props.availabilityZones);
    validateBoolean(this, 'restrictDefaultSecurityGroup', props.restrictDefaultSecurityGroup);
    validateRetentionDays(this, 'flowLogRetention', props.flowLogRetention);
    const interfaceServices = validateServiceList(this, 'interfaceEndpoints', props.interfaceEndpoints);
    const gatewayServices = validateServiceList(this, 'gatewayEndpoints', props.gatewayEndpoints);
    const removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'KMS keys and log groups');

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      availabilityZones: props.availabilityZones,
      maxAzs: props.availabilityZones ? undefined : DEFAULT_ZONE_COUNT,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: SUBNET_CIDR_MASK },
      ],
      restrictDefaultSecurityGroup: props.restrictDefaultSecurityGroup ?? true,
    });

    // 200 characters, well under CloudWatch Logs' 512 for a log group name (CreateLogGroup API reference).
    const logGroupName = `/vpc-flow-logs/${generatePhysicalName(this, FLOW_LOG_NAME_ROOM)}`;
    claimPhysicalName(this, {
      kind: 'CloudWatch Logs log group',
      name: logGroupName,
      prop: 'id',
      what: 'its flow log group',
    });
    this.flowLogKey = new kms.Key(this, 'FlowLogKey', {
      description: `Encrypts the flow log of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // CloudWatch Logs encrypts with the key on the log group's behalf, for this log group only.
    allowCloudWatchLogsToUseKey(this.flowLogKey, logGroupName, 'AllowCloudWatchLogsForTheFlowLogGroup');
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogGroup', {
      logGroupName,
      encryptionKey: this.flowLogKey,
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });

    const flowLogRole = new iam.Role(this, 'FlowLogRole', {
      description: `Lets VPC Flow Logs write the flow log of ${this.node.path}`,
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:ec2:${stack.region}:${stack.account}:vpc-flow-log/*` },
        },
      }),
    });
    // A customer-managed policy: the grants FlowLog would add to the role are inline policies.
    const flowLogPolicy = new iam.ManagedPolicy(this, 'FlowLogPolicy', {
      description: `Lets VPC Flow Logs write to the flow log group of ${this.node.path}`,
      roles: [flowLogRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [this.flowLogGroup.logGroupArn],
        }),
      ],
    });
    this.flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup, flowLogRole.withoutPolicyUpdates()),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    this.flowLog.node.addDependency(flowLogPolicy);

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: `Interface endpoints of ${this.node.path}: HTTPS from allowed peers only`,
      allowAllOutbound: false,
    });
    const isolated = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    this.interfaceEndpoints = interfaceServices.map((service) => {
      // Private DNS makes the service's own name resolve to the endpoint: one such endpoint per
      // service and VPC (AWS PrivateLink Guide, "Enable private DNS names"), refused here before a deploy fails.
      claimInterfaceEndpoint(this, 'interfaceEndpoints', this.vpc, service.shortName);
      return this.vpc.addInterfaceEndpoint(endpointId(service.shortName), {
        service,
        subnets: isolated,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
        privateDnsEnabled: true,
      });
    });
    this.gatewayEndpoints = gatewayServices.map((service) => {
      const shortName = service.name.split('.').pop()!;
      claimGatewayEndpointRoutes(this, 'gatewayEndpoints', this.vpc.isolatedSubnets, shortName);
      return this.vpc.addGatewayEndpoint(endpointId(shortName), { service, subnets: [isolated] });
    });
  }

  /**
   * Lets `peer` reach the interface endpoints over HTTPS: a rule that names the peer's security
   * groups, never an address range (a `Peer.ipv4(...)` is refused).
   *
   * @param peer a construct with security groups, e.g. a QueueProcessingService or a fleet
   * @param description what the rule is for
   */
  public allowEndpointAccessFrom(peer: ec2.IConnectable, description: string): void {
    const checked = securityGroupPeer(this, methodArgument('allowEndpointAccessFrom', 'peer'), peer);
    validateRuleDescription(this, methodArgument('allowEndpointAccessFrom', 'description'), description);
    this.endpointSecurityGroup.connections.allowFrom(checked, ec2.Port.tcp(443), description);
  }
}

/** `sqs` → `SqsEndpoint`, `ssmmessages` → `SsmmessagesEndpoint`: stable for a given service. */
function endpointId(shortName: string): string {
  const words = shortName.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  return words.map((w) => w[0].toUpperCase() + w.slice(1)).join('') + 'Endpoint';
}

function validateZones(scope: IsolatedVpc, zones: string[] | undefined): void {
  if (zones === undefined) {
    return;
  }
  const stack = Stack.of(scope);
  if (!Array.isArray(zones) || zones.length === 0 || zones.some((zone) => typeof zone !== 'string')) {
    throw invalidProp(scope, 'availabilityZones', 'must list at least one availability zone name', zones);
  }
  // /24 subnets in a /16: at most 256 of them.
  if (zones.length > 2 ** (SUBNET_CIDR_MASK - 16)) {
    throw invalidProp(scope, 'availabilityZones', `must list at most ${2 ** (SUBNET_CIDR_MASK - 16)} zones`, zones);
  }
  const literal = zones.filter((zone) => !Token.isUnresolved(zone));
  if (new Set(literal).size !== literal.length) {
    throw invalidProp(scope, 'availabilityZones', 'must list distinct availability zones', zones);
  }
  if (!Token.isUnresolved(stack.region) && literal.some((zone) => !zone.startsWith(stack.region))) {
    throw invalidProp(scope, 'availabilityZones', `must name zones of the stack's region ${stack.region}`, zones);
  }
}

function validateServiceList<T extends { readonly name: string }>(
  scope: IsolatedVpc,
  prop: string,
  services: T[] | undefined,
): T[] {
  if (services === undefined) {
    return [];
  }
  if (
    !Array.isArray(services) ||
    services.some((s) => s === null || typeof s !== 'object' || typeof s.name !== 'string')
  ) {
    throw invalidProp(
      scope,
      prop,
      'must be a list of AWS services (ec2.InterfaceVpcEndpointAwsService / ec2.GatewayVpcEndpointAwsService)',
      services,
    );
  }
  return services;
}
