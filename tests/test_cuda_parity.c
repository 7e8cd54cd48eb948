/* The CUDA backend against the CPU reference (DESIGN.md: every CUDA result is tested against
   the CPU, on fresh random inputs, relative error reported): the ops of the ops table (the
   graph ops through the replays they record, make_current through every call), every device
   oracle of the built-in problems, each method's vector field, a whole RK4 trajectory, a
   failed Cholesky, and an initial state handed over in device memory.

   Without a CUDA device (or in a build without CUDA) every GPU test reports itself SKIPPED;
   only the first test, which checks that the absence is reported cleanly, runs. Nothing here
   touches CUDA outside a test body: Criterion runs each test in a forked child, and the parent
   must hold no CUDA context. Run with --verbose to see the relative errors. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/backend.h"
#include "sgfblo/sgfblo.h"
#include "support.h"
#include "tools/rng.h"
#ifdef SGFBLO_HAVE_CUDA
#include "backend/cuda_dev.h"
#endif

/* CPU (float64 reference arithmetic) vs CUDA: relative error allowed. */
#ifdef SGFBLO_USE_FLOAT
#define PARITY_TOL 1e-4
#define PARITY_TOL_CG 1e-3
#define PARITY_CG_TOL 1e-6
#else
#define PARITY_TOL 1e-10
/* Vector fields with a CG solve inside (sgf-cg): the two backends' iterates part by rounding,
   so they agree to about cond * cg_tol rather than to rounding. */
#define PARITY_TOL_CG 1e-8
#define PARITY_CG_TOL 1e-14
#endif

#ifdef PARITY_SELF_CHECK
/* The self-check build (test_cuda_parity_self, tests/CMakeLists.txt): the ops-table tests
   compare the CPU backend with a second CPU backend, so that their harness (the inputs, the
   tolerances, the loops over sizes and states) runs and passes in every build, GPU or not, and
   a GPU session meets only the device's own differences. The device tests skip here. */
#define PEER_BACKEND SGFBLO_BACKEND_CPU
#define REQUIRE_PEER() ((void)0)
#define REQUIRE_CUDA() cr_skip_test("self-check build: the device tests run in test_cuda_parity")
#else
#define PEER_BACKEND SGFBLO_BACKEND_CUDA
#define REQUIRE_CUDA()                                                             \
  do {                                                                             \
    if (!sgfblo_backend_available(SGFBLO_BACKEND_CUDA))                            \
      cr_skip_test(                                                                \
          "no CUDA device here (or CUDA not compiled in): CPU-vs-CUDA parity not " \
          "checked");                                                              \
  } while (0)
#define REQUIRE_PEER() REQUIRE_CUDA()
#endif

/* A seed that differs run to run (fresh inputs), logged so a failure can be replayed. */
static uint64_t fresh_seed(const char *what) {
  static uint64_t counter;
  struct timespec ts;
  timespec_get(&ts, TIME_UTC);
  const uint64_t s = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ (++counter << 40);
  cr_log_info("%s: seed %llu", what, (unsigned long long)s);
  return s;
}

/* Relative error of a against the reference b, logged and checked. */
static double expect_close(const char *what, const sgfblo_real *a, const sgfblo_real *b, int64_t n,
                           double tol) {
  const double e = test_rel_err(a, b, n, 1e-300);
  cr_log_info("%-40s relative error %.3e (tol %.0e)", what, e, tol);
  cr_expect(e <= tol, "%s: relative error %.3e > %.0e", what, e, tol);
  return e;
}

static double expect_close_scalar(const char *what, double a, double b, double tol) {
  const double e = fabs(a - b) / fmax(fabs(b), 1e-300);
  cr_log_info("%-40s relative error %.3e (tol %.0e) [%.17g vs %.17g]", what, e, tol, a, b);
  cr_expect(e <= tol || a == b, "%s: %.17g vs %.17g, relative error %.3e > %.0e", what, a, b, e,
            tol);
  return e;
}

/* |a - b| against `scale`, the size of the rounding of b: for a sum, the sum of the absolute
   values of its terms. Relative to b itself a sum that cancels (a dot product of random
   vectors near zero) would fail on rounding alone. */
static double expect_close_scaled(const char *what, double a, double b, double scale, double tol) {
  const double e = fabs(a - b) / fmax(scale, 1e-300);
  cr_log_info("%-40s error / scale %.3e (tol %.0e) [%.17g vs %.17g]", what, e, tol, a, b);
  cr_expect(e <= tol || a == b, "%s: %.17g vs %.17g, error / scale %.3e > %.0e", what, a, b, e,
            tol);
  return e;
}

static sgfblo_real *hvec(int64_t n) {
  sgfblo_real *v = calloc((size_t)(n > 0 ? n : 1), sizeof *v);
  cr_assert_not_null(v);
  return v;
}

static sgfblo_real *hrand(int64_t n, uint64_t seed, double scale) {
  sgfblo_real *v = hvec(n);
  test_random_vector(v, n, seed, scale);
  return v;
}

/* ------------------------------------------------------- always runs -- */

Test(cuda_parity, unavailable_backend_is_reported_not_crashed) {
  sgfblo_errmsg msg = {{0}};
  sgfblo_bctx b = {.err = &msg};
  const sgfblo_ops *ops = NULL;
  const sgfblo_status st = sgfblo_backend_open(SGFBLO_BACKEND_CUDA, 0, &ops, &b);
  if (sgfblo_backend_available(SGFBLO_BACKEND_CUDA)) {
    cr_assert_eq(st, SGFBLO_OK, "open: %s", msg.msg);
    cr_expect_eq(ops->mem, SGFBLO_MEM_DEVICE);
    ops->close(&b);
    /* An ordinal that names no device is refused with a message. */
    cr_expect_eq(sgfblo_backend_open(SGFBLO_BACKEND_CUDA, 4096, &ops, &b), SGFBLO_ERR_NO_BACKEND);
    cr_expect(strstr(msg.msg, "4096"), "%s", msg.msg);
    return;
  }
  cr_expect_eq(st, SGFBLO_ERR_NO_BACKEND, "got %s", sgfblo_status_string(st));
  cr_expect(strlen(msg.msg) > 0, "NO_BACKEND without a message");
  cr_log_info("CUDA backend unavailable: %s", msg.msg);
  /* A solver asked for CUDA fails at setup with the same status. */
  sgfblo_synthetic *sp = NULL;
  cr_assert_eq(sgfblo_synthetic_random(4, 1, &sp, NULL), SGFBLO_OK);
  sgfblo_problem p;
  sgfblo_synthetic_problem(sp, &p);
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.backend = SGFBLO_BACKEND_CUDA;
  sgfblo_solver *s = NULL;
  cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
  cr_expect_eq(sgfblo_solver_setup(s, &p, &set), SGFBLO_ERR_NO_BACKEND);
  cr_expect(strlen(sgfblo_solver_last_error(s)) > 0);
  sgfblo_solver_destroy(s);
  /* So do the discrete methods, leaving x untouched. */
  sgfblo_real x[4] = {1, 2, 3, 4}, y[4] = {0, 0, 0, 0};
  sgfblo_errmsg err = {{0}};
  sgfblo_sqcqp_settings sq;
  sgfblo_sqcqp_settings_default(&sq);
  sq.backend = SGFBLO_BACKEND_CUDA;
  cr_expect_eq(sgfblo_sqcqp_run(&p, &sq, x, y, NULL, &err), SGFBLO_ERR_NO_BACKEND, "%s", err.msg);
  cr_expect(strlen(err.msg) > 0);
  sgfblo_aidbio_settings ai;
  sgfblo_aidbio_settings_default(&ai);
  ai.backend = SGFBLO_BACKEND_CUDA;
  cr_expect_eq(sgfblo_aidbio_run(&p, &ai, x, y, NULL, &err), SGFBLO_ERR_NO_BACKEND, "%s", err.msg);
  cr_expect_eq(x[0], 1);
  sgfblo_synthetic_destroy(sp);
}

/* ------------------------------------------------------------- ops table -- */

/* Both backends opened side by side. */
typedef struct {
  const sgfblo_ops *cpu, *gpu;
  sgfblo_bctx bc, bg;
  sgfblo_errmsg ec, eg;
} pair;

static void pair_open(pair *P) {
  memset(P, 0, sizeof *P);
  P->bc.err = &P->ec;
  P->bg.err = &P->eg;
  cr_assert_eq(sgfblo_backend_open(SGFBLO_BACKEND_CPU, 0, &P->cpu, &P->bc), SGFBLO_OK);
  const sgfblo_status st = sgfblo_backend_open(PEER_BACKEND, 0, &P->gpu, &P->bg);
  cr_assert_eq(st, SGFBLO_OK, "CUDA open: %s", P->eg.msg);
}

static void pair_close(pair *P) {
  P->gpu->close(&P->bg);
  P->cpu->close(&P->bc);
}

/* A device copy of host data. */
static sgfblo_real *dcopy(pair *P, const sgfblo_real *h, int64_t n) {
  sgfblo_real *d = NULL;
  cr_assert_eq(P->gpu->alloc(&P->bg, &d, n), SGFBLO_OK, "%s", P->eg.msg);
  cr_assert_eq(P->gpu->from_host(&P->bg, n, d, h), SGFBLO_OK, "%s", P->eg.msg);
  return d;
}

/* A fresh host copy of device data (caller frees). */
static sgfblo_real *hcopy(pair *P, const sgfblo_real *d, int64_t n) {
  sgfblo_real *h = hvec(n);
  cr_assert_eq(P->gpu->to_host(&P->bg, n, h, d), SGFBLO_OK, "%s", P->eg.msg);
  return h;
}

#define GPU_OK(call) cr_assert_eq((call), SGFBLO_OK, "%s: %s", #call, P.eg.msg)
#define CPU_OK(call) cr_assert_eq((call), SGFBLO_OK, "%s: %s", #call, P.ec.msg)

/* Sizes that cover one partial block, several, the grid cap of the reductions (256 blocks of
   256 threads), and the grid cap of the element-wise kernels (4096 blocks of 256): past each
   cap the kernels' grid-stride loops take more than one pass. */
static const int64_t SIZES[] = {1, 7, 256, 1000, 100003, 1052675};

Test(cuda_parity, alloc_copy_fill_transfer) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  for (size_t t = 0; t < sizeof SIZES / sizeof SIZES[0]; ++t) {
    const int64_t n = SIZES[t];
    sgfblo_real *d = NULL, *e = NULL;
    GPU_OK(P.gpu->alloc(&P.bg, &d, n));
    sgfblo_real *h = hcopy(&P, d, n);
    cr_expect_eq(test_norm_inf(h, n), 0.0, "alloc did not zero %lld reals", (long long)n);
    free(h);
    sgfblo_real *x = hrand(n, fresh_seed("copy"), 1.0);
    GPU_OK(P.gpu->from_host(&P.bg, n, d, x));
    GPU_OK(P.gpu->alloc(&P.bg, &e, n));
    GPU_OK(P.gpu->copy(&P.bg, n, d, e));
    h = hcopy(&P, e, n);
    cr_expect_eq(memcmp(h, x, sizeof *x * (size_t)n), 0, "copy / round trip not exact");
    free(h);
    const double a = -1.25 + (double)t;
    GPU_OK(P.gpu->fill(&P.bg, n, a, e));
    CPU_OK(P.cpu->fill(&P.bc, n, a, x));
    h = hcopy(&P, e, n);
    cr_expect_eq(memcmp(h, x, sizeof *x * (size_t)n), 0, "fill(%g) differs", a);
    GPU_OK(P.gpu->fill(&P.bg, n, 0.0, e));
    free(h);
    h = hcopy(&P, e, n);
    cr_expect_eq(test_norm_inf(h, n), 0.0, "fill(0) differs");
    free(h);
    free(x);
    P.gpu->release(&P.bg, d);
    P.gpu->release(&P.bg, e);
  }
  pair_close(&P);
}

Test(cuda_parity, axpby) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  for (size_t t = 0; t < sizeof SIZES / sizeof SIZES[0]; ++t) {
    const int64_t n = SIZES[t];
    const uint64_t seed = fresh_seed("axpby");
    sgfblo_real *x = hrand(n, seed, 1.0), *y = hrand(n, seed + 1, 1.0);
    sgfblo_real *dx = dcopy(&P, x, n), *dy = dcopy(&P, y, n);
    CPU_OK(P.cpu->axpby(&P.bc, n, 0.7, x, -1.3, y));
    GPU_OK(P.gpu->axpby(&P.bg, n, 0.7, dx, -1.3, dy));
    sgfblo_real *h = hcopy(&P, dy, n);
    expect_close("axpby", h, y, n, PARITY_TOL);
    free(h);
    /* c = 0 overwrites y, NaN included (as on the CPU). */
    for (int64_t i = 0; i < n; ++i) y[i] = NAN;
    GPU_OK(P.gpu->from_host(&P.bg, n, dy, y));
    CPU_OK(P.cpu->axpby(&P.bc, n, 2.0, x, 0.0, y));
    GPU_OK(P.gpu->axpby(&P.bg, n, 2.0, dx, 0.0, dy));
    h = hcopy(&P, dy, n);
    expect_close("axpby c = 0 over NaN", h, y, n, PARITY_TOL);
    free(h);
    /* y may alias x. */
    CPU_OK(P.cpu->axpby(&P.bc, n, 0.5, x, 0.25, x));
    GPU_OK(P.gpu->axpby(&P.bg, n, 0.5, dx, 0.25, dx));
    h = hcopy(&P, dx, n);
    expect_close("axpby aliased", h, x, n, PARITY_TOL);
    free(h);
    free(x);
    free(y);
    P.gpu->release(&P.bg, dx);
    P.gpu->release(&P.bg, dy);
  }
  pair_close(&P);
}

