#!/usr/bin/env bash
# The list on SQLite and on PostgreSQL (loopback), measured in one run on the same data: the import rate of each
# backend, then `GET /v1/PhoneChat/MadeBookings` (page of 50, JSON) with the server pinned to core 0 (one serving
# thread; on PostgreSQL also eight) and wrk pinned to core 1, in two cases: every request by one client (one
# token), and each request by a client drawn at random from all of them (a token each, bench/wrk/bookings.lua).
# On PostgreSQL it also reports the round trips per request: the database's committed transactions (each
# statement or pipeline outside a transaction is one) over the requests answered, warm-up included. Prints one
# Markdown table. Starts a throwaway PostgreSQL cluster and stops and removes everything it started.
#   bench/backends.sh [CLIENTS] [PER_CLIENT] [SECONDS]    (defaults 2000 clients x 50 bookings, 10 s per run)
# BACKENDS_RUNS (default 3) runs of every case, one case after the other; each figure is the median of the runs.
# Needs a release build (scripts/build.sh release), node, wrk, taskset and the PostgreSQL 15 server binaries.
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
# One project drives every request here: the per-project rate limit would cap the figure being measured.
export PHONECHAT_API_RATE_LIMIT=0
root=$(cd "$(dirname "$0")/.." && pwd)
clients=${1:-2000}
per_client=${2:-50}
seconds=${3:-10}
runs=${BACKENDS_RUNS:-3}
bin="$root/build/src/app/phonechat-api"
[ -x "$bin" ] || { echo "backends.sh: build first: scripts/build.sh release" >&2; exit 2; }
for tool in node wrk taskset psql sqlite3; do
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
seq 10 $((9 + clients)) | awk -v n="$per_client" '{ print $1 "\t" n }' >"$work/clients"
node "$root/bench/lib/tokens.mjs" "$work/clients" "$work/pool" bench-app account_phonechat_bookings 86400

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

# Serves `url` on core 0 with `threads` serving threads and drives it from core 1 (`kind`: "one" client, or "any"
# client at random); prints "requests/s p50 p99 round-trips" (round trips "-" on SQLite).
measure() {
  local url=$1 threads=$2 kind=$3 token port before after warm out
  token=$("$bin" token --db "$url" --user 10 --client-id bench-app --scope account_phonechat_bookings --expires-in 3600)
  taskset -c 0 "$bin" serve --db "$url" --listen 127.0.0.1:0 --threads "$threads" --access-log off 2>"$work/serve.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    port=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$work/serve.log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$work/serve.log" >&2; exit 1; }
  local args=(-H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/PhoneChat/MadeBookings?BookingsPerPage=50")
  [ "$kind" = one ] || args=(-s "$root/bench/wrk/bookings.lua" "http://127.0.0.1:$port/v1/PhoneChat/MadeBookings")
  before=$(transactions "$url")
  warm=$(WRK_TOKENS="$work/pool.tsv" WRK_QUERY="BookingsPerPage=50" taskset -c 1 wrk -t1 -c32 -d2s "${args[@]}" |
    awk '/requests in/ { print $1 }')
  out=$(WRK_TOKENS="$work/pool.tsv" WRK_QUERY="BookingsPerPage=50" taskset -c 1 wrk -t1 -c32 -d"${seconds}s" \
    --latency "${args[@]}")
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  if grep -q "Non-2xx" <<<"$out"; then echo "backends.sh: failed requests: $out" >&2; exit 1; fi
  sleep 0.5  # a PostgreSQL backend reports its transactions when its connection ends
  after=$(transactions "$url")
  local requests rps p50 p99
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  if [ "$before" = - ]; then
    echo "$rps $p50 $p99 -"
  else
    awk -v a="$rps" -v b="$p50" -v c="$p99" -v x="$((after - before))" -v r="$((requests + warm))" \
      'BEGIN { printf "%s %s %s %.2f\n", a, b, c, x / r }'
  fi
}

