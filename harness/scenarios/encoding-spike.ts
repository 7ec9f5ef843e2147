// The seed scenario of the WorkQueue blueprint: a spike of video-encoding jobs, a few of them
// poison, against a deployed job queue and its dead-letter queue. runEncodingSpike prints nothing:
// the blueprint's behaviour test asserts on its report; demoEncodingSpike is the main job's step.
import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { chunk, forEachConcurrently } from '../io/batching';
import { queueDepth } from '../io/sqs-drain';
import type { LocalAws } from '../local-aws';
import { DeployedStacks, fmt, printResult, printRows, ReportRow, seconds } from '../report';

export interface EncodingSpikeOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** @default 1000 */
  readonly jobs?: number;
  /** The share of jobs that always fail. @default 0.02 */
  readonly poisonShare?: number;
  /** @default 8 */
  readonly workers?: number;
  /** Parallel SendMessageBatch calls. @default 4 */
  readonly senders?: number;
  /**
   * Producers hold back while this many jobs wait in the queue (sent, neither deleted nor dead-lettered).
   * moto 5.2.5 spends time proportional to the queue's depth on every message it sends or receives
   * (each one recomputes the queue's approximate counts), so a 1,000-job burst costs it minutes; on
   * real SQS depth costs nothing, and `Infinity` gives the true burst. Measured on 2 vCPUs with 1,000
   * jobs: 30 → 17 s, 60 → 24 s, 100 → 27 s, 200 → 32 s, unbounded → 63 s; but 10 → 105 s, since the
   * 20 poison jobs then fill the window while they wait out their receives.
   * @default 50
   */
  readonly maxQueueDepth?: number;
  /**
   * How many workers may be inside ReceiveMessage at once. moto 5.2.5's ReceiveMessage is not
   * thread-safe: two concurrent receives that both find a message due for the dead-letter queue
   * both try to move it, the second fails with HTTP 500 (`list.remove(x): x not in list`) after
   * marking up to 10 other messages received, and those stay invisible for the whole visibility
   * timeout (15 minutes here) although no worker ever saw them. The SDK retries the 500 silently,
   * so the only symptom is lost jobs (8 concurrent receives lost 10 to 34 of 1,000 jobs in each of 3
   * runs). One receive at a time avoids it; workers still process in parallel. On real SQS, use `workers`.
   * @default 1
   */
  readonly concurrentReceives?: number;
  /** The scenario gives up after this long, so that a stuck queue cannot hang a demo or a test. @default 120_000 */
  readonly timeoutMs?: number;
  readonly onProgress?: (progress: SpikeProgress) => void;
}

export interface SpikeProgress {
  readonly jobs: number;
  readonly sent: number;
  /** Unique jobs encoded and deleted. */
  readonly processed: number;
  /** Messages in the dead-letter queue, as SQS approximates it. */
  readonly deadLettered: number;
}

export interface SpikeReport {
  readonly jobs: number;
  readonly maxQueueDepth: number;
  readonly poison: number;
  readonly sent: number;
  /** Unique jobs encoded and deleted. */
  readonly processed: number;
  /** Deliveries of a job already processed; at-least-once delivery allows them, so they are not failures. */
  readonly duplicates: number;
  /** Unique jobs found in the dead-letter queue. */
  readonly deadLettered: number;
  /** sent − processed − deadLettered; anything but 0 is a lost job. */
  readonly lost: number;
  /** Ids of lost jobs (at most 10), for diagnosis. */
  readonly lostJobIds: string[];
  /** Poison jobs that a worker "encoded": must be 0. */
  readonly poisonProcessed: number;
  /** Healthy jobs that ended up in the dead-letter queue: must be 0. */
  readonly healthyDeadLettered: number;
  /** Dead-letter messages whose body or jobType attribute differs from what was sent. */
  readonly corruptedDeadLetters: number;
  /** Receives of a poison job before SQS moved it, summed (maxReceiveCount × poison when faithful). */
  readonly poisonReceives: number;
  /** Worker errors other than the simulated encoding failures (SQS calls that threw). */
  readonly workerErrors: string[];
  readonly timedOut: boolean;
  /** From the first send until every job was accounted for (or the timeout). */
  readonly spikeMs: number;
  /** Draining the dead-letter queue. */
  readonly drainMs: number;
}

