// The scenario of the private workers blueprint. moto creates the functions, their event source
// mappings, the Fargate service and the endpoints, but invokes no function (it runs functions only in
// Docker, which these machines lack) and runs no task or scaling policy. So the scenario shows what the
// deployed wiring is, as Lambda and ECS report it: the thumbnail mapping (partial batch responses,
// bounded concurrency), the play-count mapping (bisect on error, bounded retries and record age, failed
// batches to the on-failure queue), and a transcoder that reads its queue URL from the parameter the
// container gets and drains every job. Nothing is sent to the functions' queue or stream: moto would try
// to invoke the function. How the three kinds of worker scale through a spike is the capacity model's
// part of the main job. Everything is found through the stack's outputs, the same after a CDK CLI deploy
// as after the harness's own. runPrivateWorkers prints nothing: the blueprint's behaviour test asserts on its
// report; demoPrivateWorkers is the main job's step.
import { GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { chunk } from '../io/batching';
import { drainQueue } from '../io/sqs-drain';
import type { DeployedStack, LocalAws } from '../local-aws';
import { lambdaApiGet } from '../local-aws/http';
import { DeployedStacks, fmt, printResult, printRows } from '../report';

/** The stack's name in the repository's app and in the behaviour test. */
export const PRIVATE_WORKERS_STACK = 'PrivateWorkersBlueprint';

export interface PrivateWorkersOptions {
  /** Transcode jobs the stand-in transcoder drains. @default 200 */
  readonly transcodeJobs?: number;
}

/** An event source mapping as Lambda's GetEventSourceMapping returns it (the fields the scenario reads). */
export interface DeployedMapping {
  readonly eventSourceArn?: string;
  readonly state?: string;
  readonly batchSize?: number;
  readonly maximumConcurrency?: number;
  readonly functionResponseTypes: string[];
  readonly bisectBatchOnFunctionError?: boolean;
  readonly maximumRetryAttempts?: number;
  readonly maximumRecordAgeInSeconds?: number;
  readonly onFailureDestination?: string;
}

export interface PrivateWorkersReport {
  readonly thumbnailMapping: DeployedMapping;
  readonly thumbnailQueueArn: string;
  readonly playCountMapping: DeployedMapping;
  readonly playbackStreamArn: string;
  readonly playCountFailuresQueueArn: string;
  /** The queue URL the transcoder container gets (its SSM parameter). */
  readonly transcoderQueueUrl: string;
  readonly transcodeJobQueueUrl: string;
  readonly transcodeJobsSent: number;
  readonly transcodeJobsDone: number;
  /** Jobs sent but never received by the transcoder. */
  readonly transcodeJobsLost: number;
  /** What moto did not create, by resource type, with how many of each. */
  readonly notCreated: Readonly<Record<string, number>>;
}

export async function runPrivateWorkers(
  local: LocalAws,
  deployed: DeployedStack,
  options: PrivateWorkersOptions = {},
): Promise<PrivateWorkersReport> {
  const sqs = local.sqs();
  const queueArn = async (queueUrl: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!
      .QueueArn!;
  const mapping = async (uuid: string): Promise<DeployedMapping> => {
    const raw = await lambdaApiGet(
      local.endpoint,
      local.region,
      local.credentials.accessKeyId,
      `/2015-03-31/event-source-mappings/${uuid}`,
    );
    return {
      eventSourceArn: raw.EventSourceArn,
      state: raw.State,
      batchSize: raw.BatchSize,
      maximumConcurrency: raw.ScalingConfig?.MaximumConcurrency,
      functionResponseTypes: raw.FunctionResponseTypes ?? [],
      bisectBatchOnFunctionError: raw.BisectBatchOnFunctionError,
      maximumRetryAttempts: raw.MaximumRetryAttempts,
      maximumRecordAgeInSeconds: raw.MaximumRecordAgeInSeconds,
      onFailureDestination: raw.DestinationConfig?.OnFailure?.Destination,
    };
  };

  // The transcoder stand-in: what a task does with the QUEUE_URL the container gets from the parameter.
  const { Parameter } = await local
    .ssm()
    .send(new GetParameterCommand({ Name: deployed.outputs.TranscoderQueueUrlParameterName }));
  const transcoderQueueUrl = Parameter?.Value ?? '';
  const transcodeJobQueueUrl = deployed.outputs.TranscodeJobQueueUrl;
  const jobs = Array.from({ length: options.transcodeJobs ?? 200 }, (_, i) => `video-${i}.mp4`);
  for (const batch of chunk(jobs, 10)) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: transcodeJobQueueUrl,
        Entries: batch.map((video, i) => ({ Id: String(i), MessageBody: JSON.stringify({ video }) })),
      }),
    );
  }
  const done = new Set<string>();
  await drainQueue(sqs, transcoderQueueUrl, jobs.length, (message) => done.add(JSON.parse(message.Body!).video));

  const notCreated: Record<string, number> = {};
  for (const gap of deployed.gaps.unfilled) {
    notCreated[gap.type] = (notCreated[gap.type] ?? 0) + 1;
  }
  return {
    thumbnailMapping: await mapping(deployed.outputs.ThumbnailMappingId),
    thumbnailQueueArn: await queueArn(deployed.outputs.ThumbnailJobQueueUrl),
    playCountMapping: await mapping(deployed.outputs.PlayCountMappingId),
    playbackStreamArn: `arn:aws:kinesis:${local.region}:${local.account}:stream/${deployed.outputs.PlaybackStreamName}`,
    playCountFailuresQueueArn: await queueArn(deployed.outputs.PlayCountFailuresQueueUrl),
    transcoderQueueUrl,
    transcodeJobQueueUrl,
    transcodeJobsSent: jobs.length,
    transcodeJobsDone: jobs.filter((video) => done.has(video)).length,
    transcodeJobsLost: jobs.filter((video) => !done.has(video)).length,
    notCreated,
  };
}

