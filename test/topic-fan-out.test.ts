import { App, CfnParameter, CfnResource, Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
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
import { ENV_MATRIX, logicalId, STRICT_VALIDATION_CONTEXT, strictApp, strictStack, testRole } from '../harness/app';
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

  test('every subscription redrives to one shared dead-letter queue: a WorkQueue under a key of its own, kept 10 days, its own dead-letter queue 14', () => {
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
      MessageRetentionPeriod: 10 * 24 * 3600,
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(dlq.encryptionKey as kms.Key), 'Arn'] },
      RedrivePolicy: { maxReceiveCount: 5 },
    });
    // Longer than the queue it serves, so a notification moved on keeps days there (SQS keeps the enqueue time).
    expect(template.toJSON().Resources[logicalId(dlq.deadLetterQueue)].Properties.MessageRetentionPeriod).toBe(
      FOURTEEN_DAYS,
    );
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
      Threshold: 10 * 24 * 3600 * 0.75,
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
      /^\[Stack\/Orders\] contentBasedDeduplication must be false or unset on a standard topic \(content-based deduplication is for FIFO topics: set fifo to true\), got true$/,
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
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) encryptionKey must not be the AWS-managed alias\/aws\/sqs key \(its policy cannot let SNS use it, so every message would be lost\); use encryption SQS_MANAGED or a customer-managed key, got "alias\/aws\/sqs"$/,
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
      /^\[Stack\/Orders\] addEmailSubscriber address must be an email address: a local part of at most 64 octets, "@" and a domain, at most 254 characters in all \(RFC 5321\), got "ops-at-example\.com"$/,
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
      /^\[Stack\/Orders\] addHttpsSubscriber\("Hooks"\) deliveryPolicy\.throttlePolicy\.maxReceivesPerSecond must be an integer of at least 1 \(and at most 2,147,483,647, an int\), got 0$/,
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

describe.each(ENV_MATRIX)('TopicFanOut %s', (_name, makeStack) => {
  test('with default props synthesizes strictly and passes every pack', () => {
    const stack = makeStack();
    new TopicFanOut(stack, 'Orders').addQueue('Fulfilment');
    expectCompliant(stack);
  });

  test('with every feature on synthesizes strictly and passes every pack', () => {
    const stack = makeStack();
    fullyFeaturedFanOut(stack);
    expectCompliant(stack);
  });

  test('FIFO synthesizes strictly and passes every pack', () => {
    const stack = makeStack();
    fifoFanOut(stack);
    expectCompliant(stack);
  });
});

/** The messages every construct writes: errors and warnings show tokens as what they stand for. */
function warningsOf(stack: Stack): string[] {
  return stack.node
    .findAll()
    .flatMap((c) =>
      c.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => `${c.node.path}: ${m.data}`),
    );
}

