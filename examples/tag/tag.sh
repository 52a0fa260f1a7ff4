#!/usr/bin/env bash
# Tags a whole document with at most 3 tags from a list, through longlm's OpenAI-compatible server.
#   tag.sh DOCUMENT TAGS.json OUTPUT_ID
# TAGS.json is a list [{"id": 77, "name": "3d"}, ...]; the answer on stdout is exactly
#   {"id": "OUTPUT_ID", "tags": [up to 3 entries of that list]}
# The reply is constrained by a JSON schema built from the list, so it always parses and validates.
# The whole document is sent: past the model's trained context the server applies Self-Extend.
# Environment: LONGLM_URL (a running server, e.g. http://127.0.0.1:8080; default: start one),
# MODEL (default: the bundled model), PORT (for the started server, default 18089).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
[ $# -eq 3 ] || { echo "usage: $0 DOCUMENT TAGS.json OUTPUT_ID" >&2; exit 2; }
doc="$1" tags="$2" out_id="$3"
[ -f "$doc" ] || { echo "tag.sh: no document $doc" >&2; exit 2; }
jq -e 'type == "array" and length > 0 and all(.[]; (.id | type == "number") and (.name | type == "string"))' "$tags" >/dev/null \
    || { echo "tag.sh: $tags must be a list of {\"id\": number, \"name\": string}" >&2; exit 2; }

url="${LONGLM_URL:-}"
if [ -z "$url" ]; then
    port="${PORT:-18089}"
    # Room for the whole document: a token is at least one byte.
    ctx=$(( $(wc -c < "$doc") + 1024 ))
    "$repo/longlm" serve -m "${MODEL:-$repo/models/pd-llama-13m-ctx256-f16.gguf}" --port "$port" --parallel 1 --ctx "$ctx" \
        2>"${TMPDIR:-/tmp}/longlm-tag-server.log" &
    server=$!
    trap 'kill "$server" 2>/dev/null' EXIT
    url="http://127.0.0.1:$port"
    for _ in $(seq 1 300); do curl -sf "$url/health" >/dev/null && break; sleep 0.2; done
fi

request="$(jq -n --rawfile doc "$doc" --slurpfile tags "$tags" --arg id "$out_id" '{
  messages: [
    {role: "system", content: ("Tag the document with at most 3 of these tags: "
                               + ($tags[0] | map(.name) | join(", ")) + ". Answer with JSON.")},
    {role: "user", content: $doc}],
  max_tokens: 200, temperature: 0,
  response_format: {type: "json_schema", json_schema: {name: "tags", schema: {
    type: "object",
    properties: {id: {const: $id}, tags: {type: "array", maxItems: 3, items: {enum: $tags[0]}}},
    required: ["id", "tags"], additionalProperties: false}}}}')"
response="$(curl -sS "$url/v1/chat/completions" -H 'Content-Type: application/json' --data-binary "$request")"
if ! echo "$response" | jq -e '.choices[0].message.content' >/dev/null 2>&1; then
    echo "tag.sh: the server answered: $(echo "$response" | jq -r '.error.message? // .')" >&2
    exit 1
fi
echo "$response" | jq -r '"tag.sh: prompt \(.usage.prompt_tokens) tokens, \(.usage.completion_tokens) generated"' >&2
echo "$response" | jq -c '.choices[0].message.content | fromjson'
