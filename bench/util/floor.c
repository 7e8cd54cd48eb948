#include "floor.h"

#include <math.h>
#include <string.h>

#include "problem/hyperclean_impl.h"

static const char *const METHOD_NAMES[BENCH_METHOD_COUNT] = {
    [BENCH_RXGF] = "rxgf",         [BENCH_INVFREE] = "invfree", [BENCH_SGF_CHOL] = "sgf-chol",
    [BENCH_SGF_CG] = "sgf-cg",     [BENCH_PC] = "pc",           [BENCH_STABLE] = "stable",
    [BENCH_AIDBIO] = "aidbio"};

const char *bench_method_name(bench_method m) {
  return m >= 0 && m < BENCH_METHOD_COUNT ? METHOD_NAMES[m] : "?";
}

int bench_method_from_name(const char *name, bench_method *out) {
  for (int m = 0; m < BENCH_METHOD_COUNT; ++m)
    if (strcmp(name, METHOD_NAMES[m]) == 0) {
      *out = (bench_method)m;
      return 0;
    }
  return -1;
}

/* Per call of each hyper-cleaning callback, from MATH.md "Problem 2" ("every product above is
   one or two passes over A"), counted as src/problem/hyperclean_oracles.c makes them:
     a, av   reads of A (N x d) and of Av (Nv x d) from memory
     ka, kv  GEMM columns summed over the call's GEMMs, in units of C: flops 2 N d C ka (+ Av's)
     nv      N-vectors of reals read or written (x, u, an output of length N)
     lab     training labels read (int32, N);  vlab: validation labels read (int32, Nv)
     mv      d x C vectors read or written (y, v, an output of length m = dC)
   A product's two GEMMs (A X, then A^T R after the row-wise work) need one read of A: run
   block by block, the second finds the block still in cache (src/problem/hyperclean_blocks.c,
   the host backend). So: g_val 1 read, grad_g 1, hyy_mv 1, jyx_mv 1, jyxT_mv 1 (one GEMM),
   grad_g_curv 2 (A y and A^T R, then A gy and A^T R': the second needs all of gy), curv_mv 1;
   f_val and grad_f 1 over Av. The CUDA backend's cuBLAS GEMMs read A twice per product: there
   the floor counts what a fused kernel would move, and the % of floor shows the difference.
   hyy_dense reads A once here: its other C passes go over blocks of 256 rows that are still
   in cache; its O(N m^2) SYRK flops and m x m output are added below, as is the m x N output
   of jyx_dense (one pass over A for the logits).
   Not counted: the N x C intermediates (logits, softmax), which a fused implementation keeps
   in registers between its passes, and the O(N C) row-wise exp/log work. */
static const struct {
  double a, av, ka, kv, nv, lab, vlab, mv;
} ORC[BENCH_ORACLE_COUNT] = {
    [BENCH_F_VAL] = {0, 1, 0, 1, 0, 0, 1, 1},  [BENCH_G_VAL] = {1, 0, 1, 0, 1, 1, 0, 1},
    [BENCH_GRAD_F] = {0, 1, 0, 2, 1, 0, 1, 2}, [BENCH_GRAD_G] = {1, 0, 2, 0, 1, 1, 0, 2},
    [BENCH_HYY] = {1, 0, 3, 0, 1, 0, 0, 3},    [BENCH_JYX] = {1, 0, 2, 0, 2, 1, 0, 2},
    [BENCH_JYXT] = {1, 0, 2, 0, 2, 1, 0, 2},   [BENCH_HYY_DENSE] = {1, 0, 1, 0, 1, 0, 0, 1},
    [BENCH_GRAD_G_CURV] = {2, 0, 4, 0, 2, 1, 0, 4},
    [BENCH_JYX_DENSE] = {1, 0, 1, 0, 1, 1, 0, 1},
    [BENCH_CURV] = {1, 0, 3, 0, 2, 1, 0, 3},
};

/* AID-BiO's inner gradient steps D and CG steps K (sgfblo hyperclean's defaults). */
#define AID_D 10.0
#define AID_K 10.0

