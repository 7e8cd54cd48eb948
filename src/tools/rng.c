#include "tools/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void sgfblo_rng_seed(sgfblo_rng *r, uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 4; ++i) r->s[i] = splitmix64(&x);
}

uint64_t sgfblo_rng_u64(sgfblo_rng *r) {
  uint64_t *s = r->s;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double sgfblo_rng_uniform(sgfblo_rng *r) {
  return (double)(sgfblo_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t sgfblo_rng_below(sgfblo_rng *r, uint64_t n) {
  /* Rejection sampling on the top of the range removes the modulo bias. */
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t v;
  do v = sgfblo_rng_u64(r);
  while (v >= limit);
  return v % n;
}

double sgfblo_rng_normal(sgfblo_rng *r) {
  double u1;
  do u1 = sgfblo_rng_uniform(r);
  while (u1 <= 0.0);
  const double u2 = sgfblo_rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}
