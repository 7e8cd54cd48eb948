/* CUDA backend: device memory, one stream per solver, cuBLAS and cuSOLVER handles of its own,
   and the project's kernels (kernels/ *.cu through kernels.h). The CPU backend (cpu.c) is the
   reference this one is tested against (tests/test_cuda_parity.c).

   The only C file that includes CUDA headers (it is compiled as C11 by the host compiler, with
   the toolkit's include directory from CUDA::cudart). Every CUDA, cuBLAS and cuSOLVER return
   code is checked and becomes SGFBLO_ERR_CUDA (or SGFBLO_ERR_NOT_SPD / SGFBLO_ERR_LINALG from
   potrf's devInfo) with a message naming the call; nothing here prints, exits or aborts.

   Host synchronisation points (everything else is enqueued on the stream and returns at once,
   so a step of the fast path -- RXGF or inversion-free with a fixed-step tableau -- runs with
   no host round-trip and can be captured into a CUDA Graph):
     - dot, nrminf, err_norm, scalars_read: the host asked for a value (monitoring, check
       points, step control, CG); the *_dev ops keep the result on the device instead;
     - potrf: devInfo is read back (SGFBLO_ERR_NOT_SPD must be reported by the call);
     - to_host / from_host, synchronous by contract. */
#include <cublas_v2.h>
#include <cudaTypedefs.h> /* types of driver entry points only: no -lcuda */
#include <cuda_runtime.h>
#include <cusolverDn.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cuda_dev.h"
#include "core/error.h"
#include "kernels.h"

/* cuBLAS / cuSOLVER names for sgfblo_real, the one S/D mapping (STYLE.md §9):
   SGFBLO_SD(cublas, gemm) is cublasDgemm, or cublasSgemm under SGFBLO_USE_FLOAT. */
#ifdef SGFBLO_USE_FLOAT
#define SGFBLO_SD(lib, name) lib##S##name
#else
#define SGFBLO_SD(lib, name) lib##D##name
#endif

/* Checked calls; each needs `sgfblo_status st`, `sgfblo_errmsg *err` and a cleanup label.
   A failure is also cleared from the runtime's last error: every kernel launcher returns
   cudaGetLastError(), so an error left there would be reported again by the next launch
   (after a step graph that could not be recorded, the host-driven step would fail on it). */
#define SGFBLO_CUDA_TRY(call)                                                                     \
  do {                                                                                            \
    const cudaError_t e_ = (cudaError_t)(call);                                                   \
    if (e_ != cudaSuccess) {                                                                      \
      (void)cudaGetLastError();                                                                   \
      st = sgfblo_fail(err, e_ == cudaErrorMemoryAllocation ? SGFBLO_ERR_ALLOC : SGFBLO_ERR_CUDA, \
                       "%s: %s failed: %s (%s)", __func__, #call, cudaGetErrorString(e_),         \
                       cudaGetErrorName(e_));                                                     \
      goto cleanup;                                                                               \
    }                                                                                             \
  } while (0)

