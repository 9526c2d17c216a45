#!/usr/bin/env bash
# Installs s3rver (an S3-compatible server, from npm) into BUILD_DIR/s3rver,
# where the live tests look for it. Idempotent. Usage: install-s3rver.sh BUILD_DIR
set -euo pipefail
dir=${1:?usage: install-s3rver.sh BUILD_DIR}/s3rver
if [ -x "$dir/node_modules/.bin/s3rver" ]; then exit 0; fi
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error s3rver@3.7.1
