/* Oracles of data hyper-cleaning (MATH.md "Problem 2", paper §4.2), host memory; on device
   memory (CUDA builds) they forward to the instance's device copy (hyperclean_cuda.c).

   Every product is whole-matrix work: a skinny GEMM with A (N x d) and C or 2C columns, then
   row-wise work on N x C, then at most one GEMM with A^T. Passes over A per call:
     g_val 1, grad_g 2, hyy_mv 2, jyx_mv 2, jyxT_mv 1, grad_g_curv 4 (for the three calls
     grad_g + jyxT_mv + hyy_mv, which take 5); f_val 1 and grad_f 2 over Av;
   hyy_dense 1 + C over A in blocks (plus the O(N m^2) SYRK it cannot avoid), jyx_dense 1
   (plus its N m output).
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
  return sgfblo_hyperclean_to_device((sgfblo_hyperclean *)ctx->user_data, device_id, ctx->detail) ==
                 SGFBLO_OK
             ? 0
             : SGFBLO_PROBLEM_CB_NOT_ON_DEVICE;
}

/* Z2[:, 0:C) = A y  (N x C, leading dimension 2C). One pass over A. */
static void logits(sgfblo_hyperclean *hc, const sgfblo_real *y) {
  const int N = (int)hc->N, d = (int)hc->d, C = (int)hc->C;
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, C, d, 1, hc->A, d, y, C, 0,
                 hc->Z2, 2 * C);
}

/* Z2 = A [y | v]  (N x 2C): logits and U = A v from one pass over A. */
static void logits_and_av(sgfblo_hyperclean *hc, const sgfblo_real *y, const sgfblo_real *v) {
  const int64_t d = hc->d, C = hc->C;
  for (int64_t j = 0; j < d; ++j)
    for (int64_t k = 0; k < C; ++k) {
      hc->Y2[j * 2 * C + k] = y[j * C + k];
      hc->Y2[j * 2 * C + C + k] = v[j * C + k];
    }
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)hc->N, (int)(2 * C), (int)d, 1,
                 hc->A, (int)d, hc->Y2, (int)(2 * C), 0, hc->Z2, (int)(2 * C));
}

/* out = scale * A^T R + beta * out, R = Z2[:, 0:C). One pass over A. */
static void at_r(sgfblo_hyperclean *hc, sgfblo_real scale, sgfblo_real beta, sgfblo_real *out) {
  const int N = (int)hc->N, d = (int)hc->d, C = (int)hc->C;
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasTrans, CblasNoTrans, d, C, N, scale, hc->A, d, hc->Z2, 2 * C,
                 beta, out, C);
}

/* Zv = softmax(Av y) (minus B_v if minus_onehot), ce[0..Nv) = validation cross-entropies.
   One pass over Av. */
static void validation_softmax(sgfblo_hyperclean *hc, const sgfblo_real *y, int minus_onehot) {
  const int Nv = (int)hc->Nv, d = (int)hc->d, C = (int)hc->C;
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, Nv, C, d, 1, hc->Av, d, y, C, 0,
                 hc->Zv, C);
  sgfblo_hc_softmax_rows(hc->Nv, hc->C, hc->Zv, hc->C, hc->bv, hc->ce, minus_onehot);
}

/* ---------------------------------------------------------------- oracles -- */

/* f(y) = (1/Nv) sum_j CE_j(Av y). */
static int hc_f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                    const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_f_val, x, y, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  (void)x;
  if (!hc) return host_refusal(ctx);
  validation_softmax(hc, y, 0);
  double s = 0;
  for (int64_t j = 0; j < hc->Nv; ++j) s += hc->ce[j];
  *out = (sgfblo_real)(s / (double)hc->Nv);
  return 0;
}

/* g(x, y) = (1/N) sum_i sigma(x_i) CE_i + lambda ||y||_F^2. */
static int hc_g_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                    const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_g_val, x, y, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, m = hc->d * hc->C;
  sgfblo_hc_sigmoid(x, N, hc->sig, NULL);
  logits(hc, y);
  sgfblo_hc_softmax_rows(N, hc->C, hc->Z2, 2 * hc->C, hc->b, hc->ce, 0);
  double s = 0, yy = 0;
  for (int64_t i = 0; i < N; ++i) s += (double)hc->sig[i] * hc->ce[i];
  for (int64_t k = 0; k < m; ++k) yy += (double)y[k] * y[k];
  *out = (sgfblo_real)(s / (double)N + hc->lambda * yy);
  return 0;
}

/* grad_x f = 0;  grad_y f = (1/Nv) Av^T (P_v - B_v). */
static int hc_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                     const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_grad_f, x, y, gx, gy);
  sgfblo_hyperclean *hc = host_instance(ctx);
  (void)x;
  if (!hc) return host_refusal(ctx);
  if (gx)
    for (int64_t i = 0; i < hc->N; ++i) gx[i] = 0;
  if (!gy) return 0;
  const int64_t Nv = hc->Nv, C = hc->C;
  validation_softmax(hc, y, 1);
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasTrans, CblasNoTrans, (int)hc->d, (int)C, (int)Nv,
                 (sgfblo_real)(1.0 / (double)Nv), hc->Av, (int)hc->d, hc->Zv, (int)C, 0, gy,
                 (int)C);
  return 0;
}

