/* Data for hyper-cleaning: IDX files (plain and gzip), the MNIST directory loader, the seeded
   split, label corruption, PCA on the training split, and bring-your-own .npy features.
   All files are generated here, in a fresh temporary directory; nothing uses the network. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, opendir */

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sgfblo/sgfblo_data.h"
#include "sgfblo/sgfblo_io.h"
#include "support.h"

#ifdef SGFBLO_USE_FLOAT
#define PCA_TOL 1e-4
#else
#define PCA_TOL 1e-10
#endif

/* ------------------------------------------------------------------ helpers -- */

static char g_dir[1024];

static void make_dir(void) { test_temp_dir_make(g_dir, sizeof g_dir, "data"); }

static void remove_dir(void) { test_temp_dir_remove(g_dir); }

TestSuite(idx, .init = make_dir, .fini = remove_dir);
TestSuite(mnist, .init = make_dir, .fini = remove_dir);
TestSuite(byo, .init = make_dir, .fini = remove_dir);

/* Path of a file in the test's directory (n rotating buffers, so several can be live). */
static const char *tmp_path(const char *name) {
  static char p[4][2048];
  static int k = 0;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", g_dir, name);
  return p[k];
}

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  const long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc((size_t)sz + 1);
  cr_assert_not_null(buf);
  *len = fread(buf, 1, (size_t)sz, f);
  fclose(f);
  return buf;
}

static void spit(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  if (len) cr_assert_eq(fwrite(buf, 1, len, f), len);
  cr_assert_eq(fclose(f), 0);
}

/* gzip-compress src into dst (keeps src). */
static void gzip_file(const char *src, const char *dst) {
  size_t len;
  unsigned char *buf = slurp(src, &len);
  gzFile gz = gzopen(dst, "wb");
  cr_assert_not_null(gz);
  cr_assert_eq(gzwrite(gz, buf, (unsigned)len), (int)len);
  cr_assert_eq(gzclose(gz), Z_OK);
  free(buf);
}

/* n synthetic 4 x 3 "images" with pixel (i, p) = (7 i + 13 p) mod 256, labels i mod C. */
static void make_images(uint8_t *px, uint8_t *lab, int64_t n, int C, int offset) {
  for (int64_t i = 0; i < n; ++i) {
    for (int p = 0; p < 12; ++p) px[i * 12 + p] = (uint8_t)((7 * (i + offset) + 13 * p) % 256);
    lab[i] = (uint8_t)((i + offset) % C);
  }
}

