/* The two ceilings of the floor model on the host, measured in the same run as the
   benchmark (METHOD: datasheet rates are leads, measured ones are used): streaming copy
   bandwidth and the GEMM rate of the BLAS the library links, in the build's precision.
   The CUDA counterparts are in ceilings_cuda.c. */
#ifndef SGFBLO_BENCH_CEILINGS_H
#define SGFBLO_BENCH_CEILINGS_H

#include <stddef.h>
#include <stdint.h>

/** Threads the BLAS runs with: openblas_get_num_threads() where the BLAS has it, else
    $OPENBLAS_NUM_THREADS, else the online processors. *how names the source. */
int bench_blas_threads(const char **how);

/** The BLAS's name for the CPU kernels it picked (openblas_get_corename), or "unknown". */
const char *bench_blas_core(void);

/** One-minute load average (/proc/loadavg), NAN if unknown: other jobs on the machine skew
    every timing, so the reports print it at the start and the end. */
double bench_load_average(void);

/** Online processors (sysconf). */
int bench_cpu_count(void);

/** "model name" of /proc/cpuinfo into buf ("unknown" if absent). */
void bench_cpu_model(char *buf, size_t len);

/** Largest cache level the OS reports (L3, else L2), bytes; 32 MiB if none is reported. */
int64_t bench_cpu_cache_bytes(void);

/**
 * Copy bandwidth (bytes read + bytes written per second) of memcpy between two buffers of
 * `bytes` each, far larger than the caches: one thread (*one) and `threads` threads each
 * copying a slice (*all). Median of 5 after a warm-up copy. Returns 0, or -1 (no memory).
 */
int bench_cpu_copy_bandwidth(size_t bytes, int threads, double *one, double *all);

/** Flop rate (2 n^3 per call) of cblas_?gemm on n x n matrices of sgfblo_real, all BLAS
    threads; median of 3 after a warm-up call. NAN when out of memory. */
double bench_cpu_gemm_rate(int n);

#endif /* SGFBLO_BENCH_CEILINGS_H */
