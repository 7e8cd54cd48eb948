/* `sgfblo hyperclean` run as a subprocess on a small data set written as .npy files here
   (no network, no MNIST): Gaussian classes with 30% of the training labels corrupted and the
   clean labels given. Checks the JSON summary and its rows, that the flow's cleaning beats
   chance by far, that AID-BiO got the flow's oracle evaluations, the saved weights and
   figures, and that bad inputs exit 2 naming the file or the option. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sgfblo/sgfblo_io.h"
#include "support.h"

#ifndef SGFBLO_CLI_PATH
#error "tests/CMakeLists.txt passes the path of the sgfblo executable as SGFBLO_CLI_PATH"
#endif

/* The data set: C Gaussian classes in R^D, means 2.5 e_c; labels cycle through the classes. */
enum { C = 4, D = 8, N_TRAIN = 300, N_VAL = 150, N_TEST = 150 };
#define CORRUPT_FRACTION 0.3

/* One AID-BiO iteration costs at most D + K + 3 oracle calls (sgfblo_aidbio.h), with the
   default D = K = 10. */
#define AID_ITER_COST 23

/* ------------------------------------------------------------ subprocess -- */

static char work_dir[512];

static void make_work_dir(void) { test_temp_dir_make(work_dir, sizeof work_dir, "hccli"); }
static void remove_work_dir(void) { test_temp_dir_remove(work_dir); }

static const char *path_in(const char *name) { return test_path_in(work_dir, name); }

/* Run the tool; path_env, when not NULL, replaces PATH in the child. */
static test_run_result run_env(const char *path_env, const char *const *args) {
  return test_run_tool(SGFBLO_CLI_PATH, work_dir, path_env, args);
}

#define RUN(...) run_env(NULL, (const char *const[]){"hyperclean", __VA_ARGS__, NULL})

/* ------------------------------------------------------------- the data -- */

static uint64_t rng_state;

static double uniform01(void) { /* xorshift64*, 53 bits */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
}

static double normal01(void) {
  const double u = uniform01() + 1e-300, v = uniform01();
  return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static void write_npy(const char *path, sgfblo_dtype dtype, int ndim, int64_t rows, int64_t cols,
                      const void *data) {
  sgfblo_array a = {.dtype = dtype, .ndim = ndim, .shape = {rows, ndim == 2 ? cols : 0},
                    .size = ndim == 2 ? rows * cols : rows, .data = (void *)data};
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_npy_write(path, &a, &err), SGFBLO_OK, "%s", err.msg);
}

/* Features and clean labels of one split, written as <name>_x.npy and <name>_y.npy. */
static void write_split(const char *name, int n, int32_t *labels_out) {
  double *x = malloc(sizeof *x * (size_t)n * D);
  int32_t *y = malloc(sizeof *y * (size_t)n);
  cr_assert(x && y);
  for (int i = 0; i < n; ++i) {
    y[i] = i % C;
    for (int j = 0; j < D; ++j) x[i * D + j] = normal01() + (j == y[i] ? 2.5 : 0.0);
  }
  char path[64];
  snprintf(path, sizeof path, "%s_x.npy", name);
  write_npy(path_in(path), SGFBLO_DTYPE_F64, 2, n, D, x);
  snprintf(path, sizeof path, "%s_y.npy", name);
  write_npy(path_in(path), SGFBLO_DTYPE_I32, 1, n, 0, y);
  if (labels_out) memcpy(labels_out, y, sizeof *y * (size_t)n);
  free(x);
  free(y);
}

/* train_x, train_clean_y (true labels), train_y (30% of them wrong), val_*, test_*. */
static void make_data(void) {
  make_work_dir();
  rng_state = 0x9E3779B97F4A7C15ULL;
  int32_t clean[N_TRAIN], noisy[N_TRAIN];
  write_split("train", N_TRAIN, clean);
  write_split("val", N_VAL, NULL);
  write_split("test", N_TEST, NULL);
  int corrupted = 0;
  for (int i = 0; i < N_TRAIN; ++i) {
    noisy[i] = clean[i];
    if (uniform01() < CORRUPT_FRACTION) {
      noisy[i] = (clean[i] + 1 + (int)(uniform01() * (C - 1))) % C;
      corrupted++;
    }
  }
  cr_assert(corrupted > 60 && corrupted < 120, "%d corrupted", corrupted);
  write_npy(path_in("train_clean_y.npy"), SGFBLO_DTYPE_I32, 1, N_TRAIN, 0, clean);
  write_npy(path_in("train_y.npy"), SGFBLO_DTYPE_I32, 1, N_TRAIN, 0, noisy);
}

