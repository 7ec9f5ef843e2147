import { App, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as fc from 'fast-check';
import { strictApp } from '../harness/app';
import {
  attempt,
  durationAround,
  enumOrForeign,
  expectLibraryError,
  nameAround,
  numberAround,
  numberToken,
  PROPERTY_SEED,
  propertyParameters,
  reportCases,
  stringToken,
  TemplateBatch,
} from '../harness/properties';
import { TopicFanOut } from '../src/topic-fan-out';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

/**
 * TopicFanOut's props and every method, generated inside, at and beyond every limit: NaN, Infinity and
 * out-of-range numbers and Durations in delivery policies, strings that bypass the enums, odd and
 * duplicate ids and endpoints (also ones that differ only in what an id mapping folds, or only in what
 * RFC 3986 says does not matter), tokens where SNS accepts them, imported topics, queues, keys and
 * functions. Each case ends in a library error naming the path and what it set, or in a template that
 * the strict validator and cfn-lint accept and that holds what was asked.
 */

const ENV = { account: '123456789012', region: 'us-east-1' };
const FAN_OUT_PATH = 'Stack/Fan';

const TOKEN_URL = 'https://deploy-time.example.com/hook';
const TOKEN_EMAIL = 'deploy-time@example.com';
const TOKEN_PHONE = '+14155550199';
const TOKEN_TOPIC_NAME = 'deploy-time-name';

type KeyChoice = 'none' | 'new' | 'imported' | 'awsManagedSns';
type TopicChoice = 'none' | 'app' | 'appFifo' | 'imported' | 'importedFifo' | 'importedOtherRegion' | 'token';
type QueueKeyChoice = 'none' | 'new' | 'imported' | 'awsManagedSqs';
type QueueChoice =
  | 'appQueue'
  | 'appQueueImportedKey'
  | 'appFifoQueue'
  | 'kmsManaged'
  | 'imported'
  | 'importedWithKey'
  | 'importedOtherAccount'
  | 'importedToken'
  | 'otherStack'
  | 'otherRegionStack';
type DlqChoice = 'none' | 'workQueue' | 'fifoWorkQueue' | 'importedWithKey' | 'otherAccount' | 'kmsManaged';
type FnChoice = 'sameEnv' | 'otherAccount' | 'notSameEnv';
type FilterChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'attributes'; readonly keys: number; readonly values: number }
  | { readonly kind: 'numeric'; readonly value: number }
  | { readonly kind: 'body'; readonly keys: number; readonly values: number }
  | { readonly kind: 'both' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'plainObject' };

interface DeliveryPolicySpec {
  readonly numRetries?: number;
  readonly numNoDelayRetries?: number;
  readonly numMinDelayRetries?: number;
  readonly numMaxDelayRetries?: number;
  readonly minDelayTarget?: Duration;
  readonly maxDelayTarget?: Duration;
  readonly backoffFunction?: sns.BackoffFunction;
  readonly maxReceivesPerSecond?: number;
  readonly headerContentType?: string;
}

type Call =
  | {
      readonly method: 'addQueue';
      readonly id: string;
      readonly fifo?: unknown;
      readonly queueName?: string;
      readonly encryption?: WorkQueueEncryption;
      readonly key: QueueKeyChoice;
      readonly rawMessageDelivery?: unknown;
      readonly filter: FilterChoice;
      readonly dlq: DlqChoice;
    }
  | {
      readonly method: 'addQueueSubscriber';
      readonly id: string;
      readonly queue: QueueChoice;
      readonly rawMessageDelivery?: unknown;
      readonly filter: FilterChoice;
      readonly dlq: DlqChoice;
    }
  | {
      readonly method: 'addHttpsSubscriber';
      readonly id: string;
      readonly url: string;
      readonly deliveryPolicy?: DeliveryPolicySpec;
      readonly rawMessageDelivery?: unknown;
      readonly filter: FilterChoice;
      readonly dlq: DlqChoice;
    }
  | {
      readonly method: 'addLambdaSubscriber';
      readonly id: string;
      readonly fn: FnChoice;
      readonly filter: FilterChoice;
    }
  | { readonly method: 'addEmailSubscriber'; readonly id: string; readonly address: string }
  | { readonly method: 'addSmsSubscriber'; readonly id: string; readonly phoneNumber: string }
  | { readonly method: 'addSubscription'; readonly kind: 'url' | 'email' | 'sqs'; readonly endpoint: string }
  | {
      readonly method: 'allowServicePublish';
      readonly servicePrincipal: string;
      readonly sourceArn: string;
      readonly sourceAccount?: string;
    }
  | { readonly method: 'allowAccountPublish'; readonly accountId: string }
  | { readonly method: 'applyRemovalPolicy'; readonly policy: RemovalPolicy }
  | { readonly method: 'grantPublish'; readonly grantee: 'role' | 'service' | 'account' | 'notGrantable' };

interface FanOutCase {
  readonly envAgnostic: boolean;
  readonly topic: TopicChoice;
  readonly fifo?: unknown;
  readonly topicName?: string;
  readonly contentBasedDeduplication?: unknown;
  readonly key: KeyChoice;
  readonly removalPolicy?: RemovalPolicy;
  readonly alarmTopic: boolean;
  readonly calls: Call[];
}

// ---------------------------------------------------------------------------------------------------------------
// Generators

/** Ids from a small pool, so that duplicates happen, with ones an id mapping folds together ('/' and '--'). */
const ids = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('A', 'B', 'Hooks', 'Ops', 'a/b', 'a--b', 'x'.repeat(300)) },
  { weight: 1, arbitrary: fc.constantFrom('', 42 as unknown as string) },
  { weight: 1, arbitrary: fc.constant(null).map(() => stringToken('TokenId')) },
);

