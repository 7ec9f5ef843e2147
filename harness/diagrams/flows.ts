// The message flow of a synthesized template: which resource hands messages to which, and how.
import { asArray, compareText, referencedIds, referencedOfType, TemplateResources } from './template-refs';

/** How messages (or the pressure of waiting messages) move along an edge. */
export type FlowKind = 'publish' | 'subscribe' | 'redrive' | 'read' | 'deliver' | 'scale';

/** One edge of the diagram, between the logical ids of two drawn resources. */
export interface Flow {
  readonly from: string;
  readonly to: string;
  readonly kind: FlowKind;
}

const QUEUE = 'AWS::SQS::Queue';
const CONSUMER = 'AWS::Kinesis::StreamConsumer';
const FUNCTION = 'AWS::Lambda::Function';
const ASG = 'AWS::AutoScaling::AutoScalingGroup';
const ECS_SERVICE = 'AWS::ECS::Service';
const FLINK_APP = 'AWS::KinesisAnalyticsV2::Application';

/**
 * IAM actions that show a worker sending to, or taking from, a resource. Only these count: a grant of
 * anything else (describe, decrypt, logs) is plumbing, not message flow.
 */
const PUBLISH_ACTIONS = [
  'sqs:SendMessage',
  'sqs:SendMessageBatch',
  'sns:Publish',
  'kinesis:PutRecord',
  'kinesis:PutRecords',
  'firehose:PutRecord',
  'firehose:PutRecordBatch',
];
const READ_ACTIONS = ['sqs:ReceiveMessage', 'kinesis:GetRecords', 'kinesis:SubscribeToShard'];

/**
 * Every flow of the template between resources for which `isDrawn` holds, sorted and without duplicates.
 * References are followed through `Ref` and `Fn::GetAtt` only: an ARN spelled out as a string points
 * outside the stack, so there is nothing in the diagram to point to.
 */
export function templateFlows(resources: TemplateResources, isDrawn: (logicalId: string) => boolean): Flow[] {
  const declared: Flow[] = [
    ...subscriptionFlows(resources),
    ...redriveFlows(resources),
    ...readFlows(resources),
    ...deliveryFlows(resources),
    ...scalingFlows(resources),
  ];
  // A grant only adds what the configuration above does not already say: the SendMessage a function is
  // granted on its own dead-letter queue is its redrive, not a second, "publish" edge. Scaling is no
  // message flow, so the workers a queue scales still get the edge of reading it.
  const declaredPairs = new Set(declared.filter((f) => f.kind !== 'scale').map((f) => pairKey(f.from, f.to)));
  const granted = grantFlows(resources).filter((f) => !declaredPairs.has(pairKey(f.from, f.to)));
  const unique = new Map<string, Flow>();
  for (const flow of [...declared, ...granted]) {
    if (flow.from !== flow.to && isDrawn(flow.from) && isDrawn(flow.to)) {
      unique.set(`${flow.from} ${flow.to} ${flow.kind}`, flow);
    }
  }
  return [...unique.values()].sort(compareFlows);
}

function pairKey(a: string, b: string): string {
  return [a, b].sort().join(' ');
}

function compareFlows(a: Flow, b: Flow): number {
  return compareText(a.from, b.from) || compareText(a.to, b.to) || compareText(a.kind, b.kind);
}

