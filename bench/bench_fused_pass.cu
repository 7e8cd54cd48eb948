// bench_fused_pass: how fast one hyper-cleaning product pass can be on the GPU, measured two
// ways on the same data, as the evidence for fusing the device oracles (PERFORMANCE.md,
// issue 5's profile-guided work):
//
//   cublas: what src/problem/hyperclean_cuda.c does today: Z = A y (cuBLAS GEMM), the rows
//           R_i = softmax(z_i) - e_{b_i} (one thread per row), out = (1/N) A^T R (cuBLAS
//           GEMM). Three launches; A is read twice from memory once it exceeds the L2 cache.
//   fused:  what the host oracles do since the row blocks (src/problem/hyperclean_blocks.c):
//           one kernel whose thread blocks each take blocks of 32 rows of A, form their logits
//           (one warp per row), the softmax rows in shared memory and the block's share of
//           A^T R while the rows are still in L1/L2, accumulated per thread block; then one
//           kernel adds the per-block partial sums in a fixed order (the same bits on every
//           run on one device: the order depends on the grid, sized from the SM count). Two
//           launches; A read once from DRAM if the block's rows are still cached when A^T R
//           reads them again (resident blocks x 32 rows x d must stay well inside L2: confirm
//           with Nsight Compute's DRAM bytes before citing it).
//
// For each size it prints the median time of each path over 20 runs after 3 warm-up runs
// (CUDA events), the bandwidth of one read of A over that time against a measured
// device-to-device copy, and the largest difference between the two results relative to the
// largest entry (they sum in different orders: float64 agrees to about 1e-13, float32 to 1e-5).
//
//   bench_fused_pass [N d C ...]     default: 1000000 784 10  200000 784 10  5000 82 10
//
// Not part of the test suite, and the library does not use the fused kernel yet: the
// numbers decide whether it should. C must be at most 16 and d at most 1024.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "sgfblo/sgfblo_types.h"

typedef sgfblo_real real;

#define CUDA_OK(call)                                                                      \
  do {                                                                                     \
    cudaError_t e_ = (call);                                                               \
    if (e_ != cudaSuccess) {                                                               \
      std::fprintf(stderr, "bench_fused_pass: %s failed at %s:%d: %s\n", #call, __FILE__,  \
                   __LINE__, cudaGetErrorString(e_));                                      \
      std::exit(1);                                                                        \
    }                                                                                      \
  } while (0)
#define BLAS_OK(call)                                                                      \
  do {                                                                                     \
    cublasStatus_t s_ = (call);                                                            \
    if (s_ != CUBLAS_STATUS_SUCCESS) {                                                     \
      std::fprintf(stderr, "bench_fused_pass: %s failed at %s:%d: status %d\n", #call,     \
                   __FILE__, __LINE__, (int)s_);                                           \
      std::exit(1);                                                                        \
    }                                                                                      \
  } while (0)

static constexpr int kRows = 32;    // rows of A per block of the fused kernel
static constexpr int kThreads = 256; // 8 warps, 4 rows each
static constexpr int kCMax = 16;
// The fused kernel's warps take kRows / 8 rows each, two at a time.
static_assert(kThreads == 256 && kRows % 16 == 0, "8 warps, an even number of rows per warp");

// Deterministic fill: uniform in [-scale, scale) from a hash of the index.
static __global__ void k_fill(real *x, int64_t n, uint32_t seed, real scale) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    uint32_t h = (uint32_t)i * 2654435761u ^ seed;
    h ^= h >> 16;
    h *= 2246822519u;
    h ^= h >> 13;
    x[i] = scale * ((real)(h & 0xffffff) / (real)0x800000 - (real)1);
  }
}

static __global__ void k_labels(int32_t *b, int64_t n, int C) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    b[i] = (int32_t)((i * 7) % C);
}