interface EncodingJob {
  readonly jobId: string;
  readonly video: string;
  readonly sizeBytes: number;
  readonly codec: string;
}

const JOB_TYPE = 'video-encoding';
const CODECS = ['h264', 'h265', 'av1', 'vp9'];
const SQS_BATCH = 10;
const RECEIVE_WAIT_SECONDS = 1;
// The queue is judged empty only after this many consecutive empty checks: the approximate counts
// can read zero for an instant while a worker is between receive and delete.
const EMPTY_CHECKS_TO_STOP = 2;
const MONITOR_INTERVAL_MS = 250;

/**
 * Sends `jobs` encoding jobs in batches of 10 while a pool of workers consumes them: healthy jobs are
 * "encoded" and deleted, poison jobs fail every time until SQS moves them to the dead-letter queue.
 * Then drains the dead-letter queue and accounts for every job. Both queues must start empty.
 */
export async function runEncodingSpike(options: EncodingSpikeOptions): Promise<SpikeReport> {
  const { sqs, queueUrl, deadLetterQueueUrl } = options;
  const jobCount = options.jobs ?? 1000;
  const poisonCount = Math.round(jobCount * (options.poisonShare ?? 0.02));
  const workerCount = options.workers ?? 8;
  const maxQueueDepth = options.maxQueueDepth ?? 50;
  const receiveSlots = new Semaphore(options.concurrentReceives ?? 1);
  const timeoutMs = options.timeoutMs ?? 120_000;

  for (const url of [queueUrl, deadLetterQueueUrl]) {
    const depth = await queueDepth(sqs, url);
    if (depth.visible + depth.inFlight > 0) {
      throw new Error(`${url} holds ${depth.visible + depth.inFlight} messages; the scenario needs empty queues`);
    }
  }

  const runId = randomUUID().slice(0, 8);
  const jobs = makeJobs(runId, jobCount, poisonCount);
  const bodies = new Map(jobs.map((job) => [job.jobId, JSON.stringify(job)]));
  const poisonIds = new Set(jobs.filter(isPoison).map((job) => job.jobId));

  const sentIds = new Set<string>();
  const processedTimes = new Map<string, number>();
  const poisonReceives = new Map<string, number>();
  const workerErrors: string[] = [];
  let sent = 0;
  let deadLetteredApprox = 0;
  let sendingDone = false;
  let stop = false;
  let timedOut = false;
  const progress = () =>
    options.onProgress?.({ jobs: jobCount, sent, processed: processedTimes.size, deadLettered: deadLetteredApprox });

  const started = Date.now();
  const deadline = started + timeoutMs;

  const worker = async () => {
    while (!stop && Date.now() < deadline) {
      let messages: Message[];
      try {
        const res = await receiveSlots.run(() =>
          sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: SQS_BATCH,
              WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
              MessageAttributeNames: ['All'],
            }),
          ),
        );
        messages = res.Messages ?? [];
      } catch (e) {
        recordError(workerErrors, 'ReceiveMessage', e);
        await sleep(MONITOR_INTERVAL_MS); // Do not spin on an emulator that is failing.
        continue;
      }
      for (const message of messages) {
        try {
          await handle(message);
        } catch (e) {
          recordError(workerErrors, 'handling a message', e);
        }
      }
    }
  };

  const handle = async (message: Message) => {
    const job = JSON.parse(message.Body ?? '{}') as EncodingJob;
    try {
      encode(job);
    } catch {
      poisonReceives.set(job.jobId, (poisonReceives.get(job.jobId) ?? 0) + 1);
      // A crashed worker would simply never delete, and the job would come back only when the
      // blueprint's 15-minute visibility timeout ran out. A worker that catches the failure hands the
      // job back at once, which is also what lets this scenario reach the DLQ in seconds.
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      return;
    }
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    // Counted only once deleted: a job encoded but not deleted would be delivered again.
    processedTimes.set(job.jobId, (processedTimes.get(job.jobId) ?? 0) + 1);
  };

  const send = async () => {
    const batches = chunk(jobs, SQS_BATCH);
    let sending = 0;
    const queued = () => sent + sending - processedTimes.size - deadLetteredApprox;
    await forEachConcurrently(batches, options.senders ?? 4, async (batch) => {
      while (queued() + batch.length > maxQueueDepth && !stop) {
        await sleep(5);
      }
      if (stop) {
        return; // Timed out: the jobs not sent yet are reported as not sent, not as lost.
      }
      sending += batch.length;
      const accepted = await sendBatch(sqs, queueUrl, batch, bodies);
      sending -= batch.length;
      accepted.forEach((id) => sentIds.add(id));
      // Not `sent += await ...`: that reads `sent` before the await and loses concurrent batches.
      sent += accepted.length;
      progress();
    });
    sendingDone = true;
  };

  const monitor = async () => {
    let emptyChecks = 0;
    while (!stop) {
      await sleep(MONITOR_INTERVAL_MS);
      try {
        const dlq = await queueDepth(sqs, deadLetterQueueUrl);
        deadLetteredApprox = dlq.visible + dlq.inFlight;
        progress();
        // The source queue is asked only once every job looks accounted for: GetQueueAttributes costs
        // moto time proportional to the queue's depth, and asking it during the spike slows the workers.
        const accounted = sendingDone && processedTimes.size + deadLetteredApprox >= sent;
        const source = accounted ? await queueDepth(sqs, queueUrl) : undefined;
        emptyChecks = source && source.visible + source.inFlight === 0 ? emptyChecks + 1 : 0;
      } catch (e) {
        recordError(workerErrors, 'GetQueueAttributes', e);
        emptyChecks = 0;
      }
      if (emptyChecks >= EMPTY_CHECKS_TO_STOP) {
        stop = true;
      } else if (Date.now() >= deadline) {
        stop = timedOut = true;
      }
    }
  };

  await Promise.all([send(), monitor(), ...Array.from({ length: workerCount }, worker)]);
  const spikeMs = Date.now() - started;
  progress();

  const drainStarted = Date.now();
  const deadLetters = await drainQueue(sqs, deadLetterQueueUrl, Math.max(10_000, deadline - Date.now()));
  const drainMs = Date.now() - drainStarted;

  const deadLetteredIds = new Set<string>();
  let corruptedDeadLetters = 0;
  for (const message of deadLetters) {
    const jobId = parseJobId(message.Body);
    const intact =
      jobId !== undefined &&
      bodies.get(jobId) === message.Body &&
      message.MessageAttributes?.jobType?.StringValue === JOB_TYPE;
    if (!intact) {
      corruptedDeadLetters++;
    }
    if (jobId !== undefined && bodies.has(jobId)) {
      deadLetteredIds.add(jobId);
    }
  }
  deadLetteredApprox = deadLetteredIds.size;
  progress();

  const accountedFor = new Set([...processedTimes.keys(), ...deadLetteredIds]);
  const lostJobIds = [...sentIds].filter((id) => !accountedFor.has(id));
  return {
    jobs: jobCount,
    maxQueueDepth,
    poison: poisonIds.size,
    sent,
    processed: processedTimes.size,
    duplicates: [...processedTimes.values()].reduce((sum, times) => sum + times - 1, 0),
    deadLettered: deadLetteredIds.size,
    lost: sent - processedTimes.size - deadLetteredIds.size,
    lostJobIds: lostJobIds.slice(0, 10),
    poisonProcessed: [...processedTimes.keys()].filter((id) => poisonIds.has(id)).length,
    healthyDeadLettered: [...deadLetteredIds].filter((id) => !poisonIds.has(id)).length,
    corruptedDeadLetters,
    poisonReceives: [...poisonReceives.values()].reduce((sum, n) => sum + n, 0),
    workerErrors,
    timedOut,
    spikeMs,
    drainMs,
  };
}

