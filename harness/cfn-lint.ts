import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ensureMoto } from './local-aws/runner';

/**
 * cfn-lint, AWS's CloudFormation linter, over the templates the suite synthesizes.
 *
 * It catches what aws-cdk-lib's validator does not: property values CloudFormation or the service
 * would refuse (patterns, enums, ranges, properties that conflict), hard-coded partitions and zones.
 * It runs from the Python venv the suite creates for the local AWS (`ensureMoto()` pins its version).
 */

/** One cfn-lint finding. */
export interface CfnLintFinding {
  /** `E3012`, `W3005`, ... */
  readonly rule: string;
  readonly level: 'Error' | 'Warning' | 'Informational';
  readonly message: string;
  /** The template it was found in (the name given to `cfnLint`). */
  readonly template: string;
  /** Where in the template: `Resources/Queue/Properties/...`. */
  readonly path: string;
}

/**
 * The warnings the suite accepts, each with why it cannot or should not be fixed. Every other warning,
 * and every error, fails the suite. This is the one place they are listed.
 */
export const ACCEPTED_WARNINGS: ReadonlyArray<{
  readonly rule: string;
  readonly reason: string;
  readonly applies: (finding: CfnLintFinding) => boolean;
}> = [
  {
    rule: 'W3005',
    reason:
      'aws-cdk-lib makes a Lambda function (its own custom-resource providers, and functions tests create) ' +
      "DependsOn the role it also references, so the role's policy exists before the function runs; the " +
      'dependency is redundant for the role itself and harmless. Only dependencies on IAM roles are accepted.',
    applies: (f) =>
      /^'[A-Za-z0-9]*(Role|ServiceRole)[A-Za-z0-9]*' dependency already enforced by a 'GetAtt'/.test(f.message),
  },
  {
    rule: 'W3010',
    reason:
      "An env-specific stack's VPC names its subnets' zones: the zones the CDK CLI looked up for that account " +
      "and region (aws-cdk-lib's design for env-specific stacks; the blueprints never guess one). " +
      'Env-agnostic stacks use Fn::GetAZs and raise no W3010. Accepted only on AWS::EC2::Subnet.',
    applies: (f) => /^Resources\/[A-Za-z0-9]+\/Properties\/AvailabilityZone$/.test(f.path) && /Subnet/.test(f.path),
  },
  {
    rule: 'W7001',
    reason:
      "aws-cdk-lib's Firehose DeliveryStream adds a mapping of Firehose's CIDR blocks per region to every stack " +
      'that has one, for destinations that allow-list Firehose by IP address; an S3 destination never reads it. ' +
      'Accepted only for that mapping.',
    applies: (f) => f.path === 'Mappings/awscdkawskinesisfirehoseCidrBlocks',
  },
];

/** Whether the suite accepts a finding: only the listed warnings. */
export function isAccepted(finding: CfnLintFinding): boolean {
  return finding.level !== 'Error' && ACCEPTED_WARNINGS.some((w) => w.rule === finding.rule && w.applies(finding));
}

/**
 * Lints templates (name → template JSON) in one cfn-lint process and returns every finding.
 * Templates are linted for us-east-1, where an env-agnostic template's regional checks are decided.
 */
export async function cfnLint(templates: Record<string, unknown>): Promise<CfnLintFinding[]> {
  const { cfnLint: executable } = await ensureMoto();
  return cfnLintWith(executable, templates);
}

/** `cfnLint` with a known executable, for callers outside jest that batch many templates. */
export function cfnLintWith(executable: string, templates: Record<string, unknown>): CfnLintFinding[] {
  const names = Object.keys(templates);
  if (names.length === 0) {
    return [];
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));
  try {
    const fileToName = new Map<string, string>();
    names.forEach((name, i) => {
      const file = path.join(dir, `${i}.template.json`);
      fs.writeFileSync(file, JSON.stringify(templates[name], undefined, 1));
      fileToName.set(file, name);
    });
    return lintFiles(executable, [...fileToName.keys()]).map((f) => ({ ...f, template: fileToName.get(f.template)! }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Lints template files in one cfn-lint process. */
export function lintFiles(executable: string, files: string[]): CfnLintFinding[] {
  if (files.length === 0) {
    return [];
  }
  const stdout = execFileSync(
    executable,
    ['--format', 'json', '--non-zero-exit-code', 'none', '--regions', 'us-east-1', '--', ...files],
    { encoding: 'utf-8', maxBuffer: 256 * 1024 * 1024 },
  );
  const raw = JSON.parse(stdout || '[]') as any[];
  return raw.map((m) => ({
    rule: m.Rule.Id,
    level: m.Level,
    message: m.Message,
    template: m.Filename,
    path: (m.Location?.Path ?? []).join('/'),
  }));
}

/** One line per finding, for a test failure or the suite's report. */
export function formatFindings(findings: CfnLintFinding[]): string {
  return findings.map((f) => `${f.template}: ${f.rule} (${f.level}) at ${f.path}: ${f.message}`).join('\n');
}

/** Where the suite collects every template it synthesizes, for `tools/cfn-lint-suite.ts`. */
export const COLLECTED_TEMPLATES_DIR = path.resolve(__dirname, '..', '.local-aws', 'cfn-lint', 'templates');

/** Context that keeps a deliberately broken app's templates out of the collection. */
export const SKIP_CFN_LINT_CONTEXT = '@cdk-decoupling-patterns/harness:skipCfnLint';

/** Writes a synthesized template into the collection, once per distinct content. */
export function collectTemplate(template: unknown, label: string): void {
  const text = JSON.stringify(template);
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  const safeLabel = label.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  const file = path.join(COLLECTED_TEMPLATES_DIR, `${safeLabel}.${hash}.template.json`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(COLLECTED_TEMPLATES_DIR, { recursive: true });
    fs.writeFileSync(file, text);
  }
}
