import { ResourceModel, StackModel } from './model';
import { and, or, PolicyDocument, resourcePolicyAllows, resourcesGranted, roleIdentityPolicies } from './policies';
import { Form, isRefPart, literalOfParts, Resolver, Tri, Value } from './values';

/**
 * What several rules need to know about the app, computed once on first use: queues and their
 * redrive policies, subscriptions, event source mappings, consumers, alarms, keys.
 */

/** SQS's default retention: 4 days (CreateQueue API reference, `MessageRetentionPeriod`). */
export const SQS_DEFAULT_RETENTION_SECONDS = 345_600;
/** SQS's default visibility timeout: 30 seconds (CreateQueue API reference, `VisibilityTimeout`). */
export const SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
/** Lambda's default function timeout: 3 seconds (CreateFunction API reference, `Timeout`). */
export const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/** A queue's redrive policy. */
export interface Redrive {
  readonly source: ResourceModel;
  /** The dead-letter queue, when it is a queue of the app. */
  readonly deadLetterQueue?: ResourceModel;
  /** The expression of the dead-letter queue's ARN, and the stack it is evaluated in. */
  readonly targetArn?: { readonly stack: StackModel; readonly expression: unknown };
  readonly maxReceiveCount?: number;
}

/** An SNS subscription, with what can be known of its ends. */
export interface SubscriptionFacts {
  readonly subscription: ResourceModel;
  /** The protocol, lower-cased, when literal. */
  readonly protocol?: string;
  /** The topic, when it is a topic of the app. */
  readonly topic?: ResourceModel;
  /** The value of `TopicArn`. */
  readonly topicArn: Value;
  /** Whether the topic is FIFO: from the topic's `FifoTopic`, or a literal ARN's `.fifo` name. */
  readonly topicFifo?: boolean;
  /** The queue delivered to (protocol `sqs`), when it is a queue of the app. */
  readonly queue?: ResourceModel;
  /** Whether the endpoint queue is FIFO: from the queue, or a literal ARN's `.fifo` name. */
  readonly queueFifo?: boolean;
  /** The subscription's dead-letter queue (its `RedrivePolicy`), when it is a queue of the app. */
  readonly deadLetterQueue?: ResourceModel;
  /** Whether the subscription's dead-letter queue is FIFO. */
  readonly deadLetterQueueFifo?: boolean;
  /** Whether the subscription has a redrive policy: undefined when it cannot be read. */
  readonly hasRedrivePolicy?: boolean;
}

/** The kind of source an event source mapping reads. */
export type MappingSource = 'sqs' | 'kinesis' | 'dynamodb' | 'other';

export interface MappingFacts {
  readonly mapping: ResourceModel;
  readonly source?: MappingSource;
  /** The queue read, when it is a queue of the app. */
  readonly queue?: ResourceModel;
  /** Whether the queue read is FIFO. */
  readonly queueFifo?: boolean;
  /** The stream read (directly or through an enhanced fan-out consumer), when it is a stream of the app. */
  readonly stream?: ResourceModel;
  /** The function invoked, when it is a function of the app (through an alias or version too). */
  readonly function?: ResourceModel;
}

/** A worker: an identity policy that lets its holder receive and delete the queue's messages. */
export interface WorkerFacts {
  readonly policy: ResourceModel;
  readonly queue: ResourceModel;
}

/** The `AWS/SQS` metrics an alarm watches, by the queue-name expression of each. */
export interface SqsAlarmMetric {
  readonly alarm: ResourceModel;
  readonly metricName?: string;
  readonly queueName: { readonly stack: StackModel; readonly expression: unknown };
}

/** A key, as a queue, topic or stream names it. */
export type KeyFacts =
  | { readonly kind: 'none' }
  | { readonly kind: 'aws-managed'; readonly alias: string }
  | { readonly kind: 'customer'; readonly key: ResourceModel }
  | { readonly kind: 'unknown' };

const AWS_MANAGED_ALIAS = /(^|:)alias\/aws\/[a-z0-9-]+$/;

export class Facts {
  private cache = new Map<string, unknown>();
  private alarmMetricsByQueue = new Map<
    ResourceModel,
    { readonly metrics: readonly SqsAlarmMetric[]; readonly uncertain: boolean }
  >();

  constructor(public readonly resolver: Resolver) {}

  public get app() {
    return this.resolver.app;
  }

