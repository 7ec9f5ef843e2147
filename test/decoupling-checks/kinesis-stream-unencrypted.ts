import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { CorpusCase, corpusStack } from './corpus';

/** A stream without server-side encryption. */
export const kinesisStreamUnencrypted: CorpusCase = {
  rule: 'Decoupling-KinesisStreamUnencrypted',
  mistake: 'the stream is created UNENCRYPTED',
  build(app, fixed) {
    const stack = corpusStack(app);
    new kinesis.Stream(stack, 'Stream', {
      encryption: fixed ? kinesis.StreamEncryption.MANAGED : kinesis.StreamEncryption.UNENCRYPTED,
    });
  },
};
