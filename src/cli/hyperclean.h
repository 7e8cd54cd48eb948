/* `sgfblo hyperclean`: data hyper-cleaning (MATH.md, Problem 2) from the command line.
   Private to src/cli. The subcommand is split by job, one file each:
     hyperclean.c           options, help, and the order of the runs
     hyperclean_data.c      MNIST or .npy files -> split, corruption, PCA, the problem instance
     hyperclean_runs.c      the flow or SQCQP, AID-BiO at equal oracle evaluations, floor and
                            ceiling
     hyperclean_monitor.c   the monitor callback: curves and the progress display on stderr
     hyperclean_capture.c   a problem wrapper that keeps AID-BiO's iterate for the monitor
     hyperclean_report.c    the final table, or one JSON object
     hyperclean_output.c    --save-weights / --save-classifier, output path checks
     hyperclean_plot.c      --plot: CSV files and PNG figures drawn by gnuplot */
#ifndef SGFBLO_CLI_HYPERCLEAN_H
#define SGFBLO_CLI_HYPERCLEAN_H

#include "cli/cli.h"
#include "sgfblo/sgfblo_aidbio.h"
#include "sgfblo/sgfblo_metrics.h"

#define HC_PROG "sgfblo hyperclean"

/* ---------------------------------------------------------------- options -- */

/** The .npy inputs of a ready-made split, in the order of their options. */
enum {
  HC_TRAIN_X,
  HC_TRAIN_Y,
  HC_VAL_X,
  HC_VAL_Y,
  HC_TEST_X,
  HC_TEST_Y,
  HC_TRAIN_CLEAN_Y,
  HC_FILE_COUNT
};
extern const char *const hc_file_option[HC_FILE_COUNT]; /**< "--train-x", ... */

typedef enum { HC_BASELINE_AIDBIO = 0, HC_BASELINE_NONE } hc_baseline;

/** Everything the command line sets. */
typedef struct {
  cli_run_opts run;        /**< the flow and output options shared with `synthetic` */
  const char *mnist_dir;   /**< --mnist (default data/mnist when no file is given) */
  int mnist_given;
  const char *file[HC_FILE_COUNT]; /**< --train-x ... --train-clean-y */
  int64_t n_train, n_val, n_test;  /**< split sizes (MNIST) */
  int sizes_given;                 /**< one of --n-train/--n-val/--n-test was given */
  int64_t classes;                 /**< --classes: C, or 0 (MNIST: 10; files: max label + 1) */
  sgfblo_corrupt_mode corrupt;     /**< --corrupt */
  int corrupt_given;
  double p; /**< --p: fraction corrupted */
  int p_given;
  double pca_var; /**< --pca-var */
  int pca_var_given;
  int64_t pca_k; /**< --pca-k, 0 when choosing by variance */
  int no_pca, bias;
  double lambda;                  /**< --lambda: ridge weight of g */
  int threads;                    /**< --threads: host oracle threads (0: the default) */
  sgfblo_hc_device_pass device_pass; /**< --device-pass (0: the library's default) */
  const char *x0_path, *y0_path;  /**< --x0, --y0 */
  uint64_t seed;                  /**< --seed: split, corruption and --init random */
  const char *save_weights;       /**< --save-weights FILE.npy */
  const char *save_classifier;    /**< --save-classifier FILE.npy */
  const char *plot_dir;           /**< --plot DIR */
  hc_baseline baseline;           /**< --baseline */
  sgfblo_aidbio_settings aid;     /**< --aid-* */
  int aid_beta_out_given;         /**< else beta_out scales with N */
  int quiet;                      /**< --quiet: no progress on stderr */
  int monitor_every_given;        /**< --monitor-every was given (else ~20 updates per run) */
  int init_lower_given;           /**< --init-lower */
  int no_init_lower;              /**< --no-init-lower */
} hc_opts;

/* ------------------------------------------------------------------- data -- */