/** Why a report shows the blueprint misbehaving; empty when every job is accounted for as it should be. */
export function spikeFailures(report: SpikeReport): string[] {
  const failures: string[] = [];
  if (report.sent !== report.jobs) {
    failures.push(`only ${report.sent} of ${report.jobs} jobs were sent`);
  }
  if (report.lost !== 0) {
    failures.push(`${report.lost} job(s) lost (e.g. ${report.lostJobIds.join(', ')})`);
  }
  if (report.poisonProcessed !== 0) {
    failures.push(`${report.poisonProcessed} poison job(s) were processed`);
  }
  if (report.deadLettered !== report.poison) {
    failures.push(
      `${report.deadLettered} job(s) in the dead-letter queue, expected the ${report.poison} poison job(s)`,
    );
  }
  if (report.healthyDeadLettered !== 0) {
    failures.push(`${report.healthyDeadLettered} healthy job(s) ended up in the dead-letter queue`);
  }
  if (report.corruptedDeadLetters !== 0) {
    failures.push(`${report.corruptedDeadLetters} dead-letter message(s) differ from what was sent`);
  }
  if (report.timedOut) {
    failures.push('the scenario timed out before every job was accounted for');
  }
  if (report.workerErrors.length > 0) {
    failures.push(`SQS calls failed: ${report.workerErrors.slice(0, 3).join('; ')}`);
  }
  return failures;
}

