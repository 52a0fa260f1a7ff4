#!/usr/bin/env bash
# Builds tools/golden/tools/tool_call_fixtures.cpp against a llama.cpp build (libllama-common) and
# regenerates src/test/resources/golden/tools/*.json: for each model family's own chat template (as
# llama.cpp ships it in models/templates/), the prompts llama.cpp renders for conversations with tools,
# a tool call and a tool result, and what its chat parser makes of replies in the family's syntax.
# ToolCallFixtureTest compares longlm's rendering and parsing with them.
#   LLAMACPP_DIR  folder holding src/ (llama.cpp sources) and build/bin/; default ~/.cache/longlm/llamacpp
#   (tools/llamacpp/build.sh makes it; the fixtures need its llama-common target too)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
llama="${LLAMACPP_DIR:-$HOME/.cache/longlm/llamacpp}"
lib="$llama/build/bin"
out="$repo/src/test/resources/golden/tools"
[ -f "$lib/libllama-common.so" ] || { echo "no $lib/libllama-common.so: build llama.cpp's llama-common target first" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
c++ -O1 -std=c++17 -I"$llama/src/common" -I"$llama/src/include" -I"$llama/src/ggml/include" -I"$llama/src/vendor" \
    "$here/tool_call_fixtures.cpp" -L"$lib" -lllama-common -lllama -Wl,-rpath,"$lib" -o "$work/tool_call_fixtures"
call='{"name": "get_weather", "arguments": {"location": "Paris", "unit": "celsius"}}'
second='{"name": "get_time", "arguments": {"city": "Rome"}}'
fixture() { # template, bos, eos, fixture name, replies...
    local template="$1" bos="$2" eos="$3" name="$4"
    shift 4
    cp "$llama/src/models/templates/$template" "$out/"
    "$work/tool_call_fixtures" "$out/$template" "$bos" "$eos" "$@" > "$out/$name.json"
}
fixture Qwen-Qwen2.5-7B-Instruct.jinja "<|endoftext|>" "<|im_end|>" qwen2.5 \
    "<tool_call>
$call
</tool_call>" \
    "Let me check.
<tool_call>
$call
</tool_call>
<tool_call>
$second
</tool_call>" \
    "It is sunny in Paris."
fixture NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja "<|begin_of_text|>" "<|im_end|>" hermes2pro \
    "<tool_call>
$call
</tool_call>" \
    "It is sunny in Paris."
fixture meta-llama-Llama-3.1-8B-Instruct.jinja "<|begin_of_text|>" "<|eot_id|>" llama3.1 \
    '{"name": "get_weather", "parameters": {"location": "Paris", "unit": "celsius"}}' \
    "It is sunny in Paris."
fixture meta-llama-Llama-3.2-3B-Instruct.jinja "<|begin_of_text|>" "<|eot_id|>" llama3.2 \
    '{"name": "get_weather", "parameters": {"location": "Paris", "unit": "celsius"}}' \
    "It is sunny in Paris."
fixture mistralai-Mistral-Nemo-Instruct-2407.jinja "<s>" "</s>" mistral-nemo \
    '[TOOL_CALLS][{"name": "get_weather", "arguments": {"location": "Paris", "unit": "celsius"}, "id": "abc123xyz"}]' \
    "It is sunny in Paris."
echo "fixtures written to $out"
