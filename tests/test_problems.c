/* The built-in problems: every oracle against finite differences and against the formulas of
   MATH.md computed here independently, the random instances' promised properties (spectrum,
   determinism), input validation, and the quadratic problem's closed-form solution checked by
   its optimality conditions and by perturbation. */
#include <criterion/criterion.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sgfblo/sgfblo.h"
#include "support.h"

#define NSEEDS 3
static const uint64_t seeds[NSEEDS] = {1, 2, 20240601};
static const int64_t synth_dims[] = {1, 5, 20};
#define NSYNTH (sizeof synth_dims / sizeof synth_dims[0])
static const int64_t quad_dims[][2] = {{1, 1}, {5, 5}, {20, 20}, {7, 4}, {3, 9}};
#define NQUAD (sizeof quad_dims / sizeof quad_dims[0])

static const sgfblo_eval_ctx *host_ctx(const sgfblo_problem *p, sgfblo_eval_ctx *ctx) {
  ctx->mem = SGFBLO_MEM_HOST;
  ctx->stream = NULL;
  ctx->user_data = p->user_data;
  return ctx;
}

static sgfblo_real *rvec(int64_t n) {
  sgfblo_real *v = calloc((size_t)n, sizeof *v);
  cr_assert(v, "out of memory");
  return v;
}

static double *dvec(int64_t n) {
  double *v = calloc((size_t)n, sizeof *v);
  cr_assert(v, "out of memory");
  return v;
}

/* Solve A X = R in place (A m x m, R m x k, both column-major, double) by Gaussian elimination
   with partial pivoting: the test's own solver, independent of the library's Cholesky. */
static void gauss_solve(int m, int k, double *A, double *R) {
  for (int c = 0; c < m; ++c) {
    int piv = c;
    for (int i = c + 1; i < m; ++i)
      if (fabs(A[i + c * m]) > fabs(A[piv + c * m])) piv = i;
    cr_assert(A[piv + c * m] != 0, "singular matrix in gauss_solve");
    if (piv != c) {
      for (int j = 0; j < m; ++j) {
        const double t = A[c + j * m];
        A[c + j * m] = A[piv + j * m];
        A[piv + j * m] = t;
      }
      for (int j = 0; j < k; ++j) {
        const double t = R[c + j * m];
        R[c + j * m] = R[piv + j * m];
        R[piv + j * m] = t;
      }
    }
    for (int i = c + 1; i < m; ++i) {
      const double l = A[i + c * m] / A[c + c * m];
      for (int j = c; j < m; ++j) A[i + j * m] -= l * A[c + j * m];
      for (int j = 0; j < k; ++j) R[i + j * m] -= l * R[c + j * m];
    }
  }
  for (int j = 0; j < k; ++j)
    for (int i = m - 1; i >= 0; --i) {
      double s = R[i + j * m];
      for (int c = i + 1; c < m; ++c) s -= A[i + c * m] * R[c + j * m];
      R[i + j * m] = s / A[i + i * m];
    }
}

/* ------------------------------------------------------------------ synthetic -- */

static sgfblo_synthetic *make_synth(int64_t n, uint64_t seed, sgfblo_problem *p) {
  sgfblo_synthetic *sp = NULL;
  sgfblo_errmsg err;
  const sgfblo_status st = sgfblo_synthetic_random(n, seed, &sp, &err);
  cr_assert_eq(st, SGFBLO_OK, "synthetic_random(n=%lld, seed=%llu): %s", (long long)n,
               (unsigned long long)seed, err.msg);
  cr_assert_not_null(sp);
  cr_assert_str_empty(err.msg);
  if (p) cr_assert_eq(sgfblo_synthetic_problem(sp, p), SGFBLO_OK);
  return sp;
}

Test(synthetic, oracles_match_finite_differences) {
  for (size_t a = 0; a < NSYNTH; ++a)
    for (int s = 0; s < NSEEDS; ++s) {
      const int64_t n = synth_dims[a];
      sgfblo_problem p;
      sgfblo_synthetic *sp = make_synth(n, seeds[s], &p);
      cr_assert_eq(p.n, n);
      cr_assert_eq(p.m, n);
      sgfblo_real *x = rvec(n), *y = rvec(n);
      for (int k = 0; k < 2; ++k) { /* two random points per instance */
        test_random_vector(x, n, seeds[s] * 100 + 2 * k, 1.0);
        test_random_vector(y, n, seeds[s] * 100 + 2 * k + 1, 1.0);
        test_check_oracles(&p, x, y, seeds[s] + 10 * k, TEST_FD_TOL);
      }
      free(x);
      free(y);
      sgfblo_synthetic_destroy(sp);
    }
}

