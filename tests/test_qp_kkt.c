/* Each method's closed form against the KKT conditions of its QP (or its defining equations)
   at random states, on the synthetic and the quadratic problems. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>

#include "flow_helpers.h"
#include "support.h"

#ifdef SGFBLO_USE_FLOAT
#define KKT_TOL 2e-3
#else
#define KKT_TOL 1e-9
#endif

/* Everything a KKT check needs at one state z = (x, y). */
typedef struct {
  int64_t n, m;
  sgfblo_real *z, *v;        /* state and the method's velocity */
  sgfblo_real *gf, *gy;      /* (grad_x f, grad_y f), grad_y g */
  sgfblo_real *gh;           /* grad h = 2 (Jyx^T gy, Hyy gy) */
  double h;
} state;

static state at_random_state(const sgfblo_problem *p, sgfblo_solver *s, uint64_t seed, double scale) {
  state S = {p->n, p->m, vec(p->n + p->m), vec(p->n + p->m), vec(p->n + p->m), vec(p->m), vec(p->n + p->m), 0};
  test_random_vector(S.z, S.n + S.m, seed, scale);
  const sgfblo_real *x = S.z, *y = S.z + S.n;
  const sgfblo_eval_ctx *c = host_ctx(p);
  cr_assert_eq(p->grad_f(x, y, S.gf, S.gf + S.n, c), 0);
  cr_assert_eq(p->grad_g(x, y, NULL, S.gy, c), 0);
  cr_assert_eq(p->jyxT_mv(x, y, S.gy, S.gh, c), 0);
  cr_assert_eq(p->hyy_mv(x, y, S.gy, S.gh + S.n, c), 0);
  for (int64_t i = 0; i < S.n + S.m; ++i) S.gh[i] *= 2;
  S.h = dot(S.gy, S.gy, S.m);
  const sgfblo_status st = sgfblo_solver_eval_rhs(s, S.z, S.v);
  cr_assert_eq(st, SGFBLO_OK, "%s", sgfblo_solver_last_error(s));
  return S;
}

static void state_free(state *S) {
  free(S->z); free(S->v); free(S->gf); free(S->gy); free(S->gh);
}

static sgfblo_settings settings_for(sgfblo_method m) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = m;
  set.alpha = 0.7;
  set.epsilon = 0.3;
  set.beta = 1.3;
  set.mu1 = 0.8;
  set.mu2 = 1.7;
  set.cg_tol = TEST_CG_TOL;
  return set;
}

/* SGF: feasibility Jyx xdot + Hyy ydot + alpha gy = 0; stationarity v + grad f = -J^T lambda. */
static void check_sgf(const sgfblo_problem *p, sgfblo_method m, uint64_t seed) {
  sgfblo_settings set = settings_for(m);
  sgfblo_solver *s = make_solver(p, &set);
  state S = at_random_state(p, s, seed, 1.0);
  const int64_t n = S.n, mm = S.m;
  const sgfblo_real *x = S.z, *y = S.z + n;
  sgfblo_real *r = vec(mm), *t = vec(mm), *lam = vec(mm), *rhs = vec(mm), *jl = vec(n);
  cr_assert_eq(p->jyx_mv(x, y, S.v, r, host_ctx(p)), 0);
  cr_assert_eq(p->hyy_mv(x, y, S.v + n, t, host_ctx(p)), 0);
  double res = 0, scale = 0;
  for (int64_t i = 0; i < mm; ++i) {
    const double ri = r[i] + t[i] + set.alpha * S.gy[i];
    res += ri * ri;
    scale += S.gy[i] * S.gy[i];
  }
  const double feas = sqrt(res) / fmax(sqrt(scale) * set.alpha, 1e-12);
  /* lambda from the y block: Hyy lambda = -(ydot + grad_y f); then the x block must hold. */
  for (int64_t i = 0; i < mm; ++i) rhs[i] = -(S.v[n + i] + S.gf[n + i]);
  hyy_solve_ref(p, x, y, rhs, lam);
  cr_assert_eq(p->jyxT_mv(x, y, lam, jl, host_ctx(p)), 0);
  double sres = 0, sscale = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double ri = S.v[i] + S.gf[i] + jl[i];
    sres += ri * ri;
    sscale += S.gf[i] * S.gf[i];
  }
  const double stat = sqrt(sres) / fmax(sqrt(sscale), 1e-12);
  cr_log_info("%s seed %llu: feasibility %.2e, stationarity %.2e", sgfblo_method_name(m),
              (unsigned long long)seed, feas, stat);
  cr_expect(feas <= KKT_TOL * 10, "%s: velocity constraint violated (%.3e)", sgfblo_method_name(m), feas);
  cr_expect(stat <= KKT_TOL * 10, "%s: stationarity violated (%.3e)", sgfblo_method_name(m), stat);
  free(r); free(t); free(lam); free(rhs); free(jl);
  state_free(&S);
  sgfblo_solver_destroy(s);
}

