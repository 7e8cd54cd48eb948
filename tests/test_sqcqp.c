/* SQCQP: the closed-form direction against the KKT conditions of its subproblem and against
   brute force on tiny instances; on the quadratic problem, monotone decrease of f and the
   barrier condition at every line-search step, convergence towards x* within O(eps); oracle
   counts against a hand count and the callbacks made; the budget, monitoring, the CSV log,
   settings validation and the error paths (failing callback, step floor, blow-up). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "flow_helpers.h"
#include "method/sqcqp_direction.h"
#include "support.h"
#include "tools/rng.h"

#ifdef SGFBLO_USE_FLOAT
#define DIR_TOL 2e-5   /* relative, on O(1) quantities stored as float */
/* stationarity tolerance / eps: the Armijo test must still resolve sigma tau ||d||^2 against
   the float rounding of f (about 1e-7 |f|) */
#define RUN_TOL 1e-2
#else
#define DIR_TOL 1e-11
#define RUN_TOL 1e-7
#endif

/* ================================================================ direction == */

static double uni(sgfblo_rng *r, double lo, double hi) { return lo + (hi - lo) * sgfblo_rng_uniform(r); }

/* gh'd + w ||d||^2, the constraint function, in double. */
static double cons(const sgfblo_real *gh, const sgfblo_real *d, double w, int64_t n) {
  return dot(gh, d, n) + w * dot(d, d, n);
}

/* ||gh / (2w)||: the distance of the ball's centre from 0. */
static double centre_norm(const sgfblo_real *gh, int64_t n, double w) {
  return test_norm2(gh, n) / (2 * w);
}

static double obj(const sgfblo_real *d, const sgfblo_real *F, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += ((double)d[i] + F[i]) * ((double)d[i] + F[i]);
  return s;
}

/* KKT of min ||d + F||^2 s.t. gh'd + w||d||^2 <= c at the returned d and mu. */
static void expect_kkt(int64_t n, const sgfblo_real *F, const sgfblo_real *gh, double c, double w,
                       const sgfblo_real *d, const sgfblo_sqcqp_dir *dir, const char *what) {
  const double nF = test_norm2(F, n), ngh = test_norm2(gh, n), nd = test_norm2(d, n);
  const double mu = dir->mu;
  cr_assert(mu >= 0 && isfinite(mu), "%s: mu = %g", what, mu);
  /* d is formed from F and the centre -gh/(2w), so its rounding is relative to their size */
  const double dscale = nF + nd + centre_norm(gh, n, w);
  /* stationarity: d + F + mu (gh + 2 w d) = 0 */
  double res = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double ri = (double)d[i] + F[i] + mu * ((double)gh[i] + 2 * w * d[i]);
    res += ri * ri;
  }
  res = sqrt(res);
  const double scale = dscale * (1 + 2 * w * mu) + mu * ngh + 1e-300;
  cr_assert(res <= DIR_TOL * scale * 10, "%s: stationarity residual %.3e (scale %.3e)", what, res,
            scale);
  /* feasibility and complementarity */
  const double g = cons(gh, d, w, n);
  const double gscale = fabs(c) + ngh * dscale + w * dscale * dscale + 1e-300;
  cr_assert(g - c <= DIR_TOL * gscale * 10, "%s: constraint %.12g > c = %.12g", what, g, c);
  cr_assert(fabs(mu * (g - c)) <= DIR_TOL * 10 * mu * gscale,
            "%s: complementarity mu (g - c) = %.3e (mu = %g)", what, mu * (g - c), mu);
  /* the reported slope */
  cr_assert(fabs(dir->Fd - dot(F, d, n)) <= DIR_TOL * 10 * (nF * dscale + 1e-300), "%s: F'd", what);
}

Test(direction, kkt_at_random_instances) {
  sgfblo_rng r;
  sgfblo_rng_seed(&r, 2024);
  int seen[3] = {0, 0, 0};
  sgfblo_real F[16], gh[16], d[16];
  for (int trial = 0; trial < 600; ++trial) {
    const int64_t n = 1 + (int64_t)sgfblo_rng_below(&r, 16);
    const double sF = pow(10, uni(&r, -2, 2)), sh = pow(10, uni(&r, -3, 2));
    for (int64_t i = 0; i < n; ++i) {
      F[i] = (sgfblo_real)(sF * sgfblo_rng_normal(&r));
      gh[i] = (sgfblo_real)(sh * sgfblo_rng_normal(&r));
    }
    if (trial % 17 == 0) memset(gh, 0, sizeof gh); /* grad_y g = 0 */
    const double w = pow(10, uni(&r, -3, 1));
    const double FF = dot(F, F, n), Fgh = dot(F, gh, n), ghgh = dot(gh, gh, n);
    const double c_in = -Fgh + w * FF;      /* -F is feasible iff c >= c_in */
    const double c_min = -ghgh / (4 * w);   /* feasible iff c >= c_min */
    const int want = trial % 3;
    double c;
    if (want == SGFBLO_SQCQP_INTERIOR)
      c = c_in + uni(&r, 0.01, 2) * (fabs(c_in) + 1e-3);
    else if (want == SGFBLO_SQCQP_PROJECTED)
      c = c_min + uni(&r, 0.02, 0.98) * (c_in - c_min);
    else
      c = c_min - uni(&r, 0.01, 2) * (fabs(c_min) + 1e-3);
    sgfblo_sqcqp_dir dir;
    cr_assert_eq(sgfblo_sqcqp_direction(n, F, gh, c, w, d, &dir), SGFBLO_OK);
    char what[96];
    snprintf(what, sizeof what, "trial %d (n %lld, case %d, w %.3g)", trial, (long long)n, want, w);
    cr_assert_eq((int)dir.kase, want, "%s: got case %d", what, (int)dir.kase);
    seen[dir.kase]++;
    if (dir.kase == SGFBLO_SQCQP_INFEASIBLE) {
      /* d minimises the constraint function: its gradient gh + 2 w d vanishes, and even
         there the constraint is violated. */
      for (int64_t i = 0; i < n; ++i)
        cr_assert(fabs(gh[i] + 2 * w * d[i]) <= DIR_TOL * 10 * (fabs(gh[i]) + 1e-300), "%s", what);
      cr_assert(cons(gh, d, w, n) > c, "%s", what);
      cr_assert(isnan(dir.mu));
      continue;
    }
    expect_kkt(n, F, gh, c, w, d, &dir, what);
    if (dir.kase == SGFBLO_SQCQP_INTERIOR) {
      cr_assert_eq(dir.mu, 0.0);
      for (int64_t i = 0; i < n; ++i) cr_assert_eq(d[i], -F[i], "%s: d = -F", what);
    } else {
      cr_assert(dir.mu > 0, "%s: mu = %g", what, dir.mu);
      /* on the sphere: ||d + gh/(2w)|| = r */
      double s = 0;
      for (int64_t i = 0; i < n; ++i) s += pow((double)d[i] + gh[i] / (2 * w), 2);
      cr_assert(fabs(sqrt(s) - dir.r) <= DIR_TOL * 10 * (dir.r + centre_norm(gh, n, w)), "%s", what);
    }
    /* d is a descent direction whenever d = 0 is feasible (c >= 0): F'd <= -||d||^2 */
    if (c >= 0) cr_assert(dir.Fd <= -dot(d, d, n) * (1 - 1e-3) + DIR_TOL * 10 * FF, "%s", what);
  }
  cr_log_info("cases seen: interior %d, projected %d, infeasible %d", seen[0], seen[1], seen[2]);
  cr_assert(seen[0] >= 150 && seen[1] >= 150 && seen[2] >= 150);
}

