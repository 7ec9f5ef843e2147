import { App, CfnElement, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as fc from 'fast-check';
import { strictApp } from '../harness/app';
import {
  attempt,
  durationAround,
  enumOrForeign,
  expectLibraryError,
  nameAround,
  numberAround,
  numberToken,
  propertyParameters,
  reportCases,
  stringToken,
  TemplateBatch,
} from '../harness/properties';
import {
  MessageBroker,
  MessageBrokerDayOfWeek,
  MessageBrokerProps,
  MessageBrokerProtocol,
} from '../src/message-broker';
import { MessageBrokerEngine, MessageBrokerEngineType } from '../src/message-broker-engine';

// Props and method calls of a MessageBroker generated inside, at and beyond every limit. Each case ends in a
// library error that names the broker, the prop (or method argument), the value and the rule, or in a template
// that passes the strict validator and cfn-lint and holds what the case asked for.

const ENV = { account: '123456789012', region: 'us-east-1' };
const ZONES = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const PORTS: Record<string, number> = {
  OPENWIRE: 61617,
  AMQP: 5671,
  STOMP: 61614,
  MQTT: 8883,
  WSS: 61619,
};

/** A value a case asks for: given as is, or as a token that resolves to `resolved`. */
interface Asked<T> {
  readonly token?: boolean;
  readonly value: T;
}

const literal = <T>(value: T): Asked<T> => ({ value });
const asToken = <T>(value: T): Asked<T> => ({ token: true, value });

function materializeString(asked: Asked<unknown> | undefined): unknown {
  if (asked === undefined) {
    return undefined;
  }
  return asked.token ? stringToken(String(asked.value)) : asked.value;
}

function materializeNumber(asked: Asked<unknown> | undefined): unknown {
  if (asked === undefined) {
    return undefined;
  }
  return asked.token ? numberToken(Number(asked.value)) : asked.value;
}

/** Strings, tokens among them, resolved at synth to what was asked. */
function stringsAround(values: unknown[], tokenValue: string): fc.Arbitrary<Asked<unknown>> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...values).map(literal) },
    { weight: 1, arbitrary: fc.constant(asToken(tokenValue)) },
  );
}

/** A number spec from `numberAround`, whose token resolves to `tokenValue`. */
function numbersAround(limits: number[], tokenValue: number): fc.Arbitrary<Asked<unknown>> {
  return numberAround(limits).map((n) => (Token.isUnresolved(n) ? asToken(tokenValue) : literal(n)));
}

function namesAround(maxLength: number, validChars: string, tokenValue: string): fc.Arbitrary<Asked<unknown>> {
  return nameAround(maxLength, validChars).map((name) =>
    Token.isUnresolved(name) ? asToken(tokenValue) : literal(name),
  );
}

type VpcKind = 'private3' | 'isolated3' | 'private1' | 'missing' | 'notAVpc';
type EngineSpec =
  | { readonly kind: 'constant'; readonly name: 'ACTIVEMQ_5_19' | 'ACTIVEMQ_5_18' | 'RABBITMQ_3_13' | 'RABBITMQ_4_2' }
  | { readonly kind: 'of'; readonly engineType: string; readonly version: Asked<unknown> }
  | { readonly kind: 'raw'; readonly value: unknown };
type PeerKind = 'securityGroup' | 'connections' | 'securityGroupId' | 'cidr' | 'anyIpv4' | 'prefixList' | 'noGroups';
type Call =
  | {
      readonly method: 'addUser';
      readonly username: Asked<unknown>;
      readonly groups?: Asked<unknown>[];
      readonly consoleAccess?: unknown;
      readonly passwordLength?: Asked<unknown>;
    }
  | { readonly method: 'allowClientsFrom'; readonly peer: PeerKind; readonly protocols?: unknown }
  | { readonly method: 'failoverUrl'; readonly protocol?: unknown }
  | {
      readonly method: 'metric';
      readonly metricName: Asked<unknown>;
      readonly period?: unknown;
      readonly unit?: unknown;
      readonly dimension?: string;
    }
  | { readonly method: 'metricOfInstance'; readonly instance: Asked<unknown>; readonly period?: unknown };

