/* Linear solves the methods share: conjugate gradients on any SPD operator given by products,
   and solves with the lower-level Hessian Hyy (CG or Cholesky of the formed matrix). */
#ifndef SGFBLO_METHOD_LINSOLVE_H
#define SGFBLO_METHOD_LINSOLVE_H

#include "core/solver_impl.h"

/** out = A v for an SPD operator A of size len (backend memory). */
typedef sgfblo_status (*sgfblo_linop_fn)(sgfblo_solver *s, void *data, const sgfblo_real *v,
                                         sgfblo_real *out);

/** Iterations between two reads of the CG scalars on a device backend: each read waits for
    the stream, and at most this many - 1 iterations run past convergence (no-ops that still
    evaluate one product each). */
#define SGFBLO_CG_DEVICE_READ_EVERY 8

/** CG scratch: three vectors of length len and the backend scalars of the iteration. */
typedef struct {
  int64_t len;
  sgfblo_real *r, *p, *Ap;
  double *c;      /* SGFBLO_CG_NSC backend scalars (backend/cg_scalars.h) */
  int read_every; /* iterations per host read: 1 on the CPU, SGFBLO_CG_DEVICE_READ_EVERY else */
} sgfblo_cg_ws;

sgfblo_status sgfblo_cg_ws_alloc(sgfblo_solver *s, sgfblo_cg_ws *ws, int64_t len);
void sgfblo_cg_ws_free(sgfblo_solver *s, sgfblo_cg_ws *ws);

/**
 * Solve A x = b by conjugate gradients, x holding the warm start on entry. Stops when
 * ||r|| <= tol ||b|| (or b = 0); the test is made on the backend, and the host looks every
 * ws->read_every iterations. Returns SGFBLO_ERR_NOT_CONVERGED with a message when maxit
 * iterations do not reach the tolerance, SGFBLO_ERR_NOT_SPD on a non-positive curvature.
 */
sgfblo_status sgfblo_cg_solve(sgfblo_solver *s, sgfblo_cg_ws *ws, sgfblo_linop_fn apply,
                              void *data, const sgfblo_real *b, sgfblo_real *x, double tol,
                              int maxit);

/** Solver for Hyy(x, y) w = rhs, by settings.linsolve. */
typedef struct {
  int use_chol;
  sgfblo_real *L;      /* m x m factor (Cholesky) */
  sgfblo_real *e;      /* unit-vector scratch, backend, length max(n, m) */
  sgfblo_cg_ws cg;
} sgfblo_hyy_solver;

sgfblo_status sgfblo_hyy_solver_alloc(sgfblo_solver *s, sgfblo_hyy_solver *hs, int use_chol);
void sgfblo_hyy_solver_free(sgfblo_solver *s, sgfblo_hyy_solver *hs);

/** w = Hyy(x, y)^{-1} rhs; w holds the CG warm start on entry. same_point = 1 promises that
    (x, y) is the point of the previous call, so a Cholesky factor is reused. */
sgfblo_status sgfblo_hyy_solve(sgfblo_solver *s, sgfblo_hyy_solver *hs, const sgfblo_real *x,
                               const sgfblo_real *y, const sgfblo_real *rhs, sgfblo_real *w,
                               int same_point);

/**
 * Surrogate hypergradient (2): F = grad_x f - Jyx^T w with Hyy w = grad_y f.
 * gx (n) receives grad_x f then F; gy (m) receives grad_y f; w (m) is the warm start / result;
 * tmp_n (n) is scratch.
 */
sgfblo_status sgfblo_hypergrad(sgfblo_solver *s, sgfblo_hyy_solver *hs, const sgfblo_real *z,
                               sgfblo_real *gx, sgfblo_real *gy, sgfblo_real *w,
                               sgfblo_real *tmp_n);

#endif /* SGFBLO_METHOD_LINSOLVE_H */
