#include "method/linsolve.h"

#include <math.h>
#include <stdlib.h>

#include "core/error.h"

sgfblo_status sgfblo_cg_ws_alloc(sgfblo_solver *s, sgfblo_cg_ws *ws, int64_t len) {
  sgfblo_status st = SGFBLO_OK;
  ws->len = len;
  ws->r = ws->p = ws->Ap = NULL;
  ws->c = NULL;
  /* Reading a backend scalar is free on the host and a synchronisation on a device. */
  ws->read_every = s->ops->mem == SGFBLO_MEM_HOST ? 1 : SGFBLO_CG_DEVICE_READ_EVERY;
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->r, len));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->p, len));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->Ap, len));
  SGFBLO_TRY(s->ops->scalars_alloc(&s->bctx, &ws->c, SGFBLO_CG_NSC));
cleanup:
  return st;
}

void sgfblo_cg_ws_free(sgfblo_solver *s, sgfblo_cg_ws *ws) {
  if (!ws) return;
  s->ops->release(&s->bctx, ws->r);
  s->ops->release(&s->bctx, ws->p);
  s->ops->release(&s->bctx, ws->Ap);
  if (ws->c) s->ops->scalars_release(&s->bctx, ws->c);
  ws->r = ws->p = ws->Ap = NULL;
  ws->c = NULL;
}

/* The iterations of a burst of `burst` that ended at iteration `it` (state h) which the CPU,
   reading after every iteration, would also have run. */
static int useful_in_burst(const double *h, int it, int burst) {
  const int useful = (int)sgfblo_cg_counted_iters(h, it) - (it - burst);
  return useful < 0 ? 0 : (useful > burst ? burst : useful);
}

/* Take the oracle calls of a burst's idle iterations off the counts: each iteration made the
   same calls, (after - before) / burst of them. */
static void uncount_tail(sgfblo_solver *s, int64_t grad0, int64_t prod0, int burst, int useful) {
  if (useful >= burst) return;
  s->orc.n_grad -= (s->orc.n_grad - grad0) / burst * (burst - useful);
  s->orc.n_prod -= (s->orc.n_prod - prod0) / burst * (burst - useful);
}

/* The iteration keeps its scalars (alpha, beta, the residual, the stop state) on the backend;
   the host reads them every ws->read_every iterations to decide whether to go on. Iterations
   run after convergence in the same burst change nothing (the updates test the state); their
   products are evaluated but taken off the counts (uncount_tail), so that budgets and reports
   do not depend on the backend. */
sgfblo_status sgfblo_cg_solve(sgfblo_solver *s, sgfblo_cg_ws *ws, sgfblo_linop_fn apply,
                              void *data, const sgfblo_real *b, sgfblo_real *x, double tol,
                              int maxit) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_ops *o = s->ops;
  sgfblo_bctx *bc = &s->bctx;
  const int64_t n = ws->len;
  double *c = ws->c, h[SGFBLO_CG_NSC] = {0};
  SGFBLO_TRY(o->dot_dev(bc, n, b, b, c + SGFBLO_CG_BB));
  /* r = b - A x (warm start), p = r */
  SGFBLO_TRY(apply(s, data, x, ws->Ap));
  SGFBLO_TRY(o->lincomb(bc, n, 2, (const double[]){1.0, -1.0},
                        (const sgfblo_real *const[]){b, ws->Ap}, ws->r));
  SGFBLO_TRY(o->copy(bc, n, ws->r, ws->p));
  SGFBLO_TRY(o->dot_dev(bc, n, ws->r, ws->r, c + SGFBLO_CG_RR));
  SGFBLO_TRY(o->cg_start(bc, tol * tol, c));
  SGFBLO_TRY(o->scalars_read(bc, SGFBLO_CG_NSC, c, h));
  if (h[SGFBLO_CG_STATE] == SGFBLO_CG_STATE_ZERO_RHS) {
    SGFBLO_TRY(o->fill(bc, n, 0.0, x));
    goto cleanup;
  }
  int it = 0;
  while (h[SGFBLO_CG_STATE] == SGFBLO_CG_STATE_RUNNING) {
    if (it >= maxit)
      SGFBLO_FAIL(&s->err, SGFBLO_ERR_NOT_CONVERGED,
                  "conjugate gradients did not reach relative residual %.1e in %d iterations "
                  "(reached %.3e); raise cg_maxit or cg_tol",
                  tol, maxit, sqrt(h[SGFBLO_CG_RR] / h[SGFBLO_CG_BB]));
    const int burst = ws->read_every < maxit - it ? ws->read_every : maxit - it;
    const int64_t grad0 = s->orc.n_grad, prod0 = s->orc.n_prod;
    for (int k = 0; k < burst; ++k) {
      SGFBLO_TRY(apply(s, data, ws->p, ws->Ap));
      SGFBLO_TRY(o->dot_dev(bc, n, ws->p, ws->Ap, c + SGFBLO_CG_PAP));
      SGFBLO_TRY(o->cg_update_xr(bc, n, c, ws->p, ws->Ap, x, ws->r));
      SGFBLO_TRY(o->dot_dev(bc, n, ws->r, ws->r, c + SGFBLO_CG_RR_NEW));
      SGFBLO_TRY(o->cg_update_p(bc, n, c, ws->r, ws->p));
    }
    it += burst;
    SGFBLO_TRY(o->scalars_read(bc, SGFBLO_CG_NSC, c, h));
    uncount_tail(s, grad0, prod0, burst, useful_in_burst(h, it, burst));
  }
  if (h[SGFBLO_CG_STATE] == SGFBLO_CG_STATE_CURVATURE) {
    const double pAp = h[SGFBLO_CG_PAP];
    SGFBLO_FAIL(&s->err, isfinite(pAp) ? SGFBLO_ERR_NOT_SPD : SGFBLO_ERR_NONFINITE,
                "conjugate gradients met curvature p'Ap = %g: the operator is not positive "
                "definite here",
                pAp);
  }
