#!/usr/bin/env bash
# The benchmark of `GET /v1/PhoneChat/MadeBookings`: the product against a Node.js peer (another implementation
# of the same command line, named with --peer DIR) and against nginx serving static files of the same sizes as
# the product's answers, all measured in one run on the same data and the same request stream. It generates a data set
# (`phonechat-api generate`), imports it into both servers (timing the product's import and its peak memory),
# mints a pool of tokens, compares sampled answers of the product and the peer, then drives each server with wrk
# (bench/wrk/bookings.lua): first the server pinned to core 0 with one thread and wrk pinned to core 1, then
# both unpinned on every core. Prints the machine, the data, the answer comparison and one Markdown table on
# standard output (progress on standard error), and stops and removes everything it started.
#
#   bench/run.sh [--bookings N] [--users N] [--heavy-size N] [--10m] [--seconds S] [--warmup S]
#                [--connections N] [--pool N] [--peer DIR | --no-peer] [--results DIR]
#
# Defaults: 1,000,000 bookings over 20,000 users plus one client with 100,000 bookings; 5 s per case after a 1 s
# warm-up, 32 connections, 1,000 clients in the token pool. --10m: 10,000,000 bookings over 200,000 users.
# Without --peer (or PHONECHAT_PEER) the peer is left out, as with --no-peer: nothing outside this repository runs
# unless it is named.
# Environment: PHONECHAT_BIN (default build/src/app/phonechat-api), PHONECHAT_PEER (the peer's folder, as --peer),
# PEER_SCRATCH (the peer's install, default ~/.cache/phonechat-peer), BENCH_RESULTS (keep the raw wrk outputs,
# logs and the report there; default a temporary folder that is removed), BENCH_TMPDIR (where the data and the
# databases go, default $TMPDIR or /tmp), and BENCH_BOOKINGS, BENCH_USERS, BENCH_SECONDS, BENCH_WARMUP,
# BENCH_CONNECTIONS, BENCH_POOL for the options above.
# Exits 1 when a server answers anything but the expected status (200, or 401 for the unknown token) before or
# during a case, or a heavy client's BookingsTotal is not the data set's; 2 on misuse or a missing tool.
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
# One project drives every request here: the per-project rate limit would cap the figure being measured.
export PHONECHAT_API_RATE_LIMIT=0
root=$(cd "$(dirname "$0")/.." && pwd)
command_line="bench/run.sh${*:+ $*}"

bookings=${BENCH_BOOKINGS:-1000000}
users=${BENCH_USERS:-}
heavy_size=100000
seconds=${BENCH_SECONDS:-5}
warmup=${BENCH_WARMUP:-1}
connections=${BENCH_CONNECTIONS:-32}
pool_size=${BENCH_POOL:-1000}
peer_dir=${PHONECHAT_PEER:-}
results=${BENCH_RESULTS:-}
keep_results=0
seed=1
static_count=100  # clients whose real answers nginx serves as static files
compare_samples=2 # sampled requests per case compared between the product and the peer (the mixed case: twice)

usage() { sed -n '11,27p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "bench/run.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bookings) bookings=${2:?}; shift ;;
    --users) users=${2:?}; shift ;;
    --heavy-size) heavy_size=${2:?}; shift ;;
    --10m) bookings=10000000 ;;
    --seconds) seconds=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --connections) connections=${2:?}; shift ;;
    --pool) pool_size=${2:?}; shift ;;
    --peer) peer_dir=${2:?}; shift ;;
    --no-peer) peer_dir= ;;
    --results) results=${2:?}; shift ;;
    -h|--help) usage ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; usage ;;
  esac
  shift
