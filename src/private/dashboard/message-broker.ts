import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { addConstructWidgetGroup, alarmStatus, FIVE_MINUTES, graph, groupTitle } from './widgets';
import type { MessageBroker } from '../../message-broker';
import { MessageBrokerEngineType } from '../../message-broker-engine';

/** The instances ActiveMQ publishes metrics for: `<name>-1`, and `<name>-2` for an active/standby pair. */
const ACTIVEMQ_HIGH_AVAILABILITY_INSTANCES = 2;

/**
 * CPU, memory (ActiveMQ heap), storage and connections, each with its alarm's threshold: per instance for
 * ActiveMQ (`-1`, `-2`), per node for RabbitMQ (a SEARCH over the `Node` dimension, next to the broker-wide
 * metric the alarm watches).
 */
export function addMessageBrokerWidgets(broker: MessageBroker, dashboard: boolean | undefined): boolean {
  return addConstructWidgetGroup(broker, dashboard, groupTitle('MessageBroker', broker), () => [
    ...alarmStatus(broker.alarms),
    ...(broker.engine.engineType === MessageBrokerEngineType.ACTIVEMQ
      ? activeMqWidgets(broker)
      : rabbitMqWidgets(broker)),
  ]);
}

function activeMqWidgets(broker: MessageBroker): cloudwatch.IWidget[] {
  const instances = broker.highAvailability ? ACTIVEMQ_HIGH_AVAILABILITY_INSTANCES : 1;
  const perInstance = (metricName: string, statistic: string) => {
    const metrics: cloudwatch.IMetric[] = [];
    for (let instance = 1; instance <= instances; instance++) {
      metrics.push(
        broker.metricOfInstance(metricName, instance, {
          statistic,
          period: FIVE_MINUTES,
          label: `Instance ${instance}`,
        }),
      );
    }
    return metrics;
  };
  return [
    graph('CPU utilization (%)', perInstance('CpuUtilization', cloudwatch.Stats.AVERAGE), {
      alarms: [broker.cpuUtilizationAlarm],
    }),
    graph('JVM heap usage (%)', perInstance('HeapUsage', cloudwatch.Stats.AVERAGE), {
      alarms: [broker.memoryUsageAlarm],
    }),
    graph('Message store usage (%)', perInstance('StorePercentUsage', cloudwatch.Stats.MAXIMUM), {
      alarms: [broker.storageUsageAlarm],
    }),
    graph('Connections', perInstance('CurrentConnectionsCount', cloudwatch.Stats.MAXIMUM), {
      alarms: [broker.connectionCountAlarm],
    }),
  ];
}

function rabbitMqWidgets(broker: MessageBroker): cloudwatch.IWidget[] {
  const perNode = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.MathExpression({
      expression: `SEARCH('{AWS/AmazonMQ,Broker,Node} MetricName="${metricName}" Broker="${broker.brokerName}"', '${statistic}', ${FIVE_MINUTES.toSeconds()})`,
      label,
      period: FIVE_MINUTES,
    });
  return [
    graph(
      'CPU utilization (%)',
      [broker.cpuUtilizationAlarm.metric, perNode('SystemCpuUtilization', cloudwatch.Stats.AVERAGE, 'Node')],
      { alarms: [broker.cpuUtilizationAlarm] },
    ),
    graph('Memory used (% of the limit)', [broker.memoryUsageAlarm.metric], {
      alarms: [broker.memoryUsageAlarm],
      right: [perNode('RabbitMQMemUsed', cloudwatch.Stats.MAXIMUM, 'Node')],
      rightLabel: 'Bytes per node',
    }),
    graph('Free disk (multiple of the limit)', [broker.storageUsageAlarm.metric], {
      alarms: [broker.storageUsageAlarm],
      right: [perNode('RabbitMQDiskFree', cloudwatch.Stats.MINIMUM, 'Node')],
      rightLabel: 'Bytes per node',
    }),
    graph('Connections', [broker.connectionCountAlarm.metric], { alarms: [broker.connectionCountAlarm] }),
  ];
}
