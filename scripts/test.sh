#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run): installs missing packages,
# builds everything (benchmarks included, so they keep compiling), runs every
# test, then rebuilds with ASan/UBSan and runs every test again, then runs
# each fuzzer briefly (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${JOBS:-$(nproc)}

bash scripts/install-deps.sh
# The S3-compatible server the S3 blob store is tested against (npm's s3rver).
bash scripts/install-s3rver.sh build
bash scripts/install-s3rver.sh build-asan
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMSGBED_WERROR=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMSGBED_SANITIZE=ON -DMSGBED_WERROR=ON
cmake --build build-asan -j "$jobs"
ctest --test-dir build-asan --output-on-failure

# Each libFuzzer target briefly (clang, ASan, UBSan): a crash fails the run.
bash scripts/fuzz.sh 15
