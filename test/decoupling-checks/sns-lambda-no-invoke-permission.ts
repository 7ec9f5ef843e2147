import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CorpusCase, corpusStack, inlineFunction } from './corpus';

/** A topic delivering to a function that does not let it invoke. */
export const snsLambdaNoInvokePermission: CorpusCase = {
  rule: 'Decoupling-SnsLambdaNoInvokePermission',
  mistake: 'no AWS::Lambda::Permission lets the topic invoke the function',
  build(app, fixed) {
    const stack = corpusStack(app);
    const topic = new sns.Topic(stack, 'Topic');
    const fn = inlineFunction(stack, 'Function');
    // The generic Subscription, unlike LambdaSubscription, does not add the permission.
    new sns.Subscription(stack, 'Subscription', {
      topic,
      protocol: sns.SubscriptionProtocol.LAMBDA,
      endpoint: fn.functionArn,
    });
    if (fixed) {
      fn.addPermission('InvokedBySns', {
        principal: new iam.ServicePrincipal('sns.amazonaws.com'),
        sourceArn: topic.topicArn,
      });
    }
  },
};
