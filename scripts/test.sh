#!/usr/bin/env bash
# Every test: formatting, lints, unit and integration tests (including the node smoke tests),
# the polkadot.js end-to-end tests and the zombienet smoke test. Stops at the first failure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"

step "cargo fmt --check"
cargo fmt --all --check

# One profile (release) for clippy, tests and the binaries the end-to-end tests run, so a
# single copy of the dependencies is built and cached.
step "cargo clippy"
cargo clippy --release --locked --workspace --all-targets -- -D warnings

# The miner's Vulkan backend must run here (on lavapipe without a GPU), not skip.
step "cargo test (unit, runtime, node smoke and miner backend tests)"
EMBER_REQUIRE_VULKAN=1 cargo test --release --locked --workspace

step "economic simulator: short runs of each experiment, CSV and PNG written"
SIM_OUT="$(mktemp -d -t ember-sim-XXXX)"
"$CARGO_TARGET_DIR/release/ember-sim" --out "$SIM_OUT" price --seeds 2 --hours 96
"$CARGO_TARGET_DIR/release/ember-sim" --out "$SIM_OUT" survival --seeds 2 --months 2 --growth 0,0.12
"$CARGO_TARGET_DIR/release/ember-sim" --out "$SIM_OUT" stakes --max 14
"$CARGO_TARGET_DIR/release/ember-sim" --out "$SIM_OUT" batched --days 3
for file in price.csv price.png survival.csv survival.png survival-runs.png stakes.csv batched.csv batched.png; do
	[ -s "$SIM_OUT/$file" ] || { echo "ember-sim did not write $file" >&2; exit 1; }
done

step "CUDA kernels compiled for the host against the PoCPS test vectors"
"$ROOT/scripts/check-cuda-kernel.sh"

step "polkadot.js end-to-end tests with the real node and miner (e2e/tests)"
(cd e2e && EMBER_NODE="$NODE_BIN" EMBER_MINER="$CARGO_TARGET_DIR/release/ember-miner" npm test)

step "zombienet smoke test (4 validators)"
ZOMBIE_DIR="$(mktemp -d -t ember-zombienet-XXXX)"
PATH="$CARGO_TARGET_DIR/release:$PATH" \
	"$ROOT/e2e/node_modules/.bin/zombienet" --provider native --dir "$ZOMBIE_DIR/net" \
	test "$ROOT/zombienet/smoke.zndsl"

step "all tests passed"
