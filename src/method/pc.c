/* Prediction-correction (Appendix B, eq. 21) and continuous-time STABLE:
     PC:     xdot = -F(x, y),        ydot = -Hyy^{-1} [beta grad_y g + Jyx xdot]
     STABLE: xdot = -mu1 F(x, y),    ydot = -mu2 grad_y g - Hyy^{-1} Jyx xdot
   with F = grad_x f - Jyx^T w, Hyy w = grad_y f (2). Solves with Hyy by CG or Cholesky
   (settings.linsolve); the second solve reuses the factor of the first. */
#include <stdlib.h>

#include "core/error.h"
#include "method/linsolve.h"
#include "method/method.h"

typedef struct {
  sgfblo_hyy_solver hs;
  sgfblo_real *gx, *fy, *w; /* grad_x f -> F (n), grad_y f (m), Hyy^{-1} grad_y f (m) */
  sgfblo_real *gy, *r, *v;  /* grad_y g, right-hand side and solution of the y solve (m) */
  sgfblo_real *tn;          /* scratch (n) */
} pc_ws;

static void pc_release(sgfblo_solver *s, void *vws) {
  pc_ws *ws = vws;
  if (!ws) return;
  sgfblo_hyy_solver_free(s, &ws->hs);
  sgfblo_real *bufs[] = {ws->gx, ws->fy, ws->w, ws->gy, ws->r, ws->v, ws->tn};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) s->ops->release(&s->bctx, bufs[i]);
  free(ws);
}

static sgfblo_status pc_setup(sgfblo_solver *s, void **out) {
  sgfblo_status st = SGFBLO_OK;
  pc_ws *ws = calloc(1, sizeof *ws);
  if (!ws) SGFBLO_FAIL(&s->err, SGFBLO_ERR_ALLOC, "out of host memory");
  SGFBLO_TRY(sgfblo_hyy_solver_alloc(s, &ws->hs, s->set.linsolve == SGFBLO_LINSOLVE_CHOL));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->gx, s->n));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->tn, s->n));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->fy, s->m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->w, s->m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->gy, s->m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->r, s->m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->v, s->m));
  *out = ws;
  ws = NULL;
cleanup:
  pc_release(s, ws);
  return st;
}

/* stable = 0: PC with beta; stable = 1: STABLE with mu1, mu2. */
static sgfblo_status pc_rhs_common(sgfblo_solver *s, pc_ws *ws, const sgfblo_real *z,
                                   sgfblo_real *zdot, double *d_h, int stable) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_ops *o = s->ops;
  sgfblo_bctx *b = &s->bctx;
  const int64_t n = s->n, m = s->m;
  const sgfblo_real *x = z, *y = z + n;
  SGFBLO_TRY(sgfblo_hypergrad(s, &ws->hs, z, ws->gx, ws->fy, ws->w, ws->tn));
  SGFBLO_TRY(o->axpby(b, n, stable ? -s->set.mu1 : -1.0, ws->gx, 0.0, zdot)); /* xdot */
  SGFBLO_TRY(sgfblo_oracle_grad_g(&s->orc, x, y, NULL, ws->gy));
  SGFBLO_TRY(o->dot_dev(b, m, ws->gy, ws->gy, d_h));
  SGFBLO_TRY(sgfblo_oracle_jyx(&s->orc, x, y, zdot, ws->r)); /* Jyx xdot */
  if (!stable) SGFBLO_TRY(o->axpby(b, m, s->set.beta, ws->gy, 1.0, ws->r));
  SGFBLO_TRY(sgfblo_hyy_solve(s, &ws->hs, x, y, ws->r, ws->v, 1));
  if (stable)
    SGFBLO_TRY(o->lincomb(b, m, 2, (const double[]){-s->set.mu2, -1.0},
                          (const sgfblo_real *const[]){ws->gy, ws->v}, zdot + n));
  else
    SGFBLO_TRY(o->axpby(b, m, -1.0, ws->v, 0.0, zdot + n));
cleanup:
  return st;
}

static sgfblo_status pc_rhs(sgfblo_solver *s, void *ws, const sgfblo_real *z, sgfblo_real *zdot,
                            double *d_h) {
  return pc_rhs_common(s, ws, z, zdot, d_h, 0);
}

static sgfblo_status stable_rhs(sgfblo_solver *s, void *ws, const sgfblo_real *z,
                                sgfblo_real *zdot, double *d_h) {
  return pc_rhs_common(s, ws, z, zdot, d_h, 1);
}

/* Not graph-safe: the Hyy solves read CG scalars or a factorisation's status back. */
const sgfblo_method_impl sgfblo_method_pc = {SGFBLO_METHOD_PC, pc_setup, pc_release, pc_rhs, 0};
const sgfblo_method_impl sgfblo_method_stable = {SGFBLO_METHOD_STABLE, pc_setup, pc_release,
                                                 stable_rhs, 0};
