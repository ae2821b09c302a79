// PoCPS kernels for the Vulkan backend: the same bytes as `ember_pocps` (primitives/pocps).
//
// SHA-256 on 32-bit words only (64-bit shader integers are optional on many devices). Hashes are
// kept as eight big-endian words, the form SHA-256 computes them in; the host converts.
// Message fields are all multiples of 4 bytes, so messages are streamed word by word; the
// little-endian integers of the construction (lane, index) are byte-swapped into place.

// seal:     [lanes, lane_len, parents, iterations, from, to, ek (8 words), first lane of the
//            dataset, first lane of the buffer]
// subtrees: [rows, subtrees, first label, 0...]
@group(0) @binding(0) var<storage, read> config: array<u32, 16>;
// Labels of whole lanes, lane-major, 8 words each: one chunk of the device's dataset.
@group(0) @binding(1) var<storage, read_write> data: array<u32>;
// subtrees: one root per subtree (seal binds a placeholder).
@group(0) @binding(2) var<storage, read_write> roots: array<u32>;

var<private> K: array<u32, 64> = array<u32, 64>(
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
	0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
	0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
	0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
	0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
	0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
	0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
	0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
);

// Streaming SHA-256: `begin`, `push` one word at a time, `finish`; the digest is in `state`.
// Only one 16-word block is ever held, which keeps the kernels' private memory small.
var<private> block: array<u32, 16>;
var<private> fill: u32;
var<private> total: u32;
var<private> state: array<u32, 8>;

fn rotr(x: u32, n: u32) -> u32 {
	return (x >> n) | (x << (32u - n));
}

// A little-endian integer as the big-endian word holding the same bytes.
fn bswap(x: u32) -> u32 {
	return (x << 24u) | ((x << 8u) & 0x00ff0000u) | ((x >> 8u) & 0x0000ff00u) | (x >> 24u);
}

