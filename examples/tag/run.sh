#!/usr/bin/env bash
# Demo: tags a document (the project README by default) with tags.json and checks the answer.
#   run.sh [DOCUMENT] [MODEL.gguf]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
doc="${1:-$repo/README.md}"
[ -n "${2:-}" ] && export MODEL="$2"
answer="$("$here/tag.sh" "$doc" "$here/tags.json" "$(basename "$doc")")"
echo "$answer"
# Independent check: exactly the two keys, the given id, at most 3 tags, each an entry of the list.
echo "$answer" | jq -e --slurpfile tags "$here/tags.json" --arg id "$(basename "$doc")" '
  (keys == ["id", "tags"]) and (.id == $id) and (.tags | length <= 3)
  and all(.tags[]; . as $t | $tags[0] | index($t) != null)' >/dev/null
echo "valid" >&2
