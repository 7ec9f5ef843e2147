import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import {
  customerPoliciesOfRole,
  destroyOrReset,
  getEventSourceMapping,
  userFunction,
} from './queue-processing-function.fixtures';
import { deployStack } from '../harness/local-aws';
import { useLocalAws } from '../harness/local-aws/jest';
import { QueueProcessingFunction } from '../src/queue-processing-function';
import { WorkQueue } from '../src/work-queue';

// QueueProcessingFunction deployed into the embedded local AWS (moto), from its real synthesized template.
//
// What moto models, and this file shows: the function, its role and the customer-managed policy attached to
// the role (exactly the four consume actions on the queue); the event source mapping with the settings the
// construct gives it (queue ARN, batch size, batching window, maximum concurrency, partial batch responses,
// no starting position, no destination; a FIFO queue's batch of 10 and no window), created after the policy;
// a disabled mapping leaves messages in the queue.
//
// What moto cannot show, and is proven elsewhere: that Lambda polls, invokes and deletes (moto runs
// functions only in Docker, which these machines lack, so no mapping here is invoked: a message sent to an
// enabled mapping's queue would make moto try); partial batch responses, throttling, maximum concurrency and
// scaling at run time; Lambda's own refusals when it creates a mapping (a function timeout above the
// visibility timeout, a role without ReceiveMessage: moto checks neither, which is why the construct checks
// the first at synth and orders the second with DependsOn); IAM and KMS enforcement (proven offline in
// queue-processing-function.access.test.ts); alarms (moto never evaluates them; asserted on the template);
// the stack's deletion order (moto deletes the role before detaching the policy; see destroyOrReset).
const local = useLocalAws();

function newStack(name: string): Stack {
  return new Stack(new App(), name, { env: { account: local().account, region: local().region } });
}

describe('QueueProcessingFunction in the local AWS', () => {
  test('the mapping reads the WorkQueue with partial batch responses, the batch, window and concurrency asked', async () => {
    const stack = newStack('QueueConsumer');
    const jobs = new WorkQueue(stack, 'Jobs', { visibilityTimeout: Duration.minutes(1) });
    const handler = userFunction(stack, 'Handler', { timeout: Duration.seconds(10) });
    new QueueProcessingFunction(stack, 'Worker', {
      queue: jobs,
      handler,
      batchSize: 50,
      maxBatchingWindow: Duration.seconds(5),
      maxConcurrency: 20,
    });
    const deployed = await deployStack(local(), stack);
    try {
      const mapping = await getEventSourceMapping(local(), deployed.byPath('QueueConsumer/Worker/EventSourceMapping'));
      const queueUrl = deployed.byPath('QueueConsumer/Jobs/Queue');
      const { Attributes } = await local()
        .sqs()
        .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
      expect(mapping).toMatchObject({
        EventSourceArn: Attributes!.QueueArn,
        FunctionArn: expect.stringMatching(/:function:/),
        BatchSize: 50,
        MaximumBatchingWindowInSeconds: 5,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 20 },
        State: 'Enabled',
      });
      expect(mapping.StartingPosition).toBeUndefined();
      expect(mapping.DestinationConfig).toBeUndefined();

      // The function's role holds the construct's customer-managed policy: the four consume actions on the queue.
      const roleName = deployed.byPath('QueueConsumer/Handler/ServiceRole');
      expect(await customerPoliciesOfRole(local(), roleName)).toEqual([
        {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: [
                'sqs:ReceiveMessage',
                'sqs:DeleteMessage',
                'sqs:ChangeMessageVisibility',
                'sqs:GetQueueAttributes',
              ],
              Resource: Attributes!.QueueArn,
            },
          ],
        },
      ]);
      // What moto could not create (alarms, the queue policy it skips and local-aws re-creates, ...).
      expect(deployed.gaps.unfilled.map((gap) => gap.type)).not.toContain('AWS::Lambda::EventSourceMapping');
    } finally {
      await destroyOrReset(local(), deployed);
    }
  });

  test('a FIFO WorkQueue is mapped as FIFO; a disabled mapping leaves its messages in the queue', async () => {
    const stack = newStack('FifoConsumer');
    const orders = new WorkQueue(stack, 'Orders', {
      fifo: true,
      contentBasedDeduplication: true,
      visibilityTimeout: Duration.minutes(1),
    });
    new QueueProcessingFunction(stack, 'Worker', {
      queue: orders,
      handler: userFunction(stack, 'Handler', { timeout: Duration.seconds(10) }),
      enabled: false,
    });
    const deployed = await deployStack(local(), stack);
    try {
      const mapping = await getEventSourceMapping(local(), deployed.byPath('FifoConsumer/Worker/EventSourceMapping'));
      expect(mapping).toMatchObject({
        BatchSize: 10,
        State: 'Disabled',
        EventSourceArn: expect.stringMatching(/\.fifo$/),
      });
      expect(mapping.MaximumBatchingWindowInSeconds).toBeUndefined();

      const queueUrl = deployed.byPath('FifoConsumer/Orders/Queue');
      await local()
        .sqs()
        .send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'order-1', MessageGroupId: 'g' }));
      const { Attributes } = await local()
        .sqs()
        .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
      expect(Attributes!.ApproximateNumberOfMessages).toBe('1');
    } finally {
      await destroyOrReset(local(), deployed);
    }
  });
});
