import { Annotations, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, Dependable, IConstruct } from 'constructs';
import {
  FanOutFilterOptions,
  FanOutHttpsSubscriptionOptions,
  FanOutSubscription,
  FanOutSubscriptionOptions,
} from './fan-out-subscription';
import { notifyingAlarm } from './private/alarms';
import { AWS_MANAGED_SQS_KEY_ALIAS, isAwsManagedKey } from './private/aws-managed-keys';
import { regionalServiceName } from './private/aws-names';
import { addTopicFanOutWidgets } from './private/dashboard/topic-fan-out';
import { FIFO_SUFFIX, nameSaysFifo } from './private/fifo';
import { grantWithKey } from './private/grants';
import { serviceKeyStatement } from './private/key-policies';
import { childNamespace } from './private/namespaces';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  AWS_MANAGED_SNS_KEY_ALIAS,
  describeStatements,
  distinctStatements,
  letTopicSendTo,
  nameOf,
  QueueWiring,
  SNS_POLICY_MAX_STATEMENTS,
  SNS_SERVICE_PRINCIPAL,
  snsInvokeStatement,
  snsQueueKeyStatement,
  snsSendStatement,
  StatementForOwner,
  statementsJson,
  topicTraits,
  validateQueueForTopic,
} from './private/topic-fan-out/delivery';
import { renderDeliveryPolicy, validateDeliveryPolicy } from './private/topic-fan-out/delivery-policy';
import {
  disambiguatedId,
  endpointIdentity,
  foldedId,
  SubscriberIds,
  validateEmailAddress,
  validateHttpsUrl,
  validatePhoneNumber,
} from './private/topic-fan-out/endpoints';
import { validateBoolean, validateSubscriptionLimits } from './private/topic-fan-out/subscription-validation';
import { resolveTopicFifo, validateAccountId, validateTopicChoice } from './private/topic-fan-out/topic-validation';
import { invalidProp, methodArgument, validateEnumValue } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';
import { WorkQueue, WorkQueueEncryption, WorkQueueProps } from './work-queue';

/**
 * Properties of a TopicFanOut.
 */
export interface TopicFanOutProps {
  /**
   * A topic to fan out instead of creating one: defined elsewhere in this app, or imported.
   *
   * The fan-out then creates no topic and no key, and `fifo`, `topicName`,
   * `contentBasedDeduplication` and `encryptionKey` must not be given: the topic has its own.
   * The fan-out adds to the topic's policy (and its key's) only the statements its methods ask
   * for, never a posture of its own such as the TLS-only deny: that is the owner's decision, made
   * where the topic is defined (`enforceSSL`), where the compliance packs check it, and the
   * fan-out could not make it for an imported topic anyway. Where those policies cannot be
   * changed (an imported topic or key), `allowServicePublish` and `allowAccountPublish` return
   * the statements the topic's owner must add, and a warning gives them at synth.
   *
   * @default - a new topic, encrypted with `encryptionKey`, that denies publishing without TLS
   */
  readonly topic?: sns.ITopic;

  /**
   * Whether the topic is FIFO: strict order per message group and deduplication, for
   * SQS subscribers only. Queues added with `addQueue` are FIFO too unless they say otherwise.
   * Not with `topic`.
   *
   * @default - false, unless `topicName` ends in `.fifo`
   */
  readonly fifo?: boolean;

  /**
   * Use a SHA-256 hash of the message body as the deduplication id. FIFO topics only. Not with `topic`.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * The name of the topic: 1 to 256 letters, digits, hyphens and underscores; a FIFO
   * topic's name ends in `.fifo`. Not with `topic`. Names are unique per account and Region:
   * a name another construct of this app already gave a topic there is refused.
   *
   * A name given as a deploy-time value is not checked; for a FIFO topic, aws-cdk-lib appends
   * `.fifo` to it unless it ends in a literal `.fifo` (`${value}.fifo`).
   *
   * @default - a name CloudFormation generates (for a FIFO topic, one derived from the construct path)
   */
  readonly topicName?: string;

  /**
   * The customer-managed key the topic encrypts messages with. Publishers need
   * `kms:GenerateDataKey` and `kms:Decrypt` on it (`grantPublish` gives both). Not with `topic`.
   *
   * Do not share it with a queue subscribed to this topic: the queue's key policy names
   * the topic and the topic names the key, a dependency cycle.
   *
   * @default - a new key with rotation on, used by this topic only
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * What happens to the stateful resources the fan-out creates when they leave the stack: the
   * topic's key, the queues `addQueue` creates (unless their options give a removal policy of
   * their own), and the shared subscription dead-letter queue and its key. The topic holds no
   * messages and is deleted with the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Adds this construct's widget group to the stack's dashboard (StackDashboard.of(this)). Queues created by
   * `addQueue` add groups of their own unless their options say `dashboard: false`, or this is false.
   *
   * @default true
   */
  readonly dashboard?: boolean;
}

/**
 * Options of a queue created by `TopicFanOut.addQueue`: every WorkQueue prop, and how it subscribes.
 */
export interface FanOutQueueOptions extends WorkQueueProps, FanOutSubscriptionOptions {}

const CODESTAR_NOTIFICATIONS_PRINCIPAL = 'codestar-notifications.amazonaws.com';

