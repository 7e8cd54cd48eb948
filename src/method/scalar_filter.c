/* The flows whose safety filter has one scalar constraint on h = ||grad_y g||^2:
   inversion-free SGF (eq. 8) and relaxed RXGF (eq. RXGF). Per evaluation: grad f, then grad_y g
   with its two products (Jyx^T grad_y g, Hyy grad_y g), from shared passes when the problem
   fuses them (sgfblo_problem.grad_g_curv); then one fused filter op. */
#include <stdlib.h>

#include "core/error.h"
#include "method/method.h"

typedef struct {
  sgfblo_real *gf; /* (grad_x f, grad_y f), length n+m */
  sgfblo_real *q;  /* (Jyx^T grad_y g, Hyy grad_y g) = grad h / 2, length n+m */
  sgfblo_real *gy; /* grad_y g, length m */
} scalar_ws;

static void scalar_release(sgfblo_solver *s, void *vws) {
  scalar_ws *ws = vws;
  if (!ws) return;
  s->ops->release(&s->bctx, ws->gf);
  s->ops->release(&s->bctx, ws->q);
  s->ops->release(&s->bctx, ws->gy);
  free(ws);
}

static sgfblo_status scalar_setup(sgfblo_solver *s, void **out) {
  sgfblo_status st = SGFBLO_OK;
  scalar_ws *ws = calloc(1, sizeof *ws);
  if (!ws) SGFBLO_FAIL(&s->err, SGFBLO_ERR_ALLOC, "out of host memory");
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->gf, s->nz));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->q, s->nz));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->gy, s->m));
  *out = ws;
  ws = NULL;
cleanup:
  scalar_release(s, ws);
  return st;
}

/* Shared body; relaxed = 1 for RXGF ([.]_+ and eps), 0 for the inversion-free flow. */
static sgfblo_status scalar_rhs(sgfblo_solver *s, scalar_ws *ws, const sgfblo_real *z,
                                sgfblo_real *zdot, double *d_h, int relaxed) {
  sgfblo_status st = SGFBLO_OK;
  const int64_t n = s->n, m = s->m;
  const sgfblo_real *x = z, *y = z + n;
  SGFBLO_TRY(sgfblo_oracle_grad_f(&s->orc, x, y, ws->gf, ws->gf + n));
  SGFBLO_TRY(sgfblo_oracle_grad_g_curv(&s->orc, x, y, ws->gy, ws->q, ws->q + n));
  /* grad h = 2 q. The filter with q and alpha/2 gives the same velocity:
     [(-2 q'gf + alpha (h - eps^2)) / ||2q||^2] 2q = [(-q'gf + alpha/2 (h - eps^2)) / ||q||^2] q.
     It forms h = ||grad_y g||^2 into d_h in its own reduction (no separate dot). */
  const double eps2 = relaxed ? s->set.epsilon * s->set.epsilon : 0.0;
  SGFBLO_TRY(s->ops->safety_filter(&s->bctx, s->nz, ws->gf, ws->q, ws->gy, m, d_h,
                                   0.5 * s->set.alpha, eps2, relaxed, zdot, NULL));
cleanup:
  return st;
}

static sgfblo_status rxgf_rhs(sgfblo_solver *s, void *ws, const sgfblo_real *z, sgfblo_real *zdot,
                              double *d_h) {
  return scalar_rhs(s, ws, z, zdot, d_h, 1);
}

static sgfblo_status invfree_rhs(sgfblo_solver *s, void *ws, const sgfblo_real *z,
                                 sgfblo_real *zdot, double *d_h) {
  return scalar_rhs(s, ws, z, zdot, d_h, 0);
}

const sgfblo_method_impl sgfblo_method_rxgf = {SGFBLO_METHOD_RXGF, scalar_setup, scalar_release,
                                               rxgf_rhs, 1};
const sgfblo_method_impl sgfblo_method_invfree = {SGFBLO_METHOD_INVFREE, scalar_setup,
                                                  scalar_release, invfree_rhs, 1};