const urls = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'https://hooks.example.com/orders',
      'HTTPS://Hooks.EXAMPLE.com/orders',
      'https://hooks.example.com:443/orders',
      'https://hooks.example.com/orders/',
      'https://hooks.example.com/a/b',
      'https://hooks.example.com/a--b',
      'https://hooks.example.com/a.b',
      'https://hooks.example.com/a_b',
      'https://hooks.example.com/%7Euser',
      'https://hooks.example.com/~user',
      'https://hooks.example.com/orders#fragment',
      'https://hooks.example.com',
      'https://hooks.example.com/',
      'https://hooks.example.com/Orders',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'http://hooks.example.com/orders',
      'ftp://hooks.example.com',
      'https://',
      'not a url',
      '',
      `https://hooks.example.com/${'x'.repeat(3000)}`,
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).map(() => stringToken(TOKEN_URL)) },
  { weight: 1, arbitrary: fc.constant(42 as unknown as string) },
);

const emails = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'ops@example.com',
      'ops@EXAMPLE.com',
      'Ops@example.com',
      'o.ps@example.com',
      'o_ps@example.com',
      'o/ps@example.com',
      'o--ps@example.com',
      'o+ps@example.com',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'ops-at-example.com',
      '',
      'ops@',
      '@example.com',
      'two@at@example.com',
      `${'l'.repeat(65)}@example.com`,
      `ops@${'d'.repeat(250)}.com`,
    ),
  },
  { weight: 1, arbitrary: fc.constant(null).map(() => stringToken(TOKEN_EMAIL)) },
);

const phoneNumbers = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('+14155550100', '+442071838750', '+14155550101') },
  { weight: 1, arbitrary: fc.constantFrom('0415 555 0100', '+0123456', '+1234567890123456', '', '14155550100') },
  { weight: 1, arbitrary: fc.constant(null).map(() => stringToken(TOKEN_PHONE)) },
);

/** Mostly unset: one prop among many is what a case is about. */
function seldom<T>(arbitrary: fc.Arbitrary<T>, weight = 1): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight, arbitrary });
}

const booleanish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(undefined, true, false) },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 1) },
);

const filters: fc.Arbitrary<FilterChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('attributes' as const),
      keys: fc.integer({ min: 1, max: 6 }),
      values: fc.constantFrom(1, 2, 30, 151),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('numeric' as const),
      value: fc.constantFrom(5, -1e9, 1e9, 1e10, NaN, Infinity, -Infinity, 0.123456),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('body' as const),
      keys: fc.integer({ min: 1, max: 6 }),
      values: fc.constantFrom(1, 12, 151),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom({ kind: 'both' as const }, { kind: 'empty' as const }, { kind: 'plainObject' as const }),
  },
);

const dlqs: fc.Arbitrary<DlqChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('none' as const) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<DlqChoice>(
      'workQueue',
      'fifoWorkQueue',
      'importedWithKey',
      'otherAccount',
      'kmsManaged',
    ),
  },
);

/** Delivery policies at and beyond every limit. */
const wildDeliveryPolicies: fc.Arbitrary<DeliveryPolicySpec> = fc.record(
  {
    numRetries: numberAround([0, 100]),
    numNoDelayRetries: numberAround([0, 3]),
    numMinDelayRetries: numberAround([0, 3]),
    numMaxDelayRetries: numberAround([0, 3]),
    minDelayTarget: durationAround([1, 20, 3600]),
    maxDelayTarget: durationAround([1, 20, 3600]),
    backoffFunction: enumOrForeign(Object.values(sns.BackoffFunction), ['exponential', 'LOGARITHMIC']),
    maxReceivesPerSecond: numberAround([1]),
    headerContentType: fc.oneof(
      fc.constantFrom('application/json', 'text/plain; charset=UTF-8', 'application/xml', 'json', '', 'text/'),
      fc.constant(null).map(() => stringToken('application/json')),
    ),
  },
  { requiredKeys: [] },
);

/** Delivery policies SNS accepts, some with values given as tokens. */
const validDeliveryPolicies: fc.Arbitrary<DeliveryPolicySpec> = fc
  .record({
    phases: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
    backoff: fc.integer({ min: 0, max: 10 }),
    minDelay: fc.integer({ min: 1, max: 20 }),
    extraDelay: fc.integer({ min: 0, max: 100 }),
    backoffFunction: fc.constantFrom(...Object.values(sns.BackoffFunction)),
    maxReceivesPerSecond: fc.oneof(
      fc.integer({ min: 1, max: 1000 }),
      fc.constant(null).map(() => numberToken()),
    ),
    headerContentType: fc.constantFrom('application/json', 'text/plain; charset=UTF-8', 'application/xml'),
    tokenDelay: fc.boolean(),
  })
  .map(({ phases: [noDelay, atMin, atMax], backoff, minDelay, extraDelay, tokenDelay, ...rest }) => ({
    numRetries: noDelay + atMin + atMax + backoff,
    numNoDelayRetries: noDelay,
    numMinDelayRetries: atMin,
    numMaxDelayRetries: atMax,
    minDelayTarget: Duration.seconds(minDelay),
    maxDelayTarget: tokenDelay ? Duration.seconds(numberToken(24)) : Duration.seconds(minDelay + extraDelay),
    ...rest,
  }));

const deliveryPolicies: fc.Arbitrary<DeliveryPolicySpec | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: validDeliveryPolicies },
  { weight: 2, arbitrary: wildDeliveryPolicies },
);

