// Row-wise kernels of data hyper-cleaning (MATH.md Problem 2) on the device, for the path
// whose products are cuBLAS GEMMs (src/problem/hyperclean_cuda.c): per-sample work on N x C
// rows, one thread per row (C is small: 10 for MNIST), the arithmetic in hyperclean_rows.cuh
// (shared with the fused passes of hyperclean_fused.cu); and the blocks of the dense Hyy.
// The row arithmetic follows the host kernels in src/problem/hyperclean_oracles.c formula for
// formula, so CPU and GPU agree to rounding; not bit for bit, since nvcc contracts a*b+c into
// FMAs and its exp/log differ from libm in the last ulp (tests/test_cuda_parity.c bounds the
// difference).
#include <cuda_runtime.h>
#include <math.h>

#include "hyperclean_rows.cuh"
#include "kernels.h"
#include "launch.cuh"

static __global__ void k_hc_softmax_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ld,
                                         const int32_t *labels, sgfblo_real *ce) {
  GRID_STRIDE(i, rows)
  softmax_row(Z + i * ld, C, labels ? labels[i] : 0, ce ? ce + i : nullptr, false);
}

// One thread per row of op (hc_row), plus the side write.
static __global__ void k_hc_rows(sgfblo_cuda_hc_rows op, int64_t rows, sgfblo_cuda_side side,
                                 sgfblo_real side_a) {
  side_write(side, side_a);
  GRID_STRIDE(i, rows) hc_row(op, i);
}

static __global__ void k_hc_sigmoid(int64_t n, const sgfblo_real *x, sgfblo_real *sig) {
  GRID_STRIDE(i, n) sigmoid(x[i], sig + i, nullptr);
}

// Dense Jyx, column-major m x N: entry (j C + k, i) = invN sigma'(x_i) A[i, j] R[i, k], with
// R = P - B in the rows of Z (hc_jyx_dense on the host).
static __global__ void k_hc_jyx_dense(int64_t N, int64_t d, int64_t C, const sgfblo_real *x,
                                      const sgfblo_real *A, const sgfblo_real *R, int64_t ld,
                                      sgfblo_real invN, sgfblo_real *out) {
  const int64_t m = d * C;
  GRID_STRIDE(e, N * m) {
    const int64_t i = e / m, jk = e % m, j = jk / C, k = jk % C;
    sgfblo_real dsig;
    sigmoid(x[i], nullptr, &dsig);
    out[e] = invN * dsig * A[i * d + j] * R[i * ld + k];
  }
}

static __global__ void k_hc_dense_k(int64_t rows, int64_t d, int64_t C, const sgfblo_real *sig,
                                    const sgfblo_real *A, const sgfblo_real *P, int64_t ld,
                                    sgfblo_real invN, sgfblo_real *K) {
  const int64_t m = d * C;
  GRID_STRIDE(e, rows * m) {
    const int64_t r = e / m, jk = e % m, j = jk / C, k = jk % C;
    const sgfblo_real w = sqrt(sig[r] * invN);
    K[e] = w * A[r * d + j] * P[r * ld + k];
  }
}

static __global__ void k_hc_dense_s(int64_t rows, int64_t d, int64_t C, int64_t k,
                                    const sgfblo_real *sig, const sgfblo_real *A,
                                    const sgfblo_real *P, int64_t ld, sgfblo_real invN,
                                    sgfblo_real *S) {
  GRID_STRIDE(e, rows * d) {
    const int64_t r = e / d, j = e % d;
    const sgfblo_real *p = P + r * ld;
    sgfblo_real rest = 0;  // 1 - p_k
    for (int64_t l = 0; l < C; ++l) rest += l != k ? p[l] : (sgfblo_real)0;
    const sgfblo_real w = sqrt(sig[r] * p[k] * rest * invN);
    S[e] = w * A[r * d + j];
  }
}

static __global__ void k_hc_dense_scatter(int64_t d, int64_t C, const sgfblo_real *D,
                                          sgfblo_real *out) {
  const int64_t m = d * C, dd = d * d;
  GRID_STRIDE(e, C * dd) {
    const int64_t k = e / dd, jc = (e % dd) / d, jr = e % d;
    if (jr >= jc) out[(jc * C + k) * m + jr * C + k] = D[k * dd + jc * d + jr];
  }
}

static __global__ void k_hc_dense_symmetrize(int64_t m, sgfblo_real two_lambda, sgfblo_real *out) {
  GRID_STRIDE(e, m * m) {
    const int64_t r = e / m, c = e % m;  // entry (row c, column r) of the column-major out
    if (r == c)
      out[c * m + c] += two_lambda;
    else if (r > c)
      out[r * m + c] = out[c * m + r];  // upper from lower
  }
}

