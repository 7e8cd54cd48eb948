/* Shared pieces of the sgfblo command-line tool: the subcommand table, the option parser,
   the solver options every subcommand accepts, input files, and the final report.
   The CLI uses only the public API; it is the one place allowed to print and exit. */
#ifndef SGFBLO_CLI_CLI_H
#define SGFBLO_CLI_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "sgfblo/sgfblo.h"
#include "sgfblo/sgfblo_sqcqp.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/** Exit statuses of the tool. */
enum {
  CLI_EXIT_OK = 0,      /**< the solve ran and ended by a stopping rule */
  CLI_EXIT_FAILURE = 1, /**< the solver returned an error (message on stderr) */
  CLI_EXIT_USAGE = 2    /**< bad command line or bad input file (one line on stderr) */
};

/* ------------------------------------------------------------ subcommands -- */

/** A subcommand: `sgfblo <name> [options]`. argv[0] is the subcommand name. */
typedef struct {
  const char *name;    /**< as typed on the command line */
  const char *summary; /**< one line for `sgfblo --help` */
  int (*run)(int argc, char **argv);
} cli_command;

int cli_synthetic_main(int argc, char **argv);
int cli_hyperclean_main(int argc, char **argv);

/* ---------------------------------------------------------- option parser -- */

/** One long option. Tables end with an entry whose name is NULL. */
typedef struct {
  const char *name;    /**< long name without the leading "--" */
  const char *metavar; /**< argument placeholder in the help; NULL for a flag */
  int key;             /**< handed to the handler; unique across the tables of one parser */
  const char *help;    /**< one line of help text */
} cli_option;

/** A titled group of options, for the parser and for the help text. */
typedef struct {
  const char *title;
  const cli_option *options;
} cli_option_group;

/**
 * Handle one parsed option. arg is NULL for flags.
 * @return CLI_EXIT_OK to go on, anything else to stop parsing with that exit status
 *         (the handler has printed its message).
 */
typedef int (*cli_option_fn)(int key, const char *arg, void *data);

/**
 * Parse argv[1..argc) with getopt_long against the groups (ngroups of them). Unknown options,
 * missing arguments and positional arguments are usage errors reported on stderr.
 * @return CLI_EXIT_OK or the non-zero status of the first failure
 */
int cli_parse(const char *prog, int argc, char **argv, const cli_option_group *groups,
              int ngroups, cli_option_fn fn, void *data);

/** Print the groups as an aligned option list. */
void cli_print_option_groups(FILE *out, const cli_option_group *groups, int ngroups);

/** Print "<prog>: <message> (see '<prog> --help')" on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *fmt, ...) CLI_PRINTF(2, 3);

/** Print "<prog>: <message>" on stderr (for bad input files); returns CLI_EXIT_USAGE. */
int cli_input_error(const char *prog, const char *fmt, ...) CLI_PRINTF(2, 3);

/** Strict conversions: the whole string, finite, in range; else a usage error naming opt. */
int cli_parse_double(const char *prog, const char *opt, const char *s, double *out);
int cli_parse_int64(const char *prog, const char *opt, const char *s, int64_t lo, int64_t hi,
                    int64_t *out);
int cli_parse_uint64(const char *prog, const char *opt, const char *s, uint64_t *out);

/* ---------------------------------------------- options shared by solves -- */

/** Keys of the shared options; subcommands number theirs from CLI_KEY_SUBCOMMAND up. */
enum {
  CLI_KEY_HELP = 256,
  CLI_KEY_VERSION,
  CLI_KEY_METHOD,
  CLI_KEY_INTEGRATOR,
  CLI_KEY_BACKEND,
  CLI_KEY_ALPHA,
  CLI_KEY_EPS,
  CLI_KEY_BETA,
  CLI_KEY_MU1,
  CLI_KEY_MU2,
  CLI_KEY_DT,
  CLI_KEY_T_FINAL,
  CLI_KEY_STEPS,
  CLI_KEY_TIME_LIMIT,
  CLI_KEY_TOL,
  CLI_KEY_RTOL,
  CLI_KEY_ATOL,
  CLI_KEY_STEP_CONTROL,
  CLI_KEY_LINSOLVE,
  CLI_KEY_INIT,
  CLI_KEY_INIT_LOWER,
  CLI_KEY_LOG,
  CLI_KEY_MONITOR_EVERY,
  CLI_KEY_PROGRESS,
  CLI_KEY_JSON,
  CLI_KEY_W,
  CLI_KEY_GAMMA,
  CLI_KEY_SIGMA,
  CLI_KEY_TAU0,
  CLI_KEY_DELTA,
  CLI_KEY_ITERS,
  CLI_KEY_DEVICE,
  CLI_KEY_NO_GRAPH,
  CLI_KEY_SUBCOMMAND = 512
};

/** What the shared options set. */
typedef struct {
  sgfblo_settings set; /**< starts from sgfblo_settings_default */
  int t_final_given;   /**< --t-final was on the command line */
  int steps_given;     /**< --steps was on the command line */
  int time_limit_given; /**< --time-limit S: set.max_seconds = S (and sq.max_seconds) */
  int iters_given;     /**< --iters was on the command line */
  int sqcqp;           /**< --method sqcqp: the discrete method, not a flow */
  sgfblo_sqcqp_settings sq; /**< its settings; --alpha, --eps, --tol, --log,
                                 --monitor-every and --time-limit are copied in from set by
                                 _finish */
  int sq_option_given; /**< one of --w ... --iters was given (they need --method sqcqp) */
  int json;            /**< --json: final summary as one JSON object */
  int progress;        /**< --progress: a line on stderr at every monitoring point */
  int help, version;   /**< --help / --version were asked for */
} cli_run_opts;

