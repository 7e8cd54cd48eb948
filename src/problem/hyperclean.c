/* Data hyper-cleaning (MATH.md "Problem 2"): validation and deep copy of the data, the
   workspaces the oracles use, and the free-standing metrics (loss/accuracy, weights). The
   oracles themselves are in hyperclean_oracles.c. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/blas_real.h"
#include "core/pool.h"
#include "problem/hyperclean_impl.h"
#include "problem/problem_cuda.h"

/* Bytes of a rows x cols array of elem-sized entries, or 0 when that overflows size_t. */
static size_t array_bytes(int64_t rows, int64_t cols, size_t elem) {
  if (rows < 0 || cols < 0) return 0;
  if (cols != 0 && (uint64_t)rows > (uint64_t)(SIZE_MAX / elem) / (uint64_t)cols) return 0;
  return (size_t)rows * (size_t)cols * elem;
}

/* Allocate rows x cols elements of elem bytes. On failure returns NULL with *st set and a
   message naming what. */
static void *alloc_array(int64_t rows, int64_t cols, size_t elem, const char *what,
                         sgfblo_status *st, sgfblo_errmsg *err) {
  const size_t bytes = array_bytes(rows, cols, elem);
  void *p = NULL;
  if (bytes == 0) {
    *st = sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                      "hyperclean: %s (%lld x %lld) is too large to allocate", what,
                      (long long)rows, (long long)cols);
    return NULL;
  }
  p = malloc(bytes);
  if (!p)
    *st = sgfblo_fail(err, SGFBLO_ERR_ALLOC, "hyperclean: allocating %s (%zu bytes) failed", what,
                      bytes);
  return p;
}

/* Allocate into a typed pointer; on failure jump to cleanup with st set. */
#define ALLOC_OR_FAIL(ptr, rows, cols, what)                                               \
  do {                                                                                     \
    (ptr) = alloc_array((rows), (cols), sizeof *(ptr), (what), &st, err);                  \
    if (!(ptr)) goto cleanup;                                                              \
  } while (0)

/* Dimensions the BLAS calls index with a 32-bit int: rows, d, C and the leading dimension 2C. */
static sgfblo_status check_dims(int64_t count, const char *count_name, int64_t d, int64_t C,
                                sgfblo_errmsg *err) {
  if (count < 1)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "hyperclean: %s must be >= 1 (got %lld)",
                       count_name, (long long)count);
  if (d < 1)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "hyperclean: d must be >= 1 (got %lld)",
                       (long long)d);
  if (C < 2)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "hyperclean: C must be >= 2 (got %lld)",
                       (long long)C);
  if (count > INT_MAX)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "hyperclean: %s = %lld exceeds the BLAS index limit %d", count_name,
                       (long long)count, INT_MAX);
  if (d > INT_MAX)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "hyperclean: d = %lld exceeds the BLAS index limit %d", (long long)d,
                       INT_MAX);
  if (C > INT_MAX / 2 || d > INT_MAX / C)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "hyperclean: C = %lld (with d = %lld) exceeds the BLAS index limit %d "
                       "(2C and d*C must fit)",
                       (long long)C, (long long)d, INT_MAX);
  return SGFBLO_OK;
}

static sgfblo_status check_labels(const int32_t *lab, int64_t count, int64_t C, const char *name,
                                  sgfblo_errmsg *err) {
  for (int64_t i = 0; i < count; ++i)
    if (lab[i] < 0 || lab[i] >= C)
      return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                         "hyperclean: %s[%lld] = %ld is outside [0, C) with C = %lld", name,
                         (long long)i, (long)lab[i], (long long)C);
  return SGFBLO_OK;
}

static sgfblo_status check_finite(const sgfblo_real *X, int64_t rows, int64_t d, const char *name,
                                  sgfblo_errmsg *err) {
  const int64_t total = rows * d;
  for (int64_t k = 0; k < total; ++k)
    if (!isfinite(X[k]))
      return sgfblo_fail(err, SGFBLO_ERR_NONFINITE,
                         "hyperclean: %s[%lld] (row %lld, column %lld) is not finite (%g)", name,
                         (long long)k, (long long)(k / d), (long long)(k % d), (double)X[k]);
  return SGFBLO_OK;
}

