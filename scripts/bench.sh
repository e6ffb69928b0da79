#!/usr/bin/env bash
# The benchmark command (docs/BENCHMARKS.md):
#
#   scripts/bench.sh [--scale small|reference|10x] [--compare OLD.json] [--json FILE] [--micro]
#                    [--skip baseline,incremental,scaling,retrieval,serving] [--lookbooks N] [--sizes N,N,...]
#
# Generates the sample at the chosen scale (default: reference = 44,000 products, 100 lookbooks),
# imports it, runs each pipeline stage as its own process and prints one table: stage, items, wall
# time, items/s, CPU utilisation (user+sys / wall), peak RSS, the ratio to a baseline measured in the
# same run, the target. Then the incremental runs (+10 lookbooks, +1,000 products), exact-product
# retrieval on the real sample, and vector search from 10K to 100K products (1M with --scale 10x)
# against brute force, FAISS and hnswlib settings. Results go to BUILD/bench-work/SCALE/bench-SCALE.json;
# --compare an earlier one to see the change. --micro also runs the Google Benchmark binaries.
# Figures are only comparable within one run on one machine: compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
exec /usr/bin/python3 scripts/bench_driver.py --build "$BUILD" "$@"
