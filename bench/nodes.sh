#!/usr/bin/env bash
# Nodes on one PostgreSQL primary: GET /v1/PhoneChat/MadeBookings (page of 50, JSON, a random client's token per
# request from a pool of every client, bench/wrk/bookings.lua) through nginx in front of one node and in front of
# two, each node with one serving thread; and one node without nginx for reference. Runs of the three cases
# alternate; every figure is the median of NODES_RUNS runs. For each case it also reports the database round trips
# per request (the primary's committed transactions over the requests answered, warm-up included: each statement
# or pipeline outside a transaction is one) and where the CPU went (seconds of CPU per second of the run, for the
# nodes, nginx, PostgreSQL and wrk). Prints one Markdown table on standard output (progress on standard error);
# starts a throwaway PostgreSQL cluster and stops and removes everything it started.
#
#   bench/nodes.sh [SECONDS]       seconds per wrk run (default 8)
#
# Environment (defaults in brackets): PHONECHAT_BIN [build/src/app/phonechat-api], NODES_RUNS [3],
# NODES_CLIENTS [2000], NODES_PER_CLIENT [50], NODES_CONNECTIONS wrk connections [64].
# Needs a release build (scripts/build.sh release), node, wrk, nginx, psql and the PostgreSQL 15 server binaries.
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
# One project drives every request here: the per-project rate limit would cap the figure being measured.
export PHONECHAT_API_RATE_LIMIT=0
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-8}
runs=${NODES_RUNS:-3}
clients=${NODES_CLIENTS:-2000}
per_client=${NODES_PER_CLIENT:-50}
connections=${NODES_CONNECTIONS:-64}
bin=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
[ -x "$bin" ] || { echo "nodes.sh: build first: scripts/build.sh release" >&2; exit 2; }
for tool in node wrk nginx psql; do
  command -v "$tool" >/dev/null 2>&1 || { echo "nodes.sh: $tool is required" >&2; exit 2; }
done

