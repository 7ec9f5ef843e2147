import { Duration, Lazy, Token } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { cfnLint, formatFindings, isAccepted } from './cfn-lint';

/**
 * Property-based tests: props and method calls generated inside, at and beyond every limit, including
 * non-finite numbers, strings that bypass TypeScript's enums, and tokens. Every case must end in one of
 * two outcomes (`checkOutcome`): a library error naming the construct path, the prop, the value and the
 * rule; or a template that passes aws-cdk-lib's validator (the strict app) and cfn-lint, and holds what
 * was asked.
 *
 * The seed is fixed so CI is repeatable; `FC_SEED=<n>` explores other cases locally, and the number of
 * cases each property ran is printed.
 */
export const PROPERTY_SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261205;

/** fast-check parameters for one property: the fixed seed, and `numRuns` cases. */
export function propertyParameters(numRuns: number): fc.Parameters<unknown> {
  return { seed: PROPERTY_SEED, numRuns, endOnFailure: true };
}

/** A number token: a deploy-time value the construct must pass through, not validate. */
export function numberToken(value = 7): number {
  return Token.asNumber(Lazy.number({ produce: () => value }));
}

/** A string token: a deploy-time value the construct must pass through, not validate. */
export function stringToken(value = 'deploy-time-value'): string {
  return Lazy.string({ produce: () => value });
}

/**
 * Numbers around the given limits: each limit, one below and above, halfway values, zero, negatives,
 * NaN, ±Infinity, huge values that overflow an alarm threshold, a token, and arbitrary doubles.
 */
export function numberAround(limits: number[]): fc.Arbitrary<number> {
  const edges = limits.flatMap((l) => [l, l - 1, l + 1, l - 0.5, l + 0.5]);
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...edges) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        0,
        -1,
        -0,
        NaN,
        Infinity,
        -Infinity,
        Number.MAX_VALUE,
        1e21,
        Number.MAX_SAFE_INTEGER + 2,
      ),
    },
    { weight: 1, arbitrary: fc.constant(numberToken()).map(() => numberToken()) },
    {
      weight: 2,
      arbitrary: fc.integer({ min: Math.min(...limits, 0) - 10, max: Math.max(...limits, 0) + 10 }),
    },
    { weight: 1, arbitrary: fc.double({ noNaN: false }) },
  );
}

/**
 * Durations around the given limits, in seconds, built with the unit a user would use. Only durations
 * aws-cdk-lib lets a user create are generated (it refuses negative amounts itself, before our code).
 */
export function durationAround(limitsInSeconds: number[]): fc.Arbitrary<Duration> {
  const seconds = numberAround(limitsInSeconds).filter((n) => Token.isUnresolved(n) || !(n < 0));
  return fc.oneof(
    seconds.map((n) => Duration.seconds(n)),
    seconds.map((n) => (Token.isUnresolved(n) ? Duration.minutes(n) : Duration.minutes(n / 60))),
    fc.constant(null).map(() => Duration.hours(numberToken(24))),
  );
}

/**
 * Values of a string enum, mixed with strings a JavaScript or jsii caller could pass instead: the value
 * lower-cased, a member's name, an empty string, and others given (`'gzip'`, `'kms'`, `'Sunday'`).
 */
export function enumOrForeign<T extends string>(values: readonly T[], foreign: string[] = []): fc.Arbitrary<T> {
  const impostors = [
    ...values.map((v) => v.toLowerCase()),
    ...values.map((v) => ` ${v}`),
    '',
    'gzip',
    'kms',
    'Sunday',
    ...foreign,
  ].filter((s) => !(values as readonly string[]).includes(s));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...values) },
    { weight: 1, arbitrary: fc.constantFrom(...impostors) as fc.Arbitrary<any> },
  );
}

/**
 * Strings for a name: valid ones, ones at and past the length limit, characters the service refuses,
 * and a token.
 */
export function nameAround(maxLength: number, validChars = 'abcXYZ019-_'): fc.Arbitrary<string> {
  const chars = validChars.split('');
  const valid = fc.string({ unit: fc.constantFrom(...chars), minLength: 1, maxLength: Math.min(maxLength, 20) });
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'a'.repeat(maxLength),
        'a'.repeat(maxLength + 1),
        '',
        'has space',
        'emoji-😀',
        'dot.name',
        'slash/name',
      ),
    },
    { weight: 1, arbitrary: fc.constant(null).map(() => stringToken('deploy-time-name')) },
  );
}

/** The outcome of one generated case. */
export type Outcome<T> =
  { readonly kind: 'error'; readonly error: Error } | { readonly kind: 'built'; readonly value: T };

/** Runs a case and captures a thrown error as the first kind of outcome. */
export function attempt<T>(build: () => T): Outcome<T> {
  try {
    return { kind: 'built', value: build() };
  } catch (error) {
    return { kind: 'error', error: error as Error };
  }
}

/**
 * Asserts that an error is one of ours and well formed: `[<path>] <prop> <rule>, got <value>`, where
 * the path is one of `paths` (the construct the user called), the prop one of `props` (what the case
 * set; for a method `<method> <argument>`), and the value is shown as written, never as an unresolved
 * `${Token[...]}` string.
 */
export function expectLibraryError(error: Error, paths: string[], props: string[]): void {
  const message = error.message;
  const shape = /^\[([^\]]+)\] (.+?) ((?:must|may|needs|takes|cannot|is|are|should|exceeds|needs)\b.*), got (.+)$/s;
  const match = shape.exec(message);
  if (!match) {
    throw new Error(`not a library error of the form "[path] prop rule, got value":\n${message}\n${error.stack}`);
  }
  const [, path, prop, , value] = match;
  if (!paths.some((p) => path === p || path.startsWith(`${p}/`))) {
    throw new Error(`the error names path ${path}, expected one of ${paths.join(', ')}:\n${message}`);
  }
  if (!props.some((p) => prop === p || prop.startsWith(`${p}.`) || prop.startsWith(`${p} `))) {
    throw new Error(`the error names prop "${prop}", expected one of ${props.join(', ')}:\n${message}`);
  }
  if (/\$\{Token\[/.test(message) || /-1\.888\d+e\+289/.test(value)) {
    throw new Error(`the error shows an unresolved token instead of the value:\n${message}`);
  }
}

/**
 * Collects the templates of the cases that synthesized, and lints them together with one cfn-lint
 * process at the end of the property (cfn-lint starts in about a second; per case it would dominate).
 */
export class TemplateBatch {
  private readonly templates: Record<string, unknown> = {};
  private count = 0;

  public add(template: unknown, label = `case-${this.count}`): void {
    this.templates[`${label}#${this.count++}`] = template;
  }

  public get size(): number {
    return this.count;
  }

  /** Lints every collected template; fails with the findings the suite does not accept. */
  public async expectCfnLintClean(): Promise<void> {
    const findings = (await cfnLint(this.templates)).filter((f) => !isAccepted(f));
    if (findings.length > 0) {
      throw new Error(`cfn-lint found ${findings.length} problems:\n${formatFindings(findings.slice(0, 30))}`);
    }
  }
}

/** Prints what a property ran, so CI's log shows the number of cases. */
export function reportCases(name: string, counts: { errors: number; built: number }): void {
  // eslint-disable-next-line no-console
  console.log(
    `property ${name}: ${counts.errors + counts.built} cases (seed ${PROPERTY_SEED}): ` +
      `${counts.built} synthesized and linted, ${counts.errors} refused with a library error`,
  );
}
