import { Annotations, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct, IDependable } from 'constructs';
import {
  FanOutFilterOptions,
  FanOutHttpsSubscriptionOptions,
  FanOutSubscription,
  FanOutSubscriptionOptions,
} from './fan-out-subscription';
import { notifyingAlarm } from './private/alarms';
import { AWS_MANAGED_SQS_KEY_ALIAS, isAwsManagedKey } from './private/aws-managed-keys';
import { invalidProp, validateFifoAwareName } from './private/validation';
import { StackAlarmTopic } from './stack-alarm-topic';
import { WorkQueue, WorkQueueProps } from './work-queue';

/**
 * Properties of a TopicFanOut.
 */
export interface TopicFanOutProps {
  /**
   * Whether the topic is FIFO: strict order per message group and deduplication, for
   * SQS subscribers only. Queues added with `addQueue` are FIFO too unless they say otherwise.
   *
   * @default - false, unless `topicName` ends in `.fifo`
   */
  readonly fifo?: boolean;

  /**
   * Use a SHA-256 hash of the message body as the deduplication id. FIFO topics only.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * The name of the topic: 1 to 256 letters, digits, hyphens and underscores; a FIFO
   * topic's name ends in `.fifo`.
   *
   * @default - a name CloudFormation generates (for a FIFO topic, one derived from the construct path)
   */
  readonly topicName?: string;

  /**
   * The customer-managed key the topic encrypts messages with. Publishers need
   * `kms:GenerateDataKey` and `kms:Decrypt` on it (`grantPublish` gives both).
   *
   * Do not share it with a queue subscribed to this topic: the queue's key policy names
   * the topic and the topic names the key, a dependency cycle.
   *
   * @default - a new key with rotation on, used by this topic only
   */
  readonly masterKey?: kms.IKey;

  /**
   * The topic the alarms notify.
   *
   * @default - the stack-wide alarm topic, `StackAlarmTopic.of(this).topic`
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Options of a queue created by `TopicFanOut.addQueue`: every WorkQueue prop, and how it subscribes.
 */
export interface FanOutQueueOptions extends WorkQueueProps, FanOutSubscriptionOptions {}

const FIFO_SUFFIX = '.fifo';
const TOPIC_NAME_MAX_LENGTH = 256;
const SNS_SERVICE_PRINCIPAL = 'sns.amazonaws.com';

/**
 * An SNS topic fanned out to SQS queues and other subscribers, with the policies that
 * let exactly this topic deliver.
 *
 * - The topic is encrypted with a key of its own and denies publishing without TLS.
 * - Every subscriber queue's policy lets `sns.amazonaws.com` send only when
 *   `aws:SourceArn` is this topic, and each customer-managed key a subscriber queue uses
 *   lets SNS use it only for this topic.
 * - Every subscription has a dead-letter queue (a WorkQueue, kept 14 days) and an alarm.
 * - Alarms on failed notifications and on messages moved to (or lost on the way to) a
 *   subscription dead-letter queue.
 *
 * Subscribers can be added at any time with `addQueue`, `subscribeQueue`,
 * `addHttpsSubscriber`, `addLambdaSubscriber`, `addEmailSubscriber` and `addSmsSubscriber`.
 */
export class TopicFanOut extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  /** The key the topic encrypts messages with. */
  public readonly masterKey: kms.IKey;

  /** The topic the alarms notify. */
  public readonly alarmTopic: sns.ITopic;

  /** Whether the topic is FIFO. */
  public readonly fifo: boolean;

  /** Alarms when SNS fails to deliver a notification to any subscriber. */
  public readonly notificationsFailedAlarm: cloudwatch.Alarm;

  /** Alarms when SNS moves a notification it could not deliver to a subscription dead-letter queue. */
  public readonly notificationsRedrivenToDeadLetterQueueAlarm: cloudwatch.Alarm;

  /**
   * Alarms when SNS could not even move an undeliverable notification to its subscription
   * dead-letter queue: the notification is lost for that subscriber.
   */
  public readonly notificationsFailedToRedriveToDeadLetterQueueAlarm: cloudwatch.Alarm;

