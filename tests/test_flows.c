/* The theorems along whole trajectories: SGF's exponential contraction (Theorem 1), RXGF's
   forward invariance (Proposition 1), prediction-correction tracking (Proposition 2), and
   convergence to the closed-form solution of the quadratic problem. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>

#include "flow_helpers.h"
#include "support.h"

#ifdef SGFBLO_USE_FLOAT
#define FLOW_TOL 1e-3
#define INVARIANCE_TOL 1e-5 /* eps^2 = 1e-2 times float32's slack, ~3.5e-4 */
#else
#define FLOW_TOL 1e-6
#define INVARIANCE_TOL 1e-10 /* eps^2 = 1e-2 times the step control's slack, ~1.5e-8 */
#endif

/* ---------------------------------------------------------------- Theorem 1 -- */

typedef struct {
  double alpha, g0, worst;
  int64_t calls;
} contraction;

static int watch_contraction(const sgfblo_progress *p, void *data) {
  contraction *c = data;
  if (c->calls++ == 0) c->g0 = p->grad_g_norm;
  const double want = exp(-c->alpha * p->t) * c->g0;
  c->worst = fmax(c->worst, fabs(p->grad_g_norm - want) / want);
  return 0;
}

static void contraction_run(sgfblo_method m, double alpha) {
  sgfblo_synthetic *sp;
  sgfblo_problem p;
  cr_assert_eq(sgfblo_synthetic_random(20, 1, &sp, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_synthetic_problem(sp, &p), SGFBLO_OK);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = m;
  set.alpha = alpha;
  set.dt = 0.01;
  set.t_final = 10;
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 5;
  set.monitor_every = 1;
  set.monitor_hypergrad = 0;
  set.cg_tol = TEST_CG_TOL;
  contraction c = {alpha, 0, 0, 0};
  set.monitor = watch_contraction;
  set.monitor_data = &c;
  sgfblo_solver *s = make_solver(&p, &set);
  solve_ok(s);
  sgfblo_info info;
  sgfblo_solver_get_info(s, &info);
  cr_log_info("%s alpha %.2f: max relative deviation from e^{-alpha t} ||grad_y g(0)|| = %.3e "
              "over %lld steps", sgfblo_method_name(m), alpha, c.worst, (long long)info.last.step);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_T_FINAL);
  cr_assert_eq(info.last.step, 1000);
  cr_assert_eq(c.calls, 1001, "monitor calls %lld", (long long)c.calls); /* start + each step */
  cr_assert(c.worst <= FLOW_TOL, "%s: contraction off by %.3e", sgfblo_method_name(m), c.worst);
  sgfblo_solver_destroy(s);
  sgfblo_synthetic_destroy(sp);
}

Test(theorem1, sgf_cholesky_contracts_exponentially) {
  contraction_run(SGFBLO_METHOD_SGF_CHOL, 0.01);
  contraction_run(SGFBLO_METHOD_SGF_CHOL, 0.5);
  contraction_run(SGFBLO_METHOD_SGF_CHOL, 1.0);
}

Test(theorem1, sgf_cg_contracts_exponentially) { contraction_run(SGFBLO_METHOD_SGF_CG, 0.5); }

/* ------------------------------------------------------------ Proposition 1 -- */

