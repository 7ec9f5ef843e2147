// The constructs the benchmark weighs, each beside a hand-written aws-cdk-lib equivalent: the same job
// done with L2s the way a careful user writes it (TLS-only queues, a dead-letter queue, encryption), but
// without what this library adds (alarms, key policies per source, customer-managed policies, logs ...).
import { SecretValue, Stack } from 'aws-cdk-lib';
import * as amazonmq from 'aws-cdk-lib/aws-amazonmq';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { WeightSubject } from './resource-weight';
import { EncryptedStream, MessageBroker, QueueProcessingFleet, StreamToS3, TopicFanOut, WorkQueue } from '../src';

/** A VPC imported by attributes, so that neither side pays for one. */
function importedVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-12345678',
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    isolatedSubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
  });
}

function plainQueueWithDeadLetterQueue(stack: Stack, id: string): sqs.Queue {
  const deadLetterQueue = new sqs.Queue(stack, `${id}Dlq`, { enforceSSL: true });
  return new sqs.Queue(stack, id, {
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
  });
}

const times = (count: number, each: (i: number) => void) => Array.from({ length: count }, (_, i) => each(i));

export const CONSTRUCT_WEIGHTS: WeightSubject[] = [
  {
    name: 'WorkQueue',
    equivalent: 'sqs.Queue + dead-letter sqs.Queue, both enforceSSL',
    ours: (stack, n) => times(n, (i) => new WorkQueue(stack, `Q${i}`)),
    handWritten: (stack, n) => times(n, (i) => plainQueueWithDeadLetterQueue(stack, `Q${i}`)),
  },
  {
    name: 'TopicFanOut with 1 queue',
    equivalent: 'sns.Topic (enforceSSL) + queue with DLQ + SqsSubscription',
    ours: (stack, n) => times(n, (i) => new TopicFanOut(stack, `F${i}`).addQueue('Q')),
    handWritten: (stack, n) =>
      times(n, (i) => {
        const topic = new sns.Topic(stack, `T${i}`, { enforceSSL: true });
        topic.addSubscription(new subscriptions.SqsSubscription(plainQueueWithDeadLetterQueue(stack, `Q${i}`)));
      }),
  },
  {
    name: 'QueueProcessingFleet',
    equivalent: 'AutoScalingGroup (launch template) + step scaling on visible messages, ecs-patterns style',
    ours: (stack, n) => {
      const vpc = importedVpc(stack);
      times(n, (i) => {
        const queue = sqs.Queue.fromQueueArn(stack, `Q${i}`, `arn:aws:sqs:us-east-1:123456789012:jobs-${i}`);
        new QueueProcessingFleet(stack, `W${i}`, { queue, vpc, backlogPerInstanceTarget: 10 });
      });
    },
    handWritten: (stack, n) => {
      const vpc = importedVpc(stack);
      times(n, (i) => {
        const queue = sqs.Queue.fromQueueArn(stack, `Q${i}`, `arn:aws:sqs:us-east-1:123456789012:jobs-${i}`);
        const group = new autoscaling.AutoScalingGroup(stack, `W${i}`, {
          vpc,
          vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
          launchTemplate: new ec2.LaunchTemplate(stack, `T${i}`, {
            instanceType: new ec2.InstanceType('m7g.large'),
            machineImage: ec2.MachineImage.genericLinux({ 'us-east-1': 'ami-12345678' }),
            role: new iam.Role(stack, `R${i}`, { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
          }),
          minCapacity: 0,
          maxCapacity: 10,
        });
        queue.grantConsumeMessages(group);
        group.scaleOnMetric(`S${i}`, {
          metric: queue.metricApproximateNumberOfMessagesVisible(),
          scalingSteps: [
            { upper: 0, change: -1 },
            { lower: 100, change: +1 },
            { lower: 500, change: +5 },
          ],
        });
      });
    },
  },
  {
    name: 'EncryptedStream',
    equivalent: 'kinesis.Stream, on-demand, under a new KMS key',
    ours: (stack, n) => times(n, (i) => new EncryptedStream(stack, `S${i}`)),
    handWritten: (stack, n) =>
      times(
        n,
        (i) =>
          new kinesis.Stream(stack, `S${i}`, {
            streamMode: kinesis.StreamMode.ON_DEMAND,
            encryption: kinesis.StreamEncryption.KMS,
          }),
      ),
  },
  {
    name: 'StreamToS3 (with its stream)',
    equivalent: 'kinesis.Stream (KMS) + firehose.DeliveryStream (L2) into a KMS-encrypted, TLS-only s3.Bucket',
    ours: (stack, n) => times(n, (i) => new StreamToS3(stack, `A${i}`)),
    handWritten: (stack, n) =>
      times(n, (i) => {
        const stream = new kinesis.Stream(stack, `S${i}`, { encryption: kinesis.StreamEncryption.KMS });
        const bucket = new s3.Bucket(stack, `B${i}`, {
          encryption: s3.BucketEncryption.KMS,
          encryptionKey: new kms.Key(stack, `K${i}`, { enableKeyRotation: true }),
          enforceSSL: true,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        });
        new firehose.DeliveryStream(stack, `D${i}`, {
          source: new firehose.KinesisStreamSource(stream),
          destination: new firehose.S3Bucket(bucket),
        });
      }),
  },
  {
    name: 'MessageBroker',
    equivalent: 'CfnBroker (ActiveMQ active/standby) + security group + generated secret',
    ours: (stack, n) => {
      const vpc = importedVpc(stack);
      times(n, (i) => new MessageBroker(stack, `M${i}`, { vpc }));
    },
    handWritten: (stack, n) => {
      const vpc = importedVpc(stack);
      times(n, (i) => {
        const securityGroup = new ec2.SecurityGroup(stack, `G${i}`, { vpc, allowAllOutbound: false });
        const secret = new secretsmanager.Secret(stack, `P${i}`, {
          generateSecretString: { excludeCharacters: ',:=', passwordLength: 32 },
        });
        new amazonmq.CfnBroker(stack, `M${i}`, {
          brokerName: `broker-${i}`,
          engineType: 'ACTIVEMQ',
          engineVersion: '5.19',
          deploymentMode: 'ACTIVE_STANDBY_MULTI_AZ',
          hostInstanceType: 'mq.m5.large',
          publiclyAccessible: false,
          autoMinorVersionUpgrade: true,
          subnetIds: vpc.isolatedSubnets.slice(0, 2).map((subnet) => subnet.subnetId),
          securityGroups: [securityGroup.securityGroupId],
          users: [{ username: 'admin', password: SecretValue.secretsManager(secret.secretArn).unsafeUnwrap() }],
        });
      });
    },
  },
];

/** What one more subscriber, consumer or user adds to one construct. */
export const ADDED_WEIGHTS: WeightSubject[] = [
  {
    name: 'TopicFanOut: each addQueue',
    equivalent: 'queue with DLQ + SqsSubscription on one sns.Topic',
    ours: (stack, n) => {
      const fanOut = new TopicFanOut(stack, 'F');
      times(n, (i) => fanOut.addQueue(`Q${i}`));
    },
    handWritten: (stack, n) => {
      const topic = new sns.Topic(stack, 'T', { enforceSSL: true });
      times(n, (i) =>
        topic.addSubscription(new subscriptions.SqsSubscription(plainQueueWithDeadLetterQueue(stack, `Q${i}`))),
      );
    },
  },
  {
    name: 'TopicFanOut: each addHttpsSubscriber',
    equivalent: 'UrlSubscription on one sns.Topic',
    ours: (stack, n) => {
      const fanOut = new TopicFanOut(stack, 'F');
      times(n, (i) => fanOut.addHttpsSubscriber(`H${i}`, `https://hooks.example.com/${i}`));
    },
    handWritten: (stack, n) => {
      const topic = new sns.Topic(stack, 'T', { enforceSSL: true });
      times(n, (i) => topic.addSubscription(new subscriptions.UrlSubscription(`https://hooks.example.com/${i}`)));
    },
  },
  {
    name: 'EncryptedStream: each addConsumer',
    equivalent: 'kinesis.StreamConsumer on one kinesis.Stream',
    cap: { count: 20, source: 'enhanced fan-out consumers per stream (Kinesis RegisterStreamConsumer)' },
    ours: (stack, n) => {
      const stream = new EncryptedStream(stack, 'S');
      times(n, (i) => stream.addConsumer(`consumer-${i}`));
    },
    handWritten: (stack, n) => {
      const stream = new kinesis.Stream(stack, 'S', { encryption: kinesis.StreamEncryption.KMS });
      times(n, (i) => new kinesis.StreamConsumer(stack, `C${i}`, { stream, streamConsumerName: `consumer-${i}` }));
    },
  },
  {
    name: 'MessageBroker: each addUser',
    equivalent: 'a generated secret and one more user on the CfnBroker',
    cap: { count: 249, source: 'users per ActiveMQ broker (250, the administrator included)' },
    ours: (stack, n) => {
      const broker = new MessageBroker(stack, 'M', { vpc: importedVpc(stack) });
      times(n, (i) => broker.addUser(`user-${i}`));
    },
    handWritten: (stack, n) => times(n, (i) => new secretsmanager.Secret(stack, `P${i}`)),
  },
];
