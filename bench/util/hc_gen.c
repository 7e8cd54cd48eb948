#include "hc_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/rng.h"

/* Uniform in [-a, a) from the top 53 bits. */
static sgfblo_real uniform(sgfblo_rng *r, double a) {
  return (sgfblo_real)(a * (2.0 * ((double)(sgfblo_rng_u64(r) >> 11) * 0x1.0p-53) - 1.0));
}

sgfblo_hyperclean *bench_hc_generate(const bench_size *z, uint64_t seed,
                                     sgfblo_hc_device_pass pass) {
  const int64_t N = z->N, Nv = z->Nv, d = z->d, C = z->C;
  const double a = sqrt(3.0 / (double)d); /* variance a^2 / 3 = 1 / d */
  sgfblo_hyperclean *hc = NULL;
  sgfblo_real *A = malloc(sizeof *A * (size_t)(N * d)), *Av = malloc(sizeof *Av * (size_t)(Nv * d));
  int32_t *b = malloc(sizeof *b * (size_t)N), *bv = malloc(sizeof *bv * (size_t)Nv);
  if (!A || !Av || !b || !bv) {
    fprintf(stderr, "bench: out of memory generating N = %lld, d = %lld\n", (long long)N, (long long)d);
    goto cleanup;
  }
  sgfblo_rng r;
  sgfblo_rng_seed(&r, seed);
  for (int64_t i = 0; i < N * d; ++i) A[i] = uniform(&r, a);
  for (int64_t i = 0; i < Nv * d; ++i) Av[i] = uniform(&r, a);
  for (int64_t i = 0; i < N; ++i) {
    b[i] = (int32_t)(i % C);
    if (sgfblo_rng_uniform(&r) < 0.4)
      b[i] = (int32_t)((b[i] + 1 + (int64_t)sgfblo_rng_below(&r, (uint64_t)(C - 1))) % C);
  }
  for (int64_t j = 0; j < Nv; ++j) bv[j] = (int32_t)(j % C);
  const sgfblo_hyperclean_data data = {.N = N,
                                       .Nv = Nv,
                                       .d = d,
                                       .C = C,
                                       .A = A,
                                       .labels = b,
                                       .Av = Av,
                                       .val_labels = bv,
                                       .lambda = 0.001,
                                       .device_pass = pass};
  sgfblo_errmsg err;
  if (sgfblo_hyperclean_create(&data, &hc, &err) != SGFBLO_OK)
    fprintf(stderr, "bench: %s\n", err.msg);
cleanup:
  free(A);
  free(Av);
  free(b);
  free(bv);
  return hc;
}
