import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { regionalServiceName } from './aws-names';

/**
 * An AWS service that uses a key on behalf of one source only (a topic, a bucket, an account): the
 * confused-deputy guard AWS documents for key policies that trust a service principal.
 */
export interface ServiceKeyUse {
  /** The service principal, e.g. `sns.amazonaws.com`. */
  readonly servicePrincipal: string;
  /** Exact KMS actions. */
  readonly actions: string[];
  /** The resource the service acts for (`aws:SourceArn`). */
  readonly sourceArn?: string;
  /** `ArnLike` when `sourceArn` is a pattern with `*`. @default 'ArnEquals' */
  readonly sourceArnOperator?: 'ArnEquals' | 'ArnLike';
  /** The account the source belongs to (`aws:SourceAccount`). */
  readonly sourceAccount?: string;
  /** A statement id. */
  readonly sid?: string;
}

/** The key-policy statement that lets a service use a key for one source only. */
export function serviceKeyStatement(use: ServiceKeyUse): iam.PolicyStatement {
  const conditions: Record<string, Record<string, string>> = {};
  if (use.sourceArn !== undefined) {
    conditions[use.sourceArnOperator ?? 'ArnEquals'] = { 'aws:SourceArn': use.sourceArn };
  }
  if (use.sourceAccount !== undefined) {
    conditions.StringEquals = { 'aws:SourceAccount': use.sourceAccount };
  }
  return new iam.PolicyStatement({
    sid: use.sid,
    principals: [new iam.ServicePrincipal(use.servicePrincipal)],
    actions: use.actions,
    // In a key policy, "*" is the key itself.
    resources: ['*'],
    conditions: Object.keys(conditions).length > 0 ? conditions : undefined,
  });
}

/** Adds `serviceKeyStatement(use)` to the key's policy; the result says whether the key's policy could be changed. */
export function allowServiceToUseKey(key: kms.IKey, use: ServiceKeyUse): iam.AddToResourcePolicyResult {
  return key.addToResourcePolicy(serviceKeyStatement(use), true);
}

/** What CloudWatch Logs does with a log group's key: exactly the actions behind AWS's documented wildcards. */
const CLOUDWATCH_LOGS_KEY_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
];

/**
 * Lets CloudWatch Logs of the stack's region use `key` for the log groups whose names match
 * `logGroupNamePattern` (a name, or a pattern with `*`) in the stack's account, and for no other: the
 * statement the CloudWatch Logs User Guide gives for encrypting log data with AWS KMS, with the
 * `kms:EncryptionContext:aws:logs:arn` condition. Without it, creating the log group fails.
 */
export function allowCloudWatchLogsToUseKey(key: kms.IKey, logGroupNamePattern: string, sid?: string): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid,
      principals: [new iam.ServicePrincipal(regionalServiceName(key, 'logs'))],
      actions: CLOUDWATCH_LOGS_KEY_ACTIONS,
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: logGroupNamePattern,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
}
