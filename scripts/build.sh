#!/usr/bin/env bash
# Builds the server and the tests. Usage: scripts/build.sh [release|sanitize] (default release).
# release -> build/, sanitize (ASan + UBSan) -> build-sanitize/. Prints the build directory on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:-release}
case "$kind" in
  release) dir=build; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  sanitize) dir=build-sanitize; flags=(-DCMAKE_BUILD_TYPE=Debug -DPHONECHAT_SANITIZE=ON) ;;
  *) echo "usage: scripts/build.sh [release|sanitize]" >&2; exit 2 ;;
esac

export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
cmake -S . -B "$dir" -G Ninja -DPHONECHAT_WERROR=ON "${flags[@]}" >&2
cmake --build "$dir" -j "$(nproc)" >&2
echo "$dir"
