import { Duration, Token } from 'aws-cdk-lib';

// What the capacity models share: their refusals, and the arithmetic of workers draining a backlog. The
// models are not constructs: their errors name the model in the place of a construct path, then the method
// (none for the constructor's props) and the argument, in the library's `[path] prop rule, got value` form.

/** Beyond 2^53 a double no longer counts messages exactly. */
export const MAX_MESSAGES = Number.MAX_SAFE_INTEGER;

/** A week, minute by minute. */
export const MAX_MINUTES = 10_080;

/** Absorbs floating-point noise such as 10 / (10 / 3) = 3.0000000000000004 before rounding. */
export const EPSILON = 1e-9;

/** A value described in words, shown as is. */
export class Written {
  constructor(private readonly text: string) {}

  public toString(): string {
    return this.text;
  }
}

export function formatNumber(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e21 ? value.toLocaleString('en-US') : String(value);
}

function describe(value: unknown): string {
  if (value instanceof Duration) {
    if (value.isUnresolved()) {
      return `a deploy-time Duration (Duration.${value.unitLabel()}(…))`;
    }
    const millis = value.toMilliseconds({ integral: false });
    return Number.isFinite(millis) ? value.toHumanString() : value.toString();
  }
  if (typeof value === 'number') {
    return Token.isUnresolved(value) ? 'a deploy-time value' : formatNumber(value);
  }
  if (typeof value === 'string') {
    return Token.isUnresolved(value) ? 'a deploy-time value' : JSON.stringify(value);
  }
  if (Array.isArray(value) || (typeof value === 'object' && value !== null && value.constructor === Object)) {
    try {
      return JSON.stringify(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** The inputs every simulation takes, once checked. */
export interface CheckedSimulation {
  readonly initialBacklog: number;
  readonly minutes: number;
  readonly processingMillis: number;
  readonly arrivals: readonly number[];
}

/** The refusals of one model, named after it. */
export class ModelChecks {
  constructor(private readonly model: string) {}

  public error(prop: string, rule: string, value: unknown): Error {
    return new Error(`[${this.model}] ${prop} ${rule}, got ${describe(value)}`);
  }

  /** The model computes at synth: a token's value is not known there. */
  public known(prop: string, value: unknown): void {
    if (typeof value === 'number' && Token.isUnresolved(value)) {
      throw this.error(prop, 'must be known at synth (the model computes with it)', value);
    }
  }

  /** A whole count in `min..max`: instances, invocations, messages, minutes. */
  public count(method: string | undefined, name: string, value: unknown, min: number, max: number): void {
    const prop = argument(method, name);
    this.known(prop, value);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.error(prop, `must be a whole number between ${formatNumber(min)} and ${formatNumber(max)}`, value);
    }
  }

  /** A Duration known at synth in `minMillis..max`, in milliseconds. */
  public timeMillis(method: string | undefined, name: string, value: unknown, max: Duration, minMillis = 1): number {
    const prop = argument(method, name);
    const range = `between ${minMillis === 0 ? '0 seconds' : '1 millisecond'} and ${max.toHumanString()}`;
    if (!(value instanceof Duration)) {
      throw this.error(prop, `must be a Duration ${range}`, value);
    }
    if (value.isUnresolved()) {
      throw this.error(prop, 'must be known at synth (the model computes with it)', value);
    }
    const millis = value.toMilliseconds({ integral: false });
    if (!Number.isFinite(millis) || millis < minMillis || millis > max.toMilliseconds()) {
      throw this.error(prop, `must be ${range}`, value);
    }
    return millis;
  }

  /**
   * The inputs of every simulation, in the order they are checked: the props object, minutes, the initial
   * backlog, the processing time, then the arrivals (a list of counts that, with the initial backlog, add up
   * to a number of messages a double still counts exactly).
   */
  public simulation(method: string, props: unknown, propsName: string, maxProcessingTime: Duration): CheckedSimulation {
    if (props === undefined || props === null || typeof props !== 'object') {
      throw this.error(method, `must be given a ${propsName} object`, props);
    }
    const given = props as {
      readonly minutes?: unknown;
      readonly initialBacklog?: unknown;
      readonly processingTimePerMessage?: unknown;
      readonly arrivalsPerMinute?: unknown;
    };
    this.count(method, 'minutes', given.minutes, 1, MAX_MINUTES);
    this.count(method, 'initialBacklog', given.initialBacklog, 0, MAX_MESSAGES);
    const minutes = given.minutes as number;
    const initialBacklog = given.initialBacklog as number;
    const processingMillis = this.timeMillis(
      method,
      'processingTimePerMessage',
      given.processingTimePerMessage,
      maxProcessingTime,
    );
    const arrivals = given.arrivalsPerMinute ?? [];
    if (!Array.isArray(arrivals)) {
      throw this.error(`${method} arrivalsPerMinute`, 'must be a list of message counts', arrivals);
    }
    arrivals.forEach((arrival, i) => this.count(method, `arrivalsPerMinute[${i}]`, arrival, 0, MAX_MESSAGES));
    const total = (arrivals as number[]).slice(0, minutes).reduce((sum, arrival) => sum + arrival, initialBacklog);
    if (total > MAX_MESSAGES) {
      // Beyond 2^53 a double no longer counts messages exactly: some would be lost in the arithmetic.
      throw this.error(
        `${method} arrivalsPerMinute`,
        `must add up, with initialBacklog, to at most ${formatNumber(MAX_MESSAGES)} messages`,
        new Written(`${formatNumber(total)} messages in all`),
      );
    }
    return { initialBacklog, minutes, processingMillis, arrivals: arrivals as number[] };
  }
}

function argument(method: string | undefined, name: string): string {
  return method === undefined ? name : `${method} ${name}`;
}

/** What workers did in one minute, and the part-finished work they carry into the next. */
export interface MinuteOfWork {
  readonly processed: number;
  readonly carry: number;
}

/**
 * `workers` workers at `perWorkerPerMinute` messages a minute each, on `backlog` messages. Work in progress
 * carries over between minutes (one worker at 2 minutes per message finishes one every other minute);
 * capacity left idle by an empty queue is lost.
 */
export function minuteOfWork(
  backlog: number,
  workers: number,
  perWorkerPerMinute: number,
  carry: number,
): MinuteOfWork {
  const capacity = workers > 0 ? carry + workers * perWorkerPerMinute : 0;
  const whole = Math.floor(capacity + EPSILON);
  const processed = Math.min(backlog, whole);
  return { processed, carry: processed < whole ? 0 : Math.max(0, capacity - whole) };
}
