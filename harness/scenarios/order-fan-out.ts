// The scenario of the order fan-out blueprint: the order service publishes "order placed" events,
// some of them large, and each subscriber queue must get exactly its share: fulfilment and billing
// every order, analytics only the large ones; billing the raw order, the others the SNS envelope.
// runOrderFanOut prints nothing: the blueprint's behaviour test asserts on its report;
// demoOrderFanOut is the main job's step.
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import { Message, SQSClient } from '@aws-sdk/client-sqs';
import { chunk } from '../io/batching';
import { drainQueue } from '../io/sqs-drain';
import type { LocalAws } from '../local-aws';
import { DeployedStacks, fmt, printResult, seconds } from '../report';

export interface OrderFanOutOptions {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly topicArn: string;
  readonly fulfilmentQueueUrl: string;
  readonly billingQueueUrl: string;
  readonly analyticsQueueUrl: string;
  /** @default 1000 */
  readonly orders?: number;
  /** Every n-th order is large. @default 10 */
  readonly everyNthLarge?: number;
  /** The blueprint's `largeOrderThreshold`. @default 1000 */
  readonly largeOrderThreshold?: number;
  /**
   * Orders published before the queues are drained. moto 5.2.5 recounts a queue's messages on every
   * send, so a deep backlog slows it quadratically; real consumers keep up the same way.
   * @default 50
   */
  readonly round?: number;
  readonly onProgress?: (published: number, orders: number) => void;
}

/** What one subscriber queue received. */
export interface QueueTally {
  readonly queue: 'fulfilment' | 'billing' | 'analytics';
  readonly expected: number;
  /** Distinct expected orders received. */
  readonly received: number;
  readonly lost: number;
  /** Orders received more than once (SQS standard queues deliver at least once). */
  readonly duplicates: number;
  /** Orders this queue should not have got (a small order in analytics). */
  readonly misrouted: number;
  /** Bodies in the wrong shape: an envelope where raw delivery was asked for, or the reverse. */
  readonly wrongShape: number;
}

export interface OrderFanOutReport {
  readonly orders: number;
  readonly large: number;
  readonly published: number;
  readonly queues: QueueTally[];
  readonly ms: number;
}

interface Order {
  readonly orderId: string;
  readonly orderTotal: number;
}

export async function runOrderFanOut(options: OrderFanOutOptions): Promise<OrderFanOutReport> {
  const startedAt = Date.now();
  const count = options.orders ?? 1000;
  const everyNthLarge = options.everyNthLarge ?? 10;
  const threshold = options.largeOrderThreshold ?? 1000;
  const orders: Order[] = Array.from({ length: count }, (_, n) => ({
    orderId: `order-${n}`,
    orderTotal: n % everyNthLarge === 0 ? threshold + n : Math.max(0, threshold - 1 - (n % 500)),
  }));
  const isLarge = (order: Order) => order.orderTotal >= threshold;

  const tallies = {
    fulfilment: new Tally('fulfilment', orders, false),
    billing: new Tally('billing', orders, true),
    analytics: new Tally('analytics', orders.filter(isLarge), false),
  };

  let published = 0;
  for (const round of chunk(orders, options.round ?? 50)) {
    for (const batch of chunk(round, 10)) {
      const { Failed = [] } = await options.sns.send(
        new PublishBatchCommand({
          TopicArn: options.topicArn,
          PublishBatchRequestEntries: batch.map((order) => ({
            Id: order.orderId,
            Message: JSON.stringify(order),
            MessageAttributes: { orderTotal: { DataType: 'Number', StringValue: String(order.orderTotal) } },
          })),
        }),
      );
      published += batch.length - Failed.length;
    }
    await Promise.all([
      drainQueue(options.sqs, options.fulfilmentQueueUrl, round.length, (m) => tallies.fulfilment.add(m)),
      drainQueue(options.sqs, options.billingQueueUrl, round.length, (m) => tallies.billing.add(m)),
      drainQueue(options.sqs, options.analyticsQueueUrl, round.filter(isLarge).length, (m) => tallies.analytics.add(m)),
    ]);
    options.onProgress?.(published, count);
  }

  return {
    orders: count,
    large: orders.filter(isLarge).length,
    published,
    queues: [tallies.fulfilment.report(), tallies.billing.report(), tallies.analytics.report()],
    ms: Date.now() - startedAt,
  };
}

