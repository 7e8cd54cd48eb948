/* Data hyper-cleaning (MATH.md "Problem 2"): every oracle against central differences of
   the values, the values against a naive per-sample reference, numerical stability with
   logits ~ 1e3, the metrics, and every rejection of sgfblo_hyperclean_create. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "problem/hyperclean_impl.h"
#include "sgfblo/sgfblo_hyperclean.h"
#include "support.h"
#include "tools/rng.h"

/* ----------------------------------------------------------------- fixture -- */

/* Host arrays of a random instance: features feat_scale * N(0,1), uniform labels. */
typedef struct {
  sgfblo_hyperclean_data data;
  sgfblo_real *A, *Av;
  int32_t *b, *bv;
} instance;

static void instance_fill(instance *in, int64_t N, int64_t Nv, int64_t d, int64_t C,
                          double feat_scale, double lambda, uint64_t seed) {
  sgfblo_rng r;
  sgfblo_rng_seed(&r, seed);
  in->A = malloc(sizeof *in->A * N * d);
  in->Av = malloc(sizeof *in->Av * Nv * d);
  in->b = malloc(sizeof *in->b * N);
  in->bv = malloc(sizeof *in->bv * Nv);
  cr_assert(in->A && in->Av && in->b && in->bv);
  test_random_vector(in->A, N * d, seed * 3 + 1, feat_scale);
  test_random_vector(in->Av, Nv * d, seed * 3 + 2, feat_scale);
  for (int64_t i = 0; i < N; ++i) in->b[i] = (int32_t)sgfblo_rng_below(&r, (uint64_t)C);
  for (int64_t j = 0; j < Nv; ++j) in->bv[j] = (int32_t)sgfblo_rng_below(&r, (uint64_t)C);
  in->data = (sgfblo_hyperclean_data){.N = N, .Nv = Nv, .d = d, .C = C, .A = in->A,
                                      .labels = in->b, .Av = in->Av, .val_labels = in->bv,
                                      .lambda = lambda};
}

static void instance_free(instance *in) {
  free(in->A);
  free(in->Av);
  free(in->b);
  free(in->bv);
}

static sgfblo_hyperclean *create_ok(const sgfblo_hyperclean_data *data) {
  sgfblo_hyperclean *hc = NULL;
  sgfblo_errmsg err = {{0}};
  const sgfblo_status st = sgfblo_hyperclean_create(data, &hc, &err);
  cr_assert_eq(st, SGFBLO_OK, "create: %s (%s)", sgfblo_status_string(st), err.msg);
  cr_assert_not_null(hc);
  cr_assert_str_empty(err.msg);
  return hc;
}

static const sgfblo_eval_ctx *host_ctx(const sgfblo_problem *p) {
  static sgfblo_eval_ctx ctx;
  ctx = (sgfblo_eval_ctx){SGFBLO_MEM_HOST, NULL, p->user_data, NULL};
  return &ctx;
}

/* Naive double-precision references, one sample at a time. */
static double ref_ce(const sgfblo_real *a, int64_t d, int64_t C, const sgfblo_real *y, int32_t b) {
  double z[64], mx = -INFINITY, s = 0;
  cr_assert(C <= 64);
  for (int64_t k = 0; k < C; ++k) {
    z[k] = 0;
    for (int64_t j = 0; j < d; ++j) z[k] += (double)a[j] * y[j * C + k];
    mx = fmax(mx, z[k]);
  }
  for (int64_t k = 0; k < C; ++k) s += exp(z[k] - mx);
  return mx + log(s) - z[b];
}

static double ref_sigmoid(double t) { return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t)); }

static double ref_g(const instance *in, const sgfblo_real *x, const sgfblo_real *y) {
  const sgfblo_hyperclean_data *D = &in->data;
  double s = 0, yy = 0;
  for (int64_t i = 0; i < D->N; ++i)
    s += ref_sigmoid(x[i]) * ref_ce(D->A + i * D->d, D->d, D->C, y, D->labels[i]);
  for (int64_t k = 0; k < D->d * D->C; ++k) yy += (double)y[k] * y[k];
  return s / (double)D->N + D->lambda * yy;
}

static double ref_f(const instance *in, const sgfblo_real *y) {
  const sgfblo_hyperclean_data *D = &in->data;
  double s = 0;
  for (int64_t j = 0; j < D->Nv; ++j)
    s += ref_ce(D->Av + j * D->d, D->d, D->C, y, D->val_labels[j]);
  return s / (double)D->Nv;
}

/* Naive per-sample double reference of every product and gradient (MATH.md formulas). */
typedef struct {
  double *gxg, *gyg, *gyf, *hv, *ju, *jtv; /* grad_x g, grad_y g, grad_y f, Hyy v, Jyx u, Jyx^T v */
} ref_out;

static void ref_softmax(const sgfblo_real *a, int64_t d, int64_t C, const sgfblo_real *y,
                        double *p, double *ce, int32_t b) {
  double mx = -INFINITY, s = 0;
  for (int64_t k = 0; k < C; ++k) {
    p[k] = 0;
    for (int64_t j = 0; j < d; ++j) p[k] += (double)a[j] * y[j * C + k];
    mx = fmax(mx, p[k]);
  }
  const double zb = p[b];
  for (int64_t k = 0; k < C; ++k) s += (p[k] = exp(p[k] - mx));
  for (int64_t k = 0; k < C; ++k) p[k] /= s;
  *ce = mx + log(s) - zb;
}

static void ref_oracles(const instance *in, const sgfblo_real *x, const sgfblo_real *y,
                        const sgfblo_real *u, const sgfblo_real *v, ref_out *o) {
  const sgfblo_hyperclean_data *D = &in->data;
  const int64_t N = D->N, d = D->d, C = D->C, m = d * C;
  double p[64], av[64], ce;
  cr_assert(C <= 64);
  for (int64_t k = 0; k < m; ++k) {
    o->gyg[k] = 2 * D->lambda * y[k];
    o->hv[k] = 2 * D->lambda * v[k];
    o->gyf[k] = o->ju[k] = 0;
  }
  for (int64_t i = 0; i < N; ++i) {
    const sgfblo_real *a = D->A + i * d;
    const double sg = ref_sigmoid(x[i]), dsg = sg * ref_sigmoid(-x[i]);
    const int32_t b = D->labels[i];
    ref_softmax(a, d, C, y, p, &ce, b);
    double jt = 0, r[64];
    for (int64_t k = 0; k < C; ++k) {
      av[k] = 0;
      for (int64_t j = 0; j < d; ++j) av[k] += (double)a[j] * v[j * C + k];
    }
    /* r_k = p_k (u_k - p'u) = p_k sum_l p_l (u_k - u_l), free of cancellation. */
    for (int64_t k = 0; k < C; ++k) {
      r[k] = 0;
      for (int64_t l = 0; l < C; ++l) r[k] += p[l] * (av[k] - av[l]);
      r[k] *= p[k];
      jt += (p[k] - (k == b)) * (av[k] - av[b]);
    }
    o->gxg[i] = dsg * ce / (double)N;
    o->jtv[i] = dsg * jt / (double)N;
    for (int64_t j = 0; j < d; ++j)
      for (int64_t k = 0; k < C; ++k) {
        const double pb = p[k] - (k == b);
        o->gyg[j * C + k] += sg * a[j] * pb / (double)N;
        o->hv[j * C + k] += sg * a[j] * r[k] / (double)N;
        o->ju[j * C + k] += dsg * u[i] * a[j] * pb / (double)N;
      }
  }
  for (int64_t i = 0; i < D->Nv; ++i) {
    const sgfblo_real *a = D->Av + i * d;
    ref_softmax(a, d, C, y, p, &ce, D->val_labels[i]);
    for (int64_t j = 0; j < d; ++j)
      for (int64_t k = 0; k < C; ++k)
        o->gyf[j * C + k] += a[j] * (p[k] - (k == D->val_labels[i])) / (double)D->Nv;
  }
}

