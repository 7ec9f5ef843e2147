import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { addConstructWidgetGroup, alarmStatus, groupTitle, ONE_MINUTE } from './widgets';
import { workerWidgets } from './workers';
import type { QueueProcessingFleet } from '../../queue-processing-fleet';

/** Backlog per instance against the target, and in-service against desired instances. */
export function addQueueProcessingFleetWidgets(fleet: QueueProcessingFleet, dashboard: boolean | undefined): boolean {
  return addConstructWidgetGroup(fleet, dashboard, groupTitle('QueueProcessingFleet', fleet), () => [
    ...alarmStatus(fleet.alarms),
    ...workerWidgets({
      workerNoun: 'instance',
      backlogPerWorker: fleet.metricBacklogPerInstance(),
      target: fleet.backlogPerInstanceTarget,
      fallingBehindAlarm: fleet.backlogPerInstanceAlarm,
      visibleMessages: fleet.queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.SUM,
        period: ONE_MINUTE,
        label: 'Visible messages',
      }),
      workers: fleet.metricGroupInServiceInstances({ label: 'In-service instances' }),
      desired: fleet.metricGroupDesiredCapacity({ label: 'Desired capacity' }),
      otherAlarms: [],
    }),
  ]);
}
