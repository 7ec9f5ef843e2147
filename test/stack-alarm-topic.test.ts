import { App, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ENV_MATRIX, logicalId } from '../harness/app';
import { expectCompliant } from '../harness/compliance';
import { StackAlarmTopic } from '../src/stack-alarm-topic';
import { WorkQueue } from '../src/work-queue';

describe.each(ENV_MATRIX)('StackAlarmTopic %s', (_env, makeStack) => {
  test('is created once per stack, encrypted with a rotating key CloudWatch may use, and passes the validator and the packs', () => {
    const stack = makeStack();
    const nested = new Construct(stack, 'Deep');
    const topic = StackAlarmTopic.of(stack);
    expect(StackAlarmTopic.of(new Construct(nested, 'Deeper'))).toBe(topic);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(topic.encryptionKey), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expectCompliant(stack);
  });

  test('two stacks of one app get one topic each', () => {
    const stack = makeStack('One');
    const env = Token.isUnresolved(stack.region) ? undefined : { account: stack.account, region: stack.region };
    const other = new Stack(stack.node.root as App, 'Two', { env });
    expect(StackAlarmTopic.of(stack)).not.toBe(StackAlarmTopic.of(other));
    new WorkQueue(other, 'Jobs');
    Template.fromStack(other).resourceCountIs('AWS::SNS::Topic', 1);
  });
});

describe('StackAlarmTopic.of refuses what it cannot serve, naming it', () => {
  test('a construct of the user that took the reserved id', () => {
    const stack = ENV_MATRIX[1][1]();
    new sns.Topic(stack, 'DecouplingPatternsAlarmTopic');
    expect(() => new WorkQueue(stack, 'Jobs')).toThrow(
      /^\[Stack\/DecouplingPatternsAlarmTopic\] id is reserved by cdk-decoupling-patterns for the stack-wide alarm topic; give your construct another id, got "DecouplingPatternsAlarmTopic"$/,
    );
  });

  test('a construct outside any stack', () => {
    const app = new App();
    expect(() => StackAlarmTopic.of(new Construct(app, 'Loose'))).toThrow(
      /^\[Loose\] of scope must be a construct within a Stack, got "Loose"$/,
    );
  });

  test('something that is not a construct (JavaScript)', () => {
    expect(() => StackAlarmTopic.of('Stack' as unknown as Construct)).toThrow(
      /^\[StackAlarmTopic\] of scope must be a construct in a stack, got "Stack"$/,
    );
  });
});
