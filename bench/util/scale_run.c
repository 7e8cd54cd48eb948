#include "scale_run.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/solver_impl.h"      /* s->z, s->k, s->bctx.stream: the regions reach inside */
#include "hc_gen.h"
#include "integrator/integrator.h" /* sgfblo_rk_attempt: one RK4 step, not accepted */
#include "solver/step_graph.h"     /* sgfblo_step_graph_run: one step replayed from its graph */
#include "memory.h"
#include "sgfblo/sgfblo_aidbio.h"
#include "timing.h"
#include "tools/rng.h"
#ifdef SGFBLO_HAVE_CUDA
#include "ceilings_cuda.h"
#endif

/* ------------------------------------------------------------------- groups -- */

/* One call of each matrix-free host oracle, so that the instance's workspaces are resident
   before its memory is read (malloc'd pages count only once written); otherwise the first
   method run on the data would be charged for them and the others not. The dense Hyy's
   workspace stays untouched: only SGF-Cholesky uses it, and its rows count it. */
static void touch_workspaces(const sgfblo_problem *p, const bench_size *z) {
  const int64_t n = z->N, m = z->d * z->C;
  sgfblo_real *x = calloc((size_t)n, sizeof *x), *gx = calloc((size_t)n, sizeof *gx);
  sgfblo_real *y = calloc((size_t)m, sizeof *y), *gy = calloc((size_t)m, sizeof *gy);
  const sgfblo_eval_ctx ctx = {SGFBLO_MEM_HOST, NULL, p->user_data, NULL};
  sgfblo_real v;
  if (x && gx && y && gy) {
    p->f_val(x, y, &v, &ctx);
    p->g_val(x, y, &v, &ctx);
    p->grad_f(x, y, gx, gy, &ctx);
    p->grad_g(x, y, gx, gy, &ctx);
    p->hyy_mv(x, y, y, gy, &ctx);
    p->jyx_mv(x, y, x, gy, &ctx);
    p->jyxT_mv(x, y, y, gx, &ctx);
  }
  free(x);
  free(gx);
  free(y);
  free(gy);
}

int bench_group_create(bench_group *g, const bench_size *z, int copies, uint64_t seed,
                       sgfblo_hc_device_pass pass, int cuda, int unfused) {
  memset(g, 0, sizeof *g);
  g->z = *z;
  g->dev_copy0 = -1;
  bench_mem_trim();
  g->host_base = bench_mem_rss();
  for (int k = 0; k < copies && k < BENCH_MAX_COPIES; ++k) {
    sgfblo_problem inner;
    if (!(g->hc[k] = bench_hc_generate(z, seed + (uint64_t)k, pass))) {
      bench_group_destroy(g);
      return -1;
    }
    sgfblo_hyperclean_problem(g->hc[k], &inner);
    if (unfused) {
      inner.grad_g_curv = NULL;
      inner.curv_mv = NULL;
    }
    bench_counting_wrap(&g->wrap[k], &inner, &g->live, &g->p[k]);
    g->copies = k + 1;
    if (k == 0) {
      touch_workspaces(&inner, z);
      bench_mem_trim(); /* the generator's arrays, if they came from the heap */
      g->host_copy0 = bench_mem_rss() - g->host_base;
    }
  }
#ifdef SGFBLO_HAVE_CUDA
  /* Copy 0's device data, made here rather than by the first setup so that every row can
     count it: the copies' device data outlive the rows (they belong to the instances). */
  int64_t f0, f1, total;
  sgfblo_errmsg err;
  if (cuda && bench_cuda_mem_info(&f0, &total) == 0) {
    if (sgfblo_hyperclean_to_device(g->hc[0], 0, &err) != SGFBLO_OK) {
      fprintf(stderr, "bench: %s\n", err.msg);
      bench_group_destroy(g);
      return -1;
    }
    if (bench_cuda_mem_info(&f1, &total) == 0) g->dev_copy0 = f0 - f1;
    if (pass == SGFBLO_HC_DEVICE_PASS_FUSED &&
        sgfblo_hyperclean_device_pass(g->hc[0]) != SGFBLO_HC_DEVICE_PASS_FUSED)
      fprintf(stderr, "bench: N = %lld, d = %lld, C = %lld: the fused pass does not serve this "
              "shape; its products run as cuBLAS GEMMs\n",
              (long long)z->N, (long long)z->d, (long long)z->C);
  }
#else
  (void)cuda;
  (void)pass;
#endif
  return 0;
}

