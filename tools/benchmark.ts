// Figures for the embedded local AWS (not a test: nothing is asserted): emulator cold start, deploy
// times of the WorkQueue blueprint in-process and with the CDK CLI, SQS throughput through the
// blueprint's job queue, what a TopicFanOut costs in template resources, SNS -> SQS fan-out
// throughput through the order blueprint, and what DecouplingChecks adds to synthesis. Prints the
// machine, since every figure depends on it. `--weights-only` and `--checks-only` print one section alone
// (`npx ts-node --prefer-ts-exts tools/benchmark.ts --checks-only`); neither needs the local AWS.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import {
  DeleteMessageBatchCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { cdkCliEnv, runCdkCli } from '../harness/cdk-cli';
import { chunk, forEachConcurrently } from '../harness/io/batching';
import { queueDepth } from '../harness/io/sqs-drain';
// The runner alone: it does not load aws-cdk-lib, so the first deploy below can time that load.
import { ensureMoto, LocalAws, motoInstalled, startLocalAws } from '../harness/local-aws/runner';

// Loads a module when first needed, to time it. Not import(): in this CommonJS file ts-node leaves
// import() to Node's ESM loader, which loads neither .ts files nor directories.
const lazyRequire = createRequire(__filename);
// Written by ensureMoto once the venv is complete (harness/local-aws/moto-venv.ts).
const COLD_START_SAMPLES = 3;
const WARM_DEPLOY_SAMPLES = 3;
const MESSAGES = 10_000;
const SENDERS = 4;
const RECEIVERS = 4;
// As in the demo: moto's SQS spends time proportional to queue depth on every message, so senders
// hold back while this many messages wait. The depth probe below shows what that saves.
const MAX_QUEUE_DEPTH = 50;
const DEPTH_PROBES = [100, 1_000];
const THROUGHPUT_TIMEOUT_MS = 600_000;

type Row = [label: string, value: string, note?: string];

