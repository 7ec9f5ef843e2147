import { Fn } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { MessageBrokerProtocol } from '../../message-broker';
import { invalidProp, methodArgument, validateEnumValue } from '../validation';

/** What a failover URL is made of. */
export interface FailoverEndpoints {
  /** Whether the engine has one endpoint per instance (ActiveMQ) rather than one behind a load balancer. */
  readonly perInstance: boolean;
  readonly instances: number;
  readonly openWireEndpoints: string[];
  readonly amqpEndpoints: string[];
}

/** See `MessageBroker.failoverUrl`. */
export function failoverUrl(
  broker: IConstruct,
  endpoints: FailoverEndpoints,
  protocol: MessageBrokerProtocol,
  protocols: Record<string, MessageBrokerProtocol>,
): string {
  const prop = methodArgument('failoverUrl', 'protocol');
  validateEnumValue(broker, prop, protocol, 'MessageBrokerProtocol', protocols);
  if (!endpoints.perInstance) {
    throw invalidProp(
      broker,
      prop,
      'is for ActiveMQ only: RabbitMQ serves one endpoint behind a load balancer, with no failover URL (use amqpEndpoints)',
      protocol,
    );
  }
  // String values: the enum lives in the public module, which imports this one.
  if (protocol === 'OPENWIRE') {
    return `failover:(${Fn.join(',', endpoints.openWireEndpoints)})`;
  }
  if (protocol === 'AMQP') {
    // The endpoints read `amqp+ssl://host:5671`; Qpid JMS takes `amqps://host:5671`.
    const hosts = Array.from(
      { length: endpoints.instances },
      (_, i) => `amqps://${Fn.select(1, Fn.split('://', Fn.select(i, endpoints.amqpEndpoints)))}`,
    );
    return `failover:(${hosts.join(',')})`;
  }
  throw invalidProp(
    broker,
    prop,
    'must be OPENWIRE or AMQP (STOMP, MQTT and WebSocket clients take the endpoint list, e.g. stompEndpoints)',
    protocol,
  );
}
