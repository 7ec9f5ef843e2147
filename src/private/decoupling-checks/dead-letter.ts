import { Facts } from './facts';
import { ResourceModel } from './model';
import { Finding, Rule, RuleSource } from './rule';

/** Dead-letter queues: retention, queue types, queues consumed without one, and the alarm that says one fills. */

const SQS_DLQ_RETENTION: RuleSource = {
  title: 'Amazon SQS Developer Guide: Setting-up dead-letter queue retention in Amazon SQS',
  url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html',
};
const SQS_CONFIGURE_DLQ: RuleSource = {
  title: 'Amazon SQS Developer Guide: Configure a dead-letter queue (the queue type must match the source queue type)',
  url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue.html',
};
const SNS_DEAD_LETTER_QUEUES: RuleSource = {
  title: 'Amazon SNS Developer Guide: Amazon SNS dead-letter queues (FIFO topic subscriptions use FIFO queues)',
  url: 'https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html',
};
const SQS_DEAD_LETTER_QUEUES: RuleSource = {
  title: 'Amazon SQS Developer Guide: Using dead-letter queues in Amazon SQS',
  url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html',
};
const LAMBDA_SQS_ERRORS: RuleSource = {
  title: 'AWS Lambda Developer Guide: Handling errors for an SQS event source in Lambda',
  url: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html',
};
const SQS_DLQ_ALARMS: RuleSource = {
  title: 'Amazon SQS Developer Guide: Creating alarms for dead-letter queues using Amazon CloudWatch',
  url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/dead-letter-queues-alarms-cloudwatch.html',
};
const SQS_DLQ_NUMBER_OF_MESSAGES: RuleSource = {
  title:
    "Amazon SQS Developer Guide: Using dead-letter queues (troubleshooting: NumberOfMessagesSent and NumberOfMessagesReceived for a dead-letter queue don't match)",
  url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html#sqs-dlq-number-of-messages',
};

function days(seconds: number): string {
  const value = seconds / 86_400;
  return Number.isInteger(value) ? `${value} day${value === 1 ? '' : 's'}` : `${seconds} s`;
}

const dlqRetentionTooShort: Rule = {
  id: 'Decoupling-DlqRetentionTooShort',
  level: 'error',
  summary: "A standard queue's retention is not shorter than its dead-letter queue's.",
  impact:
    "A standard queue's message keeps its original enqueue timestamp when it moves to the dead-letter queue, so it expires there after the dead-letter queue's retention minus the time it already spent in the source: a message that failed late is deleted soon after it lands, before anyone can inspect or redrive it.",
  fix: "Give the dead-letter queue a longer retention than the source queue (for example, source 4 days, dead-letter queue 14 days, SQS's maximum).",
  sources: [SQS_DLQ_RETENTION],
  check: (facts) =>
    facts.redrives.flatMap((redrive): Finding[] => {
      const { source, deadLetterQueue } = redrive;
      if (deadLetterQueue === undefined || facts.queueIsFifo(source) !== false) {
        // FIFO queues reset the enqueue timestamp when a message moves to the dead-letter queue.
        return [];
      }
      const sourceRetention = facts.retentionSeconds(source);
      const dlqRetention = facts.retentionSeconds(deadLetterQueue);
      if (sourceRetention === undefined || dlqRetention === undefined || sourceRetention < dlqRetention) {
        return [];
      }
      return [
        {
          subject: source,
          description: `${source.path} keeps messages ${days(sourceRetention)}, its dead-letter queue ${deadLetterQueue.path} ${days(dlqRetention)}: expiry counts from the original enqueue time, so a message that fails late expires in the dead-letter queue almost at once.`,
          locations: ['Properties/MessageRetentionPeriod', 'Properties/RedrivePolicy'],
        },
      ];
    }),
};

