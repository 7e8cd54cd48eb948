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

int hc_run_flow(const hc_data *d, hc_opts *o, hc_row *r, sgfblo_real *x_start,
                sgfblo_real *y_start) {
  sgfblo_solver *s = NULL;
  sgfblo_problem p;
  sgfblo_info info;
  hc_monitor m;
  int rc = CLI_EXIT_OK;
  sgfblo_settings set = o->run.set;
  const int64_t N = hc_N(d), m_dim = hc_dim(d) * hc_classes(d);
  if (hc_monitor_init(&m, d, r, !o->quiet) != 0 || !(r->x = alloc_reals(N)) ||
      !(r->y = alloc_reals(m_dim))) {
    fail_row(r, SGFBLO_ERR_ALLOC, "setup", "out of memory");
    hc_monitor_done(&m);
    return CLI_EXIT_FAILURE;
  }
  if (!o->monitor_every_given) {
    double steps = set.t_final < 1e299 ? ceil(set.t_final / set.dt - 1e-9) : (double)set.max_steps;
    if ((double)set.max_steps < steps) steps = (double)set.max_steps;
    set.monitor_every = (int)updates_every((int64_t)fmin(steps, 1e9));
  }
  set.monitor = hc_monitor_cb;
  set.monitor_data = &m;
  set.monitor_hypergrad = 0; /* ||F|| costs a Hyy solve per point; the table does not use it */
  m.t_final = set.t_final;
  m.max_steps = set.max_steps < SGFBLO_DEFAULT_MAX_STEPS ? set.max_steps : 0;
  sgfblo_status st = sgfblo_hyperclean_problem(d->hc, &p);
  if (st == SGFBLO_OK) {
    p.x0 = d->x0;
    p.y0 = d->y0;
    p.x0_mem = SGFBLO_MEM_HOST;
    st = sgfblo_solver_create(&s);
  }
  if (st != SGFBLO_OK) {
    fail_row(r, st, "solver creation", "");
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  m.solver = s;
  st = sgfblo_solver_setup(s, &p, &set);
  if (st == SGFBLO_OK) st = sgfblo_solver_get_state(s, x_start, y_start);
  if (st != SGFBLO_OK) {
    fail_row(r, st, "setup", sgfblo_solver_last_error(s));
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  m.wall0 = hc_now();
  st = sgfblo_solver_solve(s);
  hc_monitor_done(&m);
  if (sgfblo_solver_get_info(s, &info) == SGFBLO_OK) {
    r->exit = sgfblo_exit_flag_name(info.exit_flag);
    r->seconds = info.solve_seconds;
    r->t_end = info.last.t;
    r->grad_g_norm = info.last.grad_g_norm;
    r->oracle_evals = info.n_grad + info.n_prod; /* not setup, not monitoring */
  }
  if (st != SGFBLO_OK) {
    fail_row(r, st, "solve", sgfblo_solver_last_error(s));
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  st = sgfblo_solver_get_state(s, r->x, r->y);
  if (st != SGFBLO_OK) {
    fail_row(r, st, "reading the state", sgfblo_solver_last_error(s));
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  if (m.failed) fprintf(stderr, "%s: %s: out of memory: some monitoring points were not kept\n",
                        HC_PROG, r->name);
  rc = hc_row_evaluate(d, r);
cleanup:
  hc_monitor_done(&m);
  sgfblo_solver_destroy(s);
  return rc;
}

int hc_run_sqcqp(const hc_data *d, const hc_opts *o, hc_row *r, sgfblo_real *x_start,
                 sgfblo_real *y_start) {
  sgfblo_errmsg err = {{0}};
  sgfblo_problem p, q;
  sgfblo_info info;
  hc_capture cap;
  hc_monitor m;
  int rc = CLI_EXIT_OK;
  sgfblo_sqcqp_settings set = o->run.sq;
  const int64_t N = hc_N(d), m_dim = hc_dim(d) * hc_classes(d);
  memset(&cap, 0, sizeof cap);
  memset(&m, 0, sizeof m);
  memset(&info, 0, sizeof info);
  sgfblo_status st = sgfblo_hyperclean_problem(d->hc, &p);
  if (st != SGFBLO_OK || hc_monitor_init(&m, d, r, !o->quiet) != 0 ||
      hc_capture_init(&cap, &p, &q) != 0 || !(r->x = alloc_reals(N)) ||
      !(r->y = alloc_reals(m_dim))) {
    fail_row(r, st != SGFBLO_OK ? st : SGFBLO_ERR_ALLOC, "setup", "");
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  /* The start a flow would have: a solver set up with the shared options, read back. */
  p.x0 = d->x0;
  p.y0 = d->y0;
  p.x0_mem = SGFBLO_MEM_HOST;
  st = cli_start_state(&p, &o->run.set, x_start, y_start, &err);
  if (st != SGFBLO_OK) {
    fail_row(r, st, "setup", err.msg);
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  memcpy(r->x, x_start, sizeof *r->x * (size_t)N);
  memcpy(r->y, y_start, sizeof *r->y * (size_t)m_dim);
  memcpy(cap.y_seen, y_start, sizeof *r->y * (size_t)m_dim);
  if (!o->monitor_every_given) {
    const int64_t every = updates_every(set.max_iters);
    set.monitor_every = every < INT32_MAX ? (int)every : INT32_MAX;
  }
  set.monitor = hc_monitor_cb;
  set.monitor_data = &m;
  set.monitor_hypergrad = 0; /* ||F|| costs a Hyy solve per point; the table does not use it */
  /* The monitor reads the classifier SQCQP last evaluated f at: at a monitoring point, f is
     evaluated at the current iterate just before the callback. */
  m.y_seen = cap.y_seen;
  m.max_iters = set.max_iters;
  m.wall0 = hc_now();
  st = sgfblo_sqcqp_run(&q, &set, r->x, r->y, &info, &err);
  hc_monitor_done(&m);
  r->exit = sgfblo_exit_flag_name(info.exit_flag);
  r->seconds = info.solve_seconds;
  r->t_end = (double)info.last.step;
  r->grad_g_norm = info.last.grad_g_norm;
  r->oracle_evals = info.n_grad + info.n_prod; /* not the start, not monitoring */
  if (st != SGFBLO_OK) {
    fail_row(r, st, "SQCQP", err.msg);
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  if (m.failed) fprintf(stderr, "%s: %s: out of memory: some monitoring points were not kept\n",
                        HC_PROG, r->name);
  rc = hc_row_evaluate(d, r);
cleanup:
  hc_monitor_done(&m);
  hc_capture_free(&cap);
  return rc;
}

int hc_run_aidbio(const hc_data *d, const hc_opts *o, int64_t budget, const sgfblo_real *x_start,
                  const sgfblo_real *y_start, hc_row *r) {
  sgfblo_errmsg err = {{0}};
  sgfblo_problem p, q;
  sgfblo_info info;
  hc_capture cap;
  hc_monitor m;
  int rc = CLI_EXIT_OK;
  sgfblo_aidbio_settings set = o->aid;
  const int64_t N = hc_N(d), m_dim = hc_dim(d) * hc_classes(d);
  memset(&cap, 0, sizeof cap);
  memset(&m, 0, sizeof m);
  memset(&info, 0, sizeof info);
  sgfblo_status st = sgfblo_hyperclean_problem(d->hc, &p);
  if (st != SGFBLO_OK || hc_monitor_init(&m, d, r, !o->quiet) != 0 ||
      hc_capture_init(&cap, &p, &q) != 0 || !(r->x = alloc_reals(N)) ||
      !(r->y = alloc_reals(m_dim))) {
    fail_row(r, st != SGFBLO_OK ? st : SGFBLO_ERR_ALLOC, "setup", "");
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  memcpy(r->x, x_start, sizeof *r->x * (size_t)N);
  memcpy(r->y, y_start, sizeof *r->y * (size_t)m_dim);
  memcpy(cap.y_seen, y_start, sizeof *r->y * (size_t)m_dim);
  /* Equal oracle evaluations: the budget binds, not the iteration limit. */
  set.max_oracle_evals = budget;
  if (budget > 0 && set.max_iters < budget) set.max_iters = budget;
  const int64_t per_iter = (int64_t)set.inner_steps + set.cg_steps + 3;
  if (!o->monitor_every_given)
    set.monitor_every = (int)updates_every(budget > 0 ? budget / per_iter : set.max_iters);
  else
    set.monitor_every = o->run.set.monitor_every;
  set.monitor = hc_monitor_cb;
  set.monitor_data = &m;
  set.log_path = NULL;
  m.y_seen = cap.y_seen;
  m.budget = budget;
  m.max_iters = budget > 0 ? 0 : set.max_iters;
  m.wall0 = hc_now();
  st = sgfblo_aidbio_run(&q, &set, r->x, r->y, &info, &err);
  hc_monitor_done(&m);
  r->exit = sgfblo_exit_flag_name(info.exit_flag);
  r->seconds = info.solve_seconds;
  r->t_end = (double)info.last.step;
  r->grad_g_norm = info.last.grad_g_norm;
  r->oracle_evals = info.n_grad + info.n_prod;
  if (st != SGFBLO_OK) {
    fail_row(r, st, "AID-BiO", err.msg);
    rc = CLI_EXIT_FAILURE;
    goto cleanup;
  }
  if (m.failed) fprintf(stderr, "%s: %s: out of memory: some monitoring points were not kept\n",
                        HC_PROG, r->name);
  rc = hc_row_evaluate(d, r);
cleanup:
  hc_monitor_done(&m);
  hc_capture_free(&cap);
  return rc;
}
