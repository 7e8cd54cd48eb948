/**
 * @file sgfblo_data.h
 * @brief Data for the hyper-cleaning experiments (MATH.md, Problem 2): MNIST IDX files,
 * seeded train/validation/test splits, label corruption, PCA fitted on the training split,
 * and "bring your own features" from .npy files.
 *
 * Everything here works on host memory and owns what it returns (release with the matching
 * *_free function). Every function validates its inputs, never prints, and reports a failure
 * as a status plus a message in the caller's sgfblo_errmsg (which may be NULL).
 *
 * Typical pipeline (the paper's setting):
 * @code
 *   sgfblo_dataset all; sgfblo_split sp; sgfblo_corruption cor; sgfblo_pca pca;
 *   sgfblo_mnist_load("data/mnist", 0, 10, &all, &err);             // 10,000 x 784, C = 10
 *   sgfblo_dataset_split(&all, 5000, 2500, 2500, seed, &sp, &err);
 *   sgfblo_corrupt_labels(sp.train.labels, sp.train.n, 10, 0.25, SGFBLO_CORRUPT_SAMPLE, seed,
 *                         &cor, &err);
 *   memcpy(sp.train.labels, cor.noisy, sizeof(int32_t) * sp.train.n);   // train on noisy labels
 *   sgfblo_pca_reduce_split(&sp, SGFBLO_DEFAULT_PCA_VARIANCE, 0, 0, &pca, &err); // d = pca.k
 * @endcode
 */
#ifndef SGFBLO_SGFBLO_DATA_H
#define SGFBLO_SGFBLO_DATA_H

#include <stdint.h>

#include "sgfblo/sgfblo.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Default fraction of the training variance that PCA keeps (the paper: 90%, d = 82). */
#define SGFBLO_DEFAULT_PCA_VARIANCE 0.90

/* ----------------------------------------------------------------- dataset -- */

/** A labelled data set: n samples of d features, labels in [0, num_classes). Host memory. */
typedef struct {
  int64_t n;             /**< number of samples (rows), >= 0 */
  int64_t d;             /**< features per sample (columns), >= 1 */
  int64_t num_classes;   /**< C >= 1: every label is in [0, C) */
  sgfblo_real *features; /**< n x d, row-major, host, owned (NULL when n == 0 is allowed) */
  int32_t *labels;       /**< n labels, host, owned */
} sgfblo_dataset;

/**
 * Check a data set: n >= 0, d >= 1, num_classes in 1..INT32_MAX, arrays present when n > 0,
 * every feature finite, every label in [0, num_classes).
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (the message names the bad
 *         label and its row), SGFBLO_ERR_NONFINITE (names the row and column)
 */
SGFBLO_API sgfblo_status sgfblo_dataset_check(const sgfblo_dataset *ds, sgfblo_errmsg *err);

/** Free the arrays and zero *ds. NULL-safe; safe on a zeroed data set. */
SGFBLO_API void sgfblo_dataset_free(sgfblo_dataset *ds);

/** Three disjoint data sets drawn from one pool, or loaded side by side. */
typedef struct {
  sgfblo_dataset train; /**< training split: its labels are the ones a cleaner reweights */
  sgfblo_dataset val;   /**< validation split (the upper-level objective) */
  sgfblo_dataset test;  /**< test split (held out; may have n == 0) */
  int64_t *perm;        /**< train.n + val.n + test.n rows of the pool: first the training rows,
                             then validation, then test (owned; NULL when loaded from files) */
} sgfblo_split;

/**
 * Split a pooled set into train/validation/test by a seeded random permutation (Fisher-Yates
 * with the library's RNG: one seed gives the same split on every platform). The first n_train
 * rows of the permutation form the training split, the next n_val the validation split, the
 * next n_test the test split; rows past n_train + n_val + n_test are left out. Features and
 * labels are deep-copied; num_classes is inherited.
 *
 * @param[in]  all     pooled set (checked with sgfblo_dataset_check)
 * @param[in]  n_train >= 1;  @param[in] n_val >= 1;  @param[in] n_test >= 0;
 *                     n_train + n_val + n_test <= all->n
 * @param[in]  seed    RNG seed
 * @param[out] out     filled on success, zeroed on failure; release with sgfblo_split_free
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (sizes do not fit),
 *         SGFBLO_ERR_NONFINITE, SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_dataset_split(const sgfblo_dataset *all, int64_t n_train,
                                              int64_t n_val, int64_t n_test, uint64_t seed,
                                              sgfblo_split *out, sgfblo_errmsg *err);

/** Free the three data sets and perm, zero *s. NULL-safe. */
SGFBLO_API void sgfblo_split_free(sgfblo_split *s);