describe('TopicFanOut never drops the statements SNS needs', () => {
  const IMPORTED_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

  test('addQueue with an imported customer-managed key: the key statement is returned on the subscription and warned about', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    fanOut.addQueue('Fulfilment', { encryptionKey: kms.Key.fromKeyArn(stack, 'Imported', IMPORTED_KEY) });
    const [subscription] = fanOut.subscriptions;
    expect(stack.resolve(subscription.statementsForEndpointOwner.map((s) => s.toStatementJson()))).toEqual([
      snsMayUseKey(fanOut.topic),
    ]);
    const warnings = warningsOf(stack).filter((w) => w.startsWith('Stack/Orders/Subscriptions/Fulfilment: '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        `^Stack/Orders/Subscriptions/Fulfilment: key policy of ${IMPORTED_KEY.replace(/\//g, '\\/')} is not managed by this app, so SNS cannot deliver to Stack/Orders/Queues/Fulfilment until the owner adds these statements \\(they are in statementsForEndpointOwner of Stack/Orders/Subscriptions/Fulfilment\\) .*: to the key policy of .*"kms:GenerateDataKey","kms:Decrypt".*"<ARN of the topic Stack/Orders/Topic>"`,
      ),
    );
  });

  test('addQueueSubscriber with a queue of this app under an imported key: only the key statement, and the warning names the queue, not a token', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = new sqs.Queue(stack, 'Legacy', {
      encryptionMasterKey: kms.Key.fromKeyArn(stack, 'Imported', IMPORTED_KEY),
      enforceSSL: true,
    });
    const subscription = fanOut.addQueueSubscriber('Legacy', queue);
    expect(stack.resolve(subscription.statementsForEndpointOwner.map((s) => s.toStatementJson()))).toEqual([
      snsMayUseKey(fanOut.topic),
    ]);
    const [warning] = warningsOf(stack).filter((w) => w.startsWith('Stack/Orders/Subscriptions/Legacy: '));
    expect(warning).toContain('SNS cannot deliver to Stack/Legacy until');
    expect(warning).not.toMatch(/\$\{Token\[/);
  });

  test("aws-cdk-lib's SqsSubscription of an imported queue and key: what aws-cdk-lib dropped silently is warned about", () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = sqs.Queue.fromQueueAttributes(stack, 'Legacy', {
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:legacy',
      keyArn: IMPORTED_KEY,
    });
    fanOut.addSubscription(new subscriptions.SqsSubscription(queue));
    const warnings = warningsOf(stack).filter((w) => /endpointPolicyNotManaged/.test(w));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /queue policy of arn:aws:sqs:us-east-1:123456789012:legacy and key policy of arn:aws:kms:.* are not managed by this app, .*to the queue policy of .*"sqs:SendMessage".*to the key policy of .*"kms:GenerateDataKey","kms:Decrypt"/,
    );
  });

  test("aws-cdk-lib's SqsSubscription of a queue of this app: no warning, and its statements render once", () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const queue = new WorkQueue(stack, 'Fulfilment', { encryption: WorkQueueEncryption.KMS });
    fanOut.addSubscription(new subscriptions.SqsSubscription(queue));
    expect(warningsOf(stack).filter((w) => /endpointPolicyNotManaged/.test(w))).toEqual([]);
    const template = Template.fromStack(stack);
    const [policy] = Object.values(
      template.findResources('AWS::SQS::QueuePolicy', { Properties: { Queues: [{ Ref: logicalId(queue.queue) }] } }),
    );
    const sends = policy.Properties.PolicyDocument.Statement.filter(
      (s: any) => s.Action === 'sqs:SendMessage' && s.Effect === 'Allow',
    );
    expect(sends).toHaveLength(1);
  });

  test('a Lambda function whose policy this app cannot change: the invoke statement is returned and warned about', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    const fn = lambda.Function.fromFunctionArn(stack, 'Far', 'arn:aws:lambda:us-east-1:999999999999:function:audit');
    const subscription = fanOut.addLambdaSubscriber('Audit', fn);
    expect(stack.resolve(subscription.statementsForEndpointOwner.map((s) => s.toStatementJson()))).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'lambda:InvokeFunction',
        Resource: 'arn:aws:lambda:us-east-1:999999999999:function:audit',
        Condition: { ArnLike: { 'AWS:SourceArn': { Ref: logicalId(fanOut.topic) } } },
      },
    ]);
    const warnings = warningsOf(stack);
    expect(
      warnings.filter((w) =>
        /resource policy of the function arn:aws:lambda:us-east-1:999999999999:function:audit is not managed/.test(w),
      ),
    ).toHaveLength(1);
    // aws-cdk-lib's own, vaguer warning is superseded by this one.
    expect(warnings.filter((w) => /addPermission\(\) has no effect/.test(w))).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Permission', 0);
  });

  test('grantPublish to a principal that takes no identity policy, on an imported topic and key: the statements come back in a warning', () => {
    const stack = strictStack();
    const topic = sns.Topic.fromTopicAttributes(stack, 'Shared', {
      topicArn: 'arn:aws:sns:us-east-1:123456789012:orders',
      keyArn: IMPORTED_KEY,
    });
    const grant = new TopicFanOut(stack, 'Orders', { topic }).grantPublish(
      new iam.ServicePrincipal('events.amazonaws.com'),
    );
    expect(grant.resourceStatements.length).toBe(2);
    const warnings = warningsOf(stack).filter((w) => /grantPolicyNotManaged/.test(w));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^Stack\/Orders: grantPublish: the grantee takes no identity policy and these policies are not managed by this app, .*to the topic policy of arn:aws:sns:us-east-1:123456789012:orders: \[\{"Action":"sns:Publish".*to the key policy of arn:aws:kms:.*"kms:GenerateDataKey","kms:Decrypt"/,
    );
  });

  test('grantPublish to a role: nothing to warn about, exact actions only', () => {
    const stack = strictStack();
    const topic = sns.Topic.fromTopicAttributes(stack, 'Shared', {
      topicArn: 'arn:aws:sns:us-east-1:123456789012:orders',
      keyArn: IMPORTED_KEY,
    });
    new TopicFanOut(stack, 'Orders', { topic }).grantPublish(testRole(stack, 'Publisher'));
    expect(warningsOf(stack).filter((w) => /grantPolicyNotManaged/.test(w))).toEqual([]);
  });

  test.each<[string, (stack: Stack) => void, RegExp]>([
    [
      'allowServicePublish on a topic under the AWS-managed alias/aws/sns key',
      (stack) =>
        new TopicFanOut(stack, 'Orders', {
          encryptionKey: kms.Alias.fromAliasName(stack, 'AwsSns', 'alias/aws/sns'),
        }).allowServicePublish('s3.amazonaws.com', 'arn:aws:s3:::order-uploads'),
      /^\[Stack\/Orders\] allowServicePublish cannot let s3\.amazonaws\.com publish to a topic under the AWS-managed alias\/aws\/sns key: nobody can change its policy to let them use it; give the topic a customer-managed key, got "s3\.amazonaws\.com"$/,
    ],
    [
      'allowAccountPublish on a topic under the AWS-managed alias/aws/sns key',
      (stack) =>
        new TopicFanOut(stack, 'Orders', {
          encryptionKey: kms.Alias.fromAliasName(stack, 'AwsSns', 'alias/aws/sns'),
        }).allowAccountPublish('111122223333'),
      /^\[Stack\/Orders\] allowAccountPublish cannot let 111122223333 publish to a topic under the AWS-managed alias\/aws\/sns key: .*, got "111122223333"$/,
    ],
    [
      'grantPublish to a service principal on a topic under the AWS-managed alias/aws/sns key',
      (stack) =>
        new TopicFanOut(stack, 'Orders', {
          encryptionKey: kms.Alias.fromAliasName(stack, 'AwsSns', 'alias/aws/sns'),
        }).grantPublish(new iam.ServicePrincipal('events.amazonaws.com')),
      /^\[Stack\/Orders\] grantPublish grantee cannot publish to a topic under the AWS-managed alias\/aws\/sns key: it takes no identity policy, and nobody can change that key's policy; give the topic a customer-managed key, got "ServicePrincipal\(events\.amazonaws\.com\)"$/,
    ],
    [
      "aws-cdk-lib's SqsSubscription of a queue under the AWS-managed alias/aws/sqs key",
      (stack) =>
        new TopicFanOut(stack, 'Orders').addSubscription(
          new subscriptions.SqsSubscription(
            sqs.Queue.fromQueueAttributes(stack, 'Legacy', {
              queueArn: 'arn:aws:sqs:us-east-1:123456789012:legacy',
              keyArn: 'arn:aws:kms:us-east-1:123456789012:alias/aws/sqs',
            }),
          ),
        ),
      /^\[Stack\/Orders\] addSubscription topicSubscription must not be encrypted with the AWS-managed alias\/aws\/sqs key \(SNS cannot use it, so every message would be lost\); use SSE-SQS or a customer-managed key, got "Stack\/Legacy"$/,
    ],
    [
      "aws-cdk-lib's SqsSubscription of an SSE-KMS queue under the AWS-managed key: aws-cdk-lib's refusal, named",
      (stack) =>
        new TopicFanOut(stack, 'Orders').addSubscription(
          new subscriptions.SqsSubscription(
            new sqs.Queue(stack, 'Legacy', { encryption: sqs.QueueEncryption.KMS_MANAGED }),
          ),
        ),
      /^\[Stack\/Orders\] addSubscription topicSubscription cannot be subscribed: aws-cdk-lib refused it \(SQS queue encrypted by AWS managed KMS key cannot be used as SNS subscription\), got "SqsSubscription"$/,
    ],
  ])('refuses %s', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });
});

