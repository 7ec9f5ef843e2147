import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack, inlineFunction } from './corpus';

/** A FIFO topic subscribed by a Lambda function. */
export const fifoTopicToNonSqs: CorpusCase = {
  rule: 'Decoupling-FifoTopicToNonSqs',
  mistake: 'a FIFO topic delivers to a Lambda function directly',
  build(app, fixed) {
    const stack = corpusStack(app);
    const topic = new sns.Topic(stack, 'Topic', { fifo: true, topicName: 'prices.fifo' });
    if (fixed) {
      // FIFO topics deliver to SQS only: subscribe a FIFO queue, which a function may then read.
      topic.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Queue', { fifo: true })));
    } else {
      topic.addSubscription(new subscriptions.LambdaSubscription(inlineFunction(stack, 'Function')));
    }
  },
};
