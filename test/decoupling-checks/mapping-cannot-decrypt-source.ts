import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack, deadLetterQueue, inlineFunction } from './corpus';

/** A function reading a queue encrypted with a key its role may not use. */
export const mappingCannotDecryptSource: CorpusCase = {
  rule: 'Decoupling-MappingCannotDecryptSource',
  mistake: "the function's role is granted the SQS actions by hand, without kms:Decrypt on the queue's key",
  build(app, fixed) {
    const stack = corpusStack(app);
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const queue = new sqs.Queue(stack, 'Queue', {
      encryptionMasterKey: key,
      visibilityTimeout: Duration.seconds(180),
      deadLetterQueue: { queue: deadLetterQueue(stack, 'DeadLetterQueue'), maxReceiveCount: 5 },
    });
    const fn = inlineFunction(stack, 'Function');
    if (fixed) {
      queue.grantConsumeMessages(fn);
    } else {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
          resources: [queue.queueArn],
        }),
      );
    }
    new lambda.EventSourceMapping(stack, 'Mapping', {
      target: fn,
      eventSourceArn: queue.queueArn,
      reportBatchItemFailures: true,
    });
  },
};
