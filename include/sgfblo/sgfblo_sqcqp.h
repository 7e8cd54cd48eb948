/**
 * @file sgfblo_sqcqp.h
 * @brief Sequential QCQP with a barrier line search (Sharifi, Hamedani, Fazlyab 2025): a
 * discrete method for the relaxed bilevel problem  min f(z)  s.t.  h(z) <= 0, run on the same
 * sgfblo_problem callbacks as the flows and AID-BiO.
 *
 * With z = (x, y), F = grad f(z) = (grad_x f, grad_y f) (both blocks, not the hypergradient),
 *
 *     h(z)      = ||grad_y g||^2 - eps^2,
 *     grad h(z) = (2 Jyx^T grad_y g, 2 Hyy grad_y g)     (MATH.md),
 *
 * iteration k computes the direction d from the convex QCQP
 *
 *     minimize ||d + F||^2   subject to   grad_h'd + w ||d||^2 <= c,   c = -alpha h(z).
 *
 * The constraint is the ball ||d + grad_h / (2w)|| <= r, r^2 = ||grad_h / (2w)||^2 + c / w, so
 * the subproblem is feasible iff c >= -||grad_h||^2 / (4w), and its solution is the projection
 * of -F onto the ball (closed form, no inner solve):
 *
 *   - interior:   d = -F when -F satisfies the constraint (multiplier mu = 0);
 *   - projected:  d = -grad_h/(2w) + r u / ||u||,  u = -F + grad_h/(2w)  (mu > 0);
 *   - infeasible: d = -grad_h/(2w), the minimiser of grad_h'd + w ||d||^2, i.e. the direction
 *     that violates the constraint least (a step of gradient descent on h with step 1/(2w)).
 *
 * When h(z) < 0, c > 0 and d = 0 is strictly feasible, so F'd <= -||d||^2: d is a descent
 * direction of f. The step:
 *
 *   - if the subproblem is infeasible, or z is on or outside the relaxed boundary
 *     (h(z) >= -delta), z <- z + tau0 d with the fixed tau0;
 *   - otherwise (strictly inside) backtracking from tau = 1, halving tau until both
 *         h(z + tau d) <= (1 - gamma) h(z)                  (barrier condition)
 *         f(z + tau d) <= f(z) + sigma tau F'd               (Armijo condition)
 *     hold at the same tau, with f(z + tau d) < f(z) strictly (so that a step lost to rounding
 *     is never accepted); f is evaluated only at trials that pass the barrier test. No trial
 *     tau >= tau_min passing ends the solve with SGFBLO_ERR_STEP_TOO_SMALL, and so does a
 *     computed slope F'd >= 0 (possible only through rounding: d below what the precision
 *     resolves, i.e. tol too small).
 *
 * Stopping: CONVERGED when the subproblem is feasible and ||d||_inf <= tol (the direction is
 * computed at the current iterate, which is not moved); MAX_STEPS at max_iters iterations or
 * once the oracle budget is spent; TIME_LIMIT after max_seconds of wall time; INTERRUPTED by
 * the monitor.
 *
 * Oracle counts (what sgfblo_info holds after a run):
 *  - n_grad: per iteration one grad_f at z_k, one grad_g at z_k (skipped when the previous
 *    iteration's accepted line-search trial already evaluated it there), and one grad_g per
 *    line-search trial (the value of h needs grad_y g);
 *  - n_prod: two per iteration (Jyx^T grad_y g and Hyy grad_y g for grad h);
 *  - n_value: f_val calls (f(z_k) before a line search unless the previous accepted trial
 *    already gave it, one per trial that passes the barrier test, and one per monitoring
 *    point) plus one per value of h in the line search (each also counted as a grad_g call
 *    in n_grad);
 *  - n_oracle = n_grad + n_prod, as for the other methods; monitoring (f, ||grad_y g||, and
 *    the hypergradient when monitor_hypergrad is set) is NOT counted in n_grad / n_prod /
 *    n_oracle but in n_monitor_oracle, so the counts and the budget do not depend on
 *    monitor_every;
 *  - n_rejected: line-search trials rejected (halvings);
 *  - cg_iters: conjugate-gradient iterations of the monitoring hypergradient (the method
 *    itself solves no linear system);
 *  - max_h_excess: as for RXGF, the largest h(z_k) = ||grad_y g(z_k)||^2 - eps^2 over the
 *    iterates after the start (k >= 1); <= 0 when the run never left the eps-set;
 *    NAN when no step was taken.
 *
 * CPU / host memory only for now: every callback receives ctx->mem = SGFBLO_MEM_HOST.
 *
 * Compiles as C11 and as C++. Include sgfblo/sgfblo.h first or let this header do it.
 */
