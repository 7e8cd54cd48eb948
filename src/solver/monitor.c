#include "solver/monitor.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "method/linsolve.h"
#include "solver/trajectory_log.h"

sgfblo_status sgfblo_monitor_setup(sgfblo_solver *s) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_hyy_solver *hs = calloc(1, sizeof *hs);
  if (!hs) SGFBLO_FAIL(&s->err, SGFBLO_ERR_ALLOC, "out of host memory");
  s->mon_hs = hs;
  SGFBLO_TRY(sgfblo_hyy_solver_alloc(s, hs, s->set.linsolve == SGFBLO_LINSOLVE_CHOL));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &s->mon_gx, 2 * s->n)); /* F, then Jyx^T w scratch */
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &s->mon_gy, s->m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &s->mon_w, s->m));
  if (s->set.log_path) SGFBLO_TRY(sgfblo_log_open(s->set.log_path, &s->log, &s->err));
cleanup:
  return st;
}

void sgfblo_monitor_release(sgfblo_solver *s) {
  if (s->mon_hs) {
    sgfblo_hyy_solver_free(s, s->mon_hs);
    free(s->mon_hs);
    s->mon_hs = NULL;
  }
  if (s->ops) {
    s->ops->release(&s->bctx, s->mon_gx);
    s->ops->release(&s->bctx, s->mon_gy);
    s->ops->release(&s->bctx, s->mon_w);
  }
  s->mon_gx = s->mon_gy = s->mon_w = NULL;
  if (s->log) fclose(s->log);
  s->log = NULL;
}

/* Monitoring calls are taken out of the method's counts (and kept in n_monitor_oracle), so
   comparisons at equal oracle evaluations do not depend on how often one watches. */
sgfblo_status sgfblo_monitor_measure(sgfblo_solver *s, sgfblo_progress *p) {
  sgfblo_status st = SGFBLO_OK;
  const int64_t grad0 = s->orc.n_grad, prod0 = s->orc.n_prod;
  const sgfblo_real *x = s->z, *y = s->z + s->n;
  double f, gg;
  SGFBLO_TRY(sgfblo_oracle_f(&s->orc, x, y, &f));
  SGFBLO_TRY(sgfblo_oracle_grad_g(&s->orc, x, y, NULL, s->mon_gy));
  SGFBLO_TRY(s->ops->dot(&s->bctx, s->m, s->mon_gy, s->mon_gy, &gg));
  p->step = s->step;
  p->t = s->t;
  p->dt = s->dt_next;
  p->f = f;
  p->grad_g_norm = sqrt(gg);
  p->hypergrad_norm = NAN;
  if (s->step > 0)
    SGFBLO_TRY(s->ops->scalars_read(&s->bctx, 1, s->sc + SGFBLO_SC_ZDOT_NORM, &s->zdot_norm));
  p->zdot_norm = s->zdot_norm;
  if (s->set.monitor_hypergrad) {
    st = sgfblo_hypergrad(s, s->mon_hs, s->z, s->mon_gx, s->mon_gy, s->mon_w, s->mon_gx + s->n);
    if (st == SGFBLO_OK) {
      double FF;
      SGFBLO_TRY(s->ops->dot(&s->bctx, s->n, s->mon_gx, s->mon_gx, &FF));
      p->hypergrad_norm = sqrt(FF);
    } else if (st == SGFBLO_ERR_NOT_CONVERGED || st == SGFBLO_ERR_NOT_SPD) {
      /* A monitoring quantity that cannot be computed here is reported as NaN, not fatal. */
      st = SGFBLO_OK;
      sgfblo_err_clear(&s->err);
    } else {
      goto cleanup;
    }
  }
cleanup:
  s->info.n_monitor_oracle += (s->orc.n_grad - grad0) + (s->orc.n_prod - prod0);
  s->orc.n_grad = grad0;
  s->orc.n_prod = prod0;
  p->n_rhs = s->n_rhs;
  p->n_oracle = s->orc.n_grad + s->orc.n_prod;
  return st;
}

sgfblo_status sgfblo_monitor_report(sgfblo_solver *s, int *stop) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_progress p;
  *stop = 0;
  SGFBLO_TRY(sgfblo_monitor_measure(s, &p));
  s->info.last = p;
  s->reported_step = s->step;
  if (s->log) SGFBLO_TRY(sgfblo_log_row(s->log, s->set.log_path, &p, &s->err));
  if (s->set.monitor) {
    if (s->set.monitor(&p, s->set.monitor_data) != 0) *stop = 1;
    SGFBLO_TRY(s->ops->make_current(&s->bctx)); /* the callback may have switched devices */
  }
cleanup:
  return st;
}
