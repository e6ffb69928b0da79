#!/usr/bin/env bash
# Runs every Google Benchmark binary built from bench/ (bench_*), briefly, and writes JSON results to
# bench-results/. Figures are only comparable within one run on one machine: compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
mkdir -p bench-results
shopt -s nullglob
for b in "$BUILD"/bench/bench_*; do
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_min_time=0.2 --benchmark_out="bench-results/$name.json" --benchmark_out_format=json
done
