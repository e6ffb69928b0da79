#!/usr/bin/env bash
# CTest's entry to the browser tests (tests/CMakeLists.txt, label "browser"; docs/WEB.md).
# Skips (exit 77, ctest SKIP_RETURN_CODE) only when node or chromium is absent; a missing
# playwright-core is a failure, since scripts/install-deps.sh installs it.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")"
chromium=${ENSEMBLE_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (bash scripts/install-deps.sh installs it)"
  exit 77
fi
if [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
  echo "SKIP: chromium is not installed (bash scripts/install-deps.sh installs it)"
  exit 77
fi
if [ ! -f node_modules/playwright-core/package.json ]; then
  echo "FAIL: tests/browser/node_modules lacks playwright-core: run bash scripts/install-browser-deps.sh"
  exit 1
fi
export ENSEMBLE_CHROMIUM="$chromium"
exec node --test ui.test.mjs