/* ||got - want|| / ||want|| with want in double. */
static void expect_vec_ref(const sgfblo_real *got, const double *want, int64_t n, double tol,
                           const char *what) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; ++i) {
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  const double rel = sqrt(num) / fmax(sqrt(den), 1e-300);
  cr_log_info("%-26s rel err %.3e (naive reference)", what, rel);
  cr_expect(rel <= tol, "%s vs naive reference: rel err %.3e > %.1e", what, rel, tol);
}

static void expect_rel(double got, double want, double tol, const char *what) {
  const double rel = fabs(got - want) / fmax(fabs(want), 1e-300);
  cr_expect(rel <= tol, "%s: got %.17g, want %.17g (rel err %.3e > %.1e)", what, got, want, rel,
            tol);
}

static int all_finite(const sgfblo_real *v, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!isfinite(v[i])) return 0;
  return 1;
}

#ifdef SGFBLO_USE_FLOAT
#define REF_TOL 2e-4
#else
#define REF_TOL 1e-12
#endif

/* Oracles at `points` random states (x ~ N(0, 2), y ~ N(0, y_scale)): every output finite,
   every value and product against the naive double reference, and (fd_tol > 0) every
   oracle against finite differences of the values. */
static void check_instance(int64_t N, int64_t Nv, int64_t d, int64_t C, double feat_scale,
                           double y_scale, uint64_t seed, int points, double fd_tol) {
  instance in;
  instance_fill(&in, N, Nv, d, C, feat_scale, 0.001, seed);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem p;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  const sgfblo_eval_ctx *ctx = host_ctx(&p);
  const int64_t m = d * C;
  sgfblo_real *x = malloc(sizeof *x * N), *y = malloc(sizeof *y * m);
  sgfblo_real *u = malloc(sizeof *u * N), *v = malloc(sizeof *v * m);
  sgfblo_real *gx = malloc(sizeof *gx * N), *gy = malloc(sizeof *gy * m);
  sgfblo_real *om = malloc(sizeof *om * m), *on = malloc(sizeof *on * N);
  double *rbuf = malloc(sizeof *rbuf * (4 * m + 2 * N));
  /* The dense Hyy only where it is small: large m is there for the whole-matrix passes. */
  const int dense = m <= 4096;
  sgfblo_real *H = dense ? malloc(sizeof *H * m * m) : NULL;
  cr_assert(x && y && u && v && gx && gy && om && on && rbuf && (H || !dense));
  ref_out r = {rbuf, rbuf + N, rbuf + N + m, rbuf + N + 2 * m, rbuf + N + 3 * m,
               rbuf + N + 4 * m};
  for (int k = 0; k < points; ++k) {
    const uint64_t s = seed * 100 + (uint64_t)k;
    test_random_vector(x, N, s * 5 + 1, 2.0);
    test_random_vector(y, m, s * 5 + 2, y_scale);
    test_random_vector(u, N, s * 5 + 3, 1.0);
    test_random_vector(v, m, s * 5 + 4, 1.0);
    ref_oracles(&in, x, y, u, v, &r);
    sgfblo_real fv, gv;
    cr_assert_eq(p.f_val(x, y, &fv, ctx), 0);
    cr_assert_eq(p.g_val(x, y, &gv, ctx), 0);
    cr_expect(isfinite(fv) && isfinite(gv), "values not finite: f %g g %g", (double)fv,
              (double)gv);
    expect_rel(fv, ref_f(&in, y), REF_TOL, "f vs naive reference");
    expect_rel(gv, ref_g(&in, x, y), REF_TOL, "g vs naive reference");
    cr_assert_eq(p.grad_g(x, y, gx, gy, ctx), 0);
    cr_expect(all_finite(gx, N) && all_finite(gy, m), "grad g not finite");
    expect_vec_ref(gx, r.gxg, N, REF_TOL, "grad_x g");
    expect_vec_ref(gy, r.gyg, m, REF_TOL, "grad_y g");
    cr_assert_eq(p.grad_f(x, y, gx, gy, ctx), 0);
    cr_expect(all_finite(gy, m), "grad f not finite");
    expect_vec_ref(gy, r.gyf, m, REF_TOL, "grad_y f");
    cr_assert_eq(p.hyy_mv(x, y, v, om, ctx), 0);
    cr_expect(all_finite(om, m), "Hyy v not finite");
    expect_vec_ref(om, r.hv, m, REF_TOL, "Hyy v");
    cr_assert_eq(p.jyx_mv(x, y, u, om, ctx), 0);
    cr_expect(all_finite(om, m), "Jyx u not finite");
    expect_vec_ref(om, r.ju, m, REF_TOL, "Jyx u");
    cr_assert_eq(p.jyxT_mv(x, y, v, on, ctx), 0);
    cr_expect(all_finite(on, N), "Jyx^T v not finite");
    expect_vec_ref(on, r.jtv, N, REF_TOL, "Jyx^T v");
    if (dense) { /* Dense Hyy times v, in double. */
      cr_assert_eq(p.hyy_dense(x, y, H, ctx), 0);
      cr_expect(all_finite(H, m * m), "dense Hyy not finite");
      for (int64_t row = 0; row < m; ++row) {
        double acc = 0;
        for (int64_t c = 0; c < m; ++c) acc += (double)H[c * m + row] * v[c];
        om[row] = (sgfblo_real)acc;
      }
      expect_vec_ref(om, r.hv, m, REF_TOL, "dense Hyy v");
    }
    /* Jyx^T v and Hyy v fused, against the reference (r still holds v's products). */
    cr_assert_eq(p.curv_mv(x, y, v, on, om, ctx), 0);
    expect_vec_ref(on, r.jtv, N, REF_TOL, "fused Jyx^T v");
    expect_vec_ref(om, r.hv, m, REF_TOL, "fused Hyy v");
    /* The fused call, against the reference at v = the grad_y g it returns. */
    cr_assert_eq(p.grad_g_curv(x, y, gy, on, om, ctx), 0);
    cr_expect(all_finite(gy, m) && all_finite(on, N) && all_finite(om, m), "fused not finite");
    expect_vec_ref(gy, r.gyg, m, REF_TOL, "fused grad_y g");
    ref_oracles(&in, x, y, u, gy, &r);
    expect_vec_ref(on, r.jtv, N, REF_TOL, "fused Jyx^T grad_y g");
    expect_vec_ref(om, r.hv, m, REF_TOL, "fused Hyy grad_y g");
    if (fd_tol > 0) test_check_oracles(&p, x, y, s, fd_tol);
  }
  free(x); free(y); free(u); free(v); free(gx); free(gy); free(om); free(on); free(rbuf);
  free(H);
  sgfblo_hyperclean_destroy(hc);
  instance_free(&in);
}

/* ------------------------------------------------------------------ oracles -- */

Test(hyperclean, oracles_match_finite_differences) {
  check_instance(30, 12, 5, 3, 1.0, 0.5, 1, 4, TEST_FD_TOL);
}

Test(hyperclean, oracles_binary_one_feature) {
  check_instance(17, 9, 1, 2, 1.0, 0.5, 2, 4, TEST_FD_TOL);
}

