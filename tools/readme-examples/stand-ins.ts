// Values for the variables a README example only declares (`declare const worker: iam.IGrantable`), in
// TypeScript. Each mirrors the Python stand-in of the same type in stand_ins.py, so that both languages
// synthesize the same template; the ids are the variable's name with a `StandIn` prefix.
import { App, Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import * as patterns from '../../lib';

const HANDLER = 'exports.handler = async () => ({});';

function fn(scope: Construct, id: string): lambda.Function {
  return new lambda.Function(scope, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(HANDLER),
  });
}

function role(scope: Construct, id: string): iam.Role {
  return new iam.Role(scope, id, { assumedBy: new iam.AccountRootPrincipal() });
}

const STAND_INS: Record<string, (scope: Construct, id: string) => unknown> = {
  'iam.IGrantable': role,
  'iam.IRole': role,
  'ec2.IVpc': (scope, id) => new ec2.Vpc(scope, id),
  'ec2.IConnectable': (scope, id) => new ec2.SecurityGroup(scope, id, { vpc: new ec2.Vpc(scope, `${id}Vpc`) }),
  'lambda.Function': fn,
  'lambda.IFunction': fn,
  'kinesis.IStream': (scope, id) => new kinesis.Stream(scope, id),
  'sqs.IQueue': (scope, id) => new sqs.Queue(scope, id),
  App: () => new App(),
  'patterns.QueueProcessingService': (scope, id) =>
    new patterns.QueueProcessingService(scope, id, {
      queue: new patterns.WorkQueue(scope, `${id}Queue`, { visibilityTimeout: Duration.minutes(15) }),
      vpc: new patterns.IsolatedVpc(scope, `${id}Vpc`).vpc,
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:latest'),
      acceptableLatency: Duration.minutes(10),
      processingTimePerMessage: Duration.minutes(1),
    }),
  'patterns.QueueProcessingFunction': (scope, id) =>
    new patterns.QueueProcessingFunction(scope, id, {
      queue: new patterns.WorkQueue(scope, `${id}Queue`, { visibilityTimeout: Duration.minutes(3) }),
      handler: fn(scope, `${id}Handler`),
    }),
};

/** The TypeScript types a stand-in exists for. */
export const STAND_IN_TYPES: ReadonlySet<string> = new Set(Object.keys(STAND_INS));

export function standIn(scope: Construct, name: string, type: string): unknown {
  return STAND_INS[type](scope, `StandIn${name[0].toUpperCase()}${name.slice(1)}`);
}
