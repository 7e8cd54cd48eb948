/* bench_device_pass: every product callback of the hyper-cleaning problem on the CUDA backend,
   its products run both ways the device copy can run them (sgfblo_hyperclean_data.device_pass):

     cublas: two cuBLAS GEMMs with a row kernel between (A read twice once it exceeds L2);
     fused:  one row-block kernel and a fixed-order reduction (kernels/hyperclean_fused.cu).

   Two instances of the same generated data (bench_hc_generate, the same seed), one per way,
   evaluated at the same random point on one stream. For each size and callback: the median
   of 20 event-timed calls after 3 warm-up calls, the floor (each pass's one read of the
   features from memory, N d reals for A, Nv d for Av, at the read rate of a measured
   device-to-device copy, half its read + write bandwidth), the % of that floor each way
   reaches, and the largest difference between the two results relative to the largest entry
   (they sum in different orders: about 1e-14 in float64, 1e-6 in float32).

     bench_device_pass [N d C ...]     default: 5000 82 10  200000 784 10  1000000 784 10

   Prints a Markdown table. Needs a build with CUDA and a device; a shape the fused pass
   does not serve is timed once (both instances run cuBLAS) and marked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sgfblo/sgfblo.h"
#include "sgfblo/sgfblo_hyperclean.h"

#ifdef SGFBLO_HAVE_CUDA
#include "backend/backend.h"
#include "tools/rng.h"
#include "util/ceilings_cuda.h"
#include "util/hc_gen.h"
#include "util/timing.h"

#define WARMUP 3
#define REPEATS 20

/* The callbacks timed, by what they compute; passes = reads of A (Av for grad_f) per call. */
typedef enum { GRAD_F, GRAD_G, HYY, JYX, JYXT, CURV, GRAD_G_CURV, ORACLE_COUNT } oracle;
static const char *const NAMES[ORACLE_COUNT] = {"grad_f",  "grad_g",  "hyy_mv",     "jyx_mv",
                                                "jyxT_mv", "curv_mv", "grad_g_curv"};
static const int PASSES[ORACLE_COUNT] = {1, 1, 1, 1, 1, 1, 2};

/* Device vectors of one evaluation point and the outputs of one instance. */
typedef struct {
  sgfblo_real *x, *y, *u, *v; /* inputs: n, m, n, m */
  sgfblo_real *on, *om, *om2; /* outputs: n, m, m */
} point;

/* One call of callback o of p at the point, outputs into P. */
static int call(const sgfblo_problem *p, oracle o, const point *P, const sgfblo_eval_ctx *ctx) {
  switch (o) {
    case GRAD_F: return p->grad_f(P->x, P->y, P->on, P->om, ctx);
    case GRAD_G: return p->grad_g(P->x, P->y, P->on, P->om, ctx);
    case HYY: return p->hyy_mv(P->x, P->y, P->v, P->om, ctx);
    case JYX: return p->jyx_mv(P->x, P->y, P->u, P->om, ctx);
    case JYXT: return p->jyxT_mv(P->x, P->y, P->v, P->on, ctx);
    case CURV: return p->curv_mv(P->x, P->y, P->v, P->on, P->om, ctx);
    case GRAD_G_CURV: return p->grad_g_curv(P->x, P->y, P->om2, P->on, P->om, ctx);
    default: return -1;
  }
}

/* Median milliseconds of one call (NAN on failure). */
static double time_call(const sgfblo_problem *p, oracle o, const point *P,
                        const sgfblo_eval_ctx *ctx, bench_cuda_timer *timer) {
  double ms[REPEATS];
  for (int w = 0; w < WARMUP; ++w)
    if (call(p, o, P, ctx)) return NAN;
  for (int r = 0; r < REPEATS; ++r) {
    if (bench_cuda_timer_start(timer, ctx->stream)) return NAN;
    if (call(p, o, P, ctx)) return NAN;
    ms[r] = 1e3 * bench_cuda_timer_stop(timer, ctx->stream);
    if (!isfinite(ms[r])) return NAN;
  }
  return bench_median(ms, REPEATS);
}

