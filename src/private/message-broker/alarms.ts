import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { defaultConnectionThreshold } from './engine-catalog';
import { MessageBrokerEngineType } from '../../message-broker-engine';
import { notifyingAlarm } from '../alarms';

/** What an alarm spec reads: the broker's metrics and the props that tune its alarms. */
export interface BrokerAlarmContext {
  /** The broker's construct path, for the descriptions. */
  readonly path: string;
  readonly brokerName: string;
  readonly instanceType: string;
  readonly connectionCountAlarmThreshold?: number;
  /** `MessageBroker.metric`. */
  readonly metric: (metricName: string, props?: cloudwatch.MetricOptions) => cloudwatch.IMetric;
}

/** One alarm of a broker, as data. */
interface BrokerAlarmSpec {
  readonly metric: (broker: BrokerAlarmContext) => cloudwatch.IMetric;
  readonly threshold: (broker: BrokerAlarmContext) => number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
  readonly description: (broker: BrokerAlarmContext, threshold: number) => string;
}

/** Above 80% for three five-minute periods. */
function percentAbove80(what: string, metric: BrokerAlarmSpec['metric']): BrokerAlarmSpec {
  return {
    metric,
    threshold: () => 80,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    description: (broker) => `The ${what} of ${broker.path} stayed above 80% for 15 minutes.`,
  };
}

function connectionCount(engineType: MessageBrokerEngineType, metricName: string): BrokerAlarmSpec {
  return {
    metric: (broker) => broker.metric(metricName, { statistic: cloudwatch.Stats.MAXIMUM }),
    threshold: (broker) =>
      broker.connectionCountAlarmThreshold ?? defaultConnectionThreshold(engineType, broker.instanceType),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    description: (broker, threshold) =>
      `${broker.path} holds more than ${threshold} client connections: clients leak connections, or the broker nears its connection quota.`,
  };
}

/** RabbitMQ's use of a resource against the limit at which it blocks publishers. */
function rabbitMqRatio(
  broker: BrokerAlarmContext,
  expression: string,
  usingMetrics: Record<string, [string, string]>,
  label: string,
): cloudwatch.IMetric {
  const metrics: Record<string, cloudwatch.IMetric> = {};
  for (const [id, [metricName, statistic]] of Object.entries(usingMetrics)) {
    metrics[id] = broker.metric(metricName, { statistic });
  }
  return new cloudwatch.MathExpression({
    expression,
    usingMetrics: metrics,
    label,
    period: Duration.minutes(5),
  });
}

/**
 * The alarms of each engine, in the order `MessageBroker.alarms` lists them; each key is the alarm's
 * construct id without `Alarm` (`cpuUtilization` → `CpuUtilizationAlarm`). To add an alarm, add a row
 * here for each engine that has it (and, if it gets one, its public field in the MessageBroker).
 */
const ALARM_SPECS = {
  [MessageBrokerEngineType.ACTIVEMQ]: {
    cpuUtilization: percentAbove80('CPU utilization', (broker) => broker.metric('CpuUtilization')),
    memoryUsage: percentAbove80('JVM heap usage', (broker) => broker.metric('HeapUsage')),
    storageUsage: percentAbove80('message store usage (producers are blocked at 100%)', (broker) =>
      broker.metric('StorePercentUsage', { statistic: cloudwatch.Stats.MAXIMUM }),
    ),
    connectionCount: connectionCount(MessageBrokerEngineType.ACTIVEMQ, 'CurrentConnectionsCount'),
  },
  [MessageBrokerEngineType.RABBITMQ]: {
    cpuUtilization: percentAbove80('CPU utilization', (broker) => broker.metric('SystemCpuUtilization')),
    memoryUsage: percentAbove80('memory use against the RabbitMQ memory limit', (broker) =>
      rabbitMqRatio(
        broker,
        '100 * used / limit',
        { used: ['RabbitMQMemUsed', cloudwatch.Stats.MAXIMUM], limit: ['RabbitMQMemLimit', cloudwatch.Stats.MINIMUM] },
        `Memory used by ${broker.brokerName}, % of the limit at which RabbitMQ blocks publishers`,
      ),
    ),
    storageUsage: {
      metric: (broker) =>
        rabbitMqRatio(
          broker,
          'free / limit',
          {
            free: ['RabbitMQDiskFree', cloudwatch.Stats.MINIMUM],
            limit: ['RabbitMQDiskFreeLimit', cloudwatch.Stats.MAXIMUM],
          },
          `Free disk of ${broker.brokerName}, multiple of the limit at which RabbitMQ blocks publishers`,
        ),
      threshold: () => 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      description: (broker) =>
        `Free disk of ${broker.path} is below twice the limit at which RabbitMQ blocks all publishers.`,
    },
    connectionCount: connectionCount(MessageBrokerEngineType.RABBITMQ, 'ConnectionCount'),
  },
} satisfies Record<MessageBrokerEngineType, Record<string, BrokerAlarmSpec>>;

/** The alarms every engine has, which the MessageBroker exposes as fields. */
export type CommonBrokerAlarm = keyof (typeof ALARM_SPECS)[MessageBrokerEngineType.ACTIVEMQ] &
  keyof (typeof ALARM_SPECS)[MessageBrokerEngineType.RABBITMQ];

export interface BrokerAlarms {
  /** Every alarm made, in table order. */
  readonly all: cloudwatch.Alarm[];
  /** The alarms every engine has, by name. */
  readonly common: Record<CommonBrokerAlarm, cloudwatch.Alarm>;
}

/** The alarms of the broker's engine, each notifying `alarmTopic`. */
export function createBrokerAlarms(
  scope: Construct,
  engineType: MessageBrokerEngineType,
  broker: BrokerAlarmContext,
  alarmTopic: sns.ITopic,
): BrokerAlarms {
  const made: Record<string, cloudwatch.Alarm> = {};
  for (const [name, spec] of Object.entries<BrokerAlarmSpec>(ALARM_SPECS[engineType])) {
    const threshold = spec.threshold(broker);
    made[name] = notifyingAlarm(scope, `${name.charAt(0).toUpperCase()}${name.slice(1)}Alarm`, {
      alarmTopic,
      description: spec.description(broker, threshold),
      metric: spec.metric(broker),
      threshold,
      comparisonOperator: spec.comparisonOperator,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
    });
  }
  return { all: Object.values(made), common: made as Record<CommonBrokerAlarm, cloudwatch.Alarm> };
}
