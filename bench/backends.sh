#!/usr/bin/env bash
# The list on SQLite and on PostgreSQL (loopback), measured in one run on the same data: the import rate of each
# backend, then `GET /v1/PhoneChat/MadeBookings` (page of 50, JSON) with the server pinned to core 0 (one serving
# thread; on PostgreSQL also eight, which hide the round trips a serving thread waits for) and wrk pinned to core 1. Prints one Markdown table. Starts a throwaway PostgreSQL cluster and stops and
# removes everything it started.
#   bench/backends.sh [CLIENTS] [PER_CLIENT] [SECONDS]    (defaults 2000 clients x 50 bookings, 10 s per run)
# Needs a release build (scripts/build.sh release), node, wrk, taskset and the PostgreSQL 15 server binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
clients=${1:-2000}
per_client=${2:-50}
seconds=${3:-10}
bin="$root/build/src/app/phonechat-api"
[ -x "$bin" ] || { echo "backends.sh: build first: scripts/build.sh release" >&2; exit 2; }
for tool in node wrk taskset psql; do
  command -v "$tool" >/dev/null 2>&1 || { echo "backends.sh: $tool is required" >&2; exit 2; }
done

work=$(mktemp -d /tmp/phonechat-bench.XXXXXX)
chmod 755 "$work"
server_pid=
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  "$root/scripts/pg-cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node "$root/bench/generate-simple.mjs" "$clients" "$per_client" >"$work/data.jsonl"
bookings=$((clients * per_client))

pg_admin=$("$root/scripts/pg-cluster.sh" start "$work/pg")
psql -X -q -d "$pg_admin" -c "CREATE DATABASE bench" >/dev/null
pg_url=${pg_admin%/postgres}/bench

# Imports the data set; prints bookings per second.
import_rate() {
  local url=$1 started ended
  started=$(date +%s.%N)
  "$bin" import --db "$url" "$work/data.jsonl" >/dev/null 2>&1
  ended=$(date +%s.%N)
  awk -v n="$bookings" -v a="$started" -v b="$ended" 'BEGIN { printf "%.0f", n / (b - a) }'
}

# Serves `url` on core 0 with `threads` serving threads, drives it from core 1; prints "requests/s p50 p99".
measure() {
  local url=$1 threads=$2 token port out
  token=$("$bin" token --db "$url" --user 10 --client-id bench-app --scope account_phonechat_bookings --expires-in 3600)
  taskset -c 0 "$bin" serve --db "$url" --listen 127.0.0.1:0 --threads "$threads" --access-log off 2>"$work/serve.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    port=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$work/serve.log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$work/serve.log" >&2; exit 1; }
  local target="http://127.0.0.1:$port/v1/PhoneChat/MadeBookings?BookingsPerPage=50"
  taskset -c 1 wrk -t1 -c32 -d2s -H "Authorization: Bearer $token" "$target" >/dev/null
  out=$(taskset -c 1 wrk -t1 -c32 -d"${seconds}s" --latency -H "Authorization: Bearer $token" "$target")
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  if grep -q "Non-2xx" <<<"$out"; then echo "backends.sh: failed requests: $out" >&2; exit 1; fi
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "$rps $p50 $p99"
}

sqlite_import=$(import_rate "sqlite://$work/bench.db")
pg_import=$(import_rate "$pg_url")
read -r sqlite_rps sqlite_p50 sqlite_p99 < <(measure "sqlite://$work/bench.db" 1)
read -r pg_rps pg_p50 pg_p99 < <(measure "$pg_url" 1)
read -r pg8_rps pg8_p50 pg8_p99 < <(measure "$pg_url" 8)

echo "Data: $clients clients x $per_client bookings ($bookings bookings); page of 50, JSON; the server on core 0,"
echo "wrk -t1 -c32 -d${seconds}s on core 1; PostgreSQL 15 on loopback (test settings: fsync off)."
echo
ratio() { awk -v a="$1" -v b="$sqlite_rps" 'BEGIN { printf "%.2f", a / b }'; }
echo "| Backend | serving threads | import (bookings/s) | list (requests/s) | p50 | p99 | list vs SQLite |"
echo "|---|---|---|---|---|---|---|"
echo "| SQLite | 1 | $sqlite_import | $sqlite_rps | $sqlite_p50 | $sqlite_p99 | 1.00 |"
echo "| PostgreSQL | 1 | $pg_import | $pg_rps | $pg_p50 | $pg_p99 | $(ratio "$pg_rps") |"
echo "| PostgreSQL | 8 | | $pg8_rps | $pg8_p50 | $pg8_p99 | $(ratio "$pg8_rps") |"
