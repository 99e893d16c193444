#!/usr/bin/env bash
# Installs every Debian package swift.cpp needs (idempotent, non-interactive) and builds it into
# build/ (override with SWIFT_BUILD_DIR). Extra CMake arguments may follow, e.g.
#   bash scripts/setup.sh -DCMAKE_PREFIX_PATH=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  libtorch-dev libopenblas0-pthread
  nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libfmt-dev libspdlog-dev
  libpcre2-dev libutf8proc-dev
  libcpp-httplib-dev libcurl4-openssl-dev libssl-dev zlib1g-dev libbrotli-dev
  libsnappy-dev libzstd-dev
  libgtest-dev libgmock-dev
  libplplot-dev plplot-driver-cairo
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

BUILD_DIR="${SWIFT_BUILD_DIR:-build}"
# ccache (default ~/.cache/ccache) makes rebuilds of unchanged translation units free.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
# Paths under the checkout's parent are hashed relative, so worktrees and clones share hits.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(cd .. && pwd)}"
# -g1 builds would otherwise hash the build folder too (no hits between worktrees or clones).
[ -n "${CCACHE_HASHDIR:-}" ] || export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
cmake -S . -B "$BUILD_DIR" -G Ninja "$@"
cmake --build "$BUILD_DIR" -j "${SWIFT_JOBS:-$(nproc)}"
echo "[setup] built: $BUILD_DIR/bin/swift"