static void write_set(const char *prefix, int64_t n, int64_t nlab, int C, int offset, int gz) {
  uint8_t *px = malloc((size_t)n * 12), *lab = malloc((size_t)(n > nlab ? n : nlab));
  make_images(px, lab, n > nlab ? n : nlab, C, offset);
  char ip[256], lp[256];
  snprintf(ip, sizeof ip, "%s-images-idx3-ubyte", prefix);
  snprintf(lp, sizeof lp, "%s-labels-idx1-ubyte", prefix);
  sgfblo_errmsg err;
  char ipath[2048], lpath[2048];
  snprintf(ipath, sizeof ipath, "%s", tmp_path(ip));
  snprintf(lpath, sizeof lpath, "%s", tmp_path(lp));
  cr_assert_eq(sgfblo_idx_write_images(ipath, px, n, 4, 3, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(sgfblo_idx_write_labels(lpath, lab, nlab, &err), SGFBLO_OK, "%s", err.msg);
  if (gz) {
    char g[2100];
    snprintf(g, sizeof g, "%s.gz", ipath);
    gzip_file(ipath, g);
    remove(ipath);
    snprintf(g, sizeof g, "%s.gz", lpath);
    gzip_file(lpath, g);
    remove(lpath);
  }
  free(px);
  free(lab);
}

static void expect_fail(sgfblo_status st, sgfblo_status want, const sgfblo_errmsg *err,
                        const char *needle) {
  cr_expect_eq(st, want, "status %d (%s), want %d; message: %s", (int)st, sgfblo_status_string(st),
               (int)want, err->msg);
  cr_expect_gt(strlen(err->msg), 0, "empty message");
  if (needle) cr_expect(strstr(err->msg, needle) != NULL, "'%s' not in: %s", needle, err->msg);
}

/* ---------------------------------------------------------------------- IDX -- */

static void check_idx_read(const char *ipath, const char *lpath) {
  uint8_t px[5 * 12], lab[5];
  make_images(px, lab, 5, 10, 0);
  sgfblo_real *pix = NULL;
  int32_t *labels = NULL;
  int64_t n = 0, rows = 0, cols = 0, nl = 0;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_idx_read_images(ipath, &pix, &n, &rows, &cols, &err), SGFBLO_OK, "%s",
               err.msg);
  cr_expect_eq(n, 5);
  cr_expect_eq(rows, 4);
  cr_expect_eq(cols, 3);
  for (int i = 0; i < 60; ++i) {
    cr_expect_eq(pix[i], (sgfblo_real)(px[i] / 255.0), "pixel %d", i);
    cr_expect(pix[i] >= 0 && pix[i] <= 1);
  }
  cr_assert_eq(sgfblo_idx_read_labels(lpath, &labels, &nl, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(nl, 5);
  for (int i = 0; i < 5; ++i) cr_expect_eq(labels[i], lab[i]);
  free(pix);
  free(labels);
}

Test(idx, plain_round_trip) {
  write_set("a", 5, 5, 10, 0, 0);
  char ip[2048], lp[2048];
  snprintf(ip, sizeof ip, "%s", tmp_path("a-images-idx3-ubyte"));
  snprintf(lp, sizeof lp, "%s", tmp_path("a-labels-idx1-ubyte"));
  check_idx_read(ip, lp);
  /* The header is the standard one: 0x00000803, then big-endian 5, 4, 3. */
  size_t len;
  unsigned char *raw = slurp(ip, &len);
  const unsigned char want[16] = {0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 4, 0, 0, 0, 3};
  cr_expect_eq(len, 16 + 60);
  cr_expect_eq(memcmp(raw, want, 16), 0);
  free(raw);
}

Test(idx, gzip_round_trip) {
  write_set("a", 5, 5, 10, 0, 1);
  char ip[2048], lp[2048];
  snprintf(ip, sizeof ip, "%s", tmp_path("a-images-idx3-ubyte.gz"));
  snprintf(lp, sizeof lp, "%s", tmp_path("a-labels-idx1-ubyte.gz"));
  size_t len;
  unsigned char *raw = slurp(ip, &len);
  cr_expect(raw[0] == 0x1f && raw[1] == 0x8b, "test file is not gzip");
  free(raw);
  check_idx_read(ip, lp);
}

Test(idx, wrong_magic) {
  write_set("a", 5, 5, 10, 0, 0);
  sgfblo_real *pix = NULL;
  int32_t *lab = NULL;
  int64_t n;
  sgfblo_errmsg err;
  char ip[2048], lp[2048];
  snprintf(ip, sizeof ip, "%s", tmp_path("a-images-idx3-ubyte"));
  snprintf(lp, sizeof lp, "%s", tmp_path("a-labels-idx1-ubyte"));
  /* A label file read as images, and the reverse. */
  expect_fail(sgfblo_idx_read_images(lp, &pix, &n, NULL, NULL, &err), SGFBLO_ERR_FORMAT, &err,
              "label file");
  cr_expect(strstr(err.msg, lp) != NULL, "%s", err.msg);
  expect_fail(sgfblo_idx_read_labels(ip, &lab, &n, &err), SGFBLO_ERR_FORMAT, &err, "image file");
  cr_expect_null(pix);
  cr_expect_null(lab);
  /* Garbage magic. */
  spit(tmp_path("junk"), "PK\x03\x04 not an idx file at all", 28);
  expect_fail(sgfblo_idx_read_labels(tmp_path("junk"), &lab, &n, &err), SGFBLO_ERR_FORMAT, &err,
              "bad magic");
  /* Signed-byte type code (0x09) is not accepted either. */
  const unsigned char i8[9] = {0, 0, 9, 1, 0, 0, 0, 1, 5};
  spit(tmp_path("i8"), i8, sizeof i8);
  expect_fail(sgfblo_idx_read_labels(tmp_path("i8"), &lab, &n, &err), SGFBLO_ERR_FORMAT, &err,
              "bad magic");
}

Test(idx, truncated_and_extra) {
  write_set("a", 5, 5, 10, 0, 0);
  char ip[2048];
  snprintf(ip, sizeof ip, "%s", tmp_path("a-images-idx3-ubyte"));
  size_t len;
  unsigned char *raw = slurp(ip, &len);
  sgfblo_real *pix = NULL;
  int64_t n;
  sgfblo_errmsg err;
  spit(tmp_path("cut"), raw, len - 7);
  expect_fail(sgfblo_idx_read_images(tmp_path("cut"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "truncated: expected 60 data bytes, found 53");
  spit(tmp_path("cut_header"), raw, 10);
  expect_fail(sgfblo_idx_read_images(tmp_path("cut_header"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "truncated IDX header");
  spit(tmp_path("empty"), raw, 0);
  expect_fail(sgfblo_idx_read_images(tmp_path("empty"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "empty");
  unsigned char *more = malloc(len + 3);
  memcpy(more, raw, len);
  memset(more + len, 0, 3);
  spit(tmp_path("extra"), more, len + 3);
  expect_fail(sgfblo_idx_read_images(tmp_path("extra"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "3 extra bytes");
  /* The same faults inside gzip streams. */
  gzip_file(tmp_path("cut"), tmp_path("cut.gz"));
  expect_fail(sgfblo_idx_read_images(tmp_path("cut.gz"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "truncated: expected 60 data bytes, found 53");
  gzip_file(tmp_path("extra"), tmp_path("extra.gz"));
  expect_fail(sgfblo_idx_read_images(tmp_path("extra.gz"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "3 extra bytes");
  /* A gzip file cut short (its trailer and part of its stream missing). */
  gzip_file(ip, tmp_path("full.gz"));
  size_t glen;
  unsigned char *g = slurp(tmp_path("full.gz"), &glen);
  spit(tmp_path("gzcut.gz"), g, glen - 6);
  expect_fail(sgfblo_idx_read_images(tmp_path("gzcut.gz"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, NULL);
  /* Corrupt compressed bytes. */
  for (size_t i = 12; i < glen - 8; ++i) g[i] ^= 0x5a;
  spit(tmp_path("gzbad.gz"), g, glen);
  expect_fail(sgfblo_idx_read_images(tmp_path("gzbad.gz"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, NULL);
  cr_expect_null(pix);
  free(g);
  free(more);
  free(raw);
}

Test(idx, absurd_dimensions_and_missing_file) {
  /* Claims 2^32-1 x 2^32-1 x 2^32-1 pixels. */
  const unsigned char h[16] = {0,   0,   8,   3,   255, 255, 255, 255,
                               255, 255, 255, 255, 255, 255, 255, 255};
  spit(tmp_path("absurd"), h, sizeof h);
  sgfblo_real *pix = NULL;
  int64_t n;
  sgfblo_errmsg err;
  expect_fail(sgfblo_idx_read_images(tmp_path("absurd"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "too large");
  /* Large but representable, in a tiny gzip file: must fail without allocating it all. */
  const unsigned char h2[16] = {0, 0, 8, 3, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0};
  spit(tmp_path("big"), h2, sizeof h2);
  gzip_file(tmp_path("big"), tmp_path("big.gz"));
  expect_fail(sgfblo_idx_read_images(tmp_path("big.gz"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "truncated");
  const unsigned char z[16] = {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};
  spit(tmp_path("zero"), z, sizeof z);
  expect_fail(sgfblo_idx_read_images(tmp_path("zero"), &pix, &n, NULL, NULL, &err),
              SGFBLO_ERR_FORMAT, &err, "is 0");
  expect_fail(sgfblo_idx_read_images(tmp_path("nope"), &pix, &n, NULL, NULL, &err), SGFBLO_ERR_IO,
              &err, "No such file");
  expect_fail(sgfblo_idx_read_images(NULL, &pix, &n, NULL, NULL, &err), SGFBLO_ERR_NULL_ARG, &err,
              NULL);
}

Test(idx, writer_rejects_bad_sizes) {
  uint8_t b[4] = {0};
  sgfblo_errmsg err;
  expect_fail(sgfblo_idx_write_images(tmp_path("w"), b, 0, 2, 2, &err), SGFBLO_ERR_INVALID_ARG,
              &err, NULL);
  expect_fail(sgfblo_idx_write_labels(tmp_path("w"), b, -1, &err), SGFBLO_ERR_INVALID_ARG, &err,
              NULL);
  expect_fail(sgfblo_idx_write_labels(tmp_path("w"), NULL, 4, &err), SGFBLO_ERR_NULL_ARG, &err,
              NULL);
  cr_expect_eq(access(tmp_path("w"), F_OK), -1);
}

/* -------------------------------------------------------------------- MNIST -- */

Test(mnist, loads_train_and_optional_t10k) {
  write_set("train", 30, 30, 10, 0, 0);
  write_set("t10k", 12, 12, 10, 100, 1);
  sgfblo_dataset ds;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_mnist_load(g_dir, 0, 0, &ds, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(ds.n, 30);
  cr_expect_eq(ds.d, 12);
  cr_expect_eq(ds.num_classes, 10);
  cr_expect_eq(sgfblo_dataset_check(&ds, &err), SGFBLO_OK, "%s", err.msg);
  sgfblo_dataset_free(&ds);
  cr_assert_eq(sgfblo_mnist_load(g_dir, 1, 10, &ds, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(ds.n, 42);
  /* Row 30 is the first t10k image: pixel p = (7 * 100 + 13 p) mod 256, label 100 mod 10. */
  for (int p = 0; p < 12; ++p)
    cr_expect_eq(ds.features[30 * 12 + p], (sgfblo_real)(((700 + 13 * p) % 256) / 255.0));
  cr_expect_eq(ds.labels[30], 0);
  cr_expect_eq(ds.labels[31], 1);
  sgfblo_dataset_free(&ds);
  sgfblo_dataset_free(&ds); /* safe twice */
}

Test(mnist, prefers_plain_over_gz) {
  write_set("train", 9, 9, 10, 0, 1); /* writes, compresses, removes the plain files */
  write_set("train", 6, 6, 10, 0, 0);
  sgfblo_dataset ds;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_mnist_load(g_dir, 0, 0, &ds, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(ds.n, 6);
  sgfblo_dataset_free(&ds);
}

Test(mnist, errors) {
  sgfblo_dataset ds;
  sgfblo_errmsg err;
  expect_fail(sgfblo_mnist_load(g_dir, 0, 0, &ds, &err), SGFBLO_ERR_IO, &err,
              "train-images-idx3-ubyte.gz");
  cr_expect_null(ds.features);
  write_set("train", 8, 7, 10, 0, 0); /* one label short */
  expect_fail(sgfblo_mnist_load(g_dir, 0, 0, &ds, &err), SGFBLO_ERR_FORMAT, &err, "8 images but");
  write_set("train", 8, 8, 10, 0, 1); /* now .gz, both counts 8 (plain ones removed below) */
  remove(tmp_path("train-images-idx3-ubyte"));
  remove(tmp_path("train-labels-idx1-ubyte"));
  cr_expect_eq(sgfblo_mnist_load(g_dir, 0, 0, &ds, &err), SGFBLO_OK, "%s", err.msg);
  sgfblo_dataset_free(&ds);
  expect_fail(sgfblo_mnist_load(g_dir, 1, 0, &ds, &err), SGFBLO_ERR_IO, &err, "t10k");
  expect_fail(sgfblo_mnist_load(g_dir, 0, 5, &ds, &err), SGFBLO_ERR_INVALID_ARG, &err,
              "num_classes is 5");
  expect_fail(sgfblo_mnist_load(NULL, 0, 0, &ds, &err), SGFBLO_ERR_NULL_ARG, &err, NULL);
}

/* -------------------------------------------------------------------- split -- */

/* Pool of n rows, d = 2: features (i, -i), label i mod C. */
static void make_pool(sgfblo_dataset *ds, int64_t n, int64_t C) {
  ds->n = n;
  ds->d = 2;
  ds->num_classes = C;
  ds->features = malloc(sizeof *ds->features * (size_t)n * 2);
  ds->labels = malloc(sizeof *ds->labels * (size_t)n);
  for (int64_t i = 0; i < n; ++i) {
    ds->features[2 * i] = (sgfblo_real)i;
    ds->features[2 * i + 1] = (sgfblo_real)-i;
    ds->labels[i] = (int32_t)(i % C);
  }
}

Test(split, paper_sizes_disjoint_and_covering) {
  sgfblo_dataset all;
  make_pool(&all, 10000, 10);
  sgfblo_split s;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_dataset_split(&all, 5000, 2500, 2500, 42, &s, &err), SGFBLO_OK, "%s",
               err.msg);
  cr_expect_eq(s.train.n, 5000);
  cr_expect_eq(s.val.n, 2500);
  cr_expect_eq(s.test.n, 2500);
  uint8_t *seen = calloc(10000, 1);
  const sgfblo_dataset *sets[3] = {&s.train, &s.val, &s.test};
  int64_t k = 0;
  for (int j = 0; j < 3; ++j) {
    cr_expect_eq(sets[j]->d, 2);
    cr_expect_eq(sets[j]->num_classes, 10);
    for (int64_t i = 0; i < sets[j]->n; ++i, ++k) {
      const int64_t row = (int64_t)sets[j]->features[2 * i];
      cr_assert(row >= 0 && row < 10000);
      cr_expect_eq(row, s.perm[k], "split row and perm disagree");
      cr_expect_eq(sets[j]->features[2 * i + 1], (sgfblo_real)-row);
      cr_expect_eq(sets[j]->labels[i], row % 10, "label does not follow its row");
      cr_expect_eq(seen[row], 0, "row %lld drawn twice", (long long)row);
      seen[row] = 1;
    }
  }
  for (int64_t i = 0; i < 10000; ++i) cr_expect_eq(seen[i], 1, "row %lld not drawn", (long long)i);
  /* The split is random: the training rows are not simply the first 5000. */
  int64_t first = 0;
  for (int64_t i = 0; i < 5000; ++i) first += s.perm[i] < 5000;
  cr_expect(first > 2300 && first < 2700, "%lld of the first 5000 rows in train", (long long)first);
  free(seen);
  sgfblo_split_free(&s);
  sgfblo_split_free(&s);
  sgfblo_dataset_free(&all);
}

Test(split, seeded_and_partial) {
  sgfblo_dataset all;
  make_pool(&all, 100, 3);
  sgfblo_split a, b, c;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_dataset_split(&all, 20, 10, 5, 7, &a, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(sgfblo_dataset_split(&all, 20, 10, 5, 7, &b, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(sgfblo_dataset_split(&all, 20, 10, 5, 8, &c, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(memcmp(a.perm, b.perm, sizeof *a.perm * 35), 0, "same seed, different split");
  cr_expect_neq(memcmp(a.perm, c.perm, sizeof *a.perm * 35), 0, "different seeds, same split");
  cr_expect_eq(memcmp(a.train.features, b.train.features, sizeof(sgfblo_real) * 40), 0);
  for (int i = 0; i < 35; ++i)
    for (int j = 0; j < i; ++j) cr_expect_neq(a.perm[i], a.perm[j]);
  sgfblo_split_free(&a);
  sgfblo_split_free(&b);
  sgfblo_split_free(&c);
  /* An empty test split is allowed. */
  cr_assert_eq(sgfblo_dataset_split(&all, 50, 50, 0, 1, &a, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(a.test.n, 0);
  sgfblo_split_free(&a);
  sgfblo_dataset_free(&all);
}

Test(split, sizes_must_fit) {
  sgfblo_dataset all;
  make_pool(&all, 100, 3);
  sgfblo_split s;
  sgfblo_errmsg err;
  expect_fail(sgfblo_dataset_split(&all, 50, 30, 21, 1, &s, &err), SGFBLO_ERR_INVALID_ARG, &err,
              "only 100");
  cr_expect_null(s.perm);
  expect_fail(sgfblo_dataset_split(&all, 0, 30, 20, 1, &s, &err), SGFBLO_ERR_INVALID_ARG, &err,
              NULL);
  expect_fail(sgfblo_dataset_split(&all, 10, 0, 20, 1, &s, &err), SGFBLO_ERR_INVALID_ARG, &err,
              NULL);
  expect_fail(sgfblo_dataset_split(&all, 10, 10, -1, 1, &s, &err), SGFBLO_ERR_INVALID_ARG, &err,
              NULL);
  expect_fail(sgfblo_dataset_split(&all, INT64_MAX, INT64_MAX, 1, 1, &s, &err),
              SGFBLO_ERR_INVALID_ARG, &err, NULL);
  all.labels[3] = 3; /* out of range for C = 3 */
  expect_fail(sgfblo_dataset_split(&all, 10, 10, 10, 1, &s, &err), SGFBLO_ERR_INVALID_ARG, &err,
              "row 3");
  all.labels[3] = 0;
  all.features[9] = (sgfblo_real)NAN;
  expect_fail(sgfblo_dataset_split(&all, 10, 10, 10, 1, &s, &err), SGFBLO_ERR_NONFINITE, &err,
              "row 4, column 1");
  expect_fail(sgfblo_dataset_split(NULL, 10, 10, 10, 1, &s, &err), SGFBLO_ERR_NULL_ARG, &err, NULL);
  sgfblo_dataset_free(&all);
}

/* --------------------------------------------------------------- corruption -- */

static int32_t *class_labels(int64_t n, int C, uint64_t seed) {
  int32_t *lab = malloc(sizeof *lab * (size_t)n);
  sgfblo_real *u = malloc(sizeof *u * (size_t)n);
  test_random_vector(u, n, seed, 1.0);
  for (int64_t i = 0; i < n; ++i) lab[i] = (int32_t)(i < C ? i : (int64_t)fabs(u[i] * 1e6) % C);
  free(u);
  return lab;
}

static void check_corruption_invariants(const int32_t *lab, const sgfblo_corruption *c) {
  int64_t count = 0;
  for (int64_t i = 0; i < c->n; ++i) {
    cr_assert_eq(c->clean[i], lab[i], "clean labels changed at %lld", (long long)i);
    if (c->mask[i]) {
      cr_assert_neq(c->noisy[i], c->clean[i], "corrupted label equals the true one at %lld",
                    (long long)i);
      ++count;
    } else {
      cr_assert_eq(c->noisy[i], c->clean[i], "unmasked label changed at %lld", (long long)i);
    }
  }
  cr_expect_eq(count, c->num_corrupted);
}

Test(corrupt, sample_mode_exact_count) {
  const int64_t n = 5000;
  int32_t *lab = class_labels(n, 10, 3);
  const double ps[] = {0.0, 0.25, 0.4, 0.5, 1.0, 0.3333};
  for (size_t t = 0; t < sizeof ps / sizeof ps[0]; ++t) {
    sgfblo_corruption c;
    sgfblo_errmsg err;
    cr_assert_eq(sgfblo_corrupt_labels(lab, n, 10, ps[t], SGFBLO_CORRUPT_SAMPLE, 11, &c, &err),
                 SGFBLO_OK, "%s", err.msg);
    cr_expect_eq(c.num_corrupted, (int64_t)round(ps[t] * (double)n), "p = %g", ps[t]);
    cr_expect_eq(c.num_classes_corrupted, 0);
    check_corruption_invariants(lab, &c);
    if (ps[t] == 0.25) {
      /* The wrong labels use every class and the chosen samples come from every class. */
      int hit_new[10] = {0}, hit_old[10] = {0};
      for (int64_t i = 0; i < n; ++i)
        if (c.mask[i]) {
          hit_new[c.noisy[i]]++;
          hit_old[c.clean[i]]++;
        }
      for (int j = 0; j < 10; ++j) {
        cr_expect(hit_new[j] > 60 && hit_new[j] < 200, "class %d got %d wrong labels", j,
                  hit_new[j]);
        cr_expect(hit_old[j] > 60 && hit_old[j] < 200, "class %d lost %d labels", j, hit_old[j]);
      }
    }
    sgfblo_corruption_free(&c);
  }
  /* round() halves away from zero: 7 * 0.5 = 3.5 -> 4. */
  sgfblo_corruption c;
  cr_assert_eq(sgfblo_corrupt_labels(lab, 7, 10, 0.5, SGFBLO_CORRUPT_SAMPLE, 1, &c, NULL),
               SGFBLO_OK);
  cr_expect_eq(c.num_corrupted, 4);
  sgfblo_corruption_free(&c);
  /* Two classes: the wrong label is forced. */
  int32_t two[6] = {0, 1, 0, 1, 1, 0};
  cr_assert_eq(sgfblo_corrupt_labels(two, 6, 2, 1.0, SGFBLO_CORRUPT_SAMPLE, 1, &c, NULL),
               SGFBLO_OK);
  for (int i = 0; i < 6; ++i) cr_expect_eq(c.noisy[i], 1 - two[i]);
  sgfblo_corruption_free(&c);
  free(lab);
}

Test(corrupt, class_mode_whole_classes) {
  const int64_t n = 3000;
  int32_t *lab = class_labels(n, 10, 5);
  const double ps[] = {0.25, 0.4, 1.0, 0.0};
  const int64_t want_k[] = {3, 4, 10, 0}; /* round(2.5) = 3 */
  for (size_t t = 0; t < sizeof ps / sizeof ps[0]; ++t) {
    sgfblo_corruption c;
    sgfblo_errmsg err;
    cr_assert_eq(sgfblo_corrupt_labels(lab, n, 10, ps[t], SGFBLO_CORRUPT_CLASS, 99, &c, &err),
                 SGFBLO_OK, "%s", err.msg);
    cr_expect_eq(c.num_classes_corrupted, want_k[t]);
    check_corruption_invariants(lab, &c);
    /* Per class: either every sample is relabelled, all to one wrong class, or none is. */
    int64_t chosen = 0, expected_count = 0;
    for (int j = 0; j < 10; ++j) {
      int64_t members = 0, flipped = 0;
      int32_t to = -1;
      for (int64_t i = 0; i < n; ++i)
        if (lab[i] == j) {
          ++members;
          if (c.mask[i]) {
            ++flipped;
            if (to < 0) to = c.noisy[i];
            cr_expect_eq(c.noisy[i], to, "class %d relabelled to two classes", j);
          }
        }
      cr_expect(flipped == 0 || flipped == members, "class %d partly relabelled (%lld of %lld)", j,
                (long long)flipped, (long long)members);
      if (flipped) {
        ++chosen;
        expected_count += members;
        cr_expect_neq(to, j);
      }
    }
    cr_expect_eq(chosen, want_k[t], "p = %g: %lld classes relabelled", ps[t], (long long)chosen);
    cr_expect_eq(c.num_corrupted, expected_count);
    sgfblo_corruption_free(&c);
  }
  free(lab);
}

Test(corrupt, seeded_reproducible) {
  const int64_t n = 1000;
  int32_t *lab = class_labels(n, 10, 9);
  const sgfblo_corrupt_mode modes[2] = {SGFBLO_CORRUPT_SAMPLE, SGFBLO_CORRUPT_CLASS};
  for (int m = 0; m < 2; ++m) {
    sgfblo_corruption a, b, c;
    cr_assert_eq(sgfblo_corrupt_labels(lab, n, 10, 0.4, modes[m], 5, &a, NULL), SGFBLO_OK);
    cr_assert_eq(sgfblo_corrupt_labels(lab, n, 10, 0.4, modes[m], 5, &b, NULL), SGFBLO_OK);
    cr_assert_eq(sgfblo_corrupt_labels(lab, n, 10, 0.4, modes[m], 6, &c, NULL), SGFBLO_OK);
    cr_expect_eq(memcmp(a.noisy, b.noisy, sizeof *a.noisy * n), 0, "mode %d not reproducible", m);
    cr_expect_eq(memcmp(a.mask, b.mask, (size_t)n), 0);
    cr_expect_neq(memcmp(a.noisy, c.noisy, sizeof *a.noisy * n), 0, "mode %d ignores the seed", m);
    sgfblo_corruption_free(&a);
    sgfblo_corruption_free(&b);
    sgfblo_corruption_free(&c);
  }
  free(lab);
}

Test(corrupt, invalid_arguments) {
  int32_t lab[4] = {0, 1, 2, 0};
  sgfblo_corruption c;
  sgfblo_errmsg err;
  expect_fail(sgfblo_corrupt_labels(lab, 4, 3, -0.1, SGFBLO_CORRUPT_SAMPLE, 1, &c, &err),
              SGFBLO_ERR_INVALID_ARG, &err, "p must be");
  expect_fail(sgfblo_corrupt_labels(lab, 4, 3, 1.5, SGFBLO_CORRUPT_SAMPLE, 1, &c, &err),
              SGFBLO_ERR_INVALID_ARG, &err, "p must be");
  expect_fail(sgfblo_corrupt_labels(lab, 4, 3, NAN, SGFBLO_CORRUPT_CLASS, 1, &c, &err),
              SGFBLO_ERR_INVALID_ARG, &err, "p must be");
  expect_fail(sgfblo_corrupt_labels(lab, 4, 2, 0.5, SGFBLO_CORRUPT_SAMPLE, 1, &c, &err),
              SGFBLO_ERR_INVALID_ARG, &err, "index 2");
  int32_t one[3] = {0, 0, 0};
  expect_fail(sgfblo_corrupt_labels(one, 3, 1, 0.5, SGFBLO_CORRUPT_SAMPLE, 1, &c, &err),
              SGFBLO_ERR_INVALID_ARG, &err, ">= 2");
  cr_expect_eq(sgfblo_corrupt_labels(one, 3, 1, 0.0, SGFBLO_CORRUPT_SAMPLE, 1, &c, &err),
               SGFBLO_OK);
  sgfblo_corruption_free(&c);
  expect_fail(sgfblo_corrupt_labels(lab, 0, 3, 0.5, SGFBLO_CORRUPT_SAMPLE, 1, &c, &err),
              SGFBLO_ERR_INVALID_ARG, &err, NULL);
  expect_fail(sgfblo_corrupt_labels(lab, 4, 3, 0.5, (sgfblo_corrupt_mode)7, 1, &c, &err),
              SGFBLO_ERR_INVALID_ARG, &err, "mode");
  expect_fail(sgfblo_corrupt_labels(NULL, 4, 3, 0.5, SGFBLO_CORRUPT_SAMPLE, 1, &c, &err),
              SGFBLO_ERR_NULL_ARG, &err, NULL);
  cr_expect_null(c.noisy);
  sgfblo_corruption_free(NULL);
}

/* ---------------------------------------------------------------------- PCA -- */

/* n x d data with decaying variances along random directions, plus an offset. */
static sgfblo_real *pca_data(int64_t n, int64_t d, uint64_t seed) {
  sgfblo_real *X = malloc(sizeof *X * (size_t)(n * d));
  sgfblo_real *M = malloc(sizeof *M * (size_t)(d * d));
  sgfblo_real *Z = malloc(sizeof *Z * (size_t)(n * d));
  test_random_vector(M, d * d, seed, 1.0);
  test_random_vector(Z, n * d, seed + 1, 1.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      double v = 3.0 + 0.1 * (double)j; /* offset: the mean must be removed */
      for (int64_t l = 0; l < d; ++l) v += Z[i * d + l] * pow(0.75, (double)l) * M[l * d + j];
      X[i * d + j] = (sgfblo_real)v;
    }
  free(M);
  free(Z);
  return X;
}

/* Covariance of X (double, 1/(n-1)), computed directly. */
static double *naive_cov(const sgfblo_real *X, int64_t n, int64_t d) {
  double *mu = calloc((size_t)d, sizeof *mu), *C = calloc((size_t)(d * d), sizeof *C);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) mu[j] += X[i * d + j] / (double)n;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t a = 0; a < d; ++a)
      for (int64_t b = 0; b < d; ++b)
        C[a * d + b] += (X[i * d + a] - mu[a]) * (X[i * d + b] - mu[b]) / (double)(n - 1);
  free(mu);
  return C;
}

Test(pca, components_and_variance_fraction) {
  const int64_t n = 400, d = 24;
  sgfblo_real *X = pca_data(n, d, 21);
  sgfblo_pca p;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_pca_fit(X, n, d, 0.9, 0, &p, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect(p.k >= 1 && p.k < d, "k = %lld", (long long)p.k);
  cr_expect_eq(p.d, d);
  /* Variances: decreasing, non-negative; the fraction is met by k and not by k - 1. */
  double total = 0, cum = 0, cum_prev = 0;
  for (int64_t j = 0; j < d; ++j) {
    cr_expect_geq(p.variances[j], 0);
    if (j) cr_expect_leq(p.variances[j], p.variances[j - 1]);
    total += p.variances[j];
  }
  for (int64_t j = 0; j < p.k; ++j) {
    cum_prev = cum;
    cum += p.variances[j];
  }
  cr_expect_geq(cum / total, 0.9);
  cr_expect_lt(cum_prev / total, 0.9, "k = %lld is not minimal", (long long)p.k);
  cr_expect(fabs(p.explained - cum / total) < 1e-12, "explained %g vs %g", p.explained,
            cum / total);
  /* Orthonormal components: W^T W = I. */
  double worst = 0;
  for (int64_t a = 0; a < p.k; ++a)
    for (int64_t b = 0; b < p.k; ++b) {
      double s = 0;
      for (int64_t i = 0; i < d; ++i)
        s += (double)p.components[i * p.k + a] * p.components[i * p.k + b];
      worst = fmax(worst, fabs(s - (a == b)));
    }
  cr_expect_lt(worst, 100 * PCA_TOL, "W^T W differs from I by %g", worst);
  /* Eigenpairs of the covariance, checked against a direct computation: C w = lambda w. */
  double *C = naive_cov(X, n, d);
  double scale = 0;
  for (int64_t j = 0; j < d * d; ++j) scale = fmax(scale, fabs(C[j]));
  for (int64_t j = 0; j < p.k; ++j) {
    double res = 0;
    for (int64_t a = 0; a < d; ++a) {
      double s = 0;
      for (int64_t b = 0; b < d; ++b) s += C[a * d + b] * p.components[b * p.k + j];
      res = fmax(res, fabs(s - (double)p.variances[j] * p.components[a * p.k + j]));
    }
    cr_expect_lt(res / scale, 1000 * PCA_TOL, "component %lld: residual %g", (long long)j, res);
  }
  /* Sign convention: largest-magnitude entry positive. */
  for (int64_t j = 0; j < p.k; ++j) {
    int64_t arg = 0;
    for (int64_t i = 1; i < d; ++i)
      if (fabs((double)p.components[i * p.k + j]) > fabs((double)p.components[arg * p.k + j]))
        arg = i;
    cr_expect_gt(p.components[arg * p.k + j], 0);
  }
  /* Projected training data: mean ~0, column variances = the kept eigenvalues. */
  sgfblo_real *Y = malloc(sizeof *Y * (size_t)(n * (p.k + 1)));
  cr_assert_eq(sgfblo_pca_transform(&p, X, n, 1, Y, &err), SGFBLO_OK, "%s", err.msg);
  for (int64_t j = 0; j < p.k; ++j) {
    double mu = 0, var = 0;
    for (int64_t i = 0; i < n; ++i) mu += Y[i * (p.k + 1) + j] / (double)n;
    for (int64_t i = 0; i < n; ++i) var += pow(Y[i * (p.k + 1) + j] - mu, 2) / (double)(n - 1);
    cr_expect_lt(fabs(mu), 1000 * PCA_TOL, "projected mean of column %lld is %g", (long long)j, mu);
    cr_expect_lt(fabs(var - p.variances[j]) / p.variances[0], 100 * PCA_TOL, "column %lld",
                 (long long)j);
  }
  for (int64_t i = 0; i < n; ++i) cr_expect_eq(Y[i * (p.k + 1) + p.k], 1, "bias column");
  free(Y);
  free(C);
  free(X);
  sgfblo_pca_free(&p);
  sgfblo_pca_free(&p);
}

Test(pca, fixed_k_and_full_fraction) {
  const int64_t n = 50, d = 6;
  sgfblo_real *X = pca_data(n, d, 4);
  sgfblo_pca p;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_pca_fit(X, n, d, 0.5, 3, &p, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(p.k, 3);
  sgfblo_pca_free(&p);
  cr_assert_eq(sgfblo_pca_fit(X, n, d, 1.0, 0, &p, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_geq(p.k, d - 1); /* all variance: every component with a nonzero eigenvalue */
  sgfblo_pca_free(&p);
  free(X);
}

Test(pca, fitted_on_training_split_only) {
  const int64_t n = 300, d = 10;
  sgfblo_dataset all = {n, d, 3, pca_data(n, d, 8), malloc(sizeof(int32_t) * n)};
  for (int64_t i = 0; i < n; ++i) all.labels[i] = (int32_t)(i % 3);
  sgfblo_split s1, s2;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_dataset_split(&all, 150, 80, 70, 3, &s1, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(sgfblo_dataset_split(&all, 150, 80, 70, 3, &s2, &err), SGFBLO_OK, "%s", err.msg);
  /* Wildly different validation and test data in the second copy. */
  for (int64_t i = 0; i < s2.val.n * d; ++i) s2.val.features[i] = (sgfblo_real)(1000 * i % 77);
  for (int64_t i = 0; i < s2.test.n * d; ++i) s2.test.features[i] *= -50;
  sgfblo_pca p1, p2;
  cr_assert_eq(sgfblo_pca_reduce_split(&s1, 0.9, 0, 1, &p1, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(sgfblo_pca_reduce_split(&s2, 0.9, 0, 1, &p2, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(p1.k, p2.k);
  cr_expect_eq(memcmp(p1.mean, p2.mean, sizeof *p1.mean * d), 0, "mean depends on val/test");
  cr_expect_eq(memcmp(p1.components, p2.components, sizeof *p1.components * d * p1.k), 0,
               "components depend on val/test");
  cr_expect_eq(memcmp(s1.train.features, s2.train.features,
                      sizeof *s1.train.features * s1.train.n * (p1.k + 1)),
               0);
  /* Every split now has d = k + 1, the last column 1; train projections have mean ~0. */
  const sgfblo_dataset *sets[3] = {&s1.train, &s1.val, &s1.test};
  for (int j = 0; j < 3; ++j) {
    cr_expect_eq(sets[j]->d, p1.k + 1);
    for (int64_t i = 0; i < sets[j]->n; ++i)
      cr_expect_eq(sets[j]->features[i * (p1.k + 1) + p1.k], 1);
  }
  for (int64_t c = 0; c < p1.k; ++c) {
    double mu = 0;
    for (int64_t i = 0; i < s1.train.n; ++i) mu += s1.train.features[i * (p1.k + 1) + c];
    cr_expect_lt(fabs(mu / (double)s1.train.n), 1000 * PCA_TOL);
  }
  /* The mean is the training mean, not the pooled one. */
  for (int64_t j = 0; j < d; ++j) {
    double mu = 0;
    for (int64_t i = 0; i < 150; ++i) mu += all.features[s1.perm[i] * d + j] / 150.0;
    cr_expect_lt(fabs(mu - p1.mean[j]), 100 * PCA_TOL * (1 + fabs(mu)));
  }
  sgfblo_pca_free(&p1);
  sgfblo_pca_free(&p2);
  sgfblo_split_free(&s1);
  sgfblo_split_free(&s2);
  sgfblo_dataset_free(&all);
}

Test(pca, invalid_arguments) {
  const int64_t n = 20, d = 4;
  sgfblo_real *X = pca_data(n, d, 2);
  sgfblo_pca p;
  sgfblo_errmsg err;
  expect_fail(sgfblo_pca_fit(X, 1, d, 0.9, 0, &p, &err), SGFBLO_ERR_INVALID_ARG, &err, NULL);
  expect_fail(sgfblo_pca_fit(X, n, d, 0.0, 0, &p, &err), SGFBLO_ERR_INVALID_ARG, &err,
              "var_fraction");
  expect_fail(sgfblo_pca_fit(X, n, d, 1.5, 0, &p, &err), SGFBLO_ERR_INVALID_ARG, &err,
              "var_fraction");
  expect_fail(sgfblo_pca_fit(X, n, d, 0.9, 5, &p, &err), SGFBLO_ERR_INVALID_ARG, &err, "k must");
  expect_fail(sgfblo_pca_fit(X, n, d, 0.9, -1, &p, &err), SGFBLO_ERR_INVALID_ARG, &err, "k must");
  X[7] = (sgfblo_real)INFINITY;
  expect_fail(sgfblo_pca_fit(X, n, d, 0.9, 0, &p, &err), SGFBLO_ERR_NONFINITE, &err,
              "row 1, column 3");
  for (int64_t i = 0; i < n * d; ++i) X[i] = 2;
  expect_fail(sgfblo_pca_fit(X, n, d, 0.9, 0, &p, &err), SGFBLO_ERR_INVALID_ARG, &err,
              "zero variance");
  cr_assert_eq(sgfblo_pca_fit(X, n, d, 0.9, 2, &p, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(p.explained, 1.0);
  sgfblo_real out[2 * 20];
  expect_fail(sgfblo_pca_transform(&p, X, n, 2, out, &err), SGFBLO_ERR_INVALID_ARG, &err, "bias");
  expect_fail(sgfblo_pca_transform(&p, NULL, n, 0, out, &err), SGFBLO_ERR_NULL_ARG, &err, NULL);
  sgfblo_pca_free(&p);
  expect_fail(sgfblo_pca_fit(NULL, n, d, 0.9, 0, &p, &err), SGFBLO_ERR_NULL_ARG, &err, NULL);
  /* A split whose sets disagree on d is left untouched. */
  sgfblo_split s;
  memset(&s, 0, sizeof s);
  s.train = (sgfblo_dataset){n, d, 2, X, NULL};
  s.val = (sgfblo_dataset){n, d + 1, 2, X, NULL};
  s.test = (sgfblo_dataset){0, d, 2, NULL, NULL};
  expect_fail(sgfblo_pca_reduce_split(&s, 0.9, 0, 0, NULL, &err), SGFBLO_ERR_INVALID_ARG, &err,
              "val");
  cr_expect_eq(s.train.features, X);
  cr_expect_eq(s.train.d, d);
  free(X);
}

/* ---------------------------------------------------------------------- BYO -- */

static void save(const char *name, sgfblo_dtype t, int ndim, int64_t r, int64_t c,
                 const void *data) {
  sgfblo_array a = {t, ndim, {r, ndim > 1 ? c : 0, 0, 0}, ndim > 1 ? r * c : r, (void *)data};
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_npy_write(tmp_path(name), &a, &err), SGFBLO_OK, "%s", err.msg);
}

/* train 6 x 3 (float32), val 4 x 3 (float64), test 2 x 3 (float64); labels int64/int32. */
static void write_byo(void) {
  const float ftr[18] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};
  const double fva[12] = {.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6};
  const double fte[6] = {-1, -2, -3, -4, -5, -6};
  const int64_t ltr[6] = {0, 1, 2, 0, 1, 2}, clean[6] = {0, 1, 1, 0, 2, 2};
  const int32_t lva[4] = {2, 1, 0, 3}, lte[2] = {1, 1};
  save("ftr.npy", SGFBLO_DTYPE_F32, 2, 6, 3, ftr);
  save("fva.npy", SGFBLO_DTYPE_F64, 2, 4, 3, fva);
  save("fte.npy", SGFBLO_DTYPE_F64, 2, 2, 3, fte);
  save("ltr.npy", SGFBLO_DTYPE_I64, 1, 6, 0, ltr);
  save("clean.npy", SGFBLO_DTYPE_I64, 1, 6, 0, clean);
  save("lva.npy", SGFBLO_DTYPE_I32, 1, 4, 0, lva);
  save("lte.npy", SGFBLO_DTYPE_I32, 1, 2, 0, lte);
}

/* File names live in static storage so the struct stays valid. */
static sgfblo_byo_files byo_files(void) {
  static char p[7][2048];
  const char *n[7] = {"ftr.npy", "ltr.npy", "fva.npy",  "lva.npy",
                      "fte.npy", "lte.npy", "clean.npy"};
  for (int i = 0; i < 7; ++i) snprintf(p[i], sizeof p[i], "%s/%s", g_dir, n[i]);
  sgfblo_byo_files f = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], 0};
  return f;
}

Test(byo, loads_a_good_set) {
  write_byo();
  sgfblo_byo_files f = byo_files();
  sgfblo_split s;
  sgfblo_corruption c;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_byo_load(&f, &s, &c, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(s.train.n, 6);
  cr_expect_eq(s.val.n, 4);
  cr_expect_eq(s.test.n, 2);
  cr_expect_eq(s.train.d, 3);
  cr_expect_eq(s.train.num_classes, 4); /* max label 3 (validation) + 1 */
  cr_expect_eq(s.test.num_classes, 4);
  cr_expect_null(s.perm);
  cr_expect_eq(s.train.features[17], 17);
  cr_expect_eq(s.val.features[1], 1);
  cr_expect_eq(s.test.features[5], -6);
  cr_expect_eq(s.val.labels[3], 3);
  cr_expect_eq(c.n, 6);
  cr_expect_eq(c.num_corrupted, 2);
  const uint8_t want_mask[6] = {0, 0, 1, 0, 1, 0};
  for (int i = 0; i < 6; ++i) {
    cr_expect_eq(c.mask[i], want_mask[i]);
    cr_expect_eq(c.noisy[i], s.train.labels[i]);
  }
  cr_expect_eq(c.clean[4], 2);
  sgfblo_split_free(&s);
  sgfblo_corruption_free(&c);
  /* Given C, no clean labels, no test set. */
  f.num_classes = 10;
  f.train_clean_labels = NULL;
  f.test_features = f.test_labels = NULL;
  cr_assert_eq(sgfblo_byo_load(&f, &s, &c, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(s.train.num_classes, 10);
  cr_expect_eq(s.test.n, 0);
  cr_expect_eq(s.test.d, 3);
  cr_expect_null(c.mask);
  sgfblo_split_free(&s);
}

Test(byo, label_out_of_range) {
  write_byo();
  sgfblo_byo_files f = byo_files();
  sgfblo_split s;
  sgfblo_errmsg err;
  f.num_classes = 3; /* validation has a 3 */
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_INVALID_ARG, &err, "lva.npy");
  cr_expect(strstr(err.msg, "index 3") != NULL, "%s", err.msg);
  cr_expect_null(s.train.features);
  const int32_t neg[2] = {0, -1};
  save("lte.npy", SGFBLO_DTYPE_I32, 1, 2, 0, neg);
  f.num_classes = 0;
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_INVALID_ARG, &err, "negative");
  cr_expect(strstr(err.msg, "lte.npy") != NULL, "%s", err.msg);
}

Test(byo, nan_features) {
  write_byo();
  double fva[12] = {.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, NAN, 5, 5.5, 6};
  save("fva.npy", SGFBLO_DTYPE_F64, 2, 4, 3, fva);
  sgfblo_byo_files f = byo_files();
  sgfblo_split s;
  sgfblo_errmsg err;
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_NONFINITE, &err, "fva.npy");
  cr_expect(strstr(err.msg, "(2, 2)") != NULL, "%s", err.msg);
}

Test(byo, mismatched_rows) {
  write_byo();
  const int32_t lva[3] = {0, 1, 2};
  save("lva.npy", SGFBLO_DTYPE_I32, 1, 3, 0, lva);
  sgfblo_byo_files f = byo_files();
  sgfblo_split s;
  sgfblo_errmsg err;
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_INVALID_ARG, &err, "3 labels but");
  /* Clean labels of the wrong length too. */
  write_byo();
  const int64_t clean[5] = {0, 1, 1, 0, 2};
  save("clean.npy", SGFBLO_DTYPE_I64, 1, 5, 0, clean);
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_INVALID_ARG, &err, "clean.npy");
}

Test(byo, mismatched_d) {
  write_byo();
  const double fte[4] = {1, 2, 3, 4};
  save("fte.npy", SGFBLO_DTYPE_F64, 2, 2, 2, fte);
  sgfblo_byo_files f = byo_files();
  sgfblo_split s;
  sgfblo_errmsg err;
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_INVALID_ARG, &err,
              "2 features per row");
}

Test(byo, wrong_dtypes_and_ranks) {
  write_byo();
  sgfblo_byo_files f = byo_files();
  sgfblo_split s;
  sgfblo_errmsg err;
  const int32_t ints[18] = {0};
  save("ftr.npy", SGFBLO_DTYPE_I32, 2, 6, 3, ints);
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_FORMAT, &err, "float32 or float64");
  const float flat[6] = {0};
  save("ftr.npy", SGFBLO_DTYPE_F32, 1, 6, 0, flat);
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_FORMAT, &err, "2-D");
  write_byo();
  const double fl[6] = {0, 1, 2, 0, 1, 2};
  save("ltr.npy", SGFBLO_DTYPE_F64, 1, 6, 0, fl);
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_FORMAT, &err, "int32");
  f.val_labels = NULL;
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_NULL_ARG, &err, NULL);
  f = byo_files();
  f.test_labels = NULL;
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_NULL_ARG, &err, "test");
  write_byo();
  f = byo_files();
  f.val_features = tmp_path("missing.npy");
  expect_fail(sgfblo_byo_load(&f, &s, NULL, &err), SGFBLO_ERR_IO, &err, "missing.npy");
}

/* ---------------------------------------------------------------- dataset -- */

Test(dataset, check) {
  sgfblo_dataset ds;
  make_pool(&ds, 5, 3);
  sgfblo_errmsg err;
  cr_expect_eq(sgfblo_dataset_check(&ds, &err), SGFBLO_OK);
  ds.num_classes = 0;
  expect_fail(sgfblo_dataset_check(&ds, &err), SGFBLO_ERR_INVALID_ARG, &err, "num_classes");
  ds.num_classes = 3;
  ds.d = 0;
  expect_fail(sgfblo_dataset_check(&ds, &err), SGFBLO_ERR_INVALID_ARG, &err, NULL);
  ds.d = 2;
  ds.labels[4] = -1;
  expect_fail(sgfblo_dataset_check(&ds, &err), SGFBLO_ERR_INVALID_ARG, &err, "row 4");
  expect_fail(sgfblo_dataset_check(NULL, &err), SGFBLO_ERR_NULL_ARG, &err, NULL);
  sgfblo_dataset_free(&ds);
  sgfblo_dataset_free(NULL);
}