double bench_counts_calls(const bench_counts *c) {
  double s = 0;
  for (int k = 0; k < BENCH_ORACLE_COUNT; ++k) s += c->call[k];
  return s;
}

bench_cost bench_floor_cost(bench_method m, const bench_size *z, size_t real_size,
                            const bench_counts *c) {
  const double s = (double)real_size, N = (double)z->N, Nv = (double)z->Nv, d = (double)z->d,
               C = (double)z->C, mm = d * C, nz = N + mm;
  bench_cost cost = {0, 0};
  for (int k = 0; k < BENCH_ORACLE_COUNT; ++k) {
    const double n = c->call[k];
    if (n == 0) continue;
    cost.bytes += n * ((ORC[k].a * N + ORC[k].av * Nv) * d * s + ORC[k].nv * N * s +
                       (ORC[k].lab * N + ORC[k].vlab * Nv) * 4.0 + ORC[k].mv * mm * s);
    cost.flops += n * 2.0 * d * C * (ORC[k].ka * N + ORC[k].kv * Nv);
  }
  /* hyy_dense: the SYRK of the off-diagonal blocks (N m^2) and of the C diagonal blocks
     (N C d^2), and its m x m output. */
  cost.flops += c->call[BENCH_HYY_DENSE] * (N * mm * mm + N * C * d * d);
  cost.bytes += c->call[BENCH_HYY_DENSE] * mm * mm * s;
  /* jyx_dense: its m x N output, 2 flops an entry. */
  cost.flops += c->call[BENCH_JYX_DENSE] * 2.0 * N * mm;
  cost.bytes += c->call[BENCH_JYX_DENSE] * N * mm * s;
  if (m == BENCH_AIDBIO) {
    /* Per iteration: the x update (read 2, write 1 N-vectors) and the m-vector updates of
       the D inner steps and K + 2 CG steps (about 3 m-vectors each). */
    cost.bytes += c->iters * (3.0 * N + 3.0 * (AID_D + AID_K + 2.0) * mm) * s;
    return cost;
  }
  /* Flows: each RHS ends in one combination of (n+m)-vectors (read 2, write 1); each RK4
     step adds 3 stage sums (read 2, write 1) and the final sum (read 5, write 1). */
  cost.bytes += (3.0 * c->rhs + 15.0 * c->steps) * nz * s;
  if (m == BENCH_SGF_CHOL) {
    /* Per RHS, J J^T = Jd Jd^T + Hd Hd (2 m^2 N + 2 m^3), its Cholesky (m^3 / 3), the
       products with Jd (4 m N) and Hd (4 m^2): Jd (m x N) read 3 times, Hd, K 4 m^2 reals. */
    cost.flops += c->rhs * (2.0 * mm * mm * N + 2.0 * mm * mm * mm + mm * mm * mm / 3.0 +
                            4.0 * mm * N + 4.0 * mm * mm);
    cost.bytes += c->rhs * (3.0 * mm * N + 4.0 * mm * mm) * s;
  }
  return cost;
}

double bench_floor_seconds(bench_cost cost, double bandwidth, double rate, const char **bound) {
  const double tb = cost.bytes / bandwidth, tf = cost.flops / rate;
  *bound = tf > tb ? "flop" : "bw";
  return fmax(tb, tf);
}

