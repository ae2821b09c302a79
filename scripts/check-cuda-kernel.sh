#!/usr/bin/env bash
# Checks the CUDA kernels (miner/src/backend/pocps.cu) against the PoCPS test vectors without a
# GPU: compiles them as C++ for the host (miner/tests/cuda-host) and compares labels and root,
# and the residency round's walk checkpoints with a transcription of ember_pocps::round's walk.
# On a machine with a CUDA driver, `cargo test -p ember-miner` runs them on the GPU as well.
set -euo pipefail
source "$(dirname "$0")/common.sh"
WORK="$(mktemp -d -t ember-cuda-host-XXXX)"
trap 'rm -rf "$WORK"' EXIT
HOST="$ROOT/miner/tests/cuda-host"
cat "$HOST/host_shim.h" "$ROOT/miner/src/backend/pocps.cu" "$HOST/harness.cpp" > "$WORK/kernels.cpp"
clang++ -O2 -std=c++17 -o "$WORK/harness" "$WORK/kernels.cpp"
python3 - "$WORK" "$ROOT/primitives/pocps/test-vectors/vectors.json" <<'PY'
import hashlib, json, os, struct, subprocess, sys
work, vectors = sys.argv[1], sys.argv[2]
M = 0xFFFFFFFF

# ember_pocps::round, transcribed: walk_start, block_index, mix, run_walk.
def walk_start(device, seed, nonce, walk):
    digest = hashlib.sha256(b"EMBWALK0" + struct.pack("<Q", device) + seed + nonce + struct.pack("<I", walk)).digest()
    return list(struct.unpack("<8I", digest))

def run_walk(labels, blocks, key, steps, segment):
    state, checkpoints = list(key), []
    for step in range(steps):
        i = step & 7
        block = ((state[i] << 32) | state[(i + 1) & 7]) & (blocks - 1)
        words = struct.unpack("<32I", labels[block * 128:block * 128 + 128])
        r = step & 31
        for j, word in enumerate(words):
            t, nxt = j & 7, state[((j & 7) + 1) & 7]
            rot = ((nxt << r) | (nxt >> (32 - r))) & M if r else nxt
            state[t] = ((state[t] * 0x01000193) & M) ^ word ^ rot ^ key[t]
        if (step + 1) % segment == 0:
            checkpoints.append(list(state))
    return checkpoints

WALKS, STEPS, SEGMENT = 8, 128, 16
for v in json.load(open(vectors)):
    p = v["params"]
    out = os.path.join(work, "labels.bin")
    starts_file = os.path.join(work, "starts.bin")
    checkpoints_file = os.path.join(work, "checkpoints.bin")
    starts = [walk_start(3, bytes([1] * 32), bytes([2] * 32), w) for w in range(WALKS)]
    with open(starts_file, "wb") as f:
        for start in starts:
            f.write(struct.pack("=8I", *start))
    env = dict(os.environ, EK=v["encoding_key"], LANES=str(p["lanes"]), LEN=str(p["lane_len"]),
               PARENTS=str(p["parents"]), IT=str(p["iterations"]), OUT=out, WALKS=str(WALKS),
               STEPS=str(STEPS), SEGMENT=str(SEGMENT), STARTS=starts_file,
               CHECKPOINTS=checkpoints_file)
    root = subprocess.run([os.path.join(work, "harness")], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()
    label_bytes = open(out, "rb").read()
    labels = hashlib.sha256(label_bytes).hexdigest()
    if labels != v["labels_sha256"] or root != v["root"]:
        sys.exit(f"pocps.cu differs from the reference on vector {v['name']}")
    print(f"pocps.cu on the host: vector {v['name']} labels and root match")
    blocks = p["lanes"] * p["lane_len"] // 4
    expected = [c for start in starts for c in run_walk(label_bytes, blocks, start, STEPS, SEGMENT)]
    raw = open(checkpoints_file, "rb").read()
    got = [list(struct.unpack_from("=8I", raw, 32 * i)) for i in range(len(raw) // 32)]
    if got != expected:
        sys.exit(f"pocps.cu's walk differs from the reference on vector {v['name']}")
    print(f"pocps.cu on the host: vector {v['name']} walk checkpoints match ({len(got)})")
PY
