/* Seeded pseudo-random numbers (xoshiro256**, seeded by splitmix64): identical streams on
   every platform, so a seed names one problem instance, one split, one corruption. */
#ifndef SGFBLO_TOOLS_RNG_H
#define SGFBLO_TOOLS_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} sgfblo_rng;

void sgfblo_rng_seed(sgfblo_rng *r, uint64_t seed);
uint64_t sgfblo_rng_u64(sgfblo_rng *r);
/** Uniform in [0, 1). */
double sgfblo_rng_uniform(sgfblo_rng *r);
/** Uniform integer in [0, n), n >= 1, without modulo bias. */
uint64_t sgfblo_rng_below(sgfblo_rng *r, uint64_t n);
/** Standard normal (Box-Muller). */
double sgfblo_rng_normal(sgfblo_rng *r);

#endif /* SGFBLO_TOOLS_RNG_H */
