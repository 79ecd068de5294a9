#!/usr/bin/env bash
# Installs what is needed, starts a throwaway PostgreSQL 15 cluster, then builds and runs every test tier:
#   release build: unit, storage contract (SQLite and PostgreSQL), HTTP layer, replay of the fuzzers' committed
#   corpora; black-box (the real binary over a socket) and Unified Login (protocol over HTTP, an OAuth client
#   library, Chromium), each once on SQLite and once on PostgreSQL; the OpenAPI document (against the route table,
#   linted, and every answer the black-box tests recorded) and the Postman collection (newman against a sandbox);
#   a 60-second soak (bench/soak.sh); the Debian package, built and checked unpacked (tests/package/run.sh);
#   sanitizer build (ASan + UBSan): the tiers that find memory bugs: unit, storage, HTTP layer, corpus replay,
#   and the black-box files that send raw and hostile bytes (framing, HTTP, hostile clients);
#   release build: the scale-out tests (two nodes behind nginx, a streaming replica, the primary stopped and
#   restarted), on a primary and replica of their own.
# The cluster lives in a temp directory and is stopped and removed on exit, whether the tests pass, fail or are
# interrupted.
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests

pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/phonechat-test-pg.XXXXXX")
recorded=$(mktemp "${TMPDIR:-/tmp}/phonechat-test-answers.XXXXXX")
trap 'scripts/pg-cluster.sh stop "$pg_dir" || true; rm -f "$recorded"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo "== PostgreSQL test cluster" >&2
PHONECHAT_TEST_PG_URL=$(scripts/pg-cluster.sh start "$pg_dir")
export PHONECHAT_TEST_PG_URL
echo "   $PHONECHAT_TEST_PG_URL" >&2

echo "== release build" >&2
dir=$(scripts/build.sh release)
bin="$PWD/$dir/src/app/phonechat-api"
echo "== release: unit, storage (SQLite and PostgreSQL), HTTP and corpus replay tests" >&2
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
echo "== release: black-box tests on SQLite (their answers recorded for the OpenAPI check)" >&2
env -u PHONECHAT_TEST_PG_URL PHONECHAT_BIN="$bin" PHONECHAT_RECORD_RESPONSES="$recorded" tests/blackbox/run.sh
echo "== release: black-box tests on PostgreSQL" >&2
PHONECHAT_BIN="$bin" tests/blackbox/run.sh
echo "== release: Unified Login tests on SQLite" >&2
env -u PHONECHAT_TEST_PG_URL PHONECHAT_BIN="$bin" tests/oauth/run.sh
echo "== release: Unified Login tests on PostgreSQL" >&2
PHONECHAT_BIN="$bin" tests/oauth/run.sh
echo "== release: the OpenAPI document: route table, lint, examples, a live sandbox, the recorded answers" >&2
PHONECHAT_BIN="$bin" PHONECHAT_RECORD_RESPONSES="$recorded" tests/openapi/run.sh
echo "== release: the Postman collection, run by newman against a sandbox" >&2
PHONECHAT_BIN="$bin" tests/postman/run.sh
echo "== release: the soak, 60 seconds of mixed traffic on SQLite" >&2
PHONECHAT_BIN="$bin" bench/soak.sh 60
echo "== release: the Debian package (cpack, checked unpacked: the unit, --version, a start, sd_notify)" >&2
PHONECHAT_BUILD_DIR="$dir" tests/package/run.sh

echo "== sanitize build" >&2
dir=$(scripts/build.sh sanitize)
bin="$PWD/$dir/src/app/phonechat-api"
echo "== sanitize: unit, storage (SQLite and PostgreSQL), HTTP and corpus replay tests" >&2
ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
echo "== sanitize: black-box tests of raw and hostile bytes on SQLite" >&2
env -u PHONECHAT_TEST_PG_URL PHONECHAT_BIN="$bin" PHONECHAT_BLACKBOX_FILES="framing http hostile-clients" tests/blackbox/run.sh
echo "== release: scale-out tests (PostgreSQL primary and replica, nginx, wrk)" >&2
PHONECHAT_BIN="$PWD/build/src/app/phonechat-api" tests/cluster/run.sh
echo "== all tests passed" >&2
