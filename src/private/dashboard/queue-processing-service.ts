import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { addConstructWidgetGroup, alarmStatus, groupTitle, ONE_MINUTE } from './widgets';
import { workerWidgets } from './workers';
import type { QueueProcessingService } from '../../queue-processing-service';

/** Backlog per task against the target, running against desired tasks, and the service's other alarms. */
export function addQueueProcessingServiceWidgets(
  service: QueueProcessingService,
  dashboard: boolean | undefined,
): boolean {
  return addConstructWidgetGroup(service, dashboard, groupTitle('QueueProcessingService', service), () => [
    ...alarmStatus(service.alarms),
    ...workerWidgets({
      workerNoun: 'task',
      backlogPerWorker: service.metricBacklogPerTask(),
      target: service.backlogPerTaskTarget,
      fallingBehindAlarm: service.backlogPerTaskAlarm,
      visibleMessages: service.queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.SUM,
        period: ONE_MINUTE,
        label: 'Visible messages',
      }),
      workers: service.metricRunningTaskCount({ label: 'Running tasks' }),
      desired: service.metricDesiredTaskCount({ label: 'Desired tasks' }),
      otherAlarms: [service.oldestMessageAgeAlarm, service.tasksNotRunningAlarm, service.memoryUtilizationAlarm],
    }),
  ]);
}
