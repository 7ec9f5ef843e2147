import { Facts } from './facts';
import { ResourceModel } from './model';

/** An error fails synthesis; a warning is reported (and fails synthesis in construct-library strict mode). */
export type RuleLevel = 'error' | 'warning';

/** The AWS documentation page that says why a rule matters. */
export interface RuleSource {
  readonly title: string;
  readonly url: string;
}

/** One mistake found on one resource. */
export interface Finding {
  /**
   * The resource the finding is reported on: acknowledging the rule on it, or on a construct above it,
   * removes the finding.
   */
  readonly subject: ResourceModel;
  /** What is wrong here, and what goes wrong at run time, naming the resources involved. */
  readonly description: string;
  /** The properties of the subject at fault, e.g. `Properties/RedrivePolicy`. */
  readonly locations: string[];
}

/** A rule: a mistake in the wiring of two or three resources, and how to fix it. */
export interface Rule {
  /** `Decoupling-<Name>`. */
  readonly id: string;
  readonly level: RuleLevel;
  /** The mistake, in one sentence (the README's rule table). */
  readonly summary: string;
  /** What goes wrong at run time. */
  readonly impact: string;
  /** How to fix it. */
  readonly fix: string;
  /** The AWS documentation behind the rule. */
  readonly sources: readonly RuleSource[];
  /** The findings of the rule in the app. Never throws on a template it cannot read: it stays silent. */
  readonly check: (facts: Facts) => Finding[];
}