void bench_expected_counts(bench_method m, int fused, bench_counts *c) {
  const double cg = 10; /* assumed CG iterations per solve */
  memset(c, 0, sizeof *c);
  c->rhs = 1;
  switch (m) {
    case BENCH_RXGF:
    case BENCH_INVFREE:
      c->call[BENCH_GRAD_F] = 1;
      if (fused)
        c->call[BENCH_GRAD_G_CURV] = 1;
      else
        c->call[BENCH_GRAD_G] = c->call[BENCH_JYXT] = c->call[BENCH_HYY] = 1;
      break;
    case BENCH_SGF_CHOL: /* dense Hyy and Jyx, then the m x m system */
      c->call[BENCH_GRAD_F] = c->call[BENCH_GRAD_G] = c->call[BENCH_HYY_DENSE] = 1;
      c->call[BENCH_JYX_DENSE] = 1;
      break;
    case BENCH_SGF_CG: /* (1 + cg) products with J J^T: Jyx^T and Hyy at v, Jyx, Hyy each */
      c->call[BENCH_GRAD_F] = c->call[BENCH_GRAD_G] = 1;
      c->call[BENCH_JYX] = 1 + (1 + cg);
      if (fused) {
        c->call[BENCH_HYY] = 1 + (1 + cg);
        c->call[BENCH_CURV] = 1 + (1 + cg);
      } else {
        c->call[BENCH_HYY] = 2 + 2 * (1 + cg);
        c->call[BENCH_JYXT] = 1 + (1 + cg);
      }
      break;
    case BENCH_PC:
    case BENCH_STABLE: /* two Hyy solves of (1 + cg) products */
      c->call[BENCH_GRAD_F] = c->call[BENCH_GRAD_G] = c->call[BENCH_JYX] = c->call[BENCH_JYXT] = 1;
      c->call[BENCH_HYY] = 2 * (1 + cg);
      break;
    default: /* AID-BiO, one outer iteration */
      c->rhs = 0;
      c->iters = 1;
      c->call[BENCH_GRAD_G] = AID_D;
      c->call[BENCH_GRAD_F] = c->call[BENCH_JYXT] = 1;
      c->call[BENCH_HYY] = AID_K + 1;
      break;
  }
}

void bench_memory_estimate(bench_method m, const bench_size *z, size_t real_size, int cuda,
                           int copies, double *host, double *device) {
  const double s = (double)real_size, N = (double)z->N, Nv = (double)z->Nv, d = (double)z->d,
               C = (double)z->C, mm = d * C, nz = N + mm, mx = fmax(N, mm), nb = fmin(N, 256);
  /* Data (features and labels) and the instance's workspaces (sgfblo_hyperclean_create).
     The dense-Hyy workspace (nb (m + d) + d^2 C reals, 3.8 GB in float64 at d = 2048,
     C = 100) is written only by SGF-Cholesky: on the host its pages are never touched by the
     other methods and take no memory; on the device it is allocated by the first dense Hyy. */
  const double data = (N + Nv) * (d * s + 4.0);
  const double ws = (2 * d * C + 2 * N * C + Nv * C + 2 * N + fmax(N, Nv)) * s;
  /* The host instance's partial sums, one m-vector per chunk of row blocks (none for a
     shape that runs whole-matrix GEMMs): what sgfblo_hyperclean_create allocates. */
  const double partials =
      (double)sgfblo_hc_partials(z->N > z->Nv ? z->N : z->Nv, z->d, z->C) * mm * s;
  const double dense_ws = (nb * (mm + d) + d * d * C) * s;
  /* Solver: z, z_new, z_stage and 4 RK4 stages; the monitor's 2n + 2m; the method's own. */
  double solver = (7 * nz + 2 * N + 2 * mm) * s;
  switch (m) {
    case BENCH_RXGF:
    case BENCH_INVFREE: solver += (2 * nz + mm) * s; break;
    case BENCH_SGF_CG: solver += (nz + 7 * mm + mx) * s; break;
    case BENCH_SGF_CHOL: solver += (nz + 4 * mm + 2 * mx + 2 * mm * mm + mm * N) * s; break;
    case BENCH_AIDBIO: solver = (5 * N + 10 * mm) * s; break;
    default: solver += (2 * N + 8 * mm) * s; break;
  }
  const double k = (double)copies, dense = m == BENCH_SGF_CHOL ? dense_ws : 0;
  if (cuda) {
    /* Two cuBLAS handles per copy, 32 MiB of workspace each: the solver's backend and the
       instance's own (src/backend/cuda.c). The CUDA context itself is not counted. */
    const double blas_ws = 2.0 * 32.0 * 1024 * 1024;
    *device = k * (data + ws + dense + solver + blas_ws);
    *host = k * (data + ws + partials + nz * s) + data;
  } else {
    *device = 0;
    *host = k * (data + ws + partials + dense + solver) + data;
  }
}