/* What can be checked without reading the arrays: dimensions, NULLs, lambda, mem. */
static sgfblo_status validate_shape(const sgfblo_hyperclean_data *dt, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  SGFBLO_TRY(check_dims(dt->N, "N", dt->d, dt->C, err));
  SGFBLO_TRY(check_dims(dt->Nv, "Nv", dt->d, dt->C, err));
  if (!dt->A) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: data->A is NULL");
  if (!dt->labels) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: data->labels is NULL");
  if (!dt->Av) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: data->Av is NULL");
  if (!dt->val_labels)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: data->val_labels is NULL");
  if (!isfinite(dt->lambda))
    SGFBLO_FAIL(err, SGFBLO_ERR_NONFINITE, "hyperclean: lambda is not finite (%g)", dt->lambda);
  if (dt->lambda < 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "hyperclean: lambda must be >= 0 (got %g)",
                dt->lambda);
  if (dt->threads < 0 || dt->threads > SGFBLO_HC_MAX_CHUNKS)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "hyperclean: data->threads must be in [0, %d] (0: the default) (got %d)",
                SGFBLO_HC_MAX_CHUNKS, dt->threads);
  if ((int)dt->device_pass < SGFBLO_HC_DEVICE_PASS_DEFAULT ||
      (int)dt->device_pass > SGFBLO_HC_DEVICE_PASS_FUSED)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "hyperclean: data->device_pass must be SGFBLO_HC_DEVICE_PASS_DEFAULT, _CUBLAS or "
                "_FUSED (got %d)",
                (int)dt->device_pass);
  if (dt->mem != SGFBLO_MEM_HOST && dt->mem != SGFBLO_MEM_DEVICE)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "hyperclean: data->mem must be SGFBLO_MEM_HOST or SGFBLO_MEM_DEVICE (got %d)",
                (int)dt->mem);
cleanup:
  return st;
}

/* The contents of host arrays: labels in range, features finite. */
static sgfblo_status validate_host_arrays(const sgfblo_hyperclean_data *dt, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  SGFBLO_TRY(check_labels(dt->labels, dt->N, dt->C, "labels", err));
  SGFBLO_TRY(check_labels(dt->val_labels, dt->Nv, dt->C, "val_labels", err));
  SGFBLO_TRY(check_finite(dt->A, dt->N, dt->d, "A", err));
  SGFBLO_TRY(check_finite(dt->Av, dt->Nv, dt->d, "Av", err));
cleanup:
  return st;
}

/* Host data: host copies of the arrays and every host workspace the oracles use. */
static sgfblo_status copy_host_data(sgfblo_hyperclean *hc, const sgfblo_hyperclean_data *data,
                                    sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  const int64_t N = hc->N, Nv = hc->Nv, d = hc->d, C = hc->C;
  const size_t rsz = sizeof(sgfblo_real), isz = sizeof(int32_t);
  ALLOC_OR_FAIL(hc->A, N, d, "training features A (N x d)");
  ALLOC_OR_FAIL(hc->Av, Nv, d, "validation features Av (Nv x d)");
  ALLOC_OR_FAIL(hc->b, N, 1, "training labels");
  ALLOC_OR_FAIL(hc->bv, Nv, 1, "validation labels");
  ALLOC_OR_FAIL(hc->Y2, d, 2 * C, "workspace [y | v] (d x 2C)");
  ALLOC_OR_FAIL(hc->Z2, N, 2 * C, "workspace A [y | v] (N x 2C)");
  ALLOC_OR_FAIL(hc->Zv, Nv, C, "workspace Av y (Nv x C)");
  ALLOC_OR_FAIL(hc->sig, N, 1, "workspace sigma(x)");
  ALLOC_OR_FAIL(hc->dsig, N, 1, "workspace sigma'(x)");
  ALLOC_OR_FAIL(hc->ce, N > Nv ? N : Nv, 1, "workspace CE");
  ALLOC_OR_FAIL(hc->K, hc->nb, d * C, "dense-Hyy workspace (block x m)");
  ALLOC_OR_FAIL(hc->S, hc->nb, d, "dense-Hyy workspace (block x d)");
  ALLOC_OR_FAIL(hc->D, d * C, d, "dense-Hyy workspace (C blocks of d x d)");
  const int64_t partials = sgfblo_hc_partials(N > Nv ? N : Nv, d, C);
  if (partials > 0) ALLOC_OR_FAIL(hc->partial, partials, d * C, "partial sums of the row chunks");
  memcpy(hc->A, data->A, array_bytes(N, d, rsz));
  memcpy(hc->Av, data->Av, array_bytes(Nv, d, rsz));
  memcpy(hc->b, data->labels, array_bytes(N, 1, isz));
  memcpy(hc->bv, data->val_labels, array_bytes(Nv, 1, isz));
  /* Fewer workers than asked (a thread that cannot start) only slow the passes down: their
     results do not depend on the thread count (hyperclean_blocks.c). More than a pass has
     chunks would only idle. */
  int threads = data->threads > 0 ? data->threads : sgfblo_default_threads();
  if (threads > SGFBLO_HC_MAX_CHUNKS) threads = SGFBLO_HC_MAX_CHUNKS;
  hc->pool = sgfblo_pool_create(threads);
cleanup:
  return st; /* on failure the caller's destroy frees what was allocated */
}

