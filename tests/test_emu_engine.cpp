/* The kernel engine of the host emulation (emu/src/engine.cpp) shows what a GPU would make of
   three kernel defects, so that the emulated CUDA tests can fail on them: shared memory read
   before it is written (dynamic and static shared memory start as NaN bytes in every block),
   a thread reading another thread's write with no barrier between (the threads of a block,
   and the blocks of a grid, run in an order that alternates from launch to launch and from
   one barrier to the next), and a barrier not every thread of the block reaches (the launch
   fails). Each test runs a kernel with the defect and checks that it shows, and the same
   kernel without it, which must not. Built and run in every build, as
   tests/test_kernels_emulated.cpp. */
#include <criterion/criterion.h>

#include <cmath>
#include <vector>

#include "cuda_runtime.h" /* emu/include: the emulation's, first on the include path */

static const unsigned THREADS = 64;

/* x[t] = x[t + 1] in place, t < n - 1. Racy: forwards every thread reads the old x[t + 1],
   backwards the one its neighbour has just written. With the barrier, each thread reads
   first, all wait, then all write: the old x[t + 1] whatever the order. */
static void shift_left(double *x, bool barrier) {
  const unsigned t = threadIdx.x, n = blockDim.x;
  const double next = t + 1 < n ? x[t + 1] : x[t];
  if (barrier) __syncthreads();
  x[t] = next;
}

static std::vector<double> iota(unsigned n) {
  std::vector<double> x(n);
  for (unsigned i = 0; i < n; ++i) x[i] = i;
  return x;
}

/* Runs shift_left on 0, 1, ..., THREADS - 1 in one block, sync (fibers) or not. */
static std::vector<double> shifted(bool sync, bool barrier) {
  std::vector<double> x = iota(THREADS);
  cr_assert_eq(
      emu::run_grid(dim3(1), dim3(THREADS), 0, sync, [&] { shift_left(x.data(), barrier); }),
      cudaSuccess);
  return x;
}

/* Whether x is the correct shift of 0, 1, ..., n - 1. */
static bool shifted_right(const std::vector<double> &x) {
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] != (double)(i + 1 < x.size() ? i + 1 : i)) return false;
  return true;
}

Test(emu_engine, a_read_without_barrier_shows_in_one_of_two_launches) {
  for (int sync = 0; sync <= 1; ++sync) {
    int wrong = 0;
    for (int launch = 0; launch < 2; ++launch) wrong += !shifted_right(shifted(sync, false));
    cr_expect_eq(wrong, 1,
                 "%s launches: %d of 2 racy shifts wrong (one order hides the race, "
                 "the other shows it)",
                 sync ? "fiber" : "sequential", wrong);
  }
}

Test(emu_engine, the_same_read_after_a_barrier_is_right_in_every_order) {
  for (int launch = 0; launch < 4; ++launch)
    cr_expect(shifted_right(shifted(true, true)), "launch %d: shift with barrier wrong", launch);
}

/* The same race in every round between barriers: a loop of shifts, each read and write
   separated by barriers from the next iteration but not from each other. With the rounds'
   orders alternating, some iteration reads too early. */
static void shift_rounds(double *x, int rounds, bool race) {
  const unsigned t = threadIdx.x, n = blockDim.x;
  for (int r = 0; r < rounds; ++r) {
    const double next = t + 1 < n ? x[t + 1] : x[t];
    if (!race) __syncthreads();
    x[t] = next;
    __syncthreads();
  }
}

Test(emu_engine, rounds_between_barriers_alternate_their_order) {
  for (int race = 0; race <= 1; ++race) {
    std::vector<double> x = iota(THREADS);
    cr_assert_eq(
        emu::run_grid(dim3(1), dim3(THREADS), 0, true, [&] { shift_rounds(x.data(), 4, race); }),
        cudaSuccess);
    bool right = true; /* four shifts: x[i] = min(i + 4, n - 1) */
    for (unsigned i = 0; i < THREADS; ++i)
      right = right && x[i] == (double)(i + 4 < THREADS ? i + 4 : THREADS - 1);
    cr_expect_eq(right, !race, "%s: four shifts %s", race ? "racy" : "with barriers",
                 right ? "right" : "wrong");
  }
}

