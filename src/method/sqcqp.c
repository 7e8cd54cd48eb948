/* Sequential QCQP with a barrier line search (sgfblo_sqcqp.h): each iteration projects -grad f
   onto the ball the linearised, damped constraint on h = ||grad_y g||^2 - eps^2 defines
   (sqcqp_direction.c), then steps with a fixed tau0 on or outside the relaxed boundary and
   with a barrier + Armijo backtracking strictly inside. The iteration and its settings; the
   run around it (checks, buffers, loop, reports) is the discrete-method driver's
   (discrete.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/common.h"
#include "core/error.h"
#include "method/discrete.h"
#include "method/sqcqp_direction.h"
#include "problem/oracle.h"
#include "sgfblo/sgfblo.h"

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
  s->max_seconds = SGFBLO_SQCQP_DEFAULT_MAX_SECONDS;
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
  SGFBLO_CHECK_SECONDS(max_seconds);
  SGFBLO_CHECK(s->backend == SGFBLO_BACKEND_CPU || s->backend == SGFBLO_BACKEND_CUDA,
               "backend must be SGFBLO_BACKEND_CPU or SGFBLO_BACKEND_CUDA (got %d)",
               (int)s->backend);
  SGFBLO_CHECK(s->device_id >= 0, "device_id must be >= 0 (got %d)", s->device_id);
  SGFBLO_CHECK(s->tol >= 0 && isfinite(s->tol), "tol must be >= 0 (got %g)", s->tol);
  SGFBLO_CHECK_POS(div_limit);
  SGFBLO_CHECK(s->monitor_every >= 1, "monitor_every must be >= 1 (got %d)", s->monitor_every);
  SGFBLO_CHECK(s->monitor_hypergrad == 0 || s->monitor_hypergrad == 1,
        "monitor_hypergrad must be 0 or 1 (got %d)", s->monitor_hypergrad);
  return SGFBLO_OK;
}


/* Everything one run needs, allocated before the first iteration. The iterate is the
   driver's z = (x, y); the line search swaps it with its trial zt. */
typedef struct {
  sgfblo_discrete D; /* first: the driver's hooks cast back */
  const sgfblo_sqcqp_settings *set;
  double eps2;
  sgfblo_real *zt;       /* line-search trial, (x, y), length n + m */
  sgfblo_real *F;        /* grad f(z), both blocks */
  sgfblo_real *gy, *gyt; /* grad_y g at z and at zt */
  sgfblo_real *gh;       /* grad h(z) = 2 (Jyx^T gy, Hyy gy) */
  sgfblo_real *d;        /* direction */
  /* Monitoring: the hypergradient (2) by conjugate gradients. */
  sgfblo_real *mgx, *mfy, *mw, *cr, *cp, *cAp, *mjw;
  int mw_zero;         /* mw = 0 exactly: the CG residual needs no product */
  int have_gy, have_f; /* gy / fz hold the values at the current z */
  double hz, fz;       /* h(z), f(z) */
  int64_t n_h;        /* values of h in the line search */
  int64_t n_rejected; /* rejected line-search trials */
  int64_t cg_iters;   /* monitoring CG iterations */
  double last_tau, last_dinf, max_h_excess;
} sqcqp_run;

static void note_h(sqcqp_run *R, double h) {
  if (isnan(R->max_h_excess) || h > R->max_h_excess) R->max_h_excess = h;
}

/* ||F(x, y)|| of eq. (2): CG on Hyy w = grad_y f (warm start mw), then grad_x f - Jyx^T w.
   The result is NAN where CG does not reach its tolerance or meets a non-positive curvature. */
