/* Private: CBLAS / LAPACKE routines for sgfblo_real, so one code path serves the double and
   the float (SGFBLO_USE_FLOAT) builds. Only host code under src/ includes this. */
#ifndef SGFBLO_TOOLS_BLAS_REAL_H
#define SGFBLO_TOOLS_BLAS_REAL_H

#include <cblas.h>
#include <lapacke.h>

#include "sgfblo/sgfblo_types.h"

#ifdef SGFBLO_USE_FLOAT
#define SGFBLO_CBLAS(name) cblas_s##name     /**< cblas_sgemm, cblas_ssyrk, ... */
#define SGFBLO_LAPACKE(name) LAPACKE_s##name /**< LAPACKE_ssyevd, ... */
#else
#define SGFBLO_CBLAS(name) cblas_d##name     /**< cblas_dgemm, cblas_dsyrk, ... */
#define SGFBLO_LAPACKE(name) LAPACKE_d##name /**< LAPACKE_dsyevd, ... */
#endif

#endif /* SGFBLO_TOOLS_BLAS_REAL_H */
