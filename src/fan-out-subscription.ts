import { Annotations, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { notifyingAlarm } from './private/alarms';
import {
  describeStatements,
  letTopicSendTo,
  nameOf,
  StatementForOwner,
  topicTraits,
  validateQueueForTopic,
} from './private/topic-fan-out/delivery';
import { renderDeliveryPolicy, Shown } from './private/topic-fan-out/delivery-policy';
import {
  validateArn,
  validateEmailAddress,
  validateHttpsUrl,
  validatePhoneNumber,
} from './private/topic-fan-out/endpoints';
import { validateBoolean, validateSubscriptionLimits } from './private/topic-fan-out/subscription-validation';
import { validateTopic } from './private/topic-fan-out/topic-validation';
import { invalidProp, joinAlternatives, validateEnumValue } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';

/**
 * What a subscriber receives: filters that select the messages it gets.
 */
export interface FanOutFilterOptions {
  /**
   * Deliver only messages whose message attributes match this filter policy.
   *
   * SNS accepts 1 to 5 keys, at most 150 combinations of values (the product of the number
   * of values of each key) and numbers from -10^9 to 10^9; these limits are checked at synth.
   * Mutually exclusive with `filterPolicyWithMessageBody`.
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
   * SNS's limits are checked at synth: `numRetries` and the phase counts whole numbers 0..100,
   * the phase counts no more than `numRetries` (3 when not given), delays whole seconds 1..3,600
   * with `minDelayTarget` <= `maxDelayTarget` (each 20 s when not given), a total retry time of
   * at most 3,600 s, one of the four backoff functions, `maxReceivesPerSecond` a whole number of at
   * least 1, and `headerContentType` a content type. Values given as tokens pass through (a
   * deploy-time delay must be given with `Duration.seconds`).
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

  /**
   * The delivery protocol. Behind a FIFO topic, SQS only (SNS FIFO topics deliver to queues only).
   * Not FIREHOSE: a Firehose subscription needs a subscription role, which aws-cdk-lib's
   * `FirehoseSubscription` (through `TopicFanOut.addSubscription`) takes.
   */
  readonly protocol: sns.SubscriptionProtocol;

  /**
   * The endpoint, of the protocol's kind: an https:// (or http://) URL, an email address, an E.164 phone
   * number, or the ARN of a queue, function or mobile platform endpoint. A deploy-time value is not checked.
   */
  readonly endpoint: string;

  /**
   * Deliver the message body as published, without the SNS JSON envelope (SQS and HTTP/S only;
   * refused for other protocols).
   *
   * @default false
   */
  readonly rawMessageDelivery?: boolean;

  /**
   * How SNS retries and throttles delivery (HTTP/S only; refused for other protocols); SNS's limits
   * are checked at synth, values given as tokens pass through (a deploy-time delay with `Duration.seconds`).
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

const HTTP_PROTOCOLS: string[] = [sns.SubscriptionProtocol.HTTP, sns.SubscriptionProtocol.HTTPS];

/**
 * "Amazon SNS raw message delivery" (https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html):
 * raw delivery is for Amazon SQS, HTTP/S and Amazon Data Firehose endpoints.
 */
const RAW_DELIVERY_PROTOCOLS: string[] = [
  sns.SubscriptionProtocol.SQS,
  sns.SubscriptionProtocol.HTTP,
  sns.SubscriptionProtocol.HTTPS,
  sns.SubscriptionProtocol.FIREHOSE,
];

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
    validateProps(this, props);
    validateSubscriptionLimits(this, '', props);
    validateQueueForTopic(this, 'deadLetterQueue', props.deadLetterQueue, topicTraits(props.topic), 'deadLetterQueue');

    const isHttp = HTTP_PROTOCOLS.includes(props.protocol);
    this.deadLetterQueue = props.deadLetterQueue;
    // Without a sid the send statement is the one sns.Subscription adds itself, so the policy holds it once.
    const wiring = letTopicSendTo(props.topic.topicArn, this.deadLetterQueue, { scope: this, prop: 'deadLetterQueue' });

    // A subscription lives in its topic's Region; CloudFormation must be told when that is not the stack's.
    const topicRegion = props.topic.env.region;
    const stackRegion = Stack.of(this).region;
    const crossRegion =
      !Token.isUnresolved(topicRegion) && !Token.isUnresolved(stackRegion) && topicRegion !== stackRegion;
    this.subscription = new sns.Subscription(this, 'Subscription', {
      topic: props.topic,
      protocol: props.protocol,
      endpoint: props.endpoint,
      region: crossRegion ? topicRegion : undefined,
      filterPolicy: props.filterPolicy,
      filterPolicyWithMessageBody: props.filterPolicyWithMessageBody,
      rawMessageDelivery: props.rawMessageDelivery,
      deadLetterQueue: this.deadLetterQueue,
    });
    const deliveryPolicy = props.deliveryPolicy ?? (isHttp ? DEFAULT_HTTP_DELIVERY_POLICY : undefined);
    if (deliveryPolicy) {
      // Rendered here rather than by sns.Subscription, which throws on values given as tokens
      // (it compares them with its limits); the limits were checked above, tokens aside.
      (this.subscription.node.defaultChild as sns.CfnSubscription).deliveryPolicy =
        renderDeliveryPolicy(deliveryPolicy);
    }
    // SNS moves a message to the dead-letter queue only if that queue's policies let it: wait for them.
    this.subscription.node.addDependency(...wiring.dependables);

    this.statementsForDeadLetterQueueOwner = wiring.notAdded.map(({ statement }) => statement);
    if (wiring.notAdded.length > 0) {
      const queueNotManaged = wiring.notAdded.some(({ where }) => where.startsWith('the queue policy'));
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:deadLetterQueuePolicyNotManaged',
        `The dead-letter queue ${nameOf(this.deadLetterQueue, this.deadLetterQueue.queueArn)}${queueNotManaged ? '' : "'s key"} is not managed by this app, so SNS cannot move undeliverable messages into it until its owner adds these statements (they are in statementsForDeadLetterQueueOwner): ` +
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
   * this construct cannot (an imported or cross-account queue, its key, or a function whose
   * policy this app cannot change). Empty when the endpoint is fully wired. SNS delivers
   * nothing until they are in place.
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
  public _addStatementsForEndpointOwner(statements: StatementForOwner[]): void {
    this.endpointOwnerStatements.push(...statements.map(({ statement }) => statement));
  }
}

/**
 * What a JavaScript or jsii caller can get wrong that TypeScript would catch, and what SNS refuses for a
 * protocol: the endpoint's format, raw delivery and delivery policies where the protocol has none, and
 * anything but a queue behind a FIFO topic.
 */
function validateProps(scope: Construct, props: FanOutSubscriptionProps): void {
  if (typeof props !== 'object' || props === null) {
    throw invalidProp(scope, 'props', 'must be a FanOutSubscriptionProps object', props);
  }
  validateTopic(scope, 'topic', props.topic, true);
  validateTopic(scope, 'alarmTopic', props.alarmTopic, false);
  if (props.protocol === undefined) {
    throw invalidProp(scope, 'protocol', 'must be given (a SubscriptionProtocol)', props.protocol);
  }
  validateEnumValue(scope, 'protocol', props.protocol, 'SubscriptionProtocol', sns.SubscriptionProtocol);
  validateBoolean(scope, 'deadLetterQueueAlarm', props.deadLetterQueueAlarm);
  if (props.deadLetterQueue === undefined) {
    throw invalidProp(
      scope,
      'deadLetterQueue',
      'must be given (an sqs.IQueue SNS moves undeliverable messages to)',
      undefined,
    );
  }
  const protocol = props.protocol;
  if (protocol === sns.SubscriptionProtocol.FIREHOSE) {
    // sns.Subscription needs a subscription role for Firehose, which these props do not take.
    throw invalidProp(
      scope,
      'protocol',
      "must not be FIREHOSE here (a Firehose subscription needs a subscription role): subscribe aws-cdk-lib's FirehoseSubscription with TopicFanOut.addSubscription",
      protocol,
    );
  }
  // "SNS FIFO topics can't deliver messages to customer managed endpoints ... Attempts to subscribe customer
  // managed endpoints to SNS FIFO topics result in errors"; Lambda functions are reached through a queue
  // (Amazon SNS message delivery for FIFO topics, https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html).
  if (props.topic.fifo && protocol !== sns.SubscriptionProtocol.SQS) {
    throw invalidProp(
      scope,
      'protocol',
      'must be SQS behind a FIFO topic (SNS FIFO topics deliver only to SQS queues)',
      protocol,
    );
  }
  switch (protocol) {
    case sns.SubscriptionProtocol.HTTPS:
      validateHttpsUrl(scope, 'endpoint', props.endpoint);
      break;
    case sns.SubscriptionProtocol.HTTP:
      if (!(
        typeof props.endpoint === 'string' &&
        (Token.isUnresolved(props.endpoint) || /^http:\/\/[^/\s]+/i.test(props.endpoint))
      )) {
        throw invalidProp(scope, 'endpoint', 'must be an http:// URL for the HTTP protocol', props.endpoint);
      }
      break;
    case sns.SubscriptionProtocol.EMAIL:
    case sns.SubscriptionProtocol.EMAIL_JSON:
      validateEmailAddress(scope, 'endpoint', props.endpoint);
      break;
    case sns.SubscriptionProtocol.SMS:
      validatePhoneNumber(scope, 'endpoint', props.endpoint);
      break;
    case sns.SubscriptionProtocol.SQS:
      validateArn(scope, 'endpoint', props.endpoint, 'an SQS queue');
      break;
    case sns.SubscriptionProtocol.LAMBDA:
      validateArn(scope, 'endpoint', props.endpoint, 'a Lambda function');
      break;
    case sns.SubscriptionProtocol.APPLICATION:
      validateArn(scope, 'endpoint', props.endpoint, 'a mobile platform endpoint');
      break;
  }
  if (props.rawMessageDelivery === true && !RAW_DELIVERY_PROTOCOLS.includes(protocol)) {
    throw invalidProp(
      scope,
      'rawMessageDelivery',
      `may be true only for the ${joinAlternatives(RAW_DELIVERY_PROTOCOLS)} protocols (SNS delivers the envelope to every other protocol), not ${protocol}`,
      true,
    );
  }
  if (props.deliveryPolicy !== undefined && !HTTP_PROTOCOLS.includes(protocol)) {
    // "With the exception of HTTP/S, you can't change Amazon SNS-defined delivery policies"
    // (Amazon SNS message delivery retries, https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html).
    throw invalidProp(
      scope,
      'deliveryPolicy',
      `may be given only for the http and https protocols (SNS's own policy applies to every other), not ${protocol}`,
      new Shown('a DeliveryPolicy'),
    );
  }
}
