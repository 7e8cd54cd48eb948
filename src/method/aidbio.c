/* AID-BiO (Ji, Yang, Liang 2021), the discrete baseline of MATH.md: D gradient steps on y,
   K warm-started CG steps on Hyy w = grad_y f, then x <- x - beta_out (grad_x f - Jyx^T w).
   The iteration and its settings; the run around it (checks, buffers, loop, reports) is
   the discrete-method driver's (discrete.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backend/cg_scalars.h"
#include "core/common.h"
#include "core/error.h"
#include "method/discrete.h"
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
  s->max_seconds = SGFBLO_AIDBIO_DEFAULT_MAX_SECONDS;
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
  SGFBLO_CHECK_SECONDS(max_seconds);
  SGFBLO_CHECK(s->backend == SGFBLO_BACKEND_CPU || s->backend == SGFBLO_BACKEND_CUDA,
               "backend must be SGFBLO_BACKEND_CPU or SGFBLO_BACKEND_CUDA (got %d)",
               (int)s->backend);
  SGFBLO_CHECK(s->device_id >= 0, "device_id must be >= 0 (got %d)", s->device_id);
  SGFBLO_CHECK_POS(div_limit);
  SGFBLO_CHECK(s->monitor_every >= 1, "monitor_every must be >= 1 (got %d)", s->monitor_every);
  return SGFBLO_OK;
}


/* Everything one run needs, allocated before the first iteration. The iterate is the
   driver's z: x = z, y = z + n. */
typedef struct {
  sgfblo_discrete D;       /* first: the driver's hooks cast back */
  const sgfblo_aidbio_settings *set;
  sgfblo_real *y_prev;     /* y at the start of the iteration, for ||z_{k+1} - z_k|| */
  sgfblo_real *gy;         /* grad_y g (inner steps) */
  sgfblo_real *fx, *fy;    /* grad_x f, then F; grad_y f (the CG right-hand side) */
  sgfblo_real *w;          /* CG iterate, warm start across iterations */
  sgfblo_real *r, *pd, *Ap; /* CG residual, direction, product */
  sgfblo_real *jw;         /* Jyx^T w */
  int w_is_zero;           /* w = 0 exactly: the residual needs no product */
  int64_t cg_iters;
} aidbio_run;

/* The CG scalars live in the driver's backend scalars, then what an iteration reports: ||F||^2
   and the two halves of ||z_{k+1} - z_k||_inf, read by the driver's check with its own. */
enum { AIDBIO_SC_F2 = SGFBLO_CG_NSC, AIDBIO_SC_DY, AIDBIO_SC_FMAX, AIDBIO_SC_END };
_Static_assert(AIDBIO_SC_END <= SGFBLO_DISCRETE_SC_METHOD, "AID-BiO's scalars must fit D->sc");

/* K steps of conjugate gradients on Hyy(x, y) w = b (b = grad_y f in R->fy), warm start w.
   The scalars (b'b, r'r, p'Ap, the stop state) stay on the backend and the updates are the
   flows' CG ops (linsolve.c), which stop changing w once the residual reaches its floor: on a
   device the K steps run without a round trip to the host and the state is read once at the
   end; on the CPU, where a read is free, after every step, so that no product is spent past
   the floor. (On a device the warm-start product is made even when b = 0, which the CPU
   skips; w = 0 either way, and the counts are the CPU's: see below.) */
