/* What the tool prints about a solve: progress lines on stderr while it runs, then either a
   short table or one JSON object on stdout. */
#include <math.h>
#include <string.h>

#include "cli/cli.h"

int cli_progress_line(const sgfblo_progress *p, void *data) {
  (void)data;
  fprintf(stderr,
          "step %9lld  t %-11.6g f % .6e  |grad_y g| %.3e  |F| %.3e  |zdot| %.3e  rhs %lld\n",
          (long long)p->step, p->t, p->f, p->grad_g_norm, p->hypergrad_norm, p->zdot_norm,
          (long long)p->n_rhs);
  fflush(stderr);
  return 0;
}

void cli_print_table(FILE *out, const cli_result *r) {
  const sgfblo_info *in = r->info;
  const sgfblo_progress *p = &in->last;
  fprintf(out, "%-14s %s (n = %lld, m = %lld)\n", "problem", r->problem, (long long)r->n,
          (long long)r->m);
  fprintf(out, "%-14s %s\n", "method", r->method);
  fprintf(out, "%-14s %s\n", "integrator", r->integrator ? r->integrator : "none (discrete)");
  fprintf(out, "%-14s %.10g\n", "t", p->t);
  fprintf(out, "%-14s %lld\n", "steps", (long long)p->step);
  fprintf(out, "%-14s %.10g\n", "f", p->f);
  fprintf(out, "%-14s %.6e\n", "||grad_y g||", p->grad_g_norm);
  fprintf(out, "%-14s %.6e\n", "||F||", p->hypergrad_norm);
  fprintf(out, "%-14s %lld %s, %lld oracle (%lld grad + %lld prod), %lld %s\n", "evals",
          (long long)p->n_rhs, r->integrator ? "rhs" : "iterations",
          (long long)(in->n_grad + in->n_prod), (long long)in->n_grad, (long long)in->n_prod,
          (long long)in->n_rejected, r->integrator ? "rejected steps" : "line-search halvings");
  fprintf(out, "%-14s %s (%s), %.3f s\n", "exit", sgfblo_exit_flag_name(in->exit_flag),
          sgfblo_status_string(r->status), in->solve_seconds);
}

void cli_print_json(FILE *out, const cli_result *r) {
  const sgfblo_info *in = r->info;
  const sgfblo_progress *p = &in->last;
  cli_json o;
  cli_json_begin(&o, out);
  cli_json_str(&o, "problem", r->problem);
  cli_json_int(&o, "n", r->n);
  cli_json_int(&o, "m", r->m);
  cli_json_str(&o, "method", r->method);
  if (r->integrator)
    cli_json_str(&o, "integrator", r->integrator);
  else
    cli_json_null(&o, "integrator");
  cli_json_str(&o, "exit", sgfblo_exit_flag_name(in->exit_flag));
  cli_json_str(&o, "status", sgfblo_status_string(r->status));
  cli_json_num(&o, "t", p->t);
  cli_json_int(&o, "steps", p->step);
  cli_json_num(&o, "f", p->f);
  cli_json_num(&o, "grad_g_norm", p->grad_g_norm);
  cli_json_num(&o, "init_grad_g_norm", in->init_grad_g_norm);
  cli_json_num(&o, "hypergrad_norm", p->hypergrad_norm);
  cli_json_num(&o, "zdot_norm", p->zdot_norm);
  cli_json_num(&o, "max_h_excess", in->max_h_excess);
  cli_json_int(&o, "rhs_evals", p->n_rhs);
  cli_json_int(&o, "oracle_evals", in->n_grad + in->n_prod);
  cli_json_int(&o, "grad_evals", in->n_grad);
  cli_json_int(&o, "prod_evals", in->n_prod);
  cli_json_int(&o, "rejected", in->n_rejected);
  cli_json_num(&o, "seconds", in->solve_seconds);
  cli_json_end(&o);
}
