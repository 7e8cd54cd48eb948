/* The library's clock for durations (solve_seconds, the max_seconds limits): monotonic where
   POSIX offers it, so that a change of the system time neither ends nor extends a solve. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, CLOCK_MONOTONIC */

#include <time.h>

#include "core/common.h"

double sgfblo_now_seconds(void) {
  struct timespec ts;
#ifdef CLOCK_MONOTONIC
  if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
  timespec_get(&ts, TIME_UTC);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