function ofType(resources: TemplateResources, type: string): Array<[string, Record<string, any>]> {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

/** Topic → endpoint for each SNS subscription; and the subscription's own dead-letter queue. */
function subscriptionFlows(resources: TemplateResources): Flow[] {
  return ofType(resources, 'AWS::SNS::Subscription').flatMap(([, props]) => {
    const topics = referencedIds(props.TopicArn, resources);
    const endpoints = referencedIds(props.Endpoint, resources);
    const deadLetterQueues = referencedIds(props.RedrivePolicy?.deadLetterTargetArn, resources);
    // The subscription is the topic's, not a box of its own: what it fails to deliver is redriven from the topic.
    return topics.flatMap((topic) => [
      ...endpoints.map((to): Flow => ({ from: topic, to, kind: 'subscribe' })),
      ...deadLetterQueues.map((to): Flow => ({ from: topic, to, kind: 'redrive' })),
    ]);
  });
}

/** Queue → its dead-letter queue; a function (async invocations) or event source mapping → where failures go. */
function redriveFlows(resources: TemplateResources): Flow[] {
  const queueFlows = ofType(resources, QUEUE).flatMap(([id, props]) =>
    referencedIds(props.RedrivePolicy?.deadLetterTargetArn, resources).map((to): Flow => ({
      from: id,
      to,
      kind: 'redrive',
    })),
  );
  const functionFlows = ofType(resources, FUNCTION).flatMap(([id, props]) =>
    referencedIds(props.DeadLetterConfig?.TargetArn, resources).map((to): Flow => ({ from: id, to, kind: 'redrive' })),
  );
  const mappingFlows = ofType(resources, 'AWS::Lambda::EventSourceMapping').flatMap(([, props]) =>
    referencedOfType(props.FunctionName, resources, FUNCTION).flatMap((fn) =>
      referencedIds(props.DestinationConfig?.OnFailure?.Destination, resources).map((to): Flow => ({
        from: fn,
        to,
        kind: 'redrive',
      })),
    ),
  );
  return [...queueFlows, ...functionFlows, ...mappingFlows];
}

/** Source → reader: event source mappings, enhanced fan-out consumers, Firehose's source stream, Flink inputs. */
function readFlows(resources: TemplateResources): Flow[] {
  const mappings = ofType(resources, 'AWS::Lambda::EventSourceMapping').flatMap(([, props]) =>
    referencedIds(props.EventSourceArn, resources).flatMap((source) =>
      referencedOfType(props.FunctionName, resources, FUNCTION).map((to): Flow => ({ from: source, to, kind: 'read' })),
    ),
  );
  const consumers = ofType(resources, CONSUMER).flatMap(([id, props]) =>
    referencedIds(props.StreamARN, resources).map((from): Flow => ({ from, to: id, kind: 'read' })),
  );
  const firehoses = ofType(resources, 'AWS::KinesisFirehose::DeliveryStream').flatMap(([id, props]) =>
    referencedIds(props.KinesisStreamSourceConfiguration?.KinesisStreamARN, resources).map((from): Flow => ({
      from,
      to: id,
      kind: 'read',
    })),
  );
  // SQL applications declare their inputs; Flink applications read what their role may read (grantFlows).
  const sqlInputs = ofType(resources, FLINK_APP).flatMap(([id, props]) =>
    asArray(props.ApplicationConfiguration?.SqlApplicationConfiguration?.Inputs).flatMap((input: any) =>
      referencedIds([input.KinesisStreamsInput, input.KinesisFirehoseInput], resources).map((from): Flow => ({
        from,
        to: id,
        kind: 'read',
      })),
    ),
  );
  return [...mappings, ...consumers, ...firehoses, ...sqlInputs];
}

/** Delivery stream → the bucket it writes to. */
function deliveryFlows(resources: TemplateResources): Flow[] {
  return ofType(resources, 'AWS::KinesisFirehose::DeliveryStream').flatMap(([id, props]) =>
    referencedOfType(
      [props.ExtendedS3DestinationConfiguration?.BucketARN, props.S3DestinationConfiguration?.BucketARN],
      resources,
      'AWS::S3::Bucket',
    ).map((to): Flow => ({ from: id, to, kind: 'deliver' })),
  );
}

/**
 * Queue → the workers whose number follows it: a scaling policy of an Auto Scaling group or ECS service
 * whose metrics, or whose alarms' metrics, are the queue's.
 */
function scalingFlows(resources: TemplateResources): Flow[] {
  const alarmsActingOn = (policy: string) =>
    ofType(resources, 'AWS::CloudWatch::Alarm').filter(([, props]) =>
      referencedIds(props.AlarmActions, resources).includes(policy),
    );
  const queuesWatchedBy = (policy: string, props: Record<string, any>) =>
    referencedOfType([props, ...alarmsActingOn(policy).map(([, alarm]) => alarm)], resources, QUEUE);

  const groupPolicies = ofType(resources, 'AWS::AutoScaling::ScalingPolicy').flatMap(([id, props]) =>
    referencedOfType(props.AutoScalingGroupName, resources, ASG).flatMap((group) =>
      queuesWatchedBy(id, props).map((from): Flow => ({ from, to: group, kind: 'scale' })),
    ),
  );
  const servicePolicies = ofType(resources, 'AWS::ApplicationAutoScaling::ScalingPolicy').flatMap(([id, props]) => {
    const targets = referencedOfType(props.ScalingTargetId, resources, 'AWS::ApplicationAutoScaling::ScalableTarget');
    const services = targets.flatMap((target) =>
      referencedOfType(resources[target].Properties?.ResourceId, resources, ECS_SERVICE),
    );
    return services.flatMap((service) =>
      queuesWatchedBy(id, props).map((from): Flow => ({ from, to: service, kind: 'scale' })),
    );
  });
  return [...groupPolicies, ...servicePolicies];
}

/**
 * Worker → target (publish) and source → worker (read) from the IAM grants of a worker's role. A Flink
 * application that reads through an enhanced fan-out consumer reads the consumer, not the stream.
 */
function grantFlows(resources: TemplateResources): Flow[] {
  const workersByRole = workerRoles(resources);
  const flows: Flow[] = [];
  for (const [role, statements] of roleStatements(resources)) {
    for (const worker of workersByRole.get(role) ?? []) {
      for (const statement of statements) {
        const actions = asArray<string>(statement.Action);
        const targets = referencedIds(statement.Resource, resources);
        if (PUBLISH_ACTIONS.some((action) => allows(actions, action))) {
          flows.push(...targets.map((to): Flow => ({ from: worker, to, kind: 'publish' })));
        }
        if (READ_ACTIONS.some((action) => allows(actions, action))) {
          flows.push(...targets.map((from): Flow => ({ from, to: worker, kind: 'read' })));
        }
      }
    }
  }
  const streamOfConsumer = (id: string) => referencedIds(resources[id].Properties?.StreamARN, resources);
  const readsThroughConsumer = new Set(
    flows
      .filter((f) => f.kind === 'read' && resources[f.from].Type === CONSUMER)
      .flatMap((f) => streamOfConsumer(f.from).map((stream) => `${stream} ${f.to}`)),
  );
  return flows.filter((f) => !(f.kind === 'read' && readsThroughConsumer.has(`${f.from} ${f.to}`)));
}

/** Whether a statement's actions (which may hold wildcards such as `sqs:*`) include `action`. */
function allows(actions: string[], action: string): boolean {
  return actions.some((pattern) => {
    const regex = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    );
    return regex.test(action);
  });
}

