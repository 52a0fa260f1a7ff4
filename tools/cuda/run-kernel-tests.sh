#!/usr/bin/env bash
# Builds and runs the CUDA kernel harness (tools/cuda/kernel_test.cu); prints one table, exits
# non-zero on any failure.
#   tools/cuda/run-kernel-tests.sh            GPU: nvcc -O2 -arch=sm_90 (CUDA_ARCH=sm_80 … to change)
#   tools/cuda/run-kernel-tests.sh --bench    GPU: tests, then timings at Llama-3.1-8B shapes
#   tools/cuda/run-kernel-tests.sh --emulate  CPU only: g++ and the emulator in tools/cuda/emu.h
# Other arguments go to the harness: --full (all shapes when emulated), --only=attention, …
set -euo pipefail
cd "$(dirname "$0")/../.."
kernels=longlm4j-cuda/src/main/resources/dev/longlm/backend/cuda/kernels
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

# The unit must also compile as the Java backend compiles it: NVRTC, no headers (needs libnvrtc; on
# the GPU machine it is part of CUDA, elsewhere the check is skipped with a note).
# It runs beside the harness build (both take most of a minute).
g++ -O1 -o "$build/nvrtc_check" tools/cuda/nvrtc_check.cpp -ldl
arch=${CUDA_ARCH:-sm_90}
"$build/nvrtc_check" "$kernels" "compute_${arch#sm_}" > "$build/nvrtc.log" 2>&1 &
nvrtc_pid=$!

if [[ $emulate == 1 ]]; then
  bin="$build/kernel_test_emu"
  g++ -std=c++17 -O2 -ffp-contract=off -fno-strict-aliasing -DLONGLM_EMULATE -I"$build" -Itools/cuda \
      -x c++ tools/cuda/kernel_test.cu -o "$bin"
else
  bin="$build/kernel_test"
  nvcc -O2 -std=c++17 -arch="$arch" -I"$build" -Itools/cuda tools/cuda/kernel_test.cu -o "$bin"
fi
set +e
wait $nvrtc_pid
nvrtc=$?
set -e
cat "$build/nvrtc.log"
if [[ $nvrtc == 3 ]]; then
  echo "note: libnvrtc not found, NVRTC compilation not checked"
elif [[ $nvrtc != 0 ]]; then
  echo "NVRTC compilation of $kernels failed"
  exit 1
fi
exec "$bin" src/test/resources/golden/quant ${args[@]+"${args[@]}"}
