import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ENV_MATRIX, logicalId, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { FanOutSubscription } from '../src/fan-out-subscription';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

// FanOutSubscription on its own, as a caller who builds one without a TopicFanOut would.
function fixture(fifo = false) {
  const stack = strictStack();
  const topic = new sns.Topic(stack, 'Topic', {
    fifo: fifo || undefined,
    masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }),
    enforceSSL: true,
  });
  const deadLetterQueue = new WorkQueue(stack, 'Undeliverable', {
    fifo,
    encryption: WorkQueueEncryption.KMS,
    retentionPeriod: Duration.days(7),
  });
  return { stack, topic, deadLetterQueue };
}

describe('FanOutSubscription', () => {
  test('subscribes the endpoint, redrives to its dead-letter queue, lets only this topic use that queue and its key, and alarms', () => {
    const { stack, topic, deadLetterQueue } = fixture();
    const subscription = new FanOutSubscription(stack, 'Hooks', {
      topic,
      protocol: sns.SubscriptionProtocol.HTTPS,
      endpoint: 'https://hooks.example.com',
      deadLetterQueue,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      TopicArn: { Ref: logicalId(topic) },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(deadLetterQueue.queue), 'Arn'] } },
      // The default retry policy of HTTP/S subscribers.
      DeliveryPolicy: { healthyRetryPolicy: Match.objectLike({ numRetries: 12, backoffFunction: 'EXPONENTIAL' }) },
    });
    const sourceArn = { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(topic) } } };
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(deadLetterQueue.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: Match.anyValue(),
            Condition: sourceArn,
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the queues of Stack/Undeliverable',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Condition: sourceArn,
          }),
        ]),
      },
    });
    const [cfnSubscription] = Object.values(template.findResources('AWS::SNS::Subscription'));
    expect(cfnSubscription.DependsOn).toEqual(
      expect.arrayContaining([logicalId(deadLetterQueue.encryptionKey as kms.Key)]),
    );
    expect(subscription.alarms.map((alarm) => alarm.node.path)).toEqual(['Stack/Hooks/DeadLetterQueueNotEmptyAlarm']);
    expect(subscription.statementsForEndpointOwner).toEqual([]);
    expect(subscription.statementsForDeadLetterQueueOwner).toEqual([]);
    expectCompliant(stack);
  });

  test('deadLetterQueueAlarm false: no alarm, for a queue watched elsewhere', () => {
    const { stack, topic, deadLetterQueue } = fixture();
    const subscription = new FanOutSubscription(stack, 'Ops', {
      topic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: 'ops@example.com',
      deadLetterQueue,
      deadLetterQueueAlarm: false,
    });
    expect(subscription.alarms).toEqual([]);
    expect(subscription.deadLetterQueueNotEmptyAlarm).toBeUndefined();
    // No delivery policy outside HTTP/S.
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', { DeliveryPolicy: Match.absent() });
  });

  test('an imported dead-letter queue: the statements its owner must add', () => {
    const { stack, topic } = fixture();
    const subscription = new FanOutSubscription(stack, 'Ops', {
      topic,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: 'ops@example.com',
      deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Imported', 'arn:aws:sqs:us-east-1:123456789012:undeliverable'),
    });
    expect(stack.resolve(subscription.statementsForDeadLetterQueueOwner.map((s) => s.toStatementJson()))).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: 'arn:aws:sqs:us-east-1:123456789012:undeliverable',
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(topic) } } },
      },
    ]);
  });

  test.each<[string, (f: ReturnType<typeof fixture>) => void, RegExp]>([
    [
      'a standard dead-letter queue behind a FIFO topic',
      ({ stack }) => {
        const { topic } = fixture(true);
        new FanOutSubscription(stack, 'Sub', {
          topic,
          protocol: sns.SubscriptionProtocol.SQS,
          endpoint: 'arn:aws:sqs:us-east-1:123456789012:q.fifo',
          deadLetterQueue: new WorkQueue(stack, 'Standard'),
        });
      },
      /^\[Stack\/Sub\] deadLetterQueue must be a FIFO queue behind a FIFO topic/,
    ],
    [
      "a dead-letter queue under the topic's key",
      ({ stack, topic }) =>
        new FanOutSubscription(stack, 'Sub', {
          topic,
          protocol: sns.SubscriptionProtocol.EMAIL,
          endpoint: 'ops@example.com',
          deadLetterQueue: new WorkQueue(stack, 'SameKey', { encryptionKey: topic.masterKey }),
        }),
      /^\[Stack\/Sub\] deadLetterQueue must not be encrypted with the topic's encryptionKey/,
    ],
    [
      'a filter policy with six keys',
      ({ stack, topic, deadLetterQueue }) =>
        new FanOutSubscription(stack, 'Sub', {
          topic,
          protocol: sns.SubscriptionProtocol.EMAIL,
          endpoint: 'ops@example.com',
          deadLetterQueue,
          filterPolicy: Object.fromEntries(
            ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, sns.SubscriptionFilter.existsFilter()]),
          ),
        }),
      /^\[Stack\/Sub\] filterPolicy may have at most 5 top-level keys \(an SNS limit\), got "6 keys \(a, b, c, d, e, f\)"$/,
    ],
    [
      'a delivery policy of more than 100 retries',
      ({ stack, topic, deadLetterQueue }) =>
        new FanOutSubscription(stack, 'Sub', {
          topic,
          protocol: sns.SubscriptionProtocol.HTTPS,
          endpoint: 'https://hooks.example.com',
          deadLetterQueue,
          deliveryPolicy: { healthyRetryPolicy: { numRetries: 101 } },
        }),
      /^\[Stack\/Sub\] deliveryPolicy\.healthyRetryPolicy\.numRetries must be an integer between 0 and 100, got 101$/,
    ],
  ])('refuses %s', (_name, build, message) => {
    expect(() => build(fixture())).toThrow(message);
  });
});

