/* custom_problem.c: a bilevel problem of your own, given to sgfblo as callbacks.
 *
 * Copy this file and replace the problem. What it solves (n = 3 hyperparameters, m = 5
 * fitted values):
 *
 *   lower level   y*(x) = argmin_y g(x, y),   g(x, y) = 1/2 ||y - M x||^2 + mu/2 ||y||^2
 *   upper level   min_x f(x, y*(x)),          f(x, y) = 1/2 ||y - t||^2 + lam/2 ||x||^2
 *
 * g(x, .) is strongly convex (its Hessian is (1 + mu) I), which every method needs. The
 * callbacks supply the oracles of docs/CUSTOM_PROBLEMS.md:
 *
 *   grad_x f = lam x            grad_y f = y - t
 *   grad_x g = -M'(y - M x)     grad_y g = (1 + mu) y - M x
 *   Hyy v    = (1 + mu) v       (m -> m)
 *   Jyx u    = -M u             (n -> m)   Jyx = d(grad_y g)/dx, m x n
 *   Jyx' v   = -M' v            (m -> n)
 *
 * Here y*(x) = M x / (1 + mu) is known, so the program also prints the exact answer
 * x* = (K'K + lam I)^{-1} K't with K = M / (1 + mu) to compare with what the flow found.
 *
 * Build: it is built with the library (target example_custom_problem); outside the tree,
 *   cc custom_problem.c -lsgfblo -llapacke -lopenblas -lz -lm
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sgfblo/sgfblo.h"

#define N 3 /* upper-level dimension: x */
#define M 5 /* lower-level dimension: y */

/* Everything the callbacks need reaches them through problem.user_data. */
typedef struct {
  sgfblo_real Mx[M][N]; /* the matrix M, row-major */
  sgfblo_real t[M];     /* target of the upper level */
  sgfblo_real mu;       /* lower-level ridge weight, > 0 */
  sgfblo_real lam;      /* upper-level weight on ||x||^2, > 0 */
} ridge;

/* Host-only problem: refuse device memory (a CUDA-backend solve would hand us device
   pointers, which this code cannot read). Any nonzero return ends the solve with
   SGFBLO_ERR_CALLBACK, and the value is kept in sgfblo_info.callback_code. */
#define HOST_DATA(ctx) ((ctx)->mem == SGFBLO_MEM_HOST ? (const ridge *)(ctx)->user_data : NULL)
enum { NOT_ON_HOST = 1 };

/* (M x)_i */
static double m_row(const ridge *r, int i, const sgfblo_real *x) {
  double s = 0;
  for (int j = 0; j < N; ++j) s += (double)r->Mx[i][j] * x[j];
  return s;
}

/* (M' v)_j */
static double mt_col(const ridge *r, int j, const sgfblo_real *v) {
  double s = 0;
  for (int i = 0; i < M; ++i) s += (double)r->Mx[i][j] * v[i];
  return s;
}

static int f_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                 const sgfblo_eval_ctx *ctx) {
  const ridge *r = HOST_DATA(ctx);
  if (!r) return NOT_ON_HOST;
  double s = 0;
  for (int i = 0; i < M; ++i) s += 0.5 * ((double)y[i] - r->t[i]) * ((double)y[i] - r->t[i]);
  for (int j = 0; j < N; ++j) s += 0.5 * r->lam * (double)x[j] * x[j];
  *out = (sgfblo_real)s;
  return 0;
}

static int g_val(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *out,
                 const sgfblo_eval_ctx *ctx) {
  const ridge *r = HOST_DATA(ctx);
  if (!r) return NOT_ON_HOST;
  double s = 0;
  for (int i = 0; i < M; ++i) {
    const double res = (double)y[i] - m_row(r, i, x);
    s += 0.5 * res * res + 0.5 * r->mu * (double)y[i] * y[i];
  }
  *out = (sgfblo_real)s;
  return 0;
}

