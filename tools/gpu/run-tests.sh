#!/usr/bin/env bash
# Runs the GPU tests on the GPU machine (packed here by tools/gpu/pack-tests.sh and ../shared/tools/device-java):
#
#   bash tools/gpu/run-tests.sh                 # every test tagged "gpu" under dev.longlm
#   bash tools/gpu/run-tests.sh --select-class dev.longlm.backend.cuda.CublasGpuTest   # JUnit console selectors instead
#
# in the project's root, with .device-java/ and .device-tests/ carried. Writes the console output (and, when
# the runtime has java.xml, JUnit's XML reports) to $OUT (else /tmp/longlm-tests/report) and prints a short
# summary last: the GPU, then "N passed, N failed, N skipped". Exit status: the console launcher's
# (0 when nothing failed), 2 when something needed is missing.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
for need in .device-java/env.sh .device-java/app.tar.xz .device-tests/tests.tar.xz; do
  if [ ! -f "$need" ]; then
    echo "missing $need: run ../shared/tools/device-java and tools/gpu/pack-tests.sh first, and carry both folders" >&2
    exit 2
  fi
done

# env.sh unpacks the main classes only when /tmp/longlm-app is absent; on a machine still warm from an
# earlier call that folder may hold older classes, so it is refreshed whenever the packed jar changed.
stamp=$(cksum < .device-java/app.tar.xz)
if [ -d /tmp/longlm-app ] && [ "$(cat /tmp/longlm-app/.packed 2>/dev/null)" != "$stamp" ]; then
  rm -rf /tmp/longlm-app
fi
# shellcheck disable=SC1091
source .device-java/env.sh || { echo "could not unpack .device-java" >&2; exit 2; }
echo "$stamp" > /tmp/longlm-app/.packed

tests=/tmp/longlm-tests
rm -rf "$tests/classes" "$tests/lib"
mkdir -p "$tests"
tar xJf .device-tests/tests.tar.xz -C "$tests" || { echo "could not unpack .device-tests/tests.tar.xz" >&2; exit 2; }
launcher=$(ls "$tests"/lib/junit-platform-console-standalone-*.jar)
report=${OUT:-$tests/report}
mkdir -p "$report"

selection=("$@")
if [ ${#selection[@]} -eq 0 ]; then
  selection=(--select-package dev.longlm --include-tag gpu)
fi
xml=()
# The console launcher's XML reports need java.xml, which device-java's default runtime leaves out.
if $JAVA --list-modules 2>/dev/null | grep -q '^java.xml@'; then
  xml=(--reports-dir "$report/junit")
fi

{
  echo "== $(date -u +%FT%TZ) on $(hostname)"
  nvidia-smi --query-gpu=name,driver_version,memory.total,memory.used --format=csv,noheader 2>&1 || true
} > "$report/environment.txt"

# $JAVA is java with the engine's module and native-access flags (from env.sh), word-split on purpose.
# shellcheck disable=SC2086
$JAVA -jar "$launcher" execute --disable-banner --disable-ansi-colors --details=tree --details-theme=ascii \
  --class-path "/tmp/longlm-app:$tests/classes:$root/src/test/resources" "${xml[@]}" "${selection[@]}" \
  > "$report/console.txt" 2>&1
status=$?

count() {  # the launcher's summary lines read "[        12 tests successful      ]"
  local n
  n=$(sed -n "s/^\[ *\([0-9][0-9]*\) tests $1 *\]$/\1/p" "$report/console.txt" | tail -1)
  echo "${n:-0}"
}
passed=$(count successful)
failed=$(count failed)
skipped=$(( $(count skipped) + $(count aborted) ))
# The GPU's description (printed by the tests when they open it), once; or why they were skipped.
awk '/^GPU [0-9]+: / && !seen { seen = 1; n = 6 } n > 0 { print; n-- }' "$report/console.txt"
grep -E '^SKIPPED: ' "$report/console.txt" | sort -u | head -3
if [ "$failed" != 0 ] || [ "$status" != 0 ]; then
  grep -E '\[X\]|=> ' "$report/console.txt" | head -20
fi
echo "console output: $report/console.txt"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
