import { Token } from 'aws-cdk-lib';
// Types only: the enums live in the public module, which imports this one; a value import would be a
// require cycle, so the tables below name protocols by their string values.
import type { MessageBrokerProtocol } from '../../message-broker';
import { MessageBrokerEngine, MessageBrokerEngineType } from '../../message-broker-engine';

/**
 * What Amazon MQ does differently per engine: every `if ActiveMQ` of the construct reads one of these.
 */
export interface EngineTraits {
  /** The deployment mode with high availability. */
  readonly highAvailabilityMode: string;
  /** Instances (and subnets, one per zone) with high availability. */
  readonly highAvailabilityInstances: number;
  /** The mode as messages name it. */
  readonly highAvailabilityDescription: string;
  /** The port of each protocol the engine serves. */
  readonly ports: Partial<Record<MessageBrokerProtocol, number>>;
  /** What `allowClientsFrom` opens when no protocols are given: the engine's native protocol. */
  readonly defaultClientProtocols: MessageBrokerProtocol[];
  /** Whether the broker writes an audit log (and so needs a second log group). */
  readonly auditLog: boolean;
  /** Whether Amazon MQ lets the broker's storage use a customer-managed key (RabbitMQ: AWS-owned key only). */
  readonly customerManagedStorageKey: boolean;
  /** Whether metrics and endpoints are per instance (`Broker` = name`-1`, name`-2`), so a failover URL exists. */
  readonly perInstance: boolean;
  /** Whether users beyond the administrator, with groups and console access, are configured on the broker. */
  readonly brokerManagedUsers: boolean;
  /** The groups of the administrator. */
  readonly adminGroups?: string[];
  /** The user names Amazon MQ accepts, and how messages say it. */
  readonly username: { readonly pattern: RegExp; readonly reserved: string[]; readonly rule: string };
}

export const ENGINES: Record<MessageBrokerEngineType, EngineTraits> = {
  [MessageBrokerEngineType.ACTIVEMQ]: {
    highAvailabilityMode: 'ACTIVE_STANDBY_MULTI_AZ',
    highAvailabilityInstances: 2,
    highAvailabilityDescription: 'an active/standby',
    ports: { OPENWIRE: 61617, AMQP: 5671, STOMP: 61614, MQTT: 8883, WSS: 61619, WEB_CONSOLE: 8162 },
    defaultClientProtocols: ['OPENWIRE' as MessageBrokerProtocol],
    auditLog: true,
    customerManagedStorageKey: true,
    perInstance: true,
    brokerManagedUsers: true,
    adminGroups: ['admins'],
    username: {
      pattern: /^[A-Za-z0-9._~-]{2,100}$/,
      reserved: [],
      rule: 'must be 2 to 100 letters, digits, "-", ".", "_" or "~"',
    },
  },
  [MessageBrokerEngineType.RABBITMQ]: {
    highAvailabilityMode: 'CLUSTER_MULTI_AZ',
    highAvailabilityInstances: 3,
    highAvailabilityDescription: 'a cluster',
    ports: { AMQP: 5671, WEB_CONSOLE: 443 },
    defaultClientProtocols: ['AMQP' as MessageBrokerProtocol],
    auditLog: false,
    customerManagedStorageKey: false,
    perInstance: false,
    brokerManagedUsers: false,
    username: {
      pattern: /^[A-Za-z0-9._-]{2,100}$/,
      reserved: ['guest'],
      rule: 'must be 2 to 100 letters, digits, "-", "." or "_" for RabbitMQ, and not "guest"',
    },
  },
};

const SINGLE_INSTANCE_MODE = 'SINGLE_INSTANCE';

/** The deployment mode and instance count of a broker. */
export function deployment(
  engineType: MessageBrokerEngineType,
  highAvailability: boolean,
): { readonly mode: string; readonly instances: number } {
  const traits = ENGINES[engineType];
  return highAvailability
    ? { mode: traits.highAvailabilityMode, instances: traits.highAvailabilityInstances }
    : { mode: SINGLE_INSTANCE_MODE, instances: 1 };
}

/**
 * Why Amazon MQ would refuse the engine version, or undefined when it offers it. Amazon MQ takes
 * major.minor only and applies patches itself.
 */
