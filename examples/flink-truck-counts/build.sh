#!/usr/bin/env bash
# Builds build/flink-truck-counts.zip, the code of the example PyFlink application: main.py and, in lib/, one
# JAR with the Apache Flink Kinesis connector for Flink 1.19 and its dependencies, shaded by Maven from
# pom.xml. Maven Central is the only download; nothing else leaves the machine. Deploy it with
#   StreamAnalyticsCode.fromAsset('examples/flink-truck-counts/build/flink-truck-counts.zip')
#   runtime: StreamAnalyticsRuntime.FLINK_1_19
#   propertyGroups: { 'kinesis.analytics.flink.run.options': { python: 'main.py', jarfile: 'lib/truck-counts-connectors.jar' } }
# as the telemetry blueprint does. Re-running it rebuilds from scratch; Maven caches what it downloaded in ~/.m2.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/build"
stage="$out/app"

rm -rf "$out"
mkdir -p "$stage/lib"
cp "$here/app/main.py" "$stage/main.py"

if ! mvn -q -B -f "$here/pom.xml" package; then
  echo "build.sh: Maven could not build the connector JAR from $here/pom.xml" >&2
  exit 1
fi
jar="$here/target/truck-counts-connectors.jar"
test -s "$jar" || { echo "build.sh: $jar is missing or empty" >&2; exit 1; }
# The connector must carry its table factory, or Flink cannot find the 'kinesis' connector the SQL names.
unzip -p "$jar" META-INF/services/org.apache.flink.table.factories.Factory | grep -q 'KinesisDynamicTableFactory' || {
  echo "build.sh: $jar has no Kinesis table factory in META-INF/services" >&2
  exit 1
}
cp "$jar" "$stage/lib/truck-counts-connectors.jar"

# -X: no extra file attributes, so the same sources give the same zip (and the same asset hash).
(cd "$stage" && touch -d '2020-01-01T00:00:00Z' main.py lib lib/truck-counts-connectors.jar \
  && zip -q -X -r "$out/flink-truck-counts.zip" main.py lib)
echo "built $out/flink-truck-counts.zip ($(du -h "$out/flink-truck-counts.zip" | cut -f1))"