work=$(mktemp -d /tmp/phonechat-nodes.XXXXXX)
chmod 755 "$work"
node_pids=()
nginx_pid=
cleanup() {
  for pid in "${node_pids[@]}" $nginx_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/scripts/pg-cluster.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { echo "nodes.sh: $*" >&2; }

say "generating $clients clients x $per_client bookings"
node "$root/bench/generate-simple.mjs" "$clients" "$per_client" >"$work/data.jsonl"
seq 10 $((9 + clients)) | awk -v n="$per_client" '{ print $1 "\t" n }' >"$work/clients"
node "$root/bench/lib/tokens.mjs" "$work/clients" "$work/pool" bench-app account_phonechat_bookings 86400

pg_admin=$("$root/scripts/pg-cluster.sh" start "$work/pg")
psql -X -q -d "$pg_admin" -c "CREATE DATABASE bench" >/dev/null
pg_url=${pg_admin%/postgres}/bench
"$bin" import --db "$pg_url" "$work/data.jsonl" >/dev/null
sed -E "s/X'([0-9a-f]{64})'/decode('\\1', 'hex')/" "$work/pool.product.sql" |
  psql -X -q -v ON_ERROR_STOP=1 -d "$pg_url" >/dev/null

# start_node: one node with one serving thread; appends its pid to node_pids and its port to node_ports.
node_ports=()
start_node() {
  local log="$work/node-${#node_pids[@]}.log" port=
  "$bin" serve --db "$pg_url" --listen 127.0.0.1:0 --threads 1 --access-log off 2>"$log" &
  node_pids+=($!)
  for _ in $(seq 1 100); do
    port=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$log" >&2; exit 1; }
  node_ports+=("$port")
}

# start_nginx PORT...: nginx (one worker) balancing over the nodes; sets nginx_port.
start_nginx() {
  nginx_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  mkdir -p "$work/nginx"
  {
    echo "daemon off; master_process off; worker_processes 1; pid $work/nginx/nginx.pid;"
    echo "error_log $work/nginx/error.log warn; events { worker_connections 4096; }"
    echo "http { access_log off;"
    for temp in client_body proxy fastcgi uwsgi scgi; do echo "  ${temp}_temp_path $work/nginx/$temp;"; done
    echo "  upstream api {"
    for port in "$@"; do echo "    server 127.0.0.1:$port;"; done
    echo "    keepalive 64; }"
    echo "  server { listen 127.0.0.1:$nginx_port; location / { proxy_pass http://api; proxy_http_version 1.1;"
    echo "    proxy_set_header Connection \"\"; proxy_set_header Host \$host; } } }"
  } >"$work/nginx/nginx.conf"
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" 2>"$work/nginx/stderr" &
  nginx_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null && return
    sleep 0.1
  done
  cat "$work/nginx/stderr" >&2
  exit 1
}

stop_all() {
  for pid in "${node_pids[@]}" $nginx_pid; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  node_pids=()
  node_ports=()
  nginx_pid=
}

# CPU ticks (utime + stime) of the processes whose command name is $1, over every such process alive now.
ticks_of() {
  local total=0 pid
  for pid in $(pgrep -x "$1" || true); do
    total=$((total + $(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
  done
  echo "$total"
}
cpu_groups=(phonechat-api nginx postgres)
# The groups' ticks, then the ticks every CPU spent busy (neither idle nor waiting for I/O).
snapshot() {
  local g
  for g in "${cpu_groups[@]}"; do printf '%s ' "$(ticks_of "$g")"; done
  awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
xacts() { psql -X -A -t -d "$pg_admin" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'"; }

# run CASE: starts the case's servers, warms up, measures; appends "rps p99 trips cpu..." to $work/CASE.
run_case() {
  local kind=$1 target out requests warm xacts_before xacts_after ticks_before ticks_after
  case $kind in
    direct) start_node; target=${node_ports[0]} ;;
    nginx1) start_node; start_nginx "${node_ports[@]}"; target=$nginx_port ;;
    nginx2) start_node; start_node; start_nginx "${node_ports[@]}"; target=$nginx_port ;;
  esac
  local url="http://127.0.0.1:$target/v1/PhoneChat/MadeBookings"
  xacts_before=$(xacts)
  warm=$(WRK_TOKENS="$work/pool.tsv" WRK_QUERY="BookingsPerPage=50" wrk -t1 -c"$connections" -d2s \
    -s "$root/bench/wrk/bookings.lua" "$url" | awk '/requests in/ { print $1 }')
  ticks_before=$(snapshot)
  out=$(WRK_TOKENS="$work/pool.tsv" WRK_QUERY="BookingsPerPage=50" wrk -t1 -c"$connections" -d"${seconds}s" \
    --latency -s "$root/bench/wrk/bookings.lua" "$url")
  ticks_after=$(snapshot)
  stop_all
  sleep 0.5  # a backend reports its transactions when its connection ends
  xacts_after=$(xacts)
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then echo "nodes.sh: failed requests: $out" >&2; exit 1; fi
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  local hz
  hz=$(getconf CLK_TCK)
  {
    awk '/Requests\/sec/ { printf "%.0f ", $2 }' <<<"$out"
    awk '$1 == "99%" { printf "%s ", $2 }' <<<"$out"
    awk -v x="$((xacts_after - xacts_before))" -v r="$((requests + warm))" 'BEGIN { printf "%.2f ", x / r }'
    paste <(tr ' ' '\n' <<<"$ticks_before") <(tr ' ' '\n' <<<"$ticks_after") | head -n $((${#cpu_groups[@]} + 1)) |
      awk -v hz="$hz" -v s="$seconds" '{ printf "%.2f ", ($2 - $1) / hz / s }'
    echo
  } >>"$work/$kind"
}

cases=(direct nginx1 nginx2)
for run in $(seq 1 "$runs"); do
  for kind in "${cases[@]}"; do
    say "run $run/$runs: $kind"
    run_case "$kind"
  done
done

# The median of column $2 of file $1 (numeric; units such as "ms" kept).
median() { awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $0 } END { print v[int((NR + 1) / 2)] }'; }
declare -A label=([direct]="1 node, no nginx" [nginx1]="1 node behind nginx" [nginx2]="2 nodes behind nginx")
one=$(median "$work/nginx1" 1)
echo "| Case | requests/s | p99 | vs 1 node behind nginx | round trips per request | CPU s/s: nodes | nginx | PostgreSQL | all (of $(nproc)) |"
echo "|---|---|---|---|---|---|---|---|---|"
for kind in "${cases[@]}"; do
  rps=$(median "$work/$kind" 1)
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${label[$kind]}" "$rps" "$(median "$work/$kind" 2)" \
    "$(awk -v a="$rps" -v b="$one" 'BEGIN { printf "%.2f", a / b }')" "$(median "$work/$kind" 3)" \
    "$(median "$work/$kind" 4)" "$(median "$work/$kind" 5)" "$(median "$work/$kind" 6)" "$(median "$work/$kind" 7)"
done
echo
echo "Data: $clients clients x $per_client bookings; wrk -t1 -c$connections, ${seconds} s after a 2 s warm-up, a random"
echo "client's token per request; median of $runs alternating runs; nothing pinned; PostgreSQL 15 on loopback"
echo "(test settings: fsync off); $(nproc) CPUs: $(lscpu | sed -nE 's/^Model name: +//p')."
