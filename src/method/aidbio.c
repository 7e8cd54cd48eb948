/* AID-BiO (Ji, Yang, Liang 2021), the discrete baseline of MATH.md: D gradient steps on y,
   K warm-started CG steps on Hyy w = grad_y f, then x <- x - beta_out (grad_x f - Jyx^T w).
   Written against the backend ops table (CPU only for now), with every buffer allocated
   before the first iteration. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/common.h"
#include "backend/backend.h"
#include "core/error.h"
#include "solver/trajectory_log.h"
#include "problem/oracle.h"
#include "sgfblo/sgfblo.h"

void sgfblo_aidbio_settings_default(sgfblo_aidbio_settings *s) {
  if (!s) return;
  memset(s, 0, sizeof *s);
  s->beta_in = SGFBLO_AIDBIO_DEFAULT_BETA_IN;
  s->beta_out = SGFBLO_AIDBIO_DEFAULT_BETA_OUT;
  s->inner_steps = SGFBLO_AIDBIO_DEFAULT_INNER_STEPS;
  s->cg_steps = SGFBLO_AIDBIO_DEFAULT_CG_STEPS;
  s->max_iters = SGFBLO_AIDBIO_DEFAULT_MAX_ITERS;
  s->max_oracle_evals = SGFBLO_AIDBIO_DEFAULT_MAX_ORACLE_EVALS;
  s->div_limit = SGFBLO_AIDBIO_DEFAULT_DIV_LIMIT;
  s->monitor_every = SGFBLO_AIDBIO_DEFAULT_MONITOR_EVERY;
  s->monitor = NULL;
  s->monitor_data = NULL;
  s->log_path = NULL;
}


sgfblo_status sgfblo_aidbio_settings_validate(const sgfblo_aidbio_settings *s, char *msg,
                                              size_t msg_len) {
  if (msg && msg_len) msg[0] = '\0';
  if (!s) {
    if (msg && msg_len) snprintf(msg, msg_len, "AID-BiO settings pointer is NULL");
    return SGFBLO_ERR_NULL_ARG;
  }
  SGFBLO_CHECK_POS(beta_in);
  SGFBLO_CHECK_POS(beta_out);
  SGFBLO_CHECK(s->inner_steps >= 1, "inner_steps must be >= 1 (got %d)", s->inner_steps);
  SGFBLO_CHECK(s->cg_steps >= 1, "cg_steps must be >= 1 (got %d)", s->cg_steps);
  SGFBLO_CHECK(s->max_iters >= 1, "max_iters must be >= 1 (got %lld)", (long long)s->max_iters);
  SGFBLO_CHECK(s->max_oracle_evals >= 0, "max_oracle_evals must be >= 0 (0: no limit) (got %lld)",
        (long long)s->max_oracle_evals);
  SGFBLO_CHECK_POS(div_limit);
  SGFBLO_CHECK(s->monitor_every >= 1, "monitor_every must be >= 1 (got %d)", s->monitor_every);
  return SGFBLO_OK;
}


/* Everything one run needs, allocated before the first iteration. */
typedef struct {
  const sgfblo_aidbio_settings *set;
  const sgfblo_ops *ops;
  sgfblo_bctx bctx;
  sgfblo_oracle orc;       /* the algorithm's calls: n_grad, n_prod */
  sgfblo_oracle mon;       /* monitoring calls, kept out of the algorithm's counts */
  sgfblo_errmsg *err;
  int64_t n, m;
  sgfblo_real *x, *y;      /* iterate (backend memory) */
  sgfblo_real *y_prev;     /* y at the start of the iteration, for ||z_{k+1} - z_k|| */
  sgfblo_real *gy;         /* grad_y g (inner steps, monitoring) */
  sgfblo_real *fx, *fy;    /* grad_x f, then F; grad_y f (the CG right-hand side) */
  sgfblo_real *w;          /* CG iterate, warm start across iterations */
  sgfblo_real *r, *pd, *Ap; /* CG residual, direction, product */
  sgfblo_real *jw;         /* Jyx^T w */
  int w_is_zero;           /* w = 0 exactly: the residual needs no product */
  FILE *log;
  int64_t iter;
  int64_t reported_iter;
  int64_t cg_iters;
  double last_F, last_dz;
  sgfblo_progress last;
} aidbio_run;

