import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { IConstruct } from 'constructs';
import { durationMillis, invalidProp, methodArgument, validateEnumValue, validateIntegerInRange } from '../validation';

const NAMESPACE = 'AWS/AmazonMQ';
const PERIOD = Duration.minutes(5);
/** PutMetricAlarm / GetMetricData API references: MetricName is 1 to 255 characters. */
const METRIC_NAME_MAX_LENGTH = 255;
/** The dimension Amazon MQ publishes its broker metrics under. */
const BROKER_DIMENSION = 'Broker';

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
    this.validate('metric', metricName, props);
    if (!this.perInstance) {
      return this.brokerMetric(metricName, this.brokerName, props);
    }
    if (this.instances === 1) {
      return this.brokerMetric(metricName, `${this.brokerName}-1`, props);
    }
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    for (let instance = 1; instance <= this.instances; instance++) {
      usingMetrics[`instance${instance}`] = this.brokerMetric(metricName, `${this.brokerName}-${instance}`, props);
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
    const prop = methodArgument('metricOfInstance', 'instance');
    if (!this.perInstance) {
      throw invalidProp(
        this.broker,
        prop,
        'is for ActiveMQ only (RabbitMQ publishes broker-wide metrics under the broker name)',
        instance,
      );
    }
    if (Token.isUnresolved(instance)) {
      throw invalidProp(this.broker, prop, 'must be known at synth: it is part of the dimension value', instance);
    }
    validateIntegerInRange(this.broker, prop, instance, 1, this.instances);
    this.validate('metricOfInstance', metricName, props);
    return this.brokerMetric(metricName, `${this.brokerName}-${instance}`, props);
  }

  /** What aws-cdk-lib would refuse without naming the broker, or pass on to an alarm CloudWatch refuses. */
  private validate(method: string, metricName: string, props: cloudwatch.MetricOptions | undefined): void {
    const broker = this.broker;
    if (
      !Token.isUnresolved(metricName) &&
      (typeof metricName !== 'string' || metricName.length < 1 || metricName.length > METRIC_NAME_MAX_LENGTH)
    ) {
      throw invalidProp(
        broker,
        methodArgument(method, 'metricName'),
        `must be the name of an Amazon MQ metric, 1 to ${METRIC_NAME_MAX_LENGTH} characters`,
        metricName,
      );
    }
    if (props === undefined) {
      return;
    }
    const period = props.period;
    if (period instanceof Duration && period.isUnresolved()) {
      // A deploy-time amount converts to seconds only when given in seconds: a template cannot multiply.
      try {
        period.toSeconds();
      } catch {
        throw invalidProp(
          broker,
          methodArgument(method, 'period'),
          'must be given with Duration.seconds() when its amount is a deploy-time value',
          period.formatTokenToNumber(),
        );
      }
    } else if (period !== undefined) {
      const millis = period instanceof Duration ? durationMillis(period) : NaN;
      const seconds = millis / 1000;
      // CloudWatch takes a period of 1, 5, 10 or 30 seconds (high resolution) or a multiple of 60 seconds
      // (PutMetricAlarm API reference, Period).
      if (!Number.isFinite(seconds) || !(seconds > 0) || !([1, 5, 10, 30].includes(seconds) || seconds % 60 === 0)) {
        throw invalidProp(
          broker,
          methodArgument(method, 'period'),
          'must be a Duration of 1, 5, 10 or 30 seconds, or a whole number of minutes',
          period,
        );
      }
    }
    validateEnumValue(broker, methodArgument(method, 'unit'), props.unit, 'cloudwatch.Unit', cloudwatch.Unit);
    const dimensions = props.dimensionsMap;
    if (dimensions !== undefined && BROKER_DIMENSION in dimensions) {
      throw invalidProp(
        broker,
        methodArgument(method, 'dimensionsMap'),
        `must not set the ${BROKER_DIMENSION} dimension, which names this broker (add only e.g. Queue or Topic)`,
        dimensions,
      );
    }
  }

  private brokerMetric(metricName: string, broker: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName,
      period: PERIOD,
      statistic: cloudwatch.Stats.AVERAGE,
      ...props,
      // The broker's own dimension, with any the caller adds (Queue, Topic ... for destination metrics).
      dimensionsMap: { ...props?.dimensionsMap, [BROKER_DIMENSION]: broker },
    });
  }
}