/* Values, gradients and blocks against MATH.md's formulas evaluated here in double. */
Test(synthetic, oracles_match_formulas) {
  for (size_t a = 0; a < NSYNTH; ++a) {
    const int64_t n = synth_dims[a];
    sgfblo_problem p;
    sgfblo_eval_ctx ctx;
    sgfblo_synthetic *sp = make_synth(n, 7, &p);
    const sgfblo_real *H, *c, *d;
    cr_assert_eq(sgfblo_synthetic_dim(sp, &H, &c, &d), n);
    sgfblo_real *x = rvec(n), *y = rvec(n), *gx = rvec(n), *gy = rvec(n);
    sgfblo_real *dense = rvec(n * n);
    double *r = dvec(n), *want_gx = dvec(n), *want_gy = dvec(n);
    test_random_vector(x, n, 71, 1.0);
    test_random_vector(y, n, 72, 1.0);
    host_ctx(&p, &ctx);

    /* f and grad f */
    double s = 0, uu = 0;
    for (int64_t i = 0; i < n; ++i) {
      s += (double)c[i] * x[i] + (double)d[i] * y[i];
      uu += ((double)x[i] + y[i]) * ((double)x[i] + y[i]);
    }
    sgfblo_real val;
    cr_assert_eq(p.f_val(x, y, &val, &ctx), 0);
    cr_expect_float_eq((double)val, sin(s) + log(uu + 1), TEST_TIGHT_TOL * 10, "f");
    cr_assert_eq(p.grad_f(x, y, gx, gy, &ctx), 0);
    for (int64_t i = 0; i < n; ++i) {
      const double q = 2 * ((double)x[i] + y[i]) / (uu + 1);
      want_gx[i] = cos(s) * c[i] + q;
      want_gy[i] = cos(s) * d[i] + q;
    }
    for (int64_t i = 0; i < n; ++i) {
      cr_expect_float_eq((double)gx[i], want_gx[i], TEST_TIGHT_TOL * 10, "grad_x f[%lld]", (long long)i);
      cr_expect_float_eq((double)gy[i], want_gy[i], TEST_TIGHT_TOL * 10, "grad_y f[%lld]", (long long)i);
    }

    /* g and grad g: r = H y - x (H row-major) */
    double g = 0;
    for (int64_t i = 0; i < n; ++i) {
      r[i] = -(double)x[i];
      for (int64_t j = 0; j < n; ++j) r[i] += (double)H[i * n + j] * y[j];
      g += 0.5 * r[i] * r[i];
    }
    cr_assert_eq(p.g_val(x, y, &val, &ctx), 0);
    cr_expect_float_eq((double)val, g, TEST_TIGHT_TOL * 10 * (1 + g), "g");
    cr_assert_eq(p.grad_g(x, y, gx, gy, &ctx), 0);
    for (int64_t j = 0; j < n; ++j) {
      double hr = 0; /* (H^T r)_j */
      for (int64_t i = 0; i < n; ++i) hr += (double)H[i * n + j] * r[i];
      cr_expect_float_eq((double)gx[j], -r[j], TEST_TIGHT_TOL * 100, "grad_x g[%lld]", (long long)j);
      cr_expect_float_eq((double)gy[j], hr, TEST_TIGHT_TOL * 100, "grad_y g[%lld]", (long long)j);
    }

    /* Dense blocks, column-major: Hyy = H^T H, Jyx = -H^T. */
    cr_assert_eq(p.hyy_dense(x, y, dense, &ctx), 0);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < n; ++i) {
        double hth = 0;
        for (int64_t k = 0; k < n; ++k) hth += (double)H[k * n + i] * H[k * n + j];
        cr_expect_float_eq((double)dense[i + j * n], hth, TEST_TIGHT_TOL * 10, "Hyy(%lld,%lld)",
                           (long long)i, (long long)j);
      }
    cr_assert_eq(p.jyx_dense(x, y, dense, &ctx), 0);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < n; ++i)
        cr_expect_eq(dense[i + j * n], -H[j * n + i], "Jyx(%lld,%lld)", (long long)i, (long long)j);

    free(x); free(y); free(gx); free(gy); free(dense); free(r); free(want_gx); free(want_gy);
    sgfblo_synthetic_destroy(sp);
  }
}

