import { Annotations, Resource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { regionalServiceName } from '../aws-names';
import { allowCloudWatchLogsToUseKey } from '../key-policies';
import { describeValue } from '../validation';

/** The prefix of every Amazon MQ broker log group. */
export const BROKER_LOG_GROUP_PREFIX = '/aws/amazonmq/broker/';

/**
 * Key-policy statements for the services that use the key on the broker's behalf: Amazon MQ (its
 * storage, when the engine lets it use a customer key) and CloudWatch Logs (the broker's log groups).
 * Secrets Manager's statement is added by the secrets themselves, and the log group handler's by the handler.
 *
 * An imported key's policy cannot be changed from here: the construct then warns, naming what the key policy
 * must already allow, instead of dropping the statements silently (without them the broker, its log groups or
 * the handler's log group fail to deploy, or logs are not encrypted).
 */
export function allowBrokerKeyUse(
  broker: IConstruct,
  key: kms.IKey,
  options: { readonly storage: boolean; readonly handlerLogGroupName: string },
): void {
  if (!Resource.isOwnedResource(key)) {
    warnImportedKey(broker, key, options);
    return;
  }
  if (options.storage) {
    key.addToResourcePolicy(amazonMqStatement(broker));
  }
  // The log groups' names hold the broker id, which exists only after the broker, and the broker needs
  // the key first: so the statement names the Amazon MQ log group prefix of this account and region.
  allowCloudWatchLogsToUseKey(key, `${BROKER_LOG_GROUP_PREFIX}*`, 'AllowCloudWatchLogsForAmazonMQ');
}

/**
 * The statement of the AWS-managed aws/mq key: principals of this account that may create a broker can let
 * Amazon MQ (and the EFS it stores messages on) use the key, through Amazon MQ only.
 */
function amazonMqStatement(broker: IConstruct): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AllowAmazonMQInThisAccount',
    principals: [new iam.AnyPrincipal()],
    actions: [
      'kms:Encrypt',
      'kms:Decrypt',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:CreateGrant',
      'kms:DescribeKey',
    ],
    resources: ['*'],
    conditions: {
      StringEquals: {
        'kms:CallerAccount': Stack.of(broker).account,
        'kms:ViaService': regionalServiceName(broker, 'mq'),
      },
    },
  });
}

function warnImportedKey(
  broker: IConstruct,
  key: kms.IKey,
  options: { readonly storage: boolean; readonly handlerLogGroupName: string },
): void {
  const logs = regionalServiceName(broker, 'logs');
  const needs = [
    ...(options.storage
      ? [
          `Amazon MQ (kms:ViaService ${regionalServiceName(broker, 'mq')}) for principals of this account, for the broker storage`,
        ]
      : []),
    `CloudWatch Logs (${logs}) for the log groups ${BROKER_LOG_GROUP_PREFIX}* and ${options.handlerLogGroupName}`,
    'principals of this account through Secrets Manager, for the user secrets',
  ];
  Annotations.of(broker).addWarningV2(
    'cdk-decoupling-patterns:importedBrokerKey',
    `encryptionKey ${describeValue(broker, key.keyArn)} is imported, so ${broker.node.path} cannot add to its ` +
      `policy; it must already allow ${needs.join('; ')}. Without that the broker, its log groups or its secrets fail to deploy.`,
  );
}
