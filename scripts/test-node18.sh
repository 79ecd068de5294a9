#!/usr/bin/env bash
# Runs the black-box and Unified Login suites on SQLite with Debian 12's own Node.js 18 and npm 9, whatever node
# this machine has: the proof that a stock Debian 12 can run the tests.
#   PHONECHAT_BIN  the binary (default build/src/app/phonechat-api of this checkout)
#   Extra arguments go to `node --test` of both suites.
# Debian's packages (nodejs 18, libnode108, npm and what they pull in that is not installed here) come from
# `apt-get download` and are unpacked with `dpkg-deb -x` into .cache/debian-node18/; the system's node is left
# alone. Debian's node loads parts of itself (undici for fetch, acorn, cjs-module-lexer) and npm its modules
# from /usr/share/nodejs, so the suites run in a private mount namespace (unshare; unprivileged user namespaces,
# Debian 12's default, when not root) where the unpacked /usr/share lies over the system's. If apt offers no
# Node 18 (or PHONECHAT_NODE18_SOURCE=npm), node@18 and npm@9 from npm's registry, in .cache/npm-node18/,
# stand in (an upstream build, not Debian's).
# The Unified Login suite runs from a copy in the cache, so that npm 9's `npm ci` installs its own node_modules
# and the checkout's tests/oauth/node_modules is not touched.
set -euo pipefail
# Servers started here run side by side: their health and metrics listeners take a free port each.
export PHONECHAT_ADMIN_LISTEN=${PHONECHAT_ADMIN_LISTEN:-127.0.0.1:0}
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache"
PHONECHAT_BIN=${PHONECHAT_BIN:-$root/build/src/app/phonechat-api}
export PHONECHAT_BIN
[ -x "$PHONECHAT_BIN" ] || { echo "test-node18.sh: no executable at $PHONECHAT_BIN (build it or set PHONECHAT_BIN)" >&2; exit 2; }

run_suites() {  # node and npm of Node 18 come first on PATH
  echo "== node $(node --version), npm $(npm --version)" >&2
  case "$(node --version)" in v18.*) ;; *) echo "test-node18.sh: node is not 18" >&2; exit 1 ;; esac
  local oauth="$cache/node18-oauth"
  rm -rf "$oauth"
  mkdir -p "$oauth/tests/oauth"
  cp "$root"/tests/oauth/*.mjs "$root"/tests/oauth/package.json "$root"/tests/oauth/package-lock.json \
    "$root"/tests/oauth/run.sh "$oauth/tests/oauth/"
  ln -s "$root/tests/blackbox" "$oauth/tests/blackbox"
  export npm_config_cache="$cache/npm-cache"
  local failed=()
  echo "== black-box tests on SQLite" >&2
  env -u PHONECHAT_TEST_PG_URL "$root/tests/blackbox/run.sh" "$@" || failed+=(black-box)
  echo "== Unified Login tests on SQLite" >&2
  env -u PHONECHAT_TEST_PG_URL "$oauth/tests/oauth/run.sh" "$@" || failed+=("Unified Login")
  if [ ${#failed[@]} -ne 0 ]; then
    echo "== failed on Node 18: ${failed[*]}" >&2
    return 1
  fi
  echo "== both suites passed on Node 18" >&2
}

if [ "${1:-}" = --in-namespace ]; then  # second stage, inside the mount namespace
  shift
  deb="$cache/debian-node18/root"
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  mount -t overlay overlay -o "lowerdir=$deb/usr/share:/usr/share" /usr/share
  export PATH="$deb/usr/bin:$PATH"
  export LD_LIBRARY_PATH="$deb/usr/lib/$multiarch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  run_suites "$@"
  exit
fi

node18=""
if [ "${PHONECHAT_NODE18_SOURCE:-apt}" = apt ]; then
  node18=$(apt-cache madison nodejs 2>/dev/null | awk -F'|' '$2 ~ /^ *18\./ {gsub(/ /, "", $2); print $2; exit}')
fi
if [ -n "$node18" ]; then
  deb="$cache/debian-node18"
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  stamp="$deb/root/.installed-$node18"
  if [ ! -f "$stamp" ]; then
    echo "== Debian's nodejs $node18 and npm into $deb" >&2
    rm -rf "$deb"
    mkdir -p "$deb/debs" "$deb/root/usr/share" "$deb/root/usr/lib/$multiarch"
    # What installing them would add to this machine, as apt resolves it (nothing when a stock Debian 12 has
    # them already); nothing is installed.
    apt-get install -s --no-install-recommends "nodejs=$node18" npm |
      awk '/^Inst /{v = ($3 ~ /^\[/) ? $4 : $3; sub(/^\(/, "", v); print $2 "=" v}' >"$deb/packages.txt"
    if [ -s "$deb/packages.txt" ]; then
      (cd "$deb/debs" && apt-get download -q $(cat "$deb/packages.txt") >/dev/null)
      for package in "$deb"/debs/*.deb; do dpkg-deb -x "$package" "$deb/root"; done
    fi
    rm -rf "$deb/debs"
    touch "$stamp"
  fi
  if [ "$(id -u)" -eq 0 ]; then
    exec unshare --mount "$0" --in-namespace "$@"
  fi
  exec unshare --mount --map-root-user "$0" --in-namespace "$@"
fi

echo "== apt offers no Node.js 18: node@18 and npm@9 from npm's registry" >&2
prefix="$cache/npm-node18"
if [ ! -x "$prefix/node_modules/.bin/node" ] || [ ! -x "$prefix/node_modules/.bin/npm" ]; then
  rm -rf "$prefix"
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund --no-save node@18 npm@9 >&2
fi
export PATH="$prefix/node_modules/.bin:$PATH"
run_suites "$@"
