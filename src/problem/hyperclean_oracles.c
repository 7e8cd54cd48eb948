/* Oracles of data hyper-cleaning (MATH.md "Problem 2", paper §4.2), host memory; on device
   memory (CUDA builds) they forward to the instance's device copy (hyperclean_cuda.c).

   Every product is a pass over the rows of A (or Av) in blocks (hyperclean_blocks.c): a
   skinny GEMM of the block with C or 2C columns, row-wise work, then at most the block's
   share of A^T R, while the block is in cache. GEMM pairs per call (each pair one read of
   A):  g_val 1 (no A^T R), grad_g 1, hyy_mv 1, jyx_mv 1, jyxT_mv 1 (no A^T R), curv_mv 1,
   grad_g_curv 2 (for the three calls grad_g + jyxT_mv + hyy_mv, which take 3); f_val and
   grad_f 1 over Av. The dense oracles run whole-matrix GEMMs: hyy_dense 1 + C passes over A
   in blocks (plus the O(N m^2) SYRK it cannot avoid), jyx_dense 1 (plus its N m output).
   Nothing allocates: all buffers live in the sgfblo_hyperclean object. */
#include <stddef.h>
#include <stdint.h>

#include "core/blas_real.h"
#include "problem/hyperclean_impl.h"
#include "problem/problem_common.h"
#include "problem/problem_cuda.h"

/* ------------------------------------------------------------ row kernels -- */

void sgfblo_hc_sigmoid(const sgfblo_real *t, int64_t n, sgfblo_real *sig, sgfblo_real *dsig) {
  for (int64_t i = 0; i < n; ++i) {
    const sgfblo_real ti = t[i];
    const sgfblo_real e = SGFBLO_EXP(-SGFBLO_FABS(ti)); /* in (0, 1]: never overflows */
    const sgfblo_real inv = (sgfblo_real)1 / ((sgfblo_real)1 + e); /* sigma(|t|) */
    if (sig) sig[i] = ti >= 0 ? inv : e * inv;
    if (dsig) dsig[i] = e * inv * inv; /* sigma(t) sigma(-t) */
  }
}

void sgfblo_hc_softmax_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ldz,
                            const int32_t *labels, sgfblo_real *ce, int minus_onehot) {
  for (int64_t i = 0; i < rows; ++i) {
    sgfblo_real *z = Z + i * ldz;
    sgfblo_real mx = z[0];
    for (int64_t k = 1; k < C; ++k) mx = z[k] > mx ? z[k] : mx;
    const int32_t b = labels ? labels[i] : 0;
    const sgfblo_real gap = ce ? mx - z[b] : 0; /* >= 0 */
    sgfblo_real s = 0;
    for (int64_t k = 0; k < C; ++k) {
      z[k] = SGFBLO_EXP(z[k] - mx);
      s += z[k];
    }
    const sgfblo_real inv = (sgfblo_real)1 / s; /* s >= 1: the maximum contributes exp(0) */
    if (ce) ce[i] = gap + SGFBLO_LOG(s);
    /* p_b - 1 = -(sum_{k != b} e_k) / s: no cancellation when p_b rounds to 1. */
    sgfblo_real others = 0;
    if (minus_onehot)
      for (int64_t k = 0; k < C; ++k) others += k != b ? z[k] : 0;
    for (int64_t k = 0; k < C; ++k) z[k] *= inv;
    if (minus_onehot) z[b] = -others * inv;
  }
}

/* Row i of Hyy V's residual, in place over p_i (u_i = A v row i follows it at p + C):
   p_k <- sigma_i p_k (u_k - p'u). Formed as w_k - p'w with w = u - u_t, t the most likely
   class (sum p = 1): for a saturated row p_t ~ 1 and p'u would cancel against u_t. */
static void hyy_row(sgfblo_real *p, int64_t C, sgfblo_real sig) {
  const sgfblo_real *u = p + C;
  int64_t t = 0;
  for (int64_t k = 1; k < C; ++k) t = p[k] > p[t] ? k : t;
  sgfblo_real pw = 0;
  for (int64_t k = 0; k < C; ++k) pw += p[k] * (u[k] - u[t]);
  for (int64_t k = 0; k < C; ++k) p[k] = sig * p[k] * ((u[k] - u[t]) - pw);
}

/* ---------------------------------------------------------------- helpers -- */

