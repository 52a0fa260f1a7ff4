#!/usr/bin/env bash
# Builds and runs the CUDA kernel harness (tools/cuda/kernel_test.cu); prints one table, exits
# non-zero on any failure.
#   tools/cuda/run-kernel-tests.sh            GPU: nvcc -O2 -arch=sm_90 (CUDA_ARCH=sm_80 … to change)
#   tools/cuda/run-kernel-tests.sh --bench    GPU: tests, then timings at Llama-3.1-8B shapes
#   tools/cuda/run-kernel-tests.sh --emulate  CPU only: g++ and the emulator in tools/cuda/emu.h
# Other arguments go to the harness: --full (all shapes when emulated), --only=attention, …
set -euo pipefail
cd "$(dirname "$0")/../.."
kernels=src/main/resources/dev/longlm/backend/cuda/kernels
build=${BUILD_DIR:-target/cuda-test}
mkdir -p "$build"
emulate=0
args=()
for a in "$@"; do
  if [[ $a == --emulate ]]; then emulate=1; else args+=("$a"); fi
done

# One compilation unit from kernels.list, as the Java backend hands it to NVRTC.
concat="$build/kernels_concat.cu"
: > "$concat"
while read -r f; do
  [[ -z $f || $f == \#* ]] && continue
  # the emulator brings its own primitives (tools/cuda/emu_primitives.h)
  [[ $emulate == 1 && $f == primitives.cu ]] && continue
  printf '// ---- %s\n' "$f" >> "$concat"
  cat "$kernels/$f" >> "$concat"
  echo >> "$concat"
done < "$kernels/kernels.list"

if [[ $emulate == 1 ]]; then
  bin="$build/kernel_test_emu"
  g++ -std=c++17 -O2 -ffp-contract=off -fno-strict-aliasing -DLONGLM_EMULATE -I"$build" -Itools/cuda \
      -x c++ tools/cuda/kernel_test.cu -o "$bin"
else
  bin="$build/kernel_test"
  nvcc -O2 -std=c++17 -arch="${CUDA_ARCH:-sm_90}" -I"$build" -Itools/cuda tools/cuda/kernel_test.cu -o "$bin"
fi
exec "$bin" src/test/resources/golden/quant ${args[@]+"${args[@]}"}
