import { App, CfnParameter, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { pagerTopic } from '../harness/alarm-topic';
import { ENV_MATRIX, logicalId, strictApp, strictStack } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { StackAlarmTopic, WorkQueue, WorkQueueEncryption, WorkQueueProps } from '../src';

function fullyFeaturedFifo(stack: Stack): WorkQueue {
  return new WorkQueue(stack, 'Orders', {
    fifo: true,
    contentBasedDeduplication: true,
    highThroughputFifo: true,
    queueName: 'orders.fifo',
    retentionPeriod: Duration.days(2),
    deadLetterRetentionPeriod: Duration.days(14),
    maxReceiveCount: 3,
    visibilityTimeout: Duration.minutes(5),
    deliveryDelay: Duration.seconds(10),
    receiveMessageWaitTime: Duration.seconds(10),
    maxMessageSizeBytes: 262_144,
    encryption: WorkQueueEncryption.KMS,
    oldestMessageAgeAlarmThreshold: Duration.minutes(30),
  });
}

describe('WorkQueue defaults', () => {
  const stack = strictStack();
  const workQueue = new WorkQueue(stack, 'Jobs');
  const template = Template.fromStack(stack);

  test('the source queue has long polling, 4-day retention, 1 MiB messages and SSE-SQS', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'Stack-Jobs-a46d6325',
      MessageRetentionPeriod: 345_600,
      VisibilityTimeout: 30,
      DelaySeconds: 0,
      ReceiveMessageWaitTimeSeconds: 20,
      MaximumMessageSize: 1_048_576,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('JobsDeadLetterQueue'), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  test('the dead-letter queue keeps messages 14 days and only our source may use it', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'Stack-Jobs-a46d6325-dlq',
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.absent(),
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:us-east-1:123456789012:Stack-Jobs-a46d6325']] },
        ],
      },
    });
  });

  test('both queues are retained when removed from the stack', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.values(queues).map((q) => q.DeletionPolicy)).toEqual(['Retain', 'Retain']);
  });

  test('both queues deny every request without TLS', () => {
    for (const queue of [workQueue.queue, workQueue.deadLetterQueue]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: stack.getLogicalId(queue.node.defaultChild as sqs.CfnQueue) }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      });
    }
  });

  test('no KMS key is created and no encryption key is exposed', () => {
    template.resourceCountIs('AWS::KMS::Key', 1); // the stack-wide alarm topic's key only
    expect(workQueue.encryptionKey).toBeUndefined();
    expect(workQueue.encryptionType).toBe(sqs.QueueEncryption.SQS_MANAGED);
  });

  test('the dead-letter queue alarms when it holds a message and notifies the stack-wide alarm topic', () => {
    const topicRef = { Ref: stack.getLogicalId(StackAlarmTopic.of(stack).topic.node.defaultChild as sns.CfnTopic) };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('JobsDeadLetterQueue'), 'QueueName'] } },
      ],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
      OKActions: [topicRef],
    });
  });

  test('the dead-letter queue alarms before messages expire (75% of 14 days)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('JobsDeadLetterQueue'), 'QueueName'] } },
      ],
      Threshold: 907_200,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(workQueue.oldestMessageAgeAlarm).toBeUndefined();
    expect(workQueue.alarms).toHaveLength(2);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
  });

  test('the stack-wide alarm topic is encrypted with a rotating key CloudWatch may use, and TLS-only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
      },
    });
  });

  test('is an sqs.IQueue answered by its source queue', () => {
    expect(stack.resolve(workQueue.queueArn)).toEqual(stack.resolve(workQueue.queue.queueArn));
    expect(stack.resolve(workQueue.queueUrl)).toEqual(stack.resolve(workQueue.queue.queueUrl));
    expect(stack.resolve(workQueue.queueName)).toEqual(stack.resolve(workQueue.queue.queueName));
    expect(workQueue.fifo).toBe(false);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('WorkQueue, FIFO with KMS and every feature on', () => {
  const stack = strictStack();
  const workQueue = fullyFeaturedFifo(stack);
  const template = Template.fromStack(stack);

  test('the source queue takes every prop', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'orders.fifo',
      FifoQueue: true,
      ContentBasedDeduplication: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      MessageRetentionPeriod: 172_800,
      VisibilityTimeout: 300,
      DelaySeconds: 10,
      ReceiveMessageWaitTimeSeconds: 10,
      MaximumMessageSize: 262_144,
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('OrdersKey'), 'Arn'] },
      RedrivePolicy: { maxReceiveCount: 3 },
    });
  });

  test('the dead-letter queue is FIFO, named after the source, and encrypted with the same key', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'orders-dlq.fifo',
      FifoQueue: true,
      MessageRetentionPeriod: 1_209_600,
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('OrdersKey'), 'Arn'] },
      RedriveAllowPolicy: {
        redrivePermission: 'byQueue',
        sourceQueueArns: [
          { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sqs:us-east-1:123456789012:orders.fifo']] },
        ],
      },
    });
  });

  test('creates one customer-managed key with rotation and exposes it', () => {
    expect(workQueue.encryptionKey).toBeInstanceOf(kms.Key);
    expect(workQueue.encryptionMasterKey).toBe(workQueue.encryptionKey);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      Description: 'Encrypts the queues of Stack/Orders',
    });
    template.resourceCountIs('AWS::KMS::Key', 2); // ours and the alarm topic's
  });

  test('alarms on the age of the oldest message in the source queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('OrdersQueue'), 'QueueName'] } },
      ],
      Threshold: 1800,
    });
    expect(workQueue.alarms).toHaveLength(3);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});

