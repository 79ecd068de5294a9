#!/usr/bin/env bash
# Fuzzes the server's parsers with libFuzzer (tests/fuzz; docs/security.md, "Fuzzing"): builds build-fuzz/ with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer, then runs each harness for SECONDS (default 60) on a scratch copy
# of its committed corpus, so that new inputs never land in tests/fuzz/corpus. Prints one line per harness with
# libFuzzer's figures; exits non-zero when a harness crashed, naming the input that did it.
# Usage: scripts/fuzz.sh [SECONDS]; FUZZ_HARNESSES="json_body headers" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
harnesses=(${FUZZ_HARNESSES:-http_request query_binding headers json_body import_line oauth_forms dates_decimals})

# Debian 12's clang is 14; libFuzzer's runtime comes with libclang-rt-14-dev.
scripts/install-deps.sh
missing=()
for package in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

export CCACHE_DIR=${CCACHE_DIR:-$PWD/.cache/ccache}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPHONECHAT_FUZZ=ON -DPHONECHAT_TESTS=OFF -DPHONECHAT_BENCHMARKS=OFF >&2
targets=()
for harness in "${harnesses[@]}"; do targets+=("fuzz_$harness"); done
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]}" >&2

fuzzers="$PWD/build-fuzz/tests/fuzz"
runs="$PWD/build-fuzz/runs/$(date +%Y%m%d-%H%M%S)"
failed=0
for harness in "${harnesses[@]}"; do
  work="$runs/$harness"
  mkdir -p "$work/corpus"
  cp tests/fuzz/corpus/"$harness"/* "$work/corpus/"
  status=0
  # The scratch corpus comes first: libFuzzer writes what it finds there. A crash, leak, sanitizer report or an
  # input slower than 10 s stops the run and leaves the input beside the log.
  (cd "$work" && "$fuzzers/fuzz_$harness" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/" corpus >"$work/log" 2>&1) || status=$?
  last=$(grep -E '^#[0-9]+' "$work/log" | tail -1 || true)
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  if [ "$status" -eq 0 ]; then
    printf '%-15s executions %s, exec/s %s, cov %s, ft %s, corpus %s (log %s)\n' \
      "$harness" "${executions:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$work/log"
  else
    failed=1
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$work/log" | tail -1)
    printf '%-15s FAILED (exit %s) after %s executions: input %s (log %s)\n' \
      "$harness" "$status" "${executions:-?}" "${crash:-none written}" "$work/log"
  fi
done
exit "$failed"
