#!/usr/bin/env bash
# longlm bench vs llama-bench on the same GGUF files, same threads, alternating runs, and the
# memory-bandwidth bound on decoding. Prints a markdown table (the one in docs/BENCHMARKS.md).
#
#   tools/bench-vs-llamacpp.sh            # pp512, tg128, tg128 at depth 4096; Q8_0, Q4_0, Q4_K_M; 3 repetitions
#
# Environment: THREADS (2), REPS (3), P (512), N (128), DEPTH (4096), TYPES ("q8_0 q4_0 q4_k_m"),
# SE ("--group-size 4 --window 1024": the Self-Extend flags of the second longlm row, empty to skip),
# BENCH_DIR (~/.cache/longlm/bench: the generated models), LLAMACPP_DIR (~/.cache/longlm/llamacpp).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
THREADS="${THREADS:-2}"
REPS="${REPS:-3}"
P="${P:-512}"
N="${N:-128}"
DEPTH="${DEPTH:-4096}"
TYPES="${TYPES:-q8_0 q4_0 q4_k_m}"
SE="${SE---group-size 4 --window 1024}"
BENCH_DIR="${BENCH_DIR:-$HOME/.cache/longlm/bench}"
LLAMACPP_DIR="${LLAMACPP_DIR:-$HOME/.cache/longlm/llamacpp}"
BIN="$LLAMACPP_DIR/build/bin"
export LD_LIBRARY_PATH="$BIN${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
log() { echo "bench: $*" >&2; }

# 1. llama.cpp and longlm
if [[ ! -x "$BIN/llama-bench" ]]; then
  log "building llama.cpp into $LLAMACPP_DIR"
  LLAMACPP_DIR="$LLAMACPP_DIR" "$ROOT/tools/llamacpp/build.sh" >&2
fi
"$ROOT/longlm" --version >/dev/null
# A private copy of the jar, so that a rebuild during a long run cannot change what runs.
mkdir -p "$BENCH_DIR"
cp "$ROOT/target/longlm.jar" "$BENCH_DIR/longlm-bench.jar"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
longlm() {
  "$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
    -jar "$BENCH_DIR/longlm-bench.jar" "$@" 2> >(grep -v '^WARNING: Using incubator' >&2)
}

# 2. the benchmark models: Llama-3.2-1B's shape, random F16 weights, then our quantizer
F16="$BENCH_DIR/llama-3.2-1b-shape-f16.gguf"
if [[ ! -f "$F16" ]]; then
  log "writing $F16"
  longlm bench write-model --vocab "$ROOT/src/test/resources/vocab/ggml-vocab-llama-bpe.gguf" "$F16.tmp"
  mv "$F16.tmp" "$F16"
fi
for t in $TYPES; do
  f="$BENCH_DIR/llama-3.2-1b-shape-$t.gguf"
  if [[ ! -f "$f" ]]; then
    log "quantizing $f"
    longlm quantize "$F16" "$f.tmp" "$t" -t "$THREADS"
    mv "$f.tmp" "$f"
  fi
done

# 3. memory bandwidth
cc -O3 -march=native -fopenmp -o "$BENCH_DIR/membw" "$ROOT/tools/bench/membw.c"
BW=$("$BENCH_DIR/membw" "$THREADS")
log "memory read bandwidth, $THREADS threads: $BW GB/s"

# 4. measurements, alternating llama-bench and longlm bench per test and repetition
llama_tps() { # file p n depth -> mean t/s of one repetition
  "$BIN/llama-bench" -m "$1" -p "$2" -n "$3" -d "$4" -r 1 -t "$THREADS" -o json 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["avg_ts"])'
}
longlm_tps() { # file p n depth [flags] -> t/s of one repetition
  local f=$1 p=$2 n=$3 d=$4; shift 4
  longlm bench -m "$f" -p "$p" -n "$n" --ctx-depth "$d" -r 1 -t "$THREADS" --json "$@" \
    | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j.get("prompt_tokens_per_s") or j.get("gen_tokens_per_s"))'
}
stats() { python3 -c 'import statistics as s,sys; v=[float(x) for x in sys.argv[1:]]; print("%.2f %.2f" % (s.mean(v), s.stdev(v) if len(v)>1 else 0))' "$@"; }

echo "| model | test | llama.cpp t/s | longlm t/s | ratio | longlm Self-Extend t/s | SE/plain | % of bandwidth bound (longlm) |"
echo "|---|---|---|---|---|---|---|---|"
for t in $TYPES; do
  f="$BENCH_DIR/llama-3.2-1b-shape-$t.gguf"
  # bytes read per generated token: every weight matrix once (the tied embedding is the output projection)
  WBYTES=$(python3 - "$f" <<'PY'
import sys, os
print(os.path.getsize(sys.argv[1]) - 8_000_000)  # minus ~8 MB of tokenizer metadata
PY
)
  for test in "pp$P:$P:0:0" "tg$N:0:$N:0" "tg$N@d$DEPTH:0:$N:$DEPTH"; do
    IFS=: read -r name p n d <<<"$test"
    ours=(); theirs=(); se=()
    for ((r = 0; r < REPS; r++)); do
      theirs+=("$(llama_tps "$f" "$p" "$n" "$d")")
      ours+=("$(longlm_tps "$f" "$p" "$n" "$d")")
      if [[ -n "$SE" ]]; then se+=("$(longlm_tps "$f" "$p" "$n" "$d" $SE)"); fi
      log "$t $name rep $r: llama.cpp ${theirs[-1]} longlm ${ours[-1]} ${se:+self-extend ${se[-1]}}"
    done
    read -r tm tsd <<<"$(stats "${theirs[@]}")"
    read -r om osd <<<"$(stats "${ours[@]}")"
    sem="-"; sesd=""; seratio="-"
    if [[ -n "$SE" ]]; then read -r sem sesd <<<"$(stats "${se[@]}")"; sesd=" ± $sesd"; seratio=$(python3 -c "print('%.2f' % ($sem/$om))"); fi
    ratio=$(python3 -c "print('%.2f' % ($om/$tm))")
    if [[ $name == tg* ]]; then
      bound=$(python3 -c "print('%.0f%%' % (100*$om/($BW*1e9/$WBYTES)))")
    else
      bound="-"
    fi
    echo "| $t | $name | $tm ± $tsd | $om ± $osd | $ratio | $sem$sesd | $seratio | $bound |"
  done
done
echo
echo "Memory read bandwidth ($THREADS threads): $BW GB/s; decoding bound = bandwidth / bytes of weights per token:"
for t in $TYPES; do
  f="$BENCH_DIR/llama-3.2-1b-shape-$t.gguf"
  python3 -c "import os; b=os.path.getsize('$f')-8_000_000; print('- $t: %.0f MB per token -> %.1f t/s' % (b/1e6, $BW*1e9/b))"
done
echo
echo "$(date -u +%F), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), threads $THREADS, repetitions $REPS"