const callFamilies: Array<fc.Arbitrary<Call>> = [
  fc.record({
    method: fc.constant('addQueue' as const),
    id: ids,
    fifo: seldom(booleanish),
    queueName: seldom(
      fc.oneof(
        nameAround(80),
        nameAround(75).map((n) => `${n}.fifo`),
      ),
    ),
    encryption: seldom(enumOrForeign(Object.values(WorkQueueEncryption))),
    key: fc.constantFrom<QueueKeyChoice>('none', 'none', 'new', 'imported', 'awsManagedSqs'),
    rawMessageDelivery: booleanish,
    filter: filters,
    dlq: dlqs,
  }),
  fc.record({
    method: fc.constant('addQueueSubscriber' as const),
    id: ids,
    queue: fc.constantFrom<QueueChoice>(
      'appQueue',
      'appQueueImportedKey',
      'appFifoQueue',
      'kmsManaged',
      'imported',
      'importedWithKey',
      'importedOtherAccount',
      'importedToken',
      'otherStack',
      'otherRegionStack',
    ),
    rawMessageDelivery: booleanish,
    filter: filters,
    dlq: dlqs,
  }),
  fc.record(
    {
      method: fc.constant('addHttpsSubscriber' as const),
      id: ids,
      url: urls,
      deliveryPolicy: deliveryPolicies,
      rawMessageDelivery: booleanish,
      filter: filters,
      dlq: dlqs,
    },
    { requiredKeys: ['method', 'id', 'url', 'filter', 'dlq'] },
  ),
  fc.record({
    method: fc.constant('addLambdaSubscriber' as const),
    id: ids,
    fn: fc.constantFrom<FnChoice>('sameEnv', 'otherAccount', 'notSameEnv'),
    filter: filters,
  }),
  fc.record({ method: fc.constant('addEmailSubscriber' as const), id: ids, address: emails }),
  fc.record({ method: fc.constant('addSmsSubscriber' as const), id: ids, phoneNumber: phoneNumbers }),
  fc.oneof(
    fc.record({ method: fc.constant('addSubscription' as const), kind: fc.constant('url' as const), endpoint: urls }),
    fc.record({
      method: fc.constant('addSubscription' as const),
      kind: fc.constant('email' as const),
      endpoint: emails,
    }),
    fc.record({
      method: fc.constant('addSubscription' as const),
      kind: fc.constant('sqs' as const),
      endpoint: fc.constant(''),
    }),
  ),
  fc.record(
    {
      method: fc.constant('allowServicePublish' as const),
      servicePrincipal: fc.oneof(
        fc.constantFrom(
          's3.amazonaws.com',
          'events.amazonaws.com',
          's3.amazonaws.com',
          'events.amazonaws.com',
          's3',
          'S3.AMAZONAWS.COM',
          '',
        ),
        fc.constant(null).map(() => stringToken('s3.amazonaws.com')),
      ),
      sourceArn: fc.oneof(
        fc.constantFrom(
          'arn:aws:s3:::order-uploads',
          'arn:aws:events:us-east-1:123456789012:rule/*',
          'arn:aws:s3:::order-uploads',
          'arn:aws:events:us-east-1:123456789012:rule/*',
          'order-uploads',
          '',
        ),
        fc.constant(null).map(() => stringToken('arn:aws:s3:::deploy-time')),
      ),
      sourceAccount: fc.oneof(
        fc.constantFrom('123456789012', '111122223333', '123456789012', '111122223333', '12', '1111-2222-3333'),
        fc.constant(null).map(() => stringToken('123456789012')),
      ),
    },
    { requiredKeys: ['method', 'servicePrincipal', 'sourceArn'] },
  ),
  fc.record({
    method: fc.constant('allowAccountPublish' as const),
    accountId: fc.oneof(
      fc.constantFrom('111122223333', '444455556666', '111122223333', '1111-2222-3333', '', '12345678901a'),
      fc.constant(null).map(() => stringToken('111122223333')),
    ),
  }),
  fc.record({
    method: fc.constant('applyRemovalPolicy' as const),
    policy: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom(
          RemovalPolicy.DESTROY,
          RemovalPolicy.RETAIN,
          RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
        ),
      },
      { weight: 1, arbitrary: enumOrForeign(Object.values(RemovalPolicy), ['delete']) },
    ),
  }),
];

callFamilies.push(
  fc.record({
    method: fc.constant('grantPublish' as const),
    grantee: fc.constantFrom<'role' | 'service' | 'account' | 'notGrantable'>(
      'role',
      'service',
      'account',
      'notGrantable',
    ),
  }),
);

/** Every method, the ones that subscribe more often. */
const CALL_WEIGHTS = [4, 3, 3, 1, 1, 1, 2, 1, 1, 1, 1];
const calls: fc.Arbitrary<Call> = fc.oneof(
  ...callFamilies.map((arbitrary, i) => ({ weight: CALL_WEIGHTS[i], arbitrary })),
);

/** Props at and beyond every limit, foreign strings for the enums, non-booleans, props that exclude each other. */
const wildProps = fc.record(
  {
    topic: seldom(fc.constantFrom<TopicChoice>('app', 'imported', 'importedFifo', 'importedOtherRegion', 'token')).map(
      (topic) => topic ?? ('none' as TopicChoice),
    ),
    fifo: seldom(booleanish, 2),
    topicName: seldom(
      fc.oneof(
        nameAround(256),
        nameAround(251).map((name) => `${name}.fifo`),
        fc.constantFrom('.fifo', 'a'.repeat(251) + '.fifo', 'a'.repeat(252) + '.fifo', 'orders', 'orders'),
        fc.constant(null).map(() => `${stringToken(TOKEN_TOPIC_NAME)}.fifo`),
      ),
      2,
    ),
    contentBasedDeduplication: seldom(booleanish),
    key: fc.constantFrom<KeyChoice>('none', 'new', 'imported', 'awsManagedSns'),
    removalPolicy: seldom(enumOrForeign(Object.values(RemovalPolicy), ['delete'])),
  },
  { requiredKeys: ['topic', 'key'] },
);

