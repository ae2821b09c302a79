// PoCPS kernels for the CUDA backend, compiled at run time by NVRTC: the same bytes as
// `ember_pocps` and as pocps.wgsl (same structure, same word layout: hashes as eight big-endian
// words, messages as word arrays, little-endian integers byte-swapped into place).

typedef unsigned int u32;

__constant__ u32 K[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
	0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
	0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
	0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
	0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
	0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
	0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
	0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

__device__ __forceinline__ u32 rotr(u32 x, u32 n) { return __funnelshift_r(x, x, n); }
__device__ __forceinline__ u32 bswap(u32 x) { return __byte_perm(x, 0, 0x0123); }

__device__ void compress(u32 state[8], const u32 *block) {
	u32 w[64];
#pragma unroll
	for (int i = 0; i < 16; i++) w[i] = block[i];
#pragma unroll
	for (int i = 16; i < 64; i++) {
		u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
		u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	u32 a = state[0], b = state[1], c = state[2], d = state[3];
	u32 e = state[4], f = state[5], g = state[6], h = state[7];
#pragma unroll
	for (int i = 0; i < 64; i++) {
		u32 t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		u32 t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
	}
	state[0] += a; state[1] += b; state[2] += c; state[3] += d;
	state[4] += e; state[5] += f; state[6] += g; state[7] += h;
}

// SHA-256 of msg[0..words) (msg holds 96 words): pads in place, writes the digest to `state`.
__device__ void sha256(u32 *msg, u32 words, u32 state[8]) {
	u32 blocks = (words * 4 + 9 + 63) / 64;
	msg[words] = 0x80000000u;
	for (u32 i = words + 1; i < blocks * 16; i++) msg[i] = 0;
	msg[blocks * 16 - 1] = words * 32;
	state[0] = 0x6a09e667u; state[1] = 0xbb67ae85u; state[2] = 0x3c6ef372u; state[3] = 0xa54ff53au;
	state[4] = 0x510e527fu; state[5] = 0x9b05688cu; state[6] = 0x1f83d9abu; state[7] = 0x5be0cd19u;
	for (u32 b = 0; b < blocks; b++) compress(state, msg + b * 16);
}

// The DRSample parent of label `index` >= 1 for one digest word (ember_pocps::drsample_parent):
// a distance bucket [2^b, 2^(b+1)) with b uniform below the bit length of `index`, a distance
// uniform in it, the top bucket folded into [1, index].
__device__ __forceinline__ u32 drsample_parent(u32 word, u32 index) {
	u32 bits = 32u - (u32)__clz(index);
	if (bits == 0) bits = 1;
	u32 bucket = word % bits;
	u32 low = 1u << bucket;
	u32 distance = low + ((word / bits) & (low - 1u));
	if (distance > index) distance = distance % index + 1u;
	return index - distance;
}

__device__ void header(u32 *msg, const u32 *config, u32 domain0, u32 domain1, u32 lane) {
	msg[0] = domain0;
	msg[1] = domain1;
	for (int i = 0; i < 8; i++) msg[2 + i] = config[6 + i];
	msg[10] = bswap(lane);
}

// One thread per lane: seals label positions [from, to) of its lane. `data` is one chunk of
// the dataset: whole lanes, the first of them lane `config[15]` of the chunk.
// config: [lanes, lane_len, parents, iterations, from, to, ek (8 words), first lane of the
//          dataset, first lane of the chunk]
extern "C" __global__ void seal(const u32 *config, u32 *data) {
	u32 thread = blockIdx.x * blockDim.x + threadIdx.x;
	if (thread >= config[0]) return;
	u32 lane = config[14] + thread;
	u32 lane_len = config[1], parents = config[2], iterations = config[3];
	unsigned long long base = (unsigned long long)(config[15] + thread) * lane_len;
	u32 msg[96], state[8], seed[8], positions[8];

	header(msg, config, 0x454d4253u, 0x45454400u, lane);
	sha256(msg, 11, state);
	for (int k = 0; k < 8; k++) seed[k] = state[k];

	for (u32 index = config[4]; index < config[5]; index++) {
		if (index > 0) {
			header(msg, config, 0x454d4250u, 0x41524e54u, lane);
			msg[11] = bswap(index);
			sha256(msg, 12, state);
			for (u32 j = 0; j < parents; j++) positions[j] = drsample_parent(bswap(state[j]), index);
		}
		header(msg, config, 0x454d424cu, 0x4142454cu, lane);
		msg[11] = bswap(index);
		for (int k = 0; k < 8; k++)
			msg[12 + k] = index == 0 ? seed[k] : data[(base + index - 1) * 8 + k];
		for (u32 j = 0; j < parents; j++)
			for (int k = 0; k < 8; k++)
				msg[20 + j * 8 + k] = index == 0 ? seed[k] : data[(base + positions[j]) * 8 + k];
		sha256(msg, 20 + parents * 8, state);
		for (u32 i = 1; i < iterations; i++) {
			for (int k = 0; k < 8; k++) msg[k] = state[k];
			sha256(msg, 8, state);
		}
		for (int k = 0; k < 8; k++) data[(base + index) * 8 + k] = state[k];
	}
}

// One thread per subtree of 2^rows labels: hashed leaf by leaf with a stack of one pending node
// per height (ember_pocps::merkle::subtree_root). config: [rows, subtrees, first label, 0...]
extern "C" __global__ void subtrees(const u32 *config, const u32 *data, u32 *roots) {
	unsigned long long g = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
	if (g >= config[1]) return;
	unsigned long long width = 1ull << config[0];
	unsigned long long first = config[2] + g * width;
	u32 stack[16][8], msg[32], current[8];
	u32 height = 0;
	for (unsigned long long j = 0; j < width; j++) {
		for (int k = 0; k < 8; k++) current[k] = data[(first + j) * 8 + k];
		for (unsigned long long t = j; t & 1; t >>= 1) {
			height--;
			for (int k = 0; k < 8; k++) { msg[k] = stack[height][k]; msg[8 + k] = current[k]; }
			sha256(msg, 16, current);
		}
		for (int k = 0; k < 8; k++) stack[height][k] = current[k];
		height++;
	}
	for (int k = 0; k < 8; k++) roots[g * 8 + k] = stack[0][k];
}

__device__ __forceinline__ u32 rotl(u32 x, u32 n) { return n == 0 ? x : (x << n) | (x >> (32u - n)); }

// One thread per walk of a residency round (ember_pocps::round::run_walk), state and key in
// registers: runs steps [from, to) and writes a checkpoint every `segment` steps. `walks` holds
// per walk its state then its key (16 words), carried between launches; `chunks` the device
// pointers of the dataset's chunks (whole lanes each; a block never straddles a lane).
// config: [walks, segment, from, to, segments, block mask (low, high), log2 blocks per lane,
//          lanes per chunk, words per lane, 0...]
extern "C" __global__ void walk(const u32 *config, u32 *walks, u32 *checkpoints,
                                const unsigned long long *chunks) {
	unsigned long long w = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
	if (w >= config[0]) return;
	u32 segment = config[1], segments = config[4], lane_shift = config[7], per_chunk = config[8];
	unsigned long long mask = ((unsigned long long)config[6] << 32) | config[5];
	unsigned long long lane_words = config[9];
	u32 s[8], key[8];
	for (int k = 0; k < 8; k++) { s[k] = walks[w * 16 + k]; key[k] = walks[w * 16 + 8 + k]; }
	for (u32 step = config[2]; step < config[3]; step++) {
		u32 i = step & 7;
		unsigned long long block = (((unsigned long long)s[i] << 32) | s[(i + 1) & 7]) & mask;
		unsigned long long lane = block >> lane_shift;
		unsigned long long in_lane = block & ((1ull << lane_shift) - 1);
		const u32 *data = (const u32 *)chunks[lane / per_chunk];
		const u32 *blk = data + (lane % per_chunk) * lane_words + in_lane * 32;
		u32 r = step & 31;
		// Block words are the labels' big-endian words; the mix takes them little-endian.
#pragma unroll
		for (int j = 0; j < 32; j++) {
			int t = j & 7;
			s[t] = (s[t] * 0x01000193u) ^ bswap(blk[j]) ^ rotl(s[(t + 1) & 7], r) ^ key[t];
		}
		if ((step + 1) % segment == 0) {
			unsigned long long at = (w * segments + (step + 1) / segment - 1) * 8;
			for (int k = 0; k < 8; k++) checkpoints[at + k] = s[k];
		}
	}
	for (int k = 0; k < 8; k++) walks[w * 16 + k] = s[k];
}