/* The instance behind a callback, or NULL when the call cannot be served on the host: no
   context or data, vectors outside host memory, or an instance made from device data (it
   has no host copy to compute with). */
static sgfblo_hyperclean *host_instance(const sgfblo_eval_ctx *ctx) {
  if (!ctx || ctx->mem != SGFBLO_MEM_HOST || !ctx->user_data) return NULL;
  sgfblo_hyperclean *hc = (sgfblo_hyperclean *)ctx->user_data;
  return hc->mem == SGFBLO_MEM_HOST ? hc : NULL;
}

/* Why host_instance refused: the code a callback returns, its outputs untouched. */
static int host_refusal(const sgfblo_eval_ctx *ctx) {
  if (ctx && ctx->mem == SGFBLO_MEM_HOST && ctx->user_data &&
      ((const sgfblo_hyperclean *)ctx->user_data)->mem == SGFBLO_MEM_DEVICE)
    return SGFBLO_PROBLEM_CB_DEVICE_ONLY;
  return SGFBLO_PROBLEM_CB_NOT_HOST;
}

/* The device copy behind user_data (for SGFBLO_DEVICE_CALL): on device memory the oracles
   forward to hyperclean_cuda.c. */
#define HC_DEV(ud) (((const sgfblo_hyperclean *)(ud))->dev)

/* Host: nothing to do, unless the instance is device-only (refused here, at setup, rather
   than at the first evaluation). Device: make (or check) the device copy on device_id. */
static int hc_prepare(int device_id, const sgfblo_eval_ctx *ctx) {
  if (!ctx || !ctx->user_data) return SGFBLO_PROBLEM_CB_NOT_HOST;
  if (ctx->mem == SGFBLO_MEM_HOST) return host_instance(ctx) ? 0 : host_refusal(ctx);
  return sgfblo_problem_code(
      sgfblo_hyperclean_to_device((sgfblo_hyperclean *)ctx->user_data, device_id, ctx->detail),
      SGFBLO_PROBLEM_CB_NOT_ON_DEVICE);
}

/* Z2[:, 0:C) = A y  (N x C, leading dimension 2C), as one GEMM: for the dense oracles,
   whose other work is far larger than this pass. */
static void logits(sgfblo_hyperclean *hc, const sgfblo_real *y) {
  const int N = (int)hc->N, d = (int)hc->d, C = (int)hc->C;
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, d, 1, hc->A, d, y, C, 0,
                 hc->Z2, 2 * C);
}

/* Y2 = [y | v] (d x 2C), so that the logits and U = A v come from one pass over A. */
static const sgfblo_real *pack_y_v(sgfblo_hyperclean *hc, const sgfblo_real *y,
                                   const sgfblo_real *v) {
  const int64_t d = hc->d, C = hc->C;
  for (int64_t j = 0; j < d; ++j)
    for (int64_t k = 0; k < C; ++k) {
      hc->Y2[j * 2 * C + k] = y[j * C + k];
      hc->Y2[j * 2 * C + C + k] = v[j * C + k];
    }
  return hc->Y2;
}

/* The per-call inputs and outputs the row functions of a pass read and write. */
typedef struct {
  sgfblo_hyperclean *hc;
  const sgfblo_real *x, *u; /* upper variable; jyx_mv's u */
  sgfblo_real *nout;        /* an output of length N (grad_x g, Jyx^T v), or NULL */
  sgfblo_real invN;
  int scale_rows; /* grad_g: whether R (for grad_y g) is wanted */
} rows_ctx;

/* A pass over the training rows: Z2[:, zcol : zcol + kx) = A X, then rows_fn; with out, out =
   add_scale add + invN A^T Z2[:, rcol : rcol + C). */
static void train_pass(rows_ctx *rc, const sgfblo_real *X, int64_t kx, int64_t zcol,
                       void (*rows_fn)(void *, int64_t, int64_t), int64_t rcol, sgfblo_real *out,
                       const sgfblo_real *add, sgfblo_real add_scale) {
  sgfblo_hyperclean *hc = rc->hc;
  const sgfblo_hc_pass ps = {hc->A, hc->N, X, kx, hc->Z2, 2 * hc->C, zcol, rcol, rows_fn, rc,
                             out, rc->invN, add, add_scale};
  sgfblo_hc_pass_run(hc, &ps);
}

