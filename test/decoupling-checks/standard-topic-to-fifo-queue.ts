import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack } from './corpus';

/** A standard topic feeding a FIFO queue. */
export const standardTopicToFifoQueue: CorpusCase = {
  rule: 'Decoupling-StandardTopicToFifoQueue',
  mistake: 'the topic is standard, the queue FIFO',
  build(app, fixed) {
    const stack = corpusStack(app);
    const topic = new sns.Topic(stack, 'Topic', fixed ? { fifo: true, topicName: 'orders.fifo' } : {});
    const queue = new sqs.Queue(stack, 'Queue', { fifo: true });
    topic.addSubscription(new subscriptions.SqsSubscription(queue));
  },
};
