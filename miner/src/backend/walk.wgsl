// The residency round's walk for the Vulkan backend: ember_pocps::round::run_walk, bit for bit.
//
// The backend compiles this after a generated prelude that binds the dataset's chunks
// (`chunk0`, `chunk1`, … at bindings 3 and up, one storage buffer of whole lanes each, labels as
// eight big-endian words) and defines `load_block(chunk, word)`, which copies the 32 words of
// one block from a chunk into `blk`: WGSL cannot index an array of buffers, so the prelude
// switches over them, once per step.

// [walks, segment, from, to, segments, block mask (low, high), log2 blocks per lane, lanes per
//  chunk, words per lane, 0…]
@group(0) @binding(0) var<storage, read> config: array<u32, 16>;
// Per walk 16 words: its state, then its key (its start state); carried between dispatches.
@group(0) @binding(1) var<storage, read_write> walks: array<u32>;
// Per walk `segments` checkpoints of 8 words, walk-major.
@group(0) @binding(2) var<storage, read_write> checkpoints: array<u32>;

var<private> blk: array<u32, 32>;

const FNV_PRIME: u32 = 0x01000193u;

fn bswap(x: u32) -> u32 {
	return (x << 24u) | ((x << 8u) & 0x00ff0000u) | ((x >> 8u) & 0x0000ff00u) | (x >> 24u);
}

fn rotl(x: u32, n: u32) -> u32 {
	if (n == 0u) {
		return x;
	}
	return (x << n) | (x >> (32u - n));
}

// One invocation per walk, state and key in registers; runs steps [from, to).
@compute @workgroup_size(64)
fn walk(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let w = id.y * groups.x * 64u + id.x;
	if (w >= config[0]) {
		return;
	}
	let segment = config[1];
	let segments = config[4];
	let mask_lo = config[5];
	let mask_hi = config[6];
	let lane_shift = config[7];
	let per_chunk = config[8];
	let lane_words = config[9];
	var s: array<u32, 8>;
	var key: array<u32, 8>;
	for (var k = 0u; k < 8u; k++) {
		s[k] = walks[w * 16u + k];
		key[k] = walks[w * 16u + 8u + k];
	}
	for (var step = config[2]; step < config[3]; step++) {
		// block_index: state words i (high) and i + 1 (low) under the dataset's mask.
		let i = step & 7u;
		let high = s[i] & mask_hi;
		let low = s[(i + 1u) & 7u] & mask_lo;
		var lane = low;
		if (lane_shift > 0u) {
			lane = (low >> lane_shift) | (high << (32u - lane_shift));
		}
		let in_lane = low & ((1u << lane_shift) - 1u);
		let word = (lane % per_chunk) * lane_words + in_lane * 32u;
		load_block(lane / per_chunk, word);
		// mix: word j of the block (little-endian, so byte-swapped from the label's big-endian
		// words) into state word j & 7, in order.
		let r = step & 31u;
		for (var j = 0u; j < 32u; j++) {
			let t = j & 7u;
			s[t] = (s[t] * FNV_PRIME) ^ bswap(blk[j]) ^ rotl(s[(t + 1u) & 7u], r) ^ key[t];
		}
		if ((step + 1u) % segment == 0u) {
			let at = (w * segments + (step + 1u) / segment - 1u) * 8u;
			for (var k = 0u; k < 8u; k++) {
				checkpoints[at + k] = s[k];
			}
		}
	}
	for (var k = 0u; k < 8u; k++) {
		walks[w * 16u + k] = s[k];
	}
}
