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
  fprintf(out, "%-14s %s\n", "method", sgfblo_method_name(r->set->method));
  fprintf(out, "%-14s %s\n", "integrator", sgfblo_integrator_name(r->set->integrator));
  fprintf(out, "%-14s %.10g\n", "t", p->t);
  fprintf(out, "%-14s %lld\n", "steps", (long long)p->step);
  fprintf(out, "%-14s %.10g\n", "f", p->f);
  fprintf(out, "%-14s %.6e\n", "||grad_y g||", p->grad_g_norm);
  fprintf(out, "%-14s %.6e\n", "||F||", p->hypergrad_norm);
  fprintf(out, "%-14s %lld rhs, %lld oracle (%lld grad + %lld prod), %lld rejected steps\n",
          "evals", (long long)p->n_rhs, (long long)(in->n_grad + in->n_prod),
          (long long)in->n_grad, (long long)in->n_prod, (long long)in->n_rejected);
  fprintf(out, "%-14s %s (%s), %.3f s\n", "exit", sgfblo_exit_flag_name(in->exit_flag),
          sgfblo_status_string(r->status), in->solve_seconds);
}

/* ------------------------------------------------------------------ JSON -- */

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; ++s) {
    const unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

/* JSON has no NaN or Inf: a value that is not finite is written as null. */
static void json_number(FILE *out, double v) {
  if (isfinite(v))
    fprintf(out, "%.17g", v);
  else
    fputs("null", out);
}

typedef struct {
  FILE *out;
  int first;
} json_obj;

static void key(json_obj *o, const char *k) {
  fputs(o->first ? "{" : ",", o->out);
  o->first = 0;
  json_string(o->out, k);
  fputc(':', o->out);
}

static void kv_str(json_obj *o, const char *k, const char *v) {
  key(o, k);
  json_string(o->out, v);
}

static void kv_num(json_obj *o, const char *k, double v) {
  key(o, k);
  json_number(o->out, v);
}

static void kv_int(json_obj *o, const char *k, int64_t v) {
  key(o, k);
  fprintf(o->out, "%lld", (long long)v);
}

void cli_print_json(FILE *out, const cli_result *r) {
  const sgfblo_info *in = r->info;
  const sgfblo_progress *p = &in->last;
  json_obj o = {out, 1};
  kv_str(&o, "problem", r->problem);
  kv_int(&o, "n", r->n);
  kv_int(&o, "m", r->m);
  kv_str(&o, "method", sgfblo_method_name(r->set->method));
  kv_str(&o, "integrator", sgfblo_integrator_name(r->set->integrator));
  kv_str(&o, "exit", sgfblo_exit_flag_name(in->exit_flag));
  kv_str(&o, "status", sgfblo_status_string(r->status));
  kv_num(&o, "t", p->t);
  kv_int(&o, "steps", p->step);
  kv_num(&o, "f", p->f);
  kv_num(&o, "grad_g_norm", p->grad_g_norm);
  kv_num(&o, "init_grad_g_norm", in->init_grad_g_norm);
  kv_num(&o, "hypergrad_norm", p->hypergrad_norm);
  kv_num(&o, "zdot_norm", p->zdot_norm);
  kv_num(&o, "max_h_excess", in->max_h_excess);
  kv_int(&o, "rhs_evals", p->n_rhs);
  kv_int(&o, "oracle_evals", in->n_grad + in->n_prod);
  kv_int(&o, "grad_evals", in->n_grad);
  kv_int(&o, "prod_evals", in->n_prod);
  kv_int(&o, "rejected", in->n_rejected);
  kv_num(&o, "seconds", in->solve_seconds);
  fputs("}\n", out);
}
