/**
 * @file sgfblo_types.h
 * @brief Enums, status codes, settings, info and problem structs of sgfblo.
 *
 * Included by sgfblo.h; users include that one. Compiles as C11 and as C++.
 */
#ifndef SGFBLO_SGFBLO_TYPES_H
#define SGFBLO_SGFBLO_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "sgfblo/sgfblo_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The real type of every array in the API: double, or float with SGFBLO_USE_FLOAT. */
#ifdef SGFBLO_USE_FLOAT
typedef float sgfblo_real;
#else
typedef double sgfblo_real;
#endif

/* ---------------------------------------------------------------- status -- */

/** One list feeds both the codes and their messages, so they cannot drift apart. */
#define SGFBLO_STATUS_LIST(X)                                                        \
  X(SGFBLO_OK, 0, "success")                                                         \
  X(SGFBLO_ERR_NULL_ARG, -1, "required pointer argument is NULL")                    \
  X(SGFBLO_ERR_INVALID_ARG, -2, "argument out of range or dimension mismatch")       \
  X(SGFBLO_ERR_INVALID_SETTINGS, -3, "invalid settings")                             \
  X(SGFBLO_ERR_ALLOC, -4, "host or device allocation failed")                        \
  X(SGFBLO_ERR_NO_BACKEND, -5, "backend not compiled in or no device")               \
  X(SGFBLO_ERR_CUDA, -6, "CUDA runtime error")                                       \
  X(SGFBLO_ERR_LINALG, -7, "linear algebra routine failed")                          \
  X(SGFBLO_ERR_NOT_SPD, -8, "Cholesky failed: matrix not SPD")                       \
  X(SGFBLO_ERR_CALLBACK, -9, "user callback returned nonzero")                       \
  X(SGFBLO_ERR_NONFINITE, -10, "NaN/Inf in data or state")                           \
  X(SGFBLO_ERR_NOT_SETUP, -11, "solver used before a successful setup")              \
  X(SGFBLO_ERR_IO, -12, "file could not be read or written")                         \
  X(SGFBLO_ERR_FORMAT, -13, "malformed or unsupported file contents")                \
  X(SGFBLO_ERR_DIVERGED, -14, "the flow diverged")                                   \
  X(SGFBLO_ERR_NOT_CONVERGED, -15, "an inner solve did not reach its tolerance")     \
  X(SGFBLO_ERR_STEP_TOO_SMALL, -16, "step size fell below its floor")

#define SGFBLO_STATUS_ENUM_(name, val, msg) name = val,
/** Return code of every fallible call. SGFBLO_OK is 0; errors are negative. */
typedef enum { SGFBLO_STATUS_LIST(SGFBLO_STATUS_ENUM_) } sgfblo_status;
#undef SGFBLO_STATUS_ENUM_

/** How a solve ended (separate from the status: a solve that reached t_final returned SGFBLO_OK). */
typedef enum {
  SGFBLO_EXIT_NONE = 0,    /**< no solve has run yet */
  SGFBLO_EXIT_T_FINAL,     /**< integrated up to settings.t_final */
  SGFBLO_EXIT_MAX_STEPS,   /**< took settings.max_steps steps */
  SGFBLO_EXIT_CONVERGED,   /**< ||zdot||_inf <= settings.tol */
  SGFBLO_EXIT_DIVERGED,    /**< state left the ball of radius settings.div_limit */
  SGFBLO_EXIT_NONFINITE,   /**< NaN/Inf appeared in the state or the vector field */
  SGFBLO_EXIT_INTERRUPTED, /**< the monitor callback asked to stop */
  SGFBLO_EXIT_ERROR,       /**< an error status ended the solve (see last_error) */
  SGFBLO_EXIT_TIME_LIMIT   /**< ran for settings.max_seconds of wall time (status OK) */
} sgfblo_exit_flag;

/* ------------------------------------------------------------------ enums -- */

/** Where the vectors live and the basic operations run. */
typedef enum { SGFBLO_BACKEND_CPU = 0, SGFBLO_BACKEND_CUDA = 1 } sgfblo_backend;

