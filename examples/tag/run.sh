#!/usr/bin/env bash
# Tags a document through the OpenAI-compatible server with a JSON-schema-constrained reply.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
doc="${1:-$repo/README.md}"
model="${2:-$repo/models/pd-llama-13m-ctx256-f16.gguf}"
port="${PORT:-18089}"
[ -f "$doc" ] || doc="$repo/DEVELOPERS.md"
"$repo/longlm" serve -m "$model" --port "$port" --parallel 1 --ctx 4096 2>"${TMPDIR:-/tmp}/longlm-tag-server.log" &
server=$!
trap 'kill "$server" 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
# Keep the document within what automatic Self-Extend covers for the bundled model (trained on 256 tokens).
text="$(head -c 1500 "$doc")"
request="$(jq -n --arg doc "$text" --slurpfile schema "$here/schema.json" '{
  messages: [{role: "user", content: ("Tag this document.\n\n" + $doc)}],
  max_tokens: 60, temperature: 1.0,
  response_format: {type: "json_schema", json_schema: {name: "tags", schema: $schema[0]}}}')"
answer="$(curl -sf "http://127.0.0.1:$port/v1/chat/completions" -d "$request" | jq -r '.choices[0].message.content')"
echo "$answer"
# Independent check: valid JSON, the two keys, at most 3 tags, all from the list.
echo "$answer" | jq -e --slurpfile schema "$here/schema.json" '
  (keys == ["id", "tags"]) and (.id | type == "string") and (.tags | length <= 3)
  and all(.tags[]; . as $t | $schema[0].properties.tags.items.enum | index($t) != null)' >/dev/null
echo "valid" >&2