/* K steps of conjugate gradients on Hyy(x, y) w = b (b = grad_y f in r->fy), warm start w. */
static sgfblo_status cg_steps(aidbio_run *R) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_ops *o = R->ops;
  sgfblo_bctx *bc = &R->bctx;
  const int64_t m = R->m;
  double bb, rr, pAp, rr_new;
  SGFBLO_TRY(o->dot(bc, m, R->fy, R->fy, &bb));
  if (bb == 0.0) { /* the solution is w = 0: no product needed */
    SGFBLO_TRY(o->fill(bc, m, 0.0, R->w));
    R->w_is_zero = 1;
    goto cleanup;
  }
  if (R->w_is_zero) {
    SGFBLO_TRY(o->copy(bc, m, R->fy, R->r));
  } else {
    SGFBLO_TRY(sgfblo_oracle_hyy(&R->orc, R->x, R->y, R->w, R->Ap));
    SGFBLO_TRY(o->lincomb(bc, m, 2, (const double[]){1.0, -1.0},
                          (const sgfblo_real *const[]){R->fy, R->Ap}, R->r));
  }
  SGFBLO_TRY(o->copy(bc, m, R->r, R->pd));
  SGFBLO_TRY(o->dot(bc, m, R->r, R->r, &rr));
  /* Below this residual further steps only amplify rounding (and 0/0 would follow). */
  const double floor2 = (4.0 * SGFBLO_REAL_EPSILON) * (4.0 * SGFBLO_REAL_EPSILON) * bb;
  for (int it = 0; it < R->set->cg_steps; ++it) {
    if (!(rr > floor2)) break; /* also stops on NaN: the state check reports it */
    SGFBLO_TRY(sgfblo_oracle_hyy(&R->orc, R->x, R->y, R->pd, R->Ap));
    SGFBLO_TRY(o->dot(bc, m, R->pd, R->Ap, &pAp));
    if (!(pAp > 0.0))
      SGFBLO_FAIL(R->err, isfinite(pAp) ? SGFBLO_ERR_NOT_SPD : SGFBLO_ERR_NONFINITE,
                  "AID-BiO: conjugate gradients met curvature p'Hyy p = %g at iteration %lld: "
                  "Hyy is not positive definite here",
                  pAp, (long long)R->iter);
    const double a = rr / pAp;
    SGFBLO_TRY(o->axpby(bc, m, a, R->pd, 1.0, R->w));
    SGFBLO_TRY(o->axpby(bc, m, -a, R->Ap, 1.0, R->r));
    SGFBLO_TRY(o->dot(bc, m, R->r, R->r, &rr_new));
    SGFBLO_TRY(o->axpby(bc, m, 1.0, R->r, rr_new / rr, R->pd));
    rr = rr_new;
    R->w_is_zero = 0;
    R->cg_iters++;
  }
cleanup:
  return st;
}

/* One outer iteration: (x_k, y_k, w_k) -> (x_{k+1}, y_{k+1}, w_{k+1}). */
static sgfblo_status iterate(aidbio_run *R) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_ops *o = R->ops;
  sgfblo_bctx *bc = &R->bctx;
  const sgfblo_aidbio_settings *set = R->set;
  double dy, F2;
  SGFBLO_TRY(o->copy(bc, R->m, R->y, R->y_prev));
  for (int d = 0; d < set->inner_steps; ++d) {
    SGFBLO_TRY(sgfblo_oracle_grad_g(&R->orc, R->x, R->y, NULL, R->gy));
    SGFBLO_TRY(o->axpby(bc, R->m, -set->beta_in, R->gy, 1.0, R->y));
  }
  SGFBLO_TRY(sgfblo_oracle_grad_f(&R->orc, R->x, R->y, R->fx, R->fy));
  SGFBLO_TRY(cg_steps(R));
  SGFBLO_TRY(sgfblo_oracle_jyxT(&R->orc, R->x, R->y, R->w, R->jw));
  SGFBLO_TRY(o->axpby(bc, R->n, -1.0, R->jw, 1.0, R->fx)); /* F = grad_x f - Jyx^T w, eq. (2) */
  SGFBLO_TRY(o->axpby(bc, R->n, -set->beta_out, R->fx, 1.0, R->x));
  SGFBLO_TRY(o->dot(bc, R->n, R->fx, R->fx, &F2));
  R->last_F = sqrt(F2);
  /* ||z_{k+1} - z_k||_inf: the x block moved by beta_out F, the y block by y - y_prev. */
  SGFBLO_TRY(o->axpby(bc, R->m, 1.0, R->y, -1.0, R->y_prev));
  SGFBLO_TRY(o->nrminf(bc, R->m, R->y_prev, &dy));
  double Fmax;
  SGFBLO_TRY(o->nrminf(bc, R->n, R->fx, &Fmax));
  R->last_dz = fmax(dy, set->beta_out * Fmax);
  if (isnan(R->last_dz)) R->last_dz = INFINITY;
  R->iter++;
