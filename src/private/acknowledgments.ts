import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A compliance finding that no configuration can fix, with the reason a reviewer reads. Every
 * acknowledgment of the library is made through `acknowledge`, and the fixed ones are listed here,
 * so that the whole list can be read in one place.
 */
export interface Acknowledgment {
  /** The rule ids (granular ids included, e.g. `AwsSolutions-IAM5[Resource::*]`). */
  readonly ruleIds: string[];
  /** Why no setting satisfies the rule. */
  readonly reason: string;
}

/** Acknowledges the finding on `scope` (and what is below it) only. */
export function acknowledge(scope: IConstruct, acknowledgment: Acknowledgment): void {
  for (const id of acknowledgment.ruleIds) {
    try {
      Validations.of(scope).acknowledge({ id, reason: acknowledgment.reason });
    } catch (error) {
      // aws-cdk-lib 2.258 to 2.268 rejects an id with more than one '::' («InvalidValidationId»), and cdk-nag
      // writes a granular id with a token in it that way: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:…]`.
      // Those versions record an id they take unchanged, as the construct's `aws:cdk:acknowledged-rules`
      // metadata, which is what matches a finding: the granular id is recorded the same way, through the
      // same (internal) method, so that it acknowledges exactly that finding. Later versions take the id.
      const validations = Validations.of(scope) as unknown as {
        recordAcknowledgment?: (id: string, reason: string) => void;
      };
      if (
        !String((error as Error)?.message).includes('Invalid validation rule ID') ||
        typeof validations.recordAcknowledgment !== 'function'
      ) {
        throw error;
      }
      validations.recordAcknowledgment(id, acknowledgment.reason);
    }
  }
}

const REPLICATION_PACKS = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'];

/** The acknowledgments shared by several constructs, or worth reading side by side. */
export const ACKNOWLEDGMENTS = {
  deadLetterQueueWithoutDeadLetterQueue: {
    ruleIds: ['Serverless-SQSRedrivePolicy'],
    reason:
      'This is a dead-letter queue. A redrive policy on it would need a third queue, and that one another, without end.',
  },
  firehoseWithKinesisSource: {
    ruleIds: ['AwsSolutions-KDF1'],
    reason:
      'Firehose does not allow server-side encryption of a delivery stream whose source is a Kinesis data stream; the records are encrypted by the stream, and the objects by the bucket key.',
  },
  streamWithCustomerManagedKey: {
    ruleIds: ['AwsSolutions-KDS3'],
    reason:
      'A customer-managed key is chosen on purpose: its policy, rotation and cross-account use are under your control, which the AWS-managed alias/aws/kinesis key does not allow.',
  },
  bucketWithoutReplication: {
    ruleIds: REPLICATION_PACKS.map((pack) => `${pack}-S3BucketReplicationEnabled`),
    reason:
      'Replication needs a second bucket, usually in another Region, which this construct does not create; pass a bucket of your own that replicates if you need it.',
  },
  amazonMqUserSecret: {
    ruleIds: [
      'AwsSolutions-SMG4',
      'NIST.800.53.R5-SecretsManagerRotationEnabled',
      'HIPAA.Security-SecretsManagerRotationEnabled',
    ],
    reason:
      'Amazon MQ has no hosted rotation for broker user passwords: a rotated secret would no longer match the password the broker holds. ' +
      'The password changes by updating the broker with a new secret value, which rotation cannot do.',
  },
  sqsEventSourceMappingWithoutDestination: {
    ruleIds: ['Serverless-LambdaEventSourceMappingDestination'],
    reason:
      'An event source mapping whose source is an SQS queue takes no on-failure destination (CloudFormation and Lambda accept ' +
      'DestinationConfig for stream and Kafka sources only). A message the function keeps failing moves to the queue’s own ' +
      'dead-letter queue instead, which the construct requires of every queue whose redrive policy it can see.',
  },
  lambdaWildcardServiceActions: {
    ruleIds: ['AwsSolutions-IAM5[Resource::*]'],
    reason:
      'Only actions that take no resource, or whose resources only Lambda knows, are allowed on "*": X-Ray tracing ' +
      '(xray:PutTraceSegments, xray:PutTelemetryRecords take no resource, Service Authorization Reference for AWS X-Ray) and, ' +
      "for a function in a VPC, the network interface actions of Lambda's documented AWSLambdaVPCAccessExecutionRole " +
      '(ec2:DescribeNetworkInterfaces works only on "*"; the interfaces are created by Lambda, their ids unknown in advance; ' +
      'Lambda Developer Guide, "Giving Lambda functions access to resources in an Amazon VPC").',
  },
  lambdaOutsideVpcWithoutEgress: {
    ruleIds: ['NIST.800.53.R5-LambdaInsideVPC', 'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC'],
    reason:
      'The function only calls AWS APIs (CloudWatch Logs, and the pre-signed S3 URL CloudFormation awaits a custom ' +
      'resource answer on) and reaches nothing in the VPC. The VPC it would go into has no subnets with a route out ' +
      '(no PRIVATE_WITH_EGRESS subnets), so there it could reach neither and the deployment would hang until the ' +
      'custom resource times out; in a VPC with such subnets the construct places it there instead.',
  },
} satisfies Record<string, Acknowledgment>;

/**
 * The acknowledgment of an `AwsSolutions-IAM5` finding for exactly one wildcard resource, named as cdk-nag
 * names it (its granular id), so that no other wildcard is covered.
 *
 * @param resource the resource as it stands in the policy (a string with tokens is resolved first)
 */
export function wildcardResource(scope: IConstruct, resource: string, reason: string): Acknowledgment {
  return { ruleIds: [`AwsSolutions-IAM5[Resource::${nagName(Stack.of(scope).resolve(resource))}]`], reason };
}

/**
 * A resolved CloudFormation value as cdk-nag writes it into a granular finding id: `Fn::Join` and
 * `Fn::Sub` flattened, `Ref` as `<Name>`, `Fn::GetAtt` as `<Name.Attribute>`, `${...}` as `<...>`.
 */
export function nagName(value: unknown): string {
  if (typeof value === 'string') {
    return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  if (value !== null && typeof value === 'object') {
    const intrinsic = value as Record<string, any>;
    if (intrinsic['Fn::Join']) {
      const [delimiter, items] = intrinsic['Fn::Join'] as [string, unknown[]];
      return items.map(nagName).join(delimiter);
    }
    if (intrinsic['Fn::Sub']) {
      return nagName(intrinsic['Fn::Sub']);
    }
    if (intrinsic['Fn::GetAtt']) {
      const [resource, attribute] = intrinsic['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagName(resource)}.${nagName(attribute)}>`;
    }
    if (intrinsic['Fn::ImportValue']) {
      return nagName(intrinsic['Fn::ImportValue']);
    }
    if (intrinsic.Ref !== undefined) {
      return `<${nagName(intrinsic.Ref)}>`;
    }
  }
  return JSON.stringify(value);
}
