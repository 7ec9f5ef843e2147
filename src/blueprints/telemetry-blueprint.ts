import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EncryptedStream } from '../encrypted-stream';
import { EnhancedFanOutConsumer } from '../enhanced-fan-out-consumer';
import { StreamAnalytics, StreamAnalyticsCode, StreamAnalyticsRuntime } from '../stream-analytics';
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

  /**
   * The code of the per-truck counts application: the repository's example PyFlink application, built by
   * `examples/flink-truck-counts/build.sh` (`StreamAnalyticsCode.fromAsset` of its zip), or a zip with the
   * same layout (`main.py`, `lib/truck-counts-connectors.jar`) in a bucket.
   *
   * With it, the blueprint adds a StreamAnalytics application on Apache Flink 1.19 that reads the positions
   * through its own enhanced fan-out consumer and writes one count per truck and minute to a second
   * encrypted stream. The code is not part of the library's package (the connector JAR is about 63 MB).
   *
   * @default - no analytics application and no counts stream
   */
  readonly truckCountsCode?: StreamAnalyticsCode;
}

/**
 * Truck telemetry: 10,000 trucks report their position every few seconds into one stream
 * (partitioned by truck, so each truck's positions stay in order), a live map reads it through
 * its own enhanced fan-out consumer, and every position is archived to S3 within a minute,
 * date-partitioned and compressed. With `truckCountsCode`, a Flink SQL application counts each truck's
 * positions per minute into a second stream.
 */
export class TelemetryBlueprint extends Stack {
  /** The position stream. */
  public readonly positions: EncryptedStream;

  /** The live map's enhanced fan-out consumer. */
  public readonly liveMap: EnhancedFanOutConsumer;

  /** The archive: Firehose into S3. */
  public readonly archive: StreamToS3;

  /** The per-truck counts application, when `truckCountsCode` is given. */
  public readonly truckCounts?: StreamAnalytics;

  /** The stream the counts application writes to, when `truckCountsCode` is given. */
  public readonly truckCountsStream?: EncryptedStream;

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

    if (props.truckCountsCode !== undefined) {
      // One shard: 10,000 trucks give at most 10,000 rows a minute, far below a shard's 1,000 records a second.
      this.truckCountsStream = new EncryptedStream(this, 'TruckCountsStream', { shardCount: 1 });
      this.truckCounts = new StreamAnalytics(this, 'TruckCounts', {
        stream: this.positions,
        // Its own consumer, so that the counts never take read throughput from the live map or the archive.
        enhancedFanOutConsumer: this.positions.addConsumer('truck-counts'),
        code: props.truckCountsCode,
        // The example's Kinesis connector is the one for Flink 1.19 (examples/flink-truck-counts/pom.xml).
        runtime: StreamAnalyticsRuntime.FLINK_1_19,
        propertyGroups: {
          'kinesis.analytics.flink.run.options': { python: 'main.py', jarfile: 'lib/truck-counts-connectors.jar' },
          TruckCounts: { 'sink.stream.name': this.truckCountsStream.streamName },
        },
      });
      this.truckCountsStream.grantWrite(this.truckCounts);
      new CfnOutput(this, 'TruckCountsApplicationName', { value: this.truckCounts.applicationName });
      new CfnOutput(this, 'TruckCountsStreamName', { value: this.truckCountsStream.streamName });
    }

    new CfnOutput(this, 'StreamName', { value: this.positions.streamName });
    new CfnOutput(this, 'DeliveryStreamName', { value: this.archive.deliveryStreamName });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.positions.alarmTopic.topicArn });
  }
}
