// Runs pocps.cu's kernels on the host, one "thread" at a time, for the parameters and encoding
// key in the environment (LANES, LEN, PARENTS, IT, EK); writes the labels (bytes) to $OUT and
// prints the Merkle root. scripts/check-cuda-kernel.sh compares both with the test vectors, so
// the CUDA kernels' logic is checked on machines without a GPU.
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
}
