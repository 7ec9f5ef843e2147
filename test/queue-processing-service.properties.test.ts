import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as fc from 'fast-check';
import { strictApp } from '../harness/app';
import {
  attempt,
  durationAround,
  enumOrForeign,
  expectLibraryError,
  numberAround,
  numberToken,
  propertyParameters,
  reportCases,
  TemplateBatch,
} from '../harness/properties';
import {
  FargateCpuArchitecture,
  QueueProcessingService,
  QueueProcessingServiceProps,
} from '../src/queue-processing-service';
import { WorkQueue } from '../src/work-queue';

// Props generated inside, at and beyond every limit. Each case ends in a library error naming the
// service's path and a prop the case set, or in a template (strict validator on) that holds what was
// asked; the templates are linted with cfn-lint at the end. PROPERTY_COUNT_FAILURES=1 counts failing
// cases instead of stopping at the first.
jest.setTimeout(180_000);

const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
const SUBNET_SELECTIONS: Array<ec2.SubnetSelection | undefined> = [
  undefined,
  { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
  { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
  { subnetType: ec2.SubnetType.PUBLIC },
  { subnetGroupName: 'Nope' },
  { availabilityZones: ['us-east-1b'] },
];

/** Tokens for sizes resolve to a size Fargate has: a deploy-time value is passed through, and must deploy. */
const withToken = (arb: fc.Arbitrary<number>, tokenValue: number) =>
  arb.map((v) => (Token.isUnresolved(v) ? numberToken(tokenValue) : v));

/** Mostly values that should work, sometimes values at and past the edges. */
const mostly = <T>(valid: fc.Arbitrary<T>, edgy: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: edgy });

const PROP_ARBITRARIES = {
  cpu: mostly(fc.constantFrom(256, 512, 1024, 2048, 4096, 8192, 16384), withToken(numberAround([256, 16384]), 1024)),
  memoryLimitMiB: mostly(
    fc.constantFrom(512, 1024, 2048),
    fc.oneof(
      fc.constantFrom(1536, 3072, 4096, 8192, 16384, 18432, 30720, 32768, 61440, 122880),
      withToken(numberAround([512, 122_880]), 2048),
    ),
  ),
  cpuArchitecture: enumOrForeign(Object.values(FargateCpuArchitecture), ['ARM', 'x86_64', 'AMD64']),
  spot: mostly(fc.boolean(), fc.constantFrom('true' as any, 1 as any)),
  minCapacity: mostly(fc.integer({ min: 0, max: 9 }), numberAround([0, 1, 10])),
  maxCapacity: mostly(fc.integer({ min: 10, max: 5000 }), numberAround([1, 10, 2_147_483_647])),
  scaleOutCooldown: mostly(
    fc.integer({ min: 0, max: 3600 }).map((n) => Duration.seconds(n)),
    durationAround([0, 60, 2_147_483_647]),
  ),
  scaleInCooldown: mostly(
    fc.integer({ min: 0, max: 3600 }).map((n) => Duration.seconds(n)),
    durationAround([0, 300, 2_147_483_647]),
  ),
  logRetention: mostly(
    fc.constantFrom(...RETENTION_DAYS),
    fc.oneof(numberAround([1, 3653]), fc.constant('ONE_YEAR' as any)),
  ),
  oldestMessageAgeAlarmThreshold: mostly(
    fc.integer({ min: 1, max: 1439 }).map((n) => Duration.minutes(n)),
    durationAround([60, 3_600, 86_400, 1_209_600]),
  ),
  removalPolicy: enumOrForeign(
    [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, RemovalPolicy.SNAPSHOT],
    ['delete'],
  ),
  vpcSubnets: fc.constantFrom(...SUBNET_SELECTIONS),
  command: mostly(
    fc.array(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }),
    fc.constantFrom([] as string[], 'run' as any, [1] as any),
  ),
  environment: mostly(
    fc.dictionary(fc.constantFrom('MODE', 'LEVEL'), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
    fc.oneof(
      fc.dictionary(
        fc.constantFrom('QUEUE_URL', '', 'SETTINGS'),
        fc.oneof(fc.string({ maxLength: 8 }), fc.constant(3 as any)),
        { minKeys: 1, maxKeys: 2 },
      ),
      fc.constant('MODE=fast' as any),
    ),
  ),
  secretNames: mostly(fc.constantFrom(['SETTINGS']), fc.constantFrom(['QUEUE_URL'], [''], ['MODE', 'SETTINGS'])),
};

const TARGETS = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      backlogPerTaskTarget: mostly(
        fc.double({ min: 0.01, max: 1e6, noNaN: true }),
        numberAround([1, 2 ** 360, 2 ** -360]),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      acceptableLatency: mostly(
        fc.integer({ min: 1, max: 3600 }).map((n) => Duration.seconds(n)),
        durationAround([1, 600, 1_209_600]),
      ),
      processingTimePerMessage: mostly(
        fc.integer({ min: 100, max: 60_000 }).map((n) => Duration.millis(n)),
        durationAround([0.1, 1, 299, 300, 43_200]),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        acceptableLatency: durationAround([60]),
        processingTimePerMessage: durationAround([1]),
        backlogPerTaskTarget: numberAround([5]),
      },
      { requiredKeys: [] },
    ),
  },
);