/* --------------------------------------------------------------------- IDX -- */

/**
 * Read an IDX image file (magic 0x00000803: unsigned bytes, 3 dimensions n x rows x cols),
 * gzip-compressed (detected by the magic bytes 1f 8b) or not. The file must hold exactly
 * n * rows * cols pixel bytes after its 16-byte header. Pixels are scaled to [0, 1] (v / 255).
 *
 * @param[in]  path   e.g. "data/mnist/train-images-idx3-ubyte" or "...ubyte.gz"
 * @param[out] pixels n x (rows * cols), row-major, host, malloc'd (caller frees); NULL on failure
 * @param[out] n      number of images (>= 1);  @param[out] rows, cols  image size (>= 1 each);
 *                    rows/cols may be NULL
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_IO (cannot open or read; strerror),
 *         SGFBLO_ERR_FORMAT (bad magic, zero dimension, truncated: "expected N data bytes, found
 *         M", trailing bytes, corrupt gzip stream), SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_idx_read_images(const char *path, sgfblo_real **pixels, int64_t *n,
                                                int64_t *rows, int64_t *cols, sgfblo_errmsg *err);

/**
 * Read an IDX label file (magic 0x00000801: unsigned bytes, 1 dimension), gzip-compressed or
 * not, holding exactly n label bytes after its 8-byte header.
 *
 * @param[out] labels n labels (0..255), host, malloc'd (caller frees); NULL on failure
 * @param[out] n      number of labels (>= 1)
 * @return as sgfblo_idx_read_images
 */
SGFBLO_API sgfblo_status sgfblo_idx_read_labels(const char *path, int32_t **labels, int64_t *n,
                                                sgfblo_errmsg *err);

/**
 * Write an uncompressed IDX image file (magic 0x00000803). A partly written file is removed.
 * @param[in] pixels n * rows * cols bytes, image after image, row-major (host)
 * @param[in] n, rows, cols  each in 1..UINT32_MAX
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG, SGFBLO_ERR_IO
 */
SGFBLO_API sgfblo_status sgfblo_idx_write_images(const char *path, const uint8_t *pixels, int64_t n,
                                                 int64_t rows, int64_t cols, sgfblo_errmsg *err);

/**
 * Write an uncompressed IDX label file (magic 0x00000801). A partly written file is removed.
 * @param[in] labels n bytes (host);  @param[in] n in 1..UINT32_MAX
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG, SGFBLO_ERR_IO
 */
SGFBLO_API sgfblo_status sgfblo_idx_write_labels(const char *path, const uint8_t *labels, int64_t n,
                                                 sgfblo_errmsg *err);

/**
 * Load an MNIST-style directory into one pooled set (the caller splits it):
 * dir/train-images-idx3-ubyte[.gz] and dir/train-labels-idx1-ubyte[.gz] (the uncompressed
 * file is used when both forms exist), followed, when include_test is nonzero, by
 * dir/t10k-images-idx3-ubyte[.gz] and dir/t10k-labels-idx1-ubyte[.gz], which are then
 * required. Features are the pixels scaled to [0, 1], d = rows * cols (784 for MNIST).
 *
 * @param[in]  dir          directory
 * @param[in]  include_test nonzero: append the t10k files
 * @param[in]  num_classes  C >= 1 to check every label against, or 0: C = max label + 1
 * @param[out] out          pooled set (host, owned; release with sgfblo_dataset_free); zeroed
 *                          on failure
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (num_classes < 0, a label out
 *         of range), SGFBLO_ERR_IO (a file is missing: the message names both forms),
 *         SGFBLO_ERR_FORMAT (as the IDX readers; image/label count mismatch; train and t10k
 *         image sizes differ), SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_mnist_load(const char *dir, int include_test, int64_t num_classes,
                                           sgfblo_dataset *out, sgfblo_errmsg *err);

/* --------------------------------------------------------- label corruption -- */

