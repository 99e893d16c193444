#!/usr/bin/env bash
# Creates the pinned reference environment (Hugging Face stack + ms-swift, CPU torch 2.13) that
# regenerates goldens (tools/reference/) and runs the peers (tools/peers/). The product never
# needs it. Idempotent: once the environment matches the lock file nothing is downloaded.
#
#   bash scripts/reference-setup.sh               # full stack into .venv-ref/
#   bash scripts/reference-setup.sh --torch-only  # just torch 2.13 (the libtorch 2.x build leg)
#                                                 # into .venv-torch/
# SWIFT_REF_VENV overrides the folder; SWIFT_TORCH_WHEEL_DIR (default /opt/wheels) is where the
# CPU torch wheel lies. Prints the venv's python path as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

MODE=full
for a in "$@"; do
  case "$a" in
    --torch-only) MODE=torch ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "[reference-setup] unknown argument: $a" >&2; exit 2 ;;
  esac
done

REQ="$ROOT/tools/reference/requirements.in"
LOCK="$ROOT/tools/reference/requirements.lock"
TORCH_VERSION="$(sed -n 's/^torch==\([^ #]*\).*/\1/p' "$LOCK")"
if [ "$MODE" = torch ]; then
  VENV="${SWIFT_REF_VENV:-$ROOT/.venv-torch}"
else
  VENV="${SWIFT_REF_VENV:-$ROOT/.venv-ref}"
fi
PY="${SWIFT_PYTHON:-python3}"

# The pinned torch is the CPU build (version +cpu). PyPI serves only the CUDA build under that
# number, so the wheel must lie on the machine; without it we stop rather than pull gigabytes.
WHEEL_DIR="${SWIFT_TORCH_WHEEL_DIR:-/opt/wheels}"
pyver="$("$PY" -c 'import sys;print("cp%d%d" % sys.version_info[:2])')"
wheel="$(ls "$WHEEL_DIR"/torch-"$TORCH_VERSION"-"$pyver"-*linux*_x86_64.whl 2>/dev/null | head -1 || true)"

stamp_want="$(cat "$REQ" "$LOCK" | sha256sum | cut -c1-16)-$MODE-$TORCH_VERSION"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.swift-stamp" 2>/dev/null)" = "$stamp_want" ]; then
  echo "[reference-setup] $VENV is up to date (no network used)"
  echo "$VENV/bin/python"
  exit 0
fi

if [ -z "$wheel" ]; then
  echo "[reference-setup] no CPU torch wheel torch-$TORCH_VERSION-$pyver-*.whl in $WHEEL_DIR" >&2
  echo "[reference-setup] (set SWIFT_TORCH_WHEEL_DIR to the folder that has it)" >&2
  exit 3
fi

echo "[reference-setup] creating $VENV ($MODE; torch from $wheel)"
"$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
if [ "$MODE" = torch ]; then
  # torch's own dependencies, at the lock's versions, from the registry (or a local mirror).
  "${PIP[@]}" install --quiet -c "$LOCK" --find-links "$WHEEL_DIR" "$wheel"
else
  "${PIP[@]}" install --quiet -c "$LOCK" --find-links "$WHEEL_DIR" "$wheel" -r "$REQ"
  # Anything installed that the lock does not pin means the lock is stale: say so.
  "$VENV/bin/python" - "$LOCK" <<'PYEOF'
import sys, importlib.metadata as md
lock = {}
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if "==" in line:
        n, v = line.split("==")
        lock[n.lower().replace("_", "-")] = v
bad = []
for d in md.distributions():
    n = d.metadata["Name"].lower().replace("_", "-")
    if n in ("pip", "setuptools", "wheel"):
        continue
    if lock.get(n) != d.version:
        bad.append("%s==%s (lock: %s)" % (n, d.version, lock.get(n)))
if bad:
    print("[reference-setup] installed but not as locked:", ", ".join(bad), file=sys.stderr)
    sys.exit(1)
PYEOF
fi
echo "$stamp_want" > "$VENV/.swift-stamp"
"$VENV/bin/python" -c 'import torch; print("[reference-setup] torch", torch.__version__, torch.utils.cmake_prefix_path)'
echo "$VENV/bin/python"
