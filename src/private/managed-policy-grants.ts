import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * A principal whose grants are written into a customer-managed policy instead of an inline policy,
 * which the NIST, HIPAA and PCI packs reject (`IAMNoInlinePolicy`). Pass it to any `grant*` method:
 * the statements the grant decides land in `policy`, once each.
 */
export class ManagedPolicyPrincipal extends iam.PrincipalBase {
  public readonly policyFragment = new iam.PrincipalPolicyFragment({});

  constructor(
    private readonly policy: iam.ManagedPolicy,
    public readonly principalAccount: string | undefined,
  ) {
    super();
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const rendered = JSON.stringify(statement.toStatementJson());
    const statements: unknown[] = this.policy.document.toJSON()?.Statement ?? [];
    if (!statements.some((existing) => JSON.stringify(existing) === rendered)) {
      this.policy.addStatements(statement);
    }
    return { statementAdded: true, policyDependable: this.policy };
  }

  public dedupeString(): string | undefined {
    return undefined;
  }
}

/**
 * Grants `statements` to `grantee` through `policy`: a role (created here or imported) gets the
 * customer-managed policy attached; any other principal (a user, a group) gets the statements in its
 * own policy. The Grant that comes back holds the real statements, so `success` and `principalStatements`
 * tell the caller what was granted; `success` is false when the principal takes no statements at all.
 */
export function grantThroughManagedPolicy(
  policy: iam.ManagedPolicy,
  grantee: iam.IGrantable,
  statements: iam.PolicyStatement[],
): iam.Grant {
  const principal = grantee.grantPrincipal;
  let target: iam.IGrantable = grantee;
  if (isRole(principal)) {
    policy.attachToRole(principal);
    target = new ManagedPolicyPrincipal(policy, principal.principalAccount);
  }
  return statements
    .map((statement) =>
      iam.Grant.addToPrincipal({
        grantee: target,
        actions: statement.actions,
        resourceArns: statement.resources,
        conditions: statement.conditions,
      }),
    )
    .reduce((all, grant) => all.combine(grant));
}

/** A role, created here or imported: something a managed policy can be attached to by name. */
function isRole(principal: iam.IPrincipal): principal is iam.IRole {
  const candidate = principal as Partial<iam.IRole>;
  return typeof candidate.roleArn === 'string' && typeof candidate.roleName === 'string';
}
