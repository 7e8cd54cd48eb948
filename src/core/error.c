#include "core/error.h"

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
