/* Pieces shared by the built-in problems: the host-only guard of their callbacks and the
   seeded random symmetric matrices they are built from. */
#ifndef SGFBLO_PROBLEM_PROBLEM_COMMON_H
#define SGFBLO_PROBLEM_PROBLEM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "core/blas_real.h"
#include "sgfblo/sgfblo.h"
#include "tools/rng.h"

/* Nonzero returns of the built-in callbacks (they end a solve with SGFBLO_ERR_CALLBACK and
   are kept in sgfblo_info.callback_code). */
/** Handed memory it cannot read: ctx is NULL, or ctx->mem is a space this problem does not
    run in (the quadratic problem is host-only; the others need a CUDA build for the device). */
#define SGFBLO_PROBLEM_CB_NOT_HOST 1
/** ctx->mem is SGFBLO_MEM_DEVICE but the instance has no device copy of its data on the
    current device: prepare (called by setup) or sgfblo_*_to_device was not run or failed. */
#define SGFBLO_PROBLEM_CB_NOT_ON_DEVICE 2
/** A CUDA, cuBLAS or kernel-launch call inside a device callback failed. */
#define SGFBLO_PROBLEM_CB_CUDA 3
/** ctx->mem is SGFBLO_MEM_HOST but the instance was made from device data and holds no host
    copy of it (hyper-cleaning with data.mem = SGFBLO_MEM_DEVICE): it runs on the CUDA backend
    only, on the device holding the data. */
#define SGFBLO_PROBLEM_CB_DEVICE_ONLY 4
/* And SGFBLO_ERR_ALLOC itself when an allocation failed (the device copy, a workspace made on
   first use): the solver then reports SGFBLO_ERR_ALLOC, not SGFBLO_ERR_CALLBACK. */

/** What a built-in callback returns when a library call inside it gave st: 0 on success,
    SGFBLO_ERR_ALLOC when memory ran out, else `otherwise` (one of the codes above). */
static inline int sgfblo_problem_code(sgfblo_status st, int otherwise) {
  return st == SGFBLO_OK ? 0 : st == SGFBLO_ERR_ALLOC ? SGFBLO_ERR_ALLOC : otherwise;
}

/** The problem data behind a callback's context, or NULL when the callback must refuse: no
    context, no data, or vectors outside host memory. */
static inline const void *sgfblo_problem_host_data(const sgfblo_eval_ctx *ctx) {
  if (!ctx || ctx->mem != SGFBLO_MEM_HOST) return NULL;
  return ctx->user_data;
}

/** 1 if a rows x cols matrix of elem-byte entries is allocatable in principle: both dimensions
    in [1, INT_MAX] (what BLAS and LAPACKE take) and the byte count fits a size_t. */
static inline int sgfblo_problem_dims_ok(int64_t rows, int64_t cols, size_t elem) {
  if (rows < 1 || cols < 1 || !SGFBLO_BLAS_DIM_OK(rows) || !SGFBLO_BLAS_DIM_OK(cols)) return 0;
  return (size_t)rows <= SIZE_MAX / elem / (size_t)cols;
}

/**
 * A = Q diag(l) Q^T (n x n, double, exactly symmetric, so row- and column-major alike), with Q
 * Haar-distributed on the orthogonal group (QR of a standard normal matrix, columns signed by
 * R's diagonal) and l_i uniform in [lo, hi]. Draws from r, in this order: the n*n normal entries
 * (column by column), then the n eigenvalues.
 * @return SGFBLO_OK, SGFBLO_ERR_INVALID_ARG (n < 1 or too large), SGFBLO_ERR_ALLOC,
 *         SGFBLO_ERR_LINALG
 */
sgfblo_status sgfblo_problem_random_sym(sgfblo_rng *r, int64_t n, double lo, double hi,
                                        double *A, sgfblo_errmsg *err);

#endif /* SGFBLO_PROBLEM_PROBLEM_COMMON_H */