Test(hyperclean, oracles_ten_classes) {
  check_instance(40, 25, 8, 10, 1.0, 0.5, 3, 3, TEST_FD_TOL);
}

/* Features ~ 1e3 make logits ~ 1e3: a naive exp would overflow. Finite differences in y
   then take steps of ~1e3 * TEST_FD_STEP in logit space, and with a saturated softmax the
   data part of Hyy is tiny next to 2 lambda while grad g carries O(1e3) terms, so the
   differences lose digits: in double a looser tolerance (observed <= 1.1e-5); in float the
   signal drowns in rounding, so only the naive-reference comparison runs there. */
Test(hyperclean, large_logits_stay_finite_and_correct) {
#ifdef SGFBLO_USE_FLOAT
  check_instance(30, 12, 5, 3, 1e3, 0.5, 4, 4, 0);
#else
  check_instance(30, 12, 5, 3, 1e3, 0.5, 4, 4, 1e-4);
#endif
}

/* Large features with logits O(1) (unsaturated), where central differences in y are
   truncation-limited (their step in logit space is 1e3 times larger). Checked instead by the
   exact scaling identity: with A_s = s A and y_s = y / s the logits, P and CE are the same as
   for (A, y), so the data parts of the oracles scale by powers of s:
     grad_y g_s - 2 lambda y_s = s (grad_y g - 2 lambda y),   grad_x g_s = grad_x g,
     grad_y f_s = s grad_y f,   Hyy_s v - 2 lambda v = s^2 (Hyy v - 2 lambda v),
     Jyx_s u = s Jyx u,   Jyx_s^T v = s Jyx^T v,   f_s = f,   g_s - lambda |y_s|^2 = g - lambda |y|^2.
   The scale-1 oracles are checked against finite differences above. */
Test(hyperclean, large_features_scaling_identity) {
  enum { N = 30, Nv = 12, d = 5, C = 3, m = d * C };
  const double s = 1000, lambda = 0.001;
  instance in;
  instance_fill(&in, N, Nv, d, C, 1.0, lambda, 5);
  sgfblo_real As[N * d], Avs[Nv * d];
  for (int k = 0; k < N * d; ++k) As[k] = (sgfblo_real)(s * in.A[k]);
  for (int k = 0; k < Nv * d; ++k) Avs[k] = (sgfblo_real)(s * in.Av[k]);
  sgfblo_hyperclean_data ds = in.data;
  ds.A = As;
  ds.Av = Avs;
  sgfblo_hyperclean *h1 = create_ok(&in.data), *hs = create_ok(&ds);
  sgfblo_problem p1, ps;
  cr_assert_eq(sgfblo_hyperclean_problem(h1, &p1), SGFBLO_OK);
  cr_assert_eq(sgfblo_hyperclean_problem(hs, &ps), SGFBLO_OK);
  const sgfblo_eval_ctx c1 = {SGFBLO_MEM_HOST, NULL, p1.user_data, NULL};
  const sgfblo_eval_ctx cs = {SGFBLO_MEM_HOST, NULL, ps.user_data, NULL};
  const double tol = 1000 * TEST_TIGHT_TOL;
  for (uint64_t t = 0; t < 4; ++t) {
    sgfblo_real x[N], y[m], ys[m], u[N], v[m];
    sgfblo_real a1[m], as[m], b1[N], bs[N], f1, fs, g1, gs;
    test_random_vector(x, N, 40 * t + 1, 2.0);
    test_random_vector(y, m, 40 * t + 2, 0.5);
    test_random_vector(u, N, 40 * t + 3, 1.0);
    test_random_vector(v, m, 40 * t + 4, 1.0);
    double yy = 0, yys = 0;
    for (int k = 0; k < m; ++k) {
      ys[k] = (sgfblo_real)(y[k] / s);
      yy += (double)y[k] * y[k];
      yys += (double)ys[k] * ys[k];
    }
    cr_assert_eq(p1.f_val(x, y, &f1, &c1), 0);
    cr_assert_eq(ps.f_val(x, ys, &fs, &cs), 0);
    expect_rel(fs, f1, tol, "f_s");
    cr_assert_eq(p1.g_val(x, y, &g1, &c1), 0);
    cr_assert_eq(ps.g_val(x, ys, &gs, &cs), 0);
    expect_rel(gs - lambda * yys, g1 - lambda * yy, tol, "g_s");

    cr_assert_eq(p1.grad_g(x, y, b1, a1, &c1), 0);
    cr_assert_eq(ps.grad_g(x, ys, bs, as, &cs), 0);
    for (int k = 0; k < m; ++k) {
      a1[k] = (sgfblo_real)(s * (a1[k] - 2 * lambda * y[k]));
      as[k] = (sgfblo_real)(as[k] - 2 * lambda * ys[k]);
    }
    cr_expect(test_rel_err(as, a1, m, 1e-300) <= tol, "grad_y g_s");
    cr_expect(test_rel_err(bs, b1, N, 1e-300) <= tol, "grad_x g_s");

    cr_assert_eq(p1.grad_f(x, y, NULL, a1, &c1), 0);
    cr_assert_eq(ps.grad_f(x, ys, NULL, as, &cs), 0);
    for (int k = 0; k < m; ++k) a1[k] = (sgfblo_real)(s * a1[k]);
    cr_expect(test_rel_err(as, a1, m, 1e-300) <= tol, "grad_y f_s");

    cr_assert_eq(p1.hyy_mv(x, y, v, a1, &c1), 0);
    cr_assert_eq(ps.hyy_mv(x, ys, v, as, &cs), 0);
    for (int k = 0; k < m; ++k) {
      a1[k] = (sgfblo_real)(s * s * (a1[k] - 2 * lambda * v[k]));
      as[k] = (sgfblo_real)(as[k] - 2 * lambda * v[k]);
    }
    cr_expect(test_rel_err(as, a1, m, 1e-300) <= tol, "Hyy_s v");

    cr_assert_eq(p1.jyx_mv(x, y, u, a1, &c1), 0);
    cr_assert_eq(ps.jyx_mv(x, ys, u, as, &cs), 0);
    for (int k = 0; k < m; ++k) a1[k] = (sgfblo_real)(s * a1[k]);
    cr_expect(test_rel_err(as, a1, m, 1e-300) <= tol, "Jyx_s u");

    cr_assert_eq(p1.jyxT_mv(x, y, v, b1, &c1), 0);
    cr_assert_eq(ps.jyxT_mv(x, ys, v, bs, &cs), 0);
    for (int k = 0; k < N; ++k) b1[k] = (sgfblo_real)(s * b1[k]);
    cr_expect(test_rel_err(bs, b1, N, 1e-300) <= tol, "Jyx_s^T v");
  }
  sgfblo_hyperclean_destroy(h1);
  sgfblo_hyperclean_destroy(hs);
  instance_free(&in);
}

