/* Scaling benchmark of every method on generated hyper-cleaning data (MATH.md Problem 2):
   one RHS evaluation, one RK4 step (on CUDA launched from the host and replayed from its step
   graph) and a short solve (AID-BiO: one outer iteration and a few),
   from the paper's size (N = 5000, Nv = 2500, d = 82, C = 10) up to N = 1e7, d = 2048,
   C = 100 as memory allows, on the backend named on the command line, in the build's
   precision. Every row gets its floor from the ceilings measured in the same run (floor
   model: bench/util/floor.c; docs/PERFORMANCE.md), its peak memory and bytes per sample.

     bench_scale --help                   every option
     bench_scale --quick --n-list 5000 --d-list 82 --c-list 10        the paper's size

   Timing (METHOD): warm-up rounds first, then medians of repeats. CPU: the monotonic clock.
   CUDA: events recorded on the solver's stream. Small data would stay in cache from one
   repeat to the next and flatter the per-evaluation numbers, so each row generates K copies
   of its data (K x data >= twice the last-level cache; GPU: its L2), each with its own
   solver, and repeat r runs on copy r mod K: by the time a copy comes round again, the
   others have gone through the cache. The solve repeats rotate the same way; within one
   solve the data is reused from step to step, as in real use.
   Memory, charged to one copy: the resident size its data added when generated, plus the
   growth of the peak resident size (VmHWM, reset through /proc/self/clear_refs) over the
   setup and one solve on copy 0; on CUDA also the device memory of copy 0's data plus what
   the setup and solve added (cudaMemGetInfo before and after). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "sgfblo/sgfblo.h"
#include "util/ceilings.h"
#include "util/memory.h"
#include "util/report.h"
#include "util/scale_opts.h"
#include "util/scale_run.h"
#ifdef SGFBLO_HAVE_CUDA
#include "util/ceilings_cuda.h"
#endif

#define GIB (1024.0 * 1024.0 * 1024.0)

/* Measure the two ceilings into *bw, *rate and print them ("at the start" / "at the end":
   the machine may be shared, and a change between the two says its load changed). */
static void ceilings(const bench_env *e, const bench_scale_opts *o, const char *when, double *bw,
                     double *rate) {
  const char *how;
  const int threads = bench_blas_threads(&how);
  *bw = *rate = NAN;
  if (!e->cuda) {
    const double bytes = fmin(GIB, (double)bench_mem_available() / 8);
    double one, all;
    if (bench_cpu_copy_bandwidth((size_t)bytes, threads, &one, &all) == 0) *bw = fmax(one, all);
    const int n = o->gemm_n ? o->gemm_n : o->gemm_n_cpu;
    *rate = bench_cpu_gemm_rate(n);
    printf("ceilings %s: memcpy %.2f GB/s (read + write of %.0f MiB; %.2f GB/s on 1 thread, "
           "%.2f GB/s on %d), %s %.1f GFLOP/s (n = %d, %d BLAS threads); load average %.2f\n",
           when, *bw / 1e9, bytes / (1 << 20), one / 1e9, all / 1e9, threads,
           sizeof(sgfblo_real) == 8 ? "dgemm" : "sgemm", *rate / 1e9, n, threads,
           bench_load_average());
  } else {
#ifdef SGFBLO_HAVE_CUDA
    *bw = bench_cuda_copy_bandwidth((size_t)GIB);
    const int n = o->gemm_n ? o->gemm_n : 8192;
    *rate = bench_cuda_gemm_rate(n);
    printf("ceilings %s (CUDA events): cudaMemcpy device-to-device %.1f GB/s (read + write of "
           "1 GiB), cublas%sgemm %.1f GFLOP/s (n = %d)\n",
           when, *bw / 1e9, sizeof(sgfblo_real) == 8 ? "D" : "S", *rate / 1e9, n);
#endif
  }
}

/* The machine, the ceilings (used by every row's floor) and the caps of this run; printed.
   Returns 0 or -1. */
