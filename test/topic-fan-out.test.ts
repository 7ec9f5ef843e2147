import { App, CfnResource, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as notifications from 'aws-cdk-lib/aws-codestarnotifications';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { logicalId, STRICT_VALIDATION_CONTEXT, strictApp, strictStack, testRole } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { TopicFanOut } from '../src/topic-fan-out';
import { WorkQueue, WorkQueueEncryption } from '../src/work-queue';

const LARGE_ORDERS = { size: sns.SubscriptionFilter.stringFilter({ allowlist: ['large'] }) };
const ALARM_TOPIC = { Ref: Match.stringLikeRegexp('DecouplingPatternsAlarmTopic') };
const FOURTEEN_DAYS = 1_209_600;

/** The standard fan-out of the snapshot: three queues, one filtered, one raw. */
function standardFanOut(stack: Stack): TopicFanOut {
  const fanOut = new TopicFanOut(stack, 'Orders');
  fanOut.addQueue('Fulfilment');
  fanOut.addQueue('Billing', { rawMessageDelivery: true });
  fanOut.addQueue('Analytics', { filterPolicy: LARGE_ORDERS });
  return fanOut;
}

/** Every subscriber kind and publisher kind at once, and a subscriber with a dead-letter queue of its own. */
function fullyFeaturedFanOut(stack: Stack): TopicFanOut {
  const fanOut = standardFanOut(stack);
  fanOut.addQueue('Audit', { encryption: WorkQueueEncryption.KMS, oldestMessageAgeAlarmThreshold: Duration.hours(1) });
  fanOut.addQueueSubscriber(
    'Partner',
    sqs.Queue.fromQueueArn(stack, 'PartnerQueue', 'arn:aws:sqs:us-east-1:999999999999:partner'),
  );
  fanOut.addHttpsSubscriber('Hooks', 'https://hooks.example.com/orders', {
    deliveryPolicy: { throttlePolicy: { maxReceivesPerSecond: 10 } },
    deadLetterQueue: new WorkQueue(stack, 'HooksUndeliverable', {
      encryption: WorkQueueEncryption.KMS,
      retentionPeriod: Duration.days(7),
    }),
  });
  fanOut.addLambdaSubscriber('AuditFunction', importedFunction(stack), {
    filterPolicyWithMessageBody: {
      total: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.numericFilter({ greaterThan: 1000 })),
    },
  });
  fanOut.addEmailSubscriber('OrdersMailbox', 'orders@example.com');
  fanOut.addSmsSubscriber('OnCallPhone', '+14155550100');
  fanOut.allowServicePublish('s3.amazonaws.com', 'arn:aws:s3:::order-uploads');
  fanOut.allowAccountPublish('111122223333');
  fanOut.grantPublish(testRole(stack, 'Publisher'));
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
  const found = template.findResources('AWS::SNS::Subscription', {
    Properties: { Endpoint: { 'Fn::GetAtt': [logicalId(queue.queue), 'Arn'] } },
  });
  expect(Object.keys(found)).toHaveLength(1);
  return Object.values(found)[0];
}

/** The key statement that lets SNS use a queue's key for this topic only. */
function snsMayUseKey(topic: sns.ITopic) {
  return {
    Effect: 'Allow',
    Principal: { Service: 'sns.amazonaws.com' },
    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    Resource: '*',
    Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(topic) } } },
  };
}

describe('TopicFanOut defaults', () => {
  const stack = strictStack();
  const fanOut = new TopicFanOut(stack, 'Orders');
  const template = Template.fromStack(stack);

  test('the topic is standard and encrypted with a key of its own, with rotation, retained', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(fanOut.encryptionKey as kms.Key), 'Arn'] },
      FifoTopic: Match.absent(),
    });
    template.hasResource('AWS::KMS::Key', {
      Properties: { Description: 'Encrypts the topic of Stack/Orders', EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(fanOut.fifo).toBe(false);
    expect(fanOut.masterKey).toBe(fanOut.encryptionKey);
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
        AlarmActions: [ALARM_TOPIC],
        OKActions: [ALARM_TOPIC],
      });
    }
    expect(fanOut.alarms.map((alarm) => alarm.node.id)).toEqual(expected.map(([, id]) => id));
  });

  test('has no subscribers, no queues and no subscription dead-letter queue until a subscriber is added', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.resourceCountIs('AWS::SQS::Queue', 0);
    expect(fanOut.queues).toEqual([]);
    expect(fanOut.subscriptions).toEqual([]);
    expect(fanOut.subscriptionDeadLetterQueue).toBeUndefined();
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });
});

