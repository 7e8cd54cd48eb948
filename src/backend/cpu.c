/* CPU backend: host memory, loops the compiler vectorises, OpenBLAS and LAPACKE.
   The reference every other backend is tested against. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "core/blas_real.h"
#include "core/error.h"

static sgfblo_status cpu_alloc(sgfblo_bctx *b, sgfblo_real **p, int64_t n) {
  *p = calloc((size_t)(n > 0 ? n : 1), sizeof **p);
  if (!*p) return sgfblo_fail(b->err, SGFBLO_ERR_ALLOC, "out of host memory (%lld reals)", (long long)n);
  return SGFBLO_OK;
}

static void cpu_release(sgfblo_bctx *b, sgfblo_real *p) {
  (void)b;
  free(p);
}

static sgfblo_status cpu_copy(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, sgfblo_real *y) {
  (void)b;
  if (x != y) memcpy(y, x, sizeof *y * (size_t)n);
  return SGFBLO_OK;
}

static sgfblo_status cpu_fill(sgfblo_bctx *b, int64_t n, double a, sgfblo_real *x) {
  (void)b;
  for (int64_t i = 0; i < n; ++i) x[i] = (sgfblo_real)a;
  return SGFBLO_OK;
}

static sgfblo_status cpu_axpby(sgfblo_bctx *b, int64_t n, double a, const sgfblo_real *x,
                               double c, sgfblo_real *y) {
  (void)b;
  const sgfblo_real ar = (sgfblo_real)a, cr = (sgfblo_real)c;
  if (c == 0.0)
    for (int64_t i = 0; i < n; ++i) y[i] = ar * x[i];
  else
    for (int64_t i = 0; i < n; ++i) y[i] = ar * x[i] + cr * y[i];
  return SGFBLO_OK;
}

static sgfblo_status cpu_lincomb(sgfblo_bctx *b, int64_t n, int k, const double *c,
                                 const sgfblo_real *const *X, sgfblo_real *z) {
  (void)b;
  /* Element-wise over all k inputs: one pass, and z may alias X[0]. */
  for (int64_t i = 0; i < n; ++i) {
    double acc = 0.0;
    for (int j = 0; j < k; ++j) acc += c[j] * (double)X[j][i];
    z[i] = (sgfblo_real)acc;
  }
  return SGFBLO_OK;
}

static sgfblo_status cpu_dot(sgfblo_bctx *b, int64_t n, const sgfblo_real *x,
                             const sgfblo_real *y, double *out) {
  (void)b;
  double acc = 0.0;
  for (int64_t i = 0; i < n; ++i) acc += (double)x[i] * (double)y[i];
  *out = acc;
  return SGFBLO_OK;
}

static sgfblo_status cpu_nrminf(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, double *out) {
  (void)b;
  double mx = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = fabs((double)x[i]);
    if (!isfinite(v)) {
      *out = INFINITY;
      return SGFBLO_OK;
    }
    if (v > mx) mx = v;
  }
  *out = mx;
  return SGFBLO_OK;
}

static sgfblo_status cpu_err_norm(sgfblo_bctx *b, int64_t n, const sgfblo_real *e,
                                  const sgfblo_real *z0, const sgfblo_real *z1, double atol,
                                  double rtol, double *out) {
  (void)b;
  double acc = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double sc = atol + rtol * fmax(fabs((double)z0[i]), fabs((double)z1[i]));
    const double r = (double)e[i] / sc;
    acc += r * r;
  }
  *out = sqrt(acc / (double)(n > 0 ? n : 1));
  return SGFBLO_OK;
}

static sgfblo_status cpu_gemm(sgfblo_bctx *b, int transa, int transb, int64_t m, int64_t k,
                              int64_t inner, double alpha, const sgfblo_real *A, int64_t lda,
                              const sgfblo_real *B, int64_t ldb, double beta, sgfblo_real *C,
                              int64_t ldc) {
  (void)b;
  SGFBLO_CBLAS(gemm)(CblasColMajor, transa ? CblasTrans : CblasNoTrans,
                     transb ? CblasTrans : CblasNoTrans, (int)m, (int)k, (int)inner,
                     (sgfblo_real)alpha, A, (int)lda, B, (int)ldb, (sgfblo_real)beta, C, (int)ldc);
  return SGFBLO_OK;
}

static sgfblo_status cpu_potrf_reserve(sgfblo_bctx *b, int64_t m, sgfblo_real *A) {
  (void)b;
  (void)m;
  (void)A; /* LAPACKE's potrf needs no workspace */
  return SGFBLO_OK;
}

