/* The private backend interface: where vectors live and how the basic operations run.
   Layers above (method, integrator, solver) are written once against this table; the CPU
   backend (cpu.c) is the reference, the CUDA backend implements the same table. Every op
   returns a status, so a device failure is reported, never swallowed. */
#ifndef SGFBLO_BACKEND_BACKEND_H
#define SGFBLO_BACKEND_BACKEND_H

#include "backend/cg_scalars.h"
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
   * h = ||gy||^2 (gy = grad_y g, length m <= n, accumulated in double; on CUDA in the
   * filter's own block order, so not bit for bit dot_dev's) is formed in the same reduction
   * as the two sums and written to the backend scalar d_h; with
   * gy NULL it is read from d_h instead. Either way the filter needs no host round-trip;
   * lambda is written to the backend scalar d_lambda when that is not NULL (tests read it).
   */
  sgfblo_status (*safety_filter)(sgfblo_bctx *b, int64_t n, const sgfblo_real *gf,
                                 const sgfblo_real *gh, const sgfblo_real *gy, int64_t m,
                                 double *d_h, double alpha, double eps2, int relaxed,
                                 sgfblo_real *zdot, double *d_lambda);
  /* Backend scalars: doubles in backend memory (device memory on CUDA) that reductions write
     and fused kernels read, so that a step of the fast path never waits for the host. The host
     sees them only through scalars_read, at monitoring and check points. */
  /** Zero-initialised array of n backend scalars. */
  sgfblo_status (*scalars_alloc)(sgfblo_bctx *b, double **p, int n);
  void (*scalars_release)(sgfblo_bctx *b, double *p);
  /** *d_out (backend scalar) = x'y, accumulated in double. */
  sgfblo_status (*dot_dev)(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, const sgfblo_real *y,
                           double *d_out);
  /** *d_out (backend scalar) = max |x_i|, or +Inf if any entry is NaN/Inf. */
  sgfblo_status (*nrminf_dev)(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, double *d_out);
  /** *d_max = max(*d_max, *d_val - offset) on backend scalars (a NaN *d_val leaves *d_max). */
  sgfblo_status (*scalar_track_max)(sgfblo_bctx *b, const double *d_val, double offset,
                                    double *d_max);
  /** Watch a value every step without reading it: the first time !(*d_val <= limit) (NaN,
      Inf or above the limit), d_watch[0] = 1 and d_watch[1] = *d_val; later calls leave both. */
  sgfblo_status (*scalar_watch)(sgfblo_bctx *b, const double *d_val, double limit,
                                double *d_watch);
  /** d_dst[0..n) (backend scalars) = h_src[0..n) (host); done when the call returns. */
  sgfblo_status (*scalars_write)(sgfblo_bctx *b, int n, const double *h_src, double *d_dst);
  /** h_dst[0..n) (host) = d_src[0..n) (backend scalars); waits for the queued work. */
  sgfblo_status (*scalars_read)(sgfblo_bctx *b, int n, const double *d_src, double *h_dst);
  /* Conjugate gradients on backend scalars: c holds SGFBLO_CG_NSC of them (layout below), so
     an iteration needs no host round-trip and the host reads c every few iterations. Once
     STATE leaves RUNNING the updates are no-ops: iterations run past convergence change
     nothing. */
  /** TARGET = tol2 BB; ITERS = 0; STATE = ZERO_RHS if BB = 0, else CONVERGED if RR <= TARGET,
      else RUNNING. (BB and RR were written by dot_dev.) */
  sgfblo_status (*cg_start)(sgfblo_bctx *b, double tol2, double *c);
  /** With PAP = p'Ap written: if RUNNING and PAP > 0, a = RR / PAP, x += a p, r -= a Ap;
      if RUNNING and not PAP > 0, STATE = CURVATURE. */
  sgfblo_status (*cg_update_xr)(sgfblo_bctx *b, int64_t n, double *c, const sgfblo_real *p,
                                const sgfblo_real *Ap, sgfblo_real *x, sgfblo_real *r);
  /** With RR_NEW = r'r written: if RUNNING, p = r + (RR_NEW / RR) p, RR = RR_NEW, ITERS += 1,
      and STATE = CONVERGED once RR <= TARGET. */
  sgfblo_status (*cg_update_p)(sgfblo_bctx *b, int64_t n, double *c, const sgfblo_real *r,
                               sgfblo_real *p);
  /* Step graphs (NULL where the backend has none, as on the CPU): the work one step enqueues
     is recorded once and replayed with one launch. */
  /** Start recording the context's stream: what follows is captured, not run. */
  sgfblo_status (*graph_begin)(sgfblo_bctx *b);
  /** Stop recording. ok != 0: instantiate the recording into *graph (an opaque executable
      graph) and set *nodes to its node count (the kernels, memsets and copies one replay
      launches); ok == 0 (the recorded work failed): discard it. Either way the stream is left
      out of capture mode; a capture the runtime invalidated is reported as an error. */
  sgfblo_status (*graph_end)(sgfblo_bctx *b, int ok, void **graph, int64_t *nodes);
  /** Enqueue one replay of a graph from graph_end. */
  sgfblo_status (*graph_launch)(sgfblo_bctx *b, void *graph);
  /** Free a graph (NULL-safe, errors ignored: teardown). */
  void (*graph_release)(sgfblo_bctx *b, void *graph);
  /** Host <-> backend copies (synchronising). */
  sgfblo_status (*to_host)(sgfblo_bctx *b, int64_t n, sgfblo_real *dst, const sgfblo_real *src);
  sgfblo_status (*from_host)(sgfblo_bctx *b, int64_t n, sgfblo_real *dst, const sgfblo_real *src);
  /** Make the context's device current on the calling thread (CUDA: cudaSetDevice; CPU:
      nothing), so that a solver keeps working after the application switched devices or
      when it is driven from another thread. Every public entry point that touches the
      backend calls it first. */
  sgfblo_status (*make_current)(sgfblo_bctx *b);
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

/** make_current before a context's buffers are freed (teardown), where a failure has no caller
    to tell: its message goes to a scratch buffer, not b->err. */
void sgfblo_backend_make_current_quiet(const sgfblo_ops *ops, const sgfblo_bctx *b);

#endif /* SGFBLO_BACKEND_BACKEND_H */
