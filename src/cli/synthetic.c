/* `sgfblo synthetic`: the synthetic problem of the paper (section 4.1), drawn from a seed or
   read from .npy files, solved with the shared flow options. */
#include <stdlib.h>

#include "cli/cli.h"

#define PROG "sgfblo synthetic"
#define DEFAULT_DIM 20

/* The five input arrays, in the order of their options. */
enum { IN_H, IN_C, IN_D, IN_X0, IN_Y0, IN_COUNT };

enum {
  KEY_DIM = CLI_KEY_SUBCOMMAND,
  KEY_SEED,
  KEY_FILE /* KEY_FILE + IN_* */
};

static const char *const IN_OPTION[IN_COUNT] = {"--H", "--c", "--d", "--x0", "--y0"};

static const cli_option PROBLEM_OPTIONS[] = {
    {"dim", "N", KEY_DIM, "dimension n = m of x and y (default 20; implied by --H or a vector)"},
    {"seed", "S", KEY_SEED, "seed of the random H, c, d and of --init random (default 0)"},
    {"H", "FILE.npy", KEY_FILE + IN_H, "H, n x n (row-major as numpy writes it)"},
    {"c", "FILE.npy", KEY_FILE + IN_C, "c, length n"},
    {"d", "FILE.npy", KEY_FILE + IN_D, "d, length n"},
    {"x0", "FILE.npy", KEY_FILE + IN_X0, "initial x, length n (default zeros)"},
    {"y0", "FILE.npy", KEY_FILE + IN_Y0, "initial y, length n (default zeros)"},
    {NULL, NULL, 0, NULL}};

static const cli_option_group GROUPS[] = {{"Problem options", PROBLEM_OPTIONS},
                                          {"Flow options", cli_flow_options},
                                          {"SQCQP options (--method sqcqp)", cli_sqcqp_options},
                                          {"Output options", cli_output_options}};
#define NGROUPS ((int)(sizeof GROUPS / sizeof GROUPS[0]))

typedef struct {
  cli_run_opts run;
  int64_t dim;
  int dim_given;
  uint64_t seed;
  const char *file[IN_COUNT];
} syn_opts;

static void usage(FILE *out) {
  fputs("Usage: sgfblo synthetic [options]\n"
        "\n"
        "Solve the synthetic bilevel problem of the paper (section 4.1):\n"
        "  min_x f(x, y*(x)),   f(x, y) = sin(c'x + d'y) + log(||x + y||^2 + 1),\n"
        "  y*(x) = argmin_y g(x, y),   g(x, y) = 1/2 ||H y - x||^2,   x, y in R^n.\n"
        "H, c and d are drawn from --seed (H = Q diag(l) Q', Q Haar-orthogonal, l uniform in\n"
        "[0.1, 1], so cond(H) <= 10; c, d standard normal) unless given as .npy files; any\n"
        "subset may be given and the rest is drawn. x0 and y0 are zeros unless given.\n"
        "\n"
        "--method sqcqp runs the sequential QCQP method (sgfblo_sqcqp_run) instead of a\n"
        "flow, from the same start (--x0/--y0, --init, --init-lower). It takes --alpha,\n"
        "--eps, --tol, --time-limit, --log, --monitor-every, --progress and --json as the\n"
        "flows do, and its own options below; the flows' time stepping (--integrator,\n"
        "--dt, --t-final, --steps, --rtol, --atol, --step-control) does not apply. In its\n"
        "summary t and steps are iterations, rejected counts line-search halvings,\n"
        "integrator is none.\n",
        out);
  cli_print_option_groups(out, GROUPS, NGROUPS);
  fputs("\n"
        "Summary: a table on stdout (or one JSON object with --json); with --json the\n"
        "keys are problem, n, m, method, integrator, exit, status, t, steps, f, grad_g_norm,\n"
        "init_grad_g_norm, hypergrad_norm, zdot_norm, max_h_excess, rhs_evals, oracle_evals,\n"
        "grad_evals, prod_evals, rejected, seconds (a value that is not finite is null).\n"
        "\n"
        "Exit status: 0 when the solve ended by a stopping rule (t_final, max_steps,\n"
        "converged, time_limit), 1 when the solver failed (message on stderr), 2 for a\n"
        "usage error or a bad input file.\n"
        "\n"
        "Example (RXGF on the paper's setting, starting on the lower-level solution):\n"
        "  sgfblo synthetic --method rxgf --alpha 0.1 --eps 0.1 --dt 0.01 --t-final 10 \\\n"
        "    --init-lower --log rxgf.csv\n",
        out);
}

static int on_option(int key, const char *arg, void *data) {
  syn_opts *o = data;
  const int rc = cli_run_option(PROG, key, arg, &o->run);
  if (rc != -1) return rc;
  switch (key) {
    case KEY_DIM: o->dim_given = 1; return cli_parse_int64(PROG, "--dim", arg, 1, INT32_MAX, &o->dim);
    case KEY_SEED: return cli_parse_uint64(PROG, "--seed", arg, &o->seed);
    default:
      if (key >= KEY_FILE && key < KEY_FILE + IN_COUNT) {
        o->file[key - KEY_FILE] = arg;
        return CLI_EXIT_OK;
      }
      return cli_usage_error(PROG, "internal error: unhandled option key %d", key);
  }
}