/* Tiny instances: no feasible point of a fine grid over the ball's bounding box, nor of many
   random points in the ball, does better than d; and the best of them comes as close to d's
   value as the grid spacing allows. */
Test(direction, brute_force_in_two_and_three_dimensions) {
  sgfblo_rng r;
  sgfblo_rng_seed(&r, 77);
  sgfblo_real F[3], gh[3], d[3], p[3];
  for (int trial = 0; trial < 60; ++trial) {
    const int64_t n = 2 + trial % 2;
    for (int64_t i = 0; i < n; ++i) {
      F[i] = (sgfblo_real)(2 * sgfblo_rng_normal(&r));
      gh[i] = (sgfblo_real)sgfblo_rng_normal(&r);
    }
    const double w = pow(10, uni(&r, -1, 0.5));
    const double FF = dot(F, F, n), Fgh = dot(F, gh, n), ghgh = dot(gh, gh, n);
    const double c_in = -Fgh + w * FF, c_min = -ghgh / (4 * w);
    /* two in three outside (-F projected), one in three inside */
    const double c = trial % 3 ? c_min + uni(&r, 0.05, 0.9) * (c_in - c_min)
                               : c_in + uni(&r, 0.1, 1) * (fabs(c_in) + 0.1);
    sgfblo_sqcqp_dir dir;
    cr_assert_eq(sgfblo_sqcqp_direction(n, F, gh, c, w, d, &dir), SGFBLO_OK);
    cr_assert_neq(dir.kase, SGFBLO_SQCQP_INFEASIBLE);
    const double best_d = obj(d, F, n), R = dir.r;
    double ctr[3];
    for (int64_t i = 0; i < n; ++i) ctr[i] = -gh[i] / (2 * w);
    const int N = n == 2 ? 401 : 81;
    const double hgrid = 2 * R / (N - 1);
    double best = INFINITY;
    int64_t feasible = 0;
    const int64_t total = n == 2 ? (int64_t)N * N : (int64_t)N * N * N;
    for (int64_t k = 0; k < total; ++k) {
      int64_t rest = k;
      for (int64_t i = 0; i < n; ++i) {
        p[i] = (sgfblo_real)(ctr[i] - R + hgrid * (double)(rest % N));
        rest /= N;
      }
      if (cons(gh, p, w, n) > c) continue;
      ++feasible;
      best = fmin(best, obj(p, F, n));
    }
    for (int k = 0; k < 20000; ++k) { /* uniform in the ball, by rejection from the cube */
      double v[3], vv;
      do {
        vv = 0;
        for (int64_t i = 0; i < n; ++i) {
          v[i] = uni(&r, -1, 1);
          vv += v[i] * v[i];
        }
      } while (vv > 1);
      for (int64_t i = 0; i < n; ++i) p[i] = (sgfblo_real)(ctr[i] + R * v[i]);
      if (cons(gh, p, w, n) > c) continue;
      ++feasible;
      best = fmin(best, obj(p, F, n));
    }
    cr_assert(feasible > 1000, "trial %d: only %lld feasible samples", trial, (long long)feasible);
    const double slack = DIR_TOL * 100 * (best_d + FF + 1);
    cr_assert(best >= best_d - slack, "trial %d: a sample beats d: %.12g < %.12g", trial, best,
              best_d);
    const double gap = 2 * sqrt(best_d) * hgrid * sqrt((double)n) + hgrid * hgrid * (double)n;
    cr_assert(best <= best_d + 1.01 * gap + slack,
              "trial %d: the search never came near d's value (%.9g vs %.9g, spacing %.3g)",
              trial, best, best_d, hgrid);
  }
}

Test(direction, boundary_and_degenerate_cases) {
  sgfblo_real d[2];
  sgfblo_sqcqp_dir dir;
  /* c = -||gh||^2/(4w): the ball is one point, the centre -gh/(2w) = (-2, 0). */
  {
    const sgfblo_real F[2] = {1, 1}, gh[2] = {2, 0};
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, -2.0, 0.5, d, &dir), SGFBLO_OK);
    cr_assert_neq(dir.kase, SGFBLO_SQCQP_INFEASIBLE);
    cr_assert_eq(dir.r, 0.0);
    cr_assert(fabs(d[0] + 2) <= DIR_TOL && fabs(d[1]) <= DIR_TOL, "d = (%g, %g)", d[0], d[1]);
    /* just below: infeasible, d is still the centre */
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, -2.0 - 1e-9, 0.5, d, &dir), SGFBLO_OK);
    cr_assert_eq(dir.kase, SGFBLO_SQCQP_INFEASIBLE);
    cr_assert(isnan(dir.r) && isnan(dir.mu));
    cr_assert(fabs(d[0] + 2) <= DIR_TOL && fabs(d[1]) <= DIR_TOL);
  }
  /* gh = 0: the ball ||d|| <= sqrt(c / w) around 0. */
  {
    const sgfblo_real gh[2] = {0, 0};
    const sgfblo_real F[2] = {3, 4};
    /* -F on the sphere ||d|| = 5 (c / w = 25), exactly representable */
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 25.0, 1.0, d, &dir), SGFBLO_OK);
    cr_assert_eq(dir.kase, SGFBLO_SQCQP_INTERIOR, "on the sphere counts as inside");
    cr_assert(d[0] == -3 && d[1] == -4 && dir.mu == 0.0);
    /* outside the unit ball: d = -F / 5 */
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 1.0, 1.0, d, &dir), SGFBLO_OK);
    cr_assert_eq(dir.kase, SGFBLO_SQCQP_PROJECTED);
    cr_assert(fabs(d[0] + 0.6) <= DIR_TOL && fabs(d[1] + 0.8) <= DIR_TOL);
    cr_assert(fabs(dir.mu - 2.0) <= DIR_TOL * 10, "mu = %.17g (want 2)", dir.mu);
    cr_assert(fabs(dir.Fd + 5.0) <= DIR_TOL * 10);
    /* c < 0 with gh = 0: nothing is feasible; the least-violating direction is 0 */
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, -1.0, 1.0, d, &dir), SGFBLO_OK);
    cr_assert_eq(dir.kase, SGFBLO_SQCQP_INFEASIBLE);
    cr_assert(d[0] == 0 && d[1] == 0);
    /* c = 0, gh = 0: only d = 0 */
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 0.0, 1.0, d, &dir), SGFBLO_OK);
    cr_assert_eq(dir.kase, SGFBLO_SQCQP_PROJECTED);
    cr_assert(fabs(d[0]) <= DIR_TOL && fabs(d[1]) <= DIR_TOL);
  }
  /* F = 0 with c > 0: d = 0, interior. */
  {
    const sgfblo_real F[2] = {0, 0}, gh[2] = {1, -2};
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 0.5, 0.1, d, &dir), SGFBLO_OK);
    cr_assert_eq(dir.kase, SGFBLO_SQCQP_INTERIOR);
    cr_assert(d[0] == 0 && d[1] == 0);
  }
  /* c = 0 (z on the boundary h = 0): the ball passes through 0. With -F = gh, along the
     sphere's outward normal at 0, the projection is d = 0. */
  {
    const sgfblo_real gh[2] = {1, 2}, F[2] = {-1, -2};
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 0.0, 0.01, d, &dir), SGFBLO_OK);
    cr_assert_eq(dir.kase, SGFBLO_SQCQP_PROJECTED);
    expect_kkt(2, F, gh, 0.0, 0.01, d, &dir, "c = 0");
    cr_assert(test_norm2(d, 2) <= DIR_TOL * 10 * centre_norm(gh, 2, 0.01), "d = (%g, %g)", d[0],
              d[1]);
    /* -F tangent to the boundary: -F = (2, -1) is almost kept (small w: nearly a half-space) */
    const sgfblo_real Ft[2] = {-2, 1};
    cr_assert_eq(sgfblo_sqcqp_direction(2, Ft, gh, 0.0, 1e-6, d, &dir), SGFBLO_OK);
    expect_kkt(2, Ft, gh, 0.0, 1e-6, d, &dir, "tangent");
    cr_assert(fabs(d[0] - 2) <= 1e-4 && fabs(d[1] + 1) <= 1e-4, "d = (%g, %g)", d[0], d[1]);
  }
  /* Invalid arguments. */
  {
    const sgfblo_real F[2] = {1, 1}, gh[2] = {1, 0};
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 1.0, 0.0, d, NULL), SGFBLO_ERR_INVALID_ARG);
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 1.0, -1.0, d, NULL), SGFBLO_ERR_INVALID_ARG);
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 1.0, NAN, d, NULL), SGFBLO_ERR_INVALID_ARG);
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, NAN, 1.0, d, NULL), SGFBLO_ERR_INVALID_ARG);
    cr_assert_eq(sgfblo_sqcqp_direction(0, F, gh, 1.0, 1.0, d, NULL), SGFBLO_ERR_INVALID_ARG);
    cr_assert_eq(sgfblo_sqcqp_direction(2, NULL, gh, 1.0, 1.0, d, NULL), SGFBLO_ERR_NULL_ARG);
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 1.0, 1.0, NULL, NULL), SGFBLO_ERR_NULL_ARG);
    cr_assert_eq(sgfblo_sqcqp_direction(2, F, gh, 1.0, 1.0, d, NULL), SGFBLO_OK, "out may be NULL");
  }
}

