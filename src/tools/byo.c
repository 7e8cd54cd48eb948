/* "Bring your own features": a ready-made train/validation/test split from .npy files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sgfblo/sgfblo_data.h"
#include "sgfblo/sgfblo_io.h"

/* Features: 2-D float32/float64, all finite; *rows and *cols receive the shape. */
static sgfblo_status load_features(const char *path, sgfblo_real **out, int64_t *rows,
                                   int64_t *cols, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_array a;
  memset(&a, 0, sizeof a);
  SGFBLO_TRY(sgfblo_npy_read(path, &a, err));
  if (a.dtype != SGFBLO_DTYPE_F64 && a.dtype != SGFBLO_DTYPE_F32)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: features must be float32 or float64", path);
  if (a.ndim != 2)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: features must be 2-D (samples x features), got %d-D",
                path, a.ndim);
  if (a.shape[1] < 1) SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: features have 0 columns", path);
  st = sgfblo_array_to_real(&a, out, err);
  if (st != SGFBLO_OK) {
    /* Prefix the file name to the converter's message. */
    char detail[sizeof err->msg];
    if (err) {
      memcpy(detail, err->msg, sizeof detail);
      sgfblo_fail(err, st, "%s: %s", path, detail);
    }
    goto cleanup;
  }
  *rows = a.shape[0];
  *cols = a.shape[1];

cleanup:
  sgfblo_array_free(&a);
  return st;
}

/* Labels: 1-D integers, expected_rows of them; range checked later against C. */
static sgfblo_status load_labels(const char *path, int64_t expected_rows, const char *feat_path,
                                 int32_t **out, int32_t *max_label, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_array a;
  memset(&a, 0, sizeof a);
  SGFBLO_TRY(sgfblo_npy_read(path, &a, err));
  if (a.dtype != SGFBLO_DTYPE_I32 && a.dtype != SGFBLO_DTYPE_I64 && a.dtype != SGFBLO_DTYPE_U8)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: labels must be int32, int64 or uint8", path);
  if (a.ndim != 1)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s: labels must be 1-D, got %d-D", path, a.ndim);
  if (a.shape[0] != expected_rows)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s has %lld labels but %s has %lld rows", path,
                (long long)a.shape[0], feat_path, (long long)expected_rows);
  for (int64_t i = 0; i < a.size; ++i) {
    int64_t v = 0;
    switch (a.dtype) {
      case SGFBLO_DTYPE_I32: v = ((const int32_t *)a.data)[i]; break;
      case SGFBLO_DTYPE_I64: v = ((const int64_t *)a.data)[i]; break;
      default: v = ((const uint8_t *)a.data)[i]; break;
    }
    if (v < 0 || v >= INT32_MAX)
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: label %lld at index %lld is %s", path,
                  (long long)v, (long long)i, v < 0 ? "negative" : "too large");
    if (v > *max_label) *max_label = (int32_t)v;
  }
  SGFBLO_TRY(sgfblo_array_to_labels(&a, INT32_MAX, out, err));

cleanup:
  sgfblo_array_free(&a);
  return st;
}

static sgfblo_status check_range(const char *path, const int32_t *lab, int64_t n, int64_t C,
                                 sgfblo_errmsg *err) {
  for (int64_t i = 0; i < n; ++i)
    if (lab[i] >= C)
      return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                         "%s: label %d at index %lld is outside [0, %lld)", path, (int)lab[i],
                         (long long)i, (long long)C);
  return SGFBLO_OK;
}

sgfblo_status sgfblo_byo_load(const sgfblo_byo_files *files, sgfblo_split *out,
                              sgfblo_corruption *corr, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_split s;
  sgfblo_corruption c;
  memset(&s, 0, sizeof s);
  memset(&c, 0, sizeof c);
  int32_t max_label = 0;
  sgfblo_err_clear(err);
  if (out) memset(out, 0, sizeof *out);
  if (corr) memset(corr, 0, sizeof *corr);
  if (!files || !out) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "byo_load: files and out are required");
  if (!files->train_features || !files->train_labels || !files->val_features || !files->val_labels)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG,
                "byo_load: train and validation features and labels are required");
  if (!files->test_features != !files->test_labels)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG,
                "byo_load: give both test features and test labels, or neither");
  if (files->num_classes < 0 || files->num_classes > INT32_MAX)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "byo_load: num_classes must be 0 (infer) or in 1..%d",
                INT32_MAX);

  const char *fpath[3] = {files->train_features, files->val_features, files->test_features};
  const char *lpath[3] = {files->train_labels, files->val_labels, files->test_labels};
  sgfblo_dataset *sets[3] = {&s.train, &s.val, &s.test};
  for (int i = 0; i < 3; ++i) {
    if (!fpath[i]) continue;
    SGFBLO_TRY(load_features(fpath[i], &sets[i]->features, &sets[i]->n, &sets[i]->d, err));
    if (sets[i]->d != s.train.d)
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s has %lld features per row but %s has %lld",
                  fpath[i], (long long)sets[i]->d, fpath[0], (long long)s.train.d);
    if (i < 2 && sets[i]->n < 1)
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: the %s set is empty", fpath[i],
                  i == 0 ? "training" : "validation");
    SGFBLO_TRY(load_labels(lpath[i], sets[i]->n, fpath[i], &sets[i]->labels, &max_label, err));
  }
  if (!fpath[2]) {
    s.test.d = s.train.d;
    s.test.labels = malloc(sizeof *s.test.labels);
    s.test.features = malloc(sizeof *s.test.features);
    if (!s.test.labels || !s.test.features)
      SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "byo_load: cannot allocate");
  }
  if (files->train_clean_labels)
    SGFBLO_TRY(
        load_labels(files->train_clean_labels, s.train.n, fpath[0], &c.clean, &max_label, err));

  const int64_t C = files->num_classes > 0 ? files->num_classes : (int64_t)max_label + 1;
  for (int i = 0; i < 3; ++i) {
    if (!fpath[i]) continue;
    SGFBLO_TRY(check_range(lpath[i], sets[i]->labels, sets[i]->n, C, err));
    sets[i]->num_classes = C;
  }
  s.test.num_classes = C;
  if (files->train_clean_labels) {
    SGFBLO_TRY(check_range(files->train_clean_labels, c.clean, s.train.n, C, err));
    if (corr) {
      c.n = s.train.n;
      c.noisy = malloc(sizeof *c.noisy * (size_t)c.n);
      c.mask = malloc(sizeof *c.mask * (size_t)c.n);
      if (!c.noisy || !c.mask) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "byo_load: cannot allocate");
      memcpy(c.noisy, s.train.labels, sizeof *c.noisy * (size_t)c.n);
      for (int64_t i = 0; i < c.n; ++i) {
        c.mask[i] = c.noisy[i] != c.clean[i];
        c.num_corrupted += c.mask[i];
      }
      *corr = c;
      memset(&c, 0, sizeof c);
    }
  }
  *out = s;
  memset(&s, 0, sizeof s);

cleanup:
  sgfblo_split_free(&s);
  sgfblo_corruption_free(&c);
  return st;
}