Test(cuda_parity, lincomb_all_lengths_and_alias) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  enum { KMAX = 37 }; /* more than two launches' worth of inputs */
  const int64_t n = 4099;
  const uint64_t seed = fresh_seed("lincomb");
  sgfblo_real *hX[KMAX], *dX[KMAX];
  double c[KMAX];
  sgfblo_rng r;
  sgfblo_rng_seed(&r, seed);
  for (int j = 0; j < KMAX; ++j) {
    hX[j] = hrand(n, seed + 17 * (uint64_t)j, 1.0);
    dX[j] = dcopy(&P, hX[j], n);
    c[j] = sgfblo_rng_normal(&r);
  }
  sgfblo_real *z = hvec(n), *dz = NULL;
  GPU_OK(P.gpu->alloc(&P.bg, &dz, n));
  for (int k = 1; k <= KMAX; k += (k < 8 ? 1 : 7)) {
    CPU_OK(P.cpu->lincomb(&P.bc, n, k, c, (const sgfblo_real *const *)hX, z));
    GPU_OK(P.gpu->lincomb(&P.bg, n, k, c, (const sgfblo_real *const *)dX, dz));
    sgfblo_real *h = hcopy(&P, dz, n);
    char what[64];
    snprintf(what, sizeof what, "lincomb k = %d", k);
    expect_close(what, h, z, n, PARITY_TOL);
    free(h);
  }
  /* z aliasing X[0], as the RK stages use it. */
  CPU_OK(P.cpu->lincomb(&P.bc, n, KMAX, c, (const sgfblo_real *const *)hX, hX[0]));
  GPU_OK(P.gpu->lincomb(&P.bg, n, KMAX, c, (const sgfblo_real *const *)dX, dX[0]));
  sgfblo_real *h = hcopy(&P, dX[0], n);
  expect_close("lincomb z = X[0]", h, hX[0], n, PARITY_TOL);
  free(h);
  for (int j = 0; j < KMAX; ++j) {
    free(hX[j]);
    P.gpu->release(&P.bg, dX[j]);
  }
  free(z);
  P.gpu->release(&P.bg, dz);
  pair_close(&P);
}

Test(cuda_parity, reductions) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  for (size_t t = 0; t < sizeof SIZES / sizeof SIZES[0]; ++t) {
    const int64_t n = SIZES[t];
    const uint64_t seed = fresh_seed("reductions");
    sgfblo_real *x = hrand(n, seed, 1.0), *y = hrand(n, seed + 1, 3.0),
                *e = hrand(n, seed + 2, 1e-3);
    sgfblo_real *dx = dcopy(&P, x, n), *dy = dcopy(&P, y, n), *de = dcopy(&P, e, n);
    double rc, rg;
    CPU_OK(P.cpu->dot(&P.bc, n, x, y, &rc));
    GPU_OK(P.gpu->dot(&P.bg, n, dx, dy, &rg));
    /* A dot's rounding is relative to sum |x_i y_i|, not to the (possibly small) result. */
    double scale = 0;
    for (int64_t i = 0; i < n; ++i) scale += fabs((double)x[i] * (double)y[i]);
    cr_log_info("dot n = %lld: %.17g vs %.17g, error / sum|x y| = %.3e", (long long)n, rg, rc,
                fabs(rg - rc) / scale);
    cr_expect(fabs(rg - rc) <= 1e-13 * scale, "dot n = %lld: %.17g vs %.17g", (long long)n, rg, rc);
    CPU_OK(P.cpu->nrminf(&P.bc, n, y, &rc));
    GPU_OK(P.gpu->nrminf(&P.bg, n, dy, &rg));
    cr_expect_eq(rg, rc, "nrminf n = %lld: %.17g vs %.17g", (long long)n, rg, rc);
    CPU_OK(P.cpu->err_norm(&P.bc, n, e, x, y, 1e-6, 1e-3, &rc));
    GPU_OK(P.gpu->err_norm(&P.bg, n, de, dx, dy, 1e-6, 1e-3, &rg));
    expect_close_scalar("err_norm", rg, rc, 1e-12);
    /* A NaN or Inf anywhere makes nrminf +Inf. */
    const int64_t at = n / 2;
    y[at] = NAN;
    GPU_OK(P.gpu->from_host(&P.bg, n, dy, y));
    GPU_OK(P.gpu->nrminf(&P.bg, n, dy, &rg));
    cr_expect(isinf(rg) && rg > 0, "nrminf with a NaN gave %g", rg);
    y[at] = -INFINITY;
    GPU_OK(P.gpu->from_host(&P.bg, n, dy, y));
    GPU_OK(P.gpu->nrminf(&P.bg, n, dy, &rg));
    cr_expect(isinf(rg) && rg > 0, "nrminf with -Inf gave %g", rg);
    free(x);
    free(y);
    free(e);
    P.gpu->release(&P.bg, dx);
    P.gpu->release(&P.bg, dy);
    P.gpu->release(&P.bg, de);
  }
  pair_close(&P);
}

Test(cuda_parity, gemm_every_transpose) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  const int64_t m = 37, k = 11, inner = 53;
  const uint64_t seed = fresh_seed("gemm");
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      const int64_t lda = ta ? inner : m, ldb = tb ? k : inner;
      const int64_t na = ta ? inner * m : m * inner, nb = tb ? k * inner : inner * k;
      sgfblo_real *A = hrand(na, seed + (uint64_t)(2 * ta + tb), 1.0);
      sgfblo_real *B = hrand(nb, seed + 10 + (uint64_t)(2 * ta + tb), 1.0);
      sgfblo_real *C = hrand(m * k, seed + 20, 1.0);
      sgfblo_real *dA = dcopy(&P, A, na), *dB = dcopy(&P, B, nb), *dC = dcopy(&P, C, m * k);
      CPU_OK(P.cpu->gemm(&P.bc, ta, tb, m, k, inner, 0.9, A, lda, B, ldb, -0.4, C, m));
      GPU_OK(P.gpu->gemm(&P.bg, ta, tb, m, k, inner, 0.9, dA, lda, dB, ldb, -0.4, dC, m));
      sgfblo_real *h = hcopy(&P, dC, m * k);
      char what[64];
      snprintf(what, sizeof what, "gemm transa %d transb %d", ta, tb);
      expect_close(what, h, C, m * k, PARITY_TOL);
      free(h);
      free(A);
      free(B);
      free(C);
      P.gpu->release(&P.bg, dA);
      P.gpu->release(&P.bg, dB);
      P.gpu->release(&P.bg, dC);
    }
  pair_close(&P);
}

/* A random SPD m x m matrix (column-major): B B^T / m + I, B standard normal. */
static sgfblo_real *random_spd(int64_t m, uint64_t seed) {
  sgfblo_real *B = hrand(m * m, seed, 1.0), *A = hvec(m * m);
  for (int64_t j = 0; j < m; ++j)
    for (int64_t i = 0; i < m; ++i) {
      double acc = i == j ? 1.0 : 0.0;
      for (int64_t k = 0; k < m; ++k)
        acc += (double)B[i + k * m] * (double)B[j + k * m] / (double)m;
      A[i + j * m] = (sgfblo_real)acc;
    }
  free(B);
  return A;
}

Test(cuda_parity, potrf_potrs_and_not_spd) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  const int64_t m = 45;
  const uint64_t seed = fresh_seed("potrf");
  sgfblo_real *A = random_spd(m, seed), *b = hrand(m, seed + 1, 1.0);
  sgfblo_real *dA = dcopy(&P, A, m * m), *db = dcopy(&P, b, m);
  CPU_OK(P.cpu->potrf_reserve(&P.bc, m, A));
  GPU_OK(P.gpu->potrf_reserve(&P.bg, m, dA));
  CPU_OK(P.cpu->potrf(&P.bc, m, A));
  GPU_OK(P.gpu->potrf(&P.bg, m, dA));
  sgfblo_real *h = hcopy(&P, dA, m * m);
  /* Compare the lower triangles (the upper one is not part of the factor). */
  for (int64_t j = 0; j < m; ++j)
    for (int64_t i = 0; i < j; ++i) h[i + j * m] = A[i + j * m] = 0;
  expect_close("potrf (lower factor)", h, A, m * m, PARITY_TOL);
  free(h);
  CPU_OK(P.cpu->potrs(&P.bc, m, A, b));
  GPU_OK(P.gpu->potrs(&P.bg, m, dA, db));
  h = hcopy(&P, db, m);
  expect_close("potrs", h, b, m, PARITY_TOL);
  free(h);
  /* Indefinite: one negative eigenvalue direction. */
  sgfblo_real *N = random_spd(m, seed + 2);
  N[5 + 5 * m] = -N[5 + 5 * m] - 10;
  GPU_OK(P.gpu->from_host(&P.bg, m * m, dA, N));
  cr_expect_eq(P.cpu->potrf(&P.bc, m, N), SGFBLO_ERR_NOT_SPD);
  const sgfblo_status st = P.gpu->potrf(&P.bg, m, dA);
  cr_expect_eq(st, SGFBLO_ERR_NOT_SPD, "indefinite potrf gave %s (%s)", sgfblo_status_string(st),
               P.eg.msg);
  cr_expect(strstr(P.eg.msg, "not positive definite"), "%s", P.eg.msg);
  free(A);
  free(b);
  free(N);
  P.gpu->release(&P.bg, dA);
  P.gpu->release(&P.bg, db);
  pair_close(&P);
}

Test(cuda_parity, safety_filter) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  /* Backend scalars on each side: [0] h, [1] lambda. */
  double *dsc = NULL, csc[2];
  GPU_OK(P.gpu->scalars_alloc(&P.bg, &dsc, 2));
  for (size_t t = 0; t < sizeof SIZES / sizeof SIZES[0]; ++t) {
    const int64_t n = SIZES[t];
    const uint64_t seed = fresh_seed("safety_filter");
    sgfblo_real *gf = hrand(n, seed, 1.0), *gh = hrand(n, seed + 1, 0.5), *z = hvec(n);
    sgfblo_real *dgf = dcopy(&P, gf, n), *dgh = dcopy(&P, gh, n), *dz = NULL;
    GPU_OK(P.gpu->alloc(&P.bg, &dz, n));
    for (int relaxed = 0; relaxed < 2; ++relaxed)
      for (int big_eps = 0; big_eps < 2; ++big_eps) {
        /* big_eps: h - eps^2 very negative, so the relaxed numerator clamps to 0. h reaches
           the device as a reduction result, as in a solve: h = ||s||^2 of s = (sqrt 0.3). */
        const double eps2 = big_eps ? 1e6 : 0.01;
        sgfblo_real root = (sgfblo_real)sqrt(0.3), *droot = dcopy(&P, &root, 1);
        GPU_OK(P.gpu->dot_dev(&P.bg, 1, droot, droot, dsc));
        csc[0] = (double)root * (double)root;
        double lg;
        CPU_OK(P.cpu->safety_filter(&P.bc, n, gf, gh, NULL, 0, csc, 0.35, eps2, relaxed, z,
                                    csc + 1));
        GPU_OK(P.gpu->safety_filter(&P.bg, n, dgf, dgh, NULL, 0, dsc, 0.35, eps2, relaxed, dz,
                                    dsc + 1));
        GPU_OK(P.gpu->scalars_read(&P.bg, 1, dsc + 1, &lg));
        sgfblo_real *hz = hcopy(&P, dz, n);
        char what[64];
        snprintf(what, sizeof what, "safety_filter relaxed %d eps2 %g", relaxed, eps2);
        expect_close(what, hz, z, n, PARITY_TOL);
        /* lambda's numerator -gh'gf + alpha (h - eps2) may cancel: its rounding is relative to
           sum |gh_i gf_i| + alpha |h - eps2|, and the denominator's to lambda itself. */
        double sgf = 0, sgg = 0;
        for (int64_t i = 0; i < n; ++i) {
          sgf += fabs((double)gh[i] * (double)gf[i]);
          sgg += (double)gh[i] * (double)gh[i];
        }
        const double lscale = (sgf + 0.35 * fabs(csc[0] - eps2)) / sgg + fabs(csc[1]);
        if (relaxed && big_eps)
          cr_expect_eq(lg, 0.0, "clamped lambda is %g", lg);
        else
          expect_close_scaled("safety_filter lambda", lg, csc[1], lscale, 1e-13);
        free(hz);
        /* Without a lambda output the result is the same. */
        GPU_OK(P.gpu->safety_filter(&P.bg, n, dgf, dgh, NULL, 0, dsc, 0.35, eps2, relaxed, dz,
                                    NULL));
        hz = hcopy(&P, dz, n);
        expect_close("safety_filter (no lambda out)", hz, z, n, PARITY_TOL);
        free(hz);
        P.gpu->release(&P.bg, droot);
      }
    /* h formed by the filter itself from gy (m <= n entries, as RXGF calls it): written to
       d_h as dot_dev would form it, and used for lambda. */
    {
      const int64_t m = n > 1 ? n / 2 : 1;
      sgfblo_real *gy = hrand(m, seed + 2, 0.3), *dgy = dcopy(&P, gy, m);
      double ch[2] = {0, 0}, gg[2] = {0, 0}, hs = 0;
      for (int64_t i = 0; i < m; ++i) hs += (double)gy[i] * (double)gy[i];
      for (int relaxed = 0; relaxed < 2; ++relaxed) {
        CPU_OK(P.cpu->safety_filter(&P.bc, n, gf, gh, gy, m, ch, 0.35, 0.01, relaxed, z, ch + 1));
        GPU_OK(P.gpu->safety_filter(&P.bg, n, dgf, dgh, dgy, m, dsc, 0.35, 0.01, relaxed, dz,
                                    dsc + 1));
        GPU_OK(P.gpu->scalars_read(&P.bg, 2, dsc, gg));
        cr_expect_eq(ch[0], hs, "CPU: h = ||gy||^2 (%.17g vs %.17g)", ch[0], hs);
        /* The CPU adds the m squares in order: its error is bounded by (m - 1) u h (u =
           2^-53), and with float entries (exact 48-bit squares) it is biased, 1.5e-13 of h at
           m = 5e5 in every seed tried, against 3e-14 for float64 ones. The device's blocked
           sum is much closer to h; a lost or doubled term moves h by about h / m. */
        expect_close_scaled("safety_filter h from gy", gg[0], ch[0], hs,
                            1e-13 + (double)m * 0x1p-53);
        sgfblo_real *hz = hcopy(&P, dz, n);
        expect_close("safety_filter (h from gy)", hz, z, n, PARITY_TOL);
        free(hz);
      }
      free(gy);
      P.gpu->release(&P.bg, dgy);
    }
    /* gh = 0: lambda = 0, zdot = -gf, never NaN. */
    GPU_OK(P.gpu->fill(&P.bg, n, 0.0, dgh));
    GPU_OK(P.gpu->dot_dev(&P.bg, n, dgh, dgh, dsc)); /* h = 0 */
    double lg = -1;
    GPU_OK(P.gpu->safety_filter(&P.bg, n, dgf, dgh, NULL, 0, dsc, 0.35, 0.0, 0, dz, dsc + 1));
    GPU_OK(P.gpu->scalars_read(&P.bg, 1, dsc + 1, &lg));
    cr_expect_eq(lg, 0.0);
    sgfblo_real *hz = hcopy(&P, dz, n);
    for (int64_t i = 0; i < n; ++i) gf[i] = -gf[i];
    cr_expect_eq(memcmp(hz, gf, sizeof *gf * (size_t)n), 0, "gh = 0 must give zdot = -gf");
    free(hz);
    free(gf);
    free(gh);
    free(z);
    P.gpu->release(&P.bg, dgf);
    P.gpu->release(&P.bg, dgh);
    P.gpu->release(&P.bg, dz);
  }
  P.gpu->scalars_release(&P.bg, dsc);
  pair_close(&P);
}

