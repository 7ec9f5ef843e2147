// What a construct costs in CloudFormation resources, against the 500 resources a stack may hold:
// resources per instance (or per added subscriber), the fixed cost shared by all instances in a stack
// (the stack alarm topic, a VPC ...), and the largest number that fits, verified by synthesizing it and
// one more. Used by the benchmark, side by side with a hand-written aws-cdk-lib equivalent.
import { App, Stack } from 'aws-cdk-lib';

/** CloudFormation's limit, which aws-cdk-lib enforces at synth. */
export const STACK_RESOURCE_LIMIT = 500;

/** Builds `count` instances (or subscribers) into `stack`, with whatever they share created once. */
export type Build = (stack: Stack, count: number) => void;

export interface Weight {
  /** Resources one more instance adds. */
  readonly resourcesEach: number;
  /** Resources the first instance brings beyond `resourcesEach`, shared by all (alarm topic, VPC ...). */
  readonly fixed: number;
  /** Template bytes one more instance adds. */
  readonly bytesEach: number;
  /** The most instances one stack holds. */
  readonly fitInOneStack: number;
  /** Whether `fitInOneStack` is set by a service limit (`cap`) rather than by the resource limit. */
  readonly capped: boolean;
  /**
   * Whether synthesizing `fitInOneStack` passed and, unless capped, one more failed on the resource
   * limit.
   */
  readonly verified: boolean;
}

/**
 * @param cap a service limit on the count (e.g. 20 consumers per stream) that binds before the
 *   resource limit does
 */
export function measureWeight(build: Build, cap?: number): Weight {
  const one = synthesize(build, 1);
  const two = synthesize(build, 2);
  if (one.error || two.error) {
    throw one.error ?? two.error;
  }
  const resourcesEach = two.resources - one.resources;
  const fixed = one.resources - resourcesEach;
  const byResources = Math.floor((STACK_RESOURCE_LIMIT - fixed) / resourcesEach);
  const capped = cap !== undefined && cap < byResources;
  const fitInOneStack = capped ? cap : byResources;
  const atLimit = synthesize(build, fitInOneStack);
  const fits = atLimit.error === undefined && atLimit.resources <= STACK_RESOURCE_LIMIT;
  const beyond = capped ? undefined : synthesize(build, fitInOneStack + 1);
  const verified = fits && (capped || /greater than allowed maximum of 500/.test(beyond?.error?.message ?? ''));
  return { resourcesEach, fixed, bytesEach: two.bytes - one.bytes, fitInOneStack, capped, verified };
}

function synthesize(build: Build, count: number): { resources: number; bytes: number; error?: Error } {
  const app = new App();
  const stack = new Stack(app, 'Weight', { env: { account: '123456789012', region: 'us-east-1' } });
  build(stack, count);
  try {
    const template = app.synth().getStackByName('Weight').template;
    return { resources: Object.keys(template.Resources).length, bytes: JSON.stringify(template).length };
  } catch (error) {
    return { resources: NaN, bytes: NaN, error: error as Error };
  }
}

/** A construct of this library and the plain aws-cdk-lib code a user would write for the same job. */
export interface WeightSubject {
  readonly name: string;
  /** What the hand-written code is, in a few words. */
  readonly equivalent: string;
  readonly ours: Build;
  readonly handWritten: Build;
  /** A service limit on the count that binds before the resource limit, and where it comes from. */
  readonly cap?: { readonly count: number; readonly source: string };
}