/* grad_x g = (1/N) sigma'(x) .* CE;  grad_y g = (1/N) A^T (diag(sigma(x)) (P - B)) + 2 lambda y. */
static int hc_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                     const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_grad_g, x, y, gx, gy);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  if (!gx && !gy) return 0;
  const int64_t N = hc->N, C = hc->C, ld = 2 * C, m = hc->d * C;
  const sgfblo_real invN = (sgfblo_real)(1.0 / (double)N);
  sgfblo_hc_sigmoid(x, N, hc->sig, hc->dsig);
  logits(hc, y);
  sgfblo_hc_softmax_rows(N, C, hc->Z2, ld, hc->b, gx ? hc->ce : NULL, 1);
  if (gx)
    for (int64_t i = 0; i < N; ++i) gx[i] = invN * hc->dsig[i] * hc->ce[i];
  if (!gy) return 0;
  for (int64_t i = 0; i < N; ++i) { /* R_i = sigma_i (p_i - b_i) */
    sgfblo_real *r = hc->Z2 + i * ld;
    for (int64_t k = 0; k < C; ++k) r[k] *= hc->sig[i];
  }
  const sgfblo_real two_lambda = (sgfblo_real)(2 * hc->lambda);
  for (int64_t k = 0; k < m; ++k) gy[k] = two_lambda * y[k];
  at_r(hc, invN, 1, gy);
  return 0;
}

/* Hyy V = (1/N) A^T (diag(sigma) R) + 2 lambda V,  U = A V,  R_i = p_i .* u_i - p_i (p_i' u_i). */
static int hc_hyy_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                     sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_hyy, x, y, v, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, C = hc->C, ld = 2 * C, m = hc->d * C;
  sgfblo_hc_sigmoid(x, N, hc->sig, NULL);
  logits_and_av(hc, y, v);
  sgfblo_hc_softmax_rows(N, C, hc->Z2, ld, NULL, NULL, 0);
  for (int64_t i = 0; i < N; ++i) hyy_row(hc->Z2 + i * ld, C, hc->sig[i]);
  const sgfblo_real two_lambda = (sgfblo_real)(2 * hc->lambda);
  for (int64_t k = 0; k < m; ++k) out[k] = two_lambda * v[k];
  at_r(hc, (sgfblo_real)(1.0 / (double)N), 1, out);
  return 0;
}

/* Jyx u = (1/N) A^T (diag(sigma'(x) .* u) (P - B)). */
static int hc_jyx_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *u,
                     sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_jyx, x, y, u, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, C = hc->C, ld = 2 * C;
  sgfblo_hc_sigmoid(x, N, NULL, hc->dsig);
  logits(hc, y);
  sgfblo_hc_softmax_rows(N, C, hc->Z2, ld, hc->b, NULL, 1);
  for (int64_t i = 0; i < N; ++i) {
    sgfblo_real *r = hc->Z2 + i * ld;
    const sgfblo_real w = hc->dsig[i] * u[i];
    for (int64_t k = 0; k < C; ++k) r[k] *= w;
  }
  at_r(hc, (sgfblo_real)(1.0 / (double)N), 0, out);
  return 0;
}

/* Jyx^T V = (1/N) sigma'(x) .* rowsum((P - B) .* (A V)). */
static int hc_jyxT_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                      sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_jyxT, x, y, v, out);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, C = hc->C, ld = 2 * C;
  const sgfblo_real invN = (sgfblo_real)(1.0 / (double)N);
  sgfblo_hc_sigmoid(x, N, NULL, hc->dsig);
  logits_and_av(hc, y, v);
  sgfblo_hc_softmax_rows(N, C, hc->Z2, ld, hc->b, NULL, 1);
  for (int64_t i = 0; i < N; ++i) {
    /* sum_k (p - b)_k u_k = sum_k (p - b)_k (u_k - u_b), since sum_k (p - b)_k = 0: no
       cancellation of p_b u_b against u_b when the sample is fitted. */
    const sgfblo_real *r = hc->Z2 + i * ld, *u = r + C;
    const sgfblo_real ub = u[hc->b[i]];
    sgfblo_real s = 0;
    for (int64_t k = 0; k < C; ++k) s += r[k] * (u[k] - ub);
    out[i] = invN * hc->dsig[i] * s;
  }
  return 0;
}

/* With P = softmax(A y) in Z2[:, 0:C) and U = A v in Z2[:, C:2C): qx[i] = Jyx^T v's entry
   invN sigma'(x_i) sum_k p_k (u_k - u_b) (the label term of (p - e_b) vanishes since
   u_b - u_b = 0), and Z2[:, 0:C) becomes Hyy v's residual rows. */