#define SGFBLO_CUBLAS_TRY(call)                   \
  do {                                            \
    const cublasStatus_t e_ = (call);             \
    if (e_ != CUBLAS_STATUS_SUCCESS) {            \
      st = cublas_fail(err, e_, __func__, #call); \
      goto cleanup;                               \
    }                                             \
  } while (0)

#define SGFBLO_CUSOLVER_TRY(call)                   \
  do {                                              \
    const cusolverStatus_t e_ = (call);             \
    if (e_ != CUSOLVER_STATUS_SUCCESS) {            \
      st = cusolver_fail(err, e_, __func__, #call); \
      goto cleanup;                                 \
    }                                               \
  } while (0)

/* The cuBLAS workspace every handle of the library gets from us, the size the cuBLAS guide
   recommends for Hopper: with a workspace of its own a handle never allocates while a step
   is being recorded into a graph (cublasSetStream resets it, so it is set again after each). */
#define SGFBLO_CUBLAS_WORKSPACE_BYTES ((size_t)32 << 20)

/* Dimensions cuBLAS / cuSOLVER take as int. */
#define DIM_OK(n) ((n) >= 0 && (int64_t)(n) <= (int64_t)INT_MAX)

static const char *cusolver_status_string(cusolverStatus_t s) {
  switch (s) {
    case CUSOLVER_STATUS_SUCCESS: return "success";
    case CUSOLVER_STATUS_NOT_INITIALIZED: return "cuSOLVER not initialised";
    case CUSOLVER_STATUS_ALLOC_FAILED: return "cuSOLVER allocation failed";
    case CUSOLVER_STATUS_INVALID_VALUE: return "invalid value";
    case CUSOLVER_STATUS_ARCH_MISMATCH: return "architecture mismatch";
    case CUSOLVER_STATUS_EXECUTION_FAILED: return "execution failed";
    case CUSOLVER_STATUS_INTERNAL_ERROR: return "internal error";
    case CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED: return "matrix type not supported";
    case CUSOLVER_STATUS_NOT_SUPPORTED: return "not supported";
    default: return "cuSOLVER error";
  }
}

/* The library may have left a runtime error behind (a failed launch of its own): cleared,
   as SGFBLO_CUDA_TRY does. */
static sgfblo_status cublas_fail(sgfblo_errmsg *err, cublasStatus_t e, const char *fn,
                                 const char *call) {
  (void)cudaGetLastError();
  return sgfblo_fail(err, e == CUBLAS_STATUS_ALLOC_FAILED ? SGFBLO_ERR_ALLOC : SGFBLO_ERR_CUDA,
                     "%s: %s failed: %s", fn, call, cublasGetStatusString(e));
}

static sgfblo_status cusolver_fail(sgfblo_errmsg *err, cusolverStatus_t e, const char *fn,
                                   const char *call) {
  (void)cudaGetLastError();
  return sgfblo_fail(err, e == CUSOLVER_STATUS_ALLOC_FAILED ? SGFBLO_ERR_ALLOC : SGFBLO_ERR_CUDA,
                     "%s: %s failed: %s", fn, call, cusolver_status_string(e));
}

/** Per-solver state behind bctx.impl. */
typedef struct {
  int device;
  cudaStream_t stream;       /* also bctx.stream */
  cublasHandle_t blas;       /* bound to stream and to blas_ws, host pointer mode */
  void *blas_ws;             /* cuBLAS workspace of our own: capture never allocates */
  cusolverDnHandle_t solver; /* bound to stream */
  double *d_part;            /* SGFBLO_CUDA_RED_PARTS partial sums */
  double *d_scalar;          /* [0] reduction result, [1] safety-filter lambda */
  double *h_scalar;          /* pinned host mirror of d_scalar */
  int *d_info, *h_info;      /* potrf devInfo and its pinned mirror */
  sgfblo_real *d_work;       /* potrf workspace */
  int lwork;                 /* its length in reals */
} cuda_impl;

#define IMPL(b) ((cuda_impl *)(b)->impl)
#define STREAM(b) (IMPL(b)->stream)

static void cuda_close(sgfblo_bctx *b) {
  cuda_impl *I = b ? IMPL(b) : NULL;
  if (!I) return;
  /* Teardown: errors are ignored, every handle is released whatever the others do, on the
     context's device (the handles belong to it, whatever device the caller left current). */
  (void)cudaSetDevice(I->device);
  if (I->stream) (void)cudaStreamSynchronize(I->stream);
  if (I->solver) (void)cusolverDnDestroy(I->solver);
  if (I->blas) (void)cublasDestroy(I->blas);
  (void)cudaFree(I->blas_ws);
  (void)cudaFree(I->d_part);
  (void)cudaFree(I->d_scalar);
  (void)cudaFree(I->d_info);
  (void)cudaFree(I->d_work);
  (void)cudaFreeHost(I->h_scalar);
  (void)cudaFreeHost(I->h_info);
  if (I->stream) (void)cudaStreamDestroy(I->stream);
  free(I);
  b->impl = NULL;
  b->stream = NULL;
  (void)cudaGetLastError(); /* leave no sticky error from teardown behind */
}

static sgfblo_status cuda_alloc(sgfblo_bctx *b, sgfblo_real **p, int64_t n) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  const size_t bytes = sizeof **p * (size_t)(n > 0 ? n : 1);
  *p = NULL;
  /* On the context's device, not on whichever a problem's prepare hook left current. */
  SGFBLO_CUDA_TRY(cudaSetDevice(IMPL(b)->device));
  const cudaError_t e = cudaMalloc((void **)p, bytes);
  if (e != cudaSuccess) {
    *p = NULL;
    (void)cudaGetLastError();
    return sgfblo_fail(err, e == cudaErrorMemoryAllocation ? SGFBLO_ERR_ALLOC : SGFBLO_ERR_CUDA,
                       "cudaMalloc of %lld reals (%zu bytes) failed: %s", (long long)n, bytes,
                       cudaGetErrorString(e));
  }
  SGFBLO_CUDA_TRY(cudaMemsetAsync(*p, 0, bytes, STREAM(b)));
cleanup:
  if (st != SGFBLO_OK) {
    (void)cudaFree(*p);
    *p = NULL;
  }
  return st;
}

static void cuda_release(sgfblo_bctx *b, sgfblo_real *p) {
  (void)b;
  if (p) (void)cudaFree(p);
}

static sgfblo_status cuda_copy(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, sgfblo_real *y) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  if (x != y && n > 0)
    SGFBLO_CUDA_TRY(
        cudaMemcpyAsync(y, x, sizeof *y * (size_t)n, cudaMemcpyDeviceToDevice, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_fill(sgfblo_bctx *b, int64_t n, double a, sgfblo_real *x) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  if (a == 0.0 && !signbit(a) && n > 0) /* +0.0 is all zero bits; -0.0 is not */
    SGFBLO_CUDA_TRY(cudaMemsetAsync(x, 0, sizeof *x * (size_t)n, STREAM(b)));
  else
    SGFBLO_CUDA_TRY(sgfblo_cuda_fill(n, a, x, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_axpby(sgfblo_bctx *b, int64_t n, double a, const sgfblo_real *x, double c,
                                sgfblo_real *y) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(sgfblo_cuda_axpby(n, a, x, c, y, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_lincomb(sgfblo_bctx *b, int64_t n, int k, const double *c,
                                  const sgfblo_real *const *X, sgfblo_real *z) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  if (k < 1) return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "lincomb: k must be >= 1 (got %d)", k);
  /* One pass when k fits a launch; longer sums go on as z = z + sum of the next terms (only
     X[0] may alias z, and it is consumed by the first pass). */
  int done = k < SGFBLO_CUDA_LINCOMB_MAX ? k : SGFBLO_CUDA_LINCOMB_MAX;
  SGFBLO_CUDA_TRY(sgfblo_cuda_lincomb(n, done, c, X, z, STREAM(b)));
  while (done < k) {
    double cc[SGFBLO_CUDA_LINCOMB_MAX];
    const sgfblo_real *XX[SGFBLO_CUDA_LINCOMB_MAX];
    int j = 1;
    cc[0] = 1.0;
    XX[0] = z;
    for (; j < SGFBLO_CUDA_LINCOMB_MAX && done < k; ++j, ++done) {
      cc[j] = c[done];
      XX[j] = X[done];
    }
    SGFBLO_CUDA_TRY(sgfblo_cuda_lincomb(n, j, cc, XX, z, STREAM(b)));
  }
cleanup:
  return st;
}

/* Bring d_scalar[idx] to the host: one 8-byte copy and a stream synchronisation (a sync point
   of this version; see the file comment). */
static sgfblo_status read_scalar(sgfblo_bctx *b, int idx, double *out) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = IMPL(b);
  SGFBLO_CUDA_TRY(cudaMemcpyAsync(I->h_scalar + idx, I->d_scalar + idx, sizeof(double),
                                  cudaMemcpyDeviceToHost, I->stream));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(I->stream));
  *out = I->h_scalar[idx];
cleanup:
  return st;
}

static sgfblo_status cuda_dot(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, const sgfblo_real *y,
                              double *out) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = IMPL(b);
  SGFBLO_CUDA_TRY(sgfblo_cuda_dot(n, x, y, I->d_part, I->d_scalar, I->stream));
  SGFBLO_TRY(read_scalar(b, 0, out));
cleanup:
  return st;
}

static sgfblo_status cuda_nrminf(sgfblo_bctx *b, int64_t n, const sgfblo_real *x, double *out) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = IMPL(b);
  SGFBLO_CUDA_TRY(sgfblo_cuda_nrminf(n, x, I->d_part, I->d_scalar, I->stream));
  SGFBLO_TRY(read_scalar(b, 0, out));
cleanup:
  return st;
}

static sgfblo_status cuda_err_norm(sgfblo_bctx *b, int64_t n, const sgfblo_real *e,
                                   const sgfblo_real *z0, const sgfblo_real *z1, double atol,
                                   double rtol, double *out) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = IMPL(b);
  SGFBLO_CUDA_TRY(
      sgfblo_cuda_err_norm(n, e, z0, z1, atol, rtol, I->d_part, I->d_scalar, I->stream));
  SGFBLO_TRY(read_scalar(b, 0, out));
cleanup:
  return st;
}