static sgfblo_status monitor_hypergrad(sqcqp_run *R, double *out) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_ops *o = R->D.ops;
  sgfblo_bctx *bc = &R->D.bctx;
  const int64_t n = R->D.n, m = R->D.m;
  const sgfblo_real *x = R->D.z, *y = R->D.z + n;
  double bb, rr, pAp, rr_new, FF;
  *out = NAN;
  SGFBLO_TRY(sgfblo_oracle_grad_f(&R->D.mon, x, y, R->mgx, R->mfy));
  SGFBLO_TRY(o->dot(bc, m, R->mfy, R->mfy, &bb));
  if (bb == 0.0) {
    SGFBLO_TRY(o->fill(bc, m, 0.0, R->mw));
    R->mw_zero = 1;
  } else {
    if (R->mw_zero) {
      SGFBLO_TRY(o->copy(bc, m, R->mfy, R->cr));
    } else {
      SGFBLO_TRY(sgfblo_oracle_hyy(&R->D.mon, x, y, R->mw, R->cAp));
      SGFBLO_TRY(o->lincomb(bc, m, 2, (const double[]){1.0, -1.0},
                            (const sgfblo_real *const[]){R->mfy, R->cAp}, R->cr));
    }
    SGFBLO_TRY(o->copy(bc, m, R->cr, R->cp));
    SGFBLO_TRY(o->dot(bc, m, R->cr, R->cr, &rr));
    const double target = SGFBLO_DEFAULT_CG_TOL * SGFBLO_DEFAULT_CG_TOL * bb;
    for (int it = 0; rr > target; ++it) {
      if (it == SGFBLO_DEFAULT_CG_MAXIT) goto cleanup; /* not converged: NAN */
      SGFBLO_TRY(sgfblo_oracle_hyy(&R->D.mon, x, y, R->cp, R->cAp));
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
  SGFBLO_TRY(sgfblo_oracle_jyxT(&R->D.mon, x, y, R->mw, R->mjw));
  SGFBLO_TRY(o->axpby(bc, n, -1.0, R->mjw, 1.0, R->mgx));
  SGFBLO_TRY(o->dot(bc, n, R->mgx, R->mgx, &FF));
  *out = sqrt(FF);
cleanup:
  return st;
}

/* h at (x, y) from one grad_g call into gy. */
static sgfblo_status eval_h(sqcqp_run *R, const sgfblo_real *z, sgfblo_real *gy, double *h) {
  sgfblo_status st = SGFBLO_OK;
  double gg;
  SGFBLO_TRY(sgfblo_oracle_grad_g(&R->D.orc, z, z + R->D.n, NULL, gy));
  SGFBLO_TRY(R->D.ops->dot(&R->D.bctx, R->D.m, gy, gy, &gg));
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
    SGFBLO_TRY(sgfblo_oracle_f(&R->D.orc, R->D.z, R->D.z + R->D.n, &R->fz));
    R->have_f = 1;
    if (!isfinite(R->fz))
      SGFBLO_FAIL(R->D.err, SGFBLO_ERR_NONFINITE, "SQCQP: f(z) = %g at iteration %lld", R->fz,
                  (long long)R->D.iter);
  }
  /* With h(z) < 0, d = 0 is strictly feasible and F'd <= -||d||^2 < 0; a slope that is not
     negative means d is below what the working precision resolves. */
  if (!(Fd < 0.0))
    SGFBLO_FAIL(R->D.err, SGFBLO_ERR_STEP_TOO_SMALL,
                "SQCQP: no descent direction at iteration %lld: F'd = %.3e >= 0 with ||d||_inf = "
                "%.3e (rounding); raise tol",
                (long long)R->D.iter, Fd, R->last_dinf);
  for (;;) {
    if (tau < set->tau_min) {
      /* Say whether the last trial failed by rounding alone: f moved by less than its own
         precision, so d is below what sgfblo_real resolves (tol too small for it). */
      const int rounding = barrier_ok && fabs(ft - R->fz) <= 8.0 * SGFBLO_REAL_EPSILON * fabs(R->fz);
      SGFBLO_FAIL(R->D.err, SGFBLO_ERR_STEP_TOO_SMALL,
                  "SQCQP: the line-search step fell below tau_min = %g at iteration %lld: at "
                  "the last trial tau = %g the barrier test h(z + tau d) = %.6e <= (1 - gamma) "
                  "h(z) = %.6e %s and the Armijo test f(z + tau d) = %.9e <= f(z) + sigma tau "
                  "F'd = %.9e %s (F'd = %.3e, ||d||_inf = %.3e); %s",
                  set->tau_min, (long long)R->D.iter, 2.0 * tau, ht, h_cap,
                  barrier_ok ? "held" : "failed", ft, R->fz + set->sigma * 2.0 * tau * Fd,
                  barrier_ok ? (armijo_ok ? "held" : "failed") : "was not evaluated", Fd,
                  R->last_dinf,
                  rounding ? "f changes at its rounding level only: the decrease the Armijo "
                             "test asks for at the steps the barrier allows is below the "
                             "precision of f (raise tol, or run in double)"
                           : "check that f_val agrees with grad_f and grad_g with the products");
    }
    SGFBLO_TRY(R->D.ops->lincomb(&R->D.bctx, R->D.nz, 2, (const double[]){1.0, tau},
                               (const sgfblo_real *const[]){R->D.z, R->d}, R->zt));
    SGFBLO_TRY(eval_h(R, R->zt, R->gyt, &ht));
    R->n_h++;
    barrier_ok = ht <= h_cap; /* false on NaN */
    armijo_ok = 0;
    ft = NAN;
    if (barrier_ok) {
      SGFBLO_TRY(sgfblo_oracle_f(&R->D.orc, R->zt, R->zt + R->D.n, &ft));
      /* Strict decrease too: a step lost to rounding (z + tau d == z) is never accepted. */
      armijo_ok = ft <= R->fz + set->sigma * tau * Fd && ft < R->fz;
    }
    if (barrier_ok && armijo_ok) break;
    R->n_rejected++;
    tau *= 0.5;
  }
  swap_ptr(&R->D.z, &R->zt);
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
static sgfblo_status iterate(sgfblo_discrete *D, int *converged) {
  sgfblo_status st = SGFBLO_OK;
  sqcqp_run *R = (sqcqp_run *)D;
  const sgfblo_ops *o = D->ops;
  sgfblo_bctx *bc = &D->bctx;
  const sgfblo_sqcqp_settings *set = R->set;
  const int64_t n = D->n;
  const sgfblo_real *x = D->z, *y = D->z + n;
  sgfblo_sqcqp_dir dir;
  double dinf;
  *converged = 0;
  SGFBLO_TRY(sgfblo_oracle_grad_f(&D->orc, x, y, R->F, R->F + n));
  if (!R->have_gy) {
    SGFBLO_TRY(eval_h(R, D->z, R->gy, &R->hz));
    R->have_gy = 1;
    if (D->iter > 0) note_h(R, R->hz);
  }
  SGFBLO_TRY(sgfblo_oracle_curv(&D->orc, x, y, R->gy, R->gh, R->gh + n));
  SGFBLO_TRY(o->axpby(bc, D->nz, 2.0, R->gh, 0.0, R->gh)); /* grad h = 2 J^T grad_y g */
  SGFBLO_TRY(sgfblo_sqcqp_direction_ops(o, bc, D->nz, R->F, R->gh, -set->alpha * R->hz, set->w,
                                        D->sc, R->d, &dir));
  dinf = dir.dinf;
  R->last_dinf = dinf;
  if (!isfinite(dinf) || !isfinite(R->hz))
    SGFBLO_FAIL(D->err, SGFBLO_ERR_NONFINITE,
                "SQCQP: the direction is not finite at iteration %lld (h(z) = %g): grad_f, "
                "grad_g or a product returned NaN/Inf",
                (long long)D->iter, R->hz);
  const int feasible = dir.kase != SGFBLO_SQCQP_INFEASIBLE;
  if (feasible && dinf <= set->tol) {
    *converged = 1;
    goto cleanup;
  }
  if (!feasible || R->hz >= -set->delta) {
    /* On or outside the relaxed boundary, or no feasible direction: the fixed step. */
    SGFBLO_TRY(o->axpby(bc, D->nz, set->tau0, R->d, 1.0, D->z));
    R->have_gy = 0;
    R->have_f = 0;
    R->last_tau = set->tau0;
  } else {
    SGFBLO_TRY(line_search(R, dir.Fd));
  }
  D->iter++;
cleanup:
  return st;
}

/* The report's fields that are SQCQP's own; h at a report after the start counts towards
   max_h_excess. */
static sgfblo_status progress(sgfblo_discrete *D, double gg, sgfblo_progress *p) {
  sgfblo_status st = SGFBLO_OK;
  sqcqp_run *R = (sqcqp_run *)D;
  double hg = NAN;
  if (D->iter > 0) note_h(R, gg - R->eps2);
  if (R->set->monitor_hypergrad) SGFBLO_TRY(monitor_hypergrad(R, &hg));
  p->dt = R->last_tau;
  p->hypergrad_norm = hg;
  p->zdot_norm = R->last_dinf;
cleanup:
  return st;
}

static sgfblo_status validate(sgfblo_discrete *D, sgfblo_errmsg *err) {
  sqcqp_run *R = (sqcqp_run *)D;
  const sgfblo_sqcqp_settings *set = R->set;
  if (!set) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "SQCQP: settings is NULL");
  const sgfblo_status st =
      sgfblo_sqcqp_settings_validate(set, err ? err->msg : NULL, err ? sizeof err->msg : 0);
  D->lim = SGFBLO_DISCRETE_LIMITS_OF(set);
  R->eps2 = set->epsilon * set->epsilon;
  return st;
}

