#!/usr/bin/env bash
# shellcheck disable=SC2015 # `A && B || fail ...`: fail exits
# Builds the Debian package from a build directory and checks it without installing it: its name, control fields,
# contents and maintainer scripts; the unpacked systemd unit with `systemd-analyze verify` (and that a broken copy
# fails it) and `systemd-analyze security`; the unpacked binary's --version against CMakeLists.txt; then a start of
# the unpacked binary with the unpacked config (database and ports from the environment, which win over the file),
# its readiness and stopping reported through a NOTIFY_SOCKET this script owns, its probes and its exit on SIGTERM.
#   PHONECHAT_BUILD_DIR   the configured build directory (default build/ of this checkout); its server is rebuilt
#                         if out of date, then packed with cpack into a temporary directory
# Prints one line per check; exits non-zero at the first that fails. Runs as root or not; installs nothing.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${PHONECHAT_BUILD_DIR:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
for tool in cmake cpack dpkg-deb dpkg-shlibdeps file systemd-analyze socat curl; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "run.sh: $tool is required (scripts/install-deps.sh --tests)" >&2
    exit 2
  }
done
[ -f "$build/CPackConfig.cmake" ] || {
  echo "run.sh: $build is not a configured build directory (scripts/build.sh release)" >&2
  exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/phonechat-package.XXXXXX")
server_pid=""
receiver_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill -KILL "$server_pid" 2>/dev/null || true
  [ -z "$receiver_pid" ] || kill "$receiver_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass() { echo "ok   $*"; }
fail() {
  echo "FAIL $*" >&2
  exit 1
}
# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

version=$(sed -n 's/^project(phonechat_api VERSION \([0-9][0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
[ -n "$version" ] || fail "the version in CMakeLists.txt's project()"
arch=$(dpkg --print-architecture)

# ---------------------------------------------------------------- the package
cmake --build "$build" --target phonechat-api >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  fail "cmake --build $build --target phonechat-api"
}
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log" >&2
  fail "cpack -G DEB"
}
mapfile -t debs < <(cd "$work/out" && ls -- *.deb)
[ "${#debs[@]}" -eq 1 ] && [ "${debs[0]}" = "phonechat-api_${version}_${arch}.deb" ] ||
  fail "one package named phonechat-api_${version}_${arch}.deb (got: ${debs[*]:-none})"
deb="$work/out/${debs[0]}"
pass "cpack built ${debs[0]} ($(du -k "$deb" | cut -f1) KiB)"

field() { dpkg-deb --field "$deb" "$1"; }
[ "$(field Package)" = phonechat-api ] && [ "$(field Version)" = "$version" ] && [ "$(field Architecture)" = "$arch" ] ||
  fail "control: Package phonechat-api, Version $version, Architecture $arch"
depends=$(field Depends)
for package in adduser libc6 libsystemd0 libsqlite3-0 libpq5 libsodium23; do
  [[ ", $depends," == *", $package"[\ ,]* ]] || fail "Depends names $package (dpkg-shlibdeps): $depends"
done
pass "control: phonechat-api $version $arch, Depends from dpkg-shlibdeps and adduser"

dpkg-deb --contents "$deb" | awk '{print $NF}' | sed 's#^\./#/#' >"$work/contents"
for path in /usr/bin/phonechat-api /lib/systemd/system/phonechat-api.service /etc/phonechat-api/phonechat-api.conf \
  /usr/share/phonechat-api/openapi.json /usr/share/phonechat-api/openapi.yaml \
  /usr/share/phonechat-api/phonechat-api.postman_collection.json /usr/share/phonechat-api/sandbox.postman_environment.json \
  /usr/share/doc/phonechat-api/operations.md /usr/share/doc/phonechat-api/CHANGELOG.md; do
  grep -qx "$path" "$work/contents" || fail "the package holds $path"
done
programs=$(dpkg-deb --contents "$deb" | awk '$1 ~ /^-..x/ {print $NF}')
[ "$programs" = "./usr/bin/phonechat-api" ] || fail "the server is the only program in the package: $programs"
pass "contents: the server alone, the unit, the config, the OpenAPI document, the Postman collection, the operations guide, the changelog"

