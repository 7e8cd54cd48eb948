/* CBLAS / LAPACKE / libm names for sgfblo_real: SGFBLO_CBLAS(gemm) is cblas_dgemm, or
   cblas_sgemm under SGFBLO_USE_FLOAT, so both precisions share one code path (STYLE.md §9).
   Private: public headers never include BLAS or LAPACK.

   BLAS and LAPACKE take int dimensions: check an int64_t with SGFBLO_BLAS_DIM_OK first.
   (OpenBLAS's cblas.h pulls in <complex.h>, which defines the macro I: avoid that name.) */
#ifndef SGFBLO_CORE_BLAS_REAL_H
#define SGFBLO_CORE_BLAS_REAL_H

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>

#include "sgfblo/sgfblo_types.h"

/** 1 if an int64_t dimension fits the int that BLAS and LAPACKE take. */
#define SGFBLO_BLAS_DIM_OK(n) ((n) >= 0 && (int64_t)(n) <= (int64_t)INT_MAX)

#ifdef SGFBLO_USE_FLOAT
#define SGFBLO_CBLAS(name) cblas_s##name
#define SGFBLO_LAPACKE(name) LAPACKE_s##name
#define SGFBLO_EXP expf
#define SGFBLO_LOG logf
#define SGFBLO_FABS fabsf
#define SGFBLO_SQRT sqrtf
#else
#define SGFBLO_CBLAS(name) cblas_d##name
#define SGFBLO_LAPACKE(name) LAPACKE_d##name
#define SGFBLO_EXP exp
#define SGFBLO_LOG log
#define SGFBLO_FABS fabs
#define SGFBLO_SQRT sqrt
#endif

#endif /* SGFBLO_CORE_BLAS_REAL_H */
