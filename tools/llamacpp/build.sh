#!/usr/bin/env bash
# Reproduce the reference llama.cpp build used for golden fixtures:
#   llama.cpp 0.5.0, commit de3ff81, as shipped inside the npm package node-llama-cpp@3.22.1
#   (package/llama/gitRelease.bundle).
# Location: $LLAMACPP_DIR (default ~/.cache/longlm/llamacpp) with src/ (git clone) and build/ (cmake).
# Idempotent: does nothing when $LLAMACPP_DIR/status already reads "done 0".
# Jobs: $LLAMACPP_JOBS (default 2).
set -euo pipefail

LLAMACPP_DIR="${LLAMACPP_DIR:-$HOME/.cache/longlm/llamacpp}"
JOBS="${LLAMACPP_JOBS:-2}"
NPM_PKG="node-llama-cpp@3.22.1"
EXPECTED_COMMIT="de3ff81"
TARGETS=(llama-completion llama-perplexity llama-bench llama-quantize llama-tokenize llama llama-common)

mkdir -p "$LLAMACPP_DIR"
cd "$LLAMACPP_DIR"

if [[ -f status && "$(cat status)" == "done 0" && -f build/bin/libllama.so ]]; then
    echo "llama.cpp already built in $LLAMACPP_DIR"
    exit 0
fi
rm -f status

if [[ ! -f package/llama/gitRelease.bundle ]]; then
    npm pack "$NPM_PKG" > pack.log 2>&1
    tar xzf node-llama-cpp-3.22.1.tgz
fi

if [[ ! -d src/.git ]]; then
    rm -rf src
    git clone -q package/llama/gitRelease.bundle src
fi
actual="$(git -C src rev-parse --short=7 HEAD)"
if [[ "$actual" != "$EXPECTED_COMMIT" ]]; then
    echo "warning: llama.cpp commit is $actual, expected $EXPECTED_COMMIT" >&2
fi

cmake -S src -B build -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_OPENSSL=OFF \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_USE_PREBUILT_UI=OFF > cmake.log 2>&1
set +e
cmake --build build -j "$JOBS" --target "${TARGETS[@]}" > build.log 2>&1
rc=$?
set -e
echo "done $rc" > status
if [[ $rc -ne 0 ]]; then
    echo "llama.cpp build failed (rc=$rc), see $LLAMACPP_DIR/build.log" >&2
    exit $rc
fi
echo "llama.cpp built in $LLAMACPP_DIR/build/bin"
