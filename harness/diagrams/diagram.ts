// A blueprint's architecture diagram, in Graphviz DOT, from its synthesized stack: the construct tree
// gives the boxes (one per construct of this library), the template gives the resources and the arrows.
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct, IConstruct } from 'constructs';
import { Flow, FlowKind, templateFlows } from './flows';
import { compareText, referencedIds, TemplateResources } from './template-refs';
import * as library from '../../src';

/** How a drawn resource type is named in its box, and its colour (AWS's service category colours, lightened). */
const DRAWN_TYPES: Readonly<Record<string, { readonly kind: string; readonly fill: string }>> = {
  'AWS::SQS::Queue': { kind: 'SQS queue', fill: '#f9d0e0' },
  'AWS::SNS::Topic': { kind: 'SNS topic', fill: '#f9d0e0' },
  'AWS::AmazonMQ::Broker': { kind: 'Amazon MQ broker', fill: '#f9d0e0' },
  'AWS::Kinesis::Stream': { kind: 'Kinesis data stream', fill: '#e3d4f7' },
  'AWS::Kinesis::StreamConsumer': { kind: 'Enhanced fan-out consumer', fill: '#e3d4f7' },
  'AWS::KinesisFirehose::DeliveryStream': { kind: 'Firehose stream', fill: '#e3d4f7' },
  'AWS::KinesisAnalyticsV2::Application': { kind: 'Managed Flink application', fill: '#e3d4f7' },
  'AWS::S3::Bucket': { kind: 'S3 bucket', fill: '#d5efc4' },
  'AWS::Lambda::Function': { kind: 'Lambda function', fill: '#fde0c2' },
  'AWS::AutoScaling::AutoScalingGroup': { kind: 'EC2 Auto Scaling group', fill: '#fde0c2' },
  'AWS::ECS::Service': { kind: 'ECS service', fill: '#fde0c2' },
  'AWS::EC2::VPC': { kind: 'VPC', fill: '#e6e6fa' },
};

/** Resource types too many or too low-level to draw, counted in their box's label instead. */
const COUNTED_TYPES: Readonly<Record<string, readonly [singular: string, plural: string]>> = {
  'AWS::CloudWatch::Alarm': ['alarm', 'alarms'],
  'AWS::KMS::Key': ['KMS key', 'KMS keys'],
  'AWS::EC2::VPCEndpoint': ['VPC endpoint', 'VPC endpoints'],
  'AWS::SNS::Subscription': ['subscription', 'subscriptions'],
  'AWS::Lambda::EventSourceMapping': ['event source mapping', 'event source mappings'],
};

const EDGE_STYLES: Readonly<Record<FlowKind, string>> = {
  publish: 'color="#1f4e79"',
  subscribe: 'color="#b0306a"',
  read: 'color="#4b2a85"',
  deliver: 'color="#2e6b1f"',
  redrive: 'color="#c0392b", style=dashed',
  scale: 'color="#7f7f7f", style=dotted',
};

/** A class of this library's public API, by the name it is exported under. */
type LibraryClass = readonly [name: string, type: abstract new (...args: any[]) => Construct];

/** The construct classes exported from src/index.ts (the blueprints are stacks, in a submodule of their own). */
const LIBRARY_CLASSES: readonly LibraryClass[] = Object.entries(library)
  .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Construct)
  .map(([name, value]) => [name, value as LibraryClass[1]] as const)

  .sort(([a], [b]) => compareText(a, b));

/** The most specific exported class `construct` is an instance of, if any. */
function libraryClassOf(construct: IConstruct): string | undefined {
  const matches = LIBRARY_CLASSES.filter(([, type]) => construct instanceof type);
  const mostSpecific = matches.filter(
    ([, type]) => !matches.some(([, other]) => other !== type && other.prototype instanceof type),
  );
  return mostSpecific[0]?.[0];
}

/** A box of the diagram: a construct of the library, or a top-level construct of the stack that is not one. */
interface Cluster {
  readonly construct: IConstruct;
  readonly className: string;
  readonly children: Cluster[];
  readonly nodes: DrawnResource[];
  readonly counts: Map<string, number>;
}

interface DrawnResource {
  readonly logicalId: string;
  readonly type: string;
  readonly name: string;
}

/**
 * The architecture diagram of `stack` (already part of an app that synthesizes), in DOT. The same stack
 * always gives the same text: everything is sorted, and ids are logical ids and construct paths.
 */
export function stackDiagram(stack: Stack): string {
  const resources = Template.fromStack(stack).toJSON().Resources as TemplateResources;
  const plumbing = deploymentPlumbing(resources);
  const root: Cluster = { construct: stack, className: 'Stack', children: [], nodes: [], counts: new Map() };
  const clusters = new Map<IConstruct, Cluster>([[stack, root]]);

  for (const resource of stack.node.findAll().filter(CfnResource.isCfnResource)) {
    if (Stack.of(resource) !== stack) {
      continue; // a nested stack's resources are its own diagram's
    }
    const logicalId = stack.resolve(resource.logicalId) as string;
    const type = resources[logicalId]?.Type;
    if (type === undefined || plumbing.has(logicalId)) {
      continue;
    }
    const owner = owningCluster(resource, stack, clusters);
    if (DRAWN_TYPES[type] !== undefined) {
      owner.nodes.push({ logicalId, type, name: nameWithin(owner.construct, resource) });
    } else if (COUNTED_TYPES[type] !== undefined) {
      owner.counts.set(type, (owner.counts.get(type) ?? 0) + 1);
    }
  }

  const drawn = new Set([...clusters.values()].flatMap((c) => c.nodes.map((n) => n.logicalId)));
  const flows = templateFlows(resources, (id) => drawn.has(id));
  return toDot(stack, root, flows);
}