describe('WorkQueue props', () => {
  test('a name ending in .fifo makes the queue FIFO', () => {
    const stack = strictStack();
    const workQueue = new WorkQueue(stack, 'Q', { queueName: 'jobs.fifo' });
    expect(workQueue.fifo).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { QueueName: 'jobs-dlq.fifo', FifoQueue: true });
  });

  test('an 80-character name leaves room for the dead-letter suffix', () => {
    const stack = strictStack();
    const name = 'a'.repeat(75) + '.fifo';
    new WorkQueue(stack, 'Q', { queueName: name });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', { QueueName: 'a'.repeat(71) + '-dlq.fifo' });
  });

  test('a FIFO queue without a name gets generated names with the .fifo suffix', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'Q', { fifo: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: Match.stringLikeRegexp('^Stack-Q-[0-9a-f]{8}\\.fifo$'),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: Match.stringLikeRegexp('^Stack-Q-[0-9a-f]{8}-dlq\\.fifo$'),
    });
  });

  test('generated names differ between stacks of different names with the same construct path', () => {
    const app = new App();
    const a = new WorkQueue(new Stack(app, 'Svc', { stackName: 'svc-dev' }), 'Jobs');
    const b = new WorkQueue(new Stack(app, 'Svc2', { stackName: 'svc-prod' }), 'Jobs');
    const nameOf = (q: WorkQueue) => (q.queue.node.defaultChild as sqs.CfnQueue).queueName;
    expect(nameOf(a)).toMatch(/^svc-dev-Jobs-[0-9a-f]{8}$/);
    expect(nameOf(b)).toMatch(/^svc-prod-Jobs-[0-9a-f]{8}$/);
  });

  test('deadLetterRetentionPeriod sets the DLQ retention and moves its age alarm to 75% of it', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'Q', { retentionPeriod: Duration.days(1), deadLetterRetentionPeriod: Duration.days(10) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: Match.stringLikeRegexp('-dlq$'),
      MessageRetentionPeriod: 864_000,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: Match.stringLikeRegexp('-[0-9a-f]{8}$'),
      MessageRetentionPeriod: 86_400,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 648_000,
    });
  });

  test('a given key implies KMS encryption and is used by both queues', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    const workQueue = new WorkQueue(stack, 'Q', { encryptionKey: key });
    expect(workQueue.encryptionKey).toBe(key);
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    expect(Object.values(template.findResources('AWS::SQS::Queue')).map((q) => q.Properties.KmsMasterKeyId)).toEqual([
      keyArn,
      keyArn,
    ]);
    expectCompliant(stack);
  });

  test('RETAIN_ON_UPDATE_OR_DELETE is passed through to both queues and the key', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'Q', {
      encryption: WorkQueueEncryption.KMS,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const template = Template.fromStack(stack);
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    const key = template.findResources('AWS::KMS::Key', {
      Properties: { Description: 'Encrypts the queues of Stack/Q' },
    });
    expect(queues).toHaveLength(2);
    expect(Object.keys(key)).toHaveLength(1);
    for (const resource of [...queues, ...Object.values(key)]) {
      expect([resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual(['RetainExceptOnCreate', 'Retain']);
    }
  });

  test('the removal policy applies to both queues and to the key created for them', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'Q', { encryption: WorkQueueEncryption.KMS, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    expect(Object.values(template.findResources('AWS::SQS::Queue')).map((q) => q.DeletionPolicy)).toEqual([
      'Delete',
      'Delete',
    ]);
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Delete',
      Properties: { Description: 'Encrypts the queues of Stack/Q' },
    });
  });

  test('alarms notify the given topic instead of the stack-wide one', () => {
    const stack = strictStack();
    const topic = new sns.Topic(stack, 'Pager');
    const workQueue = new WorkQueue(stack, 'Q', { alarmTopic: topic });
    expect(workQueue.alarmTopic).toBe(topic);
    expect(stack.node.tryFindChild('DecouplingPatternsAlarmTopic')).toBeUndefined();
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }],
    });
  });

  test('every WorkQueue of a stack shares one alarm topic', () => {
    const stack = strictStack();
    const a = new WorkQueue(stack, 'A');
    const b = new WorkQueue(stack, 'B');
    expect(a.alarmTopic).toBe(b.alarmTopic);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 1);
  });

  test('warns when a standard queue keeps messages as long as its dead-letter queue', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'Q', { retentionPeriod: Duration.days(14) });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Q',
      Match.stringLikeRegexp(
        'retentionPeriod \\(14 days\\) is not shorter than deadLetterRetentionPeriod \\(14 days\\)',
      ),
    );
  });

  test('does not warn at defaults, nor for FIFO queues whose enqueue time resets on move', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'A');
    new WorkQueue(stack, 'B', { fifo: true, retentionPeriod: Duration.days(14) });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('works as an SNS subscription target, with the policy that lets only that topic send', () => {
    const stack = strictStack();
    const topic = new sns.Topic(stack, 'Topic');
    const workQueue = new WorkQueue(stack, 'Q');
    topic.addSubscription(new snsSubscriptions.SqsSubscription(workQueue));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::QueuePolicy', 2);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: stack.getLogicalId(workQueue.queue.node.defaultChild as sqs.CfnQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: {
              ArnEquals: { 'aws:SourceArn': { Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) } },
            },
          }),
        ]),
      },
    });
  });
});

