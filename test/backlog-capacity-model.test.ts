import { CfnParameter, Duration, Lazy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { strictStack } from '../harness/app';
import { BacklogCapacityModel } from '../src/backlog-capacity-model';
import { QueueProcessingService, QueueProcessingServiceProps } from '../src/queue-processing-service';
import { WorkQueue } from '../src/work-queue';

// AWS's worked example, EC2 Auto Scaling User Guide, "Scaling policy based on Amazon SQS"
// (https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-using-sqs-queue.html): with 0.1 s per
// message and 10 s of acceptable latency the target is 10 / 0.1 = 100 messages per instance; 1,500
// visible messages on 10 in-service instances are 150 per instance, "so your group scales out by five
// instances to maintain proportion to the target value".
describe("AWS's worked example", () => {
  const target = BacklogCapacityModel.targetFromLatency(Duration.seconds(10), Duration.millis(100));
  const model = new BacklogCapacityModel({ backlogPerInstanceTarget: target, maxCapacity: 20 });

  test('the target is acceptable latency ÷ processing time: 10 s ÷ 0.1 s = 100', () => {
    expect(target).toBe(100);
  });

  test('1,500 messages on 10 instances are 150 per instance', () => {
    expect(model.backlogPerInstance(1500, 10)).toBe(150);
  });

  test('target tracking asks for 15 instances: a scale-out by five', () => {
    expect(model.desiredCapacity(1500, 10)).toBe(15);
  });

  test('at 15 instances the backlog per instance is back at the target, and the group holds', () => {
    expect(model.backlogPerInstance(1500, 15)).toBe(100);
    expect(model.desiredCapacity(1500, 15)).toBe(15);
  });

  test('15 instances drain the 1,500 messages in 10 s, the acceptable latency', () => {
    expect(BacklogCapacityModel.drainTime(1500, 15, Duration.millis(100)).toSeconds()).toBe(10);
  });
});

describe('BacklogCapacityModel.desiredCapacity', () => {
  const model = new BacklogCapacityModel({ backlogPerInstanceTarget: 100, minCapacity: 0, maxCapacity: 10 });

  test('rounds up, so that the backlog per instance lands at or under the target', () => {
    expect(model.desiredCapacity(101, 1)).toBe(2);
    expect(model.desiredCapacity(250, 5)).toBe(3);
  });

  test('depends on the backlog, not on the current size (the proportion cancels out)', () => {
    expect(model.desiredCapacity(700, 1)).toBe(7);
    expect(model.desiredCapacity(700, 9)).toBe(7);
  });

  test('stays within min and max', () => {
    expect(model.desiredCapacity(1_000_000, 3)).toBe(10);
    expect(new BacklogCapacityModel({ backlogPerInstanceTarget: 100, minCapacity: 2 }).desiredCapacity(0, 5)).toBe(2);
  });

  test('an empty queue scales in to the minimum', () => {
    expect(model.desiredCapacity(0, 4)).toBe(0);
  });

  test('out of zero: the ratio has no value, and the zero-to-one policy asks for one instance', () => {
    expect(model.backlogPerInstance(1500, 0)).toBeUndefined();
    expect(model.desiredCapacity(1500, 0)).toBe(1);
    expect(model.desiredCapacity(0, 0)).toBe(0);
  });

  test('fractional targets do not round up on floating-point noise', () => {
    const third = new BacklogCapacityModel({ backlogPerInstanceTarget: 10 / 3 });
    expect(third.desiredCapacity(10, 1)).toBe(3);
  });
});

describe('BacklogCapacityModel.drainTime', () => {
  test('the seed scenario: 1,000 videos of 2 minutes on 20 encoders take 100 minutes', () => {
    expect(BacklogCapacityModel.drainTime(1000, 20, Duration.minutes(2)).toMinutes()).toBe(100);
  });

  test('needs at least one instance', () => {
    expect(() => BacklogCapacityModel.drainTime(10, 0, Duration.seconds(1))).toThrow(
      /^\[BacklogCapacityModel\] drainTime instances must be a whole number between 1 and 2,147,483,647, got 0$/,
    );
  });
});

describe('BacklogCapacityModel.simulate', () => {
  const model = new BacklogCapacityModel({ backlogPerInstanceTarget: 10, minCapacity: 0, maxCapacity: 20 });
  const run = model.simulate({
    initialBacklog: 1000,
    processingTimePerMessage: Duration.minutes(2),
    minutes: 240,
    instanceWarmup: Duration.minutes(5),
  });

  test('minute 0: messages and no instances, so the zero-to-one policy asks for one', () => {
    expect(run[0]).toMatchObject({ visibleMessages: 1000, inServiceInstances: 0, desiredCapacity: 1 });
    expect(run[0].backlogPerInstance).toBeUndefined();
  });

  test('the first instance counts after the warm-up', () => {
    expect(run[4].inServiceInstances).toBe(0);
    expect(run[5].inServiceInstances).toBe(1);
  });

  test('target tracking then asks for ceil(1,000 ÷ 10) = 100, capped at the maximum of 20, after 3 minutes above target', () => {
    expect(run[6].desiredCapacity).toBe(1);
    expect(run[7].desiredCapacity).toBe(20);
    expect(run[12].inServiceInstances).toBe(20);
  });

  test('20 instances of 2 minutes per message process 10 messages a minute', () => {
    expect(run[12].processedMessages).toBe(10);
  });

  test('no message is lost: everything that arrived is processed or still visible', () => {
    const processed = run.reduce((sum, step) => sum + step.processedMessages, 0);
    const last = run[run.length - 1];
    expect(processed + last.visibleMessages - last.processedMessages).toBe(1000);
  });

  test('the queue drains (scale-ins slow the last messages), and the fleet scales back to zero', () => {
    // 1,000 messages at 10 a minute take 100 minutes once 20 instances run (from minute 12).
    const drained = run.findIndex((step) => step.visibleMessages === 0);
    expect(drained).toBeGreaterThan(110);
    expect(drained).toBeLessThan(140);
    expect(run[run.length - 1]).toMatchObject({ visibleMessages: 0, inServiceInstances: 0, desiredCapacity: 0 });
  });

  test('arrivals join the backlog in their minute', () => {
    const steps = model.simulate({
      initialBacklog: 0,
      processingTimePerMessage: Duration.seconds(6),
      minutes: 3,
      arrivalsPerMinute: [0, 50],
      initialInServiceInstances: 1,
    });
    expect(steps.map((s) => s.visibleMessages)).toEqual([0, 50, 40]);
    expect(steps.map((s) => s.processedMessages)).toEqual([0, 10, 10]);
  });

  test.each([
    [
      'minutes 0',
      { minutes: 0 },
      /^\[BacklogCapacityModel\] simulate minutes must be a whole number between 1 and 10,080, got 0$/,
    ],
    [
      'a negative backlog',
      { initialBacklog: -1 },
      /^\[BacklogCapacityModel\] simulate initialBacklog must be a whole number between 0 and 9,007,199,254,740,991, got -1$/,
    ],
    [
      'no processing time',
      { processingTimePerMessage: Duration.seconds(0) },
      /^\[BacklogCapacityModel\] simulate processingTimePerMessage must be between 1 millisecond and 12 hours, got 0 seconds$/,
    ],
  ])('rejects %s', (_name, override, message) => {
    expect(() =>
      model.simulate({ initialBacklog: 10, processingTimePerMessage: Duration.seconds(1), minutes: 5, ...override }),
    ).toThrow(message);
  });
});

describe('BacklogCapacityModel rejects a policy that cannot exist', () => {
  test.each([
    [
      'a target of 0',
      { backlogPerInstanceTarget: 0 },
      /^\[BacklogCapacityModel\] backlogPerInstanceTarget must be a finite number above 0 and at most 9,007,199,254,740,991, got 0$/,
    ],
    [
      'an infinite target',
      { backlogPerInstanceTarget: Infinity },
      /^\[BacklogCapacityModel\] backlogPerInstanceTarget must be a finite number above 0 and at most 9,007,199,254,740,991, got Infinity$/,
    ],
    [
      'a NaN target',
      { backlogPerInstanceTarget: NaN },
      /^\[BacklogCapacityModel\] backlogPerInstanceTarget must be a finite number above 0 and at most 9,007,199,254,740,991, got NaN$/,
    ],
    [
      'a negative minimum',
      { backlogPerInstanceTarget: 1, minCapacity: -1 },
      /^\[BacklogCapacityModel\] minCapacity must be a whole number between 0 and 2,147,483,646, got -1$/,
    ],
    [
      'a fractional minimum',
      { backlogPerInstanceTarget: 1, minCapacity: 1.5 },
      /^\[BacklogCapacityModel\] minCapacity must be a whole number between 0 and 2,147,483,646, got 1.5$/,
    ],
    [
      'a maximum of 0',
      { backlogPerInstanceTarget: 1, maxCapacity: 0 },
      /^\[BacklogCapacityModel\] maxCapacity must be a whole number between 1 and 2,147,483,647, got 0$/,
    ],
    [
      'a maximum below the minimum',
      { backlogPerInstanceTarget: 1, minCapacity: 5, maxCapacity: 4 },
      /^\[BacklogCapacityModel\] maxCapacity must be greater than minCapacity \(5\): scaling policies act only between the two, got 4$/,
    ],
    [
      'a maximum equal to the minimum (target tracking could never act)',
      { backlogPerInstanceTarget: 1, minCapacity: 5, maxCapacity: 5 },
      /^\[BacklogCapacityModel\] maxCapacity must be greater than minCapacity \(5\): scaling policies act only between the two, got 5$/,
    ],
    [
      'a minimum above the default maximum',
      { backlogPerInstanceTarget: 1, minCapacity: 11 },
      /^\[BacklogCapacityModel\] minCapacity must be less than maxCapacity \(10\): scaling policies act only between the two, got 11$/,
    ],
    [
      'a deploy-time target',
      { backlogPerInstanceTarget: Token.asNumber(Lazy.number({ produce: () => 5 })) },
      /^\[BacklogCapacityModel\] backlogPerInstanceTarget must be known at synth \(the model computes with it\), got a deploy-time value$/,
    ],
  ])('%s', (_name, props, message) => {
    expect(() => new BacklogCapacityModel(props)).toThrow(message);
  });

  test('targetFromLatency refuses zero processing time instead of returning Infinity', () => {
    expect(() => BacklogCapacityModel.targetFromLatency(Duration.seconds(10), Duration.seconds(0))).toThrow(
      /^\[BacklogCapacityModel\] targetFromLatency processingTimePerMessage must be between 1 millisecond and 12 hours, got 0 seconds$/,
    );
  });

  test.each([
    [
      'a NaN latency',
      Duration.seconds(NaN),
      Duration.seconds(1),
      /targetFromLatency acceptableLatency must be between 1 millisecond and 14 days, got Duration.seconds\(NaN\)$/,
    ],
    [
      'an infinite latency',
      Duration.seconds(Infinity),
      Duration.seconds(1),
      /targetFromLatency acceptableLatency must be between 1 millisecond and 14 days, got Duration.seconds\(Infinity\)$/,
    ],
    [
      'a latency beyond SQS retention',
      Duration.days(15),
      Duration.seconds(1),
      /targetFromLatency acceptableLatency must be between 1 millisecond and 14 days, got 15 days$/,
    ],
    [
      'a processing time beyond the longest visibility timeout',
      Duration.seconds(10),
      Duration.hours(13),
      /targetFromLatency processingTimePerMessage must be between 1 millisecond and 12 hours, got 13 hours$/,
    ],
    [
      'a deploy-time latency',
      Duration.hours(Lazy.number({ produce: () => 1 })),
      Duration.seconds(1),
      /targetFromLatency acceptableLatency must be known at synth \(the model computes with it\), got a deploy-time Duration \(Duration.hours\(…\)\)$/,
    ],
    [
      'a latency that is not a Duration',
      10 as unknown as Duration,
      Duration.seconds(1),
      /targetFromLatency acceptableLatency must be a Duration between 1 millisecond and 14 days, got 10$/,
    ],
  ])('targetFromLatency refuses %s', (_name, latency, processing, message) => {
    expect(() => BacklogCapacityModel.targetFromLatency(latency, processing)).toThrow(message);
  });
});

describe('BacklogCapacityModel methods refuse what no group or queue could have (no NaN, no negative depth, no crash)', () => {
  const model = new BacklogCapacityModel({ backlogPerInstanceTarget: 10, maxCapacity: 20 });
  const simulation = { initialBacklog: 10, processingTimePerMessage: Duration.seconds(1), minutes: 5 };

  test.each([
    [
      'desiredCapacity with NaN messages',
      () => model.desiredCapacity(NaN, 1),
      /^\[BacklogCapacityModel\] desiredCapacity visibleMessages must be a whole number between 0 and 9,007,199,254,740,991, got NaN$/,
    ],
    [
      'desiredCapacity with negative messages',
      () => model.desiredCapacity(-5, 1),
      /^\[BacklogCapacityModel\] desiredCapacity visibleMessages must be a whole number between 0 and 9,007,199,254,740,991, got -5$/,
    ],
    [
      'desiredCapacity with a fractional instance count',
      () => model.desiredCapacity(10, 1.5),
      /^\[BacklogCapacityModel\] desiredCapacity inServiceInstances must be a whole number between 0 and 2,147,483,647, got 1.5$/,
    ],
    [
      'backlogPerInstance with Infinity',
      () => model.backlogPerInstance(Infinity, 1),
      /^\[BacklogCapacityModel\] backlogPerInstance visibleMessages must be a whole number between 0 and 9,007,199,254,740,991, got Infinity$/,
    ],
    [
      'drainTime with NaN messages',
      () => BacklogCapacityModel.drainTime(NaN, 1, Duration.seconds(1)),
      /^\[BacklogCapacityModel\] drainTime visibleMessages must be a whole number between 0 and 9,007,199,254,740,991, got NaN$/,
    ],
    [
      'drainTime with a NaN processing time',
      () => BacklogCapacityModel.drainTime(1, 1, Duration.seconds(NaN)),
      /^\[BacklogCapacityModel\] drainTime processingTimePerMessage must be between 1 millisecond and 12 hours, got Duration.seconds\(NaN\)$/,
    ],
    [
      'simulate with a fractional initial instance count (used to crash on new Array)',
      () => model.simulate({ ...simulation, initialInServiceInstances: 1.5 }),
      /^\[BacklogCapacityModel\] simulate initialInServiceInstances must be a whole number between 0 and 2,147,483,647, got 1.5$/,
    ],
    [
      'simulate with negative arrivals (used to make negative depths)',
      () => model.simulate({ ...simulation, arrivalsPerMinute: [0, -20] }),
      /^\[BacklogCapacityModel\] simulate arrivalsPerMinute\[1\] must be a whole number between 0 and 9,007,199,254,740,991, got -20$/,
    ],
    [
      'simulate with NaN arrivals',
      () => model.simulate({ ...simulation, arrivalsPerMinute: [NaN] }),
      /^\[BacklogCapacityModel\] simulate arrivalsPerMinute\[0\] must be a whole number between 0 and 9,007,199,254,740,991, got NaN$/,
    ],
    [
      'simulate with a NaN warm-up (instances used to never arrive)',
      () => model.simulate({ ...simulation, instanceWarmup: Duration.seconds(NaN) }),
      /^\[BacklogCapacityModel\] simulate instanceWarmup must be between 0 seconds and 1 hour, got Duration.seconds\(NaN\)$/,
    ],
    [
      'simulate with fractional minutes',
      () => model.simulate({ ...simulation, minutes: 2.5 }),
      /^\[BacklogCapacityModel\] simulate minutes must be a whole number between 1 and 10,080, got 2.5$/,
    ],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });

  test('a group of two billion instances simulates without allocating one entry per instance', () => {
    const huge = new BacklogCapacityModel({ backlogPerInstanceTarget: 1, maxCapacity: 2_000_000_000 });
    const steps = huge.simulate({
      initialBacklog: 2_000_000_000,
      processingTimePerMessage: Duration.minutes(1),
      minutes: 15,
      initialInServiceInstances: 1,
    });
    // After 3 minutes above the target it asks for ceil(1,999,999,998 ÷ 1); they come into service at minute 7.
    expect(steps[7].inServiceInstances).toBe(1_999_999_998);
    expect(steps.every((step) => step.visibleMessages >= 0 && Number.isFinite(step.visibleMessages))).toBe(true);
  });
});

describe('BacklogCapacityModel for a Fargate QueueProcessingService', () => {
  function service(props: Partial<QueueProcessingServiceProps> = {}): QueueProcessingService {
    const stack = strictStack();
    return new QueueProcessingService(stack, 'Encoders', {
      queue: new WorkQueue(stack, 'Videos', { visibilityTimeout: Duration.minutes(30) }),
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        vpcCidrBlock: '10.1.0.0/16',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
        privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
      }),
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.37'),
      acceptableLatency: Duration.minutes(20),
      processingTimePerMessage: Duration.minutes(2),
      maxCapacity: 20,
      ...props,
    });
  }

  test("takes the service's target and bounds, and a task start time of 1 minute as the warm-up", () => {
    const model = BacklogCapacityModel.forService(service());
    expect(model).toMatchObject({ backlogPerInstanceTarget: 10, minCapacity: 0, maxCapacity: 20 });
    expect(model.defaultInstanceWarmup.toSeconds()).toBe(60);
    const slower = BacklogCapacityModel.forService(service(), { taskStartTime: Duration.minutes(3) });
    expect(slower.defaultInstanceWarmup.toMinutes()).toBe(3);
  });

  describe('out of zero, as the service does it: the step policy asks for one task, then target tracking for the rest', () => {
    const steps = BacklogCapacityModel.forService(service()).simulate({
      initialBacklog: 1000,
      processingTimePerMessage: Duration.minutes(2),
      minutes: 240,
    });

    test('minute 0: messages and no task, so the step policy asks for one; it runs from minute 1', () => {
      expect(steps.slice(0, 2).map((s) => [s.workers, s.desiredCapacity])).toEqual([
        [0, 1],
        [1, 1],
      ]);
    });

    test('three minutes above the target (minutes 1 to 3), then 20 tasks, running from minute 4', () => {
      expect(steps.slice(1, 5).map((s) => s.desiredCapacity)).toEqual([1, 1, 20, 20]);
      expect(steps.slice(3, 5).map((s) => s.workers)).toEqual([1, 20]);
    });

    test('workers are the running tasks, and every video is processed', () => {
      expect(steps.every((s) => s.workers === s.inServiceInstances)).toBe(true);
      expect(steps.reduce((sum, s) => sum + s.processedMessages, 0)).toBe(1000);
      expect(steps[steps.length - 1]).toMatchObject({ visibleMessages: 0, workers: 0, desiredCapacity: 0 });
    });

    test('tasks start sooner than instances warm up, so the service drains before the fleet', () => {
      const fleet = new BacklogCapacityModel({ backlogPerInstanceTarget: 10, maxCapacity: 20 }).simulate({
        initialBacklog: 1000,
        processingTimePerMessage: Duration.minutes(2),
        minutes: 240,
      });
      const drained = (run: Array<{ minute: number; visibleMessages: number }>) =>
        run.find((s) => s.minute > 0 && s.visibleMessages === 0)!.minute;
      expect(drained(steps)).toBeLessThan(drained(fleet));
    });
  });

  test('a service with a minimum keeps its tasks and never needs the step policy', () => {
    const model = BacklogCapacityModel.forService(service({ minCapacity: 2 }));
    const steps = model.simulate({ initialBacklog: 0, processingTimePerMessage: Duration.seconds(1), minutes: 3 });
    expect(steps.map((s) => s.workers)).toEqual([2, 2, 2]);
  });

  test.each([
    [
      'a deploy-time minimum',
      () => service({ minCapacity: new CfnParameter(strictStack(), 'Min', { type: 'Number' }).valueAsNumber }),
      {},
      /^\[BacklogCapacityModel\] forService service.minCapacity must be known at synth \(the model computes with it\), got a deploy-time value$/,
    ],
    [
      'a target beyond what a double counts exactly',
      () => service({ acceptableLatency: undefined, processingTimePerMessage: undefined, backlogPerTaskTarget: 1e20 }),
      {},
      /^\[BacklogCapacityModel\] forService service.backlogPerTaskTarget must be a finite number above 0 and at most 9,007,199,254,740,991, got 100,000,000,000,000,000,000$/,
    ],
    [
      'a task start time beyond an hour',
      () => service(),
      { taskStartTime: Duration.hours(2) },
      /^\[BacklogCapacityModel\] forService options.taskStartTime must be between 0 seconds and 1 hour, got 2 hours$/,
    ],
    [
      'a deploy-time task start time',
      () => service(),
      { taskStartTime: Duration.minutes(Token.asNumber(Lazy.number({ produce: () => 1 }))) },
      /^\[BacklogCapacityModel\] forService options.taskStartTime must be known at synth \(the model computes with it\), got a deploy-time Duration \(Duration.minutes\(…\)\)$/,
    ],
    [
      'something that is not a service',
      () => 'Encoders' as unknown as QueueProcessingService,
      {},
      /^\[BacklogCapacityModel\] forService service must be a QueueProcessingService, got "Encoders"$/,
    ],
  ])('forService refuses %s', (_name, build, options, message) => {
    expect(() => BacklogCapacityModel.forService(build(), options)).toThrow(message);
  });
});

