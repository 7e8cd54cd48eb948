/* Settings: defaults are valid, every bad field is rejected and named, names round-trip. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "sgfblo/sgfblo.h"

Test(settings, defaults_are_valid) {
  sgfblo_settings s;
  char msg[256];
  sgfblo_settings_default(&s);
  cr_assert_eq(sgfblo_settings_validate(&s, msg, sizeof msg), SGFBLO_OK, "%s", msg);
  cr_assert_str_empty(msg);
  cr_assert_eq(s.method, SGFBLO_METHOD_RXGF);
  cr_assert_eq(s.integrator, SGFBLO_INTEG_RK4);
  cr_assert_float_eq(s.alpha, SGFBLO_DEFAULT_ALPHA, 0);
}

typedef struct {
  const char *field;
  void (*spoil)(sgfblo_settings *);
} bad_case;

#define SPOIL(name, stmt)                                                                  \
  static void spoil_##name(sgfblo_settings *s) { stmt; }
SPOIL(alpha0, s->alpha = 0)
SPOIL(alphaneg, s->alpha = -1)
SPOIL(alphanan, s->alpha = NAN)
SPOIL(epsneg, s->epsilon = -0.1)
SPOIL(eps0rxgf, (s->method = SGFBLO_METHOD_RXGF, s->epsilon = 0))
SPOIL(beta0, s->beta = 0)
SPOIL(mu1, s->mu1 = -2)
SPOIL(mu2, s->mu2 = 0)
SPOIL(dt0, s->dt = 0)
SPOIL(dtneg, s->dt = -0.01)
SPOIL(dtinf, s->dt = INFINITY)
SPOIL(tfinal, s->t_final = 0)
SPOIL(maxsteps, s->max_steps = 0)
SPOIL(maxsecneg, s->max_seconds = -1)
SPOIL(maxsecnan, s->max_seconds = NAN)
SPOIL(maxsecinf, s->max_seconds = INFINITY)
SPOIL(tol, s->tol = -1e-3)
SPOIL(div, s->div_limit = 0)
SPOIL(rtol, s->rtol = 0)
SPOIL(atol, s->atol = -1)
SPOIL(dtmin, s->dt_min = 0)
SPOIL(dtmin_gt_dt, (s->dt = 1e-3, s->dt_min = 1e-2))
SPOIL(stepctl, s->step_control = 2)
SPOIL(graph, s->cuda_graph = -1)
SPOIL(linsolve, s->linsolve = (sgfblo_linsolve)7)
SPOIL(cgtol, s->cg_tol = 0)
SPOIL(cgmaxit, s->cg_maxit = 0)
SPOIL(init, s->init = (sgfblo_init)9)
SPOIL(initlower, s->init_lower = -1)
SPOIL(initlowertol, s->init_lower_tol = 0)
SPOIL(initlowermaxit, s->init_lower_maxit = 0)
SPOIL(check, s->check_every = 0)
SPOIL(monitor, s->monitor_every = -3)
SPOIL(monhg, s->monitor_hypergrad = 5)
SPOIL(device, s->device_id = -1)
SPOIL(method, s->method = (sgfblo_method)42)
SPOIL(integ, s->integrator = (sgfblo_integrator)42)
SPOIL(backend, s->backend = (sgfblo_backend)5)

static const bad_case CASES[] = {
    {"alpha", spoil_alpha0},       {"alpha", spoil_alphaneg},   {"alpha", spoil_alphanan},
    {"epsilon", spoil_epsneg},     {"epsilon", spoil_eps0rxgf}, {"beta", spoil_beta0},
    {"mu1", spoil_mu1},            {"mu2", spoil_mu2},          {"dt", spoil_dt0},
    {"dt", spoil_dtneg},           {"dt", spoil_dtinf},         {"t_final", spoil_tfinal},
    {"max_steps", spoil_maxsteps}, {"tol", spoil_tol},          {"div_limit", spoil_div},
    {"max_seconds", spoil_maxsecneg}, {"max_seconds", spoil_maxsecnan},
    {"max_seconds", spoil_maxsecinf},
    {"rtol", spoil_rtol},          {"atol", spoil_atol},        {"dt_min", spoil_dtmin},
    {"dt_min", spoil_dtmin_gt_dt}, {"step_control", spoil_stepctl}, {"linsolve", spoil_linsolve},
    {"cg_tol", spoil_cgtol},       {"cg_maxit", spoil_cgmaxit}, {"init", spoil_init},
    {"init_lower", spoil_initlower}, {"init_lower_tol", spoil_initlowertol},
    {"init_lower_maxit", spoil_initlowermaxit}, {"check_every", spoil_check},
    {"monitor_every", spoil_monitor}, {"monitor_hypergrad", spoil_monhg},
    {"device_id", spoil_device},   {"method", spoil_method},    {"integrator", spoil_integ},
    {"backend", spoil_backend},    {"cuda_graph", spoil_graph},
};

Test(settings, each_bad_field_is_rejected_and_named) {
  for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; ++i) {
    sgfblo_settings s;
    char msg[256];
    sgfblo_settings_default(&s);
    CASES[i].spoil(&s);
    cr_expect_eq(sgfblo_settings_validate(&s, msg, sizeof msg), SGFBLO_ERR_INVALID_SETTINGS,
                 "case %zu (%s) accepted", i, CASES[i].field);
    cr_expect(strstr(msg, CASES[i].field) == msg, "case %zu: message '%s' does not start with '%s'",
              i, msg, CASES[i].field);
  }
}

Test(settings, epsilon_zero_is_fine_for_flows_without_eps) {
  sgfblo_settings s;
  sgfblo_settings_default(&s);
  s.method = SGFBLO_METHOD_SGF_CHOL;
  s.epsilon = 0;
  cr_assert_eq(sgfblo_settings_validate(&s, NULL, 0), SGFBLO_OK);
}

Test(settings, null_is_reported) {
  char msg[64];
  cr_assert_eq(sgfblo_settings_validate(NULL, msg, sizeof msg), SGFBLO_ERR_NULL_ARG);
  sgfblo_settings_default(NULL); /* must not crash */
}

