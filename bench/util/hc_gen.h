/* Generated hyper-cleaning instances for the benchmarks (the values do not change the work of
   one evaluation, only CG iteration counts, so they only need to be realistic and nonzero). */
#ifndef SGFBLO_BENCH_HC_GEN_H
#define SGFBLO_BENCH_HC_GEN_H

#include <stdint.h>

#include "floor.h"
#include "sgfblo/sgfblo_hyperclean.h"

/**
 * An instance of size z with lambda = 0.001: features uniform with variance 1/d (rows of
 * unit expected norm, the scale of PCA features of [0,1] pixels), training label i mod C,
 * 40% of them replaced by a random wrong class, validation label j mod C. The generator's
 * arrays are freed once the instance holds its copies (so creating one needs twice the data
 * for a moment). Its CUDA copy, once made, runs its products as `pass` asks. NULL on
 * failure, with a line on stderr.
 */
sgfblo_hyperclean *bench_hc_generate(const bench_size *z, uint64_t seed,
                                     sgfblo_hc_device_pass pass);

#endif /* SGFBLO_BENCH_HC_GEN_H */
