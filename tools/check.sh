#!/usr/bin/env bash
# `npm run check`: the Debian tools the tests run (installed when missing, tools/provision.sh), then
# type-check, lint and every test. Fails if any of them fails.
#
# Two cores: the type-check and the lint run beside the tests (which leave a core idle while the
# global setup plans the stacks and while PostgreSQL and the S3 server answer), their output held
# back and printed after the tests'. tsc and prettier keep caches under node_modules/.cache, so a
# second run re-checks only what changed. eslint does not: its type-aware Pulumi rules read other
# files' types, which its cache cannot follow.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 22 ]; then
  echo "check: Node $(node --version) is not supported (end of life); use Node 22 or 24 (package.json engines)." >&2
  exit 1
fi
bash tools/provision.sh || exit 1
held=$(mktemp -d)
trap 'rm -rf "$held"' EXIT
declare -A pid
for part in typecheck lint; do
  npm run -s "$part" >"$held/$part" 2>&1 &
  pid[$part]=$!
done
# Ctrl-C stops the held-back parts too (background jobs of a script ignore SIGINT themselves).
trap 'kill "${pid[@]}" 2>/dev/null; exit 130' INT TERM
npm test
status=$?
for part in typecheck lint; do
  if wait "${pid[$part]}"; then
    echo "check: $part passed"
  else
    cat "$held/$part"
    echo "check: $part failed" >&2
    status=1
  fi
done
exit "$status"
