#!/bin/sh
# HealthFlow restore drill: the newest backup in S3, restored into a throwaway PostgreSQL and checked
# against the manifest backup.sh wrote beside it at dump time.
#
# Usage: drill.sh fetch|check|all
#
#   fetch   Find the newest s3://$BACKUP_BUCKET/$BACKUP_PREFIX/healthflow_*.dump that has its
#           .manifest and .sha256, download the three into DRILL_DIR and verify the archive's
#           checksum; a mismatch deletes them and fails before anything is restored. Its role needs
#           s3:ListBucket on the prefix and s3:GetObject (with kms:Decrypt): nothing that writes.
#           Needs aws (cli), sha256sum.
#   check   Verify the archive in DRILL_DIR again, and that its manifest names this archive and
#           checksum; start a throwaway PostgreSQL in DRILL_DIR (initdb, a Unix socket only, no TCP);
#           restore the archive (--no-owner --no-privileges --exit-on-error; an extension this
#           server lacks is left out); count each table's rows and compare them with the manifest,
#           naming every table that differs. Prints the figures (tables, rows, bytes, seconds), in a
#           log line and in one JSON line ({"drill":"ok",...}) that metric filters read.
#           Stops the server and empties DRILL_DIR, pass or fail. Needs initdb, pg_ctl, pg_restore,
#           psql, sha256sum, awk, sort.
#   all     fetch, then check (an image with both tool sets).
#
# In Kubernetes the drill CronJob runs `fetch` in an initContainer (aws-cli image) and `check` in
# the main container (postgres image, non-root); both share DRILL_DIR (the pod's own scratch volume).
#
# Environment (empty counts as unset):
#   fetch:  BACKUP_BUCKET (required), BACKUP_PREFIX (postgres), S3_ENDPOINT_URL (optional; passed as
#           --endpoint-url), plus the aws cli's own AWS_* variables
#   both:   DRILL_DIR (/drill)
# Exit codes: 0 the restore matches its manifest, 2 usage or configuration error, 1 any other failure.
set -eu
umask 077

PROG=drill.sh
# shellcheck source-path=SCRIPTDIR
. "$(dirname "$0")/lib.sh"

usage() {
  printf 'Usage: %s fetch|check|all\n' "$PROG" >&2
  exit 2
}

aws_s3() {
  if [ -n "${S3_ENDPOINT_URL:-}" ]; then
    aws --endpoint-url "$S3_ENDPOINT_URL" "$@"
  else
    aws "$@"
  fi
}

PGDATA_DIR=""
EMPTY_ON_EXIT=""
cleanup() {
  status=$?
  if [ -n "$PGDATA_DIR" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    pg_ctl -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  # Patients' data: the archive, the restored cluster. Nothing of it outlives the drill.
  if [ -n "$EMPTY_ON_EXIT" ]; then
    find "$DRILL_DIR" -mindepth 1 -delete 2>/dev/null || rm -rf -- "${DRILL_DIR:?}"/* "${DRILL_DIR:?}"/.[!.]*
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

check_drill_dir() {
  [ -d "$DRILL_DIR" ] || die 1 "DRILL_DIR $DRILL_DIR is not a directory"
}

# verify_archive ARCHIVE : the archive's sha256 is its sidecar's (sets SHA256).
verify_archive() {
  [ -f "$1.sha256" ] || die 1 "${1##*/} has no .sha256 beside it; refusing to restore"
  read_sidecar "$1.sha256"
  sha256_of "$1"
  if [ "$SHA256" != "$EXPECTED" ]; then
    die 1 "checksum mismatch for ${1##*/} (expected $EXPECTED, got $SHA256); refusing to restore"
  fi
}

