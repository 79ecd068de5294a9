#!/usr/bin/env bash
# Hostile clients against the product (docs/security.md, "Hostile clients"), in two parts on a small generated data
# set (SQLite):
#   1. Slow readers: 50 connections that each pipeline 32 requests for a page of 100 bookings as XML (about 140 kB
#      an answer) and never read. The kernel memory of the server's sockets (`ss -tm` skmem, summed) and the
#      machine's TCP memory (/proc/net/sockstat, pages) with the send buffer left to the kernel's automatic sizing
#      (--socket-send-buffer 0, as before the bound) and with the default bound.
#   2. A flood: 2,000 connections that send a header one byte every 5 s (cut by the 10 s header deadline and
#      reopened at once) and 2,000 idle keep-alive ones, while wrk drives the list of bookings on 8 connections:
#      wrk's p99 before the flood and during it (after a 3 s warm-up), and whether any flood connection was refused.
# Prints the figures as Markdown on standard output (progress on standard error). Figures, not assertions: the
# machine may be shared (its load is printed); `RUNS` runs of part 2 give the median.
#
#   bench/hostile.sh [--runs N] [--seconds S] [--slow N] [--idle N] [--threads N]
#
# Defaults: 3 runs, wrk 15 s per measurement, 2,000 slow and 2,000 idle connections, the server's default threads.
# Environment: PHONECHAT_BIN (default build/src/app/phonechat-api), BENCH_TMPDIR (default $TMPDIR or /tmp).
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
root=$(cd "$(dirname "$0")/.." && pwd)
command_line="bench/hostile.sh${*:+ $*}"
runs=3
seconds=15
slow=2000
idle=2000
threads=
readers=50
pipelined=32
die() { echo "bench/hostile.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=${2:?}; shift ;;
    --seconds) seconds=${2:?}; shift ;;
    --slow) slow=${2:?}; shift ;;
    --idle) idle=${2:?}; shift ;;
    --threads) threads=${2:?}; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    *) die "unknown argument $1" ;;
  esac
  shift
done
bin=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
[ -x "$bin" ] || die "no binary at $bin: build it (scripts/build.sh release) or set PHONECHAT_BIN"
for tool in node wrk ss awk; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required (scripts/install-deps.sh --tests installs it)"
done
# The flood's connections, the server's and wrk's, each a descriptor on both ends of one machine.
need=$(( 2 * (slow + idle) + 1024 ))
if [ "$(ulimit -n)" -lt "$need" ]; then
  ulimit -n "$need" 2>/dev/null || die "needs $need open files; the hard limit is $(ulimit -Hn)"
fi

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/phonechat-hostile.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
started_at=$(date +%s)
say() { printf '[%4ds] %s\n' $(( $(date +%s) - started_at )) "$*" >&2; }
forget() { local kept=() p; for p in "${pids[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done; pids=("${kept[@]}"); }

# ---------------------------------------------------------------- data
say "generating and importing the data set"
"$bin" generate --users 2000 --bookings 100000 --heavy-clients 1 --heavy-size 1000 >"$work/data.jsonl"
"$bin" import --db "sqlite://$work/bench.db" "$work/data.jsonl" >/dev/null
# The client with the most bookings: a page of 100 is full.
heavy=$(grep -o '"ClientUserID":[0-9]*' "$work/data.jsonl" | sort | uniq -c | sort -rn | awk 'NR == 1 { sub(/.*:/, "", $2); print $2 }')
token=$("$bin" token --db "sqlite://$work/bench.db" --user "$heavy" --client-id bench-app \
  --scope account_phonechat_bookings --expires-in 86400)
page="/v1/PhoneChat/MadeBookings?BookingsPerPage=100"
normal="/v1/PhoneChat/MadeBookings?BookingsPerPage=10"

# Starts the server with extra flags; sets server_pid and port.
start_server() {
  local log=$work/serve.log
  "$bin" serve --db "sqlite://$work/bench.db" --listen 127.0.0.1:0 --access-log off --drain-time 1 \
    ${threads:+--threads "$threads"} "$@" >"$log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  port=
  for _ in $(seq 1 200); do
    port=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$log")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  cat "$log" >&2
  die "the server did not start"
}
stop_server() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  forget "$server_pid"
}

# Starts a hostile-clients.mjs mode, output in `$1`; waits for `ready`; sets client_pid.
start_clients() {
  local out=$1
  shift
  node "$root/bench/lib/hostile-clients.mjs" "$@" </dev/null >"$out" 2>&1 &
  client_pid=$!
  pids+=("$client_pid")
  for _ in $(seq 1 1200); do
    grep -q '^ready' "$out" && return 0
    kill -0 "$client_pid" 2>/dev/null || { cat "$out" >&2; die "the clients stopped: $*"; }
    sleep 0.1
  done
  die "the clients were not ready within 120 s: $*"
}
stop_clients() {
  kill -TERM "$client_pid" 2>/dev/null || true
  wait "$client_pid" 2>/dev/null || true
  forget "$client_pid"
}

