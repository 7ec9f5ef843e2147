// The main job after synthesis: deploy every blueprint in cdk.out into the embedded local AWS with
// the real CDK CLI, make up for what moto's CloudFormation skips, then run the scenarios: the seed
// scenario (a spike of encoding jobs, some of them poison) against the WorkQueue blueprint, the
// order scenario (orders fanned out to three queues, one filtered) against the order fan-out
// blueprint, the telemetry scenario against the telemetry blueprint, the capacity model of the
// encoding fleet, and the consumers' wiring in the private workers blueprint; and account for every
// job, order and position. Exits non-zero when a stack fails to deploy or a job, order or position is
// lost or misrouted.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deployAssembly } from '../harness/deploy-assembly';
import { LocalAws, startLocalAws } from '../harness/local-aws';
import { DemoStep, seconds } from '../harness/report';
import { demoConsumerSpikeModel } from '../harness/scenarios/consumer-spike-model';
import { demoEncodingFleetModel } from '../harness/scenarios/encoding-fleet-model';
import { demoEncodingSpike } from '../harness/scenarios/encoding-spike';
import { demoOrderFanOut } from '../harness/scenarios/order-fan-out';
import { demoPrivateWorkers } from '../harness/scenarios/private-workers';
import { demoTelemetry } from '../harness/scenarios/telemetry';

const REPO_ROOT = path.resolve(__dirname, '..');
const ASSEMBLY_DIR = path.join(REPO_ROOT, 'cdk.out');
/** In this order; each finds its stack among those deployed and prints what it did. */
const SCENARIOS: DemoStep[] = [
  demoEncodingSpike,
  demoOrderFanOut,
  demoTelemetry,
  demoEncodingFleetModel,
  demoConsumerSpikeModel,
  demoPrivateWorkers,
];

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
    exitCode = await deployAndRunScenarios(local, workDir, abort.signal);
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

async function deployAndRunScenarios(local: LocalAws, workDir: string, signal: AbortSignal): Promise<number> {
  const deployed = await deployAssembly(local, { assemblyDir: ASSEMBLY_DIR, workDir, signal });
  if (!deployed) {
    return 1;
  }
  const results: number[] = [];
  for (const scenario of SCENARIOS) {
    results.push(await scenario(local, deployed));
  }
  return results.every((code) => code === 0) ? 0 : 1;
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

void main().then((code) => {
  process.exitCode = code;
});