/* max |a - b| / max |b| over the n entries of two device arrays (NAN on failure). */
static double rel_diff(const sgfblo_ops *ops, sgfblo_bctx *b, int64_t n, const sgfblo_real *da,
                       const sgfblo_real *db) {
  sgfblo_real *ha = malloc(sizeof *ha * (size_t)n), *hb = malloc(sizeof *hb * (size_t)n);
  double big = 0, diff = NAN;
  if (ha && hb && ops->to_host(b, n, ha, da) == SGFBLO_OK && ops->to_host(b, n, hb, db) == SGFBLO_OK) {
    diff = 0;
    for (int64_t i = 0; i < n; ++i) {
      big = fmax(big, fabs((double)hb[i]));
      diff = fmax(diff, fabs((double)ha[i] - (double)hb[i]));
    }
    diff = big > 0 ? diff / big : diff;
  }
  free(ha);
  free(hb);
  return diff;
}

static void point_free(const sgfblo_ops *ops, sgfblo_bctx *b, point *P) {
  sgfblo_real *v[] = {P->x, P->y, P->u, P->v, P->on, P->om, P->om2};
  for (size_t i = 0; i < sizeof v / sizeof v[0]; ++i) ops->release(b, v[i]);
}

/* Random inputs (the same for both instances), zeroed outputs. */
static int point_make(const sgfblo_ops *ops, sgfblo_bctx *b, int64_t n, int64_t m, point *P) {
  const int64_t len[7] = {n, m, n, m, n, m, m};
  sgfblo_real **dst[7] = {&P->x, &P->y, &P->u, &P->v, &P->on, &P->om, &P->om2};
  for (int i = 0; i < 7; ++i)
    if (ops->alloc(b, dst[i], len[i]) != SGFBLO_OK) return -1;
  sgfblo_real *h = malloc(sizeof *h * (size_t)(n > m ? n : m));
  if (!h) return -1;
  sgfblo_rng r;
  sgfblo_rng_seed(&r, 12345);
  for (int i = 0; i < 4; ++i) {
    for (int64_t k = 0; k < len[i]; ++k)
      h[k] = (sgfblo_real)((sgfblo_rng_uniform(&r) - 0.5) * (i == 1 || i == 3 ? 0.2 : 2.0));
    if (ops->from_host(b, len[i], *dst[i], h) != SGFBLO_OK) {
      free(h);
      return -1;
    }
  }
  free(h);
  return 0;
}

/* The outputs of callback o: (pointer into P, length) pairs; returns how many. */
static int outputs(oracle o, const point *P, int64_t n, int64_t m, sgfblo_real *out[3],
                   int64_t len[3]) {
  switch (o) {
    case GRAD_F:
    case GRAD_G: out[0] = P->on, len[0] = n, out[1] = P->om, len[1] = m; return 2;
    case HYY:
    case JYX: out[0] = P->om, len[0] = m; return 1;
    case JYXT: out[0] = P->on, len[0] = n; return 1;
    case CURV: out[0] = P->on, len[0] = n, out[1] = P->om, len[1] = m; return 2;
    default: out[0] = P->om2, len[0] = m, out[1] = P->on, len[1] = n, out[2] = P->om, len[2] = m;
      return 3;
  }
}

static void run_size(const bench_size *z, const sgfblo_ops *ops, sgfblo_bctx *b, double read_bw,
                     bench_cuda_timer *timer) {
  sgfblo_hyperclean *hc[2] = {bench_hc_generate(z, 7, SGFBLO_HC_DEVICE_PASS_CUBLAS),
                              bench_hc_generate(z, 7, SGFBLO_HC_DEVICE_PASS_FUSED)};
  sgfblo_problem p[2];
  point P[2] = {{0}, {0}};
  sgfblo_errmsg err = {{0}};
  const int64_t n = z->N, m = z->d * z->C;
  if (!hc[0] || !hc[1] || sgfblo_hyperclean_to_device(hc[0], 0, &err) != SGFBLO_OK ||
      sgfblo_hyperclean_to_device(hc[1], 0, &err) != SGFBLO_OK ||
      point_make(ops, b, n, m, &P[0]) || point_make(ops, b, n, m, &P[1])) {
    printf("| %lld | %lld | %lld | - | could not set up: %s |\n", (long long)z->N,
           (long long)z->d, (long long)z->C, err.msg[0] ? err.msg : "out of memory");
    goto cleanup;
  }
  const int fused = sgfblo_hyperclean_device_pass(hc[1]) == SGFBLO_HC_DEVICE_PASS_FUSED;
  for (int k = 0; k < 2; ++k) sgfblo_hyperclean_problem(hc[k], &p[k]);
  for (int o = 0; o < ORACLE_COUNT; ++o) {
    double ms[2] = {NAN, NAN};
    for (int k = 0; k < 2; ++k) {
      const sgfblo_eval_ctx ctx = {SGFBLO_MEM_DEVICE, b->stream, hc[k], NULL};
      ms[k] = time_call(&p[k], (oracle)o, &P[k], &ctx, timer);
    }
    sgfblo_real *out[2][3];
    int64_t len[3];
    const int nout = outputs((oracle)o, &P[0], n, m, out[0], len);
    outputs((oracle)o, &P[1], n, m, out[1], len);
    double diff = 0;
    for (int i = 0; i < nout; ++i) diff = fmax(diff, rel_diff(ops, b, len[i], out[1][i], out[0][i]));
    const int64_t rows = o == GRAD_F ? z->Nv : z->N;
    const double floor_ms =
        1e3 * PASSES[o] * (double)rows * (double)z->d * sizeof(sgfblo_real) / read_bw;
    printf("| %lld | %lld | %lld | %s | %.4f | %.4f | %.2f | %.4f | %.0f%% | %.0f%% | %.1e%s |\n",
           (long long)z->N, (long long)z->d, (long long)z->C, NAMES[o], ms[0], ms[1],
           ms[0] / ms[1], floor_ms, 100 * floor_ms / ms[0], 100 * floor_ms / ms[1], diff,
           fused ? "" : " (fused not served: both cuBLAS)");
    fflush(stdout);
  }
cleanup:
  for (int k = 0; k < 2; ++k) {
    point_free(ops, b, &P[k]);
    sgfblo_hyperclean_destroy(hc[k]);
  }
}

