/* Private to the hyper-cleaning problem (MATH.md "Problem 2"): the object layout and the
   row-wise kernels shared by the oracles (hyperclean_oracles.c) and the metrics
   (hyperclean.c). Tests include it to check the kernels directly. */
#ifndef SGFBLO_PROBLEM_HYPERCLEAN_IMPL_H
#define SGFBLO_PROBLEM_HYPERCLEAN_IMPL_H

#include "sgfblo/sgfblo_hyperclean.h"

/* Every workspace is allocated by sgfblo_hyperclean_create, so the callbacks never allocate
   (they will run inside a captured CUDA graph later); the price is one thread per object. */
struct sgfblo_hyperclean {
  int64_t N, Nv, d, C;
  double lambda;
  /* SGFBLO_MEM_DEVICE: made from device data, device-only. The host arrays and workspaces
     below are then all NULL and the callbacks serve device memory only (through dev). */
  sgfblo_memspace mem;
  sgfblo_hc_device_pass device_pass; /* asked for; the device copy says what runs */
  sgfblo_real *A;   /* N x d row-major, training features */
  sgfblo_real *Av;  /* Nv x d row-major, validation features */
  int32_t *b;       /* N training labels in [0, C) */
  int32_t *bv;      /* Nv validation labels in [0, C) */
  /* Workspaces. [y | v] is packed into Y2 so that A y and A v come from one pass over A. */
  sgfblo_real *Y2;  /* d x 2C:  [y | v] */
  sgfblo_real *Z2;  /* N x 2C:  columns 0..C-1 logits -> P -> R;  columns C..2C-1: A v */
  sgfblo_real *Zv;  /* Nv x C:  validation logits -> P_v -> P_v - B_v */
  sgfblo_real *sig; /* N: sigma(x) */
  sgfblo_real *dsig;/* N: sigma'(x) = sigma(x) sigma(-x) */
  sgfblo_real *ce;  /* max(N, Nv): per-sample cross-entropy */
  /* Dense Hyy, formed from row blocks of at most nb samples. */
  int64_t nb;       /* min(N, SGFBLO_HC_DENSE_BLOCK) */
  sgfblo_real *K;   /* nb x m: rows sqrt(sigma_i / N) (a_i (x) p_i) */
  sgfblo_real *S;   /* nb x d: rows sqrt(sigma_i p_ik / N) a_i for one class k */
  sgfblo_real *D;   /* C blocks of d x d: the diagonal blocks of Hyy, one per class */
  /* Host passes over A and Av run in row blocks spread over `pool` (hyperclean_blocks.c). */
  struct sgfblo_pool *pool; /* NULL: the calling thread alone */
  sgfblo_real *partial;     /* sgfblo_hc_partials(max(N, Nv), d, C) x m: one M^T R per chunk
                               (NULL when the shape runs whole-matrix GEMMs) */
  void *dev;        /* sgfblo_hc_dev: device copy and workspaces (CUDA builds), or NULL */
};

/* At most this many chunks of row blocks per pass (one task and one partial sum each), and
   at most this many reals in all of a pass's partial sums (fewer chunks when m is large). */
#define SGFBLO_HC_MAX_CHUNKS 64
#define SGFBLO_HC_PARTIAL_REALS ((int64_t)1 << 22)

/* One pass over the rows of M (rows x d, row-major: A or Av), block by block:
     Z[i, zcol : zcol + kx) = (M X)_i        X: d x kx row-major (kx = C, or 2C for [y | v])
     rows_fn(arg, i0, n)                     row-wise work on rows [i0, i0 + n) of the block
   and, when out is not NULL, with R = Z[:, rcol : rcol + C):
     out = add_scale * add + scale * M^T R   (add NULL: 0; out may be add)
   out is written only after every block has read X, so out may also be X. */
typedef struct {
  const sgfblo_real *M;
  int64_t rows;
  const sgfblo_real *X;
  int64_t kx;
  sgfblo_real *Z; /* rows x ldz */
  int64_t ldz, zcol, rcol;
  void (*rows_fn)(void *arg, int64_t i0, int64_t n);
  void *arg;
  sgfblo_real *out;
  sgfblo_real scale;
  const sgfblo_real *add;
  sgfblo_real add_scale;
} sgfblo_hc_pass;

void sgfblo_hc_pass_run(const sgfblo_hyperclean *hc, const sgfblo_hc_pass *pass);

/* Rows per block of a pass whose M X has kx columns (8 to 64, a multiple of 8; 0: the shape
   runs whole-matrix GEMMs); the chunks (tasks, each with its partial sum) of such a pass over
   `rows` rows that forms M^T R (0 for a whole-matrix shape); and the partial sums an
   instance allocates for passes over at most `rows` rows, enough for every kx. All fixed by
   the shape, never by the thread count. */
int64_t sgfblo_hc_block_rows(int64_t d, int64_t C, int64_t kx);
int64_t sgfblo_hc_chunks(int64_t rows, int64_t d, int64_t C, int64_t kx);
int64_t sgfblo_hc_partials(int64_t rows, int64_t d, int64_t C);

/* Samples per block when forming the dense Hyy (bounds its workspace to nb x m reals). */
#define SGFBLO_HC_DENSE_BLOCK 256

/* sigma(t) and sigma'(t) from one exp(-|t|), finite for every finite t. */
void sgfblo_hc_sigmoid(const sgfblo_real *t, int64_t n, sgfblo_real *sig, sgfblo_real *dsig);

/* Row-wise, in place: each row z_i of Z (rows x C, leading dimension ldz >= C) becomes
   softmax(z_i), computed with the row maximum subtracted; with minus_onehot (labels then
   required) it becomes p_i - e_{b_i}, whose label entry is formed as -(sum of the other
   probabilities) so it stays accurate when p_b rounds to 1. If ce is not NULL (labels then
   required), ce[i] = logsumexp(z_i) - z_{i,b_i}, formed as (max - z_b) + log(sum exp(z - max))
   so no large values cancel. Columns C..ldz-1 are left alone. */
void sgfblo_hc_softmax_rows(int64_t rows, int64_t C, sgfblo_real *Z, int64_t ldz,
                            const int32_t *labels, sgfblo_real *ce, int minus_onehot);

#endif /* SGFBLO_PROBLEM_HYPERCLEAN_IMPL_H */
