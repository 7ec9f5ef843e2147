import { Token } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { invalidProp } from '../validation';
import { validateDeliveryPolicy } from './delivery-policy';

/** What a subscriber may ask for that SNS limits. */
export interface SubscriptionLimits {
  readonly filterPolicy?: Record<string, sns.SubscriptionFilter>;
  readonly filterPolicyWithMessageBody?: Record<string, sns.FilterOrPolicy>;
  readonly deliveryPolicy?: sns.DeliveryPolicy;
  readonly rawMessageDelivery?: boolean;
}

/*
 * SNS's limits of a filter policy, from "Filter policy constraints in Amazon SNS",
 * https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html: at most five
 * keys; the total combination of values (the product of the number of values of each array) at most
 * 150; numeric values from -10^9 to 10^9.
 */
const FILTER_POLICY_MAX_KEYS = 5;
const FILTER_POLICY_MAX_COMBINATIONS = 150;
const FILTER_NUMERIC_LIMIT = 1e9;

/**
 * Refuses what SNS would refuse at deploy time (filter policies beyond its limits, delivery policies
 * outside its ranges) and what a JavaScript caller can pass where TypeScript would not let them: a
 * plain object instead of a `SubscriptionFilter`, a string instead of a boolean.
 *
 * @param prefix what goes before the prop name in the message: '' in the subscription itself, e.g.
 *   `addQueue("Analytics") ` in a method of the fan-out, so that the message names the method and the id
 */
export function validateSubscriptionLimits(scope: IConstruct, prefix: string, limits: SubscriptionLimits): void {
  validateBoolean(scope, `${prefix}rawMessageDelivery`, limits.rawMessageDelivery);
  validateFilterPolicies(scope, prefix, limits);
  if (limits.deliveryPolicy !== undefined) {
    validateDeliveryPolicy(scope, `${prefix}deliveryPolicy`, limits.deliveryPolicy);
  }
}

/** A boolean prop: `true`, `false` or unset, never `'true'` or `1` (which would reach the template as they are). */
export function validateBoolean(scope: IConstruct, prop: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean' && !Token.isUnresolved(value)) {
    throw invalidProp(scope, prop, 'must be true or false', value);
  }
}

function validateFilterPolicies(scope: IConstruct, prefix: string, options: SubscriptionLimits): void {
  if (options.filterPolicy !== undefined && options.filterPolicyWithMessageBody !== undefined) {
    throw invalidProp(
      scope,
      `${prefix}filterPolicy`,
      'and filterPolicyWithMessageBody are mutually exclusive (SNS filters on attributes or on the body, not both)',
      `keys ${keysOf(options.filterPolicy).join(', ')}`,
    );
  }
  if (options.filterPolicy !== undefined) {
    const prop = `${prefix}filterPolicy`;
    const keys = validateKeys(scope, prop, options.filterPolicy);
    let combinations = 1;
    for (const key of keys) {
      const filter = options.filterPolicy[key] as unknown;
      if (!isSubscriptionFilter(filter)) {
        throw invalidProp(
          scope,
          `${prop}.${key}`,
          'must be a SubscriptionFilter (e.g. SubscriptionFilter.stringFilter(...))',
          filter,
        );
      }
      validateNumericValues(scope, `${prop}.${key}`, filter.conditions);
      combinations *= filter.conditions.length;
    }
    validateFilterCombinations(scope, prop, combinations);
  }
  if (options.filterPolicyWithMessageBody !== undefined) {
    const prop = `${prefix}filterPolicyWithMessageBody`;
    validateKeys(scope, prop, options.filterPolicyWithMessageBody);
    validateFilterCombinations(scope, prop, bodyFilterCombinations(scope, prop, options.filterPolicyWithMessageBody));
  }
}

function keysOf(policy: unknown): string[] {
  return typeof policy === 'object' && policy !== null ? Object.keys(policy) : [];
}

/** A filter policy is an object of 1 to 5 keys. */
function validateKeys(scope: IConstruct, prop: string, policy: unknown): string[] {
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
    throw invalidProp(scope, prop, 'must be an object of filters by key', policy);
  }
  const keys = Object.keys(policy);
  if (keys.length === 0) {
    throw invalidProp(
      scope,
      prop,
      `must have 1 to ${FILTER_POLICY_MAX_KEYS} keys (omit it to deliver every message)`,
      '{}',
    );
  }
  if (keys.length > FILTER_POLICY_MAX_KEYS) {
    throw invalidProp(
      scope,
      prop,
      `may have at most ${FILTER_POLICY_MAX_KEYS} top-level keys (an SNS limit)`,
      `${keys.length} keys (${keys.join(', ')})`,
    );
  }
  return keys;
}

function isSubscriptionFilter(value: unknown): value is sns.SubscriptionFilter {
  return typeof value === 'object' && value !== null && Array.isArray((value as sns.SubscriptionFilter).conditions);
}

function isFilterOrPolicy(value: unknown): value is sns.FilterOrPolicy {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as sns.FilterOrPolicy).isPolicy === 'function' &&
    typeof (value as sns.FilterOrPolicy).isFilter === 'function'
  );
}

/** Numbers in a filter's conditions (`{ numeric: ['>', 5] }`) must be finite and within SNS's range. */
function validateNumericValues(scope: IConstruct, prop: string, conditions: unknown): void {
  const visit = (value: unknown): void => {
    if (typeof value === 'number' && !Token.isUnresolved(value)) {
      if (!Number.isFinite(value) || Math.abs(value) > FILTER_NUMERIC_LIMIT) {
        throw invalidProp(
          scope,
          prop,
          'may match numbers from -1,000,000,000 to 1,000,000,000 only (an SNS limit; NaN and Infinity are no numbers to SNS)',
          value,
        );
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (typeof value === 'object' && value !== null) {
      Object.values(value).forEach(visit);
    }
  };
  visit(conditions);
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
function bodyFilterCombinations(scope: IConstruct, prop: string, policy: Record<string, unknown>): number {
  let product = 1;
  for (const [key, value] of Object.entries(policy)) {
    if (!isFilterOrPolicy(value)) {
      throw invalidProp(
        scope,
        `${prop}.${key}`,
        'must be a FilterOrPolicy (FilterOrPolicy.filter(...) or FilterOrPolicy.policy(...))',
        value,
      );
    }
    if (value.isPolicy()) {
      const nested = (value as sns.Policy).policyDoc as unknown;
      if (typeof nested !== 'object' || nested === null || Array.isArray(nested)) {
        throw invalidProp(scope, `${prop}.${key}`, 'must be an object of filters by key', nested);
      }
      product *= bodyFilterCombinations(scope, `${prop}.${key}`, nested as Record<string, unknown>);
    } else if (value.isFilter()) {
      const filter = (value as sns.Filter).filterDoc as unknown;
      if (!isSubscriptionFilter(filter)) {
        throw invalidProp(
          scope,
          `${prop}.${key}`,
          'must be a SubscriptionFilter (e.g. SubscriptionFilter.stringFilter(...))',
          filter,
        );
      }
      validateNumericValues(scope, `${prop}.${key}`, filter.conditions);
      product *= filter.conditions.length;
    }
  }
  return product;
}