/* A pass over the validation rows: Zv = Av y, then rows_fn; with out, out = (1/Nv) Av^T Zv. */
static void val_pass(rows_ctx *rc, const sgfblo_real *y, void (*rows_fn)(void *, int64_t, int64_t),
                     sgfblo_real *out) {
  sgfblo_hyperclean *hc = rc->hc;
  const sgfblo_hc_pass ps = {hc->Av, hc->Nv, y, hc->C, hc->Zv, hc->C, 0, 0, rows_fn, rc,
                             out, (sgfblo_real)(1.0 / (double)hc->Nv), NULL, 0};
  sgfblo_hc_pass_run(hc, &ps);
}

/* sigma(x) and sigma'(x) of a block's rows. */
static void block_sigmoid(const rows_ctx *rc, int64_t i0, int64_t n, int sig, int dsig) {
  sgfblo_hc_sigmoid(rc->x + i0, n, sig ? rc->hc->sig + i0 : NULL, dsig ? rc->hc->dsig + i0 : NULL);
}

/* Training rows [i0, i0 + n) of Z2 (leading dimension 2C). */
static sgfblo_real *z2_rows(const rows_ctx *rc, int64_t i0) { return rc->hc->Z2 + i0 * 2 * rc->hc->C; }

/* With P = softmax(A y) in Z2[:, 0:C) and U = A v in Z2[:, C:2C), for rows [i0, i0 + n):
   qx[i] = Jyx^T v's entry invN sigma'(x_i) sum_k p_k (u_k - u_b) (the label term of
   (p - e_b) vanishes since u_b - u_b = 0), and Z2[:, 0:C) becomes Hyy v's residual rows. */
static void curv_rows(const rows_ctx *rc, int64_t i0, int64_t n) {
  const sgfblo_hyperclean *hc = rc->hc;
  const int64_t C = hc->C, ld = 2 * C;
  for (int64_t i = i0; i < i0 + n; ++i) {
    sgfblo_real *p = hc->Z2 + i * ld;
    const sgfblo_real *u = p + C;
    const sgfblo_real ub = u[hc->b[i]];
    sgfblo_real s = 0;
    for (int64_t k = 0; k < C; ++k) s += p[k] * (u[k] - ub);
    rc->nout[i] = rc->invN * hc->dsig[i] * s;
    hyy_row(p, C, hc->sig[i]);
  }
}

/* ------------------------------------------------------------- row passes -- */

/* g_val: CE of each row into ce. */
static void rows_g_val(void *arg, int64_t i0, int64_t n) {
  const rows_ctx *rc = (const rows_ctx *)arg;
  const sgfblo_hyperclean *hc = rc->hc;
  block_sigmoid(rc, i0, n, 1, 0);
  sgfblo_hc_softmax_rows(n, hc->C, z2_rows(rc, i0), 2 * hc->C, hc->b + i0, hc->ce + i0, 0);
}

/* Validation rows: P_v (f_val: with the CE of each row) or P_v - B_v (grad_f). */
static void rows_f_val(void *arg, int64_t i0, int64_t n) {
  const sgfblo_hyperclean *hc = ((const rows_ctx *)arg)->hc;
  sgfblo_hc_softmax_rows(n, hc->C, hc->Zv + i0 * hc->C, hc->C, hc->bv + i0, hc->ce + i0, 0);
}
static void rows_grad_f(void *arg, int64_t i0, int64_t n) {
  const sgfblo_hyperclean *hc = ((const rows_ctx *)arg)->hc;
  sgfblo_hc_softmax_rows(n, hc->C, hc->Zv + i0 * hc->C, hc->C, hc->bv + i0, NULL, 1);
}

/* grad_g: grad_x g rows (1/N) sigma'(x_i) CE_i when nout, and R_i = sigma_i (p_i - b_i). */
static void rows_grad_g(void *arg, int64_t i0, int64_t n) {
  const rows_ctx *rc = (const rows_ctx *)arg;
  const sgfblo_hyperclean *hc = rc->hc;
  const int64_t C = hc->C, ld = 2 * C;
  block_sigmoid(rc, i0, n, 1, 1);
  sgfblo_hc_softmax_rows(n, C, z2_rows(rc, i0), ld, hc->b + i0, rc->nout ? hc->ce + i0 : NULL, 1);
  for (int64_t i = i0; i < i0 + n; ++i) {
    if (rc->nout) rc->nout[i] = rc->invN * hc->dsig[i] * hc->ce[i];
    if (rc->scale_rows) {
      sgfblo_real *r = hc->Z2 + i * ld;
      for (int64_t k = 0; k < C; ++k) r[k] *= hc->sig[i];
    }
  }
}

