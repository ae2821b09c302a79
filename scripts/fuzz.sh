#!/usr/bin/env bash
# The runtime fuzzer, coverage-guided: libFuzzer through cargo-fuzz, on the nightly toolchain
# installed beside the pinned stable one (`rustup toolchain list`: nightly, rustc 1.97.0-nightly
# 2026-05-19; nothing newer can be fetched). Instrumented release build with debug assertions and
# overflow checks, no sanitizer (the runtime forbids unsafe code; ASan would halve the rate).
#
#   scripts/fuzz.sh [SECONDS]    default 3600: the long run docs/benchmarks.md records; CI runs 60
#
# Starts from the seed corpus (the runtime and pallet tests' scenarios, `ember-fuzz seeds`) and
# every kept regression input; a crash stops the run and leaves its input in
# fuzz/artifacts/runtime/. Keep it as fuzz/regressions/<name> once fixed: `cargo test` replays it.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

RUN_SECONDS="${1:-3600}"
case "$RUN_SECONDS" in
''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] (a whole number of seconds)" >&2; exit 2 ;;
esac
NIGHTLY="${EMBER_FUZZ_TOOLCHAIN:-nightly}"
rustup run "$NIGHTLY" rustc --version >/dev/null 2>&1 || {
	echo "no '$NIGHTLY' toolchain: cargo-fuzz needs a nightly (see rustup toolchain list)" >&2
	exit 1
}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2

# The fuzzer runs the runtime natively: no wasm blob is built for its feature set.
export SKIP_WASM_BUILD=1
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/ember/fuzz-target}"
step "cargo +$NIGHTLY fuzz build (libFuzzer, instrumented)"
cargo "+$NIGHTLY" fuzz build -O -a -s none --features libfuzzer --target-dir "$FUZZ_TARGET_DIR" runtime
FUZZER="$FUZZ_TARGET_DIR/x86_64-unknown-linux-gnu/release/runtime"

step "seed corpus"
cargo build --release --locked --manifest-path fuzz/Cargo.toml --bin ember-fuzz
CORPUS="$ROOT/fuzz/corpus/runtime"
mkdir -p "$CORPUS" "$ROOT/fuzz/artifacts/runtime"
"$CARGO_TARGET_DIR/release/ember-fuzz" seeds "$CORPUS" >/dev/null
find "$ROOT/fuzz/regressions" -type f ! -name '*.md' -exec cp {} "$CORPUS/" \;

step "fuzzing for $RUN_SECONDS s (libFuzzer status lines: cov = edges covered, ft = features, corp = corpus)"
STATS="$ROOT/fuzz/artifacts/stats.txt"
rm -f "$STATS"
START=$(date +%s)
set +e
EMBER_FUZZ_STATS="$STATS" "$FUZZER" -max_total_time="$RUN_SECONDS" -timeout=60 -rss_limit_mb=4096 \
	-max_len=4096 -print_final_stats=1 -artifact_prefix="$ROOT/fuzz/artifacts/runtime/" "$CORPUS" \
	2>&1 | tee "$ROOT/fuzz/artifacts/fuzz.log" | grep -E --line-buffered '#[0-9]+.*(NEW|REDUCE|pulse|DONE|INITED)|^stat::|panicked|oracle failed|ERROR|SUMMARY'
STATUS=${PIPESTATUS[0]}
set -e
echo "wall time: $(($(date +%s) - START)) s"
[ -s "$STATS" ] && echo "harness counters (every 50 inputs): $(cat "$STATS")"
if [ "$STATUS" -ne 0 ]; then
	echo "the fuzzer found a failure (exit $STATUS): inputs in fuzz/artifacts/runtime/" >&2
	exit "$STATUS"
fi
