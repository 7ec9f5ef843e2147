import { PolicyValidationPluginReport, PolicyViolation, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Facts } from './facts';
import { buildAppModel, TemplateSource } from './model';
import { Finding, Rule } from './rule';
import { RULES } from './rules';
import { Resolver } from './values';

/** The plugin's name, and the namespace aws-cdk-lib gives its rule ids (`Decoupling::Decoupling-...`). */
export const PLUGIN_NAME = 'Decoupling';

/**
 * Runs every rule on the app holding `root`, with the templates `sourceOf` gives, and reports the
 * findings on resources at or below `scope` that are not acknowledged on the resource or an ancestor.
 * One violation per rule and description, each naming its resource's logical id, template and path.
 */
export function evaluate(root: IConstruct, scope: IConstruct, sourceOf: TemplateSource): PolicyValidationPluginReport {
  const app = buildAppModel(root, sourceOf);
  const facts = new Facts(new Resolver(app));
  const violations: PolicyViolation[] = [];
  // The violation of each rule and description, to which further resources are added.
  const byDescription = new Map<string, PolicyViolation>();
  const inScope = (construct: IConstruct | undefined) =>
    scope === root || (construct !== undefined && construct.node.scopes.includes(scope));

  for (const rule of RULES) {
    let findings: Finding[];
    try {
      findings = rule.check(facts);
    } catch (error) {
      // Every rule is written to stay silent on what it cannot read; an exception is a defect of the
      // rule, reported (as a warning) rather than failing or silently passing the app.
      violations.push({
        ruleName: rule.id,
        description: `DecouplingChecks could not evaluate ${rule.id} on this app: ${(error as Error).message}. Please report it; no finding of this rule is reported.`,
        fix: 'None needed in the app.',
        severity: 'warning',
        violatingResources: [],
      });
      continue;
    }
    for (const finding of findings) {
      const construct = finding.subject.construct;
      if (!inScope(construct) || (construct !== undefined && isAcknowledged(construct, rule.id))) {
        continue;
      }
      report(violations, byDescription, rule, finding);
    }
  }
  return { success: !violations.some((v) => v.severity === 'error'), violations };
}

function report(
  violations: PolicyViolation[],
  byDescription: Map<string, PolicyViolation>,
  rule: Rule,
  finding: Finding,
): void {
  const resource = {
    resourceLogicalId: finding.subject.logicalId,
    templatePath: finding.subject.stack.templatePath,
    constructPath: finding.subject.path,
    locations: finding.locations,
  };
  const key = JSON.stringify([rule.id, finding.description]);
  const existing = byDescription.get(key);
  if (existing) {
    existing.violatingResources.push(resource);
    return;
  }
  const violation: PolicyViolation = {
    ruleName: rule.id,
    description: finding.description,
    fix: `${rule.fix} See ${rule.sources.map((s) => s.url).join(' and ')}.`,
    severity: rule.level,
    violatingResources: [resource],
    ruleMetadata: {
      impact: rule.impact,
      documentation: rule.sources.map((s) => `${s.title} <${s.url}>`).join('; '),
    },
  };
  violations.push(violation);
  byDescription.set(key, violation);
}

const ANNOTATION_PREFIX = /^annotation::/i;

/**
 * Whether `ruleId` is acknowledged on `construct` or an ancestor, through the
 * `Validations.ACKNOWLEDGED_RULES_METADATA_KEY` metadata `Validations.acknowledge()` records (as
 * `Annotation::<id>`, `annotation::<id>` before aws-cdk-lib 2.262.1, or `Decoupling::<id>` as given).
 */
function isAcknowledged(construct: IConstruct, ruleId: string): boolean {
  for (const scope of construct.node.scopes) {
    for (const entry of scope.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) {
        continue;
      }
      for (const id of Object.keys(entry.data as Record<string, string>)) {
        if (
          (ANNOTATION_PREFIX.test(id) && id.replace(ANNOTATION_PREFIX, '') === ruleId) ||
          id === `${PLUGIN_NAME}::${ruleId}`
        ) {
          return true;
        }
      }
    }
  }
  return false;
}

/** The ids of the rules, in order. */
export const RULE_IDS: readonly string[] = RULES.map((rule) => rule.id);
