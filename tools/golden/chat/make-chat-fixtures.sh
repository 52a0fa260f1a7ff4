#!/usr/bin/env bash
# Builds tools/golden/chat/chat_template_fixtures.cpp against a llama.cpp build (libllama-common)
# and regenerates src/test/resources/golden/chat/*.json: each template's rendering of fixed
# conversations by llama.cpp's Jinja engine, which ChatTemplateGoldenTest compares ours against.
#   LLAMACPP_DIR  folder holding src/ (llama.cpp sources) and build/bin/; default ~/.cache/longlm/llamacpp
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
llama="${LLAMACPP_DIR:-$HOME/.cache/longlm/llamacpp}"
lib="$llama/build/bin"
out="$repo/src/test/resources/golden/chat"
[ -f "$lib/libllama-common.so" ] || { echo "no $lib/libllama-common.so: build llama.cpp first" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
c++ -O1 -std=c++17 -I"$llama/src/common" -I"$llama/src/include" -I"$llama/src/ggml/include" -I"$llama/src/vendor" \
    "$here/chat_template_fixtures.cpp" -L"$lib" -lllama-common -lllama -Wl,-rpath,"$lib" -o "$work/chat_template_fixtures"
# The templates are the models' own files as llama.cpp ships them (models/templates/).
cp "$llama/src/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja" "$out/"
cp "$llama/src/models/templates/meta-llama-Llama-3.1-8B-Instruct.jinja" "$out/"
"$work/chat_template_fixtures" "$out/Qwen-Qwen2.5-7B-Instruct.jinja" "<|endoftext|>" "<|im_end|>" > "$out/qwen2.5-chatml.json"
"$work/chat_template_fixtures" "$out/meta-llama-Llama-3.1-8B-Instruct.jinja" "<|begin_of_text|>" "<|eot_id|>" > "$out/llama3.1.json"
echo "fixtures written to $out"
