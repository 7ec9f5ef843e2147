import { CfnParameter, RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import { identityStatements, logicalId, strictStack, testRole } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { EncryptedStream } from '../src/encrypted-stream';
import { EnhancedFanOutConsumer } from '../src/enhanced-fan-out-consumer';

const READ_ACTIONS = [
  'kinesis:GetShardIterator',
  'kinesis:GetRecords',
  'kinesis:ListShards',
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
];
const SUBSCRIBE_ACTIONS = ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'];

/** A strict stack with an EncryptedStream, `Stack/Positions`, and its consumer `dashboard`. */
function dashboard() {
  const stack = strictStack();
  const stream = new EncryptedStream(stack, 'Positions');
  return { stack, stream, consumer: stream.addConsumer('dashboard') };
}

const streamArn = (stream: EncryptedStream) => ({ 'Fn::GetAtt': [logicalId(stream.stream), 'Arn'] });
const keyArn = (stream: EncryptedStream) => ({ 'Fn::GetAtt': [logicalId(stream.encryptionKey as kms.Key), 'Arn'] });

describe('EnhancedFanOutConsumer is a kinesis.IStreamConsumer', () => {
  test("a Lambda KinesisConsumerEventSource reads through it: the consumer's actions and the stream's exact grantRead", () => {
    const { stack, stream, consumer } = dashboard();
    const asConsumer: kinesis.IStreamConsumer = consumer;
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    fn.addEventSource(
      new sources.KinesisConsumerEventSource(asConsumer, { startingPosition: lambda.StartingPosition.LATEST }),
    );
    const template = Template.fromStack(stack);
    const consumerArn = { 'Fn::GetAtt': [logicalId(consumer.consumer), 'ConsumerARN'] };
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: consumerArn });
    expect(identityStatements(template)).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: SUBSCRIBE_ACTIONS, Resource: consumerArn },
        { Effect: 'Allow', Action: READ_ACTIONS, Resource: streamArn(stream) },
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn(stream) },
      ]),
    );
    expect(JSON.stringify(identityStatements(template))).not.toMatch(/kinesis:\*|kms:\*/);
  });

  test('streamConsumerArn, streamConsumerName, streamConsumerRef and stream answer for the inner consumer', () => {
    const { stack, stream, consumer } = dashboard();
    expect(stack.resolve(consumer.streamConsumerArn)).toEqual({
      'Fn::GetAtt': [logicalId(consumer.consumer), 'ConsumerARN'],
    });
    expect(stack.resolve(consumer.streamConsumerName)).toEqual(stack.resolve(consumer.consumer.streamConsumerName));
    expect(stack.resolve(consumer.streamConsumerRef)).toEqual(stack.resolve(consumer.consumer.streamConsumerRef));
    expect(consumer.stream).toBe(stream);
  });

  test('grant: the given actions on the consumer only', () => {
    const { stack, consumer } = dashboard();
    const grant = consumer.grant(testRole(stack, 'Reader'), 'kinesis:DescribeStreamConsumer');
    expect(grant.success).toBe(true);
    expect(identityStatements(Template.fromStack(stack))).toEqual([
      {
        Effect: 'Allow',
        Action: 'kinesis:DescribeStreamConsumer',
        Resource: { 'Fn::GetAtt': [logicalId(consumer.consumer), 'ConsumerARN'] },
      },
    ]);
  });
});

describe('EnhancedFanOutConsumer grants', () => {
  test('grantConsume: subscribe to this consumer, describe the stream, decrypt; no shard-iterator reads', () => {
    const { stack, stream, consumer } = dashboard();
    const grant = consumer.grantConsume(testRole(stack, 'Reader'));
    expect(grant.success).toBe(true);
    expect(identityStatements(Template.fromStack(stack))).toEqual([
      {
        Effect: 'Allow',
        Action: SUBSCRIBE_ACTIONS,
        Resource: { 'Fn::GetAtt': [logicalId(consumer.consumer), 'ConsumerARN'] },
      },
      { Effect: 'Allow', Action: ['kinesis:ListShards', 'kinesis:DescribeStreamSummary'], Resource: streamArn(stream) },
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn(stream) },
    ]);
    expectCompliant(stack);
  });

  test('constructed directly, it takes any stream (its key included) and a name known only at deploy time', () => {
    const stack = strictStack();
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const imported = kinesis.Stream.fromStreamAttributes(stack, 'Imported', {
      streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/positions',
      encryptionKey: key,
    });
    const name = new CfnParameter(stack, 'Name').valueAsString;
    const consumer = new EnhancedFanOutConsumer(stack, 'Consumer', { stream: imported, consumerName: name });
    consumer.grantConsume(testRole(stack, 'Reader'));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Kinesis::StreamConsumer', {
      ConsumerName: { Ref: 'Name' },
      StreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/positions',
    });
    expect(identityStatements(template)).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [logicalId(key), 'Arn'] } },
      ]),
    );
    expectCompliant(stack);
  });

  test('an invalid consumer name, constructed directly, is refused', () => {
    const stack = strictStack();
    expect(
      () => new EnhancedFanOutConsumer(stack, 'C', { stream: new EncryptedStream(stack, 'S'), consumerName: 'a/b' }),
    ).toThrow(/^\[Stack\/C\] consumerName must be 1 to 128 letters.*, got "a\/b"$/);
  });
});

