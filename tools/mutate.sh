#!/usr/bin/env bash
# `npm run mutate [-- <folder>…] [-- <stryker flags>]`: mutation testing (Stryker, stryker.config.mjs)
# of settings/, policies/ and components/, one folder a run, each with its own score, breaking
# threshold, report (reports/mutation/<folder>.html) and incremental file, so a second run tests only
# the mutants whose code or tests changed. `--force` tests every mutant again. Fails when a folder's
# score is below its threshold. The Debian tools the tests run are installed first when missing.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
folders=()
flags=()
for arg in "$@"; do
  case "$arg" in
    settings | policies | components | settings/[a-z]* | policies/[a-z]* | components/[a-z]*) folders+=("$arg") ;;
    -*) flags+=("$arg") ;;
    *)
      echo "mutate: \"$arg\" is not a folder to mutate; allowed: settings, policies, components, or one area or file of them such as policies/aws or settings/edge.ts (or Stryker flags such as --force)" >&2
      exit 2
      ;;
  esac
done
[ "${#folders[@]}" -gt 0 ] || folders=(settings policies components)
bash tools/provision.sh || exit 1
mkdir -p reports/mutation
status=0
summary=()
for folder in "${folders[@]}"; do
  started=$SECONDS
  HEALTHFLOW_MUTATE=$folder HEALTHFLOW_MUTATION_RUN=1 HEALTHFLOW_MUTATION_SOURCES=$PWD \
    node node_modules/@stryker-mutator/core/bin/stryker.js run stryker.config.mjs "${flags[@]}"
  result=$?
  [ "$result" -eq 0 ] || status=1
  summary+=("$folder: $( [ "$result" -eq 0 ] && echo passed || echo FAILED ) in $((SECONDS - started)) s (reports/mutation/${folder/\//-}.html)")
done
printf 'mutate: %s\n' "${summary[@]}"
exit "$status"
