// Builds the same resources twice in one app: with this library's constructs and their StackDashboard, and as
// plain aws-cdk-lib resources monitored with cdk-monitoring-constructs (its defaults: no alarm thresholds given).
// Prints, per kind of resource, the widgets, metrics and alarms each dashboard shows.
//
//   npx ts-node --prefer-ts-exts tools/dashboard-comparison.ts
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { MonitoringFacade } from 'cdk-monitoring-constructs';
import { EncryptedStream } from '../src/encrypted-stream';
import { QueueProcessingFleet } from '../src/queue-processing-fleet';
import { QueueProcessingFunction } from '../src/queue-processing-function';
import { StreamToS3 } from '../src/stream-to-s3';
import { TopicFanOut } from '../src/topic-fan-out';
import { WorkQueue } from '../src/work-queue';

interface Shown {
  readonly widgets: number;
  readonly metrics: string[];
  readonly alarms: number;
  readonly annotations: number;
}

const KINDS = [
  ['SQS queue + DLQ', 'WorkQueue'],
  ['SNS topic, 2 SQS subscribers', 'TopicFanOut'],
  ['Kinesis data stream', 'EncryptedStream'],
  ['Firehose to S3', 'StreamToS3'],
  ['EC2 workers on a queue', 'QueueProcessingFleet'],
  ['Lambda consumer of a queue', 'QueueProcessingFunction'],
] as const;

const ADDS: Record<string, string> = {
  WorkQueue: 'DLQ age vs. its alarm; every alarm threshold drawn; alarm status',
  TopicFanOut: 'redriven / failed-to-redrive to DLQ; DLQ depth per subscriber',
  EncryptedStream: 'read/write throttles and failed PutRecords with thresholds',
  StreamToS3: 'freshness and success with their alarm thresholds',
  QueueProcessingFleet: 'backlog per instance (scaling metric math) vs. target and alarm',
  QueueProcessingFunction: 'queue backlog and age next to the function; max concurrency line',
};

function importedVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
  });
}

function handler(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
  });
}

/** What one list of widgets shows, read from their JSON. */
function shown(stack: Stack, widgets: any[], alarmCount: number): Shown {
  const metrics = new Set<string>();
  let graphs = 0;
  let annotations = 0;
  for (const widget of widgets) {
    if (widget.type === 'text') {
      continue;
    }
    graphs++;
    for (const entry of widget.properties.metrics ?? []) {
      const options = entry[entry.length - 1];
      if (typeof entry[0] === 'string') {
        metrics.add(entry[1]);
      } else if (options.expression !== undefined && options.visible !== false) {
        metrics.add(/SEARCH/.test(options.expression) ? 'SEARCH(...)' : options.expression);
      }
    }
    annotations += widget.properties.annotations?.horizontal?.length ?? 0;
  }
  return {
    widgets: graphs,
    metrics: [...metrics].map((m) => String(stack.resolve(m))),
    alarms: alarmCount,
    annotations,
  };
}

function json(stack: Stack, widgets: cloudwatch.IWidget[]): any[] {
  const column = new cloudwatch.Column(...widgets);
  column.position(0, 0);
  return JSON.parse(JSON.stringify(stack.resolve(column.toJson())));
}

// Ours: the constructs and the stack's dashboard.
const app = new App();
const ours = new Stack(app, 'Ours');
const ourVpc = importedVpc(ours);
new WorkQueue(ours, 'Queue');
const fanOut = new TopicFanOut(ours, 'Topic');
fanOut.addQueue('Billing', { dashboard: false });
fanOut.addQueue('Shipping', { dashboard: false });
const stream = new EncryptedStream(ours, 'Stream');
new StreamToS3(ours, 'Firehose', { stream });
const jobs = new WorkQueue(ours, 'Jobs', { visibilityTimeout: Duration.minutes(5), dashboard: false });
new QueueProcessingFleet(ours, 'Workers', {
  queue: jobs,
  vpc: ourVpc,
  acceptableLatency: Duration.seconds(10),
  processingTimePerMessage: Duration.millis(100),
});
new QueueProcessingFunction(ours, 'Consumer', {
  queue: new WorkQueue(ours, 'Invocations', { dashboard: false }),
  handler: handler(ours, 'ConsumerFn'),
});

