import {
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  DeleteMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { chunk, forEachConcurrently } from '../harness/io/batching';
import { deployStack } from '../harness/local-aws';
import { useLocalAws } from '../harness/local-aws/jest';
import { WorkQueue, WorkQueueEncryption, WorkQueueProps } from '../src';

// Behaviour on the embedded local AWS (moto), deployed from WorkQueue's real synthesized
// template. The first run creates the moto venv, hence the generous timeout.
const local = useLocalAws();

let sqs: SQSClient;

beforeAll(async () => {
  sqs = local().sqs();
});

interface DeployedWorkQueue {
  queueUrl: string;
  deadLetterQueueUrl: string;
}

async function deployWorkQueue(stackName: string, props: WorkQueueProps): Promise<DeployedWorkQueue> {
  const stack = new Stack(new App(), stackName, { env: { account: local().account, region: local().region } });
  new WorkQueue(stack, 'Jobs', props);
  const deployed = await deployStack(local(), stack);
  return {
    queueUrl: deployed.byPath(`${stackName}/Jobs/Queue`),
    deadLetterQueueUrl: deployed.byPath(`${stackName}/Jobs/DeadLetterQueue`),
  };
}

async function receive(queueUrl: string, options: { visibilityTimeout?: number; wait?: number; max?: number } = {}) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.max ?? 10,
      WaitTimeSeconds: options.wait ?? 0,
      VisibilityTimeout: options.visibilityTimeout,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

async function countMessages(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}

describe('a message that keeps failing', () => {
  test('moves to the dead-letter queue after maxReceiveCount receives, body and attributes intact', async () => {
    const { queueUrl, deadLetterQueueUrl } = await deployWorkQueue('Redrive', {
      maxReceiveCount: 3,
      encryption: WorkQueueEncryption.KMS,
    });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"video":"cat.mp4"}',
        MessageAttributes: { jobType: { DataType: 'String', StringValue: 'encode' } },
      }),
    );

    // Received and not deleted three times (released at once instead of waiting out the visibility timeout).
    for (let attempt = 1; attempt <= 3; attempt++) {
      const messages = await receive(queueUrl, { visibilityTimeout: 0 });
      expect(messages).toHaveLength(1);
      expect(messages[0].Attributes!.ApproximateReceiveCount).toBe(String(attempt));
    }
    // The next receive finds it over the limit: SQS moves it instead of delivering it.
    expect(await receive(queueUrl, { visibilityTimeout: 0 })).toEqual([]);
    expect(await countMessages(queueUrl)).toBe(0);

    const [dead] = await receive(deadLetterQueueUrl);
    expect(dead.Body).toBe('{"video":"cat.mp4"}');
    expect(dead.MessageAttributes).toEqual({ jobType: { DataType: 'String', StringValue: 'encode' } });
  });
});

describe('deliveryDelay', () => {
  test('a new message stays invisible until the delay has passed', async () => {
    const { queueUrl } = await deployWorkQueue('Delay', { deliveryDelay: Duration.seconds(2) });
    const sentAt = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'later' }));

    expect(await receive(queueUrl)).toEqual([]);
    let received: Message[] = [];
    while (received.length === 0 && Date.now() - sentAt < 10_000) {
      received = await receive(queueUrl, { wait: 1 });
    }
    expect(received.map((m) => m.Body)).toEqual(['later']);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(2_000);
  });
});

