#!/usr/bin/env bash
# The scale-out tests: several `serve` processes on one PostgreSQL primary with a streaming replica, and nginx as
# their load balancer. Starts its own primary (replication on) and hot-standby replica on free loopback ports,
# runs tests/cluster/*.test.mjs against them, and always stops and removes everything it started.
#   PHONECHAT_BIN      the binary (default build/src/app/phonechat-api of this checkout)
# Extra arguments go to `node --test`; naming test files runs only those. Needs node, psql, nginx, wrk and the PostgreSQL 15 server binaries.
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PHONECHAT_BIN=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
export PHONECHAT_BIN
# wrk drives every request through one project: the per-project rate limit would refuse most of them.
export PHONECHAT_API_RATE_LIMIT=0
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PHONECHAT_BIN" ] || { echo "run.sh: no executable at $PHONECHAT_BIN (build it or set PHONECHAT_BIN)" >&2; exit 2; }
for tool in node psql nginx wrk; do
  command -v "$tool" >/dev/null 2>&1 || { echo "run.sh: $tool is required" >&2; exit 2; }
done

work=$(mktemp -d /tmp/phonechat-cluster.XXXXXX)
chmod 755 "$work"
primary="$work/primary"
replica="$work/replica"

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}
cleanup() {
  if [ -f "$replica/data/postmaster.pid" ]; then
    as_owner "$pg_bin/pg_ctl" stop -D "$replica/data" -m immediate -w -t 20 >/dev/null 2>&1 || true
  fi
  "$root/scripts/pg-cluster.sh" stop "$primary" >/dev/null 2>&1 || true
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The primary: a throwaway cluster, then opened to streaming replication (these settings override the
# cluster's test defaults, which turn WAL shipping off).
primary_url=$("$root/scripts/pg-cluster.sh" start "$primary")
primary_port=$(sed -E 's#.*:([0-9]+)/.*#\1#' <<<"$primary_url")
as_owner sh -c "cat >> '$primary/data/postgresql.conf'" <<'EOF'
# Replication for the scale-out tests.
wal_level = replica
max_wal_senders = 4
wal_keep_size = 256MB
hot_standby = on
EOF
as_owner sh -c "cat >> '$primary/data/pg_hba.conf'" <<'EOF'
host replication postgres 127.0.0.1/32 trust
EOF
as_owner "$pg_bin/pg_ctl" restart -D "$primary/data" -m fast -w -t 60 -l "$primary/server.log" -o "-p $primary_port" >/dev/null

# The replica: a base backup of the primary that streams from it (-R writes primary_conninfo).
mkdir -p "$replica"
[ "$(id -u)" -ne 0 ] || chown postgres: "$replica"
chmod 700 "$replica"
as_owner "$pg_bin/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$replica/data" -R -X stream -c fast >/dev/null
replica_port=$((primary_port + 1))
while (exec 3<>"/dev/tcp/127.0.0.1/$replica_port") 2>/dev/null; do replica_port=$((replica_port + 1)); done
as_owner sh -c "cat >> '$replica/data/postgresql.conf'" <<EOF
unix_socket_directories = '$replica'
EOF
as_owner "$pg_bin/pg_ctl" start -D "$replica/data" -w -t 60 -l "$replica/server.log" -o "-p $replica_port" >/dev/null

export PHONECHAT_TEST_PG_URL="$primary_url"
export PHONECHAT_CLUSTER_PRIMARY_DATA="$primary/data"
export PHONECHAT_CLUSTER_PRIMARY_PORT="$primary_port"
export PHONECHAT_CLUSTER_REPLICA_PORT="$replica_port"
export PHONECHAT_CLUSTER_REPLICA_DATA="$replica/data"
export PHONECHAT_CLUSTER_WORK="$work"
export PG_BIN="$pg_bin"
files=("$here"/*.test.mjs)
for arg in "$@"; do
  case "$arg" in *.mjs) files=() ;; esac
done
# Node 18 (Debian 12's) has no --test-timeout (Node 20.11): there the tests run without the runner's limit.
timeout=()
node --help | grep -- --test-timeout >/dev/null && timeout=(--test-timeout=120000)
node --test --test-reporter=spec --test-concurrency=1 "${timeout[@]}" "$@" "${files[@]}"
