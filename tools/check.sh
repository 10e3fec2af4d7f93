#!/usr/bin/env bash
# `npm run check`: the Debian tools the tests run (installed when missing, tools/provision.sh), then
# type-check, lint and every test. Fails if any of them fails.
#
# Two cores: the type-check and the lint (`npm run static`: one process, one TypeScript program for
# both, tools/static.ts) run beside the tests, which leave a core idle while PostgreSQL and the S3
# server answer; their output is held back and printed after the tests'. tsc, prettier and the lint
# of the files without type-aware rules keep caches under node_modules/.cache, so a second run
# re-checks only what changed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
bash tools/provision.sh || exit 1
held=$(mktemp)
trap 'rm -f "$held"' EXIT
npm run -s static >"$held" 2>&1 &
static=$!
# Ctrl-C stops the held-back part too (background jobs of a script ignore SIGINT themselves).
trap 'kill "$static" 2>/dev/null; exit 130' INT TERM
npm test
status=$?
if wait "$static"; then
  echo "check: type-check and lint passed"
else
  cat "$held"
  echo "check: type-check or lint failed" >&2
  status=1
fi
exit "$status"
