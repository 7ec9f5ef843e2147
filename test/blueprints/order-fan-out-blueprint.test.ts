import { Template } from 'aws-cdk-lib/assertions';
import { logicalId, strictApp } from '../../harness/app';
import { expectCompliant } from '../../harness/compliance';
import { OrderFanOutBlueprint } from '../../src/blueprints/order-fan-out-blueprint';

describe('OrderFanOutBlueprint', () => {
  const app = strictApp();
  const stack = new OrderFanOutBlueprint(app, 'OrderFanOutBlueprint', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const template = Template.fromStack(stack);

  test('fans the order-placed topic out to fulfilment, billing and analytics', () => {
    expect(stack.orderPlaced.queues).toEqual([stack.fulfilment, stack.billing, stack.analytics]);
    template.resourceCountIs('AWS::SNS::Subscription', 3);
  });

  test('analytics takes only orders of 1,000 or more; billing gets the raw order under its own key', () => {
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription'));
    const endpointOf = (queue: typeof stack.billing) => ({ 'Fn::GetAtt': [logicalId(queue.queue), 'Arn'] });
    const analytics = subscriptions.find(
      (s) => JSON.stringify(s.Properties.Endpoint) === JSON.stringify(endpointOf(stack.analytics)),
    );
    expect(analytics?.Properties.FilterPolicy).toEqual({ orderTotal: [{ numeric: ['>=', 1000] }] });
    const billing = subscriptions.find(
      (s) => JSON.stringify(s.Properties.Endpoint) === JSON.stringify(endpointOf(stack.billing)),
    );
    expect(billing?.Properties.RawMessageDelivery).toBe(true);
    expect(stack.billing.encryptionKey).toBeDefined();
  });

  test('what SNS cannot deliver to any of the three lands in one subscription dead-letter queue, which alarms', () => {
    const dlq = stack.orderPlaced.subscriptionDeadLetterQueue!;
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription'));
    expect(subscriptions.map((s) => s.Properties.RedrivePolicy)).toEqual(
      Array(3).fill({ deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(dlq.queue), 'Arn'] } }),
    );
    expect(stack.orderPlaced.alarms).toEqual(
      expect.arrayContaining([
        stack.orderPlaced.subscriptionDeadLetterQueueNotEmptyAlarm,
        stack.orderPlaced.subscriptionDeadLetterQueueMessageAgeAlarm,
      ]),
    );
  });

  test('the threshold is a prop', () => {
    const other = new OrderFanOutBlueprint(strictApp(), 'Other', { largeOrderThreshold: 250 });
    const subscriptions = Object.values(Template.fromStack(other).findResources('AWS::SNS::Subscription'));
    expect(subscriptions.map((s) => s.Properties.FilterPolicy).filter(Boolean)).toEqual([
      { orderTotal: [{ numeric: ['>=', 250] }] },
    ]);
  });

  test('rejects a negative threshold', () => {
    expect(() => new OrderFanOutBlueprint(strictApp(), 'Bad', { largeOrderThreshold: -1 })).toThrow(
      /^\[Bad\] largeOrderThreshold must be a finite number of at least 0, got -1$/,
    );
  });

  test('outputs the topic, the three queue URLs and the alarm topic', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual([
      'OrderPlacedTopicArn',
      'FulfilmentQueueUrl',
      'BillingQueueUrl',
      'AnalyticsQueueUrl',
      'AlarmTopicArn',
    ]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
