import { createHash } from 'node:crypto';
import {
  CreateDeliveryStreamCommand,
  CreateDeliveryStreamCommandInput,
  DeleteDeliveryStreamCommand,
} from '@aws-sdk/client-firehose';
import { DeregisterStreamConsumerCommand, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import { PutKeyPolicyCommand } from '@aws-sdk/client-kms';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { SetTopicAttributesCommand, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { Identity } from './prepare-template';
import { LocalAws } from './runner';

/**
 * Resource types moto's CloudFormation skips (or creates wrongly) that local-aws does NOT re-create,
 * with the reason. Each deploy reports the resources of these types under `gaps.unfilled`; assert
 * what they configure on the synthesized template instead (Template.fromStack, cdk-nag, IAM simulation).
 */
export const UNFILLED_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  'AWS::CDK::Metadata': 'CDK version-reporting record; it has no behaviour.',
  'AWS::CloudWatch::Alarm':
    'moto never evaluates alarms (no metrics are emitted for SQS/SNS/Kinesis), so a re-created alarm would prove nothing; assert alarms on the template.',
  'AWS::AutoScaling::ScalingPolicy':
    'moto does not run scaling (no alarms fire, no capacity changes); assert it on the template.',
  'AWS::ApplicationAutoScaling::ScalableTarget':
    'moto does not run application auto scaling; assert it on the template.',
  'AWS::ApplicationAutoScaling::ScalingPolicy':
    'moto does not run application auto scaling; assert it on the template.',
  'AWS::AmazonMQ::Broker':
    'moto runs no message broker (its mq API only stores a record), so there is nothing to connect to.',
  'AWS::AmazonMQ::Configuration': 'moto runs no message broker; the configuration would have no effect.',
  'AWS::SecretsManager::Secret':
    'Re-creating it would mean modelling GenerateSecretString, and its consumers here (broker users) do not run in moto.',
  'AWS::SecretsManager::SecretTargetAttachment': 'moto runs no broker or database to attach a secret to.',
  'AWS::EC2::SecurityGroupEgress': 'moto does not enforce security groups (there is no network path to filter).',
  'AWS::EC2::SecurityGroupIngress':
    "moto's CloudFormation adds the rule to the group (DescribeSecurityGroups shows it) but reports no physical id for it, and moto does not enforce security groups (there is no network path to filter); assert the rule on the template.",
  // Custom resources are left out of the template given to moto, with the provider only they use
  // (prepareTemplateForMoto); a Custom:: type without an entry here gets CUSTOM_RESOURCE_REASON.
  'Custom::VpcRestrictDefaultSG':
    "aws-cdk-lib's Lambda-backed custom resource that removes the rules of the VPC's default security group; moto cannot run Lambda here, so it is left out (with its provider) and the default security group keeps the rules moto gives it (all outbound) locally. The template (asserted in tests) closes it in AWS.",
  'AWS::CloudFormation::CustomResource':
    'A custom resource: moto has no model for this type, and the Lambda function behind it could not run here anyway, so it is left out (with a provider only it uses); what it does happens only in AWS. Assert its properties on the template.',
  'AWS::Logs::LogStream':
    "A Firehose delivery stream's error-log target; moto's Firehose never logs, so it would stay empty (CloudWatchLoggingOptions that name it are dropped).",
};

/** What a filler gets besides the resolved properties. */
export interface FillContext {
  readonly local: LocalAws;
  readonly stackName: string;
  readonly logicalId: string;
  /** The physical id moto gave the resource, if it created it (AWS::KMS::Key). */
  readonly physicalId?: string;
}

export interface FillResult {
  /** What was done, for the gap report. */
  readonly action: string;
  /** The physical id CloudFormation would have reported (what `Ref` returns), when there is one. */
  readonly physicalId?: string;
  /** Removes what was created outside the stack, so `destroy()` leaves nothing behind. */
  readonly undo?: () => Promise<void>;
}

/** What a filler knows before the deploy: the template's own (unresolved) properties. */
export interface PredictInput {
  readonly logicalId: string;
  readonly stackName: string;
  readonly props: Record<string, unknown>;
  readonly region: string;
  readonly account: string;
}

/** Re-creates one resource type from its resolved CloudFormation properties. */
export interface GapFiller {
  /** A failure is reported, not thrown (the filler cannot reproduce every configuration). */
  readonly bestEffort: boolean;
  /** moto creates the resource, only incompletely; the filler patches it. */
  readonly motoCreatesIt?: boolean;
  /**
   * Property names (at any depth) that are left out, and the omission reported, when they refer to
   * something that does not exist in moto, instead of failing the whole resource.
   */
  readonly optionalProperties?: string[];
  fill(props: Record<string, unknown>, ctx: FillContext): Promise<FillResult>;
  /** The identity `fill` will give the resource, when it can be known before the deploy. */
  predict?(input: PredictInput): Identity | undefined;
}

/** Fillers by resource type. The properties are the template's, with intrinsics resolved. */
export const GAP_FILLERS: Readonly<Record<string, GapFiller>> = {
  'AWS::SQS::QueuePolicy': {
    bestEffort: false,
    async fill(props, { local }) {
      const queues = asList(props.Queues);
      for (const queueUrl of queues) {
        await local
          .sqs()
          .send(
            new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: toJson(props.PolicyDocument) } }),
          );
      }
      return { action: `SetQueueAttributes(Policy) on ${queues.join(', ')}` };
    },
  },
  'AWS::SQS::QueueInlinePolicy': {
    bestEffort: false,
    async fill(props, { local }) {
      const queueUrl = String(props.Queue);
      await local
        .sqs()
        .send(
          new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: { Policy: toJson(props.PolicyDocument) } }),
        );
      return { action: `SetQueueAttributes(Policy) on ${queueUrl}` };
    },
  },
  'AWS::SNS::TopicPolicy': {
    bestEffort: false,
    async fill(props, { local }) {
      const topics = asList(props.Topics);
      for (const topicArn of topics) {
        await local.sns().send(
          new SetTopicAttributesCommand({
            TopicArn: topicArn,
            AttributeName: 'Policy',
            AttributeValue: toJson(props.PolicyDocument),
          }),
        );
      }
      return { action: `SetTopicAttributes(Policy) on ${topics.join(', ')}` };
    },
  },
  'AWS::SNS::TopicInlinePolicy': {
    bestEffort: false,
    async fill(props, { local }) {
      const topicArn = String(props.TopicArn);
      await local.sns().send(
        new SetTopicAttributesCommand({
          TopicArn: topicArn,
          AttributeName: 'Policy',
          AttributeValue: toJson(props.PolicyDocument),
        }),
      );
      return { action: `SetTopicAttributes(Policy) on ${topicArn}` };
    },
  },
  'AWS::SNS::Subscription': {
    bestEffort: false,
    async fill(props, { local }) {
      // CloudFormation property names double as SNS subscription attribute names.
      const attributeProps = [
        'RawMessageDelivery',
        'FilterPolicy',
        'FilterPolicyScope',
        'RedrivePolicy',
        'DeliveryPolicy',
        'SubscriptionRoleArn',
        'ReplayPolicy',
      ];
      const attributes: Record<string, string> = {};
      for (const name of attributeProps) {
        if (props[name] !== undefined) {
          attributes[name] = typeof props[name] === 'string' ? (props[name] as string) : toJson(props[name]);
        }
      }
      const res = await local.sns().send(
        new SubscribeCommand({
          TopicArn: String(props.TopicArn),
          Protocol: String(props.Protocol),
          Endpoint: props.Endpoint === undefined ? undefined : String(props.Endpoint),
          Attributes: attributes,
          ReturnSubscriptionArn: true,
        }),
      );
      const subscriptionArn = res.SubscriptionArn!;
      const shown = Object.keys(attributes).length ? ` with ${Object.keys(attributes).join(', ')}` : '';
      return {
        action: `Subscribe ${props.Protocol} ${props.Endpoint} to ${props.TopicArn}${shown}`,
        physicalId: subscriptionArn,
        undo: async () => {
          await local.sns().send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
        },
      };
    },
  },
  'AWS::S3::BucketPolicy': {
    bestEffort: false,
    async fill(props, { local }) {
      const bucket = String(props.Bucket);
      await local.s3().send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: toJson(props.PolicyDocument) }));
      return { action: `PutBucketPolicy on ${bucket}` };
    },
  },
  'AWS::KMS::Key': {
    // moto creates the key but stores KeyPolicy as an object, and DescribeKey then fails with HTTP 500.
    bestEffort: false,
    motoCreatesIt: true,
    async fill(props, { local, physicalId, logicalId }) {
      if (!physicalId) {
        throw new Error(`moto did not create ${logicalId}, so there is no key to put the policy on`);
      }
      if (props.KeyPolicy === undefined) {
        return { action: 'nothing: no KeyPolicy in the template', physicalId };
      }
      await local
        .kms()
        .send(new PutKeyPolicyCommand({ KeyId: physicalId, PolicyName: 'default', Policy: toJson(props.KeyPolicy) }));
      return { action: `PutKeyPolicy (as a JSON string) on ${physicalId}`, physicalId };
    },
  },
  'AWS::Kinesis::StreamConsumer': {
    // moto 5.2.5's CloudFormation has no model for it: it skips the resource, and a Fn::GetAtt on it fails
    // the stack. Its Kinesis API registers consumers. The consumer ARN carries the registration time, so it
    // cannot be predicted: references to it are deployed as placeholders (reported as rewritten).
    bestEffort: false,
    async fill(props, { local }) {
      const consumerName = String(props.ConsumerName);
      const registered = await local
        .kinesis()
        .send(new RegisterStreamConsumerCommand({ StreamARN: String(props.StreamARN), ConsumerName: consumerName }));
      const consumerArn = registered.Consumer!.ConsumerARN!;
      return {
        action: `RegisterStreamConsumer ${consumerName}`,
        physicalId: consumerArn,
        undo: async () => {
          await local.kinesis().send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
        },
      };
    },
  },
  'AWS::KinesisFirehose::DeliveryStream': {
    // The CloudFormation and API shapes match for the common destinations, but not for every option.
    bestEffort: true,
    // Its log stream is skipped by moto (see UNFILLED_RESOURCE_TYPES); moto's Firehose never logs anyway.
    optionalProperties: ['CloudWatchLoggingOptions'],
    predict({ props, stackName, logicalId, region, account }) {
      const name = props.DeliveryStreamName ?? stableName(stackName, logicalId, 64);
      if (typeof name !== 'string') {
        return undefined; // Computed by an intrinsic: only known after the deploy.
      }
      return { ref: name, attributes: { Arn: `arn:aws:firehose:${region}:${account}:deliverystream/${name}` } };
    },
    async fill(props, { local, stackName, logicalId }) {
      const name = (props.DeliveryStreamName as string | undefined) ?? stableName(stackName, logicalId, 64);
      const input = {
        ...props,
        DeliveryStreamName: name,
        DeliveryStreamType: props.DeliveryStreamType ?? 'DirectPut',
      } as CreateDeliveryStreamCommandInput;
      await local.firehose().send(new CreateDeliveryStreamCommand(input));
      return {
        action: `CreateDeliveryStream ${name} (${input.DeliveryStreamType})`,
        physicalId: name,
        undo: async () => {
          await local.firehose().send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: name }));
        },
      };
    },
  },
};

/**
 * Types moto's CloudFormation does not create (it logs a warning and lists a blank resource), lists
 * with no physical id (AWS::EC2::SecurityGroupIngress), or never sees (custom resources, left out by
 * prepareTemplateForMoto): references to them are made literal before CreateStack.
 */
export const MOTO_SKIPPED_TYPES: ReadonlySet<string> = new Set([
  ...Object.keys(UNFILLED_RESOURCE_TYPES),
  ...Object.entries(GAP_FILLERS)
    .filter(([, filler]) => !filler.motoCreatesIt)
    .map(([type]) => type),
]);

function asList(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Policies and filter policies go to the APIs as JSON strings; the template holds objects. */
function toJson(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A name for a resource the template leaves unnamed. CloudFormation appends a random suffix; this one
 * is derived from stack and logical id so it can be predicted before the deploy (prepare-template).
 */
function stableName(stackName: string, logicalId: string, maxLength: number): string {
  const name = `${stackName}-${logicalId}`;
  if (name.length <= maxLength) {
    return name;
  }
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, maxLength - hash.length - 1)}-${hash}`;
}