done
for n in "$bookings" "$heavy_size" "$seconds" "$warmup" "$connections" "$pool_size" ${users:+"$users"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "options take whole numbers, got '$n'"
done
[ "$heavy_size" -ge 100 ] || die "--heavy-size must be at least 100"
# Typical clients keep about 50 bookings whatever the scale: the users grow with the bookings.
users=${users:-$(( bookings / 50 > 20 ? bookings / 50 : 20 ))}

bin=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
with_peer=0
[ -z "$peer_dir" ] || with_peer=1
[ "$with_peer" = 1 ] || echo "bench/run.sh: no --peer given: measuring the product and nginx only" >&2
peer_scratch=${PEER_SCRATCH:-$HOME/.cache/phonechat-peer}
[ -x "$bin" ] || die "no product binary at $bin: build it (scripts/build.sh release) or set PHONECHAT_BIN"
tools=(wrk nginx taskset setsid curl sqlite3 lscpu /usr/bin/time awk)
[ "$with_peer" = 1 ] && tools+=(node npm)
command -v node >/dev/null 2>&1 || die "node is required (the token pool and the answer comparison use it)"
for tool in "${tools[@]}"; do
  [ "$tool" = /usr/bin/time ] && { [ -x /usr/bin/time ] || die "/usr/bin/time is required (Debian package time)"; }
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required (scripts/install-deps.sh --tests installs it)"
done
[ "$with_peer" = 0 ] || [ -x "$peer_dir/phonechat-api" ] || die "no peer command at $peer_dir/phonechat-api (--peer DIR)"
[ "$(nproc)" -ge 2 ] || die "needs at least 2 cores (the server on one, wrk on another)"
nginx_bin=$(command -v nginx)

started_at=$(date +%s)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/phonechat-bench.XXXXXX")
chmod 755 "$work"  # nginx's workers may run as another user: they read the static files from here
if [ -z "$results" ]; then results=$work/results; else keep_results=1; fi
mkdir -p "$results/wrk" "$work/tokens" "$work/static"
server_groups=()  # process groups of the servers started and not yet stopped

cleanup() {
  local pid
  for pid in "${server_groups[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${server_groups[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '[%4ds] %s\n' $(( $(date +%s) - started_at )) "$*" >&2; }
failures=()
fail() { failures+=("$*"); echo "bench/run.sh: FAILED: $*" >&2; }

# ---------------------------------------------------------------- processes

# start_group PIN LOG COMMAND...: runs COMMAND in a new session (its pid is its process group's id), pinned to
# core 0 when PIN is 1, its output in LOG; sets `started` to the pid.
start_group() {
  local pin=$1 log=$2
  shift 2
  if [ "$pin" = 1 ]; then
    setsid taskset -c 0 "$@" >"$log" 2>&1 </dev/null &
  else
    setsid "$@" >"$log" 2>&1 </dev/null &
  fi
  started=$!
  server_groups+=("$started")
}

# Stops the process group `$1` (TERM, then KILL after 10 s) and forgets it.
stop_group() {
  local pid=$1 kept=() g
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for g in "${server_groups[@]}"; do [ "$g" = "$pid" ] || kept+=("$g"); done
  server_groups=("${kept[@]}")
}

# CPU time (clock ticks) used so far by the processes of group `$1`.
group_ticks() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |  # processes may end while they are read
    awk -v pg="$1" '{ sub(/^.*\) /, ""); if ($3 == pg) s += $12 + $13 } END { print s + 0 }'
}

# CPU time (clock ticks) the whole machine has spent busy so far, on every core, stolen time included.
machine_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }

# Peak resident memory (kB) of the processes of group `$1`, summed.
group_peak_rss() {
  local pid total=0 kb
  for pid in $({ cat /proc/[0-9]*/stat 2>/dev/null || true; } |
    awk -v pg="$1" '{ p = $1; sub(/^.*\) /, ""); if ($3 == pg) print p }'); do
    kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    total=$(( total + ${kb:-0} ))
  done
  echo "$total"
}

# Waits until group `$1` stops using CPU (less than 10% of a core over 0.2 s); fails after `$2` seconds.
wait_idle() {
  local before after
  before=$(group_ticks "$1")
  for _ in $(seq 1 $(( $2 * 5 ))); do
    sleep 0.2
    after=$(group_ticks "$1")
    [ $(( after - before )) -le 2 ] && return 0
    before=$after
  done
  return 1
}

