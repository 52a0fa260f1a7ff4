#!/usr/bin/env bash
# Regenerates the architecture golden fixtures in src/test/resources/golden/arch/:
#   1. TinyModels (test sources) writes each case's random-weight model with our GGUF writer and
#      quantizer, the F32 source of the Q4_K_M case, and tokens.txt;
#   2. llama-quantize makes the Q4_K_M model from the F32 source; its per-tensor types and hashes go
#      to llama-gqa-q4_k_m.types (the test re-quantizes with our quantizer and checks the hashes);
#   3. arch_logprobs.c scores tokens.txt with libllama: <case>.txt per case.
#   LLAMACPP_DIR  folder holding src/ and build/bin/ of llama.cpp; default ~/.cache/longlm/llamacpp
#   JAVA_HOME     a JDK 25
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
llama="${LLAMACPP_DIR:-$HOME/.cache/longlm/llamacpp}"
lib="$llama/build/bin"
out="$repo/src/test/resources/golden/arch"
[ -f "$lib/libllama.so" ] || { echo "no $lib/libllama.so: build llama.cpp first (tools/llamacpp/build.sh)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$repo" && mvn -q -B -pl longlm4j-core test-compile)
cp="$repo/longlm4j-core/target/classes:$repo/longlm4j-core/target/test-classes"
java="$JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
$java -cp "$cp" dev.longlm.model.TinyModels write "$work"

"$lib/llama-quantize" "$work/llama-gqa-f32.gguf" "$work/llama-gqa-q4_k_m.gguf" Q4_K_M > "$work/quantize.log" 2>&1 \
  || { cat "$work/quantize.log" >&2; exit 1; }
mkdir -p "$out"
$java -cp "$cp" dev.longlm.model.TinyModels manifest "$work/llama-gqa-q4_k_m.gguf" > "$out/llama-gqa-q4_k_m.types"

cc -O2 -std=c11 -I"$llama/src/include" -I"$llama/src/ggml/include" "$here/arch_logprobs.c" \
   -L"$lib" -lllama -lggml -lggml-base -lm -Wl,-rpath,"$lib" -o "$work/arch_logprobs"
cp "$work/tokens.txt" "$out/tokens.txt"
$java -cp "$cp" dev.longlm.model.TinyModels cases | while read -r name file context; do
  "$work/arch_logprobs" "$work/$file" "$work/tokens.txt" "$context" "$out/$name.txt"
  echo "$name: $(wc -l < "$out/$name.txt") lines"
done
echo "fixtures written to $out"
