/**
 * @file sgfblo_problems.h
 * @brief Built-in problems. Each fills an sgfblo_problem with callbacks over data it owns,
 * through the same API a user problem uses. Included by sgfblo.h.
 */
#ifndef SGFBLO_SGFBLO_PROBLEMS_H
#define SGFBLO_SGFBLO_PROBLEMS_H

#include "sgfblo/sgfblo_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------- synthetic problem (paper §4.1) -- */
/*  f(x,y) = sin(c'x + d'y) + log(||x + y||^2 + 1),  g(x,y) = 1/2 ||H y - x||^2,  n = m.   */

/** Owns H (n x n, row-major), c, d. */
typedef struct sgfblo_synthetic sgfblo_synthetic;

/**
 * Seeded instance: H = Q diag(l) Q^T with Q Haar-orthogonal and l uniform in [0.1, 1]
 * (so cond(H) <= 10), c and d standard normal.
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (n < 1), SGFBLO_ERR_ALLOC,
 *         SGFBLO_ERR_LINALG
 */
SGFBLO_API sgfblo_status sgfblo_synthetic_random(int64_t n, uint64_t seed, sgfblo_synthetic **out,
                                                 sgfblo_errmsg *err);

/**
 * Instance from given arrays (host, deep-copied): H n x n row-major, c and d of length n.
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG, SGFBLO_ERR_NONFINITE,
 *         SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_synthetic_from_arrays(int64_t n, const sgfblo_real *H,
                                                      const sgfblo_real *c, const sgfblo_real *d,
                                                      sgfblo_synthetic **out, sgfblo_errmsg *err);

/**
 * Fill *p (callbacks, n = m, x0 = y0 = NULL, prepare). *sp must outlive every solver using *p.
 * The callbacks run on host memory, and on device memory (CUDA backend) once the instance has a
 * device copy: p->prepare makes it at setup (sgfblo_synthetic_to_device on settings.device_id),
 * so a solver with backend CUDA needs nothing more. Host evaluations never write to *sp and may
 * run concurrently; device evaluations of one instance share its cuBLAS handle and scratch, so
 * run them from one thread at a time.
 */
SGFBLO_API sgfblo_status sgfblo_synthetic_problem(const sgfblo_synthetic *sp, sgfblo_problem *p);

/**
 * Copy the instance's data (H, H^T H, c, d) to CUDA device device_id, with a cuBLAS handle and
 * a small scratch of its own, so that its callbacks accept device memory. Setup does this
 * through problem.prepare; call it yourself to place the data ahead of setup or to read the
 * detailed message of a failure (prepare can only return a code). Idempotent for one device;
 * makes device_id current on the calling thread. sgfblo_synthetic_destroy frees the copy.
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_NO_BACKEND (built without CUDA),
 *         SGFBLO_ERR_INVALID_ARG (already on another device), SGFBLO_ERR_ALLOC, SGFBLO_ERR_CUDA
 */
SGFBLO_API sgfblo_status sgfblo_synthetic_to_device(sgfblo_synthetic *sp, int device_id,
                                                    sgfblo_errmsg *err);

/** Read-only views of the data (host): H (n x n row-major), c, d. Any may be NULL. */
SGFBLO_API int64_t sgfblo_synthetic_dim(const sgfblo_synthetic *sp, const sgfblo_real **H,
                                        const sgfblo_real **c, const sgfblo_real **d);

/** NULL-safe. */
SGFBLO_API void sgfblo_synthetic_destroy(sgfblo_synthetic *sp);

/* ------------------------------------- quadratic problem with known solution -- */
/*  g(x,y) = 1/2 y'Ay - y'Bx  (A SPD m x m, B m x n),  y*(x) = A^{-1} B x,
 *  f(x,y) = 1/2 ||x - xh||^2 + 1/2 ||y - yh||^2,
 *  x* = (I + K'K)^{-1} (xh + K' yh),  K = A^{-1} B.                                       */

typedef struct sgfblo_quadratic sgfblo_quadratic;

/**
 * Seeded instance: A = Q diag(l) Q^T, l uniform in [0.5, 2]; B, xh, yh standard normal
 * (B scaled by 1/sqrt(n)).
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG, SGFBLO_ERR_ALLOC,
 *         SGFBLO_ERR_LINALG
 */
SGFBLO_API sgfblo_status sgfblo_quadratic_random(int64_t n, int64_t m, uint64_t seed,
                                                 sgfblo_quadratic **out, sgfblo_errmsg *err);

/** Fill *p (callbacks including the dense blocks; x0 = y0 = NULL). Host memory only: its
    prepare hook fails a setup on the CUDA backend with SGFBLO_ERR_CALLBACK (code 1). */
SGFBLO_API sgfblo_status sgfblo_quadratic_problem(const sgfblo_quadratic *q, sgfblo_problem *p);

/** The closed-form bilevel solution x* (length n) and y*(x*) (length m), host. Either may be NULL. */
SGFBLO_API sgfblo_status sgfblo_quadratic_solution(const sgfblo_quadratic *q, sgfblo_real *x_star,
                                                   sgfblo_real *y_star);

/** NULL-safe. */
SGFBLO_API void sgfblo_quadratic_destroy(sgfblo_quadratic *q);

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_SGFBLO_PROBLEMS_H */
