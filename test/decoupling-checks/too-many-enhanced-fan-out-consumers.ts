import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { CorpusCase, corpusStack } from './corpus';

/** A provisioned stream with 21 enhanced fan-out consumers. */
export const tooManyEnhancedFanOutConsumers: CorpusCase = {
  rule: 'Decoupling-TooManyEnhancedFanOutConsumers',
  mistake: 'a provisioned stream has 21 enhanced fan-out consumers, over the 20 Kinesis allows',
  build(app, fixed) {
    const stack = corpusStack(app);
    const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.MANAGED, shardCount: 2 });
    for (let i = 1; i <= (fixed ? 20 : 21); i++) {
      new kinesis.StreamConsumer(stack, `Consumer${i}`, { stream, streamConsumerName: `consumer-${i}` });
    }
  },
};
