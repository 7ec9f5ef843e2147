import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { addConstructWidgetGroup, alarmGraph, alarmStatus, alarmTitle, groupTitle } from './widgets';

/** A construct with alarms, shown as one graph per alarm (its own metric and threshold). */
export interface AlarmedConstruct extends IConstruct {
  readonly alarms: cloudwatch.Alarm[];
}

/** One graph per alarm of the construct: StreamAnalytics, StreamProcessingFunction. */
export function addAlarmMetricWidgets(
  kind: string,
  scope: AlarmedConstruct,
  dashboard: boolean | undefined,
  ownAlarms: () => cloudwatch.Alarm[],
): boolean {
  return addConstructWidgetGroup(scope, dashboard, groupTitle(kind, scope), () => [
    ...alarmStatus(scope.alarms),
    ...ownAlarms().map((alarm) => alarmGraph(alarmTitle(alarm), alarm)),
  ]);
}
