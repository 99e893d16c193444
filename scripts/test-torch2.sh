#!/usr/bin/env bash
# The libtorch 2.x leg: builds swift.cpp against the libtorch inside the pinned CPU torch 2.13 wheel
# (a venv with just torch, made by scripts/reference-setup.sh --torch-only) into build-torch2/
# (SWIFT_TORCH2_BUILD_DIR overrides), then runs the suites whose code differs between libtorch
# versions: unit (the SDPA attention backend against the reference among them), parity (every
# model against the Hugging Face goldens, on the SDPA backend) and e2e (the swift binary; its
# greedy answers against transformers'). The ASan twins of the parsers do not touch libtorch and
# run on the Debian leg only; the server suite runs there too.
#
# The wheel is expected on every machine of the project's kind (/opt/wheels). Without it this leg
# fails, saying so; SWIFT_TORCH2_LEG=skip turns that into a skip with the same message.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! py="$(bash scripts/reference-setup.sh --torch-only | tail -n 1)"; then
  msg="[torch2] no CPU torch 2.13 wheel on this machine: the libtorch 2.x leg cannot run"
  if [ "${SWIFT_TORCH2_LEG:-}" = skip ]; then
    echo "$msg (SWIFT_TORCH2_LEG=skip: skipped)"
    exit 0
  fi
  echo "$msg (set SWIFT_TORCH_WHEEL_DIR, or SWIFT_TORCH2_LEG=skip to skip it)" >&2
  exit 1
fi
prefix="$("$py" -W ignore -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')"
BUILD_DIR="${SWIFT_TORCH2_BUILD_DIR:-build-torch2}"
echo "[torch2] libtorch from $prefix -> $BUILD_DIR"
# TORCH_LIBRARY: TorchConfig looks for it on the system paths first and would report (not link)
# a Debian libtorch.so that is also installed.
SWIFT_BUILD_DIR="$BUILD_DIR" bash scripts/setup.sh -DCMAKE_PREFIX_PATH="$prefix" \
  -DTORCH_LIBRARY="$prefix/../../lib/libtorch.so" \
  -DSWIFT_SANITIZE_PARSERS=OFF "$@"
if [ -f scripts/fetch-test-assets.sh ]; then bash scripts/fetch-test-assets.sh; fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -L 'unit|parity|e2e' -LE asan \
  -j "${SWIFT_TEST_JOBS:-$(nproc)}" --timeout 1500
