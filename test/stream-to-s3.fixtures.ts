import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';

// Shared by the tests of StreamToS3 (not a test file itself).

/**
 * The topic a user pages with, encrypted with a key CloudWatch may use (the key policy lets
 * cloudwatch.amazonaws.com encrypt), so that the alarms' notifications are delivered.
 */
export function pagerTopic(stack: Stack): sns.Topic {
  const key = new kms.Key(stack, 'PagerKey', { enableKeyRotation: true });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
    }),
  );
  return new sns.Topic(stack, 'Pager', { enforceSSL: true, masterKey: key });
}
