/* `sgfblo hyperclean`: data hyper-cleaning (MATH.md, Problem 2; the paper's section 4.2) on
   MNIST or on features given as .npy files. Options, help, checks of the command line, and
   the order of the runs: floor, the flow, AID-BiO at the flow's oracle evaluations, ceiling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hyperclean.h"

#define DEFAULT_MNIST_DIR "data/mnist"
#define DEFAULT_N_TRAIN 5000
#define DEFAULT_N_VAL 2500
#define DEFAULT_N_TEST 2500
#define DEFAULT_P 0.4
#define DEFAULT_LAMBDA 0.001
#define DEFAULT_DT 1.0
#define DEFAULT_T_FINAL 100.0

/* The defaults of AID-BiO on this problem, checked on MNIST (README: a grid of beta_in in
   0.1..2 and beta_out in 100..10000 at the paper's sizes). The hypergradient of one sample's
   weight carries the factor 1/N of g, so the outer step scales with N: 0.2 N, which is 1000
   for the paper's N = 5000. */
#define DEFAULT_AID_BETA_IN 1.0
#define DEFAULT_AID_BETA_OUT_PER_SAMPLE 0.2
#define DEFAULT_AID_INNER 10
#define DEFAULT_AID_CG 10

#define STR_(x) #x
#define STR(x) STR_(x)

const char *const hc_file_option[HC_FILE_COUNT] = {"--train-x", "--train-y", "--val-x",
                                                   "--val-y",   "--test-x",  "--test-y",
                                                   "--train-clean-y"};

enum {
  KEY_MNIST = CLI_KEY_SUBCOMMAND,
  KEY_N_TRAIN,
  KEY_N_VAL,
  KEY_N_TEST,
  KEY_CLASSES,
  KEY_SEED,
  KEY_CORRUPT,
  KEY_P,
  KEY_PCA_VAR,
  KEY_PCA_K,
  KEY_NO_PCA,
  KEY_BIAS,
  KEY_LAMBDA,
  KEY_X0,
  KEY_Y0,
  KEY_NO_INIT_LOWER,
  KEY_THREADS,
  KEY_DEVICE_PASS,
  KEY_BASELINE,
  KEY_AID_BETA_IN,
  KEY_AID_BETA_OUT,
  KEY_AID_INNER,
  KEY_AID_CG,
  KEY_QUIET,
  KEY_SAVE_WEIGHTS,
  KEY_SAVE_CLASSIFIER,
  KEY_PLOT,
  KEY_FILE /* KEY_FILE + HC_TRAIN_X ... */
};

static const cli_option DATA_OPTIONS[] = {
    {"mnist", "DIR", KEY_MNIST,
     "MNIST-style IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, or .gz) pooled "
     "and split at random (default " DEFAULT_MNIST_DIR "; tools/fetch_mnist.sh fetches it)"},
    {"n-train", "N", KEY_N_TRAIN, "MNIST: training samples (default " STR(DEFAULT_N_TRAIN) ")"},
    {"n-val", "N", KEY_N_VAL, "MNIST: validation samples (default " STR(DEFAULT_N_VAL) ")"},
    {"n-test", "N", KEY_N_TEST, "MNIST: test samples, >= 0 (default " STR(DEFAULT_N_TEST) ")"},
    {"train-x", "FILE.npy", KEY_FILE + HC_TRAIN_X,
     "instead of --mnist: training features, N x d, float32/float64"},
    {"train-y", "FILE.npy", KEY_FILE + HC_TRAIN_Y,
     "training labels to clean, length N, int32/int64/uint8"},
    {"val-x", "FILE.npy", KEY_FILE + HC_VAL_X, "validation features, Nv x d"},
    {"val-y", "FILE.npy", KEY_FILE + HC_VAL_Y, "validation labels, length Nv"},
    {"test-x", "FILE.npy", KEY_FILE + HC_TEST_X, "test features, Ntest x d (optional)"},
    {"test-y", "FILE.npy", KEY_FILE + HC_TEST_Y, "test labels, length Ntest (with --test-x)"},
    {"train-clean-y", "FILE.npy", KEY_FILE + HC_TRAIN_CLEAN_Y,
     "the true training labels, if known: they define which samples are corrupted (cleaning "
     "precision/recall/F1, the ceiling)"},
    {"classes", "C", KEY_CLASSES,
     "number of classes, >= 2 (default: 10 for MNIST, max label + 1 for files)"},
    {"seed", "S", KEY_SEED,
     "seed of the split (S), the corruption (S + 1) and --init random (default 0)"},
    {NULL, NULL, 0, NULL}};