free_port() {
  node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

# Waits until something answers HTTP on `$1` (at most 60 s) and the group `$2` is alive.
wait_http() {
  for _ in $(seq 1 300); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.2
  done
  return 1
}

# Starts the product (pin, threads); sets server_pid and server_port.
start_product() {
  local log=$results/product-serve-$1-$2.log
  start_group "$1" "$log" "$bin" serve --db "sqlite://$product_db" --listen 127.0.0.1:0 --threads "$2" \
    --access-log off --drain-time 1
  server_pid=$started
  server_port=
  for _ in $(seq 1 600); do
    server_port=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$log")
    [ -n "$server_port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$server_port" ] || { cat "$log" >&2; echo "bench/run.sh: the product did not start" >&2; exit 1; }
}

# Starts the Node peer (pin, processes) on a free port; sets server_pid and server_port.
start_peer() {
  server_port=$(free_port)
  start_group "$1" "$results/peer-serve-$1-$2.log" env SCRATCH="$peer_scratch" "$peer_dir/phonechat-api" serve \
    --db "sqlite://$peer_db" --listen "127.0.0.1:$server_port" --threads "$2"
  server_pid=$started
  wait_http "$server_port" "$server_pid" || {
    cat "$results/peer-serve-$1-$2.log" >&2; echo "bench/run.sh: the peer did not start" >&2; exit 1; }
}

# Starts nginx (pin, workers) on a free port, serving $work/static; sets server_pid and server_port.
start_nginx() {
  local conf=$work/nginx/nginx-$2.conf temp directive
  server_port=$(free_port)
  mkdir -p "$work/nginx/temp"
  {
    echo "worker_processes $2;"
    echo "daemon off;"
    echo "pid $work/nginx/nginx.pid;"
    echo "error_log $work/nginx/error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    for temp in client_body proxy fastcgi uwsgi scgi; do
      directive=${temp}_temp_path
      "$nginx_bin" -V 2>&1 | grep -q -- "--http-${temp//_/-}-temp-path" && echo "  $directive $work/nginx/temp/$temp;"
    done
    echo "  keepalive_requests 100000000;"
    echo "  etag off;"
    echo "  server {"
    echo "    listen 127.0.0.1:$server_port;"
    echo "    root $work/static;"
    echo "    add_header Cache-Control no-store;"
    echo "    location /c3/ { default_type 'application/xml; charset=utf-8'; }"
    echo "    location / { default_type 'application/json; charset=utf-8'; }"
    echo "  }"
    echo "}"
  } >"$conf"
  start_group "$1" "$results/nginx-$1-$2.log" "$nginx_bin" -e "$work/nginx/error.log" -p "$work/nginx" -c "$conf"
  server_pid=$started
  wait_http "$server_port" "$server_pid" || {
    cat "$results/nginx-$1-$2.log" "$work/nginx/error.log" >&2; echo "bench/run.sh: nginx did not start" >&2; exit 1; }
}

# ---------------------------------------------------------------- the peer's install

ensure_peer() {
  local addon=$peer_scratch/node_modules/better-sqlite3/build/Release/better_sqlite3.node
  if [ -f "$addon" ] && cmp -s "$peer_dir/package-lock.json" "$peer_scratch/package-lock.json"; then return 0; fi
  say "installing the Node peer's modules into $peer_scratch (npm ci; cached for the next runs)"
  mkdir -p "$peer_scratch"
  cp "$peer_dir/package.json" "$peer_dir/package-lock.json" "$peer_scratch/"
  (cd "$peer_scratch" && npm ci --no-audit --no-fund >&2) || die "npm ci failed in $peer_scratch"
  if [ ! -f "$addon" ]; then  # npm 11 may skip better-sqlite3's install script
    (cd "$peer_scratch/node_modules/better-sqlite3" &&
      node "$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js" rebuild --release --nodedir=/usr -j 2 >&2) ||
      die "cannot build better-sqlite3's addon in $peer_scratch"
  fi
}

# ---------------------------------------------------------------- data set, imports, tokens

product_db=$work/product.db
peer_db=$work/peer.db
data=$work/data.jsonl
candidates=$(( users / 10 > 1 ? users / 10 : 1 ))  # the generator's candidates are users 1..candidates
heavy_user=$(( candidates + 1 ))                      # and its first client gets the heavy history
first_ordinary=$(( heavy_user + 1 ))
total_bookings=$(( bookings + heavy_size ))

[ "$with_peer" = 0 ] || ensure_peer

say "generating $total_bookings bookings over $users users (one client with $heavy_size), seed $seed"
"$bin" generate --users "$users" --bookings "$bookings" --seed "$seed" --heavy-clients 1 --heavy-size "$heavy_size" \
  >"$data"

say "importing into the product (SQLite)"
import_started=$(date +%s.%N)
/usr/bin/time -v -o "$results/product-import.time" "$bin" import --db "sqlite://$product_db" "$data" \
  >"$results/product-import.log" 2>&1 || { cat "$results/product-import.log" >&2; die "the product's import failed"; }
import_ended=$(date +%s.%N)
import_seconds=$(awk -v a="$import_started" -v b="$import_ended" 'BEGIN { printf "%.1f", b - a }')
import_rate=$(awk -v n="$total_bookings" -v a="$import_started" -v b="$import_ended" 'BEGIN { printf "%.0f", n / (b - a) }')
import_rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$results/product-import.time")

peer_import_seconds=
if [ "$with_peer" = 1 ]; then
  say "importing into the peer (its SQLite)"
  peer_started=$(date +%s.%N)
  SCRATCH=$peer_scratch "$peer_dir/phonechat-api" import --db "sqlite://$peer_db" "$data" \
    >"$results/peer-import.log" 2>&1 || { cat "$results/peer-import.log" >&2; die "the peer's import failed"; }
  peer_import_seconds=$(awk -v a="$peer_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  peer_import_rate=$(awk -v n="$total_bookings" -v t="$peer_import_seconds" 'BEGIN { printf "%.0f", n / t }')
fi

# Heavy-client totals from the data set itself: its bookings come first, right after the users and the project.
heavy_listed() {  # $1: StartDate (yyyy-mm-dd) or empty
  head -n $(( users + 1 + heavy_size )) "$data" |
    awk -v c="\"ClientUserID\":$heavy_user," -v d="$1" -F'"CreateDate":"' \
      'index($0, c) && index($0, "\"DeletedByClient\":false") && substr($2, 1, 10) >= d { n++ } END { print n + 0 }'
}
heavy_start_date=2026-01-01
heavy_total=$(heavy_listed "")
heavy_total_since=$(heavy_listed "$heavy_start_date")
[ "$heavy_total" -eq "$heavy_size" ] || die "the data set gives client $heavy_user $heavy_total listed bookings, not $heavy_size"
pages=$(( (heavy_total + 49) / 50 ))
pages_since=$(( (heavy_total_since + 49) / 50 ))
deep_page=$(( pages * 3 / 4 > 0 ? pages * 3 / 4 : 1 ))
middle_page=$(( pages / 2 > 0 ? pages / 2 : 1 ))
deep_page_since=$(( pages_since * 9 / 10 > 0 ? pages_since * 9 / 10 : 1 ))

say "minting tokens: $pool_size typical clients, the heavy client, unknown tokens"
# Typical clients: a fixed pseudo-random choice among the ordinary clients with at least one listed booking.
sqlite3 "$product_db" "SELECT client_user_id, count(*) FROM bookings
  WHERE deleted_by_client = 0 AND client_user_id >= $first_ordinary GROUP BY client_user_id
  ORDER BY (client_user_id * 2654435761) % 4294967291 LIMIT $pool_size" | tr '|' '\t' >"$work/tokens/clients"
printf '%s\t%s\n' "$heavy_user" "$heavy_total" >"$work/tokens/heavy-client"
scope=account_phonechat_bookings
node "$root/bench/lib/tokens.mjs" "$work/tokens/clients" "$work/tokens/pool" bench-app "$scope" 86400
node "$root/bench/lib/tokens.mjs" "$work/tokens/heavy-client" "$work/tokens/heavy" bench-app "$scope" 86400
node "$root/bench/lib/tokens.mjs" "unknown:$static_count" "$work/tokens/unknown" bench-app "$scope" 86400
cat "$work/tokens/pool.product.sql" "$work/tokens/heavy.product.sql" | sqlite3 "$product_db"
# One token from each program's own `token` command: the pool's rows must have the same shape as its rows.
"$bin" token --db "sqlite://$product_db" --user "$heavy_user" --client-id bench-app --scope "$scope" \
  --expires-in 86400 >/dev/null
shape="SELECT count(DISTINCT typeof(token_hash) || length(token_hash) || '/' || project_id || '/' || scopes
  || '/' || length(expires_at)) FROM tokens"
[ "$(sqlite3 "$product_db" "$shape")" = 1 ] || die "the pool's token rows differ from the product's own: $(sqlite3 "$product_db" "SELECT DISTINCT typeof(token_hash), length(token_hash), project_id, scopes, expires_at FROM tokens LIMIT 5")"
if [ "$with_peer" = 1 ]; then
  cat "$work/tokens/pool.peer.sql" "$work/tokens/heavy.peer.sql" | sqlite3 "$peer_db"
  SCRATCH=$peer_scratch "$peer_dir/phonechat-api" token --db "sqlite://$peer_db" --user "$heavy_user" \
    --client-id bench-app --scope "$scope" --expires-in 86400 >/dev/null
  [ "$(sqlite3 "$peer_db" "$shape")" = 1 ] || die "the pool's token rows differ from the peer's own"
fi
head -n "$static_count" "$work/tokens/pool.tsv" >"$work/tokens/static.tsv"

# ---------------------------------------------------------------- cases

# Case: id, label, tokens (pool|heavy|unknown), query, format, mixed, expected status, expected BookingsTotal.
cases=(
  "1|page of 50, JSON, typical clients|pool|BookingsPerPage=50|json|0|200|"
  "2|page of 10, JSON|pool|BookingsPerPage=10|json|0|200|"
  "3|page of 50, XML|pool|BookingsPerPage=50|xml|0|200|"
  "4|heavy client ($heavy_total): page 1|heavy|BookingsPerPage=50|json|0|200|$heavy_total"
  "5|heavy client: page $deep_page of $pages|heavy|BookingsPerPage=50&PageNumber=$deep_page|json|0|200|$heavy_total"
  "6|heavy client: nickname-asc, page $middle_page|heavy|OrderBy=nickname-asc&BookingsPerPage=50&PageNumber=$middle_page|json|0|200|$heavy_total"
  "7a|heavy client: StartDate $heavy_start_date ($heavy_total_since), page 1|heavy|StartDate=$heavy_start_date&BookingsPerPage=50|json|0|200|$heavy_total_since"
  "7b|heavy client: StartDate, page $deep_page_since of $pages_since|heavy|StartDate=$heavy_start_date&BookingsPerPage=50&PageNumber=$deep_page_since|json|0|200|$heavy_total_since"
  "8|401, unknown token|unknown|BookingsPerPage=50|json|0|401|"
  "9|mixed: random order, page size, page, StartDate, JSON/XML|pool|OrderBy=nickname-desc&BookingsPerPage=20|json|1|200|"
)
case_line() { local c; for c in "${cases[@]}"; do [ "${c%%|*}" = "$1" ] && { echo "$c"; return; }; done; }

# Checks one request of case `$1` against the server on port `$2` before it is measured: the status, and the
# heavy client's BookingsTotal. The request is the case's query with the first token of its pool (the mixed case:
# a fixed query).
check_case() {
  local id tokens query format status total token code body
  IFS='|' read -r id _ tokens query format _ status total <<<"$(case_line "$1")"
  token=$(head -n 1 "$work/tokens/$tokens.tsv" | cut -f1)
  body=$work/check.body
  code=$(curl -s -o "$body" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H "Accept: application/$format" "http://127.0.0.1:$2/v1/PhoneChat/MadeBookings?$query") || code=000
  if [ "$code" != "$status" ]; then
    fail "case $id on $3: status $code, expected $status: $(head -c 300 "$body")"
    return 1
  fi
  if [ -n "$total" ] && ! grep -q -e "\"BookingsTotal\":${total}[,}]" -e "<BookingsTotal>$total</BookingsTotal>" "$body"; then
    fail "case $id on $3: BookingsTotal is not $total: $(head -c 300 "$body")"
    return 1
  fi
}

# ---------------------------------------------------------------- answers: product vs peer, and nginx's files

compare_report=$results/compare.txt
if [ "$with_peer" = 1 ]; then
  say "comparing sampled answers of the product and the peer"
  start_product 0 1
  product_pid=$server_pid product_port=$server_port
  start_peer 0 1
  peer_pid=$server_pid peer_port=$server_port
  : >"$work/compare.cases"
  for c in "${cases[@]}"; do
    IFS='|' read -r id _ tokens query format mixed _ <<<"$c"
    n=$compare_samples
    [ "$mixed" = 1 ] && n=$(( compare_samples * 2 ))
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$work/tokens/$tokens.tsv" "$query" "$format" "$mixed" "$n" >>"$work/compare.cases"
  done
  node "$root/bench/lib/compare.mjs" "http://127.0.0.1:$product_port" "http://127.0.0.1:$peer_port" \
    "$work/compare.cases" >"$compare_report" 2>&1 || echo "compare.mjs failed: see above" >>"$compare_report"
  stop_group "$peer_pid"
else
  start_product 0 1
  product_pid=$server_pid product_port=$server_port
  echo "no peer: nothing compared" >"$compare_report"
fi

say "fetching the product's answers for nginx's static files"
fetch_static() {  # case id, tokens file, query, format
  local i=0 token
  mkdir -p "$work/static/c$1"
  while IFS=$'\t' read -r token _; do
    i=$(( i + 1 ))
    curl -s -o "$work/static/c$1/$i" -H "Authorization: Bearer $token" -H "Accept: application/$4" \
      "http://127.0.0.1:$product_port/v1/PhoneChat/MadeBookings?$3" || die "cannot fetch the product's answer for case $1"
  done <"$2"
}
fetch_static 1 "$work/tokens/static.tsv" "BookingsPerPage=50" json
fetch_static 2 "$work/tokens/static.tsv" "BookingsPerPage=10" json
fetch_static 3 "$work/tokens/static.tsv" "BookingsPerPage=50" xml
fetch_static 8 "$work/tokens/unknown.tsv" "BookingsPerPage=50" json
chmod -R a+rX "$work/static"
stop_group "$product_pid"

# ---------------------------------------------------------------- measurements

rows=$work/rows.tsv
memory=$work/memory.tsv
: >"$rows"
: >"$memory"
lua=$root/bench/wrk/bookings.lua

to_ms() {  # a wrk duration (310.00us, 1.20ms, 2.01s, 1.00m) in milliseconds
  awk -v v="$1" 'BEGIN {
    if (v == "") { print "-"; exit }
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf (n < 10 ? "%.2f" : n < 100 ? "%.1f" : "%.0f"), n }'
}

