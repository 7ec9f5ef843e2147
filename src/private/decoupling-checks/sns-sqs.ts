import { Facts, KeyFacts, SubscriptionFacts } from './facts';
import { ResourceModel } from './model';
import { and, globMatches, or } from './policies';
import { Finding, Rule, RuleSource } from './rule';
import { literalOfParts, Tri } from './values';

/** SNS delivering to SQS (and to Lambda): encryption, queue policies, FIFO pairing, raw delivery. */

const SQS_KEY_MANAGEMENT: RuleSource = {
  title: 'Amazon SQS Developer Guide: Amazon SQS key management (Configure KMS permissions for AWS services)',
  url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html',
};
const SNS_DEAD_LETTER_QUEUES: RuleSource = {
  title: 'Amazon SNS Developer Guide: Amazon SNS dead-letter queues (DLQs)',
  url: 'https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html',
};
const SNS_CONFIGURE_DLQ: RuleSource = {
  title: 'Amazon SNS Developer Guide: Configuring an Amazon SNS dead-letter queue for a subscription (queue policy)',
  url: 'https://docs.aws.amazon.com/sns/latest/dg/sns-configure-dead-letter-queue.html',
};
const SNS_SQS_SUBSCRIBER: RuleSource = {
  title: 'Amazon SNS Developer Guide: Subscribing an Amazon SQS queue to an Amazon SNS topic',
  url: 'https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html',
};
const SNS_FIFO_DURABILITY: RuleSource = {
  title: 'Amazon SNS Developer Guide: Message durability for FIFO topics (client-side errors are not retried)',
  url: 'https://docs.aws.amazon.com/sns/latest/dg/fifo-message-durability.html',
};
const CONFUSED_DEPUTY: RuleSource = {
  title: 'IAM User Guide: The confused deputy problem',
  url: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html',
};
const SNS_FIFO_DELIVERY: RuleSource = {
  title: 'Amazon SNS Developer Guide: Amazon SNS message delivery for FIFO topics',
  url: 'https://docs.aws.amazon.com/sns/latest/dg/fifo-message-delivery.html',
};
const SNS_RAW_DELIVERY: RuleSource = {
  title: 'Amazon SNS Developer Guide: Amazon SNS raw message delivery',
  url: 'https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html',
};
const LAMBDA_WITH_SNS: RuleSource = {
  title: 'AWS Lambda Developer Guide: Invoking Lambda functions with Amazon SNS notifications',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html',
};
const SNS_ENCRYPTED_TOPIC_AWS_SOURCES: RuleSource = {
  title:
    'Amazon SNS Developer Guide: Encryption at rest, key management (Enable compatibility between event sources from AWS services, CloudWatch among them, and encrypted topics)',
  url: 'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services',
};
const CLOUDWATCH_ENCRYPTED_TOPIC: RuleSource = {
  title:
    'AWS re:Post Knowledge Center: How do I configure a CloudWatch alarm to publish to an encrypted Amazon SNS topic?',
  url: 'https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns',
};

const SNS = 'sns.amazonaws.com';

/** The queues a subscription makes SNS write to: its endpoint, and its own dead-letter queue. */
function deliveryQueues(
  subscription: SubscriptionFacts,
): Array<{ queue: ResourceModel; role: string; location: string }> {
  const result: Array<{ queue: ResourceModel; role: string; location: string }> = [];
  if (subscription.queue !== undefined) {
    result.push({ queue: subscription.queue, role: 'queue', location: 'Properties/Endpoint' });
  }
  if (subscription.deadLetterQueue !== undefined) {
    result.push({
      queue: subscription.deadLetterQueue,
      role: 'dead-letter queue',
      location: 'Properties/RedrivePolicy',
    });
  }
  return result;
}

function topicName(subscription: SubscriptionFacts): string {
  if (subscription.topic !== undefined) {
    return subscription.topic.path;
  }
  const literal = subscription.topicArn.kind === 'string' ? literalOfParts(subscription.topicArn.parts) : undefined;
  return literal ?? 'its topic';
}

