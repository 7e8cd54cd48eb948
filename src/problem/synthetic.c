/* The synthetic problem of MATH.md, Problem 1 (paper §4.1), n = m:

       f(x,y) = sin(c'x + d'y) + log(||x + y||^2 + 1),     g(x,y) = 1/2 ||H y - x||^2

   Oracles: grad_x f = cos(s) c + q, grad_y f = cos(s) d + q with s = c'x + d'y, u = x + y,
   q = 2u / (||u||^2 + 1); grad_x g = -(Hy - x), grad_y g = H^T(Hy - x); Hyy = H^T H,
   Jyx = -H^T, Jyx^T = -H.

   The callbacks keep no scratch: every output is computed straight into the caller's buffer,
   with Hyy = H^T H formed once at creation (so grad_y g = Hyy y - H^T x). They therefore never
   write to the instance, and one instance may serve several solvers, also concurrently.

   On the device (ctx->mem == SGFBLO_MEM_DEVICE, CUDA builds) the callbacks forward to the
   instance's device copy (synthetic_cuda.c), made by sgfblo_synthetic_to_device or by the
   prepare hook at setup; that copy has one cuBLAS handle and a little scratch, so device
   evaluations of one instance run one thread at a time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/blas_real.h"
#include "problem/problem_common.h"
#include "problem/problem_cuda.h"
#include "sgfblo/sgfblo.h"
#include "tools/rng.h"

struct sgfblo_synthetic {
  int64_t n;
  sgfblo_real *H; /* n x n, row-major (as the API hands it in and out) */
  sgfblo_real *G; /* Hyy = H^T H, n x n, exactly symmetric (so either layout) */
  sgfblo_real *c; /* n */
  sgfblo_real *d; /* n */
  void *dev;      /* sgfblo_synth_dev: the device copy (CUDA builds), or NULL */
};

void sgfblo_synthetic_destroy(sgfblo_synthetic *sp) {
  if (!sp) return;
#ifdef SGFBLO_HAVE_CUDA
  sgfblo_synth_dev_destroy(sp->dev);
#endif
  free(sp->H);
  free(sp->G);
  free(sp->c);
  free(sp->d);
  free(sp);
}

/* An instance with room for its data; fn names the public caller in messages. */
static sgfblo_status synthetic_alloc(int64_t n, sgfblo_synthetic **out, sgfblo_errmsg *err,
                                     const char *fn) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_synthetic *sp = NULL;
  if (n < 1) SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: n must be >= 1 (got %lld)", fn, (long long)n);
  if (!sgfblo_problem_dims_ok(n, n, sizeof(sgfblo_real)))
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: n = %lld is too large", fn, (long long)n);
  const size_t nn = (size_t)n * (size_t)n;
  sp = calloc(1, sizeof *sp);
  if (!sp) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: no memory for the instance", fn);
  sp->n = n;
  sp->H = malloc(sizeof *sp->H * nn);
  sp->G = malloc(sizeof *sp->G * nn);
  sp->c = malloc(sizeof *sp->c * (size_t)n);
  sp->d = malloc(sizeof *sp->d * (size_t)n);
  if (!sp->H || !sp->G || !sp->c || !sp->d)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: no memory for n = %lld", fn, (long long)n);
cleanup:
  if (st != SGFBLO_OK) {
    sgfblo_synthetic_destroy(sp);
    sp = NULL;
  }
  *out = sp;
  return st;
}

/* Form Hyy = H^T H and check that it is positive definite, i.e. that H is nonsingular and
   g(x, .) strongly convex, as every method assumes. */
static sgfblo_status synthetic_finish(sgfblo_synthetic *sp, sgfblo_errmsg *err, const char *fn) {
  sgfblo_status st = SGFBLO_OK;
  const int n = (int)sp->n;
  const size_t nn = (size_t)n * (size_t)n;
  sgfblo_real *L = NULL;
  /* Upper triangle of H^T H (row-major, H^T H = A^T A with A = H, K = N = n), then mirror. */
  SGFBLO_CBLAS(syrk)(CblasRowMajor, CblasUpper, CblasTrans, n, n, 1, sp->H, n, 0, sp->G, n);
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j) sp->G[(size_t)j * n + i] = sp->G[(size_t)i * n + j];
  L = malloc(sizeof *L * nn);
  if (!L) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: no memory for the Cholesky check", fn);
  memcpy(L, sp->G, sizeof *L * nn);
  const lapack_int info = SGFBLO_LAPACKE(potrf)(LAPACK_ROW_MAJOR, 'U', n, L, n);
  if (info > 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "%s: H is singular to working precision (Cholesky of H^T H fails at column %d), "
                "so g(x, .) = 1/2 ||H y - x||^2 is not strongly convex",
                fn, (int)info);
  if (info < 0) SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "%s: potrf argument %d invalid", fn, (int)-info);
