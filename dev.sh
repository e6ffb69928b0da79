#!/usr/bin/env bash
# The README's quick start, runnable on a bare Debian 12 machine (only bash needed):
#   bash dev.sh demo   install missing packages, build (Release), generate the sample, run the pipeline
#   bash dev.sh test   install missing packages, build, run the whole test suite
# It installs the Debian packages first (make and the compilers among them), then runs the Makefile
# target of the same name. Other targets: demo-small, bench, build.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:-}
case "$target" in
  demo|test|demo-small|bench|build) ;;
  *) echo "usage: bash dev.sh demo|test|demo-small|bench|build" >&2; exit 1 ;;
esac
bash scripts/install-deps.sh
exec make --no-print-directory "$target"