/** Vector fields (MATH.md) and their names in the CLI. */
typedef enum {
  SGFBLO_METHOD_RXGF = 0,  /**< relaxed safe gradient flow, eq. (RXGF)            "rxgf"     */
  SGFBLO_METHOD_INVFREE,   /**< inversion-free SGF, eq. (8)                        "invfree"  */
  SGFBLO_METHOD_SGF_CHOL,  /**< SGF, dual (5) solved by Cholesky of J J^T          "sgf-chol" */
  SGFBLO_METHOD_SGF_CG,    /**< SGF, dual (5) solved by conjugate gradients        "sgf-cg"   */
  SGFBLO_METHOD_PC,        /**< prediction-correction, Appendix B eq. (21)         "pc"       */
  SGFBLO_METHOD_STABLE,    /**< continuous-time STABLE (Chen et al.)               "stable"   */
  SGFBLO_METHOD_COUNT_
} sgfblo_method;

/** Time integrators. */
typedef enum {
  SGFBLO_INTEG_RK4 = 0, /**< classic fourth-order Runge-Kutta        "rk4"    */
  SGFBLO_INTEG_RK4_38,  /**< Kutta's 3/8 rule (torchdiffeq's "rk4")  "rk4-38" */
  SGFBLO_INTEG_EULER,   /**< explicit Euler                          "euler"  */
  SGFBLO_INTEG_DOPRI5,  /**< Dormand-Prince 5(4), adaptive           "dopri5" */
  SGFBLO_INTEG_COUNT_
} sgfblo_integrator;

/** Linear solver for systems with the lower-level Hessian (PC, STABLE, the F monitor, init). */
typedef enum {
  SGFBLO_LINSOLVE_CG = 0, /**< conjugate gradients on Hyy products (matrix-free) */
  SGFBLO_LINSOLVE_CHOL    /**< Cholesky of the formed m x m Hyy */
} sgfblo_linsolve;

/** Where the initial state comes from. */
typedef enum {
  SGFBLO_INIT_GIVEN = 0, /**< problem.x0 / problem.y0 (zeros where NULL) */
  SGFBLO_INIT_RANDOM     /**< standard normal entries from settings.init_seed */
} sgfblo_init;

/** Memory space of a pointer handed to or by the library. */
typedef enum { SGFBLO_MEM_HOST = 0, SGFBLO_MEM_DEVICE = 1 } sgfblo_memspace;

/** Message buffer for calls that have no solver handle to store their error in. */
typedef struct {
  char msg[512]; /**< NUL-terminated detail of the last failure ("" on success) */
} sgfblo_errmsg;

/* -------------------------------------------------------------- callbacks -- */

/** What every problem callback receives besides its vectors. */
typedef struct {
  sgfblo_memspace mem; /**< SGFBLO_MEM_HOST (CPU backend) or SGFBLO_MEM_DEVICE (CUDA backend) */
  void *stream;        /**< cudaStream_t when mem == DEVICE, else NULL: enqueue all work here */
  void *user_data;     /**< problem.user_data */
  /** Where a callback that returns nonzero may say why, or NULL: the library copies the text
      into its message ("problem callback grad_g returned 3: <text>") and clears it. A
      wrapper that copies the ctx for an inner problem passes it on as it is. */
  sgfblo_errmsg *detail;
} sgfblo_eval_ctx;

/**
 * Scalar value f(x, y) or g(x, y), written to *out (host memory).
 * Return 0 on success; nonzero ends the solve with SGFBLO_ERR_CALLBACK, except SGFBLO_ERR_ALLOC,
 * which a callback returns when an allocation failed and which ends it with SGFBLO_ERR_ALLOC
 * (the same holds for every callback below).
 */
typedef int (*sgfblo_value_fn)(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                               const sgfblo_eval_ctx *ctx);

/**
 * Gradient: gx (length n) = d/dx, gy (length m) = d/dy, in ctx->mem.
 * Either output may be NULL: the library passes NULL for a block it does not need, and the
 * callback must then skip it.
 */
typedef int (*sgfblo_grad_fn)(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                              sgfblo_real *gy, const sgfblo_eval_ctx *ctx);

