import { Finding, Rule, RuleSource } from './rule';

/** Kinesis data streams: encryption, Firehose reading an encrypted stream, enhanced fan-out consumers. */

const KINESIS_SSE: RuleSource = {
  title:
    'Amazon Kinesis Data Streams Developer Guide: Data protection in Amazon Kinesis Data Streams (server-side encryption)',
  url: 'https://docs.aws.amazon.com/streams/latest/dev/what-is-sse.html',
};
const KINESIS_KMS_PERMISSIONS: RuleSource = {
  title:
    'Amazon Kinesis Data Streams Developer Guide: Permissions to use user-generated KMS keys (consumer permissions)',
  url: 'https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html',
};
const FIREHOSE_ACCESS: RuleSource = {
  title:
    'Amazon Data Firehose Developer Guide: Controlling access with Amazon Data Firehose (Kinesis data stream as source)',
  url: 'https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html',
};
const REGISTER_STREAM_CONSUMER: RuleSource = {
  title:
    'Amazon Kinesis Data Streams API Reference: RegisterStreamConsumer (20 consumers per stream, 50 on On-demand Advantage)',
  url: 'https://docs.aws.amazon.com/kinesis/latest/APIReference/API_RegisterStreamConsumer.html',
};

/** Enhanced fan-out consumers per provisioned or On-demand Standard stream (RegisterStreamConsumer). */
const MAX_CONSUMERS = 20;
/**
 * Per On-demand Advantage stream (RegisterStreamConsumer). On-demand Advantage is an account-level mode that
 * no template shows, so an on-demand stream is only known to be over its limit above this.
 */
const MAX_CONSUMERS_ON_DEMAND_ADVANTAGE = 50;

const kinesisStreamUnencrypted: Rule = {
  id: 'Decoupling-KinesisStreamUnencrypted',
  level: 'error',
  summary: 'A Kinesis data stream has no server-side encryption.',
  impact:
    'Every record is stored in plain text for the whole retention period (up to a year), readable by anyone who can read the stream, with no key policy in the way and no KMS audit trail.',
  fix: "Encrypt the stream with KMS: the AWS-managed key alias/aws/kinesis, or a customer-managed key (StreamEncryption: { EncryptionType: 'KMS', KeyId })",
  sources: [KINESIS_SSE],
  check: (facts) =>
    facts.app.resourcesOfType('AWS::Kinesis::Stream').flatMap((stream): Finding[] =>
      facts.streamKey(stream).kind === 'none'
        ? [
            {
              subject: stream,
              description: `${stream.path} is not encrypted: its records are stored in plain text for its whole retention period.`,
              locations: ['Properties/StreamEncryption'],
            },
          ]
        : [],
    ),
};

const firehoseCannotDecryptSource: Rule = {
  id: 'Decoupling-FirehoseCannotDecryptSource',
  level: 'error',
  summary:
    'A Firehose delivery stream reads a Kinesis stream encrypted with a customer-managed key that its delivery role may not use (kms:Decrypt).',
  impact:
    'Firehose cannot read a single record: nothing is delivered, the records wait in the stream until they expire, and the delivery stream only reports errors.',
  fix: "Grant the delivery role kms:Decrypt on the stream's key (stream.grantRead(role) does), or name the role in the key policy.",
  sources: [KINESIS_KMS_PERMISSIONS, FIREHOSE_ACCESS],
  check: (facts) =>
    facts.app.resourcesOfType('AWS::KinesisFirehose::DeliveryStream').flatMap((delivery): Finding[] => {
      const resolver = facts.resolver;
      const source = resolver.object(delivery.stack, delivery.properties.KinesisStreamSourceConfiguration);
      if (source === undefined || source === 'absent') {
        return [];
      }
      const stream = resolver.resolveResource(
        source.stack,
        source.value.KinesisStreamARN,
        ['AWS::Kinesis::Stream'],
        'arn',
      );
      const role = resolver.resolveResource(source.stack, source.value.RoleARN, ['AWS::IAM::Role'], 'arn');
      if (stream === undefined || role === undefined) {
        return [];
      }
      const key = facts.streamKey(stream);
      if (key.kind !== 'customer' || facts.roleMayUseKey(role, key.key, 'kms:Decrypt') !== 'no') {
        return [];
      }
      return [
        {
          subject: delivery,
          description: `${delivery.path} reads ${stream.path}, encrypted with ${key.key.path}, with the role ${role.path}, which may not call kms:Decrypt on that key: no record is ever delivered.`,
          locations: ['Properties/KinesisStreamSourceConfiguration/RoleARN'],
        },
      ];
    }),
};

const tooManyEnhancedFanOutConsumers: Rule = {
  id: 'Decoupling-TooManyEnhancedFanOutConsumers',
  level: 'error',
  summary:
    'More enhanced fan-out consumers are registered on a stream than Kinesis allows (20; 50 for On-demand Advantage streams).',
  impact: 'Kinesis refuses to register the consumers over the limit (LimitExceededException): the deployment fails.',
  fix: 'Keep to 20 consumers per stream (50 on On-demand Advantage); let further readers share a consumer or read with GetRecords, or split the stream.',
  sources: [REGISTER_STREAM_CONSUMER],
  check: (facts) => {
    const resolver = facts.resolver;
    const counts = new Map<(typeof streams)[number], number>();
    const streams = facts.app.resourcesOfType('AWS::Kinesis::Stream');
    for (const consumer of facts.app.resourcesOfType('AWS::Kinesis::StreamConsumer')) {
      const stream = resolver.resolveResource(
        consumer.stack,
        consumer.properties.StreamARN,
        ['AWS::Kinesis::Stream'],
        'arn',
      );
      if (stream !== undefined) {
        counts.set(stream, (counts.get(stream) ?? 0) + 1);
      }
    }
    const findings: Finding[] = [];
    for (const [stream, count] of counts) {
      const mode = resolver.property(stream, 'StreamModeDetails', 'StreamMode');
      const modeName =
        mode === 'absent'
          ? 'PROVISIONED'
          : mode === undefined
            ? undefined
            : resolver.literalString(mode.stack, mode.expression);
      if (modeName === undefined) {
        continue;
      }
      const limit = modeName === 'ON_DEMAND' ? MAX_CONSUMERS_ON_DEMAND_ADVANTAGE : MAX_CONSUMERS;
      if (count <= limit) {
        continue;
      }
      findings.push({
        subject: stream,
        description: `${stream.path} (${modeName === 'ON_DEMAND' ? 'on-demand' : 'provisioned'}) has ${count} enhanced fan-out consumers, over the ${limit} Kinesis allows: registering the others fails.`,
        locations: [],
      });
    }
    return findings;
  },
};

export const STREAM_RULES: readonly Rule[] = [
  kinesisStreamUnencrypted,
  firehoseCannotDecryptSource,
  tooManyEnhancedFanOutConsumers,
];
