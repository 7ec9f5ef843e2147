import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { alarmOnVisibleMessages, CorpusCase, corpusStack } from './corpus';

/** A FIFO queue with a standard dead-letter queue. */
export const dlqTypeMismatch: CorpusCase = {
  rule: 'Decoupling-DlqTypeMismatch',
  mistake: 'a FIFO queue has a standard dead-letter queue',
  build(app, fixed) {
    const stack = corpusStack(app);
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', {
      fifo: fixed ? true : undefined,
      retentionPeriod: Duration.days(14),
    });
    alarmOnVisibleMessages(stack, 'DeadLetterQueueAlarm', dlq);
    new sqs.Queue(stack, 'Queue', { fifo: true, deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
  },
};