/** Product with a second-derivative block: out = Hyy v (m->m), Jyx u (n->m) or Jyx^T v (m->n). */
typedef int (*sgfblo_prod_fn)(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                              sgfblo_real *out, const sgfblo_eval_ctx *ctx);

/** Dense block, column-major: Hyy (m x m, leading dim m) or Jyx (m x n, leading dim m). */
typedef int (*sgfblo_dense_fn)(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                               const sgfblo_eval_ctx *ctx);

/**
 * Both curvature products at one vector: qx = Jyx^T v (length n) and qy = Hyy v (length m),
 * in ctx->mem, from work they share (hyper-cleaning: 2 GEMMs with its data instead of 3, one read of it instead of two on
 * the host).
 * Optional; the methods that need the pair (SGF-CG's J J^T products and its last step,
 * SQCQP's constraint gradient, and RXGF / inversion-free without grad_g_curv) call jyxT_mv
 * and hyy_mv otherwise. It counts as those two calls. qx and qy are distinct buffers.
 */
typedef int (*sgfblo_curv_fn)(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                              sgfblo_real *qx, sgfblo_real *qy, const sgfblo_eval_ctx *ctx);

/**
 * Fused lower-level gradient and curvature: gy = grad_y g(x, y), then at the same point
 * qx = Jyx^T gy (length n) and qy = Hyy gy (length m), all in ctx->mem. The flows whose safety
 * filter has one scalar constraint (RXGF, inversion-free) need exactly these three and call
 * this instead of grad_g, jyxT_mv and hyy_mv when the problem provides it, so a problem can
 * share work between them (hyper-cleaning: 4 GEMMs with its data instead of 5; on the host 2
 * reads of it instead of 3). It counts
 * as those three calls in sgfblo_info. The three outputs are distinct buffers.
 */
typedef int (*sgfblo_grad_curv_fn)(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gy,
                                   sgfblo_real *qx, sgfblo_real *qy, const sgfblo_eval_ctx *ctx);

/**
 * Optional preparation hook: make the problem's data ready for the memory space its callbacks
 * will be handed. Called by sgfblo_solver_setup (and sgfblo_aidbio_solve) once, after the
 * backend is opened and before any other callback, with ctx->mem the backend's memory space,
 * ctx->stream its stream (cudaStream_t on CUDA, else NULL) and device_id the CUDA ordinal of
 * settings.device_id, already current on the calling thread (unused on the CPU backend).
 * Unlike the other callbacks it runs at setup time, so it may allocate, copy and synchronise;
 * it must be idempotent, since every setup with the problem calls it. Return 0 on success;
 * nonzero fails the setup with SGFBLO_ERR_CALLBACK (the value in sgfblo_info.callback_code),
 * or SGFBLO_ERR_ALLOC to say that memory ran out, which the setup then returns: the built-in
 * problems do when their device copy does not fit.
 */
typedef int (*sgfblo_prepare_fn)(int device_id, const sgfblo_eval_ctx *ctx);

/**
 * A bilevel problem  min_x f(x, y*(x)),  y*(x) = argmin_y g(x, y),  g(x, .) strongly convex.
 *
 * Contract (see docs/CUSTOM_PROBLEMS.md and examples/custom_problem.c):
 *  - every pointer a callback receives lives in ctx->mem and was allocated by the library;
 *    outputs do not alias inputs; the callback must not keep pointers after it returns;
 *  - on the CUDA backend, all work goes on ctx->stream with no synchronisation or allocation,
 *    and a step may be recorded into a CUDA graph and replayed without calling the callbacks
 *    again (settings.cuda_graph = 0 turns that off);
 *  - Jyx is the m x n matrix d(grad_y g)/dx (MATH.md).
 * Required: n, m >= 1, f_val, grad_f, grad_g, hyy_mv, jyx_mv, jyxT_mv. Optional: g_val,
 * hyy_dense and jyx_dense (SGF-Cholesky forms J J^T from products when they are absent),
 * prepare (NULL when the data need no preparation), curv_mv (jyxT_mv and hyy_mv at one v) and
 * grad_g_curv (a fused grad_g + jyxT_mv + hyy_mv); the fused ones must agree with the calls
 * they replace. Zero-initialise the struct (memset or
 * designated initialisers) so that optional members left out are NULL.
 */