  private readonly createdQueues: WorkQueue[] = [];
  private readonly createdSubscriptions: FanOutSubscription[] = [];

  constructor(scope: Construct, id: string, props: TopicFanOutProps = {}) {
    super(scope, id);

    this.fifo = resolveFifo(props);
    validateTopicProps(this, props, this.fifo);

    this.masterKey =
      props.masterKey ??
      new kms.Key(this, 'Key', {
        description: `Encrypts the topic of ${this.node.path}`,
        enableKeyRotation: true,
      });

    this.topic = new sns.Topic(this, 'Topic', {
      topicName: props.topicName,
      fifo: this.fifo || undefined,
      contentBasedDeduplication: props.contentBasedDeduplication,
      masterKey: this.masterKey,
      enforceSSL: true,
    });

    this.alarmTopic = props.alarmTopic ?? StackAlarmTopic.of(this).topic;
    this.notificationsFailedAlarm = this.topicAlarm(
      'NotificationsFailedAlarm',
      this.topic.metricNumberOfNotificationsFailed(),
      `SNS failed to deliver notifications of ${this.node.path} to a subscriber.`,
    );
    this.notificationsRedrivenToDeadLetterQueueAlarm = this.topicAlarm(
      'NotificationsRedrivenToDeadLetterQueueAlarm',
      this.topic.metric('NumberOfNotificationsRedrivenToDlq'),
      `SNS moved undeliverable notifications of ${this.node.path} to a subscription dead-letter queue.`,
    );
    this.notificationsFailedToRedriveToDeadLetterQueueAlarm = this.topicAlarm(
      'NotificationsFailedToRedriveToDeadLetterQueueAlarm',
      this.topic.metric('NumberOfNotificationsFailedToRedriveToDlq'),
      `SNS could not move undeliverable notifications of ${this.node.path} to a subscription dead-letter queue: they are lost for that subscriber. Check the dead-letter queue's policy and key.`,
    );
  }

  /** The queues created by `addQueue`, in the order they were added. */
  public get queues(): WorkQueue[] {
    return [...this.createdQueues];
  }

  /** Every subscription made through this construct, in the order they were added. */
  public get subscriptions(): FanOutSubscription[] {
    return [...this.createdSubscriptions];
  }

  /** Every alarm: the topic's, each subscription's, and each queue's created by `addQueue`. */
  public get alarms(): cloudwatch.Alarm[] {
    return [
      this.notificationsFailedAlarm,
      this.notificationsRedrivenToDeadLetterQueueAlarm,
      this.notificationsFailedToRedriveToDeadLetterQueueAlarm,
      ...this.createdSubscriptions.flatMap((subscription) => subscription.alarms),
      ...this.createdQueues.flatMap((queue) => queue.alarms),
    ];
  }

  /**
   * Creates a WorkQueue subscribed to the topic.
   *
   * The queue is FIFO when the topic is, unless `fifo` says otherwise: a FIFO topic may
   * feed a standard queue (best-effort order, at-least-once), a standard topic may not
   * feed a FIFO queue. Its alarms notify this construct's alarm topic unless `alarmTopic`
   * is given. Its subscription's dead-letter queue uses the queue's key, if any.
   */
  public addQueue(id: string, options: FanOutQueueOptions = {}): WorkQueue {
    const nameSaysFifo =
      options.queueName !== undefined &&
      !Token.isUnresolved(options.queueName) &&
      options.queueName.endsWith(FIFO_SUFFIX);
    const fifo = options.fifo ?? (nameSaysFifo || this.fifo);
    if (fifo && !this.fifo) {
      throw invalidProp(
        this,
        `addQueue("${id}") fifo`,
        'must be false behind a standard topic (SNS delivers only FIFO topics to FIFO queues); make the TopicFanOut FIFO or the queue standard',
        true,
      );
    }
    if (options.encryptionKey && options.encryptionKey === this.masterKey) {
      throw invalidProp(
        this,
        `addQueue("${id}") encryptionKey`,
        "must not be the topic's masterKey (the key policy would name the topic and the topic the key: a dependency cycle); give the queue a key of its own",
        options.encryptionKey.node.path,
      );
    }

    const queue = new WorkQueue(this, id, {
      ...options,
      fifo,
      alarmTopic: options.alarmTopic ?? this.alarmTopic,
    });
    this.createdQueues.push(queue);

    const added = this.letTopicDeliverTo(queue, queue.encryptionKey);
    this.subscribe(this, `${id}Subscription`, {
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: queue.queueArn,
      filter: options,
      rawMessageDelivery: options.rawMessageDelivery,
      deadLetterQueueEncryptionKey: queue.encryptionKey,
      dependsOn: [added.queue, added.key].filter((d): d is IDependable => d !== undefined),
    });
    return queue;
  }

