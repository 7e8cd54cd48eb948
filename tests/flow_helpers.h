/* Helpers for the method and integrator tests: host-side evaluation of a problem's oracles,
   and a solver set up on a problem with given settings. */
#ifndef SGFBLO_TESTS_FLOW_HELPERS_H
#define SGFBLO_TESTS_FLOW_HELPERS_H

#include <criterion/criterion.h>
#include <stdlib.h>

#include "sgfblo/sgfblo.h"

static inline const sgfblo_eval_ctx *host_ctx(const sgfblo_problem *p) {
  static sgfblo_eval_ctx ctx;
  ctx = (sgfblo_eval_ctx){SGFBLO_MEM_HOST, NULL, p->user_data, NULL};
  return &ctx;
}

static inline sgfblo_real *vec(int64_t n) {
  sgfblo_real *v = calloc((size_t)n, sizeof *v);
  cr_assert_not_null(v);
  return v;
}

static inline double dot(const sgfblo_real *a, const sgfblo_real *b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += (double)a[i] * b[i];
  return s;
}

/* Set up a solver or fail the test with the library's message. */
static inline sgfblo_solver *make_solver(const sgfblo_problem *p, const sgfblo_settings *set) {
  sgfblo_solver *s = NULL;
  cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
  const sgfblo_status st = sgfblo_solver_setup(s, p, set);
  cr_assert_eq(st, SGFBLO_OK, "setup: %s: %s", sgfblo_status_string(st), sgfblo_solver_last_error(s));
  return s;
}

static inline void solve_ok(sgfblo_solver *s) {
  const sgfblo_status st = sgfblo_solver_solve(s);
  cr_assert_eq(st, SGFBLO_OK, "solve: %s: %s", sgfblo_status_string(st), sgfblo_solver_last_error(s));
}

/* Dense solve A x = b (column-major n x n, overwritten) by Gaussian elimination with partial
   pivoting: an independent reference for the library's Cholesky/CG paths. */
static inline void dense_solve(double *A, double *b, int64_t n) {
  for (int64_t k = 0; k < n; ++k) {
    int64_t piv = k;
    for (int64_t i = k + 1; i < n; ++i)
      if (fabs(A[k * n + i]) > fabs(A[k * n + piv])) piv = i;
    for (int64_t j = 0; j < n; ++j) {
      const double t = A[j * n + k];
      A[j * n + k] = A[j * n + piv];
      A[j * n + piv] = t;
    }
    const double tb = b[k];
    b[k] = b[piv];
    b[piv] = tb;
    for (int64_t i = k + 1; i < n; ++i) {
      const double f = A[k * n + i] / A[k * n + k];
      for (int64_t j = k; j < n; ++j) A[j * n + i] -= f * A[j * n + k];
      b[i] -= f * b[k];
    }
  }
  for (int64_t i = n - 1; i >= 0; --i) {
    double acc = b[i];
    for (int64_t j = i + 1; j < n; ++j) acc -= A[j * n + i] * b[j];
    b[i] = acc / A[i * n + i];
  }
}

/* w = Hyy^{-1} r at (x, y), Hyy formed column by column from products. */
static inline void hyy_solve_ref(const sgfblo_problem *p, const sgfblo_real *x, const sgfblo_real *y,
                          const sgfblo_real *r, sgfblo_real *w) {
  const int64_t m = p->m;
  double *H = calloc((size_t)(m * m), sizeof *H), *b = calloc((size_t)m, sizeof *b);
  sgfblo_real *e = vec(m), *col = vec(m);
  for (int64_t j = 0; j < m; ++j) {
    e[j] = 1;
    cr_assert_eq(p->hyy_mv(x, y, e, col, host_ctx(p)), 0);
    e[j] = 0;
    for (int64_t i = 0; i < m; ++i) H[j * m + i] = col[i];
    b[j] = r[j];
  }
  dense_solve(H, b, m);
  for (int64_t i = 0; i < m; ++i) w[i] = (sgfblo_real)b[i];
  free(H); free(b); free(e); free(col);
}

#endif /* SGFBLO_TESTS_FLOW_HELPERS_H */
