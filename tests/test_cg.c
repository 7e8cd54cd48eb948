/* Conjugate gradients on backend scalars (src/method/linsolve.c): the solution against a
   direct solve, and the host reading the scalars only every few iterations (as on a device)
   against reading them every iteration (as on the CPU): the same x bit for bit and the same
   iteration count, at most read_every - 1 extra products evaluated and none counted. Also the
   zero right-hand side, a non-positive curvature and an exhausted budget. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "core/solver_impl.h"
#include "method/linsolve.h"
#include "support.h"
#include "tools/rng.h"

#define N 40

typedef struct {
  double A[N * N]; /* column-major */
  int64_t products;
} dense_op;

/* Counted as one product oracle call of s (as an operator built from the problem's products
   is), and in op->products. */
static sgfblo_status apply_dense(sgfblo_solver *s, void *data, const sgfblo_real *v,
                                 sgfblo_real *out) {
  dense_op *op = data;
  op->products++;
  if (s) s->orc.n_prod++;
  for (int i = 0; i < N; ++i) {
    double acc = 0;
    for (int j = 0; j < N; ++j) acc += op->A[i + N * j] * (double)v[j];
    out[i] = (sgfblo_real)acc;
  }
  return SGFBLO_OK;
}

/* A = Q diag(lambda) Q' with lambda spread over [1, cond] (shift < 0 makes it indefinite). */
static void make_op(dense_op *op, uint64_t seed, double cond, double shift) {
  sgfblo_rng r;
  sgfblo_rng_seed(&r, seed);
  double B[N * N];
  for (int i = 0; i < N * N; ++i) B[i] = sgfblo_rng_normal(&r);
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) {
      double acc = 0;
      for (int k = 0; k < N; ++k) acc += B[i + N * k] * B[j + N * k];
      op->A[i + N * j] = acc / N;
    }
  for (int i = 0; i < N; ++i) op->A[i + N * i] += (cond - 1.0) * i / (N - 1) + shift;
  op->products = 0;
}

typedef struct {
  sgfblo_quadratic *q;
  sgfblo_solver *s;
  sgfblo_cg_ws ws;
} fixture;

