// Kernels of the synthetic problem (MATH.md Problem 1) on the device: the parts of f and
// grad f that are not matrix-vector products (those go through cuBLAS in
// src/problem/synthetic_cuda.c). One block each: n is the problem size of a dense n x n H, so
// the two reductions over n entries are small next to one product with H.
#include <cuda_runtime.h>
#include <math.h>

#include "kernels.h"
#include "launch.cuh"

// s = c'x + d'y and uu = ||x + y||^2 over the block; every thread gets both.
static __device__ void synth_scalars(int64_t n, const sgfblo_real *c, const sgfblo_real *d,
                                     const sgfblo_real *x, const sgfblo_real *y, double *s,
                                     double *uu) {
  __shared__ double sh_s[kThreads], sh_u[kThreads];
  double as = 0.0, au = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    as += (double)c[i] * (double)x[i] + (double)d[i] * (double)y[i];
    const double u = (double)x[i] + (double)y[i];
    au += u * u;
  }
  sh_s[threadIdx.x] = as;
  sh_u[threadIdx.x] = au;
  __syncthreads();
  for (int k = kThreads / 2; k > 0; k >>= 1) {
    if ((int)threadIdx.x < k) {
      sh_s[threadIdx.x] += sh_s[threadIdx.x + k];
      sh_u[threadIdx.x] += sh_u[threadIdx.x + k];
    }
    __syncthreads();
  }
  *s = sh_s[0];
  *uu = sh_u[0];
}

static __global__ void k_synth_grad_f(int64_t n, const sgfblo_real *c, const sgfblo_real *d,
                                      const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                                      sgfblo_real *gy) {
  double s, uu;
  synth_scalars(n, c, d, x, y, &s, &uu);
  const double cs = cos(s), q = 2.0 / (uu + 1.0);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const double u = q * ((double)x[i] + (double)y[i]);
    if (gx) gx[i] = (sgfblo_real)(cs * (double)c[i] + u);
    if (gy) gy[i] = (sgfblo_real)(cs * (double)d[i] + u);
  }
}

static __global__ void k_synth_f_val(int64_t n, const sgfblo_real *c, const sgfblo_real *d,
                                     const sgfblo_real *x, const sgfblo_real *y, double *out) {
  double s, uu;
  synth_scalars(n, c, d, x, y, &s, &uu);
  if (threadIdx.x == 0) out[0] = sin(s) + log1p(uu);
}

extern "C" int sgfblo_cuda_synth_grad_f(int64_t n, const sgfblo_real *c, const sgfblo_real *d,
                                        const sgfblo_real *x, const sgfblo_real *y, sgfblo_real *gx,
                                        sgfblo_real *gy, void *stream) {
  if (n <= 0 || (!gx && !gy)) return 0;
  SGFBLO_LAUNCH_SYNC(1, kThreads, 0, as_stream(stream), k_synth_grad_f)(n, c, d, x, y, gx, gy);
  return (int)cudaGetLastError();
}

extern "C" int sgfblo_cuda_synth_f_val(int64_t n, const sgfblo_real *c, const sgfblo_real *d,
                                       const sgfblo_real *x, const sgfblo_real *y, double *d_out,
                                       void *stream) {
  SGFBLO_LAUNCH_SYNC(1, kThreads, 0, as_stream(stream), k_synth_f_val)(n, c, d, x, y, d_out);
  return (int)cudaGetLastError();
}
