/* The solver options every subcommand shares: they fill an sgfblo_settings, which is then
   validated by the library's own sgfblo_settings_validate so that the CLI and the API reject
   exactly the same values with the same messages. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)

/* Final time used when only --steps bounds the run (finite: the validator requires it). */
#define CLI_UNBOUNDED_T_FINAL 1e300

const cli_option cli_flow_options[] = {
    {"method", "NAME", CLI_KEY_METHOD,
     "vector field: rxgf | invfree | sgf-chol | sgf-cg | pc | stable, or sqcqp: the "
     "sequential QCQP method (discrete; its options below) (default rxgf)"},
    {"integrator", "NAME", CLI_KEY_INTEGRATOR,
     "time integrator: euler | rk4 | rk4-38 | dopri5 (default rk4)"},
    {"backend", "NAME", CLI_KEY_BACKEND, "where the solve runs: cpu | cuda (default cpu)"},
    {"device", "N", CLI_KEY_DEVICE, "CUDA device ordinal for --backend cuda, >= 0 (default 0)"},
    {"no-graph", NULL, CLI_KEY_NO_GRAPH,
     "--backend cuda: launch every kernel from the host instead of replaying each fixed "
     "rxgf/invfree step from a CUDA Graph (for debugging and profiling)"},
    {"alpha", "A", CLI_KEY_ALPHA,
     "safety-filter gain alpha > 0 (default " CLI_STR(SGFBLO_DEFAULT_ALPHA) ")"},
    {"eps", "E", CLI_KEY_EPS,
     "RXGF/SQCQP tolerance on ||grad_y g||, > 0 (default " CLI_STR(SGFBLO_DEFAULT_EPSILON) ")"},
    {"beta", "B", CLI_KEY_BETA,
     "prediction-correction gain (pc), > 0 (default " CLI_STR(SGFBLO_DEFAULT_BETA) ")"},
    {"mu1", "M", CLI_KEY_MU1, "STABLE gain on x, > 0 (default " CLI_STR(SGFBLO_DEFAULT_MU1) ")"},
    {"mu2", "M", CLI_KEY_MU2, "STABLE gain on y, > 0 (default " CLI_STR(SGFBLO_DEFAULT_MU2) ")"},
    {"dt", "H", CLI_KEY_DT,
     "step size (first step for dopri5), > 0 (default " CLI_STR(SGFBLO_DEFAULT_DT) ")"},
    {"t-final", "T", CLI_KEY_T_FINAL,
     "final time, > 0 (default " CLI_STR(SGFBLO_DEFAULT_T_FINAL) "; unbounded with --steps alone)"},
    {"steps", "N", CLI_KEY_STEPS, "stop after N accepted steps (max steps), >= 1"},
    {"time-limit", "S", CLI_KEY_TIME_LIMIT,
     "stop after S seconds of wall time, > 0 (exit time_limit; checked after every step or "
     "iteration); given alone, it leaves the final time (sqcqp: the iterations) unbounded"},
    {"tol", "TOL", CLI_KEY_TOL,
     "stop when ||zdot||_inf (sqcqp: ||d||_inf) <= TOL, >= 0 (default 0: never)"},
    {"rtol", "R", CLI_KEY_RTOL,
     "dopri5 relative error tolerance, > 0 (default " CLI_STR(SGFBLO_DEFAULT_RTOL) ")"},
    {"atol", "A", CLI_KEY_ATOL,
     "dopri5 absolute error tolerance, > 0 (default " CLI_STR(SGFBLO_DEFAULT_ATOL) ")"},
    {"step-control", NULL, CLI_KEY_STEP_CONTROL,
     "rxgf/invfree: reject and halve steps that leave the eps-set"},
    {"linsolve", "NAME", CLI_KEY_LINSOLVE,
     "solves with Hyy (pc, stable, ||F||, --init-lower): cg | chol (default cg)"},
    {"init", "MODE", CLI_KEY_INIT,
     "initial state: given (the --x0/--y0 files, zeros where absent) | random (N(0,1) from "
     "--seed) (default given)"},
    {"init-lower", NULL, CLI_KEY_INIT_LOWER,
     "replace y0 by y*(x0) (Newton solve of the lower level) before the flow starts"},
    {NULL, NULL, 0, NULL}};

