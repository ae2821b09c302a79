# Shared settings for the scripts in this folder; sourced, not run.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

# Builds go to one persistent target directory outside the checkout (CI reuses it between runs),
# and the wasm builder is told where the workspace is, since the target dir is outside it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ember/target}"
export WASM_BUILD_WORKSPACE_HINT="${WASM_BUILD_WORKSPACE_HINT:-$ROOT}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

NODE_BIN="$CARGO_TARGET_DIR/release/ember-node"
export NODE_BIN

step() { printf '\n==> %s\n' "$*"; }
