import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * What a grant on a resource and on the key that encrypts it consists of.
 */
export interface KeyedGrantOptions {
  /** Who is granted. */
  readonly grantee: iam.IGrantable;
  /** Exact actions on the resource. */
  readonly actions: string[];
  /** The resource's ARNs. */
  readonly resourceArns: string[];
  /**
   * The resource, when it has a resource policy: a grantee of another account then also gets a statement
   * there, as aws-cdk-lib's own grants do.
   */
  readonly resource?: iam.IResourceWithPolicy;
  /** The customer-managed key of the resource, if any. */
  readonly key?: kms.IKey;
  /** Exact actions on the key; none means the key is not touched. */
  readonly keyActions: string[];
}

/**
 * A grant of exact actions on a resource plus exact actions on its key (aws-cdk-lib's own grants give
 * wildcards such as `kms:GenerateDataKey*` on the key, which compliance packs flag). One Grant comes
 * back, so the caller can `applyBefore` or check `success` on the whole.
 */
export function grantWithKey(options: KeyedGrantOptions): iam.Grant {
  const { grantee, actions, resourceArns, resource, key, keyActions } = options;
  const onResource = resource
    ? iam.Grant.addToPrincipalOrResource({ grantee, actions, resourceArns, resource })
    : iam.Grant.addToPrincipal({ grantee, actions, resourceArns });
  if (key === undefined || keyActions.length === 0) {
    return onResource;
  }
  return onResource.combine(key.grant(grantee, ...keyActions));
}
