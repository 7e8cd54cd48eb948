/* The runs behind the rows of `sgfblo hyperclean`: the floor and the ceiling (classifiers
   trained with fixed weights), the flow chosen by the shared options, and AID-BiO with the
   flow's oracle evaluations as its budget. A failed run keeps its row, marked with the
   solver's message, and makes the command exit 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hyperclean.h"

/* ~20 progress updates per run unless --monitor-every says otherwise. */
#define HC_UPDATES 20

/* Tolerance on ||grad_y g|| of the fixed-weight trainings (sgfblo_metrics.h's advice). */
#define HC_TRAIN_TOL (sizeof(sgfblo_real) == sizeof(double) ? 1e-8 : 1e-4)

static void fail_row(hc_row *r, sgfblo_status st, const char *stage, const char *msg) {
  const char *what = sgfblo_status_string(st);
  if (!msg) msg = "";
  r->status = st;
  if (strncmp(msg, what, strlen(what)) == 0) /* the message already starts with the status */
    snprintf(r->error, sizeof r->error, "%s failed: %s", stage, msg);
  else
    snprintf(r->error, sizeof r->error, "%s failed: %s%s%s", stage, what, msg[0] ? ": " : "", msg);
  fprintf(stderr, "%s: %s: %s\n", HC_PROG, r->name, r->error);
}

static int64_t updates_every(int64_t total) {
  const int64_t k = (total + HC_UPDATES / 2) / HC_UPDATES;
  return k < 1 ? 1 : k;
}

static sgfblo_real *alloc_reals(int64_t n) {
  return malloc(sizeof(sgfblo_real) * (size_t)(n > 0 ? n : 1));
}

int hc_run_reference(const hc_data *d, const hc_opts *o, int ceiling, hc_row *r) {
  sgfblo_errmsg err = {{0}};
  if (ceiling && !d->has_mask) {
    r->available = 0;
    r->note = "needs the clean training labels (--train-clean-y or --p)";
    return CLI_EXIT_OK;
  }
  if (!o->quiet) {
    fprintf(stderr, "%-8s training on %s ...", r->name,
            ceiling ? "the clean samples only" : "every sample (no cleaning)");
    fflush(stderr);
  }
  r->y = alloc_reals(hc_dim(d) * hc_classes(d));
  if (!r->y) {
    fail_row(r, SGFBLO_ERR_ALLOC, "training", "out of memory");
    return CLI_EXIT_FAILURE;
  }
  const double t0 = hc_now();
  const uint8_t *drop = ceiling ? d->corr.mask : NULL;
  const sgfblo_status st = sgfblo_hyperclean_train_masked(d->hc, drop, HC_TRAIN_TOL, r->y, &err);
  r->seconds = hc_now() - t0;
  if (!o->quiet) fprintf(stderr, " %.2f s\n", r->seconds);
  if (st != SGFBLO_OK) {
    fail_row(r, st, "training", err.msg);
    free(r->y);
    r->y = NULL;
    return CLI_EXIT_FAILURE;
  }
  r->exit = "converged";
  return hc_row_evaluate(d, r);
}

/* What a method run holds besides its solver: the problem, the monitor and, for the discrete
   methods, the capture wrapper through which the monitor sees their iterate. */
typedef struct {
  sgfblo_problem p; /* the instance's callbacks */
  sgfblo_problem q; /* p through the capture wrapper (discrete methods) */
  hc_capture cap;
  hc_monitor m;
} hc_method_run;

/* The problem, the monitor, the row's x and y and, with capture, the wrapper; on failure the
   row says why. @return CLI_EXIT_* */
static int method_open(hc_method_run *c, const hc_data *d, const hc_opts *o, hc_row *r,
                       int capture) {
  memset(c, 0, sizeof *c);
  sgfblo_status st = sgfblo_hyperclean_problem(d->hc, &c->p);
  c->p.x0 = d->x0;
  c->p.y0 = d->y0;
  c->p.x0_mem = SGFBLO_MEM_HOST;
  if (st != SGFBLO_OK || hc_monitor_init(&c->m, d, r, !o->quiet) != 0 ||
      (capture && hc_capture_init(&c->cap, &c->p, &c->q) != 0) ||
      !(r->x = alloc_reals(hc_N(d))) || !(r->y = alloc_reals(hc_dim(d) * hc_classes(d)))) {
    fail_row(r, st != SGFBLO_OK ? st : SGFBLO_ERR_ALLOC, "setup",
             st != SGFBLO_OK ? "" : "out of memory");
    return CLI_EXIT_FAILURE;
  }
  return CLI_EXIT_OK;
}