/** Why the scenario failed, one line per problem; empty when every queue got exactly its share. */
export function orderFanOutFailures(report: OrderFanOutReport): string[] {
  const failures: string[] = [];
  if (report.published !== report.orders) {
    failures.push(`${report.orders - report.published} of ${report.orders} orders could not be published`);
  }
  for (const q of report.queues) {
    if (q.lost > 0) {
      failures.push(`${q.queue}: ${q.lost} of ${q.expected} orders lost`);
    }
    if (q.misrouted > 0) {
      failures.push(`${q.queue}: ${q.misrouted} orders that its filter should have kept out`);
    }
    if (q.wrongShape > 0) {
      failures.push(`${q.queue}: ${q.wrongShape} messages in the wrong shape (raw vs SNS envelope)`);
    }
  }
  return failures;
}

class Tally {
  private readonly expectedIds: Set<string>;
  private readonly seen = new Set<string>();
  private duplicates = 0;
  private misrouted = 0;
  private wrongShape = 0;

  constructor(
    private readonly queue: QueueTally['queue'],
    expected: Order[],
    private readonly raw: boolean,
  ) {
    this.expectedIds = new Set(expected.map((order) => order.orderId));
  }

  public add(message: Message): void {
    const order = this.parse(message.Body ?? '');
    if (!order) {
      this.wrongShape++;
      return;
    }
    if (!this.expectedIds.has(order.orderId)) {
      this.misrouted++;
    } else if (this.seen.has(order.orderId)) {
      this.duplicates++;
    } else {
      this.seen.add(order.orderId);
    }
  }

  public report(): QueueTally {
    return {
      queue: this.queue,
      expected: this.expectedIds.size,
      received: this.seen.size,
      lost: this.expectedIds.size - this.seen.size,
      duplicates: this.duplicates,
      misrouted: this.misrouted,
      wrongShape: this.wrongShape,
    };
  }

  /** The order in the body, if the body has the shape this queue's subscription promises. */
  private parse(body: string): Order | undefined {
    try {
      const parsed = JSON.parse(body);
      if (this.raw) {
        return typeof parsed.orderId === 'string' ? parsed : undefined;
      }
      return parsed.Type === 'Notification' ? JSON.parse(parsed.Message) : undefined;
    } catch {
      return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The scenario in the main job: the deployed OrderFanOutBlueprint, printed.

const DEMO_STACK = 'OrderFanOutBlueprint';
const DEMO_ORDERS = 1000;

export async function demoOrderFanOut(local: LocalAws, deployed: DeployedStacks): Promise<number> {
  const target = deployed.get(DEMO_STACK);
  if (!target) {
    console.error(`\nThe assembly has no ${DEMO_STACK} stack, so there is nothing to run the order scenario on.`);
    return 1;
  }
  const { OrderPlacedTopicArn, FulfilmentQueueUrl, BillingQueueUrl, AnalyticsQueueUrl } = target.outputs;
  if (!OrderPlacedTopicArn || !FulfilmentQueueUrl || !BillingQueueUrl || !AnalyticsQueueUrl) {
    console.error(`\n${DEMO_STACK} lacks an output the scenario needs (outputs: ${JSON.stringify(target.outputs)})`);
    return 1;
  }
  console.log(
    `\nRunning the order scenario on ${DEMO_STACK}: ${fmt(DEMO_ORDERS)} orders published to the order-placed topic, ` +
      'every tenth large (>= 1,000); fulfilment and billing (raw) must get all, analytics only the large ones',
  );
  const report = await runOrderFanOut({
    sns: local.sns(),
    sqs: local.sqs(),
    topicArn: OrderPlacedTopicArn,
    fulfilmentQueueUrl: FulfilmentQueueUrl,
    billingQueueUrl: BillingQueueUrl,
    analyticsQueueUrl: AnalyticsQueueUrl,
    orders: DEMO_ORDERS,
  });
  console.log(
    `Order scenario: ${fmt(report.published)} orders published, ${fmt(report.large)} large, in ${seconds(report.ms)}`,
  );
  console.log(
    `  ${'queue'.padEnd(12)} ${'expected'.padStart(8)} ${'received'.padStart(8)} ${'lost'.padStart(5)} ${'dupl.'.padStart(5)} ${'misrouted'.padStart(9)} ${'wrong shape'.padStart(11)}`,
  );
  for (const q of report.queues) {
    console.log(
      `  ${q.queue.padEnd(12)} ${fmt(q.expected).padStart(8)} ${fmt(q.received).padStart(8)} ${fmt(q.lost).padStart(5)} ` +
        `${fmt(q.duplicates).padStart(5)} ${fmt(q.misrouted).padStart(9)} ${fmt(q.wrongShape).padStart(11)}`,
    );
  }
  return printResult(
    orderFanOutFailures(report),
    'every order reached every queue it should, and no other; billing got raw orders, the others the SNS envelope.',
  );
}