const cli_option cli_sqcqp_options[] = {
    {"w", "W", CLI_KEY_W,
     "weight of ||d||^2 in the QCQP constraint, > 0 (default " CLI_STR(
         SGFBLO_SQCQP_DEFAULT_W) ")"},
    {"gamma", "G", CLI_KEY_GAMMA,
     "barrier test h(z + tau d) <= (1 - G) h(z), in (0, 1) (default " CLI_STR(
         SGFBLO_SQCQP_DEFAULT_GAMMA) ")"},
    {"sigma", "S", CLI_KEY_SIGMA,
     "Armijo fraction, in (0, 1) (default " CLI_STR(SGFBLO_SQCQP_DEFAULT_SIGMA) ")"},
    {"tau0", "T", CLI_KEY_TAU0,
     "fixed step on or outside the boundary, > 0 (default " CLI_STR(
         SGFBLO_SQCQP_DEFAULT_TAU0) "; scale it with --w)"},
    {"delta", "D", CLI_KEY_DELTA,
     "boundary band h >= -D where the fixed step is taken, >= 0 (default " CLI_STR(
         SGFBLO_SQCQP_DEFAULT_DELTA) ")"},
    {"iters", "N", CLI_KEY_ITERS,
     "maximum iterations, >= 1 (default " CLI_STR(SGFBLO_SQCQP_DEFAULT_MAX_ITERS) ")"},
    {NULL, NULL, 0, NULL}};

const cli_option cli_output_options[] = {
    {"log", "FILE.csv", CLI_KEY_LOG,
     "write the trajectory as CSV, one row per monitoring point (step,t,dt,f,grad_g_norm,"
     "hypergrad_norm,zdot_norm,n_rhs,n_oracle)"},
    {"monitor-every", "K", CLI_KEY_MONITOR_EVERY,
     "steps between monitoring points (log rows, progress lines), >= 1 (default " CLI_STR(
         SGFBLO_DEFAULT_MONITOR_EVERY) ")"},
    {"progress", NULL, CLI_KEY_PROGRESS, "print one line on stderr at every monitoring point"},
    {"json", NULL, CLI_KEY_JSON, "print the final summary as one JSON object on stdout"},
    {"help", NULL, CLI_KEY_HELP, "print this help and exit"},
    {"version", NULL, CLI_KEY_VERSION, "print the version and exit"},
    {NULL, NULL, 0, NULL}};

void cli_run_opts_init(cli_run_opts *o) {
  memset(o, 0, sizeof *o);
  sgfblo_settings_default(&o->set);
  sgfblo_sqcqp_settings_default(&o->sq);
}

const char *cli_method_name(const cli_run_opts *o) {
  return o->sqcqp ? "sqcqp" : sgfblo_method_name(o->set.method);
}

/* "--name" of the option with this key, for messages. */
static const char *option_name(int key) {
  const cli_option *tables[] = {cli_flow_options, cli_sqcqp_options, cli_output_options};
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; ++t)
    for (const cli_option *o = tables[t]; o->name; ++o)
      if (o->key == key) return o->name;
  return "?";
}

static int set_double(const char *prog, int key, const char *arg, double *field) {
  char opt[64];
  snprintf(opt, sizeof opt, "--%s", option_name(key));
  return cli_parse_double(prog, opt, arg, field);
}

static int set_int(const char *prog, int key, const char *arg, int *field) {
  char opt[64];
  int64_t v;
  snprintf(opt, sizeof opt, "--%s", option_name(key));
  const int rc = cli_parse_int64(prog, opt, arg, -2147483647 - 1, 2147483647, &v);
  if (rc == CLI_EXIT_OK) *field = (int)v;
  return rc;
}

/* One of the names[0..count) or a usage error that lists them. */
static int pick_name(const char *prog, const char *opt, const char *arg, const char *const *names,
                     int count, int *out) {
  for (int i = 0; i < count; ++i)
    if (strcmp(arg, names[i]) == 0) {
      *out = i;
      return CLI_EXIT_OK;
    }
  char list[256] = "";
  for (int i = 0; i < count; ++i) {
    strncat(list, names[i], sizeof list - strlen(list) - 1);
    if (i + 1 < count) strncat(list, ", ", sizeof list - strlen(list) - 1);
  }
  return cli_usage_error(prog, "%s: unknown value '%s' (one of %s)", opt, arg, list);
}

