import { Annotations, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';

/**
 * EC2 Auto Scaling publishes a group's notifications with its service-linked role, and SNS encrypts
 * them with the topic's key on that role's behalf: without this statement in the key policy the
 * notifications are dropped. `aws:PrincipalArn` (rather than the role as principal) keeps the key
 * policy valid in an account where that role does not exist yet.
 *
 * Every fleet on the same topic adds the same statement; the key's policy document drops identical
 * statements when it is rendered, so the policy holds it once, and no state outlives the synthesis.
 */
export function allowAutoScalingNotifications(scope: IConstruct, topic: sns.ITopic): void {
  const key = topic.masterKey;
  if (!key) {
    return;
  }
  const serviceLinkedRole = Stack.of(scope).formatArn({
    service: 'iam',
    region: '',
    resource: 'role',
    resourceName: 'aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
  });
  const result = key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowAutoScalingNotifications',
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      // In a key policy, "*" is the key itself.
      resources: ['*'],
      conditions: { ArnEquals: { 'aws:PrincipalArn': serviceLinkedRole } },
    }),
  );
  if (!result.statementAdded) {
    Annotations.of(scope).addWarningV2(
      'cdk-decoupling-patterns:alarmTopicKeyPolicy',
      'alarmTopic is encrypted with a key whose policy this stack cannot change. Allow the role ' +
        "AWSServiceRoleForAutoScaling kms:GenerateDataKey* and kms:Decrypt on it, or the group's notifications are dropped.",
    );
  }
}
