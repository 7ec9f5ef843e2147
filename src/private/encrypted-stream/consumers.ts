import { Annotations, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  CONSUMERS_CREATING_AT_ONCE,
  CONSUMERS_PER_ON_DEMAND_ADVANTAGE_STREAM,
  CONSUMERS_PER_STREAM,
} from '../kinesis-actions';
import { invalidProp } from '../validation';

/**
 * The enhanced fan-out consumers this app registers on each stream, so that the limits Kinesis sets per
 * stream fail at synth instead of at deploy: the number of consumers (RegisterStreamConsumer API reference:
 * 20 on provisioned and On-demand Standard streams, 50 on On-demand Advantage streams) and the five that may
 * be CREATING at once.
 */
interface StreamConsumers {
  readonly limit: number;
  /** Why the limit is what it is, for the message. */
  readonly limitRule: string;
  readonly consumers: IConstruct[];
  kclApplications: number;
}

/** The construct that stands for a stream: an EncryptedStream and its inner kinesis.Stream are one stream. */
const CANONICAL = new WeakMap<object, IConstruct>();
const REGISTRY = new WeakMap<IConstruct, StreamConsumers>();

/**
 * Declares a stream this library created, with the number of consumers it takes. `stream` is the
 * EncryptedStream and `inner` its kinesis.Stream: consumers of either count against the same limit.
 */
export function declareStream(stream: IConstruct, inner: IConstruct, onDemandAdvantage: boolean): void {
  CANONICAL.set(stream, inner);
  REGISTRY.set(inner, {
    limit: onDemandAdvantage ? CONSUMERS_PER_ON_DEMAND_ADVANTAGE_STREAM : CONSUMERS_PER_STREAM,
    limitRule: onDemandAdvantage
      ? `an On-demand Advantage stream takes at most ${CONSUMERS_PER_ON_DEMAND_ADVANTAGE_STREAM} enhanced fan-out consumers`
      : `a provisioned or On-demand Standard stream takes at most ${CONSUMERS_PER_STREAM} enhanced fan-out consumers ` +
        `(${CONSUMERS_PER_ON_DEMAND_ADVANTAGE_STREAM} with onDemandAdvantage, on an on-demand stream of an account in ` +
        'the On-demand Advantage mode)',
    consumers: [],
    kclApplications: 0,
  });
}

/** The construct consumer names must be unique in (one stream's consumers). */
export function consumerNamespace(stream: IConstruct): IConstruct {
  return CANONICAL.get(stream) ?? stream;
}

function entryFor(stream: IConstruct): StreamConsumers {
  const key = consumerNamespace(stream);
  let entry = REGISTRY.get(key);
  if (!entry) {
    // A stream this library did not create (imported, or aws-cdk-lib's own): its capacity mode is unknown
    // here, so only the limit no stream exceeds is enforced.
    entry = {
      limit: CONSUMERS_PER_ON_DEMAND_ADVANTAGE_STREAM,
      limitRule: `no stream takes more than ${CONSUMERS_PER_ON_DEMAND_ADVANTAGE_STREAM} enhanced fan-out consumers (${CONSUMERS_PER_STREAM} unless it is an On-demand Advantage stream)`,
      consumers: [],
      kclApplications: 0,
    };
    REGISTRY.set(key, entry);
  }
  return entry;
}

/** Refuses one consumer more than the stream takes. */
export function checkConsumerCapacity(scope: IConstruct, prop: string, stream: IConstruct, name: unknown): void {
  const entry = entryFor(stream);
  if (entry.consumers.length >= entry.limit) {
    throw invalidProp(
      scope,
      prop,
      `exceeds the consumers the stream takes: ${entry.limitRule} (RegisterStreamConsumer API reference), and this would be consumer ${entry.consumers.length + 1}`,
      name,
    );
  }
}

/**
 * Counts a consumer (its CloudFormation resource), and makes it wait for the consumer created five before it
 * in the same stack, so that CloudFormation never has more than five of the stream's consumers CREATING.
 */
export function registerConsumer(stream: IConstruct, consumer: IConstruct, warnOn: IConstruct): void {
  const entry = entryFor(stream);
  const earlier = entry.consumers[entry.consumers.length - CONSUMERS_CREATING_AT_ONCE];
  if (earlier && Stack.of(earlier) === Stack.of(consumer)) {
    consumer.node.addDependency(earlier);
  }
  entry.consumers.push(consumer);
  warnIfKclWouldExceed(entry, warnOn);
}

/**
 * Counts a KCL application. KCL 2.x and 3.x read with enhanced fan-out by default, registering a consumer of
 * their own (named after the application), so applications and consumers together may exceed the limit; a
 * KCL application configured for polling registers none, so this is a warning, not an error.
 */
export function registerKclApplication(stream: IConstruct, warnOn: IConstruct): void {
  const entry = entryFor(stream);
  entry.kclApplications++;
  warnIfKclWouldExceed(entry, warnOn);
}

function warnIfKclWouldExceed(entry: StreamConsumers, warnOn: IConstruct): void {
  const total = entry.consumers.length + entry.kclApplications;
  if (entry.kclApplications > 0 && total > entry.limit) {
    Annotations.of(warnOn).addWarningV2(
      'cdk-decoupling-patterns:kcl-enhanced-fan-out-limit',
      `The stream has ${entry.consumers.length} enhanced fan-out consumers and ${entry.kclApplications} KCL applications, ` +
        `and ${entry.limitRule}. KCL workers register a consumer of their own by default: configure the ` +
        'applications past the limit to poll (PollingConfig), or remove consumers.',
    );
  }
}
