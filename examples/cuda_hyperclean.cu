/* A CUDA application that keeps its data on the GPU and links sgfblo: it makes a small
   hyper-cleaning data set in device memory (a kernel, no host copy of the features), hands
   sgfblo the device pointers (validated on the device and copied once, so they could be freed
   right after create), and cleans it with RXGF on the CUDA backend. The state stays on the
   device until the final read of the weights.

   Built only with the CUDA backend. Without a usable GPU it says so and exits 77, which ctest
   reports as skipped; 0 on success, 1 on a failure (with the library's message). */
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sgfblo/sgfblo.h"
#include "sgfblo/sgfblo_hyperclean.h"

#define EXIT_SKIP 77

static const int64_t kN = 2000, kNv = 500, kD = 16, kC = 4;

/* A 32-bit integer hash (lowbias32), the data's only source of randomness. */
__device__ static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

__device__ static float unit(uint32_t key) { return (float)(mix(key) >> 8) * (1.0f / 16777216.0f); }

/* Row i: class c = i mod C, features e_c-like means (1 on the features j with j mod C = c)
   plus uniform noise in [-1, 1); with flip_rate, the label is replaced by the next class and
   flipped[i] = 1. */
__global__ static void make_rows(int64_t rows, int64_t d, int64_t C, uint32_t seed,
                                 float flip_rate, sgfblo_real *A, int32_t *labels,
                                 int32_t *flipped) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < rows;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t c = i % C;
    for (int64_t j = 0; j < d; ++j) {
      const float noise = 2.0f * unit(seed ^ (uint32_t)(i * d + j) * 2654435761U) - 1.0f;
      A[i * d + j] = (sgfblo_real)((j % C == c ? 1.0f : 0.0f) + noise);
    }
    const int flip = unit(seed * 7919U + (uint32_t)i) < flip_rate;
    labels[i] = (int32_t)(flip ? (c + 1) % C : c);
    if (flipped) flipped[i] = flip;
  }
}

#define CUDA_OK(call)                                                                   \
  do {                                                                                  \
    const cudaError_t e_ = (call);                                                      \
    if (e_ != cudaSuccess) {                                                            \
      fprintf(stderr, "%s failed: %s\n", #call, cudaGetErrorString(e_));                \
      return 1;                                                                         \
    }                                                                                   \
  } while (0)

int main(void) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices < 1) {
    printf("cuda_hyperclean: no CUDA device here, nothing to run\n");
    return EXIT_SKIP;
  }
  char name[256];
  if (sgfblo_backend_describe(SGFBLO_BACKEND_CUDA, 0, name, sizeof name) == SGFBLO_OK)
    printf("running on %s\n", name);

  /* The application's data, made and kept on device 0. */
  sgfblo_real *A = NULL, *Av = NULL;
  int32_t *b = NULL, *bv = NULL, *flipped = NULL;
  CUDA_OK(cudaSetDevice(0));
  CUDA_OK(cudaMalloc((void **)&A, sizeof *A * (size_t)(kN * kD)));
  CUDA_OK(cudaMalloc((void **)&Av, sizeof *Av * (size_t)(kNv * kD)));
  CUDA_OK(cudaMalloc((void **)&b, sizeof *b * (size_t)kN));
  CUDA_OK(cudaMalloc((void **)&bv, sizeof *bv * (size_t)kNv));
  CUDA_OK(cudaMalloc((void **)&flipped, sizeof *flipped * (size_t)kN));
  make_rows<<<32, 256>>>(kN, kD, kC, 12345U, 0.3f, A, b, flipped);
  make_rows<<<8, 256>>>(kNv, kD, kC, 777U, 0.0f, Av, bv, NULL); /* a clean validation set */
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());

  sgfblo_hyperclean_data data = {};
  data.N = kN;
  data.Nv = kNv;
  data.d = kD;
  data.C = kC;
  data.A = A;
  data.labels = b;
  data.Av = Av;
  data.val_labels = bv;
  data.lambda = 0.001;
  data.mem = SGFBLO_MEM_DEVICE; /* device pointers, on device_id */
  data.device_id = 0;
  sgfblo_errmsg err = {};
  sgfblo_hyperclean *hc = NULL;
  sgfblo_status st = sgfblo_hyperclean_create(&data, &hc, &err);
  /* sgfblo holds its own copy now: the application's feature arrays may go. */
  cudaFree(A);
  cudaFree(Av);
  cudaFree(b);
  cudaFree(bv);

  sgfblo_problem p;
  sgfblo_settings set;
  sgfblo_settings_default(&set);
  set.method = SGFBLO_METHOD_RXGF;
  set.backend = SGFBLO_BACKEND_CUDA;
  set.device_id = 0;
  set.alpha = 0.1;
  set.epsilon = 0.1;
  set.dt = 1.0;
  set.t_final = 100.0;
  set.init_lower = 1; /* start from y*(0) */
  sgfblo_solver *s = NULL;
  sgfblo_info info;
  sgfblo_real *x = (sgfblo_real *)malloc(sizeof *x * (size_t)kN);
  int32_t *flip_host = (int32_t *)malloc(sizeof *flip_host * (size_t)kN);
  if (!x || !flip_host) st = SGFBLO_ERR_ALLOC;
  if (st == SGFBLO_OK) st = sgfblo_hyperclean_problem(hc, &p);
  if (st == SGFBLO_OK) st = sgfblo_solver_create(&s);
  if (st == SGFBLO_OK) st = sgfblo_solver_setup(s, &p, &set);
  if (st == SGFBLO_OK) st = sgfblo_solver_solve(s);
  if (st == SGFBLO_OK) st = sgfblo_solver_get_info(s, &info);
  if (st == SGFBLO_OK) st = sgfblo_solver_get_state(s, x, NULL);
  int rc = 0;
  if (st != SGFBLO_OK) {
    fprintf(stderr, "%s: %s\n", sgfblo_status_string(st),
            s && sgfblo_solver_last_error(s)[0] ? sgfblo_solver_last_error(s) : err.msg);
    rc = 1;
  } else if (cudaMemcpy(flip_host, flipped, sizeof *flip_host * (size_t)kN,
                        cudaMemcpyDeviceToHost) != cudaSuccess) {
    fprintf(stderr, "reading the flip mask back failed\n");
    rc = 1;
  } else {
    /* A sample is flagged when its weight sigma(x_i) < 1/2, i.e. x_i < 0. */
    int64_t flagged = 0, hit = 0, wrong = 0;
    for (int64_t i = 0; i < kN; ++i) {
      flagged += x[i] < 0;
      hit += x[i] < 0 && flip_host[i];
      wrong += flip_host[i];
    }
    printf("RXGF on the device: %s at t = %g after %lld steps (%lld replayed from a CUDA Graph)\n",
           sgfblo_exit_flag_name(info.exit_flag), info.last.t, (long long)info.last.step,
           (long long)info.n_graph_steps);
    printf("validation loss %.4f, ||grad_y g|| = %.3e; flagged %lld of %lld samples, %lld of "
           "the %lld mislabelled (precision %.3f, recall %.3f)\n",
           info.last.f, info.last.grad_g_norm, (long long)flagged, (long long)kN, (long long)hit,
           (long long)wrong, flagged ? (double)hit / (double)flagged : 0.0,
           wrong ? (double)hit / (double)wrong : 0.0);
  }
  sgfblo_solver_destroy(s);
  sgfblo_hyperclean_destroy(hc);
  cudaFree(flipped);
  free(x);
  free(flip_host);
  return rc;
}
