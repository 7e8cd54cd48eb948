/* Host passes over hyper-cleaning's data in row blocks (hyperclean_impl.h, sgfblo_hc_pass).

   Each product the oracles need is M X (C or 2C columns), row-wise work, then M^T R. As
   whole-matrix GEMMs that is two reads of M, and OpenBLAS runs these skinny shapes (n = C
   or 2C columns) far below its GEMM rate: it packs the tall operand into its buffers and
   its threads wait on each other. Here both GEMMs run on one block of rows while the block
   is in cache, so M is read from memory once per pass, and the blocks are spread over the
   instance's worker threads. Measured on the development machine (2 cores, OpenBLAS 0.3.21,
   float64), one such pass took 2.4 times less time at N = 5000, d = 82, C = 10 and 3 times
   less at N = 1e5, d = 784, C = 10 than the two whole-matrix GEMMs with 2 BLAS threads.

   Block height: at most 64 rows, fewer as kx d grows (kx = C or 2C, the columns of M X), so
   that a block's GEMM has at most about 2^19 multiply-adds (at least 8 rows, though: beyond
   kx d = 2^16 the blocks of 8 rows are larger than that). Larger blocks made OpenBLAS hand
   each call to its own threads, which, called from several of ours at once, then compete:
   blocks of 64 rows for Hyy v's A [y | v] at d = 784, C = 10 (1 M multiply-adds) made
   prediction-correction's step 2.4 to 2.8 times slower than blocks of 32, while for A y
   (C columns) 64 rows were 10 to 25% faster than 32 (development machine, 2 threads).

   Every block's M^T R reads and writes its chunk's whole partial sum (d x C), so the partial
   has to stay in cache: above SGFBLO_HC_BLOCKED_MAX_BYTES (d = 2048, C = 100 in float64 is
   1.6 MB) a blocked pass ran 6 times slower than the whole-matrix GEMMs, which there are real
   GEMMs (C or 2C = 100 or 200 columns) at OpenBLAS's full rate. Such shapes run whole: one
   GEMM, the row work spread over the threads in chunks, one GEMM.

   Determinism: the blocks are grouped into at most SGFBLO_HC_MAX_CHUNKS chunks, fixed by the
   shape alone; each chunk writes its own partial M^T R, and the partials are added in chunk
   order. So the result has the same bits whatever the number of threads. */
#include <stddef.h>
#include <stdint.h>

#include "core/blas_real.h"
#include "core/pool.h"
#include "problem/hyperclean_impl.h"

/* Largest partial sum (m reals) a blocked pass accumulates into: it must stay in cache. */
#define SGFBLO_HC_BLOCKED_MAX_BYTES ((int64_t)1 << 20)

/* Rows per chunk of row work in a whole-matrix pass, at least. */
#define WHOLE_CHUNK_ROWS 256

/* Partial sums a shape allows: at most SGFBLO_HC_MAX_CHUNKS, and SGFBLO_HC_PARTIAL_REALS reals
   in all. */
static int64_t partials_cap(int64_t m) {
  const int64_t k = SGFBLO_HC_PARTIAL_REALS / m;
  return k < 1 ? 1 : k > SGFBLO_HC_MAX_CHUNKS ? SGFBLO_HC_MAX_CHUNKS : k;
}

/* Whether the shape's passes run in row blocks: its partial sum stays in cache. */
static int blocked_shape(int64_t d, int64_t C) {
  return d * C * (int64_t)sizeof(sgfblo_real) <= SGFBLO_HC_BLOCKED_MAX_BYTES;
}

int64_t sgfblo_hc_block_rows(int64_t d, int64_t C, int64_t kx) {
  if (!blocked_shape(d, C)) return 0;
  int64_t rb = ((int64_t)1 << 19) / (kx * d);
  rb -= rb % 8;
  return rb < 8 ? 8 : rb > 64 ? 64 : rb;
}

int64_t sgfblo_hc_chunks(int64_t rows, int64_t d, int64_t C, int64_t kx) {
  const int64_t rb = sgfblo_hc_block_rows(d, C, kx);
  if (rb == 0) return 0;
  const int64_t blocks = (rows + rb - 1) / rb, k = partials_cap(d * C);
  return k < blocks ? k : blocks;
}

int64_t sgfblo_hc_partials(int64_t rows, int64_t d, int64_t C) {
  if (!blocked_shape(d, C)) return 0;
  const int64_t most_blocks = (rows + 7) / 8, k = partials_cap(d * C); /* blocks of 8 rows */
  return k < most_blocks ? k : most_blocks;
}

/* Pieces [q n / k, (q + 1) n / k) of n things split into k. */
static int64_t piece(int64_t q, int64_t n, int64_t k) { return q * n / k; }

typedef struct {
  const sgfblo_hyperclean *hc;
  const sgfblo_hc_pass *pass;
  int64_t rb;      /* rows per block (blocked), or per chunk of row work (whole) */
  int64_t blocks;  /* blocks of rb rows */
  int64_t chunks;  /* tasks */
  int64_t m;
} pass_job;

/* Blocked pass, chunk q: for each of its blocks, M_b X, the rows, then M_b^T R_b into the
   chunk's partial sum. */
