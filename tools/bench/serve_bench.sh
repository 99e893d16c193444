#!/usr/bin/env bash
# The serving benchmark of issue 13, one run: a random Qwen2.5-0.5B-shaped model folder (swift
# create-model, the Qwen tokenizer test asset), the in-process engine (swift-bench decode --model)
# at each concurrency level, then `swift deploy` on the same folder under swift-bench serve at the
# same levels, and an optional soak (SOAK_S seconds at 8 streams) that samples the server's RSS.
#   bash tools/bench/serve_bench.sh [build dir]      (LEVELS="1 8 32" NEW_TOKENS=32 SOAK_S=0)
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/serving_port.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(realpath "${1:-$root/build}")"
levels="${LEVELS:-1 8 32}"
new_tokens="${NEW_TOKENS:-32}"
prompt_len="${PROMPT_LEN:-32}"
soak="${SOAK_S:-0}"
tok="${SWIFT_TEST_ASSETS:-$HOME/.cache/swift-cpp/test-assets}/tokenizers/qwen3"
work="$(mktemp -d)"
pid=""
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
export HF_HUB_OFFLINE=1
"$build/bin/swift" create-model --tokenizer "$tok" --output_dir "$work/model" \
  --preset qwen2.5-0.5b --seed 1 > /dev/null
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== in-process engine (swift-bench decode --model, prompt $prompt_len, $new_tokens new tokens)"
for c in $levels; do
  "$build/bin/swift-bench" decode --model "$work/model" --tokenizer "$tok" --prompt_len "$prompt_len" \
    --new_tokens "$new_tokens" --concurrency "$c" | grep -E "concurrent|batch 1" | tail -n 1
done
echo "== swift deploy + swift-bench serve (streamed /v1/completions, same prompts)"
maxc=0
for c in $levels; do [ "$c" -gt "$maxc" ] && maxc=$c; done
"$build/bin/swift" deploy --model "$work/model" --port 0 --host 127.0.0.1 --max_num_seqs "$maxc" \
  --log_interval -1 --verbose false > "$work/server.log" 2>&1 &
pid=$!
port="$(serving_port "$work/server.log" "$pid")"
"$build/bin/swift-bench" serve --url "http://127.0.0.1:$port" --concurrency "$(echo $levels | tr ' ' ',')" \
  --prompt_len "$prompt_len" --new_tokens "$new_tokens" --rounds 2
if [ "$soak" -gt 0 ]; then
  echo "== soak: $soak s at 8 streams; server RSS (MB) every 30 s"
  end=$((SECONDS + soak))
  while [ $SECONDS -lt $end ]; do
    "$build/bin/swift-bench" serve --url "http://127.0.0.1:$port" --concurrency 8 \
      --prompt_len "$prompt_len" --new_tokens "$new_tokens" --rounds 4 | grep concurrent
    echo "rss $(( $(grep VmRSS /proc/$pid/status | awk '{print $2}') / 1024 )) MB"
  done
fi
kill -TERM "$pid"
wait "$pid" && echo "== server exited 0"
pid=""