/* sigma(x) (and sigma'(x) if dsig) of a block's rows and P = softmax in Z2[:, 0:C): where the
   Hyy rows start. */
static void sig_and_prob(const rows_ctx *rc, int64_t i0, int64_t n, int dsig) {
  block_sigmoid(rc, i0, n, 1, dsig);
  sgfblo_hc_softmax_rows(n, rc->hc->C, z2_rows(rc, i0), 2 * rc->hc->C, NULL, NULL, 0);
}

/* Hyy v: the residual rows sigma_i (p_i .* u_i - p_i (p_i' u_i)). */
static void rows_hyy(void *arg, int64_t i0, int64_t n) {
  const rows_ctx *rc = (const rows_ctx *)arg;
  const sgfblo_hyperclean *hc = rc->hc;
  const int64_t C = hc->C, ld = 2 * C;
  sig_and_prob(rc, i0, n, 0);
  for (int64_t i = i0; i < i0 + n; ++i) hyy_row(hc->Z2 + i * ld, C, hc->sig[i]);
}

/* sigma'(x) of a block's rows and their P - B in Z2[:, 0:C): where Jyx u and Jyx^T v start. */
static void dsig_and_residual(const rows_ctx *rc, int64_t i0, int64_t n) {
  const sgfblo_hyperclean *hc = rc->hc;
  block_sigmoid(rc, i0, n, 0, 1);
  sgfblo_hc_softmax_rows(n, hc->C, z2_rows(rc, i0), 2 * hc->C, hc->b + i0, NULL, 1);
}

/* Jyx u: rows sigma'(x_i) u_i (p_i - e_{b_i}). */
static void rows_jyx(void *arg, int64_t i0, int64_t n) {
  const rows_ctx *rc = (const rows_ctx *)arg;
  const sgfblo_hyperclean *hc = rc->hc;
  const int64_t C = hc->C, ld = 2 * C;
  dsig_and_residual(rc, i0, n);
  for (int64_t i = i0; i < i0 + n; ++i) {
    sgfblo_real *r = hc->Z2 + i * ld;
    const sgfblo_real w = hc->dsig[i] * rc->u[i];
    for (int64_t k = 0; k < C; ++k) r[k] *= w;
  }
}

/* Jyx^T v: entry i = (1/N) sigma'(x_i) sum_k (p - b)_k u_k, formed as sum_k (p - b)_k (u_k - u_b)
   (sum_k (p - b)_k = 0): no cancellation of p_b u_b against u_b when the sample is fitted. */
static void rows_jyxT(void *arg, int64_t i0, int64_t n) {
  const rows_ctx *rc = (const rows_ctx *)arg;
  const sgfblo_hyperclean *hc = rc->hc;
  const int64_t C = hc->C, ld = 2 * C;
  dsig_and_residual(rc, i0, n);
  for (int64_t i = i0; i < i0 + n; ++i) {
    const sgfblo_real *r = hc->Z2 + i * ld, *u = r + C;
    const sgfblo_real ub = u[hc->b[i]];
    sgfblo_real s = 0;
    for (int64_t k = 0; k < C; ++k) s += r[k] * (u[k] - ub);
    rc->nout[i] = rc->invN * hc->dsig[i] * s;
  }
}

/* curv_mv: P from Z2[:, 0:C), then curv_rows. */
static void rows_curv(void *arg, int64_t i0, int64_t n) {
  const rows_ctx *rc = (const rows_ctx *)arg;
  sig_and_prob(rc, i0, n, 1);
  curv_rows(rc, i0, n);
}

/* grad_g_curv's first pass: z_i -> p_i = softmax(z_i) kept in place, and r_i = sigma_i (p_i -
   e_{b_i}) into Z2[:, C:2C) (its label entry as minus the other probabilities). */
