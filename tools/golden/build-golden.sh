#!/usr/bin/env bash
# Compile tools/golden/llama_golden.c against the reference llama.cpp build (libllama, include/llama.h).
# Prints the path of the binary: target/golden-bin/llama_golden in this checkout (git-ignored; one per
# worktree, so checkouts with different llama_golden.c versions never overwrite each other's binary).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
LLAMACPP_DIR="${LLAMACPP_DIR:-$HOME/.cache/longlm/llamacpp}"
if [[ ! -f "$LLAMACPP_DIR/build/bin/libllama.so" ]]; then
    LLAMACPP_DIR="$LLAMACPP_DIR" "$REPO/tools/llamacpp/build.sh" >&2
fi
OUT="$REPO/target/golden-bin"
mkdir -p "$OUT"
BIN="$OUT/llama_golden"
if [[ ! -x "$BIN" || "$HERE/llama_golden.c" -nt "$BIN" || "$LLAMACPP_DIR/build/bin/libllama.so" -nt "$BIN" ]]; then
    gcc -O2 -std=c11 -Wall -Wextra \
        -I "$LLAMACPP_DIR/src/include" -I "$LLAMACPP_DIR/src/ggml/include" \
        "$HERE/llama_golden.c" -o "$BIN" \
        -L "$LLAMACPP_DIR/build/bin" -lllama -lggml -lggml-base -lm \
        -Wl,-rpath,"$LLAMACPP_DIR/build/bin"
fi
echo "$BIN"