/* ============================================================ quadratic runs == */

/* n = 6 upper, m = 4 lower variables: Hyy = A has eigenvalues in [0.5, 2]. */
static sgfblo_quadratic *Q;
static sgfblo_problem P;
static void setup_q(void) {
  cr_assert_eq(sgfblo_quadratic_random(6, 4, 11, &Q, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_problem(Q, &P), SGFBLO_OK);
}
static void teardown_q(void) { sgfblo_quadratic_destroy(Q); }
TestSuite(sqcqp, .init = setup_q, .fini = teardown_q);

/* Start strictly inside: x0 = N(0,1) from the seed, y0 = y*(x0), so h(z0) = -eps^2. */
static void start_inside(const sgfblo_problem *p, uint64_t seed, sgfblo_real *x, sgfblo_real *y) {
  sgfblo_real *gy = vec(p->m), *rhs = vec(p->m);
  test_random_vector(x, p->n, seed, 1.0);
  memset(y, 0, sizeof *y * (size_t)p->m);
  /* y*(x) solves Hyy y = -grad_y g(x, 0) for this quadratic lower level */
  cr_assert_eq(p->grad_g(x, y, NULL, gy, host_ctx(p)), 0);
  for (int64_t i = 0; i < p->m; ++i) rhs[i] = -gy[i];
  hyy_solve_ref(p, x, y, rhs, y);
  free(gy);
  free(rhs);
}

/* Start outside: x0 = 1, y0 = 0, where ||grad_y g|| = ||B 1|| is well above eps = 0.1. */
static void start_outside(const sgfblo_problem *p, sgfblo_real *x, sgfblo_real *y) {
  for (int64_t i = 0; i < p->n; ++i) x[i] = 1;
  memset(y, 0, sizeof *y * (size_t)p->m);
}

static sgfblo_sqcqp_settings quiet_settings(void) {
  sgfblo_sqcqp_settings set;
  sgfblo_sqcqp_settings_default(&set);
  set.monitor_every = 1000000;
  set.monitor_hypergrad = 0;
  return set;
}

/* Every monitoring point of a run. */
#define TRACE_MAX 4096
typedef struct {
  int64_t calls, stop_at;
  sgfblo_progress p[TRACE_MAX];
} trace;

static int record(const sgfblo_progress *pr, void *data) {
  trace *t = data;
  if (t->calls < TRACE_MAX) t->p[t->calls] = *pr;
  t->calls++;
  return t->stop_at >= 0 && pr->step >= t->stop_at;
}

static trace *new_trace(void) {
  trace *t = calloc(1, sizeof *t);
  cr_assert_not_null(t);
  t->stop_at = -1;
  return t;
}

Test(sqcqp, line_search_steps_decrease_f_and_keep_the_barrier) {
  const int64_t n = P.n, m = P.m;
  sgfblo_real *x = vec(n), *y = vec(m);
  trace *t = new_trace();
  sgfblo_sqcqp_settings set = quiet_settings();
  set.tau0 = 0.003; /* safe at the boundary (<= 2 w / L_h); not a power of two */
  set.max_iters = 3000;
  set.monitor_every = 1;
  set.monitor = record;
  set.monitor_data = t;
  start_inside(&P, 5, x, y);
  sgfblo_info info;
  sgfblo_errmsg err;
  const sgfblo_status st = sgfblo_sqcqp_run(&P, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_OK, "%s: %s", sgfblo_status_string(st), err.msg);
  cr_assert_eq(t->calls, info.last.step + 1, "one report per iteration plus the start");
  const double eps2 = set.epsilon * set.epsilon;
  int64_t ls = 0, fixed = 0;
  double worst_barrier = -INFINITY;
  for (int64_t k = 0; k + 1 < t->calls; ++k) {
    const sgfblo_progress *a = &t->p[k], *b = &t->p[k + 1];
    const double ha = a->grad_g_norm * a->grad_g_norm - eps2;
    const double hb = b->grad_g_norm * b->grad_g_norm - eps2;
    if (fabs(ha + set.delta) < 1e-12) continue; /* too close to the band edge to classify */
    if (ha < -set.delta) {
      ++ls;
      cr_assert(b->dt <= 1.0 && b->dt != set.tau0, "step %lld: line-search step dt = %g",
                (long long)k, b->dt);
      cr_assert(b->f < a->f, "step %lld: f rose on a line-search step (%.17g -> %.17g)",
                (long long)k, a->f, b->f);
      const double excess = hb - (1 - set.gamma) * ha;
      worst_barrier = fmax(worst_barrier, excess);
      cr_assert(excess <= 1e-12, "step %lld: barrier violated: h %.9e -> %.9e (cap %.9e)",
                (long long)k, ha, hb, (1 - set.gamma) * ha);
    } else {
      ++fixed;
      cr_assert_eq(b->dt, set.tau0, "step %lld: fixed step on the boundary", (long long)k);
    }
  }
  cr_log_info("quadratic from inside: %lld line-search steps, %lld fixed steps, worst barrier "
              "excess %.3e, max_h_excess %.3e, %lld rejected trials",
              (long long)ls, (long long)fixed, worst_barrier, info.max_h_excess,
              (long long)info.n_rejected);
  cr_assert(ls >= 20, "the test must see line-search steps (%lld)", (long long)ls);
  cr_assert(fixed >= 1, "and the boundary band (%lld)", (long long)fixed);
  cr_assert(info.max_h_excess < 0.05 * eps2, "h stays (nearly) inside: %g", info.max_h_excess);
  free(t); free(x); free(y);
}

/* Distance of the last iterate from the bilevel solution x* for one eps. */
static double distance_at_eps(double eps, int64_t *iters, sgfblo_exit_flag *flag) {
  const int64_t n = P.n, m = P.m;
  sgfblo_real *x = vec(n), *y = vec(m), *xs = vec(n);
  cr_assert_eq(sgfblo_quadratic_solution(Q, xs, NULL), SGFBLO_OK);
  sgfblo_sqcqp_settings set = quiet_settings();
  set.epsilon = eps;
  set.delta = 1e-4 * eps * eps;
  set.tau0 = 0.003;
  set.max_iters = 20000;
  set.tol = RUN_TOL * eps;
  start_inside(&P, 5, x, y);
  sgfblo_info info;
  sgfblo_errmsg err;
  const sgfblo_status st = sgfblo_sqcqp_run(&P, &set, x, y, &info, &err);
#ifdef SGFBLO_USE_FLOAT
  /* float32 f resolves about 1e-7 |f|: near the boundary the barrier keeps tau small, and the
     Armijo decrease sigma tau ||d||^2 can drop below that before ||d|| reaches tol. The run
     then ends at the step floor, saying so; its last iterate is what is judged. */
  if (st == SGFBLO_ERR_STEP_TOO_SMALL) {
    cr_assert(strstr(err.msg, "rounding level"), "eps %g: %s", eps, err.msg);
    cr_log_info("eps = %-6g: %s", eps, err.msg);
    info.exit_flag = SGFBLO_EXIT_CONVERGED;
  } else
#endif
  cr_assert_eq(st, SGFBLO_OK, "eps %g: %s: %s", eps, sgfblo_status_string(st), err.msg);
  *iters = info.last.n_rhs;
  *flag = info.exit_flag;
  const double dist = test_rel_err(x, xs, n, 0) * test_norm2(xs, n);
  cr_log_info("eps = %-6g: %lld iterations (%s), ||x - x*|| = %.3e = %.2f eps, "
              "||grad_y g|| = %.4g, f = %.9g, n_oracle = %lld",
              eps, (long long)info.last.n_rhs, sgfblo_exit_flag_name(info.exit_flag), dist,
              dist / eps, info.last.grad_g_norm, info.last.f, (long long)info.last.n_oracle);
  free(x); free(y); free(xs);
  return dist;
}

Test(sqcqp, converges_towards_x_star_within_c_eps) {
  const double eps[] = {0.1, 0.03, 0.01};
  double dist[3];
  for (int i = 0; i < 3; ++i) {
    int64_t iters;
    sgfblo_exit_flag flag;
    dist[i] = distance_at_eps(eps[i], &iters, &flag);
    cr_assert_eq(flag, SGFBLO_EXIT_CONVERGED, "eps %g: %s after %lld iterations", eps[i],
                 sgfblo_exit_flag_name(flag), (long long)iters);
    cr_assert(dist[i] <= 1.0 * eps[i], "eps %g: ||x - x*|| = %.3e > eps", eps[i], dist[i]);
  }
  cr_assert(dist[1] < dist[0] && dist[2] < dist[1], "the distance must shrink with eps");
}

/* ========================================================== oracle counts == */

/* Wraps P and counts every callback the library actually makes. */
typedef struct {
  int64_t f_val, grad_f, grad_g, hyy, jyx, jyxT;
  int64_t fail_after;     /* grad_g calls allowed before it fails with 42; < 0: never */
  int64_t f_fail_after;   /* f_val calls allowed before it fails with 43; < 0: never */
  int f_increasing;       /* f_val returns 1, 2, 3, ...: no step can pass Armijo */
  int64_t gy_blow_after;  /* grad_g calls after which 1 is added to grad_y g; < 0: never */
  int nan_hyy;            /* hyy_mv returns NaN */
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
  if (c->f_fail_after >= 0 && c->f_val >= c->f_fail_after) return 43;
  c->f_val++;
  if (c->f_increasing) {
    *out = (sgfblo_real)c->f_val;
    return 0;
  }
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
  if (c->fail_after >= 0 && c->grad_g >= c->fail_after) return 42;
  c->grad_g++;
  const int rc = P.grad_g(x, y, gx, gy, inner_ctx(ctx, &t));
  if (c->gy_blow_after >= 0 && c->grad_g > c->gy_blow_after)
    for (int64_t i = 0; i < P.m; ++i) gy[i] += 1;
  return rc;
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
  c->f_fail_after = -1;
  c->gy_blow_after = -1;
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

Test(sqcqp, oracle_counts_of_line_search_steps_match_a_hand_count) {
  counter c;
  sgfblo_problem p = counted(&c);
  sgfblo_real *x = vec(p.n), *y = vec(p.m);
  sgfblo_info info;
  sgfblo_errmsg err;
  sgfblo_sqcqp_settings set = quiet_settings();

  /* One line-search iteration from inside: grad_f + grad_g at z0, Jyx^T and Hyy products,
     f(z0), then per trial one grad_g (h) and, when the barrier holds, one f_val. Monitoring
     at the start and the end: 2 f_val + 2 grad_g, counted apart. */
  set.max_iters = 1;
  start_inside(&P, 5, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  int64_t trials = info.n_rejected + 1;
  cr_log_info("first iteration: %lld trial(s)", (long long)trials);
  cr_assert_eq(info.n_grad, 2 + trials);
  cr_assert_eq(info.n_prod, 2);
  cr_assert_eq(info.last.n_oracle, 4 + trials);
  cr_assert_eq(c.grad_f, 1);
  cr_assert_eq(c.grad_g, 1 + trials + 2);
  cr_assert_eq(c.hyy, 1);
  cr_assert_eq(c.jyxT, 1);
  cr_assert_eq(c.jyx, 0, "SQCQP never needs Jyx u");
  /* f_val: 2 monitoring + f(z0) + the trials that passed the barrier (at least the last) */
  cr_assert(c.f_val >= 4 && c.f_val <= 3 + trials, "f_val calls %lld", (long long)c.f_val);
  cr_assert_eq(info.n_value, c.f_val + trials, "n_value = f_val calls + values of h");
  cr_assert_eq(info.n_monitor_oracle, 2);
  cr_assert_eq(info.cg_iters, 0);

  /* Two line-search iterations: the second reuses grad_y g and f at the accepted trial. */
  p = counted(&c);
  set.max_iters = 2;
  start_inside(&P, 5, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  trials = info.n_rejected + 2;
  cr_assert_eq(c.grad_f, 2);
  cr_assert_eq(c.grad_g, 1 + trials + 2);
  cr_assert_eq(info.n_grad, 2 + 1 + trials);
  cr_assert_eq(info.n_prod, 4);
  cr_assert(c.f_val <= 3 + trials);
  cr_assert_eq(info.n_value, c.f_val + trials);
  free(x); free(y);
}

Test(sqcqp, oracle_counts_of_fixed_steps_match_a_hand_count) {
  counter c;
  sgfblo_problem p = counted(&c);
  sgfblo_real *x = vec(p.n), *y = vec(p.m);
  trace *t = new_trace();
  sgfblo_info info;
  sgfblo_errmsg err;
  sgfblo_sqcqp_settings set = quiet_settings();
  set.max_iters = 3;
  set.monitor_every = 1;
  set.monitor = record;
  set.monitor_data = t;
  start_outside(&P, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  /* All three steps start outside the eps-set: fixed steps, no line search, no f_val. */
  for (int k = 0; k < 3; ++k)
    cr_assert(t->p[k].grad_g_norm > set.epsilon, "step %d starts outside", k);
  cr_assert_eq(t->calls, 4);
  cr_assert_eq(info.n_rejected, 0);
  cr_assert_eq(info.n_grad, 3 * 2, "grad_f + grad_g per iteration");
  cr_assert_eq(info.n_prod, 3 * 2);
  cr_assert_eq(c.grad_g, 3 + 4, "plus one per report");
  cr_assert_eq(c.f_val, 4, "only the reports evaluate f");
  cr_assert_eq(info.n_value, 4);
  for (int k = 1; k < 4; ++k) cr_assert_eq(t->p[k].dt, set.tau0);
  cr_assert(isnan(t->p[0].dt) && isnan(t->p[0].zdot_norm), "nothing before the first step");
  free(t); free(x); free(y);
}

Test(sqcqp, counts_and_iterates_do_not_depend_on_monitoring) {
  counter c;
  sgfblo_problem p = counted(&c);
  sgfblo_real *x = vec(p.n), *y = vec(p.m), *x1 = vec(p.n), *y1 = vec(p.m);
  sgfblo_info a, b;
  sgfblo_sqcqp_settings set = quiet_settings();
  set.max_iters = 60;
  set.monitor_every = 1;
  set.monitor_hypergrad = 1;
  start_inside(&P, 3, x1, y1);
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x1, y1, &a, NULL), SGFBLO_OK);
  set.monitor_every = 7;
  set.monitor_hypergrad = 0;
  p = counted(&c);
  start_inside(&P, 3, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &b, NULL), SGFBLO_OK);
  cr_assert_eq(a.n_grad, b.n_grad);
  cr_assert_eq(a.n_prod, b.n_prod);
  cr_assert_eq(a.n_rejected, b.n_rejected);
  cr_assert_eq(a.last.n_oracle, b.last.n_oracle);
  cr_assert_eq(a.max_h_excess, b.max_h_excess);
  cr_assert(a.n_monitor_oracle > b.n_monitor_oracle);
  cr_assert(a.cg_iters > 0 && b.cg_iters == 0);
  cr_assert(isfinite(a.last.hypergrad_norm) && isnan(b.last.hypergrad_norm));
  cr_assert_arr_eq(x, x1, sizeof *x * (size_t)p.n, "the iterates must not depend on monitoring");
  cr_assert_arr_eq(y, y1, sizeof *y * (size_t)p.m);
  free(x); free(y); free(x1); free(y1);
}

Test(sqcqp, oracle_budget_stops_at_or_just_past_it) {
  const int64_t budgets[] = {1, 4, 5, 37, 100, 251};
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  for (size_t i = 0; i < sizeof budgets / sizeof budgets[0]; ++i) {
    const int64_t B = budgets[i];
    trace *t = new_trace();
    sgfblo_sqcqp_settings set = quiet_settings();
    set.max_iters = 1000000;
    set.max_oracle_evals = B;
    set.monitor_every = 1;
    set.monitor = record;
    set.monitor_data = t;
    start_inside(&P, 9, x, y);
    sgfblo_info info;
    sgfblo_errmsg err;
    cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
    const int64_t used = info.last.n_oracle, k = info.last.step;
    cr_log_info("budget %lld: %lld iterations, %lld oracle calls", (long long)B, (long long)k,
                (long long)used);
    cr_assert_eq(info.exit_flag, SGFBLO_EXIT_MAX_STEPS);
    cr_assert_eq(used, info.n_grad + info.n_prod);
    cr_assert(used >= B, "budget %lld, used %lld", (long long)B, (long long)used);
    cr_assert(k >= 1 && t->p[k - 1].n_oracle < B, "the last iteration started under budget");
    free(t);
  }
  free(x); free(y);
}

/* ============================================================ monitoring == */

Test(sqcqp, monitor_reports_and_interrupts) {
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_sqcqp_settings set = quiet_settings();
  trace *t = new_trace();
  set.monitor = record;
  set.monitor_data = t;
  set.monitor_every = 10;
  set.monitor_hypergrad = 1;
  set.max_iters = 35;
  sgfblo_info info;
  start_inside(&P, 5, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, y, &info, NULL), SGFBLO_OK);
  cr_assert_eq(t->calls, 1 + 3 + 1, "start, iterations 10, 20, 30, end (35)");
  cr_assert_eq(t->p[0].step, 0);
  cr_assert(fabs(t->p[0].grad_g_norm) < 1e-3, "the start is y*(x0)");
  cr_assert(isfinite(t->p[0].hypergrad_norm));
  const sgfblo_progress *last = &t->p[4];
  cr_assert_eq(last->step, 35);
  cr_assert_eq(last->t, 35.0);
  cr_assert_eq(last->n_rhs, 35);
  cr_assert(isfinite(last->hypergrad_norm) && isfinite(last->zdot_norm) && isfinite(last->dt));
  cr_assert(last->hypergrad_norm < t->p[0].hypergrad_norm);
  cr_assert_eq(last->n_oracle, info.n_grad + info.n_prod);
  cr_assert_eq(info.last.step, 35);
  cr_assert(last->f < t->p[0].f, "f must decrease (%g -> %g)", last->f, t->p[0].f);

  trace *s = new_trace();
  s->stop_at = 20;
  set.monitor_data = s;
  set.max_iters = 1000;
  start_inside(&P, 5, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, y, &info, NULL), SGFBLO_OK);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_INTERRUPTED);
  cr_assert_eq(info.last.step, 20);
  cr_assert_eq(s->calls, 3);
  free(t); free(s); free(x); free(y);
}

