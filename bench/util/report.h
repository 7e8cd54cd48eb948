/* One result row of bench_scale and its outputs: the Markdown table on stdout, the CSV file,
   the join with a baseline CSV (speed-up), and the "largest N that fits" summary. */
#ifndef SGFBLO_BENCH_REPORT_H
#define SGFBLO_BENCH_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "floor.h"

typedef struct {
  bench_method method;
  bench_size z;
  char skip[160];       /* non-empty: the row was not (fully) measured, and why */
  char note[160];       /* non-empty: a remark on a measured row (a column skipped, ...) */
  int copies;           /* problem copies rotated between */
  int reps_rhs, reps_step, reps_solve, steps;
  double t_rhs, t_step, t_solve;            /* medians, seconds; NAN: not measured */
  double t_graph; /* the RK4 step replayed from its CUDA Graph, as a solve runs it (median,
                     seconds; t_step launches it from the host); NAN: no graph (CPU, a method
                     whose step is not graph-safe) */
  int64_t graph_nodes; /* launches (kernel, memset, copy nodes) of that graph; 0: no graph */
  bench_counts c_rhs, c_step, c_solve;      /* calls per timed region (means) */
  bench_cost cost_rhs, cost_step, cost_solve;
  double floor_rhs, floor_step, floor_solve; /* seconds */
  const char *bound_step;                    /* "bw" or "flop" */
  int64_t peak_host;          /* VmHWM over setup + the memory run (all copies), bytes; -1 unknown */
  int64_t host_used;          /* of which one copy: its data, workspaces and solver */
  const char *mem_scope;      /* what the memory run covered: "solve" or "step" */
  int64_t dev_used;           /* device bytes of one copy (data) and its solver after the
                                 memory run (CUDA), else -1 */
  double base_step, base_solve; /* the baseline's medians for the same row, else NAN */
} bench_row;

/** Header of the Markdown table (device columns with cuda, speed-up with a baseline). */
void bench_report_md_header(int cuda, int baseline);
void bench_report_md_row(const bench_row *r, int cuda, int baseline);

/** CSV: a header line, then one line per row (backend and precision in every line). */
void bench_report_csv_header(FILE *f);
void bench_report_csv_row(FILE *f, const bench_row *r, const char *backend, const char *precision);

/** Baseline: the rows of a CSV this program wrote. NULL (message on stderr) on failure. */
typedef struct bench_baseline bench_baseline;
bench_baseline *bench_baseline_load(const char *path);
void bench_baseline_free(bench_baseline *b);
/** Fill r->base_step / base_solve from the baseline row of the same method and sizes. */
void bench_baseline_join(const bench_baseline *b, bench_row *r);

/** For each (method, d, C) with measured memory: the bytes per training sample (the slope
    between the two largest N, else used / N) and the largest N within host_cap (and, on
    CUDA, within dev_cap of device memory). */
void bench_report_fit(const bench_row *rows, int count, int cuda, double host_cap, double host_phys,
                      double dev_cap);

#endif /* SGFBLO_BENCH_REPORT_H */