function makeJobs(runId: string, count: number, poisonCount: number): EncodingJob[] {
  // Poison jobs spread evenly through the spike rather than bunched at one end.
  const poisonEvery = poisonCount > 0 ? count / poisonCount : Infinity;
  const poisonAt = new Set(Array.from({ length: poisonCount }, (_, i) => Math.floor(i * poisonEvery)));
  return Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(5, '0');
    return {
      jobId: `${runId}-${n}`,
      video: `uploads/${runId}/video-${n}.mov`,
      // A zero-byte upload is the poison: no encoder can do anything with it, however often it retries.
      sizeBytes: poisonAt.has(i) ? 0 : 5_000_000 + ((i * 7_919_113) % 2_000_000_000),
      codec: CODECS[i % CODECS.length],
    };
  });
}

function isPoison(job: EncodingJob): boolean {
  return job.sizeBytes === 0;
}

/** Stands in for the encoder; real work would take minutes, which is beside the point here. */
function encode(job: EncodingJob): void {
  if (isPoison(job)) {
    throw new Error(`${job.video}: empty source file`);
  }
}

/** Sends one batch, retrying entries SQS reports as failed; returns the ids of the jobs accepted. */
async function sendBatch(
  sqs: SQSClient,
  queueUrl: string,
  batch: EncodingJob[],
  bodies: Map<string, string>,
): Promise<string[]> {
  let pending: SendMessageBatchRequestEntry[] = batch.map((job, i) => ({
    Id: String(i),
    MessageBody: bodies.get(job.jobId)!,
    MessageAttributes: { jobType: { DataType: 'String', StringValue: JOB_TYPE } },
  }));
  const accepted: string[] = [];
  for (let attempt = 1; pending.length > 0 && attempt <= 3; attempt++) {
    const res = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
    accepted.push(...(res.Successful ?? []).map((entry) => batch[Number(entry.Id)].jobId));
    const failed = new Set((res.Failed ?? []).map((f) => f.Id));
    pending = pending.filter((entry) => failed.has(entry.Id));
  }
  return accepted;
}

/**
 * Receives and deletes everything in a queue, until a long poll comes back empty and the queue
 * reports nothing left (in flight included).
 */
