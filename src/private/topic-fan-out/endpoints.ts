import * as crypto from 'node:crypto';
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { invalidProp, methodArgument } from '../validation';

/**
 * What a subscriber's endpoint is, for telling two subscriptions apart.
 *
 * SNS knows a subscription by its topic, protocol and endpoint; subscribing the same endpoint twice
 * either returns the existing subscription (and the second CloudFormation resource then deletes the
 * first's subscription with it) or fails with "already exists with different attributes". So the
 * fan-out refuses an endpoint it already subscribed, through any method, compared as the service would
 * reach it:
 *
 * - URLs by RFC 3986's equivalences (section 6.2.2, syntax-based, and 6.2.3, scheme-based): scheme
 *   and host are case-insensitive, the default port (443 for https) and an empty path (`/`) are the
 *   same as none, dot segments are removed, percent-encoded unreserved characters are the characters
 *   themselves and the hex digits of a percent-encoding are case-insensitive. The fragment is not part
 *   of the resource: a user agent never sends it (section 3.5). Everything else differs: the path is
 *   case-sensitive, `/orders` and `/orders/` are two resources, and so are two queries.
 * - Email addresses by RFC 5321 (section 2.4): the domain is case-insensitive, the local part is not.
 * - Phone numbers are E.164 (already canonical) and ARNs are case-sensitive: compared as written.
 * - A token is known only at deploy time: the same token is the same endpoint, two tokens are not
 *   compared.
 *
 * Nothing here becomes an id: ids are the user's, so two endpoints that differ only in characters an
 * id would fold (`/` and `--` in construct ids, punctuation in logical ids) are two subscribers.
 */
export function endpointIdentity(protocol: string, endpoint: string): string {
  if (Token.isUnresolved(endpoint)) {
    return `${protocol} token ${endpoint}`;
  }
  switch (protocol) {
    case 'http':
    case 'https':
      return `${protocol} ${normalizedUrl(endpoint) ?? endpoint}`;
    case 'email':
    case 'email-json':
      return `${protocol} ${normalizedEmail(endpoint)}`;
    default:
      return `${protocol} ${endpoint}`;
  }
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** The URL in RFC 3986's normal form (see `endpointIdentity`), or undefined when it does not parse. */
export function normalizedUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    // The WHATWG parser lower-cases scheme and host, drops the default port, turns an empty path into
    // "/" and removes dot segments.
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const percent = (text: string) =>
    text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
      const char = String.fromCharCode(parseInt(hex, 16));
      return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
    });
  const userinfo = parsed.username || parsed.password ? `${parsed.username}:${parsed.password}@` : '';
  return `${parsed.protocol}//${userinfo}${parsed.host}${percent(parsed.pathname)}${percent(parsed.search)}`;
}

function normalizedEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : `${address.slice(0, at)}@${address.slice(at).toLowerCase()}`;
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

/** Refuses what cannot be an https:// URL; tokens pass. */
export function validateHttpsUrl(scope: IConstruct, prop: string, url: unknown): void {
  if (typeof url === 'string' && Token.isUnresolved(url)) {
    return;
  }
  if (typeof url !== 'string' || !isHttpsUrl(url)) {
    throw invalidProp(scope, prop, 'must be an https:// URL with a host (SNS would send plain-text HTTP)', url);
  }
}

/**
 * RFC 5321 (section 4.5.3.1) limits a mailbox's local part to 64 octets and a forward path to 256,
 * which with its angle brackets leaves 254 for the address.
 */
const EMAIL_LOCAL_PART_MAX_LENGTH = 64;
const EMAIL_MAX_LENGTH = 254;