// z <- softmax(z) - e_b in place, the label entry as minus the other probabilities (as
// sgfblo_hc_softmax_rows with minus_onehot).
static __device__ void softmax_minus_onehot(real *z, int C, int b) {
  real mx = z[0];
  for (int k = 1; k < C; ++k) mx = z[k] > mx ? z[k] : mx;
  real s = 0;
  for (int k = 0; k < C; ++k) {
    z[k] = exp(z[k] - mx);
    s += z[k];
  }
  real others = 0;
  for (int k = 0; k < C; ++k) others += k != b ? z[k] : (real)0;
  const real inv = (real)1 / s;
  for (int k = 0; k < C; ++k) z[k] *= inv;
  z[b] = -others * inv;
}

// The cuBLAS path's row kernel: one thread per row of Z (N x C, leading dimension C).
static __global__ void k_rows(real *Z, int64_t N, int C, const int32_t *b) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < N;
       i += (int64_t)gridDim.x * blockDim.x)
    softmax_minus_onehot(Z + i * C, C, b[i]);
}

// The fused pass, for C <= CM. Dynamic shared memory: y (d x C), then the block's R
// (kRows x CM). A warp takes 4 rows of each block of 32, two at a time, its loop over the
// row unrolled by 4 (eight loads of A in flight per lane); the A^T R loop over the block's
// rows is unrolled by 4 too. Thread t owns features j = t + kThreads f (f < FPT) of the thread block's
// partial A^T R and keeps them in registers across all the row blocks it takes; at the end it
// writes them to partial[blockIdx.x * m + j C + k].
template <int FPT, int CM>
static __global__ void __launch_bounds__(kThreads)
    k_fused(const real *__restrict__ A, const real *__restrict__ y, const int32_t *__restrict__ b,
            int64_t N, int d, int C, real *__restrict__ partial) {
  extern __shared__ unsigned char smem_raw[];
  real *ys = reinterpret_cast<real *>(smem_raw);
  real *Rs = ys + (size_t)d * C;
  const int t = threadIdx.x, lane = t & 31, warp = t >> 5;
  for (int e = t; e < d * C; e += kThreads) ys[e] = y[e];
  real acc[FPT][CM];
#pragma unroll
  for (int f = 0; f < FPT; ++f)
#pragma unroll
    for (int k = 0; k < CM; ++k) acc[f][k] = 0;
  __syncthreads();
  const int64_t nblocks = (N + kRows - 1) / kRows;
  for (int64_t blk = blockIdx.x; blk < nblocks; blk += gridDim.x) {
    const int64_t i0 = blk * kRows;
    // Logits and rows: warp w takes rows 4w .. 4w + 3 of the block, two at a time.
    for (int rr = 0; rr < kRows / 8; rr += 2) {
      const int r0 = warp * (kRows / 8) + rr;
      const int64_t ia = i0 + r0, ib = ia + 1;
      real za[CM], zb[CM];
#pragma unroll
      for (int k = 0; k < CM; ++k) za[k] = zb[k] = 0;
      const real *a0 = A + (ia < N ? ia : 0) * d, *a1 = A + (ib < N ? ib : 0) * d;
#pragma unroll 4
      for (int j = lane; j < d; j += 32) {
        const real x0 = ia < N ? a0[j] : (real)0, x1 = ib < N ? a1[j] : (real)0;
#pragma unroll
        for (int k = 0; k < CM; ++k)
          if (k < C) {
            const real yk = ys[j * C + k];
            za[k] += x0 * yk;
            zb[k] += x1 * yk;
          }
      }
#pragma unroll
      for (int k = 0; k < CM; ++k)
        for (int off = 16; off > 0; off >>= 1) {
          za[k] += __shfl_xor_sync(0xffffffffu, za[k], off);
          zb[k] += __shfl_xor_sync(0xffffffffu, zb[k], off);
        }
      if (lane < 2) { // lane 0 finishes row r0, lane 1 row r0 + 1
        real *z = lane == 0 ? za : zb;
        const int64_t i = ia + lane;
        if (i < N) softmax_minus_onehot(z, C, b[i]);
#pragma unroll
        for (int k = 0; k < CM; ++k)
          Rs[(r0 + lane) * CM + k] = (i < N && k < C) ? z[k] : (real)0;
      }
    }
    __syncthreads();
    // The block's share of A^T R, from the rows just read (in L1/L2).
    const int rows = (int)(N - i0 < kRows ? N - i0 : kRows);
#pragma unroll 4
    for (int r = 0; r < rows; ++r) {
      const real *a = A + (i0 + r) * d;
#pragma unroll
      for (int f = 0; f < FPT; ++f) {
        const int j = t + kThreads * f;
        if (j < d) {
          const real aj = a[j];
#pragma unroll
          for (int k = 0; k < CM; ++k)
            if (k < C) acc[f][k] += aj * Rs[r * CM + k];
        }
      }
    }
    __syncthreads();
  }
  const int64_t m = (int64_t)d * C;
#pragma unroll
  for (int f = 0; f < FPT; ++f) {
    const int j = t + kThreads * f;
    if (j < d)
#pragma unroll
      for (int k = 0; k < CM; ++k)
        if (k < C) partial[blockIdx.x * m + (int64_t)j * C + k] = acc[f][k];
  }
}