static sgfblo_status setup(sgfblo_discrete *D) {
  sgfblo_status st = SGFBLO_OK;
  sqcqp_run *R = (sqcqp_run *)D;
  sgfblo_real **zbufs[] = {&R->zt, &R->F, &R->gh, &R->d};
  sgfblo_real **nbufs[] = {&R->mgx, &R->mjw};
  sgfblo_real **mbufs[] = {&R->gy, &R->gyt, &R->mfy, &R->mw, &R->cr, &R->cp, &R->cAp};
  R->mw_zero = 1;
  R->last_tau = NAN;
  R->last_dinf = NAN;
  R->max_h_excess = NAN;
  for (size_t i = 0; i < sizeof zbufs / sizeof zbufs[0]; ++i)
    SGFBLO_TRY(sgfblo_discrete_alloc(D, zbufs[i], D->nz));
  for (size_t i = 0; i < sizeof nbufs / sizeof nbufs[0]; ++i)
    SGFBLO_TRY(sgfblo_discrete_alloc(D, nbufs[i], D->n));
  for (size_t i = 0; i < sizeof mbufs / sizeof mbufs[0]; ++i)
    SGFBLO_TRY(sgfblo_discrete_alloc(D, mbufs[i], D->m));
cleanup:
  return st;
}

/* The final summary holds the last computed direction (at the final iterate on CONVERGED,
   after that iterate was reported). */
