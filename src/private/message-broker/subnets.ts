import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { invalidProp, validateEnumValue } from '../validation';

/** Where the broker goes, and how many zones it needs. */
export interface SubnetChoice {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** One subnet per instance, each in its own zone. */
  readonly instances: number;
  /** For the message: the deployment mode and engine, e.g. `ACTIVE_STANDBY_MULTI_AZ ACTIVEMQ`. */
  readonly brokerDescription: string;
}

/**
 * The first subnet of each Availability Zone of the selection, in order, as many as the broker has
 * instances.
 *
 * A subnet type the VPC lacks is refused before the VPC is asked; what cannot be checked beforehand (an
 * unknown subnet group name, an imported subnet without its zone) is refused by aws-cdk-lib, whose message,
 * which names the fix, is passed on with the broker's path and the prop.
 */
export function chooseSubnets(scope: IConstruct, choice: SubnetChoice): ec2.ISubnet[] {
  const { vpc, vpcSubnets, instances } = choice;
  if (vpcSubnets !== undefined && (typeof vpcSubnets !== 'object' || vpcSubnets === null)) {
    throw invalidProp(scope, 'vpcSubnets', 'must be an ec2.SubnetSelection', vpcSubnets);
  }
  checkSubnetType(scope, vpc, vpcSubnets);
  const firstPerZone = new Map<string, ec2.ISubnet>();
  let candidates: ec2.ISubnet[] = [];
  try {
    candidates = vpcSubnets
      ? vpc.selectSubnets(vpcSubnets).subnets
      : vpc.privateSubnets.length > 0
        ? vpc.privateSubnets
        : vpc.isolatedSubnets;
    for (const subnet of candidates) {
      const zone = zoneKey(scope, subnet);
      if (!firstPerZone.has(zone)) {
        firstPerZone.set(zone, subnet);
      }
    }
  } catch (error) {
    throw invalidProp(
      scope,
      'vpcSubnets',
      `must select subnets of the VPC whose zones are known: ${(error as Error).message.replace(/\.$/, '')}`,
      describeSelection(vpcSubnets),
    );
  }
  if (firstPerZone.size < instances) {
    const where = vpcSubnets ? 'the vpcSubnets selection' : "the VPC's private (or isolated) subnets";
    throw invalidProp(
      scope,
      'vpcSubnets',
      `must give ${instances} subnet(s) in ${instances} different Availability Zones for a ${choice.brokerDescription} broker; ` +
        'select subnets in more zones, or set highAvailability to false for a development broker',
      `${candidates.length} subnet(s) in ${firstPerZone.size} zone(s) from ${where}`,
    );
  }
  return [...firstPerZone.values()].slice(0, instances);
}

/** A `subnetType` selection the VPC has no subnets of (aws-cdk-lib would refuse it without naming the broker). */
function checkSubnetType(scope: IConstruct, vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined): void {
  const type = selection?.subnetType;
  validateEnumValue(scope, 'vpcSubnets.subnetType', type, 'ec2.SubnetType', ec2.SubnetType);
  if (type === undefined || selection?.subnets !== undefined || selection?.subnetGroupName !== undefined) {
    return;
  }
  const byType: Partial<Record<ec2.SubnetType, ec2.ISubnet[]>> = {
    [ec2.SubnetType.PRIVATE_WITH_EGRESS]: vpc.privateSubnets,
    [ec2.SubnetType.PRIVATE_ISOLATED]: vpc.isolatedSubnets,
    [ec2.SubnetType.PUBLIC]: vpc.publicSubnets,
  };
  const subnets = byType[type];
  if (subnets === undefined || subnets.length > 0) {
    // A deprecated type is left to aws-cdk-lib.
    return;
  }
  const available = Object.entries(byType)
    .filter(([, ofType]) => ofType!.length > 0)
    .map(([name]) => name);
  throw invalidProp(
    scope,
    'vpcSubnets.subnetType',
    `must be a type of subnet the VPC has (${available.length > 0 ? available.join(', ') : 'none'})`,
    type,
  );
}

/** Two subnets in one zone share the key; a zone that is a token is keyed by the expression it resolves to. */
function zoneKey(scope: IConstruct, subnet: ec2.ISubnet): string {
  const zone = subnet.availabilityZone;
  return Token.isUnresolved(zone) ? JSON.stringify(Stack.of(scope).resolve(zone)) : zone;
}

/** A selection as the user wrote it, with subnets by id (a subnet object does not print). */
function describeSelection(selection: ec2.SubnetSelection | undefined): unknown {
  if (selection === undefined) {
    return 'the default selection';
  }
  const { subnets, ...rest } = selection;
  return subnets === undefined ? rest : { ...rest, subnets: subnets.map((subnet) => subnet.subnetId) };
}