# Keeps in current_peak the largest peak RSS (kB) seen of the running pass's server, across restarts.
note_peak_rss() {
  local rss
  rss=$(group_peak_rss "$server_pid")
  if [ "$rss" -gt "$current_peak" ]; then current_peak=$rss; fi
}

# Starts the server of the running pass again (same pin and threads); sets server_pid and server_port.
start_current() {
  case "$current_server" in
    product) start_product "$current_pin" "$current_threads" ;;
    peer) start_peer "$current_pin" "$current_threads" ;;
    nginx) start_nginx "$current_pin" "$current_threads" ;;
  esac
}

# Returns once the server is idle. A server that is still busy after 5 s is answering a backlog that nobody will
# read (wrk's connections are gone: a slow server can take minutes over 32 queued requests), so it is restarted.
settle() {
  wait_idle "$server_pid" 5 && return 0
  say "  $current_server is still answering a backlog nobody reads: restarting it"
  note_peak_rss
  stop_group "$server_pid"
  start_current
}

# Measures case `$1` on the running server in pass `$2` (1: pinned, 2: both cores).
measure() {
  local id=$1 pass=$2 server=$current_server tokens query format mixed status total prefix=
  IFS='|' read -r id _ tokens query format mixed status total <<<"$(case_line "$id")"
  local expect=$status wrk_threads=1 pin=(taskset -c 1)
  if [ "$pass" = 2 ]; then wrk_threads=2; pin=(); fi
  if [ "$server" = nginx ]; then
    prefix=/c$id/
    expect=200
    [ "$tokens" = pool ] && tokens=static
  fi
  settle
  if [ "$server" != nginx ] && ! check_case "$id" "$server_port" "$server"; then
    printf '%s\t%s\t%s\t-\t-\t-\tcheck failed\t-\t-\t-\n' "$pass" "$id" "$server" >>"$rows"
    return 0
  fi
  local settings=(WRK_TOKENS="$work/tokens/$tokens.tsv" WRK_QUERY="$query" WRK_FORMAT="$format" WRK_MIXED="$mixed"
    WRK_STATIC_PREFIX="$prefix" WRK_SEED="$seed")
  local raw=$results/wrk/pass$pass-case$id-$server.txt
  env "${settings[@]}" "${pin[@]}" wrk -t"$wrk_threads" -c"$connections" -d"${warmup}s" --timeout 30s -s "$lua" \
    "http://127.0.0.1:$server_port/" >/dev/null
  settle
  local url=http://127.0.0.1:$server_port/
  local ticks_before ticks_after machine_before machine_after
  ticks_before=$(group_ticks "$server_pid")
  machine_before=$(machine_ticks)
  env "${settings[@]}" /usr/bin/time -f '%U %S' -o "$work/wrk.time" "${pin[@]}" \
    wrk -t"$wrk_threads" -c"$connections" -d"${seconds}s" --timeout 30s --latency -s "$lua" "$url" >"$raw"
  ticks_after=$(group_ticks "$server_pid")
  machine_after=$(machine_ticks)
  local requests elapsed rps p50 p99 non2xx sockets errors server_cpu wrk_cpu other_cpu
  requests=$(awk '/requests in/ { print $1 }' "$raw")
  elapsed=$(awk '/requests in/ { sub(/s,$/, "", $4); print $4 }' "$raw")
  rps=$(awk '/^Requests\/sec/ { printf "%.2f", $2 }' "$raw")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$raw")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$raw")")
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$raw")
  sockets=$(awk '/Socket errors/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$raw")
  if [ "$expect" = 200 ]; then errors=${non2xx:-0}; else errors=$(( ${requests:-0} - ${non2xx:-0} )); fi
  [ "$errors" = 0 ] || fail "case $id on $server (pass $pass): $errors answers other than $expect (see $raw)"
  [ "${sockets:-0}" = 0 ] || errors="$errors (+${sockets} socket)"
  # Shares of one core over the run: the server, wrk, and everything else on the machine (other users' work).
  read -r server_cpu wrk_cpu other_cpu < <(awk -v t=$(( ticks_after - ticks_before )) \
    -v m=$(( machine_after - machine_before )) -v hz="$(getconf CLK_TCK)" -v s="$elapsed" '{
      server = t / hz / s; wrk = ($1 + $2) / s; other = m / hz / s - server - wrk
      printf "%.0f%% %.0f%% %.0f%%\n", 100 * server, 100 * wrk, (other > 0 ? 100 * other : 0) }' "$work/wrk.time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pass" "$id" "$server" "$rps" "$p50" "$p99" "$errors" \
    "$server_cpu" "$wrk_cpu" "$other_cpu" >>"$rows"
  say "  pass $pass, case $id, $server: $rps requests/s, p50 $p50 ms, p99 $p99 ms, errors $errors"
}