cleanup:
  free(L);
  return st;
}

sgfblo_status sgfblo_synthetic_random(int64_t n, uint64_t seed, sgfblo_synthetic **out,
                                      sgfblo_errmsg *err) {
  static const char fn[] = "sgfblo_synthetic_random";
  sgfblo_status st = SGFBLO_OK;
  sgfblo_synthetic *sp = NULL;
  double *H = NULL;
  sgfblo_err_clear(err);
  if (!out) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "%s: out is NULL", fn);
  *out = NULL;
  SGFBLO_TRY(synthetic_alloc(n, &sp, err, fn));
  const size_t nn = (size_t)n * (size_t)n;
  H = malloc(sizeof *H * nn);
  if (!H) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: no memory for n = %lld", fn, (long long)n);

  /* Draw order (a seed names one instance, in either precision): H's Gaussian matrix and its
     eigenvalues (sgfblo_problem_random_sym), then c, then d. H is generated in double and
     rounded once, so the float instance is the double one rounded. */
  sgfblo_rng rng;
  sgfblo_rng_seed(&rng, seed);
  SGFBLO_TRY(sgfblo_problem_random_sym(&rng, n, 0.1, 1.0, H, err));
  for (size_t k = 0; k < nn; ++k) sp->H[k] = (sgfblo_real)H[k]; /* symmetric: any layout */
  for (int64_t i = 0; i < n; ++i) sp->c[i] = (sgfblo_real)sgfblo_rng_normal(&rng);
  for (int64_t i = 0; i < n; ++i) sp->d[i] = (sgfblo_real)sgfblo_rng_normal(&rng);
  SGFBLO_TRY(synthetic_finish(sp, err, fn));
cleanup:
  free(H);
  if (st != SGFBLO_OK) {
    sgfblo_synthetic_destroy(sp);
    sp = NULL;
  }
  *out = sp;
  return st;
}

/* SGFBLO_OK if a[0..len) is finite, else SGFBLO_ERR_NONFINITE naming the array and the entry
   (with row and column when cols > 0). */
static sgfblo_status check_finite(const sgfblo_real *a, size_t len, int64_t cols, const char *name,
                                  sgfblo_errmsg *err, const char *fn) {
  for (size_t k = 0; k < len; ++k) {
    if (isfinite(a[k])) continue;
    if (cols > 0)
      return sgfblo_fail(err, SGFBLO_ERR_NONFINITE, "%s: %s[%zu] (row %lld, column %lld) is %g", fn,
                         name, k, (long long)(k / (size_t)cols), (long long)(k % (size_t)cols),
                         (double)a[k]);
    return sgfblo_fail(err, SGFBLO_ERR_NONFINITE, "%s: %s[%zu] is %g", fn, name, k, (double)a[k]);
  }
  return SGFBLO_OK;
}

sgfblo_status sgfblo_synthetic_from_arrays(int64_t n, const sgfblo_real *H, const sgfblo_real *c,
                                           const sgfblo_real *d, sgfblo_synthetic **out,
                                           sgfblo_errmsg *err) {
  static const char fn[] = "sgfblo_synthetic_from_arrays";
  sgfblo_status st = SGFBLO_OK;
  sgfblo_synthetic *sp = NULL;
  sgfblo_err_clear(err);
  if (!out) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "%s: out is NULL", fn);
  *out = NULL;
  if (!H || !c || !d)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "%s: array %s is NULL", fn, !H ? "H" : !c ? "c" : "d");
  if (n < 1) SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: n must be >= 1 (got %lld)", fn, (long long)n);
  if (!sgfblo_problem_dims_ok(n, n, sizeof(sgfblo_real)))
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: n = %lld is too large", fn, (long long)n);
  const size_t nn = (size_t)n * (size_t)n;
  SGFBLO_TRY(check_finite(H, nn, n, "H", err, fn));
  SGFBLO_TRY(check_finite(c, (size_t)n, 0, "c", err, fn));
  SGFBLO_TRY(check_finite(d, (size_t)n, 0, "d", err, fn));
  SGFBLO_TRY(synthetic_alloc(n, &sp, err, fn));
  memcpy(sp->H, H, sizeof *H * nn);
  memcpy(sp->c, c, sizeof *c * (size_t)n);
  memcpy(sp->d, d, sizeof *d * (size_t)n);
  SGFBLO_TRY(synthetic_finish(sp, err, fn));
