/* AID-BiO, the discrete baseline: convergence to the closed-form solution of the quadratic
   problem, the oracle budget, the per-iteration oracle count against a hand count and against
   the callbacks actually made, monitoring and the CSV log, settings validation and the error
   paths (failing callback, blow-up). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "flow_helpers.h"
#include "support.h"

#ifdef SGFBLO_USE_FLOAT
#define AID_TOL 1e-3
#else
#define AID_TOL 1e-6
#endif

/* n = 6 upper, m = 4 lower variables: Hyy = A has eigenvalues in [0.5, 2]. */
static sgfblo_quadratic *Q;
static sgfblo_problem P;
static void setup_q(void) {
  cr_assert_eq(sgfblo_quadratic_random(6, 4, 11, &Q, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_problem(Q, &P), SGFBLO_OK);
}
static void teardown_q(void) { sgfblo_quadratic_destroy(Q); }
TestSuite(aidbio, .init = setup_q, .fini = teardown_q);

/* Settings for the quadratic: beta_in = 0.5 contracts the inner descent by <= 0.75 per step;
   beta_out = 0.2 is below 2 / L of the implicit objective f(x, y*(x)) of this instance. */
static sgfblo_aidbio_settings quad_settings(int D, int K) {
  sgfblo_aidbio_settings set;
  sgfblo_aidbio_settings_default(&set);
  set.beta_in = 0.5;
  set.beta_out = 0.2;
  set.inner_steps = D;
  set.cg_steps = K;
  set.monitor_every = 1000000;
  return set;
}

static sgfblo_status run(const sgfblo_problem *p, const sgfblo_aidbio_settings *set,
                         sgfblo_real *x, sgfblo_real *y, sgfblo_info *info, sgfblo_errmsg *err) {
  memset(x, 0, sizeof *x * (size_t)p->n);
  memset(y, 0, sizeof *y * (size_t)p->m);
  return sgfblo_aidbio_run(p, set, x, y, info, err);
}

/* ------------------------------------------------------------ convergence -- */

Test(aidbio, converges_to_the_closed_form_solution) {
  const int64_t n = P.n, m = P.m;
  sgfblo_real *x = vec(n), *y = vec(m), *xs = vec(n), *ys = vec(m);
  cr_assert_eq(sgfblo_quadratic_solution(Q, xs, ys), SGFBLO_OK);
  /* K = m: CG is exact in m steps, so the fixed point is the exact bilevel solution. */
  sgfblo_aidbio_settings set = quad_settings(10, (int)m);
  set.max_iters = 400;
  sgfblo_info info;
  sgfblo_errmsg err;
  const sgfblo_status st = run(&P, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_OK, "%s: %s", sgfblo_status_string(st), err.msg);
  const double ex = test_rel_err(x, xs, n, 1e-12), ey = test_rel_err(y, ys, m, 1e-12);
  cr_log_info("AID-BiO D = 10, K = %lld, %lld iterations: ||x - x*||/||x*|| = %.3e, "
              "||y - y*||/||y*|| = %.3e, ||F|| = %.3e, n_oracle = %lld",
              (long long)m, (long long)info.last.step, ex, ey, info.last.hypergrad_norm,
              (long long)info.last.n_oracle);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_MAX_STEPS);
  cr_assert_eq(info.last.step, 400);
  cr_assert(ex <= AID_TOL, "relative error in x %.3e > %.1e", ex, AID_TOL);
  cr_assert(ey <= AID_TOL, "relative error in y %.3e > %.1e", ey, AID_TOL);
  cr_assert(info.last.grad_g_norm <= AID_TOL);
  cr_assert(info.last.hypergrad_norm <= AID_TOL);
  free(x); free(y); free(xs); free(ys);
}