static int machine(bench_env *e, const bench_scale_opts *o, double *cache, double *phys) {
  char model[256];
  const char *how;
  const int threads = bench_blas_threads(&how);
  bench_cpu_model(model, sizeof model);
  *phys = (double)bench_mem_physical();
  const double avail = (double)bench_mem_available();
  *cache = o->cache_mib > 0 ? o->cache_mib * (1 << 20) : (double)bench_cpu_cache_bytes();
  printf("host: %s, %d online processors, BLAS threads %d (%s; kernels %s), host oracle "
         "threads %d, %.1f GiB physical, %.1f GiB available\n", model, bench_cpu_count(), threads,
         how, bench_blas_core(), sgfblo_default_threads(), *phys / GIB, avail / GIB);
  e->host_cap = o->max_gib > 0 ? o->max_gib * GIB : fmin(0.7 * *phys, 0.9 * avail);
#ifdef SGFBLO_HAVE_CUDA
  if (e->cuda) {
    char name[256];
    int64_t total, l2, freeb;
    if (bench_cuda_device_info(name, sizeof name, &total, &l2) || bench_cuda_mem_info(&freeb, &total))
      return -1;
    if (o->cache_mib <= 0) *cache = (double)l2;
    e->dev_cap = o->max_gib > 0 ? o->max_gib * GIB : 0.9 * (double)freeb;
    if (!(e->timer = bench_cuda_timer_create())) return -1;
    printf("device: %s, %.1f GiB (%.1f GiB free), L2 %.0f MiB\n", name, (double)total / GIB,
           (double)freeb / GIB, (double)l2 / (1 << 20));
  }
#endif
  ceilings(e, o, "at the start (the floors use these)", &e->bandwidth, &e->rate);
  if (!(e->bandwidth > 0) || !(e->rate > 0)) {
    fprintf(stderr, "bench_scale: measuring the ceilings failed\n");
    return -1;
  }
  printf("memory cap: %.1f GiB host%s", e->host_cap / GIB, e->cuda ? "" : "\n");
  if (e->cuda) printf(", %.1f GiB device\n", e->dev_cap / GIB);
  return 0;
}

/* Copies to rotate between: their data together at least twice the cache, at most
   max_copies, and their estimated memory (the largest of the methods that fit the caps with
   one copy) at most a quarter of the caps. */
static int copies_for(const bench_env *e, const bench_size *z, double cache) {
  const double data = (double)(z->N + z->Nv) * (double)z->d * sizeof(sgfblo_real);
  double k = ceil(2 * cache / data), host = 0, dev = 0;
  for (int i = 0; i < e->o->m_count; ++i) {
    double h, dv;
    bench_memory_estimate(e->o->methods[i], z, sizeof(sgfblo_real), e->cuda, 1, &h, &dv);
    if (h > e->host_cap || (e->cuda && dv > e->dev_cap)) continue; /* skipped anyway */
    host = fmax(host, h - data); /* one copy, without the generator's transient */
    dev = fmax(dev, dv);
  }
  k = fmin(k, fmin(e->o->max_copies, BENCH_MAX_COPIES));
  if (host > 0) k = fmin(k, floor(0.25 * e->host_cap / host));
  if (e->cuda && dev > 0) k = fmin(k, floor(0.25 * e->dev_cap / dev));
  return k < 1 ? 1 : (int)k;
}

