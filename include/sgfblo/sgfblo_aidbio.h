/**
 * @file sgfblo_aidbio.h
 * @brief AID-BiO (Ji, Yang, Liang 2021): the discrete bilevel baseline of MATH.md
 * ("Discrete baseline: AID-BiO"), run on the same sgfblo_problem callbacks as the flows.
 *
 * Outer iteration k (x_k, y_k, w_k -> x_{k+1}, y_{k+1}, w_{k+1}):
 *
 *     repeat D times:  y <- y - beta_in grad_y g(x_k, y)                     (inner steps)
 *     K steps of conjugate gradients on  Hyy(x_k, y) w = grad_y f(x_k, y),
 *                      warm-started from w_k (w_0 = 0)
 *     F_k = grad_x f(x_k, y) - Jyx(x_k, y)^T w                               (eq. (2))
 *     x_{k+1} = x_k - beta_out F_k,   y_{k+1} = y
 *
 * Oracle counts (the flows' counting: n_oracle = n_grad + n_prod): one outer iteration costs
 * D + 1 gradient calls (D grad_g, one grad_f) and K + 2 product calls (the warm-start residual
 * Hyy w_k, K CG products, one Jyx^T), so D + K + 3 in all. Two exceptions, both cheaper: the
 * first iteration skips the residual product because w_0 = 0 (D + K + 2), and CG stops early
 * when its residual is exactly zero or at rounding level (||r|| <= 4 macheps ||b||), or when
 * grad_y f = 0 (then w = 0 with no product). Monitoring (f and ||grad_y g|| at each reported
 * point) is NOT counted in n_grad / n_prod / n_oracle, so the counts and the oracle budget do
 * not depend on monitor_every; the f_val calls it makes are counted in sgfblo_info.n_value.
 *
 * CPU / host memory only for now: every callback receives ctx->mem = SGFBLO_MEM_HOST.
 *
 * Compiles as C11 and as C++. Include sgfblo/sgfblo.h first or let this header do it.
 */
#ifndef SGFBLO_SGFBLO_AIDBIO_H
#define SGFBLO_SGFBLO_AIDBIO_H

#include "sgfblo/sgfblo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults of sgfblo_aidbio_settings (sgfblo_aidbio_settings_default).
   Step sizes are problem-dependent; there is no safe universal value. 0.1 is stable whenever
   the largest eigenvalue of Hyy is below 20 (gradient descent on y needs beta_in < 2 / L_g),
   which holds for the built-in problems at their default scales (quadratic: L_g <= 2;
   hyper-cleaning on [0,1]-scaled or PCA features: L_g is a few units). D = K = 10 are the
   moderate values the AID-BiO analysis suggests for well-conditioned lower problems
   (D, K = O(sqrt(kappa) log(1/eps)) for CG, O(kappa) for the inner descent): each iteration then
   costs 22-23 oracle calls, the cost of about six RK4 steps of an inversion-free flow. */
#define SGFBLO_AIDBIO_DEFAULT_BETA_IN 0.1
#define SGFBLO_AIDBIO_DEFAULT_BETA_OUT 0.1
#define SGFBLO_AIDBIO_DEFAULT_INNER_STEPS 10
#define SGFBLO_AIDBIO_DEFAULT_CG_STEPS 10
#define SGFBLO_AIDBIO_DEFAULT_MAX_ITERS 1000
#define SGFBLO_AIDBIO_DEFAULT_MAX_ORACLE_EVALS 0
/** No wall-clock limit. */
#define SGFBLO_AIDBIO_DEFAULT_MAX_SECONDS 0.0
/** Same divergence test as the flows (SGFBLO_DEFAULT_DIV_LIMIT). */
#define SGFBLO_AIDBIO_DEFAULT_DIV_LIMIT 1e12
#define SGFBLO_AIDBIO_DEFAULT_MONITOR_EVERY 10

/** Settings of AID-BiO. Fill with sgfblo_aidbio_settings_default(), then change what you need. */
typedef struct {
  double beta_in;           ///< inner step on y, > 0 and finite (converges for < 2 / L_g)
  double beta_out;          ///< outer step on x, > 0 and finite
  int inner_steps;          ///< D: gradient steps on y per outer iteration, >= 1
  int cg_steps;             ///< K: conjugate-gradient steps per outer iteration, >= 1
  int64_t max_iters;        ///< outer iteration limit, >= 1 (exit MAX_STEPS)
  int64_t max_oracle_evals; ///< >= 0; 0 = no limit. Otherwise no new outer iteration starts
                            ///< once n_grad + n_prod >= this (exit MAX_STEPS): the run ends
                            ///< at the budget or past it by less than one iteration's cost,
                            ///< for comparisons at equal oracle evaluations
  double max_seconds;       ///< wall-clock limit of the run in seconds, >= 0 and finite;
                            ///< 0 = none. Otherwise checked after every iteration on a
                            ///< monotonic clock: no new iteration starts once the run has lasted
                            ///< this long (exit TIME_LIMIT), so it ends past the limit by at
                            ///< most one iteration and the final report; at least one iteration
                            ///< is done. The clock is the one of info->solve_seconds (from entry
                            ///< to return), for comparisons at equal wall time
  double div_limit;         ///< stop with SGFBLO_ERR_DIVERGED when ||(x, y)||_inf > this; > 0
  int monitor_every;        ///< outer iterations between monitor calls / log rows, >= 1
  sgfblo_monitor_fn monitor; ///< optional progress callback (NULL: none); nonzero return stops
  void *monitor_data;       ///< handed to monitor
  const char *log_path;     ///< optional CSV log (the flows' columns); NULL: none
  sgfblo_backend backend;   ///< where the iterate and every buffer live: SGFBLO_BACKEND_CPU
                            ///< (default) or _CUDA (device memory; the problem's prepare hook
                            ///< runs first, as at a flow's setup; x and y stay host arrays)
  int device_id;            ///< CUDA device ordinal, >= 0; ignored on the CPU
  /* Adding a field: update sgfblo_aidbio_settings_default, _validate and tests/test_aidbio.c. */
} sgfblo_aidbio_settings;

