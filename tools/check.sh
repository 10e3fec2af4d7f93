#!/usr/bin/env bash
# `npm run check`: type-check and lint side by side (each is single-threaded; the machine has
# two cores), then every test. Fails if any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
npm run -s typecheck &
typecheck=$!
npm run -s lint &
lint=$!
status=0
wait "$typecheck" || status=1
wait "$lint" || status=1
if [ "$status" -ne 0 ]; then
  echo "check: type-check or lint failed" >&2
  exit 1
fi
npm test
