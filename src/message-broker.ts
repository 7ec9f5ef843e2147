import { Annotations, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MessageBrokerEngine } from './message-broker-engine';
import { addMessageBrokerWidgets } from './private/dashboard/message-broker';
import { createBrokerAlarms } from './private/message-broker/alarms';
import { safeDescription } from './private/message-broker/descriptions';
import { failoverUrl } from './private/message-broker/endpoints';
import { defaultInstanceType, deployment, EngineTraits, ENGINES } from './private/message-broker/engine-catalog';
import { allowBrokerKeyUse } from './private/message-broker/key-policy';
import { BrokerLogGroups } from './private/message-broker/log-groups';
import { AmazonMqLogsResourcePolicy } from './private/message-broker/logs-resource-policy';
import { BrokerMetrics } from './private/message-broker/metrics';
import { chooseSubnets } from './private/message-broker/subnets';
import { BrokerUsers } from './private/message-broker/users';
import {
  BROKER_NAME_MAX_LENGTH,
  validateBrokerProps,
  validateFoundations,
} from './private/message-broker/validate-props';
import { generatePhysicalName } from './private/naming';
import { claimPhysicalName } from './private/physical-names';
import { resolveRemovalPolicy } from './private/removal-policy';
import { invalidProp, methodArgument, validateEnumValue } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * The protocols a MessageBroker accepts connections on. All of them use TLS.
 */
export enum MessageBrokerProtocol {
  /** OpenWire, the native JMS protocol of ActiveMQ (port 61617). ActiveMQ only. */
  OPENWIRE = 'OPENWIRE',
  /** AMQP over TLS (port 5671): AMQP 1.0 on ActiveMQ, AMQP 0-9-1 (and 1.0 from 4.x) on RabbitMQ. */
  AMQP = 'AMQP',
  /** STOMP over TLS (port 61614). ActiveMQ only. */
  STOMP = 'STOMP',
  /** MQTT over TLS (port 8883). ActiveMQ only. */
  MQTT = 'MQTT',
  /** WebSocket over TLS (port 61619). ActiveMQ only. */
  WSS = 'WSS',
  /** The web console (port 8162 on ActiveMQ; 443 on RabbitMQ, also the management API). */
  WEB_CONSOLE = 'WEB_CONSOLE',
}

/**
 * Days of the week, for the maintenance window.
 */
export enum MessageBrokerDayOfWeek {
  /** Monday */
  MONDAY = 'MONDAY',
  /** Tuesday */
  TUESDAY = 'TUESDAY',
  /** Wednesday */
  WEDNESDAY = 'WEDNESDAY',
  /** Thursday */
  THURSDAY = 'THURSDAY',
  /** Friday */
  FRIDAY = 'FRIDAY',
  /** Saturday */
  SATURDAY = 'SATURDAY',
  /** Sunday */
  SUNDAY = 'SUNDAY',
}

/**
 * When Amazon MQ may apply patches and minor version upgrades (a window of about two hours).
 */
export interface MessageBrokerMaintenanceWindow {
  /** The day the window starts. */
  readonly dayOfWeek: MessageBrokerDayOfWeek;

  /** The time the window starts, 24-hour `HH:MM`. */
  readonly timeOfDay: string;

  /**
   * The time zone of `timeOfDay`: `UTC` or an IANA name such as `Europe/Berlin`.
   *
   * @default 'UTC'
   */
  readonly timeZone?: string;
}

/**
 * Options of a broker user added with `addUser`.
 */
export interface MessageBrokerUserOptions {
  /**
   * The ActiveMQ groups of the user (up to 20), which an authorization map in the
   * broker configuration can grant destinations to.
   *
   * @default - no groups
   */
  readonly groups?: string[];

  /**
   * Whether the user may sign in to the ActiveMQ web console.
   *
   * @default false
   */
  readonly consoleAccess?: boolean;

  /**
   * Length of the generated password: 12 to 250 characters, Amazon MQ's limits.
   *
   * @default 32
   */
  readonly passwordLength?: number;
}

/**
 * Properties of a MessageBroker.
 */
export interface MessageBrokerProps {
  /**
   * The VPC the broker's network interfaces are placed in. The broker is never
   * publicly accessible.
   */
  readonly vpc: ec2.IVpc;

