/* The run AID-BiO and SQCQP share (discrete.h). Written against the backend ops table (CPU
   only for now); every buffer is allocated before the first iteration. */
#include "method/discrete.h"

#include <math.h>
#include <string.h>

#include "core/common.h"
#include "core/error.h"
#include "solver/trajectory_log.h"

sgfblo_status sgfblo_discrete_alloc(sgfblo_discrete *D, sgfblo_real **buf, int64_t len) {
  if (D->nbufs == SGFBLO_DISCRETE_MAX_BUFS)
    return sgfblo_fail(D->err, SGFBLO_ERR_ALLOC, "%s: more than %d buffers requested",
                       D->method->name, SGFBLO_DISCRETE_MAX_BUFS);
  D->bufs[D->nbufs++] = buf; /* first, so that a failed allocation is released too */
  return D->ops->alloc(&D->bctx, buf, len);
}

/* NaN/Inf or a runaway iterate ends the run with a status, an exit flag and a message. The
   one read of the iteration: both norms and the method's scalars come back together. */
static sgfblo_status check_state(sgfblo_discrete *D, sgfblo_info *info) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_discrete_method *M = D->method;
  SGFBLO_TRY(D->ops->nrminf_dev(&D->bctx, D->n, D->z, D->sc + SGFBLO_DISCRETE_SC_XMAX));
  SGFBLO_TRY(D->ops->nrminf_dev(&D->bctx, D->m, D->z + D->n, D->sc + SGFBLO_DISCRETE_SC_YMAX));
  SGFBLO_TRY(D->ops->scalars_read(&D->bctx, SGFBLO_DISCRETE_NSC, D->sc, D->sc_host));
  const double xm = D->sc_host[SGFBLO_DISCRETE_SC_XMAX], ym = D->sc_host[SGFBLO_DISCRETE_SC_YMAX];
  const double zm = fmax(xm, ym);
  if (!isfinite(zm)) {
    info->exit_flag = SGFBLO_EXIT_NONFINITE;
    SGFBLO_FAIL(D->err, SGFBLO_ERR_NONFINITE,
                "%s: the iterate became NaN/Inf at iteration %lld (in %s); %s", M->name,
                (long long)D->iter, isfinite(xm) ? "y" : "x", M->hint);
  }
  if (zm > D->lim.div_limit) {
    info->exit_flag = SGFBLO_EXIT_DIVERGED;
    SGFBLO_FAIL(D->err, SGFBLO_ERR_DIVERGED,
                "%s diverged: ||(x, y)||_inf = %.3e > div_limit = %.3e at iteration %lld; %s",
                M->name, zm, D->lim.div_limit, (long long)D->iter, M->hint);
  }
cleanup:
  return st;
}

/* Measure at the current iterate, append a log row, call the monitor (*stop = its verdict). */
static sgfblo_status report(sgfblo_discrete *D, int *stop) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_progress *p = &D->last;
  const sgfblo_real *x = D->z, *y = D->z + D->n;
  double f, gg;
  *stop = 0;
  SGFBLO_TRY(sgfblo_oracle_f(&D->mon, x, y, &f));
  SGFBLO_TRY(sgfblo_oracle_grad_g(&D->mon, x, y, NULL, D->mgy));
  SGFBLO_TRY(D->ops->dot(&D->bctx, D->m, D->mgy, D->mgy, &gg));
  SGFBLO_TRY(D->method->progress(D, gg, p));
  p->step = D->iter;
  p->t = (double)D->iter;
  p->f = f;
  p->grad_g_norm = sqrt(gg);
  p->n_rhs = D->iter;
  p->n_oracle = D->orc.n_grad + D->orc.n_prod;
  D->reported_iter = D->iter;
  if (D->log) SGFBLO_TRY(sgfblo_log_row(D->log, D->lim.log_path, p, D->err));
  if (D->lim.monitor) {
    if (D->lim.monitor(p, D->lim.monitor_data) != 0) *stop = 1;
    SGFBLO_TRY(D->ops->make_current(&D->bctx)); /* the callback may have switched devices */
  }
cleanup:
  return st;
}

static void release(sgfblo_discrete *D) {
  if (D->ops) {
    sgfblo_backend_make_current_quiet(D->ops, &D->bctx); /* free on their device */
    for (int i = 0; i < D->nbufs; ++i) {
      D->ops->release(&D->bctx, *D->bufs[i]);
      *D->bufs[i] = NULL;
    }
    if (D->sc) D->ops->scalars_release(&D->bctx, D->sc);
    D->sc = NULL;
    D->ops->close(&D->bctx);
  }
  D->nbufs = 0;
  if (D->log) fclose(D->log);
  D->log = NULL;
  D->ops = NULL;
}

