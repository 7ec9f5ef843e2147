#!/usr/bin/env node
// The repository's CDK app (cdk.json): every blueprint stack of the library, checked
// by the five cdk-nag packs and the library's own plugins (Amazon MQ and decoupling rules) at synth.
import * as fs from 'fs';
import * as path from 'path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { AmazonMQChecks, DecouplingChecks, StreamAnalyticsCode, blueprints } from '../src';

/** The account of the embedded local AWS (moto's default). */
const LOCAL_ACCOUNT = '123456789012';

/**
 * The example Flink application the telemetry blueprint runs, as `npx projen example:truck-counts` builds it
 * (the main job builds it before it synthesizes).
 */
export const TRUCK_COUNTS_ZIP = path.join(
  __dirname,
  '..',
  'examples',
  'flink-truck-counts',
  'build',
  'flink-truck-counts.zip',
);

/** What the blueprints of the repository's app are given. */
export interface BlueprintOptions {
  /**
   * The code of the telemetry blueprint's per-truck counts application. Tests give a small stand-in, so that
   * they need no Maven build.
   *
   * @default StreamAnalyticsCode.fromAsset(TRUCK_COUNTS_ZIP)
   */
  readonly truckCountsCode?: StreamAnalyticsCode;
}

/** Adds every blueprint stack to `app` (call it before anything else is added to the app). */
export function addBlueprints(app: App, options: BlueprintOptions = {}): void {
  if (options.truckCountsCode === undefined && !fs.existsSync(TRUCK_COUNTS_ZIP)) {
    throw new Error(
      `The telemetry blueprint's Flink application ${TRUCK_COUNTS_ZIP} is not built: run npx projen example:truck-counts (npx projen demo does)`,
    );
  }
  // A fixed environment keeps templates reproducible and matches the local AWS account.
  const env = {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? LOCAL_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
  };
  // The local AWS (moto) has no zones to look up with the CDK CLI: give its zones as the CLI would
  // cache them. Any other account's zones are looked up by the CLI, never guessed.
  const zonesKey = `availability-zones:account=${env.account}:region=${env.region}`;
  if (env.account === LOCAL_ACCOUNT && app.node.tryGetContext(zonesKey) === undefined) {
    app.node.setContext(
      zonesKey,
      ['a', 'b', 'c', 'd', 'e', 'f'].map((letter) => `${env.region}${letter}`),
    );
  }
  new blueprints.WorkQueueBlueprint(app, 'WorkQueueBlueprint', { env });
  new blueprints.OrderFanOutBlueprint(app, 'OrderFanOutBlueprint', { env });
  new blueprints.VideoEncodingBlueprint(app, 'VideoEncodingBlueprint', { env });
  new blueprints.TelemetryBlueprint(app, 'TelemetryBlueprint', {
    env,
    truckCountsCode: options.truckCountsCode ?? StreamAnalyticsCode.fromAsset(TRUCK_COUNTS_ZIP),
  });
  new blueprints.BrokerMigrationBlueprint(app, 'BrokerMigrationBlueprint', { env });
  new blueprints.PrivateWorkersBlueprint(app, 'PrivateWorkersBlueprint', { env });
}

if (require.main === module) {
  const app = new App();
  addBlueprints(app);
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new HIPAASecurityChecks(app),
    new PCIDSS321Checks(app),
    new ServerlessChecks(app),
    new AmazonMQChecks(),
    new DecouplingChecks(),
  );
  app.synth();
}
