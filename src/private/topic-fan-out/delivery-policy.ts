import { Duration, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { durationMillis, invalidProp, validateEnumValue } from '../validation';

/*
 * SNS's limits of an HTTP/S delivery policy, from "Amazon SNS message delivery retries" (Creating an
 * HTTP/S delivery policy), https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html:
 * minDelayTarget 1 to maxDelayTarget, maxDelayTarget minDelayTarget to 3,600 (seconds); numRetries 0 to
 * 100 (default 3); numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries 0 or greater, whose sum
 * is at most numRetries (the backoff phase takes the rest); maxReceivesPerSecond 1 or greater; and "the
 * total policy retry time for an HTTP/S endpoint cannot be greater than 3,600 seconds. This is a hard
 * limit." "SetSubscriptionAttributes delivery policy JSON format"
 * (https://docs.aws.amazon.com/sns/latest/dg/set-sub-attributes-delivery-policy-json.html) types the
 * numbers as int, and headerContentType as a content type such as text/plain, application/json or
 * application/xml.
 */
const MAX_RETRIES = 100;
const MAX_DELAY_SECONDS = 3600;
const MAX_TOTAL_RETRY_SECONDS = 3600;
const DEFAULT_RETRIES = 3;
const DEFAULT_DELAY_SECONDS = 20;
const MAX_INT = 2_147_483_647;

/**
 * An RFC 9110 media type (`type/subtype`, optionally followed by `; parameter=value`s), the syntax of
 * a Content-Type header.
 */
const TOKEN_CHARS = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const MEDIA_TYPE = new RegExp(`^${TOKEN_CHARS}/${TOKEN_CHARS}(\\s*;\\s*${TOKEN_CHARS}=(${TOKEN_CHARS}|"[^"]*"))*$`);

/**
 * Refuses what SNS would refuse in an HTTP/S delivery policy, and what no delivery policy can be: NaN,
 * Infinity, fractions, strings where numbers or Durations belong, a backoff function that is not one of
 * the four. Values given as tokens are not validated.
 *
 * @param prop e.g. `deliveryPolicy`, or `addHttpsSubscriber("Hooks") deliveryPolicy`
 */
export function validateDeliveryPolicy(scope: IConstruct, prop: string, policy: sns.DeliveryPolicy): void {
  if (typeof policy !== 'object' || policy === null) {
    throw invalidProp(scope, prop, 'must be a DeliveryPolicy object', policy);
  }
  const retry = policy.healthyRetryPolicy;
  if (retry !== undefined) {
    validateRetryPolicy(scope, `${prop}.healthyRetryPolicy`, retry);
  }
  const maxReceivesPerSecond = policy.throttlePolicy?.maxReceivesPerSecond;
  if (maxReceivesPerSecond !== undefined && !Token.isUnresolved(maxReceivesPerSecond)) {
    if (
      typeof maxReceivesPerSecond !== 'number' ||
      !Number.isInteger(maxReceivesPerSecond) ||
      maxReceivesPerSecond < 1 ||
      maxReceivesPerSecond > MAX_INT
    ) {
      throw invalidProp(
        scope,
        `${prop}.throttlePolicy.maxReceivesPerSecond`,
        `must be an integer of at least 1 (and at most ${MAX_INT.toLocaleString('en-US')}, an int)`,
        maxReceivesPerSecond,
      );
    }
  }
  const contentType = policy.requestPolicy?.headerContentType;
  if (contentType !== undefined && !Token.isUnresolved(contentType)) {
    if (typeof contentType !== 'string' || !MEDIA_TYPE.test(contentType)) {
      throw invalidProp(
        scope,
        `${prop}.requestPolicy.headerContentType`,
        'must be a content type such as "application/json", "application/xml" or "text/plain; charset=UTF-8"',
        contentType,
      );
    }
  }
}

function validateRetryPolicy(scope: IConstruct, prop: string, retry: sns.HealthyRetryPolicy): void {
  if (typeof retry !== 'object' || retry === null) {
    throw invalidProp(scope, prop, 'must be a HealthyRetryPolicy object', retry);
  }
  const counts: Array<[keyof sns.HealthyRetryPolicy & string, number | undefined]> = [
    ['numRetries', retry.numRetries],
    ['numNoDelayRetries', retry.numNoDelayRetries],
    ['numMinDelayRetries', retry.numMinDelayRetries],
    ['numMaxDelayRetries', retry.numMaxDelayRetries],
  ];
  for (const [name, value] of counts) {
    if (value === undefined || Token.isUnresolved(value)) {
      continue;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_RETRIES) {
      throw invalidProp(scope, `${prop}.${name}`, `must be an integer between 0 and ${MAX_RETRIES}`, value);
    }
  }
  validateEnumValue(scope, `${prop}.backoffFunction`, retry.backoffFunction, 'BackoffFunction', sns.BackoffFunction);

  const minDelay = delaySeconds(scope, `${prop}.minDelayTarget`, retry.minDelayTarget);
  const maxDelay = delaySeconds(scope, `${prop}.maxDelayTarget`, retry.maxDelayTarget);
  if (minDelay === 'token' || maxDelay === 'token') {
    return;
  }
  const min = minDelay ?? DEFAULT_DELAY_SECONDS;
  const max = maxDelay ?? DEFAULT_DELAY_SECONDS;
  if (min > max) {
    // The one that was given is the one to change; both given, the minimum.
    const [name, value, other, otherValue] =
      minDelay !== undefined
        ? ['minDelayTarget', retry.minDelayTarget, 'maxDelayTarget', max]
        : ['maxDelayTarget', retry.maxDelayTarget, 'minDelayTarget', min];
    throw invalidProp(
      scope,
      `${prop}.${name}`,
      name === 'minDelayTarget'
        ? `must not exceed ${other} (${otherValue} seconds${maxDelay === undefined ? ', the default' : ''})`
        : `must be at least ${other} (${otherValue} seconds, the default)`,
      value,
    );
  }
  if (counts.some(([, value]) => value !== undefined && Token.isUnresolved(value))) {
    return;
  }
  const numRetries = retry.numRetries ?? DEFAULT_RETRIES;
  const [noDelay, atMinDelay, atMaxDelay] = counts.slice(1).map(([, value]) => value ?? 0);
  if (noDelay + atMinDelay + atMaxDelay > numRetries) {
    throw invalidProp(
      scope,
      prop,
      `numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries (${numRetries}${retry.numRetries === undefined ? ', the default' : ''})`,
      noDelay + atMinDelay + atMaxDelay,
    );
  }
  // The backoff retries wait at least minDelayTarget each, so this is the shortest the policy can
  // take; SNS refuses any policy that takes longer than an hour.
  const backoffRetries = numRetries - noDelay - atMinDelay - atMaxDelay;
  const shortestTotal = atMinDelay * min + backoffRetries * min + atMaxDelay * max;
  if (shortestTotal > MAX_TOTAL_RETRY_SECONDS) {
    throw invalidProp(
      scope,
      prop,
      `must retry for at most ${MAX_TOTAL_RETRY_SECONDS} seconds in all (an SNS limit)`,
      `at least ${shortestTotal} seconds`,
    );
  }
}

/** The delay in seconds; undefined when not given; 'token' when known only at deploy time. */
function delaySeconds(scope: IConstruct, prop: string, delay: unknown): number | 'token' | undefined {
  if (delay === undefined) {
    return undefined;
  }
  const rule = `must be a whole number of seconds between 1 and ${MAX_DELAY_SECONDS}`;
  if (!(delay instanceof Duration)) {
    throw invalidProp(scope, prop, `${rule} (a Duration)`, delay);
  }
  if (delay.isUnresolved()) {
    // The policy takes seconds, and CloudFormation cannot multiply a deploy-time value.
    if (tokenSeconds(delay) === undefined) {
      throw invalidProp(
        scope,
        prop,
        'must be given with Duration.seconds() when its amount is a deploy-time value (the delivery policy takes seconds, and a deploy-time amount cannot be converted)',
        new Shown(tokenDurationAsWritten(scope, delay)),
      );
    }
    return 'token';
  }
  const millis = durationMillis(delay);
  if (!Number.isFinite(millis) || millis % 1000 !== 0 || millis < 1000 || millis > MAX_DELAY_SECONDS * 1000) {
    throw invalidProp(scope, prop, rule, delay);
  }
  return millis / 1000;
}

/** `Duration.hours({"Ref":"Delay"})`: a token Duration as the user wrote it, its amount as the CloudFormation expression. */
function tokenDurationAsWritten(scope: IConstruct, delay: Duration): string {
  const match = /^Duration\.(\w+)\((.*)\)$/.exec(delay.toString());
  const amount = match ? Tokenization.reverseNumber(Number(match[2])) : undefined;
  if (!match || !amount) {
    return 'a deploy-time Duration';
  }
  return `Duration.${match[1]}(${JSON.stringify(Stack.of(scope).resolve(amount))})`;
}

/** A value an error shows as this text, as written (not quoted as a string would be). */
export class Shown {
  constructor(private readonly text: string) {}

  public toString(): string {
    return this.text;
  }
}

function tokenSeconds(delay: Duration): number | undefined {
  try {
    return delay.toSeconds();
  } catch {
    return undefined;
  }
}

/**
 * The DeliveryPolicy JSON of a subscription, as aws-cdk-lib's `sns.Subscription` renders it (the same
 * keys and defaults), written here so that values given as tokens pass through: aws-cdk-lib compares a
 * token number with its limits and converts a token Duration to milliseconds, and both throw. Call
 * after `validateDeliveryPolicy`.
 */
export function renderDeliveryPolicy(policy: sns.DeliveryPolicy): Record<string, unknown> {
  const retry = policy.healthyRetryPolicy;
  return {
    healthyRetryPolicy: retry
      ? {
          minDelayTarget: retry.minDelayTarget === undefined ? DEFAULT_DELAY_SECONDS : retry.minDelayTarget.toSeconds(),
          maxDelayTarget: retry.maxDelayTarget === undefined ? DEFAULT_DELAY_SECONDS : retry.maxDelayTarget.toSeconds(),
          numRetries: retry.numRetries ?? DEFAULT_RETRIES,
          numNoDelayRetries: retry.numNoDelayRetries,
          numMinDelayRetries: retry.numMinDelayRetries,
          numMaxDelayRetries: retry.numMaxDelayRetries,
          backoffFunction: retry.backoffFunction,
        }
      : undefined,
    throttlePolicy: policy.throttlePolicy
      ? { maxReceivesPerSecond: policy.throttlePolicy.maxReceivesPerSecond }
      : undefined,
    requestPolicy: policy.requestPolicy ? { headerContentType: policy.requestPolicy.headerContentType } : undefined,
  };
}
