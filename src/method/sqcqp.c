/* Sequential QCQP with a barrier line search (sgfblo_sqcqp.h): each iteration projects -grad f
   onto the ball the linearised, damped constraint on h = ||grad_y g||^2 - eps^2 defines
   (sqcqp_direction.c), then steps with a fixed tau0 on or outside the relaxed boundary and
   with a barrier + Armijo backtracking strictly inside. Written against the backend ops table
   (CPU only for now), with every buffer allocated before the first iteration. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <float.h>

#include "core/common.h"
#include "backend/backend.h"
#include "core/error.h"
#include "method/sqcqp_direction.h"
#include "problem/oracle.h"
#include "sgfblo/sgfblo.h"
#include "solver/trajectory_log.h"

void sgfblo_sqcqp_settings_default(sgfblo_sqcqp_settings *s) {
  if (!s) return;
  memset(s, 0, sizeof *s);
  s->alpha = SGFBLO_SQCQP_DEFAULT_ALPHA;
  s->epsilon = SGFBLO_SQCQP_DEFAULT_EPSILON;
  s->w = SGFBLO_SQCQP_DEFAULT_W;
  s->gamma = SGFBLO_SQCQP_DEFAULT_GAMMA;
  s->sigma = SGFBLO_SQCQP_DEFAULT_SIGMA;
  s->tau0 = SGFBLO_SQCQP_DEFAULT_TAU0;
  s->delta = SGFBLO_SQCQP_DEFAULT_DELTA;
  s->tau_min = SGFBLO_SQCQP_DEFAULT_TAU_MIN;
  s->max_iters = SGFBLO_SQCQP_DEFAULT_MAX_ITERS;
  s->max_oracle_evals = SGFBLO_SQCQP_DEFAULT_MAX_ORACLE_EVALS;
  s->tol = SGFBLO_SQCQP_DEFAULT_TOL;
  s->div_limit = SGFBLO_SQCQP_DEFAULT_DIV_LIMIT;
  s->monitor_every = SGFBLO_SQCQP_DEFAULT_MONITOR_EVERY;
  s->monitor_hypergrad = SGFBLO_SQCQP_DEFAULT_MONITOR_HYPERGRAD;
  s->monitor = NULL;
  s->monitor_data = NULL;
  s->log_path = NULL;
}

/* Line-search fractions gamma and sigma live in the open interval (0, 1). */
#define CHECK_OPEN01(field) \
  SGFBLO_CHECK(s->field > 0 && s->field < 1, #field " must be in (0, 1) (got %g)", (double)s->field)

sgfblo_status sgfblo_sqcqp_settings_validate(const sgfblo_sqcqp_settings *s, char *msg,
                                             size_t msg_len) {
  if (msg && msg_len) msg[0] = '\0';
  if (!s) {
    if (msg && msg_len) snprintf(msg, msg_len, "SQCQP settings pointer is NULL");
    return SGFBLO_ERR_NULL_ARG;
  }
  SGFBLO_CHECK_POS(alpha);
  SGFBLO_CHECK_POS(epsilon);
  SGFBLO_CHECK_POS(w);
  CHECK_OPEN01(gamma);
  CHECK_OPEN01(sigma);
  SGFBLO_CHECK_POS(tau0);
  SGFBLO_CHECK(s->delta >= 0 && isfinite(s->delta), "delta must be >= 0 (got %g)", s->delta);
  SGFBLO_CHECK(s->tau_min > 0 && s->tau_min <= 1, "tau_min must be in (0, 1] (got %g)", s->tau_min);
  SGFBLO_CHECK(s->max_iters >= 1, "max_iters must be >= 1 (got %lld)", (long long)s->max_iters);
  SGFBLO_CHECK(s->max_oracle_evals >= 0, "max_oracle_evals must be >= 0 (0: no limit) (got %lld)",
        (long long)s->max_oracle_evals);
  SGFBLO_CHECK(s->tol >= 0 && isfinite(s->tol), "tol must be >= 0 (got %g)", s->tol);
  SGFBLO_CHECK_POS(div_limit);
  SGFBLO_CHECK(s->monitor_every >= 1, "monitor_every must be >= 1 (got %d)", s->monitor_every);
  SGFBLO_CHECK(s->monitor_hypergrad == 0 || s->monitor_hypergrad == 1,
        "monitor_hypergrad must be 0 or 1 (got %d)", s->monitor_hypergrad);
  return SGFBLO_OK;
}


/* Everything one run needs, allocated before the first iteration. */
typedef struct {
  const sgfblo_sqcqp_settings *set;
  const sgfblo_ops *ops;
  sgfblo_bctx bctx;
  sgfblo_oracle orc; /* the method's calls: n_grad, n_prod, n_value (f_val) */
  sgfblo_oracle mon; /* monitoring calls, kept out of the method's counts */
  sgfblo_errmsg *err;
  int64_t n, m, nz;
  double eps2;
  sgfblo_real *z, *zt;   /* iterate and line-search trial, (x, y), length n + m */
  sgfblo_real *F;        /* grad f(z), both blocks */
  sgfblo_real *gy, *gyt; /* grad_y g at z and at zt */
  sgfblo_real *gh;       /* grad h(z) = 2 (Jyx^T gy, Hyy gy) */
  sgfblo_real *d;        /* direction */
  /* Monitoring: f, ||grad_y g|| and the hypergradient (2) by conjugate gradients. */
  sgfblo_real *mgy, *mgx, *mfy, *mw, *cr, *cp, *cAp, *mjw;
  int mw_zero;         /* mw = 0 exactly: the CG residual needs no product */
  int have_gy, have_f; /* gy / fz hold the values at the current z */
  double hz, fz;       /* h(z), f(z) */
  FILE *log;
  int64_t iter, reported_iter;
  int64_t n_h;        /* values of h in the line search */
  int64_t n_rejected; /* rejected line-search trials */
  int64_t cg_iters;   /* monitoring CG iterations */
  double last_tau, last_dinf, max_h_excess;
  sgfblo_progress last;
} sqcqp_run;

static void note_h(sqcqp_run *R, double h) {
  if (isnan(R->max_h_excess) || h > R->max_h_excess) R->max_h_excess = h;
}

/* ||F(x, y)|| of eq. (2): CG on Hyy w = grad_y f (warm start mw), then grad_x f - Jyx^T w.
   The result is NAN where CG does not reach its tolerance or meets a non-positive curvature. */
static sgfblo_status monitor_hypergrad(sqcqp_run *R, double *out) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_ops *o = R->ops;
  sgfblo_bctx *bc = &R->bctx;
  const int64_t n = R->n, m = R->m;
  const sgfblo_real *x = R->z, *y = R->z + n;
  double bb, rr, pAp, rr_new, FF;
  *out = NAN;
  SGFBLO_TRY(sgfblo_oracle_grad_f(&R->mon, x, y, R->mgx, R->mfy));
  SGFBLO_TRY(o->dot(bc, m, R->mfy, R->mfy, &bb));
  if (bb == 0.0) {
    SGFBLO_TRY(o->fill(bc, m, 0.0, R->mw));
    R->mw_zero = 1;
  } else {
    if (R->mw_zero) {
      SGFBLO_TRY(o->copy(bc, m, R->mfy, R->cr));
    } else {
      SGFBLO_TRY(sgfblo_oracle_hyy(&R->mon, x, y, R->mw, R->cAp));
      SGFBLO_TRY(o->lincomb(bc, m, 2, (const double[]){1.0, -1.0},
                            (const sgfblo_real *const[]){R->mfy, R->cAp}, R->cr));
    }
    SGFBLO_TRY(o->copy(bc, m, R->cr, R->cp));
    SGFBLO_TRY(o->dot(bc, m, R->cr, R->cr, &rr));
    const double target = SGFBLO_DEFAULT_CG_TOL * SGFBLO_DEFAULT_CG_TOL * bb;
    for (int it = 0; rr > target; ++it) {
      if (it == SGFBLO_DEFAULT_CG_MAXIT) goto cleanup; /* not converged: NAN */
      SGFBLO_TRY(sgfblo_oracle_hyy(&R->mon, x, y, R->cp, R->cAp));
      SGFBLO_TRY(o->dot(bc, m, R->cp, R->cAp, &pAp));
      if (!(pAp > 0.0)) { /* not SPD here (or NaN): restart cold next time */
        R->mw_zero = 1;
        SGFBLO_TRY(o->fill(bc, m, 0.0, R->mw));
        goto cleanup;
      }
      const double a = rr / pAp;
      SGFBLO_TRY(o->axpby(bc, m, a, R->cp, 1.0, R->mw));
      SGFBLO_TRY(o->axpby(bc, m, -a, R->cAp, 1.0, R->cr));
      SGFBLO_TRY(o->dot(bc, m, R->cr, R->cr, &rr_new));
      SGFBLO_TRY(o->axpby(bc, m, 1.0, R->cr, rr_new / rr, R->cp));
      rr = rr_new;
      R->mw_zero = 0;
      R->cg_iters++;
    }
    if (!(rr <= target)) goto cleanup; /* NaN residual */
  }
  SGFBLO_TRY(sgfblo_oracle_jyxT(&R->mon, x, y, R->mw, R->mjw));
  SGFBLO_TRY(o->axpby(bc, n, -1.0, R->mjw, 1.0, R->mgx));
  SGFBLO_TRY(o->dot(bc, n, R->mgx, R->mgx, &FF));
  *out = sqrt(FF);
cleanup:
  return st;
}

