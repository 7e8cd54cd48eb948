/* Time one vector-field evaluation and one RK4 step of every method on the paper's synthetic
   problem (n = m = 20) and on generated hyper-cleaning data at the paper's size (N = 5000,
   Nv = 2500, d = 82, C = 10). Warm-up first, then the median of repeats. Prints a Markdown
   table.

     bench_step [repeats [cpu|cuda]]        (defaults 21, cpu)

   On the CUDA backend each timed region ends by reading one element back, which waits for the
   stream, so the times include all the device work (and that one small copy).

   The floor of each region (bytes and flops of the calls it made, against ceilings measured
   in the same run) is bench_scale's job; this program is the quick look. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/common.h"
#include "core/solver_impl.h"
#include "integrator/integrator.h"
#include "sgfblo/sgfblo.h"
#include "util/hc_gen.h"

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return v[n / 2];
}

typedef struct {
  const char *problem;
  sgfblo_problem p;
  int is_hyperclean;     /* dt = 1, as on the paper's data */
} bench_problem;

/* Wait for the backend's queued work (CPU: nothing queued), so host clocks time all of it. */
static sgfblo_status drain(sgfblo_solver *s) {
  sgfblo_real one;
  return s->ops->mem == SGFBLO_MEM_DEVICE ? s->ops->to_host(&s->bctx, 1, &one, s->k[0]) : SGFBLO_OK;
}

static void time_method(const bench_problem *bp, sgfblo_method m, int repeats,
                        sgfblo_backend backend) {
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.backend = backend;
  set.method = m;
  set.dt = bp->is_hyperclean ? 1.0 : 0.01;
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 1;
  set.monitor_hypergrad = 0;
  set.cg_tol = 1e-8;
  sgfblo_solver *s = NULL;
  if (sgfblo_solver_create(&s) != SGFBLO_OK || sgfblo_solver_setup(s, &bp->p, &set) != SGFBLO_OK) {
    printf("| %s | %s | setup failed: %s | | |\n", bp->problem, sgfblo_method_name(m),
           s ? sgfblo_solver_last_error(s) : "alloc");
    sgfblo_solver_destroy(s);
    return;
  }
  double *t_rhs = malloc(sizeof(double) * (size_t)repeats);
  double *t_step = malloc(sizeof(double) * (size_t)repeats);
  if (!t_rhs || !t_step) {
    printf("| %s | %s | no host memory | | |\n", bp->problem, sgfblo_method_name(m));
    free(t_rhs);
    free(t_step);
    sgfblo_solver_destroy(s);
    return;
  }
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
    printf("| %s | %s | failed: %s | | |\n", bp->problem, sgfblo_method_name(m), sgfblo_solver_last_error(s));
  } else {
    const int64_t calls0 = s->orc.n_grad + s->orc.n_prod;
    sgfblo_solver_rhs(s, s->z, s->k[0]);
    const int64_t calls = s->orc.n_grad + s->orc.n_prod - calls0;
    const double rhs = median(t_rhs, repeats), step = median(t_step, repeats);
    printf("| %s | %s | %lld | %.1f | %.1f |\n", bp->problem, sgfblo_method_name(m),
           (long long)calls, 1e6 * rhs, 1e6 * step);
  }
  free(t_rhs);
  free(t_step);
  sgfblo_solver_destroy(s);
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
  sgfblo_synthetic *sp = NULL;
  const bench_size paper = {.N = 5000, .Nv = 2500, .d = 82, .C = 10};
  sgfblo_hyperclean *hc = bench_hc_generate(&paper, 7, SGFBLO_HC_DEVICE_PASS_DEFAULT); /* bench_scale's data */
  if (sgfblo_synthetic_random(20, 0, &sp, NULL) != SGFBLO_OK || !hc) {
    fprintf(stderr, "bench_step: could not build the problems\n");
    return 1;
  }
  bench_problem problems[2];
  problems[0] = (bench_problem){"synthetic n=m=20", {0}, 0};
  sgfblo_synthetic_problem(sp, &problems[0].p);
  problems[1] = (bench_problem){"hyperclean N=5000 d=82 C=10", {0}, 1};
  sgfblo_hyperclean_problem(hc, &problems[1].p);
  printf("sgfblo %s, %s backend, %s, median of %d (after 3 warm-up rounds)\n\n", sgfblo_version(),
         bname, sizeof(sgfblo_real) == 8 ? "float64" : "float32", repeats);
  printf("| problem | method | oracle calls / RHS | RHS (us) | RK4 step (us) |\n");
  printf("|---|---|---|---|---|\n");
  for (int k = 0; k < 2; ++k)
    for (int m = 0; m < SGFBLO_METHOD_COUNT_; ++m) time_method(&problems[k], (sgfblo_method)m, repeats, backend);
  sgfblo_synthetic_destroy(sp);
  sgfblo_hyperclean_destroy(hc);
  return 0;
}
