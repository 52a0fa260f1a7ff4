#!/usr/bin/env bash
# Runs JMH benchmarks from longlm4j-core/src/test/java/dev/longlm/bench: tools/jmh.sh [JMH args, e.g. AttentionBenchmark -p threads=2]
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
core=longlm4j-core
mvn -q -B -pl "$core" test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null
# The benchmarks read fixtures by paths from the repository's root (models/, src/test/resources/), where this runs.
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector \
  -cp "$core/target/test-classes:$core/target/classes:$(cat "$core/target/test-classpath.txt")" \
  org.openjdk.jmh.Main "$@"
