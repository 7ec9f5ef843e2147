import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose grants land in one customer-managed policy, created on the first grant, instead of the
 * inline `DefaultPolicy` aws-cdk-lib gives every role: the NIST, HIPAA and PCI packs reject inline
 * policies (`IAMNoInlinePolicy`). Everything that grants to it (an ECR repository's `grantPull` when the
 * task definition binds an image, a log group's `grantWrite`, a user's `bucket.grantRead(role)`) keeps
 * working and nothing is dropped: each statement is added once to the managed policy.
 */
export class ManagedPolicyRole extends iam.Role {
  private grantsPolicy?: iam.ManagedPolicy;

  constructor(
    scope: Construct,
    id: string,
    props: iam.RoleProps,
    private readonly grantsDescription: string,
  ) {
    super(scope, id, props);
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (this.grantsPolicy === undefined) {
      this.grantsPolicy = new iam.ManagedPolicy(this, 'GrantsPolicy', {
        description: this.grantsDescription,
        roles: [this],
      });
    }
    const rendered = JSON.stringify(Stack.of(this).resolve(statement.toStatementJson()));
    const existing: unknown[] = Stack.of(this).resolve(this.grantsPolicy.document.toJSON())?.Statement ?? [];
    if (!existing.some((s) => JSON.stringify(s) === rendered)) {
      this.grantsPolicy.addStatements(statement);
    }
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }

  /** The managed policy the grants are in, once something has been granted. */
  public get policy(): iam.ManagedPolicy | undefined {
    return this.grantsPolicy;
  }
}
