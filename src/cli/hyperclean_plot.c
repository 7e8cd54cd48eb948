/* --plot DIR: the curves of the runs as CSV files, and PNG figures drawn from them by
   gnuplot (an optional run-time dependency, looked up on PATH before anything is computed):
     val_loss_vs_time.png   val_loss_vs_oracle.png   validation loss of each method
     test_acc_vs_time.png   test_acc_vs_oracle.png   test accuracy (when there is a test split)
     grad_g_vs_t.png        ||grad_y g|| along the flow, against the eps line (RXGF)
   with the floor and the ceiling as horizontal lines. The data sit next to the PNGs:
   curve_<method>.csv (t,seconds,oracle_evals,val_loss,test_acc,grad_g_norm), references.csv,
   and the script plots.gp, so a figure can be redrawn or restyled by hand. */
#define _POSIX_C_SOURCE 200809L /* mkdir */

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/hyperclean.h"

#define GNUPLOT_PACKAGE "gnuplot-nox"

/* mkdir -p */
static int make_dirs(const char *dir) {
  char buf[4096];
  if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf) return -1;
  for (char *p = buf + 1; *p; ++p) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
  struct stat st;
  return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int hc_plot_check(const char *dir) {
  if (system("command -v gnuplot >/dev/null 2>&1") != 0)
    return cli_input_error(HC_PROG,
                           "--plot needs gnuplot, which is not on PATH: install the Debian "
                           "package " GNUPLOT_PACKAGE " (apt-get install " GNUPLOT_PACKAGE
                           "), or leave out --plot");
  if (make_dirs(dir) != 0)
    return cli_input_error(HC_PROG, "--plot %s: cannot create the directory: %s", dir,
                           strerror(errno));
  return CLI_EXIT_OK;
}

static FILE *open_in(const char *dir, const char *name, char *path, size_t len) {
  snprintf(path, len, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) fprintf(stderr, "%s: --plot: cannot write %s: %s\n", HC_PROG, path, strerror(errno));
  return f;
}

static int close_checked(FILE *f, const char *path) {
  const int bad = ferror(f);
  if (fclose(f) != 0 || bad) {
    fprintf(stderr, "%s: --plot: writing %s failed\n", HC_PROG, path);
    return CLI_EXIT_FAILURE;
  }
  return CLI_EXIT_OK;
}

static void csv_num(FILE *f, double v, const char *sep) {
  if (isfinite(v))
    fprintf(f, "%.10g%s", v, sep);
  else
    fprintf(f, "nan%s", sep);
}

static int write_curve(const char *dir, const hc_row *r) {
  char name[64], path[4200];
  snprintf(name, sizeof name, "curve_%s.csv", r->name);
  FILE *f = open_in(dir, name, path, sizeof path);
  if (!f) return CLI_EXIT_FAILURE;
  fprintf(f, "t,seconds,oracle_evals,val_loss,test_acc,grad_g_norm\n");
  for (int64_t i = 0; i < r->ncurve; ++i) {
    const hc_point *p = &r->curve[i];
    csv_num(f, p->t, ",");
    csv_num(f, p->seconds, ",");
    fprintf(f, "%lld,", (long long)p->oracle);
    csv_num(f, p->val_loss, ",");
    csv_num(f, p->test_acc, ",");
    csv_num(f, p->grad_g_norm, "\n");
  }
  return close_checked(f, path);
}

static int write_references(const char *dir, const hc_row *rows, int nrows) {
  char path[4200];
  FILE *f = open_in(dir, "references.csv", path, sizeof path);
  if (!f) return CLI_EXIT_FAILURE;
  fprintf(f, "name,test_acc,val_loss,train_acc\n");
  for (int i = 0; i < nrows; ++i) {
    if (rows[i].is_method || !rows[i].available || rows[i].status != SGFBLO_OK) continue;
    fprintf(f, "%s,", rows[i].name);
    csv_num(f, rows[i].test_acc, ",");
    csv_num(f, rows[i].val_loss, ",");
    csv_num(f, rows[i].train_acc, "\n");
  }
  return close_checked(f, path);
}

static int usable(const hc_row *r) { return r->available && r->status == SGFBLO_OK; }

/* One figure: every method's column ycol against xcol, the references' value as lines. */
static void figure(FILE *g, const char *png, const char *title, const char *xlabel,
                   const char *ylabel, int xcol, int ycol, int ref_is_acc, const hc_row *rows,
                   int nrows) {
  fprintf(g, "set output '%s'\nset title '%s'\nset xlabel '%s'\nset ylabel '%s'\nplot ", png,
          title, xlabel, ylabel);
  int first = 1;
  for (int i = 0; i < nrows; ++i) {
    const hc_row *r = &rows[i];
    if (!r->is_method || r->ncurve == 0) continue;
    fprintf(g, "%s'curve_%s.csv' every ::1 using %d:%d with linespoints pt 7 ps 0.5 title '%s'",
            first ? "" : ", ", r->name, xcol, ycol, r->name);
    first = 0;
  }
  for (int i = 0; i < nrows; ++i) {
    const hc_row *r = &rows[i];
    const double v = ref_is_acc ? r->test_acc : r->val_loss;
    if (r->is_method || !usable(r) || !isfinite(v)) continue;
    fprintf(g, "%s%.10g with lines dt 2 lw 1.5 title '%s'", first ? "" : ", ", v, r->name);
    first = 0;
  }
  fputc('\n', g);
}