// out[e] = scale * sum_q partial[q m + e], q in order.
static __global__ void k_reduce(const real *partial, int G, int64_t m, real scale, real *out) {
  for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < m;
       e += (int64_t)gridDim.x * blockDim.x) {
    double s = 0;
    for (int q = 0; q < G; ++q) s += (double)partial[q * m + e];
    out[e] = (real)(scale * s);
  }
}

static cublasStatus_t gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                           int n, int k, const real *alpha, const real *A, int lda, const real *B,
                           int ldb, const real *beta, real *C, int ldc) {
#ifdef SGFBLO_USE_FLOAT
  return cublasSgemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
#else
  return cublasDgemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}

typedef void (*fused_launch)(dim3, dim3, size_t, cudaStream_t, const real *, const real *,
                             const int32_t *, int64_t, int, int, real *);

template <int FPT, int CM>
static void launch_fused(dim3 g, dim3 b, size_t smem, cudaStream_t s, const real *A,
                         const real *y, const int32_t *lab, int64_t N, int d, int C, real *p) {
  k_fused<FPT, CM><<<g, b, smem, s>>>(A, y, lab, N, d, C, p);
}

// An instance of the fused kernel, its shared memory allowed, and how many of its thread
// blocks fit on one SM.
struct fused_kernel {
  fused_launch launch;
  int blocks_per_sm;
};

template <int FPT, int CM>
static fused_kernel prepare(size_t smem) {
  CUDA_OK(cudaFuncSetAttribute(k_fused<FPT, CM>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               (int)smem));
  int per_sm = 0;
  CUDA_OK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, k_fused<FPT, CM>, kThreads, smem));
  return {launch_fused<FPT, CM>, per_sm};
}

// The instance for FPT >= ceil(d / kThreads) and CM >= C; launch NULL when out of range.
template <int CM>
static fused_kernel pick_fpt(int fpt, size_t smem) {
  switch (fpt) {
    case 1: return prepare<1, CM>(smem);
    case 2: return prepare<2, CM>(smem);
    case 3: return prepare<3, CM>(smem);
    case 4: return prepare<4, CM>(smem);
    default: return {nullptr, 0};
  }
}

static fused_kernel pick(int fpt, int C, size_t smem) {
  if (C <= 4) return pick_fpt<4>(fpt, smem);
  if (C <= 10) return pick_fpt<10>(fpt, smem);
  if (C <= 16) return pick_fpt<16>(fpt, smem);
  return {nullptr, 0};
}

// Median of the times (ms) of `reps` runs of fn, after 3 warm-up runs, with events.
template <typename F>
static double median_ms(F fn, cudaStream_t s, int reps) {
  cudaEvent_t e0, e1;
  CUDA_OK(cudaEventCreate(&e0));
  CUDA_OK(cudaEventCreate(&e1));
  for (int w = 0; w < 3; ++w) fn();
  CUDA_OK(cudaStreamSynchronize(s));
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    CUDA_OK(cudaEventRecord(e0, s));
    fn();
    CUDA_OK(cudaEventRecord(e1, s));
    CUDA_OK(cudaEventSynchronize(e1));
    float ms = 0;
    CUDA_OK(cudaEventElapsedTime(&ms, e0, e1));
    t.push_back(ms);
  }
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaEventDestroy(e0));
  CUDA_OK(cudaEventDestroy(e1));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Device-to-device copy bandwidth (bytes read + written per second) of a 1 GiB buffer.
