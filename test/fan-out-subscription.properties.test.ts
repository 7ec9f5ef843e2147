import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as fc from 'fast-check';
import { strictApp } from '../harness/app';
import {
  attempt,
  durationAround,
  enumOrForeign,
  expectLibraryError,
  numberAround,
  numberToken,
  PROPERTY_SEED,
  propertyParameters,
  reportCases,
  stringToken,
  TemplateBatch,
} from '../harness/properties';
import { FanOutSubscription } from '../src/fan-out-subscription';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

/**
 * FanOutSubscription's props, generated inside, at and beyond every limit: every protocol (and strings
 * that are none), endpoints of the right and the wrong kind, tokens, raw delivery and delivery policies
 * where the protocol takes them and where it does not, NaN, Infinity and out-of-range numbers and
 * Durations, filter policies beyond SNS's limits, dead-letter queues SNS could or could not use, FIFO and
 * standard topics, topics of another Region. Each case ends in a library error naming the path and what it
 * set, or in a template that the strict validator and cfn-lint accept and that holds what was asked.
 */

const ENV = { account: '123456789012', region: 'us-east-1' };
const PATH = 'Stack/Sub';
const NUM_RUNS = 250;

type TopicChoice = 'standard' | 'fifo' | 'imported' | 'importedOtherRegion' | 'token' | 'notATopic' | 'none';
type DlqChoice =
  | 'workQueue'
  | 'fifoWorkQueue'
  | 'imported'
  | 'importedWithKey'
  | 'importedOtherRegion'
  | 'otherAccount'
  | 'kmsManaged'
  | 'sameKeyAsTopic'
  | 'notAQueue'
  | 'none';

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

interface SubscriptionCase {
  readonly envAgnostic: boolean;
  readonly topic: TopicChoice;
  readonly protocol?: sns.SubscriptionProtocol;
  readonly endpoint: string;
  readonly matchingEndpoint: boolean;
  readonly rawMessageDelivery?: unknown;
  readonly deliveryPolicy?: DeliveryPolicySpec;
  /** Whether the delivery policy is given also for a protocol other than HTTP/S (SNS takes none there). */
  readonly policyOnAnyProtocol: boolean;
  readonly filter: 'none' | 'attributes' | 'tooManyKeys' | 'tooManyValues' | 'body' | 'both' | 'numericNaN' | 'empty';
  readonly dlq: DlqChoice;
  readonly deadLetterQueueAlarm?: unknown;
  readonly alarmTopic: 'none' | 'given' | 'string';
}

const TOKEN_ENDPOINT = 'deploy-time-endpoint';

/** Endpoints of every kind, so that each protocol meets its own kind and the others'. */
const endpoints = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'https://hooks.example.com/orders',
      'http://hooks.example.com/orders',
      'ops@example.com',
      '+14155550100',
      'arn:aws:sqs:us-east-1:123456789012:orders',
      'arn:aws:lambda:us-east-1:123456789012:function:audit',
      'arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/0000',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('', 'not an endpoint', 'ftp://x.example.com', 42 as unknown as string) },
  { weight: 1, arbitrary: fc.constant(null).map(() => stringToken(TOKEN_ENDPOINT)) },
);

const booleanish: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 16, arbitrary: fc.constantFrom(undefined, true, false) },
  { weight: 1, arbitrary: fc.constantFrom('true', 'false', 1) },
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
    maxReceivesPerSecond: numberAround([1, 2_147_483_647]),
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