/** Props a user would give, so that most cases reach the method calls. */
const saneProps = fc.oneof(
  fc
    .record(
      {
        topic: fc.constant<TopicChoice>('none'),
        fifo: fc.constantFrom(undefined, undefined, undefined, true, false),
        topicName: fc.constantFrom(undefined, undefined, 'orders', stringToken(TOKEN_TOPIC_NAME)),
        key: fc.constantFrom<KeyChoice>('none', 'none', 'new', 'imported', 'awsManagedSns'),
        removalPolicy: fc.constantFrom(undefined, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN),
      },
      { requiredKeys: ['topic', 'key'] },
    )
    .map((props) => ({
      ...props,
      // A FIFO topic's name ends in .fifo.
      topicName: props.topicName === 'orders' && props.fifo ? 'orders.fifo' : props.topicName,
      contentBasedDeduplication: props.fifo ? true : undefined,
    })),
  fc.record({
    topic: fc.constantFrom<TopicChoice>('app', 'appFifo', 'imported', 'importedFifo', 'importedOtherRegion', 'token'),
    key: fc.constant<KeyChoice>('none'),
  }),
);

const fanOutCases: fc.Arbitrary<FanOutCase> = fc
  .record({
    envAgnostic: fc.boolean(),
    props: fc.oneof({ weight: 4, arbitrary: saneProps }, { weight: 1, arbitrary: wildProps }),
    alarmTopic: fc.boolean(),
    calls: fc.array(calls, { minLength: 1, maxLength: 3 }),
  })
  .map(({ props, ...rest }) => ({ ...props, ...rest }) as FanOutCase);

// ---------------------------------------------------------------------------------------------------------------
// Building a case

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly fanOut: TopicFanOut;
  /** What each call that returned asked for, checked in the template. */
  readonly expectations: Array<(template: any) => void>;
}

/** The props (and `<method>` / `<method>("<id>")` prefixes) a case set, which an error may name. */
function propsSet(c: FanOutCase): string[] {
  const props = [
    'topic',
    'fifo',
    'topicName',
    'contentBasedDeduplication',
    'encryptionKey',
    'removalPolicy',
    'alarmTopic',
  ];
  for (const call of c.calls) {
    props.push(call.method);
    if ('id' in call) {
      props.push(`${call.method}("${String(call.id)}")`);
    }
    if (call.method === 'grantPublish') {
      props.push('grantPublish grantee');
    }
    if (call.method === 'addQueue') {
      // The WorkQueue addQueue creates validates its own props, under its own path.
      props.push('queueName', 'encryption', 'encryptionKey', 'fifo', 'removalPolicy');
    }
  }
  return props;
}

function queueKey(stack: Stack, choice: QueueKeyChoice, n: number): kms.IKey | undefined {
  switch (choice) {
    case 'new':
      return new kms.Key(stack, `QueueKey${n}`, { enableKeyRotation: true });
    case 'imported':
      return kms.Key.fromKeyArn(
        stack,
        `ImportedQueueKey${n}`,
        `arn:aws:kms:us-east-1:123456789012:key/0000000${n}-aaaa-bbbb-cccc-dddddddddddd`,
      );
    case 'awsManagedSqs':
      return kms.Alias.fromAliasName(stack, `AwsSqs${n}`, 'alias/aws/sqs');
    default:
      return undefined;
  }
}

function filterOf(choice: FilterChoice): Record<string, unknown> {
  const values = (count: number) => Array.from({ length: count }, (_, i) => `v${i}`);
  switch (choice.kind) {
    case 'attributes':
      return {
        filterPolicy: Object.fromEntries(
          Array.from({ length: choice.keys }, (_, i) => [
            `k${i}`,
            sns.SubscriptionFilter.stringFilter({ allowlist: values(i === 0 ? choice.values : 1) }),
          ]),
        ),
      };
    case 'numeric':
      return { filterPolicy: { total: sns.SubscriptionFilter.numericFilter({ greaterThan: choice.value }) } };
    case 'body':
      return {
        filterPolicyWithMessageBody: Object.fromEntries(
          Array.from({ length: choice.keys }, (_, i) => [
            `k${i}`,
            sns.FilterOrPolicy.filter(
              sns.SubscriptionFilter.stringFilter({ allowlist: values(i === 0 ? choice.values : 1) }),
            ),
          ]),
        ),
      };
    case 'both':
      return {
        filterPolicy: { size: sns.SubscriptionFilter.stringFilter({ allowlist: ['large'] }) },
        filterPolicyWithMessageBody: { size: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.existsFilter()) },
      };
    case 'empty':
      return { filterPolicy: {} };
    case 'plainObject':
      return { filterPolicy: { size: ['large'] } };
    default:
      return {};
  }
}

function deadLetterQueueOf(stack: Stack, choice: DlqChoice, n: number): sqs.IQueue | undefined {
  switch (choice) {
    case 'workQueue':
      return new WorkQueue(stack, `OwnDlq${n}`, { encryption: WorkQueueEncryption.KMS, retentionPeriod: undefined });
    case 'fifoWorkQueue':
      return new WorkQueue(stack, `OwnFifoDlq${n}`, { fifo: true });
    case 'importedWithKey':
      return sqs.Queue.fromQueueAttributes(stack, `ImportedDlq${n}`, {
        queueArn: `arn:aws:sqs:us-east-1:123456789012:undeliverable-${n}`,
        keyArn: `arn:aws:kms:us-east-1:123456789012:key/1111111${n}-aaaa-bbbb-cccc-dddddddddddd`,
      });
    case 'otherAccount':
      return sqs.Queue.fromQueueArn(stack, `FarDlq${n}`, `arn:aws:sqs:us-east-1:999999999999:undeliverable-${n}`);
    case 'kmsManaged':
      return new sqs.Queue(stack, `KmsManagedDlq${n}`, {
        encryption: sqs.QueueEncryption.KMS_MANAGED,
        enforceSSL: true,
      });
    default:
      return undefined;
  }
}

