import * as crypto from 'crypto';
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * A physical name that is unique per stack name and construct path, for resources
 * whose ARN another resource must know before both exist (a dead-letter queue's
 * `RedriveAllowPolicy` naming its source would otherwise be a dependency cycle).
 *
 * The stack *name* (not only its id) is part of the hash, so one app deployed twice
 * under different stack names into one account never collides.
 */
export function generatePhysicalName(scope: IConstruct, maxLength: number): string {
  const stack = Stack.of(scope);
  const stackName = Token.isUnresolved(stack.stackName) ? stack.node.id : stack.stackName;
  const pathInStack = scope.node.scopes
    .slice(scope.node.scopes.indexOf(stack) + 1)
    .map((s) => s.node.id)
    .join('-');
  const hash = crypto.createHash('sha256').update(`${stackName}/${pathInStack}`).digest('hex').slice(0, 8);
  const readable = `${stackName}-${pathInStack}`.replace(/[^A-Za-z0-9_-]/g, '');
  const room = maxLength - hash.length - 1;
  const head = readable.length > room ? readable.slice(0, room) : readable;
  return `${head}-${hash}`;
}