/* Measure at the current iterate, append a log row, call the monitor (*stop = its verdict). */
static sgfblo_status report(sqcqp_run *R, int *stop) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_progress *p = &R->last;
  double f, gg, hg = NAN;
  *stop = 0;
  SGFBLO_TRY(sgfblo_oracle_f(&R->mon, R->z, R->z + R->n, &f));
  SGFBLO_TRY(sgfblo_oracle_grad_g(&R->mon, R->z, R->z + R->n, NULL, R->mgy));
  SGFBLO_TRY(R->ops->dot(&R->bctx, R->m, R->mgy, R->mgy, &gg));
  if (R->iter > 0) note_h(R, gg - R->eps2);
  if (R->set->monitor_hypergrad) SGFBLO_TRY(monitor_hypergrad(R, &hg));
  p->step = R->iter;
  p->t = (double)R->iter;
  p->dt = R->last_tau;
  p->f = f;
  p->grad_g_norm = sqrt(gg);
  p->hypergrad_norm = hg;
  p->zdot_norm = R->last_dinf;
  p->n_rhs = R->iter;
  p->n_oracle = R->orc.n_grad + R->orc.n_prod;
  R->reported_iter = R->iter;
  if (R->log) SGFBLO_TRY(sgfblo_log_row(R->log, R->set->log_path, p, R->err));
  if (R->set->monitor && R->set->monitor(p, R->set->monitor_data) != 0) *stop = 1;
