import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { alarmGraph, alarmTitle, graph } from './widgets';

/** What the worker graphs of a QueueProcessingFleet or QueueProcessingService read. */
export interface WorkerWidgetsProps {
  /** `instance`, `task` */
  readonly workerNoun: string;
  /** The metric math target tracking follows. */
  readonly backlogPerWorker: cloudwatch.IMetric;
  readonly target: number;
  readonly fallingBehindAlarm: cloudwatch.Alarm;
  readonly visibleMessages: cloudwatch.IMetric;
  readonly workers: cloudwatch.IMetric;
  readonly desired: cloudwatch.IMetric;
  /** Further alarms, each graphed on its own metric. */
  readonly otherAlarms: cloudwatch.Alarm[];
}

/** Backlog per worker against the target (and the falling-behind alarm), capacity, and the other alarms. */
export function workerWidgets(props: WorkerWidgetsProps): cloudwatch.IWidget[] {
  const target = Token.isUnresolved(props.target) ? 'deploy-time value' : String(props.target);
  return [
    graph(`Backlog per ${props.workerNoun}`, [props.backlogPerWorker], {
      annotations: [
        { value: props.target, label: `Target of target tracking (${target})`, color: cloudwatch.Color.GREEN },
      ],
      alarms: [props.fallingBehindAlarm],
      right: [props.visibleMessages],
      rightLabel: 'Visible messages',
    }),
    graph('Capacity', [props.workers, props.desired]),
    ...props.otherAlarms.map((alarm) => alarmGraph(alarmTitle(alarm), alarm)),
  ];
}