  private memo<T>(key: string, compute: () => T): T {
    if (!this.cache.has(key)) {
      this.cache.set(key, compute());
    }
    return this.cache.get(key) as T;
  }

  /** Whether a queue of the app is FIFO (`FifoQueue`, or a literal name ending in `.fifo`). */
  public queueIsFifo(queue: ResourceModel): boolean | undefined {
    const fifo = queue.properties.FifoQueue;
    if (fifo !== undefined) {
      return this.resolver.literalBoolean(queue.stack, fifo);
    }
    const name = queue.properties.QueueName;
    if (name === undefined) {
      return false;
    }
    const literal = this.resolver.literalString(queue.stack, name);
    // CloudFormation requires FifoQueue for a FIFO queue; a `.fifo` name without it fails to deploy.
    return literal === undefined ? undefined : false;
  }

  /** Whether a topic of the app is FIFO. */
  public topicIsFifo(topic: ResourceModel): boolean | undefined {
    const fifo = topic.properties.FifoTopic;
    return fifo === undefined ? false : this.resolver.literalBoolean(topic.stack, fifo);
  }

  /** A queue's retention in seconds, SQS's default when unset. */
  public retentionSeconds(queue: ResourceModel): number | undefined {
    const retention = queue.properties.MessageRetentionPeriod;
    return retention === undefined
      ? SQS_DEFAULT_RETENTION_SECONDS
      : this.resolver.literalNumber(queue.stack, retention);
  }

  /** A queue's visibility timeout in seconds, SQS's default when unset. */
  public visibilityTimeoutSeconds(queue: ResourceModel): number | undefined {
    const timeout = queue.properties.VisibilityTimeout;
    return timeout === undefined
      ? SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS
      : this.resolver.literalNumber(queue.stack, timeout);
  }

  /**
   * Whether a queue, topic or stream ARN given as a value names a FIFO resource: `.fifo` ends every FIFO
   * queue's and topic's name, so a literal name tells.
   */
  public fifoFromArn(
    stack: StackModel,
    expression: unknown,
    node: ResourceModel | undefined,
    kind: 'queue' | 'topic',
  ): boolean | undefined {
    if (node !== undefined) {
      return kind === 'queue' ? this.queueIsFifo(node) : this.topicIsFifo(node);
    }
    const value = this.resolver.evaluate(stack, expression);
    if (value.kind !== 'string' || value.parts.length === 0) {
      return undefined;
    }
    const last = value.parts[value.parts.length - 1];
    if (typeof last !== 'string') {
      return undefined;
    }
    const text = literalOfParts(value.parts);
    // The name is the last `:` field; only a literal tail that holds it can tell.
    if (text === undefined && !last.includes(':')) {
      return undefined;
    }
    return last.endsWith('.fifo');
  }

  /** The redrive policy of every queue of the app that has a readable one. */
  public get redrives(): readonly Redrive[] {
    return this.memo('redrives', () => {
      const result: Redrive[] = [];
      for (const queue of this.app.resourcesOfType('AWS::SQS::Queue')) {
        const redrive = this.redriveOf(queue);
        if (redrive !== undefined && redrive !== 'absent') {
          result.push(redrive);
        }
      }
      return result;
    });
  }

  /** A queue's redrive policy: `'absent'` when it has none, undefined when it cannot be read. */
  public redriveOf(queue: ResourceModel): Redrive | 'absent' | undefined {
    const policy = this.resolver.object(queue.stack, queue.properties.RedrivePolicy);
    if (policy === 'absent' || policy === undefined) {
      return policy;
    }
    const target = policy.value.deadLetterTargetArn;
    const maxReceiveCount = this.resolver.literalNumber(policy.stack, policy.value.maxReceiveCount);
    return {
      source: queue,
      deadLetterQueue:
        target === undefined
          ? undefined
          : this.resolver.resolveResource(policy.stack, target, ['AWS::SQS::Queue'], 'arn'),
      targetArn: target === undefined ? undefined : { stack: policy.stack, expression: target },
      maxReceiveCount,
    };
  }

  public get subscriptions(): readonly SubscriptionFacts[] {
    return this.memo('subscriptions', () =>
      this.app.resourcesOfType('AWS::SNS::Subscription').map((subscription) => this.subscriptionFacts(subscription)),
    );
  }

