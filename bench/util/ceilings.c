/* pthreads and sysconf are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "ceilings.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/blas_real.h"
#include "sgfblo/sgfblo.h"
#include "timing.h"

int bench_blas_threads(const char **how) {
#ifdef SGFBLO_BENCH_HAVE_OPENBLAS_THREADS
  *how = "openblas_get_num_threads";
  return openblas_get_num_threads();
#else
  const char *env = getenv("OPENBLAS_NUM_THREADS");
  if (env && atoi(env) > 0) {
    *how = "OPENBLAS_NUM_THREADS";
    return atoi(env);
  }
  *how = "online processors";
  return bench_cpu_count();
#endif
}

const char *bench_blas_core(void) {
#ifdef SGFBLO_BENCH_HAVE_OPENBLAS_THREADS
  const char *c = openblas_get_corename();
  return c ? c : "unknown";
#else
  return "unknown";
#endif
}

double bench_load_average(void) {
  FILE *f = fopen("/proc/loadavg", "r");
  double l = NAN;
  if (f) {
    if (fscanf(f, "%lf", &l) != 1) l = NAN;
    fclose(f);
  }
  return l;
}

int bench_cpu_count(void) {
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

void bench_cpu_model(char *buf, size_t len) {
  snprintf(buf, len, "unknown");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "model name", 10) == 0) {
      const char *v = strchr(line, ':');
      if (!v) break;
      v += strspn(v + 1, " \t") + 1;
      snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
      break;
    }
  fclose(f);
}

int64_t bench_cpu_cache_bytes(void) {
  long c = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
  c = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (c <= 0) c = sysconf(_SC_LEVEL2_CACHE_SIZE);
#endif
  return c > 0 ? (int64_t)c : (int64_t)32 << 20;
}

typedef struct {
  char *dst;
  const char *src;
  size_t bytes;
} copy_slice;

static void *copy_worker(void *arg) {
  copy_slice *c = arg;
  memcpy(c->dst, c->src, c->bytes);
  return NULL;
}

/* Seconds of one copy of `bytes`, split over `threads` threads (slice 0 on this thread; a
   slice whose thread cannot start is copied here too). */
static double timed_copy(char *dst, const char *src, size_t bytes, int threads) {
  enum { MAXT = 64 };
  pthread_t tid[MAXT];
  copy_slice sl[MAXT];
  int started[MAXT] = {0};
  if (threads > MAXT) threads = MAXT;
  if (threads < 1) threads = 1;
  const size_t chunk = bytes / (size_t)threads;
  const double t0 = bench_now();
  for (int t = 0; t < threads; ++t) {
    const size_t lo = chunk * (size_t)t, hi = t == threads - 1 ? bytes : lo + chunk;
    sl[t] = (copy_slice){dst + lo, src + lo, hi - lo};
    if (t > 0) started[t] = pthread_create(&tid[t], NULL, copy_worker, &sl[t]) == 0;
  }
  copy_worker(&sl[0]);
  for (int t = 1; t < threads; ++t) {
    if (started[t]) pthread_join(tid[t], NULL);
    else copy_worker(&sl[t]);
  }
  return bench_now() - t0;
}

int bench_cpu_copy_bandwidth(size_t bytes, int threads, double *one, double *all) {
  char *a = malloc(bytes), *b = malloc(bytes);
  *one = *all = NAN;
  if (!a || !b) {
    free(a);
    free(b);
    return -1;
  }
  for (size_t i = 0; i < bytes; ++i) a[i] = (char)(i * 131u >> 3); /* touch every page */
  memset(b, 0, bytes);
  double t1[5], tn[5];
  timed_copy(b, a, bytes, 1); /* warm-up */
  for (int r = 0; r < 5; ++r) {
    t1[r] = timed_copy(b, a, bytes, 1);
    tn[r] = timed_copy(b, a, bytes, threads);
  }
  *one = 2.0 * (double)bytes / bench_median(t1, 5);
  *all = 2.0 * (double)bytes / bench_median(tn, 5);
  volatile char sink = b[bytes / 2]; /* the copies are observable */
  (void)sink;
  free(a);
  free(b);
  return 0;
}

double bench_cpu_gemm_rate(int n) {
  const size_t nn = (size_t)n * (size_t)n;
  sgfblo_real *A = malloc(nn * sizeof *A), *B = malloc(nn * sizeof *B), *Cm = malloc(nn * sizeof *Cm);
  double rate = NAN;
  if (A && B && Cm) {
    uint64_t x = 88172645463325252ull; /* xorshift64: nonzero data (METHOD: never time zeros) */
    for (size_t i = 0; i < nn; ++i) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      A[i] = (sgfblo_real)((double)(x >> 11) * 0x1.0p-53 - 0.5);
      B[i] = (sgfblo_real)((double)(x & 0xffff) / 65536.0 - 0.5);
      Cm[i] = 0;
    }
    double t[3];
    for (int r = -1; r < 3; ++r) {
      const double t0 = bench_now();
      SGFBLO_CBLAS(gemm)(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, A, n, B, n, 0, Cm, n);
      if (r >= 0) t[r] = bench_now() - t0;
    }
    rate = 2.0 * (double)n * (double)n * (double)n / bench_median(t, 3);
  }
  free(A);
  free(B);
  free(Cm);
  return rate;
}
