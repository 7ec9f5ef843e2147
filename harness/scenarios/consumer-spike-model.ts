// The seed scenario's spike (1,000 videos of 2 minutes each) for the three kinds of worker the library
// builds: the video-encoding blueprint's EC2 fleet, a Fargate QueueProcessingService and a Lambda
// QueueProcessingFunction, each allowed the same 20 workers. The local AWS runs no scaling policy, so the
// numbers come from the library's capacity models (BacklogCapacityModel for the fleet and the service,
// LambdaSqsScalingModel for the function), fed with the constructs' own settings: a model, not AWS.
// demoConsumerSpikeModel is the main job's step; it uses no deployed stack.
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  BacklogCapacityModel,
  CapacityModelMinute,
  LambdaSqsScalingModel,
  QueueProcessingFunction,
  QueueProcessingService,
  WorkQueue,
} from '../../src';
import type { LocalAws } from '../local-aws';
import { DeployedStacks, fmt } from '../report';
import { runEncodingFleetModel } from './encoding-fleet-model';

export interface ConsumerSpikeModelOptions {
  /** Videos waiting when the spike hits. @default 1000 */
  readonly videos?: number;
  /** How long one worker takes per video, the blueprint's default. @default Duration.minutes(2) */
  readonly encodingTime?: Duration;
  /** The most workers of each kind: the blueprint's maxEncoders. @default 20 */
  readonly maxWorkers?: number;
  /** How long to model. @default 240 */
  readonly minutes?: number;
}

/** The minutes after which the report counts the videos processed. */
export const CHECKPOINTS = [10, 30, 60] as const;

/** One kind of worker through the spike. */
export interface WorkerKindReport {
  /** `EC2 fleet`, `Fargate service`, `Lambda function`. */
  readonly kind: string;
  /** The library construct that builds it. */
  readonly construct: string;
  /** What was modelled, in a line. */
  readonly settings: string;
  /** The model, minute by minute, in the shape every model shares. */
  readonly minutes: CapacityModelMinute[];
  /** The most workers at once. */
  readonly peakWorkers: number;
  /** The first minute that starts with no video waiting; undefined when the horizon ends first. */
  readonly drainedAtMinute?: number;
  /** Videos processed in the first 10, 30 and 60 minutes, in the order of CHECKPOINTS. */
  readonly processedWithin: number[];
  /** Videos processed over the whole horizon. */
  readonly processed: number;
  /** Videos still waiting when the horizon ends. */
  readonly remaining: number;
}

export interface ConsumerSpikeModelReport {
  readonly videos: number;
  readonly encodingTime: Duration;
  readonly maxWorkers: number;
  readonly horizonMinutes: number;
  /** The fleet, the service and the function, in that order. */
  readonly kinds: WorkerKindReport[];
  /** What the models assume, one line each. */
  readonly assumptions: string[];
}

/**
 * Models the spike for each kind of worker, each built by its construct with comparable settings: the
 * same acceptable wait of 20 minutes (a target of 10 waiting videos per instance or task), at most
 * `maxWorkers` workers, none while the queue is empty, one video per worker at a time.
 */
