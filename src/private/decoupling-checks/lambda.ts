import { Facts, MappingFacts } from './facts';
import { Finding, Rule, RuleSource } from './rule';
import { literalOfParts } from './values';

/** Lambda event source mappings on queues and streams. */

const LAMBDA_SQS_CONFIGURE: RuleSource = {
  title: 'AWS Lambda Developer Guide: Creating and configuring an Amazon SQS event source mapping (visibility timeout)',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html',
};
const LAMBDA_SQS_ERRORS: RuleSource = {
  title:
    'AWS Lambda Developer Guide: Handling errors for an SQS event source in Lambda (implementing partial batch responses)',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html',
};
const LAMBDA_KINESIS_ERRORS: RuleSource = {
  title: 'AWS Lambda Developer Guide: Retain discarded batch records for a Kinesis Data Streams event source in Lambda',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html',
};
const LAMBDA_DYNAMODB_ERRORS: RuleSource = {
  title: 'AWS Lambda Developer Guide: Error handling for DynamoDB event source mappings',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html',
};
const LAMBDA_SQS_PARAMETERS: RuleSource = {
  title: 'AWS Lambda Developer Guide: Lambda parameters for Amazon SQS event source mappings',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html',
};
const KINESIS_KMS_PERMISSIONS: RuleSource = {
  title:
    'Amazon Kinesis Data Streams Developer Guide: Permissions to use user-generated KMS keys (consumer permissions)',
  url: 'https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html',
};
const SQS_KEY_MANAGEMENT: RuleSource = {
  title: 'Amazon SQS Developer Guide: Amazon SQS key management',
  url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html',
};
const LAMBDA_RETRYING_VALID_MESSAGES: RuleSource = {
  title:
    'AWS Knowledge Center: Why is my Lambda function retrying valid Amazon SQS messages and placing them in my dead-letter queue? (set maxReceiveCount to at least 5)',
  url: 'https://repost.aws/knowledge-center/lambda-retrying-valid-sqs-messages',
};

/** Lambda asks for at least six times the function timeout (Lambda Developer Guide, services-sqs-configure). */
const VISIBILITY_TIMEOUT_FACTOR = 6;
/** SQS event source mappings read 10 messages per batch unless told otherwise (services-sqs-parameters). */
const SQS_DEFAULT_BATCH_SIZE = 10;
/** The most a FIFO queue's mapping may read per batch (services-sqs-parameters). */
const FIFO_MAX_BATCH_SIZE = 10;
/** The smallest maxReceiveCount AWS recommends for a queue Lambda reads (Knowledge Center). */
const LAMBDA_MIN_MAX_RECEIVE_COUNT = 5;

const visibilityTimeoutTooShort: Rule = {
  id: 'Decoupling-VisibilityTimeoutTooShort',
  level: 'error',
  summary: "An SQS queue read by a Lambda function has a visibility timeout under six times the function's timeout.",
  impact:
    "While a batch is being processed (and retried when the function is throttled) its messages become visible again and another invocation takes them: each message is processed twice or more, and failing ones reach the dead-letter queue early. A timeout below the function's is refused by Lambda at deployment.",
  fix: "Set the queue's visibility timeout to at least six times the function's timeout (or shorten the function's timeout).",
  sources: [LAMBDA_SQS_CONFIGURE],
  check: (facts) =>
    facts.mappings.flatMap((m): Finding[] => {
      if (m.source !== 'sqs' || m.queue === undefined || m.function === undefined) {
        return [];
      }
      const visibility = facts.visibilityTimeoutSeconds(m.queue);
      const timeout = facts.functionTimeoutSeconds(m.function);
      if (visibility === undefined || timeout === undefined || visibility >= VISIBILITY_TIMEOUT_FACTOR * timeout) {
        return [];
      }
      return [
        {
          subject: m.mapping,
          description: `${m.mapping.path} has ${m.function.path} (timeout ${timeout} s) read ${m.queue.path}, whose visibility timeout is ${visibility} s, under ${VISIBILITY_TIMEOUT_FACTOR} × ${timeout} = ${VISIBILITY_TIMEOUT_FACTOR * timeout} s: messages reappear while they are processed and are processed again.`,
          locations: ['Properties/EventSourceArn'],
        },
      ];
    }),
};

function functionResponseTypes(facts: Facts, m: MappingFacts): string[] | undefined {
  const expression = m.mapping.properties.FunctionResponseTypes;
  if (expression === undefined) {
    return [];
  }
  const value = facts.resolver.evaluate(m.mapping.stack, expression);
  if (value.kind !== 'list') {
    return undefined;
  }
  const result: string[] = [];
  for (const item of value.items) {
    const text = item.kind === 'string' ? literalOfParts(item.parts) : undefined;
    if (text === undefined) {
      return undefined;
    }
    result.push(text);
  }
  return result;
}

