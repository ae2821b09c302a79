#!/usr/bin/env bash
# Builds the runtime one spec version on (feature `upgrade-test`) for the chaos test's
# `set_code` upgrade, and prints the path of its compressed blob.
#
# It runs the wasm builder's own cargo invocation (same target, RUSTFLAGS and profile) on a copy
# of its project, whose target directory starts as a copy of the wasm builder's: only the
# runtime crate recompiles, and the node's embedded runtime is never touched. Run after the
# node is built (scripts/build.sh).
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

WBUILD="$CARGO_TARGET_DIR/release/wbuild/ember-runtime"
UPGRADE="$CARGO_TARGET_DIR/upgrade-wbuild/ember-runtime"
[ -f "$WBUILD/Cargo.toml" ] || { echo "no $WBUILD: build the node first (scripts/build.sh)" >&2; exit 1; }
mkdir -p "$UPGRADE"
[ -d "$UPGRADE/target" ] || cp -r "$WBUILD/target" "$UPGRADE/target"
cp "$WBUILD/Cargo.lock" "$UPGRADE/Cargo.lock"
rm -rf "$UPGRADE/src" && cp -r "$WBUILD/src" "$UPGRADE/src"
sed 's/^features = \[\]$/features = ["upgrade-test"]/' "$WBUILD/Cargo.toml" > "$UPGRADE/Cargo.toml"
grep -q 'features = \["upgrade-test"\]' "$UPGRADE/Cargo.toml" \
	|| { echo "the wasm builder's project no longer looks as expected: $WBUILD/Cargo.toml" >&2; exit 1; }

# What substrate-wasm-builder 35 passes for `build_using_defaults` on wasm32v1-none.
CARGO_TARGET_DIR="$UPGRADE/target" SKIP_WASM_BUILD= \
	RUSTFLAGS="-C link-arg=--export-table -C link-arg=--export=__heap_base -C link-arg=--import-memory --cfg substrate_runtime" \
	cargo rustc --target=wasm32v1-none --manifest-path="$UPGRADE/Cargo.toml" --profile release --locked >&2

BLOB="$UPGRADE/target/wasm32v1-none/release/ember_runtime.wasm"
OUT="$UPGRADE/ember_runtime.upgrade.compressed.wasm"
# sp-maybe-compressed-blob's zstd prefix, then the zstd frame.
{ printf '\x52\xbc\x53\x76\x46\xdb\x8e\x05'; zstd -q -9 -c "$BLOB"; } > "$OUT"
echo "$OUT"
