import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CorpusCase, corpusStack, inlineFunction } from './corpus';

/** Raw message delivery on a Lambda subscription. */
export const rawDeliveryUnsupportedProtocol: CorpusCase = {
  rule: 'Decoupling-RawDeliveryUnsupportedProtocol',
  mistake: 'raw message delivery is enabled on a lambda subscription',
  build(app, fixed) {
    const stack = corpusStack(app);
    const topic = new sns.Topic(stack, 'Topic');
    const fn = inlineFunction(stack, 'Function');
    fn.addPermission('InvokedBySns', {
      principal: new iam.ServicePrincipal('sns.amazonaws.com'),
      sourceArn: topic.topicArn,
    });
    // aws-cdk-lib's Subscription refuses raw delivery on Lambda; a CfnSubscription (or an override) does not.
    new sns.CfnSubscription(stack, 'Subscription', {
      topicArn: topic.topicArn,
      protocol: 'lambda',
      endpoint: fn.functionArn,
      rawMessageDelivery: fixed ? undefined : true,
    });
  },
};