describe('TopicFanOut subscribes each endpoint once, and never refuses two for their ids', () => {
  function fanOut(): TopicFanOut {
    return new TopicFanOut(strictStack(), 'Orders');
  }

  test.each([
    [
      'host and scheme case, default port, fragment',
      'https://hooks.example.com/orders',
      'HTTPS://Hooks.EXAMPLE.com:443/orders#top',
    ],
    ['an empty path and "/"', 'https://hooks.example.com', 'https://hooks.example.com/'],
    ['a percent-encoded unreserved character', 'https://hooks.example.com/~ops', 'https://hooks.example.com/%7Eops'],
    ['percent-encoding hex case', 'https://hooks.example.com/a%2fb', 'https://hooks.example.com/a%2Fb'],
    ['dot segments', 'https://hooks.example.com/a/../orders', 'https://hooks.example.com/orders'],
  ])('the same URL by RFC 3986 (%s) is refused, through two methods too', (_name, first, second) => {
    const f = fanOut();
    f.addHttpsSubscriber('First', first);
    expect(() => f.addHttpsSubscriber('Second', second)).toThrow(
      new RegExp(
        `^\\[Stack\\/Orders\\] addHttpsSubscriber url is already subscribed through this TopicFanOut, as "First" \\(each endpoint once\\), got "${second.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"$`,
      ),
    );
    // aws-cdk-lib's UrlSubscription itself takes only a lower-case scheme.
    if (/^https:\/\//.test(second)) {
      expect(() => f.addSubscription(new subscriptions.UrlSubscription(second))).toThrow(
        /^\[Stack\/Orders\] addSubscription topicSubscription is already subscribed through this TopicFanOut, as "First"/,
      );
    }
  });

  test.each([
    ['a path that differs in case', 'https://hooks.example.com/orders', 'https://hooks.example.com/Orders'],
    ['a trailing slash on a path', 'https://hooks.example.com/orders', 'https://hooks.example.com/orders/'],
    ['another query', 'https://hooks.example.com/orders?a=1', 'https://hooks.example.com/orders?a=2'],
    [
      '"/" and "--", which construct ids fold together',
      'https://hooks.example.com/a/b',
      'https://hooks.example.com/a--b',
    ],
    ['"." and "_", which logical ids drop', 'https://hooks.example.com/a.b', 'https://hooks.example.com/a_b'],
    ['userinfo', 'https://ops@hooks.example.com/', 'https://OPS@hooks.example.com/'],
  ])('two URLs that are not the same (%s) are both subscribed', (_name, first, second) => {
    const f = fanOut();
    f.addHttpsSubscriber('First', first);
    f.addHttpsSubscriber('Second', second);
    expect(f.subscriptions).toHaveLength(2);
  });

  test("two URLs whose aws-cdk-lib ids fold together both subscribe through addSubscription: the second's id has a hash", () => {
    const f = fanOut();
    const stack = Stack.of(f);
    f.addSubscription(new subscriptions.UrlSubscription('https://hooks.example.com/a/b'));
    f.addSubscription(new subscriptions.UrlSubscription('https://hooks.example.com/a--b'));
    const template = Template.fromStack(stack);
    expect(
      Object.values(template.findResources('AWS::SNS::Subscription'))
        .map((r: any) => r.Properties.Endpoint)
        .sort(),
    ).toEqual(['https://hooks.example.com/a--b', 'https://hooks.example.com/a/b']);
    const ids = (stack.node.findChild('Orders').node.findChild('Subscriptions') as any).node.children.map(
      (c: any) => c.node.id,
    );
    expect(ids).toEqual([
      'https:----hooks.example.com--a--b',
      expect.stringMatching(/^https:----hooks\.example\.com--a--b-[0-9a-f]{8}$/),
    ]);
  });

  test('email addresses: the domain is case-insensitive (RFC 5321), the local part is not', () => {
    const f = fanOut();
    f.addEmailSubscriber('Ops', 'ops@example.com');
    expect(() => f.addEmailSubscriber('Ops2', 'ops@EXAMPLE.com')).toThrow(
      /^\[Stack\/Orders\] addEmailSubscriber address is already subscribed through this TopicFanOut, as "Ops" \(each endpoint once\), got "ops@EXAMPLE\.com"$/,
    );
    f.addEmailSubscriber('OpsUpper', 'Ops@example.com');
    f.addEmailSubscriber('Dotted', 'o.ps@example.com');
    f.addEmailSubscriber('Underscored', 'o_ps@example.com');
    f.addEmailSubscriber('Slashed', 'o/ps@example.com');
    f.addEmailSubscriber('Dashed', 'o--ps@example.com');
    expect(f.subscriptions).toHaveLength(6);
  });

  test.each<[string, (f: TopicFanOut) => void, RegExp]>([
    [
      'an id that folds into another ("/" becomes "--")',
      (f) => {
        f.addQueue('a/b');
        f.addEmailSubscriber('a--b', 'ops@example.com');
      },
      /^\[Stack\/Orders\] addEmailSubscriber id must not fold into the id of another subscriber of this TopicFanOut: construct ids turn "\/" into "--", so it would be the same construct as "a\/b", got "a--b"$/,
    ],
    [
      'an empty id',
      (f) => f.addQueue(''),
      /^\[Stack\/Orders\] addQueue id must be a non-empty string \(the construct id of the subscriber\), got ""$/,
    ],
    [
      'an id given as a token',
      (f) => f.addQueue(Lazy.string({ produce: () => 'Fulfilment' })),
      /^\[Stack\/Orders\] addQueue id must be known at synth, not a deploy-time value \(it is a construct id\), got a deploy-time value "Fulfilment"$/,
    ],
    [
      'an id that is not a string (JavaScript)',
      (f) => f.addSmsSubscriber(7 as unknown as string, '+14155550100'),
      /^\[Stack\/Orders\] addSmsSubscriber id must be a non-empty string \(the construct id of the subscriber\), got 7$/,
    ],
  ])('refuses %s', (_name, build, message) => {
    expect(() => build(fanOut())).toThrow(message);
  });
});

