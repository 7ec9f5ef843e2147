import { Duration } from 'aws-cdk-lib';
import { strictStack } from '../../harness/app';
import { inUserLanguage, userLanguage } from '../../src/private/user-language';
import { TopicFanOut } from '../../src/topic-fan-out';
import { WorkQueue } from '../../src/work-queue';

// Errors name props and methods as the user's language does. The jsii runtime of each language starts the
// library's Node process with JSII_AGENT set (the Python runtime: `Python/<version>`), which these tests set.

function errorUnder(agent: string | undefined, build: () => unknown): string {
  const before = process.env.JSII_AGENT;
  if (agent === undefined) {
    delete process.env.JSII_AGENT;
  } else {
    process.env.JSII_AGENT = agent;
  }
  try {
    build();
  } catch (error) {
    return (error as Error).message;
  } finally {
    if (before === undefined) {
      delete process.env.JSII_AGENT;
    } else {
      process.env.JSII_AGENT = before;
    }
  }
  throw new Error('expected the construct to refuse its input');
}

const badMaxReceiveCount = () => new WorkQueue(strictStack(), 'Jobs', { maxReceiveCount: 0 });
const badQueueId = () => new TopicFanOut(strictStack(), 'Orders').addQueue('', {});

describe('the runtime identifies the language', () => {
  test.each([
    ['Python/3.11.7', 'python'],
    ['Java/17.0.15', 'java'],
    ['DotNet/8.0.1/.NETCoreApp,Version=v8.0/1.0.0.0', 'csharp'],
    ['Go/go1.26.8', 'go'],
    [undefined, 'typescript'],
    ['', 'typescript'],
  ])('JSII_AGENT %p is %s', (agent, language) => {
    expect(userLanguage(agent)).toBe(language);
  });
});

describe('errors name props and methods as the user writes them', () => {
  test('Python: max_receive_count', () => {
    expect(errorUnder('Python/3.11.7', badMaxReceiveCount)).toBe(
      '[Stack/Jobs] max_receive_count must be an integer between 1 and 1,000, got 0',
    );
  });

  test('Java: maxReceiveCount, as in TypeScript', () => {
    const java = errorUnder('Java/17.0.15', badMaxReceiveCount);
    expect(java).toBe('[Stack/Jobs] maxReceiveCount must be an integer between 1 and 1,000, got 0');
    expect(errorUnder(undefined, badMaxReceiveCount)).toBe(java);
  });

  test('a method: add_queue in Python, addQueue in Java', () => {
    expect(errorUnder('Python/3.11.7', badQueueId)).toMatch(/^\[Stack\/Orders\] add_queue id /);
    expect(errorUnder('Java/17.0.15', badQueueId)).toMatch(/^\[Stack\/Orders\] addQueue id /);
  });

  test('C# and Go: PascalCase', () => {
    expect(errorUnder('DotNet/8.0.1', badMaxReceiveCount)).toMatch(/^\[Stack\/Jobs\] MaxReceiveCount must/);
    expect(errorUnder('Go/go1.26.8', badMaxReceiveCount)).toMatch(/^\[Stack\/Jobs\] MaxReceiveCount must/);
  });

  test('the value is shown as given, in every language', () => {
    const badName = () => new WorkQueue(strictStack(), 'Jobs', { queueName: 'ordersQueue!' });
    expect(errorUnder('Python/3.11.7', badName)).toMatch(/^\[Stack\/Jobs\] queue_name .*, got "ordersQueue!"$/);
  });

  test('names inside the rule are respelled too; other words are left alone', () => {
    expect(
      inUserLanguage('must be at least 6 × visibilityTimeout (Duration.minutes) with AWS::SQS::Queue', 'python'),
    ).toBe('must be at least 6 × visibility_timeout (Duration.minutes) with AWS::SQS::Queue');
    expect(inUserLanguage('CloudFormation takes GiB', 'python')).toBe('CloudFormation takes GiB');
    expect(Duration.minutes(1).toHumanString()).toBe('1 minute');
  });
});