#define FILES                                                                              \
  "--train-x", path_in("train_x.npy"), "--train-y", path_in("train_y.npy"), "--val-x",     \
      path_in("val_x.npy"), "--val-y", path_in("val_y.npy"), "--test-x",                    \
      path_in("test_x.npy"), "--test-y", path_in("test_y.npy"), "--train-clean-y",          \
      path_in("train_clean_y.npy")

TestSuite(hyperclean_cli, .init = make_data, .fini = remove_work_dir, .timeout = 300);

/* ---------------------------------------------------- a tiny JSON reader -- */
/* Enough JSON for the summary: nested objects and arrays of strings, numbers, true, false
   and null. Values are kept as text with their path: "rows.1.f1", "data.N", ... */

typedef struct {
  int count;
  char key[256][160];
  char val[256][160];
  int is_str[256];
} json_doc;

static const char *ws(const char *p) {
  while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') ++p;
  return p;
}

static const char *parse_value(const char *p, const char *path, json_doc *d);

static const char *parse_string(const char *p, char *dst, size_t cap) {
  if (*p != '"') return NULL;
  size_t k = 0;
  for (++p; *p && *p != '"'; ++p) {
    if (*p == '\\') ++p; /* keep the escaped character */
    if (!*p || k + 1 >= cap) return NULL;
    dst[k++] = *p;
  }
  dst[k] = '\0';
  return *p == '"' ? p + 1 : NULL;
}

static const char *parse_value(const char *p, const char *path, json_doc *d) {
  char sub[160], key[64];
  p = ws(p);
  if (*p == '{' || *p == '[') {
    const char close = *p == '{' ? '}' : ']';
    p = ws(p + 1);
    if (*p == close) return p + 1;
    for (int i = 0;; ++i) {
      if (close == '}') {
        p = parse_string(ws(p), key, sizeof key);
        if (!p) return NULL;
        p = ws(p);
        if (*p++ != ':') return NULL;
        snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", key);
      } else {
        snprintf(sub, sizeof sub, "%s%s%d", path, path[0] ? "." : "", i);
      }
      p = parse_value(p, sub, d);
      if (!p) return NULL;
      p = ws(p);
      if (*p == ',') {
        ++p;
        continue;
      }
      return *p == close ? p + 1 : NULL;
    }
  }
  if (d->count == 256) return NULL;
  snprintf(d->key[d->count], sizeof d->key[0], "%s", path);
  if (*p == '"') {
    p = parse_string(p, d->val[d->count], sizeof d->val[0]);
    d->is_str[d->count] = 1;
  } else {
    const size_t len = strcspn(p, ",}] \n");
    if (len == 0 || len >= sizeof d->val[0]) return NULL;
    memcpy(d->val[d->count], p, len);
    d->val[d->count][len] = '\0';
    p += len;
  }
  d->count++;
  return p;
}

static void json_load(const char *text, json_doc *d) {
  memset(d, 0, sizeof *d);
  const char *end = parse_value(text, "", d);
  cr_assert_not_null(end, "not JSON: %s", text);
  cr_assert_str_empty(ws(end), "more than one JSON value: %s", text);
}

static int json_find(const json_doc *d, const char *key) {
  for (int i = 0; i < d->count; ++i)
    if (strcmp(d->key[i], key) == 0) return i;
  return -1;
}

static const char *json_text(const json_doc *d, const char *key) {
  const int i = json_find(d, key);
  cr_assert(i >= 0, "JSON key '%s' missing", key);
  return d->val[i];
}

static double json_num(const json_doc *d, const char *key) {
  const char *v = json_text(d, key);
  char *end;
  const double x = strtod(v, &end);
  cr_assert(end != v && !*end, "JSON key '%s' is not a number: %s", key, v);
  return x;
}

/* Index of the row called name in "rows", or fails. */
static int row_index(const json_doc *d, const char *name) {
  char key[64];
  for (int i = 0; i < 8; ++i) {
    snprintf(key, sizeof key, "rows.%d.name", i);
    const int k = json_find(d, key);
    if (k >= 0 && strcmp(d->val[k], name) == 0) return i;
  }
  cr_assert_fail("no row '%s'", name);
  return -1;
}