/* Gradients: either output may be NULL, meaning "not needed": skip that block. */
static int grad_f(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                  const sgfblo_eval_ctx *ctx) {
  const ridge *r = HOST_DATA(ctx);
  if (!r) return NOT_ON_HOST;
  if (gx)
    for (int j = 0; j < N; ++j) gx[j] = r->lam * x[j];
  if (gy)
    for (int i = 0; i < M; ++i) gy[i] = y[i] - r->t[i];
  return 0;
}

static int grad_g(const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx, sgfblo_real *gy,
                  const sgfblo_eval_ctx *ctx) {
  const ridge *r = HOST_DATA(ctx);
  if (!r) return NOT_ON_HOST;
  if (gx) { /* -M'(y - M x), without a scratch vector: sum over rows */
    for (int j = 0; j < N; ++j) gx[j] = 0;
    for (int i = 0; i < M; ++i) {
      const double res = (double)y[i] - m_row(r, i, x);
      for (int j = 0; j < N; ++j) gx[j] = (sgfblo_real)(gx[j] - r->Mx[i][j] * res);
    }
  }
  if (gy)
    for (int i = 0; i < M; ++i) gy[i] = (sgfblo_real)((1 + r->mu) * y[i] - m_row(r, i, x));
  return 0;
}

/* Second-order products. x and y are the point; v (or u) the vector; out never aliases them. */
static int hyy_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                  sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  const ridge *r = HOST_DATA(ctx);
  if (!r) return NOT_ON_HOST;
  for (int i = 0; i < M; ++i) out[i] = (1 + r->mu) * v[i];
  return 0;
}

static int jyx_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *u,
                  sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  const ridge *r = HOST_DATA(ctx);
  if (!r) return NOT_ON_HOST;
  for (int i = 0; i < M; ++i) out[i] = (sgfblo_real)-m_row(r, i, u);
  return 0;
}

static int jyxT_mv(const sgfblo_real *x, const sgfblo_real *y, const sgfblo_real *v,
                   sgfblo_real *out, const sgfblo_eval_ctx *ctx) {
  (void)x;
  (void)y;
  const ridge *r = HOST_DATA(ctx);
  if (!r) return NOT_ON_HOST;
  for (int j = 0; j < N; ++j) out[j] = (sgfblo_real)-mt_col(r, j, v);
  return 0;
}

/* The exact x* of this example: solve (K'K + lam I) x = K't, K = M / (1 + mu), a 3 x 3 SPD
   system, by Gaussian elimination. Only for the comparison printed at the end. */
static void exact_solution(const ridge *r, double xs[N]) {
  double S[N][N + 1];
  const double k = 1.0 / (1.0 + r->mu);
  for (int a = 0; a < N; ++a) {
    for (int b = 0; b < N; ++b) {
      double s = 0;
      for (int i = 0; i < M; ++i) s += k * k * r->Mx[i][a] * r->Mx[i][b];
      S[a][b] = s + (a == b ? r->lam : 0);
    }
    double s = 0;
    for (int i = 0; i < M; ++i) s += k * r->Mx[i][a] * r->t[i];
    S[a][N] = s;
  }
  for (int c = 0; c < N; ++c)
    for (int a = c + 1; a < N; ++a) {
      const double l = S[a][c] / S[c][c];
      for (int b = c; b <= N; ++b) S[a][b] -= l * S[c][b];
    }
  for (int a = N - 1; a >= 0; --a) {
    double s = S[a][N];
    for (int b = a + 1; b < N; ++b) s -= S[a][b] * xs[b];
    xs[a] = s / S[a][a];
  }
}

/* Run a solver call; on failure print the status and the solver's own message, then clean up.
   (main's `st` and `solver` and its `done:` label are assumed.) */
#define CHECK(call)                                                                        \
  do {                                                                                     \
    st = (call);                                                                           \
    if (st != SGFBLO_OK) {                                                                 \
      fprintf(stderr, "%s: %s: %s\n", #call, sgfblo_status_string(st),                     \
              sgfblo_solver_last_error(solver));                                           \
      goto done;                                                                           \
    }                                                                                      \
  } while (0)

