#!/usr/bin/env bash
# The list under life-cycle writes, and durable Confirms, on SQLite and on PostgreSQL, measured in one run:
#   1. the fsync rate of the disk the databases are on (4 KiB write + fdatasync, node);
#   2. GET /v1/PhoneChat/MadeBookings (page of 50, JSON, a random client's token per request), read-only and with
#      one request in LIFECYCLE_WRITE_EVERY (20: 5%) a CreateBooking by a random client of the pool
#      (bench/wrk/lifecycle.lua), wrk -t1 -c32;
#   3. POST /v1/PhoneChat/ConfirmMadeBooking, each request another Accepted booking with its client's token
#      (bench/wrk/confirm.lua), wrk -t1 -c64: on SQLite with `serve --group-commit true` and `false` (a build
#      without the option runs once, plain, and the other row reads n/a); on PostgreSQL with `--group-commit true`
#      on one serving thread and on LIFECYCLE_PG_THREADS, and `--group-commit false` on LIFECYCLE_PG_THREADS (each
#      thread's writes on a connection of its own).
# The server runs on core 0 (`--threads 1` unless said otherwise), wrk on core 1. PostgreSQL is a throwaway cluster
# of scripts/pg-cluster.sh, switched after the import to fsync, synchronous_commit and full_page_writes on, so that
# an answered write is on disk as on SQLite. Every figure is the median of LIFECYCLE_RUNS runs; list runs of the
# read-only and the mixed case alternate. Prints one Markdown table and a paragraph on the data and the machine on
# standard output (progress on standard error), and stops and removes everything it started.
#
#   bench/lifecycle.sh [SECONDS]          seconds per wrk run (default 8; about 5 minutes in all on 2 cores)
#
# Environment (defaults in brackets):
#   PHONECHAT_BIN                 the server binary [build/src/app/phonechat-api]
#   LIFECYCLE_RUNS                runs per figure, the median is printed [3]
#   LIFECYCLE_WARMUP              seconds of list requests after each server start, not measured [1]
#   LIFECYCLE_CLIENTS             clients of the list, all in the token pool [1000]
#   LIFECYCLE_PER_CLIENT          imported (Confirmed, past) bookings per list client [50]
#   LIFECYCLE_CANDIDATES          candidates, all offering PhoneChat with a number, 0.5 credits a minute [200]
#   LIFECYCLE_WRITE_EVERY         one list request in this many is a CreateBooking [20]
#   LIFECYCLE_CONFIRM_POOL        Accepted bookings per SQLite Confirm run [SECONDS x the larger of 25000 and
#                                 6 x the fsync rate: room for 5x fsync and more]
#   LIFECYCLE_PG_CONFIRM_POOL     Accepted bookings per PostgreSQL Confirm run [5000 x SECONDS]
#   LIFECYCLE_CONFIRM_GROUP       Accepted bookings per paying client (whose credits cover them all) [25]
#   LIFECYCLE_CONFIRM_CONNECTIONS wrk connections of the Confirm runs [64]
#   LIFECYCLE_PG_THREADS          serving threads of the PostgreSQL Confirm rows past the first; 0 or 1 runs
#                                 them on one thread and leaves out the second --group-commit true row [8]
#   LIFECYCLE_BACKENDS            "sqlite postgres", or one of them [sqlite postgres]
#   LIFECYCLE_FSYNCS              write + fdatasync rounds per fsync measurement (at most 5 s each) [2000]
#   BENCH_TMPDIR                  where the databases go: the disk being measured [$TMPDIR or /tmp]
#   BENCH_RESULTS                 keep the raw wrk outputs and server logs in this folder [removed]
# A Confirm run that uses up its pool fails: raise the pool. Exits 1 when any request fails (an answer other than
# 2xx, a socket error or a timeout, a Confirm answered 200 that is not stored, an exhausted pool, a ledger that
# does not verify), after printing the table; 2 on misuse or a missing tool.
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
# One project drives every request here: the per-project rate limit would cap the figure being measured.
export PHONECHAT_API_RATE_LIMIT=0
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '18,41p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "bench/lifecycle.sh: $*" >&2; exit 2; }
case "${1:-}" in -h|--help) usage ;; esac
[ $# -le 1 ] || usage
seconds=${1:-8}
runs=${LIFECYCLE_RUNS:-3}
warmup=${LIFECYCLE_WARMUP:-1}
clients=${LIFECYCLE_CLIENTS:-1000}
per_client=${LIFECYCLE_PER_CLIENT:-50}
candidates=${LIFECYCLE_CANDIDATES:-200}
write_every=${LIFECYCLE_WRITE_EVERY:-20}
confirm_group=${LIFECYCLE_CONFIRM_GROUP:-25}
confirm_connections=${LIFECYCLE_CONFIRM_CONNECTIONS:-64}
pg_threads=${LIFECYCLE_PG_THREADS:-8}
backends=${LIFECYCLE_BACKENDS:-sqlite postgres}
fsyncs=${LIFECYCLE_FSYNCS:-2000}
for n in "$seconds" "$runs" "$warmup" "$clients" "$per_client" "$candidates" "$write_every" "$confirm_group" \
  "$confirm_connections" "$pg_threads" "$fsyncs" ${LIFECYCLE_CONFIRM_POOL:+"$LIFECYCLE_CONFIRM_POOL"} \
  ${LIFECYCLE_PG_CONFIRM_POOL:+"$LIFECYCLE_PG_CONFIRM_POOL"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "SECONDS and the LIFECYCLE_ settings take whole numbers, got '$n'"
done
[ "$seconds" -ge 1 ] && [ "$runs" -ge 1 ] && [ "$clients" -ge 1 ] && [ "$per_client" -ge 1 ] &&
  [ "$candidates" -ge 1 ] && [ "$confirm_group" -ge 1 ] && [ "$confirm_connections" -ge 1 ] && [ "$fsyncs" -ge 1 ] ||
  die "SECONDS, the runs, clients, bookings, candidates, group, connections and fsyncs must be at least 1"
pg_pool=${LIFECYCLE_PG_CONFIRM_POOL:-$((5000 * seconds))}
[ "$pg_pool" -ge 1 ] && [ "${LIFECYCLE_CONFIRM_POOL:-1}" -ge 1 ] || die "the Confirm pools must hold at least 1 booking"
with_sqlite=0
with_pg=0
for backend in $backends; do
  case "$backend" in
    sqlite) with_sqlite=1 ;;
    postgres) with_pg=1 ;;
    *) die "LIFECYCLE_BACKENDS: unknown backend '$backend' (sqlite, postgres)" ;;
  esac