/** The prepared instance. */
typedef struct {
  sgfblo_split split;     /**< train (labels: the noisy ones the cleaner sees), val, test */
  sgfblo_corruption corr; /**< clean/noisy/mask when known (has_mask), else zeroed */
  int has_mask;           /**< the corrupted samples are known (metrics, ceiling) */
  int corrupted_here;     /**< the labels were corrupted by this run (--p), not given */
  int from_mnist;         /**< 1: MNIST pool; 0: .npy files */
  int64_t pool;           /**< MNIST: samples in the pool */
  int64_t d_raw;          /**< features before PCA */
  int64_t pca_k;          /**< components kept (0: no PCA) */
  double pca_explained;   /**< fraction of the training variance they keep */
  sgfblo_hyperclean *hc;  /**< the problem instance */
  sgfblo_real *x0;        /**< --x0 (length N) or NULL */
  sgfblo_real *y0;        /**< --y0 (d x C) or NULL */
} hc_data;

/** Load, split, corrupt, reduce and build the instance. @return CLI_EXIT_* */
int hc_data_prepare(const hc_opts *o, hc_data *d);
void hc_data_free(hc_data *d);
/** N, Nv, Ntest, d (after PCA and bias), C. */
int64_t hc_N(const hc_data *d);
int64_t hc_dim(const hc_data *d);
int64_t hc_classes(const hc_data *d);

/* ------------------------------------------------------------------- rows -- */

/** One monitoring point of a run. */
typedef struct {
  double t;           /**< flow time, or AID-BiO outer iterations */
  double seconds;     /**< wall time since the run started */
  int64_t oracle;     /**< oracle evaluations of the method so far */
  double val_loss;    /**< f: mean validation cross-entropy */
  double test_acc;    /**< NAN without a test split */
  double grad_g_norm; /**< ||grad_y g|| */
} hc_point;

/** One line of the final table. */
typedef struct {
  char name[32];          /**< "floor", the method's name, "aidbio", "ceiling" */
  int is_method;          /**< a cleaning method (x, weights, oracle counts) */
  int available;          /**< computed (the ceiling needs the corruption mask) */
  const char *note;       /**< why it is not available, or NULL */
  sgfblo_status status;   /**< how its computation ended */
  const char *exit;       /**< exit flag name ("t_final", "max_steps", ...) */
  char error[600];        /**< solver message when status != SGFBLO_OK */
  double test_acc, val_loss, train_acc, val_acc; /**< NAN where not computed */
  int has_cleaning;                /**< precision/recall/F1 computed */
  sgfblo_cleaning_metrics clean;   /**< against the corruption mask */
  int64_t flagged;                 /**< samples with sigma(x_i) < 1/2 */
  int64_t oracle_evals;            /**< -1: not counted (floor, ceiling) */
  double seconds;                  /**< wall time of the run */
  double t_end;                    /**< final t (flow) or iterations (AID-BiO) */
  double grad_g_norm;              /**< ||grad_y g|| at the end (methods) */
  sgfblo_real *x;                  /**< final upper variable (methods), length N */
  sgfblo_real *y;                  /**< final classifier, d x C */
  hc_point *curve;                 /**< monitoring points */
  int64_t ncurve, capcurve;
} hc_row;

void hc_row_init(hc_row *r, const char *name, int is_method);
void hc_row_free(hc_row *r);
/** Append a monitoring point. @return 0, or -1 when out of memory */
int hc_row_add_point(hc_row *r, const hc_point *pt);
/** Test/validation/train metrics of r->y and, for methods, cleaning metrics of r->x. */
int hc_row_evaluate(const hc_data *d, hc_row *r);

/* ------------------------------------------------------------------- runs -- */

/**
 * Floor (ceiling = 0: every sample kept) or ceiling (ceiling = 1: the corrupted samples
 * dropped): the classifier trained with fixed weights. @return CLI_EXIT_*
 */
int hc_run_reference(const hc_data *d, const hc_opts *o, int ceiling, hc_row *r);

/**
 * The flow given by the shared options. x_start/y_start (length N, d*C) receive the state
 * the flow started from (after --init-lower), for the baseline. @return CLI_EXIT_*
 */
int hc_run_flow(const hc_data *d, hc_opts *o, hc_row *r, sgfblo_real *x_start,
                sgfblo_real *y_start);