cleanup:
  if (st != SGFBLO_OK) {
    sgfblo_synthetic_destroy(sp);
    sp = NULL;
  }
  *out = sp;
  return st;
}

int64_t sgfblo_synthetic_dim(const sgfblo_synthetic *sp, const sgfblo_real **H,
                             const sgfblo_real **c, const sgfblo_real **d) {
  if (H) *H = sp ? sp->H : NULL;
  if (c) *c = sp ? sp->c : NULL;
  if (d) *d = sp ? sp->d : NULL;
  return sp ? sp->n : 0;
}

sgfblo_status sgfblo_synthetic_to_device(sgfblo_synthetic *sp, int device_id,
                                         sgfblo_errmsg *err) {
  static const char fn[] = "sgfblo_synthetic_to_device";
  sgfblo_err_clear(err);
  if (!sp) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "%s: sp is NULL", fn);
#ifdef SGFBLO_HAVE_CUDA
  if (sp->dev) {
    const int on = sgfblo_synth_dev_device(sp->dev);
    if (on == device_id) return SGFBLO_OK;
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "%s: the instance is already on CUDA device %d (asked for %d)", fn, on,
                       device_id);
  }
  return sgfblo_synth_dev_create(sp->n, sp->H, sp->G, sp->c, sp->d, device_id,
                                 (sgfblo_synth_dev **)&sp->dev, err);
#else
  (void)device_id;
  return sgfblo_fail(err, SGFBLO_ERR_NO_BACKEND, "%s: this build of sgfblo has no CUDA backend",
                     fn);
#endif
}

/* ------------------------------------------------------------------ callbacks -- */

#define SYNTH(ctx) ((const sgfblo_synthetic *)sgfblo_problem_host_data(ctx))
/* The device copy behind user_data (for SGFBLO_DEVICE_CALL). */
#define SYNTH_DEV(ud) (((const sgfblo_synthetic *)(ud))->dev)

/* Host: nothing to do. Device: make (or check) the device copy on device_id. */
static int synth_prepare(int device_id, const sgfblo_eval_ctx *ctx) {
  if (!ctx || !ctx->user_data) return SGFBLO_PROBLEM_CB_NOT_HOST;
  if (ctx->mem == SGFBLO_MEM_HOST) return 0;
  /* The instance is logically const to its callbacks; its device copy is made here, once. */
  sgfblo_synthetic *sp = (sgfblo_synthetic *)ctx->user_data;
  return sgfblo_problem_code(sgfblo_synthetic_to_device(sp, device_id, ctx->detail),
                             SGFBLO_PROBLEM_CB_NOT_ON_DEVICE);
}

/* a'b accumulated in double, as the device kernels do (a float build's BLAS dot would sum in
   float and part the backends by more than rounding). */
static double dot_double(int64_t n, const sgfblo_real *a, const sgfblo_real *b) {
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += (double)a[i] * (double)b[i];
  return acc;
}

/* s = c'x + d'y and ||x + y||^2, shared by f and grad f. */
static void synth_scalars(const sgfblo_synthetic *sp, const sgfblo_real *x, const sgfblo_real *y,
                          double *s, double *uu) {
  const int n = (int)sp->n;
  *s = dot_double(n, sp->c, x) + dot_double(n, sp->d, y);
  double acc = 0;
  for (int i = 0; i < n; ++i) {
    const double u = (double)x[i] + (double)y[i];
    acc += u * u;
  }
  *uu = acc;
}

static int synth_f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                       const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_f_val, x, y, out);
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  double s, uu;
  synth_scalars(sp, x, y, &s, &uu);
  *out = (sgfblo_real)(sin(s) + log1p(uu));
  return 0;
}

static int synth_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                        sgfblo_real *gy, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_grad_f, x, y, gx,
                     gy);
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  if (!gx && !gy) return 0;
  double s, uu;
  synth_scalars(sp, x, y, &s, &uu);
  const double cs = cos(s), q = 2.0 / (uu + 1.0); /* grad = cos(s) (c; d) + q (x + y; x + y) */
  for (int64_t i = 0; i < sp->n; ++i) {
    const double u = q * ((double)x[i] + (double)y[i]);
    if (gx) gx[i] = (sgfblo_real)(cs * sp->c[i] + u);
    if (gy) gy[i] = (sgfblo_real)(cs * sp->d[i] + u);
  }
  return 0;
}

