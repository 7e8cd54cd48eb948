/* The sgfblo command-line tool, run as a subprocess: help text, exit statuses, usage errors,
   the JSON summary, input files, and the paper's RXGF run on the synthetic problem. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sgfblo/sgfblo_io.h"
#include "support.h"

#ifndef SGFBLO_CLI_PATH
#error "tests/CMakeLists.txt passes the path of the sgfblo executable as SGFBLO_CLI_PATH"
#endif

/* ------------------------------------------------------------ subprocess -- */

static char work_dir[512];

static void make_work_dir(void) { test_temp_dir_make(work_dir, sizeof work_dir, "cli"); }

static void remove_work_dir(void) { test_temp_dir_remove(work_dir); }

/* Path of a file in this test's scratch directory. */
static const char *path_in(const char *name) { return test_path_in(work_dir, name); }

/* Run the tool with the given arguments (NULL-terminated, program name excluded). */
static test_run_result run_argv(const char *const *args) {
  return test_run_tool(SGFBLO_CLI_PATH, work_dir, NULL, args);
}

#define RUN(...) run_argv((const char *const[]){__VA_ARGS__, NULL})

static int count_lines(const char *s) {
  int k = 0;
  for (; *s; ++s) k += *s == '\n';
  return k;
}

/* ------------------------------------------------------ a tiny JSON reader -- */
/* Enough JSON for the summary: one flat object whose values are strings, numbers or null. */

typedef struct {
  int count;
  char key[64][48];
  char val[64][128]; /* strings without quotes; numbers and null as written */
  int is_str[64];
} json_obj;

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') ++p;
  return p;
}

/* A JSON string without escapes (the summary writes none for these values). */
static const char *read_str(const char *p, char *dst, size_t cap) {
  if (*p != '"') return NULL;
  size_t k = 0;
  for (++p; *p && *p != '"'; ++p) {
    if (*p == '\\' || k + 1 >= cap) return NULL;
    dst[k++] = *p;
  }
  dst[k] = '\0';
  return *p == '"' ? p + 1 : NULL;
}

/* Parse s as exactly one object (nothing but whitespace after it). 0 on success. */
static int json_parse(const char *s, json_obj *o) {
  memset(o, 0, sizeof *o);
  const char *p = skip_ws(s);
  if (*p++ != '{') return -1;
  p = skip_ws(p);
  if (*p == '}') return *skip_ws(p + 1) ? -1 : 0;
  for (;;) {
    if (o->count == 64) return -1;
    p = read_str(skip_ws(p), o->key[o->count], sizeof o->key[0]);
    if (!p) return -1;
    p = skip_ws(p);
    if (*p++ != ':') return -1;
    p = skip_ws(p);
    if (*p == '"') {
      p = read_str(p, o->val[o->count], sizeof o->val[0]);
      if (!p) return -1;
      o->is_str[o->count] = 1;
    } else if (strncmp(p, "null", 4) == 0) {
      strcpy(o->val[o->count], "null");
      p += 4;
    } else {
      char *end;
      (void)strtod(p, &end);
      if (end == p || (size_t)(end - p) >= sizeof o->val[0]) return -1;
      memcpy(o->val[o->count], p, (size_t)(end - p));
      p = end;
    }
    o->count++;
    p = skip_ws(p);
    if (*p == ',') {
      ++p;
      continue;
    }
    if (*p++ != '}') return -1;
    return *skip_ws(p) ? -1 : 0;
  }
}

static int json_find(const json_obj *o, const char *key) {
  for (int i = 0; i < o->count; ++i)
    if (strcmp(o->key[i], key) == 0) return i;
  return -1;
}

static const char *json_str(const json_obj *o, const char *key) {
  const int i = json_find(o, key);
  cr_assert(i >= 0, "JSON key '%s' missing", key);
  cr_assert(o->is_str[i], "JSON key '%s' is not a string", key);
  return o->val[i];
}

static double json_num(const json_obj *o, const char *key) {
  const int i = json_find(o, key);
  cr_assert(i >= 0, "JSON key '%s' missing", key);
  cr_assert(!o->is_str[i] && strcmp(o->val[i], "null") != 0, "JSON key '%s' is not a number (%s)",
            key, o->val[i]);
  return strtod(o->val[i], NULL);
}

