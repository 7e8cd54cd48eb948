/* The floor model of the hyper-cleaning benchmarks, in one place (docs/PERFORMANCE.md explains
   it): how many bytes a timed region must move and how many flops it must do, given the
   oracle calls it made. Pass counts per oracle are those of MATH.md "Problem 2" as the library
   implements them (src/problem/hyperclean_oracles.c). Also the a-priori call counts and the
   memory estimate that decide, before a row runs, whether it fits the time and memory caps. */
#ifndef SGFBLO_BENCH_FLOOR_H
#define SGFBLO_BENCH_FLOOR_H

#include <stddef.h>
#include <stdint.h>

#include "sgfblo/sgfblo.h"

/** The methods bench_scale times: the flows keep their sgfblo_method value; AID-BiO last. */
typedef enum {
  BENCH_RXGF = SGFBLO_METHOD_RXGF,
  BENCH_INVFREE = SGFBLO_METHOD_INVFREE,
  BENCH_SGF_CHOL = SGFBLO_METHOD_SGF_CHOL,
  BENCH_SGF_CG = SGFBLO_METHOD_SGF_CG,
  BENCH_PC = SGFBLO_METHOD_PC,
  BENCH_STABLE = SGFBLO_METHOD_STABLE,
  BENCH_AIDBIO = SGFBLO_METHOD_COUNT_,
  BENCH_METHOD_COUNT
} bench_method;

const char *bench_method_name(bench_method m);
/** Returns 0 and sets *out, or -1 for an unknown name. */
int bench_method_from_name(const char *name, bench_method *out);

/** The problem callbacks, counted one by one (counting.c). */
typedef enum {
  BENCH_F_VAL,
  BENCH_G_VAL,
  BENCH_GRAD_F,
  BENCH_GRAD_G,
  BENCH_HYY,
  BENCH_JYX,
  BENCH_JYXT,
  BENCH_HYY_DENSE,
  BENCH_GRAD_G_CURV, /* grad_y g with Jyx^T and Hyy times it, fused */
  BENCH_JYX_DENSE,   /* the m x N Jyx */
  BENCH_CURV,        /* Jyx^T v and Hyy v, fused */
  BENCH_ORACLE_COUNT
} bench_oracle;

/** Work of one timed region: callback calls, and the RHS evaluations, integrator steps and
    AID-BiO iterations it contains (means over the timed repeats, hence double). */
typedef struct {
  double call[BENCH_ORACLE_COUNT];
  double rhs, steps, iters;
} bench_counts;

/** Hyper-cleaning sizes: training samples, validation samples, features, classes. */
typedef struct {
  int64_t N, Nv, d, C;
} bench_size;

typedef struct {
  double bytes, flops;
} bench_cost;

/** Oracle calls of all kinds in c (value calls included). */
double bench_counts_calls(const bench_counts *c);

/** Bytes and flops that region c must move and do at least (sgfblo_real of `real_size`
    bytes). */
bench_cost bench_floor_cost(bench_method m, const bench_size *z, size_t real_size,
                            const bench_counts *c);

/** The floor time max(bytes / bandwidth, flops / rate); *bound is "bw" or "flop". */
double bench_floor_seconds(bench_cost cost, double bandwidth, double rate, const char **bound);

/** Calls of one RHS evaluation (flows) or one outer iteration (AID-BiO, D = K = 10) before
    anything ran: CG solves are assumed to take 10 iterations; fused: RXGF and inversion-free
    call grad_g_curv. For the time cap. */
void bench_expected_counts(bench_method m, int fused, bench_counts *c);

/** Estimated peak bytes of one row with `copies` problem copies: on the host (data, the
    generator's arrays while an instance is created, the workspaces the method writes,
    solver) and on the device (CUDA backend; 0 on the CPU). For the memory cap and the
    number of copies. */
void bench_memory_estimate(bench_method m, const bench_size *z, size_t real_size, int cuda,
                           int copies, double *host, double *device);

#endif /* SGFBLO_BENCH_FLOOR_H */
