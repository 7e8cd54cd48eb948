// The fused row-block pass of the hyper-cleaning oracles (kernels.h, sgfblo_cuda_hc_pass):
// M X, the row operation and M^T R in one kernel, then a fixed-order reduction of the thread
// blocks' partial sums. It is the device form of the host's row-block pass
// (src/problem/hyperclean_blocks.c): the cuBLAS path reads M twice per product (the second
// GEMM finds nothing of it left in the L2 cache once M exceeds it) and launches three to five
// kernels; this reads each block of rows from memory once, while the second use finds it in
// L1/L2, and launches two.
//
// Thread blocks of kFusedThreads (8 warps) take blocks of kFusedRows rows of M, grid-strided
// over a grid of one wave (as many thread blocks as are resident at once, from the occupancy
// of the instance: sgfblo_cuda_hc_fused_plan). For each block of rows:
//   1. M_b [X | V]: warp w takes rows w, w + 8, ..., RPW at a time; lane l the features
//      j = l + 32 s; [X | V] sits in shared memory column by column (Xs[k d + j]), so a
//      warp's loads of it are consecutive words; the warp's sums end in lane k, which writes
//      Z[i, zcol + k] (global, coalesced);
//   2. the row operation (hyperclean_rows.cuh) on the block's rows, one thread per row, on
//      Z in global memory (the rows stay in L1/L2);
//   3. with out: R_b = Z_b[:, rcol : rcol + C) into shared memory, then thread t adds
//      M_b[r, j] R_b[r, k] for its features j = t + kFusedThreads f (f < FPT) and every k
//      into registers it keeps across all its blocks.
// Each thread block finally writes its d x C partial sum; k_hc_pass_reduce adds the partials
// in thread-block order in double, plus add_scale add, and rounds once.
#include <cuda_runtime.h>

#include "hyperclean_fused.cuh"

// The grid of one instance: its resident thread blocks, at most kMaxPartialReals / m.
static cudaError_t plan_one(int64_t d, int64_t C, bool two, int *grid) {
  *grid = 0;
  const hc_fused_kernel k = hc_fused_pick(d, C, two);
  if (!k) return cudaSuccess;
  int dev = 0, sms = 0, optin = 0, per_sm = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  if (e == cudaSuccess)
    e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
  if (e != cudaSuccess) return e;
  const size_t smem = hc_fused_smem(d, C, two);
  if (smem > (size_t)optin) return cudaSuccess;
  // The device's whole opt-in limit, not this shape's need: instances of other shapes share
  // the kernel, and a smaller limit set for a later one must not fail an earlier one's
  // launches. Occupancy follows the shared memory a launch asks for, not this limit.
  e = cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, optin);
  if (e == cudaSuccess)
    e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, k, kFusedThreads, smem);
  if (e != cudaSuccess) return e;
  int64_t g = (int64_t)per_sm * sms;
  const int64_t cap = kMaxPartialReals / (d * C);
  if (g > cap) g = cap;
  *grid = (int)(g > 0 ? g : 0);
  return cudaSuccess;
}

extern "C" int sgfblo_cuda_hc_fused_plan(int64_t d, int64_t C, int *grid_c, int *grid_2c) {
  *grid_c = *grid_2c = 0;
  if (d < 1 || C < 1) return 0;
  int g1 = 0, g2 = 0;
  cudaError_t e = plan_one(d, C, false, &g1);
  if (e == cudaSuccess) e = plan_one(d, C, true, &g2);
  if (e != cudaSuccess) return (int)e;
  if (g1 > 0 && g2 > 0) {  // both or neither: a pass never finds half a plan
    *grid_c = g1;
    *grid_2c = g2;
  }
  return 0;
}

extern "C" int sgfblo_cuda_hc_fused_run(const sgfblo_cuda_hc_pass *pass,
                                        const sgfblo_cuda_hc_rows *op, int grid,
                                        sgfblo_real *partial, void *stream) {
  const bool two = pass->V != nullptr;
  const hc_fused_kernel k = hc_fused_pick(pass->d, op->C, two);
  if (!k || grid < 1) return (int)cudaErrorInvalidConfiguration;
  cudaStream_t st = as_stream(stream);
  const int64_t nblocks = (pass->rows + kFusedRows - 1) / kFusedRows;
  const int G = (int)(nblocks < grid ? nblocks : grid);
  if (G > 0) {
    SGFBLO_LAUNCH_SYNC(G, kFusedThreads, hc_fused_smem(pass->d, op->C, two), st, k)
    (*pass, *op, pass->out ? partial : nullptr);
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return (int)e;
  }
  const int64_t m = pass->out ? pass->d * op->C : 0;
  if (m <= 0 && pass->side.n <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(m > pass->side.n ? m : pass->side.n), kThreads, 0, st, k_hc_pass_reduce)
  (partial, G, m, pass->scale, pass->add, pass->add_scale, pass->out, pass->side,
   (sgfblo_real)pass->side.a);
  return (int)cudaGetLastError();
}