/** What a publisher does with the topic's key: exactly the actions behind aws-cdk-lib's `kms:GenerateDataKey*`. */
const PUBLISH_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * The shared subscription dead-letter queue keeps a notification 10 days from when SNS moved it there, and
 * its own dead-letter queue the SQS maximum of 14. A message moved on to that inner queue keeps its original
 * enqueue time (Amazon SQS Developer Guide, "Using dead-letter queues": set the dead-letter queue's retention
 * longer than the source queue's), so one a reprocessing consumer fails on still has at least 4 days there.
 */
const SUBSCRIPTION_DEAD_LETTER_RETENTION = Duration.days(10);
const SUBSCRIPTION_DEAD_LETTER_DLQ_RETENTION = Duration.days(14);

/** The share of the retention after which a waiting undeliverable message alarms: redrive it before it expires. */
const DEAD_LETTER_AGE_ALARM_SHARE = 0.75;

/**
 * "By default, you can have up to 200 filter policies per topic"; beyond the quota, a subscription with a
 * filter policy fails ("Filter policy constraints in Amazon SNS",
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html). The quota can be
 * raised, so the fan-out warns rather than refuses.
 */
const FILTER_POLICIES_PER_TOPIC_QUOTA = 200;

/**
 * An SNS topic fanned out to SQS queues and other subscribers, with the policies that
 * let exactly this topic deliver. It is itself an `sns.ITopic` (the topic it fans out):
 * pass it wherever a topic is expected.
 *
 * - The topic is encrypted with a key of its own and denies publishing without TLS (or is
 *   a topic you give, whose posture stays yours).
 * - Every subscriber queue's policy lets `sns.amazonaws.com` send only when
 *   `aws:SourceArn` is this topic, and each customer-managed key a subscriber queue uses
 *   lets SNS use it only for this topic. Where this app cannot change a policy (an imported
 *   queue, key or function), the statements to add are returned and given in a warning: they
 *   are never dropped.
 * - What SNS cannot deliver to a subscriber lands in one subscription dead-letter queue shared
 *   by all subscribers (a WorkQueue kept 10 days, its own dead-letter queue 14, under a key of its own, that only this topic
 *   may send to), which alarms when it is not empty and before its messages expire. A subscriber
 *   may have a dead-letter queue of its own instead (`deadLetterQueue`), with its own alarm.
 * - Alarms on failed notifications and on messages moved to (or lost on the way to) a
 *   subscription dead-letter queue.
 *
 * Subscribers can be added at any time with `addQueue`, `addQueueSubscriber`,
 * `addHttpsSubscriber`, `addLambdaSubscriber`, `addEmailSubscriber` and `addSmsSubscriber`,
 * each under an id of its own: `<fanOut>/Subscriptions/<id>` (and `<fanOut>/Queues/<id>` for
 * the queue `addQueue` creates). Each endpoint is subscribed once, whichever method subscribes it.
 */
export class TopicFanOut extends sns.TopicBase {
  /** The topic: created here, or the one given. */
  public readonly topic: sns.ITopic;

  /** The key the topic encrypts messages with: created here, given, or the given topic's (if any). */
  public readonly encryptionKey?: kms.IKey;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** Alarms when SNS fails to deliver a notification to any subscriber. */
  public readonly notificationsFailedAlarm: cloudwatch.Alarm;

  /** Alarms when SNS moves a notification it could not deliver to a subscription dead-letter queue. */
  public readonly notificationsRedrivenToDeadLetterQueueAlarm: cloudwatch.Alarm;

  /**
   * Alarms when SNS could not even move an undeliverable notification to its subscription
   * dead-letter queue: the notification is lost for that subscriber.
   */
  public readonly notificationsFailedToRedriveToDeadLetterQueueAlarm: cloudwatch.Alarm;

  // sns.ITopic, answered by the topic.
  public readonly topicArn: string;
  public readonly topicName: string;
  /** The same key as `encryptionKey`: `sns.ITopic` calls it `masterKey`. */
  public readonly masterKey?: kms.IKey;
  public readonly fifo: boolean;
  public readonly contentBasedDeduplication: boolean;
  protected readonly autoCreatePolicy = false;

  private removalPolicy: RemovalPolicy;
  private readonly createdKey?: kms.Key;
  private readonly createdQueues: WorkQueue[] = [];
  /** The queues whose options gave no removal policy: they follow the fan-out's. */
  private readonly queuesFollowingRemovalPolicy: WorkQueue[] = [];
  private readonly createdSubscriptions: FanOutSubscription[] = [];
  private readonly subscriberIds: SubscriberIds;
  /** Each endpoint subscribed (see `endpointIdentity`) and the id it was subscribed under. */
  private readonly subscribedEndpoints = new Map<string, string>();
  private filteredSubscriptions = 0;
  private sharedDeadLetterQueue?: WorkQueue;
  private sharedDeadLetterQueueWiring?: QueueWiring;
  private sharedDeadLetterQueueNotEmptyAlarm?: cloudwatch.Alarm;
  private sharedDeadLetterQueueMessageAgeAlarm?: cloudwatch.Alarm;
  /** Whether the fan-out has a group on the stack's dashboard; the queues `addQueue` creates follow it. */
  private readonly dashboardEnabled: boolean;

  constructor(scope: Construct, id: string, props: TopicFanOutProps = {}) {
    // As an sns.ITopic the fan-out lives where its topic does: grants across accounts depend on it.
    super(scope, id, { account: topicEnv(props)?.account, region: topicEnv(props)?.region });
    validateTopicChoice(this, props);
    this.removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'SQS queues and KMS keys');
    this.subscriberIds = new SubscriberIds(this);

    if (props.topic) {
      this.topic = props.topic;
      this.encryptionKey = props.topic.masterKey;
    } else {
      const fifo = resolveTopicFifo(props);
      if (props.encryptionKey) {
        this.encryptionKey = props.encryptionKey;
      } else {
        this.createdKey = new kms.Key(this, 'Key', {
          description: `Encrypts the topic of ${this.node.path}`,
          enableKeyRotation: true,
          removalPolicy: this.removalPolicy,
        });
        this.encryptionKey = this.createdKey;
      }
      this.topic = new sns.Topic(this, 'Topic', {
        topicName: props.topicName,
        fifo: fifo || undefined,
        contentBasedDeduplication: props.contentBasedDeduplication,
        masterKey: this.encryptionKey,
        enforceSSL: true,
      });
    }

    this.topicArn = this.topic.topicArn;
    this.topicName = this.topic.topicName;
    this.masterKey = this.encryptionKey;
    this.fifo = this.topic.fifo;
    this.contentBasedDeduplication = this.topic.contentBasedDeduplication;

    // What depends on the fan-out (aws-cdk-lib's S3 notifications depend on their topic) waits for the
    // topic's policy, which names the topic and so waits for the topic and its key: not for the alarms and
    // queues, and without a DependsOn on the topic that its Ref already enforces (cfn-lint W3005).
    const topic = this.topic;
    Dependable.implement(this, {
      get dependencyRoots() {
        return [topic.node.tryFindChild('Policy') ?? topic];
      },
    });

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    this.notificationsFailedAlarm = this.topicAlarm(
      'NotificationsFailedAlarm',
      this.metricNumberOfNotificationsFailed(),
      `SNS failed to deliver notifications of ${this.node.path} to a subscriber.`,
    );
    this.notificationsRedrivenToDeadLetterQueueAlarm = this.topicAlarm(
      'NotificationsRedrivenToDeadLetterQueueAlarm',
      this.metric('NumberOfNotificationsRedrivenToDlq'),
      `SNS moved undeliverable notifications of ${this.node.path} to a subscription dead-letter queue.`,
    );
    this.notificationsFailedToRedriveToDeadLetterQueueAlarm = this.topicAlarm(
      'NotificationsFailedToRedriveToDeadLetterQueueAlarm',
      this.metric('NumberOfNotificationsFailedToRedriveToDlq'),
      `SNS could not move undeliverable notifications of ${this.node.path} to a subscription dead-letter queue: they are lost for that subscriber. Check the dead-letter queue's policy and key.`,
    );

    this.dashboardEnabled = addTopicFanOutWidgets(this, props.dashboard);
  }

  /** The queues created by `addQueue`, in the order they were added. */
  public get queues(): WorkQueue[] {
    return [...this.createdQueues];
  }

  /** Every subscription made through the `add*` methods, in the order they were added. */
  public get subscriptions(): FanOutSubscription[] {
    return [...this.createdSubscriptions];
  }

  /**
   * The dead-letter queue every subscription shares unless it has its own: a WorkQueue at
   * `<fanOut>/SubscriptionDeadLetterQueue`, FIFO when the topic is, kept 10 days (its own dead-letter queue 14), under a key of
   * its own. Only this topic may send to it. Created with the first subscriber; undefined before.
   */
  public get subscriptionDeadLetterQueue(): WorkQueue | undefined {
    return this.sharedDeadLetterQueue;
  }

  /** Alarms when an undeliverable notification waits in the shared subscription dead-letter queue. */
  public get subscriptionDeadLetterQueueNotEmptyAlarm(): cloudwatch.Alarm | undefined {
    return this.sharedDeadLetterQueueNotEmptyAlarm;
  }

  /**
   * Alarms when the oldest notification in the shared subscription dead-letter queue is older than
   * 75% of its 10-day retention: redrive or inspect it before it expires.
   */
  public get subscriptionDeadLetterQueueMessageAgeAlarm(): cloudwatch.Alarm | undefined {
    return this.sharedDeadLetterQueueMessageAgeAlarm;
  }

  /**
   * Every alarm: the topic's, the shared subscription dead-letter queue's (and its WorkQueue's),
   * each subscription's own dead-letter queue's, and each queue's created by `addQueue`.
   */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.notificationsFailedAlarm,
      this.notificationsRedrivenToDeadLetterQueueAlarm,
      this.notificationsFailedToRedriveToDeadLetterQueueAlarm,
      ...[this.sharedDeadLetterQueueNotEmptyAlarm, this.sharedDeadLetterQueueMessageAgeAlarm].filter(
        (alarm): alarm is cloudwatch.Alarm => alarm !== undefined,
      ),
      ...(this.sharedDeadLetterQueue?.alarms ?? []),
      ...this.createdSubscriptions.flatMap((subscription) => subscription.alarms),
      ...this.createdQueues.flatMap((queue) => queue.alarms),
    ];
  }

  /**
   * Creates a WorkQueue at `<fanOut>/Queues/<id>` subscribed to the topic at `<fanOut>/Subscriptions/<id>`.
   *
   * The queue is FIFO when the topic is, unless `fifo` says otherwise: a FIFO topic may
   * feed a standard queue (best-effort order, at-least-once), a standard topic may not
   * feed a FIFO queue. Its alarms notify this construct's alarm topic unless `alarmTopic`
   * is given; it follows the fan-out's `removalPolicy` unless `removalPolicy` is given.
   *
   * An `encryptionKey` this app does not manage (an imported key) cannot be given the
   * statement that lets SNS use it: the subscription's `statementsForEndpointOwner`
   * (in `subscriptions`) holds it, and a warning gives it at synth, for the key's owner to add.
   */
  public addQueue(id: string, options: FanOutQueueOptions = {}): WorkQueue {
    const method = 'addQueue';
    this.subscriberIds.check(method, id);
    const at = `${method}("${id}")`;
    if (typeof options !== 'object' || options === null) {
      throw invalidProp(this, methodArgument(method, 'options'), 'must be a FanOutQueueOptions object', options);
    }
    validateBoolean(this, `${at} fifo`, options.fifo);
    const fifo = options.fifo ?? (nameSaysFifo(options.queueName) || this.fifo);
    if (fifo && !this.fifo) {
      throw invalidProp(
        this,
        `${at} fifo`,
        'must be false behind a standard topic (SNS delivers only FIFO topics to FIFO queues); make the TopicFanOut FIFO or the queue standard',
        true,
      );
    }
    const name = options.queueName;
    if (typeof name === 'string' && Token.isUnresolved(name) && (name.endsWith(FIFO_SUFFIX) || fifo)) {
      // Part deploy-time, part literal: the literal end says whether it is a FIFO name, which SQS and
      // aws-cdk-lib check; a name known only at deploy time is not checked.
      const endsInFifo = name.endsWith(FIFO_SUFFIX);
      const knownEnd = !/\}$/.test(name);
      if (knownEnd && endsInFifo !== fifo) {
        throw invalidProp(
          this,
          `${at} queueName`,
          fifo
            ? `of a FIFO queue must end in "${FIFO_SUFFIX}"`
            : `may end in "${FIFO_SUFFIX}" only for a FIFO queue (fifo is false)`,
          name,
        );
      }
    }
    validateEnumValue(this, `${at} encryption`, options.encryption, 'WorkQueueEncryption', WorkQueueEncryption);
    if (options.encryptionKey !== undefined) {
      if (options.encryptionKey === this.encryptionKey) {
        throw invalidProp(
          this,
          `${at} encryptionKey`,
          "must not be the topic's encryptionKey (the key policy would name the topic and the topic the key: a dependency cycle); give the queue a key of its own",
          options.encryptionKey.node.path,
        );
      }
      if (isAwsManagedKey(options.encryptionKey, AWS_MANAGED_SQS_KEY_ALIAS)) {
        throw invalidProp(
          this,
          `${at} encryptionKey`,
          `must not be the AWS-managed ${AWS_MANAGED_SQS_KEY_ALIAS} key (its policy cannot let SNS use it, so every message would be lost); use encryption SQS_MANAGED or a customer-managed key`,
          AWS_MANAGED_SQS_KEY_ALIAS,
        );
      }
    }
    this.validateSubscriptionOptions(at, options);
    this.checkSharedDeadLetterQueueRegion(`${at} deadLetterQueue`, options.deadLetterQueue);

    const queue = new WorkQueue(childNamespace(this, 'Queues'), id, {
      ...options,
      fifo,
      alarmTopic: options.alarmTopic ?? this.alarmTopic,
      removalPolicy: options.removalPolicy ?? this.removalPolicy,
      dashboard: this.dashboardEnabled ? options.dashboard : false,
    });
    this.createdQueues.push(queue);
    if (options.removalPolicy === undefined) {
      this.queuesFollowingRemovalPolicy.push(queue);
    }
    this.claim(id, sns.SubscriptionProtocol.SQS, queue.queueArn);
    const endpointWiring = letTopicSendTo(this.topicArn, queue, { scope: this, prop: at }, this.sendStatementId());
    const subscription = this.subscribe(childNamespace(this, 'Subscriptions'), id, {
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: queue.queueArn,
      options,
      rawMessageDelivery: options.rawMessageDelivery,
      endpointWiring,
    });
    this.warnEndpointOwner(subscription, queue, endpointWiring.notAdded);
    return queue;
  }

  /**
   * Subscribes an existing queue, defined here or imported, in this account or another,
   * at `<fanOut>/Subscriptions/<id>`.
   *
   * When this construct can change the queue's policy (and its key's), it adds the
   * statements that let SNS deliver for this topic only. When it cannot (an imported
   * queue or key, or one in another account), the returned subscription's
   * `statementsForEndpointOwner` holds the exact statements the owner must add,
   * and a warning says so at synth. A queue in another account must also confirm the
   * subscription: SNS sends a `SubscriptionConfirmation` message to the queue whose
   * `SubscribeURL` the owner visits (or passes to `ConfirmSubscription`).
   *
   * A queue of another stack of this app subscribes in its own stack, under the queue, as
   * aws-cdk-lib's `SqsSubscription` does: that stack then depends on the topic's, never the reverse.
   * That stack must be in the topic's account and Region (CloudFormation references go no further).
   */
  public addQueueSubscriber(
    id: string,
    queue: sqs.IQueue,
    options: FanOutSubscriptionOptions = {},
  ): FanOutSubscription {
    const method = 'addQueueSubscriber';
    this.subscriberIds.check(method, id);
    const prop = methodArgument(method, 'queue');
    validateQueueForTopic(this, prop, queue, topicTraits(this.topic), 'subscriber');
    this.checkEndpoint(method, 'queue', sns.SubscriptionProtocol.SQS, queue.queueArn);
    this.checkSameEnvironment(prop, queue);
    const at = `${method}("${id}")`;
    this.validateSubscriptionOptions(at, options);
    this.checkSharedDeadLetterQueueRegion(`${at} deadLetterQueue`, options.deadLetterQueue);

    this.claim(id, sns.SubscriptionProtocol.SQS, queue.queueArn);
    const endpointWiring = letTopicSendTo(this.topicArn, queue, { scope: this, prop }, this.sendStatementId());
    const inOtherStack = Stack.of(queue) !== Stack.of(this);
    const subscription = this.subscribe(
      inOtherStack ? queue : childNamespace(this, 'Subscriptions'),
      inOtherStack ? `${Names.nodeUniqueId(this.node)}${foldedId(id)}` : id,
      {
        protocol: sns.SubscriptionProtocol.SQS,
        endpoint: queue.queueArn,
        options,
        rawMessageDelivery: options.rawMessageDelivery,
        endpointWiring,
      },
    );
    this.warnEndpointOwner(subscription, queue, endpointWiring.notAdded);
    return subscription;
  }

  /**
   * Subscribes an HTTPS endpoint at `<fanOut>/Subscriptions/<id>`, with a delivery policy
   * (retries with backoff, optional throttle). Standard topics only.
   *
   * The endpoint must confirm the subscription (SNS posts a `SubscriptionConfirmation`).
   * URLs that RFC 3986 says are the same (differing only in the case of the scheme or host, a
   * default port, percent-encoding of unreserved characters or a fragment) are one endpoint.
   */
  public addHttpsSubscriber(id: string, url: string, options: FanOutHttpsSubscriptionOptions = {}): FanOutSubscription {
    const method = 'addHttpsSubscriber';
    this.requireStandardTopic(method, url);
    this.subscriberIds.check(method, id);
    validateHttpsUrl(this, methodArgument(method, 'url'), url);
    this.checkEndpoint(method, 'url', sns.SubscriptionProtocol.HTTPS, url);
    this.validateSubscriptionOptions(`${method}("${id}")`, options);
    this.checkSharedDeadLetterQueueRegion(`${method}("${id}") deadLetterQueue`, options.deadLetterQueue);

    this.claim(id, sns.SubscriptionProtocol.HTTPS, url);
    return this.subscribe(childNamespace(this, 'Subscriptions'), id, {
      protocol: sns.SubscriptionProtocol.HTTPS,
      endpoint: url,
      options,
      rawMessageDelivery: options.rawMessageDelivery,
      deliveryPolicy: options.deliveryPolicy,
    });
  }

  /**
   * Subscribes a Lambda function at `<fanOut>/Subscriptions/<id>`, and lets this topic (only)
   * invoke it. Standard topics only; behind a FIFO topic, subscribe a queue and let it trigger
   * the function. A function of another stack subscribes in its own stack, under the function.
   *
   * When this app cannot change the function's policy (an imported function of another account,
   * or one imported without `sameEnvironment`), the returned subscription's
   * `statementsForEndpointOwner` holds the statement its owner must add, and a warning gives it.
   */
  public addLambdaSubscriber(id: string, fn: lambda.IFunction, options: FanOutFilterOptions = {}): FanOutSubscription {
    const method = 'addLambdaSubscriber';
    const prop = methodArgument(method, 'fn');
    if (
      typeof fn !== 'object' ||
      fn === null ||
      typeof fn.functionArn !== 'string' ||
      typeof fn.addPermission !== 'function'
    ) {
      throw invalidProp(
        this,
        prop,
        'must be a lambda.IFunction (e.g. lambda.Function.fromFunctionAttributes(...))',
        fn,
      );
    }
    this.requireStandardTopic(method, fn.node.path);
    this.subscriberIds.check(method, id);
    this.checkEndpoint(method, 'fn', sns.SubscriptionProtocol.LAMBDA, fn.functionArn);
    this.checkSameEnvironment(prop, fn);
    this.validateSubscriptionOptions(`${method}("${id}")`, options);
    this.checkSharedDeadLetterQueueRegion(method, undefined);

    this.claim(id, sns.SubscriptionProtocol.LAMBDA, fn.functionArn);
    const permissionId = `InvokedBy${Names.nodeUniqueId(this.topic.node)}`;
    if (!fn.permissionsNode.tryFindChild(permissionId)) {
      fn.addPermission(permissionId, {
        principal: new iam.ServicePrincipal(SNS_SERVICE_PRINCIPAL),
        sourceArn: this.topicArn,
      });
    }
    const permission = fn.permissionsNode.tryFindChild(permissionId);
    // aws-cdk-lib adds no permission to a function whose policy it cannot change: the owner must.
    const notAdded: StatementForOwner[] = permission
      ? []
      : [
          {
            where: `the resource policy of the function ${nameOf(fn, fn.functionArn)}`,
            statement: snsInvokeStatement(this.topicArn, fn.functionArn),
          },
        ];
    const inOtherStack = Stack.of(fn) !== Stack.of(this);
    const subscription = this.subscribe(
      inOtherStack ? fn : childNamespace(this, 'Subscriptions'),
      inOtherStack ? `${Names.nodeUniqueId(this.node)}${foldedId(id)}` : id,
      {
        protocol: sns.SubscriptionProtocol.LAMBDA,
        endpoint: fn.functionArn,
        options,
        endpointWiring: { dependables: permission ? [permission] : [], notAdded },
      },
    );
    if (notAdded.length > 0) {
      // aws-cdk-lib's own warning says only that addPermission had no effect (and shows an env-agnostic
      // stack's account and Region as tokens); the one below gives the statement to add instead.
      Annotations.of(fn).acknowledgeWarning(
        'UnclearLambdaEnvironment',
        'TopicFanOut.addLambdaSubscriber warns with the statement the function owner must add',
      );
    }
    this.warnEndpointOwner(
      subscription,
      fn,
      notAdded,
      ' (if the function is in this account and Region, import it with sameEnvironment: true and this app adds the permission)',
    );
    return subscription;
  }

  /**
   * Subscribes an email address at `<fanOut>/Subscriptions/<id>`. The recipient must confirm
   * from the email SNS sends. Standard topics only. Addresses that differ only in the case of
   * their domain (case-insensitive by RFC 5321) are one endpoint.
   */
  public addEmailSubscriber(id: string, address: string): FanOutSubscription {
    const method = 'addEmailSubscriber';
    this.requireStandardTopic(method, address);
    this.subscriberIds.check(method, id);
    validateEmailAddress(this, methodArgument(method, 'address'), address);
    this.checkEndpoint(method, 'address', sns.SubscriptionProtocol.EMAIL, address);
    this.checkSharedDeadLetterQueueRegion(method, undefined);

    this.claim(id, sns.SubscriptionProtocol.EMAIL, address);
    return this.subscribe(childNamespace(this, 'Subscriptions'), id, {
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: address,
      options: {},
    });
  }

  /**
   * Subscribes a phone number to text messages (SMS) at `<fanOut>/Subscriptions/<id>`.
   * Standard topics only.
   */
  public addSmsSubscriber(id: string, phoneNumber: string): FanOutSubscription {
    const method = 'addSmsSubscriber';
    this.requireStandardTopic(method, phoneNumber);
    this.subscriberIds.check(method, id);
    validatePhoneNumber(this, methodArgument(method, 'phoneNumber'), phoneNumber);
    this.checkEndpoint(method, 'phoneNumber', sns.SubscriptionProtocol.SMS, phoneNumber);
    this.checkSharedDeadLetterQueueRegion(method, undefined);

    this.claim(id, sns.SubscriptionProtocol.SMS, phoneNumber);
    return this.subscribe(childNamespace(this, 'Subscriptions'), id, {
      protocol: sns.SubscriptionProtocol.SMS,
      endpoint: phoneNumber,
      options: {},
    });
  }

  /**
   * Subscribes an aws-cdk-lib subscriber (`sns.ITopicSubscription`, e.g. `SqsSubscription`),
   * so that the fan-out works wherever an `sns.ITopic` is expected.
   *
   * The subscription is made as `sns.Topic.addSubscription` makes it (under the subscriber's
   * scope when it names one, else at `<fanOut>/Subscriptions/<subscriberId>`), with these
   * differences: unless the subscriber brings a dead-letter queue, undeliverable messages go to
   * the fan-out's shared subscription dead-letter queue; an endpoint already subscribed through
   * any method is refused; and when aws-cdk-lib's id for the subscriber (a URL or an address)
   * folds into one taken by another endpoint, the subscription takes that id with a hash of its
   * own. The subscriber wires its endpoint's policies as aws-cdk-lib does; where it cannot (an
   * imported queue or key) a warning gives the statements to add. Prefer the `add*` methods, which
   * grant for this topic only and return what they could not add. Such subscriptions are not
   * listed in `subscriptions`.
   */
  public addSubscription(topicSubscription: sns.ITopicSubscription): sns.Subscription {
    const method = 'addSubscription';
    const prop = methodArgument(method, 'topicSubscription');
    if (
      typeof topicSubscription !== 'object' ||
      topicSubscription === null ||
      typeof topicSubscription.bind !== 'function'
    ) {
      throw invalidProp(
        this,
        prop,
        'must be an sns.ITopicSubscription (e.g. new SqsSubscription(queue))',
        topicSubscription,
      );
    }
    const config = this.fromAwsCdkLib(prop, topicSubscription, () => topicSubscription.bind(this));
    if (Token.isUnresolved(config.subscriberId)) {
      throw invalidProp(
        this,
        prop,
        'must name its subscription with an id known at synth (an endpoint given as a token has none); use the add* method for its protocol, which takes an id',
        config.endpoint,
      );
    }
    if (this.fifo && config.protocol !== sns.SubscriptionProtocol.SQS) {
      // Amazon SNS message delivery for FIFO topics, https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html
      throw invalidProp(
        this,
        prop,
        'must subscribe an SQS queue to a FIFO topic (SNS FIFO topics deliver only to SQS queues)',
        config.endpoint,
      );
    }
    this.checkEndpoint(method, 'topicSubscription', config.protocol, config.endpoint);
    const queue = config.protocol === sns.SubscriptionProtocol.SQS ? asQueue(config.subscriberScope) : undefined;
    if (queue) {
      validateQueueForTopic(this, prop, queue, topicTraits(this.topic), 'subscriber');
    }
    if (config.deadLetterQueue) {
      validateQueueForTopic(
        this,
        `${prop}.deadLetterQueue`,
        config.deadLetterQueue,
        topicTraits(this.topic),
        'deadLetterQueue',
      );
    }
    validateSubscriptionLimits(this, `${prop}.`, {
      filterPolicy: config.filterPolicy,
      filterPolicyWithMessageBody: config.filterPolicyWithMessageBody,
      rawMessageDelivery: config.rawMessageDelivery,
    });
    if (config.deliveryPolicy !== undefined) {
      validateDeliveryPolicy(this, `${prop}.deliveryPolicy`, config.deliveryPolicy);
    }
    this.checkSharedDeadLetterQueueRegion(`${prop}.deadLetterQueue`, config.deadLetterQueue);

    const inNamespace = config.subscriberScope === undefined;
    const scope = config.subscriberScope ?? childNamespace(this, 'Subscriptions');
    const constructId = this.subscriptionConstructId(prop, scope, config.subscriberId, inNamespace);
    if (inNamespace) {
      this.subscriberIds.add(constructId);
    }
    this.subscribedEndpoints.set(endpointIdentity(config.protocol, config.endpoint), constructId);
    const shared = config.deadLetterQueue === undefined;
    const subscription = this.fromAwsCdkLib(
      prop,
      topicSubscription,
      () =>
        new sns.Subscription(scope, constructId, {
          topic: this.topic,
          protocol: config.protocol,
          endpoint: config.endpoint,
          rawMessageDelivery: config.rawMessageDelivery,
          filterPolicy: config.filterPolicy,
          filterPolicyWithMessageBody: config.filterPolicyWithMessageBody,
          region: config.region,
          subscriptionRoleArn: config.subscriptionRoleArn,
          deadLetterQueue: config.deadLetterQueue ?? this.ensureSharedDeadLetterQueue(),
        }),
    );
    if (config.deliveryPolicy) {
      // Rendered here: sns.Subscription throws on delivery-policy values given as tokens.
      (subscription.node.defaultChild as sns.CfnSubscription).deliveryPolicy = renderDeliveryPolicy(
        config.deliveryPolicy,
      );
    }
    if (config.subscriptionDependency) {
      subscription.node.addDependency(config.subscriptionDependency);
    }
    if (shared) {
      subscription.node.addDependency(...this.sharedDeadLetterQueueWiring!.dependables);
    }
    if (queue) {
      this.warnWhereSubscriberCouldNotWire(subscription, queue);
    }
    this.countFilter(config.filterPolicy ?? config.filterPolicyWithMessageBody);
    return subscription;
  }

  /**
   * Adds a statement to the topic's resource policy; nothing is added to a topic this app
   * does not manage (`statementAdded` is false).
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    if (!(statement instanceof iam.PolicyStatement)) {
      throw invalidProp(
        this,
        methodArgument('addToResourcePolicy', 'statement'),
        'must be an iam.PolicyStatement',
        statement,
      );
    }
    return this.topic.addToResourcePolicy(statement);
  }

  /**
   * Lets the grantee publish to the topic, and use the topic's key to do so: exactly
   * `sns:Publish`, `kms:GenerateDataKey` and `kms:Decrypt` (aws-cdk-lib's
   * `topic.grantPublish` grants `kms:GenerateDataKey*`, a wildcard compliance packs flag).
   *
   * A grantee that takes no identity policy (a service or account principal) is granted in the
   * topic's and the key's policies; where this app does not manage those (an imported topic or
   * key), the statements are in the grant's `resourceStatements` and a warning gives them, for the
   * owner to add. Refused for such a grantee when the key is the AWS-managed `alias/aws/sns`, whose
   * policy nobody can change.
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    const prop = methodArgument('grantPublish', 'grantee');
    if (typeof grantee !== 'object' || grantee === null || !('grantPrincipal' in grantee)) {
      throw invalidProp(this, prop, 'must be an iam.IGrantable (a role, user, group or principal)', grantee);
    }
    const onTopic = grantWithKey({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [this.topicArn],
      resource: this.topic,
      keyActions: [],
    });
    const key = this.encryptionKey;
    const onKey = key?.grant(grantee, ...PUBLISH_KEY_ACTIONS);
    const identityless = onTopic.principalStatements.length === 0;
    if (key && identityless && isAwsManagedKey(key, AWS_MANAGED_SNS_KEY_ALIAS)) {
      throw invalidProp(
        this,
        prop,
        `cannot publish to a topic under the AWS-managed ${AWS_MANAGED_SNS_KEY_ALIAS} key: it takes no identity policy, and nobody can change that key's policy; give the topic a customer-managed key`,
        grantee.grantPrincipal.toString(),
      );
    }
    // aws-cdk-lib's Grant holds what it could not add as resource statements, silently: the grantee would be
    // allowed by one policy and denied by the other.
    const notAdded: Array<[string, iam.PolicyStatement[]]> = [];
    if (identityless && !(this.topic instanceof sns.Topic)) {
      notAdded.push([`the topic policy of ${nameOf(this.topic, this.topicArn)}`, onTopic.resourceStatements]);
    }
    if (key && onKey && onKey.principalStatements.length === 0 && !canTakeStatements(key)) {
      notAdded.push([`the key policy of ${nameOf(key, key.keyArn)}`, onKey.resourceStatements]);
    }
    if (notAdded.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:grantPolicyNotManaged',
        `grantPublish: the grantee takes no identity policy and ${notAdded.length > 1 ? 'these policies are' : 'this policy is'} not managed by this app, so the owner must add these statements (they are also in the grant's resourceStatements): ` +
          notAdded.map(([where, statements]) => `to ${where}: ${statementsJson(this.topic, statements)}`).join('; '),
      );
    }
    return onKey ? onTopic.combine(onKey) : onTopic;
  }

  /**
   * Grants actions on the topic's key, if it has one. `kms:GenerateDataKey*`, which
   * aws-cdk-lib's `grants.publish` asks for, is granted as the one action SNS uses,
   * `kms:GenerateDataKey`, so that no grant through this topic carries a wildcard.
   */
  public grantOnKey(grantee: iam.IGrantable, ...actions: string[]): iam.GrantOnKeyResult {
    const exact = [
      ...new Set(actions.map((action) => (action === 'kms:GenerateDataKey*' ? 'kms:GenerateDataKey' : action))),
    ];
    const key = this.encryptionKey;
    const grant = key?.grant(grantee, ...exact);
    if (key && grant && grant.principalStatements.length === 0 && !canTakeStatements(key)) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:grantPolicyNotManaged',
        `grantOnKey: the grantee takes no identity policy and the key policy of ${nameOf(key, key.keyArn)} is not managed by this app, so its owner must add this statement (it is also in the grant's resourceStatements): ` +
          statementsJson(this.topic, grant.resourceStatements),
      );
    }
    return { grant };
  }

  /**
   * Lets an AWS service publish to the topic on behalf of one resource, for example
   * S3 event notifications of a bucket or EventBridge rules.
   *
   * The topic policy allows `servicePrincipal` to publish only when `aws:SourceArn`
   * matches `sourceArn` and `aws:SourceAccount` is `sourceAccount`, which guards against
   * the confused deputy; the key policy lets the service use the topic's key under the
   * same conditions. Refused for a topic under the AWS-managed `alias/aws/sns` key, whose
   * policy nobody can change.
   *
   * @param servicePrincipal the service, e.g. `s3.amazonaws.com`
   * @param sourceArn the resource the service publishes for (ARN patterns with `*` allowed)
   * @param sourceAccount the account that owns that resource. Default: this stack's account
   * @returns the statements this app could not add because it does not manage the topic or its key
   *   (the topic policy's, then the key policy's), which the topic's owner must add; empty when all were added
   */
  public allowServicePublish(
    servicePrincipal: string,
    sourceArn: string,
    sourceAccount?: string,
  ): iam.PolicyStatement[] {
    const method = 'allowServicePublish';
    if (
      typeof servicePrincipal !== 'string' ||
      (!Token.isUnresolved(servicePrincipal) && !/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(servicePrincipal))
    ) {
      throw invalidProp(
        this,
        methodArgument(method, 'servicePrincipal'),
        'must be an AWS service principal such as "s3.amazonaws.com"',
        servicePrincipal,
      );
    }
    if (typeof sourceArn !== 'string' || (!Token.isUnresolved(sourceArn) && !sourceArn.startsWith('arn:'))) {
      throw invalidProp(
        this,
        methodArgument(method, 'sourceArn'),
        'must be an ARN (it may contain * wildcards)',
        sourceArn,
      );
    }
    validateAccountId(this, methodArgument(method, 'sourceAccount'), sourceAccount);

    const account = sourceAccount ?? Stack.of(this).account;
    const principal = new iam.ServicePrincipal(servicePrincipal);
    return this.allowPublishing(
      method,
      servicePrincipal,
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['sns:Publish'],
        resources: [this.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': sourceArn },
          StringEquals: { 'aws:SourceAccount': account },
        },
      }),
      serviceKeyStatement({
        servicePrincipal,
        actions: PUBLISH_KEY_ACTIONS,
        sourceArn,
        sourceArnOperator: 'ArnLike',
        sourceAccount: account,
      }),
    );
  }

  /**
   * Lets principals of another account publish to the topic. That account must still
   * grant its own principals `sns:Publish` on the topic and `kms:GenerateDataKey` and
   * `kms:Decrypt` on its key; the key policy lets that account use the key only through SNS.
   * Refused for a topic under the AWS-managed `alias/aws/sns` key, whose policy nobody can change.
   *
   * @param accountId the 12-digit id of the publishing account
   * @returns the statements this app could not add because it does not manage the topic or its key
   *   (the topic policy's, then the key policy's), which the topic's owner must add; empty when all were added
   */
  public allowAccountPublish(accountId: string): iam.PolicyStatement[] {
    const method = 'allowAccountPublish';
    if (accountId === undefined) {
      throw invalidProp(this, methodArgument(method, 'accountId'), 'must be a 12-digit AWS account id', accountId);
    }
    validateAccountId(this, methodArgument(method, 'accountId'), accountId);
    const principal = new iam.AccountPrincipal(accountId);
    return this.allowPublishing(
      method,
      accountId,
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['sns:Publish'],
        resources: [this.topicArn],
      }),
      new iam.PolicyStatement({
        principals: [principal],
        actions: PUBLISH_KEY_ACTIONS,
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': regionalServiceName(this, 'sns') } },
      }),
    );
  }

  /**
   * Makes the topic the target of an AWS CodeStar notification rule: the topic policy lets
   * `codestar-notifications.amazonaws.com` publish, and the key policy lets it use the key
   * through SNS only. Where this app does not manage the topic or its key, a warning gives the
   * statements to add.
   */
  public bindAsNotificationRuleTarget(_scope: Construct): notifications.NotificationRuleTargetConfig {
    const principal = new iam.ServicePrincipal(CODESTAR_NOTIFICATIONS_PRINCIPAL);
    this.allowPublishing(
      'bindAsNotificationRuleTarget',
      CODESTAR_NOTIFICATIONS_PRINCIPAL,
      new iam.PolicyStatement({ principals: [principal], actions: ['sns:Publish'], resources: [this.topicArn] }),
      new iam.PolicyStatement({
        principals: [principal],
        actions: PUBLISH_KEY_ACTIONS,
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': regionalServiceName(this, 'sns') } },
      }),
    );
    return { targetType: 'SNS', targetAddress: this.topicArn };
  }

  /** The named metric of the topic, exactly as the topic's own `metric` makes it. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.topic.metric(metricName, props);
  }

  /**
   * Applies the removal policy to what the fan-out created and keeps state: the topic's key,
   * the shared subscription dead-letter queue and its key, and the queues `addQueue` created
   * without a removal policy of their own, now and later.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    const prop = methodArgument('applyRemovalPolicy', 'policy');
    // The rule of the removalPolicy prop (see resolveRemovalPolicy), named after this method's argument.
    const supported = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];
    if (!supported.includes(policy)) {
      const allowed = 'RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE';
      throw policy === RemovalPolicy.SNAPSHOT
        ? invalidProp(
            this,
            prop,
            `must be ${allowed}: CloudFormation cannot snapshot SQS queues and KMS keys`,
            'RemovalPolicy.SNAPSHOT',
          )
        : invalidProp(this, prop, `must be ${allowed}`, policy);
    }
    this.removalPolicy = resolveRemovalPolicy(this, policy, 'SQS queues and KMS keys');
    this.createdKey?.applyRemovalPolicy(this.removalPolicy);
    this.sharedDeadLetterQueue?.applyRemovalPolicy(this.removalPolicy);
    for (const queue of this.queuesFollowingRemovalPolicy) {
      queue.applyRemovalPolicy(this.removalPolicy);
    }
  }

  private subscribe(
    home: Construct,
    homeId: string,
    spec: {
      protocol: sns.SubscriptionProtocol;
      endpoint: string;
      options: FanOutFilterOptions & { readonly deadLetterQueue?: sqs.IQueue };
      rawMessageDelivery?: boolean;
      deliveryPolicy?: sns.DeliveryPolicy;
      endpointWiring?: QueueWiring;
    },
  ): FanOutSubscription {
    const given = spec.options.deadLetterQueue;
    const shared = given === undefined || given === this.sharedDeadLetterQueue;
    const subscription = new FanOutSubscription(home, homeId, {
      topic: this.topic,
      protocol: spec.protocol,
      endpoint: spec.endpoint,
      filterPolicy: spec.options.filterPolicy,
      filterPolicyWithMessageBody: spec.options.filterPolicyWithMessageBody,
      rawMessageDelivery: spec.rawMessageDelivery,
      deliveryPolicy: spec.deliveryPolicy,
      deadLetterQueue: given ?? this.ensureSharedDeadLetterQueue(),
      deadLetterQueueAlarm: !shared,
      alarmTopic: this.alarmTopic,
    });
    if (spec.endpointWiring) {
      // SNS confirms an SQS subscription by sending to the queue: its policies must be in place first.
      subscription.subscription.node.addDependency(...spec.endpointWiring.dependables);
      subscription._addStatementsForEndpointOwner(spec.endpointWiring.notAdded);
    }
    this.createdSubscriptions.push(subscription);
    this.countFilter(spec.options.filterPolicy ?? spec.options.filterPolicyWithMessageBody);
    return subscription;
  }

  private ensureSharedDeadLetterQueue(): WorkQueue {
    if (this.sharedDeadLetterQueue) {
      return this.sharedDeadLetterQueue;
    }
    // A key of its own, not the topic's: its policy names the topic, and the topic would name it.
    const queue = new WorkQueue(this, 'SubscriptionDeadLetterQueue', {
      fifo: this.fifo,
      retentionPeriod: SUBSCRIPTION_DEAD_LETTER_RETENTION,
      deadLetterRetentionPeriod: SUBSCRIPTION_DEAD_LETTER_DLQ_RETENTION,
      encryption: WorkQueueEncryption.KMS,
      alarmTopic: this.alarmTopic,
      removalPolicy: this.removalPolicy,
      // The fan-out's group shows its depth per subscriber, and its alarms.
      dashboard: false,
    });
    this.sharedDeadLetterQueue = queue;
    this.sharedDeadLetterQueueWiring = letTopicSendTo(this.topicArn, queue, {
      scope: this,
      prop: 'subscriptionDeadLetterQueue',
    });

    this.sharedDeadLetterQueueNotEmptyAlarm = notifyingAlarm(this, 'SubscriptionDeadLetterQueueNotEmptyAlarm', {
      alarmTopic: this.alarmTopic,
      description: `SNS could not deliver notifications of ${this.node.path} to a subscriber; they wait in its subscription dead-letter queue. Inspect them, fix the subscriber, and redrive them.`,
      metric: queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    // A share below 1 of the retention, so that the alarm can fire before the message expires: a
    // threshold at or beyond the retention could never be reached (SQS deletes the message first).
    const ageThreshold = Math.floor(SUBSCRIPTION_DEAD_LETTER_RETENTION.toSeconds() * DEAD_LETTER_AGE_ALARM_SHARE);
    this.sharedDeadLetterQueueMessageAgeAlarm = notifyingAlarm(this, 'SubscriptionDeadLetterQueueMessageAgeAlarm', {
      alarmTopic: this.alarmTopic,
      description: `An undeliverable notification of ${this.node.path} is older than 75% of the 10-day retention of its subscription dead-letter queue (${ageThreshold} s): redrive it before it expires.`,
      metric: queue.metricApproximateAgeOfOldestMessage({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      threshold: ageThreshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    return queue;
  }

  /** Adds the statements to the topic's and the key's policies; returns (and warns about) what it could not add. */
  private allowPublishing(
    method: string,
    publisher: string,
    topicStatement: iam.PolicyStatement,
    keyStatement: iam.PolicyStatement,
  ): iam.PolicyStatement[] {
    if (this.encryptionKey && isAwsManagedKey(this.encryptionKey, AWS_MANAGED_SNS_KEY_ALIAS)) {
      // Its policy cannot be changed, so the publisher could never encrypt: the statements could never be added.
      throw invalidProp(
        this,
        method,
        `cannot let ${Token.isUnresolved(publisher) ? 'a publisher' : publisher} publish to a topic under the AWS-managed ${AWS_MANAGED_SNS_KEY_ALIAS} key: nobody can change its policy to let them use it; give the topic a customer-managed key`,
        publisher,
      );
    }
    const notAdded: Array<[string, iam.PolicyStatement]> = [];
    const topicResult = this.topic.addToResourcePolicy(topicStatement);
    if (!topicResult.statementAdded) {
      notAdded.push(['topic policy', topicStatement]);
    } else if (topicResult.policyDependable instanceof sns.TopicPolicy) {
      const statements = distinctStatements(this, topicResult.policyDependable.document);
      if (statements > SNS_POLICY_MAX_STATEMENTS) {
        throw invalidProp(
          this,
          method,
          `would make the topic policy hold ${statements} statements; SNS allows at most ${SNS_POLICY_MAX_STATEMENTS}`,
          publisher,
        );
      }
    }
    if (this.encryptionKey && !this.encryptionKey.addToResourcePolicy(keyStatement, true).statementAdded) {
      notAdded.push(["topic's key policy", keyStatement]);
    }
    if (notAdded.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:topicPolicyNotManaged',
        `${method}: the ${notAdded.map(([where]) => where).join(' and the ')} ${notAdded.length > 1 ? 'are' : 'is'} not managed by this app, so the publisher cannot publish until the owner adds these statements (in that order; ${method} returned them): ` +
          statementsJson(
            this.topic,
            notAdded.map(([, statement]) => statement),
          ),
      );
    }
    return notAdded.map(([, statement]) => statement);
  }

  /** Warns, on the subscription, about the statements the endpoint's owner must add. */
  private warnEndpointOwner(
    subscription: FanOutSubscription,
    endpoint: IConstruct,
    notAdded: StatementForOwner[],
    advice = '',
  ): void {
    if (notAdded.length === 0) {
      return;
    }
    Annotations.of(subscription).addWarningV2(
      'cdk-decoupling-patterns:endpointPolicyNotManaged',
      `${notAdded.map(({ where }) => where.replace(/^the /, '')).join(' and ')} ${notAdded.length > 1 ? 'are' : 'is'} not managed by this app, so SNS cannot deliver to ${endpoint.node.path} until the owner adds these statements (they are in statementsForEndpointOwner of ${subscription.node.path}) and, for an endpoint in another account, confirms the subscription${advice}: ` +
        describeStatements(this.topic, notAdded),
    );
  }

  /**
   * aws-cdk-lib's SqsSubscription adds the queue's and the key's statements itself and drops them silently
   * where it cannot (an imported queue or key). The same statements are added again here (identical ones
   * render once) to learn which could not be, and the owner is told.
   */
  private warnWhereSubscriberCouldNotWire(subscription: sns.Subscription, queue: sqs.IQueue): void {
    const notAdded: StatementForOwner[] = [];
    const send = snsSendStatement(this.topicArn, queue.queueArn);
    if (!queue.addToResourcePolicy(send).statementAdded) {
      notAdded.push({ where: `the queue policy of ${nameOf(queue, queue.queueArn)}`, statement: send });
    }
    const key = queue.encryptionMasterKey;
    if (key && !canTakeStatements(key)) {
      notAdded.push({
        where: `the key policy of ${nameOf(key, key.keyArn)}`,
        statement: snsQueueKeyStatement(this.topicArn),
      });
    }
    if (notAdded.length > 0) {
      Annotations.of(subscription).addWarningV2(
        'cdk-decoupling-patterns:endpointPolicyNotManaged',
        `${notAdded.map(({ where }) => where.replace(/^the /, '')).join(' and ')} ${notAdded.length > 1 ? 'are' : 'is'} not managed by this app, so SNS cannot deliver to ${queue.node.path} until the owner adds these statements (addQueueSubscriber would also return them): ` +
          describeStatements(this.topic, notAdded),
      );
    }
  }

  /**
   * The construct id of a subscription `addSubscription` makes: aws-cdk-lib's id for the subscriber, unless it
   * folds into an id another subscriber of this fan-out has (URLs `.../a/b` and `.../a--b` fold alike); then that
   * id with a hash of its own, so that two different endpoints are never refused for their ids.
   */
  private subscriptionConstructId(prop: string, scope: Construct, subscriberId: string, inNamespace: boolean): string {
    const free = (id: string) => !scope.node.tryFindChild(id) && (!inNamespace || this.subscriberIds.isFree(id));
    if (free(subscriberId)) {
      return subscriberId;
    }
    const disambiguated = disambiguatedId(subscriberId);
    if (free(disambiguated)) {
      return disambiguated;
    }
    throw invalidProp(
      this,
      prop,
      `is already subscribed under ${scope.node.path} (each subscriber once)`,
      subscriberId,
    );
  }

  /** Runs aws-cdk-lib's part of `addSubscription`, naming this method in what it refuses. */
  private fromAwsCdkLib<T>(prop: string, topicSubscription: sns.ITopicSubscription, run: () => T): T {
    try {
      return run();
    } catch (error) {
      const message = (error as Error).message;
      if (message.startsWith(`[${this.node.path}]`)) {
        throw error;
      }
      throw invalidProp(
        this,
        prop,
        `cannot be subscribed: aws-cdk-lib refused it (${message.split('\n')[0]})`,
        topicSubscription.constructor?.name ?? topicSubscription,
      );
    }
  }

  private countFilter(filter: object | undefined): void {
    if (filter === undefined) {
      return;
    }
    this.filteredSubscriptions++;
    if (this.filteredSubscriptions === FILTER_POLICIES_PER_TOPIC_QUOTA + 1) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:filterPoliciesPerTopic',
        `More than ${FILTER_POLICIES_PER_TOPIC_QUOTA} subscriptions of this topic have a filter policy, the default SNS quota of filter policies per topic: beyond it the subscriptions fail to deploy unless the quota was raised (Service Quotas).`,
      );
    }
  }

  private sendStatementId(): string {
    return `AllowTopic${Names.nodeUniqueId(this.node)}ToSend`.slice(0, 100);
  }

  private validateSubscriptionOptions(
    at: string,
    options: FanOutFilterOptions & {
      readonly deadLetterQueue?: sqs.IQueue;
      readonly deliveryPolicy?: sns.DeliveryPolicy;
      readonly rawMessageDelivery?: boolean;
    },
  ): void {
    if (typeof options !== 'object' || options === null) {
      throw invalidProp(this, `${at} options`, 'must be an object of options', options);
    }
    validateSubscriptionLimits(this, `${at} `, options);
    if (options.deadLetterQueue !== undefined) {
      validateQueueForTopic(
        this,
        `${at} deadLetterQueue`,
        options.deadLetterQueue,
        topicTraits(this.topic),
        'deadLetterQueue',
      );
    }
  }

  /** Each endpoint once, whichever method subscribed it, compared as SNS would reach it (see `endpointIdentity`). */
  private checkEndpoint(method: string, argument: string, protocol: string, endpoint: string): void {
    const existing = this.subscribedEndpoints.get(endpointIdentity(protocol, endpoint));
    if (existing !== undefined) {
      throw invalidProp(
        this,
        methodArgument(method, argument),
        `is already subscribed through this TopicFanOut, as "${existing}" (each endpoint once)`,
        endpoint,
      );
    }
  }

  /**
   * A queue or function of another stack subscribes in its stack, which then references the topic and the
   * dead-letter queue: CloudFormation references (aws-cdk-lib's cross-stack references) work only between
   * stacks of one environment, the same account and Region or both env-agnostic.
   */
  private checkSameEnvironment(prop: string, endpoint: IConstruct): void {
    const theirs = Stack.of(endpoint);
    const ours = Stack.of(this);
    if (theirs === ours || theirs.environment === ours.environment) {
      return;
    }
    const env = (stack: Stack) =>
      Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)
        ? 'env-agnostic'
        : `${stack.account}, ${stack.region}`;
    throw invalidProp(
      this,
      prop,
      `must be in a stack of the topic's environment (${env(ours)}), not ${env(theirs)}: it subscribes in its own stack, which references the topic and the dead-letter queue; import it into the topic's stack by its ARN instead`,
      endpoint.node.path,
    );
  }

  /**
   * The shared subscription dead-letter queue is in this stack's Region, and "the Amazon SNS subscription and
   * Amazon SQS queue must be under the same AWS account and Region" (Amazon SNS dead-letter queues,
   * https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html); a subscription is in its topic's
   * Region. A given topic of another Region therefore needs each subscriber's own dead-letter queue, in its
   * Region. Compared only when both Regions are known at synth.
   *
   * @param prop the option that gives a dead-letter queue (`addQueue("A") deadLetterQueue`), or the method
   *   when it takes none
   */
  private checkSharedDeadLetterQueueRegion(prop: string, ownDeadLetterQueue: sqs.IQueue | undefined): void {
    const topicRegion = this.topic.env.region;
    const stackRegion = Stack.of(this).region;
    if (
      ownDeadLetterQueue ||
      Token.isUnresolved(topicRegion) ||
      Token.isUnresolved(stackRegion) ||
      topicRegion === stackRegion
    ) {
      return;
    }
    const why = `the topic is in ${topicRegion}, and SNS requires a subscription's dead-letter queue in the subscription's (its topic's) Region, while the shared subscription dead-letter queue is in this stack's, ${stackRegion}`;
    throw /deadLetterQueue$/.test(prop)
      ? invalidProp(this, prop, `must be given, a queue in ${topicRegion}: ${why}`, undefined)
      : invalidProp(
          this,
          prop,
          `cannot subscribe, as it takes no dead-letter queue: ${why}`,
          nameOf(this.topic, this.topicArn),
        );
  }

  private claim(id: string, protocol: string, endpoint: string): void {
    this.subscriberIds.add(id);
    this.subscribedEndpoints.set(endpointIdentity(protocol, endpoint), id);
  }

  private topicAlarm(id: string, metric: cloudwatch.Metric, description: string): cloudwatch.Alarm {
    return notifyingAlarm(this, id, {
      description,
      metric: metric.with({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      alarmTopic: this.alarmTopic,
    });
  }

  private requireStandardTopic(method: string, endpoint: unknown): void {
    if (this.fifo) {
      // Amazon SNS message delivery for FIFO topics, https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html
      throw invalidProp(
        this,
        method,
        'is not available on a FIFO topic (SNS FIFO topics deliver only to SQS queues); subscribe a queue and let its consumer forward',
        endpoint,
      );
    }
  }
}

/** The environment of a given topic, for the fan-out that stands for it; none for a topic it creates. */
function topicEnv(props: TopicFanOutProps): { account?: string; region?: string } | undefined {
  const topic = props?.topic as Partial<sns.ITopic> | undefined;
  return typeof topic === 'object' && topic !== null && typeof topic.env === 'object' ? topic.env : undefined;
}

/** The queue an aws-cdk-lib SQS subscriber bound, when it names it as its scope (SqsSubscription does). */
function asQueue(scope: Construct | undefined): sqs.IQueue | undefined {
  const queue = scope as Partial<sqs.IQueue> | undefined;
  return queue && typeof queue.queueArn === 'string' && typeof queue.addToResourcePolicy === 'function'
    ? (queue as sqs.IQueue)
    : undefined;
}

/** Whether a key's policy is this app's to change: a key defined here, or an alias of one. */
function canTakeStatements(key: kms.IKey): boolean {
  if (key instanceof kms.Key) {
    return true;
  }
  if (key instanceof kms.Alias) {
    return canTakeStatements(key.aliasTargetKey);
  }
  return false;
}