const subscriptionCases: fc.Arbitrary<SubscriptionCase> = fc.record(
  {
    envAgnostic: fc.boolean(),
    topic: fc.oneof(
      {
        weight: 6,
        arbitrary: fc.constantFrom<TopicChoice>('standard', 'standard', 'standard', 'fifo', 'imported', 'token'),
      },
      { weight: 1, arbitrary: fc.constantFrom<TopicChoice>('importedOtherRegion', 'notATopic', 'none') },
    ),
    protocol: fc.oneof(
      {
        weight: 16,
        arbitrary: fc.constantFrom(
          ...Object.values(sns.SubscriptionProtocol).filter((p) => p !== sns.SubscriptionProtocol.FIREHOSE),
          sns.SubscriptionProtocol.HTTPS,
          sns.SubscriptionProtocol.SQS,
          sns.SubscriptionProtocol.EMAIL,
        ),
      },
      { weight: 1, arbitrary: fc.constant(sns.SubscriptionProtocol.FIREHOSE) },
      { weight: 2, arbitrary: enumOrForeign(Object.values(sns.SubscriptionProtocol), ['HTTPS', 'webhook']) },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    endpoint: endpoints,
    matchingEndpoint: fc.oneof(
      { weight: 3, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
    rawMessageDelivery: booleanish,
    deliveryPolicy: deliveryPolicies,
    policyOnAnyProtocol: fc.oneof(
      { weight: 1, arbitrary: fc.constant(true) },
      { weight: 5, arbitrary: fc.constant(false) },
    ),
    filter: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom<SubscriptionCase['filter']>('none', 'none', 'attributes', 'body') },
      {
        weight: 1,
        arbitrary: fc.constantFrom<SubscriptionCase['filter']>(
          'tooManyKeys',
          'tooManyValues',
          'both',
          'numericNaN',
          'empty',
        ),
      },
    ),
    dlq: fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom<DlqChoice>('workQueue', 'fifoWorkQueue', 'imported', 'importedWithKey') },
      {
        weight: 1,
        arbitrary: fc.constantFrom<DlqChoice>(
          'importedOtherRegion',
          'otherAccount',
          'kmsManaged',
          'sameKeyAsTopic',
          'notAQueue',
          'none',
        ),
      },
    ),
    deadLetterQueueAlarm: booleanish,
    alarmTopic: fc.oneof(
      { weight: 16, arbitrary: fc.constantFrom<'none' | 'given'>('none', 'given') },
      { weight: 1, arbitrary: fc.constant<'string'>('string') },
    ),
  },
  {
    requiredKeys: [
      'envAgnostic',
      'topic',
      'protocol',
      'endpoint',
      'matchingEndpoint',
      'rawMessageDelivery',
      'deliveryPolicy',
      'policyOnAnyProtocol',
      'filter',
      'dlq',
      'deadLetterQueueAlarm',
      'alarmTopic',
    ],
  },
);

/** The endpoint of the kind each protocol takes. */
const ENDPOINT_OF: Record<string, string> = {
  http: 'http://hooks.example.com/orders',
  https: 'https://hooks.example.com/orders',
  email: 'ops@example.com',
  'email-json': 'ops@example.com',
  sms: '+14155550100',
  sqs: 'arn:aws:sqs:us-east-1:123456789012:orders',
  lambda: 'arn:aws:lambda:us-east-1:123456789012:function:audit',
  application: 'arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/0000',
  firehose: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/orders',
};

/** Mostly the endpoint of the protocol's kind, else the one generated (of any kind, or none). */
function endpointOf(c: SubscriptionCase): string {
  return c.matchingEndpoint && typeof c.protocol === 'string' && ENDPOINT_OF[c.protocol]
    ? ENDPOINT_OF[c.protocol]
    : c.endpoint;
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
  return {
    healthyRetryPolicy: Object.values(retry).some((v) => v !== undefined) ? retry : undefined,
    throttlePolicy:
      spec.maxReceivesPerSecond !== undefined ? { maxReceivesPerSecond: spec.maxReceivesPerSecond } : undefined,
    requestPolicy: spec.headerContentType !== undefined ? { headerContentType: spec.headerContentType } : undefined,
  };
}

/** The delivery policy a case gives: mostly only to HTTP/S subscriptions. */
function deliveryPolicySpecOf(c: SubscriptionCase): DeliveryPolicySpec | undefined {
  return c.protocol === 'http' || c.protocol === 'https' || c.policyOnAnyProtocol ? c.deliveryPolicy : undefined;
}