  private subscriptionFacts(subscription: ResourceModel): SubscriptionFacts {
    const { stack, properties } = subscription;
    const resolver = this.resolver;
    const protocol = resolver.literalString(stack, properties.Protocol)?.toLowerCase();
    const topic = resolver.resolveResource(stack, properties.TopicArn, ['AWS::SNS::Topic'], 'arn');
    const queue =
      protocol === 'sqs' ? resolver.resolveResource(stack, properties.Endpoint, ['AWS::SQS::Queue'], 'arn') : undefined;
    const redrive = resolver.object(stack, properties.RedrivePolicy);
    const dlqTarget = redrive === undefined || redrive === 'absent' ? undefined : redrive.value.deadLetterTargetArn;
    const deadLetterQueue =
      dlqTarget === undefined || redrive === undefined || redrive === 'absent'
        ? undefined
        : resolver.resolveResource(redrive.stack, dlqTarget, ['AWS::SQS::Queue'], 'arn');
    return {
      subscription,
      protocol,
      topic,
      topicArn: resolver.evaluate(stack, properties.TopicArn),
      topicFifo: this.fifoFromArn(stack, properties.TopicArn, topic, 'topic'),
      queue,
      queueFifo: protocol === 'sqs' ? this.fifoFromArn(stack, properties.Endpoint, queue, 'queue') : undefined,
      deadLetterQueue,
      deadLetterQueueFifo:
        dlqTarget === undefined || redrive === undefined || redrive === 'absent'
          ? undefined
          : this.fifoFromArn(redrive.stack, dlqTarget, deadLetterQueue, 'queue'),
      hasRedrivePolicy: redrive === undefined ? undefined : redrive !== 'absent' && dlqTarget !== undefined,
    };
  }

  public get mappings(): readonly MappingFacts[] {
    return this.memo('mappings', () =>
      this.app.resourcesOfType('AWS::Lambda::EventSourceMapping').map((mapping) => this.mappingFacts(mapping)),
    );
  }

  private mappingFacts(mapping: ResourceModel): MappingFacts {
    const { stack, properties } = mapping;
    const resolver = this.resolver;
    const arn = properties.EventSourceArn;
    const queue = resolver.resolveResource(stack, arn, ['AWS::SQS::Queue'], 'arn');
    let streamNode = resolver.resolveResource(stack, arn, ['AWS::Kinesis::Stream'], 'arn');
    const consumer = resolver.resolveResource(stack, arn, ['AWS::Kinesis::StreamConsumer'], 'arn');
    if (consumer !== undefined) {
      streamNode = resolver.resolveResource(
        consumer.stack,
        consumer.properties.StreamARN,
        ['AWS::Kinesis::Stream'],
        'arn',
      );
    }
    const table = resolver.resolveResource(stack, arn, ['AWS::DynamoDB::Table'], 'stream-arn');
    let source: MappingSource | undefined;
    if (queue !== undefined) {
      source = 'sqs';
    } else if (streamNode !== undefined || consumer !== undefined) {
      source = 'kinesis';
    } else if (table !== undefined) {
      source = 'dynamodb';
    } else {
      source = this.serviceOfArn(stack, arn);
    }
    return {
      mapping,
      source,
      queue,
      queueFifo: source === 'sqs' ? this.fifoFromArn(stack, arn, queue, 'queue') : undefined,
      stream: streamNode,
      function: this.functionOf(stack, properties.FunctionName),
    };
  }

  /** The service of a literal (or partly literal) ARN: its third field. */
  private serviceOfArn(stack: StackModel, expression: unknown): MappingSource | undefined {
    const value = this.resolver.evaluate(stack, expression);
    if (value.kind !== 'string') {
      return undefined;
    }
    const head = value.parts[0];
    if (typeof head !== 'string') {
      return undefined;
    }
    // "arn:<partition>:<service>:..." with the partition possibly a pseudo parameter.
    const second = value.parts[1];
    let service: string | undefined;
    const fields = head.split(':');
    if (fields.length >= 3) {
      service = fields[2];
    } else if (head === 'arn:' && second !== undefined && typeof value.parts[2] === 'string') {
      service = (value.parts[2] as string).split(':')[1];
    }
    if (service === undefined) {
      return undefined;
    }
    return service === 'sqs'
      ? 'sqs'
      : service === 'kinesis'
        ? 'kinesis'
        : service === 'dynamodb'
          ? 'dynamodb'
          : 'other';
  }

