#!/usr/bin/env bash
# Installs msgbed's build and test dependencies from Debian packages.
# Idempotent: packages already present are skipped, and nothing is done
# (not even `apt-get update`) when everything is installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libsimgrid-dev
  protobuf-compiler libprotobuf-dev
  librdkafka-dev
  libsodium-dev libssl-dev
  libboost-dev libboost-system-dev libboost-graph-dev
  librocksdb-dev
  libyaml-cpp-dev
  nlohmann-json3-dev
  libspdlog-dev libfmt-dev
  libcli11-dev
  libjemalloc-dev
  libabsl-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
  python3 python3-matplotlib
  plantuml graphviz
  clang libclang-rt-14-dev
  nodejs
  postgresql libpq-dev
  python3-python-telegram-bot
  python3-botocore
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm (for the tests' S3 server): Debian's package, unless a nodejs that
# bundles its own npm is installed.
command -v npm > /dev/null || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
