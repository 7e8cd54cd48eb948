/* CBLAS/LAPACKE names for sgfblo_real: one mapping, so float and double builds share code. */
#ifndef SGFBLO_BACKEND_BLAS_REAL_H
#define SGFBLO_BACKEND_BLAS_REAL_H

#include <cblas.h>
#include <lapacke.h>

#include "sgfblo/sgfblo_types.h"

#ifdef SGFBLO_USE_FLOAT
#define SGFBLO_CBLAS(name) cblas_s##name
#define SGFBLO_LAPACKE(name) LAPACKE_s##name
#else
#define SGFBLO_CBLAS(name) cblas_d##name
#define SGFBLO_LAPACKE(name) LAPACKE_d##name
#endif

#endif /* SGFBLO_BACKEND_BLAS_REAL_H */