/* Scalar-constraint flows: v + grad f = -lambda grad h with lambda >= 0 (RXGF), the constraint
   grad h'v + alpha (h - eps^2) <= 0 (= 0 for invfree), complementarity. */
static void check_scalar(const sgfblo_problem *p, sgfblo_method m, uint64_t seed, double scale,
                         int *saw_active, int *saw_inactive) {
  sgfblo_settings set = settings_for(m);
  sgfblo_solver *s = make_solver(p, &set);
  state S = at_random_state(p, s, seed, scale);
  const int64_t nz = S.n + S.m;
  const double e2 = m == SGFBLO_METHOD_RXGF ? set.epsilon * set.epsilon : 0.0;
  /* lambda is the least-squares multiplier of v + grad f along grad h. */
  sgfblo_real *u = vec(nz);
  for (int64_t i = 0; i < nz; ++i) u[i] = S.v[i] + S.gf[i];
  const double gg = dot(S.gh, S.gh, nz);
  const double lambda = -dot(u, S.gh, nz) / gg;
  double res = 0;
  for (int64_t i = 0; i < nz; ++i) res += pow(u[i] + lambda * S.gh[i], 2);
  const double gfn = sqrt(dot(S.gf, S.gf, nz));
  const double stat = sqrt(res) / fmax(gfn, 1e-12);
  const double cons = dot(S.gh, S.v, nz) + set.alpha * (S.h - e2);
  const double cscale = fabs(dot(S.gh, S.gf, nz)) + set.alpha * (S.h + e2) + 1e-12;
  cr_log_info("%s seed %llu: h = %.3g, lambda = %.3e, stationarity %.2e, constraint %.2e",
              sgfblo_method_name(m), (unsigned long long)seed, S.h, lambda, stat, cons / cscale);
  cr_expect(stat <= KKT_TOL * 10, "stationarity violated (%.3e)", stat);
  if (m == SGFBLO_METHOD_RXGF) {
    cr_expect(lambda >= -KKT_TOL * 10 * fmax(1.0, fabs(lambda)), "lambda < 0 (%.3e)", lambda);
    cr_expect(cons / cscale <= KKT_TOL * 10, "constraint violated (%.3e)", cons / cscale);
    cr_expect(fabs(lambda * cons) / (fabs(lambda) * cscale + 1e-300) <= KKT_TOL * 10 || fabs(lambda) < 1e-12,
              "complementarity violated: lambda %.3e, constraint %.3e", lambda, cons);
    if (lambda > 1e-8) *saw_active = 1;
    if (fabs(lambda) <= 1e-12) *saw_inactive = 1;
  } else {
    cr_expect(fabs(cons) / cscale <= KKT_TOL * 10, "equality constraint violated (%.3e)", cons / cscale);
  }
  free(u);
  state_free(&S);
  sgfblo_solver_destroy(s);
}

/* PC and STABLE: xdot = -c F with F from an independent dense solve; the y equation holds. */
static void check_pc(const sgfblo_problem *p, sgfblo_method m, sgfblo_linsolve ls, uint64_t seed) {
  sgfblo_settings set = settings_for(m);
  set.linsolve = ls;
  sgfblo_solver *s = make_solver(p, &set);
  state S = at_random_state(p, s, seed, 1.0);
  const int64_t n = S.n, mm = S.m;
  const sgfblo_real *x = S.z, *y = S.z + n;
  sgfblo_real *w = vec(mm), *F = vec(n), *r = vec(mm), *t = vec(mm);
  hyy_solve_ref(p, x, y, S.gf + n, w);
  cr_assert_eq(p->jyxT_mv(x, y, w, F, host_ctx(p)), 0);
  for (int64_t i = 0; i < n; ++i) F[i] = S.gf[i] - F[i];
  const double c = m == SGFBLO_METHOD_PC ? 1.0 : set.mu1;
  double ex = 0, sx = 0;
  for (int64_t i = 0; i < n; ++i) {
    ex += pow(S.v[i] + c * F[i], 2);
    sx += F[i] * F[i];
  }
  /* PC: Jyx xdot + Hyy ydot = -beta gy.  STABLE: Hyy (ydot + mu2 gy) = -Jyx xdot. */
  cr_assert_eq(p->jyx_mv(x, y, S.v, r, host_ctx(p)), 0);
  for (int64_t i = 0; i < mm; ++i) w[i] = S.v[n + i] + (m == SGFBLO_METHOD_STABLE ? set.mu2 * S.gy[i] : 0);
  cr_assert_eq(p->hyy_mv(x, y, w, t, host_ctx(p)), 0);
  double ey = 0, sy = 0;
  for (int64_t i = 0; i < mm; ++i) {
    const double rhs = m == SGFBLO_METHOD_PC ? -set.beta * S.gy[i] : 0.0;
    ey += pow(r[i] + t[i] - rhs, 2);
    sy += pow(r[i], 2) + pow(S.gy[i], 2);
  }
  const double rx = sqrt(ex / fmax(sx, 1e-24)), ry = sqrt(ey / fmax(sy, 1e-24));
  cr_log_info("%s (%s) seed %llu: x equation %.2e, y equation %.2e", sgfblo_method_name(m),
              ls == SGFBLO_LINSOLVE_CHOL ? "chol" : "cg", (unsigned long long)seed, rx, ry);
  cr_expect(rx <= KKT_TOL * 10, "xdot != -c F (%.3e)", rx);
  cr_expect(ry <= KKT_TOL * 10, "y equation violated (%.3e)", ry);
  free(w); free(F); free(r); free(t);
  state_free(&S);
  sgfblo_solver_destroy(s);
}

