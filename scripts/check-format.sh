#!/usr/bin/env bash
# Fails when a tracked C++ file is not clang-formatted (.clang-format at the repository root).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.h' '*.hpp' '*.cu' '*.cuh' 2>/dev/null || true)
[ -n "$files" ] || exit 0
if ! echo "$files" | xargs clang-format --dry-run --Werror 2>/tmp/swift-format.log; then
  grep -m 20 -E '(warning|error):' /tmp/swift-format.log || true
  echo "[format] files above are not formatted; run: bash scripts/format.sh"
  exit 1
fi
echo "[format] ok"