/* ------------------------------------------------------------ CSV reading -- */

/* Value of column `col` in the first data row and in the last row of a CSV log. */
static void csv_first_last(const char *path, const char *col, double *first, double *last) {
  char *text = test_slurp(path);
  char *save = NULL;
  char *line = strtok_r(text, "\n", &save);
  cr_assert_not_null(line, "%s is empty", path);
  int idx = -1, k = 0;
  for (char *h = line; h; ++k) {
    const size_t len = strcspn(h, ",");
    if (strlen(col) == len && strncmp(h, col, len) == 0) idx = k;
    h = h[len] ? h + len + 1 : NULL;
  }
  cr_assert(idx >= 0, "column %s not in the header of %s", col, path);
  int rows = 0;
  for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save), ++rows) {
    const char *c = line;
    for (int j = 0; j < idx && c; ++j) {
      c = strchr(c, ',');
      if (c) ++c;
    }
    cr_assert_not_null(c, "short row in %s", path);
    const double v = strtod(c, NULL);
    if (rows == 0) *first = v;
    *last = v;
  }
  cr_assert(rows >= 2, "%s has %d data rows", path, rows);
  free(text);
}

/* --------------------------------------------------------------- helpers -- */

static void write_npy_f64(const char *path, int ndim, const int64_t *shape, const double *v) {
  sgfblo_array a = {.dtype = SGFBLO_DTYPE_F64, .ndim = ndim, .size = 1, .data = (void *)v};
  for (int i = 0; i < ndim; ++i) {
    a.shape[i] = shape[i];
    a.size *= shape[i];
  }
  sgfblo_errmsg err;
  cr_assert_eq(sgfblo_npy_write(path, &a, &err), SGFBLO_OK, "%s", err.msg);
}

static void write_bytes(const char *path, const char *bytes, size_t n) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(bytes, 1, n, f), n);
  fclose(f);
}

static void expect_usage_error(test_run_result *r, const char *needle) {
  cr_expect_eq(r->status, 2, "exit status %d, stderr: %s", r->status, r->err);
  cr_expect_eq(count_lines(r->err), 1, "not one line on stderr: %s", r->err);
  cr_expect_not_null(strstr(r->err, needle), "'%s' not in: %s", needle, r->err);
  cr_expect_str_empty(r->out, "stdout not empty: %s", r->out);
}

/* Run the tool with the arguments after needle and expect a one-line usage error with needle. */
#define EXPECT_USAGE_ERROR(needle, ...)                                                        \
  do {                                                                                         \
    test_run_result r_ = RUN(__VA_ARGS__);                                                          \
    expect_usage_error(&r_, needle);                                                           \
    test_run_free(&r_);                                                                             \
  } while (0)

TestSuite(cli, .init = make_work_dir, .fini = remove_work_dir, .timeout = 300);

/* ------------------------------------------------------------------ tests -- */

Test(cli, help_mentions_every_option) {
  static const char *const options[] = {
      "dim",   "seed",       "H",        "c",      "d",          "x0",           "y0",
      "method", "integrator", "backend",  "alpha",  "eps",        "beta",         "mu1",
      "mu2",   "dt",         "t-final",  "steps",  "tol",        "rtol",         "atol",
      "step-control", "linsolve", "init", "init-lower", "log",   "monitor-every", "progress",
      "json",  "help",       "version", "w",          "gamma",        "sigma",
      "tau0",  "delta",      "iters", "time-limit"};
  test_run_result r = RUN("synthetic", "--help");
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  for (size_t i = 0; i < sizeof options / sizeof options[0]; ++i) {
    char line_start[64];
    snprintf(line_start, sizeof line_start, "\n  --%s ", options[i]);
    cr_expect_not_null(strstr(r.out, line_start), "--help does not list --%s", options[i]);
  }
  for (const char *v = "rxgf invfree sgf-chol sgf-cg pc stable euler rk4 rk4-38 dopri5"; *v;) {
    char word[16];
    const size_t len = strcspn(v, " ");
    snprintf(word, sizeof word, "%.*s", (int)len, v);
    cr_expect_not_null(strstr(r.out, word), "--help does not name '%s'", word);
    v += len + (v[len] == ' ');
  }
  test_run_free(&r);
}