Test(sqcqp, csv_log_has_the_flows_columns) {
  char path[512];
  snprintf(path, sizeof path, "%s/sqcqp_log.csv", SGFBLO_TEST_DATA_DIR);
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_sqcqp_settings set = quiet_settings();
  set.log_path = path;
  set.monitor_every = 2;
  set.max_iters = 9;
  sgfblo_info info;
  sgfblo_errmsg err;
  start_inside(&P, 5, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  char line[1024];
  cr_assert_not_null(fgets(line, sizeof line, f));
  cr_assert_str_eq(line, "step,t,dt,f,grad_g_norm,hypergrad_norm,zdot_norm,n_rhs,n_oracle\n");
  int rows = 0;
  long long step = -1, n_oracle = -1, n_rhs = -1;
  double prev_f = INFINITY;
  while (fgets(line, sizeof line, f)) {
    ++rows;
    double t, dt, fv, gg, hg, zd;
    /* the first row has dt = zdot_norm = hypergrad_norm = nan: read the fields as text */
    char sdt[64], shg[64], szd[64];
    cr_assert_eq(sscanf(line, "%lld,%lf,%63[^,],%lf,%lf,%63[^,],%63[^,],%lld,%lld", &step, &t, sdt,
                        &fv, &gg, shg, szd, &n_rhs, &n_oracle),
                 9, "row %d: %s", rows, line);
    dt = strtod(sdt, NULL);
    hg = strtod(shg, NULL);
    zd = strtod(szd, NULL);
    cr_assert(rows == 1 ? isnan(dt) && isnan(zd) : dt > 0 && zd > 0, "row %d: %s", rows, line);
    cr_assert(isnan(hg), "monitor_hypergrad = 0");
    cr_assert(fv < prev_f, "row %d: f must decrease from inside", rows);
    prev_f = fv;
    (void)gg;
  }
  fclose(f);
  cr_assert_eq(rows, 1 + 4 + 1, "start, 2, 4, 6, 8, end (9)");
  cr_assert_eq(step, 9);
  cr_assert_eq(n_rhs, 9);
  cr_assert_eq(n_oracle, info.last.n_oracle);
  remove(path);

  set.log_path = "/nonexistent-directory/sqcqp.csv";
  cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, y, &info, &err), SGFBLO_ERR_IO);
  cr_assert(strstr(err.msg, "/nonexistent-directory/sqcqp.csv"), "%s", err.msg);
  free(x); free(y);
}

