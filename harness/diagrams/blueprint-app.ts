import { Stack } from 'aws-cdk-lib';
import { addBlueprints } from '../../app/blueprints';
import { StreamAnalyticsCode } from '../../src/stream-analytics';
import { TEST_CODE_DIR } from '../../test/stream-analytics.fixtures';
import { availabilityZoneContext, strictApp } from '../app';

/** The account and region addBlueprints uses when the environment names none (the local AWS's). */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** Every blueprint stack of the repository's app, in a fresh app that has not synthesized yet. */
export function blueprintStacks(): Stack[] {
  const app = strictApp(availabilityZoneContext(ACCOUNT, REGION));
  // The tests' stand-in for the telemetry blueprint's Flink code: the diagram shows the application, not
  // its code, and the stand-in needs no Maven build (the real zip does: npx projen example:truck-counts).
  addBlueprints(app, { truckCountsCode: StreamAnalyticsCode.fromAsset(TEST_CODE_DIR) });
  return app.node.children.filter(Stack.isStack);
}
