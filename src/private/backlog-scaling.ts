import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { notifyingAlarm } from './alarms';

// Backlog-per-worker scaling, for any kind of worker (EC2 instances of a fleet, Fargate tasks of a
// service): the metric-math queries a target tracking policy follows, and the alarm that says the
// workers fall behind. The shapes are the same for EC2 Auto Scaling's and Application Auto Scaling's
// CloudFormation `TargetTrackingMetricDataQuery`, so both policy types can take them.

/** Queue and capacity metrics are published per minute. */
export const BACKLOG_PERIOD = Duration.minutes(1);

/** A metric of how many workers there are, as a CloudFormation metric stat names it. */
export interface WorkerCountMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** What the query is labelled, e.g. `Running tasks of the service`. */
  readonly label: string;
}

/** One `TargetTrackingMetricDataQuery` of a CloudFormation scaling policy (both services use this shape). */
export interface BacklogMetricDataQuery {
  readonly id: string;
  readonly label: string;
  readonly expression?: string;
  readonly metricStat?: {
    readonly metric: {
      readonly namespace: string;
      readonly metricName: string;
      readonly dimensions: Array<{ readonly name: string; readonly value: string }>;
    };
    readonly stat: string;
  };
  readonly returnData: boolean;
}

/**
 * `ApproximateNumberOfMessagesVisible` (Sum) ÷ the worker count (Average), per minute: the backlog per
 * worker that AWS recommends tracking, with the statistics of its own examples (Application Auto Scaling
 * User Guide, "Create a target tracking scaling policy for Application Auto Scaling using metric math",
 * example "Amazon SQS queue backlog per task"; EC2 Auto Scaling User Guide, the same page for instances).
 */
export function backlogMetricDataQueries(
  queue: sqs.IQueue,
  workers: WorkerCountMetric,
  backlogLabel: string,
): BacklogMetricDataQuery[] {
  return [
    {
      id: 'm1',
      label: 'Visible messages in the queue',
      metricStat: {
        metric: {
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          dimensions: [{ name: 'QueueName', value: queue.queueName }],
        },
        stat: 'Sum',
      },
      returnData: false,
    },
    {
      id: 'm2',
      label: workers.label,
      metricStat: {
        metric: {
          namespace: workers.namespace,
          metricName: workers.metricName,
          dimensions: Object.entries(workers.dimensions).map(([name, value]) => ({ name, value })),
        },
        stat: 'Average',
      },
      returnData: false,
    },
    { id: 'e1', label: backlogLabel, expression: 'm1 / m2', returnData: true },
  ];
}

/** The same ratio as a CloudWatch math expression, for alarms and dashboards. */
export function backlogPerWorkerExpression(
  queue: sqs.IQueue,
  workers: cloudwatch.IMetric,
  label: string,
  props: cloudwatch.MathExpressionOptions = {},
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'm1 / m2',
    usingMetrics: {
      m1: queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.SUM, period: BACKLOG_PERIOD }),
      m2: workers,
    },
    label: props.label ?? label,
    period: props.period ?? BACKLOG_PERIOD,
    color: props.color,
    searchAccount: props.searchAccount,
    searchRegion: props.searchRegion,
  });
}

/** The falling-behind alarm: backlog per worker above this multiple of the target ... */
export const FALLING_BEHIND_FACTOR = 2;
/** ... for this many consecutive minutes. Target tracking jumps straight to ceil(backlog ÷ target), so after a normal scale-out that long, the workers are at their maximum or cannot start. */
export const FALLING_BEHIND_MINUTES = 15;

/** What the falling-behind alarm watches. */
export interface FallingBehindAlarmProps {
  readonly backlogPerWorker: cloudwatch.IMetric;
  readonly targetValue: number;
  readonly alarmTopic: sns.ITopic;
  /** `task`, `instance` */
  readonly workerNoun: string;
  /** What is at its maximum, e.g. `the service`. */
  readonly what: string;
}

/**
 * Alarms when the backlog per worker stays above twice the target for 15 minutes: the workers are at
 * their maximum (or cannot start) and messages wait about twice the acceptable latency. With a token
 * target the threshold is the target itself, since CloudFormation cannot multiply.
 */
export function addFallingBehindAlarm(scope: Construct, id: string, props: FallingBehindAlarmProps): cloudwatch.Alarm {
  const known = !Token.isUnresolved(props.targetValue);
  return notifyingAlarm(scope, id, {
    alarmTopic: props.alarmTopic,
    description:
      `The backlog per ${props.workerNoun} of ${scope.node.path} stayed above ${known ? `${FALLING_BEHIND_FACTOR} × ` : ''}its target ` +
      `for ${FALLING_BEHIND_MINUTES} minutes: ${props.what} is at its maximum or cannot start ${props.workerNoun}s, and messages wait longer than planned.`,
    metric: props.backlogPerWorker,
    threshold: known ? props.targetValue * FALLING_BEHIND_FACTOR : props.targetValue,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: FALLING_BEHIND_MINUTES,
    datapointsToAlarm: FALLING_BEHIND_MINUTES,
  });
}