/** What the report shows wrong with the deployed wiring; empty when it is as the blueprint builds it. */
export function privateWorkersFailures(report: PrivateWorkersReport): string[] {
  const failures: string[] = [];
  const thumbnails = report.thumbnailMapping;
  if (thumbnails.eventSourceArn !== report.thumbnailQueueArn) {
    failures.push(`the thumbnail mapping reads ${thumbnails.eventSourceArn}, not the thumbnail queue`);
  }
  if (!thumbnails.functionResponseTypes.includes('ReportBatchItemFailures')) {
    failures.push('the thumbnail mapping has no partial batch responses');
  }
  if (thumbnails.maximumConcurrency !== 50) {
    failures.push(`the thumbnail mapping's maximum concurrency is ${thumbnails.maximumConcurrency}, not 50`);
  }
  const plays = report.playCountMapping;
  if (plays.eventSourceArn !== report.playbackStreamArn) {
    failures.push(`the play-count mapping reads ${plays.eventSourceArn}, not the playback stream`);
  }
  if (plays.bisectBatchOnFunctionError !== true) {
    failures.push('the play-count mapping does not bisect a failing batch');
  }
  if (plays.maximumRetryAttempts === undefined || plays.maximumRetryAttempts < 0) {
    failures.push(`the play-count mapping retries without bound (${plays.maximumRetryAttempts})`);
  }
  if (plays.onFailureDestination !== report.playCountFailuresQueueArn) {
    failures.push(`failed play-count batches go to ${plays.onFailureDestination}, not the on-failure queue`);
  }
  if (report.transcoderQueueUrl !== report.transcodeJobQueueUrl) {
    failures.push(`the transcoders are given ${report.transcoderQueueUrl}, not the transcode job queue`);
  }
  if (report.transcodeJobsLost > 0) {
    failures.push(`${report.transcodeJobsLost} transcode jobs lost`);
  }
  return failures;
}

export async function demoPrivateWorkers(local: LocalAws, deployed: DeployedStacks): Promise<number> {
  const target = deployed.get(PRIVATE_WORKERS_STACK);
  if (!target) {
    console.error(`\n${PRIVATE_WORKERS_STACK} is missing.`);
    return 1;
  }
  const report = await runPrivateWorkers(local, target);
  const t = report.thumbnailMapping;
  const p = report.playCountMapping;
  console.log(
    `\nPrivate workers (${PRIVATE_WORKERS_STACK}): the consumers' wiring as moto's Lambda, SSM and SQS report it ` +
      '(moto invokes no function and runs no task)',
  );
  printRows([
    [
      'thumbnails',
      `${t.batchSize}/batch`,
      `SQS → Lambda: ${t.functionResponseTypes.join(', ') || 'no partial batch responses'}, at most ${t.maximumConcurrency} at once, ${t.state}`,
    ],
    [
      'play counts',
      `${p.maximumRetryAttempts} retries`,
      `Kinesis → Lambda: bisect ${p.bisectBatchOnFunctionError}, records kept ${p.maximumRecordAgeInSeconds} s, failures to ${p.onFailureDestination?.split(':').pop()}`,
    ],
    [
      'transcodes',
      `${fmt(report.transcodeJobsDone)}/${fmt(report.transcodeJobsSent)}`,
      `Fargate stand-in drained the queue its QUEUE_URL parameter names; lost ${report.transcodeJobsLost}`,
    ],
  ]);
  console.log(
    `  not created by moto: ${Object.entries(report.notCreated)
      .map(([type, count]) => `${type} ×${count}`)
      .join(', ')}`,
  );
  return printResult(privateWorkersFailures(report), 'the consumers are wired as built; 0 transcode jobs lost.');
}
