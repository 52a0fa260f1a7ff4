#!/usr/bin/env bash
# Time to first token with and without prompt caching: `longlm serve` on a model, a long shared prefix
# (PREFIX_SENTENCES sentences of story text), then three streamed requests that share it:
#   1. cold (a fresh server, nothing cached), 2. another question, reusing the cached prefix,
#   3. the same with "cache_prompt": false (everything computed again).
# Prints each time to first token (until the first streamed token arrives) and the cached token count.
#   tools/bench/prefix-cache-ttft.sh [MODEL.gguf]     (PREFIX_SENTENCES, default 82: about 930 tokens)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:-$repo/models/pd-llama-13m-ctx256-f16.gguf}"
port="${PORT:-18091}"
sentences="${PREFIX_SENTENCES:-82}"
"$repo/longlm" serve -m "$model" --port "$port" --parallel 1 --ctx $(( sentences * 12 + 1024 )) 2>/tmp/longlm-ttft-server.log &
server=$!
trap 'kill "$server" 2>/dev/null' EXIT
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
names=(Tom Lily Sam Ann Ben Mia); things=("a red ball" "a big tree" "a blue hat" "a little dog" "a toy car" "a green box")
prefix=""
for ((i = 0; i < sentences; i++)); do prefix+="${names[i % 6]} saw ${things[(i * 5) % 6]} on day $i. "; done

ttft() { # prompt, cache_prompt → milliseconds to the first streamed token, and the usage's cached tokens
    local body start line ms=""
    body="$(jq -n --arg p "$1" --argjson c "$2" '{prompt: $p, max_tokens: 8, temperature: 0, stream: true,
        stream_options: {include_usage: true}, cache_prompt: $c}')"
    start=$(date +%s%N)
    while IFS= read -r line; do
        if [[ -z "$ms" && "$line" == data:*'"text":"'[^\"]* ]]; then ms=$(( ($(date +%s%N) - start) / 1000000 )); fi
        if [[ "$line" == data:*'"usage"'* ]]; then
            echo "$ms ms, $(echo "${line#data: }" | jq '.usage.prompt_tokens') prompt tokens, $(echo "${line#data: }" | jq '.usage.prompt_tokens_details.cached_tokens') cached"
        fi
    done < <(curl -sN "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' --data-binary "$body")
}
echo "cold:             $(ttft "${prefix}Once upon a time there was a girl" true)"
echo "cached prefix:    $(ttft "${prefix}The dog ran to the park and" true)"
echo "cache_prompt off: $(ttft "${prefix}The dog ran to the park and" false)"
