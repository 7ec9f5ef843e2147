import { Annotations, ArnFormat, Duration, Fn, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { MessageBrokerEngine, MessageBrokerEngineType } from './message-broker-engine';
import { notifyingAlarm } from './private/alarms';
import { generatePhysicalName } from './private/naming';
import { invalidProp, validateIntegerInRange } from './private/validation';
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
   * Length of the generated password (12 to 4,096 characters).
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
   *
   * @default - a name derived from the stack name and the construct path
   */
  readonly brokerName?: string;

  /**
   * The customer-managed key that encrypts the broker's storage (ActiveMQ), the user
   * secrets and the broker's log groups. The construct adds the key-policy statements
   * Amazon MQ and CloudWatch Logs need; an imported key must already have them.
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
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Alarm when the broker has more client connections than this.
   *
   * @default - 80% of the ActiveMQ per-protocol connection quota of the instance type:
   * 80 for micro and medium instance types, 800 for the others
   */
  readonly connectionCountAlarmThreshold?: number;

  /**
   * What happens to the broker, its log groups, its user secrets (and a key created
   * for it) when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const LOGS_POLICY_ID = 'DecouplingPatternsAmazonMqLogsPolicy';

const DEPLOYMENT_MODE_SINGLE_INSTANCE = 'SINGLE_INSTANCE';
const DEPLOYMENT_MODE_ACTIVE_STANDBY = 'ACTIVE_STANDBY_MULTI_AZ';
const DEPLOYMENT_MODE_CLUSTER = 'CLUSTER_MULTI_AZ';

const BROKER_NAME_MAX_LENGTH = 50;
const BROKER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,50}$/;
const ACTIVEMQ_USERNAME_PATTERN = /^[A-Za-z0-9._~-]{2,100}$/;
const RABBITMQ_USERNAME_PATTERN = /^[A-Za-z0-9._-]{2,100}$/;
const GROUP_PATTERN = /^[A-Za-z0-9._~-]{2,100}$/;
const MAX_GROUPS_PER_USER = 20;
const MAX_USERS_PER_BROKER = 250;
const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 4096;
const DEFAULT_PASSWORD_LENGTH = 32;
// Amazon MQ rejects commas, colons and equal signs; the rest would need escaping in
// connection URLs, shell commands or JSON.
const PASSWORD_EXCLUDED_CHARACTERS = ',:=\'"\\/@%`{}[]()<>|;&?#$!^*+ ';
const TIME_OF_DAY_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;
const TIME_ZONE_PATTERN = /^(UTC|[A-Z][A-Za-z_-]+(\/[A-Za-z0-9_+-]+){1,2})$/;

const M5_SIZES = ['large', 'xlarge', '2xlarge', '4xlarge'].map((size) => `mq.m5.${size}`);
const M7G_SIZES = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'].map(
  (size) => `mq.m7g.${size}`,
);
const T3_MICRO = 'mq.t3.micro';
const M7G_MEDIUM = 'mq.m7g.medium';

/** The ports of each protocol, per engine. */
const PORTS: Record<MessageBrokerEngineType, Partial<Record<MessageBrokerProtocol, number>>> = {
  [MessageBrokerEngineType.ACTIVEMQ]: {
    [MessageBrokerProtocol.OPENWIRE]: 61617,
    [MessageBrokerProtocol.AMQP]: 5671,
    [MessageBrokerProtocol.STOMP]: 61614,
    [MessageBrokerProtocol.MQTT]: 8883,
    [MessageBrokerProtocol.WSS]: 61619,
    [MessageBrokerProtocol.WEB_CONSOLE]: 8162,
  },
  [MessageBrokerEngineType.RABBITMQ]: {
    [MessageBrokerProtocol.AMQP]: 5671,
    [MessageBrokerProtocol.WEB_CONSOLE]: 443,
  },
};

/** What `allowClientsFrom` opens when no protocols are given: the engine's native protocol. */
const DEFAULT_CLIENT_PROTOCOLS: Record<MessageBrokerEngineType, MessageBrokerProtocol[]> = {
  [MessageBrokerEngineType.ACTIVEMQ]: [MessageBrokerProtocol.OPENWIRE],
  [MessageBrokerEngineType.RABBITMQ]: [MessageBrokerProtocol.AMQP],
};

const SECRET_ROTATION_REASON =
  'Amazon MQ has no hosted rotation for broker user passwords: a rotated secret would no longer match the ' +
  'password the broker holds. The password changes by updating the broker with a new secret value, which ' +
  'rotation cannot do.';

/** One user of the broker, with the secret holding its generated password. */
interface BrokerUser {
  readonly username: string;
  readonly secret: secretsmanager.Secret;
  readonly groups?: string[];
  readonly consoleAccess: boolean;
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

  /** The log group of the broker's general log, `/aws/amazonmq/broker/<broker-id>/general`. */
  public readonly generalLogGroup: logs.LogGroup;

  /** The log group of the ActiveMQ audit log, `/aws/amazonmq/broker/<broker-id>/audit`. Undefined for RabbitMQ. */
  public readonly auditLogGroup?: logs.LogGroup;

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
  private readonly instanceCount: number;
  private readonly users: BrokerUser[] = [];
  private readonly usersScope: Construct;
  private readonly removalPolicy: RemovalPolicy;

  constructor(scope: Construct, id: string, props: MessageBrokerProps) {
    super(scope, id);

    this.engine = props.engine ?? MessageBrokerEngine.ACTIVEMQ_5_19;
    this.highAvailability = props.highAvailability ?? true;
    validateEngine(this, this.engine);
    const activeMq = this.engine.engineType === MessageBrokerEngineType.ACTIVEMQ;
    const deploymentMode = !this.highAvailability
      ? DEPLOYMENT_MODE_SINGLE_INSTANCE
      : activeMq
        ? DEPLOYMENT_MODE_ACTIVE_STANDBY
        : DEPLOYMENT_MODE_CLUSTER;
    this.instanceType = props.instanceType ?? defaultInstanceType(this.engine, this.highAvailability);
    validateInstanceType(this, this.engine, this.highAvailability, this.instanceType);
    validateBrokerName(this, props.brokerName);
    this.adminUsername = props.adminUsername ?? 'admin';
    this.validateUsername('adminUsername', this.adminUsername);
    if (!activeMq && props.adminConsoleAccess !== undefined) {
      throw invalidProp(
        this,
        'adminConsoleAccess',
        'applies to ActiveMQ only (the one RabbitMQ user always has console access; open WEB_CONSOLE with allowClientsFrom to reach it)',
        props.adminConsoleAccess,
      );
    }
    const maintenanceWindow = props.maintenanceWindow ?? {
      dayOfWeek: MessageBrokerDayOfWeek.SUNDAY,
      timeOfDay: '03:00',
    };
    validateMaintenanceWindow(this, maintenanceWindow);
    validateIntegerInRange(this, 'connectionCountAlarmThreshold', props.connectionCountAlarmThreshold, 1, 1_000_000);

    // Subnets first: the most likely mistake, and nothing else is worth creating without them.
    this.instanceCount = !this.highAvailability ? 1 : activeMq ? 2 : 3;
    const subnets = this.chooseSubnets(props, deploymentMode);

    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.brokerName = props.brokerName ?? generatePhysicalName(this, BROKER_NAME_MAX_LENGTH);
    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: `Encrypts the broker storage, user secrets and logs of ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy: this.removalPolicy,
      });
    this.allowKeyUse(activeMq);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Amazon MQ broker ${this.node.path}: clients admitted by allowClientsFrom only`,
      allowAllOutbound: false,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });

    this.usersScope = new Construct(this, 'Users');
    this.adminSecret = this.createUserSecret(this, 'AdminSecret', this.adminUsername, DEFAULT_PASSWORD_LENGTH);
    this.users.push({
      username: this.adminUsername,
      secret: this.adminSecret,
      groups: activeMq ? ['admins'] : undefined,
      consoleAccess: props.adminConsoleAccess ?? false,
    });

    const logsPolicy = AmazonMqLogsResourcePolicy.of(this);
    logsPolicy.allowBroker(this.brokerName);

    this.resource = new amazonmq.CfnBroker(this, 'Resource', {
      brokerName: this.brokerName,
      engineType: this.engine.engineType,
      engineVersion: this.engine.version,
      deploymentMode,
      hostInstanceType: this.instanceType,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      subnetIds: subnets.map((subnet) => subnet.subnetId),
      securityGroups: [this.securityGroup.securityGroupId],
      // Amazon MQ lets RabbitMQ brokers use the AWS-owned key only.
      encryptionOptions: activeMq ? { useAwsOwnedKey: false, kmsKeyId: this.encryptionKey.keyArn } : undefined,
      logs: activeMq ? { general: true, audit: true } : { general: true },
      maintenanceWindowStartTime: {
        dayOfWeek: maintenanceWindow.dayOfWeek,
        timeOfDay: maintenanceWindow.timeOfDay,
        timeZone: maintenanceWindow.timeZone ?? 'UTC',
      },
      users: Lazy.any({ produce: () => this.users.map((user) => this.renderUser(user, activeMq)) }),
    });
    this.resource.applyRemovalPolicy(this.removalPolicy);
    // Amazon MQ reads the logs resource policy when the broker starts.
    this.resource.node.addDependency(logsPolicy);

    this.brokerId = this.resource.ref;
    this.brokerArn = this.resource.attrArn;

    const logGroupProps = {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: this.encryptionKey,
      removalPolicy: this.removalPolicy,
    };
    this.generalLogGroup = new logs.LogGroup(this, 'GeneralLogGroup', {
      ...logGroupProps,
      logGroupName: `/aws/amazonmq/broker/${this.brokerId}/general`,
    });
    if (activeMq) {
      this.auditLogGroup = new logs.LogGroup(this, 'AuditLogGroup', {
        ...logGroupProps,
        logGroupName: `/aws/amazonmq/broker/${this.brokerId}/audit`,
      });
    }

    if (!this.highAvailability) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:singleInstanceBroker',
        `highAvailability is false: ${this.node.path} is a single ${this.engine.engineType} instance in one Availability Zone, ` +
          'down during every maintenance window and lost with its zone. Use it for development only.',
      );
    }

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    const alarms = activeMq
      ? this.createActiveMqAlarms(props.connectionCountAlarmThreshold)
      : this.createRabbitMqAlarms(props.connectionCountAlarmThreshold);
    this.cpuUtilizationAlarm = alarms.cpu;
    this.memoryUsageAlarm = alarms.memory;
    this.storageUsageAlarm = alarms.storage;
    this.connectionCountAlarm = alarms.connections;
  }

  /** Every alarm of this broker. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.cpuUtilizationAlarm, this.memoryUsageAlarm, this.storageUsageAlarm, this.connectionCountAlarm];
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
    const chosen = protocol ?? MessageBrokerProtocol.OPENWIRE;
    if (this.engine.engineType !== MessageBrokerEngineType.ACTIVEMQ) {
      throw invalidProp(
        this,
        'failoverUrl protocol',
        'has no failover URL on RabbitMQ, which serves one endpoint behind a load balancer (use amqpEndpoints)',
        chosen,
      );
    }
    const indexes = Array.from({ length: this.instanceCount }, (_, i) => i);
    if (chosen === MessageBrokerProtocol.OPENWIRE) {
      return `failover:(${Fn.join(',', this.openWireEndpoints)})`;
    }
    if (chosen === MessageBrokerProtocol.AMQP) {
      // The endpoints read `amqp+ssl://host:5671`; Qpid JMS takes `amqps://host:5671`.
      const hosts = indexes.map((i) => `amqps://${Fn.select(1, Fn.split('://', Fn.select(i, this.amqpEndpoints)))}`);
      return `failover:(${hosts.join(',')})`;
    }
    throw invalidProp(
      this,
      'failoverUrl protocol',
      'must be OPENWIRE or AMQP (STOMP, MQTT and WebSocket clients take the endpoint list, e.g. stompEndpoints)',
      chosen,
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
    const engineType = this.engine.engineType;
    const chosen = protocols ?? DEFAULT_CLIENT_PROTOCOLS[engineType];
    if (chosen.length === 0) {
      throw invalidProp(this, 'protocols', 'must name at least one protocol (or be omitted)', '[]');
    }
    for (const protocol of new Set(chosen)) {
      const port = PORTS[engineType][protocol];
      if (port === undefined) {
        throw invalidProp(
          this,
          'protocols',
          `must be protocols ${engineType} offers (${Object.keys(PORTS[engineType]).join(', ')})`,
          protocol,
        );
      }
      this.connections.allowFrom(peer, ec2.Port.tcp(port), `${protocol} clients of ${this.brokerName}`);
    }
  }

  /**
   * Adds an ActiveMQ user whose password is generated into a Secrets Manager secret
   * (`username` and `password`, under the broker's key) and reaches the broker only as
   * a dynamic reference. Grant your application read access to the returned secret.
   *
   * RabbitMQ takes exactly one user (the administrator) when the broker is created;
   * add its other users through the RabbitMQ management API.
   *
   * @param username 2 to 100 letters, digits, `-`, `.`, `_` or `~`
   */
  public addUser(username: string, options: MessageBrokerUserOptions = {}): secretsmanager.Secret {
    if (this.engine.engineType !== MessageBrokerEngineType.ACTIVEMQ) {
      throw invalidProp(
        this,
        'addUser username',
        'cannot be added: RabbitMQ takes exactly one user (the administrator) when the broker is created; add others through the RabbitMQ management API',
        username,
      );
    }
    this.validateUsername('addUser username', username);
    if (!Token.isUnresolved(username) && this.users.some((user) => user.username === username)) {
      throw invalidProp(this, 'addUser username', 'must be unique on the broker', username);
    }
    if (this.users.length >= MAX_USERS_PER_BROKER) {
      throw invalidProp(this, 'addUser', `cannot add more than ${MAX_USERS_PER_BROKER} users to a broker`, username);
    }
    validateIntegerInRange(this, 'passwordLength', options.passwordLength, MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH);
    validateGroups(this, options.groups);
    const secret = this.createUserSecret(
      this.usersScope,
      username,
      username,
      options.passwordLength ?? DEFAULT_PASSWORD_LENGTH,
    );
    this.users.push({ username, secret, groups: options.groups, consoleAccess: options.consoleAccess ?? false });
    return secret;
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
    if (this.engine.engineType === MessageBrokerEngineType.RABBITMQ) {
      return this.brokerMetric(metricName, { Broker: this.brokerName }, props);
    }
    if (this.instanceCount === 1) {
      return this.metricOfInstance(metricName, 1, props);
    }
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    for (let instance = 1; instance <= this.instanceCount; instance++) {
      usingMetrics[`instance${instance}`] = this.metricOfInstance(metricName, instance, props);
    }
    return new cloudwatch.MathExpression({
      expression: `MAX([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: `${metricName} of ${this.brokerName} (highest of its instances)`,
      period: props?.period ?? Duration.minutes(5),
    });
  }

  /**
   * A metric of one ActiveMQ instance: `instance` 1, or 2 for the standby of an
   * active/standby pair (`Broker` = name`-1` or name`-2`, as Amazon MQ publishes it).
   */
  public metricOfInstance(metricName: string, instance: number, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (this.engine.engineType !== MessageBrokerEngineType.ACTIVEMQ) {
      throw invalidProp(
        this,
        'metricOfInstance instance',
        'applies to ActiveMQ only (RabbitMQ publishes broker-wide metrics under the broker name)',
        instance,
      );
    }
    if (!Number.isInteger(instance) || instance < 1 || instance > this.instanceCount) {
      throw invalidProp(this, 'metricOfInstance instance', `must be between 1 and ${this.instanceCount}`, instance);
    }
    return this.brokerMetric(metricName, { Broker: `${this.brokerName}-${instance}` }, props);
  }

  private brokerMetric(
    metricName: string,
    dimensionsMap: Record<string, string>,
    props?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/AmazonMQ',
      metricName,
      dimensionsMap,
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.AVERAGE,
      ...props,
    });
  }

  private createActiveMqAlarms(connectionThreshold: number | undefined): AlarmSet {
    return {
      cpu: this.percentAlarm('CpuUtilizationAlarm', this.metric('CpuUtilization'), 'CPU utilization'),
      memory: this.percentAlarm('MemoryUsageAlarm', this.metric('HeapUsage'), 'JVM heap usage'),
      storage: this.percentAlarm(
        'StorageUsageAlarm',
        this.metric('StorePercentUsage', { statistic: cloudwatch.Stats.MAXIMUM }),
        'message store usage (producers are blocked at 100%)',
      ),
      connections: this.connectionAlarm(
        this.metric('CurrentConnectionsCount', { statistic: cloudwatch.Stats.MAXIMUM }),
        connectionThreshold,
      ),
    };
  }

  private createRabbitMqAlarms(connectionThreshold: number | undefined): AlarmSet {
    const memory = new cloudwatch.MathExpression({
      expression: '100 * used / limit',
      usingMetrics: {
        used: this.metric('RabbitMQMemUsed', { statistic: cloudwatch.Stats.MAXIMUM }),
        limit: this.metric('RabbitMQMemLimit', { statistic: cloudwatch.Stats.MINIMUM }),
      },
      label: `Memory used by ${this.brokerName}, % of the limit at which RabbitMQ blocks publishers`,
      period: Duration.minutes(5),
    });
    const diskHeadroom = new cloudwatch.MathExpression({
      expression: 'free / limit',
      usingMetrics: {
        free: this.metric('RabbitMQDiskFree', { statistic: cloudwatch.Stats.MINIMUM }),
        limit: this.metric('RabbitMQDiskFreeLimit', { statistic: cloudwatch.Stats.MAXIMUM }),
      },
      label: `Free disk of ${this.brokerName}, multiple of the limit at which RabbitMQ blocks publishers`,
      period: Duration.minutes(5),
    });
    return {
      cpu: this.percentAlarm('CpuUtilizationAlarm', this.metric('SystemCpuUtilization'), 'CPU utilization'),
      memory: this.percentAlarm('MemoryUsageAlarm', memory, 'memory use against the RabbitMQ memory limit'),
      storage: notifyingAlarm(this, 'StorageUsageAlarm', {
        alarmTopic: this.alarmTopic,
        description: `Free disk of ${this.node.path} is below twice the limit at which RabbitMQ blocks all publishers.`,
        metric: diskHeadroom,
        threshold: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
      }),
      connections: this.connectionAlarm(
        this.metric('ConnectionCount', { statistic: cloudwatch.Stats.MAXIMUM }),
        connectionThreshold,
      ),
    };
  }

  private percentAlarm(id: string, metric: cloudwatch.IMetric, what: string): cloudwatch.Alarm {
    return notifyingAlarm(this, id, {
      alarmTopic: this.alarmTopic,
      description: `The ${what} of ${this.node.path} stayed above 80% for 15 minutes.`,
      metric,
      threshold: 80,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
  }

  private connectionAlarm(metric: cloudwatch.IMetric, threshold: number | undefined): cloudwatch.Alarm {
    const limit = threshold ?? defaultConnectionThreshold(this.instanceType);
    return notifyingAlarm(this, 'ConnectionCountAlarm', {
      alarmTopic: this.alarmTopic,
      description: `${this.node.path} holds more than ${limit} client connections: clients leak connections, or the broker nears its connection quota.`,
      metric,
      threshold: limit,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
  }

  private chooseSubnets(props: MessageBrokerProps, deploymentMode: string): ec2.ISubnet[] {
    const required = this.instanceCount;
    let candidates: ec2.ISubnet[];
    try {
      candidates = props.vpcSubnets
        ? props.vpc.selectSubnets(props.vpcSubnets).subnets
        : props.vpc.privateSubnets.length > 0
          ? props.vpc.privateSubnets
          : props.vpc.isolatedSubnets;
    } catch (e) {
      throw invalidProp(
        this,
        'vpcSubnets',
        `must select subnets of the VPC (${(e as Error).message})`,
        'the selection',
      );
    }
    const firstPerZone = new Map<string, ec2.ISubnet>();
    for (const subnet of candidates) {
      const zone = this.zoneKey(subnet);
      if (!firstPerZone.has(zone)) {
        firstPerZone.set(zone, subnet);
      }
    }
    if (firstPerZone.size < required) {
      const where = props.vpcSubnets ? 'the vpcSubnets selection' : "the VPC's private (or isolated) subnets";
      throw invalidProp(
        this,
        'vpcSubnets',
        `must give ${required} subnet(s) in ${required} different Availability Zones for a ${deploymentMode} ${this.engine.engineType} broker; ` +
          `select subnets in more zones, or set highAvailability to false for a development broker`,
        `${candidates.length} subnet(s) in ${firstPerZone.size} zone(s) from ${where}`,
      );
    }
    return [...firstPerZone.values()].slice(0, required);
  }

  /** Two subnets in one zone share the key; a zone that is a token is keyed by the expression it resolves to. */
  private zoneKey(subnet: ec2.ISubnet): string {
    let zone: string;
    try {
      zone = subnet.availabilityZone;
    } catch {
      throw invalidProp(
        this,
        'vpcSubnets',
        'must be subnets whose Availability Zone is known (import them with ec2.Subnet.fromSubnetAttributes)',
        subnet.subnetId,
      );
    }
    return Token.isUnresolved(zone) ? JSON.stringify(Stack.of(this).resolve(zone)) : zone;
  }

  private validateUsername(prop: string, username: string): void {
    if (Token.isUnresolved(username)) {
      return;
    }
    if (this.engine.engineType === MessageBrokerEngineType.RABBITMQ) {
      if (!RABBITMQ_USERNAME_PATTERN.test(username) || username === 'guest') {
        throw invalidProp(
          this,
          prop,
          'must be 2 to 100 letters, digits, "-", "." or "_" for RabbitMQ, and not "guest"',
          username,
        );
      }
    } else if (!ACTIVEMQ_USERNAME_PATTERN.test(username)) {
      throw invalidProp(this, prop, 'must be 2 to 100 letters, digits, "-", ".", "_" or "~"', username);
    }
  }

  private createUserSecret(
    scope: Construct,
    id: string,
    username: string,
    passwordLength: number,
  ): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(scope, id, {
      description: `Password of the Amazon MQ user ${username} of ${this.node.path}`,
      encryptionKey: this.encryptionKey,
      removalPolicy: this.removalPolicy,
      generateSecretString: {
        secretStringTemplate: Stack.of(this).toJsonString({ username }),
        generateStringKey: 'password',
        passwordLength,
        excludeCharacters: PASSWORD_EXCLUDED_CHARACTERS,
        // Letters of both cases and digits: always at least the 4 unique characters Amazon MQ requires.
        requireEachIncludedType: true,
      },
    });
    // Nobody outside this account may use the secret, whatever a later policy or grant says.
    secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyOutsideAccount',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['secretsmanager:*'],
        resources: ['*'],
        conditions: { StringNotEquals: { 'aws:PrincipalAccount': Stack.of(this).account } },
      }),
    );
    for (const ruleId of [
      'AwsSolutions-SMG4',
      'NIST.800.53.R5-SecretsManagerRotationEnabled',
      'HIPAA.Security-SecretsManagerRotationEnabled',
    ]) {
      Validations.of(secret).acknowledge({ id: ruleId, reason: SECRET_ROTATION_REASON });
    }
    return secret;
  }

  private renderUser(user: BrokerUser, activeMq: boolean): amazonmq.CfnBroker.UserProperty {
    const password = user.secret.secretValueFromJson('password').unsafeUnwrap();
    if (!activeMq) {
      return { username: user.username, password };
    }
    return {
      username: user.username,
      password,
      consoleAccess: user.consoleAccess,
      groups: user.groups && user.groups.length > 0 ? user.groups : undefined,
    };
  }

  /**
   * Key-policy statements for the services that use the key on the broker's behalf:
   * Amazon MQ (storage, ActiveMQ only) and CloudWatch Logs (the broker's log groups).
   * Secrets Manager's statement is added by the secrets themselves.
   */
  private allowKeyUse(activeMq: boolean): void {
    const stack = Stack.of(this);
    if (activeMq) {
      // The statement of the AWS-managed aws/mq key: principals of this account that
      // may create a broker can let Amazon MQ (and the EFS it stores messages on) use
      // the key, through Amazon MQ only.
      this.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowAmazonMQInThisAccount',
          principals: [new iam.AnyPrincipal()],
          actions: [
            'kms:Encrypt',
            'kms:Decrypt',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:CreateGrant',
            'kms:DescribeKey',
          ],
          resources: ['*'],
          conditions: {
            StringEquals: {
              'kms:CallerAccount': stack.account,
              'kms:ViaService': `mq.${stack.region}.${stack.urlSuffix}`,
            },
          },
        }),
      );
    }
    // The log groups' names hold the broker id, which exists only after the broker,
    // and the broker needs the key first: so the statement names the Amazon MQ log
    // group prefix of this account and region.
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsForAmazonMQ',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '/aws/amazonmq/broker/*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}

interface AlarmSet {
  readonly cpu: cloudwatch.Alarm;
  readonly memory: cloudwatch.Alarm;
  readonly storage: cloudwatch.Alarm;
  readonly connections: cloudwatch.Alarm;
}

/**
 * The CloudWatch Logs resource policy that lets Amazon MQ write the logs of the
 * brokers of one stack (created on first use, one per stack: an account has at most
 * 10 such policies per region). Each broker adds a statement limited to its own ARN.
 */
class AmazonMqLogsResourcePolicy extends Construct {
  public static of(scope: IConstruct): AmazonMqLogsResourcePolicy {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(LOGS_POLICY_ID);
    if (existing instanceof AmazonMqLogsResourcePolicy) {
      return existing;
    }
    return new AmazonMqLogsResourcePolicy(stack, LOGS_POLICY_ID);
  }

  private readonly policy: logs.ResourcePolicy;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.policy = new logs.ResourcePolicy(this, 'Resource');
  }

  public allowBroker(brokerName: string): void {
    const stack = Stack.of(this);
    this.policy.document.addStatements(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('mq.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '/aws/amazonmq/broker/*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          // The broker id is not known before the broker exists; its name is.
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'mq',
              resource: 'broker',
              resourceName: `${brokerName}:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}

function validateEngine(scope: Construct, engine: MessageBrokerEngine): void {
  const version = engine.version;
  if (Token.isUnresolved(version)) {
    return;
  }
  const parts = /^(\d+)\.(\d+)(\.\d+)?$/.exec(version);
  const major = parts ? Number(parts[1]) : NaN;
  const minor = parts ? Number(parts[2]) : NaN;
  if (engine.engineType === MessageBrokerEngineType.ACTIVEMQ) {
    if (major === 5 && minor >= 18 && !parts?.[3]) {
      return;
    }
    const rule =
      major === 5 && minor >= 18
        ? 'must be given as major.minor for ActiveMQ 5.18 and later (e.g. "5.19"): Amazon MQ applies patch versions itself'
        : major === 5 && minor < 18
          ? 'must be ActiveMQ 5.18 or later: Amazon MQ no longer supports older versions (use MessageBrokerEngine.ACTIVEMQ_5_19)'
          : 'must be an ActiveMQ version Amazon MQ offers: 5.18 or 5.19 (MessageBrokerEngine.ACTIVEMQ_5_19)';
    throw invalidProp(scope, 'engine version', rule, version);
  }
  if ((major === 3 && minor === 13) || major === 4) {
    if (!parts?.[3]) {
      return;
    }
    throw invalidProp(
      scope,
      'engine version',
      'must be given as major.minor for RabbitMQ (e.g. "3.13"): Amazon MQ applies patch versions itself',
      version,
    );
  }
  const rule =
    major === 3 && minor < 13
      ? 'must be RabbitMQ 3.13 or later: Amazon MQ no longer supports older versions (use MessageBrokerEngine.RABBITMQ_3_13)'
      : 'must be a RabbitMQ version Amazon MQ offers: 3.13 or 4.x (MessageBrokerEngine.RABBITMQ_3_13, RABBITMQ_4_2)';
  throw invalidProp(scope, 'engine version', rule, version);
}

function isRabbitMq4(engine: MessageBrokerEngine): boolean {
  return engine.engineType === MessageBrokerEngineType.RABBITMQ && /^4\./.test(engine.version);
}

function defaultInstanceType(engine: MessageBrokerEngine, highAvailability: boolean): string {
  if (isRabbitMq4(engine)) {
    return highAvailability ? 'mq.m7g.large' : M7G_MEDIUM;
  }
  return highAvailability ? 'mq.m5.large' : T3_MICRO;
}

/** The instance types Amazon MQ offers per engine, version and deployment mode. */
function allowedInstanceTypes(engine: MessageBrokerEngine, highAvailability: boolean): string[] {
  const singleOnly = highAvailability ? [] : [T3_MICRO];
  if (engine.engineType === MessageBrokerEngineType.ACTIVEMQ) {
    return [...singleOnly, ...M5_SIZES];
  }
  const m7g = [...(highAvailability ? [] : [M7G_MEDIUM]), ...M7G_SIZES];
  return isRabbitMq4(engine) ? m7g : [...singleOnly, ...M5_SIZES, ...m7g];
}

function validateInstanceType(
  scope: Construct,
  engine: MessageBrokerEngine,
  highAvailability: boolean,
  instanceType: string,
): void {
  if (Token.isUnresolved(instanceType)) {
    return;
  }
  const allowed = allowedInstanceTypes(engine, highAvailability);
  if (allowed.includes(instanceType)) {
    return;
  }
  const mode = highAvailability
    ? engine.engineType === MessageBrokerEngineType.ACTIVEMQ
      ? 'an active/standby'
      : 'a cluster'
    : 'a single-instance';
  const hint = allowedInstanceTypes(engine, false).includes(instanceType)
    ? ` (${instanceType} runs single instances only: set highAvailability to false, or pick a larger type)`
    : '';
  throw invalidProp(
    scope,
    'instanceType',
    `must be one of ${allowed.join(', ')} for ${mode} ${engine.toString()} broker${hint}`,
    instanceType,
  );
}

function validateBrokerName(scope: Construct, brokerName: string | undefined): void {
  if (brokerName === undefined || Token.isUnresolved(brokerName)) {
    return;
  }
  if (!BROKER_NAME_PATTERN.test(brokerName)) {
    throw invalidProp(scope, 'brokerName', 'must be 1 to 50 letters, digits, "-" or "_"', brokerName);
  }
}

function validateMaintenanceWindow(scope: Construct, window: MessageBrokerMaintenanceWindow): void {
  if (!Token.isUnresolved(window.timeOfDay) && !TIME_OF_DAY_PATTERN.test(window.timeOfDay)) {
    throw invalidProp(
      scope,
      'maintenanceWindow.timeOfDay',
      'must be a 24-hour time HH:MM, from 00:00 to 23:59',
      window.timeOfDay,
    );
  }
  const timeZone = window.timeZone;
  if (timeZone !== undefined && !Token.isUnresolved(timeZone) && !TIME_ZONE_PATTERN.test(timeZone)) {
    throw invalidProp(
      scope,
      'maintenanceWindow.timeZone',
      'must be "UTC" or an IANA time zone name such as "Europe/Berlin"',
      timeZone,
    );
  }
}

function validateGroups(scope: Construct, groups: string[] | undefined): void {
  if (groups === undefined) {
    return;
  }
  if (groups.length > MAX_GROUPS_PER_USER) {
    throw invalidProp(scope, 'groups', `must hold at most ${MAX_GROUPS_PER_USER} groups`, groups.length);
  }
  for (const group of groups) {
    if (!Token.isUnresolved(group) && !GROUP_PATTERN.test(group)) {
      throw invalidProp(scope, 'groups', 'must be 2 to 100 letters, digits, "-", ".", "_" or "~" each', group);
    }
  }
}

/** 80% of the ActiveMQ per-protocol connection quota: 100 on micro (and medium) types, 1,000 on the larger ones. */
function defaultConnectionThreshold(instanceType: string): number {
  return !Token.isUnresolved(instanceType) && /\.(micro|medium)$/.test(instanceType) ? 80 : 800;
}