describe('TopicFanOut passes values given as tokens through', () => {
  test('token URL, email, phone number and topic name reach the template; no message shows ${Token[...]}', () => {
    const stack = strictStack();
    const token = (value: string) => Lazy.string({ produce: () => value });
    const fanOut = new TopicFanOut(stack, 'Orders', { topicName: token('orders') });
    fanOut.addHttpsSubscriber('Hooks', token('https://hooks.example.com'));
    fanOut.addEmailSubscriber('Ops', token('ops@example.com'));
    fanOut.addSmsSubscriber('OnCall', token('+14155550100'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'orders' });
    for (const endpoint of ['https://hooks.example.com', 'ops@example.com', '+14155550100']) {
      template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: endpoint });
    }
    expect(warningsOf(stack).filter((w) => /\$\{Token\[/.test(w))).toEqual([]);
  });

  test('an imported topic whose ARN is a deploy-time value', () => {
    const stack = strictStack();
    const arn = new CfnParameter(stack, 'TopicArn', { type: 'String' }).valueAsString;
    const fanOut = new TopicFanOut(stack, 'Orders', { topic: sns.Topic.fromTopicArn(stack, 'Shared', arn) });
    fanOut.addQueue('Fulfilment');
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', { TopicArn: { Ref: 'TopicArn' } });
  });

  test('delivery-policy numbers and Durations given as tokens reach the DeliveryPolicy as they are', () => {
    const stack = strictStack();
    const retries = new CfnParameter(stack, 'Retries', { type: 'Number' }).valueAsNumber;
    const delay = new CfnParameter(stack, 'Delay', { type: 'Number' }).valueAsNumber;
    new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', {
      deliveryPolicy: {
        healthyRetryPolicy: {
          numRetries: retries,
          minDelayTarget: Duration.seconds(delay),
          maxDelayTarget: Duration.seconds(60),
        },
        throttlePolicy: { maxReceivesPerSecond: retries },
      },
    });
    const [subscription] = Object.values(Template.fromStack(stack).findResources('AWS::SNS::Subscription'));
    expect(subscription.Properties.DeliveryPolicy).toEqual({
      healthyRetryPolicy: { numRetries: { Ref: 'Retries' }, minDelayTarget: { Ref: 'Delay' }, maxDelayTarget: 60 },
      throttlePolicy: { maxReceivesPerSecond: { Ref: 'Retries' } },
    });
  });
});

