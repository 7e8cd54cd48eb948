/* The C entry points of the CUDA kernels (STYLE.md §12): every kernel is a
   `static __global__ void k_<op>` in a kernels/ *.cu file, reached from C only through the
   extern "C" sgfblo_cuda_<op> launchers declared here.

   Conventions shared by every launcher:
   - pointers are device memory unless the comment says host;
   - `stream` is a cudaStream_t passed as void* (so this header needs no CUDA header and
     compiles as C11); all work is enqueued on it, nothing synchronises or allocates, so every
     launcher may be captured into a CUDA Graph;
   - the return value is cudaGetLastError() after the launch(es), as an int: 0 is
     cudaSuccess, anything else a cudaError_t the caller turns into a status and a message;
   - n = 0 launches nothing and returns 0 (reductions then write their neutral result).
   Private to the library; compiled only when SGFBLO_HAVE_CUDA. */
#ifndef SGFBLO_KERNELS_KERNELS_H
#define SGFBLO_KERNELS_KERNELS_H

#include <stdint.h>

#include "sgfblo/sgfblo_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ vec.cu: vectors -- */

/** Most inputs one sgfblo_cuda_lincomb launch combines (the caller chains longer sums). */
#define SGFBLO_CUDA_LINCOMB_MAX 16
/** Doubles of partial-sum scratch every two-pass reduction below needs (d_part): up to
    three sums (the safety filter's) of up to 256 blocks each. */
#define SGFBLO_CUDA_RED_PARTS 768

/** x = a */
int sgfblo_cuda_fill(int64_t n, double a, sgfblo_real *x, void *stream);
/** y = a x + c y in sgfblo_real arithmetic, y = a x exactly when c == 0 (as the CPU op). */
int sgfblo_cuda_axpby(int64_t n, double a, const sgfblo_real *x, double c, sgfblo_real *y,
                      void *stream);
/** z = sum_{j<k} c[j] X[j], accumulated in double; 1 <= k <= SGFBLO_CUDA_LINCOMB_MAX; c and
    X are HOST arrays (copied into the launch parameters); z may alias X[0]. */
int sgfblo_cuda_lincomb(int64_t n, int k, const double *c, const sgfblo_real *const *X,
                        sgfblo_real *z, void *stream);

/* Two-pass reductions in double: partial sums of up to SGFBLO_CUDA_RED_PARTS / 3 blocks into
   d_part, then one block combines them into d_out (device). The block count depends on n
   only, so results are reproducible run to run. */

/** d_out[0] = x'y */
int sgfblo_cuda_dot(int64_t n, const sgfblo_real *x, const sgfblo_real *y, double *d_part,
                    double *d_out, void *stream);
/** d_out[0] = max |x_i|, +Inf if any entry is NaN or Inf. */
int sgfblo_cuda_nrminf(int64_t n, const sgfblo_real *x, double *d_part, double *d_out,
                       void *stream);
/** d_out[0] = sqrt(mean_i (e_i / (atol + rtol max(|z0_i|, |z1_i|)))^2) */
int sgfblo_cuda_err_norm(int64_t n, const sgfblo_real *e, const sgfblo_real *z0,
                         const sgfblo_real *z1, double atol, double rtol, double *d_part,
                         double *d_out, void *stream);
/** The scalar-constraint safety filter (eq. 8, RXGF), all on the device:
      lambda = num / ||gh||^2 (0 where ||gh|| = 0), num = -gh'gf + alpha (h - eps2),
      clamped at 0 when relaxed;  then zdot = -gf - lambda gh; d_lambda[0] = lambda unless
    d_lambda is NULL. h = ||gy||^2 over the m <= n entries of gy, written to d_h[0]; with gy
    NULL, h = d_h[0]. (One three-value reduction and one combination kernel that also forms
    lambda: h and lambda never leave the device.) */
int sgfblo_cuda_safety_filter(int64_t n, const sgfblo_real *gf, const sgfblo_real *gh,
                              const sgfblo_real *gy, int64_t m, double *d_h, double alpha,
                              double eps2, int relaxed, sgfblo_real *zdot, double *d_part,
                              double *d_lambda, void *stream);
