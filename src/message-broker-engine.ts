/**
 * The broker engines Amazon MQ runs.
 */
export enum MessageBrokerEngineType {
  /** Apache ActiveMQ Classic: JMS over OpenWire, AMQP 1.0, STOMP, MQTT and WebSocket. */
  ACTIVEMQ = 'ACTIVEMQ',
  /** RabbitMQ: AMQP 0-9-1 (and AMQP 1.0 from RabbitMQ 4). */
  RABBITMQ = 'RABBITMQ',
}

/**
 * A broker engine and its version.
 *
 * Amazon MQ takes the version as major.minor (for example `5.19`) and applies patch
 * versions itself during the maintenance window; a MessageBroker always turns
 * automatic minor version upgrades on, which these versions require.
 */
export class MessageBrokerEngine {
  /** ActiveMQ 5.19, the version Amazon MQ recommends. */
  public static readonly ACTIVEMQ_5_19 = new MessageBrokerEngine(MessageBrokerEngineType.ACTIVEMQ, '5.19');

  /** ActiveMQ 5.18. */
  public static readonly ACTIVEMQ_5_18 = new MessageBrokerEngine(MessageBrokerEngineType.ACTIVEMQ, '5.18');

  /** RabbitMQ 3.13. */
  public static readonly RABBITMQ_3_13 = new MessageBrokerEngine(MessageBrokerEngineType.RABBITMQ, '3.13');

  /** RabbitMQ 4.2, which Amazon MQ runs on mq.m7g instance types only. */
  public static readonly RABBITMQ_4_2 = new MessageBrokerEngine(MessageBrokerEngineType.RABBITMQ, '4.2');

  /**
   * An engine version this library has no constant for yet, as major.minor.
   *
   * A MessageBroker still rejects versions Amazon MQ does not offer for the engine
   * (ActiveMQ 5.17 and older, RabbitMQ 3.12 and older, a patch version).
   */
  public static of(engineType: MessageBrokerEngineType, version: string): MessageBrokerEngine {
    return new MessageBrokerEngine(engineType, version);
  }

  /**
   * @param engineType The engine.
   * @param version The engine version, as major.minor.
   */
  private constructor(
    public readonly engineType: MessageBrokerEngineType,
    public readonly version: string,
  ) {}

  /** `ACTIVEMQ 5.19`, for messages. */
  public toString(): string {
    return `${this.engineType} ${this.version}`;
  }
}
