import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EncryptedStream } from '../encrypted-stream';
import { EnhancedFanOutConsumer } from '../enhanced-fan-out-consumer';
import { StreamToS3 } from '../stream-to-s3';

/**
 * Properties of the telemetry blueprint.
 */
export interface TelemetryBlueprintProps extends StackProps {
  /**
   * How long positions stay readable in the stream, for replays.
   *
   * @default Duration.days(7)
   */
  readonly retentionPeriod?: Duration;
}

/**
 * Truck telemetry: 10,000 trucks report their position every few seconds into one stream
 * (partitioned by truck, so each truck's positions stay in order), a live map reads it through
 * its own enhanced fan-out consumer, and every position is archived to S3 within a minute,
 * date-partitioned and compressed.
 */
export class TelemetryBlueprint extends Stack {
  /** The position stream. */
  public readonly positions: EncryptedStream;

  /** The live map's enhanced fan-out consumer. */
  public readonly liveMap: EnhancedFanOutConsumer;

  /** The archive: Firehose into S3. */
  public readonly archive: StreamToS3;

  constructor(scope: Construct, id: string, props: TelemetryBlueprintProps = {}) {
    super(scope, id, props);

    this.positions = new EncryptedStream(this, 'Positions', {
      retentionPeriod: props.retentionPeriod ?? Duration.days(7),
    });
    this.liveMap = this.positions.addConsumer('live-map');
    this.archive = new StreamToS3(this, 'Archive', {
      stream: this.positions,
      bufferingInterval: Duration.seconds(60),
    });

    new CfnOutput(this, 'StreamName', { value: this.positions.streamName });
    new CfnOutput(this, 'DeliveryStreamName', { value: this.archive.deliveryStreamName });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.positions.alarmTopic.topicArn });
  }
}