Test(hyperclean, grad_blocks_may_be_skipped) {
  instance in;
  instance_fill(&in, 20, 7, 4, 3, 1.0, 0.01, 11);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem p;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  const sgfblo_eval_ctx *ctx = host_ctx(&p);
  sgfblo_real x[20], y[12], gx[20], gy[12], gx2[20], gy2[12];
  test_random_vector(x, 20, 1, 2.0);
  test_random_vector(y, 12, 2, 0.5);
  cr_assert_eq(p.grad_g(x, y, gx, gy, ctx), 0);
  cr_assert_eq(p.grad_g(x, y, gx2, NULL, ctx), 0);
  cr_expect(test_rel_err(gx2, gx, 20, 1e-30) <= TEST_TIGHT_TOL, "grad_x g with gy = NULL");
  cr_assert_eq(p.grad_g(x, y, NULL, gy2, ctx), 0);
  cr_expect(test_rel_err(gy2, gy, 12, 1e-30) <= TEST_TIGHT_TOL, "grad_y g with gx = NULL");
  cr_assert_eq(p.grad_g(x, y, NULL, NULL, ctx), 0);
  /* grad_x f = 0 exactly; grad_y f alone equals grad_y f with both. */
  for (int i = 0; i < 20; ++i) gx[i] = 1;
  cr_assert_eq(p.grad_f(x, y, gx, gy, ctx), 0);
  cr_expect_eq(test_norm_inf(gx, 20), 0.0, "grad_x f must be zero");
  cr_assert_eq(p.grad_f(x, y, NULL, gy2, ctx), 0);
  cr_expect(test_rel_err(gy2, gy, 12, 1e-30) <= TEST_TIGHT_TOL, "grad_y f with gx = NULL");
  cr_assert_eq(p.grad_f(x, y, gx, NULL, ctx), 0);
  cr_assert_eq(p.grad_f(x, y, NULL, NULL, ctx), 0);
  sgfblo_hyperclean_destroy(hc);
  instance_free(&in);
}

/* Hyy = (1/N) sum_i sigma_i (a_i a_i') (x) (diag p_i - p_i p_i') + 2 lambda I is SPD. */
Test(hyperclean, hyy_symmetric_positive_definite) {
  instance in;
  instance_fill(&in, 25, 10, 6, 4, 1.0, 0.001, 12);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem p;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  const sgfblo_eval_ctx *ctx = host_ctx(&p);
  enum { N = 25, m = 24 };
  sgfblo_real x[N], y[m], u[m], v[m], Hu[m], Hv[m];
  for (uint64_t t = 0; t < 10; ++t) {
    test_random_vector(x, N, 10 * t + 1, 2.0);
    test_random_vector(y, m, 10 * t + 2, 0.5);
    test_random_vector(u, m, 10 * t + 3, 1.0);
    test_random_vector(v, m, 10 * t + 4, 1.0);
    cr_assert_eq(p.hyy_mv(x, y, u, Hu, ctx), 0);
    cr_assert_eq(p.hyy_mv(x, y, v, Hv, ctx), 0);
    double vHv = 0, uHv = 0, vHu = 0, uu = 0, vv = 0;
    for (int k = 0; k < m; ++k) {
      vHv += (double)v[k] * Hv[k];
      uHv += (double)u[k] * Hv[k];
      vHu += (double)v[k] * Hu[k];
      uu += (double)u[k] * u[k];
      vv += (double)v[k] * v[k];
    }
    /* v'Hv >= 2 lambda ||v||^2 (the data term is PSD). */
    cr_expect(vHv >= 2 * 0.001 * vv * (1 - 100 * TEST_TIGHT_TOL), "v'Hv = %g < 2 lambda |v|^2",
              vHv);
    cr_expect(fabs(uHv - vHu) <= 100 * TEST_TIGHT_TOL * fmax(fabs(uHv), sqrt(uu * vv) * 1e-3),
              "u'Hv = %.17g, v'Hu = %.17g", uHv, vHu);
  }
  /* The dense Hyy is exactly symmetric and has a Cholesky factor (double, by hand). */
  sgfblo_real H[m * m];
  double L[m * m];
  cr_assert_eq(p.hyy_dense(x, y, H, ctx), 0);
  for (int r = 0; r < m; ++r)
    for (int c = 0; c < m; ++c) cr_expect_eq(H[r * m + c], H[c * m + r], "dense Hyy asymmetric");
  for (int j = 0; j < m; ++j) {
    double djj = H[j * m + j];
    for (int k = 0; k < j; ++k) djj -= L[j * m + k] * L[j * m + k];
    cr_assert(djj > 0, "dense Hyy not positive definite (pivot %d: %g)", j, djj);
    L[j * m + j] = sqrt(djj);
    for (int i = j + 1; i < m; ++i) {
      double lij = H[i * m + j];
      for (int k = 0; k < j; ++k) lij -= L[i * m + k] * L[j * m + k];
      L[i * m + j] = lij / L[j * m + j];
    }
  }
  sgfblo_hyperclean_destroy(hc);
  instance_free(&in);
}

/* Blocks of SGFBLO_HC_DENSE_BLOCK samples: N above one block still matches the products. */
Test(hyperclean, dense_hyy_spans_several_blocks) {
  check_instance(SGFBLO_HC_DENSE_BLOCK * 2 + 37, 20, 4, 3, 1.0, 0.5, 21, 1, TEST_FD_TOL);
}

/* ------------------------------------------------------------ exact values -- */

Test(hyperclean, objective_at_zero_is_log_c_times_mean_weight) {
  instance in;
  instance_fill(&in, 30, 12, 5, 7, 1.0, 0.001, 13);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem p;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  const sgfblo_eval_ctx *ctx = host_ctx(&p);
  sgfblo_real x[30], y[35] = {0}, sig[30], gv, fv;
  test_random_vector(x, 30, 3, 2.0);
  cr_assert_eq(sgfblo_hyperclean_weights(x, 30, sig), SGFBLO_OK);
  double mean = 0;
  for (int i = 0; i < 30; ++i) mean += sig[i];
  mean /= 30;
  cr_assert_eq(p.g_val(x, y, &gv, ctx), 0);
  cr_assert_eq(p.f_val(x, y, &fv, ctx), 0);
  expect_rel(gv, log(7.0) * mean, TEST_TIGHT_TOL, "g(x, 0)");
  expect_rel(fv, log(7.0), TEST_TIGHT_TOL, "f(0)");
  sgfblo_hyperclean_destroy(hc);
  instance_free(&in);
}

Test(hyperclean, softmax_rows_sum_to_one) {
  enum { rows = 6, C = 4, ld = 7 };
  sgfblo_real Z[rows * ld], ce[rows];
  const int32_t lab[rows] = {0, 1, 2, 3, 0, 2};
  test_random_vector(Z, rows * ld, 5, 3.0);
  /* Extreme rows: logits of +-1e3 (exp overflows without the max shift), a tie. */
  const sgfblo_real big[4] = {1000, -1000, 999, 0};
  const sgfblo_real neg[4] = {-1000, -1001, -1000, -1002};
  const sgfblo_real tie[4] = {1, 1, 1, 1};
  memcpy(Z + 3 * ld, big, sizeof big);
  memcpy(Z + 4 * ld, neg, sizeof neg);
  memcpy(Z + 5 * ld, tie, sizeof tie);
  sgfblo_real Z0[rows * ld];
  memcpy(Z0, Z, sizeof Z);
  sgfblo_hc_softmax_rows(rows, C, Z, ld, lab, ce, 0);
  for (int i = 0; i < rows; ++i) {
    double s = 0;
    for (int k = 0; k < C; ++k) {
      cr_expect(Z[i * ld + k] >= 0 && Z[i * ld + k] <= 1, "P[%d][%d] = %g", i, k,
                (double)Z[i * ld + k]);
      s += Z[i * ld + k];
    }
    cr_expect(fabs(s - 1) <= 10 * TEST_TIGHT_TOL, "row %d sums to %.17g", i, s);
    for (int k = C; k < ld; ++k) cr_expect_eq(Z[i * ld + k], Z0[i * ld + k], "padding touched");
    cr_expect(isfinite(ce[i]) && ce[i] >= 0, "ce[%d] = %g", i, (double)ce[i]);
  }
  /* ce = logsumexp - z_b, worked by hand for the extreme rows. */
  expect_rel(ce[3], 1000 + log1p(exp(-1.0)), 10 * TEST_TIGHT_TOL, "ce of +-1e3 row (label 3)");
  expect_rel(ce[4], log(2 + exp(-1.0) + exp(-2.0)), 10 * TEST_TIGHT_TOL, "ce of -1e3 row");
  expect_rel(ce[5], log(4.0), 10 * TEST_TIGHT_TOL, "ce of tied row");
  expect_rel(Z[5 * ld + 2], 0.25, 10 * TEST_TIGHT_TOL, "tied row is uniform");
  cr_expect_eq(Z[3 * ld + 1], 0.0, "exp(-2000) underflows to an exact 0");
}

