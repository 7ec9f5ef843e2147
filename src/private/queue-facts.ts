import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';

/** SQS's visibility timeout when a queue sets none. */
const SQS_DEFAULT_VISIBILITY_TIMEOUT = Duration.seconds(30);

/**
 * The visibility timeout of `queue` when it is known at synth: a queue with a `visibilityTimeout`
 * Duration of its own (a WorkQueue, matched by shape so that this helper never imports a construct),
 * or an `sqs.Queue` created in this app (its CloudFormation `VisibilityTimeout`, SQS's 30 seconds
 * when unset). Undefined for an imported queue and for a token, whose value only the deployment knows:
 * consumers then skip the checks that need it.
 */
export function knownVisibilityTimeout(queue: sqs.IQueue): Duration | undefined {
  const declared = (queue as { readonly visibilityTimeout?: unknown }).visibilityTimeout;
  if (declared instanceof Duration) {
    return declared.isUnresolved() ? undefined : declared;
  }
  const resource = queue.node.defaultChild;
  if (resource === undefined || !sqs.CfnQueue.isCfnQueue(resource)) {
    return undefined;
  }
  const seconds = resource.visibilityTimeout;
  if (seconds === undefined) {
    return SQS_DEFAULT_VISIBILITY_TIMEOUT;
  }
  const timeout = Duration.seconds(seconds);
  return timeout.isUnresolved() ? undefined : timeout;
}
