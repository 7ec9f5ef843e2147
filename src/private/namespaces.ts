import { Construct } from 'constructs';

/**
 * The construct that groups a parent's children of one kind (`Queues`, `Subscriptions`, `Consumers`,
 * `KclApplications`, `Users`), created on first use. Children under it take ids the user gives, so
 * removing one renames no other.
 */
export function childNamespace(parent: Construct, id: string): Construct {
  return (parent.node.tryFindChild(id) as Construct | undefined) ?? new Construct(parent, id);
}
