/* Seeded label corruption of a training split, by sample or by class (MATH.md, Problem 2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "sgfblo/sgfblo_data.h"
#include "tools/rng.h"

void sgfblo_corruption_free(sgfblo_corruption *c) {
  if (!c) return;
  free(c->clean);
  free(c->noisy);
  free(c->mask);
  memset(c, 0, sizeof *c);
}

/* A label drawn uniformly from [0, C) without `truth` (C >= 2). */
static int32_t wrong_label(sgfblo_rng *rng, int32_t truth, int64_t C) {
  int32_t v = (int32_t)sgfblo_rng_below(rng, (uint64_t)(C - 1));
  return v >= truth ? v + 1 : v;
}

/* The first k entries of a seeded uniform random permutation of 0..n-1 (partial Fisher-Yates):
   k distinct indices, uniformly without replacement. idx must hold n entries. */
static void choose(sgfblo_rng *rng, int64_t *idx, int64_t n, int64_t k) {
  for (int64_t i = 0; i < n; ++i) idx[i] = i;
  for (int64_t i = 0; i < k; ++i) {
    const int64_t j = i + (int64_t)sgfblo_rng_below(rng, (uint64_t)(n - i));
    const int64_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
}

sgfblo_status sgfblo_corrupt_labels(const int32_t *labels, int64_t n, int64_t num_classes, double p,
                                    sgfblo_corrupt_mode mode, uint64_t seed, sgfblo_corruption *out,
                                    sgfblo_errmsg *err) {
  sgfblo_status st = SGFBLO_OK;
  sgfblo_corruption c;
  int64_t *idx = NULL;
  int32_t *class_to = NULL;
  memset(&c, 0, sizeof c);
  sgfblo_err_clear(err);
  if (out) memset(out, 0, sizeof *out);
  if (!labels || !out)
    SGFBLO_FAIL(err, SGFBLO_ERR_NULL_ARG, "corrupt_labels: labels and out are required");
  if (n < 1)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "corrupt_labels: n must be >= 1 (got %lld)",
                (long long)n);
  if (num_classes < 1 || num_classes > INT32_MAX)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "corrupt_labels: num_classes must be in 1..%d (got %lld)", INT32_MAX,
                (long long)num_classes);
  if (!(p >= 0.0 && p <= 1.0))
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "corrupt_labels: p must be in [0, 1] (got %g)", p);
  if (mode != SGFBLO_CORRUPT_SAMPLE && mode != SGFBLO_CORRUPT_CLASS)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG, "corrupt_labels: unknown mode %d", (int)mode);
  for (int64_t i = 0; i < n; ++i)
    if (labels[i] < 0 || labels[i] >= num_classes)
      SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                  "corrupt_labels: label %d at index %lld is outside [0, %lld)", (int)labels[i],
                  (long long)i, (long long)num_classes);
  const int64_t pool = mode == SGFBLO_CORRUPT_SAMPLE ? n : num_classes;
  const int64_t k = (int64_t)round(p * (double)pool);
  if (k > 0 && num_classes < 2)
    SGFBLO_FAIL(err, SGFBLO_ERR_INVALID_ARG,
                "corrupt_labels: a wrong label needs num_classes >= 2 (got %lld)",
                (long long)num_classes);

  c.n = n;
  c.clean = malloc(sizeof *c.clean * (size_t)n);
  c.noisy = malloc(sizeof *c.noisy * (size_t)n);
  c.mask = calloc((size_t)n, sizeof *c.mask);
  idx = malloc(sizeof *idx * (size_t)pool);
  if (!c.clean || !c.noisy || !c.mask || !idx)
    SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "corrupt_labels: cannot allocate for %lld labels",
                (long long)n);
  memcpy(c.clean, labels, sizeof *c.clean * (size_t)n);
  memcpy(c.noisy, labels, sizeof *c.noisy * (size_t)n);

  sgfblo_rng rng;
  sgfblo_rng_seed(&rng, seed);
  choose(&rng, idx, pool, k);
  if (mode == SGFBLO_CORRUPT_SAMPLE) {
    for (int64_t t = 0; t < k; ++t) {
      const int64_t i = idx[t];
      c.noisy[i] = wrong_label(&rng, labels[i], num_classes);
      c.mask[i] = 1;
    }
  } else {
    /* class_to[j] = the wrong label of class j, or -1 when class j is kept. */
    class_to = malloc(sizeof *class_to * (size_t)num_classes);
    if (!class_to) SGFBLO_FAIL(err, SGFBLO_ERR_ALLOC, "corrupt_labels: cannot allocate");
    for (int64_t j = 0; j < num_classes; ++j) class_to[j] = -1;
    for (int64_t t = 0; t < k; ++t)
      class_to[idx[t]] = wrong_label(&rng, (int32_t)idx[t], num_classes);
    for (int64_t i = 0; i < n; ++i)
      if (class_to[labels[i]] >= 0) {
        c.noisy[i] = class_to[labels[i]];
        c.mask[i] = 1;
      }
    c.num_classes_corrupted = k;
  }
  for (int64_t i = 0; i < n; ++i) c.num_corrupted += c.mask[i];
  *out = c;
  memset(&c, 0, sizeof c);

cleanup:
  free(idx);
  free(class_to);
  sgfblo_corruption_free(&c);
  return st;
}
