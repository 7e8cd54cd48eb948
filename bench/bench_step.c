/* Time one vector-field evaluation and one RK4 step of every method on the paper's synthetic
   problem (n = m = 20) and on generated hyper-cleaning data at the paper's size (N = 5000,
   Nv = 2500, d = 82, C = 10). Warm-up first, then the median of repeats. Prints a Markdown
   table.

     bench_step [repeats [cpu|cuda]]        (defaults 21, cpu)

   On the CUDA backend each timed region ends by reading one element back, which waits for the
   stream, so the times include all the device work (and that one small copy).

   Floor column: bytes of A (training features) read per evaluation under the pass counts of
   MATH.md (grad g 2 passes, each product 1-2 passes), over the STREAM-like copy bandwidth
   measured in the same run: how far one evaluation is from the memory floor. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/common.h"
#include "core/solver_impl.h"
#include "integrator/integrator.h"
#include "sgfblo/sgfblo.h"
#include "tools/rng.h"

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

/* Copy bandwidth (bytes read + written per second) on a buffer far larger than the caches. */
static double copy_bandwidth(void) {
  const size_t n = (size_t)1 << 25; /* 256 MiB of doubles per buffer */
  double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
  if (!a || !b) return NAN;
  for (size_t i = 0; i < n; ++i) a[i] = (double)i;
  double t[5];
  for (int r = 0; r < 5; ++r) {
    const double t0 = sgfblo_now_seconds();
    memcpy(b, a, n * sizeof *a);
    t[r] = sgfblo_now_seconds() - t0;
    a[r] = b[n - 1 - (size_t)r]; /* keep the copy observable */
  }
  free(a);
  free(b);
  return 2.0 * (double)(n * sizeof(double)) / median(t, 5);
}

typedef struct {
  const char *problem;
  sgfblo_problem p;
  double bytes_per_pass; /* one pass over the training features, 0 for the synthetic problem */
} bench_problem;

/* Wait for the backend's queued work (CPU: nothing queued), so host clocks time all of it. */
static sgfblo_status drain(sgfblo_solver *s) {
  sgfblo_real one;
  return s->ops->mem == SGFBLO_MEM_DEVICE ? s->ops->to_host(&s->bctx, 1, &one, s->k[0]) : SGFBLO_OK;
}

static void time_method(const bench_problem *bp, sgfblo_method m, int repeats, double bw,
                        sgfblo_backend backend) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.backend = backend;
  set.method = m;
  set.dt = bp->bytes_per_pass > 0 ? 1.0 : 0.01;
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 1;
  set.monitor_hypergrad = 0;
  set.cg_tol = 1e-8;
  if (m == SGFBLO_METHOD_SGF_CHOL && bp->bytes_per_pass > 0) {
    printf("| %s | %s | (skipped: forms an m x N Jacobian from N products) | | | |\n", bp->problem,
           sgfblo_method_name(m));
    return;
  }
  sgfblo_solver *s = NULL;
  if (sgfblo_solver_create(&s) != SGFBLO_OK || sgfblo_solver_setup(s, &bp->p, &set) != SGFBLO_OK) {
    printf("| %s | %s | setup failed: %s | | | |\n", bp->problem, sgfblo_method_name(m),
           s ? sgfblo_solver_last_error(s) : "alloc");
    sgfblo_solver_destroy(s);
    return;
  }
  double *t_rhs = malloc(sizeof(double) * (size_t)repeats);
  double *t_step = malloc(sizeof(double) * (size_t)repeats);
  sgfblo_status st = SGFBLO_OK;
  for (int r = -3; r < repeats && st == SGFBLO_OK; ++r) { /* 3 warm-up rounds */
    double t0 = sgfblo_now_seconds();
    st = sgfblo_solver_rhs(s, s->z, s->k[0]);
    if (st == SGFBLO_OK) st = drain(s);
    const double dt_rhs = sgfblo_now_seconds() - t0;
    s->k0_valid = 0;
    t0 = sgfblo_now_seconds();
    if (st == SGFBLO_OK) st = sgfblo_rk_attempt(s, set.dt);
    if (st == SGFBLO_OK) st = drain(s);
    const double dt_step = sgfblo_now_seconds() - t0;
    s->k0_valid = 0;
    if (r >= 0) {
      t_rhs[r] = dt_rhs;
      t_step[r] = dt_step;
    }
  }
  if (st != SGFBLO_OK) {
    printf("| %s | %s | failed: %s | | | |\n", bp->problem, sgfblo_method_name(m), sgfblo_solver_last_error(s));
  } else {
    const int64_t calls0 = s->orc.n_grad + s->orc.n_prod;
    sgfblo_solver_rhs(s, s->z, s->k[0]);
    const int64_t calls = s->orc.n_grad + s->orc.n_prod - calls0;
    const double rhs = median(t_rhs, repeats), step = median(t_step, repeats);
    /* Floor: about 1.5 passes over A per oracle call (MATH.md: 1 or 2 passes each). */
    char floor_cell[32] = "-";
    if (bp->bytes_per_pass > 0 && backend == SGFBLO_BACKEND_CPU)
      snprintf(floor_cell, sizeof floor_cell, "%.1f%%",
               100.0 * 1.5 * (double)calls * bp->bytes_per_pass / bw / rhs);
    printf("| %s | %s | %lld | %.1f | %.1f | %s |\n", bp->problem, sgfblo_method_name(m),
           (long long)calls, 1e6 * rhs, 1e6 * step, floor_cell);
  }
  free(t_rhs);
  free(t_step);
  sgfblo_solver_destroy(s);
}

