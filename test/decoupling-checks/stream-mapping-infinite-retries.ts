import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { CorpusCase, corpusStack, deadLetterQueue, inlineFunction } from './corpus';

/** A Kinesis mapping that retries a failing batch forever, with nowhere to put it. */
export const streamMappingInfiniteRetries: CorpusCase = {
  rule: 'Decoupling-StreamMappingInfiniteRetries',
  mistake: 'the Kinesis mapping keeps the default infinite retries and has no on-failure destination',
  build(app, fixed) {
    const stack = corpusStack(app);
    const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.MANAGED });
    inlineFunction(stack, 'Function').addEventSource(
      new sources.KinesisEventSource(stream, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        ...(fixed
          ? {
              retryAttempts: 3,
              bisectBatchOnError: true,
              onFailure: new sources.SqsDlq(deadLetterQueue(stack, 'FailedRecords')),
            }
          : {}),
      }),
    );
  },
};
