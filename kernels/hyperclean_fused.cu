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

#include "hyperclean_rows.cuh"
#include "kernels.h"
#include "launch.cuh"

static constexpr int kFusedThreads = 256;
static constexpr int kFusedWarps = kFusedThreads / 32;
static constexpr int kFusedRows = 32;
// Partial sums of one pass, at most (reals): bounds the grid for large d C.
static constexpr int64_t kMaxPartialReals = (int64_t)1 << 23;

// CM: the largest C the instance serves (10 or 16); KXM: its largest column count (CM or
// 2 CM); FPT: features per thread in the M^T R phase (d <= 256 FPT). RPW rows per warp at once
// share each load of [X | V] from shared memory. ptxas (CUDA 13, sm_90) keeps every instance
// in registers without spills: 128 to 255 of them in float64, 80 to 154 in float32.
template <int CM, int KXM, int FPT>
static __global__ void __launch_bounds__(kFusedThreads)
    k_hc_fused(sgfblo_cuda_hc_pass P, sgfblo_cuda_hc_rows op, sgfblo_real *__restrict__ partial) {
  constexpr int RPW = KXM <= 20 ? 2 : 1;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  sgfblo_real *Xs = reinterpret_cast<sgfblo_real *>(smem_raw);
  const int d = (int)P.d, C = (int)op.C, kx = P.V ? 2 * C : C;
  sgfblo_real *Rs = Xs + (size_t)d * kx; // kFusedRows x CM
  const int t = threadIdx.x, lane = t & 31, warp = t >> 5;
  const sgfblo_real *__restrict__ M = P.M;
  // [X | V] column by column: read in memory order, written transposed.
  for (int e = t; e < d * C; e += kFusedThreads) {
    const int j = e / C, k = e % C;
    Xs[k * d + j] = P.X[e];
    if (P.V) Xs[(C + k) * d + j] = P.V[e];
  }
  sgfblo_real acc[FPT][CM];
#pragma unroll
  for (int f = 0; f < FPT; ++f)
#pragma unroll
    for (int k = 0; k < CM; ++k) acc[f][k] = 0;
  __syncthreads();
  const int64_t nblocks = (P.rows + kFusedRows - 1) / kFusedRows;
  for (int64_t blk = blockIdx.x; blk < nblocks; blk += gridDim.x) {
    const int64_t i0 = blk * kFusedRows;
    const int n = (int)(P.rows - i0 < kFusedRows ? P.rows - i0 : kFusedRows);
    // 1. Z_b = M_b [X | V]. Rows r0 + q kFusedWarps, q < RPW, of which those past n are zeros.
    for (int r0 = warp; r0 < n; r0 += RPW * kFusedWarps) {
      const sgfblo_real *a[RPW];
      bool live[RPW];
      sgfblo_real z[RPW][KXM];
#pragma unroll
      for (int q = 0; q < RPW; ++q) {
        const int r = r0 + q * kFusedWarps;
        live[q] = r < n;
        a[q] = M + (i0 + (live[q] ? r : r0)) * (int64_t)d;
#pragma unroll
        for (int k = 0; k < KXM; ++k) z[q][k] = 0;
      }
#pragma unroll 4
      for (int j = lane; j < d; j += 32) {
        sgfblo_real aj[RPW];
#pragma unroll
        for (int q = 0; q < RPW; ++q) aj[q] = live[q] ? a[q][j] : (sgfblo_real)0;
#pragma unroll
        for (int k = 0; k < KXM; ++k)
          if (k < kx) {
            const sgfblo_real xk = Xs[k * d + j];
#pragma unroll
            for (int q = 0; q < RPW; ++q) z[q][k] += aj[q] * xk;
          }
      }
#pragma unroll
      for (int q = 0; q < RPW; ++q) {
        sgfblo_real mine = 0;
#pragma unroll
        for (int k = 0; k < KXM; ++k)
          if (k < kx) { // warp-uniform
            sgfblo_real s = z[q][k];
#pragma unroll
            for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
            if (lane == k) mine = s;
          }
        if (live[q] && lane < kx)
          op.Z[(i0 + r0 + q * kFusedWarps) * op.ld + P.zcol + lane] = mine;
      }
    }
    __syncthreads();
    // 2. The row operation, one thread per row.
    if (t < n) hc_row(op, i0 + t);
    __syncthreads();
    if (!partial) continue;
    // 3. The block's share of M^T R.
    for (int e = t; e < kFusedRows * CM; e += kFusedThreads) {
      const int r = e / CM, k = e % CM;
      Rs[e] = r < n && k < C ? op.Z[(i0 + r) * op.ld + P.rcol + k] : (sgfblo_real)0;
    }
    __syncthreads();
#pragma unroll 2
    for (int r = 0; r < n; ++r) {
      const sgfblo_real *ar = M + (i0 + r) * (int64_t)d;
#pragma unroll
      for (int f = 0; f < FPT; ++f) {
        const int j = t + kFusedThreads * f;
        if (j < d) {
          const sgfblo_real aj = ar[j];
#pragma unroll
          for (int k = 0; k < CM; ++k) acc[f][k] += aj * Rs[r * CM + k];
        }
      }
    }
    __syncthreads(); // Rs is rewritten by the next block
  }
  if (!partial) return;
  const int64_t m = (int64_t)d * C;
#pragma unroll
  for (int f = 0; f < FPT; ++f) {
    const int j = t + kFusedThreads * f;
    if (j < d)
#pragma unroll
      for (int k = 0; k < CM; ++k)
        if (k < C) partial[blockIdx.x * m + (int64_t)j * C + k] = acc[f][k];
  }
}