Test(synthetic, H_is_symmetric_with_spectrum_in_range) {
  for (size_t a = 0; a < NSYNTH; ++a)
    for (int s = 0; s < NSEEDS; ++s) {
      const int64_t n = synth_dims[a];
      sgfblo_synthetic *sp = make_synth(n, seeds[s], NULL);
      const sgfblo_real *H;
      cr_assert_eq(sgfblo_synthetic_dim(sp, &H, NULL, NULL), n);
      double *Hd = dvec(n * n), *w = dvec(n);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          cr_expect_eq(H[i * n + j], H[j * n + i], "H(%lld,%lld) != H(%lld,%lld)", (long long)i,
                       (long long)j, (long long)j, (long long)i);
          Hd[i * n + j] = H[i * n + j];
        }
      cr_assert_eq(LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'N', 'U', (lapack_int)n, Hd, (lapack_int)n, w), 0);
      const double lo = w[0], hi = w[n - 1], slack = TEST_TIGHT_TOL; /* ascending order */
      cr_expect(lo >= 0.1 - slack && hi <= 1 + slack,
                "n=%lld seed=%llu: eigenvalues [%g, %g] outside [0.1, 1]", (long long)n,
                (unsigned long long)seeds[s], lo, hi);
      cr_expect(hi / lo <= 10 * (1 + slack), "n=%lld: cond(H) = %g > 10", (long long)n, hi / lo);
      free(Hd);
      free(w);
      sgfblo_synthetic_destroy(sp);
    }
}

Test(synthetic, seed_names_one_instance) {
  const int64_t n = 5;
  sgfblo_synthetic *a = make_synth(n, 42, NULL), *b = make_synth(n, 42, NULL);
  sgfblo_synthetic *c = make_synth(n, 43, NULL);
  const sgfblo_real *Ha, *ca, *da, *Hb, *cb, *db, *Hc, *cc, *dc;
  sgfblo_synthetic_dim(a, &Ha, &ca, &da);
  sgfblo_synthetic_dim(b, &Hb, &cb, &db);
  sgfblo_synthetic_dim(c, &Hc, &cc, &dc);
  cr_expect(memcmp(Ha, Hb, sizeof *Ha * n * n) == 0, "same seed, different H");
  cr_expect(memcmp(ca, cb, sizeof *ca * n) == 0, "same seed, different c");
  cr_expect(memcmp(da, db, sizeof *da * n) == 0, "same seed, different d");
  cr_expect(memcmp(Ha, Hc, sizeof *Ha * n * n) != 0, "different seeds, same H");
  cr_expect(memcmp(ca, cc, sizeof *ca * n) != 0, "different seeds, same c");
  cr_expect(memcmp(da, dc, sizeof *da * n) != 0, "different seeds, same d");
  sgfblo_synthetic_destroy(a);
  sgfblo_synthetic_destroy(b);
  sgfblo_synthetic_destroy(c);
}

Test(synthetic, from_arrays_deep_copies) {
  const int64_t n = 4;
  sgfblo_problem p1, p2;
  sgfblo_eval_ctx c1, c2;
  sgfblo_synthetic *ref = make_synth(n, 3, &p1);
  const sgfblo_real *H, *c, *d;
  sgfblo_synthetic_dim(ref, &H, &c, &d);
  sgfblo_real Hc[16], cc[4], dc[4];
  memcpy(Hc, H, sizeof Hc);
  memcpy(cc, c, sizeof cc);
  memcpy(dc, d, sizeof dc);
  sgfblo_synthetic *sp = NULL;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_synthetic_from_arrays(n, Hc, cc, dc, &sp, &err), SGFBLO_OK, "%s", err.msg);
  Hc[0] = cc[0] = dc[0] = 1e6; /* the instance must not see later changes */
  cr_assert_eq(sgfblo_synthetic_problem(sp, &p2), SGFBLO_OK);
  host_ctx(&p1, &c1);
  host_ctx(&p2, &c2);

  sgfblo_real x[4], y[4], g1[4], g2[4], h1[4], h2[4], v1, v2;
  test_random_vector(x, n, 5, 1.0);
  test_random_vector(y, n, 6, 1.0);
  cr_assert_eq(p1.f_val(x, y, &v1, &c1), 0);
  cr_assert_eq(p2.f_val(x, y, &v2, &c2), 0);
  cr_expect_eq(v1, v2, "f differs");
  cr_assert_eq(p1.grad_g(x, y, g1, h1, &c1), 0);
  cr_assert_eq(p2.grad_g(x, y, g2, h2, &c2), 0);
  cr_expect(memcmp(g1, g2, sizeof g1) == 0 && memcmp(h1, h2, sizeof h1) == 0, "grad g differs");
  sgfblo_synthetic_destroy(sp);
  sgfblo_synthetic_destroy(ref);
}