  /**
   * Where in the VPC to place the broker. From the selection the broker takes,
   * in order, the first subnet of each Availability Zone: one for a single
   * instance, two for ActiveMQ active/standby, three for a RabbitMQ cluster.
   *
   * @default - the VPC's private subnets, or its isolated subnets when it has no private ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The broker engine and version.
   *
   * @default MessageBrokerEngine.ACTIVEMQ_5_19
   */
  readonly engine?: MessageBrokerEngine;

  /**
   * Whether the broker survives the loss of an instance or an Availability Zone.
   *
   * True gives ActiveMQ an active/standby pair in two Availability Zones
   * (`ACTIVE_STANDBY_MULTI_AZ`) and RabbitMQ a three-node cluster in three
   * (`CLUSTER_MULTI_AZ`). False gives a single instance, for development only;
   * the construct then adds a warning.
   *
   * @default true
   */
  readonly highAvailability?: boolean;

  /**
   * The broker instance type.
   *
   * `mq.t3.micro` runs single instances only; RabbitMQ 4 runs on `mq.m7g.*` only,
   * ActiveMQ on `mq.m5.*` (and `mq.t3.micro`).
   *
   * @default - mq.m5.large with high availability (mq.m7g.large for RabbitMQ 4);
   * mq.t3.micro for a single instance (mq.m7g.medium for RabbitMQ 4)
   */
  readonly instanceType?: string;

  /**
   * The broker name (1 to 50 letters, digits, `-` or `_`), which is also
   * the `Broker` dimension of its CloudWatch metrics. Changing it replaces the broker.
   * Broker names are unique per account and region: a name this app already gives
   * another broker there is refused at synth.
   *
   * @default - a name derived from the stack name and the construct path
   */
  readonly brokerName?: string;

  /**
   * The customer-managed key that encrypts the broker's storage (ActiveMQ), the user
   * secrets and the broker's log groups. The construct adds the key-policy statements
   * Amazon MQ and CloudWatch Logs need; an imported key must already have them (the
   * construct then warns, naming them).
   *
   * RabbitMQ brokers always encrypt their storage with an AWS-owned key (Amazon MQ
   * offers no choice there); the key still protects their secret and logs.
   *
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The name of the administrator user, whose password is generated into Secrets Manager.
   *
   * @default 'admin'
   */
  readonly adminUsername?: string;

  /**
   * Whether the administrator may sign in to the ActiveMQ web console. RabbitMQ's one
   * user always has console access; reach the console by opening
   * `MessageBrokerProtocol.WEB_CONSOLE` with `allowClientsFrom`.
   *
   * @default false
   */
  readonly adminConsoleAccess?: boolean;

  /**
   * When Amazon MQ may patch and upgrade the broker. Automatic minor version upgrades
   * are always on: Amazon MQ requires them from ActiveMQ 5.18 and RabbitMQ 3.13.
   *
   * @default - Sunday 03:00 UTC
   */
  readonly maintenanceWindow?: MessageBrokerMaintenanceWindow;

  /**
   * How long the broker's log groups keep log events.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Whether this stack creates the CloudWatch Logs resource policy that lets Amazon MQ
   * write broker logs (one per stack, shared by its brokers).
   *
   * The policy covers every broker of the account and region, and CloudWatch Logs allows
   * only 10 resource policies per account and region (shared with other services). An app
   * with brokers in many stacks creates it in one stack, deployed first, and sets this to
   * false in the others; synth refuses an app that would create more than 10 in one
   * account and region. Amazon MQ reads the policy when a broker starts: without any such
   * policy the broker runs but writes no logs.
   *
   * @default true
   */
  readonly createLogsResourcePolicy?: boolean;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Alarm when the broker has more client connections than this.
   *
   * @default - ActiveMQ: 80% of Amazon MQ's per-protocol connection quota of the instance
   * type, 240 for mq.t3.micro and 1,600 for the others; RabbitMQ: 80 for micro and medium
   * instance types, 800 for the others
   */
  readonly connectionCountAlarmThreshold?: number;

