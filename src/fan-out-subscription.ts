import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IDependable } from 'constructs';
import { notifyingAlarm } from './private/alarms';
import { invalidProp } from './private/validation';
import { WorkQueue, WorkQueueEncryption } from './work-queue';

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
 * Everything a FanOutSubscription needs; built by TopicFanOut.
 */
export interface FanOutSubscriptionProps extends FanOutHttpsSubscriptionOptions {
  /** The topic to subscribe to. */
  readonly topic: sns.ITopic;

  /** The delivery protocol. */
  readonly protocol: sns.SubscriptionProtocol;

  /** The endpoint: a queue or function ARN, a URL, an email address or a phone number. */
  readonly endpoint: string;

  /**
   * The customer-managed key the subscription's dead-letter queue is encrypted with.
   * SNS must be allowed to use it for this topic.
   *
   * @default - SQS-managed encryption (SSE-SQS)
   */
  readonly deadLetterQueueEncryptionKey?: kms.IKey;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Resources that must exist before the subscription, such as the endpoint's policy.
   *
   * @default - none
   */
  readonly dependsOn?: IDependable[];

  /**
   * Policy statements the owner of the endpoint must add because this construct cannot
   * (an imported or cross-account queue or key).
   *
   * @default - none
   */
  readonly statementsForEndpointOwner?: iam.PolicyStatement[];
}

/** SNS's documented limits of a filter policy. */
const FILTER_POLICY_MAX_KEYS = 5;
const FILTER_POLICY_MAX_COMBINATIONS = 150;

/** SNS's documented limits of an HTTP/S delivery policy. */
const DELIVERY_POLICY_MAX_RETRIES = 100;
const DELIVERY_POLICY_MAX_DELAY_SECONDS = 3600;
const DELIVERY_POLICY_MAX_TOTAL_RETRY_SECONDS = 3600;

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
 * One subscriber of a TopicFanOut: the SNS subscription, the dead-letter queue SNS
 * moves a message to when it cannot deliver it, and an alarm when that queue is not empty.
 *
 * Created by the `add*` and `subscribeQueue` methods of TopicFanOut.
 */
export class FanOutSubscription extends Construct {
  /** The SNS subscription. */
  public readonly subscription: sns.Subscription;

  /**
   * Where SNS puts messages it could not deliver to the endpoint (client errors such
   * as a deleted queue or a policy that denies SNS, or retries exhausted). Kept 14 days.
   */
  public readonly deadLetterQueue: WorkQueue;

  /** Alarms when at least one undeliverable message waits in the subscription's dead-letter queue. */
  public readonly deadLetterQueueNotEmptyAlarm: cloudwatch.Alarm;

