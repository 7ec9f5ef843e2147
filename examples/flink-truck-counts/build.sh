#!/usr/bin/env bash
# Builds build/flink-truck-counts.zip, the code of the example PyFlink application: app/main.py and, in lib/,
# the Apache Flink Kinesis SQL connector for Flink 1.20, fetched from Maven Central with Maven (the only
# download; nothing else leaves the machine). Deploy it with
#   StreamAnalyticsCode.fromAsset('examples/flink-truck-counts/build/flink-truck-counts.zip')
#   runtime: StreamAnalyticsRuntime.FLINK_1_20
#   propertyGroups: { 'kinesis.analytics.flink.run.options': { python: 'main.py', jarfile: 'lib/flink-sql-connector-kinesis.jar' } }
#
# The connector version must match the runtime: 5.x-1.20 for FLINK-1_20 (PyFlink on Python 3.11). For a
# Flink 2.x runtime, AWS names the AWS connectors 6.0.0 as the ones compatible with Flink 2.2; set
# CONNECTOR_VERSION accordingly and the application's runtime with it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
version="${CONNECTOR_VERSION:-5.1.0-1.20}"
artifact="org.apache.flink:flink-sql-connector-kinesis:${version}"
out="$here/build"
stage="$out/app"

rm -rf "$out"
mkdir -p "$stage/lib"
cp "$here/app/main.py" "$stage/main.py"

if ! mvn -q -B dependency:copy -Dartifact="$artifact" -DoutputDirectory="$stage/lib" -Dmdep.stripVersion=true; then
  echo "build.sh: Maven could not fetch $artifact; the application needs it (set CONNECTOR_VERSION to one the registry serves)" >&2
  exit 1
fi
jar="$stage/lib/flink-sql-connector-kinesis.jar"
test -s "$jar" || { echo "build.sh: $jar is missing or empty" >&2; exit 1; }

(cd "$stage" && zip -q -X -r "$out/flink-truck-counts.zip" main.py lib)
echo "built $out/flink-truck-counts.zip with $artifact ($(du -h "$jar" | cut -f1) connector)"
