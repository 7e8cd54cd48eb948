/* The labelled data set, its checks, and the seeded train/validation/test split. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sgfblo/sgfblo_data.h"
#include "tools/rng.h"

sgfblo_status sgfblo_dataset_check(const sgfblo_dataset *ds, sgfblo_errmsg *err) {
  if (!ds) return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "dataset is NULL");
  if (ds->n < 0 || ds->d < 1)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "dataset: need n >= 0 and d >= 1 (got n = %lld, d = %lld)", (long long)ds->n,
                       (long long)ds->d);
  if (ds->num_classes < 1 || ds->num_classes > INT32_MAX)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "dataset: num_classes must be in 1..%d (got %lld)", INT32_MAX,
                       (long long)ds->num_classes);
  if (ds->n > 0 && (!ds->features || !ds->labels))
    return sgfblo_fail(err, SGFBLO_ERR_NULL_ARG, "dataset: features and labels are required");
  if (ds->n > 0 && ds->d > INT64_MAX / ds->n)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "dataset: n * d overflows");
  for (int64_t i = 0; i < ds->n; ++i) {
    if (ds->labels[i] < 0 || ds->labels[i] >= ds->num_classes)
      return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                         "dataset: label %d of row %lld is outside [0, %lld)", (int)ds->labels[i],
                         (long long)i, (long long)ds->num_classes);
    const sgfblo_real *row = ds->features + i * ds->d;
    for (int64_t j = 0; j < ds->d; ++j)
      if (!isfinite(row[j]))
        return sgfblo_fail(err, SGFBLO_ERR_NONFINITE,
                           "dataset: non-finite feature (%g) at row %lld, column %lld",
                           (double)row[j], (long long)i, (long long)j);
  }
  return SGFBLO_OK;
}

void sgfblo_dataset_free(sgfblo_dataset *ds) {
  if (!ds) return;
  free(ds->features);
  free(ds->labels);
  memset(ds, 0, sizeof *ds);
}

void sgfblo_split_free(sgfblo_split *s) {
  if (!s) return;
  sgfblo_dataset_free(&s->train);
  sgfblo_dataset_free(&s->val);
  sgfblo_dataset_free(&s->test);
  free(s->perm);
  memset(s, 0, sizeof *s);
}

/* Copy the rows rows[0..n) of src into a new data set. */
static sgfblo_status gather(const sgfblo_dataset *src, const int64_t *rows, int64_t n,
                            sgfblo_dataset *dst, sgfblo_errmsg *err) {
  const size_t d = (size_t)src->d;
  dst->n = n;
  dst->d = src->d;
  dst->num_classes = src->num_classes;
  dst->features = malloc(sizeof *dst->features * d * (size_t)(n > 0 ? n : 1));
  dst->labels = malloc(sizeof *dst->labels * (size_t)(n > 0 ? n : 1));
  if (!dst->features || !dst->labels)
    return sgfblo_fail(err, SGFBLO_ERR_ALLOC, "split: cannot allocate %lld x %lld features",
                       (long long)n, (long long)src->d);
  for (int64_t i = 0; i < n; ++i) {
    memcpy(dst->features + (size_t)i * d, src->features + (size_t)rows[i] * d,
           sizeof *dst->features * d);
    dst->labels[i] = src->labels[rows[i]];
  }
  return SGFBLO_OK;
}

sgfblo_status sgfblo_dataset_split(const sgfblo_dataset *all, int64_t n_train, int64_t n_val,
                                   int64_t n_test, uint64_t seed, sgfblo_split *out,
                                   sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  int64_t *perm = NULL;
  sgfblo_split s;
  memset(&s, 0, sizeof s);
  sgfblo_err_clear(err);
  if (out) memset(out, 0, sizeof *out);
  if (!all || !out) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "split: all and out are required");
  SGFBLO_TRY(sgfblo_dataset_check(all, err));
  if (n_train < 1 || n_val < 1 || n_test < 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "split: need n_train >= 1, n_val >= 1, n_test >= 0 (got %lld, %lld, %lld)",
                (long long)n_train, (long long)n_val, (long long)n_test);
  if (n_train > all->n || n_val > all->n - n_train || n_test > all->n - n_train - n_val)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "split: %lld + %lld + %lld samples requested but the set has only %lld",
                (long long)n_train, (long long)n_val, (long long)n_test, (long long)all->n);

  /* Fisher-Yates over all rows; the first n_train + n_val + n_test are used. */
  perm = malloc(sizeof *perm * (size_t)all->n);
  if (!perm) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "split: cannot allocate the permutation");
  for (int64_t i = 0; i < all->n; ++i) perm[i] = i;
  sgfblo_rng rng;
  sgfblo_rng_seed(&rng, seed);
  for (int64_t i = all->n - 1; i > 0; --i) {
    const int64_t j = (int64_t)sgfblo_rng_below(&rng, (uint64_t)i + 1);
    const int64_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  SGFBLO_TRY(gather(all, perm, n_train, &s.train, err));
  SGFBLO_TRY(gather(all, perm + n_train, n_val, &s.val, err));
  SGFBLO_TRY(gather(all, perm + n_train + n_val, n_test, &s.test, err));
  {
    /* Keep only the rows in use (a failed shrink keeps the larger block). */
    int64_t *used = realloc(perm, sizeof *perm * (size_t)(n_train + n_val + n_test));
    s.perm = used ? used : perm;
    perm = NULL;
  }
  *out = s;
  memset(&s, 0, sizeof s);

cleanup:
  free(perm);
  sgfblo_split_free(&s);
  return st;
}
