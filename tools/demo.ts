// The main job after synthesis: deploy every blueprint in cdk.out into the embedded local AWS with
// the real CDK CLI, make up for what moto's CloudFormation skips, then run the scenarios: the seed
// scenario (a spike of encoding jobs, some of them poison) against the WorkQueue blueprint, and
// the order scenario (orders fanned out to three queues, one filtered) against the order fan-out
// blueprint, and account for every job and order. Exits non-zero when a stack fails to deploy or
// a job or order is lost or misrouted.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { App, Duration } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { orderFanOutFailures, runOrderFanOut } from './order-scenario';
import { cdkCliEnv, CdkCliResult, runCdkCli, runEncodingSpike, SpikeProgress, spikeFailures } from './seed-scenario';
import { runTelemetry, telemetryFailures } from './telemetry-scenario';
import { BacklogCapacityModel, VideoEncodingBlueprint } from '../src';
import {
  DeployedStack,
  fillGapsAfterCliDeploy,
  LocalAws,
  prepareTemplateForMoto,
  startLocalAws,
} from '../test/support/local-aws';

const REPO_ROOT = path.resolve(__dirname, '..');
const ASSEMBLY_DIR = path.join(REPO_ROOT, 'cdk.out');
const SCENARIO_STACK = 'WorkQueueBlueprint';
const FAN_OUT_STACK = 'OrderFanOutBlueprint';
const ORDERS = 1000;
const FLEET_STACK = 'VideoEncodingBlueprint';
const TELEMETRY_STACK = 'TelemetryBlueprint';
const TRUCKS = 10_000;
const POSITIONS_PER_TRUCK = 2;
const JOBS = 1000;
const POISON_SHARE = 0.02;
const WORKERS = 8;
// See EncodingSpikeOptions.maxQueueDepth: the window keeps moto fast without changing what is proven.
const MAX_QUEUE_DEPTH = 50;

interface StackToDeploy {
  readonly stackName: string;
  /** The template the CLI deploys: the repo's, or the rewritten copy's. */
  readonly templateFile: string;
}

