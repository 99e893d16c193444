#!/usr/bin/env bash
# The browser test of the chat page against the real `swift app` (qwen3 e2e fixture model with
# the real tokenizer): starts it on a free port, runs app_test.mjs in headless Chromium, stops it
# with SIGTERM and checks that it exits 0. Usage: run_real.sh <path to swift> [screenshot.png].
# Exit 77 (a CTest skip) when chromium, playwright-core or the tokenizer asset is missing; they
# come from scripts/app-test-setup.sh and scripts/fetch-test-assets.sh.
set -euo pipefail
source "$(dirname "$0")/../../scripts/lib/serving_port.sh"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
swift="$1"
shot="$(realpath -m "${2:-$(mktemp -d)/app.png}")"
tok="${SWIFT_TEST_ASSETS:-$HOME/.cache/swift-cpp/test-assets}/tokenizers/qwen3"
[ -f "$tok/tokenizer.json" ] || { echo "SKIP: no qwen3 tokenizer asset"; exit 77; }
[ -x /usr/bin/chromium ] || { echo "SKIP: no /usr/bin/chromium (scripts/app-test-setup.sh)"; exit 77; }
[ -d "$here/node_modules/playwright-core" ] || { echo "SKIP: no playwright-core (scripts/app-test-setup.sh)"; exit 77; }
work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/qwen3_e2e"
cp "$root/tests/data/e2e/qwen3_e2e/"* "$tok/"* "$work/qwen3_e2e/"
HF_HUB_OFFLINE=1 "$swift" app --model "$work/qwen3_e2e" --server_port 0 --server_name 127.0.0.1 \
  --max_new_tokens 24 --temperature 0 --log_interval -1 --studio_title "swift.cpp chat" \
  > "$work/app.log" 2>&1 &
pid=$!
port="$(serving_port "$work/app.log" "$pid")"
status=0
APP_URL="http://127.0.0.1:$port/" SCREENSHOT="$shot" node "$here/app_test.mjs" || status=$?
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
[ "$code" -eq 0 ] || { echo "FAIL: swift app exited $code after SIGTERM"; tail -n 20 "$work/app.log"; exit 1; }
[ "$status" -eq 0 ] || tail -n 30 "$work/app.log"
exit "$status"
