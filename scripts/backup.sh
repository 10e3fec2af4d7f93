#!/bin/sh
# HealthFlow PostgreSQL backup: pg_dump (custom format) -> verified local archive -> S3 (SSE-KMS).
#
# Usage: backup.sh dump|upload|all
#
#   dump    pg_dump -Fc into a temp file in BACKUP_DIR, check it with `pg_restore --list`, write
#           healthflow_<UTC timestamp>.dump.manifest (the rows of each table the archive holds,
#           counted from its own data, under a line naming the archive and its sha256: what the
#           restore drill checks a restore against) and healthflow_<UTC timestamp>.dump.sha256,
#           then rename the archive to healthflow_<UTC timestamp>.dump. The rename is the commit
#           point: a failed or partial dump leaves no file with a final name. Needs pg_dump,
#           pg_restore, sha256sum, awk, sort.
#   upload  Upload the newest healthflow_*.dump in BACKUP_DIR, its .manifest and its .sha256 to
#           s3://$BACKUP_BUCKET/$BACKUP_PREFIX/ (archive first, sidecar last), SSE-KMS, after
#           re-checking the checksum, then delete those three files from BACKUP_DIR:
#           uploaded or not (a failed upload is retried by a new dump), no copy of patients'
#           data stays on the scratch disk. Deletes nothing in S3: its role needs s3:PutObject on
#           the prefix (plus kms:GenerateDataKey and, for multipart uploads of archives over
#           8 MB, kms:Decrypt on the key). Needs aws (cli), sha256sum.
#   all     dump, then upload that archive (for an image that has both tools).
#
# In Kubernetes the CronJob runs `dump` in an initContainer (postgres image, no aws cli) and
# `upload` in the main container (aws-cli image, no pg_dump); both share BACKUP_DIR (the job's
# own scratch volume).
#
# Environment (empty counts as unset):
#   dump:   DB_HOST, DB_USER, DB_NAME, PGPASSWORD (required; the password is never printed)
#           DB_PORT (5432), PGCONNECT_TIMEOUT (10 s), PGSSLMODE (verify-full: the server's
#           certificate must chain to PGSSLROOTCERT and name DB_HOST), PGSSLROOTCERT (libpq's
#           ~/.postgresql/root.crt when unset; the CronJob mounts AWS's RDS bundle)
#   upload: BACKUP_BUCKET (required), BACKUP_PREFIX (postgres), BACKUP_KMS_KEY_ID (optional; S3
#           uses the AWS-managed aws/s3 key when unset), S3_ENDPOINT_URL (optional; passed as
#           --endpoint-url), plus the aws cli's own AWS_* variables (credentials, AWS_REGION, ...)
#   both:   BACKUP_DIR (/backup)
# Exit codes: 0 ok, 2 usage or configuration error, 1 any other failure.
set -eu
umask 077

PROG=backup.sh
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

usage() {
  printf 'Usage: %s dump|upload|all\n' "$PROG" >&2
  exit 2
}

# aws_s3_cp SRC DEST [OPTIONS...] (its own variable names: sh functions share the caller's)
aws_s3_cp() {
  cp_src=$1
  cp_dest=$2
  shift 2
  if [ -n "${S3_ENDPOINT_URL:-}" ]; then
    set -- --endpoint-url "$S3_ENDPOINT_URL" s3 cp --only-show-errors --no-progress "$@" "$cp_src" "$cp_dest"
  else
    set -- s3 cp --only-show-errors --no-progress "$@" "$cp_src" "$cp_dest"
  fi
  aws "$@"
}

check_dump_env() {
  require_env DB_HOST DB_USER DB_NAME PGPASSWORD
  require_number DB_PORT "$DB_PORT"
  require_number PGCONNECT_TIMEOUT "$PGCONNECT_TIMEOUT"
}

