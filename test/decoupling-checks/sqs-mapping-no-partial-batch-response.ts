import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { CorpusCase, corpusStack, inlineFunction, workQueue } from './corpus';

/** A function reading batches of 10 without reporting batch item failures. */
export const sqsMappingNoPartialBatchResponse: CorpusCase = {
  rule: 'Decoupling-SqsMappingNoPartialBatchResponse',
  mistake: 'the mapping reads batches of 10 without ReportBatchItemFailures',
  build(app, fixed) {
    const stack = corpusStack(app);
    const queue = workQueue(stack, 'Queue');
    inlineFunction(stack, 'Function').addEventSource(
      new sources.SqsEventSource(queue, { reportBatchItemFailures: fixed }),
    );
  },
};