async function main(): Promise<number> {
  if (!fs.existsSync(path.join(ASSEMBLY_DIR, 'manifest.json'))) {
    console.error(`No cloud assembly in ${ASSEMBLY_DIR}: run tools/synth-blueprints.ts first (npx projen demo does).`);
    return 1;
  }
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-demo-'));
  const abort = new AbortController();
  let local: LocalAws | undefined;
  let stopping: Promise<void> | undefined;
  const stopLocal = () => (stopping ??= local?.stop() ?? Promise.resolve());
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: stopping the CDK CLI and the local AWS`);
    abort.abort();
    void stopLocal().finally(() => {
      fs.rmSync(workDir, { recursive: true, force: true });
      const left = local ? motoServersOnPort(local.port) : [];
      if (left.length > 0) {
        console.error(`moto_server still running on port ${local?.port}: pid ${left.join(', ')}`);
      }
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let exitCode = 1;
  let port: number | undefined;
  try {
    const startedAt = Date.now();
    local = await startLocalAws();
    port = local.port;
    console.log(`Local AWS: moto on ${local.endpoint} (ready in ${seconds(Date.now() - startedAt)})`);
    exitCode = await deployAndRunScenario(local, workDir, abort.signal);
  } catch (e) {
    console.error(`\nDemo failed: ${e instanceof Error ? e.message : String(e)}`);
    exitCode = 1;
  } finally {
    await stopLocal();
    fs.rmSync(workDir, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  if (port !== undefined) {
    const left = motoServersOnPort(port);
    if (left.length > 0) {
      console.error(`moto_server still running on port ${port}: pid ${left.join(', ')}`);
      return 1;
    }
    console.log(`Local AWS stopped (no moto_server left on port ${port}).`);
  }
  return exitCode;
}

async function deployAndRunScenario(local: LocalAws, workDir: string, signal: AbortSignal): Promise<number> {
  const { appDir, stacks } = prepareAssembly(local, workDir);
  const env = cdkCliEnv(local.env());
  const cli = async (what: string, args: string[]): Promise<CdkCliResult> => {
    const result = await runCdkCli(args, { cwd: workDir, env, signal });
    if (signal.aborted) {
      return result; // Interrupted: the signal handler reports it.
    }
    console.log(
      `${what.padEnd(36)} ${result.exitCode === 0 ? 'ok' : `FAILED (exit ${result.exitCode})`}  ${seconds(result.ms)}`,
    );
    if (result.exitCode !== 0) {
      console.log(indent(tail(result.output, 40)));
    }
    return result;
  };

  const bootstrap = await cli('cdk bootstrap', ['bootstrap', `aws://${local.account}/${local.region}`]);
  if (bootstrap.exitCode !== 0) {
    return 1;
  }
  // --method direct (CreateStack/UpdateStack) rather than the default change set: moto 5.2.5's
  // ExecuteChangeSet creates the resources but never evaluates the template's Outputs, so the stack
  // would have no JobQueueUrl; DescribeStacks after CreateStack has them.
  const deploy = await cli(`cdk deploy --all (${stacks.length} stack${stacks.length === 1 ? '' : 's'})`, [
    'deploy',
    '--app',
    appDir,
    '--all',
    '--require-approval',
    'never',
    '--method',
    'direct',
    '--progress',
    'events',
  ]);

  console.log('\nStacks (after fillGapsAfterCliDeploy):');
  const deployed = new Map<string, DeployedStack>();
  let failed = deploy.exitCode !== 0;
  for (const stack of stacks) {
    const status = await stackStatus(local, stack.stackName);
    if (!status.endsWith('_COMPLETE') || status.includes('ROLLBACK')) {
      console.log(`  ${stack.stackName.padEnd(24)} NOT DEPLOYED (${status})`);
      failed = true;
      continue;
    }
    try {
      const result = await fillGapsAfterCliDeploy(local, stack);
      deployed.set(stack.stackName, result);
      console.log(`  ${stack.stackName.padEnd(24)} ${describeDeployment(result)}`);
    } catch (e) {
      console.log(`  ${stack.stackName.padEnd(24)} FAILED filling gaps: ${(e as Error).message}`);
      failed = true;
    }
  }
  if (failed) {
    return 1;
  }

  const results = [
    await runEncodingScenario(local, deployed),
    await runOrderScenario(local, deployed),
    await runTelemetryScenario(local, deployed),
    simulateEncodingFleet(deployed),
  ];
  return results.every((code) => code === 0) ? 0 : 1;
}

