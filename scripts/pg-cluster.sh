#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests.
#   scripts/pg-cluster.sh start DIR [PORT] [--durable]
#                                            creates and starts a cluster in DIR (which must be absent, empty or
#                                            a cluster of this script) on 127.0.0.1:PORT (default: a free port),
#                                            waits until it accepts connections and prints its superuser URL,
#                                            postgresql://postgres@127.0.0.1:PORT/postgres, alone on stdout.
#                                            Starting a cluster that already runs prints its URL again.
#   scripts/pg-cluster.sh stop DIR           stops it (fast shutdown) and removes DIR; nothing to do is not an error.
# The cluster trades durability for speed (fsync off and the like): tests only. With --durable it keeps PostgreSQL's
# default durability (fsync, synchronous_commit, full_page_writes on), for tests that kill PostgreSQL itself and
# expect every acknowledged commit back after its crash recovery. Its unix socket is in DIR; the
# superuser `postgres` needs no password from 127.0.0.1 or the socket, every other role needs its password.
# Run as root, the server runs as the `postgres` user (DIR is handed to it); otherwise as the calling user.
# PG_BIN overrides the server binaries' directory (default /usr/lib/postgresql/15/bin).
set -euo pipefail

pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
marker=.phonechat-pg-cluster

usage() {
  echo "usage: scripts/pg-cluster.sh start DIR [PORT] [--durable] | stop DIR" >&2
  exit 2
}
die() {
  echo "pg-cluster.sh: $*" >&2
  exit 1
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise. From / so that an
# unreadable working directory does not matter.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port below the kernel's ephemeral range that nothing listens on.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    port_in_use "$port" || { echo "$port"; return 0; }
  done
  die "no free port found"
}

running() {
  [ -f "$dir/data/postmaster.pid" ] && as_owner "$pg_bin/pg_ctl" status -D "$dir/data" >/dev/null 2>&1
}

url() {
  echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
}

# Stops the server if it runs (fast, then immediate, then SIGKILL of its postmaster) and removes DIR.
stop_cluster() {
  [ -e "$dir" ] || return 0
  [ -f "$dir/$marker" ] || die "$dir is not a cluster made by this script: not removing it"
  if [ -f "$dir/data/postmaster.pid" ]; then
    if ! as_owner "$pg_bin/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null 2>&1 && running; then
      as_owner "$pg_bin/pg_ctl" stop -D "$dir/data" -m immediate -w -t 10 >/dev/null 2>&1 || true
    fi
    if [ -f "$dir/data/postmaster.pid" ]; then
      local pid
      pid=$(head -n 1 "$dir/data/postmaster.pid")
      # Only the postmaster of this data directory: its command line names it.
      if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$dir/data"; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
  fi
  rm -rf -- "$dir"
}

start_cluster() {
  local want_port=$1
  if [ -e "$dir" ] && [ ! -f "$dir/$marker" ]; then
    [ -d "$dir" ] && [ -z "$(ls -A "$dir")" ] ||
      die "$dir exists and is not an empty directory or a cluster of this script"
  fi
  if [ -f "$dir/$marker" ] && [ -f "$dir/port" ] && running; then
    url
    return 0
  fi
  [ -x "$pg_bin/initdb" ] || die "no PostgreSQL server binaries in $pg_bin (install postgresql-15)"
  if [ -f "$dir/$marker" ]; then
    stop_cluster # a leftover (e.g. a crashed run): start afresh
  fi

  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  touch "$dir/$marker"
  # From here on a failure stops whatever started and removes DIR.
  trap 'status=$?; if [ $status -ne 0 ]; then echo "pg-cluster.sh: start failed" >&2; stop_cluster || true; fi' EXIT
  trap 'exit 130' INT TERM
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    chmod 700 "$dir"
    as_owner test -w "$dir" || die "user postgres cannot write $dir (is a parent directory closed to it?)"
  fi

  local no_sync=--no-sync
  [ "$durable" = no ] || no_sync=
  as_owner "$pg_bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    $no_sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  # Trust for the superuser only; any other role proves its password (the tests of wrong passwords need it).
  cat >"$dir/data/pg_hba.conf" <<'EOF'
local all postgres               trust
host  all postgres 127.0.0.1/32  trust
local all all                    scram-sha-256
host  all all      127.0.0.1/32  scram-sha-256
EOF
  if [ "$durable" = no ]; then
    cat >>"$dir/data/postgresql.conf" <<EOF
# Test cluster: speed over durability.
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 1GB
checkpoint_timeout = 30min
EOF
  else
    echo "# Test cluster: PostgreSQL's default durability (--durable)." >>"$dir/data/postgresql.conf"
  fi
  cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 300
jit = off
password_encryption = scram-sha-256
lc_messages = 'C'
log_min_messages = warning
EOF
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/data/pg_hba.conf" "$dir/data/postgresql.conf"

  local port attempt
  for attempt in 1 2 3 4 5; do
    port=${want_port:-$(free_port)}
    [ ! -f "$dir/server.log" ] || : >"$dir/server.log"
    if as_owner "$pg_bin/pg_ctl" start -D "$dir/data" -o "-p $port" -l "$dir/server.log" -w -t 60 >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      break
    fi
    port=
    # Another process took the port between the check and the bind: try another one.
    if [ -z "$want_port" ] && grep -q "could not bind\|Address already in use" "$dir/server.log" 2>/dev/null; then
      continue
    fi
    tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
    die "the server did not start (attempt $attempt)"
  done
  [ -n "$port" ] || die "the server did not start: no port could be bound"
  for _ in $(seq 1 100); do
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres && break
    sleep 0.1
  done
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres ||
    die "the server does not accept connections"
  trap - EXIT INT TERM
  url
}

[ $# -ge 2 ] || usage
command=$1
dir=$2
[ -n "$dir" ] || usage
case "$command" in
  start)
    durable=no
    port_arg=
    for arg in "${@:3}"; do
      case "$arg" in
        --durable) durable=yes ;;
        *) [ -z "$port_arg" ] && [[ "$arg" =~ ^[0-9]+$ ]] || usage; port_arg=$arg ;;
      esac
    done
    start_cluster "$port_arg"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    [ ! -e "$dir" ] || dir=$(cd "$dir" && pwd -P)
    stop_cluster
    ;;
  *) usage ;;
esac
