#!/usr/bin/env bash
# Checks the CUDA kernels (miner/src/backend/pocps.cu) against the PoCPS test vectors without a
# GPU: compiles them as C++ for the host (miner/tests/cuda-host) and compares labels and root.
# On a machine with a CUDA driver, `cargo test -p ember-miner` runs them on the GPU as well.
set -euo pipefail
source "$(dirname "$0")/common.sh"
WORK="$(mktemp -d -t ember-cuda-host-XXXX)"
trap 'rm -rf "$WORK"' EXIT
HOST="$ROOT/miner/tests/cuda-host"
cat "$HOST/host_shim.h" "$ROOT/miner/src/backend/pocps.cu" "$HOST/harness.cpp" > "$WORK/kernels.cpp"
clang++ -O2 -std=c++17 -o "$WORK/harness" "$WORK/kernels.cpp"
python3 - "$WORK" "$ROOT/primitives/pocps/test-vectors/vectors.json" <<'PY'
import hashlib, json, os, subprocess, sys
work, vectors = sys.argv[1], sys.argv[2]
for v in json.load(open(vectors)):
    p = v["params"]
    out = os.path.join(work, "labels.bin")
    env = dict(os.environ, EK=v["encoding_key"], LANES=str(p["lanes"]), LEN=str(p["lane_len"]),
               PARENTS=str(p["parents"]), IT=str(p["iterations"]), OUT=out)
    root = subprocess.run([os.path.join(work, "harness")], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()
    labels = hashlib.sha256(open(out, "rb").read()).hexdigest()
    if labels != v["labels_sha256"] or root != v["root"]:
        sys.exit(f"pocps.cu differs from the reference on vector {v['name']}")
    print(f"pocps.cu on the host: vector {v['name']} labels and root match")
PY