/* The device-scalar ops against the CPU ones: dot_dev, nrminf_dev, scalar_track_max. */
Test(cuda_parity, backend_scalars) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  double *dsc = NULL, csc[3] = {0, 0, 0}, g[3];
  GPU_OK(P.gpu->scalars_alloc(&P.bg, &dsc, 3));
  GPU_OK(P.gpu->scalars_read(&P.bg, 3, dsc, g));
  cr_expect(g[0] == 0 && g[1] == 0 && g[2] == 0, "scalars_alloc zeroes");
  for (size_t t = 0; t < sizeof SIZES / sizeof SIZES[0]; ++t) {
    const int64_t n = SIZES[t];
    const uint64_t seed = fresh_seed("backend_scalars");
    sgfblo_real *x = hrand(n, seed, 1.0), *y = hrand(n, seed + 1, 2.0);
    sgfblo_real *dx = dcopy(&P, x, n), *dy = dcopy(&P, y, n);
    CPU_OK(P.cpu->dot_dev(&P.bc, n, x, y, csc));
    CPU_OK(P.cpu->nrminf_dev(&P.bc, n, y, csc + 1));
    CPU_OK(P.cpu->scalar_track_max(&P.bc, csc + 1, 0.5, csc + 2));
    GPU_OK(P.gpu->dot_dev(&P.bg, n, dx, dy, dsc));
    GPU_OK(P.gpu->nrminf_dev(&P.bg, n, dy, dsc + 1));
    GPU_OK(P.gpu->scalar_track_max(&P.bg, dsc + 1, 0.5, dsc + 2));
    GPU_OK(P.gpu->scalars_read(&P.bg, 3, dsc, g));
    double scale = 0; /* a dot's rounding is relative to sum |x y| (see `reductions`) */
    for (int64_t i = 0; i < n; ++i) scale += fabs((double)x[i] * (double)y[i]);
    expect_close_scaled("dot_dev", g[0], csc[0], scale, 1e-13);
    cr_expect_eq(g[1], csc[1], "nrminf_dev %g vs %g", g[1], csc[1]);
    cr_expect_eq(g[2], csc[2], "track_max %g vs %g", g[2], csc[2]);
    free(x);
    free(y);
    P.gpu->release(&P.bg, dx);
    P.gpu->release(&P.bg, dy);
  }
  P.gpu->scalars_release(&P.bg, dsc);
  pair_close(&P);
}

/* The CG ops driven by hand on both backends, as sgfblo_cg_solve drives them: after every
   iteration the iterate, the residual and the scalars agree, and the state and iteration
   count are the same: running while the residual is above tol, converged (and frozen: later
   updates change nothing) once below, curvature on an indefinite operator. */
static void cg_ops_run(pair *P, int64_t m, const sgfblo_real *A, const sgfblo_real *b, double tol,
                       int iters, double want_state, const char *what) {
  sgfblo_real *x = hvec(m), *r = hvec(m), *p = hvec(m), *Ap = hvec(m);
  sgfblo_real *dA = dcopy(P, A, m * m), *db = dcopy(P, b, m);
  sgfblo_real *dx = dcopy(P, x, m), *dr = NULL, *dp = NULL, *dAp = NULL;
  double c[SGFBLO_CG_NSC] = {0}, g[SGFBLO_CG_NSC], *dc = NULL;
  cr_assert_eq(P->gpu->alloc(&P->bg, &dr, m), SGFBLO_OK, "%s", P->eg.msg);
  cr_assert_eq(P->gpu->alloc(&P->bg, &dp, m), SGFBLO_OK, "%s", P->eg.msg);
  cr_assert_eq(P->gpu->alloc(&P->bg, &dAp, m), SGFBLO_OK, "%s", P->eg.msg);
  cr_assert_eq(P->gpu->scalars_alloc(&P->bg, &dc, SGFBLO_CG_NSC), SGFBLO_OK, "%s", P->eg.msg);
  for (int64_t i = 0; i < m; ++i) x[i] = 0;
  /* x = 0: r = p = b. */
  for (int64_t i = 0; i < m; ++i) r[i] = p[i] = b[i];
  cr_assert_eq(P->gpu->copy(&P->bg, m, db, dr), SGFBLO_OK, "%s", P->eg.msg);
  cr_assert_eq(P->gpu->copy(&P->bg, m, db, dp), SGFBLO_OK, "%s", P->eg.msg);
  cr_assert_eq(P->cpu->dot_dev(&P->bc, m, b, b, c + SGFBLO_CG_BB), SGFBLO_OK);
  cr_assert_eq(P->cpu->dot_dev(&P->bc, m, r, r, c + SGFBLO_CG_RR), SGFBLO_OK);
  cr_assert_eq(P->cpu->cg_start(&P->bc, tol * tol, c), SGFBLO_OK);
  cr_assert_eq(P->gpu->dot_dev(&P->bg, m, db, db, dc + SGFBLO_CG_BB), SGFBLO_OK, "%s", P->eg.msg);
  cr_assert_eq(P->gpu->dot_dev(&P->bg, m, dr, dr, dc + SGFBLO_CG_RR), SGFBLO_OK, "%s", P->eg.msg);
  cr_assert_eq(P->gpu->cg_start(&P->bg, tol * tol, dc), SGFBLO_OK, "%s", P->eg.msg);
  for (int it = 0; it < iters; ++it) {
    cr_assert_eq(P->cpu->gemm(&P->bc, 0, 0, m, 1, m, 1.0, A, m, p, m, 0.0, Ap, m), SGFBLO_OK);
    cr_assert_eq(P->cpu->dot_dev(&P->bc, m, p, Ap, c + SGFBLO_CG_PAP), SGFBLO_OK);
    cr_assert_eq(P->cpu->cg_update_xr(&P->bc, m, c, p, Ap, x, r), SGFBLO_OK);
    cr_assert_eq(P->cpu->dot_dev(&P->bc, m, r, r, c + SGFBLO_CG_RR_NEW), SGFBLO_OK);
    cr_assert_eq(P->cpu->cg_update_p(&P->bc, m, c, r, p), SGFBLO_OK);
    cr_assert_eq(P->gpu->gemm(&P->bg, 0, 0, m, 1, m, 1.0, dA, m, dp, m, 0.0, dAp, m), SGFBLO_OK,
                 "%s", P->eg.msg);
    cr_assert_eq(P->gpu->dot_dev(&P->bg, m, dp, dAp, dc + SGFBLO_CG_PAP), SGFBLO_OK, "%s",
                 P->eg.msg);
    cr_assert_eq(P->gpu->cg_update_xr(&P->bg, m, dc, dp, dAp, dx, dr), SGFBLO_OK, "%s", P->eg.msg);
    cr_assert_eq(P->gpu->dot_dev(&P->bg, m, dr, dr, dc + SGFBLO_CG_RR_NEW), SGFBLO_OK, "%s",
                 P->eg.msg);
    cr_assert_eq(P->gpu->cg_update_p(&P->bg, m, dc, dr, dp), SGFBLO_OK, "%s", P->eg.msg);
    cr_assert_eq(P->gpu->scalars_read(&P->bg, SGFBLO_CG_NSC, dc, g), SGFBLO_OK, "%s", P->eg.msg);
    cr_expect_eq(g[SGFBLO_CG_STATE], c[SGFBLO_CG_STATE], "%s, iteration %d: state %g vs %g", what,
                 it, g[SGFBLO_CG_STATE], c[SGFBLO_CG_STATE]);
    cr_expect_eq(g[SGFBLO_CG_ITERS], c[SGFBLO_CG_ITERS], "%s, iteration %d: iters %g vs %g", what,
                 it, g[SGFBLO_CG_ITERS], c[SGFBLO_CG_ITERS]);
    if (g[SGFBLO_CG_STATE] != c[SGFBLO_CG_STATE]) break; /* the rest would only repeat it */
  }
  char name[96];
  sgfblo_real *h = hcopy(P, dx, m);
  snprintf(name, sizeof name, "%s: x", what);
  expect_close(name, h, x, m, PARITY_TOL_CG);
  free(h);
  h = hcopy(P, dr, m);
  double bn = 0;
  for (int64_t i = 0; i < m; ++i) bn = fmax(bn, fabs((double)b[i]));
  for (int64_t i = 0; i < m; ++i) /* a residual's rounding is relative to b */
    cr_expect(fabs((double)h[i] - r[i]) <= PARITY_TOL_CG * bn, "%s: r[%lld] %g vs %g", what,
              (long long)i, (double)h[i], (double)r[i]);
  free(h);
  cr_log_info("%s: state %g after %g iterations on both backends", what, c[SGFBLO_CG_STATE],
              c[SGFBLO_CG_ITERS]);
  cr_expect_eq(c[SGFBLO_CG_STATE], want_state, "%s: the CPU ended in state %g", what,
               c[SGFBLO_CG_STATE]);
  free(x);
  free(r);
  free(p);
  free(Ap);
  sgfblo_real *bufs[] = {dA, db, dx, dr, dp, dAp};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) P->gpu->release(&P->bg, bufs[i]);
  P->gpu->scalars_release(&P->bg, dc);
}

Test(cuda_parity, cg_ops) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  const int64_t m = 60;
  const uint64_t seed = fresh_seed("cg_ops");
  sgfblo_real *A = random_spd(m, seed), *b = hrand(m, seed + 1, 1.0);
  /* Far too tight to converge in 10 iterations: running throughout. */
  cg_ops_run(&P, m, A, b, 1e-30, 10, SGFBLO_CG_STATE_RUNNING, "cg running");
  /* Loose: converged well before 3 m iterations, frozen after. */
  cg_ops_run(&P, m, A, b, sizeof(sgfblo_real) == 4 ? 1e-3 : 1e-8, (int)(3 * m),
             SGFBLO_CG_STATE_CONVERGED, "cg converged");
  sgfblo_real *N = random_spd(m, seed + 2);
  /* Negative definite: p'Ap < 0 at the first iteration, on both backends alike. (An
     indefinite operator would meet it later, after steps whose small p'Ap amplify rounding
     beyond any fixed tolerance.) */
  for (int64_t i = 0; i < m; ++i) N[i + i * m] -= 40;
  cg_ops_run(&P, m, N, b, 1e-30, (int)m, SGFBLO_CG_STATE_CURVATURE, "cg curvature");
  free(A);
  free(b);
  free(N);
  pair_close(&P);
}

/* scalars_write, scalar_watch: the first value that is NaN, Inf or above the limit is kept
   with the flag, later ones leave both; the same on both backends. */