Test(aidbio, inexact_inner_solves_still_converge) {
  /* D = 2, K = 1 (fewer CG steps than m): the warm starts of y and w carry the accuracy
     across iterations, so the method still converges, only more slowly. */
  const int64_t n = P.n, m = P.m;
  sgfblo_real *x = vec(n), *y = vec(m), *xs = vec(n);
  cr_assert_eq(sgfblo_quadratic_solution(Q, xs, NULL), SGFBLO_OK);
  sgfblo_aidbio_settings set = quad_settings(2, 1);
  set.max_iters = 3000;
  sgfblo_info info;
  sgfblo_errmsg err;
  cr_assert_eq(run(&P, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  const double ex = test_rel_err(x, xs, n, 1e-12);
  cr_log_info("AID-BiO D = 2, K = 1: ||x - x*||/||x*|| = %.3e after %lld iterations", ex,
              (long long)info.last.step);
  cr_assert(ex <= AID_TOL, "relative error %.3e", ex);
  free(x); free(y); free(xs);
}

/* ---------------------------------------------------------- oracle counts -- */

/* Wraps P and counts every callback the library actually makes. */
typedef struct {
  int64_t f_val, grad_f, grad_g, hyy, jyx, jyxT;
  int64_t fail_after; /* grad_g calls allowed before it fails with 42; < 0: never */
  int nan_hyy;        /* hyy_mv returns NaN */
} counter;

static const sgfblo_eval_ctx *inner_ctx(const sgfblo_eval_ctx *ctx, sgfblo_eval_ctx *tmp) {
  *tmp = *ctx;
  tmp->user_data = P.user_data;
  return tmp;
}

static int c_f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                   const sgfblo_eval_ctx *ctx) {
  sgfblo_eval_ctx t;
  counter *c = ctx->user_data;
  cr_assert_eq(ctx->mem, SGFBLO_MEM_HOST);
  c->f_val++;
  return P.f_val(x, y, out, inner_ctx(ctx, &t));
}
static int c_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                    const sgfblo_eval_ctx *ctx) {
  sgfblo_eval_ctx t;
  counter *c = ctx->user_data;
  c->grad_f++;
  return P.grad_f(x, y, gx, gy, inner_ctx(ctx, &t));
}
static int c_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                    const sgfblo_eval_ctx *ctx) {
  sgfblo_eval_ctx t;
  counter *c = ctx->user_data;
  if (c->fail_after >= 0 && c->grad_g >= c->fail_after) {
    if (ctx->detail)
      snprintf(ctx->detail->msg, sizeof ctx->detail->msg, "budget of %lld calls spent",
               (long long)c->fail_after);
    return 42;
  }
  c->grad_g++;
  return P.grad_g(x, y, gx, gy, inner_ctx(ctx, &t));
}
static int c_hyy(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                 sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  sgfblo_eval_ctx t;
  counter *c = ctx->user_data;
  c->hyy++;
  const int rc = P.hyy_mv(x, y, v, out, inner_ctx(ctx, &t));
  if (c->nan_hyy) out[0] = NAN;
  return rc;
}
static int c_jyx(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                 sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  sgfblo_eval_ctx t;
  counter *c = ctx->user_data;
  c->jyx++;
  return P.jyx_mv(x, y, v, out, inner_ctx(ctx, &t));
}
static int c_jyxT(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                  sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  sgfblo_eval_ctx t;
  counter *c = ctx->user_data;
  c->jyxT++;
  return P.jyxT_mv(x, y, v, out, inner_ctx(ctx, &t));
}

static sgfblo_problem counted(counter *c) {
  memset(c, 0, sizeof *c);
  c->fail_after = -1;
  sgfblo_problem p = P;
  p.f_val = c_f_val;
  p.g_val = NULL;
  p.grad_f = c_grad_f;
  p.grad_g = c_grad_g;
  p.hyy_mv = c_hyy;
  p.jyx_mv = c_jyx;
  p.jyxT_mv = c_jyxT;
  p.hyy_dense = NULL;
  p.jyx_dense = NULL;
  p.user_data = c;
  return p;
}

