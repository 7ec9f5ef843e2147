import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { invalidProp } from '../private/validation';
import { TopicFanOut } from '../topic-fan-out';
import { WorkQueue, WorkQueueEncryption } from '../work-queue';

/**
 * Properties of the order fan-out blueprint.
 */
export interface OrderFanOutBlueprintProps extends StackProps {
  /**
   * The order total (the `orderTotal` number attribute of each message) from which an
   * order counts as large and reaches the analytics queue.
   *
   * @default 1000
   */
  readonly largeOrderThreshold?: number;
}

/**
 * An order placed once, fanned out: the order service publishes an "order placed"
 * event to one topic, and fulfilment, billing and analytics each get their own queue
 * and work at their own pace. Analytics only takes large orders (a filter policy on
 * the `orderTotal` message attribute); billing gets the raw order, without the SNS envelope,
 * under a customer-managed key.
 */
export class OrderFanOutBlueprint extends Stack {
  /** The "order placed" topic and its subscribers. */
  public readonly orderPlaced: TopicFanOut;

  /** Orders to pick, pack and ship. */
  public readonly fulfilment: WorkQueue;

  /** Orders to invoice (raw message delivery, KMS-encrypted). */
  public readonly billing: WorkQueue;

  /** Large orders only, for the analytics team. */
  public readonly analytics: WorkQueue;

  constructor(scope: Construct, id: string, props: OrderFanOutBlueprintProps = {}) {
    super(scope, id, props);
    const threshold = props.largeOrderThreshold ?? 1000;
    if (!Number.isFinite(threshold) || threshold < 0) {
      throw invalidProp(this, 'largeOrderThreshold', 'must be a finite number of at least 0', threshold);
    }

    this.orderPlaced = new TopicFanOut(this, 'OrderPlaced');
    this.fulfilment = this.orderPlaced.addQueue('Fulfilment', { visibilityTimeout: Duration.minutes(5) });
    this.billing = this.orderPlaced.addQueue('Billing', {
      encryption: WorkQueueEncryption.KMS,
      rawMessageDelivery: true,
      visibilityTimeout: Duration.minutes(2),
    });
    this.analytics = this.orderPlaced.addQueue('Analytics', {
      filterPolicy: {
        orderTotal: sns.SubscriptionFilter.numericFilter({ greaterThanOrEqualTo: threshold }),
      },
      retentionPeriod: Duration.days(7),
    });

    new CfnOutput(this, 'OrderPlacedTopicArn', { value: this.orderPlaced.topicArn });
    new CfnOutput(this, 'FulfilmentQueueUrl', { value: this.fulfilment.queueUrl });
    new CfnOutput(this, 'BillingQueueUrl', { value: this.billing.queueUrl });
    new CfnOutput(this, 'AnalyticsQueueUrl', { value: this.analytics.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.orderPlaced.alarmTopic.topicArn });
  }
}