static sgfblo_status cg_steps(aidbio_run *R) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_discrete *D = &R->D;
  const sgfblo_ops *o = D->ops;
  sgfblo_bctx *bc = &D->bctx;
  const int64_t m = D->m;
  const sgfblo_real *x = D->z, *y = D->z + D->n;
  const int host = o->mem == SGFBLO_MEM_HOST;
  double *c = D->sc, h[SGFBLO_CG_NSC] = {0};
  /* Below this relative residual further steps only amplify rounding (and 0/0 would follow). */
  const double floor_rel = 4.0 * SGFBLO_REAL_EPSILON;
  SGFBLO_TRY(o->dot_dev(bc, m, R->fy, R->fy, c + SGFBLO_CG_BB));
  if (host) SGFBLO_TRY(o->scalars_read(bc, SGFBLO_CG_NSC, c, h));
  if (host && h[SGFBLO_CG_BB] == 0.0) { /* the solution is w = 0: no product needed */
    SGFBLO_TRY(o->fill(bc, m, 0.0, R->w));
    R->w_is_zero = 1;
    goto cleanup;
  }
  const int warm_product = !R->w_is_zero;
  if (R->w_is_zero) {
    SGFBLO_TRY(o->copy(bc, m, R->fy, R->r));
  } else {
    SGFBLO_TRY(sgfblo_oracle_hyy(&D->orc, x, y, R->w, R->Ap));
    SGFBLO_TRY(o->lincomb(bc, m, 2, (const double[]){1.0, -1.0},
                          (const sgfblo_real *const[]){R->fy, R->Ap}, R->r));
  }
  SGFBLO_TRY(o->copy(bc, m, R->r, R->pd));
  SGFBLO_TRY(o->dot_dev(bc, m, R->r, R->r, c + SGFBLO_CG_RR));
  SGFBLO_TRY(o->cg_start(bc, floor_rel * floor_rel, c));
  if (host) SGFBLO_TRY(o->scalars_read(bc, SGFBLO_CG_NSC, c, h));
  for (int it = 0; it < R->set->cg_steps; ++it) {
    if (host && h[SGFBLO_CG_STATE] != SGFBLO_CG_STATE_RUNNING) break;
    SGFBLO_TRY(sgfblo_oracle_hyy(&D->orc, x, y, R->pd, R->Ap));
    SGFBLO_TRY(o->dot_dev(bc, m, R->pd, R->Ap, c + SGFBLO_CG_PAP));
    SGFBLO_TRY(o->cg_update_xr(bc, m, c, R->pd, R->Ap, R->w, R->r));
    SGFBLO_TRY(o->dot_dev(bc, m, R->r, R->r, c + SGFBLO_CG_RR_NEW));
    SGFBLO_TRY(o->cg_update_p(bc, m, c, R->r, R->pd));
    if (host) SGFBLO_TRY(o->scalars_read(bc, SGFBLO_CG_NSC, c, h));
  }
  if (!host) {
    SGFBLO_TRY(o->scalars_read(bc, SGFBLO_CG_NSC, c, h));
    /* The device made every product; those past the floor (or of a zero right-hand side)
       changed nothing. Count what the CPU, which stops there, counts, so that budgets and
       reports do not depend on the backend. */
    const int64_t steps = R->set->cg_steps;
    D->orc.n_prod -= steps - (int64_t)sgfblo_cg_counted_iters(h, (double)steps);
    if (h[SGFBLO_CG_STATE] == SGFBLO_CG_STATE_ZERO_RHS && warm_product) D->orc.n_prod -= 1;
  }
  if (h[SGFBLO_CG_STATE] == SGFBLO_CG_STATE_ZERO_RHS) {
    SGFBLO_TRY(o->fill(bc, m, 0.0, R->w));
    R->w_is_zero = 1;
    goto cleanup;
  }
  R->cg_iters += (int64_t)h[SGFBLO_CG_ITERS];
  if (h[SGFBLO_CG_ITERS] > 0) R->w_is_zero = 0;
  const double pAp = h[SGFBLO_CG_PAP];
  if (h[SGFBLO_CG_STATE] == SGFBLO_CG_STATE_CURVATURE)
    SGFBLO_FAIL(D->err, isfinite(pAp) ? SGFBLO_ERR_NOT_SPD : SGFBLO_ERR_NONFINITE,
                "AID-BiO: conjugate gradients met curvature p'Hyy p = %g at iteration %lld: "
                "Hyy is not positive definite here",
                pAp, (long long)D->iter);
cleanup:
  return st;
}

/* One outer iteration: (x_k, y_k, w_k) -> (x_{k+1}, y_{k+1}, w_{k+1}). AID-BiO has no
   stationarity test of its own. */