static void rows_prob_and_residual(void *arg, int64_t i0, int64_t n) {
  const rows_ctx *rc = (const rows_ctx *)arg;
  const sgfblo_hyperclean *hc = rc->hc;
  const int64_t C = hc->C, ld = 2 * C;
  sig_and_prob(rc, i0, n, 1);
  for (int64_t i = i0; i < i0 + n; ++i) {
    const sgfblo_real *p = hc->Z2 + i * ld;
    sgfblo_real *r = hc->Z2 + i * ld + C;
    const int32_t b = hc->b[i];
    sgfblo_real others = 0;
    for (int64_t k = 0; k < C; ++k) others += k != b ? p[k] : 0;
    for (int64_t k = 0; k < C; ++k) r[k] = hc->sig[i] * p[k];
    r[b] = -hc->sig[i] * others;
  }
}

/* grad_g_curv's second pass: U = A grad_y g is in Z2[:, C:2C), P still in Z2[:, 0:C). */
static void rows_curv_second(void *arg, int64_t i0, int64_t n) {
  curv_rows((const rows_ctx *)arg, i0, n);
}

/* ---------------------------------------------------------------- oracles -- */

/* f(y) = (1/Nv) sum_j CE_j(Av y). One pass over Av. */
static int hc_f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                    const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_f_val, x, y, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  rows_ctx rc = {hc, x, NULL, NULL, 0, 0};
  val_pass(&rc, y, rows_f_val, NULL);
  double s = 0;
  for (int64_t j = 0; j < hc->Nv; ++j) s += hc->ce[j];
  *out = (sgfblo_real)(s / (double)hc->Nv);
  return 0;
}

/* g(x, y) = (1/N) sum_i sigma(x_i) CE_i + lambda ||y||_F^2. One pass over A. */
static int hc_g_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                    const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_g_val, x, y, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, m = hc->d * hc->C;
  rows_ctx rc = {hc, x, NULL, NULL, 0, 0};
  train_pass(&rc, y, hc->C, 0, rows_g_val, 0, NULL, NULL, 0);
  double s = 0, yy = 0;
  for (int64_t i = 0; i < N; ++i) s += (double)hc->sig[i] * hc->ce[i];
  for (int64_t k = 0; k < m; ++k) yy += (double)y[k] * y[k];
  *out = (sgfblo_real)(s / (double)N + hc->lambda * yy);
  return 0;
}

/* grad_x f = 0;  grad_y f = (1/Nv) Av^T (P_v - B_v). One pass over Av. */
static int hc_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                     const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_grad_f, x, y, gx, gy);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  if (gx)
    for (int64_t i = 0; i < hc->N; ++i) gx[i] = 0;
  if (!gy) return 0;
  rows_ctx rc = {hc, x, NULL, NULL, 0, 0};
  val_pass(&rc, y, rows_grad_f, gy);
  return 0;
}

/* grad_x g = (1/N) sigma'(x) .* CE;  grad_y g = (1/N) A^T (diag(sigma(x)) (P - B)) + 2 lambda y.
   One pass over A. */
static int hc_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                     const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_grad_g, x, y, gx, gy);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  if (!gx && !gy) return 0;
  rows_ctx rc = {hc, x, NULL, gx, (sgfblo_real)(1.0 / (double)hc->N), gy != NULL};
  train_pass(&rc, y, hc->C, 0, rows_grad_g, 0, gy, y, (sgfblo_real)(2 * hc->lambda));
  return 0;
}

/* Hyy V = (1/N) A^T (diag(sigma) R) + 2 lambda V,  U = A V,  R_i = p_i .* u_i - p_i (p_i' u_i).
   One pass over A with 2C columns. */
static int hc_hyy_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                     sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_hyy, x, y, v, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  rows_ctx rc = {hc, x, NULL, NULL, (sgfblo_real)(1.0 / (double)hc->N), 0};
  train_pass(&rc, pack_y_v(hc, y, v), 2 * hc->C, 0, rows_hyy, 0, out, v,
             (sgfblo_real)(2 * hc->lambda));
  return 0;
}

/* Jyx u = (1/N) A^T (diag(sigma'(x) .* u) (P - B)). One pass over A. */
static int hc_jyx_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *u,
                     sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_jyx, x, y, u, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  rows_ctx rc = {hc, x, u, NULL, (sgfblo_real)(1.0 / (double)hc->N), 0};
  train_pass(&rc, y, hc->C, 0, rows_jyx, 0, out, NULL, 0);
  return 0;
}