# The committed transactions of the PostgreSQL database at `url` so far; "-" for SQLite.
transactions() {
  case $1 in
    sqlite:*) echo - ;;
    *) psql -X -A -t -d "$pg_admin" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'" ;;
  esac
}

sqlite_import=$(import_rate "sqlite://$work/bench.db")
pg_import=$(import_rate "$pg_url")
sqlite3 "$work/bench.db" <"$work/pool.product.sql"
sed -E "s/X'([0-9a-f]{64})'/decode('\\1', 'hex')/" "$work/pool.product.sql" |
  psql -X -q -v ON_ERROR_STOP=1 -d "$pg_url" >/dev/null
# Every case once per run, the runs one after the other; each figure is the median of the runs.
cases=("sqlite 1 one" "sqlite 1 any" "pg 1 one" "pg 1 any" "pg 8 one" "pg 8 any")
for run in $(seq 1 "$runs"); do
  for spec in "${cases[@]}"; do
    read -r backend threads kind <<<"$spec"
    echo "backends.sh: run $run/$runs: $spec" >&2
    url=$pg_url
    [ "$backend" = pg ] || url="sqlite://$work/bench.db"
    measure "$url" "$threads" "$kind" >>"$work/${spec// /-}"
  done
done
# median FILE COLUMN: the median of a column (numbers, or "-"; units such as "ms" kept).
median() { awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }
figures() { local f="$work/${1// /-}"; echo "$(median "$f" 1) $(median "$f" 2) $(median "$f" 3) $(median "$f" 4)"; }
read -r sqlite_rps sqlite_p50 sqlite_p99 _ <<<"$(figures "sqlite 1 one")"
read -r sqlite_all sqlite_all_p50 sqlite_all_p99 _ <<<"$(figures "sqlite 1 any")"
read -r pg_rps pg_p50 pg_p99 pg_trips <<<"$(figures "pg 1 one")"
read -r pg_all pg_all_p50 pg_all_p99 pg_all_trips <<<"$(figures "pg 1 any")"
read -r pg8_rps pg8_p50 pg8_p99 pg8_trips <<<"$(figures "pg 8 one")"
read -r pg8_all pg8_all_p50 pg8_all_p99 pg8_all_trips <<<"$(figures "pg 8 any")"

echo "Data: $clients clients x $per_client bookings ($bookings bookings); page of 50, JSON; the server on core 0,"
echo "wrk -t1 -c32 -d${seconds}s on core 1; PostgreSQL 15 on loopback (test settings: fsync off), not pinned;"
echo "median of $runs runs; $(nproc) CPUs: $(lscpu | sed -nE 's/^Model name: +//p')."
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "| Backend | serving threads | import (bookings/s) | requests by | list (requests/s) | p50 | p99 | round trips per request | list vs SQLite |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| SQLite | 1 | $sqlite_import | one client | $sqlite_rps | $sqlite_p50 | $sqlite_p99 | - | 1.00 |"
echo "| SQLite | 1 | | any client | $sqlite_all | $sqlite_all_p50 | $sqlite_all_p99 | - | 1.00 |"
echo "| PostgreSQL | 1 | $pg_import | one client | $pg_rps | $pg_p50 | $pg_p99 | $pg_trips | $(ratio "$pg_rps" "$sqlite_rps") |"
echo "| PostgreSQL | 1 | | any client | $pg_all | $pg_all_p50 | $pg_all_p99 | $pg_all_trips | $(ratio "$pg_all" "$sqlite_all") |"
echo "| PostgreSQL | 8 | | one client | $pg8_rps | $pg8_p50 | $pg8_p99 | $pg8_trips | $(ratio "$pg8_rps" "$sqlite_rps") |"
echo "| PostgreSQL | 8 | | any client | $pg8_all | $pg8_all_p50 | $pg8_all_p99 | $pg8_all_trips | $(ratio "$pg8_all" "$sqlite_all") |"
