#!/bin/sh
# Shared by backup.sh and restore.sh (sourced; both scripts sit beside it, in the repository and
# in the CronJob's ConfigMap). Callers set PROG first and run under `set -eu`.

log() {
  printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$*"
}

die() {
  code=$1
  shift
  printf '%s %s: ERROR: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$*" >&2
  exit "$code"
}

# require_env NAME... : exit 2 naming every required variable that is unset or empty.
require_env() {
  missing=""
  for name in "$@"; do
    eval "value=\${$name:-}"
    if [ -z "$value" ]; then
      missing="$missing $name"
    fi
  done
  if [ -n "$missing" ]; then
    die 2 "required environment variable(s) not set:$missing"
  fi
}

require_number() {
  case $2 in
    '' | *[!0-9]*) die 2 "$1 must be a number, got '$2'" ;;
  esac
}

check_sha256() {
  case $1 in
    *[!0-9a-f]*) die 1 "$2 does not hold a sha256 digest" ;;
  esac
  [ "${#1}" -eq 64 ] || die 1 "$2 does not hold a sha256 digest"
}

# sha256_of FILE : sets SHA256. Reads stdin so that odd file names cannot change the output format.
sha256_of() {
  sha_out=$(sha256sum <"$1")
  SHA256=${sha_out%% *}
  check_sha256 "$SHA256" "sha256sum of $1"
}

# read_sidecar FILE : sets EXPECTED to the first field of a `sha256sum` line.
read_sidecar() {
  EXPECTED=""
  if ! read -r EXPECTED _rest <"$1"; then
    [ -n "$EXPECTED" ] || die 1 "checksum file $1 is empty or unreadable"
  fi
  check_sha256 "$EXPECTED" "checksum file $1"
}
