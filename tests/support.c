#define _DEFAULT_SOURCE /* mkdtemp, dirent, fork, execv, waitpid, setenv */
#include "support.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tools/rng.h"

void test_random_vector(sgfblo_real *v, int64_t n, uint64_t seed, double scale) {
  sgfblo_rng r;
  sgfblo_rng_seed(&r, seed);
  for (int64_t i = 0; i < n; ++i) v[i] = (sgfblo_real)(scale * sgfblo_rng_normal(&r));
}

double test_norm2(const sgfblo_real *a, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += (double)a[i] * a[i];
  return sqrt(s);
}

double test_norm_inf(const sgfblo_real *a, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s = fmax(s, fabs((double)a[i]));
  return s;
}

double test_rel_err(const sgfblo_real *a, const sgfblo_real *b, int64_t n, double floor) {
  double num = 0;
  for (int64_t i = 0; i < n; ++i) num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
  return sqrt(num) / fmax(test_norm2(b, n), floor);
}

static double dotv(const sgfblo_real *a, const sgfblo_real *b, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += (double)a[i] * b[i];
  return s;
}

/* z + sign * h * u, for x and y blocks separately. */
static void shift(sgfblo_real *out, const sgfblo_real *z, const sgfblo_real *u, double h,
                  int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = (sgfblo_real)(z[i] + h * u[i]);
}

static void expect_close(const char *what, double got, double want, double tol) {
  const double rel = fabs(got - want) / fmax(fabs(want), 1e-8);
  cr_log_info("%-26s rel err %.3e", what, rel);
  cr_expect(rel <= tol, "%s: got %.12g, finite differences %.12g (rel err %.3e > %.1e)", what,
            got, want, rel, tol);
}

static void expect_vec_close(const char *what, const sgfblo_real *got, const sgfblo_real *want,
                             int64_t n, double tol) {
  const double rel = test_rel_err(got, want, n, 1e-8);
  cr_log_info("%-26s rel err %.3e", what, rel);
  cr_expect(rel <= tol, "%s: relative error %.3e > %.1e", what, rel, tol);
}

