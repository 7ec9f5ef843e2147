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

/** What letting a topic send to a queue did: what a subscription must wait for, and what its owner must add. */
export interface QueueWiring {
  /** The queue policy and the key whose statements were added. */
  readonly dependables: IDependable[];
  /** The statements that could not be added (an imported queue or key): the queue policy's first, then the key's. */
  readonly notAdded: iam.PolicyStatement[];
}

/**
 * Lets the topic (only) send to the queue and use its key, in the queue's and the key's policies where this app
 * manages them.
 */
export function letTopicSendTo(topicArn: string, queue: sqs.IQueue, sid?: string): QueueWiring {
  const dependables: IDependable[] = [];
  const notAdded: iam.PolicyStatement[] = [];
  const send = snsSendStatement(topicArn, queue.queueArn, sid);
  const sent = queue.addToResourcePolicy(send);
  if (sent.statementAdded) {
    dependables.push(sent.policyDependable ?? queue);
  } else {
    notAdded.push(send);
  }
  const key = queue.encryptionMasterKey;
  if (key) {
    const use = snsQueueKeyStatement(topicArn);
    if (key.addToResourcePolicy(use, true).statementAdded) {
      // A key's policy lives in the key resource itself.
      dependables.push(key);
    } else {
      notAdded.push(use);
    }
  }
  return { dependables, notAdded };
}

/** The topic a queue is checked against. */
export interface TopicTraits {
  readonly fifo: boolean;
  readonly encryptionKey?: kms.IKey;
}

/**
 * Refuses a queue SNS could never deliver to for this topic: a FIFO queue behind a standard topic, a queue under the
 * AWS-managed SQS key, or one under the topic's own key (a dependency cycle). A dead-letter queue must also be of the
 * topic's type and in the account and Region of the subscription, which are `scope`'s.
 */
export function validateQueueForTopic(
  scope: IConstruct,
  prop: string,
  queue: sqs.IQueue,
  topic: TopicTraits,
  role: 'subscriber' | 'deadLetterQueue',
): void {
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
    const stack = Stack.of(scope);
    const arn = Arn.split(queue.queueArn, ArnFormat.NO_RESOURCE_NAME);
    const differs = (queues: string | undefined, subscriptions: string) =>
      queues !== undefined && queues !== '' && !Token.isUnresolved(subscriptions) && queues !== subscriptions;
    if (differs(arn.account, stack.account) || differs(arn.region, stack.region)) {
      throw invalidProp(
        scope,
        prop,
        `must be in the account and Region of the subscription (${stack.account}, ${stack.region}; an SNS limit)`,
        queue.queueArn,
      );
    }
  }
}

/** The traits of a topic that `validateQueueForTopic` checks against. */
export function topicTraits(topic: sns.ITopic): TopicTraits {
  return { fifo: topic.fifo, encryptionKey: topic.masterKey };
}

/**
 * The statements as JSON for a person to paste, with the topic's ARN spelled out when it is known at synth and
 * named as a placeholder when CloudFormation decides it.
 */
export function describeStatements(topic: sns.ITopic, statements: iam.PolicyStatement[]): string {
  const stack = Stack.of(topic);
  const json = JSON.stringify(stack.resolve(statements.map((statement) => statement.toStatementJson())));
  if (!Token.isUnresolved(topic.topicArn)) {
    return json;
  }
  const topicArnJson = JSON.stringify(stack.resolve(topic.topicArn));
  return json.split(topicArnJson).join(JSON.stringify(`<ARN of the topic ${topic.node.path}>`));
}
