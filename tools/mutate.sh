#!/usr/bin/env bash
# `npm run mutate [-- <folder>…] [-- <stryker flags>]`: mutation testing (Stryker, stryker.config.mjs)
# of settings/, policies/ and components/, one folder a run, each with its own score, breaking
# threshold, report (reports/mutation/<folder>.html) and incremental file, so a second run tests only
# the mutants whose code or tests changed. `--force` tests every mutant again. Fails when a folder's
# score is below its threshold. The Debian tools the tests run are installed first when missing.
# Each incremental file is also kept in the machine's cache (HEALTHFLOW_MUTATION_KEEP, by default
# ~/.cache/healthflow-infra/mutation), from which a run without one in reports/ resumes.
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
# The machine's own copy of each run's incremental file, outside the work tree (a new session lays
# the work tree anew, the machine's cache stays): a run that outlasts a sitting resumes in the next.
keep=${HEALTHFLOW_MUTATION_KEEP:-${XDG_CACHE_HOME:-$HOME/.cache}/healthflow-infra/mutation}
stryker=${HEALTHFLOW_STRYKER:-node_modules/@stryker-mutator/core/bin/stryker.js}
# Ctrl-C stops Stryker, which saves a partial incremental file; this script then still keeps it.
trap 'interrupted=1' INT
interrupted=0
status=0
summary=()
for folder in "${folders[@]}"; do
  [ "$interrupted" -eq 0 ] || break
  started=$SECONDS
  incremental=reports/mutation/${folder/\//-}.incremental.json
  if [ ! -f "$incremental" ] && [ -f "$keep/${incremental##*/}" ]; then
    cp -- "$keep/${incremental##*/}" "$incremental"
    echo "mutate: resuming $folder from $keep/${incremental##*/}"
  fi
  HEALTHFLOW_MUTATE=$folder HEALTHFLOW_MUTATION_RUN=1 HEALTHFLOW_MUTATION_SOURCES=$PWD \
    node "$stryker" run stryker.config.mjs "${flags[@]}"
  result=$?
  if [ -f "$incremental" ]; then
    mkdir -p "$keep" && cp -- "$incremental" "$keep/"
  fi
  [ "$result" -eq 0 ] || status=1
  summary+=("$folder: $( [ "$result" -eq 0 ] && echo passed || echo FAILED ) in $((SECONDS - started)) s (reports/mutation/${folder/\//-}.html)")
done
printf 'mutate: %s\n' "${summary[@]}"
exit "$status"
