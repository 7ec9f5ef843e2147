import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { invalidProp } from '../validation';

const NAMESPACE = 'AWS/AmazonMQ';
const PERIOD = Duration.minutes(5);

/**
 * The `AWS/AmazonMQ` metrics of one broker. ActiveMQ publishes one series per instance (`Broker` =
 * name`-1`, name`-2`); RabbitMQ one broker-wide series under the broker name.
 */
export class BrokerMetrics {
  constructor(
    private readonly broker: IConstruct,
    private readonly brokerName: string,
    private readonly perInstance: boolean,
    private readonly instances: number,
  ) {}

  /** See `MessageBroker.metric`: for an active/standby pair, the highest of both instances. */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    if (!this.perInstance) {
      return this.brokerMetric(metricName, this.brokerName, props);
    }
    if (this.instances === 1) {
      return this.ofInstance(metricName, 1, props);
    }
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    for (let instance = 1; instance <= this.instances; instance++) {
      usingMetrics[`instance${instance}`] = this.ofInstance(metricName, instance, props);
    }
    return new cloudwatch.MathExpression({
      expression: `MAX([${Object.keys(usingMetrics).join(', ')}])`,
      usingMetrics,
      label: `${metricName} of ${this.brokerName} (highest of its instances)`,
      period: props?.period ?? PERIOD,
    });
  }

  /** See `MessageBroker.metricOfInstance`. */
  public ofInstance(metricName: string, instance: number, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!this.perInstance) {
      throw invalidProp(
        this.broker,
        'metricOfInstance instance',
        'applies to ActiveMQ only (RabbitMQ publishes broker-wide metrics under the broker name)',
        instance,
      );
    }
    if (!Number.isInteger(instance) || instance < 1 || instance > this.instances) {
      throw invalidProp(this.broker, 'metricOfInstance instance', `must be between 1 and ${this.instances}`, instance);
    }
    return this.brokerMetric(metricName, `${this.brokerName}-${instance}`, props);
  }

  private brokerMetric(metricName: string, broker: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName,
      dimensionsMap: { Broker: broker },
      period: PERIOD,
      statistic: cloudwatch.Stats.AVERAGE,
      ...props,
    });
  }
}
