/* Data hyper-cleaning (MATH.md Problem 2) on the device: the same passes as the host oracles
   (hyperclean_oracles.c), the GEMMs with A through cuBLAS, the row-wise work in
   kernels/hyperclean.cu. Row-major data seen column-major by cuBLAS:
     Z (N x C, ld L) = A y       is  Z^T (C x N) = y^T (C x d) * A^T (d x N):   gemm(N, N)
     out (d x C) = A^T R         is  out^T (C x d) = R^T (C x N) * A (N x d):   gemm(N, T)
   [y | v] is packed into Y2 by one 2-D copy, so A y and A v come from one pass over A. */
#include <stdlib.h>

#include "backend/cuda_dev.h"
#include "core/error.h"
#include "kernels.h"
#include "problem/hyperclean_impl.h"
#include "problem/problem_common.h"
#include "problem/problem_cuda.h"

struct sgfblo_hc_dev {
  int device;
  int64_t N, Nv, d, C, nb;
  double lambda;
  void *blas;
  sgfblo_real *A, *Av;    /* N x d, Nv x d, row-major */
  int32_t *b, *bv;        /* labels */
  sgfblo_real *Y2;        /* d x 2C: [y | v] */
  sgfblo_real *Z2;        /* N x 2C */
  sgfblo_real *Zv;        /* Nv x C */
  sgfblo_real *ce;        /* max(N, Nv) */
  sgfblo_real *sig;       /* N */
  sgfblo_real *K, *S, *D; /* dense-Hyy workspaces, as on the host; NULL until the first
                             hyy_dense (dense_workspaces) */
  double *val;            /* two scalars for the value callbacks */
  sgfblo_errmsg detail;   /* which device call of the last failing callback failed, and why */
};

void sgfblo_hc_dev_destroy(sgfblo_hc_dev *D) {
  if (!D) return;
  sgfblo_cuda_blas_destroy(D->blas);
  void *bufs[] = {D->A,  D->Av,  D->b, D->bv, D->Y2, D->Z2, D->Zv,
                  D->ce, D->sig, D->K, D->S,  D->D,  D->val};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) sgfblo_cuda_free(bufs[i]);
  free(D);
}

int sgfblo_hc_dev_device(const sgfblo_hc_dev *D) { return D ? D->device : -1; }

const char *sgfblo_hc_dev_detail(const sgfblo_hc_dev *D) { return D ? D->detail.msg : ""; }

/* Copy bytes from src (host or device memory, as mem says) to the device buffer dst. */
static sgfblo_status copy_in(void *dst, const void *src, size_t bytes, sgfblo_memspace mem,
                             sgfblo_errmsg *err) {
  return mem == SGFBLO_MEM_DEVICE ? sgfblo_cuda_copy_d2d(dst, src, bytes, err)
                                  : sgfblo_cuda_upload(dst, src, bytes, err);
}

sgfblo_status sgfblo_hc_dev_create(const struct sgfblo_hyperclean *hc,
                                   const sgfblo_hyperclean_data *src, int device_id,
                                   sgfblo_hc_dev **out, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_hc_dev *D = calloc(1, sizeof *D);
  *out = NULL;
  if (!D) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "hyperclean: no host memory for the device copy");
  const int64_t N = hc->N, Nv = hc->Nv, d = hc->d, C = hc->C;
  const size_t rs = sizeof(sgfblo_real);
  D->device = device_id;
  D->N = N;
  D->Nv = Nv;
  D->d = d;
  D->C = C;
  D->nb = hc->nb;
  D->lambda = hc->lambda;
  /* The host object already checked that every size below fits a size_t. */
  SGFBLO_TRY(sgfblo_cuda_set_device(device_id, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->A, rs * (size_t)(N * d), err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->Av, rs * (size_t)(Nv * d), err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->b, sizeof(int32_t) * (size_t)N, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->bv, sizeof(int32_t) * (size_t)Nv, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->Y2, rs * (size_t)(d * 2 * C), err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->Z2, rs * (size_t)(N * 2 * C), err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->Zv, rs * (size_t)(Nv * C), err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->ce, rs * (size_t)(N > Nv ? N : Nv), err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->sig, rs * (size_t)N, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->val, 2 * sizeof(double), err));
  SGFBLO_TRY(copy_in(D->A, src->A, rs * (size_t)(N * d), src->mem, err));
  SGFBLO_TRY(copy_in(D->Av, src->Av, rs * (size_t)(Nv * d), src->mem, err));
  SGFBLO_TRY(copy_in(D->b, src->labels, sizeof(int32_t) * (size_t)N, src->mem, err));
  SGFBLO_TRY(copy_in(D->bv, src->val_labels, sizeof(int32_t) * (size_t)Nv, src->mem, err));
  SGFBLO_TRY(sgfblo_cuda_blas_create(&D->blas, err));
  *out = D;
  D = NULL;
