/* The fused row-block pass of the device oracles (kernels/hyperclean_fused.cuh), run on the
   host on the kernel engine of the emulation (emu/: each thread of a block a fiber that
   switches at __syncthreads and at the warp shuffles), against the host oracles: each product
   callback of hyper-cleaning, its passes and row operations set up as
   src/problem/hyperclean_cuda.c sets them up, over shapes that reach every instance of the
   kernel (C up to 10 and up to 16; one, two and four features per thread; passes of C and
   2C columns), row counts that leave a partial last block, and a grid smaller than the
   blocks (thread blocks grid-stride over several). What a GPU adds (memory model, occupancy,
   launch limits, timing) is tests/test_cuda_parity.c's and the benchmarks'; this runs in every
   build. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "cuda_runtime.h" /* emu/include: the emulation's, first on the include path */
#include "hyperclean_fused.cuh"

extern "C" {
#include "sgfblo/sgfblo_hyperclean.h"
#include "support.h"
}

#ifdef SGFBLO_USE_FLOAT
#define EMU_TOL 1e-4
#else
#define EMU_TOL 1e-11
#endif

typedef std::vector<sgfblo_real> vec;

/* Thread blocks of the emulated fused launches: fewer than the row blocks of every shape
   below, so each thread block takes several. */
static const int GRID = 3;

/* The device data and workspaces of hyperclean_cuda.c, here in host memory. */
struct device_copy {
  int64_t N, Nv, d, C;
  double lambda;
  vec A, Av, Z2, Zv, partial;
  std::vector<int32_t> b, bv;
};

static double inv(int64_t n) { return (double)(sgfblo_real)(1.0 / (double)n); }

/* sgfblo_cuda_hc_fused_run, its launches emulated. */
static void fused_run(const sgfblo_cuda_hc_pass &P, const sgfblo_cuda_hc_rows &op,
                      sgfblo_real *partial) {
  const bool two = P.V != nullptr;
  const hc_fused_kernel k = hc_fused_pick(P.d, op.C, two);
  cr_assert(k != nullptr, "d %lld C %lld: no instance", (long long)P.d, (long long)op.C);
  const int64_t nblocks = (P.rows + kFusedRows - 1) / kFusedRows;
  const int G = (int)std::min<int64_t>(nblocks, GRID);
  sgfblo_real *part = P.out ? partial : nullptr;
  cr_assert_eq(emu::run_grid(dim3((unsigned)G), dim3(kFusedThreads),
                             hc_fused_smem(P.d, op.C, two), true, [&] { k(P, op, part); }),
               cudaSuccess);
  const int64_t m = P.out ? P.d * op.C : 0;
  if (m > 0 || P.side.n > 0)
    cr_assert_eq(emu::run_grid(dim3(2), dim3(kThreads), 0, false,
                               [&] {
                                 k_hc_pass_reduce(part, G, m, P.scale, P.add, P.add_scale, P.out,
                                                  P.side, (sgfblo_real)P.side.a);
                               }),
                 cudaSuccess);
}

static sgfblo_cuda_hc_pass pass_a(device_copy &D, const sgfblo_real *X, const sgfblo_real *V) {
  sgfblo_cuda_hc_pass p = {};
  p.M = D.A.data();
  p.rows = D.N;
  p.d = D.d;
  p.X = X;
  p.V = V;
  return p;
}

static sgfblo_cuda_hc_rows rows_a(device_copy &D, sgfblo_cuda_hc_rows_kind kind,
                                  const sgfblo_real *x) {
  sgfblo_cuda_hc_rows r = {};
  r.kind = kind;
  r.C = D.C;
  r.ld = 2 * D.C;
  r.Z = D.Z2.data();
  r.labels = D.b.data();
  r.x = x;
  r.invN = inv(D.N);
  return r;
}

static void two_lambda_plus(const device_copy &D, sgfblo_cuda_hc_pass &p, const sgfblo_real *v,
                            sgfblo_real *out) {
  p.out = out;
  p.scale = inv(D.N);
  p.add = v;
  p.add_scale = (double)(sgfblo_real)(2 * D.lambda);
}

static void expect_close(const char *what, const vec &got, const vec &want) {
  const double e = test_rel_err(got.data(), want.data(), (int64_t)want.size(), 1e-300);
  cr_log_info("%-44s relative error %.3e", what, e);
  cr_expect(e <= EMU_TOL, "%s: relative error %.3e > %.0e", what, e, EMU_TOL);
}