check_upload_env() {
  require_env BACKUP_BUCKET
  case $BACKUP_BUCKET in
    */* | s3:*) die 2 "BACKUP_BUCKET must be a bare bucket name, got '$BACKUP_BUCKET'" ;;
  esac
  # Trim slashes so that "postgres/", "/postgres" and "postgres" name the same prefix.
  while :; do
    case $BACKUP_PREFIX in
      /*) BACKUP_PREFIX=${BACKUP_PREFIX#/} ;;
      */) BACKUP_PREFIX=${BACKUP_PREFIX%/} ;;
      *) break ;;
    esac
  done
  [ -n "$BACKUP_PREFIX" ] || die 2 "BACKUP_PREFIX must not be empty"
}

check_backup_dir() {
  [ -d "$BACKUP_DIR" ] || die 1 "BACKUP_DIR $BACKUP_DIR is not a directory"
}

# Removes whatever an unfinished dump left behind (the final archive name is never created early),
# and the archive an upload took on, with its sidecar, however the upload ended.
TMP_DUMP=""
TMP_SUM=""
TMP_MANIFEST=""
FINAL_SUM=""
FINAL_MANIFEST=""
TAKEN=""
cleanup() {
  status=$?
  [ -z "$TMP_DUMP" ] || rm -f -- "$TMP_DUMP"
  [ -z "$TMP_SUM" ] || rm -f -- "$TMP_SUM"
  [ -z "$TMP_MANIFEST" ] || rm -f -- "$TMP_MANIFEST"
  [ -z "$FINAL_SUM" ] || rm -f -- "$FINAL_SUM"
  [ -z "$FINAL_MANIFEST" ] || rm -f -- "$FINAL_MANIFEST"
  [ -z "$TAKEN" ] || rm -f -- "$TAKEN" "$TAKEN.manifest" "$TAKEN.sha256"
  exit "$status"
}

# archive_rows ARCHIVE OUT : writes "<schema>.<table><TAB><rows>" to OUT for every table whose data
# the archive holds, sorted: the rows of each COPY block of its data (pg_restore's text output, one
# line a row, since COPY escapes newlines in values). Fails if pg_restore does (sh has no pipefail).
archive_rows() {
  rows_status=$(mktemp "$BACKUP_DIR/.rows-status.XXXXXX")
  { pg_restore --data-only --file=- "$1" || echo "$?" >"$rows_status"; } | awk '
    # The qualified name ends at the first space outside double quotes ("my schema"."my table").
    function qualified(s,   i, c, quoted) {
      for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "\"") quoted = !quoted
        else if (c == " " && !quoted) return substr(s, 1, i - 1)
      }
      return s
    }
    # print, not printf %d: busybox awk formats %d as a 32-bit int; print keeps a whole number whole.
    copying && $0 == "\\." { print table "\t" rows; copying = 0; next }
    copying { rows++; next }
    /^COPY .* FROM stdin;$/ { table = qualified(substr($0, 6)); rows = 0; copying = 1 }
  ' | LC_ALL=C sort >"$2"
  failed=$(cat "$rows_status")
  rm -f -- "$rows_status"
  [ -z "$failed" ] || die 1 "pg_restore could not read the archive's data (exit $failed)"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