  /**
   * What happens to the broker, its log groups, its user secrets (and a key created
   * for it) when they leave the stack: `RETAIN`, `DESTROY` or `RETAIN_ON_UPDATE_OR_DELETE`.
   * `SNAPSHOT` is refused: none of these resources can be snapshotted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Adds this construct's widget group to the stack's dashboard (StackDashboard.of(this)).
   *
   * @default true
   */
  readonly dashboard?: boolean;
}

/**
 * An Amazon MQ broker (ActiveMQ or RabbitMQ) in high-availability mode, private,
 * encrypted with a customer-managed key and observable.
 *
 * The broker lives in subnets of your VPC behind a security group of its own that
 * admits nobody until `allowClientsFrom` opens the ports of the protocols you name.
 * An administrator user is created with a password generated into Secrets Manager
 * (under the customer key) that reaches the broker only as a dynamic reference.
 * General (and, for ActiveMQ, audit) logs go to log groups the construct creates with
 * retention and encryption, and alarms watch CPU, memory, storage and connections.
 */
export class MessageBroker extends Construct implements ec2.IConnectable {
  /** The broker engine and version. */
  public readonly engine: MessageBrokerEngine;

  /** Whether the broker runs as an active/standby pair (ActiveMQ) or a three-node cluster (RabbitMQ). */
  public readonly highAvailability: boolean;

  /** The broker instance type. */
  public readonly instanceType: string;

  /** The broker name: the `Broker` dimension of its metrics (ActiveMQ adds `-1`/`-2` per instance). */
  public readonly brokerName: string;

  /** The broker id, e.g. `b-1234a5b6-78cd-901e-2fgh-3i45j6k178l9`. */
  public readonly brokerId: string;

  /** The broker ARN. */
  public readonly brokerArn: string;

  /** The customer-managed key of the broker's storage (ActiveMQ), its user secrets and its logs. */
  public readonly encryptionKey: kms.IKey;

  /** The broker's security group: no inbound rule until `allowClientsFrom`, no outbound rule. */
  public readonly securityGroup: ec2.SecurityGroup;

  /** The network connections of the broker (its security group). */
  public readonly connections: ec2.Connections;

  /** The name of the administrator user. */
  public readonly adminUsername: string;

  /** The secret with the administrator's `username` and generated `password`. */
  public readonly adminSecret: secretsmanager.Secret;

  /**
   * The log group of the broker's general log, `/aws/amazonmq/broker/<broker-id>/general`.
   * Amazon MQ creates it when the broker starts; a custom resource of the construct makes
   * sure of it afterwards and gives it the retention and the key.
   */
  public readonly generalLogGroup: logs.ILogGroup;

  /** The log group of the ActiveMQ audit log, `/aws/amazonmq/broker/<broker-id>/audit`. Undefined for RabbitMQ. */
  public readonly auditLogGroup?: logs.ILogGroup;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** Alarms when CPU utilization stays above 80% for 15 minutes. */
  public readonly cpuUtilizationAlarm: cloudwatch.Alarm;

  /**
   * Alarms when memory use stays above 80% for 15 minutes: the JVM heap of ActiveMQ
   * (`HeapUsage`), or RabbitMQ's memory against the limit at which it blocks publishers.
   */
  public readonly memoryUsageAlarm: cloudwatch.Alarm;

  /**
   * Alarms when storage runs out: ActiveMQ's message store above 80% of its limit
   * (`StorePercentUsage`; at 100% producers are blocked), or RabbitMQ's free disk
   * below twice the limit at which it blocks publishers.
   */
  public readonly storageUsageAlarm: cloudwatch.Alarm;

  /** Alarms when the broker holds more client connections than `connectionCountAlarmThreshold`. */
  public readonly connectionCountAlarm: cloudwatch.Alarm;