void bench_group_destroy(bench_group *g) {
  for (int k = 0; k < BENCH_MAX_COPIES; ++k) {
    sgfblo_hyperclean_destroy(g->hc[k]);
    g->hc[k] = NULL;
  }
  g->copies = 0;
}

/* ------------------------------------------------------------ timed regions -- */

/* CUDA: events on the solver's stream (they time all the work queued between them, host
   gaps included). CPU: the monotonic clock. */
typedef struct {
  const bench_env *e;
  void *stream;
  double t0;
} region;

static void region_begin(region *r, const bench_env *e, void *stream) {
  r->e = e;
  r->stream = stream;
  r->t0 = bench_now();
#ifdef SGFBLO_HAVE_CUDA
  if (e->timer && bench_cuda_timer_start(e->timer, stream) != 0) r->t0 = NAN;
#endif
}

static double region_end(region *r) {
#ifdef SGFBLO_HAVE_CUDA
  if (r->e->timer) return isnan(r->t0) ? NAN : bench_cuda_timer_stop(r->e->timer, r->stream);
#endif
  return bench_now() - r->t0;
}

typedef enum { R_RHS, R_STEP, R_GRAPH, R_SOLVE, R_AID } region_kind;

/* Per-row state of the timed work: the solvers (flows) or AID-BiO's buffers. */
typedef struct {
  const bench_env *e;
  bench_group *g;
  bench_row *row;
  sgfblo_solver *s[BENCH_MAX_COPIES];
  sgfblo_real *x0, *y0, *x, *y; /* start (all copies) and AID-BiO's iterate */
  sgfblo_aidbio_settings aid;
  double graph_steps; /* of the last region: steps replayed minus steps recorded (below) */
  int next_copy;      /* the copy the next timed region runs on: the rotation goes on across
                         the row's region kinds, so none reuses data another just touched */
} row_run;

/* Step graphs a solver holds (CUDA: recorded by its first solve, replayed after). */
static int graphs_held(const sgfblo_solver *s) {
  int k = 0;
  for (int i = 0; i < SGFBLO_STEP_GRAPHS; ++i) k += s->graphs[i].exec != NULL;
  return k;
}

/* One region on copy k: an RHS at the state, an RK4 step from it launched from the host, the
   same step replayed from its CUDA Graph as a solve runs it (none of these moves the state),
   a whole solve from (x0, y0), or `iters` AID-BiO iterations from (x0, y0). The reset of the
   start is outside the timed region. Returns the seconds, or NAN with row->skip set. */
static double run_region(row_run *R, int k, region_kind kind, int iters) {
  sgfblo_solver *s = R->s[k];
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg err = {{0}};
  region rg;
  int replayed = 1;
  R->graph_steps = 0;
  if (kind == R_SOLVE) st = sgfblo_solver_set_state(s, R->x0, R->y0);
  /* A step replayed from a CUDA Graph runs no callback, so the wrapper does not count it, and
     the recording of a graph runs the callbacks but executes nothing: measure() corrects the
     counts by the steps replayed minus the steps recorded, each one RK4 step's calls. */
  const int64_t replays0 = s ? s->info.n_graph_steps : 0;
  const int held0 = s ? graphs_held(s) : 0;
  if (kind == R_AID) {
    memcpy(R->x, R->x0, sizeof *R->x * (size_t)R->g->z.N);
    memcpy(R->y, R->y0, sizeof *R->y * (size_t)(R->g->z.d * R->g->z.C));
    R->aid.max_iters = iters;
  }
  if (st != SGFBLO_OK) goto fail;
  region_begin(&rg, R->e, s ? s->bctx.stream : NULL);
  switch (kind) {
    case R_RHS: st = sgfblo_solver_rhs(s, s->z, s->k[0]); break;
    case R_STEP: s->k0_valid = 0; st = sgfblo_rk_attempt(s, s->set.dt); break;
    case R_GRAPH: s->k0_valid = 0; st = sgfblo_step_graph_run(s, s->set.dt, &replayed); break;
    case R_SOLVE: st = sgfblo_solver_solve(s); break;
    case R_AID: st = sgfblo_aidbio_run(&R->g->p[k], &R->aid, R->x, R->y, NULL, &err); break;
  }
  const double sec = region_end(&rg);
  if (s) {
    s->k0_valid = 0;
    R->graph_steps = (double)(s->info.n_graph_steps - replays0) - (graphs_held(s) - held0);
  }
  if (st == SGFBLO_OK && !replayed) return NAN; /* no graph for this step: row->skip stays */
  if (st == SGFBLO_OK && !isnan(sec)) return sec;
  if (st == SGFBLO_OK) {
    snprintf(R->row->skip, sizeof R->row->skip, "the event timer failed");
    return NAN;
  }
fail:
  snprintf(R->row->skip, sizeof R->row->skip, "%.40s: %.110s", sgfblo_status_string(st),
           s ? sgfblo_solver_last_error(s) : err.msg);
  return NAN;
}