describe('TopicFanOut refuses non-finite, out-of-domain and foreign values, naming path, prop and value', () => {
  const https = (deliveryPolicy: sns.DeliveryPolicy) => (stack: Stack) =>
    new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 'https://hooks.example.com', { deliveryPolicy });
  const prefix = '^\\[Stack\\/Orders\\] addHttpsSubscriber\\("Hooks"\\) deliveryPolicy\\.';
  const cases: Array<[string, (stack: Stack) => unknown, RegExp]> = [
    [
      'NaN retries',
      https({ healthyRetryPolicy: { numRetries: NaN } }),
      new RegExp(`${prefix}healthyRetryPolicy\\.numRetries must be an integer between 0 and 100, got NaN$`),
    ],
    [
      'Infinity retries',
      https({ healthyRetryPolicy: { numNoDelayRetries: Infinity } }),
      new RegExp(`${prefix}healthyRetryPolicy\\.numNoDelayRetries must be an integer between 0 and 100, got Infinity$`),
    ],
    [
      'a fractional retry count',
      https({ healthyRetryPolicy: { numMaxDelayRetries: 1.5 } }),
      new RegExp(`${prefix}healthyRetryPolicy\\.numMaxDelayRetries must be an integer between 0 and 100, got 1.5$`),
    ],
    [
      'a retry count given as a string (JavaScript)',
      https({ healthyRetryPolicy: { numRetries: '5' as unknown as number } }),
      new RegExp(`${prefix}healthyRetryPolicy\\.numRetries must be an integer between 0 and 100, got "5"$`),
    ],
    [
      'a NaN Duration',
      https({ healthyRetryPolicy: { minDelayTarget: Duration.seconds(NaN) } }),
      new RegExp(
        `${prefix}healthyRetryPolicy\\.minDelayTarget must be a whole number of seconds between 1 and 3600, got Duration\\.seconds\\(NaN\\)$`,
      ),
    ],
    [
      'an infinite Duration',
      https({ healthyRetryPolicy: { maxDelayTarget: Duration.minutes(Infinity) } }),
      new RegExp(
        `${prefix}healthyRetryPolicy\\.maxDelayTarget must be a whole number of seconds between 1 and 3600, got Duration\\.minutes\\(Infinity\\)$`,
      ),
    ],
    [
      'a delay that is not a Duration (JavaScript)',
      https({ healthyRetryPolicy: { minDelayTarget: 30 as unknown as Duration } }),
      new RegExp(
        `${prefix}healthyRetryPolicy\\.minDelayTarget must be a whole number of seconds between 1 and 3600 \\(a Duration\\), got 30$`,
      ),
    ],
    [
      'a deploy-time Duration in minutes',
      https({ healthyRetryPolicy: { maxDelayTarget: Duration.minutes(Token.asNumber({ Ref: 'Minutes' })) } }),
      new RegExp(
        `${prefix}healthyRetryPolicy\\.maxDelayTarget must be given with Duration\\.seconds\\(\\) when its amount is a deploy-time value .*, got Duration\\.minutes\\(\\{"Ref":"Minutes"\\}\\)$`,
      ),
    ],
    [
      'a maximum delay below the default minimum (20 s)',
      https({ healthyRetryPolicy: { maxDelayTarget: Duration.seconds(5) } }),
      new RegExp(
        `${prefix}healthyRetryPolicy\\.maxDelayTarget must be at least minDelayTarget \\(20 seconds, the default\\), got 5 seconds$`,
      ),
    ],
    [
      'phases beyond the default 3 retries',
      https({ healthyRetryPolicy: { numNoDelayRetries: 4 } }),
      new RegExp(
        `${prefix}healthyRetryPolicy numNoDelayRetries \\+ numMinDelayRetries \\+ numMaxDelayRetries must not exceed numRetries \\(3, the default\\), got 4$`,
      ),
    ],
    [
      'a backoff function that is not one (JavaScript)',
      https({ healthyRetryPolicy: { backoffFunction: 'exponential' as sns.BackoffFunction } }),
      new RegExp(
        `${prefix}healthyRetryPolicy\\.backoffFunction must be one of BackoffFunction\\.ARITHMETIC, BackoffFunction\\.EXPONENTIAL, BackoffFunction\\.GEOMETRIC or BackoffFunction\\.LINEAR, got "exponential"$`,
      ),
    ],
    [
      'an infinite throttle',
      https({ throttlePolicy: { maxReceivesPerSecond: Infinity } }),
      new RegExp(
        `${prefix}throttlePolicy\\.maxReceivesPerSecond must be an integer of at least 1 \\(and at most 2,147,483,647, an int\\), got Infinity$`,
      ),
    ],
    [
      'a throttle beyond an int',
      https({ throttlePolicy: { maxReceivesPerSecond: 1e21 } }),
      new RegExp(
        `${prefix}throttlePolicy\\.maxReceivesPerSecond must be an integer of at least 1 \\(and at most 2,147,483,647, an int\\), got 1e\\+21$`,
      ),
    ],
    [
      'a content type that is none',
      https({ requestPolicy: { headerContentType: 'json' } }),
      new RegExp(
        `${prefix}requestPolicy\\.headerContentType must be a content type such as "application\\/json", "application\\/xml" or "text\\/plain; charset=UTF-8", got "json"$`,
      ),
    ],
    [
      'a numeric filter on NaN',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Big', {
          filterPolicy: { total: sns.SubscriptionFilter.numericFilter({ greaterThan: NaN }) },
        }),
      /^\[Stack\/Orders\] addQueue\("Big"\) filterPolicy\.total may match numbers from -1,000,000,000 to 1,000,000,000 only \(an SNS limit; NaN and Infinity are no numbers to SNS\), got NaN$/,
    ],
    [
      'a numeric filter beyond SNS range',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Big', {
          filterPolicy: { total: sns.SubscriptionFilter.numericFilter({ between: { start: 0, stop: 1e10 } }) },
        }),
      /^\[Stack\/Orders\] addQueue\("Big"\) filterPolicy\.total may match numbers from -1,000,000,000 to 1,000,000,000 only .*, got 10,000,000,000$/,
    ],
    [
      'an empty filter policy',
      (stack) => new TopicFanOut(stack, 'Orders').addQueue('All', { filterPolicy: {} }),
      /^\[Stack\/Orders\] addQueue\("All"\) filterPolicy must have 1 to 5 keys \(omit it to deliver every message\), got "\{\}"$/,
    ],
    [
      'a filter that is a plain object (JavaScript)',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Big', {
          filterPolicy: { size: ['large'] as unknown as sns.SubscriptionFilter },
        }),
      /^\[Stack\/Orders\] addQueue\("Big"\) filterPolicy\.size must be a SubscriptionFilter \(e\.g\. SubscriptionFilter\.stringFilter\(\.\.\.\)\), got \["large"\]$/,
    ],
    [
      'a boolean given as a string (JavaScript)',
      (stack) => new TopicFanOut(stack, 'Orders').addQueue('Raw', { rawMessageDelivery: 'true' as unknown as boolean }),
      /^\[Stack\/Orders\] addQueue\("Raw"\) rawMessageDelivery must be true or false, got "true"$/,
    ],
    [
      'fifo given as a string (JavaScript)',
      (stack) => new TopicFanOut(stack, 'Orders', { fifo: 'true' as unknown as boolean }),
      /^\[Stack\/Orders\] fifo must be true or false, got "true"$/,
    ],
    [
      'a queue encryption that is not a WorkQueueEncryption (JavaScript)',
      (stack) => new TopicFanOut(stack, 'Orders').addQueue('Q', { encryption: 'kms' as WorkQueueEncryption }),
      /^\[Stack\/Orders\] addQueue\("Q"\) encryption must be one of WorkQueueEncryption\.SQS_MANAGED or WorkQueueEncryption\.KMS, got "kms"$/,
    ],
    [
      'a removal policy that is not one, to applyRemovalPolicy',
      (stack) => new TopicFanOut(stack, 'Orders').applyRemovalPolicy('delete' as RemovalPolicy),
      /^\[Stack\/Orders\] applyRemovalPolicy policy must be RemovalPolicy\.RETAIN, RemovalPolicy\.DESTROY or RemovalPolicy\.RETAIN_ON_UPDATE_OR_DELETE, got "delete"$/,
    ],
    [
      'RemovalPolicy.SNAPSHOT, to applyRemovalPolicy',
      (stack) => new TopicFanOut(stack, 'Orders').applyRemovalPolicy(RemovalPolicy.SNAPSHOT),
      /^\[Stack\/Orders\] applyRemovalPolicy policy must be .*: CloudFormation cannot snapshot SQS queues and KMS keys, got "RemovalPolicy\.SNAPSHOT"$/,
    ],
    [
      'a queue that is an ARN string (JavaScript)',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueueSubscriber(
          'Q',
          'arn:aws:sqs:us-east-1:123456789012:q' as unknown as sqs.IQueue,
        ),
      /^\[Stack\/Orders\] addQueueSubscriber queue must be an sqs\.IQueue \(e\.g\. sqs\.Queue\.fromQueueArn\(\.\.\.\) for a queue defined elsewhere\), got "arn:aws:sqs:us-east-1:123456789012:q"$/,
    ],
    [
      'a function that is an ARN string (JavaScript)',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addLambdaSubscriber(
          'F',
          'arn:aws:lambda:us-east-1:123456789012:function:f' as unknown as lambda.IFunction,
        ),
      /^\[Stack\/Orders\] addLambdaSubscriber fn must be a lambda\.IFunction .*, got "arn:aws:lambda:us-east-1:123456789012:function:f"$/,
    ],
    [
      'a topic that is an ARN string (JavaScript)',
      (stack) =>
        new TopicFanOut(stack, 'Orders', {
          topic: 'arn:aws:sns:us-east-1:123456789012:orders' as unknown as sns.ITopic,
        }),
      /^\[Stack\/Orders\] topic must be an sns\.ITopic .*, got "arn:aws:sns:us-east-1:123456789012:orders"$/,
    ],
    [
      'a URL that is not a string (JavaScript)',
      (stack) => new TopicFanOut(stack, 'Orders').addHttpsSubscriber('Hooks', 42 as unknown as string),
      /^\[Stack\/Orders\] addHttpsSubscriber url must be an https:\/\/ URL with a host \(SNS would send plain-text HTTP\), got 42$/,
    ],
    [
      'a source ARN that is not a string (JavaScript)',
      (stack) => new TopicFanOut(stack, 'Orders').allowServicePublish('s3.amazonaws.com', 7 as unknown as string),
      /^\[Stack\/Orders\] allowServicePublish sourceArn must be an ARN \(it may contain \* wildcards\), got 7$/,
    ],
    [
      'an email address longer than RFC 5321 allows',
      (stack) => new TopicFanOut(stack, 'Orders').addEmailSubscriber('Ops', `${'l'.repeat(65)}@example.com`),
      /^\[Stack\/Orders\] addEmailSubscriber address must be an email address: a local part of at most 64 octets/,
    ],
    [
      'a FIFO-named queue (part deploy-time) behind a standard topic',
      (stack) =>
        new TopicFanOut(stack, 'Orders').addQueue('Q', {
          fifo: false,
          queueName: `${Lazy.string({ produce: () => 'q' })}.fifo`,
        }),
      /^\[Stack\/Orders\] addQueue\("Q"\) queueName may end in "\.fifo" only for a FIFO queue \(fifo is false\), got a deploy-time value "q\.fifo"$/,
    ],
  ];
  test.each(cases)('%s', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });
});