describe('TopicFanOut standard, three queues (one filtered, one raw)', () => {
  const stack = strictStack();
  const fanOut = standardFanOut(stack);
  const [fulfilment, billing, analytics] = fanOut.queues;
  const dlq = fanOut.subscriptionDeadLetterQueue!;
  const template = Template.fromStack(stack);

  test('creates one WorkQueue per addQueue under Queues, standard like the topic', () => {
    expect(fanOut.queues.map((queue) => queue.node.path)).toEqual([
      'Stack/Orders/Queues/Fulfilment',
      'Stack/Orders/Queues/Billing',
      'Stack/Orders/Queues/Analytics',
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

  test('the subscriptions, under Subscriptions, carry the filter policy and raw delivery, and wait for the policies they need', () => {
    expect(fanOut.subscriptions.map((s) => s.node.path)).toEqual([
      'Stack/Orders/Subscriptions/Fulfilment',
      'Stack/Orders/Subscriptions/Billing',
      'Stack/Orders/Subscriptions/Analytics',
    ]);
    expect(subscriptionOf(template, fulfilment).Properties).toEqual({
      Protocol: 'sqs',
      TopicArn: { Ref: logicalId(fanOut.topic) },
      Endpoint: { 'Fn::GetAtt': [logicalId(fulfilment.queue), 'Arn'] },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(dlq.queue), 'Arn'] } },
    });
    expect(subscriptionOf(template, billing).Properties.RawMessageDelivery).toBe(true);
    expect(subscriptionOf(template, analytics).Properties.FilterPolicy).toEqual({ size: ['large'] });
    expect(subscriptionOf(template, analytics).Properties.RawMessageDelivery).toBeUndefined();
    // Its own queue's policy, and the shared dead-letter queue's policy and key.
    expect([...subscriptionOf(template, fulfilment).DependsOn].sort()).toEqual(
      [
        logicalId(fulfilment.queue.node.findChild('Policy')),
        logicalId(dlq.queue.node.findChild('Policy')),
        logicalId(dlq.encryptionKey as kms.Key),
      ].sort(),
    );
  });

  test('every subscription redrives to one shared dead-letter queue: a WorkQueue under a key of its own, kept 14 days', () => {
    expect(dlq).toBeInstanceOf(WorkQueue);
    expect(dlq.node.path).toBe('Stack/Orders/SubscriptionDeadLetterQueue');
    expect(fanOut.subscriptions.every((s) => s.deadLetterQueue === dlq)).toBe(true);
    for (const queue of fanOut.queues) {
      expect(subscriptionOf(template, queue).Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(dlq.queue), 'Arn'] },
      });
    }
    expect(dlq.encryptionKey).toBeDefined();
    expect(dlq.encryptionKey).not.toBe(fanOut.encryptionKey);
    expect(template.toJSON().Resources[logicalId(dlq.queue)].Properties).toMatchObject({
      MessageRetentionPeriod: FOURTEEN_DAYS,
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(dlq.encryptionKey as kms.Key), 'Arn'] },
      RedrivePolicy: { maxReceiveCount: 5 },
    });
    template.resourceCountIs('AWS::SQS::Queue', 3 * 2 + 2);
  });

  test('only this topic may send to the shared dead-letter queue, over TLS, and use its key', () => {
    const policies = template.findResources('AWS::SQS::QueuePolicy', {
      Properties: { Queues: [{ Ref: logicalId(dlq.queue) }] },
    });
    const [policy] = Object.values(policies);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [logicalId(dlq.queue), 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
      },
    ]);
    const keyPolicy = template.toJSON().Resources[logicalId(dlq.encryptionKey as kms.Key)].Properties.KeyPolicy;
    expect(keyPolicy.Statement.filter((s: any) => s.Principal.Service === 'sns.amazonaws.com')).toEqual([
      snsMayUseKey(fanOut.topic),
    ]);
  });

  test('the shared dead-letter queue alarms when it is not empty and before its messages expire', () => {
    const dimensions = [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq.queue), 'QueueName'] } }];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: dimensions,
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [ALARM_TOPIC],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: dimensions,
      Threshold: FOURTEEN_DAYS * 0.75,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [ALARM_TOPIC],
    });
    expect(fanOut.subscriptionDeadLetterQueueNotEmptyAlarm?.node.path).toBe(
      'Stack/Orders/SubscriptionDeadLetterQueueNotEmptyAlarm',
    );
    expect(fanOut.subscriptionDeadLetterQueueMessageAgeAlarm?.node.path).toBe(
      'Stack/Orders/SubscriptionDeadLetterQueueMessageAgeAlarm',
    );
  });

  test('subscriptions of the shared dead-letter queue have no alarm of their own', () => {
    expect(fanOut.subscriptions.flatMap((s) => s.alarms)).toEqual([]);
  });

  test('alarms lists the topic, shared dead-letter queue and queue alarms: every alarm in the template', () => {
    const paths = fanOut.alarms.map((alarm) => alarm.node.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'Stack/Orders/NotificationsFailedAlarm',
        'Stack/Orders/SubscriptionDeadLetterQueueNotEmptyAlarm',
        'Stack/Orders/SubscriptionDeadLetterQueueMessageAgeAlarm',
        'Stack/Orders/SubscriptionDeadLetterQueue/DeadLetterQueueNotEmptyAlarm',
        'Stack/Orders/SubscriptionDeadLetterQueue/DeadLetterQueueMessageAgeAlarm',
        'Stack/Orders/Queues/Billing/DeadLetterQueueNotEmptyAlarm',
      ]),
    );
    expect(new Set(paths).size).toBe(paths.length);
    template.resourceCountIs('AWS::CloudWatch::Alarm', paths.length);
  });

  test("creates no KMS key for SSE-SQS queues: the topic's, the shared dead-letter queue's, the alarm topic's; no warning", () => {
    template.resourceCountIs('AWS::KMS::Key', 3);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('each further queue costs 7 resources: its WorkQueue (2 queues, 2 policies, 2 alarms) and its subscription', () => {
    const count = (queues: number) => {
      const s = strictStack();
      const f = new TopicFanOut(s, 'Orders');
      for (let i = 0; i < queues; i++) {
        f.addQueue(`Queue${i}`);
      }
      return Object.keys(Template.fromStack(s).toJSON().Resources).length;
    };
    expect(count(3) - count(2)).toBe(7);
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
    expect(fanOut.contentBasedDeduplication).toBe(true);
  });

  test('queues follow the topic: FIFO, and so is the shared subscription dead-letter queue', () => {
    expect(fanOut.queues.map((queue) => queue.fifo)).toEqual([true, true]);
    expect(fanOut.subscriptionDeadLetterQueue?.fifo).toBe(true);
    const queues = template.findResources('AWS::SQS::Queue');
    // two WorkQueues and the shared subscription dead-letter WorkQueue, each with its own DLQ
    expect(Object.values(queues).map((q) => q.Properties.FifoQueue)).toEqual(Array(6).fill(true));
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
  const byId = (id: string) => fanOut.subscriptions.find((s) => s.node.id === id)!;

  test('a KMS queue: its key lets SNS generate data keys and decrypt only for this topic', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts the queues of Stack/Orders/Queues/Audit',
      KeyPolicy: { Statement: Match.arrayWith([snsMayUseKey(fanOut.topic)]) },
    });
  });

  test("a KMS queue's subscription waits for the queue's key policy, and redrives to the shared dead-letter queue", () => {
    expect(subscriptionOf(template, audit).DependsOn).toEqual(
      expect.arrayContaining([logicalId(audit.encryptionKey as kms.Key)]),
    );
    expect(byId('Audit').deadLetterQueue).toBe(fanOut.subscriptionDeadLetterQueue);
  });

  test('an imported queue of another account: subscribed, and the statement its owner must add is returned and warned about', () => {
    const partner = byId('Partner');
    expect(partner.node.path).toBe('Stack/Orders/Subscriptions/Partner');
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
    expect(partner.statementsForDeadLetterQueueOwner).toEqual([]);
    const warnings = Annotations.fromStack(stack).findWarning(
      `/${partner.node.path}`,
      Match.stringLikeRegexp('owner adds these statements.*<ARN of the topic Stack/Orders/Topic>'),
    );
    expect(warnings).toHaveLength(1);
  });

  test('HTTPS: the default retry policy with the given throttle, and the dead-letter queue it was given', () => {
    const hooks = byId('Hooks');
    const own = hooks.deadLetterQueue as WorkQueue;
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: 'https://hooks.example.com/orders',
      DeliveryPolicy: { throttlePolicy: { maxReceivesPerSecond: 10 } },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(own.queue), 'Arn'] } },
    });
  });

  test("a subscriber's own dead-letter queue: only this topic may send to it and use its key, and it alarms when not empty", () => {
    const hooks = byId('Hooks');
    const own = hooks.deadLetterQueue as WorkQueue;
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(own.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: { 'Fn::GetAtt': [logicalId(own.queue), 'Arn'] },
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([snsMayUseKey(fanOut.topic)]) },
      Description: 'Encrypts the queues of Stack/HooksUndeliverable',
    });
    expect(hooks.statementsForDeadLetterQueueOwner).toEqual([]);
    expect(hooks.alarms.map((a) => a.node.path)).toEqual([
      'Stack/Orders/Subscriptions/Hooks/DeadLetterQueueNotEmptyAlarm',
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(own.queue), 'QueueName'] } }],
      Threshold: 1,
      AlarmActions: [ALARM_TOPIC],
    });
    expect(fanOut.alarms).toContain(hooks.deadLetterQueueNotEmptyAlarm);
    // The alarms of a queue passed in stay its own.
    expect(fanOut.alarms).not.toContain(own.deadLetterQueueNotEmptyAlarm);
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

  test('email and SMS subscribers, each redriving to the shared dead-letter queue', () => {
    for (const [protocol, endpoint] of [
      ['email', 'orders@example.com'],
      ['sms', '+14155550100'],
    ]) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: protocol,
        Endpoint: endpoint,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(fanOut.subscriptionDeadLetterQueue!.queue), 'Arn'] },
        },
      });
    }
    expect(fanOut.subscriptions.map((s) => s.node.id)).toEqual([
      'Fulfilment',
      'Billing',
      'Analytics',
      'Audit',
      'Partner',
      'Hooks',
      'AuditFunction',
      'OrdersMailbox',
      'OnCallPhone',
    ]);
  });

  test('allowServicePublish: topic and key policies conditioned on the source ARN and account, exact key actions', () => {
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
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
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
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
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
            Resource: { 'Fn::GetAtt': [logicalId(fanOut.encryptionKey as kms.Key), 'Arn'] },
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

  test('addQueueSubscriber: a queue of this stack gets the statement in its policy and nothing is left to its owner', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = new WorkQueue(stack, 'Existing');
    const subscription = fanOut.addQueueSubscriber('Existing', queue, { rawMessageDelivery: true });
    const template = Template.fromStack(stack);
    expect(subscription.node.path).toBe('Stack/Orders/Subscriptions/Existing');
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

  test('addQueueSubscriber: a queue of another stack subscribes in its own stack, without a dependency cycle', () => {
    const app = new App({ context: STRICT_VALIDATION_CONTEXT });
    const env = { account: '123456789012', region: 'us-east-1' };
    const topicStack = new Stack(app, 'Topics', { env });
    const queueStack = new Stack(app, 'Consumers', { env });
    const fanOut = new TopicFanOut(topicStack, 'Orders');
    const queue = new WorkQueue(queueStack, 'Shipping');
    const subscription = fanOut.addQueueSubscriber('Shipping', queue);
    expect(Stack.of(subscription)).toBe(queueStack);
    expect(subscription.node.path).toMatch(/^Consumers\/Shipping\/TopicsOrders[0-9A-F]{8}Shipping$/);
    expect(() => app.synth()).not.toThrow();
    expect(queueStack.dependencies).toContain(topicStack);
    expect(topicStack.dependencies).toEqual([]);
    Template.fromStack(queueStack).resourceCountIs('AWS::SNS::Subscription', 1);
    Template.fromStack(topicStack).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('addQueueSubscriber: an imported queue with an imported key returns both statements to add', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = sqs.Queue.fromQueueAttributes(stack, 'Imported', {
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:legacy',
      keyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    const subscription = fanOut.addQueueSubscriber('Legacy', queue);
    const statements = stack.resolve(subscription.statementsForEndpointOwner.map((s) => s.toStatementJson()));
    expect(statements.map((s: any) => s.Action)).toEqual(['sqs:SendMessage', ['kms:GenerateDataKey', 'kms:Decrypt']]);
    expect(statements[1].Condition).toEqual({ ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } });
  });

  test('an imported dead-letter queue with an imported key: the statements its owner must add are returned and warned about', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const own = sqs.Queue.fromQueueAttributes(stack, 'Undeliverable', {
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:undeliverable',
      keyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    const subscription = fanOut.addEmailSubscriber('Ops', 'ops@example.com');
    const hooks = fanOut.addHttpsSubscriber('Hooks', 'https://hooks.example.com', { deadLetterQueue: own });
    expect(subscription.statementsForDeadLetterQueueOwner).toEqual([]);
    expect(stack.resolve(hooks.statementsForDeadLetterQueueOwner.map((s) => s.toStatementJson()))).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: 'arn:aws:sqs:us-east-1:123456789012:undeliverable',
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
      },
      snsMayUseKey(fanOut.topic),
    ]);
    const warnings = Annotations.fromStack(stack).findWarning(
      '/Stack/Orders/Subscriptions/Hooks',
      Match.stringLikeRegexp(
        'dead-letter queue arn:aws:sqs:us-east-1:123456789012:undeliverable is not managed.*sqs:SendMessage.*kms:GenerateDataKey',
      ),
    );
    expect(warnings).toHaveLength(1);
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      RedrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:undeliverable' },
    });
  });

  test('when every subscriber has a dead-letter queue of its own, no shared one is created', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    fanOut.addQueue('Fulfilment', { deadLetterQueue: new WorkQueue(stack, 'Undeliverable') });
    expect(fanOut.subscriptionDeadLetterQueue).toBeUndefined();
    expect(fanOut.node.tryFindChild('SubscriptionDeadLetterQueue')).toBeUndefined();
  });

  test('subscribers can be added after the topic has been used', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    fanOut.grantPublish(new iam.Role(stack, 'Publisher', { assumedBy: new iam.AccountRootPrincipal() }));
    fanOut.allowServicePublish('events.amazonaws.com', 'arn:aws:events:us-east-1:123456789012:rule/orders');
    fanOut.addQueue('Late');
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Subscription', 1);
  });

  test('alarms notify the given alarm topic, also those of its queues and the shared dead-letter queue', () => {
    const stack = strictStack();
    const alarmTopic = new sns.Topic(stack, 'Pager', { enforceSSL: true });
    const fanOut = new TopicFanOut(stack, 'Orders', { alarmTopic });
    fanOut.addQueue('Fulfilment');
    fanOut.addEmailSubscriber('Ops', 'ops@example.com');
    fanOut.addHttpsSubscriber('Hooks', 'https://hooks.example.com', { deadLetterQueue: new sqs.Queue(stack, 'Own') });
    const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms).length).toBe(fanOut.alarms.length);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(alarmTopic) }]);
    }
  });

  test('a given encryptionKey encrypts the topic and no key is created', () => {
    const stack = strictStack();
    const encryptionKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
    const fanOut = new TopicFanOut(stack, 'Orders', { encryptionKey, topicName: 'orders' });
    expect(fanOut.encryptionKey).toBe(encryptionKey);
    expect(fanOut.masterKey).toBe(encryptionKey);
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'orders',
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(encryptionKey), 'Arn'] },
    });
    expect(fanOut.node.tryFindChild('Key')).toBeUndefined();
  });

  test('a topic name ending in .fifo makes the topic FIFO', () => {
    const fanOut = new TopicFanOut(strictStack(), 'Prices', { topicName: 'prices.fifo' });
    expect(fanOut.fifo).toBe(true);
  });

  test('an imported encryptionKey: publishing works, and a service publisher gets the key statement back and in a warning', () => {
    const stack = strictStack();
    const encryptionKey = kms.Key.fromKeyArn(
      stack,
      'SharedKey',
      'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    const fanOut = new TopicFanOut(stack, 'Orders', { encryptionKey });
    const notAdded = fanOut.allowServicePublish('s3.amazonaws.com', 'arn:aws:s3:::order-uploads');
    expect(stack.resolve(notAdded.map((s) => s.toStatementJson()))).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
        Condition: {
          ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::order-uploads' },
          StringEquals: { 'aws:SourceAccount': '123456789012' },
        },
      },
    ]);
    const warnings = Annotations.fromStack(stack).findWarning(
      '/Stack/Orders',
      Match.stringLikeRegexp(
        "allowServicePublish: the topic's key policy is not managed by this app.*s3.amazonaws.com",
      ),
    );
    expect(warnings).toHaveLength(1);
  });

  test('allowServicePublish and allowAccountPublish return nothing when every statement was added', () => {
    const fanOut = new TopicFanOut(strictStack(), 'Orders');
    expect(fanOut.allowServicePublish('s3.amazonaws.com', 'arn:aws:s3:::order-uploads')).toEqual([]);
    expect(fanOut.allowAccountPublish('111122223333')).toEqual([]);
  });
});

