import { DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { UnresolvableError } from '../resolve-intrinsics';
import { LocalAws } from './runner';

/**
 * `Fn::GetAtt` for a resource that exists in moto, computed from its physical id (what `Ref`
 * returns) and, where the value is not derivable, looked up through the service API.
 */
export async function lookupAttribute(
  local: LocalAws,
  type: string,
  physicalId: string,
  attribute: string,
): Promise<unknown> {
  const { region, account } = local;
  const lastSegment = (text: string, separator: string) => text.slice(text.lastIndexOf(separator) + 1);
  switch (`${type}.${attribute}`) {
    case 'AWS::SQS::Queue.Arn': {
      const res = await local
        .sqs()
        .send(new GetQueueAttributesCommand({ QueueUrl: physicalId, AttributeNames: ['QueueArn'] }));
      return res.Attributes?.QueueArn;
    }
    case 'AWS::SQS::Queue.QueueName':
      return lastSegment(physicalId, '/');
    case 'AWS::SQS::Queue.QueueUrl':
      return physicalId;
    case 'AWS::SNS::Topic.TopicArn':
      return physicalId;
    case 'AWS::SNS::Topic.TopicName':
      return lastSegment(physicalId, ':');
    case 'AWS::KMS::Key.Arn':
      // Not DescribeKey: moto answers it with HTTP 500 until the key policy has been re-put as a string.
      return physicalId.startsWith('arn:') ? physicalId : `arn:aws:kms:${region}:${account}:key/${physicalId}`;
    case 'AWS::KMS::Key.KeyId':
      return lastSegment(physicalId, '/');
    case 'AWS::S3::Bucket.Arn':
      return `arn:aws:s3:::${physicalId}`;
    case 'AWS::S3::Bucket.DomainName':
      return `${physicalId}.s3.amazonaws.com`;
    case 'AWS::S3::Bucket.RegionalDomainName':
      return `${physicalId}.s3.${region}.amazonaws.com`;
    case 'AWS::S3::Bucket.DualStackDomainName':
      return `${physicalId}.s3.dualstack.${region}.amazonaws.com`;
    case 'AWS::S3::Bucket.WebsiteURL':
      return `http://${physicalId}.s3-website-${region}.amazonaws.com`;
    case 'AWS::IAM::Role.Arn':
    case 'AWS::IAM::Role.RoleId': {
      const { Role } = await local.iam().send(new GetRoleCommand({ RoleName: physicalId }));
      return attribute === 'Arn' ? Role?.Arn : Role?.RoleId;
    }
    case 'AWS::Kinesis::Stream.Arn': {
      const res = await local.kinesis().send(new DescribeStreamSummaryCommand({ StreamName: physicalId }));
      return res.StreamDescriptionSummary?.StreamARN;
    }
    case 'AWS::KinesisFirehose::DeliveryStream.Arn': {
      const res = await local.firehose().send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: physicalId }));
      return res.DeliveryStreamDescription?.DeliveryStreamARN;
    }
    case 'AWS::Logs::LogGroup.Arn':
      return `arn:aws:logs:${region}:${account}:log-group:${physicalId}:*`;
    default:
      if (attribute === 'Arn' && physicalId.startsWith('arn:')) {
        return physicalId;
      }
      throw new UnresolvableError(`Fn::GetAtt ${attribute} of ${type} is not supported by the local-aws resolver`);
  }
}
