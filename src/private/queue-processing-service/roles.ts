import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from '../acknowledgments';
import { ManagedPolicyRole } from '../managed-policy-role';

/**
 * `ecs:UpdateTaskProtection` and `ecs:GetTaskProtection` on the tasks of the cluster, which holds this
 * service's tasks only: what a container needs to call the ECS agent's task scale-in protection
 * endpoint, `$ECS_AGENT_URI/task-protection/v1/state` (Amazon ECS Developer Guide, "Amazon ECS task
 * scale-in protection endpoint"; the agent calls UpdateTaskProtection / GetTaskProtection with the task
 * role's credentials). Both actions take the `task` resource type,
 * `arn:${Partition}:ecs:${Region}:${Account}:task/${ClusterName}/${TaskId}` (Service Authorization
 * Reference, Amazon ECS).
 */
export function addTaskProtectionPolicy(scope: Construct, role: iam.IRole, cluster: ecs.ICluster): iam.ManagedPolicy {
  const tasksOfCluster = Stack.of(scope).formatArn({
    service: 'ecs',
    resource: 'task',
    resourceName: `${cluster.clusterName}/*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
  const policy = new iam.ManagedPolicy(scope, 'TaskProtectionPolicy', {
    description: `Lets the tasks of ${scope.node.path} protect themselves from scale-in while they work`,
    statements: [
      new iam.PolicyStatement({
        actions: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
        resources: [tasksOfCluster],
      }),
    ],
  });
  policy.attachToRole(role);
  acknowledge(
    policy,
    wildcardResource(
      policy,
      tasksOfCluster,
      'ECS assigns each task its id when it starts, so no policy can name the tasks in advance; the wildcard stands ' +
        "for the task id only, within this service's own cluster.",
    ),
  );
  return policy;
}

/**
 * When the task definition's image comes from ECR, the execution role gets `ecr:GetAuthorizationToken`
 * on `*`: the action has no resource type (Service Authorization Reference, Amazon ECR), so IAM accepts
 * no other resource. Acknowledged on the execution role's policy only when that statement is there.
 */
export function acknowledgeEcrAuthorizationToken(role: ManagedPolicyRole): void {
  const policy = role.policy;
  if (policy === undefined) {
    return;
  }
  const statements: Array<{ Action?: unknown; Resource?: unknown }> =
    Stack.of(policy).resolve(policy.document.toJSON())?.Statement ?? [];
  const hasTokenStatement = statements.some(
    (s) => [s.Action].flat().includes('ecr:GetAuthorizationToken') && [s.Resource].flat().includes('*'),
  );
  if (hasTokenStatement) {
    acknowledge(
      policy,
      wildcardResource(
        policy,
        '*',
        'ecr:GetAuthorizationToken has no resource type, so IAM accepts only "*" for it; the repository actions are on the repository ARN.',
      ),
    );
  }
}
