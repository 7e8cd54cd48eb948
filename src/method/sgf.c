/* Safe gradient flow (eq. SGF) with the dual (5):
     (J J^T) lambda = -(Jyx grad_x f + Hyy grad_y f - alpha grad_y g),  J J^T = Jyx Jyx^T + Hyy^2,
     xdot = -grad_x f - Jyx^T lambda,  ydot = -grad_y f - Hyy lambda.
   Cholesky variant: J J^T is formed (m x m) from the dense blocks and factored (potrf/potrs).
   CG variant: matrix-free, J J^T v = Jyx (Jyx^T v) + Hyy (Hyy v), warm-started from the
   previous lambda. */
#include <stdlib.h>

#include "core/error.h"
#include "method/linsolve.h"
#include "method/method.h"

typedef struct {
  int dense;
  sgfblo_real *gf;      /* (grad_x f, grad_y f), n+m */
  sgfblo_real *gy;      /* grad_y g, m */
  sgfblo_real *rhs;     /* right-hand side of (5), m */
  sgfblo_real *lambda;  /* dual variable, m (CG warm start) */
  sgfblo_real *tm, *tn; /* scratch, m and max(n, m) */
  /* dense variant */
  sgfblo_real *Hd, *Jd, *K; /* Hyy (m x m), Jyx (m x n), J J^T then its factor (m x m) */
  sgfblo_real *e;           /* unit vectors when the problem has no dense callbacks */
  sgfblo_cg_ws cg;
  const sgfblo_real *x, *y; /* point of the current CG operator */
} sgf_ws;

static void sgf_release(sgfblo_solver *s, void *vws) {
  sgf_ws *ws = vws;
  if (!ws) return;
  sgfblo_real *bufs[] = {ws->gf, ws->gy, ws->rhs, ws->lambda, ws->tm, ws->tn, ws->Hd, ws->Jd, ws->K, ws->e};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) s->ops->release(&s->bctx, bufs[i]);
  sgfblo_cg_ws_free(s, &ws->cg);
  free(ws);
}

static sgfblo_status sgf_setup_common(sgfblo_solver *s, void **out, int dense) {
  sgfblo_status st = SGFBLO_OK;
  const int64_t n = s->n, m = s->m, mx = n > m ? n : m;
  sgf_ws *ws = calloc(1, sizeof *ws);
  if (!ws) SGFBLO_FAIL(&s->err, SGFBLO_ERR_ALLOC, "out of host memory");
  ws->dense = dense;
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->gf, s->nz));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->gy, m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->rhs, m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->lambda, m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->tm, m));
  SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->tn, mx));
  if (dense) {
    SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->Hd, m * m));
    SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->Jd, m * n));
    SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->K, m * m));
    SGFBLO_TRY(s->ops->potrf_reserve(&s->bctx, m, ws->K));
    SGFBLO_TRY(s->ops->alloc(&s->bctx, &ws->e, mx));
  } else {
    SGFBLO_TRY(sgfblo_cg_ws_alloc(s, &ws->cg, m));
  }
  *out = ws;
  ws = NULL;
cleanup:
  sgf_release(s, ws);
  return st;
}

static sgfblo_status sgf_chol_setup(sgfblo_solver *s, void **out) { return sgf_setup_common(s, out, 1); }
static sgfblo_status sgf_cg_setup(sgfblo_solver *s, void **out) { return sgf_setup_common(s, out, 0); }

/* J J^T v = Jyx (Jyx^T v) + Hyy (Hyy v) at the point stored in the workspace; Jyx^T v and
   Hyy v from one fused call when the problem has it. */
static sgfblo_status apply_jjt(sgfblo_solver *s, void *data, const sgfblo_real *v, sgfblo_real *out) {
  sgfblo_status st = SGFBLO_OK;
  sgf_ws *ws = data;
  SGFBLO_TRY(sgfblo_oracle_curv(&s->orc, ws->x, ws->y, v, ws->tn, ws->tm));
  SGFBLO_TRY(sgfblo_oracle_jyx(&s->orc, ws->x, ws->y, ws->tn, out));
  SGFBLO_TRY(sgfblo_oracle_hyy(&s->orc, ws->x, ws->y, ws->tm, ws->tn));
  SGFBLO_TRY(s->ops->axpby(&s->bctx, s->m, 1.0, ws->tn, 1.0, out));
cleanup:
  return st;
}