static sgfblo_status cpu_potrf(sgfblo_bctx *b, int64_t m, sgfblo_real *A) {
  const lapack_int info = SGFBLO_LAPACKE(potrf)(LAPACK_COL_MAJOR, 'L', (lapack_int)m, A, (lapack_int)m);
  if (info > 0)
    return sgfblo_fail(b->err, SGFBLO_ERR_NOT_SPD,
                       "Cholesky factorisation failed: leading minor %d of the %lld x %lld matrix "
                       "is not positive definite",
                       (int)info, (long long)m, (long long)m);
  if (info < 0) return sgfblo_fail(b->err, SGFBLO_ERR_LINALG, "potrf: argument %d invalid", (int)-info);
  return SGFBLO_OK;
}

static sgfblo_status cpu_potrs(sgfblo_bctx *b, int64_t m, const sgfblo_real *L, sgfblo_real *rhs) {
  const lapack_int info = SGFBLO_LAPACKE(potrs)(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, L,
                                                (lapack_int)m, rhs, (lapack_int)m);
  if (info != 0) return sgfblo_fail(b->err, SGFBLO_ERR_LINALG, "potrs failed (info %d)", (int)info);
  return SGFBLO_OK;
}

static sgfblo_status cpu_safety_filter(sgfblo_bctx *b, int64_t n, const sgfblo_real *gf,
                                       const sgfblo_real *gh, const sgfblo_real *gy, int64_t m,
                                       double *d_h, double alpha, double eps2, int relaxed,
                                       sgfblo_real *zdot, double *d_lambda) {
  if (gy && m > n)
    return sgfblo_fail(b->err, SGFBLO_ERR_INVALID_ARG,
                       "safety_filter: gy has %lld entries, more than n = %lld", (long long)m,
                       (long long)n);
  if (gy) (void)cpu_dot(b, m, gy, gy, d_h); /* h as dot_dev forms it (cannot fail) */
  double ghgf = 0.0, ghgh = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    ghgf += (double)gh[i] * (double)gf[i];
    ghgh += (double)gh[i] * (double)gh[i];
  }
  double num = -ghgf + alpha * (*d_h - eps2);
  if (relaxed && num < 0.0) num = 0.0;
  /* ||gh|| = 0 only where grad_y g = 0 (g strongly convex): the filter is then inactive. */
  const double lambda = ghgh > 0.0 ? num / ghgh : 0.0;
  for (int64_t i = 0; i < n; ++i) zdot[i] = (sgfblo_real)(-(double)gf[i] - lambda * (double)gh[i]);
  if (d_lambda) *d_lambda = lambda;
  return SGFBLO_OK;
}

/* Backend scalars are plain host doubles here: the "device" ops are the host ones. */
static sgfblo_status cpu_scalars_alloc(sgfblo_bctx *b, double **p, int n) {
  *p = calloc((size_t)(n > 0 ? n : 1), sizeof **p);
  if (!*p) return sgfblo_fail(b->err, SGFBLO_ERR_ALLOC, "out of host memory (%d scalars)", n);
  return SGFBLO_OK;
}

static void cpu_scalars_release(sgfblo_bctx *b, double *p) {
  (void)b;
  free(p);
}

static sgfblo_status cpu_scalar_track_max(sgfblo_bctx *b, const double *d_val, double offset,
                                          double *d_max) {
  (void)b;
  const double v = *d_val - offset;
  if (v > *d_max) *d_max = v;
  return SGFBLO_OK;
}

static sgfblo_status cpu_scalar_watch(sgfblo_bctx *b, const double *d_val, double limit,
                                      double *d_watch) {
  (void)b;
  if (d_watch[0] == 0.0 && !(*d_val <= limit)) {
    d_watch[0] = 1.0;
    d_watch[1] = *d_val;
  }
  return SGFBLO_OK;
}

static sgfblo_status cpu_scalars_write(sgfblo_bctx *b, int n, const double *h_src, double *d_dst) {
  (void)b;
  if (n > 0 && d_dst != h_src) memcpy(d_dst, h_src, sizeof *d_dst * (size_t)n);
  return SGFBLO_OK;
}

static sgfblo_status cpu_scalars_read(sgfblo_bctx *b, int n, const double *d_src, double *h_dst) {
  (void)b;
  if (n > 0 && d_src != h_dst) memcpy(h_dst, d_src, sizeof *h_dst * (size_t)n);
  return SGFBLO_OK;
}

