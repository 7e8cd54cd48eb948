/* Data hyper-cleaning (MATH.md Problem 2) on the device: the same passes as the host oracles
   (hyperclean_oracles.c), each product run by dev_pass either as cuBLAS GEMMs with A and the
   row-wise work of kernels/hyperclean.cu between them, or, with device_pass = FUSED where the
   shape is served, as the fused row-block kernel of kernels/hyperclean_fused.cu. Row-major
   data seen column-major by cuBLAS:
     Z (N x C, ld L) = A y       is  Z^T (C x N) = y^T (C x d) * A^T (d x N):   gemm(N, N)
     out (d x C) = A^T R         is  out^T (C x d) = R^T (C x N) * A (N x d):   gemm(N, T)
   On the cuBLAS path [y | v] is packed into Y2 by two 2-D copies, so A y and A v come from
   one GEMM. */
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
  /* The fused row-block passes (kernels/hyperclean_fused.cu), when asked for and served;
     dev_pass runs them when partial is not NULL, the cuBLAS GEMMs otherwise: */
  int grid_c, grid_2c;    /* their grids for passes of C and 2C columns */
  sgfblo_real *partial;   /* max(grid_c, grid_2c) x d C partial sums */
  sgfblo_errmsg detail;   /* which device call of the last failing callback failed, and why */
};

void sgfblo_hc_dev_destroy(sgfblo_hc_dev *D) {
  if (!D) return;
  sgfblo_cuda_blas_destroy(D->blas);
  void *bufs[] = {D->A,  D->Av, D->b, D->bv, D->Y2,  D->Z2,     D->Zv,
                  D->ce, D->sig, D->K, D->S,  D->D, D->val, D->partial};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) sgfblo_cuda_free(bufs[i]);
  free(D);
}

int sgfblo_hc_dev_device(const sgfblo_hc_dev *D) { return D ? D->device : -1; }

int sgfblo_hc_dev_fused(const sgfblo_hc_dev *D) { return D && D->partial; }

const char *sgfblo_hc_dev_detail(const sgfblo_hc_dev *D) { return D ? D->detail.msg : ""; }

/* Copy bytes from src (host or device memory, as mem says) to the device buffer dst. */
static sgfblo_status copy_in(void *dst, const void *src, size_t bytes, sgfblo_memspace mem,
                             sgfblo_errmsg *err) {
  return mem == SGFBLO_MEM_DEVICE ? sgfblo_cuda_copy_d2d(dst, src, bytes, err)
                                  : sgfblo_cuda_upload(dst, src, bytes, err);
}

/* The fused passes for this shape on the current device, when they serve it (C <= 10 with
   d <= 1024 or C <= 16 with d <= 512, [y | v] in shared memory); otherwise D keeps the cuBLAS
   GEMMs. */
