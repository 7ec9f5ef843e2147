import { Annotations, ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, wildcardResource } from '../acknowledgments';
import { ManagedPolicyPrincipal } from '../managed-policy-grants';

// The workers' role gets customer-managed policies only: the NIST, HIPAA and PCI packs reject inline
// policies on a role, and AWS-managed ones are broader than the workers need.

/**
 * Receive, delete and change the visibility of the queue's messages (and decrypt them with its key), as
 * the queue's own `grantConsumeMessages` decides: a WorkQueue's exact grant, or aws-cdk-lib's for any other
 * queue (the same five SQS actions on the queue's ARN and `kms:Decrypt` on its key, no wildcard).
 */
export function addConsumePolicy(scope: Construct, role: iam.IRole, queue: sqs.IQueue): iam.ManagedPolicy {
  const policy = new iam.ManagedPolicy(scope, 'ConsumePolicy', {
    description: `Lets the workers of ${scope.node.path} consume messages of their queue`,
  });
  const grant = queue.grantConsumeMessages(new ManagedPolicyPrincipal(policy, Stack.of(scope).account));
  policy.attachToRole(role);
  // A queue of another account (or, in an env-agnostic stack, possibly another) needs the role in its own queue policy too. aws-cdk-lib's grant makes that
  // statement, but an imported queue's policy is not this app's to change, so it would be dropped without a
  // word: the statement is given in a warning for the queue's owner instead.
  const managedHere = queue.node.defaultChild !== undefined && sqs.CfnQueue.isCfnQueue(queue.node.defaultChild);
  if (grant.resourceStatements.length > 0 && !managedHere) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:queuePolicyNotManaged',
      `queue ${queue.queueArn} is not managed by this app and may be in another account: its owner must add this statement ` +
        `to the queue policy, or the workers cannot receive its messages: ` +
        JSON.stringify(
          Stack.of(scope).resolve(grant.resourceStatements.map((statement) => statement.toStatementJson())),
        ),
    );
  }
  return policy;
}

/** `autoscaling:SetInstanceProtection` on instances of the fleet's own group, by the group's name. */
export function addScaleInProtectionPolicy(
  scope: Construct,
  role: iam.IRole,
  autoScalingGroupName: string,
): iam.ManagedPolicy {
  // The group's ARN holds a UUID that AWS assigns at creation and CloudFormation does not return;
  // the name after it identifies the group.
  const groupArn = Stack.of(scope).formatArn({
    service: 'autoscaling',
    resource: 'autoScalingGroup',
    resourceName: `*:autoScalingGroupName/${autoScalingGroupName}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const policy = new iam.ManagedPolicy(scope, 'ScaleInProtectionPolicy', {
    description: `Lets the workers of ${scope.node.path} protect instances of their group from scale-in while they work`,
    statements: [new iam.PolicyStatement({ actions: ['autoscaling:SetInstanceProtection'], resources: [groupArn] })],
  });
  policy.attachToRole(role);
  acknowledge(
    policy,
    wildcardResource(
      policy,
      groupArn,
      "The group's ARN contains a UUID that EC2 Auto Scaling assigns at creation and CloudFormation does not return; " +
        'the wildcard stands for that UUID only, and the group name after it names this group.',
    ),
  );
  return policy;
}

/** What the Systems Manager agent needs for Session Manager's channel, and nothing of Run Command or Parameter Store. */
export function addSessionManagerPolicy(scope: Construct, role: iam.IRole): iam.ManagedPolicy {
  const policy = new iam.ManagedPolicy(scope, 'SessionManagerPolicy', {
    description: `Lets the Systems Manager agent on the workers of ${scope.node.path} open Session Manager shells`,
    statements: [
      // AWS's documented Session Manager instance policy (the actions of AWSCloud9SSMInstanceProfile).
      new iam.PolicyStatement({
        actions: [
          'ssm:UpdateInstanceInformation',
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        resources: ['*'],
      }),
    ],
  });
  policy.attachToRole(role);
  acknowledge(
    policy,
    wildcardResource(
      policy,
      '*',
      'The ssmmessages actions have no resource types, and ssm:UpdateInstanceInformation only optional ones that ' +
        'the agent does not use for its heartbeat: IAM accepts no resource but * for them. The actions are exact.',
    ),
  );
  return policy;
}