  /**
   * Policy statements the owner of the endpoint must add to its own policies, because
   * this construct cannot (an imported or cross-account queue, or its key). Empty when
   * the endpoint is fully wired. SNS delivers nothing until they are in place.
   */
  public readonly statementsForEndpointOwner: iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: FanOutSubscriptionProps) {
    super(scope, id);
    validateFilterPolicies(this, props);
    if (props.deliveryPolicy) {
      validateDeliveryPolicy(this, props.deliveryPolicy);
    }
    const isHttp =
      props.protocol === sns.SubscriptionProtocol.HTTPS || props.protocol === sns.SubscriptionProtocol.HTTP;
    const deliveryPolicy = props.deliveryPolicy ?? (isHttp ? DEFAULT_HTTP_DELIVERY_POLICY : undefined);

    this.deadLetterQueue = new WorkQueue(this, 'DeadLetterQueue', {
      fifo: props.topic.fifo,
      // SNS stamps the message when it moves it here; keep it as long as SQS allows.
      retentionPeriod: Duration.days(14),
      deadLetterRetentionPeriod: Duration.days(14),
      encryption: props.deadLetterQueueEncryptionKey ? WorkQueueEncryption.KMS : WorkQueueEncryption.SQS_MANAGED,
      encryptionKey: props.deadLetterQueueEncryptionKey,
      alarmTopic: props.alarmTopic,
    });
    Annotations.of(this.deadLetterQueue).acknowledgeWarning(
      'cdk-decoupling-patterns:deadLetterRetentionNotLonger',
      'This queue holds messages SNS could not deliver and is kept the SQS maximum of 14 days; its own dead-letter queue (for messages a reprocessing consumer fails on) cannot be kept longer.',
    );

    this.subscription = new sns.Subscription(this, 'Subscription', {
      topic: props.topic,
      protocol: props.protocol,
      endpoint: props.endpoint,
      filterPolicy: props.filterPolicy,
      filterPolicyWithMessageBody: props.filterPolicyWithMessageBody,
      rawMessageDelivery: props.rawMessageDelivery,
      deliveryPolicy,
      deadLetterQueue: this.deadLetterQueue,
    });
    for (const dependency of props.dependsOn ?? []) {
      this.subscription.node.addDependency(dependency);
    }
    this.statementsForEndpointOwner = [...(props.statementsForEndpointOwner ?? [])];

    this.deadLetterQueueNotEmptyAlarm = notifyingAlarm(this, 'DeadLetterQueueNotEmptyAlarm', {
      alarmTopic: this.deadLetterQueue.alarmTopic,
      description: `SNS could not deliver messages to the ${props.protocol} subscriber ${this.node.path}; they wait in its dead-letter queue.`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
  }

  /** Every alarm of this subscriber: its dead-letter queue not empty, and that queue's own alarms. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.deadLetterQueueNotEmptyAlarm, ...this.deadLetterQueue.alarms];
  }
}

function validateFilterPolicies(scope: Construct, options: FanOutFilterOptions): void {
  if (options.filterPolicy && options.filterPolicyWithMessageBody) {
    throw invalidProp(
      scope,
      'filterPolicy',
      'and filterPolicyWithMessageBody are mutually exclusive (SNS filters on attributes or on the body, not both)',
      `keys ${Object.keys(options.filterPolicy).join(', ')}`,
    );
  }
  if (options.filterPolicy) {
    const keys = Object.keys(options.filterPolicy);
    validateFilterKeyCount(scope, 'filterPolicy', keys);
    const combinations = keys.reduce((product, key) => product * options.filterPolicy![key].conditions.length, 1);
    validateFilterCombinations(scope, 'filterPolicy', combinations);
  }
  if (options.filterPolicyWithMessageBody) {
    validateFilterKeyCount(scope, 'filterPolicyWithMessageBody', Object.keys(options.filterPolicyWithMessageBody));
    validateFilterCombinations(
      scope,
      'filterPolicyWithMessageBody',
      bodyFilterCombinations(options.filterPolicyWithMessageBody),
    );
  }
}

function validateFilterKeyCount(scope: Construct, prop: string, keys: string[]): void {
  if (keys.length > FILTER_POLICY_MAX_KEYS) {
    throw invalidProp(
      scope,
      prop,
      `may have at most ${FILTER_POLICY_MAX_KEYS} top-level keys (an SNS limit)`,
      `${keys.length} keys (${keys.join(', ')})`,
    );
  }
}

function validateFilterCombinations(scope: Construct, prop: string, combinations: number): void {
  if (combinations > FILTER_POLICY_MAX_COMBINATIONS) {
    throw invalidProp(
      scope,
      prop,
      `may have at most ${FILTER_POLICY_MAX_COMBINATIONS} combinations of values (the product of the number of values of each key; an SNS limit)`,
      `${combinations} combinations`,
    );
  }
}

/** SNS multiplies the number of values of every leaf key, however deep it is nested. */
function bodyFilterCombinations(policy: Record<string, sns.FilterOrPolicy>): number {
  let product = 1;
  for (const value of Object.values(policy)) {
    if (value.isPolicy()) {
      product *= bodyFilterCombinations((value as sns.Policy).policyDoc);
    } else if (value.isFilter()) {
      product *= (value as sns.Filter).filterDoc.conditions.length;
    }
  }
  return product;
}

function validateDeliveryPolicy(scope: Construct, policy: sns.DeliveryPolicy): void {
  const retry = policy.healthyRetryPolicy;
  if (retry) {
    const numRetries = retry.numRetries ?? 3;
    const phaseCounts: Array<[string, number | undefined]> = [
      ['numNoDelayRetries', retry.numNoDelayRetries],
      ['numMinDelayRetries', retry.numMinDelayRetries],
      ['numMaxDelayRetries', retry.numMaxDelayRetries],
    ];
    const checkedCounts: Array<[string, number | undefined]> = [['numRetries', retry.numRetries], ...phaseCounts];
    for (const [name, value] of checkedCounts) {
      if (value === undefined || Token.isUnresolved(value)) {
        continue;
      }
      if (!Number.isInteger(value) || value < 0 || value > DELIVERY_POLICY_MAX_RETRIES) {
        throw invalidProp(
          scope,
          `deliveryPolicy.healthyRetryPolicy.${name}`,
          `must be an integer between 0 and ${DELIVERY_POLICY_MAX_RETRIES}`,
          value,
        );
      }
    }
    const minDelay = delaySeconds(scope, 'minDelayTarget', retry.minDelayTarget) ?? 20;
    const maxDelay = delaySeconds(scope, 'maxDelayTarget', retry.maxDelayTarget) ?? 20;
    if (minDelay > maxDelay) {
      throw invalidProp(
        scope,
        'deliveryPolicy.healthyRetryPolicy.minDelayTarget',
        `must not exceed maxDelayTarget (${maxDelay} seconds)`,
        retry.minDelayTarget ?? Duration.seconds(minDelay),
      );
    }
    if (
      Token.isUnresolved(numRetries) ||
      phaseCounts.some(([, value]) => value !== undefined && Token.isUnresolved(value))
    ) {
      return;
    }
    const [noDelay, atMinDelay, atMaxDelay] = phaseCounts.map(([, value]) => value ?? 0);
    if (noDelay + atMinDelay + atMaxDelay > numRetries) {
      throw invalidProp(
        scope,
        'deliveryPolicy.healthyRetryPolicy',
        `numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries (${numRetries})`,
        noDelay + atMinDelay + atMaxDelay,
      );
    }
    // The backoff retries wait at least minDelayTarget each, so this is the shortest the
    // policy can take; SNS refuses any policy that takes longer than an hour.
    const backoffRetries = numRetries - noDelay - atMinDelay - atMaxDelay;
    const shortestTotal = atMinDelay * minDelay + backoffRetries * minDelay + atMaxDelay * maxDelay;
    if (shortestTotal > DELIVERY_POLICY_MAX_TOTAL_RETRY_SECONDS) {
      throw invalidProp(
        scope,
        'deliveryPolicy.healthyRetryPolicy',
        `must retry for at most ${DELIVERY_POLICY_MAX_TOTAL_RETRY_SECONDS} seconds in all (an SNS limit)`,
        `at least ${shortestTotal} seconds`,
      );
    }
  }
  const maxReceivesPerSecond = policy.throttlePolicy?.maxReceivesPerSecond;
  if (
    maxReceivesPerSecond !== undefined &&
    !Token.isUnresolved(maxReceivesPerSecond) &&
    (!Number.isInteger(maxReceivesPerSecond) || maxReceivesPerSecond < 1)
  ) {
    throw invalidProp(
      scope,
      'deliveryPolicy.throttlePolicy.maxReceivesPerSecond',
      'must be an integer of at least 1',
      maxReceivesPerSecond,
    );
  }
}

function delaySeconds(scope: Construct, name: string, delay: Duration | undefined): number | undefined {
  if (delay === undefined || delay.isUnresolved()) {
    return undefined;
  }
  const millis = delay.toMilliseconds();
  if (millis % 1000 !== 0 || millis < 1000 || millis > DELIVERY_POLICY_MAX_DELAY_SECONDS * 1000) {
    throw invalidProp(
      scope,
      `deliveryPolicy.healthyRetryPolicy.${name}`,
      `must be a whole number of seconds between 1 and ${DELIVERY_POLICY_MAX_DELAY_SECONDS}`,
      delay,
    );
  }
  return millis / 1000;
}