static const cli_option CORRUPT_OPTIONS[] = {
    {"corrupt", "MODE", KEY_CORRUPT,
     "sample: each of round(p N) samples gets a random wrong label | class: every sample of "
     "round(p C) classes gets its class's wrong label (the paper's code) (default sample)"},
    {"p", "P", KEY_P,
     "fraction corrupted, in [0, 1] (default " STR(DEFAULT_P) " for MNIST; files are corrupted "
     "only when --p is given)"},
    {NULL, NULL, 0, NULL}};

static const cli_option FEATURE_OPTIONS[] = {
    {"pca-var", "V", KEY_PCA_VAR,
     "PCA fitted on the training split keeps the fewest components explaining this fraction of "
     "its variance, in (0, 1] (default 0.9)"},
    {"pca-k", "K", KEY_PCA_K, "PCA keeps K components instead"},
    {"no-pca", NULL, KEY_NO_PCA, "use the features as they are"},
    {"bias", NULL, KEY_BIAS, "append a constant feature 1 (an intercept per class)"},
    {NULL, NULL, 0, NULL}};

static const cli_option PROBLEM_OPTIONS[] = {
    {"lambda", "L", KEY_LAMBDA,
     "ridge weight of g: lambda ||y||_F^2, >= 0 (default " STR(DEFAULT_LAMBDA) ")"},
    {"x0", "FILE.npy", KEY_X0, "initial x (weights sigma(x)), length N (default zeros)"},
    {"y0", "FILE.npy", KEY_Y0,
     "initial classifier, d x C (d after PCA and --bias); implies --no-init-lower unless "
     "--init-lower is given"},
    {"no-init-lower", NULL, KEY_NO_INIT_LOWER, "start the flow from y0 instead of y*(x0)"},
    {"threads", "T", KEY_THREADS,
     "threads the host oracles split each pass over the data across, 0..64 (default 0: the "
     "BLAS's thread count, which OPENBLAS_NUM_THREADS sets); the results do not depend on it"},
    {"device-pass", "P", KEY_DEVICE_PASS,
     "how the CUDA backend runs each product with the data: cublas (two cuBLAS GEMMs with a "
     "row kernel between) | fused (one row-block kernel that reads A once, for C <= 10 with "
     "d <= 1024 or C <= 16 with d <= 512; other shapes keep cuBLAS) (default cublas)"},
    {NULL, NULL, 0, NULL}};

static const cli_option BASELINE_OPTIONS[] = {
    {"baseline", "NAME", KEY_BASELINE,
     "aidbio: AID-BiO from the flow's start, with the flow's oracle evaluations as budget | "
     "none (default aidbio)"},
    {"aid-beta-in", "B", KEY_AID_BETA_IN,
     "AID-BiO inner step on y, > 0 (default " STR(DEFAULT_AID_BETA_IN) ")"},
    {"aid-beta-out", "B", KEY_AID_BETA_OUT,
     "AID-BiO outer step on x, > 0 (default " STR(DEFAULT_AID_BETA_OUT_PER_SAMPLE) " N: 1000 "
     "for N = 5000)"},
    {"aid-inner", "D", KEY_AID_INNER,
     "AID-BiO gradient steps on y per iteration, >= 1 (default " STR(DEFAULT_AID_INNER) ")"},
    {"aid-cg", "K", KEY_AID_CG,
     "AID-BiO conjugate-gradient steps per iteration, >= 1 (default " STR(DEFAULT_AID_CG) ")"},
    {NULL, NULL, 0, NULL}};

static const cli_option RESULT_OPTIONS[] = {
    {"quiet", NULL, KEY_QUIET, "no progress on stderr"},
    {"save-weights", "FILE.npy", KEY_SAVE_WEIGHTS, "write the flow's weights sigma(x), length N"},
    {"save-classifier", "FILE.npy", KEY_SAVE_CLASSIFIER, "write the flow's classifier y, d x C"},
    {"plot", "DIR", KEY_PLOT,
     "write PNG figures and their CSV data into DIR (created if missing); needs gnuplot "
     "(Debian package gnuplot-nox)"},
    {NULL, NULL, 0, NULL}};

