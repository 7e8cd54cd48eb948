/* The layout of the conjugate-gradient scalars that the cg_* ops of the backend table
   (backend.h) and the CUDA kernels behind them (kernels/vec.cu) share. Plain C, no types:
   included by C and CUDA sources alike. */
#ifndef SGFBLO_BACKEND_CG_SCALARS_H
#define SGFBLO_BACKEND_CG_SCALARS_H

/** Layout of the conjugate-gradient scalars (the cg_* ops). */
enum {
  SGFBLO_CG_BB,     /* b'b */
  SGFBLO_CG_TARGET, /* tol^2 b'b */
  SGFBLO_CG_RR,     /* r'r of the current residual */
  SGFBLO_CG_PAP,    /* p'Ap */
  SGFBLO_CG_RR_NEW, /* r'r after the update */
  SGFBLO_CG_STATE,  /* one of the SGFBLO_CG_STATE_* values */
  SGFBLO_CG_ITERS,  /* iterations that changed x */
  SGFBLO_CG_NSC
};
#define SGFBLO_CG_STATE_RUNNING 0.0
#define SGFBLO_CG_STATE_CONVERGED 1.0
#define SGFBLO_CG_STATE_CURVATURE 2.0 /* p'Ap not > 0 (kept in PAP) */
#define SGFBLO_CG_STATE_ZERO_RHS 3.0

/** Of `ran` iterations since cg_start, ended in the state of the scalars h, those a host that
    reads the state after every iteration also runs (and counts): up to the converging one, up
    to the one that met the curvature, none for a zero right-hand side, else all. A device runs
    its iterations in bursts between reads; the rest of a burst changes nothing. */
static inline double sgfblo_cg_counted_iters(const double *h, double ran) {
  const double state = h[SGFBLO_CG_STATE], iters = h[SGFBLO_CG_ITERS];
  return state == SGFBLO_CG_STATE_CONVERGED   ? iters
         : state == SGFBLO_CG_STATE_CURVATURE ? iters + 1
         : state == SGFBLO_CG_STATE_ZERO_RHS  ? 0
                                              : ran;
}

#endif /* SGFBLO_BACKEND_CG_SCALARS_H */
