import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { addConstructWidgetGroup, alarmStatus, graph, groupTitle, ONE_MINUTE } from './widgets';
import type { TopicFanOut } from '../../topic-fan-out';

/**
 * Published, delivered and failed notifications; what SNS moved (or failed to move) to subscription
 * dead-letter queues; and, per subscriber, the depth of its dead-letter queue. Subscribers are read when
 * the dashboard is rendered, so those added after the constructor are there.
 */
export function addTopicFanOutWidgets(fanOut: TopicFanOut, dashboard: boolean | undefined): boolean {
  return addConstructWidgetGroup(fanOut, dashboard, groupTitle('TopicFanOut', fanOut), () => {
    const sum = (metricName: string, label: string) =>
      fanOut.metric(metricName, { statistic: cloudwatch.Stats.SUM, period: ONE_MINUTE, label });
    return [
      ...alarmStatus(fanOut.alarms),
      graph(
        'Notifications',
        [
          sum('NumberOfMessagesPublished', 'Published'),
          sum('NumberOfNotificationsDelivered', 'Delivered'),
          sum('NumberOfNotificationsFailed', 'Failed'),
        ],
        { alarms: [fanOut.notificationsFailedAlarm] },
      ),
      graph(
        'Redriven to dead-letter queues',
        [
          sum('NumberOfNotificationsRedrivenToDlq', 'Redriven'),
          sum('NumberOfNotificationsFailedToRedriveToDlq', 'Failed to redrive (lost)'),
        ],
        {
          alarms: [
            fanOut.notificationsRedrivenToDeadLetterQueueAlarm,
            fanOut.notificationsFailedToRedriveToDeadLetterQueueAlarm,
          ],
        },
      ),
      ...subscriberDeadLetterQueues(fanOut),
    ];
  });
}

/**
 * One line per dead-letter queue, labelled with the subscribers that use it: each subscriber's own queue, and
 * the shared one once (SNS publishes no per-subscription redrive metric; the queue depth is the per-subscriber view).
 */
function subscriberDeadLetterQueues(fanOut: TopicFanOut): cloudwatch.IWidget[] {
  const subscribersOf = new Map<sqs.IQueue, string[]>();
  for (const subscription of fanOut.subscriptions) {
    const ids = subscribersOf.get(subscription.deadLetterQueue) ?? [];
    ids.push(subscription.node.id);
    subscribersOf.set(subscription.deadLetterQueue, ids);
  }
  if (subscribersOf.size === 0) {
    return [];
  }
  const shared = fanOut.subscriptionDeadLetterQueue;
  const metrics = [...subscribersOf.entries()].map(([queue, ids]) =>
    queue.metricApproximateNumberOfMessagesVisible({
      statistic: cloudwatch.Stats.MAXIMUM,
      period: ONE_MINUTE,
      label: shared !== undefined && queue === shared ? `Shared: ${ids.join(', ')}` : ids.join(', '),
    }),
  );
  // Every dead-letter alarm of a subscriber fires at one message: one line says it for all.
  const notEmpty =
    fanOut.subscriptionDeadLetterQueueNotEmptyAlarm ??
    fanOut.subscriptions.map((subscription) => subscription.deadLetterQueueNotEmptyAlarm).find((a) => a !== undefined);
  return [graph('Dead-letter queue depth per subscriber', metrics, { alarms: [notEmpty] })];
}