static double copy_bandwidth(cudaStream_t s) {
  const size_t bytes = (size_t)1 << 30;
  void *a = nullptr, *b = nullptr;
  CUDA_OK(cudaMalloc(&a, bytes));
  CUDA_OK(cudaMalloc(&b, bytes));
  CUDA_OK(cudaMemsetAsync(a, 0, bytes, s));
  const double ms = median_ms([&] { CUDA_OK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s)); }, s, 10);
  CUDA_OK(cudaFree(a));
  CUDA_OK(cudaFree(b));
  return 2.0 * (double)bytes / (ms * 1e-3);
}

static void run_size(int64_t N, int d, int C, cublasHandle_t h, cudaStream_t s, double bw,
                     int sms, size_t smem_max) {
  const int64_t m = (int64_t)d * C;
  const int fpt = (d + kThreads - 1) / kThreads;
  const int cm = C <= 4 ? 4 : C <= 10 ? 10 : 16;
  const size_t smem = sizeof(real) * ((size_t)d * C + (size_t)kRows * cm);
  const fused_kernel fk = C <= kCMax && fpt <= 4 && smem <= smem_max ? pick(fpt, C, smem)
                                                                        : fused_kernel{nullptr, 0};
  if (!fk.launch || fk.blocks_per_sm < 1) {
    std::printf("| %lld | %d | %d | - | - | - | - | - | unsupported (C <= %d, d <= 1024, y in "
                "%zu KiB of shared memory) |\n",
                (long long)N, d, C, kCMax, smem_max / 1024);
    return;
  }
  const fused_launch launch = fk.launch;
  const int64_t nblocks = (N + kRows - 1) / kRows;
  // One wave: as many thread blocks as fit on the device at once.
  const int G = (int)std::min<int64_t>(nblocks, (int64_t)fk.blocks_per_sm * sms);
  real *A, *y, *Z, *out1, *out2, *partial;
  int32_t *lab;
  CUDA_OK(cudaMalloc(&A, sizeof(real) * (size_t)(N * d)));
  CUDA_OK(cudaMalloc(&y, sizeof(real) * (size_t)m));
  CUDA_OK(cudaMalloc(&Z, sizeof(real) * (size_t)(N * C)));
  CUDA_OK(cudaMalloc(&out1, sizeof(real) * (size_t)m));
  CUDA_OK(cudaMalloc(&out2, sizeof(real) * (size_t)m));
  CUDA_OK(cudaMalloc(&partial, sizeof(real) * (size_t)(G * m)));
  CUDA_OK(cudaMalloc(&lab, sizeof(int32_t) * (size_t)N));
  k_fill<<<1024, 256, 0, s>>>(A, N * d, 1u, (real)(std::sqrt(3.0 / d)));
  k_fill<<<64, 256, 0, s>>>(y, m, 2u, (real)1);
  k_labels<<<1024, 256, 0, s>>>(lab, N, C);
  CUDA_OK(cudaGetLastError());
  const real one = 1, zero = 0, invN = (real)(1.0 / (double)N);
  auto cublas_path = [&] {
    // Row-major seen column-major: Z^T (C x N) = y^T (C x d) A^T (d x N); out^T = R^T A.
    BLAS_OK(gemm(h, CUBLAS_OP_N, CUBLAS_OP_N, C, (int)N, d, &one, y, C, A, d, &zero, Z, C));
    k_rows<<<(unsigned)std::min<int64_t>((N + 255) / 256, 4096), 256, 0, s>>>(Z, N, C, lab);
    BLAS_OK(gemm(h, CUBLAS_OP_N, CUBLAS_OP_T, C, d, (int)N, &invN, Z, C, A, d, &zero, out1, C));
  };
  auto fused_path = [&] {
    launch(dim3(G), dim3(kThreads), smem, s, A, y, lab, N, d, C, partial);
    k_reduce<<<(unsigned)((m + 255) / 256), 256, 0, s>>>(partial, G, m, invN, out2);
  };
  const double t_cublas = median_ms(cublas_path, s, 20);
  const double t_fused = median_ms(fused_path, s, 20);
  std::vector<real> h1((size_t)m), h2((size_t)m);
  CUDA_OK(cudaMemcpyAsync(h1.data(), out1, sizeof(real) * (size_t)m, cudaMemcpyDeviceToHost, s));
  CUDA_OK(cudaMemcpyAsync(h2.data(), out2, sizeof(real) * (size_t)m, cudaMemcpyDeviceToHost, s));
  CUDA_OK(cudaStreamSynchronize(s));
  double big = 0, diff = 0;
  for (int64_t e = 0; e < m; ++e) {
    big = std::max(big, std::fabs((double)h1[(size_t)e]));
    diff = std::max(diff, std::fabs((double)h1[(size_t)e] - (double)h2[(size_t)e]));
  }
  const double bytes = (double)N * d * sizeof(real); // one read of A
  const double bw_c = bytes / (t_cublas * 1e-3), bw_f = bytes / (t_fused * 1e-3);
  // The copy moves read + write, so bw / 2 is its read rate: the ceiling of a read of A.
  std::printf("| %lld | %d | %d | %.3f | %.3f | %.2f | %.0f%% | %.0f%% | max diff / max entry %.2e; fused grid %d (%d per SM) |\n",
              (long long)N, d, C, t_cublas, t_fused, t_cublas / t_fused, 100 * bw_c / (bw / 2),
              100 * bw_f / (bw / 2), big > 0 ? diff / big : diff, G, fk.blocks_per_sm);
  CUDA_OK(cudaFree(A));
  CUDA_OK(cudaFree(y));
  CUDA_OK(cudaFree(Z));
  CUDA_OK(cudaFree(out1));
  CUDA_OK(cudaFree(out2));
  CUDA_OK(cudaFree(partial));
  CUDA_OK(cudaFree(lab));
}

