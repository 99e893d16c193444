#!/usr/bin/env bash
# Creates the pinned reference environment (Hugging Face stack + ms-swift, CPU torch 2.13) that
# regenerates goldens (tools/reference/) and runs the peers (tools/peers/). The product never
# needs it. Idempotent: once the environment matches the lock file nothing is downloaded.
#
#   bash scripts/reference-setup.sh               # full stack into .venv-ref/
#   bash scripts/reference-setup.sh --torch-only  # just torch 2.13 (the libtorch 2.x build leg)
#                                                 # into .venv-torch/
# SWIFT_REF_VENV overrides the folder; SWIFT_TORCH_WHEEL_DIR (default /opt/wheels) is where the
# CPU torch wheel lies; SWIFT_PYTHON picks the interpreter (else the first one a wheel fits).
# Prints the venv's python path as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

MODE=full
for a in "$@"; do
  case "$a" in
    --torch-only) MODE=torch ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
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
# The pinned torch is the CPU build (version +cpu). PyPI serves only the CUDA build under that
# number, so the wheel must lie on the machine; without it we stop rather than pull gigabytes.
# Take the first interpreter that a wheel there fits (Debian 12's python3 is 3.11; Debian 13's
# is 3.13, and a machine may have another 3.x beside it).
WHEEL_DIR="${SWIFT_TORCH_WHEEL_DIR:-/opt/wheels}"
PY="" wheel=""
for cand in ${SWIFT_PYTHON:-} python3 python3.11 python3.12 python3.13 python3.10; do
  command -v "$cand" >/dev/null 2>&1 || continue
  pyver="$("$cand" -c 'import sys;print("cp%d%d" % sys.version_info[:2])' 2>/dev/null)" || continue
  w="$(ls "$WHEEL_DIR"/torch-"$TORCH_VERSION"-"$pyver"-*linux*_x86_64.whl 2>/dev/null | head -1 || true)"
  if [ -n "$w" ]; then PY="$cand" wheel="$w"; break; fi
done

stamp_want="$(cat "$REQ" "$LOCK" | sha256sum | cut -c1-16)-$MODE-$TORCH_VERSION"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.swift-stamp" 2>/dev/null)" = "$stamp_want" ]; then
  echo "[reference-setup] $VENV is up to date (no network used)"
  echo "$VENV/bin/python"
  exit 0
fi

if [ -z "$wheel" ]; then
  echo "[reference-setup] no CPU torch wheel torch-$TORCH_VERSION-cp3*-*.whl in $WHEEL_DIR for any python3 here" >&2
  echo "[reference-setup] (set SWIFT_TORCH_WHEEL_DIR to the folder that has it)" >&2
  exit 3
fi

echo "[reference-setup] creating $VENV ($MODE; torch from $wheel)"
if ! "$PY" -m venv "$VENV" 2>/dev/null; then
  # Debian's own python3 needs its venv package for ensurepip.
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  pkg="python$("$PY" -c 'import sys;print("%d.%d" % sys.version_info[:2])')-venv"
  echo "[reference-setup] installing $pkg"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "$pkg" python3-venv
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
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
"$VENV/bin/python" -W ignore -c 'import torch; print("[reference-setup] torch", torch.__version__, torch.utils.cmake_prefix_path)'
echo "$VENV/bin/python"
