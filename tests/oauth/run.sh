#!/bin/sh
# Runs the Unified Login tests (protocol over HTTP, an OAuth client library, Chromium, server output) against
# the real binary.
#   PHONECHAT_BIN      the binary (default build/src/app/phonechat-api of this checkout)
#   PHONECHAT_KEEP_TMP keep the temporary databases for inspection
# Extra arguments go to `node --test` (e.g. --test-name-pattern=PKCE).
# Needs node 18 or newer (scripts/test-node18.sh runs it with Debian 12's) and npm (the dependencies come from
# package-lock.json) and Debian's /usr/bin/chromium.
set -eu
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
PHONECHAT_BIN=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
export PHONECHAT_BIN
if [ ! -x "$PHONECHAT_BIN" ]; then
  echo "run.sh: no executable at $PHONECHAT_BIN (build it or set PHONECHAT_BIN)" >&2
  exit 2
fi
for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "run.sh: $tool is required" >&2; exit 2; }
done
# npm writes node_modules/.package-lock.json on every install: older than the lockfile means stale.
marker="$here/node_modules/.package-lock.json"
if [ ! -f "$marker" ] || [ "$here/package-lock.json" -nt "$marker" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi
exec node --test --test-reporter=spec --test-concurrency=1 "$@" "$here"/*.test.mjs