describe('BacklogCapacityModel defaultInstanceWarmup', () => {
  test('is the warm-up simulate uses when it is given none', () => {
    const model = new BacklogCapacityModel({
      backlogPerInstanceTarget: 10,
      defaultInstanceWarmup: Duration.minutes(2),
    });
    const steps = model.simulate({ initialBacklog: 5, processingTimePerMessage: Duration.seconds(1), minutes: 3 });
    expect(steps.map((s) => s.workers)).toEqual([0, 0, 1]);
    expect(
      model
        .simulate({
          ...{ initialBacklog: 5, processingTimePerMessage: Duration.seconds(1), minutes: 3 },
          instanceWarmup: Duration.seconds(0),
        })
        .map((s) => s.workers),
    ).toEqual([0, 1, 1]);
  });

  test('defaults to 5 minutes, and is refused beyond an hour or NaN', () => {
    expect(new BacklogCapacityModel({ backlogPerInstanceTarget: 1 }).defaultInstanceWarmup.toMinutes()).toBe(5);
    expect(
      () => new BacklogCapacityModel({ backlogPerInstanceTarget: 1, defaultInstanceWarmup: Duration.minutes(61) }),
    ).toThrow(
      /^\[BacklogCapacityModel\] defaultInstanceWarmup must be between 0 seconds and 1 hour, got 1 hour 1 minute$/,
    );
    expect(
      () => new BacklogCapacityModel({ backlogPerInstanceTarget: 1, defaultInstanceWarmup: Duration.seconds(NaN) }),
    ).toThrow(
      /^\[BacklogCapacityModel\] defaultInstanceWarmup must be between 0 seconds and 1 hour, got Duration.seconds\(NaN\)$/,
    );
  });
});