/* A solver on the CPU backend gives sgfblo_cg_solve its ops, error buffer and counters. */
static void fixture_open(fixture *f, int read_every) {
  sgfblo_problem p;
  cr_assert_eq(sgfblo_quadratic_random(3, 2, 1, &f->q, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_problem(f->q, &p), SGFBLO_OK);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  cr_assert_eq(sgfblo_solver_create(&f->s), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_setup(f->s, &p, &set), SGFBLO_OK);
  cr_assert_eq(sgfblo_cg_ws_alloc(f->s, &f->ws, N), SGFBLO_OK);
  cr_assert_eq(f->ws.read_every, 1, "the CPU backend reads every iteration");
  f->ws.read_every = read_every;
}

static void fixture_close(fixture *f) {
  sgfblo_cg_ws_free(f->s, &f->ws);
  sgfblo_solver_destroy(f->s);
  sgfblo_quadratic_destroy(f->q);
}

/* iters: the iterations the solve reports; counted (if not NULL): the product calls it leaves
   on the solver's counts. */
static sgfblo_status solve_counted(fixture *f, dense_op *op, const sgfblo_real *b, sgfblo_real *x,
                                   double tol, int maxit, int64_t *iters, int64_t *counted) {
  const int64_t before = f->s->info.cg_iters, prod0 = f->s->orc.n_prod;
  for (int i = 0; i < N; ++i) x[i] = 0;
  const sgfblo_status st = sgfblo_cg_solve(f->s, &f->ws, apply_dense, op, b, x, tol, maxit);
  *iters = f->s->info.cg_iters - before;
  if (counted) *counted = f->s->orc.n_prod - prod0;
  return st;
}

static sgfblo_status solve(fixture *f, dense_op *op, const sgfblo_real *b, sgfblo_real *x,
                           double tol, int maxit, int64_t *iters) {
  return solve_counted(f, op, b, x, tol, maxit, iters, NULL);
}

Test(cg, solves_and_reading_every_few_iterations_changes_nothing) {
  sgfblo_real b[N], x1[N], x5[N];
  sgfblo_rng r;
  sgfblo_rng_seed(&r, 7);
  for (int i = 0; i < N; ++i) b[i] = (sgfblo_real)sgfblo_rng_normal(&r);
  dense_op op1, op5;
  make_op(&op1, 11, 50.0, 0.0);
  make_op(&op5, 11, 50.0, 0.0);
  fixture f1, f5;
  fixture_open(&f1, 1);
  fixture_open(&f5, 5);
  int64_t it1, it5, c1, c5;
  /* A loose tolerance, so that CG stops well before N iterations, mid-burst. */
  const double tol = TEST_CG_TOL > 1e-6 ? TEST_CG_TOL : 1e-6;
  cr_assert_eq(solve_counted(&f1, &op1, b, x1, tol, 500, &it1, &c1), SGFBLO_OK);
  cr_assert_eq(solve_counted(&f5, &op5, b, x5, tol, 500, &it5, &c5), SGFBLO_OK);
  const int64_t p1 = op1.products, p5 = op5.products;
  /* The residual of the solution, from the operator itself. */
  sgfblo_real Ax[N];
  apply_dense(NULL, &op1, x1, Ax);
  double rr = 0, bb = 0;
  for (int i = 0; i < N; ++i) {
    rr += ((double)b[i] - Ax[i]) * ((double)b[i] - Ax[i]);
    bb += (double)b[i] * b[i];
  }
  cr_log_info("CG: %lld iterations, relative residual %.3e; products %lld (read every 1) and "
              "%lld (read every 5)",
              (long long)it1, sqrt(rr / bb), (long long)p1 - 1, (long long)p5 - 1);
  cr_assert_leq(sqrt(rr / bb), 10 * tol);
  cr_assert_lt(it1, N);
  cr_assert_eq(it1, it5, "%lld vs %lld iterations", (long long)it1, (long long)it5);
  cr_assert_arr_eq(x1, x5, sizeof x1, "frozen iterations must not move x");
  /* One product for the warm-start residual plus one per iteration, then the burst's tail. */
  cr_assert_eq(p1, 1 + it1);
  cr_assert(p5 >= p1 && p5 < p1 + 5, "%lld vs %lld", (long long)p5, (long long)p1);
  cr_assert_eq((p5 - 1) % 5, 0, "whole bursts of 5");
  cr_assert_neq(p5, p1, "the test wants CG to stop mid-burst");
  /* The counts leave the burst's idle tail out: what the CPU counts, on either backend. */
  cr_assert_eq(c1, p1);
  cr_assert_eq(c5, p1, "counted %lld products reading every 5, %lld every 1", (long long)c5,
               (long long)c1);
  fixture_close(&f1);
  fixture_close(&f5);
}

Test(cg, zero_rhs_curvature_and_budget) {
  fixture f;
  fixture_open(&f, 3);
  sgfblo_real b[N] = {0}, x[N];
  dense_op op;
  make_op(&op, 3, 10.0, 0.0);
  int64_t it;
  /* b = 0: x = 0 with no iteration (a nonzero warm start is overwritten). */
  for (int i = 0; i < N; ++i) x[i] = 1;
  cr_assert_eq(sgfblo_cg_solve(f.s, &f.ws, apply_dense, &op, b, x, 1e-8, 10), SGFBLO_OK);
  for (int i = 0; i < N; ++i) cr_assert_eq(x[i], 0);
  for (int i = 0; i < N; ++i) b[i] = (sgfblo_real)(1 + i % 3);
  /* Too few iterations: NOT_CONVERGED with the residual reached. */
  cr_assert_eq(solve(&f, &op, b, x, 1e-12, 2, &it), SGFBLO_ERR_NOT_CONVERGED);
  cr_assert_eq(it, 2);
  cr_assert(strstr(f.s->err.msg, "in 2 iterations"), "%s", f.s->err.msg);
  /* Strongly indefinite: p'Ap <= 0 is met and reported, and counted as reading every
     iteration counts it (up to the product that met the curvature). */
  make_op(&op, 3, 10.0, -100.0);
  int64_t counted, counted1, it1;
  cr_assert_eq(solve_counted(&f, &op, b, x, 1e-12, 50, &it, &counted), SGFBLO_ERR_NOT_SPD, "%s",
               f.s->err.msg);
  cr_assert(strstr(f.s->err.msg, "curvature"), "%s", f.s->err.msg);
  fixture f1;
  fixture_open(&f1, 1);
  cr_assert_eq(solve_counted(&f1, &op, b, x, 1e-12, 50, &it1, &counted1), SGFBLO_ERR_NOT_SPD);
  cr_assert_eq(counted, counted1, "%lld products counted reading every 3, %lld every 1",
               (long long)counted, (long long)counted1);
  fixture_close(&f1);
  fixture_close(&f);
}
