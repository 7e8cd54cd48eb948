/* The private backend interface: where vectors live and how the basic operations run.
   Layers above (method, integrator, solver) are written once against this table; the CPU
   backend (cpu.c) is the reference, the CUDA backend implements the same table. Every op
   returns a status, so a device failure is reported, never swallowed. */
#ifndef SGFBLO_BACKEND_BACKEND_H
#define SGFBLO_BACKEND_BACKEND_H

#include "sgfblo/sgfblo.h"

/** Per-solver backend context: the error buffer ops report into, the stream, private state. */
typedef struct sgfblo_bctx {
  sgfblo_errmsg *err; /**< where a failing op writes its message (the solver's) */
  void *stream;       /**< cudaStream_t on CUDA, NULL on CPU */
  void *impl;         /**< backend-private state (handles, scratch) */
} sgfblo_bctx;

/** Vector/matrix operations on backend memory. Lengths are element counts; matrices are
    column-major. Outputs may alias inputs only where stated. */
typedef struct sgfblo_ops {
  const char *name;
  sgfblo_memspace mem;
  /** Zero-initialised array of n reals. */
  sgfblo_status (*alloc)(sgfblo_bctx *b, sgfblo_real **p, int64_t n);
  void (*release)(sgfblo_bctx *b, sgfblo_real *p);
  /** y = x */
  sgfblo_status (*copy)(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, sgfblo_real *y);
  /** x = a */
  sgfblo_status (*fill)(sgfblo_bctx *b, int64_t n, double a, sgfblo_real *x);
  /** y = a x + c y (y may alias x) */
  sgfblo_status (*axpby)(sgfblo_bctx *b, int64_t n, double a, const sgfblo_real *x, double c,
                         sgfblo_real *y);
  /** z = sum_i c[i] X[i], k >= 1, c on the host; z may alias X[0] (one fused pass). */
  sgfblo_status (*lincomb)(sgfblo_bctx *b, int64_t n, int k, const double *c,
                           const sgfblo_real *const *X, sgfblo_real *z);
  /** *out (host) = x'y, accumulated in double. */
  sgfblo_status (*dot)(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, const sgfblo_real *y,
                       double *out);
  /** *out (host) = max |x_i|, or +Inf if any entry is NaN/Inf (a free finiteness test). */
  sgfblo_status (*nrminf)(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, double *out);
  /** *out = sqrt(mean_i (e_i / (atol + rtol max(|z0_i|, |z1_i|)))^2): the dopri5 error norm. */
  sgfblo_status (*err_norm)(sgfblo_bctx *b, int64_t n, const sgfblo_real *e,
                            const sgfblo_real *z0, const sgfblo_real *z1, double atol,
                            double rtol, double *out);
  /** C (m x k) = alpha op(A) op(B) + beta C, column-major, op = transpose when trans* != 0. */
  sgfblo_status (*gemm)(sgfblo_bctx *b, int transa, int transb, int64_t m, int64_t k,
                        int64_t inner, double alpha, const sgfblo_real *A, int64_t lda,
                        const sgfblo_real *B, int64_t ldb, double beta, sgfblo_real *C,
                        int64_t ldc);
  /** Reserve what potrf needs to factor the m x m matrix A (allocated by alloc; its contents
      are not read). Called at setup by every user of potrf, so that potrf itself never
      allocates (CPU: nothing to do; CUDA: the cuSOLVER workspace). */
  sgfblo_status (*potrf_reserve)(sgfblo_bctx *b, int64_t m, sgfblo_real *A);
  /** In-place lower Cholesky of the m x m matrix A; SGFBLO_ERR_NOT_SPD if not positive. */
  sgfblo_status (*potrf)(sgfblo_bctx *b, int64_t m, sgfblo_real *A);
  /** Solve (L L') x = rhs in place with the factor from potrf. */
  sgfblo_status (*potrs)(sgfblo_bctx *b, int64_t m, const sgfblo_real *L, sgfblo_real *rhs);
  /**
   * Fused safety filter of the scalar-constraint flows (eq. 8, RXGF):
   *   lambda = num / ||gh||^2, num = -gh'gf + alpha (h - eps2), clamped at 0 when relaxed,
   *   lambda = 0 where ||gh||^2 = 0 (then grad_y g = 0 and the filter is inactive);
   *   zdot = -gf - lambda gh.  gf = (grad_x f, grad_y f), gh = (grad_x h, grad_y h), length n.
   * The dots, lambda and the combination stay in backend memory; *lambda_host (may be NULL)
   * receives lambda for tests.
   */
  sgfblo_status (*safety_filter)(sgfblo_bctx *b, int64_t n, const sgfblo_real *gf,
                                 const sgfblo_real *gh, double h, double alpha, double eps2,
                                 int relaxed, sgfblo_real *zdot, double *lambda_host);
  /** Host <-> backend copies (synchronising). */
  sgfblo_status (*to_host)(sgfblo_bctx *b, int64_t n, sgfblo_real *dst, const sgfblo_real *src);
  sgfblo_status (*from_host)(sgfblo_bctx *b, int64_t n, sgfblo_real *dst, const sgfblo_real *src);
  /** Release the context's private state. */
  void (*close)(sgfblo_bctx *b);
} sgfblo_ops;

/** The CPU backend (always compiled). */
const sgfblo_ops *sgfblo_cpu_ops(void);

/**
 * Open a backend for one solver: pick the table and initialise b (b->err must be set).
 * @return SGFBLO_OK, SGFBLO_ERR_NO_BACKEND (not compiled in / no device), SGFBLO_ERR_CUDA
 */
sgfblo_status sgfblo_backend_open(sgfblo_backend which, int device_id, const sgfblo_ops **ops,
                                  sgfblo_bctx *b);

#endif /* SGFBLO_BACKEND_BACKEND_H */