cleanup:
  return st;
}

/* NaN/Inf or a runaway iterate ends the run with a status, an exit flag and a message. */
static sgfblo_status check_state(aidbio_run *R, sgfblo_info *info) {
  sgfblo_status st = SGFBLO_OK;
  double xm, ym;
  SGFBLO_TRY(R->ops->nrminf(&R->bctx, R->n, R->x, &xm));
  SGFBLO_TRY(R->ops->nrminf(&R->bctx, R->m, R->y, &ym));
  const double zm = fmax(xm, ym);
  if (!isfinite(zm)) {
    info->exit_flag = SGFBLO_EXIT_NONFINITE;
    SGFBLO_FAIL(R->err, SGFBLO_ERR_NONFINITE,
                "AID-BiO: the iterate became NaN/Inf at iteration %lld (in %s); reduce beta_in "
                "or beta_out",
                (long long)R->iter, isfinite(xm) ? "y" : "x");
  }
  if (zm > R->set->div_limit) {
    info->exit_flag = SGFBLO_EXIT_DIVERGED;
    SGFBLO_FAIL(R->err, SGFBLO_ERR_DIVERGED,
                "AID-BiO diverged: ||(x, y)||_inf = %.3e > div_limit = %.3e at iteration %lld; "
                "reduce beta_in or beta_out",
                zm, R->set->div_limit, (long long)R->iter);
  }
cleanup:
  return st;
}

/* Measure at the current iterate, append a log row, call the monitor (*stop = its verdict). */
static sgfblo_status report(aidbio_run *R, int *stop) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_progress *p = &R->last;
  double f, gg;
  *stop = 0;
  SGFBLO_TRY(sgfblo_oracle_f(&R->mon, R->x, R->y, &f));
  SGFBLO_TRY(sgfblo_oracle_grad_g(&R->mon, R->x, R->y, NULL, R->gy));
  SGFBLO_TRY(R->ops->dot(&R->bctx, R->m, R->gy, R->gy, &gg));
  p->step = R->iter;
  p->t = (double)R->iter;
  p->dt = 1.0;
  p->f = f;
  p->grad_g_norm = sqrt(gg);
  p->hypergrad_norm = R->iter > 0 ? R->last_F : NAN;
  p->zdot_norm = R->iter > 0 ? R->last_dz : NAN;
  p->n_rhs = R->iter;
  p->n_oracle = R->orc.n_grad + R->orc.n_prod;
  R->reported_iter = R->iter;
  if (R->log) SGFBLO_TRY(sgfblo_log_row(R->log, R->set->log_path, p, R->err));
  if (R->set->monitor && R->set->monitor(p, R->set->monitor_data) != 0) *stop = 1;
cleanup:
  return st;
}

static void release(aidbio_run *R) {
  if (R->ops) {
    sgfblo_real *bufs[] = {R->x, R->y, R->y_prev, R->gy, R->fx, R->fy,
                           R->w, R->r, R->pd,     R->Ap, R->jw};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) R->ops->release(&R->bctx, bufs[i]);
    R->ops->close(&R->bctx);
  }
  if (R->log) fclose(R->log);
  R->log = NULL;
  R->ops = NULL;
}