int main(int argc, char **argv) {
  long long def[] = {5000, 82, 10, 200000, 784, 10, 1000000, 784, 10};
  long long *args = def;
  int count = (int)(sizeof def / sizeof def[0]);
  if (argc > 1) {
    if ((argc - 1) % 3 != 0) {
      fprintf(stderr, "usage: bench_device_pass [N d C ...]\n");
      return 2;
    }
    count = argc - 1;
    args = malloc(sizeof *args * (size_t)count);
    if (!args) return 1;
    for (int i = 0; i < count; ++i) args[i] = atoll(argv[i + 1]);
    for (int i = 0; i < count; ++i)
      if (args[i] < (i % 3 == 2 ? 2 : 1)) {
        fprintf(stderr, "bench_device_pass: N, d >= 1 and C >= 2 (got '%s')\n", argv[i + 1]);
        return 2;
      }
  }
  sgfblo_errmsg msg = {{0}};
  sgfblo_bctx b = {.err = &msg};
  const sgfblo_ops *ops = NULL;
  if (sgfblo_backend_open(SGFBLO_BACKEND_CUDA, 0, &ops, &b) != SGFBLO_OK) {
    fprintf(stderr, "bench_device_pass: no CUDA backend here: %s\n", msg.msg);
    return 1;
  }
  char name[256] = "";
  int64_t total = 0, l2 = 0;
  bench_cuda_device_info(name, sizeof name, &total, &l2);
  const double bw = bench_cuda_copy_bandwidth((size_t)1 << 30);
  bench_cuda_timer *timer = bench_cuda_timer_create();
  if (!isfinite(bw) || !timer) {
    fprintf(stderr, "bench_device_pass: measuring the copy bandwidth or making a timer failed\n");
    return 1;
  }
  printf("# bench_device_pass: sgfblo %s, %s, %s, L2 %.0f MiB; device-to-device copy %.0f GB/s "
         "(read + write)\n\n",
         sgfblo_version(), name, sizeof(sgfblo_real) == 8 ? "float64" : "float32",
         (double)l2 / (1 << 20), bw / 1e9);
  printf("Each callback: medians of %d event-timed calls after %d; floor = its reads of A (Av "
         "for grad_f) at half the copy's bandwidth; Nv = 2500\n\n",
         REPEATS, WARMUP);
  printf("| N | d | C | callback | cuBLAS (ms) | fused (ms) | speed-up | floor (ms) | cuBLAS %% "
         "of floor | fused %% of floor | max diff / max entry |\n"
         "|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (int i = 0; i < count; i += 3) {
    const bench_size z = {args[i], 2500, args[i + 1], args[i + 2]};
    run_size(&z, ops, &b, bw / 2, timer);
  }
  bench_cuda_timer_destroy(timer);
  ops->close(&b);
  if (args != def) free(args);
  return 0;
}

#else
int main(void) {
  fprintf(stderr, "bench_device_pass: this build of sgfblo has no CUDA backend\n");
  return 1;
}
#endif