static void curv_rows(sgfblo_hyperclean *hc, sgfblo_real invN, sgfblo_real *qx) {
  const int64_t C = hc->C, ld = 2 * C;
  for (int64_t i = 0; i < hc->N; ++i) {
    sgfblo_real *p = hc->Z2 + i * ld;
    const sgfblo_real *u = p + C;
    const sgfblo_real ub = u[hc->b[i]];
    sgfblo_real s = 0;
    for (int64_t k = 0; k < C; ++k) s += p[k] * (u[k] - ub);
    qx[i] = invN * hc->dsig[i] * s;
    hyy_row(p, C, hc->sig[i]);
  }
}

/* Jyx^T v and Hyy v (sgfblo_curv_fn) from 2 passes over A, where jyxT_mv and hyy_mv make 3:
   A [y | v] once, then per row the Jyx^T row sum (as in hc_grad_g_curv, sum_k p_k (u_k - u_b))
   and Hyy's row, then A^T R'. */
static int hc_curv_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                      sgfblo_real *qx, sgfblo_real *qy, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_curv, x, y, v, qx, qy);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, C = hc->C, ld = 2 * C, m = hc->d * C;
  const sgfblo_real invN = (sgfblo_real)(1.0 / (double)N);
  sgfblo_hc_sigmoid(x, N, hc->sig, hc->dsig);
  logits_and_av(hc, y, v);
  sgfblo_hc_softmax_rows(N, C, hc->Z2, ld, NULL, NULL, 0);
  curv_rows(hc, invN, qx);
  const sgfblo_real two_lambda = (sgfblo_real)(2 * hc->lambda);
  for (int64_t k = 0; k < m; ++k) qy[k] = two_lambda * v[k];
  at_r(hc, invN, 1, qy);
  return 0;
}

/* The rows of the fused call's first pass: z_i -> p_i = softmax(z_i) kept in place, and
   r_i = sigma_i (p_i - e_{b_i}) into R (its label entry as minus the other probabilities). */
static void prob_and_residual_rows(sgfblo_hyperclean *hc, sgfblo_real *R) {
  const int64_t N = hc->N, C = hc->C, ld = 2 * C;
  sgfblo_hc_softmax_rows(N, C, hc->Z2, ld, NULL, NULL, 0);
  for (int64_t i = 0; i < N; ++i) {
    const sgfblo_real *p = hc->Z2 + i * ld;
    sgfblo_real *r = R + i * ld;
    const int32_t b = hc->b[i];
    sgfblo_real others = 0;
    for (int64_t k = 0; k < C; ++k) others += k != b ? p[k] : 0;
    for (int64_t k = 0; k < C; ++k) r[k] = hc->sig[i] * p[k];
    r[b] = -hc->sig[i] * others;
  }
}

/* grad_y g, Jyx^T grad_y g and Hyy grad_y g (sgfblo_grad_curv_fn) in 4 passes over A with C
   columns each, where grad_g + jyxT_mv + hyy_mv make 5 with 7C columns: A y once (P is kept in
   Z2[:, 0:C) while R, then U = A gy, use Z2[:, C:2C)), A^T R for gy, A gy, A^T R' for Hyy gy;
   the rows of the last two are curv_rows. */
static int hc_grad_g_curv(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gy,
                          sgfblo_real *qx, sgfblo_real *qy, const sgfblo_eval_ctx *ctx) {
  SGFBLO_DEVICE_CALL(ctx, HC_DEV, sgfblo_hc_dev_detail, sgfblo_hc_dev_grad_g_curv, x, y, gy, qx,
                     qy);
  sgfblo_hyperclean *hc = host_instance(ctx);
  if (!hc) return host_refusal(ctx);
  const int64_t N = hc->N, C = hc->C, ld = 2 * C, m = hc->d * C;
  const int iN = (int)N, id = (int)hc->d, iC = (int)C, ild = (int)ld;
  const sgfblo_real invN = (sgfblo_real)(1.0 / (double)N);
  const sgfblo_real two_lambda = (sgfblo_real)(2 * hc->lambda);
  sgfblo_real *U = hc->Z2 + C; /* R, then A gy */
  sgfblo_hc_sigmoid(x, N, hc->sig, hc->dsig);
  logits(hc, y);
  prob_and_residual_rows(hc, U);
  for (int64_t k = 0; k < m; ++k) gy[k] = two_lambda * y[k];
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasTrans, CblasNoTrans, id, iC, iN, invN, hc->A, id, U, ild,
                 1, gy, iC);
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, iN, iC, id, 1, hc->A, id, gy, iC, 0,
                 U, ild);
  curv_rows(hc, invN, qx);
  for (int64_t k = 0; k < m; ++k) qy[k] = two_lambda * gy[k];
  at_r(hc, invN, 1, qy);
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
