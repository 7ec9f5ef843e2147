import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { userFunction } from './queue-processing-function.fixtures';
import { TEST_CODE_DIR } from './stream-analytics.fixtures';
import { strictStack } from '../harness/app';
import { complianceFindings, expectCompliant } from '../harness/compliance';
import { OrderFanOutBlueprint } from '../src/blueprints/order-fan-out-blueprint';
import { WorkQueueBlueprint } from '../src/blueprints/work-queue-blueprint';
import { EncryptedStream } from '../src/encrypted-stream';
import { MessageBroker } from '../src/message-broker';
import { MessageBrokerEngine } from '../src/message-broker-engine';
import { QueueProcessingFleet } from '../src/queue-processing-fleet';
import { QueueProcessingFunction } from '../src/queue-processing-function';
import { QueueProcessingService } from '../src/queue-processing-service';
import { StackDashboard } from '../src/stack-dashboard';
import { StreamAnalytics, StreamAnalyticsCode } from '../src/stream-analytics';
import { StreamProcessingFunction } from '../src/stream-processing-function';
import { StreamToS3 } from '../src/stream-to-s3';
import { TopicFanOut } from '../src/topic-fan-out';
import { WorkQueue } from '../src/work-queue';

const DASHBOARD = 'AWS::CloudWatch::Dashboard';

/** An existing VPC, so that it adds no resources of its own. */
function importedVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidrBlock: '10.1.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
    publicSubnetIds: ['subnet-0a1b2c3d4e5f60721', 'subnet-0a1b2c3d4e5f60722'],
    publicSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60721', 'rtb-0a1b2c3d4e5f60722'],
  });
}

/**
 * The dashboard body of the stack as an object: the Fn::Join of the template, with each Ref written
 * `${LogicalId}` and each GetAtt `${LogicalId.Attribute}`.
 */
function dashboardBody(stack: Stack): any {
  const dashboards = Object.values(Template.fromStack(stack).findResources(DASHBOARD));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0].Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body['Fn::Join'][1] as any[])
          .map((part) => {
            if (typeof part === 'string') {
              return part;
            }
            if (part.Ref !== undefined) {
              return `\${${part.Ref}}`;
            }
            if (part['Fn::GetAtt'] !== undefined) {
              return `\${${part['Fn::GetAtt'].join('.')}}`;
            }
            return `\${${JSON.stringify(part).replace(/"/g, "'")}}`;
          })
          .join('');
  return JSON.parse(text);
}

/** The widgets of the group headed `## <title>`: from its header to the next header. */
function group(body: any, title: string): any[] {
  const widgets: any[] = body.widgets;
  const start = widgets.findIndex((w) => w.type === 'text' && w.properties.markdown === `## ${title}`);
  if (start < 0) {
    throw new Error(`no group "${title}" among ${JSON.stringify(headers(body))}`);
  }
  const rest = widgets.slice(start + 1);
  const end = rest.findIndex((w) => w.type === 'text');
  return end < 0 ? rest : rest.slice(0, end);
}

function headers(body: any): string[] {
  return body.widgets.filter((w: any) => w.type === 'text').map((w: any) => w.properties.markdown);
}

function metricNames(widgets: any[]): string[] {
  return widgets.flatMap((w) =>
    (w.properties.metrics ?? []).map((m: any[]) =>
      typeof m[0] === 'string' ? m[1] : (m[0].expression ?? m[m.length - 1].expression),
    ),
  );
}

function widgetTitled(widgets: any[], title: string): any {
  const widget = widgets.find((w) => w.properties.title === title);
  if (widget === undefined) {
    throw new Error(`no widget "${title}" among ${JSON.stringify(widgets.map((w) => w.properties.title))}`);
  }
  return widget;
}

function alarmArns(widgets: any[]): string[] {
  return widgets.filter((w) => w.type === 'alarm').flatMap((w) => w.properties.alarms);
}

function arnOf(stack: Stack, alarm: cloudwatch.Alarm): string {
  return `\${${stack.getLogicalId(alarm.node.defaultChild as cloudwatch.CfnAlarm)}.Arn}`;
}

