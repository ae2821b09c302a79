// Runs pocps.cu's kernels on the host, one "thread" at a time, for the parameters and encoding
// key in the environment (LANES, LEN, PARENTS, IT, EK); writes the labels (bytes) to $OUT and
// prints the Merkle root. scripts/check-cuda-kernel.sh compares both with the test vectors, so
// the CUDA kernels' logic is checked on machines without a GPU. With WALKS, STEPS, SEGMENT and
// STARTS (a file of each walk's start state, eight native words) also set, it then runs the
// residency round's walk kernel over the sealed labels, held in two chunks and in two launches
// (so chunk lookup and the state carried between launches are exercised), and writes the
// checkpoints (native words) to $CHECKPOINTS.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

int main() {
	const char *ek = getenv("EK");
	unsigned lanes = atoi(getenv("LANES")), len = atoi(getenv("LEN"));
	// Each lane sealed by its own launch (one thread), at its place in the buffer: the chunk
	// offsets (config[14], config[15]) are exercised as well as the labelling.
	unsigned config[16] = {1, len, (unsigned)atoi(getenv("PARENTS")), (unsigned)atoi(getenv("IT")), 0, len};
	for (int i = 0; i < 8; i++) sscanf(ek + 8 * i, "%8x", &config[6 + i]);
	size_t n = (size_t)lanes * len;
	std::vector<unsigned> data(n * 8);
	blockDim.x = 128;
	blockIdx.x = 0; threadIdx.x = 0;
	for (unsigned l = 0; l < lanes; l++) { config[14] = l; config[15] = l; seal(config, data.data()); }
	// The root: one subtree over every label (the vectors have at most 2^15).
	unsigned rows = 0;
	while ((1ull << rows) < n) rows++;
	unsigned tree_config[16] = {rows, 1, 0};
	unsigned root[8];
	subtrees(tree_config, data.data(), root);
	FILE *f = fopen(getenv("OUT"), "wb");
	for (size_t i = 0; i < n * 8; i++) {
		unsigned v = data[i];
		unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
		fwrite(b, 1, 4, f);
	}
	fclose(f);
	for (int k = 0; k < 8; k++) printf("%08x", root[k]);
	printf("\n");
	if (!getenv("WALKS")) return 0;
	unsigned walks = atoi(getenv("WALKS")), steps = atoi(getenv("STEPS")), segment = atoi(getenv("SEGMENT"));
	std::vector<unsigned> state(walks * 16), checkpoints((size_t)walks * (steps / segment) * 8);
	FILE *in = fopen(getenv("STARTS"), "rb");
	for (unsigned w = 0; w < walks; w++) {
		if (fread(&state[w * 16], 4, 8, in) != 8) return 1;
		memcpy(&state[w * 16 + 8], &state[w * 16], 32);
	}
	fclose(in);
	unsigned per_chunk = lanes > 1 ? lanes / 2 : 1;
	std::vector<unsigned> first(data.begin(), data.begin() + (size_t)per_chunk * len * 8);
	std::vector<unsigned> second(data.begin() + (size_t)per_chunk * len * 8, data.end());
	unsigned long long chunks[2] = {(unsigned long long)(uintptr_t)first.data(), (unsigned long long)(uintptr_t)second.data()};
	unsigned long long mask = n / 4 - 1;
	unsigned shift = 0;
	while ((4u << shift) < len) shift++;
	unsigned half = steps / segment / 2 * segment;
	unsigned launches[2][2] = {{0, half}, {half, steps}};
	for (auto &range : launches) {
		unsigned walk_config[16] = {walks, segment, range[0], range[1], steps / segment, (unsigned)mask,
		                            (unsigned)(mask >> 32), shift, per_chunk, len * 8};
		for (unsigned w = 0; w < walks; w++) {
			threadIdx.x = w % 128; blockIdx.x = w / 128;
			walk(walk_config, state.data(), checkpoints.data(), chunks);
		}
	}
	FILE *out = fopen(getenv("CHECKPOINTS"), "wb");
	fwrite(checkpoints.data(), 4, checkpoints.size(), out);
	fclose(out);
}
