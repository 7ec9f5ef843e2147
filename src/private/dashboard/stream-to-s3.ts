import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  addConstructWidgetGroup,
  alarmGraph,
  alarmStatus,
  alarmTitle,
  defined,
  graph,
  groupTitle,
  labelled,
  FIVE_MINUTES,
} from './widgets';
import type { StreamToS3 } from '../../stream-to-s3';

/**
 * Data freshness, delivery success and incoming records of the delivery stream, then a graph per optional
 * alarm (processor, record format conversion, dynamic partitioning, throttling). The stream it creates has a
 * group of its own (EncryptedStream).
 */
export function addStreamToS3Widgets(delivery: StreamToS3, dashboard: boolean | undefined): boolean {
  return addConstructWidgetGroup(delivery, dashboard, groupTitle('StreamToS3', delivery), () => {
    const optional = defined([
      delivery.throttledRecordsAlarm,
      delivery.processingFailedAlarm,
      delivery.processingDurationAlarm,
      delivery.conversionFailedAlarm,
      delivery.partitionCountExceededAlarm,
    ]);
    return [
      ...alarmStatus(delivery.alarms),
      graph('Data freshness', [labelled(delivery.dataFreshnessAlarm.metric, 'DeliveryToS3.DataFreshness')], {
        alarms: [delivery.dataFreshnessAlarm],
        leftLabel: 'Seconds',
      }),
      graph('Delivery to S3 success', [labelled(delivery.deliveryFailedAlarm.metric, 'DeliveryToS3.Success')], {
        alarms: [delivery.deliveryFailedAlarm],
      }),
      graph('Incoming records', [
        delivery.metricIncomingRecords({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES, label: 'Records' }),
      ]),
      ...optional.map((alarm) => alarmGraph(alarmTitle(alarm), alarm)),
    ];
  });
}
