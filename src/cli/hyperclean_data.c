/* The data of `sgfblo hyperclean`: MNIST (pooled, then a seeded split) or a ready-made split
   from .npy files; label corruption; PCA fitted on the training split; the problem instance;
   the optional starting point. Every unusable input is a usage error (exit 2) that names the
   option or the file. */
#include <stdlib.h>
#include <string.h>

#include "cli/hyperclean.h"

#define MNIST_CLASSES 10

int64_t hc_N(const hc_data *d) { return d->split.train.n; }
int64_t hc_dim(const hc_data *d) { return d->split.train.d; }
int64_t hc_classes(const hc_data *d) { return d->split.train.num_classes; }

void hc_data_free(hc_data *d) {
  sgfblo_split_free(&d->split);
  sgfblo_corruption_free(&d->corr);
  sgfblo_hyperclean_destroy(d->hc);
  free(d->x0);
  free(d->y0);
  memset(d, 0, sizeof *d);
}

static int load_mnist(const hc_opts *o, hc_data *d) {
  sgfblo_errmsg err = {{0}};
  sgfblo_dataset all = {0};
  const int64_t C = o->classes > 0 ? o->classes : MNIST_CLASSES;
  sgfblo_status st = sgfblo_mnist_load(o->mnist_dir, 0, C, &all, &err);
  if (st != SGFBLO_OK) {
    if (st == SGFBLO_ERR_IO && !o->mnist_given)
      return cli_input_error(HC_PROG,
                             "--mnist %s: %s (fetch it with 'bash tools/fetch_mnist.sh %s', or "
                             "give --mnist DIR or the --train-x ... files)",
                             o->mnist_dir, err.msg, o->mnist_dir);
    return cli_input_error(HC_PROG, "--mnist %s: %s", o->mnist_dir, err.msg);
  }
  int rc = CLI_EXIT_OK;
  const int64_t want = o->n_train + o->n_val + o->n_test;
  if (want > all.n)
    rc = cli_usage_error(HC_PROG,
                         "--n-train %lld + --n-val %lld + --n-test %lld = %lld samples, but %s "
                         "holds %lld",
                         (long long)o->n_train, (long long)o->n_val, (long long)o->n_test,
                         (long long)want, o->mnist_dir, (long long)all.n);
  if (rc == CLI_EXIT_OK) {
    st = sgfblo_dataset_split(&all, o->n_train, o->n_val, o->n_test, o->seed, &d->split, &err);
    if (st != SGFBLO_OK)
      rc = cli_input_error(HC_PROG, "--mnist %s: split: %s", o->mnist_dir, err.msg);
  }
  d->pool = all.n;
  d->from_mnist = 1;
  sgfblo_dataset_free(&all);
  return rc;
}

static int load_files(const hc_opts *o, hc_data *d) {
  sgfblo_errmsg err = {{0}};
  const sgfblo_byo_files files = {
      .train_features = o->file[HC_TRAIN_X],
      .train_labels = o->file[HC_TRAIN_Y],
      .val_features = o->file[HC_VAL_X],
      .val_labels = o->file[HC_VAL_Y],
      .test_features = o->file[HC_TEST_X],
      .test_labels = o->file[HC_TEST_Y],
      .train_clean_labels = o->file[HC_TRAIN_CLEAN_Y],
      .num_classes = o->classes};
  const sgfblo_status st = sgfblo_byo_load(&files, &d->split, &d->corr, &err);
  if (st != SGFBLO_OK) return cli_input_error(HC_PROG, "%s", err.msg);
  d->has_mask = o->file[HC_TRAIN_CLEAN_Y] != NULL;
  if (hc_classes(d) < 2)
    return cli_input_error(HC_PROG,
                           "%s: every label is 0, so there is one class; hyper-cleaning needs at "
                           "least 2 (or give --classes C)",
                           o->file[HC_TRAIN_Y]);
  return CLI_EXIT_OK;
}

/* Corrupt the training labels (MNIST always, files only with --p). The corruption draws from
   seed + 1 so that it does not replay the split's random stream. */
static int corrupt(const hc_opts *o, hc_data *d) {
  sgfblo_errmsg err = {{0}};
  sgfblo_dataset *tr = &d->split.train;
  const sgfblo_status st = sgfblo_corrupt_labels(tr->labels, tr->n, tr->num_classes, o->p,
                                                 o->corrupt, o->seed + 1, &d->corr, &err);
  if (st != SGFBLO_OK) return cli_usage_error(HC_PROG, "--p %g: %s", o->p, err.msg);
  memcpy(tr->labels, d->corr.noisy, sizeof *tr->labels * (size_t)tr->n);
  d->has_mask = 1;
  d->corrupted_here = 1;
  return CLI_EXIT_OK;
}