/** A case sets the scaling target and up to four other props. */
const caseArbitrary = fc
  .tuple(fc.subarray(Object.keys(PROP_ARBITRARIES) as Array<keyof typeof PROP_ARBITRARIES>, { maxLength: 4 }), TARGETS)
  .chain(([keys, target]) =>
    fc
      .record(
        Object.fromEntries(keys.map((k) => [k, PROP_ARBITRARIES[k]])) as {
          [K in keyof typeof PROP_ARBITRARIES]: (typeof PROP_ARBITRARIES)[K];
        },
        { requiredKeys: [] },
      )
      .map((props) => ({ ...props, target })),
  );

type Case = Partial<{ [K in keyof typeof PROP_ARBITRARIES]: any }> & { target: Record<string, any> };

/** The props a case set, as the error may name them (a prop that conflicts names its partner). */
function propsSet(c: Case): string[] {
  const set = Object.keys(c).filter((k) => k !== 'target' && k !== 'secretNames');
  const partners: Record<string, string[]> = {
    cpu: ['memoryLimitMiB'],
    memoryLimitMiB: ['cpu'],
    minCapacity: ['maxCapacity'],
    maxCapacity: ['minCapacity'],
    spot: ['cpuArchitecture'],
    secretNames: ['secrets', 'environment'],
    environment: ['secrets'],
  };
  const names = new Set([...set, ...set.flatMap((k) => partners[k] ?? [])]);
  if (c.secretNames !== undefined) {
    names.add('secrets');
  }
  // The scaling target is decided by three props together; a missing target names backlogPerTaskTarget.
  for (const p of ['backlogPerTaskTarget', 'acceptableLatency', 'processingTimePerMessage']) {
    names.add(p);
  }
  return [...names];
}

function build(c: Case): { stack: Stack; service: QueueProcessingService; props: QueueProcessingServiceProps } {
  const stack = new Stack(strictApp(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60711', 'rtb-0a1b2c3d4e5f60712'],
    publicSubnetIds: ['subnet-0a1b2c3d4e5f60721', 'subnet-0a1b2c3d4e5f60722'],
    publicSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60721', 'rtb-0a1b2c3d4e5f60722'],
    isolatedSubnetIds: ['subnet-0a1b2c3d4e5f60731', 'subnet-0a1b2c3d4e5f60732'],
    isolatedSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60731', 'rtb-0a1b2c3d4e5f60732'],
  });
  const queue = new WorkQueue(stack, 'Jobs', {
    visibilityTimeout: Duration.minutes(5),
    retentionPeriod: Duration.days(1),
  });
  const settings = new ssm.StringParameter(stack, 'Settings', { stringValue: 'x' });
  const { target, secretNames, ...rest } = c;
  const props: QueueProcessingServiceProps = {
    queue,
    vpc,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:1.37'),
    ...(rest as Partial<QueueProcessingServiceProps>),
    ...(target as Partial<QueueProcessingServiceProps>),
    ...(secretNames !== undefined
      ? { secrets: Object.fromEntries(secretNames.map((name) => [name, ecs.Secret.fromSsmParameter(settings)])) }
      : {}),
  };
  const service = new QueueProcessingService(stack, 'Workers', props);
  return { stack, service, props };
}

const known = (v: unknown): v is number => typeof v === 'number' && !Token.isUnresolved(v);
const knownDuration = (d: Duration | undefined): d is Duration => d instanceof Duration && !d.isUnresolved();