  /** The function a `FunctionName` (a name, an ARN, an alias or a version) invokes, when it is in the app. */
  public functionOf(stack: StackModel, expression: unknown): ResourceModel | undefined {
    const resolver = this.resolver;
    const direct =
      resolver.resolveResource(stack, expression, ['AWS::Lambda::Function'], 'name') ??
      resolver.resolveResource(stack, expression, ['AWS::Lambda::Function'], 'arn');
    if (direct !== undefined) {
      return direct;
    }
    const qualified = resolver.resolveResource(
      stack,
      expression,
      ['AWS::Lambda::Alias', 'AWS::Lambda::Version'],
      'arn',
    );
    if (qualified === undefined) {
      return undefined;
    }
    const functionName = qualified.properties.FunctionName;
    return (
      resolver.resolveResource(qualified.stack, functionName, ['AWS::Lambda::Function'], 'name') ??
      resolver.resolveResource(qualified.stack, functionName, ['AWS::Lambda::Function'], 'arn')
    );
  }

  /** The role of a function of the app, when it is a role of the app. */
  public functionRole(fn: ResourceModel): ResourceModel | undefined {
    return this.resolver.resolveResource(fn.stack, fn.properties.Role, ['AWS::IAM::Role'], 'arn');
  }

  /** A function's timeout in seconds, Lambda's default when unset. */
  public functionTimeoutSeconds(fn: ResourceModel): number | undefined {
    const timeout = fn.properties.Timeout;
    return timeout === undefined ? LAMBDA_DEFAULT_TIMEOUT_SECONDS : this.resolver.literalNumber(fn.stack, timeout);
  }