Test(cli, top_level_help_version_and_unknown_command) {
  test_run_result r = RUN("--help");
  cr_expect_eq(r.status, 0);
  cr_expect_not_null(strstr(r.out, "synthetic"), "subcommand list: %s", r.out);
  test_run_free(&r);
  r = RUN("--version");
  cr_expect_eq(r.status, 0);
  cr_expect_not_null(strstr(r.out, sgfblo_version()), "version: %s", r.out);
  test_run_free(&r);
  r = RUN("synthetic", "--version");
  cr_expect_eq(r.status, 0);
  cr_expect_not_null(strstr(r.out, sgfblo_version()), "version: %s", r.out);
  test_run_free(&r);
  EXPECT_USAGE_ERROR("no-such-command", "no-such-command");
  r = run_argv((const char *const[]){NULL});
  cr_expect_eq(r.status, 2, "no arguments: exit %d", r.status);
  test_run_free(&r);
}

Test(cli, unknown_option_is_a_usage_error) {
  EXPECT_USAGE_ERROR("--no-such-option", "synthetic", "--no-such-option");
  EXPECT_USAGE_ERROR("stray", "synthetic", "stray");
  EXPECT_USAGE_ERROR("--alpha", "synthetic", "--alpha");
  EXPECT_USAGE_ERROR("--json", "synthetic", "--json=yes");
  EXPECT_USAGE_ERROR("newton", "synthetic", "--method", "newton");
  EXPECT_USAGE_ERROR("rk5", "synthetic", "--integrator", "rk5");
}

/* The message carries the option and the library validator's text, which names the field. */
Test(cli, invalid_settings_name_the_field) {
  EXPECT_USAGE_ERROR("--alpha: alpha must be > 0", "synthetic", "--alpha", "-1");
  EXPECT_USAGE_ERROR("--eps: epsilon", "synthetic", "--eps", "0");
  EXPECT_USAGE_ERROR("--dt: dt", "synthetic", "--dt", "0");
  EXPECT_USAGE_ERROR("--steps: max_steps", "synthetic", "--steps", "0");
  EXPECT_USAGE_ERROR("--monitor-every: monitor_every", "synthetic", "--monitor-every", "0");
}

