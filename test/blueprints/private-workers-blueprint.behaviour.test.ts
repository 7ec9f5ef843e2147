import { App } from 'aws-cdk-lib';
import { availabilityZoneContext } from '../../harness/app';
import { DeployedStack, deployStack } from '../../harness/local-aws';
import { useLocalAws } from '../../harness/local-aws/jest';
import {
  PRIVATE_WORKERS_STACK,
  privateWorkersFailures,
  runPrivateWorkers,
} from '../../harness/scenarios/private-workers';
import { PrivateWorkersBlueprint } from '../../src/blueprints/private-workers-blueprint';

// The private workers scenario of the main job, on the blueprint deployed into the embedded local AWS
// (moto). What moto cannot show is listed in the last test, and proven on the template in
// private-workers-blueprint.test.ts: it invokes no function (Docker only) and runs no ECS task, scaling
// policy or alarm, so neither the functions' processing nor any scaling is shown here.
const local = useLocalAws();

let deployed: DeployedStack;
beforeAll(async () => {
  const app = new App({ context: availabilityZoneContext(local().account, local().region) });
  const stack = new PrivateWorkersBlueprint(app, PRIVATE_WORKERS_STACK, {
    env: { account: local().account, region: local().region },
  });
  deployed = await deployStack(local(), stack);
}, 300_000);
// No deployed.destroy(): moto's DeleteStack deletes the roles before detaching their managed policies and
// fails with DeleteConflict. Stopping the server discards everything.

test('the mappings are wired as built and the transcoders drain every job from the queue their parameter names', async () => {
  const report = await runPrivateWorkers(local(), deployed, { transcodeJobs: 120 });
  expect(privateWorkersFailures(report)).toEqual([]);
  expect(report.thumbnailMapping).toMatchObject({
    batchSize: 10,
    maximumConcurrency: 50,
    functionResponseTypes: ['ReportBatchItemFailures'],
  });
  expect(report.playCountMapping).toMatchObject({
    bisectBatchOnFunctionError: true,
    maximumRetryAttempts: 10,
    maximumRecordAgeInSeconds: 3600,
    functionResponseTypes: ['ReportBatchItemFailures'],
  });
  expect(report).toMatchObject({ transcodeJobsSent: 120, transcodeJobsDone: 120, transcodeJobsLost: 0 });
});

test('what moto does not create is exactly: alarms, Application Auto Scaling, security group rules, and the default-group custom resource with its provider', () => {
  expect(deployed.gaps.unfilled.every((gap) => !gap.failed)).toBe(true);
  expect([...new Set(deployed.gaps.unfilled.map((gap) => gap.type))].sort()).toMatchSnapshot();
});
