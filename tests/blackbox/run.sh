#!/usr/bin/env bash
# Runs the black-box suite against the real binary over real sockets.
#   PHONECHAT_BIN      the binary (default build/src/app/phonechat-api of this checkout)
#   PHONECHAT_TARGET   "peer" to run against another implementation of the CLI at PHONECHAT_BIN (no revoke, no --now)
#   PHONECHAT_KEEP_TMP keep the temporary databases for inspection
#   PHONECHAT_BLACKBOX_FILES  run only these files (names without .test.mjs, space-separated), e.g. "framing http"
# Extra arguments go to `node --test` (e.g. --test-name-pattern=seed).
set -eu
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ "${PHONECHAT_TARGET:-}" != peer ]; then
  PHONECHAT_BIN=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
  export PHONECHAT_BIN
  if [ ! -x "$PHONECHAT_BIN" ]; then
    echo "run.sh: no executable at $PHONECHAT_BIN (build it or set PHONECHAT_BIN)" >&2
    exit 2
  fi
fi
for tool in node xmllint sqlite3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "run.sh: $tool is required" >&2; exit 2; }
done
files=()
if [ -n "${PHONECHAT_BLACKBOX_FILES:-}" ]; then
  for name in $PHONECHAT_BLACKBOX_FILES; do
    [ -f "$here/$name.test.mjs" ] || { echo "run.sh: no test file $here/$name.test.mjs" >&2; exit 2; }
    files+=("$here/$name.test.mjs")
  done
else
  files=("$here"/*.test.mjs)
fi
exec node --test --test-reporter=spec --test-concurrency="${PHONECHAT_TEST_CONCURRENCY:-2}" "$@" "${files[@]}"