static void check_shape(int64_t N, int64_t Nv, int64_t d, int64_t C, uint64_t seed) {
  device_copy D;
  D.N = N, D.Nv = Nv, D.d = d, D.C = C, D.lambda = 0.01;
  const int64_t m = d * C;
  D.A.resize((size_t)(N * d));
  D.Av.resize((size_t)(Nv * d));
  test_random_vector(D.A.data(), N * d, seed, 1.5);
  test_random_vector(D.Av.data(), Nv * d, seed + 1, 1.5);
  for (int64_t i = 0; i < N; ++i) D.b.push_back((int32_t)((i * 7 + seed) % (uint64_t)C));
  for (int64_t i = 0; i < Nv; ++i) D.bv.push_back((int32_t)((i * 3 + seed) % (uint64_t)C));
  D.Z2.assign((size_t)(N * 2 * C), 0);
  D.Zv.assign((size_t)(Nv * C), 0);
  D.partial.assign((size_t)(GRID * m), 0);
  sgfblo_hyperclean_data data = {};
  data.N = N, data.Nv = Nv, data.d = d, data.C = C;
  data.A = D.A.data(), data.labels = D.b.data(), data.Av = D.Av.data();
  data.val_labels = D.bv.data(), data.lambda = D.lambda, data.threads = 1;
  sgfblo_hyperclean *hc = nullptr;
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_hyperclean_create(&data, &hc, &err), SGFBLO_OK, "%s", err.msg);
  sgfblo_problem p;
  sgfblo_hyperclean_problem(hc, &p);
  const sgfblo_eval_ctx ctx = {SGFBLO_MEM_HOST, nullptr, hc, nullptr};
  vec x(N), y(m), u(N), v(m);
  test_random_vector(x.data(), N, seed + 2, 1.0);
  test_random_vector(y.data(), m, seed + 3, 1.0);
  test_random_vector(u.data(), N, seed + 4, 1.0);
  test_random_vector(v.data(), m, seed + 5, 1.0);
  char what[96];
