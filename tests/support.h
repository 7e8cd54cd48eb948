/* Shared test helpers: type-dependent tolerances, seeded random vectors, the finite-
   difference check of every oracle of an sgfblo_problem (MATH.md asks that each formula be
   checked against central differences of the function values), scratch directories, and
   running the sgfblo tool as a subprocess. */
#ifndef SGFBLO_TESTS_SUPPORT_H
#define SGFBLO_TESTS_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "sgfblo/sgfblo.h"

#ifdef SGFBLO_USE_FLOAT
#define TEST_FD_STEP 1e-2
#define TEST_FD_TOL 2e-2
#define TEST_TIGHT_TOL 1e-4
#define TEST_CG_TOL 1e-5
#else
#define TEST_FD_STEP 1e-5
#define TEST_FD_TOL 1e-6
#define TEST_TIGHT_TOL 1e-10
#define TEST_CG_TOL 1e-13
#endif

/** Create a fresh directory "<SGFBLO_TEST_DATA_DIR>/<prefix>_XXXXXX" into dir (fails the test
    when it cannot). */
void test_temp_dir_make(char *dir, size_t len, const char *prefix);

/** Remove the files in dir, then dir itself (one level, as test_temp_dir_make made it). */
void test_temp_dir_remove(const char *dir);

/** "<dir>/<name>" in one of 16 static buffers used in turn (valid for 15 more calls). */
const char *test_path_in(const char *dir, const char *name);

/** The whole contents of a file, NUL-terminated (fails the test when it cannot be read);
    free() it. */
char *test_slurp(const char *path);

/** What a program run by test_run_tool did. */
typedef struct {
  int status; /**< exit status, or -1 if it did not exit normally */
  char *out;  /**< everything it wrote to stdout */
  char *err;  /**< everything it wrote to stderr */
} test_run_result;

/**
 * Run the executable exe with args (NULL-terminated, program name excluded; at most 78) in a
 * child process, its stdout and stderr going to dir/stdout.txt and dir/stderr.txt; path_env,
 * when not NULL, replaces PATH in the child. Fails the test when the program cannot be run.
 */
test_run_result test_run_tool(const char *exe, const char *dir, const char *path_env,
                              const char *const *args);

/** Free the captured output. */
void test_run_free(test_run_result *r);

/** Fill v[0..n) with scale * N(0,1) from the seed. */
void test_random_vector(sgfblo_real *v, int64_t n, uint64_t seed, double scale);

/** ||a - b||_2 / max(||b||_2, floor). */
double test_rel_err(const sgfblo_real *a, const sgfblo_real *b, int64_t n, double floor);

/** max_i |a_i|. */
double test_norm_inf(const sgfblo_real *a, int64_t n);
double test_norm2(const sgfblo_real *a, int64_t n);

/**
 * Check every oracle of p at (x, y) against central differences (gradients against values,
 * products against gradients, Jyx^T against Jyx by the adjoint identity, dense blocks against
 * products). Fails the current Criterion test with the relative error on a mismatch; prints
 * each relative error when verbose. tol: relative error allowed (TEST_FD_TOL is typical).
 */
void test_check_oracles(const sgfblo_problem *p, const sgfblo_real *x, const sgfblo_real *y,
                        uint64_t seed, double tol);

#endif /* SGFBLO_TESTS_SUPPORT_H */
