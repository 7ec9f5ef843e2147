import { App, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { logicalId, STRICT_VALIDATION_CONTEXT, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { TopicFanOut } from '../src/topic-fan-out';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

const LARGE_ORDERS = { size: sns.SubscriptionFilter.stringFilter({ allowlist: ['large'] }) };

/** The standard fan-out of the snapshot: three queues, one filtered, one raw. */
function standardFanOut(stack: Stack): TopicFanOut {
  const fanOut = new TopicFanOut(stack, 'Orders');
  fanOut.addQueue('Fulfilment');
  fanOut.addQueue('Billing', { rawMessageDelivery: true });
  fanOut.addQueue('Analytics', { filterPolicy: LARGE_ORDERS });
  return fanOut;
}

/** Every subscriber kind and publisher kind at once. */
function fullyFeaturedFanOut(stack: Stack): TopicFanOut {
  const fanOut = standardFanOut(stack);
  fanOut.addQueue('Audit', { encryption: WorkQueueEncryption.KMS, oldestMessageAgeAlarmThreshold: Duration.hours(1) });
  fanOut.subscribeQueue(sqs.Queue.fromQueueArn(stack, 'PartnerQueue', 'arn:aws:sqs:us-east-1:999999999999:partner'));
  fanOut.addHttpsSubscriber('https://hooks.example.com/orders', {
    deliveryPolicy: { throttlePolicy: { maxReceivesPerSecond: 10 } },
  });
  fanOut.addLambdaSubscriber(importedFunction(stack), {
    filterPolicyWithMessageBody: {
      total: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.numericFilter({ greaterThan: 1000 })),
    },
  });
  fanOut.addEmailSubscriber('orders@example.com');
  fanOut.addSmsSubscriber('+14155550100');
  fanOut.allowServicePublish('s3.amazonaws.com', 'arn:aws:s3:::order-uploads');
  fanOut.allowAccountPublish('111122223333');
  const publisher = new iam.Role(stack, 'Publisher', { assumedBy: new iam.AccountRootPrincipal() });
  fanOut.grantPublish(publisher);
  // The publisher role is the test's own, not the construct's: CDK's grant gives it an inline policy.
  for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
    Validations.of(publisher).acknowledge({ id: `${pack}-IAMNoInlinePolicy`, reason: "the test's publisher role" });
  }
  return fanOut;
}

function fifoFanOut(stack: Stack): TopicFanOut {
  const fanOut = new TopicFanOut(stack, 'Prices', { fifo: true, contentBasedDeduplication: true });
  fanOut.addQueue('Wholesale');
  fanOut.addQueue('Retail', { rawMessageDelivery: true });
  return fanOut;
}

function importedFunction(stack: Stack): lambda.IFunction {
  // Imported, so that only what the fan-out creates (the permission) is checked for compliance.
  return lambda.Function.fromFunctionAttributes(stack, 'Audit', {
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:audit',
    sameEnvironment: true,
  });
}

function subscriptionOf(template: Template, queue: WorkQueue) {
  const subscriptions = template.findResources('AWS::SNS::Subscription', {
    Properties: { Endpoint: { 'Fn::GetAtt': [logicalId(queue.queue), 'Arn'] } },
  });
  expect(Object.keys(subscriptions)).toHaveLength(1);
  return Object.values(subscriptions)[0];
}

describe('TopicFanOut defaults', () => {
  const stack = strictStack();
  const fanOut = new TopicFanOut(stack, 'Orders');
  const template = Template.fromStack(stack);

  test('the topic is standard and encrypted with a key of its own, with rotation', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(fanOut.masterKey as kms.Key), 'Arn'] },
      FifoTopic: Match.absent(),
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the topic of Stack/Orders',
      EnableKeyRotation: true,
    });
    expect(fanOut.fifo).toBe(false);
  });

  test('the topic denies publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(fanOut.topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  test('alarms on failed notifications, on redrives to a subscription DLQ and on failed redrives', () => {
    const expected: Array<[string, string]> = [
      ['NumberOfNotificationsFailed', 'NotificationsFailedAlarm'],
      ['NumberOfNotificationsRedrivenToDlq', 'NotificationsRedrivenToDeadLetterQueueAlarm'],
      ['NumberOfNotificationsFailedToRedriveToDlq', 'NotificationsFailedToRedriveToDeadLetterQueueAlarm'],
    ];
    const alarmTopic = { Ref: Match.stringLikeRegexp('DecouplingPatternsAlarmTopic') };
    for (const [metricName] of expected) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SNS',
        MetricName: metricName,
        Dimensions: [{ Name: 'TopicName', Value: { 'Fn::GetAtt': [logicalId(fanOut.topic), 'TopicName'] } }],
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [alarmTopic],
        OKActions: [alarmTopic],
      });
    }
    expect(fanOut.alarms.map((alarm) => alarm.node.id)).toEqual(expected.map(([, id]) => id));
  });

  test('has no subscribers and no queues until they are added', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    expect(fanOut.queues).toEqual([]);
    expect(fanOut.subscriptions).toEqual([]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });
});

