#!/usr/bin/env bash
# Runs the browser test of the chat page against mock_server.mjs (no C++ server needed): starts the
# mock on a free port, runs app_test.mjs with the mock-only checks, stops the mock.
#   bash tests/app/run_mock.sh [screenshot.png]     (default: tests/app/app-screenshot.png)
# Needs Debian's chromium and `npm ci` here: bash scripts/app-test-setup.sh
set -euo pipefail
cd "$(dirname "$0")"
SCREENSHOT="$(realpath -m "${1:-${SCREENSHOT:-app-screenshot.png}}")"
[ -d node_modules/playwright-core ] || { echo "[run_mock] run: bash scripts/app-test-setup.sh" >&2; exit 1; }

log="$(mktemp)"
node mock_server.mjs 0 >"$log" 2>&1 &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null || true; rm -f "$log"' EXIT
port=""
for _ in $(seq 100); do
  port="$(sed -n 's/^listening \([0-9]*\)$/\1/p' "$log")"
  [ -n "$port" ] && break
  kill -0 "$mock_pid" 2>/dev/null || { cat "$log" >&2; echo "[run_mock] mock server died" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "[run_mock] mock server did not start" >&2; exit 1; }
echo "[run_mock] mock server on port $port"
APP_URL="http://127.0.0.1:$port/" SCREENSHOT="$SCREENSHOT" APP_MOCK=1 node app_test.mjs