int cli_run_option(const char *prog, int key, const char *arg, cli_run_opts *o) {
  sgfblo_settings *s = &o->set;
  int i = 0, rc = CLI_EXIT_OK;
  switch (key) {
    case CLI_KEY_HELP: o->help = 1; return CLI_EXIT_OK;
    case CLI_KEY_VERSION: o->version = 1; return CLI_EXIT_OK;
    case CLI_KEY_METHOD: {
      const char *names[SGFBLO_METHOD_COUNT_ + 1];
      for (int m = 0; m < SGFBLO_METHOD_COUNT_; ++m) names[m] = sgfblo_method_name((sgfblo_method)m);
      names[SGFBLO_METHOD_COUNT_] = "sqcqp";
      rc = pick_name(prog, "--method", arg, names, SGFBLO_METHOD_COUNT_ + 1, &i);
      if (rc != CLI_EXIT_OK) return rc;
      o->sqcqp = i == SGFBLO_METHOD_COUNT_;
      if (!o->sqcqp) s->method = (sgfblo_method)i;
      return rc;
    }
    case CLI_KEY_INTEGRATOR: {
      const char *names[SGFBLO_INTEG_COUNT_];
      for (int m = 0; m < SGFBLO_INTEG_COUNT_; ++m)
        names[m] = sgfblo_integrator_name((sgfblo_integrator)m);
      rc = pick_name(prog, "--integrator", arg, names, SGFBLO_INTEG_COUNT_, &i);
      if (rc == CLI_EXIT_OK) s->integrator = (sgfblo_integrator)i;
      return rc;
    }
    case CLI_KEY_BACKEND: {
      static const char *const names[] = {[SGFBLO_BACKEND_CPU] = "cpu",
                                          [SGFBLO_BACKEND_CUDA] = "cuda"};
      rc = pick_name(prog, "--backend", arg, names, 2, &i);
      if (rc == CLI_EXIT_OK) s->backend = (sgfblo_backend)i;
      return rc;
    }
    case CLI_KEY_LINSOLVE: {
      static const char *const names[] = {[SGFBLO_LINSOLVE_CG] = "cg",
                                          [SGFBLO_LINSOLVE_CHOL] = "chol"};
      rc = pick_name(prog, "--linsolve", arg, names, 2, &i);
      if (rc == CLI_EXIT_OK) s->linsolve = (sgfblo_linsolve)i;
      return rc;
    }
    case CLI_KEY_INIT: {
      static const char *const names[] = {[SGFBLO_INIT_GIVEN] = "given",
                                          [SGFBLO_INIT_RANDOM] = "random"};
      rc = pick_name(prog, "--init", arg, names, 2, &i);
      if (rc == CLI_EXIT_OK) s->init = (sgfblo_init)i;
      return rc;
    }
    case CLI_KEY_ALPHA: return set_double(prog, key, arg, &s->alpha);
    case CLI_KEY_EPS: return set_double(prog, key, arg, &s->epsilon);
    case CLI_KEY_BETA: return set_double(prog, key, arg, &s->beta);
    case CLI_KEY_MU1: return set_double(prog, key, arg, &s->mu1);
    case CLI_KEY_MU2: return set_double(prog, key, arg, &s->mu2);
    case CLI_KEY_DT: return set_double(prog, key, arg, &s->dt);
    case CLI_KEY_T_FINAL: o->t_final_given = 1; return set_double(prog, key, arg, &s->t_final);
    case CLI_KEY_TOL: return set_double(prog, key, arg, &s->tol);
    case CLI_KEY_RTOL: return set_double(prog, key, arg, &s->rtol);
    case CLI_KEY_ATOL: return set_double(prog, key, arg, &s->atol);
    case CLI_KEY_TIME_LIMIT:
      o->time_limit_given = 1;
      rc = cli_parse_double(prog, "--time-limit", arg, &s->max_seconds);
      if (rc == CLI_EXIT_OK && !(s->max_seconds > 0))
        rc = cli_usage_error(prog, "--time-limit: the limit must be > 0 seconds (got %s)", arg);
      return rc;
    case CLI_KEY_STEPS:
      o->steps_given = 1;
      return cli_parse_int64(prog, "--steps", arg, INT64_MIN, INT64_MAX, &s->max_steps);
    case CLI_KEY_MONITOR_EVERY: return set_int(prog, key, arg, &s->monitor_every);
    case CLI_KEY_STEP_CONTROL: s->step_control = 1; return CLI_EXIT_OK;
    case CLI_KEY_DEVICE: return set_int(prog, key, arg, &s->device_id);
    case CLI_KEY_NO_GRAPH: s->cuda_graph = 0; return CLI_EXIT_OK;
    case CLI_KEY_INIT_LOWER: s->init_lower = 1; return CLI_EXIT_OK;
    case CLI_KEY_LOG: s->log_path = arg; return CLI_EXIT_OK;
    case CLI_KEY_PROGRESS: o->progress = 1; return CLI_EXIT_OK;
    case CLI_KEY_JSON: o->json = 1; return CLI_EXIT_OK;
    case CLI_KEY_W: o->sq_option_given = 1; return set_double(prog, key, arg, &o->sq.w);
    case CLI_KEY_GAMMA: o->sq_option_given = 1; return set_double(prog, key, arg, &o->sq.gamma);
    case CLI_KEY_SIGMA: o->sq_option_given = 1; return set_double(prog, key, arg, &o->sq.sigma);
    case CLI_KEY_TAU0: o->sq_option_given = 1; return set_double(prog, key, arg, &o->sq.tau0);
    case CLI_KEY_DELTA: o->sq_option_given = 1; return set_double(prog, key, arg, &o->sq.delta);
    case CLI_KEY_ITERS:
      o->sq_option_given = 1;
      o->iters_given = 1;
      return cli_parse_int64(prog, "--iters", arg, INT64_MIN, INT64_MAX, &o->sq.max_iters);
    default: return -1;
  }
}

