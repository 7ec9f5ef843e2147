import { Duration } from 'aws-cdk-lib';
import {
  CHECKPOINTS,
  consumerSpikeModelFailures,
  runConsumerSpikeModel,
  WorkerKindReport,
} from '../harness/scenarios/consumer-spike-model';
import { runEncodingFleetModel } from '../harness/scenarios/encoding-fleet-model';

// The main job's comparison of the three kinds of worker through the 1,000-video spike: the numbers, not the
// printing. Each expectation would fail if a model lost videos, ignored its limits or scaled the wrong way.

describe('the 1,000-video spike for the fleet, the service and the function', () => {
  const report = runConsumerSpikeModel();
  const [fleet, service, fn] = report.kinds;

  test('the three kinds, in order, each built by its construct', () => {
    expect(report.kinds.map((k) => [k.kind, k.construct])).toEqual([
      ['EC2 fleet', 'QueueProcessingFleet'],
      ['Fargate service', 'QueueProcessingService'],
      ['Lambda function', 'QueueProcessingFunction'],
    ]);
    expect(consumerSpikeModelFailures(report)).toEqual([]);
  });

  test.each(['EC2 fleet', 'Fargate service', 'Lambda function'])(
    'the %s processes every one of the 1,000 videos, and none twice',
    (name) => {
      const kind = report.kinds.find((k) => k.kind === name)!;
      expect(kind.processed).toBe(1000);
      expect(kind.remaining).toBe(0);
      expect(kind.minutes[kind.drainedAtMinute!].visibleMessages).toBe(0);
      expect(kind.minutes[kind.drainedAtMinute! - 1].visibleMessages).toBeGreaterThan(0);
      // Between minutes, only processing removes videos (nothing arrives after the spike).
      kind.minutes.slice(1).forEach((m, j) => {
        expect(m.visibleMessages).toBe(kind.minutes[j].visibleMessages - kind.minutes[j].processedMessages);
      });
    },
  );

  test('each kind reaches, and never passes, its 20 workers', () => {
    expect(report.kinds.map((k) => k.peakWorkers)).toEqual([20, 20, 20]);
    for (const kind of report.kinds) {
      expect(kind.minutes.every((m) => m.workers <= 20)).toBe(true);
    }
  });

  test('no kind does more than 20 workers can: 2 minutes per video is at most 10 videos a minute', () => {
    for (const kind of report.kinds) {
      CHECKPOINTS.forEach((within, i) => expect(kind.processedWithin[i]).toBeLessThanOrEqual(within * 10));
      expect(kind.drainedAtMinute).toBeGreaterThanOrEqual(100);
    }
  });

  test('Lambda drains first: 5 invocations at once and all 20 a minute later, with no alarm to wait for', () => {
    expect(fn.minutes.slice(0, 2).map((m) => m.workers)).toEqual([5, 20]);
    expect(fn.drainedAtMinute).toBe(101);
    expect(fn.drainedAtMinute!).toBeLessThan(service.drainedAtMinute!);
  });

  test('the service starts one task out of zero, then 20 after 3 minutes above its target; it drains before the fleet', () => {
    expect(service.minutes.slice(0, 5).map((m) => m.workers)).toEqual([0, 1, 1, 1, 20]);
    expect(service.drainedAtMinute!).toBeLessThan(fleet.drainedAtMinute!);
  });

  test('the fleet waits 5 minutes for its first instance to warm up', () => {
    expect(fleet.minutes.slice(0, 6).map((m) => m.workers)).toEqual([0, 0, 0, 0, 0, 1]);
  });

  test('the fleet is the encoding fleet step’s own model', () => {
    const own = runEncodingFleetModel();
    expect(fleet.minutes).toEqual(own.minutes);
    expect(fleet.drainedAtMinute).toBe(own.drained!.minute);
  });

  test('at every checkpoint Lambda has processed the most videos and the fleet the fewest', () => {
    CHECKPOINTS.forEach((_within, i) => {
      const at = (kind: WorkerKindReport) => kind.processedWithin[i];
      expect(at(fn)).toBeGreaterThan(at(service));
      expect(at(service)).toBeGreaterThan(at(fleet));
    });
  });
});

test('a spike larger than the horizon allows is reported as not drained', () => {
  const report = runConsumerSpikeModel({ videos: 5000, minutes: 60 });
  expect(report.kinds.every((k) => k.drainedAtMinute === undefined && k.remaining > 0)).toBe(true);
  expect(report.kinds.every((k) => k.processed + k.remaining === 5000)).toBe(true);
  expect(consumerSpikeModelFailures(report)).toHaveLength(3);
});

test('a longer encoding time slows every kind alike', () => {
  const report = runConsumerSpikeModel({ encodingTime: Duration.minutes(4), minutes: 400 });
  expect(report.kinds.every((k) => k.processed === 1000)).toBe(true);
  const lambda = report.kinds[2];
  expect(lambda.drainedAtMinute).toBeGreaterThanOrEqual(200);
});