async function drainQueue(sqs: SQSClient, queueUrl: string, timeoutMs: number): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: SQS_BATCH,
        WaitTimeSeconds: RECEIVE_WAIT_SECONDS,
        MessageAttributeNames: ['All'],
      }),
    );
    const batch = res.Messages ?? [];
    messages.push(...batch);
    await Promise.all(
      batch.map((m) => sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }))),
    );
    if (batch.length === 0) {
      const depth = await queueDepth(sqs, queueUrl);
      if (depth.visible + depth.inFlight === 0) {
        break;
      }
    }
  }
  return messages;
}

function parseJobId(body: string | undefined): string | undefined {
  try {
    const id = (JSON.parse(body ?? '') as Partial<EncodingJob>).jobId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function recordError(errors: string[], what: string, e: unknown): void {
  // Keep a sample: one failing call repeated by eight workers would otherwise flood the report.
  if (errors.length < 20) {
    errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** At most `limit` calls of `run` in flight; the others queue in order. */
class Semaphore {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  public async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, so `active` never drops and rises again in between.
      const next = this.waiting.shift();
      if (next) {
        next();
      } else {
        this.active--;
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// The scenario in the main job: the deployed WorkQueueBlueprint, with a progress bar, printed.

const DEMO_STACK = 'WorkQueueBlueprint';
const DEMO_JOBS = 1000;
const DEMO_POISON_SHARE = 0.02;
const DEMO_WORKERS = 8;
// See EncodingSpikeOptions.maxQueueDepth: the window keeps moto fast without changing what is proven.
const DEMO_MAX_QUEUE_DEPTH = 50;

export async function demoEncodingSpike(local: LocalAws, deployed: DeployedStacks): Promise<number> {
  const target = deployed.get(DEMO_STACK);
  if (!target) {
    console.error(`\nThe assembly has no ${DEMO_STACK} stack, so there is nothing to run the seed scenario on.`);
    return 1;
  }
  const queueUrl = target.outputs.JobQueueUrl;
  const deadLetterQueueUrl = target.outputs.DeadLetterQueueUrl;
  if (!queueUrl || !deadLetterQueueUrl) {
    console.error(
      `\n${DEMO_STACK} has no JobQueueUrl/DeadLetterQueueUrl output (outputs: ${JSON.stringify(target.outputs)})`,
    );
    return 1;
  }

  const poison = Math.round(DEMO_JOBS * DEMO_POISON_SHARE);
  console.log(
    `\nRunning the seed scenario on ${DEMO_STACK}: ${fmt(DEMO_JOBS)} jobs (${poison} poison), ${DEMO_WORKERS} workers, ` +
      `at most ${DEMO_MAX_QUEUE_DEPTH} jobs waiting at a time (moto's SQS slows down in proportion to queue depth)`,
  );
  const bar = new ProgressBar();
  const logMark = local.logMark();
  const report = await runEncodingSpike({
    sqs: local.sqs(),
    queueUrl,
    deadLetterQueueUrl,
    jobs: DEMO_JOBS,
    poisonShare: DEMO_POISON_SHARE,
    workers: DEMO_WORKERS,
    maxQueueDepth: DEMO_MAX_QUEUE_DEPTH,
    onProgress: (p) => bar.update(p),
  }).finally(() => bar.done());
  // The SDK retries moto's HTTP 500s silently; only moto's log tells that one happened.
  const motoErrors = local.logs(logMark).match(/^\w+Error: .*$/gm) ?? [];

  const rows: ReportRow[] = [
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
  printRows(rows);
  if (motoErrors.length > 0) {
    console.log(
      `  (moto raised ${motoErrors.length} internal error(s), retried by the SDK; last: ${motoErrors.at(-1)})`,
    );
  }
  return printResult(
    spikeFailures(report),
    `every job accounted for; the ${fmt(report.poison)} poison jobs, and only they, are in the dead-letter queue with intact bodies.`,
  );
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