function filterOf(filter: SubscriptionCase['filter']): Record<string, unknown> {
  const allow = (count: number) =>
    sns.SubscriptionFilter.stringFilter({ allowlist: Array.from({ length: count }, (_, i) => `v${i}`) });
  switch (filter) {
    case 'attributes':
      return { filterPolicy: { size: allow(3), region: allow(2) } };
    case 'tooManyKeys':
      return { filterPolicy: Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, allow(1)])) };
    case 'tooManyValues':
      return { filterPolicy: { size: allow(151) } };
    case 'body':
      return {
        filterPolicyWithMessageBody: {
          order: sns.FilterOrPolicy.policy({ size: sns.FilterOrPolicy.filter(allow(5)) }),
        },
      };
    case 'both':
      return {
        filterPolicy: { size: allow(1) },
        filterPolicyWithMessageBody: { size: sns.FilterOrPolicy.filter(allow(1)) },
      };
    case 'numericNaN':
      return { filterPolicy: { total: sns.SubscriptionFilter.numericFilter({ lessThan: NaN }) } };
    case 'empty':
      return { filterPolicy: {} };
    default:
      return {};
  }
}

interface Built {
  readonly stack: Stack;
  readonly subscription: FanOutSubscription;
  readonly deadLetterQueue: sqs.IQueue;
  readonly app: ReturnType<typeof strictApp>;
}

function build(c: SubscriptionCase): Built {
  const app = strictApp();
  const stack = c.envAgnostic ? new Stack(app, 'Stack') : new Stack(app, 'Stack', { env: ENV });
  const topicKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
  let topic: sns.ITopic;
  switch (c.topic) {
    case 'standard':
    case 'fifo':
      topic = new sns.Topic(stack, 'Topic', {
        fifo: c.topic === 'fifo' || undefined,
        masterKey: topicKey,
        enforceSSL: true,
      });
      break;
    case 'imported':
      topic = sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:us-east-1:123456789012:orders');
      break;
    case 'importedOtherRegion':
      topic = sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:123456789012:orders');
      break;
    case 'token':
      topic = sns.Topic.fromTopicArn(stack, 'Topic', stringToken('arn:aws:sns:us-east-1:123456789012:deploy-time'));
      break;
    case 'notATopic':
      topic = 'arn:aws:sns:us-east-1:123456789012:orders' as unknown as sns.ITopic;
      break;
    default:
      topic = undefined as unknown as sns.ITopic;
  }
  const fifo = c.topic === 'fifo';
  let deadLetterQueue: sqs.IQueue;
  switch (c.dlq) {
    case 'workQueue':
      deadLetterQueue = new WorkQueue(stack, 'Undeliverable', { encryption: WorkQueueEncryption.KMS, fifo });
      break;
    case 'fifoWorkQueue':
      deadLetterQueue = new WorkQueue(stack, 'Undeliverable', { fifo: !fifo });
      break;
    case 'imported':
      deadLetterQueue = sqs.Queue.fromQueueArn(
        stack,
        'Undeliverable',
        `arn:aws:sqs:us-east-1:123456789012:undeliverable${fifo ? '.fifo' : ''}`,
      );
      break;
    case 'importedWithKey':
      deadLetterQueue = sqs.Queue.fromQueueAttributes(stack, 'Undeliverable', {
        queueArn: `arn:aws:sqs:us-east-1:123456789012:keyed${fifo ? '.fifo' : ''}`,
        keyArn: 'arn:aws:kms:us-east-1:123456789012:key/55555555-aaaa-bbbb-cccc-dddddddddddd',
      });
      break;
    case 'importedOtherRegion':
      deadLetterQueue = sqs.Queue.fromQueueArn(
        stack,
        'Undeliverable',
        'arn:aws:sqs:eu-west-1:123456789012:undeliverable',
      );
      break;
    case 'otherAccount':
      deadLetterQueue = sqs.Queue.fromQueueArn(
        stack,
        'Undeliverable',
        'arn:aws:sqs:us-east-1:999999999999:undeliverable',
      );
      break;
    case 'kmsManaged':
      deadLetterQueue = new sqs.Queue(stack, 'Undeliverable', {
        encryption: sqs.QueueEncryption.KMS_MANAGED,
        enforceSSL: true,
      });
      break;
    case 'sameKeyAsTopic':
      deadLetterQueue = new WorkQueue(stack, 'Undeliverable', { encryptionKey: topicKey, fifo });
      break;
    case 'notAQueue':
      deadLetterQueue = 'arn:aws:sqs:us-east-1:123456789012:undeliverable' as unknown as sqs.IQueue;
      break;
    default:
      deadLetterQueue = undefined as unknown as sqs.IQueue;
  }
  const alarmTopic =
    c.alarmTopic === 'given'
      ? new sns.Topic(stack, 'Alarms', {
          masterKey: new kms.Key(stack, 'AlarmsKey', { enableKeyRotation: true }),
          enforceSSL: true,
        })
      : c.alarmTopic === 'string'
        ? ('arn:aws:sns:us-east-1:123456789012:alarms' as unknown as sns.ITopic)
        : undefined;
  const subscription = new FanOutSubscription(stack, 'Sub', {
    topic,
    protocol: c.protocol as sns.SubscriptionProtocol,
    endpoint: endpointOf(c),
    rawMessageDelivery: c.rawMessageDelivery as boolean | undefined,
    deliveryPolicy: deliveryPolicyOf(deliveryPolicySpecOf(c)),
    deadLetterQueue,
    deadLetterQueueAlarm: c.deadLetterQueueAlarm as boolean | undefined,
    alarmTopic,
    ...filterOf(c.filter),
  });
  return { app, stack, subscription, deadLetterQueue };
}

