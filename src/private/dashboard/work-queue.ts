import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { addConstructWidgetGroup, alarmStatus, FIVE_MINUTES, graph, groupTitle, ONE_MINUTE } from './widgets';
import type { WorkQueue } from '../../work-queue';

/** Depth (visible, in flight), age of the oldest message, and the dead-letter queue. */
export function addWorkQueueWidgets(queue: WorkQueue, dashboard: boolean | undefined): boolean {
  return addConstructWidgetGroup(queue, dashboard, groupTitle('WorkQueue', queue), () => {
    const max = (period = ONE_MINUTE) => ({ statistic: cloudwatch.Stats.MAXIMUM, period });
    return [
      ...alarmStatus(queue.alarms),
      graph('Messages', [
        queue.metricApproximateNumberOfMessagesVisible({ ...max(), label: 'Visible' }),
        queue.metricApproximateNumberOfMessagesNotVisible({ ...max(), label: 'In flight' }),
      ]),
      graph(
        'Age of the oldest message',
        [queue.metricApproximateAgeOfOldestMessage({ ...max(FIVE_MINUTES), label: 'Oldest message (s)' })],
        { alarms: [queue.oldestMessageAgeAlarm], leftLabel: 'Seconds' },
      ),
      graph(
        'Dead-letter queue',
        [queue.metricDeadLetterQueueApproximateNumberOfMessagesVisible({ ...max(), label: 'Messages' })],
        {
          alarms: [queue.deadLetterQueueNotEmptyAlarm],
          right: [
            queue.metricDeadLetterQueueApproximateAgeOfOldestMessage({
              ...max(FIVE_MINUTES),
              label: 'Oldest message (s)',
            }),
          ],
          rightAlarms: [queue.deadLetterQueueMessageAgeAlarm],
          rightLabel: 'Seconds',
        },
      ),
    ];
  });
}
