import { Annotations, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  FanOutFilterOptions,
  FanOutHttpsSubscriptionOptions,
  FanOutSubscription,
  FanOutSubscriptionOptions,
} from './fan-out-subscription';
import { notifyingAlarm } from './private/alarms';
import { regionalServiceName } from './private/aws-names';
import { nameSaysFifo, resolveFifo } from './private/fifo';
import { grantWithKey } from './private/grants';
import { serviceKeyStatement } from './private/key-policies';
import { childNamespace } from './private/namespaces';
import { resolveRemovalPolicy } from './private/removal-policy';
import {
  describeStatements,
  letTopicSendTo,
  QueueWiring,
  SNS_SERVICE_PRINCIPAL,
  topicTraits,
  validateQueueForTopic,
} from './private/topic-fan-out/delivery';
import { validateSubscriptionLimits } from './private/topic-fan-out/subscription-validation';
import { isHttpsUrl, validateAccountId, validateTopicChoice } from './private/topic-fan-out/topic-validation';
import { invalidProp } from './private/validation';
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
   * topic's name ends in `.fifo`. Not with `topic`.
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
}

/**
 * Options of a queue created by `TopicFanOut.addQueue`: every WorkQueue prop, and how it subscribes.
 */
export interface FanOutQueueOptions extends WorkQueueProps, FanOutSubscriptionOptions {}

const CODESTAR_NOTIFICATIONS_PRINCIPAL = 'codestar-notifications.amazonaws.com';

/** What a publisher does with the topic's key: exactly the actions behind aws-cdk-lib's `kms:GenerateDataKey*`. */
const PUBLISH_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/** SQS keeps a message at most 14 days; SNS stamps it when it moves it to the dead-letter queue. */
const SUBSCRIPTION_DEAD_LETTER_RETENTION = Duration.days(14);

/** The share of the retention after which a waiting undeliverable message alarms: redrive it before it expires. */
const DEAD_LETTER_AGE_ALARM_SHARE = 0.75;

