import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack } from './corpus';

/** A topic subscribed by a queue whose policy does not let the topic send. */
export const snsQueueNoSendPermission: CorpusCase = {
  rule: 'Decoupling-SnsQueueNoSendPermission',
  mistake: 'the queue has no queue policy letting sns.amazonaws.com send for the topic',
  build(app, fixed) {
    const stack = corpusStack(app);
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Queue');
    // The generic Subscription, unlike SqsSubscription, does not write the queue policy.
    new sns.Subscription(stack, 'Subscription', {
      topic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: queue.queueArn,
    });
    if (fixed) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
        }),
      );
    }
  },
};