const dlqTypeMismatch: Rule = {
  id: 'Decoupling-DlqTypeMismatch',
  level: 'error',
  summary:
    'A FIFO queue (or a FIFO topic subscription) has a standard dead-letter queue, or a standard one a FIFO dead-letter queue.',
  impact:
    'SQS and SNS require the dead-letter queue to be of the same type as the source: the redrive policy is rejected and the deployment fails (for an SNS subscription, failed messages cannot be set aside).',
  fix: 'Use a FIFO dead-letter queue for a FIFO queue or FIFO topic subscription, and a standard one for a standard queue or topic.',
  sources: [SQS_CONFIGURE_DLQ, SQS_DEAD_LETTER_QUEUES, SNS_DEAD_LETTER_QUEUES],
  check: (facts) => {
    const findings: Finding[] = [];
    const kind = (fifo: boolean) => (fifo ? 'FIFO' : 'standard');
    for (const redrive of facts.redrives) {
      const sourceFifo = facts.queueIsFifo(redrive.source);
      const dlqFifo =
        redrive.targetArn === undefined
          ? undefined
          : facts.fifoFromArn(redrive.targetArn.stack, redrive.targetArn.expression, redrive.deadLetterQueue, 'queue');
      if (sourceFifo !== undefined && dlqFifo !== undefined && sourceFifo !== dlqFifo) {
        findings.push({
          subject: redrive.source,
          description: `${redrive.source.path} is a ${kind(sourceFifo)} queue with the ${kind(dlqFifo)} dead-letter queue ${redrive.deadLetterQueue?.path ?? 'of its redrive policy'}: SQS rejects the redrive policy.`,
          locations: ['Properties/RedrivePolicy'],
        });
      }
    }
    for (const s of facts.subscriptions) {
      if (s.topicFifo !== undefined && s.deadLetterQueueFifo !== undefined && s.topicFifo !== s.deadLetterQueueFifo) {
        findings.push({
          subject: s.subscription,
          description: `${s.subscription.path} subscribes to a ${kind(s.topicFifo)} topic with the ${kind(s.deadLetterQueueFifo)} dead-letter queue ${s.deadLetterQueue?.path ?? 'of its redrive policy'}: SNS requires a ${kind(s.topicFifo)} queue.`,
          locations: ['Properties/RedrivePolicy'],
        });
      }
    }
    return findings;
  },
};

const consumedQueueNoRedrive: Rule = {
  id: 'Decoupling-ConsumedQueueNoRedrive',
  level: 'error',
  summary:
    'A queue consumed by a Lambda event source mapping, or by a worker (an IAM policy granting sqs:ReceiveMessage and sqs:DeleteMessage on it), has no redrive policy.',
  impact:
    "A message its consumer cannot process (a poison message) is received again and again until it expires: it wastes every consumer's time, hides the failure, and is then deleted without trace. On a FIFO queue it blocks its message group until then.",
  fix: 'Give the queue a dead-letter queue (RedrivePolicy with a maxReceiveCount), with an alarm on it.',
  sources: [SQS_DEAD_LETTER_QUEUES, LAMBDA_SQS_ERRORS],
  check: (facts) => {
    const consumers = new Map<ResourceModel, string>();
    for (const mapping of facts.mappings) {
      if (mapping.queue !== undefined && !consumers.has(mapping.queue)) {
        consumers.set(mapping.queue, `the event source mapping ${mapping.mapping.path}`);
      }
    }
    for (const worker of facts.workers) {
      if (!consumers.has(worker.queue)) {
        consumers.set(worker.queue, `the worker policy ${worker.policy.path}`);
      }
    }
    const findings: Finding[] = [];
    for (const [queue, consumer] of consumers) {
      if (facts.deadLetterQueues.has(queue)) {
        // A dead-letter queue read by a redrive tool or an inspector needs no dead-letter queue of its own.
        continue;
      }
      if (facts.redriveOf(queue) !== 'absent') {
        continue;
      }
      if (mightBeDeadLetterQueue(facts, queue)) {
        continue;
      }
      findings.push({
        subject: queue,
        description: `${queue.path} is consumed by ${consumer} but has no redrive policy: a message that cannot be processed is retried until it expires, then lost.`,
        locations: ['Properties/RedrivePolicy'],
      });
    }
    return findings;
  },
};