/* Block g reads the value block g + 1 writes, in one launch: no order between blocks exists on
   a GPU. Over four launches both block orders run. */
Test(emu_engine, blocks_run_in_both_orders) {
  const unsigned G = 8;
  int wrong = 0;
  for (int launch = 0; launch < 4; ++launch) {
    std::vector<double> x = iota(G);
    cr_assert_eq(emu::run_grid(dim3(G), dim3(1), 0, false,
                               [&] {
                                 const unsigned g = blockIdx.x;
                                 if (g + 1 < G) x[g] = x[g + 1];
                               }),
                 cudaSuccess);
    wrong += !shifted_right(x);
  }
  cr_expect_eq(wrong, 2, "%d of 4 launches with a race between blocks wrong", wrong);
}

Test(emu_engine, shared_memory_starts_as_nan_in_every_block) {
  const unsigned G = 3;
  const size_t smem = THREADS * sizeof(double);
  std::vector<int> unwritten_nan(G * THREADS, 0);
  std::vector<double> written(G * THREADS, 0);
  cr_assert_eq(emu::run_grid(dim3(G), dim3(THREADS), smem, true,
                             [&] {
                               double *s = reinterpret_cast<double *>(emu::dynamic_smem());
                               const unsigned t = threadIdx.x, i = blockIdx.x * THREADS + t;
                               unwritten_nan[i] = std::isnan(s[t]);
                               s[t] = t; /* the next block must not see this */
                               __syncthreads();
                               written[i] = s[THREADS - 1 - t];
                             }),
               cudaSuccess);
  for (unsigned i = 0; i < G * THREADS; ++i) {
    cr_expect(unwritten_nan[i], "block %u thread %u: unwritten shared memory not NaN", i / THREADS,
              i % THREADS);
    cr_expect_eq(written[i], (double)(THREADS - 1 - i % THREADS), "block %u thread %u", i / THREADS,
                 i % THREADS);
  }
}

/* Thread 0 of each block reads a __shared__ variable before writing it, as a kernel that
   forgot to initialise it would. */
static void read_then_write_static(double *seen, double *after) {
  __shared__ double v;
  if (threadIdx.x == 0) {
    seen[blockIdx.x] = v;
    v = blockIdx.x;
  }
  __syncthreads();
  after[blockIdx.x * blockDim.x + threadIdx.x] = v;
}

Test(emu_engine, static_shared_variables_start_as_nan_in_every_block) {
  const unsigned G = 3, T = 32;
  std::vector<double> seen(G, 0), after(G * T, 0);
  for (int launch = 0; launch < 2; ++launch) {
    cr_assert_eq(emu::run_grid(dim3(G), dim3(T), 0, true,
                               [&] { read_then_write_static(seen.data(), after.data()); }),
                 cudaSuccess);
    for (unsigned g = 0; g < G; ++g) {
      cr_expect(std::isnan(seen[g]), "launch %d block %u: unwritten __shared__ reads %g, not NaN",
                launch, g, seen[g]);
      for (unsigned t = 0; t < T; ++t)
        cr_expect_eq(after[g * T + t], (double)g, "launch %d block %u thread %u", launch, g, t);
    }
  }
}

Test(emu_engine, a_barrier_some_threads_skip_fails_the_launch) {
  const cudaError_t skipped = emu::run_grid(dim3(1), dim3(THREADS), 0, true, [] {
    if (threadIdx.x != 5) __syncthreads();
  });
  cr_expect_eq(skipped, cudaErrorLaunchFailure, "a barrier thread 5 skips: %d", (int)skipped);
  const cudaError_t unsynced =
      emu::run_grid(dim3(1), dim3(THREADS), 0, false, [] { __syncthreads(); });
  cr_expect_eq(unsynced, cudaErrorLaunchFailure, "a barrier in a launch without SYNC: %d",
               (int)unsynced);
}
