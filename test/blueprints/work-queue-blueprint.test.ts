import { Template } from 'aws-cdk-lib/assertions';
import { strictApp } from '../../harness/app';
import { expectCompliant } from '../../harness/compliance';
import { WorkQueueBlueprint } from '../../src/blueprints';

describe('WorkQueueBlueprint', () => {
  const app = strictApp();
  const stack = new WorkQueueBlueprint(app, 'WorkQueueBlueprint', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const template = Template.fromStack(stack);

  test('holds a KMS-encrypted job queue whose visibility timeout covers one encoding job', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 900,
      KmsMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(stack.jobs.encryptionKey!.node.defaultChild as any), 'Arn'] },
      RedrivePolicy: { maxReceiveCount: 5 },
    });
    expect(stack.jobs.alarms).toHaveLength(3);
  });

  test('outputs the queue URLs and the alarm topic', () => {
    expect(Object.keys(template.toJSON().Outputs)).toEqual(['JobQueueUrl', 'DeadLetterQueueUrl', 'AlarmTopicArn']);
  });

  test('passes the five compliance packs and the CloudFormation validator', () => {
    expectCompliant(stack);
  });

  test('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });
});
