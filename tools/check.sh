#!/usr/bin/env bash
# `npm run check`: the Debian tools the tests run (installed when missing, tools/provision.sh),
# then type-check and lint side by side (each is single-threaded; the machine has two cores),
# then every test. Fails if any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 22 ]; then
  echo "check: Node $(node --version) is not supported (end of life); use Node 22 or 24 (package.json engines)." >&2
  exit 1
fi
bash tools/provision.sh || exit 1
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