interface Case {
  readonly envAgnostic: boolean;
  readonly vpc: VpcKind;
  readonly props: Record<string, unknown>;
  readonly engine?: EngineSpec;
  readonly brokerName?: Asked<unknown>;
  readonly instanceType?: Asked<unknown>;
  readonly adminUsername?: Asked<unknown>;
  readonly maintenanceWindow?: Record<string, Asked<unknown> | undefined> | string;
  readonly logRetention?: Asked<unknown>;
  readonly connectionCountAlarmThreshold?: Asked<unknown>;
  readonly encryptionKey?: 'new' | 'imported' | 'arnString';
  readonly alarmTopic?: 'new' | 'arnString';
  readonly secondBrokerName?: 'same' | 'other' | 'generated';
  readonly calls: Call[];
}

const DAYS = Object.values(MessageBrokerDayOfWeek);
const PROTOCOLS = Object.values(MessageBrokerProtocol);
const RETENTIONS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
const REMOVAL_POLICIES = [
  RemovalPolicy.RETAIN,
  RemovalPolicy.DESTROY,
  RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  RemovalPolicy.SNAPSHOT,
];
const INSTANCE_TYPES = [
  'mq.m5.large',
  'mq.m5.4xlarge',
  'mq.t3.micro',
  'mq.m7g.medium',
  'mq.m7g.large',
  'mq.m7g.16xlarge',
  'm5.large',
  '',
];
const USER_CHARS = 'abcXYZ019-_.~';
const GROUP_CHARS = 'abXY09-_.~';

/** Mostly a valid value, sometimes one at or beyond a limit. */
function mostly<T>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: edge });
}