describe('WorkQueue grants', () => {
  function grantedStatements(grant: (q: WorkQueue, role: iam.Role) => void, props = {}) {
    const stack = strictStack();
    const workQueue = new WorkQueue(stack, 'Q', props);
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    grant(workQueue, role);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    return {
      stack,
      workQueue,
      statements: Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement),
    };
  }

  test('grantSendMessages: exact actions on the source queue, plus the key when KMS', () => {
    const { stack, workQueue, statements } = grantedStatements((q, r) => q.grantSendMessages(r), {
      encryption: WorkQueueEncryption.KMS,
    });
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: stack.resolve(workQueue.queue.queueArn),
      },
      {
        Effect: 'Allow',
        Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: stack.resolve(workQueue.encryptionKey!.keyArn),
      },
    ]);
  });

  test('grantConsumeMessages: receive, delete, change visibility; no key statement with SSE-SQS', () => {
    const { stack, workQueue, statements } = grantedStatements((q, r) => q.grantConsumeMessages(r));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        Resource: stack.resolve(workQueue.queue.queueArn),
      },
    ]);
  });

  test('grantPurge: purge on the source queue only', () => {
    const { stack, workQueue, statements } = grantedStatements((q, r) => q.grantPurge(r));
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['sqs:PurgeQueue', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: stack.resolve(workQueue.queue.queueArn),
      },
    ]);
  });

  test('grantRedrive: everything StartMessageMoveTask needs, from the DLQ to the source', () => {
    const { stack, workQueue, statements } = grantedStatements((q, r) => q.grantRedrive(r), {
      encryption: WorkQueueEncryption.KMS,
    });
    const keyArn = stack.resolve(workQueue.encryptionKey!.keyArn);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
          'sqs:CancelMessageMoveTask',
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
        ],
        Resource: stack.resolve(workQueue.deadLetterQueue.queueArn),
      },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: stack.resolve(workQueue.queue.queueArn) },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: keyArn },
    ]);
  });

  test('no grant uses a wildcard resource or action', () => {
    const { statements } = grantedStatements(
      (q, r) => {
        q.grantSendMessages(r);
        q.grantConsumeMessages(r);
        q.grantPurge(r);
        q.grantRedrive(r);
      },
      { encryption: WorkQueueEncryption.KMS },
    );
    expect(JSON.stringify(statements)).not.toContain('*');
  });
});