cleanup:
  return st;
}

/* h at (x, y) from one grad_g call into gy. */
static sgfblo_status eval_h(sqcqp_run *R, const sgfblo_real *z, sgfblo_real *gy, double *h) {
  sgfblo_status st = SGFBLO_OK;
  double gg;
  SGFBLO_TRY(sgfblo_oracle_grad_g(&R->orc, z, z + R->n, NULL, gy));
  SGFBLO_TRY(R->ops->dot(&R->bctx, R->m, gy, gy, &gg));
  *h = gg - R->eps2;
cleanup:
  return st;
}

static void swap_ptr(sgfblo_real **a, sgfblo_real **b) {
  sgfblo_real *t = *a;
  *a = *b;
  *b = t;
}

/* Backtracking strictly inside: halve tau from 1 until the barrier and the Armijo tests hold
   at the same trial; accept it (z, gy, f move to the trial's values). */
static sgfblo_status line_search(sqcqp_run *R, double Fd) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_sqcqp_settings *set = R->set;
  const double h_cap = (1.0 - set->gamma) * R->hz;
  double tau = 1.0, ht = NAN, ft = NAN;
  int barrier_ok = 0, armijo_ok = 0;
  if (!R->have_f) {
    SGFBLO_TRY(sgfblo_oracle_f(&R->orc, R->z, R->z + R->n, &R->fz));
    R->have_f = 1;
    if (!isfinite(R->fz))
      SGFBLO_FAIL(R->err, SGFBLO_ERR_NONFINITE, "SQCQP: f(z) = %g at iteration %lld", R->fz,
                  (long long)R->iter);
  }
  /* With h(z) < 0, d = 0 is strictly feasible and F'd <= -||d||^2 < 0; a slope that is not
     negative means d is below what the working precision resolves. */
  if (!(Fd < 0.0))
    SGFBLO_FAIL(R->err, SGFBLO_ERR_STEP_TOO_SMALL,
                "SQCQP: no descent direction at iteration %lld: F'd = %.3e >= 0 with ||d||_inf = "
                "%.3e (rounding); raise tol",
                (long long)R->iter, Fd, R->last_dinf);
  for (;;) {
    if (tau < set->tau_min) {
      /* Say whether the last trial failed by rounding alone: f moved by less than its own
         precision, so d is below what sgfblo_real resolves (tol too small for it). */
      const int rounding = barrier_ok && fabs(ft - R->fz) <= 8.0 * SGFBLO_REAL_EPSILON * fabs(R->fz);
      SGFBLO_FAIL(R->err, SGFBLO_ERR_STEP_TOO_SMALL,
                  "SQCQP: the line-search step fell below tau_min = %g at iteration %lld: at "
                  "the last trial tau = %g the barrier test h(z + tau d) = %.6e <= (1 - gamma) "
                  "h(z) = %.6e %s and the Armijo test f(z + tau d) = %.9e <= f(z) + sigma tau "
                  "F'd = %.9e %s (F'd = %.3e, ||d||_inf = %.3e); %s",
                  set->tau_min, (long long)R->iter, 2.0 * tau, ht, h_cap,
                  barrier_ok ? "held" : "failed", ft, R->fz + set->sigma * 2.0 * tau * Fd,
                  barrier_ok ? (armijo_ok ? "held" : "failed") : "was not evaluated", Fd,
                  R->last_dinf,
                  rounding ? "f changes at its rounding level only: the decrease the Armijo "
                             "test asks for at the steps the barrier allows is below the "
                             "precision of f (raise tol, or run in double)"
                           : "check that f_val agrees with grad_f and grad_g with the products");
    }
    SGFBLO_TRY(R->ops->lincomb(&R->bctx, R->nz, 2, (const double[]){1.0, tau},
                               (const sgfblo_real *const[]){R->z, R->d}, R->zt));
    SGFBLO_TRY(eval_h(R, R->zt, R->gyt, &ht));
    R->n_h++;
    barrier_ok = ht <= h_cap; /* false on NaN */
    armijo_ok = 0;
    ft = NAN;
    if (barrier_ok) {
      SGFBLO_TRY(sgfblo_oracle_f(&R->orc, R->zt, R->zt + R->n, &ft));
      /* Strict decrease too: a step lost to rounding (z + tau d == z) is never accepted. */
      armijo_ok = ft <= R->fz + set->sigma * tau * Fd && ft < R->fz;
    }
    if (barrier_ok && armijo_ok) break;
    R->n_rejected++;
    tau *= 0.5;
  }
  swap_ptr(&R->z, &R->zt);
  swap_ptr(&R->gy, &R->gyt);
  R->hz = ht;
  R->have_gy = 1;
  R->fz = ft;
  R->have_f = 1;
  R->last_tau = tau;
  note_h(R, ht);
