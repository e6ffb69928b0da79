#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: bash fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET
# New corpus entries go to BUILD_DIR/corpus-<target> (seeded from fuzz/corpus/<kind>, which is not
# modified); crashes are written to BUILD_DIR/artifacts/. Exit code 1 when any target crashed: fix the
# bug, then copy the crashing input into fuzz/regressions/<kind>/ so the normal suite replays it.
set -u
build=${1:-build-fuzz}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/artifacts"
status=0
for spec in fuzz_image_load:image:65536 fuzz_csv_reader:csv:8192; do
  IFS=: read -r target kind max_len <<<"$spec"
  work="$build/corpus-$target"
  mkdir -p "$work"
  echo "== $target: ${seconds}s (corpus $work + fuzz/corpus/$kind + fuzz/regressions/$kind)"
  "$build/$target" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 \
    -timeout=20 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
    "$work" "$here/corpus/$kind" "$here/regressions/$kind" 2>"$build/$target.log"
  rc=$?
  grep -E "^stat::(number_of_executed_units|peak_rss_mb|new_units_added)|^#[0-9]+.*DONE" "$build/$target.log"
  if [ $rc -ne 0 ]; then
    status=1
    echo "!! $target stopped with exit code $rc: see $build/$target.log and $build/artifacts/"
    grep -m5 -E "ERROR|SUMMARY|invariant|Test unit written" "$build/$target.log"
  fi
done
exit $status
