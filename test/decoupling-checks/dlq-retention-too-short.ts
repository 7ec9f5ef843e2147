import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { alarmOnVisibleMessages, CorpusCase, corpusStack } from './corpus';

/** A dead-letter queue that keeps messages no longer than its source. */
export const dlqRetentionTooShort: CorpusCase = {
  rule: 'Decoupling-DlqRetentionTooShort',
  mistake: "the dead-letter queue's retention (4 days, the default) is not longer than the source's (4 days)",
  build(app, fixed) {
    const stack = corpusStack(app);
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', fixed ? { retentionPeriod: Duration.days(14) } : {});
    alarmOnVisibleMessages(stack, 'DeadLetterQueueAlarm', dlq);
    new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
  },
};
