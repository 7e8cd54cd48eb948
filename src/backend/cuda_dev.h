/* Private, CUDA-header-free entry points into the CUDA backend (cuda.c) for the code that
   does device work outside the ops table: the built-in problems' device callbacks
   (src/problem/ *_cuda.c), backend selection (select.c) and the tests.

   cuda.c is the only C file that includes CUDA headers (STYLE.md §1), and every cuBLAS and
   cuSOLVER call sits there behind its one S/D macro (§9); these wrappers are how the rest of
   the library reaches them. Streams and handles travel as void*. Compiled only when
   SGFBLO_HAVE_CUDA.

   Two kinds of wrapper: setup-time ones (allocate, upload, create handles) return a status
   with a message; evaluation-time ones (products, async copies) are what callbacks use and
   return 0 or a nonzero code, since a callback reports failure by its return value. */
#ifndef SGFBLO_BACKEND_CUDA_DEV_H
#define SGFBLO_BACKEND_CUDA_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

/* ------------------------------------------------------------ selection -- */

/** Number of usable CUDA devices: 0 when cudaGetDeviceCount fails (no driver, no device);
    the failure is cleared with cudaGetLastError so it does not stick to later calls. */
int sgfblo_cuda_device_count(void);

/** Open the CUDA backend on device_id: set the device, create the stream, the cuBLAS and
    cuSOLVER handles and the reduction scratch (all in b->impl, stream in b->stream).
    @return SGFBLO_OK, SGFBLO_ERR_NO_BACKEND (no device / ordinal out of range),
            SGFBLO_ERR_CUDA, SGFBLO_ERR_ALLOC */
sgfblo_status sgfblo_cuda_open(int device_id, const sgfblo_ops **ops, sgfblo_bctx *b);

/** "NAME (compute M.m, X GiB)" of device_id into buf, or why it is not usable.
    @return SGFBLO_OK, SGFBLO_ERR_NO_BACKEND */
sgfblo_status sgfblo_cuda_describe(int device_id, char *buf, size_t len);

/* ----------------------------------------------------- setup-time helpers -- */

/** Make device_id current for the calling thread. */
sgfblo_status sgfblo_cuda_set_device(int device_id, sgfblo_errmsg *err);
/** cudaMalloc of bytes (at least 1), zero-filled. */
sgfblo_status sgfblo_cuda_malloc(void **p, size_t bytes, sgfblo_errmsg *err);
/** cudaMalloc of bytes (at least 1), contents undefined: no memset, no synchronisation, for
    a workspace that is written before it is read and allocated while a stream has work. */
sgfblo_status sgfblo_cuda_malloc_uninit(void **p, size_t bytes, sgfblo_errmsg *err);
/** cudaFree; NULL-safe, errors ignored (teardown). */
void sgfblo_cuda_free(void *p);
/** Free device memory of the current device (cudaMemGetInfo), in bytes. */
sgfblo_status sgfblo_cuda_mem_free(size_t *free_bytes, sgfblo_errmsg *err);
/** Synchronous host -> device copy. */
sgfblo_status sgfblo_cuda_upload(void *dst, const void *src, size_t bytes, sgfblo_errmsg *err);
/** Synchronous device -> device copy (waits until the copy is done, so the source may be
    freed or overwritten as soon as it returns). */
sgfblo_status sgfblo_cuda_copy_d2d(void *dst, const void *src, size_t bytes, sgfblo_errmsg *err);
/** Check that p (an array of `bytes` bytes the caller calls `name`, of shape `shape`, e.g.
    "N x d") is device memory on device_id (or managed memory) and that its allocation holds
    `bytes` bytes from p on. The size is asked of the driver (cuMemGetAddressRange through
    cudaGetDriverEntryPointByVersion); when it cannot tell, the array is refused.
    @return SGFBLO_OK; SGFBLO_ERR_INVALID_ARG ("<name> (<p>) is host memory, not device memory
            on CUDA device <id> ...", "... on CUDA device <k>, not on device_id <id>",
            "<name>: the allocation holds X bytes, <shape> needs Y"); SGFBLO_ERR_CUDA (a
            failed query, or a driver that cannot tell the allocation's size) */
sgfblo_status sgfblo_cuda_check_device_array(const void *p, size_t bytes, int device_id,
                                             const char *name, const char *shape,
                                             sgfblo_errmsg *err);
/** A cuBLAS handle of its own for a problem's device data (host pointer mode), with a
    workspace of its own so that calls recorded into a step graph never allocate. It is bound
    to a stream by the first *_on call and rebound only when the stream changes. */
sgfblo_status sgfblo_cuda_blas_create(void **handle, sgfblo_errmsg *err);
void sgfblo_cuda_blas_destroy(void *handle);

/* -------------------------------------------------- evaluation-time helpers -- */
/* Enqueue on `stream` only; no allocation. Return 0 on success, else nonzero: the cudaError_t,
   or SGFBLO_CUDA_BLAS_CODE + the cublasStatus_t of the *_on wrappers (so that one code names
   its failure either way). Matrices column-major; dimensions must fit an int. */
#define SGFBLO_CUDA_BLAS_CODE 100000

/** C (m x k) = alpha op(A) op(B) + beta C on `stream` with `handle`. */
int sgfblo_cuda_gemm_on(void *handle, void *stream, int transa, int transb, int64_t m, int64_t k,
                        int64_t inner, double alpha, const sgfblo_real *A, int64_t lda,
                        const sgfblo_real *B, int64_t ldb, double beta, sgfblo_real *C,
                        int64_t ldc);
/** y = alpha op(A) x + beta y, A rows x cols. */
int sgfblo_cuda_gemv_on(void *handle, void *stream, int trans, int64_t rows, int64_t cols,
                        double alpha, const sgfblo_real *A, int64_t lda, const sgfblo_real *x,
                        double beta, sgfblo_real *y);
/** Lower triangle of C (n x n) = alpha A A' + beta C, A n x k. */
int sgfblo_cuda_syrk_on(void *handle, void *stream, int64_t n, int64_t k, double alpha,
                        const sgfblo_real *A, int64_t lda, double beta, sgfblo_real *C,
                        int64_t ldc);
/** Device -> device copy of bytes on stream. */
int sgfblo_cuda_copy_async(void *dst, const void *src, size_t bytes, void *stream);
/** 2-D device copy: height rows of width bytes, pitches in bytes. */
int sgfblo_cuda_copy2d_async(void *dst, size_t dpitch, const void *src, size_t spitch, size_t width,
                             size_t height, void *stream);
/** Zero bytes on stream. */
int sgfblo_cuda_zero_async(void *dst, size_t bytes, void *stream);
/** Device -> host copy then stream synchronisation: only for the value callbacks, whose
    result is a host scalar. */
int sgfblo_cuda_read_sync(void *dst_host, const void *src, size_t bytes, void *stream);

/** Text and name ("cudaErrorIllegalAddress", "CUBLAS_STATUS_EXECUTION_FAILED") of a nonzero
    helper / launcher return value. */
const char *sgfblo_cuda_error_string(int code);
const char *sgfblo_cuda_error_name(int code);
/** 1 when such a value says memory ran out (cudaErrorMemoryAllocation,
    CUBLAS_STATUS_ALLOC_FAILED). */
int sgfblo_cuda_error_is_oom(int code);

#endif /* SGFBLO_BACKEND_CUDA_DEV_H */