typedef struct sgfblo_problem {
  int64_t n;                 /**< upper-level dimension, >= 1 */
  int64_t m;                 /**< lower-level dimension, >= 1 */
  sgfblo_value_fn f_val;     /**< upper objective f(x, y) (required) */
  sgfblo_value_fn g_val;     /**< lower objective g(x, y) (optional) */
  sgfblo_grad_fn grad_f;     /**< (grad_x f, grad_y f) (required) */
  sgfblo_grad_fn grad_g;     /**< (grad_x g, grad_y g) (required; grad_x g may be skipped) */
  sgfblo_prod_fn hyy_mv;     /**< Hyy v (required) */
  sgfblo_prod_fn jyx_mv;     /**< Jyx u (required) */
  sgfblo_prod_fn jyxT_mv;    /**< Jyx^T v (required) */
  sgfblo_dense_fn hyy_dense; /**< dense Hyy (optional) */
  sgfblo_dense_fn jyx_dense; /**< dense Jyx (optional) */
  const sgfblo_real *x0;     /**< initial x (length n) or NULL for zeros; deep-copied by setup */
  const sgfblo_real *y0;     /**< initial y (length m) or NULL for zeros; deep-copied by setup */
  /** Memory space of x0 and y0. Device arrays must be ready when setup reads them: work the
      application queued on the legacy default stream (or a blocking stream) is waited for;
      work on a non-blocking stream of its own must be synchronised by the caller. */
  sgfblo_memspace x0_mem;
  void *user_data;           /**< handed to every callback in ctx->user_data */
  sgfblo_prepare_fn prepare; /**< called by setup before any evaluation (optional) */
  sgfblo_grad_curv_fn grad_g_curv; /**< (grad_y g, Jyx^T grad_y g, Hyy grad_y g) fused (optional) */
  sgfblo_curv_fn curv_mv;    /**< (Jyx^T v, Hyy v) fused (optional) */
} sgfblo_problem;

/* ---------------------------------------------------------------- monitor -- */

/** Values at a monitoring point (also the final summary in sgfblo_info). */
typedef struct {
  int64_t step;            /**< accepted steps so far */
  double t;                /**< time */
  double dt;               /**< step size that will be tried next */
  double f;                /**< f(x, y) */
  double grad_g_norm;      /**< ||grad_y g(x, y)||_2 */
  double hypergrad_norm;   /**< ||F(x, y)||_2, the surrogate hypergradient (2), NAN if not computed */
  double zdot_norm;        /**< ||zdot||_inf of the last evaluated vector field (NAN before
                                the first step of a trajectory) */
  int64_t n_rhs;           /**< vector-field evaluations */
  int64_t n_oracle;        /**< gradient + product oracle calls of the method (each about one pass
                                over the data); monitoring and setup work are not counted */
} sgfblo_progress;

/**
 * Called every settings.monitor_every steps, at the start and at the end of a solve.
 * Return 0 to continue, nonzero to stop (exit flag SGFBLO_EXIT_INTERRUPTED).
 */
typedef int (*sgfblo_monitor_fn)(const sgfblo_progress *p, void *monitor_data);

/* --------------------------------------------------------------- settings -- */