Test(cuda_parity, scalar_watch_and_write) {
  REQUIRE_PEER();
  pair P;
  pair_open(&P);
  const double vals[] = {0.5, 2.0, 3.0, NAN, 0.1};
  const double limit = 1.0;
  double *dv = NULL, *dw = NULL, cv[1], cw[2] = {0, 0}, g[2], zero2[2] = {0, 0};
  GPU_OK(P.gpu->scalars_alloc(&P.bg, &dv, 1));
  GPU_OK(P.gpu->scalars_alloc(&P.bg, &dw, 2));
  GPU_OK(P.gpu->scalars_write(&P.bg, 2, zero2, dw));
  for (size_t k = 0; k < sizeof vals / sizeof vals[0]; ++k) {
    cv[0] = vals[k];
    CPU_OK(P.cpu->scalar_watch(&P.bc, cv, limit, cw));
    GPU_OK(P.gpu->scalars_write(&P.bg, 1, vals + k, dv));
    GPU_OK(P.gpu->scalars_read(&P.bg, 1, dv, g));
    cr_expect(g[0] == vals[k] || (isnan(g[0]) && isnan(vals[k])), "scalars_write %g read %g",
              vals[k], g[0]);
    GPU_OK(P.gpu->scalar_watch(&P.bg, dv, limit, dw));
    GPU_OK(P.gpu->scalars_read(&P.bg, 2, dw, g));
    cr_expect_eq(g[0], cw[0], "after %g: flag %g vs %g", vals[k], g[0], cw[0]);
    cr_expect_eq(g[1], cw[1], "after %g: value %g vs %g", vals[k], g[1], cw[1]);
  }
  cr_expect_eq(cw[0], 1.0, "the CPU watch saw 2.0 > 1");
  cr_expect_eq(cw[1], 2.0, "and kept the first value past the limit");
  P.gpu->scalars_release(&P.bg, dv);
  P.gpu->scalars_release(&P.bg, dw);
  pair_close(&P);
}

/* ------------------------------------------------------------- problems -- */

/* A small hyper-cleaning instance from a seed (features scaled so softmax is not flat). */
typedef struct {
  sgfblo_hyperclean *hc;
  sgfblo_real *A, *Av;
  int32_t *b, *bv;
} hc_instance;

/* ... whose CUDA copy runs its products as `pass` says. */
static hc_instance hc_make_pass(int64_t N, int64_t Nv, int64_t d, int64_t C, uint64_t seed,
                                sgfblo_hc_device_pass pass) {
  hc_instance in;
  sgfblo_rng r;
  sgfblo_rng_seed(&r, seed);
  in.A = hrand(N * d, seed + 1, 1.5);
  in.Av = hrand(Nv * d, seed + 2, 1.5);
  in.b = malloc(sizeof *in.b * (size_t)N);
  in.bv = malloc(sizeof *in.bv * (size_t)Nv);
  cr_assert(in.b && in.bv);
  for (int64_t i = 0; i < N; ++i) in.b[i] = (int32_t)sgfblo_rng_below(&r, (uint64_t)C);
  for (int64_t j = 0; j < Nv; ++j) in.bv[j] = (int32_t)sgfblo_rng_below(&r, (uint64_t)C);
  const sgfblo_hyperclean_data data = {.N = N,
                                       .Nv = Nv,
                                       .d = d,
                                       .C = C,
                                       .A = in.A,
                                       .labels = in.b,
                                       .Av = in.Av,
                                       .val_labels = in.bv,
                                       .lambda = 0.01,
                                       .device_pass = pass};
  sgfblo_errmsg err = {{0}};
  in.hc = NULL;
  cr_assert_eq(sgfblo_hyperclean_create(&data, &in.hc, &err), SGFBLO_OK, "%s", err.msg);
  return in;
}

static hc_instance hc_make(int64_t N, int64_t Nv, int64_t d, int64_t C, uint64_t seed) {
  return hc_make_pass(N, Nv, d, C, seed, SGFBLO_HC_DEVICE_PASS_DEFAULT);
}

static void hc_free(hc_instance *in) {
  sgfblo_hyperclean_destroy(in->hc);
  free(in->A);
  free(in->Av);
  free(in->b);
  free(in->bv);
}

/* Every callback of p on device memory (through the prepare hook, as setup does) against the
   same callback on host memory, at a random point. */
static void check_device_oracles_dense(const char *name, const sgfblo_problem *p, uint64_t seed,
                                       int dense) {
  pair P;
  pair_open(&P);
  const int64_t n = p->n, m = p->m, mx = n > m ? n : m;
  const sgfblo_eval_ctx hctx = {SGFBLO_MEM_HOST, NULL, p->user_data, NULL};
  const sgfblo_eval_ctx dctx = {SGFBLO_MEM_DEVICE, P.bg.stream, p->user_data, NULL};
  cr_assert_not_null(p->prepare);
  cr_assert_eq(p->prepare(0, &hctx), 0);
  cr_assert_eq(p->prepare(0, &dctx), 0, "%s: prepare on the device failed", name);
  cr_assert_eq(p->prepare(0, &dctx), 0, "%s: prepare is not idempotent", name);
  sgfblo_real *x = hrand(n, seed, 1.0), *y = hrand(m, seed + 1, 1.0);
  sgfblo_real *u = hrand(n, seed + 2, 1.0), *v = hrand(m, seed + 3, 1.0);
  sgfblo_real *dx = dcopy(&P, x, n), *dy = dcopy(&P, y, m), *du = dcopy(&P, u, n),
              *dv = dcopy(&P, v, m);
  const int64_t na = dense ? mx * mx : 2 * mx; /* the dense outputs, or two vectors */
  sgfblo_real *ha = hvec(na), *hb = hvec(mx), *da = NULL, *db = NULL;
  GPU_OK(P.gpu->alloc(&P.bg, &da, na));
  GPU_OK(P.gpu->alloc(&P.bg, &db, mx));
  char what[96];
#define CMP(label, len, hout, dout)                      \
  do {                                                   \
    sgfblo_real *got_ = hcopy(&P, (dout), (len));        \
    snprintf(what, sizeof what, "%s %s", name, label);   \
    expect_close(what, got_, (hout), (len), PARITY_TOL); \
    free(got_);                                          \
  } while (0)
  sgfblo_real fh = 0, fd = 0;
  cr_assert_eq(p->f_val(x, y, &fh, &hctx), 0);
  cr_assert_eq(p->f_val(dx, dy, &fd, &dctx), 0);
  snprintf(what, sizeof what, "%s f_val", name);
  expect_close_scalar(what, (double)fd, (double)fh, PARITY_TOL);
  if (p->g_val) {
    cr_assert_eq(p->g_val(x, y, &fh, &hctx), 0);
    cr_assert_eq(p->g_val(dx, dy, &fd, &dctx), 0);
    snprintf(what, sizeof what, "%s g_val", name);
    expect_close_scalar(what, (double)fd, (double)fh, PARITY_TOL);
  }
  /* The outputs hold garbage first: every entry must be written (a zero grad_x f too). */
  GPU_OK(P.gpu->fill(&P.bg, na, 7.0, da));
  GPU_OK(P.gpu->fill(&P.bg, mx, 7.0, db));
  cr_assert_eq(p->grad_f(x, y, ha, hb, &hctx), 0);
  cr_assert_eq(p->grad_f(dx, dy, da, db, &dctx), 0);
  CMP("grad_x f", n, ha, da);
  CMP("grad_y f", m, hb, db);
  GPU_OK(P.gpu->fill(&P.bg, mx, 7.0, db));
  cr_assert_eq(p->grad_f(x, y, NULL, hb, &hctx), 0); /* one block only, each way */
  cr_assert_eq(p->grad_f(dx, dy, NULL, db, &dctx), 0);
  CMP("grad_y f alone", m, hb, db);
  GPU_OK(P.gpu->fill(&P.bg, na, 7.0, da));
  cr_assert_eq(p->grad_f(x, y, ha, NULL, &hctx), 0);
  cr_assert_eq(p->grad_f(dx, dy, da, NULL, &dctx), 0);
  CMP("grad_x f alone", n, ha, da);
  GPU_OK(P.gpu->fill(&P.bg, na, 7.0, da));
  GPU_OK(P.gpu->fill(&P.bg, mx, 7.0, db));
  cr_assert_eq(p->grad_g(x, y, ha, hb, &hctx), 0);
  cr_assert_eq(p->grad_g(dx, dy, da, db, &dctx), 0);
  CMP("grad_x g", n, ha, da);
  CMP("grad_y g", m, hb, db);
  GPU_OK(P.gpu->fill(&P.bg, mx, 7.0, db));
  cr_assert_eq(p->grad_g(x, y, NULL, hb, &hctx), 0); /* one block only */
  cr_assert_eq(p->grad_g(dx, dy, NULL, db, &dctx), 0);
  CMP("grad_y g alone", m, hb, db);
  cr_assert_eq(p->hyy_mv(x, y, v, hb, &hctx), 0);
  cr_assert_eq(p->hyy_mv(dx, dy, dv, db, &dctx), 0);
  CMP("Hyy v", m, hb, db);
  cr_assert_eq(p->jyx_mv(x, y, u, hb, &hctx), 0);
  cr_assert_eq(p->jyx_mv(dx, dy, du, db, &dctx), 0);
  CMP("Jyx u", m, hb, db);
  cr_assert_eq(p->jyxT_mv(x, y, v, hb, &hctx), 0);
  cr_assert_eq(p->jyxT_mv(dx, dy, dv, db, &dctx), 0);
  CMP("Jyx^T v", n, hb, db);
  if (p->curv_mv) { /* qx in hb, qy in ha */
    cr_assert_eq(p->curv_mv(x, y, v, hb, ha, &hctx), 0);
    cr_assert_eq(p->curv_mv(dx, dy, dv, db, da, &dctx), 0);
    CMP("fused Jyx^T v", n, hb, db);
    CMP("fused Hyy v", m, ha, da);
  }
  if (p->grad_g_curv) { /* gy in ha[0..m), qx in hb, qy in ha[m..2m) */
    sgfblo_real *dq = NULL;
    GPU_OK(P.gpu->alloc(&P.bg, &dq, m));
    cr_assert_eq(p->grad_g_curv(x, y, ha, hb, ha + m, &hctx), 0);
    cr_assert_eq(p->grad_g_curv(dx, dy, da, db, dq, &dctx), 0);
    CMP("fused grad_y g", m, ha, da);
    CMP("fused Jyx^T grad_y g", n, hb, db);
    CMP("fused Hyy grad_y g", m, ha + m, dq);
    P.gpu->release(&P.bg, dq);
  }
  if (dense && p->hyy_dense) {
    cr_assert_eq(p->hyy_dense(x, y, ha, &hctx), 0);
    cr_assert_eq(p->hyy_dense(dx, dy, da, &dctx), 0);
    CMP("dense Hyy", m * m, ha, da);
  }
  if (dense && p->jyx_dense) {
    cr_assert_eq(p->jyx_dense(x, y, ha, &hctx), 0);
    cr_assert_eq(p->jyx_dense(dx, dy, da, &dctx), 0);
    CMP("dense Jyx", m * n, ha, da);
  }
#undef CMP
  sgfblo_real *bufs[] = {x, y, u, v, ha, hb};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; ++i) free(bufs[i]);
  sgfblo_real *dbufs[] = {dx, dy, du, dv, da, db};
  for (size_t i = 0; i < sizeof dbufs / sizeof dbufs[0]; ++i) P.gpu->release(&P.bg, dbufs[i]);
  pair_close(&P);
}

static void check_device_oracles(const char *name, const sgfblo_problem *p, uint64_t seed) {
  check_device_oracles_dense(name, p, seed, 1);
}

Test(cuda_parity, synthetic_device_oracles) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("synthetic oracles");
  sgfblo_synthetic *sp = NULL;
  cr_assert_eq(sgfblo_synthetic_random(20, seed, &sp, NULL), SGFBLO_OK);
  sgfblo_problem p;
  sgfblo_synthetic_problem(sp, &p);
  check_device_oracles("synthetic", &p, seed + 5);
  sgfblo_synthetic_destroy(sp);
}

Test(cuda_parity, hyperclean_device_oracles) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("hyperclean oracles");
  /* N > 256 so the dense Hyy runs over two row blocks. */
  hc_instance in = hc_make(300, 40, 6, 4, seed);
  sgfblo_problem p;
  sgfblo_hyperclean_problem(in.hc, &p);
  check_device_oracles("hyperclean", &p, seed + 5);
  hc_free(&in);
}

/* The fused row-block passes (kernels/hyperclean_fused.cu) against the host, over the shapes
   that reach each part of the kernel: C below and at its instance's bound (4, 10; 13 and 16
   use the C <= 16 instance), d within one, two and four features per thread (d = 6, 300, 784),
   one partial block of rows, several, and more blocks than the grid (so thread blocks take
   several, grid-strided: N = 40000), Nv not a multiple of the block height. Then the same call
   twice gives the same bits (the partial sums are added in a fixed order). */
