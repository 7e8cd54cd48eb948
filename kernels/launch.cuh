// Launch helpers of the .cu files here: the block size, the grid of a grid-stride loop, the
// stream handed over as void *, and the side write of a row kernel (sgfblo_cuda_side).
#ifndef SGFBLO_KERNELS_LAUNCH_CUH
#define SGFBLO_KERNELS_LAUNCH_CUH

#include <cuda_runtime.h>

#include "kernels.h"

// SGFBLO_LAUNCH(grid, block, smem, stream, kernel)(args...) is
// kernel<<<grid, block, smem, stream>>>(args...); SGFBLO_LAUNCH_SYNC the same for a kernel
// whose threads meet at __syncthreads() or exchange values through warp shuffles. The two
// read the same to nvcc; the host emulation of emu/ (SGFBLO_CUDA_EMULATION) defines them to
// run a launch's threads one after another, or, for SYNC, as fibers that switch at each
// barrier.
#ifndef SGFBLO_LAUNCH
#define SGFBLO_LAUNCH(g, b, s, st, ...) __VA_ARGS__<<<g, b, s, st>>>
#define SGFBLO_LAUNCH_SYNC(g, b, s, st, ...) __VA_ARGS__<<<g, b, s, st>>>
#endif

static constexpr int kThreads = 256;     // threads per block of the grid-stride kernels
static constexpr int kMaxBlocks = 4096;  // their grid cap

static inline int grid_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return (int)(b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b));
}

static inline cudaStream_t as_stream(void *s) { return static_cast<cudaStream_t>(s); }

#define GRID_STRIDE(i, n)                                                   \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); \
       i += (int64_t)gridDim.x * blockDim.x)

// The side write of a row kernel (sgfblo_cuda_side), a = (sgfblo_real)side.a: the same
// product as k_axpby's with c = 0.
static __device__ inline void side_write(const sgfblo_cuda_side &side, sgfblo_real a) {
  GRID_STRIDE(j, side.n) side.out[j] = side.v ? a * side.v[j] : (sgfblo_real)0;
}

// The kernel's dynamic shared memory, 16-byte aligned (a macro: an emulation of the kernels
// on the host gives each thread block its own buffer instead).
#ifndef SGFBLO_DYNAMIC_SMEM
static __device__ inline unsigned char *sgfblo_dynamic_smem() {
  extern __shared__ __align__(16) unsigned char sgfblo_smem_[];
  return sgfblo_smem_;
}
#define SGFBLO_DYNAMIC_SMEM() sgfblo_dynamic_smem()
#endif

// One grid for the rows and the side write: the larger of the two.
static inline int grid_for_rows(int64_t rows, const sgfblo_cuda_side &side) {
  return grid_for(rows > side.n ? rows : side.n);
}

#endif /* SGFBLO_KERNELS_LAUNCH_CUH */
