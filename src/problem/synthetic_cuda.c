/* The synthetic problem (MATH.md Problem 1) on the device. H stays row-major as on the host,
   so cuBLAS (column-major) sees H^T: H v is a transposed gemv, H^T v a plain one; G = H^T H is
   symmetric. Products: grad_g 2 gemv per block, hyy/jyx/jyxT 1 gemv; grad_f one kernel. */
#include <stdlib.h>

#include "backend/cuda_dev.h"
#include "core/error.h"
#include "kernels.h"
#include "problem/problem_common.h"
#include "problem/problem_cuda.h"

struct sgfblo_synth_dev {
  int device;
  int64_t n;
  void *blas;                 /* cuBLAS handle of this copy */
  sgfblo_real *H, *G, *c, *d; /* device copies */
  sgfblo_real *r;             /* n: H y - x for g_val */
  double *val;                /* one scalar for the value callbacks */
  sgfblo_errmsg detail;       /* which device call of the last failing callback failed, and why */
};

void sgfblo_synth_dev_destroy(sgfblo_synth_dev *D) {
  if (!D) return;
  sgfblo_cuda_blas_destroy(D->blas);
  sgfblo_cuda_free(D->H);
  sgfblo_cuda_free(D->G);
  sgfblo_cuda_free(D->c);
  sgfblo_cuda_free(D->d);
  sgfblo_cuda_free(D->r);
  sgfblo_cuda_free(D->val);
  free(D);
}

int sgfblo_synth_dev_device(const sgfblo_synth_dev *D) { return D ? D->device : -1; }

const char *sgfblo_synth_dev_detail(const sgfblo_synth_dev *D) { return D ? D->detail.msg : ""; }

sgfblo_status sgfblo_synth_dev_create(int64_t n, const sgfblo_real *H, const sgfblo_real *G,
                                      const sgfblo_real *c, const sgfblo_real *d, int device_id,
                                      sgfblo_synth_dev **out, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_synth_dev *D = calloc(1, sizeof *D);
  const size_t rs = sizeof(sgfblo_real), nn = (size_t)n * (size_t)n;
  *out = NULL;
  if (!D) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "synthetic: no host memory for the device copy");
  D->device = device_id;
  D->n = n;
  SGFBLO_TRY(sgfblo_cuda_set_device(device_id, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->H, rs * nn, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->G, rs * nn, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->c, rs * (size_t)n, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->d, rs * (size_t)n, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->r, rs * (size_t)n, err));
  SGFBLO_TRY(sgfblo_cuda_malloc((void **)&D->val, sizeof(double), err));
  SGFBLO_TRY(sgfblo_cuda_upload(D->H, H, rs * nn, err));
  SGFBLO_TRY(sgfblo_cuda_upload(D->G, G, rs * nn, err));
  SGFBLO_TRY(sgfblo_cuda_upload(D->c, c, rs * (size_t)n, err));
  SGFBLO_TRY(sgfblo_cuda_upload(D->d, d, rs * (size_t)n, err));
  SGFBLO_TRY(sgfblo_cuda_blas_create(&D->blas, err));
  *out = D;
  D = NULL;
cleanup:
  sgfblo_synth_dev_destroy(D);
  return st;
}

int sgfblo_synth_dev_f_val(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                           sgfblo_real *out, void *stream) {
  double v = 0;
  SGFBLO_CB_TRY(sgfblo_cuda_synth_f_val(D->n, D->c, D->d, x, y, D->val, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_read_sync(&v, D->val, sizeof v, stream));
  *out = (sgfblo_real)v;
  return 0;
}

/* g = 1/2 ||H y - x||^2 */
int sgfblo_synth_dev_g_val(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                           sgfblo_real *out, void *stream) {
  const int64_t n = D->n;
  double v = 0;
  SGFBLO_CB_TRY(sgfblo_cuda_copy_async(D->r, x, sizeof *x * (size_t)n, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_gemv_on(D->blas, stream, 1, n, n, 1, D->H, n, y, -1, D->r));
  SGFBLO_CB_TRY(sgfblo_cuda_sum_small(n, D->r, D->r, D->val, stream));
  SGFBLO_CB_TRY(sgfblo_cuda_read_sync(&v, D->val, sizeof v, stream));
  *out = (sgfblo_real)(0.5 * v);
  return 0;
}

int sgfblo_synth_dev_grad_f(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *gx, sgfblo_real *gy, void *stream) {
  return SGFBLO_CB(sgfblo_cuda_synth_grad_f(D->n, D->c, D->d, x, y, gx, gy, stream));
}

/* grad_x g = x - H y;  grad_y g = G y - H^T x */
int sgfblo_synth_dev_grad_g(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                            sgfblo_real *gx, sgfblo_real *gy, void *stream) {
  const int64_t n = D->n;
  if (gx) {
    SGFBLO_CB_TRY(sgfblo_cuda_copy_async(gx, x, sizeof *x * (size_t)n, stream));
    SGFBLO_CB_TRY(sgfblo_cuda_gemv_on(D->blas, stream, 1, n, n, -1, D->H, n, y, 1, gx));
  }
  if (gy) {
    SGFBLO_CB_TRY(sgfblo_cuda_gemv_on(D->blas, stream, 0, n, n, 1, D->G, n, y, 0, gy));
    SGFBLO_CB_TRY(sgfblo_cuda_gemv_on(D->blas, stream, 0, n, n, -1, D->H, n, x, 1, gy));
  }
  return 0;
}

int sgfblo_synth_dev_hyy(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         const sgfblo_real *v, sgfblo_real *out, void *stream) {
  (void)x;
  (void)y;
  return SGFBLO_CB(sgfblo_cuda_gemv_on(D->blas, stream, 0, D->n, D->n, 1, D->G, D->n, v, 0, out));
}

/* Jyx u = -H^T u */
int sgfblo_synth_dev_jyx(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                         const sgfblo_real *u, sgfblo_real *out, void *stream) {
  (void)x;
  (void)y;
  return SGFBLO_CB(sgfblo_cuda_gemv_on(D->blas, stream, 0, D->n, D->n, -1, D->H, D->n, u, 0, out));
}

/* Jyx^T v = -H v */
int sgfblo_synth_dev_jyxT(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                          const sgfblo_real *v, sgfblo_real *out, void *stream) {
  (void)x;
  (void)y;
  return SGFBLO_CB(sgfblo_cuda_gemv_on(D->blas, stream, 1, D->n, D->n, -1, D->H, D->n, v, 0, out));
}

int sgfblo_synth_dev_hyy_dense(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                               sgfblo_real *out, void *stream) {
  (void)x;
  (void)y;
  return SGFBLO_CB(
      sgfblo_cuda_copy_async(out, D->G, sizeof *out * (size_t)D->n * (size_t)D->n, stream));
}

/* Jyx = -H^T column-major = -H row-major, entry by entry. */
int sgfblo_synth_dev_jyx_dense(sgfblo_synth_dev *D, const sgfblo_real *x, const sgfblo_real *y,
                               sgfblo_real *out, void *stream) {
  (void)x;
  (void)y;
  return SGFBLO_CB(sgfblo_cuda_axpby(D->n * D->n, -1.0, D->H, 0.0, out, stream));
}
