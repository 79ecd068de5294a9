#!/usr/bin/env bash
# The soak: one server under steady mixed traffic for SECONDS, watched for leaks and for tables that never stop
# growing. Builds nothing: it runs build/src/app/phonechat-api (or $PHONECHAT_BIN).
#   1. A data set of `phonechat-api generate --lifecycle` (SOAK_USERS users, SOAK_BOOKINGS bookings) in a fresh
#      SQLite file (or, with --db, the empty PostgreSQL database at URL), and the fixed cast of bench/lib/soak-data.mjs:
#      SOAK_CLIENTS list clients (their lists all fit the list cache), candidates, a group manager with a group, and
#      users with passwords for the Unified Login; access tokens for the clients, candidates and manager, stored as
#      the `token` command stores them (bench/lib/tokens.mjs).
#   2. `serve` on 127.0.0.1 with short lifetimes, so that the sweeper's purge runs many times within the run:
#      refresh tokens SECONDS/5 (5 to 120 s), access tokens and codes half that (at most 60 s), --sweep-interval
#      SECONDS/120 (1 to 5 s); the API rate limit off (one project carries all the traffic).
#   3. bench/lib/soak.mjs (Node, no dependencies): SOAK_CONNECTIONS keep-alive connections of lists in every shape,
#      401s, the group variant, life-cycle writes with Idempotency-Keys, logins through the login form and consent,
#      code exchanges, refresh-token rotations and replays, paced at SOAK_RATE requests a second in all. Every 10 s
#      a CSV row: the window's p50 and p99, the server's RSS (VmRSS) and open descriptors (/proc/PID/fd), the rows of
#      the growing tables (sqlite3 or psql).
#   4. A PNG of RSS and p99 over time (gnuplot, installed with apt-get when missing) next to the CSV; the summary.
# It fails (exit 1, the last line `soak: FAILED: <why>`) on any answer outside what the mix expects; on RSS above
# the warm-up's + 10% (the warm-up: the first 20 s, its largest sample); on open descriptors outside the warm-up's
# count ±4 (the sample at 20 s); on a purged table (codes, access and refresh tokens, token families, login sessions,
# login failures) whose rows at the end exceed the largest count seen in the first half of the run after its
# retention horizon (2 refresh-token lifetimes, the logins' chains and two sweeps) by more than 20% + 10; on
# audit_log rows that differ from the audited group requests; on idempotency_keys rows that the keyed writes do
# not account for. Exit 2 on misuse or a missing tool.
#
#   bench/soak.sh [SECONDS] [--db postgresql://...]     (default 600 s, plus about 15 s to set up and stop)
#
# Environment (defaults in brackets):
#   PHONECHAT_BIN     the server binary [build/src/app/phonechat-api]
#   SOAK_RATE         requests a second in all, 0 for as fast as the server answers [1500]
#   SOAK_CONNECTIONS  connections [64]
#   SOAK_CLIENTS      list clients [96]
#   SOAK_USERS        users of the generated data set [600]
#   SOAK_BOOKINGS     bookings of the generated data set [12000]
#   SOAK_OUT          where the CSV, the PNG, the summary and the server's log go [a new /tmp/phonechat-soak.XXXXXX]
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "bench/soak.sh: $*" >&2; exit 2; }
seconds=600
db_url=
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage ;;
    --db) [ $# -ge 2 ] || usage; db_url=$2; shift 2 ;;
    --db=*) db_url=${1#--db=}; shift ;;
    *) [[ "$1" =~ ^[0-9]+$ ]] || usage; seconds=$1; shift ;;
  esac
done
rate=${SOAK_RATE:-1500}
connections=${SOAK_CONNECTIONS:-64}
clients=${SOAK_CLIENTS:-96}
users=${SOAK_USERS:-600}
bookings=${SOAK_BOOKINGS:-12000}
for n in "$rate" "$connections" "$clients" "$users" "$bookings"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "the SOAK_ settings take whole numbers, got '$n'"
done
[ "$seconds" -ge 30 ] || die "SECONDS must be at least 30 (a 20 s warm-up, then samples every 10 s)"
[ "$connections" -ge 3 ] || die "SOAK_CONNECTIONS must be at least 3 (a login, a refresh and a general connection)"
case "$db_url" in
  ""|postgres://*|postgresql://*) ;;
  *) die "--db takes a PostgreSQL URL (postgresql://...); without it the soak uses a fresh SQLite file" ;;
esac

bin=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
[ -x "$bin" ] || die "no server binary at $bin: build it (scripts/build.sh release) or set PHONECHAT_BIN"
tools=(node)
if [ -n "$db_url" ]; then tools+=(psql); else tools+=(sqlite3); fi
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
if ! command -v gnuplot >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bench/soak.sh: installing gnuplot-nox for the plot" >&2
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    gnuplot-nox >/dev/null || die "gnuplot is required (apt-get install gnuplot-nox)"
fi

# The retention the run exercises (see the header).
clamp() { local v=$1; [ "$v" -lt "$2" ] && v=$2; [ "$v" -gt "$3" ] && v=$3; echo "$v"; }
refresh_lifetime=$(clamp $((seconds / 5)) 5 120)
access_lifetime=$(clamp $((refresh_lifetime / 2)) 1 60)
sweep=$(clamp $((seconds / 120)) 1 5)
warmup=20
sample=10
login_every_ms=1500
refresh_every_ms=250
# soak.mjs keeps 4 token chains; a login replaces one every login_every_ms. An empty family stays at least 30 s.
family_floor=30
horizon=$(( (2 * refresh_lifetime > family_floor ? 2 * refresh_lifetime : family_floor) + 4 * login_every_ms / 1000 + 2 * sweep + sample ))