describe('WorkQueue metrics', () => {
  const stack = strictStack();
  const workQueue = new WorkQueue(stack, 'Q');
  const dimension = (queue: sqs.IQueue) => stack.resolve(queue.queueName);

  test.each([
    ['metricApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible'],
    ['metricApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesNotVisible'],
    ['metricApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesDelayed'],
    ['metricApproximateAgeOfOldestMessage', 'ApproximateAgeOfOldestMessage'],
  ] as const)('%s is the source queue metric %s', (method, metricName) => {
    const metric = workQueue[method]();
    expect(metric.metricName).toBe(metricName);
    expect(stack.resolve(metric.dimensions!.QueueName)).toEqual(dimension(workQueue.queue));
  });

  test.each([
    ['metricDeadLetterQueueApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesVisible'],
    ['metricDeadLetterQueueApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesNotVisible'],
    ['metricDeadLetterQueueApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessagesDelayed'],
    ['metricDeadLetterQueueApproximateAgeOfOldestMessage', 'ApproximateAgeOfOldestMessage'],
  ] as const)('%s is the dead-letter queue metric %s', (method, metricName) => {
    const metric = workQueue[method]();
    expect(metric.metricName).toBe(metricName);
    expect(stack.resolve(metric.dimensions!.QueueName)).toEqual(dimension(workQueue.deadLetterQueue));
  });
});

