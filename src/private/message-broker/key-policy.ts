import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { regionalServiceName } from '../aws-names';
import { allowCloudWatchLogsToUseKey } from '../key-policies';

/** The prefix of every Amazon MQ broker log group. */
export const BROKER_LOG_GROUP_PREFIX = '/aws/amazonmq/broker/';

/**
 * Key-policy statements for the services that use the key on the broker's behalf: Amazon MQ (its
 * storage, when the engine lets it use a customer key) and CloudWatch Logs (the broker's log groups).
 * Secrets Manager's statement is added by the secrets themselves. An imported key takes none.
 */
export function allowBrokerKeyUse(broker: IConstruct, key: kms.IKey, storage: boolean): void {
  if (storage) {
    // The statement of the AWS-managed aws/mq key: principals of this account that may create a broker
    // can let Amazon MQ (and the EFS it stores messages on) use the key, through Amazon MQ only.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
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
      }),
    );
  }
  // The log groups' names hold the broker id, which exists only after the broker, and the broker needs
  // the key first: so the statement names the Amazon MQ log group prefix of this account and region.
  allowCloudWatchLogsToUseKey(key, `${BROKER_LOG_GROUP_PREFIX}*`, 'AllowCloudWatchLogsForAmazonMQ');
}
