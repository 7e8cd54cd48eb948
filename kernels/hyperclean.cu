// Row-wise kernels of data hyper-cleaning (MATH.md Problem 2) on the device. The skinny GEMMs
// with A go through cuBLAS (src/problem/hyperclean_cuda.c); what remains is per-sample work on
// N x C rows, one thread per row here (C is small: 10 for MNIST). The arithmetic follows the
// host kernels in src/problem/hyperclean_oracles.c formula for formula (sgfblo_real, the row
// maximum subtracted, the cancellation-free forms), so CPU and GPU agree to rounding; not bit
// for bit, since nvcc contracts a*b+c into FMAs and its exp/log differ from libm in the last
// ulp (tests/test_cuda_parity.c bounds the difference).
#include <cuda_runtime.h>
#include <math.h>

#include "kernels.h"

static constexpr int kThreads = 256;
static constexpr int kMaxBlocks = 4096;

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
static __device__ void side_write(const sgfblo_cuda_side &side, sgfblo_real a) {
  GRID_STRIDE(j, side.n) side.out[j] = side.v ? a * side.v[j] : (sgfblo_real)0;
}

// One grid for the rows and the side write: the larger of the two.
static inline int grid_for_rows(int64_t rows, const sgfblo_cuda_side &side) {
  return grid_for(rows > side.n ? rows : side.n);
}

// sigma(t) and sigma'(t) = sigma(t) sigma(-t) from one exp(-|t|) (sgfblo_hc_sigmoid).
static __device__ void sigmoid(sgfblo_real t, sgfblo_real *sig, sgfblo_real *dsig) {
  const sgfblo_real e = exp(-fabs(t));
  const sgfblo_real inv = (sgfblo_real)1 / ((sgfblo_real)1 + e);
  if (sig) *sig = t >= 0 ? inv : e * inv;
  if (dsig) *dsig = e * inv * inv;
}

// One row of sgfblo_hc_softmax_rows: z <- softmax(z) (minus e_b with minus_onehot);
// *ce = logsumexp(z) - z_b when ce is not NULL.
static __device__ void softmax_row(sgfblo_real *z, int64_t C, int32_t b, sgfblo_real *ce,
                                   bool minus_onehot) {
  sgfblo_real mx = z[0];
  for (int64_t k = 1; k < C; ++k) mx = z[k] > mx ? z[k] : mx;
  const sgfblo_real gap = ce ? mx - z[b] : (sgfblo_real)0;
  sgfblo_real s = 0;
  for (int64_t k = 0; k < C; ++k) {
    z[k] = exp(z[k] - mx);
    s += z[k];
  }
  const sgfblo_real inv = (sgfblo_real)1 / s;
  if (ce) *ce = gap + log(s);
  sgfblo_real others = 0;
  if (minus_onehot)
    for (int64_t k = 0; k < C; ++k) others += k != b ? z[k] : (sgfblo_real)0;
  for (int64_t k = 0; k < C; ++k) z[k] *= inv;
  if (minus_onehot) z[b] = -others * inv;
}

// One row of Hyy V's residual over p (hyy_row on the host): p_k <- sig p_k (u_k - p'u),
// formed as w_k - p'w with w = u - u_t, t the most likely class (no cancellation).
static __device__ void hyy_row(sgfblo_real *p, const sgfblo_real *u, int64_t C, sgfblo_real sig) {
  int64_t t = 0;
  for (int64_t k = 1; k < C; ++k) t = p[k] > p[t] ? k : t;
  sgfblo_real pw = 0;
  for (int64_t k = 0; k < C; ++k) pw += p[k] * (u[k] - u[t]);
  for (int64_t k = 0; k < C; ++k) p[k] = sig * p[k] * ((u[k] - u[t]) - pw);
}

static __global__ void k_hc_softmax_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ld,
                                         const int32_t *labels, sgfblo_real *ce) {
  GRID_STRIDE(i, rows)
  softmax_row(Z + i * ld, C, labels ? labels[i] : 0, ce ? ce + i : nullptr, false);
}

static __global__ void k_hc_grad_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ld,
                                      const int32_t *labels, const sgfblo_real *x, sgfblo_real *gx,
                                      sgfblo_real invN, int scale_sig, sgfblo_cuda_side side,
                                      sgfblo_real side_a) {
  side_write(side, side_a);
  GRID_STRIDE(i, rows) {
    sgfblo_real *z = Z + i * ld, ce = 0, sig = 1, dsig = 0;
    softmax_row(z, C, labels[i], gx ? &ce : nullptr, true);
    if (x) sigmoid(x[i], &sig, &dsig);
    if (gx) gx[i] = invN * dsig * ce;
    if (scale_sig)
      for (int64_t k = 0; k < C; ++k) z[k] *= sig;
  }
}