describe('TopicFanOut standard, three queues (one filtered, one raw)', () => {
  const stack = strictStack();
  const fanOut = standardFanOut(stack);
  const [fulfilment, billing, analytics] = fanOut.queues;
  const template = Template.fromStack(stack);

  test('creates one WorkQueue per addQueue, standard like the topic', () => {
    expect(fanOut.queues.map((queue) => queue.node.path)).toEqual([
      'Stack/Orders/Fulfilment',
      'Stack/Orders/Billing',
      'Stack/Orders/Analytics',
    ]);
    expect(fanOut.queues.every((queue) => queue instanceof WorkQueue && !queue.fifo)).toBe(true);
  });

  test('each queue lets SNS send only for this topic', () => {
    for (const queue of fanOut.queues) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(queue.queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: Match.stringLikeRegexp('^AllowTopic'),
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': [logicalId(queue.queue), 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
            },
          ]),
        },
      });
    }
  });

  test('the subscriptions carry the filter policy and raw delivery, and wait for the queue policy', () => {
    expect(subscriptionOf(template, fulfilment).Properties).toEqual({
      Protocol: 'sqs',
      TopicArn: { Ref: logicalId(fanOut.topic) },
      Endpoint: { 'Fn::GetAtt': [logicalId(fulfilment.queue), 'Arn'] },
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(fanOut.subscriptions[0].deadLetterQueue.queue), 'Arn'] },
      },
    });
    expect(subscriptionOf(template, billing).Properties.RawMessageDelivery).toBe(true);
    expect(subscriptionOf(template, analytics).Properties.FilterPolicy).toEqual({ size: ['large'] });
    expect(subscriptionOf(template, analytics).Properties.RawMessageDelivery).toBeUndefined();
    expect(subscriptionOf(template, fulfilment).DependsOn).toEqual([expect.stringMatching(/FulfilmentQueuePolicy/)]);
  });

  test('each subscription has its own WorkQueue-grade dead-letter queue that only this topic may send to', () => {
    expect(fanOut.subscriptions.map((s) => s.node.path)).toEqual([
      'Stack/Orders/FulfilmentSubscription',
      'Stack/Orders/BillingSubscription',
      'Stack/Orders/AnalyticsSubscription',
    ]);
    for (const subscription of fanOut.subscriptions) {
      const dlq = subscription.deadLetterQueue;
      expect(dlq).toBeInstanceOf(WorkQueue);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(dlq.queue), 'Arn'] } },
      });
      expect(template.toJSON().Resources[logicalId(dlq.queue)].Properties).toMatchObject({
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { maxReceiveCount: 5 },
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(dlq.queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
            }),
          ]),
        },
      });
    }
  });

  test('each subscription alarms when its dead-letter queue is not empty', () => {
    for (const subscription of fanOut.subscriptions) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(subscription.deadLetterQueue.queue), 'QueueName'] } },
        ],
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('DecouplingPatternsAlarmTopic') }],
      });
    }
  });

  test('alarms lists the topic, subscription and queue alarms', () => {
    const ids = fanOut.alarms.map((alarm) => alarm.node.path);
    expect(ids).toContain('Stack/Orders/NotificationsFailedAlarm');
    expect(ids).toContain('Stack/Orders/BillingSubscription/DeadLetterQueueNotEmptyAlarm');
    expect(ids).toContain('Stack/Orders/BillingSubscription/DeadLetterQueue/DeadLetterQueueNotEmptyAlarm');
    expect(ids).toContain('Stack/Orders/Billing/DeadLetterQueueNotEmptyAlarm');
    template.resourceCountIs('AWS::CloudWatch::Alarm', ids.length);
  });

  test('creates no KMS key for SSE-SQS queues, and no warning', () => {
    template.resourceCountIs('AWS::KMS::Key', 2); // the topic's and the stack alarm topic's
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('TopicFanOut FIFO, two FIFO queues', () => {
  const stack = strictStack();
  const fanOut = fifoFanOut(stack);
  const template = Template.fromStack(stack);

  test('the topic is FIFO with content-based deduplication and a .fifo name', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      FifoTopic: true,
      ContentBasedDeduplication: true,
      TopicName: Match.stringLikeRegexp('\\.fifo$'),
    });
  });

  test('queues follow the topic: FIFO, and so are their subscription dead-letter queues', () => {
    expect(fanOut.queues.map((queue) => queue.fifo)).toEqual([true, true]);
    const queues = template.findResources('AWS::SQS::Queue');
    // two WorkQueues and two subscription dead-letter WorkQueues, each with its own DLQ
    expect(Object.values(queues).map((q) => q.Properties.FifoQueue)).toEqual(Array(8).fill(true));
    expect(Object.values(queues).every((q) => q.Properties.QueueName.endsWith('.fifo'))).toBe(true);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('TopicFanOut with every feature on', () => {
  const stack = strictStack();
  const fanOut = fullyFeaturedFanOut(stack);
  const template = Template.fromStack(stack);
  const audit = fanOut.queues[3];

  test('a KMS queue: its key lets SNS generate data keys and decrypt only for this topic', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the queues of Stack/Orders/Audit',
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: '*',
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
          },
        ]),
      },
    });
  });

  test("a KMS queue's subscription dead-letter queue uses the queue's key, and the subscription waits for it", () => {
    const subscription = fanOut.subscriptions[3];
    expect(subscription.deadLetterQueue.encryptionKey).toBe(audit.encryptionKey);
    expect(subscriptionOf(template, audit).DependsOn).toEqual(
      expect.arrayContaining([logicalId(audit.encryptionKey as kms.Key)]),
    );
  });

  test('an imported queue of another account: subscribed, and the statement its owner must add is returned and warned about', () => {
    const partner = fanOut.subscriptions[4];
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: 'arn:aws:sqs:us-east-1:999999999999:partner',
    });
    expect(stack.resolve(partner.statementsForEndpointOwner.map((s) => s.toStatementJson()))).toEqual([
      {
        Sid: expect.stringMatching(/^AllowTopic/),
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: 'arn:aws:sqs:us-east-1:999999999999:partner',
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
      },
    ]);
    const warnings = Annotations.fromStack(stack).findWarning(
      `/${partner.node.path}`,
      Match.stringLikeRegexp('owner adds these statements.*<ARN of the topic Stack/Orders/Topic>'),
    );
    expect(warnings).toHaveLength(1);
  });

  test('HTTPS: the default retry policy with the given throttle, and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.com/orders',
      DeliveryPolicy: { throttlePolicy: { maxReceivesPerSecond: 10 } },
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
  });

  test('Lambda: a body filter, and a permission that lets only this topic invoke', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: 'arn:aws:lambda:us-east-1:123456789012:function:audit',
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { total: [{ numeric: ['>', 1000] }] },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      SourceArn: { Ref: logicalId(fanOut.topic) },
    });
  });

  test('email and SMS subscribers, each with a dead-letter queue', () => {
    for (const [protocol, endpoint] of [
      ['email', 'orders@example.com'],
      ['sms', '+14155550100'],
    ]) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: protocol,
        Endpoint: endpoint,
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
      });
    }
    expect(fanOut.subscriptions).toHaveLength(9);
  });

  test('allowServicePublish: topic and key policies conditioned on the source ARN and account', () => {
    const conditions = {
      ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::order-uploads' },
      StringEquals: { 'aws:SourceAccount': '123456789012' },
    };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: conditions,
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the topic of Stack/Orders',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 's3.amazonaws.com' },
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
            Condition: conditions,
          }),
        ]),
      },
    });
  });

  test('allowAccountPublish: the account may publish, and use the key only through SNS', () => {
    const account = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] } };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: account, Action: 'sns:Publish' })]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: account,
            Condition: { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
          }),
        ]),
      },
    });
  });

  test('grantPublish: sns:Publish on the topic and exactly the key actions publishing needs', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: logicalId(fanOut.topic) } },
          {
            Effect: 'Allow',
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: { 'Fn::GetAtt': [logicalId(fanOut.masterKey as kms.Key), 'Arn'] },
          },
        ]),
      },
    });
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });
});