/* Help lines of the shared flow options whose defaults differ here. */
static const char *flow_help(int key, const char *shared) {
  switch (key) {
    case CLI_KEY_DT: return "step size (first step for dopri5), > 0 (default " STR(DEFAULT_DT) ")";
    case CLI_KEY_T_FINAL:
      return "final time, > 0 (default " STR(DEFAULT_T_FINAL) "; unbounded with --steps alone)";
    case CLI_KEY_INIT_LOWER:
      return "start the flow from y*(x0) (Newton solve of the lower level; the default unless "
             "--y0 is given)";
    case CLI_KEY_TIME_LIMIT:
      return "give every method row S seconds of wall time, > 0: the flow or SQCQP stops after "
             "S s (exit time_limit; alone, this leaves --t-final / --iters unbounded) and "
             "AID-BiO runs S s instead of to the method's oracle evaluations";
    case CLI_KEY_INIT:
      return "initial state: given (--x0/--y0, zeros where absent) | random (N(0,1) from "
             "--seed) (default given)";
    default: return shared;
  }
}

enum { MAX_FLOW_OPTIONS = 40 };

static void usage(FILE *out, const cli_option_group *groups, int ngroups) {
  fputs("Usage: sgfblo hyperclean [options]\n"
        "\n"
        "Data hyper-cleaning (the paper's section 4.2): learn one weight sigma(x_i) per\n"
        "training sample so that the linear classifier trained on the weighted, partly\n"
        "mislabelled training set does well on a clean validation set:\n"
        "  min_x (1/Nv) sum_j CE_j(Av y*(x)),\n"
        "  y*(x) = argmin_y (1/N) sum_i sigma(x_i) CE_i(A y) + lambda ||y||_F^2.\n"
        "The flow (--method; default rxgf, alpha = eps = 0.1, dt = 1, T = 100, RK4,\n"
        "x0 = 0, starting from y*(x0)) is compared with AID-BiO given the same number\n"
        "of oracle evaluations, and with two classifiers trained with fixed weights:\n"
        "the floor (every sample, no cleaning) and the ceiling (the truly clean samples\n"
        "only). A sample counts as flagged when sigma(x_i) < 1/2; precision, recall and\n"
        "F1 score the flags against the corrupted samples. --method sqcqp runs the\n"
        "sequential QCQP method (at most --iters iterations, default 400) from the same\n"
        "start instead of a flow; AID-BiO then gets its oracle evaluations.\n"
        "--time-limit S compares at equal wall time instead: the method and AID-BiO each\n"
        "run S seconds (the method's own bounds are lifted unless given).\n",
        out);
  cli_print_option_groups(out, groups, ngroups);
  fputs("\n"
        "Progress on stderr (a bar redrawn in place on a terminal, else one line per\n"
        "update): t or iteration, validation loss, test accuracy, ||grad_y g||, ETA;\n"
        "about 20 updates per run unless --monitor-every K. --log writes the flow's\n"
        "trajectory (its hypergrad_norm column is not computed here).\n"
        "\n"
        "Summary on stdout: the data, then one row each for floor, the flow, aidbio and\n"
        "ceiling: test accuracy, validation loss, training accuracy on the noisy labels,\n"
        "cleaning precision/recall/F1, oracle evaluations (gradient and product calls of\n"
        "the iterations; not the start y*(x0), not the monitoring), seconds, exit flag.\n"
        "--json prints one object instead: command; data {source, path, pool, N, Nv,\n"
        "Ntest, d, d_raw, pca_k, pca_explained, bias, C, lambda, p, mode, corrupted,\n"
        "seed}; flow {...}; baseline {...}; rows [{name, kind, available, status, exit,\n"
        "test_acc, val_loss, val_acc, train_acc, precision, recall, f1, f1_random,\n"
        "flagged, oracle_evals, seconds, t, grad_g_norm}]; ok.\n"
        "\n"
        "Exit status: 0 success, 1 a solver failed (its row says why), 2 usage error or\n"
        "bad input file.\n"
        "\n"
        "Examples:\n"
        "  sgfblo hyperclean                       # MNIST, p = 0.4 sample corruption\n"
        "  sgfblo hyperclean --corrupt class --p 0.25 --plot out/\n"
        "  sgfblo hyperclean --train-x A.npy --train-y b.npy --val-x Av.npy \\\n"
        "    --val-y bv.npy --train-clean-y b_true.npy --no-pca --json\n",
        out);
}