static int write_script(const char *dir, const hc_opts *o, const hc_data *d, const hc_row *rows,
                        int nrows) {
  char path[4200];
  FILE *g = open_in(dir, "plots.gp", path, sizeof path);
  if (!g) return CLI_EXIT_FAILURE;
  fprintf(g, "# Drawn by sgfblo hyperclean --plot; run 'gnuplot plots.gp' in this directory.\n"
          "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
          "  set terminal pngcairo size 900,600 noenhanced\n"
          "} else {\n"
          "  set terminal png size 900,600 noenhanced\n"
          "}\n"
          "set datafile separator ','\nset datafile missing 'nan'\n"
          "set grid\nset key outside right top\n");
  const int has_test = d->split.test.n > 0;
  figure(g, "val_loss_vs_time.png", "Validation loss", "wall time (s)", "validation loss", 2, 4, 0,
         rows, nrows);
  figure(g, "val_loss_vs_oracle.png", "Validation loss", "oracle evaluations", "validation loss",
         3, 4, 0, rows, nrows);
  if (has_test) {
    figure(g, "test_acc_vs_time.png", "Test accuracy", "wall time (s)", "test accuracy", 2, 5, 1,
           rows, nrows);
    figure(g, "test_acc_vs_oracle.png", "Test accuracy", "oracle evaluations", "test accuracy", 3,
           5, 1, rows, nrows);
  }
  const hc_row *flow = nrows > 1 ? &rows[1] : NULL;
  if (flow && flow->is_method && flow->ncurve > 0) {
    fprintf(g, "set output 'grad_g_vs_t.png'\nset title '||grad_y g|| along the flow (%s)'\n"
            "set xlabel 't'\nset ylabel '||grad_y g||'\nset yrange [0:*]\nplot "
            "'curve_%s.csv' every ::1 using 1:6 with linespoints pt 7 ps 0.5 title '%s'",
            flow->name, flow->name, flow->name);
    if (o->run.set.method == SGFBLO_METHOD_RXGF)
      fprintf(g, ", %.10g with lines dt 2 lw 1.5 title 'eps = %g'", o->run.set.epsilon,
              o->run.set.epsilon);
    fprintf(g, "\nset autoscale y\n");
  }
  return close_checked(g, path);
}

/* The directory as one single-quoted shell word. */
static int shell_quote(const char *s, char *out, size_t len) {
  size_t k = 0;
  if (len < 3) return -1;
  out[k++] = '\'';
  for (; *s; ++s) {
    const char *piece = *s == '\'' ? "'\\''" : NULL;
    const size_t plen = piece ? 4 : 1;
    if (k + plen + 2 > len) return -1;
    if (piece)
      memcpy(out + k, piece, plen);
    else
      out[k] = *s;
    k += plen;
  }
  out[k++] = '\'';
  out[k] = '\0';
  return 0;
}

int hc_plot_write(const char *dir, const hc_opts *o, const hc_data *d, const hc_row *rows,
                  int nrows) {
  int rc = CLI_EXIT_OK;
  for (int i = 0; i < nrows && rc == CLI_EXIT_OK; ++i)
    if (rows[i].is_method && rows[i].ncurve > 0) rc = write_curve(dir, &rows[i]);
  if (rc == CLI_EXIT_OK) rc = write_references(dir, rows, nrows);
  if (rc == CLI_EXIT_OK) rc = write_script(dir, o, d, rows, nrows);
  if (rc != CLI_EXIT_OK) return rc;
  char quoted[8400], cmd[8500];
  if (shell_quote(dir, quoted, sizeof quoted) != 0) {
    fprintf(stderr, "%s: --plot %s: directory name too long\n", HC_PROG, dir);
    return CLI_EXIT_FAILURE;
  }
  snprintf(cmd, sizeof cmd, "cd %s && gnuplot plots.gp 1>&2", quoted);
  fflush(NULL);
  if (system(cmd) != 0) {
    fprintf(stderr, "%s: --plot: gnuplot failed on %s/plots.gp\n", HC_PROG, dir);
    return CLI_EXIT_FAILURE;
  }
  if (!o->quiet)
    fprintf(stderr, "plots: %s/{val_loss,test_acc}_vs_{time,oracle}.png, grad_g_vs_t.png (data: "
            "curve_*.csv, references.csv, plots.gp)\n", dir);
  return CLI_EXIT_OK;
}