static sgfblo_status plan_fused(sgfblo_hc_dev *D, sgfblo_errmsg *err) {
  int g1 = 0, g2 = 0;
  const int rc = sgfblo_cuda_hc_fused_plan(D->d, D->C, &g1, &g2);
  if (rc)
    return sgfblo_fail(err, SGFBLO_ERR_CUDA, "hyperclean: planning the fused passes failed: %s",
                       sgfblo_cuda_error_string(rc));
  if (g1 < 1) return SGFBLO_OK;
  const int64_t g = g1 > g2 ? g1 : g2;
  const sgfblo_status st = sgfblo_cuda_malloc(
      (void **)&D->partial, sizeof(sgfblo_real) * (size_t)(g * D->d * D->C), err);
  if (st != SGFBLO_OK) return st;
  D->grid_c = g1;
  D->grid_2c = g2;
  return SGFBLO_OK;
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
  if (hc->device_pass == SGFBLO_HC_DEVICE_PASS_FUSED) SGFBLO_TRY(plan_fused(D, err));
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

/* ------------------------------------------------------------- passes -- */

/* One product over the rows of M (A or Av), pass as sgfblo_cuda_hc_pass and rows op:
   cuBLAS: [X | V] packed into Y2 (two 2-D copies) when V is given, Z = M [X | V] (GEMM), the
           row launch (writing out's starting value add_scale add, or pass->side, on the
           side), out += scale M^T R (GEMM): 3 to 5 launches, M read twice;
   fused:  the row-block kernel and its reduction (kernels/hyperclean_fused.cu): 2 launches,
           M read once, [X | V] taken as two arrays.
   A pass with both add and a side write exists only on the fused path (the row launch has
   one side); none of the oracles below makes one. */
static int dev_pass(sgfblo_hc_dev *D, const sgfblo_cuda_hc_pass *ps, const sgfblo_cuda_hc_rows *op,
                    void *stream) {
  const int64_t C = D->C, kx = ps->V ? 2 * C : C;
  if (D->partial)
    return sgfblo_cuda_hc_fused_run(ps, op, ps->V ? D->grid_2c : D->grid_c, D->partial, stream);
  const sgfblo_real *X = ps->X;
  if (ps->V) {
    const size_t row = sizeof(sgfblo_real) * (size_t)C;
    int rc = sgfblo_cuda_copy2d_async(D->Y2, 2 * row, ps->X, row, row, (size_t)D->d, stream);
    if (rc == 0)
      rc = sgfblo_cuda_copy2d_async(D->Y2 + C, 2 * row, ps->V, row, row, (size_t)D->d, stream);
    if (rc != 0) return rc; /* the raw code: the callback's SGFBLO_CB names it */
    X = D->Y2;
  }
  int rc = sgfblo_cuda_gemm_on(D->blas, stream, 0, 0, kx, ps->rows, D->d, 1, X, kx, ps->M, D->d, 0,
                               op->Z + ps->zcol, op->ld);
  if (rc != 0) return rc;
  const sgfblo_cuda_side start = {D->d * C, ps->add_scale, ps->add, ps->out};
  rc = sgfblo_cuda_hc_rows_run(op, ps->rows, ps->out && ps->add ? start : ps->side, stream);
  if (rc != 0 || !ps->out) return rc;
  return sgfblo_cuda_gemm_on(D->blas, stream, 0, 1, C, D->d, ps->rows, ps->scale,
                             op->Z + ps->rcol, op->ld, ps->M, D->d, ps->add ? 1 : 0, ps->out, C);
}

/* A pass over A with X (and V), columns from 0, R from column rcol. */
static sgfblo_cuda_hc_pass pass_a(const sgfblo_hc_dev *D, const sgfblo_real *X,
                                  const sgfblo_real *V) {
  return (sgfblo_cuda_hc_pass){.M = D->A, .rows = D->N, .d = D->d, .X = X, .V = V};
}

/* A row operation of `kind` over Z2 (stride 2C), training labels, x. */
static sgfblo_cuda_hc_rows rows_a(const sgfblo_hc_dev *D, sgfblo_cuda_hc_rows_kind kind,
                                  const sgfblo_real *x) {
  return (sgfblo_cuda_hc_rows){.kind = kind,
                               .C = D->C,
                               .ld = 2 * D->C,
                               .Z = D->Z2,
                               .labels = D->b,
                               .x = x,
                               .invN = inv(D->N)};
}

/* out = 2 lambda v + (1/N) A^T R: the ending of the passes for gradients and Hyy products. */
static void two_lambda_plus(const sgfblo_hc_dev *D, sgfblo_cuda_hc_pass *ps, const sgfblo_real *v,
                            sgfblo_real *out) {
  ps->out = out;
  ps->scale = inv(D->N);
  ps->add = v;
  ps->add_scale = (double)(sgfblo_real)(2 * D->lambda);
}

/* grad_x f = 0;  grad_y f = (1/Nv) Av^T (P_v - B_v). The zero grad_x f is the pass's side
   write. */
int sgfblo_hc_dev_grad_f(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         sgfblo_real *gx, sgfblo_real *gy, void *stream) {
  (void)x;
  if (!gy) return gx ? SGFBLO_CB(sgfblo_cuda_zero_async(gx, sizeof *gx * (size_t)D->N, stream)) : 0;
  const sgfblo_cuda_hc_pass ps = {.M = D->Av,
                                  .rows = D->Nv,
                                  .d = D->d,
                                  .X = y,
                                  .out = gy,
                                  .scale = inv(D->Nv),
                                  .side = {gx ? D->N : 0, 0.0, NULL, gx}};
  const sgfblo_cuda_hc_rows op = {
      .kind = SGFBLO_HC_ROWS_GRAD, .C = D->C, .ld = D->C, .Z = D->Zv, .labels = D->bv};
  return SGFBLO_CB(dev_pass(D, &ps, &op, stream));
}

/* grad_x g = (1/N) sigma'(x) .* CE;  grad_y g = (1/N) A^T (diag(sigma(x)) (P - B)) + 2 lambda y. */
int sgfblo_hc_dev_grad_g(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         sgfblo_real *gx, sgfblo_real *gy, void *stream) {
  if (!gx && !gy) return 0;
  sgfblo_cuda_hc_pass ps = pass_a(D, y, NULL);
  sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_GRAD, x);
  op.out = gx;
  op.scale_sig = gy != NULL;
  if (gy) two_lambda_plus(D, &ps, y, gy);
  return SGFBLO_CB(dev_pass(D, &ps, &op, stream));
}

/* Hyy V = (1/N) A^T (diag(sigma) R) + 2 lambda V, from A [y | v]. */
int sgfblo_hc_dev_hyy(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                      const sgfblo_real *v, sgfblo_real *out, void *stream) {
  sgfblo_cuda_hc_pass ps = pass_a(D, y, v);
  const sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_HYY, x);
  two_lambda_plus(D, &ps, v, out);
  return SGFBLO_CB(dev_pass(D, &ps, &op, stream));
}

/* Jyx u = (1/N) A^T (diag(sigma'(x) .* u) (P - B)). */
int sgfblo_hc_dev_jyx(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                      const sgfblo_real *u, sgfblo_real *out, void *stream) {
  sgfblo_cuda_hc_pass ps = pass_a(D, y, NULL);
  sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_JYX, x);
  op.u = u;
  ps.out = out;
  ps.scale = inv(D->N);
  return SGFBLO_CB(dev_pass(D, &ps, &op, stream));
}

