import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { logicalId } from '../harness/app';
import { blueprintStacks } from '../harness/diagrams';
import { blueprints, WorkQueue } from '../src';
import { BlueprintDiagram, DIAGRAMS_DIR, renderBlueprintDiagrams } from '../tools/diagrams';

const BLUEPRINTS = [
  'BrokerMigrationBlueprint',
  'OrderFanOutBlueprint',
  'PrivateWorkersBlueprint',
  'TelemetryBlueprint',
  'VideoEncodingBlueprint',
  'WorkQueueBlueprint',
];

let stacks: Stack[];
let diagrams: Record<string, BlueprintDiagram>;

beforeAll(() => {
  stacks = blueprintStacks();
  diagrams = renderBlueprintDiagrams(stacks);
});

function stackNamed<T extends Stack>(name: string): T {
  return stacks.find((s) => s.stackName === name) as T;
}

/** The edges of a DOT graph as `from -> to (label)`. */
function edges(dot: string): string[] {
  return [...dot.matchAll(/^\s*"([^"]+)" -> "([^"]+)" \[label="([a-z]+)"/gm)].map(
    ([, from, to, kind]) => `${from} -> ${to} (${kind})`,
  );
}

/** The labels of the clusters of a DOT graph, one line of the label after another. */
function clusterLabels(dot: string): string[][] {
  return [...dot.matchAll(/subgraph "cluster_[^"]*" \{\n\s*label="([^"]*)"/g)].map(([, label]) =>
    label.split('\\l').filter((line) => line !== ''),
  );
}

test('every blueprint of the app has a diagram', () => {
  expect(Object.keys(diagrams).sort()).toEqual(BLUEPRINTS);
});

describe.each(BLUEPRINTS)('docs/diagrams/%s', (name) => {
  test.each(['dot', 'svg'] as const)(`.%s is what the ${name} blueprint generates`, (format) => {
    const file = path.join(DIAGRAMS_DIR, `${name}.${format}`);
    const committed = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (committed !== diagrams[name][format]) {
      throw new Error(
        `${path.relative(process.cwd(), file)} is ${committed === undefined ? 'missing' : 'stale'}: ` +
          'the blueprint changed since the diagram was generated. Run `npx projen diagrams` and commit docs/diagrams.',
      );
    }
  });

  test('is a standalone SVG document', () => {
    const svg = diagrams[name].svg;
    expect(svg).toMatch(/^<\?xml [^>]*\?>\s*<!DOCTYPE svg/);
    expect(svg.trimEnd()).toMatch(/<\/svg>$/);
    expect(svg.length).toBeLessThan(200_000);
  });

  test('labels each box with its construct class and path', () => {
    const labels = clusterLabels(diagrams[name].dot);
    expect(labels.length).toBeGreaterThan(0);
    for (const [className, constructPath] of labels) {
      expect(className).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(stackNamed(name).node.tryFindChild(constructPath.split('/')[0])).toBeDefined();
    }
  });
});

test('the same blueprints give byte-identical diagrams', () => {
  expect(renderBlueprintDiagrams(blueprintStacks())).toEqual(diagrams);
});

test('OrderFanOutBlueprint: the topic feeds each queue, which redrives to its own dead-letter queue', () => {
  const stack = stackNamed<blueprints.OrderFanOutBlueprint>('OrderFanOutBlueprint');
  const topic = logicalId(stack.orderPlaced.topic);
  const subscriptionDeadLetterQueue = stack.orderPlaced.node.findChild('SubscriptionDeadLetterQueue') as WorkQueue;
  const drawn = edges(diagrams.OrderFanOutBlueprint.dot);
  for (const queue of [stack.fulfilment, stack.billing, stack.analytics]) {
    expect(drawn).toContain(`${topic} -> ${logicalId(queue.queue)} (subscribe)`);
    expect(drawn).toContain(`${logicalId(queue.queue)} -> ${logicalId(queue.deadLetterQueue)} (redrive)`);
  }
  // What SNS fails to deliver to any subscriber goes to the subscriptions' own dead-letter queue.
  expect(drawn).toContain(`${topic} -> ${logicalId(subscriptionDeadLetterQueue.queue)} (redrive)`);
  expect(clusterLabels(diagrams.OrderFanOutBlueprint.dot)).toContainEqual(
    expect.arrayContaining(['WorkQueue', 'OrderPlaced/Queues/Billing']),
  );
  expect(clusterLabels(diagrams.OrderFanOutBlueprint.dot)).toContainEqual(
    expect.arrayContaining(['TopicFanOut', 'OrderPlaced']),
  );
});

test('WorkQueueBlueprint: the queue redrives to its dead-letter queue, inside the WorkQueue box', () => {
  const stack = stackNamed<blueprints.WorkQueueBlueprint>('WorkQueueBlueprint');
  const jobs = stack.jobs;
  const dot = diagrams.WorkQueueBlueprint.dot;
  expect(edges(dot)).toEqual([`${logicalId(jobs.queue)} -> ${logicalId(jobs.deadLetterQueue)} (redrive)`]);
  expect(clusterLabels(dot)).toContainEqual(['WorkQueue', 'EncodingJobs', '3 alarms, 1 KMS key']);
  // Alarms are counted, not drawn.
  expect(dot).not.toContain(logicalId(jobs.deadLetterQueueNotEmptyAlarm));
});

test('workers are scaled by, and read, their queue; streams are read and delivered', () => {
  const video = edges(diagrams.VideoEncodingBlueprint.dot);
  expect(video.filter((e) => e.endsWith('(scale)'))).toHaveLength(1);
  expect(video.filter((e) => e.endsWith('(read)'))).toHaveLength(1);
  const workers = edges(diagrams.PrivateWorkersBlueprint.dot);
  expect(workers.filter((e) => e.endsWith('(scale)'))).toHaveLength(1);
  expect(workers.filter((e) => e.endsWith('(read)'))).toHaveLength(3);
  const telemetry = edges(diagrams.TelemetryBlueprint.dot);
  expect(telemetry.filter((e) => e.endsWith('(deliver)'))).toHaveLength(1);
  expect(telemetry.filter((e) => e.endsWith('(publish)'))).toHaveLength(1);
});
