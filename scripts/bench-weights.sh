#!/usr/bin/env bash
# Regenerates the weights.rs of Ember's pallets with `ember-node benchmark pallet`
# (frame-benchmarking v2, wasm execution, dev chain). The benchmarking node is built with
# `--features runtime-benchmarks` into its own target directory, so the everyday build is not
# disturbed. Run on the machine the weights should describe; the files record it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

BENCH_TARGET="${BENCH_TARGET_DIR:-$HOME/.cache/ember/bench-target}"
# frame-benchmarking-cli's storage-access test runtime does not build from a crates.io checkout
# (the wasm builder cannot find its package entry); `benchmark storage` is not used here.
export SKIP_FRAME_STORAGE_ACCESS_TEST_RUNTIME_WASM_BUILD=1

step "build ember-node with runtime-benchmarks"
CARGO_TARGET_DIR="$BENCH_TARGET" cargo build --release --locked -p ember-node --features runtime-benchmarks

# Median slopes: `on_initialize` has two components; least squares over points where one of them
# is always at its maximum gives a spurious 4.7 ms intercept, charged to every block.
for pallet in ${PALLETS:-device-registry pocps compute-price}; do
	step "benchmark pallet_${pallet//-/_}"
	"$BENCH_TARGET/release/ember-node" benchmark pallet \
		--chain dev \
		--pallet "pallet_${pallet//-/_}" \
		--extrinsic '*' \
		--steps "${STEPS:-20}" \
		--repeat "${REPEAT:-5}" \
		--output-analysis median-slopes \
		--template scripts/frame-weight-template.hbs \
		--output "pallets/$pallet/src/weights.rs"
done