sgfblo_status sgfblo_discrete_run(sgfblo_discrete *D, const sgfblo_problem *p, sgfblo_real *x,
                                  sgfblo_real *y, sgfblo_info *info, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_discrete_method *M = D->method;
  const sgfblo_discrete_limits *lim = &D->lim;
  sgfblo_info local_info;
  const double t0 = sgfblo_now_seconds();
  int started = 0, stop = 0, converged = 0;
  if (!info) info = &local_info;
  memset(info, 0, sizeof *info);
  info->exit_flag = SGFBLO_EXIT_NONE;
  info->max_h_excess = NAN;
  info->init_grad_g_norm = NAN;
  info->last.dt = NAN;
  info->last.hypergrad_norm = NAN;
  info->last.zdot_norm = NAN;
  sgfblo_err_clear(err);
  D->err = err;
  SGFBLO_TRY(M->validate(D, err));
  SGFBLO_TRY(sgfblo_problem_validate(p, err));
  if (!x || !y) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "%s: %s is NULL", M->name, !x ? "x" : "y");
  char what[64];
  snprintf(what, sizeof what, "%s: initial x", M->name);
  SGFBLO_TRY(sgfblo_check_finite(x, p->n, what, err));
  snprintf(what, sizeof what, "%s: initial y", M->name);
  SGFBLO_TRY(sgfblo_check_finite(y, p->m, what, err));

  D->n = p->n;
  D->m = p->m;
  D->nz = p->n + p->m;
  D->reported_iter = -1;
  D->bctx.err = err;
  SGFBLO_TRY(sgfblo_backend_open(lim->backend, lim->device_id, &D->ops, &D->bctx));
  D->orc = (sgfblo_oracle){.p = *p, .err = err};
  D->orc.ctx = (sgfblo_eval_ctx){D->ops->mem, D->bctx.stream, p->user_data, &D->orc.detail};
  /* As a flow's setup: the problem places its data where the backend computes. */
  SGFBLO_TRY(sgfblo_oracle_prepare(&D->orc, lim->device_id));
  SGFBLO_TRY(D->ops->make_current(&D->bctx)); /* whatever device the hook left current */
  D->mon = D->orc;
  SGFBLO_TRY(sgfblo_discrete_alloc(D, &D->z, D->nz));
  SGFBLO_TRY(sgfblo_discrete_alloc(D, &D->mgy, D->m));
  SGFBLO_TRY(D->ops->scalars_alloc(&D->bctx, &D->sc, SGFBLO_DISCRETE_NSC));
  SGFBLO_TRY(M->setup(D));
  if (lim->log_path) SGFBLO_TRY(sgfblo_log_open(lim->log_path, &D->log, err));
  SGFBLO_TRY(D->ops->from_host(&D->bctx, D->n, D->z, x));
  SGFBLO_TRY(D->ops->from_host(&D->bctx, D->m, D->z + D->n, y));
  started = 1;

  SGFBLO_TRY(report(D, &stop));
  info->init_grad_g_norm = D->last.grad_g_norm;
  while (!stop) {
    if (D->iter >= lim->max_iters ||
        (lim->max_oracle_evals > 0 && D->orc.n_grad + D->orc.n_prod >= lim->max_oracle_evals)) {
      info->exit_flag = SGFBLO_EXIT_MAX_STEPS;
      break;
    }
    SGFBLO_TRY(M->iterate(D, &converged));
    if (converged) {
      info->exit_flag = SGFBLO_EXIT_CONVERGED;
      break;
    }
    SGFBLO_TRY(check_state(D, info));
    if (D->iter % lim->monitor_every == 0) SGFBLO_TRY(report(D, &stop));
    if (lim->max_seconds > 0 && sgfblo_now_seconds() - t0 >= lim->max_seconds) {
      info->exit_flag = SGFBLO_EXIT_TIME_LIMIT;
      break;
    }
  }
  if (stop) info->exit_flag = SGFBLO_EXIT_INTERRUPTED;
  if (D->reported_iter != D->iter) {
    int ignored;
    SGFBLO_TRY(report(D, &ignored));
  }
  if (M->ended) M->ended(D);
cleanup:
  if (st == SGFBLO_ERR_NONFINITE && started) info->exit_flag = SGFBLO_EXIT_NONFINITE;
  if (st != SGFBLO_OK && info->exit_flag != SGFBLO_EXIT_NONFINITE &&
      info->exit_flag != SGFBLO_EXIT_DIVERGED)
    info->exit_flag = SGFBLO_EXIT_ERROR;
  if (started) {
    /* Hand back the last (accepted) iterate on every return once the run has started. */
    sgfblo_status st2 = D->ops->to_host(&D->bctx, D->n, x, D->z);
    if (st2 == SGFBLO_OK) st2 = D->ops->to_host(&D->bctx, D->m, y, D->z + D->n);
    if (st == SGFBLO_OK) st = st2;
    info->last = D->last;
    info->last.n_rhs = D->iter;
    info->last.n_oracle = D->orc.n_grad + D->orc.n_prod;
    info->n_grad = D->orc.n_grad;
    info->n_prod = D->orc.n_prod;
    info->n_value = D->orc.n_value + D->mon.n_value;
    info->callback_code = D->orc.callback_code ? D->orc.callback_code : D->mon.callback_code;
    M->finish(D, info);
  }
  if (D->log) {
    fflush(D->log);
    if (ferror(D->log) && st == SGFBLO_OK)
      st = sgfblo_fail(err, SGFBLO_ERR_IO, "writing the log file '%s' failed", lim->log_path);
  }
  release(D);
  info->solve_seconds = sgfblo_now_seconds() - t0;
  return st;
}