/* P - B with the label entry formed from the other probabilities: accurate where p_b
   rounds to 1, and equal to p - e_b elsewhere. */
Test(hyperclean, softmax_minus_onehot_is_accurate) {
  enum { C = 3 };
  const int32_t lab[3] = {0, 2, 1};
  sgfblo_real Z[3 * C] = {0, -12, -12, 0.3f, -0.2f, 1.1f, 5, -3, 2};
  sgfblo_real P[3 * C];
  memcpy(P, Z, sizeof Z);
  sgfblo_hc_softmax_rows(3, C, P, C, NULL, NULL, 0);
  sgfblo_hc_softmax_rows(3, C, Z, C, lab, NULL, 1);
  /* Row 0: p_0 - 1 = -2 e^-12 / (1 + 2 e^-12), far below the rounding of p_0 in float. */
  const double e = exp(-12.0), want = -2 * e / (1 + 2 * e);
  expect_rel(Z[0], want, 10 * TEST_TIGHT_TOL, "p_b - 1 of a fitted sample");
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < C; ++k) {
      const double pb = (double)P[i * C + k] - (k == lab[i]);
      cr_expect(fabs(Z[i * C + k] - pb) <= 10 * TEST_TIGHT_TOL * fmax(fabs(pb), 1e-30) ||
                    (i == 0 && k == 0),
                "(P - B)[%d][%d] = %.17g, want %.17g", i, k, (double)Z[i * C + k], pb);
    }
}

Test(hyperclean, weights_are_a_stable_sigmoid) {
  const sgfblo_real x[7] = {0, 1, -1, 40, -40, 1000, -1000};
  sgfblo_real s[7];
  cr_assert_eq(sgfblo_hyperclean_weights(x, 7, s), SGFBLO_OK);
  cr_expect_eq(s[0], 0.5);
  for (int i = 1; i < 5; ++i) expect_rel(s[i], ref_sigmoid(x[i]), TEST_TIGHT_TOL, "sigmoid");
  cr_expect_eq(s[5], 1.0);
  cr_expect_eq(s[6], 0.0);
  cr_expect(all_finite(s, 7));
  sgfblo_real inplace[2] = {2, -3};
  cr_assert_eq(sgfblo_hyperclean_weights(inplace, 2, inplace), SGFBLO_OK);
  expect_rel(inplace[1], ref_sigmoid(-3), TEST_TIGHT_TOL, "in place");
  cr_expect_eq(sgfblo_hyperclean_weights(NULL, 0, NULL), SGFBLO_OK);
  cr_expect_eq(sgfblo_hyperclean_weights(NULL, 3, s), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_hyperclean_weights(x, 3, NULL), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_hyperclean_weights(x, -1, s), SGFBLO_ERR_INVALID_ARG);
  /* sigma'(+-1000) underflows to 0 without NaN (checked through Jyx^T below). */
}

Test(hyperclean, loss_acc_hand_made_case) {
  /* y maps feature 0 to class 0 and feature 1 to class 1; class 2 has logit 0. */
  const sgfblo_real y[6] = {1, 0, 0, 0, 1, 0};
  const sgfblo_real F[8] = {2, 0, 0, 3, 0, 0, -1, -1};
  const int32_t lab[4] = {0, 1, 0, 1};
  /* logits (2,0,0) -> 0 right; (0,3,0) -> 1 right; (0,0,0) tie -> 0 right; (-1,-1,0) -> 2 wrong */
  double loss = -1, acc = -1;
  sgfblo_errmsg err = {{0}};
  cr_assert_eq(sgfblo_hyperclean_loss_acc(4, 2, 3, F, lab, y, &loss, &acc, &err), SGFBLO_OK,
               "%s", err.msg);
  cr_expect_eq(acc, 0.75);
  const double want = (log(exp(2.0) + 2) - 2 + log(exp(3.0) + 2) - 3 + log(3.0) +
                       log(2 * exp(-1.0) + 1) + 1) / 4;
  expect_rel(loss, want, 10 * TEST_TIGHT_TOL, "mean cross-entropy");
  /* Optional outputs. */
  cr_expect_eq(sgfblo_hyperclean_loss_acc(4, 2, 3, F, lab, y, NULL, &acc, NULL), SGFBLO_OK);
  cr_expect_eq(sgfblo_hyperclean_loss_acc(4, 2, 3, F, lab, y, &loss, NULL, NULL), SGFBLO_OK);
  /* Errors name what is wrong. */
  const int32_t bad[4] = {0, 1, 3, 1};
  cr_expect_eq(sgfblo_hyperclean_loss_acc(4, 2, 3, F, bad, y, &loss, &acc, &err),
               SGFBLO_ERR_INVALID_ARG);
  cr_expect(strstr(err.msg, "labels[2]"), "message: %s", err.msg);
  cr_expect_eq(sgfblo_hyperclean_loss_acc(4, 2, 3, NULL, lab, y, &loss, &acc, &err),
               SGFBLO_ERR_NULL_ARG);
  cr_expect(strstr(err.msg, "features"), "message: %s", err.msg);
  cr_expect_eq(sgfblo_hyperclean_loss_acc(4, 2, 3, F, lab, NULL, &loss, &acc, &err),
               SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_hyperclean_loss_acc(0, 2, 3, F, lab, y, &loss, &acc, &err),
               SGFBLO_ERR_INVALID_ARG);
  cr_expect(strstr(err.msg, "count"), "message: %s", err.msg);
  cr_expect_eq(sgfblo_hyperclean_loss_acc(4, 2, 1, F, lab, y, &loss, &acc, &err),
               SGFBLO_ERR_INVALID_ARG);
}

/* f is the validation loss: the oracle and the free metric agree. */
Test(hyperclean, f_equals_validation_loss) {
  instance in;
  instance_fill(&in, 15, 11, 3, 4, 1.0, 0.001, 14);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem p;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  sgfblo_real x[15] = {0}, y[12], fv;
  test_random_vector(y, 12, 9, 0.5);
  cr_assert_eq(p.f_val(x, y, &fv, host_ctx(&p)), 0);
  double loss;
  cr_assert_eq(sgfblo_hyperclean_loss_acc(11, 3, 4, in.Av, in.bv, y, &loss, NULL, NULL),
               SGFBLO_OK);
  expect_rel(fv, loss, TEST_TIGHT_TOL, "f vs loss_acc");
  sgfblo_hyperclean_destroy(hc);
  instance_free(&in);
}

/* --------------------------------------------------------- object and API -- */

