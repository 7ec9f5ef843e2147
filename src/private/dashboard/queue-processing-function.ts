import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { addConstructWidgetGroup, labelled, alarmGraph, alarmStatus, graph, groupTitle, ONE_MINUTE } from './widgets';
import type { QueueProcessingFunction } from '../../queue-processing-function';

/** The backlog (visible messages, age of the oldest), and the function's concurrency, errors and throttles. */
export function addQueueProcessingFunctionWidgets(
  consumer: QueueProcessingFunction,
  dashboard: boolean | undefined,
): boolean {
  return addConstructWidgetGroup(consumer, dashboard, groupTitle('QueueProcessingFunction', consumer), () => {
    const maxConcurrency = consumer.maxConcurrency;
    return [
      ...alarmStatus(consumer.alarms),
      graph(
        'Backlog',
        [
          consumer.queue.metricApproximateNumberOfMessagesVisible({
            statistic: cloudwatch.Stats.MAXIMUM,
            period: ONE_MINUTE,
            label: 'Visible messages',
          }),
        ],
        {
          right: [labelled(consumer.oldestMessageAgeAlarm.metric, 'Oldest message (s)')],
          rightAlarms: [consumer.oldestMessageAgeAlarm],
          rightLabel: 'Seconds',
        },
      ),
      graph(
        'Concurrent executions',
        [
          consumer.handler.metric('ConcurrentExecutions', {
            statistic: cloudwatch.Stats.MAXIMUM,
            period: ONE_MINUTE,
            label: 'Concurrent executions',
          }),
        ],
        { annotations: [{ value: maxConcurrency, label: 'Maximum concurrency of the event source mapping' }] },
      ),
      graph(
        'Errors and throttles',
        [labelled(consumer.errorsAlarm.metric, 'Errors'), labelled(consumer.throttlesAlarm.metric, 'Throttles')],
        { alarms: [consumer.errorsAlarm, consumer.throttlesAlarm] },
      ),
      ...(consumer.deadLetterQueueNotEmptyAlarm
        ? [alarmGraph('Dead-letter queue', consumer.deadLetterQueueNotEmptyAlarm)]
        : []),
    ];
  });
}