Test(cuda_parity, hyperclean_fused_passes) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("hyperclean fused passes");
  static const int64_t shapes[][4] = {{300, 40, 6, 4},    {1000, 77, 300, 10}, {40000, 50, 82, 10},
                                      {700, 33, 784, 10}, {500, 20, 40, 13},   {90, 31, 200, 16}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; ++s) {
    const int64_t *sh = shapes[s];
    hc_instance in = hc_make_pass(sh[0], sh[1], sh[2], sh[3], seed + 17 * s,
                                  SGFBLO_HC_DEVICE_PASS_FUSED);
    sgfblo_problem p;
    sgfblo_hyperclean_problem(in.hc, &p);
    sgfblo_errmsg err = {{0}};
    cr_assert_eq(sgfblo_hyperclean_to_device(in.hc, 0, &err), SGFBLO_OK, "%s", err.msg);
    cr_assert_eq(sgfblo_hyperclean_device_pass(in.hc), SGFBLO_HC_DEVICE_PASS_FUSED,
                 "N %lld d %lld C %lld: the fused pass does not serve this shape", (long long)sh[0],
                 (long long)sh[2], (long long)sh[3]);
    char name[64];
    snprintf(name, sizeof name, "fused N %lld d %lld C %lld", (long long)sh[0], (long long)sh[2],
             (long long)sh[3]);
    check_device_oracles_dense(name, &p, seed + 17 * s + 5, sh[2] * sh[3] <= 400);
    /* Same bits on a second call. */
    pair P;
    pair_open(&P);
    const sgfblo_eval_ctx dctx = {SGFBLO_MEM_DEVICE, P.bg.stream, p.user_data, NULL};
    const int64_t n = p.n, m = p.m;
    sgfblo_real *x = hrand(n, seed + 3, 1.0), *y = hrand(m, seed + 4, 1.0);
    sgfblo_real *dx = dcopy(&P, x, n), *dy = dcopy(&P, y, m), *dg[2], *dqx[2], *dqy[2];
    for (int r = 0; r < 2; ++r) {
      GPU_OK(P.gpu->alloc(&P.bg, &dg[r], m));
      GPU_OK(P.gpu->alloc(&P.bg, &dqx[r], n));
      GPU_OK(P.gpu->alloc(&P.bg, &dqy[r], m));
      cr_assert_eq(p.grad_g_curv(dx, dy, dg[r], dqx[r], dqy[r], &dctx), 0);
    }
    sgfblo_real *g0 = hcopy(&P, dg[0], m), *g1 = hcopy(&P, dg[1], m);
    sgfblo_real *q0 = hcopy(&P, dqy[0], m), *q1 = hcopy(&P, dqy[1], m);
    cr_expect_eq(memcmp(g0, g1, sizeof *g0 * (size_t)m), 0, "%s: grad_y g differs run to run",
                 name);
    cr_expect_eq(memcmp(q0, q1, sizeof *q0 * (size_t)m), 0, "%s: Hyy grad_y g differs run to run",
                 name);
    sgfblo_real *hb[] = {x, y, g0, g1, q0, q1};
    for (size_t i = 0; i < sizeof hb / sizeof hb[0]; ++i) free(hb[i]);
    sgfblo_real *db[] = {dx, dy, dg[0], dg[1], dqx[0], dqx[1], dqy[0], dqy[1]};
    for (size_t i = 0; i < sizeof db / sizeof db[0]; ++i) P.gpu->release(&P.bg, db[i]);
    pair_close(&P);
    hc_free(&in);
  }
}

/* A shape the fused pass does not serve (C > 16) keeps the cuBLAS GEMMs and says so. */
Test(cuda_parity, hyperclean_fused_falls_back_to_cublas) {
  REQUIRE_CUDA();
  hc_instance in = hc_make_pass(50, 10, 3, 17, fresh_seed("fused fallback"),
                                SGFBLO_HC_DEVICE_PASS_FUSED);
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_hyperclean_to_device(in.hc, 0, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(sgfblo_hyperclean_device_pass(in.hc), SGFBLO_HC_DEVICE_PASS_CUBLAS);
  hc_free(&in);
  in = hc_make(50, 10, 3, 4, 7);
  cr_assert_eq(sgfblo_hyperclean_to_device(in.hc, 0, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(sgfblo_hyperclean_device_pass(in.hc), SGFBLO_HC_DEVICE_PASS_CUBLAS,
               "the default is cuBLAS");
  hc_free(&in);
}

/* --------------------------------------------------------- vector fields -- */

static sgfblo_settings parity_settings(sgfblo_method m, sgfblo_backend b) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.backend = b;
  set.method = m;
  set.alpha = 0.7;
  set.epsilon = 0.3;
  set.beta = 1.3;
  set.mu1 = 0.8;
  set.mu2 = 1.7;
  set.cg_tol = PARITY_CG_TOL;
  set.cg_maxit = 2000;
  set.linsolve = SGFBLO_LINSOLVE_CHOL; /* PC / STABLE: a direct Hyy solve, comparable to rounding */
  return set;
}

static sgfblo_solver *setup_ok(const sgfblo_problem *p, const sgfblo_settings *set) {
  sgfblo_solver *s = NULL;
  cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
  const sgfblo_status st = sgfblo_solver_setup(s, p, set);
  cr_assert_eq(st, SGFBLO_OK, "setup (%s, backend %d): %s: %s", sgfblo_method_name(set->method),
               (int)set->backend, sgfblo_status_string(st), sgfblo_solver_last_error(s));
  return s;
}

static void check_rhs_every_method(const char *name, const sgfblo_problem *p, uint64_t seed,
                                   double zscale) {
  const int64_t nz = p->n + p->m;
  for (int mi = 0; mi < SGFBLO_METHOD_COUNT_; ++mi) {
    const sgfblo_method m = (sgfblo_method)mi;
    sgfblo_settings sc = parity_settings(m, SGFBLO_BACKEND_CPU);
    sgfblo_settings sg = parity_settings(m, SGFBLO_BACKEND_CUDA);
    sgfblo_solver *cpu = setup_ok(p, &sc), *gpu = setup_ok(p, &sg);
    for (int rep = 0; rep < 2; ++rep) {
      sgfblo_real *z = hrand(nz, seed + (uint64_t)(10 * mi + rep), zscale);
      sgfblo_real *vc = hvec(nz), *vg = hvec(nz);
      sgfblo_status st = sgfblo_solver_eval_rhs(cpu, z, vc);
      cr_assert_eq(st, SGFBLO_OK, "CPU rhs %s: %s", sgfblo_method_name(m),
                   sgfblo_solver_last_error(cpu));
      st = sgfblo_solver_eval_rhs(gpu, z, vg);
      cr_assert_eq(st, SGFBLO_OK, "CUDA rhs %s: %s", sgfblo_method_name(m),
                   sgfblo_solver_last_error(gpu));
      char what[96];
      snprintf(what, sizeof what, "%s rhs %s #%d", name, sgfblo_method_name(m), rep);
      expect_close(what, vg, vc, nz, m == SGFBLO_METHOD_SGF_CG ? PARITY_TOL_CG : PARITY_TOL);
      free(z);
      free(vc);
      free(vg);
    }
    sgfblo_solver_destroy(cpu);
    sgfblo_solver_destroy(gpu);
  }
}

Test(cuda_parity, synthetic_rhs_every_method) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("synthetic rhs");
  sgfblo_synthetic *sp = NULL;
  cr_assert_eq(sgfblo_synthetic_random(20, seed, &sp, NULL), SGFBLO_OK);
  sgfblo_problem p;
  sgfblo_synthetic_problem(sp, &p);
  check_rhs_every_method("synthetic", &p, seed + 3, 1.0);
  sgfblo_synthetic_destroy(sp);
}

Test(cuda_parity, hyperclean_rhs_every_method) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("hyperclean rhs");
  hc_instance in = hc_make(80, 30, 5, 3, seed);
  sgfblo_problem p;
  sgfblo_hyperclean_problem(in.hc, &p);
  check_rhs_every_method("hyperclean", &p, seed + 3, 0.5);
  hc_free(&in);
  in = hc_make_pass(300, 30, 20, 10, seed + 1, SGFBLO_HC_DEVICE_PASS_FUSED);
  sgfblo_hyperclean_problem(in.hc, &p);
  check_rhs_every_method("hyperclean fused", &p, seed + 4, 0.5);
  hc_free(&in);
}

/* ------------------------------------------------------------ trajectory -- */

/* The same RK4 solve on both backends: same exit, same counts, states within tolerance. */
static void check_trajectory(const char *name, const sgfblo_problem *p, sgfblo_method m,
                             int64_t steps, double dt) {
  sgfblo_settings sc = parity_settings(m, SGFBLO_BACKEND_CPU);
  sc.integrator = SGFBLO_INTEG_RK4;
  sc.dt = dt;
  sc.t_final = dt * (double)steps;
  sc.monitor_every = 10;
  sgfblo_settings sg = sc;
  sg.backend = SGFBLO_BACKEND_CUDA;
  sgfblo_solver *cpu = setup_ok(p, &sc), *gpu = setup_ok(p, &sg);
  sgfblo_status st = sgfblo_solver_solve(cpu);
  cr_assert_eq(st, SGFBLO_OK, "CPU solve: %s", sgfblo_solver_last_error(cpu));
  st = sgfblo_solver_solve(gpu);
  cr_assert_eq(st, SGFBLO_OK, "CUDA solve: %s", sgfblo_solver_last_error(gpu));
  sgfblo_info ic, ig;
  sgfblo_solver_get_info(cpu, &ic);
  sgfblo_solver_get_info(gpu, &ig);
  cr_expect_eq(ig.exit_flag, ic.exit_flag);
  cr_expect_eq(ig.last.step, ic.last.step);
  cr_expect_eq(ig.last.n_rhs, ic.last.n_rhs);
  cr_expect_eq(ig.n_grad, ic.n_grad);
  cr_expect_eq(ig.n_prod, ic.n_prod);
  const int64_t nz = p->n + p->m;
  sgfblo_real *zc = hvec(nz), *zg = hvec(nz);
  cr_assert_eq(sgfblo_solver_get_state(cpu, zc, zc + p->n), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_get_state(gpu, zg, zg + p->n), SGFBLO_OK);
  char what[96];
  snprintf(what, sizeof what, "%s %s RK4 %lld steps: state", name, sgfblo_method_name(m),
           (long long)steps);
  expect_close(what, zg, zc, nz, 100 * PARITY_TOL);
  snprintf(what, sizeof what, "%s %s RK4: final f", name, sgfblo_method_name(m));
  expect_close_scalar(what, ig.last.f, ic.last.f, 100 * PARITY_TOL);
  /* SGF-Cholesky keeps grad_y g = 0 from the start (0, 0) of the synthetic problem, so its
     final norm is rounding (1e-16 in float64, 1e-7 in float32) and differs between the
     backends relative to itself: measure it against the state, the scale of that rounding. */
  snprintf(what, sizeof what, "%s %s RK4: final ||grad_y g||", name, sgfblo_method_name(m));
  expect_close_scaled(what, ig.last.grad_g_norm, ic.last.grad_g_norm,
                      fmax(fabs(ic.last.grad_g_norm), test_norm2(zc, nz)), 100 * PARITY_TOL);
  free(zc);
  free(zg);
  sgfblo_solver_destroy(cpu);
  sgfblo_solver_destroy(gpu);
}

Test(cuda_parity, rk4_trajectory) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("trajectory");
  sgfblo_synthetic *sp = NULL;
  cr_assert_eq(sgfblo_synthetic_random(20, seed, &sp, NULL), SGFBLO_OK);
  sgfblo_problem p;
  sgfblo_synthetic_problem(sp, &p);
  check_trajectory("synthetic", &p, SGFBLO_METHOD_RXGF, 200, 0.05);
  check_trajectory("synthetic", &p, SGFBLO_METHOD_SGF_CHOL, 100, 0.05);
  sgfblo_synthetic_destroy(sp);
  hc_instance in = hc_make(120, 40, 5, 3, seed + 1);
  sgfblo_hyperclean_problem(in.hc, &p);
  check_trajectory("hyperclean", &p, SGFBLO_METHOD_RXGF, 20, 1.0);
  hc_free(&in);
  in = hc_make_pass(120, 40, 5, 3, seed + 1, SGFBLO_HC_DEVICE_PASS_FUSED);
  sgfblo_hyperclean_problem(in.hc, &p);
  check_trajectory("hyperclean fused", &p, SGFBLO_METHOD_RXGF, 20, 1.0);
  hc_free(&in);
}

/* A step replayed from a CUDA Graph runs the same kernels with the same arguments as the
   step launched from the host, so the two trajectories agree bit for bit, with the same
   counts; only n_graph_steps tells them apart. t_final is not a multiple of dt, so the last
   (shorter) step runs from the host in both. */
static void check_graph_matches_host(const char *name, const sgfblo_problem *p, sgfblo_method m,
                                     double dt, double t_final) {
  sgfblo_settings sg = parity_settings(m, SGFBLO_BACKEND_CUDA);
  sg.integrator = SGFBLO_INTEG_RK4;
  sg.dt = dt;
  sg.t_final = t_final;
  sg.monitor_every = 7;
  sgfblo_settings sh = sg;
  sh.cuda_graph = 0;
  sgfblo_solver *graph = setup_ok(p, &sg), *host = setup_ok(p, &sh);
  cr_assert_eq(sgfblo_solver_solve(graph), SGFBLO_OK, "%s", sgfblo_solver_last_error(graph));
  cr_assert_eq(sgfblo_solver_solve(host), SGFBLO_OK, "%s", sgfblo_solver_last_error(host));
  sgfblo_info ig, ih;
  sgfblo_solver_get_info(graph, &ig);
  sgfblo_solver_get_info(host, &ih);
  cr_log_info("%s %s: %lld of %lld steps replayed from a graph of %lld nodes", name,
              sgfblo_method_name(m), (long long)ig.n_graph_steps, (long long)ig.last.step,
              (long long)ig.graph_nodes);
  cr_expect_gt(ig.n_graph_steps, 0, "%s: no step was replayed", name);
  cr_expect_lt(ig.n_graph_steps, ig.last.step, "%s: the short last step is not replayed", name);
  cr_expect_eq(ih.n_graph_steps, 0);
  /* At least the filter's two kernels in each of the 4 RHS and the 4 stage sums. */
  cr_expect_geq(ig.graph_nodes, 4 * 2 + 4, "%s: a step graph of %lld nodes", name,
                (long long)ig.graph_nodes);
  cr_expect_eq(ih.graph_nodes, 0, "no graph recorded without graphs");
  cr_expect_eq(ig.last.step, ih.last.step);
  cr_expect_eq(ig.last.n_rhs, ih.last.n_rhs);
  cr_expect_eq(ig.n_grad, ih.n_grad);
  cr_expect_eq(ig.n_prod, ih.n_prod);
  cr_expect_eq(ig.max_h_excess, ih.max_h_excess);
  cr_expect_eq(ig.last.zdot_norm, ih.last.zdot_norm);
  const int64_t nz = p->n + p->m;
  sgfblo_real *zg = hvec(nz), *zh = hvec(nz);
  cr_assert_eq(sgfblo_solver_get_state(graph, zg, zg + p->n), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_get_state(host, zh, zh + p->n), SGFBLO_OK);
  cr_expect_eq(memcmp(zg, zh, sizeof *zg * (size_t)nz), 0, "%s %s: graph and host states differ",
               name, sgfblo_method_name(m));
  free(zg);
  free(zh);
  sgfblo_solver_destroy(graph);
  sgfblo_solver_destroy(host);
}