describe('EnhancedFanOutConsumer limits and names', () => {
  const IMPORTED = 'arn:aws:kinesis:us-east-1:123456789012:stream/positions';

  test('two consumers with one name on a stream are refused, constructed directly too', () => {
    const { stack, stream } = dashboard();
    expect(() => new EnhancedFanOutConsumer(stack, 'Again', { stream, consumerName: 'dashboard' })).toThrow(
      /^\[Stack\/Again\] consumerName must give a Kinesis stream consumer name unique within Stack\/Positions\/Stream; the name is already given to Stack\/Positions, got "dashboard"$/,
    );
  });

  test('the same name on two streams is fine (names are unique per stream)', () => {
    const { stack } = dashboard();
    new EncryptedStream(stack, 'Other').addConsumer('dashboard');
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  test('a stream this library did not create takes at most 50 consumers (its capacity mode is unknown here)', () => {
    const stack = strictStack();
    const imported = kinesis.Stream.fromStreamArn(stack, 'Imported', IMPORTED);
    for (let i = 0; i < 50; i++) {
      new EnhancedFanOutConsumer(stack, `C${i}`, { stream: imported, consumerName: `reader-${i}` });
    }
    expect(() => new EnhancedFanOutConsumer(stack, 'C50', { stream: imported, consumerName: 'reader-50' })).toThrow(
      /^\[Stack\/C50\] consumerName exceeds the consumers the stream takes: no stream takes more than 50 enhanced fan-out consumers \(20 unless it is an On-demand Advantage stream\) \(RegisterStreamConsumer API reference\), and this would be consumer 51, got "reader-50"$/,
    );
  });

  test("consumers constructed directly on an EncryptedStream count against the stream's 20", () => {
    const { stack, stream } = dashboard();
    for (let i = 1; i < 20; i++) {
      new EnhancedFanOutConsumer(stack, `C${i}`, { stream, consumerName: `reader-${i}` });
    }
    expect(() => stream.addConsumer('one-too-many')).toThrow(
      /^\[Stack\/Positions\] addConsumer consumerName exceeds the consumers the stream takes: a provisioned or On-demand Standard stream takes at most 20 .*, got "one-too-many"$/,
    );
  });

  test.each([
    [
      'no stream',
      (stack: any) => new EnhancedFanOutConsumer(stack, 'C', { stream: undefined as any, consumerName: 'x' }),
      /^\[Stack\/C\] stream must be given \(a kinesis.IStream\), got undefined$/,
    ],
    [
      'a stream ARN instead of a stream',
      (stack: any) => new EnhancedFanOutConsumer(stack, 'C', { stream: IMPORTED as any, consumerName: 'x' }),
      /^\[Stack\/C\] stream must be a kinesis.IStream, got "arn:aws:kinesis:us-east-1:123456789012:stream\/positions"$/,
    ],
    [
      'a name of 129 characters',
      (stack: any) =>
        new EnhancedFanOutConsumer(stack, 'C', {
          stream: new EncryptedStream(stack, 'S'),
          consumerName: 'a'.repeat(129),
        }),
      /^\[Stack\/C\] consumerName must be 1 to 128 letters, digits, hyphens, underscores and periods, got "a{129}"$/,
    ],
    [
      'applyRemovalPolicy SNAPSHOT',
      (stack: any) => new EncryptedStream(stack, 'S').addConsumer('x').applyRemovalPolicy(RemovalPolicy.SNAPSHOT),
      /^\[Stack\/S\/Consumers\/x\] applyRemovalPolicy policy must be RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE: CloudFormation cannot snapshot Kinesis stream consumers, got "RemovalPolicy.SNAPSHOT"$/,
    ],
    [
      'grantConsume to something not grantable',
      (stack: any) => new EncryptedStream(stack, 'S').addConsumer('x').grantConsume('role' as any),
      /^\[Stack\/S\/Consumers\/x\] grantConsume grantee must be an iam.IGrantable \(a role, user or group\), got "role"$/,
    ],
    [
      "grantConsume to a service when the stream's key is imported",
      (stack: any) => {
        const imported = kinesis.Stream.fromStreamAttributes(stack, 'I', {
          streamArn: IMPORTED,
          encryptionKey: kms.Key.fromKeyArn(
            stack,
            'K',
            'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
          ),
        });
        new EnhancedFanOutConsumer(stack, 'C', { stream: imported, consumerName: 'x' }).grantConsume(
          new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        );
      },
      /^\[Stack\/C\] grantConsume grantee must be a role, user or group of this account when the key is imported: .*, got "ServicePrincipal\(ecs-tasks.amazonaws.com\)"$/,
    ],
  ])('%s is refused', (_name, build, message) => {
    expect(() => build(strictStack())).toThrow(message);
  });
});
