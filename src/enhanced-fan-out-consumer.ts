import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { invalidProp } from './private/validation';

/**
 * Properties of an EnhancedFanOutConsumer.
 */
export interface EnhancedFanOutConsumerProps {
  /** The stream to read. */
  readonly stream: kinesis.IStream;

  /**
   * The key the stream's records are encrypted with; readers are granted `kms:Decrypt` on it.
   *
   * @default - none: the stream uses the AWS-managed key, which needs no grant
   */
  readonly encryptionKey?: kms.IKey;

  /** The consumer's name, unique within the stream: 1 to 128 letters, digits, `_`, `.` and `-`. */
  readonly consumerName: string;
}

/**
 * An enhanced fan-out consumer of a stream: its reader gets a dedicated 2 MB/s per shard,
 * pushed over `SubscribeToShard`, instead of sharing the shard's 2 MB/s with every other reader.
 * Created by `EncryptedStream.addConsumer`.
 */
export class EnhancedFanOutConsumer extends Construct {
  /** The stream consumer. */
  public readonly consumer: kinesis.StreamConsumer;

  private readonly stream: kinesis.IStream;
  private readonly encryptionKey?: kms.IKey;

  constructor(scope: Construct, id: string, props: EnhancedFanOutConsumerProps) {
    super(scope, id);
    const name = props.consumerName;
    if (!Token.isUnresolved(name) && !/^[A-Za-z0-9_.-]{1,128}$/.test(name)) {
      throw invalidProp(
        this,
        'consumerName',
        'must be 1 to 128 letters, digits, hyphens, underscores and periods',
        name,
      );
    }
    this.stream = props.stream;
    this.encryptionKey = props.encryptionKey;
    this.consumer = new kinesis.StreamConsumer(this, 'Resource', {
      streamConsumerName: name,
      stream: this.stream,
    });
  }

  /** The ARN of the consumer, which `SubscribeToShard` takes. */
  public get consumerArn(): string {
    return this.consumer.streamConsumerArn;
  }

  /** The name of the consumer. */
  public get consumerName(): string {
    return this.consumer.streamConsumerName;
  }

  /**
   * Lets the grantee read through this consumer: `kinesis:SubscribeToShard` and
   * `kinesis:DescribeStreamConsumer` on the consumer, `kinesis:ListShards` and
   * `kinesis:DescribeStreamSummary` on the stream, and `kms:Decrypt` on the stream's key.
   */
  public grantConsume(grantee: iam.IGrantable): iam.Grant {
    const onConsumer = iam.Grant.addToPrincipal({
      grantee,
      actions: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
      resourceArns: [this.consumerArn],
    });
    const onStream = iam.Grant.addToPrincipal({
      grantee,
      actions: ['kinesis:ListShards', 'kinesis:DescribeStreamSummary'],
      resourceArns: [this.stream.streamArn],
    });
    const grant = onConsumer.combine(onStream);
    return this.encryptionKey ? grant.combine(this.encryptionKey.grant(grantee, 'kms:Decrypt')) : grant;
  }
}
