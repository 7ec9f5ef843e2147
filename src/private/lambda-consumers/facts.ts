import { Stack, Token } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';

// What a consumer construct can know at synth about the queue, stream or function it is given. Each
// helper answers `undefined` when only the deployment knows (an imported resource, a token), and the
// checks that need the fact are then skipped: a value CloudFormation resolves is never guessed at.

/** Lambda's default function timeout when none is set (AWS::Lambda::Function `Timeout`, "Default: 3"). */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

/** SQS's default retention when a queue sets none (CreateQueue, MessageRetentionPeriod: 4 days). */
const SQS_DEFAULT_RETENTION_SECONDS = 345_600;

/** Kinesis's default retention when a stream sets none (CreateStream: 24 hours). */
const KINESIS_DEFAULT_RETENTION_HOURS = 24;

/** The function's CloudFormation resource, when it is created in this app (also behind an alias or version). */
function cfnFunction(handler: lambda.IFunction): lambda.CfnFunction | undefined {
  const resource = handler.node.defaultChild;
  if (resource !== undefined && lambda.CfnFunction.isCfnFunction(resource)) {
    return resource;
  }
  // An Alias or a Version runs the code of the function it points at (`alias.lambda`, `version.lambda`).
  const target = (handler as { readonly lambda?: unknown }).lambda;
  if (target !== undefined && target !== handler && isFunction(target)) {
    return cfnFunction(target);
  }
  return undefined;
}

function isFunction(value: unknown): value is lambda.IFunction {
  return (
    typeof (value as Partial<lambda.IFunction>)?.functionArn === 'string' && (value as IConstruct).node !== undefined
  );
}

/**
 * The function's timeout in seconds, as its template will say (a function of this app, or an alias or
 * version of one), Lambda's 3 seconds when it sets none. Undefined for an imported function or a token.
 * Read from the CloudFormation resource so that an escape-hatch override is seen too.
 */
export function knownFunctionTimeoutSeconds(handler: lambda.IFunction): number | undefined {
  const resource = cfnFunction(handler);
  if (resource === undefined) {
    return undefined;
  }
  const timeout = resource.timeout;
  if (timeout === undefined) {
    return LAMBDA_DEFAULT_TIMEOUT_SECONDS;
  }
  return Token.isUnresolved(timeout) ? undefined : timeout;
}

/** The function's reserved concurrency, when it has one known at synth. */
export function knownReservedConcurrency(handler: lambda.IFunction): number | undefined {
  const reserved = cfnFunction(handler)?.reservedConcurrentExecutions;
  return reserved === undefined || Token.isUnresolved(reserved) ? undefined : reserved;
}

/**
 * The CloudFormation resource of a queue created in this app: an `sqs.Queue`'s own, or the source queue
 * of a construct that wraps one as `queue` (a WorkQueue, matched by shape so that this helper imports
 * no construct).
 */
function cfnQueue(queue: sqs.IQueue): sqs.CfnQueue | undefined {
  const resource = queue.node.defaultChild;
  if (resource !== undefined && sqs.CfnQueue.isCfnQueue(resource)) {
    return resource;
  }
  const inner = (queue as { readonly queue?: unknown }).queue;
  if (inner instanceof sqs.Queue && inner !== queue) {
    return cfnQueue(inner);
  }
  return undefined;
}

/** The queue's retention in seconds (SQS's 4 days when unset), when known at synth. */
export function knownQueueRetentionSeconds(queue: sqs.IQueue): number | undefined {
  const resource = cfnQueue(queue);
  if (resource === undefined) {
    return undefined;
  }
  const retention = resource.messageRetentionPeriod;
  if (retention === undefined) {
    return SQS_DEFAULT_RETENTION_SECONDS;
  }
  return Token.isUnresolved(retention) ? undefined : retention;
}

/** What is known at synth about a queue's dead-letter queue. */
export interface DeadLetterFacts {
  /** `none`: a queue of this app without a redrive policy; `some`: it has one; `unknown`: imported, or a token. */
  readonly status: 'none' | 'some' | 'unknown';
  /** How many receives move a message to the dead-letter queue, when known. */
  readonly maxReceiveCount?: number;
}

/** Whether the queue moves failing messages to a dead-letter queue, read from its redrive policy. */
export function knownDeadLetter(queue: sqs.IQueue): DeadLetterFacts {
  const resource = cfnQueue(queue);
  if (resource === undefined) {
    return { status: 'unknown' };
  }
  const redrive = resource.redrivePolicy;
  if (redrive === undefined) {
    return { status: 'none' };
  }
  if (Token.isUnresolved(redrive)) {
    return { status: 'unknown' };
  }
  const count = (Stack.of(resource).resolve(redrive) as { maxReceiveCount?: unknown }).maxReceiveCount;
  return { status: 'some', maxReceiveCount: typeof count === 'number' ? count : undefined };
}

/**
 * The stream's retention in hours (Kinesis's 24 when unset), when known at synth: a `kinesis.Stream` of
 * this app, or a construct that wraps one as `stream` (an EncryptedStream).
 */
export function knownStreamRetentionHours(stream: kinesis.IStream): number | undefined {
  const resource = cfnStream(stream);
  if (resource === undefined) {
    return undefined;
  }
  const hours = resource.retentionPeriodHours;
  if (hours === undefined) {
    return KINESIS_DEFAULT_RETENTION_HOURS;
  }
  return Token.isUnresolved(hours) ? undefined : hours;
}

function cfnStream(stream: kinesis.IStream): kinesis.CfnStream | undefined {
  const resource = stream.node.defaultChild;
  if (resource !== undefined && kinesis.CfnStream.isCfnStream(resource)) {
    return resource;
  }
  const inner = (stream as { readonly stream?: unknown }).stream;
  if (inner instanceof kinesis.Stream && inner !== stream) {
    return cfnStream(inner);
  }
  return undefined;
}

/** The region a resource lives in, when known at synth (an import by ARN knows it; an env-agnostic stack does not). */
export function knownRegion(resource: { readonly env: { readonly region: string } }): string | undefined {
  const region = resource.env.region;
  return Token.isUnresolved(region) ? undefined : region;
}
