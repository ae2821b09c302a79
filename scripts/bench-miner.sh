#!/usr/bin/env bash
# Miner figures: criterion benchmarks of the CPU kernels, then `ember-miner bench` on every
# backend present (CPU, Vulkan — lavapipe without a GPU — and CUDA where a driver is installed).
# Extra arguments go to `ember-miner bench` (e.g. `--lanes 8192` on a GPU). See
# docs/benchmarks.md for recorded results.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
cargo bench --locked -p ember-miner --bench kernels -- --warm-up-time 1 --measurement-time 5
cargo build --release --locked -p ember-miner
"$CARGO_TARGET_DIR/release/ember-miner" bench "$@"
