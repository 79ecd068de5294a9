#!/usr/bin/env bash
# Runs the Postman collection of docs/postman/ with newman against a fresh sandbox: checks that the committed
# collection is what tests/postman/generate.mjs writes from docs/openapi.json, starts the sandbox (demo data, clock
# fixed at 2027-01-04 09:00), mints the three tokens, makes sure a wrong token fails the run, then runs every
# request and fails if any check failed. Installs its pinned packages with npm ci when node_modules is missing or
# older than package-lock.json.
#   PHONECHAT_BIN  the binary (default ../../build/src/app/phonechat-api)
# Extra arguments go to `newman run`.
set -eu
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)
PHONECHAT_BIN=${PHONECHAT_BIN:-$ROOT/build/src/app/phonechat-api}
export PHONECHAT_BIN
if [ ! -x "$PHONECHAT_BIN" ]; then
  echo "run.sh: no executable at $PHONECHAT_BIN (build it or set PHONECHAT_BIN)" >&2
  exit 2
fi
export NO_UPDATE_NOTIFIER=1 npm_config_update_notifier=false
stamp=node_modules/.package-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund >&2
  echo "$want" > "$stamp"
fi

COLLECTION=$ROOT/docs/postman/phonechat-api.postman_collection.json
ENVIRONMENT=$ROOT/docs/postman/sandbox.postman_environment.json
if ! node generate.mjs --check; then
  echo "run.sh: docs/postman/ is stale; regenerate it with: node tests/postman/generate.mjs" >&2
  exit 1
fi

NOW=2027-01-04T09:00:00
dir=$(mktemp -d "${TMPDIR:-/tmp}/phonechat-postman-XXXXXX")
(cd "$dir" && exec "$PHONECHAT_BIN" serve --now "$NOW" --listen 127.0.0.1:0 --access-log off) >"$dir/stdout" 2>"$dir/stderr" &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
port=
for _ in $(seq 300); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/stderr" "$dir/stdout" | head -n1)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "run.sh: the sandbox exited:" >&2; cat "$dir/stderr" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "run.sh: the sandbox did not start:" >&2; cat "$dir/stderr" >&2; exit 1; }

db=sqlite://$dir/phonechat.db
token() { "$PHONECHAT_BIN" token --db "$db" --client-id demo-app --expires-in 86400 --user "$1" --scope "$2"; }
client=$(token 2001 'account_phonechat_bookings account_credits_history account_information')
manager=$(token 9001 account_phonechat_bookings)
candidate=$(token 1014 account_phonechat_bookings)

newman=(node_modules/.bin/newman run "$COLLECTION" -e "$ENVIRONMENT" --env-var "baseUrl=http://127.0.0.1:$port"
  --env-var "managerToken=$manager" --env-var "candidateToken=$candidate" --env-var "sandboxNow=$NOW"
  --timeout-request 10000 --timeout 300000 --color off)

# The run must be able to fail: a token the server does not know fails the read-only first folder.
if "${newman[@]}" --env-var "accessToken=not-a-token-of-this-sandbox" --folder 'Account and credits' --reporters json \
    --reporter-json-export "$dir/wrong-token.json" >/dev/null 2>&1; then
  echo "run.sh: newman passed with a wrong token; its checks cannot fail" >&2
  exit 1
fi
# ... having run its requests and failed their checks (not for want of the folder or of the report).
if ! node -e '
  const s = require(process.argv[1]).run.stats;
  process.exit(s.requests.total > 0 && s.requests.failed === 0 && s.assertions.failed > 0 ? 0 : 1);
' "$dir/wrong-token.json" 2>/dev/null; then
  echo "run.sh: the run with a wrong token did not fail its checks" >&2
  exit 1
fi
echo "run.sh: with a wrong token newman fails, as it must"

status=0
"${newman[@]}" --env-var "accessToken=$client" --reporters cli,json --reporter-json-export "$dir/report.json" "$@" || status=$?
# One closing line: how many checks passed and failed.
node -e '
  const run = require(process.argv[1]).run;
  for (const f of run.failures) console.log(`FAILED ${f.source?.name ?? ""}: ${f.error.test ?? f.error.name}: ${f.error.message.split("\n").slice(0, 3).join(" ").slice(0, 400)}`);
  const failed = run.stats.assertions.failed + run.stats.testScripts.failed + run.stats.prerequestScripts.failed + run.stats.requests.failed;
  console.log(`postman: ${run.stats.assertions.total - run.stats.assertions.failed} passed, ${failed} failed`);
' "$dir/report.json" || status=1
exit "$status"
