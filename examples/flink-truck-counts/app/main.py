"""Per-truck position counts per minute, in Flink SQL, on Amazon Managed Service for Apache Flink.

Reads the truck positions the telemetry blueprint's stream carries (JSON: truckId, seq, lat, lon), counts each
truck's positions in tumbling one-minute windows of processing time, and writes one row per truck and minute to
a Kinesis stream (property `sink.stream.name` of the TruckCounts group) or, without one, to Flink's `print` sink.

The stream comes from the `InputStream` property group that the StreamAnalytics construct fills (stream.name,
aws.region, and efo.consumer.name and efo.consumer.arn with enhanced fan-out). The Kinesis connector JAR
(flink-connector-kinesis 4.3.0-1.19, for the FLINK-1_19 runtime; see pom.xml) is in lib/, named in the
`kinesis.analytics.flink.run.options` group. Its 'kinesis' table connector takes the stream by name, and its
consumer settings are the connector's `flink.stream.*` properties written with a `scan.` prefix.
"""

import json
import os

# Where Managed Service for Apache Flink puts the application's runtime properties.
SERVICE_PROPERTIES = "/etc/flink/application_properties.json"
INPUT_GROUP = "InputStream"
APP_GROUP = "TruckCounts"


def load_property_groups(path):
    """The runtime properties as {group id: {key: value}}."""
    with open(path, encoding="utf-8") as handle:
        return {group["PropertyGroupId"]: group["PropertyMap"] for group in json.load(handle)}


def quote(value):
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def with_clause(options):
    return ",\n  ".join(f"{quote(key)} = {quote(value)}" for key, value in options.items())


def source_ddl(input_props, starting_position="LATEST"):
    """The source table over the telemetry stream, read through its consumer when one is given."""
    stream = input_props["stream.name"]
    options = {
        "connector": "kinesis",
        "stream": stream,
        "aws.region": input_props["aws.region"],
        "scan.stream.initpos": starting_position,
        "format": "json",
        "json.ignore-parse-errors": "true",
    }
    if "efo.consumer.arn" in input_props:
        # The consumer is the construct's (StreamAnalytics' enhancedFanOutConsumer): read through it and never
        # register or deregister one (registration NONE takes the consumer's ARN per stream).
        options["scan.stream.recordpublisher"] = "EFO"
        options["scan.stream.efo.consumername"] = input_props["efo.consumer.name"]
        options["scan.stream.efo.registration"] = "NONE"
        options[f"scan.stream.efo.consumerarn.{stream}"] = input_props["efo.consumer.arn"]
    return (
        "CREATE TABLE positions (\n"
        "  truckId STRING,\n"
        "  seq BIGINT,\n"
        "  lat DOUBLE,\n"
        "  lon DOUBLE,\n"
        "  proc_time AS PROCTIME()\n"
        f") WITH (\n  {with_clause(options)}\n)"
    )


def sink_ddl(app_props, region):
    """One row per truck and minute: to a Kinesis stream when `sink.stream.name` is set, else to `print`."""
    columns = "truckId STRING,\n  window_start TIMESTAMP(3),\n  window_end TIMESTAMP(3),\n  positions BIGINT"
    if app_props.get("sink.stream.name"):
        options = {
            "connector": "kinesis",
            "stream": app_props["sink.stream.name"],
            "aws.region": region,
            "format": "json",
        }
        return f"CREATE TABLE truck_counts (\n  {columns}\n) PARTITIONED BY (truckId) WITH (\n  {with_clause(options)}\n)"
    return f"CREATE TABLE truck_counts (\n  {columns}\n) WITH (\n  {with_clause({'connector': 'print'})}\n)"


# A tumbling window table-valued function: each position counts in exactly one minute of its truck.
COUNT_QUERY = """INSERT INTO truck_counts
SELECT truckId, window_start, window_end, COUNT(*) AS positions
FROM TABLE(TUMBLE(TABLE positions, DESCRIPTOR(proc_time), INTERVAL '1' MINUTE))
GROUP BY truckId, window_start, window_end"""


def statements(groups):
    """The SQL the job runs, from the runtime property groups."""
    input_props = groups[INPUT_GROUP]
    app_props = groups.get(APP_GROUP, {})
    return [
        source_ddl(input_props, app_props.get("scan.stream.initpos", "LATEST")),
        sink_ddl(app_props, input_props["aws.region"]),
        COUNT_QUERY,
    ]


def main():
    # Imported here so that the SQL above can be tested without PyFlink installed.
    from pyflink.table import EnvironmentSettings, TableEnvironment

    path = os.environ.get("TRUCK_COUNTS_PROPERTIES", SERVICE_PROPERTIES)
    table_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    source, sink, query = statements(load_property_groups(path))
    table_env.execute_sql(source)
    table_env.execute_sql(sink)
    # The service runs the job; execute_sql submits it and returns.
    table_env.execute_sql(query)


if __name__ == "__main__":
    main()
