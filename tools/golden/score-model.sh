#!/usr/bin/env bash
# Score a token sequence with llama.cpp (reference log-probabilities for any GGUF model llama.cpp loads,
# e.g. random-weight models written by our own GGUF writer).
#
#   tools/golden/score-model.sh MODEL TOKENS OUT.json TOPK [--dump-logits LAST_LOGITS.(json|f32)]
#
# TOKENS: whitespace-separated token ids, used as is (no BOS added); all of them are decoded in one
# batch at positions 0..n-1 (1 sequence, flash attention off, 2 threads).
# OUT.json: {"model", "n_tokens", "tokens": [{"id", "logprob", "top_logprobs": [{"id", "logprob"}...]}]}
# (logprob of token i under the distribution from position i-1, double-precision log-softmax of
# llama.cpp's float logits; null / [] for i = 0).  Prints mean NLL and perplexity on stderr.
# llama.cpp location: $LLAMACPP_DIR (default ~/.cache/longlm/llamacpp), built by tools/llamacpp/build.sh.
set -euo pipefail
if [[ $# -lt 4 ]]; then
    sed -n '2,12p' "$0" >&2
    exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="$("$HERE/build-golden.sh")"
MODEL="$1"; TOKENS="$2"; OUTJ="$3"; TOPK="$4"; shift 4
exec "$BIN" score "$MODEL" "$TOKENS" "$TOPK" "$OUTJ" "$@"