cleanup:
  if (st == SGFBLO_OK || st == SGFBLO_ERR_NOT_CONVERGED) s->info.cg_iters += (int64_t)h[SGFBLO_CG_ITERS];
  return st;
}

sgfblo_status sgfblo_hyy_solver_alloc(sgfblo_solver *s, sgfblo_hyy_solver *hs, int use_chol) {
  sgfblo_status st = SGFBLO_OK;
  const int64_t mx = s->n > s->m ? s->n : s->m;
  hs->use_chol = use_chol;
  hs->L = hs->e = NULL;
  hs->cg = (sgfblo_cg_ws){0};
  if (use_chol) {
    SGFBLO_TRY(s->ops->alloc(&s->bctx, &hs->L, s->m * s->m));
    SGFBLO_TRY(s->ops->potrf_reserve(&s->bctx, s->m, hs->L));
    SGFBLO_TRY(s->ops->alloc(&s->bctx, &hs->e, mx));
  } else {
    SGFBLO_TRY(sgfblo_cg_ws_alloc(s, &hs->cg, s->m));
  }
cleanup:
  return st;
}

void sgfblo_hyy_solver_free(sgfblo_solver *s, sgfblo_hyy_solver *hs) {
  if (!hs) return;
  s->ops->release(&s->bctx, hs->L);
  s->ops->release(&s->bctx, hs->e);
  sgfblo_cg_ws_free(s, &hs->cg);
  hs->L = hs->e = NULL;
}

typedef struct {
  const sgfblo_real *x, *y;
} at_point;

static sgfblo_status apply_hyy(sgfblo_solver *s, void *data, const sgfblo_real *v, sgfblo_real *out) {
  const at_point *pt = data;
  return sgfblo_oracle_hyy(&s->orc, pt->x, pt->y, v, out);
}

sgfblo_status sgfblo_hyy_solve(sgfblo_solver *s, sgfblo_hyy_solver *hs, const sgfblo_real *x,
                               const sgfblo_real *y, const sgfblo_real *rhs, sgfblo_real *w,
                               int same_point) {
  sgfblo_status st = SGFBLO_OK;
  if (hs->use_chol) {
    if (!same_point) {
      SGFBLO_TRY(sgfblo_oracle_hyy_dense(&s->orc, s->ops, &s->bctx, x, y, hs->L, hs->e));
      SGFBLO_TRY(s->ops->potrf(&s->bctx, s->m, hs->L));
    }
    SGFBLO_TRY(s->ops->copy(&s->bctx, s->m, rhs, w));
    SGFBLO_TRY(s->ops->potrs(&s->bctx, s->m, hs->L, w));
  } else {
    at_point pt = {x, y};
    SGFBLO_TRY(sgfblo_cg_solve(s, &hs->cg, apply_hyy, &pt, rhs, w, s->set.cg_tol, s->set.cg_maxit));
  }
cleanup:
  return st;
}

sgfblo_status sgfblo_hypergrad(sgfblo_solver *s, sgfblo_hyy_solver *hs, const sgfblo_real *z,
                               sgfblo_real *gx, sgfblo_real *gy, sgfblo_real *w,
                               sgfblo_real *tmp_n) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_real *x = z, *y = z + s->n;
  SGFBLO_TRY(sgfblo_oracle_grad_f(&s->orc, x, y, gx, gy));
  SGFBLO_TRY(sgfblo_hyy_solve(s, hs, x, y, gy, w, 0));
  SGFBLO_TRY(sgfblo_oracle_jyxT(&s->orc, x, y, w, tmp_n));
  SGFBLO_TRY(s->ops->axpby(&s->bctx, s->n, -1.0, tmp_n, 1.0, gx));
cleanup:
  return st;
}