describe('TopicFanOut is an sns.ITopic', () => {
  test('it answers as its topic: ARN, name, FIFO, deduplication and key', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Prices', { fifo: true, contentBasedDeduplication: true });
    const topic: sns.ITopic = fanOut;
    expect(stack.resolve(topic.topicArn)).toEqual({ Ref: logicalId(fanOut.topic) });
    expect(stack.resolve(topic.topicName)).toEqual({ 'Fn::GetAtt': [logicalId(fanOut.topic), 'TopicName'] });
    expect([topic.fifo, topic.contentBasedDeduplication]).toEqual([true, true]);
    expect(topic.masterKey).toBe(fanOut.encryptionKey);
  });

  test("aws-cdk-lib's SqsSubscription through addSubscription: subscribed to the topic, redriving to the shared dead-letter queue", () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = new sqs.Queue(stack, 'Plain', { enforceSSL: true });
    const topic: sns.ITopic = fanOut;
    topic.addSubscription(new subscriptions.SqsSubscription(queue, { rawMessageDelivery: true }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: logicalId(fanOut.topic) },
      Endpoint: { 'Fn::GetAtt': [logicalId(queue), 'Arn'] },
      RawMessageDelivery: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(fanOut.subscriptionDeadLetterQueue!.queue), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: logicalId(fanOut.topic) } } },
          }),
        ]),
      },
    });
    // The same queue again, through the fan-out's own method, is refused.
    expect(() => fanOut.addQueueSubscriber('Plain', queue)).toThrow(/addQueueSubscriber queue is already subscribed/);
  });

  test('a CloudWatch alarm action: the alarm notifies the topic', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const alarm = new cloudwatch.Alarm(stack, 'Alarm', {
      metric: fanOut.metricNumberOfMessagesPublished(),
      threshold: 1,
      evaluationPeriods: 1,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(fanOut));
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NumberOfMessagesPublished',
      AlarmActions: [{ Ref: logicalId(fanOut.topic) }],
    });
  });

  test("an S3 event notification: the bucket's notification targets the topic, whose policy lets S3 publish for that bucket", () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const bucket = new s3.Bucket(stack, 'Uploads');
    bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SnsDestination(fanOut));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        TopicConfigurations: [Match.objectLike({ TopicArn: { Ref: logicalId(fanOut.topic) } })],
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(fanOut.topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(bucket), 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  test('grants.publish and grantSubscribe act on the topic; the key actions are exact, never kms:GenerateDataKey*', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    fanOut.grants.publish(role);
    fanOut.grantSubscribe(role);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement,
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: logicalId(fanOut.topic) } },
        { Effect: 'Allow', Action: 'sns:Subscribe', Resource: { Ref: logicalId(fanOut.topic) } },
        {
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: { 'Fn::GetAtt': [logicalId(fanOut.encryptionKey as kms.Key), 'Arn'] },
        },
      ]),
    );
    expect(JSON.stringify(statements)).not.toContain('GenerateDataKey*');
  });

  test("metrics are the topic's own, also for a given imported topic", () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const ofFanOut = fanOut.metricNumberOfNotificationsFailed({ period: Duration.minutes(1) });
    const ofTopic = fanOut.topic.metricNumberOfNotificationsFailed({ period: Duration.minutes(1) });
    expect(stack.resolve(ofFanOut.toMetricConfig())).toEqual(stack.resolve(ofTopic.toMetricConfig()));

    const imported = sns.Topic.fromTopicArn(stack, 'Elsewhere', 'arn:aws:sns:eu-west-1:444455556666:orders');
    const ofGiven = new TopicFanOut(stack, 'OrdersElsewhere', { topic: imported });
    expect(stack.resolve(ofGiven.metricNumberOfMessagesPublished().toMetricConfig())).toEqual(
      stack.resolve(imported.metricNumberOfMessagesPublished().toMetricConfig()),
    );
    expect(ofGiven.metricNumberOfMessagesPublished().dimensions).toEqual({ TopicName: 'orders' });
    expect(ofGiven.env).toEqual(imported.env);
  });

  test('a notification rule target: CodeStar Notifications may publish, and use the key through SNS only', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    new notifications.NotificationRule(stack, 'Rule', {
      source: { bindAsNotificationRuleSource: () => ({ sourceArn: 'arn:aws:codecommit:us-east-1:123456789012:repo' }) },
      events: ['codecommit-repository-pull-request-created'],
      targets: [fanOut],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CodeStarNotifications::NotificationRule', {
      Targets: [{ TargetAddress: { Ref: logicalId(fanOut.topic) }, TargetType: 'SNS' }],
    });
    const principal = { Service: 'codestar-notifications.amazonaws.com' };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: principal, Action: 'sns:Publish' })]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: principal,
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Condition: { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
          }),
        ]),
      },
    });
  });

  test('addToResourcePolicy adds to the topic policy', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const result = fanOut.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountPrincipal('111122223333')],
        actions: ['sns:Subscribe'],
        resources: [fanOut.topicArn],
      }),
    );
    expect(result.statementAdded).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(fanOut.topic) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Subscribe' })]) },
    });
  });
});