static sgfblo_status cuda_gemm(sgfblo_bctx *b, int transa, int transb, int64_t m, int64_t k,
                               int64_t inner, double alpha, const sgfblo_real *A, int64_t lda,
                               const sgfblo_real *B, int64_t ldb, double beta, sgfblo_real *C,
                               int64_t ldc) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  if (!DIM_OK(m) || !DIM_OK(k) || !DIM_OK(inner) || !DIM_OK(lda) || !DIM_OK(ldb) || !DIM_OK(ldc))
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "gemm: dimensions %lld x %lld x %lld exceed cuBLAS's int range",
                       (long long)m, (long long)k, (long long)inner);
  const sgfblo_real a = (sgfblo_real)alpha, be = (sgfblo_real)beta;
  SGFBLO_CUBLAS_TRY(SGFBLO_SD(cublas, gemm)(
      IMPL(b)->blas, transa ? CUBLAS_OP_T : CUBLAS_OP_N, transb ? CUBLAS_OP_T : CUBLAS_OP_N, (int)m,
      (int)k, (int)inner, &a, A, (int)lda, B, (int)ldb, &be, C, (int)ldc));
cleanup:
  return st;
}

/* Make sure the potrf workspace holds an m x m factorisation. */
static sgfblo_status ensure_potrf_work(sgfblo_bctx *b, int64_t m, sgfblo_real *A) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = IMPL(b);
  int lwork = 0;
  if (!DIM_OK(m))
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "potrf: m = %lld exceeds cuSOLVER's int range",
                       (long long)m);
  SGFBLO_CUSOLVER_TRY(SGFBLO_SD(cusolverDn, potrf_bufferSize)(
      I->solver, CUBLAS_FILL_MODE_LOWER, (int)m, A, (int)(m > 0 ? m : 1), &lwork));
  if (lwork > I->lwork) {
    SGFBLO_CUDA_TRY(cudaSetDevice(I->device));
    (void)cudaFree(I->d_work);
    I->d_work = NULL;
    I->lwork = 0;
    SGFBLO_CUDA_TRY(cudaMalloc((void **)&I->d_work, sizeof *I->d_work * (size_t)lwork));
    I->lwork = lwork;
  }
cleanup:
  return st;
}

static sgfblo_status cuda_potrf_reserve(sgfblo_bctx *b, int64_t m, sgfblo_real *A) {
  return m < 1 ? SGFBLO_OK : ensure_potrf_work(b, m, A);
}

static sgfblo_status cuda_potrf(sgfblo_bctx *b, int64_t m, sgfblo_real *A) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = IMPL(b);
  /* Setup reserves the workspace (potrf_reserve); growing here is only the fallback for a
     caller that did not, and allocates. */
  SGFBLO_TRY(ensure_potrf_work(b, m, A));
  SGFBLO_CUSOLVER_TRY(SGFBLO_SD(cusolverDn, potrf)(I->solver, CUBLAS_FILL_MODE_LOWER, (int)m, A,
                                                   (int)m, I->d_work, I->lwork, I->d_info));
  /* devInfo must come back: a failed factorisation is this call's status. */
  SGFBLO_CUDA_TRY(
      cudaMemcpyAsync(I->h_info, I->d_info, sizeof(int), cudaMemcpyDeviceToHost, I->stream));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(I->stream));
  if (*I->h_info > 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_NOT_SPD,
                "Cholesky factorisation failed: leading minor %d of the %lld x %lld matrix is not "
                "positive definite",
                *I->h_info, (long long)m, (long long)m);
  if (*I->h_info < 0)
    SGFBLO_FAIL(err, SGFBLO_ERR_LINALG, "potrf: argument %d invalid", -*I->h_info);
cleanup:
  return st;
}