static double row_num(const json_doc *d, const char *name, const char *field) {
  char key[64];
  snprintf(key, sizeof key, "rows.%d.%s", row_index(d, name), field);
  return json_num(d, key);
}

static const char *row_text(const json_doc *d, const char *name, const char *field) {
  char key[64];
  snprintf(key, sizeof key, "rows.%d.%s", row_index(d, name), field);
  return json_text(d, key);
}

/* ------------------------------------------------------------------ tests -- */

static const char *const ROW_KEYS[] = {"name",   "kind",      "available", "status",
                                       "exit",   "test_acc",  "val_loss",  "val_acc",
                                       "train_acc", "precision", "recall",  "f1",
                                       "f1_random", "flagged", "oracle_evals", "seconds"};

Test(hyperclean_cli, npy_run_cleans_and_compares_at_equal_oracle_evaluations) {
  const char *weights = path_in("w.npy");
  test_run_result r = RUN(FILES, "--no-pca", "--json", "--quiet", "--save-weights", weights);
  cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
  cr_expect_str_empty(r.err, "--quiet, yet stderr: %s", r.err);
  json_doc d;
  json_load(r.out, &d);

  cr_expect_str_eq(json_text(&d, "command"), "hyperclean");
  cr_expect_eq(json_num(&d, "data.N"), N_TRAIN);
  cr_expect_eq(json_num(&d, "data.Nv"), N_VAL);
  cr_expect_eq(json_num(&d, "data.Ntest"), N_TEST);
  cr_expect_eq(json_num(&d, "data.d"), D);
  cr_expect_eq(json_num(&d, "data.C"), C);
  cr_expect_str_eq(json_text(&d, "data.mode"), "given");
  const double corrupted = json_num(&d, "data.corrupted");
  cr_expect_float_eq(json_num(&d, "data.p"), corrupted / N_TRAIN, 1e-12);
  cr_expect_str_eq(json_text(&d, "ok"), "true");

  const char *const names[] = {"floor", "rxgf", "aidbio", "ceiling"};
  for (int i = 0; i < 4; ++i) {
    char key[64];
    snprintf(key, sizeof key, "rows.%d.name", i);
    cr_expect_str_eq(json_text(&d, key), names[i], "row %d", i);
    for (size_t k = 0; k < sizeof ROW_KEYS / sizeof ROW_KEYS[0]; ++k) {
      snprintf(key, sizeof key, "rows.%d.%s", i, ROW_KEYS[k]);
      cr_expect(json_find(&d, key) >= 0, "key %s missing", key);
    }
    cr_expect_str_eq(row_text(&d, names[i], "status"), sgfblo_status_string(SGFBLO_OK));
    const double acc = row_num(&d, names[i], "test_acc");
    cr_expect(acc > 0.5 && acc <= 1, "%s: test accuracy %g", names[i], acc);
  }
  cr_expect_str_eq(row_text(&d, "floor", "f1"), "null");
  cr_expect_str_eq(row_text(&d, "ceiling", "oracle_evals"), "null");
  cr_expect_str_eq(row_text(&d, "rxgf", "exit"), "t_final");
  cr_expect_str_eq(row_text(&d, "aidbio", "exit"), "max_steps");

  /* Cleaning: far better than flagging as many samples at random. */
  const double f1 = row_num(&d, "rxgf", "f1"), f1_chance = row_num(&d, "rxgf", "f1_random");
  cr_expect(f1 >= f1_chance + 0.3, "rxgf F1 %g, chance %g", f1, f1_chance);
  cr_expect(f1 >= 0.75, "rxgf F1 %g", f1);

  /* Dropping the corrupted samples does not hurt. */
  cr_expect(row_num(&d, "ceiling", "test_acc") >= row_num(&d, "floor", "test_acc"),
            "ceiling %g < floor %g", row_num(&d, "ceiling", "test_acc"),
            row_num(&d, "floor", "test_acc"));

  /* Equal oracle evaluations: AID-BiO stops at the flow's count or less than one of its
     iterations past it. RXGF's RK4 step costs 16 (4 stages of 2 gradients + 2 products). */
  const double flow_evals = row_num(&d, "rxgf", "oracle_evals");
  const double aid_evals = row_num(&d, "aidbio", "oracle_evals");
  cr_expect_eq(flow_evals, 100 * 16);
  cr_expect(aid_evals >= flow_evals && aid_evals < flow_evals + AID_ITER_COST,
            "aidbio %g vs flow %g oracle evaluations", aid_evals, flow_evals);

  /* --save-weights: sigma(x), length N, in (0, 1), below 1/2 exactly for the flagged ones. */
  sgfblo_array w = {0};
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_npy_read(weights, &w, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(w.ndim, 1);
  cr_expect_eq(w.shape[0], N_TRAIN);
  cr_expect(w.dtype == SGFBLO_DTYPE_F64 || w.dtype == SGFBLO_DTYPE_F32);
  sgfblo_real *v = NULL;
  cr_assert_eq(sgfblo_array_to_real(&w, &v, &err), SGFBLO_OK, "%s", err.msg);
  int below = 0;
  for (int i = 0; i < N_TRAIN; ++i) {
    cr_expect(v[i] > 0 && v[i] < 1, "weight %d = %g", i, (double)v[i]);
    below += v[i] < 0.5;
  }
  cr_expect_eq(below, row_num(&d, "rxgf", "flagged"));
  free(v);
  sgfblo_array_free(&w);
  test_run_free(&r);
}

/* --method sqcqp is a method row like a flow's: it cleans, and AID-BiO gets its oracle
   evaluations. */
Test(hyperclean_cli, sqcqp_method_row) {
  test_run_result r = RUN(FILES, "--no-pca", "--json", "--quiet", "--method", "sqcqp", "--iters", "200");
  cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
  json_doc d;
  json_load(r.out, &d);
  const char *const names[] = {"floor", "sqcqp", "aidbio", "ceiling"};
  for (int i = 0; i < 4; ++i) {
    char key[64];
    snprintf(key, sizeof key, "rows.%d.name", i);
    cr_expect_str_eq(json_text(&d, key), names[i], "row %d", i);
    cr_expect_str_eq(row_text(&d, names[i], "status"), sgfblo_status_string(SGFBLO_OK));
  }
  cr_expect_str_eq(json_text(&d, "flow.method"), "sqcqp");
  cr_expect_eq(json_num(&d, "flow.iters"), 200);
  const char *exit = row_text(&d, "sqcqp", "exit");
  cr_expect(strcmp(exit, "max_steps") == 0 || strcmp(exit, "converged") == 0, "exit %s", exit);
  const double f1 = row_num(&d, "sqcqp", "f1"), f1_chance = row_num(&d, "sqcqp", "f1_random");
  cr_expect(f1 >= f1_chance + 0.2, "sqcqp F1 %g, chance %g; %s", f1, f1_chance, r.out);
  const double evals = row_num(&d, "sqcqp", "oracle_evals");
  const double aid_evals = row_num(&d, "aidbio", "oracle_evals");
  cr_expect(evals > 0 && aid_evals >= evals && aid_evals < evals + AID_ITER_COST,
            "aidbio %g vs sqcqp %g oracle evaluations", aid_evals, evals);
  test_run_free(&r);
}

/* --time-limit: the method and AID-BiO each run for the limit (their own bounds lifted), so
   both end with exit time_limit after at least that long; the summary says what was held
   equal. Only lower bounds on the seconds are checked: a loaded machine may run longer. */
Test(hyperclean_cli, time_limit_gives_every_method_the_same_wall_time) {
  const char *const methods[] = {"rxgf", "sqcqp"};
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; ++i) {
    test_run_result r = RUN(FILES, "--no-pca", "--json", "--quiet", "--method", methods[i],
                            "--time-limit", "0.2");
    cr_assert_eq(r.status, 0, "%s: exit %d, stderr: %s", methods[i], r.status, r.err);
    json_doc d;
    json_load(r.out, &d);
    cr_expect_str_eq(json_text(&d, "baseline.budget"), "seconds");
    cr_expect_float_eq(json_num(&d, "baseline.time_limit"), 0.2, 1e-12);
    cr_expect_float_eq(json_num(&d, "flow.time_limit"), 0.2, 1e-12);
    const char *const rows[] = {methods[i], "aidbio"};
    for (int k = 0; k < 2; ++k) {
      cr_expect_str_eq(row_text(&d, rows[k], "exit"), "time_limit", "%s", rows[k]);
      cr_expect(row_num(&d, rows[k], "seconds") >= 0.2, "%s: %g s", rows[k],
                row_num(&d, rows[k], "seconds"));
      cr_expect(row_num(&d, rows[k], "oracle_evals") > 0);
    }
    const double f1 = row_num(&d, methods[i], "f1"), f1_chance = row_num(&d, methods[i], "f1_random");
    cr_expect(f1 >= f1_chance + 0.2, "%s F1 %g, chance %g", methods[i], f1, f1_chance);
    test_run_free(&r);
  }
  /* Without --time-limit the baseline is held to the method's oracle evaluations. */
  test_run_result r = RUN(FILES, "--no-pca", "--json", "--quiet", "--t-final", "5");
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  json_doc d;
  json_load(r.out, &d);
  cr_expect_str_eq(json_text(&d, "baseline.budget"), "oracle_evals");
  cr_expect_str_eq(json_text(&d, "flow.time_limit"), "null");
  test_run_free(&r);
  r = RUN(FILES, "--time-limit", "0");
  cr_expect_eq(r.status, 2, "exit %d, stderr: %s", r.status, r.err);
  cr_expect_not_null(strstr(r.err, "--time-limit"), "%s", r.err);
  test_run_free(&r);
}