/* Append a constant-1 feature to every row of ds (used without PCA; PCA appends it itself). */
static int append_bias(sgfblo_dataset *ds) {
  const int64_t d1 = ds->d + 1;
  sgfblo_real *f = malloc(sizeof *f * (size_t)(ds->n > 0 ? ds->n * d1 : 1));
  if (!f) return -1;
  for (int64_t i = 0; i < ds->n; ++i) {
    memcpy(f + i * d1, ds->features + i * ds->d, sizeof *f * (size_t)ds->d);
    f[i * d1 + ds->d] = 1;
  }
  free(ds->features);
  ds->features = f;
  ds->d = d1;
  return 0;
}

static int reduce(const hc_opts *o, hc_data *d) {
  d->d_raw = hc_dim(d);
  if (o->no_pca) {
    if (!o->bias) return CLI_EXIT_OK;
    if (append_bias(&d->split.train) || append_bias(&d->split.val) || append_bias(&d->split.test)) {
      fprintf(stderr, "%s: out of memory\n", HC_PROG);
      return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
  }
  if (o->pca_k > d->d_raw)
    return cli_usage_error(HC_PROG, "--pca-k %lld: the data have only %lld features",
                           (long long)o->pca_k, (long long)d->d_raw);
  if (hc_N(d) < 2)
    return cli_usage_error(HC_PROG, "PCA needs at least 2 training samples (or give --no-pca)");
  sgfblo_errmsg err = {{0}};
  sgfblo_pca pca = {0};
  const sgfblo_status st =
      sgfblo_pca_reduce_split(&d->split, o->pca_var, o->pca_k, o->bias, &pca, &err);
  if (st != SGFBLO_OK) {
    if (st == SGFBLO_ERR_ALLOC || st == SGFBLO_ERR_LINALG) {
      fprintf(stderr, "%s: PCA failed: %s: %s\n", HC_PROG, sgfblo_status_string(st), err.msg);
      return CLI_EXIT_FAILURE;
    }
    return cli_usage_error(HC_PROG, "PCA of the training features: %s (or give --no-pca)", err.msg);
  }
  d->pca_k = pca.k;
  d->pca_explained = pca.explained;
  sgfblo_pca_free(&pca);
  return CLI_EXIT_OK;
}

static int build_instance(const hc_opts *o, hc_data *d) {
  const sgfblo_split *s = &d->split;
  const sgfblo_hyperclean_data hd = {.N = s->train.n,
                                     .Nv = s->val.n,
                                     .d = s->train.d,
                                     .C = s->train.num_classes,
                                     .A = s->train.features,
                                     .labels = s->train.labels,
                                     .Av = s->val.features,
                                     .val_labels = s->val.labels,
                                     .lambda = o->lambda,
                                     .threads = o->threads,
                                     .device_pass = o->device_pass};
  sgfblo_errmsg err = {{0}};
  const sgfblo_status st = sgfblo_hyperclean_create(&hd, &d->hc, &err);
  if (st == SGFBLO_OK) return CLI_EXIT_OK;
  if (st == SGFBLO_ERR_ALLOC) {
    fprintf(stderr, "%s: %s\n", HC_PROG, err.msg);
    return CLI_EXIT_FAILURE;
  }
  return cli_input_error(HC_PROG, "the data cannot form a hyper-cleaning problem: %s", err.msg);
}

static int load_start(const hc_opts *o, hc_data *d) {
  int rc = CLI_EXIT_OK;
  const int64_t N = hc_N(d), dim = hc_dim(d), C = hc_classes(d);
  if (o->x0_path) {
    int64_t len = 0;
    rc = cli_load_vector(HC_PROG, "--x0", o->x0_path, &d->x0, &len);
    if (rc == CLI_EXIT_OK && len != N)
      rc = cli_input_error(HC_PROG, "--x0: %s has length %lld, but there are N = %lld training "
                           "samples", o->x0_path, (long long)len, (long long)N);
  }
  if (rc == CLI_EXIT_OK && o->y0_path) {
    int64_t rows = 0, cols = 0;
    rc = cli_load_matrix(HC_PROG, "--y0", o->y0_path, &d->y0, &rows, &cols);
    if (rc == CLI_EXIT_OK && (rows != dim || cols != C))
      rc = cli_input_error(HC_PROG, "--y0: %s is %lld x %lld, but the classifier is d x C = "
                           "%lld x %lld (d after PCA%s)", o->y0_path, (long long)rows,
                           (long long)cols, (long long)dim, (long long)C,
                           o->bias ? " and the bias feature" : "");
  }
  return rc;
}

int hc_data_prepare(const hc_opts *o, hc_data *d) {
  memset(d, 0, sizeof *d);
  const int use_files = o->file[HC_TRAIN_X] != NULL;
  int rc = use_files ? load_files(o, d) : load_mnist(o, d);
  if (rc == CLI_EXIT_OK && (!use_files || o->p_given)) rc = corrupt(o, d);
  if (rc == CLI_EXIT_OK) rc = reduce(o, d);
  if (rc == CLI_EXIT_OK) rc = build_instance(o, d);
  if (rc == CLI_EXIT_OK) rc = load_start(o, d);
  return rc;
}