# Runs cases `${@:3}` of pass `$1` (pin: 1, threads/workers: `$2`) on each server in turn.
run_pass() {
  local pass=$1 id
  current_threads=$2
  current_pin=0
  shift 2
  [ "$pass" = 1 ] && current_pin=1
  local servers=(product)
  [ "$with_peer" = 1 ] && servers+=(peer)
  servers+=(nginx)
  for current_server in "${servers[@]}"; do
    current_peak=0
    start_current
    say "pass $pass: $current_server (threads/workers $current_threads$([ "$current_pin" = 1 ] && echo ', core 0; wrk on core 1'))"
    for id in "$@"; do
      if [ "$current_server" = nginx ] && [ ! -d "$work/static/c$id" ]; then continue; fi
      measure "$id" "$pass"
    done
    note_peak_rss
    printf '%s\t%s\t%s\n' "$pass" "$current_server" "$current_peak" >>"$memory"
    stop_group "$server_pid"
  done
}

run_pass 1 1 1 2 3 4 5 6 7a 7b 8 9
run_pass 2 2 1 8 9

# ---------------------------------------------------------------- report

report=$results/report.md
{
  echo "## Machine"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores"
  echo "- Memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); kernel $(uname -r)"
  echo "- Load average: $load_at_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
  echo
  echo "## Data"
  echo
  printf -- '- %s bookings over %s users (%s candidates); client %s has %s bookings (%s since %s); seed %s\n' \
    "$total_bookings" "$users" "$candidates" "$heavy_user" "$heavy_total" "$heavy_total_since" \
    "$heavy_start_date" "$seed"
  echo "- Token pool: $(wc -l <"$work/tokens/pool.tsv") typical clients (listed bookings: $(cut -f3 "$work/tokens/pool.tsv" |
    sort -n | awk '{ a[NR] = $1 } END { printf "median %d, max %d", a[int((NR + 1) / 2)], a[NR] }'))"
  echo "- Product import (SQLite): ${import_seconds} s, $import_rate bookings/s, peak RSS $import_rss MiB"
  [ -z "$peer_import_seconds" ] || echo "- Peer import (SQLite): ${peer_import_seconds} s, $peer_import_rate bookings/s"
  echo
  echo "## Answers: product vs peer"
  echo
  echo '```'
  cat "$compare_report"
  echo '```'
  echo
  echo "## Throughput"
  echo
  echo "Pass 1: server pinned to core 0 with one thread (peer: one process; nginx: one worker), wrk pinned to core 1"
  echo "(\`wrk -t1 -c$connections\`). Pass 2: both cores, nothing pinned, two threads/processes/workers, \`wrk -t2 -c$connections\`."
  echo "Each run: ${seconds} s after a ${warmup} s warm-up, bench/wrk/bookings.lua. Latencies in ms. ×peer and ×nginx divide"
  echo "the row's requests/s by the peer's and nginx's for the same case and pass (†: nginx's page of 50, case 1, for cases"
  echo "it did not serve); \"vs case 1\" by the same server's case 1. CPU: share of one core used by the server, by wrk,"
  echo "and by everything else on the machine during the run (other users' work: noise)."
  echo
  echo "| Pass | Case | Server | requests/s | p50 | p99 | errors | ×peer | ×nginx | vs case 1 | server CPU | wrk CPU | other CPU |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  labels=$work/labels.tsv
  for c in "${cases[@]}"; do IFS='|' read -r id name _ <<<"$c"; printf '%s\t%s\n' "$id" "$name"; done >"$labels"
  awk -F'\t' -v OFS='\t' '
    FNR == NR { name[$1] = $2; next }
    { row[++n] = $0; rps[$1 "/" $2 "/" $3] = $4 }
    # 0.123 -> 0.12, 12.34 -> 12.3, 1234.5 -> 1,235, 0.0001 -> <0.01
    function number(v,   s, out) {
      if (v == "" || v == "-") return v
      v += 0
      if (v > 0 && v < 0.005) return "<0.01"
      if (v < 10) return sprintf("%.2f", v)
      if (v < 100) return sprintf("%.1f", v)
      s = sprintf("%.0f", v); out = ""
      while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
      return s out
    }
    function ratio(a, b) { return (a == "-" || b == "" || b == "-" || b == 0) ? "" : number(a / b) }
    END {
      for (i = 1; i <= n; i++) {
        split(row[i], f, "\t")
        pass = f[1]; id = f[2]; server = f[3]; r = f[4]
        peer = server == "peer" ? "" : ratio(r, rps[pass "/" id "/peer"])
        ng = rps[pass "/" id "/nginx"]; mark = ""
        if (ng == "" && server != "nginx") { ng = rps[pass "/1/nginx"]; mark = "†" }
        x = server == "nginx" ? "" : ratio(r, ng)
        if (x != "") x = x mark
        own = id == "1" ? "" : ratio(r, rps[pass "/1/" server])
        printf "| %s | %s %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", pass, id, name[id], server,
          number(r), f[5], f[6], f[7], peer, x, own, f[8], f[9], f[10]
      }
    }' "$labels" "$rows"
  echo
  echo "Server peak RSS (MiB), per pass: $(awk -F'\t' '{ printf "%s%s pass %s %.0f", (NR > 1 ? "; " : ""), $2, $1, $3 / 1024 }' "$memory")"
  echo
  echo "Wall time: $(( $(date +%s) - started_at )) s. Command: \`$command_line\`"
  if [ ${#failures[@]} -gt 0 ]; then
    echo
    echo "FAILURES:"
    for f in "${failures[@]}"; do echo "- $f"; done
  fi
} >"$report"
cat "$report"
say "done; raw outputs: $results$( [ "$keep_results" = 1 ] || echo ' (removed: set BENCH_RESULTS to keep them)')"
[ ${#failures[@]} -eq 0 ] || exit 1