/* ========================================================= invalid input == */

Test(sqcqp, defaults_are_valid) {
  sgfblo_sqcqp_settings set;
  sgfblo_sqcqp_settings_default(&set);
  char msg[256];
  cr_assert_eq(sgfblo_sqcqp_settings_validate(&set, msg, sizeof msg), SGFBLO_OK, "%s", msg);
  cr_assert_eq(set.alpha, 0.1);
  cr_assert_eq(set.epsilon, 0.1);
  cr_assert_eq(set.w, SGFBLO_SQCQP_DEFAULT_W);
  cr_assert_eq(set.gamma, 0.1);
  cr_assert_eq(set.sigma, 0.1);
  cr_assert_eq(set.max_iters, 400);
  cr_assert_eq(set.max_oracle_evals, 0);
  cr_assert_eq(set.monitor_hypergrad, 1);
  cr_assert_null(set.monitor);
  cr_assert_null(set.log_path);
  sgfblo_sqcqp_settings_default(NULL);
  cr_assert_eq(sgfblo_sqcqp_settings_validate(NULL, msg, sizeof msg), SGFBLO_ERR_NULL_ARG);
}

Test(sqcqp, invalid_settings_are_named) {
  sgfblo_sqcqp_settings set;
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_errmsg err;
  char msg[256];
#define EXPECT_BAD(field, stmt)                                                             \
  do {                                                                                      \
    sgfblo_sqcqp_settings_default(&set);                                                    \
    stmt;                                                                                   \
    cr_assert_eq(sgfblo_sqcqp_settings_validate(&set, msg, sizeof msg),                     \
                 SGFBLO_ERR_INVALID_SETTINGS, "%s", #stmt);                                 \
    cr_assert(strstr(msg, field), "'%s' not named in '%s'", field, msg);                    \
    x[0] = 123;                                                                             \
    cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, y, NULL, &err), SGFBLO_ERR_INVALID_SETTINGS); \
    cr_assert(strstr(err.msg, field), "'%s' not named in '%s'", field, err.msg);            \
    cr_assert_eq(x[0], 123, "x untouched");                                                 \
  } while (0)
  EXPECT_BAD("alpha", set.alpha = 0);
  EXPECT_BAD("alpha", set.alpha = NAN);
  EXPECT_BAD("epsilon", set.epsilon = -0.1);
  EXPECT_BAD("epsilon", set.epsilon = INFINITY);
  EXPECT_BAD("w", set.w = 0);
  EXPECT_BAD("w", set.w = NAN);
  EXPECT_BAD("gamma", set.gamma = 0);
  EXPECT_BAD("gamma", set.gamma = 1);
  EXPECT_BAD("gamma", set.gamma = NAN);
  EXPECT_BAD("sigma", set.sigma = 0);
  EXPECT_BAD("sigma", set.sigma = 1.5);
  EXPECT_BAD("tau0", set.tau0 = 0);
  EXPECT_BAD("tau0", set.tau0 = INFINITY);
  EXPECT_BAD("delta", set.delta = -1e-9);
  EXPECT_BAD("delta", set.delta = NAN);
  EXPECT_BAD("tau_min", set.tau_min = 0);
  EXPECT_BAD("tau_min", set.tau_min = 2);
  EXPECT_BAD("max_iters", set.max_iters = 0);
  EXPECT_BAD("max_oracle_evals", set.max_oracle_evals = -1);
  EXPECT_BAD("tol", set.tol = -1);
  EXPECT_BAD("tol", set.tol = NAN);
  EXPECT_BAD("div_limit", set.div_limit = 0);
  EXPECT_BAD("monitor_every", set.monitor_every = 0);
  EXPECT_BAD("backend", set.backend = (sgfblo_backend)7);
  EXPECT_BAD("device_id", set.device_id = -1);
  EXPECT_BAD("monitor_hypergrad", set.monitor_hypergrad = 2);