/* Jyx^T V = (1/N) sigma'(x) .* rowsum((P - B) .* (A V)). One pass over A with 2C columns. */
static int hc_jyxT_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                      sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_jyxT, x, y, v, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  rows_ctx rc = {hc, x, NULL, out, (sgfblo_real)(1.0 / (double)hc->N), 0};
  train_pass(&rc, pack_y_v(hc, y, v), 2 * hc->C, 0, rows_jyxT, 0, NULL, NULL, 0);
  return 0;
}

/* Jyx^T v and Hyy v (sgfblo_curv_fn) from one pass over A, where jyxT_mv and hyy_mv make two:
   A [y | v], then per row the Jyx^T row sum and Hyy's row, then A^T R'. */
static int hc_curv_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                      sgfblo_real *qx, sgfblo_real *qy, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_curv, x, y, v, qx, qy);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  rows_ctx rc = {hc, x, NULL, qx, (sgfblo_real)(1.0 / (double)hc->N), 0};
  train_pass(&rc, pack_y_v(hc, y, v), 2 * hc->C, 0, rows_curv, 0, qy, v,
             (sgfblo_real)(2 * hc->lambda));
  return 0;
}

/* grad_y g, Jyx^T grad_y g and Hyy grad_y g (sgfblo_grad_curv_fn) in two passes over A with C
   columns each, where grad_g + jyxT_mv + hyy_mv make three with 5C: A y, the rows, A^T R for
   gy (P is kept in Z2[:, 0:C) while R, then U = A gy, use Z2[:, C:2C)); then A gy,
   curv_rows, A^T R' for Hyy gy. The second pass needs all of gy: it cannot join the first. */
static int hc_grad_g_curv(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gy,
                          sgfblo_real *qx, sgfblo_real *qy, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_grad_g_curv, x, y, gy, qx,
                     qy);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const sgfblo_real two_lambda = (sgfblo_real)(2 * hc->lambda);
  rows_ctx rc = {hc, x, NULL, qx, (sgfblo_real)(1.0 / (double)hc->N), 0};
  train_pass(&rc, y, hc->C, 0, rows_prob_and_residual, hc->C, gy, y, two_lambda);
  train_pass(&rc, gy, hc->C, hc->C, rows_curv_second, 0, qy, gy, two_lambda);
  return 0;
}

/* Dense Jyx (column-major m x N: column i is the derivative of grad_y g in x_i):
     Jyx[:, i] = (1/N) sigma'(x_i) (a_i (x) (p_i - e_{b_i})),  entry j*C + k = w_i a_ij r_ik.
   One pass over A (the logits) and N m writes: what SGF-Cholesky needs for J J^T, where
   forming it from N products Jyx e_i would make 2N passes. */
static int hc_jyx_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                        const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_jyx_dense, x, y, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, d = hc->d, C = hc->C, m = d * C, ld = 2 * C;
  const sgfblo_real invN = (sgfblo_real)(1.0 / (double)N);
  sgfblo_hc_sigmoid(x, N, NULL, hc->dsig);
  logits(hc, y);
  sgfblo_hc_softmax_rows(N, C, hc->Z2, ld, hc->b, NULL, 1);
  for (int64_t i = 0; i < N; ++i) {
    const sgfblo_real w = invN * hc->dsig[i], *a = hc->A + i * d, *r = hc->Z2 + i * ld;
    sgfblo_real *col = out + i * m;
    for (int64_t j = 0; j < d; ++j)
      for (int64_t k = 0; k < C; ++k) col[j * C + k] = w * a[j] * r[k];
  }
  return 0;
}

/* Dense Hyy (column-major m x m; symmetric, so row-major alike), index (j, k) -> j*C + k:
     Hyy = (1/N) sum_i sigma_i (a_i a_i') (x) (diag(p_i) - p_i p_i') + 2 lambda I.
   Off the diagonal blocks (k != k') this is -K^T K with K_i = sqrt(sigma_i / N) (a_i (x) p_i):
   one SYRK per block of nb samples. The diagonal blocks (k = k') are
     D_k = (1/N) sum_i sigma_i p_ik (1 - p_ik) a_i a_i',
   a d x d SYRK per class and block with 1 - p_ik summed from the other classes; they overwrite
   what the SYRK of K left there, which would cancel p_ik against p_ik^2 when p_ik ~ 1.
   N m^2 + N d^2 C flops, against about 4 N d C m for m products. */
