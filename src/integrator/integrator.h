/* The integrator layer: explicit Runge-Kutta methods given by their Butcher tableaus, run by
   one generic step (stage sums are single fused lincomb passes). */
#ifndef SGFBLO_INTEGRATOR_INTEGRATOR_H
#define SGFBLO_INTEGRATOR_INTEGRATOR_H

#include "core/solver_impl.h"

#define SGFBLO_RK_MAX_STAGES 7

typedef struct sgfblo_tableau {
  sgfblo_integrator id;
  int stages;
  int order;    /* order of the propagated solution */
  int adaptive; /* has an embedded pair: bhat is used for the error estimate */
  int fsal;     /* last stage is evaluated at the new state (first same as last) */
  double a[SGFBLO_RK_MAX_STAGES][SGFBLO_RK_MAX_STAGES];
  double b[SGFBLO_RK_MAX_STAGES];
  double bhat[SGFBLO_RK_MAX_STAGES];
} sgfblo_tableau;

const sgfblo_tableau *sgfblo_tableau_get(sgfblo_integrator id);

/**
 * One attempted step of size dt from s->z: s->z_new = z + dt sum b_i k_i, and, for an adaptive
 * tableau, s->z_err = dt sum (b_i - bhat_i) k_i. Reuses s->k[0] when s->k0_valid.
 * On return k[0] = RHS(z) is valid (k0_valid = 1) and, for FSAL tableaus, k[stages-1] =
 * RHS(z_new).
 */
sgfblo_status sgfblo_rk_attempt(sgfblo_solver *s, double dt);

#endif /* SGFBLO_INTEGRATOR_INTEGRATOR_H */
