/**
 * Lints every template the test suite synthesized (collected by `harness/cfn-lint-collector.ts`) with
 * cfn-lint, prints the figures, and fails on any error and on any warning not accepted in
 * `harness/cfn-lint.ts`. Runs after jest in the test task.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  ACCEPTED_WARNINGS,
  CfnLintFinding,
  COLLECTED_TEMPLATES_DIR,
  formatFindings,
  isAccepted,
} from '../harness/cfn-lint';
import { CFN_LINT_VERSION, ensureMoto } from '../harness/local-aws/runner';

const execFileAsync = promisify(execFile);
const BATCH = 150;
const PARALLEL = 2;

async function main(): Promise<void> {
  const files = fs.existsSync(COLLECTED_TEMPLATES_DIR)
    ? fs
        .readdirSync(COLLECTED_TEMPLATES_DIR)
        .filter((f) => f.endsWith('.template.json'))
        .map((f) => path.join(COLLECTED_TEMPLATES_DIR, f))
    : [];
  if (files.length === 0) {
    throw new Error(`no templates collected in ${COLLECTED_TEMPLATES_DIR}: did jest run with the collector?`);
  }
  const { cfnLint } = await ensureMoto();
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += BATCH) {
    batches.push(files.slice(i, i + BATCH));
  }
  const findings: CfnLintFinding[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < batches.length) {
        const batch = batches[next++];
        const { stdout } = await execFileAsync(
          cfnLint,
          ['--format', 'json', '--non-zero-exit-code', 'none', '--regions', 'us-east-1', '--', ...batch],
          { encoding: 'utf-8', maxBuffer: 256 * 1024 * 1024 },
        );
        for (const m of JSON.parse(stdout || '[]') as any[]) {
          findings.push({
            rule: m.Rule.Id,
            level: m.Level,
            message: m.Message,
            template: path.basename(m.Filename),
            path: (m.Location?.Path ?? []).join('/'),
          });
        }
      }
    }),
  );
  const errors = findings.filter((f) => f.level === 'Error');
  const accepted = findings.filter(isAccepted);
  const unexpected = findings.filter((f) => !isAccepted(f));
  console.log(
    `cfn-lint ${CFN_LINT_VERSION}: ${files.length} distinct templates from the test suite; ` +
      `${errors.length} errors, ${findings.length - errors.length} warnings ` +
      `(${accepted.length} accepted: ${summarizeAccepted(accepted)})`,
  );
  if (unexpected.length > 0) {
    console.error(formatFindings(unexpected.slice(0, 200)));
    console.error(`cfn-lint: ${unexpected.length} findings not accepted (harness/cfn-lint.ts lists the accepted ones)`);
    process.exitCode = 1;
  }
}

function summarizeAccepted(accepted: CfnLintFinding[]): string {
  if (accepted.length === 0) {
    return 'none';
  }
  return ACCEPTED_WARNINGS.map((w) => `${w.rule} ×${accepted.filter((f) => f.rule === w.rule).length}`).join(', ');
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