cleanup:
  return st;
}

/* One iteration from z_k: F, h and grad h at z_k, the direction, then the step.
 *converged = 1 (z not moved) when the stationarity test holds. */
static sgfblo_status iterate(sqcqp_run *R, int *converged) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_ops *o = R->ops;
  sgfblo_bctx *bc = &R->bctx;
  const sgfblo_sqcqp_settings *set = R->set;
  const int64_t n = R->n;
  const sgfblo_real *x = R->z, *y = R->z + n;
  sgfblo_sqcqp_dir dir;
  double dinf;
  *converged = 0;
  SGFBLO_TRY(sgfblo_oracle_grad_f(&R->orc, x, y, R->F, R->F + n));
  if (!R->have_gy) {
    SGFBLO_TRY(eval_h(R, R->z, R->gy, &R->hz));
    R->have_gy = 1;
    if (R->iter > 0) note_h(R, R->hz);
  }
  SGFBLO_TRY(sgfblo_oracle_jyxT(&R->orc, x, y, R->gy, R->gh));
  SGFBLO_TRY(sgfblo_oracle_hyy(&R->orc, x, y, R->gy, R->gh + n));
  SGFBLO_TRY(o->axpby(bc, R->nz, 2.0, R->gh, 0.0, R->gh)); /* grad h = 2 J^T grad_y g */
  SGFBLO_TRY(sgfblo_sqcqp_direction_ops(o, bc, R->nz, R->F, R->gh, -set->alpha * R->hz, set->w,
                                        R->d, &dir));
  SGFBLO_TRY(o->nrminf(bc, R->nz, R->d, &dinf));
  R->last_dinf = dinf;
  if (!isfinite(dinf) || !isfinite(R->hz))
    SGFBLO_FAIL(R->err, SGFBLO_ERR_NONFINITE,
                "SQCQP: the direction is not finite at iteration %lld (h(z) = %g): grad_f, "
                "grad_g or a product returned NaN/Inf",
                (long long)R->iter, R->hz);
  const int feasible = dir.kase != SGFBLO_SQCQP_INFEASIBLE;
  if (feasible && dinf <= set->tol) {
    *converged = 1;
    goto cleanup;
  }
  if (!feasible || R->hz >= -set->delta) {
    /* On or outside the relaxed boundary, or no feasible direction: the fixed step. */
    SGFBLO_TRY(o->axpby(bc, R->nz, set->tau0, R->d, 1.0, R->z));
    R->have_gy = 0;
    R->have_f = 0;
    R->last_tau = set->tau0;
  } else {
    SGFBLO_TRY(line_search(R, dir.Fd));
  }
  R->iter++;