Test(cuda_parity, graph_replay_matches_host_launches) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("graph");
  sgfblo_synthetic *sp = NULL;
  cr_assert_eq(sgfblo_synthetic_random(20, seed, &sp, NULL), SGFBLO_OK);
  sgfblo_problem p;
  sgfblo_synthetic_problem(sp, &p);
  check_graph_matches_host("synthetic", &p, SGFBLO_METHOD_RXGF, 0.05, 3.0 + 0.02);
  check_graph_matches_host("synthetic", &p, SGFBLO_METHOD_INVFREE, 0.05, 1.0 + 0.02);
  sgfblo_synthetic_destroy(sp);
  hc_instance in = hc_make(500, 100, 9, 4, seed + 1);
  sgfblo_hyperclean_problem(in.hc, &p);
  check_graph_matches_host("hyperclean", &p, SGFBLO_METHOD_RXGF, 1.0, 30.5);
  hc_free(&in);
  in = hc_make_pass(500, 100, 9, 4, seed + 1, SGFBLO_HC_DEVICE_PASS_FUSED);
  sgfblo_hyperclean_problem(in.hc, &p);
  check_graph_matches_host("hyperclean fused", &p, SGFBLO_METHOD_RXGF, 1.0, 30.5);
  hc_free(&in);
}

/* Setting up, solving and destroying CUDA solvers on a hyper-cleaning problem, then destroying
   the problem (which holds the device copy of its data), gives back every device byte: with the
   cuBLAS and the fused passes, and with SGF-Cholesky's dense workspaces. A first cycle runs
   before the measured one, so that what a device keeps after first use (loaded modules,
   library state) is not counted. The emulation counts bytes exactly; a GPU rounds allocations
   to pages, where a small leak may not show. */
static size_t device_free_bytes(void) {
  size_t f = 0;
#ifdef SGFBLO_HAVE_CUDA
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_cuda_mem_free(&f, &err), SGFBLO_OK, "%s", err.msg);
#endif
  return f;
}

static void hyperclean_cycle(sgfblo_hc_device_pass pass, uint64_t seed) {
  static const sgfblo_method methods[] = {SGFBLO_METHOD_RXGF, SGFBLO_METHOD_SGF_CHOL};
  hc_instance in = hc_make_pass(300, 40, 6, 4, seed, pass);
  sgfblo_problem p;
  sgfblo_hyperclean_problem(in.hc, &p);
  for (size_t k = 0; k < sizeof methods / sizeof methods[0]; ++k) {
    sgfblo_settings s = parity_settings(methods[k], SGFBLO_BACKEND_CUDA);
    s.integrator = SGFBLO_INTEG_RK4;
    s.dt = 0.5;
    s.t_final = 2.0;
    sgfblo_solver *sv = setup_ok(&p, &s);
    cr_assert_eq(sgfblo_solver_solve(sv), SGFBLO_OK, "%s", sgfblo_solver_last_error(sv));
    sgfblo_solver_destroy(sv);
  }
  hc_free(&in);
}

Test(cuda_parity, teardown_frees_device_memory) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("teardown");
  static const sgfblo_hc_device_pass passes[] = {SGFBLO_HC_DEVICE_PASS_CUBLAS,
                                                 SGFBLO_HC_DEVICE_PASS_FUSED};
  for (size_t i = 0; i < sizeof passes / sizeof passes[0]; ++i) {
    hyperclean_cycle(passes[i], seed);
    const size_t before = device_free_bytes();
    hyperclean_cycle(passes[i], seed);
    const size_t after = device_free_bytes();
    cr_log_info("teardown, device pass %d: %zu bytes free before, %zu after", (int)passes[i],
                before, after);
    cr_expect_eq(after, before, "device pass %d: %lld device bytes not given back",
                 (int)passes[i], (long long)before - (long long)after);
  }
}

/* The discrete methods on both backends from the same start: the same iterations and counts,
   iterates within tolerance (SQCQP's line search takes the same branches as long as its
   tests do not fall within rounding of their thresholds, which random starts make unlikely).
   AID-BiO's outer step (0.01) is small enough for its iteration to contract: on the synthetic
   problem (Hyy = H^T H, eigenvalues down to 0.01) a step of 0.05 makes the 20 iterations
   amplify a perturbation of the start by up to 1e8, so rounding alone parts the backends. */
static void check_discrete(const char *name, const sgfblo_problem *p, uint64_t seed) {
  const int64_t n = p->n, m = p->m;
  sgfblo_real *x0 = hrand(n, seed, 0.3), *y0 = hrand(m, seed + 1, 0.3);
  sgfblo_real *xc = hvec(n), *yc = hvec(m), *xg = hvec(n), *yg = hvec(m);
  for (int method = 0; method < 2; ++method) {
    sgfblo_info ic, ig;
    sgfblo_errmsg ec = {{0}}, eg = {{0}};
    memcpy(xc, x0, sizeof *xc * (size_t)n);
    memcpy(yc, y0, sizeof *yc * (size_t)m);
    memcpy(xg, x0, sizeof *xg * (size_t)n);
    memcpy(yg, y0, sizeof *yg * (size_t)m);
    sgfblo_status sc, sg;
    if (method == 0) {
      sgfblo_sqcqp_settings set;
      sgfblo_sqcqp_settings_default(&set);
      set.max_iters = 30;
      sc = sgfblo_sqcqp_run(p, &set, xc, yc, &ic, &ec);
      set.backend = SGFBLO_BACKEND_CUDA;
      sg = sgfblo_sqcqp_run(p, &set, xg, yg, &ig, &eg);
    } else {
      sgfblo_aidbio_settings set;
      sgfblo_aidbio_settings_default(&set);
      set.max_iters = 20;
      set.beta_out = 0.01;
      sc = sgfblo_aidbio_run(p, &set, xc, yc, &ic, &ec);
      set.backend = SGFBLO_BACKEND_CUDA;
      sg = sgfblo_aidbio_run(p, &set, xg, yg, &ig, &eg);
    }
    const char *mname = method == 0 ? "sqcqp" : "aidbio";
    cr_assert_eq(sc, SGFBLO_OK, "%s %s CPU: %s", name, mname, ec.msg);
    cr_assert_eq(sg, SGFBLO_OK, "%s %s CUDA: %s", name, mname, eg.msg);
    cr_expect_eq(ig.exit_flag, ic.exit_flag);
    cr_expect_eq(ig.last.step, ic.last.step);
    cr_expect_eq(ig.n_grad, ic.n_grad, "%s %s: line-search branches differ", name, mname);
#ifdef SGFBLO_USE_FLOAT
    /* In float32 AID-BiO's CG steps reach their residual floor (4 eps), where r'r is rounding
       and the two backends may stop one step apart: at most one product per iteration. */
    if (method == 1)
      cr_expect(llabs(ig.n_prod - ic.n_prod) <= ic.last.step, "%s %s: n_prod %lld vs %lld", name,
                mname, (long long)ig.n_prod, (long long)ic.n_prod);
    else
#endif
      cr_expect_eq(ig.n_prod, ic.n_prod, "%s %s: n_prod %lld vs %lld", name, mname,
                   (long long)ig.n_prod, (long long)ic.n_prod);
    char what[96];
    snprintf(what, sizeof what, "%s %s: x", name, mname);
    expect_close(what, xg, xc, n, 100 * PARITY_TOL);
    snprintf(what, sizeof what, "%s %s: y", name, mname);
    expect_close(what, yg, yc, m, 100 * PARITY_TOL);
  }
  free(x0);
  free(y0);
  free(xc);
  free(yc);
  free(xg);
  free(yg);
}

Test(cuda_parity, sqcqp_and_aidbio_runs) {
  REQUIRE_CUDA();
  const uint64_t seed = fresh_seed("discrete");
  sgfblo_synthetic *sp = NULL;
  cr_assert_eq(sgfblo_synthetic_random(20, seed, &sp, NULL), SGFBLO_OK);
  sgfblo_problem p;
  sgfblo_synthetic_problem(sp, &p);
  check_discrete("synthetic", &p, seed + 2);
  sgfblo_synthetic_destroy(sp);
  hc_instance in = hc_make(200, 60, 6, 3, seed + 1);
  sgfblo_hyperclean_problem(in.hc, &p);
  check_discrete("hyperclean", &p, seed + 3);
  hc_free(&in);
}

/* ---------------------------------------------------------- failure paths -- */

#ifdef SGFBLO_HAVE_CUDA
/* A user problem (n = 1, m = 2) whose Hyy = diag(1, 0) is singular and Jyx = 0, so that
   J J^T = diag(1, 0) too: SGF-Cholesky must fail with SGFBLO_ERR_NOT_SPD on either backend.
   g = 1/2 y_1^2, f = 0. Its callbacks serve host and device memory; the device ones use only
   asynchronous copies and fills on ctx->stream. */
static int sing_f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                      const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  (void)ctx;
  *out = 0;
  return 0;
}

static int zero(sgfblo_real *p, int64_t n, const sgfblo_eval_ctx *ctx) {
  if (!p) return 0;
  if (ctx->mem == SGFBLO_MEM_HOST) {
    for (int64_t i = 0; i < n; ++i) p[i] = 0;
    return 0;
  }
  return sgfblo_cuda_zero_async(p, sizeof *p * (size_t)n, ctx->stream);
}

/* out = diag(1, 0) v */
static int first_only(const sgfblo_real *v, sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  if (ctx->mem == SGFBLO_MEM_HOST) {
    out[0] = v[0];
    out[1] = 0;
    return 0;
  }
  return sgfblo_cuda_copy_async(out, v, sizeof *v, ctx->stream) ||
         sgfblo_cuda_zero_async(out + 1, sizeof *out, ctx->stream);
}

static int sing_grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                       const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  return zero(gx, 1, ctx) || zero(gy, 2, ctx);
}

static int sing_grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                       const sgfblo_eval_ctx *ctx) {
  (void)x;
  return zero(gx, 1, ctx) || (gy && first_only(y, gy, ctx));
}

static int sing_hyy(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                    sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  return first_only(v, out, ctx);
}

static int sing_jyx(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *u,
                    sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  (void)u;
  return zero(out, 2, ctx);
}

static int sing_jyxT(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                     sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  (void)v;
  return zero(out, 1, ctx);
}

static int sing_jyx_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                          const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  return zero(out, 2, ctx);
}

/* Dense Hyy = diag(1, 0), column-major: the device copy is made by prepare. */
static const sgfblo_real SING_H[4] = {1, 0, 0, 0};
static sgfblo_real *sing_dev_H;

static int sing_prepare(int device_id, const sgfblo_eval_ctx *ctx) {
  (void)device_id;
  if (ctx->mem == SGFBLO_MEM_HOST || sing_dev_H) return 0;
  if (sgfblo_cuda_malloc((void **)&sing_dev_H, sizeof SING_H, NULL) != SGFBLO_OK) return 7;
  return sgfblo_cuda_upload(sing_dev_H, SING_H, sizeof SING_H, NULL) == SGFBLO_OK ? 0 : 8;
}

static int sing_hyy_dense(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                          const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  if (ctx->mem == SGFBLO_MEM_HOST) {
    memcpy(out, SING_H, sizeof SING_H);
    return 0;
  }
  return sgfblo_cuda_copy_async(out, sing_dev_H, sizeof SING_H, ctx->stream);
}

static sgfblo_problem singular_problem(void) {
  sgfblo_problem p;
  memset(&p, 0, sizeof p);
  p.n = 1;
  p.m = 2;
  p.f_val = sing_f_val;
  p.grad_f = sing_grad_f;
  p.grad_g = sing_grad_g;
  p.hyy_mv = sing_hyy;
  p.jyx_mv = sing_jyx;
  p.jyxT_mv = sing_jyxT;
  p.hyy_dense = sing_hyy_dense;
  p.jyx_dense = sing_jyx_dense;
  p.prepare = sing_prepare;
  return p;
}
#endif

Test(cuda_parity, failed_cholesky_is_not_spd_on_both_backends) {
  REQUIRE_CUDA();
#ifdef SGFBLO_HAVE_CUDA
  const sgfblo_problem p = singular_problem();
  const sgfblo_real z[3] = {0.5, 1.0, -2.0};
  sgfblo_real v[3];
  for (int b = 0; b < 2; ++b) {
    sgfblo_settings set = parity_settings(SGFBLO_METHOD_SGF_CHOL, (sgfblo_backend)b);
    sgfblo_solver *s = setup_ok(&p, &set);
    const sgfblo_status st = sgfblo_solver_eval_rhs(s, z, v);
    cr_expect_eq(st, SGFBLO_ERR_NOT_SPD, "backend %d: %s (%s)", b, sgfblo_status_string(st),
                 sgfblo_solver_last_error(s));
    cr_log_info("backend %d: %s", b, sgfblo_solver_last_error(s));
    sgfblo_solver_destroy(s);
  }
  sgfblo_cuda_free(sing_dev_H);
  sing_dev_H = NULL;
#endif
}