export function unsupportedVersionRule(engine: MessageBrokerEngine): string | undefined {
  const parts = /^(\d+)\.(\d+)(\.\d+)?$/.exec(engine.version);
  const major = parts ? Number(parts[1]) : NaN;
  const minor = parts ? Number(parts[2]) : NaN;
  const patch = parts?.[3];
  if (engine.engineType === MessageBrokerEngineType.ACTIVEMQ) {
    if (major === 5 && minor >= 18) {
      return patch
        ? 'must be given as major.minor for ActiveMQ 5.18 and later (e.g. "5.19"): Amazon MQ applies patch versions itself'
        : undefined;
    }
    return major === 5
      ? 'must be ActiveMQ 5.18 or later: Amazon MQ no longer supports older versions (use MessageBrokerEngine.ACTIVEMQ_5_19)'
      : 'must be an ActiveMQ version Amazon MQ offers: 5.18 or 5.19 (MessageBrokerEngine.ACTIVEMQ_5_19)';
  }
  if ((major === 3 && minor === 13) || major === 4) {
    return patch
      ? 'must be given as major.minor for RabbitMQ (e.g. "3.13"): Amazon MQ applies patch versions itself'
      : undefined;
  }
  return major === 3 && minor < 13
    ? 'must be RabbitMQ 3.13 or later: Amazon MQ no longer supports older versions (use MessageBrokerEngine.RABBITMQ_3_13)'
    : 'must be a RabbitMQ version Amazon MQ offers: 3.13 or 4.x (MessageBrokerEngine.RABBITMQ_3_13, RABBITMQ_4_2)';
}

const M5_SIZES = ['large', 'xlarge', '2xlarge', '4xlarge'].map((size) => `mq.m5.${size}`);
const M7G_SIZES = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'].map(
  (size) => `mq.m7g.${size}`,
);
const T3_MICRO = 'mq.t3.micro';
const M7G_MEDIUM = 'mq.m7g.medium';

/** RabbitMQ 4 runs on Graviton (mq.m7g) instance types only. */
function isRabbitMq4(engine: MessageBrokerEngine): boolean {
  return engine.engineType === MessageBrokerEngineType.RABBITMQ && /^4\./.test(engine.version);
}

export function defaultInstanceType(engine: MessageBrokerEngine, highAvailability: boolean): string {
  if (isRabbitMq4(engine)) {
    return highAvailability ? 'mq.m7g.large' : M7G_MEDIUM;
  }
  return highAvailability ? 'mq.m5.large' : T3_MICRO;
}

/** The instance types Amazon MQ offers per engine, version and deployment mode. */
export function allowedInstanceTypes(engine: MessageBrokerEngine, highAvailability: boolean): string[] {
  const singleOnly = highAvailability ? [] : [T3_MICRO];
  if (engine.engineType === MessageBrokerEngineType.ACTIVEMQ) {
    return [...singleOnly, ...M5_SIZES];
  }
  const m7g = [...(highAvailability ? [] : [M7G_MEDIUM]), ...M7G_SIZES];
  return isRabbitMq4(engine) ? m7g : [...singleOnly, ...M5_SIZES, ...m7g];
}

/**
 * The default connection alarm threshold.
 *
 * ActiveMQ: 80% of Amazon MQ's wire-level connection quota per protocol, 300 on mq.*.micro and 2,000 on
 * mq.*.*large instance types ("Quotas in Amazon MQ", Brokers,
 * https://docs.aws.amazon.com/amazon-mq/latest/developer-guide/amazon-mq-limits.html). RabbitMQ has no such quota
 * (its connection limit is a per-instance-type vhost default, "Amazon MQ for RabbitMQ sizing guidelines"), so it
 * keeps a conservative early warning: 80 on the smallest instance types, 800 on the others.
 */
export function defaultConnectionThreshold(engineType: MessageBrokerEngineType, instanceType: string): number {
  const small = !Token.isUnresolved(instanceType) && /\.(micro|medium)$/.test(instanceType);
  if (engineType === MessageBrokerEngineType.ACTIVEMQ) {
    return small ? 240 : 1600;
  }
  return small ? 80 : 800;
}
