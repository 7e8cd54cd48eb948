/* The run every discrete method shares (AID-BiO, SQCQP): argument checks, the backend and
   the two oracles (the method's calls and the monitoring calls, counted apart), the iterate
   z = (x, y) and the buffers, the loop with its stopping rules, the reports (measure, CSV
   row, monitor callback), the state checks, and the hand-back of the last iterate and the
   counts. A method supplies its settings check, its buffers and one iteration. */
#ifndef SGFBLO_METHOD_DISCRETE_H
#define SGFBLO_METHOD_DISCRETE_H

#include <stdio.h>

#include "backend/backend.h"
#include "problem/oracle.h"
#include "sgfblo/sgfblo.h"

/* Backend scalars the driver gives every method (D->sc): a method may use the first
   SGFBLO_DISCRETE_SC_METHOD; the last two are the driver's, the iterate's max norms. The
   driver reads all of them once per iteration, after the method's (the divergence check), so
   a method that leaves its per-iteration values there needs no read of its own: they are in
   D->sc_host when its progress hook runs. */
#define SGFBLO_DISCRETE_NSC 16
#define SGFBLO_DISCRETE_SC_METHOD 14
#define SGFBLO_DISCRETE_SC_XMAX 14
#define SGFBLO_DISCRETE_SC_YMAX 15

/* More than AID-BiO and SQCQP allocate (11 and 13) plus the driver's two. */
#define SGFBLO_DISCRETE_MAX_BUFS 24

typedef struct sgfblo_discrete sgfblo_discrete;

/** The stopping rules and outputs every discrete method's settings carry (validated there). */
typedef struct {
  int64_t max_iters;         /* >= 1 */
  int64_t max_oracle_evals;  /* >= 0; 0: no limit */
  double max_seconds;        /* >= 0; 0: no limit */
  double div_limit;          /* > 0 */
  int monitor_every;         /* >= 1 */
  sgfblo_monitor_fn monitor; /* or NULL */
  void *monitor_data;
  const char *log_path; /* or NULL */
  sgfblo_backend backend;
  int device_id;
} sgfblo_discrete_limits;

/** The limits of a method's settings struct, which has fields of the same names. */
#define SGFBLO_DISCRETE_LIMITS_OF(set)                                   \
  ((sgfblo_discrete_limits){.max_iters = (set)->max_iters,               \
                            .max_oracle_evals = (set)->max_oracle_evals, \
                            .max_seconds = (set)->max_seconds,           \
                            .div_limit = (set)->div_limit,               \
                            .monitor_every = (set)->monitor_every,       \
                            .monitor = (set)->monitor,                   \
                            .monitor_data = (set)->monitor_data,         \
                            .log_path = (set)->log_path,                 \
                            .backend = (set)->backend,                   \
                            .device_id = (set)->device_id})

/** A method, as the driver calls it. The run struct of a method starts with its
    sgfblo_discrete, so the hooks cast the pointer back. */
typedef struct {
  const char *name; /* in messages: "AID-BiO", "SQCQP" */
  const char *hint; /* advice when the iterate blows up: "reduce tau0" */
  /* Check the method's settings (NULL too) and fill D->lim; message into err. */
  sgfblo_status (*validate)(sgfblo_discrete *D, sgfblo_errmsg *err);
  /* After the backend and the oracles are open: allocate the method's buffers with
     sgfblo_discrete_alloc (the driver frees them) and set its starting values. */
  sgfblo_status (*setup)(sgfblo_discrete *D);
  /* One iteration from D->z, D->iter += 1; or *converged = 1 (z not moved) when the
     method's stationarity test holds. */
  sgfblo_status (*iterate)(sgfblo_discrete *D, int *converged);
  /* At a report, after f and gg = ||grad_y g||^2 were measured at D->z: the method's fields
     of the progress (dt, hypergrad_norm, zdot_norm). */
  sgfblo_status (*progress)(sgfblo_discrete *D, double gg, sgfblo_progress *p);
  /* Optional: after the final report of a run that ended by a stopping rule. */
  void (*ended)(sgfblo_discrete *D);
  /* Once the run has started, on every return: the method's own counts into info (the
     driver has filled last, n_grad, n_prod, n_value of both oracles, callback_code). */
  void (*finish)(sgfblo_discrete *D, sgfblo_info *info);
} sgfblo_discrete_method;

struct sgfblo_discrete {
  const sgfblo_discrete_method *method;
  sgfblo_discrete_limits lim;
  const sgfblo_ops *ops;
  sgfblo_bctx bctx;
  sgfblo_oracle orc; /* the method's calls: n_grad, n_prod, n_value */
  sgfblo_oracle mon; /* monitoring calls, kept out of the method's counts */
  sgfblo_errmsg *err;
  int64_t n, m, nz;
  sgfblo_real *z;   /* the iterate (x, y), length nz, backend memory; a method may swap it */
  sgfblo_real *mgy; /* grad_y g at a report, length m */
  double *sc;       /* SGFBLO_DISCRETE_NSC backend scalars a method may use (batched reads) */
  double sc_host[SGFBLO_DISCRETE_NSC]; /* sc as read by the last divergence check */
  FILE *log;
  int64_t iter;                                 /* iterations done */
  int64_t reported_iter;                        /* iteration of the last report (-1: none) */
  sgfblo_progress last;                         /* the last report */
  sgfblo_real **bufs[SGFBLO_DISCRETE_MAX_BUFS]; /* what sgfblo_discrete_alloc allocated */
  int nbufs;
};

/**
 * Run the method from (x, y) (host, lengths p->n and p->m) until a stopping rule, the
 * monitor or an error ends it: MAX_STEPS (lim.max_iters or lim.max_oracle_evals), CONVERGED
 * (the method's test), TIME_LIMIT (lim.max_seconds of wall time since entry, checked after
 * every iteration), INTERRUPTED. D must be zeroed with D->method set. Statuses, exit flags and what
 * x, y and info receive are those documented for sgfblo_aidbio_run and sgfblo_sqcqp_run.
 */
sgfblo_status sgfblo_discrete_run(sgfblo_discrete *D, const sgfblo_problem *p, sgfblo_real *x,
                                  sgfblo_real *y, sgfblo_info *info, sgfblo_errmsg *err);

/** Allocate *buf (len reals, backend memory) and have the driver free it at the end. */
sgfblo_status sgfblo_discrete_alloc(sgfblo_discrete *D, sgfblo_real **buf, int64_t len);

#endif /* SGFBLO_METHOD_DISCRETE_H */