cleanup:
  sgfblo_hc_dev_destroy(D);
  return st;
}

void sgfblo_hc_dev_data(const sgfblo_hc_dev *D, sgfblo_hyperclean_data *view) {
  view->A = D->A;
  view->labels = D->b;
  view->Av = D->Av;
  view->val_labels = D->bv;
  view->mem = SGFBLO_MEM_DEVICE;
  view->device_id = D->device;
}

/* Counts of bad entries (res[0]) and the first one (res[1]) of one array, on the device. */
static sgfblo_status count_bad(const int32_t *labels, int64_t C, const sgfblo_real *X, int64_t n,
                               const char *name, unsigned long long *d_res, unsigned long long *res,
                               sgfblo_errmsg *err) {
  const int rc = labels ? sgfblo_cuda_hc_check_labels(n, labels, C, d_res, NULL)
                        : sgfblo_cuda_hc_check_finite(n, X, d_res, NULL);
  const int rr = rc ? rc : sgfblo_cuda_read_sync(res, d_res, 2 * sizeof *res, NULL);
  if (rr)
    return sgfblo_fail(err, SGFBLO_ERR_CUDA, "hyperclean: validating %s on the device failed: %s",
                       name, sgfblo_cuda_error_string(rr));
  return SGFBLO_OK;
}

/* Labels in [0, C): the message of the host check (hyperclean.c), plus the count. */
static sgfblo_status check_labels_dev(const int32_t *lab, int64_t count, int64_t C,
                                      const char *name, unsigned long long *d_res,
                                      sgfblo_errmsg *err) {
  unsigned long long res[2] = {0, 0};
  int32_t v = 0;
  sgfblo_status st = count_bad(lab, C, NULL, count, name, d_res, res, err);
  if (st != SGFBLO_OK || res[0] == 0) return st;
  const int rr = sgfblo_cuda_read_sync(&v, lab + res[1], sizeof v, NULL);
  if (rr)
    return sgfblo_fail(err, SGFBLO_ERR_CUDA, "hyperclean: reading %s[%llu] failed: %s", name,
                       res[1], sgfblo_cuda_error_string(rr));
  return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                     "hyperclean: %s[%lld] = %ld is outside [0, C) with C = %lld (%llu such "
                     "label%s)",
                     name, (long long)res[1], (long)v, (long long)C, res[0], res[0] > 1 ? "s" : "");
}

/* Finite features: the message of the host check, plus the count. */
static sgfblo_status check_finite_dev(const sgfblo_real *X, int64_t rows, int64_t d,
                                      const char *name, unsigned long long *d_res,
                                      sgfblo_errmsg *err) {
  unsigned long long res[2] = {0, 0};
  sgfblo_real v = 0;
  sgfblo_status st = count_bad(NULL, 0, X, rows * d, name, d_res, res, err);
  if (st != SGFBLO_OK || res[0] == 0) return st;
  const int rr = sgfblo_cuda_read_sync(&v, X + res[1], sizeof v, NULL);
  if (rr)
    return sgfblo_fail(err, SGFBLO_ERR_CUDA, "hyperclean: reading %s[%llu] failed: %s", name,
                       res[1], sgfblo_cuda_error_string(rr));
  const long long k = (long long)res[1];
  return sgfblo_fail(err, SGFBLO_ERR_NONFINITE,
                     "hyperclean: %s[%lld] (row %lld, column %lld) is not finite (%g) (%llu "
                     "non-finite entr%s)",
                     name, k, k / (long long)d, k % (long long)d, (double)v, res[0],
                     res[0] > 1 ? "ies" : "y");
}

