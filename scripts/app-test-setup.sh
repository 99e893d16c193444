#!/usr/bin/env bash
# Installs what the browser test of the `swift app` page (tests/app) needs on Debian 12/13,
# idempotent: Debian's chromium (apt, only when /usr/bin/chromium is missing), node + npm when
# missing, and the pinned playwright-core (`npm ci` in tests/app, skipped when already installed
# at the locked version). playwright-core downloads no browser; the test drives /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "[app-test-setup] installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The page uses system fonts; without any, Chromium draws no text in screenshots.
if ! fc-list 2>/dev/null | grep -q .; then
  $SUDO apt-get install -y -qq --no-install-recommends fonts-dejavu-core
fi

cd tests/app
want="$(node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")"
have="$(node -p "try { require('./node_modules/playwright-core/package.json').version } catch (e) { '' }")"
if [ "$have" != "$want" ]; then
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: nothing but the npm package is fetched.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
echo "[app-test-setup] ok: $(/usr/bin/chromium --version 2>/dev/null | head -1), playwright-core $want"
