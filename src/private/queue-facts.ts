import { Duration, Lazy, Size, SizeRoundingBehavior, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { IConstruct } from 'constructs';
import { SIZE_UNITS, durationMillis, invalidProp, sizeAsWritten, sizeUnit } from './validation';

/** SQS's visibility timeout when a queue sets none. */
const SQS_DEFAULT_VISIBILITY_TIMEOUT = Duration.seconds(30);

/**
 * The visibility timeout of `queue` when it is known at synth: a queue with a `visibilityTimeout`
 * Duration of its own (a WorkQueue, matched by shape so that this helper never imports a construct),
 * or an `sqs.Queue` created in this app (its CloudFormation `VisibilityTimeout`, SQS's 30 seconds
 * when unset). Undefined for an imported queue and for a token, whose value only the deployment knows:
 * consumers then skip the checks that need it.
 */
export function knownVisibilityTimeout(queue: sqs.IQueue): Duration | undefined {
  const declared = (queue as { readonly visibilityTimeout?: unknown }).visibilityTimeout;
  if (declared instanceof Duration) {
    return declared.isUnresolved() ? undefined : declared;
  }
  const resource = queue.node.defaultChild;
  if (resource === undefined || !sqs.CfnQueue.isCfnQueue(resource)) {
    return undefined;
  }
  const seconds = resource.visibilityTimeout;
  if (seconds === undefined) {
    return SQS_DEFAULT_VISIBILITY_TIMEOUT;
  }
  const timeout = Duration.seconds(seconds);
  return timeout.isUnresolved() ? undefined : timeout;
}

/**
 * A value shown in an error message as given here rather than as `describeValue` would show it: a
 * deploy-time Duration as `Duration.hours({"Ref":"Hours"})`, a Size as `Size.mebibytes(1,536)`.
 */
export class Shown {
  constructor(private readonly text: string) {}

  public toString(): string {
    return this.text;
  }
}

const DURATION_UNITS: Record<string, { readonly amount: (d: Duration) => number; readonly seconds: number }> = {
  millis: { amount: (d) => d.toMilliseconds(), seconds: 0.001 },
  seconds: { amount: (d) => d.toSeconds(), seconds: 1 },
  minutes: { amount: (d) => d.toMinutes(), seconds: 60 },
  hours: { amount: (d) => d.toHours(), seconds: 3_600 },
  days: { amount: (d) => d.toDays(), seconds: 86_400 },
};

/**
 * A Duration as the user wrote it: a deploy-time one as `Duration.<unit>(<its CloudFormation
 * expression>)` (aws-cdk-lib's own `toString` shows a token's internal number instead).
 */
export function describeDuration(scope: IConstruct, duration: Duration): Duration | Shown {
  if (!(duration instanceof Duration) || !duration.isUnresolved()) {
    return duration;
  }
  const unit = duration.unitLabel();
  const amount = DURATION_UNITS[unit]?.amount(duration);
  return new Shown(`a deploy-time Duration.${unit}(${resolvedOrToken(scope, amount)})`);
}

/**
 * A Duration that aws-cdk-lib can turn into the seconds CloudFormation takes. A known Duration, or a
 * deploy-time one given in seconds, is returned as is. A deploy-time Duration in another unit
 * (`Duration.hours(token)`) would make aws-cdk-lib throw ("Duration must be specified as
 * 'Duration.seconds()' here ...", with no path): when its value is known at synth (a `Lazy`), it is
 * converted; when only the deployment knows it (a parameter), it is refused here, since a template has
 * no arithmetic to convert it with.
 */
export function durationInSeconds(scope: IConstruct, prop: string, duration: Duration): Duration {
  if (!duration.isUnresolved() || duration.unitLabel() === 'seconds') {
    return duration;
  }
  const unit = DURATION_UNITS[duration.unitLabel()];
  const amount = unit.amount(duration);
  const toSeconds = (value: unknown): number | undefined => {
    if (typeof value !== 'number') {
      return undefined;
    }
    const seconds = unit.seconds < 1 ? value / 1000 : value * unit.seconds;
    return Number.isInteger(seconds) ? seconds : undefined;
  };
  if (toSeconds(resolvedAtSynth(scope, amount)) === undefined) {
    throw invalidProp(
      scope,
      prop,
      `given as a deploy-time value must be in seconds (Duration.seconds(value)): CloudFormation takes seconds and ` +
        `cannot convert ${duration.unitLabel()}`,
      describeDuration(scope, duration),
    );
  }
  return Duration.seconds(Lazy.uncachedNumber({ produce: (context) => toSeconds(context.resolve(amount))! }));
}

/**
 * The size in whole GiB, as a number or a number token, for a prop CloudFormation takes in GiB.
 * Undefined when a size known at synth is not a whole number of GiB, for the caller to refuse. A
 * deploy-time Size in another unit is converted when its value is known at synth, and refused
 * otherwise, as `durationInSeconds` does.
 */
export function sizeInGibibytes(scope: IConstruct, prop: string, size: Size): number | undefined {
  if (!size.isUnresolved()) {
    const gibibytes = size.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
    return Number.isInteger(gibibytes) ? gibibytes : undefined;
  }
  const unitName = sizeUnit(size);
  if (unitName === 'gibibytes') {
    return size.toGibibytes();
  }
  const unit = SIZE_UNITS[unitName];
  const amount = unit?.amount(size);
  const toGibibytes = (value: unknown): number | undefined => {
    const gibibytes = typeof value === 'number' && unit ? value * unit.gibibytes : NaN;
    return Number.isInteger(gibibytes) ? gibibytes : undefined;
  };
  if (toGibibytes(resolvedAtSynth(scope, amount)) === undefined) {
    throw invalidProp(
      scope,
      prop,
      'given as a deploy-time value must be in GiB (Size.gibibytes(value)): CloudFormation takes GiB and cannot convert units',
      describeSize(scope, size),
    );
  }
  return Lazy.uncachedNumber({ produce: (context) => toGibibytes(context.resolve(amount))! });
}

/** A Size as written: `Size.mebibytes(1536)`, a deploy-time one with its CloudFormation expression. */
export function describeSize(scope: IConstruct, size: Size): Shown {
  return new Shown(sizeAsWritten(scope, size));
}

/** The value a token stands for at synth (a `Lazy`), or undefined when only the deployment knows it. */
function resolvedAtSynth(scope: IConstruct, value: unknown): unknown {
  try {
    return Stack.of(scope).resolve(value);
  } catch {
    // A token that cannot be resolved yet is treated as known only at deploy time.
    return undefined;
  }
}

function resolvedOrToken(scope: IConstruct, value: unknown): string {
  const resolved = resolvedAtSynth(scope, value);
  return resolved === undefined ? '…' : JSON.stringify(resolved);
}

/**
 * A boolean prop. A JavaScript or jsii caller can pass `'true'` or `1`, which a truthiness check would read
 * one way and CloudFormation another.
 */
export function validateBoolean(scope: IConstruct, prop: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidProp(scope, prop, 'must be true or false', value);
  }
}

