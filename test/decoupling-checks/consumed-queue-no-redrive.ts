import { Duration } from 'aws-cdk-lib';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack, deadLetterQueue, inlineFunction } from './corpus';

/** A queue read by a function, with no dead-letter queue. */
export const consumedQueueNoRedrive: CorpusCase = {
  rule: 'Decoupling-ConsumedQueueNoRedrive',
  mistake: 'the queue a Lambda function reads has no redrive policy',
  build(app, fixed) {
    const stack = corpusStack(app);
    const queue = new sqs.Queue(stack, 'Queue', {
      visibilityTimeout: Duration.seconds(180),
      deadLetterQueue: fixed ? { queue: deadLetterQueue(stack, 'DeadLetterQueue'), maxReceiveCount: 5 } : undefined,
    });
    inlineFunction(stack, 'Function').addEventSource(
      new sources.SqsEventSource(queue, { reportBatchItemFailures: true }),
    );
  },
};
