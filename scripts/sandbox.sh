#!/usr/bin/env bash
# Installs what is needed, builds, and runs the sandbox: ./phonechat.db, filled with demo data on first start,
# on http://127.0.0.1:8080. Extra arguments go to `phonechat-api serve` (e.g. --listen 127.0.0.1:9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
dir=$(scripts/build.sh release)
exec "$dir/src/app/phonechat-api" serve "$@"