/** Fill *s with the SGFBLO_AIDBIO_DEFAULT_* values, no monitor, no log. NULL-safe. */
SGFBLO_API void sgfblo_aidbio_settings_default(sgfblo_aidbio_settings *s);

/**
 * Check every field of *s. On failure writes a message naming the field and its value
 * ("beta_in must be > 0 (got -1)") into msg (may be NULL).
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG (s is NULL), SGFBLO_ERR_INVALID_SETTINGS
 */
SGFBLO_API sgfblo_status sgfblo_aidbio_settings_validate(const sgfblo_aidbio_settings *s,
                                                         char *msg, size_t msg_len);

/**
 * Run AID-BiO from (x, y) until max_iters outer iterations, the oracle budget, the time limit,
 * the monitor or an error stops it. problem.x0 / y0 are ignored: the start is x, y. All buffers are allocated
 * before the first iteration; the loop allocates nothing (the CSV log is written with stdio).
 *
 * Progress (sgfblo_progress, handed to set->monitor and written as a CSV row with the columns
 * step,t,dt,f,grad_g_norm,hypergrad_norm,zdot_norm,n_rhs,n_oracle) is reported at the start,
 * every monitor_every iterations and at the end:
 *   step = t = outer iterations done, dt = 1 (one iteration), f = f(x, y) and grad_g_norm =
 *   ||grad_y g(x, y)|| at the current iterate, hypergrad_norm = ||F_k||_2 of the last
 *   iteration (evaluated at (x_k, y_{k+1}); no extra solve; NAN before the first iteration),
 *   zdot_norm = ||(x, y)_{k+1} - (x, y)_k||_inf (NAN before the first iteration),
 *   n_rhs = outer iterations done, n_oracle = n_grad + n_prod.
 *
 * Exit flags (info->exit_flag): MAX_STEPS (max_iters or the oracle budget reached; status OK),
 * TIME_LIMIT (max_seconds reached; status OK), INTERRUPTED (the monitor returned nonzero;
 * status OK), NONFINITE / DIVERGED (status
 * SGFBLO_ERR_NONFINITE / SGFBLO_ERR_DIVERGED: the iterate became NaN/Inf or left the
 * div_limit ball; also NONFINITE when CG meets a NaN curvature), ERROR (any other failure).
 *
 * @param[in]     p    problem (validated like sgfblo_solver_setup: n, m >= 1, f_val, grad_f,
 *                     grad_g, hyy_mv, jyx_mv, jyxT_mv present; g_val and the dense blocks
 *                     are not used); callbacks run on host memory
 * @param[in]     set  settings (validated with sgfblo_aidbio_settings_validate)
 * @param[in,out] x    host, length n: the start, finite; on return the last iterate
 * @param[in,out] y    host, length m: the start, finite; on return the last iterate
 * @param[out]    info statistics (n_grad, n_prod, n_value, cg_iters, callback_code,
 *                     init_grad_g_norm, last progress, solve_seconds; n_rejected = 0,
 *                     max_h_excess = NAN); may be NULL
 * @param[out]    err  detail of the failure ("" on success); may be NULL
 * On an argument or settings error x and y are untouched; once the run has started they
 * receive the last iterate on every return (possibly non-finite after SGFBLO_ERR_NONFINITE).
 * @return SGFBLO_OK; SGFBLO_ERR_NULL_ARG (p, set, x or y NULL, a required callback missing);
 *         SGFBLO_ERR_INVALID_ARG (n or m < 1); SGFBLO_ERR_INVALID_SETTINGS (message names the
 *         field); SGFBLO_ERR_NONFINITE (x or y not finite on entry, or the run blew up);
 *         SGFBLO_ERR_DIVERGED; SGFBLO_ERR_CALLBACK (a callback returned nonzero: its value is
 *         in info->callback_code); SGFBLO_ERR_NOT_SPD (CG met a non-positive curvature);
 *         SGFBLO_ERR_ALLOC; SGFBLO_ERR_IO (the log file cannot be opened or written)
 */
SGFBLO_API sgfblo_status sgfblo_aidbio_run(const sgfblo_problem *p,
                                           const sgfblo_aidbio_settings *set, sgfblo_real *x,
                                           sgfblo_real *y, sgfblo_info *info, sgfblo_errmsg *err);

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_SGFBLO_AIDBIO_H */