const snsQueueAwsManagedKey: Rule = {
  id: 'Decoupling-SnsQueueAwsManagedKey',
  level: 'error',
  summary:
    'An SNS subscription delivers to a queue (or a subscription dead-letter queue) encrypted with the AWS-managed key alias/aws/sqs.',
  impact:
    'SNS cannot be granted use of the AWS-managed key: every delivery fails with KMS access denied, and the messages are dropped (or, for the dead-letter queue, the failed messages are lost) without any error to the publisher.',
  fix: 'Encrypt the queue with SSE-SQS (sqs.QueueEncryption.SQS_MANAGED) or with a customer-managed KMS key whose key policy lets sns.amazonaws.com call kms:GenerateDataKey and kms:Decrypt.',
  sources: [SQS_KEY_MANAGEMENT, SNS_DEAD_LETTER_QUEUES],
  check: (facts) =>
    facts.subscriptions.flatMap((subscription) =>
      deliveryQueues(subscription).flatMap(({ queue, role, location }): Finding[] => {
        const key = facts.queueKey(queue);
        if (key.kind !== 'aws-managed' || key.alias !== 'alias/aws/sqs') {
          return [];
        }
        return [
          {
            subject: subscription.subscription,
            description: `${subscription.subscription.path} delivers from ${topicName(subscription)} to the ${role} ${queue.path}, which is encrypted with the AWS-managed key alias/aws/sqs: SNS cannot use that key, so every message to it is lost.`,
            locations: [location],
          },
        ];
      }),
    ),
};

const snsQueueKeyPolicy: Rule = {
  id: 'Decoupling-SnsQueueKeyPolicy',
  level: 'error',
  summary:
    'An SNS subscription delivers to a queue encrypted with a customer-managed key whose key policy does not let sns.amazonaws.com use it for the topic.',
  impact:
    "SNS must call kms:GenerateDataKey (and kms:Decrypt) on the queue's key to deliver. Without a key-policy statement for sns.amazonaws.com every delivery fails with KMS access denied and the message is dropped.",
  fix: "Add a key-policy statement allowing sns.amazonaws.com kms:GenerateDataKey and kms:Decrypt, conditioned on aws:SourceArn = the topic (aws-cdk-lib's SqsSubscription adds it when the queue's key is in the app).",
  sources: [SQS_KEY_MANAGEMENT, SNS_DEAD_LETTER_QUEUES],
  check: (facts) =>
    facts.subscriptions.flatMap((subscription) =>
      deliveryQueues(subscription).flatMap(({ queue, role, location }): Finding[] => {
        const key: KeyFacts = facts.queueKey(queue);
        if (key.kind !== 'customer') {
          return [];
        }
        const allowed = facts.serviceMayUseKey(
          key.key,
          SNS,
          ['kms:GenerateDataKey', 'kms:Decrypt'],
          subscription.topicArn,
          subscription.topic?.stack ?? facts.stackOfValue(subscription.topicArn),
        );
        if (allowed !== 'no') {
          return [];
        }
        return [
          {
            subject: subscription.subscription,
            description: `${subscription.subscription.path} delivers from ${topicName(subscription)} to the ${role} ${queue.path}, encrypted with ${key.key.path}, whose key policy does not let ${SNS} call kms:GenerateDataKey and kms:Decrypt for that topic: every message to it is lost.`,
            locations: [location],
          },
        ];
      }),
    ),
};

const snsQueueNoSendPermission: Rule = {
  id: 'Decoupling-SnsQueueNoSendPermission',
  level: 'error',
  summary:
    'An SNS subscription delivers to a queue (or a subscription dead-letter queue) whose queue policy does not let the topic send.',
  impact:
    "SNS is refused sqs:SendMessage: a client-side error that SNS does not retry. The messages are dropped (or, for the subscription's dead-letter queue, the undeliverable messages are lost) and nothing tells the publisher.",
  fix: "Add a queue-policy statement allowing sns.amazonaws.com sqs:SendMessage on the queue with ArnEquals aws:SourceArn = the topic ARN (aws-cdk-lib's topic.addSubscription(new SqsSubscription(queue)) adds it).",
  sources: [SNS_SQS_SUBSCRIBER, SNS_CONFIGURE_DLQ, SNS_FIFO_DURABILITY],
  check: (facts) =>
    facts.subscriptions.flatMap((subscription) =>
      deliveryQueues(subscription).flatMap(({ queue, role, location }): Finding[] => {
        const allowed = facts.serviceMaySendToQueue(
          queue,
          SNS,
          subscription.topicArn,
          subscription.topic?.stack ?? facts.stackOfValue(subscription.topicArn),
        );
        if (allowed !== 'no') {
          return [];
        }
        return [
          {
            subject: subscription.subscription,
            description: `${subscription.subscription.path} delivers from ${topicName(subscription)} to the ${role} ${queue.path}, but no queue policy of ${queue.path} lets ${SNS} send to it for that topic: every message to it is lost.`,
            locations: [location],
          },
        ];
      }),
    ),
};

