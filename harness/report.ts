// What the main job prints: the same figures and result lines for every scenario, and the shape of
// a scenario's step in it. The scenarios' run functions print nothing (the behaviour tests assert on
// their reports); their demo steps print through these.
import type { DeployedStack, LocalAws } from './local-aws';

/** The stacks the main job deployed, by stack name. */
export type DeployedStacks = ReadonlyMap<string, DeployedStack>;

/**
 * One step of the main job: finds its stack among those deployed, runs its scenario on it and
 * prints what happened; 0 when the scenario passed, 1 when it did not (or could not run).
 */
export type DemoStep = (local: LocalAws, deployed: DeployedStacks) => number | Promise<number>;

/** A figure of a scenario: label, value (right-aligned), and a note. */
export type ReportRow = [label: string, value: string, note?: string];

export function printRows(rows: readonly ReportRow[]): void {
  for (const [label, value, note] of rows) {
    console.log(`  ${label.padEnd(12)} ${value.padStart(7)}${note ? `   ${note}` : ''}`);
  }
}

/** Prints the scenario's result: what went wrong, or `success`. Returns the step's exit code. */
export function printResult(failures: readonly string[], success: string): number {
  if (failures.length > 0) {
    console.log(`\nResult: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}`);
    return 1;
  }
  console.log(`\nResult: ${success}`);
  return 0;
}

export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
