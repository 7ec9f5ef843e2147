import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as fc from 'fast-check';
import { SKIP_CFN_LINT_CONTEXT } from '../harness/cfn-lint';
import { PROPERTY_SEED, propertyParameters } from '../harness/properties';
import { DecouplingChecks } from '../src/decoupling-checks';

// DecouplingChecks takes no props; what it must get right is every value a template can hold. Generated
// here: a queue with a dead-letter queue (maybe in another stack), read by a function through an event
// source mapping, alarmed (or not), with every setting the rules read inside, at and beyond the limits
// that decide them, left unset (the service default), or a deploy-time value (a parameter). Each case must end with
// exactly the findings an independent oracle computes from the generated values: a finding for every
// literal mistake, none where a parameter hides the value (the plugin never guesses), and no exception.
// The apps make mistakes on purpose, so their templates are not linted.

const SQS_DEFAULT_RETENTION = 345_600;
const SQS_DEFAULT_VISIBILITY = 30;
const LAMBDA_DEFAULT_TIMEOUT = 3;
const SQS_DEFAULT_BATCH = 10;

/**
 * A setting: unset, a literal, or a deploy-time value (a CloudFormation parameter: what only the
 * deployment knows; a `Lazy` token would be resolved to a literal at synthesis and is no unknown).
 */
type Setting = { kind: 'unset' } | { kind: 'literal'; value: number } | { kind: 'deploy-time'; value: number };

function setting(limits: number[], min: number, max: number): fc.Arbitrary<Setting> {
  const literal = fc
    .oneof(
      fc.constantFrom(...limits.flatMap((l) => [l - 1, l, l + 1]).filter((v) => v >= min && v <= max)),
      fc.integer({ min, max }),
    )
    .map((value): Setting => ({ kind: 'literal', value }));
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant<Setting>({ kind: 'unset' }) },
    { weight: 5, arbitrary: literal },
    { weight: 1, arbitrary: fc.integer({ min, max }).map((value): Setting => ({ kind: 'deploy-time', value })) },
  );
}

function render(stack: Stack, id: string, value: Setting): number | undefined {
  if (value.kind === 'unset') {
    return undefined;
  }
  if (value.kind === 'literal') {
    return value.value;
  }
  return new CfnParameter(stack, id, { type: 'Number', default: value.value }).valueAsNumber;
}

/** The value the plugin may read: the literal, the service default when unset, undefined for a deploy-time value. */
function known(value: Setting, defaultValue: number): number | undefined {
  return value.kind === 'unset' ? defaultValue : value.kind === 'literal' ? value.value : undefined;
}

interface Wiring {
  readonly envAgnostic: boolean;
  readonly crossStack: boolean;
  readonly sourceFifo: boolean;
  readonly dlqFifo: boolean;
  readonly sourceRetention: Setting;
  readonly dlqRetention: Setting;
  readonly visibilityTimeout: Setting;
  readonly functionTimeout: Setting;
  readonly maxReceiveCount: Setting;
  readonly batchSize: Setting;
  readonly batchingWindow: Setting;
  readonly reportBatchItemFailures: boolean;
  readonly alarm: 'none' | 'visible' | 'sent' | 'token';
}

const wiring: fc.Arbitrary<Wiring> = fc.record({
  envAgnostic: fc.boolean(),
  crossStack: fc.boolean(),
  sourceFifo: fc.boolean(),
  dlqFifo: fc.boolean(),
  // Retention: 60 s to 14 days; the rule turns on source >= dead-letter queue.
  sourceRetention: setting([60, SQS_DEFAULT_RETENTION, 1_209_600], 60, 1_209_600),
  dlqRetention: setting([60, SQS_DEFAULT_RETENTION, 1_209_600], 60, 1_209_600),
  // Visibility timeout 0 to 12 h, function timeout 1 to 900 s: the rule turns on 6 x.
  visibilityTimeout: setting([0, 18, 30, 180, 5_400, 43_200], 0, 43_200),
  functionTimeout: setting([1, 3, 5, 30, 900], 1, 900),
  maxReceiveCount: setting([1, 4, 5, 1000], 1, 1000),
  batchSize: setting([1, 2, 10, 11, 10_000], 1, 10_000),
  batchingWindow: setting([0, 1, 300], 0, 300),
  reportBatchItemFailures: fc.boolean(),
  alarm: fc.constantFrom<Wiring['alarm']>('none', 'visible', 'sent', 'token'),
});

