// The encoding fleet of the video-encoding blueprint in the seed scenario's spike. moto creates the
// fleet's group and launch template but runs no scaling policy, so the fleet's behaviour in the
// spike comes from the library's capacity model, fed with the blueprint's own numbers: a model of
// target tracking on backlog per instance, not AWS. demoEncodingFleetModel is the main job's step.
import { App, Duration } from 'aws-cdk-lib';
import { BacklogCapacityModel, BacklogSimulationMinute } from '../../src';
import { VideoEncodingBlueprint } from '../../src/blueprints';
import { availabilityZoneContext } from '../app';
import type { LocalAws } from '../local-aws';
import { DeployedStacks, fmt } from '../report';

export interface EncodingFleetModelOptions {
  /** Videos waiting when the spike hits. @default 1000 */
  readonly videos?: number;
  /** The blueprint's default. @default Duration.minutes(2) */
  readonly encodingTime?: Duration;
  /** The blueprint's default. @default 20 */
  readonly maxEncoders?: number;
  /** How long to model. @default 240 */
  readonly minutes?: number;
}

export interface EncodingFleetModelReport {
  readonly videos: number;
  readonly encodingTime: Duration;
  /** The blueprint's fleet's target of waiting videos per encoder. */
  readonly backlogPerInstanceTarget: number;
  readonly maxEncoders: number;
  readonly horizonMinutes: number;
  /** The model, minute by minute. */
  readonly minutes: BacklogSimulationMinute[];
  /** The most encoders in service at once. */
  readonly peak: number;
  /** The first minute (after 0) with no video waiting; undefined when the horizon ends first. */
  readonly drained?: BacklogSimulationMinute;
}

/** Models the fleet of a fresh VideoEncodingBlueprint through a spike of `videos` uploads. */
export function runEncodingFleetModel(options: EncodingFleetModelOptions = {}): EncodingFleetModelReport {
  const app = new App({ context: availabilityZoneContext('123456789012', 'us-east-1') });
  const blueprint = new VideoEncodingBlueprint(app, 'Model', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const fleet = blueprint.encoders;
  const videos = options.videos ?? 1000;
  const encodingTime = options.encodingTime ?? Duration.minutes(2);
  const maxEncoders = options.maxEncoders ?? 20;
  const horizonMinutes = options.minutes ?? 240;
  const model = new BacklogCapacityModel({
    backlogPerInstanceTarget: fleet.backlogPerInstanceTarget,
    minCapacity: 0,
    maxCapacity: maxEncoders,
  });
  const minutes = model.simulate({
    initialBacklog: videos,
    processingTimePerMessage: encodingTime,
    minutes: horizonMinutes,
  });
  return {
    videos,
    encodingTime,
    backlogPerInstanceTarget: fleet.backlogPerInstanceTarget,
    maxEncoders,
    horizonMinutes,
    minutes,
    peak: Math.max(...minutes.map((m) => m.inServiceInstances)),
    drained: minutes.find((m) => m.minute > 0 && m.visibleMessages === 0),
  };
}

/** Why the model shows the fleet failing the spike; empty when it drains the backlog in time. */
export function encodingFleetModelFailures(report: EncodingFleetModelReport): string[] {
  return report.drained ? [] : [`the spike is not drained within ${drainHorizon(report)} (modelled)`];
}

// ---------------------------------------------------------------------------------------------
// The scenario in the main job: checks the deployed VideoEncodingBlueprint has its group, models, prints.

const DEMO_STACK = 'VideoEncodingBlueprint';

export function demoEncodingFleetModel(_local: LocalAws, deployed: DeployedStacks): number {
  const target = deployed.get(DEMO_STACK);
  if (!target?.outputs.AutoScalingGroupName) {
    console.error(`\n${DEMO_STACK} is missing or has no AutoScalingGroupName output.`);
    return 1;
  }
  const report = runEncodingFleetModel();
  const { drained } = report;
  console.log(
    `\nThe encoding fleet (${DEMO_STACK}, group ${target.outputs.AutoScalingGroupName} deployed; moto runs no scaling): ` +
      `capacity model of the spike, ${fmt(report.videos)} videos at ${report.encodingTime.toHumanString()} each, ` +
      `target ${report.backlogPerInstanceTarget} waiting videos per encoder, 0..${report.maxEncoders} encoders`,
  );
  console.log(`  ${'minute'.padStart(6)} ${'waiting'.padStart(8)} ${'encoders'.padStart(8)} ${'desired'.padStart(8)}`);
  for (const m of report.minutes.filter((step) => step.minute % 15 === 0 || step === drained)) {
    console.log(
      `  ${String(m.minute).padStart(6)} ${fmt(Math.round(m.visibleMessages)).padStart(8)} ${String(m.inServiceInstances).padStart(8)} ${String(m.desiredCapacity).padStart(8)}`,
    );
    if (m === drained) {
      break;
    }
  }
  console.log(
    `Result: at most ${report.peak} encoders; the spike is drained ${drained ? `after ${drained.minute} minutes` : `not within ${drainHorizon(report)}`} (modelled).`,
  );
  return encodingFleetModelFailures(report).length === 0 ? 0 : 1;
}

function drainHorizon(report: EncodingFleetModelReport): string {
  return report.horizonMinutes % 60 === 0 ? `${report.horizonMinutes / 60} hours` : `${report.horizonMinutes} minutes`;
}