/** The template holds what the case asked for. */
function expectAsked(
  template: any,
  c: Case,
  props: QueueProcessingServiceProps,
  service: QueueProcessingService,
): void {
  const resources = Object.values(template.Resources) as any[];
  const one = (type: string) => resources.filter((r) => r.Type === type);
  const taskDefinition = one('AWS::ECS::TaskDefinition')[0].Properties;
  if (known(props.cpu)) expect(taskDefinition.Cpu).toBe(String(props.cpu));
  if (known(props.memoryLimitMiB)) expect(taskDefinition.Memory).toBe(String(props.memoryLimitMiB));
  const arch = props.cpuArchitecture ?? (props.spot ? 'X86_64' : 'ARM64');
  expect(taskDefinition.RuntimePlatform.CpuArchitecture).toBe(arch);
  const ecsService = one('AWS::ECS::Service')[0].Properties;
  expect(ecsService.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('DISABLED');
  if (props.spot) {
    expect(ecsService.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
  } else {
    expect(ecsService.LaunchType).toBe('FARGATE');
  }
  const expectedSubnets =
    props.vpcSubnets?.subnetType === ec2.SubnetType.PRIVATE_ISOLATED
      ? ['subnet-0a1b2c3d4e5f60731', 'subnet-0a1b2c3d4e5f60732']
      : props.vpcSubnets?.availabilityZones
        ? ['subnet-0a1b2c3d4e5f60712']
        : ['subnet-0a1b2c3d4e5f60711', 'subnet-0a1b2c3d4e5f60712'];
  expect(ecsService.NetworkConfiguration.AwsvpcConfiguration.Subnets).toEqual(expectedSubnets);
  const scalable = one('AWS::ApplicationAutoScaling::ScalableTarget')[0].Properties;
  if (known(props.minCapacity)) expect(scalable.MinCapacity).toBe(props.minCapacity);
  if (known(props.maxCapacity)) expect(scalable.MaxCapacity).toBe(props.maxCapacity);
  const tracking = one('AWS::ApplicationAutoScaling::ScalingPolicy').find(
    (p) => p.Properties.PolicyType === 'TargetTrackingScaling',
  )!.Properties.TargetTrackingScalingPolicyConfiguration;
  if (known(props.backlogPerTaskTarget)) {
    expect(tracking.TargetValue).toBe(props.backlogPerTaskTarget);
  } else if (knownDuration(props.acceptableLatency) && knownDuration(props.processingTimePerMessage)) {
    expect(tracking.TargetValue).toBeCloseTo(
      props.acceptableLatency.toMilliseconds({ integral: false }) /
        props.processingTimePerMessage.toMilliseconds({ integral: false }),
    );
  }
  expect(tracking.CustomizedMetricSpecification.Metrics.map((m: any) => m.Id)).toEqual(['m1', 'm2', 'e1']);
  if (knownDuration(props.scaleOutCooldown)) expect(tracking.ScaleOutCooldown).toBe(props.scaleOutCooldown.toSeconds());
  if (knownDuration(props.scaleInCooldown)) expect(tracking.ScaleInCooldown).toBe(props.scaleInCooldown.toSeconds());
  expect(service.scaleOutFromZeroAction !== undefined).toBe(
    !known(props.minCapacity ?? 0) || (props.minCapacity ?? 0) === 0,
  );
  const logGroup = one('AWS::Logs::LogGroup')[0];
  if (known(props.logRetention) && props.logRetention !== logs.RetentionDays.INFINITE) {
    expect(logGroup.Properties.RetentionInDays).toBe(props.logRetention);
  }
  expect(logGroup.DeletionPolicy).toBe(
    { [RemovalPolicy.DESTROY]: 'Delete', [RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE]: 'RetainExceptOnCreate' }[
      props.removalPolicy as string
    ] ?? 'Retain',
  );
  const container = taskDefinition.ContainerDefinitions[0];
  if (props.command) expect(container.Command).toEqual(props.command);
  expect(container.Environment ?? []).toEqual(
    Object.entries(props.environment ?? {}).map(([Name, Value]) => ({ Name, Value })),
  );
  expect(container.Secrets.map((s: any) => s.Name)).toEqual([...Object.keys(props.secrets ?? {}), 'QUEUE_URL']);
  if (knownDuration(props.oldestMessageAgeAlarmThreshold)) {
    const age = resources.find(
      (r) =>
        r.Type === 'AWS::CloudWatch::Alarm' &&
        r.Properties.MetricName === 'ApproximateAgeOfOldestMessage' &&
        r.Properties.AlarmDescription?.includes('Stack/Workers'),
    );
    expect(age.Properties.Threshold).toBe(props.oldestMessageAgeAlarmThreshold.toSeconds());
  }
}

test('QueueProcessingService: every generated case is refused with a library error or synthesizes what was asked', async () => {
  const batch = new TemplateBatch();
  const counts = { errors: 0, built: 0 };
  const countOnly = process.env.PROPERTY_COUNT_FAILURES === '1';
  let failed = 0;
  await fc.assert(
    fc.asyncProperty(caseArbitrary, async (c) => {
      try {
        const outcome = attempt(() => {
          const built = build(c);
          return { ...built, template: Template.fromStack(built.stack).toJSON() };
        });
        if (outcome.kind === 'error') {
          counts.errors++;
          expectLibraryError(outcome.error, ['Stack/Workers'], propsSet(c));
          return;
        }
        counts.built++;
        expectAsked(outcome.value.template, c, outcome.value.props, outcome.value.service);
        batch.add(outcome.value.template, 'queue-processing-service');
      } catch (error) {
        if (!countOnly) throw error;
        failed++;
      }
    }),
    propertyParameters(60),
  );
  reportCases('QueueProcessingService', counts);
  if (countOnly) {
    // eslint-disable-next-line no-console
    console.log(`QueueProcessingService: ${failed} of ${counts.errors + counts.built} cases failed`);
  }
  expect(counts.built).toBeGreaterThan(10);
  expect(counts.errors).toBeGreaterThan(10);
  await batch.expectCfnLintClean();
});