/**
 * An object prop or argument of an aws-cdk-lib interface, checked by the member the construct uses (a
 * JavaScript caller can pass an ARN string where `kms.IKey` is expected, which would fail later with a
 * TypeError naming nothing).
 */
export function validateInterface(
  scope: IConstruct,
  prop: string,
  value: unknown,
  typeName: string,
  member: string,
): void {
  if (value === undefined) {
    return;
  }
  if (typeof value !== 'object' || value === null || !(member in value)) {
    throw invalidProp(scope, prop, `must be ${typeName}`, value);
  }
}

/**
 * The options of a metric method: a period aws-cdk-lib accepts (1, 5, 10 or 30 seconds, or a multiple of a
 * minute: CloudWatch's standard and high-resolution periods, Amazon CloudWatch API reference, "MetricStat"),
 * known at synth (aws-cdk-lib checks it there and cannot read a token), and a `cloudwatch.Unit`.
 */
export function validateMetricOptions(
  scope: IConstruct,
  method: string,
  options: { readonly period?: Duration; readonly unit?: string } | undefined,
  units: Record<string, string>,
): void {
  if (options === undefined) {
    return;
  }
  const { period, unit } = options;
  if (period !== undefined) {
    const rule = 'must be 1, 5, 10 or 30 seconds or a whole number of minutes, known at synth';
    if (!(period instanceof Duration) || period.isUnresolved()) {
      throw invalidProp(
        scope,
        `${method} period`,
        rule,
        period instanceof Duration ? describeDuration(scope, period) : period,
      );
    }
    const seconds = durationMillis(period) / 1000;
    if (!Number.isInteger(seconds) || !([1, 5, 10, 30].includes(seconds) || (seconds > 0 && seconds % 60 === 0))) {
      throw invalidProp(scope, `${method} period`, rule, period);
    }
  }
  if (unit !== undefined && !Object.values(units).includes(unit)) {
    throw invalidProp(scope, `${method} unit`, 'must be a cloudwatch.Unit', unit);
  }
}