/** The Allow statements of every role's identity policies (inline, attached policies and managed policies). */
function roleStatements(resources: TemplateResources): Map<string, any[]> {
  const byRole = new Map<string, any[]>();
  const add = (roles: string[], document: any) => {
    const statements = asArray<any>(document?.Statement).filter((s) => s.Effect === 'Allow');
    for (const role of roles) {
      byRole.set(role, [...(byRole.get(role) ?? []), ...statements]);
    }
  };
  const roleIds = (value: unknown) => referencedOfType(value, resources, 'AWS::IAM::Role');
  for (const [, props] of [...ofType(resources, 'AWS::IAM::Policy'), ...ofType(resources, 'AWS::IAM::ManagedPolicy')]) {
    add(roleIds(props.Roles), props.PolicyDocument);
  }
  for (const [id, props] of ofType(resources, 'AWS::IAM::Role')) {
    for (const policy of asArray<any>(props.Policies)) {
      add([id], policy.PolicyDocument);
    }
  }
  return byRole;
}

/** The workers (functions, Auto Scaling groups, ECS services, Flink applications) that run as each role. */
function workerRoles(resources: TemplateResources): Map<string, string[]> {
  const byRole = new Map<string, string[]>();
  const add = (worker: string, roleValue: unknown) => {
    for (const role of referencedOfType(roleValue, resources, 'AWS::IAM::Role')) {
      byRole.set(role, [...(byRole.get(role) ?? []), worker]);
    }
  };
  const props = (id: string) => resources[id].Properties ?? {};
  for (const [id, fn] of ofType(resources, FUNCTION)) {
    add(id, fn.Role);
  }
  for (const [id, app] of ofType(resources, FLINK_APP)) {
    add(id, app.ServiceExecutionRole);
  }
  for (const [id, service] of ofType(resources, ECS_SERVICE)) {
    for (const task of referencedOfType(service.TaskDefinition, resources, 'AWS::ECS::TaskDefinition')) {
      add(id, props(task).TaskRoleArn);
    }
  }
  // Instances get their role through the launch template's instance profile.
  for (const [id, group] of ofType(resources, ASG)) {
    for (const template of referencedOfType(group.LaunchTemplate, resources, 'AWS::EC2::LaunchTemplate')) {
      const profile = props(template).LaunchTemplateData?.IamInstanceProfile;
      for (const instanceProfile of referencedOfType(profile, resources, 'AWS::IAM::InstanceProfile')) {
        add(id, props(instanceProfile).Roles);
      }
    }
  }
  return byRole;
}
