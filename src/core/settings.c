/* Settings: defaults, the one validator (used by setup and by the CLI), and enum names. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "sgfblo/sgfblo.h"

void sgfblo_settings_default(sgfblo_settings *s) {
  if (!s) return;
  memset(s, 0, sizeof *s);
  s->backend = SGFBLO_BACKEND_CPU;
  s->method = SGFBLO_METHOD_RXGF;
  s->integrator = SGFBLO_INTEG_RK4;
  s->alpha = SGFBLO_DEFAULT_ALPHA;
  s->epsilon = SGFBLO_DEFAULT_EPSILON;
  s->beta = SGFBLO_DEFAULT_BETA;
  s->mu1 = SGFBLO_DEFAULT_MU1;
  s->mu2 = SGFBLO_DEFAULT_MU2;
  s->dt = SGFBLO_DEFAULT_DT;
  s->t_final = SGFBLO_DEFAULT_T_FINAL;
  s->max_steps = SGFBLO_DEFAULT_MAX_STEPS;
  s->max_seconds = SGFBLO_DEFAULT_MAX_SECONDS;
  s->tol = SGFBLO_DEFAULT_TOL;
  s->div_limit = SGFBLO_DEFAULT_DIV_LIMIT;
  s->rtol = SGFBLO_DEFAULT_RTOL;
  s->atol = SGFBLO_DEFAULT_ATOL;
  s->dt_min = SGFBLO_DEFAULT_DT_MIN;
  s->step_control = 0;
  s->linsolve = SGFBLO_LINSOLVE_CG;
  s->cg_tol = SGFBLO_DEFAULT_CG_TOL;
  s->cg_maxit = SGFBLO_DEFAULT_CG_MAXIT;
  s->init = SGFBLO_INIT_GIVEN;
  s->init_seed = 0;
  s->init_lower = 0;
  s->init_lower_tol = SGFBLO_DEFAULT_INIT_LOWER_TOL;
  s->init_lower_maxit = SGFBLO_DEFAULT_INIT_LOWER_MAXIT;
  s->check_every = SGFBLO_DEFAULT_CHECK_EVERY;
  s->monitor_every = SGFBLO_DEFAULT_MONITOR_EVERY;
  s->monitor_hypergrad = 1;
  s->monitor = NULL;
  s->monitor_data = NULL;
  s->log_path = NULL;
  s->device_id = 0;
  s->cuda_graph = 1;
}

sgfblo_status sgfblo_settings_validate(const sgfblo_settings *s, char *msg, size_t msg_len) {
  if (msg && msg_len) msg[0] = '\0';
  if (!s) {
    if (msg && msg_len) snprintf(msg, msg_len, "settings pointer is NULL");
    return SGFBLO_ERR_NULL_ARG;
  }
  SGFBLO_CHECK(s->backend == SGFBLO_BACKEND_CPU || s->backend == SGFBLO_BACKEND_CUDA,
        "backend must be cpu or cuda (got %d)", (int)s->backend);
  SGFBLO_CHECK((unsigned)s->method < SGFBLO_METHOD_COUNT_, "method is not a known method (got %d)",
        (int)s->method);
  SGFBLO_CHECK((unsigned)s->integrator < SGFBLO_INTEG_COUNT_,
        "integrator is not a known integrator (got %d)", (int)s->integrator);
  SGFBLO_CHECK_POS(alpha);
  SGFBLO_CHECK(s->epsilon >= 0 && isfinite(s->epsilon), "epsilon must be >= 0 (got %g)", s->epsilon);
  SGFBLO_CHECK(s->method != SGFBLO_METHOD_RXGF || s->epsilon > 0,
        "epsilon must be > 0 for rxgf (got %g)", s->epsilon);
  SGFBLO_CHECK_POS(beta);
  SGFBLO_CHECK_POS(mu1);
  SGFBLO_CHECK_POS(mu2);
  SGFBLO_CHECK_POS(dt);
  SGFBLO_CHECK_POS(t_final);
  SGFBLO_CHECK(s->max_steps >= 1, "max_steps must be >= 1 (got %lld)", (long long)s->max_steps);
  SGFBLO_CHECK_SECONDS(max_seconds);
  SGFBLO_CHECK(s->tol >= 0 && isfinite(s->tol), "tol must be >= 0 (got %g)", s->tol);
  SGFBLO_CHECK_POS(div_limit);
  SGFBLO_CHECK_POS(rtol);
  SGFBLO_CHECK_POS(atol);
  SGFBLO_CHECK_POS(dt_min);
  SGFBLO_CHECK(s->dt_min <= s->dt, "dt_min must be <= dt (got dt_min=%g, dt=%g)", s->dt_min, s->dt);
  SGFBLO_CHECK_FLAG(step_control);
  SGFBLO_CHECK(s->linsolve == SGFBLO_LINSOLVE_CG || s->linsolve == SGFBLO_LINSOLVE_CHOL,
        "linsolve must be cg or chol (got %d)", (int)s->linsolve);
  SGFBLO_CHECK_POS(cg_tol);
  SGFBLO_CHECK(s->cg_maxit >= 1, "cg_maxit must be >= 1 (got %d)", s->cg_maxit);
  SGFBLO_CHECK(s->init == SGFBLO_INIT_GIVEN || s->init == SGFBLO_INIT_RANDOM,
        "init must be given or random (got %d)", (int)s->init);
  SGFBLO_CHECK_FLAG(init_lower);
  SGFBLO_CHECK_POS(init_lower_tol);
  SGFBLO_CHECK(s->init_lower_maxit >= 1, "init_lower_maxit must be >= 1 (got %d)", s->init_lower_maxit);
  SGFBLO_CHECK(s->check_every >= 1, "check_every must be >= 1 (got %d)", s->check_every);
  SGFBLO_CHECK(s->monitor_every >= 1, "monitor_every must be >= 1 (got %d)", s->monitor_every);
  SGFBLO_CHECK_FLAG(monitor_hypergrad);
  SGFBLO_CHECK(s->device_id >= 0, "device_id must be >= 0 (got %d)", s->device_id);
  SGFBLO_CHECK_FLAG(cuda_graph);
  return SGFBLO_OK;
}

static const char *const METHOD_NAMES[SGFBLO_METHOD_COUNT_] = {
    [SGFBLO_METHOD_RXGF] = "rxgf",         [SGFBLO_METHOD_INVFREE] = "invfree",
    [SGFBLO_METHOD_SGF_CHOL] = "sgf-chol", [SGFBLO_METHOD_SGF_CG] = "sgf-cg",
    [SGFBLO_METHOD_PC] = "pc",             [SGFBLO_METHOD_STABLE] = "stable"};

static const char *const INTEG_NAMES[SGFBLO_INTEG_COUNT_] = {
    [SGFBLO_INTEG_RK4] = "rk4", [SGFBLO_INTEG_RK4_38] = "rk4-38",
    [SGFBLO_INTEG_EULER] = "euler", [SGFBLO_INTEG_DOPRI5] = "dopri5"};

const char *sgfblo_method_name(sgfblo_method m) {
  return (unsigned)m < SGFBLO_METHOD_COUNT_ ? METHOD_NAMES[m] : "unknown";
}

const char *sgfblo_integrator_name(sgfblo_integrator i) {
  return (unsigned)i < SGFBLO_INTEG_COUNT_ ? INTEG_NAMES[i] : "unknown";
}

static int index_of(const char *const *names, int count, const char *name) {
  for (int i = 0; name && i < count; ++i)
    if (strcmp(names[i], name) == 0) return i;
  return -1;
}

sgfblo_status sgfblo_method_from_name(const char *name, sgfblo_method *out) {
  if (!out) return SGFBLO_ERR_NULL_ARG;
  const int i = index_of(METHOD_NAMES, SGFBLO_METHOD_COUNT_, name);
  if (i < 0) return SGFBLO_ERR_INVALID_ARG;
  *out = (sgfblo_method)i;
  return SGFBLO_OK;
}

sgfblo_status sgfblo_integrator_from_name(const char *name, sgfblo_integrator *out) {
  if (!out) return SGFBLO_ERR_NULL_ARG;
  const int i = index_of(INTEG_NAMES, SGFBLO_INTEG_COUNT_, name);
  if (i < 0) return SGFBLO_ERR_INVALID_ARG;
  *out = (sgfblo_integrator)i;
  return SGFBLO_OK;
}
