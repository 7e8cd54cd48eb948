/* Closed-form direction of the SQCQP subproblem: the projection of -F onto a ball. */
#include "method/sqcqp_direction.h"

#include <math.h>
#include <stddef.h>

#include "core/error.h"

void sgfblo_sqcqp_classify(double FF, double Fgh, double ghgh, double c, double w,
                           sgfblo_sqcqp_dir *out) {
  /* Ball: centre -gh/(2w), r^2 = ||gh||^2/(4w^2) + c/w; empty iff r^2 < 0. */
  const double r2 = ghgh / (4.0 * w * w) + c / w;
  out->mu = NAN;
  out->Fd = NAN;
  out->dinf = NAN;
  if (!(r2 >= 0.0)) {
    out->kase = SGFBLO_SQCQP_INFEASIBLE;
    out->r = NAN;
    return;
  }
  out->r = sqrt(r2);
  /* d = -F is feasible iff gh'(-F) + w ||F||^2 <= c. */
  out->kase = (-Fgh + w * FF <= c) ? SGFBLO_SQCQP_INTERIOR : SGFBLO_SQCQP_PROJECTED;
}

sgfblo_status sgfblo_sqcqp_direction_ops(const sgfblo_ops *o, sgfblo_bctx *b, int64_t len,
                                         const sgfblo_real *F, const sgfblo_real *gh, double c,
                                         double w, double *d_sc, sgfblo_real *d,
                                         sgfblo_sqcqp_dir *out) {
  sgfblo_status st = SGFBLO_OK;
  double v[3];
  const double ic = 1.0 / (2.0 * w); /* centre = -ic gh */
  /* The three dots on the backend, then one read for all of them. */
  SGFBLO_TRY(o->dot_dev(b, len, F, F, d_sc));
  SGFBLO_TRY(o->dot_dev(b, len, F, gh, d_sc + 1));
  SGFBLO_TRY(o->dot_dev(b, len, gh, gh, d_sc + 2));
  SGFBLO_TRY(o->scalars_read(b, 3, d_sc, v));
  const double FF = v[0], Fgh = v[1], ghgh = v[2];
  sgfblo_sqcqp_classify(FF, Fgh, ghgh, c, w, out);
  if (out->kase == SGFBLO_SQCQP_INTERIOR) {
    out->mu = 0.0;
    SGFBLO_TRY(o->lincomb(b, len, 1, (const double[]){-1.0}, (const sgfblo_real *const[]){F}, d));
    SGFBLO_TRY(o->nrminf_dev(b, len, d, d_sc + 1));
    SGFBLO_TRY(o->scalars_read(b, 1, d_sc + 1, &out->dinf));
    out->Fd = -FF; /* d = -F is exact */
    goto cleanup;
  }
  if (out->kase == SGFBLO_SQCQP_INFEASIBLE) {
    SGFBLO_TRY(o->lincomb(b, len, 1, (const double[]){-ic}, (const sgfblo_real *const[]){gh}, d));
  } else {
    /* Projection onto the sphere: d = centre + s u, u = -F + gh/(2w), s = r / ||u|| in [0, 1),
       formed as d = -s F - (1 - s) gh/(2w) in one pass from F and gh. Near the boundary d is
       the small difference of two large vectors (the centre and s u), so s needs ||u|| to
       full double precision: from the double dots, unless they cancel (-F near the centre);
       then from u formed explicitly. */
    double uu = FF - 2.0 * ic * Fgh + ic * ic * ghgh;
    if (!(uu > 1e-4 * (FF + ic * ic * ghgh))) {
      SGFBLO_TRY(o->lincomb(b, len, 2, (const double[]){-1.0, ic},
                            (const sgfblo_real *const[]){F, gh}, d));
      SGFBLO_TRY(o->dot(b, len, d, d, &uu));
    }
    /* -F is outside, so ||u|| > r >= 0; the guards only catch rounding at the sphere. */
    double s = uu > 0.0 ? out->r / sqrt(uu) : 0.0;
    if (s > 1.0) s = 1.0;
    /* Stationarity d + F + mu (gh + 2 w d) = 0 with d = -s F - (1 - s) gh/(2w) gives
       s = 1 / (1 + 2 w mu), i.e. mu = (1 - s) / (2 w s). */
    out->mu = s > 0.0 ? (1.0 - s) / (2.0 * w * s) : INFINITY;
    SGFBLO_TRY(o->lincomb(b, len, 2, (const double[]){-s, -(1.0 - s) * ic},
                          (const sgfblo_real *const[]){F, gh}, d));
  }
  /* The slope of the d actually stored (rounded to sgfblo_real), for the Armijo test; with
     ||d||_inf, for the caller's stationarity test, in the same read. */
  SGFBLO_TRY(o->dot_dev(b, len, F, d, d_sc));
  SGFBLO_TRY(o->nrminf_dev(b, len, d, d_sc + 1));
  SGFBLO_TRY(o->scalars_read(b, 2, d_sc, v));
  out->Fd = v[0];
  out->dinf = v[1];
cleanup:
  return st;
}

sgfblo_status sgfblo_sqcqp_direction(int64_t len, const sgfblo_real *F, const sgfblo_real *gh,
                                     double c, double w, sgfblo_real *d, sgfblo_sqcqp_dir *out) {
  sgfblo_sqcqp_dir local;
  sgfblo_bctx b = {NULL, NULL, NULL};
  double sc[3]; /* the CPU backend's scalars are host doubles */
  if (!F || !gh || !d) return SGFBLO_ERR_NULL_ARG;
  if (len < 1 || !(w > 0.0) || !isfinite(w) || !isfinite(c)) return SGFBLO_ERR_INVALID_ARG;
  return sgfblo_sqcqp_direction_ops(sgfblo_cpu_ops(), &b, len, F, gh, c, w, sc, d,
                                    out ? out : &local);
}
