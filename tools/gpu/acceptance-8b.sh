#!/usr/bin/env bash
# The CUDA backend's 8B acceptance run on the GPU machine (carry .device-java; about 6 minutes):
# writes the Llama-3.1-8B-shaped model (random F16 weights) and quantizes it to Q4_K_M with our tools,
# then on --device cuda: scores a 32768-token prompt and generates after it under Self-Extend (G 8, W 1024),
# printing the KV cache's memory next to what plain attention needs, and a few decode/prefill speeds.
#
#   bash tools/gpu/acceptance-8b.sh          # results in $OUT (else /tmp/longlm-8b), a summary last
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/longlm-8b}
dir=${BENCH_DIR:-/tmp/longlm-bench}
mkdir -p "$out" "$dir"
# shellcheck disable=SC1091
source .device-java/env.sh || exit 2
step() { echo "== $(date -u +%T) $*" | tee -a "$out/summary.txt"; }
f16=$dir/llama-3.1-8b-shape-f16.gguf
q4=$dir/llama-3.1-8b-shape-q4_k_m.gguf
if [ ! -f "$f16" ]; then
  step "writing $f16"
  $LONGLM bench write-model --shape 8b --vocab src/test/resources/vocab/ggml-vocab-llama-bpe.gguf "$f16" 2>&1 | tail -1
fi
if [ ! -f "$q4" ]; then
  step "quantizing to Q4_K_M"
  ( time $LONGLM quantize "$f16" "$q4" q4_k_m -t "$(nproc)" ) 2>&1 | tail -4
fi
# A 32768-token prompt: BOS and "a a a …" (one Llama-3 token per " a"); the weights are random, only the length matters.
text=$dir/long.txt
python3 -c "import sys; sys.stdout.write('a' + ' a' * 32766)" > "$text"
step "score, 32768 tokens, Self-Extend G8 W1024, cuda"
$LONGLM score -m "$q4" --device cuda --text-file "$text" --group-size 8 --window 1024 --json \
  > "$out/score32k.json" 2> "$out/score32k.log"; echo "exit $?" >> "$out/score32k.log"
tail -3 "$out/score32k.log" | tee -a "$out/summary.txt"
python3 -c "import json;d=json.load(open('$out/score32k.json'));print('n_tokens',d['n_tokens'],'ppl',d['ppl'])" 2>&1 | tee -a "$out/summary.txt"
step "generate 64 tokens after the 32768-token prompt, Self-Extend G8 W1024, cuda"
$LONGLM generate -m "$q4" --device cuda -f "$text" -n 64 --group-size 8 --window 1024 --temp 0 --no-echo \
  > "$out/generate32k.txt" 2> "$out/generate32k.log"; echo "exit $?" >> "$out/generate32k.log"
tail -3 "$out/generate32k.log" | tee -a "$out/summary.txt"
step "bench, Q4_K_M, cuda"
for args in "-p 512 -n 0" "-p 4096 -n 0" "-p 0 -n 128" "-p 0 -n 128 -d 32768" "-p 0 -n 128 -d 32768 --group-size 8 --window 1024"; do
  # shellcheck disable=SC2086
  $LONGLM bench -m "$q4" --device cuda $args -r 2 --json 2>>"$out/bench.log" | tee -a "$out/bench.jsonl"
done
cat "$out/summary.txt"
