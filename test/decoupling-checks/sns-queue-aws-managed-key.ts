import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack } from './corpus';

/** A topic subscribed by a queue encrypted with the AWS-managed key alias/aws/sqs. */
export const snsQueueAwsManagedKey: CorpusCase = {
  rule: 'Decoupling-SnsQueueAwsManagedKey',
  mistake: 'the subscribed queue is encrypted with alias/aws/sqs, which SNS cannot use',
  build(app, fixed) {
    const stack = corpusStack(app);
    const topic = new sns.Topic(stack, 'Topic');
    const queue = new sqs.Queue(stack, 'Queue', {
      encryption: fixed ? sqs.QueueEncryption.SQS_MANAGED : sqs.QueueEncryption.KMS_MANAGED,
    });
    // aws-cdk-lib's SqsSubscription refuses a KMS_MANAGED queue; the generic Subscription does not.
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
        conditions: { ArnEquals: { 'aws:SourceArn': topic.topicArn } },
      }),
    );
  },
};