export function runConsumerSpikeModel(options: ConsumerSpikeModelOptions = {}): ConsumerSpikeModelReport {
  const videos = options.videos ?? 1000;
  const encodingTime = options.encodingTime ?? Duration.minutes(2);
  const maxWorkers = options.maxWorkers ?? 20;
  const horizonMinutes = options.minutes ?? 240;
  const spike = { initialBacklog: videos, processingTimePerMessage: encodingTime, minutes: horizonMinutes };

  // The EC2 fleet: the video-encoding blueprint's own, as the encoding fleet step models it.
  const fleet = runEncodingFleetModel({ videos, encodingTime, maxEncoders: maxWorkers, minutes: horizonMinutes });

  const stack = new Stack(new App(), 'ConsumerSpikeModel', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: '10.1.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
  });
  // A function timeout of twice the encoding time, and the visibility timeout of six times that Lambda asks for.
  const functionTimeout = Duration.seconds(Math.min(900, Math.ceil(encodingTime.toSeconds({ integral: false }) * 2)));
  const visibilityTimeout = Duration.seconds(functionTimeout.toSeconds() * 6);

  // The Fargate service: the fleet's target (20 minutes ÷ 2 minutes), 0..maxWorkers tasks.
  const service = new QueueProcessingService(stack, 'Encoders', {
    queue: new WorkQueue(stack, 'ServiceVideos', { visibilityTimeout }),
    vpc,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.37'),
    acceptableLatency: Duration.minutes(20),
    processingTimePerMessage: encodingTime,
    maxCapacity: maxWorkers,
  });
  const serviceModel = BacklogCapacityModel.forService(service);

  // The Lambda function: one video per invocation, maxWorkers concurrent invocations at most.
  const consumer = new QueueProcessingFunction(stack, 'EncoderFunction', {
    queue: new WorkQueue(stack, 'FunctionVideos', { visibilityTimeout }),
    handler: new lambda.Function(stack, 'Handler', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
      timeout: functionTimeout,
    }),
    batchSize: 1,
    maxConcurrency: maxWorkers,
  });
  const functionModel = LambdaSqsScalingModel.forFunction(consumer);

  const kinds = [
    summarize(
      'EC2 fleet',
      'QueueProcessingFleet',
      // runEncodingFleetModel leaves the warm-up to the model's default, the fleet's default too.
      `the VideoEncodingBlueprint's fleet: target ${fleet.backlogPerInstanceTarget} waiting videos per encoder, ` +
        `0..${fleet.maxEncoders} encoders, ${Duration.minutes(5).toHumanString()} instance warm-up`,
      fleet.minutes,
    ),
    summarize(
      'Fargate service',
      'QueueProcessingService',
      `target ${serviceModel.backlogPerInstanceTarget} waiting videos per task (20 minutes ÷ ${encodingTime.toHumanString()}), ` +
        `${serviceModel.minCapacity}..${serviceModel.maxCapacity} tasks, a task starts in ` +
        `${serviceModel.defaultInstanceWarmup.toHumanString()}; out of zero, the step policy starts one task`,
      serviceModel.simulate(spike),
    ),
    summarize(
      'Lambda function',
      'QueueProcessingFunction',
      `batch size ${functionModel.batchSize} (one video per invocation), maximum concurrency ${functionModel.maxConcurrency}, ` +
        `${fmt(functionModel.availableConcurrency)} concurrent executions available to the function`,
      functionModel.simulate(spike),
    ),
  ];
  return {
    videos,
    encodingTime,
    maxWorkers,
    horizonMinutes,
    kinds,
    assumptions: [
      `every worker encodes one video at a time, in ${encodingTime.toHumanString()}; no video fails`,
      'fleet and service: target tracking scales out after 3 minutes above its target and in after 15 below; ' +
        'a new worker counts after its warm-up or start time',
      `Lambda: ${LambdaSqsScalingModel.INITIAL_CONCURRENCY} concurrent invocations when messages arrive, ` +
        `${LambdaSqsScalingModel.CONCURRENCY_INCREASE_PER_MINUTE} more each minute while messages remain, ` +
        `at most ${fmt(LambdaSqsScalingModel.MAX_MAPPING_CONCURRENCY)} per mapping, its maximum concurrency and the ` +
        'function\'s available concurrency (Lambda Developer Guide, "Configuring scaling behavior for SQS event source mappings")',
      'ignored: metric delays, cooldowns, launch failures, cold starts, throttles and retries',
    ],
  };
}

