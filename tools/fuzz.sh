#!/usr/bin/env bash
# Long coverage-guided fuzzing run of every Jazzer target (docs/RELIABILITY.md), one target per JVM.
#   tools/fuzz.sh                      # 1,000,000 executions per target (at most 20 minutes each)
#   EXECUTIONS=100000 tools/fuzz.sh GgufFuzzTest#readModel
# Inputs that grow coverage collect in .cifuzz-corpus/ (not committed); a crashing input is written
# by Jazzer into src/test/resources/<package>/<Class>Inputs/<method>/ — of the target's module (e.g.
# longlm4j-core/) or, since the tests run at the repository's root, of the root (not checked since the
# module split): commit it under the module, where it becomes part of the regression corpus that every
# `mvn verify` replays, together with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
EXECUTIONS="${EXECUTIONS:-1000000}"
MAX_DURATION="${MAX_DURATION:-20m}"
TARGETS=("$@")
if [[ ${#TARGETS[@]} -eq 0 ]]; then
  TARGETS=(GgufFuzzTest#readModel TokenizerFuzzTest#encodeAndDecode JsonSchemaFuzzTest#compileAndAdvance
           ChatTemplateFuzzTest#messages ChatTemplateFuzzTest#templateSource RequestFuzzTest#parseAndPlan)
fi
mkdir -p target/fuzz
status=0
for target in "${TARGETS[@]}"; do
  log="target/fuzz/${target//#/-}.log"
  echo "fuzzing $target ($EXECUTIONS executions, at most $MAX_DURATION) -> $log" >&2
  # test-compile in the same run, so that the modules' test jar resolves within the reactor; the modules
  # without this target run nothing.
  if ! JAZZER_FUZZ=1 mvn -B -ntp test-compile surefire:test@fuzz-regression -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
      -Djazzer.max_executions="$EXECUTIONS" -Djazzer.max_duration="$MAX_DURATION" >"$log" 2>&1; then
    status=1
    echo "  FINDING or failure: see $log" >&2
  fi
  # libFuzzer's summary line: "Done N runs in S second(s)"; the last status line has the coverage.
  summary=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n1 || true)
  coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9a-zA-Z]+' "$log" | tail -n1 || true)
  echo "$target: ${summary:-no summary} (${coverage:-no coverage line})"
done
exit $status
