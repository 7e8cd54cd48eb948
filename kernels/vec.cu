// Vector kernels of the CUDA backend (src/backend/cuda.c): fill, axpby, lincomb, and the
// reductions behind dot, nrminf, err_norm and the fused safety filter. Launchers are declared
// in kernels.h; each returns cudaGetLastError() after its launches.
#include <cuda_runtime.h>
#include <math.h>

#include "backend/cg_scalars.h"
#include "kernels.h"
#include "launch.cuh"

// Partial-sum blocks of a reduction: the partials of three sums (the filter's) fit the scratch.
static constexpr int kRedBlocks = SGFBLO_CUDA_RED_PARTS / 3;
static_assert(3 * kRedBlocks <= SGFBLO_CUDA_RED_PARTS, "partials of three sums must fit d_part");

static inline int red_grid_for(int64_t n) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return (int)(b < 1 ? 1 : (b > kRedBlocks ? kRedBlocks : b));
}

// Sum (or max) of NV per-thread values over the block; thread 0 gets the result in out[].
template <int NV, bool MAX>
static __device__ void block_reduce(double (&v)[NV], double (&out)[NV]) {
  __shared__ double sh[NV][kThreads];
  for (int j = 0; j < NV; ++j) sh[j][threadIdx.x] = v[j];
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if ((int)threadIdx.x < s)
      for (int j = 0; j < NV; ++j)
        sh[j][threadIdx.x] = MAX ? fmax(sh[j][threadIdx.x], sh[j][threadIdx.x + s])
                                 : sh[j][threadIdx.x] + sh[j][threadIdx.x + s];
    __syncthreads();
  }
  for (int j = 0; j < NV; ++j) out[j] = sh[j][0];
  __syncthreads();  // sh may be reused by a second call in the same kernel
}

// ------------------------------------------------------------- element-wise --

static __global__ void k_fill(int64_t n, sgfblo_real a, sgfblo_real *x) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    x[i] = a;
}

static __global__ void k_axpby(int64_t n, sgfblo_real a, const sgfblo_real *x, sgfblo_real c,
                               int c_zero, sgfblo_real *y) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    y[i] = c_zero ? a * x[i] : a * x[i] + c * y[i];
}

namespace {  // types private to this file
struct LincombArgs {
  const sgfblo_real *X[SGFBLO_CUDA_LINCOMB_MAX];
  double c[SGFBLO_CUDA_LINCOMB_MAX];
  int k;
};
}  // namespace

static __global__ void k_lincomb(int64_t n, LincombArgs a, sgfblo_real *z) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    double acc = 0.0;
    for (int j = 0; j < a.k; ++j) acc += a.c[j] * (double)a.X[j][i];
    z[i] = (sgfblo_real)acc;
  }
}

// --------------------------------------------------------------- reductions --

namespace {  // the terms of each reduction
struct DotTerm {
  const sgfblo_real *x, *y;
  __device__ void operator()(int64_t i, double (&v)[1]) const {
    v[0] = (double)x[i] * (double)y[i];
  }
};

struct AbsTerm {
  const sgfblo_real *x;
  __device__ void operator()(int64_t i, double (&v)[1]) const {
    const double a = fabs((double)x[i]);
    v[0] = isfinite(a) ? a : INFINITY;  // NaN would vanish in fmax: map it to +Inf
  }
};

struct ErrTerm {
  const sgfblo_real *e, *z0, *z1;
  double atol, rtol;
  __device__ void operator()(int64_t i, double (&v)[1]) const {
    const double sc = atol + rtol * fmax(fabs((double)z0[i]), fabs((double)z1[i]));
    const double r = (double)e[i] / sc;
    v[0] = r * r;
  }
};

struct FilterTerms {
  const sgfblo_real *gf, *gh, *gy;  // gy: NULL, or m <= n entries (h = ||gy||^2)
  int64_t m;
  __device__ void operator()(int64_t i, double (&v)[3]) const {
    const double a = (double)gh[i];
    v[0] = a * (double)gf[i];
    v[1] = a * a;
    const double g = gy && i < m ? (double)gy[i] : 0.0;
    v[2] = g * g;
  }
};
}  // namespace

