import { PublishBatchCommand, PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import { Message, SQSClient } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { chunk } from '../harness/io/batching';
import { drainQueue } from '../harness/io/sqs-drain';
import { deployStack } from '../harness/local-aws';
import { useLocalAws } from '../harness/local-aws/jest';
import { TopicFanOut } from '../src/topic-fan-out';

// Behaviour on the embedded local AWS (moto), deployed from TopicFanOut's synthesized template:
// SNS -> SQS delivery, filter policies, raw delivery and FIFO ordering are modelled faithfully by
// moto; the key and queue policies are not enforced there (the access proofs cover them).
const local = useLocalAws(600_000);

let sqs: SQSClient;
let snsClient: SNSClient;

beforeAll(async () => {
  sqs = local().sqs();
  snsClient = local().sns();
});

/** What arrived in one queue: bodies by message id, duplicates counted apart. */
class Tally {
  public readonly bodies = new Map<string, string>();
  public duplicates = 0;

  public add(id: string, body: string): void {
    if (this.bodies.has(id)) {
      this.duplicates++;
    } else {
      this.bodies.set(id, body);
    }
  }
}

async function publishBatch(topicArn: string, entries: PublishBatchRequestEntry[]): Promise<void> {
  const { Failed = [] } = await snsClient.send(
    new PublishBatchCommand({ TopicArn: topicArn, PublishBatchRequestEntries: entries }),
  );
  expect(Failed).toEqual([]);
}

describe('a standard fan-out to three queues', () => {
  const TOTAL = 10_000;
  // moto recounts a queue's messages on every send, so a deep backlog slows it quadratically:
  // publish in rounds and drain after each one, as consumers keeping up would.
  const ROUND = 50;
  const isLarge = (n: number) => n % 10 === 0;
  const bodyOf = (n: number) => JSON.stringify({ orderId: `order-${n}`, size: isLarge(n) ? 'large' : 'small' });

  const tallies = { fulfilment: new Tally(), billing: new Tally(), analytics: new Tally() };
  let topicArn: string;

  beforeAll(async () => {
    const stack = new Stack(new App(), 'FanOutStandard', { env: { account: local().account, region: local().region } });
    const fanOut = new TopicFanOut(stack, 'Orders');
    fanOut.addQueue('Fulfilment');
    fanOut.addQueue('Billing', { rawMessageDelivery: true });
    fanOut.addQueue('Analytics', {
      filterPolicy: { size: sns.SubscriptionFilter.stringFilter({ allowlist: ['large'] }) },
    });
    const deployed = await deployStack(local(), stack);
    topicArn = deployed.byPath('FanOutStandard/Orders/Topic');
    const queueUrl = (name: string) => deployed.byPath(`FanOutStandard/Orders/Queues/${name}/Queue`);
    const urls = { fulfilment: queueUrl('Fulfilment'), billing: queueUrl('Billing'), analytics: queueUrl('Analytics') };

    const orders = Array.from({ length: TOTAL }, (_, n) => n);
    for (const round of chunk(orders, ROUND)) {
      for (const batch of chunk(round, 10)) {
        await publishBatch(
          topicArn,
          batch.map((n) => ({
            Id: `m${n}`,
            Message: bodyOf(n),
            MessageAttributes: { size: { DataType: 'String', StringValue: isLarge(n) ? 'large' : 'small' } },
          })),
        );
      }
      // Each message is identified by its order id, read from the body (raw) or the envelope's Message.
      const record = (tally: Tally, raw: boolean) => (m: Message) => {
        const body = raw ? m.Body! : JSON.parse(m.Body!).Message;
        tally.add(JSON.parse(body).orderId, m.Body!);
      };
      await Promise.all([
        drainQueue(sqs, urls.fulfilment, round.length, record(tallies.fulfilment, false)),
        drainQueue(sqs, urls.billing, round.length, record(tallies.billing, true)),
        drainQueue(sqs, urls.analytics, round.filter(isLarge).length, record(tallies.analytics, false)),
      ]);
    }
  });

  test.each(['fulfilment', 'billing'] as const)('every message reaches the %s queue: lost = 0', (name) => {
    const tally = tallies[name];
    const lost = TOTAL - tally.bodies.size;
    // Duplicates are counted apart from loss. Standard queues may deliver twice in AWS; moto delivers
    // exactly once, so any duplicate here would mean the queue was subscribed twice.
    expect({ received: tally.bodies.size, lost, duplicates: tally.duplicates }).toEqual({
      received: TOTAL,
      lost: 0,
      duplicates: 0,
    });
  });

  test('the filtered queue receives exactly the large orders', () => {
    const expected = Array.from({ length: TOTAL }, (_, n) => n)
      .filter(isLarge)
      .map((n) => `order-${n}`);
    expect([...tallies.analytics.bodies.keys()].sort()).toEqual(expected.sort());
  });

  test('raw delivery gives the bare body', () => {
    expect(tallies.billing.bodies.get('order-7')).toBe(bodyOf(7));
  });

  test('the default delivery wraps the body in the SNS envelope naming the topic', () => {
    const envelope = JSON.parse(tallies.fulfilment.bodies.get('order-7')!);
    expect(envelope).toMatchObject({ Type: 'Notification', TopicArn: topicArn, Message: bodyOf(7) });
    expect(envelope.MessageAttributes).toEqual({ size: { Type: 'String', Value: 'small' } });
  });
});

describe('a FIFO fan-out to two FIFO queues', () => {
  const GROUPS = ['customer-a', 'customer-b', 'customer-c'];
  const PER_GROUP = 100;
  const received: Record<string, Message[]> = { wholesale: [], retail: [] };

  beforeAll(async () => {
    const stack = new Stack(new App(), 'FanOutFifo', { env: { account: local().account, region: local().region } });
    const fanOut = new TopicFanOut(stack, 'Prices', { fifo: true });
    fanOut.addQueue('Wholesale');
    fanOut.addQueue('Retail', { rawMessageDelivery: true });
    const deployed = await deployStack(local(), stack);
    const topicArn = deployed.byPath('FanOutFifo/Prices/Topic');

    // Interleave the groups, and publish every tenth message twice with the same deduplication id.
    const entries: PublishBatchRequestEntry[] = [];
    for (let seq = 0; seq < PER_GROUP; seq++) {
      for (const group of GROUPS) {
        const entry = {
          Message: JSON.stringify({ group, seq }),
          MessageGroupId: group,
          MessageDeduplicationId: `${group}-${seq}`,
        };
        entries.push({ ...entry, Id: `${group}-${seq}` });
        if (seq % 10 === 0) {
          entries.push({ ...entry, Id: `${group}-${seq}-again` });
        }
      }
    }
    for (const batch of chunk(entries, 10)) {
      await publishBatch(topicArn, batch);
    }
    await Promise.all(
      (['wholesale', 'retail'] as const).map((name) => {
        const url = deployed.byPath(`FanOutFifo/Prices/Queues/${name === 'wholesale' ? 'Wholesale' : 'Retail'}/Queue`);
        return drainQueue(sqs, url, GROUPS.length * PER_GROUP, (m) => received[name].push(m));
      }),
    );
  });

  test.each(['wholesale', 'retail'])('the %s queue gets every message once, in order within each group', (name) => {
    const bodies = received[name].map((m) => {
      const body = name === 'retail' ? m.Body! : JSON.parse(m.Body!).Message;
      return JSON.parse(body) as { group: string; seq: number };
    });
    expect(bodies).toHaveLength(GROUPS.length * PER_GROUP);
    for (const group of GROUPS) {
      const sequence = bodies.filter((b) => b.group === group).map((b) => b.seq);
      expect(sequence).toEqual(Array.from({ length: PER_GROUP }, (_, seq) => seq));
    }
  });
});