/** Absent (the default) in about two cases of three. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
}

const engineArb: fc.Arbitrary<EngineSpec> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .constantFrom('ACTIVEMQ_5_19', 'ACTIVEMQ_5_18', 'RABBITMQ_3_13', 'RABBITMQ_4_2' as const)
      .map((name) => ({ kind: 'constant' as const, name })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('of' as const),
      engineType: enumOrForeign(Object.values(MessageBrokerEngineType), ['ActiveMQ', 'kafka']),
      version: mostly(
        fc.constantFrom('5.18', '5.19', '3.13', '4.2').map(literal<unknown>),
        stringsAround(['5.20', '5.17', '5.18.4', '3.12', '4.0', 'latest', '', 5.19], '5.19'),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<unknown>('ACTIVEMQ', { engineType: 'ACTIVEMQ', version: '5.19' }, null, 42)
      .map((value) => ({ kind: 'raw' as const, value })),
  },
);

const maintenanceWindowArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        dayOfWeek: mostly(fc.constantFrom(...DAYS), enumOrForeign(DAYS, ['sun', 'SUN'])).map((d) =>
          literal<unknown>(d),
        ),
        timeOfDay: mostly(
          fc.constantFrom('03:00', '00:00', '23:59').map(literal<unknown>),
          stringsAround(['24:00', '3:00', '12:60', ''], '04:30'),
        ),
        timeZone: mostly(
          fc.constantFrom('UTC', 'Europe/Berlin', 'America/Argentina/Buenos_Aires').map(literal<unknown>),
          stringsAround(['berlin time', 'UTC+01:00', ''], 'Europe/Paris'),
        ),
      },
      { requiredKeys: ['dayOfWeek', 'timeOfDay'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constant('SUNDAY 03:00'),
      fc.record({ timeOfDay: fc.constant(literal<unknown>('03:00')) }),
      fc.record({ dayOfWeek: fc.constant(literal<unknown>('SUNDAY')) }),
    ),
  },
);

const callArb: fc.Arbitrary<Call> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        method: fc.constant('addUser' as const),
        username: mostly(
          fc
            .string({ unit: fc.constantFrom(...USER_CHARS.split('')), minLength: 2, maxLength: 20 })
            .map(literal<unknown>),
          namesAround(100, USER_CHARS, 'token-user'),
        ),
        groups: mostly(
          fc.array(fc.constantFrom('orders', 'billing', 'ops.team', 'a~b').map(literal<unknown>), { maxLength: 3 }),
          fc.array(namesAround(100, GROUP_CHARS, 'token-group'), { maxLength: 3 }),
          fc.constantFrom(20, 21).map((n) => Array.from({ length: n }, (_, i) => literal<unknown>(`group-${i}`))),
        ),
        consoleAccess: mostly(fc.boolean(), fc.constantFrom<unknown>('yes', 1)),
        passwordLength: mostly(
          fc.integer({ min: 12, max: 250 }).map(literal<unknown>),
          numbersAround([12, 250, 4096], 64),
        ),
      },
      { requiredKeys: ['method', 'username'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        method: fc.constant('allowClientsFrom' as const),
        peer: mostly(
          fc.constantFrom<PeerKind>('securityGroup', 'connections', 'securityGroupId'),
          fc.constantFrom<PeerKind>('cidr', 'anyIpv4', 'prefixList', 'noGroups'),
        ),
        protocols: mostly(
          fc.constantFrom<unknown>(undefined, ['AMQP'], ['WEB_CONSOLE', 'AMQP']),
          fc.oneof(
            fc.array(enumOrForeign(PROTOCOLS, ['openwire', 'AMQPS']), { maxLength: 4 }),
            fc.constantFrom<unknown>('OPENWIRE', []),
          ),
        ),
      },
      { requiredKeys: ['method', 'peer'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      { method: fc.constant('failoverUrl' as const), protocol: enumOrForeign(PROTOCOLS, ['openwire']) },
      { requiredKeys: ['method'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        method: fc.constant('metric' as const),
        metricName: namesAround(255, 'abcXYZ09', 'TotalMessageCount'),
        period: mostly(
          fc.constantFrom(60, 300, 3600).map((n) => Duration.seconds(n)),
          durationAround([0, 1, 7, 60, 90, 300, 86_400]),
        ),
        unit: enumOrForeign(Object.values(cloudwatch.Unit), ['bytes']),
        dimension: fc.constantFrom('Queue', 'Broker'),
      },
      { requiredKeys: ['method', 'metricName'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        method: fc.constant('metricOfInstance' as const),
        instance: mostly(fc.constantFrom(1, 2).map(literal<unknown>), numbersAround([1, 2, 3], 1)),
        period: mostly(fc.constant(Duration.minutes(5)), durationAround([60, 300])),
      },
      { requiredKeys: ['method', 'instance'] },
    ),
  },
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    envAgnostic: fc.boolean(),
    vpc: fc.oneof(
      { weight: 20, arbitrary: fc.constant<VpcKind>('private3') },
      { weight: 2, arbitrary: fc.constantFrom<VpcKind>('isolated3', 'private1') },
      { weight: 1, arbitrary: fc.constantFrom<VpcKind>('missing', 'notAVpc') },
    ),
    props: fc.record({
      highAvailability: sometimes(mostly(fc.boolean(), fc.constantFrom<unknown>('false', 0))),
      adminConsoleAccess: sometimes(mostly(fc.boolean(), fc.constant<unknown>('true'))),
      removalPolicy: sometimes(
        mostly(fc.constantFrom(...REMOVAL_POLICIES.slice(0, 3)), enumOrForeign(REMOVAL_POLICIES, ['delete'])),
      ),
      createLogsResourcePolicy: sometimes(mostly(fc.boolean(), fc.constant<unknown>('no'))),
      vpcSubnets: sometimes(
        mostly(
          fc.constant<unknown>({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }),
          fc.constantFrom<unknown>(
            { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
            { subnetType: 'Private' },
            { availabilityZones: ['us-east-1z'] },
            { subnets: [] },
          ),
        ),
      ),
    }),
    engine: sometimes(engineArb),
    brokerName: sometimes(
      mostly(
        fc
          .string({ unit: fc.constantFrom(...'abcXYZ019-_'.split('')), minLength: 1, maxLength: 50 })
          .map(literal<unknown>),
        namesAround(50, 'abcXYZ019-_', 'token-broker'),
      ),
    ),
    instanceType: sometimes(
      mostly(fc.constant(literal<unknown>('mq.m5.xlarge')), stringsAround(INSTANCE_TYPES, 'mq.m5.large')),
    ),
    adminUsername: sometimes(
      mostly(
        fc.constantFrom('ops', 'admin-1', 'x.y').map(literal<unknown>),
        namesAround(100, USER_CHARS, 'token-admin'),
      ),
    ),
    maintenanceWindow: sometimes(maintenanceWindowArb),
    logRetention: sometimes(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...RETENTIONS).map(literal) },
        { weight: 1, arbitrary: numbersAround([1, 400, 3653], 30) },
      ),
    ),
    connectionCountAlarmThreshold: sometimes(
      mostly(fc.integer({ min: 1, max: 1_000_000 }).map(literal<unknown>), numbersAround([1, 1_000_000], 500)),
    ),
    encryptionKey: sometimes(
      mostly(fc.constantFrom('new' as const, 'imported' as const), fc.constant('arnString' as const)),
    ),
    alarmTopic: sometimes(mostly(fc.constant('new' as const), fc.constant('arnString' as const))),
    secondBrokerName: sometimes(fc.constantFrom('same' as const, 'other' as const, 'generated' as const)),
    calls: fc.array(callArb, { maxLength: 4 }),
  })
  .map((c) => {
    // Absent keys, not keys set to undefined: the props a case sets are the props an error may name.
    const props = Object.fromEntries(Object.entries(c.props).filter(([, v]) => v !== undefined));
    return { ...c, props } as Case;
  });

function importedVpc(stack: Stack, kind: VpcKind): unknown {
  switch (kind) {
    case 'missing':
      return undefined;
    case 'notAVpc':
      return 'vpc-0123456789abcdef0';
    case 'private1':
      return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ZONES.slice(0, 1),
        privateSubnetIds: ['subnet-0000000000000000a'],
        privateSubnetRouteTableIds: ['rtb-a'],
      });
    case 'isolated3':
      return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ZONES,
        isolatedSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
        isolatedSubnetRouteTableIds: ['rtb-a', 'rtb-b', 'rtb-c'],
      });
    default:
      return ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ZONES,
        privateSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b', 'subnet-0000000000000000c'],
        privateSubnetRouteTableIds: ['rtb-a', 'rtb-b', 'rtb-c'],
      });
  }
}

function materializeEngine(spec: EngineSpec | undefined): unknown {
  if (spec === undefined) {
    return undefined;
  }
  if (spec.kind === 'constant') {
    return MessageBrokerEngine[spec.name];
  }
  if (spec.kind === 'of') {
    return MessageBrokerEngine.of(
      spec.engineType as MessageBrokerEngineType,
      materializeString(spec.version) as string,
    );
  }
  return spec.value;
}

/** What the engine asked for resolves to, for the template checks. */
function askedEngine(spec: EngineSpec | undefined): { engineType: string; version: unknown } {
  if (spec === undefined) {
    return { engineType: 'ACTIVEMQ', version: '5.19' };
  }
  if (spec.kind === 'constant') {
    const engine = MessageBrokerEngine[spec.name];
    return { engineType: engine.engineType, version: engine.version };
  }
  if (spec.kind === 'of') {
    return { engineType: spec.engineType, version: spec.version.value };
  }
  const raw = spec.value as { engineType?: string; version?: string } | undefined;
  return { engineType: String(raw?.engineType), version: raw?.version };
}