Test(hyperclean, problem_fields) {
  instance in;
  instance_fill(&in, 9, 4, 3, 5, 1.0, 0.001, 15);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem p;
  memset(&p, 0xab, sizeof p);
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  cr_expect_eq(p.n, 9);
  cr_expect_eq(p.m, 15);
  cr_expect(p.f_val && p.g_val && p.grad_f && p.grad_g && p.hyy_mv && p.jyx_mv && p.jyxT_mv);
  cr_expect_not_null(p.hyy_dense);
  cr_expect_not_null(p.grad_g_curv);
  cr_expect_not_null(p.curv_mv);
  cr_expect_not_null(p.jyx_dense);
  cr_expect_null(p.x0);
  cr_expect_null(p.y0);
  cr_expect_eq(p.x0_mem, SGFBLO_MEM_HOST);
  cr_expect_eq(p.user_data, (void *)hc);
  cr_expect_eq(sgfblo_hyperclean_problem(NULL, &p), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_hyperclean_problem(hc, NULL), SGFBLO_ERR_NULL_ARG);
  sgfblo_hyperclean_data view;
  cr_assert_eq(sgfblo_hyperclean_get_data(hc, &view), SGFBLO_OK);
  cr_expect(view.N == 9 && view.Nv == 4 && view.d == 3 && view.C == 5 && view.lambda == 0.001);
  cr_expect(view.A != in.A && memcmp(view.A, in.A, sizeof *in.A * 27) == 0, "A deep-copied");
  cr_expect(memcmp(view.Av, in.Av, sizeof *in.Av * 12) == 0);
  cr_expect(memcmp(view.labels, in.b, sizeof *in.b * 9) == 0);
  cr_expect(memcmp(view.val_labels, in.bv, sizeof *in.bv * 4) == 0);
  cr_expect_eq(sgfblo_hyperclean_get_data(NULL, &view), SGFBLO_ERR_NULL_ARG);
  cr_expect_eq(sgfblo_hyperclean_get_data(hc, NULL), SGFBLO_ERR_NULL_ARG);
  sgfblo_hyperclean_destroy(hc);
  sgfblo_hyperclean_destroy(NULL);
  instance_free(&in);
}

/* The caller's arrays may change or be freed after create. */
Test(hyperclean, data_is_deep_copied) {
  instance in;
  instance_fill(&in, 12, 6, 3, 3, 1.0, 0.001, 16);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem p;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  sgfblo_real x[12], y[9], f1, g1, f2, g2;
  test_random_vector(x, 12, 1, 2.0);
  test_random_vector(y, 9, 2, 0.5);
  cr_assert_eq(p.f_val(x, y, &f1, host_ctx(&p)), 0);
  cr_assert_eq(p.g_val(x, y, &g1, host_ctx(&p)), 0);
  for (int k = 0; k < 36; ++k) in.A[k] = NAN;
  for (int k = 0; k < 18; ++k) in.Av[k] = NAN;
  for (int k = 0; k < 12; ++k) in.b[k] = -7;
  for (int k = 0; k < 6; ++k) in.bv[k] = 99;
  instance_free(&in);
  cr_assert_eq(p.f_val(x, y, &f2, host_ctx(&p)), 0);
  cr_assert_eq(p.g_val(x, y, &g2, host_ctx(&p)), 0);
  cr_expect_eq(f1, f2);
  cr_expect_eq(g1, g2);
  sgfblo_hyperclean_destroy(hc);
}

/* Callbacks serve host memory only until the CUDA path exists; outputs stay untouched. */
Test(hyperclean, device_memory_is_refused) {
  instance in;
  instance_fill(&in, 8, 5, 2, 3, 1.0, 0.001, 17);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem p;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  const sgfblo_eval_ctx dev = {SGFBLO_MEM_DEVICE, NULL, p.user_data, NULL};
  sgfblo_real x[8] = {0}, y[6] = {0}, v[8] = {0}, o1[8], o2[8], o3[8], val = 42;
  for (int pass = 0; pass < 2; ++pass) {
    const sgfblo_eval_ctx *ctx = pass == 0 ? &dev : NULL;
    for (int k = 0; k < 8; ++k) o1[k] = o2[k] = o3[k] = 7;
    cr_expect_neq(p.f_val(x, y, &val, ctx), 0);
    cr_expect_neq(p.g_val(x, y, &val, ctx), 0);
    cr_expect_neq(p.grad_f(x, y, o1, o2, ctx), 0);
    cr_expect_neq(p.grad_g(x, y, o1, o2, ctx), 0);
    cr_expect_neq(p.hyy_mv(x, y, y, o2, ctx), 0);
    cr_expect_neq(p.jyx_mv(x, y, v, o2, ctx), 0);
    cr_expect_neq(p.jyxT_mv(x, y, y, o1, ctx), 0);
    cr_expect_neq(p.grad_g_curv(x, y, o2, o1, o3, ctx), 0);
    cr_expect_neq(p.curv_mv(x, y, y, o1, o2, ctx), 0);
    cr_expect_eq(val, 42);
    for (int k = 0; k < 8; ++k)
      cr_expect(o1[k] == 7 && o2[k] == 7 && o3[k] == 7, "output written");
  }
#ifdef SGFBLO_HAVE_CUDA
  /* A device call on an instance without a device copy says so in ctx->detail. */
  sgfblo_errmsg why = {{0}};
  const sgfblo_eval_ctx told = {SGFBLO_MEM_DEVICE, NULL, p.user_data, &why};
  cr_expect_neq(p.grad_g(x, y, o1, o2, &told), 0);
  cr_expect(strstr(why.msg, "no device copy"), "detail: \"%s\"", why.msg);
#endif
  sgfblo_hyperclean_destroy(hc);
  instance_free(&in);
}

/* Each bad field fails create with its status, a message naming it, and *out = NULL. */
static void expect_reject(const sgfblo_hyperclean_data *data, sgfblo_status want,
                          const char *needle) {
  sgfblo_hyperclean *hc = (sgfblo_hyperclean *)&hc; /* garbage that create must clear */
  sgfblo_errmsg err = {{0}};
  const sgfblo_status st = sgfblo_hyperclean_create(data, &hc, &err);
  cr_expect_eq(st, want, "expected %s, got %s (%s)", sgfblo_status_string(want),
               sgfblo_status_string(st), err.msg);
  cr_expect_null(hc, "out not cleared on failure");
  cr_expect(strstr(err.msg, needle) != NULL, "message \"%s\" does not name \"%s\"", err.msg,
            needle);
  if (st == SGFBLO_OK) sgfblo_hyperclean_destroy(hc);
}