/**
 * --method sqcqp: the sequential QCQP method from the flow's start (--x0/--y0, --init,
 * --init-lower), which x_start/y_start receive for the baseline. @return CLI_EXIT_*
 */
int hc_run_sqcqp(const hc_data *d, const hc_opts *o, hc_row *r, sgfblo_real *x_start,
                 sgfblo_real *y_start);

/**
 * AID-BiO from (x_start, y_start) with the oracle budget `budget` (0: none), or, with
 * --time-limit, for the limit's seconds (then budget is ignored). @return CLI_EXIT_*
 */
int hc_run_aidbio(const hc_data *d, const hc_opts *o, int64_t budget, const sgfblo_real *x_start,
                  const sgfblo_real *y_start, hc_row *r);

/* ---------------------------------------------------------------- monitor -- */

/** What the monitor callback needs; one per run. */
typedef struct {
  const hc_data *data;
  hc_row *row;
  int show;                      /**< draw progress on stderr */
  int tty;                       /**< stderr is a terminal: one bar redrawn with \r */
  const sgfblo_solver *solver;   /**< the flow's solver (state read with get_state), or NULL */
  const sgfblo_real *y_seen;     /**< else: the iterate AID-BiO / SQCQP last evaluated f at */
  double t_final;                /**< flow: progress is t / t_final ... */
  int64_t max_steps;             /**< ... or step / max_steps, whichever is further */
  int64_t budget;                /**< AID-BiO, SQCQP: progress is oracle / budget (0: iterations) */
  int64_t max_iters;             /**< ... or iterations / max_iters */
  double time_limit;             /**< any run: or seconds / time_limit (0: none) */
  int64_t reports;               /**< monitoring points so far */
  double wall0;                  /**< wall-clock start */
  sgfblo_real *y;                /**< scratch, d x C */
  int width;                     /**< length of the last bar drawn */
  int failed;                    /**< out of memory while recording */
} hc_monitor;

/** Wall-clock seconds (monotonic enough for durations). */
double hc_now(void);
/** Set up for one run; allocates the scratch. @return 0 or -1 (out of memory) */
int hc_monitor_init(hc_monitor *m, const hc_data *d, hc_row *row, int show);
/** sgfblo_monitor_fn: record the point, draw the progress. Never stops the run. */
int hc_monitor_cb(const sgfblo_progress *p, void *data);
/** End the bar's line on a terminal; free the scratch. */
void hc_monitor_done(hc_monitor *m);

/* ---------------------------------------------------------------- capture -- */

/** A problem whose callbacks forward to another, keeping a copy of the last (x, y) that f
    was evaluated at: AID-BiO evaluates f only at its iterates, when it reports progress. */
typedef struct {
  sgfblo_problem inner;
  sgfblo_real *y_seen; /**< length m */
  int seen;            /**< y_seen holds an iterate */
} hc_capture;

/** Fill *out to forward to *inner through c (which must outlive it). @return 0 or -1 */
int hc_capture_init(hc_capture *c, const sgfblo_problem *inner, sgfblo_problem *out);
void hc_capture_free(hc_capture *c);

/* ----------------------------------------------------------------- output -- */

/** The directory of path exists and is writable; else a usage error naming opt. */
int hc_check_output_path(const char *opt, const char *path);
/** --save-weights sigma(x) and --save-classifier y of the flow row. @return CLI_EXIT_* */
int hc_save_outputs(const hc_opts *o, const hc_data *d, const hc_row *flow);

/** The final table on out. */
void hc_print_table(FILE *out, const hc_opts *o, const hc_data *d, const hc_row *rows, int nrows);
/** One JSON object on one line. */
void hc_print_json(FILE *out, const hc_opts *o, const hc_data *d, const hc_row *rows, int nrows);

/** --plot: gnuplot on PATH and DIR creatable; else a message naming gnuplot-nox. */
int hc_plot_check(const char *dir);
/** Write the curves as CSV and draw the PNG figures into dir. @return CLI_EXIT_* */
int hc_plot_write(const char *dir, const hc_opts *o, const hc_data *d, const hc_row *rows,
                  int nrows);

#endif /* SGFBLO_CLI_HYPERCLEAN_H */