  /**
   * Subscribes an existing queue, defined here or imported, in this account or another.
   *
   * When this construct can change the queue's policy (and its key's), it adds the
   * statements that let SNS deliver for this topic only. When it cannot (an imported
   * queue, or one in another account), the returned subscription's
   * `statementsForEndpointOwner` holds the exact statements the queue owner must add,
   * and a warning says so at synth. A queue in another account must also confirm the
   * subscription: SNS sends a `SubscriptionConfirmation` message to the queue whose
   * `SubscribeURL` the owner visits (or passes to `ConfirmSubscription`).
   */
  public subscribeQueue(queue: sqs.IQueue, options: FanOutSubscriptionOptions = {}): FanOutSubscription {
    if (queue.fifo && !this.fifo) {
      throw invalidProp(
        this,
        'subscribeQueue queue',
        'must be a standard queue behind a standard topic (SNS delivers only FIFO topics to FIFO queues)',
        queue.node.path,
      );
    }
    if (
      queue.encryptionType === sqs.QueueEncryption.KMS_MANAGED ||
      (queue.encryptionMasterKey !== undefined && isAwsManagedKey(queue.encryptionMasterKey, AWS_MANAGED_SQS_KEY_ALIAS))
    ) {
      throw invalidProp(
        this,
        'subscribeQueue queue',
        `must not be encrypted with the AWS-managed ${AWS_MANAGED_SQS_KEY_ALIAS} key (SNS cannot use it, so every message would be lost); use SSE-SQS or a customer-managed key`,
        queue.node.path,
      );
    }
    if (queue.encryptionMasterKey && queue.encryptionMasterKey === this.masterKey) {
      throw invalidProp(
        this,
        'subscribeQueue queue',
        "must not be encrypted with the topic's masterKey (a dependency cycle between the key policy and the topic); give the queue a key of its own",
        queue.node.path,
      );
    }

    const policyDependables = this.letTopicDeliverTo(queue, queue.encryptionMasterKey);
    const notAdded = [
      ...(policyDependables.queue ? [] : [this.sendMessageStatement(queue)]),
      ...(queue.encryptionMasterKey && !policyDependables.key ? [this.useKeyStatement()] : []),
    ];
    // A queue of another stack of this app subscribes in its own stack, as aws-cdk-lib's
    // SqsSubscription does: that stack then depends on the topic's, never the reverse.
    const inOtherStack = Stack.of(queue) !== Stack.of(this) && Construct.isConstruct(queue);
    const home: Construct = inOtherStack ? (queue as Construct) : this;
    const id = inOtherStack
      ? `${Names.nodeUniqueId(this.node)}Subscription`
      : `Queue${Names.nodeUniqueId(queue.node)}Subscription`;
    const subscription = this.subscribe(home, id, {
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: queue.queueArn,
      filter: options,
      rawMessageDelivery: options.rawMessageDelivery,
      dependsOn: [policyDependables.queue, policyDependables.key].filter((d): d is IDependable => d !== undefined),
      statementsForEndpointOwner: notAdded,
    });
    if (notAdded.length > 0) {
      Annotations.of(subscription).addWarningV2(
        'cdk-decoupling-patterns:endpointPolicyNotManaged',
        `${queue.queueArn} is not managed by this app, so SNS cannot deliver to it until its owner adds these statements (the first to the queue policy${notAdded.length > 1 ? ', the second to the key policy' : ''}) and, for a queue in another account, confirms the subscription: ` +
          this.describeStatements(notAdded),
      );
    }
    return subscription;
  }