Test(hyperclean, create_rejects_bad_data) {
  instance in;
  instance_fill(&in, 10, 6, 3, 4, 1.0, 0.001, 18);
  sgfblo_hyperclean_data d;

  d = in.data; in.b[3] = 4;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "labels[3] = 4");
  in.b[3] = -1;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "labels[3] = -1");
  in.b[3] = 0;
  in.bv[5] = 4;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "val_labels[5]");
  in.bv[5] = 0;

  in.A[7] = NAN; /* row 2, column 1 */
  expect_reject(&d, SGFBLO_ERR_NONFINITE, "A[7] (row 2, column 1)");
  in.A[7] = 0;
  in.Av[17] = INFINITY;
  expect_reject(&d, SGFBLO_ERR_NONFINITE, "Av[17]");
  in.Av[17] = 0;

  d = in.data; d.C = 1;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "C must be >= 2");
  d = in.data; d.N = 0;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "N must be >= 1");
  d = in.data; d.Nv = -3;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "Nv must be >= 1");
  d = in.data; d.d = 0;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "d must be >= 1");
  d = in.data; d.N = (int64_t)1 << 40;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "BLAS index limit");
  d = in.data; d.lambda = -0.5;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "lambda");
  d = in.data; d.lambda = NAN;
  expect_reject(&d, SGFBLO_ERR_NONFINITE, "lambda");
  d = in.data; d.threads = -1;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "data->threads must be in [0, 64]");
  d = in.data; d.threads = 65;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "(got 65)");
  d = in.data; d.device_pass = (sgfblo_hc_device_pass)3;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "data->device_pass must be");
  d = in.data; d.device_pass = (sgfblo_hc_device_pass)-1;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "(got -1)");

  d = in.data; d.A = NULL;
  expect_reject(&d, SGFBLO_ERR_NULL_ARG, "data->A is NULL");
  d = in.data; d.labels = NULL;
  expect_reject(&d, SGFBLO_ERR_NULL_ARG, "data->labels");
  d = in.data; d.Av = NULL;
  expect_reject(&d, SGFBLO_ERR_NULL_ARG, "data->Av");
  d = in.data; d.val_labels = NULL;
  expect_reject(&d, SGFBLO_ERR_NULL_ARG, "data->val_labels");
  expect_reject(NULL, SGFBLO_ERR_NULL_ARG, "data is NULL");

  sgfblo_errmsg err = {{0}};
  cr_expect_eq(sgfblo_hyperclean_create(&in.data, NULL, &err), SGFBLO_ERR_NULL_ARG);
  cr_expect(strstr(err.msg, "out"), "message: %s", err.msg);
  /* A NULL message buffer is allowed; lambda = 0 is accepted. */
  d = in.data; d.C = 1;
  sgfblo_hyperclean *hc = NULL;
  cr_expect_eq(sgfblo_hyperclean_create(&d, &hc, NULL), SGFBLO_ERR_INVALID_ARG);
  d = in.data; d.lambda = 0;
  cr_expect_eq(sgfblo_hyperclean_create(&d, &hc, NULL), SGFBLO_OK);
  sgfblo_hyperclean_destroy(hc);
  /* A device pass is only a request: without a device copy nothing runs on the device. */
  d = in.data; d.device_pass = SGFBLO_HC_DEVICE_PASS_FUSED;
  cr_assert_eq(sgfblo_hyperclean_create(&d, &hc, NULL), SGFBLO_OK);
  cr_expect_eq(sgfblo_hyperclean_device_pass(hc), SGFBLO_HC_DEVICE_PASS_DEFAULT);
  sgfblo_hyperclean_destroy(hc);
  cr_expect_eq(sgfblo_hyperclean_device_pass(NULL), SGFBLO_HC_DEVICE_PASS_DEFAULT);
  instance_free(&in);
}

/* ---------------------------------------------------------- row blocks -- */

/* Several chunks of row blocks, the last ones shorter, and N, Nv not multiples of the block
   height: every oracle against the naive reference (the chunk partial sums and their
   reduction are where a mistake would show). */
Test(hyperclean, oracles_over_many_row_chunks) {
  cr_assert_eq(sgfblo_hc_block_rows(5, 3, 3), 64);
  cr_assert_eq(sgfblo_hc_block_rows(5, 3, 6), 64);
  cr_assert_eq(sgfblo_hc_chunks(5001, 5, 3, 3), SGFBLO_HC_MAX_CHUNKS); /* 79 blocks */
  cr_assert_eq(sgfblo_hc_chunks(701, 5, 3, 3), 11);
  cr_assert_eq(sgfblo_hc_block_rows(784, 10, 20), 32); /* kx d bounds the block */
  cr_assert_eq(sgfblo_hc_block_rows(784, 10, 10), 64);
  check_instance(5001, 701, 5, 3, 1.0, 0.5, 41, 1, 0);
  check_instance(7, 3, 5, 3, 1.0, 0.5, 42, 1, 0); /* one short block */
}

/* A shape whose partial sums would not stay in cache runs whole-matrix GEMMs, its row work
   still in chunks over the threads: against the reference too. */
Test(hyperclean, oracles_of_a_whole_matrix_shape) {
  cr_assert_eq(sgfblo_hc_block_rows(4400, 60, 60), 0);
  cr_assert_eq(sgfblo_hc_partials(301, 4400, 60), 0);
  check_instance(301, 40, 4400, 60, 1.0, 0.05, 44, 1, 0);
}

/* Every host oracle's outputs at one random point, concatenated. */
static size_t oracle_outputs(const sgfblo_hyperclean_data *data, sgfblo_real *out, int *threads) {
  sgfblo_hyperclean *hc = create_ok(data);
  *threads = sgfblo_hyperclean_threads(hc);
  sgfblo_problem p;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &p), SGFBLO_OK);
  const sgfblo_eval_ctx *ctx = host_ctx(&p);
  const int64_t N = data->N, m = data->d * data->C;
  sgfblo_real *x = malloc(sizeof *x * N), *y = malloc(sizeof *y * m);
  sgfblo_real *u = malloc(sizeof *u * N), *v = malloc(sizeof *v * m);
  cr_assert(x && y && u && v);
  test_random_vector(x, N, 71, 2.0);
  test_random_vector(y, m, 72, 0.5);
  test_random_vector(u, N, 73, 1.0);
  test_random_vector(v, m, 74, 1.0);
  sgfblo_real *o = out;
  cr_assert_eq(p.f_val(x, y, o++, ctx), 0);
  cr_assert_eq(p.g_val(x, y, o++, ctx), 0);
  cr_assert_eq(p.grad_f(x, y, o, o + N, ctx), 0);
  o += N + m;
  cr_assert_eq(p.grad_g(x, y, o, o + N, ctx), 0);
  o += N + m;
  cr_assert_eq(p.hyy_mv(x, y, v, o, ctx), 0);
  o += m;
  cr_assert_eq(p.jyx_mv(x, y, u, o, ctx), 0);
  o += m;
  cr_assert_eq(p.jyxT_mv(x, y, v, o, ctx), 0);
  o += N;
  cr_assert_eq(p.curv_mv(x, y, v, o, o + N, ctx), 0);
  o += N + m;
  cr_assert_eq(p.grad_g_curv(x, y, o, o + m, o + m + N, ctx), 0);
  o += 2 * m + N;
  free(x); free(y); free(u); free(v);
  sgfblo_hyperclean_destroy(hc);
  return (size_t)(o - out);
}

/* The same bits on 1, 2, 3 and 8 threads (the chunks and their order of summation are fixed
   by the shape): at the paper's d, C and at a large m, where fewer partial sums fit. */
static void same_bits_on_any_thread_count(int64_t N, int64_t Nv, int64_t d, int64_t C) {
  instance in;
  instance_fill(&in, N, Nv, d, C, 1.0, 0.001, 43);
  const int64_t m = d * C;
  const size_t len = (size_t)(2 + 5 * N + 7 * m);
  sgfblo_real *ref = malloc(sizeof *ref * len), *got = malloc(sizeof *got * len);
  cr_assert(ref && got);
  int threads = 0;
  in.data.threads = 1;
  cr_assert_eq(oracle_outputs(&in.data, ref, &threads), len);
  cr_assert_eq(threads, 1);
  const int counts[] = {2, 3, 8};
  for (size_t k = 0; k < sizeof counts / sizeof counts[0]; ++k) {
    in.data.threads = counts[k];
    oracle_outputs(&in.data, got, &threads);
    cr_expect_eq(threads, counts[k], "asked %d threads, got %d", counts[k], threads);
    size_t diff = 0;
    for (size_t i = 0; i < len; ++i) diff += memcmp(&ref[i], &got[i], sizeof ref[i]) != 0;
    cr_expect_eq(diff, 0, "N %lld d %lld C %lld: %zu of %zu outputs differ on %d threads",
                 (long long)N, (long long)d, (long long)C, diff, len, counts[k]);
  }
  free(ref);
  free(got);
  instance_free(&in);
}

