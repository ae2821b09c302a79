// Lets pocps.cu compile as plain C++ for a host run: CUDA qualifiers become nothing, the three
// intrinsics it uses get bit-exact host versions, and thread indices are globals the harness sets.
#include <cstdint>
#define __global__
#define __device__
#define __constant__
#define __forceinline__ inline
struct dim3s { unsigned x, y, z; };
static dim3s blockIdx, blockDim, threadIdx;
static inline unsigned __funnelshift_r(unsigned lo, unsigned hi, unsigned shift) {
  shift &= 31; uint64_t v = ((uint64_t)hi << 32) | lo; return (unsigned)(v >> shift);
}
// CUDA's __clz(0) is 32; the builtin is undefined at 0, so guard it.
static inline int __clz(unsigned x) { return x == 0 ? 32 : __builtin_clz(x); }
static inline unsigned __byte_perm(unsigned x, unsigned y, unsigned s) {
  uint64_t v = ((uint64_t)y << 32) | x; unsigned r = 0;
  for (int i = 0; i < 4; i++) { unsigned sel = (s >> (4 * i)) & 7; r |= (unsigned)((v >> (8 * sel)) & 0xff) << (8 * i); }
  return r;
}
