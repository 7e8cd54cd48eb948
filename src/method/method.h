/* The method layer: each vector field zdot = RHS(z) of MATH.md behind one small interface. */
#ifndef SGFBLO_METHOD_METHOD_H
#define SGFBLO_METHOD_METHOD_H

#include "core/solver_impl.h"

typedef struct sgfblo_method_impl {
  sgfblo_method id;
  /** Allocate the method's workspace (called by setup; the only allocation). */
  sgfblo_status (*setup)(sgfblo_solver *s, void **ws);
  /** Free it (NULL-safe; also on a half-built workspace). */
  void (*release)(sgfblo_solver *s, void *ws);
  /**
   * zdot = RHS(z), both of length n+m in backend memory. Also writes ||grad_y g(z)||^2 (every
   * method computes grad_y g) to the backend scalar d_h, for the invariance monitor.
   */
  sgfblo_status (*rhs)(sgfblo_solver *s, void *ws, const sgfblo_real *z, sgfblo_real *zdot,
                       double *d_h);
  /** 1 when rhs only enqueues backend work (no host read, no allocation), so that a step can
      be recorded into a graph: the scalar filters. The others read scalars back (CG) or a
      factorisation's status (Cholesky). */
  int graph_safe;
} sgfblo_method_impl;

const sgfblo_method_impl *sgfblo_method_lookup(sgfblo_method m);

/* The tables, one per file. */
extern const sgfblo_method_impl sgfblo_method_rxgf;
extern const sgfblo_method_impl sgfblo_method_invfree;
extern const sgfblo_method_impl sgfblo_method_sgf_chol;
extern const sgfblo_method_impl sgfblo_method_sgf_cg;
extern const sgfblo_method_impl sgfblo_method_pc;
extern const sgfblo_method_impl sgfblo_method_stable;

#endif /* SGFBLO_METHOD_METHOD_H */