async function main(): Promise<void> {
  if (process.argv.includes('--weights-only')) {
    printResourceWeights();
    return;
  }
  if (process.argv.includes('--checks-only')) {
    printMachine(undefined, undefined);
    printChecksOverhead();
    return;
  }
  const rows: Row[] = [];
  const venvExisted = motoInstalled();
  if (!venvExisted) {
    const started = Date.now();
    await ensureMoto();
    rows.push([
      'moto venv creation',
      seconds(Date.now() - started),
      'the venv did not exist; created once, not part of cold start',
    ]);
  }
  const moto = await ensureMoto();
  const motoVersion = execFileSync(moto.python, ['-c', 'import moto; print(moto.__version__)'], {
    encoding: 'utf8',
  }).trim();
  printMachine(motoVersion, venvExisted);

  const coldStarts: number[] = [];
  for (let i = 0; i < COLD_START_SAMPLES; i++) {
    const started = Date.now();
    const probe = await startLocalAws();
    coldStarts.push(Date.now() - started);
    await probe.stop();
  }
  rows.push([
    'emulator cold start',
    seconds(median(coldStarts)),
    `median of ${COLD_START_SAMPLES} (${coldStarts.map(seconds).join(', ')}): startLocalAws() until /moto-api/ answers`,
  ]);
  progress(`cold start: ${coldStarts.map(seconds).join(', ')}`);

  const local = await startLocalAws();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-benchmark-'));
  try {
    const queueUrl = await benchmarkDeploys(local, workDir, rows);
    rows.push(['', '']);
    await probeDepth(local.sqs(), queueUrl, rows);
    await benchmarkThroughput(local.sqs(), queueUrl, rows);
    rows.push(['', '']);
    await benchmarkFanOut(local, rows);
  } finally {
    await local.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  console.log('');
  for (const [label, value, note] of rows) {
    console.log(`  ${label.padEnd(labelWidth)}  ${value.padStart(valueWidth)}${note ? `   ${note}` : ''}`);
  }
  printResourceWeights();
  printChecksOverhead();
}

/**
 * What each construct costs in CloudFormation resources, beside a hand-written aws-cdk-lib equivalent:
 * resources per instance (and per added subscriber, consumer or user), the fixed cost shared in a stack,
 * and the most that fit in one stack of 500 resources, verified by synthesizing that many and one more.
 */
function printResourceWeights(): void {
  const { measureWeight } = lazyRequire('../harness/resource-weight') as typeof import('../harness/resource-weight');
  const { CONSTRUCT_WEIGHTS, ADDED_WEIGHTS } = lazyRequire(
    '../harness/resource-weight-subjects',
  ) as typeof import('../harness/resource-weight-subjects');
  const header = ['', 'resources each', 'fixed', 'fit in a stack', 'aws-cdk-lib each', 'fixed', 'fit'];
  const table: string[][] = [header];
  const notes: string[] = [];
  for (const subject of [...CONSTRUCT_WEIGHTS, ...ADDED_WEIGHTS]) {
    const ours = measureWeight(subject.ours, subject.cap?.count);
    const theirs = measureWeight(subject.handWritten, subject.cap?.count);
    const fit = (weight: typeof ours) =>
      `${weight.fitInOneStack}${weight.capped ? '*' : ''}${weight.verified ? '' : ' (NOT VERIFIED)'}`;
    table.push([
      subject.name,
      String(ours.resourcesEach),
      String(ours.fixed),
      fit(ours),
      String(theirs.resourcesEach),
      String(theirs.fixed),
      fit(theirs),
    ]);
    notes.push(
      `  ${subject.name}: aws-cdk-lib side is ${subject.equivalent}; ${fmt(ours.bytesEach)} template bytes each (${fmt(theirs.bytesEach)} hand-written)`,
    );
    if (subject.cap) {
      notes.push(`    * capped by ${subject.cap.count} ${subject.cap.source}, before the resource limit`);
    }
    progress(`weighed ${subject.name}`);
  }
  const widths = header.map((_, column) => Math.max(...table.map((row) => row[column].length)));
  console.log('');
  console.log(
    'Resource weight (CloudFormation resources; a stack holds 500; "fixed" is shared by all instances in a stack):',
  );
  for (const row of table) {
    console.log(
      `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`,
    );
  }
  console.log(notes.join('\n'));
}

/** SNS -> SQS fan-out through the order blueprint: orders published and accounted for per second. */
async function benchmarkFanOut(local: LocalAws, rows: Row[]): Promise<void> {
  const cdk = lazyRequire('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { OrderFanOutBlueprint } = lazyRequire('../src/blueprints') as typeof import('../src/blueprints');
  const { deployStack } = lazyRequire(
    '../harness/local-aws/deployer',
  ) as typeof import('../harness/local-aws/deployer');
  const { runOrderFanOut, orderFanOutFailures } = lazyRequire(
    '../harness/scenarios/order-fan-out',
  ) as typeof import('../harness/scenarios/order-fan-out');
  const stack = new OrderFanOutBlueprint(new cdk.App(), 'BenchFanOut', {
    env: { account: local.account, region: local.region },
  });
  const deployed = await deployStack(local, stack);
  const orders = 2_000;
  const report = await runOrderFanOut({
    sns: local.sns(),
    sqs: local.sqs(),
    topicArn: deployed.outputs.OrderPlacedTopicArn,
    fulfilmentQueueUrl: deployed.outputs.FulfilmentQueueUrl,
    billingQueueUrl: deployed.outputs.BillingQueueUrl,
    analyticsQueueUrl: deployed.outputs.AnalyticsQueueUrl,
    orders,
  });
  const failures = orderFanOutFailures(report);
  const delivered = report.queues.reduce((sum, q) => sum + q.received, 0);
  rows.push([
    'SNS fan-out to 3 queues',
    `${fmt(Math.round(orders / (report.ms / 1000)))} orders/s`,
    `${fmt(orders)} orders published in batches of 10, ${fmt(delivered)} deliveries received and deleted in ${seconds(report.ms)}` +
      (failures.length > 0 ? `; FAILED: ${failures.join('; ')}` : '; lost 0'),
  ]);
  progress(`fan-out: ${seconds(report.ms)}`);
}

/** Synthesis samples per app and variant (odd, so that the median is a sample). */
const CHECKS_SAMPLES = 7;
const FAN_OUTS = 50;
/** A TopicFanOut with one queue is 22 resources and one stack holds 500 (the resource weight table above). */
const FAN_OUTS_PER_STACK = 20;
const CHECKS_ENV = { account: '123456789012', region: 'us-east-1' };

/**
 * What DecouplingChecks adds to synthesis, on the largest blueprint (by resource count) and on an app of
 * 50 TopicFanOuts with a queue each: 50 topic -> queue pairs, each with what the plugin reads (the
 * subscription, queue policy, keys, dead-letter queues and alarms). Each app is built afresh and
 * synthesized with and without the plugin registered, alternately; building the constructs is not timed.
 * "plugin" is the time spent in its validate(), inside the synthesis with it. Times are CPU time of this
 * process (user + system), which other processes on the machine disturb less than wall time;
 * wall-clock medians are in the notes.
 */
function printChecksOverhead(): void {
  const cdk = lazyRequire('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const blueprintModule = lazyRequire('../src/blueprints') as Record<string, unknown>;
  const { TopicFanOut } = lazyRequire('../src/topic-fan-out') as typeof import('../src/topic-fan-out');
  const { DecouplingChecks } = lazyRequire('../src/decoupling-checks') as typeof import('../src/decoupling-checks');
  type App = import('aws-cdk-lib').App;
  type Stack = import('aws-cdk-lib').Stack;
  type BlueprintClass = new (
    scope: import('constructs').Construct,
    id: string,
    props: import('aws-cdk-lib').StackProps,
  ) => Stack;

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-benchmark-checks-'));
  let runs = 0;
  const newApp = (): App => {
    const app = new cdk.App({
      outdir: path.join(workDir, `run${runs++}`),
      // A finding must not end the benchmark: the plugin still runs in full and its report is still
      // written, but synthesis does not throw. The notes give the number of findings (0 expected).
      context: { '@aws-cdk/core:failSynthOnValidationErrors': false },
    });
    // As app/blueprints.ts does for the local account: the zones the CLI would otherwise look up.
    app.node.setContext(
      `availability-zones:account=${CHECKS_ENV.account}:region=${CHECKS_ENV.region}`,
      ['a', 'b', 'c', 'd', 'e', 'f'].map((letter) => `${CHECKS_ENV.region}${letter}`),
    );
    return app;
  };
  const resourceCount = (assembly: ReturnType<App['synth']>) =>
    assembly.stacksRecursively.reduce((sum, stack) => sum + Object.keys(stack.template.Resources ?? {}).length, 0);

  try {
    // The largest blueprint, found by synthesizing each once (which also warms up aws-cdk-lib and the JIT).
    const blueprintSizes = Object.entries(blueprintModule)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof cdk.Stack)
      .map(([name, value]) => {
        const app = newApp();
        new (value as BlueprintClass)(app, name, { env: CHECKS_ENV });
        return { name, blueprint: value as BlueprintClass, resources: resourceCount(app.synth()) };
      })
      .sort((a, b) => b.resources - a.resources);
    const largest = blueprintSizes[0];
    progress(`blueprints by resources: ${blueprintSizes.map((b) => `${b.name} ${b.resources}`).join(', ')}`);

    const subjects: Array<{ label: string; build: (app: App) => void }> = [
      {
        label: `${largest.name} (largest of ${blueprintSizes.length} blueprints)`,
        build: (app) => new largest.blueprint(app, largest.name, { env: CHECKS_ENV }),
      },
      {
        label: `${FAN_OUTS} TopicFanOuts, 1 queue each (${Math.ceil(FAN_OUTS / FAN_OUTS_PER_STACK)} stacks)`,
        build: (app) => {
          for (let i = 0; i < FAN_OUTS; i++) {
            const id = `FanOuts${Math.floor(i / FAN_OUTS_PER_STACK)}`;
            const stack =
              (app.node.tryFindChild(id) as Stack | undefined) ?? new cdk.Stack(app, id, { env: CHECKS_ENV });
            new TopicFanOut(stack, `FanOut${i}`).addQueue('Queue');
          }
        },
      },
    ];

    const table: string[][] = [
      ['', 'resources', 'synth', 'synth + plugin', 'plugin', 'plugin / synth', 'synth + plugin / synth'],
    ];
    const notes: string[] = [];
    for (const subject of subjects) {
      const without: Timing[] = [];
      const withPlugin: Timing[] = [];
      const plugin: Timing[] = [];
      let resources = 0;
      let findings = 0;
      for (let i = 0; i < CHECKS_SAMPLES; i++) {
        // Alternate the order, so that neither variant always runs on a warmer or more fragmented heap.
        for (const checked of i % 2 === 0 ? [false, true] : [true, false]) {
          const app = newApp();
          subject.build(app);
          if (checked) {
            const checks = new DecouplingChecks();
            cdk.Validations.of(app).addPlugins({
              name: checks.name,
              version: checks.version,
              ruleIds: checks.ruleIds,
              validate: (context) => {
                const { result: report, timing } = timed(() => checks.validate(context));
                plugin.push(timing);
                findings = report.violations.reduce((sum, v) => sum + v.violatingResources.length, 0);
                return report;
              },
            });
          }
          // Collect the previous samples' garbage now, so that neither variant pays for it.
          collectGarbage();
          const { result: assembly, timing } = timed(() => app.synth());
          (checked ? withPlugin : without).push(timing);
          resources = resourceCount(assembly);
        }
      }
      const cpu = (timings: Timing[]) => median(timings.map((t) => t.cpuMs));
      const wall = (timings: Timing[]) => median(timings.map((t) => t.wallMs));
      const ms = (value: number) => `${fmt(Math.round(value))} ms`;
      const list = (timings: Timing[]) => timings.map((t) => Math.round(t.cpuMs)).join(', ');
      table.push([
        subject.label,
        fmt(resources),
        ms(cpu(without)),
        ms(cpu(withPlugin)),
        ms(cpu(plugin)),
        percent(cpu(plugin) / cpu(without)),
        percent(cpu(withPlugin) / cpu(without) - 1),
      ]);
      notes.push(
        `  ${subject.label}: ${findings} finding(s); CPU ms per sample: synth ${list(without)}; ` +
          `with the plugin ${list(withPlugin)}; plugin ${list(plugin)}`,
        `    wall-clock medians: synth ${ms(wall(without))}, with the plugin ${ms(wall(withPlugin))}, ` +
          `plugin ${ms(wall(plugin))} (${percent(wall(plugin) / wall(without))})`,
      );
      progress(`checks: ${subject.label}`);
    }
    const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
    console.log('');
    console.log(
      `DecouplingChecks at synthesis: CPU time, median of ${CHECKS_SAMPLES}; "synth" is app.synth() without ` +
        'the plugin (building the constructs not included), "plugin" its validate(); target: under 10% of synth',
    );
    for (const row of table) {
      console.log(
        `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`,
      );
    }
    console.log(notes.join('\n'));
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

interface Timing {
  readonly wallMs: number;
  /** User and system CPU time of this process. */
  readonly cpuMs: number;
}

function timed<T>(fn: () => T): { result: T; timing: Timing } {
  const wallStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  const result = fn();
  const cpu = process.cpuUsage(cpuStarted);
  return { result, timing: { wallMs: performance.now() - wallStarted, cpuMs: (cpu.user + cpu.system) / 1000 } };
}

function printMachine(motoVersion: string | undefined, venvExisted: boolean | undefined): void {
  const cpus = os.cpus();
  console.log(
    `Machine: ${cpus.length} CPU(s), ${cpus[0]?.model.trim() ?? 'unknown model'}, ` +
      `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}` +
      (motoVersion === undefined
        ? ''
        : `, moto ${motoVersion} (venv ${venvExisted ? 'already existed' : 'had to be created'})`) +
      `, ${os.platform()} ${os.release()}`,
  );
}

/** Deploys the blueprint several ways; returns the job queue URL of the first deploy. */
async function benchmarkDeploys(local: LocalAws, workDir: string, rows: Row[]): Promise<string> {
  const env = { account: local.account, region: local.region };

  // The first deploy pays once for what a test file's first deploy pays: ts-node compiling src/ and the
  // deployer, and aws-cdk-lib loading its modules (lazily, on first use: constructing and synthesizing
  // the first stack is where that happens, so it is timed on its own before deployStack synthesizes again).
  const firstStarted = Date.now();
  const cdk = lazyRequire('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { WorkQueueBlueprint } = lazyRequire('../src/blueprints') as typeof import('../src/blueprints');
  const { deployStack } = lazyRequire(
    '../harness/local-aws/deployer',
  ) as typeof import('../harness/local-aws/deployer');
  const compileMs = Date.now() - firstStarted;
  const firstApp = new cdk.App();
  const firstStack = new WorkQueueBlueprint(firstApp, 'BenchFirst', { env });
  firstApp.synth();
  const synthMs = Date.now() - firstStarted - compileMs;
  const deployStarted = Date.now();
  const first = await deployStack(local, firstStack);
  const firstMs = Date.now() - firstStarted;
  rows.push([
    'first deploy (deployStack)',
    seconds(firstMs),
    `require src + deployer (ts-node) ${seconds(compileMs)}, first construct + synth ${seconds(synthMs)}, ` +
      `deployStack ${seconds(Date.now() - deployStarted)}`,
  ]);
  progress(`first deploy: ${seconds(firstMs)}`);

  const warm: number[] = [];
  for (let i = 1; i <= WARM_DEPLOY_SAMPLES; i++) {
    const started = Date.now();
    await deployStack(local, new WorkQueueBlueprint(new cdk.App(), `BenchWarm${i}`, { env }));
    warm.push(Date.now() - started);
  }
  rows.push([
    'warm deploy (deployStack)',
    seconds(median(warm)),
    `median of ${WARM_DEPLOY_SAMPLES} (${warm.map(seconds).join(', ')}), new App each time`,
  ]);
  progress(`warm deploys: ${warm.map(seconds).join(', ')}`);

  // The CLI deploys an assembly synthesized here (the same blueprint), so its time is the CLI's own.
  // It gets a server of its own: deployStack seeded /cdk-bootstrap/hnb659fds/version into this one's
  // SSM, and `cdk bootstrap` fails on that parameter with ParameterAlreadyExists.
  const outdir = path.join(workDir, 'cdk.out');
  const app = new cdk.App({ outdir });
  new WorkQueueBlueprint(app, 'WorkQueueBlueprint', { env });
  app.synth();
  const cliLocal = await startLocalAws();
  try {
    const cliEnv = cdkCliEnv(cliLocal.env());
    const bootstrap = await runCdkCli(['bootstrap', `aws://${cliLocal.account}/${cliLocal.region}`], {
      cwd: workDir,
      env: cliEnv,
    });
    rows.push([
      'cdk bootstrap (CLI)',
      cliFigure(bootstrap.exitCode, bootstrap.ms),
      bootstrap.exitCode ? tail(bootstrap.output) : 'fresh server; CLI process start included',
    ]);
    // --method direct: see harness/deploy-assembly.ts (moto's change sets leave the stack without Outputs).
    const deploy = await runCdkCli(
      ['deploy', '--app', outdir, '--all', '--require-approval', 'never', '--method', 'direct', '--progress', 'events'],
      { cwd: workDir, env: cliEnv },
    );
    rows.push([
      'first cdk deploy (CLI)',
      cliFigure(deploy.exitCode, deploy.ms),
      deploy.exitCode ? tail(deploy.output) : 'pre-synthesized assembly, --method direct; CLI process start included',
    ]);
    progress(`cdk bootstrap ${seconds(bootstrap.ms)}, cdk deploy ${seconds(deploy.ms)}`);
  } finally {
    await cliLocal.stop();
  }

  const queueUrl = first.outputs.JobQueueUrl;
  if (!queueUrl) {
    throw new Error(`BenchFirst has no JobQueueUrl output (outputs: ${JSON.stringify(first.outputs)})`);
  }
  return queueUrl;
}

/** How long moto takes to receive 10 messages at a given queue depth, the figure behind MAX_QUEUE_DEPTH. */
async function probeDepth(sqs: SQSClient, queueUrl: string, rows: Row[]): Promise<void> {
  let depth = 0;
  for (const target of DEPTH_PROBES) {
    const fillStarted = Date.now();
    const batches = chunk(
      Array.from({ length: target - depth }, (_, i) => `probe ${depth + i}`),
      10,
    );
    await forEachConcurrently(batches, SENDERS, async (bodies) => {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
    });
    const sendMs = (Date.now() - fillStarted) / batches.length;
    depth = target;
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      // VisibilityTimeout 0 leaves the messages where they were, so every sample sees the same depth.
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
      samples.push(Date.now() - started);
    }
    rows.push([
      `ReceiveMessage(10) at depth ${target.toLocaleString('en-US')}`,
      `${median(samples)} ms`,
      `median of 3; filling it took ${sendMs.toFixed(0)} ms per SendMessageBatch(10) on average`,
    ]);
    progress(`depth ${target}: receive ${median(samples)} ms`);
  }
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
}

/**
 * 10,000 messages through the blueprint's job queue: SENDERS parallel SendMessageBatch loops and
 * RECEIVERS parallel ReceiveMessage + DeleteMessageBatch loops, all running at once.
 */
async function benchmarkThroughput(sqs: SQSClient, queueUrl: string, rows: Row[]): Promise<void> {
  for (let waited = 0; (await queueDepth(sqs, queueUrl)).visible > 0 && waited < 60; waited++) {
    // PurgeQueue is asynchronous on SQS; moto is immediate, but do not count on it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  const seen = new Set<string>();
  let sent = 0;
  let sending = 0;
  let receivedTotal = 0;
  let sendDoneAt = 0;
  const calls = { send: new Latency(), receive: new Latency(), delete: new Latency() };
  const started = Date.now();
  const deadline = started + THROUGHPUT_TIMEOUT_MS;
  const done = () => seen.size >= MESSAGES || Date.now() > deadline;

  const send = async () => {
    const batches = chunk(
      Array.from({ length: MESSAGES }, (_, i) => `message ${i}`),
      10,
    );
    await forEachConcurrently(batches, SENDERS, async (bodies) => {
      while (sent + sending - seen.size + bodies.length > MAX_QUEUE_DEPTH && !done()) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      sending += bodies.length;
      const res = await calls.send.time(() =>
        sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
          }),
        ),
      );
      sending -= bodies.length;
      sent += res.Successful?.length ?? 0;
    });
    sendDoneAt = Date.now();
  };
  const receive = async () => {
    while (!done()) {
      const { Messages = [] } = await calls.receive.time(() =>
        sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 })),
      );
      if (Messages.length === 0) {
        continue;
      }
      receivedTotal += Messages.length;
      await calls.delete.time(() =>
        sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        ),
      );
      for (const m of Messages) {
        seen.add(m.Body ?? '');
      }
      if (seen.size % 1000 < Messages.length) {
        progress(`throughput: ${seen.size.toLocaleString('en-US')}/${MESSAGES.toLocaleString('en-US')}`);
      }
    }
  };
  await Promise.all([send(), ...Array.from({ length: RECEIVERS }, receive)]);
  const elapsedMs = Date.now() - started;

  rows.push(['', '']);
  rows.push([
    `SQS send → receive → delete`,
    `${Math.round((seen.size / elapsedMs) * 1000)} msg/s`,
    `${seen.size.toLocaleString('en-US')} of ${MESSAGES.toLocaleString('en-US')} messages in ${seconds(elapsedMs)}; ` +
      `${SENDERS} senders, ${RECEIVERS} receivers, batches of 10, at most ${MAX_QUEUE_DEPTH} waiting` +
      (receivedTotal > seen.size
        ? `; ${receivedTotal - seen.size} duplicate deliver${receivedTotal - seen.size === 1 ? 'y' : 'ies'}`
        : '') +
      (sendDoneAt ? '' : '; sending did not finish'),
  ]);
  rows.push(['  SendMessageBatch(10)', `${calls.send.mean()} ms`, `mean latency of ${calls.send.count} calls`]);
  rows.push(['  ReceiveMessage(10)', `${calls.receive.mean()} ms`, `mean latency of ${calls.receive.count} calls`]);
  rows.push(['  DeleteMessageBatch(10)', `${calls.delete.mean()} ms`, `mean latency of ${calls.delete.count} calls`]);
}

class Latency {
  public count = 0;
  private totalMs = 0;

  public async time<T>(fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
      return await fn();
    } finally {
      this.count++;
      this.totalMs += Date.now() - started;
    }
  }

  public mean(): number {
    return this.count === 0 ? 0 : Math.round(this.totalMs / this.count);
  }
}

function cliFigure(exitCode: number, ms: number): string {
  return exitCode === 0 ? seconds(ms) : `FAILED (exit ${exitCode})`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** A full garbage collection: --expose-gc, set at run time, gives a gc function to contexts made after it. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

function percent(fraction: number): string {
  return `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(1)}%`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function tail(text: string): string {
  return text.split('\n').slice(-5).join(' | ');
}

/** Progress goes to stderr, so that stdout holds only the figures. */
function progress(message: string): void {
  process.stderr.write(`  ... ${message}\n`);
}

main().catch((e: unknown) => {
  console.error(`Benchmark failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
