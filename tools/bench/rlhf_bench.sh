#!/usr/bin/env bash
# DPO speed and memory next to ms-swift (issue 15): one random Qwen2.5-0.5B-shaped model folder
# (swift create-model, the Qwen tokenizer test asset), a preference file of 64 generated rows,
# and the same `swift rlhf --rlhf_type dpo` command (LoRA, float32, CPU) run by swift.cpp and by
# ms-swift 4.6 from the reference venv (scripts/reference-setup.sh), paired by farm-bench (whole
# process: start-up included, peak RSS). Each side's own per-step time (train_speed(s/it) of its
# last log record, start-up excluded) is printed after.
#   bash tools/bench/rlhf_bench.sh [build dir]    (STEPS=6 RUNS=3 VENV=.venv-ref TUNER=lora)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(realpath "${1:-$root/build}")"
steps="${STEPS:-6}"
runs="${RUNS:-3}"
venv="$(realpath "${VENV:-$root/.venv-ref}")"
tuner="${TUNER:-lora}"
tok="${SWIFT_TEST_ASSETS:-$HOME/.cache/swift-cpp/test-assets}/tokenizers/qwen3"
[ -x "$venv/bin/swift" ] || { echo "no ms-swift in $venv: run bash scripts/reference-setup.sh" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HF_HUB_OFFLINE=1 MODELSCOPE_OFFLINE=1
"$build/bin/swift" create-model --tokenizer "$tok" --output_dir "$work/model" \
  --preset qwen2.5-0.5b --seed 1 > /dev/null
python3 - "$work/prefs.jsonl" <<'PY'
import json, sys
words = "river stone light garden winter paper music engine harbor forest".split()
with open(sys.argv[1], "w") as f:
    for i in range(64):
        w = [words[(i * 7 + k) % len(words)] for k in range(12)]
        q = "Write about " + " and ".join(w[:3]) + "."
        good = " ".join(w * 3) + "."
        bad = " ".join(reversed(w * 2)) + "."
        f.write(json.dumps({"messages": [{"role": "user", "content": q},
                                         {"role": "assistant", "content": good}],
                            "rejected_response": bad}) + "\n")
PY
args="--rlhf_type dpo --model $work/model --dataset $work/prefs.jsonl --tuner_type $tuner
  --torch_dtype float32 --max_steps $steps --per_device_train_batch_size 2
  --gradient_accumulation_steps 1 --learning_rate 1e-4 --logging_steps 1 --save_strategy no
  --dataset_shuffle false --split_dataset_ratio 0 --report_to none --seed 42 --dataloader_num_workers 0
  --model_type qwen2_5 --template qwen2_5 --use_hf true --lora_dropout 0"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== A: swift.cpp $build/bin/swift rlhf; B: ms-swift $("$venv/bin/python" -c 'import swift; print(swift.__version__)') (torch $("$venv/bin/python" -c 'import torch; print(torch.__version__)'))"
farm-bench -n "$runs" --warmup 0 --timeout 3600 \
  --vs "sh -c 'exec $venv/bin/swift rlhf $(echo $args) --output_dir $work/b >>$work/b.log 2>&1'" \
  -- sh -c "exec $build/bin/swift rlhf $(echo $args) --output_dir $work/a --disable_tqdm true >>$work/a.log 2>&1"
for side in a b; do
  last="$(ls -d "$work/$side"/v*/ 2>/dev/null | tail -n 1)"
  [ -n "$last" ] || { echo "$side: no run folder; log:"; tail -n 20 "$work/$side.log"; continue; }
  python3 - "$side" "$last/logging.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
steps = [r for r in recs if "loss" in r and "learning_rate" in r]
end = [r for r in recs if "train_runtime" in r]
name = {"a": "swift.cpp", "b": "ms-swift"}[sys.argv[1]]
print(f"{name}: train_speed(s/it) {steps[-1].get('train_speed(s/it)')}, train_runtime "
      f"{end[-1]['train_runtime'] if end else '?'} s, step-1 loss {steps[0]['loss']:.6f}, "
      f"last loss {steps[-1]['loss']:.6f}")
PY
done
