import { IConstruct } from 'constructs';
import { methodArgument } from '../validation';

/**
 * Who asked for a child construct. `EncryptedStream.addConsumer` and `addKclApplication` construct an
 * EnhancedFanOutConsumer or a KclApplication; what those refuse was given to the method, so the error must
 * name the stream and the method argument (`[Stack/Positions] addConsumer consumerName ...`), as if the
 * method had checked it itself. Constructed directly, they name themselves and their own props.
 */
export interface Origin {
  /** The construct whose method was called. */
  readonly scope: IConstruct;
  /** The method. */
  readonly method: string;
  /** How the method's arguments are named after the child's props, e.g. `{ consumerName: 'consumerName' }`. */
  readonly argumentOf: Record<string, string>;
}

const PENDING = new WeakMap<IConstruct, Origin>();

/** Builds a child under `parent` on behalf of a method call. */
export function constructFor<T>(parent: IConstruct, origin: Origin, build: () => T): T {
  PENDING.set(parent, origin);
  try {
    return build();
  } finally {
    PENDING.delete(parent);
  }
}

/** Where a child's refusals point: the caller's construct and argument names, or the child and its props. */
export interface Blame {
  readonly scope: IConstruct;
  prop(name: string): string;
}

/** The blame for a child under construction (call it first thing in the child's constructor). */
export function blameFor(child: IConstruct): Blame {
  const origin = child.node.scope ? PENDING.get(child.node.scope) : undefined;
  if (!origin) {
    return { scope: child, prop: (name) => name };
  }
  return {
    scope: origin.scope,
    prop: (name) => {
      const [head, ...rest] = name.split('.');
      const argument = origin.argumentOf[head] ?? `options.${head}`;
      return methodArgument(origin.method, [argument, ...rest].join('.'));
    },
  };
}
