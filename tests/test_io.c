/* .npy reader/writer: round trips of every dtype and rank, and one test per way a file can be
   malformed (each must give its own status and a message naming the file). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, opendir */

#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sgfblo/sgfblo_io.h"
#include "support.h"

/* ------------------------------------------------------------------ helpers -- */

static char g_dir[1024];

static void make_dir(void) { test_temp_dir_make(g_dir, sizeof g_dir, "io"); }

static void remove_dir(void) { test_temp_dir_remove(g_dir); }

TestSuite(npy, .init = make_dir, .fini = remove_dir);

static const char *tmp_path(const char *name) {
  static char p[2048];
  snprintf(p, sizeof p, "%s/%s", g_dir, name);
  return p;
}

static void write_bytes(const char *path, const void *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  if (len) cr_assert_eq(fwrite(buf, 1, len, f), len);
  cr_assert_eq(fclose(f), 0);
}

static unsigned char *read_bytes(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  unsigned char *buf = malloc(1 << 16);
  cr_assert_not_null(buf);
  *len = fread(buf, 1, 1 << 16, f);
  fclose(f);
  return buf;
}

/* A hand-made .npy file: magic, version major.minor, the dict text padded with spaces to
   `align` bytes and ended by '\n' (align 0: no padding, no newline), then len data bytes. */
static void write_npy_raw(const char *path, int major, int minor, const char *dict, int align,
                          const void *data, size_t len) {
  unsigned char buf[4096];
  const size_t lenw = major == 1 ? 2 : 4;
  size_t hl = strlen(dict);
  memcpy(buf + 8 + lenw, dict, hl);
  if (align) {
    while ((8 + lenw + hl + 1) % (size_t)align) buf[8 + lenw + hl++] = ' ';
    buf[8 + lenw + hl++] = '\n';
  }
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (unsigned char)major;
  buf[7] = (unsigned char)minor;
  for (size_t i = 0; i < lenw; ++i) buf[8 + i] = (unsigned char)(hl >> (8 * i));
  memcpy(buf + 8 + lenw + hl, data, len);
  write_bytes(path, buf, 8 + lenw + hl + len);
}

static const double k_four[4] = {1.5, -2.0, 3.25, 4.0};

/* Read path, expect status want and a message that names the file (and contains `needle`). */
static void expect_read_fails(const char *path, sgfblo_status want, const char *needle) {
  sgfblo_array a;
  sgfblo_errmsg err = {{0}};
  memset(&a, 0x5a, sizeof a);
  const sgfblo_status st = sgfblo_npy_read(path, &a, &err);
  cr_expect_eq(st, want, "status %d (%s), want %d; message: %s", (int)st, sgfblo_status_string(st),
               (int)want, err.msg);
  cr_expect(strlen(err.msg) > 0, "empty message");
  cr_expect(strstr(err.msg, path) != NULL, "message does not name the file: %s", err.msg);
  if (needle)
    cr_expect(strstr(err.msg, needle) != NULL, "'%s' not in message: %s", needle, err.msg);
  cr_expect_null(a.data, "out.data must be NULL on failure");
  cr_expect_eq(a.ndim, 0, "out must be zeroed on failure");
}

/* -------------------------------------------------------------- round trips -- */

static size_t itemsize(sgfblo_dtype t) {
  return t == SGFBLO_DTYPE_F64 || t == SGFBLO_DTYPE_I64 ? 8 : t == SGFBLO_DTYPE_U8 ? 1 : 4;
}

static void fill(sgfblo_array *a) {
  for (int64_t i = 0; i < a->size; ++i) switch (a->dtype) {
      case SGFBLO_DTYPE_F64:
        ((double *)a->data)[i] = 0.5 * (double)i - 3.0 + 1e-3 * (double)i;
        break;
      case SGFBLO_DTYPE_F32: ((float *)a->data)[i] = 0.25f * (float)i - 7.0f; break;
      case SGFBLO_DTYPE_I32:
        ((int32_t *)a->data)[i] = (int32_t)(i * 1000003 % 65537) - 30000;
        break;
      case SGFBLO_DTYPE_I64: ((int64_t *)a->data)[i] = (int64_t)i * 4000000000LL - 5; break;
      case SGFBLO_DTYPE_U8: ((uint8_t *)a->data)[i] = (uint8_t)(i * 37); break;
    }
}

