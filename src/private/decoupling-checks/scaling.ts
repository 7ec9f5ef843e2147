import { Facts } from './facts';
import { ResourceModel, StackModel } from './model';
import { Finding, Rule, RuleSource } from './rule';

/** Scaling consumers on a queue. */

const SCALING_ON_SQS: RuleSource = {
  title: 'Amazon EC2 Auto Scaling User Guide: Scaling policy based on Amazon SQS',
  url: 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-using-sqs-queue.html',
};

const RAW_QUEUE_DEPTH = 'ApproximateNumberOfMessagesVisible';

/**
 * Whether a customized metric specification tracks the raw queue depth: the single-metric form on
 * `AWS/SQS` `ApproximateNumberOfMessagesVisible`, or a metric-math form whose only query is that metric
 * (no expression dividing it by the number of workers).
 */
function tracksRawQueueDepth(facts: Facts, stack: StackModel, specification: unknown): boolean {
  const resolver = facts.resolver;
  const spec = resolver.object(stack, specification);
  if (spec === undefined || spec === 'absent') {
    return false;
  }
  const isRaw = (s: StackModel, metric: Readonly<Record<string, unknown>>) =>
    resolver.literalString(s, metric.Namespace) === 'AWS/SQS' &&
    resolver.literalString(s, metric.MetricName) === RAW_QUEUE_DEPTH;
  if (spec.value.Metrics === undefined) {
    return isRaw(spec.stack, spec.value);
  }
  const queries = resolver.list(spec.stack, spec.value.Metrics);
  if (queries === undefined || queries.length !== 1 || queries[0].kind !== 'object') {
    return false;
  }
  const query = queries[0];
  if (query.value.Expression !== undefined) {
    return false;
  }
  const stat = resolver.object(query.stack, query.value.MetricStat);
  if (stat === undefined || stat === 'absent') {
    return false;
  }
  const metric = resolver.object(stat.stack, stat.value.Metric);
  return metric !== undefined && metric !== 'absent' && isRaw(metric.stack, metric.value);
}

const scalingOnRawQueueDepth: Rule = {
  id: 'Decoupling-ScalingOnRawQueueDepth',
  level: 'warning',
  summary:
    'An Auto Scaling group or an ECS service (any Application Auto Scaling target) tracks the raw queue depth (ApproximateNumberOfMessagesVisible) instead of the backlog per worker.',
  impact:
    'The number of visible messages does not change in proportion to the number of workers: target tracking on it adds workers that do not reduce the metric, then scales in and out erratically, and cannot hold a latency target.',
  fix: "Track the backlog per worker: metric math ApproximateNumberOfMessagesVisible / GroupInServiceInstances (or the service's RunningTaskCount), with the target value = acceptable latency / average processing time per message.",
  sources: [SCALING_ON_SQS],
  check: (facts) => {
    const findings: Finding[] = [];
    const resolver = facts.resolver;
    const check = (policy: ResourceModel, configurationKey: string, target: string) => {
      if (resolver.literalString(policy.stack, policy.properties.PolicyType) !== 'TargetTrackingScaling') {
        return;
      }
      const configuration = resolver.object(policy.stack, policy.properties[configurationKey]);
      if (configuration === undefined || configuration === 'absent') {
        return;
      }
      if (tracksRawQueueDepth(facts, configuration.stack, configuration.value.CustomizedMetricSpecification)) {
        findings.push({
          subject: policy,
          description: `${policy.path} scales ${target} by target tracking on the raw ${RAW_QUEUE_DEPTH}: the queue depth does not fall in proportion to the workers added, so the policy cannot hold a backlog per worker.`,
          locations: [`Properties/${configurationKey}/CustomizedMetricSpecification`],
        });
      }
    };
    for (const policy of facts.app.resourcesOfType('AWS::AutoScaling::ScalingPolicy')) {
      check(policy, 'TargetTrackingConfiguration', 'an Auto Scaling group');
    }
    for (const policy of facts.app.resourcesOfType('AWS::ApplicationAutoScaling::ScalingPolicy')) {
      check(policy, 'TargetTrackingScalingPolicyConfiguration', 'its scalable target');
    }
    return findings;
  },
};

export const SCALING_RULES: readonly Rule[] = [scalingOnRawQueueDepth];