/**
 * The box `resource` belongs in: its innermost ancestor of the library's classes, inside the boxes of the
 * library's ancestors above it; a resource outside every library construct goes in the box of its
 * top-level construct.
 */
function owningCluster(resource: CfnResource, stack: Stack, clusters: Map<IConstruct, Cluster>): Cluster {
  const ancestors = resource.node.scopes.slice(resource.node.scopes.indexOf(stack) + 1);
  let current = clusters.get(stack)!;
  ancestors.forEach((construct, depth) => {
    const className = libraryClassOf(construct) ?? (depth === 0 ? construct.constructor.name : undefined);
    if (className === undefined) {
      return;
    }
    let cluster = clusters.get(construct);
    if (cluster === undefined) {
      cluster = { construct, className, children: [], nodes: [], counts: new Map() };
      clusters.set(construct, cluster);
      current.children.push(cluster);
    }
    current = cluster;
  });
  return current;
}

/**
 * The name of a resource within its box: its path below the box's construct, without the `Resource` and
 * `Default` ids aws-cdk-lib gives every L1 (and without an id repeated, as in `Service/Service`).
 */
function nameWithin(owner: IConstruct, resource: IConstruct): string {
  const ids = resource.node.scopes
    .slice(owner.node.scopes.length)
    .map((c) => c.node.id)
    .filter((id) => id !== 'Resource' && id !== 'Default')
    .filter((id, i, all) => id !== all[i - 1]);
  return ids.length > 0 ? ids.join('/') : owner.node.id;
}

/**
 * What a stack holds only to deploy itself, not to move messages: the functions behind custom resources
 * (and the queues for their failed invocations).
 */
function deploymentPlumbing(resources: TemplateResources): Set<string> {
  const customResources = Object.values(resources).filter(
    (r) => r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource',
  );
  const handlers = customResources.flatMap((r) => referencedIds(r.Properties?.ServiceToken, resources));
  const handlerQueues = handlers.flatMap((id) =>
    referencedIds(resources[id].Properties?.DeadLetterConfig?.TargetArn, resources),
  );
  return new Set([...handlers, ...handlerQueues]);
}

function toDot(stack: Stack, root: Cluster, flows: Flow[]): string {
  const lines = [
    `digraph ${quote(stack.node.id)} {`,
    `  graph [label=${quote(stack.node.id)}, labelloc=t, fontname="Helvetica", fontsize=16, rankdir=LR, nodesep=0.3, ranksep=0.7, newrank=true];`,
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11, color="#555555"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    ...sortedClusters(root.children).flatMap((c) => clusterLines(stack, c, '  ')),
    ...sortedNodes(root.nodes).map((n) => `  ${nodeLine(n)}`),
    ...flows.map((f) => `  ${quote(f.from)} -> ${quote(f.to)} [label=${quote(f.kind)}, ${EDGE_STYLES[f.kind]}];`),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

function clusterLines(stack: Stack, cluster: Cluster, indent: string): string[] {
  const path = cluster.construct.node.scopes
    .slice(stack.node.scopes.length)
    .map((c) => c.node.id)
    .join('/');
  const counts = [...cluster.counts.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([type, count]) => `${count} ${COUNTED_TYPES[type][count === 1 ? 0 : 1]}`);
  const label = [cluster.className, path, ...(counts.length > 0 ? [counts.join(', ')] : [])];
  const inner = [
    ...sortedClusters(cluster.children).flatMap((c) => clusterLines(stack, c, `${indent}  `)),
    ...sortedNodes(cluster.nodes).map((n) => `${indent}  ${nodeLine(n)}`),
  ];
  if (inner.length === 0 && counts.length === 0) {
    return []; // nothing worth a box (security groups, roles, policies only)
  }
  // Graphviz draws no box around nothing: a box with only counted resources gets a dot to hold its label.
  const placeholder =
    inner.length === 0 ? [`${indent}  ${quote(`${path} (contents)`)} [shape=point, style=invis];`] : [];
  return [
    `${indent}subgraph ${quote(`cluster_${path}`)} {`,
    `${indent}  label=${leftAligned(label)}; labeljust=l; style="rounded"; color="#8c8c8c"; fontsize=11;`,
    ...inner,
    ...placeholder,
    `${indent}}`,
  ];
}

function sortedClusters(clusters: Cluster[]): Cluster[] {
  return [...clusters].sort((a, b) => compareText(a.construct.node.path, b.construct.node.path));
}

function sortedNodes(nodes: DrawnResource[]): DrawnResource[] {
  return [...nodes].sort((a, b) => compareText(a.logicalId, b.logicalId));
}

function nodeLine(node: DrawnResource): string {
  const drawn = DRAWN_TYPES[node.type];
  return `${quote(node.logicalId)} [label=${quote(`${drawn.kind}\n${node.name}`)}, fillcolor=${quote(drawn.fill)}];`;
}

/** A DOT string literal; a line break becomes DOT's centred `\n`. */
function quote(text: string): string {
  return `"${escapeDot(text).replace(/\n/g, '\\n')}"`;
}

/** A DOT string literal of left-aligned lines (in DOT, `\l` ends a line and aligns it left). */
function leftAligned(lines: string[]): string {
  return `"${lines.map((line) => `${escapeDot(line)}\\l`).join('')}"`;
}

function escapeDot(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
