import { Duration } from 'aws-cdk-lib';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { CorpusCase, corpusStack, inlineFunction, workQueue } from './corpus';

/** A queue whose visibility timeout is under six times its function's timeout. */
export const visibilityTimeoutTooShort: CorpusCase = {
  rule: 'Decoupling-VisibilityTimeoutTooShort',
  mistake: "the queue's visibility timeout (60 s) is under six times the function's timeout (30 s)",
  build(app, fixed) {
    const stack = corpusStack(app);
    const queue = workQueue(stack, 'Queue', { visibilityTimeout: Duration.seconds(fixed ? 180 : 60) });
    inlineFunction(stack, 'Function', Duration.seconds(30)).addEventSource(
      new sources.SqsEventSource(queue, { reportBatchItemFailures: true }),
    );
  },
};
