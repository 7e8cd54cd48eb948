/* A problem that forwards every callback to another one and counts the calls by kind, so the
   floor of a timed region is computed from the calls it really made (CG iterations, the
   monitor's evaluations, AID-BiO's budget all included). The forwarding costs one indirect
   call and one increment per callback; on the CUDA backend the callbacks only enqueue work,
   and the wrapper enqueues nothing of its own. */
#ifndef SGFBLO_BENCH_COUNTING_H
#define SGFBLO_BENCH_COUNTING_H

#include "floor.h"
#include "sgfblo/sgfblo.h"

typedef struct {
  sgfblo_problem inner;
  bench_counts *counts; /* shared by every copy of a row; calls are added to counts->call */
} bench_counting;

/** Fill *out with callbacks that count into counts and forward to *inner (copied into w,
    which must outlive every solver set up with *out). Dense blocks the inner problem lacks
    stay NULL, so the library's fallbacks (and their calls) are unchanged. */
void bench_counting_wrap(bench_counting *w, const sgfblo_problem *inner, bench_counts *counts,
                         sgfblo_problem *out);

#endif /* SGFBLO_BENCH_COUNTING_H */