static sgfblo_status iterate(sgfblo_discrete *D, int *converged) {
  sgfblo_status st = SGFBLO_OK;
  aidbio_run *R = (aidbio_run *)D;
  const sgfblo_ops *o = D->ops;
  sgfblo_bctx *bc = &D->bctx;
  const sgfblo_aidbio_settings *set = R->set;
  sgfblo_real *x = D->z, *y = D->z + D->n;
  double *sc = D->sc;
  *converged = 0;
  SGFBLO_TRY(o->copy(bc, D->m, y, R->y_prev));
  for (int d = 0; d < set->inner_steps; ++d) {
    SGFBLO_TRY(sgfblo_oracle_grad_g(&D->orc, x, y, NULL, R->gy));
    SGFBLO_TRY(o->axpby(bc, D->m, -set->beta_in, R->gy, 1.0, y));
  }
  SGFBLO_TRY(sgfblo_oracle_grad_f(&D->orc, x, y, R->fx, R->fy));
  SGFBLO_TRY(cg_steps(R));
  SGFBLO_TRY(sgfblo_oracle_jyxT(&D->orc, x, y, R->w, R->jw));
  SGFBLO_TRY(o->axpby(bc, D->n, -1.0, R->jw, 1.0, R->fx)); /* F = grad_x f - Jyx^T w, eq. (2) */
  SGFBLO_TRY(o->axpby(bc, D->n, -set->beta_out, R->fx, 1.0, x));
  /* Left on the backend for the driver's read: ||F||^2, and ||z_{k+1} - z_k||_inf from the
     x block's move beta_out F and the y block's y - y_prev. */
  SGFBLO_TRY(o->dot_dev(bc, D->n, R->fx, R->fx, sc + AIDBIO_SC_F2));
  SGFBLO_TRY(o->axpby(bc, D->m, 1.0, y, -1.0, R->y_prev));
  SGFBLO_TRY(o->nrminf_dev(bc, D->m, R->y_prev, sc + AIDBIO_SC_DY));
  SGFBLO_TRY(o->nrminf_dev(bc, D->n, R->fx, sc + AIDBIO_SC_FMAX));
  D->iter++;
cleanup:
  return st;
}

/* The report's fields that are AID-BiO's own: one iteration is one unit of t. The last
   iteration's scalars, as the driver's check after it read them. */
static sgfblo_status progress(sgfblo_discrete *D, double gg, sgfblo_progress *p) {
  const aidbio_run *R = (const aidbio_run *)D;
  const double *h = D->sc_host;
  (void)gg;
  p->dt = 1.0;
  p->hypergrad_norm = NAN;
  p->zdot_norm = NAN;
  if (D->iter > 0) {
    p->hypergrad_norm = sqrt(h[AIDBIO_SC_F2]);
    const double dz = fmax(h[AIDBIO_SC_DY], R->set->beta_out * h[AIDBIO_SC_FMAX]);
    p->zdot_norm = isnan(dz) ? INFINITY : dz;
  }
  return SGFBLO_OK;
}

static sgfblo_status validate(sgfblo_discrete *D, sgfblo_errmsg *err) {
  const sgfblo_aidbio_settings *set = ((aidbio_run *)D)->set;
  if (!set) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "AID-BiO: settings is NULL");
  const sgfblo_status st = sgfblo_aidbio_settings_validate(set, err ? err->msg : NULL,
                                                           err ? sizeof err->msg : 0);
  D->lim = SGFBLO_DISCRETE_LIMITS_OF(set);
  return st;
}

static sgfblo_status setup(sgfblo_discrete *D) {
  sgfblo_status st = SGFBLO_OK;
  aidbio_run *R = (aidbio_run *)D;
  sgfblo_real **nbufs[] = {&R->fx, &R->jw};
  sgfblo_real **mbufs[] = {&R->y_prev, &R->gy, &R->fy, &R->w, &R->r, &R->pd, &R->Ap};
  R->w_is_zero = 1;
  for (size_t i = 0; i < sizeof nbufs / sizeof nbufs[0]; ++i)
    SGFBLO_TRY(sgfblo_discrete_alloc(D, nbufs[i], D->n));
  for (size_t i = 0; i < sizeof mbufs / sizeof mbufs[0]; ++i)
    SGFBLO_TRY(sgfblo_discrete_alloc(D, mbufs[i], D->m));
cleanup:
  return st;
}

static void finish(sgfblo_discrete *D, sgfblo_info *info) {
  info->cg_iters = ((const aidbio_run *)D)->cg_iters;
}

static const sgfblo_discrete_method AIDBIO = {.name = "AID-BiO",
                                              .hint = "reduce beta_in or beta_out",
                                              .validate = validate,
                                              .setup = setup,
                                              .iterate = iterate,
                                              .progress = progress,
                                              .ended = NULL,
                                              .finish = finish};

sgfblo_status sgfblo_aidbio_run(const sgfblo_problem *p, const sgfblo_aidbio_settings *set,
                                sgfblo_real *x, sgfblo_real *y, sgfblo_info *info,
                                sgfblo_errmsg *err) {
  aidbio_run R;
  memset(&R, 0, sizeof R);
  R.D.method = &AIDBIO;
  R.set = set;
  return sgfblo_discrete_run(&R.D, p, x, y, info, err);
}