Test(hyperclean_cli, table_and_progress_lines) {
  test_run_result r = RUN(FILES, "--no-pca", "--t-final", "20", "--monitor-every", "5",
                     "--save-classifier", path_in("y.npy"));
  cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
  const char *const rows[] = {"\nfloor ", "\nrxgf ", "\naidbio ", "\nceiling ", "test acc",
                              "precision", "oracle evals"};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; ++i)
    cr_expect_not_null(strstr(r.out, rows[i]), "table lacks '%s': %s", rows[i], r.out);
  /* stderr is no terminal here: plain lines, no carriage returns; the flow reports at steps
     0, 5, 10, 15, 20. */
  cr_expect_null(strchr(r.err, '\r'), "%s", r.err);
  int flow_lines = 0;
  for (const char *p = r.err; (p = strstr(p, "\nrxgf ")); ++p) flow_lines++;
  cr_expect_eq(flow_lines, 5, "progress: %s", r.err);
  cr_expect_not_null(strstr(r.err, "ETA"), "%s", r.err);
  cr_expect_not_null(strstr(r.err, "test acc"), "%s", r.err);
  sgfblo_array y = {0};
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_npy_read(path_in("y.npy"), &y, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(y.ndim, 2);
  cr_expect_eq(y.shape[0], D);
  cr_expect_eq(y.shape[1], C);
  sgfblo_array_free(&y);
  test_run_free(&r);
}

