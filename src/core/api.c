/* Solver lifecycle: create -> setup -> (solve) -> get -> destroy. setup does all allocation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/solver_impl.h"
#include "integrator/integrator.h"
#include "method/method.h"
#include "solver/init.h"
#include "solver/monitor.h"
#include "solver/step_graph.h"

sgfblo_status sgfblo_solver_create(sgfblo_solver **out) {
  if (!out) return SGFBLO_ERR_NULL_ARG;
  *out = calloc(1, sizeof **out);
  if (!*out) return SGFBLO_ERR_ALLOC;
  (*out)->bctx.err = &(*out)->err;
  (*out)->reported_step = -1;
  return SGFBLO_OK;
}

/* Release everything setup built (also a half-built setup), keeping the empty shell. */
static void teardown(sgfblo_solver *s) {
  if (s->ops) sgfblo_backend_make_current_quiet(s->ops, &s->bctx); /* free on their device */
  if (s->method && s->mws) s->method->release(s, s->mws);
  s->mws = NULL;
  sgfblo_monitor_release(s);
  sgfblo_step_graphs_release(s);
  if (s->ops) {
    s->ops->scalars_release(&s->bctx, s->sc);
    sgfblo_real *bufs[] = {s->z, s->z_new, s->z_err, s->z_stage};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) s->ops->release(&s->bctx, bufs[i]);
    for (int i = 0; i < SGFBLO_RK_MAX_STAGES; ++i) s->ops->release(&s->bctx, s->k[i]);
    s->ops->close(&s->bctx);
  }
  free(s->host_z);
  free(s->log_path_copy);
  sgfblo_errmsg keep = s->err;
  memset(s, 0, sizeof *s);
  s->err = keep;
  s->bctx.err = &s->err;
  s->reported_step = -1;
}

void sgfblo_solver_destroy(sgfblo_solver *s) {
  if (!s) return;
  teardown(s);
  free(s);
}

const char *sgfblo_solver_last_error(const sgfblo_solver *s) {
  return s ? s->err.msg : "solver handle is NULL";
}

sgfblo_status sgfblo_solver_setup(sgfblo_solver *s, const sgfblo_problem *p,
                                  const sgfblo_settings *set) {
  sgfblo_status st = SGFBLO_OK;
  if (!s) return SGFBLO_ERR_NULL_ARG;
  teardown(s);
  sgfblo_err_clear(&s->err);
  if (!set) SGFBLO_FAIL(&s->err, SGFBLO_ERR_NULL_ARG, "settings is NULL");
  SGFBLO_TRY(sgfblo_settings_validate(set, s->err.msg, sizeof s->err.msg));
  SGFBLO_TRY(sgfblo_problem_validate(p, &s->err));
  s->set = *set;
  if (set->log_path) {
    s->log_path_copy = malloc(strlen(set->log_path) + 1);
    if (!s->log_path_copy) SGFBLO_FAIL(&s->err, SGFBLO_ERR_ALLOC, "out of host memory");
    strcpy(s->log_path_copy, set->log_path);
    s->set.log_path = s->log_path_copy;
  }
  s->n = p->n;
  s->m = p->m;
  s->nz = p->n + p->m;
  SGFBLO_TRY(sgfblo_backend_open(set->backend, set->device_id, &s->ops, &s->bctx));
  s->orc = (sgfblo_oracle){.p = *p, .err = &s->err};
  s->orc.ctx = (sgfblo_eval_ctx){s->ops->mem, s->bctx.stream, p->user_data, &s->orc.detail};
  SGFBLO_TRY(sgfblo_oracle_prepare(&s->orc, set->device_id));
  /* A prepare hook may leave another device current; the solver's work is on its own. */
  SGFBLO_TRY(s->ops->make_current(&s->bctx));
  s->method = sgfblo_method_lookup(set->method);
  s->tab = sgfblo_tableau_get(set->integrator);
  const sgfblo_ops *o = s->ops;
  SGFBLO_TRY(o->scalars_alloc(&s->bctx, &s->sc, SGFBLO_SC_COUNT));
  s->d_h_k0 = s->sc + SGFBLO_SC_H_A;
  s->d_h_fsal = s->sc + SGFBLO_SC_H_B;
  SGFBLO_TRY(o->alloc(&s->bctx, &s->z, s->nz));
  SGFBLO_TRY(o->alloc(&s->bctx, &s->z_new, s->nz));
  SGFBLO_TRY(o->alloc(&s->bctx, &s->z_stage, s->nz));
  if (s->tab->adaptive) SGFBLO_TRY(o->alloc(&s->bctx, &s->z_err, s->nz));
  for (int i = 0; i < s->tab->stages; ++i) SGFBLO_TRY(o->alloc(&s->bctx, &s->k[i], s->nz));
  s->host_z = malloc(sizeof *s->host_z * (size_t)s->nz);
  if (!s->host_z) SGFBLO_FAIL(&s->err, SGFBLO_ERR_ALLOC, "out of host memory");
  SGFBLO_TRY(sgfblo_monitor_setup(s));
  SGFBLO_TRY(s->method->setup(s, &s->mws));
  SGFBLO_TRY(sgfblo_init_state(s, p));
  /* The solve counts the method's own calls from zero; setup's are reported apart. */
  s->info.n_setup_oracle = s->orc.n_grad + s->orc.n_prod;
  s->orc.n_grad = s->orc.n_prod = 0;
  s->dt_next = set->dt;
  s->zdot_norm = NAN; /* no step yet: a previous setup's value must not show */
  s->info.max_h_excess = NAN;
  s->info.last.hypergrad_norm = NAN;
  s->is_setup = 1;
cleanup:
  if (st != SGFBLO_OK) teardown(s);
  return st;
}

