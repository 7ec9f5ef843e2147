import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { logicalId, strictStack } from '../harness/app';
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