int main(void) {
  static const ridge data = {
      .Mx = {{1.0, 0.5, 0.0}, {0.2, 1.0, -0.3}, {0.0, 0.4, 1.0}, {-0.5, 0.0, 0.8}, {0.3, -0.7, 0.1}},
      .t = {1.0, -0.5, 0.8, 0.3, -1.2},
      .mu = 0.5,
      .lam = 0.1,
  };

  /* 1. The problem: dimensions, callbacks, user data. Unset optional members stay NULL:
        g_val, hyy_dense and jyx_dense are optional; x0 = y0 = NULL starts from zeros. */
  sgfblo_problem prob;
  memset(&prob, 0, sizeof prob);
  prob.n = N;
  prob.m = M;
  prob.f_val = f_val;
  prob.g_val = g_val;
  prob.grad_f = grad_f;
  prob.grad_g = grad_g;
  prob.hyy_mv = hyy_mv;
  prob.jyx_mv = jyx_mv;
  prob.jyxT_mv = jyxT_mv;
  prob.x0 = NULL;
  prob.y0 = NULL;
  prob.x0_mem = SGFBLO_MEM_HOST;
  prob.user_data = (void *)&data; /* the callbacks only read it */

  /* 2. Settings: start from the defaults, change what you need. */
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.backend = SGFBLO_BACKEND_CPU;
  set.method = SGFBLO_METHOD_RXGF; /* relaxed safe gradient flow, eq. (RXGF) */
  set.integrator = SGFBLO_INTEG_RK4;
  set.alpha = 1.0;                 /* safety-filter gain */
  set.epsilon = 1e-2;              /* keep ||grad_y g|| <= epsilon along the flow */
  set.init_lower = 1;              /* start from y = y*(x0), inside that set */
  /* The filter stiffens as epsilon shrinks: if ||grad_y g|| ends above epsilon, the step is
     too large for it; halve dt. */
  set.dt = 0.002;
  set.t_final = 50.0;
  set.tol = 1e-9; /* stop early once ||(xdot, ydot)||_inf <= tol */

  char msg[256];
  sgfblo_status st = sgfblo_settings_validate(&set, msg, sizeof msg);
  if (st != SGFBLO_OK) {
    fprintf(stderr, "settings: %s: %s\n", sgfblo_status_string(st), msg);
    return 1;
  }

  /* 3. create -> setup -> solve -> get_info / get_state -> destroy. Every call returns a
        status; on failure, sgfblo_solver_last_error says what exactly went wrong. */
  sgfblo_solver *solver = NULL;
  st = sgfblo_solver_create(&solver);
  if (st != SGFBLO_OK) {
    fprintf(stderr, "sgfblo_solver_create: %s\n", sgfblo_status_string(st));
    return 1;
  }

  sgfblo_info info;
  sgfblo_real x[N], y[M];
  double xs[N], err = 0;
  CHECK(sgfblo_solver_setup(solver, &prob, &set)); /* copies prob; data must outlive solver */
  CHECK(sgfblo_solver_solve(solver));
  CHECK(sgfblo_solver_get_info(solver, &info));
  CHECK(sgfblo_solver_get_state(solver, x, y));

  printf("exit: %s after %lld steps, t = %g\n", sgfblo_exit_flag_name(info.exit_flag),
         (long long)info.last.step, info.last.t);
  printf("f = %.8g   ||grad_y g|| = %.3e   ||hypergradient|| = %.3e\n", info.last.f,
         info.last.grad_g_norm, info.last.hypergrad_norm);
  printf("oracle calls: %lld gradients, %lld products\n", (long long)info.n_grad,
         (long long)info.n_prod);

  exact_solution(&data, xs);
  printf("%4s %14s %14s\n", "", "flow", "exact");
  for (int j = 0; j < N; ++j) {
    printf("x[%d] %14.8f %14.8f\n", j, (double)x[j], xs[j]);
    err = fmax(err, fabs((double)x[j] - xs[j]));
  }
  printf("max |x - x*| = %.3e (RXGF solves the problem relaxed to ||grad_y g|| <= %g)\n", err,
         set.epsilon);
  for (int i = 0; i < M; ++i) printf("y[%d] %14.8f\n", i, (double)y[i]);

done:
  sgfblo_solver_destroy(solver); /* NULL-safe */
  return st == SGFBLO_OK ? 0 : 1;
}