out=${SOAK_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/phonechat-soak.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/phonechat-soak-work.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started_at=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - started_at)) "$*" >&2; }
uptime_start=$(uptime)
say "uptime at start: $uptime_start"

# ---------------------------------------------------------------- 1. data, cast, tokens

if [ -n "$db_url" ]; then
  url=$db_url
  # tokens.mjs writes SQLite's blob literals.
  sql() { sed -E "s/X'([0-9a-f]{64})'/decode('\\1', 'hex')/" "$1" | psql -X -q -v ON_ERROR_STOP=1 -d "$db_url" >/dev/null; }
  db_json="{\"kind\":\"postgres\",\"url\":$(node -e 'console.log(JSON.stringify(process.argv[1]))' "$db_url")}"
else
  url="sqlite://$work/soak.db"
  sql() { sqlite3 "$work/soak.db" < "$1" >/dev/null; }
  db_json="{\"kind\":\"sqlite\",\"path\":\"$work/soak.db\"}"
fi
say "data: $users users, $bookings bookings, $clients list clients ($(sed 's/\(postgres\(ql\)\{0,1\}:\/\/\)[^@]*@/\1…@/' <<<"$url"))"
"$bin" generate --users "$users" --bookings "$bookings" --lifecycle --seed 7 >"$work/generated.jsonl"
"$bin" import --db "$url" "$work/generated.jsonl" >/dev/null
node "$root/bench/lib/soak-data.mjs" "$work/generated.jsonl" "$work" "$clients"
"$bin" import --db "$url" "$work/extra.jsonl" >/dev/null
for who in clients candidates manager; do
  node "$root/bench/lib/tokens.mjs" "$work/$who.tsv" "$work/$who-tokens" bench-app account_phonechat_bookings \
    $((seconds + 3600))
  sql "$work/$who-tokens.product.sql"
done

# ---------------------------------------------------------------- 2. the server

serve_flags=(--db "$url" --listen 127.0.0.1:0 --threads 2 --zone UTC --access-log off
  --sweep-interval "$sweep" --access-token-lifetime "$access_lifetime" --refresh-token-lifetime "$refresh_lifetime"
  --code-lifetime "$access_lifetime")
if "$bin" serve --help 2>/dev/null | grep -q -- --api-rate-limit; then serve_flags+=(--api-rate-limit 0); fi
"$bin" serve "${serve_flags[@]}" >"$out/server.out" 2>"$out/server.log" &
server_pid=$!
base=
for _ in $(seq 1 100); do
  base=$(grep -o 'listening on http://[0-9.:]*' "$out/server.log" 2>/dev/null | sed 's/listening on //' || true)
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log" >&2; die "the server did not start"; }
  sleep 0.1
done
[ -n "$base" ] || die "the server did not say where it listens within 10 s"
say "server $server_pid on $base: access tokens ${access_lifetime} s, refresh tokens ${refresh_lifetime} s, sweep every ${sweep} s"

# ---------------------------------------------------------------- 3. the load

cat >"$work/config.json" <<EOF
{"base":"$base","pid":$server_pid,"seconds":$seconds,"warmup":$warmup,"sample":$sample,"connections":$connections,
 "rate":$rate,"csv":"$out/soak.csv","dir":"$work","db":$db_json,"clientId":"bench-app",
 "redirectUri":"http://127.0.0.1:9/cb","scope":"account_phonechat_bookings","loginEveryMs":$login_every_ms,
 "refreshEveryMs":$refresh_every_ms,"horizon":$horizon}
EOF
say "$connections connections for $seconds s (paced at ${rate}/s; 0: unpaced), samples every $sample s into $out/soak.csv"
set +e
node "$root/bench/lib/soak.mjs" "$work/config.json" | tee "$out/summary.txt"
status=${PIPESTATUS[0]}
set -e
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "soak: FAILED: the server exited during the run (see $out/server.log)" | tee -a "$out/summary.txt"
  status=1
else
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
fi
server_pid=
warnings=$(grep -ci 'warn' "$out/server.log" || true)

# ---------------------------------------------------------------- 4. the plot

gnuplot <<EOF 2>"$work/gnuplot.err" || say "gnuplot failed: $(head -3 "$work/gnuplot.err")"
set terminal pngcairo size 1000,500 font ",10"
set output "$out/soak-rss-p99.png"
set datafile separator ","
set title "phonechat-api soak: $seconds s, $connections connections, ${rate}/s ($(sed 's/:.*//' <<<"${url%%://*}"))"
set xlabel "seconds"
set ylabel "RSS (MiB)"
set y2label "p99 of the 10 s window (ms)"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid
set key top left
set arrow from $warmup, graph 0 to $warmup, graph 1 nohead dashtype 2
plot "$out/soak.csv" skip 1 using 1:(\$5/1024) axes x1y1 with linespoints pt 7 ps 0.5 title "RSS", \
     "" skip 1 using 1:4 axes x1y2 with linespoints pt 5 ps 0.5 title "p99"
EOF

uptime_end=$(uptime)
{
  echo "uptime at start: $uptime_start"
  echo "uptime at end:   $uptime_end"
  echo "server log warnings: $warnings; CSV $out/soak.csv; plot $out/soak-rss-p99.png"
} | tee -a "$out/summary.txt"
say "done in $(($(date +%s) - started_at)) s"
if [ "$status" -ne 0 ]; then
  # The one line that says why, last.
  grep '^soak: FAILED' "$out/summary.txt" | tail -1 || echo "soak: FAILED: soak.mjs exited $status"
  exit 1
fi
