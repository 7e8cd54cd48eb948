#include "solver/trajectory_log.h"

#include <errno.h>
#include <string.h>

#include "core/error.h"

sgfblo_status sgfblo_log_open(const char *path, FILE **out, sgfblo_errmsg *err) {
  *out = fopen(path, "w");
  if (!*out)
    return sgfblo_fail(err, SGFBLO_ERR_IO, "cannot open log file '%s': %s", path, strerror(errno));
  fprintf(*out, "step,t,dt,f,grad_g_norm,hypergrad_norm,zdot_norm,n_rhs,n_oracle\n");
  return SGFBLO_OK;
}

sgfblo_status sgfblo_log_row(FILE *f, const char *path, const sgfblo_progress *p, sgfblo_errmsg *err) {
  fprintf(f, "%lld,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%lld,%lld\n", (long long)p->step, p->t,
          p->dt, p->f, p->grad_g_norm, p->hypergrad_norm, p->zdot_norm, (long long)p->n_rhs,
          (long long)p->n_oracle);
  if (ferror(f)) return sgfblo_fail(err, SGFBLO_ERR_IO, "writing the log file '%s' failed", path);
  return SGFBLO_OK;
}