sgfblo_status sgfblo_solver_get_state(const sgfblo_solver *s, sgfblo_real *x_host, sgfblo_real *y_host) {
  if (!s) return SGFBLO_ERR_NULL_ARG;
  if (!s->is_setup) return SGFBLO_ERR_NOT_SETUP;
  sgfblo_bctx b = s->bctx; /* get_state is logically const: copies only */
  sgfblo_status st = s->ops->make_current(&b);
  if (st == SGFBLO_OK && x_host) st = s->ops->to_host(&b, s->n, x_host, s->z);
  if (st == SGFBLO_OK && y_host) st = s->ops->to_host(&b, s->m, y_host, s->z + s->n);
  return st;
}

sgfblo_status sgfblo_solver_get_info(const sgfblo_solver *s, sgfblo_info *info) {
  if (!s || !info) return SGFBLO_ERR_NULL_ARG;
  if (!s->is_setup) return SGFBLO_ERR_NOT_SETUP;
  *info = s->info;
  return SGFBLO_OK;
}

sgfblo_status sgfblo_solver_set_state(sgfblo_solver *s, const sgfblo_real *x_host, const sgfblo_real *y_host) {
  sgfblo_status st = SGFBLO_OK;
  if (!s) return SGFBLO_ERR_NULL_ARG;
  if (!s->is_setup)
    return sgfblo_solver_fail(s, SGFBLO_ERR_NOT_SETUP, "set_state called before a successful setup");
  for (int64_t i = 0; x_host && i < s->n; ++i)
    if (!isfinite((double)x_host[i]))
      return sgfblo_solver_fail(s, SGFBLO_ERR_NONFINITE, "x[%lld] is not finite", (long long)i);
  for (int64_t i = 0; y_host && i < s->m; ++i)
    if (!isfinite((double)y_host[i]))
      return sgfblo_solver_fail(s, SGFBLO_ERR_NONFINITE, "y[%lld] is not finite", (long long)i);
  SGFBLO_TRY(s->ops->make_current(&s->bctx));
  if (x_host) SGFBLO_TRY(s->ops->from_host(&s->bctx, s->n, s->z, x_host));
  if (y_host) SGFBLO_TRY(s->ops->from_host(&s->bctx, s->m, s->z + s->n, y_host));
  s->t = 0;
  s->step = 0;
  s->reported_step = -1;
  s->k0_valid = 0;
  s->dt_next = s->set.dt;
  /* A new trajectory: the last one's ||zdot|| and its running max of h must not carry over. */
  s->zdot_norm = NAN;
  static const double zero = 0.0;
  SGFBLO_TRY(s->ops->scalars_write(&s->bctx, 1, &zero, s->sc + SGFBLO_SC_H_MAX));
cleanup:
  return st;
}

sgfblo_status sgfblo_solver_eval_rhs(sgfblo_solver *s, const sgfblo_real *z_host, sgfblo_real *zdot_host) {
  sgfblo_status st = SGFBLO_OK;
  if (!s) return SGFBLO_ERR_NULL_ARG;
  if (!z_host || !zdot_host) return sgfblo_solver_fail(s, SGFBLO_ERR_NULL_ARG, "z or zdot is NULL");
  if (!s->is_setup)
    return sgfblo_solver_fail(s, SGFBLO_ERR_NOT_SETUP, "eval_rhs called before a successful setup");
  SGFBLO_TRY(s->ops->make_current(&s->bctx));
  SGFBLO_TRY(s->ops->from_host(&s->bctx, s->nz, s->z_stage, z_host));
  /* k[0] is overwritten, finished or not: it no longer holds the RHS of the current state
     (cleared first, so that a failing evaluation cannot leave a stale k[0] marked valid). */
  s->k0_valid = 0;
  SGFBLO_TRY(sgfblo_solver_rhs(s, s->z_stage, s->k[0]));
  SGFBLO_TRY(s->ops->to_host(&s->bctx, s->nz, zdot_host, s->k[0]));
cleanup:
  return st;
}