const snsQueuePolicyNoSourceArn: Rule = {
  id: 'Decoupling-SnsQueuePolicyNoSourceArn',
  level: 'error',
  summary: 'A queue policy lets sns.amazonaws.com send without an aws:SourceArn condition.',
  impact:
    'Any SNS topic, in any account, can then write to the queue (the confused-deputy problem): consumers process messages nobody in your system published.',
  fix: 'Condition the statement on aws:SourceArn (ArnEquals) = the ARN of each topic that may send.',
  sources: [CONFUSED_DEPUTY, SNS_SQS_SUBSCRIBER],
  check: (facts) => {
    const findings: Finding[] = [];
    const resolver = facts.resolver;
    for (const type of ['AWS::SQS::QueuePolicy', 'AWS::SQS::QueueInlinePolicy']) {
      for (const policy of facts.app.resourcesOfType(type)) {
        const document = resolver.object(policy.stack, policy.properties.PolicyDocument);
        if (document === undefined || document === 'absent') {
          continue;
        }
        const statements = resolver.evaluate(document.stack, document.value.Statement);
        const items = statements.kind === 'list' ? statements.items : [statements];
        items.forEach((statement, index) => {
          if (statement.kind !== 'object') {
            return;
          }
          const body = statement.value;
          if (
            resolver.literalString(statement.stack, body.Effect) !== 'Allow' ||
            !trustsService(facts, statement.stack, body.Principal, SNS)
          ) {
            return;
          }
          if (!grantsAction(facts, statement.stack, body.Action, 'sqs:SendMessage')) {
            return;
          }
          const conditions = body.Condition === undefined ? 'absent' : resolver.object(statement.stack, body.Condition);
          if (conditions === undefined) {
            return;
          }
          const keys =
            conditions === 'absent'
              ? []
              : Object.values(conditions.value).flatMap((block) => {
                  const object = resolver.object(conditions.stack, block);
                  return object === undefined || object === 'absent'
                    ? ['?']
                    : Object.keys(object.value).map((k) => k.toLowerCase());
                });
          if (keys.includes('?') || keys.includes('aws:sourcearn')) {
            return;
          }
          findings.push({
            subject: policy,
            description: `Statement ${index} of ${policy.path} lets ${SNS} send messages with no aws:SourceArn condition: any topic of any account can write to the queue.`,
            locations: [`Properties/PolicyDocument/Statement/${index}`],
          });
        });
      }
    }
    return findings;
  },
};

/** Whether a literal `Principal` names the service (or everyone). */
function trustsService(facts: Facts, stack: ResourceModel['stack'], principal: unknown, service: string): boolean {
  const value = facts.resolver.evaluate(stack, principal);
  if (value.kind === 'string') {
    return literalOfParts(value.parts) === '*';
  }
  if (value.kind !== 'object') {
    return false;
  }
  const services = facts.resolver.evaluate(value.stack, value.value.Service);
  const list = services.kind === 'list' ? services.items : [services];
  return list.some((item) => item.kind === 'string' && literalOfParts(item.parts) === service);
}

/** Whether a literal `Action` grants the action (wildcards included). */
function grantsAction(facts: Facts, stack: ResourceModel['stack'], action: unknown, wanted: string): boolean {
  const value = facts.resolver.evaluate(stack, action);
  const list = value.kind === 'list' ? value.items : [value];
  return list.some((item) => {
    const text = item.kind === 'string' ? literalOfParts(item.parts) : undefined;
    return text !== undefined && globMatches(text, wanted, true);
  });
}

const standardTopicToFifoQueue: Rule = {
  id: 'Decoupling-StandardTopicToFifoQueue',
  level: 'error',
  summary: 'A standard SNS topic is subscribed by a FIFO queue.',
  impact:
    'SNS refuses the subscription ("FIFO SQS Queues can not be subscribed to standard SNS topics"), so the deployment fails; only a FIFO topic can deliver to a FIFO queue.',
  fix: 'Make the topic a FIFO topic (fifo: true, a name ending in .fifo), or subscribe a standard queue.',
  sources: [SNS_FIFO_DELIVERY],
  check: (facts) =>
    facts.subscriptions
      .filter((s) => s.protocol === 'sqs' && s.topicFifo === false && s.queueFifo === true)
      .map((s) => ({
        subject: s.subscription,
        description: `${s.subscription.path} subscribes the FIFO queue ${s.queue?.path ?? 'of its endpoint'} to the standard topic ${topicName(s)}: SNS refuses it and the deployment fails.`,
        locations: ['Properties/Endpoint', 'Properties/TopicArn'],
      })),
};

