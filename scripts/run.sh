#!/usr/bin/env bash
# The main job: set up, build, and start a development chain (one validator, Alice) that
# authors and finalizes blocks. Ctrl-C stops it. State lives in .ember/dev, so a restart carries
# on from the last finalized block; `scripts/run.sh --fresh` starts over.
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"

BASE="$ROOT/.ember/dev"
if [ "${1:-}" = "--fresh" ]; then
	rm -rf "$BASE"; shift
fi

step "ember-node --dev (RPC ws://127.0.0.1:9944, Prometheus http://127.0.0.1:9615/metrics)"
exec "$NODE_BIN" --dev --base-path "$BASE" --rpc-port 9944 --prometheus-port 9615 "$@"