/* Repeats of `each` seconds that fit `share` seconds, at most `want` (0 if not one fits). */
static int fit_reps(int want, double share, double each) {
  if (!(each > 0)) return want;
  const double n = floor(share / each);
  return n < 1 ? 0 : n < want ? (int)n : want;
}

/* Time `reps` regions rotating over the copies (from R->next_copy on): the median into *t,
   the mean calls per region into *c. Returns 0, or -1 (row->skip set). */
static int measure(row_run *R, region_kind kind, int iters, int reps, double *t, bench_counts *c) {
  double *v = malloc(sizeof *v * (size_t)(reps > 0 ? reps : 1));
  const bench_counts zero = {{0}, 0, 0, 0};
  *c = zero;
  *t = NAN;
  if (!v) return -1;
  for (int r = 0; r < reps; ++r) {
    const bench_counts before = R->g->live;
    v[r] = run_region(R, R->next_copy++ % R->g->copies, kind, iters);
    if (isnan(v[r])) {
      free(v);
      return -1;
    }
    for (int k = 0; k < BENCH_ORACLE_COUNT; ++k)
      c->call[k] += R->g->live.call[k] - before.call[k] + R->graph_steps * R->row->c_step.call[k];
  }
  for (int k = 0; reps > 0 && k < BENCH_ORACLE_COUNT; ++k) c->call[k] /= reps;
  if (reps > 0) *t = bench_median(v, reps);
  free(v);
  return 0;
}

/* CUDA: one replay of every copy's step graph, untimed (recording it where the copy's warm-up
   solve did not). 0 when a copy has no graph for its step (a method or setting that runs the
   step from the host, or a recording that failed): the row then has no graph-step time. */
static int graph_steps_ready(row_run *R) {
  for (int k = 0; k < R->g->copies; ++k)
    if (isnan(run_region(R, k, R_GRAPH, 1))) return 0;
  return 1;
}

/* ---------------------------------------------------------------- the row -- */

static int make_solver(row_run *R, int k) {
  const bench_scale_opts *o = R->e->o;
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.backend = R->e->cuda ? SGFBLO_BACKEND_CUDA : SGFBLO_BACKEND_CPU;
  set.method = (sgfblo_method)R->row->method;
  set.dt = 1.0; /* the paper's hyper-cleaning setting: RK4, dt = 1, alpha = eps = 0.1 */
  set.max_steps = o->steps;
  set.t_final = 2.0 * o->steps + 1;
  set.init = SGFBLO_INIT_RANDOM;
  set.init_seed = 1;
  set.monitor_every = o->steps; /* f and ||grad_y g|| at the start and the end only */
  set.monitor_hypergrad = 0;
  sgfblo_status st = sgfblo_solver_create(&R->s[k]);
  if (st == SGFBLO_OK) st = sgfblo_solver_setup(R->s[k], &R->g->p[k], &set);
  if (st == SGFBLO_OK) return 0;
  snprintf(R->row->skip, sizeof R->row->skip, "setup: %.140s", R->s[k] ? sgfblo_solver_last_error(R->s[k]) : "no memory");
  return -1;
}