/** Solver settings. Fill with sgfblo_settings_default(), then change what you need. */
typedef struct {
  sgfblo_backend backend;       /**< SGFBLO_BACKEND_CPU | _CUDA */
  sgfblo_method method;         /**< vector field */
  sgfblo_integrator integrator; /**< time integrator */
  double alpha;                 /**< safety-filter gain, > 0 */
  double epsilon;               /**< RXGF tolerance on ||grad_y g||, > 0 (RXGF only; >= 0 checked) */
  double beta;                  /**< prediction-correction gain, > 0 */
  double mu1, mu2;              /**< STABLE gains, > 0 */
  double dt;                    /**< (initial) step, > 0 */
  double t_final;               /**< final time, > 0 */
  int64_t max_steps;            /**< step limit, >= 1 */
  double max_seconds;           /**< wall-clock limit of one sgfblo_solver_solve call, in seconds;
                                     >= 0 and finite, 0: none (the default). Checked after every
                                     accepted step on a monotonic clock: no step starts once the
                                     call has run this long (exit TIME_LIMIT), so it ends past
                                     the limit by at most one step and the final report; at
                                     least one step is taken. On CUDA the clock sees when steps
                                     are queued, not when the device finishes them */
  double tol;                   /**< stop when ||zdot||_inf <= tol; >= 0 (0: never) */
  double div_limit;             /**< stop with DIVERGED when ||z||_inf > div_limit; > 0 */
  double rtol, atol;            /**< dopri5 error tolerances, > 0 */
  double dt_min;                /**< floor for adaptive / controlled steps, > 0 */
  int step_control;             /**< RXGF/INVFREE: reject steps that leave the eps-set (0|1) */
  sgfblo_linsolve linsolve;     /**< solves with Hyy (PC, STABLE, F monitor, init_lower) */
  double cg_tol;                /**< relative residual of every CG solve, > 0 */
  int cg_maxit;                 /**< CG iteration budget, >= 1 */
  sgfblo_init init;             /**< where the initial state comes from */
  uint64_t init_seed;           /**< seed for SGFBLO_INIT_RANDOM */
  int init_lower;               /**< replace y0 by y*(x0) (Newton-CG on g(x0, .)) (0|1) */
  double init_lower_tol;        /**< stop the lower solve at ||grad_y g|| <= this, > 0 */
  int init_lower_maxit;         /**< Newton iteration budget, >= 1 */
  int check_every;              /**< steps between stop tests (finite, divergence, tol), >= 1;
                                     each reads scalars back from the device on CUDA */
  int monitor_every;            /**< steps between monitor callbacks / log rows, >= 1 */
  int monitor_hypergrad;        /**< compute ||F|| at monitoring points (one CG solve) (0|1) */
  sgfblo_monitor_fn monitor;    /**< optional progress callback */
  void *monitor_data;           /**< handed to monitor */
  const char *log_path;         /**< optional CSV trajectory log; copied by setup */
  int device_id;                /**< CUDA device ordinal, >= 0; every solver call (and the
                                     solve after each monitor callback) makes it current on
                                     the calling thread and leaves it current; ignored on CPU */
  int cuda_graph;               /**< CUDA: record a fixed-size step of RXGF / inversion-free
                                     once into a CUDA Graph and replay it (0|1, default 1;
                                     0 runs every launch from the host, for debugging) */
  /* Adding a field: update sgfblo_settings_default, sgfblo_settings_validate and tests. */
} sgfblo_settings;

/* ------------------------------------------------------------------- info -- */

/** What a solve did. */
typedef struct {
  sgfblo_exit_flag exit_flag; /**< how the last solve ended */
  sgfblo_progress last;       /**< values at the final state */
  int64_t n_grad;             /**< gradient oracle calls of the method (grad_f + grad_g) */
  int64_t n_prod;             /**< product oracle calls of the method (Hyy, Jyx, Jyx^T) */
  int64_t n_monitor_oracle;   /**< gradient + product calls spent on monitoring (f, ||grad_y g||, ||F||) */
  int64_t n_setup_oracle;     /**< gradient + product calls of setup (init_lower's Newton-CG) */
  int64_t n_value;            /**< value oracle calls */
  int64_t n_rejected;         /**< steps rejected by dopri5 or the eps-set step control */
  int64_t n_graph_steps;      /**< steps run as one CUDA Graph replay (0 on the CPU backend) */
  int64_t graph_nodes;        /**< nodes of the step graph recorded last (the kernels, memsets
                                   and copies each replay launches); 0 when none was recorded */
  int64_t cg_iters;           /**< CG iterations over all solves */
  double max_h_excess;        /**< max over accepted steps of ||grad_y g||^2 - eps^2 (RXGF), else NAN */
  double init_grad_g_norm;    /**< ||grad_y g|| at the initial state */
  int callback_code;          /**< nonzero value a problem callback returned, else 0 */
  double solve_seconds;       /**< wall time of the solve */
} sgfblo_info;

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_SGFBLO_TYPES_H */
