import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack } from './corpus';

/** A dead-letter queue alarm on NumberOfMessagesSent. */
export const dlqAlarmOnMessagesSent: CorpusCase = {
  rule: 'Decoupling-DlqAlarmOnMessagesSent',
  mistake: 'the dead-letter queue alarm watches NumberOfMessagesSent, which misses redriven messages',
  build(app, fixed) {
    const stack = corpusStack(app);
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', { retentionPeriod: Duration.days(14) });
    new cloudwatch.Alarm(stack, 'DeadLetterQueueAlarm', {
      metric: fixed ? dlq.metricApproximateNumberOfMessagesVisible() : dlq.metricNumberOfMessagesSent(),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
  },
};
