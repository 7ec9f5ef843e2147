import { Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/**
 * The one construct of a kind per stack, created on first use directly under the stack with a fixed id
 * (the stack-wide alarm topic, the Amazon MQ logs resource policy). `isInstance` tells an existing one
 * apart from an unrelated construct that happens to use the id.
 */
export function stackSingleton<T extends Construct>(
  scope: IConstruct,
  id: string,
  isInstance: (construct: IConstruct) => construct is T,
  create: (stack: Stack, id: string) => T,
): T {
  const stack = Stack.of(scope);
  const existing = stack.node.tryFindChild(id);
  if (existing !== undefined) {
    if (!isInstance(existing)) {
      throw new Error(
        `[${stack.node.path}] the construct id "${id}" is reserved by cdk-decoupling-patterns for a stack-wide construct; rename your construct`,
      );
    }
    return existing;
  }
  return create(stack, id);
}
