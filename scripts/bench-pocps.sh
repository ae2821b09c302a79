#!/usr/bin/env bash
# CPU figures of the PoCPS primitives (criterion): label and SHA-256 rates, lane sealing,
# proving, verification, Merkle hashing. See docs/benchmarks.md for recorded results.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
cargo bench --locked -p ember-pocps --bench pocps -- --warm-up-time 1 --measurement-time 4 "$@"
