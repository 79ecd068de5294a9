#!/usr/bin/env bash
# Checks docs/openapi.yaml: the route table, the lint, the examples, a live sandbox, and (with
# PHONECHAT_RECORD_RESPONSES) the answers a black-box run recorded. Installs its pinned packages with npm ci when
# node_modules is missing or older than package-lock.json.
#   PHONECHAT_BIN  the binary (default ../../build/src/app/phonechat-api)
# Extra arguments go to `node --test`.
set -eu
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
cd "$(dirname "$0")"
PHONECHAT_BIN=${PHONECHAT_BIN:-$(cd ../.. && pwd)/build/src/app/phonechat-api}
export PHONECHAT_BIN
if [ ! -x "$PHONECHAT_BIN" ]; then
  echo "run.sh: no executable at $PHONECHAT_BIN (build it or set PHONECHAT_BIN)" >&2
  exit 2
fi
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund >&2
  echo "$want" > "$stamp"
fi
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
exec node --test "$@" routes.test.mjs lint.test.mjs examples.test.mjs live.test.mjs recorded.test.mjs
