import { Duration, Token } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { invalidProp } from '../validation';

/** What a subscriber may ask for that SNS limits. */
export interface SubscriptionLimits {
  readonly filterPolicy?: Record<string, sns.SubscriptionFilter>;
  readonly filterPolicyWithMessageBody?: Record<string, sns.FilterOrPolicy>;
  readonly deliveryPolicy?: sns.DeliveryPolicy;
}

/** SNS's documented limits of a filter policy. */
const FILTER_POLICY_MAX_KEYS = 5;
const FILTER_POLICY_MAX_COMBINATIONS = 150;

/** SNS's documented limits of an HTTP/S delivery policy. */
const DELIVERY_POLICY_MAX_RETRIES = 100;
const DELIVERY_POLICY_MAX_DELAY_SECONDS = 3600;
const DELIVERY_POLICY_MAX_TOTAL_RETRY_SECONDS = 3600;

/**
 * Refuses what SNS would refuse at deploy time: filter policies beyond its limits and delivery policies
 * outside its ranges.
 *
 * @param prefix what goes before the prop name in the message: '' in the subscription itself, e.g.
 *   `addQueue("Analytics") ` in a method of the fan-out, so that the message names the method and the id
 */
export function validateSubscriptionLimits(scope: IConstruct, prefix: string, limits: SubscriptionLimits): void {
  validateFilterPolicies(scope, prefix, limits);
  if (limits.deliveryPolicy) {
    validateDeliveryPolicy(scope, prefix, limits.deliveryPolicy);
  }
}

function validateFilterPolicies(scope: IConstruct, prefix: string, options: SubscriptionLimits): void {
  if (options.filterPolicy && options.filterPolicyWithMessageBody) {
    throw invalidProp(
      scope,
      `${prefix}filterPolicy`,
      'and filterPolicyWithMessageBody are mutually exclusive (SNS filters on attributes or on the body, not both)',
      `keys ${Object.keys(options.filterPolicy).join(', ')}`,
    );
  }
  if (options.filterPolicy) {
    const keys = Object.keys(options.filterPolicy);
    validateFilterKeyCount(scope, `${prefix}filterPolicy`, keys);
    const combinations = keys.reduce((product, key) => product * options.filterPolicy![key].conditions.length, 1);
    validateFilterCombinations(scope, `${prefix}filterPolicy`, combinations);
  }
  if (options.filterPolicyWithMessageBody) {
    const prop = `${prefix}filterPolicyWithMessageBody`;
    validateFilterKeyCount(scope, prop, Object.keys(options.filterPolicyWithMessageBody));
    validateFilterCombinations(scope, prop, bodyFilterCombinations(options.filterPolicyWithMessageBody));
  }
}

function validateFilterKeyCount(scope: IConstruct, prop: string, keys: string[]): void {
  if (keys.length > FILTER_POLICY_MAX_KEYS) {
    throw invalidProp(
      scope,
      prop,
      `may have at most ${FILTER_POLICY_MAX_KEYS} top-level keys (an SNS limit)`,
      `${keys.length} keys (${keys.join(', ')})`,
    );
  }
}

function validateFilterCombinations(scope: IConstruct, prop: string, combinations: number): void {
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

function validateDeliveryPolicy(scope: IConstruct, prefix: string, policy: sns.DeliveryPolicy): void {
  const retryProp = `${prefix}deliveryPolicy.healthyRetryPolicy`;
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
          `${retryProp}.${name}`,
          `must be an integer between 0 and ${DELIVERY_POLICY_MAX_RETRIES}`,
          value,
        );
      }
    }
    const minDelay = delaySeconds(scope, `${retryProp}.minDelayTarget`, retry.minDelayTarget) ?? 20;
    const maxDelay = delaySeconds(scope, `${retryProp}.maxDelayTarget`, retry.maxDelayTarget) ?? 20;
    if (minDelay > maxDelay) {
      throw invalidProp(
        scope,
        `${retryProp}.minDelayTarget`,
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
        retryProp,
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
        retryProp,
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
      `${prefix}deliveryPolicy.throttlePolicy.maxReceivesPerSecond`,
      'must be an integer of at least 1',
      maxReceivesPerSecond,
    );
  }
}

function delaySeconds(scope: IConstruct, prop: string, delay: Duration | undefined): number | undefined {
  if (delay === undefined || delay.isUnresolved()) {
    return undefined;
  }
  const millis = delay.toMilliseconds();
  if (millis % 1000 !== 0 || millis < 1000 || millis > DELIVERY_POLICY_MAX_DELAY_SECONDS * 1000) {
    throw invalidProp(
      scope,
      prop,
      `must be a whole number of seconds between 1 and ${DELIVERY_POLICY_MAX_DELAY_SECONDS}`,
      delay,
    );
  }
  return millis / 1000;
}
