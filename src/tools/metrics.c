/* Hyper-cleaning metrics: cleaning precision/recall/F1 of the rule sigma(x_i) < 1/2, and the
   fixed-weight reference classifiers, trained by the solver's own lower-level Newton-CG
   (sgfblo_solver_setup with init_lower = 1) rather than by a second copy of it. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "sgfblo/sgfblo.h"

/* Relative residual of each CG solve inside Newton: tight enough for quadratic convergence,
   loose enough to be reachable in the working precision. */
#ifdef SGFBLO_USE_FLOAT
#define TRAIN_CG_TOL 1e-4
#else
#define TRAIN_CG_TOL 1e-8
#endif
#define TRAIN_NEWTON_MAXIT 100

/* P, R, F1 with the documented conventions for empty denominators. */
static double ratio_or_one(int64_t num, int64_t den) {
  return den > 0 ? (double)num / (double)den : 1.0;
}

static double f1_of(double p, double r) { return p + r > 0 ? 2.0 * p * r / (p + r) : 0.0; }

sgfblo_status sgfblo_cleaning_metrics_compute(const sgfblo_real *x, const uint8_t *mask,
                                              int64_t N, sgfblo_cleaning_metrics *out,
                                              sgfblo_errmsg *err) {
  sgfblo_err_clear(err);
  if (!x || !mask || !out)
    return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "cleaning metrics: %s is NULL",
                       !x ? "x" : !mask ? "mask" : "out");
  if (N < 1)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "cleaning metrics: N must be >= 1 (got %lld)",
                       (long long)N);
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;
  for (int64_t i = 0; i < N; ++i) {
    if (!isfinite((double)x[i]))
      return sgfblo_fail(err, SGFBLO_ERR_NONFINITE, "cleaning metrics: x[%lld] is not finite (%g)",
                         (long long)i, (double)x[i]);
    if (mask[i] > 1)
      return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                         "cleaning metrics: mask[%lld] must be 0 or 1 (got %u)", (long long)i,
                         (unsigned)mask[i]);
    const int flagged = x[i] < 0; /* sigma(x_i) < 1/2 */
    tp += flagged && mask[i];
    fp += flagged && !mask[i];
    fn += !flagged && mask[i];
    tn += !flagged && !mask[i];
  }
  out->tp = tp;
  out->fp = fp;
  out->fn = fn;
  out->tn = tn;
  out->precision = ratio_or_one(tp, tp + fp);
  out->recall = ratio_or_one(tp, tp + fn);
  out->f1 = f1_of(out->precision, out->recall);
  /* Random flagging of tp + fp samples: expected precision = corrupted fraction, expected
     recall = flagged fraction, with the same conventions when nothing is flagged (precision
     1) or nothing is corrupted (recall 1, precision 0 if anything is flagged). */
  const int64_t n_corrupt = tp + fn, n_flag = tp + fp;
  const double exp_p = n_flag == 0 ? 1.0 : (double)n_corrupt / (double)N;
  const double exp_r = n_corrupt == 0 ? 1.0 : (double)n_flag / (double)N;
  out->f1_random = f1_of(exp_p, exp_r);
  return SGFBLO_OK;
}

sgfblo_status sgfblo_hyperclean_train_weighted(const sgfblo_hyperclean *hc, const sgfblo_real *x,
                                               double tol, sgfblo_real *y, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_solver *s = NULL;
  sgfblo_problem p;
  sgfblo_settings set;
  sgfblo_err_clear(err);
  if (!hc || !x || !y)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "training with fixed weights: %s is NULL",
                !hc ? "hc" : !x ? "x" : "y");
  if (!(tol > 0) || !isfinite(tol))
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "training with fixed weights: tol must be > 0 and finite (got %g)", tol);
  SGFBLO_TRY(sgfblo_hyperclean_problem(hc, &p));
  p.x0 = x;
  p.y0 = NULL;
  p.x0_mem = SGFBLO_MEM_HOST;
  sgfblo_settings_default(&set);
  set.backend = SGFBLO_BACKEND_CPU;
  set.linsolve = SGFBLO_LINSOLVE_CG;
  set.init = SGFBLO_INIT_GIVEN;
  set.init_lower = 1;
  set.init_lower_tol = tol;
  set.init_lower_maxit = TRAIN_NEWTON_MAXIT;
  set.cg_tol = TRAIN_CG_TOL;
  /* CG needs at most m steps in exact arithmetic; leave room for rounding. */
  set.cg_maxit = p.m < INT_MAX / 4 && 2 * (int)p.m > set.cg_maxit ? 2 * (int)p.m : set.cg_maxit;
  set.monitor_hypergrad = 0;
  st = sgfblo_solver_create(&s);
  if (st != SGFBLO_OK) SGFBLO_FAIL(err, st, "training with fixed weights: out of host memory");
  st = sgfblo_solver_setup(s, &p, &set);
  if (st != SGFBLO_OK)
    SGFBLO_FAIL(err, st, "training with fixed weights: %s", sgfblo_solver_last_error(s));
  SGFBLO_TRY(sgfblo_solver_get_state(s, NULL, y));
cleanup:
  sgfblo_solver_destroy(s);
  return st;
}

sgfblo_status sgfblo_hyperclean_train_masked(const sgfblo_hyperclean *hc, const uint8_t *drop,
                                             double tol, sgfblo_real *y, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_real *x = NULL;
  sgfblo_hyperclean_data view;
  sgfblo_err_clear(err);
  if (!hc || !y)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "training with a mask: %s is NULL", !hc ? "hc" : "y");
  SGFBLO_TRY(sgfblo_hyperclean_get_data(hc, &view));
  x = malloc(sizeof *x * (size_t)view.N);
  if (!x) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "training with a mask: out of host memory");
  for (int64_t i = 0; i < view.N; ++i) {
    if (drop && drop[i] > 1)
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                  "training with a mask: drop[%lld] must be 0 or 1 (got %u)", (long long)i,
                  (unsigned)drop[i]);
    x[i] = (sgfblo_real)(drop && drop[i] ? -SGFBLO_FIXED_WEIGHT_LOGIT : SGFBLO_FIXED_WEIGHT_LOGIT);
  }
  SGFBLO_TRY(sgfblo_hyperclean_train_weighted(hc, x, tol, y, err));
cleanup:
  free(x);
  return st;
}