sgfblo_status sgfblo_aidbio_run(const sgfblo_problem *p, const sgfblo_aidbio_settings *set,
                                sgfblo_real *x, sgfblo_real *y, sgfblo_info *info,
                                sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  aidbio_run R;
  sgfblo_info local_info;
  sgfblo_real **nbufs[] = {&R.x, &R.fx, &R.jw};
  sgfblo_real **mbufs[] = {&R.y, &R.y_prev, &R.gy, &R.fy, &R.w, &R.r, &R.pd, &R.Ap};
  const double t0 = sgfblo_now_seconds();
  int started = 0, stop = 0;
  memset(&R, 0, sizeof R);
  if (!info) info = &local_info;
  memset(info, 0, sizeof *info);
  info->exit_flag = SGFBLO_EXIT_NONE;
  info->max_h_excess = NAN;
  info->init_grad_g_norm = NAN;
  info->last.hypergrad_norm = NAN;
  info->last.zdot_norm = NAN;
  sgfblo_err_clear(err);
  if (!set) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "AID-BiO: settings is NULL");
  SGFBLO_TRY(sgfblo_aidbio_settings_validate(set, err ? err->msg : NULL,
                                             err ? sizeof err->msg : 0));
  SGFBLO_TRY(sgfblo_problem_validate(p, err));
  if (!x || !y) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "AID-BiO: %s is NULL", !x ? "x" : "y");
  SGFBLO_TRY(sgfblo_check_finite(x, p->n, "AID-BiO: initial x", err));
  SGFBLO_TRY(sgfblo_check_finite(y, p->m, "AID-BiO: initial y", err));

  R.set = set;
  R.err = err;
  R.n = p->n;
  R.m = p->m;
  R.reported_iter = -1;
  R.w_is_zero = 1;
  R.last_F = NAN;
  R.last_dz = NAN;
  R.bctx.err = err;
  SGFBLO_TRY(sgfblo_backend_open(SGFBLO_BACKEND_CPU, 0, &R.ops, &R.bctx));
  R.orc = (sgfblo_oracle){.p = *p, .err = err};
  R.orc.ctx = (sgfblo_eval_ctx){R.ops->mem, R.bctx.stream, p->user_data};
  SGFBLO_TRY(sgfblo_oracle_prepare(&R.orc, 0));
  R.mon = R.orc;
  for (size_t i = 0; i < sizeof nbufs / sizeof nbufs[0]; ++i)
    SGFBLO_TRY(R.ops->alloc(&R.bctx, nbufs[i], R.n));
  for (size_t i = 0; i < sizeof mbufs / sizeof mbufs[0]; ++i)
    SGFBLO_TRY(R.ops->alloc(&R.bctx, mbufs[i], R.m));
  if (set->log_path) SGFBLO_TRY(sgfblo_log_open(set->log_path, &R.log, err));
  SGFBLO_TRY(R.ops->from_host(&R.bctx, R.n, R.x, x));
  SGFBLO_TRY(R.ops->from_host(&R.bctx, R.m, R.y, y));
  started = 1;

  SGFBLO_TRY(report(&R, &stop));
  info->init_grad_g_norm = R.last.grad_g_norm;
  while (!stop) {
    if (R.iter >= set->max_iters ||
        (set->max_oracle_evals > 0 && R.orc.n_grad + R.orc.n_prod >= set->max_oracle_evals)) {
      info->exit_flag = SGFBLO_EXIT_MAX_STEPS;
      break;
    }
    SGFBLO_TRY(iterate(&R));
    SGFBLO_TRY(check_state(&R, info));
    if (R.iter % set->monitor_every == 0) SGFBLO_TRY(report(&R, &stop));
  }
  if (stop) info->exit_flag = SGFBLO_EXIT_INTERRUPTED;
  if (R.reported_iter != R.iter) {
    int ignored;
    SGFBLO_TRY(report(&R, &ignored));
  }
cleanup:
  if (st == SGFBLO_ERR_NONFINITE && started) info->exit_flag = SGFBLO_EXIT_NONFINITE;
  if (st != SGFBLO_OK && info->exit_flag != SGFBLO_EXIT_NONFINITE &&
      info->exit_flag != SGFBLO_EXIT_DIVERGED)
    info->exit_flag = SGFBLO_EXIT_ERROR;
  if (started) {
    /* Hand back the last iterate on every return once the run has started. */
    sgfblo_status st2 = R.ops->to_host(&R.bctx, R.n, x, R.x);
    if (st2 == SGFBLO_OK) st2 = R.ops->to_host(&R.bctx, R.m, y, R.y);
    if (st == SGFBLO_OK) st = st2;
    info->last = R.last;
    info->last.n_rhs = R.iter;
    info->last.n_oracle = R.orc.n_grad + R.orc.n_prod;
    info->n_grad = R.orc.n_grad;
    info->n_prod = R.orc.n_prod;
    info->n_value = R.orc.n_value + R.mon.n_value;
    info->cg_iters = R.cg_iters;
    info->callback_code = R.orc.callback_code ? R.orc.callback_code : R.mon.callback_code;
  }
  if (R.log) {
    fflush(R.log);
    if (ferror(R.log) && st == SGFBLO_OK)
      st = sgfblo_fail(err, SGFBLO_ERR_IO, "writing the log file '%s' failed", set->log_path);
  }
  release(&R);
  info->solve_seconds = sgfblo_now_seconds() - t0;
  return st;
}
