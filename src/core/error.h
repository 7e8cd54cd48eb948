/* Error reporting shared by every layer: a status code plus a formatted message in a
   caller-owned sgfblo_errmsg. The library never prints. */
#ifndef SGFBLO_CORE_ERROR_H
#define SGFBLO_CORE_ERROR_H

#include "sgfblo/sgfblo.h"

#if defined(__GNUC__)
#define SGFBLO_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SGFBLO_PRINTF(a, b)
#endif

/** Write "<fmt ...>" into err (if non-NULL) and return st. */
sgfblo_status sgfblo_fail(sgfblo_errmsg *err, sgfblo_status st, const char *fmt, ...)
    SGFBLO_PRINTF(3, 4);

/** SGFBLO_OK if v[0..len) is finite; else SGFBLO_ERR_NONFINITE with
    "<what>[i] is not finite (<value>)" for the first bad entry. */
sgfblo_status sgfblo_check_finite(const sgfblo_real *v, int64_t len, const char *what,
                                  sgfblo_errmsg *err);

/** Clear the message (err may be NULL). */
void sgfblo_err_clear(sgfblo_errmsg *err);

/** Evaluate a status expression; on failure jump to the function's single cleanup label. */
#define SGFBLO_TRY(expr)                                                                   \
  do {                                                                                     \
    st = (expr);                                                                           \
    if (st != SGFBLO_OK) goto cleanup;                                                     \
  } while (0)

/** Fail with a message and jump to cleanup. */
#define SGFBLO_FAIL(err, code, ...)                                                        \
  do {                                                                                     \
    st = sgfblo_fail((err), (code), __VA_ARGS__);                                          \
    goto cleanup;                                                                          \
  } while (0)

#endif /* SGFBLO_CORE_ERROR_H */