describe('TopicFanOut of a given topic', () => {
  test('a topic of this app: no topic and no key created, every method works on it', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'OrdersKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'OrdersTopic', { masterKey: key, enforceSSL: true });
    const fanOut = new TopicFanOut(stack, 'Orders', { topic });
    expect(fanOut.topic).toBe(topic);
    expect(fanOut.encryptionKey).toBe(key);
    const queue = fanOut.addQueue('Fulfilment');
    fanOut.addEmailSubscriber('Ops', 'ops@example.com');
    expect(fanOut.allowServicePublish('s3.amazonaws.com', 'arn:aws:s3:::order-uploads')).toEqual([]);
    expect(fanOut.allowAccountPublish('111122223333')).toEqual([]);
    const publisher = testRole(stack, 'Publisher');
    fanOut.grantPublish(publisher);

    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 2); // the given one and the stack alarm topic
    expect(fanOut.node.tryFindChild('Topic')).toBeUndefined();
    expect(fanOut.node.tryFindChild('Key')).toBeUndefined();
    expect(subscriptionOf(template, queue).Properties.TopicArn).toEqual({ Ref: logicalId(topic) });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: logicalId(topic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 's3.amazonaws.com' } })]),
      },
    });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
    expectCompliant(stack);
  });

  test('adds no posture of its own to a given topic: a topic that allows plain HTTP is left as its owner made it', () => {
    const stack = strictStack();
    const topic = new sns.Topic(stack, 'OrdersTopic');
    const fanOut = new TopicFanOut(stack, 'Orders', { topic });
    fanOut.addQueue('Fulfilment');
    Template.fromStack(stack).resourcePropertiesCountIs(
      'AWS::SNS::TopicPolicy',
      { Topics: [{ Ref: logicalId(topic) }] },
      0,
    );
    expect(fanOut.encryptionKey).toBeUndefined();
  });

  test('an imported topic and key: subscribers work, and publishing permissions come back as the statements its owner must add', () => {
    const stack = strictStack();
    const topic = sns.Topic.fromTopicAttributes(stack, 'Shared', {
      topicArn: 'arn:aws:sns:us-east-1:123456789012:orders',
      keyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    const fanOut = new TopicFanOut(stack, 'Orders', { topic });
    const queue = fanOut.addQueue('Fulfilment');
    const template = Template.fromStack(stack);
    expect(subscriptionOf(template, queue).Properties.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:orders');
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(queue.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:us-east-1:123456789012:orders' } },
          }),
        ]),
      },
    });

    const notAdded = fanOut.allowAccountPublish('111122223333');
    expect(stack.resolve(notAdded.map((s) => s.toStatementJson()))).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] } },
        Action: 'sns:Publish',
        Resource: 'arn:aws:sns:us-east-1:123456789012:orders',
      },
      {
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111122223333:root']] } },
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': 'sns.us-east-1.amazonaws.com' } },
      },
    ]);
    const warning = Annotations.fromStack(stack).findWarning('/Stack/Orders', Match.anyValue());
    expect(warning).toHaveLength(1);
    expect(warning[0].entry.data).toMatch(
      /^allowAccountPublish: the topic policy and the topic's key policy are not managed by this app, .*: \[\{"Action":"sns:Publish",.*"Resource":"arn:aws:sns:us-east-1:123456789012:orders"\},\{"Action":\["kms:GenerateDataKey","kms:Decrypt"\],/,
    );
  });

  test('an imported FIFO topic: the fan-out is FIFO, and so are its queues and the shared dead-letter queue', () => {
    const stack = strictStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Shared', 'arn:aws:sns:us-east-1:123456789012:prices.fifo');
    const fanOut = new TopicFanOut(stack, 'Prices', { topic });
    const queue = fanOut.addQueue('Wholesale');
    expect([fanOut.fifo, queue.fifo, fanOut.subscriptionDeadLetterQueue?.fifo]).toEqual([true, true, true]);
    expect(() => fanOut.addEmailSubscriber('Ops', 'ops@example.com')).toThrow(/not available on a FIFO topic/);
  });

  test.each<[string, object, RegExp]>([
    ['fifo', { fifo: true }, /^\[Stack\/Orders\] fifo must not be set with topic \(.*\), got true$/],
    ['topicName', { topicName: 'orders' }, /^\[Stack\/Orders\] topicName must not be set with topic .*, got "orders"$/],
    [
      'contentBasedDeduplication',
      { contentBasedDeduplication: false },
      /contentBasedDeduplication must not be set with topic/,
    ],
    ['encryptionKey', {}, /^\[Stack\/Orders\] encryptionKey must not be set with topic .*, got "Stack\/Key"$/],
  ])('%s must not be given with topic', (prop, extra, message) => {
    const stack = strictStack();
    const topic = new sns.Topic(stack, 'OrdersTopic', { enforceSSL: true });
    const props = prop === 'encryptionKey' ? { encryptionKey: new kms.Key(stack, 'Key') } : extra;
    expect(() => new TopicFanOut(stack, 'Orders', { topic, ...props })).toThrow(message);
  });
});