// Pass 1: one partial per block, part[j * gridDim.x + block] for value j.
template <int NV, bool MAX, class Term>
static __global__ void k_reduce_partial(int64_t n, Term term, double *part) {
  double acc[NV], tot[NV];
  for (int j = 0; j < NV; ++j) acc[j] = 0.0;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    double v[NV];
    term(i, v);
    for (int j = 0; j < NV; ++j) acc[j] = MAX ? fmax(acc[j], v[j]) : acc[j] + v[j];
  }
  block_reduce<NV, MAX>(acc, tot);
  if (threadIdx.x == 0)
    for (int j = 0; j < NV; ++j) part[j * gridDim.x + blockIdx.x] = tot[j];
}

// Sum (or max) of the nparts partials of each value, in a fixed order: the same in every block.
template <int NV, bool MAX>
static __device__ void combine_parts(int nparts, const double *part, double (&tot)[NV]) {
  double acc[NV];
  for (int j = 0; j < NV; ++j) acc[j] = 0.0;
  for (int i = threadIdx.x; i < nparts; i += blockDim.x)
    for (int j = 0; j < NV; ++j)
      acc[j] = MAX ? fmax(acc[j], part[j * nparts + i]) : acc[j] + part[j * nparts + i];
  block_reduce<NV, MAX>(acc, tot);
}

// Pass 2 (one block): out[0] = the total, or sqrt(total / n) when rms.
template <bool MAX>
static __global__ void k_reduce_final(int nparts, const double *part, int rms, int64_t n,
                                      double *out) {
  double tot[1];
  combine_parts<1, MAX>(nparts, part, tot);
  if (threadIdx.x == 0) out[0] = rms ? sqrt(tot[0] / (double)(n > 0 ? n : 1)) : tot[0];
}

// Filter pass 2: every block forms h (with_h) and lambda from the partials (same order, same
// value), block 0 stores them, and all combine zdot = -gf - lambda gh. Without with_h every
// block reads h from d_h, which then no block writes.
static __global__ void k_filter_apply(int64_t n, int nparts, const double *part, int with_h,
                                      double *d_h, double alpha, double eps2, int relaxed,
                                      const sgfblo_real *gf, const sgfblo_real *gh,
                                      sgfblo_real *zdot, double *lambda_out) {
  double tot[3];
  combine_parts<3, false>(nparts, part, tot);
  __shared__ double lam;
  if (threadIdx.x == 0) {
    const double h = with_h ? tot[2] : d_h[0];
    if (blockIdx.x == 0 && with_h) d_h[0] = h;
    double num = -tot[0] + alpha * (h - eps2);
    if (relaxed && num < 0.0) num = 0.0;
    // ||gh|| = 0 only where grad_y g = 0 (g strongly convex): the filter is then inactive.
    lam = tot[1] > 0.0 ? num / tot[1] : 0.0;
    if (blockIdx.x == 0 && lambda_out) lambda_out[0] = lam;
  }
  __syncthreads();
  const double l = lam;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    zdot[i] = (sgfblo_real)(-(double)gf[i] - l * (double)gh[i]);
}

// One thread: *d_max = max(*d_max, *d_val - offset) (fmax ignores a NaN value).
static __global__ void k_track_max(const double *d_val, double offset, double *d_max) {
  if (blockIdx.x == 0 && threadIdx.x == 0) d_max[0] = fmax(d_max[0], d_val[0] - offset);
}

// One thread: record the first value that is NaN, Inf or above limit.
static __global__ void k_watch(const double *d_val, double limit, double *d_watch) {
  if (blockIdx.x == 0 && threadIdx.x == 0 && d_watch[0] == 0.0 && !(d_val[0] <= limit)) {
    d_watch[0] = 1.0;
    d_watch[1] = d_val[0];
  }
}

// ------------------------------------------------- conjugate gradients --
// c: the CG scalars (backend.h, SGFBLO_CG_*), read by every thread. A kernel writes to c only
// what no thread of the same launch reads after the write could change its decision: STATE
// becomes CURVATURE only where every thread skips anyway; RR and ITERS move in k_cg_finish.