describe('TopicFanOut subscribers', () => {
  test('a FIFO topic may feed a standard queue when asked (AWS allows it: best-effort order)', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Prices', { fifo: true });
    const analytics = fanOut.addQueue('Analytics', { fifo: false });
    expect(analytics.fifo).toBe(false);
    // SNS requires a FIFO topic's subscription dead-letter queue to be FIFO.
    expect(fanOut.subscriptions[0].deadLetterQueue.fifo).toBe(true);
    expectCompliant(stack);
  });

  test('subscribeQueue: a queue of this stack gets the statement in its policy and nothing is left to its owner', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = new WorkQueue(stack, 'Existing');
    const subscription = fanOut.subscribeQueue(queue, { rawMessageDelivery: true });
    const template = Template.fromStack(stack);
    expect(subscription.statementsForEndpointOwner).toEqual([]);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(queue.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
          }),
        ]),
      },
    });
    expect(subscriptionOf(template, queue).Properties.RawMessageDelivery).toBe(true);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('subscribeQueue: a queue of another stack subscribes in its own stack, without a dependency cycle', () => {
    const app = new App({ context: STRICT_VALIDATION_CONTEXT });
    const env = { account: '123456789012', region: 'us-east-1' };
    const topicStack = new Stack(app, 'Topics', { env });
    const queueStack = new Stack(app, 'Consumers', { env });
    const fanOut = new TopicFanOut(topicStack, 'Orders');
    const queue = new WorkQueue(queueStack, 'Shipping');
    const subscription = fanOut.subscribeQueue(queue);
    expect(Stack.of(subscription)).toBe(queueStack);
    expect(() => app.synth()).not.toThrow();
    expect(queueStack.dependencies).toContain(topicStack);
    expect(topicStack.dependencies).toEqual([]);
    Template.fromStack(queueStack).resourceCountIs('AWS::SNS::Subscription', 1);
    Template.fromStack(topicStack).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('subscribeQueue: an imported queue with an imported key returns both statements to add', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = sqs.Queue.fromQueueAttributes(stack, 'Imported', {
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:legacy',
      keyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    const subscription = fanOut.subscribeQueue(queue);
    const statements = stack.resolve(subscription.statementsForEndpointOwner.map((s) => s.toStatementJson()));
    expect(statements.map((s: any) => s.Action)).toEqual(['sqs:SendMessage', ['kms:GenerateDataKey', 'kms:Decrypt']]);
  });

  test('subscribers can be added after the topic has been used', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    fanOut.grantPublish(new iam.Role(stack, 'Publisher', { assumedBy: new iam.AccountRootPrincipal() }));
    fanOut.allowServicePublish('events.amazonaws.com', 'arn:aws:events:us-east-1:123456789012:rule/orders');
    fanOut.addQueue('Late');
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Subscription', 1);
  });

  test('alarms notify the given alarm topic, also those of its queues and subscriptions', () => {
    const stack = strictStack();
    const alarmTopic = new sns.Topic(stack, 'Pager', { enforceSSL: true });
    const fanOut = new TopicFanOut(stack, 'Orders', { alarmTopic });
    fanOut.addQueue('Fulfilment');
    const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms).length).toBe(fanOut.alarms.length);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(alarmTopic) }]);
    }
  });

  test('a given masterKey encrypts the topic and no key is created', () => {
    const stack = strictStack();
    const masterKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
    const fanOut = new TopicFanOut(stack, 'Orders', { masterKey, topicName: 'orders' });
    expect(fanOut.masterKey).toBe(masterKey);
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'orders',
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(masterKey), 'Arn'] },
    });
    expect(fanOut.node.tryFindChild('Key')).toBeUndefined();
  });

  test('a topic name ending in .fifo makes the topic FIFO', () => {
    const fanOut = new TopicFanOut(strictStack(), 'Prices', { topicName: 'prices.fifo' });
    expect(fanOut.fifo).toBe(true);
  });

  test('an imported masterKey: publishing works and a warning gives the key statement for a service publisher', () => {
    const stack = strictStack();
    const masterKey = kms.Key.fromKeyArn(
      stack,
      'SharedKey',
      'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    const fanOut = new TopicFanOut(stack, 'Orders', { masterKey });
    fanOut.allowServicePublish('s3.amazonaws.com', 'arn:aws:s3:::order-uploads');
    const warnings = Annotations.fromStack(stack).findWarning(
      '/Stack/Orders',
      Match.stringLikeRegexp('not managed by this app.*s3.amazonaws.com'),
    );
    expect(warnings).toHaveLength(1);
  });
});