static int parse_double_in(const char *opt, const char *arg, double lo, int lo_open, double hi,
                           double *out) {
  const int rc = cli_parse_double(HC_PROG, opt, arg, out);
  if (rc != CLI_EXIT_OK) return rc;
  if (*out < lo || (lo_open && *out == lo) || *out > hi)
    return cli_usage_error(HC_PROG, "%s: %s is outside %s%g, %g]", opt, arg, lo_open ? "(" : "[",
                           lo, hi);
  return CLI_EXIT_OK;
}

static int parse_int(const char *opt, const char *arg, int *out) {
  int64_t v;
  const int rc = cli_parse_int64(HC_PROG, opt, arg, INT32_MIN, INT32_MAX, &v);
  if (rc == CLI_EXIT_OK) *out = (int)v;
  return rc;
}

static int parse_count(const char *opt, const char *arg, int64_t lo, int64_t *out) {
  return cli_parse_int64(HC_PROG, opt, arg, lo, INT32_MAX, out);
}

/* arg is one of a, b: *out = 0 or 1; else a usage error listing both. */
static int pick2(const char *opt, const char *arg, const char *a, const char *b, int *out) {
  if (strcmp(arg, a) == 0 || strcmp(arg, b) == 0) {
    *out = strcmp(arg, b) == 0;
    return CLI_EXIT_OK;
  }
  return cli_usage_error(HC_PROG, "%s: unknown value '%s' (one of %s, %s)", opt, arg, a, b);
}

static int on_option(int key, const char *arg, void *data) {
  hc_opts *o = data;
  int rc, v = 0;
  if (key == CLI_KEY_INIT_LOWER) o->init_lower_given = 1;
  if (key == CLI_KEY_MONITOR_EVERY) o->monitor_every_given = 1;
  rc = cli_run_option(HC_PROG, key, arg, &o->run);
  if (rc != -1) return rc;
  switch (key) {
    case KEY_MNIST:
      o->mnist_dir = arg;
      o->mnist_given = 1;
      return CLI_EXIT_OK;
    case KEY_N_TRAIN: o->sizes_given = 1; return parse_count("--n-train", arg, 1, &o->n_train);
    case KEY_N_VAL: o->sizes_given = 1; return parse_count("--n-val", arg, 1, &o->n_val);
    case KEY_N_TEST: o->sizes_given = 1; return parse_count("--n-test", arg, 0, &o->n_test);
    case KEY_CLASSES: return parse_count("--classes", arg, 2, &o->classes);
    case KEY_SEED: return cli_parse_uint64(HC_PROG, "--seed", arg, &o->seed);
    case KEY_CORRUPT:
      o->corrupt_given = 1;
      rc = pick2("--corrupt", arg, "sample", "class", &v);
      o->corrupt = v ? SGFBLO_CORRUPT_CLASS : SGFBLO_CORRUPT_SAMPLE;
      return rc;
    case KEY_P: o->p_given = 1; return parse_double_in("--p", arg, 0, 0, 1, &o->p);
    case KEY_PCA_VAR:
      o->pca_var_given = 1;
      return parse_double_in("--pca-var", arg, 0, 1, 1, &o->pca_var);
    case KEY_PCA_K: return parse_count("--pca-k", arg, 1, &o->pca_k);
    case KEY_NO_PCA: o->no_pca = 1; return CLI_EXIT_OK;
    case KEY_BIAS: o->bias = 1; return CLI_EXIT_OK;
    case KEY_LAMBDA: return parse_double_in("--lambda", arg, 0, 0, INFINITY, &o->lambda);
    case KEY_X0: o->x0_path = arg; return CLI_EXIT_OK;
    case KEY_Y0: o->y0_path = arg; return CLI_EXIT_OK;
    case KEY_NO_INIT_LOWER: o->no_init_lower = 1; return CLI_EXIT_OK;
    case KEY_THREADS: {
      int64_t t = 0;
      rc = cli_parse_int64(HC_PROG, "--threads", arg, 0, 64, &t);
      o->threads = (int)t;
      return rc;
    }
    case KEY_DEVICE_PASS:
      rc = pick2("--device-pass", arg, "cublas", "fused", &v);
      o->device_pass = v ? SGFBLO_HC_DEVICE_PASS_FUSED : SGFBLO_HC_DEVICE_PASS_CUBLAS;
      return rc;
    case KEY_BASELINE:
      rc = pick2("--baseline", arg, "aidbio", "none", &v);
      o->baseline = v ? HC_BASELINE_NONE : HC_BASELINE_AIDBIO;
      return rc;
    case KEY_AID_BETA_IN: return cli_parse_double(HC_PROG, "--aid-beta-in", arg, &o->aid.beta_in);
    case KEY_AID_BETA_OUT:
      o->aid_beta_out_given = 1;
      return cli_parse_double(HC_PROG, "--aid-beta-out", arg, &o->aid.beta_out);
    case KEY_AID_INNER: return parse_int("--aid-inner", arg, &o->aid.inner_steps);
    case KEY_AID_CG: return parse_int("--aid-cg", arg, &o->aid.cg_steps);
    case KEY_QUIET: o->quiet = 1; return CLI_EXIT_OK;
    case KEY_SAVE_WEIGHTS: o->save_weights = arg; return CLI_EXIT_OK;
    case KEY_SAVE_CLASSIFIER: o->save_classifier = arg; return CLI_EXIT_OK;
    case KEY_PLOT: o->plot_dir = arg; return CLI_EXIT_OK;
    default:
      if (key >= KEY_FILE && key < KEY_FILE + HC_FILE_COUNT) {
        o->file[key - KEY_FILE] = arg;
        return CLI_EXIT_OK;
      }
      return cli_usage_error(HC_PROG, "internal error: unhandled option key %d", key);
  }
}