static void ended(sgfblo_discrete *D) { D->last.zdot_norm = ((const sqcqp_run *)D)->last_dinf; }

static void finish(sgfblo_discrete *D, sgfblo_info *info) {
  const sqcqp_run *R = (const sqcqp_run *)D;
  info->n_value += R->n_h;
  info->n_monitor_oracle = D->mon.n_grad + D->mon.n_prod;
  info->n_rejected = R->n_rejected;
  info->cg_iters = R->cg_iters;
  info->max_h_excess = R->max_h_excess;
}

static const sgfblo_discrete_method SQCQP = {.name = "SQCQP",
                                             .hint = "reduce tau0",
                                             .validate = validate,
                                             .setup = setup,
                                             .iterate = iterate,
                                             .progress = progress,
                                             .ended = ended,
                                             .finish = finish};

sgfblo_status sgfblo_sqcqp_run(const sgfblo_problem *p, const sgfblo_sqcqp_settings *set,
                               sgfblo_real *x, sgfblo_real *y, sgfblo_info *info,
                               sgfblo_errmsg *err) {
  sqcqp_run R;
  memset(&R, 0, sizeof R);
  R.D.method = &SQCQP;
  R.set = set;
  return sgfblo_discrete_run(&R.D, p, x, y, info, err);
}