static sgfblo_synthetic *SYN;
static sgfblo_quadratic *QUAD;
static sgfblo_problem PSYN, PQUAD;

static void setup_problems(void) {
  cr_assert_eq(sgfblo_synthetic_random(8, 11, &SYN, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_synthetic_problem(SYN, &PSYN), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_random(5, 7, 12, &QUAD, NULL), SGFBLO_OK);
  cr_assert_eq(sgfblo_quadratic_problem(QUAD, &PQUAD), SGFBLO_OK);
}

static void teardown_problems(void) {
  sgfblo_synthetic_destroy(SYN);
  sgfblo_quadratic_destroy(QUAD);
}

TestSuite(kkt, .init = setup_problems, .fini = teardown_problems);

Test(kkt, sgf_cholesky_and_cg) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    check_sgf(&PSYN, SGFBLO_METHOD_SGF_CHOL, seed);
    check_sgf(&PSYN, SGFBLO_METHOD_SGF_CG, seed);
    check_sgf(&PQUAD, SGFBLO_METHOD_SGF_CHOL, seed);
    check_sgf(&PQUAD, SGFBLO_METHOD_SGF_CG, seed);
  }
}

Test(kkt, rxgf_active_and_inactive) {
  int active = 0, inactive = 0;
  /* Small states are inside the eps-set (filter inactive), large ones outside. */
  const double scales[] = {0.01, 0.05, 1.0, 3.0};
  for (uint64_t seed = 1; seed <= 4; ++seed)
    for (size_t k = 0; k < 4; ++k) {
      check_scalar(&PSYN, SGFBLO_METHOD_RXGF, seed, scales[k], &active, &inactive);
      check_scalar(&PQUAD, SGFBLO_METHOD_RXGF, seed, scales[k], &active, &inactive);
    }
  cr_assert(active && inactive, "the random states must exercise both branches (active %d, inactive %d)",
            active, inactive);
}

Test(kkt, invfree_equality) {
  int a = 0, b = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    check_scalar(&PSYN, SGFBLO_METHOD_INVFREE, seed, 1.0, &a, &b);
    check_scalar(&PQUAD, SGFBLO_METHOD_INVFREE, seed, 1.0, &a, &b);
  }
}

Test(kkt, prediction_correction_and_stable) {
  for (uint64_t seed = 1; seed <= 3; ++seed)
    for (int ls = 0; ls < 2; ++ls) {
      check_pc(&PSYN, SGFBLO_METHOD_PC, (sgfblo_linsolve)ls, seed);
      check_pc(&PQUAD, SGFBLO_METHOD_PC, (sgfblo_linsolve)ls, seed);
      check_pc(&PSYN, SGFBLO_METHOD_STABLE, (sgfblo_linsolve)ls, seed);
      check_pc(&PQUAD, SGFBLO_METHOD_STABLE, (sgfblo_linsolve)ls, seed);
    }
}

Test(kkt, rxgf_at_the_lower_solution_is_the_gradient_flow) {
  /* On grad_y g = 0 the denominator vanishes; lambda must be 0 and the output finite. */
  sgfblo_settings set = settings_for(SGFBLO_METHOD_RXGF);
  sgfblo_solver *s = make_solver(&PQUAD, &set);
  const int64_t n = PQUAD.n, m = PQUAD.m;
  sgfblo_real *z = vec(n + m), *v = vec(n + m), *gf = vec(n + m);
  cr_assert_eq(sgfblo_quadratic_solution(QUAD, z, z + n), SGFBLO_OK); /* y = y*(x) exactly */
  cr_assert_eq(sgfblo_solver_eval_rhs(s, z, v), SGFBLO_OK);
  cr_assert_eq(PQUAD.grad_f(z, z + n, gf, gf + n, host_ctx(&PQUAD)), 0);
  for (int64_t i = 0; i < n + m; ++i) {
    cr_assert(isfinite(v[i]));
    cr_expect_float_eq(v[i], -gf[i], 1e-8 * (1 + fabs(gf[i])));
  }
  free(z); free(v); free(gf);
  sgfblo_solver_destroy(s);
}
