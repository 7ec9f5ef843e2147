import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CorpusCase, corpusStack } from './corpus';

/** An ECS service scaled by target tracking on the raw queue depth. */
export const scalingOnRawQueueDepth: CorpusCase = {
  rule: 'Decoupling-ScalingOnRawQueueDepth',
  mistake: 'the service tracks ApproximateNumberOfMessagesVisible instead of the backlog per task',
  build(app, fixed) {
    const stack = corpusStack(app);
    const queue = new sqs.Queue(stack, 'Queue');
    const target = new appscaling.ScalableTarget(stack, 'Tasks', {
      serviceNamespace: appscaling.ServiceNamespace.ECS,
      resourceId: 'service/workers/encoder',
      scalableDimension: 'ecs:service:DesiredCount',
      minCapacity: 1,
      maxCapacity: 20,
    });
    if (!fixed) {
      target.scaleToTrackMetric('QueueDepth', {
        customMetric: queue.metricApproximateNumberOfMessagesVisible(),
        targetValue: 100,
      });
      return;
    }
    // Backlog per task = visible messages / running tasks. aws-cdk-lib's scaleToTrackMetric takes direct
    // metrics only ("Only direct metrics are supported for Target Tracking"): the policy is written as L1.
    const depth = queue.metricApproximateNumberOfMessagesVisible();
    new appscaling.CfnScalingPolicy(stack, 'BacklogPerTask', {
      policyName: 'backlog-per-task',
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: 100,
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'depth',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: depth.namespace,
                  metricName: depth.metricName,
                  dimensions: [{ name: 'QueueName', value: queue.queueName }],
                },
                stat: cloudwatch.Stats.SUM,
              },
            },
            {
              id: 'tasks',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [
                    { name: 'ClusterName', value: 'workers' },
                    { name: 'ServiceName', value: 'encoder' },
                  ],
                },
                stat: cloudwatch.Stats.AVERAGE,
              },
            },
            { id: 'backlogPerTask', expression: 'depth / tasks', returnData: true },
          ],
        },
      },
    });
  },
};