static sgfblo_status sgf_rhs(sgfblo_solver *s, void *vws, const sgfblo_real *z, sgfblo_real *zdot,
                             double *d_h) {
  sgfblo_status st = SGFBLO_OK;
  sgf_ws *ws = vws;
  const sgfblo_ops *o = s->ops;
  sgfblo_bctx *b = &s->bctx;
  const int64_t n = s->n, m = s->m;
  const sgfblo_real *x = z, *y = z + n;
  SGFBLO_TRY(sgfblo_oracle_grad_f(&s->orc, x, y, ws->gf, ws->gf + n));
  SGFBLO_TRY(sgfblo_oracle_grad_g(&s->orc, x, y, NULL, ws->gy));
  SGFBLO_TRY(o->dot_dev(b, m, ws->gy, ws->gy, d_h));
  if (ws->dense) {
    /* Dense blocks, then K = Jd Jd^T + Hd Hd (Hd symmetric), factor in place. */
    SGFBLO_TRY(sgfblo_oracle_hyy_dense(&s->orc, o, b, x, y, ws->Hd, ws->e));
    SGFBLO_TRY(sgfblo_oracle_jyx_dense(&s->orc, o, b, x, y, ws->Jd, ws->e));
    /* rhs = -(Jd fx + Hd fy - alpha gy) */
    SGFBLO_TRY(o->copy(b, m, ws->gy, ws->rhs));
    SGFBLO_TRY(o->gemm(b, 0, 0, m, 1, n, -1.0, ws->Jd, m, ws->gf, n, s->set.alpha, ws->rhs, m));
    SGFBLO_TRY(o->gemm(b, 0, 0, m, 1, m, -1.0, ws->Hd, m, ws->gf + n, m, 1.0, ws->rhs, m));
    SGFBLO_TRY(o->gemm(b, 0, 1, m, m, n, 1.0, ws->Jd, m, ws->Jd, m, 0.0, ws->K, m));
    SGFBLO_TRY(o->gemm(b, 0, 0, m, m, m, 1.0, ws->Hd, m, ws->Hd, m, 1.0, ws->K, m));
    SGFBLO_TRY(o->potrf(b, m, ws->K));
    SGFBLO_TRY(o->copy(b, m, ws->rhs, ws->lambda));
    SGFBLO_TRY(o->potrs(b, m, ws->K, ws->lambda));
    /* xdot = -fx - Jd^T lambda, ydot = -fy - Hd lambda */
    SGFBLO_TRY(o->copy(b, s->nz, ws->gf, zdot));
    SGFBLO_TRY(o->gemm(b, 1, 0, n, 1, m, -1.0, ws->Jd, m, ws->lambda, m, -1.0, zdot, n));
    SGFBLO_TRY(o->gemm(b, 0, 0, m, 1, m, -1.0, ws->Hd, m, ws->lambda, m, -1.0, zdot + n, m));
  } else {
    SGFBLO_TRY(sgfblo_oracle_jyx(&s->orc, x, y, ws->gf, ws->rhs));
    SGFBLO_TRY(sgfblo_oracle_hyy(&s->orc, x, y, ws->gf + n, ws->tm));
    SGFBLO_TRY(o->lincomb(b, m, 3, (const double[]){-1.0, -1.0, s->set.alpha},
                          (const sgfblo_real *const[]){ws->rhs, ws->tm, ws->gy}, ws->rhs));
    ws->x = x;
    ws->y = y;
    SGFBLO_TRY(sgfblo_cg_solve(s, &ws->cg, apply_jjt, ws, ws->rhs, ws->lambda, s->set.cg_tol,
                               s->set.cg_maxit));
    SGFBLO_TRY(sgfblo_oracle_curv(&s->orc, x, y, ws->lambda, ws->tn, ws->tm));
    SGFBLO_TRY(o->lincomb(b, n, 2, (const double[]){-1.0, -1.0},
                          (const sgfblo_real *const[]){ws->gf, ws->tn}, zdot));
    SGFBLO_TRY(o->lincomb(b, m, 2, (const double[]){-1.0, -1.0},
                          (const sgfblo_real *const[]){ws->gf + n, ws->tm}, zdot + n));
  }
cleanup:
  return st;
}

/* Not graph-safe: potrf reads its status back, CG its scalars. */
const sgfblo_method_impl sgfblo_method_sgf_chol = {SGFBLO_METHOD_SGF_CHOL, sgf_chol_setup,
                                                   sgf_release, sgf_rhs, 0};
const sgfblo_method_impl sgfblo_method_sgf_cg = {SGFBLO_METHOD_SGF_CG, sgf_cg_setup, sgf_release,
                                                 sgf_rhs, 0};