#undef EXPECT_BAD
  cr_assert(strstr(msg, "(got 2)"), "the value is quoted: %s", msg);
  /* the edges that are allowed */
  sgfblo_sqcqp_settings_default(&set);
  set.delta = 0;
  set.tau_min = 1;
  set.tol = 0;
  cr_assert_eq(sgfblo_sqcqp_settings_validate(&set, msg, sizeof msg), SGFBLO_OK, "%s", msg);
  free(x); free(y);
}

Test(sqcqp, bad_arguments) {
  sgfblo_sqcqp_settings set;
  sgfblo_sqcqp_settings_default(&set);
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_errmsg err;
  sgfblo_info info;
  cr_assert_eq(sgfblo_sqcqp_run(NULL, &set, x, y, &info, &err), SGFBLO_ERR_NULL_ARG);
  cr_assert(strlen(err.msg) > 0);
  cr_assert_eq(sgfblo_sqcqp_run(&P, NULL, x, y, &info, &err), SGFBLO_ERR_NULL_ARG);
  cr_assert_eq(sgfblo_sqcqp_run(&P, &set, NULL, y, &info, &err), SGFBLO_ERR_NULL_ARG);
  cr_assert(strstr(err.msg, "x"), "%s", err.msg);
  cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, NULL, NULL, NULL), SGFBLO_ERR_NULL_ARG);
  sgfblo_problem p = P;
  p.jyxT_mv = NULL;
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &info, &err), SGFBLO_ERR_NULL_ARG);
  cr_assert(strstr(err.msg, "jyxT_mv"), "%s", err.msg);
  p = P;
  p.n = 0;
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &info, &err), SGFBLO_ERR_INVALID_ARG);
  cr_assert(strstr(err.msg, "problem.n"), "%s", err.msg);
  y[3] = INFINITY;
  x[1] = 7;
  cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, y, &info, &err), SGFBLO_ERR_NONFINITE);
  cr_assert(strstr(err.msg, "y[3]"), "%s", err.msg);
  cr_assert_eq(x[1], 7, "x is untouched on an argument error");
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_ERROR);
  free(x); free(y);
}