/* Device data: validated where it lives, then copied device to device once into the
   instance's own device copy (the one sgfblo_hyperclean_to_device makes for host data). The
   instance is device-only: no host copy, no host workspace. */
static sgfblo_status copy_device_data(sgfblo_hyperclean *hc, const sgfblo_hyperclean_data *data,
                                      sgfblo_errmsg *err) {
#ifdef SGFBLO_HAVE_CUDA
  sgfblo_status st = SGFBLO_OK;
  sgfblo_hc_dev *dev = NULL;
  /* The byte counts of the device buffers must fit a size_t, as ALLOC_OR_FAIL checks for
     the host ones (sgfblo_hc_dev_create relies on it). */
  const int64_t m = hc->d * hc->C;
  const struct {
    int64_t rows, cols;
    const char *what;
  } bufs[] = {{hc->N, hc->d, "training features A (N x d)"},
              {hc->Nv, hc->d, "validation features Av (Nv x d)"},
              {hc->N, 2 * hc->C, "workspace A [y | v] (N x 2C)"},
              {hc->Nv, hc->C, "workspace Av y (Nv x C)"},
              {hc->nb, m, "dense-Hyy workspace (block x m)"},
              {m, hc->d, "dense-Hyy workspace (C blocks of d x d)"}};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i)
    if (array_bytes(bufs[i].rows, bufs[i].cols, sizeof(sgfblo_real)) == 0)
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                  "hyperclean: %s (%lld x %lld) is too large to allocate", bufs[i].what,
                  (long long)bufs[i].rows, (long long)bufs[i].cols);
  SGFBLO_TRY(sgfblo_hc_dev_check_input(data, err));
  SGFBLO_TRY(sgfblo_hc_dev_create(hc, data, data->device_id, &dev, err));
  hc->dev = dev;
cleanup:
  return st;
#else
  (void)hc;
  (void)data;
  return sgfblo_fail(err, SGFBLO_ERR_NO_BACKEND,
                     "hyperclean: data->mem is SGFBLO_MEM_DEVICE but this build of sgfblo has "
                     "no CUDA backend");
#endif
}

sgfblo_status sgfblo_hyperclean_create(const sgfblo_hyperclean_data *data, sgfblo_hyperclean **out,
                                       sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_hyperclean *hc = NULL;
  sgfblo_err_clear(err);
  if (out) *out = NULL;
  if (!out) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: out is NULL");
  if (!data) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: data is NULL");
  SGFBLO_TRY(validate_shape(data, err));
  if (data->mem == SGFBLO_MEM_HOST) SGFBLO_TRY(validate_host_arrays(data, err));

  hc = calloc(1, sizeof *hc);
  if (!hc) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "hyperclean: allocating the object failed");
  hc->N = data->N;
  hc->Nv = data->Nv;
  hc->d = data->d;
  hc->C = data->C;
  hc->lambda = data->lambda;
  hc->mem = data->mem;
  hc->device_pass = data->device_pass;
  hc->nb = hc->N < SGFBLO_HC_DENSE_BLOCK ? hc->N : SGFBLO_HC_DENSE_BLOCK;
  if (data->mem == SGFBLO_MEM_DEVICE)
    SGFBLO_TRY(copy_device_data(hc, data, err));
  else
    SGFBLO_TRY(copy_host_data(hc, data, err));
  *out = hc;
  hc = NULL;
cleanup:
  sgfblo_hyperclean_destroy(hc);
  return st;
}

sgfblo_hc_device_pass sgfblo_hyperclean_device_pass(const sgfblo_hyperclean *hc) {
#ifdef SGFBLO_HAVE_CUDA
  if (hc && hc->dev)
    return sgfblo_hc_dev_fused(hc->dev) ? SGFBLO_HC_DEVICE_PASS_FUSED : SGFBLO_HC_DEVICE_PASS_CUBLAS;
#endif
  (void)hc;
  return SGFBLO_HC_DEVICE_PASS_DEFAULT;
}

