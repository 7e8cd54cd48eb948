/**
 * @file sgfblo.h
 * @brief The public C API of sgfblo: bilevel optimization by safe gradient flows.
 *
 * Lifecycle: sgfblo_solver_create -> sgfblo_solver_setup -> sgfblo_solver_solve ->
 * sgfblo_solver_get_state / sgfblo_solver_get_info -> sgfblo_solver_destroy.
 * The library never prints, never exits; every failure is a status code plus a message
 * (sgfblo_solver_last_error, or the sgfblo_errmsg of the free functions).
 */
#ifndef SGFBLO_SGFBLO_H
#define SGFBLO_SGFBLO_H

#include "sgfblo/sgfblo_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Readable text of a status code (static storage; never NULL). */
SGFBLO_API const char *sgfblo_status_string(sgfblo_status st);

/** Library version string, e.g. "0.1.0". */
SGFBLO_API const char *sgfblo_version(void);

/** 1 if the backend is compiled in and usable here (CUDA: a device is present), else 0. */
SGFBLO_API int sgfblo_backend_available(sgfblo_backend b);

/**
 * One line naming where a solve on backend b (CUDA: device device_id) runs and at which
 * precision, e.g. "cpu, float64" or "cuda device 0: NVIDIA H100 80GB HBM3 (compute 9.0,
 * 79.1 GiB), float32", into buf (truncated to len - 1 characters). Where the backend is not
 * usable, buf says why and the status says so.
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG (buf NULL or len 0), SGFBLO_ERR_NO_BACKEND
 */
SGFBLO_API sgfblo_status sgfblo_backend_describe(sgfblo_backend b, int device_id, char *buf,
                                                 size_t len);

/* --------------------------------------------------------------- settings -- */

/** Fill *s with the documented defaults (SGFBLO_DEFAULT_* in sgfblo_config.h). NULL-safe. */
SGFBLO_API void sgfblo_settings_default(sgfblo_settings *s);

/**
 * Check every field of *s. On failure returns SGFBLO_ERR_INVALID_SETTINGS and writes a message
 * naming the field and value ("alpha must be > 0 (got -1)") into msg (may be NULL).
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_SETTINGS
 */
SGFBLO_API sgfblo_status sgfblo_settings_validate(const sgfblo_settings *s, char *msg,
                                                  size_t msg_len);

/** Name <-> enum for the CLI and logs ("rxgf", "sgf-chol", "rk4-38", ...). */
SGFBLO_API const char *sgfblo_method_name(sgfblo_method m);
SGFBLO_API const char *sgfblo_integrator_name(sgfblo_integrator i);
SGFBLO_API const char *sgfblo_exit_flag_name(sgfblo_exit_flag e);
/** @return SGFBLO_OK or SGFBLO_ERR_INVALID_ARG for an unknown name. */
SGFBLO_API sgfblo_status sgfblo_method_from_name(const char *name, sgfblo_method *out);
SGFBLO_API sgfblo_status sgfblo_integrator_from_name(const char *name, sgfblo_integrator *out);

/* ----------------------------------------------------------------- solver -- */

/** Opaque solver handle. */
typedef struct sgfblo_solver sgfblo_solver;

/**
 * Allocate an empty solver shell.
 * @param[out] out new handle (host); set to NULL on failure
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_solver_create(sgfblo_solver **out);

/**
 * Validate problem and settings, open the backend, call problem.prepare (if set) for the
 * backend's memory space, allocate every buffer, copy x0/y0, compute the initial state
 * (init_lower runs its Newton-CG solve here). The only call that allocates. Calling it again
 * releases the previous resources first. The problem struct is copied; the callbacks and
 * user_data must stay valid until destroy or the next setup.
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG, SGFBLO_ERR_INVALID_SETTINGS,
 *         SGFBLO_ERR_ALLOC, SGFBLO_ERR_NO_BACKEND, SGFBLO_ERR_NONFINITE, SGFBLO_ERR_CALLBACK,
 *         SGFBLO_ERR_NOT_SPD, SGFBLO_ERR_NOT_CONVERGED, SGFBLO_ERR_IO (log file)
 */
SGFBLO_API sgfblo_status sgfblo_solver_setup(sgfblo_solver *s, const sgfblo_problem *p,
                                             const sgfblo_settings *set);

/**
 * Integrate the flow from the current state until a stopping rule fires. A second call
 * continues from where the first stopped (t_final and max_steps count from t = 0, step 0).
 * @return SGFBLO_OK when the solve ended by a stopping rule (see sgfblo_info.exit_flag:
 *         T_FINAL, MAX_STEPS, CONVERGED, TIME_LIMIT (settings.max_seconds, counted per call),
 *         INTERRUPTED); SGFBLO_ERR_DIVERGED or
 *         SGFBLO_ERR_NONFINITE when the state blew up; SGFBLO_ERR_NOT_SETUP, SGFBLO_ERR_CALLBACK,
 *         SGFBLO_ERR_NOT_SPD, SGFBLO_ERR_STEP_TOO_SMALL, SGFBLO_ERR_IO otherwise.
 */
SGFBLO_API sgfblo_status sgfblo_solver_solve(sgfblo_solver *s);

/**
 * Copy the current state into caller-allocated host buffers (either may be NULL).
 * @param[out] x_host length n;  @param[out] y_host length m
 */
SGFBLO_API sgfblo_status sgfblo_solver_get_state(const sgfblo_solver *s, sgfblo_real *x_host,
                                                 sgfblo_real *y_host);

/** Copy the solve statistics. @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_NOT_SETUP */
SGFBLO_API sgfblo_status sgfblo_solver_get_info(const sgfblo_solver *s, sgfblo_info *info);

/**
 * Evaluate the vector field zdot = RHS(z) at a given host state (for tests and users who
 * integrate themselves). Counts as one vector-field evaluation.
 * @param[in] z_host length n+m, (x, y);  @param[out] zdot_host length n+m
 */
SGFBLO_API sgfblo_status sgfblo_solver_eval_rhs(sgfblo_solver *s, const sgfblo_real *z_host,
                                                sgfblo_real *zdot_host);

/**
 * Replace the current state (host arrays, length n and m; NULL keeps a block) and start a new
 * trajectory from it: t and the step count go back to 0, and the next solve's max_h_excess
 * and last.zdot_norm cover the new trajectory only. The call counts in sgfblo_info go on.
 */
SGFBLO_API sgfblo_status sgfblo_solver_set_state(sgfblo_solver *s, const sgfblo_real *x_host,
                                                 const sgfblo_real *y_host);

/** Detail of the last failing call on this handle ("" if none). Valid until the next call. */
SGFBLO_API const char *sgfblo_solver_last_error(const sgfblo_solver *s);

/** Release everything. NULL-safe. */
SGFBLO_API void sgfblo_solver_destroy(sgfblo_solver *s);

#ifdef __cplusplus
}
#endif

#include "sgfblo/sgfblo_problems.h"
#include "sgfblo/sgfblo_hyperclean.h"
#include "sgfblo/sgfblo_io.h"
#include "sgfblo/sgfblo_data.h"
#include "sgfblo/sgfblo_aidbio.h"
#include "sgfblo/sgfblo_metrics.h"
#include "sgfblo/sgfblo_sqcqp.h"

#endif /* SGFBLO_SGFBLO_H */