#ifndef SGFBLO_SGFBLO_SQCQP_H
#define SGFBLO_SGFBLO_SQCQP_H

#include "sgfblo/sgfblo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults of sgfblo_sqcqp_settings (sgfblo_sqcqp_settings_default), with their reasons.
   alpha = eps = 0.1: the paper's experiments (the flows' SGFBLO_DEFAULT_ALPHA / _EPSILON).
   w = 0.01: the middle of the paper's grid {1e-3, 1e-2, 0.1}. A larger w shrinks the ball
     (shorter, safer steps; with w >= L_h / 2, L_h the Lipschitz constant of grad h, the
     constraint bounds h(z + d) itself and tau = 1 passes the barrier test when alpha <= gamma).
   gamma = 0.1: equal to alpha, so that to first order tau = 1 passes the barrier test
     (the constraint lets h grow by about alpha |h| per unit step; the test allows gamma |h|).
     With gamma < alpha the accepted steps are at most about gamma / alpha.
   sigma = 0.1: a common Armijo fraction; with the projection, F'd <= -||d||^2.
   tau0 = 0.01: the fixed step on or outside the boundary. There the barrier test cannot be
     used, and nothing but w stops the step from overshooting: with the constraint active,
     h(z + tau0 d) <= (1 - tau0 alpha) h(z) + tau0 (tau0 L_h / 2 - w) ||d||^2, so the step is
     safe for tau0 <= 2 w / L_h (L_h: Lipschitz constant of grad h, about 4 on the synthetic
     problem and 10 on the quadratic one). 0.01 = w is at that scale; measured on both
     problems with w = 0.01, tau0 = 0.1 lets the iterates drift far outside the eps-set
     (max_h_excess 8 eps^2 on the quadratic, 18 eps^2 on the synthetic problem) while
     tau0 = 0.01 keeps them inside (max_h_excess < 0). Scale tau0 with w.
   delta = 1e-6: the relaxed boundary band h >= -delta. It is 1e-4 eps^2 at the default eps,
     so the line search (with its guarantees) runs everywhere but in a thin band, and the
     barrier margin gamma |h| >= 1e-7 stays far above the rounding of h (about 1e-9 in
     float32 at ||grad_y g|| = eps). Keep delta well below eps^2: with delta >= eps^2 every
     iterate is "on the boundary" and the method takes only fixed steps.
   tau_min = 1e-10: at most 34 halvings; a smooth f and h never need that many, so reaching
     it means d is not a descent direction to working precision (f_val and grad_f disagree,
     or tol is below what the precision resolves).
   max_iters = 400: the paper's hyper-cleaning runs.
   tol = 0: run to max_iters (stops early only at d = 0 exactly), like the flows' default. */
#define SGFBLO_SQCQP_DEFAULT_ALPHA 0.1
#define SGFBLO_SQCQP_DEFAULT_EPSILON 0.1
#define SGFBLO_SQCQP_DEFAULT_W 0.01
#define SGFBLO_SQCQP_DEFAULT_GAMMA 0.1
#define SGFBLO_SQCQP_DEFAULT_SIGMA 0.1
#define SGFBLO_SQCQP_DEFAULT_TAU0 0.01
#define SGFBLO_SQCQP_DEFAULT_DELTA 1e-6
#define SGFBLO_SQCQP_DEFAULT_TAU_MIN 1e-10
#define SGFBLO_SQCQP_DEFAULT_MAX_ITERS 400
#define SGFBLO_SQCQP_DEFAULT_MAX_ORACLE_EVALS 0
/** No wall-clock limit. */
#define SGFBLO_SQCQP_DEFAULT_MAX_SECONDS 0.0
#define SGFBLO_SQCQP_DEFAULT_TOL 0.0
/** Same divergence test as the flows (SGFBLO_DEFAULT_DIV_LIMIT). */
#define SGFBLO_SQCQP_DEFAULT_DIV_LIMIT 1e12
#define SGFBLO_SQCQP_DEFAULT_MONITOR_EVERY 10
#define SGFBLO_SQCQP_DEFAULT_MONITOR_HYPERGRAD 1