static sgfblo_status cpu_cg_start(sgfblo_bctx *b, double tol2, double *c) {
  (void)b;
  c[SGFBLO_CG_TARGET] = tol2 * c[SGFBLO_CG_BB];
  c[SGFBLO_CG_ITERS] = 0.0;
  c[SGFBLO_CG_STATE] = c[SGFBLO_CG_BB] == 0.0                ? SGFBLO_CG_STATE_ZERO_RHS
                       : c[SGFBLO_CG_RR] <= c[SGFBLO_CG_TARGET] ? SGFBLO_CG_STATE_CONVERGED
                                                                : SGFBLO_CG_STATE_RUNNING;
  return SGFBLO_OK;
}

static sgfblo_status cpu_cg_update_xr(sgfblo_bctx *b, int64_t n, double *c, const sgfblo_real *p,
                                      const sgfblo_real *Ap, sgfblo_real *x, sgfblo_real *r) {
  (void)b;
  if (c[SGFBLO_CG_STATE] != SGFBLO_CG_STATE_RUNNING) return SGFBLO_OK;
  if (!(c[SGFBLO_CG_PAP] > 0.0)) {
    c[SGFBLO_CG_STATE] = SGFBLO_CG_STATE_CURVATURE;
    return SGFBLO_OK;
  }
  const sgfblo_real a = (sgfblo_real)(c[SGFBLO_CG_RR] / c[SGFBLO_CG_PAP]);
  for (int64_t i = 0; i < n; ++i) {
    x[i] += a * p[i];
    r[i] -= a * Ap[i];
  }
  return SGFBLO_OK;
}

static sgfblo_status cpu_cg_update_p(sgfblo_bctx *b, int64_t n, double *c, const sgfblo_real *r,
                                     sgfblo_real *p) {
  (void)b;
  if (c[SGFBLO_CG_STATE] != SGFBLO_CG_STATE_RUNNING) return SGFBLO_OK;
  const sgfblo_real beta = (sgfblo_real)(c[SGFBLO_CG_RR_NEW] / c[SGFBLO_CG_RR]);
  for (int64_t i = 0; i < n; ++i) p[i] = r[i] + beta * p[i];
  c[SGFBLO_CG_RR] = c[SGFBLO_CG_RR_NEW];
  c[SGFBLO_CG_ITERS] += 1.0;
  if (c[SGFBLO_CG_RR] <= c[SGFBLO_CG_TARGET]) c[SGFBLO_CG_STATE] = SGFBLO_CG_STATE_CONVERGED;
  return SGFBLO_OK;
}

static sgfblo_status cpu_to_host(sgfblo_bctx *b, int64_t n, sgfblo_real *dst, const sgfblo_real *src) {
  return cpu_copy(b, n, src, dst);
}

static sgfblo_status cpu_from_host(sgfblo_bctx *b, int64_t n, sgfblo_real *dst,
                                   const sgfblo_real *src) {
  return cpu_copy(b, n, src, dst);
}

static sgfblo_status cpu_make_current(sgfblo_bctx *b) {
  (void)b;
  return SGFBLO_OK;
}

static void cpu_close(sgfblo_bctx *b) { (void)b; }

static const sgfblo_ops CPU_OPS = {
    .name = "cpu",
    .mem = SGFBLO_MEM_HOST,
    .alloc = cpu_alloc,
    .release = cpu_release,
    .copy = cpu_copy,
    .fill = cpu_fill,
    .axpby = cpu_axpby,
    .lincomb = cpu_lincomb,
    .dot = cpu_dot,
    .nrminf = cpu_nrminf,
    .err_norm = cpu_err_norm,
    .gemm = cpu_gemm,
    .potrf_reserve = cpu_potrf_reserve,
    .potrf = cpu_potrf,
    .potrs = cpu_potrs,
    .safety_filter = cpu_safety_filter,
    .scalars_alloc = cpu_scalars_alloc,
    .scalars_release = cpu_scalars_release,
    .dot_dev = cpu_dot,
    .nrminf_dev = cpu_nrminf,
    .scalar_track_max = cpu_scalar_track_max,
    .scalar_watch = cpu_scalar_watch,
    .scalars_write = cpu_scalars_write,
    .scalars_read = cpu_scalars_read,
    .cg_start = cpu_cg_start,
    .cg_update_xr = cpu_cg_update_xr,
    .cg_update_p = cpu_cg_update_p,
    /* no step graphs on the CPU: graph_begin and the others stay NULL */
    .to_host = cpu_to_host,
    .from_host = cpu_from_host,
    .make_current = cpu_make_current,
    .close = cpu_close,
};

const sgfblo_ops *sgfblo_cpu_ops(void) { return &CPU_OPS; }