describe('FIFO', () => {
  test('drops a duplicate body within the deduplication window (content-based)', async () => {
    const { queueUrl } = await deployWorkQueue('FifoContent', { fifo: true, contentBasedDeduplication: true });
    for (let i = 0; i < 2; i++) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'order-1', MessageGroupId: 'g' }));
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'order-2', MessageGroupId: 'g' }));
    expect((await receive(queueUrl)).map((m) => m.Body)).toEqual(['order-1', 'order-2']);
  });

  test('drops a duplicate deduplication id, whatever the body (explicit id)', async () => {
    const { queueUrl } = await deployWorkQueue('FifoExplicit', { fifo: true, highThroughputFifo: true });
    for (const body of ['first', 'second attempt']) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: body,
          MessageGroupId: 'g',
          MessageDeduplicationId: 'order-1',
        }),
      );
    }
    expect((await receive(queueUrl)).map((m) => m.Body)).toEqual(['first']);
  });

  test('keeps order within a message group', async () => {
    const { queueUrl } = await deployWorkQueue('FifoOrder', { fifo: true, contentBasedDeduplication: true });
    const groups = ['a', 'b'];
    for (let i = 0; i < 30; i++) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: `${groups[i % 2]}-${i}`,
          MessageGroupId: groups[i % 2],
        }),
      );
    }
    const seen: Record<string, number[]> = { a: [], b: [] };
    for (let received = await receive(queueUrl); received.length > 0; received = await receive(queueUrl)) {
      for (const message of received) {
        const [group, index] = message.Body!.split('-');
        seen[group].push(Number(index));
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: received.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    expect(seen.a).toEqual([...Array(15).keys()].map((k) => k * 2));
    expect(seen.b).toEqual([...Array(15).keys()].map((k) => k * 2 + 1));
  });
});

describe('at scale', () => {
  test('10,000 messages sent in batches are all received; none lost', async () => {
    const { queueUrl } = await deployWorkQueue('Scale', {});
    const total = 10_000;
    const ids = [...Array(total).keys()].map((i) => `job-${i}`);
    const receivedCounts = new Map<string, number>();
    let sent = 0;
    let sendsDone = false;

    // moto's SendMessage counts the whole queue on every message (O(backlog)), so a 10,000-message
    // backlog takes it minutes; a producer that waits while more than MAX_BACKLOG messages are
    // unreceived keeps it linear. Real SQS needs no such care.
    const MAX_BACKLOG = 50;
    const send = forEachConcurrently(chunk(ids, 10), 4, async (batch) => {
      while (sent - receivedCounts.size > MAX_BACKLOG) await new Promise((r) => setTimeout(r, 5));
      sent += batch.length;
      const { Failed } = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((id) => ({ Id: id, MessageBody: id })),
        }),
      );
      expect(Failed ?? []).toEqual([]);
    }).finally(() => (sendsDone = true));
    const receiver = async () => {
      let emptyPollsAfterSends = 0;
      while (emptyPollsAfterSends < 3) {
        const messages = await receive(queueUrl, { visibilityTimeout: 30 });
        if (messages.length === 0) {
          if (sendsDone) emptyPollsAfterSends++;
          continue;
        }
        emptyPollsAfterSends = 0;
        for (const m of messages) receivedCounts.set(m.Body!, (receivedCounts.get(m.Body!) ?? 0) + 1);
        // A stale receipt (the message was handed out again) fails to delete; the copy is taken below.
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    };
    const started = Date.now();
    await Promise.all([send, ...[...Array(4)].map(receiver)]);
    // At least once: under load moto can hand one message to two concurrent receives, and a copy whose
    // receipt went stale is not deleted by the stale handle; it reappears when its visibility timeout ends.
    // Take every such copy (each must be of a job already received) until nothing is left in the queue.
    const deadline = Date.now() + 90_000;
    while ((await countMessages(queueUrl)) > 0 && Date.now() < deadline) {
      const leftover = await receive(queueUrl, { visibilityTimeout: 30, wait: 5 });
      for (const m of leftover) {
        expect(receivedCounts.has(m.Body!)).toBe(true);
        receivedCounts.set(m.Body!, receivedCounts.get(m.Body!)! + 1);
      }
      if (leftover.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: leftover.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    }

    const lost = ids.filter((id) => !receivedCounts.has(id));
    const duplicates = [...receivedCounts.values()].filter((n) => n > 1).length;
    // At-least-once delivery allows duplicates: they are reported, not failed. A loss fails.
    console.log(
      `at scale: sent ${total}, received ${receivedCounts.size} unique, duplicates ${duplicates}, lost ${lost.length}, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(lost).toEqual([]);
    expect(receivedCounts.size).toBe(total);
    expect(await countMessages(queueUrl)).toBe(0);
  });
});