sgfblo_status sgfblo_hc_dev_check_input(const sgfblo_hyperclean_data *dt, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  unsigned long long *d_res = NULL;
  const int count = sgfblo_cuda_device_count();
  const size_t rs = sizeof(sgfblo_real), is = sizeof(int32_t);
  if (count < 1)
    SGFBLO_FAIL(err, SGFBLO_ERR_NO_BACKEND,
                "hyperclean: data->mem is SGFBLO_MEM_DEVICE but no CUDA device is usable here "
                "(no driver or no device)");
  if (dt->device_id < 0 || dt->device_id >= count)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "hyperclean: data->device_id %d does not name a CUDA device (this machine has %d)",
                dt->device_id, count);
  SGFBLO_TRY(sgfblo_cuda_set_device(dt->device_id, err));
  /* Where the arrays are and how large their allocations are, before any kernel reads them. */
  SGFBLO_TRY(sgfblo_cuda_check_device_array(dt->A, rs * (size_t)(dt->N * dt->d), dt->device_id,
                                            "hyperclean: A", "N x d", err));
  SGFBLO_TRY(sgfblo_cuda_check_device_array(dt->labels, is * (size_t)dt->N, dt->device_id,
                                            "hyperclean: labels", "N", err));
  SGFBLO_TRY(sgfblo_cuda_check_device_array(dt->Av, rs * (size_t)(dt->Nv * dt->d), dt->device_id,
                                            "hyperclean: Av", "Nv x d", err));
  SGFBLO_TRY(sgfblo_cuda_check_device_array(dt->val_labels, is * (size_t)dt->Nv, dt->device_id,
                                            "hyperclean: val_labels", "Nv", err));
  /* Contents, in the order of the host validation. */
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&d_res, 2 * sizeof *d_res, err));
  SGFBLO_TRY(check_labels_dev(dt->labels, dt->N, dt->C, "labels", d_res, err));
  SGFBLO_TRY(check_labels_dev(dt->val_labels, dt->Nv, dt->C, "val_labels", d_res, err));
  SGFBLO_TRY(check_finite_dev(dt->A, dt->N, dt->d, "A", d_res, err));
  SGFBLO_TRY(check_finite_dev(dt->Av, dt->Nv, dt->d, "Av", d_res, err));
cleanup:
  sgfblo_cuda_free(d_res);
  return st;
}

/* Z2[:, 0:C) = A y. */
static int logits(sgfblo_hc_dev *D, const sgfblo_real *y, void *stream) {
  const int64_t C = D->C;
  return sgfblo_cuda_gemm_on(D->blas, stream, 0, 0, C, D->N, D->d, 1, y, C, D->A, D->d, 0, D->Z2,
                             2 * C);
}

/* Z2 = A [y | v]. */
static int logits_and_av(sgfblo_hc_dev *D, const sgfblo_real *y, const sgfblo_real *v,
                         void *stream) {
  const int64_t C = D->C;
  const size_t rs = sizeof(sgfblo_real), row = rs * (size_t)C;
  int rc = sgfblo_cuda_copy2d_async(D->Y2, 2 * row, y, row, row, (size_t)D->d, stream);
  if (rc == 0) rc = sgfblo_cuda_copy2d_async(D->Y2 + C, 2 * row, v, row, row, (size_t)D->d, stream);
  if (rc != 0) return rc; /* the raw code: the callback's SGFBLO_CB names it */
  return sgfblo_cuda_gemm_on(D->blas, stream, 0, 0, 2 * C, D->N, D->d, 1, D->Y2, 2 * C, D->A, D->d,
                             0, D->Z2, 2 * C);
}

/* out = scale A^T R + beta out, R = Z2[:, 0:C). */
static int at_r(sgfblo_hc_dev *D, double scale, double beta, sgfblo_real *out, void *stream) {
  const int64_t C = D->C;
  return sgfblo_cuda_gemm_on(D->blas, stream, 0, 1, C, D->d, D->N, scale, D->Z2, 2 * C, D->A, D->d,
                             beta, out, C);
}