static __global__ void k_hc_hyy_rows(int64_t rows, int64_t C, const sgfblo_real *x, sgfblo_real *Z,
                                     int64_t ld, sgfblo_cuda_side side, sgfblo_real side_a) {
  side_write(side, side_a);
  GRID_STRIDE(i, rows) {
    sgfblo_real *p = Z + i * ld, sig;
    const sgfblo_real *u = p + C;
    softmax_row(p, C, 0, nullptr, false);
    sigmoid(x[i], &sig, nullptr);
    hyy_row(p, u, C, sig);
  }
}

static __global__ void k_hc_jyx_rows(int64_t rows, int64_t C, const sgfblo_real *x,
                                     const sgfblo_real *u, sgfblo_real *Z, int64_t ld,
                                     const int32_t *labels) {
  GRID_STRIDE(i, rows) {
    sgfblo_real *r = Z + i * ld, dsig;
    softmax_row(r, C, labels[i], nullptr, true);
    sigmoid(x[i], nullptr, &dsig);
    const sgfblo_real w = dsig * u[i];
    for (int64_t k = 0; k < C; ++k) r[k] *= w;
  }
}

static __global__ void k_hc_jyxT_rows(int64_t rows, int64_t C, const sgfblo_real *x, sgfblo_real *Z,
                                      int64_t ld, const int32_t *labels, sgfblo_real invN,
                                      sgfblo_real *out) {
  GRID_STRIDE(i, rows) {
    sgfblo_real *r = Z + i * ld, dsig;
    const sgfblo_real *u = r + C;
    softmax_row(r, C, labels[i], nullptr, true);
    sigmoid(x[i], nullptr, &dsig);
    // sum_k (p - b)_k (u_k - u_b): sum_k (p - b)_k = 0, so no cancellation against u_b.
    const sgfblo_real ub = u[labels[i]];
    sgfblo_real s = 0;
    for (int64_t k = 0; k < C; ++k) s += r[k] * (u[k] - ub);
    out[i] = invN * dsig * s;
  }
}

// The fused call's rows (hc_grad_g_curv on the host). First: p = softmax(z) kept in place,
// r = sigma (p - e_b) into the columns C..2C-1 of the same row.
static __global__ void k_hc_prob_resid_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ld,
                                            const int32_t *labels, const sgfblo_real *x,
                                            sgfblo_cuda_side side, sgfblo_real side_a) {
  side_write(side, side_a);
  GRID_STRIDE(i, rows) {
    sgfblo_real *p = Z + i * ld, *r = p + C, sig;
    softmax_row(p, C, 0, nullptr, false);
    sigmoid(x[i], &sig, nullptr);
    const int32_t b = labels[i];
    sgfblo_real others = 0;
    for (int64_t k = 0; k < C; ++k) others += k != b ? p[k] : (sgfblo_real)0;
    for (int64_t k = 0; k < C; ++k) r[k] = sig * p[k];
    r[b] = -sig * others;
  }
}