  /**
   * Identity policies that let their holder receive and delete one queue's messages: a worker of that
   * queue. A policy granting them on a wildcard, or on a value that cannot be read, names no queue here.
   */
  public get workers(): readonly WorkerFacts[] {
    return this.memo('workers', () => {
      const result: WorkerFacts[] = [];
      const documents: Array<{ policy: ResourceModel; document: PolicyDocument }> = [];
      for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy']) {
        for (const policy of this.app.resourcesOfType(type)) {
          documents.push({ policy, document: { stack: policy.stack, document: policy.properties.PolicyDocument } });
        }
      }
      for (const role of this.app.resourcesOfType('AWS::IAM::Role')) {
        for (const inline of this.resolver.list(role.stack, role.properties.Policies) ?? []) {
          if (inline.kind === 'object') {
            documents.push({ policy: role, document: { stack: inline.stack, document: inline.value.PolicyDocument } });
          }
        }
      }
      for (const { policy, document } of documents) {
        const receives = new Set(
          resourcesGranted(this.resolver, document, 'sqs:ReceiveMessage', ['AWS::SQS::Queue'], 'arn'),
        );
        if (receives.size === 0) {
          continue;
        }
        for (const queue of new Set(
          resourcesGranted(this.resolver, document, 'sqs:DeleteMessage', ['AWS::SQS::Queue'], 'arn'),
        )) {
          if (receives.has(queue)) {
            result.push({ policy, queue });
          }
        }
      }
      return result;
    });
  }

  /** The queues of the app that are dead-letter queues, with what sends to them. */
  public get deadLetterQueues(): ReadonlyMap<
    ResourceModel,
    ReadonlyArray<{ readonly source: ResourceModel; readonly kind: 'queue' | 'subscription' | 'mapping' }>
  > {
    return this.memo('deadLetterQueues', () => {
      const result = new Map<
        ResourceModel,
        Array<{ source: ResourceModel; kind: 'queue' | 'subscription' | 'mapping' }>
      >();
      const add = (
        dlq: ResourceModel | undefined,
        source: ResourceModel,
        kind: 'queue' | 'subscription' | 'mapping',
      ) => {
        if (dlq === undefined) {
          return;
        }
        const list = result.get(dlq);
        if (list) {
          list.push({ source, kind });
        } else {
          result.set(dlq, [{ source, kind }]);
        }
      };
      for (const redrive of this.redrives) {
        add(redrive.deadLetterQueue, redrive.source, 'queue');
      }
      for (const subscription of this.subscriptions) {
        add(subscription.deadLetterQueue, subscription.subscription, 'subscription');
      }
      for (const mapping of this.app.resourcesOfType('AWS::Lambda::EventSourceMapping')) {
        const destination = this.resolver.property(mapping, 'DestinationConfig', 'OnFailure', 'Destination');
        if (destination !== undefined && destination !== 'absent') {
          add(
            this.resolver.resolveResource(destination.stack, destination.expression, ['AWS::SQS::Queue'], 'arn'),
            mapping,
            'mapping',
          );
        }
      }
      return result;
    });
  }

  /** Every `AWS/SQS` metric of every alarm of the app, with the `QueueName` dimension it watches. */
  public get sqsAlarmMetrics(): readonly SqsAlarmMetric[] {
    return this.memo('sqsAlarmMetrics', () => {
      const result: SqsAlarmMetric[] = [];
      const resolver = this.resolver;
      for (const alarm of this.app.resourcesOfType('AWS::CloudWatch::Alarm')) {
        const metrics: Array<{ stack: StackModel; metric: Readonly<Record<string, unknown>> }> = [];
        metrics.push({ stack: alarm.stack, metric: alarm.properties });
        for (const query of resolver.list(alarm.stack, alarm.properties.Metrics) ?? []) {
          if (query.kind !== 'object') {
            continue;
          }
          const stat = resolver.object(query.stack, query.value.MetricStat);
          if (stat === undefined || stat === 'absent') {
            continue;
          }
          const metric = resolver.object(stat.stack, stat.value.Metric);
          if (metric !== undefined && metric !== 'absent') {
            metrics.push({ stack: metric.stack, metric: metric.value });
          }
        }
        for (const { stack, metric } of metrics) {
          if (resolver.literalString(stack, metric.Namespace) !== 'AWS/SQS') {
            continue;
          }
          const metricName = resolver.literalString(stack, metric.MetricName);
          for (const dimension of resolver.list(stack, metric.Dimensions) ?? []) {
            if (dimension.kind !== 'object') {
              continue;
            }
            if (resolver.literalString(dimension.stack, dimension.value.Name) === 'QueueName') {
              result.push({
                alarm,
                metricName,
                queueName: { stack: dimension.stack, expression: dimension.value.Value },
              });
            }
          }
        }
      }
      return result;
    });
  }

  /**
   * `sqsAlarmMetrics` indexed by the queue each `QueueName` dimension names, so that finding the alarms of
   * one queue does not compare every alarm with it (an app has about as many alarms as queues).
   */
  private get sqsAlarmMetricIndex(): ReferentIndex {
    return this.memo('sqsAlarmMetricIndex', () =>
      referentIndex(
        this.resolver,
        this.sqsAlarmMetrics.map((metric) => [metric.queueName]),
      ),
    );
  }

  /** The SQS metrics of alarms that watch `queue`: `uncertain` when an alarm might watch it. */
  public alarmMetricsOf(queue: ResourceModel): {
    readonly metrics: readonly SqsAlarmMetric[];
    readonly uncertain: boolean;
  } {
    const cached = this.alarmMetricsByQueue.get(queue);
    if (cached !== undefined) {
      return cached;
    }
    const all = this.sqsAlarmMetrics;
    const metrics: SqsAlarmMetric[] = [];
    let uncertain = false;
    for (const i of this.sqsAlarmMetricIndex.candidates(queue)) {
      const metric = all[i];
      const match = this.sqsAlarmMetricIndex.refersTo(i, 0, queue, 'name');
      if (match === 'yes') {
        metrics.push(metric);
      } else if (match === 'unknown') {
        uncertain = true;
      }
    }
    const result = { metrics, uncertain };
    this.alarmMetricsByQueue.set(queue, result);
    return result;
  }

  /** The key named by a `KmsMasterKeyId` or `KeyId`: the AWS-managed one, a key of the app, or unknown. */
  public keyOf(stack: StackModel, expression: unknown): KeyFacts {
    if (expression === undefined) {
      return { kind: 'none' };
    }
    const resolver = this.resolver;
    const value = resolver.evaluate(stack, expression);
    if (value.kind === 'novalue') {
      return { kind: 'none' };
    }
    if (value.kind !== 'string' || value.parts.length === 0) {
      return { kind: 'unknown' };
    }
    const last = value.parts[value.parts.length - 1];
    if (
      typeof last === 'string' &&
      AWS_MANAGED_ALIAS.test(last) &&
      (value.parts.length === 1 || /:alias\/aws\//.test(last))
    ) {
      const alias = last.slice(last.lastIndexOf('alias/'));
      return { kind: 'aws-managed', alias };
    }
    const key =
      resolver.resolveResource(stack, expression, ['AWS::KMS::Key'], 'id') ??
      resolver.resolveResource(stack, expression, ['AWS::KMS::Key'], 'arn');
    if (key !== undefined) {
      return { kind: 'customer', key };
    }
    const alias =
      resolver.resolveResource(stack, expression, ['AWS::KMS::Alias'], 'name') ??
      resolver.resolveResource(stack, expression, ['AWS::KMS::Alias'], 'arn');
    if (alias !== undefined) {
      const target = alias.properties.TargetKeyId;
      const aliased =
        resolver.resolveResource(alias.stack, target, ['AWS::KMS::Key'], 'id') ??
        resolver.resolveResource(alias.stack, target, ['AWS::KMS::Key'], 'arn');
      if (aliased !== undefined) {
        return { kind: 'customer', key: aliased };
      }
    }
    return { kind: 'unknown' };
  }

  /** A queue's key. SSE-SQS and no encryption both count as `none`: neither needs a key grant. */
  public queueKey(queue: ResourceModel): KeyFacts {
    return this.keyOf(queue.stack, queue.properties.KmsMasterKeyId);
  }

  /** A topic's key. */
  public topicKey(topic: ResourceModel): KeyFacts {
    return this.keyOf(topic.stack, topic.properties.KmsMasterKeyId);
  }

  /** A stream's key, when it is encrypted with KMS. */
  public streamKey(stream: ResourceModel): KeyFacts {
    const encryption = this.resolver.object(stream.stack, stream.properties.StreamEncryption);
    if (encryption === 'absent') {
      return { kind: 'none' };
    }
    if (encryption === undefined) {
      return { kind: 'unknown' };
    }
    const type = this.resolver.literalString(encryption.stack, encryption.value.EncryptionType);
    if (type === 'NONE') {
      return { kind: 'none' };
    }
    if (type !== 'KMS') {
      return { kind: 'unknown' };
    }
    return this.keyOf(encryption.stack, encryption.value.KeyId);
  }

  /**
   * Whether a service may use a key of the app for `actions`, acting for `source` (its `aws:SourceArn`)
   * in `sourceAccount`: the key policy decides alone, since a service principal has no IAM policies.
   */
  public serviceMayUseKey(
    key: ResourceModel,
    service: string,
    actions: readonly string[],
    source: Value | undefined,
    sourceStack: StackModel | undefined,
  ): Tri {
    const document: PolicyDocument = { stack: key.stack, document: key.properties.KeyPolicy };
    const sourceAccount =
      sourceStack === undefined ? undefined : this.resolver.evaluate(sourceStack, { Ref: 'AWS::AccountId' });
    return and(
      ...actions.map((action) =>
        resourcePolicyAllows(this.resolver, [document], {
          action,
          requester: { service },
          context: { sourceArn: source, sourceAccount, secureTransport: true },
        }),
      ),
    );
  }

  /**
   * Whether a role of the app may call `action` on a key of the app: the key policy names the role, or
   * lets the account's IAM policies decide and the role's policies allow it.
   */
  public roleMayUseKey(role: ResourceModel, key: ResourceModel, action: string): Tri {
    const identity = roleIdentityPolicies(this.resolver, role);
    return resourcePolicyAllows(
      this.resolver,
      [{ stack: key.stack, document: key.properties.KeyPolicy }],
      { action, requester: { role }, resource: { node: key, form: 'arn' } },
      identity,
    );
  }

  /**
   * The queue policies of the app (`AWS::SQS::QueuePolicy`, then `AWS::SQS::QueueInlinePolicy`), indexed by
   * the queues they name, so that finding the policies of one queue does not compare every policy with it;
   * and whether a policy's list of queues cannot be read (it might then name any queue).
   */
  private get queuePolicies(): {
    readonly policies: readonly ResourceModel[];
    readonly index: ReferentIndex;
    readonly unreadable: boolean;
  } {
    return this.memo('queuePolicies', () => {
      const policies: ResourceModel[] = [];
      const queues: Array<Array<{ stack: StackModel; expression: unknown }>> = [];
      let unreadable = false;
      for (const policy of this.app.resourcesOfType('AWS::SQS::QueuePolicy')) {
        const list = this.resolver.list(policy.stack, policy.properties.Queues);
        if (list === undefined || !Array.isArray(policy.properties.Queues)) {
          unreadable = true;
          continue;
        }
        policies.push(policy);
        queues.push((policy.properties.Queues as unknown[]).map((expression) => ({ stack: policy.stack, expression })));
      }
      for (const policy of this.app.resourcesOfType('AWS::SQS::QueueInlinePolicy')) {
        policies.push(policy);
        queues.push([{ stack: policy.stack, expression: policy.properties.Queue }]);
      }
      return { policies, index: referentIndex(this.resolver, queues), unreadable };
    });
  }

  /**
   * Whether the queue policies of the app let a service send to a queue of the app for `source`. `no`
   * also when no queue policy names the queue at all (a queue without a policy admits no service).
   */
  public serviceMaySendToQueue(
    queue: ResourceModel,
    service: string,
    source: Value,
    sourceStack: StackModel | undefined,
  ): Tri {
    const { policies, index, unreadable } = this.queuePolicies;
    const documents: PolicyDocument[] = [];
    let uncertain = unreadable;
    for (const i of index.candidates(queue)) {
      const policy = policies[i];
      const names = or(...index.entries(i).map((_, j) => index.refersTo(i, j, queue, 'url')));
      if (names === 'yes') {
        documents.push({ stack: policy.stack, document: policy.properties.PolicyDocument });
      } else if (names === 'unknown') {
        uncertain = true;
      }
    }
    const sourceAccount =
      sourceStack === undefined ? undefined : this.resolver.evaluate(sourceStack, { Ref: 'AWS::AccountId' });
    const allowed = resourcePolicyAllows(this.resolver, documents, {
      action: 'sqs:SendMessage',
      requester: { service },
      resource: { node: queue, form: 'arn' },
      context: { sourceArn: source, sourceAccount, secureTransport: true },
    });
    return allowed === 'no' && uncertain ? 'unknown' : allowed === 'yes' ? 'yes' : allowed;
  }

  /** The stack a value's single resource attribute belongs to, when it is one. */
  public stackOfValue(value: Value): StackModel | undefined {
    if (value.kind === 'string' && value.parts.length === 1 && isRefPart(value.parts[0])) {
      return value.parts[0].ref.stack;
    }
    return undefined;
  }
}

