// The main job before deployment: synthesize every blueprint into cdk.out, then print
// where each template went and what the compliance packs (cdk-nag's five and the library's Amazon MQ rules) found.
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { addBlueprints } from '../app/blueprints';
import { STRICT_VALIDATION_CONTEXT } from '../harness/app';
import { cfnLintWith, formatFindings, isAccepted } from '../harness/cfn-lint';
import { compliancePacks, complianceFindings } from '../harness/compliance';
import { CFN_LINT_VERSION, ensureMoto } from '../harness/local-aws/runner';

async function main(): Promise<number> {
  const outdir = path.resolve(__dirname, '..', 'cdk.out');
  const app = new App({ outdir, context: STRICT_VALIDATION_CONTEXT });
  addBlueprints(app);
  const assembly = app.synth();

  console.log('Blueprint templates (CloudFormation validator: no errors or warnings, or synthesis would have failed):');
  for (const stack of assembly.stacks) {
    const resources = Object.keys(stack.template.Resources ?? {}).length;
    console.log(
      `  ${stack.stackName.padEnd(28)} ${resources} resources  ${path.relative(process.cwd(), stack.templateFullPath)}`,
    );
  }

  const findings = complianceFindings(app);
  console.log(
    `\nCompliance (${compliancePacks()
      .map((p) => p.name)
      .join(', ')}, warnings included):`,
  );
  for (const pack of compliancePacks()) {
    const count = findings.filter((f) => f.pack === pack.name).length;
    console.log(`  ${pack.name.padEnd(14)} ${count === 0 ? 'pass' : `${count} finding(s)`}`);
  }
  for (const f of findings) {
    console.log(`  ${f.path}: ${f.rule} (${f.level}) - ${f.description}`);
  }
  console.log(findings.length === 0 ? '\nResult: compliant, 0 findings.' : `\nResult: ${findings.length} finding(s).`);

  // cfn-lint, AWS's CloudFormation linter, from the local AWS's Python venv.
  const { cfnLint } = await ensureMoto();
  const lint = cfnLintWith(cfnLint, Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template])));
  const unexpected = lint.filter((f) => !isAccepted(f));
  console.log(
    `\ncfn-lint ${CFN_LINT_VERSION}: ${assembly.stacks.length} templates, ` +
      `${lint.filter((f) => f.level === 'Error').length} errors, ${lint.filter((f) => f.level !== 'Error').length} warnings ` +
      `(${lint.length - unexpected.length} accepted in harness/cfn-lint.ts)`,
  );
  if (unexpected.length > 0) {
    console.log(formatFindings(unexpected));
  }
  return findings.length === 0 && unexpected.length === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
