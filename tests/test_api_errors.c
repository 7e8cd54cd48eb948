/* Bad input never crashes and never yields garbage: every misuse returns its status code with
   a readable message on the handle. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "flow_helpers.h"

static sgfblo_quadratic *Q;
static sgfblo_problem P;
static void setup_q(void) {
  cr_assert_eq(sgfblo_quadratic_random(3, 2, 1, &Q, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_problem(Q, &P), SGFBLO_OK);
}
static void teardown_q(void) { sgfblo_quadratic_destroy(Q); }
TestSuite(api, .init = setup_q, .fini = teardown_q);

static sgfblo_status setup_with(const sgfblo_problem *p, const sgfblo_settings *set, char *msg) {
  sgfblo_solver *s;
  cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
  const sgfblo_status st = sgfblo_solver_setup(s, p, set);
  strcpy(msg, sgfblo_solver_last_error(s));
  sgfblo_solver_destroy(s);
  return st;
}

Test(api, null_arguments) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  sgfblo_solver *s;
  cr_assert_eq(sgfblo_solver_create(NULL), SGFBLO_ERR_NULL_ARG);
  cr_assert_eq(sgfblo_solver_setup(NULL, &P, &set), SGFBLO_ERR_NULL_ARG);
  cr_assert_eq(sgfblo_solver_solve(NULL), SGFBLO_ERR_NULL_ARG);
  cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_setup(s, NULL, &set), SGFBLO_ERR_NULL_ARG);
  cr_assert(strlen(sgfblo_solver_last_error(s)) > 0);
  cr_assert_eq(sgfblo_solver_setup(s, &P, NULL), SGFBLO_ERR_NULL_ARG);
  sgfblo_info info;
  cr_assert_eq(sgfblo_solver_get_info(s, NULL), SGFBLO_ERR_NULL_ARG);
  cr_assert_eq(sgfblo_solver_get_info(s, &info), SGFBLO_ERR_NOT_SETUP);
  sgfblo_solver_destroy(s);
  sgfblo_solver_destroy(NULL);
}

Test(api, solve_before_setup) {
  sgfblo_solver *s;
  cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_ERR_NOT_SETUP);
  cr_assert(strstr(sgfblo_solver_last_error(s), "setup"));
  sgfblo_real z[5] = {0}, v[5];
  cr_assert_eq(sgfblo_solver_eval_rhs(s, z, v), SGFBLO_ERR_NOT_SETUP);
  cr_assert_eq(sgfblo_solver_get_state(s, z, z), SGFBLO_ERR_NOT_SETUP);
  sgfblo_solver_destroy(s);
}

Test(api, invalid_settings_are_named) {
  sgfblo_settings set;
  char msg[512];
  const struct {
    double *field;
    double value;
    const char *name;
  } cases[] = {{&set.alpha, 0.0, "alpha"}, {&set.alpha, -1, "alpha"}, {&set.epsilon, -0.5, "epsilon"},
               {&set.dt, 0.0, "dt"}, {&set.dt, -1e-3, "dt"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    sgfblo_settings_default(&set);
    *cases[i].field = cases[i].value;
    cr_expect_eq(setup_with(&P, &set, msg), SGFBLO_ERR_INVALID_SETTINGS);
    cr_expect(strstr(msg, cases[i].name) != NULL, "message '%s' misses '%s'", msg, cases[i].name);
  }
}

Test(api, wrong_dimensions_and_missing_callbacks) {
  sgfblo_settings set;
  char msg[512];
  sgfblo_settings_default(&set);
  sgfblo_problem p = P;
  p.n = 0;
  cr_assert_eq(setup_with(&p, &set, msg), SGFBLO_ERR_INVALID_ARG);
  cr_assert(strstr(msg, "problem.n"), "%s", msg);
  p = P;
  p.m = -4;
  cr_assert_eq(setup_with(&p, &set, msg), SGFBLO_ERR_INVALID_ARG);
  cr_assert(strstr(msg, "problem.m"), "%s", msg);
  p = P;
  p.jyxT_mv = NULL;
  cr_assert_eq(setup_with(&p, &set, msg), SGFBLO_ERR_NULL_ARG);
  cr_assert(strstr(msg, "jyxT_mv"), "%s", msg);
  p = P;
  p.x0_mem = SGFBLO_MEM_DEVICE;
  const sgfblo_real x0[3] = {1, 2, 3};
  p.x0 = x0;
  cr_assert_eq(setup_with(&p, &set, msg), SGFBLO_ERR_INVALID_ARG);
  cr_assert(strstr(msg, "device"), "%s", msg);
}

Test(api, nonfinite_initial_state) {
  sgfblo_settings set;
  char msg[512];
  sgfblo_settings_default(&set);
  sgfblo_problem p = P;
  const sgfblo_real y0[2] = {0, NAN};
  p.y0 = y0;
  cr_assert_eq(setup_with(&p, &set, msg), SGFBLO_ERR_NONFINITE);
  cr_assert(strstr(msg, "y0[1]"), "%s", msg);
}

Test(api, unavailable_backend) {
  sgfblo_settings set;
  char msg[512];
  sgfblo_settings_default(&set);
  set.backend = SGFBLO_BACKEND_CUDA;
  if (sgfblo_backend_available(SGFBLO_BACKEND_CUDA)) cr_skip_test("a CUDA device is present");
  cr_assert_eq(setup_with(&P, &set, msg), SGFBLO_ERR_NO_BACKEND);
  cr_assert(strlen(msg) > 0);
}

Test(api, unwritable_log_file) {
  sgfblo_settings set;
  char msg[512];
  sgfblo_settings_default(&set);
  set.log_path = "/nonexistent-directory/trajectory.csv";
  cr_assert_eq(setup_with(&P, &set, msg), SGFBLO_ERR_IO);
  cr_assert(strstr(msg, "/nonexistent-directory/trajectory.csv"), "%s", msg);
}

/* A problem whose callbacks fail after a budget of calls, or return NaN. */
typedef struct {
  sgfblo_problem inner;
  int budget, nan_grad;       /* nan_grad: 1 puts a NaN into grad_x f, 2 into grad_y f */
  int fail_jyx;               /* jyx_mv returns 43 while set */
  const char *why;            /* written to ctx->detail when the budget is spent, unless NULL */
  sgfblo_errmsg *seen_detail; /* the ctx->detail the failing call was given */
} faulty;

