#!/usr/bin/env bash
# The browser tests' dependencies (tests/browser, docs/WEB.md), called by scripts/install-deps.sh
# after the Debian packages (chromium and chromium-driver are in its list):
#   - node and npm: Debian's nodejs + npm, only when the commands are missing (a machine may
#     already have a newer Node.js from elsewhere; the tests need Node.js >= 18);
#   - playwright-core, exactly as tests/browser/package-lock.json pins it (`npm ci`), skipped when
#     node_modules already holds that lock file's install, so a second run needs no network.
# Idempotent. It never downloads a browser: the tests drive Debian's /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "install-browser-deps: installing nodejs npm"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

dir=tests/browser
stamp="$dir/node_modules/.ensemble-lock.sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$dir/node_modules/playwright-core/package.json" ]; then
  echo "install-browser-deps: $dir/node_modules up to date"
  exit 0
fi
echo "install-browser-deps: npm ci in $dir"
npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
echo "install-browser-deps: done"
