import { Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { allowServiceToUseKey } from './private/key-policies';
import { stackSingleton } from './private/stack-singleton';
import { invalidProp } from './private/validation';

const CONSTRUCT_ID = 'DecouplingPatternsAlarmTopic';

/**
 * The SNS topic that alarms of every construct of this library in one stack notify
 * when they are not given an `alarmTopic` of their own.
 *
 * It is created on first use, encrypted with a customer-managed key (rotation on)
 * that CloudWatch may use, and denies publishing without TLS. Subscribe your pager
 * or mailbox to it:
 *
 * `StackAlarmTopic.of(stack).topic.addSubscription(new subscriptions.EmailSubscription('ops@example.com'))`
 */
export class StackAlarmTopic extends Construct {
  /**
   * The alarm topic of the stack that contains `scope`, created on first use.
   */
  public static of(scope: IConstruct): StackAlarmTopic {
    if (!Construct.isConstruct(scope)) {
      // Not a construct: there is no path to name, so the class stands in for it.
      throw new Error(
        `[StackAlarmTopic] of scope must be a construct in a stack, got ${typeof scope === 'string' ? JSON.stringify(scope) : String(scope)}`,
      );
    }
    if (!scope.node.scopes.some((s) => Stack.isStack(s))) {
      throw invalidProp(scope, 'of scope', 'must be a construct within a Stack', scope.node.path || '(the app)');
    }
    const taken = Stack.of(scope).node.tryFindChild(CONSTRUCT_ID);
    if (taken !== undefined && !(taken instanceof StackAlarmTopic)) {
      throw invalidProp(
        taken,
        'id',
        'is reserved by cdk-decoupling-patterns for the stack-wide alarm topic; give your construct another id',
        CONSTRUCT_ID,
      );
    }
    return stackSingleton(
      scope,
      CONSTRUCT_ID,
      (construct): construct is StackAlarmTopic => construct instanceof StackAlarmTopic,
      (stack, id) => new StackAlarmTopic(stack, id),
    );
  }

  /** The topic alarms notify. */
  public readonly topic: sns.Topic;

  /** The customer-managed key the topic is encrypted with. */
  public readonly encryptionKey: kms.Key;

  private constructor(scope: Construct, id: string) {
    super(scope, id);

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `Encrypts the alarm topic created by ${this.node.path}`,
      enableKeyRotation: true,
    });
    // CloudWatch must be able to encrypt the messages it publishes on alarm; without
    // this statement alarm notifications to an encrypted topic are dropped silently.
    // This is the statement AWS documents; the topic itself decides who may publish.
    allowServiceToUseKey(this.encryptionKey, {
      sid: 'AllowCloudWatchAlarmsToPublishEncrypted',
      servicePrincipal: 'cloudwatch.amazonaws.com',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    });

    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'Alarms of cdk-decoupling-patterns constructs',
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
  }
}