static __global__ void k_cg_start(double tol2, double *c) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  c[SGFBLO_CG_TARGET] = tol2 * c[SGFBLO_CG_BB];
  c[SGFBLO_CG_ITERS] = 0.0;
  c[SGFBLO_CG_STATE] = c[SGFBLO_CG_BB] == 0.0                   ? SGFBLO_CG_STATE_ZERO_RHS
                       : c[SGFBLO_CG_RR] <= c[SGFBLO_CG_TARGET] ? SGFBLO_CG_STATE_CONVERGED
                                                                : SGFBLO_CG_STATE_RUNNING;
}

static __global__ void k_cg_update_xr(int64_t n, double *c, const sgfblo_real *p,
                                      const sgfblo_real *Ap, sgfblo_real *x, sgfblo_real *r) {
  if (c[SGFBLO_CG_STATE] != SGFBLO_CG_STATE_RUNNING) return;
  const double pAp = c[SGFBLO_CG_PAP];
  if (!(pAp > 0.0)) {
    if (blockIdx.x == 0 && threadIdx.x == 0) c[SGFBLO_CG_STATE] = SGFBLO_CG_STATE_CURVATURE;
    return;
  }
  const sgfblo_real a = (sgfblo_real)(c[SGFBLO_CG_RR] / pAp);
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    x[i] += a * p[i];
    r[i] -= a * Ap[i];
  }
}

static __global__ void k_cg_update_p(int64_t n, const double *c, const sgfblo_real *r,
                                     sgfblo_real *p) {
  if (c[SGFBLO_CG_STATE] != SGFBLO_CG_STATE_RUNNING) return;
  const sgfblo_real beta = (sgfblo_real)(c[SGFBLO_CG_RR_NEW] / c[SGFBLO_CG_RR]);
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x)
    p[i] = r[i] + beta * p[i];
}

static __global__ void k_cg_finish(double *c) {
  if (blockIdx.x != 0 || threadIdx.x != 0 || c[SGFBLO_CG_STATE] != SGFBLO_CG_STATE_RUNNING) return;
  c[SGFBLO_CG_RR] = c[SGFBLO_CG_RR_NEW];
  c[SGFBLO_CG_ITERS] += 1.0;
  if (c[SGFBLO_CG_RR] <= c[SGFBLO_CG_TARGET]) c[SGFBLO_CG_STATE] = SGFBLO_CG_STATE_CONVERGED;
}

// One block, no scratch: out[0] = sum x_i y_i (or sum x_i when y is NULL).
static __global__ void k_sum_small(int64_t n, const sgfblo_real *x, const sgfblo_real *y,
                                   double *out) {
  double acc[1] = {0.0}, tot[1];
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
    acc[0] += y ? (double)x[i] * (double)y[i] : (double)x[i];
  block_reduce<1, false>(acc, tot);
  if (threadIdx.x == 0) out[0] = tot[0];
}

template <int NV, bool MAX, class Term>
static int reduce(int64_t n, Term term, int rms, double *d_part, double *d_out, cudaStream_t st) {
  const int g = red_grid_for(n);
  SGFBLO_LAUNCH_SYNC(g, kThreads, 0, st, k_reduce_partial<NV, MAX>)(n, term, d_part);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return (int)e;
  SGFBLO_LAUNCH_SYNC(1, kThreads, 0, st, k_reduce_final<MAX>)(g, d_part, rms, n, d_out);
  return (int)cudaGetLastError();
}

// ------------------------------------------------------------------ launchers --

