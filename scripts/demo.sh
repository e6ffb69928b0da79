#!/usr/bin/env bash
# The demo: generate the built-in sample (44,000 products from Fashion-MNIST, 100 lookbooks), import
# it into demo/ensemble.db, run every pipeline stage, and print counts, per-stage timings and paths.
# Re-running reuses the generated sample and the database: imports and stages are incremental.
# ENSEMBLE_DEMO_SMALL=1 uses the small preset (seconds).
# At the end it serves the database over HTTP (`ensemble serve`: the web UI and docs/API.md) in the
# foreground until Ctrl-C; ENSEMBLE_DEMO_NO_SERVE=1 skips that, ENSEMBLE_DEMO_PORT picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BUILD:-build}/tools/ensemble
OUT=${ENSEMBLE_DEMO_DIR:-demo}
if [ -n "${ENSEMBLE_DEMO_SMALL:-}" ]; then
  OUT=${ENSEMBLE_DEMO_DIR:-demo-small}; SAMPLE_ARGS=(--small)
else
  SAMPLE_ARGS=()
fi
DB="$OUT/ensemble.db"
mkdir -p "$OUT"
t() { date +%s.%N; }
step() { printf '\n== %s\n' "$*"; }
since() { awk -v a="$1" -v b="$(t)" 'BEGIN { printf "%.1f s", b - a }'; }

step "sample data -> $OUT/sample"
t0=$(t)
if [ -f "$OUT/sample/ground_truth.json" ]; then
  echo "reusing $OUT/sample (delete it to regenerate)"
else
  rm -rf "$OUT/sample"
  "$BIN" sample --out "$OUT/sample" "${SAMPLE_ARGS[@]}"
fi
echo "($(since "$t0"))"

step "catalog import"
t0=$(t)
"$BIN" --db "$DB" catalog import "$OUT/sample/catalog.csv"
echo "($(since "$t0"))"

step "lookbooks import"
t0=$(t)
"$BIN" --db "$DB" lookbooks import "$OUT/sample/lookbooks"
echo "($(since "$t0"))"

step "pipeline"
"$BIN" --db "$DB" run --report "$OUT/report.json"

step "store"
"$BIN" --db "$DB" stats

cat <<MSG

Database: $DB (media in ${DB%.db}.media/)
Report:   $OUT/report.json   (lineage: $BIN --db $DB runs)
Sample:   $OUT/sample/ (catalog.csv, lookbooks/, ground_truth.json)
MSG

if [ -n "${ENSEMBLE_DEMO_NO_SERVE:-}" ]; then
  exit 0
fi
PORT=${ENSEMBLE_DEMO_PORT:-8080}
step "server (Ctrl-C to stop)"
echo "Open http://127.0.0.1:$PORT/"
exec "$BIN" --db "$DB" serve --host 127.0.0.1 --port "$PORT"
