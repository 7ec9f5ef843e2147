import { App, PolicyValidationPluginReport, Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { AmazonMQChecks } from '../src/amazon-mq-checks';
import { DecouplingChecks } from '../src/decoupling-checks';

/** A rule pack that can check a construct tree directly: cdk-nag's, or the library's own. */
export interface CompliancePack {
  readonly name: string;
  validateScope(scope: IConstruct): PolicyValidationPluginReport;
}

/**
 * The packs every construct of this library must pass: cdk-nag v3's five, and the library's
 * own plugins: the Amazon MQ rules (cdk-nag has none for Amazon MQ; they apply to brokers only) and
 * the decoupling rules, which check how resources are wired to each other.
 */
export function compliancePacks(): CompliancePack[] {
  return [
    new AwsSolutionsChecks(),
    new NIST80053R5Checks(),
    new HIPAASecurityChecks(),
    new PCIDSS321Checks(),
    new ServerlessChecks(),
    new AmazonMQChecks(),
    new DecouplingChecks(),
  ];
}

export interface ComplianceFinding {
  readonly pack: string;
  readonly rule: string;
  readonly level: string;
  readonly path: string;
  readonly description: string;
}

/**
 * Every unacknowledged finding, warnings included, of the five packs on the app that
 * holds `scope`. Synthesizes first, so aspects and the CloudFormation validator run.
 */
export function complianceFindings(scope: IConstruct): ComplianceFinding[] {
  const app = Stage.of(scope) ?? (scope as App);
  (app as App).synth();
  const findings: ComplianceFinding[] = [];
  for (const pack of compliancePacks()) {
    const report = pack.validateScope(app);
    for (const violation of report.violations) {
      for (const resource of violation.violatingResources) {
        findings.push({
          pack: pack.name,
          rule: violation.ruleName,
          level: violation.severity ?? '',
          path: resource.constructPath ?? resource.resourceLogicalId ?? '?',
          description: violation.description,
        });
      }
    }
  }
  return findings;
}

/**
 * Fails with one line per finding (`path: rule (level) - description`) unless the
 * app that holds `scope` passes all five packs.
 */
export function expectCompliant(scope: IConstruct): void {
  const findings = complianceFindings(scope);
  if (findings.length > 0) {
    const lines = findings.map((f) => `  ${f.path}: ${f.rule} (${f.level}) - ${f.description}`);
    throw new Error(`${findings.length} compliance finding(s):\n${lines.join('\n')}`);
  }
}