do_fetch() {
  require_env BACKUP_BUCKET
  check_drill_dir
  prefix=${BACKUP_PREFIX:-postgres}
  prefix=${prefix#/}
  prefix=${prefix%/}
  keys=$(aws_s3 s3api list-objects-v2 --bucket "$BACKUP_BUCKET" --prefix "$prefix/healthflow_" \
    --query 'Contents[].Key' --output text)
  # The newest archive whose manifest and checksum are both there (the checksum is uploaded last).
  # Timestamps sort lexically, so the last such name is the newest.
  all=$(printf '%s\n' "$keys" | tr '\t' '\n')
  name=""
  for key in $(printf '%s\n' "$all" | grep '\.dump$' | LC_ALL=C sort); do
    if printf '%s\n' "$all" | grep -qxF "$key.sha256" && printf '%s\n' "$all" | grep -qxF "$key.manifest"; then
      name=${key##*/}
    fi
  done
  [ -n "$name" ] || die 1 "no complete backup (archive, .manifest, .sha256) under s3://$BACKUP_BUCKET/$prefix/"
  EMPTY_ON_EXIT=1
  for suffix in "" .manifest .sha256; do
    aws_s3 s3 cp --only-show-errors --no-progress "s3://$BACKUP_BUCKET/$prefix/$name$suffix" "$DRILL_DIR/$name$suffix"
  done
  verify_archive "$DRILL_DIR/$name"
  log "fetch: $name checksum verified"
  EMPTY_ON_EXIT=""
}

# The rows of every table of the connected database, as "<schema>.<table><TAB><rows>" sorted: each
# table's own rows (ONLY: not its inheritance children, as pg_dump copies each table's own), its
# name quoted as pg_dump quotes it in its COPY lines.
COUNT_SQL="SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname),
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'"

do_check() {
  check_drill_dir
  EMPTY_ON_EXIT=1
  archive=""
  for candidate in "$DRILL_DIR"/healthflow_*.dump; do
    [ ! -f "$candidate" ] || archive=$candidate
  done
  [ -n "$archive" ] || die 1 "no healthflow_*.dump in $DRILL_DIR; did 'drill.sh fetch' succeed?"
  name=${archive##*/}
  verify_archive "$archive"
  [ -f "$archive.manifest" ] || die 1 "$name has no .manifest beside it"
  read -r header <"$archive.manifest" || true
  [ "$header" = "# $name sha256 $SHA256" ] || die 1 "$name.manifest does not name this archive and checksum ($header)"

  started=$(date +%s)
  PGDATA_DIR="$DRILL_DIR/pgdata"
  log "check: a throwaway PostgreSQL in $PGDATA_DIR"
  initdb -D "$PGDATA_DIR" -U drill --auth=trust -E UTF8 --locale=C --no-sync >"$DRILL_DIR/initdb.log" 2>&1 ||
    die 1 "initdb failed: $(tail -n 5 "$DRILL_DIR/initdb.log")"
  pg_ctl -D "$PGDATA_DIR" -w -l "$DRILL_DIR/server.log" \
    -o "-c listen_addresses='' -c unix_socket_directories='$DRILL_DIR' -c fsync=off" start >/dev/null ||
    die 1 "the throwaway server did not start: $(tail -n 5 "$DRILL_DIR/server.log")"
  PGHOST=$DRILL_DIR PGUSER=drill PGSSLMODE=disable
  export PGHOST PGUSER PGSSLMODE
  unset PGPASSWORD PGSSLROOTCERT PGHOSTADDR 2>/dev/null || true
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE drill' >/dev/null

  # Extensions this server does not have (pgaudit, say) are left out of the restore: the tables
  # and their rows are what the drill checks.
  psql -X -At -d drill -c 'SELECT name FROM pg_available_extensions' >"$DRILL_DIR/available"
  pg_restore --list "$archive" | awk -v available="$DRILL_DIR/available" '
    BEGIN { while ((getline line < available) > 0) have[line] = 1 }
    / EXTENSION - / || / COMMENT - EXTENSION / { if (!($NF in have) && !($(NF - 1) in have)) { print ";" $0; next } }
    { print }
  ' >"$DRILL_DIR/restore.list"
  log "check: restoring $name"
  pg_restore --no-owner --no-privileges --exit-on-error --use-list="$DRILL_DIR/restore.list" \
    --dbname=drill "$archive"

  psql -X -At -F "$(printf '\t')" -v ON_ERROR_STOP=1 -d drill -c "$COUNT_SQL" | LC_ALL=C sort >"$DRILL_DIR/restored"
  tail -n +2 "$archive.manifest" >"$DRILL_DIR/expected"
  differences=$(awk -F '\t' '
    NR == FNR { expected[$1] = $2; next }
    { restored[$1] = $2 }
    END {
      for (t in expected) if (!(t in restored)) printf "%s: %s rows in the manifest, not restored\n", t, expected[t]
      for (t in restored) {
        if (!(t in expected)) printf "%s: restored with %s rows, not in the manifest\n", t, restored[t]
        else if (restored[t] != expected[t]) printf "%s: %s rows in the manifest, %s restored\n", t, expected[t], restored[t]
      }
    }
  ' "$DRILL_DIR/expected" "$DRILL_DIR/restored" | LC_ALL=C sort)
  [ -z "$differences" ] || die 1 "the restore of $name does not match its manifest: $(printf '%s' "$differences" | tr '\n' ';')"

  tables=$(wc -l <"$DRILL_DIR/expected")
  rows=$(awk -F '\t' '{ n += $2 } END { print n + 0 }' "$DRILL_DIR/expected")
  bytes=$(wc -c <"$archive")
  seconds=$(($(date +%s) - started))
  log "check: ok $name: $((tables + 0)) tables, $rows rows, $((bytes + 0)) bytes, restored in $seconds s"
  # The same figures as one JSON line: CloudWatch Logs turns them into metrics (HealthFlow/RestoreDrill).
  printf '{"drill":"ok","dump":"%s","tables":%d,"rows":%d,"bytes":%d,"seconds":%d}\n' \
    "$name" "$tables" "$rows" "$bytes" "$seconds"
}

[ "$#" -eq 1 ] || usage
DRILL_DIR=${DRILL_DIR:-/drill}

case $1 in
  fetch) do_fetch ;;
  check) do_check ;;
  all)
    do_fetch
    do_check
    ;;
  *) usage ;;
esac