/** How labels are corrupted. */
typedef enum {
  /** round(p * n) samples chosen uniformly without replacement each get a label drawn
      uniformly from the C - 1 wrong ones (most of the literature). */
  SGFBLO_CORRUPT_SAMPLE = 0,
  /** round(p * C) classes chosen uniformly without replacement; every sample of a chosen class
      gets the same wrong label, drawn once per class (the paper's code). */
  SGFBLO_CORRUPT_CLASS
} sgfblo_corrupt_mode;

/** Clean and corrupted labels of one split, and which samples differ. Host memory, owned. */
typedef struct {
  int64_t n;                     /**< number of samples */
  int32_t *clean;                /**< n original labels */
  int32_t *noisy;                /**< n corrupted labels (train on these) */
  uint8_t *mask;                 /**< n flags: 1 where noisy != clean, else 0 */
  int64_t num_corrupted;         /**< number of 1s in mask */
  int64_t num_classes_corrupted; /**< CLASS mode: round(p * C) classes chosen; SAMPLE mode: 0 */
} sgfblo_corruption;

/**
 * Corrupt a fraction p of the labels (see sgfblo_corrupt_mode), seeded: one seed gives the
 * same corruption on every platform. round() is C's round (halves away from zero). A
 * corrupted label never equals the true one, so mask is exactly the set of chosen samples
 * (SAMPLE) or of samples of chosen classes (CLASS).
 *
 * @param[in]  labels      n labels in [0, num_classes) (host; not modified)
 * @param[in]  n           >= 1
 * @param[in]  num_classes C >= 1 (>= 2 when anything is to be corrupted)
 * @param[in]  p           fraction in [0, 1]
 * @param[in]  mode        SGFBLO_CORRUPT_SAMPLE or SGFBLO_CORRUPT_CLASS
 * @param[in]  seed        RNG seed
 * @param[out] out         filled on success (release with sgfblo_corruption_free), zeroed on
 *                         failure
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (p outside [0, 1] or NaN,
 *         n < 1, unknown mode, C out of range or C = 1 with something to corrupt, a label out
 *         of range), SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_corrupt_labels(const int32_t *labels, int64_t n,
                                               int64_t num_classes, double p,
                                               sgfblo_corrupt_mode mode, uint64_t seed,
                                               sgfblo_corruption *out, sgfblo_errmsg *err);

/** Free the arrays and zero *c. NULL-safe. */
SGFBLO_API void sgfblo_corruption_free(sgfblo_corruption *c);

/* --------------------------------------------------------------------- PCA -- */

/** Principal components of a training set. Host memory, owned. */
typedef struct {
  int64_t d;               /**< input dimension */
  int64_t k;               /**< number of components kept, 1..d */
  sgfblo_real *mean;       /**< d: the training mean, subtracted before projecting */
  sgfblo_real *components; /**< d x k, row-major: column j is the j-th principal direction
                                (unit norm, largest-magnitude entry positive), by decreasing
                                variance */
  sgfblo_real *variances;  /**< d eigenvalues of the training covariance (1/(n-1) scaling),
                                decreasing, negatives from rounding clamped to 0 */
  double explained;        /**< sum of the k kept variances / sum of all d (1 if all are 0) */
} sgfblo_pca;

/**
 * Fit PCA on training data only: center by the training mean, form the covariance
 * Xc^T Xc / (n - 1) with one SYRK, eigendecompose it with LAPACKE syevd. With k > 0 keep k
 * components; with k == 0 keep the smallest k whose explained fraction (partial sums in
 * double, in decreasing order) is >= var_fraction.
 *
 * @param[in]  X            n x d, row-major, host, finite
 * @param[in]  n            >= 2;  @param[in] d >= 1 (n, d <= INT_MAX)
 * @param[in]  var_fraction in (0, 1]; used when k == 0 (SGFBLO_DEFAULT_PCA_VARIANCE typical)
 * @param[in]  k            0 (choose by var_fraction) or a fixed count in 1..d
 * @param[out] out          filled on success (release with sgfblo_pca_free), zeroed on failure
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG (sizes, var_fraction, k; zero
 *         total variance when choosing by fraction), SGFBLO_ERR_NONFINITE, SGFBLO_ERR_ALLOC,
 *         SGFBLO_ERR_LINALG (syevd did not converge)
 */
