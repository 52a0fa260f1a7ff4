#!/usr/bin/env bash
# One correctness pass on the GPU machine, in one device call (packed here first:
# ../shared/tools/device-java && tools/gpu/pack-tests.sh; carry .device-java and .device-tests):
#
#   bash tools/gpu/check.sh            # kernel harness (nvcc), then the Java GPU and cross-backend tests
#   KERNELS=0 bash tools/gpu/check.sh  # skip the kernel harness
#
# Writes kernels.txt and the JUnit console output under $OUT (else /tmp/longlm-check) and prints both summaries last.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/longlm-check}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | head -1
status=0
if [ "${KERNELS:-1}" != 0 ]; then
  t0=$(date +%s)
  bash tools/cuda/run-kernel-tests.sh > "$out/kernels.txt" 2>&1 || status=1
  echo "kernel harness: $(tail -2 "$out/kernels.txt" | head -1) ($(( $(date +%s) - t0 )) s)"
fi
t0=$(date +%s)
OUT="$out" bash tools/gpu/run-tests.sh --select-class dev.longlm.backend.BackendOpsTest \
  --select-class dev.longlm.model.GpuModelTest --select-class dev.longlm.model.ArchitectureGoldenTest \
  --select-package dev.longlm.backend.cuda ${TESTS_EXTRA:-} || status=1
echo "java tests: $(( $(date +%s) - t0 )) s"
grep -h "GPU table" "$out/console.txt" > "$out/gpu-table.txt" 2>/dev/null || true
grep -E "failed|FAIL" "$out/kernels.txt" 2>/dev/null | grep -v " 0  " | head -20
exit $status
