import { App } from 'aws-cdk-lib';
import { deployStack } from '../../harness/local-aws';
import { useLocalAws } from '../../harness/local-aws/jest';
import { orderFanOutFailures, runOrderFanOut } from '../../harness/scenarios/order-fan-out';
import { OrderFanOutBlueprint } from '../../src/blueprints/order-fan-out-blueprint';

// The order scenario of the main job, on the blueprint deployed into the embedded local AWS.
const local = useLocalAws();

test('500 orders, every tenth large: fulfilment and billing get all, analytics exactly the large ones', async () => {
  const stack = new OrderFanOutBlueprint(new App(), 'OrderFanOutBlueprint', {
    env: { account: local().account, region: local().region },
  });
  const deployed = await deployStack(local(), stack);

  const report = await runOrderFanOut({
    sns: local().sns(),
    sqs: local().sqs(),
    topicArn: deployed.outputs.OrderPlacedTopicArn,
    fulfilmentQueueUrl: deployed.outputs.FulfilmentQueueUrl,
    billingQueueUrl: deployed.outputs.BillingQueueUrl,
    analyticsQueueUrl: deployed.outputs.AnalyticsQueueUrl,
    orders: 500,
  });

  expect(orderFanOutFailures(report)).toEqual([]);
  expect(report.queues.map(({ queue, received, lost, misrouted }) => ({ queue, received, lost, misrouted }))).toEqual([
    { queue: 'fulfilment', received: 500, lost: 0, misrouted: 0 },
    { queue: 'billing', received: 500, lost: 0, misrouted: 0 },
    { queue: 'analytics', received: 50, lost: 0, misrouted: 0 },
  ]);
});
