/* Host clocks and order statistics for the benchmark programs (bench/ only, not the library). */
#ifndef SGFBLO_BENCH_TIMING_H
#define SGFBLO_BENCH_TIMING_H

/** Seconds on CLOCK_MONOTONIC: immune to wall-clock adjustments, for timing host work. */
double bench_now(void);

/** Median of v[0..n) (sorts v in place); NAN when n < 1. For even n, the mean of the two
    middle values. */
double bench_median(double *v, int n);

#endif /* SGFBLO_BENCH_TIMING_H */