describe.each(ENV_MATRIX)('FanOutSubscription %s', (_name, makeStack) => {
  function subscribe(stack: Stack, protocol: sns.SubscriptionProtocol, endpoint: string, extra: object = {}) {
    const topic = new sns.Topic(stack, 'Topic', {
      masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }),
      enforceSSL: true,
    });
    const deadLetterQueue = new WorkQueue(stack, 'Undeliverable', { encryption: WorkQueueEncryption.KMS });
    return new FanOutSubscription(stack, 'Sub', { topic, protocol, endpoint, deadLetterQueue, ...extra });
  }

  test('with default props synthesizes strictly and passes every pack', () => {
    const stack = makeStack();
    subscribe(stack, sns.SubscriptionProtocol.EMAIL, 'ops@example.com');
    expectCompliant(stack);
  });

  test('with every feature on synthesizes strictly and passes every pack', () => {
    const stack = makeStack();
    subscribe(stack, sns.SubscriptionProtocol.HTTPS, 'https://hooks.example.com', {
      rawMessageDelivery: true,
      filterPolicy: { size: sns.SubscriptionFilter.stringFilter({ allowlist: ['large'] }) },
      deliveryPolicy: {
        healthyRetryPolicy: {
          numRetries: 5,
          minDelayTarget: Duration.seconds(5),
          maxDelayTarget: Duration.seconds(60),
        },
        throttlePolicy: { maxReceivesPerSecond: 10 },
        requestPolicy: { headerContentType: 'application/json' },
      },
    });
    expectCompliant(stack);
  });
});

