// cuBLAS and cuSOLVER of the host emulation (cublas_v2.h, cusolverDn.h): each call checks its
// arguments as the library does, then runs on the handle's stream (or is recorded while the
// stream captures) through the host's CBLAS and LAPACKE, column-major. As cuBLAS, a beta of 0
// means the output is not read (it may hold NaN); scalars are read at the call (host pointer
// mode, the only one sgfblo uses).
#include <cblas.h>
#include <lapacke.h>

#include <cstring>

#include "cublas_v2.h"
#include "cusolverDn.h"
#include "emu_faults.h"
#include "emu_internal.h"

struct sgfblo_emu_blas {
  cudaStream_t stream = nullptr;
  cublasPointerMode_t mode = CUBLAS_POINTER_MODE_HOST;
};
struct sgfblo_emu_solver {
  cudaStream_t stream = nullptr;
};

namespace {

CBLAS_TRANSPOSE op(cublasOperation_t t) { return t == CUBLAS_OP_N ? CblasNoTrans : CblasTrans; }

// C (rows x cols, leading dimension ldc) = 0, as cuBLAS's beta = 0.
template <class T>
void zero(T *C, int rows, int cols, int ldc) {
  for (int j = 0; j < cols; ++j) std::memset(C + (size_t)j * ldc, 0, sizeof(T) * (size_t)rows);
}

void gemm(const double *a, const double *A, int lda, const double *B, int ldb, const double *b,
          double *C, int ldc, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k) {
  cblas_dgemm(CblasColMajor, op(ta), op(tb), m, n, k, *a, A, lda, B, ldb, *b, C, ldc);
}
void gemm(const float *a, const float *A, int lda, const float *B, int ldb, const float *b,
          float *C, int ldc, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k) {
  cblas_sgemm(CblasColMajor, op(ta), op(tb), m, n, k, *a, A, lda, B, ldb, *b, C, ldc);
}
void gemv(cublasOperation_t t, int m, int n, double a, const double *A, int lda, const double *x,
          int incx, double b, double *y, int incy) {
  cblas_dgemv(CblasColMajor, op(t), m, n, a, A, lda, x, incx, b, y, incy);
}
void gemv(cublasOperation_t t, int m, int n, float a, const float *A, int lda, const float *x,
          int incx, float b, float *y, int incy) {
  cblas_sgemv(CblasColMajor, op(t), m, n, a, A, lda, x, incx, b, y, incy);
}
void syrk(cublasFillMode_t uplo, cublasOperation_t t, int n, int k, double a, const double *A,
          int lda, double b, double *C, int ldc) {
  cblas_dsyrk(CblasColMajor, uplo == CUBLAS_FILL_MODE_LOWER ? CblasLower : CblasUpper, op(t), n, k,
              a, A, lda, b, C, ldc);
}
void syrk(cublasFillMode_t uplo, cublasOperation_t t, int n, int k, float a, const float *A,
          int lda, float b, float *C, int ldc) {
  cblas_ssyrk(CblasColMajor, uplo == CUBLAS_FILL_MODE_LOWER ? CblasLower : CblasUpper, op(t), n, k,
              a, A, lda, b, C, ldc);
}

template <class T>
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                         int n, int k, const T *alpha, const T *A, int lda, const T *B, int ldb,
                         const T *beta, T *C, int ldc) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (emu::fault(SGFBLO_EMU_FAULT_BLAS)) return CUBLAS_STATUS_EXECUTION_FAILED;
  const int rows_a = ta == CUBLAS_OP_N ? m : k, rows_b = tb == CUBLAS_OP_N ? k : n;
  if (m < 0 || n < 0 || k < 0 || lda < (rows_a > 1 ? rows_a : 1) ||
      ldb < (rows_b > 1 ? rows_b : 1) || ldc < (m > 1 ? m : 1))
    return CUBLAS_STATUS_INVALID_VALUE;
  const T a = *alpha, b = *beta;
  emu::enqueue(h->stream, [=]() {
    if (m == 0 || n == 0) return;
    if (b == 0) zero(C, m, n, ldc);
    if (k == 0 || a == 0) {
      if (b != 0 && b != 1)
        for (int j = 0; j < n; ++j)
          for (int i = 0; i < m; ++i) C[(size_t)j * ldc + i] *= b;
      return;
    }
    gemm(&a, A, lda, B, ldb, &b, C, ldc, ta, tb, m, n, k);
  });
  return CUBLAS_STATUS_SUCCESS;
}