/* Read the given files, fix n and check every shape against it. */
static int load_inputs(const syn_opts *o, sgfblo_real *data[IN_COUNT], int64_t *n_out) {
  int64_t len[IN_COUNT] = {0};
  int rc = CLI_EXIT_OK;
  int64_t cols = 0;
  if (o->file[IN_H]) {
    rc = cli_load_matrix(PROG, "--H", o->file[IN_H], &data[IN_H], &len[IN_H], &cols);
    if (rc != CLI_EXIT_OK) return rc;
    if (len[IN_H] != cols)
      return cli_input_error(PROG, "--H: %s is %lld x %lld; H must be square (n x n)",
                             o->file[IN_H], (long long)len[IN_H], (long long)cols);
  }
  for (int i = IN_C; i < IN_COUNT; ++i) {
    if (!o->file[i]) continue;
    rc = cli_load_vector(PROG, IN_OPTION[i], o->file[i], &data[i], &len[i]);
    if (rc != CLI_EXIT_OK) return rc;
  }
  /* n comes from H, else --dim, else the first vector given, else the default. */
  int src = -1;
  int64_t n = DEFAULT_DIM;
  if (o->file[IN_H]) {
    n = len[IN_H];
    src = IN_H;
    if (o->dim_given && o->dim != n)
      return cli_usage_error(PROG, "--dim %lld does not match --H %s, which is %lld x %lld",
                             (long long)o->dim, o->file[IN_H], (long long)n, (long long)n);
  } else if (o->dim_given) {
    n = o->dim;
  } else {
    for (int i = IN_C; i < IN_COUNT && src < 0; ++i)
      if (o->file[i]) {
        n = len[i];
        src = i;
      }
  }
  for (int i = IN_C; i < IN_COUNT; ++i) {
    if (!o->file[i] || len[i] == n) continue;
    if (src >= 0)
      return cli_usage_error(PROG, "%s: %s has length %lld, but n = %lld (from %s %s)",
                             IN_OPTION[i], o->file[i], (long long)len[i], (long long)n,
                             IN_OPTION[src], o->file[src]);
    return cli_usage_error(PROG, "%s: %s has length %lld, but n = %lld (from --dim%s)",
                           IN_OPTION[i], o->file[i], (long long)len[i], (long long)n,
                           o->dim_given ? "" : " default");
  }
  *n_out = n;
  return CLI_EXIT_OK;
}

/* The instance: drawn, read, or a mix (drawn pieces fill in what was not given). */
static int build_instance(const syn_opts *o, int64_t n, sgfblo_real *const data[IN_COUNT],
                          sgfblo_synthetic **out) {
  sgfblo_errmsg err = {{0}};
  sgfblo_synthetic *drawn = NULL;
  sgfblo_status st = SGFBLO_OK;
  int rc = CLI_EXIT_OK;
  *out = NULL;
  const int all_given = data[IN_H] && data[IN_C] && data[IN_D];
  const int any_given = data[IN_H] || data[IN_C] || data[IN_D];
  if (!all_given) {
    st = sgfblo_synthetic_random(n, o->seed, &drawn, &err);
    if (st != SGFBLO_OK) {
      fprintf(stderr, "%s: drawing the instance failed: %s: %s\n", PROG,
              sgfblo_status_string(st), err.msg);
      return CLI_EXIT_FAILURE;
    }
  }
  if (!any_given) {
    *out = drawn;
    return CLI_EXIT_OK;
  }
  const sgfblo_real *H = data[IN_H], *c = data[IN_C], *d = data[IN_D];
  if (drawn) sgfblo_synthetic_dim(drawn, H ? NULL : &H, c ? NULL : &c, d ? NULL : &d);
  st = sgfblo_synthetic_from_arrays(n, H, c, d, out, &err);
  if (st != SGFBLO_OK)
    rc = cli_input_error(PROG, "the given H, c, d are not usable: %s: %s",
                         sgfblo_status_string(st), err.msg);
  sgfblo_synthetic_destroy(drawn);
  return rc;
}

int cli_synthetic_main(int argc, char **argv) {
  syn_opts o = {.dim = DEFAULT_DIM};
  sgfblo_real *data[IN_COUNT] = {NULL};
  sgfblo_synthetic *sp = NULL;
  int64_t n = 0;
  cli_run_opts_init(&o.run);
  int rc = cli_parse(PROG, argc, argv, GROUPS, NGROUPS, on_option, &o);
  if (rc != CLI_EXIT_OK) return rc;
  if (o.run.help) {
    usage(stdout);
    return CLI_EXIT_OK;
  }
  if (o.run.version) {
    printf("sgfblo %s\n", sgfblo_version());
    return CLI_EXIT_OK;
  }
  o.run.set.init_seed = o.seed;
  rc = cli_run_opts_finish(PROG, &o.run);
  if (rc == CLI_EXIT_OK && o.run.set.init == SGFBLO_INIT_RANDOM && (o.file[IN_X0] || o.file[IN_Y0]))
    rc = cli_usage_error(PROG, "--x0/--y0 need --init given (the default), not --init random");
  if (rc == CLI_EXIT_OK) rc = load_inputs(&o, data, &n);
  if (rc == CLI_EXIT_OK) rc = build_instance(&o, n, data, &sp);
  if (rc == CLI_EXIT_OK) {
    sgfblo_problem p;
    const sgfblo_status st = sgfblo_synthetic_problem(sp, &p);
    if (st != SGFBLO_OK) {
      fprintf(stderr, "%s: %s\n", PROG, sgfblo_status_string(st));
      rc = CLI_EXIT_FAILURE;
    } else {
      p.x0 = data[IN_X0];
      p.y0 = data[IN_Y0];
      p.x0_mem = SGFBLO_MEM_HOST;
      rc = cli_solve_and_report(PROG, "synthetic", &p, &o.run);
    }
  }
  sgfblo_synthetic_destroy(sp);
  for (int i = 0; i < IN_COUNT; ++i) free(data[i]);
  return rc;
}
