import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';

/** The AWS-managed SQS key. SNS cannot be granted use of it, so a topic loses every message it sends to such a queue. */
export const AWS_MANAGED_SQS_KEY_ALIAS = 'alias/aws/sqs';

/** Whether `key` is the AWS-managed SQS key, judged by its alias, ARN or id when known at synth. */
export function isAwsManagedSqsKey(key: kms.IKey): boolean {
  const aliasName = (key as Partial<kms.IAlias>).aliasName;
  const identifiers = [aliasName, key.keyArn, key.keyId].filter(
    (value): value is string => typeof value === 'string' && !Token.isUnresolved(value),
  );
  return identifiers.some((value) => value.endsWith(AWS_MANAGED_SQS_KEY_ALIAS));
}
