#!/usr/bin/env bash
# The README's main job on the built-in default (no download): the most complete path that runs
# today. It resolves and validates the bundled tiny Hugging Face models, checks them against
# transformers' own outputs when the model library is built, and shows how a training run's
# arguments resolve (config file + override) exactly as ms-swift would.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${SWIFT_BUILD_DIR:-build}/bin"
[ -x "$BIN/swift" ] || bash scripts/setup.sh

echo "== swift --help"
"$BIN/swift" --help
for arch in tests/data/hf/*/; do
  [ -f "$arch/config.json" ] || continue
  echo "== swift inspect --model $arch"
  "$BIN/swift" inspect --model "$arch"
done
modes=$("$BIN/swift-parity" --help 2>&1 || true)
if echo "$modes" | grep -q '^  model'; then
  echo "== swift-parity model tests/data/hf/* (logits, greedy ids, loss, gradients, LoRA/DoRA vs transformers)"
  "$BIN/swift-parity" model tests/data/hf/*/ > "${TMPDIR:-/tmp}/swift-demo-parity.txt" || true
  grep -E ' (logits|greedy_ids|loss|lora/merged_logits) ' "${TMPDIR:-/tmp}/swift-demo-parity.txt" || true
  echo "checks passed: $(grep -c ' PASS$' "${TMPDIR:-/tmp}/swift-demo-parity.txt"), failed: $(grep -c ' FAIL$' "${TMPDIR:-/tmp}/swift-demo-parity.txt" || true)"
fi
echo "== swift sft tests/data/demo/sft.yaml --learning_rate 2e-4 --show_args"
"$BIN/swift" sft tests/data/demo/sft.yaml --learning_rate 2e-4 --show_args