const sqsMappingNoPartialBatchResponse: Rule = {
  id: 'Decoupling-SqsMappingNoPartialBatchResponse',
  level: 'warning',
  summary:
    'An SQS event source mapping that reads batches of more than one message does not report batch item failures.',
  impact:
    'When one message of a batch fails, the whole batch returns to the queue: the messages that succeeded are processed again, and one poison message drags its batch-mates towards the dead-letter queue.',
  fix: "Set FunctionResponseTypes to ['ReportBatchItemFailures'] (reportBatchItemFailures: true on SqsEventSource) and return the failed message ids from the function.",
  sources: [LAMBDA_SQS_ERRORS],
  check: (facts) =>
    facts.mappings.flatMap((m): Finding[] => {
      if (m.source !== 'sqs') {
        return [];
      }
      const batchExpression = m.mapping.properties.BatchSize;
      const batchSize =
        batchExpression === undefined
          ? SQS_DEFAULT_BATCH_SIZE
          : facts.resolver.literalNumber(m.mapping.stack, batchExpression);
      if (batchSize === undefined || batchSize <= 1) {
        return [];
      }
      const types = functionResponseTypes(facts, m);
      if (types === undefined || types.includes('ReportBatchItemFailures')) {
        return [];
      }
      return [
        {
          subject: m.mapping,
          description: `${m.mapping.path} reads batches of up to ${batchSize} messages from ${m.queue?.path ?? 'its queue'} without ReportBatchItemFailures: one failing message returns its whole batch to the queue.`,
          locations: ['Properties/FunctionResponseTypes'],
        },
      ];
    }),
};

/** Whether a stream mapping's setting is "infinite": absent or -1. */
function infinite(facts: Facts, m: MappingFacts, property: string): boolean | undefined {
  const expression = m.mapping.properties[property];
  if (expression === undefined) {
    return true;
  }
  const value = facts.resolver.literalNumber(m.mapping.stack, expression);
  return value === undefined ? undefined : value === -1;
}

const streamMappingInfiniteRetries: Rule = {
  id: 'Decoupling-StreamMappingInfiniteRetries',
  level: 'error',
  summary:
    'A Kinesis or DynamoDB-stream event source mapping retries forever (MaximumRetryAttempts and MaximumRecordAgeInSeconds absent or -1) and has no on-failure destination.',
  impact:
    'One record the function cannot process is retried until it expires from the stream (a day to a year later): its shard stops, the iterator age grows, and the record is then discarded without trace.',
  fix: 'Set MaximumRetryAttempts (and BisectBatchOnFunctionError, MaximumRecordAgeInSeconds) to a bounded value, and an on-failure destination (an SQS queue or SNS topic) that keeps what was discarded.',
  sources: [LAMBDA_KINESIS_ERRORS, LAMBDA_DYNAMODB_ERRORS],
  check: (facts) =>
    facts.mappings.flatMap((m): Finding[] => {
      if (m.source !== 'kinesis' && m.source !== 'dynamodb') {
        return [];
      }
      if (
        infinite(facts, m, 'MaximumRetryAttempts') !== true ||
        infinite(facts, m, 'MaximumRecordAgeInSeconds') !== true
      ) {
        return [];
      }
      const destination = facts.resolver.property(m.mapping, 'DestinationConfig', 'OnFailure', 'Destination');
      if (destination !== 'absent') {
        return [];
      }
      const source = m.stream?.path ?? (m.source === 'kinesis' ? 'its Kinesis stream' : 'its DynamoDB stream');
      return [
        {
          subject: m.mapping,
          description: `${m.mapping.path} retries failed batches of ${source} forever and has no on-failure destination: one bad record stops its shard until the record expires, and is then dropped.`,
          locations: ['Properties/MaximumRetryAttempts', 'Properties/DestinationConfig'],
        },
      ];
    }),
};

