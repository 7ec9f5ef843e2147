import { App } from 'aws-cdk-lib';
import { deployStack } from '../../harness/local-aws';
import { useLocalAws } from '../../harness/local-aws/jest';
import { runEncodingSpike, spikeFailures } from '../../harness/scenarios/encoding-spike';
import { WorkQueueBlueprint } from '../../src/blueprints';

// The seed scenario of the main job, on the blueprint deployed into the embedded local AWS:
// every job is processed or dead-lettered, poison jobs and only they end in the DLQ, none is lost.
const local = useLocalAws();

test('a spike of encoding jobs with 2% poison: none lost, the poison dead-lettered', async () => {
  const stack = new WorkQueueBlueprint(new App(), 'WorkQueueBlueprint', {
    env: { account: local().account, region: local().region },
  });
  const deployed = await deployStack(local(), stack);

  const report = await runEncodingSpike({
    sqs: local().sqs(),
    queueUrl: deployed.outputs.JobQueueUrl,
    deadLetterQueueUrl: deployed.outputs.DeadLetterQueueUrl,
    jobs: 300,
    poisonShare: 0.02,
  });

  expect(spikeFailures(report)).toEqual([]);
  expect(report).toMatchObject({ sent: 300, processed: 294, deadLettered: 6, lost: 0 });
});