static int hc_hyy_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                        const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_hyy_dense, x, y, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, d = hc->d, C = hc->C, m = d * C, ld = 2 * C;
  const sgfblo_real invN = (sgfblo_real)(1.0 / (double)N);
  sgfblo_hc_sigmoid(x, N, hc->sig, NULL);
  logits(hc, y);
  sgfblo_hc_softmax_rows(N, C, hc->Z2, ld, NULL, NULL, 0);
  for (int64_t i0 = 0; i0 < N; i0 += hc->nb) {
    const int64_t rows = N - i0 < hc->nb ? N - i0 : hc->nb;
    const sgfblo_real *A = hc->A + i0 * d, *P = hc->Z2 + i0 * ld, *sig = hc->sig + i0;
    const sgfblo_real beta = i0 > 0 ? 1 : 0;
    for (int64_t r = 0; r < rows; ++r) {
      const sgfblo_real w = SGFBLO_SQRT(sig[r] * invN);
      for (int64_t j = 0; j < d; ++j)
        for (int64_t k = 0; k < C; ++k)
          hc->K[r * m + j * C + k] = w * A[r * d + j] * P[r * ld + k];
    }
    /* Row-major K (rows x m) is column-major K^T (m x rows): out = -K^T K (lower part). */
    SGFBLO_CBLAS(syrk)(CblasColMajor, CblasLower, CblasNoTrans, (int)m, (int)rows, -1, hc->K, (int)m,
                   beta, out, (int)m);
    for (int64_t k = 0; k < C; ++k) {
      for (int64_t r = 0; r < rows; ++r) {
        const sgfblo_real *p = P + r * ld;
        sgfblo_real rest = 0; /* 1 - p_k */
        for (int64_t l = 0; l < C; ++l) rest += l != k ? p[l] : 0;
        const sgfblo_real w = SGFBLO_SQRT(sig[r] * p[k] * rest * invN);
        for (int64_t j = 0; j < d; ++j) hc->S[r * d + j] = w * A[r * d + j];
      }
      SGFBLO_CBLAS(syrk)(CblasColMajor, CblasLower, CblasNoTrans, (int)d, (int)rows, 1, hc->S,
                     (int)d, beta, hc->D + k * d * d, (int)d);
    }
  }
  for (int64_t k = 0; k < C; ++k) { /* D_k (lower) into rows j*C + k, columns j'*C + k */
    const sgfblo_real *Dk = hc->D + k * d * d;
    for (int64_t jc = 0; jc < d; ++jc)
      for (int64_t jr = jc; jr < d; ++jr) out[(jc * C + k) * m + jr * C + k] = Dk[jc * d + jr];
  }
  const sgfblo_real two_lambda = (sgfblo_real)(2 * hc->lambda);
  for (int64_t c = 0; c < m; ++c) {
    out[c * m + c] += two_lambda;
    for (int64_t r = c + 1; r < m; ++r) out[r * m + c] = out[c * m + r]; /* upper from lower */
  }
  return 0;
}

/* ---------------------------------------------------------------- problem -- */

sgfblo_status sgfblo_hyperclean_problem(const sgfblo_hyperclean *hc, sgfblo_problem *p) {
  if (!hc || !p) return SGFBLO_ERR_NULL_ARG;
  const sgfblo_problem filled = {
      .n = hc->N,
      .m = hc->d * hc->C,
      .f_val = hc_f_val,
      .g_val = hc_g_val,
      .grad_f = hc_grad_f,
      .grad_g = hc_grad_g,
      .hyy_mv = hc_hyy_mv,
      .jyx_mv = hc_jyx_mv,
      .jyxT_mv = hc_jyxT_mv,
      .hyy_dense = hc_hyy_dense,
      .jyx_dense = hc_jyx_dense,
      .x0 = NULL,
      .y0 = NULL,
      .x0_mem = SGFBLO_MEM_HOST,
      /* The callbacks write the workspaces: the object is only logically const. */
      .user_data = (void *)(uintptr_t)hc,
      .prepare = hc_prepare,
      .grad_g_curv = hc_grad_g_curv,
      .curv_mv = hc_curv_mv,
  };
  *p = filled;
  return SGFBLO_OK;
}