/* ============================================================= error paths == */

Test(sqcqp, failing_callback_returns_err_callback) {
  counter c;
  sgfblo_problem p = counted(&c);
  sgfblo_real *x = vec(p.n), *y = vec(p.m);
  sgfblo_sqcqp_settings set = quiet_settings();
  set.max_iters = 100;
  sgfblo_info info;
  sgfblo_errmsg err;
  /* fixed steps from outside: the start report takes 1 grad_g, each iteration 1 */
  c.fail_after = 4;
  start_outside(&P, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &info, &err), SGFBLO_ERR_CALLBACK);
  cr_assert(strstr(err.msg, "grad_g") && strstr(err.msg, "42"), "%s", err.msg);
  cr_assert_eq(info.callback_code, 42);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_ERROR);
  cr_assert_eq(info.last.n_rhs, 3, "three full iterations before the failing call");
  cr_assert(isfinite(x[0]) && x[0] != 1, "x holds the last iterate");

  /* f_val failing inside the line search */
  p = counted(&c);
  c.f_fail_after = 2; /* the start report, then f(z0) */
  start_inside(&P, 5, x, y);
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &info, &err), SGFBLO_ERR_CALLBACK);
  cr_assert(strstr(err.msg, "f_val") && strstr(err.msg, "43"), "%s", err.msg);
  cr_assert_eq(info.callback_code, 43);

  /* a failure in the monitoring evaluation at the start is reported the same way */
  p = counted(&c);
  c.fail_after = 0;
  cr_assert_eq(sgfblo_sqcqp_run(&p, &set, x, y, &info, &err), SGFBLO_ERR_CALLBACK);
  cr_assert_eq(info.callback_code, 42);
  free(x); free(y);
}

Test(sqcqp, step_floor_ends_the_solve_with_step_too_small) {
  counter c;
  sgfblo_problem p = counted(&c);
  sgfblo_real *x = vec(p.n), *y = vec(p.m), *x0 = vec(p.n);
  sgfblo_sqcqp_settings set = quiet_settings();
  set.tau_min = 1e-3; /* trials 1, 1/2, ..., 2^-9: ten of them */
  sgfblo_info info;
  sgfblo_errmsg err;

  /* f_val disagrees with grad_f (it only grows): the Armijo test never holds. */
  c.f_increasing = 1;
  start_inside(&P, 5, x, y);
  memcpy(x0, x, sizeof *x * (size_t)p.n);
  sgfblo_status st = sgfblo_sqcqp_run(&p, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_ERR_STEP_TOO_SMALL, "%s: %s", sgfblo_status_string(st), err.msg);
  cr_log_info("%s", err.msg);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_ERROR);
  cr_assert(strstr(err.msg, "tau_min") && strstr(err.msg, "Armijo"), "%s", err.msg);
  cr_assert(strstr(err.msg, "barrier test") && strstr(err.msg, "held and the Armijo test"),
            "%s", err.msg);
  cr_assert_eq(info.n_rejected, 10);
  cr_assert_eq(info.last.n_rhs, 0);
  cr_assert_arr_eq(x, x0, sizeof *x * (size_t)p.n, "x is the last accepted iterate");

  /* grad_y g is off by 1 at every trial: h > 0 there, so the barrier test never holds. */
  p = counted(&c);
  c.gy_blow_after = 2; /* the start report and grad_g(z0) are honest */
  start_inside(&P, 5, x, y);
  st = sgfblo_sqcqp_run(&p, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_ERR_STEP_TOO_SMALL, "%s: %s", sgfblo_status_string(st), err.msg);
  cr_assert(strstr(err.msg, "failed and the Armijo test") && strstr(err.msg, "not evaluated"),
            "%s", err.msg);
  cr_assert_eq(c.f_val, 2, "f is not evaluated at trials that fail the barrier: %lld",
               (long long)c.f_val);
  free(x); free(y); free(x0);
}

Test(sqcqp, huge_fixed_step_diverges_with_a_status) {
  sgfblo_real *x = vec(P.n), *y = vec(P.m);
  sgfblo_sqcqp_settings set = quiet_settings();
  set.tau0 = 1e6;
  set.max_iters = 1000000;
  sgfblo_info info;
  sgfblo_errmsg err;
  start_outside(&P, x, y);
  const sgfblo_status st = sgfblo_sqcqp_run(&P, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_ERR_DIVERGED, "got %s: %s", sgfblo_status_string(st), err.msg);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_DIVERGED);
  cr_assert(strstr(err.msg, "tau0"), "%s", err.msg);
  cr_assert_lt(info.last.n_rhs, 10);

  set.tau0 = 1e300;
  set.div_limit = 1e308;
  start_outside(&P, x, y);
  const sgfblo_status st2 = sgfblo_sqcqp_run(&P, &set, x, y, &info, &err);
  cr_assert_eq(st2, SGFBLO_ERR_NONFINITE, "got %s: %s", sgfblo_status_string(st2), err.msg);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_NONFINITE);
  cr_assert_lt(info.last.n_rhs, 10);
  free(x); free(y);
}

Test(sqcqp, nan_in_a_product_stops_the_run) {
  counter c;
  sgfblo_problem p = counted(&c);
  c.nan_hyy = 1;
  sgfblo_real *x = vec(p.n), *y = vec(p.m);
  sgfblo_sqcqp_settings set = quiet_settings();
  sgfblo_info info;
  sgfblo_errmsg err;
  start_inside(&P, 5, x, y);
  const sgfblo_status st = sgfblo_sqcqp_run(&p, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_ERR_NONFINITE, "got %s: %s", sgfblo_status_string(st), err.msg);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_NONFINITE);
  cr_assert(strstr(err.msg, "direction"), "%s", err.msg);
  cr_assert_eq(info.last.n_rhs, 0);
  free(x); free(y);
}

