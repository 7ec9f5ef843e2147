import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Context that makes every error and warning of aws-cdk-lib's built-in CloudFormation
 * validator fail synthesis (the same flags as the repository's cdk.json).
 */
export const STRICT_VALIDATION_CONTEXT = {
  '@aws-cdk/core:validateAgainstDefaultRules': true,
  '@aws-cdk/core:strictCfnValidateErrors': true,
};

/** A fresh app whose synthesis fails on any CloudFormation validator finding. */
export function strictApp(): App {
  return new App({ context: STRICT_VALIDATION_CONTEXT });
}

/** A fresh stack, in a fresh strict app, in a fixed environment so snapshots are deterministic. */
export function strictStack(id = 'Stack'): Stack {
  return new Stack(strictApp(), id, { env: { account: '123456789012', region: 'us-east-1' } });
}

/** The logical id of an L2 construct's CloudFormation resource (its default child). */
export function logicalId(construct: IConstruct): string {
  const cfn = construct.node.defaultChild as CfnResource;
  return Stack.of(cfn).getLogicalId(cfn);
}
