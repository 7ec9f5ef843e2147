import { Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct, IDependable } from 'constructs';
import { AWS_MANAGED_SQS_KEY_ALIAS, isAwsManagedKey } from '../aws-managed-keys';
import { serviceKeyStatement } from '../key-policies';
import { invalidProp } from '../validation';

export const SNS_SERVICE_PRINCIPAL = 'sns.amazonaws.com';

/** What SNS does with the key of a queue it delivers to: encrypt the message, and read the data key back. */
export const SNS_QUEUE_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * The AWS-managed SNS key. Its key policy cannot be changed, so no service (S3, CloudWatch,
 * EventBridge, CodeStar Notifications) and no other account can ever be allowed to publish to a topic
 * encrypted with it ("Key management" in the Amazon SNS developer guide,
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html).
 */
export const AWS_MANAGED_SNS_KEY_ALIAS = 'alias/aws/sns';

/**
 * "Amazon SQS policy quotas", https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-policies.html:
 * a queue policy holds at most 20 statements.
 */
const SQS_POLICY_MAX_STATEMENTS = 20;

/**
 * "Amazon SNS API permissions: Actions and resources reference" (Policy quotas),
 * https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html:
 * a topic policy holds at most 100 statements.
 */
export const SNS_POLICY_MAX_STATEMENTS = 100;

/**
 * The queue-policy statement that lets SNS send to a queue on behalf of one topic only. Without a `sid` it is
 * exactly the statement aws-cdk-lib's `sns.Subscription` adds to a dead-letter queue, so the two collapse into one.
 */
export function snsSendStatement(topicArn: string, queueArn: string, sid?: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    resources: [queueArn],
    actions: ['sqs:SendMessage'],
    principals: [new iam.ServicePrincipal(SNS_SERVICE_PRINCIPAL)],
    conditions: { ArnEquals: { 'aws:SourceArn': topicArn } },
  });
}

/** The key-policy statement that lets SNS use a queue's key on behalf of one topic only. */
export function snsQueueKeyStatement(topicArn: string): iam.PolicyStatement {
  return serviceKeyStatement({
    servicePrincipal: SNS_SERVICE_PRINCIPAL,
    actions: SNS_QUEUE_KEY_ACTIONS,
    sourceArn: topicArn,
  });
}

/** The statement of a function's resource policy that lets one topic (only) invoke it, as `lambda add-permission` writes it. */
export function snsInvokeStatement(topicArn: string, functionArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(SNS_SERVICE_PRINCIPAL)],
    actions: ['lambda:InvokeFunction'],
    resources: [functionArn],
    conditions: { ArnLike: { 'AWS:SourceArn': topicArn } },
  });
}

/** A statement this app could not add, and which policy it belongs in. */
export interface StatementForOwner {
  /** e.g. `the queue policy of arn:aws:sqs:...:partner`, `the key policy of Stack/Key` */
  readonly where: string;
  readonly statement: iam.PolicyStatement;
}

/** What letting a topic send to a queue did: what a subscription must wait for, and what its owner must add. */
export interface QueueWiring {
  /** The queue policy and the key whose statements were added. */
  readonly dependables: IDependable[];
  /** The statements that could not be added (an imported queue or key): the queue policy's first, then the key's. */
  readonly notAdded: StatementForOwner[];
}

/** Where a policy error is reported: the construct the user called, and the prop or argument that brought the queue. */
export interface Reporter {
  readonly scope: IConstruct;
  readonly prop: string;
}

/**
 * Lets the topic (only) send to the queue and use its key, in the queue's and the key's policies where this app
 * manages them. What cannot be added comes back, never dropped.
 */
