/* Private to the hyper-cleaning problem: one name per BLAS routine and libm function it uses,
   mapped to the double or float variant by SGFBLO_USE_FLOAT, so the oracles are written once
   for sgfblo_real. (Not blas_real.h: a general mapping header may take that name.) */
#ifndef SGFBLO_PROBLEM_BLAS_HC_H
#define SGFBLO_PROBLEM_BLAS_HC_H

#include <cblas.h>
#include <math.h>

#include "sgfblo/sgfblo_config.h"

#ifdef SGFBLO_USE_FLOAT
#define SGFBLO_HC_GEMM cblas_sgemm
#define SGFBLO_HC_SYRK cblas_ssyrk
#define SGFBLO_HC_EXP expf
#define SGFBLO_HC_LOG logf
#define SGFBLO_HC_FABS fabsf
#define SGFBLO_HC_SQRT sqrtf
#else
#define SGFBLO_HC_GEMM cblas_dgemm
#define SGFBLO_HC_SYRK cblas_dsyrk
#define SGFBLO_HC_EXP exp
#define SGFBLO_HC_LOG log
#define SGFBLO_HC_FABS fabs
#define SGFBLO_HC_SQRT sqrt
#endif

#endif /* SGFBLO_PROBLEM_BLAS_HC_H */
