/* Files `sgfblo hyperclean` writes besides its summary: the flow's sample weights sigma(x)
   (--save-weights) and classifier y (--save-classifier) as .npy, and the early check that
   every output path can be written, so that a typo fails before a long run rather than after. */
#define _POSIX_C_SOURCE 200809L /* access */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/hyperclean.h"

int hc_check_output_path(const char *opt, const char *path) {
  char dir[4096];
  if (!path[0]) return cli_usage_error(HC_PROG, "%s: empty file name", opt);
  const char *slash = strrchr(path, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == path)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return cli_usage_error(HC_PROG, "%s %s: directory '%s' does not exist", opt, path, dir);
  if (access(dir, W_OK) != 0)
    return cli_usage_error(HC_PROG, "%s %s: directory '%s' is not writable", opt, path, dir);
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return cli_usage_error(HC_PROG, "%s %s: is a directory", opt, path);
  return CLI_EXIT_OK;
}

static int write_array(const char *opt, const char *path, int ndim, int64_t rows, int64_t cols,
                       const sgfblo_real *data) {
  sgfblo_array a = {.dtype = sizeof(sgfblo_real) == sizeof(double) ? SGFBLO_DTYPE_F64
                                                                   : SGFBLO_DTYPE_F32,
                    .ndim = ndim,
                    .shape = {rows, ndim == 2 ? cols : 0},
                    .size = ndim == 2 ? rows * cols : rows,
                    .data = (void *)data};
  sgfblo_errmsg err = {{0}};
  if (sgfblo_npy_write(path, &a, &err) == SGFBLO_OK) return CLI_EXIT_OK;
  fprintf(stderr, "%s: %s: %s\n", HC_PROG, opt, err.msg);
  return CLI_EXIT_FAILURE;
}

int hc_save_outputs(const hc_opts *o, const hc_data *d, const hc_row *flow) {
  int rc = CLI_EXIT_OK;
  if (!flow->x || !flow->y || flow->status != SGFBLO_OK) return CLI_EXIT_OK;
  if (o->save_weights) {
    const int64_t N = hc_N(d);
    sgfblo_real *w = malloc(sizeof *w * (size_t)N);
    if (!w) {
      fprintf(stderr, "%s: --save-weights: out of memory\n", HC_PROG);
      return CLI_EXIT_FAILURE;
    }
    sgfblo_hyperclean_weights(flow->x, N, w);
    rc = write_array("--save-weights", o->save_weights, 1, N, 0, w);
    free(w);
  }
  if (rc == CLI_EXIT_OK && o->save_classifier)
    rc = write_array("--save-classifier", o->save_classifier, 2, hc_dim(d), hc_classes(d), flow->y);
  return rc;
}