/** Refuses what cannot be an email address; tokens pass. */
export function validateEmailAddress(scope: IConstruct, prop: string, address: unknown): void {
  if (typeof address === 'string' && Token.isUnresolved(address)) {
    return;
  }
  const valid =
    typeof address === 'string' &&
    /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(address) &&
    address.length <= EMAIL_MAX_LENGTH &&
    Buffer.byteLength(address.slice(0, address.indexOf('@'))) <= EMAIL_LOCAL_PART_MAX_LENGTH;
  if (!valid) {
    throw invalidProp(
      scope,
      prop,
      `must be an email address: a local part of at most ${EMAIL_LOCAL_PART_MAX_LENGTH} octets, "@" and a domain, at most ${EMAIL_MAX_LENGTH} characters in all (RFC 5321)`,
      address,
    );
  }
}

/**
 * Refuses what is not a phone number in E.164 format ("+", a country code and the subscriber number, at
 * most 15 digits in all), the format SNS takes for the sms protocol; tokens pass.
 */
export function validatePhoneNumber(scope: IConstruct, prop: string, phoneNumber: unknown): void {
  if (typeof phoneNumber === 'string' && Token.isUnresolved(phoneNumber)) {
    return;
  }
  if (typeof phoneNumber !== 'string' || !/^\+[1-9][0-9]{1,14}$/.test(phoneNumber)) {
    throw invalidProp(
      scope,
      prop,
      'must be in E.164 format: "+", a country code and at most 15 digits, e.g. "+14155550100"',
      phoneNumber,
    );
  }
}

/** Refuses what is not an ARN (a JavaScript caller can pass anything); tokens pass. */
export function validateArn(scope: IConstruct, prop: string, arn: unknown, what: string): void {
  if (typeof arn === 'string' && Token.isUnresolved(arn)) {
    return;
  }
  if (typeof arn !== 'string' || !/^arn:[^:]+:[^:]+:/.test(arn)) {
    throw invalidProp(scope, prop, `must be the ARN of ${what}`, arn);
  }
}

/**
 * The ids of a fan-out's subscribers: each given by the user, each once. Construct ids fold `/` into
 * `--`, so `a/b` and `a--b` would become one construct: such ids are refused with the one they fold
 * into, rather than crashing in the construct tree.
 */
export class SubscriberIds {
  /** Folded id → the id as given. */
  private readonly taken = new Map<string, string>();

  constructor(private readonly scope: IConstruct) {}

  /** Refuses an id that is not a non-empty string known at synth, or one taken already. */
  public check(method: string, id: unknown): string {
    const prop = methodArgument(method, 'id');
    if (typeof id !== 'string' || id.length === 0) {
      throw invalidProp(this.scope, prop, 'must be a non-empty string (the construct id of the subscriber)', id);
    }
    if (Token.isUnresolved(id)) {
      throw invalidProp(this.scope, prop, 'must be known at synth, not a deploy-time value (it is a construct id)', id);
    }
    const earlier = this.taken.get(foldedId(id));
    if (earlier === id) {
      throw invalidProp(
        this.scope,
        prop,
        'is already the id of another subscriber of this TopicFanOut (each subscriber has an id of its own)',
        id,
      );
    }
    if (earlier !== undefined) {
      throw invalidProp(
        this.scope,
        prop,
        `must not fold into the id of another subscriber of this TopicFanOut: construct ids turn "/" into "--", so it would be the same construct as "${earlier}"`,
        id,
      );
    }
    return id;
  }

  /** Whether the id (folded) is free. */
  public isFree(id: string): boolean {
    return !this.taken.has(foldedId(id));
  }

  public add(id: string): void {
    this.taken.set(foldedId(id), id);
  }
}

/** The id as the construct tree stores it. */
export function foldedId(id: string): string {
  return id.replace(/\//g, '--');
}

/**
 * A construct id for a subscriber whose id aws-cdk-lib derived from its endpoint (a URL or an email
 * address), when that id folds into one taken by another endpoint: the id with a hash of the exact
 * endpoint, so that both subscribe and the suffix stays the same from one synth to the next.
 */
export function disambiguatedId(id: string): string {
  return `${id}-${crypto.createHash('sha256').update(id).digest('hex').slice(0, 8)}`;
}
