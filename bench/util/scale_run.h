/* One row of bench_scale: a method on one data group (N, d, C), timed on one backend.
   Order of work in a row: caps checked, the memory run (setup + a solve on copy 0, with the
   peak resident size reset before it), the other copies set up, warm-up rounds, then the
   timed RHS evaluations, RK4 steps and solves, each repeat on the next copy (rotation). */
#ifndef SGFBLO_BENCH_SCALE_RUN_H
#define SGFBLO_BENCH_SCALE_RUN_H

#include <stdint.h>

#include "counting.h"
#include "floor.h"
#include "report.h"
#include "scale_opts.h"
#include "sgfblo/sgfblo_hyperclean.h"

#define BENCH_MAX_COPIES 64

/** What every row shares: options, backend, ceilings, caps, the event timer (CUDA). */
typedef struct {
  const bench_scale_opts *o;
  int cuda;                 /* timing on the CUDA backend */
  double bandwidth, rate;   /* measured ceilings: bytes/s, flop/s */
  double host_cap, dev_cap; /* memory caps, bytes (dev_cap 0 on the CPU) */
  void *timer;              /* bench_cuda_timer (CUDA builds, cuda backend), else NULL */
} bench_env;

/** The problem copies of one size, each behind a counting wrapper that adds to `live`. */
typedef struct {
  bench_size z;
  int copies;
  sgfblo_hyperclean *hc[BENCH_MAX_COPIES];
  bench_counting wrap[BENCH_MAX_COPIES];
  sgfblo_problem p[BENCH_MAX_COPIES];
  bench_counts live;
  int64_t host_base;  /* resident bytes before the data was generated */
  int64_t host_copy0; /* resident growth from generating copy 0 (data and workspaces) */
  int64_t dev_copy0;  /* device bytes of copy 0's device data (CUDA), else -1 */
} bench_group;

/** Generate `copies` instances of size z (seeds seed, seed+1, ...); with unfused their
    problems lack grad_g_curv and curv_mv. Returns 0, or -1 with everything freed. */
int bench_group_create(bench_group *g, const bench_size *z, int copies, uint64_t seed,
                       sgfblo_hc_device_pass pass, int cuda,
                       int unfused);
void bench_group_destroy(bench_group *g);

/** The caps checked before a row runs: its memory estimate with `copies` copies against the
    caps, and the floor of one RK4 step (AID-BiO: one iteration) against a quarter of the
    time cap. Returns 1 with row->skip set when the row must be skipped, else 0. */
/** A row of method m at size z, nothing measured yet: every time and floor NaN, every memory
    figure -1, so that a row that is skipped prints (and writes to the CSV) as not measured. */
void bench_row_init(bench_row *row, bench_method m, const bench_size *z, int copies, int steps);
int bench_row_over_caps(const bench_env *e, const bench_size *z, int copies, bench_row *row);

/** Run (or skip, saying why) method m on group g; fills *row. */
void bench_run_row(const bench_env *e, bench_group *g, bench_method m, bench_row *row);

#endif /* SGFBLO_BENCH_SCALE_RUN_H */