const oursByKind: Record<string, Shown> = {};
{
  const dashboard = Object.values(ours.node.findAll()).find(
    (c): c is cloudwatch.CfnDashboard => c instanceof cloudwatch.CfnDashboard,
  );
  const parts = ours.resolve(dashboard!.dashboardBody);
  const text =
    typeof parts === 'string'
      ? parts
      : parts['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'X')).join('');
  const widgets: any[] = JSON.parse(text).widgets;
  let current: { kind: string; widgets: any[]; alarms: number } | undefined;
  const groups: Array<{ kind: string; widgets: any[]; alarms: number }> = [];
  for (const widget of widgets) {
    if (widget.type === 'text') {
      current = { kind: widget.properties.markdown.replace(/^## /, '').split(' ')[0], widgets: [], alarms: 0 };
      groups.push(current);
    } else if (widget.type === 'alarm') {
      current!.alarms += widget.properties.alarms.length;
    } else {
      current!.widgets.push(widget);
    }
  }
  for (const group of groups) {
    const s = shown(ours, group.widgets, group.alarms);
    const before = oursByKind[group.kind];
    oursByKind[group.kind] = before
      ? {
          widgets: before.widgets + s.widgets,
          metrics: [...new Set([...before.metrics, ...s.metrics])],
          alarms: before.alarms + s.alarms,
          annotations: before.annotations + s.annotations,
        }
      : s;
  }
}

// Theirs: plain resources and cdk-monitoring-constructs' MonitoringFacade.
const theirs = new Stack(app, 'Theirs');
const theirVpc = importedVpc(theirs);
const facade = new MonitoringFacade(theirs, 'Monitoring');
const deadLetterQueue = new sqs.Queue(theirs, 'DeadLetterQueue');
const plainQueue = new sqs.Queue(theirs, 'Queue', { deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 } });
const topic = new sns.Topic(theirs, 'Topic');
topic.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(theirs, 'Billing')));
topic.addSubscription(new subscriptions.SqsSubscription(new sqs.Queue(theirs, 'Shipping')));
const plainStream = new kinesis.Stream(theirs, 'Stream');
const deliveryStream = new firehose.DeliveryStream(theirs, 'Firehose', {
  source: new firehose.KinesisStreamSource(plainStream),
  destination: new firehose.S3Bucket(new s3.Bucket(theirs, 'Bucket')),
});
const group = new autoscaling.AutoScalingGroup(theirs, 'Workers', {
  vpc: theirVpc,
  instanceType: new ec2.InstanceType('t3.micro'),
  machineImage: ec2.MachineImage.latestAmazonLinux2023(),
});
const consumerFunction = handler(theirs, 'ConsumerFn');

const theirSegments: Array<[string, () => void]> = [
  ['WorkQueue', () => facade.monitorSqsQueueWithDlq({ queue: plainQueue, deadLetterQueue })],
  ['TopicFanOut', () => facade.monitorSnsTopic({ topic })],
  [
    'EncryptedStream',
    () =>
      facade.monitorKinesisDataStream({
        streamName: plainStream.streamName,
        humanReadableName: 'Stream',
        alarmFriendlyName: 'Stream',
      }),
  ],
  [
    'StreamToS3',
    () =>
      facade.monitorKinesisFirehose({
        deliveryStreamName: deliveryStream.deliveryStreamName,
        humanReadableName: 'Firehose',
        alarmFriendlyName: 'Firehose',
      }),
  ],
  ['QueueProcessingFleet', () => facade.monitorAutoScalingGroup({ autoScalingGroup: group })],
  ['QueueProcessingFunction', () => facade.monitorLambdaFunction({ lambdaFunction: consumerFunction })],
];
const theirsByKind: Record<string, Shown> = {};
for (const [kind, monitor] of theirSegments) {
  monitor();
  const segments = (facade as any).createdSegments as any[];
  const segment = segments[segments.length - 1];
  theirsByKind[kind] = shown(theirs, json(theirs, segment.widgets()), segment.createdAlarms().length);
}

const rows: string[][] = [
  [
    'Resource',
    'Ours: construct',
    'widgets',
    'metrics',
    'alarms',
    'thresholds',
    'cdk-monitoring-constructs',
    'widgets',
    'metrics',
    'alarms',
    'thresholds',
    'What ours adds',
  ],
];
const monitorNames: Record<string, string> = {
  WorkQueue: 'monitorSqsQueueWithDlq',
  TopicFanOut: 'monitorSnsTopic',
  EncryptedStream: 'monitorKinesisDataStream',
  StreamToS3: 'monitorKinesisFirehose',
  QueueProcessingFleet: 'monitorAutoScalingGroup',
  QueueProcessingFunction: 'monitorLambdaFunction',
};
for (const [resource, kind] of KINDS) {
  const o = oursByKind[kind];
  const t = theirsByKind[kind];
  rows.push([
    resource,
    kind,
    String(o.widgets),
    String(o.metrics.length),
    String(o.alarms),
    String(o.annotations),
    monitorNames[kind],
    String(t.widgets),
    String(t.metrics.length),
    String(t.alarms),
    String(t.annotations),
    ADDS[kind],
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
const out: string[] = [
  line(rows[0]),
  `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
  ...rows.slice(1).map(line),
];
out.push('');
out.push('Metrics per resource (ours | cdk-monitoring-constructs):');
for (const [resource, kind] of KINDS) {
  out.push(`- ${resource}: ${oursByKind[kind].metrics.join(', ')} | ${theirsByKind[kind].metrics.join(', ')}`);
}
process.stdout.write(`${out.join('\n')}\n`);