/* A bad input exits 2 with one message that names what is wrong. */
static void expect_input_error(test_run_result *r, const char *needle) {
  cr_expect_eq(r->status, 2, "exit %d, stderr: %s", r->status, r->err);
  cr_expect_not_null(strstr(r->err, needle), "'%s' not in: %s", needle, r->err);
  cr_expect_str_empty(r->out, "stdout: %s", r->out);
  test_run_free(r);
}

Test(hyperclean_cli, bad_inputs_exit_2_naming_the_file) {
  test_run_result r = RUN("--train-x", path_in("missing_x.npy"), "--train-y", path_in("train_y.npy"),
                     "--val-x", path_in("val_x.npy"), "--val-y", path_in("val_y.npy"));
  expect_input_error(&r, "missing_x.npy");

  /* A label outside [0, C): a negative one, and one past --classes. */
  int32_t bad[N_VAL];
  for (int i = 0; i < N_VAL; ++i) bad[i] = i % C;
  bad[7] = -1;
  write_npy(path_in("neg_y.npy"), SGFBLO_DTYPE_I32, 1, N_VAL, 0, bad);
  r = RUN("--train-x", path_in("train_x.npy"), "--train-y", path_in("train_y.npy"), "--val-x",
          path_in("val_x.npy"), "--val-y", path_in("neg_y.npy"), "--no-pca");
  expect_input_error(&r, "neg_y.npy");
  r = RUN(FILES, "--classes", "3", "--no-pca");
  expect_input_error(&r, "_y.npy");

  /* Rows and labels that do not match. */
  int32_t short_y[N_TRAIN - 1];
  for (int i = 0; i < N_TRAIN - 1; ++i) short_y[i] = i % C;
  write_npy(path_in("short_y.npy"), SGFBLO_DTYPE_I32, 1, N_TRAIN - 1, 0, short_y);
  r = RUN("--train-x", path_in("train_x.npy"), "--train-y", path_in("short_y.npy"), "--val-x",
          path_in("val_x.npy"), "--val-y", path_in("val_y.npy"));
  expect_input_error(&r, "short_y.npy");

  /* A starting point of the wrong length. */
  double x0[N_TRAIN - 1] = {0};
  write_npy(path_in("x0.npy"), SGFBLO_DTYPE_F64, 1, N_TRAIN - 1, 0, x0);
  r = RUN(FILES, "--no-pca", "--x0", path_in("x0.npy"));
  expect_input_error(&r, "x0.npy");

  /* Features whose widths differ between files. */
  double wide[N_VAL * (D + 1)];
  for (int i = 0; i < N_VAL * (D + 1); ++i) wide[i] = normal01();
  write_npy(path_in("wide_x.npy"), SGFBLO_DTYPE_F64, 2, N_VAL, D + 1, wide);
  r = RUN("--train-x", path_in("train_x.npy"), "--train-y", path_in("train_y.npy"), "--val-x",
          path_in("wide_x.npy"), "--val-y", path_in("val_y.npy"));
  expect_input_error(&r, "wide_x.npy");

  r = RUN("--mnist", path_in("no_mnist_here"), "--quiet");
  expect_input_error(&r, "no_mnist_here");
}

