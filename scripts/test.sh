#!/usr/bin/env bash
# Installs what is needed, then builds and runs every test tier:
#   release build: unit, storage contract, HTTP layer, black-box (the real binary over a socket), Unified Login
#   (protocol over HTTP, an OAuth client library, Chromium);
#   sanitizer build (ASan + UBSan): the same tiers again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests

for kind in release sanitize; do
  echo "== $kind build" >&2
  dir=$(scripts/build.sh "$kind")
  echo "== $kind: unit, storage and HTTP tests" >&2
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)"
  echo "== $kind: black-box tests" >&2
  PHONECHAT_BIN="$PWD/$dir/src/app/phonechat-api" tests/blackbox/run.sh
  echo "== $kind: Unified Login tests" >&2
  PHONECHAT_BIN="$PWD/$dir/src/app/phonechat-api" tests/oauth/run.sh
done
echo "== all tests passed" >&2
