#!/usr/bin/env bash
# The miner on a machine with an NVIDIA GPU, no chain needed: lists the devices (index ↔ UUID ↔
# PCI for CUDA, NVML and Vulkan), checks every backend against the PoCPS test vectors through
# `ember-miner bench`, then seals, reloads and proves a dataset of each size given (GiB, default
# "1 16") on CUDA, timing the seal, tree, load and answer phases and reading host RSS, the
# device bytes and NVML's memory in use. Writes everything to $OUT (default ./gpu-check-out).
#
# A polkadot-sdk build does not fit a short GPU lease: build the miner beforehand
# (`cargo build --release --locked -p ember-miner`) and run this with EMBER_MINER pointing at
# the binary, e.g. on the lent machine: EMBER_MINER=./ember-miner scripts/gpu-check.sh 1 16 64
set -euo pipefail
MINER="${EMBER_MINER:-${CARGO_TARGET_DIR:-$HOME/.cache/ember/target}/release/ember-miner}"
OUT="${OUT:-$PWD/gpu-check-out}"
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1 16)
mkdir -p "$OUT"
[ -x "$MINER" ] || { echo "no ember-miner at $MINER: build it or set EMBER_MINER" >&2; exit 1; }

{ nvidia-smi --query-gpu=index,name,uuid,pci.bus_id,memory.total,driver_version --format=csv || true; } \
	> "$OUT/nvidia-smi.csv" 2>&1
"$MINER" devices | tee "$OUT/devices.txt"

# Kernels: throughput and a bit-for-bit check of each backend against the CPU reference.
"$MINER" bench --lanes 8192 --lane-len 256 --iterations 16 --json > "$OUT/bench.json"
cat "$OUT/bench.json"

for gib in "${SIZES[@]}"; do
	lanes=64
	lane_len=$(( gib * (1 << 19) ))
	for seal_on in auto cpu device; do
		name="dataset-${gib}g-cuda-${seal_on}"
		# NVML's view of device memory while the run holds its dataset.
		( while sleep 1; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null; done ) \
			> "$OUT/$name.vram-mib.txt" &
		watcher=$!
		/usr/bin/time -v "$MINER" --backend cuda --log info bench-dataset --lanes "$lanes" \
			--lane-len "$lane_len" --iterations 1 --seal-on "$seal_on" \
			> "$OUT/$name.json" 2> "$OUT/$name.log" || echo "$name failed: see $OUT/$name.log"
		kill "$watcher" 2>/dev/null || true
		echo "== $name"; cat "$OUT/$name.json"
		echo "peak VRAM in use (MiB): $(sort -n "$OUT/$name.vram-mib.txt" | tail -1)"
	done
done