function peerOf(stack: Stack, vpc: ec2.IVpc | undefined, kind: PeerKind, index: number): ec2.IConnectable {
  const sgVpc =
    vpc ??
    ec2.Vpc.fromVpcAttributes(stack, `PeerVpc${index}`, { vpcId: 'vpc-0fedcba9876543210', availabilityZones: ZONES });
  switch (kind) {
    case 'securityGroup':
      return new ec2.SecurityGroup(stack, `Client${index}`, { vpc: sgVpc, allowAllOutbound: false });
    case 'connections':
      return new ec2.Connections({
        securityGroups: [new ec2.SecurityGroup(stack, `Client${index}`, { vpc: sgVpc, allowAllOutbound: false })],
      });
    case 'securityGroupId':
      return ec2.Peer.securityGroupId(`sg-0000000000000000${index}`);
    case 'cidr':
      return ec2.Peer.ipv4('10.0.0.0/16');
    case 'anyIpv4':
      return ec2.Peer.anyIpv4();
    case 'prefixList':
      return ec2.Peer.prefixList('pl-12345678');
    default:
      return { connections: new ec2.Connections() };
  }
}

interface Built {
  readonly app: App;
  readonly stack: Stack;
  readonly broker: MessageBroker;
  readonly key?: kms.IKey;
  readonly topic?: sns.ITopic;
  /** What each successful call returned, by index. */
  readonly results: unknown[];
  readonly clients: (ec2.IConnectable | undefined)[];
}