const fifoMappingUnsupportedSetting: Rule = {
  id: 'Decoupling-FifoMappingUnsupportedSetting',
  level: 'error',
  summary: 'An event source mapping on a FIFO queue sets a batching window, or a batch size over 10.',
  impact:
    'Lambda does not support a batching window, nor batches over 10 messages, on FIFO queues: it rejects the mapping and the deployment fails.',
  fix: 'Remove MaximumBatchingWindowInSeconds and keep BatchSize at 10 or less for a FIFO queue.',
  sources: [LAMBDA_SQS_PARAMETERS],
  check: (facts) =>
    facts.mappings.flatMap((m): Finding[] => {
      if (m.source !== 'sqs' || m.queueFifo !== true) {
        return [];
      }
      const { stack, properties } = m.mapping;
      const problems: string[] = [];
      const locations: string[] = [];
      const window =
        properties.MaximumBatchingWindowInSeconds === undefined
          ? 0
          : facts.resolver.literalNumber(stack, properties.MaximumBatchingWindowInSeconds);
      if (window !== undefined && window > 0) {
        problems.push(`a batching window of ${window} s`);
        locations.push('Properties/MaximumBatchingWindowInSeconds');
      }
      const batchSize =
        properties.BatchSize === undefined ? undefined : facts.resolver.literalNumber(stack, properties.BatchSize);
      if (batchSize !== undefined && batchSize > FIFO_MAX_BATCH_SIZE) {
        problems.push(`a batch size of ${batchSize}`);
        locations.push('Properties/BatchSize');
      }
      if (problems.length === 0) {
        return [];
      }
      return [
        {
          subject: m.mapping,
          description: `${m.mapping.path} reads the FIFO queue ${m.queue?.path ?? 'of its EventSourceArn'} with ${problems.join(' and ')}: Lambda allows neither on FIFO queues and rejects the mapping.`,
          locations,
        },
      ];
    }),
};

const mappingCannotDecryptSource: Rule = {
  id: 'Decoupling-MappingCannotDecryptSource',
  level: 'error',
  summary:
    'A Lambda function reads a queue or stream encrypted with a customer-managed key that its execution role may not use (kms:Decrypt).',
  impact:
    'Every poll fails with KMS access denied: the event source mapping never delivers a message or record, the backlog grows until it expires, and Lambda eventually disables the mapping.',
  fix: "Grant the function's role kms:Decrypt on the key (queue.grantConsumeMessages(fn) / stream.grantRead(fn) do), or name the role in the key policy.",
  sources: [SQS_KEY_MANAGEMENT, KINESIS_KMS_PERMISSIONS],
  check: (facts) =>
    facts.mappings.flatMap((m): Finding[] => {
      if (m.function === undefined) {
        return [];
      }
      const source = m.source === 'sqs' ? m.queue : m.source === 'kinesis' ? m.stream : undefined;
      if (source === undefined) {
        return [];
      }
      const key = m.source === 'sqs' ? facts.queueKey(source) : facts.streamKey(source);
      const role = facts.functionRole(m.function);
      if (key.kind !== 'customer' || role === undefined || facts.roleMayUseKey(role, key.key, 'kms:Decrypt') !== 'no') {
        return [];
      }
      return [
        {
          subject: m.mapping,
          description: `${m.mapping.path} has ${m.function.path} read ${source.path}, encrypted with ${key.key.path}, but the function's role ${role.path} may not call kms:Decrypt on that key: no message or record ever reaches the function.`,
          locations: ['Properties/EventSourceArn'],
        },
      ];
    }),
};

const lambdaMaxReceiveCountTooLow: Rule = {
  id: 'Decoupling-LambdaMaxReceiveCountTooLow',
  level: 'warning',
  summary: 'A queue read by a Lambda function moves messages to its dead-letter queue after fewer than 5 receives.',
  impact:
    'Lambda receives messages it then cannot process when the function is throttled; each such receive counts. With a low maxReceiveCount valid messages end up in the dead-letter queue without ever having been processed.',
  fix: "Set the source queue's maxReceiveCount to at least 5.",
  sources: [LAMBDA_RETRYING_VALID_MESSAGES, LAMBDA_SQS_ERRORS],
  check: (facts) => {
    const findings: Finding[] = [];
    const seen = new Set<unknown>();
    for (const m of facts.mappings) {
      if (m.source !== 'sqs' || m.queue === undefined || seen.has(m.queue)) {
        continue;
      }
      seen.add(m.queue);
      const redrive = facts.redriveOf(m.queue);
      if (redrive === undefined || redrive === 'absent' || redrive.maxReceiveCount === undefined) {
        continue;
      }
      if (redrive.maxReceiveCount < LAMBDA_MIN_MAX_RECEIVE_COUNT) {
        findings.push({
          subject: m.queue,
          description: `${m.queue.path} is read by ${m.mapping.path} and moves a message to its dead-letter queue after ${redrive.maxReceiveCount} receive(s): throttled receives count too, so valid messages are set aside unprocessed.`,
          locations: ['Properties/RedrivePolicy'],
        });
      }
    }
    return findings;
  },
};

export const LAMBDA_RULES: readonly Rule[] = [
  visibilityTimeoutTooShort,
  sqsMappingNoPartialBatchResponse,
  streamMappingInfiniteRetries,
  fifoMappingUnsupportedSetting,
  mappingCannotDecryptSource,
  lambdaMaxReceiveCountTooLow,
];
