import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The newest Node.js runtime the aws-cdk-lib in use knows (`lambda.Runtime.ALL`): `nodejs26.x` with
 * aws-cdk-lib 2.277, `nodejs24.x` with the peer minimum. cdk-nag's LambdaLatestVersion rules
 * (AwsSolutions-L1, Serverless-LambdaLatestVersion) compare a function's runtime with the same list, so a
 * fixed runtime (or `NODEJS_LATEST`, which lags behind) would be a finding as soon as the user upgrades
 * aws-cdk-lib; aws-cdk-lib adds a runtime to the list once Lambda offers it.
 */
export function newestNodejsRuntime(): lambda.Runtime {
  let newest: { runtime: lambda.Runtime; major: number } | undefined;
  for (const runtime of lambda.Runtime.ALL) {
    const major = /^nodejs(\d+)\.x$/.exec(runtime.name)?.[1];
    if (runtime.family === lambda.RuntimeFamily.NODEJS && major !== undefined && !runtime.isVariable) {
      if (newest === undefined || Number(major) > newest.major) {
        newest = { runtime, major: Number(major) };
      }
    }
  }
  return newest?.runtime ?? lambda.Runtime.NODEJS_LATEST;
}