template <class T>
cublasStatus_t gemv_call(cublasHandle_t h, cublasOperation_t t, int m, int n, const T *alpha,
                         const T *A, int lda, const T *x, int incx, const T *beta, T *y,
                         int incy) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (emu::fault(SGFBLO_EMU_FAULT_BLAS)) return CUBLAS_STATUS_EXECUTION_FAILED;
  if (m < 0 || n < 0 || lda < (m > 1 ? m : 1) || incx == 0 || incy == 0)
    return CUBLAS_STATUS_INVALID_VALUE;
  const T a = *alpha, b = *beta;
  emu::enqueue(h->stream, [=]() {
    const int len = t == CUBLAS_OP_N ? m : n;
    if (b == 0)
      for (int i = 0; i < len; ++i) y[(size_t)i * incy] = 0;
    if (m > 0 && n > 0) gemv(t, m, n, a, A, lda, x, incx, b, y, incy);
  });
  return CUBLAS_STATUS_SUCCESS;
}

template <class T>
cublasStatus_t syrk_call(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t t, int n,
                         int k, const T *alpha, const T *A, int lda, const T *beta, T *C,
                         int ldc) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (emu::fault(SGFBLO_EMU_FAULT_BLAS)) return CUBLAS_STATUS_EXECUTION_FAILED;
  const int rows_a = t == CUBLAS_OP_N ? n : k;
  if (n < 0 || k < 0 || lda < (rows_a > 1 ? rows_a : 1) || ldc < (n > 1 ? n : 1))
    return CUBLAS_STATUS_INVALID_VALUE;
  const T a = *alpha, b = *beta;
  emu::enqueue(h->stream, [=]() {
    if (n == 0) return;
    if (b == 0) zero(C, n, n, ldc);
    syrk(uplo, t, n, k, a, A, lda, b, C, ldc);
  });
  return CUBLAS_STATUS_SUCCESS;
}

lapack_int potrf(int n, double *A, int lda) { return LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', n, A, lda); }
lapack_int potrf(int n, float *A, int lda) { return LAPACKE_spotrf(LAPACK_COL_MAJOR, 'L', n, A, lda); }
lapack_int potrs(int n, int nrhs, const double *A, int lda, double *B, int ldb) {
  return LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', n, nrhs, A, lda, B, ldb);
}
lapack_int potrs(int n, int nrhs, const float *A, int lda, float *B, int ldb) {
  return LAPACKE_spotrs(LAPACK_COL_MAJOR, 'L', n, nrhs, A, lda, B, ldb);
}

// cuSOLVER supports the lower triangle here, as sgfblo asks; info as cuSOLVER writes it
// (0, or i > 0: the leading minor of order i is not positive definite).
template <class T>
cusolverStatus_t potrf_call(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, T *A, int lda,
                            int *info) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (emu::fault(SGFBLO_EMU_FAULT_SOLVER)) return CUSOLVER_STATUS_EXECUTION_FAILED;
  if (uplo != CUBLAS_FILL_MODE_LOWER) return CUSOLVER_STATUS_NOT_SUPPORTED;
  if (n < 0 || lda < (n > 1 ? n : 1)) return CUSOLVER_STATUS_INVALID_VALUE;
  emu::enqueue(h->stream, [=]() {
    const lapack_int r = n > 0 ? potrf(n, A, lda) : 0;
    *info = r > 0 ? (int)r : 0;
  });
  return CUSOLVER_STATUS_SUCCESS;
}

template <class T>
cusolverStatus_t potrs_call(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, int nrhs,
                            const T *A, int lda, T *B, int ldb, int *info) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (emu::fault(SGFBLO_EMU_FAULT_SOLVER)) return CUSOLVER_STATUS_EXECUTION_FAILED;
  if (uplo != CUBLAS_FILL_MODE_LOWER) return CUSOLVER_STATUS_NOT_SUPPORTED;
  if (n < 0 || nrhs < 0 || lda < (n > 1 ? n : 1) || ldb < (n > 1 ? n : 1))
    return CUSOLVER_STATUS_INVALID_VALUE;
  emu::enqueue(h->stream, [=]() {
    if (n > 0 && nrhs > 0) potrs(n, nrhs, A, lda, B, ldb);
    *info = 0;
  });
  return CUSOLVER_STATUS_SUCCESS;
}

}  // namespace

