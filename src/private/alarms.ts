import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface NotifyingAlarmProps {
  /** What the alarm says when it fires; name the construct and what to do. */
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  /** The topic told when the alarm fires and when it recovers. */
  readonly alarmTopic: sns.ITopic;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default - all of `evaluationPeriods` */
  readonly datapointsToAlarm?: number;
}

/**
 * An alarm as every construct of this library makes them: missing data is not a breach (a quiet
 * queue or stream emits nothing), and the alarm topic hears both the alarm and the recovery
 * (NIST and HIPAA require an action; an OK action tells the on-call person it is over).
 */
export function notifyingAlarm(scope: Construct, id: string, props: NotifyingAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmDescription: props.description,
    metric: props.metric,
    threshold: props.threshold,
    comparisonOperator: props.comparisonOperator,
    evaluationPeriods: props.evaluationPeriods ?? 1,
    datapointsToAlarm: props.datapointsToAlarm,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const action = new cloudwatchActions.SnsAction(props.alarmTopic);
  alarm.addAlarmAction(action);
  alarm.addOkAction(action);
  return alarm;
}
