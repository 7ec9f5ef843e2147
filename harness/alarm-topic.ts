import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/**
 * A user's alarm topic under a key of their own, configured as AWS documents it for CloudWatch alarm actions
 * (the key policy lets cloudwatch.amazonaws.com call kms:Decrypt and kms:GenerateDataKey*; Amazon SNS
 * Developer Guide, "Configure AWS KMS permissions for AWS services"): the `alarmTopic` prop used right.
 * Without that statement CloudWatch cannot publish, and DecouplingChecks reports AlarmTopicKeyUnusable.
 */
export function pagerTopic(scope: Construct, id = 'Pager'): sns.Topic {
  const key = new kms.Key(scope, `${id}Key`, { enableKeyRotation: true });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  return new sns.Topic(scope, id, { masterKey: key, enforceSSL: true });
}
