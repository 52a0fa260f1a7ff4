#!/usr/bin/env bash
# Regenerate every golden fixture in src/test/resources/golden/ from llama.cpp 0.5.0 (commit de3ff81).
#   tools/golden/make-fixtures.sh
# Environment: LLAMACPP_DIR (default ~/.cache/longlm/llamacpp; built by tools/llamacpp/build.sh if absent),
#              SHERLOCK (default /work/shared/data/sherlock.txt; read only here, never by tests).
# Needs gcc and python3.  Deterministic: running it twice gives identical files.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export LLAMACPP_DIR="${LLAMACPP_DIR:-$HOME/.cache/longlm/llamacpp}"
SHERLOCK="${SHERLOCK:-/work/shared/data/sherlock.txt}"
MODEL="$REPO/models/pd-llama-13m-ctx256-f16.gguf"
OUT="$REPO/src/test/resources/golden"
BIN="$("$HERE/build-golden.sh")"
COMPLETION="$LLAMACPP_DIR/build/bin/llama-completion"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

echo "== sherlock256: first 256 tokens of BOS + tokenize(sherlock.txt), scored"
"$BIN" tokenize "$MODEL" "$SHERLOCK" "$OUT/sherlock256.tokens" --bos --max 256
"$BIN" score "$MODEL" "$OUT/sherlock256.tokens" 5 "$OUT/sherlock256-score.json" \
    --dump-logits "$OUT/sherlock256-last-logits.f32"

echo "== sherlock256 on the same weights in F32 (ggml rounds activations to F16 for F16 weights; F32 weights avoid that)"
"$LLAMACPP_DIR/build/bin/llama-quantize" "$MODEL" "$WORK/model-f32.gguf" F32 >/dev/null 2>&1
"$BIN" score "$WORK/model-f32.gguf" "$OUT/sherlock256.tokens" 5 "$OUT/sherlock256-score-f32weights.json"

echo "== greedy continuations (32 tokens)"
"$BIN" greedy "$MODEL" "Once upon a time" 32 "$OUT/greedy-once-upon-a-time.json"
"$BIN" greedy "$MODEL" "The os module provides" 32 "$OUT/greedy-os-module.json"
"$BIN" greedy "$MODEL" "$(printf '%s\n%s\n%s\n%s' \
    "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there." \
    "The pass key is 71432. Remember it. 71432 is the pass key." \
    "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again." \
    "What is the pass key? The pass key is")" 32 "$OUT/greedy-passkey.json"

echo "== seq_div K-rotation check"
"$BIN" shiftcheck "$MODEL" "$OUT/sherlock256.tokens" | tee "$OUT/llamacpp-seq-div-check.txt"

echo "== passkey prompts through llama-completion -gan/-gaw"
python3 "$HERE/passkey_ga.py" "$BIN" "$COMPLETION" "$MODEL" "$OUT/passkey-llamacpp-ga.json" "$WORK/pk" \
    2> >(grep -v 'n_ctx_seq .* > n_ctx_train' >&2)

echo "== done"; ls -l "$OUT"