done
[ $((with_sqlite + with_pg)) -gt 0 ] || die "LIFECYCLE_BACKENDS names no backend"

bin=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
[ -x "$bin" ] || die "no server binary at $bin: build it (scripts/build.sh release) or set PHONECHAT_BIN"
tools=(node wrk taskset curl awk sort sqlite3)
[ "$with_pg" = 0 ] || tools+=(psql)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done
[ "$(nproc)" -ge 2 ] || die "needs at least 2 cores (the server on one, wrk on another)"
if [ "$with_pg" = 1 ]; then
  [ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ] || die "the PostgreSQL 15 server binaries are required (PG_BIN)"
fi
if "$bin" serve --help 2>/dev/null | grep -q -- --group-commit; then group_commit=1; else group_commit=0; fi

started_at=$(date +%s)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/phonechat-lifecycle.XXXXXX")
chmod 755 "$work"
mkdir -p "$work/out"
server_pid=
pg_dir=

cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ -z "$pg_dir" ] || "$root/scripts/pg-cluster.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  if [ -n "${BENCH_RESULTS:-}" ]; then
    mkdir -p "$BENCH_RESULTS" && cp -r "$work/out/." "$BENCH_RESULTS/" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '[%4ds] %s\n' $(($(date +%s) - started_at)) "$*" >&2; }
failures=()
fail() { failures+=("$*"); echo "bench/lifecycle.sh: FAILED: $*" >&2; }

