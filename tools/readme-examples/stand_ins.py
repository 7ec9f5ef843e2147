"""Values for the variables a README example only declares (`declare const worker: iam.IGrantable`), in Python.

Each mirrors the TypeScript stand-in of the same type in stand-ins.ts, so that both languages synthesize the
same template; the ids are the variable's TypeScript name with a `StandIn` prefix.
"""

import aws_cdk as cdk
import aws_cdk.aws_ec2 as ec2
import aws_cdk.aws_ecs as ecs
import aws_cdk.aws_iam as iam
import aws_cdk.aws_kinesis as kinesis
import aws_cdk.aws_lambda as lambda_
import aws_cdk.aws_sqs as sqs
import cdk_decoupling_patterns as patterns

HANDLER = "exports.handler = async () => ({});"


def _function(scope, id):
    return lambda_.Function(
        scope,
        id,
        runtime=lambda_.Runtime.NODEJS_22_X,
        handler="index.handler",
        code=lambda_.Code.from_inline(HANDLER),
    )


def _role(scope, id):
    return iam.Role(scope, id, assumed_by=iam.AccountRootPrincipal())


def _security_group(scope, id):
    return ec2.SecurityGroup(scope, id, vpc=ec2.Vpc(scope, id + "Vpc"))


def _queue_processing_service(scope, id):
    return patterns.QueueProcessingService(
        scope,
        id,
        queue=patterns.WorkQueue(scope, id + "Queue", visibility_timeout=cdk.Duration.minutes(15)),
        vpc=patterns.IsolatedVpc(scope, id + "Vpc").vpc,
        image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:latest"),
        acceptable_latency=cdk.Duration.minutes(10),
        processing_time_per_message=cdk.Duration.minutes(1),
    )


def _queue_processing_function(scope, id):
    return patterns.QueueProcessingFunction(
        scope,
        id,
        queue=patterns.WorkQueue(scope, id + "Queue", visibility_timeout=cdk.Duration.minutes(3)),
        handler=_function(scope, id + "Handler"),
    )


STAND_INS = {
    "iam.IGrantable": _role,
    "iam.IRole": _role,
    "ec2.IVpc": lambda scope, id: ec2.Vpc(scope, id),
    "ec2.IConnectable": _security_group,
    "lambda.Function": _function,
    "lambda.IFunction": _function,
    "kinesis.IStream": lambda scope, id: kinesis.Stream(scope, id),
    "sqs.IQueue": lambda scope, id: sqs.Queue(scope, id),
    "App": lambda scope, id: cdk.App(),
    "patterns.QueueProcessingService": _queue_processing_service,
    "patterns.QueueProcessingFunction": _queue_processing_function,
}


def stand_in(scope, ts_name, ts_type):
    return STAND_INS[ts_type](scope, "StandIn" + ts_name[0].upper() + ts_name[1:])