describe('WorkQueue rejects bad input at synth', () => {
  const cases: Array<[string, () => object, RegExp]> = [
    [
      'removalPolicy SNAPSHOT (CloudFormation cannot snapshot queues or keys)',
      () => ({ removalPolicy: RemovalPolicy.SNAPSHOT }),
      /\[Stack\/Q\] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot SQS queues and KMS keys, got "RemovalPolicy.SNAPSHOT"/,
    ],
    [
      'removalPolicy that is not a RemovalPolicy (a JavaScript caller)',
      () => ({ removalPolicy: 'delete' }),
      /\[Stack\/Q\] removalPolicy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, got "delete"/,
    ],
    [
      'maxReceiveCount 0',
      () => ({ maxReceiveCount: 0 }),
      /\[Stack\/Q\] maxReceiveCount must be an integer between 1 and 1,000, got 0/,
    ],
    [
      'maxReceiveCount 1001',
      () => ({ maxReceiveCount: 1001 }),
      /maxReceiveCount must be an integer between 1 and 1,000, got 1,001/,
    ],
    [
      'maxReceiveCount 2.5',
      () => ({ maxReceiveCount: 2.5 }),
      /maxReceiveCount must be an integer between 1 and 1,000, got 2.5/,
    ],
    [
      'retentionPeriod 59 s',
      () => ({ retentionPeriod: Duration.seconds(59) }),
      /\[Stack\/Q\] retentionPeriod must be between 1 minute and 14 days, got 59 seconds/,
    ],
    [
      'retentionPeriod 15 days',
      () => ({ retentionPeriod: Duration.days(15) }),
      /retentionPeriod must be between 1 minute and 14 days, got 15 days/,
    ],
    [
      'deadLetterRetentionPeriod 15 days',
      () => ({ deadLetterRetentionPeriod: Duration.days(15) }),
      /deadLetterRetentionPeriod must be between 1 minute and 14 days, got 15 days/,
    ],
    [
      'deadLetterRetentionPeriod 30 s',
      () => ({ deadLetterRetentionPeriod: Duration.seconds(30) }),
      /deadLetterRetentionPeriod must be between 1 minute and 14 days, got 30 seconds/,
    ],
    [
      'visibilityTimeout 13 h',
      () => ({ visibilityTimeout: Duration.hours(13) }),
      /visibilityTimeout must be between 0 seconds and 12 hours, got 13 hours/,
    ],
    [
      'visibilityTimeout 1.5 s',
      () => ({ visibilityTimeout: Duration.millis(1500) }),
      /visibilityTimeout must be a whole number of seconds between 0 seconds and 12 hours, got 1 second 500 millis/,
    ],
    [
      'deliveryDelay 16 min',
      () => ({ deliveryDelay: Duration.minutes(16) }),
      /deliveryDelay must be between 0 seconds and 15 minutes, got 16 minutes/,
    ],
    [
      'receiveMessageWaitTime 21 s',
      () => ({ receiveMessageWaitTime: Duration.seconds(21) }),
      /receiveMessageWaitTime must be between 0 seconds and 20 seconds, got 21 seconds/,
    ],
    [
      'maxMessageSizeBytes 1023',
      () => ({ maxMessageSizeBytes: 1023 }),
      /maxMessageSizeBytes must be an integer between 1,024 and 1,048,576, got 1,023/,
    ],
    [
      'maxMessageSizeBytes 1048577',
      () => ({ maxMessageSizeBytes: 1_048_577 }),
      /maxMessageSizeBytes must be an integer between 1,024 and 1,048,576, got 1,048,577/,
    ],
    [
      'contentBasedDeduplication on a standard queue',
      () => ({ contentBasedDeduplication: true }),
      /^\[Stack\/Q\] contentBasedDeduplication may be true only on a FIFO queue \(fifo: true\), got true$/,
    ],
    [
      'highThroughputFifo on a standard queue',
      () => ({ highThroughputFifo: true }),
      /^\[Stack\/Q\] highThroughputFifo may be true only on a FIFO queue \(fifo: true\), got true$/,
    ],
    [
      'a FIFO name without .fifo',
      () => ({ fifo: true, queueName: 'jobs' }),
      /\[Stack\/Q\] queueName of a FIFO queue must end in "\.fifo", got "jobs"/,
    ],
    [
      'a .fifo name on a standard queue',
      () => ({ fifo: false, queueName: 'jobs.fifo' }),
      /queueName may end in "\.fifo" only for a FIFO queue .*, got "jobs.fifo"/,
    ],
    [
      'a name with a space',
      () => ({ queueName: 'my jobs' }),
      /queueName must be 1 to 80 characters .* letters, digits, hyphens and underscores, got "my jobs"/,
    ],
    ['a name of 81 characters', () => ({ queueName: 'a'.repeat(81) }), /queueName must be 1 to 80 characters/],
    [
      'a FIFO name of 81 characters',
      () => ({ queueName: 'a'.repeat(76) + '.fifo' }),
      /queueName must be 1 to 80 characters/,
    ],
    ['an empty name', () => ({ queueName: '' }), /queueName must be 1 to 80 characters/],
    [
      'oldestMessageAgeAlarmThreshold 30 s',
      () => ({ oldestMessageAgeAlarmThreshold: Duration.seconds(30) }),
      /oldestMessageAgeAlarmThreshold must be between 1 minute and 14 days, got 30 seconds/,
    ],
  ];

  test.each(cases)('%s', (_name, props, message) => {
    const stack = strictStack();
    expect(() => new WorkQueue(stack, 'Q', props())).toThrow(message);
  });

  test('an encryptionKey with encryption SQS_MANAGED', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'Key');
    expect(
      () => new WorkQueue(stack, 'Q', { encryption: WorkQueueEncryption.SQS_MANAGED, encryptionKey: key }),
    ).toThrow(/\[Stack\/Q\] encryptionKey must not be set with encryption SQS_MANAGED .*, got "Stack\/Key"/);
  });

  test.each([
    ['an alias', (stack: Stack) => kms.Alias.fromAliasName(stack, 'Alias', 'alias/aws/sqs')],
    [
      'a key ARN',
      (stack: Stack) => kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:123456789012:alias/aws/sqs'),
    ],
  ])('the AWS-managed alias/aws/sqs key given as %s', (_name, key) => {
    const stack = strictStack();
    expect(() => new WorkQueue(stack, 'Q', { encryptionKey: key(stack) })).toThrow(
      /\[Stack\/Q\] encryptionKey must be a customer-managed key, not the AWS-managed alias\/aws\/sqs .*, got "alias\/aws\/sqs"/,
    );
  });

  test('values given as tokens are not validated at synth', () => {
    const stack = strictStack();
    const token = (n: number) => Lazy.number({ produce: () => n });
    expect(
      () =>
        new WorkQueue(stack, 'Q', {
          maxReceiveCount: token(0),
          maxMessageSizeBytes: token(1),
          retentionPeriod: Duration.seconds(token(1)),
          deadLetterRetentionPeriod: Duration.seconds(token(1)),
          visibilityTimeout: Duration.seconds(token(99_999)),
          queueName: Lazy.string({ produce: () => 'late name' }),
        }),
    ).not.toThrow();
  });
});

