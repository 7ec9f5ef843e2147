import { RemovalPolicy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { invalidProp } from './validation';

const SUPPORTED = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];

/**
 * The removal policy a construct applies to every stateful resource it creates, `RETAIN` unless told
 * otherwise.
 *
 * `SNAPSHOT` is refused: CloudFormation takes snapshots only of resource types such as EBS volumes,
 * RDS and ElastiCache (DeletionPolicy attribute, "Snapshot"), and none of the types our constructs create
 * (queues, topics, keys, streams, buckets, log groups, tables, brokers, secrets) is one of them, so the
 * template would fail validation. A string that is not a RemovalPolicy at all (a JavaScript or jsii
 * caller can pass one) is refused too, instead of reaching the template.
 *
 * @param resourceTypes what the construct creates, for the message, e.g. "SQS queues and KMS keys"
 */
export function resolveRemovalPolicy(
  scope: IConstruct,
  removalPolicy: RemovalPolicy | undefined,
  resourceTypes: string,
): RemovalPolicy {
  if (removalPolicy === undefined) {
    return RemovalPolicy.RETAIN;
  }
  if (SUPPORTED.includes(removalPolicy)) {
    return removalPolicy;
  }
  const allowed = 'RemovalPolicy.RETAIN, RemovalPolicy.DESTROY or RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE';
  if (removalPolicy === RemovalPolicy.SNAPSHOT) {
    throw invalidProp(
      scope,
      'removalPolicy',
      `must be ${allowed}: CloudFormation cannot snapshot ${resourceTypes}`,
      'RemovalPolicy.SNAPSHOT',
    );
  }
  throw invalidProp(scope, 'removalPolicy', `must be ${allowed}`, removalPolicy);
}