extern const cli_option cli_flow_options[];   /**< method, gains, time stepping, init */
extern const cli_option cli_output_options[]; /**< log, monitoring, progress, json, help */
extern const cli_option cli_sqcqp_options[];  /**< --w, --gamma, ... of --method sqcqp */

/** The name of the chosen method: a flow's, or "sqcqp". */
const char *cli_method_name(const cli_run_opts *o);

void cli_run_opts_init(cli_run_opts *o);

/**
 * Apply one shared option. @return CLI_EXIT_OK, CLI_EXIT_USAGE (message printed), or -1 when
 * key is not a shared option.
 */
int cli_run_option(const char *prog, int key, const char *arg, cli_run_opts *o);

/** The run is bounded by --time-limit alone: no --t-final or --steps (flows), no --iters
    (--method sqcqp). */
int cli_bounded_by_time_only(const cli_run_opts *o);

/**
 * After parsing: reconcile --steps and --time-limit with --t-final (either alone leaves the
 * final time unbounded; --time-limit alone also SQCQP's iterations), and validate the settings with
 * sgfblo_settings_validate (and, for --method sqcqp, the method's settings with
 * sgfblo_sqcqp_settings_validate after copying the shared options in); the usage error names
 * the option and the library's message.
 */
int cli_run_opts_finish(const char *prog, cli_run_opts *o);

/* ---------------------------------------------------------------- inputs -- */

/** Read a .npy file as a matrix (2-D) of sgfblo_real; a usage error names opt and the file. */
int cli_load_matrix(const char *prog, const char *opt, const char *path, sgfblo_real **out,
                    int64_t *rows, int64_t *cols);

/** Read a .npy file as a vector: shape (n,), (n, 1) or (1, n). */
int cli_load_vector(const char *prog, const char *opt, const char *path, sgfblo_real **out,
                    int64_t *len);

/* ------------------------------------------------------------------ JSON -- */

#define CLI_JSON_MAX_DEPTH 8

/** Streaming JSON writer: one object on one line; members are separated automatically. */
typedef struct {
  FILE *out;
  int depth;                     /**< current nesting level (0: the outer object) */
  int first[CLI_JSON_MAX_DEPTH]; /**< no member written yet at this level */
} cli_json;

/** Start the outer object ("{"); cli_json_end closes it and ends the line. */
void cli_json_begin(cli_json *j, FILE *out);
void cli_json_end(cli_json *j);
/** Open a nested object ('{') or array ('[') under key k (NULL inside an array). */
void cli_json_open(cli_json *j, const char *k, char brace);
/** Close it with the matching '}' or ']'. */
void cli_json_close(cli_json *j, char brace);
/** Members; k is NULL inside an array. A number that is not finite is written as null. */
void cli_json_str(cli_json *j, const char *k, const char *v);
void cli_json_num(cli_json *j, const char *k, double v);
void cli_json_int(cli_json *j, const char *k, int64_t v);
void cli_json_bool(cli_json *j, const char *k, int v);
void cli_json_null(cli_json *j, const char *k);

/* ------------------------------------------------------------ solve, report -- */

/** What the report shows about a finished (or failed) solve. */
typedef struct {
  const char *problem;       /**< "synthetic", ... */
  int64_t n, m;              /**< dimensions */
  const sgfblo_settings *set;
  const char *method;        /**< the method's name (a flow's, or "sqcqp") */
  const char *integrator;    /**< the integrator's name, or NULL for sqcqp (none) */
  const sgfblo_info *info;
  sgfblo_status status;      /**< what sgfblo_solver_solve returned */
} cli_result;

/** Monitor callback for --progress: one line per monitoring point on stderr. */
int cli_progress_line(const sgfblo_progress *p, void *data);

/** The final summary: a short table, or one JSON object on one line. */
void cli_print_table(FILE *out, const cli_result *r);
void cli_print_json(FILE *out, const cli_result *r);

/**
 * The start (x, y) the flow would begin from: p's x0/y0 or --init random, then y*(x0) with
 * --init-lower (a solver set up with o->set, no monitor, no log, and read back). x is length
 * p->n, y length p->m.
 * @return SGFBLO_OK or the setup's status (message in err)
 */
sgfblo_status cli_start_state(const sgfblo_problem *p, const sgfblo_settings *set,
                              sgfblo_real *x, sgfblo_real *y, sgfblo_errmsg *err);

/**
 * Set up and run one solve of p with the shared options and report it on stdout
 * (sgfblo_sqcqp_run from cli_start_state's start with --method sqcqp).
 * @return CLI_EXIT_OK, or CLI_EXIT_FAILURE with the status string and the solver's last error
 *         on stderr
 */
/** Print "PROG: running on <backend description>" to stderr (sgfblo_backend_describe). */
void cli_announce_backend(const char *prog, const sgfblo_settings *set);

int cli_solve_and_report(const char *prog, const char *problem_name, const sgfblo_problem *p,
                         cli_run_opts *o);

#endif /* SGFBLO_CLI_CLI_H */