/* A discrete method starts at (x_start, y_start): the row's x and y, and what the monitor
   shows until the method first evaluates f. */
static void method_start_at(hc_method_run *c, const hc_data *d, hc_row *r,
                            const sgfblo_real *x_start, const sgfblo_real *y_start) {
  const size_t m_dim = (size_t)(hc_dim(d) * hc_classes(d));
  memcpy(r->x, x_start, sizeof *r->x * (size_t)hc_N(d));
  memcpy(r->y, y_start, sizeof *r->y * m_dim);
  memcpy(c->cap.y_seen, y_start, sizeof *r->y * m_dim);
  c->m.y_seen = c->cap.y_seen;
}

/* After the run: the row's exit, time and counts from info (NULL: none), then its failure
   (stage and the solver's message) when st is not SGFBLO_OK. @return CLI_EXIT_* */
static int method_ended(hc_method_run *c, hc_row *r, const sgfblo_info *info, double t_end,
                        sgfblo_status st, const char *stage, const char *msg) {
  hc_monitor_done(&c->m);
  if (info) {
    r->exit = sgfblo_exit_flag_name(info->exit_flag);
    r->seconds = info->solve_seconds;
    r->t_end = t_end;
    r->grad_g_norm = info->last.grad_g_norm;
    r->oracle_evals = info->n_grad + info->n_prod; /* not the start, not monitoring */
  }
  if (st == SGFBLO_OK) return CLI_EXIT_OK;
  fail_row(r, st, stage, msg);
  return CLI_EXIT_FAILURE;
}

/* The metrics of a run that ended well. @return CLI_EXIT_* */
static int method_evaluate(const hc_method_run *c, const hc_data *d, hc_row *r) {
  if (c->m.failed)
    fprintf(stderr, "%s: %s: out of memory: some monitoring points were not kept\n", HC_PROG,
            r->name);
  return hc_row_evaluate(d, r);
}

static void method_close(hc_method_run *c) {
  hc_monitor_done(&c->m);
  hc_capture_free(&c->cap);
}

