import { ArnFormat, Stack, Stage, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { BROKER_LOG_GROUP_PREFIX } from './key-policy';
import { stackSingleton } from '../stack-singleton';
import { invalidProp } from '../validation';

const CONSTRUCT_ID = 'DecouplingPatternsAmazonMqLogsPolicy';

/**
 * CloudWatch Logs allows 10 resource policies per account and region, and a policy document of at most 5,120
 * characters (CloudWatch Logs User Guide, "CloudWatch Logs quotas",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html; PutResourcePolicy API
 * reference: policyDocument "Length Constraints: Minimum length of 1. Maximum length of 5120").
 */
export const MAX_RESOURCE_POLICIES_PER_REGION = 10;
export const MAX_RESOURCE_POLICY_LENGTH = 5120;

/** Where a policy of this app is deployed, as far as synth knows. */
interface PolicyPlace {
  readonly path: string;
  readonly stage: IConstruct;
  readonly account?: string;
  readonly region?: string;
}

const POLICIES = new WeakMap<IConstruct, PolicyPlace[]>();

/**
 * The CloudWatch Logs resource policy that lets Amazon MQ write the logs of brokers (one per stack, shared by
 * the stack's brokers).
 *
 * It is the one statement the Amazon MQ Developer Guide gives ("Configuring Amazon MQ for ActiveMQ logs":
 * "Configure a resource-based policy for Amazon MQ" and "Cross-service confused deputy prevention",
 * https://docs.aws.amazon.com/amazon-mq/latest/developer-guide/configure-logging-monitoring-activemq.html):
 * `mq.amazonaws.com` may create log streams and put log events in the Amazon MQ log groups of this account and
 * region, for brokers of this account and region only (`aws:SourceAccount`, `aws:SourceArn`). Its size does not
 * grow with the brokers (one statement per broker made a stack of about 14 brokers exceed the 5,120 characters
 * CloudWatch Logs allows), and since it covers every broker of the account and region, one is enough for all of
 * them: an app with many stacks creates it in one and sets `createLogsResourcePolicy: false` in the others, and
 * synth refuses an app that would create more than CloudWatch Logs' 10 per account and region.
 */
export class AmazonMqLogsResourcePolicy extends Construct {
  /**
   * The policy of the stack that contains `broker`, created on first use.
   *
   * @param broker the broker that needs it, named by the error when the app has too many
   */
  public static of(broker: IConstruct): AmazonMqLogsResourcePolicy {
    return stackSingleton(
      broker,
      CONSTRUCT_ID,
      (construct): construct is AmazonMqLogsResourcePolicy => construct instanceof AmazonMqLogsResourcePolicy,
      (stack, id) => {
        claimPolicyPlace(broker, stack);
        return new AmazonMqLogsResourcePolicy(stack, id);
      },
    );
  }

  /** The policy. */
  public readonly policy: logs.ResourcePolicy;

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.policy = new logs.ResourcePolicy(this, 'Resource');
    this.policy.document.addStatements(
      new iam.PolicyStatement({
        sid: 'AllowAmazonMQToWriteBrokerLogs',
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
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'mq',
              resource: 'broker',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}

/** Records the stack's policy, and refuses the 11th of the app that may land in one account and region. */
function claimPolicyPlace(broker: IConstruct, stack: Stack): void {
  const root = stack.node.root;
  const places = POLICIES.get(root) ?? [];
  const mine: PolicyPlace = {
    path: stack.node.path,
    stage: Stage.of(stack) ?? root,
    account: Token.isUnresolved(stack.account) ? undefined : stack.account,
    region: Token.isUnresolved(stack.region) ? undefined : stack.region,
  };
  const sharing = places.filter((other) => mayShareRegion(other, mine));
  if (sharing.length >= MAX_RESOURCE_POLICIES_PER_REGION) {
    throw invalidProp(
      broker,
      'createLogsResourcePolicy',
      `must be false in the brokers of all but one of the stacks that deploy to one account and region: CloudWatch Logs ` +
        `allows ${MAX_RESOURCE_POLICIES_PER_REGION} resource policies per account and region, and this would be the ` +
        `${sharing.length + 1}th of this app there (${[...sharing.map((p) => p.path), mine.path].join(', ')}); ` +
        'one policy lets Amazon MQ write the logs of every broker of the account and region, so create it in one stack ' +
        'and deploy that stack first',
      true,
    );
  }
  POLICIES.set(root, [...places, mine]);
}

/**
 * Whether two policies may be deployed to the same account and region: both known and equal, or, when either
 * stack is env-agnostic, in the same Stage (stacks deployed together) and not known to differ.
 */
function mayShareRegion(a: PolicyPlace, b: PolicyPlace): boolean {
  if (a.account && a.region && b.account && b.region) {
    return a.account === b.account && a.region === b.region;
  }
  const same = (x?: string, y?: string) => x === undefined || y === undefined || x === y;
  return a.stage === b.stage && same(a.account, b.account) && same(a.region, b.region);
}
