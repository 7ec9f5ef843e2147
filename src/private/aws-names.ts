import { Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { IConstruct } from 'constructs';

/**
 * The regional endpoint name of a service in the stack's partition, e.g. `sns.eu-west-1.amazonaws.com`
 * (`.amazonaws.com.cn` in China): the value of `kms:ViaService`, and the regional service principal of
 * CloudWatch Logs. Never a hard-coded `amazonaws.com`: the domain is the region's own when the region is
 * known at synth, and `AWS::URLSuffix` when it is not.
 */
export function regionalServiceName(scope: IConstruct, service: string): string {
  const stack = Stack.of(scope);
  const domain = Token.isUnresolved(stack.region)
    ? stack.urlSuffix
    : (RegionInfo.get(stack.region).domainSuffix ?? stack.urlSuffix);
  return `${service}.${stack.region}.${domain}`;
}