function propsSet(): string[] {
  return [
    'props',
    'topic',
    'protocol',
    'endpoint',
    'rawMessageDelivery',
    'deliveryPolicy',
    'filterPolicy',
    'filterPolicyWithMessageBody',
    'deadLetterQueue',
    'deadLetterQueueAlarm',
    'alarmTopic',
  ];
}

function expectAsAsked(c: SubscriptionCase, built: Built, template: any): void {
  const subscriptions = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::SNS::Subscription');
  expect(subscriptions).toHaveLength(1);
  const properties = subscriptions[0].Properties;
  expect(properties.Protocol).toBe(c.protocol);
  const endpoint = endpointOf(c);
  expect(properties.Endpoint).toEqual(Token.isUnresolved(endpoint) ? TOKEN_ENDPOINT : endpoint);
  expect(properties.RawMessageDelivery === true).toBe(c.rawMessageDelivery === true);
  expect(properties.RedrivePolicy.deadLetterTargetArn).toEqual(built.stack.resolve(built.deadLetterQueue.queueArn));
  if (['attributes', 'body'].includes(c.filter)) {
    expect(properties.FilterPolicy).toBeDefined();
    expect(properties.FilterPolicyScope).toBe(c.filter === 'body' ? 'MessageBody' : undefined);
  } else {
    expect(properties.FilterPolicy).toBeUndefined();
  }
  const isHttp = c.protocol === 'http' || c.protocol === 'https';
  if (!isHttp) {
    expect(properties.DeliveryPolicy).toBeUndefined();
  } else if (deliveryPolicySpecOf(c) === undefined) {
    expect(properties.DeliveryPolicy.healthyRetryPolicy.numRetries).toBe(12);
  } else {
    const spec = deliveryPolicySpecOf(c)!;
    const asNumber = (v: number | undefined) => (v !== undefined && Token.isUnresolved(v) ? 7 : v);
    const retry = properties.DeliveryPolicy.healthyRetryPolicy;
    for (const name of ['numRetries', 'numNoDelayRetries', 'numMinDelayRetries', 'numMaxDelayRetries'] as const) {
      if (spec[name] !== undefined) {
        expect([name, retry[name]]).toEqual([name, asNumber(spec[name])]);
      }
    }
    for (const name of ['minDelayTarget', 'maxDelayTarget'] as const) {
      const delay = spec[name];
      if (delay !== undefined) {
        expect([name, retry[name]]).toEqual([name, delay.isUnresolved() ? 24 : delay.toSeconds()]);
      }
    }
    if (spec.backoffFunction !== undefined) {
      expect(retry.backoffFunction).toBe(spec.backoffFunction);
    }
    if (spec.maxReceivesPerSecond !== undefined) {
      expect(properties.DeliveryPolicy.throttlePolicy.maxReceivesPerSecond).toBe(asNumber(spec.maxReceivesPerSecond));
    }
    if (spec.headerContentType !== undefined) {
      expect(properties.DeliveryPolicy.requestPolicy.headerContentType).toBe(
        Token.isUnresolved(spec.headerContentType) ? 'application/json' : spec.headerContentType,
      );
    }
  }
  const alarms = Object.values<any>(template.Resources).filter(
    (r) => r.Type === 'AWS::CloudWatch::Alarm' && /Stack\/Sub;/.test(r.Properties.AlarmDescription ?? ''),
  );
  expect(alarms).toHaveLength(c.deadLetterQueueAlarm === false ? 0 : 1);
  expect(built.subscription.alarms).toHaveLength(c.deadLetterQueueAlarm === false ? 0 : 1);
  if (c.dlq === 'imported' || c.dlq === 'importedWithKey') {
    // What this app could not add comes back, never dropped.
    expect(built.subscription.statementsForDeadLetterQueueOwner).toHaveLength(c.dlq === 'imported' ? 1 : 2);
  }
  for (const construct of built.stack.node.findAll()) {
    for (const entry of construct.node.metadata) {
      const annotation = ['aws:cdk:warning', 'aws:cdk:error', 'aws:cdk:info'].includes(entry.type);
      if (annotation && typeof entry.data === 'string' && /\$\{Token\[/.test(entry.data)) {
        throw new Error(`an annotation of ${construct.node.path} shows an unresolved token: ${entry.data}`);
      }
    }
  }
}

function checkCase(c: SubscriptionCase, batch: TemplateBatch, counts: { errors: number; built: number }): void {
  const outcome = attempt(() => {
    const built = build(c);
    const assembly = built.app.synth();
    return { built, template: assembly.getStackByName(built.stack.stackName).template };
  });
  if (outcome.kind === 'error') {
    counts.errors++;
    if (process.env.DEBUG_ERRORS) {
      // eslint-disable-next-line no-console
      console.log(`ERR ${outcome.error.message.replace(/, got .*$/s, '').slice(0, 140)}`);
    }
    expectLibraryError(outcome.error, [PATH], propsSet());
    return;
  }
  counts.built++;
  expectAsAsked(c, outcome.value.built, outcome.value.template);
  batch.add(outcome.value.template, 'fan-out-subscription');
}

describe('FanOutSubscription, property-based', () => {
  test('every generated subscription ends in a library error or in a template that holds what was asked', async () => {
    const batch = new TemplateBatch();
    const counts = { errors: 0, built: 0 };
    if (process.env.COUNT_FAILURES) {
      // Counts the failing cases among the same generated ones instead of stopping at the first.
      const failures: string[] = [];
      for (const c of fc.sample(subscriptionCases, { seed: PROPERTY_SEED, numRuns: NUM_RUNS })) {
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
      fc.asyncProperty(subscriptionCases, async (c) => checkCase(c, batch, counts)),
      propertyParameters(NUM_RUNS),
    );
    reportCases('FanOutSubscription', counts);
    await batch.expectCfnLintClean();
  }, 300_000);
});