/* Expect failure code `want`, *out reset to NULL (read after the call: arguments are evaluated
   before the body), and a message containing `needle`. */
static void expect_rejected(sgfblo_status got, sgfblo_status want, sgfblo_synthetic **out,
                            const sgfblo_errmsg *err, const char *needle, const char *what) {
  cr_expect_eq(got, want, "%s: got %d (%s), want %d", what, (int)got, sgfblo_status_string(got),
               (int)want);
  cr_expect_null(*out, "%s: *out not NULL after failure", what);
  *out = (sgfblo_synthetic *)out; /* a non-NULL value again, for the next call to reset */
  cr_expect(err->msg[0] != '\0', "%s: empty message", what);
  cr_expect(strstr(err->msg, needle) != NULL, "%s: message '%s' does not mention '%s'", what,
            err->msg, needle);
}

Test(synthetic, from_arrays_rejects_bad_input) {
  const int64_t n = 3;
  sgfblo_real H[9] = {1, 0, 0, 0, 2, 0, 0, 0, 3}, c[3] = {1, 2, 3}, d[3] = {4, 5, 6};
  sgfblo_synthetic *sp = (sgfblo_synthetic *)&sp; /* a non-NULL value that must be reset */
  sgfblo_errmsg err;

  expect_rejected(sgfblo_synthetic_from_arrays(n, NULL, c, d, &sp, &err), SGFBLO_ERR_NULL_ARG, &sp,
                  &err, "H", "H = NULL");
  expect_rejected(sgfblo_synthetic_from_arrays(n, H, NULL, d, &sp, &err), SGFBLO_ERR_NULL_ARG, &sp,
                  &err, "c", "c = NULL");
  expect_rejected(sgfblo_synthetic_from_arrays(n, H, c, NULL, &sp, &err), SGFBLO_ERR_NULL_ARG, &sp,
                  &err, "d", "d = NULL");
  cr_expect_eq(sgfblo_synthetic_from_arrays(n, H, c, d, NULL, &err), SGFBLO_ERR_NULL_ARG);
  cr_expect(err.msg[0] != '\0', "out = NULL: empty message");

  expect_rejected(sgfblo_synthetic_from_arrays(0, H, c, d, &sp, &err), SGFBLO_ERR_INVALID_ARG, &sp,
                  &err, "n", "n = 0");
  expect_rejected(sgfblo_synthetic_from_arrays(-5, H, c, d, &sp, &err), SGFBLO_ERR_INVALID_ARG,
                  &sp, &err, "-5", "n = -5");

  H[7] = (sgfblo_real)NAN; /* row 2, column 1 */
  expect_rejected(sgfblo_synthetic_from_arrays(n, H, c, d, &sp, &err), SGFBLO_ERR_NONFINITE, &sp,
                  &err, "H[7] (row 2, column 1)", "NaN in H");
  H[7] = 0;
  c[1] = (sgfblo_real)INFINITY;
  expect_rejected(sgfblo_synthetic_from_arrays(n, H, c, d, &sp, &err), SGFBLO_ERR_NONFINITE, &sp,
                  &err, "c[1]", "Inf in c");
  c[1] = 2;
  d[2] = (sgfblo_real)-NAN;
  expect_rejected(sgfblo_synthetic_from_arrays(n, H, c, d, &sp, &err), SGFBLO_ERR_NONFINITE, &sp,
                  &err, "d[2]", "NaN in d");
  d[2] = 6;

  H[8] = 0; /* singular H: g(x, .) is not strongly convex */
  expect_rejected(sgfblo_synthetic_from_arrays(n, H, c, d, &sp, &err), SGFBLO_ERR_INVALID_ARG, &sp,
                  &err, "singular", "singular H");
  H[8] = 3;

  /* A NULL message buffer is allowed; the valid input then succeeds and clears the message. */
  cr_expect_eq(sgfblo_synthetic_from_arrays(0, H, c, d, &sp, NULL), SGFBLO_ERR_INVALID_ARG);
  cr_assert_eq(sgfblo_synthetic_from_arrays(n, H, c, d, &sp, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_str_empty(err.msg);
  sgfblo_synthetic_destroy(sp);
}

Test(synthetic, random_rejects_bad_input) {
  sgfblo_synthetic *sp = (sgfblo_synthetic *)&sp;
  sgfblo_errmsg err;
  expect_rejected(sgfblo_synthetic_random(0, 1, &sp, &err), SGFBLO_ERR_INVALID_ARG, &sp, &err, "n",
                  "n = 0");
  cr_expect_eq(sgfblo_synthetic_random(5, 1, NULL, &err), SGFBLO_ERR_NULL_ARG);
  cr_expect(err.msg[0] != '\0', "out = NULL: empty message");
  cr_expect_eq(sgfblo_synthetic_random(-1, 1, &sp, NULL), SGFBLO_ERR_INVALID_ARG);
}

Test(synthetic, problem_and_accessors) {
  sgfblo_problem p;
  sgfblo_synthetic *sp = make_synth(6, 9, &p);
  cr_expect(p.f_val && p.g_val && p.grad_f && p.grad_g && p.hyy_mv && p.jyx_mv && p.jyxT_mv &&
            p.hyy_dense && p.jyx_dense, "a callback is missing");
  cr_expect_null(p.x0);
  cr_expect_null(p.y0);
  cr_expect_eq(p.user_data, (void *)sp);
  cr_expect_eq(sgfblo_synthetic_problem(NULL, &p), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_synthetic_problem(sp, NULL), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_synthetic_dim(sp, NULL, NULL, NULL), 6);
  const sgfblo_real *H = (const sgfblo_real *)&p;
  cr_expect_eq(sgfblo_synthetic_dim(NULL, &H, NULL, NULL), 0);
  cr_expect_null(H);
  sgfblo_synthetic_destroy(sp);
  sgfblo_synthetic_destroy(NULL);
}

/* ------------------------------------------------------------------ quadratic -- */

static sgfblo_quadratic *make_quad(int64_t n, int64_t m, uint64_t seed, sgfblo_problem *p) {
  sgfblo_quadratic *q = NULL;
  sgfblo_errmsg err;
  const sgfblo_status st = sgfblo_quadratic_random(n, m, seed, &q, &err);
  cr_assert_eq(st, SGFBLO_OK, "quadratic_random(%lld, %lld, %llu): %s", (long long)n,
               (long long)m, (unsigned long long)seed, err.msg);
  cr_assert_not_null(q);
  cr_assert_str_empty(err.msg);
  if (p) cr_assert_eq(sgfblo_quadratic_problem(q, p), SGFBLO_OK);
  return q;
}

Test(quadratic, oracles_match_finite_differences) {
  for (size_t a = 0; a < NQUAD; ++a)
    for (int s = 0; s < NSEEDS; ++s) {
      const int64_t n = quad_dims[a][0], m = quad_dims[a][1];
      sgfblo_problem p;
      sgfblo_quadratic *q = make_quad(n, m, seeds[s], &p);
      cr_assert_eq(p.n, n);
      cr_assert_eq(p.m, m);
      sgfblo_real *x = rvec(n), *y = rvec(m);
      test_random_vector(x, n, seeds[s] * 31 + 1, 1.0);
      test_random_vector(y, m, seeds[s] * 31 + 2, 1.0);
      test_check_oracles(&p, x, y, seeds[s], TEST_FD_TOL);
      free(x);
      free(y);
      sgfblo_quadratic_destroy(q);
    }
}

/* The instance read back through its oracles, in double: A (Hyy), B (-Jyx), xh, yh
   (grad f(0, 0) = (-xh, -yh)). */
typedef struct {
  int n, m;
  double *A, *B, *xh, *yh, *K; /* K = A^{-1} B by the test's own elimination */
} quad_data;

static quad_data read_quad(const sgfblo_problem *p) {
  quad_data qd = {(int)p->n, (int)p->m, NULL, NULL, NULL, NULL, NULL};
  const int n = qd.n, m = qd.m;
  sgfblo_eval_ctx ctx;
  host_ctx(p, &ctx);
  sgfblo_real *A = rvec(m * m), *B = rvec(m * n), *zx = rvec(n), *zy = rvec(m);
  sgfblo_real *gx = rvec(n), *gy = rvec(m);
  cr_assert_eq(p->hyy_dense(zx, zy, A, &ctx), 0);
  cr_assert_eq(p->jyx_dense(zx, zy, B, &ctx), 0);
  cr_assert_eq(p->grad_f(zx, zy, gx, gy, &ctx), 0);
  qd.A = dvec(m * m);
  qd.B = dvec(m * n);
  qd.xh = dvec(n);
  qd.yh = dvec(m);
  qd.K = dvec(m * n);
  for (int k = 0; k < m * m; ++k) qd.A[k] = A[k];
  for (int k = 0; k < m * n; ++k) qd.K[k] = qd.B[k] = -(double)B[k];
  for (int i = 0; i < n; ++i) qd.xh[i] = -(double)gx[i];
  for (int i = 0; i < m; ++i) qd.yh[i] = -(double)gy[i];
  double *Acopy = dvec(m * m);
  memcpy(Acopy, qd.A, sizeof *Acopy * m * m);
  gauss_solve(m, n, Acopy, qd.K);
  free(Acopy);
  free(A); free(B); free(zx); free(zy); free(gx); free(gy);
  return qd;
}

static void free_quad(quad_data *qd) {
  free(qd->A); free(qd->B); free(qd->xh); free(qd->yh); free(qd->K);
}

/* l(x) = f(x, y*(x)) with y*(x) = K x, through the problem's own f. */
static double implicit_objective(const sgfblo_problem *p, const quad_data *qd,
                                 const double *x) {
  sgfblo_eval_ctx ctx;
  host_ctx(p, &ctx);
  sgfblo_real *xr = rvec(qd->n), *yr = rvec(qd->m), val;
  for (int i = 0; i < qd->n; ++i) xr[i] = (sgfblo_real)x[i];
  for (int i = 0; i < qd->m; ++i) {
    double s = 0;
    for (int j = 0; j < qd->n; ++j) s += qd->K[i + j * qd->m] * x[j];
    yr[i] = (sgfblo_real)s;
  }
  cr_assert_eq(p->f_val(xr, yr, &val, &ctx), 0);
  free(xr);
  free(yr);
  return (double)val;
}

Test(quadratic, closed_form_is_the_bilevel_solution) {
  for (size_t a = 0; a < NQUAD; ++a)
    for (int s = 0; s < NSEEDS; ++s) {
      const int64_t n = quad_dims[a][0], m = quad_dims[a][1];
      sgfblo_problem p;
      sgfblo_eval_ctx ctx;
      sgfblo_quadratic *q = make_quad(n, m, seeds[s], &p);
      host_ctx(&p, &ctx);
      quad_data qd = read_quad(&p);
      sgfblo_real *xs = rvec(n), *ys = rvec(m), *gy = rvec(m);
      cr_assert_eq(sgfblo_quadratic_solution(q, xs, ys), SGFBLO_OK);
      const double scale = 1 + test_norm2(xs, n) + test_norm2(ys, m);

      /* Lower level: grad_y g(x*, y*) = 0. */
      cr_assert_eq(p.grad_g(xs, ys, NULL, gy, &ctx), 0);
      cr_expect(test_norm2(gy, m) <= TEST_TIGHT_TOL * scale, "n=%lld m=%lld: ||grad_y g|| = %g",
                (long long)n, (long long)m, test_norm2(gy, m));

      /* y* = K x* and the hypergradient (x* - xh) + K'(y* - yh) = 0. */
      double ky = 0, r2 = 0;
      for (int i = 0; i < m; ++i) {
        double kx = 0;
        for (int j = 0; j < n; ++j) kx += qd.K[i + j * m] * xs[j];
        ky = fmax(ky, fabs(kx - ys[i]));
      }
      for (int j = 0; j < n; ++j) {
        double r = xs[j] - qd.xh[j];
        for (int i = 0; i < m; ++i) r += qd.K[i + j * m] * (ys[i] - qd.yh[i]);
        r2 += r * r;
      }
      cr_expect(ky <= TEST_TIGHT_TOL * scale, "n=%lld m=%lld: |y* - K x*| = %g", (long long)n,
                (long long)m, ky);
      cr_expect(sqrt(r2) <= TEST_TIGHT_TOL * scale, "n=%lld m=%lld: hypergradient norm %g",
                (long long)n, (long long)m, sqrt(r2));

      /* x* minimises l(x) = f(x, Kx): for a perturbation e, l(x* + e) - l(x*) must be
         1/2 ||e||^2 + 1/2 ||K e||^2 > 0 (exact for a quadratic with zero gradient at x*). */
      double *xd = dvec(n), *e = dvec(n);
      for (int j = 0; j < n; ++j) xd[j] = xs[j];
      const double l0 = implicit_objective(&p, &qd, xd);
      for (int k = 0; k < 5; ++k) {
        sgfblo_real er[32];
        test_random_vector(er, n, 1000 + k, 0.1);
        double want = 0;
        for (int j = 0; j < n; ++j) {
          e[j] = er[j];
          xd[j] = (double)xs[j] + e[j];
          want += 0.5 * e[j] * e[j];
        }
        for (int i = 0; i < m; ++i) {
          double ke = 0;
          for (int j = 0; j < n; ++j) ke += qd.K[i + j * m] * e[j];
          want += 0.5 * ke * ke;
        }
        const double got = implicit_objective(&p, &qd, xd) - l0;
        cr_expect(got > 0, "n=%lld m=%lld: l(x* + e) <= l(x*)", (long long)n, (long long)m);
        cr_expect(fabs(got - want) <= TEST_FD_TOL * want,
                  "n=%lld m=%lld: l(x*+e) - l(x*) = %.10g, want %.10g", (long long)n, (long long)m,
                  got, want);
      }
      free(xd); free(e); free(xs); free(ys); free(gy);
      free_quad(&qd);
      sgfblo_quadratic_destroy(q);
    }
}

Test(quadratic, seed_names_one_instance) {
  sgfblo_quadratic *a = make_quad(7, 4, 5, NULL), *b = make_quad(7, 4, 5, NULL);
  sgfblo_quadratic *c = make_quad(7, 4, 6, NULL);
  sgfblo_problem pa, pb, pc;
  sgfblo_quadratic_problem(a, &pa);
  sgfblo_quadratic_problem(b, &pb);
  sgfblo_quadratic_problem(c, &pc);
  quad_data da = read_quad(&pa), db = read_quad(&pb), dc = read_quad(&pc);
  cr_expect(memcmp(da.A, db.A, sizeof(double) * 16) == 0, "same seed, different A");
  cr_expect(memcmp(da.B, db.B, sizeof(double) * 28) == 0, "same seed, different B");
  cr_expect(memcmp(da.xh, db.xh, sizeof(double) * 7) == 0, "same seed, different xh");
  cr_expect(memcmp(da.yh, db.yh, sizeof(double) * 4) == 0, "same seed, different yh");
  cr_expect(memcmp(da.A, dc.A, sizeof(double) * 16) != 0, "different seeds, same A");
  cr_expect(memcmp(da.B, dc.B, sizeof(double) * 28) != 0, "different seeds, same B");
  sgfblo_real xa[7], xb[7], xc[7];
  sgfblo_quadratic_solution(a, xa, NULL);
  sgfblo_quadratic_solution(b, xb, NULL);
  sgfblo_quadratic_solution(c, xc, NULL);
  cr_expect(memcmp(xa, xb, sizeof xa) == 0, "same seed, different x*");
  cr_expect(memcmp(xa, xc, sizeof xa) != 0, "different seeds, same x*");
  free_quad(&da);
  free_quad(&db);
  free_quad(&dc);
  sgfblo_quadratic_destroy(a);
  sgfblo_quadratic_destroy(b);
  sgfblo_quadratic_destroy(c);
}

Test(quadratic, A_is_spd_with_spectrum_in_range) {
  for (int s = 0; s < NSEEDS; ++s) {
    sgfblo_problem p;
    sgfblo_quadratic *q = make_quad(3, 9, seeds[s], &p);
    quad_data qd = read_quad(&p);
    double w[9];
    for (int i = 0; i < 9; ++i)
      for (int j = 0; j < 9; ++j) cr_expect_eq(qd.A[i + 9 * j], qd.A[j + 9 * i], "A not symmetric");
    cr_assert_eq(LAPACKE_dsyev(LAPACK_COL_MAJOR, 'N', 'U', 9, qd.A, 9, w), 0);
    cr_expect(w[0] >= 0.5 - TEST_TIGHT_TOL && w[8] <= 2 + TEST_TIGHT_TOL,
              "eigenvalues of A [%g, %g] outside [0.5, 2]", w[0], w[8]);
    free_quad(&qd);
    sgfblo_quadratic_destroy(q);
  }
}

Test(quadratic, rejects_bad_input) {
  sgfblo_quadratic *q = (sgfblo_quadratic *)&q;
  sgfblo_errmsg err;
  cr_expect_eq(sgfblo_quadratic_random(0, 3, 1, &q, &err), SGFBLO_ERR_INVALID_ARG);
  cr_expect_null(q);
  cr_expect(strstr(err.msg, "n = 0") != NULL, "message '%s'", err.msg);
  cr_expect_eq(sgfblo_quadratic_random(3, -2, 1, &q, &err), SGFBLO_ERR_INVALID_ARG);
  cr_expect(strstr(err.msg, "m = -2") != NULL, "message '%s'", err.msg);
  cr_expect_eq(sgfblo_quadratic_random(3, 3, 1, NULL, &err), SGFBLO_ERR_NULL_ARG);
  cr_expect(err.msg[0] != '\0', "out = NULL: empty message");
  cr_expect_eq(sgfblo_quadratic_random(0, 0, 1, &q, NULL), SGFBLO_ERR_INVALID_ARG);

  sgfblo_problem p;
  sgfblo_real x[2];
  cr_expect_eq(sgfblo_quadratic_problem(NULL, &p), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_quadratic_solution(NULL, x, x), SGFBLO_ERR_NULL_ARG);
  q = make_quad(2, 2, 1, NULL);
  cr_expect_eq(sgfblo_quadratic_problem(q, NULL), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_quadratic_solution(q, NULL, NULL), SGFBLO_OK);
  sgfblo_quadratic_destroy(q);
  sgfblo_quadratic_destroy(NULL);
}

/* ------------------------------------------------------------------ both -- */

/* Every callback refuses memory it cannot read (device pointers; the CUDA path comes later)
   and a missing context, without touching its arguments; NULL gradient blocks are skipped. */
static void check_contract(const sgfblo_problem *p) {
  const int64_t n = p->n, m = p->m, big = n > m ? n : m;
  sgfblo_real *x = rvec(n), *y = rvec(m), *v = rvec(big), *o1 = rvec(big * big);
  sgfblo_real *o2 = rvec(big), *gx = rvec(n), *gy = rvec(m), val = 0;
  test_random_vector(x, n, 1, 1.0);
  test_random_vector(y, m, 2, 1.0);
  test_random_vector(v, big, 3, 1.0);
  const sgfblo_eval_ctx dev = {SGFBLO_MEM_DEVICE, NULL, p->user_data, NULL};
  const sgfblo_eval_ctx *bad[2] = {&dev, NULL};
  for (int k = 0; k < 2; ++k) {
    const sgfblo_eval_ctx *c = bad[k];
    const char *what = c ? "device memory" : "NULL ctx";
    cr_expect_neq(p->f_val(x, y, &val, c), 0, "f_val accepted %s", what);
    cr_expect_neq(p->g_val(x, y, &val, c), 0, "g_val accepted %s", what);
    cr_expect_neq(p->grad_f(x, y, o1, o2, c), 0, "grad_f accepted %s", what);
    cr_expect_neq(p->grad_g(x, y, o1, o2, c), 0, "grad_g accepted %s", what);
    cr_expect_neq(p->hyy_mv(x, y, v, o1, c), 0, "hyy_mv accepted %s", what);
    cr_expect_neq(p->jyx_mv(x, y, v, o1, c), 0, "jyx_mv accepted %s", what);
    cr_expect_neq(p->jyxT_mv(x, y, v, o1, c), 0, "jyxT_mv accepted %s", what);
    cr_expect_neq(p->hyy_dense(x, y, o1, c), 0, "hyy_dense accepted %s", what);
    cr_expect_neq(p->jyx_dense(x, y, o1, c), 0, "jyx_dense accepted %s", what);
  }
  for (int64_t i = 0; i < big * big; ++i) cr_expect_eq(o1[i], 0, "a refusing callback wrote");

  sgfblo_eval_ctx ctx;
  host_ctx(p, &ctx);
  cr_expect_eq(p->grad_f(x, y, NULL, NULL, &ctx), 0);
  cr_expect_eq(p->grad_g(x, y, NULL, NULL, &ctx), 0);
  cr_assert_eq(p->grad_f(x, y, gx, gy, &ctx), 0);
  cr_assert_eq(p->grad_f(x, y, o2, NULL, &ctx), 0);
  cr_expect(memcmp(o2, gx, sizeof *gx * n) == 0, "grad_x f with grad_y f skipped differs");
  cr_assert_eq(p->grad_f(x, y, NULL, o2, &ctx), 0);
  cr_expect(memcmp(o2, gy, sizeof *gy * m) == 0, "grad_y f with grad_x f skipped differs");
  cr_assert_eq(p->grad_g(x, y, gx, gy, &ctx), 0);
  cr_assert_eq(p->grad_g(x, y, o2, NULL, &ctx), 0);
  cr_expect(memcmp(o2, gx, sizeof *gx * n) == 0, "grad_x g with grad_y g skipped differs");
  free(x); free(y); free(v); free(o1); free(o2); free(gx); free(gy);
}

Test(contract, synthetic_callbacks) {
  sgfblo_problem p;
  sgfblo_synthetic *sp = make_synth(5, 1, &p);
  check_contract(&p);
  sgfblo_synthetic_destroy(sp);
}

Test(contract, quadratic_callbacks) {
  sgfblo_problem p;
  sgfblo_quadratic *q = make_quad(7, 4, 1, &p);
  check_contract(&p);
  sgfblo_quadratic_destroy(q);
  q = make_quad(3, 9, 1, &p);
  check_contract(&p);
  sgfblo_quadratic_destroy(q);
}
