import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { WorkQueue, WorkQueueEncryption } from '../work-queue';

/**
 * Properties of the WorkQueue blueprint.
 */
export interface WorkQueueBlueprintProps extends StackProps {
  /**
   * How long a worker may take to encode one video before the job becomes visible again.
   *
   * @default Duration.minutes(15)
   */
  readonly jobTimeout?: Duration;
}

/**
 * The video-encoding job queue: producers drop one message per video, workers take
 * them at their own pace, and a job that fails five times is set aside in the
 * dead-letter queue (kept 14 days) with an alarm instead of blocking the rest.
 */
export class WorkQueueBlueprint extends Stack {
  /** The encoding job queue. */
  public readonly jobs: WorkQueue;

  constructor(scope: Construct, id: string, props: WorkQueueBlueprintProps = {}) {
    super(scope, id, props);

    this.jobs = new WorkQueue(this, 'EncodingJobs', {
      encryption: WorkQueueEncryption.KMS,
      visibilityTimeout: props.jobTimeout ?? Duration.minutes(15),
      oldestMessageAgeAlarmThreshold: Duration.hours(1),
    });

    new CfnOutput(this, 'JobQueueUrl', { value: this.jobs.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.jobs.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.jobs.alarmTopic.topicArn });
  }
}
