#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the sandbox need (Node.js and npm too: configuring installs the
# pinned Swagger UI of the /docs page once, docs/docs-page.md), and with `--tests` also what the tests need
# (xmllint, Chromium, the PostgreSQL 15 server for throwaway test clusters, nginx and wrk for the scale-out tests,
# gnuplot for the soak's plot, promtool for the metrics page, and what the Debian package's test runs: dpkg-dev,
# file, systemd-analyze, socat). Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-context1.81-dev
  libsqlite3-dev sqlite3 libpq-dev libsodium-dev libhowardhinnant-date-dev tzdata
  libcli11-dev libspdlog-dev libfmt-dev libkainjow-mustache-dev
  libgtest-dev libgmock-dev libbenchmark-dev curl libsystemd-dev nodejs npm
)
if [ "${1:-}" = "--tests" ]; then
  packages+=(libxml2-utils chromium postgresql-15 nginx-light wrk time gnuplot-nox)
  # The Debian package's test (tests/package/run.sh): CPack's DEB generator (dpkg-shlibdeps, file),
  # systemd-analyze, and socat as the test's notify socket.
  packages+=(dpkg-dev file systemd socat)
fi

missing=()
for package in "${packages[@]}"; do
  # A machine that already has Node.js from elsewhere keeps it.
  case "$package" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# promtool, from Debian's prometheus package, checks the metrics page in the tests. Installing that package would
# also install and start a Prometheus server, so its .deb is fetched through apt and only promtool is unpacked, into
# .cache/tools/ of this checkout (the tests look there).
if [ "${1:-}" = "--tests" ]; then
  tools="$(cd "$(dirname "$0")/.." && pwd)/.cache/tools"
  if [ ! -x "$tools/promtool" ]; then
    echo "fetching promtool (Debian's prometheus package) into $tools" >&2
    work=$(mktemp -d)
    (cd "$work" && apt-get download prometheus >/dev/null 2>&1 ||
      { $sudo apt-get update -qq && apt-get download prometheus >/dev/null 2>&1; })
    dpkg-deb -x "$work"/prometheus_*.deb "$work/unpacked"
    mkdir -p "$tools"
    install -m 0755 "$work/unpacked/usr/bin/promtool" "$tools/promtool"
    rm -rf "$work"
  fi
fi