cleanup:
  return st;
}

/* NaN/Inf or a runaway iterate ends the run with a status, an exit flag and a message. */
static sgfblo_status check_state(sqcqp_run *R, sgfblo_info *info) {
  sgfblo_status st = SGFBLO_OK;
  double zm;
  SGFBLO_TRY(R->ops->nrminf(&R->bctx, R->nz, R->z, &zm));
  if (!isfinite(zm)) {
    info->exit_flag = SGFBLO_EXIT_NONFINITE;
    SGFBLO_FAIL(R->err, SGFBLO_ERR_NONFINITE,
                "SQCQP: the iterate became NaN/Inf at iteration %lld; reduce tau0",
                (long long)R->iter);
  }
  if (zm > R->set->div_limit) {
    info->exit_flag = SGFBLO_EXIT_DIVERGED;
    SGFBLO_FAIL(R->err, SGFBLO_ERR_DIVERGED,
                "SQCQP diverged: ||(x, y)||_inf = %.3e > div_limit = %.3e at iteration %lld; "
                "reduce tau0",
                zm, R->set->div_limit, (long long)R->iter);
  }
cleanup:
  return st;
}

static void release(sqcqp_run *R) {
  if (R->ops) {
    sgfblo_real *bufs[] = {R->z,   R->zt,  R->F,  R->gy, R->gyt, R->gh,  R->d,  R->mgy,
                           R->mgx, R->mfy, R->mw, R->cr, R->cp,  R->cAp, R->mjw};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) R->ops->release(&R->bctx, bufs[i]);
    R->ops->close(&R->bctx);
  }
  if (R->log) fclose(R->log);
  R->log = NULL;
  R->ops = NULL;
}