static void opts_init(hc_opts *o) {
  memset(o, 0, sizeof *o);
  cli_run_opts_init(&o->run);
  o->run.set.method = SGFBLO_METHOD_RXGF;
  o->run.set.integrator = SGFBLO_INTEG_RK4;
  o->run.set.alpha = 0.1;
  o->run.set.epsilon = 0.1;
  o->run.set.dt = DEFAULT_DT;
  o->run.set.t_final = DEFAULT_T_FINAL;
  o->mnist_dir = DEFAULT_MNIST_DIR;
  o->n_train = DEFAULT_N_TRAIN;
  o->n_val = DEFAULT_N_VAL;
  o->n_test = DEFAULT_N_TEST;
  o->p = DEFAULT_P;
  o->pca_var = SGFBLO_DEFAULT_PCA_VARIANCE;
  o->lambda = DEFAULT_LAMBDA;
  o->baseline = HC_BASELINE_AIDBIO;
  sgfblo_aidbio_settings_default(&o->aid);
  o->aid.beta_in = DEFAULT_AID_BETA_IN;
  o->aid.beta_out = 1.0; /* replaced by DEFAULT_AID_BETA_OUT_PER_SAMPLE N once N is known */
  o->aid.inner_steps = DEFAULT_AID_INNER;
  o->aid.cg_steps = DEFAULT_AID_CG;
}

/* The AID-BiO field a validation message starts with, and its option. */
static int aid_settings_check(const hc_opts *o) {
  static const struct {
    const char *field, *option;
  } MAP[] = {{"beta_in", "--aid-beta-in"},
             {"beta_out", "--aid-beta-out"},
             {"inner_steps", "--aid-inner"},
             {"cg_steps", "--aid-cg"}};
  char msg[256];
  if (sgfblo_aidbio_settings_validate(&o->aid, msg, sizeof msg) == SGFBLO_OK) return CLI_EXIT_OK;
  for (size_t i = 0; i < sizeof MAP / sizeof MAP[0]; ++i)
    if (strncmp(msg, MAP[i].field, strlen(MAP[i].field)) == 0 &&
        msg[strlen(MAP[i].field)] == ' ')
      return cli_usage_error(HC_PROG, "%s: %s", MAP[i].option, msg);
  return cli_usage_error(HC_PROG, "invalid AID-BiO settings: %s", msg);
}

