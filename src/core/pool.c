/* The worker pool of pool.h on POSIX threads. One mutex guards the loop's state; a loop is
   announced by bumping `generation` (workers sleep on `wake` until it changes) and is over
   when every thread has left it (`busy` back to 0, signalled on `done`). Tasks are claimed
   one at a time under the mutex: they are coarse (row chunks of a pass over the data), so
   the lock is not where the time goes. */
#define _POSIX_C_SOURCE 200809L /* pthreads, sysconf */

#include "core/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef SGFBLO_HAVE_OPENBLAS_THREADS
#include <cblas.h>
#endif

struct sgfblo_pool {
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  pthread_t *workers;
  int n_workers;
  /* The current loop; read and written under lock. */
  uint64_t generation;
  int stop;
  sgfblo_task_fn fn;
  void *arg;
  int64_t ntasks, next;
  int busy; /* threads inside the current loop */
};

/* Claim and run tasks of the current loop until none are left. Called with lock held;
   returns with it held. */
static void run_tasks(sgfblo_pool *p) {
  while (p->next < p->ntasks) {
    const int64_t task = p->next++;
    const sgfblo_task_fn fn = p->fn;
    void *arg = p->arg;
    pthread_mutex_unlock(&p->lock);
    fn(arg, task);
    pthread_mutex_lock(&p->lock);
  }
}

static void *worker_main(void *arg) {
  sgfblo_pool *p = (sgfblo_pool *)arg;
  pthread_mutex_lock(&p->lock);
  uint64_t seen = p->generation;
  for (;;) {
    while (p->generation == seen && !p->stop) pthread_cond_wait(&p->wake, &p->lock);
    if (p->stop) break;
    seen = p->generation;
    ++p->busy;
    run_tasks(p);
    if (--p->busy == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

sgfblo_pool *sgfblo_pool_create(int threads) {
  if (threads > SGFBLO_POOL_MAX_THREADS) threads = SGFBLO_POOL_MAX_THREADS;
  if (threads <= 1) return NULL;
  sgfblo_pool *p = (sgfblo_pool *)calloc(1, sizeof *p);
  if (!p) return NULL;
  p->workers = (pthread_t *)calloc((size_t)(threads - 1), sizeof *p->workers);
  int inited = 0;
  if (p->workers && pthread_mutex_init(&p->lock, NULL) == 0) {
    inited = 1;
    if (pthread_cond_init(&p->wake, NULL) == 0) {
      inited = 2;
      if (pthread_cond_init(&p->done, NULL) == 0) inited = 3;
    }
  }
  if (inited == 3)
    for (int i = 0; i < threads - 1; ++i) {
      if (pthread_create(&p->workers[i], NULL, worker_main, p) != 0) break;
      ++p->n_workers;
    }
  if (p->n_workers == 0) {
    if (inited >= 3) pthread_cond_destroy(&p->done);
    if (inited >= 2) pthread_cond_destroy(&p->wake);
    if (inited >= 1) pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
    return NULL;
  }
  return p;
}

int sgfblo_pool_threads(const sgfblo_pool *pool) { return pool ? pool->n_workers + 1 : 1; }

void sgfblo_pool_run(sgfblo_pool *pool, int64_t ntasks, sgfblo_task_fn fn, void *arg) {
  if (ntasks <= 0) return;
  if (!pool || ntasks == 1) {
    for (int64_t t = 0; t < ntasks; ++t) fn(arg, t);
    return;
  }
  sgfblo_pool *p = pool;
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->arg = arg;
  p->ntasks = ntasks;
  p->next = 0;
  ++p->generation;
  ++p->busy; /* the caller */
  pthread_cond_broadcast(&p->wake);
  run_tasks(p);
  --p->busy;
  /* Wait for the workers still inside this loop (busy counts those that entered it). A
     worker that wakes later re-reads the loop's state under the lock: it finds no task left
     and leaves, or takes part in whichever loop is current by then. */
  while (p->busy > 0) pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}

void sgfblo_pool_destroy(sgfblo_pool *pool) {
  if (!pool) return;
  pthread_mutex_lock(&pool->lock);
  pool->stop = 1;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (int i = 0; i < pool->n_workers; ++i) pthread_join(pool->workers[i], NULL);
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  free(pool->workers);
  free(pool);
}

int sgfblo_default_threads(void) {
  long n = 1;
#ifdef SGFBLO_HAVE_OPENBLAS_THREADS
  n = openblas_get_num_threads();
#else
  n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
  if (n < 1) n = 1;
  return n > SGFBLO_POOL_MAX_THREADS ? SGFBLO_POOL_MAX_THREADS : (int)n;
}