extern "C" {

cublasStatus_t cublasCreate(cublasHandle_t *h) {
  *h = nullptr;
  if (emu::fault(SGFBLO_EMU_FAULT_BLAS)) return CUBLAS_STATUS_ALLOC_FAILED;
  *h = new sgfblo_emu_blas();
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetWorkspace(cublasHandle_t h, void *ws, size_t bytes) {
  (void)ws;
  (void)bytes;
  return h ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_NOT_INITIALIZED;
}
cublasStatus_t cublasSetPointerMode(cublasHandle_t h, cublasPointerMode_t mode) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode != CUBLAS_POINTER_MODE_HOST) return CUBLAS_STATUS_NOT_SUPPORTED;
  h->mode = mode;
  return CUBLAS_STATUS_SUCCESS;
}
const char *cublasGetStatusName(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}
const char *cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
    default: return cublasGetStatusName(s);
  }
}

cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                           int n, int k, const double *alpha, const double *A, int lda,
                           const double *B, int ldb, const double *beta, double *C, int ldc) {
  return gemm_call(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m,
                           int n, int k, const float *alpha, const float *A, int lda,
                           const float *B, int ldb, const float *beta, float *C, int ldc) {
  return gemm_call(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t cublasDgemv(cublasHandle_t h, cublasOperation_t t, int m, int n,
                           const double *alpha, const double *A, int lda, const double *x,
                           int incx, const double *beta, double *y, int incy) {
  return gemv_call(h, t, m, n, alpha, A, lda, x, incx, beta, y, incy);
}
cublasStatus_t cublasSgemv(cublasHandle_t h, cublasOperation_t t, int m, int n, const float *alpha,
                           const float *A, int lda, const float *x, int incx, const float *beta,
                           float *y, int incy) {
  return gemv_call(h, t, m, n, alpha, A, lda, x, incx, beta, y, incy);
}
cublasStatus_t cublasDsyrk(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t t, int n,
                           int k, const double *alpha, const double *A, int lda,
                           const double *beta, double *C, int ldc) {
  return syrk_call(h, uplo, t, n, k, alpha, A, lda, beta, C, ldc);
}
cublasStatus_t cublasSsyrk(cublasHandle_t h, cublasFillMode_t uplo, cublasOperation_t t, int n,
                           int k, const float *alpha, const float *A, int lda, const float *beta,
                           float *C, int ldc) {
  return syrk_call(h, uplo, t, n, k, alpha, A, lda, beta, C, ldc);
}

cusolverStatus_t cusolverDnCreate(cusolverDnHandle_t *h) {
  *h = nullptr;
  if (emu::fault(SGFBLO_EMU_FAULT_SOLVER)) return CUSOLVER_STATUS_ALLOC_FAILED;
  *h = new sgfblo_emu_solver();
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDestroy(cusolverDnHandle_t h) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  delete h;
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnSetStream(cusolverDnHandle_t h, cudaStream_t s) {
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDpotrf_bufferSize(cusolverDnHandle_t h, cublasFillMode_t uplo, int n,
                                             double *A, int lda, int *lwork) {
  (void)uplo, (void)n, (void)A, (void)lda;
  *lwork = 1;
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  return emu::fault(SGFBLO_EMU_FAULT_SOLVER) ? CUSOLVER_STATUS_EXECUTION_FAILED
                                             : CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnSpotrf_bufferSize(cusolverDnHandle_t h, cublasFillMode_t uplo, int n,
                                             float *A, int lda, int *lwork) {
  (void)uplo, (void)n, (void)A, (void)lda;
  *lwork = 1;
  if (!h) return CUSOLVER_STATUS_NOT_INITIALIZED;
  return emu::fault(SGFBLO_EMU_FAULT_SOLVER) ? CUSOLVER_STATUS_EXECUTION_FAILED
                                             : CUSOLVER_STATUS_SUCCESS;
}
cusolverStatus_t cusolverDnDpotrf(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, double *A,
                                  int lda, double *work, int lwork, int *info) {
  (void)work, (void)lwork;
  return potrf_call(h, uplo, n, A, lda, info);
}
cusolverStatus_t cusolverDnSpotrf(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, float *A,
                                  int lda, float *work, int lwork, int *info) {
  (void)work, (void)lwork;
  return potrf_call(h, uplo, n, A, lda, info);
}
cusolverStatus_t cusolverDnDpotrs(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, int nrhs,
                                  const double *A, int lda, double *B, int ldb, int *info) {
  return potrs_call(h, uplo, n, nrhs, A, lda, B, ldb, info);
}
cusolverStatus_t cusolverDnSpotrs(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, int nrhs,
                                  const float *A, int lda, float *B, int ldb, int *info) {
  return potrs_call(h, uplo, n, nrhs, A, lda, B, ldb, info);
}

}  // extern "C"