/* (sgfblo_real)(1/N), as the host oracles round it. */
static double inv(int64_t N) { return (double)(sgfblo_real)(1.0 / (double)N); }

int sgfblo_hc_dev_f_val(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                        sgfblo_real *out, void *stream) {
  (void)x;
  const int64_t C = D->C;
  double s = 0;
  SGFBLO_CB_TRY(sgfblo_cuda_gemm_on(D->blas, stream, 0, 0, C, D->Nv, D->d, 1, y, C, D->Av, D->d, 0,
                                    D->Zv, C));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_softmax_rows(D->Nv, C, D->Zv, C, D->bv, D->ce, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_sum_small(D->Nv, D->ce, NULL, D->val, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_read_sync(&s, D->val, sizeof s, stream));
  *out = (sgfblo_real)(s / (double)D->Nv);
  return 0;
}

int sgfblo_hc_dev_g_val(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                        sgfblo_real *out, void *stream) {
  const int64_t N = D->N, C = D->C;
  double v[2] = {0, 0};
  SGFBLO_CB_TRY(sgfblo_cuda_hc_sigmoid(N, x, D->sig, stream));
  SGFBLO_CB_TRY(logits(D, y, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_softmax_rows(N, C, D->Z2, 2 * C, D->b, D->ce, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_sum_small(N, D->sig, D->ce, D->val, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_sum_small(D->d * C, y, y, D->val + 1, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_read_sync(v, D->val, sizeof v, stream));
  *out = (sgfblo_real)(v[0] / (double)N + D->lambda * v[1]);
  return 0;
}

/* 2 lambda v into out, written on the side of the row kernel before the GEMM that adds
   (1/N) A^T R to it. */
static sgfblo_cuda_side two_lambda_times(const sgfblo_hc_dev *D, const sgfblo_real *v,
                                         sgfblo_real *out) {
  return (sgfblo_cuda_side){D->d * D->C, (double)(sgfblo_real)(2 * D->lambda), v, out};
}

/* grad_x f = 0 (zeroed by the row kernel's side write);  grad_y f = (1/Nv) Av^T (P_v - B_v). */
int sgfblo_hc_dev_grad_f(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         sgfblo_real *gx, sgfblo_real *gy, void *stream) {
  (void)x;
  const int64_t C = D->C;
  if (!gy) return gx ? SGFBLO_CB(sgfblo_cuda_zero_async(gx, sizeof *gx * (size_t)D->N, stream)) : 0;
  const sgfblo_cuda_side zero_gx = {gx ? D->N : 0, 0.0, NULL, gx};
  SGFBLO_CB_TRY(sgfblo_cuda_gemm_on(D->blas, stream, 0, 0, C, D->Nv, D->d, 1, y, C, D->Av, D->d, 0,
                                    D->Zv, C));
  SGFBLO_CB_TRY(
      sgfblo_cuda_hc_grad_rows(D->Nv, C, D->Zv, C, D->bv, NULL, NULL, 0.0, 0, zero_gx, stream));
  return SGFBLO_CB(sgfblo_cuda_gemm_on(D->blas, stream, 0, 1, C, D->d, D->Nv, inv(D->Nv), D->Zv, C,
                                       D->Av, D->d, 0, gy, C));
}

/* grad_x g = (1/N) sigma'(x) .* CE;  grad_y g = (1/N) A^T (diag(sigma(x)) (P - B)) + 2 lambda y. */
int sgfblo_hc_dev_grad_g(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         sgfblo_real *gx, sgfblo_real *gy, void *stream) {
  const int64_t N = D->N, C = D->C;
  if (!gx && !gy) return 0;
  SGFBLO_CB_TRY(logits(D, y, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_grad_rows(N, C, D->Z2, 2 * C, D->b, x, gx, inv(N), gy != NULL,
                                         gy ? two_lambda_times(D, y, gy) : SGFBLO_CUDA_NO_SIDE,
                                         stream));
  if (!gy) return 0;
  return SGFBLO_CB(at_r(D, inv(N), 1, gy, stream));
}

/* Hyy V = (1/N) A^T (diag(sigma) R) + 2 lambda V. */
int sgfblo_hc_dev_hyy(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                      const sgfblo_real *v, sgfblo_real *out, void *stream) {
  const int64_t N = D->N, C = D->C;
  SGFBLO_CB_TRY(logits_and_av(D, y, v, stream));
  SGFBLO_CB_TRY(
      sgfblo_cuda_hc_hyy_rows(N, C, x, D->Z2, 2 * C, two_lambda_times(D, v, out), stream));
  return SGFBLO_CB(at_r(D, inv(N), 1, out, stream));
}

/* Jyx u = (1/N) A^T (diag(sigma'(x) .* u) (P - B)). */
int sgfblo_hc_dev_jyx(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                      const sgfblo_real *u, sgfblo_real *out, void *stream) {
  const int64_t N = D->N, C = D->C;
  SGFBLO_CB_TRY(logits(D, y, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_jyx_rows(N, C, x, u, D->Z2, 2 * C, D->b, stream));
  return SGFBLO_CB(at_r(D, inv(N), 0, out, stream));
}

/* Jyx^T V = (1/N) sigma'(x) .* rowsum((P - B) .* (A V)). */
int sgfblo_hc_dev_jyxT(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                       const sgfblo_real *v, sgfblo_real *out, void *stream) {
  const int64_t N = D->N, C = D->C;
  SGFBLO_CB_TRY(logits_and_av(D, y, v, stream));
  return SGFBLO_CB(sgfblo_cuda_hc_jyxT_rows(N, C, x, D->Z2, 2 * C, D->b, inv(N), out, stream));
}

/* Jyx^T v and Hyy v in 2 passes over A (hc_curv_mv on the host): A [y | v], the softmax,
   the Jyx^T and Hyy rows, A^T R'. */
int sgfblo_hc_dev_curv(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                       const sgfblo_real *v, sgfblo_real *qx, sgfblo_real *qy, void *stream) {
  const int64_t N = D->N, C = D->C, ld = 2 * C;
  SGFBLO_CB_TRY(logits_and_av(D, y, v, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_softmax_rows(N, C, D->Z2, ld, NULL, NULL, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_curv_rows(N, C, x, D->Z2, ld, D->b, inv(N), qx,
                                         two_lambda_times(D, v, qy), stream));
  return SGFBLO_CB(at_r(D, inv(N), 1, qy, stream));
}

/* Fused grad_y g, Jyx^T grad_y g, Hyy grad_y g in 4 passes over A (hc_grad_g_curv on the
   host): A y -> P, R; gy = (1/N) A^T R + 2 lambda y; U = A gy; the Jyx^T and Hyy rows;
   Hyy gy = (1/N) A^T R' + 2 lambda gy. R and then U live in Z2[:, C:2C), P in Z2[:, 0:C).
   The two 2 lambda terms are the row kernels' side writes: 6 launches. */
int sgfblo_hc_dev_grad_g_curv(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                              sgfblo_real *gy, sgfblo_real *qx, sgfblo_real *qy, void *stream) {
  const int64_t N = D->N, C = D->C, ld = 2 * C;
  SGFBLO_CB_TRY(logits(D, y, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_prob_resid_rows(N, C, D->Z2, ld, D->b, x,
                                               two_lambda_times(D, y, gy), stream));
  SGFBLO_CB_TRY(sgfblo_cuda_gemm_on(D->blas, stream, 0, 1, C, D->d, N, inv(N), D->Z2 + C, ld, D->A,
                                    D->d, 1, gy, C));
  SGFBLO_CB_TRY(sgfblo_cuda_gemm_on(D->blas, stream, 0, 0, C, N, D->d, 1, gy, C, D->A, D->d, 0,
                                    D->Z2 + C, ld));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_curv_rows(N, C, x, D->Z2, ld, D->b, inv(N), qx,
                                         two_lambda_times(D, gy, qy), stream));
  return SGFBLO_CB(at_r(D, inv(N), 1, qy, stream));
}

/* Dense Jyx (m x N): one pass over A for the logits, rows P - B, then the N m entries. */
int sgfblo_hc_dev_jyx_dense(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *out, void *stream) {
  const int64_t N = D->N, C = D->C;
  SGFBLO_CB_TRY(logits(D, y, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_grad_rows(N, C, D->Z2, 2 * C, D->b, NULL, NULL, 0.0, 0,
                                         SGFBLO_CUDA_NO_SIDE, stream));
  return SGFBLO_CB(
      sgfblo_cuda_hc_jyx_dense(N, D->d, C, x, D->A, D->Z2, 2 * C, inv(N), out, stream));
}

/* The dense-Hyy workspaces, C d^2 + nb (m + d) reals (1.9 GB in float32 at d = 2048,
   C = 100), allocated by the first hyy_dense: only SGF-Cholesky and Hyy solves by Cholesky
   call it, so the other methods never hold them (cudaMalloc commits what it allocates). The
   one allocation a callback of the library makes, against the callback contract's letter: it
   neither zeroes nor waits (every entry is written before it is read), and no recorded step
   graph calls hyy_dense, so it is never captured (were it, the capture would fail and the
   step run from the host). Out of memory here fails the evaluation (SGFBLO_ERR_CALLBACK with
   the cudaMalloc message), not the setup. All three or none. */
static int dense_workspaces(sgfblo_hc_dev *D) {
  if (D->D) return 0;
  const size_t rs = sizeof(sgfblo_real);
  const int64_t d = D->d, C = D->C;
  sgfblo_errmsg *err = &D->detail;
  if (sgfblo_cuda_malloc_uninit((void **)&D->K, rs * (size_t)(D->nb * d * C), err) == SGFBLO_OK &&
      sgfblo_cuda_malloc_uninit((void **)&D->S, rs * (size_t)(D->nb * d), err) == SGFBLO_OK &&
      sgfblo_cuda_malloc_uninit((void **)&D->D, rs * (size_t)(d * C * d), err) == SGFBLO_OK)
    return 0;
  sgfblo_cuda_free(D->K);
  sgfblo_cuda_free(D->S);
  D->K = D->S = D->D = NULL;
  return SGFBLO_PROBLEM_CB_CUDA; /* D->detail says which allocation failed */
}

/* Dense Hyy in blocks of nb samples, as hc_hyy_dense on the host: -K^T K off the diagonal
   blocks, the C diagonal blocks D_k from their own SYRKs, then 2 lambda I and the mirror. */
int sgfblo_hc_dev_hyy_dense(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *out, void *stream) {
  const int64_t N = D->N, d = D->d, C = D->C, m = d * C, ld = 2 * C;
  const double invN = inv(N);
  const int ws = dense_workspaces(D);
  if (ws) return ws;
  SGFBLO_CB_TRY(sgfblo_cuda_hc_sigmoid(N, x, D->sig, stream));
  SGFBLO_CB_TRY(logits(D, y, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_hc_softmax_rows(N, C, D->Z2, ld, NULL, NULL, stream));
  for (int64_t i0 = 0; i0 < N; i0 += D->nb) {
    const int64_t rows = N - i0 < D->nb ? N - i0 : D->nb;
    const sgfblo_real *A = D->A + i0 * d, *P = D->Z2 + i0 * ld, *sig = D->sig + i0;
    const double beta = i0 > 0 ? 1 : 0;
    SGFBLO_CB_TRY(sgfblo_cuda_hc_dense_k(rows, d, C, sig, A, P, ld, invN, D->K, stream));
    SGFBLO_CB_TRY(sgfblo_cuda_syrk_on(D->blas, stream, m, rows, -1, D->K, m, beta, out, m));
    for (int64_t k = 0; k < C; ++k) {
      SGFBLO_CB_TRY(sgfblo_cuda_hc_dense_s(rows, d, C, k, sig, A, P, ld, invN, D->S, stream));
      SGFBLO_CB_TRY(
          sgfblo_cuda_syrk_on(D->blas, stream, d, rows, 1, D->S, d, beta, D->D + k * d * d, d));
    }
  }
  return SGFBLO_CB(
      sgfblo_cuda_hc_dense_finish(d, C, D->D, (double)(sgfblo_real)(2 * D->lambda), out, stream));
}