  private readonly resource: amazonmq.CfnBroker;
  private readonly traits: EngineTraits;
  private readonly instanceCount: number;
  private readonly users: BrokerUsers;
  private readonly brokerMetrics: BrokerMetrics;
  private readonly allAlarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: MessageBrokerProps) {
    super(scope, id);
    // A JavaScript caller may call without props at all; the VPC check names what is missing.
    props = props ?? ({} as MessageBrokerProps);
    validateFoundations(this, props);

    this.engine = props.engine ?? MessageBrokerEngine.ACTIVEMQ_5_19;
    this.highAvailability = props.highAvailability ?? true;
    this.instanceType = props.instanceType ?? defaultInstanceType(this.engine, this.highAvailability);
    this.adminUsername = props.adminUsername ?? 'admin';
    const maintenanceWindow = props.maintenanceWindow ?? {
      dayOfWeek: MessageBrokerDayOfWeek.SUNDAY,
      timeOfDay: '03:00',
    };
    validateBrokerProps(this, props, {
      engine: this.engine,
      highAvailability: this.highAvailability,
      instanceType: this.instanceType,
      adminUsername: this.adminUsername,
      maintenanceWindow,
    });
    const removalPolicy = resolveRemovalPolicy(
      this,
      props.removalPolicy,
      'Amazon MQ brokers, their log groups, secrets or KMS keys',
    );
    const engineType = this.engine.engineType;
    this.traits = ENGINES[engineType];
    const { mode, instances } = deployment(engineType, this.highAvailability);
    this.instanceCount = instances;

    // Subnets first: the most likely mistake, and nothing else is worth creating without them.
    const subnets = chooseSubnets(this, {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      instances,
      brokerDescription: `${mode} ${engineType}`,
    });

    this.brokerName = props.brokerName ?? generatePhysicalName(this, BROKER_NAME_MAX_LENGTH);
    // Amazon MQ refuses a second broker of the same name in the account ("Quotas in Amazon MQ": the broker
    // name "must be unique in your AWS account"), after the first has taken 15 minutes to create.
    claimPhysicalName(this, { kind: 'Amazon MQ broker', name: this.brokerName, prop: 'brokerName' });
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: `Encrypts the broker storage, user secrets and logs of ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: safeDescription(
        `Amazon MQ broker ${this.node.path}: clients admitted by allowClientsFrom only`,
        'securityGroup',
      ),
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });

    this.users = new BrokerUsers(this, {
      traits: this.traits,
      encryptionKey: this.encryptionKey,
      removalPolicy,
      adminUsername: this.adminUsername,
      adminConsoleAccess: props.adminConsoleAccess ?? false,
    });
    this.adminSecret = this.users.adminSecret;

    const logsPolicy = props.createLogsResourcePolicy === false ? undefined : AmazonMqLogsResourcePolicy.of(this);

    this.resource = new amazonmq.CfnBroker(this, 'Resource', {
      brokerName: this.brokerName,
      engineType,
      engineVersion: this.engine.version,
      deploymentMode: mode,
      hostInstanceType: this.instanceType,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      subnetIds: subnets.map((subnet) => subnet.subnetId),
      securityGroups: [this.securityGroup.securityGroupId],
      encryptionOptions: this.traits.customerManagedStorageKey
        ? { useAwsOwnedKey: false, kmsKeyId: this.encryptionKey.keyArn }
        : undefined,
      logs: this.traits.auditLog ? { general: true, audit: true } : { general: true },
      maintenanceWindowStartTime: {
        dayOfWeek: maintenanceWindow.dayOfWeek,
        timeOfDay: maintenanceWindow.timeOfDay,
        timeZone: maintenanceWindow.timeZone ?? 'UTC',
      },
      users: Lazy.any({ produce: () => this.users.render() }),
    });
    this.resource.applyRemovalPolicy(removalPolicy);
    if (logsPolicy) {
      // Amazon MQ reads the logs resource policy when the broker starts.
      this.resource.node.addDependency(logsPolicy);
    }

    this.brokerId = this.resource.ref;
    this.brokerArn = this.resource.attrArn;

    const logGroups = new BrokerLogGroups(this, 'LogGroups', {
      brokerId: this.brokerId,
      logNames: this.traits.auditLog ? ['general', 'audit'] : ['general'],
      vpc: props.vpc,
      encryptionKey: this.encryptionKey,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    this.generalLogGroup = logGroups.logGroups.general;
    this.auditLogGroup = logGroups.logGroups.audit;
    allowBrokerKeyUse(this, this.encryptionKey, {
      storage: this.traits.customerManagedStorageKey,
      handlerLogGroupName: logGroups.handlerLogGroupName,
    });

    if (!this.highAvailability) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:singleInstanceBroker',
        `highAvailability is false: ${this.node.path} is a single ${engineType} instance in one Availability Zone, ` +
          'down during every maintenance window and lost with its zone. Use it for development only.',
      );
    }

    this.brokerMetrics = new BrokerMetrics(this, this.brokerName, this.traits.perInstance, instances);
    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    const alarms = createBrokerAlarms(
      this,
      engineType,
      {
        path: this.node.path,
        brokerName: this.brokerName,
        instanceType: this.instanceType,
        connectionCountAlarmThreshold: props.connectionCountAlarmThreshold,
        metric: (metricName, metricProps) => this.metric(metricName, metricProps),
      },
      this.alarmTopic,
    );
    this.allAlarms = alarms.all;
    this.cpuUtilizationAlarm = alarms.common.cpuUtilization;
    this.memoryUsageAlarm = alarms.common.memoryUsage;
    this.storageUsageAlarm = alarms.common.storageUsage;
    this.connectionCountAlarm = alarms.common.connectionCount;

    addMessageBrokerWidgets(this, props.dashboard);
  }

  /** Every alarm of this broker. */
  public get alarms(): cloudwatch.Alarm[] {
    return [...this.allAlarms];
  }

  /** The AMQP endpoints (`amqp+ssl://...:5671`), one per ActiveMQ instance; RabbitMQ has one. */
  public get amqpEndpoints(): string[] {
    return this.resource.attrAmqpEndpoints;
  }

  /** The OpenWire endpoints (`ssl://...:61617`), one per instance. ActiveMQ only. */
  public get openWireEndpoints(): string[] {
    return this.resource.attrOpenWireEndpoints;
  }

  /** The STOMP endpoints (`stomp+ssl://...:61614`), one per instance. ActiveMQ only. */
  public get stompEndpoints(): string[] {
    return this.resource.attrStompEndpoints;
  }

  /** The MQTT endpoints (`mqtt+ssl://...:8883`), one per instance. ActiveMQ only. */
  public get mqttEndpoints(): string[] {
    return this.resource.attrMqttEndpoints;
  }

  /** The WebSocket endpoints (`wss://...:61619`), one per instance. ActiveMQ only. */
  public get wssEndpoints(): string[] {
    return this.resource.attrWssEndpoints;
  }

  /** The web console URLs, one per ActiveMQ instance; RabbitMQ has one. */
  public get consoleUrls(): string[] {
    return this.resource.attrConsoleUrLs;
  }

  /**
   * The URL a client gives its failover transport so that it reconnects to whichever
   * instance of the active/standby pair is active, e.g.
   * `failover:(ssl://b-...-1.mq.eu-west-1.amazonaws.com:61617,ssl://b-...-2.mq.eu-west-1.amazonaws.com:61617)`.
   *
   * OPENWIRE gives the ActiveMQ client's URL; AMQP gives the `amqps://` form that
   * Qpid JMS's failover takes. ActiveMQ only: a RabbitMQ broker has one endpoint,
   * behind a load balancer (`amqpEndpoints`).
   *
   * @param protocol OPENWIRE or AMQP
   * @default MessageBrokerProtocol.OPENWIRE
   */
  public failoverUrl(protocol?: MessageBrokerProtocol): string {
    return failoverUrl(
      this,
      {
        perInstance: this.traits.perInstance,
        instances: this.instanceCount,
        openWireEndpoints: this.openWireEndpoints,
        amqpEndpoints: this.amqpEndpoints,
      },
      protocol ?? MessageBrokerProtocol.OPENWIRE,
      MessageBrokerProtocol,
    );
  }

  /**
   * Lets `peer` connect to the broker on the ports of `protocols`, and nothing else.
   * The rule names the peer's security groups, never an address range. Call it again
   * for every client group.
   *
   * @param peer the clients, e.g. an application's security group or auto-scaling group
   * @param protocols the protocols to open
   * @default - OPENWIRE for ActiveMQ, AMQP for RabbitMQ; the web console only when named
   */
  public allowClientsFrom(peer: ec2.IConnectable, protocols?: MessageBrokerProtocol[]): void {
    const protocolsProp = methodArgument('allowClientsFrom', 'protocols');
    validateClientPeer(this, peer);
    if (protocols !== undefined && !Array.isArray(protocols)) {
      throw invalidProp(this, protocolsProp, 'must be a list of MessageBrokerProtocol (or be omitted)', protocols);
    }
    const chosen = protocols ?? this.traits.defaultClientProtocols;
    if (chosen.length === 0) {
      throw invalidProp(this, protocolsProp, 'must name at least one protocol (or be omitted)', '[]');
    }
    const ports = this.traits.ports;
    for (const protocol of chosen) {
      validateEnumValue(this, protocolsProp, protocol, 'MessageBrokerProtocol', MessageBrokerProtocol);
      if (ports[protocol] === undefined) {
        throw invalidProp(
          this,
          protocolsProp,
          `must be protocols ${this.engine.engineType} offers (${Object.keys(ports).join(', ')})`,
          protocol,
        );
      }
    }
    for (const protocol of new Set(chosen)) {
      this.connections.allowFrom(peer, ec2.Port.tcp(ports[protocol]!), `${protocol} clients of ${this.brokerName}`);
    }
  }

  /**
   * Adds an ActiveMQ user whose password is generated into a Secrets Manager secret
   * (`username` and `password`, under the broker's key) and reaches the broker only as
   * a dynamic reference. Grant your application read access to the returned secret.
   *
   * The secret's construct id is the user name (`Users/<username>`); a user name that is a
   * token (a parameter, say) gets an id derived from the CloudFormation expression it stands
   * for, so it is stable too. A broker takes at most 250 users. RabbitMQ takes exactly one
   * user (the administrator) when the broker is created; add its other users through the
   * RabbitMQ management API.
   *
   * @param username 2 to 100 letters, digits, `-`, `.`, `_` or `~`, unique on the broker
   */
  public addUser(username: string, options: MessageBrokerUserOptions = {}): secretsmanager.Secret {
    return this.users.add(username, options);
  }

  /**
   * A metric of the broker in the `AWS/AmazonMQ` namespace, by its official name
   * (`CpuUtilization`, `HeapUsage`, `StorePercentUsage`, `CurrentConnectionsCount`,
   * `TotalMessageCount` for ActiveMQ; `SystemCpuUtilization`, `ConnectionCount`,
   * `MessageCount` for RabbitMQ ...).
   *
   * ActiveMQ publishes one series per instance (`Broker` = name`-1`, name`-2`): for an
   * active/standby pair this is the highest of the two, so it follows the active one.
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.brokerMetrics.metric(metricName, props);
  }

  /**
   * A metric of one ActiveMQ instance: `instance` 1, or 2 for the standby of an
   * active/standby pair (`Broker` = name`-1` or name`-2`, as Amazon MQ publishes it).
   */
  public metricOfInstance(metricName: string, instance: number, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.brokerMetrics.ofInstance(metricName, instance, props);
  }
}

