import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import {
  customerPoliciesOfRole,
  destroyOrReset,
  getEventSourceMapping,
  userFunction,
} from './queue-processing-function.fixtures';
import { deployStack } from '../harness/local-aws';
import { useLocalAws } from '../harness/local-aws/jest';
import { EncryptedStream } from '../src/encrypted-stream';
import { StreamProcessingFunction } from '../src/stream-processing-function';

// StreamProcessingFunction deployed into the embedded local AWS (moto), from its real synthesized template.
//
// What moto models, and this file shows: the stream, the function, the customer-managed policy on the
// function's role (read-only on the stream, decrypt, send to the on-failure queue), the on-failure WorkQueue,
// and the event source mapping with every setting the construct gives it (starting position, batch size,
// bisect, bounded retries and record age, parallelization, tumbling window, partial batch responses, the
// on-failure destination's ARN).
//
// What moto cannot show: invocation (no Docker here), so bisecting, retries, record age, partial batch
// responses and the on-failure record at run time; iterator age and the alarms; KMS and IAM enforcement
// (proven offline in stream-processing-function.access.test.ts). Enhanced fan-out cannot be deployed at all:
// moto's CloudFormation has no AWS::Kinesis::StreamConsumer (local-aws registers the consumer through the
// Kinesis API after CreateStack, so references to it are placeholders during CreateStack), and moto's event
// source mappings accept stream ARNs only: CreateStack fails on the mapping.
const local = useLocalAws();

function newStack(name: string): Stack {
  return new Stack(new App(), name, { env: { account: local().account, region: local().region } });
}

describe('StreamProcessingFunction in the local AWS', () => {
  test('the mapping bisects, retries 10 times, drops records after an hour to its on-failure WorkQueue', async () => {
    const stack = newStack('StreamConsumer');
    const events = new EncryptedStream(stack, 'Events', { shardCount: 1 });
    new StreamProcessingFunction(stack, 'Reader', {
      stream: events,
      handler: userFunction(stack),
      parallelizationFactor: 2,
      tumblingWindow: Duration.seconds(30),
    });
    const deployed = await deployStack(local(), stack);
    try {
      const mapping = await getEventSourceMapping(local(), deployed.byPath('StreamConsumer/Reader/EventSourceMapping'));
      const onFailureUrl = deployed.byPath('StreamConsumer/Reader/OnFailureQueue/Queue');
      const { Attributes } = await local()
        .sqs()
        .send(new GetQueueAttributesCommand({ QueueUrl: onFailureUrl, AttributeNames: ['QueueArn'] }));
      expect(mapping).toMatchObject({
        EventSourceArn: expect.stringMatching(/^arn:aws:kinesis:us-east-1:123456789012:stream\//),
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 3600,
        ParallelizationFactor: 2,
        TumblingWindowInSeconds: 30,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        DestinationConfig: { OnFailure: { Destination: Attributes!.QueueArn } },
      });
      const roleName = deployed.byPath('StreamConsumer/Handler/ServiceRole');
      const [document] = await customerPoliciesOfRole(local(), roleName);
      expect(document.Statement.map((s: any) => s.Action)).toEqual([
        [
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:ListShards',
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
        ],
        'kms:Decrypt',
        'sqs:SendMessage',
      ]);
    } finally {
      await destroyOrReset(local(), deployed);
    }
  });

  test("enhanced fan-out: moto's event source mapping takes no consumer, so the stack cannot be deployed there", async () => {
    const stack = newStack('FanOutConsumer');
    const events = new kinesis.Stream(stack, 'Events', { shardCount: 1 });
    const consumer = new kinesis.StreamConsumer(stack, 'Consumer', { stream: events, streamConsumerName: 'reader' });
    new StreamProcessingFunction(stack, 'Reader', {
      stream: events,
      handler: userFunction(stack),
      enhancedFanOutConsumer: consumer,
    });
    const failure = await deployStack(local(), stack).then(
      () => undefined,
      (error: Error) => error.message,
    );
    // moto answers the mapping on the consumer's (placeholder) ARN with an error page, not an AWS error.
    expect(failure).toMatch(/^Deploying FanOutConsumer into moto failed: /);
    expect(failure).not.toMatch(/references undefined resource/);
  });
});