function subscriberQueue(stack: Stack, choice: QueueChoice, n: number): sqs.IQueue {
  switch (choice) {
    case 'appQueue':
      return new WorkQueue(stack, `Subscriber${n}`);
    case 'appQueueImportedKey':
      return new WorkQueue(stack, `SubscriberImportedKey${n}`, {
        encryptionKey: kms.Key.fromKeyArn(
          stack,
          `SubscriberKey${n}`,
          `arn:aws:kms:us-east-1:123456789012:key/2222222${n}-aaaa-bbbb-cccc-dddddddddddd`,
        ),
      });
    case 'appFifoQueue':
      return new WorkQueue(stack, `FifoSubscriber${n}`, { fifo: true });
    case 'kmsManaged':
      return new sqs.Queue(stack, `KmsManaged${n}`, { encryption: sqs.QueueEncryption.KMS_MANAGED, enforceSSL: true });
    case 'imported':
      return sqs.Queue.fromQueueArn(stack, `ImportedQueue${n}`, 'arn:aws:sqs:us-east-1:123456789012:partner');
    case 'importedWithKey':
      return sqs.Queue.fromQueueAttributes(stack, `ImportedKeyedQueue${n}`, {
        queueArn: 'arn:aws:sqs:us-east-1:123456789012:keyed',
        keyArn: 'arn:aws:kms:us-east-1:123456789012:key/33333333-aaaa-bbbb-cccc-dddddddddddd',
      });
    case 'importedOtherAccount':
      return sqs.Queue.fromQueueArn(stack, `FarQueue${n}`, 'arn:aws:sqs:us-east-1:999999999999:partner');
    case 'importedToken':
      return sqs.Queue.fromQueueArn(
        stack,
        `TokenQueue${n}`,
        stringToken('arn:aws:sqs:us-east-1:123456789012:deploy-time'),
      );
    case 'otherStack':
    case 'otherRegionStack': {
      const app = stack.node.root as App;
      const env =
        choice === 'otherStack'
          ? stack.environment === 'aws://unknown-account/unknown-region'
            ? undefined
            : ENV
          : { ...ENV, region: 'eu-west-1' };
      return new WorkQueue(new Stack(app, `QueueStack${n}`, { env }), 'Queue');
    }
  }
}

function functionOf(stack: Stack, choice: FnChoice, n: number): lambda.IFunction {
  switch (choice) {
    case 'sameEnv':
      return lambda.Function.fromFunctionAttributes(stack, `Fn${n}`, {
        functionArn: `arn:aws:lambda:us-east-1:123456789012:function:audit-${n}`,
        sameEnvironment: true,
      });
    case 'otherAccount':
      return lambda.Function.fromFunctionArn(
        stack,
        `FarFn${n}`,
        'arn:aws:lambda:us-east-1:999999999999:function:audit',
      );
    case 'notSameEnv':
      return lambda.Function.fromFunctionAttributes(stack, `UnclearFn${n}`, {
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:unclear',
      });
  }
}

function deliveryPolicyOf(spec: DeliveryPolicySpec | undefined): sns.DeliveryPolicy | undefined {
  if (!spec) {
    return undefined;
  }
  const retry = {
    numRetries: spec.numRetries,
    numNoDelayRetries: spec.numNoDelayRetries,
    numMinDelayRetries: spec.numMinDelayRetries,
    numMaxDelayRetries: spec.numMaxDelayRetries,
    minDelayTarget: spec.minDelayTarget,
    maxDelayTarget: spec.maxDelayTarget,
    backoffFunction: spec.backoffFunction,
  };
  const anyRetry = Object.values(retry).some((v) => v !== undefined);
  return {
    healthyRetryPolicy: anyRetry ? retry : undefined,
    throttlePolicy:
      spec.maxReceivesPerSecond !== undefined ? { maxReceivesPerSecond: spec.maxReceivesPerSecond } : undefined,
    requestPolicy: spec.headerContentType !== undefined ? { headerContentType: spec.headerContentType } : undefined,
  };
}