export function letTopicSendTo(topicArn: string, queue: sqs.IQueue, reporter: Reporter, sid?: string): QueueWiring {
  const dependables: IDependable[] = [];
  const notAdded: StatementForOwner[] = [];
  const send = snsSendStatement(topicArn, queue.queueArn, sid);
  const sent = queue.addToResourcePolicy(send);
  if (sent.statementAdded) {
    dependables.push(sent.policyDependable ?? queue);
    validateQueuePolicySize(reporter, queue, sent.policyDependable);
  } else {
    notAdded.push({ where: `the queue policy of ${nameOf(queue, queue.queueArn)}`, statement: send });
  }
  const key = queue.encryptionMasterKey;
  if (key) {
    const use = snsQueueKeyStatement(topicArn);
    if (key.addToResourcePolicy(use, true).statementAdded) {
      // A key's policy lives in the key resource itself.
      dependables.push(key);
    } else {
      notAdded.push({ where: `the key policy of ${nameOf(key, key.keyArn)}`, statement: use });
    }
  }
  return { dependables, notAdded };
}

/** SQS refuses a queue policy of more than 20 statements: a queue subscribed to too many topics would fail to deploy. */
function validateQueuePolicySize(reporter: Reporter, queue: sqs.IQueue, policy: IDependable | undefined): void {
  if (!(policy instanceof sqs.QueuePolicy)) {
    return;
  }
  const statements = distinctStatements(policy, policy.document);
  if (statements > SQS_POLICY_MAX_STATEMENTS) {
    throw invalidProp(
      reporter.scope,
      reporter.prop,
      `would make the queue policy hold ${statements} statements (one per topic that sends to it); SQS allows at most ${SQS_POLICY_MAX_STATEMENTS}`,
      queue.node.path,
    );
  }
}

/** The statements a policy document renders: identical ones once, as aws-cdk-lib renders them. */
export function distinctStatements(scope: IConstruct, document: iam.PolicyDocument): number {
  // Resolving the rendered JSON, not the document: resolving a document freezes its statements.
  const rendered = Stack.of(scope).resolve(document.toJSON()) as { Statement?: unknown[] } | undefined;
  return new Set((rendered?.Statement ?? []).map((statement) => JSON.stringify(statement))).size;
}

/** How a resource is named to its owner: its ARN when known at synth, else its path in this app. */
export function nameOf(resource: IConstruct, arn: string): string {
  return Token.isUnresolved(arn) ? resource.node.path : arn;
}

/** The topic a queue is checked against. */
export interface TopicTraits {
  readonly fifo: boolean;
  readonly encryptionKey?: kms.IKey;
  /** The topic's Region, which is its subscriptions'. */
  readonly region: string;
}

/**
 * Refuses what cannot be a queue (a JavaScript caller can pass an ARN string), and a queue SNS could never
 * deliver to for this topic: a FIFO queue behind a standard topic, a queue under the AWS-managed SQS key, or
 * one under the topic's own key (a dependency cycle). A dead-letter queue must also be of the topic's type and
 * in the account and Region of the subscription, which are `scope`'s.
 */