Test(npy, round_trip_every_dtype_and_rank) {
  const sgfblo_dtype types[] = {SGFBLO_DTYPE_F64, SGFBLO_DTYPE_F32, SGFBLO_DTYPE_I32,
                                SGFBLO_DTYPE_I64, SGFBLO_DTYPE_U8};
  const int64_t dims[SGFBLO_ARRAY_MAXDIM] = {3, 5, 2, 4};
  for (size_t t = 0; t < sizeof types / sizeof types[0]; ++t)
    for (int nd = 1; nd <= SGFBLO_ARRAY_MAXDIM; ++nd) {
      sgfblo_array a = {0}, b;
      sgfblo_errmsg err = {{0}};
      a.dtype = types[t];
      a.ndim = nd;
      a.size = 1;
      for (int i = 0; i < nd; ++i) a.size *= (a.shape[i] = dims[i]);
      a.data = malloc(itemsize(a.dtype) * (size_t)a.size);
      fill(&a);
      char name[64];
      snprintf(name, sizeof name, "rt_%d_%d.npy", (int)t, nd);
      const char *path = tmp_path(name);
      cr_assert_eq(sgfblo_npy_write(path, &a, &err), SGFBLO_OK, "%s", err.msg);
      cr_assert_eq(sgfblo_npy_read(path, &b, &err), SGFBLO_OK, "%s", err.msg);
      cr_expect_eq(b.dtype, a.dtype);
      cr_expect_eq(b.ndim, nd);
      for (int i = 0; i < SGFBLO_ARRAY_MAXDIM; ++i) cr_expect_eq(b.shape[i], a.shape[i]);
      cr_expect_eq(b.size, a.size);
      cr_expect_eq(memcmp(a.data, b.data, itemsize(a.dtype) * (size_t)a.size), 0,
                   "data differ (dtype %d, ndim %d)", (int)a.dtype, nd);
      /* The data starts on a 64-byte boundary (version 1.0 header). */
      size_t len;
      unsigned char *raw = read_bytes(path, &len);
      cr_expect_eq(raw[6], 1);
      cr_expect_eq(raw[7], 0);
      const size_t start = 10 + (size_t)(raw[8] | raw[9] << 8);
      cr_expect_eq(start % 64, 0, "data offset %zu not 64-aligned", start);
      cr_expect_eq(raw[start - 1], '\n');
      cr_expect_eq(len, start + itemsize(a.dtype) * (size_t)a.size);
      free(raw);
      free(a.data);
      sgfblo_array_free(&b);
    }
}

/* The writer's header is byte for byte what numpy.save writes for a float64 (2, 3) array. */
Test(npy, header_matches_numpy) {
  double v[6] = {0, 1, 2, 3, 4, 5};
  sgfblo_array a = {SGFBLO_DTYPE_F64, 2, {2, 3, 0, 0}, 6, v};
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_npy_write(tmp_path("np.npy"), &a, &err), SGFBLO_OK, "%s", err.msg);
  size_t len;
  unsigned char *raw = read_bytes(tmp_path("np.npy"), &len);
  char want[129];
  const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
  memset(want, ' ', sizeof want);
  memcpy(want, "\x93NUMPY\x01\x00\x76\x00", 10);
  memcpy(want + 10, dict, strlen(dict));
  want[127] = '\n';
  cr_expect_eq(len, 128 + 48);
  cr_expect_eq(memcmp(raw, want, 128), 0, "header differs from numpy's: %.118s", raw + 10);
  free(raw);
}

