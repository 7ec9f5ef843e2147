import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { BROKER_LOG_GROUP_PREFIX } from './key-policy';
import { stackSingleton } from '../stack-singleton';

const CONSTRUCT_ID = 'DecouplingPatternsAmazonMqLogsPolicy';

/**
 * The CloudWatch Logs resource policy that lets Amazon MQ write the logs of the brokers of one stack
 * (one per stack: an account has at most 10 such policies per region). Each broker adds a statement
 * limited to its own ARN.
 */
export class AmazonMqLogsResourcePolicy extends Construct {
  /** The policy of the stack that contains `scope`, created on first use. */
  public static of(scope: IConstruct): AmazonMqLogsResourcePolicy {
    return stackSingleton(
      scope,
      CONSTRUCT_ID,
      (construct): construct is AmazonMqLogsResourcePolicy => construct instanceof AmazonMqLogsResourcePolicy,
      (stack, id) => new AmazonMqLogsResourcePolicy(stack, id),
    );
  }

  private readonly policy: logs.ResourcePolicy;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    this.policy = new logs.ResourcePolicy(this, 'Resource');
  }

  /** Lets the broker named `brokerName` write to the Amazon MQ log groups of this account and region. */
  public allowBroker(brokerName: string): void {
    const stack = Stack.of(this);
    this.policy.document.addStatements(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(iam.ServicePrincipal.servicePrincipalName('mq'))],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${BROKER_LOG_GROUP_PREFIX}*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          // The broker id is not known before the broker exists; its name is.
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'mq',
              resource: 'broker',
              resourceName: `${brokerName}:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}