static sgfblo_status cuda_potrs(sgfblo_bctx *b, int64_t m, const sgfblo_real *L, sgfblo_real *rhs) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = IMPL(b);
  if (!DIM_OK(m))
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG, "potrs: m = %lld exceeds cuSOLVER's int range",
                       (long long)m);
  /* potrs' devInfo reports only invalid arguments, which are fixed here (lower, nrhs 1,
     leading dimensions m): it is not read back, so the solve stays asynchronous. */
  SGFBLO_CUSOLVER_TRY(SGFBLO_SD(cusolverDn, potrs)(I->solver, CUBLAS_FILL_MODE_LOWER, (int)m, 1, L,
                                                   (int)m, rhs, (int)m, I->d_info));
cleanup:
  return st;
}

static sgfblo_status cuda_safety_filter(sgfblo_bctx *b, int64_t n, const sgfblo_real *gf,
                                        const sgfblo_real *gh, const sgfblo_real *gy, int64_t m,
                                        double *d_h, double alpha, double eps2, int relaxed,
                                        sgfblo_real *zdot, double *d_lambda) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = IMPL(b);
  if (gy && m > n)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "safety_filter: gy has %lld entries, more than n = %lld", (long long)m,
                (long long)n);
  SGFBLO_CUDA_TRY(sgfblo_cuda_safety_filter(n, gf, gh, gy, m, d_h, alpha, eps2, relaxed, zdot,
                                            I->d_part, d_lambda, I->stream));
cleanup:
  return st;
}

/* ------------------------------------------------------- backend scalars -- */

static sgfblo_status cuda_scalars_alloc(sgfblo_bctx *b, double **p, int n) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  const size_t bytes = sizeof **p * (size_t)(n > 0 ? n : 1);
  *p = NULL;
  SGFBLO_CUDA_TRY(cudaSetDevice(IMPL(b)->device)); /* as cuda_alloc */
  SGFBLO_CUDA_TRY(cudaMalloc((void **)p, bytes));
  SGFBLO_CUDA_TRY(cudaMemsetAsync(*p, 0, bytes, STREAM(b)));
cleanup:
  if (st != SGFBLO_OK) {
    (void)cudaFree(*p);
    *p = NULL;
  }
  return st;
}

static void cuda_scalars_release(sgfblo_bctx *b, double *p) {
  (void)b;
  if (p) (void)cudaFree(p);
}