Test(hyperclean_cli, bad_options_exit_2_naming_the_option) {
  const char *const cases[][3] = {
      {"--p", "1.5", "--p"},
      {"--corrupt", "rows", "--corrupt"},
      {"--aid-beta-out", "-1", "--aid-beta-out"},
      {"--aid-cg", "0", "--aid-cg"},
      {"--pca-var", "0", "--pca-var"},
      {"--baseline", "stocbio", "--baseline"},
      {"--alpha", "-1", "--alpha"},
      {"--save-weights", "/no/such/dir/w.npy", "--save-weights"},
      {"--threads", "-1", "--threads"},
      {"--threads", "65", "--threads"},
      {"--device-pass", "tensor", "--device-pass"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    test_run_result r = RUN(FILES, cases[i][0], cases[i][1]);
    expect_input_error(&r, cases[i][2]);
  }
  test_run_result r = RUN(FILES, "--p", "0.2");
  expect_input_error(&r, "--train-clean-y");
  r = RUN(FILES, "--no-pca", "--pca-k", "3");
  expect_input_error(&r, "--no-pca");
  r = RUN(FILES, "--mnist", "data/mnist");
  expect_input_error(&r, "--mnist");
  r = RUN("--train-x", path_in("train_x.npy"), "--train-y", path_in("train_y.npy"));
  expect_input_error(&r, "--val-x");
  r = RUN(FILES, "--no-pca", "--pca-k", "99");
  expect_input_error(&r, "--no-pca");
  r = RUN(FILES, "--pca-k", "99");
  expect_input_error(&r, "--pca-k");
}

/* The host oracles' thread count changes nothing in the results: every row's numbers are
   the same text on 1 and on 3 threads (and with a device pass asked for, which the CPU
   backend does not use). */
Test(hyperclean_cli, thread_count_leaves_the_results_unchanged) {
  static json_doc one, three; /* large: not on the stack */
  test_run_result r = RUN(FILES, "--no-pca", "--json", "--quiet", "--threads", "1");
  cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
  json_load(r.out, &one);
  test_run_free(&r);
  r = RUN(FILES, "--no-pca", "--json", "--quiet", "--threads", "3", "--device-pass", "fused");
  cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
  json_load(r.out, &three);
  test_run_free(&r);
  const char *const names[] = {"floor", "rxgf", "aidbio", "ceiling"};
  const char *const fields[] = {"test_acc", "val_loss", "train_acc", "f1", "flagged",
                                "oracle_evals"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    for (size_t k = 0; k < sizeof fields / sizeof fields[0]; ++k)
      cr_expect_str_eq(row_text(&one, names[i], fields[k]), row_text(&three, names[i], fields[k]),
                       "%s.%s differs between 1 and 3 threads", names[i], fields[k]);
}

/* A flow that blows up: exit 1, its row says why, the references are still computed, and the
   baseline, whose budget would have come from the flow, is marked unavailable. */
Test(hyperclean_cli, solver_failure_exits_1_and_keeps_the_other_rows) {
  test_run_result r = RUN(FILES, "--no-pca", "--json", "--quiet", "--alpha", "1e4");
  cr_assert_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
  cr_expect_not_null(strstr(r.err, "diverged"), "stderr: %s", r.err);
  json_doc d;
  json_load(r.out, &d);
  cr_expect_str_eq(json_text(&d, "ok"), "false");
  cr_expect_str_eq(row_text(&d, "rxgf", "exit"), "diverged");
  cr_expect_not_null(strstr(row_text(&d, "rxgf", "error"), "diverged"));
  cr_expect_str_eq(row_text(&d, "aidbio", "available"), "false");
  cr_expect(row_num(&d, "floor", "test_acc") > 0.5);
  cr_expect(row_num(&d, "ceiling", "test_acc") > 0.5);
  test_run_free(&r);
}

/* The directory that holds the binary: PATH set to it alone finds no gnuplot. */
static void binary_dir(char *dir, size_t len) {
  snprintf(dir, len, "%s", SGFBLO_CLI_PATH);
  char *slash = strrchr(dir, '/');
  if (slash) *slash = '\0';
}

Test(hyperclean_cli, plot_without_gnuplot_names_it) {
  char dir[512];
  binary_dir(dir, sizeof dir);
  test_run_result r = run_env(dir, (const char *const[]){"hyperclean", FILES, "--no-pca", "--quiet",
                                                    "--plot", path_in("plots"), NULL});
  cr_expect_neq(r.status, 0, "stderr: %s", r.err);
  cr_expect_not_null(strstr(r.err, "gnuplot"), "stderr: %s", r.err);
  cr_expect_not_null(strstr(r.err, "gnuplot-nox"), "stderr: %s", r.err);
  cr_expect_str_empty(r.out, "the runs went ahead: %s", r.out);
  test_run_free(&r);
}

Test(hyperclean_cli, plot_draws_the_figures_when_gnuplot_exists) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0) cr_skip_test("gnuplot is not installed");
  test_run_result r = RUN(FILES, "--no-pca", "--quiet", "--t-final", "10", "--plot", work_dir);
  cr_assert_eq(r.status, 0, "exit %d, stderr: %s", r.status, r.err);
  const char *const files[] = {"val_loss_vs_time.png", "val_loss_vs_oracle.png",
                               "test_acc_vs_time.png", "test_acc_vs_oracle.png",
                               "grad_g_vs_t.png",      "curve_rxgf.csv",
                               "curve_aidbio.csv",     "references.csv",
                               "plots.gp"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; ++i) {
    struct stat st;
    cr_expect(stat(path_in(files[i]), &st) == 0 && st.st_size > 0, "%s missing or empty",
              files[i]);
  }
  char *csv = test_slurp(path_in("curve_rxgf.csv"));
  cr_expect_eq(strncmp(csv, "t,seconds,oracle_evals,val_loss,test_acc,grad_g_norm\n", 53), 0,
               "%s", csv);
  free(csv);
  test_run_free(&r);
}

