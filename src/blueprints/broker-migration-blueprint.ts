import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { IsolatedVpc } from '../isolated-vpc';
import { MessageBroker, MessageBrokerProtocol } from '../message-broker';
import { blueprintAvailabilityZones } from './private/isolated-vpc';

/**
 * Properties of the broker migration blueprint.
 */
export interface BrokerMigrationBlueprintProps extends StackProps {
  /**
   * The availability zones of the VPC's two isolated subnets, one per broker instance.
   *
   * @default - env-agnostic: `Fn::GetAZs`, the first two zones of wherever the stack is deployed;
   * with an env: the first two zones the CDK CLI looks up for that account and region (cached in
   * `cdk.context.json`), never a guess such as `<region>a`
   */
  readonly availabilityZones?: string[];

  /**
   * Close the VPC's default security group with aws-cdk-lib's Lambda-backed custom resource.
   * Turned off, the default group keeps its rules and the NIST, HIPAA and PCI packs report it
   * (`VPCDefaultSecurityGroupClosed`); nothing acknowledges that for you.
   *
   * @default true
   */
  readonly restrictDefaultSecurityGroup?: boolean;
}

/**
 * A JMS application moved to AWS without re-engineering: an ActiveMQ broker in active/standby
 * across two Availability Zones, in a VPC with isolated subnets only, reachable over OpenWire
 * (TLS) from one application security group and from nothing else. The application signs in as
 * its own broker user, whose generated password waits in Secrets Manager, and connects with the
 * failover URL so that it follows the active instance.
 */
export class BrokerMigrationBlueprint extends Stack {
  /** The broker. */
  public readonly broker: MessageBroker;

  /** The security group to put the application's instances or tasks in. */
  public readonly applicationSecurityGroup: ec2.SecurityGroup;

  /** The secret with the application's broker user name and password. */
  public readonly applicationSecret: secretsmanager.Secret;

  /** The VPC of the broker and the application. */
  public readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: BrokerMigrationBlueprintProps = {}) {
    super(scope, id, props);

    const network = new IsolatedVpc(this, 'Network', {
      availabilityZones: blueprintAvailabilityZones(this, props.availabilityZones, 2),
      restrictDefaultSecurityGroup: props.restrictDefaultSecurityGroup,
    });
    this.vpc = network.vpc;

    this.applicationSecurityGroup = new ec2.SecurityGroup(this, 'ApplicationSecurityGroup', {
      vpc: this.vpc,
      description: `The JMS application of ${this.node.path}: may reach the broker over OpenWire`,
      allowAllOutbound: false,
    });

    this.broker = new MessageBroker(this, 'Broker', { vpc: this.vpc });
    this.broker.allowClientsFrom(this.applicationSecurityGroup, [MessageBrokerProtocol.OPENWIRE]);
    this.applicationSecret = this.broker.addUser('orders-app', { groups: ['applications'] });

    new CfnOutput(this, 'FailoverUrl', { value: this.broker.failoverUrl() });
    new CfnOutput(this, 'ApplicationSecretArn', { value: this.applicationSecret.secretArn });
    new CfnOutput(this, 'ApplicationSecurityGroupId', { value: this.applicationSecurityGroup.securityGroupId });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.broker.alarmTopic.topicArn });
  }
}