describe('TopicFanOut enforces AWS limits', () => {
  test('a literal topic name another construct of the app gave in the same account and Region is refused', () => {
    const app = strictApp();
    const env = { account: '123456789012', region: 'us-east-1' };
    new TopicFanOut(new Stack(app, 'One', { env }), 'Orders', { topicName: 'orders' });
    expect(() => new TopicFanOut(new Stack(app, 'Two', { env }), 'Orders', { topicName: 'orders' })).toThrow(
      /^\[Two\/Orders\] topicName must give a SNS topic name unique within one account and region; the name is already given to One\/Orders, got "orders"$/,
    );
    // Another Region has names of its own.
    new TopicFanOut(new Stack(app, 'Three', { env: { ...env, region: 'eu-west-1' } }), 'Orders', {
      topicName: 'orders',
    });
  });

  test('a topic name of 256 characters with .fifo is accepted; 257 is refused', () => {
    new TopicFanOut(strictStack(), 'Orders', { topicName: `${'a'.repeat(251)}.fifo` });
    expect(() => new TopicFanOut(strictStack(), 'Orders', { topicName: `${'a'.repeat(252)}.fifo` })).toThrow(
      /^\[Stack\/Orders\] topicName must be 1 to 256 characters \(including any "\.fifo" suffix\)/,
    );
    expect(() => new TopicFanOut(strictStack(), 'Orders', { topicName: '.fifo' })).toThrow(
      /^\[Stack\/Orders\] topicName must be 1 to 256 characters/,
    );
    expect(() => new TopicFanOut(strictStack(), 'Orders', { topicName: 'ordérs' })).toThrow(
      /^\[Stack\/Orders\] topicName must be 1 to 256 characters/,
    );
  });

  test('a queue subscribed to a 20th topic would hold 21 statements in its policy: refused (SQS allows 20)', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Shared');
    for (let i = 0; i < 19; i++) {
      new TopicFanOut(stack, `Topic${i}`).addQueueSubscriber('Shared', queue);
    }
    expect(() => new TopicFanOut(stack, 'Topic19').addQueueSubscriber('Shared', queue)).toThrow(
      /^\[Stack\/Topic19\] addQueueSubscriber queue would make the queue policy hold 21 statements \(one per topic that sends to it\); SQS allows at most 20, got "Stack\/Shared"$/,
    );
  });

  test('a topic policy of more than 100 statements is refused (an SNS limit)', () => {
    const fanOut = new TopicFanOut(strictStack(), 'Orders');
    // The TLS-only deny and 99 accounts: 100 statements.
    for (let i = 0; i < 99; i++) {
      fanOut.allowAccountPublish(String(100000000000 + i));
    }
    expect(() => fanOut.allowAccountPublish('222222222222')).toThrow(
      /^\[Stack\/Orders\] allowAccountPublish would make the topic policy hold 101 statements; SNS allows at most 100, got "222222222222"$/,
    );
  });

  test('more than 200 filtered subscriptions: a warning names the SNS quota of filter policies per topic', () => {
    const fanOut = new TopicFanOut(strictStack(), 'Orders');
    for (let i = 0; i < 201; i++) {
      fanOut.addHttpsSubscriber(`Hook${i}`, `https://hooks.example.com/${i}`, { filterPolicy: LARGE_ORDERS });
    }
    const warnings = fanOut.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => m.data);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^More than 200 subscriptions of this topic have a filter policy, the default SNS quota of filter policies per topic/,
      ),
    ]);
  });

  test("the shared dead-letter queue's age alarm can fire: its threshold is below the queue's retention", () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Orders');
    fanOut.addQueue('Fulfilment');
    const template = Template.fromStack(stack).toJSON();
    const alarm = template.Resources[logicalId(fanOut.subscriptionDeadLetterQueueMessageAgeAlarm!)].Properties;
    const queue = template.Resources[logicalId(fanOut.subscriptionDeadLetterQueue!.queue)].Properties;
    expect(alarm.Threshold).toBeLessThan(queue.MessageRetentionPeriod);
  });

  test('a given topic of another Region: subscribers need a dead-letter queue of their own, in its Region', () => {
    const stack = strictStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Far', 'arn:aws:sns:eu-west-1:123456789012:orders');
    const fanOut = new TopicFanOut(stack, 'Orders', { topic });
    expect(() => fanOut.addQueue('Fulfilment')).toThrow(
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) deadLetterQueue must be given, a queue in eu-west-1: the topic is in eu-west-1, and SNS requires a subscription's dead-letter queue in the subscription's \(its topic's\) Region, while the shared subscription dead-letter queue is in this stack's, us-east-1, got undefined$/,
    );
    expect(() => fanOut.addEmailSubscriber('Ops', 'ops@example.com')).toThrow(
      /^\[Stack\/Orders\] addEmailSubscriber cannot subscribe, as it takes no dead-letter queue: the topic is in eu-west-1/,
    );
    expect(() =>
      fanOut.addQueue('Fulfilment', {
        deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'Near', 'arn:aws:sqs:us-east-1:123456789012:undeliverable'),
      }),
    ).toThrow(
      /^\[Stack\/Orders\] addQueue\("Fulfilment"\) deadLetterQueue must be in the account and Region of the subscription \(123456789012, eu-west-1; an SNS limit\)/,
    );
    fanOut.addQueue('Fulfilment', {
      deadLetterQueue: sqs.Queue.fromQueueArn(stack, 'FarDlq', 'arn:aws:sqs:eu-west-1:123456789012:undeliverable'),
    });
    // The subscription is made in the topic's Region.
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', { Region: 'eu-west-1' });
  });

  test('a queue of a stack of another environment is refused (CloudFormation references stay in one environment)', () => {
    const app = strictApp();
    const stack = new Stack(app, 'Topics', { env: { account: '123456789012', region: 'us-east-1' } });
    const far = new Stack(app, 'Queues', { env: { account: '123456789012', region: 'eu-west-1' } });
    expect(() => new TopicFanOut(stack, 'Orders').addQueueSubscriber('Q', new WorkQueue(far, 'Q'))).toThrow(
      /^\[Topics\/Orders\] addQueueSubscriber queue must be in a stack of the topic's environment \(123456789012, us-east-1\), not 123456789012, eu-west-1: .*, got "Queues\/Q"$/,
    );
  });
});
