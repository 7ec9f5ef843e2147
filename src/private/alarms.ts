import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

const ALARM_DESCRIPTION_MAX_LENGTH = 1024;

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
  // A threshold computed from props (a target times a factor) can overflow to Infinity, which
  // JSON writes as `null`; constructs validate their props, and this is the net behind them.
  if (!Token.isUnresolved(props.threshold) && !Number.isFinite(props.threshold)) {
    throw new Error(
      `[${scope.node.path}/${id}] the alarm threshold must be a finite number, got ${props.threshold}; ` +
        'a prop it is computed from is out of range',
    );
  }
  const alarm = new cloudwatch.Alarm(scope, id, {
    // CloudWatch limits AlarmDescription to 1,024 characters (PutMetricAlarm API reference); a long
    // construct path inside a description must not make the template invalid.
    alarmDescription: truncate(props.description, ALARM_DESCRIPTION_MAX_LENGTH),
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

function truncate(text: string, maxLength: number): string {
  return Token.isUnresolved(text) || text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
