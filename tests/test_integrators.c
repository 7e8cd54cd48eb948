/* Integrators: observed order of accuracy, Dopri5 honouring its tolerance, exact final time. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>

#include "flow_helpers.h"
#include "support.h"

static sgfblo_synthetic *SP;
static sgfblo_problem P;

static void setup_problem(void) {
  cr_assert_eq(sgfblo_synthetic_random(6, 8, &SP, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_synthetic_problem(SP, &P), SGFBLO_OK);
}
static void teardown_problem(void) { sgfblo_synthetic_destroy(SP); }
TestSuite(integrators, .init = setup_problem, .fini = teardown_problem);

/* Final state of SGF-Cholesky over [0, 1] with the given integrator and step. */
static void final_state(sgfblo_integrator integ, double dt, double rtol, sgfblo_real *z, sgfblo_info *info) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_SGF_CHOL;
  set.alpha = 1.0;
  set.integrator = integ;
  set.dt = dt;
  set.t_final = 1.0;
  if (rtol > 0) { /* only dopri5 reads its tolerances */
    set.rtol = rtol;
    set.atol = rtol * 1e-3;
  }
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 4;
  set.monitor_every = 1000000;
  set.monitor_hypergrad = 0;
  sgfblo_solver *s = make_solver(&P, &set);
  solve_ok(s);
  cr_assert_eq(sgfblo_solver_get_state(s, z, z + P.n), SGFBLO_OK);
  sgfblo_info tmp;
  sgfblo_solver_get_info(s, info ? info : &tmp);
  sgfblo_solver_destroy(s);
}

static double err_vs(const sgfblo_real *a, const sgfblo_real *ref) {
  return test_rel_err(a, ref, P.n + P.m, 1e-12);
}

static void check_order(sgfblo_integrator integ, double dt0, double want_ratio) {
  const int64_t nz = P.n + P.m;
  sgfblo_real *ref = vec(nz), *z1 = vec(nz), *z2 = vec(nz), *z3 = vec(nz);
  final_state(SGFBLO_INTEG_RK4, dt0 / 64, 0, ref, NULL);
  final_state(integ, dt0, 0, z1, NULL);
  final_state(integ, dt0 / 2, 0, z2, NULL);
  final_state(integ, dt0 / 4, 0, z3, NULL);
  const double e1 = err_vs(z1, ref), e2 = err_vs(z2, ref), e3 = err_vs(z3, ref);
  cr_log_info("%s: errors %.3e %.3e %.3e, ratios %.2f %.2f (expected %.0f)",
              sgfblo_integrator_name(integ), e1, e2, e3, e1 / e2, e2 / e3, want_ratio);
  cr_expect(fabs(e1 / e2 / want_ratio - 1) < 0.25, "ratio %.2f, expected %.0f", e1 / e2, want_ratio);
  cr_expect(fabs(e2 / e3 / want_ratio - 1) < 0.25, "ratio %.2f, expected %.0f", e2 / e3, want_ratio);
  free(ref); free(z1); free(z2); free(z3);
}

Test(integrators, euler_is_first_order) { check_order(SGFBLO_INTEG_EULER, 0.02, 2); }

/* The fourth-order errors (1e-6 .. 1e-9) are below float32 resolution: double build only. */
#ifndef SGFBLO_USE_FLOAT
Test(integrators, rk4_is_fourth_order) { check_order(SGFBLO_INTEG_RK4, 0.05, 16); }
Test(integrators, rk4_38_is_fourth_order) { check_order(SGFBLO_INTEG_RK4_38, 0.05, 16); }

Test(integrators, dopri5_honours_its_tolerance) {
  const int64_t nz = P.n + P.m;
  sgfblo_real *ref = vec(nz), *z = vec(nz);
  final_state(SGFBLO_INTEG_RK4, 1e-3, 0, ref, NULL);
  double prev = INFINITY;
  const double tols[] = {1e-4, 1e-6, 1e-8};
  for (int i = 0; i < 3; ++i) {
    sgfblo_info info;
    final_state(SGFBLO_INTEG_DOPRI5, 0.5, tols[i], z, &info);
    const double e = err_vs(z, ref);
    cr_log_info("dopri5 rtol %.0e: error %.3e, %lld steps, %lld rejected, t = %.17g", tols[i], e,
                (long long)info.last.step, (long long)info.n_rejected, info.last.t);
    cr_expect(e <= 10 * tols[i], "rtol %.0e: error %.3e", tols[i], e);
    cr_expect(e < prev, "tighter tolerance must not be less accurate");
    cr_expect_eq(info.last.t, 1.0);
    prev = e;
  }
  free(ref); free(z);
}
#endif

Test(integrators, final_time_is_hit_exactly) {
  sgfblo_real *z = vec(P.n + P.m);
  sgfblo_info info;
  final_state(SGFBLO_INTEG_RK4, 0.3, 0, z, &info); /* 0.3 does not divide 1 */
  cr_assert_eq(info.last.step, 4);
  cr_assert_eq(info.last.t, 1.0);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_T_FINAL);
  cr_assert_eq(info.last.n_rhs, 16, "RK4 evaluates the field 4 times a step (got %lld)", (long long)info.last.n_rhs);
  free(z);
}

Test(integrators, max_steps_and_stationarity_stop) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_SGF_CHOL;
  set.max_steps = 7;
  set.t_final = 100;
  sgfblo_solver *s = make_solver(&P, &set);
  solve_ok(s);
  sgfblo_info info;
  sgfblo_solver_get_info(s, &info);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_MAX_STEPS);
  cr_assert_eq(info.last.step, 7);
  sgfblo_solver_destroy(s);

  set.max_steps = SGFBLO_DEFAULT_MAX_STEPS;
  set.alpha = 2.0;
  set.dt = 0.1;
  set.tol = 1e-6;
  s = make_solver(&P, &set);
  solve_ok(s);
  sgfblo_solver_get_info(s, &info);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_CONVERGED, "exit %s", sgfblo_exit_flag_name(info.exit_flag));
  cr_assert_leq(info.last.zdot_norm, 1e-6);
  cr_assert_lt(info.last.t, 100.0);
  sgfblo_solver_destroy(s);
}