/* Start state of AID-BiO: x uniform in [-1, 1), y in [-0.1, 0.1) (fixed seed). */
static void aid_start(row_run *R) {
  sgfblo_rng r;
  sgfblo_rng_seed(&r, 1);
  for (int64_t i = 0; i < R->g->z.N; ++i) R->x0[i] = (sgfblo_real)(2 * sgfblo_rng_uniform(&r) - 1);
  for (int64_t j = 0; j < R->g->z.d * R->g->z.C; ++j)
    R->y0[j] = (sgfblo_real)(0.2 * sgfblo_rng_uniform(&r) - 0.1);
  sgfblo_aidbio_settings_default(&R->aid);
  R->aid.beta_in = 1.0; /* sgfblo hyperclean's defaults */
  R->aid.beta_out = 0.2 * (double)R->g->z.N;
  R->aid.inner_steps = 10;
  R->aid.cg_steps = 10;
  R->aid.monitor_every = INT_MAX; /* f and ||grad_y g|| at the start and the end only */
  R->aid.backend = R->e->cuda ? SGFBLO_BACKEND_CUDA : SGFBLO_BACKEND_CPU;
}

int bench_row_over_caps(const bench_env *e, const bench_size *z, int copies, bench_row *row) {
  double host, dev;
  bench_memory_estimate(row->method, z, sizeof(sgfblo_real), e->cuda, copies, &host, &dev);
  if (host > e->host_cap || (e->cuda && dev > e->dev_cap)) {
    snprintf(row->skip, sizeof row->skip, "memory: about %.1f GiB host, %.1f GiB device estimated",
             host / (1 << 30), dev / (1 << 30));
    return 1;
  }
  bench_counts c;
  const char *bound;
  bench_expected_counts(row->method, !e->o->unfused, &c);
  const double one = bench_floor_seconds(bench_floor_cost(row->method, z, sizeof(sgfblo_real), &c),
                                         e->bandwidth, e->rate, &bound);
  const double step = row->method == BENCH_AIDBIO ? one : 4 * one;
  if (step > e->o->max_seconds / 4) {
    snprintf(row->skip, sizeof row->skip, "time: the floor of one %s is %.3g s, over a quarter of the cap",
             row->method == BENCH_AIDBIO ? "iteration" : "RK4 step", step);
    return 1;
  }
  return 0;
}

static void floors(const bench_env *e, bench_row *r) {
  const size_t s = sizeof(sgfblo_real);
  const char *bound;
  r->cost_rhs = bench_floor_cost(r->method, &r->z, s, &r->c_rhs);
  r->cost_step = bench_floor_cost(r->method, &r->z, s, &r->c_step);
  r->cost_solve = bench_floor_cost(r->method, &r->z, s, &r->c_solve);
  r->floor_rhs = r->reps_rhs ? bench_floor_seconds(r->cost_rhs, e->bandwidth, e->rate, &bound) : NAN;
  r->floor_solve = r->reps_solve ? bench_floor_seconds(r->cost_solve, e->bandwidth, e->rate, &bound) : NAN;
  r->floor_step = r->reps_step ? bench_floor_seconds(r->cost_step, e->bandwidth, e->rate, &r->bound_step) : NAN;
}

void bench_row_init(bench_row *row, bench_method m, const bench_size *z, int copies, int steps) {
  memset(row, 0, sizeof *row);
  row->method = m;
  row->z = *z;
  row->copies = copies;
  row->steps = steps;
  row->t_rhs = row->t_step = row->t_graph = row->t_solve = row->base_step = row->base_solve = NAN;
  row->floor_rhs = row->floor_step = row->floor_solve = NAN;
  row->peak_host = row->host_used = row->dev_used = -1;
}