SGFBLO_API sgfblo_status sgfblo_pca_fit(const sgfblo_real *X, int64_t n, int64_t d,
                                        double var_fraction, int64_t k, sgfblo_pca *out,
                                        sgfblo_errmsg *err);

/**
 * Project rows: out_i = (X_i - mean) W, W = pca->components, then a constant 1 appended when
 * bias is nonzero.
 *
 * @param[in]  pca  a fitted PCA
 * @param[in]  X    n x pca->d, row-major, host
 * @param[in]  n    >= 0 (0 does nothing)
 * @param[in]  bias 0 or 1: append a column of ones
 * @param[out] out  n x (pca->k + bias), row-major, host, caller-allocated
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_INVALID_ARG, SGFBLO_ERR_ALLOC
 */
SGFBLO_API sgfblo_status sgfblo_pca_transform(const sgfblo_pca *pca, const sgfblo_real *X,
                                              int64_t n, int bias, sgfblo_real *out,
                                              sgfblo_errmsg *err);

/**
 * Fit PCA on s->train (as sgfblo_pca_fit) and replace the features of all three splits by
 * their projections (as sgfblo_pca_transform); afterwards every split has d = k + bias.
 * On failure *s is unchanged.
 *
 * @param[in,out] s    split whose three sets have the same d
 * @param[out]    pca  the fit (release with sgfblo_pca_free), or NULL when not wanted
 * @return as sgfblo_pca_fit
 */
SGFBLO_API sgfblo_status sgfblo_pca_reduce_split(sgfblo_split *s, double var_fraction, int64_t k,
                                                 int bias, sgfblo_pca *pca, sgfblo_errmsg *err);

/** Free the arrays and zero *p. NULL-safe. */
SGFBLO_API void sgfblo_pca_free(sgfblo_pca *p);

/* -------------------------------------------------- bring your own features -- */

/** .npy files of a ready-made split (e.g. features from a pretrained network). */
typedef struct {
  const char *train_features;     /**< n_train x d, float32 or float64 (required) */
  const char *train_labels;       /**< n_train, int32/int64/uint8 (required): the labels to
                                       train on, possibly noisy */
  const char *val_features;       /**< n_val x d (required) */
  const char *val_labels;         /**< n_val (required) */
  const char *test_features;      /**< n_test x d, or NULL for an empty test split */
  const char *test_labels;        /**< n_test; NULL exactly when test_features is NULL */
  const char *train_clean_labels; /**< optional: the true training labels (NULL if unknown) */
  int64_t num_classes;            /**< C to check against, or 0: max label + 1 over all files */
} sgfblo_byo_files;

/**
 * Load a split from .npy files. Features must be 2-D float32/float64 with the same number of
 * columns in every file and no NaN/Inf; labels 1-D integers, one per feature row, in [0, C).
 * When train_clean_labels is given, *corr receives clean = those labels, noisy = train labels,
 * mask = where they differ.
 *
 * @param[in]  files what to read
 * @param[out] out   split (perm = NULL); release with sgfblo_split_free; zeroed on failure
 * @param[out] corr  may be NULL; filled when files->train_clean_labels is set, else zeroed;
 *                   release with sgfblo_corruption_free
 * @return SGFBLO_OK, SGFBLO_ERR_NULL_ARG, SGFBLO_ERR_IO, SGFBLO_ERR_FORMAT (as sgfblo_npy_read;
 *         features not 2-D float, labels not 1-D integer), SGFBLO_ERR_INVALID_ARG (rows and
 *         labels differ in number, d differs between files, a label out of range, empty train
 *         or validation set), SGFBLO_ERR_NONFINITE (names the file, row and column),
 *         SGFBLO_ERR_ALLOC. Every message names the file it concerns.
 */
SGFBLO_API sgfblo_status sgfblo_byo_load(const sgfblo_byo_files *files, sgfblo_split *out,
                                         sgfblo_corruption *corr, sgfblo_errmsg *err);

#ifdef __cplusplus
}
#endif
#endif /* SGFBLO_SGFBLO_DATA_H */