/** Builds a case; an error says which construct path and which props or method could have caused it. */
function build(c: Case, blame: { paths: string[]; props: string[] }): Built {
  const app = strictApp();
  const stack = new Stack(app, 'Stack', c.envAgnostic ? {} : { env: ENV });
  const vpc = importedVpc(stack, c.vpc);
  const key =
    c.encryptionKey === 'new'
      ? new kms.Key(stack, 'OwnKey', { enableKeyRotation: true })
      : c.encryptionKey === 'imported'
        ? kms.Key.fromKeyArn(
            stack,
            'ImportedKey',
            'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          )
        : undefined;
  const topic = c.alarmTopic === 'new' ? new sns.Topic(stack, 'Ops', { enforceSSL: true }) : undefined;
  const props: Record<string, unknown> = {
    vpc,
    ...c.props,
    engine: materializeEngine(c.engine),
    brokerName: materializeString(c.brokerName),
    instanceType: materializeString(c.instanceType),
    adminUsername: materializeString(c.adminUsername),
    maintenanceWindow:
      typeof c.maintenanceWindow === 'object'
        ? {
            dayOfWeek: materializeString(c.maintenanceWindow.dayOfWeek),
            timeOfDay: materializeString(c.maintenanceWindow.timeOfDay),
            timeZone: materializeString(c.maintenanceWindow.timeZone),
          }
        : c.maintenanceWindow,
    logRetention: materializeNumber(c.logRetention),
    connectionCountAlarmThreshold: materializeNumber(c.connectionCountAlarmThreshold),
    encryptionKey: c.encryptionKey === 'arnString' ? 'arn:aws:kms:us-east-1:123456789012:key/abc' : key,
    alarmTopic: c.alarmTopic === 'arnString' ? 'arn:aws:sns:us-east-1:123456789012:ops' : topic,
  };
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined) {
      delete props[name];
    }
  }
  blame.paths.push('Stack/Broker');
  blame.props.push(...Object.keys(props), 'vpc', 'vpcSubnets');
  const broker = new MessageBroker(stack, 'Broker', props as unknown as MessageBrokerProps);

  // A second broker in the same stack and account: a literal name given twice must be refused.
  if (c.secondBrokerName !== undefined) {
    blame.paths.length = 0;
    blame.paths.push('Stack/Second');
    blame.props.length = 0;
    blame.props.push('brokerName');
    const brokerName =
      c.secondBrokerName === 'same' ? props.brokerName : c.secondBrokerName === 'other' ? 'second-broker' : undefined;
    new MessageBroker(stack, 'Second', {
      vpc: props.vpc as ec2.IVpc,
      highAvailability: broker.highAvailability,
      engine: broker.engine,
      brokerName: brokerName as string | undefined,
      instanceType: broker.instanceType,
      encryptionKey: broker.encryptionKey,
      alarmTopic: broker.alarmTopic,
      createLogsResourcePolicy: c.props.createLogsResourcePolicy,
    } as MessageBrokerProps);
  }

  const results: unknown[] = [];
  const clients: (ec2.IConnectable | undefined)[] = [];
  c.calls.forEach((call, index) => {
    blame.paths.length = 0;
    blame.paths.push('Stack/Broker');
    blame.props.length = 0;
    blame.props.push(call.method);
    switch (call.method) {
      case 'addUser': {
        const options: Record<string, unknown> = {};
        if (call.groups !== undefined) options.groups = call.groups.map(materializeString);
        if (call.consoleAccess !== undefined) options.consoleAccess = call.consoleAccess;
        if (call.passwordLength !== undefined) options.passwordLength = materializeNumber(call.passwordLength);
        results.push(broker.addUser(materializeString(call.username) as string, options));
        clients.push(undefined);
        break;
      }
      case 'allowClientsFrom': {
        const peer = peerOf(stack, props.vpc instanceof Object ? (props.vpc as ec2.IVpc) : undefined, call.peer, index);
        clients.push(peer);
        results.push(broker.allowClientsFrom(peer, call.protocols as MessageBrokerProtocol[] | undefined));
        break;
      }
      case 'failoverUrl':
        results.push(broker.failoverUrl(call.protocol as MessageBrokerProtocol | undefined));
        clients.push(undefined);
        break;
      case 'metric':
        results.push(
          broker.metric(materializeString(call.metricName) as string, {
            period: call.period as any,
            unit: call.unit as cloudwatch.Unit,
            dimensionsMap: { [call.dimension ?? 'Queue']: 'orders' },
          }),
        );
        clients.push(undefined);
        break;
      case 'metricOfInstance':
        results.push(
          broker.metricOfInstance('CpuUtilization', materializeNumber(call.instance) as number, {
            period: call.period as any,
          }),
        );
        clients.push(undefined);
        break;
    }
  });
  return { app, stack, broker, key, topic, results, clients };
}

