/* An MNIST-style directory (train-* and optionally t10k-* IDX files, plain or .gz) as one
   pooled data set. */
#define _POSIX_C_SOURCE 200809L /* stat */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "sgfblo/sgfblo_data.h"

#define MNIST_PATH_MAX 4096

/* dir/name if it exists, else dir/name.gz if that exists; SGFBLO_ERR_IO naming both if not. */
static sgfblo_status find_file(const char *dir, const char *name, char *path, sgfblo_errmsg *err) {
  struct stat sb;
  int len = snprintf(path, MNIST_PATH_MAX, "%s/%s", dir, name);
  if (len < 0 || len + 4 >= MNIST_PATH_MAX)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "%s: directory name too long", dir);
  if (stat(path, &sb) == 0) return SGFBLO_OK;
  memcpy(path + len, ".gz", 4);
  if (stat(path, &sb) == 0) return SGFBLO_OK;
  return sgfblo_fail(err, SGFBLO_ERR_IO,
                     "%s: neither %s nor %s.gz found (see tools/fetch_mnist.sh)", dir, name, name);
}

/* Images and labels of one part ("train" or "t10k"), counts checked against each other. */
static sgfblo_status load_part(const char *dir, const char *part, sgfblo_dataset *ds, int64_t *rows,
                               int64_t *cols, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  char name[64], ipath[MNIST_PATH_MAX], lpath[MNIST_PATH_MAX];
  int64_t nl = 0;
  snprintf(name, sizeof name, "%s-images-idx3-ubyte", part);
  SGFBLO_TRY(find_file(dir, name, ipath, err));
  snprintf(name, sizeof name, "%s-labels-idx1-ubyte", part);
  SGFBLO_TRY(find_file(dir, name, lpath, err));
  SGFBLO_TRY(sgfblo_idx_read_images(ipath, &ds->features, &ds->n, rows, cols, err));
  SGFBLO_TRY(sgfblo_idx_read_labels(lpath, &ds->labels, &nl, err));
  if (nl != ds->n)
    SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT, "%s has %lld images but %s has %lld labels", ipath,
                (long long)ds->n, lpath, (long long)nl);
  ds->d = *rows * *cols;

cleanup:
  return st;
}

sgfblo_status sgfblo_mnist_load(const char *dir, int include_test, int64_t num_classes,
                                sgfblo_dataset *out, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_dataset tr, te;
  memset(&tr, 0, sizeof tr);
  memset(&te, 0, sizeof te);
  int64_t rows = 0, cols = 0, trows = 0, tcols = 0;
  sgfblo_err_clear(err);
  if (out) memset(out, 0, sizeof *out);
  if (!dir || !out) SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "mnist_load: dir and out are required");
  if (num_classes < 0 || num_classes > 256)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "mnist_load: num_classes must be 0 (infer) or in 1..256 (got %lld)",
                (long long)num_classes);
  SGFBLO_TRY(load_part(dir, "train", &tr, &rows, &cols, err));
  if (include_test) {
    SGFBLO_TRY(load_part(dir, "t10k", &te, &trows, &tcols, err));
    if (trows != rows || tcols != cols)
      SGFBLO_FAIL(err, SGFBLO_ERR_FORMAT,
                  "%s: t10k images are %lld x %lld but train images are %lld x %lld", dir,
                  (long long)trows, (long long)tcols, (long long)rows, (long long)cols);
    /* Append t10k to train. */
    const size_t n = (size_t)(tr.n + te.n), d = (size_t)tr.d;
    sgfblo_real *f = realloc(tr.features, sizeof *f * n * d);
    if (!f) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate %zu images", dir, n);
    tr.features = f;
    int32_t *l = realloc(tr.labels, sizeof *l * n);
    if (!l) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "%s: cannot allocate %zu labels", dir, n);
    tr.labels = l;
    memcpy(tr.features + (size_t)tr.n * d, te.features, sizeof *f * (size_t)te.n * d);
    memcpy(tr.labels + tr.n, te.labels, sizeof *l * (size_t)te.n);
    tr.n += te.n;
  }
  int32_t max_label = 0;
  for (int64_t i = 0; i < tr.n; ++i)
    if (tr.labels[i] > max_label) max_label = tr.labels[i];
  if (num_classes == 0) num_classes = (int64_t)max_label + 1;
  if (max_label >= num_classes)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "%s: label %d found but num_classes is %lld", dir,
                (int)max_label, (long long)num_classes);
  tr.num_classes = num_classes;
  *out = tr;
  memset(&tr, 0, sizeof tr);

cleanup:
  sgfblo_dataset_free(&tr);
  sgfblo_dataset_free(&te);
  return st;
}