/* Combinations the parser cannot see, and the output paths. */
static int check_options(hc_opts *o) {
  int any_file = 0;
  for (int i = 0; i < HC_FILE_COUNT; ++i) any_file |= o->file[i] != NULL;
  if (any_file) {
    if (o->mnist_given)
      return cli_usage_error(HC_PROG, "give either --mnist or the --train-x ... files, not both");
    for (int i = HC_TRAIN_X; i <= HC_VAL_Y; ++i)
      if (!o->file[i])
        return cli_usage_error(HC_PROG, "%s is missing: the files need --train-x, --train-y, "
                               "--val-x and --val-y", hc_file_option[i]);
    if (!o->file[HC_TEST_X] != !o->file[HC_TEST_Y])
      return cli_usage_error(HC_PROG, "give --test-x and --test-y together");
    if (o->sizes_given)
      return cli_usage_error(HC_PROG, "--n-train/--n-val/--n-test split MNIST; the files are "
                             "already split");
    if (o->p_given && o->file[HC_TRAIN_CLEAN_Y])
      return cli_usage_error(HC_PROG, "--p corrupts the given labels; with --train-clean-y they "
                             "are corrupted already: give one of the two");
    if (o->corrupt_given && !o->p_given)
      return cli_usage_error(HC_PROG, "--corrupt needs --p with files (they are not corrupted "
                             "otherwise)");
  }
  if (o->no_pca && (o->pca_var_given || o->pca_k))
    return cli_usage_error(HC_PROG, "--no-pca contradicts --pca-var/--pca-k");
  if (o->pca_var_given && o->pca_k)
    return cli_usage_error(HC_PROG, "give --pca-var or --pca-k, not both");
  if (o->init_lower_given && o->no_init_lower)
    return cli_usage_error(HC_PROG, "give --init-lower or --no-init-lower, not both");
  o->run.set.init_lower = o->init_lower_given || (!o->no_init_lower && !o->y0_path);
  if (o->run.set.init == SGFBLO_INIT_RANDOM && (o->x0_path || o->y0_path))
    return cli_usage_error(HC_PROG, "--x0/--y0 need --init given (the default), not --init random");
  int rc = aid_settings_check(o);
  const struct {
    const char *opt, *path;
  } outputs[] = {{"--log", o->run.set.log_path},
                 {"--save-weights", o->save_weights},
                 {"--save-classifier", o->save_classifier}};
  for (size_t i = 0; rc == CLI_EXIT_OK && i < sizeof outputs / sizeof outputs[0]; ++i)
    if (outputs[i].path) rc = hc_check_output_path(outputs[i].opt, outputs[i].path);
  if (rc == CLI_EXIT_OK && o->plot_dir) rc = hc_plot_check(o->plot_dir);
  return rc;
}

static void announce(const hc_opts *o, const hc_data *d) {
  if (o->quiet) return;
  fprintf(stderr, "hyperclean: N = %lld, Nv = %lld, Ntest = %lld, d = %lld, C = %lld",
          (long long)hc_N(d), (long long)d->split.val.n, (long long)d->split.test.n,
          (long long)hc_dim(d), (long long)hc_classes(d));
  if (d->has_mask) fprintf(stderr, ", %lld labels corrupted", (long long)d->corr.num_corrupted);
  fputc('\n', stderr);
  cli_announce_backend("hyperclean", &o->run.set);
  if (o->run.set.backend == SGFBLO_BACKEND_CPU)
    fprintf(stderr, "hyperclean: host oracles on %d thread(s)\n", sgfblo_hyperclean_threads(d->hc));
  /* The device copy that setup would make, made here to say how its products run; a
     failure is left for setup to report. */
  if (o->run.set.backend == SGFBLO_BACKEND_CUDA &&
      sgfblo_hyperclean_to_device(d->hc, o->run.set.device_id, NULL) == SGFBLO_OK)
    fprintf(stderr, "hyperclean: products on the device: %s\n",
            sgfblo_hyperclean_device_pass(d->hc) == SGFBLO_HC_DEVICE_PASS_FUSED
                ? "fused row-block passes"
                : "cuBLAS GEMMs");
}

