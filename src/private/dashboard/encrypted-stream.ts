import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { addConstructWidgetGroup, labelled, alarmStatus, graph, groupTitle, ONE_MINUTE } from './widgets';
import type { EncryptedStream } from '../../encrypted-stream';

/** Incoming records and bytes, iterator age, and read and write throttles (with failed PutRecords records). */
export function addEncryptedStreamWidgets(stream: EncryptedStream, dashboard: boolean | undefined): boolean {
  return addConstructWidgetGroup(stream, dashboard, groupTitle('EncryptedStream', stream), () => {
    const sum = { statistic: cloudwatch.Stats.SUM, period: ONE_MINUTE };
    return [
      ...alarmStatus(stream.alarms),
      graph('Incoming', [stream.metricIncomingRecords({ ...sum, label: 'Records' })], {
        right: [stream.metricIncomingBytes({ ...sum, label: 'Bytes' })],
        leftLabel: 'Records',
        rightLabel: 'Bytes',
      }),
      graph('Iterator age', [labelled(stream.iteratorAgeAlarm.metric, 'GetRecords.IteratorAgeMilliseconds')], {
        alarms: [stream.iteratorAgeAlarm],
        leftLabel: 'Milliseconds',
      }),
      graph(
        'Throttles and failed writes',
        [
          labelled(stream.writeThrottledAlarm.metric, 'Write throttled'),
          labelled(stream.readThrottledAlarm.metric, 'Read throttled'),
          labelled(stream.putRecordsFailedAlarm.metric, 'PutRecords failed records'),
        ],
        { alarms: [stream.writeThrottledAlarm, stream.readThrottledAlarm, stream.putRecordsFailedAlarm] },
      ),
    ];
  });
}
