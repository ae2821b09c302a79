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

step "cargo test (unit, runtime and node smoke tests)"
cargo test --release --locked --workspace

step "polkadot.js end-to-end tests (e2e/tests)"
(cd e2e && EMBER_NODE="$NODE_BIN" npm test)

step "zombienet smoke test (4 validators)"
ZOMBIE_DIR="$(mktemp -d -t ember-zombienet-XXXX)"
PATH="$CARGO_TARGET_DIR/release:$PATH" \
	"$ROOT/e2e/node_modules/.bin/zombienet" --provider native --dir "$ZOMBIE_DIR/net" \
	test "$ROOT/zombienet/smoke.zndsl"

step "all tests passed"