Test(cli, numbers_are_parsed_strictly) {
  const char *const cases[][2] = {{"--alpha", "abc"}, {"--alpha", "0.1x"}, {"--alpha", ""},
                                  {"--dt", "1e999"},  {"--eps", "nan"},    {"--t-final", "inf"},
                                  {"--steps", "1.5"}, {"--dim", "twenty"}, {"--seed", "-1"},
                                  {"--dim", "0"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i)
    EXPECT_USAGE_ERROR(cases[i][0], "synthetic", cases[i][0], cases[i][1]);
}

static const char *const SUMMARY_KEYS[] = {
    "t",          "steps",        "f",          "grad_g_norm", "hypergrad_norm", "zdot_norm",
    "rhs_evals",  "oracle_evals", "grad_evals", "prod_evals",  "rejected",       "max_h_excess",
    "exit",       "status",       "method",     "integrator",  "seconds"};

Test(cli, json_summary_is_one_object) {
  test_run_result r = RUN("synthetic", "--json", "--t-final", "1");
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  json_obj o;
  cr_assert_eq(json_parse(r.out, &o), 0, "not one JSON object: %s", r.out);
  cr_expect_eq(count_lines(r.out), 1, "JSON spans several lines: %s", r.out);
  for (size_t i = 0; i < sizeof SUMMARY_KEYS / sizeof SUMMARY_KEYS[0]; ++i)
    cr_expect(json_find(&o, SUMMARY_KEYS[i]) >= 0, "key %s missing: %s", SUMMARY_KEYS[i], r.out);
  cr_expect_str_eq(json_str(&o, "exit"), "t_final");
  cr_expect_str_eq(json_str(&o, "status"), sgfblo_status_string(SGFBLO_OK));
  cr_expect_str_eq(json_str(&o, "method"), "rxgf");
  cr_expect_str_eq(json_str(&o, "integrator"), "rk4");
  cr_expect_eq(json_num(&o, "n"), 20);
  cr_expect_eq(json_num(&o, "steps"), 100);
  cr_expect_float_eq(json_num(&o, "t"), 1.0, 1e-12);
  cr_expect_eq(json_num(&o, "rhs_evals"), 400);
  cr_expect_eq(json_num(&o, "oracle_evals"), json_num(&o, "grad_evals") + json_num(&o, "prod_evals"));
  cr_expect(json_num(&o, "seconds") >= 0);
  test_run_free(&r);

  /* Not every method tracks the eps-set: max_h_excess is then null, and still present. */
  r = RUN("synthetic", "--json", "--method", "sgf-chol", "--integrator", "dopri5", "--t-final", "1");
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  cr_assert_eq(json_parse(r.out, &o), 0, "not one JSON object: %s", r.out);
  const int i = json_find(&o, "max_h_excess");
  cr_assert(i >= 0);
  cr_expect_str_eq(o.val[i], "null");
  cr_expect_str_eq(json_str(&o, "integrator"), "dopri5");
  test_run_free(&r);
}

/* --method sqcqp: the discrete method with the same summary. Started on the lower-level
   solution (--init-lower), so inside the eps-set, it stays inside, and the hypergradient
   norm falls from the first log row to the last. */
Test(cli, sqcqp_runs_with_the_same_summary) {
  const char *log = path_in("sqcqp.csv");
  test_run_result r = RUN("synthetic", "--json", "--method", "sqcqp", "--init-lower", "--iters", "200",
                     "--w", "0.01", "--tau0", "0.01", "--log", log, "--monitor-every", "20");
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  json_obj o;
  cr_assert_eq(json_parse(r.out, &o), 0, "not one JSON object: %s", r.out);
  for (size_t i = 0; i < sizeof SUMMARY_KEYS / sizeof SUMMARY_KEYS[0]; ++i)
    cr_expect(json_find(&o, SUMMARY_KEYS[i]) >= 0, "key %s missing: %s", SUMMARY_KEYS[i], r.out);
  cr_expect_str_eq(json_str(&o, "method"), "sqcqp");
  cr_expect_str_eq(json_str(&o, "status"), sgfblo_status_string(SGFBLO_OK));
  const char *exit = json_str(&o, "exit");
  cr_expect(strcmp(exit, "max_steps") == 0 || strcmp(exit, "converged") == 0, "exit %s", exit);
  if (strcmp(exit, "max_steps") == 0) cr_expect_eq(json_num(&o, "steps"), 200);
  cr_expect(json_num(&o, "max_h_excess") <= 0, "left the eps-set: %s", r.out);
  cr_expect(json_num(&o, "oracle_evals") > 0);
  cr_expect_eq(json_num(&o, "oracle_evals"), json_num(&o, "grad_evals") + json_num(&o, "prod_evals"));
  double F0 = 0, F1 = 0;
  csv_first_last(log, "hypergrad_norm", &F0, &F1);
  cr_expect(F1 < F0, "||F|| %g -> %g", F0, F1);
  cr_expect(fabs(F1 - json_num(&o, "hypergrad_norm")) <= 1e-6 * F0, "log %g, summary %g", F1,
            json_num(&o, "hypergrad_norm"));
  test_run_free(&r);

  EXPECT_USAGE_ERROR("--w: w", "synthetic", "--method", "sqcqp", "--w", "-1");
  EXPECT_USAGE_ERROR("--iters: max_iters", "synthetic", "--method", "sqcqp", "--iters", "0");
  EXPECT_USAGE_ERROR("--method sqcqp", "synthetic", "--w", "0.1");
}

/* --time-limit: a limit far below one step's time ends the run after its first step, with
   exit time_limit and status 0; alone, it lifts the final time (and SQCQP's iterations). Bad
   values are usage errors naming the option. */
Test(cli, time_limit_ends_the_run) {
  const char *const methods[] = {"rxgf", "sqcqp"};
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; ++i) {
    test_run_result r = RUN("synthetic", "--json", "--method", methods[i], "--time-limit", "1e-9");
    cr_assert_eq(r.status, 0, "%s: stderr: %s", methods[i], r.err);
    json_obj o;
    cr_assert_eq(json_parse(r.out, &o), 0, "%s", r.out);
    cr_expect_str_eq(json_str(&o, "exit"), "time_limit", "%s", methods[i]);
    cr_expect_str_eq(json_str(&o, "status"), sgfblo_status_string(SGFBLO_OK));
    cr_expect_eq(json_num(&o, "steps"), 1, "%s: %s", methods[i], r.out);
    cr_expect(json_num(&o, "seconds") >= 1e-9);
    test_run_free(&r);
  }
  /* A limit the run does not reach leaves it as it was. */
  test_run_result r = RUN("synthetic", "--json", "--t-final", "1", "--time-limit", "1000");
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  json_obj o;
  cr_assert_eq(json_parse(r.out, &o), 0, "%s", r.out);
  cr_expect_str_eq(json_str(&o, "exit"), "t_final");
  cr_expect_eq(json_num(&o, "steps"), 100);
  test_run_free(&r);
  const char *const bad[] = {"0", "-1", "inf", "nan", "abc", "1e999", ""};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i)
    EXPECT_USAGE_ERROR("--time-limit", "synthetic", "--time-limit", bad[i]);
}