static int faulty_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                         const sgfblo_eval_ctx *ctx) {
  faulty *F = ctx->user_data;
  if (F->budget-- <= 0) {
    F->seen_detail = ctx->detail;
    if (F->why && ctx->detail) snprintf(ctx->detail->msg, sizeof ctx->detail->msg, "%s", F->why);
    return 42;
  }
  sgfblo_eval_ctx inner = *ctx;
  inner.user_data = F->inner.user_data;
  const int rc = F->inner.grad_f(x, y, gx, gy, &inner);
  if (F->nan_grad == 1 && gx) gx[0] = NAN;
  if (F->nan_grad == 2 && gy) gy[0] = NAN;
  return rc;
}

static int faulty_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  faulty *F = ctx->user_data;
  sgfblo_eval_ctx inner = *ctx;
  inner.user_data = F->inner.user_data;
  return F->inner.f_val(x, y, out, &inner);
}

static sgfblo_problem faulty_problem(faulty *F, int budget, int nan_grad) {
  F->inner = P;
  F->budget = budget;
  F->nan_grad = nan_grad;
  F->why = NULL;
  F->seen_detail = NULL;
  F->fail_jyx = 0;
  sgfblo_problem p = P;
  p.grad_f = faulty_grad_f;
  p.f_val = faulty_f;
  p.user_data = F;
  return p;
}

/* The remaining callbacks of P take P.user_data; route them through a thin wrapper. */
#define WRAP_PROD(name)                                                                     \
  static int wrap_##name(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,  \
                         sgfblo_real *out, const sgfblo_eval_ctx *ctx) {                    \
    faulty *F = ctx->user_data;                                                             \
    sgfblo_eval_ctx inner = *ctx;                                                           \
    inner.user_data = F->inner.user_data;                                                   \
    return F->inner.name(x, y, v, out, &inner);                                             \
  }