  /**
   * Subscribes an HTTPS endpoint, with a delivery policy (retries with backoff, optional
   * throttle) and a dead-letter queue for what it cannot deliver. Standard topics only.
   *
   * The endpoint must confirm the subscription (SNS posts a `SubscriptionConfirmation`).
   */
  public addHttpsSubscriber(url: string, options: FanOutHttpsSubscriptionOptions = {}): FanOutSubscription {
    this.requireStandardTopic('addHttpsSubscriber', url);
    if (!Token.isUnresolved(url) && !isHttpsUrl(url)) {
      throw invalidProp(
        this,
        'addHttpsSubscriber url',
        'must be an https:// URL (SNS would send plain-text HTTP)',
        url,
      );
    }
    return this.subscribe(this, this.endpointId('Https', url), {
      protocol: sns.SubscriptionProtocol.HTTPS,
      endpoint: url,
      filter: options,
      rawMessageDelivery: options.rawMessageDelivery,
      deliveryPolicy: options.deliveryPolicy,
    });
  }

  /**
   * Subscribes a Lambda function, and lets this topic (only) invoke it. Standard topics
   * only; behind a FIFO topic, subscribe a queue and let it trigger the function.
   */
  public addLambdaSubscriber(fn: lambda.IFunction, options: FanOutFilterOptions = {}): FanOutSubscription {
    this.requireStandardTopic('addLambdaSubscriber', fn.node.path);
    const permissionId = `InvokedBy${Names.nodeUniqueId(this.topic.node)}`;
    fn.addPermission(permissionId, {
      principal: new iam.ServicePrincipal(SNS_SERVICE_PRINCIPAL),
      sourceArn: this.topic.topicArn,
    });
    const permission = fn.permissionsNode.tryFindChild(permissionId);
    return this.subscribe(this, `Lambda${Names.nodeUniqueId(fn.node)}Subscription`, {
      protocol: sns.SubscriptionProtocol.LAMBDA,
      endpoint: fn.functionArn,
      filter: options,
      dependsOn: permission ? [permission] : [],
    });
  }