/* The option that sets a settings field, so that a validation message can name both. */
static const struct {
  const char *field, *option;
} FIELD_OPTIONS[] = {{"alpha", "--alpha"},     {"epsilon", "--eps"},
                     {"beta", "--beta"},       {"mu1", "--mu1"},
                     {"mu2", "--mu2"},         {"dt", "--dt"},
                     {"dt_min", "--dt"},       {"t_final", "--t-final"},
                     {"max_steps", "--steps"}, {"tol", "--tol"},
                     {"max_seconds", "--time-limit"},
                     {"rtol", "--rtol"},       {"atol", "--atol"},
                     {"monitor_every", "--monitor-every"}};

/* The same for the fields of sgfblo_sqcqp_settings. */
static const struct {
  const char *field, *option;
} SQCQP_FIELD_OPTIONS[] = {{"alpha", "--alpha"}, {"epsilon", "--eps"},  {"w", "--w"},
                           {"gamma", "--gamma"}, {"sigma", "--sigma"},  {"tau0", "--tau0"},
                           {"delta", "--delta"}, {"max_iters", "--iters"}, {"tol", "--tol"},
                           {"monitor_every", "--monitor-every"}};

/* A usage error naming the option of the field msg starts with. */
#define NAMED_ERROR(prog, map, msg, what)                                              \
  do {                                                                                 \
    const size_t field_len_ = strcspn(msg, " ");                                       \
    for (size_t i_ = 0; i_ < sizeof map / sizeof map[0]; ++i_)                         \
      if (strlen(map[i_].field) == field_len_ &&                                       \
          strncmp(msg, map[i_].field, field_len_) == 0)                                \
        return cli_usage_error(prog, "%s: %s", map[i_].option, msg);                   \
    return cli_usage_error(prog, "invalid " what ": %s", msg);                         \
  } while (0)

int cli_bounded_by_time_only(const cli_run_opts *o) {
  if (!o->time_limit_given) return 0;
  return o->sqcqp ? !o->iters_given : !o->t_final_given && !o->steps_given;
}

int cli_run_opts_finish(const char *prog, cli_run_opts *o) {
  if ((o->steps_given || o->time_limit_given) && !o->t_final_given)
    o->set.t_final = CLI_UNBOUNDED_T_FINAL;
  char msg[256];
  if (sgfblo_settings_validate(&o->set, msg, sizeof msg) != SGFBLO_OK)
    NAMED_ERROR(prog, FIELD_OPTIONS, msg, "settings");
  if (!o->sqcqp) {
    if (o->sq_option_given)
      return cli_usage_error(prog, "--w, --gamma, --sigma, --tau0, --delta and --iters are "
                             "options of --method sqcqp");
    return CLI_EXIT_OK;
  }
  /* The options that mean the same for SQCQP as for the flows. */
  o->sq.alpha = o->set.alpha;
  o->sq.epsilon = o->set.epsilon;
  o->sq.tol = o->set.tol;
  o->sq.log_path = o->set.log_path;
  o->sq.monitor_every = o->set.monitor_every;
  o->sq.max_seconds = o->set.max_seconds;
  o->sq.backend = o->set.backend;
  o->sq.device_id = o->set.device_id;
  if (cli_bounded_by_time_only(o)) o->sq.max_iters = INT64_MAX;
  if (sgfblo_sqcqp_settings_validate(&o->sq, msg, sizeof msg) != SGFBLO_OK)
    NAMED_ERROR(prog, SQCQP_FIELD_OPTIONS, msg, "SQCQP settings");
  return CLI_EXIT_OK;
}