/** A stack with every construct of the library that has a dashboard group. */
function everyConstruct(stack: Stack = strictStack()) {
  const vpc = importedVpc(stack);
  const jobs = new WorkQueue(stack, 'Jobs', {
    visibilityTimeout: Duration.minutes(5),
    oldestMessageAgeAlarmThreshold: Duration.minutes(10),
  });
  const fanOut = new TopicFanOut(stack, 'Orders');
  fanOut.addQueue('Billing');
  const stream = new EncryptedStream(stack, 'Events');
  const delivery = new StreamToS3(stack, 'Archive', { stream });
  const fleet = new QueueProcessingFleet(stack, 'Fleet', {
    queue: jobs,
    vpc,
    acceptableLatency: Duration.seconds(10),
    processingTimePerMessage: Duration.millis(100),
  });
  const service = new QueueProcessingService(stack, 'Service', {
    queue: new WorkQueue(stack, 'Tasks', { visibilityTimeout: Duration.minutes(5) }),
    vpc,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.37'),
    acceptableLatency: Duration.seconds(10),
    processingTimePerMessage: Duration.millis(100),
  });
  const consumer = new QueueProcessingFunction(stack, 'Consumer', {
    queue: new WorkQueue(stack, 'Invocations'),
    handler: userFunction(stack),
  });
  const broker = new MessageBroker(stack, 'Broker', { vpc });
  const rabbit = new MessageBroker(stack, 'Rabbit', {
    vpc,
    engine: MessageBrokerEngine.RABBITMQ_3_13,
    highAvailability: false,
  });
  const analytics = new StreamAnalytics(stack, 'Analytics', {
    stream,
    code: StreamAnalyticsCode.fromAsset(TEST_CODE_DIR),
  });
  const reader = new StreamProcessingFunction(stack, 'Reader', { stream, handler: userFunction(stack, 'ReaderFn') });
  return { stack, jobs, fanOut, stream, delivery, fleet, service, consumer, broker, rabbit, analytics, reader };
}