dpkg-deb --control "$deb" "$work/control"
[ "$(cat "$work/control/conffiles")" = /etc/phonechat-api/phonechat-api.conf ] ||
  fail "conffiles lists /etc/phonechat-api/phonechat-api.conf"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] && sh -n "$work/control/$script" || fail "$script: executable shell"
done
grep -q 'adduser --system' "$work/control/postinst" && grep -q 'deb-systemd-helper enable' "$work/control/postinst" &&
  grep -q 'deluser --system' "$work/control/postrm" || fail "postinst adds the user and enables the unit, postrm removes"
pass "conffile /etc/phonechat-api/phonechat-api.conf; postinst, prerm, postrm"

unpacked="$work/root"
dpkg-deb -x "$deb" "$unpacked"
bin="$unpacked/usr/bin/phonechat-api"
unit="$unpacked/lib/systemd/system/phonechat-api.service"
conf="$unpacked/etc/phonechat-api/phonechat-api.conf"
pass "dpkg-deb -x into a temporary directory"

# ---------------------------------------------------------------- the unit
# verify checks that ExecStart's program exists: a copy points it at the unpacked binary. It exits 0 on settings it
# ignores (a misspelt key, a bad value) but names them: any output is a failure too.
verify() {
  local dir=$1 output
  mkdir -p "$dir"
  sed "s#^ExecStart=/usr/bin/phonechat-api #ExecStart=$bin #" "$2" >"$dir/phonechat-api.service"
  output=$(systemd-analyze verify --man=no "$dir/phonechat-api.service" 2>&1) && [ -z "$output" ] || {
    echo "$output"
    return 1
  }
}
output=$(verify "$work/verify" "$unit") || fail "systemd-analyze verify: $output"
pass "systemd-analyze verify --man=no: no complaint"
sed 's/^ProtectSystem=strict$/ProtectSytem=strict/' "$unit" >"$work/misspelt.service"
sed 's/^Type=notify$/Type=notfy/' "$unit" >"$work/bad-value.service"
sed 's#^ExecStart=/usr/bin/phonechat-api #ExecStart=/usr/bin/phonechat-apx #' "$unit" >"$work/no-program.service"
for broken in misspelt bad-value no-program; do
  ! verify "$work/verify-$broken" "$work/$broken.service" >/dev/null || fail "verify refuses a $broken copy of the unit"
done
pass "systemd-analyze verify refuses broken copies (a misspelt key, a bad value, a missing program)"

setting() { sed -n "s/^$1=//p" "$unit"; }
[ "$(setting Type)" = notify ] && [ "$(setting User)" = phonechat-api ] && [ "$(setting StateDirectory)" = phonechat-api ] &&
  [ "$(setting ProtectSystem)" = strict ] && [ "$(setting NoNewPrivileges)" = yes ] ||
  fail "the unit: Type=notify, User=phonechat-api, StateDirectory=phonechat-api, ProtectSystem=strict, NoNewPrivileges"
exec_start=$(setting ExecStart)
[ "$exec_start" = "/usr/bin/phonechat-api serve --config /etc/phonechat-api/phonechat-api.conf" ] ||
  fail "ExecStart runs the packaged binary with the packaged config: $exec_start"
drain=$(sed -n 's/^drain-time *= *\([0-9]*\).*/\1/p' "$conf")
stop_timeout=$(setting TimeoutStopSec)
[ -n "$drain" ] && [ "$stop_timeout" -gt "$drain" ] || fail "TimeoutStopSec ($stop_timeout) above drain-time ($drain)"
grep -q '^db = "sqlite:///var/lib/phonechat-api/phonechat.db"$' "$conf" || fail "the config's database is in the state dir"
pass "the unit: Type=notify, its user, its state directory, strict hardening, TimeoutStopSec $stop_timeout > drain $drain"

