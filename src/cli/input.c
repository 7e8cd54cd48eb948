/* Input arrays from .npy files, with the shape checks the subcommands need. A file that cannot
   be read, is malformed or has the wrong shape is a usage error naming the option and file. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sgfblo/sgfblo_io.h"

/* The library's message usually names the file already; add it where it does not. */
static int load_error(const char *prog, const char *opt, const char *path, const char *msg) {
  if (strstr(msg, path)) return cli_input_error(prog, "%s: %s", opt, msg);
  return cli_input_error(prog, "%s: %s: %s", opt, path, msg);
}

static int load(const char *prog, const char *opt, const char *path, sgfblo_array *a) {
  sgfblo_errmsg err = {{0}};
  const sgfblo_status st = sgfblo_npy_read(path, a, &err);
  if (st != SGFBLO_OK) return load_error(prog, opt, path, err.msg[0] ? err.msg : sgfblo_status_string(st));
  return CLI_EXIT_OK;
}

static int to_real(const char *prog, const char *opt, const char *path, const sgfblo_array *a,
                   sgfblo_real **out) {
  sgfblo_errmsg err = {{0}};
  const sgfblo_status st = sgfblo_array_to_real(a, out, &err);
  if (st != SGFBLO_OK) return load_error(prog, opt, path, err.msg[0] ? err.msg : sgfblo_status_string(st));
  return CLI_EXIT_OK;
}

int cli_load_matrix(const char *prog, const char *opt, const char *path, sgfblo_real **out,
                    int64_t *rows, int64_t *cols) {
  sgfblo_array a = {0};
  *out = NULL;
  int rc = load(prog, opt, path, &a);
  if (rc != CLI_EXIT_OK) return rc;
  if (a.ndim != 2)
    rc = cli_input_error(prog, "%s: %s holds a %d-D array; a matrix (2-D) is needed", opt, path,
                         a.ndim);
  else if (a.size == 0)
    rc = cli_input_error(prog, "%s: %s holds an empty matrix", opt, path);
  else
    rc = to_real(prog, opt, path, &a, out);
  if (rc == CLI_EXIT_OK) {
    *rows = a.shape[0];
    *cols = a.shape[1];
  }
  sgfblo_array_free(&a);
  return rc;
}

int cli_load_vector(const char *prog, const char *opt, const char *path, sgfblo_real **out,
                    int64_t *len) {
  sgfblo_array a = {0};
  *out = NULL;
  int rc = load(prog, opt, path, &a);
  if (rc != CLI_EXIT_OK) return rc;
  const int is_vector = a.ndim == 1 || (a.ndim == 2 && (a.shape[0] == 1 || a.shape[1] == 1));
  if (!is_vector)
    rc = cli_input_error(prog, "%s: %s holds a %d-D array that is not a vector", opt, path,
                         a.ndim);
  else if (a.size == 0)
    rc = cli_input_error(prog, "%s: %s holds an empty vector", opt, path);
  else
    rc = to_real(prog, opt, path, &a, out);
  if (rc == CLI_EXIT_OK) *len = a.size;
  sgfblo_array_free(&a);
  return rc;
}