describe('StackDashboard', () => {
  test('one dashboard per stack, one group per construct in the order they were created', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'First');
    new WorkQueue(stack, 'Second');
    new EncryptedStream(stack, 'Stream');
    new TopicFanOut(stack, 'Fan');

    Template.fromStack(stack).resourceCountIs(DASHBOARD, 1);
    expect(headers(dashboardBody(stack))).toEqual([
      '## WorkQueue Stack/First',
      '## WorkQueue Stack/Second',
      '## EncryptedStream Stack/Stream',
      '## TopicFanOut Stack/Fan',
    ]);
    expect(StackDashboard.of(stack).node.path).toBe('Stack/DecouplingPatternsDashboard');
    expect(dashboardBody(stack).start).toBe('-PT3H');
  });

  test('every construct has its widgets, with its alarms listed and their thresholds drawn', () => {
    const c = everyConstruct();
    const stack = c.stack;
    const body = dashboardBody(stack);

    const queue = group(body, 'WorkQueue Stack/Jobs');
    expect(metricNames(queue)).toEqual(
      expect.arrayContaining([
        'ApproximateNumberOfMessagesVisible',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateAgeOfOldestMessage',
      ]),
    );
    expect(alarmArns(queue)).toEqual(c.jobs.alarms.map((alarm) => arnOf(stack, alarm)));
    const age = widgetTitled(queue, 'Age of the oldest message');
    expect(age.properties.annotations.horizontal).toEqual([
      expect.objectContaining({ value: 600, label: expect.stringMatching(/^OldestMessageAgeAlarm: /) }),
    ]);
    const deadLetters = widgetTitled(queue, 'Dead-letter queue');
    expect(deadLetters.properties.annotations.horizontal.map((a: any) => a.label)).toEqual([
      expect.stringMatching(/^DeadLetterQueueNotEmptyAlarm: /),
      expect.stringMatching(/^DeadLetterQueueMessageAgeAlarm: /),
    ]);

    const fanOut = group(body, 'TopicFanOut Stack/Orders');
    expect(metricNames(fanOut)).toEqual(
      expect.arrayContaining([
        'NumberOfMessagesPublished',
        'NumberOfNotificationsDelivered',
        'NumberOfNotificationsFailed',
        'NumberOfNotificationsRedrivenToDlq',
        'NumberOfNotificationsFailedToRedriveToDlq',
      ]),
    );
    expect(alarmArns(fanOut)).toEqual(c.fanOut.alarms.map((alarm) => arnOf(stack, alarm)));
    const perSubscriber = widgetTitled(fanOut, 'Dead-letter queue depth per subscriber');
    expect(perSubscriber.properties.metrics.map((m: any[]) => m[m.length - 1].label)).toEqual(['Shared: Billing']);
    // The queue addQueue made has its own group; the shared subscription dead-letter queue has none.
    expect(headers(body)).toContain('## WorkQueue Stack/Orders/Queues/Billing');
    expect(headers(body).some((h) => h.includes('SubscriptionDeadLetterQueue'))).toBe(false);

    const stream = group(body, 'EncryptedStream Stack/Events');
    expect(metricNames(stream)).toEqual(
      expect.arrayContaining([
        'IncomingRecords',
        'IncomingBytes',
        'GetRecords.IteratorAgeMilliseconds',
        'ReadProvisionedThroughputExceeded',
        'WriteProvisionedThroughputExceeded',
      ]),
    );
    expect(alarmArns(stream)).toEqual(c.stream.alarms.map((alarm) => arnOf(stack, alarm)));

    const delivery = group(body, 'StreamToS3 Stack/Archive');
    expect(metricNames(delivery)).toEqual(
      expect.arrayContaining(['DeliveryToS3.DataFreshness', 'DeliveryToS3.Success', 'IncomingRecords']),
    );
    expect(alarmArns(delivery)).toEqual(c.delivery.alarms.map((alarm) => arnOf(stack, alarm)));

    const fleet = group(body, 'QueueProcessingFleet Stack/Fleet');
    expect(metricNames(fleet)).toEqual(
      expect.arrayContaining(['m1 / m2', 'GroupInServiceInstances', 'GroupDesiredCapacity']),
    );
    const backlog = widgetTitled(fleet, 'Backlog per instance');
    expect(backlog.properties.annotations.horizontal).toEqual([
      expect.objectContaining({ value: c.fleet.backlogPerInstanceTarget, label: expect.stringMatching(/^Target/) }),
      expect.objectContaining({
        value: c.fleet.backlogPerInstanceTarget * 2,
        label: expect.stringMatching(/^BacklogPerInstanceAlarm: /),
      }),
    ]);
    expect(alarmArns(fleet)).toEqual(c.fleet.alarms.map((alarm) => arnOf(stack, alarm)));

    const service = group(body, 'QueueProcessingService Stack/Service');
    expect(metricNames(service)).toEqual(expect.arrayContaining(['m1 / m2', 'RunningTaskCount', 'DesiredTaskCount']));
    expect(widgetTitled(service, 'Backlog per task').properties.annotations.horizontal[0].value).toBe(
      c.service.backlogPerTaskTarget,
    );
    expect(alarmArns(service)).toEqual(c.service.alarms.map((alarm) => arnOf(stack, alarm)));

    const consumer = group(body, 'QueueProcessingFunction Stack/Consumer');
    expect(metricNames(consumer)).toEqual(
      expect.arrayContaining([
        'ApproximateNumberOfMessagesVisible',
        'ApproximateAgeOfOldestMessage',
        'ConcurrentExecutions',
        'Errors',
        'Throttles',
      ]),
    );
    expect(alarmArns(consumer)).toEqual(c.consumer.alarms.map((alarm) => arnOf(stack, alarm)));

    const broker = group(body, 'MessageBroker Stack/Broker');
    expect(metricNames(broker)).toEqual(
      expect.arrayContaining(['CpuUtilization', 'HeapUsage', 'StorePercentUsage', 'CurrentConnectionsCount']),
    );
    // Active/standby: one line per instance, -1 and -2.
    const cpu = widgetTitled(broker, 'CPU utilization (%)');
    expect(cpu.properties.metrics.map((m: any[]) => m[3])).toEqual([
      `${c.broker.brokerName}-1`,
      `${c.broker.brokerName}-2`,
    ]);
    expect(alarmArns(broker)).toEqual(c.broker.alarms.map((alarm) => arnOf(stack, alarm)));
    const rabbit = group(body, 'MessageBroker Stack/Rabbit');
    expect(JSON.stringify(rabbit)).toContain('{AWS/AmazonMQ,Broker,Node} MetricName=\\"SystemCpuUtilization\\"');
    expect(alarmArns(rabbit)).toEqual(c.rabbit.alarms.map((alarm) => arnOf(stack, alarm)));

    const analytics = group(body, 'StreamAnalytics Stack/Analytics');
    expect(alarmArns(analytics)).toEqual(c.analytics.alarms.map((alarm) => arnOf(stack, alarm)));
    expect(metricNames(analytics)).toEqual(
      expect.arrayContaining(['restartingTime', 'failingTime', 'millisBehindLatest']),
    );
    const reader = group(body, 'StreamProcessingFunction Stack/Reader');
    expect(alarmArns(reader)).toEqual(c.reader.alarms.map((alarm) => arnOf(stack, alarm)));
  });

  test('subscribers added after the fan-out are on its group, each dead-letter queue once', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Fan');
    fanOut.addQueue('A');
    fanOut.addQueue('B');
    const ownDeadLetters = new WorkQueue(stack, 'OwnDlq');
    fanOut.addQueue('C', { deadLetterQueue: ownDeadLetters });

    const perSubscriber = widgetTitled(
      group(dashboardBody(stack), 'TopicFanOut Stack/Fan'),
      'Dead-letter queue depth per subscriber',
    );
    expect(perSubscriber.properties.metrics.map((m: any[]) => m[m.length - 1].label)).toEqual(['Shared: A, B', 'C']);
    expect(alarmArns(group(dashboardBody(stack), 'TopicFanOut Stack/Fan'))).toEqual(
      fanOut.alarms.map((alarm) => arnOf(stack, alarm)),
    );
  });

  test('a construct with dashboard: false has no group; with no group at all the stack has no dashboard', () => {
    const quiet = strictStack();
    new WorkQueue(quiet, 'Quiet', { dashboard: false });
    Template.fromStack(quiet).resourceCountIs(DASHBOARD, 0);

    const mixed = strictStack();
    new WorkQueue(mixed, 'Quiet', { dashboard: false });
    new WorkQueue(mixed, 'Loud');
    expect(headers(dashboardBody(mixed))).toEqual(['## WorkQueue Stack/Loud']);
  });

  test('a fan-out with dashboard: false takes its queues off the dashboard too', () => {
    const stack = strictStack();
    const fanOut = new TopicFanOut(stack, 'Fan', { dashboard: false });
    fanOut.addQueue('A');
    Template.fromStack(stack).resourceCountIs(DASHBOARD, 0);
  });

  test.each([
    ['before', true],
    ['after', false],
  ])('StackDashboard.disable %s the constructs leaves no dashboard', (_when, before) => {
    const stack = strictStack();
    if (before) {
      StackDashboard.disable(stack);
    }
    new WorkQueue(stack, 'Queue');
    new TopicFanOut(stack, 'Fan').addQueue('A');
    if (!before) {
      StackDashboard.disable(stack);
    }
    new EncryptedStream(stack, 'Later');
    StackDashboard.of(stack).addWidgetGroup('Mine', [new cloudwatch.TextWidget({ markdown: 'x' })]);

    Template.fromStack(stack).resourceCountIs(DASHBOARD, 0);
    expect(StackDashboard.of(stack).enabled).toBe(false);
  });

  test('disabling one stack leaves the others their dashboard', () => {
    const app = new App();
    const quiet = new Stack(app, 'Quiet');
    const loud = new Stack(app, 'Loud');
    StackDashboard.disable(quiet);
    new WorkQueue(quiet, 'Queue');
    new WorkQueue(loud, 'Queue');
    Template.fromStack(quiet).resourceCountIs(DASHBOARD, 0);
    Template.fromStack(loud).resourceCountIs(DASHBOARD, 1);
  });

  test('addWidgetGroup adds a group of the given widgets after the others', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'Queue');
    StackDashboard.of(stack).addWidgetGroup('Orders API', [new cloudwatch.TextWidget({ markdown: 'hello' })]);
    const body = dashboardBody(stack);
    expect(headers(body)).toEqual(['## WorkQueue Stack/Queue', '## Orders API', 'hello']);
    expect(body.widgets[body.widgets.length - 2]).toMatchObject({ width: 24, height: 1 });
  });

  test.each([
    ['WorkQueue', (stack: Stack) => new WorkQueue(stack, 'Subject', { dashboard: 'no' as any })],
    ['TopicFanOut', (stack: Stack) => new TopicFanOut(stack, 'Subject', { dashboard: 'no' as any })],
    ['EncryptedStream', (stack: Stack) => new EncryptedStream(stack, 'Subject', { dashboard: 'no' as any })],
    ['StreamToS3', (stack: Stack) => new StreamToS3(stack, 'Subject', { dashboard: 'no' as any })],
    [
      'QueueProcessingFunction',
      (stack: Stack) =>
        new QueueProcessingFunction(stack, 'Subject', {
          queue: new WorkQueue(stack, 'Jobs'),
          handler: userFunction(stack),
          dashboard: 'no' as any,
        }),
    ],
    [
      'StreamProcessingFunction',
      (stack: Stack) =>
        new StreamProcessingFunction(stack, 'Subject', {
          stream: new EncryptedStream(stack, 'Events'),
          handler: userFunction(stack),
          dashboard: 'no' as any,
        }),
    ],
    [
      'MessageBroker',
      (stack: Stack) => new MessageBroker(stack, 'Subject', { vpc: importedVpc(stack), dashboard: 'no' as any }),
    ],
  ])('%s refuses a dashboard prop that is not a boolean, naming the construct and the prop', (_name, build) => {
    const stack = strictStack();
    expect(() => build(stack)).toThrow('[Stack/Subject] dashboard must be true or false, got "no"');
  });

  test('the reserved id is refused to other constructs', () => {
    const stack = strictStack();
    new cloudwatch.Dashboard(stack, 'DecouplingPatternsDashboard');
    expect(() => new WorkQueue(stack, 'Queue')).toThrow(
      /\[Stack\/DecouplingPatternsDashboard\] id is reserved by cdk-decoupling-patterns for the stack-wide dashboard/,
    );
  });

  test('of and disable want a construct in a stack', () => {
    expect(() => StackDashboard.of('Stack' as any)).toThrow('[StackDashboard] of scope must be a construct in a stack');
    expect(() => StackDashboard.disable(new App())).toThrow(/disable scope must be a construct within a Stack/);
  });

  test('the dashboard adds no compliance finding to a stack with every construct', () => {
    // The user's own functions and the single-instance RabbitMQ broker have findings of their own: the stack
    // with its dashboard has exactly the findings of the same stack without one.
    const withDashboard = everyConstruct().stack;
    const withoutDashboard = strictStack();
    StackDashboard.disable(withoutDashboard);
    everyConstruct(withoutDashboard);
    Template.fromStack(withDashboard).resourceCountIs(DASHBOARD, 1);
    Template.fromStack(withoutDashboard).resourceCountIs(DASHBOARD, 0);
    const findings = (stack: Stack) => complianceFindings(stack).map((f) => `${f.path} ${f.rule}`);
    expect(findings(withDashboard)).toEqual(findings(withoutDashboard));
    expect(findings(withDashboard).filter((f) => f.includes('Dashboard'))).toEqual([]);
  });

  test('a stack of queues and a fan-out with their dashboard is compliant', () => {
    const stack = strictStack();
    new WorkQueue(stack, 'Queue');
    new TopicFanOut(stack, 'Fan').addQueue('A');
    new EncryptedStream(stack, 'Stream');
    Template.fromStack(stack).resourceCountIs(DASHBOARD, 1);
    expectCompliant(stack);
  });

  test('blueprint dashboards (snapshot)', () => {
    const app = new App();
    const workQueue = new WorkQueueBlueprint(app, 'WorkQueueBlueprint');
    const orders = new OrderFanOutBlueprint(app, 'OrderFanOutBlueprint');
    expect(dashboardBody(workQueue)).toMatchSnapshot();
    expect(dashboardBody(orders)).toMatchSnapshot();
  });
});