describe('TopicFanOut construct ids', () => {
  function logicalIds(subscribers: string[]): Record<string, string> {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    for (const id of subscribers) {
      if (id.startsWith('Mail')) {
        fanOut.addEmailSubscriber(id, `${id.toLowerCase()}@example.com`);
      } else {
        fanOut.addQueue(id);
      }
    }
    Template.fromStack(stack);
    return Object.fromEntries(
      stack.node
        .findAll()
        .filter(CfnResource.isCfnResource)
        .map((r) => [r.node.path, stack.resolve(r.logicalId)]),
    );
  }

  test('removing a subscriber renames no other resource', () => {
    const all = logicalIds(['Fulfilment', 'MailOps', 'Billing', 'Analytics']);
    const fewer = logicalIds(['Fulfilment', 'Analytics']);
    expect(Object.keys(fewer).length).toBeGreaterThan(20);
    for (const [path, logical] of Object.entries(fewer)) {
      expect([path, all[path]]).toEqual([path, logical]);
    }
  });

  test.each<[string, (fanOut: TopicFanOut, stack: Stack) => void, RegExp]>([
    [
      'the same id twice in one method',
      (f) => {
        f.addQueue('Fulfilment');
        f.addQueue('Fulfilment');
      },
      /^\[Stack\/Orders\] addQueue id is already the id of another subscriber of this TopicFanOut .*, got "Fulfilment"$/,
    ],
    [
      'the same id in two methods',
      (f) => {
        f.addQueue('Ops');
        f.addEmailSubscriber('Ops', 'ops@example.com');
      },
      /^\[Stack\/Orders\] addEmailSubscriber id is already the id of another subscriber .*, got "Ops"$/,
    ],
    [
      'the same email address twice',
      (f) => {
        f.addEmailSubscriber('Ops', 'ops@example.com');
        f.addEmailSubscriber('OpsAgain', 'ops@example.com');
      },
      /^\[Stack\/Orders\] addEmailSubscriber address is already subscribed through this TopicFanOut, as "Ops" \(each endpoint once\), got "ops@example\.com"$/,
    ],
    [
      'the same queue through addQueue and addQueueSubscriber',
      (f) => {
        const queue = f.addQueue('Fulfilment');
        f.addQueueSubscriber('FulfilmentAgain', queue);
      },
      /^\[Stack\/Orders\] addQueueSubscriber queue is already subscribed through this TopicFanOut, as "Fulfilment"/,
    ],
    [
      'the same imported queue twice, imported twice',
      (f, stack) => {
        f.addQueueSubscriber('A', sqs.Queue.fromQueueArn(stack, 'A', 'arn:aws:sqs:us-east-1:123456789012:q'));
        f.addQueueSubscriber('B', sqs.Queue.fromQueueArn(stack, 'B', 'arn:aws:sqs:us-east-1:123456789012:q'));
      },
      /addQueueSubscriber queue is already subscribed through this TopicFanOut, as "A"/,
    ],
    [
      'the same URL token twice',
      (f) => {
        const url = Lazy.string({ produce: () => 'https://hooks.example.com' });
        f.addHttpsSubscriber('A', url);
        f.addHttpsSubscriber('B', url);
      },
      /addHttpsSubscriber url is already subscribed through this TopicFanOut, as "A"/,
    ],
    [
      'the same function twice',
      (f, stack) => {
        const fn = importedFunction(stack);
        f.addLambdaSubscriber('A', fn);
        f.addLambdaSubscriber('B', fn);
      },
      /addLambdaSubscriber fn is already subscribed through this TopicFanOut, as "A"/,
    ],
    [
      'the same URL through addHttpsSubscriber and an aws-cdk-lib UrlSubscription',
      (f) => {
        f.addHttpsSubscriber('Hooks', 'https://hooks.example.com');
        f.addSubscription(new subscriptions.UrlSubscription('https://hooks.example.com'));
      },
      /addSubscription topicSubscription is already subscribed through this TopicFanOut, as "Hooks"/,
    ],
  ])('refuses %s', (_name, build, message) => {
    const stack = strictStack();
    expect(() => build(new TopicFanOut(stack, 'Orders'), stack)).toThrow(message);
  });

  test('ids are never folded from an endpoint: a token endpoint is subscribed under the id it was given', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const token = (value: string) => Lazy.string({ produce: () => value });
    fanOut.addHttpsSubscriber('Hooks', token('https://hooks.example.com'));
    fanOut.addEmailSubscriber('Ops', 'ops@example.com');
    expect(fanOut.subscriptions.map((s) => s.node.path)).toEqual([
      'Stack/Orders/Subscriptions/Hooks',
      'Stack/Orders/Subscriptions/Ops',
    ]);
    expect(() => fanOut.addSubscription(new subscriptions.EmailSubscription(token('x@example.com')))).toThrow(
      /addSubscription topicSubscription must name its subscription with an id known at synth/,
    );
  });
});