static sgfblo_status cuda_dot_dev(sgfblo_bctx *b, int64_t n, const sgfblo_real *x,
                                  const sgfblo_real *y, double *d_out) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(sgfblo_cuda_dot(n, x, y, IMPL(b)->d_part, d_out, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_nrminf_dev(sgfblo_bctx *b, int64_t n, const sgfblo_real *x,
                                     double *d_out) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(sgfblo_cuda_nrminf(n, x, IMPL(b)->d_part, d_out, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_scalar_track_max(sgfblo_bctx *b, const double *d_val, double offset,
                                           double *d_max) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(sgfblo_cuda_track_max(d_val, offset, d_max, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_scalar_watch(sgfblo_bctx *b, const double *d_val, double limit,
                                       double *d_watch) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(sgfblo_cuda_watch(d_val, limit, d_watch, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_scalars_write(sgfblo_bctx *b, int n, const double *h_src,
                                        double *d_dst) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  if (n <= 0) return SGFBLO_OK;
  SGFBLO_CUDA_TRY(cudaMemcpyAsync(d_dst, h_src, sizeof *d_dst * (size_t)n, cudaMemcpyHostToDevice,
                                  STREAM(b)));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(STREAM(b))); /* h_src may go away on return */
cleanup:
  return st;
}

static sgfblo_status cuda_scalars_read(sgfblo_bctx *b, int n, const double *d_src, double *h_dst) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  if (n <= 0) return SGFBLO_OK;
  SGFBLO_CUDA_TRY(cudaMemcpyAsync(h_dst, d_src, sizeof *h_dst * (size_t)n, cudaMemcpyDeviceToHost,
                                  STREAM(b)));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_cg_start(sgfblo_bctx *b, double tol2, double *c) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(sgfblo_cuda_cg_start(tol2, c, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_cg_update_xr(sgfblo_bctx *b, int64_t n, double *c, const sgfblo_real *p,
                                       const sgfblo_real *Ap, sgfblo_real *x, sgfblo_real *r) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(sgfblo_cuda_cg_update_xr(n, c, p, Ap, x, r, STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_cg_update_p(sgfblo_bctx *b, int64_t n, double *c, const sgfblo_real *r,
                                      sgfblo_real *p) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(sgfblo_cuda_cg_update_p(n, c, r, p, STREAM(b)));
cleanup:
  return st;
}

/* ----------------------------------------------------------- step graphs -- */

static sgfblo_status cuda_graph_begin(sgfblo_bctx *b) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  /* Thread-local mode: an unsafe call (a synchronisation, an allocation) made by this thread
     while recording invalidates the capture, which graph_end reports; the solver then runs
     the step without a graph. Other threads are not affected. */
  SGFBLO_CUDA_TRY(cudaStreamBeginCapture(STREAM(b), cudaStreamCaptureModeThreadLocal));
cleanup:
  return st;
}

static sgfblo_status cuda_graph_end(sgfblo_bctx *b, int ok, void **graph, int64_t *nodes) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cudaGraph_t g = NULL;
  cudaGraphExec_t exec = NULL;
  size_t count = 0;
  *graph = NULL;
  *nodes = 0;
  const cudaError_t e = cudaStreamEndCapture(STREAM(b), &g);
  (void)cudaGetLastError(); /* a failed capture must not leave a sticky error behind */
  if (!ok) goto cleanup;
  if (e != cudaSuccess || !g)
    SGFBLO_FAIL(err, SGFBLO_ERR_CUDA, "recording a step into a CUDA graph failed: %s (%s)",
                cudaGetErrorString(e), cudaGetErrorName(e));
  SGFBLO_CUDA_TRY(cudaGraphGetNodes(g, NULL, &count));
  SGFBLO_CUDA_TRY(cudaGraphInstantiate(&exec, g, 0));
  *graph = exec;
  *nodes = (int64_t)count;
cleanup:
  if (g) (void)cudaGraphDestroy(g);
  return st;
}

static sgfblo_status cuda_graph_launch(sgfblo_bctx *b, void *graph) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(cudaGraphLaunch((cudaGraphExec_t)graph, STREAM(b)));
cleanup:
  return st;
}

static void cuda_graph_release(sgfblo_bctx *b, void *graph) {
  (void)b;
  if (graph) (void)cudaGraphExecDestroy((cudaGraphExec_t)graph);
}

static sgfblo_status cuda_make_current(sgfblo_bctx *b) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  SGFBLO_CUDA_TRY(cudaSetDevice(IMPL(b)->device));
cleanup:
  return st;
}

static sgfblo_status cuda_to_host(sgfblo_bctx *b, int64_t n, sgfblo_real *dst,
                                  const sgfblo_real *src) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  if (n <= 0) return SGFBLO_OK;
  SGFBLO_CUDA_TRY(
      cudaMemcpyAsync(dst, src, sizeof *dst * (size_t)n, cudaMemcpyDeviceToHost, STREAM(b)));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(STREAM(b)));
cleanup:
  return st;
}

static sgfblo_status cuda_from_host(sgfblo_bctx *b, int64_t n, sgfblo_real *dst,
                                    const sgfblo_real *src) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  if (n <= 0) return SGFBLO_OK;
  SGFBLO_CUDA_TRY(
      cudaMemcpyAsync(dst, src, sizeof *dst * (size_t)n, cudaMemcpyHostToDevice, STREAM(b)));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(STREAM(b)));
cleanup:
  return st;
}

static const sgfblo_ops CUDA_OPS = {
    .name = "cuda",
    .mem = SGFBLO_MEM_DEVICE,
    .alloc = cuda_alloc,
    .release = cuda_release,
    .copy = cuda_copy,
    .fill = cuda_fill,
    .axpby = cuda_axpby,
    .lincomb = cuda_lincomb,
    .dot = cuda_dot,
    .nrminf = cuda_nrminf,
    .err_norm = cuda_err_norm,
    .gemm = cuda_gemm,
    .potrf_reserve = cuda_potrf_reserve,
    .potrf = cuda_potrf,
    .potrs = cuda_potrs,
    .safety_filter = cuda_safety_filter,
    .scalars_alloc = cuda_scalars_alloc,
    .scalars_release = cuda_scalars_release,
    .dot_dev = cuda_dot_dev,
    .nrminf_dev = cuda_nrminf_dev,
    .scalar_track_max = cuda_scalar_track_max,
    .scalar_watch = cuda_scalar_watch,
    .scalars_write = cuda_scalars_write,
    .scalars_read = cuda_scalars_read,
    .cg_start = cuda_cg_start,
    .cg_update_xr = cuda_cg_update_xr,
    .cg_update_p = cuda_cg_update_p,
    .graph_begin = cuda_graph_begin,
    .graph_end = cuda_graph_end,
    .graph_launch = cuda_graph_launch,
    .graph_release = cuda_graph_release,
    .to_host = cuda_to_host,
    .from_host = cuda_from_host,
    .make_current = cuda_make_current,
    .close = cuda_close,
};

/* ------------------------------------------------------------ selection -- */

int sgfblo_cuda_device_count(void) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError(); /* e.g. no driver: clear it, report "no device" */
    return 0;
  }
  return count;
}

sgfblo_status sgfblo_cuda_open(int device_id, const sgfblo_ops **ops, sgfblo_bctx *b) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_errmsg *err = b->err;
  cuda_impl *I = NULL;
  int count = 0;
  b->stream = NULL;
  b->impl = NULL;
  const cudaError_t ce = cudaGetDeviceCount(&count);
  if (ce != cudaSuccess) {
    (void)cudaGetLastError();
    return sgfblo_fail(err, SGFBLO_ERR_NO_BACKEND,
                       "the CUDA backend found no usable device: cudaGetDeviceCount: %s (%s)",
                       cudaGetErrorString(ce), cudaGetErrorName(ce));
  }
  if (count < 1)
    return sgfblo_fail(err, SGFBLO_ERR_NO_BACKEND, "the CUDA backend found no CUDA device");
  if (device_id < 0 || device_id >= count)
    return sgfblo_fail(err, SGFBLO_ERR_NO_BACKEND,
                       "device_id %d does not name a CUDA device (this machine has %d)", device_id,
                       count);
  I = calloc(1, sizeof *I);
  if (!I) return sgfblo_fail(err, SGFBLO_ERR_ALLOC, "out of host memory");
  b->impl = I;
  I->device = device_id;
  SGFBLO_CUDA_TRY(cudaSetDevice(device_id));
  /* A non-blocking stream: recording a step graph on a blocking stream would make every use
     of the legacy default stream, by any thread of the application, an error while it lasts.
     The setup helpers that run on the legacy stream (sgfblo_cuda_malloc, _upload, _copy_d2d)
     wait for their work, so nothing on this stream can overtake them. */
  SGFBLO_CUDA_TRY(cudaStreamCreateWithFlags(&I->stream, cudaStreamNonBlocking));
  /* Nor does the stream wait for work the application queued before setup on the legacy
     stream (or a blocking stream of its own), e.g. kernels writing device x0 or data: waited
     for here, once, so that such arrays are ready when this stream reads them. */
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(0));
  b->stream = I->stream;
  SGFBLO_CUBLAS_TRY(cublasCreate(&I->blas));
  SGFBLO_CUBLAS_TRY(cublasSetStream(I->blas, I->stream));
  SGFBLO_CUDA_TRY(cudaMalloc(&I->blas_ws, SGFBLO_CUBLAS_WORKSPACE_BYTES));
  SGFBLO_CUBLAS_TRY(cublasSetWorkspace(I->blas, I->blas_ws, SGFBLO_CUBLAS_WORKSPACE_BYTES));
  SGFBLO_CUBLAS_TRY(cublasSetPointerMode(I->blas, CUBLAS_POINTER_MODE_HOST));
  SGFBLO_CUSOLVER_TRY(cusolverDnCreate(&I->solver));
  SGFBLO_CUSOLVER_TRY(cusolverDnSetStream(I->solver, I->stream));
  SGFBLO_CUDA_TRY(cudaMalloc((void **)&I->d_part, sizeof *I->d_part * SGFBLO_CUDA_RED_PARTS));
  SGFBLO_CUDA_TRY(cudaMalloc((void **)&I->d_scalar, sizeof *I->d_scalar * 2));
  SGFBLO_CUDA_TRY(cudaMalloc((void **)&I->d_info, sizeof *I->d_info));
  SGFBLO_CUDA_TRY(cudaMallocHost((void **)&I->h_scalar, sizeof *I->h_scalar * 2));
  SGFBLO_CUDA_TRY(cudaMallocHost((void **)&I->h_info, sizeof *I->h_info));
  SGFBLO_CUDA_TRY(cudaMemsetAsync(I->d_scalar, 0, sizeof *I->d_scalar * 2, I->stream));
  SGFBLO_CUDA_TRY(cudaMemsetAsync(I->d_info, 0, sizeof *I->d_info, I->stream));
  *ops = &CUDA_OPS;