async function runEncodingScenario(local: LocalAws, deployed: Map<string, DeployedStack>): Promise<number> {
  const target = deployed.get(SCENARIO_STACK);
  if (!target) {
    console.error(`\nThe assembly has no ${SCENARIO_STACK} stack, so there is nothing to run the seed scenario on.`);
    return 1;
  }
  const queueUrl = target.outputs.JobQueueUrl;
  const deadLetterQueueUrl = target.outputs.DeadLetterQueueUrl;
  if (!queueUrl || !deadLetterQueueUrl) {
    console.error(
      `\n${SCENARIO_STACK} has no JobQueueUrl/DeadLetterQueueUrl output (outputs: ${JSON.stringify(target.outputs)})`,
    );
    return 1;
  }

  const poison = Math.round(JOBS * POISON_SHARE);
  console.log(
    `\nRunning the seed scenario on ${SCENARIO_STACK}: ${fmt(JOBS)} jobs (${poison} poison), ${WORKERS} workers, ` +
      `at most ${MAX_QUEUE_DEPTH} jobs waiting at a time (moto's SQS slows down in proportion to queue depth)`,
  );
  const bar = new ProgressBar();
  const logMark = local.logMark();
  const report = await runEncodingSpike({
    sqs: local.sqs(),
    queueUrl,
    deadLetterQueueUrl,
    jobs: JOBS,
    poisonShare: POISON_SHARE,
    workers: WORKERS,
    maxQueueDepth: MAX_QUEUE_DEPTH,
    onProgress: (p) => bar.update(p),
  }).finally(() => bar.done());
  // The SDK retries moto's HTTP 500s silently; only moto's log tells that one happened.
  const motoErrors = local.logs(logMark).match(/^\w+Error: .*$/gm) ?? [];

  const rows: Array<[string, string, string?]> = [
    ['sent', fmt(report.sent)],
    ['processed', fmt(report.processed), `(duplicates: ${fmt(report.duplicates)})`],
    ['dead-letter', fmt(report.deadLettered), `(${fmt(report.poisonReceives)} failed receives before the move)`],
    ['lost', fmt(report.lost)],
    ['poison done', fmt(report.poisonProcessed), '(poison jobs processed by mistake)'],
    [
      'time',
      seconds(report.spikeMs + report.drainMs),
      `(spike ${seconds(report.spikeMs)}, DLQ drain ${seconds(report.drainMs)})`,
    ],
  ];
  console.log(`Seed scenario: ${fmt(report.jobs)} encoding jobs, ${fmt(report.poison)} poison`);
  for (const [label, value, note] of rows) {
    console.log(`  ${label.padEnd(12)} ${value.padStart(7)}${note ? `   ${note}` : ''}`);
  }
  if (motoErrors.length > 0) {
    console.log(
      `  (moto raised ${motoErrors.length} internal error(s), retried by the SDK; last: ${motoErrors.at(-1)})`,
    );
  }
  const failures = spikeFailures(report);
  if (failures.length > 0) {
    console.log(`\nResult: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  console.log(
    `\nResult: every job accounted for; the ${fmt(report.poison)} poison jobs, and only they, are in the dead-letter queue with intact bodies.`,
  );
  return 0;
}

async function runOrderScenario(local: LocalAws, deployed: Map<string, DeployedStack>): Promise<number> {
  const target = deployed.get(FAN_OUT_STACK);
  if (!target) {
    console.error(`\nThe assembly has no ${FAN_OUT_STACK} stack, so there is nothing to run the order scenario on.`);
    return 1;
  }
  const { OrderPlacedTopicArn, FulfilmentQueueUrl, BillingQueueUrl, AnalyticsQueueUrl } = target.outputs;
  if (!OrderPlacedTopicArn || !FulfilmentQueueUrl || !BillingQueueUrl || !AnalyticsQueueUrl) {
    console.error(`\n${FAN_OUT_STACK} lacks an output the scenario needs (outputs: ${JSON.stringify(target.outputs)})`);
    return 1;
  }
  console.log(
    `\nRunning the order scenario on ${FAN_OUT_STACK}: ${fmt(ORDERS)} orders published to the order-placed topic, ` +
      'every tenth large (>= 1,000); fulfilment and billing (raw) must get all, analytics only the large ones',
  );
  const report = await runOrderFanOut({
    sns: local.sns(),
    sqs: local.sqs(),
    topicArn: OrderPlacedTopicArn,
    fulfilmentQueueUrl: FulfilmentQueueUrl,
    billingQueueUrl: BillingQueueUrl,
    analyticsQueueUrl: AnalyticsQueueUrl,
    orders: ORDERS,
  });
  console.log(
    `Order scenario: ${fmt(report.published)} orders published, ${fmt(report.large)} large, in ${seconds(report.ms)}`,
  );
  console.log(
    `  ${'queue'.padEnd(12)} ${'expected'.padStart(8)} ${'received'.padStart(8)} ${'lost'.padStart(5)} ${'dupl.'.padStart(5)} ${'misrouted'.padStart(9)} ${'wrong shape'.padStart(11)}`,
  );
  for (const q of report.queues) {
    console.log(
      `  ${q.queue.padEnd(12)} ${fmt(q.expected).padStart(8)} ${fmt(q.received).padStart(8)} ${fmt(q.lost).padStart(5)} ` +
        `${fmt(q.duplicates).padStart(5)} ${fmt(q.misrouted).padStart(9)} ${fmt(q.wrongShape).padStart(11)}`,
    );
  }
  const failures = orderFanOutFailures(report);
  if (failures.length > 0) {
    console.log(`\nResult: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  console.log(
    '\nResult: every order reached every queue it should, and no other; billing got raw orders, the others the SNS envelope.',
  );
  return 0;
}

async function runTelemetryScenario(local: LocalAws, deployed: Map<string, DeployedStack>): Promise<number> {
  const target = deployed.get(TELEMETRY_STACK);
  const { StreamName, DeliveryStreamName, ArchiveBucketName } = target?.outputs ?? {};
  if (!StreamName || !DeliveryStreamName || !ArchiveBucketName) {
    console.error(`\n${TELEMETRY_STACK} is missing or lacks an output the telemetry scenario needs.`);
    return 1;
  }
  console.log(
    `\nRunning the telemetry scenario on ${TELEMETRY_STACK}: ${fmt(TRUCKS)} trucks report ${POSITIONS_PER_TRUCK} positions each, ` +
      'partitioned by truck; a reader replays the stream from the beginning, and a sample goes into the archive',
  );
  const report = await runTelemetry({
    kinesis: local.kinesis(),
    firehose: local.firehose(),
    s3: local.s3(),
    streamName: StreamName,
    deliveryStreamName: DeliveryStreamName,
    bucketName: ArchiveBucketName,
    dataPrefix: 'data/year=',
    trucks: TRUCKS,
    positionsPerTruck: POSITIONS_PER_TRUCK,
  });
  const rows: Array<[string, string, string?]> = [
    ['written', fmt(report.written), `(${fmt(report.trucks)} trucks, ${report.shards} shard(s) in the local stream)`],
    ['read back', fmt(report.read), `(missing ${fmt(report.missing)}, duplicates ${fmt(report.duplicates)})`],
    ['out of order', fmt(report.trucksOutOfOrder), 'trucks whose positions came back out of order'],
    [
      'archived',
      fmt(report.archivedRecords),
      `of ${fmt(report.archiveSample)} put into Firehose, in ${fmt(report.archivedObjects)} object(s) under the data prefix`,
    ],
    [
      'time',
      seconds(report.streamMs + report.archiveMs),
      `(stream ${seconds(report.streamMs)}, archive ${seconds(report.archiveMs)})`,
    ],
  ];
  console.log('Telemetry scenario:');
  for (const [label, value, note] of rows) {
    console.log(`  ${label.padEnd(12)} ${value.padStart(7)}${note ? `   ${note}` : ''}`);
  }
  const failures = telemetryFailures(report);
  if (failures.length > 0) {
    console.log(`\nResult: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  console.log(
    '\nResult: every position read back once, in order per truck; the archive sample landed whole under the prefix.',
  );
  return 0;
}

/**
 * moto creates the encoding fleet's group and launch template but runs no scaling policy, so the
 * fleet's behaviour in the spike comes from the library's capacity model, fed with the blueprint's
 * own numbers: a model of target tracking on backlog per instance, not AWS.
 */
function simulateEncodingFleet(deployed: Map<string, DeployedStack>): number {
  const target = deployed.get(FLEET_STACK);
  if (!target?.outputs.AutoScalingGroupName) {
    console.error(`\n${FLEET_STACK} is missing or has no AutoScalingGroupName output.`);
    return 1;
  }
  const blueprint = new VideoEncodingBlueprint(new App(), 'Model', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const fleet = blueprint.encoders;
  // The blueprint's defaults: 2 minutes per video, at most 20 encoders.
  const encodingTime = Duration.minutes(2);
  const model = new BacklogCapacityModel({
    backlogPerInstanceTarget: fleet.backlogPerInstanceTarget,
    minCapacity: 0,
    maxCapacity: 20,
  });
  const minutes = model.simulate({ initialBacklog: 1000, processingTimePerMessage: encodingTime, minutes: 240 });
  const peak = Math.max(...minutes.map((m) => m.inServiceInstances));
  const drained = minutes.find((m) => m.minute > 0 && m.visibleMessages === 0);
  console.log(
    `\nThe encoding fleet (${FLEET_STACK}, group ${target.outputs.AutoScalingGroupName} deployed; moto runs no scaling): ` +
      `capacity model of the spike, 1,000 videos at ${encodingTime.toHumanString()} each, target ${fleet.backlogPerInstanceTarget} waiting videos per encoder, 0..20 encoders`,
  );
  console.log(`  ${'minute'.padStart(6)} ${'waiting'.padStart(8)} ${'encoders'.padStart(8)} ${'desired'.padStart(8)}`);
  for (const m of minutes.filter((step) => step.minute % 15 === 0 || step === drained)) {
    console.log(
      `  ${String(m.minute).padStart(6)} ${fmt(Math.round(m.visibleMessages)).padStart(8)} ${String(m.inServiceInstances).padStart(8)} ${String(m.desiredCapacity).padStart(8)}`,
    );
    if (m === drained) {
      break;
    }
  }
  console.log(
    `Result: at most ${peak} encoders; the spike is drained ${drained ? `after ${drained.minute} minutes` : 'not within 4 hours'} (modelled).`,
  );
  return drained ? 0 : 1;
}

/**
 * The stacks of the assembly, deployable into moto. References to resources moto skips are made
 * literal (moto fails the stack on them) and custom resources are left out with the providers only
 * they use (moto cannot run their Lambda functions); when any template needs that, the whole
 * assembly is copied and the copy deployed, so the repo's cdk.out stays what synthesis wrote. The
 * copy's asset manifests still list the left-out functions' code, which `cdk deploy` publishes to
 * moto's S3 unused.
 */
function prepareAssembly(local: LocalAws, workDir: string): { appDir: string; stacks: StackToDeploy[] } {
  const assembly = new cxapi.CloudAssembly(ASSEMBLY_DIR);
  const prepared = assembly.stacksRecursively.map((stack) => ({
    stack,
    ...prepareTemplateForMoto(stack.template, stack.stackName, local),
  }));
  const rewritten = prepared.reduce((sum, p) => sum + p.rewritten.length, 0);
  const removed = prepared.reduce((sum, p) => sum + p.removed.length + p.removedOutputs.length, 0);
  if (rewritten === 0 && removed === 0) {
    console.log(`Templates: ${prepared.length}, no references to resources moto skips (0 rewritten), 0 left out`);
    return {
      appDir: ASSEMBLY_DIR,
      stacks: prepared.map(({ stack }) => ({ stackName: stack.stackName, templateFile: stack.templateFullPath })),
    };
  }

  const copyDir = path.join(workDir, 'cdk.out');
  fs.cpSync(ASSEMBLY_DIR, copyDir, { recursive: true });
  console.log(
    `Templates: ${prepared.length}, ${rewritten} reference(s) to resources moto skips rewritten, ` +
      `${removed} custom resource(s), provider(s) and output(s) left out (in a copy)`,
  );
  const stacks = prepared.map(({ stack, template, rewritten: refs, removed: gone, removedOutputs }) => {
    const templateFile = path.join(copyDir, path.relative(ASSEMBLY_DIR, stack.templateFullPath));
    if (refs.length > 0 || gone.length > 0 || removedOutputs.length > 0) {
      fs.writeFileSync(templateFile, JSON.stringify(template, undefined, 1));
      for (const ref of refs) {
        console.log(
          `  ${stack.stackName}: ${ref.in} ${ref.reference} -> ${ref.exact ? '' : 'placeholder '}${ref.value}`,
        );
      }
      for (const resource of gone) {
        console.log(`  ${stack.stackName}: left out ${resource.logicalId} (${resource.type})`);
      }
      for (const output of removedOutputs) {
        console.log(`  ${stack.stackName}: left out Outputs.${output.key}`);
      }
    }
    return { stackName: stack.stackName, templateFile };
  });
  return { appDir: copyDir, stacks };
}

async function stackStatus(local: LocalAws, stackName: string): Promise<string> {
  try {
    const { Stacks } = await local.cloudformation().send(new DescribeStacksCommand({ StackName: stackName }));
    return Stacks?.[0]?.StackStatus ?? 'missing';
  } catch (e) {
    return `DescribeStacks failed: ${(e as Error).message}`;
  }
}

function describeDeployment(stack: DeployedStack): string {
  const filledIds = new Set(stack.gaps.filled.map((g) => g.logicalId));
  const unfilledIds = new Set(stack.gaps.unfilled.map((g) => g.logicalId));
  const byMoto = stack.resources.filter(
    (r) => r.physicalId !== undefined && !filledIds.has(r.logicalId) && !unfilledIds.has(r.logicalId),
  ).length;
  return (
    `${stack.resources.length} resources: ${byMoto} created by moto, ` +
    `${stack.gaps.filled.length} gaps filled${countTypes(stack.gaps.filled)}, ` +
    `${stack.gaps.unfilled.length} not filled${countTypes(stack.gaps.unfilled)}`
  );
}

function countTypes(gaps: ReadonlyArray<{ readonly type: string }>): string {
  const counts = new Map<string, number>();
  for (const { type } of gaps) {
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  const parts = [...counts].map(([type, n]) => (n > 1 ? `${type} x${n}` : type));
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * A one-line progress bar on stderr. On a terminal it redraws in place; in a log (CI, a pipe) it
 * prints a line every 10% instead, since carriage returns would pile up there.
 */
class ProgressBar {
  private readonly tty = process.stderr.isTTY === true;
  private lastDraw = 0;
  private lastDecile = -1;
  private last: SpikeProgress | undefined;

  public update(progress: SpikeProgress): void {
    this.last = progress;
    const done = Math.min(1, (progress.processed + progress.deadLettered) / progress.jobs);
    if (this.tty) {
      if (Date.now() - this.lastDraw >= 100 || done === 1) {
        this.lastDraw = Date.now();
        process.stderr.write(`\r${this.line(progress, done)}\x1b[K`);
      }
      return;
    }
    const decile = Math.floor(done * 10);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      process.stderr.write(`${this.line(progress, done)}\n`);
    }
  }

  public done(): void {
    if (this.tty && this.last) {
      const done = Math.min(1, (this.last.processed + this.last.deadLettered) / this.last.jobs);
      process.stderr.write(`\r${this.line(this.last, done)}\x1b[K\n`);
    }
  }

  private line(p: SpikeProgress, done: number): string {
    const width = 30;
    const filled = Math.round(done * width);
    return (
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${fmt(p.processed)}/${fmt(p.jobs)} processed, ` +
      `${fmt(p.deadLettered)} in DLQ (sent ${fmt(p.sent)})`
    );
  }
}

/** pids of moto_server processes listening on our port (other runs' servers are none of our business). */
function motoServersOnPort(port: number): string[] {
  try {
    const out = execFileSync('pgrep', ['-af', 'moto_server'], { encoding: 'utf8' });
    return out
      .split('\n')
      .filter((line) => new RegExp(`(^|\\s)-p ${port}(\\s|$)`).test(line))
      .map((line) => line.split(' ')[0]);
  } catch {
    return []; // pgrep exits 1 when nothing matches.
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

void main().then((code) => {
  process.exitCode = code;
});
