#!/bin/sh
# HealthFlow PostgreSQL restore from a backup.sh archive (pg_dump custom format).
#
# Usage: restore.sh <file | s3://bucket/key>
#
# An s3:// source is downloaded with its .sha256 sidecar; a local file needs its sidecar beside it
# (FILE.sha256) unless RESTORE_ALLOW_UNVERIFIED=1. The checksum and `pg_restore --list` are both
# checked before the database is touched. The restore itself runs in one transaction
# (--clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error): a bad
# archive fails loudly and leaves the database as it was.
#
# Environment (empty counts as unset):
#   DB_HOST, DB_USER, DB_NAME, PGPASSWORD (required; the password is never printed)
#   DB_PORT (5432), PGCONNECT_TIMEOUT (10 s), PGSSLMODE (verify-full), PGSSLROOTCERT (the CA
#   bundle that signs the server's certificate: components/data/rds-ca/sa-east-1-bundle.pem for RDS)
#   RESTORE_DIR (${TMPDIR:-/tmp}; where an s3:// archive is downloaded, removed afterwards)
#   RESTORE_ALLOW_UNVERIFIED (unset; 1 restores a local file that has no .sha256 sidecar)
#   S3_ENDPOINT_URL (optional; passed to the aws cli as --endpoint-url) and the cli's AWS_* variables
# Needs pg_restore, sha256sum, mktemp, and the aws cli for s3:// sources.
# Exit codes: 0 ok, 2 usage or configuration error, 1 any other failure.
set -eu
umask 077

PROG=restore.sh
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

usage() {
  printf 'Usage: %s <file | s3://bucket/key>\n' "$PROG" >&2
  exit 2
}

aws_s3_cp() {
  if [ -n "${S3_ENDPOINT_URL:-}" ]; then
    aws --endpoint-url "$S3_ENDPOINT_URL" s3 cp --only-show-errors --no-progress "$1" "$2"
  else
    aws s3 cp --only-show-errors --no-progress "$1" "$2"
  fi
}

WORK_DIR=""
cleanup() {
  status=$?
  [ -z "$WORK_DIR" ] || rm -rf -- "$WORK_DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  usage
fi
source=$1

DB_PORT=${DB_PORT:-5432}
PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}
PGSSLMODE=${PGSSLMODE:-verify-full}
export PGCONNECT_TIMEOUT PGSSLMODE
require_env DB_HOST DB_USER DB_NAME PGPASSWORD
require_number DB_PORT "$DB_PORT"
require_number PGCONNECT_TIMEOUT "$PGCONNECT_TIMEOUT"

case $source in
  s3://*)
    path=${source#s3://}
    case $path in
      */?*) ;;
      *) die 2 "'$source' is not an s3://bucket/key URL" ;;
    esac
    name=${source##*/}
    [ -n "$name" ] || die 2 "'$source' names a prefix, not an archive"
    restore_dir=${RESTORE_DIR:-${TMPDIR:-/tmp}}
    WORK_DIR=$(mktemp -d "$restore_dir/healthflow-restore.XXXXXX")
    archive="$WORK_DIR/$name"
    sidecar="$archive.sha256"
    log "download: $source"
    aws_s3_cp "$source" "$archive"
    log "download: $source.sha256"
    aws_s3_cp "$source.sha256" "$sidecar" || die 1 "could not download $source.sha256; refusing to restore an unverified archive"
    ;;
  *)
    archive=$source
    sidecar="$archive.sha256"
    [ -f "$archive" ] || die 1 "$archive: no such file"
    if [ ! -f "$sidecar" ]; then
      if [ "${RESTORE_ALLOW_UNVERIFIED:-}" = 1 ]; then
        sidecar=""
        log "verify: no $sidecar; RESTORE_ALLOW_UNVERIFIED=1, skipping the checksum"
      else
        die 1 "$archive has no ${archive##*/}.sha256 beside it; set RESTORE_ALLOW_UNVERIFIED=1 to restore it anyway"
      fi
    fi
    ;;
esac

if [ -n "$sidecar" ]; then
  read_sidecar "$sidecar"
  sha256_of "$archive"
  if [ "$SHA256" != "$EXPECTED" ]; then
    die 1 "checksum mismatch for $source (expected $EXPECTED, got $SHA256); refusing to restore"
  fi
  log "verify: sha256 $SHA256 matches"
fi

log "verify: reading the archive's table of contents (pg_restore --list)"
pg_restore --list "$archive" >/dev/null || die 1 "$source is not a readable pg_dump custom-format archive; refusing to restore"

log "restore: into database $DB_NAME on $DB_HOST:$DB_PORT as $DB_USER (single transaction)"
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error \
  --no-password --host="$DB_HOST" --port="$DB_PORT" --username="$DB_USER" -d "$DB_NAME" \
  "$archive" || die 1 "pg_restore failed; the transaction was rolled back and $DB_NAME is as it was"
log "restore: done"