describe.each(ENV_MATRIX)('WorkQueue synthesizes clean %s', (_env, makeStack) => {
  test.each([
    ['at default props', (stack: Stack) => new WorkQueue(stack, 'Jobs')],
    ['with every feature on', (stack: Stack) => fullyFeaturedFifo(stack)],
    [
      'with a given key, a given topic, every grant and a removal policy',
      (stack: Stack) => {
        const topic = pagerTopic(stack);
        const queue = new WorkQueue(stack, 'Jobs', {
          encryptionKey: new kms.Key(stack, 'QueueKey', { enableKeyRotation: true }),
          alarmTopic: topic,
          removalPolicy: RemovalPolicy.DESTROY,
          oldestMessageAgeAlarmThreshold: Duration.hours(1),
        });
        const role = new iam.Role(stack, 'Worker', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
        for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
          Validations.of(role).acknowledge({ id: `${pack}-IAMNoInlinePolicy`, reason: "the test's own role" });
        }
        queue.grantSendMessages(role);
        queue.grantConsumeMessages(role);
        queue.grantPurge(role);
        queue.grantRedrive(role);
        return queue;
      },
    ],
  ])('%s: the strict validator and the five compliance packs pass', (_name, build) => {
    const stack = makeStack();
    build(stack);
    expect(() => Template.fromStack(stack)).not.toThrow();
    expectCompliant(stack);
  });
});

