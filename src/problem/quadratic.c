/* A quadratic bilevel problem whose solution is known in closed form (the tests' oracle):

       g(x,y) = 1/2 y'Ay - y'Bx          (A m x m SPD, B m x n)
       f(x,y) = 1/2 ||x - xh||^2 + 1/2 ||y - yh||^2

   y*(x) = K x with K = A^{-1} B, so the implicit objective l(x) = f(x, Kx) is a strictly convex
   quadratic with minimiser x* = (I + K'K)^{-1} (xh + K'yh), and y* = K x*.
   Oracles: grad_x g = -B'y, grad_y g = Ay - Bx, Hyy = A, Jyx = -B, Jyx^T = -B';
   grad_x f = x - xh, grad_y f = y - yh.

   Like the synthetic problem, the callbacks keep no scratch and never write to the instance. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/blas_real.h"
#include "problem/problem_common.h"
#include "sgfblo/sgfblo.h"
#include "tools/rng.h"

struct sgfblo_quadratic {
  int64_t n, m;
  sgfblo_real *A;      /* m x m, exactly symmetric (so either layout) */
  sgfblo_real *B;      /* m x n, column-major */
  sgfblo_real *xh;     /* n */
  sgfblo_real *yh;     /* m */
  sgfblo_real *x_star; /* n, closed form */
  sgfblo_real *y_star; /* m, closed form */
};

void sgfblo_quadratic_destroy(sgfblo_quadratic *q) {
  if (!q) return;
  free(q->A);
  free(q->B);
  free(q->xh);
  free(q->yh);
  free(q->x_star);
  free(q->y_star);
  free(q);
}

static void to_real(sgfblo_real *dst, const double *src, size_t len) {
  for (size_t k = 0; k < len; ++k) dst[k] = (sgfblo_real)src[k];
}

/* x* and y* from A, B, xh, yh (all double, column-major): K = A^{-1}B by Cholesky of A, then
   (I + K'K) x* = xh + K'yh by Cholesky, y* = K x*. xs and ys receive the result. */
static sgfblo_status quadratic_solve(int n, int m, const double *A, const double *B,
                                     const double *xh, const double *yh, double *xs, double *ys,
                                     sgfblo_errmsg *err, const char *fn) {
  sgfblo_status st = SGFBLO_OK;
  double *L = malloc(sizeof *L * (size_t)m * (size_t)m);
  double *K = malloc(sizeof *K * (size_t)m * (size_t)n);
  double *M = malloc(sizeof *M * (size_t)n * (size_t)n);
  if (!L || !K || !M) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: no memory for the closed form", fn);

  memcpy(L, A, sizeof *L * (size_t)m * (size_t)m);
  memcpy(K, B, sizeof *K * (size_t)m * (size_t)n);
  lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', m, L, m);
  if (info != 0) SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "%s: Cholesky of A failed (info = %d)", fn, (int)info);
  info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', m, n, L, m, K, m);
  if (info != 0) SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "%s: solve with A failed (info = %d)", fn, (int)info);

  /* M = I + K'K (upper triangle suffices for potrf), x* <- xh + K'yh. */
  cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, n, m, 1.0, K, m, 0.0, M, n);
  for (int i = 0; i < n; ++i) M[i + (size_t)i * n] += 1.0;
  memcpy(xs, xh, sizeof *xs * (size_t)n);
  cblas_dgemv(CblasColMajor, CblasTrans, m, n, 1.0, K, m, yh, 1, 1.0, xs, 1);
  info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', n, M, n);
  if (info != 0) SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "%s: Cholesky of I + K'K failed (info = %d)", fn, (int)info);
  info = LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'U', n, 1, M, n, xs, n);
  if (info != 0) SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "%s: solve with I + K'K failed (info = %d)", fn, (int)info);
  cblas_dgemv(CblasColMajor, CblasNoTrans, m, n, 1.0, K, m, xs, 1, 0.0, ys, 1);
cleanup:
  free(L);
  free(K);
  free(M);
  return st;
}

