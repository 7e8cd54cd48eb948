/* The CUDA side of the benchmark helpers: device facts, the two device ceilings (a large
   device-to-device copy and a large cuBLAS GEMM, timed with events), device memory in use,
   and an event timer on a given stream. Compiled only with SGFBLO_HAVE_CUDA; the one bench
   file that includes CUDA headers. Streams travel as void* (cudaStream_t). Every function
   reports a CUDA failure by its return value (NAN or -1) and a line on stderr. */
#ifndef SGFBLO_BENCH_CEILINGS_CUDA_H
#define SGFBLO_BENCH_CEILINGS_CUDA_H

#include <stddef.h>
#include <stdint.h>

/** Name, global memory and L2 size of the current device. Returns 0 or -1. */
int bench_cuda_device_info(char *name, size_t len, int64_t *total_mem, int64_t *l2_bytes);

/** Free and total device memory now (cudaMemGetInfo). Returns 0 or -1. */
int bench_cuda_mem_info(int64_t *free_bytes, int64_t *total_bytes);

/** Bandwidth (bytes read + written per second) of cudaMemcpyDeviceToDevice of `bytes`;
    median of 10 event-timed copies after 2 warm-up copies. */
double bench_cuda_copy_bandwidth(size_t bytes);

/** Flop rate (2 n^3) of cublas?gemm in sgfblo_real on n x n matrices of nonzero data,
    default math mode (as the library's cuBLAS calls); median of 5 after 2 warm-up calls. */
double bench_cuda_gemm_rate(int n);

/** Event timer on a stream: start records an event on `stream`, stop records the second
    and waits for it; returns the seconds between the two (NAN on failure). */
typedef struct bench_cuda_timer bench_cuda_timer;
bench_cuda_timer *bench_cuda_timer_create(void);
void bench_cuda_timer_destroy(bench_cuda_timer *t);
int bench_cuda_timer_start(bench_cuda_timer *t, void *stream);
double bench_cuda_timer_stop(bench_cuda_timer *t, void *stream);

#endif /* SGFBLO_BENCH_CEILINGS_CUDA_H */
