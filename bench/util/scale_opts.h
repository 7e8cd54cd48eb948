/* Command line of bench_scale: the sweep, the repeats, the caps and the outputs. */
#ifndef SGFBLO_BENCH_SCALE_OPTS_H
#define SGFBLO_BENCH_SCALE_OPTS_H

#include <stdint.h>

#include "floor.h"
#include "sgfblo/sgfblo.h"
#include "sgfblo/sgfblo_hyperclean.h"

#define BENCH_MAX_LIST 32

typedef struct {
  sgfblo_backend backend;
  int64_t n_list[BENCH_MAX_LIST], d_list[BENCH_MAX_LIST], c_list[BENCH_MAX_LIST];
  int n_count, d_count, c_count;
  bench_method methods[BENCH_METHOD_COUNT];
  int m_count;
  int64_t nv;          /* validation samples (the paper: 2500) */
  int repeats;         /* timed repeats of the RHS and of the RK4 step */
  int solve_repeats;   /* timed repeats of the whole solve */
  int steps;           /* RK4 steps (AID-BiO: outer iterations) of the timed solve */
  int warmup;          /* untimed rounds before the timed ones */
  double max_gib;      /* memory cap (host; device too on CUDA); 0: automatic */
  double max_seconds;  /* time cap per row: repeats are cut, then columns skipped */
  double cache_mib;    /* cache the rotation must defeat; 0: the reported LLC (GPU: L2) */
  int max_copies;      /* most problem copies to rotate between */
  int gemm_n;          /* size of the GEMM of the flop-rate ceiling (0: the backend's default) */
  int gemm_n_cpu;      /* the cpu backend's default (3072; --quick: 2048) */
  int unfused;         /* hide the problem's fused grad_g_curv and curv_mv */
  sgfblo_hc_device_pass device_pass; /* how the CUDA copies run their products */
  uint64_t seed;
  const char *csv, *baseline, *label;
} bench_scale_opts;

/** Parse argv into *o (defaults first). Returns 0 to run, 1 when --help was printed,
    2 on a usage error (message on stderr). */
int bench_scale_parse(int argc, char **argv, bench_scale_opts *o);

#endif /* SGFBLO_BENCH_SCALE_OPTS_H */
