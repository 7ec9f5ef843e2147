import { Aws, ContextProvider, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import { Construct } from 'constructs';
import { allowCloudWatchLogsToUseKey } from '../../private/key-policies';
import { generatePhysicalName } from '../../private/naming';
import { invalidProp } from '../../private/validation';

/**
 * Properties of an IsolatedVpc.
 */
export interface IsolatedVpcProps {
  /**
   * The availability zones of the subnets, one isolated subnet in each.
   *
   * @default - the first two of the stack's availability zones
   */
  readonly availabilityZones?: string[];

  /**
   * AWS services reached through interface endpoints, e.g. `InterfaceVpcEndpointAwsService.SQS`.
   * Nobody may connect to them until `allowEndpointAccessFrom` names a peer.
   *
   * @default - none
   */
  readonly interfaceEndpoints?: ec2.InterfaceVpcEndpointAwsService[];

  /**
   * AWS services reached through gateway endpoints (S3, DynamoDB).
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
   * How long the flow log keeps records.
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

/**
 * A VPC for blueprints that need no internet: isolated subnets only (no internet or NAT gateway),
 * a flow log of all traffic to a KMS-encrypted log group, and VPC endpoints that only the peers
 * named with `allowEndpointAccessFrom` may reach. Passes the five compliance packs.
 *
 * Shared by the blueprints; not part of the library's API.
 */
export class IsolatedVpc extends Construct {
  /** The VPC. */
  public readonly vpc: ec2.Vpc;

  /** The security group of every interface endpoint: no inbound rules until a peer is allowed. */
  public readonly endpointSecurityGroup: ec2.SecurityGroup;

  /** The interface endpoints, in the order given. */
  public readonly interfaceEndpoints: ec2.InterfaceVpcEndpoint[];

  /** The flow log of the VPC (all traffic). */
  public readonly flowLog: ec2.FlowLog;

  /** The log group the flow log writes to. */
  public readonly flowLogGroup: logs.LogGroup;

  /** The customer-managed key of the flow log group. */
  public readonly flowLogKey: kms.Key;

  constructor(scope: Construct, id: string, props: IsolatedVpcProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      availabilityZones: props.availabilityZones,
      maxAzs: props.availabilityZones ? undefined : 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: props.restrictDefaultSecurityGroup ?? true,
    });

    const logGroupName = `/vpc-flow-logs/${generatePhysicalName(this, 200)}`;
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
    this.interfaceEndpoints = (props.interfaceEndpoints ?? []).map((service) =>
      this.vpc.addInterfaceEndpoint(endpointId(service.shortName), {
        service,
        subnets: isolated,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
        privateDnsEnabled: true,
      }),
    );
    for (const service of props.gatewayEndpoints ?? []) {
      this.vpc.addGatewayEndpoint(endpointId(service.name.split('.').pop()!), { service, subnets: [isolated] });
    }
  }

  /**
   * Lets `peer` reach the interface endpoints over HTTPS (a rule that names the peer's security
   * groups, never a CIDR).
   */
  public allowEndpointAccessFrom(peer: ec2.IConnectable, description: string): void {
    this.endpointSecurityGroup.connections.allowFrom(peer, ec2.Port.tcp(443), description);
  }
}

/** `sqs` → `SqsEndpoint`, `ssmmessages` → `SsmmessagesEndpoint`: stable for a given service. */
function endpointId(shortName: string): string {
  const words = shortName.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  return words.map((w) => w[0].toUpperCase() + w.slice(1)).join('') + 'Endpoint';
}

/**
 * The availability zones of a blueprint's VPC, `count` of them.
 *
 * - Given zones are checked (enough of them, distinct, of the stack's region) and used.
 * - An environment-agnostic stack uses `Fn::GetAZs`: the zones of whatever account and region it is
 *   deployed to.
 * - An environment-specific stack uses the zones the CDK CLI looked up for that account and region
 *   (the `availability-zones:account=…:region=…` context), like any aws-cdk-lib VPC. When they are not
 *   cached yet, nothing is guessed: the VPC asks for them (missing context), and the CLI looks them up
 *   and synthesizes again. Zone names are mapped per account, and not every account has zones `a` and
 *   `b` in every region (EC2 User Guide, "Availability Zones": "AWS maps the physical Availability Zones
 *   randomly to the Availability Zone names for each AWS account"; some regions offer new accounts
 *   only some letters), so a guess such as `<region>a` can name a zone the account does not have.
 * - When the CLI could not look them up, it records an error marker (`$providerError`) in the context
 *   instead of zones. That marker is reported as such, with what to do; it is never read as zones.
 */
export function blueprintAvailabilityZones(
  stack: Stack,
  given: string[] | undefined,
  count: number,
): string[] | undefined {
  if (given !== undefined) {
    validateGivenZones(stack, given, count);
    return given.slice(0, count);
  }
  if (Token.isUnresolved(stack.region) || Token.isUnresolved(stack.account)) {
    return undefined;
  }
  const key = ContextProvider.getKey(stack, { provider: cxschema.ContextProvider.AVAILABILITY_ZONE_PROVIDER }).key;
  const cached: unknown = stack.node.tryGetContext(key);
  if (cached === undefined) {
    return undefined;
  }
  if (typeof cached === 'object' && cached !== null && PROVIDER_ERROR_KEY in cached) {
    throw invalidProp(
      stack,
      'availabilityZones',
      `must be given, because the CDK CLI could not look up the zones of account ${stack.account} in ` +
        `${stack.region} (${String((cached as Record<string, unknown>)[PROVIDER_ERROR_KEY])}); pass ` +
        `availabilityZones, or fix the lookup and clear it with "cdk context --reset ${key}"`,
      cached,
    );
  }
  if (!Array.isArray(cached) || cached.length < count || !cached.every((zone) => typeof zone === 'string')) {
    throw invalidProp(
      stack,
      'availabilityZones',
      `must be given, because the context "${key}" does not list at least ${count} zones`,
      cached,
    );
  }
  return cached.slice(0, count);
}

/** The key the CDK CLI writes into a context value whose lookup failed (aws-cdk-lib's cx-api PROVIDER_ERROR_KEY). */
const PROVIDER_ERROR_KEY = '$providerError';

function validateGivenZones(stack: Stack, zones: string[], count: number): void {
  if (!Array.isArray(zones) || zones.length < count) {
    throw invalidProp(stack, 'availabilityZones', `must list at least ${count} availability zones`, zones);
  }
  const literal = zones.filter((zone) => !Token.isUnresolved(zone));
  if (new Set(literal).size !== literal.length) {
    throw invalidProp(stack, 'availabilityZones', 'must list distinct availability zones', zones);
  }
  if (!Token.isUnresolved(stack.region)) {
    const foreign = literal.find((zone) => typeof zone !== 'string' || !zone.startsWith(`${stack.region}`));
    if (foreign !== undefined) {
      throw invalidProp(stack, 'availabilityZones', `must name zones of the stack's region ${stack.region}`, zones);
    }
  }
}
