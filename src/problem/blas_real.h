/* CBLAS / LAPACKE names for sgfblo_real. The library's arithmetic is written once against
   SGFBLO_<ROUTINE>; this header maps each to its double (cblas_d*, LAPACKE_d*) or, under
   SGFBLO_USE_FLOAT, its float (cblas_s*, LAPACKE_s*) routine, so both precisions share one code
   path (STYLE.md §9). Private: public headers never include BLAS or LAPACK.

   The arguments are those of the underlying routine. BLAS and LAPACKE take int dimensions
   (blasint, lapack_int): check a dimension with SGFBLO_BLAS_DIM_OK before passing an int64_t. */
#ifndef SGFBLO_PROBLEM_BLAS_REAL_H
#define SGFBLO_PROBLEM_BLAS_REAL_H

#include <cblas.h>
#include <limits.h>
#include <lapacke.h>
#include <stdint.h>

#include "sgfblo/sgfblo_types.h"

/** 1 if an int64_t dimension fits the int that BLAS and LAPACKE take. */
#define SGFBLO_BLAS_DIM_OK(n) ((n) >= 0 && (int64_t)(n) <= (int64_t)INT_MAX)

#ifdef SGFBLO_USE_FLOAT
/* Level 1 */
#define SGFBLO_DOT cblas_sdot
#define SGFBLO_NRM2 cblas_snrm2
#define SGFBLO_AXPY cblas_saxpy
#define SGFBLO_SCAL cblas_sscal
#define SGFBLO_COPY cblas_scopy
/* Level 2 */
#define SGFBLO_GEMV cblas_sgemv
#define SGFBLO_SYMV cblas_ssymv
#define SGFBLO_GER cblas_sger
/* Level 3 */
#define SGFBLO_GEMM cblas_sgemm
#define SGFBLO_SYRK cblas_ssyrk
/* LAPACKE (high-level interface: allocates its own workspace) */
#define SGFBLO_POTRF LAPACKE_spotrf
#define SGFBLO_POTRS LAPACKE_spotrs
#define SGFBLO_GESV LAPACKE_sgesv
#define SGFBLO_GEQRF LAPACKE_sgeqrf
#define SGFBLO_ORGQR LAPACKE_sorgqr
#define SGFBLO_SYEV LAPACKE_ssyev
#else
/* Level 1 */
#define SGFBLO_DOT cblas_ddot
#define SGFBLO_NRM2 cblas_dnrm2
#define SGFBLO_AXPY cblas_daxpy
#define SGFBLO_SCAL cblas_dscal
#define SGFBLO_COPY cblas_dcopy
/* Level 2 */
#define SGFBLO_GEMV cblas_dgemv
#define SGFBLO_SYMV cblas_dsymv
#define SGFBLO_GER cblas_dger
/* Level 3 */
#define SGFBLO_GEMM cblas_dgemm
#define SGFBLO_SYRK cblas_dsyrk
/* LAPACKE (high-level interface: allocates its own workspace) */
#define SGFBLO_POTRF LAPACKE_dpotrf
#define SGFBLO_POTRS LAPACKE_dpotrs
#define SGFBLO_GESV LAPACKE_dgesv
#define SGFBLO_GEQRF LAPACKE_dgeqrf
#define SGFBLO_ORGQR LAPACKE_dorgqr
#define SGFBLO_SYEV LAPACKE_dsyev
#endif

#endif /* SGFBLO_PROBLEM_BLAS_REAL_H */