/** d_max[0] = max(d_max[0], d_val[0] - offset); one thread (a running maximum kept on the
    device, e.g. of ||grad_y g||^2 - eps^2 over the steps). */
int sgfblo_cuda_track_max(const double *d_val, double offset, double *d_max, void *stream);
/** The first time !(d_val[0] <= limit): d_watch[0] = 1, d_watch[1] = d_val[0]; one thread
    (a divergence / NaN watch the host reads only at check points). */
int sgfblo_cuda_watch(const double *d_val, double limit, double *d_watch, void *stream);
/** Conjugate-gradient updates on the CG scalars c (layout and semantics: the cg_* ops of
    src/backend/backend.h): cg_start one thread; cg_update_xr x += a p, r -= a Ap; cg_update_p
    p = r + beta p, then one thread moves RR, ITERS and STATE (a second launch, so that no
    thread of the vector kernel reads RR after it changed). */
int sgfblo_cuda_cg_start(double tol2, double *c, void *stream);
int sgfblo_cuda_cg_update_xr(int64_t n, double *c, const sgfblo_real *p, const sgfblo_real *Ap,
                             sgfblo_real *x, sgfblo_real *r, void *stream);
int sgfblo_cuda_cg_update_p(int64_t n, double *c, const sgfblo_real *r, sgfblo_real *p,
                            void *stream);
/** Single-block sum for the problems' value callbacks (no scratch):
    d_out[0] = sum_i x_i y_i, or sum_i x_i when y is NULL. */
int sgfblo_cuda_sum_small(int64_t n, const sgfblo_real *x, const sgfblo_real *y, double *d_out,
                          void *stream);

/* --------------------------------------------- synthetic.cu: Problem 1 (§4.1) -- */

/** grad f of the synthetic problem: gx = cos(s) c + q u, gy = cos(s) d + q u with s = c'x +
    d'y, u = x + y, q = 2 / (||u||^2 + 1); either output may be NULL. One block. */
int sgfblo_cuda_synth_grad_f(int64_t n, const sgfblo_real *c, const sgfblo_real *d,
                             const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                             sgfblo_real *gy, void *stream);
/** d_out[0] = f(x, y) = sin(c'x + d'y) + log1p(||x + y||^2). One block. */
int sgfblo_cuda_synth_f_val(int64_t n, const sgfblo_real *c, const sgfblo_real *d,
                            const sgfblo_real *x, const sgfblo_real *y, double *d_out,
                            void *stream);

/* ------------------------------------------- hyperclean.cu: Problem 2 (§4.2) -- */
/* Row-wise work on N x C blocks (row stride ld) of the hyper-cleaning oracles; one thread per
   row, with the stable softmax / logsumexp of the host kernels (hyperclean_oracles.c).
   sigma(x_i) and sigma'(x_i) are recomputed from x where needed. */

/** A write a row kernel makes on the side, in the same launch: out[0..n) = a v, or zeros
    when v is NULL; nothing when n = 0 (SGFBLO_CUDA_NO_SIDE). It is the initialisation of the
    output that the next GEMM accumulates into (2 lambda y before grad_y g's A^T R, a zero
    grad_x f), which would otherwise be a launch (a graph node) of its own; the arithmetic is
    sgfblo_cuda_axpby's with c = 0. out may not overlap what the rows read or write. */
typedef struct {
  int64_t n;
  double a;
  const sgfblo_real *v;
  sgfblo_real *out;
} sgfblo_cuda_side;
#ifndef __cplusplus /* a compound literal: C only (the .cu files do not need it) */
#define SGFBLO_CUDA_NO_SIDE ((sgfblo_cuda_side){0, 0.0, NULL, NULL})
#endif

/** Rows of Z become softmax(z_i); with ce (labels then required):
    ce[i] = CE_i = logsumexp(z_i) - z_{i,b_i}. */
