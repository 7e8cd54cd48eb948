#include "ceilings_cuda.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sgfblo/sgfblo.h"
#include "timing.h"

#ifdef SGFBLO_USE_FLOAT
#define BENCH_CUBLAS_GEMM cublasSgemm
#else
#define BENCH_CUBLAS_GEMM cublasDgemm
#endif

/* Report a failed CUDA call on stderr; evaluates to 1 on failure. */
static int cuda_bad(cudaError_t e, const char *what) {
  if (e == cudaSuccess) return 0;
  fprintf(stderr, "bench: %s failed: %s\n", what, cudaGetErrorString(e));
  return 1;
}
#define BAD(call) cuda_bad((call), #call)

int bench_cuda_device_info(char *name, size_t len, int64_t *total_mem, int64_t *l2_bytes) {
  int dev = 0;
  struct cudaDeviceProp prop;
  if (BAD(cudaGetDevice(&dev)) || BAD(cudaGetDeviceProperties(&prop, dev))) return -1;
  snprintf(name, len, "%s", prop.name);
  *total_mem = (int64_t)prop.totalGlobalMem;
  *l2_bytes = (int64_t)prop.l2CacheSize;
  return 0;
}

int bench_cuda_mem_info(int64_t *free_bytes, int64_t *total_bytes) {
  size_t f = 0, t = 0;
  if (BAD(cudaMemGetInfo(&f, &t))) return -1;
  *free_bytes = (int64_t)f;
  *total_bytes = (int64_t)t;
  return 0;
}

struct bench_cuda_timer {
  cudaEvent_t start, stop;
};

bench_cuda_timer *bench_cuda_timer_create(void) {
  bench_cuda_timer *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  if (BAD(cudaEventCreate(&t->start))) {
    free(t);
    return NULL;
  }
  if (BAD(cudaEventCreate(&t->stop))) {
    cudaEventDestroy(t->start);
    free(t);
    return NULL;
  }
  return t;
}

void bench_cuda_timer_destroy(bench_cuda_timer *t) {
  if (!t) return;
  cudaEventDestroy(t->start);
  cudaEventDestroy(t->stop);
  free(t);
}

int bench_cuda_timer_start(bench_cuda_timer *t, void *stream) {
  return BAD(cudaEventRecord(t->start, (cudaStream_t)stream)) ? -1 : 0;
}

double bench_cuda_timer_stop(bench_cuda_timer *t, void *stream) {
  float ms = 0;
  if (BAD(cudaEventRecord(t->stop, (cudaStream_t)stream)) || BAD(cudaEventSynchronize(t->stop)) ||
      BAD(cudaEventElapsedTime(&ms, t->start, t->stop)))
    return NAN;
  return 1e-3 * (double)ms;
}

/* Fill n reals on the device with nonzero data from the host (METHOD: never time zeros). */
static int fill_device(sgfblo_real *d_p, size_t n) {
  sgfblo_real *h = malloc(n * sizeof *h);
  if (!h) return -1;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    h[i] = (sgfblo_real)((double)(x >> 11) * 0x1.0p-53 - 0.5);
  }
  const int bad = BAD(cudaMemcpy(d_p, h, n * sizeof *h, cudaMemcpyHostToDevice));
  free(h);
  return bad ? -1 : 0;
}

double bench_cuda_copy_bandwidth(size_t bytes) {
  void *a = NULL, *b = NULL;
  double rate = NAN, t[10];
  bench_cuda_timer *tm = bench_cuda_timer_create();
  if (!tm || BAD(cudaMalloc(&a, bytes)) || BAD(cudaMalloc(&b, bytes))) goto cleanup;
  if (fill_device(a, bytes / sizeof(sgfblo_real)) || BAD(cudaMemset(b, 0, bytes))) goto cleanup;
  for (int r = -2; r < 10; ++r) {
    if (bench_cuda_timer_start(tm, NULL)) goto cleanup;
    if (BAD(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, NULL))) goto cleanup;
    const double s = bench_cuda_timer_stop(tm, NULL);
    if (isnan(s)) goto cleanup;
    if (r >= 0) t[r] = s;
  }
  rate = 2.0 * (double)bytes / bench_median(t, 10);
cleanup:
  cudaFree(a);
  cudaFree(b);
  bench_cuda_timer_destroy(tm);
  return rate;
}

double bench_cuda_gemm_rate(int n) {
  const size_t nn = (size_t)n * (size_t)n;
  sgfblo_real *A = NULL, *B = NULL, *Cm = NULL;
  const sgfblo_real one = 1, zero = 0;
  cublasHandle_t h = NULL;
  double rate = NAN, t[5];
  bench_cuda_timer *tm = bench_cuda_timer_create();
  if (!tm || BAD(cudaMalloc((void **)&A, nn * sizeof *A)) ||
      BAD(cudaMalloc((void **)&B, nn * sizeof *B)) || BAD(cudaMalloc((void **)&Cm, nn * sizeof *Cm)))
    goto cleanup;
  if (fill_device(A, nn) || fill_device(B, nn)) goto cleanup;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) {
    fprintf(stderr, "bench: cublasCreate failed\n");
    goto cleanup;
  }
  for (int r = -2; r < 5; ++r) {
    if (bench_cuda_timer_start(tm, NULL)) goto cleanup;
    if (BENCH_CUBLAS_GEMM(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, A, n, B, n, &zero, Cm, n) !=
        CUBLAS_STATUS_SUCCESS) {
      fprintf(stderr, "bench: cublas gemm failed\n");
      goto cleanup;
    }
    const double s = bench_cuda_timer_stop(tm, NULL);
    if (isnan(s)) goto cleanup;
    if (r >= 0) t[r] = s;
  }
  rate = 2.0 * (double)n * (double)n * (double)n / bench_median(t, 5);
cleanup:
  if (h) cublasDestroy(h);
  cudaFree(A);
  cudaFree(B);
  cudaFree(Cm);
  bench_cuda_timer_destroy(tm);
  return rate;
}
