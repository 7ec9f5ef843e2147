import { CfnParameter } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
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