/** Settings of SQCQP. Fill with sgfblo_sqcqp_settings_default(), then change what you need. */
typedef struct {
  double alpha;             ///< barrier gain in c = -alpha h(z); > 0 and finite
  double epsilon;           ///< relaxation: h = ||grad_y g||^2 - epsilon^2; > 0 and finite
  double w;                 ///< weight of ||d||^2 in the QCQP constraint; > 0 and finite
  double gamma;             ///< barrier test h(z + tau d) <= (1 - gamma) h(z); in (0, 1)
  double sigma;             ///< Armijo fraction; in (0, 1)
  double tau0;              ///< fixed step when infeasible or h(z) >= -delta; > 0 and finite
  double delta;             ///< width of the relaxed boundary band; >= 0 and finite
  double tau_min;           ///< floor of the line-search step; in (0, 1]
  int64_t max_iters;        ///< iteration limit, >= 1 (exit MAX_STEPS)
  int64_t max_oracle_evals; ///< >= 0; 0 = no limit. Otherwise no new iteration starts once
                            ///< n_grad + n_prod >= this (exit MAX_STEPS): the run ends at the
                            ///< budget or past it by less than one iteration's cost (which
                            ///< varies with the line search), for equal-evaluation comparisons
  double max_seconds;       ///< wall-clock limit of the run in seconds, >= 0 and finite;
                            ///< 0 = none. Otherwise checked after every iteration on a
                            ///< monotonic clock: no new iteration starts once the run has lasted
                            ///< this long (exit TIME_LIMIT), so it ends past the limit by at
                            ///< most one iteration and the final report; at least one iteration
                            ///< is done. The clock is the one of info->solve_seconds (from entry
                            ///< to return), for comparisons at equal wall time
  double tol;               ///< stop (CONVERGED) when ||d||_inf <= tol with a feasible
                            ///< subproblem; >= 0 and finite (0: only at d = 0 exactly)
  double div_limit;         ///< stop with SGFBLO_ERR_DIVERGED when ||(x, y)||_inf > this; > 0
  int monitor_every;        ///< iterations between monitor calls / log rows, >= 1
  int monitor_hypergrad;    ///< 0 | 1: compute ||F(x, y)|| of eq. (2) at monitoring points
                            ///< (conjugate gradients on Hyy w = grad_y f to relative residual
                            ///< SGFBLO_DEFAULT_CG_TOL in at most SGFBLO_DEFAULT_CG_MAXIT
                            ///< steps, warm-started; NAN where it does not converge); not counted
  sgfblo_monitor_fn monitor; ///< optional progress callback (NULL: none); nonzero return stops
  void *monitor_data;       ///< handed to monitor
  const char *log_path;     ///< optional CSV log (the flows' columns); NULL: none
  sgfblo_backend backend;   ///< where the iterate and every buffer live: SGFBLO_BACKEND_CPU
                            ///< (default) or _CUDA (device memory; the problem's prepare hook
                            ///< runs first, as at a flow's setup; x and y stay host arrays)
  int device_id;            ///< CUDA device ordinal, >= 0; ignored on the CPU
  /* Adding a field: update sgfblo_sqcqp_settings_default, _validate and tests/test_sqcqp.c. */
} sgfblo_sqcqp_settings;

/** Fill *s with the SGFBLO_SQCQP_DEFAULT_* values, no monitor, no log. NULL-safe. */
SGFBLO_API void sgfblo_sqcqp_settings_default(sgfblo_sqcqp_settings *s);

/**
 * Check every field of *s. On failure writes a message naming the field and its value
 * ("gamma must be in (0, 1) (got 1)") into msg (may be NULL).
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG (s is NULL), SGFBLO_ERR_INVALID_SETTINGS
 */
