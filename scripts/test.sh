#!/usr/bin/env bash
# Every test: formatting, lints, unit and integration tests (including the node smoke tests),
# the runtime fuzzer (seeded mode, try-runtime checks, a short coverage-guided run), the
# polkadot.js end-to-end tests and the zombienet smoke and chaos tests. Stops at the first
# failure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"

step "cargo fmt --check"
cargo fmt --all --check
cargo fmt --manifest-path fuzz/Cargo.toml --check

# One profile (release) for clippy, tests and the binaries the end-to-end tests run, so a
# single copy of the dependencies is built and cached.
step "cargo clippy"
cargo clippy --release --locked --workspace --all-targets -- -D warnings

# The miner's Vulkan backend must run here (on lavapipe without a GPU), not skip.
step "cargo test (unit, runtime, node smoke and miner backend tests)"
EMBER_REQUIRE_VULKAN=1 cargo test --release --locked --workspace

# The fuzzer is its own workspace: its runtime has the `try-runtime` and `fast-time` features,
# which must never be unified into the node's. It runs natively (no wasm for that feature set).
step "runtime fuzzer: clippy, seeded op sequences and seeds, try-runtime upgrade and block checks"
SKIP_WASM_BUILD=1 cargo clippy --release --locked --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings
SKIP_WASM_BUILD=1 cargo test --release --locked --manifest-path fuzz/Cargo.toml

step "runtime fuzzer: 60 s coverage-guided (libFuzzer) from the seed corpus and regressions"
"$ROOT/scripts/fuzz.sh" 60

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

step "web app: type check and build (app/dist, which the market end-to-end test serves)"
(cd app && npm run build)

step "polkadot.js and browser end-to-end tests with the real node, miner and verifier (e2e/tests)"
# `cargo test` builds the node's and the miner's binaries for their own tests; the verifier
# has none, so its binary is built here (a no-op when up to date).
cargo build --release --locked -p ember-verifier
(cd e2e && EMBER_NODE="$NODE_BIN" EMBER_MINER="$CARGO_TARGET_DIR/release/ember-miner" \
	EMBER_VERIFIER="$CARGO_TARGET_DIR/release/ember-verifier" npm test)

step "zombienet smoke test (4 validators)"
ZOMBIE_DIR="$(mktemp -d -t ember-zombienet-XXXX)"
PATH="$CARGO_TARGET_DIR/release:$PATH" \
	"$ROOT/e2e/node_modules/.bin/zombienet" --provider native --dir "$ZOMBIE_DIR/net" \
	test "$ROOT/zombienet/smoke.zndsl"

step "zombienet chaos test (pause, kill and restart, set_code upgrade, flood; a miner answering)"
# The miner the test starts is stopped by its last step; if a step fails, stop it here.
trap 'kill "$(cat "${TMPDIR:-/tmp}/ember-chaos-miner.pid" 2>/dev/null)" 2>/dev/null || true' EXIT
# The runtime one spec version on, for the `set_code` step.
UPGRADE_WASM="$("$ROOT/scripts/upgrade-wasm.sh")"
CHAOS_DIR="$(mktemp -d -t ember-chaos-XXXX)"
PATH="$CARGO_TARGET_DIR/release:$PATH" EMBER_MINER="$CARGO_TARGET_DIR/release/ember-miner" \
	EMBER_RUNTIME_WASM="$UPGRADE_WASM" \
	"$ROOT/e2e/node_modules/.bin/zombienet" --provider native --dir "$CHAOS_DIR/net" \
	test "$ROOT/zombienet/chaos.zndsl"

step "all tests passed"