export function validateQueueForTopic(
  scope: IConstruct,
  prop: string,
  queue: sqs.IQueue,
  topic: TopicTraits,
  role: 'subscriber' | 'deadLetterQueue',
): void {
  if (!isQueue(queue)) {
    throw invalidProp(
      scope,
      prop,
      'must be an sqs.IQueue (e.g. sqs.Queue.fromQueueArn(...) for a queue defined elsewhere)',
      queue,
    );
  }
  const shown = nameOf(queue, queue.queueArn);
  if (role === 'subscriber' && queue.fifo && !topic.fifo) {
    throw invalidProp(
      scope,
      prop,
      'must be a standard queue behind a standard topic (SNS delivers only FIFO topics to FIFO queues)',
      queue.node.path,
    );
  }
  if (role === 'deadLetterQueue' && queue.fifo !== topic.fifo) {
    throw invalidProp(
      scope,
      prop,
      topic.fifo
        ? "must be a FIFO queue behind a FIFO topic (SNS requires a subscription's dead-letter queue to be of the topic's type)"
        : "must be a standard queue behind a standard topic (SNS requires a subscription's dead-letter queue to be of the topic's type)",
      queue.node.path,
    );
  }
  if (
    queue.encryptionType === sqs.QueueEncryption.KMS_MANAGED ||
    (queue.encryptionMasterKey !== undefined && isAwsManagedKey(queue.encryptionMasterKey, AWS_MANAGED_SQS_KEY_ALIAS))
  ) {
    throw invalidProp(
      scope,
      prop,
      `must not be encrypted with the AWS-managed ${AWS_MANAGED_SQS_KEY_ALIAS} key (SNS cannot use it, so every message would be lost); use SSE-SQS or a customer-managed key`,
      queue.node.path,
    );
  }
  if (queue.encryptionMasterKey && queue.encryptionMasterKey === topic.encryptionKey) {
    throw invalidProp(
      scope,
      prop,
      "must not be encrypted with the topic's encryptionKey (the key policy would name the topic and the topic the key: a dependency cycle); give the queue a key of its own",
      queue.node.path,
    );
  }
  if (role === 'deadLetterQueue' && !Token.isUnresolved(queue.queueArn)) {
    // "The Amazon SNS subscription and Amazon SQS queue must be under the same AWS account and Region."
    // (Amazon SNS dead-letter queues, https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html)
    // The subscription is the subscriber's (this stack's account), in its topic's Region.
    const account = Stack.of(scope).account;
    const region = Token.isUnresolved(topic.region) ? Stack.of(scope).region : topic.region;
    const arn = Arn.split(queue.queueArn, ArnFormat.NO_RESOURCE_NAME);
    const differs = (queues: string | undefined, subscriptions: string) =>
      queues !== undefined && queues !== '' && !Token.isUnresolved(subscriptions) && queues !== subscriptions;
    if (differs(arn.account, account) || differs(arn.region, region)) {
      throw invalidProp(
        scope,
        prop,
        `must be in the account and Region of the subscription (${Token.isUnresolved(account) ? "the stack's account" : account}, ${Token.isUnresolved(region) ? "the stack's Region" : region}; an SNS limit)`,
        shown,
      );
    }
  }
}

function isQueue(queue: unknown): queue is sqs.IQueue {
  return (
    typeof queue === 'object' &&
    queue !== null &&
    typeof (queue as sqs.IQueue).queueArn === 'string' &&
    typeof (queue as sqs.IQueue).addToResourcePolicy === 'function'
  );
}

/** The traits of a topic that `validateQueueForTopic` checks against. */
export function topicTraits(topic: sns.ITopic): TopicTraits {
  return { fifo: topic.fifo, encryptionKey: topic.masterKey, region: topic.env.region };
}

/**
 * The statements as JSON for a person to paste, each after the policy it belongs in, with the topic's ARN
 * spelled out when it is known at synth and named as a placeholder when CloudFormation decides it.
 */
export function describeStatements(topic: sns.ITopic, statements: StatementForOwner[]): string {
  return statements.map(({ where, statement }) => `to ${where}: ${statementsJson(topic, statement)}`).join('; ');
}

/** A statement, or an array of them, as JSON, the topic's ARN shown as in `describeStatements`. */
export function statementsJson(topic: sns.ITopic, statements: iam.PolicyStatement | iam.PolicyStatement[]): string {
  const stack = Stack.of(topic);
  const rendered = Array.isArray(statements)
    ? statements.map((statement) => statement.toStatementJson())
    : statements.toStatementJson();
  const json = JSON.stringify(stack.resolve(rendered));
  if (!Token.isUnresolved(topic.topicArn)) {
    return json;
  }
  const topicArnJson = JSON.stringify(stack.resolve(topic.topicArn));
  return json.split(topicArnJson).join(JSON.stringify(`<ARN of the topic ${topic.node.path}>`));
}