Test(cuda_parity, quadratic_problem_refuses_the_device_at_setup) {
  REQUIRE_CUDA();
  sgfblo_quadratic *q = NULL;
  cr_assert_eq(sgfblo_quadratic_random(3, 4, 1, &q, NULL), SGFBLO_OK);
  sgfblo_problem p;
  sgfblo_quadratic_problem(q, &p);
  sgfblo_settings set = parity_settings(SGFBLO_METHOD_RXGF, SGFBLO_BACKEND_CUDA);
  sgfblo_solver *s = NULL;
  cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
  cr_expect_eq(sgfblo_solver_setup(s, &p, &set), SGFBLO_ERR_CALLBACK);
  cr_expect(strstr(sgfblo_solver_last_error(s), "prepare"), "%s", sgfblo_solver_last_error(s));
  sgfblo_solver_destroy(s);
  sgfblo_quadratic_destroy(q);
}

/* ------------------------------------------------------- device x0 / y0 -- */

Test(cuda_parity, initial_state_in_device_memory) {
  REQUIRE_CUDA();
#ifdef SGFBLO_HAVE_CUDA
  const uint64_t seed = fresh_seed("device x0");
  const int64_t n = 20;
  sgfblo_synthetic *sp = NULL;
  cr_assert_eq(sgfblo_synthetic_random(n, seed, &sp, NULL), SGFBLO_OK);
  sgfblo_problem p;
  sgfblo_synthetic_problem(sp, &p);
  sgfblo_real *x0 = hrand(n, seed + 1, 1.0), *y0 = hrand(n, seed + 2, 1.0);
  sgfblo_real *dx0 = NULL, *dy0 = NULL;
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_cuda_set_device(0, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(sgfblo_cuda_malloc((void **)&dx0, sizeof *x0 * (size_t)n, &err), SGFBLO_OK, "%s",
               err.msg);
  cr_assert_eq(sgfblo_cuda_malloc((void **)&dy0, sizeof *y0 * (size_t)n, &err), SGFBLO_OK, "%s",
               err.msg);
  cr_assert_eq(sgfblo_cuda_upload(dx0, x0, sizeof *x0 * (size_t)n, &err), SGFBLO_OK, "%s", err.msg);
  cr_assert_eq(sgfblo_cuda_upload(dy0, y0, sizeof *y0 * (size_t)n, &err), SGFBLO_OK, "%s", err.msg);

  /* Setup deep-copies device x0 / y0: get_state gives them back exactly. */
  sgfblo_settings set = parity_settings(SGFBLO_METHOD_RXGF, SGFBLO_BACKEND_CUDA);
  set.t_final = 1.0;
  set.dt = 0.1;
  p.x0 = dx0;
  p.y0 = dy0;
  p.x0_mem = SGFBLO_MEM_DEVICE;
  sgfblo_solver *sd = setup_ok(&p, &set);
  sgfblo_real *gx = hvec(n), *gy = hvec(n);
  cr_assert_eq(sgfblo_solver_get_state(sd, gx, gy), SGFBLO_OK);
  cr_expect_eq(memcmp(gx, x0, sizeof *x0 * (size_t)n), 0, "device x0 not copied exactly");
  cr_expect_eq(memcmp(gy, y0, sizeof *y0 * (size_t)n), 0, "device y0 not copied exactly");
  /* The caller may free its copies after setup. */
  sgfblo_cuda_free(dx0);
  sgfblo_cuda_free(dy0);
  cr_assert_eq(sgfblo_solver_solve(sd), SGFBLO_OK, "%s", sgfblo_solver_last_error(sd));

  /* The same solve from host x0 / y0 ends in the same state (same backend, same arithmetic). */
  p.x0 = x0;
  p.y0 = y0;
  p.x0_mem = SGFBLO_MEM_HOST;
  sgfblo_solver *sh = setup_ok(&p, &set);
  cr_assert_eq(sgfblo_solver_solve(sh), SGFBLO_OK, "%s", sgfblo_solver_last_error(sh));
  sgfblo_real *hx = hvec(n), *hy = hvec(n);
  cr_assert_eq(sgfblo_solver_get_state(sd, gx, gy), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_get_state(sh, hx, hy), SGFBLO_OK);
  cr_expect_eq(memcmp(gx, hx, sizeof *hx * (size_t)n), 0);
  cr_expect_eq(memcmp(gy, hy, sizeof *hy * (size_t)n), 0);

  /* On CUDA a host array marked as device memory, and a device y0 shorter than m, are refused
     before they are read, with the array named. The short y0 ends m - 1 entries before the
     end of a 4 MiB allocation (a multiple of any rounding of the allocator). */
  const size_t big = (size_t)4 << 20;
  char *dbig = NULL;
  cr_assert_eq(sgfblo_cuda_malloc((void **)&dbig, big, &err), SGFBLO_OK, "%s", err.msg);
  const struct {
    const sgfblo_real *x0, *y0;
    const char *says;
  } bad[] = {{x0, NULL, "x0 ("},
             {NULL, (const sgfblo_real *)(dbig + big) - (n - 1), "y0: the allocation holds"}};
  set.backend = SGFBLO_BACKEND_CUDA;
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; ++k) {
    sgfblo_problem pb = p;
    pb.x0 = bad[k].x0;
    pb.y0 = bad[k].y0;
    pb.x0_mem = SGFBLO_MEM_DEVICE;
    sgfblo_solver *sb = NULL;
    cr_assert_eq(sgfblo_solver_create(&sb), SGFBLO_OK);
    cr_expect_eq(sgfblo_solver_setup(sb, &pb, &set), SGFBLO_ERR_INVALID_ARG, "%s",
                 sgfblo_solver_last_error(sb));
    cr_expect(strstr(sgfblo_solver_last_error(sb), bad[k].says), "want \"%s\" in: %s",
              bad[k].says, sgfblo_solver_last_error(sb));
    sgfblo_solver_destroy(sb);
  }
  sgfblo_cuda_free(dbig);

  /* A device x0 on the CPU backend is refused before it is read. */
  p.y0 = NULL;
  p.x0 = x0; /* (the pointer is never dereferenced: the check comes first) */
  p.x0_mem = SGFBLO_MEM_DEVICE;
  set.backend = SGFBLO_BACKEND_CPU;
  sgfblo_solver *sc = NULL;
  cr_assert_eq(sgfblo_solver_create(&sc), SGFBLO_OK);
  cr_expect_eq(sgfblo_solver_setup(sc, &p, &set), SGFBLO_ERR_INVALID_ARG);
  sgfblo_solver_destroy(sc);

  sgfblo_solver_destroy(sd);
  sgfblo_solver_destroy(sh);
  free(x0);
  free(y0);
  free(gx);
  free(gy);
  free(hx);
  free(hy);
  sgfblo_synthetic_destroy(sp);
#endif
}

/* ------------------------------------------- hyper-cleaning data in device memory -- */

#ifdef SGFBLO_HAVE_CUDA
/* The arrays of an hc_instance placed in device memory by the caller, as a CUDA application
   holding its data on the device would (cudaMalloc + copy). */
typedef struct {
  int64_t N, Nv, d, C;
  sgfblo_real *A, *Av;
  int32_t *b, *bv;
} dev_arrays;

static void *dev_put(const void *h, size_t bytes) {
  void *p = NULL;
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_cuda_malloc(&p, bytes, &err), SGFBLO_OK, "%s", err.msg);
  if (h) cr_assert_eq(sgfblo_cuda_upload(p, h, bytes, &err), SGFBLO_OK, "%s", err.msg);
  return p;
}

static dev_arrays dev_upload(const hc_instance *in, int64_t N, int64_t Nv, int64_t d, int64_t C) {
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_cuda_set_device(0, &err), SGFBLO_OK, "%s", err.msg);
  const size_t rs = sizeof(sgfblo_real);
  dev_arrays a = {N, Nv, d, C, NULL, NULL, NULL, NULL};
  a.A = dev_put(in->A, rs * (size_t)(N * d));
  a.Av = dev_put(in->Av, rs * (size_t)(Nv * d));
  a.b = dev_put(in->b, sizeof(int32_t) * (size_t)N);
  a.bv = dev_put(in->bv, sizeof(int32_t) * (size_t)Nv);
  return a;
}

static void dev_arrays_free(dev_arrays *a) {
  sgfblo_cuda_free(a->A);
  sgfblo_cuda_free(a->Av);
  sgfblo_cuda_free(a->b);
  sgfblo_cuda_free(a->bv);
  a->A = a->Av = NULL;
  a->b = a->bv = NULL;
}

static sgfblo_hyperclean_data dev_data(const dev_arrays *a) {
  return (sgfblo_hyperclean_data){.N = a->N,
                                  .Nv = a->Nv,
                                  .d = a->d,
                                  .C = a->C,
                                  .A = a->A,
                                  .labels = a->b,
                                  .Av = a->Av,
                                  .val_labels = a->bv,
                                  .lambda = 0.01, /* as hc_make */
                                  .mem = SGFBLO_MEM_DEVICE,
                                  .device_id = 0};
}

/* create fails with `want`, a message containing `needle`, and *out cleared. */
static void expect_dev_reject(const sgfblo_hyperclean_data *data, sgfblo_status want,
                              const char *needle) {
  sgfblo_hyperclean *hc = (sgfblo_hyperclean *)&hc;
  sgfblo_errmsg err = {{0}};
  const sgfblo_status st = sgfblo_hyperclean_create(data, &hc, &err);
  cr_expect_eq(st, want, "expected %s, got %s (%s)", sgfblo_status_string(want),
               sgfblo_status_string(st), err.msg);
  cr_expect_null(hc, "out not cleared on failure");
  cr_expect(strstr(err.msg, needle) != NULL, "message \"%s\" does not contain \"%s\"", err.msg,
            needle);
  cr_log_info("device data refused: %s", err.msg);
  if (st == SGFBLO_OK) sgfblo_hyperclean_destroy(hc);
}
#endif

/* An instance made from device arrays holds its own device copy (the caller frees its arrays
   right after create) and evaluates every oracle bit for bit as the instance made from the
   same host arrays does on the device: same kernels, same cuBLAS calls, same data. Its host
   side refuses. */
Test(cuda_parity, hyperclean_from_device_data_matches_host_data) {
  REQUIRE_CUDA();
#ifdef SGFBLO_HAVE_CUDA
  const uint64_t seed = fresh_seed("hyperclean device data");
  const int64_t N = 300, Nv = 40, d = 6, C = 4, n = N, m = d * C, mx = m * m;
  hc_instance in = hc_make(N, Nv, d, C, seed);
  dev_arrays da = dev_upload(&in, N, Nv, d, C);
  const sgfblo_hyperclean_data dd = dev_data(&da);
  sgfblo_hyperclean *hd = NULL;
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_hyperclean_create(&dd, &hd, &err), SGFBLO_OK, "%s", err.msg);
  const void *caller_A = da.A;
  dev_arrays_free(&da); /* copied once: the caller's arrays may go */

  sgfblo_hyperclean_data view;
  cr_assert_eq(sgfblo_hyperclean_get_data(hd, &view), SGFBLO_OK);
  cr_expect_eq(view.mem, SGFBLO_MEM_DEVICE);
  cr_expect_eq(view.device_id, 0);
  cr_expect(view.N == N && view.Nv == Nv && view.d == d && view.C == C);
  cr_expect(view.A && (const void *)view.A != caller_A, "the view shows the instance's copy");
  sgfblo_real *A_back = hvec(N * d);
  cr_assert_eq(sgfblo_cuda_read_sync(A_back, view.A, sizeof *A_back * (size_t)(N * d), NULL), 0);
  cr_expect_eq(memcmp(A_back, in.A, sizeof *A_back * (size_t)(N * d)), 0, "A not copied exactly");
  free(A_back);
  cr_expect_eq(sgfblo_hyperclean_to_device(hd, 0, &err), SGFBLO_OK, "%s", err.msg);
  cr_expect_eq(sgfblo_hyperclean_to_device(hd, 1, &err), SGFBLO_ERR_INVALID_ARG);

  sgfblo_problem ph, pd;
  cr_assert_eq(sgfblo_hyperclean_problem(in.hc, &ph), SGFBLO_OK);
  cr_assert_eq(sgfblo_hyperclean_problem(hd, &pd), SGFBLO_OK);
  cr_expect(pd.n == ph.n && pd.m == ph.m);
  pair P;
  pair_open(&P);
  const sgfblo_eval_ctx ch = {SGFBLO_MEM_DEVICE, P.bg.stream, ph.user_data, NULL};
  const sgfblo_eval_ctx cd = {SGFBLO_MEM_DEVICE, P.bg.stream, pd.user_data, NULL};
  cr_assert_eq(ph.prepare(0, &ch), 0);
  cr_assert_eq(pd.prepare(0, &cd), 0, "prepare of a device-only instance on its device");
  sgfblo_real *x = hrand(n, seed + 11, 1.0), *y = hrand(m, seed + 12, 1.0);
  sgfblo_real *u = hrand(n, seed + 13, 1.0), *v = hrand(m, seed + 14, 1.0);
  sgfblo_real *dx = dcopy(&P, x, n), *dy = dcopy(&P, y, m), *du = dcopy(&P, u, n),
              *dv = dcopy(&P, v, m);
  sgfblo_real *oh = NULL, *od = NULL, *oh2 = NULL, *od2 = NULL;
  GPU_OK(P.gpu->alloc(&P.bg, &oh, mx));
  GPU_OK(P.gpu->alloc(&P.bg, &od, mx));
  GPU_OK(P.gpu->alloc(&P.bg, &oh2, mx));
  GPU_OK(P.gpu->alloc(&P.bg, &od2, mx));