describe('TopicFanOut removal policy', () => {
  function deletionPolicies(stack: Stack): Record<string, string> {
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
    return Object.fromEntries(
      stack.node
        .findAll()
        .filter(CfnResource.isCfnResource)
        .filter((r) => ['AWS::SQS::Queue', 'AWS::KMS::Key'].includes(r.cfnResourceType))
        .map((r) => [r.node.path, resources[stack.resolve(r.logicalId)].DeletionPolicy]),
    );
  }

  test('DESTROY reaches the topic key, the queues addQueue creates and the shared dead-letter queue and its key, unless a queue says otherwise', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders', { removalPolicy: RemovalPolicy.DESTROY });
    fanOut.addQueue('Fulfilment', { encryption: WorkQueueEncryption.KMS });
    fanOut.addQueue('Ledger', { removalPolicy: RemovalPolicy.RETAIN });
    expect(deletionPolicies(stack)).toEqual({
      'Stack/Orders/Key/Resource': 'Delete',
      'Stack/Orders/Queues/Fulfilment/Key/Resource': 'Delete',
      'Stack/Orders/Queues/Fulfilment/DeadLetterQueue/Resource': 'Delete',
      'Stack/Orders/Queues/Fulfilment/Queue/Resource': 'Delete',
      'Stack/Orders/SubscriptionDeadLetterQueue/Key/Resource': 'Delete',
      'Stack/Orders/SubscriptionDeadLetterQueue/DeadLetterQueue/Resource': 'Delete',
      'Stack/Orders/SubscriptionDeadLetterQueue/Queue/Resource': 'Delete',
      'Stack/Orders/Queues/Ledger/DeadLetterQueue/Resource': 'Retain',
      'Stack/Orders/Queues/Ledger/Queue/Resource': 'Retain',
      'Stack/DecouplingPatternsAlarmTopic/Key/Resource': 'Retain',
    });
  });

  test('applyRemovalPolicy reaches the same resources, also those created later', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    fanOut.addQueue('Fulfilment');
    fanOut.applyRemovalPolicy(RemovalPolicy.DESTROY);
    fanOut.addQueue('Billing');
    const policies = deletionPolicies(stack);
    expect(
      Object.entries(policies)
        .filter(([path]) => path.startsWith('Stack/Orders/'))
        .every(([, policy]) => policy === 'Delete'),
    ).toBe(true);
    expect(Object.keys(policies)).toContain('Stack/Orders/Queues/Billing/Queue/Resource');
  });

  test.each([
    [
      RemovalPolicy.SNAPSHOT,
      /^\[Stack\/Orders\] removalPolicy must be .*: CloudFormation cannot snapshot SQS queues and KMS keys, got "RemovalPolicy.SNAPSHOT"$/,
    ],
    ['delete' as RemovalPolicy, /^\[Stack\/Orders\] removalPolicy must be RemovalPolicy.RETAIN, .*, got "delete"$/],
  ])('refuses %s', (removalPolicy, message) => {
    expect(() => new TopicFanOut(strictStack(), 'Orders', { removalPolicy })).toThrow(message);
  });
});

