/* The wall-clock limit max_seconds of the flows, AID-BiO and SQCQP: a tiny limit ends a run
   after its first step with exit TIME_LIMIT and status OK (fewer steps than the same run
   without it, and the final state reported), a generous one changes nothing, the limit of a
   flow counts per solve call, and every validator rejects negative and non-finite values,
   naming the field. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <string.h>

#include "flow_helpers.h"
#include "support.h"

/* Far below the time of one step, yet above zero, so that the limit binds at the first check. */
#define TINY_LIMIT 1e-9
/* Far above the time of any run here. */
#define GENEROUS_LIMIT 1e6

/* ------------------------------------------------------------------ flows -- */

static sgfblo_synthetic *SP;
static sgfblo_problem SYN;
static void setup_syn(void) {
  cr_assert_eq(sgfblo_synthetic_random(20, 0, &SP, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_synthetic_problem(SP, &SYN), SGFBLO_OK);
}
static void teardown_syn(void) { sgfblo_synthetic_destroy(SP); }
TestSuite(flow_time_limit, .init = setup_syn, .fini = teardown_syn);

/* RXGF, RK4, dt = 0.01, T = 10: 1000 steps without a limit. */
static sgfblo_info solve_rxgf(double max_seconds, sgfblo_integrator integ, sgfblo_real *x) {
  sgfblo_settings set;
  sgfblo_info info;
  sgfblo_settings_default(&set);
  set.integrator = integ;
  set.max_seconds = max_seconds;
  sgfblo_solver *s = make_solver(&SYN, &set);
  solve_ok(s);
  cr_assert_eq(sgfblo_solver_get_info(s, &info), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_get_state(s, x, NULL), SGFBLO_OK);
  sgfblo_solver_destroy(s);
  return info;
}

Test(flow_time_limit, a_tiny_limit_stops_after_the_first_step) {
  const sgfblo_integrator integs[] = {SGFBLO_INTEG_RK4, SGFBLO_INTEG_DOPRI5};
  for (size_t k = 0; k < sizeof integs / sizeof integs[0]; ++k) {
    sgfblo_real x_full[20], x_cut[20];
    const sgfblo_info full = solve_rxgf(0.0, integs[k], x_full);
    const sgfblo_info cut = solve_rxgf(TINY_LIMIT, integs[k], x_cut);
    cr_log_info("%s: %lld steps in %.3g s without a limit, %lld in %.3g s with %g s",
                sgfblo_integrator_name(integs[k]), (long long)full.last.step, full.solve_seconds,
                (long long)cut.last.step, cut.solve_seconds, TINY_LIMIT);
    cr_expect_eq(full.exit_flag, SGFBLO_EXIT_T_FINAL);
    cr_expect_eq(cut.exit_flag, SGFBLO_EXIT_TIME_LIMIT, "exit %s",
                 sgfblo_exit_flag_name(cut.exit_flag));
    cr_expect(cut.last.step >= 1 && cut.last.step < full.last.step, "%lld steps, %lld without",
              (long long)cut.last.step, (long long)full.last.step);
    cr_expect_eq(cut.last.step, 1, "the limit is checked after every step");
    cr_expect(cut.last.t > 0 && cut.last.t < full.last.t);
    cr_expect(cut.solve_seconds >= TINY_LIMIT);
    cr_expect(cut.n_grad + cut.n_prod < full.n_grad + full.n_prod);
    cr_expect(x_cut[0] != x_full[0], "the state after one step is the final one's");
  }
}

Test(flow_time_limit, a_generous_limit_changes_nothing) {
  sgfblo_real x_full[20], x_lim[20];
  const sgfblo_info full = solve_rxgf(0.0, SGFBLO_INTEG_RK4, x_full);
  const sgfblo_info lim = solve_rxgf(GENEROUS_LIMIT, SGFBLO_INTEG_RK4, x_lim);
  cr_expect_eq(lim.exit_flag, SGFBLO_EXIT_T_FINAL);
  cr_expect_eq(lim.last.step, full.last.step);
  cr_expect_eq(lim.n_grad + lim.n_prod, full.n_grad + full.n_prod);
  cr_expect_eq(memcmp(x_lim, x_full, sizeof x_full), 0);
}

/* The limit counts per call: a second solve goes on for one more step, and reports it. */
Test(flow_time_limit, counts_per_solve_call) {
  sgfblo_settings set;
  sgfblo_info info;
  sgfblo_settings_default(&set);
  set.max_seconds = TINY_LIMIT;
  set.monitor_every = 1000;
  sgfblo_solver *s = make_solver(&SYN, &set);
  solve_ok(s);
  cr_assert_eq(sgfblo_solver_get_info(s, &info), SGFBLO_OK);
  cr_expect_eq(info.exit_flag, SGFBLO_EXIT_TIME_LIMIT);
  cr_expect_eq(info.last.step, 1);
  solve_ok(s);
  cr_assert_eq(sgfblo_solver_get_info(s, &info), SGFBLO_OK);
  cr_expect_eq(info.exit_flag, SGFBLO_EXIT_TIME_LIMIT);
  cr_expect_eq(info.last.step, 2, "the final report is at the last step");
  sgfblo_solver_destroy(s);
}

Test(flow_time_limit, invalid_limits_fail_setup_naming_the_field) {
  const double bad[] = {-1.0, -1e-12, NAN, INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    sgfblo_settings set;
    sgfblo_solver *s = NULL;
    sgfblo_settings_default(&set);
    set.max_seconds = bad[i];
    cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
    cr_expect_eq(sgfblo_solver_setup(s, &SYN, &set), SGFBLO_ERR_INVALID_SETTINGS, "%g accepted",
                 bad[i]);
    cr_expect_not_null(strstr(sgfblo_solver_last_error(s), "max_seconds"), "%s",
                       sgfblo_solver_last_error(s));
    sgfblo_solver_destroy(s);
  }
  cr_expect_str_eq(sgfblo_exit_flag_name(SGFBLO_EXIT_TIME_LIMIT), "time_limit");
}

/* ------------------------------------------------------- discrete methods -- */

static sgfblo_quadratic *Q;
static sgfblo_problem QP;
static void setup_q(void) {
  cr_assert_eq(sgfblo_quadratic_random(6, 4, 11, &Q, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_problem(Q, &QP), SGFBLO_OK);
}
static void teardown_q(void) { sgfblo_quadratic_destroy(Q); }
TestSuite(discrete_time_limit, .init = setup_q, .fini = teardown_q);

/* Counts the monitor's calls and keeps the last step it saw. */
typedef struct {
  int calls;
  int64_t last_step;
} watch;

static int watch_cb(const sgfblo_progress *p, void *data) {
  watch *w = data;
  w->calls++;
  w->last_step = p->step;
  return 0;
}

static sgfblo_info run_aidbio(double max_seconds, watch *w) {
  sgfblo_aidbio_settings set;
  sgfblo_info info;
  sgfblo_errmsg err;
  sgfblo_real x[6] = {0}, y[4] = {0};
  sgfblo_aidbio_settings_default(&set);
  set.beta_in = 0.5;
  set.beta_out = 0.2;
  set.max_iters = 200;
  set.max_seconds = max_seconds;
  set.monitor = watch_cb;
  set.monitor_data = w;
  const sgfblo_status st = sgfblo_aidbio_run(&QP, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_OK, "%s: %s", sgfblo_status_string(st), err.msg);
  return info;
}

static sgfblo_info run_sqcqp(double max_seconds, watch *w) {
  sgfblo_sqcqp_settings set;
  sgfblo_info info;
  sgfblo_errmsg err;
  sgfblo_real x[6] = {0}, y[4] = {0};
  sgfblo_sqcqp_settings_default(&set);
  set.max_iters = 200;
  set.max_seconds = max_seconds;
  set.monitor = watch_cb;
  set.monitor_data = w;
  const sgfblo_status st = sgfblo_sqcqp_run(&QP, &set, x, y, &info, &err);
  cr_assert_eq(st, SGFBLO_OK, "%s: %s", sgfblo_status_string(st), err.msg);
  return info;
}

static void expect_cut_short(const char *name, const sgfblo_info *full, const sgfblo_info *cut,
                             const watch *w) {
  cr_log_info("%s: %lld iterations in %.3g s without a limit, %lld in %.3g s with %g s", name,
              (long long)full->last.step, full->solve_seconds, (long long)cut->last.step,
              cut->solve_seconds, TINY_LIMIT);
  cr_expect_eq(full->exit_flag, SGFBLO_EXIT_MAX_STEPS, "%s without a limit: %s", name,
               sgfblo_exit_flag_name(full->exit_flag));
  cr_expect_eq(cut->exit_flag, SGFBLO_EXIT_TIME_LIMIT, "%s: exit %s", name,
               sgfblo_exit_flag_name(cut->exit_flag));
  cr_expect_eq(cut->last.step, 1, "%s: %lld iterations, the limit is checked after each", name,
               (long long)cut->last.step);
  cr_expect(cut->last.step < full->last.step);
  cr_expect(cut->n_grad + cut->n_prod < full->n_grad + full->n_prod);
  cr_expect(cut->solve_seconds >= TINY_LIMIT);
  cr_expect_eq(w->last_step, 1, "%s: the final iterate was reported", name);
}

Test(discrete_time_limit, a_tiny_limit_stops_aidbio_after_one_iteration) {
  watch wf = {0}, wc = {0};
  const sgfblo_info full = run_aidbio(0.0, &wf), cut = run_aidbio(TINY_LIMIT, &wc);
  expect_cut_short("AID-BiO", &full, &cut, &wc);
  watch wg = {0};
  const sgfblo_info lim = run_aidbio(GENEROUS_LIMIT, &wg);
  cr_expect_eq(lim.exit_flag, SGFBLO_EXIT_MAX_STEPS);
  cr_expect_eq(lim.n_grad + lim.n_prod, full.n_grad + full.n_prod);
}

Test(discrete_time_limit, a_tiny_limit_stops_sqcqp_after_one_iteration) {
  watch wf = {0}, wc = {0};
  const sgfblo_info full = run_sqcqp(0.0, &wf), cut = run_sqcqp(TINY_LIMIT, &wc);
  expect_cut_short("SQCQP", &full, &cut, &wc);
  watch wg = {0};
  const sgfblo_info lim = run_sqcqp(GENEROUS_LIMIT, &wg);
  cr_expect_eq(lim.exit_flag, SGFBLO_EXIT_MAX_STEPS);
  cr_expect_eq(lim.n_grad + lim.n_prod, full.n_grad + full.n_prod);
}

Test(discrete_time_limit, validators_reject_bad_limits_naming_the_field) {
  const double bad[] = {-1.0, NAN, INFINITY, -INFINITY};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    char msg[256];
    sgfblo_aidbio_settings a;
    sgfblo_aidbio_settings_default(&a);
    a.max_seconds = bad[i];
    cr_expect_eq(sgfblo_aidbio_settings_validate(&a, msg, sizeof msg), SGFBLO_ERR_INVALID_SETTINGS,
                 "AID-BiO accepted %g", bad[i]);
    cr_expect(strstr(msg, "max_seconds") == msg, "%s", msg);
    sgfblo_sqcqp_settings q;
    sgfblo_sqcqp_settings_default(&q);
    q.max_seconds = bad[i];
    cr_expect_eq(sgfblo_sqcqp_settings_validate(&q, msg, sizeof msg), SGFBLO_ERR_INVALID_SETTINGS,
                 "SQCQP accepted %g", bad[i]);
    cr_expect(strstr(msg, "max_seconds") == msg, "%s", msg);
    /* The run itself refuses them before touching x and y. */
    sgfblo_errmsg err;
    sgfblo_info info;
    sgfblo_real x[6] = {0}, y[4] = {0};
    cr_expect_eq(sgfblo_sqcqp_run(&QP, &q, x, y, &info, &err), SGFBLO_ERR_INVALID_SETTINGS);
    cr_expect_not_null(strstr(err.msg, "max_seconds"), "%s", err.msg);
    cr_expect_eq(sgfblo_aidbio_run(&QP, &a, x, y, &info, &err), SGFBLO_ERR_INVALID_SETTINGS);
    cr_expect_not_null(strstr(err.msg, "max_seconds"), "%s", err.msg);
  }
  sgfblo_aidbio_settings a;
  sgfblo_sqcqp_settings q;
  sgfblo_aidbio_settings_default(&a);
  sgfblo_sqcqp_settings_default(&q);
  cr_expect_eq(a.max_seconds, 0.0, "no limit by default");
  cr_expect_eq(q.max_seconds, 0.0, "no limit by default");
  a.max_seconds = q.max_seconds = 2.5;
  cr_expect_eq(sgfblo_aidbio_settings_validate(&a, NULL, 0), SGFBLO_OK);
  cr_expect_eq(sgfblo_sqcqp_settings_validate(&q, NULL, 0), SGFBLO_OK);
}