WRAP_PROD(hyy_mv)
WRAP_PROD(jyxT_mv)
static int wrap_jyx_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                       sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  faulty *F = ctx->user_data;
  if (F->fail_jyx) return 43;
  sgfblo_eval_ctx inner = *ctx;
  inner.user_data = F->inner.user_data;
  return F->inner.jyx_mv(x, y, v, out, &inner);
}
static int wrap_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                       const sgfblo_eval_ctx *ctx) {
  faulty *F = ctx->user_data;
  sgfblo_eval_ctx inner = *ctx;
  inner.user_data = F->inner.user_data;
  return F->inner.grad_g(x, y, gx, gy, &inner);
}

static sgfblo_problem wrapped(faulty *F, int budget, int nan_grad) {
  sgfblo_problem p = faulty_problem(F, budget, nan_grad);
  p.grad_g = wrap_grad_g;
  p.hyy_mv = wrap_hyy_mv;
  p.jyx_mv = wrap_jyx_mv;
  p.jyxT_mv = wrap_jyxT_mv;
  p.g_val = NULL;
  p.hyy_dense = NULL;
  p.jyx_dense = NULL;
  return p;
}

Test(api, failing_callback_ends_the_solve_with_its_code) {
  faulty F;
  sgfblo_problem p = wrapped(&F, 25, 0);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.monitor_hypergrad = 0;
  sgfblo_solver *s = make_solver(&p, &set);
  cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_ERR_CALLBACK);
  cr_assert(strstr(sgfblo_solver_last_error(s), "grad_f"), "%s", sgfblo_solver_last_error(s));
  cr_assert(strstr(sgfblo_solver_last_error(s), "42"), "%s", sgfblo_solver_last_error(s));
  sgfblo_info info;
  cr_assert_eq(sgfblo_solver_get_info(s, &info), SGFBLO_OK);
  cr_assert_eq(info.callback_code, 42);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_ERROR);
  sgfblo_solver_destroy(s);
}

Test(api, failing_callback_can_say_why) {
  faulty F;
  sgfblo_problem p = wrapped(&F, 25, 0);
  F.why = "the data file vanished";
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.monitor_hypergrad = 0;
  sgfblo_solver *s = make_solver(&p, &set);
  cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_ERR_CALLBACK);
  const char *msg = sgfblo_solver_last_error(s);
  cr_assert(strstr(msg, "grad_f returned 42: the data file vanished"), "%s", msg);
  cr_assert_not_null(F.seen_detail, "the library must offer a place for the reason");
  cr_assert_eq(F.seen_detail->msg[0], '\0', "the reason must be cleared once reported");
  sgfblo_solver_destroy(s);
}

static int stop_at_step_3(const sgfblo_progress *p, void *data) {
  (void)data;
  return p->step >= 3;
}

/* Interrupted at step 3 of a DOPRI5 solve of prediction-correction, k[0] holds RHS(z) for the
   next solve to reuse (first same as last). An eval_rhs at another state whose jyx fails has
   written xdot into k[0] by then: the next solve must evaluate RHS(z) again, not reuse it,
   and so end its step where a solve without the failed call ends it. */
Test(api, failed_eval_rhs_does_not_leave_a_stale_first_stage) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_PC;
  set.linsolve = SGFBLO_LINSOLVE_CHOL; /* CG would warm-start: RHS(z) would depend on history */
  set.integrator = SGFBLO_INTEG_DOPRI5;
  set.t_final = 2;
  set.monitor_hypergrad = 0;
  set.monitor = stop_at_step_3;
  sgfblo_real end[2][5];
  for (int failed = 0; failed < 2; ++failed) {
    faulty F;
    sgfblo_problem p = wrapped(&F, 1000000, 0);
    sgfblo_solver *s = make_solver(&p, &set);
    cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_OK, "%s", sgfblo_solver_last_error(s));
    sgfblo_info info;
    cr_assert_eq(sgfblo_solver_get_info(s, &info), SGFBLO_OK);
    cr_assert_eq(info.exit_flag, SGFBLO_EXIT_INTERRUPTED);
    if (failed) {
      sgfblo_real z[5] = {1, -2, 3, 0.5, -0.5}, zdot[5];
      F.fail_jyx = 1;
      cr_assert_eq(sgfblo_solver_eval_rhs(s, z, zdot), SGFBLO_ERR_CALLBACK);
      F.fail_jyx = 0;
    }
    /* The next solve takes one step (the monitor stops it again at step 4). */
    cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_OK, "%s", sgfblo_solver_last_error(s));
    cr_assert_eq(sgfblo_solver_get_state(s, end[failed], end[failed] + 3), SGFBLO_OK);
    sgfblo_solver_destroy(s);
  }
  for (int i = 0; i < 5; ++i)
    cr_assert_eq(end[1][i], end[0][i], "z[%d]: %.17g after the failed eval_rhs, %.17g without", i,
                 end[1][i], end[0][i]);
}