extern "C" int sgfblo_cuda_hc_softmax_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ld,
                                           const int32_t *labels, sgfblo_real *ce, void *stream) {
  if (rows <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(rows), kThreads, 0, as_stream(stream), k_hc_softmax_rows)
  (rows, C, Z, ld, labels, ce);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_rows_run(const sgfblo_cuda_hc_rows *op, int64_t rows,
                                       sgfblo_cuda_side side, void *stream) {
  if (rows <= 0 && side.n <= 0) return 0;
  SGFBLO_LAUNCH(grid_for_rows(rows, side), kThreads, 0, as_stream(stream), k_hc_rows)
  (*op, rows, side, (sgfblo_real)side.a);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_sigmoid(int64_t n, const sgfblo_real *x, sgfblo_real *sig,
                                      void *stream) {
  if (n <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(n), kThreads, 0, as_stream(stream), k_hc_sigmoid)(n, x, sig);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_jyx_dense(int64_t N, int64_t d, int64_t C, const sgfblo_real *x,
                                        const sgfblo_real *A, const sgfblo_real *R, int64_t ld,
                                        double invN, sgfblo_real *out, void *stream) {
  if (N <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(N * d * C), kThreads, 0, as_stream(stream), k_hc_jyx_dense)
  (N, d, C, x, A, R, ld, (sgfblo_real)invN, out);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_dense_k(int64_t rows, int64_t d, int64_t C, const sgfblo_real *sig,
                                      const sgfblo_real *A, const sgfblo_real *P, int64_t ld,
                                      double invN, sgfblo_real *K, void *stream) {
  if (rows <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(rows * d * C), kThreads, 0, as_stream(stream), k_hc_dense_k)
  (rows, d, C, sig, A, P, ld, (sgfblo_real)invN, K);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_dense_s(int64_t rows, int64_t d, int64_t C, int64_t k,
                                      const sgfblo_real *sig, const sgfblo_real *A,
                                      const sgfblo_real *P, int64_t ld, double invN, sgfblo_real *S,
                                      void *stream) {
  if (rows <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(rows * d), kThreads, 0, as_stream(stream), k_hc_dense_s)
  (rows, d, C, k, sig, A, P, ld, (sgfblo_real)invN, S);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_dense_finish(int64_t d, int64_t C, const sgfblo_real *D,
                                           double two_lambda, sgfblo_real *out, void *stream) {
  const int64_t m = d * C;
  if (m <= 0) return 0;
  cudaStream_t st = as_stream(stream);
  SGFBLO_LAUNCH(grid_for(C * d * d), kThreads, 0, st, k_hc_dense_scatter)(d, C, D, out);
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return (int)e;
  SGFBLO_LAUNCH(grid_for(m * m), kThreads, 0, st, k_hc_dense_symmetrize)
  (m, (sgfblo_real)two_lambda, out);
  return (int)cudaGetLastError();
}

// Input validation of an instance made from device data (sgfblo_hyperclean_create with
// mem = SGFBLO_MEM_DEVICE): entry i is bad when it is a label outside [0, C) (labels given)
// or a feature that is NaN/Inf (X given). res[0] counts the bad entries, res[1] is the first
// bad index (atomicMin; ULLONG_MAX when there is none). Each thread reduces its grid-stride
// share first, so there is at most one pair of atomics per thread.
static __global__ void k_hc_check(int64_t n, const int32_t *labels, int64_t C, const sgfblo_real *X,
                                  unsigned long long *res) {
  unsigned long long count = 0, first = ~0ull;
  GRID_STRIDE(i, n) {
    const bool bad = labels ? (labels[i] < 0 || labels[i] >= C) : !isfinite(X[i]);
    if (bad) {
      ++count;
      if ((unsigned long long)i < first) first = (unsigned long long)i;
    }
  }
  if (count) {
    atomicAdd(res, count);
    atomicMin(res + 1, first);
  }
}

static int hc_check(int64_t n, const int32_t *labels, int64_t C, const sgfblo_real *X,
                    unsigned long long *d_res, void *stream) {
  cudaStream_t st = as_stream(stream);
  cudaError_t e = cudaMemsetAsync(d_res, 0, sizeof *d_res, st);
  if (e == cudaSuccess) e = cudaMemsetAsync(d_res + 1, 0xff, sizeof *d_res, st);
  if (e != cudaSuccess) return (int)e;
  if (n <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(n), kThreads, 0, st, k_hc_check)(n, labels, C, X, d_res);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_check_labels(int64_t n, const int32_t *labels, int64_t C,
                                           unsigned long long *d_res, void *stream) {
  return hc_check(n, labels, C, nullptr, d_res, stream);
}

extern "C" int sgfblo_cuda_hc_check_finite(int64_t n, const sgfblo_real *X,
                                           unsigned long long *d_res, void *stream) {
  return hc_check(n, nullptr, 0, X, d_res, stream);
}
