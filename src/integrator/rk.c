/* The generic explicit Runge-Kutta step: every stage argument and the final combination is
   one lincomb pass over the stage vectors (zero coefficients are skipped). */
#include "core/error.h"
#include "integrator/integrator.h"

/* out = z + dt sum_j coef[j] k[j] over j < count, in one pass. */
static sgfblo_status combine(sgfblo_solver *s, double dt, const double *coef, int count,
                             sgfblo_real *out) {
  double c[SGFBLO_RK_MAX_STAGES + 1];
  const sgfblo_real *X[SGFBLO_RK_MAX_STAGES + 1];
  int k = 0;
  c[k] = 1.0;
  X[k++] = s->z;
  for (int j = 0; j < count; ++j) {
    if (coef[j] == 0.0) continue;
    c[k] = dt * coef[j];
    X[k++] = s->k[j];
  }
  return s->ops->lincomb(&s->bctx, s->nz, k, c, X, out);
}

sgfblo_status sgfblo_rk_attempt(sgfblo_solver *s, double dt) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_tableau *T = s->tab;
  if (!s->k0_valid) {
    SGFBLO_TRY(sgfblo_solver_rhs_h(s, s->z, s->k[0], s->d_h_k0));
    s->k0_valid = 1;
  }
  const int last = T->fsal ? T->stages - 1 : T->stages;
  for (int i = 1; i < last; ++i) {
    SGFBLO_TRY(combine(s, dt, T->a[i], i, s->z_stage));
    SGFBLO_TRY(sgfblo_solver_rhs(s, s->z_stage, s->k[i]));
  }
  SGFBLO_TRY(combine(s, dt, T->b, last, s->z_new));
  if (T->fsal) {
    SGFBLO_TRY(sgfblo_solver_rhs_h(s, s->z_new, s->k[last], s->d_h_fsal));
  }
  if (T->adaptive) {
    double c[SGFBLO_RK_MAX_STAGES];
    const sgfblo_real *X[SGFBLO_RK_MAX_STAGES];
    int k = 0;
    for (int j = 0; j < T->stages; ++j) {
      const double d = T->b[j] - T->bhat[j];
      if (d == 0.0) continue;
      c[k] = dt * d;
      X[k++] = s->k[j];
    }
    SGFBLO_TRY(s->ops->lincomb(&s->bctx, s->nz, k, c, X, s->z_err));
  }
cleanup:
  return st;
}
