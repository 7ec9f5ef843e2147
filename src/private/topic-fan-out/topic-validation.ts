import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { resolveFifo } from '../fifo';
import { invalidProp, validateFifoAwareName } from '../validation';

/** SNS's limit on a topic name, `.fifo` included. */
const TOPIC_NAME_MAX_LENGTH = 256;

/** The props of a TopicFanOut that decide its topic. */
export interface TopicChoice {
  readonly topic?: sns.ITopic;
  readonly fifo?: boolean;
  readonly topicName?: string;
  readonly contentBasedDeduplication?: boolean;
  readonly encryptionKey?: kms.IKey;
}

/** A given topic excludes the props that would describe the topic the fan-out creates; those must agree. */
export function validateTopicChoice(scope: IConstruct, props: TopicChoice): void {
  if (props.topic) {
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
  const fifo = resolveFifo(props.fifo, props.topicName);
  if (props.contentBasedDeduplication && !fifo) {
    throw invalidProp(scope, 'contentBasedDeduplication', 'can only be true on a FIFO topic (fifo: true)', true);
  }
  validateFifoAwareName(scope, 'topicName', props.topicName, { fifo, noun: 'topic', maxLength: TOPIC_NAME_MAX_LENGTH });
}

/** A 12-digit account id, unless it is a token. */
export function validateAccountId(scope: IConstruct, prop: string, accountId: string | undefined): void {
  if (accountId !== undefined && !Token.isUnresolved(accountId) && !/^[0-9]{12}$/.test(accountId)) {
    throw invalidProp(scope, prop, 'must be a 12-digit AWS account id', accountId);
  }
}

/** Whether a URL known at synth is https:// with a host (SNS would deliver anything else in plain text or not at all). */
export function isHttpsUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' && parsed.hostname.length > 0;
  } catch {
    return false;
  }
}
