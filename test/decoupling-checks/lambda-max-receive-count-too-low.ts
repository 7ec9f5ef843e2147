import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { CorpusCase, corpusStack, inlineFunction, workQueue } from './corpus';

/** A queue read by Lambda that gives up on a message after 2 receives. */
export const lambdaMaxReceiveCountTooLow: CorpusCase = {
  rule: 'Decoupling-LambdaMaxReceiveCountTooLow',
  mistake: 'maxReceiveCount is 2 on a queue Lambda reads',
  build(app, fixed) {
    const stack = corpusStack(app);
    const queue = workQueue(stack, 'Queue', { maxReceiveCount: fixed ? 5 : 2 });
    inlineFunction(stack, 'Function').addEventSource(
      new sources.SqsEventSource(queue, { reportBatchItemFailures: true }),
    );
  },
};