Test(hyperclean_cli, help_lists_the_options) {
  static const char *const options[] = {
      "mnist", "train-x", "train-y", "val-x", "val-y", "test-x", "test-y", "train-clean-y",
      "n-train", "n-val", "n-test", "corrupt", "p", "pca-var", "pca-k", "no-pca", "bias",
      "lambda", "x0", "y0", "seed", "method", "alpha", "eps", "dt", "t-final", "steps",
      "integrator", "step-control", "linsolve", "init-lower", "log", "save-weights",
      "save-classifier", "baseline", "aid-beta-in", "aid-beta-out", "aid-inner", "aid-cg",
      "plot", "quiet", "json", "monitor-every", "w", "gamma", "sigma", "tau0", "delta",
      "iters", "time-limit", "threads", "device-pass"};
  test_run_result r = run_env(NULL, (const char *const[]){"hyperclean", "--help", NULL});
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  for (size_t i = 0; i < sizeof options / sizeof options[0]; ++i) {
    char line_start[64];
    snprintf(line_start, sizeof line_start, "\n  --%s ", options[i]);
    cr_expect_not_null(strstr(r.out, line_start), "--help does not list --%s", options[i]);
  }
  test_run_free(&r);
  r = run_env(NULL, (const char *const[]){"--help", NULL});
  cr_expect_not_null(strstr(r.out, "hyperclean"), "%s", r.out);
  test_run_free(&r);
}
