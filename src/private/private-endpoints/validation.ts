import { Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { claimPhysicalName } from '../physical-names';
import { invalidProp } from '../validation';

// Checks shared by PrivateEndpoints, IsolatedVpc and QueueProcessingService. The last two are general
// and could move to ../validation.ts.

/**
 * The peer, when it is a construct with security groups. A JavaScript or jsii caller can pass any
 * `IConnectable`, including `Peer.ipv4(...)` (an address range whose `connections` hold no security
 * group): that would admit addresses rather than the peer's resources, so it is refused.
 */
export function securityGroupPeer(scope: IConstruct, prop: string, peer: unknown): ec2.IConnectable {
  const connections = (peer as Partial<ec2.IConnectable> | null | undefined)?.connections;
  if (connections === undefined || connections === null || !Array.isArray(connections.securityGroups)) {
    throw invalidProp(scope, prop, 'must be a construct with security groups (an ec2.IConnectable)', peer);
  }
  if (connections.securityGroups.length === 0) {
    const range = (peer as { readonly uniqueId?: unknown }).uniqueId;
    throw invalidProp(
      scope,
      prop,
      'must be a construct with security groups; an address range such as Peer.ipv4(...) is not accepted',
      typeof range === 'string' ? `Peer ${range}` : peer,
    );
  }
  return peer as ec2.IConnectable;
}

/**
 * Records an interface endpoint with private DNS for a service in a VPC. Private DNS associates a
 * private hosted zone for the service's default DNS name (e.g. `sqs.us-east-1.amazonaws.com`) with the
 * VPC (EC2 API reference, CreateVpcEndpoint, `PrivateDnsEnabled`); a second endpoint for the same
 * service in the same VPC cannot take the same zone, and its creation fails at deploy ("conflicting
 * DNS domain").
 */
export function claimInterfaceEndpoint(scope: IConstruct, prop: string, vpc: ec2.IVpc, shortName: string): void {
  claimPhysicalName(scope, { kind: 'private-DNS interface endpoint', name: shortName, prop, uniqueIn: vpc });
}

/**
 * Records a gateway endpoint's routes. A route table takes one route to a service's prefix list: the
 * AWS PrivateLink Guide ("Gateway endpoints", considerations) allows endpoints to the same service in
 * different route tables but not two in one route table, so a second one fails at deploy. Recorded per
 * subnet (each subnet has one route table).
 */
export function claimGatewayEndpointRoutes(
  scope: IConstruct,
  prop: string,
  subnets: ec2.ISubnet[],
  shortName: string,
): void {
  for (const subnet of subnets) {
    claimPhysicalName(scope, { kind: 'gateway endpoint', name: shortName, prop, uniqueIn: subnet });
  }
}

/** `true`, `false` or undefined: a JavaScript caller can pass `'false'`, which is truthy. */
export function validateBoolean(scope: IConstruct, prop: string, value: boolean | undefined): void {
  if (value !== undefined && typeof value !== 'boolean' && !Token.isUnresolved(value)) {
    throw invalidProp(scope, prop, 'must be true or false', value);
  }
}

const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');

/**
 * One of the values of `logs.RetentionDays` (CloudWatch Logs accepts only those numbers of days,
 * PutRetentionPolicy API reference). A token is passed through.
 */
export function validateRetentionDays(scope: IConstruct, prop: string, value: logs.RetentionDays | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) {
    return;
  }
  if (typeof value !== 'number' || !RETENTION_DAYS.includes(value)) {
    throw invalidProp(
      scope,
      prop,
      `must be a logs.RetentionDays value (a number of days CloudWatch Logs accepts: ${RETENTION_DAYS.filter((d) => d !== logs.RetentionDays.INFINITE).join(', ')}, or RetentionDays.INFINITE)`,
      value,
    );
  }
}

/** The characters EC2 accepts in a security group rule description (EC2 API reference, IpRange and UserIdGroupPair `Description`). */
const RULE_DESCRIPTION = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

/** A security group rule description: at most 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*. */
export function validateRuleDescription(scope: IConstruct, prop: string, description: string): void {
  if (typeof description === 'string' && (Token.isUnresolved(description) || RULE_DESCRIPTION.test(description))) {
    return;
  }
  throw invalidProp(
    scope,
    prop,
    'must be at most 255 characters of letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (EC2 security group rule descriptions)',
    description,
  );
}

/** A subnet selection as the user wrote it, for an error message (subnets by id). */
export function describeSelection(selection: ec2.SubnetSelection): string {
  const { subnetType, subnetGroupName, availabilityZones, onePerAz, subnets } = selection;
  return JSON.stringify({
    subnetType,
    subnetGroupName,
    availabilityZones,
    onePerAz,
    subnets: subnets?.map((s) => s.subnetId),
  });
}