Test(cli, steps_bound_the_run) {
  test_run_result r = RUN("synthetic", "--json", "--steps", "7");
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  json_obj o;
  cr_assert_eq(json_parse(r.out, &o), 0, "%s", r.out);
  cr_expect_str_eq(json_str(&o, "exit"), "max_steps");
  cr_expect_eq(json_num(&o, "steps"), 7);
  test_run_free(&r);
}

Test(cli, table_and_progress) {
  test_run_result r = RUN("synthetic", "--t-final", "0.2", "--monitor-every", "5", "--progress");
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  const char *rows[] = {"method", "integrator", "steps", "||grad_y g||", "||F||", "evals", "exit"};
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; ++i)
    cr_expect_not_null(strstr(r.out, rows[i]), "table lacks '%s': %s", rows[i], r.out);
  cr_expect_not_null(strstr(r.out, "t_final"), "%s", r.out);
  /* Monitoring points at steps 0, 5, ..., 20. */
  cr_expect_eq(count_lines(r.err), 5, "progress lines: %s", r.err);
  cr_expect_eq(strncmp(r.err, "step", 4), 0, "%s", r.err);
  test_run_free(&r);
}

/* The paper's setting (section 4.1): RXGF, alpha = eps = 0.1, dt = 0.01, T = 10, starting on
   the lower-level solution. Proposition 1: the eps-set is forward invariant, so h never
   exceeds eps^2; and the surrogate hypergradient ||F|| decreases. */
Test(cli, rxgf_paper_run_stays_in_eps_set_and_reduces_hypergradient) {
  const char *log = path_in("rxgf.csv");
  test_run_result r = RUN("synthetic", "--method", "rxgf", "--alpha", "0.1", "--eps", "0.1", "--dt",
                     "0.01", "--t-final", "10", "--init-lower", "--json", "--log", log);
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  json_obj o;
  cr_assert_eq(json_parse(r.out, &o), 0, "%s", r.out);
  cr_expect_str_eq(json_str(&o, "exit"), "t_final");
  cr_expect(json_num(&o, "max_h_excess") <= 0, "max_h_excess = %g",
            json_num(&o, "max_h_excess"));
  cr_expect(json_num(&o, "grad_g_norm") <= 0.1, "grad_g_norm = %g", json_num(&o, "grad_g_norm"));
  double F0 = NAN, F1 = NAN, t0 = NAN, t1 = NAN;
  csv_first_last(log, "hypergrad_norm", &F0, &F1);
  csv_first_last(log, "t", &t0, &t1);
  cr_expect_eq(t0, 0.0);
  cr_expect_float_eq(t1, 10.0, 1e-9);
  cr_expect(isfinite(F0) && isfinite(F1) && F1 < F0, "||F||: %g at t = 0, %g at t = 10", F0, F1);
  cr_expect_float_eq(F1, json_num(&o, "hypergrad_norm"), 1e-12 * fmax(1.0, F1));
  test_run_free(&r);
}

Test(cli, malformed_npy_names_the_file) {
  const char *bad = path_in("broken_H.npy");
  static const char bytes[] = "\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'";
  write_bytes(bad, bytes, sizeof bytes - 1);
  test_run_result r = RUN("synthetic", "--H", bad);
  cr_expect_neq(r.status, 0);
  cr_expect_eq(r.status, 2, "stderr: %s", r.err);
  cr_expect_not_null(strstr(r.err, "broken_H.npy"), "stderr: %s", r.err);
  test_run_free(&r);
}