const fifoTopicToNonSqs: Rule = {
  id: 'Decoupling-FifoTopicToNonSqs',
  level: 'error',
  summary: 'A FIFO SNS topic has a subscription whose protocol is not SQS.',
  impact:
    'FIFO topics deliver to SQS queues only; SNS refuses a Lambda, HTTP/S, email, SMS, mobile or Firehose subscription to a FIFO topic, so the deployment fails.',
  fix: 'Subscribe an SQS queue (FIFO to keep the order) and consume it with the function or service instead.',
  sources: [SNS_FIFO_DELIVERY],
  check: (facts) =>
    facts.subscriptions
      .filter((s) => s.topicFifo === true && s.protocol !== undefined && s.protocol !== 'sqs')
      .map((s) => ({
        subject: s.subscription,
        description: `${s.subscription.path} subscribes a ${s.protocol} endpoint to the FIFO topic ${topicName(s)}: FIFO topics deliver to SQS queues only, so SNS refuses it and the deployment fails.`,
        locations: ['Properties/Protocol'],
      })),
};

/** The protocols SNS raw message delivery supports. */
const RAW_DELIVERY_PROTOCOLS = ['sqs', 'http', 'https', 'firehose'];

const rawDeliveryUnsupportedProtocol: Rule = {
  id: 'Decoupling-RawDeliveryUnsupportedProtocol',
  level: 'error',
  summary:
    'Raw message delivery is enabled on a subscription whose protocol does not support it (only SQS, HTTP/S and Firehose do).',
  impact:
    'SNS rejects the RawMessageDelivery attribute for that protocol, so the subscription, and the deployment, fails.',
  fix: 'Remove RawMessageDelivery from the subscription, or deliver through an SQS queue, an HTTP/S endpoint or a Firehose stream.',
  sources: [SNS_RAW_DELIVERY],
  check: (facts) =>
    facts.subscriptions
      .filter(
        (s) =>
          s.protocol !== undefined &&
          !RAW_DELIVERY_PROTOCOLS.includes(s.protocol) &&
          facts.resolver.literalBoolean(s.subscription.stack, s.subscription.properties.RawMessageDelivery) === true,
      )
      .map((s) => ({
        subject: s.subscription,
        description: `${s.subscription.path} asks for raw message delivery on a ${s.protocol} subscription: SNS supports raw delivery for SQS, HTTP/S and Firehose only, and rejects it.`,
        locations: ['Properties/RawMessageDelivery'],
      })),
};

const snsLambdaNoInvokePermission: Rule = {
  id: 'Decoupling-SnsLambdaNoInvokePermission',
  level: 'error',
  summary: 'An SNS subscription invokes a Lambda function that no resource-based permission lets the topic invoke.',
  impact:
    "SNS is refused lambda:InvokeFunction on every message; after its retries the messages are discarded (or sent to the subscription's dead-letter queue), and the function never runs.",
  fix: "Add an AWS::Lambda::Permission for principal sns.amazonaws.com, action lambda:InvokeFunction and SourceArn = the topic (aws-cdk-lib's LambdaSubscription adds it).",
  sources: [LAMBDA_WITH_SNS],
  check: (facts) => {
    const findings: Finding[] = [];
    const resolver = facts.resolver;
    for (const s of facts.subscriptions) {
      if (s.protocol !== 'lambda') {
        continue;
      }
      const { stack, properties } = s.subscription;
      // The permission must be on exactly what SNS invokes: the function, or the alias or version named.
      const endpoint = resolver.resolveResource(
        stack,
        properties.Endpoint,
        ['AWS::Lambda::Function', 'AWS::Lambda::Alias', 'AWS::Lambda::Version'],
        'arn',
      );
      if (endpoint === undefined) {
        continue;
      }
      let permitted: Tri = 'no';
      for (const permission of facts.app.resourcesOfType('AWS::Lambda::Permission')) {
        const p = permission.properties;
        const target = or(
          resolver.refersTo(permission.stack, p.FunctionName, endpoint, 'arn'),
          endpoint.type === 'AWS::Lambda::Function'
            ? resolver.refersTo(permission.stack, p.FunctionName, endpoint, 'name')
            : 'no',
        );
        if (target === 'no') {
          continue;
        }
        const principal = resolver.literalString(permission.stack, p.Principal);
        const action = resolver.literalString(permission.stack, p.Action);
        const principalMatch =
          principal === undefined ? 'unknown' : principal === SNS || principal === '*' ? 'yes' : 'no';
        const actionMatch =
          action === undefined
            ? 'unknown'
            : ['lambda:invokefunction', 'lambda:*', '*'].includes(action.toLowerCase())
              ? 'yes'
              : 'no';
        const sourceMatch: Tri =
          p.SourceArn === undefined
            ? 'yes'
            : resolver.sameString(resolver.evaluate(permission.stack, p.SourceArn), s.topicArn);
        const match = and(target, principalMatch, actionMatch, sourceMatch);
        permitted = match === 'yes' ? 'yes' : permitted === 'yes' ? 'yes' : match === 'unknown' ? 'unknown' : permitted;
      }
      if (permitted === 'no') {
        findings.push({
          subject: s.subscription,
          description: `${s.subscription.path} invokes ${endpoint.path} from ${topicName(s)}, but no AWS::Lambda::Permission lets ${SNS} invoke it for that topic: every delivery is refused and the function never runs.`,
          locations: ['Properties/Endpoint'],
        });
      }
    }
    return findings;
  },
};