cleanup:
  if (st != SGFBLO_OK) cuda_close(b);
  return st;
}

sgfblo_status sgfblo_cuda_describe(int device_id, char *buf, size_t len) {
  const int count = sgfblo_cuda_device_count();
  if (device_id < 0 || device_id >= count) {
    snprintf(buf, len, "no such CUDA device (this machine has %d)", count);
    return SGFBLO_ERR_NO_BACKEND;
  }
  struct cudaDeviceProp prop;
  const cudaError_t e = cudaGetDeviceProperties(&prop, device_id);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    snprintf(buf, len, "cudaGetDeviceProperties failed: %s", cudaGetErrorString(e));
    return SGFBLO_ERR_NO_BACKEND;
  }
  snprintf(buf, len, "%s (compute %d.%d, %.1f GiB)", prop.name, prop.major, prop.minor,
           (double)prop.totalGlobalMem / (double)(1u << 30));
  return SGFBLO_OK;
}

/* ----------------------------------------------------- setup-time helpers -- */

sgfblo_status sgfblo_cuda_set_device(int device_id, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  SGFBLO_CUDA_TRY(cudaSetDevice(device_id));
cleanup:
  return st;
}

sgfblo_status sgfblo_cuda_mem_free(size_t *free_bytes, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  size_t total = 0;
  *free_bytes = 0;
  SGFBLO_CUDA_TRY(cudaMemGetInfo(free_bytes, &total));
cleanup:
  return st;
}

sgfblo_status sgfblo_cuda_malloc_uninit(void **p, size_t bytes, sgfblo_errmsg *err) {
  *p = NULL;
  const cudaError_t e = cudaMalloc(p, bytes > 0 ? bytes : 1);
  if (e == cudaSuccess) return SGFBLO_OK;
  *p = NULL;
  (void)cudaGetLastError();
  return sgfblo_fail(err, e == cudaErrorMemoryAllocation ? SGFBLO_ERR_ALLOC : SGFBLO_ERR_CUDA,
                     "cudaMalloc of %zu bytes failed: %s", bytes, cudaGetErrorString(e));
}

sgfblo_status sgfblo_cuda_malloc(void **p, size_t bytes, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  if (bytes == 0) bytes = 1;
  SGFBLO_TRY(sgfblo_cuda_malloc_uninit(p, bytes, err));
  /* Waited for: the solver's stream is non-blocking and does not order itself after the
     legacy default stream this memset runs on. */
  SGFBLO_CUDA_TRY(cudaMemset(*p, 0, bytes));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(0));
cleanup:
  if (st != SGFBLO_OK) {
    (void)cudaFree(*p);
    *p = NULL;
  }
  return st;
}

void sgfblo_cuda_free(void *p) {
  if (p) (void)cudaFree(p);
}

sgfblo_status sgfblo_cuda_upload(void *dst, const void *src, size_t bytes, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  if (bytes == 0) return SGFBLO_OK;
  /* From pageable memory cudaMemcpy may return before the DMA into dst is done; waited for,
     since the solver's non-blocking stream is not ordered after the legacy default stream. */
  SGFBLO_CUDA_TRY(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(0));
cleanup:
  return st;
}

sgfblo_status sgfblo_cuda_copy_d2d(void *dst, const void *src, size_t bytes, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  if (bytes == 0) return SGFBLO_OK;
  /* On the legacy default stream, then waited for: a device-to-device cudaMemcpy may return
     before the copy is done, and the caller may free or overwrite the source afterwards. */
  SGFBLO_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0));
  SGFBLO_CUDA_TRY(cudaStreamSynchronize(0));
cleanup:
  return st;
}

/* Bytes of the allocation holding p from p on, through the driver's cuMemGetAddressRange
   reached through the runtime's driver entry-point lookup (so no -lcuda). 0 when the
   driver cannot tell (entry point unavailable, or an address it does not know as one
   allocation): the caller then refuses the array, since an unchecked size could let every
   oracle read past its end. */