void bench_run_row(const bench_env *e, bench_group *g, bench_method m, bench_row *row) {
  const bench_scale_opts *o = e->o;
  const double cap = o->max_seconds;
  const int aid = m == BENCH_AIDBIO, K = g->copies, S = o->steps;
  const int64_t mdim = g->z.d * g->z.C;
  row_run R = {.e = e, .g = g, .row = row};
  bench_row_init(row, m, &g->z, K, S);
  if (bench_row_over_caps(e, &g->z, K, row)) return;
  R.x0 = malloc(sizeof *R.x0 * (size_t)g->z.N);
  R.y0 = malloc(sizeof *R.y0 * (size_t)mdim);
  R.x = malloc(sizeof *R.x * (size_t)g->z.N);
  R.y = malloc(sizeof *R.y * (size_t)mdim);
  if (!R.x0 || !R.y0 || !R.x || !R.y) {
    snprintf(row->skip, sizeof row->skip, "no host memory for the start vectors");
    goto cleanup;
  }

  /* The memory run on copy 0, which is also the first warm-up: peak reset, setup, one RHS
     (or AID-BiO iteration) to predict the rest, then the whole solve if it fits a third of
     the cap (else one step). */
  const double w0 = bench_now(); /* the warm-up budget counts the memory run */
  bench_mem_trim();
  const int64_t rss0 = bench_mem_rss();
  int64_t dev0 = -1, dev1 = -1, total = 0;
#ifdef SGFBLO_HAVE_CUDA
  if (e->cuda && bench_cuda_mem_info(&dev0, &total) != 0) dev0 = -1;
#endif
  if (!bench_mem_reset_peak()) snprintf(row->note, sizeof row->note, "peak since start (no clear_refs)");
  double t_one, t_step;
  if (aid) {
    aid_start(&R);
    t_one = t_step = run_region(&R, 0, R_AID, 1);
  } else {
    if (make_solver(&R, 0) || sgfblo_solver_get_state(R.s[0], R.x0, R.y0) != SGFBLO_OK) goto cleanup;
    t_one = run_region(&R, 0, R_RHS, 0);
    t_step = 4 * t_one;
  }
  if (isnan(t_one)) goto cleanup;
  if (t_step > cap) {
    /* The floor let the row in, the machine is slower than that: one forced step alone would
       overrun the cap (and the sweep's time). The one measured sample is kept. */
    if (!aid) {
      row->t_rhs = t_one;
      row->reps_rhs = 1;
    }
    snprintf(row->skip, sizeof row->skip, "time: one %s takes about %.3g s, over the cap",
             aid ? "run of 1 iteration" : "RK4 step (4 RHS)", t_step);
    goto cleanup;
  }
  const int solve_fits = S * t_step <= cap / 3;
  row->mem_scope = solve_fits ? "solve" : aid ? "iteration" : "step";
  if (isnan(run_region(&R, 0, aid ? R_AID : solve_fits ? R_SOLVE : R_STEP, solve_fits ? S : 1)))
    goto cleanup;
  if (!aid && sgfblo_solver_set_state(R.s[0], R.x0, R.y0) != SGFBLO_OK) {
    snprintf(row->skip, sizeof row->skip, "set_state: %.140s", sgfblo_solver_last_error(R.s[0]));
    goto cleanup;
  }
  /* One copy's share: its data and workspaces as generated, plus the peak growth of the
     resident size over setup and the memory run. */
  row->peak_host = bench_mem_peak();
  if (row->peak_host >= 0 && rss0 >= 0 && g->host_copy0 >= 0)
    row->host_used = row->peak_host - rss0 + g->host_copy0;
#ifdef SGFBLO_HAVE_CUDA
  if (e->cuda && bench_cuda_mem_info(&dev1, &total) != 0) dev1 = -1;
#endif
  if (dev0 >= 0 && dev1 >= 0 && g->dev_copy0 >= 0) row->dev_used = dev0 - dev1 + g->dev_copy0;
  /* sgfblo_aidbio_run frees its device buffers before it returns: what it used is not seen
     after it, only the data, which would read as the whole. Not reported. */
  if (aid && e->cuda) row->dev_used = -1;
  (void)total;
  for (int k = 1; !aid && k < K; ++k)
    if (make_solver(&R, k)) goto cleanup;

  /* Warm-up rounds over every copy, until a tenth of the cap has gone on the memory run and
     them (none when the memory run took that long); they refine the estimates. */
  for (int w = 0; w < o->warmup; ++w)
    for (int k = 0; k < K && bench_now() - w0 < 0.1 * cap; ++k) {
      const double a = run_region(&R, k, aid ? R_AID : R_RHS, 1);
      const double b = aid ? a : run_region(&R, k, R_STEP, 0);
      if (isnan(a) || isnan(b)) goto cleanup;
      /* CUDA: a solver's first solve records and instantiates its step graphs, which the
         timed solves must not pay for (copy 0 did its first solve in the memory run). */
      if (!aid && e->cuda && solve_fits && w == 0 && k > 0) {
        if (isnan(run_region(&R, k, R_SOLVE, S))) goto cleanup;
        /* back to the start, so that its RHS and step are timed where copy 0's are */
        if (sgfblo_solver_set_state(R.s[k], R.x0, R.y0) != SGFBLO_OK) {
          snprintf(row->skip, sizeof row->skip, "set_state: %.140s", sgfblo_solver_last_error(R.s[k]));
          goto cleanup;
        }
      }
      t_one = fmin(t_one, a);
      t_step = fmin(t_step, b);
    }

  /* Timed repeats, cut to fit the cap: a fifth for the RHS, 3/10 for the step, 2/5 for the
     solve (at least one RHS and one step; the solve is skipped when not one fits). */
  row->reps_rhs = aid ? 0 : fit_reps(o->repeats, 0.2 * cap, t_one);
  row->reps_step = fit_reps(o->repeats, 0.3 * cap, t_step);
  if (!aid && row->reps_rhs < 1) row->reps_rhs = 1; /* the caps let one of each through */
  if (row->reps_step < 1) row->reps_step = 1;
  row->reps_solve = fit_reps(o->solve_repeats, 0.4 * cap, S * t_step);
  if (!aid && measure(&R, R_RHS, 0, row->reps_rhs, &row->t_rhs, &row->c_rhs)) goto cleanup;
  if (measure(&R, aid ? R_AID : R_STEP, 1, row->reps_step, &row->t_step, &row->c_step)) goto cleanup;
  if (!aid && e->cuda && graph_steps_ready(&R)) {
    bench_counts replayed; /* a replay runs no callback: its calls are c_step's */
    if (measure(&R, R_GRAPH, 1, row->reps_step, &row->t_graph, &replayed)) goto cleanup;
    row->graph_nodes = R.s[0]->info.graph_nodes; /* every copy records the same step */
  }
  if (measure(&R, aid ? R_AID : R_SOLVE, S, row->reps_solve, &row->t_solve, &row->c_solve))
    goto cleanup;
  if (aid && S > 1 && row->reps_solve > 0 && row->t_solve > row->t_step) {
    /* sgfblo_aidbio_run opens and closes its backend (on CUDA a stream, handles, buffers and
       the copies of x and y) and evaluates f and ||grad_y g|| at both ends: a one-iteration
       run is mostly that. One iteration is what S - 1 more of them add. */
    row->t_step = (row->t_solve - row->t_step) / (S - 1);
    for (int k = 0; k < BENCH_ORACLE_COUNT; ++k)
      row->c_step.call[k] = (row->c_solve.call[k] - row->c_step.call[k]) / (S - 1);
    snprintf(row->note + strlen(row->note), sizeof row->note - strlen(row->note),
             "%siteration = (run of %d - run of 1) / %d", row->note[0] ? "; " : "", S, S - 1);
  }
  row->c_rhs.rhs = row->reps_rhs ? 1 : 0;
  row->c_step.rhs = aid ? 0 : 4;
  row->c_step.steps = aid ? 0 : 1;
  row->c_step.iters = aid ? 1 : 0;
  row->c_solve.rhs = aid ? 0 : 4.0 * S;
  row->c_solve.steps = aid ? 0 : S;
  row->c_solve.iters = aid ? S : 0;
  if (row->reps_solve < 1)
    snprintf(row->note + strlen(row->note), sizeof row->note - strlen(row->note),
             "%ssolve not timed: about %.3g s each", row->note[0] ? "; " : "", S * t_step);
  floors(e, row);
cleanup:
  for (int k = 0; k < K; ++k) sgfblo_solver_destroy(R.s[k]);
  free(R.x0);
  free(R.y0);
  free(R.x);
  free(R.y);
}