function build(c: FanOutCase): Built {
  const app = strictApp();
  const stack = c.envAgnostic ? new Stack(app, 'Stack') : new Stack(app, 'Stack', { env: ENV });
  const expectations: Array<(template: any) => void> = [];

  let topic: sns.ITopic | undefined;
  switch (c.topic) {
    case 'app':
    case 'appFifo':
      topic = new sns.Topic(stack, 'GivenTopic', {
        fifo: c.topic === 'appFifo' || undefined,
        masterKey: new kms.Key(stack, 'GivenTopicKey', { enableKeyRotation: true }),
        enforceSSL: true,
      });
      break;
    case 'imported':
      topic = sns.Topic.fromTopicArn(stack, 'ImportedTopic', 'arn:aws:sns:us-east-1:123456789012:orders');
      break;
    case 'importedFifo':
      topic = sns.Topic.fromTopicArn(stack, 'ImportedTopic', 'arn:aws:sns:us-east-1:123456789012:orders.fifo');
      break;
    case 'importedOtherRegion':
      topic = sns.Topic.fromTopicArn(stack, 'ImportedTopic', 'arn:aws:sns:eu-west-1:123456789012:orders');
      break;
    case 'token':
      topic = sns.Topic.fromTopicArn(
        stack,
        'ImportedTopic',
        stringToken('arn:aws:sns:us-east-1:123456789012:deploy-time'),
      );
      break;
  }
  let encryptionKey: kms.IKey | undefined;
  switch (c.key) {
    case 'new':
      encryptionKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
      break;
    case 'imported':
      encryptionKey = kms.Key.fromKeyArn(
        stack,
        'TopicKey',
        'arn:aws:kms:us-east-1:123456789012:key/44444444-aaaa-bbbb-cccc-dddddddddddd',
      );
      break;
    case 'awsManagedSns':
      encryptionKey = kms.Alias.fromAliasName(stack, 'TopicKey', 'alias/aws/sns');
      break;
  }
  const alarmTopic = c.alarmTopic
    ? new sns.Topic(stack, 'Alarms', {
        masterKey: new kms.Key(stack, 'AlarmsKey', { enableKeyRotation: true }),
        enforceSSL: true,
      })
    : undefined;

  const fanOut = new TopicFanOut(stack, 'Fan', {
    topic,
    fifo: c.fifo as boolean | undefined,
    topicName: c.topicName,
    contentBasedDeduplication: c.contentBasedDeduplication as boolean | undefined,
    encryptionKey,
    removalPolicy: c.removalPolicy,
    alarmTopic,
  });
  if (!topic) {
    expectations.push((template) => {
      const [created] = resourcesOf(template, 'AWS::SNS::Topic').filter(([id]) => id.startsWith('FanTopic'));
      expect(created).toBeDefined();
      const properties = created[1].Properties;
      if (c.topicName !== undefined) {
        // aws-cdk-lib appends .fifo to a deploy-time name of a FIFO topic.
        const expected = Token.isUnresolved(c.topicName)
          ? `${stack.resolve(c.topicName)}${fanOut.fifo && !c.topicName.endsWith('.fifo') ? '.fifo' : ''}`
          : c.topicName;
        expect(stack.resolve(properties.TopicName)).toEqual(expected);
      }
      expect(properties.FifoTopic === true).toBe(fanOut.fifo);
      expect(properties.ContentBasedDeduplication === true).toBe(c.contentBasedDeduplication === true);
      expect(properties.KmsMasterKeyId).toBeDefined();
    });
  }
  if (!topic && c.key === 'none') {
    // The last removal policy given, by the prop or by applyRemovalPolicy, reaches the topic's key.
    expectations.push((template) => {
      const applied = c.calls
        .filter((call) => call.method === 'applyRemovalPolicy')
        .map((call) => (call as { policy: RemovalPolicy }).policy);
      const policy = applied.length > 0 ? applied[applied.length - 1] : (c.removalPolicy ?? RemovalPolicy.RETAIN);
      const deletionPolicy = {
        [RemovalPolicy.DESTROY]: 'Delete',
        [RemovalPolicy.RETAIN]: 'Retain',
        [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE]: 'RetainExceptOnCreate',
      }[policy as string];
      const [key] = resourcesOf(template, 'AWS::KMS::Key').filter(([id]) => id.startsWith('FanKey'));
      expect(key[1].DeletionPolicy).toBe(deletionPolicy);
    });
  }
  c.calls.forEach((call, n) => {
    switch (call.method) {
      case 'addQueue': {
        const options = {
          fifo: call.fifo as boolean | undefined,
          queueName: call.queueName,
          encryption: call.encryption,
          encryptionKey: queueKey(stack, call.key, n),
          rawMessageDelivery: call.rawMessageDelivery as boolean | undefined,
          deadLetterQueue: deadLetterQueueOf(stack, call.dlq, n),
          ...filterOf(call.filter),
        };
        const queue = fanOut.addQueue(call.id, options);
        const subscription = fanOut.subscriptions[fanOut.subscriptions.length - 1];
        expectations.push((template) => {
          const found = subscriptionsTo(template, stack.resolve(queue.queueArn));
          expect(found).toHaveLength(1);
          expectSubscriptionAsAsked(found[0], {
            protocol: 'sqs',
            rawMessageDelivery: call.rawMessageDelivery,
            filter: call.filter,
          });
        });
        if (call.key === 'imported') {
          // The imported key's policy cannot be changed here: the statement SNS needs must come back.
          expect(subscription.statementsForEndpointOwner.length).toBeGreaterThan(0);
        }
        break;
      }
      case 'addQueueSubscriber': {
        const queue = subscriberQueue(stack, call.queue, n);
        const subscription = fanOut.addQueueSubscriber(call.id, queue, {
          rawMessageDelivery: call.rawMessageDelivery as boolean | undefined,
          deadLetterQueue: deadLetterQueueOf(stack, call.dlq, n),
          ...filterOf(call.filter),
        });
        expectations.push((template) => {
          const found = subscriptionsTo(template, stack.resolve(queue.queueArn));
          expect(found).toHaveLength(1);
          expectSubscriptionAsAsked(found[0], {
            protocol: 'sqs',
            rawMessageDelivery: call.rawMessageDelivery,
            filter: call.filter,
          });
        });
        if (
          ['appQueueImportedKey', 'imported', 'importedWithKey', 'importedOtherAccount', 'importedToken'].includes(
            call.queue,
          )
        ) {
          expect(subscription.statementsForEndpointOwner.length).toBeGreaterThan(0);
        }
        break;
      }
      case 'addHttpsSubscriber': {
        fanOut.addHttpsSubscriber(call.id, call.url, {
          deliveryPolicy: deliveryPolicyOf(call.deliveryPolicy),
          rawMessageDelivery: call.rawMessageDelivery as boolean | undefined,
          deadLetterQueue: deadLetterQueueOf(stack, call.dlq, n),
          ...filterOf(call.filter),
        });
        expectations.push((template) => {
          const found = subscriptionsTo(template, Token.isUnresolved(call.url) ? TOKEN_URL : call.url);
          expect(found).toHaveLength(1);
          expectSubscriptionAsAsked(found[0], {
            protocol: 'https',
            rawMessageDelivery: call.rawMessageDelivery,
            filter: call.filter,
          });
          expectDeliveryPolicyAsAsked(found[0].Properties.DeliveryPolicy, call.deliveryPolicy);
        });
        break;
      }
      case 'addLambdaSubscriber': {
        const fn = functionOf(stack, call.fn, n);
        const subscription = fanOut.addLambdaSubscriber(call.id, fn, filterOf(call.filter));
        expectations.push((template) => {
          const found = subscriptionsTo(template, fn.functionArn);
          expect(found).toHaveLength(1);
          expectSubscriptionAsAsked(found[0], { protocol: 'lambda', filter: call.filter });
          const permissions = resourcesOf(template, 'AWS::Lambda::Permission').filter(
            ([, r]) => r.Properties.FunctionName === fn.functionArn,
          );
          // Either the permission is in the template, or the function's owner gets the statement to add.
          expect(permissions.length + subscription.statementsForEndpointOwner.length).toBeGreaterThan(0);
        });
        break;
      }
      case 'addEmailSubscriber': {
        fanOut.addEmailSubscriber(call.id, call.address);
        expectations.push((template) => {
          const found = subscriptionsTo(template, Token.isUnresolved(call.address) ? TOKEN_EMAIL : call.address);
          expect(found).toHaveLength(1);
          expectSubscriptionAsAsked(found[0], { protocol: 'email' });
        });
        break;
      }
      case 'addSmsSubscriber': {
        fanOut.addSmsSubscriber(call.id, call.phoneNumber);
        expectations.push((template) => {
          const found = subscriptionsTo(
            template,
            Token.isUnresolved(call.phoneNumber) ? TOKEN_PHONE : call.phoneNumber,
          );
          expect(found).toHaveLength(1);
          expectSubscriptionAsAsked(found[0], { protocol: 'sms' });
        });
        break;
      }
      case 'addSubscription': {
        if (call.kind === 'sqs') {
          const queue = subscriberQueue(stack, n % 2 === 0 ? 'appQueue' : 'importedWithKey', n);
          fanOut.addSubscription(new subscriptions.SqsSubscription(queue));
          expectations.push((template) =>
            expect(subscriptionsTo(template, stack.resolve(queue.queueArn))).toHaveLength(1),
          );
        } else {
          // aws-cdk-lib's own subscriber classes take strings only (their constructors are not ours to test).
          // aws-cdk-lib's UrlSubscription refuses, in its constructor, what is not an http(s) string.
          const acceptable =
            typeof call.endpoint === 'string' &&
            (Token.isUnresolved(call.endpoint) || call.kind === 'email' || /^https?:\/\//.test(call.endpoint));
          const endpoint = acceptable ? call.endpoint : 'https://hooks.example.com/other';
          const subscriber =
            call.kind === 'url'
              ? new subscriptions.UrlSubscription(endpoint, {
                  protocol: Token.isUnresolved(endpoint) ? sns.SubscriptionProtocol.HTTPS : undefined,
                })
              : new subscriptions.EmailSubscription(endpoint);
          fanOut.addSubscription(subscriber);
          const token = call.kind === 'url' ? TOKEN_URL : TOKEN_EMAIL;
          expectations.push((template) =>
            expect(subscriptionsTo(template, Token.isUnresolved(endpoint) ? token : endpoint)).toHaveLength(1),
          );
        }
        break;
      }
      case 'allowServicePublish': {
        const notAdded = fanOut.allowServicePublish(call.servicePrincipal, call.sourceArn, call.sourceAccount);
        const managed = !topic || c.topic === 'app' || c.topic === 'appFifo';
        expectations.push((template) => {
          if (managed) {
            const principal = Token.isUnresolved(call.servicePrincipal) ? 's3.amazonaws.com' : call.servicePrincipal;
            const statements = resourcesOf(template, 'AWS::SNS::TopicPolicy').flatMap(
              ([, r]) => r.Properties.PolicyDocument.Statement,
            );
            expect(statements.some((s: any) => s.Principal?.Service === principal && s.Action === 'sns:Publish')).toBe(
              true,
            );
          } else {
            expect(notAdded.length).toBeGreaterThan(0);
          }
        });
        break;
      }
      case 'allowAccountPublish': {
        const notAdded = fanOut.allowAccountPublish(call.accountId);
        const managed = !topic || c.topic === 'app' || c.topic === 'appFifo';
        expectations.push((template) => {
          if (managed) {
            const statements = resourcesOf(template, 'AWS::SNS::TopicPolicy').flatMap(
              ([, r]) => r.Properties.PolicyDocument.Statement,
            );
            expect(
              statements.some((s: any) => s.Action === 'sns:Publish' && JSON.stringify(s.Principal).includes('root')),
            ).toBe(true);
          } else {
            expect(notAdded.length).toBeGreaterThan(0);
          }
        });
        break;
      }
      case 'applyRemovalPolicy': {
        fanOut.applyRemovalPolicy(call.policy);
        break;
      }
      case 'grantPublish': {
        const grantee =
          call.grantee === 'role'
            ? new iam.Role(stack, `Publisher${n}`, { assumedBy: new iam.AccountRootPrincipal() })
            : call.grantee === 'service'
              ? new iam.ServicePrincipal('events.amazonaws.com')
              : call.grantee === 'account'
                ? new iam.AccountPrincipal('111122223333')
                : ('arn:aws:iam::123456789012:role/publisher' as unknown as iam.IGrantable);
        const grant = fanOut.grantPublish(grantee);
        const importedTopicOrKey =
          ['imported', 'importedFifo', 'importedOtherRegion', 'token'].includes(c.topic) || c.key === 'imported';
        if (call.grantee !== 'role' && importedTopicOrKey) {
          // What could not be added is never dropped: it is in the grant and in a warning.
          expect(grant.resourceStatements.length).toBeGreaterThan(0);
          expect(
            fanOut.node.metadata.some(
              (m) => m.type === 'aws:cdk:warning' && /grantPolicyNotManaged/.test(String(m.data)),
            ),
          ).toBe(true);
        }
        break;
      }
    }
  });
  return { app, stack, fanOut, expectations };
}

// ---------------------------------------------------------------------------------------------------------------
// Checking what was asked

function resourcesOf(template: any, type: string): Array<[string, any]> {
  return Object.entries<any>(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

function subscriptionsTo(template: any, endpoint: unknown): any[] {
  const wanted = JSON.stringify(endpoint);
  return resourcesOf(template, 'AWS::SNS::Subscription')
    .map(([, r]) => r)
    .filter((r) => JSON.stringify(r.Properties.Endpoint) === wanted);
}

function expectSubscriptionAsAsked(
  subscription: any,
  asked: { protocol: string; rawMessageDelivery?: unknown; filter?: FilterChoice },
): void {
  const properties = subscription.Properties;
  expect(properties.Protocol).toBe(asked.protocol);
  // Every subscriber has a dead-letter queue: its own or the shared one.
  expect(properties.RedrivePolicy?.deadLetterTargetArn).toBeDefined();
  expect(properties.RawMessageDelivery === true).toBe(asked.rawMessageDelivery === true);
  const filter = asked.filter ?? { kind: 'none' };
  if (filter.kind === 'attributes') {
    expect(Object.keys(properties.FilterPolicy)).toHaveLength(filter.keys);
    expect(properties.FilterPolicyScope).toBeUndefined();
  } else if (filter.kind === 'body') {
    expect(Object.keys(properties.FilterPolicy)).toHaveLength(filter.keys);
    expect(properties.FilterPolicyScope).toBe('MessageBody');
  } else if (filter.kind === 'numeric') {
    expect(properties.FilterPolicy).toEqual({ total: [{ numeric: ['>', filter.value] }] });
  } else {
    expect(properties.FilterPolicy).toBeUndefined();
  }
}

function expectDeliveryPolicyAsAsked(rendered: any, spec: DeliveryPolicySpec | undefined): void {
  expect(rendered).toBeDefined();
  const value = (v: number | undefined) => (v !== undefined && Token.isUnresolved(v) ? 7 : v);
  const seconds = (d: DeliveryPolicySpec['minDelayTarget']) =>
    d === undefined ? undefined : d.isUnresolved() ? 24 : d.toSeconds();
  if (spec === undefined) {
    // The fan-out's default retry policy.
    expect(rendered.healthyRetryPolicy.numRetries).toBe(12);
    return;
  }
  const retry = rendered.healthyRetryPolicy;
  const asked = [
    spec.numRetries,
    spec.numNoDelayRetries,
    spec.numMinDelayRetries,
    spec.numMaxDelayRetries,
    spec.minDelayTarget,
    spec.maxDelayTarget,
    spec.backoffFunction,
  ];
  if (asked.some((v) => v !== undefined)) {
    for (const name of ['numRetries', 'numNoDelayRetries', 'numMinDelayRetries', 'numMaxDelayRetries'] as const) {
      if (spec[name] !== undefined) {
        expect([name, retry[name]]).toEqual([name, value(spec[name])]);
      }
    }
    if (spec.minDelayTarget !== undefined) {
      expect(retry.minDelayTarget).toBe(seconds(spec.minDelayTarget));
    }
    if (spec.maxDelayTarget !== undefined) {
      expect(retry.maxDelayTarget).toBe(seconds(spec.maxDelayTarget));
    }
    if (spec.backoffFunction !== undefined) {
      expect(retry.backoffFunction).toBe(spec.backoffFunction);
    }
  }
  if (spec.maxReceivesPerSecond !== undefined) {
    expect(rendered.throttlePolicy.maxReceivesPerSecond).toBe(value(spec.maxReceivesPerSecond));
  }
  if (spec.headerContentType !== undefined) {
    expect(rendered.requestPolicy.headerContentType).toBe(
      Token.isUnresolved(spec.headerContentType) ? 'application/json' : spec.headerContentType,
    );
  }
}

/** No message the library writes (errors, warnings) shows an unresolved token. */
function expectNoTokenInAnnotations(stack: Stack): void {
  for (const construct of stack.node.findAll()) {
    for (const entry of construct.node.metadata) {
      const annotation = ['aws:cdk:warning', 'aws:cdk:error', 'aws:cdk:info'].includes(entry.type);
      if (annotation && typeof entry.data === 'string' && /\$\{Token\[/.test(entry.data)) {
        throw new Error(`an annotation of ${construct.node.path} shows an unresolved token: ${entry.data}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

const NUM_RUNS = 300;

/** One case: a library error, or a template that holds what was asked (collected for cfn-lint). */
function checkCase(c: FanOutCase, batch: TemplateBatch, counts: { errors: number; built: number }): void {
  const outcome = attempt(() => {
    const built = build(c);
    const assembly = built.app.synth();
    return { built, templates: assembly.stacks.map((artifact) => artifact.template) };
  });
  if (outcome.kind === 'error') {
    counts.errors++;
    if (process.env.DEBUG_ERRORS) {
      // eslint-disable-next-line no-console
      console.log(`ERR ${outcome.error.message.replace(/, got .*$/s, '').slice(0, 140)}`);
    }
    expectLibraryError(outcome.error, [FAN_OUT_PATH], propsSet(c));
    return;
  }
  counts.built++;
  const { built, templates } = outcome.value;
  // A subscriber of another stack subscribes there: what was asked is looked for in every stack.
  const template = { Resources: Object.assign({}, ...templates.map((t: any) => t.Resources ?? {})) };
  for (const expectation of built.expectations) {
    expectation(template);
  }
  for (const stack of built.app.node.children.filter(Stack.isStack)) {
    expectNoTokenInAnnotations(stack);
  }
  templates.forEach((t) => batch.add(t, 'topic-fan-out'));
}

describe('TopicFanOut, property-based', () => {
  test('every generated fan-out ends in a library error or in a template that holds what was asked', async () => {
    const batch = new TemplateBatch();
    const counts = { errors: 0, built: 0 };
    if (process.env.COUNT_FAILURES) {
      // Counts the failing cases among the same generated ones instead of stopping at the first.
      const failures: string[] = [];
      for (const c of fc.sample(fanOutCases, { seed: PROPERTY_SEED, numRuns: NUM_RUNS })) {
        try {
          checkCase(c, batch, counts);
        } catch (error) {
          failures.push((error as Error).message.split('\n').slice(0, 3).join(' | '));
        }
      }
      const lint = await batch.expectCfnLintClean().then(
        () => 'clean',
        (error) => (error as Error).message,
      );
      // eslint-disable-next-line no-console
      console.log(`FAILURES ${failures.length} of ${NUM_RUNS}\n${failures.join('\n')}\nCFN-LINT ${lint}`);
      return;
    }
    await fc.assert(
      fc.asyncProperty(fanOutCases, async (c) => checkCase(c, batch, counts)),
      propertyParameters(NUM_RUNS),
    );
    reportCases('TopicFanOut', counts);
    await batch.expectCfnLintClean();
  }, 300_000);
});