/* With a large w and alpha the subproblem is infeasible outside the eps-set; the direction
   -grad h/(2w) then decreases h at every fixed step until the subproblem becomes feasible. */
Test(sqcqp, infeasible_subproblems_descend_on_h) {
  const int64_t n = P.n, m = P.m, nz = n + m;
  sgfblo_real *x = vec(n), *y = vec(m);
  sgfblo_sqcqp_settings set = quiet_settings();
  set.w = 50;
  set.alpha = 1;
  set.tau0 = 1;
  set.max_iters = 40;
  set.monitor_every = 1;
  trace *t = new_trace();
  set.monitor = record;
  set.monitor_data = t;
  start_outside(&P, x, y);
  /* the start's subproblem is infeasible */
  {
    sgfblo_real *gf = vec(nz), *gy = vec(m), *gh = vec(nz);
    const sgfblo_eval_ctx *ctx = host_ctx(&P);
    cr_assert_eq(P.grad_f(x, y, gf, gf + n, ctx), 0);
    cr_assert_eq(P.grad_g(x, y, NULL, gy, ctx), 0);
    cr_assert_eq(P.jyxT_mv(x, y, gy, gh, ctx), 0);
    cr_assert_eq(P.hyy_mv(x, y, gy, gh + n, ctx), 0);
    for (int64_t i = 0; i < nz; ++i) gh[i] *= 2;
    const double h = dot(gy, gy, m) - set.epsilon * set.epsilon;
    sgfblo_sqcqp_dir dir;
    sgfblo_sqcqp_classify(dot(gf, gf, nz), dot(gf, gh, nz), dot(gh, gh, nz), -set.alpha * h,
                          set.w, &dir);
    cr_assert_eq(dir.kase, SGFBLO_SQCQP_INFEASIBLE, "h(z0) = %g", h);
    free(gf); free(gy); free(gh);
  }
  sgfblo_info info;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_sqcqp_run(&P, &set, x, y, &info, &err), SGFBLO_OK, "%s", err.msg);
  int64_t descents = 0;
  for (int64_t k = 0; k + 1 < t->calls && t->p[k].grad_g_norm > 0.5; ++k, ++descents)
    cr_assert(t->p[k + 1].grad_g_norm < t->p[k].grad_g_norm, "step %lld: ||grad_y g|| rose",
              (long long)k);
  cr_log_info("infeasible start: ||grad_y g|| %.4g -> %.4g in 40 steps (%lld checked)",
              t->p[0].grad_g_norm, info.last.grad_g_norm, (long long)descents);
  cr_assert(descents >= 3);
  cr_assert(info.last.grad_g_norm < 0.5 * t->p[0].grad_g_norm);
  free(t); free(x); free(y);
}

/* ==================================================== the synthetic problem == */

static sgfblo_synthetic *S;
static sgfblo_problem SP;
static void setup_s(void) {
  cr_assert_eq(sgfblo_synthetic_random(20, 1, &S, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_synthetic_problem(S, &SP), SGFBLO_OK);
}
static void teardown_s(void) { sgfblo_synthetic_destroy(S); }
TestSuite(synthetic, .init = setup_s, .fini = teardown_s);

/* The paper's length (400 iterations) with the defaults, from y0 = y*(x0): f decreases, the
   iterates stay in the eps-set. */
Test(synthetic, default_settings_for_400_iterations) {
  sgfblo_real *x = vec(SP.n), *y = vec(SP.m);
  start_inside(&SP, 42, x, y);
  trace *t = new_trace();
  sgfblo_sqcqp_settings set;
  sgfblo_sqcqp_settings_default(&set);
  set.monitor_every = 100;
  set.monitor = record;
  set.monitor_data = t;
  sgfblo_info info;
  sgfblo_errmsg err;
  const sgfblo_status st = sgfblo_sqcqp_run(&SP, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_OK, "%s: %s", sgfblo_status_string(st), err.msg);
  for (int64_t k = 0; k < t->calls && k < TRACE_MAX; ++k)
    cr_log_info("  step %4lld  f %.6f  ||grad_y g|| %.3e  ||F|| %.3e  ||d|| %.3e  dt %g  "
                "n_oracle %lld",
                (long long)t->p[k].step, t->p[k].f, t->p[k].grad_g_norm,
                t->p[k].hypergrad_norm, t->p[k].zdot_norm, t->p[k].dt,
                (long long)t->p[k].n_oracle);
  cr_log_info("synthetic n = 20, defaults, 400 iterations: f %.6f -> %.6f, ||F|| %.3e -> %.3e, "
              "max_h_excess %.3e, n_grad %lld, n_prod %lld, n_value %lld, rejected %lld",
              t->p[0].f, info.last.f, t->p[0].hypergrad_norm, info.last.hypergrad_norm,
              info.max_h_excess, (long long)info.n_grad, (long long)info.n_prod,
              (long long)info.n_value, (long long)info.n_rejected);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_MAX_STEPS);
  cr_assert_eq(info.last.step, 400);
  cr_assert(info.last.f < t->p[0].f);
  cr_assert(info.last.hypergrad_norm < 0.2 * t->p[0].hypergrad_norm);
  cr_assert(info.max_h_excess <= 0, "h > 0 reached: %g", info.max_h_excess);
  free(t); free(x); free(y);
}

/* Run to the stationarity test: at a KKT point of the relaxed problem (grad f + mu grad h = 0)
   the surrogate hypergradient (2) vanishes, so ||F|| measures convergence. */
Test(synthetic, default_settings_converge_to_a_relaxed_kkt_point) {
  sgfblo_real *x = vec(SP.n), *y = vec(SP.m);
  start_inside(&SP, 42, x, y);
  sgfblo_sqcqp_settings set;
  sgfblo_sqcqp_settings_default(&set);
  set.max_iters = 40000;
  set.tol = RUN_TOL * 0.1;
  sgfblo_info info;
  sgfblo_errmsg err;
  const sgfblo_status st = sgfblo_sqcqp_run(&SP, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_OK, "%s: %s", sgfblo_status_string(st), err.msg);
  cr_log_info("synthetic n = 20, defaults, tol %g: %lld iterations (%s), f = %.9f, ||F|| = %.3e, "
              "||grad_y g|| = %.6f, max_h_excess = %.3e, n_oracle = %lld",
              set.tol, (long long)info.last.step, sgfblo_exit_flag_name(info.exit_flag),
              info.last.f, info.last.hypergrad_norm, info.last.grad_g_norm, info.max_h_excess,
              (long long)info.last.n_oracle);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_CONVERGED);
  cr_assert(info.last.zdot_norm <= set.tol);
  cr_assert(info.last.hypergrad_norm <= 1e3 * set.tol, "||F|| = %g", info.last.hypergrad_norm);
  cr_assert(fabs(info.last.grad_g_norm - set.epsilon) <= 1e-3 * set.epsilon,
            "the constraint is active at this solution (||grad_y g|| = %g)",
            info.last.grad_g_norm);
  cr_assert(info.max_h_excess <= 1e-6 * set.epsilon * set.epsilon, "%g", info.max_h_excess);
  free(x); free(y);
}