const DELETION_POLICIES: Record<string, string> = {
  [RemovalPolicy.RETAIN]: 'Retain',
  [RemovalPolicy.DESTROY]: 'Delete',
  [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE]: 'RetainExceptOnCreate',
};

function resourcesOf(template: any, type: string): any[] {
  return Object.values(template.Resources ?? {}).filter((r: any) => r.Type === type);
}

/** The template holds what the case asked for. */
function expectAsked(c: Case, built: Built, template: any): void {
  const brokers = resourcesOf(template, 'AWS::AmazonMQ::Broker');
  const broker = brokers.find((b: any) => b.Metadata?.['aws:cdk:path'] === 'Stack/Broker/Resource') ?? brokers[0];
  const props = broker.Properties;
  const engine = askedEngine(c.engine);
  expect(props.EngineType).toBe(engine.engineType);
  expect(props.EngineVersion).toBe(engine.version);
  const highAvailability = c.props.highAvailability ?? true;
  expect(props.DeploymentMode === 'SINGLE_INSTANCE').toBe(highAvailability === false);
  expect(props.SubnetIds).toHaveLength(highAvailability === false ? 1 : engine.engineType === 'RABBITMQ' ? 3 : 2);
  if (c.instanceType !== undefined) expect(props.HostInstanceType).toBe(c.instanceType.value);
  if (c.brokerName !== undefined) expect(props.BrokerName).toBe(c.brokerName.value);
  expect(props.PubliclyAccessible).toBe(false);
  expect(props.Users[0].Username).toBe(c.adminUsername?.value ?? 'admin');
  if (c.props.adminConsoleAccess !== undefined) expect(props.Users[0].ConsoleAccess).toBe(c.props.adminConsoleAccess);
  if (typeof c.maintenanceWindow === 'object') {
    const window = props.MaintenanceWindowStartTime;
    expect(window.DayOfWeek).toBe(c.maintenanceWindow.dayOfWeek?.value);
    expect(window.TimeOfDay).toBe(c.maintenanceWindow.timeOfDay?.value);
    expect(window.TimeZone).toBe(c.maintenanceWindow.timeZone?.value ?? 'UTC');
  }
  if (c.props.removalPolicy !== undefined) {
    expect(broker.DeletionPolicy).toBe(DELETION_POLICIES[c.props.removalPolicy as string]);
  }
  if (c.encryptionKey === 'imported' && engine.engineType === 'ACTIVEMQ') {
    expect(props.EncryptionOptions.KmsKeyId).toBe(built.key!.keyArn);
  }

  // Retention: on the broker's log groups, however they are made.
  const brokerRef = JSON.stringify({ Ref: built.stack.getLogicalId(built.broker.node.defaultChild as CfnElement) });
  const ofBroker = (r: any) =>
    JSON.stringify(r.Properties.LogGroupName).includes('/aws/amazonmq/broker/') &&
    JSON.stringify(r.Properties.LogGroupName).includes(brokerRef);
  if (c.logRetention !== undefined) {
    const days = c.logRetention.value === logs.RetentionDays.INFINITE ? undefined : c.logRetention.value;
    const retentions = [
      ...resourcesOf(template, 'Custom::AmazonMqLogGroup')
        .filter(ofBroker)
        .map((r: any) =>
          r.Properties.RetentionInDays === undefined ? undefined : Number(r.Properties.RetentionInDays),
        ),
      ...resourcesOf(template, 'AWS::Logs::LogGroup')
        .filter(ofBroker)
        .map((r: any) => r.Properties.RetentionInDays),
    ];
    expect(retentions.length).toBeGreaterThan(0);
    for (const retention of retentions) expect(retention).toBe(days);
  }
  const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm');
  if (c.connectionCountAlarmThreshold !== undefined) {
    expect(alarms.map((a: any) => a.Properties.Threshold)).toContain(c.connectionCountAlarmThreshold.value);
  }
  if (c.alarmTopic === 'new') {
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([built.stack.resolve(built.topic!.topicArn)]);
    }
  }
  const policies = resourcesOf(template, 'AWS::Logs::ResourcePolicy');
  expect(policies).toHaveLength(c.props.createLogsResourcePolicy === false ? 0 : 1);

  // Method calls.
  const users = props.Users as any[];
  const ingress = [
    ...resourcesOf(template, 'AWS::EC2::SecurityGroupIngress').map((r: any) => r.Properties),
    ...resourcesOf(template, 'AWS::EC2::SecurityGroup').flatMap((r: any) => r.Properties.SecurityGroupIngress ?? []),
  ];
  c.calls.forEach((call, index) => {
    const result = built.results[index];
    if (call.method === 'addUser') {
      const username = call.username.value;
      const user = users.find((u) => u.Username === username);
      expect(user).toBeDefined();
      const groups = (call.groups ?? []).map((g) => g.value);
      expect(user.Groups).toEqual(groups.length > 0 ? groups : undefined);
      expect(user.ConsoleAccess).toBe(call.consoleAccess ?? false);
      const secret = template.Resources[built.stack.getLogicalId((result as any).node.defaultChild)];
      expect(secret.Properties.GenerateSecretString.PasswordLength).toBe(call.passwordLength?.value ?? 32);
    } else if (call.method === 'allowClientsFrom') {
      const protocols = (call.protocols as string[] | undefined) ?? [
        engine.engineType === 'RABBITMQ' ? 'AMQP' : 'OPENWIRE',
      ];
      const client = built.clients[index]!;
      const sources = client.connections.securityGroups.map((sg) => built.stack.resolve(sg.securityGroupId));
      const peerId = call.peer === 'securityGroupId' ? `sg-0000000000000000${index}` : undefined;
      for (const protocol of protocols) {
        const port = protocol === 'WEB_CONSOLE' ? (engine.engineType === 'RABBITMQ' ? 443 : 8162) : PORTS[protocol];
        const rules = ingress.filter((rule) => rule.FromPort === port && rule.ToPort === port);
        const fromPeer = rules.filter((rule) =>
          peerId !== undefined
            ? rule.SourceSecurityGroupId === peerId
            : sources.some((source) => JSON.stringify(source) === JSON.stringify(rule.SourceSecurityGroupId)),
        );
        expect(fromPeer.length).toBeGreaterThan(0);
        expect(rules.every((rule) => rule.CidrIp === undefined && rule.CidrIpv6 === undefined)).toBe(true);
      }
    } else if (call.method === 'failoverUrl') {
      expect(JSON.stringify(built.stack.resolve(result))).toContain('failover:(');
    } else if (call.method === 'metric') {
      const config = (result as cloudwatch.IMetric).toMetricConfig();
      const metrics = config.metricStat
        ? [config.metricStat]
        : Object.values(config.mathExpression!.usingMetrics).map((m) => m.toMetricConfig().metricStat!);
      for (const stat of metrics) {
        expect(built.stack.resolve(stat.metricName)).toBe(call.metricName.value);
        expect(stat.dimensions?.find((d) => d.name === 'Broker')?.value).toMatch(/./);
        if (call.dimension === 'Queue') expect(stat.dimensions).toContainEqual({ name: 'Queue', value: 'orders' });
        if (call.unit !== undefined) expect(stat.unitFilter).toBe(call.unit);
      }
    } else if (call.method === 'metricOfInstance') {
      const stat = (result as cloudwatch.Metric).toMetricConfig().metricStat!;
      expect(stat.dimensions?.[0].value).toBe(`${built.stack.resolve(built.broker.brokerName)}-${call.instance.value}`);
    }
  });
}

describe('MessageBroker properties', () => {
  test('every generated broker is refused with a library error, or synthesizes what was asked', async () => {
    const batch = new TemplateBatch();
    const counts = { errors: 0, built: 0 };
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const blame = { paths: [] as string[], props: [] as string[] };
        const outcome = attempt(() => build(c, blame));
        if (outcome.kind === 'error') {
          counts.errors++;
          expectLibraryError(outcome.error, blame.paths, blame.props);
          return;
        }
        const built = outcome.value;
        const assembly = attempt(() => built.app.synth());
        if (assembly.kind === 'error') {
          throw new Error(`synthesis failed for a case the library accepted:\n${assembly.error.message}`);
        }
        const template = assembly.value.getStackArtifact(built.stack.artifactId).template;
        expectAsked(c, built, template);
        counts.built++;
        batch.add(template, 'message-broker');
      }),
      propertyParameters(200),
    );
    reportCases('MessageBroker', counts);
    expect(counts.built).toBeGreaterThan(20);
    await batch.expectCfnLintClean();
  }, 300_000);
});