Test(npy, zero_length_dimension) {
  sgfblo_array a = {SGFBLO_DTYPE_F32, 2, {0, 7, 0, 0}, 0, NULL}, b;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_npy_write(tmp_path("empty.npy"), &a, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(sgfblo_npy_read(tmp_path("empty.npy"), &b, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(b.size, 0);
  cr_expect_eq(b.shape[1], 7);
  sgfblo_array_free(&b);
}

Test(npy, reads_versions_2_and_3_and_old_alignment) {
  const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }";
  const char *names[] = {"v2.npy", "v3.npy", "align16.npy", "dq.npy"};
  write_npy_raw(tmp_path(names[0]), 2, 0, dict, 64, k_four, sizeof k_four);
  write_npy_raw(tmp_path(names[1]), 3, 0, dict, 64, k_four, sizeof k_four);
  write_npy_raw(tmp_path(names[2]), 1, 0, dict, 16, k_four, sizeof k_four);
  /* Keys in another order, double quotes, no trailing comma. */
  write_npy_raw(tmp_path(names[3]), 1, 0,
                "{\"shape\": (4,), \"fortran_order\": False, \"descr\": \"<f8\"}", 64, k_four,
                sizeof k_four);
  for (int i = 0; i < 4; ++i) {
    sgfblo_array b;
    sgfblo_errmsg err;
    cr_assert_eq(sgfblo_npy_read(tmp_path(names[i]), &b, &err), SGFBLO_OK, "%s: %s", names[i],
                 err.msg);
    cr_expect_eq(b.dtype, SGFBLO_DTYPE_F64);
    cr_expect_eq(b.ndim, 1);
    cr_expect_eq(b.shape[0], 4);
    cr_expect_eq(memcmp(b.data, k_four, sizeof k_four), 0);
    sgfblo_array_free(&b);
  }
}

Test(npy, reads_u1_with_either_byte_order_mark) {
  const uint8_t v[3] = {1, 200, 255};
  write_npy_raw(tmp_path("u1.npy"), 1, 0,
                "{'descr': '<u1', 'fortran_order': False, 'shape': (3,), }", 64, v, 3);
  sgfblo_array b;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_npy_read(tmp_path("u1.npy"), &b, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(b.dtype, SGFBLO_DTYPE_U8);
  cr_expect_eq(((uint8_t *)b.data)[1], 200);
  sgfblo_array_free(&b);
}

/* ------------------------------------------------------------- malformed -- */

static void raw_case(const char *name, const char *dict, const void *data, size_t len,
                     sgfblo_status want, const char *needle) {
  write_npy_raw(tmp_path(name), 1, 0, dict, 64, data, len);
  char path[2048];
  snprintf(path, sizeof path, "%s", tmp_path(name));
  expect_read_fails(path, want, needle);
}

Test(npy, bad_magic) {
  write_npy_raw(tmp_path("m.npy"), 1, 0,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 64, k_four,
                sizeof k_four);
  size_t len;
  unsigned char *raw = read_bytes(tmp_path("m.npy"), &len);
  raw[5] = 'X';
  write_bytes(tmp_path("m.npy"), raw, len);
  free(raw);
  char path[2048];
  snprintf(path, sizeof path, "%s", tmp_path("m.npy"));
  expect_read_fails(path, SGFBLO_ERR_FORMAT, "magic");
}

Test(npy, bad_version) {
  const char *dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }";
  char path[2048];
  write_npy_raw(tmp_path("v4.npy"), 4, 0, dict, 64, k_four, sizeof k_four);
  snprintf(path, sizeof path, "%s", tmp_path("v4.npy"));
  expect_read_fails(path, SGFBLO_ERR_FORMAT, "version 4.0");
  write_npy_raw(tmp_path("v11.npy"), 1, 1, dict, 64, k_four, sizeof k_four);
  snprintf(path, sizeof path, "%s", tmp_path("v11.npy"));
  expect_read_fails(path, SGFBLO_ERR_FORMAT, "version 1.1");
}

Test(npy, header_not_a_dict) {
  raw_case("list.npy", "['<f8', False, (4,)]", k_four, sizeof k_four, SGFBLO_ERR_FORMAT, "dict");
}

Test(npy, header_keys) {
  raw_case("nokey.npy", "{'descr': '<f8', 'shape': (4,), }", k_four, sizeof k_four,
           SGFBLO_ERR_FORMAT, "fortran_order");
  raw_case("dupkey.npy",
           "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "repeated");
  raw_case("extrakey.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), 'x': 1}",
           k_four, sizeof k_four, SGFBLO_ERR_FORMAT, "'x'");
  raw_case("structured.npy", "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (4,), }",
           k_four, sizeof k_four, SGFBLO_ERR_FORMAT, "structured");
  raw_case("garbage.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), } x", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "newline");
}

Test(npy, header_without_newline) {
  write_npy_raw(tmp_path("nonl.npy"), 1, 0,
                "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", 0, k_four,
                sizeof k_four);
  char path[2048];
  snprintf(path, sizeof path, "%s", tmp_path("nonl.npy"));
  expect_read_fails(path, SGFBLO_ERR_FORMAT, "newline");
}

Test(npy, fortran_order_true) {
  raw_case("f.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "fortran_order True");
}

Test(npy, big_endian) {
  raw_case("be.npy", "{'descr': '>f8', 'fortran_order': False, 'shape': (4,), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "big-endian");
}

Test(npy, unsupported_dtype) {
  raw_case("c16.npy", "{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "unsupported dtype '<c16'");
  raw_case("f2.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (16,), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "'<f2'");
}

Test(npy, truncated_data) {
  raw_case("trunc.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", k_four, 24,
           SGFBLO_ERR_FORMAT, "truncated: expected 32 data bytes, found 24");
}

Test(npy, extra_bytes) {
  double five[5] = {1, 2, 3, 4, 5};
  raw_case("extra.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", five,
           sizeof five, SGFBLO_ERR_FORMAT, "8 extra bytes");
}

Test(npy, header_length_past_eof) {
  unsigned char buf[10 + 20];
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = 0xe8; /* 1000 */
  buf[9] = 0x03;
  memset(buf + 10, ' ', 20);
  write_bytes(tmp_path("hlen.npy"), buf, sizeof buf);
  char path[2048];
  snprintf(path, sizeof path, "%s", tmp_path("hlen.npy"));
  expect_read_fails(path, SGFBLO_ERR_FORMAT, "past the end");
}

Test(npy, bad_shapes) {
  raw_case("neg.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (-4,), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "negative");
  raw_case("zerod.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", k_four, 8,
           SGFBLO_ERR_FORMAT, "0-d");
  raw_case("five.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 4), }",
           k_four, sizeof k_four, SGFBLO_ERR_FORMAT, "more than 4");
  raw_case("big.npy",
           "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "overflow");
  raw_case("prod.npy",
           "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }",
           k_four, sizeof k_four, SGFBLO_ERR_FORMAT, "too large");
  /* Fits in int64 but not in the file: rejected before any allocation. */
  raw_case("huge.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }",
           k_four, sizeof k_four, SGFBLO_ERR_FORMAT, "truncated");
  raw_case("scalar.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "trailing comma");
  raw_case("float.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4.0,), }", k_four,
           sizeof k_four, SGFBLO_ERR_FORMAT, "shape");
}

Test(npy, empty_and_short_files) {
  char path[2048];
  write_bytes(tmp_path("empty.npy"), "", 0);
  snprintf(path, sizeof path, "%s", tmp_path("empty.npy"));
  expect_read_fails(path, SGFBLO_ERR_FORMAT, "empty");
  write_bytes(tmp_path("short.npy"), "\x93NUMPY\x01", 7);
  snprintf(path, sizeof path, "%s", tmp_path("short.npy"));
  expect_read_fails(path, SGFBLO_ERR_FORMAT, "too short");
}

Test(npy, missing_file_and_directory) {
  char path[2048];
  snprintf(path, sizeof path, "%s", tmp_path("does_not_exist.npy"));
  expect_read_fails(path, SGFBLO_ERR_IO, "No such file");
  snprintf(path, sizeof path, "%s", g_dir);
  expect_read_fails(path, SGFBLO_ERR_IO, "regular file");
}

Test(npy, null_arguments) {
  sgfblo_array a;
  sgfblo_errmsg err;
  cr_expect_eq(sgfblo_npy_read(NULL, &a, &err), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_npy_read("x.npy", NULL, NULL), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_npy_write("x.npy", NULL, &err), SGFBLO_ERR_NULL_ARG);
  cr_expect_gt(strlen(err.msg), 0);
  sgfblo_array_free(NULL);
}

/* ------------------------------------------------------------------ writer -- */

Test(npy, writer_rejects_inconsistent_arrays) {
  double v[4] = {0};
  sgfblo_errmsg err;
  sgfblo_array bad_size = {SGFBLO_DTYPE_F64, 2, {2, 3, 0, 0}, 4, v};
  cr_expect_eq(sgfblo_npy_write(tmp_path("w.npy"), &bad_size, &err), SGFBLO_ERR_INVALID_ARG);
  cr_expect_gt(strlen(err.msg), 0);
  sgfblo_array bad_ndim = {SGFBLO_DTYPE_F64, 5, {4, 0, 0, 0}, 4, v};
  cr_expect_eq(sgfblo_npy_write(tmp_path("w.npy"), &bad_ndim, &err), SGFBLO_ERR_INVALID_ARG);
  sgfblo_array zero_d = {SGFBLO_DTYPE_F64, 0, {0, 0, 0, 0}, 1, v};
  cr_expect_eq(sgfblo_npy_write(tmp_path("w.npy"), &zero_d, &err), SGFBLO_ERR_INVALID_ARG);
  sgfblo_array bad_type = {(sgfblo_dtype)42, 1, {4, 0, 0, 0}, 4, v};
  cr_expect_eq(sgfblo_npy_write(tmp_path("w.npy"), &bad_type, &err), SGFBLO_ERR_INVALID_ARG);
  sgfblo_array neg = {SGFBLO_DTYPE_F64, 1, {-4, 0, 0, 0}, -4, v};
  cr_expect_eq(sgfblo_npy_write(tmp_path("w.npy"), &neg, &err), SGFBLO_ERR_INVALID_ARG);
  sgfblo_array no_data = {SGFBLO_DTYPE_F64, 1, {4, 0, 0, 0}, 4, NULL};
  cr_expect_eq(sgfblo_npy_write(tmp_path("w.npy"), &no_data, &err), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(access(tmp_path("w.npy"), F_OK), -1, "nothing may be written for a bad array");
}

Test(npy, writer_reports_io_errors) {
  double v[4] = {0};
  sgfblo_array a = {SGFBLO_DTYPE_F64, 1, {4, 0, 0, 0}, 4, v};
  sgfblo_errmsg err;
  char path[2048];
  snprintf(path, sizeof path, "%s/no/such/dir/a.npy", g_dir);
  cr_expect_eq(sgfblo_npy_write(path, &a, &err), SGFBLO_ERR_IO);
  cr_expect(strstr(err.msg, path) != NULL, "%s", err.msg);
}

/* -------------------------------------------------------------- conversion -- */

Test(convert, to_real_all_dtypes) {
  int64_t i64[3] = {-5, 0, 1LL << 40};
  uint8_t u8[3] = {0, 128, 255};
  int32_t i32[3] = {-7, 8, 9};
  float f32[3] = {0.5f, -1.25f, 3.0f};
  sgfblo_array arrs[4] = {{SGFBLO_DTYPE_I64, 1, {3, 0, 0, 0}, 3, i64},
                          {SGFBLO_DTYPE_U8, 1, {3, 0, 0, 0}, 3, u8},
                          {SGFBLO_DTYPE_I32, 1, {3, 0, 0, 0}, 3, i32},
                          {SGFBLO_DTYPE_F32, 1, {3, 0, 0, 0}, 3, f32}};
  const double want[4][3] = {{-5, 0, 1099511627776.0}, {0, 128, 255}, {-7, 8, 9}, {0.5, -1.25, 3}};
  for (int k = 0; k < 4; ++k) {
    sgfblo_real *r = NULL;
    sgfblo_errmsg err;
    cr_assert_eq(sgfblo_array_to_real(&arrs[k], &r, &err), SGFBLO_OK, "%s", err.msg);
    for (int i = 0; i < 3; ++i) cr_expect_eq((double)r[i], want[k][i], "dtype %d [%d]", k, i);
    free(r);
  }
}

Test(convert, to_real_rejects_nonfinite_naming_the_index) {
  double v[6] = {0, 1, 2, 3, NAN, 5};
  sgfblo_array a = {SGFBLO_DTYPE_F64, 2, {2, 3, 0, 0}, 6, v};
  sgfblo_real *r = (sgfblo_real *)v;
  sgfblo_errmsg err;
  cr_expect_eq(sgfblo_array_to_real(&a, &r, &err), SGFBLO_ERR_NONFINITE);
  cr_expect_null(r);
  cr_expect(strstr(err.msg, "index 4") && strstr(err.msg, "(1, 1)"), "%s", err.msg);
  float f[2] = {1.0f, INFINITY};
  sgfblo_array b = {SGFBLO_DTYPE_F32, 1, {2, 0, 0, 0}, 2, f};
  cr_expect_eq(sgfblo_array_to_real(&b, &r, &err), SGFBLO_ERR_NONFINITE);
  cr_expect(strstr(err.msg, "index 1") != NULL, "%s", err.msg);
#ifdef SGFBLO_USE_FLOAT
  double big[1] = {1e300};
  sgfblo_array c = {SGFBLO_DTYPE_F64, 1, {1, 0, 0, 0}, 1, big};
  cr_expect_eq(sgfblo_array_to_real(&c, &r, &err), SGFBLO_ERR_NONFINITE);
  cr_expect(strstr(err.msg, "overflows") != NULL, "%s", err.msg);
#endif
}

Test(convert, to_labels) {
  int64_t good[4] = {0, 9, 3, 3};
  sgfblo_array a = {SGFBLO_DTYPE_I64, 1, {4, 0, 0, 0}, 4, good};
  int32_t *lab = NULL;
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_array_to_labels(&a, 10, &lab, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(lab[1], 9);
  free(lab);
  /* Out of range, both ends. */
  cr_expect_eq(sgfblo_array_to_labels(&a, 9, &lab, &err), SGFBLO_ERR_INVALID_ARG);
  cr_expect(strstr(err.msg, "index 1") != NULL, "%s", err.msg);
  cr_expect_null(lab);
  int32_t neg[2] = {0, -1};
  sgfblo_array b = {SGFBLO_DTYPE_I32, 1, {2, 0, 0, 0}, 2, neg};
  cr_expect_eq(sgfblo_array_to_labels(&b, 10, &lab, &err), SGFBLO_ERR_INVALID_ARG);
  /* uint8 is accepted. */
  uint8_t u[2] = {1, 2};
  sgfblo_array c = {SGFBLO_DTYPE_U8, 1, {2, 0, 0, 0}, 2, u};
  cr_expect_eq(sgfblo_array_to_labels(&c, 3, &lab, &err), SGFBLO_OK, "%s", err.msg);
  free(lab);
  /* Float dtype, 2-D, bad num_classes. */
  double f[2] = {0, 1};
  sgfblo_array d = {SGFBLO_DTYPE_F64, 1, {2, 0, 0, 0}, 2, f};
  cr_expect_eq(sgfblo_array_to_labels(&d, 3, &lab, &err), SGFBLO_ERR_INVALID_ARG);
  cr_expect(strstr(err.msg, "integer") != NULL, "%s", err.msg);
  sgfblo_array e = {SGFBLO_DTYPE_I32, 2, {1, 2, 0, 0}, 2, neg};
  cr_expect_eq(sgfblo_array_to_labels(&e, 3, &lab, &err), SGFBLO_ERR_INVALID_ARG);
  cr_expect_eq(sgfblo_array_to_labels(&c, 0, &lab, &err), SGFBLO_ERR_INVALID_ARG);
}

Test(convert, array_free_zeroes) {
  sgfblo_array a = {SGFBLO_DTYPE_U8, 1, {3, 0, 0, 0}, 3, malloc(3)};
  sgfblo_array_free(&a);
  cr_expect_null(a.data);
  cr_expect_eq(a.size, 0);
  cr_expect_eq(a.ndim, 0);
  sgfblo_array_free(&a);
}