fn compress() {
	var w: array<u32, 64>;
	for (var i = 0u; i < 16u; i++) {
		w[i] = block[i];
	}
	for (var i = 16u; i < 64u; i++) {
		let s0 = rotr(w[i - 15u], 7u) ^ rotr(w[i - 15u], 18u) ^ (w[i - 15u] >> 3u);
		let s1 = rotr(w[i - 2u], 17u) ^ rotr(w[i - 2u], 19u) ^ (w[i - 2u] >> 10u);
		w[i] = w[i - 16u] + s0 + w[i - 7u] + s1;
	}
	var a = state[0];
	var b = state[1];
	var c = state[2];
	var d = state[3];
	var e = state[4];
	var f = state[5];
	var g = state[6];
	var h = state[7];
	for (var i = 0u; i < 64u; i++) {
		let t1 = h + (rotr(e, 6u) ^ rotr(e, 11u) ^ rotr(e, 25u)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		let t2 = (rotr(a, 2u) ^ rotr(a, 13u) ^ rotr(a, 22u)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
	state[4] += e;
	state[5] += f;
	state[6] += g;
	state[7] += h;
}

fn begin() {
	state = array<u32, 8>(
		0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
		0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
	);
	fill = 0u;
	total = 0u;
}

fn push(word: u32) {
	block[fill] = word;
	fill += 1u;
	total += 1u;
	if (fill == 16u) {
		compress();
		fill = 0u;
	}
}

fn finish() {
	let bits = total * 32u;
	block[fill] = 0x80000000u;
	fill += 1u;
	// The 64-bit length takes the last two words of a block.
	if (fill > 14u) {
		for (; fill < 16u; fill++) {
			block[fill] = 0u;
		}
		compress();
		fill = 0u;
	}
	for (; fill < 15u; fill++) {
		block[fill] = 0u;
	}
	block[15] = bits;
	compress();
}

// Pushes a hash held as eight words.
fn push_state(words: array<u32, 8>) {
	for (var k = 0u; k < 8u; k++) {
		push(words[k]);
	}
}

// "EMB…" domain, encoding key, lane: the common prefix of every per-lane message.
fn header(domain0: u32, domain1: u32, lane: u32) {
	begin();
	push(domain0);
	push(domain1);
	for (var i = 0u; i < 8u; i++) {
		push(config[6u + i]);
	}
	push(bswap(lane));
}

// The DRSample parent of label `index` >= 1 for one digest word (ember_pocps::drsample_parent):
// a distance bucket [2^b, 2^(b+1)) with b uniform below the bit length of `index`, a distance
// uniform in it, the top bucket folded into [1, index].
fn drsample_parent(word: u32, index: u32) -> u32 {
	let bits = max(32u - countLeadingZeros(index), 1u);
	let bucket = word % bits;
	let low = 1u << bucket;
	var distance = low + ((word / bits) & (low - 1u));
	if (distance > index) {
		distance = distance % index + 1u;
	}
	return index - distance;
}

fn label_word(label: u32, k: u32) -> u32 {
	return data[label * 8u + k];
}

// One invocation per lane: seals label positions [from, to) of its lane.
@compute @workgroup_size(64)
fn seal(@builtin(global_invocation_id) id: vec3<u32>) {
	let lanes = config[0];
	if (id.x >= lanes) {
		return;
	}
	let lane = config[14] + id.x;
	let lane_len = config[1];
	let parents = config[2];
	let iterations = config[3];
	let base = (config[15] + id.x) * lane_len;

	// The lane seed: SHA-256("EMBSEED\0" ‖ ek ‖ lane).
	header(0x454d4253u, 0x45454400u, lane);
	finish();
	let seed = state;

	for (var index = config[4]; index < config[5]; index++) {
		// Parents: words of SHA-256("EMBPARNT" ‖ ek ‖ lane ‖ index), little-endian, each
		// mapped to a DRSample parent.
		var positions: array<u32, 8>;
		if (index > 0u) {
			header(0x454d4250u, 0x41524e54u, lane);
			push(bswap(index));
			finish();
			for (var j = 0u; j < parents; j++) {
				positions[j] = drsample_parent(bswap(state[j]), index);
			}
		}
		// SHA-256("EMBLABEL" ‖ ek ‖ lane ‖ index ‖ predecessor ‖ parents…), then re-hashed.
		header(0x454d424cu, 0x4142454cu, lane);
		push(bswap(index));
		if (index == 0u) {
			for (var j = 0u; j <= parents; j++) {
				push_state(seed);
			}
		} else {
			for (var k = 0u; k < 8u; k++) {
				push(label_word(base + index - 1u, k));
			}
			for (var j = 0u; j < parents; j++) {
				for (var k = 0u; k < 8u; k++) {
					push(label_word(base + positions[j], k));
				}
			}
		}
		finish();
		for (var i = 1u; i < iterations; i++) {
			let previous = state;
			begin();
			push_state(previous);
			finish();
		}
		for (var k = 0u; k < 8u; k++) {
			data[(base + index) * 8u + k] = state[k];
		}
	}
}

// One thread per subtree of 2^rows labels: hashes them leaf by leaf with a stack of one pending
// node per height (ember_pocps::merkle::subtree_root), so a thread holds rows + 1 nodes.
@compute @workgroup_size(64)
fn subtrees(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
	let g = id.y * groups.x * 64u + id.x;
	if (g >= config[1]) {
		return;
	}
	let width = 1u << config[0];
	let first = config[2] + g * width;
	var stack: array<array<u32, 8>, 16>;
	var height = 0u;
	for (var j = 0u; j < width; j++) {
		var current: array<u32, 8>;
		for (var k = 0u; k < 8u; k++) {
			current[k] = data[(first + j) * 8u + k];
		}
		var t = j;
		while ((t & 1u) == 1u) {
			height -= 1u;
			begin();
			push_state(stack[height]);
			push_state(current);
			finish();
			current = state;
			t = t >> 1u;
		}
		stack[height] = current;
		height += 1u;
	}
	for (var k = 0u; k < 8u; k++) {
		roots[g * 8u + k] = stack[0][k];
	}
}