int sgfblo_cuda_hc_softmax_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ld,
                                const int32_t *labels, sgfblo_real *ce, void *stream);
/** What a row launch (or the row phase of a fused pass) does to row i of Z (row stride ld),
    with P = softmax of the row's columns 0..C-1 and U = its columns C..2C-1; sigma(x_i) and
    sigma'(x_i) are recomputed from x. Each kind is the host's row function of the same
    oracle (hyperclean_oracles.c). */
typedef enum {
  /** Columns 0..C-1 become p_i - e_{b_i}; with out: out[i] = invN sigma'(x_i) CE_i; with
      scale_sig, then times sigma(x_i). (grad_f: x = out = NULL, scale_sig = 0.) */
  SGFBLO_HC_ROWS_GRAD,
  /** Columns 0..C-1 become sigma(x_i) (p_i .* (u_i - u_t) - p_i p_i'(u_i - u_t)),
      t = argmax p_i. */
  SGFBLO_HC_ROWS_HYY,
  /** Columns 0..C-1 become sigma'(x_i) u[i] (p_i - e_{b_i}). */
  SGFBLO_HC_ROWS_JYX,
  /** out[i] = invN sigma'(x_i) sum_k (p - e_b)_ik (U_ik - U_ib); columns 0..C-1 become
      p_i - e_{b_i}. */
  SGFBLO_HC_ROWS_JYXT,
  /** Columns 0..C-1 become P, columns C..2C-1 sigma(x_i) (p_i - e_{b_i}) (label entry minus
      the other probabilities). */
  SGFBLO_HC_ROWS_PROB_RESID,
  /** Columns 0..C-1 already hold P: out[i] = invN sigma'(x_i) sum_k p_ik (U_ik - U_ib), and
      columns 0..C-1 become the Hyy rows of SGFBLO_HC_ROWS_HYY. */
  SGFBLO_HC_ROWS_CURV,
  /** The softmax of columns 0..C-1, then SGFBLO_HC_ROWS_CURV. */
  SGFBLO_HC_ROWS_SOFTMAX_CURV
} sgfblo_cuda_hc_rows_kind;

/** One row operation over Z (device pointers). Fields a kind does not use may be anything. */
typedef struct {
  sgfblo_cuda_hc_rows_kind kind;
  int64_t C, ld;          /* classes; Z's row stride (>= 2C where U is used) */
  sgfblo_real *Z;
  const int32_t *labels;  /* per row (GRAD, JYX, JYXT, PROB_RESID, CURV kinds) */
  const sgfblo_real *x;   /* upper variable, per row (NULL for GRAD: sigma = 1, sigma' = 0) */
  const sgfblo_real *u;   /* JYX: the vector u, per row */
  sgfblo_real *out;       /* per-row output (GRAD: may be NULL; JYXT, CURV kinds) */
  double invN;            /* rounded to sgfblo_real where used */
  int scale_sig;          /* GRAD */
} sgfblo_cuda_hc_rows;

/** Rows [0, rows) of op, one thread per row, plus side. */
int sgfblo_cuda_hc_rows_run(const sgfblo_cuda_hc_rows *op, int64_t rows, sgfblo_cuda_side side,
                            void *stream);

/* -------------------------------- hyperclean_fused.cu: one pass per product -- */
/* The device twin of the host's row-block pass (sgfblo_hc_pass, hyperclean_blocks.c): one
   kernel whose thread blocks take blocks of rows of M, form the block's M X into Z, run the
   row operation on the block's rows and add the block's share of M^T R to a partial sum of
   their own, while the block's rows are still in cache; then one kernel adds the partial sums
   in a fixed order (the same bits on every run with one grid). */

/** A pass over the rows of M (rows x d, row-major). X and V are d x C row-major; with V the
    pass forms M [X | V] (kx = 2C columns), without it M X (kx = C). Z[i, zcol : zcol + kx)
    receives row i of the product (Z and its stride are the row operation's). With out (d x C):
    out = add_scale add + scale M^T R, R = Z[:, rcol : rcol + C) after the row operation, add
    NULL meaning 0; side is then written too (an extra output, as the row launch's). out is
    written after every block has read X and V. */
