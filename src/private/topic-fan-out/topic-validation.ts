import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { FIFO_SUFFIX, resolveFifo } from '../fifo';
import { claimPhysicalName } from '../physical-names';
import { invalidProp, validateFifoAwareName } from '../validation';
import { validateBoolean } from './subscription-validation';

/**
 * SNS's rule for a topic name: "Topic names must be made up of only uppercase and lowercase ASCII letters,
 * numbers, underscores, and hyphens, and must be between 1 and 256 characters long"; a FIFO topic's name
 * ends in `.fifo`, which counts in the 256 (CreateTopic, Amazon SNS API Reference,
 * https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html).
 */
const TOPIC_NAME_MAX_LENGTH = 256;

/** The props of a TopicFanOut that decide its topic. */
export interface TopicChoice {
  readonly topic?: sns.ITopic;
  readonly fifo?: boolean;
  readonly topicName?: string;
  readonly contentBasedDeduplication?: boolean;
  readonly encryptionKey?: kms.IKey;
  readonly alarmTopic?: sns.ITopic;
}

/**
 * A given topic excludes the props that would describe the topic the fan-out creates; those must agree,
 * and be of their types (a JavaScript caller can pass `'true'` for a boolean or an ARN for a topic).
 */
export function validateTopicChoice(scope: IConstruct, props: TopicChoice): void {
  validateBoolean(scope, 'fifo', props.fifo);
  validateBoolean(scope, 'contentBasedDeduplication', props.contentBasedDeduplication);
  validateTopic(scope, 'alarmTopic', props.alarmTopic);
  if (props.encryptionKey !== undefined && !isKey(props.encryptionKey)) {
    throw invalidProp(
      scope,
      'encryptionKey',
      'must be a kms.IKey (e.g. kms.Key.fromKeyArn(...) for a key defined elsewhere)',
      props.encryptionKey,
    );
  }
  if (props.topic !== undefined) {
    validateTopic(scope, 'topic', props.topic);
    const ownedByTheTopic: Array<[string, unknown]> = [
      ['fifo', props.fifo],
      ['topicName', props.topicName],
      ['contentBasedDeduplication', props.contentBasedDeduplication],
      ['encryptionKey', props.encryptionKey?.node.path],
    ];
    for (const [prop, value] of ownedByTheTopic) {
      if (value !== undefined) {
        throw invalidProp(
          scope,
          prop,
          `must not be set with topic (the given topic has its own; the fan-out creates no topic and no key)`,
          value,
        );
      }
    }
    return;
  }
  const fifo = resolveTopicFifo(props);
  const name = props.topicName;
  if (typeof name === 'string' && Token.isUnresolved(name) && name.endsWith(FIFO_SUFFIX) && !fifo) {
    // Part deploy-time, part literal: the literal end is known, and SNS refuses it on a standard topic.
    throw invalidProp(
      scope,
      'topicName',
      `may end in "${FIFO_SUFFIX}" only for a FIFO topic (fifo is false; omit it or set it to true)`,
      name,
    );
  }
  if (props.contentBasedDeduplication && !fifo) {
    throw invalidProp(
      scope,
      'contentBasedDeduplication',
      'must be false or unset on a standard topic (content-based deduplication is for FIFO topics: set fifo to true)',
      true,
    );
  }
  validateFifoAwareName(scope, 'topicName', props.topicName, { fifo, noun: 'topic', maxLength: TOPIC_NAME_MAX_LENGTH });
  if (props.topicName !== undefined) {
    // Topic names are unique per account and Region: a second CreateTopic with another configuration fails
    // at deploy time, and one with the same configuration silently shares the topic.
    claimPhysicalName(scope, { kind: 'SNS topic', name: props.topicName, prop: 'topicName' });
  }
}

/**
 * Whether the topic the fan-out creates is FIFO: as `fifo` says, else as its name's literal end says, also
 * when the rest of the name is a deploy-time value (`${Token}.fifo`).
 */
export function resolveTopicFifo(props: TopicChoice): boolean {
  return (
    resolveFifo(props.fifo, props.topicName) ||
    (props.fifo === undefined && typeof props.topicName === 'string' && props.topicName.endsWith(FIFO_SUFFIX))
  );
}

/** Refuses what cannot be a topic (a JavaScript caller can pass an ARN string). */
export function validateTopic(scope: IConstruct, prop: string, topic: unknown, required = false): void {
  if (topic === undefined) {
    if (required) {
      throw invalidProp(scope, prop, 'must be given (an sns.ITopic)', topic);
    }
    return;
  }
  const isTopic =
    typeof topic === 'object' &&
    topic !== null &&
    typeof (topic as sns.ITopic).topicArn === 'string' &&
    typeof (topic as sns.ITopic).addToResourcePolicy === 'function';
  if (!isTopic) {
    throw invalidProp(
      scope,
      prop,
      'must be an sns.ITopic (e.g. sns.Topic.fromTopicArn(...) for a topic defined elsewhere)',
      topic,
    );
  }
}

function isKey(key: unknown): key is kms.IKey {
  return typeof key === 'object' && key !== null && typeof (key as kms.IKey).keyArn === 'string';
}

/** A 12-digit account id, unless it is a token. */
export function validateAccountId(scope: IConstruct, prop: string, accountId: unknown): void {
  if (accountId === undefined || (typeof accountId === 'string' && Token.isUnresolved(accountId))) {
    return;
  }
  if (typeof accountId !== 'string' || !/^[0-9]{12}$/.test(accountId)) {
    throw invalidProp(scope, prop, 'must be a 12-digit AWS account id', accountId);
  }
}
