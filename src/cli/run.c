/* One solve from start to report, the same for every subcommand: create, setup, solve, print
   the summary, and turn a library error into exit status 1 with its message. */
#include "cli/cli.h"

static void solver_error(const char *prog, const char *stage, sgfblo_status st,
                         const sgfblo_solver *s) {
  const char *detail = s ? sgfblo_solver_last_error(s) : "";
  fprintf(stderr, "%s: %s failed: %s%s%s\n", prog, stage, sgfblo_status_string(st),
          detail[0] ? ": " : "", detail);
}

int cli_solve_and_report(const char *prog, const char *problem_name, const sgfblo_problem *p,
                         cli_run_opts *o) {
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
    const cli_result r = {problem_name, p->n, p->m, &o->set, &info, st};
    if (o->json)
      cli_print_json(stdout, &r);
    else
      cli_print_table(stdout, &r);
    fflush(stdout);
  }
  if (st != SGFBLO_OK) solver_error(prog, "solve", st, s);
  sgfblo_solver_destroy(s);
  return st == SGFBLO_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