function build(w: Wiring): App {
  const app = new App({ context: { [SKIP_CFN_LINT_CONTEXT]: true } });
  const env = w.envAgnostic ? {} : { env: { account: '123456789012', region: 'us-east-1' } };
  const stack = new Stack(app, 'Stack', env);
  const dlqStack = w.crossStack ? new Stack(app, 'Shared', env) : stack;
  const dlq = new sqs.CfnQueue(dlqStack, 'DeadLetterQueue', {
    fifoQueue: w.dlqFifo || undefined,
    messageRetentionPeriod: render(dlqStack, 'DlqRetention', w.dlqRetention),
  });
  const source = new sqs.CfnQueue(stack, 'Queue', {
    fifoQueue: w.sourceFifo || undefined,
    messageRetentionPeriod: render(stack, 'SourceRetention', w.sourceRetention),
    visibilityTimeout: render(stack, 'VisibilityTimeout', w.visibilityTimeout),
    redrivePolicy: {
      deadLetterTargetArn: dlq.attrArn,
      maxReceiveCount: render(stack, 'MaxReceiveCount', w.maxReceiveCount) ?? 5,
    },
  });
  const timeout = render(stack, 'FunctionTimeout', w.functionTimeout);
  const fn = new lambda.Function(stack, 'Function', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout: timeout === undefined ? undefined : Duration.seconds(timeout),
  });
  new lambda.CfnEventSourceMapping(stack, 'Mapping', {
    functionName: fn.functionName,
    eventSourceArn: source.attrArn,
    batchSize: render(stack, 'BatchSize', w.batchSize),
    maximumBatchingWindowInSeconds: render(stack, 'BatchingWindow', w.batchingWindow),
    functionResponseTypes: w.reportBatchItemFailures ? ['ReportBatchItemFailures'] : undefined,
  });
  if (w.alarm !== 'none') {
    new cloudwatch.Alarm(dlqStack, 'DeadLetterQueueAlarm', {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SQS',
        metricName: w.alarm === 'sent' ? 'NumberOfMessagesSent' : 'ApproximateNumberOfMessagesVisible',
        dimensionsMap: {
          QueueName:
            w.alarm === 'token' ? new CfnParameter(dlqStack, 'AlarmedQueueName').valueAsString : dlq.attrQueueName,
        },
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }
  return app;
}

/** The findings the rules must report, computed from the generated values alone. */
function oracle(w: Wiring): string[] {
  const expected: string[] = [];
  const sourceRetention = known(w.sourceRetention, SQS_DEFAULT_RETENTION);
  const dlqRetention = known(w.dlqRetention, SQS_DEFAULT_RETENTION);
  if (!w.sourceFifo && sourceRetention !== undefined && dlqRetention !== undefined && sourceRetention >= dlqRetention) {
    expected.push('Decoupling-DlqRetentionTooShort');
  }
  if (w.sourceFifo !== w.dlqFifo) {
    expected.push('Decoupling-DlqTypeMismatch');
  }
  if (w.alarm === 'none') {
    expected.push('Decoupling-DlqNoAlarm');
  }
  if (w.alarm === 'sent') {
    expected.push('Decoupling-DlqAlarmOnMessagesSent');
  }
  const visibility = known(w.visibilityTimeout, SQS_DEFAULT_VISIBILITY);
  const timeout = known(w.functionTimeout, LAMBDA_DEFAULT_TIMEOUT);
  if (visibility !== undefined && timeout !== undefined && visibility < 6 * timeout) {
    expected.push('Decoupling-VisibilityTimeoutTooShort');
  }
  const batchSize = known(w.batchSize, SQS_DEFAULT_BATCH);
  if (batchSize !== undefined && batchSize > 1 && !w.reportBatchItemFailures) {
    expected.push('Decoupling-SqsMappingNoPartialBatchResponse');
  }
  const window = known(w.batchingWindow, 0);
  const fifoBatch = w.batchSize.kind === 'literal' ? w.batchSize.value : undefined;
  if (w.sourceFifo && ((window !== undefined && window > 0) || (fifoBatch !== undefined && fifoBatch > 10))) {
    expected.push('Decoupling-FifoMappingUnsupportedSetting');
  }
  const maxReceiveCount = known(w.maxReceiveCount, 5);
  if (maxReceiveCount !== undefined && maxReceiveCount < 5) {
    expected.push('Decoupling-LambdaMaxReceiveCountTooLow');
  }
  return expected.sort();
}

test('the findings are exactly those the generated values call for, and none where a parameter hides a value', () => {
  let cases = 0;
  fc.assert(
    fc.property(wiring, (w) => {
      cases++;
      const app = build(w);
      app.synth();
      const report = new DecouplingChecks().validateScope(app);
      // No rule may fail on a value it cannot read: an internal error is reported without resources.
      expect(report.violations.filter((v) => v.violatingResources.length === 0)).toEqual([]);
      const found = report.violations.flatMap((v) => v.violatingResources.map(() => v.ruleName)).sort();
      expect(found).toEqual(oracle(w));
      expect(report.success).toBe(
        !found.some(
          (id) =>
            !['Decoupling-SqsMappingNoPartialBatchResponse', 'Decoupling-LambdaMaxReceiveCountTooLow'].includes(id),
        ),
      );
    }),
    propertyParameters(150),
  );
  // eslint-disable-next-line no-console
  console.log(
    `property DecouplingChecks: ${cases} cases (seed ${PROPERTY_SEED}), each app checked against the oracle (not linted: broken on purpose)`,
  );
});