describe('TopicFanOut rejects bad input at synth', () => {
  const cases: Array<[string, (stack: Stack) => void, RegExp]> = [
    [
      'contentBasedDeduplication on a standard topic',
      (stack) => new TopicFanOut(stack, 'Orders', { contentBasedDeduplication: true }),
      /^\[Stack\/Orders\] contentBasedDeduplication can only be true on a FIFO topic \(fifo: true\), got true$/,
    ],
    [
      'a topic name with invalid characters',
      (stack) => new TopicFanOut(stack, 'Orders', { topicName: 'orders!' }),
      /^\[Stack\/Orders\] topicName must be 1 to 256 characters .* letters, digits, hyphens and underscores, got "orders!"$/,
    ],
    [
      'a topic name longer than 256 characters',
      (stack) => new TopicFanOut(stack, 'Orders', { topicName: 'o'.repeat(257) }),
      /^\[Stack\/Orders\] topicName must be 1 to 256 characters/,
    ],
    [
      'a FIFO topic whose name lacks .fifo',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: true, topicName: 'orders' }),
      /^\[Stack\/Orders\] topicName of a FIFO topic must end in "\.fifo", got "orders"$/,
    ],
    [
      'a standard topic whose name ends in .fifo',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: false, topicName: 'orders.fifo' }),
      /^\[Stack\/Orders\] topicName may end in "\.fifo" only for a FIFO topic/,
    ],
    [
      'a FIFO queue behind a standard topic',
      (stack) => new TopicFanOut(stack, 'Orders').addQueue('Fulfilment', { fifo: true }),
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) fifo must be false behind a standard topic .*, got true$/,
    ],
    [
      'a queue named .fifo behind a standard topic',
      (stack) => new TopicFanOut(stack, 'Orders').addQueue('Fulfilment', { queueName: 'fulfilment.fifo' }),
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) fifo must be false behind a standard topic/,
    ],
    [
      'an existing FIFO queue behind a standard topic',
      (stack) => new TopicFanOut(stack, 'Orders').subscribeQueue(new WorkQueue(stack, 'Q', { fifo: true })),
      /^\[Stack\/Orders\] subscribeQueue queue must be a standard queue behind a standard topic .*, got "Stack\/Q"$/,
    ],
    [
      'a queue encrypted with the AWS-managed alias/aws/sqs key (addQueue)',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Fulfilment', {
          encryptionKey: kms.Alias.fromAliasName(stack, 'AwsSqs', 'alias/aws/sqs'),
        }),
      /^\[Stack\/Orders\/Fulfilment\] encryptionKey must be a customer-managed key, not the AWS-managed alias\/aws\/sqs/,
    ],
    [
      'a queue encrypted with the AWS-managed alias/aws/sqs key (subscribeQueue)',
      (stack) =>
        new TopicFanOut(stack, 'Orders').subscribeQueue(
          new sqs.Queue(stack, 'Legacy', { encryption: sqs.QueueEncryption.KMS_MANAGED }),
        ),
      /^\[Stack\/Orders\] subscribeQueue queue must not be encrypted with the AWS-managed alias\/aws\/sqs key .*, got "Stack\/Legacy"$/,
    ],
    [
      "a queue sharing the topic's key",
      (stack) => {
        const key = new kms.Key(stack, 'Shared', { enableKeyRotation: true });
        new TopicFanOut(stack, 'Orders', { masterKey: key }).addQueue('Fulfilment', { encryptionKey: key });
      },
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) encryptionKey must not be the topic's masterKey .*dependency cycle/,
    ],
    [
      'an http:// URL',
      (stack) => new TopicFanOut(stack, 'Orders').addHttpsSubscriber('http://hooks.example.com/orders'),
      /^\[Stack\/Orders\] addHttpsSubscriber url must be an https:\/\/ URL .*, got "http:\/\/hooks\.example\.com\/orders"$/,
    ],
    [
      'an HTTPS subscriber on a FIFO topic',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: true }).addHttpsSubscriber('https://hooks.example.com'),
      /^\[Stack\/Orders\] addHttpsSubscriber is not available on a FIFO topic .*, got "https:\/\/hooks\.example\.com"$/,
    ],
    [
      'a Lambda subscriber on a FIFO topic',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: true }).addLambdaSubscriber(importedFunction(stack)),
      /^\[Stack\/Orders\] addLambdaSubscriber is not available on a FIFO topic/,
    ],
    [
      'an email subscriber on a FIFO topic',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: true }).addEmailSubscriber('ops@example.com'),
      /^\[Stack\/Orders\] addEmailSubscriber is not available on a FIFO topic/,
    ],
    [
      'an SMS subscriber on a FIFO topic',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: true }).addSmsSubscriber('+14155550100'),
      /^\[Stack\/Orders\] addSmsSubscriber is not available on a FIFO topic/,
    ],
    [
      'an invalid email address',
      (stack) => new TopicFanOut(stack, 'Orders').addEmailSubscriber('ops-at-example.com'),
      /^\[Stack\/Orders\] addEmailSubscriber address must be an email address, got "ops-at-example\.com"$/,
    ],
    [
      'a phone number not in E.164',
      (stack) => new TopicFanOut(stack, 'Orders').addSmsSubscriber('0415 555 0100'),
      /^\[Stack\/Orders\] addSmsSubscriber phoneNumber must be in E\.164 format.*, got "0415 555 0100"$/,
    ],
    [
      'the same email subscribed twice',
      (stack) => {
        const fanOut = new TopicFanOut(stack, 'Orders');
        fanOut.addEmailSubscriber('ops@example.com');
        fanOut.addEmailSubscriber('ops@example.com');
      },
      /^\[Stack\/Orders\] email subscriber is already subscribed through this TopicFanOut .*, got "ops@example\.com"$/,
    ],
    [
      'more than 101 retries',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('https://hooks.example.com', {
          deliveryPolicy: { healthyRetryPolicy: { numRetries: 101 } },
        }),
      /^\[Stack\/Orders\/Https-https:__hooks\.example\.com\] deliveryPolicy\.healthyRetryPolicy\.numRetries must be an integer between 0 and 100, got 101$/,
    ],
    [
      'a delay target above an hour',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('https://hooks.example.com', {
          deliveryPolicy: { healthyRetryPolicy: { maxDelayTarget: Duration.seconds(3601) } },
        }),
      /deliveryPolicy\.healthyRetryPolicy\.maxDelayTarget must be a whole number of seconds between 1 and 3600, got 1 hour 1 second$/,
    ],
    [
      'minDelayTarget above maxDelayTarget',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('https://hooks.example.com', {
          deliveryPolicy: {
            healthyRetryPolicy: { minDelayTarget: Duration.seconds(60), maxDelayTarget: Duration.seconds(30) },
          },
        }),
      /deliveryPolicy\.healthyRetryPolicy\.minDelayTarget must not exceed maxDelayTarget \(30 seconds\), got 1 minute$/,
    ],
    [
      'phase counts above numRetries',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('https://hooks.example.com', {
          deliveryPolicy: { healthyRetryPolicy: { numRetries: 3, numMinDelayRetries: 2, numMaxDelayRetries: 2 } },
        }),
      /deliveryPolicy\.healthyRetryPolicy numNoDelayRetries \+ numMinDelayRetries \+ numMaxDelayRetries must not exceed numRetries \(3\), got 4$/,
    ],
    [
      'a retry policy longer than an hour in all',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('https://hooks.example.com', {
          deliveryPolicy: {
            healthyRetryPolicy: {
              numRetries: 20,
              minDelayTarget: Duration.minutes(5),
              maxDelayTarget: Duration.minutes(10),
            },
          },
        }),
      /deliveryPolicy\.healthyRetryPolicy must retry for at most 3600 seconds in all \(an SNS limit\), got "at least 6000 seconds"$/,
    ],
    [
      'a throttle below 1 per second',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('https://hooks.example.com', {
          deliveryPolicy: { throttlePolicy: { maxReceivesPerSecond: 0 } },
        }),
      /deliveryPolicy\.throttlePolicy\.maxReceivesPerSecond must be an integer of at least 1, got 0$/,
    ],
    [
      'a filter policy with six keys',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Analytics', {
          filterPolicy: Object.fromEntries(
            ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => [key, sns.SubscriptionFilter.existsFilter()]),
          ),
        }),
      /^\[Stack\/Orders\/AnalyticsSubscription\] filterPolicy may have at most 5 top-level keys \(an SNS limit\), got "6 keys \(a, b, c, d, e, f\)"$/,
    ],
    [
      'a filter policy with 151 combinations',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Analytics', {
          filterPolicy: {
            region: sns.SubscriptionFilter.stringFilter({ allowlist: Array.from({ length: 151 }, (_, i) => `r${i}`) }),
          },
        }),
      /filterPolicy may have at most 150 combinations of values .*, got "151 combinations"$/,
    ],
    [
      'a body filter policy whose nested values combine to more than 150',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Analytics', {
          filterPolicyWithMessageBody: {
            customer: sns.FilterOrPolicy.policy({
              country: sns.FilterOrPolicy.filter(
                sns.SubscriptionFilter.stringFilter({ allowlist: Array.from({ length: 20 }, (_, i) => `c${i}`) }),
              ),
              tier: sns.FilterOrPolicy.filter(
                sns.SubscriptionFilter.stringFilter({
                  allowlist: ['gold', 'silver', 'bronze', 'tin', 'lead', 'iron', 'zinc', 'clay'],
                }),
              ),
            }),
          },
        }),
      /filterPolicyWithMessageBody may have at most 150 combinations of values .*, got "160 combinations"$/,
    ],
    [
      'both kinds of filter policy',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Analytics', {
          filterPolicy: LARGE_ORDERS,
          filterPolicyWithMessageBody: { size: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.existsFilter()) },
        }),
      /filterPolicy and filterPolicyWithMessageBody are mutually exclusive/,
    ],
    [
      'a service principal that is not one',
      (stack) => new TopicFanOut(stack, 'Orders').allowServicePublish('s3', 'arn:aws:s3:::bucket'),
      /^\[Stack\/Orders\] allowServicePublish servicePrincipal must be an AWS service principal such as "s3\.amazonaws\.com", got "s3"$/,
    ],
    [
      'a source that is not an ARN',
      (stack) => new TopicFanOut(stack, 'Orders').allowServicePublish('s3.amazonaws.com', 'my-bucket'),
      /^\[Stack\/Orders\] allowServicePublish sourceArn must be an ARN .*, got "my-bucket"$/,
    ],
    [
      'an account id that is not 12 digits',
      (stack) => new TopicFanOut(stack, 'Orders').allowAccountPublish('1111-2222-3333'),
      /^\[Stack\/Orders\] allowAccountPublish accountId must be a 12-digit AWS account id, got "1111-2222-3333"$/,
    ],
  ];

  test.each(cases)('%s', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });

  test('values given as tokens are not validated at synth', () => {
    const stack = strictStack();
    const token = (value: string) => Lazy.string({ produce: () => value });
    const fanOut = new TopicFanOut(stack, 'Orders', { topicName: token('orders') });
    fanOut.addHttpsSubscriber(token('https://hooks.example.com'));
    fanOut.addHttpsSubscriber(token('https://other.example.com'));
    fanOut.addEmailSubscriber(token('ops@example.com'));
    fanOut.addSmsSubscriber(token('+14155550100'));
    fanOut.allowAccountPublish(token('111122223333'));
    fanOut.allowServicePublish(token('s3.amazonaws.com'), token('arn:aws:s3:::bucket'));
    expect(fanOut.subscriptions.map((s) => s.node.id)).toEqual([
      'HttpsToken1',
      'HttpsToken2',
      'EmailToken1',
      'SmsToken1',
    ]);
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});