int main(int argc, char **argv) {
  std::vector<long long> args;
  for (int i = 1; i < argc; ++i) args.push_back(std::atoll(argv[i]));
  if (args.empty()) args = {1000000, 784, 10, 200000, 784, 10, 5000, 82, 10};
  if (args.size() % 3 != 0) {
    std::fprintf(stderr, "usage: bench_fused_pass [N d C ...]\n");
    return 2;
  }
  int dev = 0, sms = 0, smem_optin = 0;
  CUDA_OK(cudaGetDevice(&dev));
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDeviceProperties(&prop, dev));
  CUDA_OK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  CUDA_OK(cudaDeviceGetAttribute(&smem_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev));
  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cublasHandle_t h;
  BLAS_OK(cublasCreate(&h));
  BLAS_OK(cublasSetStream(h, s));
  const double bw = copy_bandwidth(s);
  std::printf("# bench_fused_pass: %s, %s, %d SMs, L2 %.0f MiB; device-to-device copy %.0f GB/s "
              "(read + write)\n\n",
              prop.name, sizeof(real) == 8 ? "float64" : "float32", sms,
              prop.l2CacheSize / 1048576.0, bw / 1e9);
  std::printf("One product pass (A y, softmax rows, (1/N) A^T R): medians of 20 after 3 warm-up "
              "runs; bandwidth = one read of A (N d) over the time, against the copy's read "
              "rate\n\n");
  std::printf("| N | d | C | cuBLAS path (ms) | fused (ms) | speed-up | cuBLAS: %% of read rate | "
              "fused: %% of read rate | note |\n|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < args.size(); i += 3)
    run_size((int64_t)args[i], (int)args[i + 1], (int)args[i + 2], h, s, bw, sms,
             (size_t)smem_optin);
  BLAS_OK(cublasDestroy(h));
  CUDA_OK(cudaStreamDestroy(s));
  return 0;
}
