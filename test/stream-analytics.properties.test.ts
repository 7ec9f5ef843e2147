import { Duration, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as fc from 'fast-check';
import { mostly, weighted } from './queue-processing-function.fixtures';
import { TEST_CODE_DIR } from './stream-analytics.fixtures';
import { ENV_MATRIX } from '../harness/app';
import {
  attempt,
  enumOrForeign,
  expectLibraryError,
  nameAround,
  numberAround,
  numberToken,
  propertyParameters,
  reportCases,
  stringToken,
  TemplateBatch,
} from '../harness/properties';
import { EncryptedStream, EncryptedStreamEncryption } from '../src/encrypted-stream';
import {
  StreamAnalytics,
  StreamAnalyticsCode,
  StreamAnalyticsLogLevel,
  StreamAnalyticsMetricsLevel,
  StreamAnalyticsProps,
  StreamAnalyticsRuntime,
} from '../src/stream-analytics';

// Props generated inside, at and beyond every limit of a Managed Service for Apache Flink application: NaN,
// Infinity, fractional parallelism, runtimes the service offers but the construct does not (FLINK-1_15,
// SQL-1_0) and strings no enum has, tokens. Each case ends in a library error naming Stack/Analytics and a prop
// the case set, or in a strict synthesis whose application holds exactly what was asked and respects every
// limit, checked here independently of the construct, and passes cfn-lint.

jest.setTimeout(600_000);

const RUNTIMES = Object.values(StreamAnalyticsRuntime) as StreamAnalyticsRuntime[];
const STREAM_KINDS = ['EncryptedStream', 'EncryptedStream, 48 hours', 'AWS-managed key', 'imported'] as const;
type StreamKind = (typeof STREAM_KINDS)[number];

interface Case {
  readonly env: number;
  readonly streamKind: StreamKind;
  readonly consumer: boolean;
  readonly props: Partial<Record<keyof StreamAnalyticsProps, unknown>>;
}

const usual = <T>(values: fc.Arbitrary<T>, edges: fc.Arbitrary<unknown>) => mostly(values, edges, 20);

/** Milliseconds around the limits, as a Duration a user would write (millis, seconds or a deploy-time millis). */
function millisAround(limits: number[]): fc.Arbitrary<Duration> {
  const millis = numberAround(limits).filter((n) => Token.isUnresolved(n) || !(n < 0));
  return fc.oneof(
    millis.map((n) => Duration.millis(n)),
    millis.filter((n) => !Token.isUnresolved(n)).map((n) => Duration.seconds(n / 1000)),
    fc.constant(null).map(() => Duration.millis(numberToken(30_000))),
    fc.constant(null).map(() => Duration.seconds(numberToken(30))),
  );
}

const caseArbitrary: fc.Arbitrary<Case> = fc.record({
  env: fc.nat({ max: ENV_MATRIX.length - 1 }),
  streamKind: weighted<StreamKind>([
    ['EncryptedStream', 5],
    ['EncryptedStream, 48 hours', 2],
    ['AWS-managed key', 2],
    ['imported', 2],
  ]),
  consumer: weighted([
    [false, 3],
    [true, 1],
  ]),
  props: fc.record(
    {
      runtime: enumOrForeign(RUNTIMES, [
        'FLINK-1_15',
        'FLINK-1_13',
        'FLINK-1_6',
        'SQL-1_0',
        'ZEPPELIN-FLINK-3_0',
        'FLINK-2_4',
      ]),
      applicationName: nameAround(128, 'abcXYZ019-_.'),
      parallelism: usual(fc.integer({ min: 1, max: 200 }), numberAround([1, 64, 512])),
      parallelismPerKpu: usual(fc.integer({ min: 1, max: 8 }), numberAround([1, 8])),
      autoScalingEnabled: mostly<unknown>(fc.boolean(), fc.constantFrom<unknown>('false', 1, null), 10),
      checkpointingEnabled: mostly<unknown>(fc.boolean(), fc.constantFrom<unknown>('true', 0), 10),
      checkpointInterval: usual(
        fc.integer({ min: 10, max: 600_000 }).map((n) => Duration.millis(n)),
        millisAround([10, 60_000, 86_400_000]),
      ),
      minPauseBetweenCheckpoints: usual(
        fc.integer({ min: 0, max: 60_000 }).map((n) => Duration.millis(n)),
        millisAround([0, 86_400_000]),
      ),
      snapshotsEnabled: mostly<unknown>(fc.boolean(), fc.constantFrom<unknown>('yes'), 10),
      logLevel: enumOrForeign(Object.values(StreamAnalyticsLogLevel) as StreamAnalyticsLogLevel[]),
      metricsLevel: enumOrForeign(Object.values(StreamAnalyticsMetricsLevel) as StreamAnalyticsMetricsLevel[]),
      millisBehindLatestAlarmThreshold: usual(
        fc.integer({ min: 1, max: 3600 }).map((n) => Duration.seconds(n)),
        millisAround([1000, 86_400_000, 172_800_000]),
      ),
      cpuUtilizationAlarmThreshold: usual(fc.integer({ min: 1, max: 100 }), numberAround([1, 100])),
      heapMemoryUtilizationAlarmThreshold: usual(fc.double({ min: 1, max: 100, noNaN: true }), numberAround([1, 100])),
      propertyGroups: usual(
        fc.dictionary(
          fc.constantFrom('app', 'kinesis.analytics.flink.run.options', 'sink-1'),
          fc.dictionary(fc.constantFrom('python', 'jarfile', 'window'), fc.constantFrom('main.py', 'lib/c.jar', '60')),
          { maxKeys: 3 },
        ),
        fc.constantFrom<unknown>(
          { InputStream: { a: 'b' } },
          { 'bad id': { a: 'b' } },
          { app: { key: '' } },
          { app: { key: 'v'.repeat(2049) } },
          { app: { key: 'v'.repeat(2048) } },
          { app: 'main.py' },
          { app: { key: 7 } },
          'main.py',
        ),
      ),
      alarmTopic: fc.constant('own topic'),
    },
    { requiredKeys: [] },
  ),
});

function makeStream(stack: Stack, kind: StreamKind): kinesis.IStream {
  switch (kind) {
    case 'EncryptedStream':
      return new EncryptedStream(stack, 'Telemetry');
    case 'EncryptedStream, 48 hours':
      return new EncryptedStream(stack, 'Telemetry', { retentionPeriod: Duration.hours(48) });
    case 'AWS-managed key':
      return new EncryptedStream(stack, 'Telemetry', { encryption: EncryptedStreamEncryption.AWS_MANAGED });
    case 'imported':
      return kinesis.Stream.fromStreamArn(
        stack,
        'Telemetry',
        'arn:aws:kinesis:us-east-1:123456789012:stream/telemetry',
      );
  }
}

function build(c: Case): Stack {
  const stack = ENV_MATRIX[c.env][1]();
  const stream = makeStream(stack, c.streamKind);
  const props: Record<string, unknown> = { ...c.props };
  if (props.alarmTopic !== undefined) {
    props.alarmTopic = new sns.Topic(stack, 'Pager');
  }
  const enhancedFanOutConsumer = c.consumer
    ? stream instanceof EncryptedStream
      ? stream.addConsumer('truck-counts')
      : new kinesis.StreamConsumer(stack, 'Consumer', { stream, streamConsumerName: 'truck-counts' })
    : undefined;
  new StreamAnalytics(stack, 'Analytics', {
    ...props,
    stream,
    enhancedFanOutConsumer,
    code: StreamAnalyticsCode.fromAsset(TEST_CODE_DIR),
  } as StreamAnalyticsProps);
  return stack;
}

/** Milliseconds a Duration stands for; a deploy-time millis resolved, any other deploy-time unit undefined. */
function millisOf(stack: Stack, value: unknown, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  const duration = value as Duration;
  // `+ 0` turns -0 (which JSON writes as 0) into 0.
  return (
    (duration.isUnresolved()
      ? stack.resolve(duration.toMilliseconds())
      : duration.toMilliseconds({ integral: false })) + 0
  );
}

function checkTemplate(c: Case, stack: Stack, template: Template): void {
  const resource = Object.values(template.findResources('AWS::KinesisAnalyticsV2::Application'))[0] as any;
  const props = resource.Properties;
  const asked = c.props;
  const ask = (value: unknown) => (value === undefined ? undefined : stack.resolve(value));

  expect(props.RuntimeEnvironment).toBe(asked.runtime ?? 'FLINK-2_2');
  expect(RUNTIMES).toContain(props.RuntimeEnvironment);
  if (asked.applicationName !== undefined && !Token.isUnresolved(asked.applicationName)) {
    expect(props.ApplicationName).toBe(asked.applicationName);
    expect(props.ApplicationName).toMatch(/^[a-zA-Z0-9_.-]{1,128}$/);
  }

  const flink = props.ApplicationConfiguration.FlinkApplicationConfiguration;
  const parallelism = flink.ParallelismConfiguration;
  expect(parallelism.Parallelism).toBe(ask(asked.parallelism) ?? 1);
  expect(Number.isInteger(parallelism.Parallelism) && parallelism.Parallelism >= 1).toBe(true);
  expect(parallelism.ParallelismPerKPU).toBe(ask(asked.parallelismPerKpu) ?? 1);
  expect(Number.isInteger(parallelism.ParallelismPerKPU) && parallelism.ParallelismPerKPU <= 8).toBe(true);
  expect(parallelism.AutoScalingEnabled).toBe(asked.autoScalingEnabled ?? true);

  const checkpoints = flink.CheckpointConfiguration;
  expect(checkpoints.CheckpointingEnabled).toBe(asked.checkpointingEnabled ?? true);
  expect(checkpoints.CheckpointInterval).toBe(millisOf(stack, asked.checkpointInterval, 60_000));
  expect(Number.isInteger(checkpoints.CheckpointInterval) && checkpoints.CheckpointInterval >= 10).toBe(true);
  expect(checkpoints.MinPauseBetweenCheckpoints).toBe(millisOf(stack, asked.minPauseBetweenCheckpoints, 5_000));
  expect(Number.isInteger(checkpoints.MinPauseBetweenCheckpoints) && checkpoints.MinPauseBetweenCheckpoints >= 0).toBe(
    true,
  );
  expect(props.ApplicationConfiguration.ApplicationSnapshotConfiguration.SnapshotsEnabled).toBe(
    asked.snapshotsEnabled ?? true,
  );
  expect(flink.MonitoringConfiguration.LogLevel).toBe(asked.logLevel ?? 'INFO');
  expect(flink.MonitoringConfiguration.MetricsLevel).toBe(asked.metricsLevel ?? 'APPLICATION');

  const groups = props.ApplicationConfiguration.EnvironmentProperties.PropertyGroups as any[];
  expect(groups[0].PropertyGroupId).toBe('InputStream');
  expect(groups.length).toBeLessThanOrEqual(50);
  for (const group of groups) {
    expect(group.PropertyGroupId).toMatch(/^[a-zA-Z0-9_.-]{1,50}$/);
    for (const value of Object.values(group.PropertyMap)) {
      if (typeof value === 'string') {
        expect(value.length >= 1 && value.length <= 2048).toBe(true);
      }
    }
  }
  expect(groups.slice(1)).toEqual(
    Object.entries((asked.propertyGroups as Record<string, unknown>) ?? {}).map(([id, map]) => ({
      PropertyGroupId: id,
      PropertyMap: map,
    })),
  );

  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
  const alarm = (metric: string) => alarms.find((a) => a.Properties.MetricName === metric)?.Properties;
  const lag = alarm('millisBehindLatest');
  expect(lag.Threshold).toBe(millisOf(stack, asked.millisBehindLatestAlarmThreshold, 300_000));
  const retentionHours = c.streamKind === 'EncryptedStream, 48 hours' ? 48 : c.streamKind === 'imported' ? 8760 : 24;
  expect(lag.Threshold).toBeLessThan(retentionHours * 3_600_000 + 1);
  expect(alarm('cpuUtilization').Threshold).toBe(ask(asked.cpuUtilizationAlarmThreshold) ?? 80);
  expect(alarm('heapMemoryUtilization').Threshold).toBe(ask(asked.heapMemoryUtilizationAlarmThreshold) ?? 90);
  for (const a of alarms) {
    expect(Number.isFinite(a.Properties.Threshold)).toBe(true);
    expect(a.Properties.Threshold >= 0).toBe(true);
  }
  const downtimeOnFlink1 = alarm('downtime');
  expect(downtimeOnFlink1 !== undefined).toBe((props.RuntimeEnvironment as string).startsWith('FLINK-1_'));
}

test('StreamAnalytics: every generated case is refused with a library error or synthesizes what was asked', async () => {
  const batch = new TemplateBatch();
  const counts = { errors: 0, built: 0 };
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (c) => {
      const outcome = attempt(() => {
        const stack = build(c);
        return { stack, template: Template.fromStack(stack) };
      });
      if (outcome.kind === 'error') {
        counts.errors++;
        expectLibraryError(outcome.error, ['Stack/Analytics'], [...Object.keys(c.props), 'stream', 'code', 'props']);
        return;
      }
      counts.built++;
      checkTemplate(c, outcome.value.stack, outcome.value.template);
      batch.add(outcome.value.template.toJSON(), `stream-analytics.properties.${c.streamKind}`);
    }),
    propertyParameters(250),
  );
  reportCases('StreamAnalytics', counts);
  expect(counts.built).toBeGreaterThan(10);
  expect(counts.errors).toBeGreaterThan(10);
  await batch.expectCfnLintClean();
});

test('a deploy-time name and property value pass through', () => {
  const stack = ENV_MATRIX[0][1]();
  const name = stringToken('truck-counts');
  new StreamAnalytics(stack, 'Analytics', {
    stream: makeStream(stack, 'EncryptedStream'),
    code: StreamAnalyticsCode.fromAsset(TEST_CODE_DIR),
    applicationName: name,
    propertyGroups: { app: { window: stringToken('60') } },
  });
  const props = (
    Object.values(Template.fromStack(stack).findResources('AWS::KinesisAnalyticsV2::Application'))[0] as any
  ).Properties;
  expect(props.ApplicationName).toBe('truck-counts');
  expect(props.ApplicationConfiguration.EnvironmentProperties.PropertyGroups[1]).toEqual({
    PropertyGroupId: 'app',
    PropertyMap: { window: '60' },
  });
});