Test(api, nan_in_the_vector_field_stops_the_solve) {
  faulty F;
  sgfblo_problem p = wrapped(&F, 1000000, 1);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.monitor_hypergrad = 0;
  sgfblo_solver *s = make_solver(&p, &set);
  cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_ERR_NONFINITE);
  sgfblo_info info;
  sgfblo_solver_get_info(s, &info);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_NONFINITE);
  cr_assert_lt(info.last.n_rhs, 10, "must stop at once, not loop on NaN");
  sgfblo_solver_destroy(s);
}

Test(api, nan_met_while_monitoring_is_a_nonfinite_exit) {
  /* grad_y f = NaN reaches the CG solve of the hypergradient monitor at step 0, before any
     step has run: the exit flag must say NaN, not a generic error. */
  faulty F;
  sgfblo_problem p = wrapped(&F, 1000000, 2);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.monitor_hypergrad = 1;
  set.linsolve = SGFBLO_LINSOLVE_CG;
  sgfblo_solver *s = make_solver(&p, &set);
  cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_ERR_NONFINITE, "%s", sgfblo_solver_last_error(s));
  sgfblo_info info;
  sgfblo_solver_get_info(s, &info);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_NONFINITE, "exit flag %d", (int)info.exit_flag);
  cr_assert_eq(info.last.n_rhs, 0, "stopped at the first report: %lld", (long long)info.last.n_rhs);
  sgfblo_solver_destroy(s);
}

/* Euler with a step far beyond stability on SGF makes the state blow up. */
static sgfblo_settings blowup_settings(void) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_SGF_CHOL;
  set.integrator = SGFBLO_INTEG_EULER;
  set.alpha = 50;
  set.dt = 1.0;
  set.t_final = 1e6;
  set.div_limit = 1e8;
  set.init = SGFBLO_INIT_RANDOM;
  set.monitor_hypergrad = 0;
  return set;
}

Test(api, divergence_is_detected) {
  sgfblo_settings set = blowup_settings();
  sgfblo_solver *s = make_solver(&P, &set);
  const sgfblo_status st = sgfblo_solver_solve(s);
  cr_assert(st == SGFBLO_ERR_DIVERGED || st == SGFBLO_ERR_NONFINITE, "got %s", sgfblo_status_string(st));
  cr_assert(strstr(sgfblo_solver_last_error(s), "dt"), "%s", sgfblo_solver_last_error(s));
  sgfblo_info info;
  sgfblo_solver_get_info(s, &info);
  cr_assert(info.exit_flag == SGFBLO_EXIT_DIVERGED || info.exit_flag == SGFBLO_EXIT_NONFINITE);
  sgfblo_solver_destroy(s);
}

Test(api, divergence_between_check_points_is_reported_as_divergence) {
  /* The same blow-up with stop tests only every 1000 steps: by then the state has long
     overflowed, but the watch kept on the backend recorded the first state above div_limit,
     so the solve ends DIVERGED (not NaN/Inf) and names that state's size. */
  sgfblo_settings set = blowup_settings();
  set.check_every = 1000;
  set.monitor_every = 1000;
  sgfblo_solver *s = make_solver(&P, &set);
  const sgfblo_status st = sgfblo_solver_solve(s);
  const char *msg = sgfblo_solver_last_error(s);
  cr_assert_eq(st, SGFBLO_ERR_DIVERGED, "got %s: %s", sgfblo_status_string(st), msg);
  cr_assert(strstr(msg, "between steps 0 and "), "%s", msg);
  double first = 0;
  cr_assert(sscanf(strstr(msg, "= "), "= %lf", &first) == 1, "%s", msg);
  cr_assert(isfinite(first) && first > set.div_limit, "first state above the limit: %s", msg);
  sgfblo_info info;
  sgfblo_solver_get_info(s, &info);
  cr_assert_eq(info.exit_flag, SGFBLO_EXIT_DIVERGED);
  sgfblo_solver_destroy(s);
}