describe('FanOutSubscription refuses what SNS refuses for a protocol, naming path, prop and value', () => {
  function props(over: Record<string, unknown>) {
    const { stack, topic, deadLetterQueue } = fixture();
    return {
      stack,
      build: () =>
        new FanOutSubscription(stack, 'Sub', {
          topic,
          protocol: sns.SubscriptionProtocol.HTTPS,
          endpoint: 'https://hooks.example.com',
          deadLetterQueue,
          ...over,
        } as any),
    };
  }

  test.each<[string, Record<string, unknown>, RegExp]>([
    [
      'a protocol that is not one (JavaScript)',
      { protocol: 'webhook' },
      /^\[Stack\/Sub\] protocol must be one of SubscriptionProtocol\.HTTP, .*, got "webhook"$/,
    ],
    [
      'no protocol (JavaScript)',
      { protocol: undefined },
      /^\[Stack\/Sub\] protocol must be given \(a SubscriptionProtocol\), got undefined$/,
    ],
    [
      'Firehose, which needs a subscription role these props do not take',
      {
        protocol: sns.SubscriptionProtocol.FIREHOSE,
        endpoint: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/d',
      },
      /^\[Stack\/Sub\] protocol must not be FIREHOSE here \(a Firehose subscription needs a subscription role\): subscribe aws-cdk-lib's FirehoseSubscription with TopicFanOut\.addSubscription, got "firehose"$/,
    ],
    [
      'an https endpoint that is not a URL',
      { endpoint: 'hooks.example.com' },
      /^\[Stack\/Sub\] endpoint must be an https:\/\/ URL with a host \(SNS would send plain-text HTTP\), got "hooks\.example\.com"$/,
    ],
    [
      'an http endpoint that is not an http URL',
      { protocol: sns.SubscriptionProtocol.HTTP, endpoint: 'https://hooks.example.com' },
      /^\[Stack\/Sub\] endpoint must be an http:\/\/ URL for the HTTP protocol, got "https:\/\/hooks\.example\.com"$/,
    ],
    [
      'an SQS endpoint that is not an ARN',
      { protocol: sns.SubscriptionProtocol.SQS, endpoint: 'orders' },
      /^\[Stack\/Sub\] endpoint must be the ARN of an SQS queue, got "orders"$/,
    ],
    [
      'an SMS endpoint not in E.164',
      { protocol: sns.SubscriptionProtocol.SMS, endpoint: '555-0100' },
      /^\[Stack\/Sub\] endpoint must be in E\.164 format.*, got "555-0100"$/,
    ],
    [
      'an email-json endpoint that is no address',
      { protocol: sns.SubscriptionProtocol.EMAIL_JSON, endpoint: 'ops' },
      /^\[Stack\/Sub\] endpoint must be an email address.*, got "ops"$/,
    ],
    [
      'raw delivery to email',
      { protocol: sns.SubscriptionProtocol.EMAIL, endpoint: 'ops@example.com', rawMessageDelivery: true },
      /^\[Stack\/Sub\] rawMessageDelivery may be true only for the sqs, http, https or firehose protocols \(SNS delivers the envelope to every other protocol\), not email, got true$/,
    ],
    [
      'a delivery policy for Lambda',
      {
        protocol: sns.SubscriptionProtocol.LAMBDA,
        endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:f',
        deliveryPolicy: { throttlePolicy: { maxReceivesPerSecond: 1 } },
      },
      /^\[Stack\/Sub\] deliveryPolicy may be given only for the http and https protocols \(SNS's own policy applies to every other\), not lambda, got a DeliveryPolicy$/,
    ],
    [
      'no dead-letter queue (JavaScript)',
      { deadLetterQueue: undefined },
      /^\[Stack\/Sub\] deadLetterQueue must be given \(an sqs\.IQueue SNS moves undeliverable messages to\), got undefined$/,
    ],
    [
      'deadLetterQueueAlarm given as a string (JavaScript)',
      { deadLetterQueueAlarm: 'false' },
      /^\[Stack\/Sub\] deadLetterQueueAlarm must be true or false, got "false"$/,
    ],
    [
      'a topic that is an ARN string (JavaScript)',
      { topic: 'arn:aws:sns:us-east-1:123456789012:t' },
      /^\[Stack\/Sub\] topic must be an sns\.ITopic .*, got "arn:aws:sns:us-east-1:123456789012:t"$/,
    ],
  ])('refuses %s', (_name, over, message) => {
    expect(props(over).build).toThrow(message);
  });

  test('a FIFO topic delivers only to SQS', () => {
    const { stack, topic, deadLetterQueue } = fixture(true);
    expect(
      () =>
        new FanOutSubscription(stack, 'Sub', {
          topic,
          protocol: sns.SubscriptionProtocol.EMAIL,
          endpoint: 'ops@example.com',
          deadLetterQueue,
        }),
    ).toThrow(
      /^\[Stack\/Sub\] protocol must be SQS behind a FIFO topic \(SNS FIFO topics deliver only to SQS queues\), got "email"$/,
    );
  });

  test('a topic of another Region: the subscription is made there, and its dead-letter queue must be there too', () => {
    const stack = strictStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Far', 'arn:aws:sns:eu-west-1:123456789012:orders');
    new FanOutSubscription(stack, 'Sub', {
      topic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: 'arn:aws:sqs:us-east-1:123456789012:orders',
      deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Dlq', 'arn:aws:sqs:eu-west-1:123456789012:undeliverable'),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', { Region: 'eu-west-1' });
  });

  test('the default HTTPS retry policy is rendered exactly as aws-cdk-lib renders a delivery policy', () => {
    const { stack, topic, deadLetterQueue } = fixture();
    new FanOutSubscription(stack, 'Sub', {
      topic,
      protocol: sns.SubscriptionProtocol.HTTPS,
      endpoint: 'https://hooks.example.com',
      deadLetterQueue,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      DeliveryPolicy: {
        healthyRetryPolicy: {
          minDelayTarget: 10,
          maxDelayTarget: 300,
          numRetries: 12,
          numNoDelayRetries: 0,
          numMinDelayRetries: 2,
          numMaxDelayRetries: 2,
          backoffFunction: 'EXPONENTIAL',
        },
      },
    });
  });
});
