import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { availabilityZoneContext, STRICT_VALIDATION_CONTEXT } from '../../harness/app';
import { expectCompliant } from '../../harness/compliance';
import * as blueprints from '../../src/blueprints';
import { StreamAnalyticsCode } from '../../src/stream-analytics';
import { TEST_CODE_DIR } from '../stream-analytics.fixtures';

// Every blueprint synthesizes clean (strict CloudFormation validator, the five compliance packs and the
// library's Amazon MQ rules; cfn-lint runs over these templates after the suite) both env-agnostic and
// with an explicit env.
const BLUEPRINTS: Array<[string, new (scope: Construct, id: string, props?: StackProps) => Stack]> = [
  ['WorkQueueBlueprint', blueprints.WorkQueueBlueprint],
  ['OrderFanOutBlueprint', blueprints.OrderFanOutBlueprint],
  ['VideoEncodingBlueprint', blueprints.VideoEncodingBlueprint],
  ['TelemetryBlueprint', blueprints.TelemetryBlueprint],
  ['BrokerMigrationBlueprint', blueprints.BrokerMigrationBlueprint],
  ['PrivateWorkersBlueprint', blueprints.PrivateWorkersBlueprint],
  [
    'TelemetryBlueprint with truck counts',
    class extends blueprints.TelemetryBlueprint {
      constructor(scope: Construct, id: string, props: StackProps = {}) {
        super(scope, id, { ...props, truckCountsCode: StreamAnalyticsCode.fromAsset(TEST_CODE_DIR) });
      }
    },
  ],
];

describe.each(BLUEPRINTS)('%s', (name, Blueprint) => {
  test('synthesizes clean env-agnostic', () => {
    const stack = new Blueprint(new App({ context: STRICT_VALIDATION_CONTEXT }), name.split(' ')[0]);
    expect(Object.keys(Template.fromStack(stack).toJSON().Resources).length).toBeGreaterThan(0);
    expectCompliant(stack);
  });

  test.each([
    ['us-east-1', '123456789012'],
    ['eu-central-1', '210987654321'],
  ])('synthesizes clean with an explicit env (%s)', (region, account) => {
    const app = new App({ context: { ...STRICT_VALIDATION_CONTEXT, ...availabilityZoneContext(account, region) } });
    const stack = new Blueprint(app, name.split(' ')[0], { env: { account, region } });
    expect(Object.keys(Template.fromStack(stack).toJSON().Resources).length).toBeGreaterThan(0);
    expectCompliant(stack);
  });
});
