#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan, UBSan) in build-fuzz/ and
# runs each for SECONDS (default 20) from its corpus in fuzz/corpus/<target>/,
# adding what it finds there. A crash stops the script with libFuzzer's
# report and the input that caused it (crash-*). Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
jobs=${JOBS:-$(nproc)}
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DMSGBED_FUZZ=ON \
  -DBUILD_TESTING=OFF > /dev/null
targets=(frame_decoder handlers scenario diagram bot_request)
cmake --build build-fuzz -j "$jobs" --target "${targets[@]/%/_fuzz}"
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "build-fuzz/found/$t" build-fuzz/artifacts
  rm -f build-fuzz/artifacts/"$t"-*
  echo "fuzz: $t for ${seconds}s"
  # New inputs go to a scratch corpus: the repository's corpus stays a
  # small, reviewed seed set.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build-fuzz/fuzz/${t}_fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="build-fuzz/artifacts/$t-" "build-fuzz/found/$t" "fuzz/corpus/$t" > "build-fuzz/$t.log" 2>&1 || true
  grep -E "^stat::number_of_executed_units|^stat::new_units_added" "build-fuzz/$t.log" | tr '\n' ' '
  echo
  if ls build-fuzz/artifacts/"$t"-* > /dev/null 2>&1; then
    grep -E "ERROR|SUMMARY|#0 |#1 |#2 |#3 " "build-fuzz/$t.log" | head -20 >&2
    echo "fuzz: $t failed; the input is in build-fuzz/artifacts/, the log in build-fuzz/$t.log" >&2
    exit 1
  fi
done