extern "C" int sgfblo_cuda_fill(int64_t n, double a, sgfblo_real *x, void *stream) {
  if (n <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(n), kThreads, 0, as_stream(stream), k_fill)(n, (sgfblo_real)a, x);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_axpby(int64_t n, double a, const sgfblo_real *x, double c,
                                 sgfblo_real *y, void *stream) {
  if (n <= 0) return 0;
  SGFBLO_LAUNCH(grid_for(n), kThreads, 0, as_stream(stream), k_axpby)
  (n, (sgfblo_real)a, x, (sgfblo_real)c, c == 0.0, y);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_lincomb(int64_t n, int k, const double *c, const sgfblo_real *const *X,
                                   sgfblo_real *z, void *stream) {
  if (n <= 0) return 0;
  if (k < 1 || k > SGFBLO_CUDA_LINCOMB_MAX) return (int)cudaErrorInvalidValue;
  LincombArgs a;
  a.k = k;
  for (int j = 0; j < SGFBLO_CUDA_LINCOMB_MAX; ++j) {
    a.X[j] = j < k ? X[j] : nullptr;
    a.c[j] = j < k ? c[j] : 0.0;
  }
  SGFBLO_LAUNCH(grid_for(n), kThreads, 0, as_stream(stream), k_lincomb)(n, a, z);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_dot(int64_t n, const sgfblo_real *x, const sgfblo_real *y,
                               double *d_part, double *d_out, void *stream) {
  return reduce<1, false>(n, DotTerm{x, y}, 0, d_part, d_out, as_stream(stream));
}

extern "C" int sgfblo_cuda_nrminf(int64_t n, const sgfblo_real *x, double *d_part, double *d_out,
                                  void *stream) {
  return reduce<1, true>(n, AbsTerm{x}, 0, d_part, d_out, as_stream(stream));
}

extern "C" int sgfblo_cuda_err_norm(int64_t n, const sgfblo_real *e, const sgfblo_real *z0,
                                    const sgfblo_real *z1, double atol, double rtol, double *d_part,
                                    double *d_out, void *stream) {
  return reduce<1, false>(n, ErrTerm{e, z0, z1, atol, rtol}, 1, d_part, d_out, as_stream(stream));
}

extern "C" int sgfblo_cuda_safety_filter(int64_t n, const sgfblo_real *gf, const sgfblo_real *gh,
                                         const sgfblo_real *gy, int64_t m, double *d_h,
                                         double alpha, double eps2, int relaxed, sgfblo_real *zdot,
                                         double *d_part, double *d_lambda, void *stream) {
  cudaStream_t st = as_stream(stream);
  const int g = red_grid_for(n);
  SGFBLO_LAUNCH_SYNC(g, kThreads, 0, st, k_reduce_partial<3, false>)
  (n, FilterTerms{gf, gh, gy, m}, d_part);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) return (int)e;
  SGFBLO_LAUNCH_SYNC(grid_for(n), kThreads, 0, st, k_filter_apply)
  (n, g, d_part, gy != nullptr, d_h, alpha, eps2, relaxed, gf, gh, zdot, d_lambda);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_track_max(const double *d_val, double offset, double *d_max,
                                     void *stream) {
  SGFBLO_LAUNCH(1, 1, 0, as_stream(stream), k_track_max)(d_val, offset, d_max);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_watch(const double *d_val, double limit, double *d_watch, void *stream) {
  SGFBLO_LAUNCH(1, 1, 0, as_stream(stream), k_watch)(d_val, limit, d_watch);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_cg_start(double tol2, double *c, void *stream) {
  SGFBLO_LAUNCH(1, 1, 0, as_stream(stream), k_cg_start)(tol2, c);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_cg_update_xr(int64_t n, double *c, const sgfblo_real *p,
                                        const sgfblo_real *Ap, sgfblo_real *x, sgfblo_real *r,
                                        void *stream) {
  /* Launched even for n = 0 (grid_for gives one block): the kernel also records a curvature
     failure in c, which must not be skipped. */
  SGFBLO_LAUNCH(grid_for(n), kThreads, 0, as_stream(stream), k_cg_update_xr)(n, c, p, Ap, x, r);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_cg_update_p(int64_t n, double *c, const sgfblo_real *r, sgfblo_real *p,
                                       void *stream) {
  cudaStream_t st = as_stream(stream);
  if (n > 0) {
    SGFBLO_LAUNCH(grid_for(n), kThreads, 0, st, k_cg_update_p)(n, c, r, p);
    const cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return (int)e;
  }
  SGFBLO_LAUNCH(1, 1, 0, st, k_cg_finish)(c);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_sum_small(int64_t n, const sgfblo_real *x, const sgfblo_real *y,
                                     double *d_out, void *stream) {
  SGFBLO_LAUNCH_SYNC(1, kThreads, 0, as_stream(stream), k_sum_small)(n, x, y, d_out);
  return (int)cudaGetLastError();
}
