#include "core/error.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

sgfblo_status sgfblo_fail(sgfblo_errmsg *err, sgfblo_status st, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return st;
}

void sgfblo_err_clear(sgfblo_errmsg *err) {
  if (err) err->msg[0] = '\0';
}

sgfblo_status sgfblo_check_finite(const sgfblo_real *v, int64_t len, const char *what,
                                  sgfblo_errmsg *err) {
  for (int64_t i = 0; i < len; ++i)
    if (!isfinite((double)v[i]))
      return sgfblo_fail(err, SGFBLO_ERR_NONFINITE, "%s[%lld] is not finite (%g)", what,
                         (long long)i, (double)v[i]);
  return SGFBLO_OK;
}
