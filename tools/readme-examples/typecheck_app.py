"""An app that uses every construct of the library, for `mypy --strict` against the built wheel
(tools/readme-examples.ts runs it after the examples): the Python package's type hints must accept what a
Python user writes, including the validation plugins as `IPolicyValidationPlugin`s.
"""

import aws_cdk as cdk
import aws_cdk.aws_ec2 as ec2
import aws_cdk.aws_ecs as ecs
import aws_cdk.aws_lambda as lambda_
import aws_cdk.aws_s3 as s3
import cdk_decoupling_patterns as patterns
from cdk_decoupling_patterns import blueprints


def build(app: cdk.App) -> cdk.Stack:
    stack = cdk.Stack(app, "EveryConstruct")

    jobs = patterns.WorkQueue(stack, "Jobs", visibility_timeout=cdk.Duration.minutes(15))
    orders = patterns.TopicFanOut(stack, "Orders")
    fulfilment: patterns.WorkQueue = orders.add_queue("Fulfilment")
    orders.add_email_subscriber("Desk", "orders@example.com")

    network = patterns.IsolatedVpc(stack, "Network")
    vpc: ec2.IVpc = network.vpc
    patterns.PrivateEndpoints(stack, "Endpoints", vpc=vpc)

    patterns.QueueProcessingFleet(stack, "Fleet", queue=jobs, vpc=vpc)
    service = patterns.QueueProcessingService(
        stack,
        "Service",
        queue=fulfilment,
        vpc=vpc,
        image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:latest"),
        backlog_per_task_target=10,
    )
    handler = lambda_.Function(
        stack,
        "Handler",
        runtime=lambda_.Runtime.NODEJS_22_X,
        handler="index.handler",
        code=lambda_.Code.from_inline("exports.handler = async () => ({});"),
    )
    function_consumer = patterns.QueueProcessingFunction(
        stack, "Function", queue=patterns.WorkQueue(stack, "Thumbnails"), handler=handler
    )

    positions = patterns.EncryptedStream(stack, "Positions")
    consumer: patterns.EnhancedFanOutConsumer = positions.add_consumer("live-map")
    patterns.StreamProcessingFunction(stack, "Reader", stream=positions, handler=handler)
    patterns.StreamToS3(stack, "Archive", stream=positions)
    patterns.StreamAnalytics(
        stack,
        "Analytics",
        stream=positions,
        enhanced_fan_out_consumer=consumer,
        code=patterns.StreamAnalyticsCode.from_bucket(
            s3.Bucket.from_bucket_name(stack, "Code", "flink-code"), "apps/truck-counts.zip"
        ),
    )
    patterns.MessageBroker(stack, "Broker", vpc=vpc)
    patterns.StackAlarmTopic.of(stack).topic.add_subscription(
        cdk.aws_sns_subscriptions.EmailSubscription("ops@example.com")
    )

    minutes = patterns.BacklogCapacityModel.for_service(service).simulate(
        initial_backlog=1000, processing_time_per_message=cdk.Duration.seconds(30), minutes=240
    )
    lambda_minutes = patterns.LambdaSqsScalingModel.for_function(function_consumer).simulate(
        initial_backlog=1000, processing_time_per_message=cdk.Duration.seconds(30), minutes=240
    )
    assert len(minutes) > 0 and len(lambda_minutes) > 0
    return stack


def main() -> None:
    app = cdk.App()
    build(app)
    blueprints.WorkQueueBlueprint(app, "WorkQueueBlueprint")
    # The library's plugins are IPolicyValidationPlugins, as cdk-nag's packs are.
    plugins: list[cdk.IPolicyValidationPlugin] = [patterns.AmazonMQChecks(), patterns.DecouplingChecks()]
    cdk.Validations.of(app).add_plugins(*plugins)
    cdk.Validations.of(app).acknowledge(cdk.Acknowledgment(id="Decoupling-DlqNoAlarm", reason="example"))


if __name__ == "__main__":
    main()