int hc_run_flow(const hc_data *d, hc_opts *o, hc_row *r, sgfblo_real *x_start,
                sgfblo_real *y_start) {
  sgfblo_solver *s = NULL;
  sgfblo_info info;
  hc_method_run c;
  sgfblo_settings set = o->run.set;
  memset(&info, 0, sizeof info);
  int rc = method_open(&c, d, o, r, 0);
  if (rc != CLI_EXIT_OK) goto cleanup;
  /* ~20 monitoring points; a run bounded by time alone keeps the library's every 10 steps. */
  if (!o->monitor_every_given && !cli_bounded_by_time_only(&o->run)) {
    double steps = set.t_final < 1e299 ? ceil(set.t_final / set.dt - 1e-9) : (double)set.max_steps;
    if ((double)set.max_steps < steps) steps = (double)set.max_steps;
    set.monitor_every = (int)updates_every((int64_t)fmin(steps, 1e9));
  }
  set.monitor = hc_monitor_cb;
  set.monitor_data = &c.m;
  set.monitor_hypergrad = 0; /* ||F|| costs a Hyy solve per point; the table does not use it */
  c.m.t_final = set.t_final;
  c.m.max_steps = set.max_steps < SGFBLO_DEFAULT_MAX_STEPS ? set.max_steps : 0;
  c.m.time_limit = set.max_seconds;
  sgfblo_status st = sgfblo_solver_create(&s);
  if (st != SGFBLO_OK) {
    fail_row(r, st, "solver creation", "");
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  c.m.solver = s;
  st = sgfblo_solver_setup(s, &c.p, &set);
  if (st == SGFBLO_OK) st = sgfblo_solver_get_state(s, x_start, y_start);
  if (st != SGFBLO_OK) {
    fail_row(r, st, "setup", sgfblo_solver_last_error(s));
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  c.m.wall0 = hc_now();
  st = sgfblo_solver_solve(s);
  const int have_info = sgfblo_solver_get_info(s, &info) == SGFBLO_OK;
  rc = method_ended(&c, r, have_info ? &info : NULL, info.last.t, st, "solve",
                    sgfblo_solver_last_error(s));
  if (rc != CLI_EXIT_OK) goto cleanup;
  st = sgfblo_solver_get_state(s, r->x, r->y);
  if (st != SGFBLO_OK) {
    fail_row(r, st, "reading the state", sgfblo_solver_last_error(s));
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  rc = method_evaluate(&c, d, r);
cleanup:
  method_close(&c);
  sgfblo_solver_destroy(s);
  return rc;
}

int hc_run_sqcqp(const hc_data *d, const hc_opts *o, hc_row *r, sgfblo_real *x_start,
                 sgfblo_real *y_start) {
  sgfblo_errmsg err = {{0}};
  sgfblo_info info;
  hc_method_run c;
  sgfblo_sqcqp_settings set = o->run.sq;
  memset(&info, 0, sizeof info);
  int rc = method_open(&c, d, o, r, 1);
  if (rc != CLI_EXIT_OK) goto cleanup;
  /* The start a flow would have: a solver set up with the shared options, read back. */
  sgfblo_status st = cli_start_state(&c.p, &o->run.set, x_start, y_start, &err);
  if (st != SGFBLO_OK) {
    fail_row(r, st, "setup", err.msg);
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  method_start_at(&c, d, r, x_start, y_start);
  if (!o->monitor_every_given && !cli_bounded_by_time_only(&o->run)) {
    const int64_t every = updates_every(set.max_iters);
    set.monitor_every = every < INT32_MAX ? (int)every : INT32_MAX;
  }
  set.monitor = hc_monitor_cb;
  set.monitor_data = &c.m;
  set.monitor_hypergrad = 0; /* ||F|| costs a Hyy solve per point; the table does not use it */
  /* The monitor reads the classifier SQCQP last evaluated f at: at a monitoring point, f is
     evaluated at the current iterate just before the callback. */
  c.m.max_iters = cli_bounded_by_time_only(&o->run) ? 0 : set.max_iters;
  c.m.time_limit = set.max_seconds;
  c.m.wall0 = hc_now();
  st = sgfblo_sqcqp_run(&c.q, &set, r->x, r->y, &info, &err);
  rc = method_ended(&c, r, &info, (double)info.last.step, st, "SQCQP", err.msg);
  if (rc == CLI_EXIT_OK) rc = method_evaluate(&c, d, r);
cleanup:
  method_close(&c);
  return rc;
}

int hc_run_aidbio(const hc_data *d, const hc_opts *o, int64_t budget, const sgfblo_real *x_start,
                  const sgfblo_real *y_start, hc_row *r) {
  sgfblo_errmsg err = {{0}};
  sgfblo_info info;
  hc_method_run c;
  sgfblo_aidbio_settings set = o->aid;
  set.backend = o->run.set.backend; /* the baseline runs where the method runs */
  set.device_id = o->run.set.device_id;
  memset(&info, 0, sizeof info);
  int rc = method_open(&c, d, o, r, 1);
  if (rc != CLI_EXIT_OK) goto cleanup;
  method_start_at(&c, d, r, x_start, y_start);
  const int64_t per_iter = (int64_t)set.inner_steps + set.cg_steps + 3;
  if (o->run.time_limit_given) {
    /* Equal wall time: the method's limit binds, nothing else; monitoring every 10
       iterations (the library's default) unless --monitor-every. */
    budget = 0;
    set.max_seconds = o->run.set.max_seconds;
    set.max_oracle_evals = 0;
    set.max_iters = INT64_MAX;
  } else {
    /* Equal oracle evaluations: the budget binds, not the iteration limit. */
    set.max_oracle_evals = budget;
    if (budget > 0 && set.max_iters < budget) set.max_iters = budget;
    if (!o->monitor_every_given)
      set.monitor_every = (int)updates_every(budget > 0 ? budget / per_iter : set.max_iters);
  }
  if (o->monitor_every_given) set.monitor_every = o->run.set.monitor_every;
  set.monitor = hc_monitor_cb;
  set.monitor_data = &c.m;
  set.log_path = NULL;
  c.m.budget = budget;
  c.m.max_iters = budget > 0 || o->run.time_limit_given ? 0 : set.max_iters;
  c.m.time_limit = set.max_seconds;
  c.m.wall0 = hc_now();
  const sgfblo_status st = sgfblo_aidbio_run(&c.q, &set, r->x, r->y, &info, &err);
  rc = method_ended(&c, r, &info, (double)info.last.step, st, "AID-BiO", err.msg);
  if (rc == CLI_EXIT_OK) rc = method_evaluate(&c, d, r);
cleanup:
  method_close(&c);
  return rc;
}