/* Hyper-cleaning data of the paper's size: Gaussian features, labels from a random linear
   classifier, 40% of the training labels replaced by a random wrong class. */
static sgfblo_hyperclean *make_hyperclean(int64_t N, int64_t Nv, int64_t d, int64_t C) {
  sgfblo_rng r;
  sgfblo_rng_seed(&r, 7);
  sgfblo_real *A = malloc(sizeof *A * (size_t)(N * d)), *Av = malloc(sizeof *Av * (size_t)(Nv * d));
  int32_t *b = malloc(sizeof *b * (size_t)N), *bv = malloc(sizeof *bv * (size_t)Nv);
  if (!A || !Av || !b || !bv) return NULL;
  for (int64_t i = 0; i < N * d; ++i) A[i] = (sgfblo_real)sgfblo_rng_normal(&r);
  for (int64_t i = 0; i < Nv * d; ++i) Av[i] = (sgfblo_real)sgfblo_rng_normal(&r);
  for (int64_t i = 0; i < N; ++i) {
    b[i] = (int32_t)(i % C);
    if (sgfblo_rng_uniform(&r) < 0.4) b[i] = (int32_t)((b[i] + 1 + (int64_t)sgfblo_rng_below(&r, (uint64_t)(C - 1))) % C);
  }
  for (int64_t i = 0; i < Nv; ++i) bv[i] = (int32_t)(i % C);
  const sgfblo_hyperclean_data data = {.N = N,
                                       .Nv = Nv,
                                       .d = d,
                                       .C = C,
                                       .A = A,
                                       .labels = b,
                                       .Av = Av,
                                       .val_labels = bv,
                                       .lambda = 0.001};
  sgfblo_hyperclean *hc = NULL;
  sgfblo_errmsg err;
  if (sgfblo_hyperclean_create(&data, &hc, &err) != SGFBLO_OK) fprintf(stderr, "%s\n", err.msg);
  free(A); free(Av); free(b); free(bv);
  return hc;
}

int main(int argc, char **argv) {
  const int repeats = argc > 1 ? atoi(argv[1]) : 21;
  const char *bname = argc > 2 ? argv[2] : "cpu";
  const sgfblo_backend backend = strcmp(bname, "cuda") == 0 ? SGFBLO_BACKEND_CUDA : SGFBLO_BACKEND_CPU;
  if (repeats < 1 || (strcmp(bname, "cpu") != 0 && strcmp(bname, "cuda") != 0)) {
    fprintf(stderr, "usage: bench_step [repeats >= 1 [cpu|cuda]]\n");
    return 2;
  }
  if (!sgfblo_backend_available(backend)) {
    fprintf(stderr, "bench_step: the %s backend is not available here\n", bname);
    return 1;
  }
  const double bw = copy_bandwidth();
  sgfblo_synthetic *sp = NULL;
  sgfblo_hyperclean *hc = make_hyperclean(5000, 2500, 82, 10);
  if (sgfblo_synthetic_random(20, 0, &sp, NULL) != SGFBLO_OK || !hc) {
    fprintf(stderr, "bench_step: could not build the problems\n");
    return 1;
  }
  bench_problem problems[2];
  problems[0] = (bench_problem){"synthetic n=m=20", {0}, 0};
  sgfblo_synthetic_problem(sp, &problems[0].p);
  problems[1] = (bench_problem){"hyperclean N=5000 d=82 C=10", {0}, 5000.0 * 82 * sizeof(sgfblo_real)};
  sgfblo_hyperclean_problem(hc, &problems[1].p);
  printf("sgfblo %s, %s backend, %s, median of %d (after 3 warm-up rounds); host copy bandwidth %.2f GB/s\n\n",
         sgfblo_version(), bname, sizeof(sgfblo_real) == 8 ? "float64" : "float32", repeats, bw / 1e9);
  printf("| problem | method | oracle calls / RHS | RHS (us) | RK4 step (us) | floor / RHS |\n");
  printf("|---|---|---|---|---|---|\n");
  for (int k = 0; k < 2; ++k)
    for (int m = 0; m < SGFBLO_METHOD_COUNT_; ++m) time_method(&problems[k], (sgfblo_method)m, repeats, bw, backend);
  sgfblo_synthetic_destroy(sp);
  sgfblo_hyperclean_destroy(hc);
  return 0;
}
