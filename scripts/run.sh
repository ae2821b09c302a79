#!/usr/bin/env bash
# The main job: set up, build, start a development chain (one validator, Alice) and a miner
# (account //Dave, cpu backend, the cpu-dev class) that registers its device, seals it, and
# answers every PoCPS challenge. Ctrl-C stops both. State lives in .ember/ (chain in dev/,
# miner in miner/), so a restart carries on; `scripts/run.sh --fresh` starts over.
# Extra arguments go to `ember-miner run`; EMBER_BACKEND=vulkan (or cuda) picks another backend.
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"

STATE="$ROOT/.ember"
if [ "${1:-}" = "--fresh" ]; then
	rm -rf "$STATE/dev" "$STATE/miner"; shift
fi
mkdir -p "$STATE"

step "ember-node --dev (RPC ws://127.0.0.1:9944, Prometheus http://127.0.0.1:9615/metrics, log .ember/node.log)"
"$NODE_BIN" --dev --base-path "$STATE/dev" --rpc-port 9944 --prometheus-port 9615 >"$STATE/node.log" 2>&1 &
NODE_PID=$!
trap 'kill "$NODE_PID" 2>/dev/null; wait "$NODE_PID" 2>/dev/null' EXIT
for _ in $(seq 60); do
	kill -0 "$NODE_PID" 2>/dev/null || { tail -20 "$STATE/node.log"; exit 1; }
	curl -sf -H 'Content-Type: application/json' -d '{"id":1,"jsonrpc":"2.0","method":"system_health"}' \
		http://127.0.0.1:9944 >/dev/null && break
	sleep 1
done

step "ember-miner run (//Dave, cpu-dev; metrics http://127.0.0.1:9616/metrics)"
"$CARGO_TARGET_DIR/release/ember-miner" --url ws://127.0.0.1:9944 --suri //Dave --backend "${EMBER_BACKEND:-cpu}" \
	--base-path "$STATE/miner" run --class cpu-dev "$@"