static double rxgf_max_excess(double alpha, double dt, int step_control, double *final_F,
                              double *initial_F) {
  sgfblo_synthetic *sp;
  sgfblo_problem p;
  cr_assert_eq(sgfblo_synthetic_random(20, 2, &sp, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_synthetic_problem(sp, &p), SGFBLO_OK);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_RXGF;
  set.alpha = alpha;
  set.epsilon = 0.1;
  set.dt = dt;
  set.t_final = 10;
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 3;
  set.init_lower = 1; /* start inside the eps-set, as Proposition 1 assumes */
  set.step_control = step_control;
  set.monitor_every = 100000;
  sgfblo_solver *s = make_solver(&p, &set);
  solve_ok(s);
  sgfblo_info info;
  sgfblo_solver_get_info(s, &info);
  if (final_F) *final_F = info.last.hypergrad_norm;
  if (initial_F) *initial_F = NAN;
  sgfblo_solver_destroy(s);
  sgfblo_synthetic_destroy(sp);
  cr_log_info("rxgf alpha %.2f dt %.2f control %d: max (h - eps^2) = %.3e, rejected %lld", alpha,
              dt, step_control, info.max_h_excess, (long long)info.n_rejected);
  return info.max_h_excess;
}

Test(proposition1, rxgf_keeps_the_eps_set_at_the_papers_step) {
  const double alphas[] = {0.01, 0.1, 1.0};
  for (int i = 0; i < 3; ++i) {
    const double ex = rxgf_max_excess(alphas[i], 0.01, 0, NULL, NULL);
    /* RK4 at h = 0.01: the discrete overshoot must be at the level of the method's error. */
    cr_expect(ex <= fmax(1e-10, INVARIANCE_TOL), "alpha %.2f: h exceeded eps^2 by %.3e", alphas[i], ex);
  }
}

Test(proposition1, step_control_keeps_the_set_at_large_steps) {
  const double ex = rxgf_max_excess(1.0, 0.5, 1, NULL, NULL);
  cr_expect(ex <= INVARIANCE_TOL, "with step control h exceeded eps^2 by %.3e", ex);
}

static int first_zdot_norm(const sgfblo_progress *p, void *data) {
  double *first = data;
  if (p->step == 0) *first = p->zdot_norm;
  return 0;
}

Test(proposition1, set_state_starts_a_new_trajectory) {
  /* Setup solves the lower level at x0, so the state it leaves is inside the eps-set. A
     trajectory from a point far outside exceeds eps^2; one restarted at the inside point stays
     inside (Proposition 1): its max_h_excess and its first ||zdot|| must be its own, not the
     previous trajectory's. */
  sgfblo_synthetic *sp;
  sgfblo_problem p;
  cr_assert_eq(sgfblo_synthetic_random(20, 2, &sp, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_synthetic_problem(sp, &p), SGFBLO_OK);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_RXGF;
  set.alpha = 1.0;
  set.epsilon = 0.1;
  set.dt = 0.01;
  set.t_final = 2;
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 3;
  set.init_lower = 1;
  set.monitor_hypergrad = 0;
  double first = 0;
  set.monitor = first_zdot_norm;
  set.monitor_data = &first;
  sgfblo_solver *s = make_solver(&p, &set);
  sgfblo_real *x = vec(p.n), *y_in = vec(p.m), *y_out = vec(p.m);
  cr_assert_eq(sgfblo_solver_get_state(s, x, y_in), SGFBLO_OK);
  for (int64_t i = 0; i < p.m; ++i) y_out[i] = y_in[i] + 10;
  cr_assert_eq(sgfblo_solver_set_state(s, x, y_out), SGFBLO_OK);
  solve_ok(s);
  sgfblo_info a, b;
  sgfblo_solver_get_info(s, &a);
  cr_assert_gt(a.max_h_excess, 1.0, "the shifted start lies outside: excess %.3e", a.max_h_excess);
  cr_assert(isnan(first), "no step yet at the first report: ||zdot|| = %g", first);
  cr_assert_eq(a.n_graph_steps + a.graph_nodes, 0, "the CPU backend records no step graph");
  cr_assert_eq(sgfblo_solver_set_state(s, x, y_in), SGFBLO_OK);
  first = 0;
  solve_ok(s);
  sgfblo_solver_get_info(s, &b);
  cr_log_info("rxgf restart: max (h - eps^2) %.3e from outside, %.3e from inside",
              a.max_h_excess, b.max_h_excess);
  cr_assert_eq(b.last.step, a.last.step, "the second trajectory starts at step 0 again");
  cr_assert(b.max_h_excess <= fmax(1e-10, INVARIANCE_TOL), "the restart starts inside: excess %.3e",
            b.max_h_excess);
  cr_assert(isnan(first), "no step yet at the restart's first report: ||zdot|| = %g", first);
  free(x);
  free(y_in);
  free(y_out);
  sgfblo_solver_destroy(s);
  sgfblo_synthetic_destroy(sp);
}

/* ------------------------------------------------------------ Proposition 2 -- */

typedef struct {
  sgfblo_solver *s;
  const sgfblo_quadratic *q;
  const sgfblo_problem *p;
  double beta, mu, g0, worst_ratio;
  int calls;
} tracking;

static int watch_tracking(const sgfblo_progress *pr, void *data) {
  tracking *T = data;
  const int64_t n = T->p->n, m = T->p->m;
  sgfblo_real *x = vec(n), *y = vec(m), *ystar = vec(m), *bx = vec(m);
  cr_assert_eq(sgfblo_solver_get_state(T->s, x, y), SGFBLO_OK);
  if (T->calls++ == 0) T->g0 = pr->grad_g_norm;
  /* y*(x) = A^{-1} B x, and grad_y g(x, 0) = -B x, so B x = -grad_y g(x, 0). */
  sgfblo_real *zero = vec(m);
  cr_assert_eq(T->p->grad_g(x, zero, NULL, bx, host_ctx(T->p)), 0);
  for (int64_t i = 0; i < m; ++i) bx[i] = -bx[i];
  hyy_solve_ref(T->p, x, y, bx, ystar);
  double d = 0;
  for (int64_t i = 0; i < m; ++i) d += pow(y[i] - ystar[i], 2);
  const double bound = T->g0 * exp(-T->beta * pr->t) / T->mu;
  T->worst_ratio = fmax(T->worst_ratio, sqrt(d) / bound);
  free(x); free(y); free(ystar); free(bx); free(zero);
  return 0;
}

Test(proposition2, prediction_correction_tracks_the_lower_solution) {
  sgfblo_quadratic *q;
  sgfblo_problem p;
  cr_assert_eq(sgfblo_quadratic_random(6, 5, 4, &q, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_problem(q, &p), SGFBLO_OK);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_PC;
  set.beta = 2.0;
  set.dt = 0.01;
  set.t_final = 5;
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 9;
  set.monitor_every = 10;
  set.monitor_hypergrad = 0;
  tracking T = {NULL, q, &p, set.beta, 0.5, 0, 0, 0}; /* mu_g >= 0.5: eigenvalues of A in [0.5, 2] */
  set.monitor = watch_tracking;
  set.monitor_data = &T;
  T.s = make_solver(&p, &set);
  solve_ok(T.s);
  cr_log_info("pc: max ||y - y*(x)|| / (||grad_y g(0)|| e^{-beta t} / mu_g) = %.3f over %d points",
              T.worst_ratio, T.calls);
  cr_assert_gt(T.calls, 10);
  cr_assert(T.worst_ratio <= 1.0 + 1e-6, "tracking bound violated (ratio %.4f)", T.worst_ratio);
  sgfblo_solver_destroy(T.s);
  sgfblo_quadratic_destroy(q);
}

/* ------------------------------------------------- convergence to x* (closed form) -- */

static double distance_to_solution(sgfblo_method m, sgfblo_integrator integ, double eps, double *gF) {
  sgfblo_quadratic *q;
  sgfblo_problem p;
  cr_assert_eq(sgfblo_quadratic_random(6, 4, 21, &q, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_problem(q, &p), SGFBLO_OK);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = m;
  set.integrator = integ;
  set.alpha = 1.0;
  set.epsilon = eps;
  set.dt = 0.05;
  set.t_final = 80;
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 2;
  set.init_lower = 1;
  set.monitor_every = 100000;
  set.cg_tol = TEST_CG_TOL;
  sgfblo_solver *s = make_solver(&p, &set);
  solve_ok(s);
  sgfblo_real *x = vec(p.n), *xs = vec(p.n);
  sgfblo_solver_get_state(s, x, NULL);
  sgfblo_quadratic_solution(q, xs, NULL);
  double d = 0, ns = 0;
  for (int64_t i = 0; i < p.n; ++i) {
    d += pow(x[i] - xs[i], 2);
    ns += pow(xs[i], 2);
  }
  sgfblo_info info;
  sgfblo_solver_get_info(s, &info);
  if (gF) *gF = info.last.hypergrad_norm;
  cr_log_info("%s/%s eps %.0e: ||x - x*|| / ||x*|| = %.3e, ||F|| = %.3e", sgfblo_method_name(m),
              sgfblo_integrator_name(integ), eps, sqrt(d / ns), info.last.hypergrad_norm);
  free(x); free(xs);
  sgfblo_solver_destroy(s);
  sgfblo_quadratic_destroy(q);
  return sqrt(d / ns);
}

Test(convergence, exact_flows_reach_the_closed_form_solution) {
  cr_expect(distance_to_solution(SGFBLO_METHOD_SGF_CHOL, SGFBLO_INTEG_RK4, 0, NULL) <= FLOW_TOL);
  cr_expect(distance_to_solution(SGFBLO_METHOD_SGF_CG, SGFBLO_INTEG_RK4_38, 0, NULL) <= FLOW_TOL);
  cr_expect(distance_to_solution(SGFBLO_METHOD_PC, SGFBLO_INTEG_RK4, 0, NULL) <= FLOW_TOL);
  cr_expect(distance_to_solution(SGFBLO_METHOD_STABLE, SGFBLO_INTEG_DOPRI5, 0, NULL) <= FLOW_TOL);
}

Test(convergence, rxgf_reaches_a_neighbourhood_that_shrinks_with_eps) {
  /* Near the boundary of a small eps-set the relaxed flow is stiff (lambda ~ 1/eps): the
     adaptive integrator resolves it, where a fixed RK4 step of 0.05 would leave the set. */
  const double d1 = distance_to_solution(SGFBLO_METHOD_RXGF, SGFBLO_INTEG_DOPRI5, 1e-1, NULL);
  const double d2 = distance_to_solution(SGFBLO_METHOD_RXGF, SGFBLO_INTEG_DOPRI5, 1e-3, NULL);
  cr_expect(d2 < d1, "smaller eps must land closer (%.3e vs %.3e)", d2, d1);
  cr_expect(d2 <= 1e-2, "eps = 1e-3 should land within 1e-2 (got %.3e)", d2);
}
