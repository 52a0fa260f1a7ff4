#!/usr/bin/env bash
# Builds tools/golden/ggml_quant_fixtures.c against a llama.cpp build and regenerates the golden
# quantization fixtures in src/test/resources/golden/quant/.
#   LLAMACPP_DIR  folder holding src/ (llama.cpp sources) and build/bin/ (libggml-base.so);
#                 default ~/.cache/longlm/llamacpp
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
llama="${LLAMACPP_DIR:-$HOME/.cache/longlm/llamacpp}"
lib="$llama/build/bin"
out="$repo/src/test/resources/golden/quant"
[ -f "$lib/libggml-base.so" ] || { echo "no $lib/libggml-base.so: build llama.cpp first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# -ffp-contract=off keeps this program's own float arithmetic unfused; the quantizers run inside
# libggml-base, which llama.cpp builds without -march=native (no FMA contraction).
cc -O2 -ffp-contract=off -std=c11 -I"$llama/src/ggml/include" "$here/ggml_quant_fixtures.c" \
   -L"$lib" -lggml-base -lm -Wl,-rpath,"$lib" -o "$work/ggml_quant_fixtures"
mkdir -p "$out"
"$work/ggml_quant_fixtures" "$out"
echo "fixtures written to $out"