Test(aidbio, oracle_counts_match_a_hand_count) {
  const int D = 3, K = 2; /* K < m = 4: CG runs all K steps */
  counter c;
  const sgfblo_problem p = counted(&c);
  sgfblo_real *x = vec(p.n), *y = vec(p.m);
  sgfblo_info info;
  sgfblo_errmsg err;
  sgfblo_aidbio_settings set = quad_settings(D, K);

  /* One iteration from w = 0: D grad_g + 1 grad_f; K CG products (no warm-start residual,
     since w = 0) + 1 Jyx^T. Monitoring at the start and the end: 2 f_val + 2 grad_g, counted
     apart. */
  set.max_iters = 1;
  cr_assert_eq(run(&p, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(info.n_grad, D + 1);
  cr_assert_eq(info.n_prod, K + 1);
  cr_assert_eq(info.last.n_oracle, D + K + 2);
  cr_assert_eq(info.cg_iters, K);
  cr_assert_eq(info.n_value, 2);
  cr_assert_eq(c.grad_g, D + 2, "grad_g calls %lld", (long long)c.grad_g);
  cr_assert_eq(c.grad_f, 1);
  cr_assert_eq(c.hyy, K);
  cr_assert_eq(c.jyxT, 1);
  cr_assert_eq(c.jyx, 0, "AID-BiO never needs Jyx u");
  cr_assert_eq(c.f_val, 2);

  /* Two iterations: the second adds the warm-start residual Hyy w_1, so D + K + 3. */
  const sgfblo_problem p2 = counted(&c);
  set.max_iters = 2;
  cr_assert_eq(run(&p2, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(info.n_grad, 2 * (D + 1));
  cr_assert_eq(info.n_prod, (K + 1) + (K + 2));
  cr_assert_eq(info.last.n_oracle, (D + K + 2) + (D + K + 3));
  cr_assert_eq(c.hyy, 2 * K + 1);
  cr_assert_eq(c.grad_g, 2 * D + 2);
  cr_assert_eq(info.cg_iters, 2 * K);
  free(x); free(y);
}

Test(aidbio, counts_do_not_depend_on_monitoring) {
  counter c;
  const sgfblo_problem p = counted(&c);
  sgfblo_real *x = vec(p.n), *y = vec(p.m), *x1 = vec(p.n);
  sgfblo_info a, b;
  sgfblo_aidbio_settings set = quad_settings(3, 2);
  set.max_iters = 20;
  set.monitor_every = 1;
  cr_assert_eq(run(&p, &set, x1, y, &a, NULL), SGFBLO_OK);
  const int64_t grad_g_calls = c.grad_g;
  set.monitor_every = 7;
  const sgfblo_problem p2 = counted(&c);
  cr_assert_eq(run(&p2, &set, x, y, &b, NULL), SGFBLO_OK);
  cr_assert_eq(a.n_grad, b.n_grad);
  cr_assert_eq(a.n_prod, b.n_prod);
  cr_assert_eq(a.last.n_oracle, b.last.n_oracle);
  cr_assert_eq(grad_g_calls - c.grad_g, 21 - 4, "monitor calls differ: 21 vs 4 reports");
  cr_assert_arr_eq(x, x1, sizeof *x * (size_t)p.n, "the iterates must not depend on monitoring");
  free(x); free(y); free(x1);
}

Test(aidbio, oracle_budget_stops_at_or_just_past_it) {
  const int D = 3, K = 2;
  const int64_t per_iter = D + K + 3;
  const int64_t budgets[] = {1, 7, 8, 100, 103, 104, 250};
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; ++i) {
    const int64_t B = budgets[i];
    sgfblo_aidbio_settings set = quad_settings(D, K);
    set.max_iters = 1000000;
    set.max_oracle_evals = B;
    sgfblo_info info;
    sgfblo_errmsg err;
    cr_assert_eq(run(&P, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
    const int64_t used = info.last.n_oracle;
    /* The first iteration costs per_iter - 1 (w_0 = 0), every later one per_iter. */
    int64_t want_iters = 0, want_used = 0;
    while (want_used < B) want_used += want_iters++ == 0 ? per_iter - 1 : per_iter;
    cr_log_info("budget %lld: %lld iterations, %lld oracle calls", (long long)B,
                (long long)info.last.step, (long long)used);
    cr_assert_eq(info.exit_flag, SGFBLO_EXIT_MAX_STEPS);
    cr_assert_eq(used, info.n_grad + info.n_prod);
    cr_assert(used >= B && used - B < per_iter, "budget %lld, used %lld", (long long)B,
              (long long)used);
    cr_assert_eq(used, want_used);
    cr_assert_eq(info.last.step, want_iters);
  }
  free(x); free(y);
}

/* ------------------------------------------------------------ monitoring -- */

typedef struct {
  int64_t calls, stop_at;
  sgfblo_progress first, last;
} watcher;

static int watch(const sgfblo_progress *pr, void *data) {
  watcher *w = data;
  if (w->calls++ == 0) w->first = *pr;
  w->last = *pr;
  return w->stop_at >= 0 && pr->step >= w->stop_at;
}

/* Every report's ||F|| and ||z_{k+1} - z_k||_inf are those of the iteration it follows:
   against the iterates of runs stopped after k - 1 and k iterations (x moves by beta_out F). */
typedef struct {
  int64_t calls;
  sgfblo_progress at[16];
} recorder;

static int record_all(const sgfblo_progress *pr, void *data) {
  recorder *r = data;
  if (r->calls < 16) r->at[r->calls] = *pr;
  r->calls++;
  return 0;
}

Test(aidbio, reports_the_norms_of_the_last_iteration) {
  enum { K = 6 };
  const int64_t n = P.n, m = P.m;
  sgfblo_real *z = calloc((size_t)((K + 1) * (n + m)), sizeof *z);
  sgfblo_aidbio_settings set = quad_settings(3, 2);
  sgfblo_info info;
  for (int k = 0; k <= K; ++k) { /* z_k: the iterate after k iterations from (1, 0) */
    sgfblo_real *x = z + k * (n + m), *y = x + n;
    for (int64_t i = 0; i < n; ++i) x[i] = 1;
    set.max_iters = k > 0 ? k : 1;
    if (k > 0) cr_assert_eq(sgfblo_aidbio_run(&P, &set, x, y, &info, NULL), SGFBLO_OK);
  }
  recorder r = {0};
  set.max_iters = K;
  set.monitor = record_all;
  set.monitor_data = &r;
  set.monitor_every = 1;
  sgfblo_real *x = vec(n), *y = vec(m);
  for (int64_t i = 0; i < n; ++i) x[i] = 1;
  cr_assert_eq(sgfblo_aidbio_run(&P, &set, x, y, &info, NULL), SGFBLO_OK);
  cr_assert_eq(r.calls, K + 1, "the start and every iteration");
  const double tol = sizeof(sgfblo_real) == 4 ? 1e-4 : 1e-12;
  for (int k = 1; k <= K; ++k) {
    const sgfblo_real *a = z + (k - 1) * (n + m), *b = z + k * (n + m);
    double dz = 0, dx2 = 0;
    for (int64_t i = 0; i < n + m; ++i) dz = fmax(dz, fabs((double)b[i] - (double)a[i]));
    for (int64_t i = 0; i < n; ++i) dx2 += ((double)b[i] - a[i]) * ((double)b[i] - a[i]);
    const double F = sqrt(dx2) / set.beta_out, scale = fmax(dz, 1e-300);
    cr_log_info("iteration %d: ||dz|| %.6e (reported %.6e), ||F|| %.6e (reported %.6e)", k, dz,
                r.at[k].zdot_norm, F, r.at[k].hypergrad_norm);
    cr_assert_eq(r.at[k].step, k);
    cr_assert(fabs(r.at[k].zdot_norm - dz) <= tol * scale, "iteration %d: %.17g vs %.17g", k,
              r.at[k].zdot_norm, dz);
    cr_assert(fabs(r.at[k].hypergrad_norm - F) <= tol * fmax(F, scale / set.beta_out),
              "iteration %d: %.17g vs %.17g", k, r.at[k].hypergrad_norm, F);
  }
  free(x); free(y); free(z);
}

Test(aidbio, monitor_reports_and_interrupts) {
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_aidbio_settings set = quad_settings(5, 4);
  watcher w = {0, -1, {0}, {0}};
  set.monitor = watch;
  set.monitor_data = &w;
  set.monitor_every = 10;
  set.max_iters = 35;
  sgfblo_info info;
  for (int64_t i = 0; i < P.n; ++i) x[i] = 1; /* (0, 0) would have grad_y g = 0 */
  cr_assert_eq(sgfblo_aidbio_run(&P, &set, x, y, &info, NULL), SGFBLO_OK);
  cr_assert_eq(w.calls, 1 + 3 + 1, "start, iterations 10, 20, 30, end (35)");
  cr_assert_eq(w.first.step, 0);
  cr_assert(isnan(w.first.hypergrad_norm), "no hypergradient before the first iteration");
  cr_assert(w.first.grad_g_norm > 0);
  cr_assert_eq(w.last.step, 35);
  cr_assert_eq(w.last.t, 35.0);
  cr_assert_eq(w.last.dt, 1.0);
  cr_assert(isfinite(w.last.hypergrad_norm) && isfinite(w.last.zdot_norm));
  cr_assert_eq(w.last.n_oracle, info.n_grad + info.n_prod);
  cr_assert_eq(info.last.step, 35);
  cr_assert(w.last.f < w.first.f, "f must decrease (%g -> %g)", w.last.f, w.first.f);

  watcher s = {0, 20, {0}, {0}};
  set.monitor_data = &s;
  set.max_iters = 1000;
  cr_assert_eq(run(&P, &set, x, y, &info, NULL), SGFBLO_OK);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_INTERRUPTED);
  cr_assert_eq(info.last.step, 20);
  cr_assert_eq(s.calls, 3);
  free(x); free(y);
}

Test(aidbio, csv_log_has_the_flows_columns) {
  char path[512];
  snprintf(path, sizeof path, "%s/aidbio_log.csv", SGFBLO_TEST_DATA_DIR);
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_aidbio_settings set = quad_settings(5, 4);
  set.log_path = path;
  set.monitor_every = 2;
  set.max_iters = 9;
  sgfblo_info info;
  sgfblo_errmsg err;
  cr_assert_eq(run(&P, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  char line[1024];
  cr_assert_not_null(fgets(line, sizeof line, f));
  cr_assert_str_eq(line, "step,t,dt,f,grad_g_norm,hypergrad_norm,zdot_norm,n_rhs,n_oracle\n");
  int rows = 0;
  long long step = -1, n_oracle = -1, n_rhs = -1;
  while (fgets(line, sizeof line, f)) {
    ++rows;
    double t, dt, fv, gg, hg, zd;
    cr_assert_eq(sscanf(line, "%lld,%lf,%lf,%lf,%lf,%lf,%lf,%lld,%lld", &step, &t, &dt, &fv, &gg,
                        &hg, &zd, &n_rhs, &n_oracle),
                 9, "row %d: %s", rows, line);
  }
  fclose(f);
  cr_assert_eq(rows, 1 + 4 + 1, "start, 2, 4, 6, 8, end (9)");
  cr_assert_eq(step, 9);
  cr_assert_eq(n_rhs, 9);
  cr_assert_eq(n_oracle, info.last.n_oracle);
  remove(path);

  set.log_path = "/nonexistent-directory/aidbio.csv";
  cr_assert_eq(run(&P, &set, x, y, &info, &err), SGFBLO_ERR_IO);
  cr_assert(strstr(err.msg, "/nonexistent-directory/aidbio.csv"), "%s", err.msg);
  free(x); free(y);
}

/* --------------------------------------------------------- invalid input -- */

Test(aidbio, defaults_are_valid) {
  sgfblo_aidbio_settings set;
  sgfblo_aidbio_settings_default(&set);
  char msg[256];
  cr_assert_eq(sgfblo_aidbio_settings_validate(&set, msg, sizeof msg), SGFBLO_OK, "%s", msg);
  cr_assert_eq(set.beta_in, SGFBLO_AIDBIO_DEFAULT_BETA_IN);
  cr_assert_eq(set.inner_steps, SGFBLO_AIDBIO_DEFAULT_INNER_STEPS);
  cr_assert_eq(set.max_oracle_evals, 0);
  cr_assert_null(set.monitor);
  cr_assert_null(set.log_path);
  sgfblo_aidbio_settings_default(NULL);
  cr_assert_eq(sgfblo_aidbio_settings_validate(NULL, msg, sizeof msg), SGFBLO_ERR_NULL_ARG);
}

Test(aidbio, invalid_settings_are_named) {
  sgfblo_aidbio_settings set;
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_errmsg err;
  char msg[256];
#define EXPECT_BAD(field, stmt)                                                              \
  do {                                                                                       \
    sgfblo_aidbio_settings_default(&set);                                                    \
    stmt;                                                                                    \
    cr_assert_eq(sgfblo_aidbio_settings_validate(&set, msg, sizeof msg),                     \
                 SGFBLO_ERR_INVALID_SETTINGS, "%s", #stmt);                                  \
    cr_assert(strstr(msg, field), "'%s' not named in '%s'", field, msg);                     \
    cr_assert_eq(sgfblo_aidbio_run(&P, &set, x, y, NULL, &err), SGFBLO_ERR_INVALID_SETTINGS); \
    cr_assert(strstr(err.msg, field), "'%s' not named in '%s'", field, err.msg);             \
  } while (0)
  EXPECT_BAD("beta_in", set.beta_in = 0);
  EXPECT_BAD("beta_in", set.beta_in = -1);
  EXPECT_BAD("beta_in", set.beta_in = NAN);
  EXPECT_BAD("beta_out", set.beta_out = 0);
  EXPECT_BAD("beta_out", set.beta_out = INFINITY);
  EXPECT_BAD("inner_steps", set.inner_steps = 0);
  EXPECT_BAD("cg_steps", set.cg_steps = 0);
  EXPECT_BAD("cg_steps", set.cg_steps = -3);
  EXPECT_BAD("max_iters", set.max_iters = 0);
  EXPECT_BAD("max_oracle_evals", set.max_oracle_evals = -1);
  EXPECT_BAD("div_limit", set.div_limit = 0);
  EXPECT_BAD("div_limit", set.div_limit = NAN);
  EXPECT_BAD("backend", set.backend = (sgfblo_backend)7);
  EXPECT_BAD("device_id", set.device_id = -1);
  EXPECT_BAD("monitor_every", set.monitor_every = 0);
#undef EXPECT_BAD
  cr_assert(strstr(msg, "(got 0)"), "the value is quoted: %s", msg);
  free(x); free(y);
}

Test(aidbio, bad_arguments) {
  sgfblo_aidbio_settings set;
  sgfblo_aidbio_settings_default(&set);
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_errmsg err;
  sgfblo_info info;
  cr_assert_eq(sgfblo_aidbio_run(NULL, &set, x, y, &info, &err), SGFBLO_ERR_NULL_ARG);
  cr_assert(strlen(err.msg) > 0);
  cr_assert_eq(sgfblo_aidbio_run(&P, NULL, x, y, &info, &err), SGFBLO_ERR_NULL_ARG);
  cr_assert_eq(sgfblo_aidbio_run(&P, &set, NULL, y, &info, &err), SGFBLO_ERR_NULL_ARG);
  cr_assert(strstr(err.msg, "x"), "%s", err.msg);
  cr_assert_eq(sgfblo_aidbio_run(&P, &set, x, NULL, NULL, NULL), SGFBLO_ERR_NULL_ARG);
  sgfblo_problem p = P;
  p.hyy_mv = NULL;
  cr_assert_eq(sgfblo_aidbio_run(&p, &set, x, y, &info, &err), SGFBLO_ERR_NULL_ARG);
  cr_assert(strstr(err.msg, "hyy_mv"), "%s", err.msg);
  p = P;
  p.m = 0;
  cr_assert_eq(sgfblo_aidbio_run(&p, &set, x, y, &info, &err), SGFBLO_ERR_INVALID_ARG);
  cr_assert(strstr(err.msg, "problem.m"), "%s", err.msg);
  y[2] = NAN;
  x[1] = 7;
  cr_assert_eq(sgfblo_aidbio_run(&P, &set, x, y, &info, &err), SGFBLO_ERR_NONFINITE);
  cr_assert(strstr(err.msg, "y[2]"), "%s", err.msg);
  cr_assert_eq(x[1], 7, "x is untouched on an argument error");
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_ERROR);
  free(x); free(y);
}

Test(aidbio, failing_callback_returns_err_callback) {
  counter c;
  sgfblo_problem p = counted(&c);
  c.fail_after = 12; /* the start report takes 1 grad_g, each iteration 3 */
  sgfblo_real *x = vec(p.n), *y = vec(p.m);
  sgfblo_aidbio_settings set = quad_settings(3, 2);
  set.max_iters = 100;
  sgfblo_info info;
  sgfblo_errmsg err;
  cr_assert_eq(run(&p, &set, x, y, &info, &err), SGFBLO_ERR_CALLBACK);
  cr_assert(strstr(err.msg, "grad_g"), "%s", err.msg);
  cr_assert(strstr(err.msg, "42: budget of 12 calls spent"), "%s", err.msg);
  cr_assert_eq(info.callback_code, 42);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_ERROR);
  cr_assert_eq(info.last.n_rhs, 3, "three full iterations before the failing call");
  cr_assert(isfinite(x[0]), "x holds the last iterate");

  /* A failure in the monitoring evaluation at the start is reported the same way. */
  sgfblo_problem p2 = counted(&c);
  c.fail_after = 0;
  cr_assert_eq(run(&p2, &set, x, y, &info, &err), SGFBLO_ERR_CALLBACK);
  cr_assert_eq(info.callback_code, 42);
  free(x); free(y);
}

/* ------------------------------------------------------------ blow-up -- */

Test(aidbio, huge_outer_step_diverges_with_a_status) {
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_aidbio_settings set = quad_settings(3, 2);
  set.beta_out = 1e6;
  set.max_iters = 1000000;
  sgfblo_info info;
  sgfblo_errmsg err;
  const sgfblo_status st = run(&P, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_ERR_DIVERGED, "got %s: %s", sgfblo_status_string(st), err.msg);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_DIVERGED);
  cr_assert(strstr(err.msg, "beta_out"), "%s", err.msg);
  cr_assert_lt(info.last.n_rhs, 10, "must stop at once (%lld iterations)",
               (long long)info.last.n_rhs);

  /* No divergence limit to speak of: the iterate overflows to Inf/NaN and is caught. */
  set.beta_out = 1e300;
  set.div_limit = 1e308;
  const sgfblo_status st2 = run(&P, &set, x, y, &info, &err);
  cr_assert_eq(st2, SGFBLO_ERR_NONFINITE, "got %s: %s", sgfblo_status_string(st2), err.msg);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_NONFINITE);
  cr_assert_lt(info.last.n_rhs, 10, "must stop at once (%lld iterations)",
               (long long)info.last.n_rhs);
  free(x); free(y);
}

Test(aidbio, nan_in_a_product_stops_the_run) {
  counter c;
  sgfblo_problem p = counted(&c);
  c.nan_hyy = 1;
  sgfblo_real *x = vec(p.n), *y = vec(p.m);
  sgfblo_aidbio_settings set = quad_settings(3, 2);
  set.max_iters = 1000000;
  sgfblo_info info;
  sgfblo_errmsg err;
  const sgfblo_status st = run(&p, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_ERR_NONFINITE, "got %s: %s", sgfblo_status_string(st), err.msg);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_NONFINITE);
  cr_assert_lt(info.last.n_rhs, 3);
  free(x); free(y);
}