sgfblo_status sgfblo_quadratic_random(int64_t n, int64_t m, uint64_t seed, sgfblo_quadratic **out,
                                      sgfblo_errmsg *err) {
  static const char fn[] = "sgfblo_quadratic_random";
  sgfblo_status st = SGFBLO_OK;
  sgfblo_quadratic *q = NULL;
  double *A = NULL, *B = NULL, *xh = NULL, *yh = NULL, *xs = NULL, *ys = NULL;
  sgfblo_err_clear(err);
  if (!out) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "%s: out is NULL", fn);
  *out = NULL;
  if (n < 1 || m < 1)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: n and m must be >= 1 (got n = %lld, m = %lld)",
                fn, (long long)n, (long long)m);
  if (!sgfblo_problem_dims_ok(m, m, sizeof(double)) || !sgfblo_problem_dims_ok(m, n, sizeof(double)) ||
      !sgfblo_problem_dims_ok(n, n, sizeof(double)))
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: n = %lld, m = %lld is too large", fn,
                (long long)n, (long long)m);
  const size_t mm = (size_t)m * (size_t)m, mn = (size_t)m * (size_t)n;

  A = malloc(sizeof *A * mm);
  B = malloc(sizeof *B * mn);
  xh = malloc(sizeof *xh * (size_t)n);
  yh = malloc(sizeof *yh * (size_t)m);
  xs = malloc(sizeof *xs * (size_t)n);
  ys = malloc(sizeof *ys * (size_t)m);
  q = calloc(1, sizeof *q);
  if (!A || !B || !xh || !yh || !xs || !ys || !q)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: no memory for n = %lld, m = %lld", fn, (long long)n,
                (long long)m);
  q->n = n;
  q->m = m;
  q->A = malloc(sizeof *q->A * mm);
  q->B = malloc(sizeof *q->B * mn);
  q->xh = malloc(sizeof *q->xh * (size_t)n);
  q->yh = malloc(sizeof *q->yh * (size_t)m);
  q->x_star = malloc(sizeof *q->x_star * (size_t)n);
  q->y_star = malloc(sizeof *q->y_star * (size_t)m);
  if (!q->A || !q->B || !q->xh || !q->yh || !q->x_star || !q->y_star)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: no memory for n = %lld, m = %lld", fn, (long long)n,
                (long long)m);

  /* Draw order (a seed names one instance, in either precision): A's Gaussian matrix and
     eigenvalues (sgfblo_problem_random_sym), B column by column, xh, yh. Everything, the
     closed form included, is computed in double and rounded once. */
  sgfblo_rng rng;
  sgfblo_rng_seed(&rng, seed);
  SGFBLO_TRY(sgfblo_problem_random_sym(&rng, m, 0.5, 2.0, A, err));
  const double bscale = 1.0 / sqrt((double)n);
  for (size_t k = 0; k < mn; ++k) B[k] = bscale * sgfblo_rng_normal(&rng);
  for (int64_t i = 0; i < n; ++i) xh[i] = sgfblo_rng_normal(&rng);
  for (int64_t i = 0; i < m; ++i) yh[i] = sgfblo_rng_normal(&rng);
  SGFBLO_TRY(quadratic_solve((int)n, (int)m, A, B, xh, yh, xs, ys, err, fn));

  to_real(q->A, A, mm);
  to_real(q->B, B, mn);
  to_real(q->xh, xh, (size_t)n);
  to_real(q->yh, yh, (size_t)m);
  to_real(q->x_star, xs, (size_t)n);
  to_real(q->y_star, ys, (size_t)m);
cleanup:
  free(A);
  free(B);
  free(xh);
  free(yh);
  free(xs);
  free(ys);
  if (st != SGFBLO_OK) {
    sgfblo_quadratic_destroy(q);
    q = NULL;
  }
  *out = q;
  return st;
}

sgfblo_status sgfblo_quadratic_solution(const sgfblo_quadratic *q, sgfblo_real *x_star,
                                        sgfblo_real *y_star) {
  if (!q) return SGFBLO_ERR_NULL_ARG;
  if (x_star) memcpy(x_star, q->x_star, sizeof *x_star * (size_t)q->n);
  if (y_star) memcpy(y_star, q->y_star, sizeof *y_star * (size_t)q->m);
  return SGFBLO_OK;
}

/* ------------------------------------------------------------------ callbacks -- */

#define QUAD(ctx) ((const sgfblo_quadratic *)sgfblo_problem_host_data(ctx))

static int quad_f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                      const sgfblo_eval_ctx *ctx) {
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  double acc = 0;
  for (int64_t i = 0; i < q->n; ++i) {
    const double r = (double)x[i] - (double)q->xh[i];
    acc += r * r;
  }
  for (int64_t i = 0; i < q->m; ++i) {
    const double r = (double)y[i] - (double)q->yh[i];
    acc += r * r;
  }
  *out = (sgfblo_real)(0.5 * acc);
  return 0;
}

