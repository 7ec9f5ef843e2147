import { Duration, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { notifyingAlarm } from '../alarms';

/** The falling-behind alarm: backlog per instance above this multiple of the target ... */
const FALLING_BEHIND_FACTOR = 2;
/** ... for this many consecutive minutes. Target tracking jumps straight to ceil(backlog ÷ target), so after a normal scale-out that long, the group is at its maximum or cannot launch. */
const FALLING_BEHIND_MINUTES = 15;

/** Group metrics are published per minute; so are the queue's. */
const PERIOD = Duration.minutes(1);

/** What the target tracking policy on backlog per instance follows. */
export interface BacklogScalingOptions {
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  readonly queue: sqs.IQueue;
  readonly targetValue: number;
  readonly estimatedInstanceWarmup: Duration;
}

/**
 * Target tracking on `ApproximateNumberOfMessagesVisible ÷ GroupInServiceInstances`, AWS's recommended
 * metric (the EC2 Auto Scaling User Guide's metric-math example). aws-cdk-lib's L2 accepts direct
 * metrics only, so the policy is the CloudFormation resource.
 */
export function addBacklogPerInstanceScaling(
  scope: Construct,
  id: string,
  options: BacklogScalingOptions,
): autoscaling.CfnScalingPolicy {
  const groupName = options.autoScalingGroup.autoScalingGroupName;
  return new autoscaling.CfnScalingPolicy(scope, id, {
    autoScalingGroupName: groupName,
    policyType: 'TargetTrackingScaling',
    estimatedInstanceWarmup: options.estimatedInstanceWarmup.toSeconds(),
    targetTrackingConfiguration: {
      targetValue: options.targetValue,
      customizedMetricSpecification: {
        metrics: [
          {
            id: 'm1',
            label: 'Visible messages in the queue',
            metricStat: {
              metric: {
                namespace: 'AWS/SQS',
                metricName: 'ApproximateNumberOfMessagesVisible',
                dimensions: [{ name: 'QueueName', value: options.queue.queueName }],
              },
              stat: 'Sum',
            },
            returnData: false,
          },
          {
            id: 'm2',
            label: 'In-service instances of the group',
            metricStat: {
              metric: {
                namespace: 'AWS/AutoScaling',
                metricName: 'GroupInServiceInstances',
                dimensions: [{ name: 'AutoScalingGroupName', value: groupName }],
              },
              stat: 'Average',
            },
            returnData: false,
          },
          { id: 'e1', label: 'Backlog per instance', expression: 'm1 / m2', returnData: true },
        ],
      },
    },
  });
}

/**
 * The metric target tracking follows, for alarms and dashboards: the queue's visible messages (Sum) ÷ the
 * group's in-service instances (Average), per minute unless `props` says otherwise.
 */
export function backlogPerInstanceMetric(
  queue: sqs.IQueue,
  inServiceInstances: cloudwatch.IMetric,
  props: cloudwatch.MathExpressionOptions = {},
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'm1 / m2',
    usingMetrics: {
      m1: queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.SUM, period: PERIOD }),
      m2: inServiceInstances,
    },
    label: props.label ?? 'Backlog per instance',
    period: props.period ?? PERIOD,
    color: props.color,
    searchAccount: props.searchAccount,
    searchRegion: props.searchRegion,
  });
}

/** What takes an empty group out of zero. */
export interface ScaleOutFromZeroOptions {
  readonly autoScalingGroup: autoscaling.IAutoScalingGroup;
  readonly estimatedInstanceWarmup: Duration;
  readonly visibleMessages: cloudwatch.IMetric;
  readonly desiredCapacity: cloudwatch.IMetric;
}

/**
 * At zero instances backlog per instance has no value and target tracking cannot act, so a step policy
 * sets the group to exactly one instance when messages are visible and the desired capacity is 0. Its
 * alarm scales the group and notifies nobody: an empty group with work waiting is the normal way out of
 * zero, not an incident.
 */
export function addScaleOutFromZero(
  scope: Construct,
  options: ScaleOutFromZeroOptions,
): { readonly action: autoscaling.StepScalingAction; readonly alarm: cloudwatch.Alarm } {
  const action = new autoscaling.StepScalingAction(scope, 'ScaleOutFromZero', {
    autoScalingGroup: options.autoScalingGroup,
    adjustmentType: autoscaling.AdjustmentType.EXACT_CAPACITY,
    metricAggregationType: autoscaling.MetricAggregationType.MAXIMUM,
    estimatedInstanceWarmup: options.estimatedInstanceWarmup,
  });
  action.addAdjustment({ adjustment: 1, lowerBound: 0 });
  const alarm = new cloudwatch.Alarm(scope, 'ScaleOutFromZeroAlarm', {
    alarmDescription: `Messages wait in the queue of ${scope.node.path} and the group has no instances: start one.`,
    metric: new cloudwatch.MathExpression({
      expression: 'IF(desired < 1, visible, 0)',
      usingMetrics: { visible: options.visibleMessages, desired: options.desiredCapacity },
      label: 'Visible messages while the group is empty',
      period: PERIOD,
    }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.AutoScalingAction(action));
  return { action, alarm };
}

/** What the falling-behind alarm watches. */
export interface FallingBehindAlarmOptions {
  readonly backlogPerInstance: cloudwatch.IMetric;
  readonly targetValue: number;
  readonly alarmTopic: sns.ITopic;
}

/**
 * Alarms when the backlog per instance stays above twice the target for 15 minutes: the fleet is at its
 * maximum (or cannot launch) and messages wait about twice the acceptable latency. With a token target
 * the threshold is the target itself, since CloudFormation cannot multiply.
 */
export function addBacklogPerInstanceAlarm(scope: Construct, options: FallingBehindAlarmOptions): cloudwatch.Alarm {
  const { targetValue } = options;
  const known = !Token.isUnresolved(targetValue);
  return notifyingAlarm(scope, 'BacklogPerInstanceAlarm', {
    alarmTopic: options.alarmTopic,
    description:
      `The backlog per instance of ${scope.node.path} stayed above ${known ? `${FALLING_BEHIND_FACTOR} × ` : ''}its target for ` +
      `${FALLING_BEHIND_MINUTES} minutes: the fleet is at its maximum or cannot launch, and messages wait longer than planned.`,
    metric: options.backlogPerInstance,
    threshold: known ? targetValue * FALLING_BEHIND_FACTOR : targetValue,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: FALLING_BEHIND_MINUTES,
    datapointsToAlarm: FALLING_BEHIND_MINUTES,
  });
}