// out[e] = add_scale add[e] + scale sum_q partial[q m + e] (q in order, in double, rounded
// once), plus the side write.
static __global__ void k_hc_pass_reduce(const sgfblo_real *partial, int G, int64_t m, double scale,
                                        const sgfblo_real *add, double add_scale, sgfblo_real *out,
                                        sgfblo_cuda_side side, sgfblo_real side_a) {
  side_write(side, side_a);
  GRID_STRIDE(e, m) {
    double s = 0;
    for (int q = 0; q < G; ++q) s += (double)partial[q * m + e];
    const double base = add ? add_scale * (double)add[e] : 0.0;
    out[e] = (sgfblo_real)(base + scale * s);
  }
}

typedef void (*fused_kernel)(sgfblo_cuda_hc_pass, sgfblo_cuda_hc_rows, sgfblo_real *);

// The instance for (C, kx, d), or NULL when the shape is not served: CM 10 with d up to 1024,
// CM 16 with d up to 512 (its registers would not hold FPT = 4).
template <int CM, int KXM>
static fused_kernel by_fpt(int64_t d) {
  if (d <= 256) return k_hc_fused<CM, KXM, 1>;
  if (d <= 512) return k_hc_fused<CM, KXM, 2>;
  if constexpr (CM <= 10) {
    if (d <= 1024) return k_hc_fused<CM, KXM, 4>;
  }
  return nullptr;
}

static fused_kernel pick(int64_t d, int64_t C, bool two) {
  if (C <= 10) return two ? by_fpt<10, 20>(d) : by_fpt<10, 10>(d);
  if (C <= 16) return two ? by_fpt<16, 32>(d) : by_fpt<16, 16>(d);
  return nullptr;
}

static int cm_of(int64_t C) { return C <= 10 ? 10 : 16; }

static size_t smem_of(int64_t d, int64_t C, bool two) {
  return sizeof(sgfblo_real) * ((size_t)d * (size_t)(two ? 2 * C : C) +
                                (size_t)kFusedRows * (size_t)cm_of(C));
}

// The grid of one instance: its resident thread blocks, at most kMaxPartialReals / m.
static cudaError_t plan_one(int64_t d, int64_t C, bool two, int *grid) {
  *grid = 0;
  const fused_kernel k = pick(d, C, two);
  if (!k) return cudaSuccess;
  int dev = 0, sms = 0, optin = 0, per_sm = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev);
  if (e == cudaSuccess)
    e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev);
  if (e != cudaSuccess) return e;
  const size_t smem = smem_of(d, C, two);
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
  if (g1 > 0 && g2 > 0) { // both or neither: a pass never finds half a plan
    *grid_c = g1;
    *grid_2c = g2;
  }
  return 0;
}

extern "C" int sgfblo_cuda_hc_fused_run(const sgfblo_cuda_hc_pass *pass,
                                        const sgfblo_cuda_hc_rows *op, int grid,
                                        sgfblo_real *partial, void *stream) {
  const bool two = pass->V != nullptr;
  const fused_kernel k = pick(pass->d, op->C, two);
  if (!k || grid < 1) return (int)cudaErrorInvalidConfiguration;
  cudaStream_t st = as_stream(stream);
  const int64_t nblocks = (pass->rows + kFusedRows - 1) / kFusedRows;
  const int G = (int)(nblocks < grid ? nblocks : grid);
  if (G > 0) {
    k<<<G, kFusedThreads, smem_of(pass->d, op->C, two), st>>>(*pass, *op,
                                                             pass->out ? partial : nullptr);
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return (int)e;
  }
  const int64_t m = pass->out ? pass->d * op->C : 0;
  if (m <= 0 && pass->side.n <= 0) return 0;
  k_hc_pass_reduce<<<grid_for(m > pass->side.n ? m : pass->side.n), kThreads, 0, st>>>(
      partial, G, m, pass->scale, pass->add, pass->add_scale, pass->out, pass->side,
      (sgfblo_real)pass->side.a);
  return (int)cudaGetLastError();
}