static int run_all(hc_opts *o, const hc_data *d, hc_row *rows, int *nrows) {
  int rc = CLI_EXIT_OK, k = 0;
  hc_row *floor_row = &rows[k++], *flow = &rows[k++], *aid = NULL, *ceil_row;
  hc_row_init(floor_row, "floor", 0);
  hc_row_init(flow, cli_method_name(&o->run), 1);
  if (o->baseline == HC_BASELINE_AIDBIO) {
    aid = &rows[k++];
    hc_row_init(aid, "aidbio", 1);
  }
  ceil_row = &rows[k++];
  hc_row_init(ceil_row, "ceiling", 0);
  *nrows = k;

  const int64_t N = hc_N(d), m = hc_dim(d) * hc_classes(d);
  sgfblo_real *x_start = calloc((size_t)N, sizeof *x_start);
  sgfblo_real *y_start = calloc((size_t)m, sizeof *y_start);
  if (!x_start || !y_start) {
    free(x_start);
    free(y_start);
    fprintf(stderr, "%s: out of memory\n", HC_PROG);
    return CLI_EXIT_FAILURE;
  }
  int step_rc = hc_run_reference(d, o, 0, floor_row);
  if (step_rc != CLI_EXIT_OK) rc = step_rc;
  step_rc = o->run.sqcqp ? hc_run_sqcqp(d, o, flow, x_start, y_start)
                         : hc_run_flow(d, o, flow, x_start, y_start);
  if (step_rc != CLI_EXIT_OK) rc = step_rc;
  if (aid) {
    /* Equal wall time (--time-limit): AID-BiO's budget is the limit; else the method's
       oracle evaluations. Either way it starts where the method started. */
    const int by_time = o->run.time_limit_given;
    if (flow->status == SGFBLO_OK && (by_time || flow->oracle_evals > 0)) {
      step_rc = hc_run_aidbio(d, o, by_time ? 0 : flow->oracle_evals, x_start, y_start, aid);
      if (step_rc != CLI_EXIT_OK) rc = step_rc;
    } else {
      aid->available = 0;
      aid->note = by_time ? "it starts where the method started, and the method failed"
                          : "its budget is the method's oracle evaluations, and the method "
                            "failed";
    }
  }
  step_rc = hc_run_reference(d, o, 1, ceil_row);
  if (step_rc != CLI_EXIT_OK) rc = step_rc;
  free(x_start);
  free(y_start);
  return rc;
}

int cli_hyperclean_main(int argc, char **argv) {
  hc_opts o;
  hc_data d;
  hc_row rows[4];
  int nrows = 0;
  cli_option flow_options[MAX_FLOW_OPTIONS];
  int k = 0;
  for (const cli_option *c = cli_flow_options; c->name && k + 1 < MAX_FLOW_OPTIONS; ++c, ++k) {
    flow_options[k] = *c;
    flow_options[k].help = flow_help(c->key, c->help);
  }
  flow_options[k] = (cli_option){NULL, NULL, 0, NULL};
  const cli_option_group groups[] = {{"Data", DATA_OPTIONS},
                                     {"Label corruption", CORRUPT_OPTIONS},
                                     {"Features", FEATURE_OPTIONS},
                                     {"Problem and start", PROBLEM_OPTIONS},
                                     {"Flow options", flow_options},
                                     {"SQCQP options (--method sqcqp)", cli_sqcqp_options},
                                     {"Baseline", BASELINE_OPTIONS},
                                     {"Output options", cli_output_options},
                                     {"Results", RESULT_OPTIONS}};
  const int ngroups = (int)(sizeof groups / sizeof groups[0]);

  opts_init(&o);
  memset(&d, 0, sizeof d);
  int rc = cli_parse(HC_PROG, argc, argv, groups, ngroups, on_option, &o);
  if (rc != CLI_EXIT_OK) return rc;
  if (o.run.help) {
    usage(stdout, groups, ngroups);
    return CLI_EXIT_OK;
  }
  if (o.run.version) {
    printf("sgfblo %s\n", sgfblo_version());
    return CLI_EXIT_OK;
  }
  o.run.set.init_seed = o.seed;
  rc = cli_run_opts_finish(HC_PROG, &o.run);
  if (rc == CLI_EXIT_OK) rc = check_options(&o);
  if (rc == CLI_EXIT_OK) rc = hc_data_prepare(&o, &d);
  if (rc != CLI_EXIT_OK) {
    hc_data_free(&d);
    return rc;
  }
  if (!o.aid_beta_out_given) o.aid.beta_out = DEFAULT_AID_BETA_OUT_PER_SAMPLE * (double)hc_N(&d);
  announce(&o, &d);
  rc = run_all(&o, &d, rows, &nrows);
  if (o.run.json)
    hc_print_json(stdout, &o, &d, rows, nrows);
  else
    hc_print_table(stdout, &o, &d, rows, nrows);
  fflush(stdout);
  const int save_rc = hc_save_outputs(&o, &d, &rows[1]);
  if (rc == CLI_EXIT_OK) rc = save_rc;
  if (o.plot_dir) {
    const int plot_rc = hc_plot_write(o.plot_dir, &o, &d, rows, nrows);
    if (rc == CLI_EXIT_OK) rc = plot_rc;
  }
  for (int i = 0; i < nrows; ++i) hc_row_free(&rows[i]);
  hc_data_free(&d);
  return rc;
}
