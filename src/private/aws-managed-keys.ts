import { Token } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';

/** The AWS-managed SQS key. SNS cannot be granted use of it, so a topic loses every message it sends to such a queue. */
export const AWS_MANAGED_SQS_KEY_ALIAS = 'alias/aws/sqs';

/** The AWS-managed Kinesis key. Its policy cannot be changed, so it cannot be granted to anyone. */
export const AWS_MANAGED_KINESIS_KEY_ALIAS = 'alias/aws/kinesis';

/** Whether `key` is the AWS-managed key of `alias` (e.g. `alias/aws/sqs`), judged by its alias, ARN or id when known at synth. */
export function isAwsManagedKey(key: kms.IKey, alias: string): boolean {
  const aliasName = (key as Partial<kms.IAlias>).aliasName;
  const identifiers = [aliasName, key.keyArn, key.keyId].filter(
    (value): value is string => typeof value === 'string' && !Token.isUnresolved(value),
  );
  return identifiers.some((value) => value.endsWith(alias));
}