function summarize(
  kind: string,
  construct: string,
  settings: string,
  minutes: CapacityModelMinute[],
): WorkerKindReport {
  const processed = minutes.reduce((sum, m) => sum + m.processedMessages, 0);
  const last = minutes[minutes.length - 1];
  const remaining = last.visibleMessages - last.processedMessages;
  // The minute after the last one that processed every video waiting in it: the first that starts empty for good.
  const drainedAtMinute = remaining === 0 ? lastEmptying(minutes) + 1 : undefined;
  return {
    kind,
    construct,
    settings,
    minutes,
    peakWorkers: Math.max(...minutes.map((m) => m.workers)),
    drainedAtMinute,
    processedWithin: CHECKPOINTS.map((within) =>
      minutes.filter((m) => m.minute < within).reduce((sum, m) => sum + m.processedMessages, 0),
    ),
    processed,
    remaining,
  };
}

/** The last minute in which the waiting videos went from some to none. */
function lastEmptying(minutes: CapacityModelMinute[]): number {
  for (let i = minutes.length - 1; i >= 0; i--) {
    if (minutes[i].visibleMessages > 0 && minutes[i].visibleMessages === minutes[i].processedMessages) {
      return i;
    }
  }
  return -1;
}

/** Why the model shows a kind of worker failing the spike; empty when each drains it in the horizon. */
export function consumerSpikeModelFailures(report: ConsumerSpikeModelReport): string[] {
  const failures: string[] = [];
  for (const kind of report.kinds) {
    if (kind.processed + kind.remaining !== report.videos) {
      failures.push(
        `${kind.kind}: ${kind.processed} processed and ${kind.remaining} waiting of ${report.videos} videos`,
      );
    }
    if (kind.drainedAtMinute === undefined) {
      failures.push(`${kind.kind}: the spike is not drained within ${report.horizonMinutes} minutes (modelled)`);
    }
  }
  return failures;
}

// ---------------------------------------------------------------------------------------------
// The step in the main job: a model, so it needs no deployed stack.

export function demoConsumerSpikeModel(_local: LocalAws, _deployed: DeployedStacks): number {
  const report = runConsumerSpikeModel();
  console.log(
    `\nThe spike for each kind of worker (capacity models, not AWS; no deployed stack is used): ` +
      `${fmt(report.videos)} videos at ${report.encodingTime.toHumanString()} each, at most ${report.maxWorkers} workers of each kind`,
  );
  const kindWidth = Math.max(...report.kinds.map((k) => `${k.kind} (${k.construct})`.length));
  console.log(
    `  ${'worker kind'.padEnd(kindWidth)} ${'peak'.padStart(7)} ${'drained'.padStart(9)}  ${'processed in the first'.padStart(26)}`,
  );
  console.log(
    `  ${''.padEnd(kindWidth)} ${'workers'.padStart(7)} ${'at minute'.padStart(9)}  ${CHECKPOINTS.map((c) => `${c} min`.padStart(8)).join('')}`,
  );
  for (const kind of report.kinds) {
    console.log(
      `  ${`${kind.kind} (${kind.construct})`.padEnd(kindWidth)} ${String(kind.peakWorkers).padStart(7)} ` +
        `${(kind.drainedAtMinute === undefined ? 'never' : String(kind.drainedAtMinute)).padStart(9)}  ` +
        kind.processedWithin.map((n) => fmt(n).padStart(8)).join(''),
    );
  }
  console.log('Settings:');
  for (const kind of report.kinds) {
    console.log(`  - ${kind.kind}: ${kind.settings}`);
  }
  console.log('Assumptions:');
  for (const assumption of report.assumptions) {
    console.log(`  - ${assumption}`);
  }
  const failures = consumerSpikeModelFailures(report);
  const order = [...report.kinds]
    .filter((k) => k.drainedAtMinute !== undefined)
    .sort((a, b) => a.drainedAtMinute! - b.drainedAtMinute!)
    .map((k) => `${k.kind} after ${k.drainedAtMinute} minutes`);
  console.log(
    failures.length === 0
      ? `Result: every kind drains the spike (modelled): ${order.join(', ')}.`
      : `Result: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}`,
  );
  return failures.length === 0 ? 0 : 1;
}