Test(cli, missing_file_is_a_usage_error) {
  EXPECT_USAGE_ERROR("no_such_c.npy", "synthetic", "--c", path_in("no_such_c.npy"));
}

Test(cli, npy_inputs_set_the_problem) {
  const int64_t n = 3, sq[2] = {3, 3}, col[2] = {3, 1};
  const double H[9] = {1, 0, 0, 0, 2, 0, 0, 0.5, 3}, c[3] = {1, -1, 0.5}, d[3] = {0, 1, 2},
               x0[3] = {0.1, 0.2, 0.3};
  write_npy_f64(path_in("H.npy"), 2, sq, H);
  write_npy_f64(path_in("c.npy"), 1, &n, c);
  write_npy_f64(path_in("d.npy"), 2, col, d); /* a column vector is a vector too */
  write_npy_f64(path_in("x0.npy"), 1, &n, x0);
  test_run_result r = RUN("synthetic", "--json", "--t-final", "0.5", "--H", path_in("H.npy"), "--c",
                     path_in("c.npy"), "--d", path_in("d.npy"), "--x0", path_in("x0.npy"));
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  json_obj o;
  cr_assert_eq(json_parse(r.out, &o), 0, "%s", r.out);
  cr_expect_eq(json_num(&o, "n"), 3);
  /* x0 = (0.1, 0.2, 0.3), y0 = 0: ||grad_y g|| = ||H^T x0||. */
  const double g[3] = {-0.1, -(0.4 + 0.15), -0.9};
  cr_expect_float_eq(json_num(&o, "init_grad_g_norm"),
                     sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]), 1e-6);
  test_run_free(&r);

  /* A subset: only c; n follows from it, H and d are drawn. */
  r = RUN("synthetic", "--json", "--t-final", "0.1", "--c", path_in("c.npy"));
  cr_assert_eq(r.status, 0, "stderr: %s", r.err);
  cr_assert_eq(json_parse(r.out, &o), 0, "%s", r.out);
  cr_expect_eq(json_num(&o, "n"), 3);
  test_run_free(&r);
}

Test(cli, dimension_mismatches_are_usage_errors) {
  const int64_t four = 4, sq[2] = {3, 3}, rect[2] = {3, 4};
  const double H[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0}, v[4] = {1, 2, 3, 4};
  write_npy_f64(path_in("H.npy"), 2, sq, H);
  write_npy_f64(path_in("Hrect.npy"), 2, rect, H);
  write_npy_f64(path_in("y4.npy"), 1, &four, v);
  test_run_result r = RUN("synthetic", "--H", path_in("H.npy"), "--y0", path_in("y4.npy"));
  expect_usage_error(&r, "--y0");
  cr_expect_not_null(strstr(r.err, "length 4"), "%s", r.err);
  test_run_free(&r);
  EXPECT_USAGE_ERROR("--dim", "synthetic", "--H", path_in("H.npy"), "--dim", "5");
  r = RUN("synthetic", "--c", path_in("y4.npy"));
  cr_expect_eq(r.status, 0, "a length-4 c alone sets n = 4: %s", r.err);
  test_run_free(&r);
  EXPECT_USAGE_ERROR("--c", "synthetic", "--dim", "20", "--c", path_in("y4.npy"));
  r = RUN("synthetic", "--H", path_in("Hrect.npy"));
  cr_expect_eq(r.status, 2);
  cr_expect_not_null(strstr(r.err, "square"), "%s", r.err);
  test_run_free(&r);
  r = RUN("synthetic", "--H", path_in("y4.npy"));
  cr_expect_eq(r.status, 2);
  cr_expect_not_null(strstr(r.err, "y4.npy"), "%s", r.err);
  test_run_free(&r);
}

Test(cli, solver_failure_exits_1_with_the_message) {
  const char *log = path_in("no_such_dir/log.csv");
  test_run_result r = RUN("synthetic", "--t-final", "0.1", "--log", log);
  cr_expect_eq(r.status, 1, "stderr: %s", r.err);
  cr_expect_not_null(strstr(r.err, sgfblo_status_string(SGFBLO_ERR_IO)), "%s", r.err);
  cr_expect_not_null(strstr(r.err, "no_such_dir"), "%s", r.err);
  test_run_free(&r);
}