static size_t allocation_bytes_from(const void *p) {
  PFN_cuMemGetAddressRange_v3020 fn = NULL;
  enum cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
#if CUDART_VERSION >= 12050
  /* 12000: the version of cuMemGetAddressRange_v2 (ABI 3020) that CUDA 12.0 gives. */
  const cudaError_t e = cudaGetDriverEntryPointByVersion("cuMemGetAddressRange", (void **)&fn,
                                                         12000, cudaEnableDefault, &q);
#else /* 12.0 to 12.4: the lookup gives the ABI of this runtime's headers, v2 (3020) */
  const cudaError_t e =
      cudaGetDriverEntryPoint("cuMemGetAddressRange", (void **)&fn, cudaEnableDefault, &q);
#endif
  if (e != cudaSuccess || q != cudaDriverEntryPointSuccess || !fn) {
    (void)cudaGetLastError();
    return 0;
  }
  CUdeviceptr base = 0;
  size_t size = 0;
  const CUdeviceptr addr = (CUdeviceptr)(uintptr_t)p;
  if (fn(&base, &size, addr) != CUDA_SUCCESS || addr < base || addr - base >= size) return 0;
  return size - (size_t)(addr - base);
}

static const char *memory_type_name(enum cudaMemoryType t) {
  switch (t) {
    case cudaMemoryTypeUnregistered: return "ordinary host memory";
    case cudaMemoryTypeHost: return "pinned host memory";
    case cudaMemoryTypeDevice: return "device memory";
    case cudaMemoryTypeManaged: return "managed memory";
    default: return "memory of an unknown kind";
  }
}

sgfblo_status sgfblo_cuda_check_device_array(const void *p, size_t bytes, int device_id,
                                             const char *name, const char *shape,
                                             sgfblo_errmsg *err) {
  struct cudaPointerAttributes a;
  memset(&a, 0, sizeof a);
  const cudaError_t e = cudaPointerGetAttributes(&a, p);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    if (e == cudaErrorInvalidValue)
      return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                         "%s (%p) is not device memory on CUDA device %d: "
                         "cudaPointerGetAttributes does not know it (%s)",
                         name, p, device_id, cudaGetErrorString(e));
    return sgfblo_fail(err, SGFBLO_ERR_CUDA, "%s: cudaPointerGetAttributes failed: %s (%s)", name,
                       cudaGetErrorString(e), cudaGetErrorName(e));
  }
  if (a.type != cudaMemoryTypeDevice && a.type != cudaMemoryTypeManaged)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "%s (%p) is %s, not device memory on CUDA device %d (mem is "
                       "SGFBLO_MEM_DEVICE)",
                       name, p, memory_type_name(a.type), device_id);
  if (a.type == cudaMemoryTypeDevice && a.device != device_id)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "%s (%p) is device memory on CUDA device %d, not on device_id %d", name, p,
                       a.device, device_id);
  const size_t have = allocation_bytes_from(p);
  if (have == 0)
    return sgfblo_fail(err, SGFBLO_ERR_CUDA,
                       "%s (%p): the driver cannot tell the size of its allocation "
                       "(cuMemGetAddressRange through cudaGetDriverEntryPointByVersion), so "
                       "%s (%zu bytes) cannot be checked",
                       name, p, shape, bytes);
  if (have < bytes)
    return sgfblo_fail(err, SGFBLO_ERR_INVALID_ARG,
                       "%s: the allocation holds %zu bytes, %s needs %zu", name, have, shape,
                       bytes);
  return SGFBLO_OK;
}

/* A problem's cuBLAS handle with its workspace and the stream it is bound to. */
typedef struct {
  cublasHandle_t h;
  void *ws;
  cudaStream_t bound;
  int is_bound;
} blas_ctx;

sgfblo_status sgfblo_cuda_blas_create(void **handle, sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  blas_ctx *c = calloc(1, sizeof *c);
  *handle = NULL;
  if (!c) return sgfblo_fail(err, SGFBLO_ERR_ALLOC, "out of host memory");
  SGFBLO_CUBLAS_TRY(cublasCreate(&c->h));
  SGFBLO_CUBLAS_TRY(cublasSetPointerMode(c->h, CUBLAS_POINTER_MODE_HOST));
  SGFBLO_CUDA_TRY(cudaMalloc(&c->ws, SGFBLO_CUBLAS_WORKSPACE_BYTES));
  SGFBLO_CUBLAS_TRY(cublasSetWorkspace(c->h, c->ws, SGFBLO_CUBLAS_WORKSPACE_BYTES));
  *handle = c;
  c = NULL;
cleanup:
  sgfblo_cuda_blas_destroy(c);
  return st;
}

void sgfblo_cuda_blas_destroy(void *handle) {
  blas_ctx *c = handle;
  if (!c) return;
  if (c->h) (void)cublasDestroy(c->h);
  (void)cudaFree(c->ws);
  free(c);
}

/* Bind the handle to stream once (not on every call: cublasSetStream resets the workspace,
   and a call during graph recording must not touch the handle's state). */
static cublasStatus_t blas_bind(blas_ctx *c, void *stream) {
  const cudaStream_t s = (cudaStream_t)stream;
  if (c->is_bound && c->bound == s) return CUBLAS_STATUS_SUCCESS;
  cublasStatus_t e = cublasSetStream(c->h, s);
  if (e == CUBLAS_STATUS_SUCCESS) e = cublasSetWorkspace(c->h, c->ws, SGFBLO_CUBLAS_WORKSPACE_BYTES);
  if (e == CUBLAS_STATUS_SUCCESS) {
    c->bound = s;
    c->is_bound = 1;
  }
  return e;
}