  /**
   * Subscribes an email address. The recipient must confirm from the email SNS sends.
   * Standard topics only.
   */
  public addEmailSubscriber(address: string): FanOutSubscription {
    this.requireStandardTopic('addEmailSubscriber', address);
    if (!Token.isUnresolved(address) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address)) {
      throw invalidProp(this, 'addEmailSubscriber address', 'must be an email address', address);
    }
    return this.subscribe(this, this.endpointId('Email', address), {
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: address,
      filter: {},
    });
  }

  /**
   * Subscribes a phone number to text messages (SMS). Standard topics only.
   */
  public addSmsSubscriber(phoneNumber: string): FanOutSubscription {
    this.requireStandardTopic('addSmsSubscriber', phoneNumber);
    if (!Token.isUnresolved(phoneNumber) && !/^\+[1-9][0-9]{1,14}$/.test(phoneNumber)) {
      throw invalidProp(
        this,
        'addSmsSubscriber phoneNumber',
        'must be in E.164 format: "+", a country code and at most 15 digits, e.g. "+14155550100"',
        phoneNumber,
      );
    }
    return this.subscribe(this, this.endpointId('Sms', phoneNumber), {
      protocol: sns.SubscriptionProtocol.SMS,
      endpoint: phoneNumber,
      filter: {},
    });
  }

  /**
   * Lets the grantee publish to the topic, and use the topic's key to do so: exactly
   * `sns:Publish`, `kms:GenerateDataKey` and `kms:Decrypt` (aws-cdk-lib's
   * `topic.grantPublish` grants `kms:GenerateDataKey*`, a wildcard compliance packs flag).
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    const publish = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['sns:Publish'],
      resourceArns: [this.topic.topicArn],
      resource: this.topic,
    });
    return publish.combine(this.masterKey.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt'));
  }

  /**
   * Lets an AWS service publish to the topic on behalf of one resource, for example
   * S3 event notifications of a bucket or EventBridge rules.
   *
   * The topic policy allows `servicePrincipal` to publish only when `aws:SourceArn`
   * matches `sourceArn` and `aws:SourceAccount` is `sourceAccount`, which guards against
   * the confused deputy; the key policy lets the service use the topic's key under the
   * same conditions. When the key is imported, its policy cannot be changed here and a
   * warning gives the statement to add.
   *
   * @param servicePrincipal the service, e.g. `s3.amazonaws.com`
   * @param sourceArn the resource the service publishes for (ARN patterns with `*` allowed)
   * @param sourceAccount the account that owns that resource. Default: this stack's account
   */
  public allowServicePublish(servicePrincipal: string, sourceArn: string, sourceAccount?: string): void {
    if (!Token.isUnresolved(servicePrincipal) && !/^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$/.test(servicePrincipal)) {
      throw invalidProp(
        this,
        'allowServicePublish servicePrincipal',
        'must be an AWS service principal such as "s3.amazonaws.com"',
        servicePrincipal,
      );
    }
    if (!Token.isUnresolved(sourceArn) && !sourceArn.startsWith('arn:')) {
      throw invalidProp(
        this,
        'allowServicePublish sourceArn',
        'must be an ARN (it may contain * wildcards)',
        sourceArn,
      );
    }
    const account = sourceAccount ?? Stack.of(this).account;
    validateAccountId(this, 'allowServicePublish sourceAccount', sourceAccount);
    const conditions = {
      ArnLike: { 'aws:SourceArn': sourceArn },
      StringEquals: { 'aws:SourceAccount': account },
    };
    const principal = new iam.ServicePrincipal(servicePrincipal);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions,
      }),
    );
    this.addToKeyPolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions,
      }),
    );
  }

  /**
   * Lets principals of another account publish to the topic. That account must still
   * grant its own principals `sns:Publish` on the topic and `kms:GenerateDataKey` and
   * `kms:Decrypt` on its key; the key policy lets that account use the key only through SNS.
   *
   * @param accountId the 12-digit id of the publishing account
   */
  public allowAccountPublish(accountId: string): void {
    validateAccountId(this, 'allowAccountPublish accountId', accountId);
    const principal = new iam.AccountPrincipal(accountId);
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    this.addToKeyPolicy(
      new iam.PolicyStatement({
        principals: [principal],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  private subscribe(
    home: Construct,
    id: string,
    options: {
      protocol: sns.SubscriptionProtocol;
      endpoint: string;
      filter: FanOutFilterOptions;
      rawMessageDelivery?: boolean;
      deliveryPolicy?: sns.DeliveryPolicy;
      deadLetterQueueEncryptionKey?: kms.IKey;
      dependsOn?: IDependable[];
      statementsForEndpointOwner?: iam.PolicyStatement[];
    },
  ): FanOutSubscription {
    if (home.node.tryFindChild(id)) {
      throw invalidProp(
        this,
        `${options.protocol} subscriber`,
        'is already subscribed through this TopicFanOut (each endpoint once)',
        options.endpoint,
      );
    }
    const subscription = new FanOutSubscription(home, id, {
      topic: this.topic,
      protocol: options.protocol,
      endpoint: options.endpoint,
      filterPolicy: options.filter.filterPolicy,
      filterPolicyWithMessageBody: options.filter.filterPolicyWithMessageBody,
      rawMessageDelivery: options.rawMessageDelivery,
      deliveryPolicy: options.deliveryPolicy,
      deadLetterQueueEncryptionKey: options.deadLetterQueueEncryptionKey,
      alarmTopic: this.alarmTopic,
      dependsOn: options.dependsOn,
      statementsForEndpointOwner: options.statementsForEndpointOwner,
    });
    // sns.Subscription already lets this topic send to the dead-letter queue; its key must let SNS use it too.
    options.deadLetterQueueEncryptionKey?.addToResourcePolicy(this.useKeyStatement(), true);
    this.createdSubscriptions.push(subscription);
    return subscription;
  }

  /**
   * Adds to the queue policy (and to the key policy, when there is a key) the statements
   * that let SNS deliver for this topic only. Returns what was added, so the
   * subscription can wait for it; a missing entry means the policy could not be changed.
   */
  private letTopicDeliverTo(queue: sqs.IQueue, key: kms.IKey | undefined): { queue?: IDependable; key?: IDependable } {
    const queueResult = queue.addToResourcePolicy(this.sendMessageStatement(queue));
    const keyResult = key?.addToResourcePolicy(this.useKeyStatement(), true);
    return {
      queue: queueResult.statementAdded ? (queueResult.policyDependable ?? queue) : undefined,
      // A key's policy lives in the key resource itself.
      key: keyResult?.statementAdded ? key : undefined,
    };
  }

  private sendMessageStatement(queue: sqs.IQueue): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: `AllowTopic${Names.nodeUniqueId(this.node)}ToSend`.slice(0, 100),
      principals: [new iam.ServicePrincipal(SNS_SERVICE_PRINCIPAL)],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': this.topic.topicArn } },
    });
  }

  private useKeyStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(SNS_SERVICE_PRINCIPAL)],
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: ['*'],
      conditions: { ArnEquals: { 'aws:SourceArn': this.topic.topicArn } },
    });
  }

  private addToKeyPolicy(statement: iam.PolicyStatement): void {
    const result = this.masterKey.addToResourcePolicy(statement, true);
    if (!result.statementAdded) {
      Annotations.of(this).addWarningV2(
        'cdk-decoupling-patterns:keyPolicyNotManaged',
        `The topic's masterKey is not managed by this app: add this statement to its key policy, or the publisher cannot encrypt messages: ` +
          this.describeStatements([statement]),
      );
    }
  }

  /**
   * The statements as JSON for a person to paste, with the topic's ARN spelled out when
   * it is known at synth and named as a placeholder when CloudFormation decides it.
   */
  private describeStatements(statements: iam.PolicyStatement[]): string {
    const stack = Stack.of(this);
    const topicArnJson = JSON.stringify(stack.resolve(this.topic.topicArn));
    const placeholder = JSON.stringify(`<ARN of the topic ${this.topic.node.path}>`);
    return JSON.stringify(stack.resolve(statements.map((statement) => statement.toStatementJson())))
      .split(topicArnJson)
      .join(placeholder);
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

  /** A construct id per endpoint, readable when the endpoint is known at synth. */
  private endpointId(kind: string, endpoint: string): string {
    if (Token.isUnresolved(endpoint)) {
      const tokenSubscribers = this.node.children.filter((child) => child.node.id.startsWith(`${kind}Token`)).length;
      return `${kind}Token${tokenSubscribers + 1}`;
    }
    // Construct ids may not contain "/".
    return `${kind}-${endpoint.replace(/\//g, '_')}`;
  }
}

function resolveFifo(props: TopicFanOutProps): boolean {
  const name = props.topicName;
  return props.fifo ?? (name !== undefined && !Token.isUnresolved(name) && name.endsWith(FIFO_SUFFIX));
}

function validateTopicProps(scope: IConstruct, props: TopicFanOutProps, fifo: boolean): void {
  if (props.contentBasedDeduplication && !fifo) {
    throw invalidProp(scope, 'contentBasedDeduplication', 'can only be true on a FIFO topic (fifo: true)', true);
  }
  validateFifoAwareName(scope, 'topicName', props.topicName, { fifo, noun: 'topic', maxLength: TOPIC_NAME_MAX_LENGTH });
}

function validateAccountId(scope: IConstruct, prop: string, accountId: string | undefined): void {
  if (accountId !== undefined && !Token.isUnresolved(accountId) && !/^[0-9]{12}$/.test(accountId)) {
    throw invalidProp(scope, prop, 'must be a 12-digit AWS account id', accountId);
  }
}

function isHttpsUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.hostname.length > 0;
  } catch {
    return false;
  }
}