/**
 * Items (alarm metrics, queue policies), each with expressions that may name a resource, indexed so that
 * the items that may name a given resource are found without comparing every expression with it: an
 * expression whose `Resolver.soleReferent` is known can only name that resource; the others must be
 * compared with each resource (`Resolver.refersTo`).
 */
interface ReferentIndex {
  /** The expressions of item `i`. */
  entries(i: number): ReadonlyArray<{ readonly stack: StackModel; readonly expression: unknown }>;
  /** The items whose expressions may name `node`, ascending: every other item's expressions answer `no`. */
  candidates(node: ResourceModel): readonly number[];
  /** `Resolver.refersTo` for expression `j` of item `i`, answered from the index where it can be. */
  refersTo(i: number, j: number, node: ResourceModel, form: Form): Tri;
}

function referentIndex(
  resolver: Resolver,
  items: ReadonlyArray<ReadonlyArray<{ readonly stack: StackModel; readonly expression: unknown }>>,
): ReferentIndex {
  const referents = items.map((entries) => entries.map((e) => resolver.soleReferent(e.stack, e.expression)));
  const byNode = new Map<ResourceModel, number[]>();
  const unpinned: number[] = [];
  referents.forEach((itemReferents, i) => {
    for (const referent of itemReferents) {
      const list =
        referent === undefined
          ? unpinned
          : (byNode.get(referent.node) ?? byNode.set(referent.node, []).get(referent.node)!);
      if (list[list.length - 1] !== i) {
        list.push(i);
      }
    }
  });
  return {
    entries: (i) => items[i],
    candidates: (node) => mergeAscending(byNode.get(node) ?? [], unpinned),
    refersTo: (i, j, node, form) => {
      const referent = referents[i][j];
      if (referent === undefined) {
        return resolver.refersTo(items[i][j].stack, items[i][j].expression, node, form);
      }
      return referent.node === node && referent.form === form ? 'yes' : 'no';
    },
  };
}

/** The union of two ascending lists of indices, ascending, without repeats. */
function mergeAscending(a: readonly number[], b: readonly number[]): number[] {
  const result: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (result[result.length - 1] !== next) {
      result.push(next);
    }
  }
  return result;
}