static int quad_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                       sgfblo_real *gy, const sgfblo_eval_ctx *ctx) {
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  if (gx)
    for (int64_t i = 0; i < q->n; ++i) gx[i] = x[i] - q->xh[i];
  if (gy)
    for (int64_t i = 0; i < q->m; ++i) gy[i] = y[i] - q->yh[i];
  return 0;
}

static int quad_g_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                      const sgfblo_eval_ctx *ctx) {
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)q->n, m = (int)q->m;
  double acc = 0; /* sum_i y_i (1/2 (A y)_i - (B x)_i), row by row: no scratch vector */
  for (int i = 0; i < m; ++i) {
    const double Ay = (double)SGFBLO_CBLAS(dot)(m, q->A + (size_t)i * m, 1, y, 1); /* A symmetric */
    const double Bx = (double)SGFBLO_CBLAS(dot)(n, q->B + i, m, x, 1);
    acc += (double)y[i] * (0.5 * Ay - Bx);
  }
  *out = (sgfblo_real)acc;
  return 0;
}

static int quad_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                       sgfblo_real *gy, const sgfblo_eval_ctx *ctx) {
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)q->n, m = (int)q->m;
  if (gx) /* grad_x g = -B'y */
    SGFBLO_CBLAS(gemv)(CblasColMajor, CblasTrans, m, n, -1, q->B, m, y, 1, 0, gx, 1);
  if (gy) { /* grad_y g = A y - B x */
    SGFBLO_CBLAS(gemv)(CblasColMajor, CblasNoTrans, m, m, 1, q->A, m, y, 1, 0, gy, 1);
    SGFBLO_CBLAS(gemv)(CblasColMajor, CblasNoTrans, m, n, -1, q->B, m, x, 1, 1, gy, 1);
  }
  return 0;
}

/* out = Hyy v = A v  (m -> m) */
static int quad_hyy_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                       sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int m = (int)q->m;
  SGFBLO_CBLAS(gemv)(CblasColMajor, CblasNoTrans, m, m, 1, q->A, m, v, 1, 0, out, 1);
  return 0;
}

/* out = Jyx u = -B u  (n -> m) */
static int quad_jyx_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *u,
                       sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)q->n, m = (int)q->m;
  SGFBLO_CBLAS(gemv)(CblasColMajor, CblasNoTrans, m, n, -1, q->B, m, u, 1, 0, out, 1);
  return 0;
}

/* out = Jyx^T v = -B'v  (m -> n) */
static int quad_jyxT_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                        sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)q->n, m = (int)q->m;
  SGFBLO_CBLAS(gemv)(CblasColMajor, CblasTrans, m, n, -1, q->B, m, v, 1, 0, out, 1);
  return 0;
}

/* out = Hyy = A, column-major m x m. */
static int quad_hyy_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                          const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  memcpy(out, q->A, sizeof *out * (size_t)q->m * (size_t)q->m);
  return 0;
}

/* out = Jyx = -B, column-major m x n. */
static int quad_jyx_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                          const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  const sgfblo_quadratic *q = QUAD(ctx);
  if (!q) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const size_t mn = (size_t)q->m * (size_t)q->n;
  for (size_t k = 0; k < mn; ++k) out[k] = -q->B[k];
  return 0;
}

/* The quadratic problem is the host-side test oracle and has no device path: a setup on a
   device backend fails here, before any evaluation, instead of at the first callback. */
static int quad_prepare(int device_id, const sgfblo_eval_ctx *ctx) {
  (void)device_id;
  return ctx && ctx->mem == SGFBLO_MEM_HOST ? 0 : SGFBLO_PROBLEM_CB_NOT_HOST;
}

sgfblo_status sgfblo_quadratic_problem(const sgfblo_quadratic *q, sgfblo_problem *p) {
  if (!q || !p) return SGFBLO_ERR_NULL_ARG;
  memset(p, 0, sizeof *p);
  p->n = q->n;
  p->m = q->m;
  p->f_val = quad_f_val;
  p->g_val = quad_g_val;
  p->grad_f = quad_grad_f;
  p->grad_g = quad_grad_g;
  p->hyy_mv = quad_hyy_mv;
  p->jyx_mv = quad_jyx_mv;
  p->jyxT_mv = quad_jyxT_mv;
  p->hyy_dense = quad_hyy_dense;
  p->jyx_dense = quad_jyx_dense;
  p->x0 = NULL;
  p->y0 = NULL;
  p->x0_mem = SGFBLO_MEM_HOST;
  p->user_data = (void *)q; /* the callbacks only read it (QUAD casts back to const) */
  p->prepare = quad_prepare;
  return SGFBLO_OK;
}
