// The per-row arithmetic of the hyper-cleaning oracles on the device, shared by the row
// launch after a cuBLAS GEMM (hyperclean.cu) and by the fused row-block pass
// (hyperclean_fused.cu), so the two paths compute every row the same way. It follows the host
// kernels in src/problem/hyperclean_oracles.c formula for formula (sgfblo_real, the row
// maximum subtracted, the cancellation-free forms). Included by .cu files only.
#ifndef SGFBLO_KERNELS_HYPERCLEAN_ROWS_CUH
#define SGFBLO_KERNELS_HYPERCLEAN_ROWS_CUH

#include <math.h>

#include "kernels.h"

// sigma(t) and sigma'(t) = sigma(t) sigma(-t) from one exp(-|t|) (sgfblo_hc_sigmoid).
static __device__ inline void sigmoid(sgfblo_real t, sgfblo_real *sig, sgfblo_real *dsig) {
  const sgfblo_real e = exp(-fabs(t));
  const sgfblo_real inv = (sgfblo_real)1 / ((sgfblo_real)1 + e);
  if (sig) *sig = t >= 0 ? inv : e * inv;
  if (dsig) *dsig = e * inv * inv;
}

// One row of sgfblo_hc_softmax_rows: z <- softmax(z) (minus e_b with minus_onehot);
// *ce = logsumexp(z) - z_b when ce is not NULL.
static __device__ inline void softmax_row(sgfblo_real *z, int64_t C, int32_t b, sgfblo_real *ce,
                                          bool minus_onehot) {
  sgfblo_real mx = z[0];
  for (int64_t k = 1; k < C; ++k) mx = z[k] > mx ? z[k] : mx;
  const sgfblo_real gap = ce ? mx - z[b] : (sgfblo_real)0;
  sgfblo_real s = 0;
  for (int64_t k = 0; k < C; ++k) {
    z[k] = exp(z[k] - mx);
    s += z[k];
  }
  const sgfblo_real inv = (sgfblo_real)1 / s;
  if (ce) *ce = gap + log(s);
  sgfblo_real others = 0;
  if (minus_onehot)
    for (int64_t k = 0; k < C; ++k) others += k != b ? z[k] : (sgfblo_real)0;
  for (int64_t k = 0; k < C; ++k) z[k] *= inv;
  if (minus_onehot) z[b] = -others * inv;
}

// One row of Hyy V's residual over p (hyy_row on the host): p_k <- sig p_k (u_k - p'u),
// formed as w_k - p'w with w = u - u_t, t the most likely class (no cancellation).
static __device__ inline void hyy_row(sgfblo_real *p, const sgfblo_real *u, int64_t C,
                                      sgfblo_real sig) {
  int64_t t = 0;
  for (int64_t k = 1; k < C; ++k) t = p[k] > p[t] ? k : t;
  sgfblo_real pw = 0;
  for (int64_t k = 0; k < C; ++k) pw += p[k] * (u[k] - u[t]);
  for (int64_t k = 0; k < C; ++k) p[k] = sig * p[k] * ((u[k] - u[t]) - pw);
}

// Row i of op (sgfblo_cuda_hc_rows in kernels.h says what each kind does).
static __device__ inline void hc_row(const sgfblo_cuda_hc_rows &op, int64_t i) {
  const int64_t C = op.C;
  sgfblo_real *z = op.Z + i * op.ld, *w = z + C;  // w: the columns C..2C-1 of the row
  sgfblo_real sig = 1, dsig = 0;
  switch (op.kind) {
    case SGFBLO_HC_ROWS_GRAD: {
      sgfblo_real ce = 0;
      softmax_row(z, C, op.labels[i], op.out ? &ce : nullptr, true);
      if (op.x) sigmoid(op.x[i], &sig, &dsig);
      if (op.out) op.out[i] = (sgfblo_real)op.invN * dsig * ce;
      if (op.scale_sig)
        for (int64_t k = 0; k < C; ++k) z[k] *= sig;
      break;
    }
    case SGFBLO_HC_ROWS_HYY:
      softmax_row(z, C, 0, nullptr, false);
      sigmoid(op.x[i], &sig, nullptr);
      hyy_row(z, w, C, sig);
      break;
    case SGFBLO_HC_ROWS_JYX: {
      softmax_row(z, C, op.labels[i], nullptr, true);
      sigmoid(op.x[i], nullptr, &dsig);
      const sgfblo_real s = dsig * op.u[i];
      for (int64_t k = 0; k < C; ++k) z[k] *= s;
      break;
    }
    case SGFBLO_HC_ROWS_JYXT: {
      softmax_row(z, C, op.labels[i], nullptr, true);
      sigmoid(op.x[i], nullptr, &dsig);
      // sum_k (p - b)_k (u_k - u_b): sum_k (p - b)_k = 0, so no cancellation against u_b.
      const sgfblo_real ub = w[op.labels[i]];
      sgfblo_real s = 0;
      for (int64_t k = 0; k < C; ++k) s += z[k] * (w[k] - ub);
      op.out[i] = (sgfblo_real)op.invN * dsig * s;
      break;
    }
    case SGFBLO_HC_ROWS_PROB_RESID: {
      softmax_row(z, C, 0, nullptr, false);
      sigmoid(op.x[i], &sig, nullptr);
      const int32_t b = op.labels[i];
      sgfblo_real others = 0;
      for (int64_t k = 0; k < C; ++k) others += k != b ? z[k] : (sgfblo_real)0;
      for (int64_t k = 0; k < C; ++k) w[k] = sig * z[k];
      w[b] = -sig * others;
      break;
    }
    case SGFBLO_HC_ROWS_SOFTMAX_CURV:
      softmax_row(z, C, 0, nullptr, false);
      /* fall through */
    case SGFBLO_HC_ROWS_CURV: {
      sigmoid(op.x[i], &sig, &dsig);
      const sgfblo_real ub = w[op.labels[i]];
      sgfblo_real s = 0;
      for (int64_t k = 0; k < C; ++k) s += z[k] * (w[k] - ub);
      op.out[i] = (sgfblo_real)op.invN * dsig * s;
      hyy_row(z, w, C, sig);
      break;
    }
  }
}

#endif /* SGFBLO_KERNELS_HYPERCLEAN_ROWS_CUH */
