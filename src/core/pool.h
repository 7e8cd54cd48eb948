/* A fixed set of worker threads that run the tasks of one parallel loop at a time, with the
   calling thread as one of them. The built-in problems' host oracles split their row blocks
   over it (problem/hyperclean_blocks.c).

   Results never depend on the number of threads: callers give each task its own output
   (partial sums indexed by task, reduced in task order afterwards), so a pool of any size,
   or none, computes the same bits. A pool that could start fewer workers than asked (a
   failed pthread_create) just runs the tasks on fewer threads. */
#ifndef SGFBLO_CORE_POOL_H
#define SGFBLO_CORE_POOL_H

#include <stdint.h>

typedef struct sgfblo_pool sgfblo_pool;

/** One task of a loop: fn(arg, task) for task in [0, ntasks). */
typedef void (*sgfblo_task_fn)(void *arg, int64_t task);

/** Most threads a pool runs (callers clamp what they ask for). */
#define SGFBLO_POOL_MAX_THREADS 256

/** A pool of `threads` threads, the caller included (threads - 1 workers are started).
    NULL when threads <= 1, when allocation fails, or when not one worker could start: every
    function here treats NULL as a pool of one thread. */
sgfblo_pool *sgfblo_pool_create(int threads);

/** Threads that run tasks, the caller included: 1 for NULL. */
int sgfblo_pool_threads(const sgfblo_pool *pool);

/** Run every task once, on the pool's threads, and return when all have finished. Tasks are
    handed out in increasing order to whichever thread is free. Not reentrant: one loop at a
    time per pool, from one thread. */
void sgfblo_pool_run(sgfblo_pool *pool, int64_t ntasks, sgfblo_task_fn fn, void *arg);

/** Stop and join the workers and free the pool; NULL is a no-op. */
void sgfblo_pool_destroy(sgfblo_pool *pool);

/** The thread count a pool gets by default: the BLAS's (openblas_get_num_threads, which
    honours OPENBLAS_NUM_THREADS) where the BLAS has it, else the online processors; at least 1,
    at most SGFBLO_POOL_MAX_THREADS. */
int sgfblo_default_threads(void);

#endif /* SGFBLO_CORE_POOL_H */