static void run_chunk(void *arg, int64_t q) {
  const pass_job *job = (const pass_job *)arg;
  const sgfblo_hc_pass *ps = job->pass;
  const int d = (int)job->hc->d, C = (int)job->hc->C, kx = (int)ps->kx, ldz = (int)ps->ldz;
  const int64_t b0 = piece(q, job->blocks, job->chunks), b1 = piece(q + 1, job->blocks, job->chunks);
  sgfblo_real *partial = ps->out ? job->hc->partial + q * job->m : NULL;
  for (int64_t blk = b0; blk < b1; ++blk) {
    const int64_t i0 = blk * job->rb;
    const int n = (int)(ps->rows - i0 < job->rb ? ps->rows - i0 : job->rb);
    const sgfblo_real *Mb = ps->M + i0 * d;
    sgfblo_real *Zb = ps->Z + i0 * ps->ldz;
    SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, kx, d, 1, Mb, d, ps->X, kx, 0,
                       Zb + ps->zcol, ldz);
    ps->rows_fn(ps->arg, i0, n);
    if (partial)
      SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasTrans, CblasNoTrans, d, C, n, 1, Mb, d, Zb + ps->rcol,
                         ldz, blk > b0 ? 1 : 0, partial, C);
  }
}

/* Whole-matrix pass, chunk q of the row work. */
static void run_rows(void *arg, int64_t q) {
  const pass_job *job = (const pass_job *)arg;
  const int64_t i0 = piece(q, job->pass->rows, job->chunks);
  job->pass->rows_fn(job->pass->arg, i0, piece(q + 1, job->pass->rows, job->chunks) - i0);
}

/* Slice s of out = add_scale add + scale sum_q partial_q, the partials added in q order (in
   double, then rounded once). */
typedef struct {
  const pass_job *job;
  int64_t slices;
} reduce_job;

static void reduce_slice(void *arg, int64_t s) {
  const reduce_job *rj = (const reduce_job *)arg;
  const pass_job *job = rj->job;
  const sgfblo_hc_pass *ps = job->pass;
  const int64_t m = job->m, j0 = piece(s, m, rj->slices), j1 = piece(s + 1, m, rj->slices);
  const sgfblo_real *P = job->hc->partial;
  for (int64_t j = j0; j < j1; ++j) {
    double acc = 0;
    for (int64_t q = 0; q < job->chunks; ++q) acc += (double)P[q * m + j];
    const double base = ps->add ? (double)ps->add_scale * (double)ps->add[j] : 0.0;
    ps->out[j] = (sgfblo_real)(base + (double)ps->scale * acc);
  }
}

/* Entries of out per reduction task: fewer and the hand-off costs more than the sums. */
#define REDUCE_SLICE_MIN 4096

static void blocked_pass(pass_job *job) {
  const sgfblo_hyperclean *hc = job->hc;
  const sgfblo_hc_pass *ps = job->pass;
  job->blocks = (ps->rows + job->rb - 1) / job->rb;
  job->chunks = ps->out ? sgfblo_hc_chunks(ps->rows, hc->d, hc->C, ps->kx)
                        : (job->blocks < SGFBLO_HC_MAX_CHUNKS ? job->blocks : SGFBLO_HC_MAX_CHUNKS);
  sgfblo_pool_run(hc->pool, job->chunks, run_chunk, job);
  if (!ps->out) return;
  int64_t slices = job->m / REDUCE_SLICE_MIN;
  const int64_t threads = sgfblo_pool_threads(hc->pool);
  if (slices > threads) slices = threads;
  if (slices < 1) slices = 1;
  reduce_job rj = {job, slices};
  sgfblo_pool_run(hc->pool, slices, reduce_slice, &rj);
}

/* The whole-matrix pass: M X, the rows in chunks over the threads, then out = add_scale add
   and out += scale M^T R (out is written after X has been read). */
static void whole_pass(pass_job *job) {
  const sgfblo_hyperclean *hc = job->hc;
  const sgfblo_hc_pass *ps = job->pass;
  const int rows = (int)ps->rows, d = (int)hc->d, C = (int)hc->C, kx = (int)ps->kx,
            ldz = (int)ps->ldz;
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, kx, d, 1, ps->M, d, ps->X, kx,
                     0, ps->Z + ps->zcol, ldz);
  job->chunks = (ps->rows + WHOLE_CHUNK_ROWS - 1) / WHOLE_CHUNK_ROWS;
  if (job->chunks > SGFBLO_HC_MAX_CHUNKS) job->chunks = SGFBLO_HC_MAX_CHUNKS;
  sgfblo_pool_run(hc->pool, job->chunks, run_rows, job);
  if (!ps->out) return;
  for (int64_t j = 0; j < job->m; ++j) ps->out[j] = ps->add ? ps->add_scale * ps->add[j] : 0;
  SGFBLO_CBLAS(gemm)(CblasRowMajor, CblasTrans, CblasNoTrans, d, C, rows, ps->scale, ps->M, d,
                     ps->Z + ps->rcol, ldz, 1, ps->out, C);
}

void sgfblo_hc_pass_run(const sgfblo_hyperclean *hc, const sgfblo_hc_pass *ps) {
  pass_job job = {hc, ps, sgfblo_hc_block_rows(hc->d, hc->C, ps->kx), 0, 0, hc->d * hc->C};
  if (job.rb > 0)
    blocked_pass(&job);
  else
    whole_pass(&job);
}
