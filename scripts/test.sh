#!/usr/bin/env bash
# Sets up (packages + build), fetches the test assets, checks formatting and runs every test that
# can run on this machine (CTest labels unit, parity, e2e, server; gpu tests skip without CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh "$@"
if [ -f scripts/fetch-test-assets.sh ]; then bash scripts/fetch-test-assets.sh; fi
# Chromium + playwright-core for the browser test of `swift app`; the openai npm client.
bash scripts/app-test-setup.sh
(cd tests/serve_js && npm ci --silent --no-audit --no-fund)
bash scripts/check-format.sh
BUILD_DIR="${SWIFT_BUILD_DIR:-build}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${SWIFT_TEST_JOBS:-$(nproc)}" --timeout 1500