int main(int argc, char **argv) {
  bench_scale_opts o;
  const int rc = bench_scale_parse(argc, argv, &o);
  if (rc) return rc == 1 ? 0 : 2;
  bench_env e = {.o = &o, .cuda = o.backend == SGFBLO_BACKEND_CUDA};
  const char *backend = e.cuda ? "cuda" : "cpu", *prec = sizeof(sgfblo_real) == 8 ? "float64" : "float32";
  if (!sgfblo_backend_available(o.backend)) {
    fprintf(stderr, "bench_scale: the %s backend is not available here\n", backend);
    return 1;
  }
  bench_mem_init();
  printf("# bench_scale: sgfblo %s, %s backend, %s%s%s\n\n", sgfblo_version(), backend, prec,
         o.label ? ", " : "", o.label ? o.label : "");
  printf("command:");
  for (int i = 0; i < argc; ++i) printf(" %s", argv[i]);
  printf("\n");
  double cache, phys;
  if (machine(&e, &o, &cache, &phys)) return 1;
  printf("rotation: copies of each size's data until they fill twice %.0f MiB (at most %d)\n",
         cache / (1 << 20), o.max_copies < BENCH_MAX_COPIES ? o.max_copies : BENCH_MAX_COPIES);
  printf("timing: %d warm-up round(s), medians of %d (RHS, RK4 step) and %d (solve of %d steps; "
         "AID-BiO: %d iterations); time cap %.0f s per row; Nv = %lld\n",
         o.warmup, o.repeats, o.solve_repeats, o.steps, o.steps, o.max_seconds, (long long)o.nv);
  printf("fused callbacks: %s\n",
         o.unfused ? "none (--unfused: grad_g, Jyx^T and Hyy called apart)"
                   : "grad_g_curv (RXGF, inversion-free: 4 GEMMs with A, 2 reads of A per "
                     "RHS) and curv_mv (Jyx^T v and Hyy v: 2 GEMMs, 1 read)");
  if (e.cuda)
    printf("device passes: %s\n",
           o.device_pass == SGFBLO_HC_DEVICE_PASS_FUSED
               ? "fused row-block kernels (--device-pass fused; a shape they do not serve runs "
                 "cuBLAS and says so on stderr)"
               : "cuBLAS GEMMs with a row kernel between (the default)");
  printf("\n");
  bench_baseline *base = NULL;
  if (o.baseline && !(base = bench_baseline_load(o.baseline))) return 2;
  FILE *csv = o.csv ? fopen(o.csv, "w") : NULL;
  if (o.csv && !csv) {
    fprintf(stderr, "bench_scale: cannot write %s\n", o.csv);
    return 2;
  }
  if (csv) {
    bench_report_csv_header(csv);
    fflush(csv);
  }
  const int total = o.d_count * o.c_count * o.n_count * o.m_count;
  bench_row *rows = calloc((size_t)total, sizeof *rows);
  bench_group *g = calloc(1, sizeof *g); /* large, and its wrappers point into it: heap */
  if (!rows || !g) return 1;
  bench_report_md_header(e.cuda, base != NULL);
  int count = 0;
  for (int id = 0; id < o.d_count; ++id)
    for (int ic = 0; ic < o.c_count; ++ic)
      for (int in = 0; in < o.n_count; ++in) {
        const bench_size z = {o.n_list[in], o.nv, o.d_list[id], o.c_list[ic]};
        const int K = copies_for(&e, &z, cache);
        int fits = 0; /* generate the data only if some method fits the caps */
        for (int im = 0; im < o.m_count; ++im) {
          bench_row *r = &rows[count + im];
          bench_row_init(r, o.methods[im], &z, K, o.steps);
          fits |= !bench_row_over_caps(&e, &z, K, r);
        }
        const int have = fits && bench_group_create(g, &z, K, o.seed, o.device_pass, e.cuda,
                                                    o.unfused) == 0;
        for (int im = 0; im < o.m_count; ++im) {
          bench_row *r = &rows[count++];
          if (have) bench_run_row(&e, g, o.methods[im], r);
          else if (fits) snprintf(r->skip, sizeof r->skip, "the data could not be generated");
          bench_baseline_join(base, r);
          bench_report_md_row(r, e.cuda, base != NULL);
          if (csv) { /* flushed per row: a sweep stopped by a time limit keeps whole rows */
            bench_report_csv_row(csv, r, backend, prec);
            fflush(csv);
          }
          fflush(stdout);
        }
        bench_group_destroy(g);
      }
  bench_report_fit(rows, count, e.cuda, e.host_cap, phys, e.dev_cap);
  double bw_end, rate_end;
  printf("\n");
  ceilings(&e, &o, "at the end", &bw_end, &rate_end);
  if (csv) fclose(csv);
#ifdef SGFBLO_HAVE_CUDA
  bench_cuda_timer_destroy(e.timer);
#endif
  bench_baseline_free(base);
  free(rows);
  free(g);
  return 0;
}
