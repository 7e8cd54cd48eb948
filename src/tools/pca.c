/* PCA fitted on the training split only: training mean, covariance by one SYRK, LAPACKE syevd,
   components kept by explained-variance fraction (the paper: 90%) or by count. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sgfblo/sgfblo_data.h"
#include "core/blas_real.h"

void sgfblo_pca_free(sgfblo_pca *p) {
  if (!p) return;
  free(p->mean);
  free(p->components);
  free(p->variances);
  memset(p, 0, sizeof *p);
}

sgfblo_status sgfblo_pca_fit(const sgfblo_real *X, int64_t n, int64_t d, double var_fraction,
                             int64_t k, sgfblo_pca *out, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_pca p;
  sgfblo_real *Xc = NULL, *C = NULL;
  double *acc = NULL;
  memset(&p, 0, sizeof p);
  sgfblo_err_clear(err);
  if (out) memset(out, 0, sizeof *out);
  if (!X || !out) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "pca_fit: X and out are required");
  if (n < 2 || d < 1 || n > INT_MAX || d > INT_MAX || (uint64_t)n * (uint64_t)d > SIZE_MAX / 8)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "pca_fit: need 2 <= n <= %d and 1 <= d <= %d (got n = %lld, d = %lld)", INT_MAX,
                INT_MAX, (long long)n, (long long)d);
  if (k < 0 || k > d)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "pca_fit: k must be 0 (choose by variance) or in 1..%lld (got %lld)", (long long)d,
                (long long)k);
  if (k == 0 && !(var_fraction > 0.0 && var_fraction <= 1.0))
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "pca_fit: var_fraction must be in (0, 1] (got %g)",
                var_fraction);
  const size_t nd = (size_t)n * (size_t)d, dd = (size_t)d * (size_t)d;
  for (size_t i = 0; i < nd; ++i)
    if (!isfinite(X[i]))
      SGFBLO_FAIL(err, SGFBLO_ERR_NONFINITE,
                  "pca_fit: non-finite value (%g) at row %zu, column %zu", (double)X[i],
                  i / (size_t)d, i % (size_t)d);

  p.d = d;
  p.mean = malloc(sizeof *p.mean * (size_t)d);
  p.variances = malloc(sizeof *p.variances * (size_t)d);
  acc = calloc((size_t)d, sizeof *acc);
  Xc = malloc(sizeof *Xc * nd);
  C = malloc(sizeof *C * dd);
  if (!p.mean || !p.variances || !acc || !Xc || !C)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "pca_fit: cannot allocate for n = %lld, d = %lld",
                (long long)n, (long long)d);

  /* Mean (accumulated in double), then the centered copy. */
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) acc[j] += X[i * d + j];
  for (int64_t j = 0; j < d; ++j) p.mean[j] = (sgfblo_real)(acc[j] / (double)n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) Xc[i * d + j] = X[i * d + j] - p.mean[j];

  /* C = Xc^T Xc / (n - 1), upper triangle (row-major), then its eigenpairs (ascending). */
  SGFBLO_CBLAS(syrk)
  (CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, (sgfblo_real)(1.0 / (double)(n - 1)), Xc,
   (int)d, (sgfblo_real)0, C, (int)d);
  const lapack_int info = SGFBLO_LAPACKE(syevd)(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)d, C,
                                                (lapack_int)d, p.variances);
  if (info < 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "pca_fit: syevd rejected argument %d", (int)-info);
  if (info > 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "pca_fit: syevd did not converge (info = %d)", (int)info);

  /* Decreasing order, rounding negatives clamped to 0. */
  for (int64_t j = 0; j < d / 2; ++j) {
    const sgfblo_real t = p.variances[j];
    p.variances[j] = p.variances[d - 1 - j];
    p.variances[d - 1 - j] = t;
  }
  double total = 0;
  for (int64_t j = 0; j < d; ++j) {
    if (!(p.variances[j] > 0)) p.variances[j] = 0;
    total += p.variances[j];
  }
  if (k == 0) {
    if (!(total > 0))
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                  "pca_fit: the training features have zero variance; choose k explicitly");
    double cum = 0;
    for (k = 0; k < d;) {
      cum += p.variances[k++];
      if (cum / total >= var_fraction) break;
    }
  }
  double kept = 0;
  for (int64_t j = 0; j < k; ++j) kept += p.variances[j];
  p.explained = total > 0 ? kept / total : 1.0;
  p.k = k;

  /* Component j is eigenvector column d-1-j; sign fixed so its largest |entry| is positive. */
  p.components = malloc(sizeof *p.components * (size_t)d * (size_t)k);
  if (!p.components) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "pca_fit: cannot allocate components");
  for (int64_t j = 0; j < k; ++j) {
    const int64_t col = d - 1 - j;
    int64_t arg = 0;
    for (int64_t i = 1; i < d; ++i)
      if (fabs((double)C[i * d + col]) > fabs((double)C[arg * d + col])) arg = i;
    const sgfblo_real sign = C[arg * d + col] < 0 ? (sgfblo_real)-1 : (sgfblo_real)1;
    for (int64_t i = 0; i < d; ++i) p.components[i * k + j] = sign * C[i * d + col];
  }
  *out = p;
  memset(&p, 0, sizeof p);