#define SAME(label, len, out_h, out_d)                                                     \
  do {                                                                                     \
    sgfblo_real *a_ = hcopy(&P, (out_h), (len)), *b_ = hcopy(&P, (out_d), (len));          \
    cr_expect_eq(memcmp(a_, b_, (size_t)(len) * sizeof *a_), 0, "%s: device data differs", \
                 (label));                                                                 \
    free(a_);                                                                              \
    free(b_);                                                                              \
  } while (0)
  sgfblo_real fh = 0, fd = 1;
  cr_assert_eq(ph.f_val(dx, dy, &fh, &ch), 0);
  cr_assert_eq(pd.f_val(dx, dy, &fd, &cd), 0);
  cr_expect_eq(fh, fd, "f_val: %.17g vs %.17g", (double)fh, (double)fd);
  cr_assert_eq(ph.g_val(dx, dy, &fh, &ch), 0);
  cr_assert_eq(pd.g_val(dx, dy, &fd, &cd), 0);
  cr_expect_eq(fh, fd, "g_val: %.17g vs %.17g", (double)fh, (double)fd);
  cr_assert_eq(ph.grad_f(dx, dy, oh, oh2, &ch), 0);
  cr_assert_eq(pd.grad_f(dx, dy, od, od2, &cd), 0);
  SAME("grad_x f", n, oh, od);
  SAME("grad_y f", m, oh2, od2);
  cr_assert_eq(ph.grad_g(dx, dy, oh, oh2, &ch), 0);
  cr_assert_eq(pd.grad_g(dx, dy, od, od2, &cd), 0);
  SAME("grad_x g", n, oh, od);
  SAME("grad_y g", m, oh2, od2);
  cr_assert_eq(ph.hyy_mv(dx, dy, dv, oh, &ch), 0);
  cr_assert_eq(pd.hyy_mv(dx, dy, dv, od, &cd), 0);
  SAME("Hyy v", m, oh, od);
  cr_assert_eq(ph.jyx_mv(dx, dy, du, oh, &ch), 0);
  cr_assert_eq(pd.jyx_mv(dx, dy, du, od, &cd), 0);
  SAME("Jyx u", m, oh, od);
  cr_assert_eq(ph.jyxT_mv(dx, dy, dv, oh, &ch), 0);
  cr_assert_eq(pd.jyxT_mv(dx, dy, dv, od, &cd), 0);
  SAME("Jyx^T v", n, oh, od);
  {
    sgfblo_real *oh3 = NULL, *od3 = NULL;
    GPU_OK(P.gpu->alloc(&P.bg, &oh3, m));
    GPU_OK(P.gpu->alloc(&P.bg, &od3, m));
    cr_assert_eq(ph.grad_g_curv(dx, dy, oh2, oh, oh3, &ch), 0);
    cr_assert_eq(pd.grad_g_curv(dx, dy, od2, od, od3, &cd), 0);
    SAME("fused grad_y g", m, oh2, od2);
    SAME("fused Jyx^T grad_y g", n, oh, od);
    SAME("fused Hyy grad_y g", m, oh3, od3);
    P.gpu->release(&P.bg, oh3);
    P.gpu->release(&P.bg, od3);
  }
  cr_assert_eq(ph.hyy_dense(dx, dy, oh, &ch), 0);
  cr_assert_eq(pd.hyy_dense(dx, dy, od, &cd), 0);
  SAME("dense Hyy", m * m, oh, od);
#undef SAME

  /* Host memory: the device-only instance has nothing to compute with and refuses, leaving
     its outputs alone; so does its prepare hook (a CPU-backend setup). */
  const sgfblo_eval_ctx hostc = {SGFBLO_MEM_HOST, NULL, pd.user_data, NULL};
  sgfblo_real *o1 = hvec(mx), *o2 = hvec(mx), val = 42;
  for (int64_t k = 0; k < mx; ++k) o1[k] = o2[k] = 7;
  cr_expect_neq(pd.prepare(0, &hostc), 0);
  cr_expect_neq(pd.f_val(x, y, &val, &hostc), 0);
  cr_expect_neq(pd.g_val(x, y, &val, &hostc), 0);
  cr_expect_neq(pd.grad_f(x, y, o1, o2, &hostc), 0);
  cr_expect_neq(pd.grad_g(x, y, o1, o2, &hostc), 0);
  cr_expect_neq(pd.hyy_mv(x, y, v, o2, &hostc), 0);
  cr_expect_neq(pd.jyx_mv(x, y, u, o2, &hostc), 0);
  cr_expect_neq(pd.jyxT_mv(x, y, v, o1, &hostc), 0);
  cr_expect_neq(pd.hyy_dense(x, y, o1, &hostc), 0);
  cr_expect_neq(pd.grad_g_curv(x, y, o2, o1, o2 + m, &hostc), 0);
  cr_expect_eq(val, 42);
  for (int64_t k = 0; k < mx; ++k)
    cr_expect(o1[k] == 7 && o2[k] == 7, "output %lld written", (long long)k);

  sgfblo_real *hb[] = {x, y, u, v, o1, o2};
  for (size_t i = 0; i < sizeof hb / sizeof hb[0]; ++i) free(hb[i]);
  sgfblo_real *db[] = {dx, dy, du, dv, oh, od, oh2, od2};
  for (size_t i = 0; i < sizeof db / sizeof db[0]; ++i) P.gpu->release(&P.bg, db[i]);
  pair_close(&P);
  sgfblo_hyperclean_destroy(hd);
  hc_free(&in);
#endif
}

/* An RXGF solve on the CUDA backend from device data is the solve from host data, bit for bit
   and count for count; on the CPU backend the device-only instance is refused at setup. */
Test(cuda_parity, rxgf_solve_from_device_data_equals_host_data) {
  REQUIRE_CUDA();
#ifdef SGFBLO_HAVE_CUDA
  const uint64_t seed = fresh_seed("hyperclean device data solve");
  const int64_t N = 120, Nv = 40, d = 5, C = 3;
  hc_instance in = hc_make(N, Nv, d, C, seed);
  dev_arrays da = dev_upload(&in, N, Nv, d, C);
  const sgfblo_hyperclean_data dd = dev_data(&da);
  sgfblo_hyperclean *hd = NULL;
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_hyperclean_create(&dd, &hd, &err), SGFBLO_OK, "%s", err.msg);
  dev_arrays_free(&da);
  sgfblo_problem ph, pd;
  sgfblo_hyperclean_problem(in.hc, &ph);
  sgfblo_hyperclean_problem(hd, &pd);
  sgfblo_settings set = parity_settings(SGFBLO_METHOD_RXGF, SGFBLO_BACKEND_CUDA);
  set.integrator = SGFBLO_INTEG_RK4;
  set.dt = 1.0;
  set.t_final = 20.0;
  set.monitor_every = 10;
  sgfblo_solver *sh = setup_ok(&ph, &set), *sd = setup_ok(&pd, &set);
  cr_assert_eq(sgfblo_solver_solve(sh), SGFBLO_OK, "%s", sgfblo_solver_last_error(sh));
  cr_assert_eq(sgfblo_solver_solve(sd), SGFBLO_OK, "%s", sgfblo_solver_last_error(sd));
  sgfblo_info ih, id;
  sgfblo_solver_get_info(sh, &ih);
  sgfblo_solver_get_info(sd, &id);
  cr_expect_eq(id.exit_flag, ih.exit_flag);
  cr_expect_eq(id.last.step, ih.last.step);
  cr_expect_eq(id.n_grad, ih.n_grad);
  cr_expect_eq(id.n_prod, ih.n_prod);
  cr_expect_eq(id.last.f, ih.last.f, "final f %.17g vs %.17g", id.last.f, ih.last.f);
  const int64_t nz = ph.n + ph.m;
  sgfblo_real *zh = hvec(nz), *zd = hvec(nz);
  cr_assert_eq(sgfblo_solver_get_state(sh, zh, zh + ph.n), SGFBLO_OK);
  cr_assert_eq(sgfblo_solver_get_state(sd, zd, zd + ph.n), SGFBLO_OK);
  cr_expect_eq(memcmp(zh, zd, sizeof *zh * (size_t)nz), 0, "final states differ");
  free(zh);
  free(zd);
  sgfblo_solver_destroy(sh);
  sgfblo_solver_destroy(sd);

  /* CPU backend: refused at setup, with a message that says why. */
  set.backend = SGFBLO_BACKEND_CPU;
  sgfblo_solver *sc = NULL;
  cr_assert_eq(sgfblo_solver_create(&sc), SGFBLO_OK);
  cr_expect_eq(sgfblo_solver_setup(sc, &pd, &set), SGFBLO_ERR_CALLBACK);
  cr_expect(strstr(sgfblo_solver_last_error(sc), "device memory only"), "%s",
            sgfblo_solver_last_error(sc));
  cr_log_info("CPU setup of device data: %s", sgfblo_solver_last_error(sc));
  sgfblo_solver_destroy(sc);
  sgfblo_hyperclean_destroy(hd);
  hc_free(&in);
#endif
}

/* Device input is checked where it lives: the memory kind and device of each pointer, the size
   of its allocation, then labels and features by a reduction on the device, with the codes
   and the index the host validation reports. */
Test(cuda_parity, device_data_is_validated) {
  REQUIRE_CUDA();
#ifdef SGFBLO_HAVE_CUDA
  const uint64_t seed = fresh_seed("hyperclean device validation");
  const int64_t N = 20, Nv = 30, d = 6, C = 4;
  hc_instance in = hc_make(N, Nv, d, C, seed);
  dev_arrays da = dev_upload(&in, N, Nv, d, C);
  sgfblo_hyperclean_data dd;

  /* Host pointers passed as device memory. */
  dd = dev_data(&da);
  dd.A = in.A;
  expect_dev_reject(&dd, SGFBLO_ERR_INVALID_ARG, "hyperclean: A (");
  dd = dev_data(&da);
  dd.val_labels = in.bv;
  expect_dev_reject(&dd, SGFBLO_ERR_INVALID_ARG, "hyperclean: val_labels (");
  /* A device that does not exist. */
  dd = dev_data(&da);
  dd.device_id = 4096;
  expect_dev_reject(&dd, SGFBLO_ERR_INVALID_ARG, "device_id 4096");

  /* An allocation smaller than N x d (far smaller than any rounding of the allocator). */
  {
    const int64_t Nb = 3000, db = 300;
    sgfblo_real *small = dev_put(NULL, sizeof(sgfblo_real) * (size_t)(Nb * db) / 8);
    int32_t *bb = dev_put(NULL, sizeof(int32_t) * (size_t)Nb);
    dd = dev_data(&da);
    dd.N = Nb;
    dd.d = db;
    dd.A = small;
    dd.labels = bb;
    dd.Av = dev_put(NULL, sizeof(sgfblo_real) * (size_t)(Nv * db));
    expect_dev_reject(&dd, SGFBLO_ERR_INVALID_ARG, "A: the allocation holds");
    expect_dev_reject(&dd, SGFBLO_ERR_INVALID_ARG, "N x d needs");
    sgfblo_cuda_free(small);
    sgfblo_cuda_free(bb);
    sgfblo_cuda_free((void *)dd.Av);
  }

  /* Bad contents, in device memory. */
  sgfblo_errmsg err = {{0}};
  const int32_t bad_label = (int32_t)C, neg_label = -1;
  const sgfblo_real nan_v = (sgfblo_real)NAN, inf_v = (sgfblo_real)INFINITY;
  dd = dev_data(&da);
  cr_assert_eq(sgfblo_cuda_upload(da.b + 3, &bad_label, sizeof bad_label, &err), SGFBLO_OK);
  cr_assert_eq(sgfblo_cuda_upload(da.b + 9, &bad_label, sizeof bad_label, &err), SGFBLO_OK);
  expect_dev_reject(&dd, SGFBLO_ERR_INVALID_ARG, "labels[3] = 4 is outside [0, C)");
  expect_dev_reject(&dd, SGFBLO_ERR_INVALID_ARG, "(2 such labels)");
  cr_assert_eq(sgfblo_cuda_upload(da.b + 3, &in.b[3], sizeof bad_label, &err), SGFBLO_OK);
  cr_assert_eq(sgfblo_cuda_upload(da.b + 9, &in.b[9], sizeof bad_label, &err), SGFBLO_OK);
  cr_assert_eq(sgfblo_cuda_upload(da.bv + 5, &neg_label, sizeof neg_label, &err), SGFBLO_OK);
  expect_dev_reject(&dd, SGFBLO_ERR_INVALID_ARG, "val_labels[5] = -1");
  cr_assert_eq(sgfblo_cuda_upload(da.bv + 5, &in.bv[5], sizeof neg_label, &err), SGFBLO_OK);
  cr_assert_eq(sgfblo_cuda_upload(da.A + 7, &nan_v, sizeof nan_v, &err), SGFBLO_OK);
  expect_dev_reject(&dd, SGFBLO_ERR_NONFINITE, "A[7] (row 1, column 1) is not finite");
  cr_assert_eq(sgfblo_cuda_upload(da.A + 7, &in.A[7], sizeof nan_v, &err), SGFBLO_OK);
  cr_assert_eq(sgfblo_cuda_upload(da.Av + 17, &inf_v, sizeof inf_v, &err), SGFBLO_OK);
  expect_dev_reject(&dd, SGFBLO_ERR_NONFINITE, "Av[17]");
  cr_assert_eq(sgfblo_cuda_upload(da.Av + 17, &in.Av[17], sizeof inf_v, &err), SGFBLO_OK);

  /* Restored: accepted. */
  sgfblo_hyperclean *hd = NULL;
  cr_expect_eq(sgfblo_hyperclean_create(&dd, &hd, &err), SGFBLO_OK, "%s", err.msg);
  sgfblo_hyperclean_destroy(hd);
  dev_arrays_free(&da);
  hc_free(&in);
#endif
}
