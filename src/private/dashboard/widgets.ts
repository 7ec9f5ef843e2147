import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { StackDashboard } from '../../stack-dashboard';
import { validateBoolean } from '../queue-facts';

/** A graph's size: three to a row of the dashboard's 24 columns. */
const GRAPH_WIDTH = 8;
const GRAPH_HEIGHT = 6;
const ALARM_STATUS_HEIGHT = 3;

/** The period graphs of per-minute metrics use (SQS, SNS, Kinesis, scaling). */
export const ONE_MINUTE = Duration.minutes(1);
export const FIVE_MINUTES = Duration.minutes(5);

/**
 * Checks a construct's `dashboard` prop and, unless it is false, adds the construct's widget group to the
 * stack's dashboard. `produce` runs when the dashboard is rendered (at synth), so it sees the alarms and
 * subscribers the construct has by then. Returns whether the group was added.
 */
export function addConstructWidgetGroup(
  scope: IConstruct,
  dashboard: boolean | undefined,
  title: string,
  produce: () => cloudwatch.IWidget[],
): boolean {
  validateBoolean(scope, 'dashboard', dashboard);
  if (dashboard === false) {
    return false;
  }
  StackDashboard.of(scope)._addWidgetGroup(title, produce);
  return true;
}

/** The title of a construct's group: its kind and its path. */
export function groupTitle(kind: string, scope: IConstruct): string {
  return `${kind} ${scope.node.path}`;
}

/** The alarm's threshold as a horizontal line, labelled with the alarm (its construct id). */
export function alarmAnnotation(alarm: cloudwatch.Alarm): cloudwatch.HorizontalAnnotation {
  // toAnnotation gives the threshold and the alarm's condition, never its ARN: fine for a removed alarm too.
  const annotation = alarm.toAnnotation();
  return { ...annotation, label: `${alarm.node.id}: ${annotation.label}` };
}

export interface GraphOptions {
  /** Alarms on metrics of the left axis: their thresholds are drawn there. */
  readonly alarms?: Array<cloudwatch.Alarm | undefined>;
  /** Lines on the left axis that are not alarm thresholds (a scaling target). */
  readonly annotations?: cloudwatch.HorizontalAnnotation[];
  readonly right?: cloudwatch.IMetric[];
  /** Alarms on metrics of the right axis. */
  readonly rightAlarms?: Array<cloudwatch.Alarm | undefined>;
  readonly leftLabel?: string;
  readonly rightLabel?: string;
}

/** A line graph of the metrics, with the thresholds of the alarms on them. */
export function graph(title: string, left: cloudwatch.IMetric[], options: GraphOptions = {}): cloudwatch.GraphWidget {
  const leftAnnotations = [...(options.annotations ?? []), ...defined(options.alarms).map(alarmAnnotation)];
  const rightAnnotations = defined(options.rightAlarms).map(alarmAnnotation);
  return new cloudwatch.GraphWidget({
    title,
    left,
    right: options.right,
    leftAnnotations: leftAnnotations.length > 0 ? leftAnnotations : undefined,
    rightAnnotations: rightAnnotations.length > 0 ? rightAnnotations : undefined,
    leftYAxis: { min: 0, label: options.leftLabel, showUnits: options.leftLabel === undefined },
    rightYAxis:
      options.right !== undefined
        ? { min: 0, label: options.rightLabel, showUnits: options.rightLabel === undefined }
        : undefined,
    width: GRAPH_WIDTH,
    height: GRAPH_HEIGHT,
  });
}

/** A graph of the alarm's own metric (same statistic and period) with its threshold. */
export function alarmGraph(title: string, alarm: cloudwatch.Alarm): cloudwatch.GraphWidget {
  return graph(title, [alarm.metric], { alarms: [alarm] });
}

/**
 * Whether the alarm is still in the construct tree: a user may remove one of a construct's alarms
 * (`node.tryRemoveChild`), and a widget must not then name an alarm the template lacks.
 */
function stillInTree(alarm: cloudwatch.Alarm): boolean {
  for (let child: IConstruct = alarm; child.node.scope !== undefined; child = child.node.scope) {
    if (child.node.scope.node.tryFindChild(child.node.id) !== child) {
      return false;
    }
  }
  return true;
}

/** The construct's alarms at a glance; nothing when it has none (or none is left in the tree). */
export function alarmStatus(alarms: cloudwatch.Alarm[]): cloudwatch.IWidget[] {
  const present = alarms.filter(stillInTree);
  if (present.length === 0) {
    return [];
  }
  return [
    new cloudwatch.AlarmStatusWidget({
      title: 'Alarms',
      alarms: present,
      width: cloudwatch.GRID_WIDTH,
      height: ALARM_STATUS_HEIGHT,
    }),
  ];
}

/** The alarm's construct id as words: `DeadLetterQueueNotEmptyAlarm` → `Dead letter queue not empty`. */
export function alarmTitle(alarm: cloudwatch.Alarm): string {
  const words = alarm.node.id
    .replace(/Alarm$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function defined<T>(values: Array<T | undefined> | undefined): T[] {
  return (values ?? []).filter((value): value is T => value !== undefined);
}

/** The metric under another label (an alarm's metric is an `IMetric`; both kinds aws-cdk-lib makes take one). */
export function labelled(metric: cloudwatch.IMetric, label: string): cloudwatch.IMetric {
  return metric instanceof cloudwatch.Metric || metric instanceof cloudwatch.MathExpression
    ? metric.with({ label })
    : metric;
}
