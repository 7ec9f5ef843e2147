import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { alarmOnVisibleMessages, CorpusCase, corpusStack } from './corpus';

/** A dead-letter queue nobody watches. */
export const dlqNoAlarm: CorpusCase = {
  rule: 'Decoupling-DlqNoAlarm',
  mistake: 'no CloudWatch alarm watches the dead-letter queue',
  build(app, fixed) {
    const stack = corpusStack(app);
    const dlq = new sqs.Queue(stack, 'DeadLetterQueue', { retentionPeriod: Duration.days(14) });
    if (fixed) {
      alarmOnVisibleMessages(stack, 'DeadLetterQueueAlarm', dlq);
    }
    new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 } });
  },
};