/* -------------------------------------------------- evaluation-time helpers -- */

/* A runtime status as a helper's return value. A failure is also taken off the runtime's
   last error, which every kernel launcher returns (cudaGetLastError): left there, the next
   callback's first launch would report it and be blamed for it. */
static int runtime_code(cudaError_t e) {
  if (e != cudaSuccess) (void)cudaGetLastError();
  return (int)e;
}

/* A cuBLAS status as a helper's return value: 0, or apart from every cudaError_t. A runtime
   error cuBLAS met is taken off the last error too. */
static int blas_code(cublasStatus_t s) {
  if (s == CUBLAS_STATUS_SUCCESS) return 0;
  (void)cudaGetLastError();
  return SGFBLO_CUDA_BLAS_CODE + (int)s;
}

int sgfblo_cuda_gemm_on(void *handle, void *stream, int transa, int transb, int64_t m, int64_t k,
                        int64_t inner, double alpha, const sgfblo_real *A, int64_t lda,
                        const sgfblo_real *B, int64_t ldb, double beta, sgfblo_real *C,
                        int64_t ldc) {
  if (!DIM_OK(m) || !DIM_OK(k) || !DIM_OK(inner) || !DIM_OK(lda) || !DIM_OK(ldb) || !DIM_OK(ldc))
    return blas_code(CUBLAS_STATUS_INVALID_VALUE);
  blas_ctx *c = handle;
  cublasStatus_t s = blas_bind(c, stream);
  const sgfblo_real a = (sgfblo_real)alpha, be = (sgfblo_real)beta;
  if (s == CUBLAS_STATUS_SUCCESS)
    s = SGFBLO_SD(cublas, gemm)(c->h, transa ? CUBLAS_OP_T : CUBLAS_OP_N,
                                transb ? CUBLAS_OP_T : CUBLAS_OP_N, (int)m, (int)k, (int)inner, &a,
                                A, (int)lda, B, (int)ldb, &be, C, (int)ldc);
  return blas_code(s);
}

int sgfblo_cuda_gemv_on(void *handle, void *stream, int trans, int64_t rows, int64_t cols,
                        double alpha, const sgfblo_real *A, int64_t lda, const sgfblo_real *x,
                        double beta, sgfblo_real *y) {
  if (!DIM_OK(rows) || !DIM_OK(cols) || !DIM_OK(lda)) return blas_code(CUBLAS_STATUS_INVALID_VALUE);
  blas_ctx *c = handle;
  cublasStatus_t s = blas_bind(c, stream);
  const sgfblo_real a = (sgfblo_real)alpha, be = (sgfblo_real)beta;
  if (s == CUBLAS_STATUS_SUCCESS)
    s = SGFBLO_SD(cublas, gemv)(c->h, trans ? CUBLAS_OP_T : CUBLAS_OP_N, (int)rows, (int)cols, &a,
                                A, (int)lda, x, 1, &be, y, 1);
  return blas_code(s);
}

int sgfblo_cuda_syrk_on(void *handle, void *stream, int64_t n, int64_t k, double alpha,
                        const sgfblo_real *A, int64_t lda, double beta, sgfblo_real *C,
                        int64_t ldc) {
  if (!DIM_OK(n) || !DIM_OK(k) || !DIM_OK(lda) || !DIM_OK(ldc))
    return blas_code(CUBLAS_STATUS_INVALID_VALUE);
  blas_ctx *c = handle;
  cublasStatus_t s = blas_bind(c, stream);
  const sgfblo_real a = (sgfblo_real)alpha, be = (sgfblo_real)beta;
  if (s == CUBLAS_STATUS_SUCCESS)
    s = SGFBLO_SD(cublas, syrk)(c->h, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_N, (int)n, (int)k, &a, A,
                                (int)lda, &be, C, (int)ldc);
  return blas_code(s);
}

int sgfblo_cuda_copy_async(void *dst, const void *src, size_t bytes, void *stream) {
  if (bytes == 0 || dst == src) return 0;
  return runtime_code(
      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, (cudaStream_t)stream));
}

int sgfblo_cuda_copy2d_async(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                             size_t height, void *stream) {
  if (width == 0 || height == 0) return 0;
  return runtime_code(cudaMemcpy2DAsync(dst, dpitch, src, spitch, width, height,
                                        cudaMemcpyDeviceToDevice, (cudaStream_t)stream));
}

int sgfblo_cuda_zero_async(void *dst, size_t bytes, void *stream) {
  if (bytes == 0) return 0;
  return runtime_code(cudaMemsetAsync(dst, 0, bytes, (cudaStream_t)stream));
}

int sgfblo_cuda_read_sync(void *dst_host, const void *src, size_t bytes, void *stream) {
  cudaError_t e =
      cudaMemcpyAsync(dst_host, src, bytes, cudaMemcpyDeviceToHost, (cudaStream_t)stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize((cudaStream_t)stream);
  return runtime_code(e);
}

int sgfblo_cuda_error_is_oom(int code) {
  return code == (int)cudaErrorMemoryAllocation ||
         code == SGFBLO_CUDA_BLAS_CODE + (int)CUBLAS_STATUS_ALLOC_FAILED;
}

const char *sgfblo_cuda_error_string(int code) {
  if (code >= SGFBLO_CUDA_BLAS_CODE)
    return cublasGetStatusString((cublasStatus_t)(code - SGFBLO_CUDA_BLAS_CODE));
  return cudaGetErrorString((cudaError_t)code);
}

const char *sgfblo_cuda_error_name(int code) {
  if (code >= SGFBLO_CUDA_BLAS_CODE)
    return cublasGetStatusName((cublasStatus_t)(code - SGFBLO_CUDA_BLAS_CODE));
  return cudaGetErrorName((cudaError_t)code);
}
