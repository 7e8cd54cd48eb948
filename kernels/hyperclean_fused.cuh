// The kernels of the fused row-block pass (what they do: hyperclean_fused.cu), apart from
// their launchers so that tests/test_kernels_emulated.cpp can also run them on the host, on
// the kernel engine of emu/ (one fiber per CUDA thread). Included by .cu files and that test.
#ifndef SGFBLO_KERNELS_HYPERCLEAN_FUSED_CUH
#define SGFBLO_KERNELS_HYPERCLEAN_FUSED_CUH

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
  sgfblo_real *Xs = reinterpret_cast<sgfblo_real *>(SGFBLO_DYNAMIC_SMEM());
  const int d = (int)P.d, C = (int)op.C, kx = P.V ? 2 * C : C;
  sgfblo_real *Rs = Xs + (size_t)d * kx;  // kFusedRows x CM
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
          if (k < kx) {  // warp-uniform
            sgfblo_real s = z[q][k];
#pragma unroll
            for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
            if (lane == k) mine = s;
          }
        if (live[q] && lane < kx) op.Z[(i0 + r0 + q * kFusedWarps) * op.ld + P.zcol + lane] = mine;
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
    __syncthreads();  // Rs is rewritten by the next block
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

typedef void (*hc_fused_kernel)(sgfblo_cuda_hc_pass, sgfblo_cuda_hc_rows, sgfblo_real *);

// The instance for (C, kx, d), or NULL when the shape is not served: CM 10 with d up to 1024,
// CM 16 with d up to 512 (its registers would not hold FPT = 4).
template <int CM, int KXM>
static inline hc_fused_kernel hc_fused_by_fpt(int64_t d) {
  if (d <= 256) return k_hc_fused<CM, KXM, 1>;
  if (d <= 512) return k_hc_fused<CM, KXM, 2>;
  if constexpr (CM <= 10) {
    if (d <= 1024) return k_hc_fused<CM, KXM, 4>;
  }
  return nullptr;
}

static inline hc_fused_kernel hc_fused_pick(int64_t d, int64_t C, bool two) {
  if (C <= 10) return two ? hc_fused_by_fpt<10, 20>(d) : hc_fused_by_fpt<10, 10>(d);
  if (C <= 16) return two ? hc_fused_by_fpt<16, 32>(d) : hc_fused_by_fpt<16, 16>(d);
  return nullptr;
}

static inline int hc_fused_cm(int64_t C) { return C <= 10 ? 10 : 16; }

static inline size_t hc_fused_smem(int64_t d, int64_t C, bool two) {
  return sizeof(sgfblo_real) *
         ((size_t)d * (size_t)(two ? 2 * C : C) + (size_t)kFusedRows * (size_t)hc_fused_cm(C));
}

#endif /* SGFBLO_KERNELS_HYPERCLEAN_FUSED_CUH */
