import { Annotations, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { notifyingAlarm } from './private/alarms';
import {
  describeStatements,
  letTopicSendTo,
  topicTraits,
  validateQueueForTopic,
} from './private/topic-fan-out/delivery';
import { validateSubscriptionLimits } from './private/topic-fan-out/subscription-validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * What a subscriber receives: filters that select the messages it gets.
 */
export interface FanOutFilterOptions {
  /**
   * Deliver only messages whose message attributes match this filter policy.
   *
   * SNS accepts at most 5 keys and at most 150 combinations of values (the product
   * of the number of values of each key). Mutually exclusive with `filterPolicyWithMessageBody`.
   *
   * @default - every message is delivered
   */
  readonly filterPolicy?: Record<string, sns.SubscriptionFilter>;

  /**
   * Deliver only messages whose JSON body matches this filter policy (`FilterPolicyScope: MessageBody`).
   *
   * SNS accepts at most 5 top-level keys and at most 150 combinations of values.
   * Mutually exclusive with `filterPolicy`.
   *
   * @default - every message is delivered
   */
  readonly filterPolicyWithMessageBody?: Record<string, sns.FilterOrPolicy>;
}

/**
 * Options of a subscription whose endpoint can take the bare message (SQS, HTTPS).
 */
export interface FanOutSubscriptionOptions extends FanOutFilterOptions {
  /**
   * Deliver the message body as published, without the SNS JSON envelope.
   *
   * @default false
   */
  readonly rawMessageDelivery?: boolean;

  /**
   * Where SNS moves a message it cannot deliver to this subscriber (client errors such as a
   * deleted queue or a policy that denies SNS, or retries exhausted). For `addQueue` this is
   * not the queue's own dead-letter queue, which receives the messages its consumers fail on.
   *
   * It must be of the topic's type (FIFO or standard) and in the subscription's account and Region,
   * and not under the AWS-managed `alias/aws/sqs` key. The fan-out lets SNS send to it, and use
   * its key, for this topic only; where it cannot change the queue's or the key's policy (an
   * imported queue or key), the subscription's `statementsForDeadLetterQueueOwner` holds the
   * statements to add. The subscription alarms when a message waits in it.
   *
   * @default - the fan-out's shared subscription dead-letter queue
   */
  readonly deadLetterQueue?: sqs.IQueue;
}

/**
 * Options of an HTTPS subscriber.
 */
export interface FanOutHttpsSubscriptionOptions extends FanOutSubscriptionOptions {
  /**
   * How SNS retries and throttles delivery to the endpoint.
   *
   * SNS's limits are checked at synth: `numRetries` 0..100, delays 1..3,600 s with
   * `minDelayTarget` <= `maxDelayTarget`, the phase counts no more than `numRetries`,
   * a total retry time of at most 3,600 s, and `maxReceivesPerSecond` of at least 1.
   *
   * @default - for HTTP/S: 12 retries, 2 at 10 s, 8 with exponential backoff from 10 s to 300 s, 2 at 300 s (at most about 50 minutes in all), no throttle
   */
  readonly deliveryPolicy?: sns.DeliveryPolicy;
}

/**
 * Properties of a FanOutSubscription. TopicFanOut's `add*` methods build them; the endpoint's own
 * policies are the fan-out's business, the dead-letter queue's are the subscription's.
 */
export interface FanOutSubscriptionProps extends FanOutFilterOptions {
  /** The topic to subscribe to. */
  readonly topic: sns.ITopic;

  /** The delivery protocol. */
  readonly protocol: sns.SubscriptionProtocol;

  /** The endpoint: a queue or function ARN, a URL, an email address or a phone number. */
  readonly endpoint: string;

  /**
   * Deliver the message body as published, without the SNS JSON envelope (SQS and HTTP/S only).
   *
   * @default false
   */
  readonly rawMessageDelivery?: boolean;

  /**
   * How SNS retries and throttles delivery (HTTP/S only); SNS's limits are checked at synth.
   *
   * @default - for HTTP/S: 12 retries, 2 at 10 s, 8 with exponential backoff from 10 s to 300 s, 2 at 300 s, no throttle; none for other protocols
   */
  readonly deliveryPolicy?: sns.DeliveryPolicy;

  /**
   * Where SNS moves a message it cannot deliver. The subscription lets SNS send to it, and use its
   * key, for this topic only (or returns the statements in `statementsForDeadLetterQueueOwner`).
   */
  readonly deadLetterQueue: sqs.IQueue;

  /**
   * Whether the subscription alarms when a message waits in `deadLetterQueue`. Turn it off only when
   * that queue is watched already, as TopicFanOut's shared subscription dead-letter queue is.
   *
   * @default true
   */
  readonly deadLetterQueueAlarm?: boolean;

  /**
   * The topic the alarm notifies.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * The retry policy HTTPS subscribers get unless they bring their own: patient enough
 * to ride out a deploy or a short outage of the endpoint, bounded well below SNS's
 * one-hour limit, and never hammering a struggling endpoint.
 */
const DEFAULT_HTTP_DELIVERY_POLICY: sns.DeliveryPolicy = {
  healthyRetryPolicy: {
    numRetries: 12,
    numNoDelayRetries: 0,
    numMinDelayRetries: 2,
    numMaxDelayRetries: 2,
    minDelayTarget: Duration.seconds(10),
    maxDelayTarget: Duration.seconds(300),
    backoffFunction: sns.BackoffFunction.EXPONENTIAL,
  },
};

/**
 * One subscriber of a TopicFanOut: the SNS subscription and the dead-letter queue SNS moves a
 * message to when it cannot deliver it, which only this topic may send to.
 *
 * Created by the `add*` methods of TopicFanOut, under `<fanOut>/Subscriptions/<id>`.
 */
export class FanOutSubscription extends Construct {
  /** The SNS subscription. */
  public readonly subscription: sns.Subscription;

  /**
   * Where SNS puts messages it could not deliver to the endpoint (client errors such
   * as a deleted queue or a policy that denies SNS, or retries exhausted): the fan-out's
   * shared subscription dead-letter queue unless the subscriber was given its own.
   */
  public readonly deadLetterQueue: sqs.IQueue;

  /**
   * Alarms when at least one undeliverable message waits in the dead-letter queue, when that
   * queue is the subscriber's own (the shared one has its alarms on the fan-out).
   */
  public readonly deadLetterQueueNotEmptyAlarm?: cloudwatch.Alarm;

  /**
   * Policy statements the owner of the dead-letter queue must add to its policies, because
   * this construct cannot (an imported queue, or its key). Empty when the queue is fully wired.
   */
  public readonly statementsForDeadLetterQueueOwner: iam.PolicyStatement[];

  private readonly endpointOwnerStatements: iam.PolicyStatement[] = [];

  constructor(scope: Construct, id: string, props: FanOutSubscriptionProps) {
    super(scope, id);
    validateSubscriptionLimits(this, '', props);
    validateQueueForTopic(this, 'deadLetterQueue', props.deadLetterQueue, topicTraits(props.topic), 'deadLetterQueue');

    const isHttp =
      props.protocol === sns.SubscriptionProtocol.HTTPS || props.protocol === sns.SubscriptionProtocol.HTTP;
    this.deadLetterQueue = props.deadLetterQueue;
    // Without a sid the send statement is the one sns.Subscription adds itself, so the policy holds it once.
    const wiring = letTopicSendTo(props.topic.topicArn, this.deadLetterQueue);

    this.subscription = new sns.Subscription(this, 'Subscription', {
      topic: props.topic,
      protocol: props.protocol,
      endpoint: props.endpoint,
      filterPolicy: props.filterPolicy,
      filterPolicyWithMessageBody: props.filterPolicyWithMessageBody,
      rawMessageDelivery: props.rawMessageDelivery,
      deliveryPolicy: props.deliveryPolicy ?? (isHttp ? DEFAULT_HTTP_DELIVERY_POLICY : undefined),
      deadLetterQueue: this.deadLetterQueue,
    });
    // SNS moves a message to the dead-letter queue only if that queue's policies let it: wait for them.
    this.subscription.node.addDependency(...wiring.dependables);

    this.statementsForDeadLetterQueueOwner = wiring.notAdded;
    if (wiring.notAdded.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:deadLetterQueuePolicyNotManaged',
        `The dead-letter queue ${this.deadLetterQueue.queueArn} is not managed by this app, so SNS cannot move undeliverable messages into it until its owner adds these statements (the first to the queue policy${wiring.notAdded.length > 1 ? ', the second to the key policy' : ''}): ` +
          describeStatements(props.topic, wiring.notAdded),
      );
    }

    if (props.deadLetterQueueAlarm ?? true) {
      this.deadLetterQueueNotEmptyAlarm = notifyingAlarm(this, 'DeadLetterQueueNotEmptyAlarm', {
        alarmTopic: props.alarmTopic ?? StackAlarmTopic.of(this).topic,
        description: `SNS could not deliver messages to the ${props.protocol} subscriber ${this.node.path}; they wait in its dead-letter queue.`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(1),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      });
    }
  }

  /**
   * Policy statements the owner of the endpoint must add to its own policies, because
   * this construct cannot (an imported or cross-account queue, or its key). Empty when
   * the endpoint is fully wired. SNS delivers nothing until they are in place.
   */
  public get statementsForEndpointOwner(): iam.PolicyStatement[] {
    return [...this.endpointOwnerStatements];
  }

  /** Every alarm of this subscriber: its own dead-letter queue not empty, if it has one. */
  public get alarms(): cloudwatch.Alarm[] {
    return this.deadLetterQueueNotEmptyAlarm ? [this.deadLetterQueueNotEmptyAlarm] : [];
  }

  /**
   * Records what the endpoint's owner must add; the fan-out wires the endpoint, so only it knows.
   *
   * @internal
   */
  public _addStatementsForEndpointOwner(statements: iam.PolicyStatement[]): void {
    this.endpointOwnerStatements.push(...statements);
  }
}