void test_check_oracles(const sgfblo_problem *p, const sgfblo_real *x, const sgfblo_real *y,
                        uint64_t seed, double tol) {
  const int64_t n = p->n, m = p->m;
  const double h = TEST_FD_STEP;
  const sgfblo_eval_ctx ctx = {SGFBLO_MEM_HOST, NULL, p->user_data, NULL};
  sgfblo_real *ux = malloc(sizeof *ux * n), *uy = malloc(sizeof *uy * m);
  sgfblo_real *xp = malloc(sizeof *xp * n), *xm = malloc(sizeof *xm * n);
  sgfblo_real *yp = malloc(sizeof *yp * m), *ym = malloc(sizeof *ym * m);
  sgfblo_real *gx = malloc(sizeof *gx * n), *gy = malloc(sizeof *gy * m);
  sgfblo_real *gyp = malloc(sizeof *gyp * m), *gym = malloc(sizeof *gym * m);
  sgfblo_real *prod = malloc(sizeof *prod * (n > m ? n : m));
  sgfblo_real *fd = malloc(sizeof *fd * m);
  cr_assert(ux && uy && xp && xm && yp && ym && gx && gy && gyp && gym && prod && fd);
  test_random_vector(ux, n, seed * 7 + 1, 1.0);
  test_random_vector(uy, m, seed * 7 + 2, 1.0);
  shift(xp, x, ux, h, n);
  shift(xm, x, ux, -h, n);
  shift(yp, y, uy, h, m);
  shift(ym, y, uy, -h, m);
  sgfblo_real vp, vm;

  /* grad f: directional derivative along (ux, uy). */
  cr_assert_eq(p->grad_f(x, y, gx, gy, &ctx), 0);
  cr_assert_eq(p->f_val(xp, yp, &vp, &ctx), 0);
  cr_assert_eq(p->f_val(xm, ym, &vm, &ctx), 0);
  expect_close("grad f . u", dotv(gx, ux, n) + dotv(gy, uy, m), (vp - vm) / (2 * h), tol);

  /* grad g against g values, when g_val exists. */
  cr_assert_eq(p->grad_g(x, y, gx, gy, &ctx), 0);
  if (p->g_val) {
    cr_assert_eq(p->g_val(xp, yp, &vp, &ctx), 0);
    cr_assert_eq(p->g_val(xm, ym, &vm, &ctx), 0);
    expect_close("grad g . u", dotv(gx, ux, n) + dotv(gy, uy, m), (vp - vm) / (2 * h), tol);
  }
  /* grad g with a NULL block must still fill the other one identically. */
  cr_assert_eq(p->grad_g(x, y, NULL, gyp, &ctx), 0);
  expect_vec_close("grad_y g (gx = NULL)", gyp, gy, m, TEST_TIGHT_TOL);

  /* Hyy v: derivative of grad_y g along y. */
  cr_assert_eq(p->grad_g(x, yp, NULL, gyp, &ctx), 0);
  cr_assert_eq(p->grad_g(x, ym, NULL, gym, &ctx), 0);
  for (int64_t i = 0; i < m; ++i) fd[i] = (sgfblo_real)((gyp[i] - gym[i]) / (2 * h));
  cr_assert_eq(p->hyy_mv(x, y, uy, prod, &ctx), 0);
  expect_vec_close("Hyy v", prod, fd, m, tol);

  /* Jyx u: derivative of grad_y g along x. */
  cr_assert_eq(p->grad_g(xp, y, NULL, gyp, &ctx), 0);
  cr_assert_eq(p->grad_g(xm, y, NULL, gym, &ctx), 0);
  for (int64_t i = 0; i < m; ++i) fd[i] = (sgfblo_real)((gyp[i] - gym[i]) / (2 * h));
  cr_assert_eq(p->jyx_mv(x, y, ux, prod, &ctx), 0);
  expect_vec_close("Jyx u", prod, fd, m, tol);

  /* Jyx^T v: adjoint identity v'(Jyx u) = (Jyx^T v)'u with the checked Jyx u. */
  const double vJu = dotv(uy, prod, m);
  cr_assert_eq(p->jyxT_mv(x, y, uy, prod, &ctx), 0);
  expect_close("(Jyx^T v) . u", dotv(prod, ux, n), vJu, tol);

  /* The fused grad_y g + Jyx^T grad_y g + Hyy grad_y g against the three separate calls. */
  if (p->grad_g_curv) {
    sgfblo_real *qx = malloc(sizeof *qx * n), *qy = malloc(sizeof *qy * m);
    cr_assert(qx && qy);
    cr_assert_eq(p->grad_g_curv(x, y, gyp, qx, qy, &ctx), 0);
    cr_assert_eq(p->grad_g(x, y, NULL, gy, &ctx), 0);
    expect_vec_close("fused grad_y g", gyp, gy, m, TEST_TIGHT_TOL);
    cr_assert_eq(p->jyxT_mv(x, y, gy, gx, &ctx), 0);
    expect_vec_close("fused Jyx^T grad_y g", qx, gx, n, TEST_TIGHT_TOL);
    cr_assert_eq(p->hyy_mv(x, y, gy, prod, &ctx), 0);
    expect_vec_close("fused Hyy grad_y g", qy, prod, m, TEST_TIGHT_TOL);
    free(qx);
    free(qy);
  }

  /* The fused Jyx^T v and Hyy v against the two separate calls. */
  if (p->curv_mv) {
    sgfblo_real *qx = malloc(sizeof *qx * n), *qy = malloc(sizeof *qy * m);
    cr_assert(qx && qy);
    cr_assert_eq(p->curv_mv(x, y, uy, qx, qy, &ctx), 0);
    cr_assert_eq(p->jyxT_mv(x, y, uy, gx, &ctx), 0);
    expect_vec_close("fused Jyx^T v", qx, gx, n, TEST_TIGHT_TOL);
    cr_assert_eq(p->hyy_mv(x, y, uy, prod, &ctx), 0);
    expect_vec_close("fused Hyy v", qy, prod, m, TEST_TIGHT_TOL);
    free(qx);
    free(qy);
  }

  /* Dense blocks against the products, column by column. */
  if (p->hyy_dense || p->jyx_dense) {
    const int64_t cols = n > m ? n : m;
    sgfblo_real *dense = malloc(sizeof *dense * m * cols);
    sgfblo_real *e = calloc((size_t)cols, sizeof *e);
    cr_assert(dense && e);
    if (p->hyy_dense) {
      cr_assert_eq(p->hyy_dense(x, y, dense, &ctx), 0);
      double worst = 0;
      for (int64_t j = 0; j < m; ++j) {
        e[j] = 1;
        cr_assert_eq(p->hyy_mv(x, y, e, prod, &ctx), 0);
        e[j] = 0;
        worst = fmax(worst, test_rel_err(dense + j * m, prod, m, 1.0));
      }
      cr_log_info("%-26s rel err %.3e", "dense Hyy", worst);
      cr_expect(worst <= TEST_TIGHT_TOL * 100, "dense Hyy differs from Hyy e_j (%.3e)", worst);
    }
    if (p->jyx_dense) {
      cr_assert_eq(p->jyx_dense(x, y, dense, &ctx), 0);
      double worst = 0;
      for (int64_t j = 0; j < n; ++j) {
        e[j] = 1;
        cr_assert_eq(p->jyx_mv(x, y, e, prod, &ctx), 0);
        e[j] = 0;
        worst = fmax(worst, test_rel_err(dense + j * m, prod, m, 1.0));
      }
      cr_log_info("%-26s rel err %.3e", "dense Jyx", worst);
      cr_expect(worst <= TEST_TIGHT_TOL * 100, "dense Jyx differs from Jyx e_j (%.3e)", worst);
    }
    free(dense);
    free(e);
  }
  free(ux); free(uy); free(xp); free(xm); free(yp); free(ym);
  free(gx); free(gy); free(gyp); free(gym); free(prod); free(fd);
}