// Then, with U = A gy in the columns C..2C-1: the Jyx^T row sum into qx and the Hyy row over p.
static __global__ void k_hc_curv_rows(int64_t rows, int64_t C, const sgfblo_real *x, sgfblo_real *Z,
                                      int64_t ld, const int32_t *labels, sgfblo_real invN,
                                      sgfblo_real *qx, sgfblo_cuda_side side, sgfblo_real side_a) {
  side_write(side, side_a);
  GRID_STRIDE(i, rows) {
    sgfblo_real *p = Z + i * ld, sig, dsig;
    const sgfblo_real *u = p + C;
    sigmoid(x[i], &sig, &dsig);
    const sgfblo_real ub = u[labels[i]];
    sgfblo_real s = 0;
    for (int64_t k = 0; k < C; ++k) s += p[k] * (u[k] - ub);
    qx[i] = invN * dsig * s;
    hyy_row(p, u, C, sig);
  }
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
  k_hc_softmax_rows<<<grid_for(rows), kThreads, 0, as_stream(stream)>>>(rows, C, Z, ld, labels, ce);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_grad_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ld,
                                        const int32_t *labels, const sgfblo_real *x,
                                        sgfblo_real *gx, double invN, int scale_sig,
                                        sgfblo_cuda_side side, void *stream) {
  if (rows <= 0 && side.n <= 0) return 0;
  k_hc_grad_rows<<<grid_for_rows(rows, side), kThreads, 0, as_stream(stream)>>>(
      rows, C, Z, ld, labels, x, gx, (sgfblo_real)invN, scale_sig, side, (sgfblo_real)side.a);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_hyy_rows(int64_t rows, int64_t C, const sgfblo_real *x,
                                       sgfblo_real *Z, int64_t ld, sgfblo_cuda_side side,
                                       void *stream) {
  if (rows <= 0 && side.n <= 0) return 0;
  k_hc_hyy_rows<<<grid_for_rows(rows, side), kThreads, 0, as_stream(stream)>>>(
      rows, C, x, Z, ld, side, (sgfblo_real)side.a);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_jyx_rows(int64_t rows, int64_t C, const sgfblo_real *x,
                                       const sgfblo_real *u, sgfblo_real *Z, int64_t ld,
                                       const int32_t *labels, void *stream) {
  if (rows <= 0) return 0;
  k_hc_jyx_rows<<<grid_for(rows), kThreads, 0, as_stream(stream)>>>(rows, C, x, u, Z, ld, labels);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_jyxT_rows(int64_t rows, int64_t C, const sgfblo_real *x,
                                        sgfblo_real *Z, int64_t ld, const int32_t *labels,
                                        double invN, sgfblo_real *out, void *stream) {
  if (rows <= 0) return 0;
  k_hc_jyxT_rows<<<grid_for(rows), kThreads, 0, as_stream(stream)>>>(rows, C, x, Z, ld, labels,
                                                                     (sgfblo_real)invN, out);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_prob_resid_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ld,
                                              const int32_t *labels, const sgfblo_real *x,
                                              sgfblo_cuda_side side, void *stream) {
  if (rows <= 0 && side.n <= 0) return 0;
  k_hc_prob_resid_rows<<<grid_for_rows(rows, side), kThreads, 0, as_stream(stream)>>>(
      rows, C, Z, ld, labels, x, side, (sgfblo_real)side.a);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_curv_rows(int64_t rows, int64_t C, const sgfblo_real *x,
                                        sgfblo_real *Z, int64_t ld, const int32_t *labels,
                                        double invN, sgfblo_real *qx, sgfblo_cuda_side side,
                                        void *stream) {
  if (rows <= 0 && side.n <= 0) return 0;
  k_hc_curv_rows<<<grid_for_rows(rows, side), kThreads, 0, as_stream(stream)>>>(
      rows, C, x, Z, ld, labels, (sgfblo_real)invN, qx, side, (sgfblo_real)side.a);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_sigmoid(int64_t n, const sgfblo_real *x, sgfblo_real *sig,
                                      void *stream) {
  if (n <= 0) return 0;
  k_hc_sigmoid<<<grid_for(n), kThreads, 0, as_stream(stream)>>>(n, x, sig);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_jyx_dense(int64_t N, int64_t d, int64_t C, const sgfblo_real *x,
                                         const sgfblo_real *A, const sgfblo_real *R, int64_t ld,
                                         double invN, sgfblo_real *out, void *stream) {
  if (N <= 0) return 0;
  k_hc_jyx_dense<<<grid_for(N * d * C), kThreads, 0, as_stream(stream)>>>(
      N, d, C, x, A, R, ld, (sgfblo_real)invN, out);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_dense_k(int64_t rows, int64_t d, int64_t C, const sgfblo_real *sig,
                                      const sgfblo_real *A, const sgfblo_real *P, int64_t ld,
                                      double invN, sgfblo_real *K, void *stream) {
  if (rows <= 0) return 0;
  k_hc_dense_k<<<grid_for(rows * d * C), kThreads, 0, as_stream(stream)>>>(
      rows, d, C, sig, A, P, ld, (sgfblo_real)invN, K);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_dense_s(int64_t rows, int64_t d, int64_t C, int64_t k,
                                      const sgfblo_real *sig, const sgfblo_real *A,
                                      const sgfblo_real *P, int64_t ld, double invN, sgfblo_real *S,
                                      void *stream) {
  if (rows <= 0) return 0;
  k_hc_dense_s<<<grid_for(rows * d), kThreads, 0, as_stream(stream)>>>(rows, d, C, k, sig, A, P, ld,
                                                                       (sgfblo_real)invN, S);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_hc_dense_finish(int64_t d, int64_t C, const sgfblo_real *D,
                                           double two_lambda, sgfblo_real *out, void *stream) {
  const int64_t m = d * C;
  if (m <= 0) return 0;
  cudaStream_t st = as_stream(stream);
  k_hc_dense_scatter<<<grid_for(C * d * d), kThreads, 0, st>>>(d, C, D, out);
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return (int)e;
  k_hc_dense_symmetrize<<<grid_for(m * m), kThreads, 0, st>>>(m, (sgfblo_real)two_lambda, out);
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
  k_hc_check<<<grid_for(n), kThreads, 0, st>>>(n, labels, C, X, d_res);
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
