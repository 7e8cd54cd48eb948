#include "solver/init.h"

#include <math.h>
#include <string.h>

#include "core/error.h"
#include "method/linsolve.h"
#include "tools/rng.h"
#ifdef SGFBLO_HAVE_CUDA
#include "backend/cuda_dev.h"
#endif

/* A device x0 or y0 of len entries: device memory of the solver's device, holding them all,
   before anything reads it (a host pointer marked SGFBLO_MEM_DEVICE would otherwise surface
   as a copy's "invalid argument"). */
static sgfblo_status check_device_input(sgfblo_solver *s, const sgfblo_real *v, int64_t len,
                                        const char *name, const char *shape) {
#ifdef SGFBLO_HAVE_CUDA
  return sgfblo_cuda_check_device_array(v, sizeof *v * (size_t)len, s->set.device_id, name, shape,
                                        &s->err);
#else /* no device backend, so no device memory: refused before this is reached */
  (void)v;
  (void)len;
  (void)shape;
  return sgfblo_fail(&s->err, SGFBLO_ERR_NO_BACKEND, "%s is device memory but this build of "
                     "sgfblo has no CUDA backend", name);
#endif
}

sgfblo_status sgfblo_init_state(sgfblo_solver *s, const sgfblo_problem *p) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_real *h = s->host_z;
  const int64_t n = s->n, m = s->m;
  if (s->set.init == SGFBLO_INIT_RANDOM) {
    sgfblo_rng r;
    sgfblo_rng_seed(&r, s->set.init_seed);
    for (int64_t i = 0; i < s->nz; ++i) h[i] = (sgfblo_real)sgfblo_rng_normal(&r);
  } else if (p->x0_mem == SGFBLO_MEM_DEVICE && (p->x0 || p->y0)) {
    if (s->ops->mem != SGFBLO_MEM_DEVICE)
      SGFBLO_FAIL(&s->err, SGFBLO_ERR_INVALID_ARG,
                  "x0/y0 are marked as device memory but the backend is %s", s->ops->name);
    if (p->x0) SGFBLO_TRY(check_device_input(s, p->x0, n, "problem x0", "n"));
    if (p->y0) SGFBLO_TRY(check_device_input(s, p->y0, m, "problem y0", "m"));
    /* Device-to-device deep copy into the state, then a host mirror for the finiteness check
       below (setup may synchronise). */
    SGFBLO_TRY(s->ops->fill(&s->bctx, s->nz, 0.0, s->z));
    if (p->x0) SGFBLO_TRY(s->ops->copy(&s->bctx, n, p->x0, s->z));
    if (p->y0) SGFBLO_TRY(s->ops->copy(&s->bctx, m, p->y0, s->z + n));
    SGFBLO_TRY(s->ops->to_host(&s->bctx, s->nz, h, s->z));
  } else {
    memset(h, 0, sizeof *h * (size_t)s->nz);
    if (p->x0) memcpy(h, p->x0, sizeof *h * (size_t)n);
    if (p->y0) memcpy(h + n, p->y0, sizeof *h * (size_t)m);
  }
  for (int64_t i = 0; i < s->nz; ++i)
    if (!isfinite((double)h[i]))
      SGFBLO_FAIL(&s->err, SGFBLO_ERR_NONFINITE, "initial %s[%lld] is not finite (%g)",
                  i < n ? "x0" : "y0", (long long)(i < n ? i : i - n), (double)h[i]);
  SGFBLO_TRY(s->ops->from_host(&s->bctx, s->nz, s->z, h)); /* device x0: the same values again */
  if (s->set.init_lower) SGFBLO_TRY(sgfblo_init_lower(s));
cleanup:
  return st;
}

sgfblo_status sgfblo_init_lower(sgfblo_solver *s) {
  sgfblo_status st = SGFBLO_OK;
  const sgfblo_ops *o = s->ops;
  sgfblo_bctx *b = &s->bctx;
  const int64_t m = s->m;
  sgfblo_real *x = s->z, *y = s->z + s->n;
  sgfblo_real *gy = s->mon_gy, *d = s->mon_w, *y_try = s->z_stage + s->n;
  double gg, gg_try = 0;
  SGFBLO_TRY(sgfblo_oracle_grad_g(&s->orc, x, y, NULL, gy));
  SGFBLO_TRY(o->dot(b, m, gy, gy, &gg));
  const double tol2 = s->set.init_lower_tol * s->set.init_lower_tol;
  int it = 0;
  while (gg > tol2) {
    if (it++ == s->set.init_lower_maxit)
      SGFBLO_FAIL(&s->err, SGFBLO_ERR_NOT_CONVERGED,
                  "lower-level solve at x0 stopped at ||grad_y g|| = %.3e after %d Newton steps "
                  "(tolerance %.1e)",
                  sqrt(gg), s->set.init_lower_maxit, s->set.init_lower_tol);
    /* Newton direction d = Hyy^{-1} grad_y g; halve the step until ||grad_y g|| decreases. */
    SGFBLO_TRY(o->fill(b, m, 0.0, d));
    SGFBLO_TRY(sgfblo_hyy_solve(s, s->mon_hs, x, y, gy, d, 0));
    double tau = 1.0;
    for (int k = 0; k < 40; ++k, tau *= 0.5) {
      SGFBLO_TRY(o->lincomb(b, m, 2, (const double[]){1.0, -tau}, (const sgfblo_real *const[]){y, d}, y_try));
      SGFBLO_TRY(sgfblo_oracle_grad_g(&s->orc, x, y_try, NULL, gy));
      SGFBLO_TRY(o->dot(b, m, gy, gy, &gg_try));
      if (gg_try < gg) break;
    }
    if (!(gg_try < gg))
      SGFBLO_FAIL(&s->err, SGFBLO_ERR_NOT_CONVERGED,
                  "lower-level solve at x0 stalled at ||grad_y g|| = %.3e (tolerance %.1e)",
                  sqrt(gg), s->set.init_lower_tol);
    SGFBLO_TRY(o->copy(b, m, y_try, y));
    gg = gg_try;
  }
cleanup:
  return st;
}