exposure=$(systemd-analyze security --offline=true "$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: //p')
score=${exposure%% *}
[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' ||
  fail "systemd-analyze security --offline=true: exposure at most 2.0, got '${exposure:-nothing}'"
pass "systemd-analyze security --offline=true: $exposure"

# ---------------------------------------------------------------- the unpacked binary
got=$("$bin" --version)
[ "$got" = "phonechat-api $version" ] || fail "--version prints 'phonechat-api $version', got '$got'"
pass "--version: $got"

# The notify socket: socat receives each datagram in a child that prints it and an empty line.
socket="$work/notify.sock"
notes="$work/notify.log"
: >"$notes"
socat -u "UNIX-RECVFROM:$socket,fork" SYSTEM:'cat; echo' >>"$notes" 2>"$work/socat.log" &
receiver_pid=$!
wait_for 5 test -S "$socket" || fail "socat listens on $socket"

mkdir -p "$work/cwd" "$work/state"
db="sqlite://$work/state/phonechat.db"
(cd "$work/cwd" && exec env NOTIFY_SOCKET="$socket" PHONECHAT_DB="$db" PHONECHAT_LISTEN=127.0.0.1:0 \
  PHONECHAT_ADMIN_LISTEN=127.0.0.1:0 "$bin" serve --config "$conf" >"$work/stdout" 2>"$work/stderr") &
server_pid=$!
ready() { grep -q '^READY=1$' "$notes"; }
wait_for 20 ready || fail "READY=1 on the notify socket within 20 s; stderr: $(cat "$work/stderr")"
listening=$(grep 'listening on' "$work/stderr") || fail "READY=1 comes after the API listens"
grep -q "^MAINPID=$server_pid\$" "$notes" && grep -q '^STATUS=serving on http://127.0.0.1:' "$notes" ||
  fail "READY=1 with MAINPID=$server_pid and a STATUS: $(cat "$notes")"
pass "READY=1 (MAINPID, STATUS) on the test's NOTIFY_SOCKET after: $listening"

[[ "$listening" == *"(database $db, "* ]] || fail "the environment's database wins over the config file's"
! grep -q -i sandbox "$work/stderr" && [ -f "$work/state/phonechat.db" ] && [ -z "$(ls -A "$work/cwd")" ] ||
  fail "a production start: no demo data, the database where PHONECHAT_DB says, nothing in the working directory"
pass "a production start on PHONECHAT_DB (over the config's db), no demo data"

api_port=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$work/stderr")
admin_port=$(sed -n 's#.*health and metrics at http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$work/stderr")
[ -n "$api_port" ] && [ -n "$admin_port" ] || fail "the API and admin ports on stderr"
status() { curl -s -o "$work/body" -w '%{http_code}' --max-time 10 "$1" || true; }
for probe in livez readyz metrics; do
  code=$(status "http://127.0.0.1:$admin_port/$probe")
  [ "$code" = 200 ] || fail "GET /$probe on the admin port: 200, got $code"
done
grep -q '^# TYPE ' "$work/body" || fail "/metrics is in the Prometheus text format"
code=$(status "http://127.0.0.1:$api_port/openapi.json")
[ "$code" = 200 ] && grep -q '"openapi"' "$work/body" || fail "GET /openapi.json on the API port: 200, got $code"
pass "/livez, /readyz, /metrics on 127.0.0.1:$admin_port; /openapi.json on 127.0.0.1:$api_port"

kill -TERM "$server_pid"
exit_code=0
wait "$server_pid" || exit_code=$?
server_pid=""
[ "$exit_code" -eq 0 ] || fail "exit 0 after SIGTERM, got $exit_code; stderr: $(cat "$work/stderr")"
stopping() { grep -q '^STOPPING=1$' "$notes"; }
wait_for 5 stopping || fail "STOPPING=1 on the notify socket after SIGTERM: $(cat "$notes")"
[ "$(grep -n '^READY=1$' "$notes" | cut -d: -f1)" -lt "$(grep -n '^STOPPING=1$' "$notes" | cut -d: -f1)" ] ||
  fail "STOPPING=1 after READY=1"
pass "SIGTERM: STOPPING=1 on the notify socket, drained, exit 0"
echo "package checks passed: ${debs[0]}"
