#!/usr/bin/env bash
# Moving a database between backends: `generate --lifecycle` data imported into SQLite, exported, the export
# imported into PostgreSQL (loopback) and exported again, and the same file imported into a new SQLite file. Prints
# one Markdown table of seconds and peak RSS per step (the median of the runs) and checks that both exports are the
# same bytes. Starts a throwaway PostgreSQL cluster and stops and removes everything it started.
#   bench/export.sh [USERS] [BOOKINGS]    (defaults 20000 users, 1000000 bookings)
# EXPORT_RUNS (default 3) runs of every step; each figure is the median of the runs.
# Needs a release build (scripts/build.sh release), GNU time (/usr/bin/time) and the PostgreSQL 15 server binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
users=${1:-20000}
bookings=${2:-1000000}
runs=${EXPORT_RUNS:-3}
bin="$root/build/src/app/phonechat-api"
[ -x "$bin" ] || { echo "export.sh: build first: scripts/build.sh release" >&2; exit 2; }
for tool in /usr/bin/time psql cmp; do
  command -v "$tool" >/dev/null 2>&1 || { echo "export.sh: $tool is required" >&2; exit 2; }
done

work=$(mktemp -d /tmp/phonechat-bench.XXXXXX)
chmod 755 "$work"
cleanup() {
  "$root/scripts/pg-cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin" generate --users "$users" --bookings "$bookings" --lifecycle >"$work/data.jsonl"
pg_admin=$("$root/scripts/pg-cluster.sh" start "$work/pg")

# Runs the command, appending "seconds peak-KiB" of it to the file named first.
timed() {
  local out=$1
  shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  cat "$work/time" >>"$out"
}

steps=(import-sqlite export-sqlite import-pg export-pg import-sqlite-again)
for run in $(seq "$runs"); do
  rm -f "$work"/*.db* "$work"/export-*.jsonl
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -d "$pg_admin" -c "DROP DATABASE IF EXISTS move" \
    -c "CREATE DATABASE move" >/dev/null
  pg_url=${pg_admin%/postgres}/move
  timed "$work/import-sqlite" "$bin" import --db "$work/a.db" "$work/data.jsonl"
  timed "$work/export-sqlite" "$bin" export --db "$work/a.db" --output "$work/export-a.jsonl"
  timed "$work/import-pg" "$bin" import --db "$pg_url" "$work/export-a.jsonl"
  timed "$work/export-pg" "$bin" export --db "$pg_url" --output "$work/export-b.jsonl"
  timed "$work/import-sqlite-again" "$bin" import --db "$work/b.db" "$work/export-a.jsonl"
  cmp -s "$work/export-a.jsonl" "$work/export-b.jsonl" || { echo "export.sh: run $run: the two exports differ" >&2; exit 1; }
done

size=$(stat -c %s "$work/export-a.jsonl")
echo "| Step ($bookings bookings, $users users; export file $((size / 1048576)) MiB) | seconds | bookings/s | peak RSS |"
echo "|---|---|---|---|"
# The median of column `column` of a step's runs.
median() { sort -n -k"$2" "$work/$1" | awk -v c="$2" -v m=$(((runs + 1) / 2)) 'NR == m { print $c }'; }
for step in "${steps[@]}"; do
  awk -v step="$step" -v n="$bookings" -v s="$(median "$step" 1)" -v kib="$(median "$step" 2)" \
    'BEGIN { printf "| %s | %.2f | %.0f | %d MiB |\n", step, s, n / s, kib / 1024 }'
done
echo
echo "Both exports (from SQLite, and from PostgreSQL after the move) were the same bytes in every run."