# The median of the arguments (numbers), or n/a when there are none.
median() {
  [ $# -gt 0 ] || { echo n/a; return; }
  printf '%s\n' "$@" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.0f", m }'
}
# a / b with two decimals, or n/a.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

# ---------------------------------------------------------------- 1. fsync rate

# Syncs per second: 4 KiB written over a 1 MiB file made beforehand, each followed by fdatasync, in the folder of
# the databases; LIFECYCLE_FSYNCS rounds or 5 s, whichever ends first.
fsync_rate() {
  node -e '
    const fs = require("node:fs");
    const [file, rounds] = [process.argv[1], Number(process.argv[2])];
    const fd = fs.openSync(file, "w");
    const block = Buffer.alloc(4096, 7);
    for (let i = 0; i < 256; i += 1) fs.writeSync(fd, block, 0, block.length, i * 4096);
    fs.fsyncSync(fd);
    const start = process.hrtime.bigint();
    let done = 0;
    let elapsed = 0;
    while (done < rounds && elapsed < 5) {
      fs.writeSync(fd, block, 0, block.length, (done % 256) * 4096);
      fs.fdatasyncSync(fd);
      done += 1;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    fs.closeSync(fd);
    fs.unlinkSync(file);
    console.log((done / elapsed).toFixed(0));
  ' "$work/fsync.probe" "$fsyncs"
}

fsync_values=()
for r in $(seq 1 "$runs"); do
  fsync_values+=("$(fsync_rate)")
  say "fsync run $r/$runs: ${fsync_values[-1]} syncs/s"
done
fsync_median=$(median "${fsync_values[@]}")
sqlite_pool=${LIFECYCLE_CONFIRM_POOL:-$((seconds * (fsync_median * 6 > 25000 ? fsync_median * 6 : 25000)))}

# ---------------------------------------------------------------- data

# The data set, in the import format (docs/import-format.md), deterministic but for its dates, which follow today:
# user 1 owns the project `bench-app`; CANDIDATES candidates offer PhoneChat (Method 2 with a number, 0.5 credits a
# minute); CLIENTS list clients with PER_CLIENT Confirmed bookings each, sessions in the past (listed in
# LIST_CLIENTS_FILE as USER<TAB>BOOKINGS); then SLICES slices of POOL Accepted bookings (session in 30 days,
# AcceptBy in 20), each slice over its own paying clients, GROUP bookings and GROUP x 10 credits each, booking j of
# a slice belonging to client j mod (POOL / GROUP) so that neighbouring requests are of different clients. The
# paying clients go to PAYERS_FILE (USER<TAB>0), the bookings to BOOKINGS_FILE (USER<TAB>BOOKING_ID<TAB>SLICE).
cat >"$work/generate.mjs" <<'EOF'
import fs from 'node:fs';
const [clients, perClient, candidates, slices, pool, group] = process.argv.slice(2, 8).map(Number);
const [listClientsFile, payersFile, bookingsFile] = process.argv.slice(8, 11);
const out = [];
const flush = () => { process.stdout.write(out.join('')); out.length = 0; };
const line = (record) => { out.push(`${JSON.stringify(record)}\n`); if (out.length >= 10000) flush(); };
const pad = (n, w = 2) => String(n).padStart(w, '0');
const past = (day, minute) => `2024-${pad(1 + Math.floor(day / 28) % 12)}-${pad(1 + day % 28)}T${pad(Math.floor(minute / 60) % 24)}:${pad(minute % 60)}:00`;
const DAY = 86400000;
const today = Date.now();
const day = (offset, time) => `${new Date(today + offset * DAY).toISOString().slice(0, 10)}T${time}`;
const candidateBase = 1_000_000;
const clientBase = 10;
const payerBase = 5_000_000;
const poolBookingBase = 10_000_000;
line({ Kind: 'User', UserID: 1, Nickname: 'BenchOwner' });
for (let c = 0; c < candidates; c += 1) {
  line({ Kind: 'User', UserID: candidateBase + c, Nickname: `Candidate${c}`, PhoneChatNumber: '+447700900123',
    OffersPhoneChat: true, PhoneChatPPM: '0.5', Positive: c % 9, Neutral: c % 3, Negative: c % 2, Disputes: 0 });
}
line({ Kind: 'Project', Name: 'Bench app', OwnerUserID: 1, ApiKey: 'bench-key', ClientID: 'bench-app', RedirectURIs: ['http://127.0.0.1:9/cb'] });
const listClients = [];
let id = 1;
for (let u = 0; u < clients; u += 1) {
  const client = clientBase + u;
  line({ Kind: 'User', UserID: client, Nickname: `Client${u}` });
  listClients.push(`${client}\t${perClient}\n`);
  for (let b = 0; b < perClient; b += 1, id += 1) {
    const d = (u * 7 + b) % 300;
    line({ Kind: 'Booking', BookingID: id, ClientUserID: client, CandidateUserID: candidateBase + ((u + b) % candidates),
      Duration: 15 + (b % 4) * 15, Credits: `${8 + (b % 5)}.5`, Status: 'Confirmed', Method: 2, PhoneNumber: null, SkypeName: null,
      CreateDate: past(d, b % 600), SessionDate: past(d + 2, 600 + (b % 300)), AcceptBy: past(d + 1, 0),
      AcceptedDate: past(d, 700), ConfirmedDate: past(d, 720), CancelledDate: null, CancelledReason: null, CancelledBy: null,
      RejectedReason: null, LastUpdated: past(d, 720), Comments: b % 3 === 0 ? 'Call me & <thanks>' : null, DeletedByClient: false });
  }
}
fs.writeFileSync(listClientsFile, listClients.join(''));
const payersPerSlice = Math.max(1, Math.ceil(pool / group));
const payers = fs.openSync(payersFile, 'w');
const bookings = fs.openSync(bookingsFile, 'w');
const created = day(-2, '10:00:00');
const accepted = day(-2, '10:10:00');
const acceptBy = day(20, '12:00:00');
const session = day(30, '18:00:00');
let bookingId = poolBookingBase;
for (let s = 0; s < slices; s += 1) {
  const first = payerBase + s * payersPerSlice;
  const payerLines = [];
  for (let c = 0; c < payersPerSlice; c += 1) {
    line({ Kind: 'User', UserID: first + c, Nickname: `Payer${s}x${c}` });
    line({ Kind: 'Credit', UserID: first + c, Amount: String(group * 10), Date: day(-3, '09:00:00'), Description: 'Bench opening balance' });
    payerLines.push(`${first + c}\t0\n`);
  }
  fs.writeSync(payers, payerLines.join(''));
  const bookingLines = [];
  for (let j = 0; j < pool; j += 1, bookingId += 1) {
    const payer = first + (j % payersPerSlice);
    line({ Kind: 'Booking', BookingID: bookingId, ClientUserID: payer, CandidateUserID: candidateBase + (j % candidates),
      Duration: 15, Credits: '10', Status: 'Accepted', Method: 2, PhoneNumber: null, SkypeName: null,
      CreateDate: created, SessionDate: session, AcceptBy: acceptBy, AcceptedDate: accepted, ConfirmedDate: null,
      CancelledDate: null, CancelledReason: null, CancelledBy: null, RejectedReason: null, LastUpdated: accepted,
      Comments: null, DeletedByClient: false });
    bookingLines.push(`${payer}\t${bookingId}\t${s}\n`);
    if (bookingLines.length >= 10000) { fs.writeSync(bookings, bookingLines.join('')); bookingLines.length = 0; }
  }
  fs.writeSync(bookings, bookingLines.join(''));
}
fs.closeSync(payers);
fs.closeSync(bookings);
flush();
EOF

scope=account_phonechat_bookings
session_date=$(TZ=${PHONECHAT_ZONE:-Europe/London} date -d '+2 days' '+%Y-%m-%d 21:30')
accept_by=$(TZ=${PHONECHAT_ZONE:-Europe/London} date -d '+1 day' '+%Y-%m-%d 12:00')

# prepare NAME SLICES POOL: writes $work/NAME.jsonl with SLICES Confirm pools of POOL bookings, NAME's paying
# clients' tokens (SQL in $work/NAME-payers.product.sql) and one pool file per slice, $work/NAME-slice-S.tsv
# (TOKEN<TAB>BOOKING_ID); the first time, also $work/list.jsonl (the list data alone) and the list clients' tokens
# ($work/list.tsv, SQL in $work/list.product.sql), shared by both backends. Sets `data_bookings` to the number of
# bookings in NAME.jsonl.
prepare() {
  local name=$1 slices=$2 pool=$3
  if [ ! -f "$work/list.tsv" ]; then
    node "$work/generate.mjs" "$clients" "$per_client" "$candidates" 0 1 1 \
      "$work/list-clients" /dev/null /dev/null >"$work/list.jsonl"
    node "$root/bench/lib/tokens.mjs" "$work/list-clients" "$work/list" bench-app "$scope" 86400
  fi
  node "$work/generate.mjs" "$clients" "$per_client" "$candidates" "$slices" "$pool" "$confirm_group" \
    "$work/list-clients" "$work/$name-payers" "$work/$name-bookings" >"$work/$name.jsonl"
  node "$root/bench/lib/tokens.mjs" "$work/$name-payers" "$work/$name-payers" bench-app "$scope" 86400
  awk -F'\t' -v prefix="$work/$name-slice-" 'NR == FNR { token[$2] = $1; next }
    { print token[$1] "\t" $2 > (prefix $3 ".tsv") }' "$work/$name-payers.tsv" "$work/$name-bookings"
  data_bookings=$((clients * per_client + slices * pool))
}

# import_data LABEL URL FILE: imports FILE; prints how long it took.
import_data() {
  local t0
  t0=$(date +%s.%N)
  "$bin" import --db "$2" "$3" >"$work/out/$1-import.txt" 2>&1 ||
    { cat "$work/out/$1-import.txt" >&2; echo "bench/lifecycle.sh: the import into $2 failed" >&2; exit 1; }
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'
}

# ---------------------------------------------------------------- measuring

# Starts the server on core 0: start_server URL THREADS [SERVE OPTIONS...]; sets `port`.
start_server() {
  local url=$1 threads=$2
  shift 2
  serve_log="$work/out/serve-$(date +%s%N).log"
  taskset -c 0 "$bin" serve --db "$url" --listen 127.0.0.1:0 --threads "$threads" --access-log off "$@" \
    2>"$serve_log" &
  server_pid=$!
  port=
  for _ in $(seq 1 100); do
    port=$(sed -nE 's#.*listening on http://127\.0\.0\.1:([0-9]+).*#\1#p' "$serve_log")
    [ -n "$port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$serve_log" >&2; echo "bench/lifecycle.sh: the server did not start" >&2; exit 1; }
}
stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

list_env=(WRK_TOKENS="$work/list.tsv" WRK_QUERY="BookingsPerPage=50" WRK_CANDIDATES="1000000:$candidates"
  WRK_SESSION_DATE="$session_date" WRK_ACCEPT_BY="$accept_by" WRK_CREDITS=30)

# list_wrk EVERY SECONDS OUT: the list with one request in EVERY a CreateBooking (0: none).
list_wrk() {
  env "${list_env[@]}" WRK_WRITE_EVERY="$1" taskset -c 1 wrk -t1 -c32 -d"$2s" --timeout 10s \
    -s "$root/bench/wrk/lifecycle.lua" "http://127.0.0.1:$port" >"$3" 2>&1 || {
    cat "$3" >&2
    echo "bench/lifecycle.sh: wrk failed" >&2
    exit 1
  }
}

# Server CPU over a measured run: cpu_start before it, then cpu_share prints the server process's CPU time (every
# thread) over the wall time since, in % of one core. PostgreSQL's own processes are not counted.
clock_ticks=$(getconf CLK_TCK)
server_ticks() { sed 's/^.*) //' "/proc/$server_pid/stat" | awk '{ print $12 + $13 }'; }
cpu_start() { cpu_ticks0=$(server_ticks); cpu_wall0=$(date +%s.%N); }
cpu_share() {
  awk -v t0="$cpu_ticks0" -v t1="$(server_ticks)" -v w0="$cpu_wall0" -v w1="$(date +%s.%N)" -v hz="$clock_ticks" \
    'BEGIN { printf "%.0f", 100 * (t1 - t0) / hz / (w1 - w0) }'
}

# Prints "requests/s completed non-2xx socket-errors" of a wrk output (wrk counts as non-2xx the answers with a
# status of 400 or more; socket errors are connect, read, write and timeout).
wrk_summary() {
  awk '/ requests in / { completed = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non2xx += $NF }
    /Socket errors:/ { gsub(/,/, ""); socket += $4 + $6 + $8 + $10 }
    END { printf "%s %d %d %d\n", rps, completed, non2xx, socket }' "$1"
}
# Prints the value of KEY=N on the line of wrk's output that starts with PREFIX.
wrk_count() { awk -v prefix="$2" -v key="$3" '$1 == prefix { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) print kv[2] } }' "$1"; }

# Checks one list request and one CreateBooking with curl before measuring: both must answer 200.
probe() {
  local token status
  token=$(head -n 1 "$work/list.tsv" | cut -f1)
  status=$(curl -s -o "$work/probe.out" -w '%{http_code}' -H "Authorization: Bearer $token" \
    "http://127.0.0.1:$port/v1/PhoneChat/MadeBookings?BookingsPerPage=50")
  [ "$status" = 200 ] || { echo "bench/lifecycle.sh: the list answered $status: $(head -c 400 "$work/probe.out")" >&2; exit 1; }
  status=$(curl -s -o "$work/probe.out" -w '%{http_code}' -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' "http://127.0.0.1:$port/v1/PhoneChat/CreateBooking" \
    -d "{\"BookUserID\":1000000,\"SessionDate\":\"$session_date\",\"Duration\":15,\"Method\":2,\"Credits\":30,\"AcceptBy\":\"$accept_by\"}")
  [ "$status" = 200 ] || { echo "bench/lifecycle.sh: CreateBooking answered $status: $(head -c 400 "$work/probe.out")" >&2; exit 1; }
}

# measure_list LABEL URL: R alternating runs of the read-only and the mixed list on one server (one thread).
# Appends to the table's rows.
measure_list() {
  local label=$1 url=$2 r out rps non2xx socket failed issued reads writes
  local ro=() mixed=() wps=() ro_cpu=() mixed_cpu=() ro_failed=0 mixed_failed=0
  start_server "$url" 1
  probe
  [ "$warmup" = 0 ] || list_wrk 0 "$warmup" "$work/out/warmup.txt"
  for r in $(seq 1 "$runs"); do
    out="$work/out/$label-list-readonly-$r.txt"
    cpu_start
    list_wrk 0 "$seconds" "$out"
    ro_cpu+=("$(cpu_share)")
    read -r rps _ non2xx socket < <(wrk_summary "$out")
    failed=$((non2xx + socket))
    ro+=("$rps")
    ro_failed=$((ro_failed + failed))
    [ "$failed" = 0 ] || { fail "$label list read-only run $r: $failed failed requests"; cat "$out" >&2; }
    say "$label list read-only run $r/$runs: $rps requests/s, server CPU ${ro_cpu[-1]}%, $failed failed"

    out="$work/out/$label-list-writes-$r.txt"
    cpu_start
    list_wrk "$write_every" "$seconds" "$out"
    mixed_cpu+=("$(cpu_share)")
    read -r rps _ non2xx socket < <(wrk_summary "$out")
    failed=$((non2xx + socket))
    issued=$(wrk_count "$out" lifecycle: issued)
    reads=$(wrk_count "$out" lifecycle: reads)
    writes=$(wrk_count "$out" lifecycle: writes)
    # Of the completed requests, the reads and the writes in the proportion they were handed out (those still in
    # flight at the end, at most one per connection, are left out either way).
    mixed+=("$(awk -v r="$rps" -v a="$reads" -v n="$issued" 'BEGIN { printf "%.1f", r * a / n }')")
    wps+=("$(awk -v r="$rps" -v a="$writes" -v n="$issued" 'BEGIN { printf "%.1f", r * a / n }')")
    mixed_failed=$((mixed_failed + failed))
    [ "$failed" = 0 ] || { fail "$label list with writes run $r: $failed failed requests"; cat "$out" >&2; }
    say "$label list with writes run $r/$runs: ${mixed[-1]} list requests/s + ${wps[-1]} CreateBooking/s, server CPU ${mixed_cpu[-1]}%, $failed failed"
  done
  stop_server
  local ro_median mixed_median
  ro_median=$(median "${ro[@]}")
  mixed_median=$(median "${mixed[@]}")
  rows+=("| $label | list, read-only | 1 | 32 | $ro_median list requests/s | $(median "${ro_cpu[@]}")% | 1.00 | | $ro_failed |")
  rows+=("| $label | list + 1 request in $write_every a CreateBooking | 1 | 32 | $mixed_median list requests/s + $(median "${wps[@]}") writes/s | $(median "${mixed_cpu[@]}")% | $(ratio "$mixed_median" "$ro_median") of read-only | ≥ 0.70 | $mixed_failed |")
}

# count_confirmed URL FIRST LAST: Confirmed bookings with IDs in [FIRST, LAST].
count_confirmed() {
  local sql="SELECT count(*) FROM bookings WHERE booking_id BETWEEN $2 AND $3 AND status = 'Confirmed'"
  case "$1" in
    sqlite://*) sqlite3 "${1#sqlite://}" "$sql" ;;
    *) psql -X -At -d "$1" -c "$sql" ;;
  esac
}

# measure_confirm LABEL CASE URL NAME POOL FIRST_SLICE THREADS [SERVE OPTIONS...]: R Confirm runs on one server,
# run r on slice FIRST_SLICE + r - 1 of NAME. Appends to the table's rows.
measure_confirm() {
  local label=$1 case_label=$2 url=$3 name=$4 pool=$5 first_slice=$6 threads=$7
  shift 7
  local r slice out rps non2xx socket failed ok refused exhausted stored first last values=() cpu=() failed_total=0
  start_server "$url" "$threads" "$@"
  [ "$warmup" = 0 ] || list_wrk 0 "$warmup" "$work/out/warmup.txt"
  for r in $(seq 1 "$runs"); do
    slice=$((first_slice + r - 1))
    out="$work/out/$label-confirm-$name-$threads-$slice.txt"
    cpu_start
    env WRK_POOL="$work/$name-slice-$slice.tsv" WRK_THREADS=1 taskset -c 1 wrk -t1 -c"$confirm_connections" \
      -d"${seconds}s" --timeout 10s -s "$root/bench/wrk/confirm.lua" "http://127.0.0.1:$port" >"$out" 2>&1 || {
      cat "$out" >&2
      echo "bench/lifecycle.sh: wrk failed" >&2
      exit 1
    }
    cpu+=("$(cpu_share)")
    read -r rps _ non2xx socket < <(wrk_summary "$out")
    ok=$(wrk_count "$out" confirm: ok)
    refused=$(wrk_count "$out" confirm: failed)
    exhausted=$(wrk_count "$out" confirm: exhausted)
    [ -n "$ok" ] && [ -n "$refused" ] && [ -n "$exhausted" ] ||
      { cat "$out" >&2; echo "bench/lifecycle.sh: no tally from bench/wrk/confirm.lua" >&2; exit 1; }
    # Every answer but a 200 (confirm.lua's tally), and the socket errors.
    failed=$((refused + socket))
    values+=("$rps")
    # Every Confirm answered 200 must be stored; those in flight when wrk stopped may be stored too.
    first=$((10000000 + slice * pool))
    last=$((first + pool - 1))
    stored=$(count_confirmed "$url" "$first" "$last")
    if [ "$exhausted" != 0 ]; then
      fail "$label $case_label run $r: the pool of $pool bookings ran out before ${seconds}s: raise $([ "$name" = pg ] && echo LIFECYCLE_PG_CONFIRM_POOL || echo LIFECYCLE_CONFIRM_POOL)"
    fi
    if [ "$failed" != 0 ]; then
      fail "$label $case_label run $r: $failed failed requests"
      cat "$out" >&2
    fi
    if [ "$stored" -lt "$ok" ] || [ "$stored" -gt $((ok + confirm_connections)) ]; then
      fail "$label $case_label run $r: $ok Confirms answered 200 but $stored bookings of the slice are Confirmed"
    fi
    failed_total=$((failed_total + failed))
    say "$label $case_label run $r/$runs: $rps Confirms/s ($ok answered 200, $stored stored), server CPU ${cpu[-1]}%, $failed failed"
  done
  stop_server
  local m
  m=$(median "${values[@]}")
  rows+=("| $label | ConfirmMadeBooking, $case_label | $threads | $confirm_connections | $m Confirms/s | $(median "${cpu[@]}")% | $(ratio "$m" "$fsync_median")× fsync | ≥ 5× | $failed_total |")
}

verify_ledger() {
  local label=$1 url=$2
  "$bin" ledger verify --db "$url" >"$work/out/$label-ledger.txt" 2>&1 ||
    { fail "$label: ledger verify: $(head -c 400 "$work/out/$label-ledger.txt")"; return; }
  say "$label: ledger verify passed"
}

rows=()

# ---------------------------------------------------------------- SQLite

# Each backend has two databases: the list's, with the list data alone, and the Confirms', with the Confirm pools
# added, so that the list figures do not depend on the pools' size.
if [ "$with_sqlite" = 1 ]; then
  sqlite_configs=$((group_commit ? 2 : 1))
  say "SQLite: generating $clients x $per_client list bookings and $((sqlite_configs * runs)) Confirm pools of $sqlite_pool"
  prepare sqlite $((sqlite_configs * runs)) "$sqlite_pool"
  sqlite_bookings=$data_bookings
  sqlite_list="sqlite://$work/list.db"
  sqlite_confirm="sqlite://$work/confirm.db"
  say "SQLite: imported the list's $((clients * per_client)) bookings in $(import_data sqlite-list "$sqlite_list" "$work/list.jsonl")"
  say "SQLite: imported the Confirms' $sqlite_bookings bookings in $(import_data sqlite-confirm "$sqlite_confirm" "$work/sqlite.jsonl")"
  rm -f "$work/sqlite.jsonl"
  sqlite3 "$work/list.db" <"$work/list.product.sql"
  cat "$work/list.product.sql" "$work/sqlite-payers.product.sql" | sqlite3 "$work/confirm.db"

  measure_list SQLite "$sqlite_list"
  if [ "$group_commit" = 1 ]; then
    measure_confirm SQLite "--group-commit true" "$sqlite_confirm" sqlite "$sqlite_pool" 0 1 --group-commit true
    measure_confirm SQLite "--group-commit false" "$sqlite_confirm" sqlite "$sqlite_pool" "$runs" 1 --group-commit false
  else
    rows+=("| SQLite | ConfirmMadeBooking, --group-commit true | 1 | $confirm_connections | n/a (this build has no --group-commit) | | | ≥ 5× | |")
    measure_confirm SQLite "this build (no --group-commit option)" "$sqlite_confirm" sqlite "$sqlite_pool" 0 1
  fi
  verify_ledger SQLite-list "$sqlite_list"
  verify_ledger SQLite-confirm "$sqlite_confirm"
fi

if [ "$with_pg" = 1 ]; then
  pg_configs=2
  [ "$pg_threads" -le 1 ] || pg_configs=3
  say "PostgreSQL: generating the same list bookings and $((pg_configs * runs)) Confirm pools of $pg_pool"
  prepare pg $((pg_configs * runs)) "$pg_pool"
  pg_bookings=$data_bookings
  pg_dir="$work/pg"
  pg_admin=$("$root/scripts/pg-cluster.sh" start "$pg_dir")
  psql -X -q -d "$pg_admin" -c "CREATE DATABASE bench_list" -c "CREATE DATABASE bench_confirm" >/dev/null
  pg_list=${pg_admin%/postgres}/bench_list
  pg_confirm=${pg_admin%/postgres}/bench_confirm
  say "PostgreSQL: imported the list's $((clients * per_client)) bookings in $(import_data pg-list "$pg_list" "$work/list.jsonl") (test settings)"
  say "PostgreSQL: imported the Confirms' $pg_bookings bookings in $(import_data pg-confirm "$pg_confirm" "$work/pg.jsonl") (test settings)"
  rm -f "$work/pg.jsonl"
  # The product's token rows hold the hash as bytea.
  to_pg() { sed -E "s/X'([0-9a-f]{64})'/decode('\\1', 'hex')/" "$@"; }
  to_pg "$work/list.product.sql" | psql -X -q -v ON_ERROR_STOP=1 -d "$pg_list" >/dev/null
  to_pg "$work/list.product.sql" "$work/pg-payers.product.sql" | psql -X -q -v ON_ERROR_STOP=1 -d "$pg_confirm" >/dev/null
  # Durability for the measurements: the cluster of scripts/pg-cluster.sh runs with fsync off.
  psql -X -q -v ON_ERROR_STOP=1 -d "$pg_admin" -c "ALTER SYSTEM SET fsync = on" \
    -c "ALTER SYSTEM SET synchronous_commit = on" -c "ALTER SYSTEM SET full_page_writes = on" \
    -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
  pg_settings=$(psql -X -At -d "$pg_admin" -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")
  [ "$pg_settings" = "fsync=on full_page_writes=on synchronous_commit=on" ] ||
    { echo "bench/lifecycle.sh: PostgreSQL is not durable: $pg_settings" >&2; exit 1; }
  sync
  psql -X -q -d "$pg_admin" -c CHECKPOINT >/dev/null
  say "PostgreSQL: $pg_settings, wal_sync_method=$(psql -X -At -d "$pg_admin" -c "SHOW wal_sync_method")"

  measure_list PostgreSQL "$pg_list"
  pg_write_threads=$pg_threads
  [ "$pg_threads" -gt 1 ] || pg_write_threads=1
  if [ "$group_commit" = 1 ]; then
    measure_confirm PostgreSQL "--group-commit true" "$pg_confirm" pg "$pg_pool" 0 1 --group-commit true
    if [ "$pg_threads" -gt 1 ]; then
      measure_confirm PostgreSQL "--group-commit true" "$pg_confirm" pg "$pg_pool" "$runs" "$pg_threads" \
        --group-commit true
    fi
    measure_confirm PostgreSQL "--group-commit false" "$pg_confirm" pg "$pg_pool" $(((pg_configs - 1) * runs)) \
      "$pg_write_threads" --group-commit false
  else
    measure_confirm PostgreSQL "this build (no --group-commit option)" "$pg_confirm" pg "$pg_pool" 0 1
  fi
  verify_ledger PostgreSQL-list "$pg_list"
  verify_ledger PostgreSQL-confirm "$pg_confirm"
fi

# ---------------------------------------------------------------- report

load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
disk=$(df -T "$work" | awk 'NR == 2 { print $2 " on " $1 }')
if [ "$group_commit" = 1 ]; then build="with --group-commit"; else build="without --group-commit"; fi
pools=
confirm_sizes=
[ "$with_sqlite" = 0 ] || { pools="SQLite $sqlite_pool"; confirm_sizes="SQLite $sqlite_bookings bookings"; }
[ "$with_pg" = 0 ] ||
  { pools="${pools:+$pools, }PostgreSQL $pg_pool"; confirm_sizes="${confirm_sizes:+$confirm_sizes, }PostgreSQL $pg_bookings"; }
{
  printf 'Data: %s clients with %s Confirmed bookings each (sessions past) over %s candidates who offer PhoneChat ' \
    "$clients" "$per_client" "$candidates"
  printf '(a number, 0.5 credits a minute). The list is a page of 50, JSON, with a random client'"'"'s token per request; '
  printf 'a write is a CreateBooking (Method 2, 15 minutes, 30 credits) by a random client of the same pool with a '
  printf 'random candidate. Each Confirm run has its own pool of Accepted bookings (%s; ' "$pools"
  printf 'session in 30 days), %s per paying client whose credits cover them, neighbouring requests of different ' \
    "$confirm_group"
  printf 'clients, every booking sent once; the Confirms have their own database: the list data and every pool (%s). ' \
    "$confirm_sizes"
  printf 'Server: %s (%s), on core 0; wrk on core 1; %s s per run after a %s s ' \
    "$bin" "$build" "$seconds" "$warmup"
  printf 'warm-up; the median of %s runs; list runs alternate read-only and with writes on one server, the ratio ' "$runs"
  printf 'is of the medians; server CPU is the server process'"'"'s, in %% of one core (PostgreSQL'"'"'s own not counted). '
  [ "$with_pg" = 0 ] || printf 'PostgreSQL 15 on loopback, not pinned, made durable after the import (fsync, %s). ' \
    'synchronous_commit, full_page_writes on'
  printf 'fsync: 4 KiB write + fdatasync in the databases'"'"' folder (%s). ' "$disk"
  printf 'Machine: %s, %s cores, Linux %s; load average %s at the start, %s at the end.\n' \
    "${cpu_model:-unknown CPU}" "$(nproc)" "$(uname -r)" "$load_at_start" "$load_at_end"
} | fold -s -w 116 | sed 's/ *$//'
echo
echo "| Backend | Measure | serving threads | connections | median of $runs | server CPU | ratio | target | failed requests |"
echo "|---|---|---|---|---|---|---|---|---|"
echo "| disk | fsync: 4 KiB write + fdatasync | | | $fsync_median syncs/s | | | | |"
printf '%s\n' "${rows[@]}"

if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "FAILED:"
  printf -- '- %s\n' "${failures[@]}"
  exit 1
fi