/* Jyx^T V = (1/N) sigma'(x) .* rowsum((P - B) .* (A V)), from A [y | v]; no A^T R. */
int sgfblo_hc_dev_jyxT(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                       const sgfblo_real *v, sgfblo_real *out, void *stream) {
  const sgfblo_cuda_hc_pass ps = pass_a(D, y, v);
  sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_JYXT, x);
  op.out = out;
  return SGFBLO_CB(dev_pass(D, &ps, &op, stream));
}

/* Jyx^T v and Hyy v from one pass (hc_curv_mv on the host): A [y | v], the softmax, the
   Jyx^T and Hyy rows, A^T R'. */
int sgfblo_hc_dev_curv(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                       const sgfblo_real *v, sgfblo_real *qx, sgfblo_real *qy, void *stream) {
  sgfblo_cuda_hc_pass ps = pass_a(D, y, v);
  sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_SOFTMAX_CURV, x);
  op.out = qx;
  two_lambda_plus(D, &ps, v, qy);
  return SGFBLO_CB(dev_pass(D, &ps, &op, stream));
}

/* Fused grad_y g, Jyx^T grad_y g, Hyy grad_y g in 2 passes (hc_grad_g_curv on the host):
   A y -> P in Z2[:, 0:C), R in Z2[:, C:2C); gy = (1/N) A^T R + 2 lambda y; then U = A gy
   into Z2[:, C:2C), the Jyx^T and Hyy rows, Hyy gy = (1/N) A^T R' + 2 lambda gy. */
int sgfblo_hc_dev_grad_g_curv(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                              sgfblo_real *gy, sgfblo_real *qx, sgfblo_real *qy, void *stream) {
  const int64_t C = D->C;
  sgfblo_cuda_hc_pass first = pass_a(D, y, NULL), second = pass_a(D, gy, NULL);
  const sgfblo_cuda_hc_rows resid = rows_a(D, SGFBLO_HC_ROWS_PROB_RESID, x);
  sgfblo_cuda_hc_rows curv = rows_a(D, SGFBLO_HC_ROWS_CURV, x);
  first.rcol = C;
  two_lambda_plus(D, &first, y, gy);
  second.zcol = C;
  curv.out = qx;
  two_lambda_plus(D, &second, gy, qy);
  SGFBLO_CB_TRY(dev_pass(D, &first, &resid, stream));
  return SGFBLO_CB(dev_pass(D, &second, &curv, stream));
}

/* Dense Jyx (m x N): one pass over A for the logits, rows P - B, then the N m entries. */
int sgfblo_hc_dev_jyx_dense(sgfblo_hc_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *out, void *stream) {
  const int64_t N = D->N, C = D->C;
  SGFBLO_CB_TRY(logits(D, y, stream));
  const sgfblo_cuda_hc_rows resid = rows_a(D, SGFBLO_HC_ROWS_GRAD, NULL);
  SGFBLO_CB_TRY(sgfblo_cuda_hc_rows_run(&resid, N, SGFBLO_CUDA_NO_SIDE, stream));
  return SGFBLO_CB(
      sgfblo_cuda_hc_jyx_dense(N, D->d, C, x, D->A, D->Z2, 2 * C, inv(N), out, stream));
}

/* The dense-Hyy workspaces, C d^2 + nb (m + d) reals (1.9 GB in float32 at d = 2048,
   C = 100), allocated by the first hyy_dense: only SGF-Cholesky and Hyy solves by Cholesky
   call it, so the other methods never hold them (cudaMalloc commits what it allocates). The
   one allocation a callback of the library makes, against the callback contract's letter: it
   neither zeroes nor waits (every entry is written before it is read), and no recorded step
   graph calls hyy_dense, so it is never captured (were it, the capture would fail and the
   step run from the host). Out of memory here fails the evaluation (SGFBLO_ERR_ALLOC with
   the cudaMalloc message), not the setup. All three or none. */
static int dense_workspaces(sgfblo_hc_dev *D) {
  if (D->D) return 0;
  const size_t rs = sizeof(sgfblo_real);
  const int64_t d = D->d, C = D->C;
  sgfblo_errmsg *err = &D->detail;
  sgfblo_status st = sgfblo_cuda_malloc_uninit((void **)&D->K, rs * (size_t)(D->nb * d * C), err);
  if (st == SGFBLO_OK)
    st = sgfblo_cuda_malloc_uninit((void **)&D->S, rs * (size_t)(D->nb * d), err);
  if (st == SGFBLO_OK)
    st = sgfblo_cuda_malloc_uninit((void **)&D->D, rs * (size_t)(d * C * d), err);
  if (st == SGFBLO_OK) return 0;
  sgfblo_cuda_free(D->K);
  sgfblo_cuda_free(D->S);
  D->K = D->S = D->D = NULL;
  return sgfblo_problem_code(st, SGFBLO_PROBLEM_CB_CUDA); /* D->detail says which failed */
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