tcp_pages() { awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat; }
# Sockets of the server's port and the bytes of their send and receive queues, from ss's skmem (w and r).
server_skmem() {
  ss -tmnH state established "( sport = :$port )" |
    awk '/skmem/ { n++; if (match($0, /,w[0-9]+/)) w += substr($0, RSTART + 2, RLENGTH - 2);
                   if (match($0, /skmem:\(r[0-9]+/)) r += substr($0, RSTART + 7, RLENGTH - 7) }
         END { printf "%d %d %d\n", n, w, r }'
}

# ---------------------------------------------------------------- 1. slow readers
echo "## Hostile clients ($(date -u +%Y-%m-%d), $(nproc) cores, load at start $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "### $readers slow readers, $pipelined pipelined XML pages each (about 140 kB an answer), never read"
echo
echo "| send buffer | server sockets | their send queues (ss skmem w) | per connection | TCP memory, whole machine (sockstat) |"
echo "|---|---|---|---|---|"
for setting in 0 64; do
  start_server --socket-send-buffer "$setting"
  base=$(tcp_pages)
  start_clients "$work/readers.out" slow-readers "$port" "$token" "$page" "$readers" "$pipelined"
  sleep 3 # well within the 30 s write timeout: the queues are full and nothing was cut yet
  read -r sockets queued received <<<"$(server_skmem)"
  pages=$(( $(tcp_pages) - base ))
  stop_clients
  stop_server
  label=$([ "$setting" = 0 ] && echo "kernel's automatic sizing (--socket-send-buffer 0)" || echo "--socket-send-buffer $setting (default)")
  echo "| $label | $sockets | $(( queued / 1024 )) KiB (+$(( received / 1024 )) KiB received) | $(( queued / (sockets > 0 ? sockets : 1) / 1024 )) KiB | +$pages pages ($(( pages * 4 / 1024 )) MiB) |"
  say "slow readers, send buffer $setting: $sockets sockets, $queued bytes queued, +$pages TCP pages"
done
echo
echo "Measured with \`ss -tmnH state established '( sport = :PORT )'\` (skmem \`w\`, summed) and the \`mem\` of"
echo "\`TCP:\` in /proc/net/sockstat (pages of 4 KiB, both ends of the loopback connections) 3 s after the requests were sent."
echo

# ---------------------------------------------------------------- 2. the flood
p99() { awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } printf "%.2f\n", v }' "$1"; }
rps() { awk '$1 == "Requests/sec:" { printf "%d\n", $2 }' "$1"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
wrk_run() { wrk -t1 -c8 -d"${seconds}s" --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port$normal" >"$1"; }

echo "### wrk (1 thread, 8 connections, $seconds s) on the list of 10 bookings, before and during $slow slow + $idle idle connections"
echo
echo "| run | load (1 min) | p99 before | p99 during | requests/s before | during | flood opened (slow/idle) | refused | cut by the header deadline |"
echo "|---|---|---|---|---|---|---|---|---|"
before_all=()
during_all=()
refused_total=0
for run in $(seq 1 "$runs"); do
  start_server
  load=$(cut -d' ' -f1 /proc/loadavg)
  # The first requests fill the server's caches: a warm-up that is not counted.
  wrk -t1 -c8 -d3s -H "Authorization: Bearer $token" "http://127.0.0.1:$port$normal" >/dev/null
  say "run $run: wrk before the flood"
  wrk_run "$work/before.$run"
  say "run $run: opening $slow slow and $idle idle connections"
  start_clients "$work/flood.$run" flood "$port" "$token" "$normal" "$slow" "$idle"
  say "run $run: wrk during the flood"
  wrk_run "$work/during.$run"
  stop_clients
  stop_server
  stats=$(tail -1 "$work/flood.$run")
  read -r s_open i_open refused cut <<<"$(node -e '
    const s = JSON.parse(process.argv[1]);
    console.log(s.slow.opened, s.idle.opened, s.slow.refused + s.idle.refused, s.slow.closedByServer);' "$stats")"
  refused_total=$(( refused_total + refused ))
  b=$(p99 "$work/before.$run")
  d=$(p99 "$work/during.$run")
  before_all+=("$b")
  during_all+=("$d")
  echo "| $run | $load | $b ms | $d ms | $(rps "$work/before.$run") | $(rps "$work/during.$run") | $s_open/$i_open | $refused | $cut |"
  say "run $run: p99 $b ms before, $d ms during; $refused refused"
done
echo
echo "Median p99: $(printf '%s\n' "${before_all[@]}" | median) ms before, $(printf '%s\n' "${during_all[@]}" | median) ms during;"
echo "flood connections refused over all runs: $refused_total. Load at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
echo "Reproduce: \`$command_line\`."
