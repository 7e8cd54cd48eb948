/* One solve from start to report, the same for every subcommand: create, setup, solve, print
   the summary, and turn a library error into exit status 1 with its message. --method sqcqp
   runs sgfblo_sqcqp_run instead, from the start a flow's setup would give. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void solver_error(const char *prog, const char *stage, sgfblo_status st,
                         const sgfblo_solver *s) {
  const char *detail = s ? sgfblo_solver_last_error(s) : "";
  fprintf(stderr, "%s: %s failed: %s%s%s\n", prog, stage, sgfblo_status_string(st),
          detail[0] ? ": " : "", detail);
}

sgfblo_status cli_start_state(const sgfblo_problem *p, const sgfblo_settings *set,
                              sgfblo_real *x, sgfblo_real *y, sgfblo_errmsg *err) {
  sgfblo_solver *s = NULL;
  sgfblo_settings start = *set;
  start.monitor = NULL;
  start.monitor_data = NULL;
  start.log_path = NULL;
  sgfblo_status st = sgfblo_solver_create(&s);
  if (st == SGFBLO_OK) st = sgfblo_solver_setup(s, p, &start);
  if (st == SGFBLO_OK) st = sgfblo_solver_get_state(s, x, y);
  if (st != SGFBLO_OK && err)
    snprintf(err->msg, sizeof err->msg, "%s", s ? sgfblo_solver_last_error(s) : "");
  sgfblo_solver_destroy(s);
  return st;
}

static void print_summary(const cli_run_opts *o, const cli_result *r) {
  if (o->json)
    cli_print_json(stdout, r);
  else
    cli_print_table(stdout, r);
  fflush(stdout);
}

/* --method sqcqp: the flow's start (--x0/--y0, --init, --init-lower), then the method. */
static int sqcqp_and_report(const char *prog, const char *problem_name, const sgfblo_problem *p,
                            cli_run_opts *o) {
  sgfblo_errmsg err = {{0}};
  sgfblo_info info;
  memset(&info, 0, sizeof info);
  sgfblo_real *x = malloc(sizeof *x * (size_t)p->n), *y = malloc(sizeof *y * (size_t)p->m);
  if (!x || !y) {
    free(x);
    free(y);
    fprintf(stderr, "%s: out of memory\n", prog);
    return CLI_EXIT_FAILURE;
  }
  sgfblo_status st = cli_start_state(p, &o->set, x, y, &err);
  if (st != SGFBLO_OK) {
    fprintf(stderr, "%s: setup failed: %s%s%s\n", prog, sgfblo_status_string(st),
            err.msg[0] ? ": " : "", err.msg);
    free(x);
    free(y);
    return CLI_EXIT_FAILURE;
  }
  if (o->progress) o->sq.monitor = cli_progress_line;
  st = sgfblo_sqcqp_run(p, &o->sq, x, y, &info, &err);
  /* As for the flows, the summary is printed for a failed run too. */
  const cli_result r = {problem_name, p->n, p->m, &o->set, "sqcqp", NULL, &info, st};
  print_summary(o, &r);
  if (st != SGFBLO_OK)
    fprintf(stderr, "%s: solve failed: %s%s%s\n", prog, sgfblo_status_string(st),
            err.msg[0] ? ": " : "", err.msg);
  free(x);
  free(y);
  return st == SGFBLO_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}

void cli_announce_backend(const char *prog, const sgfblo_settings *set) {
  char what[256];
  /* An unusable backend is reported by setup, with the reason. */
  if (sgfblo_backend_describe(set->backend, set->device_id, what, sizeof what) != SGFBLO_OK) return;
  fprintf(stderr, "%s: running on %s%s\n", prog, what,
          set->backend == SGFBLO_BACKEND_CUDA && !set->cuda_graph ? " (no CUDA graphs)" : "");
}

int cli_solve_and_report(const char *prog, const char *problem_name, const sgfblo_problem *p,
                         cli_run_opts *o) {
  /* Where a GPU run happens is worth a line on stderr (the summary goes to stdout). */
  if (o->set.backend == SGFBLO_BACKEND_CUDA) cli_announce_backend(prog, &o->set);
  if (o->sqcqp) return sqcqp_and_report(prog, problem_name, p, o);
  sgfblo_solver *s = NULL;
  sgfblo_status st = sgfblo_solver_create(&s);
  if (st != SGFBLO_OK) {
    solver_error(prog, "solver creation", st, NULL);
    return CLI_EXIT_FAILURE;
  }
  if (o->progress) o->set.monitor = cli_progress_line;
  st = sgfblo_solver_setup(s, p, &o->set);
  if (st != SGFBLO_OK) {
    solver_error(prog, "setup", st, s);
    sgfblo_solver_destroy(s);
    return CLI_EXIT_FAILURE;
  }
  st = sgfblo_solver_solve(s);
  /* The summary is printed for a failed solve too: it says where the flow stopped. */
  sgfblo_info info;
  if (sgfblo_solver_get_info(s, &info) == SGFBLO_OK) {
    const cli_result r = {problem_name, p->n, p->m, &o->set, sgfblo_method_name(o->set.method),
                          sgfblo_integrator_name(o->set.integrator), &info, st};
    print_summary(o, &r);
  }
  if (st != SGFBLO_OK) solver_error(prog, "solve", st, s);
  sgfblo_solver_destroy(s);
  return st == SGFBLO_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
