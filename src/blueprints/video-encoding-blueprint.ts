import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { IsolatedVpc } from '../isolated-vpc';
import { QueueProcessingFleet } from '../queue-processing-fleet';
import { WorkQueue, WorkQueueEncryption } from '../work-queue';
import { blueprintAvailabilityZones } from './private/isolated-vpc';

/**
 * Properties of the video-encoding blueprint.
 */
export interface VideoEncodingBlueprintProps extends StackProps {
  /**
   * How long one encoder takes for one video, on average.
   *
   * @default Duration.minutes(2)
   */
  readonly encodingTimePerVideo?: Duration;

  /**
   * How long a video may wait before an encoder takes it. The fleet aims for
   * acceptableLatency ÷ encodingTimePerVideo waiting videos per encoder.
   *
   * @default Duration.minutes(20)
   */
  readonly acceptableLatency?: Duration;

  /**
   * How long an encoder may hold a job before it becomes visible again (the queue's visibility
   * timeout); must be longer than `encodingTimePerVideo`.
   *
   * @default Duration.minutes(15)
   */
  readonly jobTimeout?: Duration;

  /**
   * The most encoders that run at once.
   *
   * @default 20
   */
  readonly maxEncoders?: number;

  /**
   * The availability zones of the VPC's two isolated subnets.
   *
   * @default - env-agnostic: `Fn::GetAZs`, the first two zones of wherever the stack is deployed;
   * with an env: the first two zones the CDK CLI looks up for that account and region (cached in
   * `cdk.context.json`), never a guess such as `<region>a`
   */
  readonly availabilityZones?: string[];

  /**
   * Close the VPC's default security group with aws-cdk-lib's Lambda-backed custom resource.
   * Turned off, the default group keeps its rules and the NIST, HIPAA and PCI packs report it
   * (`VPCDefaultSecurityGroupClosed`); nothing acknowledges that for you.
   *
   * @default true
   */
  readonly restrictDefaultSecurityGroup?: boolean;
}

/**
 * Video encoding on demand: "what if you suddenly need to encode 1,000 videos, but usually it's
 * 10?". Producers drop one job per video into a KMS-encrypted WorkQueue; a QueueProcessingFleet
 * of encoders, zero while the queue is empty, grows with the backlog per encoder (20 minutes of
 * acceptable wait ÷ 2 minutes per video = 10 waiting videos per encoder, up to 20 encoders) and
 * shrinks after the spike. Each encoder protects itself from scale-in while it encodes.
 *
 * The encoders run in a VPC with isolated subnets only: they reach SQS, EC2 Auto Scaling and
 * Systems Manager (for shell access) through VPC endpoints, and S3 through a gateway endpoint.
 */
export class VideoEncodingBlueprint extends Stack {
  /** The encoding job queue. */
  public readonly jobs: WorkQueue;

  /** The encoders. */
  public readonly encoders: QueueProcessingFleet;

  /** The VPC the encoders run in. */
  public readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: VideoEncodingBlueprintProps = {}) {
    super(scope, id, props);
    const availabilityZones = blueprintAvailabilityZones(this, props.availabilityZones, 2);
    const encodingTime = props.encodingTimePerVideo ?? Duration.minutes(2);

    const network = new IsolatedVpc(this, 'Network', {
      availabilityZones,
      interfaceEndpoints: [
        ec2.InterfaceVpcEndpointAwsService.SQS,
        ec2.InterfaceVpcEndpointAwsService.AUTOSCALING,
        ec2.InterfaceVpcEndpointAwsService.SSM,
        ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
      ],
      // Amazon Linux's package repositories and the videos themselves are in S3.
      gatewayEndpoints: [ec2.GatewayVpcEndpointAwsService.S3],
      restrictDefaultSecurityGroup: props.restrictDefaultSecurityGroup,
    });
    this.vpc = network.vpc;

    this.jobs = new WorkQueue(this, 'EncodingJobs', {
      encryption: WorkQueueEncryption.KMS,
      visibilityTimeout: props.jobTimeout ?? Duration.minutes(15),
      oldestMessageAgeAlarmThreshold: Duration.hours(1),
    });

    this.encoders = new QueueProcessingFleet(this, 'Encoders', {
      queue: this.jobs,
      vpc: network.vpc,
      acceptableLatency: props.acceptableLatency ?? Duration.minutes(20),
      processingTimePerMessage: encodingTime,
      minCapacity: 0,
      maxCapacity: props.maxEncoders ?? 20,
      userData: encoderUserData(encodingTime),
    });
    network.allowEndpointAccessFrom(this.encoders, 'Encoders reach SQS, EC2 Auto Scaling and Systems Manager');

    new CfnOutput(this, 'JobQueueUrl', { value: this.jobs.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.jobs.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AutoScalingGroupName', { value: this.encoders.autoScalingGroupName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.encoders.alarmTopic.topicArn });
  }
}

/**
 * The encoder: a systemd service that takes one job at a time, protects its instance from scale-in
 * while it works, and deletes the job only after encoding it (a failed job returns to the queue after
 * the job timeout and, after five failures, waits in the dead-letter queue). The queue URL and group
 * name come from the fleet's environment file. `encode` stands in for the real encoder.
 */
function encoderUserData(encodingTime: Duration): ec2.UserData {
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    "cat > /usr/local/bin/encoding-worker <<'WORKER'",
    '#!/bin/bash',
    'set -uo pipefail',
    "TOKEN=$(curl -sf -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')",
    'INSTANCE_ID=$(curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id)',
    'protect() {',
    '  aws autoscaling set-instance-protection --auto-scaling-group-name "$AUTO_SCALING_GROUP_NAME" --instance-ids "$INSTANCE_ID" "$1"',
    '}',
    'encode() {',
    '  # Stand-in for the real encoder (e.g. ffmpeg on the video the job names).',
    `  echo "encoding $1"; sleep ${encodingTime.toSeconds({ integral: false })}`,
    '}',
    'while true; do',
    '  JOB=$(aws sqs receive-message --queue-url "$QUEUE_URL" --max-number-of-messages 1 --wait-time-seconds 20 \\',
    "    --query 'Messages[0].[ReceiptHandle,Body]' --output text) || { sleep 5; continue; }",
    '  if [ -z "$JOB" ] || [ "$JOB" = "None" ]; then continue; fi',
    '  read -r RECEIPT BODY <<< "$JOB"',
    '  protect --protected-from-scale-in',
    '  if encode "$BODY"; then',
    '    aws sqs delete-message --queue-url "$QUEUE_URL" --receipt-handle "$RECEIPT"',
    '  fi',
    '  protect --no-protected-from-scale-in',
    'done',
    'WORKER',
    'chmod 755 /usr/local/bin/encoding-worker',
    "cat > /etc/systemd/system/encoding-worker.service <<'UNIT'",
    '[Unit]',
    'Description=Video encoding worker',
    'After=network-online.target',
    '[Service]',
    'EnvironmentFile=/etc/queue-processing-fleet.env',
    'ExecStart=/usr/local/bin/encoding-worker',
    'Restart=always',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now encoding-worker',
  );
  return userData;
}
