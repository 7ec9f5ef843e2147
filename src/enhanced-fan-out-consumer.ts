import { RemovalPolicy, Resource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct, IConstruct } from 'constructs';
import { checkConsumerCapacity, consumerNamespace, registerConsumer } from './private/encrypted-stream/consumers';
import { validateConsumerName } from './private/encrypted-stream/names';
import { blameFor } from './private/encrypted-stream/origin';
import {
  refuseDroppedKeyGrant,
  validateGrantee,
  validateReference,
  validateRemovalPolicyArgument,
} from './private/encrypted-stream/values';
import { grantWithKey } from './private/grants';
import { claimPhysicalName } from './private/physical-names';
import { invalidProp, methodArgument } from './private/validation';

/**
 * Properties of an EnhancedFanOutConsumer.
 */
export interface EnhancedFanOutConsumerProps {
  /**
   * The stream to read: any `kinesis.IStream`, an EncryptedStream or an imported one. When it has an
   * `encryptionKey`, readers are granted `kms:Decrypt` on it.
   */
  readonly stream: kinesis.IStream;

  /**
   * The consumer's name, unique within the stream: 1 to 128 letters, digits, `_`, `.` and `-`. A stream takes
   * at most 20 enhanced fan-out consumers (50 if it is an On-demand Advantage stream).
   */
  readonly consumerName: string;
}

/**
 * An enhanced fan-out consumer of a stream: its reader gets a dedicated 2 MB/s per shard,
 * pushed over `SubscribeToShard`, instead of sharing the shard's 2 MB/s with every other reader.
 * Created by `EncryptedStream.addConsumer`.
 *
 * An EnhancedFanOutConsumer is itself a `kinesis.IStreamConsumer`: pass it wherever one is expected,
 * for example to Lambda's `KinesisConsumerEventSource`.
 */
export class EnhancedFanOutConsumer extends Resource implements kinesis.IStreamConsumer {
  /** The stream consumer. */
  public readonly consumer: kinesis.StreamConsumer;

  /** The stream the consumer reads. */
  public readonly stream: kinesis.IStream;

  constructor(scope: Construct, id: string, props: EnhancedFanOutConsumerProps) {
    super(scope, id);
    const blame = blameFor(this);
    if (typeof props !== 'object' || props === null) {
      throw invalidProp(this, 'props', 'must give stream and consumerName', props);
    }
    validateReference(blame.scope, blame.prop('stream'), props.stream, 'streamArn', 'a kinesis.IStream');
    if (props.stream === undefined) {
      throw invalidProp(blame.scope, blame.prop('stream'), 'must be given (a kinesis.IStream)', props.stream);
    }
    validateConsumerName(blame.scope, blame.prop('consumerName'), props.consumerName);
    checkConsumerCapacity(blame.scope, blame.prop('consumerName'), props.stream, props.consumerName);
    // Kinesis: "For a given Kinesis data stream, each consumer must have a unique name" (RegisterStreamConsumer).
    claimPhysicalName(blame.scope, {
      kind: 'Kinesis stream consumer',
      name: props.consumerName,
      prop: blame.prop('consumerName'),
      uniqueIn: consumerNamespace(props.stream),
    });
    this.stream = props.stream;
    this.consumer = new kinesis.StreamConsumer(this, 'Resource', {
      streamConsumerName: props.consumerName,
      stream: this.stream,
    });
    registerConsumer(props.stream, this.consumer.node.defaultChild as IConstruct, this);
  }

  /** The ARN of the consumer, which `SubscribeToShard` takes. */
  public get streamConsumerArn(): string {
    return this.consumer.streamConsumerArn;
  }

  /** The name of the consumer. */
  public get streamConsumerName(): string {
    return this.consumer.streamConsumerName;
  }

  /** A reference to the consumer. */
  public get streamConsumerRef(): kinesis.StreamConsumerReference {
    return this.consumer.streamConsumerRef;
  }

  /**
   * Adds a statement to the consumer's resource policy.
   */
  public addToResourcePolicy(statement: iam.PolicyStatement): iam.AddToResourcePolicyResult {
    return this.consumer.addToResourcePolicy(statement);
  }

  /**
   * Lets the grantee read through this consumer, and nothing more: `kinesis:SubscribeToShard` and
   * `kinesis:DescribeStreamConsumer` on the consumer, `kinesis:ListShards` and
   * `kinesis:DescribeStreamSummary` on the stream, and `kms:Decrypt` on the stream's key. For a reader
   * of your own that calls `SubscribeToShard`; Lambda and the KCL need `grantRead`.
   */
  public grantConsume(grantee: iam.IGrantable): iam.Grant {
    const prop = methodArgument('grantConsume', 'grantee');
    validateGrantee(this, prop, grantee);
    const subscribe = this.grantSubscribe(grantee);
    const onStream = grantWithKey({
      grantee,
      actions: ['kinesis:ListShards', 'kinesis:DescribeStreamSummary'],
      resourceArns: [this.stream.streamArn],
      resource: this.stream,
      key: this.stream.encryptionKey,
      keyActions: ['kms:Decrypt'],
    });
    refuseDroppedKeyGrant(this, prop, grantee, onStream, this.stream.encryptionKey, ['kms:Decrypt']);
    return subscribe.combine(onStream);
  }

  /**
   * Lets the grantee read through this consumer as `kinesis.IStreamConsumer.grantRead` promises:
   * `kinesis:SubscribeToShard` and `kinesis:DescribeStreamConsumer` on the consumer, and the stream's
   * own `grantRead` (an EncryptedStream's is exact: shard-iterator reads and `kms:Decrypt`). Lambda's
   * `KinesisConsumerEventSource` and the KCL call it; they also read the stream's shards.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    validateGrantee(this, methodArgument('grantRead', 'grantee'), grantee);
    return this.grantSubscribe(grantee).combine(this.stream.grantRead(grantee));
  }

  /**
   * Lets the grantee perform the given actions on this consumer.
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    validateGrantee(this, methodArgument('grant', 'grantee'), grantee);
    return this.consumer.grant(grantee, ...actions);
  }

  /**
   * Applies the removal policy to the consumer.
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    validateRemovalPolicyArgument(
      this,
      methodArgument('applyRemovalPolicy', 'policy'),
      policy,
      'Kinesis stream consumers',
    );
    this.consumer.applyRemovalPolicy(policy);
  }

  private grantSubscribe(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ['kinesis:SubscribeToShard', 'kinesis:DescribeStreamConsumer'],
      resourceArns: [this.streamConsumerArn],
      resource: this,
    });
  }
}