static int synth_g_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                       const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_g_val, x, y, out);
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)sp->n;
  double acc = 0; /* sum_i ((H y)_i - x_i)^2, one row of H at a time: no scratch vector */
  for (int i = 0; i < n; ++i) {
    const double r = dot_double(n, sp->H + (size_t)i * n, y) - (double)x[i];
    acc += r * r;
  }
  *out = (sgfblo_real)(0.5 * acc);
  return 0;
}

static int synth_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                        sgfblo_real *gy, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_grad_g, x, y, gx,
                     gy);
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)sp->n;
  if (gx) { /* grad_x g = -(H y - x) = x - H y */
    SGFBLO_CBLAS(copy)(n, x, 1, gx, 1);
    SGFBLO_CBLAS(gemv)(CblasRowMajor, CblasNoTrans, n, n, -1, sp->H, n, y, 1, 1, gx, 1);
  }
  if (gy) { /* grad_y g = H^T (H y - x) = (H^T H) y - H^T x */
    SGFBLO_CBLAS(gemv)(CblasRowMajor, CblasNoTrans, n, n, 1, sp->G, n, y, 1, 0, gy, 1);
    SGFBLO_CBLAS(gemv)(CblasRowMajor, CblasTrans, n, n, -1, sp->H, n, x, 1, 1, gy, 1);
  }
  return 0;
}

/* out = Hyy v = H^T H v  (m -> m) */
static int synth_hyy_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                        sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_hyy, x, y, v, out);
  (void)x;
  (void)y;
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)sp->n;
  SGFBLO_CBLAS(gemv)(CblasRowMajor, CblasNoTrans, n, n, 1, sp->G, n, v, 1, 0, out, 1);
  return 0;
}

/* out = Jyx u = -H^T u  (n -> m) */
static int synth_jyx_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *u,
                        sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_jyx, x, y, u, out);
  (void)x;
  (void)y;
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)sp->n;
  SGFBLO_CBLAS(gemv)(CblasRowMajor, CblasTrans, n, n, -1, sp->H, n, u, 1, 0, out, 1);
  return 0;
}

/* out = Jyx^T v = -H v  (m -> n) */
static int synth_jyxT_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                         sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_jyxT, x, y, v, out);
  (void)x;
  (void)y;
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const int n = (int)sp->n;
  SGFBLO_CBLAS(gemv)(CblasRowMajor, CblasNoTrans, n, n, -1, sp->H, n, v, 1, 0, out, 1);
  return 0;
}

/* out = Hyy = H^T H, column-major m x m (symmetric: a plain copy). */
static int synth_hyy_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                           const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_hyy_dense, x, y,
                     out);
  (void)x;
  (void)y;
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  memcpy(out, sp->G, sizeof *out * (size_t)sp->n * (size_t)sp->n);
  return 0;
}

/* out = Jyx = -H^T, column-major m x n. Row-major H read column by column is H^T, so entry k
   of the column-major -H^T is -H[k]. */
static int synth_jyx_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                           const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, SYNTH_DEV, sgfblo_synth_dev_detail, sgfblo_synth_dev_jyx_dense, x, y,
                     out);
  (void)x;
  (void)y;
  const sgfblo_synthetic *sp = SYNTH(ctx);
  if (!sp) return SGFBLO_PROBLEM_CB_NOT_HOST;
  const size_t nn = (size_t)sp->n * (size_t)sp->n;
  for (size_t k = 0; k < nn; ++k) out[k] = -sp->H[k];
  return 0;
}

sgfblo_status sgfblo_synthetic_problem(const sgfblo_synthetic *sp, sgfblo_problem *p) {
  if (!sp || !p) return SGFBLO_ERR_NULL_ARG;
  memset(p, 0, sizeof *p);
  p->n = sp->n;
  p->m = sp->n;
  p->f_val = synth_f_val;
  p->g_val = synth_g_val;
  p->grad_f = synth_grad_f;
  p->grad_g = synth_grad_g;
  p->hyy_mv = synth_hyy_mv;
  p->jyx_mv = synth_jyx_mv;
  p->jyxT_mv = synth_jyxT_mv;
  p->hyy_dense = synth_hyy_dense;
  p->jyx_dense = synth_jyx_dense;
  p->x0 = NULL;
  p->y0 = NULL;
  p->x0_mem = SGFBLO_MEM_HOST;
  p->user_data = (void *)sp; /* the callbacks only read it (SYNTH casts back to const) */
  p->prepare = synth_prepare;
  return SGFBLO_OK;
}
