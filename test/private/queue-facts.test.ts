import { CfnParameter, Duration, Lazy, Size, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { strictStack } from '../../harness/app';
import {
  describeDuration,
  durationInSeconds,
  knownVisibilityTimeout,
  sizeInGibibytes,
  validateBoolean,
  validateInterface,
  validateMetricOptions,
} from '../../src/private/queue-facts';
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

describe('durationInSeconds: a Duration aws-cdk-lib can turn into seconds', () => {
  let stack: Stack;
  let scope: Construct;
  beforeEach(() => {
    stack = strictStack();
    scope = new Construct(stack, 'Q');
  });
  const lazy = (n: number) => Lazy.number({ produce: () => n });

  test('a known Duration, and a deploy-time one in seconds, are returned as they are', () => {
    const known = Duration.hours(2);
    const token = Duration.seconds(lazy(5));
    expect(durationInSeconds(scope, 'p', known)).toBe(known);
    expect(durationInSeconds(scope, 'p', token)).toBe(token);
  });

  test.each([
    ['millis', Duration.millis(lazy(3000)), 3],
    ['minutes', Duration.minutes(lazy(2)), 120],
    ['hours', Duration.hours(lazy(2)), 7200],
    ['days', Duration.days(lazy(1)), 86_400],
  ])('a deploy-time Duration in %s known at synth is converted', (_unit, duration, expected) => {
    expect(stack.resolve(durationInSeconds(scope, 'p', duration).toSeconds())).toBe(expected);
  });

  test('one only the deployment knows cannot be converted, and is refused with its expression', () => {
    const hours = new CfnParameter(stack, 'Hours', { type: 'Number' }).valueAsNumber;
    expect(() => durationInSeconds(scope, 'retentionPeriod', Duration.hours(hours))).toThrow(
      /^\[Stack\/Q\] retentionPeriod given as a deploy-time value must be in seconds \(Duration.seconds\(value\)\): CloudFormation takes seconds and cannot convert hours, got a deploy-time Duration.hours\(\{"Ref":"Hours"\}\)$/,
    );
  });

  test('a deploy-time value in millis that is not a whole number of seconds is refused', () => {
    expect(() => durationInSeconds(scope, 'p', Duration.millis(lazy(1500)))).toThrow(
      /^\[Stack\/Q\] p given as a deploy-time value must be in seconds/,
    );
  });

  test('describeDuration shows a deploy-time Duration as written, never its internal number', () => {
    expect(String(describeDuration(scope, Duration.minutes(lazy(4))))).toBe('a deploy-time Duration.minutes(4)');
    expect(describeDuration(scope, Duration.minutes(4))).toEqual(Duration.minutes(4));
  });
});

describe('sizeInGibibytes', () => {
  let stack: Stack;
  let scope: Construct;
  beforeEach(() => {
    stack = strictStack();
    scope = new Construct(stack, 'F');
  });

  test('whole GiB, or undefined for a known size that is not', () => {
    expect(sizeInGibibytes(scope, 'p', Size.gibibytes(8))).toBe(8);
    expect(sizeInGibibytes(scope, 'p', Size.tebibytes(1))).toBe(1024);
    expect(sizeInGibibytes(scope, 'p', Size.mebibytes(1536))).toBeUndefined();
    expect(sizeInGibibytes(scope, 'p', Size.gibibytes(NaN))).toBeUndefined();
  });

  test('a deploy-time size in GiB passes through; in MiB known at synth it is converted; only the deployment knows it: refused', () => {
    const gib = Lazy.number({ produce: () => 9 });
    expect(stack.resolve(sizeInGibibytes(scope, 'p', Size.gibibytes(gib)))).toBe(9);
    expect(stack.resolve(sizeInGibibytes(scope, 'p', Size.mebibytes(Lazy.number({ produce: () => 10_240 }))))).toBe(10);
    const mib = new CfnParameter(stack, 'Mib', { type: 'Number' }).valueAsNumber;
    expect(() => sizeInGibibytes(scope, 'rootVolumeSize', Size.mebibytes(mib))).toThrow(
      /^\[Stack\/F\] rootVolumeSize given as a deploy-time value must be in GiB \(Size.gibibytes\(value\)\): CloudFormation takes GiB and cannot convert units, got a deploy-time Size.mebibytes\(\{"Ref":"Mib"\}\)$/,
    );
  });
});

describe('the type checks a JavaScript or jsii caller needs', () => {
  const scope = () => new Construct(strictStack(), 'C');

  test('validateBoolean', () => {
    expect(() => validateBoolean(scope(), 'fifo', true)).not.toThrow();
    expect(() => validateBoolean(scope(), 'fifo', undefined)).not.toThrow();
    expect(() => validateBoolean(scope(), 'fifo', 'true')).toThrow(
      /^\[Stack\/C\] fifo must be true or false, got "true"$/,
    );
  });

  test('validateInterface', () => {
    expect(() => validateInterface(scope(), 'queue', { queueArn: 'x' }, 'an sqs.IQueue', 'queueArn')).not.toThrow();
    expect(() => validateInterface(scope(), 'queue', 'arn:x', 'an sqs.IQueue', 'queueArn')).toThrow(
      /^\[Stack\/C\] queue must be an sqs.IQueue, got "arn:x"$/,
    );
    expect(() => validateInterface(scope(), 'queue', null, 'an sqs.IQueue', 'queueArn')).toThrow(/got null$/);
  });

  test.each([
    [{ period: Duration.seconds(1) }, undefined],
    [{ period: Duration.seconds(30) }, undefined],
    [{ period: Duration.minutes(5) }, undefined],
    [
      { period: Duration.seconds(0) },
      /^\[Stack\/C\] m period must be 1, 5, 10 or 30 seconds or a whole number of minutes, known at synth, got 0 seconds$/,
    ],
    [{ period: Duration.seconds(90) }, /got 1 minute 30 seconds$/],
    [{ period: Duration.seconds(Infinity) }, /got Duration.seconds\(Infinity\)$/],
    [{ unit: 'Nope' }, /^\[Stack\/C\] m unit must be a cloudwatch.Unit, got "Nope"$/],
  ])('validateMetricOptions %j', (options, message) => {
    const call = () => validateMetricOptions(scope(), 'm', options as cloudwatch.MetricOptions, cloudwatch.Unit);
    if (message) {
      expect(call).toThrow(message);
    } else {
      expect(call).not.toThrow();
    }
  });
});