SGFBLO_API sgfblo_status sgfblo_sqcqp_settings_validate(const sgfblo_sqcqp_settings *s,
                                                        char *msg, size_t msg_len);

/**
 * Run SQCQP from (x, y) until max_iters iterations, the oracle budget, the time limit, the
 * stationarity test, the monitor or an error stops it. problem.x0 / y0 are ignored: the start is x, y. All
 * buffers are allocated before the first iteration; the loop allocates nothing (the CSV log
 * is written with stdio).
 *
 * Progress (sgfblo_progress, handed to set->monitor and written as a CSV row with the columns
 * step,t,dt,f,grad_g_norm,hypergrad_norm,zdot_norm,n_rhs,n_oracle) is reported at the start,
 * every monitor_every iterations and at the end:
 *   step = t = n_rhs = iterations done (accepted steps); dt = the step tau of the last
 *   iteration (tau0 for a fixed step, the accepted tau of a line search; NAN before the first);
 *   f = f(x, y) and grad_g_norm = ||grad_y g(x, y)|| at the current iterate (so h(z_k) =
 *   grad_g_norm^2 - epsilon^2 can be checked against the barrier condition);
 *   hypergrad_norm = ||F(x, y)||_2 of eq. (2) when monitor_hypergrad is set, else NAN;
 *   zdot_norm = ||d||_inf of the last computed direction (NAN before the first);
 *   n_oracle = n_grad + n_prod. At the end info->last.zdot_norm is ||d||_inf of the last
 *   computed direction (on CONVERGED, the one at the final iterate, <= tol).
 *
 * Exit flags (info->exit_flag): CONVERGED, MAX_STEPS (max_iters or the budget), TIME_LIMIT
 * (max_seconds), INTERRUPTED (the monitor returned nonzero) with status OK; NONFINITE / DIVERGED (status
 * SGFBLO_ERR_NONFINITE / SGFBLO_ERR_DIVERGED: the iterate, f(z_k) or the direction became
 * NaN/Inf, or the iterate left the div_limit ball); ERROR for any other failure, including
 * SGFBLO_ERR_STEP_TOO_SMALL.
 *
 * @param[in]     p    problem (validated like sgfblo_solver_setup: n, m >= 1, f_val, grad_f,
 *                     grad_g, hyy_mv, jyx_mv, jyxT_mv present; g_val, jyx_mv and the dense
 *                     blocks are not used); callbacks run on host memory
 * @param[in]     set  settings (validated with sgfblo_sqcqp_settings_validate)
 * @param[in,out] x    host, length n: the start, finite; on return the last iterate
 * @param[in,out] y    host, length m: the start, finite; on return the last iterate
 * @param[out]    info statistics (see the file comment for exactly what is counted); may be
 *                     NULL
 * @param[out]    err  detail of the failure ("" on success); may be NULL
 * On an argument or settings error x and y are untouched; once the run has started they
 * receive the last accepted iterate on every return (possibly non-finite after
 * SGFBLO_ERR_NONFINITE).
 * @return SGFBLO_OK; SGFBLO_ERR_NULL_ARG (p, set, x or y NULL, a required callback missing);
 *         SGFBLO_ERR_INVALID_ARG (n or m < 1); SGFBLO_ERR_INVALID_SETTINGS (message names the
 *         field); SGFBLO_ERR_NONFINITE; SGFBLO_ERR_DIVERGED; SGFBLO_ERR_STEP_TOO_SMALL (no
 *         line-search trial tau >= tau_min passed; the message gives both tests' values);
 *         SGFBLO_ERR_CALLBACK (a callback returned nonzero: its value is in
 *         info->callback_code); SGFBLO_ERR_ALLOC; SGFBLO_ERR_IO (the log file cannot be
 *         opened or written)
 */
SGFBLO_API sgfblo_status sgfblo_sqcqp_run(const sgfblo_problem *p,
                                          const sgfblo_sqcqp_settings *set, sgfblo_real *x,
                                          sgfblo_real *y, sgfblo_info *info, sgfblo_errmsg *err);

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_SGFBLO_SQCQP_H */