/** Whether a redrive policy whose target could not be resolved might name `queue` (it is then not known not to be a dead-letter queue). */
function mightBeDeadLetterQueue(facts: Facts, queue: ResourceModel): boolean {
  for (const source of facts.app.resourcesOfType('AWS::SQS::Queue')) {
    const redrive = facts.redriveOf(source);
    if (redrive === undefined) {
      return true;
    }
    if (redrive !== 'absent' && redrive.deadLetterQueue === undefined) {
      if (redrive.targetArn === undefined) {
        return true;
      }
      if (facts.resolver.refersTo(redrive.targetArn.stack, redrive.targetArn.expression, queue, 'arn') !== 'no') {
        return true;
      }
    }
  }
  return false;
}

/** The alarms that watch a dead-letter queue, or `undefined` when an alarm might watch it unseen. */
function alarmsOf(facts: Facts, queue: ResourceModel) {
  const { metrics, uncertain } = facts.alarmMetricsOf(queue);
  return metrics.length === 0 && uncertain ? undefined : metrics;
}

function dlqSources(facts: Facts, queue: ResourceModel): string {
  const sources = facts.deadLetterQueues.get(queue) ?? [];
  return sources.map((s) => s.source.path).join(', ');
}

const dlqNoAlarm: Rule = {
  id: 'Decoupling-DlqNoAlarm',
  level: 'error',
  summary:
    'A dead-letter queue (of a queue, an SNS subscription or an event source mapping) has no CloudWatch alarm on its metrics.',
  impact:
    'Messages that failed land in the dead-letter queue and nobody is told: they wait unseen until their retention runs out and are deleted.',
  fix: 'Add a CloudWatch alarm on the dead-letter queue, e.g. ApproximateNumberOfMessagesVisible > 0 (or ApproximateAgeOfOldestMessage), with an action that notifies someone.',
  sources: [SQS_DLQ_ALARMS],
  check: (facts) => {
    const findings: Finding[] = [];
    for (const queue of facts.deadLetterQueues.keys()) {
      const alarms = alarmsOf(facts, queue);
      if (alarms === undefined || alarms.length > 0) {
        continue;
      }
      findings.push({
        subject: queue,
        description: `${queue.path} is the dead-letter queue of ${dlqSources(facts, queue)}, and no CloudWatch alarm watches it: failed messages wait there unseen until they expire.`,
        locations: [],
      });
    }
    return findings;
  },
};

const dlqAlarmOnMessagesSent: Rule = {
  id: 'Decoupling-DlqAlarmOnMessagesSent',
  level: 'error',
  summary: "A queue's dead-letter queue is watched only by alarms on NumberOfMessagesSent.",
  impact:
    'Messages that SQS moves to a dead-letter queue after maxReceiveCount failed receives are not counted by NumberOfMessagesSent (only messages sent to it directly are): the alarm never fires for failed messages.',
  fix: 'Alarm on ApproximateNumberOfMessagesVisible (or ApproximateAgeOfOldestMessage) of the dead-letter queue instead.',
  sources: [SQS_DLQ_NUMBER_OF_MESSAGES, SQS_DLQ_ALARMS],
  check: (facts) => {
    const findings: Finding[] = [];
    for (const [queue, sources] of facts.deadLetterQueues) {
      if (!sources.some((s) => s.kind === 'queue')) {
        // SNS and Lambda send to their dead-letter queues with SendMessage, which the metric counts.
        continue;
      }
      const { metrics, uncertain } = facts.alarmMetricsOf(queue);
      if (uncertain || metrics.length === 0 || !metrics.every((m) => m.metricName === 'NumberOfMessagesSent')) {
        continue;
      }
      findings.push({
        subject: queue,
        description: `${queue.path} is the dead-letter queue of ${dlqSources(facts, queue)}, and its only alarms (${[...new Set(metrics.map((m) => m.alarm.path))].join(', ')}) watch NumberOfMessagesSent, which does not count messages SQS moves there: they never fire for failed messages.`,
        locations: [],
      });
    }
    return findings;
  },
};

export const DEAD_LETTER_RULES: readonly Rule[] = [
  dlqRetentionTooShort,
  dlqTypeMismatch,
  consumedQueueNoRedrive,
  dlqNoAlarm,
  dlqAlarmOnMessagesSent,
];
