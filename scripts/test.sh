#!/usr/bin/env bash
# Sets up (packages + build), fetches the test assets, checks formatting and runs every test that
# can run on this machine (CTest labels unit, parity, e2e, server; gpu tests skip without CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh "$@"
if [ -f scripts/fetch-test-assets.sh ]; then bash scripts/fetch-test-assets.sh; fi
bash scripts/check-format.sh
BUILD_DIR="${SWIFT_BUILD_DIR:-build}"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "${SWIFT_TEST_JOBS:-$(nproc)}" --timeout 1500