Test(settings, names_round_trip) {
  for (int m = 0; m < SGFBLO_METHOD_COUNT_; ++m) {
    sgfblo_method out;
    cr_assert_eq(sgfblo_method_from_name(sgfblo_method_name((sgfblo_method)m), &out), SGFBLO_OK);
    cr_assert_eq((int)out, m);
  }
  for (int i = 0; i < SGFBLO_INTEG_COUNT_; ++i) {
    sgfblo_integrator out;
    cr_assert_eq(sgfblo_integrator_from_name(sgfblo_integrator_name((sgfblo_integrator)i), &out), SGFBLO_OK);
    cr_assert_eq((int)out, i);
  }
  sgfblo_method m;
  cr_assert_eq(sgfblo_method_from_name("rk4", &m), SGFBLO_ERR_INVALID_ARG);
  cr_assert_eq(sgfblo_method_from_name(NULL, &m), SGFBLO_ERR_INVALID_ARG);
  cr_assert_str_eq(sgfblo_method_name((sgfblo_method)99), "unknown");
}

Test(status, strings_are_distinct_and_known) {
  const sgfblo_status codes[] = {
#define X_(name, val, msg) name,
      SGFBLO_STATUS_LIST(X_)
#undef X_
  };
  const size_t k = sizeof codes / sizeof codes[0];
  for (size_t i = 0; i < k; ++i) {
    cr_assert(strlen(sgfblo_status_string(codes[i])) > 0);
    for (size_t j = 0; j < i; ++j)
      cr_assert_str_neq(sgfblo_status_string(codes[i]), sgfblo_status_string(codes[j]));
  }
  cr_assert_str_eq(sgfblo_status_string((sgfblo_status)12345), "unknown status code");
  cr_assert_str_eq(sgfblo_status_string(SGFBLO_OK), "success");
}
