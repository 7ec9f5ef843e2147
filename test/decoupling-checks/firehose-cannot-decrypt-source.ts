import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CorpusCase, corpusStack } from './corpus';

/**
 * A delivery stream in one stack reading a stream of another, encrypted with a customer-managed key
 * the import does not mention: the delivery role gets the Kinesis actions but not kms:Decrypt.
 */
export const firehoseCannotDecryptSource: CorpusCase = {
  rule: 'Decoupling-FirehoseCannotDecryptSource',
  mistake: 'the stream is imported without its key, so the delivery role may not decrypt it',
  build(app, fixed) {
    const producer = corpusStack(app, 'Producer');
    const key = new kms.Key(producer, 'Key', { enableKeyRotation: true });
    const stream = new kinesis.Stream(producer, 'Stream', {
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
    });

    const delivery = corpusStack(app, 'Delivery');
    const imported = kinesis.Stream.fromStreamAttributes(delivery, 'Stream', {
      streamArn: stream.streamArn,
      encryptionKey: fixed ? key : undefined,
    });
    const bucket = new s3.Bucket(delivery, 'Bucket', { enforceSSL: true });
    new firehose.DeliveryStream(delivery, 'DeliveryStream', {
      source: new firehose.KinesisStreamSource(imported),
      destination: new firehose.S3Bucket(bucket),
    });
  },
};
