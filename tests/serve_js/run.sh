#!/usr/bin/env bash
# Runs openai_client_test.mjs (the official openai npm client, pinned in package-lock.json)
# against `swift deploy` on the qwen3 e2e fixture model with a LoRA adapter, then stops the
# server with SIGTERM and checks that it exits 0. Usage: run.sh <path to swift>.
# Skips (exit 77, a CTest skip) when the tokenizer test asset is missing.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/serving_port.sh"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
swift="$1"
tok="${SWIFT_TEST_ASSETS:-$HOME/.cache/swift-cpp/test-assets}/tokenizers/qwen3"
if [ ! -f "$tok/tokenizer.json" ]; then
  echo "SKIP: no qwen3 tokenizer asset (scripts/fetch-test-assets.sh)"
  exit 77
fi
command -v node >/dev/null || { echo "node is needed (apt-get install nodejs npm)"; exit 1; }
if [ ! -d "$here/node_modules/openai" ]; then
  (cd "$here" && npm ci --silent --no-audit --no-fund)
fi
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/model"
cp "$root/tests/data/e2e/qwen3_e2e/"* "$work/model/"
cp "$tok/"* "$work/model/"
export HF_HUB_OFFLINE=1
"$swift" sft --model "$work/model" --dataset "$root/tests/data/demo/self_cognition.jsonl" \
  --output_dir "$work/sft" --add_version false --max_steps 2 --save_steps 2 --lora_rank 4 \
  --learning_rate 5e-2 --split_dataset_ratio 0 > "$work/sft.log" 2>&1 ||
  { cat "$work/sft.log"; exit 1; }
# The model folder is named after the fixture so the served name is qwen3_e2e.
mv "$work/model" "$work/qwen3_e2e"
"$swift" deploy --model "$work/qwen3_e2e" --port 0 --api_key sk-js \
  --adapters "lora1=$work/sft/checkpoint-2" --max_model_len 512 --log_interval -1 \
  > "$work/server.log" 2>&1 &
pid=$!
port="$(serving_port "$work/server.log" "$pid")"
status=0
BASE_URL="http://127.0.0.1:$port/v1" API_KEY=sk-js ADAPTER=lora1 \
  GOLDENS="$root/tests/data/e2e/qwen3_e2e/e2e_golden.jsonl" \
  node "$here/openai_client_test.mjs" || status=$?
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
if [ "$code" -ne 0 ]; then
  echo "FAIL: swift deploy exited $code after SIGTERM"
  tail -n 20 "$work/server.log"
  exit 1
fi
echo "ok   SIGTERM: the server exited 0"
[ "$status" -eq 0 ] || tail -n 30 "$work/server.log"
exit "$status"