int sgfblo_hyperclean_threads(const sgfblo_hyperclean *hc) {
  return hc ? sgfblo_pool_threads(hc->pool) : 1;
}

void sgfblo_hyperclean_destroy(sgfblo_hyperclean *hc) {
  if (!hc) return;
#ifdef SGFBLO_HAVE_CUDA
  sgfblo_hc_dev_destroy(hc->dev);
#endif
  free(hc->A);
  free(hc->Av);
  free(hc->b);
  free(hc->bv);
  free(hc->Y2);
  free(hc->Z2);
  free(hc->Zv);
  free(hc->sig);
  free(hc->dsig);
  free(hc->ce);
  free(hc->K);
  free(hc->S);
  free(hc->D);
  free(hc->partial);
  sgfblo_pool_destroy(hc->pool);
  free(hc);
}

sgfblo_status sgfblo_hyperclean_to_device(sgfblo_hyperclean *hc, int device_id,
                                          sgfblo_errmsg *err) {
  sgfblo_err_clear(err);
  if (!hc) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "hyperclean: hc is NULL");
#ifdef SGFBLO_HAVE_CUDA
  if (hc->dev) {
    const int on = sgfblo_hc_dev_device(hc->dev);
    if (on == device_id) return SGFBLO_OK;
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "hyperclean: the instance is already on CUDA device %d (asked for %d)", on,
                       device_id);
  }
  sgfblo_hyperclean_data src;
  (void)sgfblo_hyperclean_get_data(hc, &src); /* the host copies, mem = SGFBLO_MEM_HOST */
  return sgfblo_hc_dev_create(hc, &src, device_id, (sgfblo_hc_dev **)&hc->dev, err);
#else
  (void)device_id;
  return sgfblo_fail(err, SGFBLO_ERR_NO_BACKEND,
                     "hyperclean: this build of sgfblo has no CUDA backend");
#endif
}

sgfblo_status sgfblo_hyperclean_get_data(const sgfblo_hyperclean *hc,
                                         sgfblo_hyperclean_data *view) {
  if (!hc || !view) return SGFBLO_ERR_NULL_ARG;
  view->N = hc->N;
  view->Nv = hc->Nv;
  view->d = hc->d;
  view->C = hc->C;
  view->A = hc->A;
  view->labels = hc->b;
  view->Av = hc->Av;
  view->val_labels = hc->bv;
  view->lambda = hc->lambda;
  view->mem = SGFBLO_MEM_HOST;
  view->device_id = 0;
#ifdef SGFBLO_HAVE_CUDA
  if (hc->mem == SGFBLO_MEM_DEVICE) sgfblo_hc_dev_data(hc->dev, view);
#endif
  return SGFBLO_OK;
}

sgfblo_status sgfblo_hyperclean_weights(const sgfblo_real *x, int64_t N, sgfblo_real *sigma_out) {
  if (N < 0) return SGFBLO_ERR_INVALID_ARG;
  if (N > 0 && (!x || !sigma_out)) return SGFBLO_ERR_NULL_ARG;
  sgfblo_hc_sigmoid(x, N, sigma_out, NULL);
  return SGFBLO_OK;
}

sgfblo_status sgfblo_hyperclean_loss_acc(int64_t count, int64_t d, int64_t C,
                                         const sgfblo_real *features, const int32_t *labels,
                                         const sgfblo_real *y, double *loss, double *acc,
                                         sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_real *Z = NULL;
  sgfblo_err_clear(err);
  SGFBLO_TRY(check_dims(count, "count", d, C, err));
  if (!features) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: features is NULL");
  if (!labels) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: labels is NULL");
  if (!y) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "hyperclean: y is NULL");
  SGFBLO_TRY(check_labels(labels, count, C, "labels", err));
  ALLOC_OR_FAIL(Z, count, C, "logits (count x C)");

  /* Z = features * y: one pass over the features. */
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)count, (int)C, (int)d, 1,
                 features, (int)d, y, (int)C, 0, Z, (int)C);
  double ce_sum = 0;
  int64_t correct = 0;
  for (int64_t i = 0; i < count; ++i) {
    sgfblo_real *z = Z + i * C, ce;
    int64_t best = 0;
    for (int64_t k = 1; k < C; ++k)
      if (z[k] > z[best]) best = k;
    correct += (best == labels[i]);
    sgfblo_hc_softmax_rows(1, C, z, C, labels + i, &ce, 0);
    ce_sum += ce;
  }
  if (loss) *loss = ce_sum / (double)count;
  if (acc) *acc = (double)correct / (double)count;
cleanup:
  free(Z);
  return st;
}
