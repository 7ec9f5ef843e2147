import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack } from './corpus';

/** A queue policy that lets any topic send. */
export const snsQueuePolicyNoSourceArn: CorpusCase = {
  rule: 'Decoupling-SnsQueuePolicyNoSourceArn',
  mistake: 'the queue policy trusts sns.amazonaws.com without an aws:SourceArn condition',
  build(app, fixed) {
    const stack = corpusStack(app);
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Queue');
    new sns.Subscription(stack, 'Subscription', {
      topic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: queue.queueArn,
    });
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
        conditions: fixed ? { ArnEquals: { 'aws:SourceArn': topic.topicArn } } : undefined,
      }),
    );
  },
};
