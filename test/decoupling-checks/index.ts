import { alarmTopicKeyUnusable } from './alarm-topic-key-unusable';
import { consumedQueueNoRedrive } from './consumed-queue-no-redrive';
import { CorpusCase } from './corpus';
import { dlqAlarmOnMessagesSent } from './dlq-alarm-on-messages-sent';
import { dlqNoAlarm } from './dlq-no-alarm';
import { dlqRetentionTooShort } from './dlq-retention-too-short';
import { dlqTypeMismatch } from './dlq-type-mismatch';
import { fifoMappingUnsupportedSetting } from './fifo-mapping-unsupported-setting';
import { fifoTopicToNonSqs } from './fifo-topic-to-non-sqs';
import { firehoseCannotDecryptSource } from './firehose-cannot-decrypt-source';
import { kinesisStreamUnencrypted } from './kinesis-stream-unencrypted';
import { lambdaMaxReceiveCountTooLow } from './lambda-max-receive-count-too-low';
import { mappingCannotDecryptSource } from './mapping-cannot-decrypt-source';
import { rawDeliveryUnsupportedProtocol } from './raw-delivery-unsupported-protocol';
import { scalingOnRawQueueDepth } from './scaling-on-raw-queue-depth';
import { snsLambdaNoInvokePermission } from './sns-lambda-no-invoke-permission';
import { snsQueueAwsManagedKey } from './sns-queue-aws-managed-key';
import { snsQueueKeyPolicy } from './sns-queue-key-policy';
import { snsQueueNoSendPermission } from './sns-queue-no-send-permission';
import { snsQueuePolicyNoSourceArn } from './sns-queue-policy-no-source-arn';
import { sqsMappingNoPartialBatchResponse } from './sqs-mapping-no-partial-batch-response';
import { standardTopicToFifoQueue } from './standard-topic-to-fifo-queue';
import { streamMappingInfiniteRetries } from './stream-mapping-infinite-retries';
import { tooManyEnhancedFanOutConsumers } from './too-many-enhanced-fan-out-consumers';
import { visibilityTimeoutTooShort } from './visibility-timeout-too-short';

export * from './corpus';

/** One case per rule, in the order of the rules. */
export const CORPUS: readonly CorpusCase[] = [
  snsQueueAwsManagedKey,
  snsQueueKeyPolicy,
  snsQueueNoSendPermission,
  snsQueuePolicyNoSourceArn,
  standardTopicToFifoQueue,
  fifoTopicToNonSqs,
  rawDeliveryUnsupportedProtocol,
  snsLambdaNoInvokePermission,
  alarmTopicKeyUnusable,
  dlqRetentionTooShort,
  dlqTypeMismatch,
  consumedQueueNoRedrive,
  dlqNoAlarm,
  dlqAlarmOnMessagesSent,
  visibilityTimeoutTooShort,
  sqsMappingNoPartialBatchResponse,
  streamMappingInfiniteRetries,
  fifoMappingUnsupportedSetting,
  mappingCannotDecryptSource,
  lambdaMaxReceiveCountTooLow,
  kinesisStreamUnencrypted,
  firehoseCannotDecryptSource,
  tooManyEnhancedFanOutConsumers,
  scalingOnRawQueueDepth,
];