describe('WorkQueue hardening (issue 12): no bad input reaches CloudFormation, nothing is dropped silently', () => {
  const param = (stack: Stack, id: string, value = 2) =>
    new CfnParameter(stack, id, { type: 'Number', default: value }).valueAsNumber;
  const lazy = (n: number) => Lazy.number({ produce: () => n });

  test.each<[string, (stack: Stack) => unknown, RegExp]>([
    [
      'a string that bypasses WorkQueueEncryption (it used to fall back to SSE-SQS silently)',
      (stack) => new WorkQueue(stack, 'Q', { encryption: 'kms' as WorkQueueEncryption }),
      /^\[Stack\/Q\] encryption must be one of WorkQueueEncryption.SQS_MANAGED or WorkQueueEncryption.KMS, got "kms"$/,
    ],
    [
      'a fifo that is not a boolean',
      (stack) => new WorkQueue(stack, 'Q', { fifo: 'yes' as unknown as boolean }),
      /^\[Stack\/Q\] fifo must be true or false, got "yes"$/,
    ],
    [
      'a NaN retention',
      (stack) => new WorkQueue(stack, 'Q', { retentionPeriod: Duration.seconds(NaN) }),
      /^\[Stack\/Q\] retentionPeriod must be between 1 minute and 14 days, got Duration.seconds\(NaN\)$/,
    ],
    [
      'an infinite visibility timeout',
      (stack) => new WorkQueue(stack, 'Q', { visibilityTimeout: Duration.hours(Infinity) }),
      /^\[Stack\/Q\] visibilityTimeout must be between 0 seconds and 12 hours, got Duration.hours\(Infinity\)$/,
    ],
    [
      'a NaN maxReceiveCount',
      (stack) => new WorkQueue(stack, 'Q', { maxReceiveCount: NaN }),
      /^\[Stack\/Q\] maxReceiveCount must be an integer between 1 and 1,000, got NaN$/,
    ],
    [
      'a retention in hours known only at deploy time (a template cannot multiply)',
      (stack) => new WorkQueue(stack, 'Q', { retentionPeriod: Duration.hours(param(stack, 'Hours')) }),
      /^\[Stack\/Q\] retentionPeriod given as a deploy-time value must be in seconds \(Duration.seconds\(value\)\): CloudFormation takes seconds and cannot convert hours, got a deploy-time Duration.hours\(\{"Ref":"Hours"\}\)$/,
    ],
    [
      'an age alarm at the retention, which no message ever reaches',
      (stack) =>
        new WorkQueue(stack, 'Q', {
          retentionPeriod: Duration.hours(1),
          oldestMessageAgeAlarmThreshold: Duration.hours(1),
        }),
      /^\[Stack\/Q\] oldestMessageAgeAlarmThreshold must be shorter than retentionPeriod \(1 hour\): SQS deletes a message at that age, so the alarm could never fire, got 1 hour$/,
    ],
    [
      'an age alarm beyond the default retention of 4 days',
      (stack) => new WorkQueue(stack, 'Q', { oldestMessageAgeAlarmThreshold: Duration.days(5) }),
      /^\[Stack\/Q\] oldestMessageAgeAlarmThreshold must be shorter than retentionPeriod \(4 days\): SQS deletes a message at that age, so the alarm could never fire, got 5 days$/,
    ],
    [
      'a delivery delay as long as the retention',
      (stack) =>
        new WorkQueue(stack, 'Q', { retentionPeriod: Duration.minutes(1), deliveryDelay: Duration.minutes(5) }),
      /^\[Stack\/Q\] deliveryDelay must be shorter than retentionPeriod \(1 minute\): every message would be deleted before it could be received, got 5 minutes$/,
    ],
    [
      'an encryptionKey that is an ARN string (JavaScript)',
      (stack) => new WorkQueue(stack, 'Q', { encryptionKey: 'arn:aws:kms:us-east-1:1:key/x' as unknown as kms.IKey }),
      /^\[Stack\/Q\] encryptionKey must be a kms.IKey, got "arn:aws:kms:us-east-1:1:key\/x"$/,
    ],
    [
      'a grantee that is not a grantable',
      (stack) => new WorkQueue(stack, 'Q').grantSendMessages('arn:aws:iam::1:role/x' as unknown as iam.IGrantable),
      /^\[Stack\/Q\] grantSendMessages grantee must be an iam.IGrantable \(a role, user, group or principal\), got "arn:aws:iam::1:role\/x"$/,
    ],
    [
      'applyRemovalPolicy SNAPSHOT',
      (stack) => new WorkQueue(stack, 'Q').applyRemovalPolicy(RemovalPolicy.SNAPSHOT),
      /^\[Stack\/Q\] applyRemovalPolicy policy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot SQS queues and KMS keys, got RemovalPolicy.SNAPSHOT$/,
    ],
    [
      'applyRemovalPolicy with a string that is not a RemovalPolicy',
      (stack) => new WorkQueue(stack, 'Q').applyRemovalPolicy('delete' as RemovalPolicy),
      /^\[Stack\/Q\] applyRemovalPolicy policy must be one of RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, got "delete"$/,
    ],
    [
      'a metric period CloudWatch does not have',
      (stack) => new WorkQueue(stack, 'Q').metricApproximateNumberOfMessagesVisible({ period: Duration.seconds(7) }),
      /^\[Stack\/Q\] metricApproximateNumberOfMessagesVisible period must be 1, 5, 10 or 30 seconds or a whole number of minutes, known at synth, got 7 seconds$/,
    ],
    [
      'a deploy-time metric period (aws-cdk-lib checks it at synth)',
      (stack) =>
        new WorkQueue(stack, 'Q').metricDeadLetterQueueApproximateAgeOfOldestMessage({
          period: Duration.minutes(lazy(1)),
        }),
      /^\[Stack\/Q\] metricDeadLetterQueueApproximateAgeOfOldestMessage period must be 1, 5, 10 or 30 seconds or a whole number of minutes, known at synth, got a deploy-time Duration.minutes\(1\)$/,
    ],
    [
      'a metric unit that is not a cloudwatch.Unit',
      (stack) => new WorkQueue(stack, 'Q').metric('NumberOfMessagesSent', { unit: 'bogus' as never }),
      /^\[Stack\/Q\] metric unit must be a cloudwatch.Unit, got "bogus"$/,
    ],
    [
      'addToResourcePolicy with something that is not a statement',
      (stack) => new WorkQueue(stack, 'Q').addToResourcePolicy({} as iam.PolicyStatement),
      /^\[Stack\/Q\] addToResourcePolicy statement must be an iam.PolicyStatement, got \{\}$/,
    ],
  ])('refuses %s', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });

  describe('literal queue names are unique per account and Region, after the cut to 80 characters', () => {
    test.each<[string, WorkQueueProps, WorkQueueProps, RegExp]>([
      [
        'two queues with one name',
        { queueName: 'jobs' },
        { queueName: 'jobs' },
        /^\[Stack\/B\] queueName must give a SQS queue name unique within one account and region; the name is already given to Stack\/A, got "jobs"$/,
      ],
      [
        "a queue named like another's dead-letter queue",
        { queueName: 'jobs' },
        { queueName: 'jobs-dlq' },
        /^\[Stack\/B\] queueName must give a SQS queue name unique within one account and region; the name is already given to Stack\/A \(its dead-letter queue\), got "jobs-dlq"$/,
      ],
      [
        'two names whose dead-letter queue names are cut to one',
        { queueName: 'a'.repeat(80) },
        { queueName: 'a'.repeat(77) },
        new RegExp(
          `^\\[Stack/B\\] queueName must give a SQS queue name unique within one account and region; the name for its dead-letter queue is already given to Stack/A \\(its dead-letter queue\\), got "${'a'.repeat(76)}-dlq"$`,
        ),
      ],
      [
        'two FIFO queues with one name',
        { queueName: 'orders.fifo' },
        { queueName: 'orders.fifo' },
        /^\[Stack\/B\] queueName must give a SQS queue name unique within one account and region; the name is already given to Stack\/A, got "orders.fifo"$/,
      ],
    ])('%s is refused at synth', (_name, a, b, message) => {
      const stack = strictStack();
      new WorkQueue(stack, 'A', a);
      expect(() => new WorkQueue(stack, 'B', b)).toThrow(message);
    });

    test('the same name in two Regions, or a standard and a FIFO queue of one base name, is fine', () => {
      const app = strictApp();
      new WorkQueue(new Stack(app, 'East', { env: { account: '123456789012', region: 'us-east-1' } }), 'Q', {
        queueName: 'jobs',
      });
      const west = new Stack(app, 'West', { env: { account: '123456789012', region: 'us-west-2' } });
      new WorkQueue(west, 'Q', { queueName: 'jobs' });
      expect(() => new WorkQueue(west, 'Fifo', { queueName: 'jobs.fifo' })).not.toThrow();
    });
  });

  test('contentBasedDeduplication false on a standard queue is left out: CloudFormation refuses the property there', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Q', { contentBasedDeduplication: false, highThroughputFifo: false });
    const props = Template.fromStack(stack).toJSON().Resources[logicalId(queue.queue)].Properties;
    expect(props).not.toHaveProperty('ContentBasedDeduplication');
    expect(props).not.toHaveProperty('DeduplicationScope');
    expect(props).not.toHaveProperty('FifoQueue');
  });

  test('contentBasedDeduplication false on a FIFO queue is kept', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Q', { fifo: true, contentBasedDeduplication: false });
    const props = Template.fromStack(stack).toJSON().Resources[logicalId(queue.queue)].Properties;
    expect(props.ContentBasedDeduplication).toBe(false);
  });

  test('Duration.hours(token) retention known at synth passes through, converted to seconds', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Q', {
      retentionPeriod: Duration.hours(lazy(2)),
      visibilityTimeout: Duration.minutes(lazy(5)),
      oldestMessageAgeAlarmThreshold: Duration.minutes(lazy(30)),
    });
    const template = Template.fromStack(stack).toJSON();
    const props = template.Resources[logicalId(queue.queue)].Properties;
    expect([props.MessageRetentionPeriod, props.VisibilityTimeout]).toEqual([7200, 300]);
    expect(template.Resources[logicalId(queue.oldestMessageAgeAlarm!)].Properties.Threshold).toBe(1800);
  });

  test('deploy-time values in seconds pass through as references, never compared', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Q', {
      retentionPeriod: Duration.seconds(param(stack, 'Retention', 1_209_600)),
      oldestMessageAgeAlarmThreshold: Duration.days(13),
      deliveryDelay: Duration.minutes(15),
    });
    const props = Template.fromStack(stack).toJSON().Resources[logicalId(queue.queue)].Properties;
    expect(props.MessageRetentionPeriod).toEqual({ Ref: 'Retention' });
  });

  test('a FIFO queue may take its name as a deploy-time value (aws-cdk-lib would compare the token with ".fifo")', () => {
    const stack = strictStack();
    const name = new CfnParameter(stack, 'Name', { default: 'late.fifo' }).valueAsString;
    const queue = new WorkQueue(stack, 'Q', { fifo: true, queueName: name });
    const props = Template.fromStack(stack).toJSON().Resources[logicalId(queue.queue)].Properties;
    expect([props.QueueName, props.FifoQueue]).toEqual([{ Ref: 'Name' }, true]);
  });

  test('a grant to a service principal on a queue under an imported key: the key statement is returned and given in a warning, not dropped', () => {
    const stack = strictStack();
    const key = kms.Key.fromKeyArn(
      stack,
      'Imported',
      'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    );
    const queue = new WorkQueue(stack, 'Q', { encryptionKey: key });
    const grant = queue.grantSendMessages(new iam.ServicePrincipal('lambda.amazonaws.com'));
    const keyStatement = grant.resourceStatements.find((statement) => statement.actions.includes('kms:Decrypt'));
    expect(stack.resolve(keyStatement?.toStatementJson())).toEqual({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Effect: 'Allow',
      Principal: { Service: 'lambda.amazonaws.com' },
      Resource: '*',
    });
    Annotations.fromStack(stack).hasWarning(
      '/Stack/Q',
      Match.stringLikeRegexp(
        "grantSendMessages: the grantee takes no identity policy and the queues' key is not managed by this app",
      ),
    );
  });

  test('a grant to a role, or on a key this app manages, warns about nothing', () => {
    const stack = strictStack();
    const queue = new WorkQueue(stack, 'Q', { encryption: WorkQueueEncryption.KMS });
    queue.grantSendMessages(new iam.ServicePrincipal('lambda.amazonaws.com'));
    queue.grantConsumeMessages(new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }));
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});
