#!/usr/bin/env bash
# Runs the economic simulator's three experiments at the sizes docs/economics.md reports and
# copies the plots into docs/sim/. Extra arguments go to every run (e.g. --jobs 4).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

step "build ember-sim"
cargo build --release --locked -p ember-sim
SIM="$CARGO_TARGET_DIR/release/ember-sim"
OUT="${SIM_OUT:-$CARGO_TARGET_DIR/sim}"

step "base price under demand shocks: 16 seeds × 30 days"
"$SIM" --out "$OUT" "$@" price --seeds 16 --hours 720
step "survival against monthly demand growth: 16 seeds × 24 months × 6 rates"
"$SIM" --out "$OUT" "$@" survival --seeds 16 --months 24 --growth 0,0.04,0.08,0.12,0.16,0.20
step "base price under daily-batched demand: steady 1× vs once a day 1×, 3×, 10×, 28 days"
"$SIM" --out "$OUT" "$@" batched --days 28
step "stake result against its length"
"$SIM" --out "$OUT" "$@" stakes --max 36

mkdir -p docs/sim
cp "$OUT"/{price.png,survival.png,survival-runs.png,survival.csv,stakes.csv,batched.png} docs/sim/
step "plots and summaries in docs/sim/, full CSVs in $OUT"