void test_temp_dir_make(char *dir, size_t len, const char *prefix) {
  snprintf(dir, len, "%s/%s_XXXXXX", SGFBLO_TEST_DATA_DIR, prefix);
  cr_assert_not_null(mkdtemp(dir), "mkdtemp failed in %s", SGFBLO_TEST_DATA_DIR);
}

void test_temp_dir_remove(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  char path[2048];
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    remove(path);
  }
  closedir(d);
  rmdir(dir);
}

const char *test_path_in(const char *dir, const char *name) {
  static char bufs[16][600];
  static int k = 0;
  char *p = bufs[k++ % 16];
  snprintf(p, sizeof bufs[0], "%s/%s", dir, name);
  return p;
}

char *test_slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  fseek(f, 0, SEEK_END);
  const long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)len + 1);
  cr_assert_not_null(s);
  const size_t got = fread(s, 1, (size_t)len, f);
  s[got] = '\0';
  fclose(f);
  return s;
}

test_run_result test_run_tool(const char *exe, const char *dir, const char *path_env,
                              const char *const *args) {
  char out_path[600], err_path[600];
  snprintf(out_path, sizeof out_path, "%s/stdout.txt", dir);
  snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
  char *argv[80];
  int argc = 0;
  argv[argc++] = (char *)exe;
  for (; args[argc - 1] && argc < 79; ++argc) argv[argc] = (char *)args[argc - 1];
  argv[argc] = NULL;
  fflush(NULL);
  const pid_t pid = fork();
  cr_assert(pid >= 0, "fork failed");
  if (pid == 0) {
    if (!freopen(out_path, "w", stdout) || !freopen(err_path, "w", stderr)) _exit(126);
    if (path_env && setenv("PATH", path_env, 1) != 0) _exit(126);
    execv(exe, argv);
    _exit(127);
  }
  int wstatus = 0;
  cr_assert(waitpid(pid, &wstatus, 0) == pid, "waitpid failed");
  test_run_result r = {WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, test_slurp(out_path),
                       test_slurp(err_path)};
  cr_assert(r.status != 127 && r.status != 126, "could not run %s", exe);
  return r;
}

void test_run_free(test_run_result *r) {
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}