const CLOUDWATCH = 'cloudwatch.amazonaws.com';

const alarmTopicKeyUnusable: Rule = {
  id: 'Decoupling-AlarmTopicKeyUnusable',
  level: 'error',
  summary:
    'A CloudWatch alarm notifies an SNS topic encrypted with the AWS-managed key alias/aws/sns, or with a customer-managed key whose policy does not let cloudwatch.amazonaws.com use it.',
  impact:
    'CloudWatch cannot encrypt the notification: the alarm changes state but the action fails (the alarm history shows KMS access denied), so a dead-letter-queue or backlog alarm never reaches anyone.',
  fix: 'Encrypt the topic with a customer-managed key whose key policy allows cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*.',
  sources: [SNS_ENCRYPTED_TOPIC_AWS_SOURCES, CLOUDWATCH_ENCRYPTED_TOPIC],
  check: (facts) => {
    const findings: Finding[] = [];
    const resolver = facts.resolver;
    // What is wrong with a topic's key, by topic: many alarms of an app notify the same topic.
    const problems = new Map<ResourceModel, string | undefined>();
    const problemOf = (topic: ResourceModel): string | undefined => {
      if (problems.has(topic)) {
        return problems.get(topic);
      }
      const key = facts.topicKey(topic);
      let problem: string | undefined;
      if (key.kind === 'aws-managed') {
        problem = `is encrypted with the AWS-managed key ${key.alias}, which CloudWatch cannot be granted`;
      } else if (
        key.kind === 'customer' &&
        facts.serviceMayUseKey(key.key, CLOUDWATCH, ['kms:GenerateDataKey', 'kms:Decrypt'], undefined, undefined) ===
          'no'
      ) {
        problem = `is encrypted with ${key.key.path}, whose key policy does not let ${CLOUDWATCH} call kms:GenerateDataKey and kms:Decrypt`;
      }
      problems.set(topic, problem);
      return problem;
    };
    for (const alarm of facts.app.resourcesOfType('AWS::CloudWatch::Alarm')) {
      const seen = new Set<ResourceModel>();
      for (const property of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
        const actions = alarm.properties[property];
        if (!Array.isArray(actions)) {
          continue;
        }
        for (const action of actions) {
          const topic = resolver.resolveResource(alarm.stack, action, ['AWS::SNS::Topic'], 'arn');
          if (topic === undefined || seen.has(topic)) {
            continue;
          }
          seen.add(topic);
          const problem = problemOf(topic);
          if (problem !== undefined) {
            findings.push({
              subject: alarm,
              description: `${alarm.path} notifies ${topic.path}, which ${problem}: the alarm's notifications are never delivered.`,
              locations: [`Properties/${property}`],
            });
          }
        }
      }
    }
    return findings;
  },
};

export const SNS_SQS_RULES: readonly Rule[] = [
  snsQueueAwsManagedKey,
  snsQueueKeyPolicy,
  snsQueueNoSendPermission,
  snsQueuePolicyNoSourceArn,
  standardTopicToFifoQueue,
  fifoTopicToNonSqs,
  rawDeliveryUnsupportedProtocol,
  snsLambdaNoInvokePermission,
  alarmTopicKeyUnusable,
];