Test(api, tol_is_tested_at_check_points) {
  /* SGF on the strongly convex quadratic converges; with tol tested every 7 steps the stop
     falls on a multiple of 7, and with every step tested it comes no later. */
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_SGF_CHOL;
  set.monitor_hypergrad = 0;
  set.alpha = 2.0;
  set.dt = 0.1;
  set.t_final = 1e4;
  set.tol = 1e-6;
  int64_t steps[2];
  const int every[2] = {1, 7};
  for (int i = 0; i < 2; ++i) {
    set.check_every = every[i];
    sgfblo_solver *s = make_solver(&P, &set);
    cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_OK, "%s", sgfblo_solver_last_error(s));
    sgfblo_info info;
    sgfblo_solver_get_info(s, &info);
    cr_assert_eq(info.exit_flag, SGFBLO_EXIT_CONVERGED);
    cr_assert_leq(info.last.zdot_norm, set.tol);
    steps[i] = info.last.step;
    sgfblo_solver_destroy(s);
  }
  cr_assert_eq(steps[1] % 7, 0, "converged at step %lld", (long long)steps[1]);
  cr_assert(steps[0] <= steps[1] && steps[1] < steps[0] + 7, "%lld vs %lld", (long long)steps[0],
            (long long)steps[1]);
}

Test(api, setup_twice_and_state_round_trip) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  sgfblo_solver *s = make_solver(&P, &set);
  cr_assert_eq(sgfblo_solver_setup(s, &P, &set), SGFBLO_OK);
  const sgfblo_real x[3] = {1, -2, 3}, y[2] = {0.5, 4};
  sgfblo_real xo[3], yo[2];
  cr_assert_eq(sgfblo_solver_set_state(s, x, y), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_get_state(s, xo, yo), SGFBLO_OK);
  cr_assert_arr_eq(x, xo, sizeof x);
  cr_assert_arr_eq(y, yo, sizeof y);
  const sgfblo_real bad[3] = {0, INFINITY, 0};
  cr_assert_eq(sgfblo_solver_set_state(s, bad, NULL), SGFBLO_ERR_NONFINITE);
  sgfblo_solver_destroy(s);
}

Test(api, backend_description) {
  char buf[256];
  cr_assert_eq(sgfblo_backend_describe(SGFBLO_BACKEND_CPU, 0, NULL, 10), SGFBLO_ERR_NULL_ARG);
  cr_assert_eq(sgfblo_backend_describe(SGFBLO_BACKEND_CPU, 0, buf, 0), SGFBLO_ERR_NULL_ARG);
  cr_assert_eq(sgfblo_backend_describe(SGFBLO_BACKEND_CPU, 0, buf, sizeof buf), SGFBLO_OK);
  cr_assert_str_eq(buf, sizeof(sgfblo_real) == sizeof(double) ? "cpu, float64" : "cpu, float32");
  /* Truncated, still terminated. */
  cr_assert_eq(sgfblo_backend_describe(SGFBLO_BACKEND_CPU, 0, buf, 4), SGFBLO_OK);
  cr_assert_str_eq(buf, "cpu");
  const sgfblo_status st = sgfblo_backend_describe(SGFBLO_BACKEND_CUDA, 0, buf, sizeof buf);
  if (sgfblo_backend_available(SGFBLO_BACKEND_CUDA)) {
    cr_assert_eq(st, SGFBLO_OK, "%s", buf);
    cr_assert(strstr(buf, "cuda device 0: "), "%s", buf);
    cr_log_info("%s", buf);
  } else {
    cr_assert_eq(st, SGFBLO_ERR_NO_BACKEND, "%s", buf);
    cr_assert(strlen(buf) > 0, "the reason is given");
  }
  cr_assert_eq(sgfblo_backend_describe(SGFBLO_BACKEND_CUDA, 1 << 20, buf, sizeof buf),
               SGFBLO_ERR_NO_BACKEND);
}
