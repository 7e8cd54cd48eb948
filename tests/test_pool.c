/* The worker pool of src/core/pool.c: every task of a loop runs exactly once, loop after
   loop, on any number of threads; the caller's loop returns only when every task is done;
   the edge cases (no pool, no task, one task, a count above the maximum). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/pool.h"

typedef struct {
  int64_t *runs;   /* runs[task]: times the task ran (one writer per task and loop) */
  int64_t *stamp;  /* stamp[task]: the loop that last ran it */
  int64_t loop;
} count_job;

static void count_task(void *arg, int64_t task) {
  count_job *j = (count_job *)arg;
  ++j->runs[task];
  j->stamp[task] = j->loop;
}

/* `loops` loops of `ntasks` tasks: each task ran once per loop, and by the loop's end. */
static void every_task_once(sgfblo_pool *pool, int64_t ntasks, int loops) {
  int64_t *runs = calloc((size_t)(ntasks + 1), sizeof *runs);
  int64_t *stamp = calloc((size_t)(ntasks + 1), sizeof *stamp);
  cr_assert(runs && stamp);
  count_job j = {runs, stamp, 0};
  for (int l = 1; l <= loops; ++l) {
    j.loop = l;
    sgfblo_pool_run(pool, ntasks, count_task, &j);
    for (int64_t t = 0; t < ntasks; ++t)
      if (stamp[t] != l)
        cr_assert_fail("loop %d: task %lld not done when the loop returned", l, (long long)t);
  }
  for (int64_t t = 0; t < ntasks; ++t)
    cr_expect_eq(runs[t], loops, "task %lld ran %lld times in %d loops", (long long)t,
                 (long long)runs[t], loops);
  cr_expect_eq(runs[ntasks], 0, "a task past the end ran");
  free(runs);
  free(stamp);
}

Test(pool, every_task_runs_once_per_loop) {
  const int threads[] = {1, 2, 3, 8};
  const int64_t tasks[] = {0, 1, 2, 7, 64, 1000};
  for (size_t a = 0; a < sizeof threads / sizeof threads[0]; ++a) {
    sgfblo_pool *pool = sgfblo_pool_create(threads[a]);
    cr_assert_eq(sgfblo_pool_threads(pool), threads[a]);
    for (size_t b = 0; b < sizeof tasks / sizeof tasks[0]; ++b) every_task_once(pool, tasks[b], 50);
    sgfblo_pool_destroy(pool);
  }
}

/* Many short loops back to back: a worker that wakes late must not run a task twice or
   lose one of the next loop. */
Test(pool, back_to_back_short_loops) {
  sgfblo_pool *pool = sgfblo_pool_create(4);
  every_task_once(pool, 3, 5000);
  sgfblo_pool_destroy(pool);
}

Test(pool, edge_cases) {
  cr_expect_null(sgfblo_pool_create(1));
  cr_expect_null(sgfblo_pool_create(0));
  cr_expect_null(sgfblo_pool_create(-4));
  cr_expect_eq(sgfblo_pool_threads(NULL), 1);
  every_task_once(NULL, 5, 3); /* no pool: the caller runs them */
  sgfblo_pool_destroy(NULL);
  sgfblo_pool_destroy(sgfblo_pool_create(3)); /* never used */
  sgfblo_pool *big = sgfblo_pool_create(SGFBLO_POOL_MAX_THREADS + 10);
  cr_expect_eq(sgfblo_pool_threads(big), SGFBLO_POOL_MAX_THREADS);
  every_task_once(big, 300, 3);
  sgfblo_pool_destroy(big);
  const int d = sgfblo_default_threads();
  cr_expect(d >= 1 && d <= SGFBLO_POOL_MAX_THREADS, "default threads %d", d);
}