describe('TopicFanOut resource weight', () => {
  /** One fan-out with `queues` queues at default props in one strict stack; the app, so the caller can synthesize. */
  function fanOutWith(queues: number): { app: App; stack: Stack } {
    const app = strictApp();
    const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
    const fanOut = new TopicFanOut(stack, 'Orders');
    for (let i = 0; i < queues; i++) {
      fanOut.addQueue(`Queue${i}`);
    }
    return { app, stack };
  }

  function resourceCount(queues: number): number {
    return Object.keys(Template.fromStack(fanOutWith(queues).stack).toJSON().Resources).length;
  }

  test('60 queue subscribers on one topic fit in one stack, with the stack alarm topic, and synthesize', () => {
    const { app, stack } = fanOutWith(60);
    const assembly = app.synth();
    expect(Object.keys(assembly.getStackByName(stack.stackName).template.Resources).length).toBeLessThanOrEqual(500);
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('the largest number of queue subscribers that fits synthesizes; one more hits the 500-resource limit', () => {
    const perQueue = resourceCount(2) - resourceCount(1);
    const fixed = resourceCount(1) - perQueue;
    const most = Math.floor((500 - fixed) / perQueue);
    expect(most).toBeGreaterThanOrEqual(60);
    expect(() => fanOutWith(most).app.synth()).not.toThrow();
    expect(() => fanOutWith(most + 1).app.synth()).toThrow(
      new RegExp(
        `Number of resources in stack 'Stack': ${fixed + perQueue * (most + 1)} is greater than allowed maximum of 500`,
      ),
    );
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
      (stack) => new TopicFanOut(stack, 'Orders').addQueueSubscriber('Q', new WorkQueue(stack, 'Q', { fifo: true })),
      /^\[Stack\/Orders\] addQueueSubscriber queue must be a standard queue behind a standard topic .*, got "Stack\/Q"$/,
    ],
    [
      'a queue encrypted with the AWS-managed alias/aws/sqs key (addQueue)',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Fulfilment', {
          encryptionKey: kms.Alias.fromAliasName(stack, 'AwsSqs', 'alias/aws/sqs'),
        }),
      /^\[Stack\/Orders\/Queues\/Fulfilment\] encryptionKey must be a customer-managed key, not the AWS-managed alias\/aws\/sqs/,
    ],
    [
      'a queue encrypted with the AWS-managed alias/aws/sqs key (addQueueSubscriber)',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueueSubscriber(
          'Legacy',
          new sqs.Queue(stack, 'Legacy', { encryption: sqs.QueueEncryption.KMS_MANAGED }),
        ),
      /^\[Stack\/Orders\] addQueueSubscriber queue must not be encrypted with the AWS-managed alias\/aws\/sqs key .*, got "Stack\/Legacy"$/,
    ],
    [
      "an existing queue sharing the topic's key (addQueueSubscriber)",
      (stack) => {
        const key = new kms.Key(stack, 'Shared', { enableKeyRotation: true });
        new TopicFanOut(stack, 'Orders', { encryptionKey: key }).addQueueSubscriber(
          'Q',
          new WorkQueue(stack, 'Q', { encryptionKey: key }),
        );
      },
      /^\[Stack\/Orders\] addQueueSubscriber queue must not be encrypted with the topic's encryptionKey .*dependency cycle.*, got "Stack\/Q"$/,
    ],
    [
      'a standard dead-letter queue behind a FIFO topic',
      (stack) =>
        new TopicFanOut(stack, 'Prices', { fifo: true }).addQueue('Wholesale', {
          deadLetterQueue: new WorkQueue(stack, 'Undeliverable'),
        }),
      /^\[Stack\/Prices\] addQueue\("Wholesale"\) deadLetterQueue must be a FIFO queue behind a FIFO topic .*, got "Stack\/Undeliverable"$/,
    ],
    [
      'a FIFO dead-letter queue behind a standard topic',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', {
          deadLetterQueue: new WorkQueue(stack, 'Undeliverable', { fifo: true }),
        }),
      /^\[Stack\/Orders\] addHttpsSubscriber\("Hooks"\) deadLetterQueue must be a standard queue behind a standard topic/,
    ],
    [
      'a dead-letter queue under the AWS-managed alias/aws/sqs key',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Fulfilment', {
          deadLetterQueue: new sqs.Queue(stack, 'Undeliverable', { encryption: sqs.QueueEncryption.KMS_MANAGED }),
        }),
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) deadLetterQueue must not be encrypted with the AWS-managed alias\/aws\/sqs key/,
    ],
    [
      'a dead-letter queue in another account',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Fulfilment', {
          deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Far', 'arn:aws:sqs:us-east-1:999999999999:undeliverable'),
        }),
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) deadLetterQueue must be in the account and Region of the subscription \(123456789012, us-east-1; an SNS limit\), got "arn:aws:sqs:us-east-1:999999999999:undeliverable"$/,
    ],
    [
      'a dead-letter queue in another Region',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Fulfilment', {
          deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Far', 'arn:aws:sqs:eu-west-1:123456789012:undeliverable'),
        }),
      /deadLetterQueue must be in the account and Region of the subscription/,
    ],
    [
      "a queue sharing the topic's key",
      (stack) => {
        const key = new kms.Key(stack, 'Shared', { enableKeyRotation: true });
        new TopicFanOut(stack, 'Orders', { encryptionKey: key }).addQueue('Fulfilment', { encryptionKey: key });
      },
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) encryptionKey must not be the topic's encryptionKey .*dependency cycle/,
    ],
    [
      'an http:// URL',
      (stack) => new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'http://hooks.example.com/orders'),
      /^\[Stack\/Orders\] addHttpsSubscriber url must be an https:\/\/ URL .*, got "http:\/\/hooks\.example\.com\/orders"$/,
    ],
    [
      'an HTTPS subscriber on a FIFO topic',
      (stack) =>
        new TopicFanOut(stack, 'Orders', { fifo: true }).addHttpsSubscriber('Hooks', 'https://hooks.example.com'),
      /^\[Stack\/Orders\] addHttpsSubscriber is not available on a FIFO topic .*, got "https:\/\/hooks\.example\.com"$/,
    ],
    [
      'a Lambda subscriber on a FIFO topic',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: true }).addLambdaSubscriber('Audit', importedFunction(stack)),
      /^\[Stack\/Orders\] addLambdaSubscriber is not available on a FIFO topic/,
    ],
    [
      'an email subscriber on a FIFO topic',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: true }).addEmailSubscriber('Ops', 'ops@example.com'),
      /^\[Stack\/Orders\] addEmailSubscriber is not available on a FIFO topic/,
    ],
    [
      'an SMS subscriber on a FIFO topic',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: true }).addSmsSubscriber('OnCall', '+14155550100'),
      /^\[Stack\/Orders\] addSmsSubscriber is not available on a FIFO topic/,
    ],
    [
      'an invalid email address',
      (stack) => new TopicFanOut(stack, 'Orders').addEmailSubscriber('Ops', 'ops-at-example.com'),
      /^\[Stack\/Orders\] addEmailSubscriber address must be an email address, got "ops-at-example\.com"$/,
    ],
    [
      'a phone number not in E.164',
      (stack) => new TopicFanOut(stack, 'Orders').addSmsSubscriber('OnCall', '0415 555 0100'),
      /^\[Stack\/Orders\] addSmsSubscriber phoneNumber must be in E\.164 format.*, got "0415 555 0100"$/,
    ],
    [
      'the same email subscribed twice',
      (stack) => {
        const fanOut = new TopicFanOut(stack, 'Orders');
        fanOut.addEmailSubscriber('Ops', 'ops@example.com');
        fanOut.addEmailSubscriber('Pager', 'ops@example.com');
      },
      /^\[Stack\/Orders\] addEmailSubscriber address is already subscribed through this TopicFanOut, as "Ops" \(each endpoint once\), got "ops@example\.com"$/,
    ],
    [
      'more than 101 retries',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', {
          deliveryPolicy: { healthyRetryPolicy: { numRetries: 101 } },
        }),
      /^\[Stack\/Orders\] addHttpsSubscriber\("Hooks"\) deliveryPolicy\.healthyRetryPolicy\.numRetries must be an integer between 0 and 100, got 101$/,
    ],
    [
      'a delay target above an hour',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', {
          deliveryPolicy: { healthyRetryPolicy: { maxDelayTarget: Duration.seconds(3601) } },
        }),
      /deliveryPolicy\.healthyRetryPolicy\.maxDelayTarget must be a whole number of seconds between 1 and 3600, got 1 hour 1 second$/,
    ],
    [
      'minDelayTarget above maxDelayTarget',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', {
          deliveryPolicy: {
            healthyRetryPolicy: { minDelayTarget: Duration.seconds(60), maxDelayTarget: Duration.seconds(30) },
          },
        }),
      /deliveryPolicy\.healthyRetryPolicy\.minDelayTarget must not exceed maxDelayTarget \(30 seconds\), got 1 minute$/,
    ],
    [
      'phase counts above numRetries',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', {
          deliveryPolicy: { healthyRetryPolicy: { numRetries: 3, numMinDelayRetries: 2, numMaxDelayRetries: 2 } },
        }),
      /deliveryPolicy\.healthyRetryPolicy numNoDelayRetries \+ numMinDelayRetries \+ numMaxDelayRetries must not exceed numRetries \(3\), got 4$/,
    ],
    [
      'a retry policy longer than an hour in all',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', {
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
        new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', {
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
      /^\[Stack\/Orders\] addQueue\("Analytics"\) filterPolicy may have at most 5 top-level keys \(an SNS limit\), got "6 keys \(a, b, c, d, e, f\)"$/,
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
    [
      'a source account that is not 12 digits',
      (stack) => new TopicFanOut(stack, 'Orders').allowServicePublish('s3.amazonaws.com', 'arn:aws:s3:::b', '12'),
      /^\[Stack\/Orders\] allowServicePublish sourceAccount must be a 12-digit AWS account id, got "12"$/,
    ],
  ];

  test.each(cases)('%s', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });

  test('values given as tokens are not validated at synth', () => {
    const stack = strictStack();
    const token = (value: string) => Lazy.string({ produce: () => value });
    const fanOut = new TopicFanOut(stack, 'Orders', { topicName: token('orders') });
    fanOut.addHttpsSubscriber('Hooks', token('https://hooks.example.com'));
    fanOut.addHttpsSubscriber('Other', token('https://other.example.com'));
    fanOut.addEmailSubscriber('Ops', token('ops@example.com'));
    fanOut.addSmsSubscriber('OnCall', token('+14155550100'));
    fanOut.allowAccountPublish(token('111122223333'));
    fanOut.allowServicePublish(token('s3.amazonaws.com'), token('arn:aws:s3:::bucket'));
    expect(fanOut.subscriptions.map((s) => s.node.id)).toEqual(['Hooks', 'Other', 'Ops', 'OnCall']);
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});
