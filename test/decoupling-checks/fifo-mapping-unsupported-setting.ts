import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CorpusCase, corpusStack, inlineFunction, workQueue } from './corpus';

/** A FIFO queue read with a batching window. */
export const fifoMappingUnsupportedSetting: CorpusCase = {
  rule: 'Decoupling-FifoMappingUnsupportedSetting',
  mistake: 'the mapping on a FIFO queue sets a batching window',
  build(app, fixed) {
    const stack = corpusStack(app);
    const queue = workQueue(stack, 'Queue', { fifo: true });
    const fn = inlineFunction(stack, 'Function');
    queue.grantConsumeMessages(fn);
    // SqsEventSource refuses a batching window on a FIFO queue; the EventSourceMapping construct does not.
    new lambda.EventSourceMapping(stack, 'Mapping', {
      target: fn,
      eventSourceArn: queue.queueArn,
      maxBatchingWindow: fixed ? undefined : Duration.seconds(5),
      reportBatchItemFailures: true,
    });
  },
};
