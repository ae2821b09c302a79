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
	unsigned config[16] = {lanes, len, (unsigned)atoi(getenv("PARENTS")), (unsigned)atoi(getenv("IT")), 0, len};
	for (int i = 0; i < 8; i++) sscanf(ek + 8 * i, "%8x", &config[6 + i]);
	size_t n = (size_t)lanes * len;
	std::vector<unsigned> data(n * 8);
	blockDim.x = 128;
	for (unsigned l = 0; l < lanes; l++) { blockIdx.x = l / 128; threadIdx.x = l % 128; seal(config, data.data()); }
	std::vector<unsigned> tree((2 * n - 1) * 8);
	memcpy(tree.data(), data.data(), n * 32);
	unsigned long long in = 0, width = n;
	while (width > 1) {
		unsigned long long out = in + width, parents = width / 2;
		for (unsigned long long i = 0; i < parents; i++) {
			blockIdx.x = i / 128; threadIdx.x = i % 128;
			merkle(in, out, parents, tree.data());
		}
		in = out; width = parents;
	}
	FILE *f = fopen(getenv("OUT"), "wb");
	for (size_t i = 0; i < n * 8; i++) {
		unsigned v = data[i];
		unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
		fwrite(b, 1, 4, f);
	}
	fclose(f);
	for (int k = 0; k < 8; k++) printf("%08x", tree[in * 8 + k]);
	printf("\n");
}