sgfblo_status sgfblo_sqcqp_run(const sgfblo_problem *p, const sgfblo_sqcqp_settings *set,
                               sgfblo_real *x, sgfblo_real *y, sgfblo_info *info,
                               sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sqcqp_run R;
  sgfblo_info local_info;
  sgfblo_real **zbufs[] = {&R.z, &R.zt, &R.F, &R.gh, &R.d};
  sgfblo_real **nbufs[] = {&R.mgx, &R.mjw};
  sgfblo_real **mbufs[] = {&R.gy, &R.gyt, &R.mgy, &R.mfy, &R.mw, &R.cr, &R.cp, &R.cAp};
  const double t0 = sgfblo_now_seconds();
  int started = 0, stop = 0, converged = 0;
  memset(&R, 0, sizeof R);
  if (!info) info = &local_info;
  memset(info, 0, sizeof *info);
  info->exit_flag = SGFBLO_EXIT_NONE;
  info->max_h_excess = NAN;
  info->init_grad_g_norm = NAN;
  info->last.dt = NAN;
  info->last.hypergrad_norm = NAN;
  info->last.zdot_norm = NAN;
  sgfblo_err_clear(err);
  if (!set) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "SQCQP: settings is NULL");
  SGFBLO_TRY(sgfblo_sqcqp_settings_validate(set, err ? err->msg : NULL, err ? sizeof err->msg : 0));
  SGFBLO_TRY(sgfblo_problem_validate(p, err));
  if (!x || !y) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "SQCQP: %s is NULL", !x ? "x" : "y");
  SGFBLO_TRY(sgfblo_check_finite(x, p->n, "SQCQP: initial x", err));
  SGFBLO_TRY(sgfblo_check_finite(y, p->m, "SQCQP: initial y", err));

  R.set = set;
  R.err = err;
  R.n = p->n;
  R.m = p->m;
  R.nz = p->n + p->m;
  R.eps2 = set->epsilon * set->epsilon;
  R.reported_iter = -1;
  R.mw_zero = 1;
  R.last_tau = NAN;
  R.last_dinf = NAN;
  R.max_h_excess = NAN;
  R.bctx.err = err;
  SGFBLO_TRY(sgfblo_backend_open(SGFBLO_BACKEND_CPU, 0, &R.ops, &R.bctx));
  R.orc = (sgfblo_oracle){.p = *p, .err = err};
  R.orc.ctx = (sgfblo_eval_ctx){R.ops->mem, R.bctx.stream, p->user_data};
  R.mon = R.orc;
  for (size_t i = 0; i < sizeof zbufs / sizeof zbufs[0]; ++i)
    SGFBLO_TRY(R.ops->alloc(&R.bctx, zbufs[i], R.nz));
  for (size_t i = 0; i < sizeof nbufs / sizeof nbufs[0]; ++i)
    SGFBLO_TRY(R.ops->alloc(&R.bctx, nbufs[i], R.n));
  for (size_t i = 0; i < sizeof mbufs / sizeof mbufs[0]; ++i)
    SGFBLO_TRY(R.ops->alloc(&R.bctx, mbufs[i], R.m));
  if (set->log_path) SGFBLO_TRY(sgfblo_log_open(set->log_path, &R.log, err));
  SGFBLO_TRY(R.ops->from_host(&R.bctx, R.n, R.z, x));
  SGFBLO_TRY(R.ops->from_host(&R.bctx, R.m, R.z + R.n, y));
  started = 1;

  SGFBLO_TRY(report(&R, &stop));
  info->init_grad_g_norm = R.last.grad_g_norm;
  while (!stop) {
    if (R.iter >= set->max_iters ||
        (set->max_oracle_evals > 0 && R.orc.n_grad + R.orc.n_prod >= set->max_oracle_evals)) {
      info->exit_flag = SGFBLO_EXIT_MAX_STEPS;
      break;
    }
    SGFBLO_TRY(iterate(&R, &converged));
    if (converged) {
      info->exit_flag = SGFBLO_EXIT_CONVERGED;
      break;
    }
    SGFBLO_TRY(check_state(&R, info));
    if (R.iter % set->monitor_every == 0) SGFBLO_TRY(report(&R, &stop));
  }
  if (stop) info->exit_flag = SGFBLO_EXIT_INTERRUPTED;
  if (R.reported_iter != R.iter) {
    int ignored;
    SGFBLO_TRY(report(&R, &ignored));
  }
  /* The final summary holds the last computed direction (at the final iterate on CONVERGED,
     after that iterate was reported). */
  R.last.zdot_norm = R.last_dinf;
cleanup:
  if (st == SGFBLO_ERR_NONFINITE && started) info->exit_flag = SGFBLO_EXIT_NONFINITE;
  if (st != SGFBLO_OK && info->exit_flag != SGFBLO_EXIT_NONFINITE &&
      info->exit_flag != SGFBLO_EXIT_DIVERGED)
    info->exit_flag = SGFBLO_EXIT_ERROR;
  if (started) {
    /* Hand back the last accepted iterate on every return once the run has started. */
    sgfblo_status st2 = R.ops->to_host(&R.bctx, R.n, x, R.z);
    if (st2 == SGFBLO_OK) st2 = R.ops->to_host(&R.bctx, R.m, y, R.z + R.n);
    if (st == SGFBLO_OK) st = st2;
    info->last = R.last;
    info->last.n_rhs = R.iter;
    info->last.n_oracle = R.orc.n_grad + R.orc.n_prod;
    info->n_grad = R.orc.n_grad;
    info->n_prod = R.orc.n_prod;
    info->n_value = R.orc.n_value + R.n_h + R.mon.n_value;
    info->n_monitor_oracle = R.mon.n_grad + R.mon.n_prod;
    info->n_rejected = R.n_rejected;
    info->cg_iters = R.cg_iters;
    info->max_h_excess = R.max_h_excess;
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
