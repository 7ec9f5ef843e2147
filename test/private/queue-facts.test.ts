import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { strictStack } from '../../harness/app';
import { knownVisibilityTimeout } from '../../src/private/queue-facts';
import { WorkQueue } from '../../src/work-queue';

const tokenSeconds = (n: number) => Duration.seconds(Lazy.number({ produce: () => n }));
const ARN = 'arn:aws:sqs:us-east-1:123456789012:jobs';

function seconds(timeout: Duration | undefined): number | undefined {
  return timeout?.toSeconds();
}

describe('knownVisibilityTimeout', () => {
  let stack: Stack;
  beforeEach(() => {
    stack = strictStack();
  });

  describe('a WorkQueue: its own visibilityTimeout', () => {
    test('as given', () => {
      expect(
        seconds(knownVisibilityTimeout(new WorkQueue(stack, 'Q', { visibilityTimeout: Duration.minutes(7) }))),
      ).toBe(420);
    });

    test('its default, 30 seconds', () => {
      expect(seconds(knownVisibilityTimeout(new WorkQueue(stack, 'Q')))).toBe(30);
    });

    test('undefined for a token', () => {
      expect(
        knownVisibilityTimeout(new WorkQueue(stack, 'Q', { visibilityTimeout: tokenSeconds(60) })),
      ).toBeUndefined();
    });
  });

  describe("an sqs.Queue created in the app: its L1's VisibilityTimeout", () => {
    test('as given', () => {
      expect(
        seconds(knownVisibilityTimeout(new sqs.Queue(stack, 'Q', { visibilityTimeout: Duration.minutes(2) }))),
      ).toBe(120);
    });

    test("SQS's 30 seconds when unset", () => {
      const queue = new sqs.Queue(stack, 'Q');
      expect((queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout).toBeUndefined();
      expect(seconds(knownVisibilityTimeout(queue))).toBe(30);
    });

    test('a change made on the L1 afterwards is what counts', () => {
      const queue = new sqs.Queue(stack, 'Q', { visibilityTimeout: Duration.minutes(2) });
      (queue.node.defaultChild as sqs.CfnQueue).visibilityTimeout = 900;
      expect(seconds(knownVisibilityTimeout(queue))).toBe(900);
    });

    test('undefined for a token', () => {
      expect(
        knownVisibilityTimeout(new sqs.Queue(stack, 'Q', { visibilityTimeout: tokenSeconds(60) })),
      ).toBeUndefined();
    });
  });

  describe('an imported queue: undefined, its timeout is not in this app', () => {
    test('from its ARN', () => {
      expect(knownVisibilityTimeout(sqs.Queue.fromQueueArn(stack, 'Q', ARN))).toBeUndefined();
    });

    test('from its attributes', () => {
      expect(knownVisibilityTimeout(sqs.Queue.fromQueueAttributes(stack, 'Q', { queueArn: ARN }))).toBeUndefined();
    });
  });

  test('any queue with a visibilityTimeout Duration of its own is read by shape, not by class', () => {
    const imported = sqs.Queue.fromQueueArn(stack, 'Q', ARN);
    const described = Object.assign(Object.create(imported), { visibilityTimeout: Duration.minutes(4) }) as sqs.IQueue;
    expect(seconds(knownVisibilityTimeout(described))).toBe(240);
  });

  test('a visibilityTimeout that is not a Duration is ignored', () => {
    const imported = sqs.Queue.fromQueueArn(stack, 'Q', ARN);
    const odd = Object.assign(Object.create(imported), { visibilityTimeout: 240 }) as sqs.IQueue;
    expect(knownVisibilityTimeout(odd)).toBeUndefined();
  });
});
