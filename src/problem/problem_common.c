#include "problem/problem_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "problem/problem_cuda.h"
#ifdef SGFBLO_HAVE_CUDA
#include "backend/cuda_dev.h"
#endif

sgfblo_status sgfblo_problem_random_sym(sgfblo_rng *r, int64_t n, double lo, double hi,
                                        double *A, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  double *Q = NULL, *W = NULL, *tau = NULL, *l = NULL;
  if (!sgfblo_problem_dims_ok(n, n, sizeof(double)))
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "random symmetric matrix: n = %lld out of range",
                (long long)n);
  const int ni = (int)n;
  const size_t nn = (size_t)n * (size_t)n;
  Q = malloc(sizeof *Q * nn);
  W = malloc(sizeof *W * nn);
  tau = malloc(sizeof *tau * (size_t)n);
  l = malloc(sizeof *l * (size_t)n);
  if (!Q || !W || !tau || !l)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "random symmetric matrix: no memory for n = %d", ni);

  for (size_t k = 0; k < nn; ++k) Q[k] = sgfblo_rng_normal(r);
  for (int i = 0; i < ni; ++i) l[i] = lo + (hi - lo) * sgfblo_rng_uniform(r);

  /* Q from the QR factorization of the Gaussian matrix. Q diag(sign(R_jj)) would be the
     Haar-distributed factor, but A = sum_j l_j q_j q_j^T does not depend on the sign of any
     column q_j, so A already has the distribution of the Haar construction without it. */
  lapack_int info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, ni, ni, Q, ni, tau);
  if (info != 0) SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "dgeqrf failed (info = %d)", (int)info);
  info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, ni, ni, ni, Q, ni, tau);
  if (info != 0) SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "dorgqr failed (info = %d)", (int)info);

  /* W = Q diag(l), A = W Q^T, then average with the transpose so A is exactly symmetric. */
  for (int j = 0; j < ni; ++j)
    for (int i = 0; i < ni; ++i) W[i + (size_t)j * ni] = Q[i + (size_t)j * ni] * l[j];
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, ni, ni, ni, 1.0, W, ni, Q, ni, 0.0, A, ni);
  for (int j = 0; j < ni; ++j)
    for (int i = 0; i < j; ++i) {
      const double a = 0.5 * (A[i + (size_t)j * ni] + A[j + (size_t)i * ni]);
      A[i + (size_t)j * ni] = a;
      A[j + (size_t)i * ni] = a;
    }
cleanup:
  free(Q);
  free(W);
  free(tau);
  free(l);
  return st;
}

#ifdef SGFBLO_HAVE_CUDA
int sgfblo_problem_cuda_check(char *detail, size_t len, int code, const char *call,
                              const char *file, int line) {
  if (code == 0) return 0;
  const char *base = strrchr(file, '/');
  snprintf(detail, len, "%.*s (%s:%d) failed: %s, %s", (int)strcspn(call, "("), call,
           base ? base + 1 : file, line, sgfblo_cuda_error_name(code),
           sgfblo_cuda_error_string(code));
  return sgfblo_cuda_error_is_oom(code) ? SGFBLO_ERR_ALLOC : SGFBLO_PROBLEM_CB_CUDA;
}

void sgfblo_problem_cuda_say(const sgfblo_eval_ctx *ctx, const char *text) {
  if (!ctx->detail) return;
  if (text)
    snprintf(ctx->detail->msg, sizeof ctx->detail->msg, "%s", text);
  else
    snprintf(ctx->detail->msg, sizeof ctx->detail->msg,
             "the instance has no device copy of its data on this device (its prepare hook, "
             "or sgfblo_*_to_device, did not run there or failed)");
}
#endif