Test(hyperclean, same_bits_on_any_thread_count) {
  same_bits_on_any_thread_count(3001, 1203, 82, 10);
  cr_assert_lt(sgfblo_hc_chunks(700, 300, 250, 250), SGFBLO_HC_MAX_CHUNKS);
  same_bits_on_any_thread_count(700, 90, 300, 250);
  same_bits_on_any_thread_count(301, 40, 4400, 60); /* whole-matrix GEMMs */
}

/* ------------------------------------------------------ fused in the flows -- */

/* A flow with the fused callbacks (grad_g_curv, curv_mv) and with the separate calls: the same
   trajectory to tol and, where no CG iteration count can move with rounding, the same oracle
   counts (a fused call counts as the calls it replaces). */
static void flow_fused_vs_separate_tol(sgfblo_method method, double tol, int same_counts) {
  instance in;
  instance_fill(&in, 60, 20, 6, 4, 1.0, 0.001, 31);
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_problem fused, apart;
  cr_assert_eq(sgfblo_hyperclean_problem(hc, &fused), SGFBLO_OK);
  apart = fused;
  apart.grad_g_curv = NULL;
  apart.curv_mv = NULL;
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = method;
  set.dt = 0.5;
  set.t_final = 10; /* 20 RK4 steps */
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 5;
  const int64_t n = fused.n, m = fused.m;
  sgfblo_real *z[2];
  sgfblo_info info[2];
  for (int k = 0; k < 2; ++k) {
    sgfblo_solver *s = NULL;
    cr_assert_eq(sgfblo_solver_create(&s), SGFBLO_OK);
    cr_assert_eq(sgfblo_solver_setup(s, k == 0 ? &fused : &apart, &set), SGFBLO_OK, "%s",
                 sgfblo_solver_last_error(s));
    cr_assert_eq(sgfblo_solver_solve(s), SGFBLO_OK, "%s", sgfblo_solver_last_error(s));
    z[k] = malloc(sizeof *z[k] * (size_t)(n + m));
    cr_assert_not_null(z[k]);
    cr_assert_eq(sgfblo_solver_get_state(s, z[k], z[k] + n), SGFBLO_OK);
    cr_assert_eq(sgfblo_solver_get_info(s, &info[k]), SGFBLO_OK);
    sgfblo_solver_destroy(s);
  }
  const double rel = test_rel_err(z[0], z[1], n + m, 1e-30);
  cr_log_info("%s fused vs separate: state rel err %.3e", sgfblo_method_name(method), rel);
  cr_expect(rel <= tol, "%s: fused and separate states differ (rel %.3e)",
            sgfblo_method_name(method), rel);
  if (same_counts) {
    cr_expect_eq(info[0].n_grad, info[1].n_grad);
    cr_expect_eq(info[0].n_prod, info[1].n_prod);
  }
  cr_expect_eq(info[0].last.n_rhs, info[1].last.n_rhs);
  cr_expect_eq(info[0].last.step, 20);
  cr_expect_gt(info[0].n_prod, 0);
  free(z[0]);
  free(z[1]);
  sgfblo_hyperclean_destroy(hc);
  instance_free(&in);
}

static void flow_fused_vs_separate(sgfblo_method method) {
  flow_fused_vs_separate_tol(method, TEST_TIGHT_TOL, 1);
}

Test(hyperclean, rxgf_fused_matches_separate_calls) { flow_fused_vs_separate(SGFBLO_METHOD_RXGF); }

/* SGF-CG's J J^T products take Jyx^T v and Hyy v from curv_mv: the CG iterates part by
   rounding, so the states agree to about the CG tolerance. */
Test(hyperclean, sgf_cg_fused_matches_separate_calls) {
  flow_fused_vs_separate_tol(SGFBLO_METHOD_SGF_CG, 1e3 * TEST_CG_TOL + TEST_TIGHT_TOL, 0);
}

Test(hyperclean, invfree_fused_matches_separate_calls) {
  flow_fused_vs_separate(SGFBLO_METHOD_INVFREE);
}

/* ------------------------------------------------------- memory space of the data -- */

Test(hyperclean, create_rejects_a_memory_space_out_of_range) {
  instance in;
  instance_fill(&in, 10, 6, 3, 4, 1.0, 0.001, 19);
  sgfblo_hyperclean_data d = in.data;
  d.mem = (sgfblo_memspace)7;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "data->mem");
  d.mem = (sgfblo_memspace)-1;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "data->mem");
  /* Dimensions are still checked first, whatever the memory space. */
  d = in.data;
  d.mem = SGFBLO_MEM_DEVICE;
  d.C = 1;
  expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "C must be >= 2");
  d = in.data;
  d.mem = SGFBLO_MEM_DEVICE;
  d.A = NULL;
  expect_reject(&d, SGFBLO_ERR_NULL_ARG, "data->A is NULL");
  instance_free(&in);
}

/* Device data where no CUDA device can take it: a clean status, never a crash. The host
   pointers below are never read as device memory: without CUDA (or without a device) create
   stops before, and with a device they are refused as host memory. */
Test(hyperclean, device_data_without_a_device_is_a_clean_error) {
  instance in;
  instance_fill(&in, 10, 6, 3, 4, 1.0, 0.001, 20);
  sgfblo_hyperclean_data d = in.data;
  d.mem = SGFBLO_MEM_DEVICE;
  d.device_id = 0;
#ifndef SGFBLO_HAVE_CUDA
  expect_reject(&d, SGFBLO_ERR_NO_BACKEND, "no CUDA backend");
#else
  if (sgfblo_backend_available(SGFBLO_BACKEND_CUDA)) {
    expect_reject(&d, SGFBLO_ERR_INVALID_ARG, "hyperclean: A (");
  } else {
    sgfblo_hyperclean *hc = (sgfblo_hyperclean *)&hc;
    sgfblo_errmsg err = {{0}};
    const sgfblo_status st = sgfblo_hyperclean_create(&d, &hc, &err);
    cr_expect(st == SGFBLO_ERR_NO_BACKEND || st == SGFBLO_ERR_CUDA, "got %s (%s)",
              sgfblo_status_string(st), err.msg);
    cr_expect_null(hc);
    cr_expect(strstr(err.msg, "SGFBLO_MEM_DEVICE") != NULL, "message: %s", err.msg);
  }
#endif
  instance_free(&in);
}

/* A host instance reports host memory in its view, whatever device_id the data carried. */
Test(hyperclean, view_of_host_data_is_host_memory) {
  instance in;
  instance_fill(&in, 10, 6, 3, 4, 1.0, 0.001, 21);
  in.data.device_id = 5; /* ignored for host data */
  sgfblo_hyperclean *hc = create_ok(&in.data);
  sgfblo_hyperclean_data view;
  memset(&view, 0xab, sizeof view);
  cr_assert_eq(sgfblo_hyperclean_get_data(hc, &view), SGFBLO_OK);
  cr_expect_eq(view.mem, SGFBLO_MEM_HOST);
  cr_expect_eq(view.device_id, 0);
  cr_expect_eq(view.N, 10);
  cr_expect(view.A != in.A && view.A != NULL, "the view shows the instance's own copy");
  cr_expect_eq(memcmp(view.A, in.A, sizeof *in.A * 30), 0);
  sgfblo_hyperclean_destroy(hc);
  instance_free(&in);
}
