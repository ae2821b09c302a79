#!/usr/bin/env bash
# Release build of the node (and, with it, the wasm runtime) and the miner.
set -euo pipefail
source "$(dirname "$0")/common.sh"
step "cargo build --release -p ember-node -p ember-miner -p ember-verifier"
cd "$ROOT" && cargo build --release --locked -p ember-node -p ember-miner -p ember-verifier
