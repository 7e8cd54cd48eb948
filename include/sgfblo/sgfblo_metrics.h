/**
 * @file sgfblo_metrics.h
 * @brief How well a hyper-cleaning run did (MATH.md, Problem 2): cleaning precision, recall
 * and F1 of the rule "sigma(x_i) < 1/2 flags sample i as corrupted", and the two reference
 * classifiers every cleaning method is compared with: the floor (train on every sample, no
 * cleaning) and the ceiling (train on the truly clean samples only).
 *
 * Test accuracy and loss of any classifier y come from sgfblo_hyperclean_loss_acc.
 * Host memory only; nothing here prints. Compiles as C11 and as C++.
 */
#ifndef SGFBLO_SGFBLO_METRICS_H
#define SGFBLO_SGFBLO_METRICS_H

#include <stdint.h>

#include "sgfblo/sgfblo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------ cleaning precision -- */

/**
 * Confusion counts and scores of a flagging against the true corruption mask. "Positive" means
 * flagged as corrupted. Conventions for the empty cases (chosen so that doing nothing when
 * there is nothing to find is perfect, and no empty case yields NaN):
 *  - nothing flagged (tp + fp = 0): precision = 1 (no false alarm was raised);
 *  - nothing corrupted (tp + fn = 0): recall = 1 (nothing was missed);
 *  - F1 = 2 P R / (P + R), and 0 when P + R = 0.
 * So nothing flagged with corrupted samples present gives P = 1, R = 0, F1 = 0; nothing
 * flagged and nothing corrupted gives P = R = F1 = 1; samples flagged when none is corrupted
 * give P = 0, R = 1, F1 = 0.
 */
typedef struct {
  int64_t tp;       ///< flagged and corrupted
  int64_t fp;       ///< flagged but clean
  int64_t fn;       ///< corrupted but not flagged
  int64_t tn;       ///< clean and not flagged
  double precision; ///< tp / (tp + fp), in [0, 1] (1 when nothing is flagged)
  double recall;    ///< tp / (tp + fn), in [0, 1] (1 when nothing is corrupted)
  double f1;        ///< harmonic mean of precision and recall, in [0, 1]
  double f1_random; ///< the chance level: F1 of flagging the same number of samples uniformly
                    ///< at random, computed from its expected precision pc = (tp + fn) / N and
                    ///< expected recall qf = (tp + fp) / N as 2 pc qf / (pc + qf), with the
                    ///< conventions above for pc = 0 or qf = 0. Over all flagging rates it is
                    ///< largest when every sample is flagged: 2 pc / (1 + pc)
} sgfblo_cleaning_metrics;

/**
 * Score the cleaning rule sigma(x_i) < 1/2, i.e. x_i < 0 (sigma(0) = 1/2 exactly, so x_i = 0 is
 * NOT flagged: a weight that never moved from x = 0 does not count as a detection).
 * @param[in]  x     upper variable, length N, host, finite (one logit per training sample)
 * @param[in]  mask  true corruption flags, length N, host, each 0 (clean) or 1 (corrupted):
 *                   sgfblo_corruption.mask
 * @param[in]  N     >= 1
 * @param[out] out   counts and scores (host)
 * @param[out] err   message on failure; may be NULL
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (N < 1, a mask entry other than
 *         0/1: the message names the index), SGFBLO_ERR_NONFINITE (x[i] NaN/Inf: names i)
 */
SGFBLO_API sgfblo_status sgfblo_cleaning_metrics_compute(const sgfblo_real *x,
                                                         const uint8_t *mask, int64_t N,
                                                         sgfblo_cleaning_metrics *out,
                                                         sgfblo_errmsg *err);

/* ------------------------------------------------ fixed-weight classifiers -- */

/* Declared in sgfblo_hyperclean.h; repeated (C11 allows identical typedefs) because that header
   includes sgfblo.h, which includes this one, before it reaches its own typedef. */
typedef struct sgfblo_hyperclean sgfblo_hyperclean;

/**
 * Logit that stands for a fixed weight of 1 (+) or 0 (-) in the baselines:
 * sigma(30) = 1 - 9.4e-14 and sigma(-30) = 9.4e-14, so a dropped sample contributes less than
 * 1e-13 of a kept one to g, below the rounding of either precision.
 */
#define SGFBLO_FIXED_WEIGHT_LOGIT 30.0

/**
 * Train the classifier with fixed sample weights: y = argmin_y g(x, y) for the given upper
 * variable x (weights sigma(x_i)), by the library's own lower-level Newton-CG
 * (sgfblo_solver_setup with init_lower = 1 from y = 0, CG on Hyy products). Allocates a solver
 * for the duration of the call.
 * @param[in]  hc   hyper-cleaning instance (its workspaces are used: one thread at a time)
 * @param[in]  x    length N (= n), host, finite: the weights' logits
 * @param[in]  tol  stop when ||grad_y g(x, y)||_2 <= tol; > 0 and finite (1e-8 is typical in
 *                  double, 1e-4 in float)
 * @param[out] y    length m = d*C, host (row-major d x C, as the problem's y)
 * @param[out] err  message on failure; may be NULL
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (tol), SGFBLO_ERR_NONFINITE
 *         (x not finite), SGFBLO_ERR_NOT_CONVERGED (Newton did not reach tol within 100
 *         steps, or CG its inner tolerance), SGFBLO_ERR_ALLOC, and what a problem callback or
 *         sgfblo_solver_setup reports (SGFBLO_ERR_CALLBACK, SGFBLO_ERR_NOT_SPD). y is written
 *         only on success.
 */
SGFBLO_API sgfblo_status sgfblo_hyperclean_train_weighted(const sgfblo_hyperclean *hc,
                                                          const sgfblo_real *x, double tol,
                                                          sgfblo_real *y, sgfblo_errmsg *err);

/**
 * The two reference classifiers: train with weight ~1 on every kept sample and ~0 on every
 * dropped one (x_i = +/- SGFBLO_FIXED_WEIGHT_LOGIT), as sgfblo_hyperclean_train_weighted.
 *  - floor "no cleaning":         drop = NULL (every sample kept);
 *  - ceiling "clean-only oracle": drop = sgfblo_corruption.mask (the truly corrupted dropped).
 * @param[in]  hc   hyper-cleaning instance
 * @param[in]  drop length N, host, 0 = keep, 1 = drop; or NULL to keep all
 * @param[in]  tol  as sgfblo_hyperclean_train_weighted
 * @param[out] y    length m = d*C, host
 * @param[out] err  message on failure; may be NULL
 * @return as sgfblo_hyperclean_train_weighted, plus SGFBLO_ERR_INVALID_ARG for a drop entry
 *         other than 0/1 (named) and SGFBLO_ERR_ALLOC (N logits)
 */
SGFBLO_API sgfblo_status sgfblo_hyperclean_train_masked(const sgfblo_hyperclean *hc,
                                                        const uint8_t *drop, double tol,
                                                        sgfblo_real *y, sgfblo_errmsg *err);

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_SGFBLO_METRICS_H */