/**
 * An SNS topic fanned out to SQS queues and other subscribers, with the policies that
 * let exactly this topic deliver. It is itself an `sns.ITopic` (the topic it fans out):
 * pass it wherever a topic is expected.
 *
 * - The topic is encrypted with a key of its own and denies publishing without TLS (or is
 *   a topic you give, whose posture stays yours).
 * - Every subscriber queue's policy lets `sns.amazonaws.com` send only when
 *   `aws:SourceArn` is this topic, and each customer-managed key a subscriber queue uses
 *   lets SNS use it only for this topic.
 * - What SNS cannot deliver to a subscriber lands in one subscription dead-letter queue shared
 *   by all subscribers (a WorkQueue kept 14 days, under a key of its own, that only this topic
 *   may send to), which alarms when it is not empty and before its messages expire. A subscriber
 *   may have a dead-letter queue of its own instead (`deadLetterQueue`), with its own alarm.
 * - Alarms on failed notifications and on messages moved to (or lost on the way to) a
 *   subscription dead-letter queue.
 *
 * Subscribers can be added at any time with `addQueue`, `addQueueSubscriber`,
 * `addHttpsSubscriber`, `addLambdaSubscriber`, `addEmailSubscriber` and `addSmsSubscriber`,
 * each under an id of its own: `<fanOut>/Subscriptions/<id>` (and `<fanOut>/Queues/<id>` for
 * the queue `addQueue` creates).
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
  private readonly subscriberIds = new Set<string>();
  /** Each endpoint subscribed (its literal string, token or not) and the id it was subscribed under. */
  private readonly subscribedEndpoints = new Map<string, string>();
  private sharedDeadLetterQueue?: WorkQueue;
  private sharedDeadLetterQueueWiring?: QueueWiring;
  private sharedDeadLetterQueueNotEmptyAlarm?: cloudwatch.Alarm;
  private sharedDeadLetterQueueMessageAgeAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: TopicFanOutProps = {}) {
    // As an sns.ITopic the fan-out lives where its topic does: grants across accounts depend on it.
    super(scope, id, { account: props.topic?.env.account, region: props.topic?.env.region });
    validateTopicChoice(this, props);
    this.removalPolicy = resolveRemovalPolicy(this, props.removalPolicy, 'SQS queues and KMS keys');

    if (props.topic) {
      this.topic = props.topic;
      this.encryptionKey = props.topic.masterKey;
    } else {
      const fifo = resolveFifo(props.fifo, props.topicName);
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
   * `<fanOut>/SubscriptionDeadLetterQueue`, FIFO when the topic is, kept 14 days, under a key of
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
   * 75% of its 14-day retention: redrive or inspect it before it expires.
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
   */
  public addQueue(id: string, options: FanOutQueueOptions = {}): WorkQueue {
    const method = 'addQueue';
    const at = `${method}("${id}")`;
    this.checkSubscriberId(method, id);
    const fifo = options.fifo ?? (nameSaysFifo(options.queueName) || this.fifo);
    if (fifo && !this.fifo) {
      throw invalidProp(
        this,
        `${at} fifo`,
        'must be false behind a standard topic (SNS delivers only FIFO topics to FIFO queues); make the TopicFanOut FIFO or the queue standard',
        true,
      );
    }
    if (options.encryptionKey && options.encryptionKey === this.encryptionKey) {
      throw invalidProp(
        this,
        `${at} encryptionKey`,
        "must not be the topic's encryptionKey (the key policy would name the topic and the topic the key: a dependency cycle); give the queue a key of its own",
        options.encryptionKey.node.path,
      );
    }
    this.validateSubscriptionOptions(at, options);

    const queue = new WorkQueue(childNamespace(this, 'Queues'), id, {
      ...options,
      fifo,
      alarmTopic: options.alarmTopic ?? this.alarmTopic,
      removalPolicy: options.removalPolicy ?? this.removalPolicy,
    });
    this.createdQueues.push(queue);
    if (options.removalPolicy === undefined) {
      this.queuesFollowingRemovalPolicy.push(queue);
    }
    this.claim(id, queue.queueArn);
    this.subscribe(childNamespace(this, 'Subscriptions'), id, {
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: queue.queueArn,
      options,
      rawMessageDelivery: options.rawMessageDelivery,
      endpointWiring: letTopicSendTo(this.topicArn, queue, this.sendStatementId()),
    });
    return queue;
  }

  /**
   * Subscribes an existing queue, defined here or imported, in this account or another,
   * at `<fanOut>/Subscriptions/<id>`.
   *
   * When this construct can change the queue's policy (and its key's), it adds the
   * statements that let SNS deliver for this topic only. When it cannot (an imported
   * queue, or one in another account), the returned subscription's
   * `statementsForEndpointOwner` holds the exact statements the queue owner must add,
   * and a warning says so at synth. A queue in another account must also confirm the
   * subscription: SNS sends a `SubscriptionConfirmation` message to the queue whose
   * `SubscribeURL` the owner visits (or passes to `ConfirmSubscription`).
   *
   * A queue of another stack of this app subscribes in its own stack, under the queue, as
   * aws-cdk-lib's `SqsSubscription` does: that stack then depends on the topic's, never the reverse.
   */
  public addQueueSubscriber(
    id: string,
    queue: sqs.IQueue,
    options: FanOutSubscriptionOptions = {},
  ): FanOutSubscription {
    const method = 'addQueueSubscriber';
    this.checkSubscriberId(method, id);
    this.checkEndpoint(method, 'queue', queue.queueArn);
    validateQueueForTopic(this, `${method} queue`, queue, topicTraits(this.topic), 'subscriber');
    this.validateSubscriptionOptions(`${method}("${id}")`, options);

    this.claim(id, queue.queueArn);
    const endpointWiring = letTopicSendTo(this.topicArn, queue, this.sendStatementId());
    const inOtherStack = Stack.of(queue) !== Stack.of(this);
    const subscription = this.subscribe(
      inOtherStack ? queue : childNamespace(this, 'Subscriptions'),
      inOtherStack ? `${Names.nodeUniqueId(this.node)}${id}` : id,
      {
        protocol: sns.SubscriptionProtocol.SQS,
        endpoint: queue.queueArn,
        options,
        rawMessageDelivery: options.rawMessageDelivery,
        endpointWiring,
      },
    );
    const notAdded = endpointWiring.notAdded;
    if (notAdded.length > 0) {
      Annotations.of(subscription).addWarningV2(
        'cdk-decoupling-patterns:endpointPolicyNotManaged',
        `${queue.queueArn} is not managed by this app, so SNS cannot deliver to it until its owner adds these statements (the first to the queue policy${notAdded.length > 1 ? ', the second to the key policy' : ''}) and, for a queue in another account, confirms the subscription: ` +
          describeStatements(this.topic, notAdded),
      );
    }
    return subscription;
  }

  /**
   * Subscribes an HTTPS endpoint at `<fanOut>/Subscriptions/<id>`, with a delivery policy
   * (retries with backoff, optional throttle). Standard topics only.
   *
   * The endpoint must confirm the subscription (SNS posts a `SubscriptionConfirmation`).
   */
  public addHttpsSubscriber(id: string, url: string, options: FanOutHttpsSubscriptionOptions = {}): FanOutSubscription {
    const method = 'addHttpsSubscriber';
    this.requireStandardTopic(method, url);
    this.checkSubscriberId(method, id);
    if (!Token.isUnresolved(url) && !isHttpsUrl(url)) {
      throw invalidProp(this, `${method} url`, 'must be an https:// URL (SNS would send plain-text HTTP)', url);
    }
    this.checkEndpoint(method, 'url', url);
    this.validateSubscriptionOptions(`${method}("${id}")`, options);

    this.claim(id, url);
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
   */
  public addLambdaSubscriber(id: string, fn: lambda.IFunction, options: FanOutFilterOptions = {}): FanOutSubscription {
    const method = 'addLambdaSubscriber';
    this.requireStandardTopic(method, fn.node.path);
    this.checkSubscriberId(method, id);
    this.checkEndpoint(method, 'fn', fn.functionArn);
    this.validateSubscriptionOptions(`${method}("${id}")`, options);

    this.claim(id, fn.functionArn);
    const permissionId = `InvokedBy${Names.nodeUniqueId(this.topic.node)}`;
    if (!fn.permissionsNode.tryFindChild(permissionId)) {
      fn.addPermission(permissionId, {
        principal: new iam.ServicePrincipal(SNS_SERVICE_PRINCIPAL),
        sourceArn: this.topicArn,
      });
    }
    const permission = fn.permissionsNode.tryFindChild(permissionId);
    const inOtherStack = Stack.of(fn) !== Stack.of(this);
    return this.subscribe(
      inOtherStack ? fn : childNamespace(this, 'Subscriptions'),
      inOtherStack ? `${Names.nodeUniqueId(this.node)}${id}` : id,
      {
        protocol: sns.SubscriptionProtocol.LAMBDA,
        endpoint: fn.functionArn,
        options,
        endpointWiring: { dependables: permission ? [permission] : [], notAdded: [] },
      },
    );
  }

  /**
   * Subscribes an email address at `<fanOut>/Subscriptions/<id>`. The recipient must confirm
   * from the email SNS sends. Standard topics only.
   */
  public addEmailSubscriber(id: string, address: string): FanOutSubscription {
    const method = 'addEmailSubscriber';
    this.requireStandardTopic(method, address);
    this.checkSubscriberId(method, id);
    if (!Token.isUnresolved(address) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      throw invalidProp(this, `${method} address`, 'must be an email address', address);
    }
    this.checkEndpoint(method, 'address', address);

    this.claim(id, address);
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
    this.checkSubscriberId(method, id);
    if (!Token.isUnresolved(phoneNumber) && !/^\+[1-9][0-9]{1,14}$/.test(phoneNumber)) {
      throw invalidProp(
        this,
        `${method} phoneNumber`,
        'must be in E.164 format: "+", a country code and at most 15 digits, e.g. "+14155550100"',
        phoneNumber,
      );
    }
    this.checkEndpoint(method, 'phoneNumber', phoneNumber);

    this.claim(id, phoneNumber);
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
   * scope when it names one, else at `<fanOut>/Subscriptions/<subscriberId>`), with one
   * difference: unless the subscriber brings a dead-letter queue, undeliverable messages go to
   * the fan-out's shared subscription dead-letter queue. The subscriber wires its endpoint's
   * policies as aws-cdk-lib does; prefer the `add*` methods, which grant for this topic only and
   * return what they could not add. Such subscriptions are not listed in `subscriptions`.
   */
  public addSubscription(topicSubscription: sns.ITopicSubscription): sns.Subscription {
    const config = topicSubscription.bind(this);
    if (Token.isUnresolved(config.subscriberId)) {
      throw invalidProp(
        this,
        'addSubscription topicSubscription',
        'must name its subscription with an id known at synth (an endpoint given as a token has none); use the add* method for its protocol, which takes an id',
        config.endpoint,
      );
    }
    const scope = config.subscriberScope ?? childNamespace(this, 'Subscriptions');
    const inNamespace = config.subscriberScope === undefined;
    if (inNamespace) {
      this.checkSubscriberId('addSubscription', config.subscriberId);
    } else if (scope.node.tryFindChild(config.subscriberId)) {
      throw invalidProp(
        this,
        'addSubscription topicSubscription',
        `is already subscribed under ${scope.node.path} (each subscriber once)`,
        config.subscriberId,
      );
    }
    this.checkEndpoint('addSubscription', 'topicSubscription', config.endpoint);
    if (config.deadLetterQueue) {
      validateQueueForTopic(
        this,
        'addSubscription deadLetterQueue',
        config.deadLetterQueue,
        topicTraits(this.topic),
        'deadLetterQueue',
      );
    }

    if (inNamespace) {
      this.subscriberIds.add(config.subscriberId);
    }
    this.subscribedEndpoints.set(config.endpoint, config.subscriberId);
    const shared = config.deadLetterQueue === undefined;
    const subscription = new sns.Subscription(scope, config.subscriberId, {
      topic: this.topic,
      protocol: config.protocol,
      endpoint: config.endpoint,
      rawMessageDelivery: config.rawMessageDelivery,
      filterPolicy: config.filterPolicy,
      filterPolicyWithMessageBody: config.filterPolicyWithMessageBody,
      region: config.region,
      deliveryPolicy: config.deliveryPolicy,
      subscriptionRoleArn: config.subscriptionRoleArn,
      deadLetterQueue: config.deadLetterQueue ?? this.ensureSharedDeadLetterQueue(),
    });
    if (config.subscriptionDependency) {
      subscription.node.addDependency(config.subscriptionDependency);
    }
    if (shared) {
      subscription.node.addDependency(...this.sharedDeadLetterQueueWiring!.dependables);
    }
    return subscription;
  }

  /**
   * Adds a statement to the topic's resource policy; nothing is added to a topic this app
   * does not manage (`statementAdded` is false).
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.topic.addToResourcePolicy(statement);
  }

  /**
   * Lets the grantee publish to the topic, and use the topic's key to do so: exactly
   * `sns:Publish`, `kms:GenerateDataKey` and `kms:Decrypt` (aws-cdk-lib's
   * `topic.grantPublish` grants `kms:GenerateDataKey*`, a wildcard compliance packs flag).
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    return grantWithKey({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [this.topicArn],
      resource: this.topic,
      key: this.encryptionKey,
      keyActions: PUBLISH_KEY_ACTIONS,
    });
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
    return { grant: this.encryptionKey?.grant(grantee, ...exact) };
  }

  /**
   * Lets an AWS service publish to the topic on behalf of one resource, for example
   * S3 event notifications of a bucket or EventBridge rules.
   *
   * The topic policy allows `servicePrincipal` to publish only when `aws:SourceArn`
   * matches `sourceArn` and `aws:SourceAccount` is `sourceAccount`, which guards against
   * the confused deputy; the key policy lets the service use the topic's key under the
   * same conditions.
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
    if (!Token.isUnresolved(servicePrincipal) && !/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(servicePrincipal)) {
      throw invalidProp(
        this,
        `${method} servicePrincipal`,
        'must be an AWS service principal such as "s3.amazonaws.com"',
        servicePrincipal,
      );
    }
    if (!Token.isUnresolved(sourceArn) && !sourceArn.startsWith('arn:')) {
      throw invalidProp(this, `${method} sourceArn`, 'must be an ARN (it may contain * wildcards)', sourceArn);
    }
    validateAccountId(this, `${method} sourceAccount`, sourceAccount);

    const account = sourceAccount ?? Stack.of(this).account;
    const principal = new iam.ServicePrincipal(servicePrincipal);
    return this.allowPublishing(
      method,
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
   *
   * @param accountId the 12-digit id of the publishing account
   * @returns the statements this app could not add because it does not manage the topic or its key
   *   (the topic policy's, then the key policy's), which the topic's owner must add; empty when all were added
   */
  public allowAccountPublish(accountId: string): iam.PolicyStatement[] {
    const method = 'allowAccountPublish';
    validateAccountId(this, `${method} accountId`, accountId);
    const principal = new iam.AccountPrincipal(accountId);
    return this.allowPublishing(
      method,
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
      deadLetterRetentionPeriod: SUBSCRIPTION_DEAD_LETTER_RETENTION,
      encryption: WorkQueueEncryption.KMS,
      alarmTopic: this.alarmTopic,
      removalPolicy: this.removalPolicy,
    });
    Annotations.of(queue).acknowledgeWarning(
      'cdk-decoupling-patterns:deadLetterRetentionNotLonger',
      'This queue holds messages SNS could not deliver and is kept the SQS maximum of 14 days; its own dead-letter queue (for messages a reprocessing consumer fails on) cannot be kept longer.',
    );
    this.sharedDeadLetterQueue = queue;
    this.sharedDeadLetterQueueWiring = letTopicSendTo(this.topicArn, queue);

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
    const ageThreshold = Math.floor(SUBSCRIPTION_DEAD_LETTER_RETENTION.toSeconds() * DEAD_LETTER_AGE_ALARM_SHARE);
    this.sharedDeadLetterQueueMessageAgeAlarm = notifyingAlarm(this, 'SubscriptionDeadLetterQueueMessageAgeAlarm', {
      alarmTopic: this.alarmTopic,
      description: `An undeliverable notification of ${this.node.path} is older than 75% of the 14-day retention of its subscription dead-letter queue (${ageThreshold} s): redrive it before it expires.`,
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
    topicStatement: iam.PolicyStatement,
    keyStatement: iam.PolicyStatement,
  ): iam.PolicyStatement[] {
    const notAdded: Array<[string, iam.PolicyStatement]> = [];
    if (!this.topic.addToResourcePolicy(topicStatement).statementAdded) {
      notAdded.push(['topic policy', topicStatement]);
    }
    if (this.encryptionKey && !this.encryptionKey.addToResourcePolicy(keyStatement, true).statementAdded) {
      notAdded.push(["topic's key policy", keyStatement]);
    }
    if (notAdded.length > 0) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:topicPolicyNotManaged',
        `${method}: the ${notAdded.map(([where]) => where).join(' and the ')} ${notAdded.length > 1 ? 'are' : 'is'} not managed by this app, so the publisher cannot publish until the owner adds these statements (in that order): ` +
          describeStatements(
            this.topic,
            notAdded.map(([, statement]) => statement),
          ),
      );
    }
    return notAdded.map(([, statement]) => statement);
  }

  private sendStatementId(): string {
    return `AllowTopic${Names.nodeUniqueId(this.node)}ToSend`.slice(0, 100);
  }

  private validateSubscriptionOptions(
    at: string,
    options: FanOutFilterOptions & {
      readonly deadLetterQueue?: sqs.IQueue;
      readonly deliveryPolicy?: sns.DeliveryPolicy;
    },
  ): void {
    validateSubscriptionLimits(this, `${at} `, options);
    if (options.deadLetterQueue) {
      validateQueueForTopic(
        this,
        `${at} deadLetterQueue`,
        options.deadLetterQueue,
        topicTraits(this.topic),
        'deadLetterQueue',
      );
    }
  }

  private checkSubscriberId(method: string, id: string): void {
    if (this.subscriberIds.has(id)) {
      throw invalidProp(
        this,
        `${method} id`,
        'is already the id of another subscriber of this TopicFanOut (each subscriber has an id of its own)',
        id,
      );
    }
  }

  /** Each endpoint once, compared as written: the same literal, or the same token. */
  private checkEndpoint(method: string, argument: string, endpoint: string): void {
    const existing = this.subscribedEndpoints.get(endpoint);
    if (existing !== undefined) {
      throw invalidProp(
        this,
        `${method} ${argument}`,
        `is already subscribed through this TopicFanOut, as "${existing}" (each endpoint once)`,
        endpoint,
      );
    }
  }

  private claim(id: string, endpoint: string): void {
    this.subscriberIds.add(id);
    this.subscribedEndpoints.set(endpoint, id);
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

  private requireStandardTopic(method: string, endpoint: string): void {
    if (this.fifo) {
      throw invalidProp(
        this,
        method,
        'is not available on a FIFO topic (SNS FIFO topics deliver only to SQS queues); subscribe a queue and let its consumer forward',
        endpoint,
      );
    }
  }
}