/**
 * The clients `allowClientsFrom` admits: security groups, never an address range. A peer that is a CIDR range or
 * a prefix list (ec2.Peer.ipv4, anyIpv4, ipv6, prefixList) would open the broker to every address in it.
 */
function validateClientPeer(broker: MessageBroker, peer: ec2.IConnectable): void {
  const prop = methodArgument('allowClientsFrom', 'peer');
  const connections = (peer as Partial<ec2.IConnectable> | undefined)?.connections;
  if (connections === undefined || !Array.isArray(connections.securityGroups)) {
    throw invalidProp(broker, prop, 'must be an ec2.IConnectable with security groups (e.g. a security group)', peer);
  }
  const asPeer = peer as Partial<ec2.IPeer>;
  if (typeof asPeer.toIngressRuleConfig === 'function') {
    if (asPeer.toIngressRuleConfig().sourceSecurityGroupId === undefined) {
      throw invalidProp(
        broker,
        prop,
        'must be a security group (or an IConnectable with security groups), not an address range or prefix list: ' +
          'the broker admits clients by security group only',
        asPeer.uniqueId ?? String(peer),
      );
    }
    return;
  }
  if (connections.securityGroups.length === 0) {
    throw invalidProp(
      broker,
      prop,
      'must have at least one security group: the broker admits clients by security group only',
      peer.constructor?.name ?? 'an IConnectable without security groups',
    );
  }
}