cleanup:
  free(Xc);
  free(C);
  free(acc);
  sgfblo_pca_free(&p);
  return st;
}

sgfblo_status sgfblo_pca_transform(const sgfblo_pca *pca, const sgfblo_real *X, int64_t n, int bias,
                                   sgfblo_real *out, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_real *Xc = NULL;
  sgfblo_err_clear(err);
  if (!pca) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "pca_transform: pca is required");
  if (n == 0) goto cleanup;
  if (!X || !out || !pca->mean || !pca->components)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "pca_transform: X, out and a fitted pca are required");
  if (n < 0 || n > INT_MAX || pca->d < 1 || pca->d > INT_MAX || pca->k < 1 || pca->k > pca->d ||
      (bias != 0 && bias != 1))
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "pca_transform: bad sizes or bias (n = %lld, d = %lld, k = %lld, bias = %d)",
                (long long)n, (long long)pca->d, (long long)pca->k, bias);
  const int64_t d = pca->d, k = pca->k, ldo = k + bias;
  Xc = malloc(sizeof *Xc * (size_t)n * (size_t)d);
  if (!Xc)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "pca_transform: cannot allocate %lld x %lld", (long long)n,
                (long long)d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) Xc[i * d + j] = X[i * d + j] - pca->mean[j];
  /* out[:, 0:k] = Xc W  (n x d times d x k, row-major, leading dimension k + bias). */
  SGFBLO_CBLAS(gemm)
  (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)k, (int)d, (sgfblo_real)1, Xc, (int)d,
   pca->components, (int)k, (sgfblo_real)0, out, (int)ldo);
  if (bias)
    for (int64_t i = 0; i < n; ++i) out[i * ldo + k] = 1;

cleanup:
  free(Xc);
  return st;
}

sgfblo_status sgfblo_pca_reduce_split(sgfblo_split *s, double var_fraction, int64_t k, int bias,
                                      sgfblo_pca *pca, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_pca p;
  sgfblo_real *f[3] = {NULL, NULL, NULL};
  memset(&p, 0, sizeof p);
  sgfblo_err_clear(err);
  if (pca) memset(pca, 0, sizeof *pca);
  if (!s) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "pca_reduce_split: s is required");
  sgfblo_dataset *sets[3] = {&s->train, &s->val, &s->test};
  static const char *names[3] = {"train", "val", "test"};
  for (int i = 0; i < 3; ++i)
    if (sets[i]->d != s->train.d || sets[i]->n < 0 || (sets[i]->n > 0 && !sets[i]->features))
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                  "pca_reduce_split: %s has d = %lld, n = %lld (train d = %lld)", names[i],
                  (long long)sets[i]->d, (long long)sets[i]->n, (long long)s->train.d);
  if (bias != 0 && bias != 1)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "pca_reduce_split: bias must be 0 or 1 (got %d)",
                bias);
  SGFBLO_TRY(sgfblo_pca_fit(s->train.features, s->train.n, s->train.d, var_fraction, k, &p, err));
  for (int i = 0; i < 3; ++i) {
    const int64_t rows = sets[i]->n > 0 ? sets[i]->n : 1;
    f[i] = malloc(sizeof *f[i] * (size_t)rows * (size_t)(p.k + bias));
    if (!f[i]) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "pca_reduce_split: cannot allocate %s", names[i]);
    SGFBLO_TRY(sgfblo_pca_transform(&p, sets[i]->features, sets[i]->n, bias, f[i], err));
  }
  /* Nothing can fail past this point: swap the features in. */
  for (int i = 0; i < 3; ++i) {
    free(sets[i]->features);
    sets[i]->features = f[i];
    sets[i]->d = p.k + bias;
    f[i] = NULL;
  }
  if (pca) {
    *pca = p;
    memset(&p, 0, sizeof p);
  }

cleanup:
  for (int i = 0; i < 3; ++i) free(f[i]);
  sgfblo_pca_free(&p);
  return st;
}