DUMP_FILE=""
do_dump() {
  check_backup_dir
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="healthflow_$stamp.dump"
  final="$BACKUP_DIR/$name"
  if [ -e "$final" ] || [ -e "$final.sha256" ]; then
    die 1 "$final already exists; refusing to overwrite it"
  fi
  TMP_DUMP=$(mktemp "$BACKUP_DIR/.$name.XXXXXX")
  TMP_SUM=$(mktemp "$BACKUP_DIR/.$name.sha256.XXXXXX")
  TMP_MANIFEST=$(mktemp "$BACKUP_DIR/.$name.manifest.XXXXXX")

  log "dump: pg_dump of database $DB_NAME on $DB_HOST:$DB_PORT as $DB_USER (custom format)"
  pg_dump --format=custom --no-password --host="$DB_HOST" --port="$DB_PORT" \
    --username="$DB_USER" --dbname="$DB_NAME" --file="$TMP_DUMP"

  log "dump: verifying the archive with pg_restore --list"
  pg_restore --list "$TMP_DUMP" >/dev/null

  sha256_of "$TMP_DUMP"
  log "dump: counting each table's rows in the archive for its manifest"
  archive_rows "$TMP_DUMP" "$TMP_MANIFEST.rows"
  {
    printf '# %s sha256 %s\n' "$name" "$SHA256"
    cat "$TMP_MANIFEST.rows"
  } >"$TMP_MANIFEST"
  rm -f -- "$TMP_MANIFEST.rows"
  tables=$(($(wc -l <"$TMP_MANIFEST") - 1))
  printf '%s  %s\n' "$SHA256" "$name" >"$TMP_SUM"
  FINAL_MANIFEST="$final.manifest"
  mv -f -- "$TMP_MANIFEST" "$FINAL_MANIFEST"
  TMP_MANIFEST=""
  FINAL_SUM="$final.sha256"
  mv -f -- "$TMP_SUM" "$FINAL_SUM"
  TMP_SUM=""
  mv -f -- "$TMP_DUMP" "$final"
  TMP_DUMP=""
  FINAL_SUM=""
  FINAL_MANIFEST=""
  DUMP_FILE=$final
  size=$(wc -c <"$final")
  log "dump: wrote $final ($((size + 0)) bytes, sha256 $SHA256, $tables tables)"
}

do_upload() {
  check_backup_dir
  archive=$DUMP_FILE
  if [ -z "$archive" ]; then
    # Timestamps sort lexically, so the last match is the newest archive.
    for candidate in "$BACKUP_DIR"/healthflow_*.dump; do
      [ ! -f "$candidate" ] || archive=$candidate
    done
  fi
  [ -n "$archive" ] || die 1 "no healthflow_*.dump in $BACKUP_DIR; did 'backup.sh dump' succeed?"
  TAKEN=$archive
  name=${archive##*/}
  [ -f "$archive.sha256" ] || die 1 "$archive has no $name.sha256 beside it; refusing to upload"
  [ -f "$archive.manifest" ] || die 1 "$archive has no $name.manifest beside it; refusing to upload"

  read_sidecar "$archive.sha256"
  sha256_of "$archive"
  if [ "$SHA256" != "$EXPECTED" ]; then
    die 1 "checksum mismatch for $name (expected $EXPECTED, got $SHA256); refusing to upload"
  fi
  log "upload: $name checksum verified"

  dest="s3://$BACKUP_BUCKET/$BACKUP_PREFIX/$name"
  if [ -n "${BACKUP_KMS_KEY_ID:-}" ]; then
    set -- --sse aws:kms --sse-kms-key-id "$BACKUP_KMS_KEY_ID"
  else
    set -- --sse aws:kms
  fi
  log "upload: $name -> $dest"
  aws_s3_cp "$archive" "$dest" "$@"
  log "upload: $name.manifest -> $dest.manifest"
  aws_s3_cp "$archive.manifest" "$dest.manifest" --content-type text/plain "$@"
  # The sidecar goes last: an archive in S3 without its sidecar is an incomplete upload.
  log "upload: $name.sha256 -> $dest.sha256"
  aws_s3_cp "$archive.sha256" "$dest.sha256" --content-type text/plain "$@"
  rm -f -- "$archive" "$archive.manifest" "$archive.sha256"
  TAKEN=""
  log "upload: done; $name removed from $BACKUP_DIR"
}

[ "$#" -eq 1 ] || usage
command=$1

DB_PORT=${DB_PORT:-5432}
BACKUP_DIR=${BACKUP_DIR:-/backup}
BACKUP_PREFIX=${BACKUP_PREFIX:-postgres}
PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10}
PGSSLMODE=${PGSSLMODE:-verify-full}
export PGCONNECT_TIMEOUT PGSSLMODE

case $command in
  dump)
    check_dump_env
    do_dump
    ;;
  upload)
    check_upload_env
    do_upload
    ;;
  all)
    check_dump_env
    check_upload_env
    do_dump
    do_upload
    ;;
  *) usage ;;
esac
