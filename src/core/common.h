/* Small pieces every layer uses: the machine epsilon of sgfblo_real, a wall clock, and the
   checks of the settings validators (each names the field and the offending value). */
#ifndef SGFBLO_CORE_COMMON_H
#define SGFBLO_CORE_COMMON_H

#include <float.h>
#include <math.h>
#include <stdio.h>

#include "sgfblo/sgfblo_types.h"

/** Machine epsilon of sgfblo_real, as a double. */
#ifdef SGFBLO_USE_FLOAT
#define SGFBLO_REAL_EPSILON ((double)FLT_EPSILON)
#else
#define SGFBLO_REAL_EPSILON DBL_EPSILON
#endif

/** Seconds on a monotonic clock (CLOCK_MONOTONIC, else C11 timespec_get): for durations. */
double sgfblo_now_seconds(void);

/* In a validator with parameters (s, msg, msg_len): on a failed check write the message and
   return SGFBLO_ERR_INVALID_SETTINGS. !(v > 0) also rejects NaN. */
#define SGFBLO_CHECK(cond, ...)                                                            \
  do {                                                                                     \
    if (!(cond)) {                                                                         \
      if (msg && msg_len) snprintf(msg, msg_len, __VA_ARGS__);                             \
      return SGFBLO_ERR_INVALID_SETTINGS;                                                  \
    }                                                                                      \
  } while (0)
#define SGFBLO_CHECK_POS(field)                                                            \
  SGFBLO_CHECK(s->field > 0 && isfinite(s->field), #field " must be > 0 (got %g)",         \
               (double)s->field)
#define SGFBLO_CHECK_SECONDS(field)                                                        \
  SGFBLO_CHECK(s->field >= 0 && isfinite(s->field),                                        \
               #field " must be >= 0 and finite (0: no limit) (got %g)", (double)s->field)
#define SGFBLO_CHECK_FLAG(field)                                                           \
  SGFBLO_CHECK(s->field == 0 || s->field == 1, #field " must be 0 or 1 (got %d)", (int)s->field)

#endif /* SGFBLO_CORE_COMMON_H */