#define LABEL(s) (snprintf(what, sizeof what, "N %lld d %lld C %lld %s", (long long)N, \
                           (long long)d, (long long)C, s), what)
  vec hn(N), hm(m), hm2(m), en(N, 7), em(m, 7), em2(m, 7);

  /* grad_f: over Av, the zero grad_x f as the side write. */
  cr_assert_eq(p.grad_f(x.data(), y.data(), hn.data(), hm.data(), &ctx), 0);
  {
    sgfblo_cuda_hc_pass ps = {};
    ps.M = D.Av.data(), ps.rows = Nv, ps.d = d, ps.X = y.data(), ps.out = em.data();
    ps.scale = inv(Nv);
    ps.side = {N, 0.0, nullptr, en.data()};
    sgfblo_cuda_hc_rows op = {};
    op.kind = SGFBLO_HC_ROWS_GRAD, op.C = C, op.ld = C, op.Z = D.Zv.data(), op.labels = D.bv.data();
    fused_run(ps, op, D.partial.data());
  }
  expect_close(LABEL("grad_x f"), en, hn);
  expect_close(LABEL("grad_y f"), em, hm);

  /* grad_g. */
  cr_assert_eq(p.grad_g(x.data(), y.data(), hn.data(), hm.data(), &ctx), 0);
  {
    sgfblo_cuda_hc_pass ps = pass_a(D, y.data(), nullptr);
    sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_GRAD, x.data());
    op.out = en.data(), op.scale_sig = 1;
    two_lambda_plus(D, ps, y.data(), em.data());
    fused_run(ps, op, D.partial.data());
  }
  expect_close(LABEL("grad_x g"), en, hn);
  expect_close(LABEL("grad_y g"), em, hm);

  /* Hyy v, from A [y | v]. */
  cr_assert_eq(p.hyy_mv(x.data(), y.data(), v.data(), hm.data(), &ctx), 0);
  {
    sgfblo_cuda_hc_pass ps = pass_a(D, y.data(), v.data());
    two_lambda_plus(D, ps, v.data(), em.data());
    fused_run(ps, rows_a(D, SGFBLO_HC_ROWS_HYY, x.data()), D.partial.data());
  }
  expect_close(LABEL("Hyy v"), em, hm);

  /* Jyx u. */
  cr_assert_eq(p.jyx_mv(x.data(), y.data(), u.data(), hm.data(), &ctx), 0);
  {
    sgfblo_cuda_hc_pass ps = pass_a(D, y.data(), nullptr);
    sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_JYX, x.data());
    op.u = u.data();
    ps.out = em.data(), ps.scale = inv(N);
    fused_run(ps, op, D.partial.data());
  }
  expect_close(LABEL("Jyx u"), em, hm);

  /* Jyx^T v: rows only. */
  cr_assert_eq(p.jyxT_mv(x.data(), y.data(), v.data(), hn.data(), &ctx), 0);
  {
    sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_JYXT, x.data());
    op.out = en.data();
    fused_run(pass_a(D, y.data(), v.data()), op, D.partial.data());
  }
  expect_close(LABEL("Jyx^T v"), en, hn);

  /* curv_mv: Jyx^T v and Hyy v from one pass. */
  cr_assert_eq(p.curv_mv(x.data(), y.data(), v.data(), hn.data(), hm.data(), &ctx), 0);
  {
    sgfblo_cuda_hc_pass ps = pass_a(D, y.data(), v.data());
    sgfblo_cuda_hc_rows op = rows_a(D, SGFBLO_HC_ROWS_SOFTMAX_CURV, x.data());
    op.out = en.data();
    two_lambda_plus(D, ps, v.data(), em.data());
    fused_run(ps, op, D.partial.data());
  }
  expect_close(LABEL("curv Jyx^T v"), en, hn);
  expect_close(LABEL("curv Hyy v"), em, hm);

  /* grad_g_curv: two passes, R then U in the columns C..2C-1 of Z2. */
  cr_assert_eq(p.grad_g_curv(x.data(), y.data(), hm2.data(), hn.data(), hm.data(), &ctx), 0);
  {
    sgfblo_cuda_hc_pass first = pass_a(D, y.data(), nullptr), second = pass_a(D, em2.data(), nullptr);
    const sgfblo_cuda_hc_rows resid = rows_a(D, SGFBLO_HC_ROWS_PROB_RESID, x.data());
    sgfblo_cuda_hc_rows curv = rows_a(D, SGFBLO_HC_ROWS_CURV, x.data());
    first.rcol = C;
    two_lambda_plus(D, first, y.data(), em2.data());
    second.zcol = C;
    curv.out = en.data();
    two_lambda_plus(D, second, em2.data(), em.data());
    fused_run(first, resid, D.partial.data());
    fused_run(second, curv, D.partial.data());
  }
  expect_close(LABEL("grad_g_curv grad_y g"), em2, hm2);
  expect_close(LABEL("grad_g_curv Jyx^T grad_y g"), en, hn);
  expect_close(LABEL("grad_g_curv Hyy grad_y g"), em, hm);
#undef LABEL
  sgfblo_hyperclean_destroy(hc);
}

/* C <= 10: one feature per thread (d = 6), 5 row blocks, the last one partial. */
Test(kernels_emulated, fused_passes_small_d) { check_shape(150, 45, 6, 4, 11); }

/* d = 300: two features per thread; C = 10 fills its instance; A [y | v] has 20 columns. */
Test(kernels_emulated, fused_passes_two_features_per_thread) { check_shape(100, 33, 300, 10, 12); }

/* d = 600: four features per thread. */
Test(kernels_emulated, fused_passes_four_features_per_thread) { check_shape(100, 20, 600, 3, 13); }

/* C = 13 and 16: the C <= 16 instance, one row at a time per warp for its 2C columns. */
Test(kernels_emulated, fused_passes_up_to_16_classes) {
  check_shape(100, 17, 40, 13, 14);
  check_shape(40, 9, 300, 16, 15);
}

/* Beyond the bounds no instance exists (the device copy keeps cuBLAS there). */
Test(kernels_emulated, shapes_beyond_the_bounds_have_no_instance) {
  cr_expect(hc_fused_pick(1024, 10, true) != nullptr);
  cr_expect(hc_fused_pick(1025, 10, false) == nullptr);
  cr_expect(hc_fused_pick(512, 16, true) != nullptr);
  cr_expect(hc_fused_pick(513, 16, false) == nullptr);
  cr_expect(hc_fused_pick(10, 17, false) == nullptr);
}
