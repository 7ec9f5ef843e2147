import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STRICT_VALIDATION_CONTEXT } from '../../harness/app';
import { SKIP_CFN_LINT_CONTEXT } from '../../harness/cfn-lint';

/**
 * The test corpus of DecouplingChecks: for each rule, a small app built from plain aws-cdk-lib
 * constructs that makes the mistake, and the same app with the mistake fixed. The broken app must fail
 * with exactly that rule (and no other), the fixed app must pass with no finding at all.
 */
export interface CorpusCase {
  /** The rule the broken app breaks. */
  readonly rule: string;
  /** The mistake, in words. */
  readonly mistake: string;
  /** Builds the app; with `fixed`, the same app with the mistake corrected. */
  build(app: App, fixed: boolean): void;
}

export const ENV = { account: '123456789012', region: 'us-east-1' };

/**
 * The app a corpus case is built in. A broken app may make mistakes aws-cdk-lib's own validator also
 * reports (they would fail the deployment too): it is not strict, and its templates are not linted.
 * A fixed app is strict, and linted with the suite.
 */
export function corpusApp(fixed: boolean): App {
  return new App({ context: fixed ? { ...STRICT_VALIDATION_CONTEXT } : { [SKIP_CFN_LINT_CONTEXT]: true } });
}

export function corpusStack(app: App, id = 'Stack', props: StackProps = { env: ENV }): Stack {
  return new Stack(app, id, props);
}

/** A Lambda function with inline code. */
export function inlineFunction(scope: Construct, id: string, timeout = Duration.seconds(30)): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout,
  });
}

/** An alarm on a queue's visible messages: what every dead-letter queue needs. */
export function alarmOnVisibleMessages(scope: Construct, id: string, queue: sqs.IQueue): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    metric: queue.metricApproximateNumberOfMessagesVisible(),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
  });
}

/** A dead-letter queue done right: 14 days of retention, an alarm on its visible messages. */
export function deadLetterQueue(scope: Construct, id: string, props: sqs.QueueProps = {}): sqs.Queue {
  const queue = new sqs.Queue(scope, id, { retentionPeriod: Duration.days(14), ...props });
  alarmOnVisibleMessages(scope, `${id}Alarm`, queue);
  return queue;
}

/** A work queue done right: a dead-letter queue (14 days, alarmed), 5 receives, the given visibility timeout. */
export function workQueue(
  scope: Construct,
  id: string,
  props: { fifo?: boolean; visibilityTimeout?: Duration; maxReceiveCount?: number } = {},
): sqs.Queue {
  const dlq = deadLetterQueue(scope, `${id}DeadLetterQueue`, { fifo: props.fifo });
  return new sqs.Queue(scope, id, {
    fifo: props.fifo,
    visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(180),
    deadLetterQueue: { queue: dlq, maxReceiveCount: props.maxReceiveCount ?? 5 },
  });
}