typedef struct {
  const sgfblo_real *M;
  int64_t rows, d;
  const sgfblo_real *X, *V;
  int64_t zcol, rcol;
  sgfblo_real *out;
  double scale;
  const sgfblo_real *add;
  double add_scale;
  sgfblo_cuda_side side;
} sgfblo_cuda_hc_pass;

/** Whether the fused pass serves shape (d, C) on the current device, and its grids: *grid_c
    and *grid_2c thread blocks (one wave: as many as are resident at once) for passes of C
    and 2C columns, both 0 when the shape is not served (C > 16, d > 1024, or [X | V] beyond
    the device's shared memory per block). Sets the kernels' shared-memory limit; call once
    per device before sgfblo_cuda_hc_fused_run. Partial sums: max(grid) x d C reals. */
int sgfblo_cuda_hc_fused_plan(int64_t d, int64_t C, int *grid_c, int *grid_2c);
/** One pass (and its row operation op, whose Z it writes) on at most `grid` thread blocks
    (the plan's grid for its column count), partial sums in `partial`. */
int sgfblo_cuda_hc_fused_run(const sgfblo_cuda_hc_pass *pass, const sgfblo_cuda_hc_rows *op,
                             int grid, sgfblo_real *partial, void *stream);

/** sig[i] = sigma(x_i). */
int sgfblo_cuda_hc_sigmoid(int64_t n, const sgfblo_real *x, sgfblo_real *sig, void *stream);
/** Dense Jyx (m x N column-major, m = d C): entry (j C + k, i) = invN sigma'(x_i) A[i, j]
    R[i, k], R = P - B in Z's rows (leading dimension ld). */
int sgfblo_cuda_hc_jyx_dense(int64_t N, int64_t d, int64_t C, const sgfblo_real *x,
                             const sgfblo_real *A, const sgfblo_real *R, int64_t ld, double invN,
                             sgfblo_real *out, void *stream);
/** Dense Hyy, block of `rows` samples: K (rows x m row-major, m = d C) with
    K[r, j C + k] = sqrt(sig_r invN) A[r, j] P[r, k]. */
int sgfblo_cuda_hc_dense_k(int64_t rows, int64_t d, int64_t C, const sgfblo_real *sig,
                           const sgfblo_real *A, const sgfblo_real *P, int64_t ld, double invN,
                           sgfblo_real *K, void *stream);
/** Dense Hyy, class k: S (rows x d) with S[r, j] = sqrt(sig_r p_rk (1 - p_rk) invN) A[r, j],
    1 - p_rk summed from the other classes. */
int sgfblo_cuda_hc_dense_s(int64_t rows, int64_t d, int64_t C, int64_t k, const sgfblo_real *sig,
                           const sgfblo_real *A, const sgfblo_real *P, int64_t ld, double invN,
                           sgfblo_real *S, void *stream);
/** Dense Hyy, last step: the lower triangles of the C diagonal blocks D_k (d x d each) into
    rows j C + k, columns j' C + k of out (m x m, column-major), then out += 2 lambda I and the
    upper triangle mirrored from the lower. */
int sgfblo_cuda_hc_dense_finish(int64_t d, int64_t C, const sgfblo_real *D, double two_lambda,
                                sgfblo_real *out, void *stream);

/** Validation of device input (two counters in d_res, set here): d_res[0] = number of labels
    outside [0, C), d_res[1] = the first such index (ULLONG_MAX when none). One reduction pass;
    atomics once per thread. */
int sgfblo_cuda_hc_check_labels(int64_t n, const int32_t *labels, int64_t C,
                                unsigned long long *d_res, void *stream);
/** As sgfblo_cuda_hc_check_labels for the entries of X (length n) that are NaN or Inf. */
int sgfblo_cuda_hc_check_finite(int64_t n, const sgfblo_real *X, unsigned long long *d_res,
                                void *stream);

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_KERNELS_KERNELS_H */
